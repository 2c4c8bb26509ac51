//! 期间报表: units and persons over a period (this month, last month, a
//! quarter or any range; one unit or all), ranked as SPEC's report — the
//! list a 通报 is written from. Its files are the API's report export
//! (`/api/v1/report?format=csv|xlsx`), which a session may read: the same
//! rows as the page. `/report.docx` is the period's 通报 draft (Word).
//!
//! With units in levels, the page ranks the units of the level under its
//! filter (a 镇 with its 村 rolled up at the top); the files and the draft
//! keep every unit (the finest level), since a 通报 names each unit and a
//! clerk's spreadsheet sums them as needed. The persons are the same rows
//! on all three.

use crate::domain::glossary::Term;
use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Response};
use chrono::{Datelike, Months, NaiveDate};
use maud::{html, Markup};

use super::{bad_request, failed, layout, Viewer};
use crate::central::api::{self, App};
use crate::central::bulletin::{self, Bulletin, Naming};
use crate::central::cases;
use crate::central::charts;
use crate::central::storage::StorageError;
use crate::central::units::Tree;
use crate::domain::summary::{self, ReportRow};

/// A period the bureau asks for, by name or as a range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    ThisMonth,
    LastMonth,
    Quarter,
    Range(NaiveDate, NaiveDate),
}

impl Period {
    /// The first and last day, counted from `today`: this month so far,
    /// last month, the current quarter so far, or the range as given.
    pub fn days(self, today: NaiveDate) -> (NaiveDate, NaiveDate) {
        let month_start = today.with_day(1).unwrap_or(today);
        match self {
            Period::ThisMonth => (month_start, today),
            Period::LastMonth => {
                let last = month_start.pred_opt().unwrap_or(month_start);
                (last.with_day(1).unwrap_or(last), last)
            }
            Period::Quarter => {
                let back = today.month0() % 3;
                (month_start.checked_sub_months(Months::new(back)).unwrap_or(month_start), today)
            }
            Period::Range(a, b) => (a, b),
        }
    }
}

/// The period of a query: `period=this-month|last-month|quarter`, or
/// `from` and `to`; at most 367 days, the end not before the start.
pub fn period_of(q: &HashMap<String, String>) -> Result<Period, String> {
    let ranged = q.contains_key("from") || q.contains_key("to");
    match q.get("period").map(String::as_str) {
        Some("last-month") => Ok(Period::LastMonth),
        Some("quarter") => Ok(Period::Quarter),
        Some("range") => range(q),
        None if ranged => range(q),
        Some("this-month") | None => Ok(Period::ThisMonth),
        Some(other) => Err(format!("period: {other:?} is not this-month, last-month, quarter or range")),
    }
}

/// `from` and `to` of a query.
fn range(q: &HashMap<String, String>) -> Result<Period, String> {
    let day = |k: &str| -> Result<NaiveDate, String> {
        let v = q.get(k).ok_or_else(|| format!("{k} is required with a range"))?;
        v.parse().map_err(|_| format!("{k}: {v:?} is not a date (YYYY-MM-DD)"))
    };
    let (a, b) = (day("from")?, day("to")?);
    if a.year() < 2000 {
        return Err("from: dates run from 2000".into());
    }
    if b < a {
        return Err("to is before from".into());
    }
    if (b - a).num_days() > 366 {
        return Err("a period covers at most 367 days".into());
    }
    Ok(Period::Range(a, b))
}

/// The period and the unit filter of a query (the page and its draft).
/// The page's form sends its radio and its dates together and runs no
/// script: dates that are not the chosen period's are a range, so
/// editing them is choosing 自定.
fn scope_of(q: &HashMap<String, String>, today: NaiveDate) -> Result<(Period, Option<String>), String> {
    let mut period = period_of(q)?;
    // `shown`: the period the form was showing. A radio changed from it
    // wins over the dates it still carries; the dates win only when the
    // radio stayed.
    let radio_stayed = q.get("shown").is_none_or(|s| Some(s) == q.get("period"));
    if radio_stayed && !matches!(period, Period::Range(..)) && q.contains_key("from") && q.contains_key("to") {
        if let Ok(Period::Range(a, b)) = range(q) {
            if (a, b) != period.days(today) {
                period = Period::Range(a, b);
            }
        }
    }
    let unit = q.get("unit").filter(|u| !u.is_empty()).cloned();
    if unit.as_ref().is_some_and(|u| !crate::central::ingest::plain_text(u, 64)) {
        return Err("unit: at most 64 characters without control characters".into());
    }
    Ok((period, unit))
}

