//! My attendance: a person's month and the correction request.

use std::rc::Rc;

use slint::{ComponentHandle, SharedString};

use super::*;

pub(super) fn show_month(ui: &KioskWindow, shared: &Shared, m: &crate::kiosk::service::MonthView) {
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
            missing_at: d.missing_at as i32,
        })
        .collect();
    a.set_days(model(days));
    let reasons: Vec<SharedString> = Say(lang(ui)).request_reasons().iter().map(s).collect();
    a.set_reasons(model(reasons));
    shared.borrow_mut().month_days = m.days.iter().map(|d| d.date).collect();
    ui.global::<App>().set_screen(Screen::Month);
}

pub(super) fn open_month(runner: &dyn Runner, staff_no: String) {
    runner.run(Box::new(move |svc: &mut Service<'_>| -> UiUpdate {
        let m = svc.month(&staff_no);
        Box::new(move |ui: &KioskWindow, sh: &Shared| match m {
            Ok(Some(m)) => show_month(ui, sh, &m),
            Ok(None) => {}
            // Said on the result screen the person is looking at.
            Err(e) => ui.global::<ResultAdapter>().set_detail(s(e.to_string())),
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
        month.on_request(move |day, minutes, reason| {
            let st = sh.borrow();
            let (Some((no, _, _)), Some(date)) = (st.scanned.clone(), st.month_days.get(day as usize).copied()) else {
                return;
            };
            drop(st);
            r.run(Box::new(move |svc: &mut Service<'_>| -> UiUpdate {
                let reasons = Say(svc.lang).request_reasons();
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
}
