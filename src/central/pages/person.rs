//! A person's history: day by day with status and figures over a period;
//! a day whose summary was revised for this person says so ("第 2 版，修订于
//! …（因更正）").

use crate::domain::glossary::Term;
use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Response};
use maud::html;

use super::overview::{status_class, status_word};
use super::report::period_of;
use super::{bad_request, failed, layout};
use crate::central::api::{self, App};
use crate::central::storage::revised;

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
    let times = |n: u32, m: u32| v.times(n, m);
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
                    th scope="col" { (v.term(Term::Late)) }
                    th scope="col" { (v.term(Term::Early)) }
                    th scope="col" { (v.w("旷工（半天）", "Absent (half days)")) }
                    th scope="col" { (v.term(Term::OffPost)) }
                    th scope="col" { (v.term(Term::Missing)) }
                    th scope="col" { (v.term(Term::SpotCheckAbsent)) }
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
