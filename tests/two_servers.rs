//! Two `dutyclock-central serve` processes on one PostgreSQL database, as
//! behind a load balancer (issue 25): an upload sent to both at once is
//! stored once, a session made on one works on the other, the sign-in
//! lockout counts the tries made on both, a kiosk re-keyed on one is
//! refused on the other at once, and the background work is claimed by
//! one of them. The claims themselves on both backends.

#[path = "common/central.rs"]
mod central;

use central::{agent, put, rows_text, runtime, sign_in_at, summary, Backend, Central, BACKENDS};

fn body(v: &serde_json::Value) -> Vec<u8> {
    serde_json::to_vec(v).unwrap()
}

/// A form posted without following redirects: the status and body.
fn post_form(url: &str, session: &str, fields: &[(&str, &str)]) -> (u16, String) {
    let a = ureq::Agent::config_builder().http_status_as_error(false).max_redirects(0).build().new_agent();
    let mut r = a.post(url).header("Cookie", session).send_form(fields.to_vec()).unwrap();
    (r.status().as_u16(), r.body_mut().read_to_string().unwrap())
}

fn get_page(url: &str, session: &str) -> (u16, String) {
    let a = ureq::Agent::config_builder().http_status_as_error(false).max_redirects(0).build().new_agent();
    let mut r = a.get(url).header("Cookie", session).call().unwrap();
    (r.status().as_u16(), r.body_mut().read_to_string().unwrap())
}

/// A sign-in try at `url`: the status (303 signed in, 401 refused).
fn try_password(url: &str, user: &str, password: &str) -> u16 {
    let a = ureq::Agent::config_builder().http_status_as_error(false).max_redirects(0).build().new_agent();
    let mut form = a.get(&format!("{url}/login")).call().unwrap();
    let cookie = form.headers().get("set-cookie").unwrap().to_str().unwrap().split(';').next().unwrap().to_string();
    let page = form.body_mut().read_to_string().unwrap();
    let csrf = page.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    let r = a
        .post(&format!("{url}/login"))
        .header("Cookie", &cookie)
        .send_form([("username", user), ("password", password), ("csrf", csrf.as_str())])
        .unwrap();
    r.status().as_u16()
}

#[test]
fn two_servers_on_one_postgres_act_as_one() {
    let mut c = Central::new(Backend::Postgres);
    let token = c.kiosk("hall-1", &["区档案馆"]);
    c.user("root", "admin", "admin password");
    c.user("alice", "bureau", "correct horse");
    c.start();
    let other = c.another_server();
    let (one, two) = (c.url.clone(), other.url.clone());

    // The same revision sent to both at once: one 201, the other 200
    // (already held), for each of ten revisions.
    for rev in 1..=10 {
        let s = body(&summary("hall-1", "2026-11-26", rev, &[("0301", "赵六", "区档案馆", rev as u32)]));
        let barrier = std::sync::Barrier::new(2);
        let statuses: Vec<u16> = std::thread::scope(|scope| {
            let sends: Vec<_> = [&one, &two]
                .into_iter()
                .map(|url| {
                    let (s, barrier, token) = (&s, &barrier, &token);
                    scope.spawn(move || {
                        let a = agent();
                        barrier.wait();
                        put(&a, url, "hall-1", "2026-11-26", Some(token), s)
                    })
                })
                .collect();
            sends.into_iter().map(|h| h.join().unwrap().0).collect()
        });
        let mut sorted = statuses.clone();
        sorted.sort();
        assert_eq!(sorted, [200, 201], "revision {rev}: {statuses:?}");
    }
    let storage = c.storage();
    let rt = runtime();
    let held = rt.block_on(storage.held_revisions("hall-1")).unwrap();
    assert_eq!(held.len(), 1);
    assert_eq!(held[0].1, 10, "the last revision is the latest");

    // A session made on one server is good on the other.
    let session = sign_in_at(&one, "alice", "correct horse");
    let (st, html) = get_page(&format!("{two}/overview"), &session);
    assert!(st == 200 && html.contains("alice"), "{st}");

    // The lockout counts the tries made on both: five wrong passwords,
    // alternating, and then the right one is refused on either.
    for i in 0..5 {
        let url = if i % 2 == 0 { &one } else { &two };
        assert_eq!(try_password(url, "alice", "wrong horse"), 401, "try {i}");
    }
    assert_eq!(try_password(&one, "alice", "correct horse"), 401, "locked after five tries across both servers");
    assert_eq!(try_password(&two, "alice", "correct horse"), 401, "locked on the other too");

    // A kiosk re-keyed on one server is refused on the other at once.
    let root = sign_in_at(&one, "root", "admin password");
    let (_, page) = get_page(&format!("{one}/overview"), &root);
    let csrf = page.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    let (st, html) =
        post_form(&format!("{one}/admin/kiosks/hall-1/token"), &root, &[("csrf", &csrf), ("confirm", "yes")]);
    assert_eq!(st, 200, "{html}");
    let new_token = html.split("<code class=\"token\">").nth(1).unwrap().split('<').next().unwrap().to_string();
    let s11 = body(&summary("hall-1", "2026-11-26", 11, &[("0301", "赵六", "区档案馆", 0)]));
    assert_eq!(put(&agent(), &two, "hall-1", "2026-11-26", Some(&token), &s11).0, 401, "the old token, at once");
    assert_eq!(put(&agent(), &two, "hall-1", "2026-11-26", Some(&new_token), &s11).0, 201, "the new one");

    // The background work: the pruning is the first server's (it claimed
    // it at its start); the second, started after, found it claimed and
    // did not prune.
    let url = c.database_url().unwrap();
    let holders: Vec<String> = rt.block_on(async {
        let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await.unwrap();
        tokio::spawn(conn);
        let rows = client.query("SELECT holder FROM work_claims WHERE name = 'prune'", &[]).await.unwrap();
        rows.iter().map(|r| r.get(0)).collect()
    });
    let first = format!("{} ", c.pid());
    assert!(holders.len() == 1 && holders[0].starts_with(&first), "the first server's: {holders:?} ({first})");
}

