//! Master data and doors' punches from the central server, for a kiosk
//! with `[central] master = true` (SPEC "Master data", "Doors"). The sync
//! thread pulls both every 30 s while the server answers, and at start;
//! offline the kiosk works on what it has.
//!
//! Each pulled change is applied as records on the kiosk's own chain (a
//! staff version, a card assignment, a roster session, a leave record; a
//! calendar year is reference data), followed by an `actions` record `central:<who made it>` / `master` /
//! `v<version> <subject>`: the chain says where the change came from, and
//! it goes up with the record stream like everything else. A feed is
//! applied in one transaction with the version it reaches, so a crash
//! leaves it unapplied and it is pulled again.
//!
//! A punch made at another kiosk serving the same units is stored as a
//! reader punch with its origin (`reason` = `ORIGIN#SEQ`, `by_whom` =
//! the origin kiosk's display name, else its id): idempotent by card and instant, so the same punch
//! pulled twice is one punch. The server sends only punches of cards it
//! does not know or whose holder is of this kiosk's units. They are not
//! the kiosk's own scans: its start and its clock check ignore them.

use std::path::Path;

use chrono::NaiveDate;

use super::store::{Store, StoreError, Writer};
use super::sync::Client;
use crate::domain::config::Config;
use crate::domain::master::{Change, Feed, PeerPunches};
use crate::domain::model::{PunchOwner, PunchSource};
use crate::domain::rules::ClockSpan;
use crate::domain::time::local_to_instant;
use crate::domain::time::Instant;

/// The store's settings: the master version applied, and the doors' cursor.
pub const MASTER_VERSION: &str = "master.version";
pub const PEER_CURSOR: &str = "peers.cursor";
/// When the doors' punches were last pulled (ms), for the head's roster.
pub const PEERS_PULLED_AT: &str = "peers.pulled_at";
/// The district's schedules from the server (JSON of the `[schedules]`
/// tables): a kiosk with `master = true` judges with them, not its own.
pub const MASTER_RULES: &str = "master.rules";

/// The schedules a managed kiosk judges with: the server's, when it sent
/// some, in place of `config.toml`'s (read wherever the kiosk opens its
/// store, so every command judges alike).
pub fn use_server_rules(config: &mut Config, store: &Store) -> Result<()> {
    if !config.central.as_ref().is_some_and(|c| c.master) {
        return Ok(());
    }
    if let Some(json) = store.meta(MASTER_RULES)? {
        let rules: serde_json::Value =
            serde_json::from_str(&json).map_err(|e| StoreError::Invalid(format!("{MASTER_RULES}: {e}")))?;
        config.with_schedules(&rules).map_err(|m| StoreError::Invalid(format!("the server's schedules: {m}")))?;
    }
    Ok(())
}

type Result<T> = std::result::Result<T, StoreError>;

