//! 暗访: the inspectors' findings and the bureau's cases (issue 24).
//!
//! - `/findings`: the findings of a period, by unit and state, for every
//!   account; an inspector records a new one from here.
//! - `/findings/new?unit=U`: the form, in two steps without script (the
//!   unit first, then its people as ticks), at phone width: when (now by
//!   default), where, who (or 身份不明), what, a description, up to six
//!   photos, the inspectors. A change is the same form again, saved as a
//!   new version (the old one is kept and listed).
//! - `/findings/{id}`: the finding, each named person's day as the kiosk
//!   recorded it (status and punches, from issue 15's records), its
//!   versions, and the case: the bureau opens it, moves it on, decides
//!   for each person and the leader, and marks it for publication.
//! - `/findings/photos/{name}`: a photo, to signed-in accounts only (like
//!   every answer, `no-store`).
//!
//! Every step goes to the audit log; nothing is deleted (`central::cases`).

use std::collections::{BTreeMap, HashMap};

use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::{Datelike, NaiveDate};
use maud::{html, Markup};

use super::overview::{status_class, status_word, urlencode};
use super::{bad_request, failed, layout, Viewer};
use crate::central::api::{self, App};
use crate::central::auth;
use crate::central::cases::{
    self, CaseState, Category, Decision, Event, Finding, FindingVersion, Named, Refusal, MAX_PHOTOS, MAX_PHOTO_BYTES,
};
use crate::central::master;
use crate::central::storage::StorageError;
use crate::domain::time::Instant;

/// The largest form: six photos at their cap and the fields.
pub(crate) const MAX_FORM: usize = MAX_PHOTOS * MAX_PHOTO_BYTES + 256 * 1024;

/// The findings whose current day is in `[from, to]` (all of them
/// without a period), folded.
pub(crate) async fn findings(app: &App, days: Option<(NaiveDate, NaiveDate)>) -> Result<Vec<Finding>, StorageError> {
    let rows = app.storage.case_events(None, days).await?;
    let mut all = cases::fold(cases::parse_rows(rows));
    if let Some((from, to)) = days {
        all.retain(|f| (from..=to).contains(&f.current().day()));
    }
    Ok(all)
}

/// The report's 暗访问题 of `[from, to]`, of the findings at `scope`'s
/// units (all without), as the report's rows are.
pub(crate) async fn tally(
    app: &App,
    from: NaiveDate,
    to: NaiveDate,
    scope: Option<&[String]>,
) -> Result<cases::Tally, StorageError> {
    let mut found = findings(app, Some((from, to))).await?;
    found.retain(|f| scope.is_none_or(|s| s.contains(&f.current().unit)));
    Ok(cases::tally(&found, from, to))
}

pub(crate) async fn finding(app: &App, id: i64) -> Result<Option<Finding>, StorageError> {
    let rows = app.storage.case_events(Some(id), None).await?;
    Ok(cases::fold(cases::parse_rows(rows)).into_iter().next())
}

/// The people of a unit to choose from: central's roll (master data) and
/// whoever the unit's kiosks reported in the last 31 days, by staff
/// number, with whether they are a head (role `head` or `admin`).
pub(crate) async fn people_of(app: &App, unit: &str) -> Result<Vec<(Named, bool)>, StorageError> {
    let today = api::today();
    let units = [unit.to_string()];
    let (roll, days) = tokio::join!(
        app.storage.master_current(master::PERSON, Some(&units)),
        app.storage.unit_days(unit, today - chrono::Duration::days(31), today)
    );
    let mut out: BTreeMap<String, (Named, bool)> = BTreeMap::new();
    for row in roll? {
        let Ok(p) = serde_json::from_str::<crate::domain::master::Person>(&row.content) else { continue };
        if p.unit != unit || p.active_until.is_some_and(|u| u < today) {
            continue;
        }
        let head = matches!(p.role.as_str(), "head" | "admin");
        out.insert(p.staff_no.clone(), (Named { staff_no: p.staff_no, name: p.name }, head));
    }
    for d in days? {
        let p = d.person;
        out.entry(p.staff_no.clone()).or_insert((Named { staff_no: p.staff_no, name: p.name }, false));
    }
    Ok(out.into_values().collect())
}

fn forbidden(v: &Viewer, what: &str) -> Response {
    let body = html! {
        p role="alert" { (what) }
        p { a href="/findings" { (v.w("回到暗访记录", "Back to the findings")) } }
    };
    (StatusCode::FORBIDDEN, Html(layout(v, v.w("没有权限", "Not allowed"), "/findings", body).into_string()))
        .into_response()
}

fn refused(v: &Viewer, back: &str, r: &Refusal) -> Response {
    let body = html! {
        p role="alert" { (v.w(&r.zh, &r.en)) }
        p.muted { (v.w("没有保存任何内容。", "Nothing was saved.")) }
        p { a href=(back) { (v.w("返回", "Back")) } }
    };
    (StatusCode::BAD_REQUEST, Html(layout(v, v.w("未能保存", "Not saved"), "/findings", body).into_string()))
        .into_response()
}

fn csrf_failed(v: &Viewer) -> Response {
    super::admin::refused(v)
}

fn local(at: Instant) -> chrono::NaiveDateTime {
    crate::domain::time::instant_to_local(chrono_tz::Asia::Shanghai, at)
}

