//! 管理: the admin's pages for kiosks (register, new token, revoke) and
//! people's accounts (add, new password, unlock). Only an admin account
//! sees them; a bureau account gets a 403 page. Every form is a POST with
//! the session's CSRF token, refused with a readable page without it; the
//! changes that stop a kiosk (a new token, a revoke) are asked again on a
//! page of their own, so they need no script. The work itself is
//! `central::admin`'s, shared with the command line (and its audit log).

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use maud::{html, Markup};

use super::{failed, layout, Viewer};
use crate::central::admin::{self, AdminError, MIN_PASSWORD};
use crate::central::api::{self, App};
use crate::central::auth;
use crate::central::storage::Role;

/// A POST's body, read as a form only after the session, the role and
/// (from the form) the CSRF token were checked: without a session or as a
/// bureau account the body is never parsed.
type Fields = axum::body::Bytes;

/// The viewer if they are an admin; otherwise the handler returns the
/// login redirect (no session) or the 403 page (a bureau account).
macro_rules! admin_in {
    ($app:expr, $headers:expr) => {{
        let v = signed_in!($app, $headers);
        if v.user.role != Role::Admin {
            return forbidden(&v);
        }
        v
    }};
}

/// The viewer and the fields of a POST if the form carries the session's
/// CSRF token.
macro_rules! admin_form {
    ($app:expr, $headers:expr, $body:expr) => {{
        let v = admin_in!($app, $headers);
        let f: HashMap<String, String> = match serde_urlencoded::from_bytes(&$body) {
            Ok(f) => f,
            Err(e) => return input_error(&v, "/admin/kiosks", &format!("not a form: {e}")),
        };
        if !f.get("csrf").is_some_and(|c| auth::same(c, &v.csrf)) {
            return refused(&v);
        }
        (v, f)
    }};
}

pub(super) mod files;
pub(super) mod people;
pub(super) mod schedules;
pub(super) mod units;

fn forbidden(v: &Viewer) -> Response {
    let body = html! {
        p role="alert" { (v.w("这些页面只对管理员账户开放。", "These pages are for admin accounts only.")) }
        p { a href="/overview" { (v.w("回到总览", "Back to the overview")) } }
    };
    (StatusCode::FORBIDDEN, Html(layout(v, v.w("需要管理员权限", "Admins only"), "", body).into_string()))
        .into_response()
}

/// The CSRF refusal as a page a person can act on.
pub(super) fn refused(v: &Viewer) -> Response {
    let body = html! {
        p role="alert" {
            (v.w("这个表单已失效：它带的 CSRF 令牌不属于当前会话（页面打开太久，或来自别处）。没有做任何更改。",
                 "This form has expired: the form's CSRF token is not this session's (the page was open too long, or came from elsewhere). Nothing was changed."))
        }
        p { (v.w("请回到上一页，刷新后再试。", "Go back, reload the page and try again.")) }
    };
    (StatusCode::FORBIDDEN, Html(layout(v, v.w("表单已失效", "Form refused"), "", body).into_string())).into_response()
}

/// A refusal the admin can fix, said on the page it came from.
fn input_error(v: &Viewer, back: &str, message: &str) -> Response {
    let body = html! {
        p role="alert" { (message) }
        p { a href=(back) { (v.w("返回", "Back")) } }
    };
    (StatusCode::BAD_REQUEST, Html(layout(v, v.w("未能保存", "Not saved"), back, body).into_string())).into_response()
}

fn outcome(v: &Viewer, back: &str, r: Result<Response, AdminError>) -> Response {
    match r {
        Ok(page) => page,
        Err(AdminError::Input(m)) => input_error(v, back, &m),
        Err(AdminError::Storage(e)) => failed(e),
    }
}

fn csrf(v: &Viewer) -> Markup {
    html! { input type="hidden" name="csrf" value=(v.csrf); }
}

/// The two admin pages' tabs.
fn tabs(v: &Viewer, here: &str) -> Markup {
    html! {
        nav.tabs {
            @for (href, word) in [("/admin/kiosks", v.w("终端", "Kiosks")), ("/admin/people", v.w("人员", "People")), ("/admin/schedules", v.w("作息", "Schedules")), ("/admin/units", v.w("单位", "Units")), ("/admin/files", v.w("导入", "Import")), ("/admin/users", v.w("账户", "Accounts"))] {
                a href=(href) aria-current=[(href == here).then_some("page")] { (word) }
            }
        }
    }
}

/// A table's header row of left-aligned columns.
fn head(columns: &[&str]) -> Markup {
    html! { thead { tr { @for c in columns { th.name scope="col" { (c) } } } } }
}

fn page(v: &Viewer, title: &str, here: &str, body: Markup) -> Response {
    let body = html! { (tabs(v, here)) (body) };
    Html(layout(v, title, here, body).into_string()).into_response()
}

