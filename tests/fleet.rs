//! Central runs the fleet, with processes (a central server and three
//! kiosks on 127.0.0.1, SQLite and PostgreSQL): staff imported at central
//! reach the two kiosks of a unit (its home and its back door) in one
//! pull and not the third kiosk of another unit; a person clocks in at
//! the front door and out at the back door, and while the back door is
//! away the home kiosk's day has half their punches; back, the punch comes
//! down and the day's revision 2 at central is a normal day; a punch at
//! the back door reaches the home kiosk while both run (the time is
//! measured and printed); a card moved at central moves at both kiosks; a
//! local staff import on a managed kiosk is refused naming the server; a
//! card enrolled at the door that central gave to someone else meanwhile
//! is central's again and the conflict is listed.

#[path = "common/central.rs"]
mod central;
mod common;

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::process::Child;
use std::time::{Duration, Instant};

use central::{rows_text, Central, BACKENDS};
use common::{last_workday_before, run_kiosk, wait_until, Kiosk, TestClock};
use dutyclock::domain::config::Config;
use dutyclock::domain::model::{PunchOwner, PunchSource};
use dutyclock::kiosk::core::Core;
use dutyclock::kiosk::service::Service;
use dutyclock::kiosk::store::Store;
use serde_json::Value;

const UNIT: &str = "办公室";
const ZHANG_CARD: &str = "0100ABCDEF";
const LI_CARD: &str = "0100000013";

/// The district's people, as the bureau's staff file has them (张三's
/// photo beside the file).
const STAFF: &str = "staff_no,name,unit,cards,role,pin,active_from,photo\n\
0012,张三,办公室,0100ABCDEF,staff,,2026-01-01,zhang.png\n\
0013,李四,办公室,0100000013,staff,,2026-01-01,\n\
0009,赵管理,办公室,,admin,4321,2026-01-01,\n\
0021,王五,财务科,0100000021,staff,,2026-01-01,\n";

/// Seconds between the kiosks' pulls: 5 on both backends, so the steps
/// that wait for a pull cost CI seconds, not minutes. (With the default
/// 30 s a back door's punch reached the home kiosk in 30.0 s, measured
/// when doors came, issue 22; the bound checked here is the same: one
/// pull period and 5 s.)
fn pull_interval(_c: &Central) -> u64 {
    5
}

fn token_file(token: &str) -> std::path::PathBuf {
    let p = tempfile::NamedTempFile::new().unwrap().into_temp_path().keep().unwrap();
    std::fs::write(&p, token).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
    p
}

/// A kiosk taking its master data from `c`; `places` is its units line(s).
fn managed_kiosk(c: &Central, id: &str, token: &str, places: &str) -> Kiosk {
    let config = format!(
        "kiosk_id = \"{id}\"\n{places}\n[reader]\nkind = \"simulated\"\n[central]\nurl = \"{}\"\ntoken_file = \"{}\"\nmaster = true\n{}",
        c.url,
        token_file(token).display(),
        match pull_interval(c) {
            30 => String::new(),
            n => format!("pull_interval_s = {n}\n"),
        }
    );
    Kiosk::new(&config)
}

fn today() -> chrono::NaiveDate {
    (chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai) - chrono::Duration::hours(4)).date_naive()
}

fn instant(day: chrono::NaiveDate, h: u32, m: u32) -> i64 {
    dutyclock::domain::time::local_to_instant(chrono_tz::Asia::Shanghai, day.and_hms_opt(h, m, 0).unwrap())
}

/// Reader punches of `card` written into a kiosk's store (its scans on a
/// past day, before the test starts it).
fn punches(k: &Kiosk, card: &str, day: chrono::NaiveDate, times: &[(u32, u32)]) {
    let mut store = Store::open(&k.dir().join("dutyclock.sqlite3")).unwrap();
    let mut w = store.writer().unwrap();
    for (h, m) in times {
        let at = instant(day, *h, *m);
        w.add_punch(&PunchOwner::Card(card.into()), at, PunchSource::Reader, Some(true), None, at).unwrap();
    }
    w.commit().unwrap();
}

fn stop(mut child: Child) {
    child.kill().unwrap();
    child.wait().unwrap();
}

/// [`wait_until`], saying what the kiosks wrote on stderr when it times out.
fn wait_until_said(what: &str, kiosks: &[&Kiosk], within: Duration, done: impl FnMut() -> bool) {
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| wait_until(what, within, done)));
    if r.is_err() {
        for k in kiosks {
            let log = std::fs::read_to_string(k.tmp.path().join("stderr.log")).unwrap_or_default();
            eprintln!("--- {}:\n{log}", k.dir().display());
            eprintln!("{}", k.ok(&["sync", "status"]));
        }
        panic!("timed out waiting for {what}");
    }
}

