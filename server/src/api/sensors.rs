//! The sensor endpoints: `POST /api/readings` (a batch of readings, which
//! may raise, re-level or clear alerts), `GET /api/alerts` and
//! `POST /api/alerts/{id}/ack`.

use super::common::{
    answer_of, answered, execute, execute_answered, intake_error, no_store, read, replayed,
};
use super::extract::{bad_param, query_pairs, AlertId, Idempotent, JsonBody};
use crate::clock::now_s;
use crate::error::ApiError;
use crate::http::client::ClientAddr;
use crate::intake::{check_text, check_time, MAX_NAME};
use crate::store::{Actor, Command};
use crate::AppState;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use pingan_model::live::{Alert, AlertChange, Change, ReadingIn, SensorState, Seq};
use serde::{Deserialize, Serialize};

/// Body limit of `POST /api/readings`.
pub const READINGS_LIMIT: usize = 1024 * 1024;
/// Most readings in one batch.
pub const MAX_READINGS: usize = 1000;

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
    /// Accepted and ignored: the actor is the signed-in account.
    #[serde(default)]
    pub by: Option<String>,
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

/// Reply of `GET /api/alerts`.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
pub struct AlertsOut {
    pub seq: Seq,
    pub alerts: Vec<Alert>,
}

pub async fn readings(
    State(state): State<AppState>,
    actor: Actor,
    from: ClientAddr,
    JsonBody(input): JsonBody<ReadingsIn, READINGS_LIMIT>,
) -> Result<Response, ApiError> {
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
        &actor,
        &from,
        Command::Readings {
            readings: input.readings,
            by: actor.clone(),
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

/// `GET /api/alerts`: who acknowledged masked for the reader's audience
/// (the public one with `audience=public`);
/// an answer that leaves someone's name unmasked is audited once
/// (`alerts.read_unmasked`) before it is sent.
pub async fn alerts(
    State(state): State<AppState>,
    actor: Actor,
    from: ClientAddr,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let mut active_only = false;
    let mut public = false;
    for (k, v) in query_pairs(raw.as_deref())? {
        match k.as_str() {
            "audience" => public = super::extract::audience_value(&v)?,
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
                    "unknown parameter; the parameters are active=true|false and audience=public",
                ))
            }
        }
    }
    let mut snap = read(&state, |s| s.snapshot()).await?;
    snap.alerts.retain(|a| !active_only || a.is_active());
    snap.hazards.clear();
    snap.scenes.clear();
    let audience = crate::mask::reader_audience(&actor, public);
    let shown = crate::mask::mask_snapshot(&mut snap, &audience, state.live().hub().directory());
    if shown.any() {
        let detail = format!(
            "{} of {} alerts unmasked; query {:?}",
            shown.alerts,
            snap.alerts.len(),
            crate::audit::clip(raw.as_deref().unwrap_or(""))
        );
        let entry = crate::audit::entry(
            &actor,
            "alerts.read_unmasked",
            "alerts",
            &from.to_string(),
            detail,
        );
        read(&state, move |s| s.audit(&entry)).await?;
    }
    Ok(no_store(
        StatusCode::OK,
        Json(AlertsOut {
            seq: snap.seq,
            alerts: snap.alerts,
        }),
    ))
}

pub async fn ack_alert(
    State(state): State<AppState>,
    AlertId(id): AlertId,
    actor: Actor,
    from: ClientAddr,
    Idempotent { body: _input, key }: Idempotent<AckIn>,
) -> Result<Response, ApiError> {
    if let Some(first) = replayed(&state, key.as_ref()).await? {
        return Ok(answered(&first));
    }
    let cmd = Command::AckAlert {
        id,
        by: actor.clone(),
        at: now_s(),
    };
    let out = execute_answered(&state, &actor, &from, cmd, key, |events| {
        answer_of(events, StatusCode::OK, "alert", |e| match &e.change {
            Change::Alert { alert, .. } => Some(alert),
            _ => None,
        })
    })
    .await?;
    Ok(answered(&out))
}
