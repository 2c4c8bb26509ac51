//! A new SD card loses nothing that was sent: `dutyclock restore
//! --from-central` rebuilds a kiosk's store from the central server's copy
//! of its record chain (SPEC "Records").
//!
//! The records are stored again one by one through the store's own writer
//! ([`crate::kiosk::store::Writer::replay`]): each row with its id, chained
//! by the same function as ever, so the chain comes out identical (every
//! hash is compared with the server's as it is made). Then the rules the
//! kiosk last declared: its calendar years into the store, its schedules
//! into `config.toml` when that has none (a technician's fresh file holds
//! only the kiosk's id, units and `[central]`), or beside the database as
//! `schedules.from-central.toml` when it has others or cannot be written
//! (never overwritten: the technician decides). The database is built
//! under another name and put in place only when all of it is there and
//! `verify` finds nothing wrong: a restore cut off halfway leaves no half
//! a kiosk behind. The empty database a package's install made is
//! replaced; one that holds records is refused.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::domain::chain::WireRecord;
use crate::domain::config::Config;
use crate::domain::rejudge::DeclaredRules;
use crate::domain::time::Instant;
use crate::kiosk::store::Store;
use crate::kiosk::sync::{Client, RECORDS_SENT_TO, RULES_SENT};

/// Records asked for in one call (the server's most).
const CALL: usize = 1_000;

/// What a restore brought back.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Restored {
    pub records: u64,
    /// The chain's head after the last record (hex), if any.
    pub head: Option<String>,
    pub rules_version: Option<u64>,
    pub calendar_years: Vec<String>,
    /// Where the declared schedules went, when `config.toml` had its own
    /// (or could not be written).
    pub schedules_beside: Option<PathBuf>,
    /// Why the declared schedules could not be placed at all.
    pub schedules_problem: Option<String>,
    /// Whether the declared schedules were written into `config.toml`.
    pub schedules_written: bool,
    /// Days whose latest revision at the server is later than any the
    /// records brought back: their next revision is numbered after it.
    pub later_at_server: usize,
    /// The server does not say which revisions it holds (an older
    /// version): a day's next revision may collide with one it holds.
    pub revisions_unknown: bool,
}

/// `GET /api/v1/kiosks/{id}/summaries`.
#[derive(serde::Deserialize)]
struct HeldRevisions {
    days: Vec<HeldRevision>,
}

#[derive(serde::Deserialize)]
struct HeldRevision {
    date: chrono::NaiveDate,
    revision: i64,
}

