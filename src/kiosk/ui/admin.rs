//! Admin mode: enrolment and device status.

use std::rc::Rc;

use slint::{ComponentHandle, Model, SharedString};

use super::*;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

pub(super) fn refresh_admin(runner: &dyn Runner) {
    runner.run(Box::new(move |svc: &mut Service<'_>| -> UiUpdate {
        let cards = svc.unknown_cards().unwrap_or_default();
        let staff: Vec<(String, String)> = svc
            .core
            .attendance()
            .map(|a| a.all_staff().map(|s| (s.staff_no.clone(), s.name.clone())).collect())
            .unwrap_or_default();
        let size = svc.core.store().size_bytes();
        let synced = crate::kiosk::clock::system_clock_synced();
        let say = Say(svc.lang);
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
            let fixed = say.device_status(kind, synced, &db, version);
            status.retain(|l| {
                l.starts_with("读卡器：") || l.starts_with("Reader:") || l.contains("帧") || l.contains("frames")
            });
            status.extend(fixed.into_iter().map(SharedString::from));
            a.set_status(model(status));
        })
    }));
}

/// Wires the callbacks of this screen.
pub(super) fn wire(ui: &KioskWindow, runner: &Rc<dyn Runner>, shared: &Shared, health: Option<Arc<ReaderHealth>>) {
    let weak = ui.as_weak();
    let admin = ui.global::<AdminAdapter>();
    {
        let (w, sh) = (weak.clone(), shared.clone());
        admin.on_logout(move || {
            sh.borrow_mut().manager = None;
            with_runner(sign_out);
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
            let say = Say(lang(&ui));
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
            let [state_line, counts_line] = say.reader_status(&st, scans, dropped);
            status.insert(0, s(state_line));
            status.insert(1, s(counts_line));
            a.set_status(model(status));
        });
        std::mem::forget(t);
    }
}
