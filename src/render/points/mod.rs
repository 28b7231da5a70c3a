//! The point layers' renderer seam. What to draw is decided here, for any
//! backend: per layer, by its level-of-detail rule (`pingan_model::lod`),
//! bins (sized by count, labelled where the count fits) or individual symbols grouped by (class,
//! state), each group's look from the layer's spec. How it is drawn and kept
//! is the backend's: a [`PointBackend`] is *retained* — it is given the
//! layers it shows ([`PointBackend::set_layers`]) and learns from each
//! layer's `version` what changed and from `PointLayer::edits_after` where,
//! brings its picture up to date for a camera; the renderer shows that
//! picture as a layer of the page, placed (scaled, translated) for the
//! camera while it moves. Canvas 2D ([`canvas2d`]) is the first backend; a
//! WebGL2 one implements the same trait without touching the layers.

pub mod canvas2d;

use crate::data::{LayerData, PointLayer, BIN_PX};
use crate::layers::spec;
use crate::render::surface::Placement;
use crate::style::Symbol;
use pingan_model::domain::Lang;
use pingan_model::index::Bbox;
use pingan_model::layers::LayerId;
use pingan_model::lod::{effective, symbol_scale};
use pingan_model::viewport::Camera;
use std::sync::Arc;
use web_sys::HtmlCanvasElement;

/// A point layer as a backend is given it.
#[derive(Clone)]
pub struct PointInput {
    pub id: LayerId,
    /// The layer's data (always `LayerData::Points`).
    pub data: Arc<LayerData>,
}

impl PointInput {
    pub fn points(&self) -> Option<&PointLayer> {
        match &*self.data {
            LayerData::Points(p) => Some(p),
            LayerData::Areas(_) => None,
        }
    }
}

/// What a backend's frame did, for tests and benchmarks.
#[derive(Clone, Debug, Default)]
pub struct PointStats {
    /// (layer, points or bins shown).
    pub drawn: Vec<(LayerId, usize)>,
    /// Re-rendered in full.
    pub rendered: bool,
    /// Places patched instead (0: no patch).
    pub patched: usize,
}

/// A retained renderer of the point layers.
pub trait PointBackend {
    /// The point layers shown from now on, bottom first, and the language.
    /// A layer with the same id and data (`Arc`) but a higher `version`
    /// changed in place; its `edits_after(version drawn)` says where.
    /// A backend holds these `Arc`s only until the end of `update`: live
    /// edits mutate a layer with `Arc::make_mut`, and a second owner between
    /// frames would make every edit copy the whole layer (and change its
    /// address, so nothing could be patched).
    /// `wall`: drawn for a wall (its least text size: `render::text_px`).
    fn set_layers(&mut self, layers: Vec<PointInput>, lang: Lang, wall: bool);
    /// Brings the picture up to date for the camera (patching what changed
    /// where it can) and lets go of the layers.
    fn update(&mut self, cam: &Camera, dpr: f64) -> PointStats;
    /// Whether the picture was made for this camera (zoom, size, DPR, the pan
    /// within its margin), whatever its data.
    fn fits(&self, cam: &Camera, dpr: f64) -> bool;
    /// The picture (a canvas the renderer shows as a layer of the page) and
    /// where it lands for `cam`: in whole device pixels when it fits, else
    /// scaled and translated (while the camera moves); `None` before the
    /// first picture.
    fn placed(&self, cam: &Camera, dpr: f64) -> Option<(&HtmlCanvasElement, Placement)>;
    /// The next frame draws everything afresh (tests compare).
    fn invalidate(&mut self);
    /// The backend's own canvas, if it keeps one (tests read its pixels).
    fn canvas(&self) -> Option<&HtmlCanvasElement>;
}

/// Draws symbols and bin labels in screen space (CSS pixels).
pub trait PointPainter {
    /// One symbol at each screen position.
    fn symbols(&mut self, pts: &[[f64; 2]], symbol: &Symbol);
    /// Centred labels (bin counts).
    fn labels(&mut self, items: &[([f64; 2], String)], px: f64, colour: &str);
}

