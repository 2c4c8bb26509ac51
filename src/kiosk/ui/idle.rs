//! The idle screen: clock, date, units, status marks and a fault banner.

use slint::ComponentHandle;

use super::*;

fn say(ui: &KioskWindow) -> Say {
    Say(lang(ui))
}

/// Sets the idle screen's clock and date (only when they change: no redraw otherwise).
pub fn show_clock(ui: &KioskWindow, now: crate::domain::time::Instant, tz: chrono_tz::Tz) {
    let local = crate::domain::time::instant_to_local(tz, now);
    let idle = ui.global::<IdleAdapter>();
    let time = s(local.format("%H:%M").to_string());
    if idle.get_time() != time {
        idle.set_time(time);
    }
    let (date, wd) = say(ui).date(local.date());
    if idle.get_date() != date.as_str() {
        idle.set_date(s(&date));
    }
    if idle.get_weekday() != wd.as_str() {
        idle.set_weekday(s(&wd));
    }
}

thread_local! {
    /// The reader's last state, to say again in the other language.
    static READER: std::cell::Cell<Option<ReaderState>> = const { std::cell::Cell::new(None) };
    /// The sync state last shown, likewise.
    static SYNC: std::cell::RefCell<Option<crate::kiosk::sync::Status>> = const { std::cell::RefCell::new(None) };
}

/// The reader's state on the idle screen's status mark.
pub fn show_reader(ui: &KioskWindow, state: ReaderState) {
    READER.with(|r| r.set(Some(state)));
    let (label, t) = say(ui).reader_mark(state);
    let idle = ui.global::<IdleAdapter>();
    idle.set_reader_label(s(label));
    idle.set_reader_tone(tone(t));
}

thread_local! {
    /// Whether the holiday calendar of this year is known (said again in
    /// the other language).
    static CALENDAR_KNOWN: std::cell::Cell<bool> = const { std::cell::Cell::new(true) };
}

/// Clock sync on the idle screen; a missing holiday calendar as a red
/// warning on the head's and the admin's screens (holidays would be
/// judged as absences), not to staff at the door, who can do nothing
/// about it.
pub fn show_status(ui: &KioskWindow, clock: crate::kiosk::clock::TimeSource, calendar_known: bool) {
    CALENDAR_KNOWN.with(|c| c.set(calendar_known));
    let say = say(ui);
    let idle = ui.global::<IdleAdapter>();
    let (cl, ct) = say.clock_mark(clock);
    idle.set_clock_label(s(cl));
    idle.set_clock_tone(tone(ct));
    ui.global::<App>().set_calendar_warning(s(say.calendar_warning(calendar_known)));
}

/// 查询 (1) or 管理 (2): the next scan, within [`ARMED_SECONDS`], identifies
/// the person and records no punch. The screen says so at once; the
/// arming itself is a call to the kiosk loop, queued behind any scan read
/// before the tap.
pub(super) fn arm(ui: &KioskWindow, runner: &dyn Runner, which: i32) {
    let purpose = match which {
        1 => Purpose::Lookup,
        2 => Purpose::Manage,
        _ => return,
    };
    let idle = ui.global::<IdleAdapter>();
    let (title, note) = say(ui).armed(purpose);
    idle.set_armed_title(s(title));
    idle.set_armed_note(s(note));
    idle.set_armed_left(ARMED_SECONDS as i32);
    idle.set_armed(which);
    runner.run(Box::new(move |svc: &mut Service<'_>| -> UiUpdate {
        svc.arm(purpose);
        Box::new(|_: &KioskWindow, _: &Shared| {})
    }));
}

/// 取消, or the countdown ran out: the next scan punches again.
pub(super) fn disarm(ui: &KioskWindow, runner: &dyn Runner) {
    end_arming(ui);
    runner.run(Box::new(|svc: &mut Service<'_>| -> UiUpdate {
        svc.disarm();
        Box::new(|_: &KioskWindow, _: &Shared| {})
    }));
}

/// The arming's screen goes (a scan came, or it was cancelled).
pub(super) fn end_arming(ui: &KioskWindow) {
    ui.global::<IdleAdapter>().set_armed(0);
}

/// One second of the arming's countdown; at 0 the kiosk punches again.
pub(super) fn arming_second(ui: &KioskWindow) {
    let idle = ui.global::<IdleAdapter>();
    if idle.get_armed() == 0 {
        return;
    }
    let left = idle.get_armed_left() - 1;
    idle.set_armed_left(left.max(0));
    if left <= 0 {
        with_runner(|r| disarm(ui, r));
    }
}

/// Wires 查询, 管理 and 取消.
pub(super) fn wire(ui: &KioskWindow, runner: &std::rc::Rc<dyn Runner>) {
    let idle = ui.global::<IdleAdapter>();
    {
        let (w, r) = (ui.as_weak(), runner.clone());
        idle.on_arm(move |which| {
            if let Some(ui) = w.upgrade() {
                arm(&ui, &*r, which);
            }
        });
    }
    {
        let (w, r) = (ui.as_weak(), runner.clone());
        idle.on_disarm(move || {
            if let Some(ui) = w.upgrade() {
                disarm(&ui, &*r);
            }
        });
    }
}

/// Central sync on the idle screen: none without a server; synced, N
/// waiting, or the last error.
pub fn show_sync(ui: &KioskWindow, status: Option<&crate::kiosk::sync::Status>) {
    SYNC.with(|c| *c.borrow_mut() = status.cloned());
    let (label, t) = say(ui).sync_mark(status, crate::kiosk::clock::time_source());
    let idle = ui.global::<IdleAdapter>();
    if idle.get_sync_label() != label.as_str() {
        idle.set_sync_label(s(label));
        idle.set_sync_tone(tone(t));
    }
}

/// The banner that says the kiosk cannot record scans (empty: none).
pub fn show_fault(ui: &KioskWindow, text: &str) {
    ui.global::<IdleAdapter>().set_fault(s(text));
}

/// Says the reader and sync marks again in the screen's language (after 中文/English).
pub(super) fn show_marks_again(ui: &KioskWindow) {
    if let Some(state) = READER.with(|r| r.get()) {
        show_reader(ui, state);
    }
    if let Some(status) = SYNC.with(|c| c.borrow().clone()) {
        show_sync(ui, Some(&status));
    }
    let app = ui.global::<App>();
    app.set_calendar_warning(s(say(ui).calendar_warning(CALENDAR_KNOWN.with(|c| c.get()))));
    let idle = ui.global::<IdleAdapter>();
    if idle.get_armed() != 0 {
        let purpose = if idle.get_armed() == 1 { Purpose::Lookup } else { Purpose::Manage };
        let (title, note) = say(ui).armed(purpose);
        idle.set_armed_title(s(title));
        idle.set_armed_note(s(note));
    }
}
