//! Admin mode: enrolment and device status.

use std::rc::Rc;

use slint::{ComponentHandle, SharedString};

use super::*;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

pub(super) fn refresh_admin(runner: &dyn Runner) {
    runner.run(Box::new(move |svc: &mut Service<'_>| -> UiUpdate {
        let cards = svc.unknown_cards();
        let staff: Result<Vec<(String, String)>, String> = svc
            .core
            .attendance()
            .map(|a| a.all_staff().map(|s| (s.staff_no.clone(), s.name.clone())).collect())
            .map_err(|e| e.to_string());
        let size = svc.core.store().size_bytes();
        let synced = crate::kiosk::clock::system_clock_synced();
        let say = Say(svc.lang);
        let kind = svc.core.config().reader.kind.as_str();
        Box::new(move |ui: &KioskWindow, sh: &Shared| {
            let a = ui.global::<AdminAdapter>();
            let mut errors = Vec::new();
            let mut st = sh.borrow_mut();
            match cards {
                Ok(cards) => {
                    st.unknown_cards = cards.iter().map(|c| c.0.clone()).collect();
                    a.set_unknown(model(
                        cards.iter().map(|(c, seen)| CardLine { card: s(c), seen: s(seen) }).collect(),
                    ));
                }
                Err(e) => errors.push(e.to_string()),
            }
            match staff {
                Ok(staff) => {
                    st.staff_for_enrol = staff.iter().map(|c| c.0.clone()).collect();
                    a.set_staff(model(
                        staff
                            .iter()
                            .map(|(no, name)| StaffLine { staff_no: s(no), name: s(name), cards: s("") })
                            .collect(),
                    ));
                }
                Err(e) => errors.push(e),
            }
            let db = format!("{:.1} MB", size as f64 / 1_048_576.0);
            st.device_lines = say.device_status(kind, synced, &db, env!("CARGO_PKG_VERSION"));
            show_device_status(ui, &st);
            if !errors.is_empty() {
                a.set_message(s(errors.join("; ")));
            }
        })
    }));
}

/// The device-status list: the reader's lines, then the device's.
fn show_device_status(ui: &KioskWindow, st: &Session) {
    let lines = st.reader_lines.iter().chain(&st.device_lines).map(s).collect::<Vec<SharedString>>();
    ui.global::<AdminAdapter>().set_status(model(lines));
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
        let (w, sh) = (weak.clone(), shared.clone());
        // Frames dropped, for the admin's device status.
        let t = slint::Timer::default();
        t.start(slint::TimerMode::Repeated, Duration::from_secs(2), move || {
            let Some(ui) = w.upgrade() else { return };
            if ui.global::<App>().get_screen() != Screen::Admin {
                return;
            }
            let say = Say(lang(&ui));
            let state = h.state.lock().map(|s| s.clone()).unwrap_or(None);
            let st = state.map(|(s, d)| format!("{s:?} {d}")).unwrap_or_default();
            let scans = h.scans.load(Ordering::Relaxed);
            let dropped = h.dropped.load(Ordering::Relaxed);
            let mut session = sh.borrow_mut();
            session.reader_lines = say.reader_status(&st, scans, dropped).to_vec();
            show_device_status(&ui, &session);
        });
        std::mem::forget(t);
    }
}
