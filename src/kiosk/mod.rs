//! The kiosk at run time: the reader thread feeds the one event loop, the
//! core commits punches and makes live events, and a front end shows them
//! (`run --headless` prints them as JSON lines; the touchscreen draws them).

pub mod core;
pub mod event_loop;
pub mod service;

use std::sync::mpsc;

pub use self::core::Core;
use crate::clock::SystemClock;
use crate::config::Config;
use crate::store::Store;
use event_loop::{Input, JsonLines};
use service::Service;

/// Runs the kiosk without a screen: every live event is one JSON line on
/// `out`, flushed at once. Returns when the reader has finished (the demo
/// reader's stdin closed), or with an error when the output is gone. A
/// punch that cannot be stored is told as `not_recorded`; it never ends
/// the kiosk.
pub fn run_headless(config: &Config, store: Store, out: &mut dyn std::io::Write) -> Result<(), String> {
    let (tx, rx) = mpsc::channel::<Input>();
    let _reader = crate::reader::start(&config.reader, tx).map_err(|e| format!("reader: {e}"))?;
    let core = Core::new(config, store, Box::new(SystemClock)).map_err(|e| e.to_string())?;
    let mut service = Service::new(core);
    event_loop::run(&mut service, &rx, &mut [&mut JsonLines(out)])
}

/// The demo's embedded data: the example week's staff and the 2026 calendar.
pub const DEMO_CONFIG: &str = include_str!("../../deploy/example/config.toml");
pub const DEMO_STAFF: &str = include_str!("../../deploy/example/staff.csv");
pub const DEMO_CALENDAR: &str = include_str!("../../deploy/holiday-cn/2026.json");

/// Builds a throw-away demo data directory (config, staff, calendar) and
/// returns its path; the caller's real data directory is never touched.
pub fn demo_dir() -> Result<std::path::PathBuf, String> {
    let dir = std::env::temp_dir().join(format!("dutyclock-demo-{}", std::process::id()));
    let err = |e: &dyn std::fmt::Display| format!("demo: {e}");
    std::fs::create_dir_all(&dir).map_err(|e| err(&e))?;
    let config_path = dir.join("config.toml");
    std::fs::write(&config_path, DEMO_CONFIG).map_err(|e| err(&e))?;
    let config = Config::load(&config_path).map_err(|e| err(&e))?;
    let db = dir.join(crate::store::DB_FILE);
    let _ = std::fs::remove_file(&db);
    let mut store = Store::create(&db).map_err(|e| err(&e))?;
    let staff = dir.join("staff.csv");
    std::fs::write(&staff, DEMO_STAFF).map_err(|e| err(&e))?;
    let cal = dir.join("2026.json");
    std::fs::write(&cal, DEMO_CALENDAR).map_err(|e| err(&e))?;
    let now = chrono::Utc::now().timestamp_millis();
    crate::import::staff(&mut store, &config, &staff, now).map_err(|e| err(&e))?;
    crate::import::calendar(&mut store, &cal, now).map_err(|e| err(&e))?;
    Ok(dir)
}
