//! `dutyclock-central` as a real process on 127.0.0.1, against SQLite and
//! against PostgreSQL (the same tests for both): uploads and their
//! statuses (201/200/409/400/401/403/413, error bodies naming the field,
//! nothing stored by a refusal), the `Date` header, the chain, the bureau's
//! reads, signing in, the audit log; random bodies, headers and paths (no
//! 5xx, nothing stored); 500 kiosks at once; and the server build's
//! dependency tree.

#[path = "common/central.rs"]
mod central;
#[path = "common/photo.rs"]
mod photo;

use central::{agent, enc, get, put, sign_in, stored_summaries, summary, Backend, Central, BACKENDS};
use proptest::prelude::*;
use serde_json::{json, Value};

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

        // The same content with its keys in another order is the same.
        fn reversed(v: &Value) -> Value {
            match v {
                Value::Object(o) => Value::Object(o.iter().rev().map(|(k, v)| (k.clone(), reversed(v))).collect()),
                Value::Array(a) => Value::Array(a.iter().map(reversed).collect()),
                v => v.clone(),
            }
        }
        assert_eq!(put(&a, &c.url, "k1", "2026-11-26", Some(&k1), &body(&reversed(&r2))).0, 200);

        // Refusals: each its status and field, nothing stored.
        let far = (chrono::Utc::now().date_naive() + chrono::Days::new(3)).to_string();
        let mut twice = summary("k1", "2026-11-27", 1, &[("1", "x", "办公室", 0), ("1", "y", "办公室", 0)]);
        twice["people"][1]["name"] = json!("y");
        let with = |fields: &[(&str, Value)]| {
            let mut s = summary("k1", "2026-11-27", 1, &[("1", "x", "办公室", 0)]);
            for (f, v) in fields {
                s["people"][0][*f] = v.clone();
            }
            s
        };
        let mut generated_yesterday = summary("k1", "2026-11-27", 1, &[]);
        generated_yesterday["generated_at"] = json!("yesterday");
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
            (400, "date", body(&summary("k1", "1999-12-31", 1, &[])), Some(&k1), "k1", "1999-12-31"),
            (400, "date", body(&summary("k1", &far, 1, &[])), Some(&k1), "k1", &far),
            (400, "people[1].staff_no", body(&twice), Some(&k1), "k1", "2026-11-27"),
            (400, "people[0].name", body(&with(&[("name", json!("张\u{0000}三"))])), Some(&k1), "k1", "2026-11-27"),
            (
                400,
                "people[0].late_minutes",
                body(&with(&[("late_minutes", json!(1441))])),
                Some(&k1),
                "k1",
                "2026-11-27",
            ),
            (
                400,
                "people[0].punches",
                body(&with(&[("punches", json!(["08:00\u{0007}"]))])),
                Some(&k1),
                "k1",
                "2026-11-27",
            ),
            (400, "generated_at", body(&generated_yesterday), Some(&k1), "k1", "2026-11-27"),
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

        // A revoked kiosk gets 401; re-keyed, it is back (the old token stays out).
        c.ok(&["kiosk", "revoke", "k2"]);
        let s2 = summary("k2", "2026-11-26", 1, &[("2001", "王五", "人事科", 0)]);
        assert_eq!(put(&a, &c.url, "k2", "2026-11-26", Some(&k2), &body(&s2)).0, 401);
        let k2_new = c.ok(&["kiosk", "token", "k2"]).trim().to_string();
        assert_eq!(put(&a, &c.url, "k2", "2026-11-26", Some(&k2), &body(&s2)).0, 401);
        assert_eq!(put(&a, &c.url, "k2", "2026-11-26", Some(&k2_new), &body(&s2)).0, 201);
        // A unit is one kiosk's.
        let o = c.cli(&["kiosk", "add", "k3", "--units", "人事科"], "");
        assert_eq!(o.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&o.stderr).contains("already served by kiosk k2"));
        // The kiosk's clock offset from its Date header: 90 s behind ours.
        let behind = (chrono::Utc::now() - chrono::Duration::seconds(90)).to_rfc2822();
        let s3 = summary("k2", "2026-11-25", 1, &[("2001", "王五", "人事科", 0)]);
        let resp = a
            .put(&format!("{}/api/v1/kiosks/k2/summaries/2026-11-25", c.url))
            .header("Authorization", &format!("Bearer {k2_new}"))
            .header("Date", &behind)
            .send(&body(&s3)[..])
            .unwrap();
        assert_eq!(resp.status().as_u16(), 201);
        let (_, text) = get(&a, &format!("{}/api/v1/kiosks", c.url), &bureau);
        let list: Vec<Value> = serde_json::from_str(&text).unwrap();
        let offset = list.iter().find(|k| k["id"] == "k2").unwrap()["clock_offset_ms"].as_i64().unwrap();
        assert!((88_000..=92_000).contains(&offset), "server minus kiosk, ms: {offset}");
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
        // A summary of `date` (revision `rev`) made at 04:00 + `hour` on 11-27,
        // at chain position (`len`, `head`).
        let with_chain = |date: &str, rev: i64, hour: u32, len: u64, head: char| {
            let mut s = summary("k1", date, rev, &[("1", "x", "办公室", 0)]);
            s["generated_at"] = json!(format!("2026-11-27T{:02}:00:02+08:00", 4 + hour));
            s["chain_length"] = json!(len);
            s["chain_head"] = json!(head.to_string().repeat(64));
            body(&s)
        };
        let chain = |c: &Central, t: &str| {
            let (_, text) = get(&a, &format!("{}/api/v1/kiosks", c.url), t);
            serde_json::from_str::<Vec<Value>>(&text).unwrap()[0]["chain"].as_str().unwrap().to_string()
        };
        assert_eq!(put(&a, &c.url, "k1", "2026-11-01", Some(&k), &with_chain("2026-11-01", 1, 0, 10, 'a')).0, 201);
        assert_eq!(put(&a, &c.url, "k1", "2026-11-02", Some(&k), &with_chain("2026-11-02", 1, 1, 20, 'b')).0, 201);
        // A correction of 11-01 made after 11-02's summary arrives after
        // it (oldest date first): a longer chain, made later: in order.
        assert_eq!(put(&a, &c.url, "k1", "2026-11-01", Some(&k), &with_chain("2026-11-01", 2, 2, 25, 'd')).0, 201);
        // A resend is not news, nor is a stale revision (409).
        assert_eq!(put(&a, &c.url, "k1", "2026-11-01", Some(&k), &with_chain("2026-11-01", 2, 2, 25, 'd')).0, 200);
        assert_eq!(put(&a, &c.url, "k1", "2026-11-01", Some(&k), &with_chain("2026-11-01", 1, 0, 10, 'a')).0, 409);
        assert_eq!(chain(&c, &t), "ok", "{backend:?}");
        // Same length, another head: forked (still stored).
        assert_eq!(put(&a, &c.url, "k1", "2026-11-03", Some(&k), &with_chain("2026-11-03", 1, 3, 20, 'c')).0, 201);
        assert_eq!(chain(&c, &t), "forked", "{backend:?}");
        let mut c2 = Central::new(backend);
        let k = c2.kiosk("k1", &["办公室"]);
        let t2 = c2.user("alice", "bureau", "correct horse");
        c2.start();
        assert_eq!(put(&a, &c2.url, "k1", "2026-11-01", Some(&k), &with_chain("2026-11-01", 1, 0, 30, 'a')).0, 201);
        // Made later with a shorter chain: rewound (a restored backup), still stored.
        assert_eq!(put(&a, &c2.url, "k1", "2026-11-02", Some(&k), &with_chain("2026-11-02", 1, 1, 5, 'b')).0, 201);
        assert_eq!(chain(&c2, &t2), "rewound", "{backend:?}");
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
        let resp = a.get(&format!("{}/overview", c.url)).call().unwrap();
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
        // Without the right CSRF token, or without one at all: refused.
        assert_eq!(login("alice", "correct horse", "forged").status().as_u16(), 403);
        let bare = a
            .post(&format!("{}/login", c.url))
            .header("Cookie", &csrf_cookie)
            .send_form([("username", "alice"), ("password", "correct horse")])
            .unwrap();
        assert_eq!(bare.status().as_u16(), 403, "no token: the CSRF refusal, not a parser's 422");
        // Right password: a session cookie, and / says who.
        let ok = login("alice", "correct horse", &csrf);
        assert_eq!(ok.status().as_u16(), 303);
        let session = ok.headers().get("set-cookie").unwrap().to_str().unwrap().split(';').next().unwrap().to_string();
        let home = a.get(&format!("{}/", c.url)).header("Cookie", &session).call().unwrap();
        assert_eq!(home.headers().get("location").unwrap(), "/overview");
        let mut home = a.get(&format!("{}/overview", c.url)).header("Cookie", &session).call().unwrap();
        assert!(home.body_mut().read_to_string().unwrap().contains("alice"));
        assert_eq!(
            a.get(&format!("{}/api/v1/kiosks", c.url)).header("Cookie", &session).call().unwrap().status().as_u16(),
            200
        );
        // Signing out needs the session's CSRF token.
        let page = a
            .get(&format!("{}/overview", c.url))
            .header("Cookie", &session)
            .call()
            .unwrap()
            .body_mut()
            .read_to_string()
            .unwrap();
        let session_csrf = page.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
        let logout = |token: &str| {
            a.post(&format!("{}/logout", c.url))
                .header("Cookie", &session)
                .send_form([("csrf", token)])
                .unwrap()
                .status()
                .as_u16()
        };
        assert_eq!(logout("forged"), 403);
        assert_eq!(
            a.get(&format!("{}/api/v1/kiosks", c.url)).header("Cookie", &session).call().unwrap().status().as_u16(),
            200
        );
        assert_eq!(logout(&session_csrf), 303);
        assert_eq!(
            a.get(&format!("{}/api/v1/kiosks", c.url)).header("Cookie", &session).call().unwrap().status().as_u16(),
            401
        );
        // A huge form is refused before it is read.
        let huge = "x".repeat(100_000);
        assert_eq!(login("alice", &huge, &csrf).status().as_u16(), 413);
        // An unknown name (or one with NUL) is a wrong password.
        assert_eq!(login("nobody", "whatever", &csrf).status().as_u16(), 401);
        assert_eq!(login("al\u{0}ice", "whatever", &csrf).status().as_u16(), 401);
        // Lockouts by account and address, floods: tests/edges.rs.
        let audit = c.ok(&["audit"]);
        assert!(audit.contains("\tlogin\t") && audit.contains("failed login") && audit.contains("user add"), "{audit}");
        assert!(!audit.contains("correct horse"), "no password in the log");
    }
}

/// The text of each body row's cells (the first `<tbody>`'s `<tr>`s), tags stripped.
fn table_rows(html: &str) -> Vec<Vec<String>> {
    nth_table_rows(html, 0)
}

/// The same for the `n`th table on the page.
fn nth_table_rows(html: &str, n: usize) -> Vec<Vec<String>> {
    let Some(body) = html.split("<tbody>").nth(n + 1).and_then(|b| b.split("</tbody>").next()) else { return vec![] };
    body.split("<tr")
        .skip(1)
        .map(|tr| {
            tr.split("<td")
                .skip(1)
                .map(|td| {
                    let inner = td.split_once('>').map_or("", |x| x.1).split("</td>").next().unwrap_or("");
                    let mut text = String::new();
                    let mut in_tag = false;
                    for ch in inner.chars() {
                        match ch {
                            '<' => in_tag = true,
                            '>' => in_tag = false,
                            c if !in_tag => text.push(c),
                            _ => {}
                        }
                    }
                    text.replace("&amp;", "&").trim().to_string()
                })
                .collect()
        })
        .collect()
}

