//! `cargo bench --features central --bench central_load` (PostgreSQL too
//! through `bash deploy/with-postgres.sh cargo bench --features central
//! --bench central_load`): the real `dutyclock-central` on loopback under
//! a district's worst morning. 500 kiosks each upload a closed day every
//! 2 s (250 uploads a second), first alone (the baseline), then while 50
//! bureau sessions each open a report page, a unit's day or the API's
//! report every second and 100 clients send bogus logins as fast as they
//! are answered, each from its own address. Goals: the uploads' p99 ≤ 100
//! ms under load, and no upload or read fails (bogus logins get 401, 429
//! or 503 by design). The readers' and the flood's client threads run at
//! the lowest CPU priority (nice 19): they stand for other machines, and
//! must not take this machine's cores from the server they measure.
//!
//! The last line per backend: `<backend>: baseline_upload_p50_ms=…
//! baseline_upload_p99_ms=… upload_p50_ms=… upload_p99_ms=… read_p50_ms=…
//! read_p99_ms=… reads=… logins=… login_statuses=… failures=…`. Clients
//! and server share this machine's cores: the figures include the
//! clients' own CPU.
//!
//! `DUTYCLOCK_BENCH_KIOSKS`, `DUTYCLOCK_BENCH_ROUNDS`, `DUTYCLOCK_BENCH_READERS`
//! and `DUTYCLOCK_BENCH_BOGUS` change a run (to see which load costs what).

#[path = "../tests/common/central.rs"]
mod central;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use central::{put, sign_in, summary, Backend, Central};

const PEOPLE: usize = 20;
const READERS: usize = 50;
const BOGUS: usize = 100;

fn readers() -> usize {
    env_or("DUTYCLOCK_BENCH_READERS", READERS)
}

fn bogus() -> usize {
    env_or("DUTYCLOCK_BENCH_BOGUS", BOGUS)
}
const PERIOD: Duration = Duration::from_secs(2);

