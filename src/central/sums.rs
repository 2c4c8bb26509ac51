//! Sums kept as the summaries arrive (issue 25), so that a province's
//! quarter is read in rows per person-month and per unit-day, not per
//! person-day:
//!
//! - `person_months`: each person's latest days of a month summed, by
//!   month, unit and person, with their name on the last of those days.
//!   A period's report reads a quarter as three rows a person, plus the
//!   days of a partial month at either end from `summary_people`.
//! - `unit_days`: each kiosk's day by unit, the overview's counters (the
//!   same definitions as [`overview`](super::overview::overview)) and the
//!   report's chart of the days.
//!
//! Both are kept in the upload's own transaction, from the rows it has
//! just written to `summary_people`, by the statements here (one text for
//! both backends: `?N` parameters, turned into `$N` for PostgreSQL by
//! [`numbered`]). The invariant: `person_months` holds exactly the sums
//! of `summary_people`'s latest rows by month, unit and person, and
//! `unit_days` those by date, unit and kiosk. A kiosk's first summary of
//! a day adds its people (nobody else's latest row for those person-days
//! exists: the day's claims refuse a second kiosk); a later revision
//! replaces the sums of every person-month the old or the new revision
//! touches, summed again from those people's latest rows of the month (a
//! subtraction would leave a person's last day and name stale when the
//! new revision drops them). Two PostgreSQL uploads on one person's
//! month may collide (a key taken between one's delete and insert, or a
//! deadlock): the upload is tried again. A database from before the sums fills them
//! once from `summary_people` ([`fill_all_months`], [`fill_all_unit_days`]).

use chrono::{Datelike, NaiveDate};
use indexmap::IndexMap;

use super::overview::UnitDay;
use super::sqlite::FIGURES;
use crate::domain::summary::ReportRow;

/// The tables (the same DDL for both backends).
pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS person_months (
    month     TEXT NOT NULL,
    unit      TEXT NOT NULL,
    staff_no  TEXT NOT NULL,
    last_date TEXT NOT NULL,
    name      TEXT NOT NULL,
    expected  BIGINT NOT NULL,
    present   BIGINT NOT NULL,
    late_minutes BIGINT NOT NULL, late_count BIGINT NOT NULL,
    early_minutes BIGINT NOT NULL, early_count BIGINT NOT NULL,
    absent_sessions BIGINT NOT NULL, absent_minutes BIGINT NOT NULL,
    off_post_count BIGINT NOT NULL, off_post_minutes BIGINT NOT NULL,
    missing_punches BIGINT NOT NULL, spot_check_absences BIGINT NOT NULL,
    spot_checks_present BIGINT NOT NULL, leave_minutes BIGINT NOT NULL,
    duty_minutes BIGINT NOT NULL, corrections BIGINT NOT NULL,
    PRIMARY KEY (month, unit, staff_no)
);
CREATE TABLE IF NOT EXISTS unit_days (
    date      TEXT NOT NULL,
    unit      TEXT NOT NULL,
    kiosk_id  TEXT NOT NULL,
    people    BIGINT NOT NULL,
    expected  BIGINT NOT NULL,
    present   BIGINT NOT NULL,
    at_post   BIGINT NOT NULL,
    on_time   BIGINT NOT NULL,
    on_leave  BIGINT NOT NULL,
    on_duty   BIGINT NOT NULL,
    late_count BIGINT NOT NULL,
    early_count BIGINT NOT NULL,
    absent_sessions BIGINT NOT NULL,
    off_post_count BIGINT NOT NULL,
    missing_punches BIGINT NOT NULL,
    spot_check_absences BIGINT NOT NULL,
    PRIMARY KEY (date, unit, kiosk_id)
);
";

/// `?N` parameters as PostgreSQL's `$N`.
pub fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '?' && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push('$');
        } else {
            out.push(c);
        }
    }
    out
}

/// The month of a date as `person_months` keys it (`2026-07`).
pub fn month_of(date: NaiveDate) -> String {
    date.format("%Y-%m").to_string()
}