/// What a report covers: every unit, one unit, or a unit and every unit
/// under it (a branch: 镇 with its 村). The page's unit filter is a
/// branch (a unit without units under it is just itself); the API's
/// `unit=` is one unit and its `branch=` a branch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Covers<'a> {
    All,
    Unit(&'a str),
    Branch(&'a str),
}

impl<'a> Covers<'a> {
    /// The unit named, if any.
    pub fn unit(self) -> Option<&'a str> {
        match self {
            Covers::All => None,
            Covers::Unit(u) | Covers::Branch(u) => Some(u),
        }
    }

    /// As the audit log says it.
    pub(crate) fn said(self) -> String {
        match self {
            Covers::All => "all".into(),
            Covers::Unit(u) => u.into(),
            Covers::Branch(u) => format!("{u} and units under it"),
        }
    }

    /// The units covered (`None`: all), from the district's tree: one
    /// set, so a report, its chart and its draft are each one statement
    /// (and a person who moved within a branch is one row).
    pub fn units(self, tree: &Tree) -> Option<Vec<String>> {
        match self {
            Covers::All => None,
            Covers::Unit(u) => Some(vec![u.to_string()]),
            Covers::Branch(u) => Some(tree.branch(u).into_iter().collect()),
        }
    }

    /// As [`Covers::units`], reading the tree when a branch needs it.
    pub async fn units_of(self, app: &App) -> Result<Option<Vec<String>>, StorageError> {
        Ok(match self {
            Covers::Branch(_) => self.units(&Tree::new(&app.storage.units().await?)),
            _ => self.units(&Tree::default()),
        })
    }
}

