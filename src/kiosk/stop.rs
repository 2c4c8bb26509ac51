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

/// Installs the handler. Call once, before the kiosk starts its loop.
pub fn on_stop(steps: Vec<Step>) -> Result<(), String> {
    let mut signals = Signals::new([SIGTERM, SIGINT]).map_err(|e| format!("cannot handle SIGTERM: {e}"))?;
    std::thread::Builder::new()
        .name("stop".into())
        .spawn(move || {
            let Some(signal) = signals.forever().next() else { return };
            crate::kiosk::systemd::stopping();
            for step in steps {
                step();
            }
            eprintln!("stopped ({})", if signal == SIGTERM { "SIGTERM" } else { "SIGINT" });
            std::process::exit(0);
        })
        .map_err(|e| format!("cannot start the stop thread: {e}"))?;
    Ok(())
}