/// The days from `from` to `to` (both included) as an SQL list of text
/// literals, `'2026-07-01', '2026-07-02', …` (the dates are made here,
/// never taken from a request). A person's rows are found by their days:
/// `summary_people`'s index is (date, staff_no), so a person's days are
/// as many exact probes, the same on both backends. (An index led by the
/// staff number put each of an upload's people on another page of it, so
/// that writing a day into a loaded quarter touched the whole index: the
/// province's loaded ingest ran at half its empty rate, issue 25.)
pub fn days_list(from: NaiveDate, to: NaiveDate) -> String {
    from.iter_days().take_while(|d| *d <= to).map(|d| format!("'{d}'")).collect::<Vec<_>>().join(", ")
}

fn figures(prefix: &str) -> String {
    FIGURES.iter().map(|f| format!("{prefix}{f}")).collect::<Vec<_>>().join(", ")
}

/// How a backend is made to find a person's rows of a day by the (date,
/// staff_no) index, one person at a time.
/// - SQLite keeps no statistics here, and without them it takes the
///   table's own key (date first too) and reads the whole day (a hundred
///   thousand rows at a province's size) for one person: the index is
///   named (`INDEXED BY`).
/// - PostgreSQL chooses by its statistics, and for a revision's 250
///   people joined to a month's days it chose to read the whole table
///   (a hash join: 270 ms at 10,000 people, a tenth of a province): each
///   person's rows are a subquery of their own (`LATERAL`, fenced by
///   `OFFSET 0` so that it is not turned back into a join). The index
///   holds the latest rows only (see the PostgreSQL schema), so the
///   subquery says `latest` itself.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum ByDay {
    Sqlite,
    Postgres,
}

impl ByDay {
    /// What follows `summary_people n` where one person's row of a day
    /// is read.
    pub fn hint(self) -> &'static str {
        match self {
            ByDay::Sqlite => "INDEXED BY summary_people_day",
            ByDay::Postgres => "",
        }
    }

    /// The rows `p` of the people of `touched` (a subquery of unit and
    /// staff_no) on the `days` (a [`days_list`]).
    fn rows_of(self, touched: &str, days: &str) -> String {
        match self {
            ByDay::Sqlite => format!(
                "({touched}) t JOIN summary_people p INDEXED BY summary_people_day \
                 ON p.staff_no = t.staff_no AND p.unit = t.unit AND p.date IN ({days})"
            ),
            ByDay::Postgres => format!(
                "({touched}) t CROSS JOIN LATERAL (SELECT * FROM summary_people p \
                 WHERE p.staff_no = t.staff_no AND p.unit = t.unit AND p.date IN ({days}) AND p.latest OFFSET 0) p"
            ),
        }
    }
}

/// A kiosk's first summary of a day (`?1` kiosk, `?2` date, `?3`
/// revision, `?4` month): its people added to their months.
pub fn add_to_months() -> String {
    months_added_from("summary_people WHERE kiosk_id = ?1 AND date = ?2 AND revision = ?3", "?4")
}

/// People's rows of one day added to their months (`month`, a
/// parameter): `rows` is what follows `FROM`, a table and its condition
/// or the name of the `RETURNING` rows of the insert that wrote them
/// (PostgreSQL reads them there, not again from the table).
pub fn months_added_from(rows: &str, month: &str) -> String {
    format!(
        "INSERT INTO person_months (month, unit, staff_no, last_date, name, expected, present, {f})
         SELECT {month}, unit, staff_no, date, name, expected, present, {f} FROM {rows} ORDER BY staff_no
         ON CONFLICT (month, unit, staff_no) DO UPDATE SET {set}",
        f = figures(""),
        set = month_added_to("person_months", "excluded", "excluded.last_date"),
    )
}

/// The `SET` list that adds a day's row (`new`, its date `new_date`) to
/// a person's month held (`held`): the name of the latest day, the latest
/// date, and each count and figure summed.
fn month_added_to(held: &str, new: &str, new_date: &str) -> String {
    let sums: String = ["expected", "present"]
        .iter()
        .chain(FIGURES.iter())
        .map(|f| format!(", {f} = {held}.{f} + {new}.{f}"))
        .collect();
    format!(
        "name = CASE WHEN {new_date} >= {held}.last_date THEN {new}.name ELSE {held}.name END,
         last_date = CASE WHEN {new_date} > {held}.last_date THEN {new_date} ELSE {held}.last_date END
         {sums}"
    )
}

