//! Drawing. Takes a 2D context and plain data (`Scene`); knows nothing of
//! signals or the DOM beyond the canvases it is given.
//!
//! The [`Renderer`] orchestrates a frame: the *base* surface (polygon layers
//! and area labels, `base`; a cached offscreen canvas, `surface`), the point
//! layers through a retained [`points::PointBackend`] (Canvas 2D now, with
//! its own cached surface and in-place patching), then per frame the
//! subdistrict names, the district-scale badges (`badges`), the selection
//! (`selection`) and the live pulses (`pulses`). Panning only blits the
//! surfaces; a surface is re-rendered only when its key changes or the pan
//! runs past its margin; a point change never re-renders the polygons.

mod badges;
mod base;
pub mod points;
mod pulses;
mod selection;
mod surface;

pub use badges::{badge_layers, badges, badges_on, thousands};
pub use base::label_text;
pub use pingan_model::lod::ui_scale;

use crate::data::{AdminSummary, LayerData};
use crate::style;
use pingan_model::domain::Lang;
use pingan_model::layers::LayerId;
use pingan_model::lod::effective_zoom;
use pingan_model::viewport::Camera;
use points::canvas2d::Canvas2dPoints;
use points::{point_shown, PointBackend, PointInput};
use std::sync::Arc;
use surface::{ctx_of, Surface};
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
    /// On a wall of several screens: its whole canvas, on which the per-frame
    /// labels and the badges are laid out once (the same on every tile).
    pub wall: Option<WallView>,
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
}

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
}

/// Draws frames: a base surface (polygon layers and their labels), the
/// point backend (point layers), then per frame the badges and the selection.
pub struct Renderer {
    canvas: HtmlCanvasElement,
    ctx: Ctx,
    base: Surface,
    points: Canvas2dPoints,
}

impl Renderer {
    pub fn new(canvas: HtmlCanvasElement) -> Option<Renderer> {
        let ctx = ctx_of(&canvas)?;
        let doc = web_sys::window()?.document()?;
        Some(Renderer {
            canvas,
            ctx,
            base: Surface::new(&doc)?,
            points: Canvas2dPoints::new(&doc)?,
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

    /// Draws one frame.
    pub fn draw(&mut self, scene: &Scene) -> FrameStats {
        let cam = scene.cam;
        let dpr = scene.dpr;
        let (pw, ph) = surface::fit_canvas(&self.canvas, &cam, dpr);
        let ui = ui_scale(cam.width, cam.height);
        let has_summary = !scene.admin.is_empty();
        let base_version = surface_key(
            scene
                .layers
                .iter()
                .filter(|l| matches!(*l.data, LayerData::Areas(_)))
                .map(|l| (l.id, &l.data)),
            (
                scene.lang,
                Arc::as_ptr(&scene.breaks) as usize,
                Arc::as_ptr(&scene.grid_counts) as usize,
            ),
        );
        let base_rendered = self
            .base
            .ensure(&cam, dpr, base_version, |ctx, big, drawn| {
                base::render_areas(ctx, big, scene, ui, drawn)
            });
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
        self.points.set_layers(point_layers, scene.lang);

        let ctx = &self.ctx;
        let _ = ctx.set_transform(1.0, 0.0, 0.0, 1.0, 0.0, 0.0);
        ctx.set_fill_style_str(style::BACKGROUND);
        ctx.fill_rect(0.0, 0.0, pw as f64, ph as f64);
        self.base.blit(ctx, &cam, dpr);
        let points = self.points.draw(ctx, &cam, dpr);
        let _ = ctx.set_transform(dpr, 0.0, 0.0, dpr, 0.0, 0.0);
        let mut stats = FrameStats {
            drawn: self.base.drawn.clone(),
            base_rendered,
            points_rendered: points.rendered,
            points_patched: points.patched,
        };
        stats.drawn.extend(points.drawn);

        // Per-frame labels above everything but the badges; on a wall, laid
        // out on its whole canvas and shifted by this tile's origin.
        let (lay_cam, screens, origin) = match &scene.wall {
            Some(w) => (w.cam, w.screens.clone(), w.origin),
            None => (cam, vec![[0.0, 0.0, cam.width, cam.height]], [0.0, 0.0]),
        };
        let _ = ctx.set_transform(dpr, 0.0, 0.0, dpr, -origin[0] * dpr, -origin[1] * dpr);
        base::draw_frame_labels(ctx, &lay_cam, scene, ui);
        let summarised: Vec<LayerId> = badge_layers()
            .into_iter()
            .filter(|id| id.def().lod.summarised(&cam, has_summary))
            .filter(|id| scene.layers.iter().any(|l| l.id == *id))
            .collect();
        if !summarised.is_empty() {
            let bs = badges_on(&lay_cam, &scene.admin, &summarised, ui, &screens);
            badges::draw_badges(ctx, &bs, ui, scene.lang);
            for id in summarised {
                let n = bs
                    .iter()
                    .filter(|b| b.lines.iter().any(|(l, c)| *l == id && *c > 0))
                    .count();
                stats.drawn.push((id, n));
            }
        }
        let _ = ctx.set_transform(dpr, 0.0, 0.0, dpr, 0.0, 0.0);
        if let Some((id, key)) = scene.selected {
            if let Some(layer) = scene.layers.iter().find(|l| l.id == id) {
                // A point shows its ring only while drawn individually.
                let drawn_alone = match &*layer.data {
                    LayerData::Areas(_) => true,
                    LayerData::Points(p) => {
                        id.def().lod.individual(&cam, has_summary)
                            && point_shown(id, p, key, effective_zoom(&cam))
                    }
                };
                if drawn_alone {
                    selection::draw_selection(ctx, &cam, &layer.data, key);
                }
            }
        }
        pulses::draw_pulses(ctx, &cam, &scene.pulses, ui);
        stats
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
