//! Property tests of the invariants: import order never changes a record;
//! importing twice changes nothing; a duplicate within the window never
//! changes a record; figures are never negative and stay within the day.

use std::path::Path;

use chrono::NaiveDate;
use dutyclock::domain::attendance::{read_range, Attendance};
use dutyclock::domain::config::Config;
use dutyclock::domain::model::{PunchOwner, PunchSource, Staff};
use dutyclock::domain::summary;
use dutyclock::domain::time::{local_to_instant, Instant};
use dutyclock::kiosk::store::Store;
use proptest::prelude::*;

const CONFIG: &str = r#"
kiosk_id = "p"
units = ["u"]
[schedules.default]
sessions = [{ start = "08:30", end = "12:00" }, { start = "14:30", end = "17:30" }]
duplicate_scan_seconds = 120
"#;

fn config() -> Config {
    Config::parse(CONFIG, Path::new("config.toml")).unwrap()
}

const FIRST: &str = "2026-11-16"; // a Monday

fn day(i: u32) -> NaiveDate {
    FIRST.parse::<NaiveDate>().unwrap() + chrono::Duration::days(i64::from(i))
}

/// A punch: person 0..3, day 0..3, seconds after 06:00.
#[derive(Debug, Clone)]
struct P {
    person: usize,
    day: u32,
    secs: u32,
}

impl P {
    fn at(&self) -> Instant {
        let local = day(self.day).and_hms_opt(6, 0, 0).unwrap() + chrono::Duration::seconds(i64::from(self.secs));
        local_to_instant(chrono_tz::Asia::Shanghai, local)
    }
}

fn punch() -> impl Strategy<Value = P> {
    // Clustered near the session edges so that duplicates, trips and lateness occur.
    let secs = prop_oneof![
        (8_400u32..10_800),  // 08:20–09:00
        (20_700u32..23_400), // 11:45–12:30
        (29_400u32..31_500), // 14:10–14:45
        (40_500u32..43_200), // 17:15–18:00
        (0u32..50_000),
    ];
    (0usize..3, 0u32..3, secs).prop_map(|(person, day, secs)| P { person, day, secs })
}

fn card(person: usize) -> String {
    format!("01000000{person:02X}")
}

fn fresh_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::create(&dir.path().join("db.sqlite3")).unwrap();
    let mut w = store.writer().unwrap();
    for person in 0..3 {
        let s = Staff::plain(format!("{person}"), format!("P{person}"), "u");
        w.put_staff(&s, 0).unwrap();
        w.assign_card(&card(person), &s.staff_no, None, day(0), 0).unwrap();
    }
    w.commit().unwrap();
    (dir, store)
}

fn import(store: &mut Store, punches: &[P]) {
    let mut w = store.writer().unwrap();
    for p in punches {
        w.add_punch(&PunchOwner::Card(card(p.person)), p.at(), PunchSource::Import, None, None, 0).unwrap();
    }
    w.commit().unwrap();
}

