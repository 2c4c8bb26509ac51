//! 终端: every kiosk with its last upload, its clock against the server's,
//! the newest date and revision it sent, the days it has not sent, and
//! its record chain (ok / rewound / forked) in colour, and how far the
//! server holds and has verified its records (a break in red, with its
//! record's number), and its days judged again at the server from those
//! records (a day that differs in red, with the people and figures).

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Response};
use maud::html;

use super::{failed, layout};
use crate::central::api::{self, App};
use crate::central::storage::{ChainState, DAILY_BYTES};
use crate::domain::config::Language;
use crate::domain::glossary::field_label;
use crate::domain::rejudge::Difference;

/// Days that differ listed per kiosk on the page (the API lists them all).
const SHOWN_DIFFERING: usize = 5;

/// A day's differences in words: "张三（0012）迟到次数 9 → 0；…", the
/// kiosk's figure first; at most five.
fn difference_words(detail: &str, lang: Language) -> String {
    let diffs: Vec<Difference> = serde_json::from_str(detail).unwrap_or_default();
    let mut words: Vec<String> = diffs
        .iter()
        .take(5)
        .map(|d| {
            let who = if d.staff_no.is_empty() { String::new() } else { format!("{}（{}）", d.name, d.staff_no) };
            format!("{who}{} {} → {}", field_label(&d.field, lang), d.kiosk, d.central)
        })
        .collect();
    if diffs.len() > 5 {
        words.push(format!("… ({})", diffs.len()));
    }
    words.join("；")
}

/// A clock offset in words: "+3 s" (the kiosk is behind), "−2 min".
fn offset_words(ms: i64) -> String {
    let s = ms / 1000;
    let sign = if s < 0 { "−" } else { "+" };
    match s.unsigned_abs() {
        a if a < 120 => format!("{sign}{a} s"),
        a if a < 7200 => format!("{sign}{} min", a / 60),
        a => format!("{sign}{} h", a / 3600),
    }
}

