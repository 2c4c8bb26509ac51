//! 作息与日历: the district's schedules and holiday calendar as central
//! keeps them, for admin accounts. Each schedule as a kiosk builds it
//! (sessions, breaks, workdays, thresholds, duty kinds), its seasons with
//! the one in force today marked (one file moves the district to its
//! summer hours on the day the season starts), how many people are on
//! it; the calendar years held. A change is a new file uploaded (the
//! current one downloads as TOML to edit), checked as a kiosk checks it:
//! a form per field would be a second, weaker editor of the same file.

use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use chrono::{Datelike, NaiveDate};
use maud::{html, Markup};

use super::{csrf, forbidden, input_error, Role};
use crate::central::api::{self, App};
use crate::central::master::{self, Stints};
use crate::central::pages::{failed, Viewer};
use crate::domain::config::Config;
use crate::domain::master::Change;
use crate::domain::rules::{ClockSpan, Schedule, Timetable};

/// The district's schedules as stored: their JSON and version, if any.
async fn stored(app: &App) -> Result<Option<(serde_json::Value, u64)>, Response> {
    let row = app.storage.master_one(master::RULES, "schedules").await.map_err(failed)?;
    Ok(row.and_then(|r| match serde_json::from_str::<Change>(&r.content) {
        Ok(Change::Rules { schedules }) => Some((schedules, r.version)),
        _ => None,
    }))
}

fn spans(v: &[ClockSpan]) -> String {
    if v.is_empty() {
        return "—".to_string();
    }
    v.iter().map(|s| format!("{}–{}", s.start.format("%H:%M"), s.end.format("%H:%M"))).collect::<Vec<_>>().join("、")
}

fn timetable(v: &Viewer, t: &Timetable) -> Markup {
    html! {
        (spans(&t.sessions))
        @if !t.breaks.is_empty() { " " span.muted { (v.w("（休息 ", "(breaks ")) (spans(&t.breaks)) (v.w("）", ")")) } }
    }
}

fn workdays(v: &Viewer, s: &Schedule) -> String {
    let zh = ["一", "二", "三", "四", "五", "六", "日"];
    let en = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    let days: Vec<&str> = (0..7).filter(|i| s.workdays[*i]).map(|i| if v.zh() { zh[i] } else { en[i] }).collect();
    match v.zh() {
        true => format!("周{}", days.join("、")),
        false => days.join(", "),
    }
}

fn one(v: &Viewer, s: &Schedule, people: usize, today: NaiveDate) -> Markup {
    let th = &s.thresholds;
    let now_season = s.seasons.iter().position(|x| std::ptr::eq(s.timetable_on(today), &x.timetable));
    html! {
        h2 { (s.name) " " span.muted { (people) (v.w(" 人", " people")) } }
        table {
            tbody {
                tr { th.name scope="row" { (v.w("上班时段", "Sessions")) } td.name {
                    (timetable(v, &s.timetable))
                    @if now_season.is_none() { " " strong { (v.w("（今日适用）", "(today)")) } }
                } }
                @for (i, season) in s.seasons.iter().enumerate() {
                    tr { th.name scope="row" {
                        (v.w("季节作息 ", "Season ")) (format!("{:02}-{:02} – {:02}-{:02}", season.from.0, season.from.1, season.to.0, season.to.1))
                    } td.name {
                        (timetable(v, &season.timetable))
                        @if now_season == Some(i) { " " strong { (v.w("（今日适用）", "(today)")) } }
                    } }
                }
                tr { th.name scope="row" { (v.w("工作日", "Workdays")) } td.name { (workdays(v, s)) (v.w("（节假日按日历）", " (holidays by the calendar)")) } }
                tr { th.name scope="row" { (v.w("日界、时区", "Day starts, zone")) } td.name { (s.day_starts_at.format("%H:%M")) " · " (s.tz.name()) } }
                tr { th.name scope="row" { (v.w("宽限（分钟）", "Grace (minutes)")) } td.name {
                    (v.w("迟到 ", "late ")) (th.late_grace_minutes) (v.w("，早退 ", ", early ")) (th.early_grace_minutes)
                    (v.w("，离岗 ", ", off post ")) (th.off_post_grace_minutes)
                    (v.w("；迟到、早退超过 ", "; late or early by more than ")) (th.absent_after_minutes)
                    (v.w(" 分钟记旷工", " minutes is absent"))
                } }
                tr { th.name scope="row" { (v.w("公出类别", "Duty kinds")) } td.name { (s.duty_kinds.join("、")) } }
            }
        }
    }
}

