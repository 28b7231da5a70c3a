//! Everything the app knows about each layer, one file per layer: how its
//! features are classed, drawn (fill, outline, labels or point symbol, bin
//! colour, badge), its legend, its details rows, and where it stands in the
//! fetch and hit orders. The catalogue entry (`pingan_model::layers`) has its file, names,
//! kind and level-of-detail rule; this has the rest. Adding a layer: the
//! catalogue entry plus one file here, listed in [`SPECS`].

mod areas;
mod cases;
mod communities;
mod district;
mod greenspace;
pub mod grids;
mod hazards;
mod parks;
pub mod rows;
mod sensors;
mod sentinels;
mod subdistricts;

use crate::style::{LegendItem, Symbol};
use pingan_model::domain::Lang;
use pingan_model::geojson_io::Feature;
use pingan_model::layers::LayerId;
use rows::{Item, Row, RowCtx};

/// One layer's app-side description.
pub struct LayerSpec {
    pub id: LayerId,
    /// Hit-test order, lowest first: points top-down as drawn, then the most
    /// specific areas.
    pub hit_rank: u8,
    /// Fetch order at start, lowest first: largest files first, so the
    /// longest transfer is not queued behind small ones (HTTP/1.1 allows 6
    /// at a time).
    pub fetch_rank: u8,
    /// A flight to one of its features ends at least at this effective zoom
    /// (where the feature is drawn on its own).
    pub fly_min_eff: f64,
    /// The legend; `breaks` are the grid choropleth class bounds.
    pub legend: fn(Lang, &[f64]) -> Vec<LegendItem>,
    /// The rows of the details panel for one of its items (most layers:
    /// [`rows::feature`], every property).
    pub rows: fn(Item<'_>, &RowCtx<'_>) -> Vec<Row>,
    pub draw: Draw,
}

/// How a layer is drawn: as areas (the base surface) or as points.
pub enum Draw {
    Area(AreaSpec),
    Point(PointSpec),
}

/// A polygon layer's drawing.
pub struct AreaSpec {
    /// Style class of a feature (tier, risk domain, …).
    pub class: fn(&Feature) -> u8,
    pub paint: AreaPaint,
    pub label: Option<LabelSpec>,
}

pub enum AreaPaint {
    /// Filled by colour group (one path per colour) at `alpha(z)`, then all
    /// outlined at once with `outline(z)` (`z`: effective zoom).
    Grouped {
        fill: Fill,
        alpha: fn(f64) -> f64,
        outline: fn(f64) -> Option<Outline>,
        /// A soft glow around the outline.
        glow: bool,
    },
    /// Each feature: a translucent fill and a dashed outline in its class colour.
    Dashed { colour: fn(u8) -> &'static str },
}

pub enum Fill {
    None,
    /// By the grid's case count through the choropleth breaks.
    Choropleth(&'static [&'static str]),
    /// By the feature's class.
    Class(fn(u8) -> &'static str),
}

#[derive(Clone, Copy)]
pub struct Outline {
    pub stroke: &'static str,
    pub width: f64,
    pub dash: &'static [f64],
}

/// Area labels (the feature's name at its interior point).
pub struct LabelSpec {
    /// Placement order, lowest first: coarse before fine.
    pub rank: u8,
    pub size: f64,
    pub weight: &'static str,
    pub colour: &'static str,
    /// Shown at this effective zoom.
    pub shown: fn(f64) -> bool,
    /// Drawn even where the feature is narrower than its label.
    pub always_fits: bool,
    /// Drawn per frame above the points (the base surface only reserves
    /// their space).
    pub per_frame: bool,
}

/// A point layer's drawing.
pub struct PointSpec {
    /// (class, state) of a GeoJSON feature; cases are classed from their
    /// records (`data::case_state`).
    pub class: fn(&Feature) -> (u8, u8),
    /// The symbol of a (class, state) at symbol scale `big`.
    pub symbol: fn(u8, u8, f64) -> Symbol,
    /// Fill of its bins at low zoom.
    pub bin_colour: &'static str,
    /// Its line on the district-scale badges, if summarised there.
    pub badge: Option<BadgeSpec>,
}

pub struct BadgeSpec {
    pub name: fn(Lang) -> &'static str,
    pub colour: &'static str,
}

/// Every layer's spec, in catalogue order (`LayerId as usize`).
static SPECS: [&LayerSpec; 11] = [
    &grids::SPEC,
    &greenspace::SPEC,
    &parks::SPEC,
    &areas::SPEC,
    &communities::SPEC,
    &subdistricts::SPEC,
    &district::SPEC,
    &cases::SPEC,
    &sentinels::SPEC,
    &hazards::SPEC,
    &sensors::SPEC,
];

/// The spec of a layer.
pub fn spec(id: LayerId) -> &'static LayerSpec {
    let s = SPECS[id as usize];
    debug_assert_eq!(s.id, id, "SPECS out of catalogue order");
    s
}

impl LayerSpec {
    pub fn area(&self) -> Option<&AreaSpec> {
        match &self.draw {
            Draw::Area(a) => Some(a),
            Draw::Point(_) => None,
        }
    }
    pub fn point(&self) -> Option<&PointSpec> {
        match &self.draw {
            Draw::Point(p) => Some(p),
            Draw::Area(_) => None,
        }
    }
}

/// Legend of a layer; `breaks` are the grid choropleth class bounds.
pub fn legend(id: LayerId, lang: Lang, breaks: &[f64]) -> Vec<LegendItem> {
    (spec(id).legend)(lang, breaks)
}

/// Layers in `ids` ordered by a rank of their spec (stable).
pub fn ranked(ids: Vec<LayerId>, rank: fn(&LayerSpec) -> u8) -> Vec<LayerId> {
    by_rank(ids, |id| rank(spec(*id)))
}

