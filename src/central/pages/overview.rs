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
use crate::central::charts::{self, Cell};
use crate::central::overview::{overview, KeyFigures, UnitDay};
use crate::central::storage::PersonDay;
use crate::domain::summary::{DailySummary, DayStatus};

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

/// The overview's rows for `date` and the summaries they came from.
async fn rows(
    app: &App,
    date: NaiveDate,
) -> Result<(Vec<UnitDay>, Vec<DailySummary>), crate::central::storage::StorageError> {
    let summaries: Vec<DailySummary> = app
        .storage
        .latest_summaries(date, date, None, usize::MAX, usize::MAX)
        .await?
        .rows
        .into_iter()
        .map(|(_, _, s)| s)
        .collect();
    let kiosks: Vec<(String, Vec<String>)> = app
        .storage
        .kiosks(api::today())
        .await?
        .into_iter()
        .filter(|k| !k.revoked && k.created_at <= api::end_of(date))
        .map(|k| (k.id, k.units))
        .collect();
    Ok((overview(date, &summaries, &kiosks), summaries))
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

fn cells(r: &UnitDay) -> [String; 12] {
    [
        r.unit.clone(),
        r.expected.to_string(),
        r.present.to_string(),
        r.late_count.to_string(),
        r.early_count.to_string(),
        r.absent_sessions.to_string(),
        r.off_post_count.to_string(),
        r.missing_punches.to_string(),
        r.leave.to_string(),
        r.duty.to_string(),
        r.spot_check_absences.to_string(),
        r.silent_kiosks.join(" "),
    ]
}

/// The day's key figures as cards, each with its change against the same
/// weekday a week before ("—" where that day has no data).
fn cards(v: &Viewer, now: &KeyFigures, before: Option<&KeyFigures>) -> maud::Markup {
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
            @for (label, shown, value, rise_bad) in figures {
                @let delta = before.and_then(|b| Some(value(now)? - value(b)?));
                div.card {
                    span.label { (label) }
                    strong.value { (shown) }
                    span.delta {
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
                    }
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

/// The units by the day's exceptions, as bars stacked by kind (plain
/// HTML, widths as shares of the worst unit's total): the worst first;
/// units with none are left out, and said so.
fn exception_bars(v: &Viewer, units: &[UnitDay]) -> maud::Markup {
    type Kind = (&'static str, &'static str, &'static str, fn(&UnitDay) -> u32);
    let kinds: [Kind; 5] = [
        ("迟到", "late", "#d4a72c", |u| u.late_count),
        ("早退", "early", "#8250df", |u| u.early_count),
        ("旷工（半天）", "absent (half days)", "#cf222e", |u| u.absent_sessions),
        ("缺卡", "missing punches", "#bc4c00", |u| u.missing_punches),
        ("空岗", "off post", "#0969da", |u| u.off_post_count),
    ];
    let total = |u: &UnitDay| kinds.iter().map(|k| (k.3)(u)).sum::<u32>();
    let mut worst: Vec<&UnitDay> = units.iter().filter(|u| u.reported && total(u) > 0).collect();
    worst.sort_by(|a, b| total(b).cmp(&total(a)).then_with(|| a.unit.cmp(&b.unit)));
    let top = worst.first().map_or(1, |u| total(u)).max(1);
    html! {
        figure.chart.bars {
            figcaption { (v.w("各单位当日异常（人次，按多少排列）", "Units by the day's exceptions (times, most first)")) }
            @if worst.is_empty() {
                p.muted { (v.w("这一天没有任何异常。", "No exceptions this day.")) }
            } @else {
                p.legend { @for k in &kinds { span { i style={ "background:" (k.2) } {} (v.w(k.0, k.1)) } } }
                @for u in &worst {
                    div.bar-row {
                        span.bar-label { (u.unit) }
                        span.bar {
                            @for k in &kinds {
                                @let n = (k.3)(u);
                                @if n > 0 {
                                    span.seg title={ (v.w(k.0, k.1)) " " (n) }
                                        style={ "width:" (format!("{:.2}", f64::from(n) * 100.0 / f64::from(top))) "%;background:" (k.2) } {}
                                }
                            }
                        }
                        span.bar-total { (total(u)) }
                    }
                }
            }
        }
    }
}

pub(super) async fn page(axum::extract::State(app): State<App>, headers: HeaderMap, Query(q): Q) -> Response {
    let (v, date) = signed_in_on!(&app, &headers, &q);
    let (sort, desc) = match sort_of(&q) {
        Ok(s) => s,
        Err(m) => return bad_request(&v, &m),
    };
    let (mut units, _) = match rows(&app, date).await {
        Ok(x) => x,
        Err(e) => return failed(e),
    };
    let (week_before, _) = match rows(&app, date - chrono::Duration::days(7)).await {
        Ok(x) => x,
        Err(e) => return failed(e),
    };
    let now = KeyFigures::of(&units);
    let before = week_before.iter().any(|u| u.reported).then(|| KeyFigures::of(&week_before));
    let day = |d: NaiveDate| format!("/overview?date={d}");
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
        format!("/overview?date={date}&sort={}&order={order}", SORT_KEYS[i])
    };
    let reported: Vec<&UnitDay> = units.iter().filter(|u| u.reported).collect();
    let total = |f: fn(&UnitDay) -> u32| reported.iter().map(|u| f(u)).sum::<u32>();
    let body = html! {
        form.pick method="get" action="/overview" {
            a href=(day(date - chrono::Duration::days(1))) { "‹ " (v.w("前一天", "Day before")) }
            label { (v.w("日期", "Date")) " " input type="date" name="date" value=(date.to_string()); }
            button { (v.w("查看", "Show")) }
            a href=(day(date + chrono::Duration::days(1))) { (v.w("后一天", "Day after")) " ›" }
        }
        (cards(&v, &now, before.as_ref()))
        @if !units.is_empty() { (exception_bars(&v, &units)) }
        @if units.is_empty() {
            p.muted { (v.w("这一天没有任何终端的记录。", "No kiosk has sent this date.")) }
        } @else {
            table {
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
                            td.name { a href={ "/units/" (urlencode(&u.unit)) "?date=" (date) } { (u.unit) } }
                            @if !u.reported {
                                td.nodata colspan="10" { (v.w("无数据", "No data")) }
                            } @else {
                            td { (u.expected) }
                            td { (u.present) }
                            td.warn[u.late_count > 0] { (u.late_count) }
                            td.warn[u.early_count > 0] { (u.early_count) }
                            td.bad[u.absent_sessions > 0] { (u.absent_sessions) }
                            td.warn[u.off_post_count > 0] { (u.off_post_count) }
                            td.bad[u.missing_punches > 0] { (u.missing_punches) }
                            td { (u.leave) }
                            td { (u.duty) }
                            td.bad[u.spot_check_absences > 0] { (u.spot_check_absences) }
                            }
                            td.name {
                                @if u.silent_kiosks.is_empty() { span.ok { (v.w("已上报", "sent")) } }
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
                        td { (total(|u| u.late_count)) }
                        td { (total(|u| u.early_count)) }
                        td { (total(|u| u.absent_sessions)) }
                        td { (total(|u| u.off_post_count)) }
                        td { (total(|u| u.missing_punches)) }
                        td { (total(|u| u.leave)) }
                        td { (total(|u| u.duty)) }
                        td { (total(|u| u.spot_check_absences)) }
                        td.name { (v.w("未上报 ", "not sent: ")) (now.silent_kiosks) }
                    }
                }
            }
            p.files {
                a href={ "/overview.csv?date=" (date) } download { (v.w("下载 CSV", "Download CSV")) }
                a href={ "/overview.xlsx?date=" (date) } download { (v.w("下载 Excel", "Download Excel")) }
            }
        }
    };
    let title = format!("{} {date}", v.w("总览", "Overview"));
    Html(layout(&v, &title, "/overview", body).into_string()).into_response()
}

/// A unit's day: its people, each with their figures and punches.
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
    let first = date.with_day(1).unwrap_or(date);
    let last = first.checked_add_months(chrono::Months::new(1)).and_then(|d| d.pred_opt()).unwrap_or(date);
    let month = match app.storage.unit_days(&unit, first, last).await {
        Ok(m) => m,
        Err(e) => return failed(e),
    };
    let people: Vec<_> = month.iter().filter(|d| d.date == date).map(|d| &d.person).collect();
    let heat = heat_map(&v, first, last, &month);
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
    let body = html! {
        p { a href={ "/overview?date=" (date) } { "‹ " (v.w("总览", "Overview")) " " (date) } }
        @if people.is_empty() {
            p.muted { (v.w("这一天没有这个单位的记录。", "Nothing from this unit on this date.")) }
        } @else {
            table {
                thead { tr { @for (i, c) in cols.iter().enumerate() { th.name[i < 3 || i == 11] scope="col" { (c) } } } }
                tbody {
                    @for p in &people {
                        @let f = &p.figures;
                        tr {
                            td.name { (p.staff_no) }
                            td.name { a href={ "/people/" (urlencode(&p.staff_no)) "?period=range&from=" (date) "&to=" (date) } { (p.name) } }
                            td class={ "name " (status_class(p.status)) } { (status_word(&v, p.status)) }
                            td { (times(f.late_count, f.late_minutes)) }
                            td { (times(f.early_count, f.early_minutes)) }
                            td { @if f.absent_sessions == 0 { "—" } @else { (f.absent_sessions) (v.w(" 个半天", " half days")) } }
                            td { (times(f.off_post_count, f.off_post_minutes)) }
                            td { (f.missing_punches) }
                            td { @if f.leave_minutes == 0 { "—" } @else { (f.leave_minutes) (min) } }
                            td { @if f.duty_minutes == 0 { "—" } @else { (f.duty_minutes) (min) } }
                            td { (f.spot_check_absences) }
                            td.name { (p.punches.join(" ")) }
                        }
                    }
                }
            }
        }
        (heat)
    };
    let title = format!("{unit} · {date}");
    Html(layout(&v, &title, "/overview", body).into_string()).into_response()
}

/// The unit's month as a heat map (people × days), like DingTalk's 月度
/// 汇总, with its legend; nothing when the month has no rows.
fn heat_map(v: &Viewer, first: NaiveDate, last: NaiveDate, month: &[PersonDay]) -> maud::Markup {
    let days = (last - first).num_days() as usize + 1;
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
    let svg = match charts::heat_map(first, &people, v.zh()) {
        Ok(svg) => svg,
        Err(e) => {
            eprintln!("heat map: {e}");
            return html! {};
        }
    };
    html! {
        h2 { (v.w("本月汇总", "The month")) }
        figure.chart {
            (maud::PreEscaped(svg))
            figcaption.legend {
                @for c in Cell::ALL {
                    @let (zh, en) = c.words();
                    span { i style={ "background:" (c.colour()) } {} (v.w(zh, en)) }
                }
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
    let (units, _) = match rows(&app, date).await {
        Ok(x) => x,
        Err(e) => return failed(e),
    };
    if let Err(e) = app.storage.audit(&v.user.name, "export", &format!("overview {date} {format}"), api::now()).await {
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
                    && units.iter().all(|u| write_csv_record(&mut w, cells(u)).is_ok());
                if !ok || w.flush().is_err() {
                    return api::internal_response("the CSV could not be written");
                }
            }
            (buf, "text/csv; charset=utf-8")
        }
        _ => match overview_xlsx(&cols, &units, date) {
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
fn overview_xlsx(cols: &[&str; 12], units: &[UnitDay], date: NaiveDate) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
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
        for (c, cell) in cells(u).iter().enumerate() {
            match (c, cell.parse::<f64>()) {
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
