//! Assembles the rules' inputs from a [`Snapshot`] and judges days: whose
//! punches are whose (R3), which day they fall on (R1), who has obligations
//! (R2), then [`rules::evaluate`] per person and day. Pure: no IO, `now`
//! is a parameter.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use chrono::NaiveDate;

use crate::config::Config;
use crate::model::{PunchOwner, PunchRow, PunchSource, Snapshot, Staff};
use crate::rules::{
    self, CardBook, ClockSpan, DayInput, DayPlan, DayRecord, Excuse, RawPunch, Schedule, Span,
    SpotCheck, Verdict,
};
use crate::time::{local_to_instant, Instant};

/// A punch as attributed to a person, with its R3 verdict.
#[derive(Debug, Clone)]
pub struct JudgedPunch {
    pub row: PunchRow,
    pub verdict: Verdict,
}

impl JudgedPunch {
    pub fn added(&self) -> bool {
        self.row.source == PunchSource::Correction
    }
}

/// One person's judged day.
#[derive(Debug, Clone)]
pub struct PersonDay<'s> {
    pub staff: &'s Staff,
    pub schedule: &'s Schedule,
    pub date: NaiveDate,
    pub obligated: bool,
    pub plan: Rc<DayPlan>,
    pub record: DayRecord,
    /// Every punch of the person in the day, in time order, with its verdict.
    pub punches: Vec<JudgedPunch>,
    /// The accepted punches' instants.
    pub accepted: Vec<Instant>,
}

