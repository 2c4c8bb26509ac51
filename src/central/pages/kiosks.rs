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

use super::{ago, failed, layout, local_minute};
use crate::central::api::{self, App};
use crate::central::storage::{ChainState, DAILY_BYTES};
use crate::domain::config::Language;
use crate::domain::glossary::field_label;
use crate::domain::rejudge::Difference;

/// A kiosk heard from within this long is online (it pulls every 30 s
/// and sends as it punches; ten minutes spans a restart or a short
/// network outage).
const ONLINE_MS: i64 = 10 * 60 * 1000;

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
    let now = api::now();
    let body = html! {
        @if kiosks.is_empty() {
            p.muted { (v.w("还没有终端。", "No kiosks yet.")) }
        } @else {
            div.scroll { table {
                thead { tr {
                    th.name scope="col" { (v.w("终端", "Kiosk")) }
                    th.name scope="col" { (v.w("位置", "Place")) }
                    th.name scope="col" { (v.w("状态", "State")) }
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
                            td.name {
                                strong { (k.name.as_deref().unwrap_or(&k.id)) }
                                @if k.name.is_some() { br; span.muted { (k.id) } }
                                @if k.revoked { " " span.muted { (v.w("（已停用）", "(revoked)")) } }
                            }
                            td.name {
                                (k.units.join("、"))
                                @if !k.doors.is_empty() { br; span.muted { (v.w("兼作门岗：", "also a door of ")) (k.doors.join("、")) } }
                            }
                            td.name {
                                @match k.last_seen {
                                    _ if k.revoked => span.badge.muted { (v.w("已停用", "revoked")) },
                                    Some(t) if now - t <= ONLINE_MS => span.badge.ok { (v.w("在线", "online")) },
                                    _ => span.badge.muted { (v.w("离线", "offline")) },
                                }
                                br;
                                @match (k.last_seen, k.latest) {
                                    (_, None) => span.bad { (v.w("从未上报", "never sent")) },
                                    (Some(t), _) => span.muted title=(local_minute(t)) { (ago(&v, now, t)) },
                                    (None, Some(_)) => span.muted { "—" },
                                }
                            }
                            td.warn[k.clock_offset_ms.is_some_and(|o| o.abs() >= 60_000)] {
                                @match k.clock_offset_ms { Some(o) => (offset_words(o)), None => "—" }
                            }
                            td.name { @match k.latest { Some((d, r)) => { (d) " · " (v.w("第 ", "revision ")) (r) (v.w(" 版", "")) }, None => span.muted { "—" } } }
                            td.name.bad[!k.missing_days.is_empty()] {
                                @if k.missing_days.is_empty() { "—" } @else {
                                    @for d in k.missing_days.iter().take(10) { (d) " " }
                                    @if k.missing_days.len() > 10 { "… (" (k.missing_days.len()) ")" }
                                }
                            }
                            td.name {
                                @match k.chain {
                                    _ if k.latest.is_none() && k.records.stored_to == 0 => span.muted { "—" },
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
                                        span.bad { (d.date) " " (v.w("第 ", "revision ")) (d.revision) (v.w(" 版", "")) "：" (difference_words(&d.detail, lang)) }
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
                                ((k.bytes_today + 1023) / 1024) " KiB / " (DAILY_BYTES / 1024 / 1024) " MiB"
                            }
                        }
                    }
                }
            } }
            details.glossary open[kiosks.iter().any(|k| k.latest.is_none() || k.chain != ChainState::Ok)] {
            summary { (v.w("这些词的意思", "What these words mean")) }
            dl.facts {
                dt { (v.w("在线", "Online")) } dd { (v.w("10 分钟内与服务器联系过；离线的终端照常打卡，恢复联网后补传。", "in touch with the server in the last 10 minutes; an offline kiosk still takes punches and sends them when it is back.")) }
                dt { (v.w("从未上报", "Never sent")) } dd { (v.w("登记后还没有上报过任何日汇总：检查网络、终端配置中的服务器地址和令牌。", "no daily summary since it was registered: check its network, and the server address and token in its configuration.")) }
                dt { (v.w("记录链 正常", "Chain ok")) } dd { (v.w("终端的每条记录都接在上一条之后（带校验），与之前上报的一致：没有记录被删改。", "each of the kiosk's records follows the one before (with a checksum) and agrees with what it sent before: nothing was deleted or changed.")) }
                dt { (v.w("回退", "Rewound")) } dd { (v.w("终端的记录比它之前上报的少：存储卡可能被换回旧的或数据被删，须到现场核查。", "the kiosk holds fewer records than it sent before: its card may have been swapped for an older one or records deleted; check on site.")) }
                dt { (v.w("分叉", "Forked")) } dd { (v.w("同一序号出现了两条不同的记录：记录被改动过，须到现场核查。", "two different records with the same number: records were changed; check on site.")) }
                dt { (v.w("原始记录", "Records held")) } dd { (v.w("服务器已收到并逐条核对过的终端原始记录（打卡、补卡、请假、查岗）条数；不连续表示中间缺了记录。", "how many of the kiosk's records (punches, corrections, leave, spot checks) the server holds and has checked one by one; broken: a record is missing in between.")) }
                dt { (v.w("无法复核", "Cannot be judged")) } dd { (v.w("服务器无法按终端上报的规则重算这一天（规则或记录不全、终端版本过旧）：数字以终端上报为准。", "the server cannot judge that day again from the kiosk's declared rules (rules or records incomplete, an older kiosk): the kiosk's figures stand.")) }
            }
            p.muted { (v.w("时钟偏差：服务器时间减终端时间（+ 表示终端慢）。", "Clock offset: server time minus kiosk time (+: the kiosk is behind).")) }
            p.muted { (v.w("复核：服务器按终端上报的规则和原始记录重新计算每个日汇总，与终端上报的比对；不符的日期列出人员和数字（终端 → 服务器）。待核：记录或规则尚未全部到达。", "Judged again: the server judges each summary again from the kiosk's records with the rules it declared and compares; a day that differs lists the people and figures (kiosk → server). Waiting: its records or rules have not all arrived.")) }
            p.muted { (v.w("今日上传：终端今天已存入的日汇总字节数及每日上限；超过上限的上传被拒（429），次日恢复。", "Uploaded today: the bytes of summaries a kiosk stored today, and its daily budget; past it uploads are refused (429) until tomorrow.")) }
            }
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