/// PostgreSQL: people's rows of one day (`rows`, the name of an insert's
/// `RETURNING` rows, aliased `i`) added to the months they already have
/// (`month`, a parameter), as an `UPDATE` that gives back the (unit,
/// staff_no) it found: an upsert would write a lock record a row before
/// its update, and a new row only once a month. The rest go in through
/// [`months_added_from`].
pub fn months_updated_from(rows: &str, month: &str) -> String {
    format!(
        "UPDATE person_months m SET {}
         FROM {rows} i WHERE m.month = {month} AND m.unit = i.unit AND m.staff_no = i.staff_no
         RETURNING m.unit, m.staff_no",
        month_added_to("m", "i", "i.date")
    )
}

/// The person-months a revision touches (`?1` kiosk, `?2` date, `?3`
/// the old revision, `?4` the new one), as a subquery of (unit, staff_no).
const TOUCHED: &str =
    "SELECT DISTINCT unit, staff_no FROM summary_people WHERE kiosk_id = ?1 AND date = ?2 AND revision IN (?3, ?4)";

/// A later revision, first step (`?1`–`?4` as [`TOUCHED`], `?5` month):
/// the sums of the person-months it touches taken away…
pub fn drop_touched_months() -> String {
    format!("DELETE FROM person_months WHERE month = ?5 AND (unit, staff_no) IN ({TOUCHED})")
}

/// …second step (`?1`–`?4` as [`TOUCHED`]; the month is `date`'s): and
/// summed again from their latest rows, after the new revision's are
/// written. From the touched people to their rows of each day of the
/// month (the (date, staff_no) index, see [`days_list`]), never a scan of
/// the month.
pub fn refill_touched_months(date: NaiveDate, by_day: ByDay) -> String {
    let first = date.with_day(1).unwrap_or(date);
    let last = first.checked_add_months(chrono::Months::new(1)).and_then(|d| d.pred_opt()).unwrap_or(first);
    fill_months(&by_day.rows_of(TOUCHED, &days_list(first, last)), "true", by_day)
}

/// `person_months` summed from the latest rows of `source` (rows `p.`)
/// that meet `condition`; the name is the one of the person's last day
/// there.
fn fill_months(source: &str, condition: &str, by_day: ByDay) -> String {
    format!(
        "INSERT INTO person_months (month, unit, staff_no, last_date, name, expected, present, {f})
         SELECT g.month, g.unit, g.staff_no, g.last_date,
           (SELECT n.name FROM summary_people n {by_day}
            WHERE n.staff_no = g.staff_no AND n.date = g.last_date AND n.unit = g.unit AND n.latest LIMIT 1),
           g.expected, g.present, {f}
         FROM (SELECT substr(p.date, 1, 7) AS month, p.unit, p.staff_no, max(p.date) AS last_date,
                 sum(p.expected) AS expected, sum(p.present) AS present, {s}
               FROM {source} WHERE p.latest AND {condition}
               GROUP BY substr(p.date, 1, 7), p.unit, p.staff_no) g
         ORDER BY g.staff_no",
        f = figures(""),
        s = FIGURES.iter().map(|f| format!("sum(p.{f}) AS {f}")).collect::<Vec<_>>().join(", "),
        by_day = by_day.hint()
    )
}

/// Every latest row's month summed (a database from before the sums).
pub fn fill_all_months(by_day: ByDay) -> String {
    fill_months("summary_people p", "true", by_day)
}

/// `unit_days`' counters: the day's people, then the definitions of
/// [`overview`](super::overview::overview) (at post = expected and not on
/// leave or duty; on time = also punched, never late, never absent).
pub const UNIT_DAY_COLUMNS: &str = "people, expected, present, at_post, on_time, on_leave, on_duty, late_count, \
    early_count, absent_sessions, off_post_count, missing_punches, spot_check_absences";

/// A unit's day from one `unit_days` row's counters, in
/// [`UNIT_DAY_COLUMNS`] order.
pub fn unit_day(unit: String, n: [i64; 13]) -> UnitDay {
    let n = n.map(|v| u32::try_from(v.max(0)).unwrap_or(u32::MAX));
    UnitDay {
        unit,
        expected: n[1],
        present: n[2],
        at_post: n[3],
        on_time: n[4],
        leave: n[5],
        duty: n[6],
        late_count: n[7],
        early_count: n[8],
        absent_sessions: n[9],
        off_post_count: n[10],
        missing_punches: n[11],
        spot_check_absences: n[12],
        reported: true,
        ..UnitDay::default()
    }
}

