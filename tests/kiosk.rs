//! The scan pipeline: the core with a test clock (meanings, duplicates,
//! unknown cards and enrolment, a clock that jumps back, day closing, the
//! event only after the commit), then `run --headless` end to end over a
//! pty, and SIGKILLs while scans stream in.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::Kiosk;
use dutyclock::clock::Clock;
use dutyclock::config::Config;
use dutyclock::kiosk::Core;
use dutyclock::live::LiveEvent;
use dutyclock::rules::Meaning;
use dutyclock::store::Store;
use dutyclock::time::{parse_time, Instant};
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

#[derive(Clone)]
struct TestClock(Arc<Mutex<(Instant, bool)>>);

impl TestClock {
    fn set(&self, local: &str) {
        self.0.lock().unwrap().0 = parse_time(local, chrono_tz::Asia::Shanghai).unwrap();
    }
    fn unsynced(&self) {
        self.0.lock().unwrap().1 = false;
    }
}

impl Clock for TestClock {
    fn now(&self) -> Instant {
        self.0.lock().unwrap().0
    }
    fn synced(&self) -> bool {
        self.0.lock().unwrap().1
    }
}

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
    let clock = TestClock(Arc::new(Mutex::new((0, true))));
    clock.set("2026-11-19 08:41:07");
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

fn em_frame(id: [u8; 5]) -> Vec<u8> {
    let x = id.iter().fold(0, |a, b| a ^ b);
    let mut f = vec![0x02];
    f.extend(id.iter().chain(std::iter::once(&x)).flat_map(|b| format!("{b:02X}").into_bytes()));
    f.push(0x03);
    f
}

fn card_of(i: usize) -> [u8; 5] {
    [0x01, 0x00, 0x00, (i >> 8) as u8, i as u8]
}

fn spawn_kiosk(k: &Kiosk) -> (Child, std::sync::mpsc::Receiver<Value>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_dutyclock"))
        .arg("--data-dir")
        .arg(k.dir())
        .args(["run", "--headless"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let out = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { return };
            let v: Value = serde_json::from_str(&line).expect("every line is JSON");
            if tx.send(v).is_err() {
                return;
            }
        }
    });
    (child, rx)
}

fn wait_for(rx: &std::sync::mpsc::Receiver<Value>, event: &str) -> Value {
    loop {
        let v = rx.recv_timeout(Duration::from_secs(10)).unwrap_or_else(|_| panic!("no {event} event"));
        if v["event"] == event {
            return v;
        }
    }
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
    while kills < 24 && started.elapsed() < Duration::from_secs(120) {
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
        let t = std::time::Instant::now();
        while t.elapsed() < kill_after {
            if let Ok(v) = rx.recv_timeout(Duration::from_millis(5)) {
                if v["event"] == "punch" {
                    acknowledged.push(v["punch_id"].as_i64().unwrap());
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
    assert!(kills >= 20, "only {kills} kills in the time bound");
    assert!(acknowledged.len() >= 100, "only {} punches acknowledged", acknowledged.len());
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
    let clock = TestClock(Arc::new(Mutex::new((0, true))));
    clock.set("2026-11-19 08:00:00");
    let mut c = core(&k, &config, &clock);
    let start = clock.now();
    for i in 0..600i64 {
        *clock.0.lock().unwrap() = (start + i * 61_000, true);
        c.scan(if i % 2 == 0 { "0100ABCDEF" } else { "0100000013" });
        c.maintenance().unwrap();
    }
    // ~6 WAL pages a scan: without checkpoints 600 scans would leave ~14 MB of WAL.
    let wal = std::fs::metadata(k.dir().join("dutyclock.sqlite3-wal")).unwrap().len();
    assert!(wal < 5 * 1024 * 1024, "WAL is {wal} bytes");
    drop(c);
    assert!(k.ok(&["verify"]).starts_with("ok"));
}
