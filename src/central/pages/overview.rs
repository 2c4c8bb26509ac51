//! 总览 (a date, a row per unit) and a unit's day (its people), with the
//! overview's CSV and XLSX: the same rows as the page.

use crate::domain::glossary::Term;
use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Response};
use chrono::{Datelike, NaiveDate};
use maud::html;

use super::{bad_request, failed, layout, Viewer};
use crate::central::api::{self, App};
use crate::central::charts::{self, Cell, DayKind};
use crate::central::overview::{assemble, roll_up, KeyFigures, UnitDay};
use crate::central::storage::{DayException, PersonDay, StorageError};
use crate::central::units::Tree;
use crate::domain::summary::DayStatus;

type Q = Query<HashMap<String, String>>;

/// The date asked for, or the newest day the kiosks have closed: a day's
/// summaries arrive when the kiosks close it, at their `day_starts_at`
/// (04:00 by default) the next morning, so before 06:00 in the district
/// the default is the day before yesterday, after it yesterday.
fn date_of(v: &Viewer, q: &HashMap<String, String>) -> Result<NaiveDate, String> {
    match q.get("date") {
        None => {
            let now = chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai);
            let back = if chrono::Timelike::hour(&now) < 6 { 2 } else { 1 };
            Ok(now.date_naive() - chrono::Duration::days(back))
        }
        Some(d) => match d.parse::<NaiveDate>() {
            // Dates people look at: from 2000 to tomorrow (no arithmetic
            // on the calendar's ends).
            Ok(date) if date.year() >= 2000 && date <= api::today() + chrono::Duration::days(1) => Ok(date),
            _ => Err(format!(
                "date: {d:?} {}",
                v.w("不是 2000 年至今的日期（YYYY-MM-DD）", "is not a date from 2000 to today (YYYY-MM-DD)")
            )),
        },
    }
}

/// The viewer and the date asked for; or the handler returns the login
/// redirect, the failure page, or the bad-date page.
macro_rules! signed_in_on {
    ($app:expr, $headers:expr, $q:expr) => {{
        let v = signed_in!($app, $headers);
        match date_of(&v, $q) {
            Ok(d) => (v, d),
            Err(m) => return bad_request(&v, &m),
        }
    }};
}

/// The overview's rows for `date` at the level under `under` (the top
/// units when `None`; see `central::units`).
async fn rows(
    app: &App,
    date: NaiveDate,
    tree: &Tree,
    under: Option<&str>,
) -> Result<Vec<UnitDay>, crate::central::storage::StorageError> {
    let day = app.storage.day_units(date).await?;
    // The kiosks as they are (no day counts: the fleet's page reads every
    // kiosk's dates for those, 400 kiosks' quarter twice a view here).
    let kiosks: Vec<(String, Vec<String>)> = app
        .storage
        .kiosk_rows()
        .await?
        .into_iter()
        .filter(|k| !k.revoked && k.created_at <= api::end_of(date))
        .map(|k| (k.id, k.units))
        .collect();
    let mut units = assemble(day.units, &day.sent, &kiosks);
    // A unit central holds that no kiosk serves still has its row (no
    // data, no kiosk), so a unit set up without its kiosk is seen; a
    // parent is there through its branch.
    let seen: std::collections::HashSet<String> = units.iter().map(|u| u.unit.clone()).collect();
    for u in tree.units().filter(|u| !seen.contains(*u) && tree.children(u).is_empty()) {
        units.push(UnitDay { unit: u.to_string(), ..UnitDay::default() });
    }
    Ok(roll_up(&units, tree, under))
}

/// The units' tree and the level a query asks for (`under=UNIT`, one of
/// the units central holds); `Err` names the parameter.
async fn level_of(
    app: &App,
    q: &HashMap<String, String>,
) -> Result<Result<(Tree, Option<String>), String>, StorageError> {
    let held = app.storage.units().await?;
    let tree = Tree::new(&held);
    let under = match q.get("under").filter(|u| !u.is_empty()) {
        None => None,
        Some(u) if held.iter().any(|h| &h.name == u) => Some(u.clone()),
        Some(u) => {
            let shown: String = u.chars().take(64).collect();
            return Ok(Err(format!("under: {shown:?} is not one of the district's units")));
        }
    };
    Ok(Ok((tree, under)))
}

/// The report's query for the month of `date`: this month (so far) when
/// it is the current month, else that whole month as a range (the
/// overview opens on yesterday, which on the 1st is last month's).
fn month_query(date: NaiveDate) -> String {
    let today = api::today();
    let (first, last) = month_of(date);
    if first >= month_of(today).0 {
        return "period=this-month".to_string();
    }
    format!("period=range&from={first}&to={last}")
}

/// The first and last day of `date`'s month.
fn month_of(date: NaiveDate) -> (NaiveDate, NaiveDate) {
    let first = date.with_day(1).unwrap_or(date);
    (first, first.checked_add_months(chrono::Months::new(1)).and_then(|d| d.pred_opt()).unwrap_or(date))
}

/// "12月" / "December" for the month links.
fn month_word(v: &Viewer, date: NaiveDate) -> String {
    if v.zh() {
        format!("{}月", date.month())
    } else {
        date.format("%B").to_string()
    }
}

