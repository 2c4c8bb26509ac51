//! The touchscreen's service without a window, over a real store: authority
//! checked for every write (not only in the UI), correction requests read
//! per unit in the query, and a person on a Europe/Berlin schedule through
//! every path that takes a local time (CLI, touchscreen, imports).

mod common;

use common::{Kiosk, TestClock};
use dutyclock::domain::config::Config;
use dutyclock::domain::time::{parse_time, Instant};
use dutyclock::kiosk::clock::Clock;
use dutyclock::kiosk::pin::Outcome;
use dutyclock::kiosk::service::{LeaveSpan, Service, ServiceError};
use dutyclock::kiosk::store::Store;
use dutyclock::kiosk::Core;

const CONFIG: &str = r#"
kiosk_id = "k1"
units = ["办公室", "财务科"]
[reader]
kind = "simulated"
[schedules.default]
sessions = [{ start = "08:30", end = "12:00" }, { start = "14:30", end = "17:30" }]
[schedules.berlin]
timezone = "Europe/Berlin"
sessions = [{ start = "08:30", end = "12:00" }, { start = "14:30", end = "17:30" }]
"#;

const STAFF: &str = "staff_no,name,unit,cards,role,pin,schedule\n\
0001,张三,办公室,0100000001,,,\n\
0002,李科长,办公室,0100000002,head,2468,\n\
0003,王五,财务科,0100000003,,,\n\
0004,赵科长,财务科,0100000004,head,1357,\n\
0005,Anna,办公室,0100000005,,,berlin\n\
0009,管理员,办公室,0100000009,admin,9999,\n";

fn setup() -> (Kiosk, &'static Config, TestClock) {
    let k = Kiosk::new(CONFIG);
    k.import(&["staff", "import"], &k.file("staff.csv", STAFF));
    // The kiosk's records start on Monday 11-02 (a history from the old
    // terminal): the days from then on are judged, and may be corrected.
    k.import(&["punches", "import"], &k.file("history.csv", "staff_no,at\n0009,2026-11-02 08:25\n"));
    let config: &'static Config = Box::leak(Box::new(Config::load(&k.dir().join("config.toml")).unwrap()));
    let clock = TestClock::at("2026-11-19 09:00");
    (k, config, clock)
}

