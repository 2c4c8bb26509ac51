//! PIN entry for section heads and admins.

use std::rc::Rc;

use slint::ComponentHandle;

use super::*;

/// Wires the callbacks of this screen.
pub(super) fn wire(ui: &KioskWindow, runner: &Rc<dyn Runner>, shared: &Shared) {
    let weak = ui.as_weak();
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
                // A head with requests waiting lands on 审批.
                let waiting = match (&outcome, &staff) {
                    (Ok(PinOutcome::Accepted), Some(s)) if s.role == Role::Head => {
                        svc.requests_waiting(&s.unit).unwrap_or(0)
                    }
                    _ => 0,
                };
                let say = Say(svc.lang);
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
                            }
                            // The next head starts clean (no question or form left by another).
                            super::head::end_head_session(ui, sh);
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
                                h.set_tab(if waiting > 0 { HeadTab::Approvals } else { HeadTab::Roster });
                                ui.global::<App>().set_screen(Screen::Head);
                                let unit = staff.unit.clone();
                                with_runner(|r| refresh_head(r, unit));
                            }
                        }
                        Ok(PinOutcome::Wrong { left }) => p.set_message(s(say.pin_wrong(left))),
                        Ok(PinOutcome::Locked { until }) => {
                            p.set_locked(true);
                            let t = crate::domain::time::instant_to_local(tz, until).format("%H:%M").to_string();
                            p.set_message(s(say.pin_locked(&t)));
                        }
                        Err(e) => p.set_message(s(e.to_string())),
                    }
                })
            }));
        });
    }
}