/// The path a page of the level under `under` adds to its links.
fn under_param(under: Option<&str>) -> String {
    under.map_or(String::new(), |u| format!("&under={}", urlencode(u)))
}

/// The overview's columns, in the viewer's language.
fn columns(v: &Viewer) -> [&'static str; 12] {
    if v.zh() {
        [
            "单位",
            "应到",
            "实到",
            "迟到人次",
            "早退人次",
            "旷工（半天）",
            "空岗人次",
            "缺卡次数",
            "请假人数",
            "公出人数",
            "查岗不在岗",
            "未上报终端",
        ]
    } else {
        [
            "Unit",
            "Expected",
            "Present",
            "Late",
            "Early",
            "Absent (half days)",
            "Off post",
            "Missing punches",
            "On leave",
            "On duty",
            "Spot-check absences",
            "Kiosks not sent",
        ]
    }
}

/// A row of the exports: a unit no kiosk reported has empty figures and
/// says 无数据 (never zeros), as the page does.
fn cells(v: &Viewer, r: &UnitDay) -> [String; 12] {
    let n = |x: u32| if r.reported { x.to_string() } else { String::new() };
    let partly = if r.reported && r.units_without_data > 0 {
        format!("{}{}", r.units_without_data, v.w(" 个单位无数据；", " units without data; "))
    } else {
        String::new()
    };
    let sent = partly
        + &match (r.reported, r.silent_kiosks.is_empty()) {
            (true, true) => v.w("已上报", "sent").to_string(),
            (true, false) => format!("{}{}", v.w("未上报：", "not sent: "), r.silent_kiosks.join(" ")),
            (false, true) => v.w("无数据；未配置终端", "no data; no kiosk").to_string(),
            (false, false) => {
                format!("{}{}", v.w("无数据；未上报：", "no data; not sent: "), r.silent_kiosks.join(" "))
            }
        };
    [
        r.unit.clone(),
        n(r.expected),
        n(r.present),
        n(r.late_count),
        n(r.early_count),
        n(r.absent_sessions),
        n(r.off_post_count),
        n(r.missing_punches),
        n(r.leave),
        n(r.duty),
        n(r.spot_check_absences),
        sent,
    ]
}

/// The day's key figures as cards, each with its change against the same
/// weekday a week before ("—" where that day has no data).
fn cards(
    v: &Viewer,
    now: &KeyFigures,
    before: Option<&KeyFigures>,
    link: impl Fn(usize) -> Option<String>,
) -> maud::Markup {
    // (label, value shown, value compared, a rise is bad); the rate is
    // compared in per mille and said in percentage points.
    type Value = fn(&KeyFigures) -> Option<i64>;
    let figures: [(&str, String, Value, bool); 9] = [
        (v.w("应到", "Expected"), now.expected.to_string(), |k| Some(i64::from(k.expected)), false),
        (v.w("实到", "Present"), now.present.to_string(), |k| Some(i64::from(k.present)), false),
        (
            v.w("按时到岗率", "On time"),
            now.on_time_permille().map_or("—".to_string(), |p| format!("{:.1}%", f64::from(p) / 10.0)),
            |k| k.on_time_permille().map(i64::from),
            false,
        ),
        (v.w("迟到", "Late"), now.late_count.to_string(), |k| Some(i64::from(k.late_count)), true),
        (v.w("早退", "Early"), now.early_count.to_string(), |k| Some(i64::from(k.early_count)), true),
        (
            v.w("旷工（半天）", "Absent (half days)"),
            now.absent_sessions.to_string(),
            |k| Some(i64::from(k.absent_sessions)),
            true,
        ),
        (v.w("缺卡", "Missing punches"), now.missing_punches.to_string(), |k| Some(i64::from(k.missing_punches)), true),
        (v.w("空岗", "Off post"), now.off_post_count.to_string(), |k| Some(i64::from(k.off_post_count)), true),
        (
            v.w("未上报的终端", "Kiosks not sent"),
            now.silent_kiosks.to_string(),
            |k| Some(i64::from(k.silent_kiosks)),
            true,
        ),
    ];
    html! {
        section.cards aria-label=(v.w("关键数字", "Key figures")) {
            @for (i, (label, shown, value, rise_bad)) in figures.into_iter().enumerate() {
                @let delta = before.and_then(|b| Some(value(now)? - value(b)?));
                @let inner = html! {
                    span.label { (label) }
                    strong.value { (shown) }
                    @if before.is_some() { span.delta {
                        (v.w("较上周同日 ", "vs week ago "))
                        @match delta {
                            None => "—",
                            Some(0) => "±0",
                            Some(d) => span class=(if (d > 0) == rise_bad { "bad" } else { "ok" }) {
                                @if shown.ends_with('%') {
                                    (format!("{:+.1}", d as f64 / 10.0)) (v.w(" 个百分点", " pt"))
                                } @else {
                                    (format!("{d:+}"))
                                }
                            },
                        }
                    } }
                };
                @match link(i) {
                    Some(href) => a.card.link href=(href) { (inner) },
                    None => div.card { (inner) },
                }
            }
        }
    }
}

/// The overview's sort keys, in the columns' order (the pages run no
/// script: a heading is a link that sorts on the server).
const SORT_KEYS: [&str; 12] = [
    "unit", "expected", "present", "late", "early", "absent", "off_post", "missing", "leave", "duty", "spot", "silent",
];

