//! 人员: the district's people at central, for admin accounts (SPEC
//! "Master data"). A unit's people, and one person with the forms an
//! admin needs: add, edit (name, role, schedule, a head's or admin's
//! PIN), move to another unit from a date, end from a date, give a card.
//! Every form makes the same change a staff file's row would
//! (`master::put_people`), versioned and with who made it; kiosks with
//! `master = true` take it at their next pull.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use maud::{html, Markup};

// The admin pages' guards (`admin_in!`, `admin_form!`) and what they use.
use super::{csrf, forbidden, input_error, refused, Fields, Role};
use crate::central::api::{self, App};
use crate::central::auth;
use crate::central::master::{self, PersonRow, Stints};
use crate::central::pages::{failed, overview::urlencode, Viewer};
use crate::domain::master::{Change, Person};
use crate::domain::model::Staff;

#[derive(serde::Deserialize)]
pub(in crate::central::pages) struct UnitQuery {
    unit: Option<String>,
}

fn day(d: Option<NaiveDate>) -> String {
    d.map_or_else(|| "—".to_string(), |d| d.to_string())
}

fn role_word(v: &Viewer, role: &str) -> &'static str {
    match role {
        "head" => v.w("科长", "head"),
        "admin" => v.w("管理员", "admin"),
        _ => v.w("职员", "staff"),
    }
}

/// The cards central holds for each person, by staff number.
async fn cards_by_person(app: &App) -> Result<HashMap<String, Vec<String>>, Response> {
    let rows = app.storage.master_current(master::CARD, None).await.map_err(failed)?;
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    for r in rows {
        if let Ok(Change::Card { card, staff_no, .. }) = serde_json::from_str(&r.content) {
            out.entry(staff_no).or_default().push(card);
        }
    }
    Ok(out)
}

/// `/admin/people[?unit=U]`: the units, and a unit's people (their stints
/// in it, ended ones too) with the form that adds a person.
pub(in crate::central::pages) async fn list(
    State(app): State<App>,
    headers: HeaderMap,
    Query(q): Query<UnitQuery>,
) -> Response {
    let v = admin_in!(&app, &headers);
    let units = match app.storage.units().await {
        Ok(u) => u,
        Err(e) => return failed(e),
    };
    let unit = q.unit.filter(|u| units.iter().any(|x| &x.name == u));
    let stints = match &unit {
        Some(u) => match Stints::load(&*app.storage, Some(std::slice::from_ref(u))).await {
            Ok(s) => s,
            Err(e) => return failed(e),
        },
        None => Stints::default(),
    };
    let cards = match cards_by_person(&app).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let body = html! {
        nav.units aria-label=(v.w("单位", "Units")) {
            @for u in &units {
                a href={ "/admin/people?unit=" (urlencode(&u.name)) }
                  aria-current=[(unit.as_deref() == Some(u.name.as_str())).then_some("page")] { (u.name) }
                " "
            }
        }
        @if let Some(u) = &unit {
            h2 { (u) }
            table {
                thead { tr {
                    @for c in [v.w("工号", "Staff no."), v.w("姓名", "Name"), v.w("角色", "Role"), v.w("班次", "Schedule"),
                               v.w("起", "From"), v.w("止", "Until"), v.w("卡", "Cards")] {
                        th.name scope="col" { (c) }
                    }
                } }
                tbody {
                    @for p in stints.all() {
                        tr {
                            td.name { a href={ "/admin/people/" (urlencode(&p.staff_no)) } { (p.staff_no) } }
                            td.name { (p.name) }
                            td.name { (role_word(&v, &p.role)) }
                            td.name { (p.schedule) }
                            td.name { (day(p.active_from)) }
                            td.name { (day(p.active_until)) }
                            td.name { (cards.get(&p.staff_no).map_or(String::new(), |c| c.join("、"))) }
                        }
                    }
                }
            }
            h2 { (v.w("添加人员", "Add a person")) }
            form.stack method="post" action="/admin/people" {
                (csrf(&v))
                input type="hidden" name="unit" value=(u);
                (person_fields(&v, None))
                label { (v.w("起始日期", "Active from")) " " input type="date" name="active_from"; }
                label { (v.w("卡号（可空）", "Card (optional)")) " " input name="card" maxlength="32"; }
                button { (v.w("添加", "Add")) }
            }
        } @else {
            p.muted { (v.w("选择一个单位。", "Choose a unit.")) }
        }
    };
    super::page(&v, v.w("人员", "People"), "/admin/people", body)
}