/// Applies one answer of the feed; returns how many changes added records
/// and whether the schedules changed (the running kiosk starts again to
/// take them). A leave's local times are read in its person's schedule zone.
///
/// A person's photo is set from `photos` (the folder beside the database)
/// when its file is there: [`pull`] fetches it first. One that is not (the
/// feed applied without its pictures) is said and left out: the person is
/// applied all the same.
pub fn apply(w: &mut Writer<'_>, feed: &Feed, config: &Config, photos: &Path, now: Instant) -> Result<(usize, bool)> {
    let mut rules_changed = false;
    // The schedules the changes are read with: the district's from a
    // `rules` change in this answer on (a roster's day start, a leave's
    // zone), not the ones this process started with.
    let mut current = config.clone();
    let config = &mut current;
    let made_on = config.default_schedule().attendance_day(now);
    // Read in this transaction: a change another pull applied meanwhile
    // (`sync now` beside the running kiosk) is not applied again.
    let held = w.meta(MASTER_VERSION)?.and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    let mut applied = 0;
    for v in feed.changes.iter().filter(|v| v.version > held) {
        let changed = match &v.change {
            Change::Person(p) => {
                let Some(staff) = p.staff() else {
                    skip(w, v, &format!("person {} has role {:?}", p.staff_no, p.role), now)?;
                    continue;
                };
                let mut changed = w.put_staff(&staff, now)?;
                if let Some(name) = &p.photo {
                    match set_photo(w, &p.staff_no, photos, name)? {
                        Some(set) => changed |= set,
                        None => skip(w, v, &format!("photo of {} ({name}) not at the server", p.staff_no), now)?,
                    }
                }
                changed
            }
            Change::Card { card, staff_no, from } => {
                w.know_staff_no(staff_no)?;
                w.assign_card(card, staff_no, *from, made_on, now)?
            }
            Change::Calendar { year, days } => {
                let days: Vec<(NaiveDate, String, bool)> =
                    days.iter().map(|d| (d.date, d.name.clone(), d.off)).collect();
                w.replace_calendar_year(*year, &days, now)?;
                true
            }
            Change::Rules { schedules } => {
                // Checked before it is kept: a kiosk that could not build
                // them would not start again. Refused, it is said and
                // skipped, and the feed goes on.
                if let Err(m) = Config::for_judging(&config.kiosk_id, &config.units, schedules) {
                    skip(w, v, &format!("schedules: {m}"), now)?;
                    continue;
                }
                let json = schedules.to_string();
                let changed = w.meta(MASTER_RULES)?.as_deref() != Some(json.as_str());
                if changed {
                    w.set_meta(MASTER_RULES, &json)?;
                    rules_changed = true;
                }
                config
                    .with_schedules(schedules)
                    .map_err(|m| StoreError::Invalid(format!("the server's schedules: {m}")))?;
                changed
            }
            Change::Roster { staff_no, date, start, end } => {
                let span = ClockSpan { start: *start, end: *end };
                let schedule = w.current_staff(staff_no)?.map(|s| s.schedule).unwrap_or_default();
                if let Some(m) = config.schedule(&schedule).session_refused(&span) {
                    skip(w, v, &format!("roster of {staff_no} on {date}: {m}"), now)?;
                    continue;
                }
                w.know_staff_no(staff_no)?;
                w.add_roster(staff_no, *date, span, now)?
            }
            Change::Leave { staff_no, kind, from, to, approved_by, note } => {
                w.know_staff_no(staff_no)?;
                let schedule = w.current_staff(staff_no)?.map(|s| s.schedule).unwrap_or_default();
                let tz = config.schedule(&schedule).tz;
                let (a, b) = (local_to_instant(tz, *from), local_to_instant(tz, *to));
                if b <= a {
                    skip(w, v, &format!("leave of {staff_no} has no length in its zone"), now)?;
                    continue;
                }
                w.add_leave(staff_no, kind, (a, b), tz, approved_by, note, now)?.is_new()
            }
        };
        if changed {
            applied += 1;
            w.log_action(
                &format!("central:{}", v.made_by),
                "master",
                &format!("v{} {}", v.version, v.change.subject()),
                now,
            )?;
        }
    }
    w.set_meta(MASTER_VERSION, &feed.version.max(held).to_string())?;
    Ok((applied, rules_changed))
}

/// Sets a person's photo from its file in `photos`: whether it changed,
/// or `None` when the file is not here (the server no longer gives it).
fn set_photo(w: &mut Writer<'_>, staff_no: &str, photos: &Path, name: &str) -> Result<Option<bool>> {
    use crate::files::staff::{held_photo, is_photo_name, photo_file};
    if !is_photo_name(name) || !held_photo(&photo_file(photos, name), name) {
        return Ok(None);
    }
    let Some(path) =
        std::path::absolute(photo_file(photos, name)).ok().and_then(|p| p.into_os_string().into_string().ok())
    else {
        return Ok(None);
    };
    if w.photo_of(staff_no)?.as_deref() == Some(path.as_str()) {
        return Ok(Some(false));
    }
    w.set_photo(staff_no, &path)?;
    Ok(Some(true))
}