fn db(k: &Kiosk) -> rusqlite::Connection {
    rusqlite::Connection::open(k.dir().join("dutyclock.sqlite3")).unwrap()
}

/// The staff numbers a kiosk holds a version of.
fn people_at(k: &Kiosk) -> Vec<String> {
    let c = db(k);
    let mut st = c.prepare("SELECT DISTINCT staff_no FROM staff_versions ORDER BY staff_no").unwrap();
    st.query_map([], |r| r.get(0)).unwrap().collect::<rusqlite::Result<_>>().unwrap()
}

/// Whom a kiosk's latest assignment of `card` names.
fn holder_at(k: &Kiosk, card: &str) -> Option<String> {
    db(k)
        .query_row("SELECT staff_no FROM card_assignments WHERE card = ?1 ORDER BY id DESC LIMIT 1", [card], |r| {
            r.get(0)
        })
        .ok()
}

/// Central's latest summary of `kiosk` on `day`: (revision, JSON).
fn latest_at_central(c: &Central, kiosk: &str, day: chrono::NaiveDate) -> Option<(i64, Value)> {
    let rows = rows_text(
        c,
        &format!(
            "SELECT CAST(revision AS TEXT), content FROM summaries WHERE kiosk_id = '{kiosk}' AND date = '{day}' \
             ORDER BY revision DESC LIMIT 1"
        ),
    );
    let (rev, content) = rows.trim_end().split_once('\t')?;
    Some((rev.parse().unwrap(), serde_json::from_str(content).unwrap()))
}

fn person<'a>(summary: &'a Value, staff_no: &str) -> &'a Value {
    summary["people"].as_array().unwrap().iter().find(|p| p["staff_no"] == staff_no).unwrap()
}

