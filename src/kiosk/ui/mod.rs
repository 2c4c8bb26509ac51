//! The touchscreen (Slint): the only module that imports slint. One
//! adapter function per screen fills that screen's `global` from the
//! service's plain view data; the service (store, rules) runs on a worker
//! thread, so the reader and the store never block the UI thread. Results
//! come back through `slint::invoke_from_event_loop`.

mod admin;
mod calendar;
mod confirm;
mod head;
pub mod headless;
mod idle;
mod month;
mod pin;
mod result;

use admin::refresh_admin;
pub use calendar::DateField;
use head::{manage, refresh_head};
pub use idle::{show_clock, show_fault, show_reader, show_status, show_sync};
use month::open_month;
use result::result_done;
pub use result::show_result;

use std::cell::RefCell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::{mpsc, Arc};
use std::time::Duration;

use slint::{ComponentHandle, ModelRc, SharedString, VecModel};

use crate::domain::config::{Config, Language};
use crate::domain::model::Role;
use crate::kiosk::clock::Clock;
use crate::kiosk::event_loop::{self, panic_text, Front, Input, Stamped};
use crate::kiosk::live::Listener;
use crate::kiosk::live::LiveEvent;
use crate::kiosk::live::Purpose;
use crate::kiosk::pin::Outcome as PinOutcome;
use crate::kiosk::reader::{ReaderHandle, ReaderHealth, ReaderState};
use crate::kiosk::service::{EnrolLine, Identified, LeaveSpan, Period, Service, ARMED_SECONDS, MAX_RANGE_DAYS};
use crate::kiosk::store::Store;
use crate::kiosk::words::{self, Say};
use crate::kiosk::Core;

slint::include_modules!();

/// How long a scan result in order stays before the idle screen returns.
pub const RESULT_SECONDS: i32 = 5;
/// How long a problem (迟到, 旷工, 缺卡, an unknown card, not recorded) stays:
/// long enough to read why and what to do. A tap closes either.
pub const PROBLEM_SECONDS: i32 = 10;
/// Head and admin mode end after this long without a touch.
pub const MANAGE_IDLE_SECONDS: u32 = 60;

/// What the UI thread applies when a job's answer comes back.
pub type UiUpdate = Box<dyn FnOnce(&KioskWindow, &Shared) + Send>;
/// Work for the service, run on the worker thread (or inline in tests).
pub type Job = Box<dyn FnOnce(&mut Service<'_>) -> UiUpdate + Send>;

/// Where jobs run: the kiosk loop's thread in the kiosk, inline in tests.
pub trait Runner {
    fn run(&self, job: Job);
    /// A card id from the window (the demo strip, a keyboard typing into
    /// it): in the kiosk it joins the reader's scans in the event loop, so
    /// every listener hears it; inline, it is scanned at once.
    fn scan(&self, card: String) {
        self.run(Box::new(move |svc: &mut Service<'_>| -> UiUpdate {
            let (now, synced) = svc.core.read_clock();
            let e = svc.card(&card, now, synced);
            update_for(&e, svc).unwrap_or_else(|| Box::new(|_: &KioskWindow, _: &Shared| {}))
        }));
    }
}

/// What the screen does with a live event, worked out on the loop's
/// thread: a scan's result, an identification's month or PIN, a reader's
/// state (a fault told like a scan). `None` for what the screen does not
/// show (the day closed, ready).
fn update_for(e: &LiveEvent, svc: &mut Service<'_>) -> Option<UiUpdate> {
    Some(match e {
        LiveEvent::Punch { .. }
        | LiveEvent::Duplicate { .. }
        | LiveEvent::UnknownCard { .. }
        | LiveEvent::NotRecorded { .. } => {
            let v = svc.describe(e.clone());
            Box::new(move |ui: &KioskWindow, sh: &Shared| show_result(ui, sh, &v))
        }
        LiveEvent::Identified { .. } => {
            let id = svc.identified(e);
            Box::new(move |ui: &KioskWindow, sh: &Shared| result::show_identified(ui, sh, id))
        }
        LiveEvent::Reader { state, .. } => {
            let state = *state;
            // A reader fault is told on screen, like a scan.
            let fault = (state != ReaderState::Connected).then(|| svc.describe(e.clone()));
            Box::new(move |ui: &KioskWindow, sh: &Shared| {
                show_reader(ui, state);
                if let Some(v) = fault {
                    show_result(ui, sh, &v);
                }
            })
        }
        LiveEvent::DayClosed { .. } | LiveEvent::Ready { .. } => return None,
    })
}

