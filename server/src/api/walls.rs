//! The wall endpoints (issue 9, contract 2): an operator pushes a scene to a
//! named wall group ("show this on the wall": camera, layers, a highlighted
//! feature, how long) and clears it; anyone who reads gets the current one.
//!
//! - `PUT /api/walls/{group}/scene` (`wall:drive`) → 200 the stored `Scene`;
//! - `DELETE /api/walls/{group}/scene` (`wall:drive`) → 204;
//! - `GET /api/walls/{group}/scene` (`read`) → 200 the current `Scene`, or
//!   404 `no_scene` (none pushed, cleared, or its duration is over);
//! - `GET /api/cases/urgent` (`read`) → 200 [`UrgentOut`]: the urgent cases
//!   of the last [`URGENT_WINDOW_MS`], which a wall that loads takes the
//!   focus on as the walls already showing did from the stream.
//!
//! A push or clear is a command like every other write
//! (`Command::PushScene`/`ClearScene`, decided and checked in
//! `store/rules.rs`, audited in its transaction, its `Change::Scene` event on
//! `Topic::Scenes` through the hub), so every wall of the group follows it
//! over the stream and a wall that reconnects finds it in the replay or the
//! snapshot. The centre must lie in the district's box padded by [`PAD_DEG`]
//! (the box of `subdistricts.geojson`, read once at start). Who pushed (a
//! display name) is masked for readers who see no personal data.

use super::common::{execute, no_store, read};
use super::extract::{JsonBody, WallGroup};
use crate::error::ApiError;
use crate::http::client::ClientAddr;
use crate::store::{Actor, Command, SceneIn};
use crate::AppState;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use pingan_model::live::{Case, Change, Scene, SceneFeature, Seq};
use pingan_model::privacy::mask_actor;
use serde::{Deserialize, Serialize};

/// How far outside the district's box (degrees, ~5 km) a scene's centre may
/// lie: a view centred on the border still shows the district.
pub const PAD_DEG: f64 = 0.05;

/// The body of `PUT /api/walls/{group}/scene`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SceneBody {
    pub lon: f64,
    pub lat: f64,
    /// The zoom of a view 1920 CSS px wide (`Scene::design_zoom`).
    pub zoom: f64,
    /// `LayerId` codes to show; empty or absent = the wall's own layers.
    #[serde(default)]
    pub layers: Vec<String>,
    #[serde(default)]
    pub highlight: Option<FeatureBody>,
    /// 5 s to 24 h; absent or `null` = until replaced or cleared.
    #[serde(default)]
    pub duration_s: Option<u32>,
}

/// A highlighted feature: its layer and id.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FeatureBody {
    pub layer: String,
    pub id: String,
}

/// The box a scene's centre must lie in: the district's, padded.
pub fn scene_bounds(state: &AppState) -> Option<[f64; 4]> {
    state
        .district()
        .bbox
        .map(|[x0, y0, x1, y1]| [x0 - PAD_DEG, y0 - PAD_DEG, x1 + PAD_DEG, y1 + PAD_DEG])
}

/// A store "no such scene" as the API's `no_scene`.
fn no_scene(group: &str) -> ApiError {
    ApiError::NoScene(format!(
        "wall group {group:?} has no current scene (none pushed, cleared, or its duration is over)"
    ))
}

fn scene_error(group: &str, e: ApiError) -> ApiError {
    match e {
        ApiError::NoSuchEntity(_) => no_scene(group),
        other => other,
    }
}

/// `PUT /api/walls/{group}/scene`.
pub async fn push(
    State(state): State<AppState>,
    WallGroup(group): WallGroup,
    actor: Actor,
    from: ClientAddr,
    JsonBody(body): JsonBody<SceneBody>,
) -> Result<Response, ApiError> {
    let cmd = Command::PushScene {
        scene: SceneIn {
            group,
            lon: body.lon,
            lat: body.lat,
            zoom: body.zoom,
            layers: body.layers,
            highlight: body.highlight.map(|h| SceneFeature {
                layer: h.layer,
                id: h.id,
            }),
            duration_s: body.duration_s,
        },
        within: scene_bounds(&state),
        by: actor.clone(),
    };
    let events = execute(&state, &actor, &from, cmd).await?;
    let scene = events
        .into_iter()
        .find_map(|e| match e.change {
            Change::Scene { scene, .. } => scene,
            _ => None,
        })
        .ok_or_else(|| ApiError::Internal("the store reported no scene".into()))?;
    Ok(no_store(StatusCode::OK, Json(scene)))
}

