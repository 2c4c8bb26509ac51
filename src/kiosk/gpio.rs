//! The Raspberry Pi's GPIO, through rppal: the one hardware room that the
//! feedback (output pins: `feedback::feedback_outputs`) and the Wiegand
//! reader (input lines' edges: `reader::wiegand::wiegand_loop`) both use;
//! it knows pins, not what they are for. Off a Pi (or without access to
//! `/dev/gpiochip0`) nothing here panics: opening says why, and the kiosk
//! runs without feedback (or the Wiegand reader reports its error).

use std::sync::mpsc;

/// An output pin: any embedded-hal 1.0 `OutputPin` (rppal's on the Pi; a
/// test's, or the feedback's logging stand-in, elsewhere).
pub trait Pin: Send {
    fn set(&mut self, high: bool) -> Result<(), String>;
}

impl<T: embedded_hal::digital::OutputPin + Send> Pin for T {
    fn set(&mut self, high: bool) -> Result<(), String> {
        let r = if high { self.set_high() } else { self.set_low() };
        r.map_err(|e| format!("{:?}", embedded_hal::digital::Error::kind(&e)))
    }
}

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

/// `pins` as outputs, each starting off: low, or high for parts wired
/// active-low (`None` stays `None`: a part not wired). `what` names the
/// config section in the message.
pub fn output_pins<const N: usize>(
    pins: [Option<u8>; N],
    active_low: bool,
    what: &str,
) -> Result<[Option<Box<dyn Pin>>; N], String> {
    let gpio = rppal::gpio::Gpio::new().map_err(|e| format!("[{what}] needs the GPIO: {}", explain(&e)))?;
    let mut out: [Option<Box<dyn Pin>>; N] = std::array::from_fn(|_| None);
    for (slot, n) in out.iter_mut().zip(pins) {
        if let Some(n) = n {
            let p = gpio.get(n).map_err(|e| format!("[{what}] GPIO {n}: {}", explain(&e)))?;
            let pin = if active_low { p.into_output_high() } else { p.into_output_low() };
            *slot = Some(Box::new(pin));
        }
    }
    Ok(out)
}

/// Input lines kept open (their interrupts stop when this is dropped).
pub struct Inputs(#[allow(dead_code)] Vec<rppal::gpio::InputPin>);

/// `lines` as inputs with pull-ups, each falling edge sent to the receiver
/// from rppal's interrupt threads (one a pin) with its kernel timestamp (µs), tagged
/// with the line's own name. `what` names the user in the message.
pub fn falling_edges<L: Copy + Send + 'static>(
    lines: &[(u8, L)],
    what: &str,
) -> Result<(mpsc::Receiver<(L, u64)>, Inputs), String> {
    let gpio = rppal::gpio::Gpio::new().map_err(|e| format!("{what}: {}", explain(&e)))?;
    let (tx, rx) = mpsc::channel();
    let mut pins = Vec::new();
    for &(n, line) in lines {
        let mut pin = gpio.get(n).map_err(|e| format!("{what}: GPIO {n}: {}", explain(&e)))?.into_input_pullup();
        let tx = tx.clone();
        pin.set_async_interrupt(rppal::gpio::Trigger::FallingEdge, None, move |event| {
            let _ = tx.send((line, event.timestamp.as_micros() as u64));
        })
        .map_err(|e| format!("{what}: GPIO {n} interrupts: {}", explain(&e)))?;
        pins.push(pin);
    }
    Ok((rx, Inputs(pins)))
}