pub(super) async fn page(
    State(app): State<App>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let v = signed_in!(&app, &headers);
    let today = api::today();
    let (period, unit) = match scope_of(&q, today) {
        Ok(s) => s,
        Err(m) => return bad_request(&v, &m),
    };
    let (from, to) = period.days(today);
    let held = match app.storage.units().await {
        Ok(h) => h,
        Err(e) => return failed(e),
    };
    let tree = Tree::new(&held);
    let covers = unit.as_deref().map_or(Covers::All, Covers::Branch);
    let scope = covers.units(&tree);
    let (people, counts, found) = tokio::join!(
        app.storage.report_people(from, to, scope.as_deref()),
        app.storage.daily_counts(from, to, scope.as_deref()),
        super::findings::tally(&app, from, to, scope.as_deref())
    );
    let (mut people, counts, found) = match (people, counts, found) {
        (Ok(p), Ok(c), Ok(f)) => (p, c, f),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return failed(e),
    };
    // The unit filter's choices: the district's units, and any unit a
    // kiosk named that central does not hold; each under its parent.
    let mut unit_names: Vec<String> = held.iter().map(|u| u.name.clone()).collect();
    if unit.is_none() {
        unit_names.extend(people.iter().map(|p| p.unit.clone()));
    }
    let unit_names = tree.in_order(unit_names);
    let chart = charts::daily_chart(from, to, &counts, v.zh()).map_err(|e| eprintln!("daily chart: {e}")).ok();
    // The units ranked at the level under the filter: a 镇's 村 roll up
    // to it at the top, and a 镇 filtered shows its 村.
    let rolled: Vec<ReportRow> = people
        .iter()
        .filter_map(|p| {
            let head = tree.head_under(&p.unit, unit.as_deref())?;
            Some(ReportRow { unit: head, ..p.clone() })
        })
        .collect();
    let mut units = summary::unit_rows(&rolled);
    let in_scope = |u: &str| scope.as_ref().is_none_or(|s| s.iter().any(|x| x == u));
    crate::central::cases::count_into(&found, &mut people, &mut units, |u| {
        if in_scope(u) {
            tree.head_under(u, unit.as_deref())
        } else {
            None
        }
    });
    summary::rank(&mut people, &mut units);
    let period_query = match period {
        Period::ThisMonth => "period=this-month".to_string(),
        Period::LastMonth => "period=last-month".to_string(),
        Period::Quarter => "period=quarter".to_string(),
        Period::Range(..) => format!("period=range&from={from}&to={to}"),
    };
    let in_unit = |u: &str| format!("/report?{period_query}&unit={}", super::overview::urlencode(u));
    let branch = unit.as_ref().map_or(String::new(), |u| format!("&unit={}", super::overview::urlencode(u)));
    let export = |format: &str| {
        let mut s = format!("/api/v1/report?from={from}&to={to}&format={format}");
        if let Some(u) = &unit {
            s.push_str("&branch=");
            s.push_str(&super::overview::urlencode(u));
        }
        s
    };
    let chosen = |p: Period| match (p, period) {
        (Period::Range(..), Period::Range(..)) => true,
        (a, b) => a == b,
    };
    let unit_bars = units
        .iter()
        .map(|u| super::BarRow {
            label: u.unit.clone(),
            href: (Some(u.unit.as_str()) != unit.as_deref()).then(|| in_unit(&u.unit)),
            values: [
                u.absent_sessions,
                u.late_count,
                u.early_count,
                u.off_post_count,
                u.missing_punches,
                u.spot_check_absences,
            ]
            .to_vec(),
        })
        .collect();
    let body = html! {
        @if let Some(u) = &unit {
            nav.crumbs aria-label=(v.w("层级", "Levels")) {
                a href={ "/report?" (period_query) } { (v.w("全区", "District")) }
                @for p in tree.path(u) {
                    " › "
                    @if &p == u { strong { (p) } } @else { a href=(in_unit(&p)) { (p) } }
                }
            }
        }
        div.actions {
            a.button.primary href={ "/report.docx?" (period_query) (branch) } download { (v.w("通报草稿（Word）", "Bulletin (通报) draft, Word")) }
            a.button href=(export("xlsx")) download { "Excel" }
            a.button href=(export("csv")) download { "CSV" }
            details.options {
                summary { (v.w("通报设置", "Draft options")) }
                form.pick method="get" action="/report.docx" {
                    @for (k, val) in hidden_period(period, from, to) { input type="hidden" name=(k) value=(val); }
                    @if let Some(u) = &unit { input type="hidden" name="unit" value=(u); }
                    label { input type="radio" name="naming" value="names" checked; " " (v.w("实名", "with names")) }
                    label { input type="radio" name="naming" value="anonymous"; " " (v.w("某同志（只写单位）", "某同志 (units only)")) }
                    label { (v.w("发文单位", "Issued by")) " " input type="text" name="issuer" value=(DEFAULT_ISSUER) maxlength="40"; }
                    button { (v.w("下载通报草稿（Word）", "Download the draft (Word)")) }
                }
            }
        }
        form.pick method="get" action="/report" {
            input type="hidden" name="shown" value=(period_key(period));
            @for (p, key, zh, en) in [
                (Period::ThisMonth, "this-month", "本月", "This month"),
                (Period::LastMonth, "last-month", "上月", "Last month"),
                (Period::Quarter, "quarter", "本季度", "This quarter"),
            ] {
                label { input type="radio" name="period" value=(key) checked[chosen(p)]; " " (v.w(zh, en)) }
            }
            label { input type="radio" name="period" value="range" checked[chosen(Period::Range(from, to))]; " " (v.w("自定", "Range")) }
            input type="date" name="from" value=(from.to_string()) aria-label=(v.w("开始日期", "From"));
            input type="date" name="to" value=(to.to_string()) aria-label=(v.w("结束日期", "To"));
            label {
                (v.w("单位", "Unit")) " "
                select name="unit" {
                    option value="" { (v.w("全区", "District")) }
                    @for (shown, u) in &unit_names {
                        option value=(u) selected[unit.as_ref() == Some(u)] { (shown) }
                    }
                }
            }
            button { (v.w("查看", "Show")) }
        }
        p.muted { (v.w("期间：", "Period: ")) (from) " — " (to) (v.w("，改动日期即为自定期间。", "; editing the dates makes it a range.")) }
        @if people.is_empty() {
            p.muted { (v.w("这一期间没有记录。", "Nothing in this period.")) }
        } @else {
            h2 { (v.w("单位排名", "Units, ranked")) }
            div.scroll { (table(&v, &units, true, (from, to), Some(&in_unit), unit.as_deref())) }
            (super::stacked_bars(
                &v,
                v.w("各单位异常（人次；旷工按半天计），按排名顺序", "Units by exceptions (times; absence in half days), in the ranking's order"),
                v.w("这一期间没有任何异常。", "No exceptions in this period."),
                &REPORT_KINDS,
                unit_bars,
                super::BarOrder::AsGiven,
            ))
            @if let Some(svg) = chart {
                figure.chart {
                    figcaption { (v.w("每日迟到、早退、旷工（人次；旷工按半天计）", "Late, early and absent per day (times; absence in half days)")) }
                    (maud::PreEscaped(svg))
                }
            }
            h2 { (v.w("个人排名", "Persons, ranked")) }
            @if people.len() > PERSONS_SHOWN {
                p.muted {
                    (v.w("前 ", "The first ")) (PERSONS_SHOWN) (v.w(" 名，共 ", " of ")) (people.len())
                    (v.w(" 人；完整名单：", " persons; all of them: "))
                    a href=(export("xlsx")) download { "Excel" } " · " a href=(export("csv")) download { "CSV" }
                }
            }
            div.scroll { (table(&v, &people[..people.len().min(PERSONS_SHOWN)], false, (from, to), None, None)) }
        }
    };
    let title = match &unit {
        Some(u) => format!("{} · {u}", v.w("期间报表", "Period report")),
        None => v.w("期间报表", "Period report").to_string(),
    };
    Html(layout(&v, &title, "/report", body).into_string()).into_response()
}

