//! The sums the central server keeps as summaries arrive (`sums`:
//! `person_months`, `unit_days`), on both backends, against the
//! definitions they stand for: after every upload of a generated run
//! (two kiosks, three units, people moving between units, revisions that
//! drop and rename people, days across month ends, every status), the
//! storage's report for several periods equals `report_from_days` over
//! the latest summaries held, its chart of the days equals their sums,
//! and its overview of the day equals `overview::overview` of them.

#[path = "common/central.rs"]
mod central;

use std::collections::BTreeMap;

use central::{agent, put, runtime, summary, Central, BACKENDS};
use chrono::NaiveDate;
use dutyclock::central::overview;
use dutyclock::domain::summary::{report_from_days, DailySummary};
use serde_json::{json, Value};

/// A small deterministic generator (xorshift): the run is the same every
/// time, and a failure names the step.
struct Gen(u64);
impl Gen {
    fn next(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

const STATUSES: [&str; 7] = ["normal", "exception", "absent", "leave", "duty", "rest", "pending"];

/// A kiosk's summary of `date`: some of the people, each in one of the
/// kiosk's units, with a status, figures and punches drawn.
fn generated(g: &mut Gen, kiosk: &str, units: &[&str], date: &str, rev: i64, taken: &[String]) -> Value {
    let mut s = summary(kiosk, date, rev, &[]);
    let mut people = Vec::new();
    for n in 0..8 {
        let no = format!("{n:03}");
        // A person another kiosk holds that day is left out (the server
        // would refuse the summary: 409).
        if taken.contains(&no) || g.next(4) == 0 {
            continue;
        }
        let unit = units[g.next(units.len() as u64) as usize];
        let status = STATUSES[g.next(STATUSES.len() as u64) as usize];
        let punches: Vec<&str> = ["08:29:00", "12:01:00", "14:25:00", "17:31:00"][..g.next(5) as usize].to_vec();
        let late = g.next(3) as u32 * 7;
        people.push(json!({
            "staff_no": no, "name": format!("员工{n}-{}", g.next(3)), "unit": unit, "status": status,
            "late_minutes": late, "late_count": u32::from(late > 0), "early_minutes": g.next(2) * 5,
            "early_count": g.next(2), "absent_sessions": g.next(3), "absent_minutes": g.next(2) * 240,
            "off_post_count": g.next(2), "off_post_minutes": g.next(2) * 30, "missing_punches": g.next(3),
            "spot_check_absences": g.next(2), "spot_checks_present": g.next(2), "leave_minutes": g.next(2) * 60,
            "duty_minutes": g.next(2) * 60, "corrections": g.next(2), "punches": punches
        }));
    }
    s["people"] = json!(people);
    s
}

#[test]
fn the_kept_sums_agree_with_the_summaries_after_every_upload() {
    let kiosks: [(&str, &[&str]); 2] = [("k1", &["办公室", "财务科"]), ("k2", &["人事科"])];
    let dates = ["2026-07-30", "2026-07-31", "2026-08-03", "2026-08-31", "2026-09-01", "2026-09-30"];
    let d = |s: &str| s.parse::<NaiveDate>().unwrap();
    for backend in BACKENDS {
        let mut c = Central::new(backend);
        let tokens: Vec<String> = kiosks.iter().map(|(id, units)| c.kiosk(id, units)).collect();
        c.start();
        let storage = c.storage();
        let rt = runtime();
        let a = agent();
        let mut g = Gen(0x2545_f491_4f6c_dd1d);
        // The latest summary held of each kiosk's day, and its revision.
        let mut held: BTreeMap<(String, String), (i64, DailySummary)> = BTreeMap::new();
        for step in 0..90 {
            let k = g.next(2) as usize;
            let (kiosk, units) = kiosks[k];
            let date = dates[g.next(dates.len() as u64) as usize];
            let key = (kiosk.to_string(), date.to_string());
            let rev = held.get(&key).map_or(1, |(r, _)| r + 1);
            let other = kiosks[1 - k].0;
            let taken: Vec<String> = held
                .get(&(other.to_string(), date.to_string()))
                .map(|(_, s)| s.people.iter().map(|p| p.staff_no.clone()).collect())
                .unwrap_or_default();
            let s = generated(&mut g, kiosk, units, date, rev, &taken);
            // Now and then the summary first names a person the other kiosk
            // holds that day as well: refused whole (409), and the sums are
            // as they were (a first summary's plain write is undone).
            if let Some(theirs) = taken.first().filter(|_| g.next(3) == 0) {
                let mut greedy = s.clone();
                let late = json!({
                    "staff_no": theirs, "name": "他人", "unit": units[0], "status": "exception",
                    "late_minutes": 9, "late_count": 1, "early_minutes": 0, "early_count": 0, "absent_sessions": 0,
                    "absent_minutes": 0, "off_post_count": 0, "off_post_minutes": 0, "missing_punches": 0,
                    "spot_check_absences": 0, "spot_checks_present": 0, "leave_minutes": 0, "duty_minutes": 0,
                    "corrections": 0, "punches": ["08:39:00"]
                });
                greedy["people"].as_array_mut().unwrap().push(late);
                let body = serde_json::to_vec(&greedy).unwrap();
                let (st, text) = put(&a, &c.url, kiosk, date, Some(&tokens[k]), &body);
                assert_eq!(st, 409, "{backend:?} step {step}: {text}");
                let at = format!("{backend:?} after step {step}'s refusal ({kiosk} {date} revision {rev})");
                check(&*storage, &rt, &held, &kiosks, d(date), &at);
            }
            let (st, text) = put(&a, &c.url, kiosk, date, Some(&tokens[k]), &serde_json::to_vec(&s).unwrap());
            assert_eq!(st, 201, "{backend:?} step {step}: {text}");
            held.insert(key, (rev, serde_json::from_value(s).unwrap()));

            let at = format!("{backend:?} after step {step} ({kiosk} {date} revision {rev})");
            check(&*storage, &rt, &held, &kiosks, d(date), &at);
        }
        // A database from before the sums: they are filled once when a
        // newer server or command opens it.
        match c.database_url() {
            None => {
                let db = rusqlite::Connection::open(c.sqlite_path()).unwrap();
                db.execute_batch("DELETE FROM person_months; DELETE FROM unit_days; PRAGMA user_version = 4;").unwrap();
            }
            Some(url) => rt.block_on(async {
                let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await.unwrap();
                tokio::spawn(conn);
                client
                    .batch_execute(
                        "DELETE FROM person_months; DELETE FROM unit_days; UPDATE schema_version SET version = 7;
                         ALTER TABLE summary_people ALTER COLUMN staff_no TYPE text COLLATE \"default\";
                         ALTER TABLE person_months ALTER COLUMN month TYPE text COLLATE \"default\";",
                    )
                    .await
                    .unwrap();
            }),
        }
        assert!(rt.block_on(storage.report_people(d("2026-07-01"), d("2026-09-30"), None)).unwrap().is_empty());
        c.ok(&["unit", "list"]);
        // PostgreSQL: every text column of the server's compares bytes
        // again (schema 10), the two set back included.
        if c.database_url().is_some() {
            let not_c = central::rows_text(
                &c,
                "SELECT table_name::text || '.' || column_name::text FROM information_schema.columns
                 WHERE table_schema = current_schema() AND data_type = 'text'
                   AND collation_name IS DISTINCT FROM 'C' AND table_name NOT IN (SELECT table_name FROM information_schema.views)",
            );
            assert_eq!(not_c, "", "text columns without the C collation");
            // …and the summaries' content still lz4 (a type change resets it).
            let compression = central::rows_text(
                &c,
                "SELECT CAST(attcompression AS TEXT) FROM pg_attribute
                 WHERE attrelid = 'summaries'::regclass AND attname = 'content'",
            );
            assert_eq!(compression.trim(), "l", "summaries.content compressed with lz4");
        }
        for date in dates {
            check(&*storage, &rt, &held, &kiosks, d(date), &format!("{backend:?} after the sums were filled"));
        }
    }
}

/// The storage's report, days chart and overview of `day` against the
/// definitions over the `held` summaries.
fn check(
    storage: &dyn dutyclock::central::storage::Storage,
    rt: &tokio::runtime::Runtime,
    held: &BTreeMap<(String, String), (i64, DailySummary)>,
    kiosks: &[(&str, &[&str])],
    day: NaiveDate,
    at: &str,
) {
    let d = |s: &str| s.parse::<NaiveDate>().unwrap();
    let periods = [
        ("2026-07-01", "2026-09-30"), // a quarter: months only
        ("2026-07-31", "2026-09-01"), // a month and a day either side
        ("2026-08-01", "2026-08-31"), // one month
        ("2026-07-15", "2026-08-15"), // partial months only
        ("2026-09-30", "2026-09-30"), // one day
    ];
    for (from, to) in periods {
        let (from, to) = (d(from), d(to));
        let days = held.values().filter(|(_, s)| s.date >= from && s.date <= to);
        for units in [None, Some(vec!["财务科".to_string()]), Some(vec!["办公室".into(), "人事科".into()])] {
            let of = |u: &str| units.as_ref().is_none_or(|us| us.iter().any(|x| x == u));
            let mut want = report_from_days(
                from,
                to,
                days.clone().flat_map(|(_, s)| s.people.iter().filter(|p| of(&p.unit)).map(|p| (s.date, p))),
            )
            .people;
            let mut got = rt.block_on(storage.report_people(from, to, units.as_deref())).unwrap();
            want.sort_by(|a, b| a.staff_no.cmp(&b.staff_no));
            got.sort_by(|a, b| a.staff_no.cmp(&b.staff_no));
            assert_eq!(got, want, "{at}: the report of {from}..{to} for {units:?}");
            // The chart of the days: late, early and absent summed.
            let mut by_day: BTreeMap<NaiveDate, (u32, u32, u32)> = BTreeMap::new();
            for (_, s) in days.clone() {
                for p in s.people.iter().filter(|p| of(&p.unit)) {
                    let e = by_day.entry(s.date).or_default();
                    e.0 += p.figures.late_count;
                    e.1 += p.figures.early_count;
                    e.2 += p.figures.absent_sessions;
                }
            }
            let got: BTreeMap<NaiveDate, (u32, u32, u32)> = rt
                .block_on(storage.daily_counts(from, to, units.as_deref()))
                .unwrap()
                .into_iter()
                .map(|(d, c)| (d, (c.late, c.early, c.absent)))
                .collect();
            assert_eq!(got, by_day, "{at}: the days of {from}..{to} for {units:?}");
        }
    }
    // The overview of the day uploaded.
    let in_service: Vec<(String, Vec<String>)> =
        kiosks.iter().map(|(id, us)| (id.to_string(), us.iter().map(|u| u.to_string()).collect())).collect();
    let summaries: Vec<DailySummary> = held.values().filter(|(_, s)| s.date == day).map(|(_, s)| s.clone()).collect();
    let want = overview::overview(day, &summaries, &in_service);
    let sent = rt.block_on(storage.day_units(day)).unwrap();
    let got = overview::assemble(sent.units, &sent.sent, &in_service);
    assert_eq!(got, want, "{at}: the overview of {day}");
    // And who was silent, said apart from `assemble`: a kiosk that sent no
    // summary of the day, on each of its units' rows.
    for u in &got {
        let silent: Vec<String> = kiosks
            .iter()
            .filter(|(id, us)| us.contains(&u.unit.as_str()) && !held.contains_key(&(id.to_string(), day.to_string())))
            .map(|(id, _)| id.to_string())
            .collect();
        assert_eq!(u.silent_kiosks, silent, "{at}: the silent kiosks of {} on {day}", u.unit);
        let sent_people = summaries.iter().any(|s| s.people.iter().any(|p| p.unit == u.unit));
        assert_eq!(u.reported, sent_people, "{at}: {} reported on {day}", u.unit);
    }
}

/// Today's date is never in the statistics of the last ANALYZE, so
/// PostgreSQL takes it for a day of no rows. A kiosk's upload must still
/// read its own rows of the day by the key, not every kiosk's rows of it
/// (with a full index on (date, staff_no) it did, and a province's ingest
/// slowed to a third as the day filled; issue 25). Counted by
/// PostgreSQL's own statistics of the index entries read: a first
/// summary and a later revision of one kiosk's day read fewer entries
/// together than the day holds (each statement that took the day's index
/// read all of it).
#[test]
fn a_kiosks_upload_reads_its_own_rows_of_a_new_day_not_the_whole_day() {
    // Many kiosks of a few people: the day is large against one kiosk's
    // month (a revision sums its people's months again from their days).
    let (kiosks, people) = (40, 50);
    let mut c = Central::new(central::Backend::Postgres);
    let ids: Vec<String> = (0..kiosks).map(|k| format!("k{k}")).collect();
    let units: Vec<String> = (0..kiosks).map(|k| format!("单位{k}")).collect();
    let tokens: Vec<String> = ids.iter().zip(&units).map(|(id, u)| c.kiosk(id, &[u])).collect();
    c.start();
    let a = agent();
    let upload = |url: &str, k: usize, date: &str, rev: i64, people: usize| {
        let names: Vec<(String, String)> = (0..people).map(|p| (format!("{k:02}{p:03}"), format!("员工{p}"))).collect();
        let rows: Vec<(&str, &str, &str, u32)> =
            names.iter().map(|(no, name)| (no.as_str(), name.as_str(), units[k].as_str(), 0)).collect();
        let body = serde_json::to_vec(&summary(&ids[k], date, rev, &rows)).unwrap();
        let (st, text) = put(&a, url, &ids[k], date, Some(&tokens[k]), &body);
        assert_eq!(st, 201, "{} {date} revision {rev}: {text}", ids[k]);
    };
    for day in 1..=5 {
        for k in 0..kiosks {
            upload(&c.url, k, &format!("2026-07-0{day}"), 1, people);
        }
    }
    central::sql(&c, "ANALYZE");
    // The new day, every kiosk's but the last.
    let today = "2026-07-06";
    for k in 0..kiosks - 1 {
        upload(&c.url, k, today, 1, people);
    }
    let entries_read = |c: &mut Central| {
        // Each server connection's counts reach the statistics when it
        // ends (before it leaves `pg_stat_activity`): read once none of
        // the server's is left.
        c.stop();
        let others =
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()";
        let mut waited = 0;
        while central::rows_text(c, others).trim() != "0" {
            assert!(waited < 100, "the server's database connections outlived it by 10 s");
            std::thread::sleep(std::time::Duration::from_millis(100));
            waited += 1;
        }
        let sql = "SELECT coalesce(sum(idx_tup_read), 0) FROM pg_stat_user_indexes WHERE relname = 'summary_people'";
        central::rows_text(c, sql).trim().parse::<i64>().unwrap()
    };
    let before = entries_read(&mut c);
    c.start();
    // The last kiosk's first summary of the day, then a revision that
    // drops a few people (its claims given up, its months summed again).
    upload(&c.url, kiosks - 1, today, 1, people);
    upload(&c.url, kiosks - 1, today, 2, people - 5);
    let read = entries_read(&mut c) - before;
    let day = i64::from(kiosks as u32 * people as u32);
    println!("one kiosk's two uploads read {read} index entries of summary_people (the day: {day} rows)");
    assert!(read > 0, "no index entries counted: are statistics collected?");
    assert!(
        read < day,
        "one kiosk's two uploads read {read} index entries of summary_people; the day holds {day} rows"
    );
}
