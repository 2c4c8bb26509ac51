//! A person's history: day by day with status and figures over a period;
//! a day whose summary was revised for this person says so ("第 2 版，修订于
//! …（因更正）"); under each day, the records behind its figures as the
//! kiosk sent them (`raw_days`): each punch with its source (刷卡, 补卡 with
//! its reason and who made it, 导入), a void with its reason, the leave that
//! covers the day, and the 查岗 records.

use crate::domain::glossary::Term;
use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Response};
use maud::html;

use super::overview::{status_class, status_word};
use super::report::{period_of, Period};
use super::{bad_request, failed, layout};
use crate::central::api::{self, App};
use crate::central::raw_days::{person_days, RawDay};
use crate::central::storage::{revised, Earlier, PersonDay, StorageError};
use crate::domain::attendance::read_range;
use crate::domain::config::Config;
use crate::domain::rejudge::DeclaredRules;
use crate::domain::rules::Verdict;
use chrono::NaiveDate;

/// Each listed day's records as the kiosk sent them, by (kiosk, date): the
/// records of the period read once per kiosk. A kiosk whose records have
/// not arrived has none; one whose records or rules cannot be read is
/// named in the problems (its figures still show). The latest declared
/// rules decide whose a punch is (a change of schedules since moves only
/// a duplicate's mark).
pub(super) async fn raw_days(
    app: &App,
    staff_no: &str,
    days: &[(PersonDay, Vec<Earlier>)],
    (from, to): (NaiveDate, NaiveDate),
) -> Result<(HashMap<(String, NaiveDate), RawDay>, Vec<String>), StorageError> {
    let (mut out, mut problems) = (HashMap::new(), Vec::new());
    let mut kiosks: Vec<&str> = days.iter().map(|(d, _)| d.kiosk_id.as_str()).collect();
    kiosks.sort();
    kiosks.dedup();
    for kiosk in kiosks {
        let rules =
            app.storage.rules(kiosk, None).await?.and_then(|(_, t)| serde_json::from_str::<DeclaredRules>(&t).ok());
        let units: Vec<String> =
            days.iter().filter(|(d, _)| d.kiosk_id == kiosk).map(|(d, _)| d.person.unit.clone()).collect();
        let empty = serde_json::json!({});
        let config = match Config::for_judging(kiosk, &units, rules.as_ref().map_or(&empty, |r| &r.config)) {
            Ok(c) => c,
            Err(e) => {
                problems.push(format!("{kiosk}: {e}"));
                continue;
            }
        };
        let (start, end) = read_range(&config, from, to);
        let records = app.storage.period_records(kiosk, start, end, u64::MAX).await?;
        let now = chrono::Utc::now().timestamp_millis();
        // Records that cannot be read leave the figures standing, said.
        match person_days(kiosk, &units, rules.as_ref(), &records, staff_no, (from, to), now) {
            Ok(listed) => {
                for day in listed {
                    out.insert((kiosk.to_string(), day.date), day);
                }
            }
            Err(e) => problems.push(format!("{kiosk}: {e}")),
        }
    }
    Ok((out, problems))
}

