//! 单位: the district's units as a managed list, for admin accounts —
//! the tree (区 → 镇/街道 → 村/社区) with the kiosks serving each, and a
//! form to add one under a parent chosen from the list. Every other form
//! chooses units from this list (a kiosk's units are ticked, never typed),
//! so a typo cannot make a new unit.

use std::collections::HashMap;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;

use super::{csrf, forbidden, input_error, outcome, refused, Fields, Role};
use crate::central::admin;
use crate::central::api::{self, App};
use crate::central::auth;
use crate::central::pages::failed;
use crate::central::units::Tree;

/// `/admin/units`: the units as a tree, each with its kiosks, and the
/// form to add one.
pub(in crate::central::pages) async fn page(State(app): State<App>, headers: HeaderMap) -> Response {
    let v = admin_in!(&app, &headers);
    let (held, kiosks) = match tokio::join!(app.storage.units(), app.storage.kiosks(api::today())) {
        (Ok(h), Ok(k)) => (h, k),
        (Err(e), _) | (_, Err(e)) => return failed(e),
    };
    let tree = Tree::new(&held);
    let names = tree.in_order(held.iter().map(|u| u.name.clone()));
    let serving = |u: &str| -> String {
        let homes: Vec<&str> =
            kiosks.iter().filter(|k| !k.revoked && k.units.iter().any(|x| x == u)).map(|k| k.id.as_str()).collect();
        let doors: Vec<&str> =
            kiosks.iter().filter(|k| !k.revoked && k.doors.iter().any(|x| x == u)).map(|k| k.id.as_str()).collect();
        let mut s = homes.join("、");
        if !doors.is_empty() {
            s.push_str(&format!("{}{}", v.w("；门岗 ", "; doors "), doors.join("、")));
        }
        s
    };
    let body = html! {
        @if names.is_empty() {
            p.muted { (v.w("还没有单位。先添加区级单位，再在其下添加镇（街道）和村（社区）。", "No units yet. Add the district's units, then the towns and villages under them.")) }
        } @else {
            div.scroll { table {
                thead { tr {
                    th.name scope="col" { (v.w("单位", "Unit")) }
                    th.name scope="col" { (v.w("上级单位", "Parent")) }
                    th scope="col" { (v.w("下级单位", "Units under it")) }
                    th.name scope="col" { (v.w("终端", "Kiosks")) }
                } }
                tbody { @for (shown, u) in &names {
                    tr {
                        td.name { (shown) }
                        td.name { (tree.parent(u).unwrap_or("—")) }
                        td { (tree.children(u).len()) }
                        td.name { @let s = serving(u); @if s.is_empty() { span.muted { (v.w("无", "none")) } } @else { (s) } }
                    }
                } }
            } }
        }
        h2 { (v.w("添加单位", "Add a unit")) }
        form.stack method="post" action="/admin/units" {
            (csrf(&v))
            label { (v.w("名称", "Name")) " " input name="name" required maxlength="64"; }
            label {
                (v.w("上级单位", "Parent"))
                select name="parent" {
                    option value="" { (v.w("（无：区级单位）", "(none: a district unit)")) }
                    @for (shown, u) in &names { option value=(u) { (shown) } }
                }
            }
            button { (v.w("添加", "Add")) }
        }
    };
    super::page(&v, v.w("单位", "Units"), "/admin/units", body)
}

/// `POST /admin/units`: adds a unit (name, parent chosen from the list);
/// a known name or an unknown parent is said and changes nothing.
pub(in crate::central::pages) async fn add(State(app): State<App>, headers: HeaderMap, body: Fields) -> Response {
    let (v, f) = admin_form!(&app, &headers, body);
    let name = f.get("name").map_or("", |s| s.trim());
    let parent = f.get("parent").map(|p| p.trim()).filter(|p| !p.is_empty());
    let r = admin::add_unit(&*app.storage, &v.user.name, name, parent, api::now()).await;
    outcome(&v, "/admin/units", r.map(|()| Redirect::to("/admin/units").into_response()))
}
