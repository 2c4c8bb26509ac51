//! The store under real conditions: VACUUM and then `verify` on a store
//! that holds every kind of record; malformed stored values read back as
//! errors naming them, never as 1970-01-01 or 00:00; snapshots consistent
//! while another connection writes.

mod common;

use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::Kiosk;
use dutyclock::domain::model::{PunchOwner, PunchSource};
use dutyclock::kiosk::store::Store;

const CONFIG: &str = r#"
kiosk_id = "k1"
units = ["办公室"]
[schedules.default]
sessions = [{ start = "08:30", end = "12:00" }, { start = "14:30", end = "17:30" }]
"#;

fn db(k: &Kiosk) -> rusqlite::Connection {
    rusqlite::Connection::open(k.dir().join("dutyclock.sqlite3")).unwrap()
}

/// A store with a record in every chained table, through the CLI.
fn full_store() -> Kiosk {
    let k = Kiosk::new(CONFIG);
    let staff =
        "staff_no,name,unit,cards,role,pin\n0001,张三,办公室,0100000001,,\n0002,李四,办公室,0100000002,head,2468\n";
    k.import(&["staff", "import"], &k.file("s.csv", staff));
    k.import(&["roster", "import"], &k.file("r.csv", "staff_no,date,start,end\n0001,2026-11-21,09:00,12:00\n"));
    let leave = k.import(
        &["leave", "import"],
        &k.file("l.csv", "staff_no,kind,from,to\n0001,事假,2026-11-19 08:30,2026-11-19 12:00\n"),
    );
    let punches = "card,at\n0100000001,2026-11-19 14:25\n0100000001,2026-11-19 17:31\n0100000001,2026-11-20 08:20\n";
    k.import(&["punches", "import"], &k.file("p.csv", punches));
    k.import(
        &["spotcheck", "import"],
        &k.file("c.csv", "staff_no,at,result\n0001,2026-11-20 10:40,absent\n0001,2026-11-20 10:50,present\n"),
    );
    k.ok(&["correction", "add", "--staff", "0001", "--at", "2026-11-20 12:01", "--reason", "忘打卡", "--by", "李四"]);
    k.ok(&["correction", "void", "--punch", "3", "--reason", "刷错卡", "--by", "李四"]);
    let leave_id = leave.split("ids ").nth(1).unwrap().trim_end_matches([')', '\n']).to_string();
    k.ok(&["leave", "void", "--id", &leave_id, "--reason", "销假", "--by", "李四"]);
    k.ok(&["spotcheck", "void", "--id", "2", "--reason", "查错人", "--by", "李四"]);
    for d in ["2026-11-19", "2026-11-20"] {
        k.summary(d);
    }
    let c = db(&k);
    c.execute_batch(
        "INSERT INTO correction_requests (staff_no, at_ms, reason, recorded_at) VALUES ('0001', 0, 'x', 0);",
    )
    .unwrap();
    drop(c);
    k
}

