//! Assembles the rules' inputs from a [`Snapshot`] and judges days: whose
//! punches are whose (R3), which day they fall on (R1), who has obligations
//! (R2), then [`rules::evaluate`] per person and day. Pure: no IO, `now`
//! is a parameter.
//!
//! The judge owns the snapshot's data so that the kiosk can keep one for
//! the running day and add each new punch to it ([`Attendance::add_punch`])
//! instead of reading the store again.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

use chrono::NaiveDate;

use crate::domain::config::Config;
use crate::domain::model::{PunchOwner, PunchRow, PunchSource, Snapshot, Staff};
use crate::domain::rules::{
    self, Calendar, CardBook, ClockSpan, DayInput, DayPlan, DayRecord, Excuse, RawPunch, Schedule, Span, SpotCheck,
    Verdict,
};
use crate::domain::time::Instant;

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
pub struct PersonDay<'a> {
    pub staff: &'a Staff,
    pub schedule: &'a Schedule,
    pub date: NaiveDate,
    pub obligated: bool,
    pub plan: Rc<DayPlan>,
    pub record: DayRecord,
    /// Every punch of the person in the day, in time order, with its verdict.
    pub punches: &'a [JudgedPunch],
    /// The accepted punches' instants.
    pub accepted: Vec<Instant>,
    /// Leave and duty of the person (all of the snapshot's).
    pub excuses: &'a [Excuse],
}

impl PersonDay<'_> {
    /// What an accepted punch at `at` means, by the day's accepted punches
    /// before it (SPEC "Live events"; never contradicts the record).
    pub fn live(&self, at: Instant) -> rules::Live {
        rules::live_meaning(
            &DayInput {
                plan: &self.plan,
                obligated: self.obligated,
                punches: &self.accepted,
                excuses: self.excuses,
                spot_checks: &[],
                thresholds: &self.schedule.thresholds,
                now: at,
            },
            at,
        )
    }
}

/// The judge over one snapshot.
pub struct Attendance<'c> {
    config: &'c Config,
    now: Instant,
    /// Staff by staff number.
    staff: BTreeMap<String, Staff>,
    calendar: Calendar,
    book: CardBook,
    /// Per person, their punches sorted by instant, with verdicts.
    punches: HashMap<String, Vec<JudgedPunch>>,
    /// Punches of cards no assignment covers, sorted.
    unknown: Vec<PunchRow>,
    excuses: HashMap<String, Vec<Excuse>>,
    /// The kinds of the leave behind `excuses` (for the month grid's symbols).
    leave_kinds: HashMap<String, Vec<(Span, String)>>,
    roster: HashMap<String, HashMap<NaiveDate, Vec<ClockSpan>>>,
    spot_checks: HashMap<String, Vec<SpotCheck>>,
    plans: RefCell<HashMap<(&'c str, NaiveDate), Rc<DayPlan>>>,
}

fn schedule_of<'c>(config: &'c Config, staff: &BTreeMap<String, Staff>, no: &str) -> &'c Schedule {
    staff.get(no).map_or_else(|| config.default_schedule(), |s| config.schedule(&s.schedule))
}

/// The staff number a punch belongs to (R3), borrowed from the staff map.
fn owner_of<'s>(book: &CardBook, staff: &'s BTreeMap<String, Staff>, p: &PunchRow) -> Option<&'s str> {
    let no = match &p.owner {
        PunchOwner::Card(c) => book.owner(c, p.at)?,
        PunchOwner::Staff(s) => s.as_str(),
    };
    staff.get_key_value(no).map(|(k, _)| k.as_str())
}

