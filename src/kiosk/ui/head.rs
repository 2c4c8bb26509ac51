//! Section head mode: roster, person, leave, spot checks, corrections, summaries.

use std::rc::Rc;

use slint::{ComponentHandle, Model, ModelRc, SharedString};

use super::calendar::DateField;
use super::confirm::ask;
use super::*;
use crate::kiosk::service::{PersonView, TALLIES};
use crate::kiosk::words::VOID_REASONS;

/// A message on the management screens (head, admin) and the PIN and
/// month screens: whichever the person is looking at shows it.
pub(super) fn head_message(ui: &KioskWindow, msg: &str) {
    ui.global::<HeadAdapter>().set_message(s(msg));
    ui.global::<AdminAdapter>().set_message(s(msg));
    ui.global::<PinAdapter>().set_message(s(msg));
    ui.global::<MonthAdapter>().set_message(s(msg));
}

/// Reloads the head's roster and the current tab's data. A part that
/// cannot be read says so in the head's message line.
pub(super) fn refresh_head(runner: &dyn Runner, unit: String) {
    let period = PERIOD.with(|p| p.get());
    // The summary is a month of days for the whole unit: worked out only
    // while its tab is shown.
    let with_summary = SUMMARY_SHOWN.with(|s| s.get());
    runner.run(Box::new(move |svc: &mut Service<'_>| -> UiUpdate {
        let roster = svc.roster(&unit);
        let doors = svc.doors_note();
        let leave = svc.leave_lines(&unit);
        let requests = svc.request_lines(&unit);
        let summary = with_summary.then(|| svc.summary_table(&unit, period));
        let (kinds, today) = svc.leave_form();
        Box::new(move |ui: &KioskWindow, sh: &Shared| {
            let h = ui.global::<HeadAdapter>();
            let mut errors = Vec::new();
            h.set_doors_note(s(doors.as_deref().unwrap_or("")));
            {
                let mut st = sh.borrow_mut();
                st.leave_kinds = kinds.iter().map(|k| k.0.clone()).collect();
                st.today = Some(today);
            }
            // Chinese words are short: five to a row; English three.
            let cols = if lang(ui) == Language::ZhCn { 5 } else { 3 };
            let rows: Vec<ModelRc<SharedString>> =
                kinds.chunks(cols).map(|c| model(c.iter().map(|k| s(&k.1)).collect())).collect();
            h.set_leave_kind_cols(cols as i32);
            h.set_leave_kind_rows(model(rows));
            show_leave_dates(ui, sh);
            match roster {
                Ok((rows, counts)) => {
                    let say = Say(lang(ui));
                    h.set_tallies(model(
                        counts.iter().map(|(t, n)| TallyChip { label: s(say.tally(*t)), count: *n as i32 }).collect(),
                    ));
                    sh.borrow_mut().roster_rows = rows;
                    show_roster(ui, sh);
                }
                Err(e) => errors.push(e.to_string()),
            }
            let lines = |v: Vec<crate::kiosk::service::Line>| -> ModelRc<RecordLine> {
                model(
                    v.into_iter()
                        .map(|l| RecordLine {
                            // Leave requests are numbered apart from 补卡 requests.
                            id: s(if l.leave_request { format!("L{}", l.id) } else { l.id.to_string() }),
                            text: s(l.text),
                            open: l.open,
                            tone: tone(l.tone),
                        })
                        .collect(),
                )
            };
            match leave {
                Ok(v) => h.set_leave_records(lines(v)),
                Err(e) => errors.push(e.to_string()),
            }
            match requests {
                Ok(v) => {
                    h.set_requests_waiting(v.iter().filter(|l| l.open).count() as i32);
                    h.set_requests(lines(v));
                }
                Err(e) => errors.push(e.to_string()),
            }
            match summary {
                Some(Ok(v)) => {
                    h.set_summary_today(s(v.today));
                    h.set_summary_period(s(v.period));
                    h.set_summary_columns(model(v.columns.iter().map(s).collect()));
                    h.set_summary_widths(model(v.widths.clone()));
                    h.set_summary_total(v.widths.iter().sum());
                    h.set_summary_rows(model(
                        v.rows
                            .iter()
                            .map(|r| SummaryLine { name: s(&r.name), cells: model(r.cells.iter().map(s).collect()) })
                            .collect(),
                    ));
                    h.set_summary_grid_days(model(
                        v.grid_days
                            .iter()
                            .map(|d| GridDayLine { number: s(&d.number), weekday: s(&d.weekday), rest: d.rest })
                            .collect(),
                    ));
                    let grid: Vec<GridRow> = v
                        .rows
                        .iter()
                        .map(|r| GridRow {
                            name: s(&r.name),
                            cells: model(
                                r.grid.iter().map(|c| GridCell { symbol: s(&c.symbol), mark: mark(c.mark) }).collect(),
                            ),
                        })
                        .collect();
                    h.set_summary_grid(model(grid));
                    // Two rows: the day's judgement, then away and spot checks.
                    let items: Vec<LegendItem> = v
                        .legend
                        .iter()
                        .map(|(sym, word, m)| LegendItem { symbol: s(sym), word: s(word), mark: mark(*m) })
                        .collect();
                    let half = items.len().div_ceil(2);
                    h.set_summary_legend(model(items.chunks(half.max(1)).map(|c| model(c.to_vec())).collect()));
                    let mut st = sh.borrow_mut();
                    st.summary_people = v.rows.iter().map(|r| r.staff_no.clone()).collect();
                    st.summary_days = v.grid_days.iter().map(|d| d.date).collect();
                }
                Some(Err(e)) => {
                    clear_summary(&h);
                    errors.push(e.to_string());
                }
                None => {}
            }
            if !errors.is_empty() {
                head_message(ui, &errors.join("; "));
            }
        })
    }));
}