/// Persons ranked on the page: the worst are what a 通报 names; a
/// province's 100,000 rows would make a page nobody reads (the files
/// have them all).
const PERSONS_SHOWN: usize = 200;

/// The exceptions of a period, in the ranking's order (SPEC's: absences,
/// then late and early, off post, missing punches), as the unit bars
/// stack them.
const REPORT_KINDS: [super::BarKind; 6] = [
    super::BarKind { zh: "旷工（半天）", en: "absent (half days)", colour: "#cf222e" },
    super::BarKind { zh: "迟到", en: "late", colour: "#d4a72c" },
    super::BarKind { zh: "早退", en: "early", colour: "#8250df" },
    super::BarKind { zh: "空岗", en: "off post", colour: "#0969da" },
    super::BarKind { zh: "缺卡", en: "missing punches", colour: "#bc4c00" },
    super::BarKind { zh: "查岗不在岗", en: "absent at spot check", colour: "#6e7781" },
];

/// A period's name in a query (`period=`).
fn period_key(period: Period) -> &'static str {
    match period {
        Period::ThisMonth => "this-month",
        Period::LastMonth => "last-month",
        Period::Quarter => "quarter",
        Period::Range(..) => "range",
    }
}

/// A period as the draft form's hidden fields.
fn hidden_period(period: Period, from: NaiveDate, to: NaiveDate) -> Vec<(&'static str, String)> {
    match period {
        Period::ThisMonth => vec![("period", "this-month".into())],
        Period::LastMonth => vec![("period", "last-month".into())],
        Period::Quarter => vec![("period", "quarter".into())],
        Period::Range(..) => vec![("period", "range".into()), ("from", from.to_string()), ("to", to.to_string())],
    }
}

/// `/report.docx`: the 通报 draft of the page's period (and unit) as
/// Word, `naming=names|anonymous`, `issuer=` (the issuing body). The API's
/// `/api/v1/bulletin` writes the same through [`draft`].
pub(super) async fn docx(
    State(app): State<App>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let v = signed_in!(&app, &headers);
    let (period, unit) = match scope_of(&q, api::today()) {
        Ok(s) => s,
        Err(m) => return bad_request(&v, &m),
    };
    let naming = match q.get("naming").map(String::as_str) {
        None | Some("names") => Naming::Names,
        Some("anonymous") => Naming::Anonymous,
        Some(other) => return bad_request(&v, &format!("naming: {other:?} is not names or anonymous")),
    };
    let issuer = match issuer_of(q.get("issuer").map(String::as_str)) {
        Ok(i) => i,
        Err(m) => return bad_request(&v, &m),
    };
    let (from, to) = period.days(api::today());
    // The comparison: last month's (or quarter's) same span.
    let months = match period {
        Period::ThisMonth | Period::LastMonth => Some(1),
        Period::Quarter => Some(3),
        Period::Range(a, b) => bulletin::whole_months(a, b),
    };
    let covers = unit.as_deref().map_or(Covers::All, Covers::Branch);
    let request = Draft { from, to, months, covers, naming, issuer: &issuer };
    match draft(&app, &v.user.name, request).await {
        Ok(bytes) => draft_file(bytes, from, to),
        Err(e) => failed(e),
    }
}

