//! The HTTP API (SPEC "Sync"): kiosks upload closed summaries; bureau
//! accounts read. One route table; every refusal is JSON
//! `{"error": …, "field": …}` with SPEC's status; every response carries
//! the server's `Date` (hyper adds it), which tells a kiosk its clock
//! offset. A kiosk's own `Date` request header tells the server the
//! kiosk's.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post, put};
use axum::{Form, Json, Router};
use chrono::{Datelike, NaiveDate};
use serde_json::json;

use super::auth;
use super::clients::{Buckets, Proxies};
use super::hasher::{Hasher, NO_ACCOUNT_HASH};
use super::ingest;
use super::storage::{KioskRow, Put, RecordsPut, Role, Storage, StorageError, UserRow, DAILY_BYTES, MAX_REVISIONS};
use crate::domain::chain::WireRecord;
use crate::domain::config::Language;
use crate::domain::summary;
use crate::domain::time::Instant;

/// Largest summary body taken (SPEC: 413 over 1 MiB).
pub const MAX_BODY: usize = 1024 * 1024;
/// How long a signed-in session lasts.
const SESSION_MS: i64 = 8 * 3_600_000;
/// Wrong passwords before an account is locked, and for how long.
const LOGIN_TRIES: u32 = 5;
const LOCK_MS: i64 = super::storage::LOCK_WINDOW_MS;

#[derive(Clone)]
pub struct App {
    pub storage: Arc<dyn Storage>,
    /// Whether cookies get `Secure` (the server speaks TLS itself).
    pub tls: bool,
    /// Password checks: a few threads with their own memory, a bounded
    /// queue (a flood of logins neither grows the server nor stalls the
    /// kiosks' uploads).
    hasher: Arc<Hasher>,
    /// Sign-in tries per client address.
    tries: Arc<Buckets>,
    /// Whose `X-Forwarded-For` is believed.
    proxies: Arc<Proxies>,
    /// Each day judged twice: nudged by uploads, run by `serve`.
    pub rejudging: Arc<super::rejudging::Rejudging>,
}

impl App {
    pub fn new(storage: Arc<dyn Storage>, tls: bool, proxies: Proxies) -> std::io::Result<App> {
        Ok(App {
            storage,
            tls,
            hasher: Arc::new(Hasher::start()?),
            tries: Arc::new(Buckets::default()),
            proxies: Arc::new(proxies),
            rejudging: Arc::default(),
        })
    }
}

/// Largest form or other small body (the login form).
const MAX_FORM: usize = 16 * 1024;

pub(crate) fn now() -> Instant {
    chrono::Utc::now().timestamp_millis()
}

/// A refusal: status, message, the field it is about.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    error: String,
    field: String,
}

impl ApiError {
    pub(super) fn new(status: StatusCode, field: &str, error: impl Into<String>) -> ApiError {
        ApiError { status, error: error.into(), field: field.to_string() }
    }
    pub(super) fn bad(field: &str, error: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, field, error)
    }
    fn unauthorized(error: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "authorization", error)
    }
}

impl From<StorageError> for ApiError {
    fn from(e: StorageError) -> Self {
        // The detail goes to the log, not to the client.
        eprintln!("storage: {e}");
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "", "the server's database failed; try again later")
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(json!({ "error": self.error, "field": self.field }))).into_response()
    }
}

pub(super) type ApiResult<T> = Result<T, ApiError>;

pub fn router(app: App) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/api/v1/kiosks/{kiosk_id}/summaries", get(get_held_revisions))
        .route("/api/v1/kiosks/{kiosk_id}/summaries/{date}", put(put_summary))
        .route("/api/v1/kiosks/{kiosk_id}/records", put(put_records).get(get_records))
        .route("/api/v1/kiosks/{kiosk_id}/rules", put(put_rules).get(get_rules))
        .route("/api/v1/kiosks/{kiosk_id}/rejudged", get(get_rejudged))
        .route("/api/v1/kiosks/{kiosk_id}/master", get(super::pull::master))
        .route("/api/v1/kiosks/{kiosk_id}/peer-punches", get(super::pull::peer_punches))
        .route("/api/v1/kiosks/{kiosk_id}/photos/{name}", get(super::pull::photo))
        .route("/api/v1/summaries", get(summaries))
        .route("/api/v1/report", get(report))
        .route("/api/v1/people/{staff_no}", get(person))
        .route("/api/v1/kiosks", get(kiosks))
        .route("/api/v1/bulletin", get(bulletin))
        .route(
            "/api/v1/findings",
            get(super::cases_api::list)
                .post(super::cases_api::create)
                .layer(axum::extract::DefaultBodyLimit::max(super::pages::findings::MAX_FORM)),
        )
        .route("/api/v1/cases", get(super::cases_api::cases))
        .route("/login", get(login_form).post(login))
        .route("/logout", post(logout))
        .merge(super::pages::routes())
        .with_state(app.clone())
        // Forms are small; the upload reads its raw body with SPEC's limit.
        .layer(axum::extract::DefaultBodyLimit::max(MAX_FORM))
        .layer(axum::middleware::from_fn_with_state(app.tls, hardening))
}

/// How long a request may take, its body's reading included (a client
/// trickling a body holds a connection no longer than this).
const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// How long a finding's form (or API call) with its photos may take.
const PHOTOS_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(300);

/// What the pages use: their own inline style and inline SVG; no script
/// at all, no frames, forms only to this server.
const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; \
                   frame-ancestors 'none'; base-uri 'none'";