/// Shows a person's day in the head's pane (and, from the grid, in its
/// dialog): title, figures, why, punches; the 补卡 dialog's presets.
fn show_person(ui: &KioskWindow, sh: &Shared, p: PersonView) {
    let h = ui.global::<HeadAdapter>();
    h.set_person_title(s(&p.title));
    h.set_person_figures(s(&p.figures));
    h.set_person_why(model(p.why.iter().map(s).collect()));
    h.set_person_punches(model(
        p.punches
            .iter()
            .map(|x| PunchLine {
                id: s(x.id.to_string()),
                time: s(&x.time),
                meaning: s(&x.meaning),
                flags: s(&x.flags),
                voided: x.voided,
            })
            .collect(),
    ));
    h.set_fix_presets(model(p.presets.iter().map(|x| s(&x.0)).collect()));
    h.set_fix_preset_minutes(model(p.presets.iter().map(|x| x.1 as i32).collect()));
    h.set_leave_presets(model(p.presets.iter().map(|x| s(&x.0)).collect()));
    h.set_leave_preset_minutes(model(p.presets.iter().map(|x| x.1 as i32).collect()));
    h.set_person_fixable(p.fixable);
    let mut st = sh.borrow_mut();
    // The row highlighted is the person shown, whatever a refresh did
    // to the list between the tap and this answer.
    let row = st.roster.iter().position(|no| *no == p.staff_no);
    st.shown = Some(ShownDay { staff_no: p.staff_no, name: p.name, date: p.date, missing_at: p.missing_at });
    drop(st);
    h.set_selected(row.map_or(-1, |i| i as i32));
}

/// Opens a person's day on `date` (`None`: today) in the head's pane, or
/// (`dialog`) in the day dialog over the grid, once the day is there: the
/// dialog never shows the person before.
pub(super) fn open_person(runner: &dyn Runner, staff_no: String, date: Option<chrono::NaiveDate>, dialog: bool) {
    runner.run(Box::new(move |svc: &mut Service<'_>| -> UiUpdate {
        let p = match date {
            Some(d) => svc.person_on(&staff_no, d),
            None => svc.person(&staff_no),
        };
        Box::new(move |ui: &KioskWindow, sh: &Shared| match p {
            Ok(Some(p)) => {
                show_person(ui, sh, p);
                if dialog {
                    ui.global::<HeadAdapter>().set_day_open(true);
                }
            }
            Ok(None) => {}
            Err(e) => head_message(ui, &e.to_string()),
        })
    }));
}