/// What a 通报 draft is asked for with.
pub struct Draft<'a> {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Whole months of the period (1 a month, 3 a quarter): the comparison
    /// goes back that many months; `None`: the same number of days before.
    pub months: Option<u32>,
    pub covers: Covers<'a>,
    pub naming: Naming,
    pub issuer: &'a str,
}

/// The issuing body a request names, or the default; at most 40
/// characters of plain text.
pub fn issuer_of(asked: Option<&str>) -> Result<String, String> {
    let issuer = asked.map_or("", str::trim);
    let issuer = if issuer.is_empty() { DEFAULT_ISSUER } else { issuer };
    if !crate::central::ingest::plain_text(issuer, 40) {
        return Err("issuer: at most 40 characters without control characters".into());
    }
    Ok(issuer.to_string())
}

/// The 通报 draft as `.docx` bytes, in the audit log as `who`'s export:
/// the period's ranking, the period before for the comparison, and the
/// days with a spot check, read at once.
pub async fn draft(app: &App, who: &str, d: Draft<'_>) -> Result<Vec<u8>, StorageError> {
    let (pf, pt) = bulletin::previous(d.from, d.to, d.months);
    let units = d.covers.units_of(app).await?;
    let (now, before, spot, found) = tokio::join!(
        app.storage.report_people(d.from, d.to, units.as_deref()),
        app.storage.report_people(pf, pt, units.as_deref()),
        app.storage.spot_check_days(d.from, d.to, units.as_deref()),
        super::findings::findings(app, Some((d.from, d.to))),
    );
    let (mut people, before, spot, mut found) = (now?, before?, spot?, found?);
    // The findings of the units the draft covers.
    found.retain(|f| units.as_ref().is_none_or(|s| s.contains(&f.current().unit)));
    let mut units = summary::unit_rows(&people);
    let tally = cases::tally(&found, d.from, d.to);
    cases::count_into(&tally, &mut people, &mut units, |u| Some(u.to_string()));
    summary::rank(&mut people, &mut units);
    let previous = summary::unit_rows(&before);
    let calling = if d.naming == Naming::Names { cases::Calling::Names } else { cases::Calling::Anonymous };
    let typical = cases::typical_cases(&found, d.from, d.to, calling);
    // A quarter's (or longer) draft: the 督查股's table of findings by unit.
    let table = d.months.is_some_and(|m| m >= 3).then(|| cases::unit_cases(&found, d.from, d.to));
    let b = Bulletin {
        from: d.from,
        to: d.to,
        unit: d.covers.unit(),
        people: &people,
        units: &units,
        previous: &previous,
        spot_checks: &spot,
        typical_cases: &typical,
        case_table: table.as_deref(),
        naming: d.naming,
        issuer: d.issuer,
        issued: api::today(),
    };
    let bytes = bulletin::docx(&b).map_err(|e| StorageError::Db(format!("the draft could not be written: {e}")))?;
    let naming = if d.naming == Naming::Names { "names" } else { "anonymous" };
    let detail = format!("bulletin {}..{} {} {naming}", d.from, d.to, d.covers.said());
    app.storage.audit(who, "export", &detail, api::now()).await?;
    Ok(bytes)
}

/// The draft as a download.
pub fn draft_file(bytes: Vec<u8>, from: NaiveDate, to: NaiveDate) -> Response {
    api::file(
        bytes,
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        &format!("tongbao-{from}-{to}.docx"),
    )
}

/// The issuing body a draft names unless the form says another.
const DEFAULT_ISSUER: &str = "区委组织部";

