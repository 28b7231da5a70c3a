//! The session at page load: a wall opened as `/?mode=wall&pair=12345678`
//! pairs itself (`POST /api/devices/pair`) and drops `pair` from the address
//! (used or refused, a one-use code is not kept); otherwise the session the
//! cookie carries is restored (`GET /api/session`). Ends in `SignedIn` or
//! `SignedOut` (with the reason to show), or `Static` without an auth API.

use super::calls::{self, Check};
use super::{pairing_code, Session};
use leptos::prelude::*;
use wasm_bindgen::JsValue;

/// Starts the check; `session` leaves `Checking` when it answers.
pub fn begin(session: RwSignal<Session>) {
    let search = window().location().search().unwrap_or_default();
    let pairing = pairing_code(&search);
    if let Some((_, rest)) = &pairing {
        drop_pair_from_address(rest);
    }
    leptos::task::spawn_local(async move {
        let mut problem = None;
        if let Some((code, _)) = pairing {
            match calls::pair(&code).await {
                Ok(me) => {
                    let _ = session.try_set(Session::SignedIn(me));
                    return;
                }
                // A valid session (already paired) still shows the map.
                Err(e) => problem = Some(e),
            }
        }
        let next = match calls::check().await {
            Ok(Check::SignedIn(me)) => Session::SignedIn(me),
            Ok(Check::None) => Session::SignedOut { problem },
            Ok(Check::NoApi) => Session::Static,
            Err(e) => Session::SignedOut {
                problem: Some(problem.unwrap_or(e)),
            },
        };
        let _ = session.try_set(next);
    });
}

fn drop_pair_from_address(rest: &str) {
    let loc = window().location();
    let path = loc.pathname().unwrap_or_else(|_| "/".into());
    let hash = loc.hash().unwrap_or_default();
    if let Ok(h) = window().history() {
        let _ = h.replace_state_with_url(&JsValue::NULL, "", Some(&format!("{path}{rest}{hash}")));
    }
}