/// A unit's value in sort column `i` (the unit's name sorts apart).
fn sort_value(u: &UnitDay, i: usize) -> u32 {
    match i {
        1 => u.expected,
        2 => u.present,
        3 => u.late_count,
        4 => u.early_count,
        5 => u.absent_sessions,
        6 => u.off_post_count,
        7 => u.missing_punches,
        8 => u.leave,
        9 => u.duty,
        10 => u.spot_check_absences,
        _ => u.silent_kiosks.len() as u32,
    }
}

/// `sort=KEY&order=asc|desc`: the column and the direction (the unit's
/// name, ascending, by default; a number column descending first, the
/// worst at the top). `Err` names the parameter.
fn sort_of(q: &HashMap<String, String>) -> Result<(usize, bool), String> {
    let col = match q.get("sort").map(String::as_str) {
        None | Some("") => 0,
        Some(k) => SORT_KEYS
            .iter()
            .position(|x| *x == k)
            .ok_or_else(|| format!("sort: {k:?} is not one of {}", SORT_KEYS.join(", ")))?,
    };
    let desc = match q.get("order").map(String::as_str) {
        None | Some("") => col != 0,
        Some("desc") => true,
        Some("asc") => false,
        Some(o) => return Err(format!("order: {o:?} is not asc or desc")),
    };
    Ok((col, desc))
}

/// Sorts the rows by column `col`; units without data always last, ties
/// by name.
fn sort_rows(units: &mut [UnitDay], col: usize, desc: bool) {
    units.sort_by(|a, b| {
        let by_col = if col == 0 { a.unit.cmp(&b.unit) } else { sort_value(a, col).cmp(&sort_value(b, col)) };
        let by_col = if desc { by_col.reverse() } else { by_col };
        b.reported.cmp(&a.reported).then(by_col).then_with(|| a.unit.cmp(&b.unit))
    });
}

/// The units by the day's exceptions, as bars stacked by kind, the
/// worst first.
fn exception_bars(v: &Viewer, units: &[UnitDay]) -> maud::Markup {
    let rows = units
        .iter()
        .filter(|u| u.reported)
        .map(|u| super::BarRow {
            label: u.unit.clone(),
            href: None,
            values: [u.late_count, u.early_count, u.absent_sessions, u.missing_punches, u.off_post_count].to_vec(),
        })
        .collect();
    super::stacked_bars(
        v,
        v.w("各单位当日异常（人次，按多少排列）", "Units by the day's exceptions (times, most first)"),
        v.w("这一天没有任何异常。", "No exceptions this day."),
        &super::DAY_KINDS,
        rows,
        super::BarOrder::Largest,
    )
}

