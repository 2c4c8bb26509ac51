//! The touchscreen (Slint): the only module that imports slint. One
//! adapter function per screen fills that screen's `global` from the
//! service's plain view data; the service (store, rules) runs on a worker
//! thread, so the reader and the store never block the UI thread. Results
//! come back through `slint::invoke_from_event_loop`.

pub mod headless;

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::atomic::Ordering;
use std::sync::{mpsc, Arc};
use std::time::Duration;

use slint::{ComponentHandle, Model, ModelRc, SharedString, VecModel};

use crate::config::{Config, Language};
use crate::kiosk::service::{LeaveSpan, PinOutcome, Service};
use crate::kiosk::Core;
use crate::live::LiveEvent;
use crate::model::Role;
use crate::reader::{ReaderEvent, ReaderHealth, ReaderState};
use crate::store::Store;
use crate::words;

slint::include_modules!();

/// How long a scan result stays before the idle screen returns.
pub const RESULT_SECONDS: i32 = 5;
/// Head and admin mode end after this long without a touch.
pub const MANAGE_IDLE_SECONDS: u32 = 60;

/// What the UI thread applies when a job's answer comes back.
pub type UiUpdate = Box<dyn FnOnce(&KioskWindow, &Shared) + Send>;
/// Work for the service, run on the worker thread (or inline in tests).
pub type Job = Box<dyn FnOnce(&mut Service<'_>) -> UiUpdate + Send>;

/// Where jobs run: a worker thread in the kiosk, inline in tests.
pub trait Runner {
    fn run(&self, job: Job);
}

/// Runs jobs on the worker thread that owns the store.
pub struct ThreadRunner {
    tx: mpsc::Sender<Job>,
}

impl Runner for ThreadRunner {
    fn run(&self, job: Job) {
        let _ = self.tx.send(job);
    }
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
    /// A head or admin after their PIN: (staff_no, name, unit, role).
    pub manager: Option<(String, String, String, Role)>,
    pub pin: String,
    pub result_left: i32,
    pub idle_seconds: u32,
    /// The screen to return to after a scan result (head mode stays).
    pub back_to: Option<Screen>,
    /// Spot-check marks by roster index: 1 present, 2 absent.
    pub marks: Vec<(String, i32)>,
    pub roster: Vec<String>,
    pub unknown_cards: Vec<String>,
    pub staff_for_enrol: Vec<String>,
    pub month_days: Vec<chrono::NaiveDate>,
}

/// UI-thread state shared by the callbacks.
pub type Shared = Rc<RefCell<Session>>;

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

/// Sets the idle screen's clock and date (only when they change: no redraw otherwise).
pub fn show_clock(ui: &KioskWindow, now: crate::time::Instant, tz: chrono_tz::Tz) {
    let local = crate::time::instant_to_local(tz, now);
    let zh = ui.global::<App>().get_zh();
    let idle = ui.global::<IdleAdapter>();
    let time = s(local.format("%H:%M").to_string());
    if idle.get_time() != time {
        idle.set_time(time);
    }
    let (date, wd) = if zh {
        let wd = ["星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日"]
            [chrono::Datelike::weekday(&local).num_days_from_monday() as usize];
        (local.format("%Y年%-m月%-d日").to_string(), wd.to_string())
    } else {
        (local.format("%-d %B %Y").to_string(), local.format("%A").to_string())
    };
    if idle.get_date() != date.as_str() {
        idle.set_date(s(&date));
    }
    if idle.get_weekday() != wd.as_str() {
        idle.set_weekday(s(&wd));
    }
}

/// The reader's state on the idle screen's status mark.
pub fn show_reader(ui: &KioskWindow, state: ReaderState) {
    let zh = ui.global::<App>().get_zh();
    let idle = ui.global::<IdleAdapter>();
    let (label, t) = match (state, zh) {
        (ReaderState::Connected, true) => ("读卡器正常", Tone::Ok),
        (ReaderState::Connected, false) => ("Reader OK", Tone::Ok),
        (ReaderState::Disconnected, true) => ("读卡器未连接", Tone::Bad),
        (ReaderState::Disconnected, false) => ("Reader unplugged", Tone::Bad),
        (ReaderState::Error, true) => ("读卡器故障", Tone::Bad),
        (ReaderState::Error, false) => ("Reader fault", Tone::Bad),
    };
    idle.set_reader_label(s(label));
    idle.set_reader_tone(t);
}

/// Clock sync and the holiday calendar on the idle screen.
pub fn show_status(ui: &KioskWindow, clock_synced: bool, calendar_known: bool, central: bool) {
    let zh = ui.global::<App>().get_zh();
    let idle = ui.global::<IdleAdapter>();
    let (cl, ct) = match (clock_synced, zh) {
        (true, true) => ("时钟已同步", Tone::Ok),
        (true, false) => ("Clock synced", Tone::Ok),
        (false, true) => ("时钟未同步", Tone::Warn),
        (false, false) => ("Clock not synced", Tone::Warn),
    };
    idle.set_clock_label(s(cl));
    idle.set_clock_tone(ct);
    let cal = match (calendar_known, zh) {
        (true, _) => "",
        (false, true) => "缺少节假日日历",
        (false, false) => "No holiday calendar",
    };
    idle.set_calendar_label(s(cal));
    idle.set_calendar_tone(Tone::Warn);
    let sync = match (central, zh) {
        (false, _) => "",
        (true, true) => "未同步到中心",
        (true, false) => "Not synced to central",
    };
    idle.set_sync_label(s(sync));
    idle.set_sync_tone(Tone::Warn);
}

/// Shows a scan result (the live event in words).
pub fn show_result(ui: &KioskWindow, shared: &Shared, v: &crate::kiosk::service::ScanView) {
    let r = ui.global::<ResultAdapter>();
    r.set_name(s(&v.name));
    r.set_time(s(&v.time));
    r.set_headline(s(&v.headline));
    r.set_detail(s(&v.detail));
    r.set_tone(tone(v.tone));
    r.set_known(v.staff_no.is_some());
    r.set_can_manage(matches!(v.role, Some(Role::Head) | Some(Role::Admin)));
    r.set_seconds_left(RESULT_SECONDS);
    let mut st = shared.borrow_mut();
    st.scanned = v.staff_no.clone().map(|no| (no, v.name.clone(), v.role.unwrap_or_default()));
    st.result_left = RESULT_SECONDS;
    let app = ui.global::<App>();
    let current = app.get_screen();
    if current != Screen::Result {
        st.back_to = match current {
            Screen::Head | Screen::Admin if st.manager.is_some() => Some(current),
            _ => None,
        };
    }
    app.set_screen(Screen::Result);
}

/// Ends a scan result: back to head/admin mode if it was open, else idle.
fn result_done(ui: &KioskWindow, shared: &Shared) {
    let back = shared.borrow_mut().back_to.take();
    ui.global::<App>().set_screen(back.unwrap_or(Screen::Idle));
}

/// A scan (from the reader or the demo strip).
pub fn scan(runner: &dyn Runner, card: String) {
    runner.run(Box::new(move |svc: &mut Service<'_>| -> UiUpdate {
        match svc.scan(&card) {
            Ok(v) => Box::new(move |ui: &KioskWindow, sh: &Shared| show_result(ui, sh, &v)),
            Err(e) => {
                let msg = e.to_string();
                Box::new(move |ui: &KioskWindow, sh: &Shared| {
                    let v = crate::kiosk::service::ScanView {
                        event: LiveEvent::UnknownCard { at: String::new(), card: String::new() },
                        staff_no: None,
                        name: "dutyclock".into(),
                        time: String::new(),
                        headline: if lang(ui) == Language::ZhCn {
                            "未能保存，请重新刷卡".into()
                        } else {
                            "Not saved: scan again".into()
                        },
                        detail: msg,
                        tone: words::Tone::Bad,
                        role: None,
                        card: String::new(),
                    };
                    show_result(ui, sh, &v)
                })
            }
        }
    }));
}

