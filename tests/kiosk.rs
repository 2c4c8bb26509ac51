//! The scan pipeline: the core with a test clock (meanings, duplicates,
//! unknown cards and enrolment, a clock that jumps back, day closing, the
//! event only after the commit), then `run --headless` end to end over a
//! pty, and SIGKILLs while scans stream in.

mod common;

use std::io::Write;
use std::process::{Child, Command};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{em_frame, wait_for, Kiosk, TestClock};
use dutyclock::domain::config::Config;
use dutyclock::domain::rules::Meaning;
use dutyclock::domain::time::parse_time;
use dutyclock::kiosk::clock::Clock;
use dutyclock::kiosk::live::LiveEvent;
use dutyclock::kiosk::store::Store;
use dutyclock::kiosk::Core;
use serde_json::Value;
use serialport::{SerialPort, TTYPort};

const CONFIG: &str = r#"
kiosk_id = "k1"
units = ["办公室"]
[reader]
kind = "simulated"
[schedules.default]
sessions = [{ start = "08:30", end = "12:00" }, { start = "14:30", end = "17:30" }]
"#;

const STAFF: &str = "staff_no,name,unit,cards\n0012,张三,办公室,0100ABCDEF\n0013,李四,办公室,0100000013\n";

fn setup() -> (Kiosk, Config) {
    let k = Kiosk::new(CONFIG);
    let f = k.file("staff.csv", STAFF);
    k.import(&["staff", "import"], &f);
    let config = Config::load(&k.dir().join("config.toml")).unwrap();
    (k, config)
}

fn core<'c>(k: &Kiosk, config: &'c Config, clock: &TestClock) -> Core<'c> {
    let store = Store::open(&k.dir().join("dutyclock.sqlite3")).unwrap();
    Core::new(config, store, Box::new(clock.clone())).unwrap()
}

fn punch(e: &LiveEvent) -> (Meaning, u32, i64) {
    match e {
        LiveEvent::Punch { meaning, minutes, punch_id, .. } => (*meaning, *minutes, *punch_id),
        other => panic!("not a punch: {other:?}"),
    }
}

/// Whether a separate connection sees the punch (it was committed).
fn stored(k: &Kiosk, id: i64) -> bool {
    let c = rusqlite::Connection::open(k.dir().join("dutyclock.sqlite3")).unwrap();
    c.query_row("SELECT count(*) FROM punches WHERE id = ?1", [id], |r| r.get::<_, i64>(0)).unwrap() == 1
}

#[test]
fn a_day_of_scans_through_the_core() {
    let (k, config) = setup();
    let clock = TestClock::at("2026-11-19 08:41:07");
    let mut c = core(&k, &config, &clock);
    let e = c.scan("0100ABCDEF");
    assert_eq!(punch(&e).0, Meaning::In);
    assert_eq!(punch(&e).1, 11, "late 11");
    assert!(stored(&k, punch(&e).2), "the event came after the commit");
    if let LiveEvent::Punch { name, at, clock_synced, .. } = &e {
        assert_eq!((name.as_str(), at.as_str(), clock_synced), ("张三", "2026-11-19T08:41:07+08:00", &true));
    }
    // Scanned again 20 s later: a duplicate, kept in the log.
    clock.set("2026-11-19 08:41:27");
    match c.scan("0100ABCDEF") {
        LiveEvent::Duplicate { first_at, staff_no, .. } => {
            assert_eq!((first_at.as_str(), staff_no.as_str()), ("2026-11-19T08:41:07+08:00", "0012"))
        }
        other => panic!("{other:?}"),
    }
    clock.set("2026-11-19 10:00");
    let e = c.scan("0100ABCDEF");
    assert_eq!((punch(&e).0, punch(&e).1), (Meaning::GoingOut, 120));
    clock.set("2026-11-19 10:45");
    assert_eq!(punch(&c.scan("0100ABCDEF")).0, Meaning::Back);
    clock.set("2026-11-19 12:01");
    assert_eq!(punch(&c.scan("0100ABCDEF")).0, Meaning::Out);
    // An unknown card, then enrolled from the command line while the kiosk runs.
    clock.set("2026-11-19 14:20");
    assert_eq!(
        c.scan("0100000099"),
        LiveEvent::UnknownCard { at: "2026-11-19T14:20:00+08:00".into(), card: "0100000099".into() }
    );
    let f = k.file("enrol.csv", "staff_no,name,unit,cards\n0014,王五,办公室,0100000099\n");
    k.import(&["staff", "import"], &f);
    clock.set("2026-11-19 17:31");
    let e = c.scan("0100000099");
    assert_eq!(punch(&e).0, Meaning::Out, "the earlier punch attached on enrolment: this one is the second");
    // The clock jumps back: the punch is flagged.
    clock.set("2026-11-19 17:20");
    let e = c.scan("0100000013");
    assert!(matches!(e, LiveEvent::Punch { clock_synced: false, .. }), "{e:?}");
    clock.unsynced();
    clock.set("2026-11-19 17:40");
    assert!(matches!(c.scan("0100ABCDEF"), LiveEvent::Punch { clock_synced: false, .. }));
    // The day turns at 04:00: closing the 19th (the first day the records
    // speak of: nothing before it is closed).
    clock.set("2026-11-20 03:59");
    assert_eq!(c.tick().unwrap(), None, "the 19th still runs");
    assert_eq!(c.next_due(), parse_time("2026-11-20 04:00", chrono_tz::Asia::Shanghai).unwrap());
    clock.set("2026-11-20 04:00");
    assert_eq!(
        c.tick().unwrap(),
        Some(LiveEvent::DayClosed { at: "2026-11-20T04:00:00+08:00".into(), date: "2026-11-19".into(), revision: 1 })
    );
    assert_eq!(c.tick().unwrap(), None, "closed once");
    drop(c);
    let s = k.summary("2026-11-19");
    assert_eq!(s["revision"], 1);
    assert_eq!(s["clock_unsynced_punches"], 2);
    assert_eq!(s["unknown_card_punches"], 0);
    let p = &s["people"][0];
    assert_eq!(p["punches"], serde_json::json!(["08:41:07", "10:00:00", "10:45:00", "12:01:00", "17:40:00"]));
    assert_eq!((p["late_minutes"].as_i64(), p["off_post_minutes"].as_i64()), (Some(11), Some(45)));
    assert_eq!(s["people"][2]["punches"], serde_json::json!(["14:20:00", "17:31:00"]));
}

// ---- run --headless over a pty ----

const RDM_CONFIG: &str = r#"
kiosk_id = "k-pty"
units = ["办公室"]
[reader]
kind = "rdm6300"
device = "DEVICE"
[schedules.default]
duplicate_scan_seconds = 0
"#;

