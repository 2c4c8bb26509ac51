//! The question before a head's or an admin's action takes effect
//! (`ui/confirm.slint`, drawn over every screen). The action waits in the
//! session until 确认; 取消, the end of the session or another question
//! drops it.

use std::cell::RefCell;
use std::rc::Rc;

use slint::ComponentHandle;

use super::*;

/// An action waiting for 确认, run with the reason picked (−1: none) and
/// the words typed for a reason that needs them ("" otherwise).
#[derive(Clone, Default)]
pub struct Pending(Rc<RefCell<Option<Act>>>);

type Act = Box<dyn FnOnce(i32, String)>;

impl Pending {
    fn set(&self, act: Act) {
        *self.0.borrow_mut() = Some(act);
    }

    pub(super) fn take(&self) -> Option<Act> {
        self.0.borrow_mut().take()
    }
}

impl std::fmt::Debug for Pending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.borrow().is_some() { "Pending(waiting)" } else { "Pending(none)" })
    }
}

/// Asks `question`; `act` runs only after 确认, with the choice picked
/// (−1 when `choices` is empty) and, when that choice is `free_choice`,
/// the words typed on an attached keyboard (trimmed; may be none).
pub(super) fn ask(
    ui: &KioskWindow,
    sh: &Shared,
    question: String,
    choices: Vec<String>,
    free_choice: Option<usize>,
    act: impl FnOnce(i32, String) + 'static,
) {
    let c = ui.global::<Confirm>();
    c.set_choices(model(choices.iter().map(s).collect()));
    c.set_choice(-1);
    c.set_free_choice(free_choice.map_or(-1, |i| i as i32));
    c.set_free_text(s(""));
    c.set_text(s(question));
    sh.borrow().pending.set(Box::new(act));
}

/// Drops an open question (the session ended, or the head signed out).
pub(super) fn dismiss(ui: &KioskWindow, sh: &Shared) {
    sh.borrow().pending.take();
    ui.global::<Confirm>().set_text(s(""));
}

/// Wires 确认 and 取消.
pub(super) fn wire(ui: &KioskWindow, shared: &Shared) {
    let c = ui.global::<Confirm>();
    {
        let (w, sh) = (ui.as_weak(), shared.clone());
        c.on_yes(move || {
            let Some(ui) = w.upgrade() else { return };
            let c = ui.global::<Confirm>();
            let choice = c.get_choice();
            // Words typed for the choice that takes them (with a keyboard
            // attached); without any, the choice stands as it is.
            let free = if c.get_free_choice() >= 0 && choice == c.get_free_choice() {
                c.get_free_text().trim().to_string()
            } else {
                String::new()
            };
            c.set_text(s(""));
            let act = sh.borrow().pending.take();
            if let Some(act) = act {
                act(choice, free);
            }
        });
    }
    {
        let (w, sh) = (ui.as_weak(), shared.clone());
        c.on_no(move || {
            if let Some(ui) = w.upgrade() {
                dismiss(&ui, &sh);
            }
        });
    }
}
