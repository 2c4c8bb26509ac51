//! Badge readers: each runs on its own thread and sends [`ReaderEvent`]s
//! (a card id, or the reader's health) over a channel to the kiosk core.
//! Serial readers survive unplug and replug: the device path (a
//! `/dev/serial/by-id/…` symlink) is reopened with backoff.

pub mod frames;
pub mod keyboard;
pub mod pn532;
pub mod wiegand;

use std::io::{self, Read};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant as Mono};

use crate::domain::config::{IdFormat, ReaderConfig, ReaderKind};
use frames::{Decoded, Decoder, Em4100, HoldFilter, LineFormat, Lines};

/// A reader's state (the `reader` live event).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReaderState {
    Connected,
    Disconnected,
    Error,
}

/// What a reader thread reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReaderEvent {
    /// One scan (a held card is one scan).
    Card(String),
    State(ReaderState, String),
}

/// Where a reader thread sends its events: a channel of reader events, or
/// the kiosk loop's input channel. `false` when nobody listens any more.
pub trait ReaderSink: Send + 'static {
    fn send(&self, event: ReaderEvent) -> bool;
}

impl ReaderSink for Sender<ReaderEvent> {
    fn send(&self, event: ReaderEvent) -> bool {
        Sender::send(self, event).is_ok()
    }
}

/// Counters for the device-status screen.
#[derive(Debug, Default)]
pub struct ReaderHealth {
    pub scans: AtomicU64,
    pub dropped: AtomicU64,
    pub state: Mutex<Option<(ReaderState, String)>>,
}

/// A running reader; dropping it stops the thread (and waits for it,
/// except for the demo's stdin reader, which may be blocked reading a
/// line that never comes).
pub struct ReaderHandle {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    pub health: Arc<ReaderHealth>,
}