/// Runs jobs on the kiosk loop's thread (the only thread that touches the
/// store); each answer is applied on the UI thread.
pub struct ThreadRunner {
    tx: mpsc::Sender<Input>,
    /// Typed ids join the reader's scans, stamped by the kiosk's clock.
    scans: Stamped,
    ui: slint::Weak<KioskWindow>,
}

impl Runner for ThreadRunner {
    fn run(&self, job: Job) {
        let ui = self.ui.clone();
        let call: event_loop::Call = Box::new(move |svc: &mut Service<'_>| post(&ui, job(svc)));
        if self.tx.send(Input::Call(call)).is_err() {
            eprintln!("kiosk: the kiosk loop is gone; the screen's request was not carried out");
        }
    }

    fn scan(&self, card: String) {
        if !self.scans.card(card) {
            eprintln!("kiosk: the kiosk loop is gone; the typed scan was not recorded");
        }
    }
}

/// Applies an update on the UI thread (from any thread).
fn post(ui: &slint::Weak<KioskWindow>, u: UiUpdate) {
    let _ = ui.upgrade_in_event_loop(move |ui| SHARED.with(|sh| u(&ui, sh)));
}

/// The screen as a listener of the kiosk loop: scans and reader faults
/// become the result screen, reader states the idle screen's mark.
pub struct ScreenFront {
    ui: slint::Weak<KioskWindow>,
}

/// Runs jobs at once on the calling thread (headless tests and screenshots).
pub struct InlineRunner<'a> {
    pub service: RefCell<Service<'a>>,
    pub ui: slint::Weak<KioskWindow>,
    pub shared: Shared,
}

impl Runner for InlineRunner<'_> {
    fn run(&self, job: Job) {
        let update = job(&mut self.service.borrow_mut());
        if let Some(ui) = self.ui.upgrade() {
            update(&ui, &self.shared);
        }
    }
}

/// Who is using the screen beyond a scan.
#[derive(Debug, Clone, Default)]
pub struct Session {
    /// The last scanned person: (staff_no, name, role).
    pub scanned: Option<(String, String, Role)>,
    /// Whose month 我的考勤 shows (its requests are theirs).
    pub month_owner: Option<String>,
    /// A head or admin after their PIN: (staff_no, name, unit, role).
    pub manager: Option<(String, String, String, Role)>,
    pub pin: String,
    pub result_left: i32,
    /// The result stays until a tap or the next scan (an unknown card).
    pub result_sticky: bool,
    /// What a confirmed head or admin action does.
    pub pending: confirm::Pending,
    /// The leave form's stored kinds, in the screen's order, and today.
    pub leave_kinds: Vec<String>,
    pub today: Option<chrono::NaiveDate>,
    /// The person and day the head's pane shows.
    pub shown: Option<ShownDay>,
    /// Today's roster as the service gave it (the count bar filters it).
    pub idle_seconds: u32,
    /// The screen to return to after a scan result (head mode stays).
    pub back_to: Option<Screen>,
    /// Spot-check marks by staff number: 1 present, 2 absent; and the
    /// person's note (an index into the notes, 0 none).
    pub marks: Vec<(String, i32, i32)>,
    /// A spot check is on its way to the store (提交 waits for it).
    pub check_sending: bool,
    pub roster_rows: Vec<crate::kiosk::service::PersonRow>,
    /// The staff numbers of the roster's rows as shown (filtered).
    pub roster: Vec<String>,
    /// The summary's people (its rows' order) and days, for a grid tap.
    pub summary_people: Vec<String>,
    pub summary_days: Vec<chrono::NaiveDate>,
    /// The calendar, while a date is being picked.
    pub calendar: Option<calendar::CalendarState>,
    /// A leave request's first and last day (我的考勤's form).
    pub request_days: Option<(chrono::NaiveDate, chrono::NaiveDate)>,
    /// The admin screen: unknown cards as listed, the kiosk's staff, the
    /// staff numbers the search shows (in order), and the picks, kept by
    /// identity so that a refresh does not move them.
    pub unknown_cards: Vec<String>,
    pub enrol_staff: Vec<crate::kiosk::service::EnrolLine>,
    pub enrol_shown: Vec<String>,
    pub picked_card: Option<String>,
    pub picked_person: Option<String>,
    pub month_days: Vec<chrono::NaiveDate>,
    /// How many months back the month shown is.
    pub month_back: u32,
    /// Each of those days' expected times, for the 补卡 time picker.
    pub month_presets: Vec<Vec<(String, u32)>>,
    /// The leave kinds (stored words) of 我的考勤's leave request form.
    pub month_leave_kinds: Vec<String>,
    /// The admin's device status: the reader's lines and the device's.
    pub reader_lines: Vec<String>,
    pub device_lines: Vec<String>,
}