#[test]
fn the_bureaus_overview_a_units_day_and_their_exports() {
    // Today in the district: the kiosks were added today, so both were
    // expected to send it.
    let today = chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive().to_string();
    for backend in BACKENDS {
        let mut c = Central::new(backend);
        let k1 = c.kiosk("k1", &["办公室"]);
        c.kiosk("k2", &["财务科"]);
        c.user("alice", "bureau", "correct horse");
        c.start();
        let a = ureq::Agent::config_builder().http_status_as_error(false).max_redirects(0).build().new_agent();
        let s = summary("k1", &today, 1, &[("0012", "张三", "办公室", 11), ("0013", "王五", "办公室", 0)]);
        assert_eq!(put(&agent(), &c.url, "k1", &today, Some(&k1), &body(&s)).0, 201);
        // Not signed in: to the login page, for pages and files alike.
        for path in ["/overview", "/overview.csv", "/units/x"] {
            let r = a.get(&format!("{}{path}", c.url)).call().unwrap();
            assert_eq!((r.status().as_u16(), r.headers().get("location").unwrap().to_str().unwrap()), (303, "/login"));
        }
        let session = sign_in(&c, "alice", "correct horse");
        let fetch = |path: &str, cookies: &str| {
            let mut r = a.get(&format!("{}{path}", c.url)).header("Cookie", cookies).call().unwrap();
            let status = r.status().as_u16();
            (status, r.body_mut().read_to_vec().unwrap())
        };
        let page = |path: &str| {
            let (st, b) = fetch(path, &session);
            (st, String::from_utf8(b).unwrap())
        };
        let (st, html) = page(&format!("/overview?date={today}"));
        assert_eq!(st, 200, "{html}");
        let rows = table_rows(&html);
        assert_eq!(
            rows,
            [
                vec!["办公室", "2", "2", "1", "—", "—", "—", "—", "—", "—", "—", "已上报"],
                vec!["财务科", "无数据", "未上报：k2"],
            ],
            "{backend:?}"
        );
        // The key figures above it: one of the two at their post came on
        // time; a week before has no data to compare with.
        assert!(html.contains("按时到岗率</span><strong class=\"value\">50.0%"), "{backend:?}: {html}");
        assert!(html.contains("未上报的终端</span><strong class=\"value\">1<"), "{backend:?}");
        assert!(!html.contains("较上周同日"), "{backend:?}: nothing to compare with, nothing said");
        assert!(html.contains("<tfoot>"), "a totals row");
        // The units by the day's exceptions: 办公室's one late arrival, a
        // full bar (it is the worst); 财务科 has none and no bar.
        let bars = html.split("figure class=\"chart bars\"").nth(1).unwrap().split("</figure>").next().unwrap();
        assert!(bars.contains("办公室") && !bars.contains("财务科"), "{bars}");
        assert!(bars.contains("title=\"迟到 1\" style=\"width:100.00%;"), "{bars}");
        // Sorted on the server by a heading's link (the pages run no script).
        assert!(html.contains(&format!("href=\"/overview?date={today}&amp;sort=late&amp;order=desc\"")), "{html}");
        let (st, sorted) = page(&format!("/overview?date={today}&sort=present&order=asc"));
        assert_eq!(st, 200);
        let first: Vec<String> = table_rows(&sorted).into_iter().map(|r| r[0].clone()).collect();
        assert_eq!(first, ["办公室", "财务科"], "{backend:?}: a unit without data stays last");
        assert!(sorted.contains("aria-sort=\"ascending\""));
        let (st, bad) = page(&format!("/overview?date={today}&sort=lateness"));
        assert!(st == 400 && bad.contains("sort: &quot;lateness&quot;"), "{st} {bad}");
        // The CSV: a BOM, then the page's columns and rows.
        let (st, csv) = fetch(&format!("/overview.csv?date={today}"), &session);
        assert_eq!(st, 200);
        assert!(csv.starts_with(b"\xEF\xBB\xBF"), "a BOM for Excel");
        let text = String::from_utf8(csv[3..].to_vec()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("单位,应到,实到,迟到人次"), "{text}");
        assert_eq!(lines[1], "办公室,2,2,1,0,0,0,0,0,0,0,已上报");
        assert_eq!(lines[2], "财务科,,,,,,,,,,,无数据；未上报：k2", "no data, not zeros");
        // The XLSX, read back: the same numbers, as numbers.
        let (st, xlsx) = fetch(&format!("/overview.xlsx?date={today}"), &session);
        assert_eq!(st, 200);
        let mut book: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(xlsx)).unwrap();
        use calamine::Reader;
        let range = book.worksheet_range(&today).unwrap();
        let cell = |r: u32, c: u32| range.get_value((r, c)).map(|v| v.to_string()).unwrap_or_default();
        assert_eq!((cell(1, 0).as_str(), cell(1, 1).as_str(), cell(1, 3).as_str()), ("办公室", "2", "1"));
        assert!(matches!(range.get_value((1, 1)), Some(calamine::Data::Float(_))), "numbers as numbers");
        assert_eq!(cell(2, 11), "无数据；未上报：k2");
        assert!(
            matches!(range.get_value((2, 1)), None | Some(calamine::Data::Empty)),
            "no data is an empty cell, not 0"
        );
        // A unit's day: its people with their figures and punches.
        let (st, html) = page(&format!("/units/%E5%8A%9E%E5%85%AC%E5%AE%A4?date={today}"));
        assert_eq!(st, 200);
        let people = table_rows(&html);
        assert_eq!(people[0][..4], ["0012", "张三", "异常", "1 次 11 分钟"]);
        assert!(
            html.contains(&format!("href=\"/people/0012?period=range&amp;from={}-01&amp;to={today}\"", &today[..7])),
            "the person's link: the date's month to the date"
        );
        assert!(html.contains("class=\"name warn\""), "the status in its colour");
        assert_eq!(people[1][11], "08:29 12:01 14:25 17:31", "times to the minute");
        // The month's heat map: a row per person, today's cells coloured
        // (张三 late, 王五 normal), drawn by plotters as inline SVG.
        let heat = html.split("本月汇总").nth(1).expect("the month's heat map");
        assert!(heat.contains("<svg") && heat.contains("张三 0012") && heat.contains("王五 0013"), "{heat}");
        assert_eq!(heat.matches("fill=\"#F0883E\"").count(), 1, "one late day");
        assert_eq!(heat.matches("fill=\"#4AC26B\"").count(), 1, "one normal day");
        // The period report: units, then persons, ranked; its files are
        // the API's report, which the session may read.
        let (st, html) = page(&format!("/report?period=range&from={today}&to={today}"));
        assert_eq!(st, 200, "{html}");
        assert_eq!(
            nth_table_rows(&html, 0),
            [vec!["1", "办公室", "2", "2", "—", "1 次 11 分钟", "—", "—", "—", "—", "—"]]
        );
        let persons = nth_table_rows(&html, 1);
        assert_eq!(persons[0][..3], ["1", "0012", "张三"], "the late one first");
        let chart = html.split("每日迟到、早退、旷工").nth(1).expect("the daily chart");
        assert!(chart.contains("<svg") && chart.contains("<rect"), "bars: {chart}");
        let link = html
            .split("href=\"/api/v1/report?")
            .skip(1)
            .map(|l| l.split('"').next().unwrap().replace("&amp;", "&"))
            .find(|l| l.ends_with("format=csv"))
            .expect("the CSV in the action bar");
        let (st, csv) = fetch(&format!("/api/v1/report?{link}"), &session);
        assert!(st == 200 && csv.starts_with(b"\xEF\xBB\xBF"), "{st} {link}");
        let (st, _) = page("/report?period=week");
        assert_eq!(st, 400);
        // The 通报 draft: a Word document in a 通报's order, the persons
        // ranked as on the page; with names or as 某同志.
        let docx = |query: &str| {
            let (st, bytes) = fetch(&format!("/report.docx?period=range&from={today}&to={today}{query}"), &session);
            assert_eq!(st, 200, "{}", String::from_utf8_lossy(&bytes));
            dutyclock::central::bulletin::text_of(&bytes).unwrap()
        };
        let text = docx("&issuer=%E5%8C%BA%E6%9C%BA%E5%85%B3%E6%95%88%E8%83%BD%E5%8A%9E");
        assert!(text[0].starts_with("关于") && text[0].ends_with("机关考勤情况的通报"), "{text:?}");
        let ranked = text.iter().position(|t| t.starts_with("序号|单位|姓名")).expect("the persons' table");
        assert_eq!(text[ranked + 1], "1|办公室|张三|0|1|0|0|0|0|0", "{text:#?}");
        assert!(text.iter().any(|t| t == "区机关效能办"), "the issuer: {text:?}");
        let anonymous = docx("&naming=anonymous").join("\n");
        assert!(anonymous.contains("1|办公室|某同志|0|1") && !anonymous.contains("张三"), "{anonymous}");
        assert_eq!(page(&format!("/report.docx?from={today}&to={today}&naming=all")).0, 400);
        // SPEC's /api/v1/bulletin for scripts, with a user token.
        let token = c.ok(&["user", "token", "alice"]).trim().to_string();
        let api = |query: &str| {
            let mut r = a
                .get(&format!("{}/api/v1/bulletin?{query}", c.url))
                .header("Authorization", &format!("Bearer {token}"))
                .call()
                .unwrap();
            (r.status().as_u16(), r.body_mut().read_to_vec().unwrap())
        };
        let month = &today[..7];
        let (st, bytes) = api(&format!("month={month}&names=false"));
        assert_eq!(st, 200, "{}", String::from_utf8_lossy(&bytes));
        let text = dutyclock::central::bulletin::text_of(&bytes).unwrap();
        let (y, m) = (month[..4].to_string(), month[5..].trim_start_matches('0').to_string());
        assert_eq!(text[0], format!("关于{y}年{m}月份机关考勤情况的通报"));
        assert!(text.iter().any(|t| t == "1|办公室|某同志|0|1|0|0|0|0|0"), "{text:#?}");
        let q = (month[5..].parse::<u32>().unwrap() - 1) / 3 + 1;
        let (st, bytes) = api(&format!("quarter={y}-Q{q}"));
        assert_eq!(st, 200);
        assert!(dutyclock::central::bulletin::text_of(&bytes).unwrap()[0].contains("季度"));
        for (query, field) in [
            ("month=2026-13", "month"),
            ("quarter=2026-Q5", "quarter"),
            ("", "month"),
            ("month=2026-11&quarter=2026-Q4", "quarter"),
            ("month=2026-11&names=yes", "names"),
        ] {
            let (st, body) = api(query);
            let body = String::from_utf8_lossy(&body);
            assert!(st == 400 && body.contains(&format!("\"field\":\"{field}\"")), "{query}: {st} {body}");
        }
        // The kiosks: k1 sent today's revision 1 and its chain is ok; k2
        // has never sent.
        let (st, html) = page("/kiosks");
        assert_eq!(st, 200);
        let ks = table_rows(&html);
        assert_eq!(
            (ks[0][0].as_str(), ks[0][4].as_str(), ks[0][6].as_str()),
            ("k1", &*format!("{today} · 第 1 版"), "正常")
        );
        assert!(ks[0][2].starts_with("在线") && ks[0][2].ends_with("刚刚"), "seen just now: {:?}", ks[0][2]);
        assert_eq!((ks[1][0].as_str(), ks[1][4].as_str(), ks[1][6].as_str()), ("k2", "—", "—"), "never 正常");
        assert!(ks[1][2].starts_with("离线") && ks[1][2].ends_with("从未上报"), "{:?}", ks[1][2]);
        // English: the switch sets a cookie and goes back (only here).
        let r = a.get(&format!("{}/lang/en?back=/overview", c.url)).call().unwrap();
        assert_eq!(r.headers().get("location").unwrap(), "/overview");
        let lang = r.headers().get("set-cookie").unwrap().to_str().unwrap().split(';').next().unwrap().to_string();
        let r = a.get(&format!("{}/lang/en?back=//evil.example/", c.url)).call().unwrap();
        assert_eq!(r.headers().get("location").unwrap(), "/overview", "never to another site");
        for evil in ["/%09/evil.example/", "/%5C/evil.example/", "https://evil.example/", "/overview%0d%0aX:y"] {
            let r = a.get(&format!("{}/lang/en?back={evil}", c.url)).call().unwrap();
            assert_eq!(r.headers().get("location").unwrap(), "/overview", "{evil}");
        }
        // Pages and files without a session: to the login page, every one.
        for path in ["/overview.xlsx", "/report", "/report.docx", "/kiosks", "/people/0012"] {
            let r = a.get(&format!("{}{path}", c.url)).call().unwrap();
            assert_eq!(r.status().as_u16(), 303, "{path}");
        }
        // The calendar's far ends are refused, not computed on.
        for d in ["%2B262142-12-31", "-262143-01-01", "1999-12-31"] {
            assert_eq!(page(&format!("/overview?date={d}")).0, 400, "{d}");
            assert_eq!(page(&format!("/overview.csv?date={d}")).0, 400, "{d}");
        }
        let (_, en) = fetch(&format!("/overview?date={today}"), &format!("{session}; {lang}"));
        let en = String::from_utf8(en).unwrap();
        assert!(en.contains("<html lang=\"en\">") && en.contains(">Expected<") && en.contains("not sent: k2"), "{en}");
        // A bad date is said, with the parameter.
        let (st, html) = page("/overview?date=2026-13-45");
        assert!(st == 400 && html.contains("date: &quot;2026-13-45&quot;"), "{st} {html}");
        // A person's history: a revised day says so.
        let mut s2 = summary("k1", &today, 2, &[("0012", "张三", "办公室", 0), ("0013", "王五", "办公室", 0)]);
        s2["people"][0]["corrections"] = 1.into();
        assert_eq!(put(&agent(), &c.url, "k1", &today, Some(&k1), &body(&s2)).0, 201);
        let history = |no: &str| {
            let (st, html) = page(&format!("/people/{no}?period=range&from={today}&to={today}"));
            assert_eq!(st, 200, "{html}");
            table_rows(&html)
        };
        let days = history("0012");
        let md = &today[5..];
        assert!(days[0][10].starts_with(&format!("{md} 于 ")) && days[0][10].ends_with(" 更正"), "{days:?}");
        assert!(!days[0][10].contains("版"), "no revision numbers: {days:?}");
        assert_eq!((days[0][2].as_str(), days[0][3].as_str()), ("正常", "—"), "the corrected lateness");
        // 王五's row is the same in revision 2: his day was not revised.
        assert_eq!(history("0013")[0][10], "", "re-sent for someone else: not changed for him");
        // Revision 3 changes only 王五's day (no correction): 张三's stays
        // revised in 2, 王五's is revised in 3 without "因更正".
        let mut s3 = summary("k1", &today, 3, &[("0012", "张三", "办公室", 0), ("0013", "王五", "办公室", 4)]);
        s3["people"][0]["corrections"] = 1.into();
        assert_eq!(put(&agent(), &c.url, "k1", &today, Some(&k1), &body(&s3)).0, 201);
        assert_eq!(history("0012")[0][10], days[0][10], "still revision 2 for 张三");
        let his = history("0013");
        assert!(his[0][10].starts_with(&format!("{md} 于 ")) && his[0][10].ends_with(" 重新上报"), "{his:?}");
        // The API says the same.
        let token = c.ok(&["user", "token", "alice"]).trim().to_string();
        let (_, json) = get(&agent(), &format!("{}/api/v1/people/0012?from={today}&to={today}", c.url), &token);
        let v: Value = serde_json::from_str(&json).unwrap();
        assert_eq!(
            (v["days"][0]["revised"]["revision"].as_i64(), v["days"][0]["revised"]["after_correction"].as_bool()),
            (Some(2), Some(true)),
            "{v}"
        );
        let (_, json) = get(&agent(), &format!("{}/api/v1/people/0013?from={today}&to={today}", c.url), &token);
        let v: Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["days"][0]["revised"]["after_correction"], false, "{v}");
        // Exports are in the audit log.
        let audit = c.ok(&["audit"]);
        assert!(audit.contains(&format!("export\toverview {today} all csv")), "{audit}");
        assert!(audit.contains(&format!("export\toverview {today} all xlsx")), "{audit}");
        assert!(audit.contains(&format!("export\tbulletin {today}..{today} all anonymous")), "{audit}");
    }
}