#[test]
fn central_keeps_the_people_and_a_unit_has_a_home_and_a_back_door() {
    for backend in BACKENDS {
        let mut c = Central::new(backend);
        let front_token = c.ok(&["kiosk", "add", "front", "--units", UNIT, "--name", "正门"]).trim().to_string();
        let back_token = c.ok(&["kiosk", "add", "back", "--doors-for", UNIT, "--name", "侧门"]).trim().to_string();
        let other_token = c.kiosk("other", &["财务科"]);
        let staff = c.tmp.path().join("staff.csv");
        std::fs::write(&staff, STAFF).unwrap();
        common::portrait_png(&c.tmp.path().join("zhang.png"));
        let o = c.ok(&["staff", "import", staff.to_str().unwrap()]);
        assert!(o.starts_with("4 people changed, 0 unchanged"), "{backend:?}: {o}");
        let listed = c.ok(&["staff", "list", "--unit", UNIT]);
        assert_eq!(listed.lines().count(), 3, "{listed}");
        assert!(listed.contains("0012\t张三\t办公室\tstaff\tdefault\t2026-01-01\t-"), "{listed}");
        // The same file again changes nothing.
        assert!(c.ok(&["staff", "import", staff.to_str().unwrap()]).starts_with("0 people changed, 4 unchanged"));
        // A new photo of 张三 before any kiosk pulled: the first answer names
        // both; the kiosks fetch and keep only the second.
        std::fs::write(c.tmp.path().join("zhang2.png"), common::photo::portrait_on([200, 60, 60])).unwrap();
        let again = c.tmp.path().join("again.csv");
        std::fs::write(&again, "staff_no,name,unit,photo\n0012,张三,办公室,zhang2.png\n").unwrap();
        assert!(c.ok(&["staff", "import", again.to_str().unwrap()]).starts_with("1 people changed"));
        c.start();

        let front = managed_kiosk(&c, "front", &front_token, &format!("units = [\"{UNIT}\"]"));
        let back = managed_kiosk(&c, "back", &back_token, &format!("units = []\ndoors_for = [\"{UNIT}\"]"));
        let other = managed_kiosk(&c, "other", &other_token, "units = [\"财务科\"]");
        // One pull each: the unit's people reach its home and its door,
        // and only the other unit's reach the third kiosk.
        for k in [&front, &back, &other] {
            let out = k.ok(&["sync", "now"]);
            assert!(out.contains("master: "), "{backend:?}: {out}");
        }
        assert_eq!(people_at(&front), ["0009", "0012", "0013"], "{backend:?}");
        assert_eq!(people_at(&back), ["0009", "0012", "0013"], "{backend:?}");
        assert_eq!(people_at(&other), ["0021"], "{backend:?}");
        assert_eq!(holder_at(&back, ZHANG_CARD).as_deref(), Some("0012"));
        // Each change is on the kiosk's chain, marked as central's.
        let marked: i64 = db(&front)
            .query_row("SELECT count(*) FROM actions WHERE who = 'central:cli' AND action = 'master'", [], |r| r.get(0))
            .unwrap();
        assert_eq!(marked, 6, "{backend:?}: 3 people (张三 twice) and 2 cards");
        // 张三's photo came with them: the latest, fetched, checked, kept
        // beside the store, the same bytes as central was given.
        for k in [&front, &back] {
            let path: String = db(k)
                .query_row("SELECT path FROM staff_photos WHERE staff_no = '0012'", [], |r| r.get(0))
                .unwrap_or_else(|e| panic!("{backend:?}: no photo at {}: {e}", k.dir().display()));
            assert_eq!(std::fs::read(&path).unwrap(), std::fs::read(c.tmp.path().join("zhang2.png")).unwrap());
        }
        let photos: i64 = db(&other).query_row("SELECT count(*) FROM staff_photos", [], |r| r.get(0)).unwrap();
        assert_eq!(photos, 0, "{backend:?}");

        // On the last workday 张三 came in at the front and left by the back door.
        let day = last_workday_before(today());
        punches(&front, ZHANG_CARD, day, &[(8, 25), (12, 1), (14, 25)]);
        punches(&back, ZHANG_CARD, day, &[(17, 31)]);
        // The back door is away: the home kiosk's day has three punches.
        let (front_run, _front_in) = run_kiosk(&front);
        wait_until_said("front's revision 1 at central", &[&front], Duration::from_secs(90), || {
            latest_at_central(&c, "front", day).is_some()
        });
        let (rev, first) = latest_at_central(&c, "front", day).unwrap();
        assert_eq!(rev, 1);
        assert_eq!(person(&first, "0012")["punches"].as_array().unwrap().len(), 3, "{backend:?}: {first}");
        assert_ne!(person(&first, "0012")["status"], "normal", "{backend:?}: {first}");
        // Back: its punch comes down to the home kiosk, which closes the
        // day again; revision 2 at central is a normal day with all four.
        let (back_run, mut back_in) = run_kiosk(&back);
        wait_until("front's revision 2 at central", Duration::from_secs(180), || {
            latest_at_central(&c, "front", day).is_some_and(|(r, _)| r >= 2)
        });
        let (_, second) = latest_at_central(&c, "front", day).unwrap();
        let zhang = person(&second, "0012");
        assert_eq!(zhang["status"], "normal", "{backend:?}: {second}");
        assert_eq!(zhang["punches"].as_array().unwrap().len(), 4, "{backend:?}: {second}");
        let origin: String = db(&front)
            .query_row("SELECT reason FROM punches WHERE by_whom = '侧门' AND card = ?1", [ZHANG_CARD], |r| r.get(0))
            .unwrap();
        assert!(origin.starts_with("back#"), "{origin}");

        // Both online: a punch at the back door reaches the home kiosk.
        let made = Instant::now();
        writeln!(back_in, "{LI_CARD}").unwrap();
        back_in.flush().unwrap();
        let arrived = || {
            db(&front)
                .query_row("SELECT count(*) FROM punches WHERE card = ?1 AND by_whom = '侧门'", [LI_CARD], |r| {
                    r.get::<_, i64>(0)
                })
                .unwrap()
                == 1
        };
        wait_until("the back door's punch at the home kiosk", Duration::from_secs(90), arrived);
        let took = made.elapsed();
        let every = pull_interval(&c);
        println!(
            "{backend:?}: a punch at the back door reached the home kiosk in {:.1} s (pulls every {every} s)",
            took.as_secs_f64()
        );
        assert!(took <= Duration::from_secs(every + 5), "{backend:?}: {took:?}");

        // A card moved at central moves at both kiosks.
        let moved = c.tmp.path().join("moved.csv");
        std::fs::write(
            &moved,
            format!("staff_no,name,unit,cards,cards_from\n0013,李四,办公室,{ZHANG_CARD},{}\n", today()),
        )
        .unwrap();
        c.ok(&["staff", "import", moved.to_str().unwrap()]);
        // The bureau's leave and a 值班 session reach the unit's kiosks too.
        let leave = c.tmp.path().join("leave.csv");
        std::fs::write(
            &leave,
            format!("staff_no,kind,from,to,approved_by\n0013,出差,{0} 08:30,{0} 17:30,局长\n", today()),
        )
        .unwrap();
        assert!(c.ok(&["leave", "import", leave.to_str().unwrap()]).starts_with("1 added, 0 held already"));
        let roster = c.tmp.path().join("roster.csv");
        std::fs::write(&roster, format!("staff_no,date,start,end\n0012,{},09:00,12:00\n", today())).unwrap();
        assert!(c.ok(&["roster", "import", roster.to_str().unwrap()]).starts_with("1 added"));
        wait_until("the leave and the roster at the home kiosk", Duration::from_secs(70), || {
            let c = db(&front);
            let leave: i64 = c
                .query_row(
                    "SELECT count(*) FROM leave WHERE staff_no = '0013' AND kind = '出差' AND approved_by = '局长'",
                    [],
                    |r| r.get(0),
                )
                .unwrap();
            let roster: i64 = c
                .query_row("SELECT count(*) FROM roster WHERE staff_no = '0012' AND start = '09:00'", [], |r| r.get(0))
                .unwrap();
            leave == 1 && roster == 1
        });
        wait_until("the card moved at both kiosks", Duration::from_secs(70), || {
            holder_at(&front, ZHANG_CARD).as_deref() == Some("0013")
                && holder_at(&back, ZHANG_CARD).as_deref() == Some("0013")
        });

        // The managed kiosk refuses its own staff import, naming the server.
        let refused = front.refused(&["staff", "import", staff.to_str().unwrap()]);
        assert!(refused.contains(&c.url) && refused.contains("central"), "{refused}");

        // The back door, away, enrolls a card central has meanwhile given
        // to someone else: central's holder wins, the conflict is listed.
        stop(back_run);
        drop(back_in);
        let config: &'static Config = Box::leak(Box::new(Config::load(&back.dir().join("config.toml")).unwrap()));
        let clock = TestClock::at("2026-01-01 00:00");
        clock.set_instant(chrono::Utc::now().timestamp_millis());
        {
            let store = Store::open(&back.dir().join("dutyclock.sqlite3")).unwrap();
            let mut svc = Service::new(Core::new(config, store, Box::new(clock)).unwrap());
            // The admin's PIN, set in central's staff file, works at the door.
            assert_eq!(svc.login("0009", "4321").unwrap(), dutyclock::kiosk::pin::Outcome::Accepted);
            svc.enroll("0009", "0100000077", "0013").unwrap();
            // A card nobody holds, enrolled at the door: central adopts it.
            svc.enroll("0009", "0100000088", "0012").unwrap();
        }
        let given = c.tmp.path().join("given.csv");
        std::fs::write(&given, "staff_no,name,unit,cards\n0012,张三,办公室,0100000077\n").unwrap();
        c.ok(&["staff", "import", given.to_str().unwrap()]);
        let (back_run, _back_in) = run_kiosk(&back);
        wait_until("the conflict listed at central", Duration::from_secs(70), || {
            c.ok(&["kiosk", "conflicts", "back"]).contains("card 0100000077\tenrolled to 0013 by 0009\theld by 0012")
        });
        wait_until("central's holder at the door", Duration::from_secs(70), || {
            holder_at(&back, "0100000077").as_deref() == Some("0012")
        });
        wait_until("the door's enrolment at the home kiosk", Duration::from_secs(70), || {
            holder_at(&front, "0100000088").as_deref() == Some("0012")
        });
        // The district's schedules from central: the kiosk takes them (a
        // running one starts again; here `sync now`), and judges with them.
        let rules = c.tmp.path().join("rules.toml");
        std::fs::write(&rules, "[schedules.default]\nsessions = [{ start = \"07:45\", end = \"11:45\" }, { start = \"14:30\", end = \"17:30\" }]\n")
            .unwrap();
        c.ok(&["rules", "import", rules.to_str().unwrap()]);
        let o = other.ok(&["sync", "now"]);
        assert!(o.contains("schedules changed"), "{backend:?}: {o}");
        other.ok(&["summary", "--date", &day.to_string(), "--format", "json"]);
        let declared: String = db(&other)
            .query_row("SELECT value FROM meta WHERE key = 'rules.declared.' || (SELECT value FROM meta WHERE key = 'rules.version')", [], |r| r.get(0))
            .unwrap();
        assert!(declared.contains("07:45"), "{backend:?}: judged with the district's schedules: {declared}");
        // The other unit's kiosk serves none of these doors' units.
        let foreign: i64 =
            db(&other).query_row("SELECT count(*) FROM punches WHERE by_whom IS NOT NULL", [], |r| r.get(0)).unwrap();
        assert_eq!(foreign, 0, "{backend:?}");
        // The running home kiosk took the schedules too: it stopped to
        // start again (status 75: systemd's Restart=on-failure starts it).
        let mut front_run = front_run;
        let mut status = None;
        wait_until("the home kiosk to stop for the new schedules", Duration::from_secs(70), || {
            status = front_run.try_wait().unwrap();
            status.is_some()
        });
        assert_eq!(status.unwrap().code(), Some(75), "{backend:?}");
        stop(back_run);
        c.stop();
    }
}