pub(super) async fn page(axum::extract::State(app): State<App>, headers: HeaderMap, Query(q): Q) -> Response {
    let (v, date) = signed_in_on!(&app, &headers, &q);
    let (sort, desc) = match sort_of(&q) {
        Ok(s) => s,
        Err(m) => return bad_request(&v, &m),
    };
    let (tree, under) = match level_of(&app, &q).await {
        Ok(Ok(l)) => l,
        Ok(Err(m)) => return bad_request(&v, &m),
        Err(e) => return failed(e),
    };
    let under = under.as_deref();
    let week_ago = date - chrono::Duration::days(7);
    let (now_rows, before_rows) = tokio::join!(rows(&app, date, &tree, under), rows(&app, week_ago, &tree, under));
    let (mut units, week_before) = match (now_rows, before_rows) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return failed(e),
    };
    let now = KeyFigures::of(&units);
    let before = week_before.iter().any(|u| u.reported).then(|| KeyFigures::of(&week_before));
    let level = under_param(under);
    let day = |d: NaiveDate| format!("/overview?date={d}{level}");
    let cols = columns(&v);
    sort_rows(&mut units, sort, desc);
    // A heading's link: this column, the other way round when it is the
    // one sorted on.
    let sort_link = |i: usize| {
        let order = match (i == sort, desc) {
            (true, true) => "asc",
            (true, false) => "desc",
            (false, _) if i == 0 => "asc",
            (false, _) => "desc",
        };
        format!("/overview?date={date}{level}&sort={}&order={order}", SORT_KEYS[i])
    };
    // A row's link: down a level where the unit has units under it (not
    // the level's own unit), else to the unit's day.
    let row_link = |u: &str| {
        if Some(u) != under && !tree.children(u).is_empty() {
            format!("/overview?date={date}&under={}", urlencode(u))
        } else {
            format!("/units/{}?date={date}", urlencode(u))
        }
    };
    let reported: Vec<&UnitDay> = units.iter().filter(|u| u.reported).collect();
    let total = |f: fn(&UnitDay) -> u32| reported.iter().map(|u| f(u)).sum::<u32>();
    let branch = under.map_or(String::new(), |u| format!("&unit={}", urlencode(u)));
    let body = html! {
        @if let Some(u) = under {
            nav.crumbs aria-label=(v.w("层级", "Levels")) {
                a href={ "/overview?date=" (date) } { (v.w("全区", "District")) }
                @for p in tree.path(u) {
                    " › "
                    @if p == u { strong { (p) } } @else { a href={ "/overview?date=" (date) "&under=" (urlencode(&p)) } { (p) } }
                }
            }
        }
        div.actions {
            form.pick method="get" action="/overview" {
                a href=(day(date - chrono::Duration::days(1))) { "‹ " (v.w("前一天", "Day before")) }
                label { (v.w("日期", "Date")) " " input type="date" name="date" value=(date.to_string()); }
                @if let Some(u) = under { input type="hidden" name="under" value=(u); }
                button { (v.w("查看", "Show")) }
                @if date < api::today() { a href=(day(date + chrono::Duration::days(1))) { (v.w("后一天", "Day after")) " ›" } }
            }
            span.spacer {}
            a.button href={ "/report?" (month_query(date)) (branch) } { (month_word(&v, date)) (v.w("报表", " report")) }
            a.button.primary href={ "/report.docx?" (month_query(date)) (branch) } download { (month_word(&v, date)) (v.w("通报草稿（Word）", " bulletin (通报) draft, Word")) }
        }
        (cards(&v, &now, before.as_ref(), |i| {
            // The exception cards lead to the people behind them; the
            // silent kiosks to the kiosks.
            let kind = match i {
                3 => "late",
                4 => "early",
                5 => "absent",
                6 => "missing",
                7 => "off_post",
                8 => return Some("/kiosks".to_string()),
                _ => return None,
            };
            Some(format!("/exceptions?date={date}&kind={kind}{level}"))
        }))
        @if !units.is_empty() { (exception_bars(&v, &units)) }
        @if units.is_empty() {
            p.muted { (v.w("这一天没有任何终端的记录。", "No kiosk has sent this date.")) }
        } @else {
            div.scroll { table {
                thead { tr { @for (i, c) in cols.iter().enumerate() {
                    th.name[i == 0 || i == 11] scope="col"
                       aria-sort=[(i == sort).then_some(if desc { "descending" } else { "ascending" })] {
                        a.sort href=(sort_link(i)) {
                            (c) @if i == sort { (if desc { " ▼" } else { " ▲" }) }
                        }
                    }
                } } }
                tbody {
                    @for u in &units {
                        tr.silent[!u.silent_kiosks.is_empty()] {
                            td.name {
                                a href=(row_link(&u.unit)) { (u.unit) }
                                @if Some(u.unit.as_str()) == under { span.muted { (v.w("（本级）", " (own staff)")) } }
                                @else if !tree.children(&u.unit).is_empty() { span.muted { " ›" } }
                            }
                            @if !u.reported {
                                td.nodata colspan="10" { (v.w("无数据", "No data")) }
                            } @else {
                            td { (u.expected) }
                            td { (u.present) }
                            td.warn[u.late_count > 0] { (v.count(u.late_count)) }
                            td.warn[u.early_count > 0] { (v.count(u.early_count)) }
                            td.bad[u.absent_sessions > 0] { (v.count(u.absent_sessions)) }
                            td.warn[u.off_post_count > 0] { (v.count(u.off_post_count)) }
                            td.bad[u.missing_punches > 0] { (v.count(u.missing_punches)) }
                            td { (v.count(u.leave)) }
                            td { (v.count(u.duty)) }
                            td.bad[u.spot_check_absences > 0] { (v.count(u.spot_check_absences)) }
                            }
                            td.name {
                                @if u.reported && u.units_without_data > 0 {
                                    span.bad { (u.units_without_data) (v.w(" 个单位无数据；", " units without data; ")) }
                                }
                                @if !u.reported && u.silent_kiosks.is_empty() { span.muted { (v.w("未配置终端", "no kiosk")) } }
                                @else if u.silent_kiosks.is_empty() { span.ok { (v.w("已上报", "sent")) } }
                                @else { span.bad { (v.w("未上报：", "not sent: ")) (u.silent_kiosks.join("、")) } }
                            }
                        }
                    }
                }
                tfoot {
                    tr {
                        th.name scope="row" { (v.w("合计", "Total")) }
                        td { (total(|u| u.expected)) }
                        td { (total(|u| u.present)) }
                        td { (v.count(total(|u| u.late_count))) }
                        td { (v.count(total(|u| u.early_count))) }
                        td { (v.count(total(|u| u.absent_sessions))) }
                        td { (v.count(total(|u| u.off_post_count))) }
                        td { (v.count(total(|u| u.missing_punches))) }
                        td { (v.count(total(|u| u.leave))) }
                        td { (v.count(total(|u| u.duty))) }
                        td { (v.count(total(|u| u.spot_check_absences))) }
                        td.name { (v.w("未上报 ", "not sent: ")) (now.silent_kiosks) }
                    }
                }
            } }
            p.files {
                a href={ "/overview.csv?date=" (date) (level) } download { (v.w("下载 CSV", "Download CSV")) }
                a href={ "/overview.xlsx?date=" (date) (level) } download { (v.w("下载 Excel", "Download Excel")) }
            }
        }
    };
    let title = match under {
        Some(u) => format!("{} · {u} {date}", v.w("总览", "Overview")),
        None => format!("{} {date}", v.w("总览", "Overview")),
    };
    Html(layout(&v, &title, "/overview", body).into_string()).into_response()
}

