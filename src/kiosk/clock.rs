//! The kiosk's clock, injected into the core so tests control time.
//! The system clock reports whether it is synchronized (adjtimex: a Pi
//! without network boots with the last saved time, i.e. in the past).

use crate::domain::time::Instant;

/// Where the core gets the current instant from.
pub trait Clock: Send {
    fn now(&self) -> Instant;
    /// Whether the clock is synchronized to a time source.
    fn synced(&self) -> bool;
}

/// The real clock. Only the kiosk binary constructs it; nothing can set it.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        chrono::Utc::now().timestamp_millis()
    }

    fn synced(&self) -> bool {
        system_clock_synced()
    }
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