/// Sorts a person's punches and gives each its R3 verdict.
fn judge_list(
    config: &Config,
    staff: &BTreeMap<String, Staff>,
    no: &str,
    mut list: Vec<JudgedPunch>,
) -> Vec<JudgedPunch> {
    list.sort_by_key(|p| (p.row.at, p.row.id));
    let raw: Vec<RawPunch> = list
        .iter()
        .map(|p| RawPunch {
            id: p.row.id,
            at: p.row.at,
            voided: p.row.voided,
            added: p.row.source == PunchSource::Correction,
        })
        .collect();
    let window = i64::from(schedule_of(config, staff, no).thresholds.duplicate_scan_seconds) * 1000;
    for (p, v) in list.iter_mut().zip(rules::classify(&raw, window)) {
        p.verdict = v;
    }
    list
}

impl<'c> Attendance<'c> {
    pub fn new(config: &'c Config, snapshot: Snapshot, now: Instant) -> Self {
        let staff: BTreeMap<String, Staff> = snapshot.staff.into_iter().map(|s| (s.staff_no.clone(), s)).collect();
        let book = CardBook::new(&snapshot.assignments, |no, d| schedule_of(config, &staff, no).day_start(d));
        // Attribute punches by borrowed staff numbers: no allocation per punch.
        let mut by_person: HashMap<&str, Vec<JudgedPunch>> = HashMap::new();
        let mut unknown = Vec::new();
        for p in snapshot.punches {
            match owner_of(&book, &staff, &p) {
                Some(no) => by_person.entry(no).or_default().push(JudgedPunch { row: p, verdict: Verdict::Accepted }),
                None => unknown.push(p),
            }
        }
        unknown.sort_by_key(|p| (p.at, p.id));
        let punches: HashMap<String, Vec<JudgedPunch>> =
            by_person.into_iter().map(|(no, list)| (no.to_string(), judge_list(config, &staff, no, list))).collect();
        let mut excuses: HashMap<String, Vec<Excuse>> = HashMap::new();
        let mut leave_kinds: HashMap<String, Vec<(Span, String)>> = HashMap::new();
        for l in snapshot.leave.into_iter().filter(|l| !l.voided) {
            let sched = schedule_of(config, &staff, &l.staff_no);
            let span = Span { start: l.from, end: l.to };
            let duty = sched.duty_kinds.contains(&l.kind);
            excuses.entry(l.staff_no.clone()).or_default().push(Excuse { span, duty });
            leave_kinds.entry(l.staff_no).or_default().push((span, l.kind));
        }
        let mut roster: HashMap<String, HashMap<NaiveDate, Vec<ClockSpan>>> = HashMap::new();
        for r in snapshot.roster {
            roster.entry(r.staff_no).or_default().entry(r.date).or_default().push(r.span);
        }
        let mut spot_checks: HashMap<String, Vec<SpotCheck>> = HashMap::new();
        for c in snapshot.spot_checks.into_iter().filter(|c| !c.voided) {
            spot_checks.entry(c.staff_no).or_default().push(SpotCheck { at: c.at, present: c.present });
        }
        Attendance {
            config,
            now,
            staff,
            calendar: snapshot.calendar,
            book,
            punches,
            unknown,
            excuses,
            leave_kinds,
            roster,
            spot_checks,
            plans: RefCell::new(HashMap::new()),
        }
    }

    /// The staff number a punch belongs to (R3), if any.
    pub fn owner(&self, p: &PunchRow) -> Option<String> {
        owner_of(&self.book, &self.staff, p).map(str::to_string)
    }

    /// Adds a punch just recorded (the kiosk's running day) and returns the
    /// owner's staff number and the punch's verdict, or `None` for a punch
    /// of an unknown card.
    ///
    /// Idempotent by id: a punch the running day already holds (it was
    /// read back from the store after its commit) is not added again.
    pub fn add_punch(&mut self, row: PunchRow) -> Option<(String, Verdict)> {
        let Some(no) = self.owner(&row) else {
            let i = self.unknown.partition_point(|p| (p.at, p.id) < (row.at, row.id));
            if self.unknown.get(i).is_none_or(|p| p.id != row.id) {
                self.unknown.insert(i, row);
            }
            return None;
        };
        let id = row.id;
        if let Some(p) = self.punches.get(&no).and_then(|list| list.iter().find(|p| p.row.id == id)) {
            return Some((no, p.verdict));
        }
        let mut list = self.punches.remove(&no).unwrap_or_default();
        list.push(JudgedPunch { row, verdict: Verdict::Accepted });
        let list = judge_list(self.config, &self.staff, &no, list);
        let verdict = list.iter().find(|p| p.row.id == id).map_or(Verdict::Accepted, |p| p.verdict);
        self.punches.insert(no.clone(), list);
        Some((no, verdict))
    }

