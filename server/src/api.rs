//! The live HTTP API: cases, transitions, readings, alerts, hazard status,
//! the live snapshot. Every handler validates its input into a
//! [`Command`] (or a query) and hands it to the store through
//! [`crate::live::Live`]; every failure is an [`ApiError`] whose `detail`
//! names the offending field. A rejected request stores nothing: all
//! validation happens before the command runs, and a command that fails in
//! the store rolls its transaction back. See docs/api.md.

use crate::error::ApiError;
use crate::intake::{self, check_text, check_time, CaseIn, IntakeError, MAX_NAME, MAX_NOTE};
use crate::live::now_s;
use crate::store::{CaseQuery, Command, Store, StoreResult};
use crate::AppState;
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use http_body_util::BodyExt;
use pingan_model::cases::{encode, CaseFile};
use pingan_model::domain::{CaseCategory, CaseStatus, HazardStatus};
use pingan_model::live::{
    Alert, AlertChange, Case, Change, Event, ReadingIn, SensorState, Seq, Transition,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// Body limit of endpoints taking one object.
pub const SINGLE_LIMIT: usize = 64 * 1024;
/// Body limit of `POST /api/readings`.
pub const READINGS_LIMIT: usize = 1024 * 1024;
/// Most readings in one batch.
pub const MAX_READINGS: usize = 1000;
/// Default and largest `limit` of `GET /api/cases`.
pub const DEFAULT_CASES: usize = 500;
pub const MAX_CASES: usize = 10_000;
/// The window of `GET /api/cases.bin`.
pub const RECENT_DAYS: i64 = 30;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/cases",
            post(report_case).get(list_cases).layer(compress()),
        )
        .route("/api/cases.bin", get(cases_bin).layer(compress()))
        .route("/api/cases/{id}", get(get_case))
        .route("/api/cases/{id}/transitions", post(transition))
        .route("/api/readings", post(readings))
        .route("/api/alerts", get(alerts))
        .route("/api/alerts/{id}/ack", post(ack_alert))
        .route("/api/hazards/{id}/status", post(hazard_status))
        .route("/api/live", get(live_snapshot))
}

/// On-the-fly gzip (fastest level) for the large, per-request answers: the
/// case file (~2 MB → ~1 MB) and GeoJSON queries. Static files are
/// precompressed instead (see `files`).
fn compress() -> tower_http::compression::CompressionLayer {
    tower_http::compression::CompressionLayer::new()
        .gzip(true)
        .quality(tower_http::CompressionLevel::Fastest)
}

/// The `Allow` header of a path (for 405 answers).
pub fn allowed_methods(path: &str) -> &'static str {
    let p = path.trim_end_matches('/');
    let seg: Vec<&str> = p.split('/').collect();
    match seg.as_slice() {
        ["", "api", "cases"] => "GET, HEAD, POST",
        ["", "api", "cases", _, "transitions"]
        | ["", "api", "readings"]
        | ["", "api", "alerts", _, "ack"]
        | ["", "api", "hazards", _, "status"] => "POST",
        _ => "GET, HEAD",
    }
}

// ---------------------------------------------------------------------------
// Request bodies
// ---------------------------------------------------------------------------

/// `POST /api/cases/{id}/transitions`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TransitionIn {
    pub to: CaseStatus,
    pub by: String,
    #[serde(default)]
    pub note: String,
}

/// `POST /api/readings`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ReadingsIn {
    pub readings: Vec<ReadingIn>,
}

/// `POST /api/alerts/{id}/ack`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AckIn {
    pub by: String,
}

/// `POST /api/hazards/{id}/status`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct HazardIn {
    pub status: HazardStatus,
    pub by: String,
    #[serde(default)]
    pub note: String,
}

