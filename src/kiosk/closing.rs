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
    s.rules_version = Some(w.rules_version(&config.rules)?);
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
        latest => {
            s.revision = latest.map_or(1, |(rev, _)| rev + 1);
            let json = serde_json::to_string(&s).map_err(|e| StoreError::Invalid(e.to_string()))?;
            w.add_summary(date, s.revision, &json, &s.generated_at)?;
            w.commit()?;
        }
    }
    Ok(s)
}

/// Which days the kiosk still has to close, oldest first: every day since
/// it began (its first staff import or own scan), except those with a
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
    /// first scan with a synchronized clock, or today) are not its to
    /// close on its own.
    pub fn load(store: &Store, config: &Config, now: Instant) -> Result<Backlog, StoreError> {
        let schedule = config.default_schedule();
        let first = store.began_at()?.unwrap_or(now).min(now);
        let next = schedule.attendance_day(first);
        let stored = store.summary_dates(next)?.into_iter().collect();
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
        if let Some(&d) = self.redo.iter().next() {
            return Some(d);
        }
        let d = self.oldest();
        (now >= close_instant(config, d)).then_some(d)
    }

    /// When the next day becomes due: nothing can change before then.
    pub fn next_due_at(&mut self, config: &Config) -> Instant {
        if !self.redo.is_empty() {
            return Instant::MIN;
        }
        let d = self.oldest();
        close_instant(config, d)
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
