//! Schedules (作息时间) and the plan of one attendance day (RULES.md R1, R2, R4).
//!
//! A schedule is given in wall-clock times; a [`DayPlan`] turns one date of it
//! into instants once, so the rules below compare integers only.

use chrono::{Datelike, Duration, NaiveDate, NaiveTime, Weekday};
use chrono_tz::Tz;

use crate::domain::time::{local_to_instant, Instant};

/// A `{start, end}` pair of wall-clock times. An end that is not after the
/// start lies on the next calendar day (a night session).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockSpan {
    pub start: NaiveTime,
    pub end: NaiveTime,
}

/// The sessions of a day and the breaks inside them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timetable {
    pub sessions: Vec<ClockSpan>,
    pub breaks: Vec<ClockSpan>,
}

/// A summer or winter timetable: `from`/`to` are (month, day), inclusive,
/// and may wrap over New Year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Season {
    pub from: (u32, u32),
    pub to: (u32, u32),
    pub timetable: Timetable,
}

impl Season {
    fn contains(&self, date: NaiveDate) -> bool {
        let md = (date.month(), date.day());
        if self.from <= self.to {
            self.from <= md && md <= self.to
        } else {
            md >= self.from || md <= self.to
        }
    }
}

/// The thresholds of RULES.md, in the units the config uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thresholds {
    pub late_grace_minutes: u32,
    pub early_grace_minutes: u32,
    pub absent_after_minutes: u32,
    pub off_post_grace_minutes: u32,
    pub duplicate_scan_seconds: u32,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            late_grace_minutes: 0,
            early_grace_minutes: 0,
            absent_after_minutes: 30,
            off_post_grace_minutes: 10,
            duplicate_scan_seconds: 60,
        }
    }
}

/// A validated schedule (`[schedules.NAME]`).
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    pub name: String,
    pub tz: Tz,
    pub day_starts_at: NaiveTime,
    /// Indexed by `Weekday::num_days_from_monday()`.
    pub workdays: [bool; 7],
    pub timetable: Timetable,
    pub seasons: Vec<Season>,
    pub thresholds: Thresholds,
    pub duty_kinds: Vec<String>,
}

impl Default for Schedule {
    fn default() -> Self {
        let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).expect("valid constant time");
        Schedule {
            name: "default".into(),
            tz: chrono_tz::Asia::Shanghai,
            day_starts_at: t(4, 0),
            workdays: [true, true, true, true, true, false, false],
            timetable: Timetable {
                sessions: vec![
                    ClockSpan { start: t(8, 30), end: t(12, 0) },
                    ClockSpan { start: t(14, 30), end: t(17, 30) },
                ],
                breaks: vec![],
            },
            seasons: vec![],
            thresholds: Thresholds::default(),
            duty_kinds: vec!["公出".into(), "出差".into()],
        }
    }
}

/// A half-open span of instants `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Span {
    pub start: Instant,
    pub end: Instant,
}

impl Span {
    pub fn len(&self) -> i64 {
        (self.end - self.start).max(0)
    }
    pub fn is_empty(&self) -> bool {
        self.end <= self.start
    }
    pub fn contains(&self, t: Instant) -> bool {
        self.start <= t && t < self.end
    }
    pub fn intersect(&self, other: &Span) -> Span {
        Span { start: self.start.max(other.start), end: self.end.min(other.end) }
    }
}

/// One session of a planned day, with the window of punches it owns (R4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionPlan {
    pub span: Span,
    pub breaks: Vec<Span>,
    /// `[b_(i-1), b_i)`: the punches this session owns.
    pub window: Span,
}

/// One attendance day of one schedule (or of a person's 值班 roster).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayPlan {
    pub date: NaiveDate,
    /// `[D day_starts_at, D+1 day_starts_at)`.
    pub day: Span,
    pub sessions: Vec<SessionPlan>,
}

impl Schedule {
    /// Is the weekday one of `workdays`?
    pub fn works_on(&self, weekday: Weekday) -> bool {
        self.workdays[weekday.num_days_from_monday() as usize]
    }

    /// The timetable in force on `date`: the first matching season, else the base.
    pub fn timetable_on(&self, date: NaiveDate) -> &Timetable {
        self.seasons.iter().find(|s| s.contains(date)).map(|s| &s.timetable).unwrap_or(&self.timetable)
    }

    /// The start instant of attendance day `date` (R1).
    pub fn day_start(&self, date: NaiveDate) -> Instant {
        local_to_instant(self.tz, date.and_time(self.day_starts_at))
    }

    /// The attendance day an instant belongs to (R1).
    pub fn attendance_day(&self, at: Instant) -> NaiveDate {
        let local = crate::domain::time::instant_to_local(self.tz, at);
        let date = local.date();
        if local.time() < self.day_starts_at {
            date.pred_opt().unwrap_or(date)
        } else {
            date
        }
    }

    /// Offset of a wall-clock time from the day start, in `[0, 24h)`.
    pub fn offset_of(&self, t: NaiveTime) -> Duration {
        let d = t.signed_duration_since(self.day_starts_at);
        if d < Duration::zero() {
            d + Duration::days(1)
        } else {
            d
        }
    }