/// UI-thread state shared by the callbacks.
pub type Shared = Rc<RefCell<Session>>;

/// The day the head's pane shows: whose, which, and where the 补卡
/// dialog's time starts (the first missing punch's expected time).
#[derive(Debug, Clone)]
pub struct ShownDay {
    pub staff_no: String,
    pub name: String,
    pub date: chrono::NaiveDate,
    pub missing_at: u32,
}

fn s(x: impl AsRef<str>) -> SharedString {
    SharedString::from(x.as_ref())
}

fn tone(t: words::Tone) -> Tone {
    match t {
        words::Tone::Ok => Tone::Ok,
        words::Tone::Warn => Tone::Warn,
        words::Tone::Bad => Tone::Bad,
        words::Tone::Info => Tone::Info,
        words::Tone::Neutral => Tone::Neutral,
    }
}

fn model<T: Clone + 'static>(v: Vec<T>) -> ModelRc<T> {
    ModelRc::new(VecModel::from(v))
}

fn lang(ui: &KioskWindow) -> Language {
    if ui.global::<App>().get_zh() {
        Language::ZhCn
    } else {
        Language::En
    }
}

/// Wires every callback of the window to the runner.
pub fn wire(
    ui: &KioskWindow,
    runner: Rc<dyn Runner>,
    shared: Shared,
    health: Option<Arc<ReaderHealth>>,
    tz: chrono_tz::Tz,
) {
    RUNNER.with(|r| *r.borrow_mut() = Some(runner.clone()));
    let weak = ui.as_weak();
    let app = ui.global::<App>();
    {
        let r = runner.clone();
        app.on_simulate_scan(move |card| {
            if let Ok(c) = crate::domain::cards::normalize(&card) {
                r.scan(c);
            }
        });
    }
    {
        let (w, r) = (weak.clone(), runner.clone());
        app.on_toggle_language(move || {
            let Some(ui) = w.upgrade() else { return };
            let app = ui.global::<App>();
            let zh = !app.get_zh();
            app.set_zh(zh);
            r.run(Box::new(move |svc: &mut Service<'_>| -> UiUpdate {
                svc.lang = if zh { Language::ZhCn } else { Language::En };
                let now = svc.core.now();
                let cal = svc.calendar_known();
                Box::new(move |ui: &KioskWindow, _| {
                    show_clock(ui, now, tz);
                    show_status(ui, crate::kiosk::clock::time_source(), cal);
                    idle::show_marks_again(ui);
                })
            }));
        });
    }
    {
        let sh = shared.clone();
        app.on_activity(move || sh.borrow_mut().idle_seconds = 0);
    }
    idle::wire(ui, &runner);
    result::wire(ui, &runner, &shared);
    month::wire(ui, &runner, &shared);
    pin::wire(ui, &runner, &shared);
    head::wire(ui, &runner, &shared);
    confirm::wire(ui, &shared);
    calendar::wire(ui, &shared);
    admin::wire(ui, &runner, &shared, health);
}

