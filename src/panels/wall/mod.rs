//! The wall's panels (`?mode=wall`), one component per file, read from
//! across the room: no buttons, nothing to click. Each takes the app's state
//! (`use_app`) and the wall's (`wall::use_wall`) from context and the box
//! the wall's layout gave it (virtual CSS px). Sizes are in `em` of the
//! wall's text size (`layouts/wall.rs` sets it: 22 px at 1080p, twice that
//! at 4K), so nothing is under 20 px at 1080p.

pub mod callout;
pub mod case_flow;
pub mod header;
pub mod hourly_chart;
pub mod kpi_band;
pub mod ranking;
pub mod stale;
pub mod ticker;

use crate::data::LayerData;
use crate::state::AppState;
use leptos::prelude::*;
use pingan_model::domain::Lang;
use pingan_model::layers::LayerId;

/// "HH:MM" of a Unix time, in CST.
pub fn hm_cst(unix: i64) -> String {
    let t = pingan_model::time::cst(unix);
    format!("{:02}:{:02}", t.hour, t.minute)
}

/// "HH:MM:SS" of a Unix time, in CST.
pub fn hms_cst(unix: i64) -> String {
    let t = pingan_model::time::cst(unix);
    format!("{:02}:{:02}:{:02}", t.hour, t.minute, t.second)
}

/// The place of grid `g` as a list row shows it, short enough for a row at
/// the wall's text size: the subdistrict and the community without their
/// kinds ("石岩 龙腾", "Shiyan · Longteng"); empty parts left out.
pub fn short_place(state: AppState, g: u16, lang: Lang) -> String {
    state
        .entry(LayerId::Grids)
        .and_then(|e| {
            e.data.with_untracked(|d| match d.as_deref() {
                Some(LayerData::Areas(a)) => {
                    let f = a.features.get(g as usize)?;
                    let sub = f.str_prop("subdistrict").unwrap_or("");
                    let com = f.str_prop("community").unwrap_or("");
                    let parts: Vec<String> = match lang {
                        Lang::Zh => vec![
                            sub.trim_end_matches("街道").to_string(),
                            com.trim_end_matches("社区").to_string(),
                        ],
                        Lang::En => {
                            // "Longteng Community Grid 20" → "Longteng".
                            let com_en = f.str_prop("name_en").map(|n| {
                                let n = n.split(" Community").next().unwrap_or(n);
                                n.split(" Grid ").next().unwrap_or(n).to_string()
                            });
                            [subdistrict_en(state, sub), com_en]
                                .into_iter()
                                .flatten()
                                .collect()
                        }
                    };
                    let parts: Vec<String> =
                        parts.into_iter().filter(|p| !p.trim().is_empty()).collect();
                    Some(parts.join(if lang == Lang::Zh { " " } else { " · " }))
                }
                _ => None,
            })
        })
        .unwrap_or_default()
}

/// The English name of the subdistrict named `zh` (the district summary's
/// names, as the badges have them).
pub fn subdistrict_en(state: AppState, zh: &str) -> Option<String> {
    state.admin.with_untracked(|a| {
        a.names
            .iter()
            .find(|(z, en)| z == zh && !en.is_empty())
            .map(|(_, en)| en.trim_end_matches(" Subdistrict").to_string())
    })
}

/// A reading with no more decimals than it needs.
pub fn reading(v: f64) -> String {
    if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else if v.abs() >= 1.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}
