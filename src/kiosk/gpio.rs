//! The Raspberry Pi's GPIO, through rppal: the feedback's output pins and
//! the Wiegand reader's two input lines. Off a Pi (or without access to
//! `/dev/gpiochip0`) nothing here panics: opening says why, and the kiosk
//! runs without feedback (or the Wiegand reader reports its error).

use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use crate::domain::config::FeedbackConfig;
use crate::kiosk::feedback::{Outputs, Pin};
use crate::kiosk::reader::frames::HoldFilter;
use crate::kiosk::reader::wiegand::{Edge, Line, Wiegand};
use crate::kiosk::reader::{Ctx, Ended, ReaderState, HOLD_GAP_MS};

/// Why the GPIO cannot be used, in words a technician can act on.
fn explain(e: &rppal::gpio::Error) -> String {
    match e {
        rppal::gpio::Error::UnknownModel => "this is not a Raspberry Pi (no GPIO to drive)".into(),
        rppal::gpio::Error::PermissionDenied(p) => {
            format!("permission denied on {p}: add the kiosk's user to the gpio group")
        }
        other => other.to_string(),
    }
}

/// A stand-in pin for a machine without GPIO: says what it would do.
pub struct LogPin(pub &'static str);

impl Pin for LogPin {
    fn set(&mut self, high: bool) -> Result<(), String> {
        eprintln!("feedback: {} {}", self.0, if high { "high" } else { "low" });
        Ok(())
    }
}

/// The configured feedback outputs. `Err` (with why) when the GPIO
/// cannot be opened; the caller runs on without feedback.
pub fn feedback_outputs(cfg: &FeedbackConfig) -> Result<Outputs, String> {
    let gpio = rppal::gpio::Gpio::new().map_err(|e| format!("[feedback] needs the GPIO: {}", explain(&e)))?;
    let pin = |n: Option<u8>| -> Result<Option<Box<dyn Pin>>, String> {
        n.map(|n| {
            gpio.get(n)
                // Start off: low, or high for parts wired active-low.
                .map(|p| {
                    let out = if cfg.active_low { p.into_output_high() } else { p.into_output_low() };
                    Box::new(out) as Box<dyn Pin>
                })
                .map_err(|e| format!("[feedback] GPIO {n}: {}", explain(&e)))
        })
        .transpose()
    };
    Ok(Outputs {
        buzzer: pin(cfg.buzzer_pin)?,
        green: pin(cfg.green_pin)?,
        red: pin(cfg.red_pin)?,
        active_low: cfg.active_low,
    })
}

/// Stand-in outputs that log (a desktop with `[feedback]` configured).
pub fn logged_outputs(cfg: &FeedbackConfig) -> Outputs {
    let pin = |n: Option<u8>, name: &'static str| n.map(|_| Box::new(LogPin(name)) as Box<dyn Pin>);
    Outputs {
        buzzer: pin(cfg.buzzer_pin, "buzzer"),
        green: pin(cfg.green_pin, "green LED"),
        red: pin(cfg.red_pin, "red LED"),
        active_low: cfg.active_low,
    }
}

/// D0 and D1 as inputs with pull-ups, their falling edges sent to the
/// receiver from rppal's interrupt threads.
fn open_lines(d0: u8, d1: u8) -> Result<(mpsc::Receiver<Edge>, Vec<rppal::gpio::InputPin>), String> {
    let gpio = rppal::gpio::Gpio::new().map_err(|e| format!("wiegand: {}", explain(&e)))?;
    let (tx, rx) = mpsc::channel::<Edge>();
    let mut pins = Vec::new();
    for (n, line) in [(d0, Line::D0), (d1, Line::D1)] {
        let mut pin = gpio.get(n).map_err(|e| format!("wiegand: GPIO {n}: {}", explain(&e)))?.into_input_pullup();
        let tx = tx.clone();
        pin.set_async_interrupt(rppal::gpio::Trigger::FallingEdge, None, move |event| {
            let _ = tx.send(Edge { line, at_us: event.timestamp.as_micros() as u64 });
        })
        .map_err(|e| format!("wiegand: GPIO {n} interrupts: {}", explain(&e)))?;
        pins.push(pin);
    }
    Ok((rx, pins))
}

/// The Wiegand reader's body: falling edges of D0 and D1 from rppal's
/// interrupt thread (kernel timestamps), decoded by [`Wiegand`].
pub fn wiegand_loop(ctx: &Ctx, d0: u8, d1: u8, bits: u8) -> Ended {
    // A GPIO that cannot be opened is said once and tried again, inside
    // this body: ending it would make the supervisor report a second
    // error, and each would sound the fault at the door.
    let (rx, pins) = loop {
        match open_lines(d0, d1) {
            Ok(opened) => break opened,
            Err(why) => {
                ctx.state(ReaderState::Error, why);
                ctx.sleep(Duration::from_secs(30));
                if ctx.stopped() {
                    return Ended::Stopped;
                }
            }
        }
    };
    ctx.state(ReaderState::Connected, format!("wiegand {bits} on GPIO {d0}/{d1}"));
    let mut decoder = Wiegand::new(bits);
    let mut hold = HoldFilter::new(HOLD_GAP_MS);
    // The last edge's kernel timestamp and when we received it: the
    // silence since is measured on our clock, added to its timestamp.
    let mut last: Option<(u64, std::time::Instant)> = None;
    let mut out = Vec::new();
    while !ctx.stopped() {
        match rx.recv_timeout(Duration::from_millis(10)) {
            Ok(e) => {
                last = Some((e.at_us, std::time::Instant::now()));
                decoder.edge(e, &mut out);
            }
            Err(RecvTimeoutError::Timeout) => {
                if let Some((at, seen)) = last {
                    decoder.idle(at.saturating_add(seen.elapsed().as_micros() as u64), &mut out);
                }
            }
            Err(RecvTimeoutError::Disconnected) => break,
        }
        for d in out.drain(..) {
            ctx.decoded(d, Some(&mut hold));
        }
    }
    drop(pins);
    Ended::Stopped
}

#[cfg(test)]
mod tests {
    use super::*;

    fn on_a_pi() -> bool {
        std::fs::read_to_string("/proc/device-tree/model").is_ok_and(|m| m.contains("Raspberry Pi"))
    }

    #[test]
    fn off_a_pi_the_gpio_says_why_and_stand_ins_take_over() {
        let cfg = FeedbackConfig { buzzer_pin: Some(18), green_pin: Some(23), red_pin: None, active_low: false };
        match feedback_outputs(&cfg) {
            Ok(o) => assert!(on_a_pi() && o.buzzer.is_some() && o.green.is_some() && o.red.is_none()),
            Err(e) => {
                assert!(!on_a_pi(), "a Pi whose GPIO cannot be opened: {e}");
                assert!(e.contains("[feedback]") && e.contains("not a Raspberry Pi"), "{e}");
            }
        }
        let mut logged = logged_outputs(&cfg);
        assert!(logged.buzzer.is_some() && logged.green.is_some() && logged.red.is_none());
        logged.apply(&crate::kiosk::feedback::pattern(crate::kiosk::feedback::Signal::Accept)[0]).unwrap();
    }
}