/// Fetches the photos `feed` names that are not in `photos` yet, each
/// checked against its name (the bytes are the picture the server was
/// given, a JPEG or PNG within the import's limits) before it is kept.
/// Only a person's last photo in the answer is fetched; one the server
/// no longer gives (replaced since: 404) is passed over, and the person
/// is applied without it. Any other failure fails the pull (tried again).
fn fetch_photos(client: &Client, feed: &Feed, photos: &Path) -> std::result::Result<(), PullError> {
    use crate::files::staff::{held_photo, is_photo_name, keep_photo, photo_file, photo_name, MAX_PHOTO_BYTES};
    let mut last: std::collections::BTreeMap<&str, &str> = std::collections::BTreeMap::new();
    for v in &feed.changes {
        if let Change::Person(p) = &v.change {
            if let Some(name) = p.photo.as_deref().filter(|n| is_photo_name(n)) {
                last.insert(&p.staff_no, name);
            }
        }
    }
    let names: std::collections::BTreeSet<&str> = last.into_values().collect();
    for name in names {
        if held_photo(&photo_file(photos, name), name) {
            continue;
        }
        let limit = MAX_PHOTO_BYTES + 1024;
        let (status, bytes) = client.fetch_bytes(&format!("photos/{name}"), limit).map_err(PullError::Server)?;
        match status {
            200 => {}
            404 => {
                eprintln!("sync: photo {name} is no longer at the server; passed over");
                continue;
            }
            s => {
                let body = String::from_utf8_lossy(&bytes);
                return Err(PullError::Server(format!("photos/{name}: {s} {}", body.trim())));
            }
        }
        match photo_name(&bytes) {
            Ok(n) if n == name => {}
            Ok(n) => return Err(PullError::Server(format!("photos/{name}: the bytes are {n}"))),
            Err(m) => return Err(PullError::Server(format!("photos/{name}: {m}"))),
        }
        keep_photo(photos, &bytes).map_err(|e| PullError::Server(format!("photos/{name}: cannot keep it: {e}")))?;
    }
    Ok(())
}

/// A change this kiosk cannot apply: said on the chain (an `actions`
/// record `master skipped`, which goes up to the server) and on stderr,
/// and passed over, so that one bad change does not stop the rest.
fn skip(w: &mut Writer<'_>, v: &crate::domain::master::Versioned, why: &str, now: Instant) -> Result<()> {
    eprintln!("sync: master change {} skipped: {why}", v.version);
    w.log_action(&format!("central:{}", v.made_by), "master skipped", &format!("v{} {why}", v.version), now)
}

/// Stores the doors' punches; returns how many were new. A card unknown
/// here is stored too (enrolled later, at the door or at central, its
/// earlier punches attach, R3). A punch with an unreadable instant is
/// said and skipped: one bad item must not stop the rest.
pub fn store_peers(w: &mut Writer<'_>, p: &PeerPunches, now: Instant) -> Result<usize> {
    let mut added = 0;
    for punch in &p.punches {
        let at = match chrono::DateTime::parse_from_rfc3339(&punch.at) {
            Ok(t) => t.timestamp_millis(),
            Err(e) => {
                eprintln!("sync: peer punch {}#{} skipped: at {:?}: {e}", punch.origin, punch.seq, punch.at);
                continue;
            }
        };
        let origin = format!("{}#{}", punch.origin, punch.seq);
        let owner = PunchOwner::Card(punch.card.clone());
        // Where it was made, as the head's screen says it: the door's
        // display name (侧门), else its id.
        let door = punch.origin_name.as_deref().filter(|n| !n.trim().is_empty()).unwrap_or(&punch.origin);
        let note = Some((origin.as_str(), door));
        if w.add_punch(&owner, at, PunchSource::Reader, punch.clock_synced, note, now)?.is_new() {
            added += 1;
        }
    }
    w.set_meta(PEER_CURSOR, &p.cursor)?;
    w.set_meta(PEERS_PULLED_AT, &now.to_string())?;
    Ok(added)
}

/// What one pull did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Pulled {
    pub changes: usize,
    pub peer_punches: usize,
    /// The district's schedules changed: the kiosk must start again.
    pub rules_changed: bool,
}

