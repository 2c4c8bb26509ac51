//! The bureau's pages: server-rendered HTML (maud: the markup is Rust,
//! checked and escaped at compile time), no JavaScript, Chinese by
//! default with an English switch (a `dc_lang` cookie). Every page is
//! behind a login; a page asked for without a session goes to `/login`.
//! The exports (CSV with a BOM, XLSX) are the same rows as the page and
//! are written to the audit log.

use axum::extract::{Path, Query};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use maud::{html, Markup, DOCTYPE};

use super::api::{self, App};
use super::storage::{Role, StorageError, UserRow};
use crate::domain::config::Language;

/// The routes of the pages (merged into the API's router).
pub fn routes() -> Router<App> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/overview") }))
        .route("/overview", get(overview::page))
        .route("/overview.csv", get(overview::csv))
        .route("/overview.xlsx", get(overview::xlsx))
        .route("/units/{unit}", get(overview::unit_day))
        .route("/exceptions", get(overview::exceptions))
        .route("/report", get(report::page))
        .route("/report.docx", get(report::docx))
        .route("/kiosks", get(kiosks::page))
        .route("/people/{staff_no}", get(person::page))
        .route(
            "/findings",
            get(findings::list).post(findings::create).layer(axum::extract::DefaultBodyLimit::max(findings::MAX_FORM)),
        )
        .route("/findings/new", get(findings::new))
        .route(
            "/findings/{id}",
            get(findings::page).post(findings::change).layer(axum::extract::DefaultBodyLimit::max(findings::MAX_FORM)),
        )
        .route("/findings/{id}/edit", get(findings::edit))
        .route("/findings/{id}/case", post(findings::case_step))
        .route("/findings/photos/{name}", get(findings::photo))
        .route("/lang/{lang}", get(set_lang))
        .route("/admin", get(|| async { Redirect::to("/admin/kiosks") }))
        .route("/admin/kiosks", get(admin::kiosks).post(admin::add_kiosk))
        .route("/admin/kiosks/{id}/{action}", post(admin::kiosk_action))
        .route("/admin/people", get(admin::people::list).post(admin::people::add))
        .route("/admin/people/{no}", get(admin::people::person).post(admin::people::change))
        .route(
            "/admin/files",
            get(admin::files::page)
                .post(admin::files::upload)
                .layer(axum::extract::DefaultBodyLimit::max(admin::files::MAX_UPLOAD)),
        )
        .route("/admin/templates/{file}", get(admin::files::template))
        .route("/admin/schedules", get(admin::schedules::page))
        .route("/admin/schedules.toml", get(admin::schedules::toml_file))
        .route(
            "/admin/people/{no}/photo",
            post(admin::people::photo).layer(axum::extract::DefaultBodyLimit::max(admin::people::MAX_PHOTO_UPLOAD)),
        )
        .route("/admin/photos/{name}", get(admin::people::photo_file))
        .route("/admin/units", get(admin::units::page).post(admin::units::add))
        .route("/admin/users", get(admin::users).post(admin::add_user))
        .route("/admin/users/{name}/password", post(admin::set_password))
        .route("/admin/users/{name}/unlock", post(admin::unlock))
}

/// Who is looking: the signed-in user, the session's CSRF token (for the
/// logout form) and the language they chose.
pub(super) struct Viewer {
    pub user: UserRow,
    pub csrf: String,
    pub lang: Language,
}

impl Viewer {
    pub fn zh(&self) -> bool {
        self.lang == Language::ZhCn
    }

    /// A word in the viewer's language.
    /// A glossary word as a heading (the kiosk's words: one word per thing).
    pub fn term(&self, t: crate::domain::glossary::Term) -> String {
        t.label(self.lang)
    }

    /// "1 次 11 分钟" as the kiosk writes it ("—" for none).
    pub fn times(&self, n: u32, minutes: u32) -> String {
        crate::domain::glossary::times_and_minutes(n, minutes, self.lang)
    }

