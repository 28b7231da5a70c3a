//! The sign-in screen: username and password (`POST /api/session`), the
//! language switch, a clear message for wrong credentials, too many attempts
//! (with the wait) or an unreachable server. Alone on the page until the
//! first sign-in; over the map, which stays as it was, when a session is
//! lost (a 401). Signing in again as someone else reloads the page, so
//! nothing fetched for the previous identity stays in memory.

use crate::auth::{calls, AuthError, Session};
use crate::i18n::t;
use crate::live;
use crate::state::use_app;
use leptos::html::Input;
use leptos::prelude::*;
use pingan_model::domain::Lang;

/// What the form says under the fields.
#[derive(Clone, Debug, PartialEq)]
enum Problem {
    FillIn,
    Auth(AuthError),
}

#[component]
pub fn SignIn() -> impl IntoView {
    let state = use_app();
    let session = state.session;
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let error: RwSignal<Option<Problem>> = RwSignal::new(None);
    let first_input = NodeRef::<Input>::new();
    let password_input = NodeRef::<Input>::new();
    let lang = move || state.lang.get();

    // Shown signed out (alone) or lost (over the map); the reason a page
    // load ended signed out (a refused pairing) shows as the first message.
    let mode = Memo::new(move |_| {
        session.with(|s| match s {
            Session::Checking => Some("checking"),
            Session::SignedOut { .. } => Some("screen"),
            Session::Lost(_) => Some("overlay"),
            Session::SignedIn(_) | Session::Static => None,
        })
    });
    // The form is reset when the session is lost, once: not again while it
    // stays lost (what the user is typing is theirs).
    Effect::new(move |was_lost: Option<bool>| {
        let now = session.get();
        let lost = matches!(now, Session::Lost(_));
        match now {
            Session::SignedOut { problem } => error.set(problem.map(Problem::Auth)),
            Session::Lost(me) if was_lost != Some(true) => {
                if username.get_untracked().is_empty() {
                    username.set(me.username);
                }
                password.set(String::new());
                error.set(None);
            }
            _ => {}
        }
        lost
    });
    // Focus where typing starts: the password over a lost session (its
    // username is kept), else the username.
    Effect::new(move |_| {
        let field = match mode.get() {
            Some("overlay") => password_input.get(),
            Some("screen") => first_input.get(),
            _ => None,
        };
        if let Some(el) = field {
            let _ = el.focus();
        }
    });

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let (u, p) = (username.get_untracked(), password.get_untracked());
        if u.trim().is_empty() || p.is_empty() {
            error.set(Some(Problem::FillIn));
            return;
        }
        busy.set(true);
        error.set(None);
        leptos::task::spawn_local(async move {
            let got = calls::sign_in(u.trim(), &p).await;
            // `try_set` hands the value back when the panel is gone.
            if busy.try_set(false).is_some() {
                return;
            }
            match got {
                Ok(me) => {
                    password.set(String::new());
                    let before = session.get_untracked();
                    match before {
                        Session::Lost(old) if old.username != me.username => {
                            let _ = window().location().reload();
                        }
                        Session::Lost(_) => {
                            session.set(Session::SignedIn(me));
                            live::resume(state);
                        }
                        _ => session.set(Session::SignedIn(me)),
                    }
                }
                Err(e) => error.set(Some(Problem::Auth(e))),
            }
        });
    };

    let message = move || {
        let l = lang();
        error.get().map(|e| match e {
            Problem::FillIn => t(l, "fill_in").to_string(),
            Problem::Auth(e) => e.message(l),
        })
    };

    view! {
        {move || mode.get().map(|m| {
            // Rebuilt when the language changes (the fields keep their signals).
            let l = lang();
            if m == "checking" {
                return view! {
                    <div class="signin" data-testid="signin" data-state="checking">
                        <p class="signin-checking">{t(l, "checking")}</p>
                    </div>
                }
                .into_any();
            }
            view! {
                <div class="signin" class:overlay=m == "overlay" data-testid="signin" data-state=m>
                    <form class="panel signin-card" on:submit=submit>
                        <div class="signin-head">
                            <h1>{t(l, "title")}</h1>
                            <button
                                type="button"
                                class="btn"
                                data-testid="signin-lang"
                                on:click=move |_| state.lang.update(|l| *l = if *l == Lang::Zh { Lang::En } else { Lang::Zh })
                            >
                                {t(l, "lang")}
                            </button>
                        </div>
                        <h2>{t(l, "sign_in_title")}</h2>
                        {(m == "overlay").then(|| view! {
                            <p class="signin-lost" data-testid="signin-lost">{t(l, "session_lost")}</p>
                        })}
                        <label>
                            <span>{t(l, "username")}</span>
                            <input
                                node_ref=first_input
                                data-testid="signin-username"
                                name="username"
                                autocomplete="username"
                                autocapitalize="none"
                                spellcheck="false"
                                prop:value=move || username.get()
                                on:input=move |ev| username.set(event_target_value(&ev))
                            />
                        </label>
                        <label>
                            <span>{t(l, "password")}</span>
                            <input
                                type="password"
                                node_ref=password_input
                                data-testid="signin-password"
                                name="password"
                                autocomplete="current-password"
                                prop:value=move || password.get()
                                on:input=move |ev| password.set(event_target_value(&ev))
                            />
                        </label>
                        <p class="signin-error" data-testid="signin-error" role="alert">{message}</p>
                        <button class="btn primary" type="submit" data-testid="signin-submit" disabled=move || busy.get()>
                            {move || t(l, if busy.get() { "signing_in" } else { "sign_in" })}
                        </button>
                    </form>
                </div>
            }
            .into_any()
        })}
    }
}
