//! A kiosk's record chain at `dutyclock-central` (SPEC "Records"), on
//! both backends, through the real server on 127.0.0.1: records taken in
//! order and resent harmlessly, a gap answered with the seq expected, an
//! edited or rewritten record refused with nothing stored and the kiosk
//! flagged, the held chain read back as it was sent, and held records
//! that cannot be changed in the database.

#[path = "common/central.rs"]
mod central;

use std::collections::BTreeMap;

use central::{agent, Central, BACKENDS};
use dutyclock::domain::chain::{content, hex, link, Value, WireRecord, GENESIS};

/// Record `seq` of a chain: a punch, a void or a leave by turns (real
/// tables and columns, CJK and control characters in the text).
fn record(seq: u64, tweak: &str) -> (String, i64, BTreeMap<String, Value>) {
    let f = |pairs: Vec<(&str, Value)>| pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    let t = |s: &str| Value::Text(s.to_string());
    let at = Value::Int(1_764_900_000_000 + seq as i64 * 60_000);
    match seq % 3 {
        1 => (
            "punches".into(),
            seq as i64,
            f(vec![
                ("card", t(&format!("00{seq:08}"))),
                ("staff_no", Value::Null),
                ("at_ms", at.clone()),
                ("source", t("reader")),
                ("clock_synced", Value::Int(1)),
                ("reason", Value::Null),
                ("by_whom", Value::Null),
                ("recorded_at", at),
            ]),
        ),
        2 => (
            "punch_voids".into(),
            seq as i64,
            f(vec![
                ("punch_id", Value::Int(seq as i64 - 1)),
                ("reason", t(&format!("重复刷卡 \"{tweak}\"\n\t"))),
                ("by_whom", t("王科长")),
                ("recorded_at", at),
            ]),
        ),
        _ => (
            "leave".into(),
            seq as i64,
            f(vec![
                ("staff_no", t("0012")),
                ("kind", t("annual")),
                ("from_local", t("2026-12-07T09:00")),
                ("to_local", t("2026-12-07T18:00")),
                ("approved_by", t("王科长")),
                ("note", Value::Null),
                ("recorded_at", at),
            ]),
        ),
    }
}

/// Records 1..=n of a chain, record `seq` of which is changed by `tweak`.
fn chain(n: u64, tweaked: Option<u64>) -> Vec<WireRecord> {
    let mut prev = GENESIS;
    (1..=n)
        .map(|seq| {
            let (table, id, fields) = record(seq, if Some(seq) == tweaked { "rewritten" } else { "" });
            let values: Vec<Value> =
                dutyclock::domain::chain::columns(&table).unwrap().iter().map(|c| fields[*c].clone()).collect();
            let h = link(&prev, &table, id, &content(&values));
            prev = h;
            WireRecord { seq, table, id, fields, hash: hex(&h) }
        })
        .collect()
}

fn send(c: &Central, kiosk: &str, token: &str, from: u64, records: &[WireRecord]) -> (u16, serde_json::Value) {
    let body = serde_json::json!({ "from": from, "records": records });
    send_raw(c, kiosk, token, &serde_json::to_vec(&body).unwrap())
}

fn send_raw(c: &Central, kiosk: &str, token: &str, body: &[u8]) -> (u16, serde_json::Value) {
    let mut r = agent()
        .put(&format!("{}/api/v1/kiosks/{kiosk}/records", c.url))
        .header("Authorization", &format!("Bearer {token}"))
        .send(body)
        .unwrap();
    let text = r.body_mut().read_to_string().unwrap();
    (r.status().as_u16(), serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)))
}

fn held(c: &Central, token: &str, kiosk: &str) -> serde_json::Value {
    let (st, text) = central::get(&agent(), &format!("{}/api/v1/kiosks", c.url), token);
    assert_eq!(st, 200, "{text}");
    let list: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
    list.into_iter().find(|k| k["id"] == kiosk).unwrap()["records"].clone()
}

