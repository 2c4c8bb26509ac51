//! Closing days (RULES.md R11): a finished day's summary is stored as
//! revision 1; a later change that alters its content stores the next
//! revision; an unchanged recomputation keeps its revision.
//!
//! A closed day is judged and numbered inside one write transaction: the
//! snapshot it is judged from, the latest revision it is compared with and
//! the new revision it stores are one atomic step, so two writers (the
//! kiosk closing a day and `dutyclock summary` at the same moment) never
//! both store revision N+1, and never store a stale judgement over a newer
//! one.

use chrono::NaiveDate;

use crate::domain::attendance::{close_instant, read_range, Attendance};
use crate::domain::config::Config;
use crate::domain::summary::{self, DailySummary};
use crate::domain::time::Instant;
use crate::kiosk::clock::Clock;
use crate::kiosk::store::{Store, StoreError};

/// Computes a day's summary; a closed day is numbered: unchanged content
/// keeps the stored revision, changed content stores the next (R11).
pub fn summary(store: &mut Store, config: &Config, date: NaiveDate, now: Instant) -> Result<DailySummary, StoreError> {
    let (from, to) = read_range(config, date, date);
    if now < close_instant(config, date) {
        // Still running: nothing to number or store.
        let att = Attendance::new(config, store.snapshot(from, to, (date, date))?, now);
        return Ok(summary::daily(&att, date));
    }
    let mut w = store.writer()?;
    let att = Attendance::new(config, w.snapshot(from, to, (date, date))?, now);
    let mut s = summary::daily(&att, date);
    let key = s.content_key();
    let (length, head) = w.chain_position()?;
    (s.chain_length, s.chain_head) = (Some(length), Some(head));
    s.rules_version = Some(w.rules_version(&config.rules, &config.units)?);
    match w.latest_summary(date)? {
        Some((rev, content))
            if serde_json::from_str::<serde_json::Value>(&content)
                .is_ok_and(|old| summary::content_key(&old) == key) =>
        {
            // The stored revision stands, with the chain position it was made at.
            s.revision = rev;
            let stored: serde_json::Value = serde_json::from_str(&content).unwrap_or_default();
            s.chain_length = stored.get("chain_length").and_then(serde_json::Value::as_u64);
            s.chain_head = stored.get("chain_head").and_then(|h| h.as_str()).map(str::to_string);
            s.rules_version = stored.get("rules_version").and_then(serde_json::Value::as_u64);
        }
        _ => {
            // After the latest stored, and after any revision the server
            // held of a card that died (`restore --from-central`).
            s.revision = w.next_revision(date)?;
            let json = serde_json::to_string(&s).map_err(|e| StoreError::Invalid(e.to_string()))?;
            w.add_summary(date, s.revision, &json, &s.generated_at)?;
            w.commit()?;
        }
    }
    Ok(s)
}

/// The store's setting that says when the kiosk went into service.
const ANCHOR: &str = "service.began";

use crate::kiosk::clock::NO_SERVICE_BEFORE_MS;

/// How far back of the first synchronized time an anchor taken on an
/// unsynchronized clock in an earlier boot is believed: a kiosk off for
/// up to a month closes that month; an older anchor is more likely a clock
/// that was never set (an image's date) than a month-long outage, and is
/// moved to a month back.
const UNTRUSTED_REACH_MS: Instant = 31 * 86_400_000;

/// When the kiosk went into service: its first run, on the clock it had
/// then, and whether that clock was synchronized (with the boot it ran in,
/// to correct it later).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct Anchor {
    at_ms: Instant,
    trusted: bool,
    #[serde(default)]
    boot: Option<(String, i64)>,
}

/// Anchors the kiosk's start at its first run, so that days it was off
/// are closed even if no scan ever happened on a synchronized clock (an
/// intranet without a time server). An anchor taken on an unsynchronized
/// clock is corrected at the first synchronized moment: in the same boot
/// exactly (the time since the boot elapsed as it should); in a later
/// boot it stands unless it lies in the future (then it is now) or more
/// than [`UNTRUSTED_REACH_MS`] back (then it is that far back). A clock
/// earlier than [`NO_SERVICE_BEFORE_MS`] anchors nothing. Returns whether
/// the anchor changed.
pub fn settle_anchor(store: &mut Store, clock: &dyn Clock) -> Result<bool, StoreError> {
    let (now, synced) = (clock.now(), clock.synced());
    let held: Option<Anchor> = store.meta(ANCHOR)?.and_then(|t| serde_json::from_str(&t).ok());
    let next = match held {
        Some(a) if a.trusted => return Ok(false),
        Some(_) if !synced => return Ok(false),
        None if !synced && now < NO_SERVICE_BEFORE_MS => return Ok(false),
        None => Anchor { at_ms: now, trusted: synced, boot: if synced { None } else { clock.boot() } },
        Some(a) => {
            let at = match (&a.boot, clock.boot()) {
                (Some((then_boot, then_ms)), Some((boot, ms))) if *then_boot == boot => now - (ms - then_ms),
                _ => a.at_ms.max(now - UNTRUSTED_REACH_MS),
            };
            Anchor { at_ms: at.min(now), trusted: true, boot: None }
        }
    };
    let text = serde_json::to_string(&next).map_err(|e| StoreError::Invalid(e.to_string()))?;
    let mut w = store.writer()?;
    w.set_meta(ANCHOR, &text)?;
    w.commit()?;
    Ok(true)
}

