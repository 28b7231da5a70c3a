//! The scene an operator pushed to this wall's group ("show this on the
//! wall", contract 1–2): `GET api/walls/{group}/scene` at load, then every
//! `Change::Scene` of the group on the stream, and a stream snapshot's
//! current scenes (after a reconnect too far behind). A cleared scene is
//! kept with the time it ended, so the flight back starts there. While a
//! scene shows, its layers are the ones shown (the wall's own come back
//! after it) and its highlighted feature is selected. The camera is the
//! focus driver's (`focus_at` takes the scene): it is told of every change
//! through the `changed` hook `start` is given, so this file does not
//! import the driver (which reads the scene from here). The GET's answer is
//! dropped if the stream told of the group's scene before it came (it would
//! be older).

use super::Wall;
use crate::data::LayerData;
use crate::live::{self, Note};
use crate::state::AppState;
use crate::web::fetch;
use leptos::prelude::*;
use pingan_model::layers::LayerId;
use pingan_model::live::{Change, Scene};
use pingan_model::wall::focus::{FocusConfig, ShownScene};
use std::cell::RefCell;

#[derive(Default)]
struct Current {
    scene: Option<Scene>,
    /// When it was cleared or replaced (server ms).
    ended_ms: Option<i64>,
    /// The wall's own visible layers, while a scene's are shown.
    own_layers: Option<Vec<LayerId>>,
    /// Told of every new state of the scene (the focus driver's `kick`).
    changed: Option<fn(Wall, AppState)>,
    /// The stream has told of the group's scene (an event or a snapshot):
    /// the load's GET, if it answers later, is older and is dropped.
    streamed: bool,
    /// The retry of a failed load (cancelled at the unmount's reset).
    retry: super::retry::Retry,
}