/// The figures `unit_days` keeps besides the day counters.
const UNIT_DAY_FIGURES: [&str; 6] =
    ["late_count", "early_count", "absent_sessions", "off_post_count", "missing_punches", "spot_check_absences"];

fn unit_day_select(condition: &str) -> String {
    unit_days_from(&format!("summary_people WHERE {condition}"))
}

/// `unit_days` summed from `rows` (what follows `FROM`, as in
/// [`months_added_from`]).
pub fn unit_days_from(rows: &str) -> String {
    let extra: String = UNIT_DAY_FIGURES.iter().map(|f| format!("sum({f})")).collect::<Vec<_>>().join(", ");
    let not_away = "status NOT IN ('leave', 'duty')";
    format!(
        "INSERT INTO unit_days (date, unit, kiosk_id, {UNIT_DAY_COLUMNS})
         SELECT date, unit, kiosk_id, count(*), sum(expected), sum(present),
           sum(CASE WHEN expected = 1 AND {not_away} THEN 1 ELSE 0 END),
           sum(CASE WHEN present = 1 AND {not_away} AND late_count = 0 AND absent_sessions = 0 THEN 1 ELSE 0 END),
           sum(CASE WHEN status = 'leave' THEN 1 ELSE 0 END), sum(CASE WHEN status = 'duty' THEN 1 ELSE 0 END),
           {extra}
         FROM {rows} GROUP BY date, unit, kiosk_id"
    )
}

/// A kiosk's day replaced in `unit_days` (`?1` kiosk, `?2` date, `?3`
/// the new revision): first its rows taken away…
pub const DROP_UNIT_DAY: &str = "DELETE FROM unit_days WHERE date = ?2 AND kiosk_id = ?1";

/// …then summed from the revision's rows.
pub fn put_unit_day() -> String {
    unit_day_select("kiosk_id = ?1 AND date = ?2 AND revision = ?3")
}

/// Every latest row's unit-day summed (a database from before the sums).
pub fn fill_all_unit_days() -> String {
    unit_day_select("latest")
}

/// A period's rows as [`report_people`](super::storage::SummaryStore::report_people)
/// reads them: whole months from `person_months`, the days of partial
/// months from `summary_people`. `[from, to]` as (the months read whole,
/// first and last as `YYYY-MM`; the day ranges read as days, each
/// `[start, end)`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split {
    pub months: Option<(String, String)>,
    pub days: Vec<(String, String)>,
}

/// `[from, to]` split into whole months and the days either side.
pub fn split(from: NaiveDate, to: NaiveDate) -> Split {
    let day_after = |d: NaiveDate| d.succ_opt().unwrap_or(d);
    if from > to {
        return Split { months: None, days: Vec::new() };
    }
    // The first whole month starts at or after `from`; the last whole
    // month ends at or before `to`.
    let first_whole = if from.day() == 1 { from } else { month_start_after(from) };
    let end = day_after(to);
    let last_whole_end = end.with_day(1).unwrap_or(end);
    if first_whole >= last_whole_end {
        return Split { months: None, days: vec![(from.to_string(), end.to_string())] };
    }
    let last_month = last_whole_end.pred_opt().unwrap_or(last_whole_end);
    let mut days = Vec::new();
    if from < first_whole {
        days.push((from.to_string(), first_whole.to_string()));
    }
    if last_whole_end < end {
        days.push((last_whole_end.to_string(), end.to_string()));
    }
    let ym = |d: NaiveDate| d.format("%Y-%m").to_string();
    Split { months: Some((ym(first_whole), ym(last_month))), days }
}

fn month_start_after(d: NaiveDate) -> NaiveDate {
    let first = d.with_day(1).unwrap_or(d);
    first.checked_add_months(chrono::Months::new(1)).unwrap_or(first)
}