impl Drop for ReaderHandle {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl ReaderHandle {
    /// Stops without waiting for the thread (it ends at its next read).
    fn detached(mut self) -> Self {
        self.thread = None;
        self
    }
}

/// How long a card may stay silent and still be the same hold.
pub const HOLD_GAP_MS: i64 = 800;

/// What a reader thread's body works with: where to send, when to stop,
/// and the counters.
pub struct Ctx {
    tx: Box<dyn ReaderSink>,
    stop: Arc<AtomicBool>,
    health: Arc<ReaderHealth>,
    epoch: Mono,
}

impl Ctx {
    pub fn stopped(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    /// Reports a state change (a repeat of the current state is not sent again).
    pub fn state(&self, state: ReaderState, detail: String) {
        let mut s = self.health.state.lock().unwrap_or_else(|e| e.into_inner());
        if s.as_ref().map(|(st, d)| (st, d.as_str())) == Some((&state, detail.as_str())) {
            return;
        }
        *s = Some((state, detail.clone()));
        drop(s);
        self.tx.send(ReaderEvent::State(state, detail));
    }

    /// A decoded card (after the hold filter) or a dropped frame.
    pub fn decoded(&self, d: Decoded, hold: Option<&mut HoldFilter>) {
        match d {
            Decoded::Card(id) => {
                let now = self.epoch.elapsed().as_millis() as i64;
                if hold.is_none_or(|h| h.accept(&id, now)) {
                    self.health.scans.fetch_add(1, Ordering::Relaxed);
                    self.tx.send(ReaderEvent::Card(id));
                }
            }
            Decoded::Dropped(why) => {
                self.health.dropped.fetch_add(1, Ordering::Relaxed);
                eprintln!("reader: dropped: {why}");
            }
        }
    }

    /// Sleeps up to `d`, waking early when stopped.
    pub fn sleep(&self, d: Duration) {
        let until = Mono::now() + d;
        while !self.stopped() && Mono::now() < until {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// Explains an open failure with what to do about it.
fn explain(path: &str, e: &serialport::Error) -> (ReaderState, String) {
    use serialport::ErrorKind as K;
    match e.kind() {
        K::NoDevice => {
            (ReaderState::Disconnected, format!("no device at {path}: unplugged? (name it by /dev/serial/by-id/…)"))
        }
        K::Io(io::ErrorKind::NotFound) => {
            (ReaderState::Disconnected, format!("no device at {path}: unplugged? (name it by /dev/serial/by-id/…)"))
        }
        K::Io(io::ErrorKind::PermissionDenied) => {
            (ReaderState::Error, format!("permission denied on {path}: add the kiosk's user to the dialout group"))
        }
        _ => (ReaderState::Error, format!("cannot open {path}: {e}")),
    }
}

/// How a reader thread's body ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ended {
    /// Asked to stop (the handle was dropped).
    Stopped,
    /// Its input is gone for good (the demo reader's stdin closed).
    Finished,
}

/// Starts the configured reader. `Simulated` reads ids typed on stdin.
pub fn start(cfg: &ReaderConfig, tx: impl ReaderSink) -> Result<ReaderHandle, String> {
    let format = match cfg.id_format {
        IdFormat::Hex => LineFormat::Hex,
        IdFormat::Decimal => LineFormat::Decimal,
    };
    let device =
        || cfg.device.clone().ok_or_else(|| format!("[reader] kind = \"{}\" needs reader.device", cfg.kind.as_str()));
    match cfg.kind {
        ReaderKind::Rdm6300 | ReaderKind::Id12 | ReaderKind::Lines | ReaderKind::Pn532 => {
            let (path, baud, kind) = (device()?, cfg.baud(), cfg.kind);
            supervise(tx, move |ctx| serial_loop(ctx, &path, baud, kind, format))
        }
        ReaderKind::Keyboard => {
            let path = device()?;
            supervise(tx, move |ctx| keyboard_loop(ctx, &path, format))
        }
        ReaderKind::Simulated => supervise(tx, stdin_loop).map(ReaderHandle::detached),
        ReaderKind::Wiegand => {
            let (d0, d1) = cfg.d0_pin.zip(cfg.d1_pin).ok_or("[reader] kind = \"wiegand\" needs d0_pin and d1_pin")?;
            let bits = cfg.bits;
            supervise(tx, move |ctx| wiegand::wiegand_loop(ctx, d0, d1, bits))
        }
    }
}

/// Runs a reader's body on its own thread and keeps it running: a body
/// that panics (a bug no input should reach) or returns while the reader
/// should still run is reported as a reader `error` and started again after
/// a pause, so a reader never dies silently while the kiosk shows it as
/// fine. Only a stop (the handle dropped) or [`Ended::Finished`] ends the
/// thread.
pub fn supervise(tx: impl ReaderSink, body: impl Fn(&Ctx) -> Ended + Send + 'static) -> Result<ReaderHandle, String> {
    let stop = Arc::new(AtomicBool::new(false));
    let health = Arc::new(ReaderHealth::default());
    let ctx = Ctx { tx: Box::new(tx), stop: stop.clone(), health: health.clone(), epoch: Mono::now() };
    let thread = std::thread::Builder::new()
        .name("reader".into())
        .spawn(move || {
            let mut pause = Duration::from_millis(200);
            loop {
                let why = match catch_unwind(AssertUnwindSafe(|| body(&ctx))) {
                    Ok(Ended::Finished) => return,
                    Ok(Ended::Stopped) if ctx.stopped() => return,
                    Ok(Ended::Stopped) => "the reader ended unexpectedly; restarting it".to_string(),
                    Err(panic) => {
                        let what = panic
                            .downcast_ref::<&str>()
                            .map(|s| s.to_string())
                            .or_else(|| panic.downcast_ref::<String>().cloned())
                            .unwrap_or_else(|| "unknown failure".into());
                        format!("the reader stopped ({what}); restarting it")
                    }
                };
                if ctx.stopped() {
                    return;
                }
                eprintln!("reader: {why}");
                ctx.state(ReaderState::Error, why);
                ctx.sleep(pause);
                pause = (pause * 2).min(Duration::from_secs(5));
            }
        })
        .map_err(|e| format!("cannot start the reader thread: {e}"))?;
    Ok(ReaderHandle { stop, thread: Some(thread), health })
}

fn serial_loop(ctx: &Ctx, path: &str, baud: u32, kind: ReaderKind, format: LineFormat) -> Ended {
    let mut backoff = Duration::from_millis(100);
    while !ctx.stopped() {
        match serialport::new(path, baud).timeout(Duration::from_millis(50)).open_native() {
            Ok(port) => {
                backoff = Duration::from_millis(100);
                ctx.state(ReaderState::Connected, path.to_string());
                let result = match kind {
                    ReaderKind::Pn532 => pn532_session(ctx, port),
                    ReaderKind::Id12 => stream_session(ctx, port, Em4100::id12(), true),
                    ReaderKind::Lines => stream_session(ctx, port, Lines::new(format), false),
                    _ => stream_session(ctx, port, Em4100::rdm6300(), true),
                };
                if let Err(e) = result {
                    ctx.state(ReaderState::Disconnected, format!("{path}: {e}"));
                }
            }
            Err(e) => {
                let (state, detail) = explain(path, &e);
                ctx.state(state, detail);
            }
        }
        ctx.sleep(backoff);
        backoff = (backoff * 2).min(Duration::from_secs(2));
    }
    Ended::Stopped
}

/// Reads a byte stream until the device goes away (or the reader stops).
fn stream_session(ctx: &Ctx, mut port: impl Read, mut decoder: impl Decoder, held: bool) -> io::Result<()> {
    let mut hold = HoldFilter::new(HOLD_GAP_MS);
    let mut buf = [0u8; 256];
    let mut out = Vec::new();
    while !ctx.stopped() {
        match port.read(&mut buf) {
            Ok(0) => return Err(io::Error::new(io::ErrorKind::BrokenPipe, "device closed")),
            Ok(n) => {
                decoder.push(&buf[..n], &mut out);
                for d in out.drain(..) {
                    ctx.decoded(d, held.then_some(&mut hold));
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
                ) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

fn pn532_session(ctx: &Ctx, port: serialport::TTYPort) -> io::Result<()> {
    let mut driver = pn532::Driver::new(port);
    let mut hold = HoldFilter::new(HOLD_GAP_MS);
    let mut failures = 0;
    let mut dropped = 0;
    while !ctx.stopped() {
        match driver.poll() {
            Ok(pn532::Poll::Card(id)) => {
                failures = 0;
                ctx.decoded(Decoded::Card(id), Some(&mut hold));
            }
            Ok(pn532::Poll::Nothing) => failures = 0,
            Err(e) if e.kind() == io::ErrorKind::TimedOut || e.kind() == io::ErrorKind::Other => {
                // No answer or a frame error: resynchronize (wake-up and SAM again).
                failures += 1;
                if failures == 5 {
                    ctx.state(ReaderState::Error, format!("PN532 does not answer: {e}"));
                }
                ctx.sleep(Duration::from_millis(100));
            }
            Err(e) => return Err(e),
        }
        if failures == 0 {
            ctx.state(ReaderState::Connected, "pn532".into());
        }
        let now_dropped = driver.dropped();
        for _ in dropped..now_dropped {
            ctx.decoded(Decoded::Dropped("corrupt PN532 frame"), None);
        }
        dropped = now_dropped;
    }
    Ok(())
}

fn keyboard_loop(ctx: &Ctx, path: &str, format: LineFormat) -> Ended {
    use std::os::unix::fs::OpenOptionsExt;
    let mut backoff = Duration::from_millis(100);
    while !ctx.stopped() {
        let opened = std::fs::OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK).open(path);
        match opened {
            Ok(mut file) => {
                if let Err(e) = keyboard::grab(&file) {
                    ctx.state(ReaderState::Error, format!("cannot grab {path}: {e} (another program holds it?)"));
                } else {
                    backoff = Duration::from_millis(100);
                    ctx.state(ReaderState::Connected, path.to_string());
                    let mut dec = keyboard::Keyboard::new(format);
                    let mut buf = [0u8; 24 * 32];
                    let mut out = Vec::new();
                    let result = loop {
                        if ctx.stopped() {
                            break Ok(());
                        }
                        match file.read(&mut buf) {
                            Ok(0) => break Err(io::Error::new(io::ErrorKind::BrokenPipe, "device closed")),
                            Ok(n) => {
                                dec.push(&buf[..n], &mut out);
                                for d in out.drain(..) {
                                    ctx.decoded(d, None);
                                }
                            }
                            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                                std::thread::sleep(Duration::from_millis(10))
                            }
                            Err(e) => break Err(e),
                        }
                    };
                    if let Err(e) = result {
                        ctx.state(ReaderState::Disconnected, format!("{path}: {e}"));
                    }
                }
            }
            Err(e) if e.kind() == io::ErrorKind::PermissionDenied => ctx.state(
                ReaderState::Error,
                format!("permission denied on {path}: add the kiosk's user to the input group"),
            ),
            Err(e) => ctx.state(ReaderState::Disconnected, format!("no device at {path}: {e}")),
        }
        ctx.sleep(backoff);
        backoff = (backoff * 2).min(Duration::from_secs(2));
    }
    Ended::Stopped
}

/// The demo reader: one card id per line on stdin (hex, or `#` and the
/// printed number). Its input ends with stdin: then it reports itself
/// disconnected and finishes (a piped demo ends there).
fn stdin_loop(ctx: &Ctx) -> Ended {
    ctx.state(ReaderState::Connected, "stdin".into());
    let stdin = io::stdin();
    let mut line = String::new();
    while !ctx.stopped() {
        line.clear();
        match stdin.read_line(&mut line) {
            Ok(0) => {
                ctx.state(ReaderState::Disconnected, "stdin closed".into());
                return Ended::Finished;
            }
            Err(e) => {
                ctx.state(ReaderState::Disconnected, format!("stdin: {e}"));
                return Ended::Finished;
            }
            Ok(_) => {
                let t = line.trim();
                if t.is_empty() {
                    continue;
                }
                match crate::domain::cards::normalize(t) {
                    Ok(id) => ctx.decoded(Decoded::Card(id), None),
                    Err(_) => ctx.decoded(Decoded::Dropped("typed line is not a card id"), None),
                }
            }
        }
    }
    Ended::Stopped
}
