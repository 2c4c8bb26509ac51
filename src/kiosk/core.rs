//! The kiosk core: from a scanned card id to a durable punch and the live
//! event a person sees. The punch is committed (`synchronous=FULL`) before
//! any event is made; the event's meaning comes from the running day kept
//! in memory ([`Attendance`] over the window since yesterday), which is
//! re-read whenever another process has written to the store (a correction
//! from the command line), this core wrote something else, or the day has
//! turned. A scan that cannot be stored (the store stays busy, the disk
//! fails) is told as `not_recorded`, never only logged.

use chrono::NaiveDate;

use crate::domain::attendance::{read_range, Attendance};
use crate::domain::config::Config;
use crate::domain::model::{PunchOwner, PunchRow, PunchSource};
use crate::domain::rules::Verdict;
use crate::domain::time::{rfc3339, Instant};
use crate::kiosk::clock::Clock;
use crate::kiosk::closing::Backlog;
use crate::kiosk::live::{LiveEvent, Purpose};
use crate::kiosk::reader::ReaderState;
use crate::kiosk::store::{Inserted, Store, StoreError};

pub struct Core<'c> {
    config: &'c Config,
    store: Store,
    /// Held while the core runs (`<db>.run-lock`): `restore` never
    /// replaces a database a kiosk has open.
    _running: Option<std::sync::Arc<std::fs::File>>,
    clock: Box<dyn Clock>,
    att: Attendance<'c>,
    /// The default schedule's attendance day the window was read for.
    day: NaiveDate,
    data_version: i64,
    /// Another writer's changes (the command line's corrections, leave,
    /// imports): the store's version when they were last looked for, and
    /// the last record of the chain looked at.
    others_version: i64,
    journal_seen: u64,
    /// The latest instant of this kiosk's own scans with a synchronized
    /// clock, to notice a clock that jumps backwards (imports, which may be
    /// future-dated by a typo, never seed it).
    latest: Instant,
    /// The days still to close (R11), oldest first.
    backlog: Backlog,
    /// Whether the clock was synchronized at the last look: when it becomes
    /// so, the start is settled (`closing::settle_anchor`) and the days to
    /// close are read again under the true time.
    was_synced: bool,
    /// Set after this core's own non-scan writes: re-read the running day.
    stale: bool,
    /// Commits since the last WAL checkpoint (see [`Core::maintenance`]).
    uncheckpointed: u32,
}

/// Commits between WAL checkpoints (each scan writes about six pages).
const CHECKPOINT_EVERY: u32 = 150;

/// How far back a scan's time may lie behind the latest before the clock
/// counts as having gone backwards.
const BACKWARDS_TOLERANCE_MS: i64 = 2_000;

/// Attempts to store a scan while another process holds the write lock
/// (each waits the store's busy timeout).
const SCAN_ATTEMPTS: u32 = 3;

/// The locks this process's cores hold, by database: a core started
/// again in the same process (the UI's worker after a fault) shares its
/// predecessor's while that one winds down.
static RUN_LOCKS: std::sync::Mutex<Vec<(std::path::PathBuf, std::sync::Weak<std::fs::File>)>> =
    std::sync::Mutex::new(Vec::new());

/// The lock a running kiosk holds on its database (`<db>.run-lock`).
/// `Ok(None)`: the lock file cannot be made (a read-only directory, where
/// no restore can run either). `Err`: another process holds it (a
/// `restore --from-central` building this database, or a second kiosk):
/// the kiosk must not open a database that is about to be replaced.
fn run_lock(db: &std::path::Path) -> Result<Option<std::sync::Arc<std::fs::File>>, StoreError> {
    let path = run_lock_path(db);
    let mut held = RUN_LOCKS.lock().unwrap_or_else(|e| e.into_inner());
    held.retain(|(_, w)| w.strong_count() > 0);
    if let Some(shared) = held.iter().find(|(p, _)| *p == path).and_then(|(_, w)| w.upgrade()) {
        return Ok(Some(shared));
    }
    let Ok(f) = std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(&path) else {
        return Ok(None);
    };
    match f.try_lock() {
        Ok(()) => {
            let f = std::sync::Arc::new(f);
            held.push((path, std::sync::Arc::downgrade(&f)));
            Ok(Some(f))
        }
        Err(std::fs::TryLockError::WouldBlock) => Err(StoreError::Invalid(format!(
            "{} is held by another process (a restore building this database, or another kiosk): not started",
            path.display()
        ))),
        Err(std::fs::TryLockError::Error(_)) => Ok(None),
    }
}

