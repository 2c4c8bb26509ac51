//! The shared domain: what the kiosk and the central server both need and
//! nothing outside either. The rules engine (`rules`, pure), the judge
//! over a snapshot of records (`attendance`), card ids, instants and local
//! times, the config, the records as plain data, the record chain's hash
//! (`chain`: the kiosk appends, the central server verifies), the chain
//! read back into what the rules read (`replay`) and a day judged again
//! from it (`rejudge`), and the wire types of the
//! daily summary and the period report with their file renderings. No IO
//! beyond reading a config file; no SQL, no threads, no UI.

pub mod attendance;
pub mod cards;
pub mod chain;
pub mod config;
pub mod glossary;
pub mod hashing;
pub mod master;
pub mod model;
pub mod rejudge;
pub mod render;
pub mod replay;
pub mod rules;
pub mod summary;
pub mod time;