/// Every response: the request's time bound, and the headers that keep
/// pages out of frames, sniffing, referrers and caches (every page and
/// export holds people's records: `no-store`); HSTS when serving TLS.
async fn hardening(State(tls): State<bool>, req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    // A finding's photos come from a phone (up to 48 MB on a slow uplink).
    let photos = req.method() == axum::http::Method::POST
        && (req.uri().path().starts_with("/findings") || req.uri().path() == "/api/v1/findings");
    let limit = if photos { PHOTOS_TIMEOUT } else { REQUEST_TIMEOUT };
    let mut r = match tokio::time::timeout(limit, next.run(req)).await {
        Ok(r) => r,
        Err(_) => {
            ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "", "the request took too long; try again").into_response()
        }
    };
    secure_headers(r.headers_mut(), tls);
    r
}

/// The headers every answer carries (see `hardening`).
pub(super) fn secure_headers(h: &mut HeaderMap, tls: bool) {
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if tls {
        h.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000"));
    }
}

pub(super) fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::AUTHORIZATION)?.to_str().ok()?.strip_prefix("Bearer ").map(str::trim)
}

/// The kiosk's clock against ours, from its `Date` request header.
fn clock_offset(headers: &HeaderMap, now: Instant) -> Option<i64> {
    let text = headers.get(header::DATE)?.to_str().ok()?;
    let kiosk = chrono::DateTime::parse_from_rfc2822(text).ok()?.timestamp_millis();
    Some(now - kiosk)
}

/// A call of records, at most: SPEC's 1 MiB a call, and room for one
/// record alone that is larger (a day's summary, itself up to 1 MiB, in
/// its JSON string's escapes).
const MAX_RECORDS_BODY: usize = 4 * 1024 * 1024;

/// A kiosk's body, at most `limit` bytes (413 past it).
pub(super) async fn upload_body(body: Body, limit: usize) -> ApiResult<Bytes> {
    axum::body::to_bytes(body, limit).await.map_err(|e| {
        if e.into_inner().downcast_ref::<http_body_util::LengthLimitError>().is_some() {
            ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "", format!("the body is over {limit} bytes"))
        } else {
            ApiError::bad("", "the body could not be read")
        }
    })
}

/// A kiosk's JSON body as `T`; a 400 names the field that is wrong.
pub(super) fn json_body<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> ApiResult<T> {
    serde_path_to_error::deserialize(&mut serde_json::Deserializer::from_slice(bytes)).map_err(|e| {
        let field = e.path().to_string();
        ApiError::bad(if field == "." { "" } else { &field }, e.inner().to_string())
    })
}

/// A call of the record stream (SPEC "Records").
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RecordsCall {
    from: u64,
    records: Vec<WireRecord>,
}

/// A kiosk sends its chained records: checked against the chain held
/// (see `records`), stored all or none.
async fn put_records(
    State(app): State<App>,
    Path(kiosk_id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let kiosk = kiosk_of(&app, &headers, &kiosk_id).await?;
    let bytes = upload_body(body, MAX_RECORDS_BODY).await?;
    let call: RecordsCall = json_body(&bytes)?;
    let prepared = super::records::prepare(call.from, &call.records).map_err(|m| ApiError::bad(&m.field, m.message))?;
    match app.storage.put_records(&kiosk_id, call.from, &prepared, now()).await? {
        RecordsPut::Stored { stored_to } => {
            if prepared.iter().any(|r| r.table == "daily_summaries") {
                app.rejudging.nudge(&kiosk_id);
            }
            // Cards enrolled at the door become central's (or conflicts).
            // Stored records are not refused for this: a failure is logged
            // and the enrolment stays the kiosk's until an admin sees it.
            let new: Vec<WireRecord> = call.records.into_iter().filter(|r| r.seq > kiosk.records.stored_to).collect();
            if let Err(e) = super::master::adopt_enrolments(&*app.storage, &kiosk, &new, now()).await {
                eprintln!("central: enrolments of {kiosk_id} not adopted: {e}");
            }
            Ok(Json(json!({ "stored_to": stored_to })).into_response())
        }
        RecordsPut::Gap { expected } => Ok((
            StatusCode::CONFLICT,
            Json(json!({
                "error": format!("the server holds records 1 to {}: send from {expected}", expected - 1),
                "field": "from",
                "expected": expected,
            })),
        )
            .into_response()),
        RecordsPut::Broken { index, seq } => {
            let detail = format!("record {seq} does not follow the chain held, or differs from the one held");
            if let Err(e) = app.storage.audit(&kiosk_id, "records refused", &detail, now()).await {
                eprintln!("central: audit row not written ({detail}): {e}");
            }
            Err(ApiError::new(StatusCode::CONFLICT, &format!("records[{index}].hash"), detail))
        }
    }
}

/// A kiosk declares what its rules read besides its records (SPEC
/// "Records"): checked as the server will read it (the schedules build,
/// the calendar's days lie in their years), then stored by version.
async fn put_rules(
    State(app): State<App>,
    Path(kiosk_id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let kiosk = kiosk_of(&app, &headers, &kiosk_id).await?;
    let bytes = upload_body(body, MAX_BODY).await?;
    let rules: crate::domain::rejudge::DeclaredRules = json_body(&bytes)?;
    if rules.version == 0 || rules.version > i64::MAX as u64 {
        return Err(ApiError::bad("version", "versions count from 1"));
    }
    crate::domain::config::Config::for_judging(&kiosk.id, &kiosk.units, &rules.config)
        .map_err(|m| ApiError::bad("config", m))?;
    rules.calendar().map_err(|m| ApiError::bad("calendar", m))?;
    let text = serde_json::to_string(&rules)
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "", e.to_string()))?;
    if !app.storage.put_rules(&kiosk_id, rules.version, &text, now()).await? {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "version",
            format!("rules version {} is held with other content", rules.version),
        ));
    }
    app.rejudging.nudge(&kiosk_id);
    Ok(Json(json!({ "version": rules.version })).into_response())
}

#[derive(serde::Deserialize)]
struct RulesQuery {
    version: Option<u64>,
}

