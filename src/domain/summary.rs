//! The daily summary (SPEC.md "Daily summary (JSON)") and the period report.
//! These are the wire types: what `summary --format json` prints, what the
//! kiosk uploads and what the central server stores. Their field names and
//! status words are owned here (SPEC's names), not by serde derives on the
//! rules engine's types, so a rename inside the engine cannot change the
//! wire.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::domain::attendance::Attendance;
use crate::domain::rules::{Figures, Status};
use crate::domain::time::{clock_time, rfc3339};

pub const SCHEMA: &str = "dutyclock.daily-summary/1";

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Totals {
    pub staff: u32,
    pub expected: u32,
    pub present: u32,
    pub normal: u32,
    pub exception: u32,
    pub absent: u32,
    pub leave: u32,
    pub duty: u32,
    pub pending: u32,
    pub rest: u32,
    pub late_count: u32,
    pub early_count: u32,
    pub absent_sessions: u32,
    pub off_post_count: u32,
    pub missing_punches: u32,
    pub spot_check_absences: u32,
}

/// A day's status (RULES.md R10) as the summary spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DayStatus {
    Rest,
    Leave,
    Duty,
    Absent,
    Exception,
    Pending,
    Normal,
}

impl From<Status> for DayStatus {
    fn from(s: Status) -> Self {
        match s {
            Status::Rest => DayStatus::Rest,
            Status::Leave => DayStatus::Leave,
            Status::Duty => DayStatus::Duty,
            Status::Absent => DayStatus::Absent,
            Status::Exception => DayStatus::Exception,
            Status::Pending => DayStatus::Pending,
            Status::Normal => DayStatus::Normal,
        }
    }
}

impl From<DayStatus> for Status {
    fn from(s: DayStatus) -> Self {
        match s {
            DayStatus::Rest => Status::Rest,
            DayStatus::Leave => Status::Leave,
            DayStatus::Duty => Status::Duty,
            DayStatus::Absent => Status::Absent,
            DayStatus::Exception => Status::Exception,
            DayStatus::Pending => Status::Pending,
            DayStatus::Normal => Status::Normal,
        }
    }
}

impl DayStatus {
    /// The JSON word.
    pub fn as_str(self) -> &'static str {
        match self {
            DayStatus::Rest => "rest",
            DayStatus::Leave => "leave",
            DayStatus::Duty => "duty",
            DayStatus::Absent => "absent",
            DayStatus::Exception => "exception",
            DayStatus::Pending => "pending",
            DayStatus::Normal => "normal",
        }
    }
}

/// A person's figures for a day (RULES.md R10), in SPEC's order and names.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayFigures {
    pub late_minutes: u32,
    pub late_count: u32,
    pub early_minutes: u32,
    pub early_count: u32,
    pub absent_sessions: u32,
    pub absent_minutes: u32,
    pub off_post_count: u32,
    pub off_post_minutes: u32,
    pub missing_punches: u32,
    pub spot_check_absences: u32,
    pub spot_checks_present: u32,
    pub leave_minutes: u32,
    pub duty_minutes: u32,
    pub corrections: u32,
}

