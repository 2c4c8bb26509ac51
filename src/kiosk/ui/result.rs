//! The scan result screen (a live event in words).

use std::rc::Rc;

use slint::ComponentHandle;

use super::*;

/// Shows a scan result (the live event in words).
pub fn show_result(ui: &KioskWindow, shared: &Shared, v: &crate::kiosk::service::ScanView) {
    // A scan came: whatever was armed is over (the loop used it up, or it
    // had run out).
    idle::end_arming(ui);
    let r = ui.global::<ResultAdapter>();
    r.set_name(s(&v.name));
    r.set_time(s(&v.time));
    r.set_headline(s(&v.headline));
    r.set_sub(s(&v.sub));
    r.set_why(s(&v.why));
    r.set_todo(s(&v.todo));
    r.set_problem(v.problem);
    r.set_tone(tone(v.tone));
    r.set_unit(s(&v.unit));
    r.set_staff_no(s(v.staff_no.as_deref().map(|no| Say(lang(ui)).staff_no(no)).unwrap_or_default()));
    r.set_nth_today(s(&v.nth_today));
    // The photo's placeholder: the name's first character, or a question
    // mark for a card nobody holds.
    r.set_initial(s(v.name.chars().next().filter(|_| v.staff_no.is_some()).map_or("?".into(), |c| c.to_string())));
    // The photo, when one was imported and can be read (else the initial).
    // Decoded on the loop's thread; here only copied into an image.
    let photo = v
        .photo
        .as_ref()
        .map(|p| slint::Image::from_rgba8(slint::SharedPixelBuffer::clone_from_slice(&p.rgba, p.width, p.height)));
    r.set_has_photo(photo.is_some());
    r.set_photo(photo.unwrap_or_default());
    r.set_known(v.staff_no.is_some());
    r.set_can_manage(matches!(v.role, Some(Role::Head) | Some(Role::Admin)));
    // A problem stays long enough to read why and what to do.
    let seconds = if v.problem { PROBLEM_SECONDS } else { RESULT_SECONDS };
    r.set_seconds_left(seconds);
    let mut st = shared.borrow_mut();
    st.scanned = v.staff_no.clone().map(|no| (no, v.name.clone(), v.role.unwrap_or_default()));
    st.result_left = seconds;
    let app = ui.global::<App>();
    let current = app.get_screen();
    if current != Screen::Result {
        st.back_to = match current {
            Screen::Head | Screen::Admin if st.manager.is_some() => Some(current),
            _ => None,
        };
    }
    // An unknown card at the door stays until the next scan or a tap
    // (people copy its number down); in admin mode it goes back to
    // enrolment as usual.
    st.result_sticky = v.sticky && st.back_to.is_none();
    r.set_sticky(st.result_sticky);
    app.set_screen(Screen::Result);
}

/// Ends a scan result: back to head/admin mode if it was open, else idle.
pub(super) fn result_done(ui: &KioskWindow, shared: &Shared) {
    let back = shared.borrow_mut().back_to.take();
    ui.global::<App>().set_screen(back.unwrap_or(Screen::Idle));
    if back == Some(Screen::Admin) {
        // A card scanned in admin mode is the one to enroll: the list shows
        // it first, and with no pick the refresh picks the first.
        shared.borrow_mut().picked_card = None;
        with_runner(refresh_admin);
    }
}

/// Wires the callbacks of this screen.
pub(super) fn wire(ui: &KioskWindow, runner: &Rc<dyn Runner>, shared: &Shared) {
    let weak = ui.as_weak();
    let result = ui.global::<ResultAdapter>();
    {
        let (w, sh) = (weak.clone(), shared.clone());
        result.on_done(move || {
            if let Some(ui) = w.upgrade() {
                result_done(&ui, &sh);
            }
        });
    }
    {
        let (sh, r) = (shared.clone(), runner.clone());
        result.on_my_attendance(move || {
            let no = sh.borrow().scanned.as_ref().map(|x| x.0.clone());
            if let Some(no) = no {
                open_month(&*r, no, 0);
            }
        });
    }
    {
        let (w, sh) = (weak.clone(), shared.clone());
        result.on_manage(move || {
            let Some(ui) = w.upgrade() else { return };
            let who = sh.borrow().scanned.clone();
            if let Some((_, name, _)) = who {
                open_pin(&ui, &sh, &name);
            }
        });
    }
}

/// The PIN screen for the scanned head or admin.
fn open_pin(ui: &KioskWindow, sh: &Shared, name: &str) {
    sh.borrow_mut().pin.clear();
    let p = ui.global::<PinAdapter>();
    p.set_who(s(name));
    p.set_dots(s(""));
    p.set_message(s(""));
    p.set_locked(false);
    ui.global::<App>().set_screen(Screen::Pin);
}

/// An identification (查询 or 管理 armed on the idle screen): the person's
/// month, the PIN, or why neither opens. No punch was stored.
pub(super) fn show_identified(ui: &KioskWindow, sh: &Shared, id: Identified) {
    idle::end_arming(ui);
    match id {
        Identified::Month { staff_no, name, role, month, kinds } => {
            sh.borrow_mut().scanned = Some((staff_no, name, role));
            super::month::show_kinds(ui, sh, kinds);
            super::month::show_month(ui, sh, &month);
        }
        Identified::Pin { staff_no, name, role } => {
            sh.borrow_mut().scanned = Some((staff_no, name.clone(), role));
            open_pin(ui, sh, &name);
        }
        Identified::Refused(v) => show_result(ui, sh, &v),
    }
}
