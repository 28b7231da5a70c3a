//! The case endpoints: `POST /api/cases` (report), `GET /api/cases`
//! (GeoJSON query), `GET /api/cases.bin` (the compact file of the last
//! [`RECENT_DAYS`] days), `GET /api/cases/{id}` and
//! `POST /api/cases/{id}/transitions`. (`GET /api/cases/urgent`, the wall's
//! read of the last day's urgent reports, is in `walls.rs`.)

use super::common::{
    answer_of, answered, execute_answered, intake_error, no_store, read, replayed,
};
use super::extract::{bad_param, query_pairs, CaseId, Idempotent};
use crate::clock::now_s;
use crate::error::ApiError;
use crate::http::client::ClientAddr;
use crate::intake::{self, check_text, CaseIn, MAX_NOTE};
use crate::mask;
use crate::store::{Actor, Answered, CaseQuery, Command, IdempotencyKey};
use crate::AppState;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use pingan_model::access::Permission;
use pingan_model::cases::{encode, CaseFile};
use pingan_model::domain::{CaseCategory, CaseStatus};
use pingan_model::live::{Case, Change, Transition};
use serde::{Deserialize, Serialize};

/// Default and largest `limit` of `GET /api/cases`.
pub const DEFAULT_CASES: usize = 500;
pub const MAX_CASES: usize = 10_000;
/// The window of `GET /api/cases.bin`.
pub const RECENT_DAYS: i64 = 30;

/// `POST /api/cases/{id}/transitions`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TransitionIn {
    pub to: CaseStatus,
    /// Accepted and ignored: the actor is the signed-in account.
    #[serde(default)]
    pub by: Option<String>,
    #[serde(default)]
    pub note: String,
}

/// Reply of `GET /api/cases/{id}`.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
pub struct CaseDetail {
    pub case: Case,
    pub number: String,
    pub overdue: bool,
    pub transitions: Vec<Transition>,
}

/// Reports a case: validate, locate, route, store, with `actor` (the
/// signed-in account, under its display name) as the reporter; with a `key`,
/// once (a repeat answers as the first time). The answer is 201 with the
/// stored case (its routed `departments` and `rule` included). The path real
/// reports and the simulator share (the simulator calls
/// [`intake::prepare_case`] and [`crate::live::Live::execute`] the same way).
pub async fn report(
    state: &AppState,
    actor: &Actor,
    from: &ClientAddr,
    input: &CaseIn,
    key: Option<IdempotencyKey>,
) -> Result<Answered, ApiError> {
    if let Some(first) = replayed(state, key.as_ref()).await? {
        return Ok(first);
    }
    let new = intake::prepare_case(
        state.grids(),
        state.rules().map(|r| r.as_ref()),
        input,
        actor,
        now_s(),
    )
    .map_err(intake_error)?;
    super::guard::within_scope(actor, Permission::CasesReport, new.subdistrict.as_deref())?;
    execute_answered(
        state,
        actor,
        from,
        Command::ReportCase(new),
        key,
        |events| {
            answer_of(events, StatusCode::CREATED, "case", |e| match &e.change {
                Change::CaseReported { case } => Some(case),
                _ => None,
            })
        },
    )
    .await
}

/// The id of a case answer (its `Location`).
#[derive(Deserialize)]
struct Id {
    id: u32,
}

pub async fn report_case(
    State(state): State<AppState>,
    actor: Actor,
    from: ClientAddr,
    Idempotent { body: input, key }: Idempotent<CaseIn>,
) -> Result<Response, ApiError> {
    let out = report(&state, &actor, &from, &input, key).await?;
    let mut res = answered(&out);
    if let Ok(Id { id }) = serde_json::from_str(&out.answer.body) {
        if let Ok(v) = HeaderValue::from_str(&format!("/api/cases/{id}")) {
            res.headers_mut().insert(header::LOCATION, v);
        }
    }
    Ok(res)
}