/// Whether point `k` of layer `id` is drawn individually at effective zoom
/// `eff` — its layer's rule; drawing and hit testing share it.
pub fn point_shown(id: LayerId, p: &PointLayer, k: u32, eff: f64) -> bool {
    id.def()
        .lod
        .point_shown(p.state.get(k as usize).copied(), eff)
}

/// A count as people read it: 9,999 → "9999", 12,345 → "1.2万" / "12k".
pub fn short_count(n: u32, lang: Lang) -> String {
    match lang {
        Lang::Zh if n >= 10_000 => format!("{:.1}万", n as f64 / 10_000.0),
        Lang::En if n >= 10_000 => format!("{}k", n / 1000),
        _ => n.to_string(),
    }
}

/// Radius of a bin's circle in CSS pixels, given the largest count in view.
pub fn bin_radius(count: u32, max: f64, ui: f64) -> f64 {
    let (lo, hi) = (4.5 * ui, BIN_PX * 0.46 * ui);
    lo + (hi - lo) * (count as f64 / max.max(1.0)).sqrt()
}

/// The px of the bins' counts (11 at UI scale 1; on a wall its least text
/// size) and whether `count` is labelled in a circle of radius `r`: off a
/// wall from 10 px up (as designed); on a wall only where the count fits
/// inside at that size (a digit ~0.6 em, 万 1 em, 2 px either side): a
/// count shrunk to fit would be unreadable from across the room, and the
/// circle's area shows it anyway.
pub fn bin_label(count: u32, r: f64, ui: f64, lang: Lang, wall: bool) -> Option<String> {
    let text = short_count(count, lang);
    if !wall {
        return (r >= 10.0 * ui).then_some(text);
    }
    let px = crate::render::text_px(11.0, ui, true);
    let width: f64 = text
        .chars()
        .map(|c| if c.is_ascii() { 0.6 } else { 1.0 })
        .sum::<f64>()
        * px;
    (width + 4.0 * ui <= 2.0 * r && px <= 2.0 * r).then_some(text)
}

