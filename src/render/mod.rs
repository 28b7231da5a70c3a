//! Drawing. Takes a 2D context and plain data (`Scene`); knows nothing of
//! signals or the DOM beyond the canvases it is given.
//!
//! The [`Renderer`] orchestrates a frame: the *base* surface (polygon layers
//! and area labels, `base`; a cached canvas, `surface`), the point layers
//! through a retained [`points::PointBackend`] (Canvas 2D now, with its own
//! cached surface and in-place patching), both shown as layers of the page
//! placed by CSS transforms, then on the overlay (the map canvas) the
//! subdistrict names, the district-scale badges (`badges`), the selection
//! (`selection`) and the live pulses (`pulses`). Panning only moves the
//! layers; a surface is re-rendered only when its key changes or the pan
//! runs past its margin; a point change never re-renders the polygons.
//! While the camera moves (a flight, a zoom) the last pictures are shown
//! scaled and translated, over an overview copy (`overview`), and the
//! surfaces are re-rendered in the first frame the camera rests; on the
//! overlay a frame in which only pulses or badge numbers changed redraws
//! only their squares (`compose` decides, tested natively).

mod badges;
mod base;
pub mod compose;
mod overview;
pub mod points;
pub mod position;
mod pulses;
mod selection;
pub mod surface;

pub use badges::{badge_layers, badges, badges_on, thousands};
pub use base::label_text;
pub use pingan_model::lod::ui_scale;

/// The least size of a wall's map text at UI scale 1 (px): issue 9's least
/// at 1080p, read from five metres.
pub const WALL_MIN_TEXT: f64 = 20.0;
/// A wall's badges are laid out and drawn this much larger (their smallest
/// text, 13 px, becomes 20 px).
pub const WALL_BADGE: f64 = WALL_MIN_TEXT / 13.0;

/// The px of map text designed at `size` (UI scale 1): on a wall never under
/// `WALL_MIN_TEXT` (labels grow only to it: larger, the ten subdistrict names
/// no longer fit the district's overview at 1080p); × `ui`.
pub fn text_px(size: f64, ui: f64, wall: bool) -> f64 {
    if wall {
        size.max(WALL_MIN_TEXT) * ui
    } else {
        size * ui
    }
}

use crate::data::{AdminSummary, LayerData};
use crate::style;
use compose::{Rect, Region, Shown, Step, StepInput};
use overview::Overview;
use pingan_model::analysis::class_of;
use pingan_model::domain::Lang;
use pingan_model::layers::LayerId;
use pingan_model::lod::effective_zoom;
use pingan_model::viewport::Camera;
use points::canvas2d::Canvas2dPoints;
use points::{point_shown, PointBackend, PointInput};
use std::sync::Arc;
use surface::{ctx_of, Placement, Surface};
use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d as Ctx, HtmlCanvasElement};

/// Whether the district-scale view (badges) is in play for this summary.
pub fn admin_mode(cam: &Camera, admin: &AdminSummary) -> bool {
    pingan_model::lod::admin_mode(cam, !admin.is_empty())
}

/// A cache key over layers' data (identity of each `Arc`) and anything else
/// the surface shows (see the invariant on surface keys in ARCHITECTURE.md).
fn surface_key<'a>(
    layers: impl Iterator<Item = (LayerId, &'a Arc<LayerData>)>,
    extra: impl std::hash::Hash,
) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for (id, data) in layers {
        id.hash(&mut h);
        (Arc::as_ptr(data) as usize).hash(&mut h);
        // Point layers change in place (live updates): their version too.
        if let LayerData::Points(p) = &**data {
            p.version.hash(&mut h);
        }
    }
    extra.hash(&mut h);
    h.finish()
}

/// One visible layer with its data.
pub struct SceneLayer {
    pub id: LayerId,
    pub data: Arc<LayerData>,
}