/// One second of UI time: the result countdown, the manage-mode idle
/// timeout, the clock. Pure UI-thread work; no IO.
pub fn second(ui: &KioskWindow, shared: &Shared, now: crate::domain::time::Instant, tz: chrono_tz::Tz) {
    let screen = ui.global::<App>().get_screen();
    let mut done = false;
    let mut signed_out = false;
    {
        let mut st = shared.borrow_mut();
        if screen == Screen::Result && !st.result_sticky {
            st.result_left -= 1;
            ui.global::<ResultAdapter>().set_seconds_left(st.result_left.max(0));
            done = st.result_left <= 0;
        }
        if st.manager.is_some() || matches!(screen, Screen::Month | Screen::Pin) {
            st.idle_seconds += 1;
            if st.idle_seconds >= MANAGE_IDLE_SECONDS {
                signed_out = st.manager.take().is_some();
                st.idle_seconds = 0;
                st.back_to = None;
                if screen != Screen::Result {
                    ui.global::<App>().set_screen(Screen::Idle);
                }
                // A form left open on the month goes with it.
                ui.global::<MonthAdapter>().set_request_day(-1);
            }
        }
    }
    if signed_out {
        // A question left open is gone with the head.
        head::end_head_session(ui, shared);
        with_runner(sign_out);
    }
    if done {
        result_done(ui, shared);
    }
    idle::arming_second(ui);
    show_clock(ui, now, tz);
}

impl Front for ScreenFront {
    fn event(&mut self, e: &LiveEvent, svc: &mut Service<'_>) -> Result<(), String> {
        if matches!(e, LiveEvent::Reader { .. } | LiveEvent::DayClosed { .. } | LiveEvent::Ready { .. }) {
            eprintln!("{}", e.to_line());
        }
        if let Some(u) = update_for(e, svc) {
            post(&self.ui, u);
        }
        Ok(())
    }
}

/// The running kiosk behind a window: its reader and its loop thread.
/// Dropping it stops the reader; the loop ends when the window's runner
/// and the reader are gone.
pub struct Kiosk {
    pub runner: Rc<dyn Runner>,
    pub health: Arc<ReaderHealth>,
    _reader: ReaderHandle,
}

/// Starts the kiosk's production path for a window: the reader thread and
/// the kiosk loop on its own thread (the only one that touches the store),
/// the window's callbacks wired to it, and further `listeners` (sync,
/// buzzer and LEDs) attached to the loop. If the store cannot be used, the
/// window says so in red (and every scan is told "not recorded") while the
/// loop tries again every few seconds.
pub fn start(
    ui: &KioskWindow,
    config: &'static Config,
    store: Store,
    clock: impl Fn() -> Box<dyn Clock> + Send + 'static,
    mut listeners: Vec<Box<dyn Listener>>,
) -> Result<Kiosk, String> {
    let tz = config.default_schedule().tz;
    let (tx, rx) = mpsc::channel::<Input>();
    let reader = crate::kiosk::reader::start(&config.reader, Stamped::new(tx.clone(), clock()))
        .map_err(|e| format!("reader: {e}"))?;
    let health = reader.health.clone();
    let weak = ui.as_weak();
    let path = store.path().to_path_buf();
    let scans = Stamped::new(tx.clone(), clock());
    std::thread::Builder::new()
        .name("kiosk".into())
        .spawn(move || kiosk_thread(config, store, path, clock, rx, weak, &mut listeners))
        .map_err(|e| e.to_string())?;
    let runner: Rc<dyn Runner> = Rc::new(ThreadRunner { tx, scans, ui: ui.as_weak() });
    let shared = SHARED.with(|s| s.clone());
    wire(ui, runner.clone(), shared, Some(health.clone()), tz);
    Ok(Kiosk { runner, health, _reader: reader })
}

