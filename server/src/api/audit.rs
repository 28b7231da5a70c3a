//! `GET /api/audit?since=&until=&actor=&action=&limit=`: the audit log,
//! newest first (`audit:read`, admins). `since`/`until` as `GET /api/cases`
//! takes `since` (Unix seconds or a CST date); `action` exact or a prefix
//! (`user.*`); `limit` 1–10,000, 200 by default.

use super::cases::parse_since;
use super::common::{no_store, read};
use super::extract::{bad_param, query_pairs};
use crate::error::ApiError;
use crate::store::{AuditQuery, AuditRecord};
use crate::AppState;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use serde::{Deserialize, Serialize};

/// Default and largest `limit`.
pub const DEFAULT_AUDIT: usize = 200;
pub const MAX_AUDIT: usize = 10_000;

/// Reply of `GET /api/audit`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditOut {
    pub entries: Vec<AuditRecord>,
}

/// Parses the filters of `GET /api/audit`.
pub fn audit_query(raw: Option<&str>) -> Result<AuditQuery, ApiError> {
    let mut q = AuditQuery {
        limit: DEFAULT_AUDIT,
        ..AuditQuery::default()
    };
    let time = |k: &str, v: &str| {
        parse_since(v).ok_or_else(|| {
            bad_param(
                k,
                format!("{v:?}: expected Unix seconds or a date such as 2026-11-01"),
            )
        })
    };
    for (k, v) in query_pairs(raw)? {
        let text = || {
            let t = v.trim();
            if t.is_empty() || t.chars().count() > 100 {
                Err(bad_param(&k, "must be 1 to 100 characters"))
            } else {
                Ok(t.to_string())
            }
        };
        match k.as_str() {
            "since" => q.since = Some(time(&k, &v)?),
            "until" => q.until = Some(time(&k, &v)?),
            "actor" => q.actor = Some(text()?),
            "action" => q.action = Some(text()?),
            "limit" => {
                q.limit = v
                    .trim()
                    .parse::<usize>()
                    .ok()
                    .filter(|n| (1..=MAX_AUDIT).contains(n))
                    .ok_or_else(|| {
                        bad_param("limit", format!("{v:?}: must be between 1 and {MAX_AUDIT}"))
                    })?
            }
            other => {
                return Err(bad_param(
                    other,
                    "unknown parameter; the filters are since, until, actor, action, limit",
                ))
            }
        }
    }
    Ok(q)
}

pub async fn list(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let q = audit_query(raw.as_deref())?;
    let entries = read(&state, move |s| s.audit_query(&q)).await?;
    Ok(no_store(StatusCode::OK, Json(AuditOut { entries })))
}
