//! `dutyclock-central` as a real process on 127.0.0.1, against SQLite and
//! against PostgreSQL (the same tests for both): uploads and their
//! statuses (201/200/409/400/401/403/413, error bodies naming the field,
//! nothing stored by a refusal), the `Date` header, the chain, the bureau's
//! reads, signing in, the audit log; random bodies, headers and paths (no
//! 5xx, nothing stored); 500 kiosks at once; and the server build's
//! dependency tree.

#[path = "common/central.rs"]
mod central;

use central::{agent, get, put, stored_summaries, summary, Backend, Central, BACKENDS};
use proptest::prelude::*;
use serde_json::Value;

fn body(v: &Value) -> Vec<u8> {
    serde_json::to_vec(v).unwrap()
}

#[test]
fn uploads_and_their_answers() {
    for backend in BACKENDS {
        let mut c = Central::new(backend);
        let k1 = c.kiosk("k1", &["办公室", "财务科"]);
        let k2 = c.kiosk("k2", &["人事科"]);
        let bureau = c.user("alice", "bureau", "correct horse");
        c.start();
        let a = agent();
        let s1 = summary("k1", "2026-11-26", 1, &[("0012", "张三", "办公室", 11)]);
        // Stored, then the same again.
        let (st, _) = put(&a, &c.url, "k1", "2026-11-26", Some(&k1), &body(&s1));
        assert_eq!(st, 201, "{backend:?}");
        assert_eq!(put(&a, &c.url, "k1", "2026-11-26", Some(&k1), &body(&s1)).0, 200);
        // Every response carries the server's Date.
        let resp = a
            .put(&format!("{}/api/v1/kiosks/k1/summaries/2026-11-26", c.url))
            .header("Authorization", &format!("Bearer {k1}"))
            .send(&body(&s1)[..])
            .unwrap();
        assert!(resp.headers().get("date").is_some(), "Date header");
        // The same revision with other content, and an older revision: 409.
        let other = summary("k1", "2026-11-26", 1, &[("0012", "张三", "办公室", 12)]);
        let (st, text) = put(&a, &c.url, "k1", "2026-11-26", Some(&k1), &body(&other));
        assert_eq!(st, 409, "{text}");
        assert!(text.contains("\"field\":\"revision\""), "{text}");
        let r2 = summary("k1", "2026-11-26", 2, &[("0012", "张三", "办公室", 0)]);
        assert_eq!(put(&a, &c.url, "k1", "2026-11-26", Some(&k1), &body(&r2)).0, 201);
        assert_eq!(put(&a, &c.url, "k1", "2026-11-26", Some(&k1), &body(&s1)).0, 409, "a stale revision");
        let stored = stored_summaries(&c);
        assert_eq!(stored, 2);

        // Refusals: each its status and field, nothing stored.
        // (status, field, body, token, kiosk in the path, date in the path)
        type Case<'a> = (u16, &'a str, Vec<u8>, Option<&'a str>, &'a str, &'a str);
        let cases: Vec<Case<'_>> = vec![
            (401, "authorization", body(&s1), None, "k1", "2026-11-27"),
            (401, "authorization", body(&s1), Some("dck_nonsense"), "k1", "2026-11-27"),
            (401, "authorization", body(&s1), Some(&k2), "k1", "2026-11-27"),
            (401, "authorization", body(&s1), Some(&bureau), "k1", "2026-11-27"),
            (400, "", b"{not json".to_vec(), Some(&k1), "k1", "2026-11-27"),
            (400, "date", body(&s1), Some(&k1), "k1", "2026-11-27"),
            (400, "date", body(&s1), Some(&k1), "k1", "yesterday"),
            (400, "kiosk_id", body(&summary("k2", "2026-11-27", 1, &[])), Some(&k1), "k1", "2026-11-27"),
            (
                403,
                "people[0].unit",
                body(&summary("k1", "2026-11-27", 1, &[("1", "x", "人事科", 0)])),
                Some(&k1),
                "k1",
                "2026-11-27",
            ),
            (413, "", vec![b' '; 1024 * 1024 + 1], Some(&k1), "k1", "2026-11-27"),
        ];
        for (want, field, b, token, kiosk, date) in cases {
            let (st, text) = put(&a, &c.url, kiosk, date, token, &b);
            assert_eq!(st, want, "{backend:?} {field}: {text}");
            let v: Value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("JSON error body: {text}"));
            assert_eq!(v["field"], field, "{text}");
            assert!(v["error"].as_str().is_some_and(|e| !e.is_empty()), "{text}");
        }
        let mut bad = summary("k1", "2026-11-27", 1, &[("1", "x", "办公室", 0)]);
        bad["people"][0]["late_minutes"] = serde_json::json!("eleven");
        let (st, text) = put(&a, &c.url, "k1", "2026-11-27", Some(&k1), &body(&bad));
        assert_eq!(st, 400);
        assert!(text.contains("people[0].late_minutes"), "{text}");
        let mut r0 = summary("k1", "2026-11-27", 0, &[]);
        r0["closed"] = serde_json::json!(false);
        assert_eq!(put(&a, &c.url, "k1", "2026-11-27", Some(&k1), &body(&r0)).0, 400, "a running day is not taken");
        assert_eq!(stored_summaries(&c), stored, "no refusal stored anything");

        // A revoked kiosk gets 401.
        c.ok(&["kiosk", "revoke", "k2"]);
        let s2 = summary("k2", "2026-11-26", 1, &[("2001", "王五", "人事科", 0)]);
        assert_eq!(put(&a, &c.url, "k2", "2026-11-26", Some(&k2), &body(&s2)).0, 401);
        // Kiosk tokens cannot read.
        assert_eq!(get(&a, &format!("{}/api/v1/kiosks", c.url), &k1).0, 401);
        assert_eq!(a.get(&format!("{}/healthz", c.url)).call().unwrap().status().as_u16(), 200);
    }
}