/// A kiosk's declared rules (its latest, or `?version=V`): for the kiosk
/// itself (`restore --from-central`) and bureau or admin accounts.
async fn get_rules(
    State(app): State<App>,
    Path(kiosk_id): Path<String>,
    Query(q): Query<RulesQuery>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    own_kiosk_or_reader(&app, &headers, &kiosk_id).await?;
    match app.storage.rules(&kiosk_id, q.version).await? {
        Some((_, text)) => Ok(([(header::CONTENT_TYPE, "application/json")], text).into_response()),
        None => Err(ApiError::new(StatusCode::NOT_FOUND, "version", format!("{kiosk_id} has declared no such rules"))),
    }
}

/// The latest revision held of each of the kiosk's days: for the kiosk
/// itself (a restored kiosk numbers its next revisions after them) and
/// for bureau and admin accounts.
async fn get_held_revisions(
    State(app): State<App>,
    Path(kiosk_id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    own_kiosk_or_reader(&app, &headers, &kiosk_id).await?;
    if app.storage.kiosk(&kiosk_id).await?.is_none() {
        return Err(ApiError::new(StatusCode::NOT_FOUND, "kiosk_id", format!("no kiosk {kiosk_id}")));
    }
    let days: Vec<serde_json::Value> = app
        .storage
        .held_revisions(&kiosk_id)
        .await?
        .into_iter()
        .map(|(date, revision)| json!({ "date": date, "revision": revision }))
        .collect();
    Ok(Json(json!({ "kiosk_id": kiosk_id, "days": days })).into_response())
}

/// The kiosk's summary revisions that differ from their second judgement,
/// newest first, with the people and figures: for bureau and admin accounts.
async fn get_rejudged(State(app): State<App>, Path(kiosk_id): Path<String>, headers: HeaderMap) -> ApiResult<Response> {
    reader(&app, &headers).await?;
    let days: Vec<serde_json::Value> = app
        .storage
        .differing(&kiosk_id, 366)
        .await?
        .into_iter()
        .map(|v| {
            json!({
                "date": v.date,
                "revision": v.revision,
                "judged_at": rfc3339(v.judged_at),
                "differences": serde_json::from_str::<serde_json::Value>(&v.detail).unwrap_or_default(),
            })
        })
        .collect();
    Ok(Json(json!({ "kiosk_id": kiosk_id, "differing": days })).into_response())
}

/// The kiosk itself (true) or a bureau or admin account (false); another
/// kiosk's token is 403.
async fn own_kiosk_or_reader(app: &App, headers: &HeaderMap, kiosk_id: &str) -> ApiResult<bool> {
    let own_kiosk = match bearer(headers) {
        Some(t) => app.storage.kiosk_by_token(&auth::digest(t)).await?.filter(|k| !k.revoked),
        None => None,
    };
    match own_kiosk {
        Some(k) if k.id == kiosk_id => Ok(true),
        Some(_) => Err(ApiError::new(StatusCode::FORBIDDEN, "authorization", "a kiosk reads only its own records")),
        None => Ok(reader(app, headers).await?.role == Role::Admin),
    }
}

#[derive(serde::Deserialize)]
struct RecordsQuery {
    #[serde(default = "first_seq")]
    from: u64,
    #[serde(default = "max_records")]
    limit: usize,
}

fn first_seq() -> u64 {
    1
}

fn max_records() -> usize {
    super::records::MAX_RECORDS
}

/// A kiosk's held records as JSON lines: for bureau and admin accounts,
/// and for the kiosk itself (its own only).
async fn get_records(
    State(app): State<App>,
    Path(kiosk_id): Path<String>,
    Query(q): Query<RecordsQuery>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    // PIN hashes (Argon2 of a few digits) go to the kiosk itself (its
    // restore) and to admins; a bureau account reads the records without
    // them (`pin_hash` null).
    let with_pins = own_kiosk_or_reader(&app, &headers, &kiosk_id).await?;
    if q.from == 0 || q.from > i64::MAX as u64 {
        return Err(ApiError::bad("from", "the chain counts from 1"));
    }
    if q.limit == 0 || q.limit > super::records::MAX_RECORDS {
        return Err(ApiError::bad("limit", format!("limit is 1 to {}", super::records::MAX_RECORDS)));
    }
    let mut out = Vec::new();
    for mut r in app.storage.records(&kiosk_id, q.from, q.limit).await? {
        if !with_pins && r.table == "staff_versions" {
            if let Some(pin) = r.fields.get_mut("pin_hash") {
                *pin = crate::domain::chain::Value::Null;
            }
        }
        serde_json::to_writer(&mut out, &r)
            .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "", e.to_string()))?;
        out.push(b'\n');
    }
    Ok(([(header::CONTENT_TYPE, "application/x-ndjson")], out).into_response())
}

