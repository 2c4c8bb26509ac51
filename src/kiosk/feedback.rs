//! Hardware feedback at the door: a buzzer and two LEDs (green accept,
//! red reject) beside the screen, so a person who does not look at the
//! screen still knows.
//!
//! - [`signal_of`] and [`pattern`] are the pure part: which live event
//!   means what, and each meaning's steps (short beep and green on accept;
//!   a double beep and red on an unknown card or a scan not recorded; a
//!   long beep and red on a reader fault).
//! - [`Outputs`] drives any embedded-hal 1.0 `OutputPin`s: rppal's on a
//!   Raspberry Pi ([`crate::kiosk::gpio`]), a logging stand-in elsewhere,
//!   embedded-hal-mock's in tests.
//! - [`Feedback`] plays patterns on its own thread (the kiosk loop never
//!   sleeps for a beep) and is attached once to the loop as a
//!   [`Listener`]. A newer signal replaces one still waiting: the door
//!   shows the latest scan, not a backlog of beeps.
//! - [`Feedback::off_for_good`] is for the kiosk's stop (SIGTERM): pins
//!   keep their level after the process ends, so a buzzer stopped
//!   mid-beep would sound until the next start.

use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::kiosk::live::Listener;
use crate::kiosk::live::LiveEvent;
use crate::kiosk::reader::ReaderState;

/// What the door tells the person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// The punch is recorded (or was, moments ago: a duplicate).
    Accept,
    /// Nothing was recorded: an unknown card, or the store refused the scan.
    Reject,
    /// The reader failed or was unplugged.
    Fault,
}

/// The meaning of a live event at the door, if it has one.
pub fn signal_of(e: &LiveEvent) -> Option<Signal> {
    match e {
        LiveEvent::Punch { .. } | LiveEvent::Duplicate { .. } => Some(Signal::Accept),
        // A card read for a look-up: the beep says it was read (an
        // unknown card is refused as at any scan).
        LiveEvent::Identified { staff_no: Some(_), .. } => Some(Signal::Accept),
        LiveEvent::Identified { staff_no: None, .. } => Some(Signal::Reject),
        LiveEvent::UnknownCard { .. } | LiveEvent::NotRecorded { .. } => Some(Signal::Reject),
        LiveEvent::Reader { state: ReaderState::Error | ReaderState::Disconnected, .. } => Some(Signal::Fault),
        LiveEvent::Reader { .. } | LiveEvent::Ready { .. } | LiveEvent::DayClosed { .. } => None,
    }
}

/// One step of a pattern: which parts are on, for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    pub buzzer: bool,
    pub green: bool,
    pub red: bool,
    pub ms: u64,
}

const fn step(buzzer: bool, green: bool, red: bool, ms: u64) -> Step {
    Step { buzzer, green, red, ms }
}

const ACCEPT: [Step; 3] = [step(true, true, false, 80), step(false, true, false, 720), step(false, false, false, 0)];
const REJECT: [Step; 5] = [
    step(true, false, true, 150),
    step(false, false, true, 100),
    step(true, false, true, 150),
    step(false, false, true, 1100),
    step(false, false, false, 0),
];
const FAULT: [Step; 3] = [step(true, false, true, 700), step(false, false, true, 1300), step(false, false, false, 0)];

/// The steps of a signal; every pattern ends with everything off.
pub fn pattern(s: Signal) -> &'static [Step] {
    match s {
        Signal::Accept => &ACCEPT,
        Signal::Reject => &REJECT,
        Signal::Fault => &FAULT,
    }
}

pub use crate::kiosk::gpio::Pin;