#[test]
fn the_bureau_reads_latest_revisions_reports_people_and_kiosks() {
    for backend in BACKENDS {
        let mut c = Central::new(backend);
        let k1 = c.kiosk("k1", &["办公室"]);
        let k2 = c.kiosk("k2", &["财务科"]);
        let t = c.user("alice", "bureau", "correct horse");
        c.start();
        let a = agent();
        for (k, tok, unit, who) in [("k1", &k1, "办公室", ("0012", "张三")), ("k2", &k2, "财务科", ("0020", "李四"))]
        {
            for d in ["2026-11-23", "2026-11-24", "2026-11-26"] {
                let s = summary(k, d, 1, &[(who.0, who.1, unit, if d == "2026-11-24" { 35 } else { 0 })]);
                assert_eq!(put(&a, &c.url, k, d, Some(tok), &body(&s)).0, 201);
            }
        }
        // A correction's revision 2 replaces revision 1 in the report.
        let s = summary("k1", "2026-11-24", 2, &[("0012", "张三", "办公室", 0)]);
        assert_eq!(put(&a, &c.url, "k1", "2026-11-24", Some(&k1), &body(&s)).0, 201);
        let (st, text) = get(&a, &format!("{}/api/v1/report?from=2026-11-01&to=2026-11-30", c.url), &t);
        assert_eq!(st, 200, "{text}");
        let r: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(r["people"][0]["staff_no"], "0020", "李四, late once, ranks first: {r}");
        assert_eq!(r["people"][0]["late_minutes"], 35);
        assert_eq!(r["people"][1]["late_minutes"], 0, "张三's lateness was corrected");
        assert_eq!(r["people"][1]["days_expected"], 3);
        assert_eq!(r["units"].as_array().unwrap().len(), 2);
        let (_, text) = get(&a, &format!("{}/api/v1/report?from=2026-11-01&to=2026-11-30&unit=办公室", c.url), &t);
        let r: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(r["people"].as_array().unwrap().len(), 1);
        // CSV with a BOM, XLSX that opens.
        let mut resp = a
            .get(&format!("{}/api/v1/report?from=2026-11-01&to=2026-11-30&format=csv", c.url))
            .header("Authorization", &format!("Bearer {t}"))
            .call()
            .unwrap();
        let csv = resp.body_mut().read_to_vec().unwrap();
        assert!(csv.starts_with(b"\xEF\xBB\xBF"), "BOM");
        assert!(String::from_utf8_lossy(&csv).contains("李四"));
        let mut resp = a
            .get(&format!("{}/api/v1/report?from=2026-11-01&to=2026-11-30&format=xlsx", c.url))
            .header("Authorization", &format!("Bearer {t}"))
            .call()
            .unwrap();
        let xlsx = resp.body_mut().with_config().limit(10_000_000).read_to_vec().unwrap();
        let mut book: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(xlsx)).unwrap();
        use calamine::Reader;
        let sheet = book.worksheet_range("个人").unwrap();
        assert!(sheet.rows().any(|r| r.iter().any(|c| c.to_string().as_str() == "李四")));
        assert_eq!(get(&a, &format!("{}/api/v1/report?from=2026-11-01&to=2026-11-30&format=pdf", c.url), &t).0, 400);
        assert_eq!(get(&a, &format!("{}/api/v1/report?from=2026-11-30&to=2026-11-01", c.url), &t).0, 400);
        // Latest revisions, per unit.
        let (_, text) = get(&a, &format!("{}/api/v1/summaries?from=2026-11-24&to=2026-11-24", c.url), &t);
        let list: Vec<Value> = serde_json::from_str(&text).unwrap();
        assert_eq!(list.len(), 2);
        assert!(list.iter().any(|s| s["kiosk_id"] == "k1" && s["revision"] == 2));
        // A person's history shows the revision.
        let (_, text) = get(&a, &format!("{}/api/v1/people/0012?from=2026-11-01&to=2026-11-30", c.url), &t);
        let p: Value = serde_json::from_str(&text).unwrap();
        let days = p["days"].as_array().unwrap();
        assert_eq!(days.len(), 3);
        assert_eq!(days[1]["revision"], 2);
        assert_eq!(days[1]["earlier_revisions"][0]["revision"], 1);
        // Kiosks: last seen, latest date and revision, days without a summary, chain.
        let (_, text) = get(&a, &format!("{}/api/v1/kiosks", c.url), &t);
        let ks: Vec<Value> = serde_json::from_str(&text).unwrap();
        assert_eq!(ks[0]["id"], "k1");
        assert_eq!((ks[0]["latest_date"].as_str(), ks[0]["latest_revision"].as_i64()), (Some("2026-11-26"), Some(1)));
        let missing: Vec<&str> =
            ks[0]["days_without_summary"].as_array().unwrap().iter().map(|d| d.as_str().unwrap()).collect();
        assert_eq!(missing[0], "2026-11-25");
        assert!(ks[0]["last_seen"].is_string() && ks[0]["chain"] == "ok");
        // Exports are audited.
        assert!(c.ok(&["audit"]).contains("export"));
    }
}