/// The report's person rows summed from parts (month sums and days), in
/// the order they come: one row a person, name and unit from the part
/// with the latest date (`last_date` of a month, the date of a day).
///
/// The people are held in the order they first come (an [`IndexMap`]:
/// a table of hashes over a vector of sums). A part is first tried
/// against the person after the one the last part went to, and only
/// looked up by its hash where that is someone else (a new person, one
/// who moved unit, rows in another order). SQLite gives a quarter's
/// months in one order (their key: unit, then staff number), so the
/// second and third months walk the sums in memory order; PostgreSQL
/// gives each month in the order its rows lie in the table (the kiosks'
/// uploads of the month's first day, in the order they came), so there
/// the guess holds within a kiosk's people and a miss costs one
/// comparison more than the lookup. With a hash map alone each part was
/// a lookup scattered over 100,000 people's sums, which at a province's
/// size missed the cache where at 10,000 it did not (issue 25's growth
/// ratio).
#[derive(Default)]
pub struct People {
    by: IndexMap<String, Acc>,
    /// Where the next part is first looked for.
    next: usize,
}

#[derive(Default)]
struct Acc {
    last: String,
    name: String,
    unit: String,
    expected: u32,
    present: u32,
    f: [u32; 14],
}

impl Acc {
    fn add(&mut self, p: &Part<'_>) {
        if p.last > self.last.as_str() {
            for (held, new) in [(&mut self.last, p.last), (&mut self.name, p.name), (&mut self.unit, p.unit)] {
                held.clear();
                held.push_str(new);
            }
        }
        let clamp = |v: i64| u32::try_from(v.max(0)).unwrap_or(u32::MAX);
        self.expected = self.expected.saturating_add(clamp(p.expected));
        self.present = self.present.saturating_add(clamp(p.present));
        for (sum, v) in self.f.iter_mut().zip(p.figures) {
            *sum = sum.saturating_add(clamp(v));
        }
    }
}

/// One part's values: a person's month or day.
pub struct Part<'a> {
    pub staff_no: &'a str,
    pub last: &'a str,
    pub name: &'a str,
    pub unit: &'a str,
    pub expected: i64,
    pub present: i64,
    pub figures: [i64; 14],
}

impl People {
    /// Adds a part to its person's sums. A province's quarter is three
    /// parts a person: a person already held is found where the last part
    /// left off or else looked up once, and a later part's name and unit
    /// are copied into the strings held (no allocation a row, which at
    /// 100,000 people cost the report more per person than at 10,000).
    pub fn add(&mut self, p: Part<'_>) {
        if let Some((_, acc)) = self.by.get_index_mut(self.next).filter(|(no, _)| no.as_str() == p.staff_no) {
            acc.add(&p);
            self.next += 1;
            return;
        }
        match self.by.get_full_mut(p.staff_no) {
            Some((at, _, acc)) => {
                acc.add(&p);
                self.next = at + 1;
            }
            None => {
                let mut acc = Acc::default();
                acc.add(&p);
                self.by.insert(p.staff_no.to_string(), acc);
                self.next = self.by.len();
            }
        }
    }

    pub fn rows(self) -> Vec<ReportRow> {
        self.by
            .into_iter()
            .map(|(no, a)| {
                ReportRow::from_sums(no, a.name, a.unit, a.expected, a.present, &super::sqlite::figures_from(a.f))
            })
            .collect()
    }
}

/// The columns both parts of a report read, in [`Part`]'s order: the
/// staff number, last date (`date_col`), name, unit, the day counts
/// (`counts`: `expected, present`, cast where the backend needs) and the
/// figures.
fn part_columns(date_col: &str, counts: &str) -> String {
    format!("staff_no, {date_col}, name, unit, {counts}, {}", figures(""))
}