/// Rebuilds the store at `db` (which must not exist) from the server.
/// `progress` hears a line every 10,000 records.
pub fn from_central(
    config_path: &Path,
    config: &Config,
    client: &Client,
    db: &Path,
    now: Instant,
    progress: &mut dyn Write,
) -> Result<Restored, String> {
    let _running = clear_the_way(db)?;
    let building = {
        let mut p = db.as_os_str().to_owned();
        p.push(".restoring");
        PathBuf::from(p)
    };
    // A restore cut off before: started again from nothing.
    for suffix in ["", "-wal", "-shm"] {
        let mut p = building.as_os_str().to_owned();
        p.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(p));
    }
    let mut store = Store::create(&building).map_err(|e| format!("{}: {e}", building.display()))?;
    let mut out = Restored::default();
    let mut from = 1u64;
    loop {
        let (status, text) = client.fetch(&format!("records?from={from}&limit={CALL}"))?;
        if status != 200 {
            return Err(format!("the server answered {status} for records from {from}: {}", text.trim()));
        }
        let records = text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str::<WireRecord>(l).map_err(|e| format!("record line from {from}: {e}")))
            .collect::<Result<Vec<_>, String>>()?;
        let Some(last) = records.last() else { break };
        let (last_seq, last_hash) = (last.seq, last.hash.clone());
        let mut w = store.writer().map_err(|e| e.to_string())?;
        for r in &records {
            w.replay(r).map_err(|e| format!("the restore stopped: {e}"))?;
        }
        w.commit().map_err(|e| e.to_string())?;
        if last_seq / 10_000 != (from - 1) / 10_000 {
            let _ = writeln!(progress, "{last_seq} records");
        }
        out.records = last_seq;
        out.head = Some(last_hash);
        from = last_seq + 1;
    }
    let (status, text) = client.fetch("rules")?;
    let declared = match status {
        200 => Some(serde_json::from_str::<DeclaredRules>(&text).map_err(|e| format!("the server's rules: {e}"))?),
        404 => None,
        s => return Err(format!("the server answered {s} for the rules: {}", text.trim())),
    };
    let mut w = store.writer().map_err(|e| e.to_string())?;
    w.set_meta(RECORDS_SENT_TO, &out.records.to_string()).map_err(|e| e.to_string())?;
    // The latest revision of each day goes again (the server answers it as
    // it stands: held, new, or other); those it superseded do not.
    w.superseded_answered(now).map_err(|e| e.to_string())?;
    // The server may hold a later revision of a day than the records
    // brought back (its record never left the old card): the day's next
    // revision is numbered after it, and the older ones are not sent.
    let (status, text) = client.fetch("summaries")?;
    match status {
        200 => {
            let held: HeldRevisions =
                serde_json::from_str(&text).map_err(|e| format!("the server's summary revisions: {e}"))?;
            let days: Vec<_> = held.days.iter().map(|d| (d.date, d.revision)).collect();
            out.later_at_server = w.server_holds(&days, now).map_err(|e| e.to_string())?;
        }
        // A server from before `GET …/summaries`: nothing to number after.
        404 | 405 => out.revisions_unknown = true,
        s => return Err(format!("the server answered {s} for its summary revisions: {}", text.trim())),
    }
    if let Some(rules) = &declared {
        for (year, days) in &rules.calendar {
            let y: i32 = year.parse().map_err(|_| format!("the server's rules: calendar year {year:?}"))?;
            let days: Vec<_> = days.iter().map(|d| (d.date, d.name.clone(), d.is_off_day)).collect();
            w.replace_calendar_year(y, &days, now).map_err(|e| e.to_string())?;
            out.calendar_years.push(year.clone());
        }
        // The version stands for what was declared: the kiosk numbers the
        // next one only when its schedules or calendar change from here.
        let text = serde_json::to_string(rules).map_err(|e| e.to_string())?;
        for (key, value) in [
            ("rules.version", rules.version.to_string()),
            ("rules.digest", rules.digest()),
            (&format!("rules.declared.{}", rules.version), text),
            (RULES_SENT, rules.version.to_string()),
        ] {
            w.set_meta(key, &value).map_err(|e| e.to_string())?;
        }
        out.rules_version = Some(rules.version);
    }
    w.commit().map_err(|e| e.to_string())?;
    // Its service is anchored at the last day it closed (or the server
    // holds): the days since its last sync are closed when it starts, on
    // any clock; days before it that it never closed (history imported
    // before it went into service) stay as they were.
    if let Some(last) = store.summary_dates(chrono::NaiveDate::MIN).map_err(|e| e.to_string())?.into_iter().max() {
        let at = config.default_schedule().day_start(last);
        crate::kiosk::closing::anchor_restored(&mut store, at).map_err(|e| e.to_string())?;
    }
    let problems = store.verify().map_err(|e| e.to_string())?;
    if !problems.is_empty() {
        return Err(format!("the restored store does not verify: {}", problems.join("; ")));
    }
    store.checkpoint().map_err(|e| e.to_string())?;
    drop(store);
    // Nothing written there meanwhile (the lock is still held).
    nothing_held(db)?;
    remove_empty(db)?;
    put_in_place(&building, db)?;
    // The database stands; the schedules are a help on top (a config the
    // kiosk's user may not write is said, not a failed restore).
    if let Some(rules) = &declared {
        if let Err(e) = place_schedules(config_path, config, rules, db, &mut out) {
            out.schedules_problem = Some(e);
        }
    }
    Ok(out)
}

/// The files of the database at `db` (`-wal`, `-shm` beside it).
fn files_of(db: &Path) -> [PathBuf; 3] {
    ["", "-wal", "-shm"].map(|suffix| {
        let mut p = db.as_os_str().to_owned();
        p.push(suffix);
        PathBuf::from(p)
    })
}

