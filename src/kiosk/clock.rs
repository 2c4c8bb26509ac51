//! The kiosk's clock, injected into the core so tests control time.
//! The system clock reports whether it is synchronized (adjtimex: a Pi
//! without network boots with the last saved time, i.e. in the past).
//!
//! On an intranet without a time server the system clock never is; the
//! central server's `Date`, measured by the sync thread on every answer,
//! then serves as the time source: the real clock adds the measured offset
//! (small changes ignored: `Date` counts whole seconds) and counts as
//! synchronized while the measurement is fresh (the idle screen says
//! "时间以服务器为准", `sync status` too); a stale one is still added, so
//! the time never jumps back to the raw clock, but punches are flagged.

use std::sync::Mutex;
use std::time::Duration;

use crate::domain::time::Instant;

/// Where the core gets the current instant from.
pub trait Clock: Send {
    fn now(&self) -> Instant;
    /// Whether the clock is synchronized to a time source.
    fn synced(&self) -> bool;
    /// The instant and whether it is synchronized, read together (a time
    /// source that arrives between two separate reads must not give a raw
    /// instant the synchronized flag).
    fn read(&self) -> (Instant, bool) {
        (self.now(), self.synced())
    }
    /// This boot's identity and the milliseconds since it, where the clock
    /// knows them: an instant taken on an unsynchronized clock is corrected
    /// by them once a synchronized clock is known in the same boot.
    fn boot(&self) -> Option<(String, i64)> {
        None
    }
}

/// Where the kiosk's time comes from now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeSource {
    /// The system clock, synchronized (NTP, a GPS, an RTC set by one).
    System,
    /// The central server's `Date` (the system clock is not synchronized).
    Server,
    /// Neither: punches are flagged as made on an unsynchronized clock.
    Unsynchronized,
}

/// The server's time minus the system clock's, in ms, and when it was
/// last confirmed (monotonic): one per process, written by the sync thread.
static SERVER_OFFSET: Mutex<Option<(i64, std::time::Instant)>> = Mutex::new(None);

/// How long a measured offset counts as synchronized without another (the
/// sync thread measures at every pass, at least every five minutes while
/// the server answers; a Pi's oscillator drifts a few seconds a day).
/// Past it the offset is still applied (the time does not jump back to the
/// raw clock), but punches are flagged again.
const SERVER_OFFSET_FOR: Duration = Duration::from_secs(3600);

/// A change of the measured offset smaller than this keeps the one held:
/// the server's `Date` counts whole seconds, and a step back of more than
/// the core's tolerance would flag punches as a clock going backwards.
const OFFSET_STEP_MS: i64 = 2_000;

/// No kiosk ran before this (2026-01-01 in the district): a clock that
/// reads earlier was never set, and a server whose `Date` says so is not
/// believed either.
pub const NO_SERVICE_BEFORE_MS: Instant = 1_767_196_800_000;

/// The sync thread measured the server's clock: `offset_ms` is the
/// server's time minus the system clock's. Small changes keep the held
/// offset (confirmed); a server time before 2026 is not believed.
pub fn server_time_measured(offset_ms: i64) {
    let system = chrono::Utc::now().timestamp_millis();
    if system.saturating_add(offset_ms) < NO_SERVICE_BEFORE_MS {
        return;
    }
    let mut held = SERVER_OFFSET.lock().unwrap_or_else(|e| e.into_inner());
    let keep = held.filter(|(o, _)| (o - offset_ms).abs() < OFFSET_STEP_MS).map_or(offset_ms, |(o, _)| o);
    *held = Some((keep, std::time::Instant::now()));
}

/// The offset to the server's time, if one was measured, and whether it is
/// fresh.
fn server_offset() -> Option<(i64, bool)> {
    let held = *SERVER_OFFSET.lock().unwrap_or_else(|e| e.into_inner());
    held.map(|(o, at)| (o, at.elapsed() < SERVER_OFFSET_FOR))
}

/// The time and where it comes from, read once.
fn reading() -> (Instant, TimeSource) {
    let system = chrono::Utc::now().timestamp_millis();
    if system_clock_synced() {
        return (system, TimeSource::System);
    }
    match server_offset() {
        Some((o, true)) => (system + o, TimeSource::Server),
        Some((o, false)) => (system + o, TimeSource::Unsynchronized),
        None => (system, TimeSource::Unsynchronized),
    }
}

/// Where the time comes from now.
pub fn time_source() -> TimeSource {
    reading().1
}

/// The real clock. Only the kiosk binary constructs it; nothing can set it.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        reading().0
    }

    fn synced(&self) -> bool {
        reading().1 != TimeSource::Unsynchronized
    }

    fn read(&self) -> (Instant, bool) {
        let (at, source) = reading();
        (at, source != TimeSource::Unsynchronized)
    }

    fn boot(&self) -> Option<(String, i64)> {
        let id = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").ok()?;
        Some((id.trim().to_string(), since_boot_ms()?))
    }
}

/// Milliseconds since the boot, counting suspend (CLOCK_BOOTTIME).
#[cfg(target_os = "linux")]
#[allow(clippy::unnecessary_cast)] // time_t and c_long are i32 on 32-bit ARM
fn since_boot_ms() -> Option<i64> {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes the timespec it is given.
    let r = unsafe { libc::clock_gettime(libc::CLOCK_BOOTTIME, &mut ts) };
    (r == 0).then(|| ts.tv_sec as i64 * 1000 + ts.tv_nsec as i64 / 1_000_000)
}

#[cfg(not(target_os = "linux"))]
fn since_boot_ms() -> Option<i64> {
    None
}

/// `adjtimex` with `modes = 0` (read only): `TIME_ERROR` or `STA_UNSYNC`
/// means the kernel's clock is not synchronized.
#[cfg(target_os = "linux")]
pub fn system_clock_synced() -> bool {
    // SAFETY: a zeroed timex with modes = 0 only reads the kernel's state.
    let mut tx: libc::timex = unsafe { std::mem::zeroed() };
    let state = unsafe { libc::adjtimex(&mut tx) };
    state >= 0 && state != libc::TIME_ERROR && tx.status & libc::STA_UNSYNC == 0
}

#[cfg(not(target_os = "linux"))]
pub fn system_clock_synced() -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_servers_time_serves_while_fresh() {
        // The machine's own clock decides whether the server's is needed:
        // the bookkeeping is checked here (one test: the offset is the
        // process's).
        assert_eq!(server_offset(), None);
        server_time_measured(-4_000);
        assert_eq!(server_offset(), Some((-4_000, true)));
        server_time_measured(-4_900);
        assert_eq!(server_offset(), Some((-4_000, true)), "a step under 2 s keeps the held offset");
        server_time_measured(-9_000);
        assert_eq!(server_offset(), Some((-9_000, true)));
        server_time_measured(-chrono::Utc::now().timestamp_millis());
        assert_eq!(server_offset(), Some((-9_000, true)), "a server at 1970 is not believed");
        if let Some(long_ago) = std::time::Instant::now().checked_sub(SERVER_OFFSET_FOR) {
            *SERVER_OFFSET.lock().unwrap() = Some((-4_000, long_ago));
            assert_eq!(server_offset(), Some((-4_000, false)), "a stale measurement is applied, not trusted");
        }
        let b = SystemClock.boot();
        assert!(b.as_ref().is_some_and(|(id, ms)| id.len() == 36 && *ms > 0), "{b:?}");
    }
}
