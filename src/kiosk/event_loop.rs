//! The kiosk's one event loop. It owns the core (inside the [`Service`]),
//! takes the reader's events and the front end's calls from one channel,
//! closes days when they are due, runs maintenance between events, and
//! hands every live event to its listeners: the front end (JSON lines or
//! the screen) and whatever else attaches (sync, buzzer and LEDs). Nothing
//! else consumes scans, so a listener is wired in once for every front end.

use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant as Mono};

use super::service::Service;
use crate::domain::time::Instant;
use crate::kiosk::live::LiveEvent;
use crate::kiosk::reader::{ReaderEvent, ReaderSink};

/// A call from the front end, run on the loop's thread with the service.
pub type Call = Box<dyn FnOnce(&mut Service<'_>) + Send>;

/// What reaches the loop.
pub enum Input {
    /// A reader's event, with the moment it was read: a scan that waits in
    /// the queue (behind a store held by an import) keeps its read time.
    Reader(ReaderEvent, Mono),
    Call(Call),
}

impl Input {
    /// A card read just now (a reader, or an id typed into the window).
    pub fn card(card: String) -> Input {
        Input::Reader(ReaderEvent::Card(card), Mono::now())
    }
}

impl ReaderSink for Sender<Input> {
    fn send(&self, event: ReaderEvent) -> bool {
        Sender::send(self, Input::Reader(event, Mono::now())).is_ok()
    }
}

/// Hears every live event, in the order things happen (a punch only after
/// its commit). An error ends the loop (the front end's output is gone).
pub trait Listener {
    fn event(&mut self, event: &LiveEvent, service: &mut Service<'_>) -> Result<(), String>;
}

/// The longest the loop sleeps without looking at the clock (a clock that
/// is set forward would otherwise delay a day's closing).
const MAX_SLEEP: Duration = Duration::from_secs(60);
/// After a failed closing (the store busy or failing), wait this long.
const RETRY_CLOSING_MS: i64 = 10_000;

/// Runs until every sender of `inputs` is gone (the reader finished and
/// the front end closed) or a listener fails.
pub fn run(
    service: &mut Service<'_>,
    inputs: &Receiver<Input>,
    listeners: &mut [&mut dyn Listener],
) -> Result<(), String> {
    let ready = service.core.ready();
    emit(&ready, service, listeners)?;
    let mut retry_closing_at: Instant = Instant::MIN;
    loop {
        // Close what is due, one day between two inputs.
        let mut busy = false;
        let now = service.core.now();
        if now >= retry_closing_at {
            match service.core.tick() {
                Ok(Some(e)) => {
                    emit(&e, service, listeners)?;
                    busy = true;
                }
                Ok(None) => {}
                Err(e) if e.is_busy() => {
                    eprintln!("closing: {e} (trying again in {} s)", RETRY_CLOSING_MS / 1000);
                    retry_closing_at = now + RETRY_CLOSING_MS;
                }
                Err(e) => {
                    eprintln!("closing: {e}");
                    retry_closing_at = now + RETRY_CLOSING_MS;
                }
            }
        }
        let wait = if busy {
            Duration::ZERO
        } else {
            let due = service.core.next_due().max(retry_closing_at);
            Duration::from_millis(due.saturating_sub(service.core.now()).max(0) as u64).min(MAX_SLEEP)
        };
        match inputs.recv_timeout(wait) {
            Ok(Input::Reader(ReaderEvent::Card(card), read_at)) => {
                let e = service.core.scan_read_at(&card, read_at);
                emit(&e, service, listeners)?;
            }
            Ok(Input::Reader(ReaderEvent::State(state, detail), _)) => {
                let e = service.core.reader(state, detail);
                emit(&e, service, listeners)?;
            }
            Ok(Input::Call(call)) => call(service),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return Ok(()),
        }
        // After the event is out: never inside a scan.
        if let Err(e) = service.core.maintenance() {
            eprintln!("store: checkpoint: {e}");
        }
    }
}

fn emit(e: &LiveEvent, service: &mut Service<'_>, listeners: &mut [&mut dyn Listener]) -> Result<(), String> {
    for l in listeners.iter_mut() {
        l.event(e, service)?;
    }
    Ok(())
}

/// The headless front end: every live event as one JSON line, flushed at once.
pub struct JsonLines<W: std::io::Write>(pub W);

impl<W: std::io::Write> Listener for JsonLines<W> {
    fn event(&mut self, event: &LiveEvent, _: &mut Service<'_>) -> Result<(), String> {
        writeln!(self.0, "{}", event.to_line()).and_then(|_| self.0.flush()).map_err(|e| format!("output: {e}"))
    }
}