/// The judge over one snapshot.
pub struct Attendance<'s> {
    config: &'s Config,
    snapshot: &'s Snapshot,
    now: Instant,
    staff: HashMap<&'s str, &'s Staff>,
    /// Per person, their punches sorted by instant, with verdicts.
    punches: HashMap<&'s str, Vec<JudgedPunch>>,
    /// Punches of cards no assignment covers, sorted.
    unknown: Vec<&'s PunchRow>,
    excuses: HashMap<&'s str, Vec<Excuse>>,
    roster: HashMap<(&'s str, NaiveDate), Vec<ClockSpan>>,
    spot_checks: HashMap<&'s str, Vec<SpotCheck>>,
    plans: RefCell<HashMap<(&'s str, NaiveDate), Rc<DayPlan>>>,
}

impl<'s> Attendance<'s> {
    pub fn new(config: &'s Config, snapshot: &'s Snapshot, now: Instant) -> Self {
        let staff: HashMap<&str, &Staff> = snapshot
            .staff
            .iter()
            .map(|s| (s.staff_no.as_str(), s))
            .collect();
        let schedule_of = |no: &str| -> &'s Schedule {
            staff.get(no).map_or_else(
                || config.default_schedule(),
                |s| config.schedule(&s.schedule),
            )
        };
        let book = CardBook::new(&snapshot.assignments, |no, d| schedule_of(no).day_start(d));

        let mut by_person: HashMap<&str, Vec<&PunchRow>> = HashMap::new();
        let mut unknown = Vec::new();
        for p in &snapshot.punches {
            let owner = match &p.owner {
                PunchOwner::Card(c) => book
                    .owner(c, p.at)
                    .and_then(|no| staff.get(no))
                    .map(|s| s.staff_no.as_str()),
                PunchOwner::Staff(s) => staff.get(s.as_str()).map(|s| s.staff_no.as_str()),
            };
            match owner {
                Some(no) => by_person.entry(no).or_default().push(p),
                None => unknown.push(p),
            }
        }
        unknown.sort_by_key(|p| (p.at, p.id));
        let punches = by_person
            .into_iter()
            .map(|(no, mut list)| {
                list.sort_by_key(|p| (p.at, p.id));
                let raw: Vec<RawPunch> = list
                    .iter()
                    .map(|p| RawPunch {
                        id: p.id,
                        at: p.at,
                        voided: p.voided,
                        added: p.source == PunchSource::Correction,
                    })
                    .collect();
                let window = i64::from(schedule_of(no).thresholds.duplicate_scan_seconds) * 1000;
                let verdicts = rules::classify(&raw, window);
                let judged = list
                    .into_iter()
                    .zip(verdicts)
                    .map(|(p, verdict)| JudgedPunch {
                        row: p.clone(),
                        verdict,
                    })
                    .collect();
                (no, judged)
            })
            .collect();

        let mut excuses: HashMap<&str, Vec<Excuse>> = HashMap::new();
        for l in snapshot.leave.iter().filter(|l| !l.voided) {
            let sched = schedule_of(&l.staff_no);
            let span = Span {
                start: local_to_instant(sched.tz, l.from),
                end: local_to_instant(sched.tz, l.to),
            };
            let duty = sched.duty_kinds.contains(&l.kind);
            excuses
                .entry(l.staff_no.as_str())
                .or_default()
                .push(Excuse { span, duty });
        }
        let mut roster: HashMap<(&str, NaiveDate), Vec<ClockSpan>> = HashMap::new();
        for r in &snapshot.roster {
            roster
                .entry((r.staff_no.as_str(), r.date))
                .or_default()
                .push(r.span);
        }
        let mut spot_checks: HashMap<&str, Vec<SpotCheck>> = HashMap::new();
        for c in snapshot.spot_checks.iter().filter(|c| !c.voided) {
            spot_checks
                .entry(c.staff_no.as_str())
                .or_default()
                .push(SpotCheck {
                    at: c.at,
                    present: c.present,
                });
        }
        Attendance {
            config,
            snapshot,
            now,
            staff,
            punches,
            unknown,
            excuses,
            roster,
            spot_checks,
            plans: RefCell::new(HashMap::new()),
        }
    }

    pub fn config(&self) -> &'s Config {
        self.config
    }

    pub fn now(&self) -> Instant {
        self.now
    }

    /// Staff of the kiosk's units (or of one unit), by staff number.
    pub fn people(&self, unit: Option<&str>) -> Vec<&'s Staff> {
        self.snapshot
            .staff
            .iter()
            .filter(|s| self.config.units.contains(&s.unit))
            .filter(|s| unit.is_none_or(|u| s.unit == u))
            .collect()
    }

    pub fn staff_member(&self, staff_no: &str) -> Option<&'s Staff> {
        self.staff.get(staff_no).copied()
    }

    fn schedule(&self, staff: &Staff) -> &'s Schedule {
        self.config.schedule(&staff.schedule)
    }

    fn plan(&self, schedule: &'s Schedule, date: NaiveDate) -> Rc<DayPlan> {
        self.plans
            .borrow_mut()
            .entry((schedule.name.as_str(), date))
            .or_insert_with(|| Rc::new(schedule.plan(date, None)))
            .clone()
    }

    /// Judges one person's day (R1–R11).
    pub fn day(&self, staff: &'s Staff, date: NaiveDate) -> PersonDay<'s> {
        let schedule = self.schedule(staff);
        let no = staff.staff_no.as_str();
        let roster = self.roster.get(&(no, date));
        let plan = match roster {
            Some(r) => Rc::new(schedule.plan(date, Some(r))),
            None => self.plan(schedule, date),
        };
        let obligated = roster.is_some()
            || (self.snapshot.calendar.is_workday(date, schedule) && staff.active_on(date));
        let all = self.punches.get(no).map_or(&[][..], Vec::as_slice);
        let lo = all.partition_point(|p| p.row.at < plan.day.start);
        let hi = all.partition_point(|p| p.row.at < plan.day.end);
        let punches = all[lo..hi].to_vec();
        let accepted: Vec<Instant> = punches
            .iter()
            .filter(|p| p.verdict == Verdict::Accepted)
            .map(|p| p.row.at)
            .collect();
        let excuses = self.excuses.get(no).map_or(&[][..], Vec::as_slice);
        let checks: Vec<SpotCheck> = self
            .spot_checks
            .get(no)
            .map(|v| {
                v.iter()
                    .copied()
                    .filter(|c| plan.day.contains(c.at))
                    .collect()
            })
            .unwrap_or_default();
        let mut record = rules::evaluate(&DayInput {
            plan: &plan,
            obligated,
            punches: &accepted,
            excuses,
            spot_checks: &checks,
            thresholds: &schedule.thresholds,
            now: self.now,
        });
        record.figures.corrections = punches
            .iter()
            .filter(|p| p.added() || p.verdict == Verdict::Voided)
            .count() as u32;
        PersonDay {
            staff,
            schedule,
            date,
            obligated,
            plan,
            record,
            punches,
            accepted,
        }
    }

    /// Punches of unassigned cards in the attendance day `date` of the
    /// default schedule (R1), not voided.
    pub fn unknown_card_punches(&self, date: NaiveDate) -> Vec<&'s PunchRow> {
        let plan = self.plan(self.config.default_schedule(), date);
        self.unknown
            .iter()
            .copied()
            .filter(|p| !p.voided && plan.day.contains(p.at))
            .collect()
    }

    /// Punches recorded while the clock was not synchronized, in the day.
    pub fn clock_unsynced_punches(&self, date: NaiveDate) -> usize {
        let plan = self.plan(self.config.default_schedule(), date);
        self.snapshot
            .punches
            .iter()
            .filter(|p| p.clock_synced == Some(false) && plan.day.contains(p.at))
            .count()
    }

    /// Whether `date` is a workday by the calendar and the default schedule (R2).
    pub fn workday(&self, date: NaiveDate) -> bool {
        self.snapshot
            .calendar
            .is_workday(date, self.config.default_schedule())
    }

    /// Whether a calendar was imported for the date's year (R2).
    pub fn calendar_known(&self, date: NaiveDate) -> bool {
        self.snapshot.calendar.knows(date)
    }

    /// Whether `date` is over for every schedule in use (R11).
    pub fn closed(&self, date: NaiveDate) -> bool {
        let next = date.succ_opt().unwrap_or(date);
        self.config
            .schedules
            .values()
            .all(|s| self.now >= s.day_start(next))
    }
}

/// The instants to read from the store to judge `from..=to`: a day before
/// for the duplicate window's lookback (R3) and the zones' spread.
pub fn read_range(config: &Config, from: NaiveDate, to: NaiveDate) -> (Instant, Instant) {
    let starts = config
        .schedules
        .values()
        .map(|s| s.day_start(from))
        .min()
        .unwrap_or(0);
    let ends = config
        .schedules
        .values()
        .map(|s| s.day_start(to + chrono::Duration::days(1)))
        .max()
        .unwrap_or(0);
    (starts - 86_400_000, ends)
}
