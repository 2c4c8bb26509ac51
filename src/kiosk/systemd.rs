//! systemd's notify protocol (the unit is `Type=notify` with a
//! `WatchdogSec`), through the sd-notify crate. READY is sent once the
//! touchscreen's event loop runs, and the watchdog is fed from the
//! screen's one-second clock timer on the UI thread: a frozen
//! screen stops feeding it and systemd restarts the kiosk. Outside systemd
//! (no `NOTIFY_SOCKET`) every call does nothing.

/// Whether systemd asked for watchdog pings.
pub fn watchdog_enabled() -> bool {
    let mut usec = 0u64;
    sd_notify::watchdog_enabled(false, &mut usec)
}

/// Start-up is complete: the screen is up and scans are taken.
pub fn ready() {
    let _ = sd_notify::notify(false, &[sd_notify::NotifyState::Ready]);
}

/// The UI thread is alive.
pub fn feed() {
    let _ = sd_notify::notify(false, &[sd_notify::NotifyState::Watchdog]);
}

/// What the kiosk is doing, for `systemctl status`.
pub fn status(text: &str) {
    let _ = sd_notify::notify(false, &[sd_notify::NotifyState::Status(text)]);
}