    /// Why a 值班 session cannot be on one attendance day of this
    /// schedule (it crosses the day start), or `None` when it can; said the
    /// same by the kiosk's roster import, the server's, and a kiosk
    /// applying the server's roster.
    pub fn session_refused(&self, s: &ClockSpan) -> Option<String> {
        (self.span_offsets(s).1 > Duration::days(1)).then(|| {
            format!(
                "{}–{} crosses the day start {} of schedule {}",
                s.start.format("%H:%M"),
                s.end.format("%H:%M"),
                self.day_starts_at.format("%H:%M"),
                self.name
            )
        })
    }

    /// Offsets `(start, end)` of a span inside the attendance day; the end of a
    /// span that reaches exactly the next day start is 24h.
    pub fn span_offsets(&self, s: &ClockSpan) -> (Duration, Duration) {
        let start = self.offset_of(s.start);
        let mut end = self.offset_of(s.end);
        if end <= start {
            end += Duration::days(1);
        }
        (start, end)
    }

    fn instant_at(&self, date: NaiveDate, offset: Duration) -> Instant {
        local_to_instant(self.tz, date.and_time(self.day_starts_at) + offset)
    }

    /// Plans `date` by the schedule's timetable, or by `roster` sessions when
    /// given (R2: a 值班 roster replaces the schedule's sessions and breaks).
    pub fn plan(&self, date: NaiveDate, roster: Option<&[ClockSpan]>) -> DayPlan {
        let day = Span { start: self.day_start(date), end: self.day_start(date.succ_opt().unwrap_or(date)) };
        let (sessions, breaks): (Vec<ClockSpan>, &[ClockSpan]) = match roster {
            Some(r) => (r.to_vec(), &[]),
            None => {
                let t = self.timetable_on(date);
                (t.sessions.clone(), &t.breaks)
            }
        };
        let to_span = |c: &ClockSpan| {
            let (s, e) = self.span_offsets(c);
            Span { start: self.instant_at(date, s).max(day.start), end: self.instant_at(date, e).min(day.end) }
        };
        let mut spans: Vec<Span> = sessions.iter().map(to_span).collect();
        spans.sort();
        // Roster rows may overlap (two imports); overlapping sessions merge so
        // that every instant belongs to at most one session.
        let mut merged: Vec<Span> = Vec::with_capacity(spans.len());
        for s in spans.into_iter().filter(|s| !s.is_empty()) {
            match merged.last_mut() {
                Some(last) if s.start <= last.end => last.end = last.end.max(s.end),
                _ => merged.push(s),
            }
        }
        let break_spans: Vec<Span> = breaks.iter().map(to_span).collect();
        let n = merged.len();
        let mut plans = Vec::with_capacity(n);
        for i in 0..n {
            let lo = if i == 0 { day.start } else { merged[i - 1].end + (merged[i].start - merged[i - 1].end) / 2 };
            let hi = if i + 1 == n { day.end } else { merged[i].end + (merged[i + 1].start - merged[i].end) / 2 };
            let span = merged[i];
            let mut b: Vec<Span> = break_spans.iter().map(|x| x.intersect(&span)).filter(|x| !x.is_empty()).collect();
            b.sort();
            plans.push(SessionPlan { span, breaks: b, window: Span { start: lo, end: hi } });
        }
        DayPlan { date, day, sessions: plans }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::time::parse_time;

    fn at(s: &str) -> Instant {
        parse_time(s, chrono_tz::Asia::Shanghai).unwrap()
    }

    #[test]
    fn windows_split_halfway_between_sessions() {
        let s = Schedule::default();
        let d = NaiveDate::from_ymd_opt(2026, 11, 19).unwrap();
        let p = s.plan(d, None);
        assert_eq!(p.day.start, at("2026-11-19 04:00"));
        assert_eq!(p.day.end, at("2026-11-20 04:00"));
        assert_eq!(p.sessions[0].window.end, at("2026-11-19 13:15"));
        assert_eq!(p.sessions[1].window.start, at("2026-11-19 13:15"));
        assert_eq!(p.sessions[1].span.end, at("2026-11-19 17:30"));
    }

    #[test]
    fn attendance_day_starts_at_four() {
        let s = Schedule::default();
        assert_eq!(s.attendance_day(at("2026-11-20 03:59")).to_string(), "2026-11-19");
        assert_eq!(s.attendance_day(at("2026-11-20 04:00")).to_string(), "2026-11-20");
    }

    #[test]
    fn night_session_ends_next_calendar_day() {
        let s = Schedule::default();
        let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap();
        let d = NaiveDate::from_ymd_opt(2026, 11, 21).unwrap();
        let p = s.plan(d, Some(&[ClockSpan { start: t(20, 0), end: t(2, 0) }]));
        assert_eq!(p.sessions[0].span.start, at("2026-11-21 20:00"));
        assert_eq!(p.sessions[0].span.end, at("2026-11-22 02:00"));
    }

    #[test]
    fn seasons_wrap_over_new_year() {
        let season = Season { from: (11, 1), to: (2, 28), timetable: Schedule::default().timetable };
        assert!(season.contains(NaiveDate::from_ymd_opt(2026, 12, 31).unwrap()));
        assert!(season.contains(NaiveDate::from_ymd_opt(2027, 1, 5).unwrap()));
        assert!(!season.contains(NaiveDate::from_ymd_opt(2026, 6, 1).unwrap()));
    }
}