/// `items` in ascending `rank`, equal ranks in their given order: what a
/// stable `sort_by_key` gives. Written out because the lists ordered by
/// rank are a dozen layers long and each `sort_by_key` call site compiles
/// its own copy of the standard stable sort (~5 KB of wasm each, measured);
/// this walks the ranks present instead.
pub fn by_rank<T>(items: Vec<T>, rank: impl Fn(&T) -> u8) -> Vec<T> {
    let ranks: Vec<u8> = items.iter().map(&rank).collect();
    let mut slots: Vec<Option<T>> = items.into_iter().map(Some).collect();
    let mut out = Vec::with_capacity(slots.len());
    let mut next = ranks.iter().min().copied();
    while let Some(r) = next {
        for (slot, _) in slots.iter_mut().zip(&ranks).filter(|(_, k)| **k == r) {
            out.extend(slot.take());
        }
        next = ranks.iter().filter(|k| **k > r).min().copied();
    }
    out
}

/// Outlines only, no fill (boundaries).
const fn outline_only(outline: fn(f64) -> Option<Outline>, glow: bool) -> AreaPaint {
    AreaPaint::Grouped {
        fill: Fill::None,
        alpha: |_| 1.0,
        outline,
        glow,
    }
}

/// A solid outline of this colour and width.
fn solid(stroke: &'static str, width: f64) -> Option<Outline> {
    Some(Outline {
        stroke,
        width,
        dash: &[],
    })
}

/// The legend of a boundary layer: one line swatch.
fn line_legend(stroke: &str, text: &str) -> Vec<LegendItem> {
    vec![LegendItem {
        swatch: crate::style::Swatch::Line(stroke.into()),
        text: text.into(),
    }]
}

/// The class of layers whose features all look alike.
fn no_class(_: &Feature) -> u8 {
    0
}

/// The class of a coded property through its code set's `from_code` and
/// `index`, or `default` when absent or unknown.
fn code_class(f: &Feature, key: &str, index: impl Fn(&str) -> Option<usize>, default: u8) -> u8 {
    index(f.str_prop(key).unwrap_or(""))
        .map(|i| i as u8)
        .unwrap_or(default)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::style::Swatch;
    use pingan_model::domain::*;
    use pingan_model::layers::LAYERS;

    #[test]
    fn choropleth_legend_matches_the_breaks() {
        let items = legend(LayerId::Grids, Lang::Zh, &[10.0, 20.0, 30.0, 40.0]);
        let texts: Vec<&str> = items.iter().map(|i| i.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "0–9 件/30天",
                "10–19 件/30天",
                "20–29 件/30天",
                "30–39 件/30天",
                "≥ 40 件/30天"
            ]
        );
        assert_eq!(items[4].swatch, Swatch::Fill(grids::CHOROPLETH[4].into()));
        // Fewer distinct breaks, fewer classes.
        assert_eq!(legend(LayerId::Grids, Lang::En, &[5.0]).len(), 2);
    }

    #[test]
    fn every_code_has_a_legend_entry() {
        assert_eq!(
            legend(LayerId::Hazards, Lang::En, &[]).len(),
            HazardStatus::ALL.len() + HazardType::ALL.len()
        );
        assert_eq!(legend(LayerId::Areas, Lang::Zh, &[]).len(), 4);
        assert_eq!(legend(LayerId::Parks, Lang::Zh, &[]).len(), 4);
        for id in pingan_model::layers::LAYERS.iter().map(|l| l.id) {
            assert!(
                !legend(id, Lang::Zh, &[1.0]).is_empty(),
                "{id} has no legend"
            );
        }
    }

    #[test]
    fn by_rank_orders_like_a_stable_sort() {
        let items: Vec<(u8, usize)> = [3u8, 0, 255, 3, 1, 0, 7, 3]
            .into_iter()
            .enumerate()
            .map(|(i, r)| (r, i))
            .collect();
        let mut sorted = items.clone();
        sorted.sort_by_key(|x| x.0);
        assert_eq!(by_rank(items, |x| x.0), sorted);
        assert!(by_rank(Vec::<u8>::new(), |x| *x).is_empty());
    }

    #[test]
    fn every_layer_has_its_spec_of_its_kind_and_distinct_ranks() {
        use pingan_model::layers::LayerKind;
        let mut hit: Vec<u8> = Vec::new();
        let mut fetch: Vec<u8> = Vec::new();
        for def in LAYERS {
            let s = spec(def.id);
            assert_eq!(s.id, def.id, "SPECS out of catalogue order");
            match def.kind {
                LayerKind::Polygon => assert!(s.area().is_some(), "{}", def.id),
                LayerKind::Point | LayerKind::Cases => {
                    assert!(s.point().is_some(), "{}", def.id)
                }
            }
            // Summarised on the badges exactly when it has a badge line.
            assert_eq!(
                def.lod.badge_rank.is_some(),
                s.point().is_some_and(|p| p.badge.is_some()),
                "{}",
                def.id
            );
            hit.push(s.hit_rank);
            fetch.push(s.fetch_rank);
        }
        for ranks in [&mut hit, &mut fetch] {
            ranks.sort_unstable();
            ranks.dedup();
            assert_eq!(ranks.len(), LAYERS.len());
        }
        // Points are hit before areas, top-down as drawn.
        let by_hit = ranked(LayerId::ALL.to_vec(), |s| s.hit_rank);
        assert_eq!(
            by_hit[..4],
            [
                LayerId::Sensors,
                LayerId::Hazards,
                LayerId::Sentinels,
                LayerId::Cases
            ]
        );
    }
}