/// Everything a frame needs, as plain data.
pub struct Scene {
    pub cam: Camera,
    pub dpr: f64,
    /// Visible layers, bottom first.
    pub layers: Vec<SceneLayer>,
    pub lang: Lang,
    /// Cases per grid (index = grid position) and the choropleth breaks.
    pub grid_counts: Arc<Vec<u32>>,
    pub breaks: Arc<Vec<f64>>,
    pub selected: Option<(LayerId, u32)>,
    /// Per-subdistrict counts for the district-scale view.
    pub admin: Arc<AdminSummary>,
    /// Live pulses: world position, age 0..1, colour (drawn per frame on top).
    pub pulses: Vec<([f64; 2], f64, &'static str)>,
    /// Layers are still loading: the surfaces re-render at most every
    /// `LOAD_RENDER_GAP_MS` (each arrival would re-render them at 4K).
    pub loading: bool,
    /// The frame's time (performance clock, ms).
    pub now_ms: f64,
    /// On a wall of several screens: its whole canvas, on which the per-frame
    /// names and the badges are laid out once (the same on every tile).
    pub wall: Option<WallView>,
    /// The field mode's "you are here".
    pub position: Option<position::Mark>,
}

/// A wall's virtual canvas as a tile draws it.
#[derive(Clone, Debug, PartialEq)]
pub struct WallView {
    /// The wall's camera (the virtual canvas, the same zoom as the tile's).
    pub cam: Camera,
    /// This tile's top left on the virtual canvas (CSS px).
    pub origin: [f64; 2],
    /// Every tile of the wall, virtual px (`[x0, y0, x1, y1]`).
    pub screens: Vec<[f64; 4]>,
    /// The wall's boxes always shown (KPI band, ranking, case flow, chart,
    /// ticker), virtual px: no badge goes under one.
    pub boxes: Vec<[f64; 4]>,
}

/// While layers load, the surfaces re-render at most this often (the frame
/// with every layer settled renders at once).
pub const LOAD_RENDER_GAP_MS: f64 = 400.0;

/// What a frame drew, for tests and benchmarks.
#[derive(Clone, Debug, Default)]
pub struct FrameStats {
    /// (layer, features or bins drawn).
    pub drawn: Vec<(LayerId, usize)>,
    /// Whether the polygon surface / the points surface were re-rendered.
    pub base_rendered: bool,
    pub points_rendered: bool,
    /// Places of the points surface patched instead (0: no patch).
    pub points_patched: usize,
    /// Grids whose class changed patched into the base surface instead.
    pub base_patched: usize,
    /// The camera moved and the last pictures were shown placed (scaled,
    /// translated) for it: another frame must follow to settle.
    pub moving: bool,
    /// What was drawn on the overlay: all it shows, some squares, or nothing.
    pub composed: Composed,
    /// Layers arrived while loading and the surfaces wait for the gap: a
    /// further frame must follow.
    pub deferred: bool,
}

/// What a frame drew on the overlay canvas.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum Composed {
    #[default]
    Full,
    /// Rectangles (how many, their device pixels).
    Part(usize, f64),
    Nothing,
}

/// The page's layers the renderer shows, bottom first, below the overlay.
struct Layers {
    /// Their container, inserted before the overlay canvas (the map canvas).
    el: web_sys::HtmlElement,
    /// The last style set on the overview, base and points canvases.
    styles: [String; 3],
}

/// Draws frames. The page shows, bottom first: the overview (only while the
/// camera moves), the base surface (polygon layers and their labels, on the
/// background colour), the point backend's picture, each a canvas placed by
/// a CSS transform, then the overlay — the map canvas itself — with the
/// per-frame names, badges, selection and pulses.
pub struct Renderer {
    canvas: HtmlCanvasElement,
    ctx: Ctx,
    layers: Layers,
    base: Surface,
    points: Canvas2dPoints,
    overview: Overview,
    /// What the overlay shows (None: nothing yet, or cleared by a resize).
    shown: Option<Shown>,
    /// What the points picture holds (for frames that do not update it).
    points_drawn: Vec<(LayerId, usize)>,
    /// When a surface was last re-rendered (ms).
    rendered_at: f64,
    /// The base surface's labels as placed, its `structure` key and each
    /// grid's choropleth class when it was rendered (for patches).
    base_labels: Vec<base::PlacedLabel>,
    base_structure: u64,
    base_classes: Vec<u16>,
}

/// Each grid's choropleth class (empty without the grid layer).
fn classes(scene: &Scene) -> Vec<u16> {
    if !scene.layers.iter().any(|l| l.id == LayerId::Grids) {
        return Vec::new();
    }
    scene
        .grid_counts
        .iter()
        .map(|c| class_of(*c as f64, &scene.breaks) as u16)
        .collect()
}

/// More grids than this changing class re-render the base surface instead.
const MAX_BASE_PATCHES: usize = 32;

