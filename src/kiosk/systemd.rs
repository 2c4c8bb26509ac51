//! systemd's notify protocol (the unit is `Type=notify` with a
//! `WatchdogSec`), through the sd-notify crate. READY is sent once the
//! touchscreen's event loop runs, and the watchdog is fed from the
//! screen's one-second clock timer on the UI thread: a frozen
//! screen stops feeding it and systemd restarts the kiosk. Without a
//! screen (`run --headless`) the kiosk's event loop feeds it. Outside systemd
//! (no `NOTIFY_SOCKET`) every call does nothing.

/// Whether systemd asked for watchdog pings.
pub fn watchdog_enabled() -> bool {
    watchdog_interval().is_some()
}

/// How often systemd wants to hear from the kiosk (half its
/// `WatchdogSec`, as sd_watchdog_enabled(3) advises), if it asked.
pub fn watchdog_interval() -> Option<std::time::Duration> {
    let mut usec = 0u64;
    // At least every 50 ms apart (a tiny WATCHDOG_USEC must not spin the loop).
    sd_notify::watchdog_enabled(false, &mut usec)
        .then(|| std::time::Duration::from_micros(usec / 2).max(std::time::Duration::from_millis(50)))
}

/// A front end whose loop feeds the watchdog: the headless kiosk has no UI
/// thread, so its event loop is what must not hang.
pub struct Watched<F>(pub F, pub Option<std::time::Duration>);

impl<F: crate::kiosk::event_loop::Front> crate::kiosk::event_loop::Front for Watched<F> {
    fn event(
        &mut self,
        event: &crate::kiosk::live::LiveEvent,
        service: &mut crate::kiosk::service::Service<'_>,
    ) -> Result<(), String> {
        self.0.event(event, service)
    }

    fn pulse(&self) -> Option<std::time::Duration> {
        self.1
    }

    fn alive(&mut self) {
        if self.1.is_some() {
            feed();
        }
    }
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

/// The kiosk is stopping (SIGTERM).
pub fn stopping() {
    let _ = sd_notify::notify(false, &[sd_notify::NotifyState::Stopping]);
}
