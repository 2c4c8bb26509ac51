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

/// Clock sync and the holiday calendar on the idle screen.
pub fn show_status(ui: &KioskWindow, clock_synced: bool, calendar_known: bool) {
    let say = say(ui);
    let idle = ui.global::<IdleAdapter>();
    let (cl, ct) = say.clock_mark(clock_synced);
    idle.set_clock_label(s(cl));
    idle.set_clock_tone(tone(ct));
    idle.set_calendar_label(s(say.calendar_mark(calendar_known)));
    // An administrator's matter: small and grey, not a warning to staff.
    idle.set_calendar_tone(Tone::Neutral);
}

/// Central sync on the idle screen: none without a server; synced, N
/// waiting, or the last error.
pub fn show_sync(ui: &KioskWindow, status: Option<&crate::kiosk::sync::Status>) {
    SYNC.with(|c| *c.borrow_mut() = status.cloned());
    let (label, t) = say(ui).sync_mark(status);
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
}
