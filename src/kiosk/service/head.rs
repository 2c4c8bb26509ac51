//! Section head mode: the unit's roster live, a person's day with why,
//! leave and duty, spot checks (查岗), corrections (补卡, voids, requests)
//! and the unit's summaries. Every write is authorised (signed in, a head,
//! the person in the head's unit) and stored with its `actions` row in one
//! transaction.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveTime};

use super::standing::{mark, severity, standing, Mark, Tally, TALLIES};
use super::{hm, Power, Result, Service, ServiceError};
use crate::domain::model::{PunchOwner, PunchSource};
use crate::domain::rules::Verdict;
use crate::domain::time::{instant_to_local, local_to_instant};
use crate::kiosk::store::{StoreError, VoidTarget};
use crate::kiosk::words::{Grace, Refusal, Tone, MAX_REASON_CHARS};

#[derive(Debug, Clone, PartialEq)]
pub struct PersonRow {
    pub staff_no: String,
    pub name: String,
    pub state: String,
    pub tone: Tone,
    pub punches: String,
    /// The count bar's categories the person is in (its filters).
    pub tallies: Vec<Tally>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PunchView {
    pub id: i64,
    pub time: String,
    pub meaning: String,
    pub flags: String,
    pub voided: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PersonView {
    pub staff_no: String,
    pub name: String,
    /// The day shown (today from the roster, any day from the grid).
    pub date: NaiveDate,
    pub title: String,
    /// The figures as they stand, in the glossary's words.
    pub figures: String,
    pub why: Vec<String>,
    pub punches: Vec<PunchView>,
    /// The day's expected times, for the 补卡 time picker: ("上班 08:30",
    /// minutes after midnight), and where the picker starts (the first
    /// missing punch's expected time).
    pub presets: Vec<(String, u32)>,
    pub missing_at: u32,
    /// Whether 补卡 may be offered: not on a 未启用 day.
    pub fixable: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub id: i64,
    pub text: String,
    pub open: bool,
    pub tone: Tone,
    /// A leave request (请假申请) rather than a correction request or a record.
    pub leave_request: bool,
}

/// Whole day, morning or afternoon (the day's first or last session), or
/// exact times (minutes after midnight; an end before the start is the
/// next calendar day).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeaveSpan {
    Day,
    Morning,
    Afternoon,
    Between(u32, u32),
}

/// The summary tab's period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    ThisMonth,
    LastMonth,
    /// Days `first..=last`, at most [`MAX_RANGE_DAYS`] long, none to come.
    Range(NaiveDate, NaiveDate),
}

/// The longest range the summary tab shows: a month's grid fits the panel.
pub const MAX_RANGE_DAYS: i64 = 31;

/// One day of one person in the month grid: its symbol and mark (colour).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GridCell {
    pub symbol: String,
    pub mark: Mark,
}

/// A column of the month grid: the day's number, its weekday, and whether
/// it is a rest day (shaded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GridDay {
    pub date: NaiveDate,
    pub number: String,
    pub weekday: String,
    pub rest: bool,
}

/// A person's row of the summary: name and figures, and their month grid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SummaryRow {
    pub staff_no: String,
    pub name: String,
    pub cells: Vec<String>,
    pub grid: Vec<GridCell>,
}

/// The summary tab: today's counts, the period, and people × figures
/// (rows by severity, then staff number), with each column's width in
/// ems so that no figure wraps inside it ("1 次 20 分钟" on one line).
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryView {
    pub today: String,
    pub period: String,
    pub columns: Vec<String>,
    pub widths: Vec<f32>,
    pub rows: Vec<SummaryRow>,
    pub grid_days: Vec<GridDay>,
    pub legend: Vec<(String, String, Mark)>,
}

/// The width of `text` in ems, as the screen's font sets it: a CJK
/// character is one em, anything else a little over half.
pub fn text_ems(text: &str) -> f32 {
    use unicode_width::UnicodeWidthChar;
    text.chars().map(|c| if c.width().unwrap_or(1) >= 2 { 1.0 } else { 0.6 }).sum()
}

