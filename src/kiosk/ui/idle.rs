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

/// The reader's state on the idle screen's status mark.
pub fn show_reader(ui: &KioskWindow, state: ReaderState) {
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
