//! The attendance rules (RULES.md), pure: no IO, no clock reads.
//!
//! Every input, the current instant included, comes in as a parameter, so
//! the same inputs give the same record on every kiosk, in the central
//! server, and when punches are replayed from an import.

pub mod calendar;
pub mod day;
pub mod punches;
pub mod schedule;

pub use calendar::{Calendar, HolidayFile};
pub use day::{
    evaluate, live_meaning, DayInput, DayRecord, Excuse, Figures, IfNotBack, Live, Meaning, Outcome, SessionRecord,
    SpotCheck, Status, Trip,
};
pub use punches::{classify, CardAssignment, CardBook, RawPunch, Verdict};
pub use schedule::{ClockSpan, DayPlan, Schedule, Season, SessionPlan, Span, Thresholds, Timetable};
