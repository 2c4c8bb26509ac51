//! The kiosk's stop: SIGTERM (`systemctl stop`, an upgrade) and SIGINT
//! (Ctrl-C). Without this the process would end wherever it was, and a
//! GPIO output keeps its level after its process: a buzzer stopped
//! mid-beep would sound until the next start. On the first of these
//! signals, a thread of its own runs the registered steps (the door's
//! outputs off), tells systemd STOPPING and exits with status 0.
//!
//! Exiting without unwinding the other threads is safe for the store:
//! every punch is acknowledged only after its commit, and SQLite's
//! journal rolls back a transaction cut short, as after a power cut.

use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

/// A step run when the kiosk stops.
pub type Step = Box<dyn FnOnce() + Send>;

/// The status the stop exits with: 0, or [`RESTART`] when the kiosk
/// asked to be started again.
static EXIT: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(0);

/// The exit status that has systemd start the kiosk again (its unit has
/// `Restart=on-failure`): EX_TEMPFAIL.
pub const RESTART: i32 = 75;

/// Stops the kiosk as SIGTERM does (the door's outputs off) and exits
/// with [`RESTART`], so that it starts again: the district's schedules
/// changed, and they are read at start.
pub fn restart() {
    EXIT.store(RESTART, std::sync::atomic::Ordering::SeqCst);
    if let Err(e) = signal_hook::low_level::raise(SIGTERM) {
        eprintln!("cannot stop to start again: {e}");
    }
}

/// Runs its step when dropped: the same steps when the kiosk ends without
/// a signal (the window closed, the headless reader finished, an error).
pub struct OnExit(pub Option<Step>);

impl Drop for OnExit {
    fn drop(&mut self) {
        if let Some(step) = self.0.take() {
            step();
        }
    }
}

/// Installs the handler. Call once, before the kiosk starts its loop.
pub fn on_stop(steps: Vec<Step>) -> Result<(), String> {
    let mut signals = Signals::new([SIGTERM, SIGINT]).map_err(|e| format!("cannot handle SIGTERM: {e}"))?;
    std::thread::Builder::new()
        .name("stop".into())
        .spawn(move || {
            let Some(signal) = signals.forever().next() else { return };
            crate::kiosk::systemd::stopping();
            // A second signal while the steps run ends the process at once.
            std::thread::spawn(move || {
                if signals.forever().next().is_some() {
                    std::process::exit(0);
                }
            });
            for step in steps {
                // A step that fails is said; the kiosk still stops.
                if let Err(p) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(step)) {
                    eprintln!("stopping: {}", crate::kiosk::event_loop::panic_text(&p));
                }
            }
            let code = EXIT.load(std::sync::atomic::Ordering::SeqCst);
            eprintln!(
                "stopped ({}){}",
                if signal == SIGTERM { "SIGTERM" } else { "SIGINT" },
                if code == RESTART { ", to start again" } else { "" }
            );
            std::process::exit(code);
        })
        .map_err(|e| format!("cannot start the stop thread: {e}"))?;
    Ok(())
}
