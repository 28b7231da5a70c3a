//! Data derived from the layers and kept in `AppState`: cases per grid and
//! the choropleth breaks, and the district-scale summary (per-subdistrict
//! counts of the aggregated layers). Each is an Effect following its layers.

use super::AppState;
use crate::data::{self, AdminSummary, LayerData};
use crate::render;
use leptos::prelude::*;
use pingan_model::analysis::quantile_breaks;
use pingan_model::layers::LayerId;
use std::sync::Arc;

/// Cases per grid over the loaded window, or since `since` (Unix s: a
/// wall's `range=today`), or the grids' own `cases_30d` property when the
/// case layer is unavailable; and the choropleth breaks.
fn grid_counts(grids: &LayerData, cases: Option<&LayerData>, since: Option<i64>) -> Vec<u32> {
    let LayerData::Areas(g) = grids else {
        return Vec::new();
    };
    match cases {
        Some(LayerData::Points(p)) if !p.cases().is_empty() => {
            let mut counts = vec![0u32; g.features.len()];
            for c in p
                .cases()
                .iter()
                .filter(|c| since.is_none_or(|s| c.time >= s))
            {
                if let Some(x) = counts.get_mut(c.grid as usize) {
                    *x += 1;
                }
            }
            counts
        }
        _ => g
            .features
            .iter()
            .map(|f| f.num_prop("cases_30d").unwrap_or(0.0) as u32)
            .collect(),
    }
}

/// Starts the Effects that keep the derived data up to date.
pub fn follow(state: AppState) {
    // Choropleth counts follow the grid and case layers.
    Effect::new(move |_| {
        let grids = state.entry(LayerId::Grids).and_then(|e| e.data.get());
        let cases = state.entry(LayerId::Cases).and_then(|e| e.data.get());
        let since = state.cases_since.get();
        if let Some(g) = grids {
            let counts = grid_counts(&g, cases.as_deref(), since);
            let values: Vec<f64> = counts.iter().map(|&c| c as f64).collect();
            state.breaks.set(Arc::new(quantile_breaks(&values, 5)));
            state.grid_counts.set(Arc::new(counts));
        }
    });

    // District-scale summary: per-subdistrict counts of the aggregated layers.
    Effect::new(move |_| {
        let subs = state
            .entry(LayerId::Subdistricts)
            .and_then(|e| e.data.get());
        let grids = state.entry(LayerId::Grids).and_then(|e| e.data.get());
        let Some(subs) = subs else { return };
        let LayerData::Areas(sa) = &*subs else { return };
        let ga = match grids.as_deref() {
            Some(LayerData::Areas(g)) => Some(g),
            _ => None,
        };
        let mut counts = Vec::new();
        for id in render::badge_layers() {
            if let Some(d) = state.entry(id).and_then(|e| e.data.get()) {
                if let LayerData::Points(p) = &*d {
                    counts.push((id, data::counts_by_subdistrict(sa, ga, p)));
                }
            }
        }
        state.admin.set(Arc::new(AdminSummary {
            names: sa
                .features
                .iter()
                .map(|f| {
                    (
                        f.str_prop("name").unwrap_or("").to_string(),
                        f.str_prop("name_en").unwrap_or("").to_string(),
                    )
                })
                .collect(),
            at: sa.label_at.clone(),
            bboxes: sa.bboxes.clone(),
            counts,
        }));
    });
}
