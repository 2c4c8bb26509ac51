//! What the touchscreen asks of the kiosk, answered with plain view data
//! (no Slint types): the scan result, a person's month, the unit's roster,
//! a person's day with *why*, and the head's and admin's actions. Runs on
//! the worker thread that owns the store, never on the UI thread; tested
//! without any window.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate, NaiveTime};

use super::Core;
use crate::config::{Config, Language};
use crate::live::LiveEvent;
use crate::model::{PunchOwner, PunchSource, Role, Staff};
use crate::rules::{live_meaning, Verdict};
use crate::store::{StoreError, VoidTarget};
use crate::time::{instant_to_local, local_to_instant, Instant};
use crate::words::{self, Tone};

/// PIN failures before a lock, and how long the lock lasts.
pub const PIN_TRIES: u32 = 5;
pub const PIN_LOCK_MS: i64 = 5 * 60_000;

/// Wrong PINs count per person; five in a row lock PIN entry for five minutes.
#[derive(Debug, Default, Clone)]
pub struct PinGate {
    failures: u32,
    locked_until: Option<Instant>,
}

/// The answer to a PIN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PinOutcome {
    Accepted,
    Wrong { left: u32 },
    Locked { until: Instant },
}

impl PinGate {
    pub fn check(&mut self, ok: bool, now: Instant) -> PinOutcome {
        if let Some(until) = self.locked_until {
            if now < until {
                return PinOutcome::Locked { until };
            }
            self.locked_until = None;
            self.failures = 0;
        }
        if ok {
            self.failures = 0;
            return PinOutcome::Accepted;
        }
        self.failures += 1;
        if self.failures >= PIN_TRIES {
            let until = now + PIN_LOCK_MS;
            self.locked_until = Some(until);
            return PinOutcome::Locked { until };
        }
        PinOutcome::Wrong { left: PIN_TRIES - self.failures }
    }
}

/// The scan result screen.
#[derive(Debug, Clone, PartialEq)]
pub struct ScanView {
    pub event: LiveEvent,
    pub staff_no: Option<String>,
    pub name: String,
    pub time: String,
    pub headline: String,
    pub detail: String,
    pub tone: Tone,
    pub role: Option<Role>,
    pub card: String,
}

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

#[derive(Debug, Clone, PartialEq)]
pub struct PersonRow {
    pub staff_no: String,
    pub name: String,
    pub state: String,
    pub tone: Tone,
    pub punches: String,
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
    pub title: String,
    pub figures: String,
    pub why: Vec<String>,
    pub punches: Vec<PunchView>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub id: i64,
    pub text: String,
    pub open: bool,
    pub tone: Tone,
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

pub struct Service<'c> {
    pub core: Core<'c>,
    pub lang: Language,
    pins: HashMap<String, PinGate>,
}

fn hm(tz: chrono_tz::Tz, t: Instant) -> String {
    instant_to_local(tz, t).format("%H:%M").to_string()
}

impl<'c> Service<'c> {
    pub fn new(core: Core<'c>) -> Self {
        let lang = core.config().language;
        Service { core, lang, pins: HashMap::new() }
    }

    fn zh(&self) -> bool {
        self.lang == Language::ZhCn
    }

