//! The demo's embedded data (the example week's staff and the 2026
//! calendar) in a throw-away data directory: `run --demo` never touches
//! the real one.

use crate::domain::config::Config;
use crate::kiosk::store::Store;

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
    let db = dir.join(crate::kiosk::store::DB_FILE);
    let _ = std::fs::remove_file(&db);
    let mut store = Store::create(&db).map_err(|e| err(&e))?;
    let staff = dir.join("staff.csv");
    std::fs::write(&staff, DEMO_STAFF).map_err(|e| err(&e))?;
    let cal = dir.join("2026.json");
    std::fs::write(&cal, DEMO_CALENDAR).map_err(|e| err(&e))?;
    let now = chrono::Utc::now().timestamp_millis();
    crate::kiosk::import::staff(&mut store, &config, &staff, now).map_err(|e| err(&e))?;
    crate::kiosk::import::calendar(&mut store, &cal, now).map_err(|e| err(&e))?;
    Ok(dir)
}