async fn put_summary(
    State(app): State<App>,
    Path((kiosk_id, date)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let kiosk = kiosk_of(&app, &headers, &kiosk_id).await?;
    let bytes = upload_body(body, MAX_BODY).await?;
    let at = now();
    let upload =
        ingest::check(&bytes, &kiosk_id, &date, &kiosk.units, at, clock_offset(&headers, at)).map_err(|r| {
            ApiError::new(StatusCode::from_u16(r.status).unwrap_or(StatusCode::BAD_REQUEST), &r.field, r.error)
        })?;
    // A person belongs to one unit on a date: where central keeps the
    // kiosk's people, a summary names only them (SPEC "Master data").
    let people = upload.summary.people.iter().map(|p| (p.staff_no.as_str(), p.unit.as_str()));
    if let Err((i, no)) = super::master::summary_people_ok(&*app.storage, &kiosk, upload.summary.date, people).await? {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            &format!("people[{i}].staff_no"),
            format!("staff number {no} is not in kiosk {kiosk_id}'s units at central on {}", upload.summary.date),
        ));
    }
    let revision = upload.summary.revision;
    // One the upload already said cannot be judged again wakes nobody.
    let judged_later = !super::rejudging::never_judged(&upload.summary);
    match app.storage.put_summary(&kiosk_id, &upload).await? {
        Put::Stored => {
            if judged_later {
                app.rejudging.nudge(&kiosk_id);
            }
            Ok((StatusCode::CREATED, Json(json!({ "stored": revision }))).into_response())
        }
        Put::Same => Ok((StatusCode::OK, Json(json!({ "stored": revision }))).into_response()),
        Put::Conflict(stored) => Err(ApiError::new(
            StatusCode::CONFLICT,
            "revision",
            format!("revision {stored} is stored for {date}: a newer one, or the same with other content"),
        )),
        Put::Claimed { index, staff_no, kiosk } => Err({
            // Said to the admins too: one kiosk naming another's people is
            // a mistake in a staff list, or worse.
            let detail = format!("summary {date} refused: staff {staff_no} is kiosk {kiosk}'s that day");
            // The refusal stands even if its audit row cannot be written
            // (a 500 would have the kiosk send it again for ever).
            if let Err(e) = app.storage.audit(&kiosk_id, "upload refused", &detail, at).await {
                eprintln!("central: audit row not written ({detail}): {e}");
            }
            ApiError::new(
            StatusCode::CONFLICT,
            &format!("people[{index}].staff_no"),
                format!("staff number {staff_no} is kiosk {kiosk}'s on {date}: one person's day comes from one kiosk"),
            )
        }),
        // 409, which a kiosk takes as final: a 429 would have it send this
        // revision again before any later day, for ever.
        Put::TooManyRevisions => Err(ApiError::new(
            StatusCode::CONFLICT,
            "revision",
            format!("{date} has {MAX_REVISIONS} revisions stored already, the most kept for one day"),
        )),
        Put::OverBudget { used } => Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "",
            format!(
                "this kiosk stored {used} bytes of summaries today; this one would pass its daily budget of {DAILY_BYTES}: try tomorrow or ask an admin"
            ),
        )),
    }
}

/// The kiosk a request's token belongs to; it must be the path's.
pub(super) async fn kiosk_of(app: &App, headers: &HeaderMap, kiosk_id: &str) -> ApiResult<KioskRow> {
    let token =
        bearer(headers).ok_or_else(|| ApiError::unauthorized("a kiosk token is needed (Authorization: Bearer …)"))?;
    match app.storage.kiosk_by_token(&auth::digest(token)).await? {
        Some(k) if !k.revoked && k.id == kiosk_id => Ok(k),
        Some(k) if k.revoked => Err(ApiError::unauthorized("this kiosk's token was revoked")),
        _ => Err(ApiError::unauthorized("not a valid token for this kiosk")),
    }
}

/// The signed-in person: a session cookie (pages) or a user token (scripts).
pub(super) async fn reader(app: &App, headers: &HeaderMap) -> ApiResult<UserRow> {
    if let Some(token) = bearer(headers) {
        return app
            .storage
            .user_by_token(&auth::digest(token), now())
            .await?
            .ok_or_else(|| ApiError::unauthorized("not a valid user token (kiosk tokens cannot read)"));
    }
    if let Some(id) = cookie(headers, SESSION_COOKIE) {
        if let Some((user, _)) = app.storage.session(&auth::digest(id), now()).await? {
            return Ok(user);
        }
    }
    Err(ApiError::unauthorized("sign in at /login, or send a user token"))
}

fn param<'a>(q: &'a HashMap<String, String>, name: &str) -> ApiResult<&'a str> {
    q.get(name).map(String::as_str).ok_or_else(|| ApiError::bad(name, format!("{name} is required")))
}

/// An optional text parameter (a unit): plain text, or a 400 naming it.
pub(super) fn text_param<'a>(q: &'a HashMap<String, String>, name: &str) -> ApiResult<Option<&'a str>> {
    match q.get(name) {
        Some(v) if !ingest::plain_text(v, 64) => {
            Err(ApiError::bad(name, format!("{name} must be at most 64 characters without control characters")))
        }
        v => Ok(v.map(String::as_str)),
    }
}

/// What a report or draft covers: `unit=U` (that unit), `branch=U` (the
/// unit and every unit under it), or neither (all).
fn covers_of(q: &HashMap<String, String>) -> ApiResult<super::pages::Covers<'_>> {
    use super::pages::Covers;
    match (text_param(q, "unit")?, text_param(q, "branch")?) {
        (Some(_), Some(_)) => Err(ApiError::bad("branch", "give unit or branch, not both")),
        (Some(u), None) => Ok(Covers::Unit(u)),
        (None, Some(b)) => Ok(Covers::Branch(b)),
        (None, None) => Ok(Covers::All),
    }
}

fn date_param(q: &HashMap<String, String>, name: &str) -> ApiResult<NaiveDate> {
    let text = param(q, name)?;
    text.parse().map_err(|_| ApiError::bad(name, format!("{name} {text:?} is not YYYY-MM-DD")))
}

/// `from` and `to` (inclusive), at most a year apart.
pub(super) fn period(q: &HashMap<String, String>) -> ApiResult<(NaiveDate, NaiveDate)> {
    let (from, to) = (date_param(q, "from")?, date_param(q, "to")?);
    if to < from {
        return Err(ApiError::bad("to", "to is before from"));
    }
    if (to - from).num_days() > 366 {
        return Err(ApiError::bad("to", "a period covers at most 367 days"));
    }
    Ok((from, to))
}

/// Summaries at most in one answer, and their bytes: without `limit`, a
/// range holding more is refused (400 naming `limit`) rather than built
/// in memory whole; with it, a page ends early at the bytes.
pub const MAX_SUMMARIES: usize = 500;
pub const MAX_PAGE_BYTES: usize = 8 * 1024 * 1024;

