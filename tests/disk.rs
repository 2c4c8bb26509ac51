//! The SD card's realities, on file systems the test mounts (this needs
//! root, as CI runs; without it the tests fail saying so). `run --headless`
//! takes scans from an RDM6300 over a real pty.
//!
//! - A full disk: the data directory is on a 3 MB tmpfs that is filled up;
//!   a scan is then refused with a clear `not_recorded` (nothing already
//!   stored is lost); when space returns, the next scan is recorded by
//!   itself, without a restart.
//! - A read-only disk: the data directory is on ext4 in a loop device,
//!   mounted `errors=remount-ro` (as deploy/README.md has the data
//!   partition mounted); the test makes ext4 report an error
//!   (`/sys/fs/ext4/DEV/trigger_fs_error`), so the kernel turns the file
//!   system read-only under the running kiosk as it does when ext4 meets a
//!   failing card's errors. (Mounted with ext4's default `errors=continue`,
//!   a failing card shows as write errors instead: the kiosk then says "the
//!   disk failed to write", tested nowhere here.) Scans are then refused with
//!   a clear `not_recorded`; after the card is repaired (unmounted,
//!   `e2fsck`, mounted again) everything acknowledged is there and scans
//!   are taken. A kiosk started on the disk while it is still read-only
//!   (the Pi rebooted with the failed card) comes up and refuses scans the
//!   same way. (ext4 turned read-only this way cannot be made writable
//!   again without unmounting it, so "by itself" is after the repair.)
//! - A disk that was read-only when the kiosk started (the Pi booted with
//!   the card read-only after a power cut) and is made writable again
//!   while it runs: scans are refused, then taken again by themselves
//!   (SQLite keeps a database it opened read-only so: the kiosk opens it
//!   anew once the directory takes writes). Without the files a power cut
//!   leaves (`-wal`, `-shm`), SQLite cannot open the database read-only at
//!   all: the kiosk then says why and exits, and systemd starts it again
//!   until the disk is back.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use common::{em_frame, spawn_headless, wait_for, wait_for_any};
use serialport::{SerialPort, TTYPort};

mod common;

/// A tmpfs mounted for the test's life.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(size: &str) -> Tmpfs {
        as_root("this test mounts a small tmpfs to fill the kiosk's disk");
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

