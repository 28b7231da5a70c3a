//! "显示联系方式 / Show contacts" in the details of a hazard or a grid:
//! the layer files are masked for everyone, so whoever holds
//! `personal:read` asks `GET /api/contacts/{layer}/{id}` for one feature
//! (the server checks the scope and audits the read) and sees names and
//! `tel:` phones; everyone else is told the contacts are masked. Fetched
//! contacts are forgotten when the selection changes. Parsing the answer
//! is pure ([`parse`], tested natively).

use super::actions::describe;
use crate::auth;
use crate::data::LayerData;
use crate::i18n::t;
use crate::state::use_app;
use crate::web::fetch::{send_json, FetchError, Method};
use leptos::prelude::*;
use pingan_model::access::Permission;
use pingan_model::layers::LayerId;
use serde_json::Value;

/// One contact as the API gives it.
#[derive(Clone, Debug, PartialEq)]
pub struct Contact {
    pub name: String,
    pub phone: String,
    pub role: String,
}

/// The contacts of `GET /api/contacts/{layer}/{id}`
/// (`{"layer","id","contacts":[{"name","phone","role"}]}`).
pub fn parse(text: &str) -> Result<Vec<Contact>, String> {
    let v: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let list = v
        .get("contacts")
        .and_then(Value::as_array)
        .ok_or("no \"contacts\" list")?;
    Ok(list
        .iter()
        .map(|c| {
            let s = |k: &str| c.get(k).and_then(Value::as_str).unwrap_or("").to_string();
            Contact {
                name: s("name"),
                phone: s("phone"),
                role: s("role"),
            }
        })
        .collect())
}

/// A phone number as a `tel:` address (digits, `+`, `-` only).
pub fn tel(phone: &str) -> String {
    let clean: String = phone
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '+' || *c == '-')
        .collect();
    format!("tel:{clean}")
}

/// The layer's name in the contacts path, for the layers that have contacts.
fn contacts_layer(layer: LayerId) -> Option<&'static str> {
    match layer {
        LayerId::Hazards => Some("hazards"),
        LayerId::Grids => Some("grids"),
        _ => None,
    }
}

/// The id of feature `key` (a grid's `G0001`, a hazard's `YH000001`).
fn feature_id(d: &LayerData, key: u32) -> Option<String> {
    let f = match d {
        LayerData::Areas(a) => a.features.get(key as usize),
        LayerData::Points(p) => p.features().get(key as usize),
    }?;
    f.id.clone()
}

type Fetched = Option<Result<Vec<Contact>, FetchError>>;

#[component]
pub fn Contacts() -> impl IntoView {
    let state = use_app();
    let fetched: RwSignal<Fetched> = RwSignal::new(None);
    let busy = RwSignal::new(false);
    // (path layer, feature id) of the selection, when it has contacts.
    let target = Memo::new(move |_| {
        let (layer, key) = state.selected.get()?;
        let name = contacts_layer(layer)?;
        let e = state.entry(layer)?;
        let id = e
            .data
            .with(|d| d.as_deref().and_then(|d| feature_id(d, key)))?;
        Some((name, id))
    });
    Effect::new(move |_| {
        target.track();
        state.session.track();
        fetched.set(None);
    });
    let show = move |_| {
        let Some((layer, id)) = target.get_untracked() else {
            return;
        };
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        leptos::task::spawn_local(async move {
            let url = format!(
                "api/contacts/{layer}/{}",
                String::from(js_sys::encode_uri_component(&id))
            );
            let got = send_json(Method::Get, &url, None).await.and_then(|text| {
                parse(&text).map_err(|reason| FetchError::Network {
                    url: url.clone(),
                    reason,
                })
            });
            // `try_set` hands the value back when the panel is gone.
            if busy.try_set(false).is_some() {
                return;
            }
            // Still the same selection?
            if target
                .get_untracked()
                .is_some_and(|(l, i)| l == layer && i == id)
            {
                if matches!(&got, Err(e) if e.is_unauthenticated()) {
                    auth::lost(state.session);
                }
                fetched.set(Some(got));
            }
        });
    };
    move || {
        target.get()?;
        let lang = state.lang.get();
        if !auth::permits(state.session, Permission::PersonalRead) {
            return Some(
                view! {
                    <section class="contacts">
                        <p class="muted" data-testid="contacts-masked">{t(lang, "masked")}</p>
                    </section>
                }
                .into_any(),
            );
        }
        let body = match fetched.get() {
            None => view! {
                <button class="btn small" data-testid="contacts-show" on:click=show disabled=move || busy.get()>
                    {t(lang, "show_contacts")}
                </button>
            }
            .into_any(),
            Some(Ok(list)) if list.is_empty() => {
                view! { <p class="muted" data-testid="contacts-none">{t(lang, "no_contacts")}</p> }.into_any()
            }
            Some(Ok(list)) => view! {
                <ul class="contact-list" data-testid="contacts">
                    {list.into_iter().map(|c| view! {
                        <li data-testid="contact">
                            <span class="muted">{c.role.clone()}</span>
                            " "
                            <span class="contact-name">{c.name.clone()}</span>
                            " "
                            <a href=tel(&c.phone) data-testid="contact-phone">{c.phone.clone()}</a>
                        </li>
                    }).collect_view()}
                </ul>
                <button class="btn small" on:click=move |_| fetched.set(None)>{t(lang, "hide_contacts")}</button>
            }
            .into_any(),
            Some(Err(e)) => view! {
                <p class="action-result error" data-testid="contacts-error">{describe(lang, &e)}</p>
            }
            .into_any(),
        };
        Some(view! { <section class="contacts">{body}</section> }.into_any())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_answer_is_read_and_phones_become_tel_links() {
        let got = parse(
            r#"{"layer":"hazards","id":"YH1","contacts":[
                {"name":"张伟","phone":"13812345678","role":"网格员"},
                {"name":"李娜","phone":"0755-2788 1234","role":"安全员"}]}"#,
        )
        .unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].name, "张伟");
        assert_eq!(tel(&got[0].phone), "tel:13812345678");
        assert_eq!(tel(&got[1].phone), "tel:0755-27881234");
        // Nothing but a number reaches the address.
        assert_eq!(tel("138\"><script>"), "tel:138");
        assert!(parse(r#"{"layer":"grids"}"#).is_err());
        assert!(parse("oops").is_err());
    }

    #[test]
    fn only_hazards_and_grids_have_contacts() {
        assert_eq!(contacts_layer(LayerId::Hazards), Some("hazards"));
        assert_eq!(contacts_layer(LayerId::Grids), Some("grids"));
        assert_eq!(contacts_layer(LayerId::Cases), None);
        assert_eq!(contacts_layer(LayerId::Sensors), None);
    }
}