/// The fields a person is added or edited with (prefilled from `p`).
fn person_fields(v: &Viewer, p: Option<&Person>) -> Markup {
    let role = p.map_or("staff", |p| p.role.as_str());
    html! {
        @if p.is_none() {
            label { (v.w("工号", "Staff no.")) " " input name="staff_no" required maxlength="32"; }
        }
        label { (v.w("姓名", "Name")) " " input name="name" required maxlength="64" value=[p.map(|p| p.name.as_str())]; }
        label { (v.w("角色", "Role")) " "
            select name="role" {
                @for r in ["staff", "head", "admin"] {
                    option value=(r) selected[r == role] { (role_word(v, r)) }
                }
            }
        }
        label { (v.w("班次", "Schedule")) " " input name="schedule" maxlength="64" value=(p.map_or("default", |p| p.schedule.as_str())); }
        label { (v.w("PIN（科长、管理员；留空则不变）", "PIN (heads and admins; empty keeps it)")) " "
            input name="pin" type="password" inputmode="numeric" autocomplete="new-password" maxlength="8"; }
    }
}

/// `/admin/people/{no}`: one person's stints and cards, with the forms.
pub(in crate::central::pages) async fn person(
    State(app): State<App>,
    headers: HeaderMap,
    Path(no): Path<String>,
) -> Response {
    let v = admin_in!(&app, &headers);
    let stints = match Stints::load(&*app.storage, None).await {
        Ok(s) => s,
        Err(e) => return failed(e),
    };
    let Some(latest) = stints.latest(&no).cloned() else {
        return input_error(&v, "/admin/people", &format!("{} {no}", v.w("没有这个工号：", "No such staff number:")));
    };
    let units = match app.storage.units().await {
        Ok(u) => u,
        Err(e) => return failed(e),
    };
    let cards = match cards_by_person(&app).await {
        Ok(c) => c.get(&no).cloned().unwrap_or_default(),
        Err(r) => return r,
    };
    let here = format!("/admin/people/{}", urlencode(&no));
    let body = html! {
        p { a href={ "/admin/people?unit=" (urlencode(&latest.unit)) } { "← " (latest.unit) } }
        table {
            thead { tr { @for c in [v.w("单位", "Unit"), v.w("起", "From"), v.w("止", "Until")] { th.name scope="col" { (c) } } } }
            tbody {
                @for p in stints.all().into_iter().filter(|p| p.staff_no == no) {
                    tr { td.name { (p.unit) } td.name { (day(p.active_from)) } td.name { (day(p.active_until)) } }
                }
            }
        }
        p { (v.w("持卡：", "Cards: ")) @if cards.is_empty() { "—" } @else { (cards.join("、")) } }
        h2 { (v.w("照片", "Photo")) }
        @if let Some(photo) = &latest.photo {
            img.photo src={ "/admin/photos/" (photo) } alt=(v.w("照片", "Photo")) width="120";
        } @else {
            p.muted { (v.w("没有照片。", "No photo.")) }
        }
        form.stack method="post" action={ (here) "/photo" } enctype="multipart/form-data" {
            (csrf(&v))
            label { (v.w("JPEG 或 PNG，至多 2 MB、每边至多 1024 像素（刷卡时显示）", "JPEG or PNG, at most 2 MB and 1024 pixels a side (shown at the scan)")) " "
                input type="file" name="file" accept="image/jpeg,image/png" required; }
            button { (v.w("上传照片", "Upload photo")) }
        }
        h2 { (v.w("修改", "Edit")) }
        form.stack method="post" action=(here) {
            (csrf(&v)) input type="hidden" name="action" value="edit";
            (person_fields(&v, Some(&latest)))
            button { (v.w("保存", "Save")) }
        }
        h2 { (v.w("调动到其他单位", "Move to another unit")) }
        form.stack method="post" action=(here) {
            (csrf(&v)) input type="hidden" name="action" value="move";
            label { (v.w("调入单位", "To unit")) " "
                select name="unit" { @for u in &units { @if u.name != latest.unit { option value=(u.name) { (u.name) } } } }
            }
            label { (v.w("自该日起", "From")) " " input type="date" name="date" required; }
            button { (v.w("调动", "Move")) }
        }
        h2 { (v.w("离岗（停止考勤）", "End (no longer judged)")) }
        form.stack method="post" action=(here) {
            (csrf(&v)) input type="hidden" name="action" value="end";
            label { (v.w("最后在岗日", "Last day")) " " input type="date" name="date" required; }
            button.danger { (v.w("结束", "End")) }
        }
        h2 { (v.w("发卡", "Give a card")) }
        form.stack method="post" action=(here) {
            (csrf(&v)) input type="hidden" name="action" value="card";
            label { (v.w("卡号", "Card")) " " input name="card" required maxlength="32"; }
            label { (v.w("自该日起（可空：之前的刷卡也算）", "From (optional: earlier scans count too)")) " " input type="date" name="date"; }
            button { (v.w("发卡", "Give")) }
        }
    };
    super::page(&v, &format!("{} {}", latest.name, latest.staff_no), "/admin/people", body)
}

