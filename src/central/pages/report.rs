//! 期间报表: units and persons over a period (this month, last month, a
//! quarter or any range; one unit or all), ranked as SPEC's report — the
//! list a 通报 is written from. Its files are the API's report export
//! (`/api/v1/report?format=csv|xlsx`), which a session may read: the same
//! rows as the page. `/report.docx` is the period's 通报 draft (Word).

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
use crate::central::charts;
use crate::central::storage::StorageError;
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
fn scope_of(q: &HashMap<String, String>) -> Result<(Period, Option<String>), String> {
    let period = period_of(q)?;
    let unit = q.get("unit").filter(|u| !u.is_empty()).cloned();
    if unit.as_ref().is_some_and(|u| !crate::central::ingest::plain_text(u, 64)) {
        return Err("unit: at most 64 characters without control characters".into());
    }
    Ok((period, unit))
}

pub(super) async fn page(
    State(app): State<App>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let v = signed_in!(&app, &headers);
    let (period, unit) = match scope_of(&q) {
        Ok(s) => s,
        Err(m) => return bad_request(&v, &m),
    };
    let (from, to) = period.days(api::today());
    // Read at once (on two of the readers): every person (the unit
    // filter's choices), the unit's days when filtered, and the chart.
    let s = &app.storage;
    let filtered = async {
        match &unit {
            None => Ok(None),
            Some(u) => s.report_people(from, to, Some(u)).await.map(Some),
        }
    };
    let read = tokio::join!(s.report_people(from, to, None), filtered, s.daily_counts(from, to, unit.as_deref()));
    let (all, filtered, counts) = match read {
        (Ok(a), Ok(f), Ok(c)) => (a, f, c),
        (Err(e), ..) | (_, Err(e), _) | (.., Err(e)) => return failed(e),
    };
    // The unit filter's choices: every unit with data in the period.
    let mut unit_names: Vec<String> = all.iter().map(|p| p.unit.clone()).collect();
    unit_names.sort();
    unit_names.dedup();
    // With a unit: the days spent in it, as the API's export counts them
    // (the page and its files show the same numbers).
    let mut people: Vec<ReportRow> = filtered.unwrap_or(all);
    let chart = charts::daily_chart(from, to, &counts, v.zh()).map_err(|e| eprintln!("daily chart: {e}")).ok();
    let mut units = summary::unit_rows(&people);
    summary::rank(&mut people, &mut units);
    let chosen = |p: Period| match (p, period) {
        (Period::Range(..), Period::Range(..)) => true,
        (a, b) => a == b,
    };
    let export = |format: &str| {
        let mut s = format!("/api/v1/report?from={from}&to={to}&format={format}");
        if let Some(u) = &unit {
            s.push_str("&unit=");
            s.push_str(&super::overview::urlencode(u));
        }
        s
    };
    let body = html! {
        form.pick method="get" action="/report" {
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
                    option value="" { (v.w("全部", "All")) }
                    @for u in &unit_names { option value=(u) selected[unit.as_ref() == Some(u)] { (u) } }
                }
            }
            button { (v.w("查看", "Show")) }
        }
        p { (v.w("期间", "Period")) "：" (from) " — " (to) }
        @if people.is_empty() {
            p.muted { (v.w("这一期间没有记录。", "Nothing in this period.")) }
        } @else {
            @if let Some(svg) = chart {
                figure.chart {
                    figcaption { (v.w("每日迟到、早退、旷工（人次；旷工按半天计）", "Late, early and absent per day (times; absence in half days)")) }
                    (maud::PreEscaped(svg))
                }
            }
            h2 { (v.w("单位排名", "Units, ranked")) }
            (table(&v, &units, true, (from, to)))
            h2 { (v.w("个人排名", "Persons, ranked")) }
            (table(&v, &people, false, (from, to)))
            p.files {
                a href=(export("csv")) download { (v.w("下载 CSV", "Download CSV")) }
                a href=(export("xlsx")) download { (v.w("下载 Excel", "Download Excel")) }
            }
            form.pick method="get" action="/report.docx" {
                @match period {
                    Period::ThisMonth => input type="hidden" name="period" value="this-month";,
                    Period::LastMonth => input type="hidden" name="period" value="last-month";,
                    Period::Quarter => input type="hidden" name="period" value="quarter";,
                    Period::Range(..) => {
                        input type="hidden" name="period" value="range";
                        input type="hidden" name="from" value=(from.to_string());
                        input type="hidden" name="to" value=(to.to_string());
                    }
                }
                @if let Some(u) = &unit { input type="hidden" name="unit" value=(u); }
                strong { (v.w("通报草稿", "The 通报 draft")) }
                label { input type="radio" name="naming" value="names" checked; " " (v.w("实名", "with names")) }
                label { input type="radio" name="naming" value="anonymous"; " " (v.w("某同志（只写单位）", "某同志 (units only)")) }
                label { (v.w("发文单位", "Issued by")) " " input type="text" name="issuer" value=(DEFAULT_ISSUER) maxlength="40"; }
                button { (v.w("下载通报草稿（Word）", "Download the draft (Word)")) }
            }
        }
    };
    Html(layout(&v, v.w("期间报表", "Period report"), "/report", body).into_string()).into_response()
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
    let (period, unit) = match scope_of(&q) {
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
    let request = Draft { from, to, months, unit: unit.as_deref(), naming, issuer: &issuer };
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
    pub unit: Option<&'a str>,
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
    let (now, before, spot) = tokio::join!(
        app.storage.report_people(d.from, d.to, d.unit),
        app.storage.report_people(pf, pt, d.unit),
        app.storage.spot_check_days(d.from, d.to, d.unit),
    );
    let (mut people, before, spot) = (now?, before?, spot?);
    let mut units = summary::unit_rows(&people);
    summary::rank(&mut people, &mut units);
    let previous = summary::unit_rows(&before);
    let b = Bulletin {
        from: d.from,
        to: d.to,
        unit: d.unit,
        people: &people,
        units: &units,
        previous: &previous,
        spot_checks: &spot,
        naming: d.naming,
        issuer: d.issuer,
        issued: api::today(),
    };
    let bytes = bulletin::docx(&b).map_err(|e| StorageError::Db(format!("the draft could not be written: {e}")))?;
    let naming = if d.naming == Naming::Names { "names" } else { "anonymous" };
    let detail = format!("bulletin {}..{} {} {naming}", d.from, d.to, d.unit.unwrap_or("all"));
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
/// and early, off post, missing punches).
fn table(v: &Viewer, rows: &[ReportRow], units: bool, (from, to): (NaiveDate, NaiveDate)) -> Markup {
    let times = |n: u32, m: u32| v.times(n, m);
    html! {
        table {
            thead { tr {
                th scope="col" { "#" }
                @if !units { th.name scope="col" { (v.w("工号", "No.")) } th.name scope="col" { (v.w("姓名", "Name")) } }
                th.name scope="col" { (v.w("单位", "Unit")) }
                th scope="col" { (v.w("应出勤", "Expected")) }
                th scope="col" { (v.w("出勤", "Present")) }
                th scope="col" { (v.w("旷工（半天）", "Absent (half days)")) }
                th scope="col" { (v.term(Term::Late)) }
                th scope="col" { (v.term(Term::Early)) }
                th scope="col" { (v.term(Term::OffPost)) }
                th scope="col" { (v.term(Term::Missing)) }
                th scope="col" { (v.term(Term::SpotCheckAbsent)) }
            } }
            tbody {
                @for (i, r) in rows.iter().enumerate() {
                    tr {
                        td { (i + 1) }
                        @if !units {
                            td.name { (r.staff_no) }
                            td.name { a href={ "/people/" (super::overview::urlencode(&r.staff_no)) "?period=range&from=" (from) "&to=" (to) } { (r.name) } }
                        }
                        td.name { (r.unit) }
                        td { (r.days_expected) }
                        td { (r.days_present) }
                        td.bad[r.absent_sessions > 0] { (r.absent_sessions) }
                        td.warn[r.late_count > 0] { (times(r.late_count, r.late_minutes)) }
                        td.warn[r.early_count > 0] { (times(r.early_count, r.early_minutes)) }
                        td.warn[r.off_post_count > 0] { (times(r.off_post_count, r.off_post_minutes)) }
                        td.bad[r.missing_punches > 0] { (r.missing_punches) }
                        td.bad[r.spot_check_absences > 0] { (r.spot_check_absences) }
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
