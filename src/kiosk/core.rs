//! The kiosk core: from a scanned card id to a durable punch and the live
//! event a person sees. The punch is committed (`synchronous=FULL`) before
//! any event is made; the event's meaning comes from the running day kept
//! in memory ([`Attendance`] over the window since yesterday), which is
//! re-read whenever another process has written to the store (a correction
//! from the command line) or the day has turned.

use chrono::NaiveDate;

use crate::attendance::{read_range, Attendance};
use crate::clock::Clock;
use crate::config::Config;
use crate::live::LiveEvent;
use crate::model::{PunchOwner, PunchRow, PunchSource};
use crate::reader::ReaderState;
use crate::rules::{live_meaning, Verdict};
use crate::store::{Store, StoreError};
use crate::time::{rfc3339, Instant};

pub struct Core<'c> {
    config: &'c Config,
    store: Store,
    clock: Box<dyn Clock>,
    att: Attendance<'c>,
    /// The default schedule's attendance day the window was read for.
    day: NaiveDate,
    data_version: i64,
    /// The latest instant seen, to notice a clock that jumps backwards.
    latest: Instant,
    /// The last day this core closed (R11).
    closed_through: Option<NaiveDate>,
    /// Set after this core's own non-scan writes: re-read the running day.
    stale: bool,
    /// Commits since the last WAL checkpoint (see [`Core::maintenance`]).
    uncheckpointed: u32,
}

/// Commits between WAL checkpoints (each scan writes about six pages).
const CHECKPOINT_EVERY: u32 = 150;

impl<'c> Core<'c> {
    pub fn new(config: &'c Config, store: Store, clock: Box<dyn Clock>) -> Result<Self, StoreError> {
        let now = clock.now();
        let day = config.default_schedule().attendance_day(now);
        let latest = store.latest_punch_at()?.unwrap_or(i64::MIN);
        let att = load(config, &store, day, now)?;
        let data_version = store.data_version()?;
        store.set_auto_checkpoint(0)?;
        Ok(Core {
            config,
            store,
            clock,
            att,
            day,
            data_version,
            latest,
            closed_through: None,
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

    /// The running day (yesterday and today), fresh.
    pub fn attendance(&mut self) -> Result<&Attendance<'c>, StoreError> {
        self.refresh(self.clock.now())?;
        Ok(&self.att)
    }

    /// A write of this core's own (a head's leave, a correction): the
    /// running day is read again before it is next used.
    pub fn write<T>(
        &mut self,
        f: impl FnOnce(&mut crate::store::Writer<'_>) -> Result<T, StoreError>,
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
            self.stale = false;
            self.att = load(self.config, &self.store, day, now)?;
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

    /// A scan: records the punch, then says what it means.
    pub fn scan(&mut self, card: &str) -> Result<LiveEvent, StoreError> {
        let now = self.clock.now();
        let mut synced = self.clock.synced();
        if now < self.latest {
            eprintln!(
                "clock: the time went backwards ({} after {}); the punch is flagged",
                self.at(now),
                self.at(self.latest)
            );
            synced = false;
        }
        self.latest = self.latest.max(now);
        let owner = PunchOwner::Card(card.to_string());
        let mut w = self.store.writer()?;
        let inserted = w.add_punch(&owner, now, PunchSource::Reader, Some(synced), None, now)?;
        w.commit()?;
        self.uncheckpointed += 1;
        // Committed: from here on the punch is on disk.
        self.refresh(now)?;
        if !inserted.is_new() {
            // The same card at the same millisecond: one punch (R3).
            return Ok(self.duplicate_or_unknown(card, now));
        }
        let row = PunchRow {
            id: inserted.id(),
            owner,
            at: now,
            source: PunchSource::Reader,
            clock_synced: Some(synced),
            voided: false,
        };
        match self.att.add_punch(row) {
            None => Ok(LiveEvent::UnknownCard { at: self.at(now), card: card.into() }),
            Some((no, Verdict::Accepted)) => Ok(self.punch_event(&no, card, inserted.id(), now, synced)),
            Some((no, _)) => {
                let first = self.att.last_accepted_before(&no, now).unwrap_or(now);
                Ok(LiveEvent::Duplicate { at: self.at(now), card: card.into(), staff_no: no, first_at: self.at(first) })
            }
        }
    }

    fn duplicate_or_unknown(&self, card: &str, now: Instant) -> LiveEvent {
        let probe = PunchRow {
            id: 0,
            owner: PunchOwner::Card(card.into()),
            at: now,
            source: PunchSource::Reader,
            clock_synced: None,
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
        let day = self.att.day(staff, date);
        let before: Vec<Instant> = day.accepted.iter().copied().filter(|&t| t < now).collect();
        let (meaning, minutes) = live_meaning(&day.plan, day.excuses, &day.schedule.thresholds, &before, now);
        LiveEvent::Punch {
            at: self.at(now),
            punch_id: id,
            card: card.into(),
            staff_no: staff.staff_no.clone(),
            name: staff.name.clone(),
            meaning,
            minutes,
            clock_synced: synced,
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

    /// The instant of the next day start (when [`Core::tick`] has work).
    pub fn next_day_start(&self) -> Instant {
        let s = self.config.default_schedule();
        s.day_start(s.attendance_day(self.clock.now()) + chrono::Duration::days(1))
    }

    /// Closes the previous day once a new day has started (R11), and emits
    /// `day_closed` with its revision.
    pub fn tick(&mut self) -> Result<Vec<LiveEvent>, StoreError> {
        let now = self.clock.now();
        let today = self.config.default_schedule().attendance_day(now);
        let Some(yesterday) = today.pred_opt() else {
            return Ok(vec![]);
        };
        if self.closed_through.is_some_and(|d| d >= yesterday) {
            return Ok(vec![]);
        }
        let s = crate::closing::summary(&mut self.store, self.config, yesterday, now)?;
        // A day that some schedule still runs is closed at a later tick.
        if !s.closed {
            return Ok(vec![]);
        }
        self.closed_through = Some(yesterday);
        self.data_version = self.store.data_version()?;
        Ok(vec![LiveEvent::DayClosed { at: self.at(now), date: yesterday.to_string(), revision: s.revision }])
    }
}

fn load<'c>(config: &'c Config, store: &Store, day: NaiveDate, now: Instant) -> Result<Attendance<'c>, StoreError> {
    let (lo, hi) = read_range(config, day, day);
    let snap = store.snapshot(lo, hi, (day - chrono::Duration::days(1), day + chrono::Duration::days(1)))?;
    Ok(Attendance::new(config, snap, now))
}