#[test]
fn a_rewound_or_forked_chain_is_flagged_and_the_summary_still_stored() {
    for backend in BACKENDS {
        let mut c = Central::new(backend);
        let k = c.kiosk("k1", &["办公室"]);
        let t = c.user("alice", "bureau", "correct horse");
        c.start();
        let a = agent();
        let with_chain = |date: &str, len: u64, head: char| {
            let mut s = summary("k1", date, 1, &[("1", "x", "办公室", 0)]);
            s["chain_length"] = serde_json::json!(len);
            s["chain_head"] = serde_json::json!(head.to_string().repeat(64));
            body(&s)
        };
        let chain = |c: &Central| {
            let (_, text) = get(&a, &format!("{}/api/v1/kiosks", c.url), &t);
            serde_json::from_str::<Vec<Value>>(&text).unwrap()[0]["chain"].as_str().unwrap().to_string()
        };
        assert_eq!(put(&a, &c.url, "k1", "2026-11-01", Some(&k), &with_chain("2026-11-01", 10, 'a')).0, 201);
        assert_eq!(put(&a, &c.url, "k1", "2026-11-02", Some(&k), &with_chain("2026-11-02", 20, 'b')).0, 201);
        assert_eq!(chain(&c), "ok");
        // Same length, another head: forked (still stored).
        assert_eq!(put(&a, &c.url, "k1", "2026-11-03", Some(&k), &with_chain("2026-11-03", 20, 'c')).0, 201);
        assert_eq!(chain(&c), "forked", "{backend:?}");
        let mut c2 = Central::new(backend);
        let k = c2.kiosk("k1", &["办公室"]);
        let t2 = c2.user("alice", "bureau", "correct horse");
        c2.start();
        assert_eq!(put(&a, &c2.url, "k1", "2026-11-01", Some(&k), &with_chain("2026-11-01", 30, 'a')).0, 201);
        // Shorter than one seen: rewound (a restored backup), still stored.
        assert_eq!(put(&a, &c2.url, "k1", "2026-11-02", Some(&k), &with_chain("2026-11-02", 5, 'b')).0, 201);
        let (_, text) = get(&a, &format!("{}/api/v1/kiosks", c2.url), &t2);
        assert_eq!(serde_json::from_str::<Vec<Value>>(&text).unwrap()[0]["chain"], "rewound");
        assert_eq!(stored_summaries(&c2), 2);
    }
}

