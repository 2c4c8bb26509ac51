//! Kiosk and central server as real processes on 127.0.0.1, end to end,
//! against SQLite and PostgreSQL: closed days arrive; the server away for
//! a while loses nothing and sends nothing twice; a correction's revision
//! 2 replaces revision 1 in the bureau's report; a refusal is recorded and
//! not sent again; the token file must be its owner's alone; HTTPS with a
//! private CA (`ca_file`), generated here; the record chain follows the
//! summaries to the server, verified there to the kiosk's head, and a
//! record edited in the kiosk's database before it went is refused and
//! flagged; every revision is judged again at the server from the records
//! with the kiosk's declared rules, and one edited on its way differs.

#[path = "common/central.rs"]
mod central;
mod common;

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use central::{agent, get, stored_summaries, Backend, Central, BACKENDS};
use common::{last_workday_before, run_kiosk, wait_until, Kiosk};
use dutyclock::domain::model::{PunchOwner, PunchSource};
use dutyclock::kiosk::store::Store;
use serde_json::Value;

const STAFF: &str = "staff_no,name,unit,cards\n0012,张三,办公室,0100ABCDEF\n0013,李四,办公室,0100000013\n";

/// A kiosk whose config points at `url` with its token in an owner-only file.
fn kiosk_for(url: &str, token: &str, extra: &str) -> Kiosk {
    let tmp_token = tempfile::NamedTempFile::new().unwrap().into_temp_path().keep().unwrap();
    std::fs::write(&tmp_token, token).unwrap();
    std::fs::set_permissions(&tmp_token, std::fs::Permissions::from_mode(0o600)).unwrap();
    let config = format!(
        "kiosk_id = \"k1\"\nunits = [\"办公室\"]\n[reader]\nkind = \"simulated\"\n[central]\nurl = \"{url}\"\ntoken_file = \"{}\"\n{extra}",
        tmp_token.display()
    );
    let k = Kiosk::new(&config);
    k.import(&["staff", "import"], &k.file("staff.csv", STAFF));
    k
}

/// Today as the kiosk counts days: its attendance day, which starts at the
/// default `day_starts_at` (04:00) in the district. Between midnight and
/// 04:00 the calendar's yesterday is still open; the day before the
/// attendance day is always closed.
fn today() -> chrono::NaiveDate {
    (chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai) - chrono::Duration::hours(4)).date_naive()
}

/// The kiosk's own scans on the last `days` days (so it began then and has
/// those days to close).
fn scans_in_the_past(k: &Kiosk, days: i64) {
    let mut store = Store::open(&k.dir().join("dutyclock.sqlite3")).unwrap();
    let mut w = store.writer().unwrap();
    for back in 1..=days {
        let d = today() - chrono::Duration::days(back);
        for (h, m) in [(8, 25), (12, 1), (14, 25), (17, 31)] {
            let at =
                dutyclock::domain::time::local_to_instant(chrono_tz::Asia::Shanghai, d.and_hms_opt(h, m, 0).unwrap());
            w.add_punch(&PunchOwner::Card("0100ABCDEF".into()), at, PunchSource::Reader, Some(true), None, at).unwrap();
        }
    }
    w.commit().unwrap();
}

fn report(c: &Central, token: &str) -> Value {
    let from = today() - chrono::Duration::days(30);
    let (st, text) = get(&agent(), &format!("{}/api/v1/report?from={from}&to={}", c.url, today()), token);
    assert_eq!(st, 200, "{text}");
    serde_json::from_str(&text).unwrap()
}

/// A head's 补卡 for 李四 at 08:20 on a closed day, and the day closed
/// again: its revision 2.
fn correct_li(k: &Kiosk, day: chrono::NaiveDate) {
    add_li_correction(k, day);
    assert_eq!(k.summary(&day.to_string())["revision"], 2);
}

/// A head's 补卡 for 李四 at 08:20 on `day`, from the command line.
fn add_li_correction(k: &Kiosk, day: chrono::NaiveDate) {
    let at = format!("{day} 08:20");
    k.ok(&["correction", "add", "--staff", "0013", "--at", &at, "--reason", "忘打卡", "--by", "科长"]);
}

