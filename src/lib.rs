//! dutyclock: the attendance kiosk and its discipline summaries.
//!
//! Two parts read from the tree: `domain`, the attendance rules and what
//! every part shares (the rules engine, schedules, card ids, time, config,
//! the summary wire types and report files), and `kiosk`, the terminal at
//! the office entrance (store, imports, readers, the event loop, the
//! touchscreen, the admin command line). `central` is the server the
//! kiosks sync to and the bureau reads from; it shares `domain` and
//! `files` (the import files both sides read: CSV and XLSX tables).
//!
//! See `ARCHITECTURE.md` for the code map and the invariants.

#[cfg(feature = "central")]
pub mod central;
pub mod domain;
#[cfg(any(feature = "kiosk", feature = "central"))]
pub mod files;
#[cfg(feature = "kiosk")]
pub mod kiosk;