    /// An exception's count as every page writes it: "—" for none (as
    /// [`Viewer::times`] does), so no column says "0" beside one that
    /// says "—".
    pub fn count(&self, n: u32) -> String {
        if n == 0 {
            "—".to_string()
        } else {
            n.to_string()
        }
    }

    pub fn w<'a>(&self, zh: &'a str, en: &'a str) -> &'a str {
        if self.zh() {
            zh
        } else {
            en
        }
    }
}

/// What a page handler answers: the page, or where to go instead.
pub(super) enum Seen {
    Page(Viewer),
    Login(Response),
}

const LANG_COOKIE: &str = "dc_lang";

/// The viewer of a request, or the redirect to the login page.
pub(super) async fn viewer(app: &App, headers: &HeaderMap) -> Result<Seen, StorageError> {
    let Some((user, csrf)) = api::session_of(app, headers).await? else {
        return Ok(Seen::Login(Redirect::to("/login").into_response()));
    };
    Ok(Seen::Page(Viewer { user, csrf, lang: lang_of(headers) }))
}

/// The language the viewer chose (the `dc_lang` cookie); Chinese by default.
fn lang_of(headers: &HeaderMap) -> Language {
    match api::cookie(headers, LANG_COOKIE) {
        Some("en") => Language::En,
        _ => Language::ZhCn,
    }
}

/// The CSRF refusal page for a signed-in user's form (the logout's too).
pub(crate) fn csrf_refused(headers: &HeaderMap, user: UserRow, csrf: String) -> Response {
    admin::refused(&Viewer { user, csrf, lang: lang_of(headers) })
}

/// The viewer of a page handler's request, or the handler returns the
/// login redirect (no session) or the failure page.
macro_rules! signed_in {
    ($app:expr, $headers:expr) => {
        match $crate::central::pages::viewer($app, $headers).await {
            Ok($crate::central::pages::Seen::Page(v)) => v,
            Ok($crate::central::pages::Seen::Login(r)) => return r,
            Err(e) => return $crate::central::pages::failed(e),
        }
    };
}

// The pages, declared after the macro they use.
mod admin;
pub(crate) mod findings;
mod kiosks;
mod overview;
mod person;
mod report;

pub(crate) use report::{draft, draft_file, issuer_of, Covers, Draft};

/// A storage failure on a page: logged, and said without its detail.
pub(super) fn failed(e: StorageError) -> Response {
    eprintln!("storage: {e}");
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        Html("<!doctype html><p>服务器数据库出错，请稍后再试 · The server's database failed; try again later</p>"),
    )
        .into_response()
}

/// A bad query (a date that is not one): the page says which parameter.
pub(super) fn bad_request(v: &Viewer, what: &str) -> Response {
    let body = layout(v, v.w("参数错误", "Bad request"), "", html! { p role="alert" { (what) } });
    (StatusCode::BAD_REQUEST, Html(body.into_string())).into_response()
}

/// `/lang/en?back=/overview`: sets the language and goes back (only to a
/// path on this server).
async fn set_lang(Path(lang): Path<String>, Query(q): Query<std::collections::HashMap<String, String>>) -> Response {
    let lang = if lang == "en" { "en" } else { "zh" };
    let back = q.get("back").filter(|b| safe_back(b));
    let mut r = Redirect::to(back.map_or("/overview", String::as_str)).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("{LANG_COOKIE}={lang}; Path=/; SameSite=Strict; Max-Age=31536000")) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

/// Whether `back` is one of our pages: a path under a known page, in
/// visible ASCII only (a tab or a backslash could make a browser read
/// `//host`, another site).
fn safe_back(b: &str) -> bool {
    const PAGES: [&str; 8] =
        ["/overview", "/report", "/kiosks", "/units/", "/people/", "/admin/", "/exceptions", "/findings"];
    b.bytes().all(|c| c.is_ascii_graphic() && c != b'\\')
        && !b.starts_with("//")
        && PAGES.iter().any(|p| b.starts_with(p))
}

