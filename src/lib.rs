//! dutyclock: the attendance kiosk and its discipline summaries.
//!
//! See `ARCHITECTURE.md` for the code map and the invariants.

pub mod attendance;
pub mod cards;
pub mod cli;
pub mod config;
pub mod import;
pub mod model;
#[cfg(feature = "kiosk")]
pub mod reader;
pub mod render;
pub mod rules;
pub mod store;
pub mod summary;
pub mod time;
