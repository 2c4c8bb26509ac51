//! `cargo bench --bench attlog`: a year of an old ZKTeco terminal's
//! ATTLOG (500,000 lines: 500 staff, PINs padded as the terminal writes
//! them, four punches a working day) imported by the real `dutyclock`
//! binary into a fresh data directory, as an office's first day does it.
//! Baseline from the same run: the same file imported again, when every
//! punch is already stored (reading, matching and looking up, no new
//! record), and the bare read of the file.
//!
//! `DUTYCLOCK_BENCH_LINES` shrinks a run.

use std::fmt::Write as _;
use std::process::Command;
use std::time::Instant as Mono;

const STAFF: usize = 500;

const CONFIG: &str = r#"
kiosk_id = "attlog-bench"
units = ["区党政办公室"]

[reader]
kind = "simulated"
"#;

fn dutyclock(dir: &std::path::Path, args: &[&str]) -> (f64, String) {
    let t = Mono::now();
    let o = Command::new(env!("CARGO_BIN_EXE_dutyclock")).arg("--data-dir").arg(dir).args(args).output().unwrap();
    let secs = t.elapsed().as_secs_f64();
    assert!(o.status.success(), "dutyclock {args:?}: {}", String::from_utf8_lossy(&o.stderr));
    (secs, String::from_utf8_lossy(&o.stdout).into_owned())
}

fn main() {
    let lines: usize = std::env::var("DUTYCLOCK_BENCH_LINES").ok().and_then(|v| v.parse().ok()).unwrap_or(500_000);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    dutyclock(&dir, &["init", "--kiosk-id", "attlog-bench", "--unit", "区党政办公室"]);
    std::fs::write(dir.join("config.toml"), CONFIG).unwrap();
    let mut staff = String::from("staff_no,name,unit\n");
    for i in 1..=STAFF {
        writeln!(staff, "{i:04},员工{i},区党政办公室").unwrap();
    }
    let staff_file = tmp.path().join("staff.csv");
    std::fs::write(&staff_file, staff).unwrap();
    dutyclock(&dir, &["staff", "import", staff_file.to_str().unwrap()]);
    // Day by day, everyone's four punches, as the terminal logs them.
    let mut text = String::with_capacity(lines * 48);
    let first = chrono::NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
    let times = ["08:2", "12:0", "14:2", "17:3"];
    let mut written = 0;
    'days: for day in first.iter_days() {
        for p in 1..=STAFF {
            for (k, t) in times.iter().enumerate() {
                if written == lines {
                    break 'days;
                }
                written += 1;
                writeln!(text, "{p:>9}\t{day} {t}{}:{:02}\t{}\t1\t0\t0\r", (p + k) % 10, p % 60, k % 2).unwrap();
            }
        }
    }
    let file = tmp.path().join("ATTLOG.dat");
    std::fs::write(&file, &text).unwrap();
    let n = text.lines().count();
    let t = Mono::now();
    let bytes = std::fs::read(&file).unwrap();
    let read_ms = t.elapsed().as_secs_f64() * 1000.0;
    let (first_s, out) = dutyclock(&dir, &["punches", "import", file.to_str().unwrap()]);
    assert!(out.contains(&format!("{n} punches added")), "{out}");
    let (again_s, out) = dutyclock(&dir, &["punches", "import", file.to_str().unwrap()]);
    assert!(out.contains(&format!("0 punches added, {n} already stored")), "{out}");
    println!("{n} ATTLOG lines ({:.1} MB), {STAFF} staff:", bytes.len() as f64 / 1e6);
    println!("  first import (every punch new, one transaction): {first_s:.2} s, {:.0} lines/s", n as f64 / first_s);
    println!(
        "  baseline: the same file again (all stored already): {again_s:.2} s; reading the file alone: {read_ms:.0} ms"
    );
    println!("attlog: lines={n} import_s={first_s:.2} again_s={again_s:.2} read_ms={read_ms:.0}");
}