/// `--database-connections` bounds the PostgreSQL connections a server
/// holds (issue 25: on a small database machine, uploads beyond its
/// cores wait in the server): eight kiosks uploading at once through a
/// server given two all have their summaries stored, and the server
/// holds two connections to the database; a pool of none is refused, by
/// the option's name, before or after the command.
#[test]
fn a_server_holds_at_most_the_database_connections_it_is_given() {
    let c = Central::new(Backend::Postgres);
    for args in [["--database-connections", "0", "kiosk", "list"], ["kiosk", "list", "--database-connections", "0"]] {
        let refused = c.cli(&args, "");
        let said = String::from_utf8_lossy(&refused.stderr);
        assert!(!refused.status.success() && said.contains("--database-connections"), "{args:?}: {said}");
    }
    let tokens: Vec<String> = (0..8).map(|k| c.kiosk(&format!("door-{k}"), &[&format!("单位{k}")])).collect();
    let mut c = c.with_args(&["--database-connections", "2"], "http");
    c.start();
    let barrier = std::sync::Barrier::new(tokens.len());
    std::thread::scope(|scope| {
        for (k, token) in tokens.iter().enumerate() {
            let (barrier, url) = (&barrier, &c.url);
            scope.spawn(move || {
                let (a, kiosk) = (agent(), format!("door-{k}"));
                let people: Vec<(String, String)> =
                    (0..50).map(|p| (format!("{k}{p:03}"), format!("员工{p}"))).collect();
                let unit = format!("单位{k}");
                let rows: Vec<(&str, &str, &str, u32)> =
                    people.iter().map(|(no, name)| (no.as_str(), name.as_str(), unit.as_str(), 0)).collect();
                barrier.wait();
                for day in 23..=27 {
                    let date = format!("2026-11-{day}");
                    let (status, text) =
                        put(&a, url, &kiosk, &date, Some(token), &body(&summary(&kiosk, &date, 1, &rows)));
                    assert_eq!(status, 201, "{kiosk} {date}: {text}");
                }
            });
        }
    });
    let stored = rows_text(&c, "SELECT count(*)::text FROM summaries");
    assert_eq!(stored.trim(), "40", "every upload stored");
    // Every connection to the test's own database but this query's: the
    // server's, named or not (the commands above have exited).
    let held = rows_text(
        &c,
        "SELECT count(*)::text || ' ' || string_agg(DISTINCT application_name, ',') FROM pg_stat_activity \
         WHERE datname = current_database() AND pid <> pg_backend_pid()",
    );
    assert_eq!(held.trim(), "2 dutyclock-central", "the server's connections, and their name");
}

/// The claims under the background work, on both backends: of two
/// holders claiming at once one wins; the holder may claim again; a
/// released or run-out claim is anyone's.
#[test]
fn background_work_is_claimed_by_one_holder() {
    for backend in BACKENDS {
        let c = Central::new(backend);
        let s = c.storage();
        let rt = runtime();
        rt.block_on(async {
            for round in 0..20 {
                let work = format!("rejudge k{round}");
                let (a, b) = tokio::join!(s.claim_work(&work, "a", 1_000, 0), s.claim_work(&work, "b", 1_000, 0));
                let (a, b) = (a.unwrap(), b.unwrap());
                assert!(a ^ b, "{backend:?} round {round}: exactly one holder ({a}, {b})");
                let (winner, loser) = if a { ("a", "b") } else { ("b", "a") };
                assert!(s.claim_work(&work, winner, 2_000, 500).await.unwrap(), "the holder again");
                assert!(!s.claim_work(&work, loser, 2_000, 1_999).await.unwrap(), "held until 2000");
                assert!(s.claim_work(&work, loser, 3_000, 2_000).await.unwrap(), "run out");
                s.release_work(&work, winner).await.unwrap(); // not the holder's: kept
                assert!(!s.claim_work(&work, winner, 3_000, 2_500).await.unwrap(), "another's release left it");
                s.release_work(&work, loser).await.unwrap();
                assert!(s.claim_work(&work, winner, 4_000, 2_500).await.unwrap(), "released");
            }
        });
    }
}