/// How far a polygon's paint (outline, glow) reaches beyond it, CSS pixels.
const AREA_REACH: f64 = 24.0;

impl Renderer {
    pub fn new(canvas: HtmlCanvasElement) -> Option<Renderer> {
        let ctx = ctx_of(&canvas)?;
        let doc = web_sys::window()?.document()?;
        let base = Surface::new(&doc)?;
        let points = Canvas2dPoints::new(&doc)?;
        let overview = Overview::new(&doc)?;
        let el: web_sys::HtmlElement = doc.create_element("div").ok()?.dyn_into().ok()?;
        surface::set_css(
            &el,
            &[
                ("position", "absolute"),
                ("inset", "0"),
                ("overflow", "hidden"),
                ("pointer-events", "none"),
                ("background", style::BACKGROUND),
            ],
        );
        let _ = el.set_attribute("data-layers", "map");
        for c in [Some(overview.canvas()), Some(&base.canvas), points.canvas()]
            .into_iter()
            .flatten()
        {
            surface::layer_style(c);
            let _ = el.append_child(c);
        }
        let parent = canvas.parent_node()?;
        let _ = parent.insert_before(&el, Some(&canvas));
        Some(Renderer {
            canvas,
            ctx,
            layers: Layers {
                el,
                styles: Default::default(),
            },
            base,
            points,
            overview,
            shown: None,
            points_drawn: Vec::new(),
            rendered_at: f64::NEG_INFINITY,
            base_labels: Vec::new(),
            base_structure: 0,
            base_classes: Vec::new(),
        })
    }

    /// Makes the next frame re-render the points in full (tests compare a
    /// patched surface with a fresh one).
    pub fn invalidate_points(&mut self) {
        self.points.invalidate();
    }

    /// The point backend's canvas (tests read its pixels).
    pub fn points_canvas(&self) -> Option<&HtmlCanvasElement> {
        self.points.canvas()
    }