/// Reply of `POST /api/readings`.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
pub struct ReadingsOut {
    /// The sequence number of the last event the batch appended.
    pub seq: Seq,
    /// The new state of every sensor in the batch.
    pub sensors: Vec<SensorState>,
    /// Alerts raised, changed or cleared by the batch, in order.
    pub alerts: Vec<AlertOut>,
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
pub struct AlertOut {
    pub change: AlertChange,
    pub alert: Alert,
}

/// Reply of `GET /api/cases/{id}`.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
pub struct CaseDetail {
    pub case: Case,
    pub number: String,
    pub overdue: bool,
    pub transitions: Vec<Transition>,
}

/// Reply of `GET /api/alerts`.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
pub struct AlertsOut {
    pub seq: Seq,
    pub alerts: Vec<Alert>,
}

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// Reads and parses a JSON body: `application/json`, at most `limit` bytes,
/// the type's fields exactly. Errors name the field (`readings[3].value`).
pub async fn json_body<T: DeserializeOwned>(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
) -> Result<T, ApiError> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if essence != "application/json" {
        return Err(ApiError::UnsupportedMediaType(if ct.is_empty() {
            "the body must be JSON: send Content-Type: application/json".into()
        } else {
            format!("the body must be JSON (Content-Type: application/json), not {ct}")
        }));
    }
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let too_large = |what: String| ApiError::TooLarge {
        what,
        limit: format!("{limit} bytes for this endpoint"),
    };
    if let Some(len) = declared.filter(|&l| l > limit as u64) {
        return Err(too_large(format!("the request body of {len} bytes")));
    }
    let mut body = body;
    let mut bytes: Vec<u8> = Vec::new();
    while let Some(frame) = body.frame().await {
        let frame =
            frame.map_err(|e| ApiError::BadJson(format!("the body could not be read: {e}")))?;
        if let Ok(data) = frame.into_data() {
            if bytes.len() + data.len() > limit {
                return Err(too_large("the request body".into()));
            }
            bytes.extend_from_slice(&data);
        }
    }
    // Every body is a JSON object: serde would otherwise read an array
    // positionally into a struct.
    match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') => {}
        Some(_) => {
            return Err(ApiError::BadJson(
                "the body must be a JSON object ({\"field\": value, …})".into(),
            ))
        }
        None => {
            return Err(ApiError::BadJson(
                "the body is empty; send a JSON object".into(),
            ))
        }
    }
    parse_json(&bytes)
}

/// Parses JSON into `T`, naming the offending field on error.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value: T = match serde_path_to_error::deserialize(&mut de) {
        Ok(v) => v,
        Err(e) => {
            let path = e.path().to_string();
            let inner = e.into_inner();
            return Err(match inner.classify() {
                serde_json::error::Category::Data => {
                    let msg = inner.to_string();
                    let field = named_field(&msg)
                        .map(|f| {
                            if path == "." || path == f || path.ends_with(&format!(".{f}")) {
                                if path == "." {
                                    f
                                } else {
                                    path.clone()
                                }
                            } else {
                                format!("{path}.{f}")
                            }
                        })
                        .unwrap_or_else(|| if path == "." { "body".into() } else { path });
                    ApiError::BadField { field, detail: msg }
                }
                _ => ApiError::BadJson(syntax_detail(bytes, &inner)),
            });
        }
    };
    de.end()
        .map_err(|e| ApiError::BadJson(syntax_detail(bytes, &e)))?;
    Ok(value)
}

/// The field named by serde's "missing field `x`" / "unknown field `x`".
fn named_field(msg: &str) -> Option<String> {
    let rest = msg
        .strip_prefix("missing field `")
        .or_else(|| msg.strip_prefix("unknown field `"))?;
    rest.split('`').next().map(str::to_string)
}

/// A syntax error, with the last object key before it ("near `lon`").
fn syntax_detail(bytes: &[u8], e: &serde_json::Error) -> String {
    let (line, col) = (e.line(), e.column());
    let mut offset = 0usize;
    for (i, l) in bytes.split(|b| *b == b'\n').enumerate() {
        if i + 1 == line {
            offset += col.min(l.len());
            break;
        }
        offset += l.len() + 1;
    }
    let before = String::from_utf8_lossy(&bytes[..offset.min(bytes.len())]).into_owned();
    let key = before.rfind("\":").and_then(|end| {
        let start = before[..end].rfind('"')?;
        Some(before[start + 1..end].to_string())
    });
    match key {
        Some(k) if !k.is_empty() => format!("{e} (near field `{k}`)"),
        _ => e.to_string(),
    }
}