impl From<&Figures> for DayFigures {
    fn from(f: &Figures) -> Self {
        DayFigures {
            late_minutes: f.late_minutes,
            late_count: f.late_count,
            early_minutes: f.early_minutes,
            early_count: f.early_count,
            absent_sessions: f.absent_sessions,
            absent_minutes: f.absent_minutes,
            off_post_count: f.off_post_count,
            off_post_minutes: f.off_post_minutes,
            missing_punches: f.missing_punches,
            spot_check_absences: f.spot_check_absences,
            spot_checks_present: f.spot_checks_present,
            leave_minutes: f.leave_minutes,
            duty_minutes: f.duty_minutes,
            corrections: f.corrections,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonSummary {
    pub staff_no: String,
    pub name: String,
    pub unit: String,
    pub status: DayStatus,
    #[serde(flatten)]
    pub figures: DayFigures,
    pub punches: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DailySummary {
    pub schema: String,
    pub kiosk_id: String,
    pub date: NaiveDate,
    pub revision: i64,
    pub workday: bool,
    pub closed: bool,
    pub generated_at: String,
    pub calendar_known: bool,
    pub clock_unsynced_punches: u32,
    pub unknown_card_punches: u32,
    pub totals: Totals,
    pub people: Vec<PersonSummary>,
    /// The kiosk's record chain when the summary was made (its length and
    /// head, hex SHA-256): optional, not part of the content comparison.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chain_length: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chain_head: Option<String>,
    /// The version of the rules (schedules and calendar) the kiosk judged
    /// the day with, as it declared them to the central server (SPEC
    /// "Records", `PUT …/rules`): optional, not part of the content
    /// comparison (the figures are).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rules_version: Option<u64>,
}

impl DailySummary {
    /// The content two summaries are compared by (R11, SPEC): everything
    /// but `generated_at`, `revision`, the record chain's position and the
    /// rules' version.
    pub fn content_key(&self) -> String {
        content_key(&serde_json::to_value(self).unwrap_or_default())
    }
}

/// The content key of a stored or received summary, read as plain JSON
/// so that fields this version does not know (SPEC's optional ones) never
/// make an unchanged day look changed. Keys are sorted at every level: the
/// same content in another key order is the same content.
pub fn content_key(summary: &serde_json::Value) -> String {
    let mut v = sorted(summary);
    if let Some(o) = v.as_object_mut() {
        for k in ["generated_at", "revision", "chain_length", "chain_head", "rules_version"] {
            o.shift_remove(k);
        }
    }
    v.to_string()
}

/// A copy of `v` with every object's keys in sorted order.
fn sorted(v: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match v {
        Value::Object(o) => {
            let mut keys: Vec<&String> = o.keys().collect();
            keys.sort();
            Value::Object(keys.into_iter().map(|k| (k.clone(), sorted(&o[k]))).collect())
        }
        Value::Array(a) => Value::Array(a.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

/// Builds the day's summary (revision 0; the caller numbers closed ones).
pub fn daily(att: &Attendance<'_>, date: NaiveDate) -> DailySummary {
    let config = att.config();
    let default = config.default_schedule();
    let mut totals = Totals::default();
    let mut people = Vec::new();
    for staff in att.people(None) {
        let day = att.day(staff, date);
        let f = &day.record.figures;
        totals.staff += 1;
        if day.obligated {
            totals.expected += 1;
            if !day.accepted.is_empty() {
                totals.present += 1;
            }
        }
        match day.record.status {
            Status::Normal => totals.normal += 1,
            Status::Exception => totals.exception += 1,
            Status::Absent => totals.absent += 1,
            Status::Leave => totals.leave += 1,
            Status::Duty => totals.duty += 1,
            Status::Pending => totals.pending += 1,
            Status::Rest => totals.rest += 1,
        }
        totals.late_count += f.late_count;
        totals.early_count += f.early_count;
        totals.absent_sessions += f.absent_sessions;
        totals.off_post_count += f.off_post_count;
        totals.missing_punches += f.missing_punches;
        totals.spot_check_absences += f.spot_check_absences;
        people.push(PersonSummary {
            staff_no: staff.staff_no.clone(),
            name: staff.name.clone(),
            unit: staff.unit.clone(),
            status: day.record.status.into(),
            figures: f.into(),
            punches: day.accepted.iter().map(|&t| clock_time(day.schedule.tz, t)).collect(),
        });
    }
    people.sort_by(|a, b| a.staff_no.cmp(&b.staff_no));
    DailySummary {
        schema: SCHEMA.into(),
        kiosk_id: config.kiosk_id.clone(),
        date,
        revision: 0,
        workday: att.workday(date),
        closed: att.closed(date),
        generated_at: rfc3339(default.tz, att.now()),
        calendar_known: att.calendar_known(date),
        clock_unsynced_punches: att.clock_unsynced_punches(date) as u32,
        unknown_card_punches: att.unknown_card_punches(date).len() as u32,
        totals,
        people,
        chain_length: None,
        chain_head: None,
        rules_version: None,
    }
}

/// One row of the period report: a person's or a unit's totals.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReportRow {
    pub staff_no: String,
    pub name: String,
    pub unit: String,
    pub days_expected: u32,
    pub days_present: u32,
    pub late_count: u32,
    pub late_minutes: u32,
    pub early_count: u32,
    pub early_minutes: u32,
    pub absent_sessions: u32,
    pub absent_minutes: u32,
    pub off_post_count: u32,
    pub off_post_minutes: u32,
    pub missing_punches: u32,
    pub spot_check_absences: u32,
    /// 暗访问题: the central server's count of inspectors' findings
    /// (issue 24); `None` where findings are not known (the kiosk's own
    /// report), and then not written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub findings: Option<u32>,
    pub leave_minutes: u32,
    pub duty_minutes: u32,
    pub corrections: u32,
}

impl ReportRow {
    /// A person's row from sums a database already made.
    pub fn from_sums(
        staff_no: String,
        name: String,
        unit: String,
        expected: u32,
        present: u32,
        f: &DayFigures,
    ) -> ReportRow {
        let mut row =
            ReportRow { staff_no, name, unit, days_expected: expected, days_present: present, ..ReportRow::default() };
        row.add_figures(false, false, f);
        row
    }

    /// Adds one day's wire figures.
    fn add_figures(&mut self, expected: bool, present: bool, f: &DayFigures) {
        // Saturating: a kiosk may send any u32, and a sum must not wrap
        // (a wrapped count would drop a person from a ranking).
        self.days_expected = self.days_expected.saturating_add(u32::from(expected));
        self.days_present = self.days_present.saturating_add(u32::from(present));
        for (sum, v) in [
            (&mut self.late_count, f.late_count),
            (&mut self.late_minutes, f.late_minutes),
            (&mut self.early_count, f.early_count),
            (&mut self.early_minutes, f.early_minutes),
            (&mut self.absent_sessions, f.absent_sessions),
            (&mut self.absent_minutes, f.absent_minutes),
            (&mut self.off_post_count, f.off_post_count),
            (&mut self.off_post_minutes, f.off_post_minutes),
            (&mut self.missing_punches, f.missing_punches),
            (&mut self.spot_check_absences, f.spot_check_absences),
            (&mut self.leave_minutes, f.leave_minutes),
            (&mut self.duty_minutes, f.duty_minutes),
            (&mut self.corrections, f.corrections),
        ] {
            *sum = sum.saturating_add(v);
        }
    }

    fn add_day(&mut self, obligated: bool, present: bool, f: &Figures) {
        self.add_figures(obligated, obligated && present, &DayFigures::from(f));
    }

    /// Adds another row's days and figures (a unit's or a period's sum).
    pub fn add(&mut self, o: &ReportRow) {
        self.days_expected = self.days_expected.saturating_add(o.days_expected);
        self.days_present = self.days_present.saturating_add(o.days_present);
        let f = DayFigures {
            late_count: o.late_count,
            late_minutes: o.late_minutes,
            early_count: o.early_count,
            early_minutes: o.early_minutes,
            absent_sessions: o.absent_sessions,
            absent_minutes: o.absent_minutes,
            off_post_count: o.off_post_count,
            off_post_minutes: o.off_post_minutes,
            missing_punches: o.missing_punches,
            spot_check_absences: o.spot_check_absences,
            leave_minutes: o.leave_minutes,
            duty_minutes: o.duty_minutes,
            corrections: o.corrections,
            spot_checks_present: 0,
        };
        self.add_figures(false, false, &f);
        self.findings = match (self.findings, o.findings) {
            (None, None) => None,
            (a, b) => Some(a.unwrap_or(0).saturating_add(b.unwrap_or(0))),
        };
    }

    /// SPEC ranking: absent sessions, then late + early, then off post, then
    /// missing punches (all descending), then staff number. Where findings
    /// are known (central's report, issue 24: 暗访问题 "ranked after spot
    /// checks"), spot-check absences and then findings break a tie after
    /// missing punches; the kiosk's ranking is unchanged.
    fn rank_figures(&self) -> std::cmp::Reverse<RankFigures> {
        let (spot, found) = match self.findings {
            Some(n) => (self.spot_check_absences, n),
            None => (0, 0),
        };
        std::cmp::Reverse((
            self.absent_sessions,
            self.late_count.saturating_add(self.early_count),
            self.off_post_count,
            self.missing_punches,
            spot,
            found,
        ))
    }
}

/// What a ranking compares, most weighty first (see `rank_figures`).
type RankFigures = (u32, u32, u32, u32, u32, u32);

/// The period report: per person and per unit, ranked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub people: Vec<ReportRow>,
    pub units: Vec<ReportRow>,
    /// The rows carry findings (central's report): its files have the
    /// 暗访问题 column.
    pub with_findings: bool,
}

/// Sorts report rows by SPEC's ranking: people by their figures then
/// staff number, units by their figures then name.
pub fn rank(people: &mut [ReportRow], units: &mut [ReportRow]) {
    rank_people(people);
    units.sort_by(|a, b| a.rank_figures().cmp(&b.rank_figures()).then_with(|| a.unit.cmp(&b.unit)));
}

/// People by [`rank_figures`](ReportRow::rank_figures), then staff number.
/// A province's report ranks 100,000 people: the rows are not moved while
/// they are compared (a key a row, then the rows permuted once, as
/// `sort_by_cached_key` does), and the key holds the staff number's first
/// 16 bytes rather than a copy of it (the whole number is compared only
/// where those tie), so ranking allocates nothing a row.
fn rank_people(people: &mut [ReportRow]) {
    /// The first bytes of a staff number, zero-padded, as one big-endian
    /// number (compared as two machine words, not by a call to `memcmp`):
    /// where two of these differ, they order as the whole numbers do.
    /// Numbers that share their first 16 bytes (a long common prefix) are
    /// told apart by the whole strings, as before.
    fn head(no: &str) -> u128 {
        let mut h = [0u8; 16];
        let n = no.len().min(16);
        h[..n].copy_from_slice(&no.as_bytes()[..n]);
        u128::from_be_bytes(h)
    }
    let mut keys: Vec<(std::cmp::Reverse<RankFigures>, u128, usize)> =
        people.iter().enumerate().map(|(i, r)| (r.rank_figures(), head(&r.staff_no), i)).collect();
    keys.sort_unstable_by(|a, b| {
        (a.0, a.1).cmp(&(b.0, b.1)).then_with(|| people[a.2].staff_no.cmp(&people[b.2].staff_no)).then(a.2.cmp(&b.2))
    });
    // Each place takes the row its key names; a row already moved away
    // is followed to where it went (std's `sort_by_cached_key`).
    for i in 0..keys.len() {
        let mut from = keys[i].2;
        while from < i {
            from = keys[from].2;
        }
        keys[i].2 = from;
        people.swap(i, from);
    }
}

/// The period report from the people of stored daily summaries (what the
/// central server holds): each person's days summed (a day counts as
/// expected unless its status is `rest`, as present when it also has a
/// punch), the units summed from their people, ranked as SPEC says. A
/// person's name and unit are those of their latest day.
pub fn report_from_days<'a>(
    from: NaiveDate,
    to: NaiveDate,
    days: impl IntoIterator<Item = (NaiveDate, &'a PersonSummary)>,
) -> Report {
    let mut by_person: std::collections::BTreeMap<&str, (NaiveDate, ReportRow)> = Default::default();
    for (date, p) in days {
        let entry = by_person.entry(p.staff_no.as_str()).or_insert_with(|| {
            (
                date,
                ReportRow {
                    staff_no: p.staff_no.clone(),
                    name: p.name.clone(),
                    unit: p.unit.clone(),
                    ..ReportRow::default()
                },
            )
        });
        if date >= entry.0 {
            entry.0 = date;
            entry.1.name = p.name.clone();
            entry.1.unit = p.unit.clone();
        }
        let expected = p.status != DayStatus::Rest;
        entry.1.add_figures(expected, expected && !p.punches.is_empty(), &p.figures);
    }
    let mut people: Vec<ReportRow> = by_person.into_values().map(|(_, r)| r).collect();
    let mut units = unit_rows(&people);
    rank(&mut people, &mut units);
    Report { from, to, people, units, with_findings: false }
}

/// The units' sums of people rows, one row a unit in the order each unit
/// first appears (unranked). Found by name through an index: a province's
/// 100,000 people over 400 units is one pass, not 40 million comparisons.
pub fn unit_rows(people: &[ReportRow]) -> Vec<ReportRow> {
    let mut units: Vec<ReportRow> = Vec::new();
    let mut at: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for row in people {
        let i = *at.entry(row.unit.as_str()).or_insert_with(|| {
            units.push(ReportRow { unit: row.unit.clone(), ..ReportRow::default() });
            units.len() - 1
        });
        units[i].add(row);
    }
    units
}

/// Totals over `from..=to` (inclusive) for the kiosk's units, or one unit.
pub fn report(att: &Attendance<'_>, from: NaiveDate, to: NaiveDate, unit: Option<&str>) -> Report {
    let mut people = Vec::new();
    let mut units: Vec<ReportRow> = Vec::new();
    for staff in att.people(unit) {
        let mut row = ReportRow {
            staff_no: staff.staff_no.clone(),
            name: staff.name.clone(),
            unit: staff.unit.clone(),
            ..ReportRow::default()
        };
        for date in from.iter_days().take_while(|d| *d <= to) {
            let day = att.day(staff, date);
            row.add_day(day.obligated, !day.accepted.is_empty(), &day.record.figures);
        }
        match units.iter_mut().find(|u| u.unit == row.unit) {
            Some(u) => u.add(&row),
            None => {
                let mut u = ReportRow { unit: row.unit.clone(), ..ReportRow::default() };
                u.add(&row);
                units.push(u);
            }
        }
        people.push(row);
    }
    rank(&mut people, &mut units);
    Report { from, to, people, units, with_findings: false }
}

#[cfg(test)]
mod tests {
    use super::content_key;
    use serde_json::json;

    #[test]
    fn content_keys_ignore_key_order_and_the_chain_position() {
        let a = json!({"date": "2026-11-02", "revision": 1, "people": [{"a": 1, "b": 2}], "generated_at": "x"});
        let b = json!({"people": [{"b": 2, "a": 1}], "chain_length": 7, "revision": 2, "date": "2026-11-02"});
        assert_eq!(content_key(&a), content_key(&b));
        let c = json!({"people": [{"b": 3, "a": 1}], "date": "2026-11-02"});
        assert_ne!(content_key(&a), content_key(&c));
    }

    /// The ranking's sort (keys with the staff number's first 16 bytes)
    /// against the plain comparison, on numbers that share 16 bytes and
    /// more, end inside them, hold a NUL or multi-byte characters, with
    /// figures that tie often and findings known or not.
    #[test]
    fn people_rank_as_the_plain_comparison_orders_them() {
        let stems = ["", "0000000000000000", "000000000000000", "甲乙丙丁戊己", "a\0", "a"];
        let mut rows = Vec::new();
        let mut seed = 7u32;
        let mut next = |m: u32| {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            (seed >> 16) % m
        };
        for i in 0..600u32 {
            let stem = stems[next(stems.len() as u32) as usize];
            let mut r = super::ReportRow {
                staff_no: format!("{stem}{}", next(40)),
                absent_sessions: next(2),
                late_count: next(3),
                early_count: next(2),
                missing_punches: next(2),
                spot_check_absences: next(2),
                findings: (i % 3 == 0).then(|| next(2)),
                ..Default::default()
            };
            if i % 50 == 0 {
                r.staff_no = stem.to_string();
            }
            r.name = i.to_string();
            rows.push(r);
        }
        let mut want = rows.clone();
        want.sort_by(|a, b| a.rank_figures().cmp(&b.rank_figures()).then_with(|| a.staff_no.cmp(&b.staff_no)));
        super::rank_people(&mut rows);
        let names = |v: &[super::ReportRow]| v.iter().map(|r| r.name.clone()).collect::<Vec<_>>();
        assert_eq!(names(&rows), names(&want), "the same rows in the same order, ties kept as they came");
    }
}