type Form = HashMap<String, String>;

fn field<'f>(f: &'f Form, k: &str) -> &'f str {
    f.get(k).map_or("", |s| s.trim())
}

fn date(f: &Form, k: &str) -> Result<Option<NaiveDate>, String> {
    match field(f, k) {
        "" => Ok(None),
        t => crate::domain::time::parse_date(t).map(Some).map_err(|m| format!("{k}: {m}")),
    }
}

/// A person's fields from a form, checked as a staff file's row is, and
/// a new PIN to hash when one was typed (hashed by [`with_pin`] off the
/// server's async threads: Argon2 takes a CPU for tens of milliseconds).
fn staff_from(f: &Form, staff_no: &str, unit: &str, old: Option<&Staff>) -> Result<(Staff, Option<String>), String> {
    let name = field(f, "name");
    if name.is_empty() || name.chars().count() > 64 || name.chars().any(char::is_control) {
        return Err("name: 1 to 64 characters".into());
    }
    let role = crate::domain::model::Role::parse(field(f, "role"))
        .ok_or_else(|| format!("role {:?}: staff, head or admin", field(f, "role")))?;
    let schedule = match field(f, "schedule") {
        "" => "default",
        s => s,
    };
    let pin_hash = match field(f, "pin") {
        "" => old.and_then(|o| o.pin_hash.clone()).filter(|_| role != crate::domain::model::Role::Staff),
        _ if role == crate::domain::model::Role::Staff => return Err("a PIN is only for role head or admin".into()),
        pin if !crate::files::staff::valid_pin(pin) => return Err("pin must be 4 to 8 digits".into()),
        _ => None,
    };
    let new_pin = Some(field(f, "pin")).filter(|p| !p.is_empty()).map(str::to_string);
    let staff = Staff {
        staff_no: staff_no.to_string(),
        name: name.to_string(),
        unit: unit.to_string(),
        schedule: schedule.to_string(),
        role,
        pin_hash,
        active_from: old.and_then(|o| o.active_from),
        active_until: old.and_then(|o| o.active_until),
    };
    Ok((staff, new_pin))
}

/// The row with its new PIN hashed (on a blocking thread).
async fn with_pin(mut row: PersonRow, pin: Option<String>) -> Result<PersonRow, String> {
    if let Some(pin) = pin {
        let hashed = tokio::task::spawn_blocking(move || crate::domain::hashing::hash(&pin, "PIN"))
            .await
            .map_err(|e| format!("PIN: {e}"))??;
        row.0.pin_hash = Some(hashed);
    }
    Ok(row)
}