/// One kiosk retrying the same upload from many connections at once, and
/// another content of the same revision beside it: one is stored, every
/// retry of it is a 200, the other content a 409.
#[test]
fn the_same_revision_at_once_is_stored_once() {
    for backend in BACKENDS {
        let mut c = Central::new(backend);
        let k = c.kiosk("k1", &["办公室"]);
        c.start();
        let same = body(&summary("k1", "2026-11-26", 1, &[("1", "x", "办公室", 0)]));
        let other = body(&summary("k1", "2026-11-26", 1, &[("1", "x", "办公室", 9)]));
        let barrier = std::sync::Barrier::new(24);
        let answers: Vec<(bool, u16)> = std::thread::scope(|sc| {
            let hs: Vec<_> = (0..24)
                .map(|i| {
                    let (b, barrier, url, k) = (if i % 6 == 5 { &other } else { &same }, &barrier, &c.url, &k);
                    sc.spawn(move || {
                        barrier.wait();
                        (i % 6 == 5, put(&agent(), url, "k1", "2026-11-26", Some(k), b).0)
                    })
                })
                .collect();
            hs.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let created = answers.iter().filter(|(_, s)| *s == 201).count();
        assert_eq!(created, 1, "{backend:?}: {answers:?}");
        let winner_is_other = answers.iter().any(|(o, s)| *o && *s == 201);
        for (is_other, st) in &answers {
            let want = if *is_other == winner_is_other { [200, 201] } else { [409, 409] };
            assert!(want.contains(st), "{backend:?}: {answers:?}");
        }
        assert_eq!(stored_summaries(&c), 1);
    }
}

#[test]
fn five_hundred_kiosks_at_once() {
    for backend in BACKENDS {
        let mut c = Central::new(backend);
        let tokens = c.bulk_kiosks(500, "办公室");
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
                    let s = summary(&k, "2026-11-26", 1, &[(&format!("{i}"), "x", &format!("办公室{i}"), 0)]);
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

/// Eight registrations of one unit at once (eight kiosk ids): exactly one
/// wins, the others are refused naming the winner; then a revoked
/// kiosk cannot be given a new token while another serves its unit.
#[test]
fn one_unit_one_kiosk_even_at_once() {
    use dutyclock::central::storage::StorageError;
    for backend in BACKENDS {
        let c = Central::new(backend);
        let s = c.storage();
        // A handle each (a connection or pool each, as the server and a
        // command line process are), so the storage's own transaction is
        // what keeps them apart.
        let handles: Vec<_> = (0..8).map(|_| c.storage()).collect();
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(4).enable_all().build().unwrap();
        let results: Vec<Result<(), StorageError>> = rt.block_on(async {
            let tries: Vec<_> = (0..8)
                .map(|i| {
                    let s = handles[i].clone();
                    tokio::spawn(async move {
                        s.add_kiosk(&format!("k{i}"), &["档案馆".to_string()], &format!("t{i}"), 0).await
                    })
                })
                .collect();
            let mut out = Vec::new();
            for t in tries {
                out.push(t.await.unwrap());
            }
            out
        });
        let won: Vec<usize> = results.iter().enumerate().filter(|(_, r)| r.is_ok()).map(|(i, _)| i).collect();
        assert_eq!(won.len(), 1, "{backend:?}: {results:?}");
        let winner = format!("k{}", won[0]);
        for r in results.iter().filter(|r| r.is_err()) {
            assert!(
                matches!(r, Err(StorageError::Refused(m)) if m.contains(&format!("already served by kiosk {winner}"))),
                "{r:?}"
            );
        }
        rt.block_on(async {
            s.revoke_kiosk(&winner).await.unwrap();
            s.add_kiosk("k-new", &["档案馆".to_string()], "t-new", 0).await.unwrap();
            let again = s.set_kiosk_token(&winner, "t-again").await;
            assert!(matches!(again, Err(StorageError::Refused(_))), "{again:?}");
            assert!(s.kiosk_by_token("t-again").await.unwrap().is_none(), "nothing changed");
            // A kiosk in service is re-keyed whatever (a leaked token must
            // always be replaceable).
            s.set_kiosk_token("k-new", "t-rekeyed").await.unwrap();
            assert_eq!(s.kiosk_by_token("t-rekeyed").await.unwrap().unwrap().id, "k-new");
            // A session opens only with the password hash the login checked.
            s.add_user("carol", dutyclock::central::storage::Role::Bureau, "hash-1", 0).await.unwrap();
            assert!(s.add_session("sess-1", "carol", "hash-1", "csrf", i64::MAX).await.unwrap());
            s.set_password("carol", "hash-2").await.unwrap();
            assert!(s.session("sess-1", 0).await.unwrap().is_none(), "a new password ends the sessions");
            assert!(
                !s.add_session("sess-2", "carol", "hash-1", "csrf", i64::MAX).await.unwrap(),
                "the old hash opens none"
            );
            assert!(s.session("sess-2", 0).await.unwrap().is_none());
        });
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

/// A server for the property test on `backend`, its kiosk token and a
/// bureau token (so that reads get past sign-in to their parameters).
fn central_for_props(backend: Backend) -> (Central, String, String) {
    let mut c = Central::new(backend);
    let k = c.kiosk("k1", &["办公室"]);
    let r = c.user("reader", "bureau", "reader password");
    c.start();
    (c, k, r)
}

/// Values that break a field in the ways uploads do: wrong types,
/// negatives, NUL and control characters, over-long text, numbers past a
/// day and past u32, dates out of range.
fn nasty() -> Vec<Value> {
    vec![
        json!(null),
        json!(-1),
        json!("x"),
        json!("a\u{0000}b"),
        json!("\u{0007}"),
        json!("长".repeat(65)),
        json!(""),
        json!([]),
        json!({}),
        json!(1e300),
        json!(1441),
        json!(4_294_967_296u64),
        json!(true),
        json!("0001-01-01"),
        json!("2999-12-31"),
        json!("2026-11-26T99:00:00+08:00"),
        json!(["08:00:00\u{0000}"]),
    ]
}

/// Sends `req` and gives its status; a dropped connection (a handler that
/// panicked) fails the case instead of passing as a status.
fn status_of(r: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Result<u16, TestCaseError> {
    r.map(|r| r.status().as_u16()).map_err(|e| TestCaseError::fail(format!("no answer (did a handler panic?): {e}")))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// Random bodies (JSON-shaped and not), people's fields, paths, query
    /// strings and headers, on both backends: never a 5xx, never a dropped
    /// connection, nothing stored.
    #[test]
    fn random_requests_get_4xx_and_store_nothing(
        backend in prop::sample::select(BACKENDS.to_vec()),
        noise in prop::collection::vec(any::<u8>(), 0..400),
        field in prop::sample::select(vec!["schema", "kiosk_id", "date", "revision", "closed", "people", "totals", "chain_head", "chain_length", "generated_at"]),
        value in prop::sample::select(nasty()),
        person_field in prop::sample::select(vec!["staff_no", "name", "unit", "status", "late_minutes", "absent_sessions", "leave_minutes", "corrections", "punches", "twice"]),
        person_value in prop::sample::select(nasty()),
        path in "[a-zA-Z0-9%./_\u{0}-\u{1f}-]{0,24}",
        date in "[0-9+-]{0,12}",
        auth in prop::sample::select(vec!["", "Bearer ", "Bearer dck_x", "Basic abc", "Bearer \u{00e9}"]),
    ) {
        thread_local! {
            static SQLITE: (Central, String, String) = central_for_props(Backend::Sqlite);
            static PG: (Central, String, String) = central_for_props(Backend::Postgres);
        }
        let run = |(c, k, reader): &(Central, String, String)| -> Result<(), TestCaseError> {
            let a = agent();
            let base = summary("k1", "2026-11-26", 1, &[("1", "x", "办公室", 0), ("2", "y", "办公室", 0)]);
            // One top-level field broken…
            let mut top = base.clone();
            top[field] = value.clone();
            // …or one person's field (or a staff number twice).
            let mut person = base.clone();
            if person_field == "twice" {
                person["people"][1]["staff_no"] = json!("1");
            } else {
                person["people"][0][person_field] = person_value.clone();
            }
            // The server's own decision function says which bodies are
            // refusals; values no day can have must be among them.
            let refused = |b: &[u8]| {
                let units = ["办公室".to_string()];
                dutyclock::central::ingest::check(b, "k1", "2026-11-26", &units, chrono::Utc::now().timestamp_millis(), None).is_err()
            };
            let never_valid = [json!("a\u{0000}b"), json!("\u{0007}"), json!("长".repeat(65)), json!(1441), json!(4_294_967_296u64), json!(1e300), json!(-1), json!(["08:00:00\u{0000}"])];
            if person_field == "twice" || never_valid.contains(&person_value) {
                prop_assert!(refused(&body(&person)), "{} = {} was taken", person_field, person_value);
            }
            for (b, token) in [(noise.clone(), Some(k.as_str())), (body(&top), Some(k.as_str())), (body(&person), Some(k.as_str())), (body(&base), None)] {
                if token.is_some() && !refused(&b) {
                    continue; // a combination that leaves the summary valid is not noise
                }
                let (st, text) = put(&a, &c.url, "k1", "2026-11-26", token, &b);
                prop_assert!((400..500).contains(&st), "status {} {}", st, text);
            }
            // Raw bytes on the socket: headers no client library would send (non-ASCII).
            let st = raw_put(&c.url, &format!("/api/v1/kiosks/{}/summaries/{}", enc(&path), enc(&date)), auth, &body(&base))?;
            prop_assert!((400..500).contains(&st), "status {}", st);
            for url in [
                format!("{}/api/v1/report?from={}&to={}", c.url, enc(&date), enc(&path)),
                format!("{}/api/v1/report?from=2026-11-01&to=2026-11-30&unit={}&format={}", c.url, enc(&path), enc(&date)),
                format!("{}/api/v1/summaries?from=2026-11-01&to=2026-11-30&unit={}", c.url, enc(&path)),
                format!("{}/api/v1/people/{}?from=2026-11-01&to={}", c.url, enc(&path), enc(&date)),
            ] {
                let st = status_of(a.get(&url).header("Authorization", &format!("Bearer {reader}")).call())?;
                prop_assert!(st < 500, "status {} for {}", st, url);
            }
            prop_assert_eq!(stored_summaries(c), 0);
            Ok(())
        };
        match backend {
            Backend::Sqlite => SQLITE.with(run)?,
            Backend::Postgres => PG.with(run)?,
        }
    }
}

/// A PUT written by hand on a TCP socket; the answer's status, or a
/// failure when the server closed without one.
fn raw_put(base: &str, target: &str, auth: &str, body: &[u8]) -> Result<u16, TestCaseError> {
    use std::io::{Read, Write};
    let addr = base.trim_start_matches("http://");
    let mut sock = std::net::TcpStream::connect(addr).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let mut req =
        format!("PUT {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
    if !auth.is_empty() {
        req.push_str(&format!("Authorization: {auth}\r\n"));
    }
    req.push_str("\r\n");
    sock.write_all(req.as_bytes())
        .and_then(|_| sock.write_all(body))
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    let mut answer = Vec::new();
    let _ = sock.read_to_end(&mut answer);
    let text = String::from_utf8_lossy(&answer);
    text.strip_prefix("HTTP/1.1 ")
        .and_then(|t| t.get(..3))
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| TestCaseError::fail(format!("no answer (did a handler panic?): {text:?}")))
}

/// The admin's pages over sockets, on both backends: a bureau account is
/// refused them; an admin registers, re-keys and revokes kiosks (asked
/// again first) and adds, unlocks and re-passwords accounts; a form
/// without its CSRF token changes nothing; each change is audited.
/// A signed-in person's requests to the pages: no redirects followed
/// (a redirect's `Location` is what is checked), every status handed back.
struct Pages {
    agent: ureq::Agent,
    url: String,
}

impl Pages {
    fn new(url: &str) -> Pages {
        let agent = ureq::Agent::config_builder().http_status_as_error(false).max_redirects(0).build().new_agent();
        Pages { agent, url: url.to_string() }
    }

    fn get(&self, path: &str, session: &str) -> (u16, String) {
        let mut r = self.agent.get(&format!("{}{path}", self.url)).header("Cookie", session).call().unwrap();
        (r.status().as_u16(), r.body_mut().read_to_string().unwrap())
    }

    /// The session's CSRF token, from a page's forms.
    fn csrf(&self, session: &str) -> String {
        let (_, html) = self.get("/overview", session);
        html.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string()
    }

    /// A multipart form posted as a browser sends it: the text fields,
    /// then the `file` named `name`; the status and the body.
    fn upload(&self, path: &str, session: &str, fields: &[(&str, &str)], name: &str, content: &[u8]) -> (u16, String) {
        let boundary = "----dutyclock-test-7b1c";
        let mut body = Vec::new();
        for (k, v) in fields {
            body.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").bytes());
        }
        body.extend(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n")
                .bytes(),
        );
        body.extend_from_slice(content);
        body.extend(format!("\r\n--{boundary}--\r\n").bytes());
        let mut r = self
            .agent
            .post(&format!("{}{path}", self.url))
            .header("Cookie", session)
            .header("Content-Type", &format!("multipart/form-data; boundary={boundary}"))
            .send(&body[..])
            .unwrap();
        (r.status().as_u16(), r.body_mut().read_to_string().unwrap())
    }

    /// A form posted: the status, the body and the redirect's `Location`.
    fn post(&self, path: &str, session: &str, fields: &[(&str, &str)]) -> (u16, String, String) {
        let mut r = self
            .agent
            .post(&format!("{}{path}", self.url))
            .header("Cookie", session)
            .send_form(fields.to_vec())
            .unwrap();
        let location = r.headers().get("location").map(|l| l.to_str().unwrap().to_string()).unwrap_or_default();
        (r.status().as_u16(), r.body_mut().read_to_string().unwrap(), location)
    }
}

#[test]
fn the_admins_pages_for_kiosks_and_accounts() {
    for backend in BACKENDS {
        let mut c = Central::new(backend);
        c.kiosk("hall-1", &["区党政办公室"]);
        for u in ["区统计局", "区档案馆", "区财政局"] {
            c.ok(&["unit", "add", u]);
        }
        c.user("root", "admin", "admin password");
        c.user("alice", "bureau", "correct horse");
        c.start();
        let pages = Pages::new(&c.url);
        let a = &pages.agent;
        let get_page = |path: &str, session: &str| pages.get(path, session);
        let csrf_of = |session: &str| pages.csrf(session);
        let post = |path: &str, session: &str, fields: &[(&str, &str)]| pages.post(path, session, fields);
        // A bureau account reads, and is refused the admin's pages and forms.
        let alice = sign_in(&c, "alice", "correct horse");
        let alice_csrf = csrf_of(&alice);
        let (st, html) = get_page("/admin/kiosks", &alice);
        assert!(st == 403 && html.contains("只对管理员账户开放"), "{st} {html}");
        assert!(!get_page("/overview", &alice).1.contains("/admin/kiosks"), "no admin link for the bureau");
        for path in ["/admin/users", "/admin/kiosks"] {
            assert_eq!(get_page(path, &alice).0, 403, "{path}");
        }
        let (st, ..) = post("/admin/kiosks", &alice, &[("csrf", &alice_csrf), ("id", "x"), ("units", "y")]);
        assert_eq!(st, 403);
        let (st, ..) = post(
            "/admin/users",
            &alice,
            &[("csrf", &alice_csrf), ("name", "eve"), ("role", "admin"), ("password", "long enough")],
        );
        assert_eq!(st, 403);
        for path in [
            "/admin/users/root/password",
            "/admin/users/root/unlock",
            "/admin/kiosks/hall-1/revoke",
            "/admin/kiosks/hall-1/token",
        ] {
            let (st, ..) =
                post(path, &alice, &[("csrf", &alice_csrf), ("confirm", "yes"), ("password", "alice owns root now")]);
            assert_eq!(st, 403, "{path}");
        }
        // Without a session: to the login page, the body never read.
        for path in ["/admin/kiosks", "/admin/users"] {
            let r = a.get(&format!("{}{path}", c.url)).call().unwrap();
            assert_eq!(r.status().as_u16(), 303, "{path}");
        }
        let r = a.post(&format!("{}/admin/users/root/password", c.url)).send("password=x".as_bytes()).unwrap();
        assert_eq!((r.status().as_u16(), r.headers().get("location").unwrap().to_str().unwrap()), (303, "/login"));
        // Nothing was changed by the refusals.
        assert!(!c.ok(&["kiosk", "list"]).contains("\nx\t") && !c.ok(&["kiosk", "list"]).starts_with("x\t"));
        // The admin.
        let root = sign_in(&c, "root", "admin password");
        let csrf = csrf_of(&root);
        let (st, html) = get_page("/admin/kiosks", &root);
        assert!(st == 200 && html.contains("hall-1") && html.contains("区党政办公室"), "{html}");
        // Without the session's token: a readable refusal, nothing stored.
        for token in ["", "forged"] {
            let (st, html, _) =
                post("/admin/kiosks", &root, &[("csrf", token), ("id", "hall-9"), ("units", "区档案馆")]);
            assert!(st == 403 && html.contains("CSRF 令牌不属于当前会话") && html.contains("没有做任何更改"), "{html}");
        }
        assert!(!c.ok(&["kiosk", "list"]).contains("hall-9"));
        // Register: the token is shown once (kept in no cache) and works.
        let r = a
            .post(&format!("{}/admin/kiosks", c.url))
            .header("Cookie", &root)
            .send_form([("csrf", csrf.as_str()), ("id", "hall-8"), ("units", "区统计局")])
            .unwrap();
        assert_eq!(r.headers().get("cache-control").unwrap(), "no-store");
        // Units are ticked from the district's list: one not on it (a
        // typo) is refused, naming it, and nothing is registered.
        let (st, html, _) = post(
            "/admin/kiosks",
            &root,
            &[("csrf", &csrf), ("id", "hall-9"), ("units", "区档案馆"), ("units", "区档案官")],
        );
        assert!(st == 400 && html.contains("&quot;区档案官&quot; 不在单位清单中"), "{st} {html}");
        let (st, html, _) = post(
            "/admin/kiosks",
            &root,
            &[("csrf", &csrf), ("id", "hall-9"), ("units", "区档案馆"), ("units", "区财政局")],
        );
        assert_eq!(st, 200, "{html}");
        let token = html.split("<code class=\"token\">").nth(1).unwrap().split('<').next().unwrap().to_string();
        assert!(token.starts_with("dck_"), "{token}");
        // Kiosk ids go into URLs: only ASCII letters, digits, '.', '_', '-'.
        for bad in ["../x", "a/b", ".", "区档案馆"] {
            let (st, html, _) = post("/admin/kiosks", &root, &[("csrf", &csrf), ("id", bad), ("units", "区统计局")]);
            assert!(st == 400 && html.contains("kiosk id"), "{bad}: {html}");
        }
        let today = "2026-11-20";
        let s = summary("hall-9", today, 1, &[("0301", "赵六", "区档案馆", 0)]);
        assert_eq!(put(&agent(), &c.url, "hall-9", today, Some(&token), &body(&s)).0, 201);
        // A unit is one kiosk's; a bad id is said.
        let (st, html, _) = post("/admin/kiosks", &root, &[("csrf", &csrf), ("id", "hall-10"), ("units", "区财政局")]);
        assert!(st == 400 && html.contains("already served by kiosk hall-9"), "{html}");
        let (st, html, _) = post("/admin/kiosks", &root, &[("csrf", &csrf), ("id", " "), ("units", "区财政局")]);
        assert!(st == 400 && html.contains("kiosk id"), "{html}");
        // Revoke: asked first (nothing happens), then done.
        let (st, html, _) = post("/admin/kiosks/hall-9/revoke", &root, &[("csrf", &csrf)]);
        assert!(
            st == 200 && html.contains("停用终端 hall-9？") && html.contains("name=\"confirm\" value=\"yes\""),
            "{html}"
        );
        let s2 = summary("hall-9", today, 2, &[("0301", "赵六", "区档案馆", 5)]);
        assert_eq!(put(&agent(), &c.url, "hall-9", today, Some(&token), &body(&s2)).0, 201, "not revoked yet");
        let (st, _, location) = post("/admin/kiosks/hall-9/revoke", &root, &[("csrf", &csrf), ("confirm", "yes")]);
        assert_eq!((st, location.as_str()), (303, "/admin/kiosks"));
        let s3 = summary("hall-9", today, 3, &[("0301", "赵六", "区档案馆", 0)]);
        assert_eq!(put(&agent(), &c.url, "hall-9", today, Some(&token), &body(&s3)).0, 401, "revoked");
        // Its units are free now; back into service with a new token.
        let (st, html, _) = post("/admin/kiosks/hall-9/token", &root, &[("csrf", &csrf), ("confirm", "yes")]);
        assert_eq!(st, 200, "{html}");
        let token2 = html.split("<code class=\"token\">").nth(1).unwrap().split('<').next().unwrap().to_string();
        assert_eq!(put(&agent(), &c.url, "hall-9", today, Some(&token2), &body(&s3)).0, 201);
        assert_eq!(put(&agent(), &c.url, "hall-9", today, Some(&token), &body(&s3)).0, 401, "the old token is gone");
        let (st, html, _) = post("/admin/kiosks/nope/token", &root, &[("csrf", &csrf), ("confirm", "yes")]);
        assert!(st == 400 && html.contains("no kiosk nope"), "{html}");
        // Accounts: a short password is said; a good one signs in.
        let (st, html, _) =
            post("/admin/users", &root, &[("csrf", &csrf), ("name", "bob"), ("role", "bureau"), ("password", "short")]);
        assert!(st == 400 && html.contains("at least 8"), "{html}");
        let (st, html, _) = post(
            "/admin/users",
            &root,
            &[("csrf", &csrf), ("name", "bob"), ("role", "boss"), ("password", "long enough")],
        );
        assert!(st == 400 && html.contains("bureau, admin or inspector"), "{html}");
        let (st, ..) = post(
            "/admin/users",
            &root,
            &[("csrf", &csrf), ("name", "bob"), ("role", "bureau"), ("password", "bob's password")],
        );
        assert_eq!(st, 303);
        let bob = sign_in(&c, "bob", "bob's password");
        let (st, html, _) = post(
            "/admin/users",
            &root,
            &[("csrf", &csrf), ("name", ".."), ("role", "bureau"), ("password", "long enough")],
        );
        assert!(st == 400 && html.contains("not allowed"), "{html}");
        let bob_token = c.ok(&["user", "token", "bob"]).trim().to_string();
        assert_eq!(get(&agent(), &format!("{}/api/v1/kiosks", c.url), &bob_token).0, 200);
        // Five wrong passwords lock bob; the admin sees it and unlocks.
        let wrong = || {
            let mut form = a.get(&format!("{}/login", c.url)).call().unwrap();
            let cookie =
                form.headers().get("set-cookie").unwrap().to_str().unwrap().split(';').next().unwrap().to_string();
            let page = form.body_mut().read_to_string().unwrap();
            let t = page.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
            a.post(&format!("{}/login", c.url))
                .header("Cookie", &cookie)
                .send_form([("username", "bob"), ("password", "wrong"), ("csrf", &t)])
                .unwrap()
                .status()
                .as_u16()
        };
        for _ in 0..5 {
            wrong();
        }
        assert_eq!(wrong(), 401, "locked: answered as any wrong password");
        let (_, html) = get_page("/admin/users", &root);
        let bob_row = table_rows(&html).into_iter().find(|r| r[0] == "bob").unwrap();
        assert!(bob_row[2].starts_with("已锁定至"), "{bob_row:?}");
        let (st, ..) = post("/admin/users/bob/unlock", &root, &[("csrf", &csrf)]);
        assert_eq!(st, 303);
        sign_in(&c, "bob", "bob's password");
        // A new password ends bob's sessions; the new one signs in.
        let (st, ..) = post("/admin/users/bob/password", &root, &[("csrf", &csrf), ("password", "bob's new password")]);
        assert_eq!(st, 303);
        assert_eq!(get_page("/overview", &bob).0, 303, "bob's old session ended");
        assert_eq!(get(&agent(), &format!("{}/api/v1/kiosks", c.url), &bob_token).0, 401, "and his script token");
        sign_in(&c, "bob", "bob's new password");
        // The command line's way back in: a new password (stdin), unlock.
        let o = c.cli(&["user", "password", "bob"], "bob's third password\n");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        sign_in(&c, "bob", "bob's third password");
        let o = c.cli(&["user", "password", "bob"], "short\n");
        assert_eq!(o.status.code(), Some(2), "{}", String::from_utf8_lossy(&o.stderr));
        assert!(c.ok(&["user", "unlock", "bob"]).contains("unlocked"));
        let o = c.cli(&["kiosk", "add", "../x", "--units", "u"], "");
        assert!(o.status.code() == Some(2) && String::from_utf8_lossy(&o.stderr).contains("kiosk id"));
        // The logout's refusal is the same readable page.
        let (st, html, _) = post("/logout", &root, &[("csrf", "forged")]);
        assert!(st == 403 && html.contains("CSRF 令牌不属于当前会话"), "{html}");
        // Every change in the audit log, by who made it.
        let audit = c.ok(&["audit"]);
        for line in [
            "root\tkiosk add\thall-9 units 区档案馆, 区财政局",
            "root\tkiosk revoke\thall-9",
            "root\tkiosk token\thall-9",
            "root\tuser add\tbob bureau",
            "root\tuser unlock\tbob",
            "root\tuser password\tbob",
            "cli\tuser password\tbob",
            "cli\tuser unlock\tbob",
        ] {
            assert!(audit.contains(line), "{line}: {audit}");
        }
    }
}

/// Units in three levels (区 → 镇 → 村): the overview shows the top
/// units with their branches rolled up and drills down with `under=`;
/// the report's unit filter and its 通报 draft cover a branch; the API
/// keeps `unit=` for one unit and takes `branch=` for a branch; a card
/// of the overview leads to the people behind it. Bad levels and kinds
/// are 400s naming the parameter.
#[test]
fn units_in_three_levels_roll_up_and_drill_down() {
    let today = chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive().to_string();
    for backend in BACKENDS {
        let mut c = Central::new(backend);
        c.ok(&["unit", "add", "城关镇"]);
        c.ok(&["unit", "add", "东村", "--parent", "城关镇"]);
        c.ok(&["unit", "add", "西村", "--parent", "城关镇"]);
        // 南村 is set up without a kiosk yet.
        c.ok(&["unit", "add", "南村", "--parent", "城关镇"]);
        let k1 = c.kiosk("k1", &["城关镇"]);
        let k2 = c.kiosk("k2", &["东村"]);
        let k3 = c.kiosk("k3", &["财务科"]);
        c.kiosk("k4", &["西村"]);
        c.user("alice", "bureau", "correct horse");
        c.start();
        let a = agent();
        for (k, token, people) in [
            ("k1", &k1, vec![("0001", "镇长", "城关镇", 5)]),
            ("k2", &k2, vec![("0101", "村甲", "东村", 20), ("0102", "村乙", "东村", 0)]),
            ("k3", &k3, vec![("0201", "科员", "财务科", 0)]),
        ] {
            let mut s = summary(k, &today, 1, &people);
            if k == "k2" {
                s["people"][1]["status"] = "absent".into();
                s["people"][1]["absent_sessions"] = 2.into();
                s["people"][1]["punches"] = serde_json::json!([]);
            }
            assert_eq!(put(&a, &c.url, k, &today, Some(token), &body(&s)).0, 201, "{backend:?}");
        }
        let session = sign_in(&c, "alice", "correct horse");
        let page = |path: &str| {
            let a = ureq::Agent::config_builder().http_status_as_error(false).build().new_agent();
            let mut r = a.get(&format!("{}{path}", c.url)).header("Cookie", &session).call().unwrap();
            (r.status().as_u16(), r.body_mut().read_to_string().unwrap())
        };
        // 村甲 worked at the town office the day before (moved): in the
        // branch's report he is one person.
        let before =
            (chrono::NaiveDate::parse_from_str(&today, "%Y-%m-%d").unwrap() - chrono::Duration::days(1)).to_string();
        let s = summary("k1", &before, 1, &[("0101", "村甲", "城关镇", 0)]);
        assert_eq!(put(&a, &c.url, "k1", &before, Some(&k1), &body(&s)).0, 201, "{backend:?}");
        // The top: 城关镇 with its villages summed (3 expected, 2 late, one
        // absent), 西村's silent kiosk its own and said; 财务科 as it is.
        let (st, html) = page(&format!("/overview?date={today}"));
        assert_eq!(st, 200, "{html}");
        let rows = table_rows(&html);
        assert_eq!(rows[0][..7], ["城关镇 ›", "3", "2", "2", "—", "2", "—"], "{backend:?}: {rows:?}");
        assert_eq!(rows[0][11], "2 个单位无数据；未上报：k4", "{backend:?}: partly without data, said");
        assert_eq!(rows[1][..2], ["财务科", "1"], "{backend:?}");
        let town = format!("under={}", enc("城关镇"));
        assert!(html.contains(&format!("href=\"/overview?date={today}&amp;{town}\"")), "drills down: {html}");
        // Down a level: the town's own staff, then each village; 西村 no data.
        let (st, html) = page(&format!("/overview?date={today}&{town}"));
        assert_eq!(st, 200, "{html}");
        let rows = table_rows(&html);
        let names: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
        assert_eq!(names, ["东村", "城关镇（本级）", "南村", "西村"], "{backend:?}: no data last");
        assert_eq!((rows[2][1].as_str(), rows[2][2].as_str()), ("无数据", "未配置终端"), "{rows:?}");
        assert_eq!((rows[3][1].as_str(), rows[3][2].as_str()), ("无数据", "未上报：k4"), "{rows:?}");
        assert!(html.contains("全区</a> › <strong>城关镇</strong>"), "the breadcrumb: {html}");
        assert!(
            html.contains(&format!("/report.docx?period=this-month&amp;unit={}", enc("城关镇"))),
            "the branch's draft"
        );
        // The files of a level are its rows.
        let (_, csv) = page(&format!("/overview.csv?date={today}&{town}"));
        assert_eq!(csv.lines().count(), 5, "{csv}");
        assert!(csv.contains("南村,,,,,,,,,,,无数据；未配置终端"), "{csv}");
        assert_eq!(page(&format!("/overview?date={today}&under={}", enc("城关"))).0, 400, "not a unit");
        // The overview's 旷工 card: who was absent, with their unit.
        assert!(html.contains(&format!("href=\"/exceptions?date={today}&amp;kind=absent&amp;{town}\"")), "{html}");
        let (st, html) = page(&format!("/exceptions?date={today}&kind=absent"));
        assert_eq!(st, 200, "{html}");
        let rows = table_rows(&html);
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(rows[0][..4], ["东村", "0102", "村乙", "旷工"], "{backend:?}");
        assert_eq!(rows[0][9], "无打卡");
        let (_, late) = page(&format!("/exceptions?date={today}&kind=late&{town}"));
        let late: Vec<String> = table_rows(&late).into_iter().map(|r| r[2].clone()).collect();
        assert_eq!(late, ["村甲", "镇长"], "{backend:?}: the branch's late, by unit");
        let (st, bad) = page(&format!("/exceptions?date={today}&kind=asleep"));
        assert!(st == 400 && bad.contains("kind: &quot;asleep&quot;"), "{st} {bad}");
        // The report: at the top 城关镇 rolls up; filtered to it, its
        // villages and its own staff; the API: unit= one unit, branch= all.
        let (_, html) = page(&format!("/report?period=range&from={today}&to={today}"));
        let units: Vec<String> = nth_table_rows(&html, 0).into_iter().map(|r| r[1].clone()).collect();
        assert_eq!(units, ["城关镇", "财务科"], "{backend:?}");
        let (_, html) = page(&format!("/report?period=range&from={today}&to={today}&unit={}", enc("城关镇")));
        let units: Vec<String> = nth_table_rows(&html, 0).into_iter().map(|r| r[1].clone()).collect();
        assert_eq!(units, ["东村", "城关镇（本级）"], "{backend:?}");
        assert!(html.contains(&format!("format=csv&amp;branch={}", enc("城关镇"))), "the files are the branch's");
        let token = c.ok(&["user", "token", "alice"]).trim().to_string();
        let api = |q: &str| {
            let (st, json) = get(&agent(), &format!("{}/api/v1/report?from={today}&to={today}&{q}", c.url), &token);
            assert_eq!(st, 200, "{q}: {json}");
            let v: Value = serde_json::from_str(&json).unwrap();
            v["people"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap().to_string()).collect::<Vec<_>>()
        };
        assert_eq!(api(&format!("unit={}", enc("城关镇"))), ["镇长"], "{backend:?}: one unit");
        let mut branch = api(&format!("branch={}", enc("城关镇")));
        branch.sort();
        assert_eq!(branch, ["村乙", "村甲", "镇长"], "{backend:?}: the branch");
        // Over both days 村甲 is one row, in his latest unit, both days summed.
        let (_, json) = get(
            &agent(),
            &format!("{}/api/v1/report?from={before}&to={today}&branch={}", c.url, enc("城关镇")),
            &token,
        );
        let v: Value = serde_json::from_str(&json).unwrap();
        let jia: Vec<&Value> = v["people"].as_array().unwrap().iter().filter(|p| p["staff_no"] == "0101").collect();
        assert_eq!(jia.len(), 1, "{backend:?}: one row for a person who moved within the branch: {v}");
        assert_eq!((jia[0]["unit"].as_str(), jia[0]["days_expected"].as_u64()), (Some("东村"), Some(2)), "{v}");
        // The period picker without script: a radio changed wins over the
        // dates the form still carries; dates edited under the same radio
        // are a range.
        let (_, html) = page(&format!("/report?shown=this-month&period=last-month&from={today}&to={today}"));
        assert!(!html.contains(&format!("期间：{today} — {today}")), "上月 chosen, not the old dates");
        assert!(html.contains("value=\"last-month\" checked"), "{html}");
        let (_, html) = page(&format!("/report?shown=this-month&period=this-month&from={today}&to={today}"));
        let first = format!("{}-01", &today[..7]);
        let edited = today != first;
        assert_eq!(html.contains("value=\"range\" checked"), edited, "dates edited under 本月 are 自定");
        let (st, json) =
            get(&agent(), &format!("{}/api/v1/report?from={today}&to={today}&unit=a&branch=b", c.url), &token);
        assert!(st == 400 && json.contains("\"field\":\"branch\""), "{st} {json}");
        // The branch's 通报 draft has its people, not the others'.
        let a = ureq::Agent::config_builder().http_status_as_error(false).build().new_agent();
        let mut r = a
            .get(&format!("{}/report.docx?period=range&from={today}&to={today}&unit={}", c.url, enc("城关镇")))
            .header("Cookie", &session)
            .call()
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
        let text = dutyclock::central::bulletin::text_of(&r.body_mut().read_to_vec().unwrap()).unwrap().join("\n");
        assert!(text.contains("村乙") && text.contains("镇长") && !text.contains("科员"), "{backend:?}: {text}");
        assert!(c.ok(&["audit"]).contains("城关镇 and units under it"), "{backend:?}");
    }
}

/// The report page ranks the first 200 persons and says how many there
/// are, with the files for all of them (a province's 100,000 rows would
/// make a page nobody reads); the files have every person.
#[test]
fn the_report_page_shows_the_worst_persons_and_the_files_have_all() {
    let today = chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive().to_string();
    let mut c = Central::new(Backend::Sqlite);
    let k1 = c.kiosk("k1", &["办公室"]);
    c.user("alice", "bureau", "correct horse");
    c.start();
    let names: Vec<(String, String)> = (0..205).map(|i| (format!("{i:04}"), format!("员工{i}"))).collect();
    let people: Vec<(&str, &str, &str, u32)> = names
        .iter()
        .enumerate()
        .map(|(i, (no, name))| (no.as_str(), name.as_str(), "办公室", (i % 7) as u32))
        .collect();
    assert_eq!(put(&agent(), &c.url, "k1", &today, Some(&k1), &body(&summary("k1", &today, 1, &people))).0, 201);
    let session = sign_in(&c, "alice", "correct horse");
    let a = ureq::Agent::config_builder().http_status_as_error(false).build().new_agent();
    let mut r = a
        .get(&format!("{}/report?period=range&from={today}&to={today}", c.url))
        .header("Cookie", &session)
        .call()
        .unwrap();
    let html = r.body_mut().read_to_string().unwrap();
    let persons = nth_table_rows(&html, 1);
    assert_eq!(persons.len(), 200, "the first 200");
    // 175 were late (all but every seventh): ranked first, then the rest.
    assert!(persons[174][7].starts_with("1 次"), "{:?}", persons[174]);
    assert_eq!(persons[175][7], "—", "{:?}", persons[175]);
    assert!(html.contains("前 200 名，共 205 人"), "{html}");
    let csv = html
        .split("href=\"/api/v1/report?")
        .skip(1)
        .map(|l| l.split('"').next().unwrap().replace("&amp;", "&"))
        .find(|l| l.ends_with("format=csv"))
        .unwrap();
    let mut r = a.get(&format!("{}/api/v1/report?{csv}", c.url)).header("Cookie", &session).call().unwrap();
    let text = r.body_mut().read_to_string().unwrap();
    let in_file = text.lines().filter(|l| l.contains(",员工")).count();
    assert_eq!(in_file, 205, "every person in the file");
}

/// The district's units (SPEC "Master data"): `unit add NAME [--parent
/// UNIT]` and `unit list`. A unit named by a kiosk's registration is
/// added with it; a known unit, an unknown parent and a bad name are
/// refused with exit 2, naming them, and change nothing; each addition is
/// in the audit log; a database from before units were kept gets the
/// kiosks' units when it is opened.
#[test]
fn units_are_added_listed_and_refused_by_name() {
    for backend in BACKENDS {
        let c = Central::new(backend);
        c.kiosk("k1", &["办公室", "财务科"]);
        assert!(c.ok(&["unit", "add", "出纳组", "--parent", "财务科"]).contains("unit 出纳组 added under 财务科"));
        c.ok(&["unit", "add", "档案室"]);
        // Code point order on both backends (a locale's collation would
        // put "alpha" before "Zeta").
        c.ok(&["unit", "add", "alpha"]);
        c.ok(&["unit", "add", "Zeta"]);
        let refused = |args: &[&str], words: &str| {
            let o = c.cli(args, "");
            let err = String::from_utf8_lossy(&o.stderr).to_string();
            assert_eq!(o.status.code(), Some(2), "{backend:?} {args:?}: {err}");
            assert!(err.contains(words), "{backend:?} {args:?}: {err}");
        };
        refused(&["unit", "add", "出纳组"], "unit 出纳组");
        refused(&["unit", "add", "稽核组", "--parent", "审计科"], "parent unit 审计科 is not known");
        refused(&["unit", "add", "a\u{7}b"], "no control characters");
        let list = c.ok(&["unit", "list"]);
        let lines: Vec<Vec<&str>> = list.lines().map(|l| l.split('\t').collect()).collect();
        let names: Vec<&str> = lines.iter().map(|l| l[0]).collect();
        assert_eq!(names, ["Zeta", "alpha", "出纳组", "办公室", "档案室", "财务科"], "{backend:?}: {list}");
        let line = |name: &str| lines.iter().find(|l| l[0] == name).unwrap().clone();
        assert_eq!(line("出纳组")[1..3], ["财务科", "no kiosk"], "{backend:?}");
        assert_eq!(line("办公室")[1..3], ["-", "k1"], "{backend:?}");
        assert!(line("办公室")[3].starts_with("added by kiosk k1 "), "{backend:?}: {list}");
        assert!(line("档案室")[3].starts_with("added by cli "), "{backend:?}: {list}");
        let audit = c.ok(&["audit"]);
        assert!(audit.contains("unit add") && audit.contains("出纳组 under 财务科"), "{backend:?}: {audit}");
        // A database from before units were kept (the schema version
        // before them).
        let unversioned = match backend {
            Backend::Sqlite => "DROP TABLE units; PRAGMA user_version = 2",
            Backend::Postgres => "DROP TABLE units; UPDATE schema_version SET version = 4",
        };
        central::sql(&c, unversioned);
        let list = c.ok(&["unit", "list"]);
        let names: Vec<&str> = list.lines().map(|l| l.split('\t').next().unwrap()).collect();
        assert_eq!(names, ["办公室", "财务科"], "{backend:?}: the kiosks' units are back: {list}");
    }
}

/// GET with a token; the status, the body and whether it was JSON.
fn get_json(url: &str, token: &str) -> (u16, Value) {
    let (st, text) = get(&agent(), url, token);
    (st, serde_json::from_str(&text).unwrap_or(Value::Null))
}

#[test]
fn master_data_reaches_only_its_units_a_move_reaches_both_and_summaries_name_only_its_people() {
    for backend in BACKENDS {
        let mut c = Central::new(backend);
        let office = c.kiosk("office", &["办公室"]);
        let finance = c.kiosk("finance", &["财务科"]);
        let door = c.ok(&["kiosk", "add", "door", "--doors-for", "办公室", "--name", "侧门"]).trim().to_string();
        let file = c.tmp.path().join("staff.csv");
        std::fs::write(
            &file,
            "staff_no,name,unit,cards,active_from\n0012,张三,办公室,0100ABCDEF,2026-01-01\n0021,王五,财务科,0100000021,2026-01-01\n",
        )
        .unwrap();
        c.ok(&["staff", "import", file.to_str().unwrap()]);
        // A row naming a unit the district does not have: refused, naming the place.
        let bad = c.tmp.path().join("bad.csv");
        std::fs::write(&bad, "staff_no,name,unit\n0031,赵六,审计科\n").unwrap();
        let o = c.cli(&["staff", "import", bad.to_str().unwrap()], "");
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{backend:?}: {err}");
        assert!(err.contains("bad.csv:2") && err.contains("审计科"), "{backend:?}: {err}");
        c.start();
        let feed = |token: &str, kiosk: &str, since: &str| {
            get_json(&format!("{}/api/v1/kiosks/{kiosk}/master?since={since}", c.url), token)
        };
        let kinds = |v: &Value| -> Vec<String> {
            v["changes"].as_array().unwrap().iter().map(|ch| format!("{} {}", ch["kind"], ch["staff_no"])).collect()
        };
        let (st, office_feed) = feed(&office, "office", "0");
        assert_eq!(st, 200, "{backend:?}: {office_feed}");
        assert_eq!(kinds(&office_feed), ["\"person\" \"0012\"", "\"card\" \"0012\""], "{backend:?}");
        assert_eq!(office_feed["changes"][0]["made_by"], "cli");
        let (_, door_feed) = feed(&door, "door", "0");
        assert_eq!(kinds(&door_feed), kinds(&office_feed), "{backend:?}: a door gets its units' people");
        let (_, finance_feed) = feed(&finance, "finance", "0");
        assert_eq!(kinds(&finance_feed), ["\"person\" \"0021\"", "\"card\" \"0021\""], "{backend:?}");
        // Nothing new: 304. A bad version, another kiosk's path, no token: refused.
        let version = office_feed["version"].as_u64().unwrap();
        assert_eq!(feed(&office, "office", &version.to_string()).0, 304, "{backend:?}");
        let (st, e) = feed(&office, "office", "x");
        assert_eq!((st, e["field"].as_str()), (400, Some("since")), "{backend:?}: {e}");
        assert_eq!(feed(&office, "finance", "0").0, 401, "{backend:?}");
        assert_eq!(feed("", "office", "0").0, 401, "{backend:?}");
        let (st, e) = get_json(&format!("{}/api/v1/kiosks/office/peer-punches?since=door", c.url), &office);
        assert_eq!((st, e["field"].as_str()), (400, Some("since")), "{backend:?}: {e}");

        // The bureau's leave and roster reach the person's unit.
        let leave = c.tmp.path().join("leave.csv");
        std::fs::write(&leave, "staff_no,kind,from,to\n0021,病假,2026-12-02 08:30,2026-12-20 17:30\n").unwrap();
        c.ok(&["leave", "import", leave.to_str().unwrap()]);
        let roster = c.tmp.path().join("roster.csv");
        std::fs::write(&roster, "staff_no,date,start,end\n0012,2026-12-06,09:00,12:00\n0077,2026-12-06,09:00,12:00\n")
            .unwrap();
        let o = c.cli(&["roster", "import", roster.to_str().unwrap()], "");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            o.status.code() == Some(2) && err.contains("roster.csv:3") && err.contains("0077"),
            "{backend:?}: {err}"
        );
        let since = finance_feed["version"].as_u64().unwrap();
        let (_, sick) = feed(&finance, "finance", &since.to_string());
        assert_eq!(sick["changes"][0]["kind"], "leave", "{backend:?}: {sick}");
        assert_eq!(sick["changes"][0]["leave_kind"], "病假");
        assert_eq!(sick["changes"][0]["from"], "2026-12-02T08:30:00");
        let finance_feed = sick;
        // The district's schedules: a summer timetable for every kiosk.
        let rules = c.tmp.path().join("rules.toml");
        std::fs::write(&rules, "[schedules.default]\nsessions = [{ start = \"12:00\", end = \"08:30\" }]\n").unwrap();
        let o = c.cli(&["rules", "import", rules.to_str().unwrap()], "");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            o.status.code() == Some(2) && err.contains("rules.toml") && err.contains("schedules.default"),
            "{backend:?}: {err}"
        );
        std::fs::write(
            &rules,
            "[schedules.default]\nsessions = [{ start = \"08:30\", end = \"12:00\" }, { start = \"14:30\", end = \"17:30\" }]\n\
             [[schedules.default.seasons]]\nfrom = \"05-01\"\nto = \"09-30\"\n\
             sessions = [{ start = \"08:30\", end = \"12:00\" }, { start = \"15:00\", end = \"18:00\" }]\n",
        )
        .unwrap();
        c.ok(&["rules", "import", rules.to_str().unwrap()]);
        let (_, summer) = feed(&finance, "finance", &finance_feed["version"].as_u64().unwrap().to_string());
        assert_eq!(summer["changes"][0]["kind"], "rules", "{backend:?}: {summer}");
        assert_eq!(summer["changes"][0]["schedules"]["default"]["seasons"][0]["from"], "05-01");
        let finance_feed = summer;
        // 张三 moves to 财务科 from 2026-12-01: the office's kiosks get
        // him ended the day before, finance gets him and his card.
        std::fs::write(&file, "staff_no,name,unit,active_from\n0012,张三,财务科,2026-12-01\n").unwrap();
        let o = c.cli(&["staff", "import", file.to_str().unwrap()], "");
        assert!(String::from_utf8_lossy(&o.stderr).contains("0012 moves from 办公室 to 财务科 on 2026-12-01"));
        let (_, moved) = feed(&office, "office", &version.to_string());
        // Besides the district's schedules, the office's kiosks get him ended.
        let theirs: Vec<&Value> =
            moved["changes"].as_array().unwrap().iter().filter(|c| c["kind"] != "rules").collect();
        let ended = theirs[0];
        assert_eq!((ended["unit"].as_str(), ended["active_until"].as_str()), (Some("办公室"), Some("2026-11-30")));
        assert_eq!(theirs.len(), 1, "{backend:?}: {moved}");
        let (_, gained) = feed(&finance, "finance", finance_feed["version"].as_u64().unwrap().to_string().as_str());
        assert_eq!(kinds(&gained), ["\"person\" \"0012\"", "\"card\" \"0012\""], "{backend:?}: {gained}");
        assert_eq!(gained["changes"][0]["active_from"], "2026-12-01");

        // A summary names only people central has in the kiosk's units that day.
        let ok = summary("office", "2026-11-30", 1, &[("0012", "张三", "办公室", 0)]);
        assert_eq!(put(&agent(), &c.url, "office", "2026-11-30", Some(&office), &body(&ok)).0, 201, "{backend:?}");
        let late = summary("office", "2026-12-01", 1, &[("0012", "张三", "办公室", 0)]);
        let (st, text) = put(&agent(), &c.url, "office", "2026-12-01", Some(&office), &body(&late));
        assert_eq!(st, 403, "{backend:?}: {text}");
        assert!(text.contains("people[0].staff_no") && text.contains("0012"), "{backend:?}: {text}");
        // A unit central keeps no people of is the kiosk's own business.
        let own = summary("finance", "2026-11-20", 1, &[("0099", "无名", "出纳组", 0)]);
        c.ok(&["unit", "add", "出纳组"]);
        central::sql(&c, "UPDATE kiosks SET units = '[\"财务科\",\"出纳组\"]' WHERE id = 'finance'");
        let (st, text) = put(&agent(), &c.url, "finance", "2026-11-20", Some(&finance), &body(&own));
        assert_eq!(st, 201, "{backend:?}: {text}");
        let stranger = summary("finance", "2026-12-01", 1, &[("0099", "无名", "财务科", 0)]);
        let (st, text) = put(&agent(), &c.url, "finance", "2026-12-01", Some(&finance), &body(&stranger));
        assert_eq!(st, 403, "{backend:?}: {text}");
        c.stop();
    }
}

#[test]
fn an_admin_adds_edits_moves_ends_and_gives_cards_to_people_on_the_pages() {
    for backend in BACKENDS {
        let mut c = Central::new(backend);
        let office = c.kiosk("office", &["办公室"]);
        let finance = c.kiosk("finance", &["财务科"]);
        let hall = c.kiosk("hall", &["区党政办公室"]);
        c.user("root", "admin", "admin password");
        c.user("alice", "bureau", "correct horse");
        c.start();
        let pages = Pages::new(&c.url);
        let get_page = |path: &str, session: &str| pages.get(path, session);
        let csrf_of = |session: &str| pages.csrf(session);
        let post = |path: &str, session: &str, fields: &[(&str, &str)]| {
            let (st, html, _) = pages.post(path, session, fields);
            (st, html)
        };
        let changes = || -> Vec<Value> {
            let (st, text) = get(&agent(), &format!("{}/api/v1/kiosks/office/master?since=0", c.url), &office);
            assert_eq!(st, 200, "{text}");
            serde_json::from_str::<Value>(&text).unwrap()["changes"].as_array().unwrap().clone()
        };
        // A bureau account reads the pages' links nowhere and is refused.
        let alice = sign_in(&c, "alice", "correct horse");
        let alice_csrf = csrf_of(&alice);
        assert_eq!(get_page("/admin/people?unit=办公室", &alice).0, 403);
        let add = [("unit", "办公室"), ("staff_no", "0012"), ("name", "张三"), ("role", "head"), ("pin", "2468")];
        let mut fields = add.to_vec();
        fields.push(("csrf", &alice_csrf));
        assert_eq!(post("/admin/people", &alice, &fields).0, 403);

        let root = sign_in(&c, "root", "admin password");
        let csrf = csrf_of(&root);
        let mut fields = add.to_vec();
        fields.extend([
            ("csrf", csrf.as_str()),
            ("active_from", "2026-01-01"),
            ("card", "0100ABCDEF"),
            ("schedule", ""),
        ]);
        assert_eq!(post("/admin/people", &root, &fields).0, 303, "{backend:?}");
        let (_, html) = get_page("/admin/people?unit=%E5%8A%9E%E5%85%AC%E5%AE%A4", &root);
        assert!(
            html.contains("张三") && html.contains("0100ABCDEF") && html.contains("2026-01-01"),
            "{backend:?}: {html}"
        );
        let made = changes();
        assert_eq!(made.len(), 2, "{backend:?}: {made:?}");
        assert_eq!((made[0]["kind"].as_str(), made[0]["made_by"].as_str()), (Some("person"), Some("root")));
        assert!(made[0]["pin_hash"].as_str().unwrap().starts_with("$argon2"), "{made:?}");
        // The same staff number again, a PIN for a staff member, a bad card: refused, nothing stored.
        assert_eq!(post("/admin/people", &root, &fields).0, 400);
        let (st, html) = post(
            "/admin/people/0012",
            &root,
            &[("csrf", &csrf), ("action", "edit"), ("name", "张三"), ("role", "staff"), ("pin", "1234")],
        );
        assert!(st == 400 && html.contains("only for role head or admin"), "{backend:?}: {st} {html}");
        let (st, html) =
            post("/admin/people/0012", &root, &[("csrf", &csrf), ("action", "card"), ("card", "not a card!")]);
        assert_eq!(st, 400, "{backend:?}: {html}");
        assert_eq!(changes().len(), 2, "{backend:?}: nothing stored by the refusals");
        // Edited (the PIN kept), given a card, moved, ended.
        let edit = [
            ("csrf", csrf.as_str()),
            ("action", "edit"),
            ("name", "张三丰"),
            ("role", "head"),
            ("schedule", "default"),
        ];
        assert_eq!(post("/admin/people/0012", &root, &edit).0, 303);
        let made = changes();
        assert_eq!(made[2]["name"], "张三丰");
        assert_eq!(made[2]["pin_hash"], made[0]["pin_hash"], "{backend:?}: an empty PIN keeps it");
        assert_eq!(
            post(
                "/admin/people/0012",
                &root,
                &[("csrf", &csrf), ("action", "card"), ("card", "0100000099"), ("date", "2026-12-01")]
            )
            .0,
            303
        );
        assert_eq!(changes()[3]["from"], "2026-12-01");
        assert_eq!(
            post(
                "/admin/people/0012",
                &root,
                &[("csrf", &csrf), ("action", "move"), ("unit", "财务科"), ("date", "2026-12-10")]
            )
            .0,
            303
        );
        let moved = changes();
        let last = moved.last().unwrap();
        assert_eq!(
            (last["unit"].as_str(), last["active_until"].as_str()),
            (Some("办公室"), Some("2026-12-09")),
            "{moved:?}"
        );
        let (_, page) = get_page("/admin/people/0012", &root);
        assert!(page.contains("财务科") && page.contains("2026-12-10"), "{backend:?}: {page}");
        // A photo: checked as the kiosk's import checks one, set on both
        // stints (the unit they are leaving shows it until they go), and
        // given to the kiosks of those units only.
        let before = changes().len();
        let (st, html) =
            pages.upload("/admin/people/0012/photo", &root, &[("csrf", &csrf)], "photo.png", b"GIF89a not a photo");
        assert!(st == 400 && html.contains("photo.png: not a JPEG or PNG image"), "{backend:?}: {st} {html}");
        assert_eq!(pages.upload("/admin/people/0012/photo", &root, &[("csrf", "forged")], "p.png", b"x").0, 403);
        assert_eq!(changes().len(), before, "{backend:?}: nothing stored by the refusals");
        let png = photo::portrait_png_bytes();
        let (st, html) = pages.upload("/admin/people/0012/photo", &root, &[("csrf", &csrf)], "张三.png", &png);
        assert_eq!(st, 303, "{backend:?}: {html}");
        let made = changes();
        let name = made.last().unwrap()["photo"].as_str().unwrap().to_string();
        assert!(name.len() == 68 && name.ends_with(".png"), "{name}");
        let (_, page) = get_page("/admin/people/0012", &root);
        assert!(page.contains(&format!("/admin/photos/{name}")), "{backend:?}: {page}");
        let photo_at = |path: &str, auth: (&str, &str)| {
            let mut r = pages.agent.get(&format!("{}{path}", c.url)).header(auth.0, auth.1).call().unwrap();
            let kind = r.headers().get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
            let cache = r.headers().get("cache-control").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
            (r.status().as_u16(), kind, cache, r.body_mut().read_to_vec().unwrap())
        };
        let (st, kind, cache, bytes) = photo_at(&format!("/admin/photos/{name}"), ("Cookie", &root));
        assert_eq!((st, kind.as_str(), cache.as_str(), bytes == png), (200, "image/png", "no-store", true));
        assert_eq!(photo_at(&format!("/admin/photos/{name}"), ("Cookie", &alice)).0, 403);
        for (token, want) in [(&office, 200), (&finance, 200), (&hall, 404)] {
            let kiosk = if token == &office {
                "office"
            } else if token == &finance {
                "finance"
            } else {
                "hall"
            };
            let bearer = format!("Bearer {token}");
            let (st, _, _, bytes) =
                photo_at(&format!("/api/v1/kiosks/{kiosk}/photos/{name}"), ("Authorization", &bearer));
            assert_eq!(st, want, "{backend:?}: {kiosk}");
            assert!(st != 200 || bytes == png);
        }
        // A name that is not a photo's is never looked up, let alone read as a path.
        let bearer = format!("Bearer {office}");
        assert_eq!(photo_at("/api/v1/kiosks/office/photos/..%2Fcentral.sqlite3", ("Authorization", &bearer)).0, 404);
        // An edit keeps it (the edit is of their stint in 财务科, where
        // they are going: that unit's kiosk receives it).
        let kept =
            [("csrf", csrf.as_str()), ("action", "edit"), ("name", "张三峰"), ("role", "head"), ("schedule", "")];
        assert_eq!(post("/admin/people/0012", &root, &kept).0, 303);
        let (st, text) = get(&agent(), &format!("{}/api/v1/kiosks/finance/master?since=0", c.url), &finance);
        assert_eq!(st, 200, "{text}");
        let feed: Value = serde_json::from_str(&text).unwrap();
        let last = feed["changes"].as_array().unwrap().iter().rev().find(|c| c["kind"] == "person").unwrap().clone();
        assert_eq!(
            (last["name"].as_str(), last["photo"].as_str()),
            (Some("张三峰"), Some(name.as_str())),
            "{backend:?}"
        );
        assert_eq!(
            post("/admin/people/0012", &root, &[("csrf", &csrf), ("action", "end"), ("date", "2026-12-31")]).0,
            303
        );
        let audit = c.ok(&["audit"]);
        assert!(audit.contains("person change"), "{backend:?}: {audit}");

        // The files the kiosk takes, uploaded (multipart, as a browser sends them).
        let upload = |session: &str, token: &str, kind: &str, name: &str, content: &[u8]| {
            pages.upload("/admin/files", session, &[("csrf", token), ("kind", kind)], name, content)
        };
        // The kiosk's templates, from the import page.
        let (_, files) = get_page("/admin/files", &root);
        assert!(files.contains("/admin/templates/staff.xlsx") && files.contains("/admin/templates/leave.csv"));
        let template = |file: &str, session: &str| {
            let mut r =
                pages.agent.get(&format!("{}/admin/templates/{file}", c.url)).header("Cookie", session).call().unwrap();
            let kind = r.headers().get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
            (r.status().as_u16(), kind, r.body_mut().read_to_vec().unwrap())
        };
        let (st, kind, csv) = template("staff.csv", &root);
        assert_eq!((st, kind.as_str()), (200, "text/csv; charset=utf-8"));
        assert!(String::from_utf8(csv).unwrap().starts_with("\u{feff}staff_no,name,unit,cards,"));
        let rules = "[schedules.default]\nduty_kinds = [\"公出\", \"驻村\"]\n";
        let (st, html) = upload(&root, &csrf, "rules", "作息.toml", rules.as_bytes());
        assert_eq!(st, 200, "{backend:?}: {html}");
        let (st, _, xlsx) = template("leave.xlsx", &root);
        assert_eq!(st, 200);
        let mut book: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(xlsx)).unwrap();
        use calamine::Reader;
        let help = book.worksheet_range("说明").unwrap();
        let text: Vec<String> = help.rows().flatten().map(|c| c.to_string()).collect();
        assert!(text.contains(&"驻村".to_string()), "the district's duty kinds are offered: {text:?}");
        assert!(text.iter().any(|t| t.contains("dutyclock-central leave import")), "{text:?}");
        assert_eq!(template("punches.csv", &root).0, 400, "punches are the door's");
        // The same from the command line.
        assert!(c.ok(&["template", "roster"]).starts_with("\u{feff}staff_no,date,start,end"));
        let refused = c.cli(&["template", "punches"], "");
        assert_eq!(refused.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&refused.stderr).contains("imported at the kiosk"));
        assert_eq!(template("staff.csv", &alice).0, 403);
        let staff = "staff_no,name,unit,cards\n0031,赵六,财务科,0100000031\n0032,钱七,审计科,\n".as_bytes();
        let before = changes().len();
        let (st, html) = upload(&root, &csrf, "staff", "名单.csv", staff);
        assert!(st == 400 && html.contains("名单.csv:3") && !html.contains("dutyclock-upload"), "{backend:?}: {html}");
        assert_eq!(upload(&root, "forged", "staff", "名单.csv", staff).0, 403);
        assert_eq!(upload(&alice, &alice_csrf, "staff", "名单.csv", staff).0, 403);
        // Bigger than a form (16 KiB): a real district's list.
        let mut good = String::from_utf8(staff[..staff.len() - "0032,钱七,审计科,\n".len()].to_vec()).unwrap();
        for i in 0..600 {
            good.push_str(&format!("{:04},财务科职员{i},财务科,\n", 5000 + i));
        }
        assert!(good.len() > 20_000);
        let (st, html) = upload(&root, &csrf, "staff", "名单.csv", good.as_bytes());
        assert!(st == 200 && html.contains("已导入"), "{backend:?}: {st} {html}");
        let (_, list) = get_page("/admin/people?unit=%E8%B4%A2%E5%8A%A1%E7%A7%91", &root);
        assert!(list.contains("赵六"), "{backend:?}");
        let year = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/holiday-cn/2026.json")).unwrap();
        let (st, html) = upload(&root, &csrf, "calendar", "2026.json", &year);
        assert_eq!(st, 200, "{backend:?}: {html}");
        let after = changes();
        assert_eq!(
            after.len(),
            before + 1,
            "{backend:?}: the calendar reaches every kiosk, the finance people not the office"
        );
        assert_eq!((after[before]["kind"].as_str(), after[before]["year"].as_u64()), (Some("calendar"), Some(2026)));
        c.stop();
    }
}

/// A person moved back to a unit they left starts there again from the
/// move (a kiosk keeps one period a person: never the unit's earlier
/// stint stretched over the time they were elsewhere); a photo set then
/// goes to the stints still open, and the latest stays the latest.
#[test]
fn a_person_moved_back_starts_again_from_the_move_and_a_photo_leaves_the_latest_stint_so() {
    use dutyclock::central::master;
    let c = Central::new(Backend::Sqlite);
    c.kiosk("office", &["办公室"]);
    c.kiosk("finance", &["财务科"]);
    let s = c.storage();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let at = |d: &str| {
        let day: chrono::NaiveDate = d.parse().unwrap();
        dutyclock::domain::time::local_to_instant(chrono_tz::Asia::Shanghai, day.and_hms_opt(10, 0, 0).unwrap())
    };
    let import = |unit: &str, schedule: &str, now: &str| {
        let f = c.tmp.path().join(format!("staff-{now}.csv"));
        std::fs::write(&f, format!("staff_no,name,unit,schedule\n0012,张三,{unit},{schedule}\n")).unwrap();
        rt.block_on(master::import_staff(&*s, &f, true, "test", at(now))).unwrap()
    };
    import("办公室", "shift", "2026-01-01");
    import("财务科", "shift", "2026-06-01");
    let o = import("办公室", "shift", "2026-09-01");
    assert!(o.notes.iter().any(|n| n.contains("moves from 财务科 to 办公室 on 2026-09-01")), "{:?}", o.notes);
    let stints = rt.block_on(master::Stints::load(&*s, None)).unwrap();
    let day = |d: &str| d.parse::<chrono::NaiveDate>().unwrap();
    let unit_on = |d: &str| {
        ["办公室", "财务科"]
            .into_iter()
            .filter(|u| stints.on("0012", &[u.to_string()], day(d)).is_some())
            .collect::<Vec<_>>()
    };
    assert_eq!(unit_on("2026-03-01"), Vec::<&str>::new(), "the first stint in 办公室 gave way to the one from 09-01");
    assert_eq!(unit_on("2026-07-01"), ["财务科"]);
    assert_eq!(unit_on("2026-09-01"), ["办公室"]);
    assert_eq!(stints.latest("0012").unwrap().unit, "办公室");
    // A photo on 2026-09-02: only the open stint takes it (the ordering of
    // `latest` itself is the unit test's in `central::master`).
    let name = dutyclock::files::staff::photo_name(&photo::portrait_png_bytes()).unwrap();
    let o = rt.block_on(master::set_photo(&*s, "0012", &name, "test", at("2026-09-02"))).unwrap();
    assert_eq!(o.changed, 1);
    let stints = rt.block_on(master::Stints::load(&*s, None)).unwrap();
    let latest = stints.latest("0012").unwrap();
    assert_eq!((latest.unit.as_str(), latest.photo.as_deref()), ("办公室", Some(name.as_str())));
    // Schedules that leave out one people are on: taken, and said.
    let rules = c.tmp.path().join("rules.toml");
    std::fs::write(&rules, "[schedules.default]\n").unwrap();
    let o = rt.block_on(master::import_rules(&*s, &rules, "test", at("2026-09-02"))).unwrap();
    assert!(o.notes.iter().any(|n| n.contains("schedule \"shift\" is not in the file")), "{:?}", o.notes);
    // With the district's schedules kept, a 值班 session across the day
    // start (04:00) is refused naming its line, as the kiosk refuses it.
    let roster = c.tmp.path().join("roster.csv");
    std::fs::write(&roster, "staff_no,date,start,end\n0012,2026-09-03,09:00,12:00\n0012,2026-09-04,20:00,05:00\n")
        .unwrap();
    let e = rt.block_on(master::import_roster(&*s, &roster, "test", at("2026-09-02"))).unwrap_err();
    assert!(e.to_string().contains("roster.csv:3: 20:00–05:00 crosses the day start 04:00"), "{e}");
    // A leave across the move reaches both units' kiosks; one after it,
    // the new unit's only.
    let leave = c.tmp.path().join("leave.csv");
    std::fs::write(
        &leave,
        "staff_no,kind,from,to\n0012,出差,2026-08-30 08:30,2026-09-02 17:30\n0012,病假,2026-09-10 08:30,2026-09-10 17:30\n",
    )
    .unwrap();
    rt.block_on(master::import_leave(&*s, &leave, "test", at("2026-09-02"))).unwrap();
    let leave_in = |unit: &str| -> Vec<String> {
        rt.block_on(s.master_since(&[unit.to_string()], 0, 100))
            .unwrap()
            .into_iter()
            .filter(|r| r.kind == "leave")
            .map(|r| serde_json::from_str::<Value>(&r.content).unwrap()["leave_kind"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(leave_in("财务科"), ["出差"]);
    assert_eq!(leave_in("办公室"), ["出差", "病假"]);

    // 李四, in 办公室 since 2020, is moved to 财务科 from 06-01 on 05-20;
    // a 值班 session of 06-10 and a leave ending at 06-01 00:00 are
    // imported; the same day the move is undone.
    let file = |name: &str, text: &str| {
        let f = c.tmp.path().join(name);
        std::fs::write(&f, text).unwrap();
        f
    };
    let li = file("li.csv", "staff_no,name,unit,active_from\n0013,李四,办公室,2020-01-01\n");
    rt.block_on(master::import_staff(&*s, &li, true, "test", at("2026-01-01"))).unwrap();
    let away = file("away.csv", "staff_no,name,unit,active_from\n0013,李四,财务科,2026-06-01\n");
    rt.block_on(master::import_staff(&*s, &away, true, "test", at("2026-05-20"))).unwrap();
    let duty = file("duty.csv", "staff_no,date,start,end\n0013,2026-06-10,09:00,12:00\n");
    rt.block_on(master::import_roster(&*s, &duty, "test", at("2026-05-20"))).unwrap();
    let off = file("off.csv", "staff_no,kind,from,to\n0013,事假,2026-05-29 08:30,2026-06-01 00:00\n");
    rt.block_on(master::import_leave(&*s, &off, "test", at("2026-05-20"))).unwrap();
    let kinds_in = |unit: &str, kind: &str| -> usize {
        let rows = rt.block_on(s.master_since(&[unit.to_string()], 0, 1000)).unwrap();
        rows.iter().filter(|r| r.kind == kind && r.content.contains("\"0013\"")).count()
    };
    assert_eq!((kinds_in("财务科", "roster"), kinds_in("办公室", "roster")), (1, 0), "the session is in 财务科's time");
    assert_eq!(
        (kinds_in("财务科", "leave"), kinds_in("办公室", "leave")),
        (0, 1),
        "a leave to 06-01 00:00 ends on 05-31"
    );
    let back = file("back.csv", "staff_no,name,unit\n0013,李四,办公室\n");
    rt.block_on(master::import_staff(&*s, &back, true, "test", at("2026-05-20"))).unwrap();
    let stints = rt.block_on(master::Stints::load(&*s, None)).unwrap();
    let li = stints.latest("0013").unwrap();
    assert_eq!((li.unit.as_str(), li.active_from, li.active_until), ("办公室", Some(day("2020-01-01")), None));
    assert!(stints.on("0013", &["财务科".to_string()], day("2026-06-10")).is_none());
    assert_eq!(kinds_in("办公室", "roster"), 1, "the session followed them back");
}

/// A summary naming no rules version or chain position (its kiosk declared
/// no rules) is unjudgeable from its upload on, in the upload's own
/// transaction: the re-judging is not woken to read it back (issue 25).
#[test]
fn a_summary_without_rules_is_unjudgeable_from_its_upload() {
    for backend in BACKENDS {
        let mut c = Central::new(backend);
        let k1 = c.kiosk("k1", &["办公室"]);
        let bureau = c.user("bureau", "bureau", "bureau password");
        c.start();
        let a = agent();
        for (date, rev) in [("2026-11-02", 1), ("2026-11-02", 2), ("2026-11-03", 1)] {
            let body = serde_json::to_vec(&summary("k1", date, rev, &[("0001", "张三", "办公室", 0)])).unwrap();
            assert_eq!(put(&a, &c.url, "k1", date, Some(&k1), &body).0, 201);
        }
        let (_, text) = get(&a, &format!("{}/api/v1/kiosks", c.url), &bureau);
        let kiosks: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            kiosks[0]["rejudged"],
            json!({"checked": 0, "differing": 0, "waiting": 0, "unjudgeable": 3}),
            "{backend:?}: {text}"
        );
        // Said by the upload (when it was received), not by a pass after.
        let by_upload = central::rows_text(
            &c,
            "SELECT CAST(count(*) AS TEXT) FROM rejudged j JOIN summaries s
             ON s.kiosk_id = j.kiosk_id AND s.date = j.date AND s.revision = j.revision
             WHERE j.judged_at = s.received_at",
        );
        assert_eq!(by_upload.trim(), "3", "{backend:?}");
    }
}