/// Draws one point layer as seen in `view` (a whole surface: the camera
/// grown by 30 px); with `only`, just the symbols
/// that can reach that box (a patch), each exactly as the whole view draws it.
#[allow(clippy::too_many_arguments)]
pub fn draw_points_in(
    painter: &mut impl PointPainter,
    cam: &Camera,
    id: LayerId,
    p: &PointLayer,
    ui: f64,
    lang: Lang,
    wall: bool,
    view: &Bbox,
    only: Option<&Bbox>,
) -> usize {
    let Some(look) = spec(id).point() else {
        return 0;
    };
    let eff = effective(cam.zoom, ui);
    if id.def().lod.binned(eff) {
        let zi = cam.zoom.floor() as i32;
        let bins = p.bins(zi, ui);
        let mut by_size: Vec<([f64; 2], u32)> = bins
            .in_box(view.min, view.max)
            .map(|b| (cam.to_screen([b.cx, b.cy]), b.count))
            .collect();
        by_size.sort_by_key(|b| b.1);
        // Sized relative to the largest bin in view: area ∝ count.
        let max = by_size.last().map(|b| b.1).unwrap_or(1).max(1) as f64;
        if let Some(o) = only {
            // A bin (circle and label) stays within its cell of BIN_PX.
            let (a, b) = (cam.to_screen(o.min), cam.to_screen(o.max));
            let pad = BIN_PX * ui;
            by_size.retain(|(s, _)| {
                s[0] >= a[0] - pad && s[0] <= b[0] + pad && s[1] >= a[1] - pad && s[1] <= b[1] + pad
            });
        }
        let mut labels = Vec::with_capacity(by_size.len());
        for (s, count) in &by_size {
            let r = bin_radius(*count, max, ui);
            let bin = Symbol::Circle {
                r,
                fill: look.bin_colour,
                ring: Some(("rgba(255,255,255,0.45)", 1.0)),
            };
            painter.symbols(&[*s], &bin);
            if let Some(text) = bin_label(*count, r, ui, lang, wall) {
                labels.push((*s, text));
            }
        }
        painter.labels(&labels, crate::render::text_px(11.0, ui, wall), "#06101f");
        return by_size.len();
    }
    // Individual points, grouped by symbol so each group is one path.
    let mut groups: std::collections::BTreeMap<(u8, u8), Vec<[f64; 2]>> = Default::default();
    let mut n = 0;
    for (k, w) in p.index.query(only.unwrap_or(view)) {
        if !point_shown(id, p, k, eff) {
            continue;
        }
        let k = k as usize;
        groups
            .entry((p.class[k], p.state[k]))
            .or_default()
            .push(cam.to_screen(w));
        n += 1;
    }
    let big = symbol_scale(eff, ui);
    for ((class, state), pts) in &groups {
        painter.symbols(pts, &(look.symbol)(*class, *state, big));
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_walls_bin_counts_are_its_text_size_and_only_where_they_fit() {
        // Off a wall: from 10 px up, as designed.
        assert_eq!(
            bin_label(1234, 10.0, 1.0, Lang::Zh, false).as_deref(),
            Some("1234")
        );
        assert_eq!(bin_label(7, 9.9, 1.0, Lang::Zh, false), None);
        // On a wall: 20 px text, so a count needs a circle it fits in.
        assert!(crate::render::text_px(11.0, 1.0, true) >= 20.0);
        let biggest = bin_radius(100, 100.0, 1.0);
        assert_eq!(
            bin_label(123, biggest, 1.0, Lang::Zh, true).as_deref(),
            Some("123")
        );
        assert_eq!(
            bin_label(1234, biggest, 1.0, Lang::Zh, true),
            None,
            "4 digits at 20 px: 52 px"
        );
        assert_eq!(
            bin_label(7, 9.0, 1.0, Lang::Zh, true),
            None,
            "20 px text in a circle 18 px wide"
        );
        assert_eq!(
            bin_label(7, 12.0, 1.0, Lang::Zh, true).as_deref(),
            Some("7")
        );
        assert_eq!(
            bin_label(12_345, biggest, 1.0, Lang::Zh, true),
            None,
            "1.2万"
        );
        // At 4K (UI scale 2) the same counts fit the same circles, doubled.
        assert_eq!(
            bin_label(123, 2.0 * biggest, 2.0, Lang::En, true).as_deref(),
            Some("123")
        );
        assert_eq!(bin_label(7, 2.0 * 9.0, 2.0, Lang::En, true), None);
    }

    #[test]
    fn bins_grow_with_their_share_of_the_largest() {
        let small = bin_radius(1, 100.0, 1.0);
        let half = bin_radius(25, 100.0, 1.0);
        let full = bin_radius(100, 100.0, 1.0);
        assert!(small < half && half < full);
        assert!(
            full <= BIN_PX * 0.5,
            "bins never overlap their neighbours' cells"
        );
        assert!((bin_radius(100, 100.0, 2.0) - 2.0 * full).abs() < 1e-9);
    }

    #[test]
    fn every_point_layer_symbol_fits_within_the_patch_reach() {
        use pingan_model::lod::symbol_reach;
        // A patch clears `symbol_reach` around a change: every symbol of
        // every point layer must fit in it, or patches leave edges behind.
        for id in LayerId::ALL {
            let Some(look) = spec(id).point() else {
                continue;
            };
            for (eff, ui) in [(15.0, 1.0), (16.5, 1.0), (16.5, 2.0)] {
                let big = symbol_scale(eff, ui);
                for class in 0..12 {
                    for state in 0..3 {
                        let extent = match (look.symbol)(class, state, big) {
                            Symbol::Circle { r, ring, .. } => {
                                r + ring.map_or(0.0, |(_, w)| w / 2.0)
                            }
                            Symbol::Square { r, .. } => (r + 0.5) * std::f64::consts::SQRT_2,
                            Symbol::Diamond { r, .. } => r,
                        };
                        assert!(
                            extent + 1.0 <= symbol_reach(eff, ui),
                            "{id} ({class}, {state}) at z{eff} ×{ui}: {extent}"
                        );
                    }
                }
            }
        }
    }
}
