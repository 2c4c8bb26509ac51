//! The idle screen: clock, date, units and status marks.

use slint::ComponentHandle;

use super::*;

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
