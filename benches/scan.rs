//! `cargo bench --bench scan`: RDM6300 scans through a real pty into the
//! real pipeline (reader thread → core → commit → live event), measured
//! from a frame's last byte written to its `punch` line; against a bare
//! rusqlite insert+commit with the same pragmas on the same disk. Run on
//! an empty store and on one with 5 million punches already stored.
//!
//! `DUTYCLOCK_BENCH_SCANS` and `DUTYCLOCK_BENCH_PREFILL` shrink a run for a
//! quick look; the defaults are the (5,000 scans, 5,000,000 punches).

use std::io::Write;
use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant as Mono};

use dutyclock::domain::config::Config;
use dutyclock::domain::model::{PunchOwner, PunchSource, Staff};
use dutyclock::kiosk::store::Store;
use serialport::{SerialPort, TTYPort};

const CARDS: usize = 500;
const RATE_PER_S: u64 = 20;

fn env_or(key: &str, default: usize) -> usize {
    std::env::var(key).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn card(i: usize) -> [u8; 5] {
    [0x01, 0x00, 0x00, (i >> 8) as u8, i as u8]
}

fn card_hex(i: usize) -> String {
    card(i).iter().map(|b| format!("{b:02X}")).collect()
}

fn frame(id: [u8; 5]) -> Vec<u8> {
    let x = id.iter().fold(0, |a, b| a ^ b);
    let mut f = vec![0x02];
    f.extend(id.iter().chain(std::iter::once(&x)).flat_map(|b| format!("{b:02X}").into_bytes()));
    f.push(0x03);
    f
}

/// Sends the instant each `punch` line is written (`None` for other lines).
struct Stamp(mpsc::Sender<Option<Mono>>, Vec<u8>);

impl Write for Stamp {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.1.extend_from_slice(buf);
        while let Some(nl) = self.1.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.1.drain(..=nl).collect();
            let punch = line.starts_with(b"{\"event\":\"punch\"");
            let _ = self.0.send(punch.then(Mono::now));
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn percentiles(mut ms: Vec<f64>) -> (f64, f64, f64) {
    ms.sort_by(|a, b| a.total_cmp(b));
    let at = |q: f64| ms[((ms.len() as f64 - 1.0) * q).round() as usize];
    (at(0.50), at(0.99), *ms.last().unwrap_or(&0.0))
}

fn prepare(dir: &Path, prefill: usize) -> std::path::PathBuf {
    let db = dir.join("dutyclock.sqlite3");
    let mut store = Store::create(&db).unwrap();
    let mut w = store.writer().unwrap();
    let day = chrono::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap();
    for i in 0..CARDS {
        let s = Staff::plain(format!("{i:04}"), format!("员工{i}"), "办公室");
        w.put_staff(&s, 0).unwrap();
        w.assign_card(&card_hex(i), &s.staff_no, None, day, 0).unwrap();
    }
    w.commit().unwrap();
    // History: punches every 13 s, ending two days ago.
    let end = chrono::Utc::now().timestamp_millis() - 2 * 86_400_000;
    let t = Mono::now();
    let mut done = 0;
    while done < prefill {
        let mut w = store.writer().unwrap();
        for i in done..(done + 50_000).min(prefill) {
            let at = end - (prefill - i) as i64 * 13_000;
            w.add_punch(&PunchOwner::Card(card_hex(i % CARDS)), at, PunchSource::Reader, Some(true), None, at).unwrap();
        }
        w.commit().unwrap();
        done = (done + 50_000).min(prefill);
    }
    if prefill > 0 {
        println!("  prefilled {prefill} punches in {:.0} s", t.elapsed().as_secs_f64());
    }
    db
}

/// Streams `n` scans through a pty into `run_headless`; returns the latencies in ms.
fn scan_run(prefill: usize, n: usize) -> Vec<f64> {
    let dir = tempfile::tempdir().unwrap().keep();
    let db = prepare(&dir, prefill);
    let (mut master, slave) = TTYPort::pair().unwrap();
    let name = slave.name().unwrap();
    let text = format!(
        "kiosk_id = \"bench\"\nunits = [\"办公室\"]\n[reader]\nkind = \"rdm6300\"\ndevice = \"{name}\"\n[schedules.default]\nduplicate_scan_seconds = 0\n"
    );
    let config: &'static Config = Box::leak(Box::new(Config::parse(&text, Path::new("bench.toml")).unwrap()));
    let store = Store::open(&db).unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _keep = slave;
        let mut out = Stamp(tx, Vec::new());
        let _ = dutyclock::kiosk::run_headless(config, store, &mut out, Vec::new());
    });
    // The kiosk first closes the days its records speak of (up to a year):
    // measure the steady state after that.
    let t = Mono::now();
    let mut closed = 0;
    while let Ok(line) = rx.recv_timeout(Duration::from_millis(1_500)) {
        closed += usize::from(line.is_none());
    }
    println!("  start: {closed} lines (ready, reader, days closed) in {:.1} s", t.elapsed().as_secs_f64() - 1.5);
    let mut sent = Vec::with_capacity(n);
    let period = Duration::from_micros(1_000_000 / RATE_PER_S);
    let start = Mono::now();
    for i in 0..n {
        master.write_all(&frame(card(i % CARDS))).unwrap();
        master.flush().unwrap();
        sent.push(Mono::now());
        let next = start + period * (i as u32 + 1);
        if let Some(d) = next.checked_duration_since(Mono::now()) {
            std::thread::sleep(d);
        }
    }
    let mut got = Vec::with_capacity(n);
    while got.len() < n {
        match rx.recv_timeout(Duration::from_secs(10)) {
            Ok(Some(t)) => got.push(t),
            Ok(None) => {}
            Err(_) => panic!("only {} of {n} punch events", got.len()),
        }
    }
    sent.iter().zip(&got).map(|(s, g)| g.duration_since(*s).as_secs_f64() * 1000.0).collect()
}