/// `GET /api/v1/summaries?from&to[&unit][&limit=N&cursor=C]`: without
/// `limit` the JSON list as always (for a range of at most MAX_SUMMARIES
/// summaries); with it `{"items": [...], "next_cursor": C | null}`, a
/// page of at most N (1 to MAX_SUMMARIES) ordered by date and kiosk, the
/// cursor being the last one's `DATE~KIOSK`. With a unit, a page may
/// hold fewer than N: the cursor still moves on.
async fn summaries(
    State(app): State<App>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    reader(&app, &headers).await?;
    let (from, to) = period(&q)?;
    let unit = text_param(&q, "unit")?;
    let limit = match q.get("limit") {
        None => None,
        Some(l) => Some(
            l.parse::<usize>()
                .ok()
                .filter(|n| (1..=MAX_SUMMARIES).contains(n))
                .ok_or_else(|| ApiError::bad("limit", format!("limit {l:?} is a number from 1 to {MAX_SUMMARIES}")))?,
        ),
    };
    let after = match q.get("cursor") {
        None => None,
        Some(c) => Some(
            c.split_once('~')
                .and_then(|(d, k)| Some((d.parse::<NaiveDate>().ok()?, k.to_string())))
                .ok_or_else(|| ApiError::bad("cursor", format!("cursor {c:?} is not one this server gave")))?,
        ),
    };
    if after.is_some() && limit.is_none() {
        return Err(ApiError::bad("limit", "a cursor goes with a limit"));
    }
    let asked = limit.unwrap_or(MAX_SUMMARIES + 1);
    // One byte over the page's bytes tells "more than fits" (unpaged).
    let max_bytes = if limit.is_some() { MAX_PAGE_BYTES } else { MAX_PAGE_BYTES + 1 };
    let page = app.storage.latest_summaries(from, to, after, asked, max_bytes).await?;
    let rows = page.rows;
    if limit.is_none() && (rows.len() > MAX_SUMMARIES || page.cut_at_bytes) {
        return Err(ApiError::bad(
            "limit",
            format!(
                "{from}..{to} holds more than {MAX_SUMMARIES} summaries or {} MiB: page it with limit and cursor",
                MAX_PAGE_BYTES >> 20
            ),
        ));
    }
    let full = rows.len() == asked || page.cut_at_bytes;
    let next =
        (limit.is_some() && full).then(|| rows.last().map(|(_, _, s)| format!("{}~{}", s.date, s.kiosk_id))).flatten();
    let mut out = Vec::new();
    for (_, _, mut s) in rows {
        // With a unit: that unit's people (the totals stay the kiosk's).
        if let Some(u) = unit {
            s.people.retain(|p| p.unit == u);
            if s.people.is_empty() {
                continue;
            }
        }
        out.push(s);
    }
    Ok(match limit {
        None => Json(out).into_response(),
        Some(_) => Json(json!({ "items": out, "next_cursor": next })).into_response(),
    })
}

async fn report(
    State(app): State<App>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    let user = reader(&app, &headers).await?;
    let (from, to) = period(&q)?;
    let covers = covers_of(&q)?;
    let format = q.get("format").map_or("json", String::as_str);
    if !matches!(format, "json" | "csv" | "xlsx") {
        return Err(ApiError::bad("format", "format is json, csv or xlsx"));
    }
    let units = covers.units_of(&app).await?;
    let (people, found) = tokio::join!(
        app.storage.report_people(from, to, units.as_deref()),
        super::pages::findings::tally(&app, from, to, units.as_deref())
    );
    let (mut people, found) = (people?, found?);
    let mut units = summary::unit_rows(&people);
    super::cases::count_into(&found, &mut people, &mut units, |u| Some(u.to_string()));
    summary::rank(&mut people, &mut units);
    let r = summary::Report { from, to, people, units, with_findings: true };
    app.storage.audit(&user.name, "export", &format!("report {from}..{to} {} {format}", covers.said()), now()).await?;
    let name = format!("report-{from}-{to}");
    let lang = Language::ZhCn;
    // Written to a temporary file within the request (its read slot and
    // time limit), then sent from it (`spooled`): a province's report is
    // tens of megabytes, and a whole-report buffer per request would be too.
    match format {
        "csv" => {
            spooled("text/csv; charset=utf-8", Some(&format!("{name}.csv")), move |w| {
                // With a BOM: Excel on a Chinese Windows then reads UTF-8.
                std::io::Write::write_all(w, b"\xEF\xBB\xBF")?;
                crate::domain::render::report_csv(&r, lang, w).map_err(std::io::Error::other)
            })
            .await
        }
        "xlsx" => {
            spooled(
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                Some(&format!("{name}.xlsx")),
                move |w| {
                    let mut out = std::io::BufWriter::new(w);
                    crate::domain::render::report_xlsx_to(&r, lang, &mut out).map_err(std::io::Error::other)?;
                    std::io::Write::flush(&mut out)
                },
            )
            .await
        }
        _ => {
            spooled("application/json", None, move |w| {
                #[derive(serde::Serialize)]
                struct Out<'a> {
                    from: NaiveDate,
                    to: NaiveDate,
                    people: &'a [summary::ReportRow],
                    units: &'a [summary::ReportRow],
                }
                let out = Out { from, to, people: &r.people, units: &r.units };
                let mut b = std::io::BufWriter::new(w);
                serde_json::to_writer(&mut b, &out).map_err(std::io::Error::other)?;
                std::io::Write::flush(&mut b)
            })
            .await
        }
    }
}