/// A ranked table of units or persons (SPEC's order: absences, then late
/// and early, off post, missing punches). A unit's name leads to its
/// people (`unit_link`), but not the filter's own unit, marked 本级.
fn table(
    v: &Viewer,
    rows: &[ReportRow],
    units: bool,
    (from, to): (NaiveDate, NaiveDate),
    unit_link: Option<&dyn Fn(&str) -> String>,
    own: Option<&str>,
) -> Markup {
    let times = |n: u32, m: u32| v.times(n, m);
    html! {
        table id=(if units { "units" } else { "people" }) {
            thead { tr {
                th scope="col" { "#" }
                @if !units { th.name scope="col" { (v.w("工号", "No.")) } th.name scope="col" { (v.w("姓名", "Name")) } }
                th.name scope="col" { (v.w("单位", "Unit")) }
                th.opt scope="col" { (v.w("应出勤（天）", "Expected (days)")) }
                th.opt scope="col" { (v.w("出勤（天）", "Present (days)")) }
                th scope="col" { (v.w("旷工（半天）", "Absent (half days)")) }
                th scope="col" { (v.term(Term::Late)) }
                th scope="col" { (v.term(Term::Early)) }
                th scope="col" { (v.term(Term::OffPost)) }
                th scope="col" { (v.term(Term::Missing)) }
                th scope="col" { (v.term(Term::SpotCheckAbsent)) }
                th scope="col" { (v.w("暗访问题", "Findings")) }
            } }
            tbody {
                @for (i, r) in rows.iter().enumerate() {
                    tr {
                        td { (i + 1) }
                        @if !units {
                            td.name { (r.staff_no) }
                            td.name { a href={ "/people/" (super::overview::urlencode(&r.staff_no)) "?period=range&from=" (from) "&to=" (to) } { (r.name) } }
                        }
                        td.name {
                            @match unit_link {
                                Some(link) if own != Some(r.unit.as_str()) => a href=(link(&r.unit)) { (r.unit) },
                                _ => (r.unit),
                            }
                            @if units && own == Some(r.unit.as_str()) { span.muted { (v.w("（本级）", " (own staff)")) } }
                        }
                        td.opt { (r.days_expected) }
                        td.opt { (r.days_present) }
                        td.bad[r.absent_sessions > 0] { (v.count(r.absent_sessions)) }
                        td.warn[r.late_count > 0] { (times(r.late_count, r.late_minutes)) }
                        td.warn[r.early_count > 0] { (times(r.early_count, r.early_minutes)) }
                        td.warn[r.off_post_count > 0] { (times(r.off_post_count, r.off_post_minutes)) }
                        td.bad[r.missing_punches > 0] { (v.count(r.missing_punches)) }
                        td.bad[r.spot_check_absences > 0] { (v.count(r.spot_check_absences)) }
                        td.bad[r.findings.unwrap_or(0) > 0] { (v.count(r.findings.unwrap_or(0))) }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_from_today_and_from_a_query() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        let today = d("2026-11-27");
        assert_eq!(Period::ThisMonth.days(today), (d("2026-11-01"), today));
        assert_eq!(Period::LastMonth.days(today), (d("2026-10-01"), d("2026-10-31")));
        assert_eq!(Period::Quarter.days(today), (d("2026-10-01"), today));
        assert_eq!(Period::Quarter.days(d("2026-03-05")), (d("2026-01-01"), d("2026-03-05")));
        let q = |pairs: &[(&str, &str)]| pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        assert_eq!(period_of(&q(&[])), Ok(Period::ThisMonth));
        assert_eq!(period_of(&q(&[("period", "quarter")])), Ok(Period::Quarter));
        assert_eq!(
            period_of(&q(&[("period", "range"), ("from", "2026-11-02"), ("to", "2026-11-20")])),
            Ok(Period::Range(d("2026-11-02"), d("2026-11-20")))
        );
        assert!(period_of(&q(&[("from", "2026-11-20"), ("to", "2026-11-02")])).unwrap_err().contains("before"));
        assert!(period_of(&q(&[("from", "2025-01-01"), ("to", "2026-11-02")])).unwrap_err().contains("367"));
        assert!(period_of(&q(&[("period", "week")])).unwrap_err().contains("week"));
        assert!(period_of(&q(&[("period", "range")])).unwrap_err().contains("from is required"));
        assert!(period_of(&q(&[("from", "x"), ("to", "2026-11-02")])).unwrap_err().contains("from"));
    }
}
