//! The API of 暗访 findings and cases (SPEC "Findings and cases"):
//! `GET /api/v1/findings?from&to[&unit]` and `GET /api/v1/cases?from&to
//! [&unit][&state]` for every account (inspector, bureau, admin), and
//! `POST /api/v1/findings` for inspectors with a user token (a script or
//! an app; the pages' form posts with the session's CSRF token instead):
//! JSON, or multipart with the JSON in a field `finding` and up to six
//! files `photos`. Deciding a case is the pages' (a person's judgement,
//! with the case in front of them).

use std::collections::HashMap;

use axum::extract::{FromRequest, Query, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::api::{self, reader, ApiError, ApiResult, App};
use super::cases::{self, CaseState, Category, Finding, FindingVersion, Refusal};
use super::pages::findings::{self as found, MAX_FORM};

/// A finding as the API gives it: what stands, its version count, who
/// recorded it and the case.
pub fn finding_json(f: &Finding) -> Value {
    let v = f.current();
    let first = &f.versions[0];
    let last = &f.versions[f.versions.len() - 1];
    let case = f.case.as_ref().map(|c| {
        let decisions: Vec<Value> = v
            .people
            .iter()
            .filter_map(|p| {
                c.decisions.get(&p.staff_no).map(|d| {
                    json!({"staff_no": p.staff_no, "name": p.name, "decision": d.decision.zh(),
                           "decided_by": d.decided_by, "recorded_by": d.by, "at": api::rfc3339(d.at)})
                })
            })
            .collect();
        let leader = c.leader.as_ref().map(|l| {
            json!({"name": l.name, "unit": l.unit, "decision": l.decided.decision.zh(),
                   "decided_by": l.decided.decided_by, "recorded_by": l.decided.by, "at": api::rfc3339(l.decided.at)})
        });
        json!({"state": c.state.zh(), "reason": c.reason, "published": c.published,
               "decisions": decisions, "leader": leader, "steps": c.steps.len()})
    });
    json!({
        "id": f.id,
        "version": f.versions.len(),
        "at": api::rfc3339(v.at),
        "day": v.day(),
        "unit": v.unit,
        "place": v.place,
        "people": v.people,
        "unknown": v.unknown,
        "category": v.category.zh(),
        "description": v.description,
        "photos": v.photos,
        "inspectors": v.inspectors,
        "recorded_by": first.by,
        "recorded_at": api::rfc3339(first.at),
        "changed_by": last.by,
        "changed_at": api::rfc3339(last.at),
        "case": case,
    })
}

/// The findings of the period (and unit) that pass `keep`, by time.
async fn listed(
    app: &App,
    headers: &HeaderMap,
    q: &HashMap<String, String>,
    keep: impl Fn(&Finding) -> bool,
) -> ApiResult<Response> {
    reader(app, headers).await?;
    let (from, to) = api::period(q)?;
    let unit = api::text_param(q, "unit")?;
    let mut all = found::findings(app, Some((from, to))).await?;
    all.retain(|f| unit.is_none_or(|u| f.current().unit == u) && keep(f));
    all.sort_by_key(|f| (f.current().at, f.id));
    Ok(Json(all.iter().map(finding_json).collect::<Vec<_>>()).into_response())
}

/// `GET /api/v1/findings?from&to[&unit]`.
pub async fn list(
    State(app): State<App>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    listed(&app, &headers, &q, |_| true).await
}

/// `GET /api/v1/cases?from&to[&unit][&state]`: the findings that are
/// cases (`state` in Chinese as stored, or its English word).
pub async fn cases(
    State(app): State<App>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    let state =
        match q.get("state") {
            None => None,
            Some(s) => Some(CaseState::parse(s).ok_or_else(|| {
                ApiError::bad("state", format!("state {s:?} is not 登记, 核实, 处理, 归档 or 不予处理"))
            })?),
        };
    listed(&app, &headers, &q, |f| f.case.is_some() && state.is_none_or(|s| f.state() == Some(s))).await
}

/// A new finding as the API takes it.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct NewFinding {
    /// RFC 3339, or the district's local "YYYY-MM-DD HH:MM".
    at: String,
    unit: String,
    #[serde(default)]
    place: String,
    /// Staff numbers of the unit's people.
    #[serde(default)]
    people: Vec<String>,
    #[serde(default)]
    unknown: bool,
    category: String,
    description: String,
    /// Default: the account's name.
    #[serde(default)]
    inspectors: Vec<String>,
}

fn refusal(r: Refusal) -> ApiError {
    ApiError::bad(r.field, r.en)
}