fn show_month(ui: &KioskWindow, shared: &Shared, m: &crate::kiosk::service::MonthView) {
    let a = ui.global::<MonthAdapter>();
    a.set_title(s(&m.title));
    a.set_totals(s(&m.totals));
    a.set_request_day(-1);
    a.set_message(s(""));
    let days: Vec<DayLine> = m
        .days
        .iter()
        .map(|d| DayLine {
            date: s(&d.label),
            status: s(&d.status),
            tone: tone(d.tone),
            punches: s(&d.punches),
            why: s(&d.why),
            can_request: d.can_request,
        })
        .collect();
    a.set_days(model(days));
    let zh = lang(ui) == Language::ZhCn;
    let reasons: Vec<SharedString> = if zh {
        vec![s("忘打卡"), s("外出办事"), s("设备故障")]
    } else {
        vec![s("Forgot"), s("On business"), s("Reader fault")]
    };
    a.set_reasons(model(reasons));
    shared.borrow_mut().month_days = m.days.iter().map(|d| d.date).collect();
    ui.global::<App>().set_screen(Screen::Month);
}

fn open_month(runner: &dyn Runner, staff_no: String) {
    runner.run(Box::new(move |svc: &mut Service<'_>| -> UiUpdate {
        let m = svc.month(&staff_no);
        Box::new(move |ui: &KioskWindow, sh: &Shared| {
            if let Ok(Some(m)) = m {
                show_month(ui, sh, &m)
            }
        })
    }));
}