/// The kiosk's record of the server's answers: (status, how many).
fn sync_answers(k: &Kiosk) -> Vec<(i64, i64)> {
    let c = rusqlite::Connection::open(k.dir().join("dutyclock.sqlite3")).unwrap();
    let mut stmt = c.prepare("SELECT status, count(*) FROM sync_log GROUP BY status ORDER BY status").unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().collect::<rusqlite::Result<_>>().unwrap()
}

#[test]
fn closed_days_arrive_nothing_is_lost_or_sent_twice_and_revision_2_replaces_1() {
    for backend in BACKENDS {
        let mut c = Central::new(backend);
        let token = c.kiosk("k1", &["办公室"]);
        let bureau = c.user("alice", "bureau", "correct horse");
        // The server is away when the kiosk starts and closes its days.
        let k = kiosk_for(&c.url, &token, "");
        scans_in_the_past(&k, 5);
        let (mut kiosk, _stdin) = run_kiosk(&k);
        // Each closed day is a commit (and a failed send another): waited
        // for, not slept on, so a slow disk is no failure.
        wait_until("5 revisions waiting", Duration::from_secs(60), || {
            k.ok(&["sync", "status"]).contains("waiting: 5 summary revisions")
        });
        // A correction of an early day while they wait: its revision 2 is
        // made last (the longest chain) but sent before the later days'
        // revision 1 (oldest date first), which the server must not take
        // for a rewound chain.
        let early = today() - chrono::Duration::days(4);
        std::thread::sleep(Duration::from_secs(1));
        correct_li(&k, early);
        let status = k.ok(&["sync", "status"]);
        assert!(status.contains("waiting: 6 summary revisions"), "{status}");
        // Back: the kiosk's backoff brings everything, once.
        c.start();
        wait_until("the 6 revisions at the server", Duration::from_secs(60), || stored_summaries(&c) == 6);
        wait_until("the kiosk's record of 6 answers", Duration::from_secs(30), || {
            sync_answers(&k).iter().map(|(_, n)| n).sum::<i64>() >= 6
        });
        std::thread::sleep(Duration::from_secs(1));
        assert_eq!(stored_summaries(&c), 6, "{backend:?}: nothing twice");
        assert_eq!(sync_answers(&k), vec![(201, 6)], "each revision sent once, each stored (a resend would be a 200)");
        let (_, kiosks) = get(&agent(), &format!("{}/api/v1/kiosks", c.url), &bureau);
        assert_eq!(serde_json::from_str::<Value>(&kiosks).unwrap()[0]["chain"], "ok", "{backend:?}: {kiosks}");
        let r = report(&c, &bureau);
        let zhang = r["people"].as_array().unwrap().iter().find(|p| p["staff_no"] == "0012").unwrap().clone();
        assert_eq!(
            (zhang["days_present"].as_u64(), zhang["late_count"].as_u64()),
            (Some(zhang["days_expected"].as_u64().unwrap()), Some(0))
        );
        kiosk.kill().unwrap();
        kiosk.wait().unwrap();

        // A correction of a closed day: the kiosk's next revision replaces the first.
        let day = today() - chrono::Duration::days(2);
        let li_before =
            report(&c, &bureau)["people"].as_array().unwrap().iter().find(|p| p["staff_no"] == "0013").unwrap().clone();
        correct_li(&k, day);
        // Away again: `sync now` says so and keeps it waiting.
        c.stop();
        let o = k.run(&["sync", "now"]);
        assert_eq!(o.status.code(), Some(1), "{}", String::from_utf8_lossy(&o.stderr));
        assert!(String::from_utf8_lossy(&o.stderr).contains("sync stopped"));
        c.start();
        let out = k.ok(&["sync", "now"]);
        assert!(out.contains("sent: 1 acknowledged"), "{out}");
        let li =
            report(&c, &bureau)["people"].as_array().unwrap().iter().find(|p| p["staff_no"] == "0013").unwrap().clone();
        assert_eq!(li["corrections"].as_u64().unwrap(), li_before["corrections"].as_u64().unwrap() + 1);
        assert_eq!(stored_summaries(&c), 7, "revision 2 stored beside revision 1");
        assert_eq!(sync_answers(&k), vec![(201, 7)]);
        assert!(k.ok(&["sync", "now"]).contains("sent: 0 acknowledged, 0 refused; 0 waiting"), "nothing twice");

        // Behind the summaries, the record chain itself: all of it at the
        // server, verified there, its head the kiosk's.
        let status = k.ok(&["sync", "status"]);
        let line = status.lines().find(|l| l.starts_with("records: ")).unwrap().to_string();
        let words: Vec<&str> = line.split_whitespace().collect();
        let (sent, length): (u64, u64) = (words[1].parse().unwrap(), words[3].parse().unwrap());
        assert!(length > 20 && sent == length, "{backend:?}: {status}");
        let (_, kiosks) = get(&agent(), &format!("{}/api/v1/kiosks", c.url), &bureau);
        let held = serde_json::from_str::<Value>(&kiosks).unwrap()[0]["records"].clone();
        assert_eq!(held, serde_json::json!({"stored_to": length, "state": "ok", "broken_at": null}), "{backend:?}");
        let (_, last) = get(&agent(), &format!("{}/api/v1/kiosks/k1/records?from={length}", c.url), &bureau);
        let last: Value = serde_json::from_str(last.trim()).unwrap();
        let db = rusqlite::Connection::open(k.dir().join("dutyclock.sqlite3")).unwrap();
        let head: Vec<u8> =
            db.query_row("SELECT hash FROM journal ORDER BY seq DESC LIMIT 1", [], |r| r.get(0)).unwrap();
        drop(db);
        assert_eq!(last["hash"], dutyclock::domain::chain::hex(&head), "{backend:?}: the kiosk's chain head");

        // Each day judged twice: the server judges every revision again
        // from the records, with the rules the kiosk declared, and agrees.
        let rejudged = || {
            let (_, kiosks) = get(&agent(), &format!("{}/api/v1/kiosks", c.url), &bureau);
            serde_json::from_str::<Value>(&kiosks).unwrap()[0]["rejudged"].clone()
        };
        wait_until("the 7 revisions judged again", Duration::from_secs(30), || rejudged()["checked"] == 7);
        assert_eq!(
            rejudged(),
            serde_json::json!({"checked": 7, "differing": 0, "waiting": 0, "unjudgeable": 0}),
            "{backend:?}"
        );
        let (st, rules) = get(&agent(), &format!("{}/api/v1/kiosks/k1/rules", c.url), &bureau);
        assert_eq!(st, 200, "{rules}");
        let rules: Value = serde_json::from_str(&rules).unwrap();
        assert_eq!(rules["version"], 1, "{backend:?}: {rules}");
        // A summary edited on its way (the kiosk's token sends a revision
        // with 张三 late nine times before the kiosk sends its own): the
        // server stored what it was sent, and its second judgement from
        // the records says who and what differs.
        let edited_day = today() - chrono::Duration::days(3);
        correct_li(&k, edited_day);
        let db = rusqlite::Connection::open(k.dir().join("dutyclock.sqlite3")).unwrap();
        let content: String = db
            .query_row(
                "SELECT content FROM daily_summaries WHERE date = ?1 AND revision = 2",
                [edited_day.to_string()],
                |r| r.get(0),
            )
            .unwrap();
        drop(db);
        let mut edited: Value = serde_json::from_str(&content).unwrap();
        let zhang = edited["people"].as_array_mut().unwrap().iter_mut().find(|p| p["staff_no"] == "0012").unwrap();
        zhang["late_count"] = 9.into();
        let (st, text) =
            central::put(&agent(), &c.url, "k1", &edited_day.to_string(), Some(&token), edited.to_string().as_bytes());
        assert_eq!(st, 201, "{text}");
        let out = k.ok(&["sync", "now"]);
        assert!(out.contains("1 refused"), "the kiosk's own revision 2 meets the edited one: {out}");
        wait_until("the edited revision judged", Duration::from_secs(30), || rejudged()["differing"] == 1);
        let (_, differing) = get(&agent(), &format!("{}/api/v1/kiosks/k1/rejudged", c.url), &bureau);
        let differing: Value = serde_json::from_str(&differing).unwrap();
        let day = &differing["differing"][0];
        assert_eq!((&day["date"], &day["revision"]), (&edited_day.to_string().into(), &2.into()), "{differing}");
        assert_eq!(
            day["differences"],
            serde_json::json!([{"staff_no": "0012", "name": "张三", "field": "late_count", "kiosk": 9, "central": 0}]),
            "{backend:?}"
        );
        assert_eq!(rejudged()["checked"], 8, "{backend:?}");
        // The kiosks page says it in red, in the bureau's words.
        let session = central::sign_in(&c, "alice", "correct horse");
        let mut page = agent().get(&format!("{}/kiosks", c.url)).header("Cookie", &session).call().unwrap();
        let page = page.body_mut().read_to_string().unwrap();
        assert!(page.contains("1 天与记录不符"), "{backend:?}: {page}");
        assert!(page.contains(&format!("{edited_day} 第 2 版：张三（0012）迟到次数 9 → 0")), "{backend:?}: {page}");
        let (_, kiosks) = get(&agent(), &format!("{}/api/v1/kiosks", c.url), &bureau);
        let length = serde_json::from_str::<Value>(&kiosks).unwrap()[0]["records"]["stored_to"].as_u64().unwrap();

        // A record changed in the kiosk's database before it was sent (a
        // correction's punch moved with sqlite3): the server refuses the
        // call, keeps none of it, and flags the kiosk; the kiosk says so.
        correct_li(&k, today() - chrono::Duration::days(1));
        let db = rusqlite::Connection::open(k.dir().join("dutyclock.sqlite3")).unwrap();
        db.execute("UPDATE punches SET at_ms = at_ms - 3600000 WHERE id = (SELECT max(id) FROM punches)", []).unwrap();
        drop(db);
        let out = k.ok(&["sync", "now"]);
        assert!(out.contains("records sent: 0"), "{out}");
        let status = k.ok(&["sync", "status"]);
        assert!(status.contains("records refused: records from") && status.contains("409"), "{status}");
        let (_, kiosks) = get(&agent(), &format!("{}/api/v1/kiosks", c.url), &bureau);
        let held = serde_json::from_str::<Value>(&kiosks).unwrap()[0]["records"].clone();
        assert_eq!((held["stored_to"].as_u64(), &held["state"]), (Some(length), &"broken".into()), "{backend:?}");
        assert!(held["broken_at"].as_u64().unwrap() > length, "{backend:?}: {held}");
        // Asked to send again (once someone has looked): the same record,
        // refused again; the refusal is not forgotten by itself.
        let out = k.ok(&["sync", "now", "--records-again"]);
        assert!(out.contains("records sent: 0") && out.contains("records refused"), "{out}");
    }
}