/// Restore builds a new store only: a database holding records is
/// refused (move it away first), and so is one a running kiosk holds
/// (`<db>.run-lock`); the empty one a package's install made (`dutyclock
/// init`) is replaced at the end, when the restored one is ready.
fn clear_the_way(db: &Path) -> Result<Option<std::fs::File>, String> {
    let lock = crate::kiosk::core::run_lock_path(db);
    // Held until the restored database is in place: a kiosk started
    // meanwhile refuses to open it.
    let running = match std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(&lock) {
        Ok(f) => match f.try_lock() {
            Ok(()) => Some(f),
            Err(_) => {
                return Err(format!("a kiosk is running on {} (stop it first: systemctl stop dutyclock)", db.display()))
            }
        },
        // A directory the lock cannot be made in: nothing can hold it.
        Err(_) => None,
    };
    nothing_held(db)?;
    Ok(running)
}

/// The database at `db` holds nothing (none, or the empty one `init` made).
fn nothing_held(db: &Path) -> Result<(), String> {
    if db.exists() {
        let held = Store::open(db)
            .and_then(|s| Ok((s.chain_length()?, s.meta("rules.version")?)))
            .map_err(|e| format!("{}: {e}", db.display()))?;
        if held != (0, None) {
            return Err(format!(
                "{} already exists and holds {} records: restore builds a new store only (move the old one away first)",
                db.display(),
                held.0
            ));
        }
    }
    Ok(())
}

/// The empty database (and any `-wal`/`-shm` beside it: applied to the
/// restored one, they would corrupt it) out of the way, just before the
/// restored one takes its place.
fn remove_empty(db: &Path) -> Result<(), String> {
    for f in files_of(db) {
        match std::fs::remove_file(&f) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(format!("cannot remove {}: {e}", f.display())),
        }
    }
    Ok(())
}

/// Puts the built database at `db`: linked there (which fails if a
/// database appeared there meanwhile: a kiosk started by mistake), the
/// built name removed, the directory synced, so a power cut leaves one
/// or the other.
fn put_in_place(building: &Path, db: &Path) -> Result<(), String> {
    let [_, wal, _] = files_of(building);
    if std::fs::metadata(&wal).is_ok_and(|m| m.len() > 0) {
        return Err(format!("{} still holds writes: the restore cannot be put in place", wal.display()));
    }
    std::fs::File::open(building).and_then(|f| f.sync_all()).map_err(|e| format!("{}: {e}", building.display()))?;
    std::fs::hard_link(building, db).map_err(|e| {
        let why = if e.kind() == std::io::ErrorKind::AlreadyExists {
            "a database appeared there meanwhile: is a kiosk running?".to_string()
        } else {
            e.to_string()
        };
        format!("cannot put the restored database at {} ({why}); it stays at {}", db.display(), building.display())
    })?;
    for f in files_of(building) {
        let _ = std::fs::remove_file(f);
    }
    if let Some(dir) = db.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::File::open(dir).and_then(|d| d.sync_all()).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    Ok(())
}

/// The declared schedules into `config.toml` when it has none, or beside
/// it when it has others.
fn place_schedules(
    config_path: &Path,
    config: &Config,
    rules: &DeclaredRules,
    db: &Path,
    out: &mut Restored,
) -> Result<(), String> {
    if config.rules == rules.config {
        return Ok(());
    }
    let table = serde_json::json!({ "schedules": rules.config });
    let toml = toml::to_string(&table).map_err(|e| format!("the server's schedules as TOML: {e}"))?;
    let empty = config.rules.as_object().is_none_or(|o| o.is_empty());
    if empty {
        let mut text = std::fs::read_to_string(config_path).map_err(|e| format!("{}: {e}", config_path.display()))?;
        if !text.ends_with('\n') {
            text.push('\n');
        }
        text.push_str("\n# The schedules this kiosk declared to the central server, restored with its records.\n");
        text.push_str(&toml);
        // Written only when it reads back as what was declared.
        let back = Config::parse(&text, config_path).map_err(|e| e.to_string())?;
        if back.rules == rules.config && std::fs::write(config_path, &text).is_ok() {
            out.schedules_written = true;
            return Ok(());
        }
    }
    // Beside the database: the kiosk's user may write there (the config
    // of an installed kiosk is root's, in /etc).
    let beside = db.with_file_name("schedules.from-central.toml");
    let text = format!(
        "# The [schedules] this kiosk last declared to the central server (rules version {}).\n\
         # config.toml has other schedules: compare, and copy these over if they are the right ones.\n{toml}",
        rules.version
    );
    std::fs::write(&beside, text).map_err(|e| format!("{}: {e}", beside.display()))?;
    out.schedules_beside = Some(beside);
    Ok(())
}