/// `/admin/schedules`: the district's schedules and calendar years.
pub(in crate::central::pages) async fn page(State(app): State<App>, headers: HeaderMap) -> Response {
    let v = admin_in!(&app, &headers);
    let stored = match stored(&app).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let stints = match Stints::load(&*app.storage, None).await {
        Ok(s) => s,
        Err(e) => return failed(e),
    };
    let years = match app.storage.master_current(master::CALENDAR, None).await {
        Ok(rows) => rows
            .into_iter()
            .filter_map(|r| match serde_json::from_str::<Change>(&r.content) {
                Ok(Change::Calendar { year, days }) => {
                    Some((year, days.iter().filter(|d| d.off).count(), days.iter().filter(|d| !d.off).count()))
                }
                _ => None,
            })
            .collect::<Vec<_>>(),
        Err(e) => return failed(e),
    };
    let today = api::today();
    let built = stored.as_ref().map(|(json, version)| (Config::for_judging("central", &[], json), *version));
    let on = |name: &str| stints.all().into_iter().filter(|p| p.active_on(today) && p.schedule == name).count();
    let body = html! {
        @match &built {
            None => p.muted { (v.w("中心尚未保存作息：各终端按自己 config.toml 的 [schedules] 考勤。上传一份作息文件后，所有 master = true 的终端都改用它。",
                                   "Central keeps no schedules yet: each kiosk judges by its own config.toml's [schedules]. Once a schedules file is uploaded, every kiosk with master = true judges by it.")) },
            Some((Err(m), version)) => p role="alert" { (v.w("保存的作息（版本 ", "The stored schedules (version ")) (version) (v.w("）无法读取：", ") cannot be read: ")) (m) },
            Some((Ok(config), version)) => {
                p.muted {
                    (v.w("全区作息，版本 ", "The district's schedules, version ")) (version)
                    (v.w("。人员的班次名不在其中的，按 default 考勤。", ". People on a schedule not listed are judged by default."))
                    " " a href="/admin/schedules.toml" { (v.w("下载当前作息（TOML）", "Download as TOML")) }
                }
                @for s in config.schedules.values() { (one(&v, s, on(&s.name), today)) }
            }
        }
        h2 { (v.w("更换作息", "Replace the schedules")) }
        p.muted { (v.w("上传 config.toml 的 [schedules.名称] 部分（可含 [[schedules.名称.seasons]] 夏令作息：到了季节的起始日全区自动改用）。出错时不作任何更改，并指出错在哪一项。终端收到新作息后会自动重启以采用。",
                       "Upload the [schedules.NAME] tables of a config.toml (with [[schedules.NAME.seasons]]: the district moves to a season's hours on its first day). A file with an error changes nothing and names the key. Kiosks restart by themselves to take new schedules.")) }
        form.stack method="post" action="/admin/files" enctype="multipart/form-data" {
            (csrf(&v))
            input type="hidden" name="kind" value="rules";
            input type="file" name="file" accept=".toml,text/plain" required;
            button { (v.w("上传作息", "Upload schedules")) }
        }
        h2 { (v.w("节假日日历", "Holiday calendar")) }
        @if years.is_empty() {
            p.muted { (v.w("中心尚未保存日历年份。", "Central keeps no calendar year yet.")) }
        } @else {
            table {
                thead { tr { @for c in [v.w("年份", "Year"), v.w("放假日", "Days off"), v.w("调休上班日", "Make-up workdays")] { th.name scope="col" { (c) } } } }
                tbody { @for (year, off, on) in &years {
                    tr {
                        td.name { (year) @if *year == today.year() { " " span.muted { (v.w("（今年）", "(this year)")) } } }
                        td { (off) } td { (on) }
                    }
                } }
            }
        }
        form.stack method="post" action="/admin/files" enctype="multipart/form-data" {
            (csrf(&v))
            input type="hidden" name="kind" value="calendar";
            label { (v.w("holiday-cn 的年度 JSON（如 2027.json）", "A holiday-cn year's JSON (e.g. 2027.json)")) " "
                input type="file" name="file" accept=".json,application/json" required; }
            button { (v.w("上传日历", "Upload calendar")) }
        }
    };
    super::page(&v, v.w("作息与日历", "Schedules and calendar"), "/admin/schedules", body)
}

/// `/admin/schedules.toml`: the district's schedules as the TOML file an
/// admin edits and uploads again.
pub(in crate::central::pages) async fn toml_file(State(app): State<App>, headers: HeaderMap) -> Response {
    let v = admin_in!(&app, &headers);
    let Some((json, _)) = (match stored(&app).await {
        Ok(s) => s,
        Err(r) => return r,
    }) else {
        return input_error(&v, "/admin/schedules", v.w("中心尚未保存作息。", "Central keeps no schedules yet."));
    };
    let text = toml::Value::try_from(serde_json::json!({ "schedules": json }))
        .map_err(|e| e.to_string())
        .and_then(|t| toml::to_string_pretty(&t).map_err(|e| e.to_string()));
    match text {
        Ok(t) => (
            [
                (header::CONTENT_TYPE, "application/toml; charset=utf-8"),
                (header::CONTENT_DISPOSITION, "attachment; filename=\"schedules.toml\""),
            ],
            t,
        )
            .into_response(),
        Err(m) => input_error(&v, "/admin/schedules", &format!("the stored schedules do not write as TOML: {m}")),
    }
}