/// The frame of every page: title, navigation, who is signed in, the
/// language switch and the logout form (with the session's CSRF token).
pub(super) fn layout(v: &Viewer, title: &str, here: &str, body: Markup) -> Markup {
    let mut nav = vec![
        ("/overview", v.w("总览", "Overview")),
        ("/report", v.w("期间报表", "Period report")),
        ("/kiosks", v.w("终端", "Kiosks")),
        ("/findings", v.w("暗访", "Findings")),
    ];
    if v.user.role == Role::Admin {
        nav.push(("/admin/kiosks", v.w("管理", "Admin")));
    }
    let role = match v.user.role {
        Role::Admin => v.w("管理员", "admin"),
        Role::Inspector => v.w("督查", "inspector"),
        Role::Bureau => v.w("组织部", "bureau"),
    };
    let (other, other_word) = if v.zh() { ("en", "English") } else { ("zh", "中文") };
    html! {
        (DOCTYPE)
        html lang=(if v.zh() { "zh-CN" } else { "en" }) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · " (v.w("考勤中心", "Attendance centre")) }
                style { (maud::PreEscaped(STYLE)) }
            }
            body {
                header {
                    strong.brand { span.product { "dutyclock" } " " (v.w("考勤中心", "Attendance centre")) }
                    nav {
                        @for (href, word) in nav {
                            @let current = href == here || (href.starts_with("/admin/") && here.starts_with("/admin/"));
                            a href=(href) aria-current=[current.then_some("page")] { (word) }
                        }
                    }
                    span.who { (v.user.name) " · " (role) }
                    a href={ "/lang/" (other) "?back=" (here) } { (other_word) }
                    form method="post" action="/logout" {
                        input type="hidden" name="csrf" value=(v.csrf);
                        button { (v.w("退出", "Sign out")) }
                    }
                }
                main {
                    h1 { (title) }
                    (body)
                }
            }
        }
    }
}

/// The sign-in page, in the pages' look: the product's name, the form,
/// and the refusal (`message`) when there is one. Chinese first: the
/// language cookie is read once signed in.
pub(super) fn login_markup(csrf: &str, message: &str) -> String {
    html! {
        (DOCTYPE)
        html lang="zh-CN" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "登录 · dutyclock 考勤中心" }
                style { (maud::PreEscaped(STYLE)) }
            }
            body.login {
                main {
                    form.stack.login method="post" action="/login" {
                        h1 { span.product { "dutyclock" } " 考勤中心" }
                        p.muted { "区考勤与作风督查 · Attendance centre" }
                        @if !message.is_empty() { p role="alert" { (message) } }
                        input type="hidden" name="csrf" value=(csrf);
                        label { "用户名 · User name" input name="username" autocomplete="username" required; }
                        label { "密码 · Password" input name="password" type="password" autocomplete="current-password" required; }
                        button.primary type="submit" { "登录 · Sign in" }
                    }
                }
            }
        }
    }
    .into_string()
}

/// How long ago `t` was, as a person says it where freshness matters:
/// "刚刚", "5 分钟前", "3 小时前", "2 天前".
pub(super) fn ago(v: &Viewer, now: crate::domain::time::Instant, t: crate::domain::time::Instant) -> String {
    let min = (now - t).max(0) / 60_000;
    match min {
        0 => v.w("刚刚", "just now").to_string(),
        m if m < 60 => format!("{m}{}", v.w(" 分钟前", " min ago")),
        m if m < 48 * 60 => format!("{}{}", m / 60, v.w(" 小时前", " h ago")),
        m => format!("{}{}", m / (24 * 60), v.w(" 天前", " days ago")),
    }
}

/// An instant as a person reads it, in the district's time, to the
/// minute: "2026-12-05 08:31".
pub(super) fn local_minute(t: crate::domain::time::Instant) -> String {
    crate::domain::time::instant_to_local(chrono_tz::Asia::Shanghai, t).format("%Y-%m-%d %H:%M").to_string()
}

