//! The SD card's realities: a full disk. The kiosk's data directory is on
//! a 3 MB tmpfs mounted by the test (this needs root, as CI runs; without
//! it the test fails saying so). `run --headless` takes scans from an
//! RDM6300 over a real pty; the disk is filled up; a scan is then refused
//! with a clear `not_recorded` (and nothing already stored is lost); when
//! space returns, the next scan is recorded by itself, without a restart.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use common::{em_frame, spawn_headless, wait_for};
use serialport::{SerialPort, TTYPort};

mod common;

/// A tmpfs mounted for the test's life.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(size: &str) -> Tmpfs {
        // SAFETY: geteuid has no preconditions.
        assert_eq!(
            unsafe { libc::geteuid() },
            0,
            "this test mounts a small tmpfs to fill the kiosk's disk: run it as root (CI does)"
        );
        let dir = tempfile::tempdir().unwrap();
        let o = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .output()
            .unwrap();
        assert!(o.status.success(), "mount tmpfs: {}", String::from_utf8_lossy(&o.stderr));
        Tmpfs { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(self.dir.path()).status();
    }
}

fn dutyclock(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dutyclock")).arg("--data-dir").arg(data).args(args).output().unwrap()
}

fn ok(data: &Path, args: &[&str]) -> String {
    let o = dutyclock(data, args);
    assert!(o.status.success(), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap()
}

/// Fills the file system with one file until it is full; returns it.
fn fill(dir: &Path) -> PathBuf {
    let path = dir.join("filler");
    let mut f = std::fs::File::create(&path).unwrap();
    let block = vec![0u8; 4096];
    while f.write_all(&block).is_ok() {}
    let _ = f.sync_all();
    path
}

#[test]
fn a_full_disk_refuses_scans_keeps_what_is_stored_and_recovers_by_itself() {
    let fs = Tmpfs::mount("3m");
    let data = fs.path().join("data");
    ok(&data, &["init", "--kiosk-id", "k-disk", "--unit", "办公室"]);
    let (mut master, slave) = TTYPort::pair().unwrap();
    let config = format!(
        "kiosk_id = \"k-disk\"\nunits = [\"办公室\"]\n[reader]\nkind = \"rdm6300\"\ndevice = \"{}\"\n\
         [schedules.default]\nduplicate_scan_seconds = 0\n",
        slave.name().unwrap()
    );
    std::fs::write(data.join("config.toml"), config).unwrap();
    let staff = fs.path().join("staff.csv");
    std::fs::write(&staff, "staff_no,name,unit,cards\n0001,张三,办公室,0100000001\n0002,李四,办公室,0100000002\n")
        .unwrap();
    ok(&data, &["staff", "import", staff.to_str().unwrap()]);
    std::fs::remove_file(&staff).unwrap();

    let (mut child, rx) = spawn_headless(&data);
    wait_for(&rx, "ready");
    wait_for(&rx, "reader");
    master.write_all(&em_frame([1, 0, 0, 0, 1])).unwrap();
    let first = wait_for(&rx, "punch");

    // The disk fills up: the scan is refused, saying why.
    let filler = fill(fs.path());
    std::thread::sleep(Duration::from_millis(1100));
    let mut refused = 0;
    for _ in 0..3 {
        master.write_all(&em_frame([1, 0, 0, 0, 2])).unwrap();
        let v = rx.recv_timeout(Duration::from_secs(15)).expect("an answer to the scan");
        if v["event"] == "not_recorded" {
            assert!(v["detail"].as_str().unwrap().contains("disk is full"), "{v}");
            assert_eq!(v["card"], "0100000002");
            refused += 1;
        } else {
            // A page SQLite still had free may take one more punch: it is on disk.
            assert_eq!(v["event"], "punch", "{v}");
        }
        std::thread::sleep(Duration::from_millis(1100));
    }
    assert!(refused >= 2, "scans on a full disk are refused");

    // Space returns: the next scan is recorded, by itself.
    std::fs::remove_file(filler).unwrap();
    master.write_all(&em_frame([1, 0, 0, 0, 2])).unwrap();
    let back = wait_for(&rx, "punch");
    assert_eq!(back["staff_no"], "0002");
    child.kill().unwrap();
    child.wait().unwrap();

    // Everything acknowledged is there, and the chain holds.
    assert!(ok(&data, &["verify"]).starts_with("ok"));
    let c = rusqlite::Connection::open(data.join("dutyclock.sqlite3")).unwrap();
    for p in [&first, &back] {
        let id = p["punch_id"].as_i64().unwrap();
        let n: i64 = c.query_row("SELECT count(*) FROM punches WHERE id = ?1", [id], |r| r.get(0)).unwrap();
        assert_eq!(n, 1, "punch {id} acknowledged and kept");
    }
    drop(slave);
}
