//! The kiosk: the terminal at the office entrance. Its store (SQLite, the
//! only SQL), the imports, the badge readers, the core that turns a scan
//! into a durable punch, the one event loop that owns the core and hands
//! live events to a front end (`run --headless` prints JSON lines; the
//! touchscreen draws them) and to further listeners, the touchscreen's
//! service and UI, and the admin command line. Central sync (`sync`) and
//! the Raspberry Pi's buzzer and LEDs (`feedback`, pins from `gpio`)
//! attach to the event loop as listeners.

pub mod cli;
pub mod clock;
pub mod closing;
pub mod core;
pub mod demo;
pub mod display;
pub mod event_loop;
pub mod feedback;
pub mod gpio;
pub mod import;
pub mod live;
pub mod master;
pub mod pin;
pub mod reader;
pub mod restore;
pub mod service;
pub mod stop;
pub mod store;
pub mod sync;
pub mod systemd;
pub mod ui;
pub mod words;

use std::sync::mpsc;

/// The door's buzzer and LEDs when `[feedback]` is configured: rppal's
/// pins on a Pi; off a Pi, or when the GPIO cannot be opened, a clear
/// message and logging stand-ins (the kiosk never fails to start for its
/// buzzer). `None` without `[feedback]`.
pub fn door_feedback(config: &Config) -> Option<feedback::Feedback> {
    let cfg = config.feedback.as_ref()?;
    let outputs = feedback::feedback_outputs(cfg).unwrap_or_else(|e| {
        eprintln!("{e}; running without a buzzer and LEDs (their signals are logged)");
        feedback::logged_outputs(cfg)
    });
    feedback::Feedback::start(outputs).map_err(|e| eprintln!("{e}")).ok()
}

pub use self::core::Core;
use crate::domain::config::Config;
use crate::kiosk::clock::SystemClock;
use crate::kiosk::store::Store;
use event_loop::{Input, JsonLines, Stamped};
use service::Service;

/// Runs the kiosk without a screen: every live event is one JSON line on
/// `out`, flushed at once. Returns when the reader has finished (the demo
/// reader's stdin closed), or with an error when the output is gone. A
/// punch that cannot be stored is told as `not_recorded`; it never ends
/// the kiosk.
pub fn run_headless(
    config: &Config,
    store: Store,
    out: &mut dyn std::io::Write,
    mut listeners: Vec<Box<dyn crate::kiosk::live::Listener>>,
) -> Result<(), String> {
    let (tx, rx) = mpsc::channel::<Input>();
    let _reader = crate::kiosk::reader::start(&config.reader, Stamped::new(tx, Box::new(SystemClock)))
        .map_err(|e| format!("reader: {e}"))?;
    let core = Core::new(config, store, Box::new(SystemClock)).map_err(|e| e.to_string())?;
    let mut service = Service::new(core);
    // Without a screen there is no UI thread to watch: the loop feeds the
    // watchdog itself.
    systemd::ready();
    let mut front = systemd::Watched(JsonLines(out), systemd::watchdog_interval());
    event_loop::run(&mut service, &rx, &mut front, &mut listeners)
}