pub(super) async fn page(State(app): State<App>, headers: HeaderMap) -> Response {
    let v = signed_in!(&app, &headers);
    let kiosks = match app.storage.kiosks(api::today()).await {
        Ok(k) => k,
        Err(e) => return failed(e),
    };
    // The days that differ, for the kiosks that have any (a few each).
    let mut differing = std::collections::HashMap::new();
    for k in kiosks.iter().filter(|k| k.rejudged.differing > 0) {
        match app.storage.differing(&k.id, SHOWN_DIFFERING).await {
            Ok(d) => differing.insert(k.id.clone(), d),
            Err(e) => return failed(e),
        };
    }
    let lang = v.lang;
    let body = html! {
        @if kiosks.is_empty() {
            p.muted { (v.w("还没有终端。", "No kiosks yet.")) }
        } @else {
            table {
                thead { tr {
                    th.name scope="col" { (v.w("终端", "Kiosk")) }
                    th.name scope="col" { (v.w("单位", "Units")) }
                    th.name scope="col" { (v.w("最近上报", "Last seen")) }
                    th scope="col" { (v.w("时钟偏差", "Clock offset")) }
                    th.name scope="col" { (v.w("最新日期 / 版本", "Latest date / revision")) }
                    th.name scope="col" { (v.w("缺报日期", "Days without a summary")) }
                    th.name scope="col" { (v.w("记录链", "Record chain")) }
                    th.name scope="col" { (v.w("原始记录", "Records held")) }
                    th.name scope="col" { (v.w("复核", "Judged again")) }
                    th scope="col" { (v.w("今日上传", "Uploaded today")) }
                } }
                tbody {
                    @for k in &kiosks {
                        tr {
                            td.name { (k.id) @if k.revoked { " " span.muted { (v.w("（已停用）", "(revoked)")) } } }
                            td.name { (k.units.join("、")) }
                            td.name { @match k.last_seen { Some(t) => (api::rfc3339(t)), None => span.muted { "—" } } }
                            td.warn[k.clock_offset_ms.is_some_and(|o| o.abs() >= 60_000)] {
                                @match k.clock_offset_ms { Some(o) => (offset_words(o)), None => "—" }
                            }
                            td.name { @match k.latest { Some((d, r)) => { (d) " · r" (r) }, None => span.muted { "—" } } }
                            td.name.bad[!k.missing_days.is_empty()] {
                                @if k.missing_days.is_empty() { "—" } @else {
                                    @for d in k.missing_days.iter().take(10) { (d) " " }
                                    @if k.missing_days.len() > 10 { "… (" (k.missing_days.len()) ")" }
                                }
                            }
                            td.name {
                                @match k.chain {
                                    ChainState::Ok => span.ok { (v.w("正常", "ok")) },
                                    ChainState::Rewound => span.bad { (v.w("回退", "rewound")) },
                                    ChainState::Forked => span.bad { (v.w("分叉", "forked")) },
                                }
                            }
                            td.name {
                                @match k.records.broken_at {
                                    Some(at) => span.bad {
                                        (v.w(&format!("第 {at} 条起不连续"), &format!("broken at record {at}")))
                                    },
                                    None if k.records.stored_to == 0 => span.muted { "—" },
                                    None => span.ok {
                                        (v.w(&format!("已核对至第 {} 条", k.records.stored_to), &format!("verified to record {}", k.records.stored_to)))
                                    },
                                }
                                @if k.records.broken_at.is_some() && k.records.stored_to > 0 {
                                    " " span.muted { (v.w(&format!("（已核对至第 {} 条）", k.records.stored_to), &format!("(verified to {})", k.records.stored_to))) }
                                }
                            }
                            td.name {
                                @let r = k.rejudged;
                                @if r.differing > 0 {
                                    span.bad { (v.w(&format!("{} 天与记录不符", r.differing), &format!("{} days differ from the records", r.differing))) }
                                    @for d in differing.get(&k.id).into_iter().flatten() {
                                        br;
                                        span.bad { (d.date) " r" (d.revision) "：" (difference_words(&d.detail, lang)) }
                                    }
                                } @else if r.checked > 0 {
                                    span.ok { (v.w(&format!("{} 天一致", r.checked), &format!("{} days agree", r.checked))) }
                                } @else if r.waiting + r.unjudgeable == 0 {
                                    span.muted { "—" }
                                }
                                @if r.waiting > 0 {
                                    " " span.muted { (v.w(&format!("{} 天待核", r.waiting), &format!("{} waiting", r.waiting))) }
                                }
                                @if r.unjudgeable > 0 {
                                    " " span.muted { (v.w(&format!("{} 天无法复核", r.unjudgeable), &format!("{} cannot be judged", r.unjudgeable))) }
                                }
                            }
                            td.warn[k.bytes_today * 5 >= DAILY_BYTES * 4] {
                                ((k.bytes_today + 1023) / 1024) " / " (DAILY_BYTES / 1024) " KiB"
                            }
                        }
                    }
                }
            }
            p.muted { (v.w("时钟偏差：服务器时间减终端时间（+ 表示终端慢）。", "Clock offset: server time minus kiosk time (+: the kiosk is behind).")) }
            p.muted { (v.w("复核：服务器按终端上报的规则和原始记录重新计算每个日汇总，与终端上报的比对；不符的日期列出人员和数字（终端 → 服务器）。待核：记录或规则尚未全部到达。", "Judged again: the server judges each summary again from the kiosk's records with the rules it declared and compares; a day that differs lists the people and figures (kiosk → server). Waiting: its records or rules have not all arrived.")) }
            p.muted { (v.w("今日上传：终端今天已存入的日汇总字节数及每日上限；超过上限的上传被拒（429），次日恢复。", "Uploaded today: the bytes of summaries a kiosk stored today, and its daily budget; past it uploads are refused (429) until tomorrow.")) }
        }
    };
    Html(layout(&v, v.w("终端", "Kiosks"), "/kiosks", body).into_string()).into_response()
}

#[cfg(test)]
mod tests {
    #[test]
    fn clock_offsets_in_words() {
        assert_eq!(super::offset_words(3_400), "+3 s");
        assert_eq!(super::offset_words(-300_000), "−5 min");
        assert_eq!(super::offset_words(10_800_000), "+3 h");
    }
}
