//! Admin mode: enrolment (who has which card, a searchable staff list, a
//! confirmation) and device status.

use std::rc::Rc;

use slint::{ComponentHandle, SharedString};

use super::confirm::ask;
use super::*;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

pub(super) fn refresh_admin(runner: &dyn Runner) {
    runner.run(Box::new(move |svc: &mut Service<'_>| -> UiUpdate {
        let cards = svc.unknown_cards();
        let staff = svc.enrol_list();
        let size = svc.core.store().size_bytes();
        let synced = crate::kiosk::clock::time_source();
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
                Ok(staff) => st.enrol_staff = staff,
                Err(e) => errors.push(e.to_string()),
            }
            // A card enrolled meanwhile is no longer there to pick; with
            // none picked, the newest card seen is (the one just scanned).
            if st.picked_card.as_ref().is_none_or(|c| !st.unknown_cards.contains(c)) {
                st.picked_card = st.unknown_cards.first().cloned();
            }
            let db = format!("{:.1} MB", size as f64 / 1_048_576.0);
            st.device_lines = say.device_status(kind, synced, &db, env!("CARGO_PKG_VERSION"));
            show_device_status(ui, &st);
            drop(st);
            show_staff(ui, sh);
            if !errors.is_empty() {
                a.set_message(s(errors.join("; ")));
            }
        })
    }));
}

/// The staff list as the search finds it, the picks and the plan.
fn show_staff(ui: &KioskWindow, sh: &Shared) {
    let a = ui.global::<AdminAdapter>();
    let say = Say(lang(ui));
    let q = a.get_search().to_string();
    let mut st = sh.borrow_mut();
    let shown: Vec<&EnrolLine> = st.enrol_staff.iter().filter(|l| l.matches(&q)).collect();
    a.set_staff(model(
        shown
            .iter()
            .map(|l| StaffLine {
                staff_no: s(&l.staff_no),
                name: s(&l.name),
                detail: s(say.enrol_detail(&l.unit, &l.cards)),
            })
            .collect(),
    ));
    let nos: Vec<String> = shown.iter().map(|l| l.staff_no.clone()).collect();
    st.enrol_shown = nos;
    let pos = |v: &[String], x: &Option<String>| x.as_ref().and_then(|x| v.iter().position(|y| y == x));
    a.set_card(pos(&st.unknown_cards, &st.picked_card).map_or(-1, |i| i as i32));
    a.set_person(pos(&st.enrol_shown, &st.picked_person).map_or(-1, |i| i as i32));
    let plan = match (&st.picked_card, picked_person(&st)) {
        (Some(c), Some(p)) => say.enrol_plan(c, &p.staff_no, &p.name),
        _ => String::new(),
    };
    a.set_plan(s(plan));
}

/// The person picked, while they are still on the kiosk's staff.
fn picked_person(st: &Session) -> Option<&EnrolLine> {
    let no = st.picked_person.as_ref()?;
    st.enrol_staff.iter().find(|l| &l.staff_no == no)
}

/// The device-status list: the reader's lines, then the device's.
fn show_device_status(ui: &KioskWindow, st: &Session) {
    let lines = st.reader_lines.iter().chain(&st.device_lines).map(s).collect::<Vec<SharedString>>();
    ui.global::<AdminAdapter>().set_status(model(lines));
}

/// Clears the admin's search and picks (at sign-in and sign-out).
pub(super) fn end_admin_session(ui: &KioskWindow, sh: &Shared) {
    {
        let mut st = sh.borrow_mut();
        st.picked_card = None;
        st.picked_person = None;
    }
    let a = ui.global::<AdminAdapter>();
    a.set_search(s(""));
    a.set_message(s(""));
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
                super::head::end_head_session(&ui, &sh);
                ui.global::<App>().set_screen(Screen::Idle);
            }
        });
    }
    {
        let (w, sh) = (weak.clone(), shared.clone());
        admin.on_search_changed(move || {
            if let Some(ui) = w.upgrade() {
                show_staff(&ui, &sh);
            }
        });
    }
    {
        let (w, sh) = (weak.clone(), shared.clone());
        admin.on_erase(move || {
            let Some(ui) = w.upgrade() else { return };
            let a = ui.global::<AdminAdapter>();
            let mut q = a.get_search().to_string();
            q.pop();
            a.set_search(s(q));
            show_staff(&ui, &sh);
        });
    }
    {
        let (w, sh) = (weak.clone(), shared.clone());
        admin.on_pick_card(move |i| {
            let Some(ui) = w.upgrade() else { return };
            let card = sh.borrow().unknown_cards.get(i as usize).cloned();
            sh.borrow_mut().picked_card = card;
            show_staff(&ui, &sh);
        });
    }
    {
        let (w, sh) = (weak.clone(), shared.clone());
        admin.on_pick_person(move |i| {
            let Some(ui) = w.upgrade() else { return };
            let no = sh.borrow().enrol_shown.get(i as usize).cloned();
            sh.borrow_mut().picked_person = no;
            show_staff(&ui, &sh);
        });
    }
    {
        let (w, sh, r) = (weak.clone(), shared.clone(), runner.clone());
        admin.on_enroll(move || {
            let Some(ui) = w.upgrade() else { return };
            let st = sh.borrow();
            let (Some(card), Some(p)) = (st.picked_card.clone(), picked_person(&st).cloned()) else { return };
            drop(st);
            let question = Say(lang(&ui)).confirm_enroll(&card, &p.staff_no, &p.name, &p.cards);
            let (r2, sh2) = (r.clone(), sh.clone());
            ask(&ui, &sh, question, Vec::new(), None, move |_, _| {
                {
                    let mut st = sh2.borrow_mut();
                    st.picked_card = None;
                    st.picked_person = None;
                }
                let no = p.staff_no;
                manage(&*r2, &sh2, move |svc, who| svc.enroll(who, &card, &no));
            });
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
            let st = state
                .map(|(s, d)| {
                    let word = say.reader_mark(s).0;
                    if d.is_empty() {
                        word
                    } else {
                        format!("{word} · {d}")
                    }
                })
                .unwrap_or_default();
            let scans = h.scans.load(Ordering::Relaxed);
            let dropped = h.dropped.load(Ordering::Relaxed);
            let mut session = sh.borrow_mut();
            session.reader_lines = say.reader_status(&st, scans, dropped).to_vec();
            show_device_status(&ui, &session);
        });
        std::mem::forget(t);
    }
}
