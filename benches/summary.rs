//! `cargo bench --bench summary`: one day's summary and a month's report
//! for 2,000 staff from a real store, against the bare read of the rows the
//! report needs. Prints its figures; the last line is machine-readable.

use std::path::Path;
use std::time::Instant as Clock;

use chrono::{Datelike, NaiveDate};
use dutyclock::domain::attendance::{read_range, Attendance};
use dutyclock::domain::config::Config;
use dutyclock::domain::model::{PunchOwner, PunchSource, Staff};
use dutyclock::domain::summary;
use dutyclock::domain::time::{local_to_instant, Instant};
use dutyclock::kiosk::store::{Store, VoidTarget};

const STAFF: usize = 2_000;
const RUNS: usize = 7;

/// A small deterministic generator (xorshift), so every run builds the same store.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn config() -> Config {
    let units: Vec<String> = (0..20).map(|i| format!("\"单位{i:02}\"")).collect();
    let text = format!(
        "kiosk_id = \"bench\"\nunits = [{}]\n[schedules.default]\nsessions = [{{ start = \"08:30\", end = \"12:00\" }}, {{ start = \"14:30\", end = \"17:30\" }}]\n",
        units.join(", ")
    );
    Config::parse(&text, Path::new("bench.toml")).unwrap()
}

fn at(date: NaiveDate, secs: i64) -> Instant {
    local_to_instant(chrono_tz::Asia::Shanghai, date.and_hms_opt(0, 0, 0).unwrap() + chrono::Duration::seconds(secs))
}

fn workdays(from: NaiveDate, to: NaiveDate) -> Vec<NaiveDate> {
    from.iter_days().take_while(|d| *d <= to).filter(|d| d.weekday().num_days_from_monday() < 5).collect()
}

fn build(store: &mut Store, days: &[NaiveDate]) -> usize {
    let mut rng = Rng(0x5eed_d0c0_ffee_1234);
    let mut w = store.writer().unwrap();
    for i in 0..STAFF {
        let s = Staff::plain(format!("{i:05}"), format!("员工{i}"), format!("单位{:02}", i % 20));
        w.put_staff(&s, 0).unwrap();
        w.assign_card(&format!("01{i:08X}"), &s.staff_no, None, days[0], 0).unwrap();
    }
    w.commit().unwrap();
    let mut punches = 0;
    for &d in days {
        let mut w = store.writer().unwrap();
        for i in 0..STAFF {
            let card = PunchOwner::Card(format!("01{i:08X}"));
            let jitter = |rng: &mut Rng, base: i64, spread: u64| base + rng.below(spread) as i64;
            // 4 punches, plus a trip (2 more) for one in five, and some lateness.
            let mut times = vec![
                jitter(&mut rng, 8 * 3600 + 10 * 60, 30 * 60),
                jitter(&mut rng, 12 * 3600, 20 * 60),
                jitter(&mut rng, 14 * 3600, 35 * 60),
                jitter(&mut rng, 17 * 3600 + 25 * 60, 40 * 60),
            ];
            if rng.below(5) == 0 {
                let left = jitter(&mut rng, 9 * 3600 + 30 * 60, 3600);
                times.push(left);
                times.push(left + 300 + rng.below(3000) as i64);
            }
            for t in times {
                w.add_punch(&card, at(d, t), PunchSource::Reader, Some(true), None, 0).unwrap();
                punches += 1;
            }
            if rng.below(50) == 0 {
                let f = at(d, 8 * 3600 + 30 * 60);
                let span = (f, f + 2 * 3_600_000);
                w.add_leave(&format!("{i:05}"), "事假", span, chrono_tz::Asia::Shanghai, "", "", 0).unwrap();
            }
            if rng.below(100) == 0 {
                w.add_spot_check(&format!("{i:05}"), at(d, 10 * 3600), rng.below(2) == 0, "督查室", "", 0).unwrap();
            }
            if rng.below(200) == 0 {
                let r = w
                    .add_punch(
                        &PunchOwner::Staff(format!("{i:05}")),
                        at(d, 12 * 3600 + 60),
                        PunchSource::Correction,
                        None,
                        Some(("忘打卡", "head")),
                        0,
                    )
                    .unwrap();
                if rng.below(4) == 0 {
                    w.void(VoidTarget::Punch, r.id(), "撤销", "head", 0).unwrap();
                }
            }
        }
        if d.day() % 7 == 0 {
            for i in 0..20 {
                w.add_roster(
                    &format!("{:05}", i * 37),
                    d,
                    dutyclock::domain::rules::ClockSpan {
                        start: chrono::NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
                        end: chrono::NaiveTime::from_hms_opt(17, 0, 0).unwrap(),
                    },
                    0,
                )
                .unwrap();
            }
        }
        w.commit().unwrap();
    }
    punches
}