    fn config(&self) -> &'c Config {
        self.core.config()
    }

    fn tz(&self) -> chrono_tz::Tz {
        self.config().default_schedule().tz
    }

    /// A scan from the reader (or the demo strip): the punch is committed by
    /// the core before this returns; then it is put into words.
    pub fn scan(&mut self, card: &str) -> Result<ScanView, StoreError> {
        let event = self.core.scan(card)?;
        self.describe(event)
    }

    /// Puts a live event into the words of the scan result screen.
    pub fn describe(&mut self, event: LiveEvent) -> Result<ScanView, StoreError> {
        let zh = self.zh();
        let lang = self.lang;
        let tz = self.tz();
        let now = self.core.now();
        let att = self.core.attendance()?;
        let mut v = ScanView {
            event: event.clone(),
            staff_no: None,
            name: String::new(),
            time: hm(tz, now),
            headline: String::new(),
            detail: String::new(),
            tone: Tone::Info,
            role: None,
            card: String::new(),
        };
        match &event {
            LiveEvent::Punch { staff_no, name, meaning, minutes, card, .. } => {
                let staff = att.staff_member(staff_no);
                let expected = staff.map(|s| {
                    let day = att.day(s, att.schedule(s).attendance_day(now));
                    let sess = day.plan.sessions.iter().position(|x| x.window.contains(now));
                    sess.and_then(|i| day.record.sessions.get(i))
                        .map_or((now, now), |r| (r.expected_arrival, r.expected_departure))
                });
                let (h, d, t) = words::punch_words(*meaning, *minutes, now, expected, tz, lang);
                v.staff_no = Some(staff_no.clone());
                v.name = name.clone();
                v.role = staff.map(|s| s.role);
                (v.headline, v.detail, v.tone) = (h, d, t);
                v.card = card.clone();
            }
            LiveEvent::Duplicate { staff_no, first_at, card, .. } => {
                let staff = att.staff_member(staff_no);
                v.name = staff.map_or(staff_no.clone(), |s| s.name.clone());
                v.role = staff.map(|s| s.role);
                v.staff_no = Some(staff_no.clone());
                let first = first_at.get(11..16).unwrap_or("");
                (v.headline, v.detail) = if zh {
                    ("已打过卡".into(), format!("已于 {first} 记录，无需重复刷卡"))
                } else {
                    ("Already recorded".into(), format!("Recorded at {first}; no need to scan again"))
                };
                v.card = card.clone();
            }
            LiveEvent::UnknownCard { card, .. } => {
                v.name = if zh { "未登记的卡".into() } else { "Unknown card".into() };
                (v.headline, v.detail) = if zh {
                    (format!("卡号 {card}"), "这张卡还没有登记，请管理员登记；本次刷卡已保存".into())
                } else {
                    (format!("Card {card}"), "This card is not enrolled yet: ask an admin. The scan is kept".into())
                };
                v.tone = Tone::Bad;
                v.card = card.clone();
            }
            LiveEvent::Reader { state, detail, .. } => {
                v.name = if zh { "读卡器".into() } else { "Reader".into() };
                v.headline = match (state, zh) {
                    (crate::reader::ReaderState::Connected, true) => "读卡器已连接".into(),
                    (crate::reader::ReaderState::Connected, false) => "Reader connected".into(),
                    (_, true) => "读卡器故障".into(),
                    (_, false) => "Reader fault".into(),
                };
                v.detail = detail.clone();
                v.tone = if *state == crate::reader::ReaderState::Connected { Tone::Ok } else { Tone::Bad };
            }
            LiveEvent::Ready { .. } | LiveEvent::DayClosed { .. } => {}
        }
        Ok(v)
    }

    /// The judge over this month so far: (attendance, first day, today).
    fn month_so_far(&self) -> Result<(crate::attendance::Attendance<'c>, NaiveDate, NaiveDate), StoreError> {
        let config = self.config();
        let now = self.core.now();
        let today = config.default_schedule().attendance_day(now);
        let first = today.with_day(1).unwrap_or(today);
        let (lo, hi) = crate::attendance::read_range(config, first, today);
        let snap = self.core.store().snapshot(lo, hi, (first, today))?;
        Ok((crate::attendance::Attendance::new(config, snap, now), first, today))
    }

    /// For the idle screen's marks: (a calendar for today's year is known,
    /// a central server is configured).
    pub fn status_marks(&mut self) -> (bool, bool) {
        let now = self.core.now();
        let cal = self
            .core
            .attendance()
            .map(|a| a.calendar_known(a.config().default_schedule().attendance_day(now)))
            .unwrap_or(true);
        (cal, self.core.config().central.is_some())
    }

    /// A person's month at a glance, with the why of each day.
    pub fn month(&mut self, staff_no: &str) -> Result<Option<MonthView>, StoreError> {
        let lang = self.lang;
        let zh = self.zh();
        let (att, first, today) = self.month_so_far()?;
        let Some(staff) = att.staff_member(staff_no) else { return Ok(None) };
        let sched = att.schedule(staff);
        let grace = (
            sched.thresholds.late_grace_minutes,
            sched.thresholds.early_grace_minutes,
            sched.thresholds.absent_after_minutes,
        );
        let mut days = Vec::new();
        let mut totals = crate::rules::Figures::default();
        for date in first.iter_days().take_while(|d| *d <= today) {
            let d = att.day(staff, date);
            totals.add(&d.record.figures);
            let (status, tone) = words::day_state(&d.record, lang);
            let why = if d.record.status == crate::rules::Status::Normal || !d.obligated {
                String::new()
            } else {
                words::why(&d.record, grace, sched.tz, lang).join("；")
            };
            let wd = ["一", "二", "三", "四", "五", "六", "日"][date.weekday().num_days_from_monday() as usize];
            let label =
                if zh { format!("{} 周{wd}", date.format("%m-%d")) } else { date.format("%m-%d %a").to_string() };
            days.push(DayView {
                date,
                label,
                status,
                tone,
                punches: d.accepted.iter().map(|&t| hm(sched.tz, t)).collect::<Vec<_>>().join(" "),
                why,
                can_request: d.obligated && d.record.figures.missing_punches > 0,
            });
        }
        days.reverse();
        let totals = if zh {
            format!(
                "迟到 {} 次 · 早退 {} 次 · 旷工 {} 节 · 缺卡 {} 次 · 空岗 {} 次",
                totals.late_count,
                totals.early_count,
                totals.absent_sessions,
                totals.missing_punches,
                totals.off_post_count
            )
        } else {
            format!(
                "late {} · early {} · absent {} · missing {} · off post {}",
                totals.late_count,
                totals.early_count,
                totals.absent_sessions,
                totals.missing_punches,
                totals.off_post_count
            )
        };
        let title = if zh {
            format!("{} · {}年{}月", staff.name, today.year(), today.month())
        } else {
            format!("{} · {}", staff.name, today.format("%B %Y"))
        };
        Ok(Some(MonthView { staff_no: staff_no.into(), title, totals, days }))
    }

    /// A staff member asks for a correction (补卡) at `minutes` after midnight of `date`.
    pub fn request_correction(
        &mut self,
        staff_no: &str,
        date: NaiveDate,
        minutes: u32,
        reason: &str,
    ) -> Result<String, StoreError> {
        let tz = self.tz();
        let at = local_to_instant(tz, date.and_time(NaiveTime::MIN) + chrono::Duration::minutes(i64::from(minutes)));
        let now = self.core.now();
        let no = staff_no.to_string();
        let reason = reason.to_string();
        self.core.write(|w| w.request_correction(&no, at, &reason, now))?;
        Ok(if self.zh() {
            format!("已提交 {} {} 的补卡申请，等待科长审批", date.format("%m-%d"), hm(tz, at))
        } else {
            format!("Request for {} {} sent; waiting for your head", date.format("%m-%d"), hm(tz, at))
        })
    }

    /// Checks a head's or admin's PIN (Argon2), with the lockout.
    pub fn login(&mut self, staff_no: &str, pin: &str) -> Result<PinOutcome, StoreError> {
        let now = self.core.now();
        let staff = self.core.store().staff_member(staff_no)?;
        let ok = staff
            .as_ref()
            .filter(|s| s.role != Role::Staff)
            .and_then(|s| s.pin_hash.as_deref())
            .is_some_and(|h| crate::import::verify_pin(pin, h));
        let outcome = self.pins.entry(staff_no.to_string()).or_default().check(ok, now);
        let what = match &outcome {
            PinOutcome::Accepted => "login",
            PinOutcome::Wrong { .. } => "wrong PIN",
            PinOutcome::Locked { .. } => "PIN locked",
        };
        let no = staff_no.to_string();
        self.core.write(|w| w.log_action(&no, what, "", now))?;
        Ok(outcome)
    }

    pub fn staff(&mut self, staff_no: &str) -> Result<Option<Staff>, StoreError> {
        Ok(self.core.attendance()?.staff_member(staff_no).cloned())
    }

    /// Today's roster of a unit, live.
    pub fn roster(&mut self, unit: &str) -> Result<(Vec<PersonRow>, String), StoreError> {
        let zh = self.zh();
        let lang = self.lang;
        let now = self.core.now();
        let att = self.core.attendance()?;
        let mut rows = Vec::new();
        let (mut expected, mut present, mut late, mut missing, mut away) = (0, 0, 0, 0, 0);
        for s in att.people(Some(unit)) {
            let sched = att.schedule(s);
            let d = att.day(s, sched.attendance_day(now));
            let f = &d.record.figures;
            // On leave or duty right now (the session under way is excused)?
            let current = d.plan.sessions.iter().position(|x| x.window.contains(now));
            let away_now = current
                .and_then(|i| d.record.sessions.get(i))
                .filter(|r| r.outcome == crate::rules::Outcome::Excused)
                .map(|r| {
                    if r.figures.leave_minutes > 0 {
                        crate::rules::Status::Leave
                    } else {
                        crate::rules::Status::Duty
                    }
                });
            let (state, tone) = if !d.obligated {
                (if zh { "休息" } else { "rest" }.to_string(), Tone::Neutral)
            } else if d.record.status == crate::rules::Status::Leave || d.record.status == crate::rules::Status::Duty {
                (words::status_word(d.record.status, lang).to_string(), Tone::Info)
            } else if let Some(st) =
                away_now.filter(|_| d.accepted.is_empty() || d.record.status == crate::rules::Status::Pending)
            {
                (words::status_word(st, lang).to_string(), Tone::Info)
            } else if d.accepted.is_empty() {
                if d.record.status == crate::rules::Status::Absent || f.absent_sessions > 0 {
                    (if zh { "旷工" } else { "absent" }.to_string(), Tone::Bad)
                } else {
                    (if zh { "未到" } else { "not yet in" }.to_string(), Tone::Bad)
                }
            } else {
                let last = *d.accepted.last().unwrap_or(&now);
                let before: Vec<Instant> = d.accepted.iter().copied().filter(|&t| t < last).collect();
                let (m, _) = live_meaning(&d.plan, d.excuses, &sched.thresholds, &before, last);
                let (mut st, mut tone) = words::day_state(&d.record, lang);
                if d.record.status == crate::rules::Status::Pending || d.record.status == crate::rules::Status::Normal {
                    (st, tone) = match m {
                        crate::rules::Meaning::GoingOut => {
                            (if zh { "外出" } else { "out on a trip" }.into(), Tone::Warn)
                        }
                        crate::rules::Meaning::Out => (if zh { "已下班" } else { "left" }.into(), Tone::Neutral),
                        _ => (if zh { "在岗" } else { "present" }.into(), Tone::Ok),
                    };
                }
                (st, tone)
            };
            if d.obligated {
                expected += 1;
                present += u32::from(!d.accepted.is_empty());
                late += u32::from(f.late_count > 0);
                missing += u32::from(
                    d.accepted.is_empty()
                        && d.record.status != crate::rules::Status::Leave
                        && d.record.status != crate::rules::Status::Duty,
                );
                away += u32::from(matches!(d.record.status, crate::rules::Status::Leave | crate::rules::Status::Duty));
            }
            // 值班 today: said before the state.
            let state = if att.rostered(s, d.date) {
                format!("{} · {state}", if zh { "值班" } else { "on duty roster" })
            } else {
                state
            };
            rows.push(PersonRow {
                staff_no: s.staff_no.clone(),
                name: s.name.clone(),
                state,
                tone,
                punches: d.accepted.iter().map(|&t| hm(sched.tz, t)).collect::<Vec<_>>().join(" "),
            });
        }
        let counts = if zh {
            format!("应到 {expected} · 已到 {present} · 迟到 {late} · 未到 {missing} · 请假/公出 {away}")
        } else {
            format!("expected {expected} · in {present} · late {late} · not in {missing} · away {away}")
        };
        Ok((rows, counts))
    }

    /// One person's day: punches with what each meant, figures, and why.
    pub fn person(&mut self, staff_no: &str) -> Result<Option<PersonView>, StoreError> {
        let lang = self.lang;
        let zh = self.zh();
        let now = self.core.now();
        let att = self.core.attendance()?;
        let Some(s) = att.staff_member(staff_no) else { return Ok(None) };
        let sched = att.schedule(s);
        let d = att.day(s, sched.attendance_day(now));
        let f = &d.record.figures;
        let mut punches = Vec::new();
        let mut before = Vec::new();
        for p in d.punches {
            let meaning = match p.verdict {
                Verdict::Accepted => {
                    let (m, _) = live_meaning(&d.plan, d.excuses, &sched.thresholds, &before, p.row.at);
                    before.push(p.row.at);
                    words::meaning_word(m, lang).to_string()
                }
                Verdict::Duplicate => (if zh { "重复" } else { "duplicate" }).to_string(),
                Verdict::Voided => (if zh { "已作废" } else { "voided" }).to_string(),
            };
            let mut flags = Vec::new();
            if p.added() {
                flags.push(if zh { "补卡" } else { "added" });
            }
            if p.row.clock_synced == Some(false) {
                flags.push(if zh { "时钟未同步" } else { "clock unsynced" });
            }
            punches.push(PunchView {
                id: p.row.id,
                time: instant_to_local(sched.tz, p.row.at).format("%H:%M:%S").to_string(),
                meaning,
                flags: flags.join(" "),
                voided: p.verdict == Verdict::Voided,
            });
        }
        let grace = (
            sched.thresholds.late_grace_minutes,
            sched.thresholds.early_grace_minutes,
            sched.thresholds.absent_after_minutes,
        );
        let figures = if zh {
            format!(
                "迟到 {} 分 · 早退 {} 分 · 旷工 {} 节 · 空岗 {} 分 · 缺卡 {} · 请假 {} 分 · 公出 {} 分",
                f.late_minutes,
                f.early_minutes,
                f.absent_sessions,
                f.off_post_minutes,
                f.missing_punches,
                f.leave_minutes,
                f.duty_minutes
            )
        } else {
            format!(
                "late {} min · early {} min · absent {} · off post {} min · missing {} · leave {} min · duty {} min",
                f.late_minutes,
                f.early_minutes,
                f.absent_sessions,
                f.off_post_minutes,
                f.missing_punches,
                f.leave_minutes,
                f.duty_minutes
            )
        };
        Ok(Some(PersonView {
            staff_no: s.staff_no.clone(),
            title: format!("{} {} · {}", s.staff_no, s.name, words::status_word(d.record.status, lang)),
            figures,
            why: words::why(&d.record, grace, sched.tz, lang),
            punches,
        }))
    }

    /// Enters leave or duty for today: whole day, morning or afternoon.
    pub fn add_leave(&mut self, head: &str, staff_no: &str, kind: &str, span: LeaveSpan) -> Result<String, StoreError> {
        let now = self.core.now();
        let att = self.core.attendance()?;
        let s = att
            .staff_member(staff_no)
            .ok_or_else(|| StoreError::Invalid(format!("unknown staff number {staff_no}")))?;
        let sched = att.schedule(s);
        let date = sched.attendance_day(now);
        let plan = att.plan_for(s, date);
        let (Some(first), Some(last)) = (plan.sessions.first(), plan.sessions.last()) else {
            return Err(StoreError::Invalid("no sessions that day".into()));
        };
        let (from, to) = match span {
            LeaveSpan::Day => (plan.day.start, plan.day.end - 60_000),
            LeaveSpan::Morning => (first.span.start, first.span.end),
            LeaveSpan::Afternoon => (last.span.start, last.span.end),
            LeaveSpan::Between(a, b) => {
                let at = |m: u32, next: bool| {
                    let d = if next { date + chrono::Duration::days(1) } else { date };
                    local_to_instant(sched.tz, d.and_time(NaiveTime::MIN) + chrono::Duration::minutes(i64::from(m)))
                };
                if a == b {
                    return Err(StoreError::Invalid(if self.lang == Language::ZhCn {
                        "开始和结束时间相同".into()
                    } else {
                        "start and end are the same".into()
                    }));
                }
                (at(a, false), at(b, b < a))
            }
        };
        let (f, t) = (instant_to_local(sched.tz, from), instant_to_local(sched.tz, to));
        let (no, kind_s, head_s) = (staff_no.to_string(), kind.to_string(), head.to_string());
        let name = s.name.clone();
        self.core.write(|w| {
            w.add_leave(&no, &kind_s, f, t, &head_s, "kiosk", now)?;
            w.log_action(&head_s, "leave", &format!("{no} {kind_s} {f}–{t}"), now)
        })?;
        Ok(if self.zh() { format!("已登记 {name} {kind}") } else { format!("Recorded {kind} for {name}") })
    }

    /// Today's leave and duty of a unit (revoked ones stay visible as such).
    pub fn leave_lines(&mut self, unit: &str) -> Result<Vec<Line>, StoreError> {
        let zh = self.zh();
        let now = self.core.now();
        let tz = self.tz();
        let today = self.config().default_schedule().attendance_day(now);
        let people: HashMap<String, String> = self
            .core
            .attendance()?
            .people(Some(unit))
            .into_iter()
            .map(|s| (s.staff_no.clone(), s.name.clone()))
            .collect();
        let _ = tz;
        let from = today.to_string();
        let to = (today + chrono::Duration::days(1)).to_string();
        let rows = self.core.store().leave_records(&from, &format!("{to} 23:59"))?;
        Ok(rows
            .into_iter()
            .filter_map(|(l, by)| {
                let name = people.get(&l.staff_no)?;
                let span = format!("{}–{}", l.from.format("%m-%d %H:%M"), l.to.format("%H:%M"));
                let state = match (l.voided, zh) {
                    (true, true) => "（已销假）",
                    (true, false) => " (revoked)",
                    _ => "",
                };
                Some(Line {
                    id: l.id,
                    text: format!("{name} {} {span} {by}{state}", l.kind),
                    open: !l.voided,
                    tone: Tone::Info,
                })
            })
            .collect())
    }

    pub fn revoke_leave(&mut self, head: &str, id: i64) -> Result<String, StoreError> {
        let now = self.core.now();
        let h = head.to_string();
        self.core.write(|w| {
            w.void(VoidTarget::Leave, id, "销假", &h, now)?;
            w.log_action(&h, "revoke leave", &id.to_string(), now)
        })?;
        Ok(if self.zh() { "已销假".into() } else { "Leave revoked".into() })
    }

    /// A spot check (查岗) of the marked people, at this instant.
    pub fn spot_check(&mut self, head: &str, marks: &[(String, bool)], note: &str) -> Result<String, StoreError> {
        let now = self.core.now();
        let (h, n) = (head.to_string(), note.to_string());
        let marks = marks.to_vec();
        let count = marks.len();
        self.core.write(|w| {
            for (no, present) in &marks {
                w.add_spot_check(no, now, *present, &h, &n, now)?;
            }
            w.log_action(&h, "spot check", &format!("{count} people"), now)
        })?;
        Ok(if self.zh() { format!("已记录查岗 {count} 人") } else { format!("Spot check of {count} recorded") })
    }

    /// Adds a missing punch (补卡) today at `minutes` after midnight.
    pub fn add_punch(&mut self, head: &str, staff_no: &str, minutes: u32, reason: &str) -> Result<String, StoreError> {
        let now = self.core.now();
        let tz = self.tz();
        let today = self.config().default_schedule().attendance_day(now);
        let at = local_to_instant(tz, today.and_time(NaiveTime::MIN) + chrono::Duration::minutes(i64::from(minutes)));
        let (h, no, r) = (head.to_string(), staff_no.to_string(), reason.to_string());
        self.core.write(|w| {
            w.add_punch(&PunchOwner::Staff(no.clone()), at, PunchSource::Correction, None, Some((&r, &h)), now)?;
            w.log_action(&h, "add punch", &format!("{no} {at}"), now)
        })?;
        Ok(if self.zh() { format!("已补卡 {}", hm(tz, at)) } else { format!("Punch added at {}", hm(tz, at)) })
    }

    pub fn void_punch(&mut self, head: &str, id: i64, reason: &str) -> Result<String, StoreError> {
        let now = self.core.now();
        let (h, r) = (head.to_string(), reason.to_string());
        self.core.write(|w| {
            w.void(VoidTarget::Punch, id, &r, &h, now)?;
            w.log_action(&h, "void punch", &id.to_string(), now)
        })?;
        Ok(if self.zh() { "已作废".into() } else { "Punch voided".into() })
    }

    /// Correction requests of a unit's staff, decided ones shown as such.
    pub fn request_lines(&mut self, unit: &str) -> Result<Vec<Line>, StoreError> {
        let zh = self.zh();
        let tz = self.tz();
        let people: HashMap<String, String> = self
            .core
            .attendance()?
            .people(Some(unit))
            .into_iter()
            .map(|s| (s.staff_no.clone(), s.name.clone()))
            .collect();
        let nos: Vec<String> = people.keys().cloned().collect();
        let rows = self.core.store().correction_requests(&nos)?;
        Ok(rows
            .into_iter()
            .map(|r| {
                let when = instant_to_local(tz, r.at).format("%m-%d %H:%M");
                let state = match (&r.decision, zh) {
                    (None, _) => String::new(),
                    (Some((true, by)), true) => format!("（{by} 已批准）"),
                    (Some((false, by)), true) => format!("（{by} 已驳回）"),
                    (Some((true, by)), false) => format!(" (approved by {by})"),
                    (Some((false, by)), false) => format!(" (rejected by {by})"),
                };
                let tone = match r.decision {
                    None => Tone::Warn,
                    Some((true, _)) => Tone::Ok,
                    Some((false, _)) => Tone::Neutral,
                };
                Line {
                    id: r.id,
                    text: format!(
                        "{} {when} {}{state}",
                        people.get(&r.staff_no).cloned().unwrap_or_default(),
                        r.reason
                    ),
                    open: r.decision.is_none(),
                    tone,
                }
            })
            .collect())
    }

    pub fn decide(&mut self, head: &str, id: i64, approve: bool) -> Result<String, StoreError> {
        let now = self.core.now();
        let h = head.to_string();
        self.core.write(|w| {
            w.decide_request(id, approve, &h, now)?;
            w.log_action(&h, if approve { "approve request" } else { "reject request" }, &id.to_string(), now)
        })?;
        Ok(match (approve, self.zh()) {
            (true, true) => "已批准，补卡已生效".into(),
            (false, true) => "已驳回".into(),
            (true, false) => "Approved: the punch is added".into(),
            (false, false) => "Rejected".into(),
        })
    }

    /// Unknown cards seen today (newest first), for enrolment.
    pub fn unknown_cards(&mut self) -> Result<Vec<(String, String)>, StoreError> {
        let now = self.core.now();
        let tz = self.tz();
        let today = self.config().default_schedule().attendance_day(now);
        let att = self.core.attendance()?;
        let mut seen: Vec<(String, String)> = Vec::new();
        for p in att.unknown_card_punches(today).into_iter().rev() {
            if let PunchOwner::Card(c) = &p.owner {
                if !seen.iter().any(|(x, _)| x == c) {
                    seen.push((c.clone(), hm(tz, p.at)));
                }
            }
        }
        Ok(seen)
    }

    /// Enrolls a card to a person: its earlier punches attach (R3).
    pub fn enroll(&mut self, admin: &str, card: &str, staff_no: &str) -> Result<String, StoreError> {
        let now = self.core.now();
        let made_on = self.config().default_schedule().attendance_day(now);
        let (a, c, no) = (admin.to_string(), card.to_string(), staff_no.to_string());
        self.core.write(|w| {
            w.assign_card(&c, &no, None, made_on, now)?;
            w.log_action(&a, "enroll", &format!("{c} → {no}"), now)
        })?;
        Ok(if self.zh() {
            format!("卡 {card} 已登记给 {staff_no}")
        } else {
            format!("Card {card} enrolled to {staff_no}")
        })
    }

    /// The unit's day so far as a small table, and the month's totals.
    pub fn summary_text(&mut self, unit: &str) -> Result<String, StoreError> {
        let lang = self.lang;
        let (att, first, today) = self.month_so_far()?;
        let day = crate::summary::daily(&att, today);
        let report = crate::summary::report(&att, first, today, Some(unit));
        let t = &day.totals;
        let mut out = if lang == Language::ZhCn {
            format!(
                "今日 {today}：应到 {} 实到 {} 正常 {} 异常 {} 旷工 {} 请假 {} 公出 {} 进行中 {}\n\n本月 {first} 至 {today}\n",
                t.expected, t.present, t.normal, t.exception, t.absent, t.leave, t.duty, t.pending
            )
        } else {
            format!(
                "Today {today}: expected {} in {} normal {} exception {} absent {} leave {} duty {} pending {}\n\nMonth {first} to {today}\n",
                t.expected, t.present, t.normal, t.exception, t.absent, t.leave, t.duty, t.pending
            )
        };
        let rows: Vec<Vec<String>> = report
            .people
            .iter()
            .map(|r| {
                vec![
                    r.name.clone(),
                    r.days_present.to_string(),
                    r.late_count.to_string(),
                    r.early_count.to_string(),
                    r.absent_sessions.to_string(),
                    r.missing_punches.to_string(),
                    r.off_post_count.to_string(),
                ]
            })
            .collect();
        let headers: Vec<String> = if lang == Language::ZhCn {
            ["姓名", "出勤", "迟到", "早退", "旷工", "缺卡", "空岗"].iter().map(|s| s.to_string()).collect()
        } else {
            ["name", "days", "late", "early", "absent", "missing", "off post"].iter().map(|s| s.to_string()).collect()
        };
        out.push_str(&crate::render::table(&headers, &rows));
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_wrong_pins_lock_for_five_minutes() {
        let mut g = PinGate::default();
        for left in (1..PIN_TRIES).rev() {
            assert_eq!(g.check(false, 0), PinOutcome::Wrong { left });
        }
        assert_eq!(g.check(false, 1_000), PinOutcome::Locked { until: 1_000 + PIN_LOCK_MS });
        assert_eq!(g.check(true, 2_000), PinOutcome::Locked { until: 1_000 + PIN_LOCK_MS }, "even the right PIN");
        assert_eq!(g.check(true, 1_000 + PIN_LOCK_MS), PinOutcome::Accepted);
        assert_eq!(
            g.check(false, 1_000 + PIN_LOCK_MS),
            PinOutcome::Wrong { left: PIN_TRIES - 1 },
            "counting starts over"
        );
    }
}