/// Every day's summary as comparable content.
fn summaries(store: &Store, config: &Config) -> Vec<String> {
    let (lo, hi) = read_range(config, day(0), day(2));
    let snap = store.snapshot(lo, hi, (day(0), day(2))).unwrap();
    let now = local_to_instant(chrono_tz::Asia::Shanghai, day(10).and_hms_opt(0, 0, 0).unwrap());
    let att = Attendance::new(config, snap, now);
    (0..3).map(|i| summary::daily(&att, day(i)).content_key()).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn import_order_never_changes_a_record(mut punches in prop::collection::vec(punch(), 0..40), seed in any::<u64>()) {
        let config = config();
        let (_d1, mut a) = fresh_store();
        import(&mut a, &punches);
        // A deterministic shuffle, then import in that order, in two files.
        let mut x = seed | 1;
        for i in (1..punches.len()).rev() {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            punches.swap(i, (x % (i as u64 + 1)) as usize);
        }
        let (_d2, mut b) = fresh_store();
        let half = punches.len() / 2;
        import(&mut b, &punches[half..]);
        import(&mut b, &punches[..half]);
        prop_assert_eq!(summaries(&a, &config), summaries(&b, &config));
    }

    #[test]
    fn importing_twice_changes_nothing(punches in prop::collection::vec(punch(), 0..40)) {
        let config = config();
        let (_d, mut s) = fresh_store();
        import(&mut s, &punches);
        let before = summaries(&s, &config);
        let rows = s.punch_listing(0, i64::MAX).unwrap().len();
        import(&mut s, &punches);
        prop_assert_eq!(s.punch_listing(0, i64::MAX).unwrap().len(), rows);
        prop_assert_eq!(summaries(&s, &config), before);
        prop_assert!(s.verify().unwrap().is_empty());
    }

    #[test]
    fn a_duplicate_within_the_window_never_changes_a_record(
        punches in prop::collection::vec(punch(), 1..40),
        pick in any::<prop::sample::Index>(),
        delta in 1u32..120,
    ) {
        let config = config();
        let (_d, mut s) = fresh_store();
        import(&mut s, &punches);
        let before = summaries(&s, &config);
        // Find an accepted punch and scan the same card again `delta` s later.
        let (lo, hi) = read_range(&config, day(0), day(2));
        let snap = s.snapshot(lo, hi, (day(0), day(2))).unwrap();
        let now = local_to_instant(chrono_tz::Asia::Shanghai, day(10).and_hms_opt(0, 0, 0).unwrap());
        let att = Attendance::new(&config, snap, now);
        let mut accepted = Vec::new();
        for staff in att.people(None) {
            for i in 0..3 {
                for p in att.day(staff, day(i)).punches {
                    if p.verdict == dutyclock::domain::rules::Verdict::Accepted {
                        accepted.push((staff.staff_no.parse::<usize>().unwrap(), p.row.at));
                    }
                }
            }
        }
        prop_assume!(!accepted.is_empty());
        let (person, at) = accepted[pick.index(accepted.len())];
        let mut w = s.writer().unwrap();
        w.add_punch(&PunchOwner::Card(card(person)), at + i64::from(delta) * 1000 - 1, PunchSource::Reader, Some(true), None, 0).unwrap();
        w.commit().unwrap();
        prop_assert_eq!(summaries(&s, &config), before);
    }

    #[test]
    fn figures_stay_within_the_day(
        punches in prop::collection::vec(punch(), 0..30),
        leave in prop::collection::vec((0usize..3, 0u32..3, 0u32..60_000, 1u32..40_000, any::<bool>()), 0..4),
        checks in prop::collection::vec((0usize..3, 0u32..3, 0u32..50_000, any::<bool>()), 0..4),
        now_secs in 0u32..(4 * 86_400),
    ) {
        let config = config();
        let (_d, mut s) = fresh_store();
        import(&mut s, &punches);
        let mut w = s.writer().unwrap();
        for (person, d, from, len, duty) in &leave {
            let f = day(*d).and_hms_opt(4, 0, 0).unwrap() + chrono::Duration::seconds(i64::from(*from));
            let t = f + chrono::Duration::seconds(i64::from(*len));
            let kind = if *duty { "公出" } else { "事假" };
            let tz = chrono_tz::Asia::Shanghai;
            w.add_leave(&person.to_string(), kind, (local_to_instant(tz, f), local_to_instant(tz, t)), tz, "", "", 0).unwrap();
        }
        for (person, d, secs, present) in &checks {
            let at = P { person: *person, day: *d, secs: *secs }.at();
            w.add_spot_check(&person.to_string(), at, *present, "", "", 0).unwrap();
        }
        w.commit().unwrap();
        let (lo, hi) = read_range(&config, day(0), day(2));
        let snap = s.snapshot(lo, hi, (day(0), day(2))).unwrap();
        let now = local_to_instant(chrono_tz::Asia::Shanghai, day(0).and_hms_opt(4, 0, 0).unwrap()) + i64::from(now_secs) * 1000;
        let att = Attendance::new(&config, snap, now);
        for staff in att.people(None) {
            for i in 0..3 {
                let d = att.day(staff, day(i));
                let f = d.record.figures;
                // 390 minutes of sessions a day.
                prop_assert!(f.late_minutes + f.early_minutes <= 390);
                prop_assert!(f.absent_minutes <= 390 && f.absent_sessions <= 2);
                prop_assert!(f.leave_minutes + f.duty_minutes <= 390);
                prop_assert!(f.off_post_minutes <= 390);
                prop_assert!(f.absent_minutes + f.leave_minutes + f.duty_minutes <= 390);
                prop_assert!(f.late_count <= 2 && f.early_count <= 2);
                if f.has_exception() {
                    prop_assert!(matches!(d.record.status, dutyclock::domain::rules::Status::Exception | dutyclock::domain::rules::Status::Absent));
                }
            }
        }
    }
}