/// A file `write` makes on a blocking thread into an anonymous temporary
/// file, then sent from that file in chunks of 64 KiB: the server's
/// memory is the rows being written, not the file's bytes, and the work
/// is done within the request (its read slot and time limit; a failure
/// is a 500 before any byte is sent, never a short file). A client that
/// reads slowly holds only the open file.
pub(crate) async fn spooled(
    mime: &str,
    attachment: Option<&str>,
    write: impl FnOnce(&mut std::fs::File) -> std::io::Result<()> + Send + 'static,
) -> ApiResult<Response> {
    use std::io::{Read, Seek};
    let made = tokio::task::spawn_blocking(move || {
        let mut f = tempfile::tempfile()?;
        write(&mut f)?;
        f.rewind()?;
        Ok::<_, std::io::Error>(f)
    })
    .await;
    let file = match made {
        Ok(Ok(f)) => f,
        Ok(Err(e)) => return Err(internal(format!("the file could not be written: {e}"))),
        Err(e) => return Err(internal(format!("the file's writing failed: {e}"))),
    };
    const CHUNK: usize = 64 << 10;
    let body = futures_util::stream::unfold(Some(file), |file| async move {
        let mut f = file?;
        let read = tokio::task::spawn_blocking(move || {
            let mut buf = vec![0u8; CHUNK];
            let n = f.read(&mut buf)?;
            buf.truncate(n);
            Ok::<_, std::io::Error>((buf, f))
        })
        .await
        .map_err(std::io::Error::other)
        .and_then(|r| r);
        match read {
            Ok((buf, _)) if buf.is_empty() => None,
            Ok((buf, f)) => Some((Ok(axum::body::Bytes::from(buf)), Some(f))),
            Err(e) => Some((Err(e), None)),
        }
    });
    let mut r = Response::new(Body::from_stream(body));
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(mime).unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    if let Some(v) = attachment.and_then(|n| HeaderValue::from_str(&format!("attachment; filename=\"{n}\"")).ok()) {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(r)
}

fn internal(e: String) -> ApiError {
    eprintln!("report: {e}");
    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "", "the report could not be written")
}

pub(crate) fn file(body: Vec<u8>, mime: &str, name: &str) -> Response {
    let mut r = Response::new(Body::from(body));
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(mime).unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    r
}

pub(crate) fn rfc3339(t: Instant) -> String {
    crate::domain::time::rfc3339(chrono_tz::Asia::Shanghai, t)
}

async fn person(
    State(app): State<App>,
    headers: HeaderMap,
    Path(staff_no): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    reader(&app, &headers).await?;
    if !ingest::plain_text(&staff_no, 64) {
        return Err(ApiError::bad("staff_no", "staff_no must be at most 64 characters without control characters"));
    }
    let (from, to) = period(&q)?;
    let days = app.storage.person_history(&staff_no, from, to).await?;
    let out: Vec<serde_json::Value> = days
        .into_iter()
        .map(|(d, earlier)| {
            let mut v = serde_json::to_value(&d.person).unwrap_or_default();
            if let Some(o) = v.as_object_mut() {
                o.insert("date".into(), json!(d.date));
                o.insert("kiosk_id".into(), json!(d.kiosk_id));
                o.insert("revision".into(), json!(d.revision));
                o.insert("received_at".into(), json!(rfc3339(d.received_at)));
                // When this person's day became what it is (a kiosk re-sends
                // a whole day for anyone's change): null if never otherwise.
                o.insert(
                    "revised".into(),
                    match crate::central::storage::revised(&d, &earlier) {
                        None => serde_json::Value::Null,
                        Some(r) => json!({"revision": r.revision, "received_at": rfc3339(r.at), "after_correction": r.after_correction}),
                    },
                );
                o.insert(
                    "earlier_revisions".into(),
                    json!(earlier
                        .iter()
                        .map(|e| json!({"revision": e.revision, "received_at": rfc3339(e.received_at)}))
                        .collect::<Vec<_>>()),
                );
            }
            v
        })
        .collect();
    Ok(Json(json!({ "staff_no": staff_no, "from": from, "to": to, "days": out })).into_response())
}

/// `GET /api/v1/bulletin?month=YYYY-MM | quarter=YYYY-Qn | from=D&to=D
/// [&unit=U][&names=true|false][&issuer=…]`: the 通报 draft (.docx), for a
/// session or a user token. The comparison is with the month (quarter)
/// before, or the same number of days before a range of other length.
async fn bulletin(
    State(app): State<App>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    let user = reader(&app, &headers).await?;
    let month_of = |y: i32, m: u32| NaiveDate::from_ymd_opt(y, m, 1).filter(|d| d.year() >= 2000);
    let ((from, to), months) = match (q.get("month"), q.get("quarter")) {
        (Some(_), Some(_)) => return Err(ApiError::bad("quarter", "give month, quarter or from and to, not two")),
        (Some(m), None) => {
            let first = m
                .split_once('-')
                .and_then(|(y, mm)| month_of(y.parse().ok()?, mm.parse().ok()?))
                .ok_or_else(|| ApiError::bad("month", format!("month {m:?} is not YYYY-MM (from 2000)")))?;
            let last = first.checked_add_months(chrono::Months::new(1)).and_then(|n| n.pred_opt()).unwrap_or(first);
            ((first, last), Some(1))
        }
        (None, Some(qs)) => {
            let first = qs
                .split_once("-Q")
                .and_then(|(y, n)| {
                    let n: u32 = n.parse().ok().filter(|n| (1..=4).contains(n))?;
                    month_of(y.parse().ok()?, n * 3 - 2)
                })
                .ok_or_else(|| {
                    ApiError::bad("quarter", format!("quarter {qs:?} is not YYYY-Qn, n 1 to 4 (from 2000)"))
                })?;
            let last = first.checked_add_months(chrono::Months::new(3)).and_then(|n| n.pred_opt()).unwrap_or(first);
            ((first, last), Some(3))
        }
        (None, None) => {
            if !q.contains_key("from") && !q.contains_key("to") {
                return Err(ApiError::bad("month", "month=YYYY-MM, quarter=YYYY-Qn, or from and to is required"));
            }
            let (from, to) = period(&q)?;
            ((from, to), crate::central::bulletin::whole_months(from, to))
        }
    };
    let covers = covers_of(&q)?;
    let naming = match q.get("names").map(String::as_str) {
        None | Some("true") => crate::central::bulletin::Naming::Names,
        Some("false") => crate::central::bulletin::Naming::Anonymous,
        Some(other) => return Err(ApiError::bad("names", format!("names {other:?} is true or false"))),
    };
    let issuer =
        super::pages::issuer_of(q.get("issuer").map(String::as_str)).map_err(|m| ApiError::bad("issuer", m))?;
    let request = super::pages::Draft { from, to, months, covers, naming, issuer: &issuer };
    let bytes = super::pages::draft(&app, &user.name, request).await?;
    Ok(super::pages::draft_file(bytes, from, to))
}