#[test]
fn a_refusal_is_recorded_and_shown_not_sent_again() {
    let mut c = Central::new(Backend::Sqlite);
    // Registered for another unit: every person of 办公室 is refused (403).
    let token = c.kiosk("k1", &["财务科"]);
    c.start();
    let k = kiosk_for(&c.url, &token, "");
    scans_in_the_past(&k, 1);
    let (mut kiosk, _stdin) = run_kiosk(&k);
    wait_until("the refusal", Duration::from_secs(30), || k.ok(&["sync", "status"]).contains("refused: 1"));
    kiosk.kill().unwrap();
    kiosk.wait().unwrap();
    let status = k.ok(&["sync", "status"]);
    assert!(status.contains("403") && status.contains("people[0].unit"), "{status}");
    assert!(k.ok(&["sync", "now"]).contains("sent: 0 acknowledged, 0 refused; 0 waiting"), "not sent again");
    assert_eq!(stored_summaries(&c), 0);
}

#[test]
fn a_token_file_others_can_read_stops_the_kiosk() {
    let k = kiosk_for("http://127.0.0.1:9", "dck_x", "");
    let config = std::fs::read_to_string(k.dir().join("config.toml")).unwrap();
    let token_file =
        config.lines().find(|l| l.starts_with("token_file")).unwrap().split('"').nth(1).unwrap().to_string();
    std::fs::set_permissions(&token_file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let o = k.run(&["run", "--headless"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("by others") && err.contains("chmod 600"), "{err}");
}

/// A CA and a server certificate for 127.0.0.1, as a government intranet's
/// private CA would issue; PEM files in `dir`.
fn private_ca(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf, std::path::PathBuf) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.distinguished_name.push(rcgen::DnType::CommonName, "dutyclock test CA");
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let key = KeyPair::generate().unwrap();
    let params = CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()]).unwrap();
    let cert = params.signed_by(&key, &ca, &ca_key).unwrap();
    let (ca_pem, cert_pem, key_pem) = (dir.join("ca.pem"), dir.join("server.pem"), dir.join("server.key"));
    std::fs::write(&ca_pem, ca.pem()).unwrap();
    std::fs::write(&cert_pem, cert.pem()).unwrap();
    std::fs::write(&key_pem, key.serialize_pem()).unwrap();
    (ca_pem, cert_pem, key_pem)
}

