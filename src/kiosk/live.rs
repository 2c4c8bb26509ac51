//! Live events (SPEC.md "Live events"): what the kiosk core tells the
//! screen and what `run --headless` prints, one JSON object a line. This
//! is the wire type: the field names and the words for meanings and reader
//! states are owned here, not by the rules engine's types.

use serde::{Serialize, Serializer};

use crate::domain::rules::Meaning;
use crate::kiosk::reader::ReaderState;

/// A further listener (sync, buzzer and LEDs): hears every live event, in
/// the order things happen (a punch only after its commit). It handles its
/// own failures: a listener never stops the kiosk. Beside the events, not
/// in the loop that delivers them, so a listener depends on what it hears
/// and not on the loop.
pub trait Listener: Send {
    fn event(&mut self, event: &LiveEvent);
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum LiveEvent {
    Ready {
        at: String,
        kiosk_id: String,
        reader: String,
    },
    /// Emitted only after the punch is committed.
    Punch {
        at: String,
        punch_id: i64,
        card: String,
        staff_no: String,
        name: String,
        #[serde(serialize_with = "meaning_word")]
        meaning: Meaning,
        minutes: u32,
        clock_synced: bool,
        /// `in` with a counted lateness over `absent_after_minutes`: 旷工.
        #[serde(skip_serializing_if = "is_false")]
        absent: bool,
        /// The session's first punch at or after its midpoint: no clock-in.
        #[serde(skip_serializing_if = "is_false")]
        missing_in: bool,
    },
    Duplicate {
        at: String,
        card: String,
        staff_no: String,
        first_at: String,
    },
    UnknownCard {
        at: String,
        card: String,
    },
    /// A scan that could not be stored (the database stayed busy, the disk
    /// failed): nothing was recorded, the person must scan again.
    NotRecorded {
        at: String,
        card: String,
        detail: String,
    },
    Reader {
        at: String,
        #[serde(serialize_with = "reader_state_word")]
        state: ReaderState,
        detail: String,
    },
    DayClosed {
        at: String,
        date: String,
        revision: i64,
    },
    /// A scan armed by 查询 or 管理 on the idle screen: the person is
    /// identified (to open their month, or the PIN for head or admin
    /// mode) and no punch is stored. `staff_no` and `name` are absent for
    /// a card nobody holds.
    Identified {
        at: String,
        card: String,
        purpose: Purpose,
        #[serde(skip_serializing_if = "Option::is_none")]
        staff_no: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        name: Option<String>,
    },
}

/// What an identification is for: 查询 (the person's own month) or 管理
/// (a head's or an admin's PIN).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    Lookup,
    Manage,
}

impl Purpose {
    /// The action stored in the `actions` table for it.
    pub fn action(self) -> &'static str {
        match self {
            Purpose::Lookup => "looked up",
            Purpose::Manage => "identified to sign in",
        }
    }
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// SPEC's words for a punch's meaning.
pub fn meaning_str(m: Meaning) -> &'static str {
    match m {
        Meaning::In => "in",
        Meaning::GoingOut => "going_out",
        Meaning::Back => "back",
        Meaning::Out => "out",
    }
}

fn meaning_word<S: Serializer>(m: &Meaning, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(meaning_str(*m))
}

fn reader_state_word<S: Serializer>(st: &ReaderState, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(match st {
        ReaderState::Connected => "connected",
        ReaderState::Disconnected => "disconnected",
        ReaderState::Error => "error",
    })
}

impl LiveEvent {
    /// The event as one line of JSON.
    pub fn to_line(&self) -> String {
        serde_json::to_string(self)
            .unwrap_or_else(|e| format!("{{\"event\":\"error\",\"detail\":{:?}}}", e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn punch_lines_carry_the_optional_flags_only_when_set() {
        let p = |absent, missing_in| LiveEvent::Punch {
            at: "2026-11-19T09:05:00+08:00".into(),
            punch_id: 7,
            card: "0100ABCDEF".into(),
            staff_no: "0012".into(),
            name: "张三".into(),
            meaning: Meaning::In,
            minutes: 35,
            clock_synced: true,
            absent,
            missing_in,
        };
        assert_eq!(
            p(false, false).to_line(),
            r#"{"event":"punch","at":"2026-11-19T09:05:00+08:00","punch_id":7,"card":"0100ABCDEF","staff_no":"0012","name":"张三","meaning":"in","minutes":35,"clock_synced":true}"#
        );
        assert!(p(true, false).to_line().ends_with(r#""clock_synced":true,"absent":true}"#));
        assert!(p(false, true).to_line().ends_with(r#""clock_synced":true,"missing_in":true}"#));
        let i = |no: Option<&str>| LiveEvent::Identified {
            at: "t".into(),
            card: "0100ABCDEF".into(),
            purpose: Purpose::Lookup,
            staff_no: no.map(String::from),
            name: no.map(|_| "张三".into()),
        };
        assert_eq!(
            i(Some("0012")).to_line(),
            r#"{"event":"identified","at":"t","card":"0100ABCDEF","purpose":"lookup","staff_no":"0012","name":"张三"}"#
        );
        assert_eq!(i(None).to_line(), r#"{"event":"identified","at":"t","card":"0100ABCDEF","purpose":"lookup"}"#);
        let r = LiveEvent::Reader { at: "t".into(), state: ReaderState::Error, detail: "d".into() };
        assert_eq!(r.to_line(), r#"{"event":"reader","at":"t","state":"error","detail":"d"}"#);
    }
}
