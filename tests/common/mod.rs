//! Helpers for tests that run the built `dutyclock` binary.
#![allow(dead_code)]

#[path = "photo.rs"]
pub mod photo;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A fresh data directory, removed on drop.
pub struct Kiosk {
    pub tmp: tempfile::TempDir,
}

impl Kiosk {
    /// `dutyclock init`, then the given config text.
    pub fn new(config: &str) -> Kiosk {
        let tmp = tempfile::tempdir().unwrap();
        let k = Kiosk { tmp };
        let o = k.run(&["init", "--kiosk-id", "test", "--unit", "u"]);
        assert!(o.status.success(), "init: {}", String::from_utf8_lossy(&o.stderr));
        std::fs::write(k.dir().join("config.toml"), config).unwrap();
        k
    }

    pub fn dir(&self) -> PathBuf {
        self.tmp.path().join("data")
    }

    pub fn file(&self, name: &str, text: &str) -> PathBuf {
        let p = self.tmp.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    pub fn run(&self, args: &[&str]) -> Output {
        dutyclock_command().arg("--data-dir").arg(self.dir()).args(args).output().unwrap()
    }

    /// Runs and asserts success; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let o = self.run(args);
        assert!(
            o.status.success(),
            "dutyclock {args:?} failed ({:?}): {}{}",
            o.status.code(),
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8(o.stdout).unwrap()
    }

    /// Runs and asserts exit code 2; returns stderr.
    pub fn refused(&self, args: &[&str]) -> String {
        let o = self.run(args);
        assert_eq!(o.status.code(), Some(2), "dutyclock {args:?}: {}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8(o.stderr).unwrap()
    }

    pub fn import(&self, what: &[&str], path: &Path) -> String {
        let mut args: Vec<&str> = what.to_vec();
        let p = path.to_str().unwrap();
        args.push(p);
        self.ok(&args)
    }

    pub fn summary(&self, date: &str) -> serde_json::Value {
        serde_json::from_str(&self.ok(&["summary", "--date", date, "--format", "json"])).unwrap()
    }
}

/// A clock the test sets (local times in Asia/Shanghai), shared with the
/// core it is given to; synchronized unless told otherwise.
#[derive(Clone)]
pub struct TestClock(std::sync::Arc<std::sync::Mutex<(dutyclock::domain::time::Instant, bool)>>);

impl TestClock {
    pub fn at(local: &str) -> TestClock {
        let c = TestClock(std::sync::Arc::new(std::sync::Mutex::new((0, true))));
        c.set(local);
        c
    }

    pub fn set(&self, local: &str) {
        self.0.lock().unwrap().0 = dutyclock::domain::time::parse_time(local, chrono_tz::Asia::Shanghai).unwrap();
    }

    pub fn set_instant(&self, at: dutyclock::domain::time::Instant) {
        self.0.lock().unwrap().0 = at;
    }

    pub fn unsynced(&self) {
        self.0.lock().unwrap().1 = false;
    }

    /// Synchronized again (a time source answered).
    pub fn resynced(&self) {
        self.0.lock().unwrap().1 = true;
    }
}

impl dutyclock::kiosk::clock::Clock for TestClock {
    fn now(&self) -> dutyclock::domain::time::Instant {
        self.0.lock().unwrap().0
    }
    fn synced(&self) -> bool {
        self.0.lock().unwrap().1
    }
}

/// An EM4100 frame as an RDM6300 sends it (FIELD-NOTES.md).
pub fn em_frame(id: [u8; 5]) -> Vec<u8> {
    let x = id.iter().fold(0, |a, b| a ^ b);
    let mut f = vec![0x02];
    f.extend(id.iter().chain(std::iter::once(&x)).flat_map(|b| format!("{b:02X}").into_bytes()));
    f.push(0x03);
    f
}

/// `dutyclock run --headless` on a data directory; its live events, one
/// JSON value a line, arrive on the receiver.
pub fn spawn_headless(data_dir: &Path) -> (std::process::Child, std::sync::mpsc::Receiver<serde_json::Value>) {
    use std::io::BufRead;
    let mut child = dutyclock_command()
        .arg("--data-dir")
        .arg(data_dir)
        .args(["run", "--headless"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let out = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(out).lines() {
            let Ok(line) = line else { return };
            let v: serde_json::Value = serde_json::from_str(&line).expect("every line is JSON");
            if tx.send(v).is_err() {
                return;
            }
        }
    });
    (child, rx)
}

/// The next live event named `event` (others are skipped), within 15 s.
pub fn wait_for(rx: &std::sync::mpsc::Receiver<serde_json::Value>, event: &str) -> serde_json::Value {
    wait_for_any(rx, &[event])
}

/// The next live event named one of `events` (others are skipped), each
/// line within 15 s.
pub fn wait_for_any(rx: &std::sync::mpsc::Receiver<serde_json::Value>, events: &[&str]) -> serde_json::Value {
    loop {
        let v =
            rx.recv_timeout(std::time::Duration::from_secs(15)).unwrap_or_else(|_| panic!("no event of {events:?}"));
        if events.iter().any(|e| v["event"] == *e) {
            return v;
        }
    }
}

/// The built `dutyclock`, run through `DUTYCLOCK_TEST_RUNNER` when set (the
/// aarch64 tests under qemu: `qemu-aarch64 -L /`, see deploy/build-pi.sh).
pub fn dutyclock_command() -> Command {
    let runner = std::env::var("DUTYCLOCK_TEST_RUNNER").unwrap_or_default();
    let mut parts = runner.split_whitespace();
    match parts.next() {
        Some(program) => {
            let mut c = Command::new(program);
            c.args(parts).arg(env!("CARGO_BIN_EXE_dutyclock"));
            c
        }
        None => Command::new(env!("CARGO_BIN_EXE_dutyclock")),
    }
}

/// Writes a 96×96 PNG portrait (see [`photo::portrait_png_bytes`]).
pub fn portrait_png(path: &Path) {
    std::fs::write(path, photo::portrait_png_bytes()).unwrap();
}

/// `dutyclock run --headless` on the kiosk, its stdin kept open (the
/// simulated reader reads card ids from it), its stderr in `stderr.log`
/// beside the data directory.
pub fn run_kiosk(k: &Kiosk) -> (std::process::Child, std::process::ChildStdin) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_dutyclock"))
        .arg("--data-dir")
        .arg(k.dir())
        .args(["run", "--headless"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(k.tmp.path().join("stderr.log")).unwrap())
        .spawn()
        .unwrap();
    let stdin = child.stdin.take().unwrap();
    (child, stdin)
}

/// Waits (polling every 200 ms) until `done`, failing after `within`.
pub fn wait_until(what: &str, within: std::time::Duration, mut done: impl FnMut() -> bool) {
    let until = std::time::Instant::now() + within;
    while !done() {
        assert!(std::time::Instant::now() < until, "timed out waiting for {what}");
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

/// The last Monday-to-Friday before `day`: a test that needs a day people
/// work, with no calendar imported (a weekend is a rest day), whatever
/// day of the week it runs on.
#[allow(dead_code)]
pub fn last_workday_before(day: chrono::NaiveDate) -> chrono::NaiveDate {
    use chrono::Datelike;
    let mut d = day.pred_opt().unwrap();
    while d.weekday().num_days_from_monday() >= 5 {
        d = d.pred_opt().unwrap();
    }
    d
}
