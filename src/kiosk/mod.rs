//! The kiosk at run time: the reader thread feeds the core, the core
//! commits punches and makes live events, and a front end shows them
//! (`run --headless` prints them as JSON lines; the touchscreen comes next).

pub mod core;
pub mod service;

use std::io::Write;
use std::sync::mpsc;
use std::time::Duration;

pub use self::core::Core;
use crate::clock::SystemClock;
use crate::config::Config;
use crate::live::LiveEvent;
use crate::reader::{self, ReaderEvent};
use crate::store::Store;

/// Runs the kiosk without a screen: every live event is one JSON line on
/// `out`, flushed at once. Returns when the reader's channel closes, or
/// with an error when the store fails (a punch that cannot be stored is
/// never acknowledged).
pub fn run_headless(config: &Config, store: Store, out: &mut dyn Write) -> Result<(), String> {
    let (tx, rx) = mpsc::channel();
    let _reader = reader::start(&config.reader, tx).map_err(|e| format!("reader: {e}"))?;
    let mut core = Core::new(config, store, Box::new(SystemClock)).map_err(|e| e.to_string())?;
    let mut emit = |e: LiveEvent| -> Result<(), String> {
        writeln!(out, "{}", e.to_line()).and_then(|_| out.flush()).map_err(|e| format!("output: {e}"))
    };
    emit(core.ready())?;
    loop {
        for e in core.tick().map_err(|e| e.to_string())? {
            emit(e)?;
        }
        let until_next_day = core.next_day_start() - SystemClock.now_ms();
        let wait = Duration::from_millis(until_next_day.clamp(10, 1000) as u64);
        match rx.recv_timeout(wait) {
            Ok(ReaderEvent::Card(id)) => emit(core.scan(&id).map_err(|e| format!("store: {e}"))?)?,
            Ok(ReaderEvent::State(state, detail)) => emit(core.reader(state, detail))?,
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => return Ok(()),
        }
        // After the event is out: never inside a scan.
        core.maintenance().map_err(|e| format!("store: {e}"))?;
    }
}

impl SystemClock {
    fn now_ms(&self) -> i64 {
        crate::clock::Clock::now(self)
    }
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
    let db = dir.join(crate::cli::DB_FILE);
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