/// `GET /api/cases/{id}`: the reporter and the history's actors masked
/// unless the reader sees personal data of the case's subdistrict; an
/// unmasked read is audited (`case.read_unmasked`).
pub async fn get_case(
    State(state): State<AppState>,
    CaseId(id): CaseId,
    actor: Actor,
    from: ClientAddr,
) -> Result<Response, ApiError> {
    let found = read(&state, move |s| s.case(id)).await?;
    let (mut case, mut transitions) =
        found.ok_or_else(|| ApiError::NoSuchEntity(format!("case {id} does not exist")))?;
    let audience = actor.audience();
    if mask::sees_case(&audience, &case) {
        let entry = crate::audit::entry(
            &actor,
            "case.read_unmasked",
            format!("cases/{id}"),
            &from.to_string(),
            "",
        );
        read(&state, move |s| s.audit(&entry)).await?;
    } else {
        mask::case_for(&audience, &mut case, &mut transitions);
    }
    let body = CaseDetail {
        number: case.number(),
        overdue: case.is_overdue(now_s()),
        case,
        transitions,
    };
    Ok(no_store(StatusCode::OK, Json(body)))
}

pub async fn transition(
    State(state): State<AppState>,
    CaseId(id): CaseId,
    actor: Actor,
    from: ClientAddr,
    Idempotent { body: input, key }: Idempotent<TransitionIn>,
) -> Result<Response, ApiError> {
    if let Some(first) = replayed(&state, key.as_ref()).await? {
        return Ok(answered(&first));
    }
    check_text("note", &input.note, MAX_NOTE, true).map_err(intake_error)?;
    if actor.scope().is_some() {
        let case = read(&state, move |s| s.case(id)).await?;
        if let Some((case, _)) = case {
            super::guard::within_scope(
                &actor,
                Permission::CasesTransition,
                case.subdistrict.as_deref(),
            )?;
        }
    }
    let cmd = Command::Transition {
        case_id: id,
        to: input.to,
        by: actor.clone(),
        note: input.note,
        at: now_s(),
    };
    let out = execute_answered(&state, &actor, &from, cmd, key, |events| {
        answer_of(events, StatusCode::OK, "transition", |e| match &e.change {
            Change::CaseTransitioned { case, .. } => Some(case),
            _ => None,
        })
    })
    .await?;
    Ok(answered(&out))
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

/// `GET /api/cases`: each case masked unless the reader sees personal data
/// of its subdistrict. An answer that leaves a case with personal data
/// unmasked is audited once (`cases.list_unmasked`, the query and the count
/// in `detail`) before it is sent.
pub async fn list_cases(
    State(state): State<AppState>,
    actor: Actor,
    from: ClientAddr,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let q = case_query(raw.as_deref())?;
    let mut cases = read(&state, move |s| s.cases(&q)).await?;
    let audience = actor.audience();
    let mut unmasked = 0;
    for c in &mut cases {
        unmasked += usize::from(mask::case_for(&audience, c, &mut []));
    }
    if unmasked > 0 {
        let detail = format!(
            "{unmasked} of {} cases unmasked; query {:?}",
            cases.len(),
            crate::audit::clip(raw.as_deref().unwrap_or(""))
        );
        let entry = crate::audit::entry(
            &actor,
            "cases.list_unmasked",
            "cases",
            &from.to_string(),
            detail,
        );
        read(&state, move |s| s.audit(&entry)).await?;
    }
    let now = now_s();
    let features: Vec<serde_json::Value> = cases.iter().map(|c| case_feature(c, now)).collect();
    let body = serde_json::json!({"type": "FeatureCollection", "features": features});
    let mut res = no_store(StatusCode::OK, Json(body));
    epoch_header(&state, &mut res);
    Ok(res)
}

/// Start of the case file's window: midnight (CST) [`RECENT_DAYS`] days
/// before today. Whole days, so the file only grows during a day: two loads
/// a few seconds apart hold the same old cases (a window sliding by the
/// second would drop one every half minute).
pub fn window_start(now: i64) -> i64 {
    pingan_model::time::cst_day_start(now - RECENT_DAYS * 86_400)
}

pub async fn cases_bin(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    // The compact records hold no personal data (no reporter, no text):
    // `audience=public` is accepted (a wall asks for it everywhere) and
    // changes nothing.
    super::extract::only_audience(raw.as_deref(), "GET /api/cases.bin")?;
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
            (EPOCH_HEADER, state.live().hub().epoch().to_string()),
        ],
        bytes,
    )
        .into_response())
}

/// The store's identity, on every case answer (the stream's `epoch`).
pub const EPOCH_HEADER: header::HeaderName = header::HeaderName::from_static("x-pingan-epoch");

fn epoch_header(state: &AppState, res: &mut Response) {
    if let Ok(v) = HeaderValue::from_str(state.live().hub().epoch()) {
        res.headers_mut().insert(EPOCH_HEADER, v);
    }
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
}
