//! Where the officer stands: the grid (网格), community (社区) and
//! subdistrict (街道) containing the position, by each area layer's R-tree
//! and point-in-polygon (`AreaIndex::locate`), and the grid's id for its
//! worker's contacts (`GET /api/contacts/grids/{id}`: the layer file is
//! masked; the officer's read is unmasked and audited).

use crate::data::LayerData;
use crate::render::label_text;
use crate::state::AppState;
use leptos::prelude::*;
use pingan_model::domain::Lang;
use pingan_model::layers::LayerId;
use pingan_model::projection::to_world;

/// The areas containing a position.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Place {
    /// (id, name) of the grid.
    pub grid: Option<(String, String)>,
    pub community: Option<String>,
    pub subdistrict: Option<String>,
}

impl Place {
    /// "西乡街道 · 固戍社区 · 固戍03网格", the parts known.
    pub fn line(&self) -> String {
        [
            self.subdistrict.clone(),
            self.community.clone(),
            self.grid.as_ref().map(|g| g.1.clone()),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" · ")
    }
}

/// The feature of area layer `id` containing `at` (lon/lat): (id, name).
fn locate(state: AppState, id: LayerId, at: [f64; 2], lang: Lang) -> Option<(String, String)> {
    let e = state.entry(id)?;
    e.data.with_untracked(|d| {
        let LayerData::Areas(a) = d.as_deref()? else {
            return None;
        };
        let w = to_world(at[0], at[1]);
        let k = a.index.locate(&a.world, [w.x, w.y])? as usize;
        let f = a.features.get(k)?;
        Some((f.id.clone().unwrap_or_default(), label_text(f, lang)))
    })
}

/// The grid, community and subdistrict at `at`.
pub fn at(state: AppState, at: [f64; 2], lang: Lang) -> Place {
    Place {
        grid: locate(state, LayerId::Grids, at, lang),
        community: locate(state, LayerId::Communities, at, lang).map(|c| c.1),
        subdistrict: locate(state, LayerId::Subdistricts, at, lang).map(|s| s.1),
    }
}