async fn store(app: &App, v: &Viewer, row: PersonRow, back: String) -> Response {
    let stints = match Stints::load(&*app.storage, None).await {
        Ok(s) => s,
        Err(e) => return failed(e),
    };
    let subject = row.0.staff_no.clone();
    match master::put_people(&*app.storage, &stints, &[row], &v.user.name, api::now()).await {
        Ok(o) => {
            let detail = format!("{subject}: version {} ({})", o.version, o.notes.join("; "));
            if let Err(e) = app.storage.audit(&v.user.name, "person change", &detail, api::now()).await {
                return failed(e);
            }
            Redirect::to(&back).into_response()
        }
        Err(master::MasterError::Storage(e)) => failed(e),
        Err(master::MasterError::Import(e)) => input_error(v, &back, &e.to_string()),
    }
}

/// `POST /admin/people`: a new person of the unit.
pub(in crate::central::pages) async fn add(State(app): State<App>, headers: HeaderMap, body: Fields) -> Response {
    let (v, f) = admin_form!(&app, &headers, body);
    let unit = field(&f, "unit").to_string();
    let back = format!("/admin/people?unit={}", urlencode(&unit));
    let no = field(&f, "staff_no");
    let checked = (|| -> Result<(PersonRow, Option<String>), String> {
        if no.is_empty() || no.chars().count() > 32 || no.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(format!("staff_no {no:?}: 1 to 32 characters, no spaces"));
        }
        let (mut s, pin) = staff_from(&f, no, &unit, None)?;
        s.active_from = date(&f, "active_from")?;
        let card = match field(&f, "card") {
            "" => vec![],
            c => vec![crate::domain::cards::normalize(c)?],
        };
        Ok(((s, card, None, None), pin))
    })();
    let units = match app.storage.units().await {
        Ok(u) => u,
        Err(e) => return failed(e),
    };
    if !units.iter().any(|u| u.name == unit) {
        return input_error(&v, "/admin/people", &format!("unit {unit:?} is not one of the district's units"));
    }
    match app.storage.master_current(master::PERSON, None).await {
        Ok(rows) if rows.iter().any(|r| r.key.starts_with(&format!("{no}\u{1f}"))) => {
            return input_error(&v, &back, &format!("staff number {no} is known: change them on their page"))
        }
        Ok(_) => {}
        Err(e) => return failed(e),
    }
    let row = match checked {
        Ok((row, pin)) => with_pin(row, pin).await,
        Err(m) => Err(m),
    };
    match row {
        Ok(row) => store(&app, &v, row, back).await,
        Err(m) => input_error(&v, &back, &m),
    }
}

/// `POST /admin/people/{no}`: edit, move, end, or give a card.
pub(in crate::central::pages) async fn change(
    State(app): State<App>,
    headers: HeaderMap,
    Path(no): Path<String>,
    body: Fields,
) -> Response {
    let (v, f) = admin_form!(&app, &headers, body);
    let back = format!("/admin/people/{}", urlencode(&no));
    let stints = match Stints::load(&*app.storage, None).await {
        Ok(s) => s,
        Err(e) => return failed(e),
    };
    let Some(old) = stints.latest(&no).and_then(Person::staff) else {
        return input_error(&v, "/admin/people", &format!("no staff number {no}"));
    };
    let units = match app.storage.units().await {
        Ok(u) => u,
        Err(e) => return failed(e),
    };
    let mut pin = None;
    let row = (|| -> Result<PersonRow, String> {
        Ok(match field(&f, "action") {
            "edit" => {
                let (staff, new_pin) = staff_from(&f, &no, &old.unit, Some(&old))?;
                pin = new_pin;
                (staff, vec![], None, None)
            }
            "move" => {
                let to = field(&f, "unit");
                if !units.iter().any(|u| u.name == to) || to == old.unit {
                    return Err(format!("unit {to:?}: another of the district's units"));
                }
                let from = date(&f, "date")?.ok_or("date: the day the move takes effect")?;
                let moved = Staff { unit: to.to_string(), active_from: Some(from), active_until: None, ..old.clone() };
                (moved, vec![], None, None)
            }
            "end" => {
                let last = date(&f, "date")?.ok_or("date: the last day")?;
                if old.active_from.is_some_and(|a| last < a) {
                    return Err(format!("{last} is before their first day"));
                }
                (Staff { active_until: Some(last), ..old.clone() }, vec![], None, None)
            }
            "card" => {
                let card = crate::domain::cards::normalize(field(&f, "card"))?;
                (old.clone(), vec![card], date(&f, "date")?, None)
            }
            other => return Err(format!("unknown action {other:?}")),
        })
    })();
    let row = match row {
        Ok(row) => with_pin(row, pin).await,
        Err(m) => Err(m),
    };
    match row {
        Ok(row) => store(&app, &v, row, back).await,
        Err(m) => input_error(&v, &back, &m),
    }
}