/// `POST /api/v1/findings`: 201 with the finding; 400 naming the field
/// (nothing stored); 401 without a user token; 403 for an account that
/// is not an inspector's.
pub async fn create(State(app): State<App>, req: Request) -> ApiResult<Response> {
    let headers = req.headers().clone();
    if api::bearer(&headers).is_none() {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "authorization",
            "a user token is needed to write (Authorization: Bearer …); the pages' form is at /findings/new",
        ));
    }
    let user = reader(&app, &headers).await?;
    if !user.role.records_findings() {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "authorization", "only inspector accounts record findings"));
    }
    let multipart = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("multipart/form-data"));
    let (body, photos) = if multipart {
        let mut form = axum::extract::Multipart::from_request(req, &())
            .await
            .map_err(|e| ApiError::bad("", format!("not a multipart body: {e}")))?;
        let (mut body, mut photos) = (None, Vec::new());
        while let Some(field) =
            form.next_field().await.map_err(|e| ApiError::bad("", format!("the body could not be read: {e}")))?
        {
            match field.name().unwrap_or("") {
                "finding" => body = Some(field.bytes().await.map_err(|e| ApiError::bad("finding", e.to_string()))?),
                "photos" => {
                    let i = photos.len();
                    let bytes =
                        field.bytes().await.map_err(|e| ApiError::bad(&format!("photos[{i}]"), e.to_string()))?;
                    photos.push(bytes.to_vec());
                }
                other => return Err(ApiError::bad(other, format!("unknown field {other:?}: finding and photos"))),
            }
        }
        (body.ok_or_else(|| ApiError::bad("finding", "the field finding (JSON) is missing"))?, photos)
    } else {
        (api::upload_body(req.into_body(), MAX_FORM).await?, Vec::new())
    };
    let new: NewFinding = api::json_body(&body)?;
    if photos.len() > cases::MAX_PHOTOS {
        return Err(ApiError::bad("photos", format!("at most {} photos", cases::MAX_PHOTOS)));
    }
    let mut named = Vec::new();
    for (i, p) in photos.into_iter().enumerate() {
        let name = cases::photo_name(&p).map_err(|r| ApiError::bad(&format!("photos[{i}]"), r.en))?;
        named.push((name, p));
    }
    let at = at_of(&new.at).ok_or_else(|| {
        ApiError::bad("at", format!("at {:?} is not RFC 3339 nor \"YYYY-MM-DD HH:MM\" (the district's time)", new.at))
    })?;
    let category = Category::parse(&new.category).ok_or_else(|| {
        let all: Vec<&str> = Category::ALL.iter().map(|c| c.zh()).collect();
        ApiError::bad("category", format!("category {:?} is not one of {}", new.category, all.join(", ")))
    })?;
    if !super::ingest::plain_text(&new.unit, 64) {
        return Err(ApiError::bad("unit", "unit must be at most 64 characters without control characters"));
    }
    let people_of = found::people_of(&app, &new.unit).await?;
    let mut people = Vec::new();
    for (i, no) in new.people.iter().enumerate() {
        match people_of.iter().find(|(n, _)| n.staff_no == *no) {
            Some((n, _)) => people.push(n.clone()),
            None => {
                return Err(ApiError::bad(
                    &format!("people[{i}]"),
                    format!("{no:?} is not one of {}'s people", new.unit),
                ))
            }
        }
    }
    let mut photo_names: Vec<String> = Vec::new();
    for (n, _) in &named {
        if !photo_names.contains(n) {
            photo_names.push(n.clone());
        }
    }
    let inspectors = if new.inspectors.is_empty() { vec![user.name.clone()] } else { new.inspectors };
    let version = FindingVersion {
        at,
        unit: new.unit,
        place: new.place.trim().to_string(),
        people,
        unknown: new.unknown,
        category,
        description: new.description.trim().to_string(),
        photos: photo_names,
        inspectors,
    };
    found::prepare(&app, &version, &named).await?.map_err(refusal)?;
    let id = found::record(&app, &user.name, version).await?;
    let f = found::finding(&app, id).await?;
    let body = f.as_ref().map_or_else(|| json!({ "id": id }), finding_json);
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// An instant from RFC 3339 or the district's "YYYY-MM-DD HH:MM".
fn at_of(s: &str) -> Option<crate::domain::time::Instant> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(t.timestamp_millis());
    }
    let local = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").ok()?;
    Some(crate::domain::time::local_to_instant(chrono_tz::Asia::Shanghai, local))
}