fn state_badge(v: &Viewer, f: &Finding) -> Markup {
    match f.state() {
        None => html! { span.badge.muted { (v.w("待立案", "no case yet")) } },
        Some(s) => {
            let class = match s {
                CaseState::Archived => "ok",
                CaseState::Dismissed => "muted",
                _ => "warn",
            };
            html! {
                span.badge.(class) { (v.w(s.zh(), s.en())) }
                @if f.case.as_ref().is_some_and(|c| c.published) { " " span.badge.bad { (v.w("曝光", "published")) } }
            }
        }
    }
}

fn people_words(v: &Viewer, f: &FindingVersion) -> String {
    let mut names: Vec<String> = f.people.iter().map(|p| p.name.clone()).collect();
    if f.unknown {
        names.push(v.w("身份不明", "unidentified").to_string());
    }
    names.join("、")
}

/// A table of findings (the list, a person's, a unit's open ones).
pub(super) fn table(v: &Viewer, list: &[&Finding]) -> Markup {
    html! {
        @if list.is_empty() {
            p.muted { (v.w("没有暗访记录。", "No findings.")) }
        } @else {
            div.scroll {
                table {
                    thead { tr {
                        th.name { (v.w("时间", "When")) }
                        th.name { (v.w("单位", "Unit")) }
                        th.name { (v.w("人员", "People")) }
                        th.name.opt { (v.w("问题", "What")) }
                        th.name { (v.w("状态", "State")) }
                    } }
                    tbody {
                        @for f in list {
                            @let c = f.current();
                            tr {
                                td.name { a href={ "/findings/" (f.id) } { (local(c.at).format("%m-%d %H:%M")) } }
                                td.name { (c.unit) }
                                td.name { (people_words(v, c)) }
                                td.name.opt { (v.w(c.category.zh(), c.category.en())) }
                                td.name { (state_badge(v, f)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `GET /findings?from&to&unit&state`: the period's findings (this month
/// by default), newest first.
pub(super) async fn list(
    State(app): State<App>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let v = signed_in!(&app, &headers);
    let today = api::today();
    let month_start = today.with_day0(0).unwrap_or(today);
    let date = |k: &str, default: NaiveDate| match q.get(k).filter(|s| !s.is_empty()) {
        None => Ok(default),
        Some(s) => s.parse::<NaiveDate>().map_err(|_| format!("{k}: {s:?} is not YYYY-MM-DD")),
    };
    let (from, to) = match (date("from", month_start), date("to", today)) {
        (Ok(f), Ok(t)) if f <= t => (f, t),
        (Ok(_), Ok(_)) => return bad_request(&v, "to is before from"),
        (Err(m), _) | (_, Err(m)) => return bad_request(&v, &m),
    };
    let unit = q.get("unit").filter(|u| !u.is_empty());
    let state = match q.get("state").filter(|s| !s.is_empty()) {
        None => None,
        Some(s) if s == "none" => Some(None),
        Some(s) => match CaseState::parse(s) {
            Some(st) => Some(Some(st)),
            None => return bad_request(&v, &format!("state: {s:?} is not a case state")),
        },
    };
    let (all, held) = tokio::join!(findings(&app, Some((from, to))), app.storage.units());
    let (all, held) = match (all, held) {
        (Ok(a), Ok(h)) => (a, h),
        (Err(e), _) | (_, Err(e)) => return failed(e),
    };
    let mut shown: Vec<&Finding> = all
        .iter()
        .filter(|f| unit.is_none_or(|u| f.current().unit == *u))
        .filter(|f| state.is_none_or(|s| f.state() == s))
        .collect();
    shown.sort_by_key(|f| std::cmp::Reverse((f.current().at, f.id)));
    let tree = crate::central::units::Tree::new(&held);
    let names = tree.in_order(held.iter().map(|u| u.name.clone()));
    let body = html! {
        @if v.user.role.records_findings() {
            div.actions { a.button.primary href="/findings/new" { (v.w("记录暗访问题", "Record a finding")) } }
        }
        form.pick method="get" action="/findings" {
            label { (v.w("从", "From")) " " input type="date" name="from" value=(from); }
            label { (v.w("到", "to")) " " input type="date" name="to" value=(to); }
            select name="unit" aria-label=(v.w("单位", "Unit")) {
                option value="" { (v.w("全部单位", "All units")) }
                @for (shown, u) in &names {
                    option value=(u) selected[unit == Some(u)] { (shown) }
                }
            }
            select name="state" aria-label=(v.w("状态", "State")) {
                option value="" { (v.w("全部状态", "Any state")) }
                option value="none" selected[state == Some(None)] { (v.w("待立案", "no case yet")) }
                @for s in CaseState::ALL {
                    option value=(s.zh()) selected[state == Some(Some(s))] { (v.w(s.zh(), s.en())) }
                }
            }
            button { (v.w("查看", "Show")) }
        }
        (table(&v, &shown))
    };
    Html(layout(&v, v.w("暗访", "Findings"), "/findings", body).into_string()).into_response()
}

/// `GET /findings/new[?unit=U]`: the form's two steps.
pub(super) async fn new(
    State(app): State<App>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let v = signed_in!(&app, &headers);
    if !v.user.role.records_findings() {
        return forbidden(&v, v.w("只有督查账户可以记录暗访问题。", "Only inspector accounts record findings."));
    }
    let held = match app.storage.units().await {
        Ok(h) => h,
        Err(e) => return failed(e),
    };
    let Some(unit) = q.get("unit").filter(|u| !u.is_empty()) else {
        let tree = crate::central::units::Tree::new(&held);
        let names = tree.in_order(held.iter().map(|u| u.name.clone()));
        let body = html! {
            form.stack method="get" action="/findings/new" {
                label { (v.w("在哪个单位发现？", "Which unit?"))
                    select name="unit" required {
                        @for (shown, u) in &names { option value=(u) { (shown) } }
                    }
                }
                button.primary { (v.w("下一步：选择人员", "Next: choose the people")) }
            }
        };
        return Html(layout(&v, v.w("记录暗访问题", "Record a finding"), "/findings", body).into_string())
            .into_response();
    };
    if !held.iter().any(|u| u.name == *unit) {
        return bad_request(&v, &format!("unit: {unit:?} is not one of the district's units"));
    }
    let people = match people_of(&app, unit).await {
        Ok(p) => p,
        Err(e) => return failed(e),
    };
    let blank = FindingVersion {
        at: api::now(),
        unit: unit.clone(),
        place: String::new(),
        people: vec![],
        unknown: false,
        category: Category::OffPost,
        description: String::new(),
        photos: vec![],
        inspectors: vec![v.user.name.clone()],
    };
    let body = form(&v, "/findings", &blank, &people, None);
    Html(layout(&v, v.w("记录暗访问题", "Record a finding"), "/findings", body).into_string()).into_response()
}

/// The finding's form, empty or holding `f` (a change: `seen` events).
fn form(v: &Viewer, action: &str, f: &FindingVersion, people: &[(Named, bool)], seen: Option<u64>) -> Markup {
    let at = local(f.at).format("%Y-%m-%dT%H:%M").to_string();
    let mut choices: Vec<Named> = people.iter().map(|(p, _)| p.clone()).collect();
    for p in &f.people {
        if !choices.iter().any(|c| c.staff_no == p.staff_no) {
            choices.push(p.clone());
        }
    }
    html! {
        form.stack.finding method="post" action=(action) enctype="multipart/form-data" {
            input type="hidden" name="csrf" value=(v.csrf);
            input type="hidden" name="unit" value=(f.unit);
            @if let Some(n) = seen { input type="hidden" name="seen" value=(n); }
            p { strong { (v.w("单位：", "Unit: ")) (f.unit) } }
            label { (v.w("时间", "When")) input type="datetime-local" name="at" value=(at) required; }
            label { (v.w("地点", "Place")) input name="place" value=(f.place) maxlength="100" placeholder=(v.w("如：三楼办事大厅", "e.g. the service hall, 3rd floor")); }
            fieldset.choices {
                legend { (v.w("人员", "People")) }
                @for p in &choices {
                    label { input type="checkbox" name="people" value=(p.staff_no) checked[f.people.iter().any(|x| x.staff_no == p.staff_no)]; (p.name) " " span.muted { (p.staff_no) } }
                }
                label { input type="checkbox" name="unknown" value="1" checked[f.unknown]; (v.w("身份不明", "Unidentified")) }
            }
            label { (v.w("问题类别", "Category"))
                select name="category" required {
                    @for c in Category::ALL { option value=(c.zh()) selected[c == f.category] { (v.w(c.zh(), c.en())) } }
                }
            }
            label { (v.w("情况描述", "What was seen")) textarea name="description" rows="4" maxlength=(cases::MAX_TEXT) required { (f.description) } }
            @if !f.photos.is_empty() {
                fieldset.choices {
                    legend { (v.w("保留的照片", "Photos kept")) }
                    @for p in &f.photos {
                        label { input type="checkbox" name="keep" value=(p) checked; img.thumb src={ "/findings/photos/" (p) } alt=""; }
                    }
                }
            }
            label { (v.w("照片（JPEG 或 PNG，最多 6 张，每张不超过 8 MB）", "Photos (JPEG or PNG, up to 6, 8 MB each)"))
                input type="file" name="photos" accept="image/jpeg,image/png" multiple;
            }
            label { (v.w("检查人员（多人用顿号分隔）", "Inspectors (separated by 、 or commas)"))
                input name="inspectors" value=(f.inspectors.join("、")) required maxlength="200";
            }
            button.primary type="submit" { (if seen.is_some() { v.w("保存修改（新版本）", "Save the change (a new version)") } else { v.w("保存", "Save") }) }
        }
    }
}

/// A photo checked and named by its content: (name, bytes).
pub(crate) type NamedPhoto = (String, Vec<u8>);

/// A multipart form's text fields (repeatable) and photos.
struct Posted {
    fields: Vec<(String, String)>,
    photos: Vec<(String, Vec<u8>)>,
}

impl Posted {
    fn one(&self, k: &str) -> &str {
        self.fields.iter().find(|(n, _)| n == k).map_or("", |(_, v)| v.as_str())
    }
    fn all(&self, k: &str) -> Vec<&str> {
        self.fields.iter().filter(|(n, _)| n == k).map(|(_, v)| v.as_str()).collect()
    }
}

async fn read_posted(form: &mut Multipart) -> Result<Posted, Refusal> {
    let mut out = Posted { fields: vec![], photos: vec![] };
    let unreadable = |e: axum::extract::multipart::MultipartError| Refusal {
        field: "form",
        zh: format!("表单无法读取（{e}）。"),
        en: format!("The form could not be read ({e})."),
    };
    while let Some(field) = form.next_field().await.map_err(unreadable)? {
        let name = field.name().unwrap_or("").to_string();
        if name == "photos" {
            let file = field.file_name().unwrap_or("photo").to_string();
            let bytes = field.bytes().await.map_err(unreadable)?;
            if !bytes.is_empty() {
                out.photos.push((file, bytes.to_vec()));
            }
        } else {
            out.fields.push((name, field.text().await.map_err(unreadable)?));
        }
    }
    Ok(out)
}

/// A finding's version from the form (the people's names from the
/// unit's list), and its photos checked and named (not stored yet).
fn version_of(
    p: &Posted,
    people: &[(Named, bool)],
    kept: &[String],
) -> Result<(FindingVersion, Vec<NamedPhoto>), Refusal> {
    let bad = |field: &'static str, zh: String, en: String| Refusal { field, zh, en };
    let at_text = p.one("at");
    let at = chrono::NaiveDateTime::parse_from_str(at_text, "%Y-%m-%dT%H:%M")
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(at_text, "%Y-%m-%dT%H:%M:%S"))
        .map_err(|_| {
            bad("at", format!("时间“{at_text}”无法识别。"), format!("The time {at_text:?} is not a date and time."))
        })?;
    let category = Category::parse(p.one("category")).ok_or_else(|| {
        bad("category", format!("没有类别“{}”。", p.one("category")), format!("No category {:?}.", p.one("category")))
    })?;
    let mut named = Vec::new();
    for no in p.all("people") {
        match people.iter().find(|(n, _)| n.staff_no == no) {
            Some((n, _)) => named.push(n.clone()),
            None => {
                return Err(bad(
                    "people",
                    format!("{no} 不是本单位人员。"),
                    format!("{no} is not one of the unit's people."),
                ))
            }
        }
    }
    let keep: Vec<String> =
        p.all("keep").into_iter().filter(|k| kept.iter().any(|x| x == k)).map(String::from).collect();
    let mut photos = Vec::new();
    for (file, bytes) in &p.photos {
        let name = cases::photo_name(bytes).map_err(|r| Refusal {
            zh: format!("{file}：{}", r.zh),
            en: format!("{file}: {}", r.en),
            ..r
        })?;
        photos.push((name, bytes.clone()));
    }
    let mut names = keep;
    for (n, _) in &photos {
        if !names.contains(n) {
            names.push(n.clone());
        }
    }
    let inspectors = p
        .one("inspectors")
        .split(['、', ',', '，', ';', '；'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect();
    let v = FindingVersion {
        at: crate::domain::time::local_to_instant(chrono_tz::Asia::Shanghai, at),
        unit: p.one("unit").to_string(),
        place: p.one("place").trim().to_string(),
        people: named,
        unknown: p.one("unknown") == "1",
        category,
        description: p.one("description").trim().to_string(),
        photos: names,
        inspectors,
    };
    Ok((v, photos))
}

/// Checks a version against the district's units and stores its new
/// photos: what a page or the API does before it appends the version.
pub(crate) async fn prepare(
    app: &App,
    v: &FindingVersion,
    photos: &[(String, Vec<u8>)],
) -> Result<Result<(), Refusal>, StorageError> {
    let units: Vec<String> = app.storage.units().await?.into_iter().map(|u| u.name).collect();
    if let Err(r) = cases::check_version(v, &units, api::now()) {
        return Ok(Err(r));
    }
    for (name, bytes) in photos {
        app.storage.put_finding_photo(name, bytes).await?;
    }
    Ok(Ok(()))
}

/// Stores a new finding: its id.
pub(crate) async fn record(app: &App, who: &str, v: FindingVersion) -> Result<i64, StorageError> {
    let day = v.day();
    let detail = format!("{} {} {}", v.unit, v.category.zh(), people_words_plain(&v));
    let body = serde_json::to_string(&Event::Version(v)).map_err(|e| StorageError::Db(e.to_string()))?;
    let now = api::now();
    let id = app.storage.add_finding(who, now, day, &body).await?;
    app.storage.audit(who, "finding", &format!("#{id} recorded: {detail}"), now).await?;
    Ok(id)
}

fn people_words_plain(v: &FindingVersion) -> String {
    let mut names: Vec<String> = v.people.iter().map(|p| format!("{} {}", p.staff_no, p.name)).collect();
    if v.unknown {
        names.push("身份不明".into());
    }
    names.join("、")
}

/// `POST /findings` (multipart): a new finding, by an inspector.
pub(super) async fn create(State(app): State<App>, headers: HeaderMap, mut form: Multipart) -> Response {
    let v = signed_in!(&app, &headers);
    if !v.user.role.records_findings() {
        return forbidden(&v, v.w("只有督查账户可以记录暗访问题。", "Only inspector accounts record findings."));
    }
    let posted = match read_posted(&mut form).await {
        Ok(p) => p,
        Err(r) => return refused(&v, "/findings/new", &r),
    };
    if !auth::same(posted.one("csrf"), &v.csrf) {
        return csrf_failed(&v);
    }
    let unit = posted.one("unit").to_string();
    let back = format!("/findings/new?unit={}", urlencode(&unit));
    let people = match people_of(&app, &unit).await {
        Ok(p) => p,
        Err(e) => return failed(e),
    };
    let (version, photos) = match version_of(&posted, &people, &[]) {
        Ok(x) => x,
        Err(r) => return refused(&v, &back, &r),
    };
    match prepare(&app, &version, &photos).await {
        Ok(Ok(())) => {}
        Ok(Err(r)) => return refused(&v, &back, &r),
        Err(e) => return failed(e),
    }
    match record(&app, &v.user.name, version).await {
        Ok(id) => Redirect::to(&format!("/findings/{id}")).into_response(),
        Err(e) => failed(e),
    }
}

/// Appends `event` to `f` if it may follow (checked against `f` as read)
/// and nobody appended meanwhile; in the audit log as `what`.
async fn append(
    app: &App,
    who: &str,
    f: &Finding,
    event: Event,
    what: &str,
) -> Result<Result<(), Refusal>, StorageError> {
    if let Err(r) = cases::check(f, &event) {
        return Ok(Err(r));
    }
    let day = match &event {
        Event::Version(v) => Some(v.day()),
        _ => None,
    };
    let body = serde_json::to_string(&event).map_err(|e| StorageError::Db(e.to_string()))?;
    let now = api::now();
    if !app.storage.add_case_event(f.id, f.events, who, now, day, &body).await? {
        return Ok(Err(Refusal {
            field: "seen",
            zh: "这条记录刚被别人修改过，请刷新后再试。".into(),
            en: "Someone changed this finding meanwhile; reload and try again.".into(),
        }));
    }
    app.storage.audit(who, "finding", &format!("#{} {what}", f.id), now).await?;
    Ok(Ok(()))
}

/// `GET /findings/{id}/edit`: the form holding the finding (an inspector's).
pub(super) async fn edit(State(app): State<App>, headers: HeaderMap, Path(id): Path<i64>) -> Response {
    let v = signed_in!(&app, &headers);
    if !v.user.role.records_findings() {
        return forbidden(&v, v.w("只有督查账户可以修改暗访记录。", "Only inspector accounts change findings."));
    }
    let f = match finding(&app, id).await {
        Ok(Some(f)) => f,
        Ok(None) => return not_found(&v, id),
        Err(e) => return failed(e),
    };
    let people = match people_of(&app, &f.current().unit).await {
        Ok(p) => p,
        Err(e) => return failed(e),
    };
    let body = form(&v, &format!("/findings/{id}"), f.current(), &people, Some(f.events));
    let title = format!("{} #{id}", v.w("修改暗访记录", "Change finding"));
    Html(layout(&v, &title, "/findings", body).into_string()).into_response()
}

fn not_found(v: &Viewer, id: i64) -> Response {
    let body = html! { p role="alert" { (v.w("没有这条暗访记录：", "No such finding: ")) "#" (id) } };
    (StatusCode::NOT_FOUND, Html(layout(v, v.w("没有找到", "Not found"), "/findings", body).into_string()))
        .into_response()
}

/// `POST /findings/{id}` (multipart): a change of the finding, saved as a
/// new version.
pub(super) async fn change(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    mut form: Multipart,
) -> Response {
    let v = signed_in!(&app, &headers);
    if !v.user.role.records_findings() {
        return forbidden(&v, v.w("只有督查账户可以修改暗访记录。", "Only inspector accounts change findings."));
    }
    let back = format!("/findings/{id}/edit");
    let posted = match read_posted(&mut form).await {
        Ok(p) => p,
        Err(r) => return refused(&v, &back, &r),
    };
    if !auth::same(posted.one("csrf"), &v.csrf) {
        return csrf_failed(&v);
    }
    let f = match finding(&app, id).await {
        Ok(Some(f)) => f,
        Ok(None) => return not_found(&v, id),
        Err(e) => return failed(e),
    };
    if posted.one("seen") != f.events.to_string() {
        let r = Refusal {
            field: "seen",
            zh: "这条记录在您打开表单后被修改过，请重新打开再改。".into(),
            en: "The finding changed after you opened the form; open it again.".into(),
        };
        return refused(&v, &back, &r);
    }
    // The unit's people, and whoever the finding names already (one who
    // left since stays choosable).
    let mut people = match people_of(&app, &f.current().unit).await {
        Ok(p) => p,
        Err(e) => return failed(e),
    };
    for p in &f.current().people {
        if !people.iter().any(|(n, _)| n.staff_no == p.staff_no) {
            people.push((p.clone(), false));
        }
    }
    let (mut version, photos) = match version_of(&posted, &people, &f.current().photos) {
        Ok(x) => x,
        Err(r) => return refused(&v, &back, &r),
    };
    version.unit = f.current().unit.clone();
    // Refused before any photo is kept (a closed case).
    if let Err(r) = cases::check(&f, &Event::Version(version.clone())) {
        return refused(&v, &back, &r);
    }
    match prepare(&app, &version, &photos).await {
        Ok(Ok(())) => {}
        Ok(Err(r)) => return refused(&v, &back, &r),
        Err(e) => return failed(e),
    }
    let what = format!("version {} saved", f.versions.len() + 1);
    match append(&app, &v.user.name, &f, Event::Version(version), &what).await {
        Ok(Ok(())) => Redirect::to(&format!("/findings/{id}")).into_response(),
        Ok(Err(r)) => refused(&v, &back, &r),
        Err(e) => failed(e),
    }
}

/// `POST /findings/{id}/case` (a form: `action` open | state | decide |
/// leader | publish, with `seen`, the events the page showed): the
/// bureau's step.
pub(super) async fn case_step(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> Response {
    let v = signed_in!(&app, &headers);
    if !v.user.role.decides_cases() {
        return forbidden(
            &v,
            v.w("只有组织部或管理员账户可以处理案件。", "Only bureau and admin accounts handle cases."),
        );
    }
    let back = format!("/findings/{id}");
    let f: HashMap<String, String> = match serde_urlencoded::from_bytes(&body) {
        Ok(f) => f,
        Err(e) => return bad_request(&v, &format!("not a form: {e}")),
    };
    if !f.get("csrf").is_some_and(|c| auth::same(c, &v.csrf)) {
        return csrf_failed(&v);
    }
    let field = |k: &str| f.get(k).map_or("", |s| s.trim());
    let finding = match finding(&app, id).await {
        Ok(Some(x)) => x,
        Ok(None) => return not_found(&v, id),
        Err(e) => return failed(e),
    };
    if field("seen") != finding.events.to_string() {
        let r = Refusal {
            field: "seen",
            zh: "这个案件在您打开页面后有了新的变化，请刷新后再操作。".into(),
            en: "The case changed after the page was opened; reload it and try again.".into(),
        };
        return refused(&v, &back, &r);
    }
    let decision = || {
        Decision::parse(field("decision")).ok_or_else(|| Refusal {
            field: "decision",
            zh: "请选择处理决定。".into(),
            en: "Choose a decision.".into(),
        })
    };
    let event = match field("action") {
        "open" => Ok((Event::Opened, "case opened (登记)".to_string())),
        "state" => match CaseState::parse(field("to")) {
            Some(to) => Ok((
                Event::State { to, reason: field("reason").to_string() },
                format!("case {} {}", to.zh(), field("reason")),
            )),
            None => Err(Refusal { field: "to", zh: "没有这个状态。".into(), en: "No such state.".into() }),
        },
        "decide" => decision().map(|d| {
            let who = field("staff_no").to_string();
            (
                Event::Decision { staff_no: who.clone(), decision: d, decided_by: field("decided_by").to_string() },
                format!("decision {who}: {} by {}", d.zh(), field("decided_by")),
            )
        }),
        "leader" => decision().map(|d| {
            (
                Event::Leader {
                    name: field("name").to_string(),
                    unit: finding.current().unit.clone(),
                    decision: d,
                    decided_by: field("decided_by").to_string(),
                },
                format!("leader {}: {} by {}", field("name"), d.zh(), field("decided_by")),
            )
        }),
        "publish" => {
            let on = field("published") == "1";
            Ok((Event::Publish { published: on }, if on { "published" } else { "unpublished" }.to_string()))
        }
        other => {
            Err(Refusal {
                field: "action", zh: format!("没有操作“{other}”。"), en: format!("No action {other:?}.")
            })
        }
    };
    let (event, what) = match event {
        Ok(e) => e,
        Err(r) => return refused(&v, &back, &r),
    };
    match append(&app, &v.user.name, &finding, event, &what).await {
        Ok(Ok(())) => Redirect::to(&back).into_response(),
        Ok(Err(r)) => refused(&v, &back, &r),
        Err(e) => failed(e),
    }
}

/// `GET /findings/{id}`: the finding, the named people's day from the
/// records, its versions and its case.
pub(super) async fn page(State(app): State<App>, headers: HeaderMap, Path(id): Path<i64>) -> Response {
    let v = signed_in!(&app, &headers);
    let f = match finding(&app, id).await {
        Ok(Some(f)) => f,
        Ok(None) => return not_found(&v, id),
        Err(e) => return failed(e),
    };
    let c = f.current();
    let day = c.day();
    // Each named person's day as the kiosk recorded it.
    let mut days = Vec::new();
    for p in &c.people {
        let history = match app.storage.person_history(&p.staff_no, day, day).await {
            Ok(h) => h,
            Err(e) => return failed(e),
        };
        let raw = match super::person::raw_days(&app, &p.staff_no, &history, (day, day)).await {
            Ok((raw, _)) => raw,
            Err(e) => return failed(e),
        };
        let latest = history.last().map(|(d, _)| &d.person);
        let words: Vec<String> =
            raw.values().map(|r| super::person::record_words(&v, r)).filter(|w| !w.is_empty()).collect();
        // The records where they have arrived; else the summary's punches.
        let words = match (words.is_empty(), latest) {
            (false, _) => words.join(" · "),
            (true, Some(l)) if !l.punches.is_empty() => {
                format!("{}{}", super::clock_times(&l.punches), v.w("（汇总）", " (from the summary)"))
            }
            _ => String::new(),
        };
        days.push((p, latest.map(|l| l.status), words));
    }
    let heads = if v.user.role.decides_cases() && f.state() == Some(CaseState::Handling) {
        match people_of(&app, &c.unit).await {
            Ok(p) => p.into_iter().filter(|(_, head)| *head).map(|(n, _)| n).collect(),
            Err(e) => return failed(e),
        }
    } else {
        Vec::new()
    };
    let body = html! {
        nav.crumbs { a href="/findings" { (v.w("暗访", "Findings")) } " › #" (id) }
        p { (state_badge(&v, &f)) }
        dl.facts {
            dt { (v.w("时间", "When")) } dd { (local(c.at).format("%Y-%m-%d %H:%M")) }
            dt { (v.w("单位", "Unit")) } dd { a href={ "/units/" (urlencode(&c.unit)) "?date=" (day) } { (c.unit) } }
            @if !c.place.is_empty() { dt { (v.w("地点", "Place")) } dd { (c.place) } }
            dt { (v.w("问题类别", "Category")) } dd { (v.w(c.category.zh(), c.category.en())) }
            dt { (v.w("情况描述", "What was seen")) } dd { (c.description) }
            dt { (v.w("检查人员", "Inspectors")) } dd { (c.inspectors.join("、")) }
            @if c.unknown { dt { (v.w("另有", "Also")) } dd { (v.w("身份不明人员", "someone unidentified")) } }
        }
        @if !c.photos.is_empty() {
            div.photos {
                @for p in &c.photos {
                    a href={ "/findings/photos/" (p) } { img.thumb src={ "/findings/photos/" (p) } alt=(v.w("现场照片", "photo")); }
                }
            }
        }
        h2 { (v.w("涉及人员当天考勤", "The people's day at the kiosk")) }
        @if days.is_empty() {
            p.muted { (v.w("未指明具体人员。", "No one was named.")) }
        } @else {
            div.scroll { table {
                thead { tr {
                    th.name { (v.w("姓名", "Name")) }
                    th.name { (v.w("当天状态", "That day")) }
                    th.name { (v.w("打卡记录", "Records")) }
                } }
                tbody { @for (p, status, words) in &days {
                    tr {
                        td.name { a href={ "/people/" (urlencode(&p.staff_no)) } { (p.name) } " " span.muted { (p.staff_no) } }
                        td.name { @match status {
                            Some(s) => span.(status_class(*s)) { (status_word(&v, *s)) },
                            None => span.muted { (v.w("无上报", "not reported")) },
                        } }
                        td.name { @if words.is_empty() { span.muted { (v.w("无打卡", "no punches")) } } @else { (words) } }
                    }
                } }
            } }
        }
        @if v.user.role.records_findings() && !f.case.as_ref().is_some_and(|c| c.state.closed()) {
            p { a.button href={ "/findings/" (id) "/edit" } { (v.w("修改（保存为新版本）", "Change (saved as a new version)")) } }
        }
        (case_panel(&v, &f, &heads))
        @if f.versions.len() > 1 {
            details.glossary {
                summary { (v.w("修改记录", "Versions")) " (" (f.versions.len()) ")" }
                ol { @for ver in &f.versions {
                    li {
                        (ver.by) " " (super::local_minute(ver.at)) "："
                        (local(ver.version.at).format("%m-%d %H:%M")) "，" (people_words(&v, &ver.version)) "，"
                        (v.w(ver.version.category.zh(), ver.version.category.en())) "，" (ver.version.description)
                    }
                } }
            }
        } @else {
            p.muted { (v.w("记录人：", "Recorded by ")) (f.versions[0].by) " " (super::local_minute(f.versions[0].at)) }
        }
    };
    let title = format!("{} #{id}", v.w("暗访问题", "Finding"));
    Html(layout(&v, &title, "/findings", body).into_string()).into_response()
}

/// The case: its state, decisions and steps; the bureau's forms.
fn case_panel(v: &Viewer, f: &Finding, heads: &[Named]) -> Markup {
    let decides = v.user.role.decides_cases();
    let hidden = html! {
        input type="hidden" name="csrf" value=(v.csrf);
        input type="hidden" name="seen" value=(f.events);
    };
    let action = format!("/findings/{}/case", f.id);
    let decision_select = |chosen: Option<Decision>| {
        html! {
            select name="decision" required aria-label=(v.w("处理决定", "Decision")) {
                option value="" { (v.w("选择处理决定", "Choose a decision")) }
                @for d in Decision::ALL { option value=(d.zh()) selected[chosen == Some(d)] { (v.w(d.zh(), d.en())) } }
            }
        }
    };
    html! {
        h2 { (v.w("查处", "The case")) }
        @match &f.case {
            None => {
                p.muted { (v.w("尚未立案。", "Not a case yet.")) }
                @if decides {
                    form.pick method="post" action=(action) {
                        (hidden) input type="hidden" name="action" value="open";
                        button.primary { (v.w("立案（登记）", "Open a case")) }
                    }
                }
            }
            Some(c) => {
                dl.facts {
                    dt { (v.w("状态", "State")) } dd { (v.w(c.state.zh(), c.state.en())) @if !c.reason.is_empty() { "（" (c.reason) "）" } }
                    @for p in &f.current().people {
                        dt { (p.name) } dd {
                            @match c.decisions.get(&p.staff_no) {
                                Some(d) => { strong { (v.w(d.decision.zh(), d.decision.en())) } " · " (v.w("决定：", "by ")) (d.decided_by) }
                                None => span.muted { (v.w("未决定", "undecided")) },
                            }
                        }
                    }
                    @if let Some(l) = &c.leader {
                        dt { (v.w("领导责任", "Leader's responsibility")) }
                        dd { (l.unit) " " (l.name) "：" strong { (v.w(l.decided.decision.zh(), l.decided.decision.en())) } " · " (v.w("决定：", "by ")) (l.decided.decided_by) }
                    }
                    dt { (v.w("曝光", "Published")) } dd { (if c.published { v.w("是（列入通报典型案例）", "yes (a typical case in the 通报)") } else { v.w("否", "no") }) }
                }
                @if decides && !c.state.closed() {
                    div.casework {
                        @if let Some(next) = c.state.next() {
                            form.pick method="post" action=(action) {
                                (hidden) input type="hidden" name="action" value="state"; input type="hidden" name="to" value=(next.zh());
                                button.primary { (v.w("转为：", "Move to: ")) (v.w(next.zh(), next.en())) }
                            }
                        }
                        @if c.state == CaseState::Handling {
                            @for p in &f.current().people {
                                form.pick method="post" action=(action) {
                                    (hidden) input type="hidden" name="action" value="decide"; input type="hidden" name="staff_no" value=(p.staff_no);
                                    span { (p.name) }
                                    (decision_select(c.decisions.get(&p.staff_no).map(|d| d.decision)))
                                    input name="decided_by" value=(c.decisions.get(&p.staff_no).map_or(v.user.name.as_str(), |d| d.decided_by.as_str())) aria-label=(v.w("决定人", "Decided by")) maxlength="40" required;
                                    button { (v.w("作出决定", "Decide")) }
                                }
                            }
                            form.pick method="post" action=(action) {
                                (hidden) input type="hidden" name="action" value="leader";
                                span { (v.w("领导责任", "Leader")) }
                                input name="name" list="heads" value=(c.leader.as_ref().map_or("", |l| l.name.as_str())) placeholder=(v.w("单位负责人姓名", "the unit head's name")) aria-label=(v.w("负责人", "Leader")) maxlength="64" required;
                                datalist #heads { @for h in heads { option value=(h.name) {} } }
                                (decision_select(c.leader.as_ref().map(|l| l.decided.decision)))
                                input name="decided_by" value=(v.user.name) aria-label=(v.w("决定人", "Decided by")) maxlength="40" required;
                                button { (v.w("追究领导责任", "Hold the leader responsible")) }
                            }
                        }
                        details.options {
                            summary { (v.w("不予处理…", "Dismiss…")) }
                            form.stack method="post" action=(action) {
                                (hidden) input type="hidden" name="action" value="state"; input type="hidden" name="to" value="不予处理";
                                label { (v.w("理由", "Reason")) textarea name="reason" rows="2" required {} }
                                button.danger { (v.w("不予处理", "Dismiss")) }
                            }
                        }
                    }
                }
                @if decides && matches!(c.state, CaseState::Handling | CaseState::Archived) {
                    form.pick method="post" action=(action) {
                        (hidden) input type="hidden" name="action" value="publish"; input type="hidden" name="published" value=(if c.published { "0" } else { "1" });
                        button { (if c.published { v.w("取消曝光", "Unpublish") } else { v.w("曝光（列入通报典型案例）", "Publish (a typical case in the 通报)") }) }
                    }
                }
                details.glossary {
                    summary { (v.w("办理过程", "Steps")) " (" (c.steps.len()) ")" }
                    ol { @for s in &c.steps { li { (super::local_minute(s.at)) " " (s.by) "：" (step_words(v, f, &s.event)) } } }
                }
            }
        }
    }
}

fn step_words(v: &Viewer, f: &Finding, e: &Event) -> String {
    let name = |no: &str| {
        f.current().people.iter().find(|p| p.staff_no == no).map_or_else(|| no.to_string(), |p| p.name.clone())
    };
    match e {
        Event::Version(_) => v.w("修改了记录", "changed the finding").to_string(),
        Event::Opened => v.w("立案（登记）", "opened the case").to_string(),
        Event::State { to, reason } if reason.is_empty() => {
            format!("{}{}", v.w("转为", "moved to "), v.w(to.zh(), to.en()))
        }
        Event::State { to, reason } => format!("{}{}（{reason}）", v.w("转为", "moved to "), v.w(to.zh(), to.en())),
        Event::Decision { staff_no, decision, decided_by } => {
            format!("{}：{}（{decided_by}）", name(staff_no), v.w(decision.zh(), decision.en()))
        }
        Event::Leader { name, unit, decision, decided_by } => {
            format!(
                "{}{unit} {name}：{}（{decided_by}）",
                v.w("领导责任 ", "leader "),
                v.w(decision.zh(), decision.en())
            )
        }
        Event::Publish { published: true } => v.w("曝光", "published").to_string(),
        Event::Publish { published: false } => v.w("取消曝光", "unpublished").to_string(),
    }
}

/// `GET /findings/photos/{name}`: a photo, to signed-in accounts.
pub(super) async fn photo(State(app): State<App>, headers: HeaderMap, Path(name): Path<String>) -> Response {
    let v = signed_in!(&app, &headers);
    if !crate::files::staff::is_photo_name(&name) {
        return bad_request(&v, &format!("no photo {name:?}"));
    }
    match app.storage.finding_photo(&name).await {
        Ok(Some(bytes)) => {
            ([(axum::http::header::CONTENT_TYPE, crate::files::staff::photo_content_type(&name))], bytes)
                .into_response()
        }
        Ok(None) => (StatusCode::NOT_FOUND, "no such photo").into_response(),
        Err(e) => failed(e),
    }
}

/// A person's findings (their page lists them).
pub(super) async fn of_person(app: &App, staff_no: &str) -> Result<Vec<Finding>, StorageError> {
    Ok(findings(app, None).await?.into_iter().filter(|f| f.names(staff_no)).collect())
}

/// A unit's findings whose case is not closed (its page lists them).
pub(super) async fn open_of_unit(app: &App, unit: &str) -> Result<Vec<Finding>, StorageError> {
    Ok(findings(app, None)
        .await?
        .into_iter()
        .filter(|f| f.current().unit == unit && !f.state().is_some_and(CaseState::closed))
        .collect())
}
