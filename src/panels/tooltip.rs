//! The hover tooltip (what is under the pointer).

use crate::state::use_app;
use leptos::prelude::*;

#[component]
pub fn Tooltip() -> impl IntoView {
    let state = use_app();
    view! {
        {move || state.hover.get().filter(|h| !h.2.is_empty()).map(|(x, y, text)| view! {
            <div class="tooltip" data-testid="tooltip" style:left=format!("{}px", x + 14.0) style:top=format!("{}px", y + 14.0)>{text}</div>
        })}
    }
}