/// A kiosk does not open a database another process holds (a `restore
/// --from-central` building it, or a second kiosk): it would be replaced
/// under it. A core started again in this process shares the lock.
#[test]
fn a_core_does_not_start_on_a_database_another_process_holds() {
    let (k, config) = setup();
    let clock = TestClock::at("2026-03-02 08:00");
    let db = k.dir().join("dutyclock.sqlite3");
    let first = core(&k, &config, &clock);
    let again = core(&k, &config, &clock);
    drop((first, again));
    // Another open file description of the lock: another process, as far
    // as flock(2) is concerned.
    let lock = std::fs::File::create(dutyclock::kiosk::core::run_lock_path(&db)).unwrap();
    lock.lock().unwrap();
    let e = Core::new(&config, Store::open(&db).unwrap(), Box::new(clock.clone())).err().expect("refused");
    assert!(e.to_string().contains("held by another process"), "{e}");
    drop(lock);
    drop(core(&k, &config, &clock));
}

fn card_of(i: usize) -> [u8; 5] {
    [0x01, 0x00, 0x00, (i >> 8) as u8, i as u8]
}

fn spawn_kiosk(k: &Kiosk) -> (Child, std::sync::mpsc::Receiver<Value>) {
    common::spawn_headless(&k.dir())
}

fn pty_kiosk(cards: usize) -> (Kiosk, TTYPort, TTYPort) {
    let (master, slave) = TTYPort::pair().unwrap();
    let name = slave.name().unwrap();
    let k = Kiosk::new(&RDM_CONFIG.replace("DEVICE", &name));
    let mut staff = String::from("staff_no,name,unit,cards\n");
    for i in 0..cards {
        let id: String = card_of(i).iter().map(|b| format!("{b:02X}")).collect();
        staff.push_str(&format!("{i:04},员工{i},办公室,{id}\n"));
    }
    let f = k.file("staff.csv", &staff);
    k.import(&["staff", "import"], &f);
    (k, master, slave)
}

#[test]
fn headless_from_bytes_on_the_pty_to_the_json_line_and_the_stored_row() {
    let (k, mut master, _slave) = pty_kiosk(3);
    let (mut child, rx) = spawn_kiosk(&k);
    let ready = wait_for(&rx, "ready");
    assert_eq!((ready["kiosk_id"].as_str(), ready["reader"].as_str()), (Some("k-pty"), Some("rdm6300")));
    wait_for(&rx, "reader");
    for i in 0..3 {
        master.write_all(&em_frame(card_of(i))).unwrap();
        let p = wait_for(&rx, "punch");
        assert_eq!(p["staff_no"], format!("{i:04}"));
        assert_eq!(p["card"], format!("01000000{i:02X}"));
        assert!(p["meaning"].is_string() && p["minutes"].is_number() && p["clock_synced"].is_boolean());
        assert!(p["at"].as_str().unwrap().ends_with("+08:00"));
        assert!(stored(&k, p["punch_id"].as_i64().unwrap()));
        std::thread::sleep(Duration::from_millis(50));
    }
    master.write_all(&em_frame([0x09, 9, 9, 9, 9])).unwrap();
    let u = wait_for(&rx, "unknown_card");
    assert_eq!(u["card"], "0909090909");
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(k.ok(&["verify"]).starts_with("ok"));
}

#[test]
fn sigkill_while_scans_stream_in_loses_no_acknowledged_punch() {
    let (k, master, _slave) = pty_kiosk(500);
    let master = Arc::new(Mutex::new(master));
    let mut acknowledged: Vec<i64> = Vec::new();
    let started = std::time::Instant::now();
    let mut kills = 0;
    let mut next = 0usize;
    // Rounds go on until both counts are reached: a slow disk (one fsync a
    // punch) means fewer punches a round, not a failure.
    let bound = Duration::from_secs(300);
    while (kills < 24 || acknowledged.len() < 100) && started.elapsed() < bound {
        let (mut child, rx) = spawn_kiosk(&k);
        wait_for(&rx, "ready");
        // Stream scans at ~100/s from another thread while we collect punch lines.
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (m, s) = (master.clone(), stop.clone());
        let first = next;
        let writer = std::thread::spawn(move || {
            let mut i = first;
            while !s.load(std::sync::atomic::Ordering::SeqCst) {
                let _ = m.lock().unwrap().write_all(&em_frame(card_of(i % 500)));
                i += 1;
                std::thread::sleep(Duration::from_millis(10));
            }
            i
        });
        let kill_after = Duration::from_millis(150 + (kills as u64 * 37) % 300);
        // The kill timer starts at the round's first acknowledged punch, so
        // the kill lands while punches are being written however long the
        // start took.
        let round = std::time::Instant::now();
        let mut first_punch: Option<std::time::Instant> = None;
        loop {
            match first_punch {
                Some(t) if t.elapsed() >= kill_after => break,
                None if round.elapsed() >= Duration::from_secs(30) => break,
                _ => {}
            }
            if let Ok(v) = rx.recv_timeout(Duration::from_millis(5)) {
                if v["event"] == "punch" {
                    acknowledged.push(v["punch_id"].as_i64().unwrap());
                    first_punch.get_or_insert_with(std::time::Instant::now);
                }
            }
        }
        // SIGKILL: no chance to clean up.
        sigkill(&child);
        child.wait().unwrap();
        stop.store(true, std::sync::atomic::Ordering::SeqCst);
        next = writer.join().unwrap();
        // Lines already written before the kill still count.
        while let Ok(v) = rx.recv_timeout(Duration::from_millis(100)) {
            if v["event"] == "punch" {
                acknowledged.push(v["punch_id"].as_i64().unwrap());
            }
        }
        kills += 1;
    }
    assert!(kills >= 24, "only {kills} kills in {bound:?}");
    assert!(acknowledged.len() >= 100, "only {} punches acknowledged in {bound:?}", acknowledged.len());
    let c = rusqlite::Connection::open(k.dir().join("dutyclock.sqlite3")).unwrap();
    for id in &acknowledged {
        let n: i64 = c.query_row("SELECT count(*) FROM punches WHERE id = ?1", [id], |r| r.get(0)).unwrap();
        assert_eq!(n, 1, "acknowledged punch {id} is not stored");
    }
    assert!(k.ok(&["verify"]).starts_with("ok"));
    eprintln!("{kills} kills, {} acknowledged punches, all stored", acknowledged.len());
}

fn sigkill(child: &Child) {
    let _ = Command::new("kill").args(["-9", &child.id().to_string()]).status();
}

#[test]
fn headless_without_a_database_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_dutyclock"))
        .arg("--data-dir")
        .arg(tmp.path().join("none"))
        .args(["run", "--headless"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("run dutyclock init first"));
}

#[test]
fn the_wal_is_checkpointed_between_scans_not_left_to_grow() {
    let (k, config) = setup();
    let clock = TestClock::at("2026-11-19 08:00:00");
    let mut c = core(&k, &config, &clock);
    let start = clock.now();
    for i in 0..600i64 {
        clock.set_instant(start + i * 61_000);
        c.scan(if i % 2 == 0 { "0100ABCDEF" } else { "0100000013" });
        c.maintenance().unwrap();
    }
    // ~6 WAL pages a scan: without checkpoints 600 scans would leave ~14 MB of WAL.
    let wal = std::fs::metadata(k.dir().join("dutyclock.sqlite3-wal")).unwrap().len();
    assert!(wal < 5 * 1024 * 1024, "WAL is {wal} bytes");
    drop(c);
    assert!(k.ok(&["verify"]).starts_with("ok"));
}