/// Where a running kiosk's lock is, beside its database.
pub fn run_lock_path(db: &std::path::Path) -> std::path::PathBuf {
    let mut p = db.as_os_str().to_owned();
    p.push(".run-lock");
    std::path::PathBuf::from(p)
}

/// How far back the kiosk closes days on its own; older days (a historic
/// import) are closed when `dutyclock summary` asks for them.
const BACKLOG_DAYS: i64 = 366;

impl<'c> Core<'c> {
    pub fn new(config: &'c Config, mut store: Store, clock: Box<dyn Clock>) -> Result<Self, StoreError> {
        // Before anything is written.
        let _running = run_lock(store.path())?;
        store.pin_legacy_leave(config)?;
        let now = clock.now();
        let day = config.default_schedule().attendance_day(now);
        let latest = store.latest_scan_at()?.unwrap_or(Instant::MIN);
        // The version first: a write that lands after it is seen by the next refresh.
        let data_version = store.data_version()?;
        let journal_seen = store.chain_length()?;
        let att = load(config, &store, day, now)?;
        crate::kiosk::closing::settle_anchor(&mut store, clock.as_ref())?;
        let was_synced = clock.synced();
        let backlog = Backlog::load(&store, config, now)?;
        store.set_auto_checkpoint(0)?;
        Ok(Core {
            config,
            store,
            _running,
            clock,
            att,
            day,
            data_version,
            others_version: data_version,
            journal_seen,
            latest,
            backlog,
            was_synced,
            stale: false,
            uncheckpointed: 0,
        })
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn config(&self) -> &'c Config {
        self.config
    }

    /// The current instant by the injected clock.
    pub fn now(&self) -> Instant {
        self.clock.now()
    }

    /// The current instant and whether the clock is synchronized, read together.
    pub fn read_clock(&self) -> (Instant, bool) {
        self.clock.read()
    }