#[test]
fn signing_in_csrf_lockout_and_the_audit_log() {
    for backend in BACKENDS {
        let mut c = Central::new(backend);
        c.user("alice", "bureau", "correct horse");
        c.start();
        // A plain agent that keeps no cookies: cookies are handled by hand.
        let a = ureq::Agent::config_builder().http_status_as_error(false).max_redirects(0).build().new_agent();
        let resp = a.get(&format!("{}/", c.url)).call().unwrap();
        assert_eq!(resp.status().as_u16(), 303, "not signed in: sent to /login");
        assert_eq!(resp.headers().get("location").unwrap(), "/login");
        let mut form = a.get(&format!("{}/login", c.url)).call().unwrap();
        let cookie = form.headers().get("set-cookie").unwrap().to_str().unwrap().to_string();
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
        let csrf_cookie = cookie.split(';').next().unwrap().to_string();
        let page = form.body_mut().read_to_string().unwrap();
        assert!(
            page.contains("<meta charset=\"utf-8\">")
                && page.contains("name=\"username\"")
                && page.contains("name=\"password\"")
        );
        let csrf = page.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
        let login = |user: &str, pass: &str, csrf: &str| {
            a.post(&format!("{}/login", c.url))
                .header("Cookie", &csrf_cookie)
                .send_form([("username", user), ("password", pass), ("csrf", csrf)])
                .unwrap()
        };
        // Without the right CSRF token: refused.
        assert_eq!(login("alice", "correct horse", "forged").status().as_u16(), 403);
        // Right password: a session cookie, and / says who.
        let ok = login("alice", "correct horse", &csrf);
        assert_eq!(ok.status().as_u16(), 303);
        let session = ok.headers().get("set-cookie").unwrap().to_str().unwrap().split(';').next().unwrap().to_string();
        let mut home = a.get(&format!("{}/", c.url)).header("Cookie", &session).call().unwrap();
        assert!(home.body_mut().read_to_string().unwrap().contains("alice"));
        assert_eq!(
            a.get(&format!("{}/api/v1/kiosks", c.url)).header("Cookie", &session).call().unwrap().status().as_u16(),
            200
        );
        // Five wrong passwords lock the account, even for the right one.
        for _ in 0..5 {
            assert_eq!(login("alice", "wrong", &csrf).status().as_u16(), 401);
        }
        assert_eq!(login("alice", "correct horse", &csrf).status().as_u16(), 429, "locked");
        let audit = c.ok(&["audit"]);
        assert!(audit.contains("\tlogin\t") && audit.contains("failed login") && audit.contains("user add"), "{audit}");
        assert!(!audit.contains("correct horse"), "no password in the log");
    }
}