/// A day's records in words: "刷卡 08:25:00 · 补卡 08:20:00（忘打卡，科长）·
/// 刷卡 12:01:00 已作废（刷错卡，科长）· 事假 11-19 08:30 至 11-19 12:00
/// （批准：科长）· 查岗 10:40:00 不在岗（王五）".
pub(super) fn record_words(v: &super::Viewer, day: &RawDay) -> String {
    let mut words = Vec::new();
    let voided = |x: &Option<(String, String)>| match x {
        Some((reason, by)) => format!("{}（{reason}，{by}）", v.w(" 已作废", " voided")),
        None => String::new(),
    };
    for p in &day.punches {
        let source = match p.source.as_str() {
            "reader" => v.w("刷卡", "scan"),
            "correction" => v.w("补卡", "correction"),
            "import" => v.w("导入", "import"),
            "attlog" => v.w("考勤机导入", "terminal file"),
            other => other,
        };
        let mut w = format!("{source} {}", super::clock_time(&p.clock));
        if let (Some(reason), Some(by)) = (&p.reason, &p.by) {
            w.push_str(&format!("（{reason}，{by}）"));
        }
        if p.verdict == Verdict::Duplicate {
            w.push_str(v.w(" 重复", " duplicate"));
        }
        w.push_str(&voided(&p.voided));
        words.push(w);
    }
    for l in &day.leave {
        let mut w = format!("{} {} {} {}", l.kind, l.span.0, v.w("至", "to"), l.span.1);
        if !l.approved_by.is_empty() {
            w.push_str(&format!("（{}{}）", v.w("批准：", "approved by "), l.approved_by));
        }
        w.push_str(&voided(&l.voided));
        words.push(w);
    }
    for c in &day.checks {
        let state = if c.present { v.w("在岗", "present").to_string() } else { v.term(Term::SpotCheckAbsent) };
        let mut w = format!("{} {} {state}", v.w("查岗", "spot check"), super::clock_time(&c.clock));
        if !c.inspector.is_empty() {
            w.push_str(&format!("（{}）", c.inspector));
        }
        w.push_str(&voided(&c.voided));
        words.push(w);
    }
    words.join(" · ")
}

/// A card of times and minutes: "3 次" large, "共 33 分钟" under it (a
/// card's large figure never wraps).
fn timed_card(v: &super::Viewer, label: &str, n: u32, minutes: u32) -> maud::Markup {
    maud::html! {
        div.card {
            span.label { (label) }
            strong.value.warn[n > 0] { (v.count(n)) @if n > 0 { (v.w(" 次", "×")) } }
            @if n > 0 { span.delta { (v.w("共 ", "")) (minutes) (v.w(" 分钟", " min in all")) } }
        }
    }
}

/// "11-20 于 11-22 更正": a day and when its figures were changed, the
/// only revision a reader needs to know of.
fn revised_words(v: &super::Viewer, date: NaiveDate, r: &crate::central::storage::Revised) -> String {
    let at = crate::domain::time::instant_to_local(chrono_tz::Asia::Shanghai, r.at);
    let why = if r.after_correction { v.w("更正", "corrected") } else { v.w("重新上报", "re-sent") };
    format!("{} {} {} {why}", date.format("%m-%d"), v.w("于", "on"), at.format("%m-%d %H:%M"))
}