/// id, card, staff_no, at_ms, source, clock_synced.
type RawPunchRow = (i64, Option<String>, Option<String>, i64, String, Option<bool>);

/// The baseline: exactly the rows the report needs, one prepared statement per table.
fn raw_read(db: &Path, from: Instant, to: Instant, dates: (NaiveDate, NaiveDate)) -> usize {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut n = 0;
    let mut stmt = conn
        .prepare("SELECT id, card, staff_no, at_ms, source, clock_synced FROM punches WHERE at_ms >= ?1 AND at_ms < ?2")
        .unwrap();
    let rows: Vec<RawPunchRow> = stmt
        .query_map([from, to], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    n += rows.len();
    let mut stmt = conn.prepare("SELECT punch_id FROM punch_voids").unwrap();
    n += stmt.query_map([], |r| r.get::<_, i64>(0)).unwrap().count();
    let (lo, hi) = (dates.0.to_string(), (dates.1 + chrono::Duration::days(1)).to_string());
    let mut stmt = conn
        .prepare("SELECT id, staff_no, kind, from_local, to_local FROM leave WHERE to_local > ?1 AND from_local < ?2")
        .unwrap();
    let leave: Vec<(i64, String, String, String, String)> = stmt
        .query_map([&lo, &hi], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    n += leave.len();
    let mut stmt = conn.prepare("SELECT leave_id FROM leave_voids").unwrap();
    n += stmt.query_map([], |r| r.get::<_, i64>(0)).unwrap().count();
    let mut stmt =
        conn.prepare("SELECT staff_no, date, start, end FROM roster WHERE date >= ?1 AND date <= ?2").unwrap();
    let roster: Vec<(String, String, String, String)> = stmt
        .query_map([dates.0.to_string(), dates.1.to_string()], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    n += roster.len();
    let mut stmt =
        conn.prepare("SELECT id, staff_no, at_ms, present FROM spot_checks WHERE at_ms >= ?1 AND at_ms < ?2").unwrap();
    let checks: Vec<(i64, String, i64, bool)> = stmt
        .query_map([from, to], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    n += checks.len();
    let mut stmt = conn.prepare("SELECT spot_check_id FROM spot_check_voids").unwrap();
    n += stmt.query_map([], |r| r.get::<_, i64>(0)).unwrap().count();
    n
}

fn median_ms(mut f: impl FnMut()) -> f64 {
    let mut times: Vec<f64> = (0..RUNS)
        .map(|_| {
            let t = Clock::now();
            f();
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    times.sort_by(|a, b| a.total_cmp(b));
    times[RUNS / 2]
}

fn main() {
    let config = config();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("bench.sqlite3");
    let mut store = Store::create(&db).unwrap();
    let from: NaiveDate = "2026-11-02".parse().unwrap();
    let to: NaiveDate = "2026-12-01".parse().unwrap();
    let days = workdays(from, to);
    assert_eq!(days.len(), 22);
    let t = Clock::now();
    let punches = build(&mut store, &days);
    println!("built {STAFF} staff x {} workdays, {punches} punches in {:.1} s", days.len(), t.elapsed().as_secs_f64());
    let now = at(to, 40 * 86_400);
    let day = days[10];

    let summary_day_ms = median_ms(|| {
        let (lo, hi) = read_range(&config, day, day);
        let snap = store.snapshot(lo, hi, (day, day)).unwrap();
        let att = Attendance::new(&config, snap, now);
        let s = summary::daily(&att, day);
        assert_eq!(s.people.len(), STAFF);
    });
    let report_month_ms = median_ms(|| {
        let (lo, hi) = read_range(&config, from, to);
        let snap = store.snapshot(lo, hi, (from, to)).unwrap();
        let att = Attendance::new(&config, snap, now);
        let r = summary::report(&att, from, to, None);
        assert_eq!(r.people.len(), STAFF);
    });
    let (lo, hi) = read_range(&config, from, to);
    let mut rows = 0;
    let raw_read_ms = median_ms(|| rows = raw_read(&db, lo, hi, (from, to)));
    println!("summary of {day} for {STAFF} staff: {summary_day_ms:.1} ms (median of {RUNS}; goal <= 50)");
    println!("report {from}..{to}: {report_month_ms:.1} ms (goal <= 1000)");
    println!("raw read of the month's {rows} rows: {raw_read_ms:.1} ms (baseline)");
    let ratio = report_month_ms / raw_read_ms;
    println!(
        "summary_day_ms={summary_day_ms:.1} report_month_ms={report_month_ms:.1} raw_read_ms={raw_read_ms:.1} ratio={ratio:.2}"
    );
}