/// The kinds of exception the overview's cards lead to: the query's key,
/// the heading, and which days have it (the storage's condition).
type ExceptionKind = (&'static str, &'static str, &'static str, DayException);

const EXCEPTION_KINDS: [ExceptionKind; 5] = [
    ("absent", "旷工", "absent", DayException::Absent),
    ("late", "迟到", "late", DayException::Late),
    ("early", "早退", "early", DayException::Early),
    ("missing", "缺卡", "missing punches", DayException::Missing),
    ("off_post", "空岗", "off post", DayException::OffPost),
];

/// `/exceptions?date=D&kind=absent|late|early|missing|off_post[&under=U]`:
/// the people with that exception on the day (of the level's branch), by
/// unit: who was absent yesterday, one click from the overview.
pub(super) async fn exceptions(State(app): State<App>, headers: HeaderMap, Query(q): Q) -> Response {
    let (v, date) = signed_in_on!(&app, &headers, &q);
    let asked = q.get("kind").map_or("absent", String::as_str);
    let Some(&(key, zh, en, has)) = EXCEPTION_KINDS.iter().find(|k| k.0 == asked) else {
        let keys: Vec<&str> = EXCEPTION_KINDS.iter().map(|k| k.0).collect();
        let shown: String = asked.chars().take(32).collect();
        return bad_request(&v, &format!("kind: {shown:?} is not one of {}", keys.join(", ")));
    };
    let (tree, under) = match level_of(&app, &q).await {
        Ok(Ok(l)) => l,
        Ok(Err(m)) => return bad_request(&v, &m),
        Err(e) => return failed(e),
    };
    let mut people: Vec<crate::domain::summary::PersonSummary> = match app.storage.exception_days(date, has).await {
        Ok(days) => days
            .into_iter()
            .map(|d| d.person)
            .filter(|p| tree.head_under(&p.unit, under.as_deref()).is_some())
            .collect(),
        Err(e) => return failed(e),
    };
    // By unit and staff number as Rust orders them (a database's
    // collation may differ).
    people.sort_by(|a, b| (&a.unit, &a.staff_no).cmp(&(&b.unit, &b.staff_no)));
    let level = under_param(under.as_deref());
    let times = |n: u32, m: u32| v.times(n, m);
    let body = html! {
        nav.crumbs aria-label=(v.w("位置", "Where")) {
            a href={ "/overview?date=" (date) (level) } { "‹ " (v.w("总览", "Overview")) " " (date) @if let Some(u) = &under { " · " (u) } }
        }
        nav.tabs {
            @for (k, kzh, ken, _) in EXCEPTION_KINDS {
                a href={ "/exceptions?date=" (date) "&kind=" (k) (level) } aria-current=[(k == key).then_some("page")] { (v.w(kzh, ken)) }
            }
        }
        @if people.is_empty() {
            p.muted { (v.w("这一天没有人", "Nobody ")) (v.w(zh, en)) (v.w("。", " this day.")) }
        } @else {
            p { (people.len()) (if v.zh() { " 人" } else if people.len() == 1 { " person" } else { " people" }) }
            div.scroll { table {
                thead { tr {
                    th.name scope="col" { (v.w("单位", "Unit")) }
                    th.name scope="col" { (v.w("工号", "No.")) }
                    th.name scope="col" { (v.w("姓名", "Name")) }
                    th.name scope="col" { (v.w("状态", "Status")) }
                    th scope="col" { (v.term(Term::Late)) }
                    th scope="col" { (v.term(Term::Early)) }
                    th scope="col" { (v.w("旷工（半天）", "Absent (half days)")) }
                    th scope="col" { (v.term(Term::Missing)) }
                    th scope="col" { (v.term(Term::OffPost)) }
                    th.name scope="col" { (v.w("打卡", "Punches")) }
                } }
                tbody { @for p in &people {
                    @let f = &p.figures;
                    tr {
                        td.name { a href={ "/units/" (urlencode(&p.unit)) "?date=" (date) } { (p.unit) } }
                        td.name { (p.staff_no) }
                        td.name { a href={ "/people/" (urlencode(&p.staff_no)) "?period=range&from=" (date) "&to=" (date) } { (p.name) } }
                        td class={ "name " (status_class(p.status)) } { (status_word(&v, p.status)) }
                        td { (times(f.late_count, f.late_minutes)) }
                        td { (times(f.early_count, f.early_minutes)) }
                        td { (v.count(f.absent_sessions)) }
                        td { (v.count(f.missing_punches)) }
                        td { (times(f.off_post_count, f.off_post_minutes)) }
                        td.name { @if p.punches.is_empty() { span.muted { (v.w("无打卡", "no punch")) } } @else { (super::clock_times(&p.punches)) } }
                    }
                } }
            } }
        }
    };
    let title = if v.zh() { format!("{date} {zh}的人员") } else { format!("{} on {date}", capitalised(en)) };
    Html(layout(&v, &title, "/overview", body).into_string()).into_response()
}

/// "Absent", "Late": a word as a title starts.
fn capitalised(w: &str) -> String {
    let mut c = w.chars();
    c.next().map_or(String::new(), |f| f.to_uppercase().chain(c).collect())
}

/// A unit's day: its people, each with their figures and punches; the
/// days before and after; the month as a heat map and each person's
/// month totals.
pub(super) async fn unit_day(
    State(app): State<App>,
    headers: HeaderMap,
    Path(unit): Path<String>,
    Query(q): Q,
) -> Response {
    let (v, date) = signed_in_on!(&app, &headers, &q);
    // A unit's name as the kiosks send it (PostgreSQL refuses a NUL byte
    // in text: a 400 naming it, not a 500).
    if !crate::central::ingest::plain_text(&unit, 64) {
        return bad_request(&v, "unit: at most 64 characters without control characters");
    }
    // The date's month in one query: the day's table and the month's heat map.
    let (first, last) = month_of(date);
    let (month, calendar, held, open) = tokio::join!(
        app.storage.unit_days(&unit, first, last),
        crate::central::master::calendar_days(&*app.storage, date.year()),
        app.storage.units(),
        super::findings::open_of_unit(&app, &unit),
    );
    let (month, calendar, held, mut open) = match (month, calendar, held, open) {
        (Ok(m), Ok(c), Ok(h), Ok(o)) => (m, c, h, o),
        (Err(e), ..) | (_, Err(e), ..) | (_, _, Err(e), _) | (.., Err(e)) => return failed(e),
    };
    open.sort_by_key(|f| std::cmp::Reverse((f.current().at, f.id)));
    let tree = Tree::new(&held);
    let people: Vec<_> = month.iter().filter(|d| d.date == date).map(|d| &d.person).collect();
    let heat = heat_map(&v, first, last, &month, &calendar);
    let totals = month_totals(&v, first, last, &month);
    // The figures' headings are the glossary's, as on the kiosk.
    let cols: Vec<String> = [v.w("工号", "No."), v.w("姓名", "Name"), v.w("状态", "Status")]
        .into_iter()
        .map(String::from)
        .chain(
            [
                Term::Late,
                Term::Early,
                Term::Absent,
                Term::OffPost,
                Term::Missing,
                Term::Leave,
                Term::Duty,
                Term::SpotCheckAbsent,
            ]
            .map(|t| v.term(t)),
        )
        .chain([v.w("打卡", "Punches").to_string()])
        .collect();
    let min = v.w(" 分钟", " min");
    let times = |n: u32, m: u32| v.times(n, m);
    let this = |d: NaiveDate| format!("/units/{}?date={d}", urlencode(&unit));
    let parent = tree.parent(&unit).map(str::to_string);
    let body = html! {
        nav.crumbs aria-label=(v.w("层级", "Levels")) {
            a href={ "/overview?date=" (date) } { (v.w("总览", "Overview")) }
            @for p in tree.path(&unit) {
                " › "
                @if p == unit { strong { (p) } } @else { a href={ "/overview?date=" (date) "&under=" (urlencode(&p)) } { (p) } }
            }
        }
        div.actions {
            div.pick {
                a href=(this(date - chrono::Duration::days(1))) { "‹ " (v.w("前一天", "Day before")) }
                strong { (date) " " (weekday(&v, date)) }
                @if date < api::today() { a href=(this(date + chrono::Duration::days(1))) { (v.w("后一天", "Day after")) " ›" } }
            }
            span.spacer {}
            @if let Some(p) = &parent {
                a.button href={ "/overview?date=" (date) "&under=" (urlencode(p)) } { "‹ " (p) }
            }
            a.button href={ "/report?" (month_query(date)) "&unit=" (urlencode(&unit)) } { (month_word(&v, date)) (v.w("报表", " report")) }
        }
        @if people.is_empty() {
            p.muted { (v.w("这一天没有这个单位的记录。", "Nothing from this unit on this date.")) }
        } @else {
            div.scroll { table {
                thead { tr { @for (i, c) in cols.iter().enumerate() { th.name[i < 3 || i == 11] scope="col" { (c) } } } }
                tbody {
                    @for p in &people {
                        @let f = &p.figures;
                        tr {
                            td.name { (p.staff_no) }
                            td.name { a href={ "/people/" (urlencode(&p.staff_no)) "?period=range&from=" (first) "&to=" (last.min(api::today()).max(date)) } { (p.name) } }
                            td class={ "name " (status_class(p.status)) } { (status_word(&v, p.status)) }
                            td { (times(f.late_count, f.late_minutes)) }
                            td { (times(f.early_count, f.early_minutes)) }
                            td { @if f.absent_sessions == 0 { "—" } @else { (f.absent_sessions) (v.w(" 个半天", " half days")) } }
                            td { (times(f.off_post_count, f.off_post_minutes)) }
                            td { (v.count(f.missing_punches)) }
                            td { @if f.leave_minutes == 0 { "—" } @else { (f.leave_minutes) (min) } }
                            td { @if f.duty_minutes == 0 { "—" } @else { (f.duty_minutes) (min) } }
                            td { (v.count(f.spot_check_absences)) }
                            td.name { (super::clock_times(&p.punches)) }
                        }
                    }
                }
            } }
        }
        (heat)
        (totals)
        h2 { (v.w("未结的暗访问题", "Open findings and cases")) }
        (super::findings::table(&v, &open.iter().collect::<Vec<_>>()))
    };
    let title = format!("{unit} · {date}");
    Html(layout(&v, &title, "/overview", body).into_string()).into_response()
}

/// 星期一 … 星期日 (Mon … Sun).
pub(super) fn weekday(v: &Viewer, d: NaiveDate) -> &'static str {
    const ZH: [&str; 7] = ["星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日"];
    const EN: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    let i = d.weekday().num_days_from_monday() as usize;
    if v.zh() {
        ZH[i]
    } else {
        EN[i]
    }
}

