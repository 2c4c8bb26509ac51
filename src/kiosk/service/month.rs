//! 我的考勤: a person's month, day by day with why, and their 补卡 requests.

use chrono::{Datelike, NaiveDate, NaiveTime};

use super::{hm, Result, Service, ServiceError};
use crate::domain::attendance::Attendance;
use crate::domain::rules::Status;
use crate::domain::time::local_to_instant;
use crate::kiosk::words::{Grace, Refusal, Tone};

#[derive(Debug, Clone, PartialEq)]
pub struct DayView {
    pub date: NaiveDate,
    pub label: String,
    pub status: String,
    pub tone: Tone,
    pub punches: String,
    pub why: String,
    pub can_request: bool,
    /// When the first missing punch was due, in minutes after midnight of
    /// the day (the request's time picker starts there).
    pub missing_at: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MonthView {
    pub staff_no: String,
    pub title: String,
    pub totals: String,
    pub days: Vec<DayView>,
}

impl<'c> Service<'c> {
    /// The judge over this month so far: (attendance, first day, today).
    pub(super) fn month_so_far(&self) -> Result<(Attendance<'c>, NaiveDate, NaiveDate)> {
        let config = self.config();
        let now = self.core.now();
        let today = config.default_schedule().attendance_day(now);
        let first = today.with_day(1).unwrap_or(today);
        let (lo, hi) = crate::domain::attendance::read_range(config, first, today);
        let snap = self.core.store().snapshot(lo, hi, (first, today))?;
        Ok((Attendance::new(config, snap, now), first, today))
    }

    /// Everything needed to judge the days `[first, last]`.
    pub(super) fn attendance_between(&self, first: NaiveDate, last: NaiveDate) -> Result<Attendance<'c>> {
        let config = self.config();
        let (lo, hi) = crate::domain::attendance::read_range(config, first, last);
        let snap = self.core.store().snapshot(lo, hi, (first, last))?;
        Ok(Attendance::new(config, snap, self.core.now()))
    }

    /// A person's month at a glance, with the why of each day.
    ///
    /// Days are offered a 补卡 request when a punch is missing or a session
    /// is absent; the time picker starts at the first missing punch's
    /// expected time (an absent session's arrival).
    pub fn month(&mut self, staff_no: &str) -> Result<Option<MonthView>> {
        let say = self.say();
        let (att, first, today) = self.month_so_far()?;
        let Some(staff) = att.staff_member(staff_no) else { return Ok(None) };
        let sched = att.schedule(staff);
        let grace = Grace::from(&sched.thresholds);
        let mut days = Vec::new();
        let mut totals = crate::domain::rules::Figures::default();
        for date in first.iter_days().take_while(|d| *d <= today) {
            let d = att.day(staff, date);
            totals.add(&d.record.figures);
            let (status, tone) = say.day_state(&d.record);
            let why = if d.record.status == Status::Normal || !d.obligated {
                String::new()
            } else {
                say.why(&d.record, grace, sched.tz).join("；")
            };
            days.push(DayView {
                date,
                label: say.month_day_label(date),
                status,
                tone,
                punches: d.accepted.iter().map(|&t| hm(sched.tz, t)).collect::<Vec<_>>().join(" "),
                why,
                // A day with a missing punch or an absence (no punch at all:
                // both forgotten) may ask for a correction; not today's
                // running sessions, and not a day away on leave or duty.
                can_request: d.obligated
                    && (d.record.figures.missing_punches > 0 || d.record.figures.absent_sessions > 0),
                missing_at: first_missing(&d.record, sched.tz, date),
            });
        }
        days.reverse();
        Ok(Some(MonthView {
            staff_no: staff_no.into(),
            title: say.month_title(&staff.name, today),
            totals: say.month_totals(&totals),
            days,
        }))
    }

    /// A staff member asks for a correction (补卡) at `minutes` after
    /// midnight of `date`, in their own schedule's zone.
    pub fn request_correction(
        &mut self,
        staff_no: &str,
        date: NaiveDate,
        minutes: u32,
        reason: &str,
    ) -> Result<String> {
        let say = self.say();
        let staff = self.staff_member(staff_no)?;
        if !self.config().units.contains(&staff.unit) {
            return Err(ServiceError::Refused(say.refused(Refusal::OtherUnit)));
        }
        let tz = self.config().schedule(&staff.schedule).tz;
        let at = local_to_instant(tz, date.and_time(NaiveTime::MIN) + chrono::Duration::minutes(i64::from(minutes)));
        let now = self.core.now();
        if at > now {
            return Err(ServiceError::Refused(say.refused(Refusal::Future)));
        }
        let reason = reason.to_string();
        self.core.write(|w| w.request_correction(&staff.staff_no, at, &reason, now))?;
        Ok(say.request_sent(&format!("{} {}", date.format("%m-%d"), hm(tz, at))))
    }
}

/// The expected time of a day's first missing punch, in minutes after
/// midnight of `date` (12:00 when none is missing).
fn first_missing(rec: &crate::domain::rules::DayRecord, tz: chrono_tz::Tz, date: NaiveDate) -> u32 {
    let at = rec.sessions.iter().find_map(|s| match (s.in_punch, s.out_punch) {
        (None, _) => Some(s.expected_arrival),
        (Some(_), None) => Some(s.expected_departure),
        _ => None,
    });
    at.map(|t| {
        let local = crate::domain::time::instant_to_local(tz, t);
        let mins = (local.date() - date).num_minutes()
            + i64::from(chrono::Timelike::num_seconds_from_midnight(&local.time()) / 60);
        mins.clamp(0, 1439) as u32
    })
    .unwrap_or(12 * 60)
}