fn intake_error(e: IntakeError) -> ApiError {
    match e {
        IntakeError::Invalid { field, detail } => ApiError::Invalid { field, detail },
        IntakeError::NoRules(m) => ApiError::Unavailable(m),
    }
}

/// Runs a read on a blocking thread.
async fn read<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&dyn Store) -> StoreResult<T> + Send + 'static,
) -> Result<T, ApiError> {
    let live = state.live().clone();
    tokio::task::spawn_blocking(move || f(live.store().as_ref()))
        .await
        .map_err(ApiError::from_join)?
        .map_err(ApiError::from)
}

async fn execute(state: &AppState, cmd: Command) -> Result<Vec<Event>, ApiError> {
    Ok(state.live().execute(cmd).await?)
}

fn no_store<T: IntoResponse>(status: StatusCode, body: T) -> Response {
    (status, [(header::CACHE_CONTROL, "no-store")], body).into_response()
}

/// A case id: `123` or the case number `AJ00000123`.
fn case_id(raw: &str) -> Result<u32, ApiError> {
    let digits = raw
        .strip_prefix("AJ")
        .or_else(|| raw.strip_prefix("aj"))
        .unwrap_or(raw);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::BadField {
            field: "id".into(),
            detail: format!("{raw:?} is not a case id (a number such as 42 or AJ00000042)"),
        });
    }
    digits.parse::<u32>().map_err(|_| ApiError::BadField {
        field: "id".into(),
        detail: format!("{raw:?} is out of range"),
    })
}

/// Reports a case: validate, locate, route, store. The path real reports
/// and the simulator share (the simulator calls [`intake::prepare_case`] and
/// [`crate::live::Live::execute`] the same way).
pub async fn report(state: &AppState, input: &CaseIn) -> Result<Case, ApiError> {
    let new = intake::prepare_case(
        state.grids(),
        state.rules().map(|r| r.as_ref()),
        input,
        now_s(),
    )
    .map_err(intake_error)?;
    let events = execute(state, Command::ReportCase(new)).await?;
    events
        .into_iter()
        .find_map(|e| match e.change {
            Change::CaseReported { case } => Some(case),
            _ => None,
        })
        .ok_or_else(|| ApiError::Internal("the store reported no case".into()))
}

// ---------------------------------------------------------------------------
// Handlers
// ---------------------------------------------------------------------------

async fn report_case(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let input: CaseIn = json_body(&headers, body, SINGLE_LIMIT).await?;
    let case = report(&state, &input).await?;
    let location = format!("/api/cases/{}", case.id);
    let mut res = no_store(StatusCode::CREATED, Json(case));
    if let Ok(v) = HeaderValue::from_str(&location) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    Ok(res)
}

async fn get_case(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = case_id(&id)?;
    let found = read(&state, move |s| s.case(id)).await?;
    let (case, transitions) =
        found.ok_or_else(|| ApiError::NoSuchEntity(format!("case {id} does not exist")))?;
    let body = CaseDetail {
        number: case.number(),
        overdue: case.is_overdue(now_s()),
        case,
        transitions,
    };
    Ok(no_store(StatusCode::OK, Json(body)))
}

async fn transition(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let id = case_id(&id)?;
    let input: TransitionIn = json_body(&headers, body, SINGLE_LIMIT).await?;
    check_text("by", &input.by, MAX_NAME, false).map_err(intake_error)?;
    check_text("note", &input.note, MAX_NOTE, true).map_err(intake_error)?;
    let events = execute(
        &state,
        Command::Transition {
            case_id: id,
            to: input.to,
            by: input.by.trim().to_string(),
            note: input.note,
            at: now_s(),
        },
    )
    .await?;
    let case = events
        .into_iter()
        .find_map(|e| match e.change {
            Change::CaseTransitioned { case, .. } => Some(case),
            _ => None,
        })
        .ok_or_else(|| ApiError::Internal("the store reported no transition".into()))?;
    Ok(no_store(StatusCode::OK, Json(case)))
}