/// The longest leave the touchscreen records at once, and how far from
/// today it may start (days).
pub const MAX_LEAVE_DAYS: i64 = 366;

/// How many correction requests the head's list shows.
const REQUESTS_SHOWN: usize = 200;

/// The count bar: each category and how many rows it has, in bar order.
pub type Tallies = Vec<(Tally, u32)>;

impl Service<'_> {
    /// Today's roster of a unit, live: each person's state in the same
    /// words as their scan result and their day's record, and the count
    /// bar (应到 · 已到 · 迟到 · 缺卡 · 旷工 · 请假/公出 · 未到), whose every
    /// figure is the number of rows in that category. People without
    /// schedule obligations (`schedule = none`) are left out, but on a day
    /// the roster (值班) gives them a session.
    /// How fresh the other doors' punches are, on a kiosk that takes them
    /// from the server: when they were last pulled (`None` elsewhere).
    pub fn doors_note(&mut self) -> Option<String> {
        if !self.config().central.as_ref().is_some_and(|c| c.master) {
            return None;
        }
        let at = self.core.store().meta(crate::kiosk::master::PEERS_PULLED_AT).ok().flatten();
        let at = at.and_then(|t| t.parse::<i64>().ok());
        let tz = self.config().default_schedule().tz;
        Some(self.say().doors_fresh(at.map(|t| instant_to_local(tz, t).format("%H:%M").to_string())))
    }

    pub fn roster(&mut self, unit: &str) -> Result<(Vec<PersonRow>, Tallies)> {
        let say = self.say();
        let now = self.core.now();
        let first_day = self.first_day()?;
        let att = self.core.attendance()?;
        let mut rows = Vec::new();
        for s in att.people(Some(unit)) {
            let sched = att.schedule(s);
            let date = sched.attendance_day(now);
            if !s.has_schedule_obligations() && !att.rostered(s, date) {
                continue;
            }
            let d = att.day(s, date);
            let st = standing(say, &d, now, first_day, true);
            let state = if att.rostered(s, d.date) { say.on_roster(&st.state) } else { st.state };
            rows.push(PersonRow {
                staff_no: s.staff_no.clone(),
                name: s.name.clone(),
                state,
                tone: st.tone,
                punches: d.accepted.iter().map(|&t| hm(sched.tz, t)).collect::<Vec<_>>().join(" "),
                tallies: st.tallies,
            });
        }
        let counts =
            TALLIES.iter().map(|&t| (t, rows.iter().filter(|r| r.tallies.contains(&t)).count() as u32)).collect();
        Ok((rows, counts))
    }

    /// One person's day today: punches with what each meant, figures, and why.
    pub fn person(&mut self, staff_no: &str) -> Result<Option<PersonView>> {
        let now = self.core.now();
        let Some(s) = self.staff(staff_no)? else { return Ok(None) };
        let today = self.config().schedule(&s.schedule).attendance_day(now);
        self.person_on(staff_no, today)
    }

    /// One person's day on `date` (a cell of the month grid): punches with
    /// what each meant, the figures as they stand, and why, in the words
    /// for the head ("可为其补卡").
    pub fn person_on(&mut self, staff_no: &str, date: NaiveDate) -> Result<Option<PersonView>> {
        let say = self.say();
        let now = self.core.now();
        let first_day = self.first_day()?;
        let other_day;
        let att = {
            let today = self.config().default_schedule().attendance_day(now);
            if date == today {
                self.core.attendance()?
            } else {
                other_day = self.attendance_between(date, date)?;
                &other_day
            }
        };
        let Some(s) = att.staff_member(staff_no) else { return Ok(None) };
        let sched = att.schedule(s);
        let d = att.day(s, date);
        let st = standing(say, &d, now, first_day, date == sched.attendance_day(now));
        let punches = d
            .punches
            .iter()
            .map(|p| {
                let meaning = match p.verdict {
                    Verdict::Accepted => say.meaning(d.live(p.row.at).meaning).to_string(),
                    Verdict::Duplicate => say.duplicate_word(),
                    Verdict::Voided => say.voided_word(),
                };
                let mut flags = Vec::new();
                if p.added() {
                    flags.push(say.added_flag());
                }
                if let Some(origin) = &p.row.origin {
                    flags.push(say.door_flag(origin));
                }
                if p.row.clock_synced == Some(false) {
                    flags.push(say.unsynced_flag());
                }
                PunchView {
                    id: p.row.id,
                    time: instant_to_local(sched.tz, p.row.at).format("%H:%M:%S").to_string(),
                    meaning,
                    flags: flags.join(" "),
                    voided: p.verdict == Verdict::Voided,
                }
            })
            .collect();
        let why = if st.inactive {
            vec![st.state.clone()]
        } else {
            say.why_for_head(&d.record, Grace::from(&sched.thresholds), sched.tz)
        };
        Ok(Some(PersonView {
            staff_no: s.staff_no.clone(),
            name: s.name.clone(),
            date,
            title: format!("{} {} · {} · {}", s.staff_no, s.name, say.month_day_label(date), st.state),
            figures: if st.inactive { String::new() } else { say.figure_line(&st.figures) },
            why,
            punches,
            presets: day_presets(say, &d),
            missing_at: super::month::first_missing(&d.record, sched.tz, date, now),
            fixable: !st.inactive,
        }))
    }

    /// Enters leave or duty for today (the person's attendance day, in
    /// their schedule's zone): whole day, morning, afternoon or exact times.
    /// The leave form's kinds (stored kind, word on the screen: leave, then
    /// the config's duty kinds) and today's date.
    pub fn leave_form(&self) -> (Vec<(String, String)>, chrono::NaiveDate) {
        let sched = self.core.config().default_schedule();
        (self.say().leave_kinds(&sched.duty_kinds), sched.attendance_day(self.core.now()))
    }

    pub fn add_leave(&mut self, head: &str, staff_no: &str, kind: &str, span: LeaveSpan) -> Result<String> {
        let today = self.config().default_schedule().attendance_day(self.core.now());
        self.add_leave_days(head, staff_no, kind, span, (today, today))
    }

    /// Leave or duty over the days `first..=last` (a week of 年休假; a day
    /// forgotten last week), at most [`MAX_LEAVE_DAYS`] from today and
    /// long. Several days are whole days; one day may be a half or exact
    /// times. The dates are the ones the head saw on the form.
    pub fn add_leave_days(
        &mut self,
        head: &str,
        staff_no: &str,
        kind: &str,
        span: LeaveSpan,
        (first_day, last_day): (NaiveDate, NaiveDate),
    ) -> Result<String> {
        let say = self.say();
        self.authorize(head, Power::ManageUnit, &[staff_no])?;
        let now = self.core.now();
        let att = self.core.attendance()?;
        let s = att.staff_member(staff_no).ok_or_else(|| ServiceError::Refused(say.refused(Refusal::Unknown)))?;
        let sched = att.schedule(s);
        let (from, to) = leave_instants(att, s, span, (first_day, last_day), say)?;
        let tz = sched.tz;
        let name = s.name.clone();
        let (no, kind_s, head_s) = (staff_no.to_string(), kind.to_string(), head.to_string());
        let detail = format!(
            "{no} {kind_s} {}–{}",
            instant_to_local(tz, from).format("%Y-%m-%d %H:%M"),
            instant_to_local(tz, to).format("%Y-%m-%d %H:%M")
        );
        let voided_before = say.refused(Refusal::VoidedBefore);
        self.core.write(|w| {
            let r = w.add_leave(&no, &kind_s, (from, to), tz, &head_s, "kiosk", now)?;
            if !r.is_new() && w.is_voided(VoidTarget::Leave, r.id())? {
                return Err(StoreError::Invalid(voided_before));
            }
            w.log_action(&head_s, "leave", &detail, now)
        })?;
        self.core.changed(from, to);
        Ok(say.leave_recorded(&name, kind))
    }

    /// Today's leave and duty of a unit (revoked ones stay visible as such).
    pub fn leave_lines(&mut self, unit: &str) -> Result<Vec<Line>> {
        let say = self.say();
        let now = self.core.now();
        let att = self.core.attendance()?;
        let day = att.config().default_schedule();
        let today = day.attendance_day(now);
        // Leave recorded from the touchscreen may start up to a year away
        // either side (a forgotten day last week, next month's 年休假): all
        // of it is listed, so all of it can be revoked (销假).
        let (from, to) = (
            day.day_start(today - chrono::Duration::days(MAX_LEAVE_DAYS)),
            day.day_start(today + chrono::Duration::days(2 * MAX_LEAVE_DAYS + 1)),
        );
        let people: HashMap<String, (String, &crate::domain::rules::Schedule)> = att
            .people(Some(unit))
            .into_iter()
            .map(|s| (s.staff_no.clone(), (s.name.clone(), att.schedule(s))))
            .collect();
        let rows = self.core.store().leave_records(from, to)?;
        Ok(rows
            .into_iter()
            .filter_map(|(l, by)| {
                let (name, sched) = people.get(&l.staff_no)?;
                let state = if l.voided { say.revoked_mark() } else { String::new() };
                let when = leave_words(say, sched, l.from, l.to);
                Some(Line {
                    id: l.id,
                    text: format!("{name} {} {when} {by}{state}", say.kind_word(&l.kind)),
                    open: !l.voided,
                    tone: Tone::Info,
                    leave_request: false,
                })
            })
            .collect())
    }

    /// 销假: revokes a leave record of the head's unit.
    pub fn revoke_leave(&mut self, head: &str, id: i64) -> Result<String> {
        let say = self.say();
        let (owner, from, to) =
            self.core.store().leave_of(id)?.ok_or_else(|| ServiceError::Refused(say.refused(Refusal::Unknown)))?;
        self.authorize(head, Power::ManageUnit, &[&owner])?;
        let now = self.core.now();
        let h = head.to_string();
        self.core.write(|w| {
            w.void(VoidTarget::Leave, id, crate::kiosk::words::REVOKE_REASON, &h, now)?;
            w.log_action(&h, "revoke leave", &id.to_string(), now)
        })?;
        self.core.changed(from, to);
        Ok(say.leave_revoked())
    }

    /// A spot check (查岗) of the marked people, at this instant, with a note.
    /// A spot check (查岗) now: each marked person present or not, with a
    /// note of their own (不在岗, 串岗, 外出未报备, or none).
    pub fn spot_check(&mut self, head: &str, marks: &[(String, bool, String)]) -> Result<String> {
        let say = self.say();
        let targets: Vec<&str> = marks.iter().map(|(no, _, _)| no.as_str()).collect();
        self.authorize(head, Power::ManageUnit, &targets)?;
        let now = self.core.now();
        let h = head.to_string();
        let count = marks.len();
        self.core.write(|w| {
            for (no, present, note) in marks {
                w.add_spot_check(no, now, *present, &h, note, now)?;
            }
            w.log_action(&h, "spot check", &format!("{count} people"), now)
        })?;
        self.core.changed(now, now);
        Ok(say.spot_check_recorded(count))
    }

    /// Adds a missing punch (补卡) at `minutes` after midnight of the
    /// person's attendance day today, in their schedule's zone.
    pub fn add_punch(&mut self, head: &str, staff_no: &str, minutes: u32, reason: &str) -> Result<String> {
        let staff = self.staff_member(staff_no)?;
        let today = self.config().schedule(&staff.schedule).attendance_day(self.core.now());
        self.add_punch_on(head, staff_no, today, minutes, reason)
    }

    /// Adds a missing punch (补卡) at `minutes` after midnight of `date`
    /// (a day opened from the month grid), in the person's schedule's
    /// zone; never for a time still to come.
    pub fn add_punch_on(
        &mut self,
        head: &str,
        staff_no: &str,
        date: NaiveDate,
        minutes: u32,
        reason: &str,
    ) -> Result<String> {
        let say = self.say();
        self.authorize(head, Power::ManageUnit, &[staff_no])?;
        let now = self.core.now();
        let staff = self.staff_member(staff_no)?;
        let sched = self.config().schedule(&staff.schedule);
        let at =
            local_to_instant(sched.tz, date.and_time(NaiveTime::MIN) + chrono::Duration::minutes(i64::from(minutes)));
        if at > now {
            return Err(ServiceError::Refused(say.refused(Refusal::Future)));
        }
        if !self.judged_on(&staff, date)? {
            return Err(ServiceError::Refused(say.refused(Refusal::Inactive)));
        }
        let (h, no, r) = (head.to_string(), staff_no.to_string(), reason.to_string());
        let voided_before = say.refused(Refusal::VoidedBefore);
        self.core.write(|w| {
            let p =
                w.add_punch(&PunchOwner::Staff(no.clone()), at, PunchSource::Correction, None, Some((&r, &h)), now)?;
            if !p.is_new() && w.is_voided(VoidTarget::Punch, p.id())? {
                return Err(StoreError::Invalid(voided_before));
            }
            w.log_action(&h, "add punch", &format!("{no} {at}"), now)
        })?;
        self.core.changed(at, at);
        Ok(say.punch_added(&hm(sched.tz, at)))
    }

    /// Voids a punch of someone in the head's unit.
    pub fn void_punch(&mut self, head: &str, id: i64, reason: &str) -> Result<String> {
        let say = self.say();
        let unknown = || ServiceError::Refused(say.refused(Refusal::Unknown));
        let row = self.core.store().punch(id)?.ok_or_else(unknown)?;
        let owner = self.core.attendance()?.owner(&row).ok_or_else(unknown)?;
        self.authorize(head, Power::ManageUnit, &[&owner])?;
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > MAX_REASON_CHARS {
            return Err(ServiceError::Refused(say.refused(Refusal::BadReason)));
        }
        let now = self.core.now();
        let (h, r) = (head.to_string(), reason.to_string());
        self.core.write(|w| {
            w.void(VoidTarget::Punch, id, &r, &h, now)?;
            w.log_action(&h, "void punch", &id.to_string(), now)
        })?;
        self.core.changed(row.at, row.at);
        Ok(say.punch_voided())
    }

    /// Requests of a unit's staff, 补卡 and 请假 together: waiting ones
    /// first, newest first within each part; decided ones say by whom.
    pub fn request_lines(&mut self, unit: &str) -> Result<Vec<Line>> {
        let say = self.say();
        let att = self.core.attendance()?;
        let fallback = att.config().default_schedule();
        let people: HashMap<String, (String, &crate::domain::rules::Schedule)> = att
            .people(Some(unit))
            .into_iter()
            .map(|s| (s.staff_no.clone(), (s.name.clone(), att.schedule(s))))
            .collect();
        // The approver by name (decisions store the head's staff number).
        let names: HashMap<String, String> =
            att.people(None).into_iter().map(|s| (s.staff_no.clone(), s.name.clone())).collect();
        let name_of = |no: &str| names.get(no).cloned().unwrap_or_else(|| no.to_string());
        let state = |d: &Option<(bool, String)>| {
            let tone = match d {
                None => Tone::Warn,
                Some((true, _)) => Tone::Ok,
                Some((false, _)) => Tone::Neutral,
            };
            let by = d.as_ref().map(|(a, by)| (*a, name_of(by)));
            (say.request_state(by.as_ref().map(|(a, n)| (*a, n.as_str()))), tone)
        };
        let nos: Vec<String> = people.keys().cloned().collect();
        let store = self.core.store();
        let mut lines: Vec<(bool, i64, Line)> = Vec::new();
        for r in store.correction_requests(&nos, REQUESTS_SHOWN)? {
            // In the person's own zone, as they asked for it.
            let (name, sched) = people.get(&r.staff_no).cloned().unwrap_or((String::new(), fallback));
            let local = instant_to_local(sched.tz, r.at);
            let when = format!("{} {}", say.month_day_label(local.date()), local.format("%H:%M"));
            let (words, tone) = state(&r.decision);
            let text = format!("{name} · {} {when} · {}{words}", say.fix_word(), r.reason);
            let line = Line { id: r.id, text, open: r.decision.is_none(), tone, leave_request: false };
            lines.push((r.decision.is_some(), r.recorded_at, line));
        }
        for r in store.leave_requests(&nos, REQUESTS_SHOWN)? {
            let (name, sched) = people.get(&r.staff_no).cloned().unwrap_or((String::new(), fallback));
            let (words, tone) = state(&r.decision);
            let kind = say.kind_word(&r.kind);
            let when = leave_words(say, sched, r.from, r.to);
            // The reason the person picked, as for a 补卡 request.
            let reason = if r.reason.is_empty() { String::new() } else { format!(" · {}", r.reason) };
            let text = format!("{name} · {} {kind} {when}{reason}{words}", say.leave_request_word());
            let line = Line { id: r.id, text, open: r.decision.is_none(), tone, leave_request: true };
            lines.push((r.decision.is_some(), r.recorded_at, line));
        }
        lines.sort_by_key(|(decided, at, _)| (*decided, std::cmp::Reverse(*at)));
        Ok(lines.into_iter().map(|l| l.2).collect())
    }

    /// Approves (the leave is recorded, approved by the head) or rejects a
    /// leave request of the head's unit.
    pub fn decide_leave(&mut self, head: &str, id: i64, approve: bool) -> Result<String> {
        let say = self.say();
        let (owner, from, to) = self
            .core
            .store()
            .leave_request_of(id)?
            .ok_or_else(|| ServiceError::Refused(say.refused(Refusal::Unknown)))?;
        self.authorize(head, Power::ManageUnit, &[&owner])?;
        let tz = {
            let att = self.core.attendance()?;
            let s = att.staff_member(&owner).ok_or_else(|| ServiceError::Refused(say.refused(Refusal::Unknown)))?;
            att.schedule(s).tz
        };
        let now = self.core.now();
        let h = head.to_string();
        let voided_before = say.refused(Refusal::LeaveRequestVoided);
        self.core.write(|w| {
            if let Some(l) = w.decide_leave_request(id, approve, &h, tz, now)? {
                if !l.is_new() && w.is_voided(VoidTarget::Leave, l.id())? {
                    return Err(StoreError::Invalid(voided_before));
                }
            }
            let what = if approve { "approve leave request" } else { "reject leave request" };
            w.log_action(&h, what, &id.to_string(), now)
        })?;
        self.core.changed(from, to);
        Ok(say.leave_decided(approve))
    }

    /// Approves (the punch is added) or rejects a request of the head's unit.
    pub fn decide(&mut self, head: &str, id: i64, approve: bool) -> Result<String> {
        let say = self.say();
        let (owner, at) =
            self.core.store().request_of(id)?.ok_or_else(|| ServiceError::Refused(say.refused(Refusal::Unknown)))?;
        self.authorize(head, Power::ManageUnit, &[&owner])?;
        let now = self.core.now();
        let h = head.to_string();
        let voided_before = say.refused(Refusal::RequestVoided);
        self.core.write(|w| {
            if let Some(p) = w.decide_request(id, approve, &h, now)? {
                if w.is_voided(VoidTarget::Punch, p)? {
                    return Err(StoreError::Invalid(voided_before));
                }
            }
            w.log_action(&h, if approve { "approve request" } else { "reject request" }, &id.to_string(), now)
        })?;
        self.core.changed(at, at);
        Ok(say.decided(approve))
    }

    /// The number of requests (补卡 and 请假) of a unit still waiting for
    /// a decision: the 审批 tab's count.
    pub fn requests_waiting(&mut self, unit: &str) -> Result<usize> {
        Ok(self.request_lines(unit)?.iter().filter(|l| l.open).count())
    }

    /// The unit's summary for the head: today's count bar, then a table
    /// of people × figures over `period` (this month so far, last month,
    /// or a range of days), every figure with its unit, rows by severity
    /// then staff number, and the month grid over the same days. Days a
    /// person was not active (未启用) count nowhere; people without
    /// schedule obligations are in it only when the roster gave them a
    /// session in the period.
    pub fn summary_table(&mut self, unit: &str, period: Period) -> Result<SummaryView> {
        let say = self.say();
        let now = self.core.now();
        let first_day = self.first_day()?;
        let (_, counts) = self.roster(unit)?;
        let (att, first, today) = self.month_so_far()?;
        let (from, to, att) = match period {
            Period::ThisMonth => (first, today, att),
            Period::LastMonth => {
                let last = first.pred_opt().unwrap_or(first);
                let from = chrono::Datelike::with_day(&last, 1).unwrap_or(last);
                (from, last, self.attendance_between(from, last)?)
            }
            Period::Range(a, b) => {
                if b < a || b > today || (b - a).num_days() >= MAX_RANGE_DAYS {
                    return Err(ServiceError::Refused(say.bad_range(MAX_RANGE_DAYS)));
                }
                (a, b, self.attendance_between(a, b)?)
            }
        };
        let days: Vec<NaiveDate> = from.iter_days().take_while(|d| *d <= to).collect();
        let mut rows: Vec<([u32; 6], SummaryRow)> = Vec::new();
        for s in att.people(Some(unit)) {
            if !s.has_schedule_obligations() && !days.iter().any(|&d| att.rostered(s, d)) {
                continue;
            }
            let sched_today = att.schedule(s).attendance_day(now);
            let mut total = crate::domain::rules::Figures::default();
            let mut present = 0;
            // Half days away: sessions excused whole by leave, and by duty.
            let (mut leave, mut duty) = (0u32, 0u32);
            let mut grid = Vec::with_capacity(days.len());
            for &date in &days {
                let d = att.day(s, date);
                let st = standing(say, &d, now, first_day, date == sched_today);
                if !st.inactive {
                    total.add(&st.figures);
                    present += u32::from(d.obligated && !d.accepted.is_empty());
                    for x in d.record.sessions.iter().filter(|x| x.outcome == crate::domain::rules::Outcome::Excused) {
                        if x.figures.leave_minutes > 0 {
                            leave += 1;
                        } else {
                            duty += 1;
                        }
                    }
                }
                let m = mark(&st, d.record.status);
                grid.push(GridCell { symbol: say.grid_symbol(m, att.leave_kind(s, date)), mark: m });
            }
            let times = |count: u32, minutes: u32| say.times_and_minutes(count, minutes);
            let cells = vec![
                say.days(present),
                times(total.late_count, total.late_minutes),
                times(total.early_count, total.early_minutes),
                say.absent_days(total.absent_sessions),
                say.times(total.missing_punches),
                times(total.off_post_count, total.off_post_minutes),
                say.times(total.spot_check_absences),
                say.absent_days(leave),
                say.absent_days(duty),
            ];
            rows.push((
                severity(&total),
                SummaryRow { staff_no: s.staff_no.clone(), name: s.name.clone(), cells, grid },
            ));
        }
        // The worst first, then by staff number.
        rows.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.staff_no.cmp(&b.1.staff_no)));
        let rows: Vec<SummaryRow> = rows.into_iter().map(|r| r.1).collect();
        let columns = say.summary_columns();
        // Each column as wide as its widest text, plus a little air.
        let widths = (0..columns.len())
            .map(|j| {
                let cell = |r: &SummaryRow| if j == 0 { text_ems(&r.name) } else { text_ems(&r.cells[j - 1]) };
                rows.iter().map(cell).fold(text_ems(&columns[j]), f32::max) + 1.0
            })
            .collect();
        let grid_days = days
            .iter()
            .map(|&d| GridDay {
                date: d,
                number: chrono::Datelike::day(&d).to_string(),
                weekday: say.weekday_letter(d),
                rest: !att.workday(d),
            })
            .collect();
        Ok(SummaryView {
            today: say.summary_today(today, &counts),
            period: say.period_words(from, to),
            columns,
            widths,
            rows,
            grid_days,
            legend: say.grid_legend(),
        })
    }
}

