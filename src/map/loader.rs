//! Loading the layers: every catalogue layer is fetched at once from its
//! URL (`/data/<file>`, what the server's manifest lists; the cases from the
//! live API when there is one), parsed, projected and indexed
//! (`data::build`); a missing or broken file fails only its own row, with
//! the server's or the parser's explanation. A 401 (the session ended)
//! brings the sign-in back and fetches the layer again after it.

use crate::auth;
use crate::data;
use crate::frame::request_frame;
use crate::live;
use crate::state::{AppState, LayerEntry, LoadStatus};
use crate::web::fetch::{fetch_bytes, FetchError};
use crate::web::time::{now_ms, now_s};
use leptos::prelude::*;
use pingan_model::layers::LayerId;
use pingan_model::viewport::Mode;
use std::sync::Arc;
use wasm_bindgen::JsValue;

/// Why a layer failed to load (shown in its row).
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(transparent)]
    Fetch(#[from] FetchError),
    /// The file arrived but is not a valid layer file.
    #[error("{file}: {reason}")]
    Parse { file: &'static str, reason: String },
}

/// Starts every layer's fetch (each its own task).
pub async fn load_all(state: AppState) {
    // Largest first, so the longest transfer is not queued behind small
    // ones (HTTP/1.1 allows 6 at a time; each layer's `fetch_rank`).
    let entries = crate::layers::by_rank(state.layers.to_vec(), |e| {
        crate::layers::spec(e.def.id).fetch_rank
    });
    for entry in entries {
        if !needed(state.mode, entry.def.id) {
            // Not part of this mode: settled empty, hidden, never fetched.
            entry.visible.set(false);
            entry.status.set(LoadStatus::Loaded(0));
            continue;
        }
        leptos::task::spawn_local(load(state, entry));
    }
}

/// Whether a mode shows a layer at all. The field mode (a phone, often on a
/// slow network and CPU) leaves out what its officers do not look for on
/// patrol: other green space, the monitored areas' outlines and the
/// sentinel checkpoints (2.1 MB of the 14.5 MB of layer files).
fn needed(mode: Mode, id: LayerId) -> bool {
    !(mode == Mode::Field
        && matches!(
            id,
            LayerId::Greenspace | LayerId::Areas | LayerId::Sentinels
        ))
}

async fn load(state: AppState, entry: LayerEntry) {
    let url = format!("data/{}", entry.def.file);
    let t0 = now_ms();
    // Cases: from the live API when there is one (with its seq).
    let mut case_seq = None;
    let fetched = if entry.def.id == LayerId::Cases {
        live::fetch_cases(state, &url).await.map(|(b, seq)| {
            case_seq = seq;
            b
        })
    } else {
        loop {
            match fetch_bytes(&url).await {
                // The session ended under us: the sign-in comes back; once
                // signed in again the layer is fetched again.
                Err(e) if e.is_unauthenticated() => {
                    auth::lost(state.session);
                    if !auth::signed_in(state.session).await {
                        return;
                    }
                }
                other => break other,
            }
        }
    };
    let result = match fetched {
        Ok(bytes) => {
            let t1 = now_ms();
            let built =
                data::build_counted(entry.def, &bytes, now_s()).map_err(|e| LoadError::Parse {
                    file: entry.def.file,
                    reason: e.to_string(),
                });
            web_sys::console::info_1(&JsValue::from_str(&format!(
                "layer {}: {} bytes, fetched in {:.0} ms, parsed and indexed in {:.0} ms",
                entry.def.id,
                bytes.len(),
                t1 - t0,
                now_ms() - t1
            )));
            built
        }
        Err(e) => Err(LoadError::Fetch(e)),
    };
    match result {
        Ok((d, without_geometry)) => {
            // Every feature of the file, as the manifest counts them (a point layer
            // leaves those without geometry out of its data).
            let n = d.len()
                + match &d {
                    data::LayerData::Points(_) => without_geometry,
                    data::LayerData::Areas(_) => 0,
                };
            entry.without_geometry.set(without_geometry);
            entry.data.set(Some(Arc::new(d)));
            entry.status.set(LoadStatus::Loaded(n));
            if entry.def.id == LayerId::Cases {
                live::cases_loaded(case_seq);
            }
        }
        Err(e) => {
            web_sys::console::warn_1(&JsValue::from_str(&format!("layer {}: {e}", entry.def.id)));
            entry.status.set(LoadStatus::Failed(e.to_string()));
        }
    }
    request_frame();
}