fn env_or(key: &str, default: usize) -> usize {
    std::env::var(key).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn percentile(ms: &mut [f64], q: f64) -> f64 {
    if ms.is_empty() {
        return f64::NAN;
    }
    ms.sort_by(|a, b| a.total_cmp(b));
    ms[((ms.len() as f64 - 1.0) * q).round() as usize]
}

/// Percent-encodes a path segment.
fn enc(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

fn client() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .new_agent()
}

/// Each kiosk uploads `rounds` days, one every PERIOD, starting at its own
/// offset within the first period: the latencies in ms, and the failures.
fn uploads(c: &Central, tokens: &[String], first_day: u32, rounds: usize) -> (Vec<f64>, Vec<String>) {
    let latencies = Mutex::new(Vec::new());
    let failures = Mutex::new(Vec::new());
    let start = Instant::now();
    std::thread::scope(|sc| {
        for (i, token) in tokens.iter().enumerate() {
            let (latencies, failures) = (&latencies, &failures);
            sc.spawn(move || {
                let a = client();
                let kiosk = format!("k{i:03}");
                let people: Vec<(String, String)> =
                    (0..PEOPLE).map(|p| (format!("{i:03}{p:02}"), format!("员工{i}-{p}"))).collect();
                let unit = format!("单位{i}");
                let offset = PERIOD.mul_f64(i as f64 / tokens.len() as f64);
                for r in 0..rounds {
                    let due = start + offset + PERIOD * r as u32;
                    std::thread::sleep(due.saturating_duration_since(Instant::now()));
                    let date = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()
                        + chrono::Days::new(u64::from(first_day) + r as u64);
                    let ps: Vec<(&str, &str, &str, u32)> =
                        people.iter().map(|(n, m)| (n.as_str(), m.as_str(), unit.as_str(), (r % 3) as u32)).collect();
                    let body = serde_json::to_vec(&summary(&kiosk, &date.to_string(), 1, &ps)).unwrap();
                    let t = Instant::now();
                    let (st, text) = put(&a, &c.url, &kiosk, &date.to_string(), Some(token), &body);
                    let ms = t.elapsed().as_secs_f64() * 1000.0;
                    latencies.lock().unwrap().push(ms);
                    if st != 201 {
                        failures.lock().unwrap().push(format!("upload {kiosk} {date}: {st} {text}"));
                    }
                }
            });
        }
    });
    (latencies.into_inner().unwrap(), failures.into_inner().unwrap())
}

fn run(backend: Backend, kiosks: usize, rounds: usize) -> String {
    let mut c = Central::new(backend);
    let tokens = c.bulk_kiosks(kiosks, "单位");
    c.user("bench", "bureau", "bench password");
    c.start();
    // Some history to read: the baseline's days.
    let (mut baseline, failed) = uploads(&c, &tokens, 0, rounds);
    assert!(failed.is_empty(), "baseline: {failed:?}");
    let (b50, b99) = (percentile(&mut baseline, 0.5), percentile(&mut baseline, 0.99));
    println!("  baseline: {} uploads alone: p50 {b50:.1} ms, p99 {b99:.1} ms", baseline.len());

    let sessions: Vec<String> = (0..readers()).map(|_| sign_in(&c, "bench", "bench password")).collect();
    let stop = AtomicBool::new(false);
    let reads = Mutex::new(Vec::new());
    let failures = Mutex::new(Vec::new());
    let logins = Mutex::new(BTreeMap::<u16, usize>::new());
    let login_count = AtomicUsize::new(0);
    let last = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() + chrono::Days::new(rounds as u64 - 1);
    let (up, up_failed) = std::thread::scope(|sc| {
        for (n, session) in sessions.iter().enumerate() {
            let (stop, reads, failures, c) = (&stop, &reads, &failures, &c);
            sc.spawn(move || {
                dutyclock::central::listener::lower_priority(19);
                let a = client();
                let paths = [
                    format!("/report?period=range&from=2026-01-01&to={last}"),
                    format!("/units/{}?date={last}", enc(&format!("单位{}", n % kiosks))),
                    format!("/api/v1/report?from=2026-01-01&to={last}"),
                ];
                let mut i = n;
                while !stop.load(Ordering::Relaxed) {
                    let t = Instant::now();
                    let path = &paths[i % paths.len()];
                    match a.get(&format!("{}{path}", c.url)).header("Cookie", session).call() {
                        Ok(mut r) => {
                            let st = r.status().as_u16();
                            let _ = r.body_mut().with_config().limit(u64::MAX).read_to_vec();
                            reads.lock().unwrap().push(t.elapsed().as_secs_f64() * 1000.0);
                            if st != 200 {
                                failures.lock().unwrap().push(format!("read {path}: {st}"));
                            }
                        }
                        Err(e) => failures.lock().unwrap().push(format!("read {path}: {e}")),
                    }
                    i += 1;
                    std::thread::sleep(Duration::from_secs(1).saturating_sub(t.elapsed()));
                }
            });
        }
        for n in 0..bogus() {
            let (stop, logins, login_count, failures, c) = (&stop, &logins, &login_count, &failures, &c);
            sc.spawn(move || {
                dutyclock::central::listener::lower_priority(19);
                let a = client();
                let mut form = a.get(&format!("{}/login", c.url)).call().unwrap();
                let cookie =
                    form.headers().get("set-cookie").unwrap().to_str().unwrap().split(';').next().unwrap().to_string();
                let page = form.body_mut().read_to_string().unwrap();
                let csrf = page.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
                let from = format!("10.9.{}.{}", n / 256, n % 256);
                while !stop.load(Ordering::Relaxed) {
                    let r = a
                        .post(&format!("{}/login", c.url))
                        .header("Cookie", &cookie)
                        .header("X-Forwarded-For", &from)
                        .send_form([
                            ("username", format!("nobody{n}").as_str()),
                            ("password", "guess"),
                            ("csrf", &csrf),
                        ]);
                    login_count.fetch_add(1, Ordering::Relaxed);
                    match r {
                        Ok(r) => {
                            let st = r.status().as_u16();
                            *logins.lock().unwrap().entry(st).or_default() += 1;
                            if ![401, 429, 503].contains(&st) {
                                failures.lock().unwrap().push(format!("login: {st}"));
                            }
                        }
                        Err(e) => failures.lock().unwrap().push(format!("login: {e}")),
                    }
                }
            });
        }
        // Let the readers and the flood get going, then the kiosks.
        std::thread::sleep(Duration::from_secs(2));
        let result = uploads(&c, &tokens, rounds as u32, rounds);
        stop.store(true, Ordering::Relaxed);
        result
    });
    let mut up = up;
    let (u50, u99) = (percentile(&mut up, 0.5), percentile(&mut up, 0.99));
    let mut reads = reads.into_inner().unwrap();
    let (r50, r99) = (percentile(&mut reads, 0.5), percentile(&mut reads, 0.99));
    let mut failures = failures.into_inner().unwrap();
    failures.extend(up_failed);
    let logins = logins.into_inner().unwrap();
    let statuses: Vec<String> = logins.iter().map(|(s, n)| format!("{s}:{n}")).collect();
    println!(
        "  under load: {} uploads p50 {u50:.1} ms, p99 {u99:.1} ms (goal ≤ 100); {} reads p50 {r50:.0} ms, p99 {r99:.0} ms; {} bogus logins ({}); {} failures{}",
        up.len(),
        reads.len(),
        login_count.load(Ordering::Relaxed),
        statuses.join(" "),
        failures.len(),
        failures.first().map_or(String::new(), |f| format!(", first: {f}"))
    );
    format!(
        "baseline_upload_p50_ms={b50:.1} baseline_upload_p99_ms={b99:.1} upload_p50_ms={u50:.1} upload_p99_ms={u99:.1} read_p50_ms={r50:.0} read_p99_ms={r99:.0} reads={} logins={} login_statuses={} failures={}",
        reads.len(),
        login_count.load(Ordering::Relaxed),
        statuses.join(","),
        failures.len()
    )
}

fn main() {
    let kiosks = env_or("DUTYCLOCK_BENCH_KIOSKS", 500);
    let rounds = env_or("DUTYCLOCK_BENCH_ROUNDS", 5);
    println!(
        "{kiosks} kiosks uploading a {PEOPLE}-person day every {} s for {rounds} rounds, alone and then beside {} bureau sessions (a page a second each) and {} bogus-login clients",
        PERIOD.as_secs(),
        readers(),
        bogus()
    );
    let mut lines = Vec::new();
    for (backend, name) in [(Backend::Sqlite, "sqlite"), (Backend::Postgres, "postgres")] {
        if backend == Backend::Postgres && std::env::var("DUTYCLOCK_TEST_PG").is_err() {
            println!("postgres: not measured (no DUTYCLOCK_TEST_PG: run through deploy/with-postgres.sh)");
            continue;
        }
        println!("{name}:");
        lines.push(format!("{name}: {}", run(backend, kiosks, rounds)));
    }
    for l in lines {
        println!("{l}");
    }
}
