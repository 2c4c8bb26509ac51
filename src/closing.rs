//! Closing days (RULES.md R11): a finished day's summary is stored as
//! revision 1; a later change that alters its content stores the next
//! revision; an unchanged recomputation keeps its revision.

use chrono::NaiveDate;

use crate::attendance::{read_range, Attendance};
use crate::config::Config;
use crate::store::{Store, StoreError};
use crate::summary::{self, DailySummary};
use crate::time::Instant;

/// Computes a day's summary; a closed day is numbered: unchanged content
/// keeps the stored revision, changed content stores the next (R11).
pub fn summary(store: &mut Store, config: &Config, date: NaiveDate, now: Instant) -> Result<DailySummary, StoreError> {
    let (from, to) = read_range(config, date, date);
    let snap = store.snapshot(from, to, (date, date))?;
    let att = Attendance::new(config, snap, now);
    let mut s = summary::daily(&att, date);
    if !s.closed {
        return Ok(s);
    }
    let latest = store.latest_summary(date)?;
    let key = s.content_key();
    match latest {
        Some((rev, content))
            if serde_json::from_str::<DailySummary>(&content).is_ok_and(|old| old.content_key() == key) =>
        {
            s.revision = rev;
        }
        latest => {
            s.revision = latest.map_or(1, |(rev, _)| rev + 1);
            let json = serde_json::to_string(&s).map_err(|e| StoreError::Invalid(e.to_string()))?;
            let mut w = store.writer()?;
            w.add_summary(date, s.revision, &json, &s.generated_at)?;
            w.commit()?;
        }
    }
    Ok(s)
}
