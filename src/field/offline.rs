//! The field mode without signal: the service worker (`assets/sw.js`, copied
//! to `/sw.js`) registered at the field layout's mount (and persistent
//! storage asked for), the network state
//! (`online`/`offline` events), and the age of the data the worker stored
//! (`x-pingan-stored-at` on its copies in the Cache Storage, read from the
//! page). Signing out deletes the stored data (it holds contacts).

use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

/// The worker's data cache (as named in `assets/sw.js`).
pub const DATA_CACHE: &str = "pingan-data-v1";

/// The files whose stored age the field bar shows: the oldest of them.
const AGED: [&str; 3] = [
    "data/hazards.geojson",
    "data/sensors.geojson",
    "data/grids.geojson",
];

/// Registers `/sw.js` (scope `/`). Failures are logged, not fatal: the
/// mode works online without it.
pub fn register_worker() {
    let Some(w) = web_sys::window() else { return };
    // Ask that the browser not evict this origin's storage under pressure
    // (the outbox holds unsent reports); a refusal changes nothing else.
    if let Ok(p) = w.navigator().storage().persist() {
        wasm_bindgen_futures::spawn_local(async move {
            let _ = JsFuture::from(p).await;
        });
    }
    let sw = w.navigator().service_worker();
    let p = sw.register("sw.js");
    wasm_bindgen_futures::spawn_local(async move {
        if let Err(e) = JsFuture::from(p).await {
            web_sys::console::warn_2(&"service worker not registered:".into(), &e);
        }
    });
}

/// Whether the browser thinks it has a network.
pub fn online() -> bool {
    web_sys::window().is_none_or(|w| w.navigator().on_line())
}

/// When the oldest of the stored layer copies was stored (Unix ms), if the
/// worker holds them.
pub async fn stored_at_ms() -> Option<f64> {
    let w = web_sys::window()?;
    let caches = w.caches().ok()?;
    let cache: web_sys::Cache = JsFuture::from(caches.open(DATA_CACHE))
        .await
        .ok()?
        .dyn_into()
        .ok()?;
    let base = w.location().origin().ok()?;
    let mut oldest: Option<f64> = None;
    for f in AGED {
        let url = format!("{base}/{f}");
        let Ok(v) = JsFuture::from(cache.match_with_str(&url)).await else {
            continue;
        };
        let Ok(resp) = v.dyn_into::<web_sys::Response>() else {
            continue;
        };
        let at = resp
            .headers()
            .get("x-pingan-stored-at")
            .ok()
            .flatten()
            .and_then(|s| s.parse::<f64>().ok());
        if let Some(at) = at {
            oldest = Some(oldest.map_or(at, |o: f64| o.min(at)));
        }
    }
    oldest
}

/// Deletes the worker's data cache (at sign-out).
pub async fn forget_data() {
    let Some(w) = web_sys::window() else { return };
    let Ok(caches) = w.caches() else { return };
    let _ = JsFuture::from(caches.delete(DATA_CACHE)).await;
}