fn head_message(ui: &KioskWindow, msg: &str) {
    ui.global::<HeadAdapter>().set_message(s(msg));
    ui.global::<AdminAdapter>().set_message(s(msg));
}

/// Reloads the head's roster and the current tab's data.
fn refresh_head(runner: &dyn Runner, unit: String) {
    runner.run(Box::new(move |svc: &mut Service<'_>| -> UiUpdate {
        let roster = svc.roster(&unit);
        let leave = svc.leave_lines(&unit);
        let requests = svc.request_lines(&unit);
        let summary = svc.summary_text(&unit);
        Box::new(move |ui: &KioskWindow, sh: &Shared| {
            let h = ui.global::<HeadAdapter>();
            if let Ok((rows, counts)) = roster {
                let mut st = sh.borrow_mut();
                st.roster = rows.iter().map(|r| r.staff_no.clone()).collect();
                let people: Vec<PersonLine> = rows
                    .iter()
                    .map(|r| PersonLine {
                        staff_no: s(&r.staff_no),
                        name: s(&r.name),
                        state: s(&r.state),
                        tone: tone(r.tone),
                        punches: s(&r.punches),
                        mark: st.marks.iter().find(|(n, _)| *n == r.staff_no).map_or(0, |m| m.1),
                    })
                    .collect();
                h.set_people(model(people));
                h.set_counts(s(counts));
            }
            let lines = |v: Vec<crate::kiosk::service::Line>| -> ModelRc<RecordLine> {
                model(
                    v.into_iter()
                        .map(|l| RecordLine { id: l.id as i32, text: s(l.text), open: l.open, tone: tone(l.tone) })
                        .collect(),
                )
            };
            if let Ok(v) = leave {
                h.set_leave_records(lines(v));
            }
            if let Ok(v) = requests {
                h.set_requests(lines(v));
            }
            if let Ok(t) = summary {
                h.set_summary_text(s(t));
            }
        })
    }));
}

fn open_person(runner: &dyn Runner, staff_no: String) {
    runner.run(Box::new(move |svc: &mut Service<'_>| -> UiUpdate {
        let p = svc.person(&staff_no);
        Box::new(move |ui: &KioskWindow, _sh: &Shared| {
            let Ok(Some(p)) = p else { return };
            let h = ui.global::<HeadAdapter>();
            h.set_person_title(s(&p.title));
            h.set_person_figures(s(&p.figures));
            h.set_person_why(model(p.why.iter().map(s).collect()));
            h.set_person_punches(model(
                p.punches
                    .iter()
                    .map(|x| PunchLine {
                        id: x.id as i32,
                        time: s(&x.time),
                        meaning: s(&x.meaning),
                        flags: s(&x.flags),
                        voided: x.voided,
                    })
                    .collect(),
            ));
        })
    }));
}

/// A head/admin job that ends in a message and a refresh.
fn manage(
    runner: &dyn Runner,
    shared: &Shared,
    f: impl FnOnce(&mut Service<'_>, &str) -> Result<String, crate::store::StoreError> + Send + 'static,
) {
    let Some((who, _, unit, role)) = shared.borrow().manager.clone() else { return };
    runner.run(Box::new(move |svc: &mut Service<'_>| -> UiUpdate {
        let msg = f(svc, &who).unwrap_or_else(|e| e.to_string());
        Box::new(move |ui: &KioskWindow, _sh: &Shared| head_message(ui, &msg))
    }));
    if role == Role::Admin {
        refresh_admin(runner);
    } else {
        refresh_head(runner, unit);
    }
}