/// Each person's month so far: the period report's figures over the
/// unit's days of the month, by staff number.
fn month_totals(v: &Viewer, first: NaiveDate, last: NaiveDate, month: &[PersonDay]) -> maud::Markup {
    // A person's day sent by two kiosks counts once: the worse, as the
    // heat map shows it.
    let mut days: std::collections::BTreeMap<(&str, NaiveDate), &PersonDay> = Default::default();
    for d in month {
        let cell = |d: &PersonDay| Cell::of(d.person.status, &d.person.figures);
        days.entry((d.person.staff_no.as_str(), d.date))
            .and_modify(|kept| {
                if cell(d) < cell(kept) {
                    *kept = d;
                }
            })
            .or_insert(d);
    }
    let report = crate::domain::summary::report_from_days(first, last, days.values().map(|d| (d.date, &d.person)));
    if report.people.is_empty() {
        return html! {};
    }
    let times = |n: u32, m: u32| v.times(n, m);
    html! {
        h2 { (v.w("本月个人合计", "Each person's month")) }
        div.scroll { table {
            thead { tr {
                th.name scope="col" { (v.w("工号", "No.")) }
                th.name scope="col" { (v.w("姓名", "Name")) }
                th scope="col" { (v.w("应出勤（天）", "Expected (days)")) }
                th scope="col" { (v.w("出勤（天）", "Present (days)")) }
                th scope="col" { (v.term(Term::Late)) }
                th scope="col" { (v.term(Term::Early)) }
                th scope="col" { (v.w("旷工（半天）", "Absent (half days)")) }
                th scope="col" { (v.term(Term::OffPost)) }
                th scope="col" { (v.term(Term::Missing)) }
                th scope="col" { (v.term(Term::Leave)) }
            } }
            tbody { @for r in &report.people {
                tr {
                    td.name { (r.staff_no) }
                    td.name { (r.name) }
                    td { (r.days_expected) }
                    td { (r.days_present) }
                    td.warn[r.late_count > 0] { (times(r.late_count, r.late_minutes)) }
                    td.warn[r.early_count > 0] { (times(r.early_count, r.early_minutes)) }
                    td.bad[r.absent_sessions > 0] { (v.count(r.absent_sessions)) }
                    td.warn[r.off_post_count > 0] { (times(r.off_post_count, r.off_post_minutes)) }
                    td.bad[r.missing_punches > 0] { (v.count(r.missing_punches)) }
                    td { @if r.leave_minutes == 0 { "—" } @else { (r.leave_minutes) (v.w(" 分钟", " min")) } }
                }
            } }
        } }
    }
}