    /// Draws one frame: settled (the surfaces brought up to date for the
    /// camera and shown in whole device pixels) or, while the camera moves
    /// away from what the surfaces hold, moving (the last pictures shown
    /// placed; `FrameStats::moving` asks for the frame that settles); then
    /// the part of the overlay that changed. See `compose` for the rules.
    pub fn draw(&mut self, scene: &Scene) -> FrameStats {
        let cam = scene.cam;
        let dpr = scene.dpr;
        let (pw, ph) = surface::fit_canvas(&self.canvas, &cam, dpr);
        let (sw, sh) = (pw as f64, ph as f64);
        if self
            .shown
            .as_ref()
            .is_some_and(|s| s.dpr != dpr || s.cam.width != cam.width || s.cam.height != cam.height)
        {
            // Resized: the overlay was cleared.
            self.shown = None;
        }
        let ui = ui_scale(cam.width, cam.height);
        let has_summary = !scene.admin.is_empty();
        // The base surface's key: its layers and language (`structure`),
        // and the choropleth (breaks, counts): a change of counts alone is
        // patched where a grid's class changed.
        let structure = surface_key(
            scene
                .layers
                .iter()
                .filter(|l| matches!(*l.data, LayerData::Areas(_)))
                .map(|l| (l.id, &l.data)),
            (scene.lang, Arc::as_ptr(&scene.breaks) as usize),
        );
        let base_version = {
            use std::hash::{Hash, Hasher};
            let mut h = std::collections::hash_map::DefaultHasher::new();
            (structure, Arc::as_ptr(&scene.grid_counts) as usize).hash(&mut h);
            h.finish()
        };

        // Settled or moving?
        let moved = self.shown.as_ref().is_some_and(|s| s.cam != cam);
        let fits = self.base.fits(&cam, dpr) && self.points.fits(&cam, dpr);
        let base_at = self.base.placement(&cam, dpr);
        let step = compose::step(StepInput {
            moved,
            fits,
            placeable: base_at.is_some() && self.points.placed(&cam, dpr).is_some(),
            drift: cam.zoom - self.base.zoom().unwrap_or(cam.zoom),
            cover: self.cover(base_at.as_ref(), sw, sh),
            overview: self.overview.placement(&cam, dpr, structure).is_some(),
        });

        let mut stats = FrameStats {
            deferred: step == Step::Settled
                && scene.loading
                && fits
                && scene.now_ms - self.rendered_at < LOAD_RENDER_GAP_MS,
            ..FrameStats::default()
        };
        if step == Step::Settled && !stats.deferred {
            stats.base_patched = self.patch_base(scene, &cam, dpr, structure, base_version);
            let labels = &mut self.base_labels;
            stats.base_rendered = self
                .base
                .ensure(&cam, dpr, base_version, |ctx, big, drawn| {
                    // Opaque: the overview below shows only around it.
                    let _ = ctx.set_transform(1.0, 0.0, 0.0, 1.0, 0.0, 0.0);
                    ctx.set_fill_style_str(style::BACKGROUND);
                    ctx.fill_rect(0.0, 0.0, big.width * dpr, big.height * dpr);
                    let _ = ctx.set_transform(dpr, 0.0, 0.0, dpr, 0.0, 0.0);
                    base::render_areas(ctx, big, scene, ui, drawn, labels)
                });
            if stats.base_rendered {
                self.base_structure = structure;
                self.base_classes = classes(scene);
            }
            // Point layers: everything but what the district-scale badges summarise.
            let point_layers: Vec<PointInput> = scene
                .layers
                .iter()
                .filter(|l| matches!(*l.data, LayerData::Points(_)))
                .filter(|l| !l.id.def().lod.summarised(&cam, has_summary))
                .map(|l| PointInput {
                    id: l.id,
                    data: l.data.clone(),
                })
                .collect();
            self.points
                .set_layers(point_layers, scene.lang, scene.wall.is_some());
            let p = self.points.update(&cam, dpr);
            stats.points_rendered = p.rendered;
            stats.points_patched = p.patched;
            self.points_drawn = p.drawn;
            if stats.base_rendered || stats.points_rendered {
                self.rendered_at = scene.now_ms;
            }
            if (stats.base_rendered || stats.points_rendered)
                && !scene.loading
                && self.overview.wants(&cam, dpr, structure)
            {
                if let Some(at) = self.base.placement(&cam, dpr) {
                    self.overview.take(
                        &self.base.canvas,
                        &self.base.camera(&cam),
                        &at,
                        self.points.placed(&cam, dpr),
                        dpr,
                        structure,
                    );
                }
            }
        }
        stats.moving = step == Step::Moving;
        stats.drawn = self.base.drawn.clone();
        stats.drawn.extend(self.points_drawn.iter().copied());
        self.show_layers(&cam, dpr, step, structure, sw, sh);

        // The overlay: names, badges, selection, pulses.
        let summarised: Vec<LayerId> = badge_layers()
            .into_iter()
            .filter(|id| id.def().lod.summarised(&cam, has_summary))
            .filter(|id| scene.layers.iter().any(|l| l.id == *id))
            .collect();
        // A wall's badges are laid out and drawn at its text size.
        let badge_ui = if scene.wall.is_some() {
            ui * WALL_BADGE
        } else {
            ui
        };
        let bs = match (&scene.wall, summarised.is_empty()) {
            (_, true) => Vec::new(),
            (None, false) => badges(&cam, &scene.admin, &summarised),
            // On a wall: laid out once on its canvas, each wholly in one
            // tile, then in this tile's px.
            (Some(w), false) => badges_on(
                &w.cam,
                &scene.admin,
                &summarised,
                badge_ui,
                text_px(badges::name_size(), ui, true),
                true,
                &w.screens,
                &w.boxes,
            )
            .into_iter()
            .map(|mut b| {
                let [ox, oy] = w.origin;
                b.rect = [
                    b.rect[0] - ox,
                    b.rect[1] - oy,
                    b.rect[2] - ox,
                    b.rect[3] - oy,
                ];
                b.anchor = [b.anchor[0] - ox, b.anchor[1] - oy];
                b
            })
            .collect(),
        };
        for id in &summarised {
            let n = bs
                .iter()
                .filter(|b| b.lines.iter().any(|(l, c)| l == id && *c > 0))
                .count();
            stats.drawn.push((*id, n));
        }
        let selection = scene.selected.and_then(|(id, key)| {
            let layer = scene.layers.iter().find(|l| l.id == id)?;
            // A point shows its ring only while drawn individually.
            let drawn_alone = match &*layer.data {
                LayerData::Areas(_) => true,
                LayerData::Points(p) => {
                    id.def().lod.individual(&cam, has_summary)
                        && point_shown(id, p, key, effective_zoom(&cam))
                }
            };
            drawn_alone.then_some((layer, key))
        });
        let overlay = {
            use std::hash::{Hash, Hasher};
            let mut h = std::collections::hash_map::DefaultHasher::new();
            structure.hash(&mut h);
            selection.map(|(l, k)| (l.id, k)).hash(&mut h);
            scene
                .position
                .map(|m| {
                    [m.at[0], m.at[1], m.accuracy_m, m.heading.unwrap_or(-1.0)].map(f64::to_bits)
                })
                .hash(&mut h);
            h.finish()
        };
        let badge_rects: Vec<(Rect, u64)> = bs
            .iter()
            .map(|b| badges::footprint(b, badge_ui, dpr))
            .collect();
        let pulse_rects: Vec<Rect> = scene
            .pulses
            .iter()
            .map(|(at, _, _)| compose::pulse_rect(cam.to_screen(*at), ui, dpr))
            .collect();
        let changed = self
            .shown
            .as_ref()
            .map(|last| compose::badges_changed(&last.badges, &badge_rects))
            .unwrap_or_default();
        let region = compose::region(
            self.shown.as_ref(),
            (&cam, dpr, overlay),
            &changed,
            &pulse_rects,
            [sw, sh],
        );

        let ctx = &self.ctx;
        let mut footprints = Vec::new();
        let clip = match region {
            Region::Nothing => None,
            Region::Full => {
                // Clear what it showed (all of it when that is most).
                let last: Vec<Rect> = match &self.shown {
                    Some(s) => s
                        .footprints
                        .iter()
                        .filter_map(|r| compose::clip(r, [sw, sh]))
                        .collect(),
                    None => vec![[0.0, 0.0, sw, sh]],
                };
                let area: f64 = last.iter().map(|r| (r[2] - r[0]) * (r[3] - r[1])).sum();
                let clear = if area > 0.5 * sw * sh {
                    vec![[0.0, 0.0, sw, sh]]
                } else {
                    compose::merge(last)
                };
                Some((clear, false))
            }
            Region::Rects(r) => Some((r, true)),
        };
        if let Some((rects, part)) = clip {
            ctx.save();
            let _ = ctx.set_transform(1.0, 0.0, 0.0, 1.0, 0.0, 0.0);
            for r in &rects {
                ctx.clear_rect(r[0], r[1], r[2] - r[0], r[3] - r[1]);
            }
            if part {
                ctx.begin_path();
                for r in &rects {
                    ctx.rect(r[0], r[1], r[2] - r[0], r[3] - r[1]);
                }
                ctx.clip();
            }
            let _ = ctx.set_transform(dpr, 0.0, 0.0, dpr, 0.0, 0.0);
            let device = |r: [f64; 4]| [r[0] * dpr, r[1] * dpr, r[2] * dpr, r[3] * dpr];
            // Per-frame names above everything but the badges; on a wall,
            // placed on its whole canvas and drawn shifted by this tile's origin.
            let (names_cam, [ox, oy]) = match &scene.wall {
                Some(w) => (w.cam, w.origin),
                None => (cam, [0.0, 0.0]),
            };
            let _ = ctx.set_transform(dpr, 0.0, 0.0, dpr, -ox * dpr, -oy * dpr);
            let names = base::draw_frame_labels(ctx, &names_cam, scene, ui);
            let _ = ctx.set_transform(dpr, 0.0, 0.0, dpr, 0.0, 0.0);
            footprints.extend(
                names
                    .into_iter()
                    .map(|r| device([r[0] - ox, r[1] - oy, r[2] - ox, r[3] - oy])),
            );
            if !bs.is_empty() {
                badges::draw_badges(ctx, &bs, badge_ui, scene.lang);
                footprints.extend(badge_rects.iter().map(|b| b.0));
            }
            if let Some((layer, key)) = selection {
                footprints
                    .extend(selection::draw_selection(ctx, &cam, &layer.data, key).map(device));
            }
            if let Some(m) = &scene.position {
                footprints.extend(position::draw_position(ctx, &cam, m, ui).map(device));
            }
            pulses::draw_pulses(ctx, &cam, &scene.pulses, ui);
            footprints.extend(pulse_rects.iter().copied());
            ctx.restore();
            let area = rects.iter().map(|r| (r[2] - r[0]) * (r[3] - r[1])).sum();
            stats.composed = if part {
                Composed::Part(rects.len(), area)
            } else {
                Composed::Full
            };
        } else {
            stats.composed = Composed::Nothing;
            if let Some(s) = &self.shown {
                footprints = s.footprints.clone();
            }
        }
        self.shown = Some(Shown {
            cam,
            dpr,
            overlay,
            footprints,
            pulses: pulse_rects,
            badges: badge_rects,
        });
        stats
    }