#[test]
fn https_with_a_private_ca() {
    let c = Central::new(Backend::Sqlite);
    let (ca, cert, key) = private_ca(c.tmp.path());
    let token = c.kiosk("k1", &["办公室"]);
    let mut c = c.with_args(&["--tls-cert", cert.to_str().unwrap(), "--tls-key", key.to_str().unwrap()], "https");
    c.start();
    // Without the CA the kiosk does not trust the server.
    let k = kiosk_for(&c.url, &token, "");
    scans_in_the_past(&k, 1);
    k.summary(&(today() - chrono::Duration::days(1)).to_string());
    let o = k.run(&["sync", "now"]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr).to_lowercase();
    assert!(err.contains("certificate") || err.contains("issuer"), "{err}");
    // With ca_file it does.
    let mut config = std::fs::read_to_string(k.dir().join("config.toml")).unwrap();
    config.push_str(&format!("ca_file = \"{}\"\n", ca.display()));
    std::fs::write(k.dir().join("config.toml"), config).unwrap();
    let out = k.ok(&["sync", "now"]);
    assert!(out.contains("sent: 1 acknowledged"), "{out}");
    assert_eq!(stored_summaries(&c), 1);
    let _ = std::io::stdout().flush();
}

/// The latest revision the kiosk stored for `day`.
fn latest_revision(k: &Kiosk, day: chrono::NaiveDate) -> Option<i64> {
    let c = rusqlite::Connection::open(k.dir().join("dutyclock.sqlite3")).unwrap();
    c.query_row("SELECT max(revision) FROM daily_summaries WHERE date = ?1", [day.to_string()], |r| r.get(0)).unwrap()
}