/// A clock time as a person reads it: hours and minutes ("08:29"), the
/// seconds left to the records.
pub(super) fn clock_time(t: &str) -> &str {
    t.get(..5).filter(|_| t.len() == 8).unwrap_or(t)
}

/// Punch times as a person reads them ("08:29 12:01").
pub(super) fn clock_times(punches: &[String]) -> String {
    punches.iter().map(|p| clock_time(p)).collect::<Vec<_>>().join(" ")
}

/// A kind of exception in a stacked bar: its words and colour.
pub(super) struct BarKind {
    pub zh: &'static str,
    pub en: &'static str,
    pub colour: &'static str,
}

/// The day's exceptions, in the order the overview's bars stack them.
pub(super) const DAY_KINDS: [BarKind; 5] = [
    BarKind { zh: "迟到", en: "late", colour: "#d4a72c" },
    BarKind { zh: "早退", en: "early", colour: "#8250df" },
    BarKind { zh: "旷工（半天）", en: "absent (half days)", colour: "#cf222e" },
    BarKind { zh: "缺卡", en: "missing punches", colour: "#bc4c00" },
    BarKind { zh: "空岗", en: "off post", colour: "#0969da" },
];

/// The order of the bars: the largest first, or as given (a ranking's
/// order, so the chart and the table beside it agree).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum BarOrder {
    Largest,
    AsGiven,
}

/// One bar: its label, where it leads, and a value per kind.
pub(super) struct BarRow {
    pub label: String,
    pub href: Option<String>,
    pub values: Vec<u32>,
}

/// Rows as horizontal bars stacked by kind (plain HTML: no script, and
/// the legend is text the browser sets at the page's size), widths as
/// shares of the largest total, in `order`; rows with nothing are left
/// out, and `empty` is said when none is left.
pub(super) fn stacked_bars(
    v: &Viewer,
    caption: &str,
    empty: &str,
    kinds: &[BarKind],
    rows: Vec<BarRow>,
    order: BarOrder,
) -> Markup {
    let total = |r: &BarRow| r.values.iter().sum::<u32>();
    let mut rows: Vec<BarRow> = rows.into_iter().filter(|r| total(r) > 0).collect();
    if order == BarOrder::Largest {
        rows.sort_by(|a, b| total(b).cmp(&total(a)).then_with(|| a.label.cmp(&b.label)));
    }
    let top = rows.iter().map(total).max().unwrap_or(1).max(1);
    html! {
        figure.chart.bars {
            figcaption { (caption) }
            @if rows.is_empty() {
                p.muted { (empty) }
            } @else {
                p.legend { @for k in kinds { span { i style={ "background:" (k.colour) } {} (v.w(k.zh, k.en)) } } }
                @for r in &rows {
                    div.bar-row {
                        span.bar-label {
                            @if let Some(h) = &r.href { a href=(h) { (r.label) } } @else { (r.label) }
                        }
                        span.bar {
                            @for (k, n) in kinds.iter().zip(&r.values) {
                                @if *n > 0 {
                                    span.seg title={ (v.w(k.zh, k.en)) " " (n) }
                                        style={ "width:" (format!("{:.2}", f64::from(*n) * 100.0 / f64::from(top))) "%;background:" (k.colour) } {}
                                }
                            }
                        }
                        span.bar-total { (total(r)) }
                    }
                }
            }
        }
    }
}