/// How long the loop waits before it tries an unusable store again.
const STORE_RETRY: Duration = Duration::from_secs(5);

fn kiosk_thread(
    config: &'static Config,
    store: Store,
    path: PathBuf,
    clock: impl Fn() -> Box<dyn Clock>,
    rx: mpsc::Receiver<Input>,
    weak: slint::Weak<KioskWindow>,
    listeners: &mut [Box<dyn Listener>],
) {
    let say = Say(config.language);
    let mut store = Some(store);
    loop {
        let opened = match store.take() {
            Some(s) => Ok(s),
            None => Store::open(&path),
        };
        let banner = match opened.and_then(|s| Core::new(config, s, clock())) {
            Ok(core) => {
                post(&weak, Box::new(|ui: &KioskWindow, _| show_fault(ui, "")));
                let mut svc = Service::new(core);
                let mut front = ScreenFront { ui: weak.clone() };
                // A panic in the loop (a bug no input should reach) is said on
                // the window and the loop starts again on a fresh core.
                match catch_unwind(AssertUnwindSafe(|| event_loop::run(&mut svc, &rx, &mut front, listeners))) {
                    Ok(Ok(())) => return,
                    Ok(Err(e)) => say.kiosk_restarted(&e),
                    Err(panic) => say.kiosk_restarted(&panic_text(&panic)),
                }
            }
            Err(e) => say.store_unavailable(&e.for_the_door(&path)),
        };
        eprintln!("kiosk: {banner}");
        let b = banner.clone();
        post(&weak, Box::new(move |ui: &KioskWindow, _| show_fault(ui, &b)));
        // Until it works again: every scan is told, in red, that it was not
        // recorded (and every listener hears so); every request from the
        // screen gets the same answer on the screen it came from.
        let until = std::time::Instant::now() + STORE_RETRY;
        while let Some(left) = until.checked_duration_since(std::time::Instant::now()) {
            match rx.recv_timeout(left) {
                Ok(Input::Reader(crate::kiosk::reader::ReaderEvent::Card(card), (at, _))) => {
                    let tz = config.default_schedule().tz;
                    let event = LiveEvent::NotRecorded {
                        at: crate::domain::time::rfc3339(tz, at),
                        card: card.clone(),
                        detail: banner.clone(),
                    };
                    for l in listeners.iter_mut() {
                        l.event(&event);
                    }
                    let time = crate::domain::time::instant_to_local(tz, at).format("%H:%M").to_string();
                    let mut v = crate::kiosk::service::ScanView::new(event, time);
                    v.tell(say.not_recorded(&banner));
                    v.card = card;
                    post(&weak, Box::new(move |ui: &KioskWindow, sh: &Shared| show_result(ui, sh, &v)));
                }
                Ok(Input::Reader(crate::kiosk::reader::ReaderEvent::State(state, _), _)) => {
                    post(&weak, Box::new(move |ui: &KioskWindow, _| show_reader(ui, state)));
                }
                Ok(Input::Call(_)) => {
                    let b = banner.clone();
                    post(&weak, Box::new(move |ui: &KioskWindow, _| head::head_message(ui, &b)));
                }
                Err(mpsc::RecvTimeoutError::Timeout) => break,
                Err(mpsc::RecvTimeoutError::Disconnected) => return,
            }
        }
    }
}