/// A restored store's start (`restore --from-central`): trusted, at `at`
/// (the last day it closed), so the days since its last sync close.
pub fn anchor_restored(store: &mut Store, at: Instant) -> Result<(), StoreError> {
    let text = serde_json::to_string(&Anchor { at_ms: at, trusted: true, boot: None })
        .map_err(|e| StoreError::Invalid(e.to_string()))?;
    let mut w = store.writer()?;
    w.set_meta(ANCHOR, &text)?;
    w.commit()
}

/// When the kiosk's service began, as anchored.
fn anchored(store: &Store) -> Result<Option<Instant>, StoreError> {
    Ok(store.meta(ANCHOR)?.and_then(|t| serde_json::from_str::<Anchor>(&t).ok()).map(|a| a.at_ms))
}

/// Which days the kiosk still has to close, oldest first: every day since
/// it began (its first run, or its first own scan on a synchronized
/// clock, whichever is earlier), except those with a
/// stored summary. A kiosk that was
/// off for a week closes all seven days when it starts; gaps left by an
/// older version (which closed only yesterday) are filled too.
#[derive(Debug, Clone)]
pub struct Backlog {
    /// The first day the kiosk closes on its own.
    began: NaiveDate,
    /// The oldest day that may still need closing.
    next: NaiveDate,
    /// Days on or after `next` that already have a stored summary.
    stored: std::collections::BTreeSet<NaiveDate>,
    /// Closed days that changed since (a scan read before the day ended
    /// but stored after, a head's correction): closed again, oldest first,
    /// which stores the next revision when the figures changed (R11).
    redo: std::collections::BTreeSet<NaiveDate>,
}

impl Backlog {
    /// Reads what is closed already. Days before the kiosk began (its
    /// anchored first run or its first scan with a synchronized clock, or
    /// today) are not its to close on its own.
    pub fn load(store: &Store, config: &Config, now: Instant) -> Result<Backlog, StoreError> {
        let schedule = config.default_schedule();
        // Not bounded by `now`: a clock behind the start (a Pi that booted
        // on a saved time, before the server's time arrives) must not open
        // the days before it.
        let first = [store.began_at()?, anchored(store)?].into_iter().flatten().min().unwrap_or(now);
        let next = schedule.attendance_day(first);
        // A day not over is not closed, whatever is stored for it (closed
        // while the clock ran ahead).
        let stored = store.summary_dates(next)?.into_iter().filter(|d| close_instant(config, *d) <= now).collect();
        Ok(Backlog { began: next, next, stored, redo: Default::default() })
    }

    /// The oldest day not yet closed.
    fn oldest(&mut self) -> NaiveDate {
        while self.stored.remove(&self.next) {
            self.next = self.next.succ_opt().unwrap_or(self.next);
        }
        self.next
    }

    /// The day to close now, if one is due (over for every schedule).
    pub fn due(&mut self, config: &Config, now: Instant) -> Option<NaiveDate> {
        // A day to close again once it is over (a day not over is the
        // running day: closing it stores nothing).
        if let Some(&d) = self.redo.iter().next().filter(|d| now >= close_instant(config, **d)) {
            return Some(d);
        }
        let d = self.oldest();
        (now >= close_instant(config, d)).then_some(d)
    }

    /// When the next day becomes due: nothing can change before then.
    pub fn next_due_at(&mut self, config: &Config) -> Instant {
        let redo = self.redo.iter().next().map(|d| close_instant(config, *d));
        let d = self.oldest();
        redo.map_or(close_instant(config, d), |r| r.min(close_instant(config, d)))
    }

    /// Leaves days before `oldest` alone.
    pub fn skip_before(&mut self, oldest: NaiveDate) {
        self.began = self.began.max(oldest);
        self.next = self.next.max(oldest);
        self.redo = self.redo.split_off(&oldest);
    }

    /// A record of `date` changed: close it again if it was closed (days
    /// before the kiosk began are `summary`'s, not the kiosk's).
    pub fn changed(&mut self, date: NaiveDate) {
        if date >= self.began && (date < self.next || self.stored.contains(&date)) {
            self.redo.insert(date);
        }
    }

    /// The kiosk's start was anchored anew: reads what to close again,
    /// keeping the closed days to close again.
    pub fn reload(&mut self, store: &Store, config: &Config, now: Instant) -> Result<(), StoreError> {
        let redo = std::mem::take(&mut self.redo);
        *self = Backlog::load(store, config, now)?;
        self.redo = redo;
        Ok(())
    }

    /// Marks a day closed.
    pub fn closed(&mut self, date: NaiveDate) {
        if self.redo.remove(&date) {
            return;
        }
        if date == self.next {
            self.next = date.succ_opt().unwrap_or(date);
        } else {
            self.stored.insert(date);
        }
    }
}
