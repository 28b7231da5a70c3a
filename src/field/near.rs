//! The nearest list from where the officer stands: hazards (open and
//! rectifying before rectified; one type if filtered), sensors in warning or
//! alarm, open cases — by the model's exact geodesic k-NN over each layer's
//! R-tree (`pingan_model::field::nearest::nearby`) — each row with its
//! title, what it is, and its distance and direction ("东北 120 米").

use crate::data::{LayerData, PointLayer};
use crate::inspect;
use crate::layers::rows::Item;
use crate::state::AppState;
use leptos::prelude::*;
use pingan_model::domain::{HazardStatus, HazardType, Lang};
use pingan_model::field::nearest::{nearby, Source};
use pingan_model::layers::LayerId;
use pingan_model::navigate::heading_text;
use pingan_model::projection::{to_lonlat, World};
use std::sync::Arc;

use super::place::{self, Place};

/// Rows per layer.
pub const PER_LAYER: usize = 20;
/// Nothing farther than this is listed (m).
pub const MAX_M: f64 = 5_000.0;

/// One listed item.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub layer: LayerId,
    pub key: u32,
    pub metres: f64,
    pub bearing: f64,
    /// "东北 120 米".
    pub heading: String,
    pub title: String,
    /// The feature's id, or the case number.
    pub id: String,
    /// Its type and state ("积水点 · 未整改").
    pub what: String,
    /// Rectified hazards, after the others (drawn quieter).
    pub done: bool,
    /// WGS84 lon/lat (the navigation links).
    pub lonlat: [f64; 2],
}

/// The list as the sheet shows it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Nearby {
    /// From where (lon/lat).
    pub at: Option<[f64; 2]>,
    pub place: Place,
    /// (layer, rows), hazards, sensors, cases.
    pub sections: Vec<(LayerId, Vec<Row>)>,
}

fn points(state: AppState, id: LayerId) -> Option<Arc<LayerData>> {
    state.entry(id)?.data.get_untracked()
}

fn what(layer: LayerId, p: &PointLayer, key: u32, lang: Lang) -> String {
    let i = key as usize;
    match layer {
        LayerId::Hazards => {
            let f = p.features().get(i);
            let ty = f
                .and_then(|f| f.str_prop("type"))
                .and_then(HazardType::from_code)
                .map(|t| t.label(lang));
            let st = HazardStatus::ALL
                .get(p.state.get(i).copied().unwrap_or(0) as usize)
                .map(|s| s.label(lang));
            [ty, st]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" · ")
        }
        LayerId::Sensors => {
            let level = match p.state.get(i).copied().unwrap_or(0) {
                2 => lang.pick("报警", "alarm"),
                1 => lang.pick("预警", "warning"),
                _ => lang.pick("正常", "normal"),
            };
            let f = p.features().get(i);
            let v = f.and_then(|f| f.num_prop("value"));
            let unit = f.and_then(|f| f.str_prop("unit")).unwrap_or("");
            match v {
                Some(v) => format!("{level} · {v:.1} {unit}"),
                None => level.to_string(),
            }
        }
        LayerId::Cases => p
            .cases()
            .get(i)
            .map(|c| c.status.label(lang).to_string())
            .unwrap_or_default(),
        _ => String::new(),
    }
}

/// The nearest list from `at` (lon/lat) over the loaded layers.
pub fn compute(state: AppState, at: [f64; 2], hazard_type: Option<HazardType>) -> Nearby {
    let lang = state.lang.get_untracked();
    let layers: Vec<(LayerId, Arc<LayerData>)> =
        [LayerId::Hazards, LayerId::Sensors, LayerId::Cases]
            .into_iter()
            .filter_map(|id| points(state, id).map(|d| (id, d)))
            .collect();
    let hazard_ty = hazard_type.map(|t| t.index() as u8);
    let keeps: Vec<Box<dyn Fn(u32) -> bool + '_>> = layers
        .iter()
        .map(|(id, d)| -> Box<dyn Fn(u32) -> bool + '_> {
            let LayerData::Points(p) = &**d else {
                return Box::new(|_| false);
            };
            match id {
                LayerId::Hazards => {
                    Box::new(move |k| hazard_ty.is_none_or(|t| p.class.get(k as usize) == Some(&t)))
                }
                // Sensors in warning or alarm.
                LayerId::Sensors => {
                    Box::new(move |k| p.state.get(k as usize).is_some_and(|s| *s >= 1))
                }
                // Open cases.
                _ => Box::new(move |k| {
                    p.cases()
                        .get(k as usize)
                        .is_some_and(|c| c.status.is_open())
                }),
            }
        })
        .collect();
    let tiers: Vec<Box<dyn Fn(u32) -> u8 + '_>> = layers
        .iter()
        .map(|(id, d)| -> Box<dyn Fn(u32) -> u8 + '_> {
            match (id, &**d) {
                // Rectified hazards after open and rectifying ones.
                (LayerId::Hazards, LayerData::Points(p)) => Box::new(move |k| {
                    u8::from(
                        p.state.get(k as usize).copied()
                            == Some(HazardStatus::Rectified.index() as u8),
                    )
                }),
                _ => Box::new(|_| 0),
            }
        })
        .collect();
    let sources: Vec<Source> = layers
        .iter()
        .zip(keeps.iter().zip(tiers.iter()))
        .filter_map(|((id, d), (keep, tier))| match &**d {
            LayerData::Points(p) => Some(Source {
                layer: *id,
                index: &p.index,
                keep: &**keep,
                tier: &**tier,
            }),
            LayerData::Areas(_) => None,
        })
        .collect();
    let found = nearby(&sources, at, PER_LAYER, MAX_M);
    let sections = found
        .into_iter()
        .filter_map(|s| {
            let (_, d) = layers.iter().find(|(id, _)| *id == s.layer)?;
            let LayerData::Points(p) = &**d else {
                return None;
            };
            let rows = s
                .items
                .iter()
                .map(|n| {
                    let w = p.world.get(n.key as usize).copied().unwrap_or([0.0, 0.0]);
                    let (lon, lat) = to_lonlat(World { x: w[0], y: w[1] });
                    Row {
                        layer: s.layer,
                        key: n.key,
                        metres: n.metres,
                        bearing: n.bearing,
                        heading: heading_text(at, [lon, lat], lang),
                        title: inspect::title(d, n.key, lang).unwrap_or_default(),
                        id: match d.item(n.key) {
                            Some(Item::Feature(f)) => f.id.clone().unwrap_or_default(),
                            Some(Item::Case(c)) => c.number(),
                            None => String::new(),
                        },
                        what: what(s.layer, p, n.key, lang),
                        done: n.tier > 0,
                        lonlat: [lon, lat],
                    }
                })
                .collect();
            Some((s.layer, rows))
        })
        .collect();
    Nearby {
        at: Some(at),
        place: place::at(state, at, lang),
        sections,
    }
}
