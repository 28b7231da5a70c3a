//! The app's state: one signal per concern (`AppState`, all `Copy` handles),
//! one `LayerEntry` of signals per catalogue layer. Provided once through
//! Leptos context at mount ([`provide`]); components take it with
//! [`use_app`]. Nothing here does I/O.

pub mod derived;
pub mod live;

use crate::auth::Session;
use crate::data::{AdminSummary, LayerData};
use crate::render::position::Mark;
use crate::render::{SceneLayer, WallView};
use leptos::prelude::*;
use pingan_model::domain::Lang;
use pingan_model::layers::{LayerDef, LayerId, LAYERS};
use pingan_model::projection::to_world;
use pingan_model::viewport::{Camera, Mode, ViewState, DISTRICT_LONLAT_BBOX};
use std::sync::Arc;

pub use self::live::{Conn, LiveUi};

#[derive(Clone, Debug, PartialEq)]
pub enum LoadStatus {
    Pending,
    Loaded(usize),
    Failed(String),
}

/// One catalogue layer and the signals that own its state.
#[derive(Clone, Copy)]
pub struct LayerEntry {
    pub def: &'static LayerDef,
    pub status: RwSignal<LoadStatus>,
    pub data: RwSignal<Option<Arc<LayerData>>>,
    pub visible: RwSignal<bool>,
    /// Features of the file left out for having no geometry (shown in the row).
    pub without_geometry: RwSignal<usize>,
}

/// All app state; every field is a Copy handle.
#[derive(Clone, Copy)]
pub struct AppState {
    pub layers: &'static [LayerEntry],
    /// The layout (`?mode=`); fixed for a mount.
    pub mode: Mode,
    pub camera: RwSignal<Camera>,
    pub dpr: RwSignal<f64>,
    pub lang: RwSignal<Lang>,
    pub selected: RwSignal<Option<(LayerId, u32)>>,
    pub hover: RwSignal<Option<(f64, f64, String)>>,
    pub pointer_lonlat: RwSignal<Option<(f64, f64)>>,
    pub grid_counts: RwSignal<Arc<Vec<u32>>>,
    /// The choropleth counts cases reported since this (Unix s; a wall's
    /// `range=today`), else the whole loaded window (30 days).
    pub cases_since: RwSignal<Option<i64>>,
    pub breaks: RwSignal<Arc<Vec<f64>>>,
    pub admin: RwSignal<Arc<AdminSummary>>,
    pub url_problems: RwSignal<Vec<String>>,
    pub sized: RwSignal<bool>,
    pub panel_open: RwSignal<bool>,
    /// The live stream's state and the alert ticker and case list.
    pub live: LiveUi,
    /// Phones: which live panel is open (none: collapsed to its tabs).
    pub live_tab: RwSignal<Option<LiveTab>>,
    /// The URL gave no centre: fit the district once the canvas has a size.
    pub fit_on_first_size: bool,
    /// Who is signed in (the sign-in screen, the account, what is offered).
    pub session: RwSignal<Session>,
    /// On a wall: its whole canvas (labels and badges are laid out on it).
    pub wall_view: RwSignal<Option<WallView>>,
    /// The field mode's "you are here" as the map draws it.
    pub position: RwSignal<Option<Mark>>,
    /// The map's next tap picks a point (lon/lat into `picked`) instead of
    /// selecting: the field mode's "tap the map to set where you are".
    pub picking: RwSignal<bool>,
    pub picked: RwSignal<Option<[f64; 2]>>,
    /// Bumped when a gesture moves the map by hand (the field mode stops
    /// following the position).
    pub panned: RwSignal<u64>,
}

/// The live panels' sections.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LiveTab {
    Alerts,
    Cases,
}

impl AppState {
    /// The state a URL describes (signals created in the current owner).
    pub fn new(vs: &ViewState) -> AppState {
        // One small slice per mount (a few dozen bytes), so entries stay `Copy`.
        let layers: &'static [LayerEntry] = Box::leak(
            LAYERS
                .iter()
                .map(|def| LayerEntry {
                    def,
                    status: RwSignal::new(LoadStatus::Pending),
                    data: RwSignal::new(None),
                    without_geometry: RwSignal::new(0),
                    visible: RwSignal::new(match &vs.layers {
                        Some(ids) => ids.iter().any(|i| i == def.id.as_str()),
                        None => def.visible_by_default,
                    }),
                })
                .collect::<Vec<_>>()
                .into_boxed_slice(),
        );
        // A zoom without a centre is still a view: centred on the district.
        let has_view = vs.center.is_some() || vs.zoom.is_some();
        let mut cam = Camera {
            center: to_world(
                (DISTRICT_LONLAT_BBOX.0[0] + DISTRICT_LONLAT_BBOX.1[0]) / 2.0,
                (DISTRICT_LONLAT_BBOX.0[1] + DISTRICT_LONLAT_BBOX.1[1]) / 2.0,
            ),
            zoom: vs.zoom.unwrap_or(11.0),
            width: 1.0,
            height: 1.0,
        };
        if let Some((lon, lat)) = vs.center {
            cam.center = to_world(lon, lat);
        }
        AppState {
            layers,
            mode: vs.mode,
            camera: RwSignal::new(cam),
            dpr: RwSignal::new(1.0),
            lang: RwSignal::new(vs.lang.unwrap_or_default()),
            selected: RwSignal::new(None),
            hover: RwSignal::new(None),
            pointer_lonlat: RwSignal::new(None),
            grid_counts: RwSignal::new(Arc::new(Vec::new())),
            cases_since: RwSignal::new(None),
            breaks: RwSignal::new(Arc::new(Vec::new())),
            admin: RwSignal::new(Arc::new(AdminSummary::default())),
            url_problems: RwSignal::new(vs.problems.clone()),
            sized: RwSignal::new(false),
            panel_open: RwSignal::new(false),
            live: LiveUi::new(),
            live_tab: RwSignal::new(None),
            fit_on_first_size: !has_view,
            session: RwSignal::new(Session::Checking),
            wall_view: RwSignal::new(None),
            position: RwSignal::new(None),
            picking: RwSignal::new(false),
            picked: RwSignal::new(None),
            panned: RwSignal::new(0),
        }
    }

    pub(crate) fn entry(&self, id: LayerId) -> Option<LayerEntry> {
        self.layers.iter().find(|e| e.def.id == id).copied()
    }

    /// The visible, loaded layers, bottom first (untracked).
    pub fn scene_layers(&self) -> Vec<SceneLayer> {
        self.layers
            .iter()
            .filter(|e| e.visible.get_untracked())
            .filter_map(|e| {
                e.data
                    .get_untracked()
                    .map(|data| SceneLayer { id: e.def.id, data })
            })
            .collect()
    }

    /// The ids of the visible layers, bottom first (untracked).
    pub fn visible_ids(&self) -> Vec<&'static str> {
        self.layers
            .iter()
            .filter(|e| e.visible.get_untracked())
            .map(|e| e.def.id.as_str())
            .collect()
    }

    /// Whether every layer has loaded or failed.
    pub fn all_settled(&self) -> bool {
        self.layers
            .iter()
            .all(|e| e.status.get_untracked() != LoadStatus::Pending)
    }
}

/// Makes `state` the app's state for every component below (once, at mount).
pub fn provide(state: AppState) {
    provide_context(state);
}

/// The app's state, as provided at mount.
pub fn use_app() -> AppState {
    expect_context::<AppState>()
}
