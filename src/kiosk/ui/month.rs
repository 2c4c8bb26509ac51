//! My attendance: a person's month (this one or earlier), and their
//! requests for a correction (补卡) or leave (请假) from a day that needs one.

use std::rc::Rc;

use slint::{ComponentHandle, Model, ModelRc, SharedString};

use super::calendar::DateField;
use super::*;

pub(super) fn show_month(ui: &KioskWindow, shared: &Shared, m: &crate::kiosk::service::MonthView) {
    // A month starts without a form or calendar (one left open by the
    // person before is gone).
    super::calendar::close(ui, shared);
    shared.borrow_mut().request_days = None;
    let a = ui.global::<MonthAdapter>();
    a.set_title(s(&m.title));
    a.set_totals(s(&m.totals));
    a.set_months_back(m.back as i32);
    a.set_has_earlier(m.has_earlier);
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
            missing_at: d.missing_at as i32,
            can_request_leave: d.can_request_leave,
            requests: s(&d.requests),
        })
        .collect();
    a.set_days(model(days));
    let say = Say(lang(ui));
    let reasons: Vec<SharedString> = say.request_reasons().iter().map(s).collect();
    a.set_reasons(model(reasons));
    a.set_leave_reasons(model(say.leave_reasons().iter().map(s).collect()));
    a.set_approver(s(&m.approver));
    let mut st = shared.borrow_mut();
    // Whose month this is: the requests sent from it are theirs, whoever
    // scans at the door meanwhile.
    st.month_owner = Some(m.staff_no.clone());
    st.today = Some(m.today);
    st.month_back = m.back;
    st.month_days = m.days.iter().map(|d| d.date).collect();
    st.month_presets = m.days.iter().map(|d| d.presets.clone()).collect();
    ui.global::<App>().set_screen(Screen::Month);
}

/// The leave kinds of the person's own schedule for the request form:
/// (stored kind, word on the screen).
pub(super) fn show_kinds(ui: &KioskWindow, sh: &Shared, kinds: Vec<(String, String)>) {
    // Chinese words are short: five to a row; English three.
    let cols = if lang(ui) == Language::ZhCn { 5 } else { 3 };
    let rows: Vec<ModelRc<SharedString>> =
        kinds.chunks(cols).map(|c| model(c.iter().map(|k| s(&k.1)).collect())).collect();
    let a = ui.global::<MonthAdapter>();
    a.set_leave_kind_cols(cols as i32);
    a.set_leave_kind_rows(model(rows));
    sh.borrow_mut().month_leave_kinds = kinds.into_iter().map(|k| k.0).collect();
}

/// Opens the scanned person's month, `back` months before this one.
pub(super) fn open_month(runner: &dyn Runner, staff_no: String, back: u32) {
    runner.run(Box::new(move |svc: &mut Service<'_>| -> UiUpdate {
        let m = svc.month(&staff_no, back);
        // The person's own schedule's kinds (its duty kinds may differ).
        let kinds = svc.leave_kinds_of(&staff_no).unwrap_or_default();
        Box::new(move |ui: &KioskWindow, sh: &Shared| match m {
            // Only while they are still the last person scanned: a scan
            // answered meanwhile is not covered by someone else's month.
            Ok(Some(m)) if sh.borrow().scanned.as_ref().is_some_and(|x| x.0 == m.staff_no) => {
                show_kinds(ui, sh, kinds);
                show_month(ui, sh, &m);
            }
            Ok(_) => {}
            // Said where the person is looking: the result screen, or the
            // month they were turning from.
            Err(e) => {
                ui.global::<ResultAdapter>().set_why(s(e.to_string()));
                ui.global::<MonthAdapter>().set_message(s(e.to_string()));
            }
        })
    }));
}

/// The month's owner and its day `day`.
fn picked_day(sh: &Shared, day: i32) -> Option<(String, chrono::NaiveDate)> {
    let st = sh.borrow();
    let no = st.month_owner.clone()?;
    Some((no, *st.month_days.get(usize::try_from(day).ok()?)?))
}

/// Sends a request from the month and says how it went; the month is
/// shown again, with the request's state on its days (待审批), and a
/// refusal stays readable.
fn send(
    runner: &dyn Runner,
    f: impl FnOnce(&mut Service<'_>) -> crate::kiosk::service::Result<String> + Send + 'static,
    staff_no: String,
    back: u32,
) {
    runner.run(Box::new(move |svc: &mut Service<'_>| -> UiUpdate {
        let msg = f(svc).unwrap_or_else(|e| e.to_string());
        let m = svc.month(&staff_no, back);
        let staff_no_shown = staff_no;
        Box::new(move |ui: &KioskWindow, sh: &Shared| {
            // The answer goes to the month it was sent from, if it is still
            // shown (not over a scan result or someone else's month).
            let shown = ui.global::<App>().get_screen() == Screen::Month
                && sh.borrow().month_owner.as_deref() == Some(staff_no_shown.as_str());
            if !shown {
                return;
            }
            if let Ok(Some(m)) = m {
                show_month(ui, sh, &m);
            }
            let a = ui.global::<MonthAdapter>();
            a.set_message(s(msg));
            a.set_request_day(-1);
        })
    }));
}