/// `DELETE /api/walls/{group}/scene`.
pub async fn clear(
    State(state): State<AppState>,
    WallGroup(group): WallGroup,
    actor: Actor,
    from: ClientAddr,
) -> Result<Response, ApiError> {
    let cmd = Command::ClearScene {
        group: group.clone(),
        by: actor.clone(),
    };
    execute(&state, &actor, &from, cmd)
        .await
        .map_err(|e| scene_error(&group, e))?;
    Ok(no_store(StatusCode::NO_CONTENT, ()).into_response())
}

/// `GET /api/walls/{group}/scene`: the current scene, who pushed it masked
/// unless the reader sees personal data everywhere (a scene belongs to no
/// subdistrict); `audience=public` masks it whoever reads. An answer that
/// leaves a person's name unmasked is audited (`wall.scene_read_unmasked`).
pub async fn current(
    State(state): State<AppState>,
    WallGroup(group): WallGroup,
    actor: Actor,
    from: ClientAddr,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let public = super::extract::public_audience(raw.as_deref())?;
    let audience = crate::mask::reader_audience(&actor, public);
    let g = group.clone();
    let found = read(&state, move |s| s.scene(&g)).await?;
    let now = crate::clock::now_ms();
    let Some((_, mut scene)) = found.filter(|(_, s)| s.is_current(now)) else {
        return Err(no_scene(&group));
    };
    if audience.sees_personal(None) {
        if mask_actor(&scene.by) != scene.by {
            let entry = crate::audit::entry(
                &actor,
                "wall.scene_read_unmasked",
                format!("walls/{group}"),
                &from.to_string(),
                "",
            );
            read(&state, move |s| s.audit(&entry)).await?;
        }
    } else {
        scene.by = mask_actor(&scene.by);
    }
    Ok(no_store(StatusCode::OK, Json::<Scene>(scene)))
}

/// How far back `GET /api/cases/urgent` looks and how many it returns at
/// most: what a wall remembers (`pingan_model::wall::focus::keep_urgent`).
pub use pingan_model::wall::focus::{URGENT_KEPT, URGENT_WINDOW_MS};

/// `GET /api/cases/urgent`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UrgentOut {
    /// The last event the list contains: the stream from here on brings
    /// the rest.
    pub seq: Seq,
    /// Newest first.
    pub cases: Vec<UrgentCase>,
}

/// An urgent case as its report's event carried it, masked.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UrgentCase {
    /// When the server accepted the report (its event's `at_ms`, Unix ms):
    /// the time a wall's focus on it starts.
    pub accepted_ms: i64,
    pub case: Case,
}

/// `GET /api/cases/urgent`: the cases routed by an urgent dispatch rule
/// (`dispatch_rules.json`'s `urgent`) and accepted in the last
/// [`URGENT_WINDOW_MS`], newest first, at most [`URGENT_KEPT`], as their
/// `CaseReported` events carried them (what a wall already showing holds),
/// with personal data masked whoever reads: this is the wall's read.
/// Takes `audience=public` (it changes nothing) and nothing else. No rules
/// read at start (or none urgent): an empty list.
pub async fn urgent_cases(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    super::extract::only_audience(raw.as_deref(), "GET /api/cases/urgent")?;
    let rules: Vec<String> = state.rules().map(|r| r.urgent.clone()).unwrap_or_default();
    let since = crate::clock::now_ms() - URGENT_WINDOW_MS;
    let (seq, found) = read(&state, move |s| {
        s.reported_since(since, &rules, URGENT_KEPT)
    })
    .await?;
    let audience = pingan_model::access::Audience::Public;
    let cases = found
        .into_iter()
        .map(|(accepted_ms, mut case)| {
            crate::mask::case_for(&audience, &mut case, &mut []);
            UrgentCase { accepted_ms, case }
        })
        .collect();
    Ok(no_store(StatusCode::OK, Json(UrgentOut { seq, cases })))
}
