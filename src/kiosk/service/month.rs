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
                can_request: d.obligated && d.record.figures.missing_punches > 0,
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