/// Wires the callbacks of this screen.
pub(super) fn wire(ui: &KioskWindow, runner: &Rc<dyn Runner>, shared: &Shared) {
    let weak = ui.as_weak();
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
        month.on_show_month(move |back| {
            let no = sh.borrow().month_owner.clone();
            if let Some(no) = no {
                open_month(&*r, no, back.max(0) as u32);
            }
        });
    }
    {
        let (w, sh) = (weak.clone(), shared.clone());
        month.on_open_request(move |day, kind| {
            let Some(ui) = w.upgrade() else { return };
            let Some((_, date)) = picked_day(&sh, day) else { return };
            let m = ui.global::<MonthAdapter>();
            let say = Say(lang(&ui));
            let Some(line) = m.get_days().row_data(day as usize) else { return };
            m.set_request_kind(kind);
            m.set_request_title(s(say.request_title(kind == 1, date)));
            // The time starts at the first missing punch's expected time,
            // with the day's expected times as presets.
            m.set_request_minutes(line.missing_at);
            let presets = sh.borrow().month_presets.get(day as usize).cloned().unwrap_or_default();
            m.set_request_presets(model(presets.iter().map(|p| s(&p.0)).collect()));
            m.set_request_preset_minutes(model(presets.iter().map(|p| p.1 as i32).collect()));
            m.set_reason_index(0);
            // Leave starts with no kind and no reason picked: that day, all of it.
            m.set_leave_kind(-1);
            m.set_leave_reason(-1);
            m.set_leave_span(0);
            sh.borrow_mut().request_days = Some((date, date));
            show_request_dates(&ui, &sh);
            m.set_message(s(""));
            m.set_request_day(day);
        });
    }
    {
        let (w, sh) = (weak.clone(), shared.clone());
        month.on_pick_date(move |which| {
            let Some(ui) = w.upgrade() else { return };
            let Some((first, last)) = sh.borrow().request_days else { return };
            let today = sh.borrow().today.unwrap_or(first);
            let field = if which == 0 { DateField::RequestFirst } else { DateField::RequestLast };
            let selected = if which == 0 { first } else { last };
            let max = chrono::Duration::days(crate::kiosk::service::MAX_LEAVE_DAYS);
            super::calendar::open(&ui, &sh, field, (today, selected), (today - max, today + max));
        });
    }
    {
        let (sh, r) = (shared.clone(), runner.clone());
        month.on_request(move |day, minutes, reason| {
            let Some((no, date)) = picked_day(&sh, day) else { return };
            let back = sh.borrow().month_back;
            let who = no.clone();
            send(
                &*r,
                move |svc| {
                    // Stored in Chinese, whatever the screen's language.
                    let reasons = Say(Language::ZhCn).request_reasons();
                    let why = reasons.get(reason as usize).copied().unwrap_or(reasons[0]);
                    svc.request_correction(&no, date, minutes.max(0) as u32, why)
                },
                who,
                back,
            );
        });
    }
    {
        let (sh, r) = (shared.clone(), runner.clone());
        month.on_request_leave(move |kind, span, reason| {
            let Some(no) = sh.borrow().month_owner.clone() else { return };
            let Some(days) = sh.borrow().request_days else { return };
            let Some(kind) = sh.borrow().month_leave_kinds.get(kind.max(0) as usize).cloned() else { return };
            let span = match span {
                1 => LeaveSpan::Morning,
                2 => LeaveSpan::Afternoon,
                _ => LeaveSpan::Day,
            };
            // Stored in Chinese, whatever the screen's language.
            let why = crate::kiosk::words::LEAVE_REASONS.get(reason.max(0) as usize).copied().unwrap_or("其他");
            let (who, back) = (no.clone(), sh.borrow().month_back);
            send(&*r, move |svc| svc.request_leave(&no, days, &kind, span, why), who, back);
        });
    }
}

/// The leave request's days on its form: 开始, 结束, and a half day only
/// when it is one day.
fn show_request_dates(ui: &KioskWindow, sh: &Shared) {
    let Some((first, last)) = sh.borrow().request_days else { return };
    let m = ui.global::<MonthAdapter>();
    let say = Say(lang(ui));
    m.set_leave_first_label(s(say.month_day_label(first)));
    m.set_leave_last_label(s(say.month_day_label(last)));
    m.set_leave_one_day(first == last);
    if first != last {
        m.set_leave_span(0);
    }
}

/// A date picked on the calendar for the leave request.
pub(super) fn set_request_date(ui: &KioskWindow, sh: &Shared, field: DateField, date: chrono::NaiveDate) {
    {
        let mut st = sh.borrow_mut();
        let Some((first, last)) = st.request_days else { return };
        st.request_days = Some(match field {
            DateField::RequestFirst => (date, last.max(date)),
            _ => (first.min(date), date),
        });
    }
    show_request_dates(ui, sh);
}