    /// Patches the base surface where grids changed choropleth class, when
    /// only the counts changed since it was rendered (same layers, language,
    /// breaks and camera) and few did; returns the grids patched.
    fn patch_base(
        &mut self,
        scene: &Scene,
        cam: &Camera,
        dpr: f64,
        structure: u64,
        version: u64,
    ) -> usize {
        let Some(key) = self.base.key else { return 0 };
        if key.version == version || structure != self.base_structure || !self.base.fits(cam, dpr) {
            return 0;
        }
        let now = classes(scene);
        if now.len() != self.base_classes.len() {
            return 0;
        }
        let changed: Vec<usize> = (0..now.len())
            .filter(|&i| now[i] != self.base_classes[i])
            .collect();
        if changed.len() > MAX_BASE_PATCHES {
            return 0;
        }
        let big = self.base.camera(cam);
        let rects: Vec<[f64; 4]> = scene
            .layers
            .iter()
            .find(|l| l.id == LayerId::Grids)
            .and_then(|l| match &*l.data {
                LayerData::Areas(a) => Some(
                    changed
                        .iter()
                        .filter_map(|&i| a.bboxes.get(i))
                        .map(|b| {
                            let (p, q) = (big.to_screen(b.min), big.to_screen(b.max));
                            [
                                p[0].min(q[0]) - 3.0,
                                p[1].min(q[1]) - 3.0,
                                p[0].max(q[0]) + 3.0,
                                p[1].max(q[1]) + 3.0,
                            ]
                        })
                        .collect(),
                ),
                LayerData::Points(_) => None,
            })
            .unwrap_or_default();
        let labels = &self.base_labels;
        self.base.patch(
            cam,
            dpr,
            version,
            style::BACKGROUND,
            &rects,
            |ctx, big, r| base::patch_areas(ctx, big, scene, r, AREA_REACH, labels),
        );
        self.base_classes = now;
        changed.len().max(1)
    }