/// A stand-in pin for a machine without GPIO: says what it would do.
pub struct LogPin(pub &'static str);

impl Pin for LogPin {
    fn set(&mut self, high: bool) -> Result<(), String> {
        eprintln!("feedback: {} {}", self.0, if high { "high" } else { "low" });
        Ok(())
    }
}

/// The configured feedback outputs on the Pi's GPIO. `Err` (with why)
/// when the GPIO cannot be opened; the caller runs on without feedback.
pub fn feedback_outputs(cfg: &crate::domain::config::FeedbackConfig) -> Result<Outputs, String> {
    let [buzzer, green, red] =
        crate::kiosk::gpio::output_pins([cfg.buzzer_pin, cfg.green_pin, cfg.red_pin], cfg.active_low, "feedback")?;
    Ok(Outputs { buzzer, green, red, active_low: cfg.active_low })
}

/// Stand-in outputs that log (a desktop with `[feedback]` configured).
pub fn logged_outputs(cfg: &crate::domain::config::FeedbackConfig) -> Outputs {
    let pin = |n: Option<u8>, name: &'static str| n.map(|_| Box::new(LogPin(name)) as Box<dyn Pin>);
    Outputs {
        buzzer: pin(cfg.buzzer_pin, "buzzer"),
        green: pin(cfg.green_pin, "green LED"),
        red: pin(cfg.red_pin, "red LED"),
        active_low: cfg.active_low,
    }
}

/// The buzzer and LEDs that exist (a part not wired is `None`).
pub struct Outputs {
    pub buzzer: Option<Box<dyn Pin>>,
    pub green: Option<Box<dyn Pin>>,
    pub red: Option<Box<dyn Pin>>,
    /// A low level turns a part on.
    pub active_low: bool,
}

impl Outputs {
    /// Sets every part as the step says; the first failure is returned
    /// after all parts were tried.
    pub fn apply(&mut self, s: &Step) -> Result<(), String> {
        let level = |on: bool| on != self.active_low;
        let mut result = Ok(());
        for (pin, on, name) in [
            (&mut self.buzzer, s.buzzer, "buzzer"),
            (&mut self.green, s.green, "green LED"),
            (&mut self.red, s.red, "red LED"),
        ] {
            if let Some(p) = pin {
                if let Err(e) = p.set(level(on)) {
                    result = result.and(Err(format!("{name}: {e}")));
                }
            }
        }
        result
    }

    /// Plays a pattern, waiting between steps with `sleep`.
    pub fn play(&mut self, steps: &[Step], sleep: &mut dyn FnMut(Duration)) -> Result<(), String> {
        let mut result = Ok(());
        for s in steps {
            result = result.and(self.apply(s));
            if s.ms > 0 {
                sleep(Duration::from_millis(s.ms));
            }
        }
        result
    }
}

/// The feedback thread.
pub struct Feedback {
    tx: Sender<Signal>,
    /// The player holds the outputs while it plays a pattern.
    outputs: Arc<Mutex<Outputs>>,
}

impl Feedback {
    /// Starts playing signals on `outputs` (all parts off first).
    pub fn start(mut outputs: Outputs) -> Result<Feedback, String> {
        let (tx, rx) = mpsc::channel();
        if let Err(e) = outputs.apply(&OFF) {
            eprintln!("feedback: {e}");
        }
        let outputs = Arc::new(Mutex::new(outputs));
        let player_outputs = outputs.clone();
        std::thread::Builder::new()
            .name("feedback".into())
            .spawn(move || player(&player_outputs, rx))
            .map_err(|e| format!("cannot start the feedback thread: {e}"))?;
        Ok(Feedback { tx, outputs })
    }

    /// The listener that attaches the feedback to the kiosk loop.
    pub fn listener(&self) -> Box<dyn Listener> {
        Box::new(Door(self.tx.clone()))
    }

    /// What to do when the kiosk stops: wait for a pattern being played
    /// (at most 2 s, the fault's), turn every part off, and keep the outputs
    /// so that nothing turns on again before the process ends.
    pub fn off_for_good(&self) -> impl FnOnce() + Send + 'static {
        let outputs = self.outputs.clone();
        move || {
            let mut held = outputs.lock().unwrap_or_else(|p| p.into_inner());
            if let Err(e) = held.apply(&OFF) {
                eprintln!("feedback: {e}");
            }
            std::mem::forget(held);
        }
    }
}

/// Everything off.
const OFF: Step = step(false, false, false, 0);

struct Door(Sender<Signal>);

impl Listener for Door {
    fn event(&mut self, e: &LiveEvent) {
        if let Some(s) = signal_of(e) {
            let _ = self.0.send(s);
        }
    }
}