/// The unit's month as a heat map (people × days), like DingTalk's 月度
/// 汇总, with its legend; nothing when the month has no rows. Weekends and
/// the calendar's days off are shaded (a make-up workday is not); days
/// from today on are still to come.
fn heat_map(
    v: &Viewer,
    first: NaiveDate,
    last: NaiveDate,
    month: &[PersonDay],
    calendar: &std::collections::BTreeMap<NaiveDate, bool>,
) -> maud::Markup {
    let days = (last - first).num_days() as usize + 1;
    let today = api::today();
    let kinds: Vec<DayKind> = first
        .iter_days()
        .take(days)
        .map(|d| {
            let weekend = d.weekday().num_days_from_monday() >= 5;
            if d >= today {
                DayKind::Future
            } else if calendar.get(&d).copied().unwrap_or(weekend) {
                DayKind::Off
            } else {
                DayKind::Work
            }
        })
        .collect();
    let mut people: Vec<(String, Vec<Option<Cell>>)> = Vec::new();
    let mut last_no: Option<&str> = None;
    // Rows come by staff number, then date.
    for d in month {
        if last_no != Some(d.person.staff_no.as_str()) {
            people.push((format!("{} {}", d.person.name, d.person.staff_no), vec![None; days]));
            last_no = Some(&d.person.staff_no);
        }
        let cell = Cell::of(d.person.status, &d.person.figures);
        if let Some(slot) = people.last_mut().and_then(|(_, c)| c.get_mut((d.date - first).num_days() as usize)) {
            // Two kiosks' rows for one day: the worse shows.
            *slot = Some(slot.map_or(cell, |c| c.min(cell)));
        }
    }
    if people.is_empty() {
        return html! {};
    }
    let svg = match charts::heat_map(first, &people, &kinds, v.zh()) {
        Ok(svg) => svg,
        Err(e) => {
            eprintln!("heat map: {e}");
            return html! {};
        }
    };
    html! {
        h2 { (v.w("本月汇总", "The month")) }
        figure.chart.wide {
            (maud::PreEscaped(svg))
            figcaption.legend {
                @for c in Cell::ALL {
                    @let (zh, en) = c.words();
                    span { i style={ "background:" (c.colour()) } {} (v.w(zh, en)) }
                }
                span { i.nodata {} (v.w("无数据（未上报）", "no data (not sent)")) }
                span { i style={ "background:" (charts::OFF_SHADE) } {} (v.w("周末、节假日", "weekend, holiday")) }
            }
        }
    }
}

