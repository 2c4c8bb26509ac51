//! `cargo bench --bench central --features central` (PostgreSQL through
//! `bash deploy/with-postgres.sh cargo bench --bench central --features central`):
//! the real `dutyclock-central` on loopback, for each backend: 200 kiosks ×
//! 250 days of closed summaries (25 people each, 5,000 staff) uploaded by
//! 32 concurrent clients → summaries a second and the p99 latency of an
//! upload; then the quarter's report over the 5,000 staff → ms (median of
//! 3). The last lines: `<backend>: ingest_per_s=… ingest_p99_ms=… quarter_report_ms=…`.
//! Without DUTYCLOCK_TEST_PG only SQLite runs, and it says so.
//!
//! `DUTYCLOCK_BENCH_KIOSKS` and `DUTYCLOCK_BENCH_DAYS` shrink a run.

#[path = "../tests/common/central.rs"]
mod central;

use std::sync::{Arc, Mutex};
use std::time::Instant as Mono;

use central::{agent, get, put, summary, Backend, Central};
use dutyclock::central::{auth, storage::Storage};

const CLIENTS_DEFAULT: usize = 32;
const PEOPLE: usize = 25;

fn env_or(key: &str, default: usize) -> usize {
    std::env::var(key).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

/// Registers the kiosks (kiosk i serves 单位i); returns their tokens.
fn register(c: &Central, kiosks: usize, pg_url: Option<&str>) -> Vec<String> {
    let storage: Box<dyn Storage> = match pg_url {
        Some(url) => Box::new(dutyclock::central::postgres::Postgres::connect(url, 4).unwrap()),
        None => Box::new(dutyclock::central::sqlite::Sqlite::open(&c.sqlite_path()).unwrap()),
    };
    runtime().block_on(async {
        let mut tokens = Vec::new();
        for i in 0..kiosks {
            let t = auth::new_secret("dck_");
            storage.add_kiosk(&format!("k{i:03}"), &[format!("单位{i}")], &auth::digest(&t), 0).await.unwrap();
            tokens.push(t);
        }
        tokens
    })
}

fn percentile(mut ms: Vec<f64>, q: f64) -> f64 {
    ms.sort_by(|a, b| a.total_cmp(b));
    ms[((ms.len() as f64 - 1.0) * q).round() as usize]
}

fn run(backend: Backend, kiosks: usize, days: usize) -> String {
    let clients = env_or("DUTYCLOCK_BENCH_CLIENTS", CLIENTS_DEFAULT);
    let mut c = Central::new(backend);
    let pg_url = c.database_url();
    let tokens = register(&c, kiosks, pg_url.as_deref());
    let reader = c.user("bench", "bureau", "bench password");
    c.start();
    let first = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    // Bodies made before the clock starts.
    let bodies: Vec<Vec<(String, Vec<u8>)>> = (0..kiosks)
        .map(|k| {
            let unit = format!("单位{k}");
            let names: Vec<(String, String)> =
                (0..PEOPLE).map(|p| (format!("{k:03}{p:02}"), format!("员工{k}-{p}"))).collect();
            (0..days)
                .map(|d| {
                    let date = (first + chrono::Duration::days(d as i64)).to_string();
                    let people: Vec<(&str, &str, &str, u32)> = names
                        .iter()
                        .enumerate()
                        .map(|(p, (no, name))| {
                            (no.as_str(), name.as_str(), unit.as_str(), ((k + p + d) % 17 == 0) as u32 * 7)
                        })
                        .collect();
                    (date.clone(), serde_json::to_vec(&summary(&format!("k{k:03}"), &date, 1, &people)).unwrap())
                })
                .collect()
        })
        .collect();
    let bodies = Arc::new(bodies);
    let tokens = Arc::new(tokens);
    let latencies = Arc::new(Mutex::new(Vec::with_capacity(kiosks * days)));
    let started = Mono::now();
    let workers: Vec<_> = (0..clients)
        .map(|w| {
            let (bodies, tokens, latencies, url) = (bodies.clone(), tokens.clone(), latencies.clone(), c.url.clone());
            std::thread::spawn(move || {
                let a = agent();
                let mut mine = Vec::new();
                for k in (w..bodies.len()).step_by(clients) {
                    for (date, b) in &bodies[k] {
                        let t = Mono::now();
                        let (st, text) = put(&a, &url, &format!("k{k:03}"), date, Some(&tokens[k]), b);
                        assert_eq!(st, 201, "{text}");
                        mine.push(t.elapsed().as_secs_f64() * 1000.0);
                    }
                }
                latencies.lock().unwrap().extend(mine);
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    let secs = started.elapsed().as_secs_f64();
    let latencies = latencies.lock().unwrap().clone();
    let n = latencies.len();
    let per_s = n as f64 / secs;
    let (p50, p99) = (percentile(latencies.clone(), 0.5), percentile(latencies, 0.99));
    println!("  {n} uploads by {clients} clients in {secs:.1} s: {per_s:.0}/s, p50 {p50:.1} ms, p99 {p99:.1} ms");
    // The quarter's report over every staff member.
    let (from, to) = (first, first + chrono::Duration::days(89.min(days as i64 - 1)));
    let a = agent();
    let mut times = Vec::new();
    for _ in 0..3 {
        let t = Mono::now();
        let (st, text) = get(&a, &format!("{}/api/v1/report?from={from}&to={to}", c.url), &reader);
        assert_eq!(st, 200, "{text}");
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["people"].as_array().unwrap().len(), kiosks * PEOPLE);
    }
    let report_ms = percentile(times, 0.5);
    println!("  quarter report {from}..{to} over {} staff: {report_ms:.0} ms (median of 3)", kiosks * PEOPLE);
    format!("ingest_per_s={per_s:.0} ingest_p99_ms={p99:.1} quarter_report_ms={report_ms:.0}")
}

fn main() {
    let kiosks = env_or("DUTYCLOCK_BENCH_KIOSKS", 200);
    let days = env_or("DUTYCLOCK_BENCH_DAYS", 250);
    println!(
        "{kiosks} kiosks × {days} days, {PEOPLE} people each, {} clients (goals: ≥ 1000/s, p99 ≤ 50 ms, quarter ≤ 1 s)",
        env_or("DUTYCLOCK_BENCH_CLIENTS", CLIENTS_DEFAULT)
    );
    let mut lines = Vec::new();
    for (backend, name) in [(Backend::Sqlite, "sqlite"), (Backend::Postgres, "postgres")] {
        if backend == Backend::Postgres && std::env::var("DUTYCLOCK_TEST_PG").is_err() {
            println!("postgres: not measured (no DUTYCLOCK_TEST_PG: run through deploy/with-postgres.sh)");
            continue;
        }
        println!("{name}:");
        lines.push(format!("{name}: {}", run(backend, kiosks, days)));
    }
    for l in lines {
        println!("{l}");
    }
}