pub(super) async fn kiosks(State(app): State<App>, headers: HeaderMap) -> Response {
    let v = admin_in!(&app, &headers);
    let list = match app.storage.kiosks(api::today()).await {
        Ok(k) => k,
        Err(e) => return failed(e),
    };
    let conflicts = match app.storage.conflicts(None).await {
        Ok(c) => c,
        Err(e) => return failed(e),
    };
    // The units to choose from, each under its parent (as shown, name).
    let units = match app.storage.units().await {
        Ok(held) => crate::central::units::Tree::new(&held).in_order(held.into_iter().map(|u| u.name)),
        Err(e) => return failed(e),
    };
    let body = html! {
        table {
            (head(&[
                v.w("终端", "Kiosk"),
                v.w("服务单位", "Units"),
                v.w("状态", "State"),
                v.w("最近上报", "Last seen"),
                v.w("操作", "Actions"),
            ]))
            tbody {
                @for k in &list {
                    tr {
                        td.name { (k.id) @if let Some(n) = &k.name { " " span.muted { (n) } } }
                        td.name {
                            (k.units.join("、"))
                            @if !k.doors.is_empty() { " " span.muted { (v.w("门岗：", "door of: ")) (k.doors.join("、")) } }
                        }
                        @if k.revoked { td.name.muted { (v.w("已停用", "revoked")) } } @else { td.name.ok { (v.w("在用", "in service")) } }
                        td.name {
                            @match k.last_seen {
                                Some(t) => span title=(super::local_minute(t)) { (super::ago(&v, api::now(), t)) },
                                None => span.muted { (v.w("从未联系", "never")) },
                            }
                        }
                        td.name.actions {
                            form method="post" action={ "/admin/kiosks/" (super::overview::urlencode(&k.id)) "/token" } {
                                (csrf(&v))
                                button { @if k.revoked { (v.w("恢复（新令牌）", "Restore (new token)")) } @else { (v.w("新令牌", "New token")) } }
                            }
                            @if !k.revoked {
                                form method="post" action={ "/admin/kiosks/" (super::overview::urlencode(&k.id)) "/revoke" } {
                                    (csrf(&v))
                                    button.danger { (v.w("停用", "Revoke")) }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if !conflicts.is_empty() {
            h2 { (v.w("发卡冲突（以中心分配为准）", "Enrolment conflicts (central's assignment won)")) }
            table {
                (head(&[
                    v.w("终端", "Kiosk"),
                    v.w("卡号", "Card"),
                    v.w("终端登记给", "Enrolled to"),
                    v.w("登记人", "By"),
                    v.w("中心分配给", "Held by"),
                    v.w("时间", "When"),
                ]))
                tbody {
                    @for c in &conflicts {
                        tr {
                            td.name { (c.kiosk_id) }
                            td.name { (c.card) }
                            td.name { (c.enrolled) }
                            td.name { (c.enrolled_by) }
                            td.name { (c.held_by) }
                            td.name { (super::local_minute(c.at)) }
                        }
                    }
                }
            }
        }
        h2 { (v.w("登记终端", "Register a kiosk")) }
        form.stack method="post" action="/admin/kiosks" {
            (csrf(&v))
            label { (v.w("终端编号", "Kiosk id")) " " input name="id" required maxlength="64" placeholder="hall-4"; }
            label { (v.w("显示名称（如 正门、侧门）", "Display name (e.g. front door)")) " " input name="name" maxlength="64"; }
            @if units.is_empty() {
                p role="alert" { (v.w("还没有单位：先在“单位”页添加。", "No units yet: add them on the Units page first.")) " " a href="/admin/units" { (v.w("单位", "Units")) } }
            }
            fieldset.choices {
                legend { (v.w("本终端为其主终端的单位", "Units it is the home of")) }
                @for u in &units { label { input type="checkbox" name="units" value=(u.1); " " (u.0) } }
            }
            fieldset.choices {
                legend { (v.w("仅作门岗的单位（其主终端在别处）", "Units it is only a door of (homed at another kiosk)")) }
                @for u in &units { label { input type="checkbox" name="doors" value=(u.1); " " (u.0) } }
            }
            p.muted { (v.w("单位从“单位”页的清单中选择；清单中没有的先去添加。", "Units are chosen from the list on the Units page; add a missing one there first.")) }
            button { (v.w("登记并生成令牌", "Register and make its token")) }
        }
    };
    page(&v, v.w("终端管理", "Kiosks"), "/admin/kiosks", body)
}

/// A kiosk's token, shown once, with where it goes.
fn token_page(v: &Viewer, id: &str, token: &str) -> Response {
    let body = html! {
        p role="status" { (v.w("终端 ", "Kiosk ")) strong { (id) } (v.w(" 的令牌如下，只显示这一次：", "'s token follows; it is shown only this once:")) }
        p { code.token { (token) } }
        p.muted {
            (v.w("把它写入终端配置中 [sync] token_file 所指的文件（例如 /etc/dutyclock/token，只许属主读取）。旧令牌已不能使用。",
                 "Write it into the file the kiosk's [sync] token_file names (e.g. /etc/dutyclock/token, readable by its owner only). Any old token no longer works."))
        }
        p { a href="/admin/kiosks" { (v.w("回到终端管理", "Back to the kiosks")) } }
    };
    let mut r = page(v, v.w("终端令牌", "Kiosk token"), "/admin/kiosks", body);
    // Shown once: kept in no cache, and no history entry to come back to.
    r.headers_mut().insert(axum::http::header::CACHE_CONTROL, axum::http::HeaderValue::from_static("no-store"));
    r
}

pub(super) async fn add_kiosk(State(app): State<App>, headers: HeaderMap, body: Fields) -> Response {
    let (v, f) = admin_form!(&app, &headers, body);
    let id = f.get("id").map_or("", |s| s.trim());
    // The ticked units (a field a box): each must be one of the district's.
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let list = |field: &str| -> Vec<String> {
        pairs.iter().filter(|(k, _)| k == field).map(|(_, u)| u.trim().to_string()).collect()
    };
    let (units, doors) = (list("units"), list("doors"));
    let held = match app.storage.units().await {
        Ok(h) => h,
        Err(e) => return failed(e),
    };
    if let Some(u) = units.iter().chain(&doors).find(|u| !held.iter().any(|h| &h.name == *u)) {
        let shown: String = u.chars().take(64).collect();
        let m = format!(
            "{} {shown:?} {}",
            v.w("单位", "unit"),
            v.w(
                "不在单位清单中：先在“单位”页添加。",
                "is not one of the district's units: add it on the Units page first."
            )
        );
        return input_error(&v, "/admin/kiosks", &m);
    }
    let name = f.get("name").map(|n| n.trim()).filter(|n| !n.is_empty());
    let places = crate::central::storage::Places { units: &units, doors: &doors, name };
    let r = admin::add_kiosk(&*app.storage, &v.user.name, id, &places, api::now()).await;
    outcome(&v, "/admin/kiosks", r.map(|token| token_page(&v, id, &token)))
}

/// Asks again before a change that stops a kiosk until it is set up anew.
fn confirm(v: &Viewer, action: &str, question: &str, yes: &str) -> Response {
    let body = html! {
        p role="alert" { (question) }
        form.pick method="post" action=(action) {
            (csrf(v))
            input type="hidden" name="confirm" value="yes";
            button.danger { (yes) }
            a href="/admin/kiosks" { (v.w("取消", "Cancel")) }
        }
    };
    page(v, v.w("请确认", "Please confirm"), "/admin/kiosks", body)
}

/// `/admin/kiosks/{id}/token` (a new token; a revoked kiosk comes back)
/// and `/admin/kiosks/{id}/revoke`: asked again first, since both stop the
/// kiosk's uploads until it is set up anew.
pub(super) async fn kiosk_action(
    State(app): State<App>,
    headers: HeaderMap,
    Path((id, action)): Path<(String, String)>,
    body: Fields,
) -> Response {
    let (v, f) = admin_form!(&app, &headers, body);
    let rekey = match action.as_str() {
        "token" => true,
        "revoke" => false,
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    if f.get("confirm").map(String::as_str) != Some("yes") {
        let path = format!("/admin/kiosks/{}/{action}", super::overview::urlencode(&id));
        let (question, yes) = match (rekey, v.zh()) {
            (true, true) => (format!("给终端 {id} 换一个新令牌？旧令牌立即失效，终端在换上新令牌之前无法上报。"), "确认换令牌"),
            (true, false) => (
                format!("Give kiosk {id} a new token? The old one stops working at once; the kiosk cannot sync until it has the new one."),
                "Yes, a new token",
            ),
            (false, true) => (format!("停用终端 {id}？它的上报将被拒绝（401），直到给它新令牌。已收到的数据保留。"), "确认停用"),
            (false, false) => (
                format!("Revoke kiosk {id}? Its uploads get 401 until it is given a new token. What it sent is kept."),
                "Yes, revoke",
            ),
        };
        return confirm(&v, &path, &question, yes);
    }
    let (who, now) = (&v.user.name, api::now());
    let r = if rekey {
        admin::rekey_kiosk(&*app.storage, who, &id, now).await.map(|token| token_page(&v, &id, &token))
    } else {
        admin::revoke_kiosk(&*app.storage, who, &id, now).await.map(|()| Redirect::to("/admin/kiosks").into_response())
    };
    outcome(&v, "/admin/kiosks", r)
}

pub(super) async fn users(State(app): State<App>, headers: HeaderMap) -> Response {
    let v = admin_in!(&app, &headers);
    let list = match app.storage.users().await {
        Ok(u) => u,
        Err(e) => return failed(e),
    };
    let now = api::now();
    let role = |r: Role| match r {
        Role::Admin => v.w("管理员", "admin"),
        Role::Bureau => v.w("组织部（只读）", "bureau (reads)"),
        Role::Inspector => v.w("督查（暗访记录）", "inspector (records findings)"),
    };
    let body = html! {
        table {
            (head(&[
                v.w("账户", "Account"),
                v.w("角色", "Role"),
                v.w("状态", "State"),
                v.w("新密码", "New password"),
                v.w("解锁", "Unlock"),
            ]))
            tbody {
                @for u in &list {
                    @let path = super::overview::urlencode(&u.name);
                    tr {
                        td.name { (u.name) }
                        td.name { (role(u.role)) }
                        @match u.locked_until.filter(|t| *t > now) {
                            Some(t) => td.name.bad { (v.w("已锁定至 ", "locked until ")) (super::local_minute(t)) },
                            None => td.name { @if u.failures > 0 { (v.w("连续输错 ", "wrong passwords: ")) (u.failures) } @else { "—" } },
                        }
                        td.name {
                            form.pick method="post" action={ "/admin/users/" (path) "/password" } {
                                (csrf(&v))
                                input type="password" name="password" autocomplete="new-password" minlength=(MIN_PASSWORD) required aria-label=(v.w("新密码", "New password"));
                                button { (v.w("设置", "Set")) }
                            }
                        }
                        td.name {
                            @if u.failures > 0 || u.locked_until.is_some_and(|t| t > now) {
                                form method="post" action={ "/admin/users/" (path) "/unlock" } {
                                    (csrf(&v))
                                    button { (v.w("解锁", "Unlock")) }
                                }
                            }
                        }
                    }
                }
            }
        }
        p.muted { (v.w("设置新密码会解锁该账户，并结束它的所有登录和脚本令牌。", "A new password unlocks the account and ends all its sessions and script tokens.")) }
        h2 { (v.w("新建账户", "Add an account")) }
        form.stack method="post" action="/admin/users" {
            (csrf(&v))
            label { (v.w("账户名", "Name")) " " input name="name" required maxlength="64" autocomplete="off"; }
            label {
                (v.w("角色", "Role")) " "
                select name="role" {
                    option value="bureau" { (role(Role::Bureau)) }
                    option value="admin" { (role(Role::Admin)) }
                    option value="inspector" { (role(Role::Inspector)) }
                }
            }
            label { (v.w("密码（至少 8 位）", "Password (at least 8 characters)")) " " input type="password" name="password" autocomplete="new-password" minlength=(MIN_PASSWORD) required; }
            button { (v.w("新建", "Add")) }
        }
    };
    page(&v, v.w("账户管理", "Accounts"), "/admin/users", body)
}

pub(super) async fn add_user(State(app): State<App>, headers: HeaderMap, body: Fields) -> Response {
    let (v, f) = admin_form!(&app, &headers, body);
    let field = |k: &str| f.get(k).map_or("", String::as_str);
    let Some(role) = Role::parse(field("role")) else {
        return input_error(&v, "/admin/users", &format!("role {:?}: bureau, admin or inspector", field("role")));
    };
    let r =
        admin::add_user(&*app.storage, &v.user.name, field("name").trim(), role, field("password"), api::now()).await;
    outcome(&v, "/admin/users", r.map(|()| Redirect::to("/admin/users").into_response()))
}

pub(super) async fn set_password(
    State(app): State<App>,
    headers: HeaderMap,
    Path(name): Path<String>,
    body: Fields,
) -> Response {
    let (v, f) = admin_form!(&app, &headers, body);
    let password = f.get("password").map_or("", String::as_str);
    let r = admin::set_password(&*app.storage, &v.user.name, &name, password, api::now()).await;
    // Their own password: this session ended with the others.
    let to = if name == v.user.name { "/login" } else { "/admin/users" };
    outcome(&v, "/admin/users", r.map(|()| Redirect::to(to).into_response()))
}

pub(super) async fn unlock(
    State(app): State<App>,
    headers: HeaderMap,
    Path(name): Path<String>,
    body: Fields,
) -> Response {
    let (v, _) = admin_form!(&app, &headers, body);
    let r = admin::unlock(&*app.storage, &v.user.name, &name, api::now()).await;
    outcome(&v, "/admin/users", r.map(|()| Redirect::to("/admin/users").into_response()))
}