// ---- defects from review: each test fails on the code before its fix ----

const ZERO_WINDOW: &str = r#"
kiosk_id = "k1"
units = ["办公室"]
[reader]
kind = "simulated"
[schedules.default]
sessions = [{ start = "08:30", end = "12:00" }, { start = "14:30", end = "17:30" }]
duplicate_scan_seconds = 0
"#;

fn setup_with(config: &str) -> (Kiosk, Config) {
    let k = Kiosk::new(config);
    let f = k.file("staff.csv", STAFF);
    k.import(&["staff", "import"], &f);
    let config = Config::load(&k.dir().join("config.toml")).unwrap();
    (k, config)
}

fn clock_at(local: &str) -> TestClock {
    TestClock::at(local)
}

/// A punch committed and then read back by a reload of the running day is
/// counted once: the next scan's meaning does not shift. (The reload
/// happens after any other write of the kiosk's own, e.g. a PIN attempt's
/// action row, after another process's write, and on the day's turn.)
#[test]
fn a_punch_read_back_after_a_reload_counts_once() {
    let (k, config) = setup_with(ZERO_WINDOW);
    let clock = clock_at("2026-11-19 08:25");
    let mut c = core(&k, &config, &clock);
    assert_eq!(punch(&c.scan("0100ABCDEF")).0, Meaning::In);
    // A write of the kiosk's own (what a PIN attempt does): the next scan
    // reloads the running day after its commit.
    c.write(|w| w.log_action("0013", "wrong PIN", "", 0)).unwrap();
    clock.set("2026-11-19 10:00");
    assert_eq!(punch(&c.scan("0100ABCDEF")).0, Meaning::GoingOut);
    clock.set("2026-11-19 10:30");
    assert_eq!(punch(&c.scan("0100ABCDEF")).0, Meaning::Back, "the 10:00 punch was counted once");
    // Another process writes (a correction for someone else), then a scan.
    k.ok(&["correction", "add", "--staff", "0013", "--at", "2026-11-19 08:29", "--reason", "忘打卡", "--by", "科长"]);
    clock.set("2026-11-19 11:00");
    assert_eq!(punch(&c.scan("0100ABCDEF")).0, Meaning::GoingOut);
    clock.set("2026-11-19 11:20");
    assert_eq!(punch(&c.scan("0100ABCDEF")).0, Meaning::Back);
    let day = c.attendance().unwrap();
    let staff = day.staff_member("0012").unwrap().clone();
    let accepted = day.day(&staff, "2026-11-19".parse().unwrap()).accepted;
    assert_eq!(accepted.len(), 5, "each punch once in the running day: {accepted:?}");
}

/// Two writers closing the same day at the same moment (the kiosk's tick
/// and `dutyclock summary`) never both store revision N+1, and never fail.
#[test]
fn two_writers_closing_the_same_day_never_collide() {
    let (k, config) = setup_with(CONFIG);
    let db = k.dir().join("dutyclock.sqlite3");
    let date: chrono::NaiveDate = "2026-11-19".parse().unwrap();
    let now = parse_time("2026-11-21 09:00", chrono_tz::Asia::Shanghai).unwrap();
    for round in 0..12 {
        // A change that alters the day's figures, then four closers at once.
        let at = format!("2026-11-19 {:02}:{:02}", 9 + round / 6, (round % 6) * 10);
        k.ok(&["correction", "add", "--staff", "0012", "--at", &at, "--reason", "忘打卡", "--by", "科长"]);
        let barrier = Arc::new(std::sync::Barrier::new(4));
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let (db, config, barrier) = (db.clone(), config.clone(), barrier.clone());
                std::thread::spawn(move || {
                    let mut store = Store::open(&db).unwrap();
                    barrier.wait();
                    dutyclock::kiosk::closing::summary(&mut store, &config, date, now).map(|s| s.revision)
                })
            })
            .collect();
        let revisions: Vec<i64> = handles.into_iter().map(|h| h.join().unwrap().expect("no writer fails")).collect();
        assert!(revisions.iter().all(|&r| r == round + 1), "round {round}: {revisions:?}");
    }
    let c = rusqlite::Connection::open(&db).unwrap();
    let n: i64 = c.query_row("SELECT count(*) FROM daily_summaries", [], |r| r.get(0)).unwrap();
    assert_eq!(n, 12, "one revision per change");
}

/// A kiosk that was off for a week closes every day of it when it starts,
/// one day at a time, oldest first.
#[test]
fn a_week_off_closes_every_day_on_start() {
    let (k, config) = setup_with(CONFIG);
    let clock = clock_at("2026-11-16 08:25");
    let mut c = core(&k, &config, &clock);
    c.scan("0100ABCDEF");
    clock.set("2026-11-17 04:00");
    assert!(
        matches!(c.tick().unwrap(), Some(LiveEvent::DayClosed { ref date, revision: 1, .. }) if date == "2026-11-16")
    );
    drop(c);
    // Off from the 17th to the 24th; started again on the 25th.
    clock.set("2026-11-25 07:00");
    let mut c = core(&k, &config, &clock);
    let mut closed = Vec::new();
    while let Some(e) = c.tick().unwrap() {
        match e {
            LiveEvent::DayClosed { date, revision, .. } => closed.push((date, revision)),
            other => panic!("{other:?}"),
        }
    }
    let want: Vec<(String, i64)> = (17..=24).map(|d| (format!("2026-11-{d}"), 1)).collect();
    assert_eq!(closed, want);
    assert_eq!(k.summary("2026-11-18")["revision"], 1);
    assert_eq!(k.summary("2026-11-18")["people"][0]["status"], "absent", "a weekday without punches");
}

/// With a second schedule whose day starts later, the day is closed at that
/// later start, and the core says when: nothing is re-judged before then.
#[test]
fn a_later_day_start_is_waited_for_not_polled() {
    let two = format!(
        "{CONFIG}[schedules.night]\nday_starts_at = \"07:00\"\nsessions = [{{ start = \"20:00\", end = \"06:00\" }}]\n"
    );
    let (k, config) = setup_with(&two);
    let clock = clock_at("2026-11-19 08:25");
    let mut c = core(&k, &config, &clock);
    c.scan("0100ABCDEF");
    let seven = parse_time("2026-11-20 07:00", chrono_tz::Asia::Shanghai).unwrap();
    assert_eq!(c.next_due(), seven, "the 19th closes when the night schedule's 20th starts");
    clock.set("2026-11-20 04:00");
    assert_eq!(c.tick().unwrap(), None);
    assert_eq!(c.next_due(), seven, "still: the loop sleeps until then");
    let c2 = rusqlite::Connection::open(k.dir().join("dutyclock.sqlite3")).unwrap();
    let stored = |c: &rusqlite::Connection| {
        c.query_row("SELECT count(*) FROM daily_summaries", [], |r| r.get::<_, i64>(0)).unwrap()
    };
    assert_eq!(stored(&c2), 0);
    clock.set("2026-11-20 07:00");
    assert!(matches!(c.tick().unwrap(), Some(LiveEvent::DayClosed { ref date, .. }) if date == "2026-11-19"));
    assert_eq!(stored(&c2), 1);
}