/// A running kiosk, killed when the test ends (also when it fails midway).
struct Running(std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `run --headless` on `data`, with its live events.
fn start(data: &Path) -> (Running, std::sync::mpsc::Receiver<serde_json::Value>) {
    let (child, rx) = spawn_headless(data);
    (Running(child), rx)
}

/// Fails, saying why, unless the test runs as root.
fn as_root(why: &str) {
    // SAFETY: geteuid has no preconditions.
    assert_eq!(unsafe { libc::geteuid() }, 0, "{why}: run it as root (CI does)");
}

fn run(program: &str, args: &[&str], dir: &Path) {
    let o = Command::new(program).args(args).arg(dir).output().unwrap_or_else(|e| panic!("{program}: {e}"));
    assert!(o.status.success(), "{program} {args:?}: {}", String::from_utf8_lossy(&o.stderr));
}

/// An ext4 file system in a loop device, mounted `errors=remount-ro`, for
/// the test's life.
struct Ext4 {
    image: tempfile::NamedTempFile,
    dir: tempfile::TempDir,
}

impl Ext4 {
    fn new(size_mb: u64) -> Ext4 {
        as_root("this test mounts ext4 in a loop device and turns it read-only");
        let image = tempfile::NamedTempFile::new().unwrap();
        image.as_file().set_len(size_mb << 20).unwrap();
        let o = Command::new("mkfs.ext4").args(["-q", "-F"]).arg(image.path()).output().expect("mkfs.ext4 (e2fsprogs)");
        assert!(o.status.success(), "mkfs.ext4: {}", String::from_utf8_lossy(&o.stderr));
        let fs = Ext4 { image, dir: tempfile::tempdir().unwrap() };
        fs.mount();
        fs
    }

    /// The file system mounted read-only or writable again (by hand, as a
    /// technician would after moving the data to a good card).
    fn remount(&self, read_only: bool) {
        run("mount", &["-o", if read_only { "remount,ro" } else { "remount,rw" }], self.path());
    }

    fn mount(&self) {
        let o = Command::new("mount")
            .args(["-o", "loop,errors=remount-ro"])
            .arg(self.image.path())
            .arg(self.dir.path())
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "mount ext4 on a loop device (needs /dev/loop-control): {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// What the kernel does when the card fails: ext4 reports an error and
    /// `errors=remount-ro` turns the mounted file system read-only.
    fn fail_into_read_only(&self) {
        let o = Command::new("findmnt").args(["-n", "-o", "SOURCE"]).arg(self.path()).output().unwrap();
        let source = String::from_utf8(o.stdout).unwrap();
        let dev = Path::new(source.trim()).file_name().expect("the loop device").to_str().unwrap().to_string();
        std::fs::write(format!("/sys/fs/ext4/{dev}/trigger_fs_error"), "1")
            .expect("/sys/fs/ext4/DEV/trigger_fs_error (ext4 in the kernel)");
        for _ in 0..50 {
            if std::fs::write(self.path().join("probe"), "x").is_err() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("the file system stayed writable after an ext4 error");
    }

    /// The technician's repair: unmount, `e2fsck`, mount again.
    fn repair(&self) {
        run("umount", &[], self.path());
        let o = Command::new("e2fsck").args(["-f", "-y"]).arg(self.image.path()).output().unwrap();
        // 0: clean, 1: errors corrected.
        assert!(matches!(o.status.code(), Some(0 | 1)), "e2fsck: {}", String::from_utf8_lossy(&o.stdout));
        self.mount();
    }
}

impl Drop for Ext4 {
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

/// A kiosk's data directory under `root` with two staff and an RDM6300
/// on a pty; returns the data directory and the pty's master end (the
/// slave end is kept open by the returned port).
fn kiosk_on(root: &Path, kiosk_id: &str) -> (PathBuf, TTYPort, TTYPort) {
    let data = root.join("data");
    ok(&data, &["init", "--kiosk-id", kiosk_id, "--unit", "办公室"]);
    let (master, slave) = TTYPort::pair().unwrap();
    let config = format!(
        "kiosk_id = \"{kiosk_id}\"\nunits = [\"办公室\"]\n[reader]\nkind = \"rdm6300\"\ndevice = \"{}\"\n\
         [schedules.default]\nduplicate_scan_seconds = 0\n",
        slave.name().unwrap()
    );
    std::fs::write(data.join("config.toml"), config).unwrap();
    let staff = root.join("staff.csv");
    std::fs::write(&staff, "staff_no,name,unit,cards\n0001,张三,办公室,0100000001\n0002,李四,办公室,0100000002\n")
        .unwrap();
    ok(&data, &["staff", "import", staff.to_str().unwrap()]);
    std::fs::remove_file(&staff).unwrap();
    (data, master, slave)
}

/// Scans card 010000000N on the reader and waits for the live event named
/// `event` (its answer).
fn scan(
    master: &mut TTYPort,
    rx: &std::sync::mpsc::Receiver<serde_json::Value>,
    n: u8,
    event: &str,
) -> serde_json::Value {
    master.write_all(&em_frame([1, 0, 0, 0, n])).unwrap();
    wait_for(rx, event)
}

/// The kiosk's answer to a scan: the next punch, duplicate, unknown card
/// or refusal, past lines that answer nothing (a day closed at 04:00 in
/// the district, a reader's state).
fn answer(rx: &std::sync::mpsc::Receiver<serde_json::Value>) -> serde_json::Value {
    wait_for_any(rx, &["punch", "duplicate", "unknown_card", "not_recorded"])
}

/// Every acknowledged punch is in the database, and the chain holds.
fn kept(data: &Path, punches: &[&serde_json::Value]) {
    assert!(ok(data, &["verify"]).starts_with("ok"));
    let c = rusqlite::Connection::open(data.join("dutyclock.sqlite3")).unwrap();
    for p in punches {
        let id = p["punch_id"].as_i64().unwrap();
        let n: i64 = c.query_row("SELECT count(*) FROM punches WHERE id = ?1", [id], |r| r.get(0)).unwrap();
        assert_eq!(n, 1, "punch {id} acknowledged and kept");
    }
}

#[test]
fn a_full_disk_refuses_scans_keeps_what_is_stored_and_recovers_by_itself() {
    let fs = Tmpfs::mount("3m");
    let (data, mut master, slave) = kiosk_on(fs.path(), "k-disk");

    let (child, rx) = start(&data);
    wait_for(&rx, "ready");
    wait_for(&rx, "reader");
    let first = scan(&mut master, &rx, 1, "punch");

    // The disk fills up: the scan is refused, saying why.
    let filler = fill(fs.path());
    std::thread::sleep(Duration::from_millis(1100));
    let mut refused = 0;
    for _ in 0..3 {
        master.write_all(&em_frame([1, 0, 0, 0, 2])).unwrap();
        let v = answer(&rx);
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
    let back = scan(&mut master, &rx, 2, "punch");
    assert_eq!(back["staff_no"], "0002");
    drop(child);

    kept(&data, &[&first, &back]);
    drop(slave);
}

#[test]
fn a_disk_that_fails_into_read_only_refuses_scans_and_keeps_what_is_stored() {
    let fs = Ext4::new(16);
    let (data, mut master, slave) = kiosk_on(fs.path(), "k-ro");
    let (child, rx) = start(&data);
    wait_for(&rx, "ready");
    wait_for(&rx, "reader");
    let first = scan(&mut master, &rx, 1, "punch");

    // The card fails: the kernel turns the file system read-only under the
    // running kiosk. Every scan is refused, saying why.
    fs.fail_into_read_only();
    for _ in 0..2 {
        std::thread::sleep(Duration::from_millis(1100));
        master.write_all(&em_frame([1, 0, 0, 0, 2])).unwrap();
        let v = answer(&rx);
        assert_eq!(v["event"], "not_recorded", "{v}");
        assert!(v["detail"].as_str().unwrap().contains("read-only"), "{v}");
        assert_eq!(v["card"], "0100000002");
    }
    drop(child);

    // Started again on the disk that is still read-only (the Pi rebooted
    // with the failed card): the kiosk comes up, and scans are refused the
    // same way.
    let (child, rx) = start(&data);
    wait_for(&rx, "reader");
    let v = scan(&mut master, &rx, 2, "not_recorded");
    assert!(v["detail"].as_str().unwrap().contains("read-only"), "{v}");
    drop(child);

    // Repaired: everything acknowledged is there, and scans are taken.
    fs.repair();
    kept(&data, &[&first]);
    let (child, rx) = start(&data);
    wait_for(&rx, "reader");
    let back = scan(&mut master, &rx, 2, "punch");
    assert_eq!(back["staff_no"], "0002");
    drop(child);
    kept(&data, &[&first, &back]);
    drop(slave);
}

#[test]
fn a_kiosk_started_on_a_read_only_disk_takes_scans_by_itself_once_it_is_writable() {
    let fs = Ext4::new(16);
    let (data, mut master, slave) = kiosk_on(fs.path(), "k-ro2");
    let (child, rx) = start(&data);
    wait_for(&rx, "reader");
    let first = scan(&mut master, &rx, 1, "punch");
    // A power cut (the kiosk killed: its -wal and -shm stay), and the Pi
    // boots with the card read-only.
    drop(child);
    fs.remount(true);
    let (child, rx) = start(&data);
    wait_for(&rx, "reader");
    let v = scan(&mut master, &rx, 2, "not_recorded");
    assert!(v["detail"].as_str().unwrap().contains("read-only"), "{v}");
    // Writable again: the next scan is recorded, without a restart.
    fs.remount(false);
    std::thread::sleep(Duration::from_millis(1100));
    master.write_all(&em_frame([1, 0, 0, 0, 2])).unwrap();
    let back = answer(&rx);
    assert_eq!((back["event"].as_str(), back["staff_no"].as_str()), (Some("punch"), Some("0002")), "{back}");
    drop(child);
    kept(&data, &[&first, &back]);

    // Closed cleanly (no -wal, -shm), then read-only: SQLite cannot open
    // the database at all; the kiosk says why and exits.
    fs.remount(true);
    let o = dutyclock(&data, &["run", "--headless"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() && err.contains("read-only"), "{err}");
    fs.remount(false);
    drop(slave);
}
