//! The status bar: scale bar, pointer (or centre) coordinates, zoom, and
//! the connection indicator, and who is signed in.

use super::{account::Account, conn::ConnIndicator};
use crate::render;
use crate::state::use_app;
use leptos::prelude::*;
use pingan_model::viewport::scale_bar;

#[component]
pub fn StatusBar() -> impl IntoView {
    let state = use_app();
    let bar = move || {
        let cam = state.camera.get();
        let ui = render::ui_scale(cam.width, cam.height);
        scale_bar(cam.metres_per_pixel(), 130.0 * ui)
    };
    view! {
        <div class="statusbar">
            <div class="scale">
                <div class="scale-line" style:width=move || format!("{:.1}px", bar().1)></div>
                <span data-testid="scale-bar">{move || bar().2}</span>
            </div>
            <span class="coords" data-testid="coords">
                {move || match state.pointer_lonlat.get() {
                    Some((lon, lat)) => format!("{lon:.5}°E  {lat:.5}°N"),
                    None => {
                        let (lon, lat) = state.camera.get().center_lonlat();
                        format!("{lon:.5}°E  {lat:.5}°N")
                    }
                }}
            </span>
            <span class="zoom">{move || format!("z {:.1}", state.camera.get().zoom)}</span>
            <ConnIndicator/>
            <Account/>
        </div>
    }
}