#[test]
fn a_kiosks_chain_is_held_verified_and_read_back() {
    for backend in BACKENDS {
        let mut c = Central::new(backend);
        let k1 = c.kiosk("k1", &["办公室"]);
        let k2 = c.kiosk("k2", &["财务科"]);
        let bureau = c.user("alice", "bureau", "correct horse");
        c.start();
        let rs = chain(9, None);
        let seen = |id: &str| {
            let (_, text) = central::get(&agent(), &format!("{}/api/v1/kiosks", c.url), &bureau);
            let list: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
            list.into_iter().find(|k| k["id"] == id).unwrap()["last_seen"].clone()
        };
        assert_eq!(seen("k1"), serde_json::Value::Null, "{backend:?}: never seen");
        // In order, then resent (a lost answer), then overlapping.
        assert_eq!(send(&c, "k1", &k1, 1, &rs[..3]), (200, serde_json::json!({"stored_to": 3})), "{backend:?}");
        // A kiosk sending its records all day is seen, before any summary.
        assert!(seen("k1").is_string(), "{backend:?}: {}", seen("k1"));
        assert_eq!(seen("k2"), serde_json::Value::Null, "{backend:?}");
        assert_eq!(send(&c, "k1", &k1, 1, &rs[..3]).1["stored_to"], 3, "{backend:?}: a resend is 200");
        let (st, gap) = send(&c, "k1", &k1, 6, &rs[5..]);
        assert_eq!((st, &gap["field"], &gap["expected"]), (409, &"from".into(), &4.into()), "{backend:?}: {gap}");
        assert_eq!(send(&c, "k1", &k1, 3, &rs[2..6]).1["stored_to"], 6, "{backend:?}");
        assert_eq!(held(&c, &bureau, "k1"), serde_json::json!({"stored_to": 6, "state": "ok", "broken_at": null}));
        // A void's reason edited on the kiosk after it was chained: its
        // hash no longer follows. Nothing of the call is stored.
        let mut edited = rs[6..].to_vec();
        edited[1].fields.insert("reason".into(), Value::Text("改过".into()));
        let (st, e) = send(&c, "k1", &k1, 7, &edited);
        assert_eq!((st, &e["field"]), (409, &"records[1].hash".into()), "{backend:?}: {e}");
        assert_eq!(held(&c, &bureau, "k1"), serde_json::json!({"stored_to": 6, "state": "broken", "broken_at": 8}));
        // A history rewritten from record 5 on, each hash recomputed: it
        // follows itself but not what is held.
        let rewritten = chain(9, Some(5));
        let (st, e) = send(&c, "k1", &k1, 1, &rewritten);
        assert_eq!((st, &e["field"]), (409, &"records[4].hash".into()), "{backend:?}: {e}");
        assert_eq!(held(&c, &bureau, "k1")["broken_at"], 5, "{backend:?}: the earliest break");
        // The true records still follow.
        assert_eq!(send(&c, "k1", &k1, 7, &rs[6..]).1["stored_to"], 9, "{backend:?}");
        // Read back as sent, by the bureau and by the kiosk itself.
        for token in [&bureau, &k1] {
            let (st, lines) =
                central::get(&agent(), &format!("{}/api/v1/kiosks/k1/records?from=2&limit=5", c.url), token);
            assert_eq!(st, 200, "{lines}");
            let back: Vec<WireRecord> = lines.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
            assert_eq!(back, rs[1..6].to_vec(), "{backend:?}");
        }
        for (q, field) in [("from=0", "from"), ("limit=0", "limit"), ("limit=1001", "limit")] {
            let (st, e) = central::get(&agent(), &format!("{}/api/v1/kiosks/k1/records?{q}", c.url), &bureau);
            assert!(st == 400 && e.contains(&format!("\"field\":\"{field}\"")), "{q}: {st} {e}");
        }
        assert_eq!(central::get(&agent(), &format!("{}/api/v1/kiosks/k1/records", c.url), &k2).0, 403);
        // An empty call where the chain is held: 200, the same on both.
        assert_eq!(send(&c, "k1", &k1, 5, &[]), (200, serde_json::json!({"stored_to": 9})), "{backend:?}");
        // Another kiosk's token cannot send for k1; malformed calls name the field.
        assert_eq!(send(&c, "k1", &k2, 10, &[]).0, 401);
        let mut extra = chain(1, None);
        extra[0].fields.insert("photo".into(), Value::Null);
        let (st, e) = send(&c, "k2", &k2, 1, &extra);
        assert_eq!((st, &e["field"]), (400, &"records[0].fields.photo".into()), "{e}");
        let (st, e) = send_raw(&c, "k2", &k2, br#"{"from": 1, "records": [{"seq": "one"}]}"#);
        assert_eq!((st, &e["field"]), (400, &"records[0].seq".into()), "{e}");
        assert_eq!(held(&c, &bureau, "k2")["stored_to"], 0);
        // Held records cannot be changed or deleted, even in the database.
        let mut statements = vec!["UPDATE chain_records SET content = '[]'", "DELETE FROM chain_records"];
        if backend == central::Backend::Postgres {
            statements.push("TRUNCATE chain_records CASCADE");
        }
        for statement in statements {
            let refused = std::panic::catch_unwind(|| central::sql(&c, statement)).unwrap_err();
            let said = refused.downcast_ref::<String>().cloned().unwrap_or_default();
            assert!(said.contains("append-only"), "{backend:?}: {statement}: {said}");
        }
        let (_, lines) = central::get(&agent(), &format!("{}/api/v1/kiosks/k1/records?from=1", c.url), &bureau);
        assert_eq!(lines.lines().count(), 9, "{backend:?}: all held as they were");
        // PIN hashes go to the kiosk and to admins, not to bureau accounts.
        let k3 = c.kiosk("k3", &["人事科"]);
        let pin = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g";
        let fields: BTreeMap<String, Value> = [
            ("staff_no", Value::Text("0031".into())),
            ("name", Value::Text("赵六".into())),
            ("unit", Value::Text("人事科".into())),
            ("schedule", Value::Text("default".into())),
            ("role", Value::Text("head".into())),
            ("pin_hash", Value::Text(pin.into())),
            ("active_from", Value::Null),
            ("active_until", Value::Null),
            ("recorded_at", Value::Int(1_764_900_000_000)),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        let mut staff = WireRecord { seq: 1, table: "staff_versions".into(), id: 1, fields, hash: String::new() };
        staff.hash = hex(&link(&GENESIS, "staff_versions", 1, &staff.content().unwrap()));
        assert_eq!(send(&c, "k3", &k3, 1, std::slice::from_ref(&staff)).0, 200);
        let admin = c.user("root", "admin", "admin password");
        for (token, seen) in [(&bureau, Value::Null), (&admin, Value::Text(pin.into())), (&k3, Value::Text(pin.into()))]
        {
            let (st, line) = central::get(&agent(), &format!("{}/api/v1/kiosks/k3/records", c.url), token);
            let back: WireRecord = serde_json::from_str(line.trim()).unwrap_or_else(|e| panic!("{st} {line}: {e}"));
            assert_eq!(back.fields["pin_hash"], seen, "{backend:?}");
        }
        assert_eq!(held(&c, &bureau, "k1")["stored_to"], 9);
        // The kiosks page says how far, and where it broke, in red.
        let session = central::sign_in(&c, "alice", "correct horse");
        let mut page = agent().get(&format!("{}/kiosks", c.url)).header("Cookie", &session).call().unwrap();
        let page = page.body_mut().read_to_string().unwrap();
        assert!(page.contains("<span class=\"bad\">第 5 条起不连续</span>"), "{backend:?}: {page}");
        assert!(page.contains("已核对至第 9 条"), "{backend:?}");
    }
}

fn put_rules(c: &Central, kiosk: &str, token: &str, body: &serde_json::Value) -> (u16, serde_json::Value) {
    let mut r = agent()
        .put(&format!("{}/api/v1/kiosks/{kiosk}/rules", c.url))
        .header("Authorization", &format!("Bearer {token}"))
        .send(serde_json::to_vec(body).unwrap())
        .unwrap();
    let text = r.body_mut().read_to_string().unwrap();
    (r.status().as_u16(), serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)))
}