pub(super) async fn page(
    State(app): State<App>,
    headers: HeaderMap,
    Path(staff_no): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let v = signed_in!(&app, &headers);
    if !crate::central::ingest::plain_text(&staff_no, 64) {
        return bad_request(&v, "staff_no: at most 64 characters without control characters");
    }
    let today = api::today();
    let (from, to) = match period_of(&q) {
        Ok(p) => p.days(today),
        Err(m) => return bad_request(&v, &m),
    };
    let (days, held) = tokio::join!(app.storage.person_history(&staff_no, from, to), app.storage.units());
    let (days, held) = match (days, held) {
        (Ok(d), Ok(h)) => (d, h),
        (Err(e), _) | (_, Err(e)) => return failed(e),
    };
    let (raw, problems) = match raw_days(&app, &staff_no, &days, (from, to)).await {
        Ok(r) => r,
        Err(e) => return failed(e),
    };
    // Their findings and cases, of any period, newest first.
    let mut found = match super::findings::of_person(&app, &staff_no).await {
        Ok(f) => f,
        Err(e) => return failed(e),
    };
    found.sort_by_key(|f| std::cmp::Reverse((f.current().at, f.id)));
    let tree = crate::central::units::Tree::new(&held);
    let latest = days.last().map(|(d, _)| &d.person);
    let name = latest.map(|p| p.name.clone()).unwrap_or_default();
    let unit = latest.map(|p| p.unit.clone());
    let totals = crate::domain::summary::report_from_days(from, to, days.iter().map(|(d, _)| (d.date, &d.person)));
    let total = totals.people.first();
    let times = |n: u32, m: u32| v.times(n, m);
    let enc = super::overview::urlencode;
    let self_link = |p: Period| {
        let (f, t) = p.days(today);
        format!("/people/{}?period=range&from={f}&to={t}", enc(&staff_no))
    };
    // Leave, corrections and voids of the period, as recorded.
    let mut ordered: Vec<&RawDay> = raw.values().collect();
    ordered.sort_by_key(|d| d.date);
    let leave: Vec<(NaiveDate, String)> = ordered
        .iter()
        .flat_map(|d| d.leave.iter().map(move |l| (d.date, l)))
        .map(|(date, l)| {
            let mut w = format!("{} {} {} {}", l.kind, l.span.0, v.w("至", "to"), l.span.1);
            if !l.approved_by.is_empty() {
                w.push_str(&format!("（{}{}）", v.w("批准：", "approved by "), l.approved_by));
            }
            if let Some((reason, by)) = &l.voided {
                w.push_str(&format!("{}（{reason}，{by}）", v.w(" 已作废", " voided")));
            }
            (date, w)
        })
        .collect();
    let mut seen_leave = std::collections::HashSet::new();
    let leave: Vec<(NaiveDate, String)> = leave.into_iter().filter(|(_, w)| seen_leave.insert(w.clone())).collect();
    let corrections: Vec<(NaiveDate, String)> = ordered
        .iter()
        .flat_map(|d| d.punches.iter().map(move |p| (d.date, p)))
        .filter(|(_, p)| p.source == "correction" || p.voided.is_some())
        .map(|(date, p)| {
            let what = if p.source == "correction" { v.w("补卡", "correction") } else { v.w("刷卡", "scan") };
            let mut w = format!("{what} {}", super::clock_time(&p.clock));
            if let (Some(reason), Some(by)) = (&p.reason, &p.by) {
                w.push_str(&format!("（{reason}，{by}）"));
            }
            if let Some((reason, by)) = &p.voided {
                w.push_str(&format!("{}（{reason}，{by}）", v.w(" 已作废", " voided")));
            }
            (date, w)
        })
        .collect();
    let body = html! {
        nav.crumbs aria-label=(v.w("位置", "Where")) {
            a href="/report" { (v.w("期间报表", "Period report")) }
            @if let Some(u) = &unit {
                @for p in tree.path(u) {
                    " › " a href={ "/report?period=range&from=" (from) "&to=" (to) "&unit=" (enc(&p)) } { (p) }
                }
            }
            " › " strong { (if name.is_empty() { &staff_no } else { &name }) }
        }
        div.actions {
            @if let (Some(u), Some((d, _))) = (&unit, days.last()) {
                a.button href={ "/units/" (enc(u)) "?date=" (d.date) } { "‹ " (v.w("返回 ", "Back to ")) (u) }
            }
            a.button href=(self_link(Period::ThisMonth)) { (v.w("本月", "This month")) }
            a.button href=(self_link(Period::LastMonth)) { (v.w("上月", "Last month")) }
            form.pick method="get" action={ "/people/" (enc(&staff_no)) } {
                input type="hidden" name="period" value="range";
                label { (v.w("从", "From")) " " input type="date" name="from" value=(from.to_string()); }
                label { (v.w("到", "to")) " " input type="date" name="to" value=(to.to_string()); }
                button { (v.w("查看", "Show")) }
            }
        }
        @for p in &problems {
            p.warn { (v.w("原始记录无法读出：", "The records cannot be read: ")) (p) }
        }
        @if let Some(t) = total {
            section.cards aria-label=(v.w("期间合计", "The period's totals")) {
                div.card { span.label { (v.w("应出勤（天）", "Expected (days)")) } strong.value { (t.days_expected) } }
                div.card { span.label { (v.w("出勤（天）", "Present (days)")) } strong.value { (t.days_present) } }
                (timed_card(&v, &v.term(Term::Late), t.late_count, t.late_minutes))
                (timed_card(&v, &v.term(Term::Early), t.early_count, t.early_minutes))
                div.card { span.label { (v.w("旷工（半天）", "Absent (half days)")) } strong.value.bad[t.absent_sessions > 0] { (v.count(t.absent_sessions)) } }
                div.card { span.label { (v.term(Term::Missing)) } strong.value.bad[t.missing_punches > 0] { (v.count(t.missing_punches)) } }
                (timed_card(&v, &v.term(Term::OffPost), t.off_post_count, t.off_post_minutes))
                div.card { span.label { (v.term(Term::Leave)) } strong.value { @if t.leave_minutes == 0 { "—" } @else { (format!("{:.1}", f64::from(t.leave_minutes) / 60.0)) (v.w(" 小时", " h")) } } }
            }
        }
        @if days.is_empty() {
            p.muted { (v.w("这一期间没有此人的记录。", "No days of this person in this period.")) }
        } @else {
            h2 { (v.w("每日", "Day by day")) }
            div.scroll { table {
                thead { tr {
                    th.name scope="col" { (v.w("日期", "Date")) }
                    th.name scope="col" { (v.w("单位", "Unit")) }
                    th.name scope="col" { (v.w("状态", "Status")) }
                    th scope="col" { (v.term(Term::Late)) }
                    th scope="col" { (v.term(Term::Early)) }
                    th scope="col" { (v.w("旷工（半天）", "Absent (half days)")) }
                    th scope="col" { (v.term(Term::OffPost)) }
                    th scope="col" { (v.term(Term::Missing)) }
                    th scope="col" { (v.term(Term::SpotCheckAbsent)) }
                    th.name scope="col" { (v.w("打卡", "Punches")) }
                    th.name scope="col" { (v.w("更正", "Changed")) }
                } }
                tbody {
                    @for (d, earlier) in &days {
                        @let f = &d.person.figures;
                        tr {
                            td.name { (d.date.format("%m-%d")) " " span.muted { (super::overview::weekday(&v, d.date)) } }
                            td.name { a href={ "/units/" (enc(&d.person.unit)) "?date=" (d.date) } { (d.person.unit) } }
                            td class={ "name " (status_class(d.person.status)) } { (status_word(&v, d.person.status)) }
                            td { (times(f.late_count, f.late_minutes)) }
                            td { (times(f.early_count, f.early_minutes)) }
                            td { (v.count(f.absent_sessions)) }
                            td { (times(f.off_post_count, f.off_post_minutes)) }
                            td { (v.count(f.missing_punches)) }
                            td { (v.count(f.spot_check_absences)) }
                            td.name { (super::clock_times(&d.person.punches)) }
                            td.name {
                                @if let Some(r) = revised(d, earlier) { span.warn { (revised_words(&v, d.date, &r)) } }
                            }
                        }
                        @if let Some(day) = raw.get(&(d.kiosk_id.clone(), d.date)).filter(|r| !r.is_empty()) {
                            tr.records {
                                td.name colspan="11" {
                                    span.muted { (v.w("原始记录：", "As recorded: ")) }
                                    (record_words(&v, day))
                                }
                            }
                        }
                    }
                }
            } }
            h2 { (v.w("请假", "Leave")) }
            @if leave.is_empty() { p.muted { (v.w("这一期间没有请假记录。", "No leave in this period.")) } }
            @else { ul.plain { @for (_, w) in &leave { li { (w) } } } }
            h2 { (v.w("补卡与作废", "Corrections and voids")) }
            @if corrections.is_empty() { p.muted { (v.w("这一期间没有补卡或作废。", "No corrections or voids in this period.")) } }
            @else { ul.plain { @for (d, w) in &corrections { li { (d.format("%m-%d")) " " (w) } } } }
        }
        h2 { (v.w("暗访问题与查处", "Findings and cases")) }
        (super::findings::table(&v, &found.iter().collect::<Vec<_>>()))
    };
    let title = if name.is_empty() { staff_no.clone() } else { format!("{name} · {staff_no}") };
    Html(layout(&v, &title, "/report", body).into_string()).into_response()
}
