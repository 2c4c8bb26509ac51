//! dutyclock: the attendance kiosk and its discipline summaries.
//!
//! Two parts read from the tree: `domain`, the attendance rules and what
//! every part shares (the rules engine, schedules, card ids, time, config,
//! the summary wire types and report files), and `kiosk`, the terminal at
//! the office entrance (store, imports, readers, the event loop, the
//! touchscreen, the admin command line). The central server comes as a
//! third part beside them and shares only `domain`.
//!
//! See `ARCHITECTURE.md` for the code map and the invariants.

pub mod domain;
#[cfg(feature = "kiosk")]
pub mod kiosk;