/// The baseline: a bare insert + commit per row, same pragmas, same disk.
fn commit_run(n: usize) -> Vec<f64> {
    let dir = tempfile::tempdir().unwrap();
    let c = rusqlite::Connection::open(dir.path().join("bare.sqlite3")).unwrap();
    c.pragma_update(None, "journal_mode", "WAL").unwrap();
    c.pragma_update(None, "synchronous", "FULL").unwrap();
    c.pragma_update(None, "foreign_keys", "ON").unwrap();
    c.execute_batch("CREATE TABLE p (id INTEGER PRIMARY KEY, card TEXT, at_ms INTEGER)").unwrap();
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let t = Mono::now();
        c.execute("BEGIN", []).unwrap();
        c.execute("INSERT INTO p (card, at_ms) VALUES (?1, ?2)", rusqlite::params![card_hex(i % CARDS), i as i64])
            .unwrap();
        c.execute("COMMIT", []).unwrap();
        out.push(t.elapsed().as_secs_f64() * 1000.0);
        std::thread::sleep(Duration::from_micros(1_000_000 / RATE_PER_S / 4));
    }
    out
}

fn main() {
    let n = env_or("DUTYCLOCK_BENCH_SCANS", 5_000);
    let prefill = env_or("DUTYCLOCK_BENCH_PREFILL", 5_000_000);
    println!("{n} RDM6300 scans over a pty at {RATE_PER_S}/s over {CARDS} cards, duplicate window 0");
    let (c50, c99, cmax) = percentiles(commit_run(n.min(2_000)));
    println!("bare insert+commit (WAL, synchronous=FULL): p50 {c50:.2} ms  p99 {c99:.2} ms  max {cmax:.2} ms");
    let mut last = String::new();
    for (label, pre) in [("empty store", 0), ("with history", prefill)] {
        println!("{label}:");
        let (s50, s99, smax) = percentiles(scan_run(pre, n));
        println!("  scan → punch event: p50 {s50:.2} ms  p99 {s99:.2} ms  max {smax:.2} ms");
        println!("  overhead over the commit: p50 {:.2} ms  p99 {:.2} ms", s50 - c50, s99 - c99);
        last = format!(
            "scan_p50_ms={s50:.2} scan_p99_ms={s99:.2} commit_p50_ms={c50:.2} commit_p99_ms={c99:.2} overhead_p50_ms={:.2} overhead_p99_ms={:.2}",
            s50 - c50,
            s99 - c99
        );
        println!("  {last}");
    }
    println!("{last}");
    std::process::exit(0);
}
