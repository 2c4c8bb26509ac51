//! 我的考勤: a person's month, day by day with why, and their 补卡 requests.

use chrono::{Datelike, NaiveDate, NaiveTime};

use super::head::{leave_instants, LeaveSpan, MAX_LEAVE_DAYS};
use super::{hm, Result, Service, ServiceError};

/// How many months back 我的考勤 goes (a year: the months people dispute).
pub const MONTHS_BACK: u32 = 12;
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
    /// Whether leave may be requested for the day (请假申请): an obligated
    /// day that is not normal (late, early, missing, absent).
    pub can_request_leave: bool,
    /// When the first missing punch was due, in minutes after midnight of
    /// the day (the request's time picker starts there).
    pub missing_at: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MonthView {
    pub staff_no: String,
    /// How many months back (0: this month, so far).
    pub back: u32,
    /// Whether an earlier month may be shown.
    pub has_earlier: bool,
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

    /// A person's month at a glance, with the why of each day: this month
    /// so far (`back` 0) or a month before, up to [`MONTHS_BACK`].
    ///
    /// Days are offered a 补卡 request when a punch is missing or a session
    /// is absent; the time picker starts at the first missing punch's
    /// expected time (an absent session's arrival). A day that is not
    /// normal is offered a 请假 request too (a half day's 事假 forgotten).
    pub fn month(&mut self, staff_no: &str, back: u32) -> Result<Option<MonthView>> {
        let say = self.say();
        let back = back.min(MONTHS_BACK);
        let (att, first, today) = self.month_so_far()?;
        let (att, first, last) = if back == 0 {
            (att, first, today)
        } else {
            let from = first.checked_sub_months(chrono::Months::new(back)).unwrap_or(first);
            let to = from.checked_add_months(chrono::Months::new(1)).and_then(|d| d.pred_opt()).unwrap_or(from);
            (self.attendance_between(from, to)?, from, to)
        };
        let Some(staff) = att.staff_member(staff_no) else { return Ok(None) };
        let sched = att.schedule(staff);
        let grace = Grace::from(&sched.thresholds);
        let mut days = Vec::new();
        let mut totals = crate::domain::rules::Figures::default();
        for date in first.iter_days().take_while(|d| *d <= last) {
            let d = att.day(staff, date);
            totals.add(&d.record.figures);
            let (status, tone) = say.day_state(&d.record);
            let why = if d.record.status == Status::Normal || !d.obligated {
                String::new()
            } else {
                say.why(&d.record, grace, sched.tz).join(say.why_sep())
            };
            let f = &d.record.figures;
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
                can_request: d.obligated && (f.missing_punches > 0 || f.absent_sessions > 0),
                // Leave may be entered at most MAX_LEAVE_DAYS back.
                can_request_leave: d.obligated
                    && matches!(d.record.status, Status::Exception | Status::Absent)
                    && (today - date).num_days() <= MAX_LEAVE_DAYS,
                missing_at: first_missing(&d.record, sched.tz, date),
            });
        }
        days.reverse();
        Ok(Some(MonthView {
            staff_no: staff_no.into(),
            back,
            has_earlier: back < MONTHS_BACK,
            title: say.month_title(&staff.name, first),
            totals: say.month_totals(&totals),
            days,
        }))
    }

    /// A staff member asks for leave (请假申请) on `date`: the whole day,
    /// or its morning or afternoon session; their head approves it.
    pub fn request_leave(&mut self, staff_no: &str, date: NaiveDate, kind: &str, span: LeaveSpan) -> Result<String> {
        let say = self.say();
        let staff = self.staff_member(staff_no)?;
        if !self.config().units.contains(&staff.unit) {
            return Err(ServiceError::Refused(say.refused(Refusal::OtherUnit)));
        }
        let sched = self.config().schedule(&staff.schedule);
        if !say.leave_kinds(&sched.duty_kinds).iter().any(|k| k.0 == kind) {
            return Err(ServiceError::Refused(say.unknown_kind(kind)));
        }
        let span = match span {
            LeaveSpan::Between(..) => LeaveSpan::Day, // staff ask for a day or a half
            s => s,
        };
        let now = self.core.now();
        let (from, to) = {
            let att = self.attendance_between(date, date)?;
            leave_instants(&att, &staff, span, (date, date), say)?
        };
        // The same leave entered and revoked (销假) before cannot be
        // entered again (a record's natural key is stored once): said now,
        // not left for the head to find unapprovable.
        let revoked =
            self.core.store().leave_records(from, to)?.into_iter().any(|(l, _)| {
                l.voided && l.staff_no == staff.staff_no && l.kind == kind && l.from == from && l.to == to
            });
        if revoked {
            return Err(ServiceError::Refused(say.refused(Refusal::VoidedBefore)));
        }
        let (no, k) = (staff.staff_no.clone(), kind.to_string());
        self.core.write(|w| w.request_leave(&no, &k, (from, to), now))?;
        Ok(say.leave_request_sent(kind, &super::head::leave_words(say, sched, from, to)))
    }

    /// The leave and duty kinds a person may ask for (their schedule's
    /// duty kinds): (stored kind, word on the screen).
    pub fn leave_kinds_of(&mut self, staff_no: &str) -> Result<Vec<(String, String)>> {
        let staff = self.staff_member(staff_no)?;
        Ok(self.say().leave_kinds(&self.config().schedule(&staff.schedule).duty_kinds))
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
