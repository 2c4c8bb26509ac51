//! Instants and local wall-clock times.
//!
//! The engine works on [`Instant`]s: milliseconds since the Unix epoch, UTC.
//! Integers keep the rules exact and cheap (a month's report compares
//! hundreds of thousands of them); time zones are applied once per day plan,
//! never per punch.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use chrono_tz::Tz;

/// Milliseconds since 1970-01-01T00:00:00Z.
pub type Instant = i64;

pub const MS_PER_MINUTE: i64 = 60_000;

/// Whole minutes of a duration, rounded down (RULES.md: `floor(seconds / 60)`).
/// Negative durations count as zero: figures are never negative.
pub fn whole_minutes(ms: i64) -> u32 {
    if ms <= 0 {
        0
    } else {
        u32::try_from(ms / MS_PER_MINUTE).unwrap_or(u32::MAX)
    }
}

/// The instant of a local wall-clock time. In a DST gap the first valid
/// instant after the gap is used; in a fold, the earlier of the two.
/// (Asia/Shanghai has neither; other zones are allowed by config.)
pub fn local_to_instant(tz: Tz, local: NaiveDateTime) -> Instant {
    let mut probe = local;
    for _ in 0..4 {
        if let Some(dt) = tz.from_local_datetime(&probe).earliest() {
            return dt.timestamp_millis();
        }
        probe += Duration::minutes(30);
    }
    // No zone has a gap of more than two hours; treat the time as UTC.
    local.and_utc().timestamp_millis()
}

/// The local date-time of an instant in a zone.
pub fn instant_to_local(tz: Tz, at: Instant) -> NaiveDateTime {
    tz.timestamp_millis_opt(at).single().map(|dt| dt.naive_local()).unwrap_or_default()
}

/// RFC 3339 with the zone's offset, seconds precision (`2026-11-26T08:31:00+08:00`).
pub fn rfc3339(tz: Tz, at: Instant) -> String {
    match tz.timestamp_millis_opt(at).single() {
        Some(dt) => dt.to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
        None => String::from("invalid-time"),
    }
}

/// `HH:MM:SS` local time of an instant, as the summary lists punches.
pub fn clock_time(tz: Tz, at: Instant) -> String {
    instant_to_local(tz, at).format("%H:%M:%S").to_string()
}

/// Parses a time given by a person or a file: RFC 3339 with an offset
/// (`2026-11-26T08:31:00+08:00`, `…Z`), or local `YYYY-MM-DD HH:MM[:SS]`
/// (a `T` instead of the space is accepted too) in the zone given.
pub fn parse_time(text: &str, tz: Tz) -> Result<Instant, String> {
    let t = text.trim();
    if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        return Ok(dt.timestamp_millis());
    }
    for fmt in ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"] {
        if let Ok(local) = NaiveDateTime::parse_from_str(t, fmt) {
            return Ok(local_to_instant(tz, local));
        }
    }
    Err(format!(
        "bad time {t:?}: expected RFC 3339 with an offset (2026-11-26T08:31:00+08:00) \
         or local YYYY-MM-DD HH:MM[:SS]"
    ))
}

/// Parses a local `YYYY-MM-DD HH:MM` (seconds allowed) without a zone.
pub fn parse_local(text: &str) -> Result<NaiveDateTime, String> {
    let t = text.trim();
    for fmt in ["%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"] {
        if let Ok(local) = NaiveDateTime::parse_from_str(t, fmt) {
            return Ok(local);
        }
    }
    Err(format!("bad local time {t:?}: expected YYYY-MM-DD HH:MM"))
}

/// Parses `YYYY-MM-DD`.
pub fn parse_date(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|_| format!("bad date {:?}: expected YYYY-MM-DD", text.trim()))
}

/// Parses a wall-clock `HH:MM` (or `HH:MM:SS`).
pub fn parse_clock(text: &str) -> Result<NaiveTime, String> {
    let t = text.trim();
    NaiveTime::parse_from_str(t, "%H:%M")
        .or_else(|_| NaiveTime::parse_from_str(t, "%H:%M:%S"))
        .map_err(|_| format!("bad time of day {t:?}: expected HH:MM"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minutes_round_down_and_never_negative() {
        assert_eq!(whole_minutes(59_999), 0);
        assert_eq!(whole_minutes(60_000), 1);
        assert_eq!(whole_minutes(11 * 60_000 + 59_000), 11);
        assert_eq!(whole_minutes(-5), 0);
    }

    #[test]
    fn local_and_rfc3339_parse_to_the_same_instant() {
        let tz: Tz = "Asia/Shanghai".parse().unwrap();
        let a = parse_time("2026-11-26T08:31:00+08:00", tz).unwrap();
        let b = parse_time("2026-11-26 08:31", tz).unwrap();
        let c = parse_time("2026-11-26T00:31:00Z", tz).unwrap();
        assert_eq!(a, b);
        assert_eq!(a, c);
        assert_eq!(rfc3339(tz, a), "2026-11-26T08:31:00+08:00");
        assert_eq!(clock_time(tz, a), "08:31:00");
        assert!(parse_time("26/11/2026 08:31", tz).is_err());
    }

    #[test]
    fn dst_gap_moves_forward() {
        let tz: Tz = "Europe/Berlin".parse().unwrap();
        let gap = parse_local("2026-03-29 02:30").unwrap();
        let after = parse_local("2026-03-29 03:00").unwrap();
        assert_eq!(local_to_instant(tz, gap), local_to_instant(tz, after));
    }
}
