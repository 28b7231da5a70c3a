//! Who is signed in, in the status bar: the display name and the role (or
//! "wall device"), and 退出 / Sign out (`DELETE /api/session`, then the page
//! reloads: nothing fetched for this identity stays in memory, and the
//! service worker's stored data is deleted). A wall
//! device has no sign-out: it runs unattended until an admin revokes it.

use crate::auth::{calls, Kind};
use crate::i18n::t;
use crate::state::use_app;
use leptos::prelude::*;

#[component]
pub fn Account() -> impl IntoView {
    let state = use_app();
    let busy = RwSignal::new(false);
    let sign_out = move |_| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        leptos::task::spawn_local(async move {
            if let Err(e) = calls::sign_out().await {
                web_sys::console::warn_1(&format!("sign out: {e}").into());
            }
            // The field mode's stored copies hold contacts: not for the next one.
            crate::field::offline::forget_data().await;
            let _ = window().location().reload();
        });
    };
    move || {
        let lang = state.lang.get();
        state.session.with(|s| s.me().cloned()).map(|me| {
            let device = me.kind == Kind::Device;
            view! {
                <span class="account" data-testid="account" data-kind=if device { "device" } else { "user" }>
                    <span class="account-name" data-testid="account-name">{me.display_name.clone()}</span>
                    <span class="account-role" data-testid="account-role">{me.role_text(lang)}</span>
                    {(!device).then(|| view! {
                        <button class="btn small" data-testid="sign-out" on:click=sign_out disabled=move || busy.get()>
                            {t(lang, "sign_out")}
                        </button>
                    })}
                </span>
            }
        })
    }
}