/// The largest photo upload: the photo's cap and the form around it.
pub(in crate::central::pages) const MAX_PHOTO_UPLOAD: usize = crate::files::staff::MAX_PHOTO_BYTES as usize + 64 * 1024;

/// `POST /admin/people/{no}/photo` (multipart: the CSRF token, the
/// file): the person's photo, checked as the kiosk's staff import checks
/// one (JPEG or PNG, at most 2 MB and 1024 pixels a side), kept by its
/// content and set on the person as a change like any other, so their
/// kiosks fetch it at their next pull.
pub(in crate::central::pages) async fn photo(
    State(app): State<App>,
    headers: HeaderMap,
    Path(no): Path<String>,
    mut form: axum::extract::Multipart,
) -> Response {
    let v = admin_in!(&app, &headers);
    let back = format!("/admin/people/{}", urlencode(&no));
    let (fields, file) = match super::files::read_form(&mut form).await {
        Ok(f) => f,
        Err(m) => return input_error(&v, &back, &m),
    };
    if !fields.get("csrf").is_some_and(|t| auth::same(t, &v.csrf)) {
        return refused(&v);
    }
    let Some((file_name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        return input_error(&v, &back, v.w("没有选择照片（或文件为空）。", "No photo was chosen (or it is empty)."));
    };
    let name = match crate::files::staff::photo_name(&bytes) {
        Ok(n) => n,
        Err(m) => return input_error(&v, &back, &format!("{file_name}: {m}")),
    };
    let known = match app.storage.master_current(master::PERSON, None).await {
        Ok(rows) => rows.iter().any(|r| r.key.starts_with(&format!("{no}\u{1f}"))),
        Err(e) => return failed(e),
    };
    if !known {
        return input_error(&v, "/admin/people", &format!("no staff number {no}"));
    }
    if let Err(e) = app.storage.put_photo(&name, &bytes).await {
        return failed(e);
    }
    let now = api::now();
    let done = match master::set_photo(&*app.storage, &no, &name, &v.user.name, now).await {
        Ok(o) if o.changed == 0 => Ok(()),
        Ok(o) => {
            app.storage.audit(&v.user.name, "person photo", &format!("{no}: {name} (version {})", o.version), now).await
        }
        Err(master::MasterError::Storage(e)) => Err(e),
        Err(master::MasterError::Import(e)) => return input_error(&v, &back, &e.to_string()),
    };
    match done {
        Ok(()) => Redirect::to(&back).into_response(),
        Err(e) => failed(e),
    }
}

/// `GET /admin/photos/{name}`: a person's photo, for admin accounts (the
/// answer, like every other, is `no-store`).
pub(in crate::central::pages) async fn photo_file(
    State(app): State<App>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Response {
    let v = admin_in!(&app, &headers);
    if !crate::files::staff::is_photo_name(&name) {
        return input_error(&v, "/admin/people", &format!("no photo {name:?}"));
    }
    match app.storage.photo(&name).await {
        Ok(Some(bytes)) => {
            ([(axum::http::header::CONTENT_TYPE, crate::files::staff::photo_content_type(&name))], bytes)
                .into_response()
        }
        Ok(None) => (axum::http::StatusCode::NOT_FOUND, "no such photo").into_response(),
        Err(e) => failed(e),
    }
}