fn bad_param(name: &str, detail: impl Into<String>) -> ApiError {
    ApiError::BadField {
        field: name.to_string(),
        detail: detail.into(),
    }
}

/// Query parameters as (name, value) pairs, percent-decoded.
fn query_pairs(raw: Option<&str>) -> Result<Vec<(String, String)>, ApiError> {
    let raw = raw.unwrap_or("");
    serde_urlencoded::from_str::<Vec<(String, String)>>(raw)
        .map_err(|e| bad_param("query", format!("the query string cannot be read: {e}")))
}

/// Latest `since` accepted: 9999-12-31T23:59:59Z.
const MAX_SINCE: i64 = 253_402_300_799;

/// `since`: Unix seconds, a date (`2026-11-01`, CST midnight) or a date-time
/// (`2026-11-01T08:00`, CST unless it ends in `Z` or `±HH:MM`). Years
/// 1970–9999, offsets within ±14:59, seconds up to 9999-12-31; anything
/// else is `None` (so no arithmetic on it can overflow).
pub fn parse_since(v: &str) -> Option<i64> {
    fn digits(s: &str, max_len: usize) -> Option<i64> {
        if s.is_empty() || s.len() > max_len || !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        s.parse().ok()
    }
    let v = v.trim();
    if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
        return v.parse::<i64>().ok().filter(|t| *t <= MAX_SINCE);
    }
    let (date, time) = match v.split_once(['T', ' ']) {
        Some((d, t)) => (d, Some(t)),
        None => (v, None),
    };
    let mut parts = date.split('-');
    let y = digits(parts.next()?, 4)?;
    let m = digits(parts.next()?, 2)? as u32;
    let d = digits(parts.next()?, 2)? as u32;
    if parts.next().is_some()
        || !(1970..=9999).contains(&y)
        || !(1..=12).contains(&m)
        || !(1..=31).contains(&d)
    {
        return None;
    }
    let mut t = pingan_model::time::cst_midnight(y, m, d);
    if let Some(time) = time {
        let (clock, offset) = if let Some(c) = time.strip_suffix('Z') {
            (c, Some(0))
        } else if let Some(i) = time.rfind(['+', '-']) {
            let off = &time[i + 1..];
            let (h, mi) = off.split_once(':').unwrap_or((off, "0"));
            let (h, mi) = (digits(h, 2)?, digits(mi, 2)?);
            if h > 14 || mi >= 60 {
                return None;
            }
            let secs = h * 3600 + mi * 60;
            (
                &time[..i],
                Some(if time[i..].starts_with('-') {
                    -secs
                } else {
                    secs
                }),
            )
        } else {
            (time, None)
        };
        let mut hms = clock.split(':');
        let h = digits(hms.next()?, 2)?;
        let mi = digits(hms.next().unwrap_or("0"), 2)?;
        let s: f64 = hms.next().unwrap_or("0").parse().ok()?;
        if hms.next().is_some()
            || !(0..24).contains(&h)
            || !(0..60).contains(&mi)
            || !(0.0..61.0).contains(&s)
        {
            return None;
        }
        t += h * 3600 + mi * 60 + s as i64;
        if let Some(off) = offset {
            // Local midnight assumed CST (+8); correct to the given offset.
            t += pingan_model::time::CST_OFFSET - off;
        }
    }
    Some(t)
}