#[test]
fn vacuum_then_verify_finds_nothing_wrong() {
    let k = full_store();
    // The raw request above is outside the chain: verify must say so (it can fail).
    let o = k.run(&["verify"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("correction_requests rows were added outside the chain"));
    db(&k).execute_batch("DELETE FROM correction_requests").unwrap();
    assert!(k.ok(&["verify"]).starts_with("ok"));
    // Every chained table holds rows.
    let c = db(&k);
    for t in ["daily_summaries", "leave_spans", "leave_voids", "punch_voids", "spot_check_voids", "roster"] {
        let n: i64 = c.query_row(&format!("SELECT count(*) FROM {t}"), [], |r| r.get(0)).unwrap();
        assert!(n > 0, "{t} is empty");
    }
    c.execute_batch("VACUUM").unwrap();
    drop(c);
    assert!(k.ok(&["verify"]).starts_with("ok"), "after VACUUM");
}

#[test]
fn malformed_stored_values_are_errors_that_name_them() {
    for (sql, names) in [
        ("UPDATE staff_versions SET active_from = '2026-13-01'", "staff_versions.active_from = \"2026-13-01\""),
        ("UPDATE roster SET start = '9h'", "roster.start = \"9h\""),
        ("UPDATE punches SET source = 'teleport'", "punches.source = \"teleport\""),
        ("UPDATE card_assignments SET made_on = 'yesterday'", "card_assignments.made_on = \"yesterday\""),
        ("UPDATE staff_versions SET role = 'boss'", "staff_versions.role = \"boss\""),
    ] {
        let k = full_store();
        // Bypass the CHECK constraints the schema has, as a damaged file would.
        let c = db(&k);
        c.execute_batch("PRAGMA ignore_check_constraints = ON").unwrap();
        c.execute_batch(sql).unwrap();
        drop(c);
        let o = k.run(&["summary", "--date", "2026-11-21", "--format", "json"]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{sql}: {err}");
        assert!(err.contains(names), "{sql}: {err}");
        assert!(o.stdout.is_empty(), "{sql}: nothing printed as if it were fine");
    }
}

/// Each transaction of the writer adds one punch and one spot check; every
/// snapshot sees as many of one as of the other.
///
/// The reader keeps taking snapshots until the writer has committed enough
/// transactions to interleave with them: counting snapshots alone raced
/// the writer (on a slow disk 300 snapshots finished before its tenth
/// commit, and the test proved nothing).
#[test]
fn a_snapshot_is_one_consistent_read() {
    const COMMITS: i64 = 50;
    const SNAPSHOTS: usize = 300;
    let k = Kiosk::new(CONFIG);
    k.import(&["staff", "import"], &k.file("s.csv", "staff_no,name,unit\n0001,张三,办公室\n"));
    let path = k.dir().join("dutyclock.sqlite3");
    let stop = Arc::new(AtomicBool::new(false));
    let committed = Arc::new(AtomicI64::new(0));
    let (p, s, c) = (path.clone(), stop.clone(), committed.clone());
    let writer = std::thread::spawn(move || {
        let mut store = Store::open(&p).unwrap();
        let mut i = 0i64;
        // Capped: a reader that failed early leaves no writer behind
        // making fsync'd commits for the rest of the tests.
        while !s.load(Ordering::SeqCst) && i < 10_000 {
            let mut w = store.writer().unwrap();
            let at = 1_800_000_000_000 + i * 1000;
            w.add_punch(&PunchOwner::Staff("0001".into()), at, PunchSource::Import, None, None, 0).unwrap();
            w.add_spot_check("0001", at, true, "", "", 0).unwrap();
            w.commit().unwrap();
            i += 1;
            c.store(i, Ordering::SeqCst);
        }
        i
    });
    let store = Store::open(&path).unwrap();
    let day = "2027-01-15".parse().unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut checked = 0;
    // The sizes the snapshots saw: more than two means the writer's
    // commits really landed between them.
    let mut seen = std::collections::BTreeSet::new();
    // The writer stops when the reader is done, or fails: then its panic
    // is the one reported, by the join below.
    while (checked < SNAPSHOTS || committed.load(Ordering::SeqCst) < COMMITS) && !writer.is_finished() {
        assert!(
            Instant::now() < deadline,
            "the writer committed only {} transactions in 120 s",
            committed.load(Ordering::SeqCst)
        );
        let snap = store.snapshot(0, i64::MAX, (day, day)).unwrap();
        assert_eq!(snap.punches.len(), snap.spot_checks.len(), "a torn snapshot");
        seen.insert(snap.punches.len());
        checked += 1;
    }
    stop.store(true, Ordering::SeqCst);
    let written = writer.join().unwrap();
    assert!(written >= COMMITS, "the writer ran alongside ({written} transactions)");
    assert!(seen.len() > 2, "snapshots interleaved with the writer: sizes seen {seen:?}");
}

/// The records as the server receives them, read from a store that holds
/// every kind: each follows from the one before by the chain's own
/// function (what the server recomputes), in calls that resume where the
/// last ended; a record whose row was deleted ends the stream, said.
#[test]
fn every_kind_of_record_leaves_the_store_as_the_chain_that_hashed_it() {
    use dutyclock::domain::chain::{link, parse_hex, GENESIS};
    let k = full_store();
    db(&k).execute_batch("DELETE FROM correction_requests").unwrap();
    let store = Store::open(&k.dir().join("dutyclock.sqlite3")).unwrap();
    let length = store.chain_length().unwrap();
    let (mut prev, mut from, mut tables) = (GENESIS, 1, std::collections::BTreeSet::new());
    while from <= length {
        // Small calls, by count and by bytes, as the sync thread resumes.
        let (calls, problem) = store.chain_records(from, 7, 2_000).unwrap();
        assert!(problem.is_none() && !calls.is_empty(), "{problem:?}");
        for r in &calls {
            assert_eq!(r.seq, from, "in order, no gaps");
            let h = link(&prev, &r.table, r.id, &r.content().unwrap());
            assert_eq!(Some(h), parse_hex(&r.hash), "record {} ({}) follows", r.seq, r.table);
            prev = h;
            from += 1;
            tables.insert(r.table.clone());
        }
    }
    for t in
        ["punches", "punch_voids", "leave", "leave_spans", "leave_voids", "roster", "daily_summaries", "staff_versions"]
    {
        assert!(tables.contains(t), "{t} sent: {tables:?}");
    }
    // A void deleted behind the kiosk's back: the records before it go,
    // then the stream stops and says which record.
    let c = db(&k);
    let (seq, row): (i64, i64) = c
        .query_row("SELECT seq, row_id FROM journal WHERE tbl = 'punch_voids' ORDER BY seq LIMIT 1", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    c.execute("DELETE FROM punch_voids WHERE id = ?1", [row]).unwrap();
    let (before, problem) = store.chain_records(1, 10_000, usize::MAX).unwrap();
    assert_eq!(before.len() as i64, seq - 1);
    assert!(problem.unwrap().contains(&format!("record {seq} (punch_voids row {row})")));
}

/// Each day judged twice: every summary the kiosk closed is judged again
/// from its chain alone (what the central server holds), with the rules
/// the kiosk declared for the version the summary names, and agrees; a
/// summary whose figures were changed, or rules other than declared,
/// differ and say where.
#[test]
fn every_summary_judged_again_from_the_chain_agrees_with_the_kiosk() {
    use dutyclock::domain::rejudge::{check, DeclaredRules, Verdict};
    use dutyclock::domain::replay::Tables;
    let k = full_store();
    db(&k).execute_batch("DELETE FROM correction_requests").unwrap();
    k.summary("2026-11-21");
    // Two records that cover the same morning (a tie): the earlier record
    // decides, on the kiosk and in the replay alike (the store reads leave
    // in id order, as the replay does; the later one ends first, which a
    // read by the end's index would put first).
    let leave = "staff_no,kind,from,to\n0002,事假,2026-11-23 08:30,2026-11-23 12:30\n0002,公出,2026-11-23 08:00,2026-11-23 12:00\n";
    k.import(&["leave", "import"], &k.file("tie.csv", leave));
    k.summary("2026-11-23");
    // A correction on a closed day: its next revision is judged too.
    k.ok(&["correction", "add", "--staff", "0002", "--at", "2026-11-19 08:29", "--reason", "忘打卡", "--by", "李四"]);
    k.summary("2026-11-19");
    let store = Store::open(&k.dir().join("dutyclock.sqlite3")).unwrap();
    let declared = |v: u64| -> Option<DeclaredRules> {
        serde_json::from_str(&store.meta(&format!("rules.declared.{v}")).unwrap()?).ok()
    };
    let (records, problem) = store.chain_records(1, 100_000, usize::MAX).unwrap();
    assert!(problem.is_none());
    let units = vec!["办公室".to_string()];
    let (mut tables, mut judged) = (Tables::default(), Vec::new());
    for r in &records {
        if let Some(s) = tables.apply(r).unwrap() {
            let content: serde_json::Value = serde_json::from_str(&s.content).unwrap();
            let v = content["rules_version"].as_u64().expect("a closed summary names its rules");
            let verdict = check("k1", &units, &tables, &s, declared(v).as_ref());
            assert_eq!(verdict, Verdict::Agrees, "{} revision {}", s.date, s.revision);
            judged.push((s.date.to_string(), s.revision));
            // The same summary with one figure changed is caught, by person.
            let mut changed = content.clone();
            changed["people"][0]["late_count"] = serde_json::json!(9);
            let altered = dutyclock::domain::replay::ChainedSummary { content: changed.to_string(), ..s.clone() };
            match check("k1", &units, &tables, &altered, declared(v).as_ref()) {
                Verdict::Differs(d) => {
                    assert_eq!((d[0].field.as_str(), d[0].kiosk.clone()), ("late_count", serde_json::json!(9)), "{d:?}")
                }
                other => panic!("an altered summary: {other:?}"),
            }
            // Rules other than declared: a schedule an hour later.
            let mut other = declared(v).unwrap();
            other.config = serde_json::json!({"default": {"sessions": [
                {"start": "09:30", "end": "12:00"}, {"start": "14:30", "end": "17:30"}]}});
            if s.date.to_string() == "2026-11-20" {
                assert!(matches!(check("k1", &units, &tables, &s, Some(&other)), Verdict::Differs(_)));
            }
            let waiting = check("k1", &units, &tables, &s, None);
            assert!(matches!(waiting, Verdict::Waiting(ref w) if w.contains(&format!("rules version {v}"))));
        }
    }
    assert_eq!(
        judged,
        [("2026-11-19", 1), ("2026-11-20", 1), ("2026-11-21", 1), ("2026-11-23", 1), ("2026-11-19", 2)]
            .map(|(d, r)| (d.to_string(), r))
            .to_vec()
    );
}

/// `restore --from-central`'s core: a store's chain stored again record by
/// record into a new store comes out identical (every hash as made, and
/// `verify` finds nothing), and a record changed on the way stops it,
/// named with the hash it makes and the one it should.
#[test]
fn a_chain_stored_again_record_by_record_comes_out_identical_and_a_changed_record_is_named() {
    let k = full_store();
    db(&k).execute_batch("DELETE FROM correction_requests").unwrap();
    let store = Store::open(&k.dir().join("dutyclock.sqlite3")).unwrap();
    let (records, problem) = store.chain_records(1, 100_000, usize::MAX).unwrap();
    assert!(problem.is_none() && records.len() > 15, "{problem:?} {}", records.len());
    let tmp = tempfile::tempdir().unwrap();
    let mut fresh = Store::create(&tmp.path().join("a.sqlite3")).unwrap();
    let mut w = fresh.writer().unwrap();
    for r in &records {
        w.replay(r).unwrap_or_else(|e| panic!("{e}"));
    }
    w.commit().unwrap();
    assert_eq!(fresh.verify().unwrap(), Vec::<String>::new());
    assert_eq!(fresh.chain_length().unwrap(), store.chain_length().unwrap());
    let (again, _) = fresh.chain_records(1, 100_000, usize::MAX).unwrap();
    assert_eq!(again.last().map(|r| &r.hash), records.last().map(|r| &r.hash));

    let mut changed = records.clone();
    let i = changed.iter().position(|r| r.table == "punches").unwrap();
    changed[i].fields.insert("at_ms".into(), dutyclock::domain::chain::Value::Int(0));
    let mut other = Store::create(&tmp.path().join("b.sqlite3")).unwrap();
    let mut w = other.writer().unwrap();
    let e = changed.iter().try_for_each(|r| w.replay(r)).unwrap_err().to_string();
    assert!(e.contains(&format!("record {} (punches row", changed[i].seq)) && e.contains("hash comes out"), "{e}");
}

/// After a restore, the server's latest revision of each day: a day with
/// an older stored revision and a day with none both count as closed, and
/// their next revisions are numbered after the server's; a stored
/// revision below it is answered (not a refusal, not sent again).
#[test]
fn the_revisions_a_server_held_at_a_restore_number_the_next_ones() {
    let k = full_store();
    let mut store = Store::open(&k.dir().join("dutyclock.sqlite3")).unwrap();
    let (a, b): (chrono::NaiveDate, chrono::NaiveDate) = ("2026-11-10".parse().unwrap(), "2026-11-11".parse().unwrap());
    let mut w = store.writer().unwrap();
    w.add_summary(a, 1, "{}", "t").unwrap();
    assert_eq!(w.next_revision(a).unwrap(), 2);
    assert_eq!(w.next_revision(b).unwrap(), 1);
    // The server holds revision 3 of `a` and 2 of `b` (their records never
    // left the old card).
    assert_eq!(w.server_holds(&[(a, 3), (b, 2)], 1).unwrap(), 2);
    assert_eq!((w.next_revision(a).unwrap(), w.next_revision(b).unwrap()), (4, 3));
    w.commit().unwrap();
    let closed = store.summary_dates(a).unwrap();
    assert!(closed.contains(&a) && closed.contains(&b), "{closed:?}");
    let (waiting, refused) = store.sync_counts().unwrap();
    assert_eq!(refused, 0, "revision 1 of {a} is superseded at the server, not refused");
    assert!(store.outbox(100).unwrap().iter().all(|s| s.1 != a), "not sent again ({waiting} waiting)");
}