/// The roster as the count bar's filter shows it.
fn show_roster(ui: &KioskWindow, sh: &Shared) {
    let h = ui.global::<HeadAdapter>();
    let filter = usize::try_from(h.get_filter()).ok().and_then(|i| TALLIES.get(i).copied());
    let mut st = sh.borrow_mut();
    let shown: Vec<crate::kiosk::service::PersonRow> =
        st.roster_rows.iter().filter(|r| filter.is_none_or(|t| r.tallies.contains(&t))).cloned().collect();
    let people: Vec<PersonLine> = shown
        .iter()
        .map(|r| {
            let m = st.marks.iter().find(|m| m.0 == r.staff_no);
            PersonLine {
                staff_no: s(&r.staff_no),
                name: s(&r.name),
                state: s(&r.state),
                tone: tone(r.tone),
                punches: s(&r.punches),
                mark: m.map_or(0, |m| m.1),
                note: s(m.map_or(String::new(), |m| note_word(ui, m.2))),
            }
        })
        .collect();
    // The pane keeps its person where they are still listed.
    let selected = st.shown.as_ref().and_then(|p| shown.iter().position(|r| r.staff_no == p.staff_no));
    st.roster = shown.into_iter().map(|r| r.staff_no).collect();
    drop(st);
    h.set_people(model(people));
    h.set_selected(selected.map_or(-1, |i| i as i32));
}

/// A date picked on the calendar for the head's leave form.
pub(super) fn set_leave_date(ui: &KioskWindow, sh: &Shared, field: DateField, offset: i32) {
    let h = ui.global::<HeadAdapter>();
    match field {
        DateField::LeaveFirst => {
            h.set_leave_first(offset);
            h.set_leave_last(h.get_leave_last().max(offset));
        }
        _ => {
            h.set_leave_last(offset);
            h.set_leave_first(h.get_leave_first().min(offset));
        }
    }
    show_leave_dates(ui, sh);
}

/// The leave form's days in words: 开始, 结束, and how many days.
fn show_leave_dates(ui: &KioskWindow, sh: &Shared) {
    let h = ui.global::<HeadAdapter>();
    let Some(today) = sh.borrow().today else { return };
    let day = |n: i32| today + chrono::Duration::days(i64::from(n));
    let say = Say(lang(ui));
    let (first, last) = (day(h.get_leave_first()), day(h.get_leave_last()));
    h.set_leave_first_label(s(say.month_day_label(first)));
    h.set_leave_last_label(s(say.month_day_label(last)));
    h.set_leave_days(s(if first == last { String::new() } else { say.days(((last - first).num_days() + 1) as u32) }));
    // Over several days leave is whole days (the form hides the halves).
    if first != last {
        h.set_leave_span(0);
    }
}