/// Pulls the master data (every answer until the server has no more) and
/// the doors' punches. `Err` text: the server could not be reached or
/// answered badly (said in `sync status`); the store's errors as such.
pub fn pull(
    store: &mut Store,
    client: &Client,
    config: &Config,
    now: impl Fn() -> Instant,
) -> std::result::Result<Pulled, PullError> {
    let mut out = Pulled::default();
    loop {
        let since = store.meta(MASTER_VERSION)?.and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
        let (status, body) = client.fetch(&format!("master?since={since}")).map_err(PullError::Server)?;
        match status {
            304 => break,
            200 => {}
            s => return Err(PullError::Server(format!("master: {s} {}", body.trim()))),
        }
        let feed: Feed = serde_json::from_str(&body).map_err(|e| PullError::Server(format!("master: {e}")))?;
        let photos = crate::kiosk::import::photos_dir(store.path());
        fetch_photos(client, &feed, &photos)?;
        // The district's schedules as the store holds them now (an
        // earlier answer of this pull may have brought new ones).
        let mut config = config.clone();
        use_server_rules(&mut config, store)?;
        let mut w = store.writer()?;
        let (n, rules) = apply(&mut w, &feed, &config, &photos, now())?;
        out.changes += n;
        out.rules_changed |= rules;
        w.commit()?;
        if !feed.more {
            break;
        }
    }
    let cursor = store.meta(PEER_CURSOR)?.unwrap_or_default();
    let (status, body) =
        client.fetch(&format!("peer-punches?since={}", urlencode(&cursor))).map_err(PullError::Server)?;
    if status != 200 {
        return Err(PullError::Server(format!("peer-punches: {status} {}", body.trim())));
    }
    let peers: PeerPunches =
        serde_json::from_str(&body).map_err(|e| PullError::Server(format!("peer-punches: {e}")))?;
    let mut w = store.writer()?;
    out.peer_punches = store_peers(&mut w, &peers, now())?;
    w.commit()?;
    Ok(out)
}

#[derive(Debug, thiserror::Error)]
pub enum PullError {
    #[error("{0}")]
    Server(String),
    #[error("{0}")]
    Store(#[from] StoreError),
}

/// A query value: the cursor's `:` and `,` stay readable, the rest is escaped.
fn urlencode(t: &str) -> String {
    t.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b':' | b',' => {
                (b as char).to_string()
            }
            b => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::master::{Person, Versioned};

    fn v(version: u64, change: Change) -> Versioned {
        Versioned { version, made_by: "root".into(), made_at: "2026-12-01T09:00:00+08:00".into(), change }
    }

    fn count(w: &Writer<'_>, sql: &str) -> i64 {
        w.conn().query_row(sql, [], |r| r.get(0)).unwrap()
    }

    /// A `rules` change and a 值班 session of its new night schedule in one
    /// answer: the session is read by the district's schedules, not the
    /// ones the kiosk started with (whose 04:00 day start it crosses);
    /// a photo the server no longer gives is said on the chain, and the
    /// person is applied without it.
    #[test]
    fn changes_after_new_schedules_are_read_with_them_and_a_missing_photo_is_said() {
        let dir = tempfile::tempdir().unwrap();
        let config = Config::parse("kiosk_id = \"k1\"\nunits = [\"办公室\"]\n", Path::new("config.toml")).unwrap();
        let mut store = Store::create(&dir.path().join("dutyclock.sqlite3")).unwrap();
        let person = Person {
            staff_no: "0012".into(),
            name: "张三".into(),
            unit: "办公室".into(),
            schedule: "night".into(),
            role: "staff".into(),
            pin_hash: None,
            active_from: None,
            active_until: None,
            photo: Some(format!("{}.png", "ab".repeat(32))),
        };
        let night = serde_json::json!({
            "default": {},
            "night": { "day_starts_at": "12:00", "sessions": [{ "start": "20:00", "end": "08:00" }] }
        });
        let t = |h| chrono::NaiveTime::from_hms_opt(h, 0, 0).unwrap();
        let date = "2026-12-10".parse().unwrap();
        let feed = Feed {
            version: 3,
            changes: vec![
                v(1, Change::Rules { schedules: night }),
                v(2, Change::Person(person)),
                v(3, Change::Roster { staff_no: "0012".into(), date, start: t(20), end: t(8) }),
            ],
            more: false,
        };
        let mut w = store.writer().unwrap();
        let (applied, rules) = apply(&mut w, &feed, &config, &dir.path().join("photos"), 0).unwrap();
        assert_eq!((applied, rules), (3, true));
        assert_eq!(count(&w, "SELECT count(*) FROM roster WHERE staff_no = '0012' AND start = '20:00'"), 1);
        let skipped =
            "SELECT count(*) FROM actions WHERE action = 'master skipped' AND detail LIKE 'v2 photo of 0012%'";
        assert_eq!(count(&w, skipped), 1);
        w.commit().unwrap();
        assert_eq!(store.photo("0012").unwrap(), None);
        assert_eq!(store.meta(MASTER_VERSION).unwrap().as_deref(), Some("3"));
    }
}
