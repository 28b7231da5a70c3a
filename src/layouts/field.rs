//! The field layout (`?mode=field`, issue 10): a phone held in one hand —
//! the map above, a sheet below that is pulled up in three steps (where I
//! am and the nearest items; an item's details, contacts, navigation and
//! actions; the report form; the outbox), the status line on top (position
//! accuracy, network and the data's age, writes waiting), big buttons (≥ 44
//! px) for follow-me and reporting; nothing depends on hover. Only for
//! accounts that may report and see contacts (officers, operators); others
//! are told so. The runtime is `crate::field`.

use crate::auth::permits;
use crate::field;
use crate::map::canvas::MapCanvas;
use crate::panels::field::{bar::FieldBar, buttons::MapButtons, sheet::Sheet};
use crate::state::use_app;
use leptos::prelude::*;
use pingan_model::access::Permission;

/// What the mode needs of an account.
const NEEDS: [Permission; 3] = [
    Permission::CasesReport,
    Permission::HazardsStatus,
    Permission::PersonalRead,
];

#[component]
pub fn Field() -> impl IntoView {
    let state = use_app();
    // Once shown, the mode stays mounted: a session lost (expired, 401)
    // shows the sign-in over it and keeps the map, an unfinished report and
    // the outbox (signing in as someone else reloads the page).
    let allowed = Memo::new(move |before: Option<&bool>| {
        before.copied().unwrap_or(false) || NEEDS.iter().all(|p| permits(state.session, *p))
    });
    view! {
        <Show
            when=move || allowed.get()
            fallback=move || {
                let lang = state.lang.get();
                view! {
                    <div class="app field refused" data-testid="field-refused">
                        <p>{lang.pick(
                            "外勤模式需要网格员或民警账号（可上报事件、查看联系人）。请用有此权限的账号登录。",
                            "The field mode needs an officer's account (reporting cases, reading contacts). Sign in with one.",
                        )}</p>
                        <crate::panels::account::Account/>
                    </div>
                }
            }
        >
            <FieldApp/>
        </Show>
    }
}

#[component]
fn FieldApp() -> impl IntoView {
    let state = use_app();
    let f = field::start(state);
    let sheet_class = move || format!("app field sheet-{:?}", f.sheet.get()).to_lowercase();
    view! {
        <div class=sheet_class data-testid="field">
            <MapCanvas/>
            <FieldBar/>
            <MapButtons/>
            <Sheet/>
        </div>
    }
}
