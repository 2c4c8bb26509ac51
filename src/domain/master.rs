//! Master data on the wire (SPEC "Master data"): the changes of people,
//! cards and calendars the central server keeps for a district and a
//! kiosk with `[central] master = true` pulls and applies as records on
//! its own chain. Owned here, for the server that sends them and the
//! kiosk that reads them; what a change means for a store is the
//! kiosk's (`kiosk::master`), what is kept where is the server's
//! (`central::master`).

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use serde::{Deserialize, Serialize};

use super::model::{Role, Staff};

/// One change. A person is sent as they stand in the receiving kiosk's
/// units (a person moved to another unit is sent to the old unit's kiosks
/// ended the day before, and to the new unit's from that day).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub enum Change {
    Person(Person),
    /// A card is the person's from `from` (from the start when `None`);
    /// taken from its previous holder by being given to someone else (R3).
    Card {
        card: String,
        staff_no: String,
        from: Option<NaiveDate>,
    },
    /// One year of the holiday calendar, replacing that year.
    Calendar {
        year: i32,
        days: Vec<CalendarDay>,
    },
    /// The district's schedules: the `[schedules]` tables of a kiosk's
    /// `config.toml` as JSON (seasons included: a summer timetable starts
    /// on its own date), replacing the kiosks' own.
    Rules {
        schedules: serde_json::Value,
    },
    /// A 值班 session on an attendance day, local clock times.
    Roster {
        staff_no: String,
        date: NaiveDate,
        start: NaiveTime,
        end: NaiveTime,
    },
    /// Leave or duty entered by the bureau (出差, long sick leave), local
    /// times in the person's schedule zone (the kiosk knows it).
    Leave {
        staff_no: String,
        /// 出差, 病假, … (`leave_kind` on the wire: `kind` is the change's).
        #[serde(rename = "leave_kind")]
        kind: String,
        from: NaiveDateTime,
        to: NaiveDateTime,
        approved_by: String,
        note: String,
    },
}

impl Change {
    pub fn kind(&self) -> &'static str {
        match self {
            Change::Person(_) => "person",
            Change::Card { .. } => "card",
            Change::Calendar { .. } => "calendar",
            Change::Rules { .. } => "rules",
            Change::Roster { .. } => "roster",
            Change::Leave { .. } => "leave",
        }
    }

    /// What the change is of, for people: `person 0012`, `card 04A1B2C3`, `calendar 2026`.
    pub fn subject(&self) -> String {
        match self {
            Change::Person(p) => format!("person {}", p.staff_no),
            Change::Card { card, staff_no, .. } => format!("card {card} → {staff_no}"),
            Change::Calendar { year, .. } => format!("calendar {year}"),
            Change::Rules { .. } => "rules (schedules)".to_string(),
            Change::Roster { staff_no, date, start, end, .. } => {
                format!("roster {staff_no} {date} {}–{}", start.format("%H:%M"), end.format("%H:%M"))
            }
            Change::Leave { staff_no, kind, from, to, .. } => {
                format!("leave {staff_no} {kind} {}–{}", from.format("%Y-%m-%d %H:%M"), to.format("%Y-%m-%d %H:%M"))
            }
        }
    }
}

/// A person as the staff file and the kiosk's store have them; the PIN
/// only as its Argon2 hash. Fields unknown here are ignored, not refused:
/// a kiosk upgraded after its server still reads the people it is sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub staff_no: String,
    pub name: String,
    pub unit: String,
    pub schedule: String,
    pub role: String,
    pub pin_hash: Option<String>,
    pub active_from: Option<NaiveDate>,
    pub active_until: Option<NaiveDate>,
    /// The person's photo by its content name, `<SHA-256 hex>.<jpg|png>`
    /// (`files::staff::photo_name`): the kiosk fetches the bytes
    /// (`GET …/photos/{name}`) and checks them against the name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub photo: Option<String>,
}

impl From<&Staff> for Person {
    fn from(s: &Staff) -> Person {
        Person {
            staff_no: s.staff_no.clone(),
            name: s.name.clone(),
            unit: s.unit.clone(),
            schedule: s.schedule.clone(),
            role: s.role.as_str().to_string(),
            pin_hash: s.pin_hash.clone(),
            active_from: s.active_from,
            active_until: s.active_until,
            photo: None,
        }
    }
}

impl Person {
    /// The person as the store keeps them; `None` for an unknown role.
    pub fn staff(&self) -> Option<Staff> {
        Some(Staff {
            staff_no: self.staff_no.clone(),
            name: self.name.clone(),
            unit: self.unit.clone(),
            schedule: self.schedule.clone(),
            role: Role::parse(&self.role)?,
            pin_hash: self.pin_hash.clone(),
            active_from: self.active_from,
            active_until: self.active_until,
        })
    }

    /// Whether the person belongs to their unit on `date`.
    pub fn active_on(&self, date: NaiveDate) -> bool {
        self.active_from.is_none_or(|f| f <= date) && self.active_until.is_none_or(|u| date <= u)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarDay {
    pub date: NaiveDate,
    pub name: String,
    pub off: bool,
}

/// A change as sent: its version, who made it and when (RFC 3339).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Versioned {
    pub version: u64,
    pub made_by: String,
    pub made_at: String,
    #[serde(flatten)]
    pub change: Change,
}

/// `GET /api/v1/kiosks/{id}/master?since=V`: the changes after `since`
/// for the kiosk's units, oldest first, and the version to ask from
/// next. `more`: the answer was cut at its size limit; ask again at once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Feed {
    pub version: u64,
    pub changes: Vec<Versioned>,
    #[serde(default)]
    pub more: bool,
}

/// A punch made at another kiosk serving the same units (SPEC "Doors").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeerPunch {
    /// The kiosk it was made at, and its place in that kiosk's chain.
    pub origin: String,
    /// The origin's display name (正门, 侧门), when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin_name: Option<String>,
    pub seq: u64,
    pub card: String,
    /// Whom central's cards say the card was, when it knows.
    pub staff_no: Option<String>,
    /// The instant, RFC 3339.
    pub at: String,
    pub clock_synced: Option<bool>,
}

/// `GET /api/v1/kiosks/{id}/peer-punches?since=CURSOR`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeerPunches {
    pub cursor: String,
    pub punches: Vec<PeerPunch>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_reads_back_as_sent_and_an_unknown_kind_is_refused() {
        let v = Versioned {
            version: 7,
            made_by: "bureau-li".into(),
            made_at: "2026-12-05T09:00:00+08:00".into(),
            change: Change::Card { card: "04A1B2C3".into(), staff_no: "0012".into(), from: None },
        };
        let text = serde_json::to_string(&v).unwrap();
        assert!(text.contains("\"kind\":\"card\""), "{text}");
        assert_eq!(serde_json::from_str::<Versioned>(&text).unwrap(), v);
        let bad = text.replace("\"card\",", "\"badge\",");
        assert!(serde_json::from_str::<Versioned>(&bad).is_err());
    }
}