    /// The running day (yesterday and today), fresh.
    pub fn attendance(&mut self) -> Result<&Attendance<'c>, StoreError> {
        self.refresh(self.clock.now())?;
        Ok(&self.att)
    }

    /// A write of this core's own (a head's leave, a correction): the
    /// running day is read again before it is next used.
    pub fn write<T>(
        &mut self,
        f: impl FnOnce(&mut crate::kiosk::store::Writer<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut w = self.store.writer()?;
        let out = f(&mut w)?;
        w.commit()?;
        self.stale = true;
        self.uncheckpointed += 1;
        Ok(out)
    }

    /// The running day, read again if the store changed under us or the day turned.
    fn refresh(&mut self, now: Instant) -> Result<(), StoreError> {
        let day = self.config.default_schedule().attendance_day(now);
        let version = self.store.data_version()?;
        if day != self.day || version != self.data_version || self.stale {
            self.att = load(self.config, &self.store, day, now)?;
            self.stale = false;
            self.day = day;
            self.data_version = version;
        }
        self.att.set_now(now);
        Ok(())
    }

    fn at(&self, t: Instant) -> String {
        rfc3339(self.config.default_schedule().tz, t)
    }

    /// The `ready` event.
    pub fn ready(&self) -> LiveEvent {
        LiveEvent::Ready {
            at: self.at(self.clock.now()),
            kiosk_id: self.config.kiosk_id.clone(),
            reader: self.config.reader.kind.as_str().into(),
        }
    }

    /// A reader's state change.
    pub fn reader(&self, state: ReaderState, detail: String) -> LiveEvent {
        LiveEvent::Reader { at: self.at(self.clock.now()), state, detail }
    }

    /// A scan read just now: records the punch, then says what it means.
    /// Never fails: a punch that could not be stored is `not_recorded`.
    pub fn scan(&mut self, card: &str) -> LiveEvent {
        let now = self.clock.now();
        self.scan_at(card, now)
    }

    /// A scan read at `read_at` (by this core's clock), perhaps a moment
    /// ago: the punch is stamped with the time its card was read, so a scan
    /// that waited in the queue (behind a store held by an import) is not
    /// made late by the wait.
    pub fn scan_at(&mut self, card: &str, read_at: Instant) -> LiveEvent {
        let synced = self.clock.synced();
        self.scan_read(card, read_at, synced)
    }

    /// A scan read at `read_at` on a clock that was synchronized then or
    /// not (`synced`, read with the instant: see [`Clock::read`]).
    pub fn scan_read(&mut self, card: &str, read_at: Instant, synced: bool) -> LiveEvent {
        let now = read_at;
        let recorded = self.clock.now();
        let mut synced = synced;
        // Two sources (the reader, a typed id) may stamp a few ms out of
        // order; a clock that went back further than that is flagged.
        if now < self.latest.saturating_sub(BACKWARDS_TOLERANCE_MS) {
            eprintln!(
                "clock: the time went backwards ({} after {}); the punch is flagged",
                self.at(now),
                self.at(self.latest)
            );
            synced = false;
        }
        let owner = PunchOwner::Card(card.to_string());
        let inserted = match self.store_scan(&owner, now, synced, recorded) {
            Ok(i) => i,
            Err(e) => {
                eprintln!("store: scan of {card} not recorded: {e}");
                return LiveEvent::NotRecorded {
                    at: self.at(now),
                    card: card.into(),
                    detail: e.for_the_door(self.store.path()),
                };
            }
        };
        // Committed: from here on the punch is on disk, and the event says so
        // even if the running day cannot be read again (it is then a little stale).
        if synced {
            self.latest = self.latest.max(now);
        }
        // A punch of a day already closed (read just before its end, stored
        // just after): that day is closed again.
        self.changed(now, now);
        self.uncheckpointed += 1;
        if let Err(e) = self.refresh(now) {
            eprintln!("store: the running day was not re-read: {e}");
        }
        if !inserted.is_new() {
            // The same card at the same millisecond: one punch (R3).
            return self.duplicate_or_unknown(card, now);
        }
        let row = PunchRow {
            id: inserted.id(),
            owner,
            at: now,
            source: PunchSource::Reader,
            clock_synced: Some(synced),
            origin: None,
            voided: false,
        };
        match self.att.add_punch(row) {
            None => LiveEvent::UnknownCard { at: self.at(now), card: card.into() },
            Some((no, Verdict::Accepted)) => self.punch_event(&no, card, inserted.id(), now, synced),
            Some((no, _)) => {
                let first = self.att.last_accepted_before(&no, now).unwrap_or(now);
                LiveEvent::Duplicate { at: self.at(now), card: card.into(), staff_no: no, first_at: self.at(first) }
            }
        }
    }

    /// Inserts and commits a scan's punch, waiting out another process's
    /// write lock (an import) a few times before giving up.
    fn store_scan(
        &mut self,
        owner: &PunchOwner,
        at: Instant,
        synced: bool,
        recorded: Instant,
    ) -> Result<Inserted, StoreError> {
        let mut attempt = 1;
        let mut reopened = false;
        loop {
            let result = (|| -> Result<Inserted, StoreError> {
                let mut w = self.store.writer()?;
                let inserted = w.add_punch(owner, at, PunchSource::Reader, Some(synced), None, recorded)?;
                w.commit()?;
                Ok(inserted)
            })();
            match result {
                Err(e) if e.is_busy() && attempt < SCAN_ATTEMPTS => {
                    eprintln!("store: busy (another program is writing), retrying the scan ({attempt})");
                    attempt += 1;
                }
                // Opened while the disk was read-only, the connection stays
                // read-only: once the disk takes writes again, a new one.
                Err(e) if !reopened && e.disk_is_back(self.store.path()) => {
                    eprintln!("store: the disk takes writes again ({e}): opening the database anew");
                    reopened = true;
                    self.store.reopen()?;
                }
                other => return other,
            }
        }
    }

    /// A card read for an identification (查询 or 管理 armed on the idle
    /// screen): whose card it is at `read_at`, and the look-up logged as
    /// an action (who, when, what for). No punch is stored: looking is not
    /// punching. A store that cannot take the action's row does not stop
    /// the look-up (it changes nothing); it is said on the log.
    pub fn identify(&mut self, card: &str, read_at: Instant, purpose: Purpose) -> LiveEvent {
        if let Err(e) = self.refresh(read_at) {
            eprintln!("store: the running day was not re-read: {e}");
        }
        let probe = PunchRow {
            id: 0,
            owner: PunchOwner::Card(card.into()),
            at: read_at,
            source: PunchSource::Reader,
            clock_synced: None,
            origin: None,
            voided: false,
        };
        let who = self
            .att
            .owner(&probe)
            .and_then(|no| self.att.staff_member(&no).map(|s| (s.staff_no.clone(), s.name.clone())));
        let actor = who.as_ref().map_or(String::new(), |w| w.0.clone());
        let detail = format!("card {card}");
        if let Err(e) = self.write(|w| w.log_action(&actor, purpose.action(), &detail, read_at)) {
            eprintln!("store: the look-up of {card} was not logged: {e}");
        }
        let (staff_no, name) = who.unzip();
        LiveEvent::Identified { at: self.at(read_at), card: card.into(), purpose, staff_no, name }
    }

    fn duplicate_or_unknown(&self, card: &str, now: Instant) -> LiveEvent {
        let probe = PunchRow {
            id: 0,
            owner: PunchOwner::Card(card.into()),
            at: now,
            source: PunchSource::Reader,
            clock_synced: None,
            origin: None,
            voided: false,
        };
        match self.att.owner(&probe) {
            Some(no) => {
                LiveEvent::Duplicate { at: self.at(now), card: card.into(), staff_no: no, first_at: self.at(now) }
            }
            None => LiveEvent::UnknownCard { at: self.at(now), card: card.into() },
        }
    }

    fn punch_event(&self, no: &str, card: &str, id: i64, now: Instant, synced: bool) -> LiveEvent {
        let Some(staff) = self.att.staff_member(no) else {
            return LiveEvent::UnknownCard { at: self.at(now), card: card.into() };
        };
        let date = self.att.schedule(staff).attendance_day(now);
        let live = self.att.day(staff, date).live(now);
        LiveEvent::Punch {
            at: self.at(now),
            punch_id: id,
            card: card.into(),
            staff_no: staff.staff_no.clone(),
            name: staff.name.clone(),
            meaning: live.meaning,
            minutes: live.minutes,
            clock_synced: synced,
            absent: live.absent,
            missing_in: live.missing_in,
        }
    }

    /// Work kept out of the scan path, run after an event has been emitted:
    /// a WAL checkpoint every so many commits (SQLite's own would land
    /// inside a scan's commit).
    pub fn maintenance(&mut self) -> Result<(), StoreError> {
        if self.uncheckpointed >= CHECKPOINT_EVERY {
            self.store.checkpoint()?;
            self.uncheckpointed = 0;
        }
        Ok(())
    }

    /// Records of `[from, to]` changed (a scan of a closed day, a head's
    /// correction or leave): each closed day they touch is closed again,
    /// which stores the next revision when its figures changed (R11).
    pub fn changed(&mut self, from: Instant, to: Instant) {
        for s in self.config.schedules.values() {
            let (first, last) = (s.attendance_day(from), s.attendance_day(to.max(from)));
            for d in first.iter_days().take_while(|d| *d <= last).take(400) {
                self.backlog.changed(d);
            }
        }
    }

    /// Another writer's records (a correction or leave from the command
    /// line, an import) touching closed days: those days are closed again
    /// like this core's own changes. Looked for when the store's version
    /// moved since the last look; the event loop wakes at least once a
    /// minute, so such a day gets its next revision within a minute.
    pub fn notice_others(&mut self) -> Result<(), StoreError> {
        let version = self.store.data_version()?;
        if version == self.others_version {
            return Ok(());
        }
        self.others_version = version;
        let touched = self.store.touched_since(self.journal_seen)?;
        self.journal_seen = touched.last;
        for (from, to) in touched.spans {
            self.changed(from, to);
        }
        for d in touched.dates {
            self.backlog.changed(d);
        }
        Ok(())
    }

    /// When [`Core::tick`] next has work: the instant the oldest day not yet
    /// closed is over for every schedule (now, while a backlog remains).
    /// Nothing the core does on its own can change before then.
    pub fn next_due(&mut self) -> Instant {
        self.skip_old_backlog();
        self.backlog.next_due_at(self.config)
    }

    /// Days older than the backlog window are left to `dutyclock summary`.
    fn skip_old_backlog(&mut self) {
        let today = self.config.default_schedule().attendance_day(self.clock.now());
        let oldest = today - chrono::Duration::days(BACKLOG_DAYS);
        self.backlog.skip_before(oldest);
    }

    /// Closes the oldest day that is over and not yet closed (R11), one a
    /// call so that scans are never kept waiting behind a long backlog, and
    /// returns its `day_closed` event.
    pub fn tick(&mut self) -> Result<Option<LiveEvent>, StoreError> {
        let now = self.clock.now();
        self.notice_others()?;
        // A synchronized clock at last (the server's time arrived): the
        // start anchored on the unsynchronized one is corrected, and what
        // is due is read again under the true time.
        let synced = self.clock.synced();
        if synced && !self.was_synced {
            crate::kiosk::closing::settle_anchor(&mut self.store, self.clock.as_ref())?;
            self.backlog.reload(&self.store, self.config, now)?;
        }
        self.was_synced = synced;
        self.skip_old_backlog();
        let Some(date) = self.backlog.due(self.config, now) else {
            return Ok(None);
        };
        // A panic while closing (a bug no input should reach) is a failure
        // of that day, like a malformed record: the kiosk goes on.
        let closing = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            crate::kiosk::closing::summary(&mut self.store, self.config, date, now)
        }))
        .unwrap_or_else(|p| Err(StoreError::Invalid(crate::kiosk::event_loop::panic_text(&p))));
        let s = match closing {
            Ok(s) => s,
            // A malformed record of that day: the day is left for
            // `dutyclock summary`, and the days after it go on.
            Err(e) if e.is_malformed() => {
                self.backlog.closed(date);
                return Err(StoreError::Invalid(format!(
                    "{date} could not be closed and is skipped (close it with dutyclock summary --date {date} once repaired): {e}"
                )));
            }
            // Busy, a full disk, an I/O error: the same day again later.
            Err(e) => return Err(e),
        };
        self.backlog.closed(date);
        self.uncheckpointed += 1;
        Ok(Some(LiveEvent::DayClosed { at: self.at(now), date: date.to_string(), revision: s.revision }))
    }
}

fn load<'c>(config: &'c Config, store: &Store, day: NaiveDate, now: Instant) -> Result<Attendance<'c>, StoreError> {
    let (lo, hi) = read_range(config, day, day);
    let snap = store.snapshot(lo, hi, (day - chrono::Duration::days(1), day + chrono::Duration::days(1)))?;
    Ok(Attendance::new(config, snap, now))
}
