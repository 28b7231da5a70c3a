//! The app at mount: the state read from the URL and provided through
//! context, the test hooks, the Effects that tie the state together (the
//! derived data, the live client's start, the case list, the canvas's
//! frames, the URL, the page language), the session (the sign-in screen
//! until signed in; the map, once shown, stays mounted when the session is
//! lost and the sign-in comes back over it), and the layout of the mode.
//! Every resource started here or below is released when the app unmounts.

use crate::auth::{self, Session};
use crate::frame::request_frame;
use crate::i18n::t;
use crate::layouts::Layout;
use crate::panels::login::SignIn;
use crate::state::{self, AppState, LoadStatus};
use crate::{hooks, live, url};
use leptos::prelude::*;
use pingan_model::domain::Lang;
use pingan_model::layers::LayerId;

#[component]
pub fn App() -> impl IntoView {
    let state = AppState::new(&url::read());
    state::provide(state);
    hooks::install(state);
    state::derived::follow(state);

    // The live client starts once the live layers have settled.
    Effect::new(move |started: Option<bool>| {
        if started == Some(true) {
            return true;
        }
        let settled = [LayerId::Cases, LayerId::Sensors, LayerId::Hazards]
            .iter()
            .all(|id| {
                state
                    .entry(*id)
                    .is_none_or(|e| e.status.get() != LoadStatus::Pending)
            });
        if settled {
            live::start(state);
        }
        settled
    });
    on_cleanup(live::stop);
    // The case list: rebuilt from the layer when it is (re)loaded or the
    // filter changes; live events patch it.
    Effect::new(move |_| {
        state.live.filter.track();
        if let Some(e) = state.entry(LayerId::Cases) {
            e.data.track();
        }
        if let Some(e) = state.entry(LayerId::Grids) {
            e.data.track();
        }
        live::rebuild_rows(state);
    });

    // The one Effect that owns the canvas: anything drawn changes → a frame.
    Effect::new(move |_| {
        state.camera.track();
        state.dpr.track();
        state.lang.track();
        state.selected.track();
        state.grid_counts.track();
        state.breaks.track();
        state.admin.track();
        state.sized.track();
        state.wall_view.track();
        state.position.track();
        for e in state.layers {
            e.visible.track();
            e.data.track();
            e.status.track();
        }
        request_frame();
    });

    // The URL follows the view (not on a wall: its camera is driven, and its
    // address keeps the wall's parameters); the page language follows the switch.
    if state.mode != pingan_model::viewport::Mode::Wall {
        url::follow(state);
    }
    Effect::new(move |_| {
        let lang = state.lang.get();
        if let Some(el) = document().document_element() {
            let _ = el.set_attribute("lang", if lang == Lang::Zh { "zh-CN" } else { "en" });
        }
        document().set_title(t(lang, "title"));
    });

    // The session: restored (or a wall paired); the map is mounted once
    // signed in and stays mounted (a lost session shows the sign-in over it).
    auth::start::begin(state.session);
    let has_map = Memo::new(move |before: Option<&bool>| {
        before.copied().unwrap_or(false) || state.session.with(Session::has_map)
    });
    view! {
        {move || has_map.get().then(|| view! { <Layout/> })}
        <SignIn/>
    }
}