thread_local! {
    /// The summary tab's period (the head's choice, on the UI thread).
    static PERIOD: std::cell::Cell<Period> = const { std::cell::Cell::new(Period::ThisMonth) };
    /// Whether the summary tab is shown (its figures are worked out then only).
    static SUMMARY_SHOWN: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// The period the summary tab's picker says; a range longer than
/// [`MAX_RANGE_DAYS`] is cut at its start (the picker shows the cut).
fn picked_period(ui: &KioskWindow, sh: &Shared) -> Period {
    let h = ui.global::<HeadAdapter>();
    match h.get_period() {
        1 => Period::LastMonth,
        2 => {
            let Some(today) = sh.borrow().today else { return Period::ThisMonth };
            let last = h.get_range_last().min(0);
            let first = h.get_range_first().clamp(last - MAX_RANGE_DAYS as i32 + 1, last);
            h.set_range_first(first);
            h.set_range_last(last);
            let day = |n: i32| today + chrono::Duration::days(i64::from(n));
            Period::Range(day(first), day(last))
        }
        _ => Period::ThisMonth,
    }
}

/// Ends what one head's or admin's session left: an open question, the
/// leave form, spot-check marks, the admin's search and picks. At
/// sign-out, at the idle timeout and when anyone signs in (the next head
/// starts clean).
pub(super) fn end_head_session(ui: &KioskWindow, sh: &Shared) {
    super::confirm::dismiss(ui, sh);
    super::admin::end_admin_session(ui, sh);
    {
        let mut st = sh.borrow_mut();
        st.marks.clear();
        st.shown = None;
    }
    let h = ui.global::<HeadAdapter>();
    sh.borrow_mut().check_sending = false;
    h.set_check_sending(false);
    h.set_selected(-1);
    h.set_checked(0);
    h.set_check_reason_row(-1);
    h.set_filter(-1);
    h.set_day_open(false);
    h.set_fix_open(false);
    h.set_leave_time_edit(-1);
    super::calendar::close(ui, sh);
    h.set_leave_kind(-1);
    h.set_leave_span(0);
    h.set_leave_first(0);
    h.set_leave_last(0);
    h.set_leave_view(0);
    h.set_period(0);
    h.set_range_first(-6);
    h.set_range_last(0);
    h.set_summary_view(0);
    clear_summary(&h);
    // Nothing of this head's unit stays for the next (who may head another).
    {
        let mut st = sh.borrow_mut();
        st.roster_rows.clear();
        st.roster.clear();
    }
    h.set_people(model(Vec::new()));
    h.set_tallies(model(Vec::new()));
    h.set_requests(model(Vec::new()));
    h.set_requests_waiting(0);
    h.set_leave_records(model(Vec::new()));
    h.set_person_title(s(""));
    h.set_person_figures(s(""));
    h.set_person_why(model(Vec::new()));
    h.set_person_punches(model(Vec::new()));
    h.set_message(s(""));
    PERIOD.with(|p| p.set(Period::ThisMonth));
    SUMMARY_SHOWN.with(|c| c.set(false));
}

/// Empties the summary tab (another head's figures are never shown, nor
/// stale ones under an error).
fn clear_summary(h: &HeadAdapter<'_>) {
    h.set_summary_today(s(""));
    h.set_summary_period(s(""));
    h.set_summary_rows(model(Vec::new()));
    h.set_summary_grid_days(model(Vec::new()));
    h.set_summary_grid(model(Vec::new()));
    h.set_summary_legend(model(Vec::new()));
}

/// A grid cell's mark as the screen's enum.
fn mark(m: crate::kiosk::service::Mark) -> Mark {
    use crate::kiosk::service::Mark as M;
    match m {
        M::Blank => Mark::Blank,
        M::Normal => Mark::Normal,
        M::Late => Mark::Late,
        M::Early => Mark::Early,
        M::Absent => Mark::Absent,
        M::Missing => Mark::Missing,
        M::OffPost => Mark::OffPost,
        M::SpotCheck => Mark::SpotCheck,
        M::Leave => Mark::Leave,
        M::Duty => Mark::Duty,
        M::Pending => Mark::Pending,
    }
}

/// A spot-check note in the screen's language ("" for none).
fn note_word(ui: &KioskWindow, i: i32) -> String {
    let h = ui.global::<HeadAdapter>();
    let notes = if lang(ui) == Language::ZhCn { h.get_check_notes() } else { h.get_check_notes_en() };
    notes.row_data(i.max(0) as usize).map(|x| x.to_string()).unwrap_or_default()
}

/// A record id from the screen (ids are i64, carried as text).
fn record_id(text: &SharedString) -> Option<i64> {
    text.parse().ok()
}

/// A head/admin job that ends in a message and a refresh.
pub(super) fn manage(
    runner: &dyn Runner,
    shared: &Shared,
    f: impl FnOnce(&mut Service<'_>, &str) -> crate::kiosk::service::Result<String> + Send + 'static,
) {
    let Some((who, _, unit, role)) = shared.borrow().manager.clone() else { return };
    runner.run(Box::new(move |svc: &mut Service<'_>| -> UiUpdate {
        let msg = f(svc, &who).unwrap_or_else(|e| e.to_string());
        Box::new(move |ui: &KioskWindow, _sh: &Shared| head_message(ui, &msg))
    }));
    if role == Role::Admin {
        refresh_admin(runner);
    } else {
        refresh_head(runner, unit);
    }
}

/// Wires the callbacks of this screen.
pub(super) fn wire(ui: &KioskWindow, runner: &Rc<dyn Runner>, shared: &Shared) {
    let weak = ui.as_weak();
    let head = ui.global::<HeadAdapter>();
    {
        let (w, sh, r) = (weak.clone(), shared.clone(), runner.clone());
        head.on_period_changed(move || {
            let Some(ui) = w.upgrade() else { return };
            let p = picked_period(&ui, &sh);
            PERIOD.with(|c| c.set(p));
            let manager = sh.borrow().manager.clone();
            if let Some((_, _, unit, _)) = manager {
                refresh_head(&*r, unit);
            }
        });
    }
    {
        let (w, sh) = (weak.clone(), shared.clone());
        head.on_pick_leave_date(move |which| {
            let Some(ui) = w.upgrade() else { return };
            let Some(today) = sh.borrow().today else { return };
            let h = ui.global::<HeadAdapter>();
            let (field, offset) = match which {
                0 => (DateField::LeaveFirst, h.get_leave_first()),
                _ => (DateField::LeaveLast, h.get_leave_last()),
            };
            let day = |n: i64| today + chrono::Duration::days(n);
            let max = crate::kiosk::service::MAX_LEAVE_DAYS;
            super::calendar::open(&ui, &sh, field, (today, day(i64::from(offset))), (day(-max), day(max)));
        });
    }
    {
        let (w, sh) = (weak.clone(), shared.clone());
        head.on_logout(move || {
            sh.borrow_mut().manager = None;
            with_runner(sign_out);
            if let Some(ui) = w.upgrade() {
                end_head_session(&ui, &sh);
                ui.global::<App>().set_screen(Screen::Idle);
            }
        });
    }
    {
        let (w, sh, r) = (weak.clone(), shared.clone(), runner.clone());
        head.on_show_tab(move |tab| {
            let Some(ui) = w.upgrade() else { return };
            let h = ui.global::<HeadAdapter>();
            h.set_tab(tab);
            // The count bar's filter is the roster tab's: 查岗 and 请假 list everyone.
            h.set_filter(-1);
            h.set_day_open(false);
            h.set_fix_open(false);
            h.set_check_reason_row(-1);
            h.set_leave_time_edit(-1);
            SUMMARY_SHOWN.with(|c| c.set(tab == HeadTab::Summary));
            ui.global::<HeadAdapter>().set_message(s(""));
            let manager = sh.borrow().manager.clone();
            if let Some((_, _, unit, _)) = manager {
                refresh_head(&*r, unit);
            }
        });
    }
    {
        let (w, sh) = (weak.clone(), shared.clone());
        head.on_filter_changed(move |i| {
            let Some(ui) = w.upgrade() else { return };
            ui.global::<HeadAdapter>().set_filter(i);
            show_roster(&ui, &sh);
        });
    }
    {
        let (w, sh, r) = (weak.clone(), shared.clone(), runner.clone());
        head.on_open_person(move |i| {
            let Some(ui) = w.upgrade() else { return };
            ui.global::<HeadAdapter>().set_selected(i);
            let no = sh.borrow().roster.get(i as usize).cloned();
            if let Some(no) = no {
                open_person(&*r, no, None, false);
            }
        });
    }
    {
        let (sh, r) = (shared.clone(), runner.clone());
        head.on_open_day(move |row, day| {
            let (no, date) = {
                let st = sh.borrow();
                (st.summary_people.get(row as usize).cloned(), st.summary_days.get(day as usize).copied())
            };
            let (Some(no), Some(date)) = (no, date) else { return };
            open_person(&*r, no, Some(date), true);
        });
    }
    {
        let (w, sh) = (weak.clone(), shared.clone());
        head.on_mark(move |i, v| {
            let Some(ui) = w.upgrade() else { return };
            let mut st = sh.borrow_mut();
            let Some(no) = st.roster.get(i as usize).cloned() else { return };
            // A person marked again keeps their reason while absent.
            let note = if v == 2 { st.marks.iter().find(|m| m.0 == no).map_or(0, |m| m.2) } else { 0 };
            st.marks.retain(|m| m.0 != no);
            st.marks.push((no, v, note));
            let h = ui.global::<HeadAdapter>();
            h.set_checked(st.marks.len() as i32);
            let people = h.get_people();
            if let Some(mut row) = people.row_data(i as usize) {
                row.mark = v;
                row.note = s(note_word(&ui, note));
                people.set_row_data(i as usize, row);
            }
            // 不在岗: that row's reasons, asked at once.
            if v == 2 {
                h.set_check_reason_row(i);
            }
        });
    }
    {
        let (w, sh) = (weak.clone(), shared.clone());
        head.on_note_for(move |i, n| {
            let Some(ui) = w.upgrade() else { return };
            let h = ui.global::<HeadAdapter>();
            h.set_check_reason_row(-1);
            let mut st = sh.borrow_mut();
            let Some(no) = st.roster.get(i.max(0) as usize).cloned() else { return };
            let Some(m) = st.marks.iter_mut().find(|m| m.0 == no) else { return };
            m.2 = n;
            let people = h.get_people();
            if let Some(mut row) = people.row_data(i as usize) {
                row.note = s(note_word(&ui, n));
                people.set_row_data(i as usize, row);
            }
        });
    }
    {
        let (w, sh, r) = (weak.clone(), shared.clone(), runner.clone());
        head.on_submit_check(move || {
            let Some(ui) = w.upgrade() else { return };
            // Notes are stored in Chinese, whatever the screen's language.
            let notes: Vec<String> =
                ui.global::<HeadAdapter>().get_check_notes().iter().map(|x| x.to_string()).collect();
            let marks: Vec<(String, bool, String)> = sh
                .borrow()
                .marks
                .iter()
                .map(|(n, v, note)| {
                    (n.clone(), *v == 1, notes.get((*note).max(0) as usize).cloned().unwrap_or_default())
                })
                .collect();
            let Some((who, _, unit, _)) = sh.borrow().manager.clone() else { return };
            // One submit at a time (a double tap stores nothing twice).
            if marks.is_empty() || std::mem::replace(&mut sh.borrow_mut().check_sending, true) {
                return;
            }
            ui.global::<HeadAdapter>().set_check_sending(true);
            // The marks stay on the screen until the store has them: a
            // refusal (a full disk) loses no one's mark; on success only
            // the marks sent go (one made meanwhile stays).
            let sent = sh.borrow().marks.clone();
            r.run(Box::new(move |svc: &mut Service<'_>| -> UiUpdate {
                let done = svc.spot_check(&who, &marks);
                Box::new(move |ui: &KioskWindow, sh: &Shared| {
                    let h = ui.global::<HeadAdapter>();
                    let mut st = sh.borrow_mut();
                    st.check_sending = false;
                    h.set_check_sending(false);
                    match done {
                        Ok(msg) => {
                            st.marks.retain(|m| !sent.contains(m));
                            h.set_checked(st.marks.len() as i32);
                            drop(st);
                            head_message(ui, &msg);
                        }
                        Err(e) => {
                            drop(st);
                            head_message(ui, &e.to_string());
                        }
                    }
                })
            }));
            refresh_head(&*r, unit);
        });
    }
    {
        let (w, sh, r) = (weak.clone(), shared.clone(), runner.clone());
        head.on_add_leave(move |i, kind, span, from, to| {
            let Some(ui) = w.upgrade() else { return };
            let h = ui.global::<HeadAdapter>();
            let Some(no) = sh.borrow().roster.get(i as usize).cloned() else { return };
            let Some(kind) = sh.borrow().leave_kinds.get(kind as usize).cloned() else { return };
            let name = h.get_people().row_data(i as usize).map(|p| p.name.to_string()).unwrap_or_default();
            // The dates the form shows (today on the kiosk's default schedule).
            let Some(today) = sh.borrow().today else { return };
            let day = |n: i32| today + chrono::Duration::days(i64::from(n));
            let days = (day(h.get_leave_first()), day(h.get_leave_last()));
            let span = match span {
                1 => LeaveSpan::Morning,
                2 => LeaveSpan::Afternoon,
                3 => LeaveSpan::Between(from.max(0) as u32, to.max(0) as u32),
                _ => LeaveSpan::Day,
            };
            let say = Say(lang(&ui));
            let shown = say.kind_word(&kind);
            let dates = say.leave_dates(days.0, days.1);
            let part = match span {
                LeaveSpan::Day => String::new(),
                LeaveSpan::Morning => say.pick_span(1),
                LeaveSpan::Afternoon => say.pick_span(2),
                LeaveSpan::Between(a, b) => format!("{:02}:{:02}–{:02}:{:02}", a / 60, a % 60, b / 60, b % 60),
            };
            let when = if part.is_empty() { dates } else { format!("{dates} {part}") };
            let question = say.confirm_leave(&name, &shown, &when);
            let (r2, sh2, w2) = (r.clone(), sh.clone(), w.clone());
            ask(&ui, &sh, question, Vec::new(), None, move |_, _| {
                manage(&*r2, &sh2, move |svc, who| svc.add_leave_days(who, &no, &kind, span, days));
                // The next leave starts with no kind picked, today.
                if let Some(ui) = w2.upgrade() {
                    let h = ui.global::<HeadAdapter>();
                    h.set_leave_kind(-1);
                    h.set_leave_span(0);
                    h.set_leave_first(0);
                    h.set_leave_last(0);
                    show_leave_dates(&ui, &sh2);
                }
            });
        });
    }
    {
        let (w, sh, r) = (weak.clone(), shared.clone(), runner.clone());
        head.on_revoke_leave(move |id| {
            let Some(ui) = w.upgrade() else { return };
            let Some(id) = record_id(&id) else { return };
            let (r2, sh2) = (r.clone(), sh.clone());
            ask(&ui, &sh, Say(lang(&ui)).confirm_revoke_leave(), Vec::new(), None, move |_, _| {
                manage(&*r2, &sh2, move |svc, who| svc.revoke_leave(who, id));
            });
        });
    }
    {
        let (w, sh, r) = (weak.clone(), shared.clone(), runner.clone());
        head.on_decide(move |id, approve| {
            let Some(ui) = w.upgrade() else { return };
            // A leave request's id is "L…" (see `request_id`).
            let leave = id.starts_with('L');
            let Some(id) = record_id(&id.trim_start_matches('L').into()) else { return };
            let (r2, sh2) = (r.clone(), sh.clone());
            let say = Say(lang(&ui));
            let question = if leave { say.confirm_decide_leave(approve) } else { say.confirm_decide(approve) };
            ask(&ui, &sh, question, Vec::new(), None, move |_, _| {
                if leave {
                    manage(&*r2, &sh2, move |svc, who| svc.decide_leave(who, id, approve));
                } else {
                    manage(&*r2, &sh2, move |svc, who| svc.decide(who, id, approve));
                }
            });
        });
    }
    let reasons = Say(Language::ZhCn).correction_reasons();
    let reason_text = move |i: i32| reasons.get(i as usize).copied().unwrap_or(reasons[0]).to_string();
    {
        let (w, sh) = (weak.clone(), shared.clone());
        head.on_open_fix(move || {
            let Some(ui) = w.upgrade() else { return };
            let Some(p) = sh.borrow().shown.clone() else { return };
            let h = ui.global::<HeadAdapter>();
            let say = Say(lang(&ui));
            h.set_fix_title(s(say.fix_title(&p.name, &say.month_day_label(p.date))));
            // The time starts at the first missing punch's expected time.
            h.set_fix_minutes(p.missing_at as i32);
            h.set_reason(0);
            h.set_fix_open(true);
        });
    }
    {
        let (w, sh, r) = (weak.clone(), shared.clone(), runner.clone());
        head.on_add_punch(move |minutes, reason| {
            let Some(ui) = w.upgrade() else { return };
            ui.global::<HeadAdapter>().set_fix_open(false);
            // The person and day shown, whatever was tapped since.
            let Some(p) = sh.borrow().shown.clone() else { return };
            let why = reason_text(reason);
            let (no, date) = (p.staff_no.clone(), p.date);
            manage(&*r, &sh, move |svc, who| svc.add_punch_on(who, &no, date, minutes.max(0) as u32, &why));
            open_person(&*r, p.staff_no, Some(p.date), false);
        });
    }
    {
        let (w, sh, r) = (weak.clone(), shared.clone(), runner.clone());
        head.on_void_punch(move |id, _| {
            let Some(ui) = w.upgrade() else { return };
            let Some(id) = record_id(&id) else { return };
            let time = ui
                .global::<HeadAdapter>()
                .get_person_punches()
                .iter()
                .find(|p| record_id(&p.id) == Some(id))
                .map(|p| p.time.to_string())
                .unwrap_or_default();
            let say = Say(lang(&ui));
            let name = sh.borrow().shown.as_ref().map(|p| p.name.clone()).unwrap_or_default();
            let (r2, sh2) = (r.clone(), sh.clone());
            // 其他: with a keyboard attached the head may say what.
            let other = VOID_REASONS.len() - 1;
            ask(&ui, &sh, say.confirm_void(&name, &time), say.void_reasons(), Some(other), move |reason, text| {
                let Some(why) = usize::try_from(reason).ok().and_then(|i| VOID_REASONS.get(i)) else {
                    return;
                };
                let why = if text.is_empty() { why.to_string() } else { format!("{why}：{text}") };
                manage(&*r2, &sh2, move |svc, who| svc.void_punch(who, id, &why));
                let shown = sh2.borrow().shown.clone();
                if let Some(p) = shown {
                    open_person(&*r2, p.staff_no, Some(p.date), false);
                }
            });
        });
    }
}