fn refresh_admin(runner: &dyn Runner) {
    runner.run(Box::new(move |svc: &mut Service<'_>| -> UiUpdate {
        let cards = svc.unknown_cards().unwrap_or_default();
        let staff: Vec<(String, String)> = svc
            .core
            .attendance()
            .map(|a| a.all_staff().map(|s| (s.staff_no.clone(), s.name.clone())).collect())
            .unwrap_or_default();
        let size = svc.core.store().size_bytes();
        let synced = crate::clock::system_clock_synced();
        let zh = svc.lang == Language::ZhCn;
        let kind = svc.core.config().reader.kind.as_str();
        Box::new(move |ui: &KioskWindow, sh: &Shared| {
            let a = ui.global::<AdminAdapter>();
            let mut st = sh.borrow_mut();
            st.unknown_cards = cards.iter().map(|c| c.0.clone()).collect();
            st.staff_for_enrol = staff.iter().map(|c| c.0.clone()).collect();
            a.set_unknown(model(cards.iter().map(|(c, seen)| CardLine { card: s(c), seen: s(seen) }).collect()));
            a.set_staff(model(
                staff.iter().map(|(no, name)| StaffLine { staff_no: s(no), name: s(name), cards: s("") }).collect(),
            ));
            let mut status = a.get_status().iter().collect::<Vec<_>>();
            let db = format!("{:.1} MB", size as f64 / 1_048_576.0);
            let version = env!("CARGO_PKG_VERSION");
            let fixed = if zh {
                vec![
                    format!("读卡器类型：{kind}"),
                    format!("时钟：{}", if synced { "已同步" } else { "未同步" }),
                    format!("数据库：{db}"),
                    format!("软件版本：{version}"),
                ]
            } else {
                vec![
                    format!("Reader kind: {kind}"),
                    format!("Clock: {}", if synced { "synced" } else { "not synced" }),
                    format!("Database: {db}"),
                    format!("Version: {version}"),
                ]
            };
            status.retain(|l| {
                l.starts_with("读卡器：") || l.starts_with("Reader:") || l.contains("帧") || l.contains("frames")
            });
            status.extend(fixed.into_iter().map(SharedString::from));
            a.set_status(model(status));
        })
    }));
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
            if let Ok(c) = crate::cards::normalize(&card) {
                scan(&*r, c);
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
                let cal = svc
                    .core
                    .attendance()
                    .map(|a| a.calendar_known(a.config().default_schedule().attendance_day(now)))
                    .unwrap_or(true);
                let central = svc.core.config().central.is_some();
                Box::new(move |ui: &KioskWindow, _| {
                    show_clock(ui, now, tz);
                    show_status(ui, crate::clock::system_clock_synced(), cal, central);
                })
            }));
        });
    }
    {
        let sh = shared.clone();
        app.on_activity(move || sh.borrow_mut().idle_seconds = 0);
    }
    let result = ui.global::<ResultAdapter>();
    {
        let (w, sh) = (weak.clone(), shared.clone());
        result.on_done(move || {
            if let Some(ui) = w.upgrade() {
                result_done(&ui, &sh);
            }
        });
    }
    {
        let (sh, r) = (shared.clone(), runner.clone());
        result.on_my_attendance(move || {
            let no = sh.borrow().scanned.as_ref().map(|x| x.0.clone());
            if let Some(no) = no {
                open_month(&*r, no);
            }
        });
    }
    {
        let (w, sh) = (weak.clone(), shared.clone());
        result.on_manage(move || {
            let Some(ui) = w.upgrade() else { return };
            let who = sh.borrow().scanned.clone();
            if let Some((_, name, _)) = who {
                sh.borrow_mut().pin.clear();
                let p = ui.global::<PinAdapter>();
                p.set_who(s(name));
                p.set_dots(s(""));
                p.set_message(s(""));
                p.set_locked(false);
                ui.global::<App>().set_screen(Screen::Pin);
            }
        });
    }
    let month = ui.global::<MonthAdapter>();
    {
        let w = weak.clone();
        month.on_back(move || {
            if let Some(ui) = w.upgrade() {
                ui.global::<App>().set_screen(Screen::Idle);
            }
        });
    }
    {
        let (sh, r) = (shared.clone(), runner.clone());
        month.on_request(move |day, minutes, reason| {
            let st = sh.borrow();
            let (Some((no, _, _)), Some(date)) = (st.scanned.clone(), st.month_days.get(day as usize).copied()) else {
                return;
            };
            drop(st);
            r.run(Box::new(move |svc: &mut Service<'_>| -> UiUpdate {
                let zh = svc.lang == Language::ZhCn;
                let reasons = if zh {
                    ["忘打卡", "外出办事", "设备故障"]
                } else {
                    ["Forgot", "On business", "Reader fault"]
                };
                let why = reasons.get(reason as usize).copied().unwrap_or(reasons[0]);
                let msg =
                    svc.request_correction(&no, date, minutes.max(0) as u32, why).unwrap_or_else(|e| e.to_string());
                Box::new(move |ui: &KioskWindow, _| {
                    let m = ui.global::<MonthAdapter>();
                    m.set_message(s(msg));
                    m.set_request_day(-1);
                })
            }));
        });
    }
    let pin = ui.global::<PinAdapter>();
    {
        let (w, sh) = (weak.clone(), shared.clone());
        pin.on_digit(move |d| {
            let Some(ui) = w.upgrade() else { return };
            let mut st = sh.borrow_mut();
            if st.pin.len() < 8 {
                st.pin.push_str(&d);
            }
            ui.global::<PinAdapter>().set_dots(s("●".repeat(st.pin.len())));
        });
    }
    {
        let (w, sh) = (weak.clone(), shared.clone());
        pin.on_erase(move || {
            let Some(ui) = w.upgrade() else { return };
            let mut st = sh.borrow_mut();
            st.pin.pop();
            ui.global::<PinAdapter>().set_dots(s("●".repeat(st.pin.len())));
        });
    }
    {
        let w = weak.clone();
        pin.on_cancel(move || {
            if let Some(ui) = w.upgrade() {
                ui.global::<App>().set_screen(Screen::Idle);
            }
        });
    }
    {
        let (sh, r) = (shared.clone(), runner.clone());
        pin.on_submit(move || {
            let (who, code) = {
                let mut st = sh.borrow_mut();
                (st.scanned.clone(), std::mem::take(&mut st.pin))
            };
            let Some((no, name, _)) = who else { return };
            r.run(Box::new(move |svc: &mut Service<'_>| -> UiUpdate {
                let outcome = svc.login(&no, &code);
                let staff = svc.staff(&no).ok().flatten();
                let zh = svc.lang == Language::ZhCn;
                let tz = svc.core.config().default_schedule().tz;
                Box::new(move |ui: &KioskWindow, sh: &Shared| {
                    let p = ui.global::<PinAdapter>();
                    p.set_dots(s(""));
                    match outcome {
                        Ok(PinOutcome::Accepted) => {
                            let Some(staff) = staff else { return };
                            {
                                let mut st = sh.borrow_mut();
                                st.manager = Some((no.clone(), name.clone(), staff.unit.clone(), staff.role));
                                st.idle_seconds = 0;
                                st.marks.clear();
                            }
                            if staff.role == Role::Admin {
                                ui.global::<AdminAdapter>().set_message(s(""));
                                ui.global::<App>().set_screen(Screen::Admin);
                                with_runner(refresh_admin);
                            } else {
                                let h = ui.global::<HeadAdapter>();
                                h.set_unit(s(&staff.unit));
                                h.set_head(s(&name));
                                h.set_selected(-1);
                                h.set_message(s(""));
                                h.set_tab(HeadTab::Roster);
                                ui.global::<App>().set_screen(Screen::Head);
                                let unit = staff.unit.clone();
                                with_runner(|r| refresh_head(r, unit));
                            }
                        }
                        Ok(PinOutcome::Wrong { left }) => p.set_message(s(if zh {
                            format!("PIN 错误，还可尝试 {left} 次")
                        } else {
                            format!("Wrong PIN: {left} tries left")
                        })),
                        Ok(PinOutcome::Locked { until }) => {
                            p.set_locked(true);
                            let t = crate::time::instant_to_local(tz, until).format("%H:%M");
                            p.set_message(s(if zh {
                                format!("输错 5 次，已锁定至 {t}")
                            } else {
                                format!("5 wrong PINs: locked until {t}")
                            }));
                        }
                        Err(e) => p.set_message(s(e.to_string())),
                    }
                })
            }));
        });
    }
    let head = ui.global::<HeadAdapter>();
    {
        let (w, sh) = (weak.clone(), shared.clone());
        head.on_logout(move || {
            sh.borrow_mut().manager = None;
            if let Some(ui) = w.upgrade() {
                ui.global::<App>().set_screen(Screen::Idle);
            }
        });
    }
    {
        let (w, sh, r) = (weak.clone(), shared.clone(), runner.clone());
        head.on_show_tab(move |tab| {
            let Some(ui) = w.upgrade() else { return };
            ui.global::<HeadAdapter>().set_tab(tab);
            ui.global::<HeadAdapter>().set_message(s(""));
            let manager = sh.borrow().manager.clone();
            if let Some((_, _, unit, _)) = manager {
                refresh_head(&*r, unit);
            }
        });
    }
    {
        let (w, sh, r) = (weak.clone(), shared.clone(), runner.clone());
        head.on_open_person(move |i| {
            let Some(ui) = w.upgrade() else { return };
            ui.global::<HeadAdapter>().set_selected(i);
            let no = sh.borrow().roster.get(i as usize).cloned();
            if let Some(no) = no {
                open_person(&*r, no);
            }
        });
    }
    {
        let (w, sh) = (weak.clone(), shared.clone());
        head.on_mark(move |i, v| {
            let Some(ui) = w.upgrade() else { return };
            let mut st = sh.borrow_mut();
            let Some(no) = st.roster.get(i as usize).cloned() else { return };
            st.marks.retain(|(n, _)| *n != no);
            st.marks.push((no, v));
            let h = ui.global::<HeadAdapter>();
            let people = h.get_people();
            if let Some(mut row) = people.row_data(i as usize) {
                row.mark = v;
                people.set_row_data(i as usize, row);
            }
        });
    }
    {
        let (w, sh, r) = (weak.clone(), shared.clone(), runner.clone());
        head.on_submit_check(move || {
            let Some(ui) = w.upgrade() else { return };
            let note_i = ui.global::<HeadAdapter>().get_check_note() as usize;
            let note = ui
                .global::<HeadAdapter>()
                .get_check_notes()
                .iter()
                .nth(note_i)
                .map(|x| x.to_string())
                .unwrap_or_default();
            let marks: Vec<(String, bool)> = sh.borrow_mut().marks.drain(..).map(|(n, v)| (n, v == 1)).collect();
            manage(&*r, &sh, move |svc, who| svc.spot_check(who, &marks, &note));
        });
    }
    {
        let (sh, r) = (shared.clone(), runner.clone());
        head.on_add_leave(move |i, kind, span| {
            let Some(no) = sh.borrow().roster.get(i as usize).cloned() else { return };
            let kinds = ["事假", "病假", "年休假", "调休", "公出", "出差"];
            let kind = kinds.get(kind as usize).copied().unwrap_or("事假").to_string();
            let span = match span {
                1 => LeaveSpan::Morning,
                2 => LeaveSpan::Afternoon,
                _ => LeaveSpan::Day,
            };
            manage(&*r, &sh, move |svc, who| svc.add_leave(who, &no, &kind, span));
        });
    }
    {
        let (sh, r) = (shared.clone(), runner.clone());
        head.on_revoke_leave(move |id| manage(&*r, &sh, move |svc, who| svc.revoke_leave(who, i64::from(id))));
    }
    {
        let (sh, r) = (shared.clone(), runner.clone());
        head.on_decide(move |id, approve| manage(&*r, &sh, move |svc, who| svc.decide(who, i64::from(id), approve)));
    }
    let reason_text =
        |i: i32| ["忘打卡", "设备故障", "外出办事", "刷错卡"].get(i as usize).copied().unwrap_or("忘打卡").to_string();
    {
        let (w, sh, r) = (weak.clone(), shared.clone(), runner.clone());
        head.on_add_punch(move |i, minutes, reason| {
            let Some(no) = sh.borrow().roster.get(i as usize).cloned() else { return };
            let why = reason_text(reason);
            let no2 = no.clone();
            manage(&*r, &sh, move |svc, who| svc.add_punch(who, &no, minutes.max(0) as u32, &why));
            if w.upgrade().is_some() {
                open_person(&*r, no2);
            }
        });
    }
    {
        let (w, sh, r) = (weak.clone(), shared.clone(), runner.clone());
        head.on_void_punch(move |id, reason| {
            let why = reason_text(reason);
            manage(&*r, &sh, move |svc, who| svc.void_punch(who, i64::from(id), &why));
            let Some(ui) = w.upgrade() else { return };
            let sel = ui.global::<HeadAdapter>().get_selected();
            let no = sh.borrow().roster.get(sel.max(0) as usize).cloned();
            if let Some(no) = no {
                open_person(&*r, no);
            }
        });
    }
    let admin = ui.global::<AdminAdapter>();
    {
        let (w, sh) = (weak.clone(), shared.clone());
        admin.on_logout(move || {
            sh.borrow_mut().manager = None;
            if let Some(ui) = w.upgrade() {
                ui.global::<App>().set_screen(Screen::Idle);
            }
        });
    }
    {
        let (sh, r) = (shared.clone(), runner.clone());
        admin.on_enroll(move |card, person| {
            let st = sh.borrow();
            let (Some(c), Some(p)) =
                (st.unknown_cards.get(card as usize).cloned(), st.staff_for_enrol.get(person as usize).cloned())
            else {
                return;
            };
            drop(st);
            manage(&*r, &sh, move |svc, who| svc.enroll(who, &c, &p));
        });
    }
    if let Some(h) = health {
        let w = weak.clone();
        // Frames dropped, for the admin's device status.
        let t = slint::Timer::default();
        t.start(slint::TimerMode::Repeated, Duration::from_secs(2), move || {
            let Some(ui) = w.upgrade() else { return };
            if ui.global::<App>().get_screen() != Screen::Admin {
                return;
            }
            let zh = ui.global::<App>().get_zh();
            let a = ui.global::<AdminAdapter>();
            let mut status: Vec<SharedString> = a
                .get_status()
                .iter()
                .filter(|l| {
                    !(l.contains("帧") || l.contains("frames") || l.starts_with("读卡器：") || l.starts_with("Reader:"))
                })
                .collect();
            let state = h.state.lock().map(|s| s.clone()).unwrap_or(None);
            let st = state.map(|(s, d)| format!("{s:?} {d}")).unwrap_or_default();
            let scans = h.scans.load(Ordering::Relaxed);
            let dropped = h.dropped.load(Ordering::Relaxed);
            status.insert(0, s(if zh { format!("读卡器：{st}") } else { format!("Reader: {st}") }));
            status.insert(
                1,
                s(if zh {
                    format!("刷卡 {scans} 次，丢弃坏帧 {dropped}")
                } else {
                    format!("{scans} scans, {dropped} bad frames dropped")
                }),
            );
            a.set_status(model(status));
        });
        std::mem::forget(t);
    }
}