#[test]
fn five_hundred_kiosks_at_once() {
    for backend in BACKENDS {
        let mut c = Central::new(backend);
        let tokens = c.bulk_kiosks(500, &["办公室"]);
        c.start();
        let url = c.url.clone();
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(500));
        let handles: Vec<_> = tokens
            .into_iter()
            .enumerate()
            .map(|(i, t)| {
                let (url, barrier) = (url.clone(), barrier.clone());
                std::thread::spawn(move || {
                    let k = format!("k{i:03}");
                    let s = summary(&k, "2026-11-26", 1, &[("1", "x", "办公室", 0)]);
                    barrier.wait();
                    put(&agent(), &url, &k, "2026-11-26", Some(&t), &body(&s)).0
                })
            })
            .collect();
        let statuses: Vec<u16> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        let errors = statuses.iter().filter(|s| **s != 201).count();
        assert_eq!(errors, 0, "{backend:?}: {:?}", statuses.iter().filter(|s| **s != 201).take(5).collect::<Vec<_>>());
        assert_eq!(stored_summaries(&c), 500);
    }
}

/// The server built alone carries no Slint, serial or GPIO code.
#[test]
fn the_central_build_has_no_kiosk_stack() {
    let out = std::process::Command::new(env!("CARGO"))
        .args([
            "tree",
            "--locked",
            "--no-default-features",
            "--features",
            "central",
            "-e",
            "normal",
            "--prefix",
            "none",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let tree = String::from_utf8(out.stdout).unwrap();
    assert!(tree.contains("axum") && tree.contains("tokio-postgres"), "the server's stack is there");
    for crate_ in ["slint", "serialport", "rppal", "i-slint", "winit", "ureq"] {
        assert!(!tree.lines().any(|l| l.starts_with(&format!("{crate_} "))), "{crate_} in the central build");
    }
}

fn central_for_props() -> (Central, String) {
    let mut c = Central::new(Backend::Sqlite);
    let k = c.kiosk("k1", &["办公室"]);
    c.start();
    (c, k)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Random bodies (JSON-shaped and not), paths and headers: never a 5xx,
    /// never a panic, nothing stored.
    #[test]
    fn random_requests_get_4xx_and_store_nothing(
        noise in prop::collection::vec(any::<u8>(), 0..400),
        field in prop::sample::select(vec!["schema", "kiosk_id", "date", "revision", "closed", "people", "totals", "chain_head", "chain_length"]),
        value in prop::sample::select(vec![serde_json::json!(null), serde_json::json!(-1), serde_json::json!("x"), serde_json::json!([]), serde_json::json!({}), serde_json::json!(1e300), serde_json::json!(true)]),
        path in "[a-zA-Z0-9%./_-]{0,24}",
        date in "[0-9-]{0,12}",
        auth in prop::sample::select(vec!["", "Bearer ", "Bearer dck_x", "Basic abc", "Bearer \u{00e9}"]),
    ) {
        // Combinations that leave the summary valid are not noise.
        prop_assume!(!(field.starts_with("chain") && value.is_null()));
        prop_assume!(!(field == "closed" && value == serde_json::json!(true)));
        prop_assume!(!(field == "people" && value == serde_json::json!([])), "a day of no people is a valid summary");
        thread_local! { static C: (Central, String) = central_for_props(); }
        C.with(|(c, k)| {
            let a = agent();
            let mut s = summary("k1", "2026-11-26", 1, &[("1", "x", "办公室", 0)]);
            s[field] = value.clone();
            for (b, token) in [(noise.clone(), Some(k.as_str())), (body(&s), Some(k.as_str())), (body(&s), None)] {
                let (st, _) = put(&a, &c.url, "k1", "2026-11-26", token, &b);
                prop_assert!((400..500).contains(&st), "status {}", st);
            }
            let mut req = a.put(&format!("{}/api/v1/kiosks/{path}/summaries/{date}", c.url));
            if !auth.is_empty() {
                req = req.header("Authorization", auth);
            }
            let st = req.send(&body(&s)[..]).map(|r| r.status().as_u16()).unwrap_or(400);
            prop_assert!((400..500).contains(&st), "status {}", st);
            let st = a.get(&format!("{}/api/v1/report?from={date}&to={path}", c.url)).call().unwrap().status().as_u16();
            prop_assert!((400..500).contains(&st), "status {}", st);
            prop_assert_eq!(stored_summaries(c), 0);
            Ok(())
        })?;
    }
}