/// A future-dated punch from an import (a typo) never makes the kiosk's
/// own scans "clock went backwards": the check is seeded from its scans.
#[test]
fn a_future_dated_import_does_not_flag_later_scans() {
    let (k, config) = setup_with(CONFIG);
    let f = k.file("typo.csv", "staff_no,at\n0013,2027-11-19 08:30\n");
    k.import(&["punches", "import"], &f);
    let clock = clock_at("2026-11-19 08:25");
    let c = core(&k, &config, &clock);
    drop(c);
    let mut c = core(&k, &config, &clock);
    assert!(matches!(c.scan("0100ABCDEF"), LiveEvent::Punch { clock_synced: true, .. }));
    // Its own scans still seed it across a restart.
    drop(c);
    clock.set("2026-11-19 08:20");
    let mut c = core(&k, &config, &clock);
    assert!(matches!(c.scan("0100000013"), LiveEvent::Punch { clock_synced: false, .. }), "went back after 08:25");
}

/// Another process holding the write lock (a long import) makes a scan
/// wait and retry; a scan that truly cannot be stored is told as
/// `not_recorded` (never only logged), and the core goes on.
#[test]
fn a_busy_store_delays_a_scan_then_refuses_it_loudly() {
    let (k, config) = setup_with(CONFIG);
    let clock = clock_at("2026-11-19 08:25");
    let mut c = core(&k, &config, &clock);
    let db = k.dir().join("dutyclock.sqlite3");
    // Another writer holds the lock until `release` says so (or ends).
    let hold = |release: std::sync::mpsc::Receiver<()>| {
        let db = db.clone();
        let (tx, rx) = std::sync::mpsc::channel();
        let h = std::thread::spawn(move || {
            let mut lock = rusqlite::Connection::open(&db).unwrap();
            let t = lock.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).unwrap();
            tx.send(()).unwrap();
            // Bounded: a scan that waited for ever would end as a punch here
            // and fail the test, not hang it.
            let _ = release.recv_timeout(Duration::from_secs(20));
            t.commit().unwrap();
        });
        rx.recv().unwrap();
        h
    };
    // Held for longer than one attempt (1 s) and less than three: the scan
    // gets through on a retry.
    c.store().set_busy_timeout(Duration::from_millis(1_000)).unwrap();
    let (release, rx) = std::sync::mpsc::channel();
    let h = hold(rx);
    let releaser = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(1_500));
        release.send(()).unwrap();
    });
    let t = std::time::Instant::now();
    let e = c.scan("0100ABCDEF");
    assert_eq!(punch(&e).0, Meaning::In, "stored after waiting: {e:?}");
    assert!(t.elapsed() >= Duration::from_millis(1_400), "the scan waited for the lock: {:?}", t.elapsed());
    releaser.join().unwrap();
    h.join().unwrap();
    // Held through every attempt (released only after the scan answered):
    // not recorded, said so.
    c.store().set_busy_timeout(Duration::from_millis(200)).unwrap();
    clock.set("2026-11-19 10:00");
    let (release, rx) = std::sync::mpsc::channel();
    let h = hold(rx);
    match c.scan("0100000013") {
        LiveEvent::NotRecorded { card, detail, .. } => {
            assert_eq!(card, "0100000013");
            assert!(detail.contains("locked") || detail.contains("busy"), "{detail}");
        }
        other => panic!("{other:?}"),
    }
    release.send(()).unwrap();
    h.join().unwrap();
    assert_eq!(punch(&c.scan("0100000013")).0, Meaning::In, "the kiosk goes on: scanned again, stored");
    drop(c);
    assert!(k.ok(&["verify"]).starts_with("ok"));
}

/// `run --headless` waits out another process's write lock (longer than
/// one busy timeout) instead of exiting: the scan arrives once the lock is
/// released.
#[test]
fn headless_waits_out_a_lock_held_by_another_process() {
    let (k, mut master, _slave) = pty_kiosk(2);
    let (mut child, rx) = spawn_kiosk(&k);
    wait_for(&rx, "ready");
    let mut lock = rusqlite::Connection::open(k.dir().join("dutyclock.sqlite3")).unwrap();
    let t = lock.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).unwrap();
    master.write_all(&em_frame(card_of(1))).unwrap();
    // Longer than one busy timeout (10 s): the kiosk used to exit here.
    std::thread::sleep(Duration::from_millis(11_000));
    t.commit().unwrap();
    let p = wait_for(&rx, "punch");
    assert_eq!(p["staff_no"], "0001");
    assert!(child.try_wait().unwrap().is_none(), "the kiosk still runs");
    child.kill().unwrap();
    child.wait().unwrap();
}

// ---- live meanings on the headless loop ----

/// Collects JSON lines written by the loop's front end.
struct Lines(std::sync::mpsc::Sender<String>, Vec<u8>);

impl Write for Lines {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.1.extend_from_slice(buf);
        while let Some(i) = self.1.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.1.drain(..=i).collect();
            let _ = self.0.send(String::from_utf8_lossy(&line).trim().to_string());
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The production loop in this process: a reader over a pty, the core on
/// a test clock, the JSON-lines front end collected line by line.
struct LoopRig {
    k: Kiosk,
    master: TTYPort,
    _slave: TTYPort,
    clock: TestClock,
    lines: std::sync::mpsc::Receiver<String>,
    tx: std::sync::mpsc::Sender<dutyclock::kiosk::event_loop::Input>,
    reader: dutyclock::kiosk::reader::ReaderHandle,
    /// Each card the reader passed to the loop, after it was stamped.
    cards_read: std::sync::mpsc::Receiver<String>,
    lp: std::thread::JoinHandle<Result<(), String>>,
}

/// The production sink (`Stamped`), which also tells the test each card it
/// has stamped, so the test moves the clock only after the stamp.
struct Told(dutyclock::kiosk::event_loop::Stamped, std::sync::mpsc::Sender<String>);

impl dutyclock::kiosk::reader::ReaderSink for Told {
    fn send(&self, event: dutyclock::kiosk::reader::ReaderEvent) -> bool {
        let card = match &event {
            dutyclock::kiosk::reader::ReaderEvent::Card(c) => Some(c.clone()),
            _ => None,
        };
        let sent = self.0.send(event);
        if let Some(c) = card {
            let _ = self.1.send(c);
        }
        sent
    }
}

impl LoopRig {
    /// `cards` staff with cards `card_of(i)`; the config is RDM_CONFIG's
    /// with `edit` applied.
    fn start(cards: usize, edit: impl Fn(String) -> String, clock: &str) -> LoopRig {
        use dutyclock::kiosk::event_loop::{self, Input, JsonLines};
        use dutyclock::kiosk::service::Service;
        let (master, slave) = TTYPort::pair().unwrap();
        let k = Kiosk::new(&edit(RDM_CONFIG.replace("DEVICE", &slave.name().unwrap())));
        let mut staff = String::from("staff_no,name,unit,cards\n");
        for i in 0..cards {
            let id: String = card_of(i).iter().map(|b| format!("{b:02X}")).collect();
            staff.push_str(&format!("{i:04},员工{i},办公室,{id}\n"));
        }
        k.import(&["staff", "import"], &k.file("staff.csv", &staff));
        let config: &'static Config = Box::leak(Box::new(Config::load(&k.dir().join("config.toml")).unwrap()));
        let clock = TestClock::at(clock);
        let (line_tx, lines) = std::sync::mpsc::channel::<String>();
        let (tx, rx) = std::sync::mpsc::channel::<Input>();
        let stamped = event_loop::Stamped::new(tx.clone(), Box::new(clock.clone()));
        let (read_tx, cards_read) = std::sync::mpsc::channel();
        let reader = dutyclock::kiosk::reader::start(&config.reader, Told(stamped, read_tx)).unwrap();
        let store = Store::open(&k.dir().join("dutyclock.sqlite3")).unwrap();
        let c = clock.clone();
        let lp = std::thread::spawn(move || {
            let mut svc = Service::new(Core::new(config, store, Box::new(c)).unwrap());
            event_loop::run(&mut svc, &rx, &mut JsonLines(Lines(line_tx, Vec::new())), &mut [])
        });
        let rig = LoopRig { k, master, _slave: slave, clock, lines, tx, reader, cards_read, lp };
        rig.next("reader");
        rig
    }