/// Parses the filters of `GET /api/cases`.
pub fn case_query(raw: Option<&str>) -> Result<CaseQuery, ApiError> {
    let mut q = CaseQuery {
        limit: DEFAULT_CASES,
        ..CaseQuery::default()
    };
    for (k, v) in query_pairs(raw)? {
        match k.as_str() {
            "bbox" => {
                let nums: Vec<f64> = v
                    .split(',')
                    .map(|p| p.trim().parse::<f64>())
                    .collect::<Result<_, _>>()
                    .map_err(|_| bad_param("bbox", format!("{v:?}: expected minLon,minLat,maxLon,maxLat")))?;
                let [x0, y0, x1, y1] = nums[..] else {
                    return Err(bad_param("bbox", format!("{v:?}: expected 4 numbers, found {}", nums.len())));
                };
                if nums.iter().any(|n| !n.is_finite()) || x0 > x1 || y0 > y1 {
                    return Err(bad_param("bbox", format!("{v:?}: min must be ≤ max and all finite")));
                }
                q.bbox = Some([x0, y0, x1, y1]);
            }
            "status" => {
                for s in v.split(',').filter(|s| !s.is_empty()) {
                    q.status.push(CaseStatus::from_code(s.trim()).ok_or_else(|| {
                        bad_param("status", format!("unknown status {s:?}; one of {}", codes(CaseStatus::ALL.iter().map(|c| c.code()))))
                    })?);
                }
            }
            "category" => {
                for s in v.split(',').filter(|s| !s.is_empty()) {
                    q.category.push(CaseCategory::from_code(s.trim()).ok_or_else(|| {
                        bad_param("category", format!("unknown category {s:?}; one of {}", codes(CaseCategory::ALL.iter().map(|c| c.code()))))
                    })?);
                }
            }
            "subdistrict" => {
                if v.trim().is_empty() {
                    return Err(bad_param("subdistrict", "must not be empty"));
                }
                q.subdistrict = Some(v.trim().to_string());
            }
            "since" => {
                q.since = Some(parse_since(&v).ok_or_else(|| {
                    bad_param("since", format!("{v:?}: expected Unix seconds or a date such as 2026-11-01 or 2026-11-01T08:00:00+08:00"))
                })?);
            }
            "limit" => {
                let n: usize = v
                    .trim()
                    .parse()
                    .map_err(|_| bad_param("limit", format!("{v:?} is not a positive integer")))?;
                if n == 0 || n > MAX_CASES {
                    return Err(bad_param("limit", format!("{n}: must be between 1 and {MAX_CASES}")));
                }
                q.limit = n;
            }
            other => {
                return Err(bad_param(
                    other,
                    "unknown parameter; the filters are bbox, status, category, subdistrict, since, limit",
                ))
            }
        }
    }
    Ok(q)
}

fn codes<'a>(it: impl Iterator<Item = &'a str>) -> String {
    it.collect::<Vec<_>>().join(", ")
}

/// A case as a GeoJSON Point feature.
pub fn case_feature(c: &Case, now: i64) -> serde_json::Value {
    let mut props = match serde_json::to_value(c) {
        Ok(serde_json::Value::Object(m)) => m,
        _ => serde_json::Map::new(),
    };
    props.insert("number".into(), c.number().into());
    props.insert("overdue".into(), c.is_overdue(now).into());
    serde_json::json!({
        "type": "Feature",
        "id": c.id,
        "geometry": {"type": "Point", "coordinates": [
            pingan_model::geojson_io::round6(c.lon),
            pingan_model::geojson_io::round6(c.lat)
        ]},
        "properties": props,
    })
}

async fn list_cases(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let q = case_query(raw.as_deref())?;
    let cases = read(&state, move |s| s.cases(&q)).await?;
    let now = now_s();
    let features: Vec<serde_json::Value> = cases.iter().map(|c| case_feature(c, now)).collect();
    let body = serde_json::json!({"type": "FeatureCollection", "features": features});
    Ok(no_store(StatusCode::OK, Json(body)))
}

/// Start of the case file's window: midnight (CST) [`RECENT_DAYS`] days
/// before today. Whole days, so the file only grows during a day: two loads
/// a few seconds apart hold the same old cases (a window sliding by the
/// second would drop one every half minute).
pub fn window_start(now: i64) -> i64 {
    pingan_model::time::cst_day_start(now - RECENT_DAYS * 86_400)
}

