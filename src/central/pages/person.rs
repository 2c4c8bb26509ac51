//! A person's history: day by day with status and figures over a period;
//! a day whose summary was revised for this person says so ("第 2 版，修订于
//! …（因更正）").

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Response};
use maud::html;

use super::overview::{status_class, status_word};
use super::report::period_of;
use super::{bad_request, failed, layout};
use crate::central::api::{self, App};
use crate::central::storage::{Earlier, PersonDay};
use crate::domain::time::Instant;

/// When a person's day became what it is now, if it was ever otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Revised {
    /// The revision that first carried the person's present row.
    pub revision: i64,
    pub at: Instant,
    /// The present row counts more corrections than the row before it.
    pub after_correction: bool,
}

/// Whether `day` was revised for this person: the kiosk re-sends a whole
/// day when anyone's record changes, so a newer revision in which this
/// person's row is the same as before is not a revision of their day.
/// Walks back from the latest revision while the person's row is the
/// same; the first differing (or absent) row is what it was revised from.
pub(super) fn revised(day: &PersonDay, earlier: &[Earlier]) -> Option<Revised> {
    let (mut revision, mut at) = (day.revision, day.received_at);
    for e in earlier.iter().rev() {
        match &e.person {
            Some(p) if *p == day.person => (revision, at) = (e.revision, e.received_at),
            before => {
                let corrections = before.as_ref().map_or(0, |p| p.figures.corrections);
                return Some(Revised { revision, at, after_correction: day.person.figures.corrections > corrections });
            }
        }
    }
    None
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
    let (from, to) = match period_of(&q) {
        Ok(p) => p.days(api::today()),
        Err(m) => return bad_request(&v, &m),
    };
    let days = match app.storage.person_history(&staff_no, from, to).await {
        Ok(d) => d,
        Err(e) => return failed(e),
    };
    let name = days.first().map(|(d, _)| d.person.name.clone()).unwrap_or_default();
    let min = v.w(" 分钟", " min");
    let times = |n: u32, m: u32| if n == 0 { "—".to_string() } else { format!("{n} × {m}{min}") };
    let body = html! {
        form.pick method="get" action={ "/people/" (super::overview::urlencode(&staff_no)) } {
            input type="hidden" name="period" value="range";
            label { (v.w("从", "From")) " " input type="date" name="from" value=(from.to_string()); }
            label { (v.w("到", "to")) " " input type="date" name="to" value=(to.to_string()); }
            button { (v.w("查看", "Show")) }
        }
        @if days.is_empty() {
            p.muted { (v.w("这一期间没有此人的记录。", "No days of this person in this period.")) }
        } @else {
            table {
                thead { tr {
                    th.name scope="col" { (v.w("日期", "Date")) }
                    th.name scope="col" { (v.w("单位", "Unit")) }
                    th.name scope="col" { (v.w("状态", "Status")) }
                    th scope="col" { (v.w("迟到", "Late")) }
                    th scope="col" { (v.w("早退", "Early")) }
                    th scope="col" { (v.w("旷工（半天）", "Absent (half days)")) }
                    th scope="col" { (v.w("空岗", "Off post")) }
                    th scope="col" { (v.w("缺卡", "Missing")) }
                    th scope="col" { (v.w("查岗不在岗", "Spot check")) }
                    th.name scope="col" { (v.w("打卡", "Punches")) }
                    th.name scope="col" { (v.w("版本", "Revision")) }
                } }
                tbody {
                    @for (d, earlier) in &days {
                        @let f = &d.person.figures;
                        tr {
                            td.name { (d.date) }
                            td.name { (d.person.unit) }
                            td class={ "name " (status_class(d.person.status)) } { (status_word(&v, d.person.status)) }
                            td { (times(f.late_count, f.late_minutes)) }
                            td { (times(f.early_count, f.early_minutes)) }
                            td { (f.absent_sessions) }
                            td { (times(f.off_post_count, f.off_post_minutes)) }
                            td { (f.missing_punches) }
                            td { (f.spot_check_absences) }
                            td.name { (d.person.punches.join(" ")) }
                            td.name {
                                @match revised(d, earlier) {
                                    None => span.muted { "r" (d.revision) },
                                    Some(r) => span.warn {
                                        (v.w("第 ", "revision ")) (r.revision) (v.w(" 版，", ", "))
                                        (v.w("修订于 ", "revised on ")) (api::rfc3339(r.at))
                                        @if r.after_correction { (v.w("（因更正）", " after a correction")) }
                                    },
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    let title = if name.is_empty() { staff_no.clone() } else { format!("{name} · {staff_no}") };
    Html(layout(&v, &title, "/report", body).into_string()).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::summary::{DayFigures, DayStatus, PersonSummary};

    fn person(status: DayStatus, corrections: u32) -> PersonSummary {
        PersonSummary {
            staff_no: "0001".into(),
            name: "张三".into(),
            unit: "区党政办公室".into(),
            status,
            figures: DayFigures { corrections, missing_punches: u32::from(corrections == 0), ..DayFigures::default() },
            punches: vec!["08:55".into()],
        }
    }

    #[test]
    fn a_day_is_revised_only_when_the_persons_own_row_changed() {
        let day = |p: PersonSummary| PersonDay {
            kiosk_id: "k1".into(),
            date: "2026-11-20".parse().unwrap(),
            revision: 3,
            received_at: 3_000,
            person: p,
        };
        let e =
            |revision: i64, p: Option<PersonSummary>| Earlier { revision, received_at: revision * 1_000, person: p };
        let before = person(DayStatus::Exception, 0);
        let after = person(DayStatus::Normal, 1);
        // First sent as is: not revised.
        assert_eq!(revised(&day(before.clone()), &[]), None);
        // Re-sent twice for someone else: not revised for this person.
        assert_eq!(revised(&day(before.clone()), &[e(1, Some(before.clone())), e(2, Some(before.clone()))]), None);
        // Corrected in revision 2, then re-sent for someone else in 3:
        // revised in 2, after a correction.
        assert_eq!(
            revised(&day(after.clone()), &[e(1, Some(before.clone())), e(2, Some(after.clone()))]),
            Some(Revised { revision: 2, at: 2_000, after_correction: true })
        );
        // Changed in 3 without a new correction (a leave entered late).
        let leave = person(DayStatus::Leave, 0);
        assert_eq!(
            revised(&day(leave), &[e(1, Some(before.clone())), e(2, Some(before))]),
            Some(Revised { revision: 3, at: 3_000, after_correction: false })
        );
        // Not in the earlier revision at all (enrolled later that day).
        assert_eq!(
            revised(&day(after), &[e(1, None)]),
            Some(Revised { revision: 3, at: 3_000, after_correction: true })
        );
    }
}