/// A day's status in the glossary's words (the kiosk's).
pub(super) fn status_word(v: &Viewer, s: DayStatus) -> &'static str {
    let t = match s {
        DayStatus::Normal => Term::Normal,
        DayStatus::Exception => Term::Exception,
        DayStatus::Absent => Term::Absent,
        DayStatus::Leave => Term::Leave,
        DayStatus::Duty => Term::Duty,
        DayStatus::Pending => Term::Pending,
        DayStatus::Rest => Term::Rest,
    };
    t.word(v.lang)
}

pub(super) fn status_class(s: DayStatus) -> &'static str {
    match s {
        DayStatus::Normal => "ok",
        DayStatus::Exception => "warn",
        DayStatus::Absent => "bad",
        _ => "muted",
    }
}

/// A path segment (a unit's name in Chinese) for a link.
pub(super) fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The overview as CSV (UTF-8 with a BOM: Excel on a Chinese Windows
/// reads it as UTF-8), the page's rows and columns.
pub(super) async fn csv(State(app): State<App>, headers: HeaderMap, Query(q): Q) -> Response {
    export(app, headers, q, "csv").await
}

/// The overview as XLSX, the page's rows and columns.
pub(super) async fn xlsx(State(app): State<App>, headers: HeaderMap, Query(q): Q) -> Response {
    export(app, headers, q, "xlsx").await
}

async fn export(app: App, headers: HeaderMap, q: HashMap<String, String>, format: &str) -> Response {
    let (v, date) = signed_in_on!(&app, &headers, &q);
    let (tree, under) = match level_of(&app, &q).await {
        Ok(Ok(l)) => l,
        Ok(Err(m)) => return bad_request(&v, &m),
        Err(e) => return failed(e),
    };
    let units = match rows(&app, date, &tree, under.as_deref()).await {
        Ok(x) => x,
        Err(e) => return failed(e),
    };
    let what = format!("overview {date} {} {format}", under.as_deref().unwrap_or("all"));
    if let Err(e) = app.storage.audit(&v.user.name, "export", &what, api::now()).await {
        return failed(e);
    }
    let cols = columns(&v);
    let name = format!("overview-{date}.{format}");
    let body = match format {
        "csv" => {
            let mut buf = b"\xEF\xBB\xBF".to_vec();
            {
                let mut w = ::csv::Writer::from_writer(&mut buf);
                use crate::domain::render::write_csv_record;
                let ok = write_csv_record(&mut w, cols).is_ok()
                    && units.iter().all(|u| write_csv_record(&mut w, cells(&v, u)).is_ok());
                if !ok || w.flush().is_err() {
                    return api::internal_response("the CSV could not be written");
                }
            }
            (buf, "text/csv; charset=utf-8")
        }
        _ => match overview_xlsx(&v, &cols, &units, date) {
            Ok(b) => (b, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            Err(e) => {
                eprintln!("overview xlsx: {e}");
                return api::internal_response("the workbook could not be written");
            }
        },
    };
    api::file(body.0, body.1, &name)
}

/// The overview's workbook: one sheet, the date in its name, numbers as
/// numbers.
fn overview_xlsx(
    v: &Viewer,
    cols: &[&str; 12],
    units: &[UnitDay],
    date: NaiveDate,
) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name(date.to_string())?;
    let bold = Format::new().set_bold();
    for (c, h) in cols.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, *h, &bold)?;
    }
    for (r, u) in units.iter().enumerate() {
        let row = r as u32 + 1;
        for (c, cell) in cells(v, u).iter().enumerate() {
            match (c, cell.parse::<f64>()) {
                _ if cell.is_empty() => continue,
                (1..=10, Ok(n)) => sheet.write_number(row, c as u16, n)?,
                _ => sheet.write_string(row, c as u16, cell)?,
            };
        }
    }
    sheet.set_column_width(0, 16)?;
    sheet.set_column_width(11, 20)?;
    book.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(name: &str, late: u32, reported: bool) -> UnitDay {
        UnitDay { unit: name.into(), late_count: late, reported, ..UnitDay::default() }
    }

    #[test]
    fn units_sort_by_a_column_either_way_and_those_without_data_stay_last() {
        let mut rows = vec![unit("b", 1, true), unit("a", 0, false), unit("c", 3, true), unit("d", 1, true)];
        let q = |s: &str, o: &str| {
            HashMap::from([("sort".to_string(), s.to_string()), ("order".to_string(), o.to_string())])
        };
        let (col, desc) = sort_of(&q("late", "desc")).unwrap();
        sort_rows(&mut rows, col, desc);
        let names: Vec<&str> = rows.iter().map(|u| u.unit.as_str()).collect();
        assert_eq!(names, ["c", "b", "d", "a"], "the worst first, ties by name, no data last");
        let (col, desc) = sort_of(&q("late", "asc")).unwrap();
        sort_rows(&mut rows, col, desc);
        let names: Vec<&str> = rows.iter().map(|u| u.unit.as_str()).collect();
        assert_eq!(names, ["b", "d", "c", "a"]);
        assert_eq!(sort_of(&HashMap::new()).unwrap(), (0, false), "by unit by default");
        assert!(sort_of(&q("lateness", "desc")).unwrap_err().starts_with("sort:"));
        assert!(sort_of(&q("late", "down")).unwrap_err().starts_with("order:"));
    }
}