async fn kiosks(State(app): State<App>, headers: HeaderMap) -> ApiResult<Response> {
    reader(&app, &headers).await?;
    let today = chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
    let list: Vec<serde_json::Value> = app
        .storage
        .kiosks(today)
        .await?
        .into_iter()
        .map(|k| {
            json!({
                "id": k.id,
                "units": k.units,
                "revoked": k.revoked,
                "last_seen": k.last_seen.map(rfc3339),
                "clock_offset_ms": k.clock_offset_ms,
                "latest_date": k.latest.map(|l| l.0),
                "latest_revision": k.latest.map(|l| l.1),
                "days_without_summary": k.missing_days,
                "chain": k.chain.as_str(),
                "bytes_today": k.bytes_today,
                "daily_bytes": DAILY_BYTES,
                "records": {
                    "stored_to": k.records.stored_to,
                    "state": if k.records.broken_at.is_some() { "broken" } else { "ok" },
                    "broken_at": k.records.broken_at,
                },
                "rejudged": {
                    "checked": k.rejudged.checked,
                    "differing": k.rejudged.differing,
                    "waiting": k.rejudged.waiting,
                    "unjudgeable": k.rejudged.unjudgeable,
                },
            })
        })
        .collect();
    Ok(Json(list).into_response())
}

// ---- signing in (the bureau's pages come in a later issue) ----

const SESSION_COOKIE: &str = "dc_session";
const CSRF_COOKIE: &str = "dc_csrf";

pub(crate) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Whether the browser reached us over HTTPS: our own TLS, or a reverse
/// proxy that says so (`X-Forwarded-Proto: https`).
fn https(app: &App, headers: &HeaderMap) -> bool {
    app.tls
        || headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("https"))
}

fn set_cookie(secure: bool, name: &str, value: &str, max_age_s: i64) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_s}{secure}"))
        .unwrap_or(HeaderValue::from_static(""))
}

async fn login_form(State(app): State<App>, headers: HeaderMap) -> Response {
    login_page(https(&app, &headers), "")
}

fn login_page(secure: bool, message: &str) -> Response {
    let csrf = auth::new_secret("");
    let page = super::pages::login_markup(&csrf, message);
    let mut r = Html(page).into_response();
    r.headers_mut().append(header::SET_COOKIE, set_cookie(secure, CSRF_COOKIE, &csrf, 3600));
    r
}

/// A form's fields; a missing one is empty, so that a form without its
/// CSRF token gets the CSRF refusal (403), not a parser's 422.
#[derive(serde::Deserialize)]
struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
}

