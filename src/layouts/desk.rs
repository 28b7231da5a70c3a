//! The desk layout (`?mode=desk`, the default): the map full-window, the
//! top bar, the layer panel left, the live panel right, details, tooltip,
//! map controls, "show on the wall" (operators) and the status bar.

use crate::map::canvas::MapCanvas;
use crate::panels::{
    controls::MapControls, details::DetailsPanel, layers::LayerPanel, live_panel::LivePanel,
    show_on_wall::ShowOnWall, status_bar::StatusBar, tooltip::Tooltip, topbar::TopBar,
};
use leptos::prelude::*;

#[component]
pub fn Desk() -> impl IntoView {
    view! {
        <div class="app">
            <MapCanvas/>
            <TopBar/>
            <LayerPanel/>
            <LivePanel/>
            <DetailsPanel/>
            <Tooltip/>
            <MapControls/>
            <ShowOnWall/>
            <StatusBar/>
        </div>
    }
}
