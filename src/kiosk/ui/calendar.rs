//! The month calendar a date is tapped on (`CalendarOverlay` in
//! `ui/widgets.slint`): a leave's 开始 and 结束 on the head's form and on a
//! staff member's request. Opening it for a field shows the month of the
//! field's date; a tap sets the field (an end before the start moves with
//! it) and closes it. Days outside the field's bounds cannot be tapped.

use chrono::{Datelike, NaiveDate};
use slint::ComponentHandle;

use super::*;

/// Which date the calendar sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateField {
    /// The head's leave form: its first and last day.
    LeaveFirst,
    LeaveLast,
    /// A staff member's leave request: its first and last day.
    RequestFirst,
    RequestLast,
}

/// The calendar while it is open.
#[derive(Debug, Clone, Copy)]
pub struct CalendarState {
    pub field: DateField,
    /// The first of the month shown.
    pub month: NaiveDate,
    pub today: NaiveDate,
    pub selected: NaiveDate,
    /// The days that may be tapped.
    pub first: NaiveDate,
    pub last: NaiveDate,
}

/// Opens the calendar for `field` at `selected`, tappable in `first..=last`.
pub(super) fn open(
    ui: &KioskWindow,
    sh: &Shared,
    field: DateField,
    (today, selected): (NaiveDate, NaiveDate),
    (first, last): (NaiveDate, NaiveDate),
) {
    let month = selected.with_day(1).unwrap_or(selected);
    sh.borrow_mut().calendar = Some(CalendarState { field, month, today, selected, first, last });
    show(ui, sh);
    ui.global::<CalendarAdapter>().set_open(true);
}

/// Fills the calendar's month: six weeks from the Monday on or before the
/// first, days of other months left blank.
fn show(ui: &KioskWindow, sh: &Shared) {
    let Some(c) = sh.borrow().calendar else { return };
    let say = Say(lang(ui));
    let a = ui.global::<CalendarAdapter>();
    a.set_title(s(say.date_field(matches!(c.field, DateField::LeaveFirst | DateField::RequestFirst))));
    a.set_month(s(say.month_name(c.month)));
    // 2024-01-01 was a Monday.
    let monday = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap_or(c.month);
    a.set_weekdays(model((0..7).map(|i| s(say.weekday_short(monday + chrono::Duration::days(i)))).collect()));
    let start = c.month - chrono::Duration::days(i64::from(c.month.weekday().num_days_from_monday()));
    let days: Vec<CalDay> = (0..42)
        .map(|i| {
            let d = start + chrono::Duration::days(i);
            let here = d.month() == c.month.month();
            CalDay {
                label: s(if here { d.day().to_string() } else { String::new() }),
                offset: (d - c.today).num_days() as i32,
                enabled: here && d >= c.first && d <= c.last,
                rest: d.weekday().num_days_from_monday() >= 5,
                selected: here && d == c.selected,
                today: here && d == c.today,
            }
        })
        .collect();
    a.set_days(model(days));
    a.set_has_earlier(c.month > c.first);
    a.set_has_later(c.month.checked_add_months(chrono::Months::new(1)).is_some_and(|m| m <= c.last));
}

/// Closes the calendar without changing anything.
pub(super) fn close(ui: &KioskWindow, sh: &Shared) {
    sh.borrow_mut().calendar = None;
    ui.global::<CalendarAdapter>().set_open(false);
}

/// Wires the calendar's taps.
pub(super) fn wire(ui: &KioskWindow, shared: &Shared) {
    let a = ui.global::<CalendarAdapter>();
    {
        let (w, sh) = (ui.as_weak(), shared.clone());
        a.on_pick(move |offset| {
            let Some(ui) = w.upgrade() else { return };
            let Some(c) = sh.borrow().calendar else { return };
            let date = c.today + chrono::Duration::days(i64::from(offset));
            if date < c.first || date > c.last {
                return;
            }
            close(&ui, &sh);
            match c.field {
                DateField::LeaveFirst | DateField::LeaveLast => super::head::set_leave_date(&ui, &sh, c.field, offset),
                DateField::RequestFirst | DateField::RequestLast => {
                    super::month::set_request_date(&ui, &sh, c.field, date)
                }
            }
        });
    }
    {
        let (w, sh) = (ui.as_weak(), shared.clone());
        a.on_shift_month(move |delta| {
            let Some(ui) = w.upgrade() else { return };
            {
                let mut st = sh.borrow_mut();
                let Some(c) = st.calendar.as_mut() else { return };
                let m = if delta < 0 {
                    c.month.checked_sub_months(chrono::Months::new(1))
                } else {
                    c.month.checked_add_months(chrono::Months::new(1))
                };
                if let Some(m) = m {
                    c.month = m;
                }
            }
            show(&ui, &sh);
        });
    }
    {
        let (w, sh) = (ui.as_weak(), shared.clone());
        a.on_close(move || {
            if let Some(ui) = w.upgrade() {
                close(&ui, &sh);
            }
        });
    }
}
