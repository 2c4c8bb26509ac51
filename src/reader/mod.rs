//! Badge readers: each runs on its own thread and sends [`ReaderEvent`]s
//! (a card id, or the reader's health) over a channel to the kiosk core.
//! Serial readers survive unplug and replug: the device path (a
//! `/dev/serial/by-id/…` symlink) is reopened with backoff.

pub mod frames;
pub mod keyboard;
pub mod pn532;

use std::io::{self, Read};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant as Mono};

use serde::Serialize;

use crate::config::{IdFormat, ReaderConfig, ReaderKind};
use frames::{Decoded, Decoder, Em4100, HoldFilter, LineFormat, Lines};

/// A reader's state, as the `reader` live event spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
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

/// Counters for the device-status screen.
#[derive(Debug, Default)]
pub struct ReaderHealth {
    pub scans: AtomicU64,
    pub dropped: AtomicU64,
    pub state: Mutex<Option<(ReaderState, String)>>,
}

/// A running reader; dropping it stops the thread.
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

/// How long a card may stay silent and still be the same hold.
pub const HOLD_GAP_MS: i64 = 800;

struct Ctx {
    tx: Sender<ReaderEvent>,
    stop: Arc<AtomicBool>,
    health: Arc<ReaderHealth>,
    epoch: Mono,
}

impl Ctx {
    fn stopped(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    fn state(&self, state: ReaderState, detail: String) {
        let mut s = self.health.state.lock().unwrap_or_else(|e| e.into_inner());
        if s.as_ref().map(|(st, d)| (st, d.as_str())) == Some((&state, detail.as_str())) {
            return;
        }
        *s = Some((state, detail.clone()));
        drop(s);
        let _ = self.tx.send(ReaderEvent::State(state, detail));
    }

    fn decoded(&self, d: Decoded, hold: Option<&mut HoldFilter>) {
        match d {
            Decoded::Card(id) => {
                let now = self.epoch.elapsed().as_millis() as i64;
                if hold.is_none_or(|h| h.accept(&id, now)) {
                    self.health.scans.fetch_add(1, Ordering::Relaxed);
                    let _ = self.tx.send(ReaderEvent::Card(id));
                }
            }
            Decoded::Dropped(why) => {
                self.health.dropped.fetch_add(1, Ordering::Relaxed);
                eprintln!("reader: dropped: {why}");
            }
        }
    }

    /// Sleeps up to `d`, waking early when stopped.
    fn sleep(&self, d: Duration) {
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

/// Starts the configured reader. `Simulated` reads ids typed on stdin.
pub fn start(cfg: &ReaderConfig, tx: Sender<ReaderEvent>) -> Result<ReaderHandle, String> {
    let stop = Arc::new(AtomicBool::new(false));
    let health = Arc::new(ReaderHealth::default());
    let ctx = Ctx { tx, stop: stop.clone(), health: health.clone(), epoch: Mono::now() };
    let format = match cfg.id_format {
        IdFormat::Hex => LineFormat::Hex,
        IdFormat::Decimal => LineFormat::Decimal,
    };
    let device =
        || cfg.device.clone().ok_or_else(|| format!("[reader] kind = \"{}\" needs reader.device", cfg.kind.as_str()));
    let thread = match cfg.kind {
        ReaderKind::Rdm6300 | ReaderKind::Id12 | ReaderKind::Lines | ReaderKind::Pn532 => {
            let (path, baud, kind) = (device()?, cfg.baud(), cfg.kind);
            std::thread::Builder::new()
                .name("reader".into())
                .spawn(move || serial_loop(&ctx, &path, baud, kind, format))
        }
        ReaderKind::Keyboard => {
            let path = device()?;
            std::thread::Builder::new().name("reader".into()).spawn(move || keyboard_loop(&ctx, &path, format))
        }
        ReaderKind::Simulated => std::thread::Builder::new().name("reader".into()).spawn(move || stdin_loop(&ctx)),
        ReaderKind::Wiegand => {
            return Err("reader kind wiegand needs the Raspberry Pi's GPIO, which this build does not drive yet".into())
        }
    }
    .map_err(|e| format!("cannot start the reader thread: {e}"))?;
    Ok(ReaderHandle { stop, thread: Some(thread), health })
}

fn serial_loop(ctx: &Ctx, path: &str, baud: u32, kind: ReaderKind, format: LineFormat) {
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

fn keyboard_loop(ctx: &Ctx, path: &str, format: LineFormat) {
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
}

/// The demo reader: one card id per line on stdin (hex, or `#` and the printed number).
fn stdin_loop(ctx: &Ctx) {
    ctx.state(ReaderState::Connected, "stdin".into());
    let stdin = io::stdin();
    let mut line = String::new();
    while !ctx.stopped() {
        line.clear();
        match stdin.read_line(&mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {
                let t = line.trim();
                if t.is_empty() {
                    continue;
                }
                match crate::cards::normalize(t) {
                    Ok(id) => ctx.decoded(Decoded::Card(id), None),
                    Err(_) => ctx.decoded(Decoded::Dropped("typed line is not a card id"), None),
                }
            }
        }
    }
}