#[test]
fn a_correction_made_from_the_command_line_on_a_closed_day_is_closed_again_within_a_minute() {
    // (The kiosk looks every 20 s; the test allows 80.)
    // No server needed: the kiosk's own closing is what is watched.
    let k = kiosk_for("http://127.0.0.1:9/", "not used", "");
    scans_in_the_past(&k, 3);
    let (mut kiosk, _stdin) = run_kiosk(&k);
    let day = today() - chrono::Duration::days(2);
    wait_until("the past days closed", Duration::from_secs(60), || latest_revision(&k, day) == Some(1));
    // Another process (the command line) writes a 补卡 into that day, and
    // nobody asks for its summary.
    add_li_correction(&k, day);
    assert_eq!(latest_revision(&k, day), Some(1), "the command line itself does not close the day");
    let t = std::time::Instant::now();
    wait_until("revision 2 from the running kiosk", Duration::from_secs(80), || latest_revision(&k, day) == Some(2));
    eprintln!("closed again {:?} after the correction", t.elapsed());
    kiosk.kill().unwrap();
    kiosk.wait().unwrap();
}

/// A new SD card loses nothing that was sent: a kiosk with a week of
/// punches, corrections, a void, leave and its void, 查岗 and its void
/// syncs; its data directory is gone; a fresh one (its config.toml with
/// `[central]` only and a new token) is restored from the server: the same
/// chain (head and length), `verify` ok, every day's summary the same
/// revision with the same content, the declared schedules back in
/// config.toml, and nothing refused when it syncs again. Before it is
/// gone, the person's page at the server shows the records behind the
/// figures with their sources.
#[test]
fn a_kiosk_restored_from_central_has_its_chain_its_rules_and_its_summaries() {
    let schedules = "[schedules.default]\nsessions = [{ start = \"08:30\", end = \"12:00\" }, { start = \"14:30\", end = \"17:30\" }]\nlate_grace_minutes = 3\n";
    for backend in BACKENDS {
        let mut c = Central::new(backend);
        let token = c.kiosk("k1", &["办公室"]);
        c.user("alice", "bureau", "correct horse");
        c.start();
        let k = kiosk_for(&c.url, &token, schedules);
        k.import(
            &["calendar", "import"],
            Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/holiday-cn/2026.json")),
        );
        scans_in_the_past(&k, 7);
        let days: Vec<chrono::NaiveDate> = (1..=7).map(|b| today() - chrono::Duration::days(b)).collect();
        for d in &days {
            k.summary(&d.to_string());
        }
        correct_li(&k, days[4]);
        k.ok(&["correction", "void", "--punch", "3", "--reason", "刷错卡", "--by", "科长"]);
        let leave = k.import(
            &["leave", "import"],
            &k.file("l.csv", &format!("staff_no,kind,from,to\n0013,事假,{} 08:30,{} 12:00\n", days[2], days[2])),
        );
        let leave_id = leave.split("ids ").nth(1).unwrap().trim_end_matches([')', '\n']).to_string();
        k.ok(&["leave", "void", "--id", &leave_id, "--reason", "销假", "--by", "科长"]);
        let checks = format!("staff_no,at,result\n0012,{} 10:40,absent\n0012,{} 10:50,present\n", days[1], days[1]);
        k.import(&["spotcheck", "import"], &k.file("c.csv", &checks));
        k.ok(&["spotcheck", "void", "--id", "2", "--reason", "查错人", "--by", "科长"]);
        for d in &days {
            k.summary(&d.to_string());
        }
        let out = k.ok(&["sync", "now"]);
        assert!(out.contains("0 refused; 0 waiting"), "{backend:?}: {out}");
        let db = rusqlite::Connection::open(k.dir().join("dutyclock.sqlite3")).unwrap();
        let (length, head): (i64, Vec<u8>) = db
            .query_row("SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1", [], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap();
        drop(db);
        let before: Vec<Value> = days.iter().map(|d| k.summary(&d.to_string())).collect();
        assert!(before.iter().any(|s| s["revision"] == 2), "{backend:?}: corrections made second revisions");
        // The person's page shows the records behind the figures, each with
        // its source and fate.
        let session = central::sign_in(&c, "alice", "correct horse");
        let person = |no: &str| {
            let url = format!("{}/people/{no}?period=range&from={}&to={}", c.url, days[6], days[0]);
            let mut page = agent().get(&url).header("Cookie", &session).call().unwrap();
            page.body_mut().read_to_string().unwrap()
        };
        let zhang = person("0012");
        for words in [
            "刷卡 08:25 · 刷卡 12:01 · 刷卡 14:25 已作废（刷错卡，科长）",
            "查岗 10:40 查岗不在岗",
            "查岗 10:50 在岗 已作废（查错人，科长）",
        ] {
            assert!(zhang.contains(words), "{backend:?}: {words} in {zhang}");
        }
        let li = person("0013");
        let leave_day = days[2].format("%m-%d");
        for words in [
            "补卡 08:20（忘打卡，科长）".to_string(),
            format!("事假 {leave_day} 08:30 至 {leave_day} 12:00 已作废（销假，科长）"),
        ] {
            assert!(li.contains(&words), "{backend:?}: {words} in {li}");
        }

        // The card dies just after a revision of the latest day reached the
        // server but before its record did: the server holds a revision
        // the records cannot bring back.
        let mut lost = before[0].clone();
        let lost_revision = lost["revision"].as_i64().unwrap() + 1;
        lost["revision"] = lost_revision.into();
        let (st, text) =
            central::put(&agent(), &c.url, "k1", &days[0].to_string(), Some(&token), lost.to_string().as_bytes());
        assert_eq!(st, 201, "{backend:?}: {text}");

        // The SD card is gone: a new one, the kiosk's id and [central], a new token.
        drop(k);
        let fresh = tempfile::tempdir().unwrap();
        let dir = fresh.path().join("data");
        // As the package installs it: `init` made an empty database.
        let o = common::dutyclock_command()
            .arg("--data-dir")
            .arg(&dir)
            .args(["init", "--kiosk-id", "k1", "--unit", "办公室"])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let new_token = c.ok(&["kiosk", "token", "k1"]).trim().to_string();
        let token_file = fresh.path().join("token");
        std::fs::write(&token_file, &new_token).unwrap();
        std::fs::set_permissions(&token_file, std::fs::Permissions::from_mode(0o600)).unwrap();
        let config = format!(
            "kiosk_id = \"k1\"\nunits = [\"办公室\"]\n[reader]\nkind = \"simulated\"\n[central]\nurl = \"{}\"\ntoken_file = \"{}\"\n",
            c.url,
            token_file.display()
        );
        std::fs::write(dir.join("config.toml"), config).unwrap();
        let run = |args: &[&str]| {
            let o = common::dutyclock_command().arg("--data-dir").arg(&dir).args(args).output().unwrap();
            let text = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
            (o.status.code(), text)
        };
        // Not while a kiosk runs on the database.
        let lock = std::fs::File::create(dir.join("dutyclock.sqlite3.run-lock")).unwrap();
        lock.lock().unwrap();
        let (code, out) = run(&["restore", "--from-central"]);
        assert_eq!(code, Some(1), "{out}");
        assert!(out.contains("a kiosk is running"), "{out}");
        drop(lock);
        let (code, out) = run(&["restore", "--from-central"]);
        assert_eq!(code, Some(0), "{backend:?}: {out}");
        assert!(out.contains(&format!("restored {length} records")), "{backend:?}: {out}");
        assert!(out.contains("rules version 1; calendar years: 2026"), "{backend:?}: {out}");
        assert!(out.contains("a later summary revision of 1 day(s)"), "{backend:?}: {out}");
        let (code, out) = run(&["verify"]);
        assert_eq!((code, out.starts_with("ok")), (Some(0), true), "{backend:?}: {out}");
        let db = rusqlite::Connection::open(dir.join("dutyclock.sqlite3")).unwrap();
        let restored: (i64, Vec<u8>) = db
            .query_row("SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1", [], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap();
        drop(db);
        assert_eq!(restored, (length, head), "{backend:?}: the same chain");
        let config = std::fs::read_to_string(dir.join("config.toml")).unwrap();
        assert!(config.contains("late_grace_minutes = 3"), "{backend:?}: the declared schedules are back: {config}");
        let bureau = c.ok(&["user", "token", "alice"]).trim().to_string();
        for (d, was) in days.iter().zip(&before) {
            let (code, out) = run(&["summary", "--date", &d.to_string(), "--format", "json"]);
            assert_eq!(code, Some(0), "{out}");
            let now: Value = serde_json::from_str(&out).unwrap();
            assert_eq!(now["revision"], was["revision"], "{backend:?} {d}");
            assert_eq!(
                dutyclock::domain::summary::content_key(&now),
                dutyclock::domain::summary::content_key(was),
                "{backend:?} {d}"
            );
            // And it is the summary the server holds for the day.
            let (st, held) = get(&agent(), &format!("{}/api/v1/summaries?from={d}&to={d}", c.url), &bureau);
            assert_eq!(st, 200, "{held}");
            let held: Value = serde_json::from_str(&held).unwrap();
            let held = held.as_array().or_else(|| held["summaries"].as_array()).unwrap()[0].clone();
            if *d == days[0] {
                assert_eq!(held["revision"], lost_revision, "{backend:?} {d}: the lost card's revision");
                continue;
            }
            assert_eq!(held["revision"], now["revision"], "{backend:?} {d}");
            assert_eq!(
                dutyclock::domain::summary::content_key(&held),
                dutyclock::domain::summary::content_key(&now),
                "{backend:?} {d}: the server's"
            );
        }
        // Restoring over a store is refused, naming it.
        let (code, out) = run(&["restore", "--from-central"]);
        assert_eq!(code, Some(1), "{out}");
        assert!(out.contains("already exists"), "{out}");
        // Back in service: what the server has is not sent again as news.
        let (code, out) = run(&["sync", "now"]);
        assert_eq!(code, Some(0), "{out}");
        assert!(out.contains(" 0 refused; 0 waiting") && out.contains("records sent: 0"), "{backend:?}: {out}");
        // A correction of the day the server holds later: numbered after
        // the server's revision, taken (the number reused would be a 409
        // for good).
        let at = format!("{} 08:20", days[0]);
        let (code, out) =
            run(&["correction", "add", "--staff", "0013", "--at", &at, "--reason", "忘打卡", "--by", "科长"]);
        assert_eq!(code, Some(0), "{out}");
        let (code, out) = run(&["summary", "--date", &days[0].to_string(), "--format", "json"]);
        assert_eq!(code, Some(0), "{out}");
        let corrected: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(corrected["revision"], lost_revision + 1, "{backend:?}");
        let (code, out) = run(&["sync", "now"]);
        assert_eq!(code, Some(0), "{out}");
        assert!(out.contains(" 0 refused; 0 waiting"), "{backend:?}: {out}");
        let (_, held) = get(&agent(), &format!("{}/api/v1/summaries?from={}&to={}", c.url, days[0], days[0]), &bureau);
        assert!(held.contains(&format!("\"revision\":{}", lost_revision + 1)), "{backend:?}: {held}");
    }
}

/// A kiosk whose declared rules are not the ones it judged with (its
/// declaration edited in the database before it went: sessions from 08:00
/// instead of 08:30) is flagged by the re-judging: 张三's 08:25 is late by
/// the declared rules, on time by the kiosk's.
#[test]
fn a_kiosk_whose_declared_rules_differ_from_its_own_is_flagged() {
    for backend in BACKENDS {
        let mut c = Central::new(backend);
        let token = c.kiosk("k1", &["办公室"]);
        let bureau = c.user("alice", "bureau", "correct horse");
        c.start();
        let k = kiosk_for(&c.url, &token, "");
        // Scans up to the last weekday (a weekend is a rest day: nothing
        // to be late for), and on the days since.
        let day = last_workday_before(today());
        let days = (today() - day).num_days();
        scans_in_the_past(&k, days);
        assert_eq!(k.summary(&day.to_string())["people"][0]["late_count"], 0, "{backend:?}: on time at the kiosk");
        let db = rusqlite::Connection::open(k.dir().join("dutyclock.sqlite3")).unwrap();
        let declared: String =
            db.query_row("SELECT value FROM meta WHERE key = 'rules.declared.1'", [], |r| r.get(0)).unwrap();
        let mut declared: Value = serde_json::from_str(&declared).unwrap();
        declared["config"] = serde_json::json!({"default": {"sessions": [
            {"start": "08:00", "end": "12:00"}, {"start": "14:30", "end": "17:30"}]}});
        db.execute("UPDATE meta SET value = ?1 WHERE key = 'rules.declared.1'", [declared.to_string()]).unwrap();
        drop(db);
        let out = k.ok(&["sync", "now"]);
        assert!(out.contains("0 refused"), "{backend:?}: {out}");
        let rejudged = || {
            let (_, kiosks) = get(&agent(), &format!("{}/api/v1/kiosks", c.url), &bureau);
            serde_json::from_str::<Value>(&kiosks).unwrap()[0]["rejudged"].clone()
        };
        wait_until("the day judged again", Duration::from_secs(30), || rejudged()["checked"] == 1);
        assert_eq!(rejudged()["differing"], 1, "{backend:?}: {}", rejudged());
        let (_, differing) = get(&agent(), &format!("{}/api/v1/kiosks/k1/rejudged", c.url), &bureau);
        assert!(
            differing.contains(r#""staff_no":"0012","name":"张三","field":"late_minutes","kiosk":0,"central":25"#),
            "{backend:?}: {differing}"
        );
    }
}

/// A kiosk set up again under its id (its rules numbered from 1 again)
/// meets a server that holds version 1 with other content: its current
/// declaration takes the next number the server has not used and goes;
/// `sync status` says both.
#[test]
fn a_rules_version_the_server_holds_with_other_content_is_declared_again_under_a_new_number() {
    for backend in BACKENDS {
        let mut c = Central::new(backend);
        let token = c.kiosk("k1", &["办公室"]);
        c.start();
        let k = kiosk_for(&c.url, &token, "");
        scans_in_the_past(&k, 1);
        k.summary(&(today() - chrono::Duration::days(1)).to_string());
        let other = serde_json::json!({"version": 1, "config": {"default": {"late_grace_minutes": 30}},
            "calendar": {}, "units": ["办公室"]});
        let mut r = agent()
            .put(&format!("{}/api/v1/kiosks/k1/rules", c.url))
            .header("Authorization", &format!("Bearer {token}"))
            .send(other.to_string().as_bytes())
            .unwrap();
        assert_eq!(r.status().as_u16(), 200, "{}", r.body_mut().read_to_string().unwrap());
        k.ok(&["sync", "now"]);
        let status = k.ok(&["sync", "status"]);
        assert!(status.contains("rules: version 2 declared, 2 taken by the server"), "{backend:?}: {status}");
        assert!(status.contains("rules refused: version 1: 409"), "{backend:?}: {status}");
        let (st, held) = get(&agent(), &format!("{}/api/v1/kiosks/k1/rules", c.url), &token);
        assert_eq!(st, 200, "{held}");
        let held: Value = serde_json::from_str(&held).unwrap();
        assert_eq!((held["version"].as_u64(), &held["config"]), (Some(2), &serde_json::json!({})), "{backend:?}");
    }
}
