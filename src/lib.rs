//! dutyclock: the attendance kiosk and its discipline summaries.
//!
//! See `ARCHITECTURE.md` for the code map and the invariants.

pub mod attendance;
pub mod cards;
pub mod cli;
#[cfg(feature = "kiosk")]
pub mod clock;
pub mod closing;
pub mod config;
pub mod import;
#[cfg(feature = "kiosk")]
pub mod kiosk;
#[cfg(feature = "kiosk")]
pub mod live;
pub mod model;
pub mod pin;
#[cfg(feature = "kiosk")]
pub mod reader;
pub mod render;
pub mod rules;
pub mod store;
pub mod summary;
pub mod time;
#[cfg(feature = "kiosk")]
pub mod ui;
pub mod words;