async fn cases_bin(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    if let Some((k, _)) = query_pairs(raw.as_deref())?.into_iter().next() {
        return Err(bad_param(&k, "GET /api/cases.bin takes no parameters"));
    }
    let now = now_s();
    let from = window_start(now);
    let (seq, records) = read(&state, move |s| s.case_records(from, now + 1)).await?;
    let grid_count = records
        .iter()
        .map(|r| r.grid as u32 + 1)
        .max()
        .unwrap_or(0)
        .max(state.grids().len() as u32);
    let bytes = encode(&CaseFile {
        grid_count,
        window_start: from,
        window_end: now + 1,
        records,
    });
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_string()),
            (header::CACHE_CONTROL, "no-store".to_string()),
            (
                header::HeaderName::from_static("x-pingan-seq"),
                seq.to_string(),
            ),
        ],
        bytes,
    )
        .into_response())
}

async fn readings(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let input: ReadingsIn = json_body(&headers, body, READINGS_LIMIT).await?;
    if input.readings.len() > MAX_READINGS {
        return Err(ApiError::TooLarge {
            what: format!("readings: a batch of {}", input.readings.len()),
            limit: format!("{MAX_READINGS} readings"),
        });
    }
    if input.readings.is_empty() {
        return Err(ApiError::Invalid {
            field: "readings".into(),
            detail: "the batch is empty".into(),
        });
    }
    let now = now_s();
    for (i, r) in input.readings.iter().enumerate() {
        check_text(&format!("readings[{i}].sensor"), &r.sensor, MAX_NAME, false)
            .map_err(intake_error)?;
        if let Some(at) = r.at {
            check_time(&format!("readings[{i}].at"), at, now).map_err(intake_error)?;
        }
    }
    let events = execute(
        &state,
        Command::Readings {
            readings: input.readings,
            at: now,
        },
    )
    .await?;
    let mut out = ReadingsOut {
        seq: events.last().map(|e| e.seq).unwrap_or(0),
        sensors: vec![],
        alerts: vec![],
    };
    for e in events {
        match e.change {
            Change::Readings { sensors } => out.sensors = sensors,
            Change::Alert { alert, change } => out.alerts.push(AlertOut { change, alert }),
            _ => {}
        }
    }
    Ok(no_store(StatusCode::OK, Json(out)))
}

async fn alerts(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let mut active_only = false;
    for (k, v) in query_pairs(raw.as_deref())? {
        match k.as_str() {
            "active" => {
                active_only = match v.as_str() {
                    "true" | "1" => true,
                    "false" | "0" => false,
                    _ => {
                        return Err(bad_param(
                            "active",
                            format!("{v:?}: expected true or false"),
                        ))
                    }
                }
            }
            other => {
                return Err(bad_param(
                    other,
                    "unknown parameter; the filter is active=true|false",
                ))
            }
        }
    }
    let snap = read(&state, |s| s.snapshot()).await?;
    let alerts = snap
        .alerts
        .into_iter()
        .filter(|a| !active_only || a.is_active())
        .collect();
    Ok(no_store(
        StatusCode::OK,
        Json(AlertsOut {
            seq: snap.seq,
            alerts,
        }),
    ))
}

async fn ack_alert(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let id: u64 = id
        .parse()
        .ok()
        .filter(|n| (1..=i64::MAX as u64).contains(n))
        .ok_or_else(|| {
            bad_param(
                "id",
                format!("{id:?} is not an alert id (a positive integer)"),
            )
        })?;
    let input: AckIn = json_body(&headers, body, SINGLE_LIMIT).await?;
    check_text("by", &input.by, MAX_NAME, false).map_err(intake_error)?;
    let events = execute(
        &state,
        Command::AckAlert {
            id,
            by: input.by.trim().to_string(),
            at: now_s(),
        },
    )
    .await?;
    let alert = events
        .into_iter()
        .find_map(|e| match e.change {
            Change::Alert { alert, .. } => Some(alert),
            _ => None,
        })
        .ok_or_else(|| ApiError::Internal("the store reported no alert".into()))?;
    Ok(no_store(StatusCode::OK, Json(alert)))
}