/// The statements that read `[from, to]`'s parts, each with its `?1`,
/// `?2` (its range); `?3` is the set of units, as the backend's
/// `of_units` condition reads it. `latest` is the backend's test of a
/// latest day row, and `day_counts` its day rows' `expected, present`.
pub fn report_parts(
    from: NaiveDate,
    to: NaiveDate,
    of_units: &str,
    latest: &str,
    day_counts: &str,
) -> Vec<(String, String, String)> {
    let split = split(from, to);
    let mut parts = Vec::new();
    if let Some((first, last)) = split.months {
        let columns = part_columns("last_date", "expected, present");
        let sql = format!("SELECT {columns} FROM person_months WHERE month >= ?1 AND month <= ?2 AND {of_units}");
        parts.push((sql, first, last));
    }
    for (start, end) in split.days {
        let columns = part_columns("date", day_counts);
        let sql =
            format!("SELECT {columns} FROM summary_people WHERE date >= ?1 AND date < ?2 AND {latest} AND {of_units}");
        parts.push((sql, start, end));
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn days(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
    }

    #[test]
    fn a_period_splits_into_whole_months_and_the_days_either_side() {
        let q3 = split(d("2026-07-01"), d("2026-09-30"));
        assert_eq!(q3, Split { months: Some(("2026-07".into(), "2026-09".into())), days: vec![] });
        let mid = split(d("2026-07-15"), d("2026-09-10"));
        assert_eq!(
            mid,
            Split {
                months: Some(("2026-08".into(), "2026-08".into())),
                days: days(&[("2026-07-15", "2026-08-01"), ("2026-09-01", "2026-09-11")])
            }
        );
        // Within one month, and across a month's end without a whole one.
        assert_eq!(split(d("2026-12-01"), d("2026-12-05")).days, days(&[("2026-12-01", "2026-12-06")]));
        assert_eq!(split(d("2026-11-20"), d("2026-12-05")).months, None);
        assert_eq!(split(d("2026-11-20"), d("2026-12-05")).days, days(&[("2026-11-20", "2026-12-06")]));
        // A whole month ending on a year's last day, and one day.
        assert_eq!(split(d("2026-12-01"), d("2026-12-31")).months, Some(("2026-12".into(), "2026-12".into())));
        assert_eq!(split(d("2026-12-01"), d("2026-12-31")).days, days(&[]));
        assert_eq!(split(d("2026-02-28"), d("2026-02-28")).days, days(&[("2026-02-28", "2026-03-01")]));
        assert_eq!(split(d("2026-03-02"), d("2026-03-01")), Split { months: None, days: vec![] });
    }

    #[test]
    fn parameters_are_numbered_for_postgres() {
        assert_eq!(numbered("a = ?1 AND b IN (?3, ?12) AND c = '?'"), "a = $1 AND b IN ($3, $12) AND c = '?'");
    }

    /// Parts in the order they were first seen, with someone new, someone
    /// gone, and then reversed: each person summed once whatever the order.
    #[test]
    fn people_are_summed_whatever_order_their_parts_come_in() {
        let nos: Vec<String> = (0..50).map(|i| format!("{i:03}")).collect();
        let mut months: Vec<Vec<usize>> = vec![(0..40).collect()];
        months.push((0..45).filter(|i| *i != 7).collect());
        months.push((0..50).rev().collect());
        let mut p = People::default();
        let mut want = std::collections::BTreeMap::new();
        for (m, order) in months.iter().enumerate() {
            for &i in order {
                let late = (i * 3 + m) as i64;
                p.add(Part {
                    staff_no: &nos[i],
                    last: "2026-07-31",
                    name: "某",
                    unit: "某单位",
                    expected: 1,
                    present: 1,
                    figures: [late, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
                });
                let sums = want.entry(nos[i].clone()).or_insert((0u32, 0u32));
                *sums = (sums.0 + 1, sums.1 + late as u32);
            }
        }
        let got: std::collections::BTreeMap<String, (u32, u32)> =
            p.rows().into_iter().map(|r| (r.staff_no, (r.days_expected, r.late_minutes))).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn a_person_is_named_from_their_latest_part() {
        let mut p = People::default();
        let part = |last, name, unit, late| Part {
            staff_no: "001",
            last,
            name,
            unit,
            expected: 1,
            present: 1,
            figures: [late, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        };
        p.add(part("2026-07-31", "甲", "甲单位", 5));
        p.add(part("2026-09-03", "甲乙", "乙单位", 2));
        p.add(part("2026-08-31", "甲", "甲单位", i64::from(u32::MAX)));
        let rows = p.rows();
        assert_eq!(rows.len(), 1);
        assert_eq!((rows[0].name.as_str(), rows[0].unit.as_str()), ("甲乙", "乙单位"));
        assert_eq!(rows[0].late_minutes, u32::MAX, "saturated, never wrapped");
        assert_eq!(rows[0].days_expected, 3);
    }
}