/// The pages' style: plain, readable, prints well.
const STYLE: &str = "
body{font-family:'Noto Sans CJK SC','WenQuanYi Micro Hei',sans-serif;margin:0;color:#1f2329;background:#f4f6f8}
header{display:flex;gap:1.2em;align-items:center;padding:.6em 1.2em;background:#fff;border-bottom:1px solid #dee0e3}
header nav{display:flex;gap:1em;flex:1}
header nav a{color:#1f2329;text-decoration:none;padding:.2em .4em}
header nav a[aria-current]{border-bottom:3px solid #1f6feb;font-weight:bold}
header form{margin:0}
main{padding:1em 1.2em}
h1{font-size:1.4em;margin:.2em 0 .6em}
table{border-collapse:collapse;background:#fff;min-width:60%}
th,td{border:1px solid #dee0e3;padding:.35em .6em;text-align:right;white-space:nowrap}
th{background:#f0f2f5}
td.name,th.name{text-align:left}
tr.silent td{background:#fff4e5}
.bad{color:#cf222e;font-weight:bold}
.warn{color:#c35a00}
.ok{color:#1a7f37}
.muted{color:#646a73}
form.pick{display:flex;gap:.6em;align-items:center;margin:0 0 1em}
.files{margin:1em 0}
figure.chart{margin:1em 0;background:#fff;border:1px solid #dee0e3;padding:.4em;overflow-x:auto}
figure.chart svg{display:block;max-width:100%;height:auto}
figcaption{color:#646a73;margin:.2em 0 .4em}
.legend span{margin-right:1em;white-space:nowrap}
nav.tabs{display:flex;gap:1em;margin:0 0 1em}
nav.tabs a{color:#1f2329;text-decoration:none;padding:.2em .4em}
nav.tabs a[aria-current]{border-bottom:3px solid #1f6feb;font-weight:bold}
td.actions form{display:inline-block;margin-right:.4em}
td form.pick{margin:0}
button.danger{color:#fff;background:#cf222e;border:1px solid #a40e26;border-radius:4px;padding:.2em .8em}
form.stack{display:flex;flex-direction:column;gap:.6em;align-items:flex-start;background:#fff;border:1px solid #dee0e3;padding:1em;max-width:36em}
form.stack label{display:flex;flex-direction:column;gap:.2em}
form.stack textarea{width:30em}
code.token{font-size:1.2em;background:#fff;border:1px solid #dee0e3;padding:.4em .6em;user-select:all}
.legend i{display:inline-block;width:.9em;height:.9em;margin-right:.3em;vertical-align:-.1em;border:1px solid #dee0e3}
.files a{margin-right:1em}
body.login main{display:flex;justify-content:center;padding-top:12vh}
form.login{width:22em;max-width:90vw;gap:.8em;border-radius:8px;padding:1.6em}
form.login h1{margin:0;font-size:1.5em}
.product{color:#1f6feb}
form.login input{width:100%;box-sizing:border-box;padding:.45em;font-size:1em}
form.login label{width:100%}
button.primary{background:#1f6feb;color:#fff;border:1px solid #1a5fd0;border-radius:4px;padding:.5em 1.2em;font-size:1em;width:100%}
p[role=alert]{color:#cf222e}
section.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(8.5em,1fr));gap:.6em;margin:0 0 1em}
.card{background:#fff;border:1px solid #dee0e3;border-radius:6px;padding:.5em .8em}
.card .label{display:block;color:#646a73;font-size:.9em}
.card .value{display:block;font-size:1.6em;margin:.1em 0}
.card .delta{font-size:.8em;color:#646a73}
a.card.link{color:inherit;text-decoration:none;border-color:#b6cdf5}
a.card.link:hover{border-color:#1f6feb;box-shadow:0 1px 3px rgba(31,111,235,.25)}
a.card.link .label{color:#1f6feb}
td.nodata{text-align:center;color:#646a73}
tfoot th,tfoot td{background:#f0f2f5;font-weight:bold}
thead th{position:sticky;top:0;z-index:1}
th a.sort{color:inherit;text-decoration:none;display:block}
figure.bars{max-width:60em}
.bar-row{display:flex;align-items:center;gap:.6em;margin:.25em 0}
.bar-label{flex:0 0 9em;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.bar{flex:1;display:flex;height:1.1em;background:#f0f2f5}
.bar .seg{display:block;height:100%}
.bar-total{flex:0 0 3em;text-align:right}
th a.sort:hover{text-decoration:underline}
div.actions{display:flex;flex-wrap:wrap;gap:.6em;align-items:center;margin:0 0 1em}
div.actions form.pick,div.actions div.pick{margin:0;display:flex;gap:.6em;align-items:center;flex-wrap:wrap}
.spacer{flex:1}
a.button{display:inline-block;padding:.35em .9em;border:1px solid #c9cdd4;border-radius:4px;background:#fff;color:#1f2329;text-decoration:none;white-space:nowrap}
a.button.primary{background:#1f6feb;border-color:#1a5fd0;color:#fff}
details.options summary{cursor:pointer;color:#1f6feb}
details.options form{margin:.6em 0 0}
nav.crumbs{margin:0 0 .6em;color:#646a73}
nav.crumbs a{color:#1f6feb}
div.scroll{overflow-x:auto;max-width:100%}
i.nodata{background:linear-gradient(135deg,#fff 45%,#8c959f 45%,#8c959f 55%,#fff 55%)}
figure.chart.wide svg{min-width:44em}
.badge{display:inline-block;padding:0 .5em;border-radius:1em;font-size:.85em;border:1px solid currentColor}
fieldset.choices{border:1px solid #dee0e3;max-height:14em;overflow-y:auto;display:flex;flex-direction:column;gap:.2em;min-width:16em}
fieldset.choices label{flex-direction:row;gap:.3em}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.3em 1em;background:#fff;border:1px solid #dee0e3;padding:.8em 1em;margin:0 0 1em}
dl.facts dt{color:#646a73}
dl.facts dd{margin:0}
button{font:inherit;padding:.3em .9em;border:1px solid #c9cdd4;border-radius:4px;background:#fff;color:#1f2329;cursor:pointer}
button:hover{border-color:#1f6feb}
header form button{padding:.15em .6em}
input,select{font:inherit;max-width:100%}
details.glossary summary{cursor:pointer;color:#1f6feb;margin:.6em 0}
nav.units{display:flex;flex-wrap:wrap;gap:.4em;margin:0 0 1em}
nav.units a{padding:.2em .7em;border:1px solid #c9cdd4;border-radius:1em;background:#fff;color:#1f2329;text-decoration:none}
nav.units a[aria-current]{background:#1f6feb;color:#fff;border-color:#1a5fd0}
img.thumb{width:8em;height:6em;object-fit:cover;border:1px solid #dee0e3;border-radius:4px;vertical-align:middle}
div.photos{display:flex;flex-wrap:wrap;gap:.4em;margin:0 0 1em}
div.casework{display:flex;flex-direction:column;gap:.6em;margin:0 0 1em}
div.casework form.pick{flex-wrap:wrap;margin:0}
form.finding{max-width:100%;box-sizing:border-box}
form.finding input:not([type=checkbox]),form.finding select,form.finding textarea{width:100%;box-sizing:border-box}
form.finding label{width:100%}
@media (max-width:640px){
header{flex-wrap:wrap;gap:.4em .8em;padding:.5em .8em}
header .who{display:none}
header nav{order:3;flex-basis:100%;overflow-x:auto;white-space:nowrap}
nav.tabs{overflow-x:auto;white-space:nowrap}
table{display:block;overflow-x:auto;max-width:100%}
td:first-child{position:sticky;left:0;background:#fff;z-index:1}
th:first-child{position:sticky;left:0;z-index:2}
figure.chart.wide svg{min-width:1100px}
}
@media (max-width:480px){
.opt{display:none}
main{padding:.8em}
h1{font-size:1.2em}
form.pick{flex-wrap:wrap}
section.cards{grid-template-columns:repeat(3,1fr);gap:.4em}
.card{padding:.4em .5em}
.card .value{font-size:1.25em}
.card .delta{font-size:.7em}
.bar-label{flex-basis:6em}
table{min-width:0}
form.stack textarea{width:100%}
form.stack{max-width:100%;box-sizing:border-box}
}
";