fn player(outputs: &Mutex<Outputs>, rx: Receiver<Signal>) {
    let mut failing = false;
    while let Ok(mut s) = rx.recv() {
        // Only the latest of the signals that piled up.
        while let Ok(newer) = rx.try_recv() {
            s = newer;
        }
        let mut outputs = outputs.lock().unwrap_or_else(|p| p.into_inner());
        match outputs.play(pattern(s), &mut |d| std::thread::sleep(d)) {
            // A failing pin is said once, not at every scan.
            Err(e) if !failing => {
                eprintln!("feedback: {e}");
                failing = true;
            }
            Err(_) => {}
            Ok(()) => failing = false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use embedded_hal_mock::eh1::digital::{Mock, State, Transaction as T};

    fn outputs(buzzer: &Mock, green: &Mock, red: &Mock, active_low: bool) -> Outputs {
        Outputs {
            buzzer: Some(Box::new(buzzer.clone())),
            green: Some(Box::new(green.clone())),
            red: Some(Box::new(red.clone())),
            active_low,
        }
    }

    fn levels(steps: &[Step], part: impl Fn(&Step) -> bool, active_low: bool) -> Vec<T> {
        steps.iter().map(|s| T::set(if part(s) != active_low { State::High } else { State::Low })).collect()
    }

    #[test]
    fn accept_is_a_short_beep_and_green() {
        let p = pattern(Signal::Accept);
        let beeps: u64 = p.iter().filter(|s| s.buzzer).map(|s| s.ms).sum();
        assert!(beeps <= 100 && p.iter().filter(|s| s.buzzer).count() == 1, "one short beep");
        assert!(p.iter().all(|s| !s.red) && p.iter().any(|s| s.green));
        let (b, g, r) = (
            Mock::new(&levels(p, |s| s.buzzer, false)),
            Mock::new(&levels(p, |s| s.green, false)),
            Mock::new(&levels(p, |s| s.red, false)),
        );
        let mut slept = Vec::new();
        outputs(&b, &g, &r, false).play(p, &mut |d| slept.push(d.as_millis())).unwrap();
        assert_eq!(slept, vec![80, 720]);
        for mut m in [b, g, r] {
            m.done();
        }
    }

    #[test]
    fn reject_is_a_double_beep_and_fault_a_long_one_both_red() {
        let beeps = |s: Signal| pattern(s).iter().filter(|s| s.buzzer).map(|s| s.ms).collect::<Vec<_>>();
        assert_eq!(beeps(Signal::Reject).len(), 2, "double");
        assert!(beeps(Signal::Fault).len() == 1 && beeps(Signal::Fault)[0] >= 500, "long");
        for s in [Signal::Reject, Signal::Fault] {
            assert!(pattern(s).iter().all(|s| !s.green) && pattern(s).iter().any(|s| s.red));
        }
        // Active-low wiring inverts every level, including the final "off".
        let p = pattern(Signal::Reject);
        let (b, g, r) = (
            Mock::new(&levels(p, |s| s.buzzer, true)),
            Mock::new(&levels(p, |s| s.green, true)),
            Mock::new(&levels(p, |s| s.red, true)),
        );
        outputs(&b, &g, &r, true).play(p, &mut |_| {}).unwrap();
        for mut m in [b, g, r] {
            m.done();
        }
    }

    #[test]
    fn every_pattern_ends_with_everything_off() {
        for s in [Signal::Accept, Signal::Reject, Signal::Fault] {
            assert_eq!(pattern(s).last(), Some(&step(false, false, false, 0)), "{s:?}");
        }
    }

    #[test]
    fn live_events_and_their_signals() {
        let at = "2026-11-27T08:29:00+08:00".to_string();
        let unknown = LiveEvent::UnknownCard { at: at.clone(), card: "X".into() };
        assert_eq!(signal_of(&unknown), Some(Signal::Reject));
        let fault = LiveEvent::Reader { at: at.clone(), state: ReaderState::Disconnected, detail: String::new() };
        assert_eq!(signal_of(&fault), Some(Signal::Fault));
        let ok = LiveEvent::Reader { at: at.clone(), state: ReaderState::Connected, detail: String::new() };
        assert_eq!(signal_of(&ok), None);
        let closed = LiveEvent::DayClosed { at, date: "2026-11-26".into(), revision: 1 };
        assert_eq!(signal_of(&closed), None);
    }

    #[test]
    fn a_failing_pin_is_reported_and_the_others_still_set() {
        struct Broken;
        impl Pin for Broken {
            fn set(&mut self, _: bool) -> Result<(), String> {
                Err("gone".into())
            }
        }
        let p = &pattern(Signal::Accept)[..1];
        let g = Mock::new(&levels(p, |s| s.green, false));
        let mut o =
            Outputs { buzzer: Some(Box::new(Broken)), green: Some(Box::new(g.clone())), red: None, active_low: false };
        let e = o.play(p, &mut |_| {}).unwrap_err();
        assert!(e.contains("buzzer") && e.contains("gone"), "{e}");
        let mut g = g;
        g.done();
    }

    /// A pin that records its levels, shared with the test.
    #[derive(Clone, Default)]
    struct Rec(Arc<Mutex<Vec<bool>>>);

    impl Pin for Rec {
        fn set(&mut self, high: bool) -> Result<(), String> {
            self.0.lock().unwrap().push(high);
            Ok(())
        }
    }

    #[test]
    fn stopping_mid_pattern_leaves_everything_off_and_nothing_turns_on_after() {
        let (b, g, r) = (Rec::default(), Rec::default(), Rec::default());
        let f = Feedback::start(Outputs {
            buzzer: Some(Box::new(b.clone())),
            green: Some(Box::new(g.clone())),
            red: Some(Box::new(r.clone())),
            active_low: false,
        })
        .unwrap();
        f.tx.send(Signal::Accept).unwrap();
        // Inside the beep: the buzzer and green are on.
        let t = std::time::Instant::now();
        while b.0.lock().unwrap().last() != Some(&true) {
            assert!(t.elapsed() < Duration::from_secs(5), "the player never started");
            std::thread::sleep(Duration::from_millis(1));
        }
        f.off_for_good()();
        let last = |p: &Rec| *p.0.lock().unwrap().last().unwrap();
        assert!(!last(&b) && !last(&g) && !last(&r), "everything off");
        // A scan that comes in while the process ends plays nothing.
        let seen: Vec<usize> = [&b, &g, &r].iter().map(|p| p.0.lock().unwrap().len()).collect();
        f.tx.send(Signal::Reject).unwrap();
        std::thread::sleep(Duration::from_millis(300));
        let now: Vec<usize> = [&b, &g, &r].iter().map(|p| p.0.lock().unwrap().len()).collect();
        assert_eq!(seen, now);
    }
}

#[cfg(test)]
mod on_the_gpio {
    use super::{feedback_outputs, logged_outputs};
    use crate::domain::config::FeedbackConfig;

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