/// Signing in. In order: the CSRF double submit; the client address's
/// token bucket (429 at once past it, naming no account); the password
/// check on the hasher's threads (503 at once when its queue is full).
/// An unknown name, a locked account and a wrong password get the same
/// page, the same status and the same Argon2 work: nothing tells them
/// apart. A try at a locked account writes nothing; a wrong password is
/// counted for its account and client address, and the try that locks
/// writes one audit row with the count.
async fn login(
    State(app): State<App>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> ApiResult<Response> {
    // Every refusal takes at least FAIL_FLOOR: what differs between an
    // unknown name, a locked account and a wrong password (a disk write
    // or two) is hidden under it.
    let started = std::time::Instant::now();
    let r = try_login(app, peer, headers, f).await?;
    if r.status() == StatusCode::UNAUTHORIZED {
        tokio::time::sleep(FAIL_FLOOR.saturating_sub(started.elapsed())).await;
    }
    Ok(r)
}

/// How long a login refused for its address's rate waits before the 429.
const TARPIT: std::time::Duration = std::time::Duration::from_secs(1);

/// How long a refused login takes at least.
const FAIL_FLOOR: std::time::Duration = std::time::Duration::from_millis(300);

/// A refusal for the address's rate, answered after [`TARPIT`]: a client
/// that keeps asking at once (a flood's loop) is slowed to one try a
/// second a connection. Only a few are held per address; past them the
/// refusal is answered at once and the connection closed, so that held
/// refusals never fill the server's connections.
async fn slowed(app: &App, client: std::net::IpAddr, mut refusal: Response) -> Response {
    match app.tries.hold(client) {
        Some(_held) => tokio::time::sleep(TARPIT).await,
        None => {
            refusal.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
    }
    refusal
}

async fn try_login(app: App, peer: SocketAddr, headers: HeaderMap, f: LoginForm) -> ApiResult<Response> {
    let secure = https(&app, &headers);
    // Double submit: the form's token must be the cookie's.
    if !cookie(&headers, CSRF_COOKIE).is_some_and(|c| auth::same(c, &f.csrf)) {
        return Ok((StatusCode::FORBIDDEN, login_page(secure, "表单已过期，请重新登录")).into_response());
    }
    let client = app.proxies.client(peer, &headers);
    if let Err(wait) = app.tries.take(client, std::time::Instant::now()) {
        let secs = wait.as_secs() + 1;
        let text = format!("登录尝试过于频繁，请 {secs} 秒后再试 · Too many sign-in tries: wait {secs} s");
        return Ok(
            slowed(&app, client, retry_after(StatusCode::TOO_MANY_REQUESTS, login_page(secure, &text), secs)).await
        );
    }
    // At most two checks waiting per address (the queue is everyone's).
    let Some(_in_flight) = app.tries.enter(client) else {
        let text = "登录尝试过于频繁，请稍后再试 · Too many sign-in tries at once: wait a moment";
        return Ok(slowed(&app, client, retry_after(StatusCode::TOO_MANY_REQUESTS, login_page(secure, text), 1)).await);
    };
    let address = client;
    // Counted by the limited address (an IPv6 client's /64).
    let client = super::clients::limited_as(client).to_string();
    let at = now();
    let wrong = || (StatusCode::UNAUTHORIZED, login_page(secure, WRONG)).into_response();
    let busy = || {
        let text = "服务器忙，请稍后再试 · The server is busy: try again shortly";
        retry_after(StatusCode::SERVICE_UNAVAILABLE, login_page(secure, text), 5)
    };
    // A place in the password checks' queue first: a busy server answers
    // 503 at once, without asking the database, and without counting the
    // try (the owner retrying in a flood does not lock themselves out).
    let Ok(place) = app.hasher.reserve() else {
        return Ok(busy());
    };
    // A name no account can have (NUL, over-long) is an unknown user.
    let user = match ingest::plain_text(&f.username, 64) {
        true => app.storage.user(&f.username).await?,
        false => None,
    };
    // Unknown, or locked for this client: the same work and answer as a
    // wrong password. Only the unknown name is audited, off the answer's
    // path (its write must not tell it apart by time).
    let user = match user {
        Some(u) if !app.storage.login_locked(&u.name, &client, at).await? => u,
        locked => {
            let _ = place.check(f.password, NO_ACCOUNT_HASH.to_string()).await;
            if locked.is_none() {
                let (storage, who) = (app.storage.clone(), ingest::printable(&f.username, 64));
                tokio::spawn(async move {
                    let detail = format!("no such user, from {client}");
                    if let Err(e) = storage.audit(&who, "failed login", &detail, at).await {
                        eprintln!("audit: {e}");
                    }
                });
            }
            return Ok(wrong());
        }
    };
    let check = place.check(f.password, user.password_hash.clone());
    // The try is counted before the answer is read: parallel guesses get
    // no more than LOGIN_TRIES.
    let claimed = app.storage.claim_login(&user.name, &client, at, LOGIN_TRIES, LOCK_MS).await?;
    let right = check.await.unwrap_or(false);
    let Some(attempt) = claimed else {
        // Locked by a parallel try meanwhile: the same answer, the same work.
        return Ok(wrong());
    };
    if !right {
        let detail = if attempt >= LOGIN_TRIES {
            format!("locked for {} minutes after {attempt} wrong passwords from {client}", LOCK_MS / 60_000)
        } else {
            format!("wrong password from {client}")
        };
        app.storage.audit(&user.name, "failed login", &detail, at).await?;
        return Ok(wrong());
    }
    let session = auth::new_secret("dcs_");
    let csrf = auth::new_secret("");
    // Only if the password checked is still the account's: a new password
    // set meanwhile (which ended the sessions) is not undone by this login.
    if !app
        .storage
        .add_session(&auth::digest(&session), &user.name, &user.password_hash, &csrf, at + SESSION_MS)
        .await?
    {
        app.storage.audit(&user.name, "failed login", "password changed meanwhile", at).await?;
        return Ok(wrong());
    }
    app.tries.give_back(address);
    app.storage.login_succeeded(&user.name, &client).await?;
    app.storage.audit(&user.name, "login", &format!("{} from {client}", user.role.as_str()), at).await?;
    let mut r = Redirect::to("/").into_response();
    r.headers_mut().append(header::SET_COOKIE, set_cookie(secure, SESSION_COOKIE, &session, SESSION_MS / 1000));
    Ok(r)
}

/// The one answer to an unknown name, a locked account and a wrong password.
const WRONG: &str = "用户名或密码错误（同一地址连续输错 5 次，该账号在此地址暂停登录 15 分钟）";

/// A refusal page with `Retry-After`.
fn retry_after(status: StatusCode, page: Response, secs: u64) -> Response {
    let mut r = (status, page).into_response();
    r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
    r
}

#[derive(serde::Deserialize)]
struct LogoutForm {
    #[serde(default)]
    csrf: String,
}

/// Ends the session; the form carries the session's CSRF token.
async fn logout(State(app): State<App>, headers: HeaderMap, Form(f): Form<LogoutForm>) -> ApiResult<Response> {
    if let Some(id) = cookie(&headers, SESSION_COOKIE) {
        let id = auth::digest(id);
        match app.storage.session(&id, now()).await? {
            Some((_, csrf)) if auth::same(&csrf, &f.csrf) => app.storage.end_session(&id).await?,
            // A page a person can act on, as every form's refusal.
            Some((user, csrf)) => return Ok(super::pages::csrf_refused(&headers, user, csrf)),
            None => {}
        }
    }
    let mut r = Redirect::to("/login").into_response();
    r.headers_mut().append(header::SET_COOKIE, set_cookie(https(&app, &headers), SESSION_COOKIE, "", 0));
    Ok(r)
}

/// The signed-in user of a request and their session's CSRF token.
pub(crate) async fn session_of(app: &App, headers: &HeaderMap) -> Result<Option<(UserRow, String)>, StorageError> {
    match cookie(headers, SESSION_COOKIE) {
        Some(id) => app.storage.session(&auth::digest(id), now()).await,
        None => Ok(None),
    }
}

/// Today in the district's zone (the pages' default dates).
pub(crate) fn today() -> NaiveDate {
    chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive()
}

/// The end of a date in the district's zone, as an instant.
pub(crate) fn end_of(date: NaiveDate) -> Instant {
    let next = date + chrono::Duration::days(1);
    crate::domain::time::local_to_instant(chrono_tz::Asia::Shanghai, next.and_time(chrono::NaiveTime::MIN))
}

/// A 500 whose detail went to the log.
pub(crate) fn internal_response(what: &str) -> Response {
    (StatusCode::INTERNAL_SERVER_ERROR, what.to_string()).into_response()
}
