//! 我的考勤: a person's month, day by day with why, and their 补卡 requests.

use chrono::{Datelike, NaiveDate, NaiveTime};

use super::head::{leave_instants, LeaveSpan, MAX_LEAVE_DAYS};
use super::{hm, Result, Service, ServiceError};

/// How many months back 我的考勤 goes (a year: the months people dispute).
pub const MONTHS_BACK: u32 = 12;
use super::standing::standing;
use crate::domain::attendance::Attendance;
use crate::domain::time::local_to_instant;
use crate::kiosk::words::{Grace, Refusal, Tone, MAX_REASON_CHARS};

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
    /// The day's expected times for the time picker ("上班 08:30", minutes).
    pub presets: Vec<(String, u32)>,
    /// The person's requests touching the day and their state ("补卡
    /// 08:30 待审批", "请假 已批准"), one line, or "".
    pub requests: String,
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
    /// Who decides the person's requests: their unit's head(s) by name
    /// ("由 李四 审批"), or that the unit has none.
    pub approver: String,
    /// Today, by the default schedule (a leave request's dates are near it).
    pub today: NaiveDate,
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
        let now = self.core.now();
        let first_day = self.first_day()?;
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
        let requests = self.requests_by_day(staff_no, sched)?;
        let mut days = Vec::new();
        let mut totals = crate::domain::rules::Figures::default();
        for date in first.iter_days().take_while(|d| *d <= last) {
            let d = att.day(staff, date);
            let st = standing(say, &d, now, first_day, date == today);
            if !st.inactive {
                totals.add(&st.figures);
            }
            let problem = d.obligated && !st.inactive && st.figures.has_exception();
            let why = if problem { say.why(&d.record, grace, sched.tz).join(say.why_sep()) } else { String::new() };
            let f = &st.figures;
            days.push(DayView {
                date,
                label: say.month_day_label(date),
                status: st.state.clone(),
                tone: st.tone,
                punches: d.accepted.iter().map(|&t| hm(sched.tz, t)).collect::<Vec<_>>().join(" "),
                why,
                // A day with a missing punch or an absence (no punch at all:
                // both forgotten) may ask for a correction; not a day away
                // on leave or duty, nor one before the person's first day.
                can_request: problem && (f.missing_punches > 0 || f.absent_sessions > 0),
                // Leave may be entered at most MAX_LEAVE_DAYS back.
                can_request_leave: problem && (today - date).num_days() <= MAX_LEAVE_DAYS,
                missing_at: first_missing(&d.record, sched.tz, date, now),
                presets: super::head::day_presets(say, &d),
                requests: requests.get(&date).map(|v| v.join(say.why_sep())).unwrap_or_default(),
            });
        }
        days.reverse();
        let approver = self.approver_of(&staff.unit);
        Ok(Some(MonthView {
            staff_no: staff_no.into(),
            back,
            has_earlier: back < MONTHS_BACK,
            title: say.month_title(&staff.name, first),
            totals: say.month_totals(&totals),
            days,
            approver,
            today,
        }))
    }

    /// Who decides requests of `unit`: its heads by name, in words.
    fn approver_of(&mut self, unit: &str) -> String {
        let say = self.say();
        let heads: Vec<String> = self
            .core
            .attendance()
            .map(|a| {
                a.people(Some(unit))
                    .into_iter()
                    .filter(|s| s.role == crate::domain::model::Role::Head)
                    .map(|s| s.name.clone())
                    .collect()
            })
            .unwrap_or_default();
        say.approver(&heads)
    }

    /// A person's requests by the days they touch: "补卡 08:30 待审批",
    /// "请假 事假 已批准" (a leave request on each of its days).
    fn requests_by_day(
        &self,
        staff_no: &str,
        sched: &crate::domain::rules::Schedule,
    ) -> Result<std::collections::HashMap<NaiveDate, Vec<String>>> {
        let say = self.say();
        let nos = [staff_no.to_string()];
        let store = self.core.store();
        let mut by_day: std::collections::HashMap<NaiveDate, Vec<String>> = Default::default();
        let state = |d: &Option<(bool, String)>| say.request_state_short(d.as_ref().map(|(a, _)| *a));
        for r in store.correction_requests(&nos, 200)? {
            let line = format!("{} {} {}", say.fix_word(), hm(sched.tz, r.at), state(&r.decision));
            by_day.entry(sched.attendance_day(r.at)).or_default().push(line);
        }
        for r in store.leave_requests(&nos, 200)? {
            let line = format!("{} {} {}", say.leave_request_word(), say.kind_word(&r.kind), state(&r.decision));
            let (a, b) = (sched.attendance_day(r.from), sched.attendance_day(r.to - 1));
            for d in a.iter_days().take_while(|d| *d <= b).take(MAX_LEAVE_DAYS as usize + 1) {
                by_day.entry(d).or_default().push(line.clone());
            }
        }
        Ok(by_day)
    }

    /// A staff member asks for leave (请假申请) over the days `first..=last`
    /// (one day may be its morning or afternoon), with a reason picked
    /// from the form's presets; their head approves it.
    pub fn request_leave(
        &mut self,
        staff_no: &str,
        days: (NaiveDate, NaiveDate),
        kind: &str,
        span: LeaveSpan,
        reason: &str,
    ) -> Result<String> {
        let say = self.say();
        let staff = self.staff_member(staff_no)?;
        if !self.config().units.contains(&staff.unit) {
            return Err(ServiceError::Refused(say.refused(Refusal::OtherUnit)));
        }
        let sched = self.config().schedule(&staff.schedule);
        if !say.leave_kinds(&sched.duty_kinds).iter().any(|k| k.0 == kind) {
            return Err(ServiceError::Refused(say.unknown_kind(kind)));
        }
        let reason = reason.trim();
        if reason.chars().count() > MAX_REASON_CHARS {
            return Err(ServiceError::Refused(say.refused(Refusal::BadReason)));
        }
        let span = match span {
            LeaveSpan::Between(..) => LeaveSpan::Day, // staff ask for days or a half
            s => s,
        };
        let now = self.core.now();
        let (from, to) = {
            let att = self.attendance_between(days.0, days.1)?;
            leave_instants(&att, &staff, span, days, say)?
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
        let (no, k, why) = (staff.staff_no.clone(), kind.to_string(), reason.to_string());
        self.core.write(|w| {
            let id = w.request_leave(&no, &k, (from, to), now)?;
            if !why.is_empty() {
                w.leave_request_reason(id, &why, now)?;
            }
            Ok(())
        })?;
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
        if !self.judged_on(&staff, date)? {
            return Err(ServiceError::Refused(say.refused(Refusal::Inactive)));
        }
        let reason = reason.to_string();
        self.core.write(|w| w.request_correction(&staff.staff_no, at, &reason, now))?;
        Ok(say.request_sent(&format!("{} {}", date.format("%m-%d"), hm(tz, at))))
    }
}