    /// The share of the screen the base surface covers placed at `at`.
    fn cover(&self, at: Option<&Placement>, sw: f64, sh: f64) -> f64 {
        let (iw, ih) = (
            self.base.canvas.width() as f64,
            self.base.canvas.height() as f64,
        );
        compose::cover(
            at.and_then(|at| at.visible(iw, ih, sw, sh)).map(|(_, d)| d),
            sw,
            sh,
        )
    }

    /// Places the layers for the camera: the surfaces in whole device
    /// pixels when settled, scaled and translated while moving, over the
    /// overview where they leave the screen bare.
    fn show_layers(
        &mut self,
        cam: &Camera,
        dpr: f64,
        step: Step,
        structure: u64,
        sw: f64,
        sh: f64,
    ) {
        let base_at = self.base.place_for(cam, dpr);
        let overview_at = match step {
            Step::Moving if self.cover(base_at.as_ref(), sw, sh) < 1.0 => {
                self.overview.placement(cam, dpr, structure)
            }
            _ => None,
        };
        let [o, b, p] = &mut self.layers.styles;
        surface::show_layer(self.overview.canvas(), overview_at.as_ref(), dpr, o);
        surface::show_layer(&self.base.canvas, base_at.as_ref(), dpr, b);
        if let Some((c, at)) = self.points.placed(cam, dpr) {
            surface::show_layer(c, Some(&at), dpr, p);
        }
    }
}

impl Drop for Renderer {
    fn drop(&mut self) {
        // The layers leave the page with the renderer (at unmount).
        self.layers.el.remove();
    }
}

#[cfg(test)]
mod tests {
    use super::points::short_count;
    use super::*;

    #[test]
    fn numbers_read_well() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(81_891), "81,891");
        assert_eq!(thousands(1_000_000), "1,000,000");
        assert_eq!(short_count(9_999, Lang::Zh), "9999");
        assert_eq!(short_count(12_345, Lang::Zh), "1.2万");
        assert_eq!(short_count(12_345, Lang::En), "12k");
    }
}
