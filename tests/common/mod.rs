//! Helpers for tests that run the built `dutyclock` binary.
#![allow(dead_code)]

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
        Command::new(env!("CARGO_BIN_EXE_dutyclock")).arg("--data-dir").arg(self.dir()).args(args).output().unwrap()
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
}

impl dutyclock::kiosk::clock::Clock for TestClock {
    fn now(&self) -> dutyclock::domain::time::Instant {
        self.0.lock().unwrap().0
    }
    fn synced(&self) -> bool {
        self.0.lock().unwrap().1
    }
}