async fn hazard_status(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    check_text("id", &id, MAX_NAME, false).map_err(|e| match e {
        IntakeError::Invalid { field, detail } => ApiError::BadField { field, detail },
        other => intake_error(other),
    })?;
    let input: HazardIn = json_body(&headers, body, SINGLE_LIMIT).await?;
    check_text("by", &input.by, MAX_NAME, false).map_err(intake_error)?;
    check_text("note", &input.note, MAX_NOTE, true).map_err(intake_error)?;
    let events = execute(
        &state,
        Command::HazardStatus {
            id,
            status: input.status,
            by: input.by.trim().to_string(),
            note: input.note,
            at: now_s(),
        },
    )
    .await?;
    let hazard = events
        .into_iter()
        .find_map(|e| match e.change {
            Change::HazardStatus { hazard } => Some(hazard),
            _ => None,
        })
        .ok_or_else(|| ApiError::Internal("the store reported no hazard change".into()))?;
    Ok(no_store(StatusCode::OK, Json(hazard)))
}

async fn live_snapshot(State(state): State<AppState>) -> Result<Response, ApiError> {
    let snap = read(&state, |s| s.snapshot()).await?;
    Ok(no_store(StatusCode::OK, Json(snap)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_case_window_starts_at_a_cst_midnight_30_days_back() {
        // 2026-11-26 13:53 CST.
        let now = pingan_model::time::cst_midnight(2026, 11, 26) + 13 * 3600 + 53 * 60;
        let start = window_start(now);
        assert_eq!(start, pingan_model::time::cst_midnight(2026, 10, 27));
        // Stable through the day; moves at midnight.
        let midnight = pingan_model::time::cst_midnight(2026, 11, 27);
        assert_eq!(window_start(midnight - 1), start);
        assert_eq!(window_start(midnight), start + 86_400);
    }

    #[test]
    fn since_accepts_seconds_dates_and_datetimes() {
        let midnight = pingan_model::time::cst_midnight(2026, 11, 1);
        assert_eq!(parse_since("1790000000"), Some(1_790_000_000));
        assert_eq!(parse_since("2026-11-01"), Some(midnight));
        assert_eq!(
            parse_since("2026-11-01T08:30"),
            Some(midnight + 8 * 3600 + 1800)
        );
        assert_eq!(parse_since("2026-11-01T00:00:00+08:00"), Some(midnight));
        assert_eq!(parse_since("2026-10-31T16:00:00Z"), Some(midnight));
        assert_eq!(
            parse_since("2026-11-01T08:30:15-05:30"),
            Some(midnight + 22 * 3600 + 15)
        );
        assert_eq!(parse_since("2026-13-01"), None);
        assert_eq!(parse_since("yesterday"), None);
        // Nothing out of range overflows (a debug build would panic).
        for bad in [
            "9999999999999999-01-01",
            "-5-01-01",
            "1969-12-31",
            "10000-01-01",
            "2026-11-01T00:00+999999999999999",
            "2026-11-01T00:00-999999999999999:99",
            "2026-11-01T00:00+15:00",
            "2026-11-01T00:00+08:60",
            "2026-11-01T00:00++8",
            "2026-11-01T99999999999999999999:00",
            "2026-11-01T00:00:00:00",
            "99999999999999999999",
            "253402300800",
        ] {
            assert_eq!(parse_since(bad), None, "{bad}");
        }
        assert_eq!(parse_since("253402300799"), Some(MAX_SINCE));
        assert!(parse_since("9999-12-31T23:59:59-14:00").is_some());
    }

    #[test]
    fn json_errors_name_the_field() {
        #[derive(Debug, Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct P {
            lon: f64,
            lat: f64,
        }
        let field = |s: &str| match parse_json::<P>(s.as_bytes()) {
            Err(e) => e.to_string(),
            Ok(p) => panic!("{p:?}"),
        };
        assert!(field(r#"{"lon": 1}"#).starts_with("lat: missing field `lat`"));
        assert!(field(r#"{"lon": 1, "lat": 2, "x": 3}"#).starts_with("x: unknown field `x`"));
        assert!(field(r#"{"lon": 1, "lat": "a"}"#).starts_with("lat: invalid type"));
        assert!(field(r#"{"lon": 1, "lat": NaN}"#).contains("near field `lat`"));
        assert!(matches!(
            parse_json::<P>(b"{\"lon\": 1, \"lat\": 2} x"),
            Err(ApiError::BadJson(_))
        ));
    }
}