/// One second of UI time: the result countdown, the manage-mode idle
/// timeout, the clock. Pure UI-thread work; no IO.
pub fn second(ui: &KioskWindow, shared: &Shared, now: crate::time::Instant, tz: chrono_tz::Tz) {
    let screen = ui.global::<App>().get_screen();
    let mut done = false;
    {
        let mut st = shared.borrow_mut();
        if screen == Screen::Result {
            st.result_left -= 1;
            ui.global::<ResultAdapter>().set_seconds_left(st.result_left.max(0));
            done = st.result_left <= 0;
        }
        if st.manager.is_some() || matches!(screen, Screen::Month | Screen::Pin) {
            st.idle_seconds += 1;
            if st.idle_seconds >= MANAGE_IDLE_SECONDS {
                st.manager = None;
                st.idle_seconds = 0;
                st.back_to = None;
                if screen != Screen::Result {
                    ui.global::<App>().set_screen(Screen::Idle);
                }
            }
        }
    }
    if done {
        result_done(ui, shared);
    }
    show_clock(ui, now, tz);
}

/// Runs the kiosk with its touchscreen. The worker thread owns the store
/// and the reader's events; the UI thread only shows.
pub fn run_window(config: &'static Config, store: Store, demo: bool) -> Result<(), String> {
    let ui = KioskWindow::new().map_err(|e| format!("cannot open a window: {e} (no display? use --headless)"))?;
    let app = ui.global::<App>();
    app.set_zh(config.language == Language::ZhCn);
    app.set_demo(demo);
    ui.global::<IdleAdapter>().set_units(s(config.units.join("  ")));
    let size = ui.window().size();
    ui.global::<Theme>().set_compact(size.width < 1000);
    let tz = config.default_schedule().tz;

    let (reader_tx, reader_rx) = mpsc::channel::<ReaderEvent>();
    // The demo's reader is `simulated`: ids typed on stdin, besides the on-screen strip.
    let reader = Some(crate::reader::start(&config.reader, reader_tx).map_err(|e| format!("reader: {e}"))?);
    let health = reader.as_ref().map(|r| r.health.clone());

    let (job_tx, job_rx) = mpsc::channel::<Job>();
    let weak = ui.as_weak();
    // The worker: the only thread that touches the store.
    std::thread::Builder::new()
        .name("kiosk".into())
        .spawn(move || {
            let core = match Core::new(config, store, Box::new(crate::clock::SystemClock)) {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("kiosk: {e}");
                    return;
                }
            };
            let mut svc = Service::new(core);
            let post = |w: &slint::Weak<KioskWindow>, u: UiUpdate| {
                let _ = w.upgrade_in_event_loop(move |ui| {
                    SHARED.with(|sh| u(&ui, sh));
                });
            };
            loop {
                for e in svc.core.tick().unwrap_or_default() {
                    eprintln!("{}", e.to_line());
                }
                while let Ok(ev) = reader_rx.try_recv() {
                    let u: UiUpdate = match ev {
                        ReaderEvent::Card(id) => match svc.scan(&id) {
                            Ok(v) => Box::new(move |ui: &KioskWindow, sh: &Shared| show_result(ui, sh, &v)),
                            Err(e) => {
                                eprintln!("store: {e}");
                                continue;
                            }
                        },
                        ReaderEvent::State(state, detail) => {
                            eprintln!("reader: {state:?} {detail}");
                            Box::new(move |ui: &KioskWindow, _| show_reader(ui, state))
                        }
                    };
                    post(&weak, u);
                }
                match job_rx.recv_timeout(Duration::from_millis(20)) {
                    Ok(job) => post(&weak, job(&mut svc)),
                    Err(mpsc::RecvTimeoutError::Timeout) => {}
                    Err(mpsc::RecvTimeoutError::Disconnected) => return,
                }
            }
        })
        .map_err(|e| e.to_string())?;

    let runner: Rc<dyn Runner> = Rc::new(ThreadRunner { tx: job_tx });
    let shared = SHARED.with(|s| s.clone());
    wire(&ui, runner.clone(), shared.clone(), health, tz);
    show_clock(&ui, chrono::Utc::now().timestamp_millis(), tz);
    show_status(&ui, crate::clock::system_clock_synced(), true, config.central.is_some());
    if demo {
        show_reader(&ui, ReaderState::Connected);
    }
    // Calendar state once at start, then hourly with the clock sync.
    let status_job = move |r: &dyn Runner| {
        r.run(Box::new(move |svc: &mut Service<'_>| -> UiUpdate {
            let now = svc.core.now();
            let cal = svc
                .core
                .attendance()
                .map(|a| a.calendar_known(a.config().default_schedule().attendance_day(now)))
                .unwrap_or(true);
            let central = svc.core.config().central.is_some();
            Box::new(move |ui: &KioskWindow, _| show_status(ui, crate::clock::system_clock_synced(), cal, central))
        }))
    };
    status_job(&*runner);
    let timer = slint::Timer::default();
    {
        let (w, sh) = (ui.as_weak(), shared.clone());
        let r = runner.clone();
        let mut ticks = 0u32;
        timer.start(slint::TimerMode::Repeated, Duration::from_secs(1), move || {
            let Some(ui) = w.upgrade() else { return };
            second(&ui, &sh, chrono::Utc::now().timestamp_millis(), tz);
            ticks += 1;
            if ticks.is_multiple_of(3600) {
                status_job(&*r);
            }
        });
    }
    ui.run().map_err(|e| e.to_string())?;
    drop(reader);
    Ok(())
}

thread_local! {
    /// The UI thread's session (the event loop's thread).
    static SHARED: Shared = Rc::new(RefCell::new(Session::default()));
    /// The UI thread's runner, for updates that start further jobs.
    static RUNNER: RefCell<Option<Rc<dyn Runner>>> = const { RefCell::new(None) };
}

/// Runs `f` with the UI thread's runner (set by [`wire`]).
fn with_runner(f: impl FnOnce(&dyn Runner)) {
    if let Some(r) = RUNNER.with(|r| r.borrow().clone()) {
        f(&*r);
    }
}
