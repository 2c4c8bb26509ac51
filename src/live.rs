//! Live events (SPEC.md "Live events"): what the kiosk core tells the
//! screen and what `run --headless` prints, one JSON object a line.

use serde::Serialize;

use crate::reader::ReaderState;
use crate::rules::Meaning;

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
        meaning: Meaning,
        minutes: u32,
        clock_synced: bool,
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
    Reader {
        at: String,
        state: ReaderState,
        detail: String,
    },
    DayClosed {
        at: String,
        date: String,
        revision: i64,
    },
}

impl LiveEvent {
    /// The event as one line of JSON.
    pub fn to_line(&self) -> String {
        serde_json::to_string(self)
            .unwrap_or_else(|e| format!("{{\"event\":\"error\",\"detail\":{:?}}}", e.to_string()))
    }
}