fn service(k: &Kiosk, config: &'static Config, clock: &TestClock) -> Service<'static> {
    let store = Store::open(&k.dir().join("dutyclock.sqlite3")).unwrap();
    Service::new(Core::new(config, store, Box::new(clock.clone())).unwrap())
}

fn db(k: &Kiosk) -> rusqlite::Connection {
    rusqlite::Connection::open(k.dir().join("dutyclock.sqlite3")).unwrap()
}

/// Row counts of every table a head or admin can write to.
fn counts(k: &Kiosk) -> Vec<(String, i64)> {
    let c = db(k);
    [
        "punches",
        "punch_voids",
        "leave",
        "leave_voids",
        "spot_checks",
        "correction_decisions",
        "card_assignments",
        "leave_request_decisions",
    ]
    .iter()
    .map(|t| (t.to_string(), c.query_row(&format!("SELECT count(*) FROM {t}"), [], |r| r.get(0)).unwrap()))
    .collect()
}

fn refused<T: std::fmt::Debug>(r: Result<T, ServiceError>) -> String {
    match r {
        Err(ServiceError::Refused(why)) => why,
        other => panic!("not refused: {other:?}"),
    }
}

#[test]
fn every_write_is_authorised_by_the_service_and_a_refusal_stores_nothing() {
    let (k, config, clock) = setup();
    let mut svc = service(&k, config, &clock);
    // Records of the other unit (财务科), made by its own head.
    svc.scan("0100000003");
    assert_eq!(svc.login("0004", "1357").unwrap(), Outcome::Accepted);
    svc.add_leave("0004", "0003", "事假", LeaveSpan::Afternoon).unwrap();
    svc.request_correction("0003", "2026-11-18".parse().unwrap(), 12 * 60, "忘打卡").unwrap();
    let d18: chrono::NaiveDate = "2026-11-18".parse().unwrap();
    svc.request_leave("0003", (d18, d18), "病假", LeaveSpan::Day, "").unwrap();
    svc.sign_out();
    let c = db(&k);
    let punch_b: i64 = c.query_row("SELECT id FROM punches WHERE card = '0100000003'", [], |r| r.get(0)).unwrap();
    let leave_b: i64 = c.query_row("SELECT id FROM leave WHERE staff_no = '0003'", [], |r| r.get(0)).unwrap();
    let request_b: i64 = c.query_row("SELECT id FROM correction_requests", [], |r| r.get(0)).unwrap();
    let leave_request_b: i64 = c.query_row("SELECT id FROM leave_requests", [], |r| r.get(0)).unwrap();
    let before = counts(&k);

    // Not signed in: nothing at all.
    assert!(refused(svc.void_punch("0002", punch_b, "刷错卡")).contains("PIN"));
    // 办公室's head, signed in, on 财务科's records: refused.
    assert_eq!(svc.login("0002", "2468").unwrap(), Outcome::Accepted);
    let other_unit = "这条记录不属于您的科室";
    assert_eq!(refused(svc.void_punch("0002", punch_b, "刷错卡")), other_unit);
    assert_eq!(refused(svc.revoke_leave("0002", leave_b)), other_unit);
    assert_eq!(refused(svc.decide("0002", request_b, true)), other_unit);
    assert_eq!(refused(svc.decide_leave("0002", leave_request_b, true)), other_unit);
    assert_eq!(refused(svc.add_leave("0002", "0003", "事假", LeaveSpan::Day)), other_unit);
    assert_eq!(refused(svc.add_punch("0002", "0003", 8 * 60 + 30, "忘打卡")), other_unit);
    assert_eq!(
        refused(svc.spot_check("0002", &[("0001".into(), true, String::new()), ("0003".into(), false, "串岗".into())])),
        other_unit
    );
    // Unknown ids, and a head enrolling cards.
    assert_eq!(refused(svc.void_punch("0002", 999_999, "刷错卡")), "没有这条记录");
    assert_eq!(refused(svc.decide_leave("0002", 999_999, true)), "没有这条记录");

    assert!(refused(svc.enroll("0002", "0100000077", "0001")).contains("管理员"));
    // Someone else than the signed-in head.
    assert!(refused(svc.add_leave("0004", "0003", "事假", LeaveSpan::Day)).contains("PIN"));
    assert_eq!(counts(&k), before, "nothing stored by any refused write");

    // Another head's wrong PIN leaves the signed-in head as they are.
    assert_ne!(svc.login("0004", "0000").unwrap(), Outcome::Accepted);
    // The head's own unit: allowed.
    svc.add_leave("0002", "0001", "病假", LeaveSpan::Morning).unwrap();
    // Revoked (销假), then the same leave again: said, not silently "done".
    let c = db(&k);
    let leave_a: i64 = c.query_row("SELECT id FROM leave WHERE staff_no = '0001'", [], |r| r.get(0)).unwrap();
    svc.revoke_leave("0002", leave_a).unwrap();
    let before = counts(&k);
    assert!(svc.add_leave("0002", "0001", "病假", LeaveSpan::Morning).unwrap_err().to_string().contains("作废"));
    assert_eq!(counts(&k), before, "nothing stored");
    svc.spot_check("0002", &[("0001".into(), true, String::new())]).unwrap();
    // Signed out: refused again.
    svc.sign_out();
    assert!(refused(svc.add_punch("0002", "0001", 8 * 60 + 30, "忘打卡")).contains("PIN"));
    // A staff member cannot sign in at all; an admin enrolls but manages no unit.
    assert_ne!(svc.login("0001", "0000").unwrap(), Outcome::Accepted);
    assert_eq!(svc.login("0009", "9999").unwrap(), Outcome::Accepted);
    assert!(refused(svc.add_leave("0009", "0001", "事假", LeaveSpan::Day)).contains("科长"));
    svc.enroll("0009", "0100000077", "0001").unwrap();
}

#[test]
fn leave_requests_are_decided_once_by_the_persons_head() {
    let (k, config, clock) = setup();
    let mut svc = service(&k, config, &clock);
    let d18: chrono::NaiveDate = "2026-11-18".parse().unwrap();
    // A kind that does not exist: said, nothing stored.
    assert_eq!(refused(svc.request_leave("0001", (d18, d18), "休假", LeaveSpan::Day, "")), "没有“休假”这种假别");
    let msg = svc.request_leave("0001", (d18, d18), "病假", LeaveSpan::Morning, "").unwrap();
    assert!(msg.starts_with("已提交 11-18 ") && msg.ends_with("的病假申请，等待科长审批"), "{msg}");
    let id: i64 = db(&k).query_row("SELECT id FROM leave_requests", [], |r| r.get(0)).unwrap();
    assert_eq!(svc.login("0002", "2468").unwrap(), Outcome::Accepted);
    let lines = svc.request_lines("办公室").unwrap();
    assert!(
        lines[0].leave_request && lines[0].open && lines[0].text.starts_with("张三 · 请假 病假 11-18"),
        "{lines:?}"
    );
    assert_eq!(svc.decide_leave("0002", id, true).unwrap(), "已批准，请假已登记");
    // Decided once: a second decision is refused and stores nothing.
    let before = counts(&k);
    assert!(svc.decide_leave("0002", id, false).is_err());
    assert_eq!(counts(&k), before);
    let (leave_id, kind, by): (i64, String, String) = db(&k)
        .query_row("SELECT id, kind, approved_by FROM leave WHERE staff_no = '0001'", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .unwrap();
    assert_eq!((kind.as_str(), by.as_str()), ("病假", "0002"), "recorded, approved by the head");
    // Revoked (销假), then asked for again: refused at once (it could
    // never be approved), not left waiting.
    svc.revoke_leave("0002", leave_id).unwrap();
    assert!(refused(svc.request_leave("0001", (d18, d18), "病假", LeaveSpan::Morning, "")).contains("销假"));
    // The afternoon is another span: asked and rejected.
    svc.request_leave("0001", (d18, d18), "病假", LeaveSpan::Afternoon, "").unwrap();
    let id2: i64 = db(&k).query_row("SELECT max(id) FROM leave_requests", [], |r| r.get(0)).unwrap();
    assert_eq!(svc.decide_leave("0002", id2, false).unwrap(), "已驳回");
    assert_eq!(counts(&k).iter().find(|c| c.0 == "leave").unwrap().1, 1, "a rejection records no leave");
    // A void's reason: given, and one line long; nothing stored otherwise.
    svc.scan("0100000001");
    let punch: i64 = db(&k).query_row("SELECT max(id) FROM punches", [], |r| r.get(0)).unwrap();
    let before = counts(&k);
    assert!(refused(svc.void_punch("0002", punch, "  ")).contains("原因"));
    assert!(refused(svc.void_punch("0002", punch, &"长".repeat(61))).contains("60"));
    assert_eq!(counts(&k), before);
    svc.void_punch("0002", punch, "其他：读卡器误读").unwrap();
    assert!(k.ok(&["verify"]).starts_with("ok"), "the new records are on the chain");
}

#[test]
fn a_units_correction_requests_are_not_crowded_out_by_other_units() {
    let (k, config, clock) = setup();
    let mut svc = service(&k, config, &clock);
    let day = "2026-11-18".parse().unwrap();
    for m in 0..3 {
        svc.request_correction("0001", day, 8 * 60 + m, "忘打卡").unwrap();
    }
    // 250 newer requests of the other unit.
    for m in 0..250 {
        svc.request_correction("0003", day, 9 * 60 + m, "忘打卡").unwrap();
    }
    let mine = svc.request_lines("办公室").unwrap();
    assert_eq!(mine.len(), 3, "{mine:?}");
    assert!(mine.iter().all(|l| l.text.starts_with("张三")));
    assert_eq!(svc.request_lines("财务科").unwrap().len(), 200, "the list shows the newest 200");
    // A waiting request is never crowded out by newer decided ones: the
    // unit's 250 requests decided but its oldest, which is listed first.
    let ids: Vec<i64> = db(&k)
        .prepare("SELECT id FROM correction_requests WHERE staff_no = '0003' ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    svc.scan("0100000004");
    assert_eq!(svc.login("0004", "1357").unwrap(), Outcome::Accepted);
    for id in &ids[1..] {
        svc.decide("0004", *id, false).unwrap();
    }
    let lines = svc.request_lines("财务科").unwrap();
    assert_eq!((lines.len(), lines[0].open, lines.iter().filter(|l| l.open).count()), (200, true, 1));
    assert!(lines[0].text.contains("09:00"), "the oldest, still waiting: {}", lines[0].text);
}

/// Europe/Berlin is UTC+1 in November: 08:30 there is 07:30Z (15:30 in Shanghai).
#[test]
fn a_person_on_a_berlin_schedule_through_every_path() {
    let (k, config, clock) = setup();
    let berlin = |local: &str| parse_time(local, chrono_tz::Europe::Berlin).unwrap();
    let at_ms = |sql: &str| -> Vec<Instant> {
        let c = db(&k);
        let mut stmt = c.prepare(sql).unwrap();
        stmt.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
    };
    // CLI: a correction at a local time.
    k.ok(&["correction", "add", "--staff", "0005", "--at", "2026-11-18 08:30", "--reason", "忘打卡", "--by", "科长"]);
    // Imports: punches by staff number and by card, ATTLOG, spot checks, leave.
    k.import(&["punches", "import"], &k.file("p1.csv", "staff_no,at\n0005,2026-11-18 12:01\n"));
    k.import(&["punches", "import"], &k.file("p2.csv", "card,at\n0100000005,2026-11-18 14:29\n"));
    k.import(&["punches", "import", "--format", "attlog"], &k.file("a.dat", "5\t2026-11-18 17:31:00\t0\t1\t0\n"));
    k.import(&["spotcheck", "import"], &k.file("s.csv", "staff_no,at,result\n0005,2026-11-18 10:40,absent\n"));
    k.import(
        &["leave", "import"],
        &k.file("l.csv", "staff_no,kind,from,to\n0005,事假,2026-11-17 08:30,2026-11-17 12:00\n"),
    );
    assert_eq!(
        at_ms("SELECT at_ms FROM punches WHERE staff_no = '0005' OR card = '0100000005' ORDER BY at_ms"),
        vec![
            berlin("2026-11-18 08:30"),
            berlin("2026-11-18 12:01"),
            berlin("2026-11-18 14:29"),
            berlin("2026-11-18 17:31")
        ]
    );
    assert_eq!(at_ms("SELECT at_ms FROM spot_checks"), vec![berlin("2026-11-18 10:40")]);
    assert_eq!(at_ms("SELECT from_ms FROM leave_spans"), vec![berlin("2026-11-17 08:30")]);

    // The touchscreen: at 16:00 in Shanghai it is 09:00 in Berlin, the 19th there too.
    clock.set("2026-11-19 16:00");
    let mut svc = service(&k, config, &clock);
    svc.request_correction("0005", "2026-11-19".parse().unwrap(), 8 * 60 + 30, "忘打卡").unwrap();
    assert_eq!(at_ms("SELECT at_ms FROM correction_requests"), vec![berlin("2026-11-19 08:30")]);
    assert_eq!(svc.login("0002", "2468").unwrap(), Outcome::Accepted);
    // The head sees the request at the time Anna asked for, in her zone.
    let requests = svc.request_lines("办公室").unwrap();
    assert!(requests[0].text.contains("11-19 周四 08:30"), "{}", requests[0].text);
    // A correction for a time still to come is refused.
    assert!(refused(svc.request_correction("0005", "2026-11-19".parse().unwrap(), 10 * 60, "忘打卡")).contains("将来"));
    // Nor may a head add a punch at a time still to come in her zone.
    assert!(refused(svc.add_punch("0002", "0005", 12 * 60 + 1, "忘打卡")).contains("将来"));
    svc.add_punch("0002", "0005", 8 * 60 + 1, "忘打卡").unwrap();
    svc.add_leave("0002", "0005", "公出", LeaveSpan::Afternoon).unwrap();
    let c = db(&k);
    let added: Instant = c
        .query_row("SELECT at_ms FROM punches WHERE source = 'correction' ORDER BY id DESC LIMIT 1", [], |r| r.get(0))
        .unwrap();
    assert_eq!(added, berlin("2026-11-19 08:01"));
    let (from, to): (Instant, Instant) = c
        .query_row("SELECT from_ms, to_ms FROM leave_spans ORDER BY leave_id DESC LIMIT 1", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!((from, to), (berlin("2026-11-19 14:30"), berlin("2026-11-19 17:30")));
    drop(svc);

    // The 18th was a full day in Berlin; the 17th's morning on leave.
    let person = |date: &str| {
        let s = k.summary(date);
        s["people"].as_array().unwrap().iter().find(|p| p["staff_no"] == "0005").unwrap().clone()
    };
    assert_eq!(person("2026-11-18")["status"], "exception", "{}", person("2026-11-18"));
    assert_eq!(person("2026-11-18")["spot_check_absences"], 1);
    assert_eq!(person("2026-11-18")["punches"], serde_json::json!(["08:30:00", "12:01:00", "14:29:00", "17:31:00"]));
    assert_eq!(person("2026-11-17")["leave_minutes"], 210);
    // Moving Anna to the Shanghai schedule does not move her recorded leave.
    let moved = STAFF.replace("0005,Anna,办公室,0100000005,,,berlin", "0005,Anna,办公室,0100000005,,,default");
    k.import(&["staff", "import"], &k.file("staff2.csv", &moved));
    assert_eq!(at_ms("SELECT from_ms FROM leave_spans ORDER BY leave_id LIMIT 1"), vec![berlin("2026-11-17 08:30")]);
    // In Shanghai's day the leave (15:30–19:00 there) now lies in the afternoon: 2 h of it.
    assert_eq!(person("2026-11-17")["leave_minutes"], 120, "{}", person("2026-11-17"));
}

/// A head's change to a day already closed (voiding yesterday's punch)
/// closes that day again: the kiosk stores its next revision (R11).
#[test]
fn a_heads_change_to_a_closed_day_stores_its_next_revision() {
    let (k, config, clock) = setup();
    clock.set("2026-11-18 08:25");
    let mut svc = service(&k, config, &clock);
    svc.scan("0100000001");
    // The 18th is over for every schedule at 04:00 in Berlin (11:00 here).
    clock.set("2026-11-19 12:00");
    let closed = svc.core.tick().unwrap().map(|e| e.to_line()).unwrap();
    assert!(closed.contains("\"date\":\"2026-11-18\",\"revision\":1"), "{closed}");
    let punch: i64 = db(&k).query_row("SELECT id FROM punches WHERE source = 'reader'", [], |r| r.get(0)).unwrap();
    assert_eq!(svc.login("0002", "2468").unwrap(), Outcome::Accepted);
    svc.void_punch("0002", punch, "刷错卡").unwrap();
    let again = svc.core.tick().unwrap().map(|e| e.to_line()).unwrap();
    assert!(again.contains("\"date\":\"2026-11-18\",\"revision\":2"), "{again}");
}

/// A person added to a kiosk already in service starts on the day of the
/// import (no `active_from` in the file): the days before are 未启用 on
/// every screen (month, summary table and grid) and in the command line's
/// summary, never 旷工; from that day on they are judged.
#[test]
fn a_person_added_later_is_not_absent_before_their_first_day() {
    let (k, config, clock) = setup();
    // In service since Monday 11-02: the kiosk's own first scan.
    clock.set("2026-11-02 08:25");
    service(&k, config, &clock).scan("0100000001");
    // 孙七 is imported on the 18th with the rest of the roll, no first day given.
    clock.set("2026-11-18 08:00");
    let file = k.file("staff2.csv", &format!("{STAFF}0006,孙七,办公室,0100000006,,,\n"));
    let mut store = Store::open(&k.dir().join("dutyclock.sqlite3")).unwrap();
    let out = dutyclock::kiosk::import::staff(&mut store, config, &file, clock.now()).unwrap();
    assert!(out.notes.iter().any(|n| n.contains("0006") && n.contains("2026-11-18")), "said: {:?}", out.notes);
    // Someone who had left before the import (active_until alone, past)
    // is taken as history: no first day set, no refusal.
    let left = k.file("left.csv", "staff_no,name,unit,active_until\n0007,周八,办公室,2026-11-10\n");
    let out = dutyclock::kiosk::import::staff(&mut store, config, &left, clock.now()).unwrap();
    assert!(!out.notes.iter().any(|n| n.contains("0007")), "{:?}", out.notes);
    drop(store);
    // He punches on time on the 18th and the 19th, once a day (on the
    // 18th, which is over, the afternoon is absent: judged, as from then on).
    clock.set("2026-11-18 08:29");
    service(&k, config, &clock).scan("0100000006");
    clock.set("2026-11-19 08:29");
    let mut svc = service(&k, config, &clock);
    svc.scan("0100000006");
    let month = svc.month("0006", 0).unwrap().expect("his month");
    for d in &month.days {
        let before = d.date < "2026-11-18".parse().unwrap();
        assert_eq!(d.status == "未启用", before, "{}: {}", d.label, d.status);
        if before {
            assert!(!d.can_request && !d.can_request_leave && d.why.is_empty(), "{d:?}");
        }
    }
    // The head's summary of the month: the 18th's afternoon is his only
    // 旷工; the grid is blank before the 18th.
    assert_eq!(svc.login("0002", "2468").unwrap(), Outcome::Accepted);
    let table = svc.summary_table("办公室", dutyclock::kiosk::service::Period::ThisMonth).unwrap();
    let sun = table.rows.iter().find(|r| r.staff_no == "0006").expect("孙七 in the summary");
    let absent = table.columns.iter().position(|c| c == "旷工").unwrap() - 1;
    assert_eq!(sun.cells[absent], "半天", "the 18th's afternoon only: {:?}", sun.cells);
    for (day, cell) in table.grid_days.iter().zip(&sun.grid) {
        let before = day.date < "2026-11-18".parse().unwrap();
        assert_eq!(cell.mark == dutyclock::kiosk::service::Mark::Blank, before, "{}: {cell:?}", day.date);
    }
    // 张三, in post all along, is absent on the days he did not come.
    let zhang = table.rows.iter().find(|r| r.staff_no == "0001").unwrap();
    assert_ne!(zhang.cells[absent], "—", "{:?}", zhang.cells);
    drop(svc);
    // The day's record for the bureau says the same: not in post on the
    // 10th, he rests (nothing judged).
    let s10 = k.summary("2026-11-10");
    let p = s10["people"].as_array().unwrap().iter().find(|p| p["staff_no"] == "0006").expect("listed");
    assert_eq!((p["status"].as_str(), p["absent_sessions"].as_u64()), (Some("rest"), Some(0)), "{p}");
    let s18 = k.summary("2026-11-18");
    let p = s18["people"].as_array().unwrap().iter().find(|p| p["staff_no"] == "0006").expect("judged on the 18th");
    assert_eq!((p["status"].as_str(), p["absent_sessions"].as_u64()), (Some("exception"), Some(1)), "{p}");

    // No 补卡 on a 未启用 day: his 11-10, or anyone's day before the
    // kiosk's first (10-30); refused, nothing stored.
    let mut svc = service(&k, config, &clock);
    assert_eq!(svc.login("0002", "2468").unwrap(), Outcome::Accepted);
    let before = counts(&k);
    for (no, date) in [("0006", "2026-11-10"), ("0001", "2026-10-30")] {
        let why = refused(svc.add_punch_on("0002", no, date.parse().unwrap(), 8 * 60 + 30, "忘打卡"));
        assert!(why.contains("未启用"), "{no} {date}: {why}");
        let why = refused(svc.request_correction(no, date.parse().unwrap(), 8 * 60 + 30, "忘打卡"));
        assert!(why.contains("未启用"), "{no} {date}: {why}");
    }
    assert_eq!(counts(&k), before);
    drop(svc);
    // A correction from the command line on an old day does not move the
    // kiosk's first day: October stays 未启用 for everyone, never 旷工.
    k.ok(&["correction", "add", "--staff", "0001", "--at", "2026-10-27 08:30", "--reason", "纸质记录", "--by", "科长"]);
    let mut svc = service(&k, config, &clock);
    let october = svc.month("0003", 1).unwrap().expect("王五's October");
    assert!(october.days.iter().all(|d| d.status == "未启用" || d.status == "休息"), "{:?}", october.days);
}

/// A staff member asks for leave over several days, for a reason; the
/// head sees both and the leave covers every day once approved.
#[test]
fn leave_is_asked_over_days_with_a_reason() {
    let (k, config, clock) = setup();
    let mut svc = service(&k, config, &clock);
    let (d17, d18): (chrono::NaiveDate, chrono::NaiveDate) =
        ("2026-11-17".parse().unwrap(), "2026-11-18".parse().unwrap());
    // The last day before the first: refused, nothing stored.
    assert!(svc.request_leave("0001", (d18, d17), "病假", LeaveSpan::Day, "身体不适").is_err());
    // A reason longer than a line: refused.
    assert!(svc.request_leave("0001", (d17, d18), "病假", LeaveSpan::Day, &"很".repeat(200)).is_err());
    assert_eq!(db(&k).query_row("SELECT count(*) FROM leave_requests", [], |r| r.get::<_, i64>(0)).unwrap(), 0);
    let msg = svc.request_leave("0001", (d17, d18), "病假", LeaveSpan::Day, "身体不适").unwrap();
    assert!(msg.contains("11-17") && msg.contains("11-18"), "{msg}");
    assert_eq!(svc.login("0002", "2468").unwrap(), Outcome::Accepted);
    let line = svc.request_lines("办公室").unwrap().into_iter().find(|l| l.leave_request).unwrap();
    assert!(line.text.contains("身体不适") && line.text.contains("2 天"), "{}", line.text);
    svc.decide_leave("0002", line.id, true).unwrap();
    drop(svc);
    for date in ["2026-11-17", "2026-11-18"] {
        let s = k.summary(date);
        let p = s["people"].as_array().unwrap().iter().find(|p| p["staff_no"] == "0001").unwrap().clone();
        assert_eq!((p["status"].as_str(), p["leave_minutes"].as_u64()), (Some("leave"), Some(390)), "{date}: {p}");
    }
}

#[test]
fn a_door_punch_says_where_it_was_made_and_the_roster_how_fresh_the_doors_are() {
    // A kiosk taking its data from the server: its people imported before
    // it was switched over (the import is refused on a managed kiosk).
    let k = Kiosk::new(CONFIG);
    k.import(&["staff", "import"], &k.file("staff.csv", STAFF));
    let managed = format!("{CONFIG}[central]\nurl = \"http://127.0.0.1:9/\"\nmaster = true\n");
    std::fs::write(k.dir().join("config.toml"), managed).unwrap();
    let config: &'static Config = Box::leak(Box::new(Config::load(&k.dir().join("config.toml")).unwrap()));
    let clock = TestClock::at("2026-11-19 09:00");
    let mut svc = service(&k, config, &clock);
    assert!(svc.doors_note().unwrap().contains("尚未收到"));
    // The back door's 08:25 of 张三, as the server sends it.
    let peers = dutyclock::domain::master::PeerPunches {
        cursor: "back:7".into(),
        punches: vec![dutyclock::domain::master::PeerPunch {
            origin: "back".into(),
            origin_name: Some("侧门".into()),
            seq: 7,
            card: "0100000001".into(),
            staff_no: Some("0001".into()),
            at: "2026-11-19T08:25:00.000+08:00".into(),
            clock_synced: Some(true),
        }],
    };
    {
        let mut store = Store::open(&k.dir().join("dutyclock.sqlite3")).unwrap();
        let mut w = store.writer().unwrap();
        let now = clock.now();
        assert_eq!(dutyclock::kiosk::master::store_peers(&mut w, &peers, now).unwrap(), 1);
        assert_eq!(dutyclock::kiosk::master::store_peers(&mut w, &peers, now).unwrap(), 0, "one punch however often");
        w.commit().unwrap();
    }
    assert_eq!(svc.login("0002", "2468").unwrap(), Outcome::Accepted);
    let day = svc.person("0001").unwrap().unwrap();
    assert_eq!(day.punches.len(), 1, "{day:?}");
    assert!(day.punches[0].flags.contains("侧门刷卡"), "{:?}", day.punches[0]);
    assert_eq!(day.punches[0].time, "08:25:00");
    assert!(svc.doors_note().unwrap().contains("09:00 更新"), "{:?}", svc.doors_note());
}