    /// The person's last accepted punch before `at` (for the duplicate event).
    pub fn last_accepted_before(&self, staff_no: &str, at: Instant) -> Option<Instant> {
        self.punches
            .get(staff_no)?
            .iter()
            .rev()
            .find(|p| p.row.at <= at && p.verdict == Verdict::Accepted)
            .map(|p| p.row.at)
    }

    pub fn set_now(&mut self, now: Instant) {
        self.now = now;
    }

    pub fn config(&self) -> &'c Config {
        self.config
    }

    pub fn now(&self) -> Instant {
        self.now
    }

    /// Staff of the kiosk's units (or of one unit), by staff number.
    pub fn people(&self, unit: Option<&str>) -> Vec<&Staff> {
        self.staff
            .values()
            .filter(|s| self.config.units.contains(&s.unit))
            .filter(|s| unit.is_none_or(|u| s.unit == u))
            .collect()
    }

    /// Staff of `unit` whether or not the kiosk judges it (a door's units).
    pub fn people_of_unit(&self, unit: &str) -> Vec<&Staff> {
        self.staff.values().filter(|s| s.unit == unit).collect()
    }

    /// The kind of the leave or duty that covers most of the person's
    /// sessions on `date` (the first such record on a tie), if any.
    pub fn leave_kind(&self, staff: &Staff, date: NaiveDate) -> Option<&str> {
        let plan = self.plan_for(staff, date);
        let overlap = |s: &Span| -> i64 {
            plan.sessions.iter().map(|p| (s.end.min(p.span.end) - s.start.max(p.span.start)).max(0)).sum()
        };
        self.leave_kinds
            .get(&staff.staff_no)?
            .iter()
            .map(|(s, k)| (overlap(s), k))
            .filter(|(o, _)| *o > 0)
            .fold(None, |best: Option<(i64, &String)>, (o, k)| match best {
                Some((b, _)) if b >= o => best,
                _ => Some((o, k)),
            })
            .map(|(_, k)| k.as_str())
    }

    /// The cards that are the person's now.
    pub fn cards_of(&self, staff_no: &str) -> Vec<&str> {
        self.book.cards_of(staff_no, self.now)
    }

    /// Every staff member the store knows, by staff number.
    pub fn all_staff(&self) -> impl Iterator<Item = &Staff> {
        self.staff.values()
    }

    pub fn staff_member(&self, staff_no: &str) -> Option<&Staff> {
        self.staff.get(staff_no)
    }

    /// The schedule a person is judged by.
    pub fn schedule(&self, staff: &Staff) -> &'c Schedule {
        self.config.schedule(&staff.schedule)
    }

    fn plan(&self, schedule: &'c Schedule, date: NaiveDate) -> Rc<DayPlan> {
        self.plans
            .borrow_mut()
            .entry((schedule.name.as_str(), date))
            .or_insert_with(|| Rc::new(schedule.plan(date, None)))
            .clone()
    }

    fn roster_of(&self, staff: &Staff, date: NaiveDate) -> Option<&Vec<ClockSpan>> {
        self.roster.get(staff.staff_no.as_str())?.get(&date)
    }

    /// Whether the 值班 roster gives the person sessions on `date`.
    pub fn rostered(&self, staff: &Staff, date: NaiveDate) -> bool {
        self.roster_of(staff, date).is_some()
    }

    /// The plan of a person's day: the roster's sessions, else the schedule's.
    pub fn plan_for(&self, staff: &Staff, date: NaiveDate) -> Rc<DayPlan> {
        let schedule = self.schedule(staff);
        match self.roster_of(staff, date) {
            Some(r) => Rc::new(schedule.plan(date, Some(r))),
            None => self.plan(schedule, date),
        }
    }

    /// Judges one person's day (R1–R11).
    pub fn day<'a>(&'a self, staff: &'a Staff, date: NaiveDate) -> PersonDay<'a> {
        let schedule = self.schedule(staff);
        let no = staff.staff_no.as_str();
        let rostered = self.roster_of(staff, date).is_some();
        let plan = self.plan_for(staff, date);
        let obligated = rostered
            || (staff.has_schedule_obligations() && self.calendar.is_workday(date, schedule) && staff.active_on(date));
        let all = self.punches.get(no).map_or(&[][..], Vec::as_slice);
        let lo = all.partition_point(|p| p.row.at < plan.day.start);
        let hi = all.partition_point(|p| p.row.at < plan.day.end);
        let punches = &all[lo..hi];
        let accepted: Vec<Instant> =
            punches.iter().filter(|p| p.verdict == Verdict::Accepted).map(|p| p.row.at).collect();
        let excuses = self.excuses.get(no).map_or(&[][..], Vec::as_slice);
        let checks: Vec<SpotCheck> = self
            .spot_checks
            .get(no)
            .map(|v| v.iter().copied().filter(|c| plan.day.contains(c.at)).collect())
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
        record.figures.corrections =
            punches.iter().filter(|p| p.added() || p.verdict == Verdict::Voided).count() as u32;
        PersonDay { staff, schedule, date, obligated, plan, record, punches, accepted, excuses }
    }

    /// Punches of unassigned cards made at this kiosk in the attendance
    /// day `date` of the default schedule (R1), not voided. Another door's
    /// (`origin`) are that door's to count and enrol: kept here only so
    /// that they attach to a person once the card is known.
    pub fn unknown_card_punches(&self, date: NaiveDate) -> Vec<&PunchRow> {
        let plan = self.plan(self.config.default_schedule(), date);
        self.unknown.iter().filter(|p| !p.voided && p.origin.is_none() && plan.day.contains(p.at)).collect()
    }

    /// Punches recorded while the clock was not synchronized, in the day.
    pub fn clock_unsynced_punches(&self, date: NaiveDate) -> usize {
        let plan = self.plan(self.config.default_schedule(), date);
        self.punches
            .values()
            .flat_map(|v| v.iter().map(|p| &p.row))
            .chain(self.unknown.iter())
            .filter(|p| p.clock_synced == Some(false) && plan.day.contains(p.at))
            .count()
    }

    /// Whether `date` is a workday by the calendar and the default schedule (R2).
    pub fn workday(&self, date: NaiveDate) -> bool {
        self.calendar.is_workday(date, self.config.default_schedule())
    }

    /// Whether a calendar was imported for the date's year (R2).
    pub fn calendar_known(&self, date: NaiveDate) -> bool {
        self.calendar.knows(date)
    }

    /// Whether `date` is over for every schedule in use (R11).
    pub fn closed(&self, date: NaiveDate) -> bool {
        self.now >= close_instant(self.config, date)
    }
}

/// The instant day `date` closes: the next day's start in the schedule
/// that starts it last (R11).
pub fn close_instant(config: &Config, date: NaiveDate) -> Instant {
    let next = date.succ_opt().unwrap_or(date);
    config.schedules.values().map(|s| s.day_start(next)).max().unwrap_or(Instant::MAX)
}

/// The instants to read from the store to judge `from..=to`: a day before
/// for the duplicate window's lookback (R3) and the zones' spread.
pub fn read_range(config: &Config, from: NaiveDate, to: NaiveDate) -> (Instant, Instant) {
    let starts = config.schedules.values().map(|s| s.day_start(from)).min().unwrap_or(0);
    let ends = config.schedules.values().map(|s| s.day_start(to + chrono::Duration::days(1))).max().unwrap_or(0);
    (starts - 86_400_000, ends)
}
