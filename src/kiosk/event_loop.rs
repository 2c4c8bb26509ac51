//! The kiosk's one event loop. It owns the core (inside the [`Service`]),
//! takes the reader's events and the front end's calls from one channel,
//! closes days when they are due, runs maintenance between events, and
//! hands every live event to its front end (JSON lines or the screen) and
//! to its listeners (sync, buzzer and LEDs). Nothing else consumes scans,
//! so a listener is wired in once for every front end.

use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::time::Duration;

use super::service::Service;
use crate::domain::time::Instant;
use crate::kiosk::clock::Clock;
use crate::kiosk::live::{Listener, LiveEvent};
use crate::kiosk::reader::{ReaderEvent, ReaderSink};

/// A call from the front end, run on the loop's thread with the service.
pub type Call = Box<dyn FnOnce(&mut Service<'_>) + Send>;

/// What reaches the loop.
pub enum Input {
    /// A reader's event with the instant it was read, by the kiosk's
    /// clock: a scan that waits in the queue (behind a store held by an
    /// import) keeps the time its card was read.
    /// With whether the clock was synchronized at that instant (read with it).
    Reader(ReaderEvent, (Instant, bool)),
    Call(Call),
}

/// The reader's way into the loop: each event stamped with the instant it
/// was read, by the same clock as the core's.
pub struct Stamped {
    tx: Sender<Input>,
    clock: Box<dyn Clock>,
}

impl Stamped {
    pub fn new(tx: Sender<Input>, clock: Box<dyn Clock>) -> Stamped {
        Stamped { tx, clock }
    }

    /// A card read now (a reader, or an id typed into the window).
    pub fn card(&self, card: String) -> bool {
        self.send(ReaderEvent::Card(card))
    }
}

impl ReaderSink for Stamped {
    fn send(&self, event: ReaderEvent) -> bool {
        self.tx.send(Input::Reader(event, self.clock.read())).is_ok()
    }
}

/// The front end: shows every live event (it may ask the service for the
/// words). An error ends the loop: the front end's output is gone.
pub trait Front {
    fn event(&mut self, event: &LiveEvent, service: &mut Service<'_>) -> Result<(), String>;

    /// How often the loop must wake to call [`Front::alive`], if at all.
    fn pulse(&self) -> Option<Duration> {
        None
    }

    /// The loop is running (called at every turn of it).
    fn alive(&mut self) {}
}

/// The longest the loop sleeps without looking at the clock (a clock that
/// is set forward would otherwise delay a day's closing) and at the store
/// (another process's correction of a closed day is closed again after at
/// most this long: `Core::notice_others`, one PRAGMA when nothing changed).
const MAX_SLEEP: Duration = Duration::from_secs(20);
/// After a failed closing (the store busy or failing), wait this long.
const RETRY_CLOSING_MS: i64 = 10_000;

/// Runs until every sender of `inputs` is gone (the reader finished and
/// the front end closed) or the front end fails.
pub fn run(
    service: &mut Service<'_>,
    inputs: &Receiver<Input>,
    front: &mut dyn Front,
    listeners: &mut [Box<dyn Listener>],
) -> Result<(), String> {
    let mut out = Out { front, listeners };
    let ready = service.core.ready();
    out.emit(&ready, service)?;
    let mut retry_closing_at: Instant = Instant::MIN;
    loop {
        // What is already queued first: a scan read before a day's end is
        // stored before that day is closed.
        while let Ok(input) = inputs.try_recv() {
            handle(input, service, &mut out)?;
            // A backlog of slow inputs (scans waiting on a busy store) is
            // still a loop that runs.
            out.front.alive();
        }
        // Then close what is due, one day between two inputs.
        let mut closed = false;
        let now = service.core.now();
        if now >= retry_closing_at {
            match service.core.tick() {
                Ok(Some(e)) => {
                    out.emit(&e, service)?;
                    closed = true;
                }
                Ok(None) => {}
                Err(e) => {
                    eprintln!("closing: {e} (trying again in {} s)", RETRY_CLOSING_MS / 1000);
                    retry_closing_at = now + RETRY_CLOSING_MS;
                }
            }
        }
        let wait = if closed {
            Duration::ZERO
        } else {
            let due = service.core.next_due().max(retry_closing_at);
            Duration::from_millis(due.saturating_sub(service.core.now()).max(0) as u64)
                .min(MAX_SLEEP)
                .min(out.front.pulse().unwrap_or(MAX_SLEEP))
        };
        match inputs.recv_timeout(wait) {
            Ok(input) => handle(input, service, &mut out)?,
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return Ok(()),
        }
        // After the event is out: never inside a scan.
        if let Err(e) = service.core.maintenance() {
            eprintln!("store: checkpoint: {e}");
        }
        out.front.alive();
    }
}

fn handle(input: Input, service: &mut Service<'_>, out: &mut Out<'_, '_>) -> Result<(), String> {
    match input {
        Input::Reader(ReaderEvent::Card(card), (read_at, synced)) => {
            // A punch, or an identification when 查询 or 管理 armed it.
            let e = service.card(&card, read_at, synced);
            out.emit(&e, service)
        }
        Input::Reader(ReaderEvent::State(state, detail), _) => {
            let e = service.core.reader(state, detail);
            out.emit(&e, service)
        }
        Input::Call(call) => {
            call(service);
            Ok(())
        }
    }
}

/// Where live events go: the front end, then every listener.
struct Out<'a, 'b> {
    front: &'a mut dyn Front,
    listeners: &'b mut [Box<dyn Listener>],
}

impl Out<'_, '_> {
    fn emit(&mut self, e: &LiveEvent, service: &mut Service<'_>) -> Result<(), String> {
        self.front.event(e, service)?;
        for l in self.listeners.iter_mut() {
            l.event(e);
        }
        Ok(())
    }
}

/// The message of a caught panic.
pub fn panic_text(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown failure".into())
}

/// The headless front end: every live event as one JSON line, flushed at once.
pub struct JsonLines<W: std::io::Write>(pub W);

impl<W: std::io::Write> Front for JsonLines<W> {
    fn event(&mut self, event: &LiveEvent, _: &mut Service<'_>) -> Result<(), String> {
        writeln!(self.0, "{}", event.to_line()).and_then(|_| self.0.flush()).map_err(|e| format!("output: {e}"))
    }
}