/// A day's expected times for the 补卡 time picker: each session's
/// arrival and departure ("上班 08:30", "下班 12:00"), in minutes after
/// midnight of the day.
pub(super) fn day_presets(
    say: crate::kiosk::words::Say,
    d: &crate::domain::attendance::PersonDay<'_>,
) -> Vec<(String, u32)> {
    let tz = d.schedule.tz;
    let minutes = |t: crate::domain::time::Instant| {
        let local = instant_to_local(tz, t);
        (local.date() - d.date).num_minutes()
            + i64::from(chrono::Timelike::num_seconds_from_midnight(&local.time()) / 60)
    };
    d.plan
        .sessions
        .iter()
        .flat_map(|x| {
            [
                (
                    format!("{} {}", say.meaning(crate::domain::rules::Meaning::In), hm(tz, x.span.start)),
                    minutes(x.span.start),
                ),
                (
                    format!("{} {}", say.meaning(crate::domain::rules::Meaning::Out), hm(tz, x.span.end)),
                    minutes(x.span.end),
                ),
            ]
        })
        // The picker holds one calendar day: a night session's end past
        // midnight is not offered as a preset (it would land at 23:59).
        .filter_map(|(word, m)| u32::try_from(m).ok().filter(|&m| m < 24 * 60).map(|m| (word, m)))
        .collect()
}