/// The expected time of a day's first missing punch, in minutes after
/// midnight of `date`: where a 补卡 picker starts. Only a punch that was
/// due by `now` is missing (today's 12:00 clock-out is not, at 09:20);
/// with none, the picker starts at now (rounded down to 5 minutes) on the
/// day itself, at 12:00 on another.
pub(super) fn first_missing(
    rec: &crate::domain::rules::DayRecord,
    tz: chrono_tz::Tz,
    date: NaiveDate,
    now: crate::domain::time::Instant,
) -> u32 {
    let minutes_of = |t| {
        let local = crate::domain::time::instant_to_local(tz, t);
        let mins = (local.date() - date).num_minutes()
            + i64::from(chrono::Timelike::num_seconds_from_midnight(&local.time()) / 60);
        mins.clamp(0, 1439) as u32
    };
    // A session excused by leave or duty misses nothing.
    let due = rec.sessions.iter().filter(|s| s.outcome != crate::domain::rules::Outcome::Excused).find_map(|s| {
        let at = match (s.in_punch, s.out_punch) {
            (None, _) => Some(s.expected_arrival),
            (Some(_), None) => Some(s.expected_departure),
            _ => None,
        };
        at.filter(|&t| t <= now)
    });
    match due {
        Some(t) => minutes_of(t),
        None if crate::domain::time::instant_to_local(tz, now).date() == date => minutes_of(now) / 5 * 5,
        None => 12 * 60,
    }
}