    /// The next line of this event (earlier lines of other events skipped).
    fn next(&self, event: &str) -> Value {
        loop {
            let l = self.lines.recv_timeout(Duration::from_secs(20)).unwrap_or_else(|_| panic!("no {event} line"));
            let v: Value = serde_json::from_str(&l).unwrap();
            if v["event"] == event {
                return v;
            }
        }
    }

    /// Ends the loop (the reader and the front end gone) and returns the kiosk.
    fn stop(self) -> Kiosk {
        drop(self.tx);
        drop(self.reader);
        self.lp.join().unwrap().unwrap();
        self.k
    }
}

/// The production loop (reader over a pty → core → JSON lines) with a
/// test clock: what the headless kiosk prints for a lateness over the
/// limit (旷工 at once) and a first punch past the midpoint (clock-in
/// missing), and the closed day's record saying the same.
#[test]
fn live_meanings_on_the_headless_loop_say_what_the_record_will() {
    let mut rig = LoopRig::start(3, |c| c.replace("duplicate_scan_seconds = 0", ""), "2026-11-19 08:41:00");
    let clock = rig.clock.clone();
    let mut scan = |when: &str, i: usize| -> Value {
        clock.set(when);
        rig.master.write_all(&em_frame(card_of(i))).unwrap();
        rig.next("punch")
    };
    let p = scan("2026-11-19 08:41:00", 0);
    assert_eq!((p["meaning"].as_str(), p["minutes"].as_u64()), (Some("in"), Some(11)));
    assert!(p.get("absent").is_none() && p.get("missing_in").is_none(), "{p}");
    let p = scan("2026-11-19 09:05:00", 1);
    assert_eq!(
        (p["meaning"].as_str(), p["minutes"].as_u64(), p["absent"].as_bool()),
        (Some("in"), Some(35), Some(true))
    );
    let p = scan("2026-11-19 10:32:00", 2);
    assert_eq!(
        (p["meaning"].as_str(), p["minutes"].as_u64(), p["missing_in"].as_bool()),
        (Some("going_out"), Some(88), Some(true))
    );
    std::thread::sleep(Duration::from_millis(900)); // a new hold of the same card
    let p = scan("2026-11-19 12:01:00", 2);
    assert_eq!(p["meaning"], "back", "the next punch after a going-out");
    // The day turns; a call wakes the loop, which closes the 19th.
    clock.set("2026-11-20 04:00:00");
    rig.tx.send(dutyclock::kiosk::event_loop::Input::Call(Box::new(|_| {}))).unwrap();
    let closed = rig.next("day_closed");
    assert_eq!((closed["date"].as_str(), closed["revision"].as_i64()), (Some("2026-11-19"), Some(1)));
    let k = rig.stop();
    let s = k.summary("2026-11-19");
    let person = |no: &str| s["people"].as_array().unwrap().iter().find(|p| p["staff_no"] == no).unwrap().clone();
    // Each punched only in the morning: the afternoon is absent for all.
    let figures = |no: &str, keys: [&str; 3]| keys.map(|k| person(no)[k].as_u64().unwrap());
    let keys = ["late_minutes", "absent_sessions", "missing_punches"];
    assert_eq!(figures("0000", keys), [11, 1, 1], "late 11, no out-punch in the morning");
    assert_eq!(figures("0001", keys), [0, 2, 0], "the morning absent (late 35 > 30), no lateness beside it");
    assert_eq!(figures("0002", keys), [0, 1, 2], "no clock-in, 10:32 left over: {}", person("0002"));
}

/// Runs `f` on the loop's thread (a front end's call, as a tap on 查询
/// is) and waits until it has run.
fn call_on_loop(rig: &LoopRig, f: impl FnOnce(&mut dutyclock::kiosk::service::Service<'_>) + Send + 'static) {
    let (done_tx, done) = std::sync::mpsc::channel();
    let call: dutyclock::kiosk::event_loop::Call = Box::new(move |svc| {
        f(svc);
        let _ = done_tx.send(());
    });
    rig.tx.send(dutyclock::kiosk::event_loop::Input::Call(call)).unwrap();
    done.recv_timeout(Duration::from_secs(20)).expect("the loop ran the call");
}

/// The punches the command line lists for a day (header and rule off).
fn listed_punches(k: &Kiosk, date: &str) -> Vec<String> {
    k.ok(&["punches", "list", "--date", date]).lines().skip(2).map(str::to_string).collect()
}

/// The actions logged, as (who, action, detail).
fn actions(k: &Kiosk) -> Vec<(String, String, String)> {
    let db = rusqlite::Connection::open(k.dir().join("dutyclock.sqlite3")).unwrap();
    let mut q = db.prepare("SELECT who, action, detail FROM actions ORDER BY id").unwrap();
    q.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap().collect::<Result<_, _>>().unwrap()
}

/// Looking is not punching, on the production loop (reader over a pty →
/// the loop → JSON lines): 查询 armed by a front-end call makes the next
/// scan an identification, which stores no punch (the command line lists
/// none) and is logged as an action; the scan after it punches again. An
/// unknown card read while armed is not stored either.
#[test]
fn an_armed_scan_identifies_the_person_and_stores_no_punch() {
    use dutyclock::kiosk::live::Purpose;
    let mut rig = LoopRig::start(2, |c| c, "2026-11-19 15:00:00");
    let card0: String = card_of(0).iter().map(|b| format!("{b:02X}")).collect();
    call_on_loop(&rig, |svc| {
        svc.arm(Purpose::Lookup);
    });
    rig.master.write_all(&em_frame(card_of(0))).unwrap();
    let id = rig.next("identified");
    assert_eq!(
        (id["purpose"].as_str(), id["staff_no"].as_str(), id["name"].as_str(), id["card"].as_str()),
        (Some("lookup"), Some("0000"), Some("员工0"), Some(card0.as_str()))
    );
    assert_eq!(listed_punches(&rig.k, "2026-11-19"), Vec::<String>::new(), "no punch stored");
    assert_eq!(actions(&rig.k), [("0000".to_string(), "looked up".to_string(), format!("card {card0}"))]);
    // 管理 for a card nobody holds: identified as nobody, nothing stored.
    call_on_loop(&rig, |svc| {
        svc.arm(Purpose::Manage);
    });
    rig.master.write_all(&em_frame([0x01, 0, 0, 0x77, 0x01])).unwrap();
    let id = rig.next("identified");
    assert_eq!((id["purpose"].as_str(), id.get("staff_no")), (Some("manage"), None));
    assert_eq!(listed_punches(&rig.k, "2026-11-19"), Vec::<String>::new(), "not even an unknown card's punch");
    assert_eq!(actions(&rig.k)[1].1, "identified to sign in");
    // Unarmed again: the next scan is a punch.
    rig.master.write_all(&em_frame(card_of(1))).unwrap();
    let p = rig.next("punch");
    assert_eq!(p["staff_no"], "0001");
    let listed = listed_punches(&rig.k, "2026-11-19");
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert!(listed[0].contains("0001") && listed[0].contains("reader"), "{listed:?}");
    let k = rig.stop();
    assert!(k.ok(&["verify"]).starts_with("ok"), "the look-ups are on the record chain");
}

/// An arming runs out after its seconds: a scan read later punches.
#[test]
fn an_arming_that_ran_out_does_not_hold() {
    use dutyclock::kiosk::live::Purpose;
    use dutyclock::kiosk::service::ARMED_SECONDS;
    let mut rig = LoopRig::start(1, |c| c, "2026-11-19 15:00:00");
    call_on_loop(&rig, |svc| {
        svc.arm(Purpose::Lookup);
    });
    rig.clock.set_instant(rig.clock.now() + ARMED_SECONDS * 1000 + 1);
    rig.master.write_all(&em_frame(card_of(0))).unwrap();
    let p = rig.next("punch");
    assert_eq!(p["staff_no"], "0000");
    assert_eq!(listed_punches(&rig.k, "2026-11-19").len(), 1);
    // And 取消 (a disarm) before the scan: a punch too.
    call_on_loop(&rig, |svc| {
        svc.arm(Purpose::Manage);
        svc.disarm();
    });
    std::thread::sleep(Duration::from_millis(900)); // a new hold of the same card
    rig.clock.set_instant(rig.clock.now() + 120_000);
    rig.master.write_all(&em_frame(card_of(0))).unwrap();
    rig.next("punch");
    assert_eq!(listed_punches(&rig.k, "2026-11-19").len(), 2);
    assert!(actions(&rig.k).is_empty(), "nothing looked up");
    rig.stop();
}

/// A scan that waits in the loop's queue (behind another scan that waits
/// for an import's lock) keeps the time it was read: the wait does not
/// make anyone late.
#[test]
fn a_queued_scan_keeps_the_time_it_was_read() {
    let mut rig = LoopRig::start(2, |c| c, "2026-11-19 08:29:00");
    let mut lock = rusqlite::Connection::open(rig.k.dir().join("dutyclock.sqlite3")).unwrap();
    let t = lock.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).unwrap();
    // Card 0 at 08:29:00 waits for the lock; card 1, read at 08:29:01,
    // waits in the queue behind it until 08:31:05.
    rig.master.write_all(&em_frame(card_of(0))).unwrap();
    rig.cards_read.recv_timeout(Duration::from_secs(20)).expect("card 0 read");
    rig.clock.set("2026-11-19 08:29:01");
    rig.master.write_all(&em_frame(card_of(1))).unwrap();
    rig.cards_read.recv_timeout(Duration::from_secs(20)).expect("card 1 read");
    rig.clock.set("2026-11-19 08:31:05");
    std::thread::sleep(Duration::from_millis(1_500));
    t.commit().unwrap();
    let first = rig.next("punch");
    let second = rig.next("punch");
    assert_eq!(first["at"], "2026-11-19T08:29:00+08:00");
    assert_eq!(second["at"], "2026-11-19T08:29:01+08:00", "stamped when read, not when taken from the queue");
    assert_eq!((second["meaning"].as_str(), second["minutes"].as_u64()), (Some("in"), Some(0)), "not late");
    assert_eq!(second["clock_synced"], true);
    rig.stop();
}

/// A day that cannot be closed (a malformed record of that day) is
/// reported and skipped; the days after it still close.
#[test]
fn one_bad_day_does_not_block_the_days_after_it() {
    let (k, config) = setup_with(CONFIG);
    k.import(&["roster", "import"], &k.file("r.csv", "staff_no,date,start,end\n0012,2026-11-17,09:00,12:00\n"));
    let clock = clock_at("2026-11-16 08:25");
    let mut c = core(&k, &config, &clock);
    c.scan("0100ABCDEF");
    drop(c);
    let raw = rusqlite::Connection::open(k.dir().join("dutyclock.sqlite3")).unwrap();
    raw.execute_batch("UPDATE roster SET start = '9h'").unwrap();
    clock.set("2026-11-19 07:00");
    let mut c = core(&k, &config, &clock);
    assert!(matches!(c.tick().unwrap(), Some(LiveEvent::DayClosed { ref date, .. }) if date == "2026-11-16"));
    let e = c.tick().unwrap_err().to_string();
    assert!(e.contains("2026-11-17") && e.contains("roster.start"), "{e}");
    assert!(matches!(c.tick().unwrap(), Some(LiveEvent::DayClosed { ref date, .. }) if date == "2026-11-18"));
    assert_eq!(c.tick().unwrap(), None);
}

/// A punch stored into a day already closed (read just before the day's
/// end, stored just after) closes that day again: its next revision.
#[test]
fn a_late_punch_of_a_closed_day_closes_it_again() {
    let (k, config) = setup_with(CONFIG);
    let clock = clock_at("2026-11-19 08:25");
    let mut c = core(&k, &config, &clock);
    c.scan("0100ABCDEF");
    clock.set("2026-11-20 04:00:00");
    assert!(
        matches!(c.tick().unwrap(), Some(LiveEvent::DayClosed { ref date, revision: 1, .. }) if date == "2026-11-19")
    );
    // Read at 03:59:59, taken from the queue after the close.
    let read = parse_time("2026-11-20 03:59:59", chrono_tz::Asia::Shanghai).unwrap();
    assert!(matches!(c.scan_at("0100000013", read), LiveEvent::Punch { .. }));
    assert!(
        matches!(c.tick().unwrap(), Some(LiveEvent::DayClosed { ref date, revision: 2, .. }) if date == "2026-11-19")
    );
    assert_eq!(c.tick().unwrap(), None);
    drop(c);
    let s = k.summary("2026-11-19");
    assert_eq!(s["revision"], 2);
    assert_eq!(s["people"][1]["punches"], serde_json::json!(["03:59:59"]));
}

/// The kiosk's own days begin with its first scan on a synchronized clock:
/// a scan on a Pi that booted at 1970 does not make a year of summaries.
#[test]
fn the_kiosk_begins_with_its_first_synchronized_scan() {
    let (k, config) = setup_with(CONFIG);
    let clock = clock_at("1970-01-02 09:00");
    clock.unsynced();
    let mut c = core(&k, &config, &clock);
    assert!(matches!(c.scan("0100ABCDEF"), LiveEvent::Punch { clock_synced: false, .. }));
    drop(c);
    let clock = clock_at("2026-11-19 08:25");
    let mut c = core(&k, &config, &clock);
    c.scan("0100ABCDEF");
    drop(c);
    clock.set("2026-11-21 09:00");
    let mut c = core(&k, &config, &clock);
    let mut closed = Vec::new();
    while let Some(LiveEvent::DayClosed { date, .. }) = c.tick().unwrap() {
        closed.push(date);
    }
    assert_eq!(closed, ["2026-11-19", "2026-11-20"]);
}

/// Nothing waits for a time server: a kiosk in service on the 16th on a
/// clock nothing ever set (an intranet without NTP; one scan, flagged),
/// off until the 22nd and started again still without one, closes the
/// days it was off: its start is anchored at its first run.
#[test]
fn a_kiosk_without_a_time_server_closes_the_days_it_was_off() {
    let (k, config) = setup_with(CONFIG);
    let clock = clock_at("2026-11-16 08:25");
    clock.unsynced();
    let mut c = core(&k, &config, &clock);
    assert!(matches!(c.scan("0100ABCDEF"), LiveEvent::Punch { clock_synced: false, .. }));
    drop(c);
    clock.set("2026-11-22 09:00");
    let mut c = core(&k, &config, &clock);
    let mut closed = Vec::new();
    while let Some(LiveEvent::DayClosed { date, .. }) = c.tick().unwrap() {
        closed.push(date);
    }
    assert_eq!(closed, ["2026-11-16", "2026-11-17", "2026-11-18", "2026-11-19", "2026-11-20", "2026-11-21"]);
}

/// A clock that knows its boot, set by the test.
struct BootClock(TestClock, Arc<Mutex<i64>>);

impl Clock for BootClock {
    fn now(&self) -> dutyclock::domain::time::Instant {
        self.0.now()
    }
    fn synced(&self) -> bool {
        self.0.synced()
    }
    fn boot(&self) -> Option<(String, i64)> {
        Some(("boot-1".into(), *self.1.lock().unwrap()))
    }
}

/// A start anchored on a wrong clock is corrected when a synchronized one
/// comes: in the same boot by the time since the boot (the kiosk started
/// on a clock two weeks ahead, synchronized an hour later: nothing of the
/// false fortnight is closed; the running core notices at its next tick);
/// in a later boot an anchor in the future becomes now.
#[test]
fn a_start_anchored_on_a_wrong_clock_is_corrected_by_the_first_synchronized_one() {
    let (k, config) = setup_with(CONFIG);
    let clock = clock_at("2026-12-06 09:00");
    clock.unsynced();
    let since_boot = Arc::new(Mutex::new(60_000));
    let store = Store::open(&k.dir().join("dutyclock.sqlite3")).unwrap();
    let mut c = Core::new(&config, store, Box::new(BootClock(clock.clone(), since_boot.clone()))).unwrap();
    assert_eq!(c.tick().unwrap(), None);
    // An hour later, the true time is known: the 22nd, 10:00.
    *since_boot.lock().unwrap() += 3_600_000;
    clock.set("2026-11-22 10:00");
    clock.resynced();
    assert_eq!(c.tick().unwrap(), None, "the start was 09:00 on the 22nd: nothing to close");
    drop(c);
    let held = Store::open(&k.dir().join("dutyclock.sqlite3")).unwrap().meta("service.began").unwrap().unwrap();
    let anchor: Value = serde_json::from_str(&held).unwrap();
    let nine = parse_time("2026-11-22 09:00", chrono_tz::Asia::Shanghai).unwrap();
    assert_eq!((anchor["at_ms"].as_i64(), anchor["trusted"].as_bool()), (Some(nine), Some(true)));
    clock.set("2026-11-24 09:00");
    let mut c = core(&k, &config, &clock);
    let mut closed = Vec::new();
    while let Some(LiveEvent::DayClosed { date, .. }) = c.tick().unwrap() {
        closed.push(date);
    }
    assert_eq!(closed, ["2026-11-22", "2026-11-23"]);

    // Another kiosk: anchored ahead, synchronized only in a later boot:
    // an anchor in the future is now.
    let (k, config) = setup_with(CONFIG);
    let clock = clock_at("2026-12-06 09:00");
    clock.unsynced();
    drop(core(&k, &config, &clock));
    clock.set("2026-11-24 09:00");
    clock.resynced();
    let mut c = core(&k, &config, &clock);
    assert_eq!(c.tick().unwrap(), None);
    drop(c);
    let held = Store::open(&k.dir().join("dutyclock.sqlite3")).unwrap().meta("service.began").unwrap().unwrap();
    let anchor: Value = serde_json::from_str(&held).unwrap();
    let then = parse_time("2026-11-24 09:00", chrono_tz::Asia::Shanghai).unwrap();
    assert_eq!((anchor["at_ms"].as_i64(), anchor["trusted"].as_bool()), (Some(then), Some(true)));
    clock.set("2026-11-26 09:00");
    let mut c = core(&k, &config, &clock);
    let mut closed = Vec::new();
    while let Some(LiveEvent::DayClosed { date, .. }) = c.tick().unwrap() {
        closed.push(date);
    }
    assert_eq!(closed, ["2026-11-24", "2026-11-25"]);
}

/// A Pi that boots again on a saved clock months behind its (trusted)
/// start, before the server's time arrives, closes none of the days
/// before its start; when the time arrives it closes only the real ones.
#[test]
fn a_clock_behind_the_start_opens_no_days_before_it() {
    let (k, config) = setup_with(CONFIG);
    let clock = clock_at("2026-11-20 09:00");
    let mut c = core(&k, &config, &clock);
    c.scan("0100ABCDEF");
    drop(c);
    clock.set("2026-08-01 09:00");
    clock.unsynced();
    let mut c = core(&k, &config, &clock);
    assert_eq!(c.tick().unwrap(), None, "no day before the start");
    clock.set("2026-11-22 09:00");
    clock.resynced();
    let mut closed = Vec::new();
    while let Some(LiveEvent::DayClosed { date, .. }) = c.tick().unwrap() {
        closed.push(date);
    }
    assert_eq!(closed, ["2026-11-20", "2026-11-21"]);
}

/// The door's feedback is attached to the production loop: off a Pi, with
/// `[feedback]` configured, the kiosk says why there is no GPIO and its
/// stand-in pins log what the buzzer and LEDs would do for a punch and for
/// an unknown card.
#[test]
fn feedback_is_attached_to_the_running_kiosk() {
    let on_a_pi = std::fs::read_to_string("/proc/device-tree/model").is_ok_and(|m| m.contains("Raspberry Pi"));
    assert!(!on_a_pi, "this test checks the stand-ins of a machine without GPIO");
    let k = Kiosk::new(&format!("{CONFIG}\n[feedback]\nbuzzer_pin = 18\ngreen_pin = 23\nred_pin = 24\n"));
    k.import(&["staff", "import"], &k.file("staff.csv", STAFF));
    let mut child = headless_piped(&k);
    let mut stdin = child.stdin.take().unwrap();
    let out = lines_of(child.stdout.take().unwrap());
    let err = lines_of(child.stderr.take().unwrap());
    // Each step waits for the kiosk's answer, not a fixed time: the red
    // pattern must start before stdin ends the kiosk, however slow its start.
    let mut stdout = String::new();
    writeln!(stdin, "0100ABCDEF").unwrap();
    wait_for_line(&out, &mut stdout, "\"event\":\"punch\"");
    writeln!(stdin, "0909090909").unwrap();
    wait_for_line(&out, &mut stdout, "\"event\":\"unknown_card\"");
    let mut stderr = String::new();
    wait_for_line(&err, &mut stderr, "feedback: red LED high");
    drop(stdin);
    child.wait().unwrap();
    stderr.extend(err.iter().map(|l| l + "\n"));
    assert!(stderr.contains("[feedback] needs the GPIO") && stderr.contains("running without a buzzer"), "{stderr}");
    // The punch: green; the unknown card: red.
    let green = stderr.find("feedback: green LED high").expect("green for the punch");
    let red = stderr.find("feedback: red LED high").expect("red for the unknown card");
    assert!(green < red && stderr.contains("feedback: buzzer high"), "{stderr}");
}

/// The lines of a child's pipe, as they come.
fn lines_of(pipe: impl std::io::Read + Send + 'static) -> std::sync::mpsc::Receiver<String> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufRead::lines(std::io::BufReader::new(pipe)).map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Collects lines into `seen` until one contains `needle` (30 s at most).
fn wait_for_line(lines: &std::sync::mpsc::Receiver<String>, seen: &mut String, needle: &str) {
    let until = std::time::Instant::now() + Duration::from_secs(30);
    while !seen.contains(needle) {
        let left = until.saturating_duration_since(std::time::Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) => {
                seen.push_str(&line);
                seen.push('\n');
            }
            Err(e) => panic!("no line with {needle:?} ({e}); so far:\n{seen}"),
        }
    }
}

/// `run --headless` on the kiosk's data, with stdin, stdout and stderr piped.
fn headless_piped(k: &Kiosk) -> Child {
    common::dutyclock_command()
        .arg("--data-dir")
        .arg(k.dir())
        .args(["run", "--headless"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

/// Sends SIGTERM to a child, as `systemctl stop` does.
fn terminate(child: &Child) {
    // SAFETY: kill(2) on our own child's pid, with a valid signal.
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGTERM) }, 0);
}

#[test]
fn stopped_mid_beep_the_kiosk_turns_the_door_off_and_exits_cleanly() {
    let k = Kiosk::new(&format!("{CONFIG}\n[feedback]\nbuzzer_pin = 18\ngreen_pin = 23\nred_pin = 24\n"));
    k.import(&["staff", "import"], &k.file("staff.csv", STAFF));
    let mut child = headless_piped(&k);
    let mut stdin = child.stdin.take().unwrap();
    let mut errors = std::io::BufRead::lines(std::io::BufReader::new(child.stderr.take().unwrap()));
    writeln!(stdin, "0100ABCDEF").unwrap();
    // The punch's green light and beep are on (for 80 and 800 ms): stop now.
    let mut stderr = String::new();
    while !stderr.contains("feedback: buzzer high") {
        let line = errors.next().expect("the kiosk's messages").unwrap();
        stderr += &line;
        stderr += "\n";
    }
    terminate(&child);
    let status = child.wait().unwrap();
    for line in errors {
        stderr += &line.unwrap();
        stderr += "\n";
    }
    assert!(status.success(), "SIGTERM ends the kiosk with status 0: {status:?} {stderr}");
    assert!(stderr.contains("stopped (SIGTERM)"), "{stderr}");
    // Every part's last level is off (the stand-in pins log each level).
    for part in ["buzzer", "green LED", "red LED"] {
        let last = stderr.lines().rfind(|l| l.starts_with(&format!("feedback: {part} ")));
        assert_eq!(last, Some(format!("feedback: {part} low").as_str()), "{stderr}");
    }
    drop(stdin);
}

#[test]
fn the_headless_kiosk_tells_systemd_ready_feeds_the_watchdog_and_stopping() {
    let k = Kiosk::new(CONFIG);
    let socket_path = k.tmp.path().join("notify");
    let socket = std::os::unix::net::UnixDatagram::bind(&socket_path).unwrap();
    socket.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    // As systemd starts it: WATCHDOG_PID is the kiosk's own pid (the shell
    // execs the kiosk, which keeps the shell's pid).
    let kiosk = common::dutyclock_command();
    let mut child = Command::new("sh")
        .args(["-c", "WATCHDOG_PID=$$ exec \"$@\"", "sh"])
        .arg(kiosk.get_program())
        .args(kiosk.get_args())
        .arg("--data-dir")
        .arg(k.dir())
        .args(["run", "--headless"])
        .env("NOTIFY_SOCKET", &socket_path)
        // WatchdogSec=0.6: a ping every 0.3 s at the latest.
        .env("WATCHDOG_USEC", "600000")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut buf = [0u8; 256];
    let mut next = || {
        let n = socket.recv(&mut buf).expect("a message from the kiosk within 10 s");
        String::from_utf8_lossy(&buf[..n]).into_owned()
    };
    assert_eq!(next().trim(), "READY=1");
    // Idle (nothing scanned), the loop still feeds the watchdog in time.
    let start = std::time::Instant::now();
    let mut pings = 0;
    while start.elapsed() < Duration::from_secs(2) {
        let m = next();
        assert_eq!(m.trim(), "WATCHDOG=1");
        pings += 1;
    }
    assert!(pings >= 5, "{pings} pings in 2 s for a 0.6 s watchdog");
    terminate(&child);
    let stopping = loop {
        let m = next();
        if m.trim() != "WATCHDOG=1" {
            break m;
        }
    };
    assert_eq!(stopping.trim(), "STOPPING=1");
    assert!(child.wait().unwrap().success());
}