/// Leave's span in words: whole days as dates ("11-24 周二 – 11-26 周四 ·
/// 3 天"), anything else as times in the person's zone.
pub(super) fn leave_words(
    say: crate::kiosk::words::Say,
    sched: &crate::domain::rules::Schedule,
    from: crate::domain::time::Instant,
    to: crate::domain::time::Instant,
) -> String {
    let (first, last) = (sched.attendance_day(from), sched.attendance_day(to));
    let whole = from == sched.day_start(first) && to == sched.day_start(last + chrono::Duration::days(1)) - 60_000;
    if whole {
        say.leave_dates(first, last)
    } else {
        say.span_words(sched.tz, from, to)
    }
}

/// The instants of leave over `first..=last` in the person's schedule:
/// whole days from the first day's start to the last day's end; one day
/// may be its morning (first session), afternoon (last session) or exact
/// times. Refused when the days are out of order, more than
/// [`MAX_LEAVE_DAYS`] from today or long, or the day has no sessions.
pub(super) fn leave_instants(
    att: &crate::domain::attendance::Attendance<'_>,
    s: &crate::domain::model::Staff,
    span: LeaveSpan,
    (first, last): (NaiveDate, NaiveDate),
    say: crate::kiosk::words::Say,
) -> Result<(crate::domain::time::Instant, crate::domain::time::Instant)> {
    let sched = att.schedule(s);
    let today = sched.attendance_day(att.now());
    let too_far = |d: NaiveDate| (d - today).num_days().unsigned_abs() > MAX_LEAVE_DAYS as u64;
    if last < first || too_far(first) || too_far(last) || (last - first).num_days() > MAX_LEAVE_DAYS {
        return Err(ServiceError::Refused(say.bad_leave_days(MAX_LEAVE_DAYS)));
    }
    let span = if first == last { span } else { LeaveSpan::Day };
    let plan = att.plan_for(s, first);
    let last_plan = att.plan_for(s, last);
    // A half day is one of the day's sessions; whole days need none (a
    // week of 年休假 may start on a Saturday).
    let session = |s: Option<&crate::domain::rules::SessionPlan>| {
        s.map(|s| (s.span.start, s.span.end)).ok_or_else(|| ServiceError::Refused(say.no_sessions()))
    };
    Ok(match span {
        LeaveSpan::Day => (plan.day.start, last_plan.day.end - 60_000),
        LeaveSpan::Morning => session(plan.sessions.first())?,
        LeaveSpan::Afternoon => session(plan.sessions.last())?,
        LeaveSpan::Between(a, b) => {
            if a == b {
                return Err(ServiceError::Refused(say.same_start_and_end()));
            }
            let at = |m: u32, next: bool| {
                let d = if next { first + chrono::Duration::days(1) } else { first };
                local_to_instant(sched.tz, d.and_time(NaiveTime::MIN) + chrono::Duration::minutes(i64::from(m)))
            };
            (at(a, false), at(b, b < a))
        }
    })
}