/// Runs the kiosk with its touchscreen. The kiosk loop's thread owns the
/// store and the reader's events; the UI thread only shows.
pub fn run_window(
    config: &'static Config,
    store: Store,
    demo: bool,
    sync: Option<crate::kiosk::sync::Worker>,
    mut listeners: Vec<Box<dyn Listener>>,
) -> Result<(), String> {
    let ui = KioskWindow::new().map_err(|e| format!("cannot open a window: {e} (no display? use --headless)"))?;
    let app = ui.global::<App>();
    app.set_zh(config.language == Language::ZhCn);
    app.set_demo(demo);
    // Free words only with a keyboard: a desktop window has one; the Pi's
    // panel has one when udev lists a keyboard that is not the reader.
    app.set_keyboard(
        cfg!(feature = "desktop")
            || crate::kiosk::display::keyboard_attached(
                std::path::Path::new("/dev/input/by-id"),
                config
                    .reader
                    .device
                    .as_deref()
                    .map(std::path::Path::new)
                    .filter(|_| config.reader.kind == crate::domain::config::ReaderKind::Keyboard),
            ),
    );
    ui.global::<IdleAdapter>().set_units(s(config.units.join("  ")));
    let size = ui.window().size();
    ui.global::<Theme>().set_compact(size.width < 1000);
    let tz = config.default_schedule().tz;
    listeners.extend(sync.iter().map(|w| w.listener()));
    let sync_status = sync.as_ref().map(|w| w.status.clone());
    let kiosk = start(&ui, config, store, || Box::new(crate::kiosk::clock::SystemClock), listeners)?;
    let runner = kiosk.runner.clone();
    let shared = SHARED.with(|s| s.clone());
    show_clock(&ui, chrono::Utc::now().timestamp_millis(), tz);
    show_status(&ui, crate::kiosk::clock::time_source(), true);
    if demo {
        show_reader(&ui, ReaderState::Connected);
    }
    // Calendar state once at start, then hourly with the clock sync.
    let status_job = move |r: &dyn Runner| {
        r.run(Box::new(move |svc: &mut Service<'_>| -> UiUpdate {
            let cal = svc.calendar_known();
            Box::new(move |ui: &KioskWindow, _| show_status(ui, crate::kiosk::clock::time_source(), cal))
        }))
    };
    status_job(&*runner);
    let timer = slint::Timer::default();
    {
        let (w, sh) = (ui.as_weak(), shared.clone());
        let r = runner.clone();
        let mut ticks = 0u32;
        let watchdog = crate::kiosk::systemd::watchdog_enabled();
        timer.start(slint::TimerMode::Repeated, Duration::from_secs(1), move || {
            let Some(ui) = w.upgrade() else { return };
            // The UI thread runs: systemd's watchdog hears it.
            if watchdog {
                crate::kiosk::systemd::feed();
            }
            second(&ui, &sh, chrono::Utc::now().timestamp_millis(), tz);
            // The sync thread's state, as it changes.
            if let Some(st) = &sync_status {
                let st = st.lock().map(|s| s.clone()).unwrap_or_default();
                show_sync(&ui, Some(&st));
            }
            ticks += 1;
            if ticks.is_multiple_of(3600) {
                status_job(&*r);
            }
        });
    }
    // READY as soon as the event loop runs (the window is up, scans are taken).
    slint::Timer::single_shot(Duration::ZERO, crate::kiosk::systemd::ready);
    ui.run().map_err(|e| e.to_string())?;
    drop(kiosk);
    Ok(())
}

thread_local! {
    /// The UI thread's session (the event loop's thread).
    static SHARED: Shared = Rc::new(RefCell::new(Session::default()));
    /// The UI thread's runner, for updates that start further jobs.
    static RUNNER: RefCell<Option<Rc<dyn Runner>>> = const { RefCell::new(None) };
}

/// Ends head or admin mode in the service too.
pub(crate) fn sign_out(runner: &dyn Runner) {
    runner.run(Box::new(|svc: &mut Service<'_>| -> UiUpdate {
        svc.sign_out();
        Box::new(|_: &KioskWindow, _: &Shared| {})
    }));
}

/// Runs `f` with the UI thread's runner (set by [`wire`]).
fn with_runner(f: impl FnOnce(&dyn Runner)) {
    if let Some(r) = RUNNER.with(|r| r.borrow().clone()) {
        f(&*r);
    }
}
