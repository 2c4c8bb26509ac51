//! dutyclock: the attendance kiosk and its discipline summaries.
//!
//! See `ARCHITECTURE.md` for the code map and the invariants.

pub mod config;
pub mod rules;
pub mod time;