/// A kiosk's declared rules (SPEC "Records", `PUT …/rules`): checked as
/// the server will read them (400 naming the key), kept by version (the
/// same again is 200, other content under a held version 409), read back
/// by the kiosk itself and bureau accounts, not written (401) or read
/// (403) by another kiosk.
#[test]
fn declared_rules_are_checked_kept_by_version_and_read_back() {
    use serde_json::json;
    for backend in BACKENDS {
        let mut c = Central::new(backend);
        let k1 = c.kiosk("k1", &["办公室"]);
        let k2 = c.kiosk("k2", &["财务科"]);
        let bureau = c.user("alice", "bureau", "correct horse");
        c.start();
        let v1 = json!({"version": 1, "config": {"default": {"sessions": [{"start": "08:30", "end": "12:00"}]}},
                        "calendar": {"2026": [{"date": "2026-10-01", "isOffDay": true}]}});
        for (bad, field, words) in [
            (json!({"version": 0, "config": {}, "calendar": {}}), "version", "count from 1"),
            (
                json!({"version": 2, "config": {"default": {"sessions": [{"start": "25:00", "end": "12:00"}]}},
                    "calendar": {}}),
                "config",
                "schedules.default.sessions",
            ),
            (json!({"version": 2, "config": {"default": {"lunch": true}}, "calendar": {}}), "config", "lunch"),
            (
                json!({"version": 2, "config": {}, "calendar": {"2026": [{"date": "2027-01-01", "isOffDay": true}]}}),
                "calendar",
                "2027-01-01 is not in 2026",
            ),
            (json!({"version": 2, "config": {}, "calendar": {}, "extra": 1}), "extra", "unknown field"),
        ] {
            let (st, body) = put_rules(&c, "k1", &k1, &bad);
            assert_eq!((st, body["field"].as_str()), (400, Some(field)), "{backend:?}: {bad} → {body}");
            assert!(body["error"].as_str().unwrap().contains(words), "{backend:?}: {body}");
        }
        assert_eq!(put_rules(&c, "k1", &k1, &v1), (200, json!({"version": 1})), "{backend:?}");
        assert_eq!(put_rules(&c, "k1", &k1, &v1).0, 200, "{backend:?}: the same again");
        let mut other = v1.clone();
        other["config"]["default"]["late_grace_minutes"] = 30.into();
        let (st, body) = put_rules(&c, "k1", &k1, &other);
        assert_eq!((st, &body["field"]), (409, &json!("version")), "{backend:?}: {body}");
        other["version"] = 2.into();
        assert_eq!(put_rules(&c, "k1", &k1, &other).0, 200, "{backend:?}");
        assert_eq!(put_rules(&c, "k1", &k2, &v1).0, 401, "{backend:?}: another kiosk's token");
        for (token, query, status, version) in [
            (&k1, "", 200, Some(2)),
            (&bureau, "?version=1", 200, Some(1)),
            (&k1, "?version=7", 404, None),
            (&k2, "", 403, None),
        ] {
            let (st, text) = central::get(&agent(), &format!("{}/api/v1/kiosks/k1/rules{query}", c.url), token);
            assert_eq!(st, status, "{backend:?} {query}: {text}");
            if let Some(v) = version {
                let back: serde_json::Value = serde_json::from_str(&text).unwrap();
                assert_eq!(back["version"], v, "{backend:?}");
                assert_eq!(back["calendar"], v1["calendar"], "{backend:?}");
            }
        }
    }
}