thread_local! {
    static CURRENT: RefCell<Current> = RefCell::new(Current::default());
    /// Bumped at every mount and unmount: a load's answer from another
    /// mount is dropped (its signals are gone).
    static MOUNT: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// The scene as the wall shows it (for `focus_at`).
pub fn shown(cfg: &FocusConfig) -> Option<ShownScene> {
    CURRENT.with(|c| {
        let c = c.borrow();
        c.scene.as_ref().map(|s| cfg.scene(s, c.ended_ms))
    })
}

/// The scene's highlighted feature, while the scene shows.
pub fn highlight(state: AppState) -> Option<(LayerId, u32)> {
    let now = super::server_now_ms() as i64;
    let h = CURRENT.with(|c| {
        let c = c.borrow();
        let s = c.scene.as_ref()?;
        let on = s.started_ms <= now && s.is_current(now) && c.ended_ms.is_none_or(|e| now < e);
        on.then(|| s.highlight.clone()).flatten()
    })?;
    let id: LayerId = h.layer.parse().ok()?;
    let key = state
        .entry(id)?
        .data
        .with_untracked(|d| match d.as_deref() {
            Some(LayerData::Points(p)) => match id {
                LayerId::Cases => {
                    h.id.trim_start_matches("AJ")
                        .parse::<u32>()
                        .ok()
                        .and_then(|n| p.case_key(n))
                }
                _ => p.feature_key(&h.id),
            },
            Some(LayerData::Areas(a)) => a
                .features
                .iter()
                .position(|f| {
                    f.id.as_deref() == Some(h.id.as_str()) || f.str_prop("id") == Some(&h.id)
                })
                .map(|k| k as u32),
            None => None,
        })?;
    Some((id, key))
}

/// The scene the wall shows now (hooks: `__pingan.wall.scene()`).
pub fn current() -> Option<(Scene, Option<i64>)> {
    CURRENT.with(|c| {
        let c = c.borrow();
        c.scene.clone().map(|s| (s, c.ended_ms))
    })
}

/// A new state of the group's scene: `Some` pushed, `None` cleared at `at_ms`.
fn set(wall: Wall, state: AppState, scene: Option<Scene>, at_ms: i64) {
    CURRENT.with(|c| {
        let mut c = c.borrow_mut();
        match scene {
            Some(s) => {
                c.scene = Some(s);
                c.ended_ms = None;
            }
            None => {
                if c.scene.is_some() && c.ended_ms.is_none() {
                    c.ended_ms = Some(at_ms);
                }
            }
        }
    });
    follow_layers(wall, state);
    if let Some(changed) = CURRENT.with(|c| c.borrow().changed) {
        changed(wall, state);
    }
}

/// While a scene with layers shows, those layers; else the wall's own
/// (the focus driver calls it at every step, so the layers change with the
/// camera; the clock's tick too, for a scene that ends by its duration).
pub fn follow_layers(wall: Wall, state: AppState) {
    let now = super::server_now_ms() as i64;
    let want: Option<Vec<LayerId>> = CURRENT.with(|c| {
        let c = c.borrow();
        let s = c.scene.as_ref()?;
        let on = s.is_current(now) && c.ended_ms.is_none_or(|e| now < e);
        let ids: Vec<LayerId> = s.layers.iter().filter_map(|l| l.parse().ok()).collect();
        (on && !ids.is_empty()).then_some(ids)
    });
    let visible = |state: AppState| -> Vec<LayerId> {
        state
            .layers
            .iter()
            .filter(|e| e.visible.get_untracked())
            .map(|e| e.def.id)
            .collect()
    };
    let show = |ids: &[LayerId]| {
        for e in state.layers {
            let v = ids.contains(&e.def.id);
            if e.visible.get_untracked() != v {
                e.visible.set(v);
            }
        }
    };
    match want {
        Some(ids) => {
            CURRENT.with(|c| {
                let mut c = c.borrow_mut();
                if c.own_layers.is_none() {
                    c.own_layers = Some(visible(state));
                }
            });
            show(&ids);
        }
        None => {
            if let Some(own) = CURRENT.with(|c| c.borrow_mut().own_layers.take()) {
                show(&own);
            }
        }
    }
    let _ = wall;
}

/// The group's scene at load. 404 (no_scene) is none now; another failure
/// (server restarting, network down) is tried again after 2…60 s until it
/// answers or the stream tells of the scene (a stream resumed without a gap
/// sends no snapshot, so it might never).
async fn load(wall: Wall, state: AppState) {
    let mount = MOUNT.get();
    let group = wall.params.with_value(|p| p.group.clone());
    let url = format!("api/walls/{}/scene", js_sys::encode_uri_component(&group));
    let answer = fetch::send_json(fetch::Method::Get, &url, None).await;
    // Unmounted (or mounted anew), or streamed meanwhile (newer).
    if MOUNT.get() != mount || CURRENT.with(|c| c.borrow().streamed) {
        return;
    }
    match answer {
        Ok(text) => match serde_json::from_str::<serde_json::Value>(&text)
            .map_err(|e| e.to_string())
            .and_then(|v| crate::wire::scene_of(&v))
        {
            Ok(s) if s.group == group => set(wall, state, Some(s), 0),
            Ok(_) => {}
            Err(e) => web_sys::console::warn_1(&format!("wall: {url}: {e}").into()),
        },
        Err(fetch::FetchError::Http { status: 404, .. }) => {}
        Err(e) => {
            web_sys::console::warn_1(&format!("wall: {e} (asked again)").into());
            CURRENT.with(|c| {
                c.borrow_mut().retry.failed(move || {
                    if MOUNT.get() == mount {
                        leptos::task::spawn_local(load(wall, state));
                    }
                })
            });
        }
    }
}

/// Starts following the group's scene (at the wall's mount).
pub fn start(wall: Wall, state: AppState, changed: fn(Wall, AppState)) {
    MOUNT.set(MOUNT.get().wrapping_add(1));
    CURRENT.with(|c| c.borrow_mut().changed = Some(changed));
    leptos::task::spawn_local(load(wall, state));
    live::observe(move |note| {
        let group = wall.params.with_value(|p| p.group.clone());
        match note {
            Note::Event(e) => {
                if let Change::Scene { group: g, scene } = &e.change {
                    if *g == group {
                        CURRENT.with(|c| c.borrow_mut().streamed = true);
                        set(wall, state, scene.clone(), e.at_ms);
                    }
                }
            }
            Note::Snapshot {
                snapshot: s,
                stream: true,
            } => {
                let now = super::server_now_ms() as i64;
                CURRENT.with(|c| c.borrow_mut().streamed = true);
                match s.scenes.iter().find(|s| s.group == group) {
                    Some(sc) => set(wall, state, Some(sc.clone()), now),
                    None => set(wall, state, None, now),
                }
            }
            Note::Snapshot { .. } | Note::Clock { .. } => {}
        }
    });
    // A scene's end by its duration gives the layers back.
    Effect::new(move |_| {
        wall.now_ms.track();
        follow_layers(wall, state);
    });
    on_cleanup(|| {
        MOUNT.set(MOUNT.get().wrapping_add(1));
        let old = CURRENT.with(|c| std::mem::take(&mut *c.borrow_mut()));
        drop(old);
    });
}
