//! The Canvas 2D point backend: the point layers rendered onto one cached
//! surface (see `render::surface`), shown as a layer of the page, re-rendered
//! when the camera or the layers change, and *patched* in place where live
//! edits happened when only versions changed (same camera, every changed
//! layer drawn as individual points, its edit log reaching back): per place,
//! the device-pixel square a symbol there can cover (`lod::symbol_reach`) is
//! cleared, clipped to, and every symbol of every layer that can reach it is
//! drawn again in the same order as a full render — so a patched surface
//! equals a fresh one.

use super::{draw_points_in, point_shown, PointBackend, PointInput, PointPainter, PointStats};
use crate::render::surface::{Placement, Surface};
use crate::style::Symbol;
use pingan_model::domain::Lang;
use pingan_model::index::Bbox;
use pingan_model::lod::{effective, symbol_reach, ui_scale};
use pingan_model::viewport::Camera;
use std::sync::Arc;
use web_sys::{CanvasRenderingContext2d as Ctx, HtmlCanvasElement};

/// Patches further behind than this many places re-render instead.
const MAX_PATCHES: usize = 200;

/// Draws symbols with a Canvas 2D context: one path per call.
pub struct Canvas2dPainter<'a> {
    pub ctx: &'a Ctx,
}

impl PointPainter for Canvas2dPainter<'_> {
    fn symbols(&mut self, pts: &[[f64; 2]], symbol: &Symbol) {
        let ctx = self.ctx;
        match *symbol {
            Symbol::Circle { r, fill, ring } => {
                if pts.is_empty() {
                    return;
                }
                ctx.begin_path();
                for p in pts {
                    ctx.move_to(p[0] + r, p[1]);
                    let _ = ctx.arc(p[0], p[1], r, 0.0, std::f64::consts::TAU);
                }
                ctx.set_fill_style_str(fill);
                ctx.fill();
                if let Some((c, w)) = ring {
                    ctx.set_stroke_style_str(c);
                    ctx.set_line_width(w);
                    ctx.stroke();
                }
            }
            Symbol::Square { r, fill } => {
                ctx.begin_path();
                for p in pts {
                    ctx.rect(p[0] - r, p[1] - r, 2.0 * r, 2.0 * r);
                }
                ctx.set_fill_style_str(fill);
                ctx.fill();
                ctx.set_stroke_style_str("rgba(0,0,0,0.7)");
                ctx.set_line_width(1.0);
                ctx.stroke();
            }
            Symbol::Diamond { r, fill } => {
                ctx.begin_path();
                for p in pts {
                    ctx.move_to(p[0], p[1] - r);
                    ctx.line_to(p[0] + r, p[1]);
                    ctx.line_to(p[0], p[1] + r);
                    ctx.line_to(p[0] - r, p[1]);
                    ctx.close_path();
                }
                ctx.set_fill_style_str(fill);
                ctx.fill();
            }
        }
    }
    fn labels(&mut self, items: &[([f64; 2], String)], px: f64, colour: &str) {
        let ctx = self.ctx;
        ctx.set_font(&format!(
            "700 {px}px 'Noto Sans CJK SC','Noto Sans SC',sans-serif"
        ));
        ctx.set_text_align("center");
        ctx.set_text_baseline("middle");
        ctx.set_fill_style_str(colour);
        for (p, t) in items {
            let _ = ctx.fill_text(t, p[0], p[1]);
        }
    }
}

/// The point layers on one cached Canvas 2D surface.
pub struct Canvas2dPoints {
    surface: Surface,
    layers: Vec<PointInput>,
    lang: Lang,
    /// Drawn for a wall (bin counts at its text size); fixed for a page.
    wall: bool,
    /// What the surface shows: `layers_key` and each layer's version.
    drawn_for: Option<(u64, Vec<u64>)>,
    /// The next frame re-renders in full (test hook).
    force: bool,
}

/// The surface's key without the layers' versions: which layers (ids, `Arc`
/// addresses) and the language. While it and the camera stay the same, a
/// change of versions alone can be patched.
fn layers_key(layers: &[PointInput], lang: Lang) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for l in layers {
        l.id.hash(&mut h);
        (Arc::as_ptr(&l.data) as usize).hash(&mut h);
    }
    lang.hash(&mut h);
    h.finish()
}

impl Canvas2dPoints {
    pub fn new(doc: &web_sys::Document) -> Option<Canvas2dPoints> {
        Some(Canvas2dPoints {
            surface: Surface::new(doc)?,
            layers: Vec::new(),
            lang: Lang::Zh,
            wall: false,
            drawn_for: None,
            force: false,
        })
    }

    /// Where the surface must be patched for the layers' new versions, or
    /// `None` when it must be re-rendered (or is up to date: empty list).
    /// Patchable: same camera and layers, every changed layer drawn as
    /// individual points (a bin's size depends on the largest in view) and
    /// its edit log reaching back to the version the surface shows.
    fn dirty(
        &self,
        cam: &Camera,
        dpr: f64,
        lkey: u64,
        versions: &[u64],
        ui: f64,
    ) -> Option<Vec<[f64; 2]>> {
        let (key, old) = self.drawn_for.as_ref()?;
        if self.force || *key != lkey || old.len() != versions.len() {
            return None;
        }
        if !self.surface.fits(cam, dpr) {
            return None;
        }
        let mut at = Vec::new();
        for ((l, v), old) in self.layers.iter().zip(versions).zip(old) {
            if v == old {
                continue;
            }
            let p = l.points()?;
            if l.id.def().lod.binned(effective(cam.zoom, ui)) {
                return None;
            }
            at.extend(p.edits_after(*old)?);
            if at.len() > MAX_PATCHES {
                return None;
            }
        }
        Some(at)
    }

    /// Patches the surface at world positions `at` (see the module's
    /// comment); returns the places patched (at least 1).
    fn patch(
        &mut self,
        cam: &Camera,
        dpr: f64,
        at: &[[f64; 2]],
        changed: &[bool],
        ui: f64,
    ) -> usize {
        let big = self.surface.camera(cam);
        let view = big.world_bbox(30.0);
        let reach = symbol_reach(effective(cam.zoom, ui), ui);
        let (cw, ch) = (
            self.surface.canvas.width() as f64,
            self.surface.canvas.height() as f64,
        );
        let ctx = &self.surface.ctx;
        let mut patched = 0;
        for w in at {
            let p = big.to_screen(*w);
            let x0 = ((p[0] - reach) * dpr).floor().max(0.0);
            let y0 = ((p[1] - reach) * dpr).floor().max(0.0);
            let x1 = ((p[0] + reach) * dpr).ceil().min(cw);
            let y1 = ((p[1] + reach) * dpr).ceil().min(ch);
            if x1 <= x0 || y1 <= y0 {
                continue; // off the surface
            }
            ctx.save();
            let _ = ctx.set_transform(1.0, 0.0, 0.0, 1.0, 0.0, 0.0);
            ctx.clear_rect(x0, y0, x1 - x0, y1 - y0);
            ctx.begin_path();
            ctx.rect(x0, y0, x1 - x0, y1 - y0);
            ctx.clip();
            let _ = ctx.set_transform(dpr, 0.0, 0.0, dpr, 0.0, 0.0);
            // Every symbol centred within `reach` of the square can touch it.
            let only = Bbox::new(
                big.to_world([x0 / dpr - reach, y0 / dpr - reach]),
                big.to_world([x1 / dpr + reach, y1 / dpr + reach]),
            );
            let mut painter = Canvas2dPainter { ctx };
            for l in &self.layers {
                if let Some(p) = l.points() {
                    draw_points_in(
                        &mut painter,
                        &big,
                        l.id,
                        p,
                        ui,
                        self.lang,
                        self.wall,
                        &view,
                        Some(&only),
                    );
                }
            }
            ctx.restore();
            patched += 1;
        }
        // The counts of the changed layers (individual points in view).
        let eff = effective(cam.zoom, ui);
        for (l, _) in self.layers.iter().zip(changed).filter(|(_, c)| **c) {
            if let Some(p) = l.points() {
                let n = p
                    .index
                    .query(&view)
                    .filter(|(k, _)| point_shown(l.id, p, *k, eff))
                    .count();
                match self.surface.drawn.iter_mut().find(|d| d.0 == l.id) {
                    Some(d) => d.1 = n,
                    None => self.surface.drawn.push((l.id, n)),
                }
            }
        }
        patched.max(1)
    }
}

impl PointBackend for Canvas2dPoints {
    fn set_layers(&mut self, layers: Vec<PointInput>, lang: Lang, wall: bool) {
        self.layers = layers;
        self.lang = lang;
        self.wall = wall;
    }

    fn update(&mut self, cam: &Camera, dpr: f64) -> PointStats {
        let ui = ui_scale(cam.width, cam.height);
        let mut stats = PointStats::default();
        let points_version =
            crate::render::surface_key(self.layers.iter().map(|l| (l.id, &l.data)), self.lang);
        let lkey = layers_key(&self.layers, self.lang);
        let versions: Vec<u64> = self
            .layers
            .iter()
            .map(|l| l.points().map_or(0, |p| p.version))
            .collect();
        // Only versions changed (live edits), same camera and layers: patch
        // the places that changed instead of re-rendering the surface.
        let stale = self.surface.key.map(|k| k.version) != Some(points_version);
        if stale {
            if let Some(at) = self.dirty(cam, dpr, lkey, &versions, ui) {
                let changed: Vec<bool> = match &self.drawn_for {
                    Some((_, old)) => versions.iter().zip(old).map(|(a, b)| a != b).collect(),
                    None => vec![true; versions.len()],
                };
                stats.patched = self.patch(cam, dpr, &at, &changed, ui);
                if let Some(k) = self.surface.key.as_mut() {
                    k.version = points_version;
                }
                self.drawn_for = Some((lkey, versions.clone()));
            }
        }
        if std::mem::take(&mut self.force) {
            self.surface.key = None;
        }
        let (layers, lang, wall) = (&self.layers, self.lang, self.wall);
        stats.rendered = self
            .surface
            .ensure(cam, dpr, points_version, |ctx, big, drawn| {
                let mut painter = Canvas2dPainter { ctx };
                let view = big.world_bbox(30.0);
                for l in layers {
                    if let Some(p) = l.points() {
                        let n =
                            draw_points_in(&mut painter, big, l.id, p, ui, lang, wall, &view, None);
                        drawn.push((l.id, n));
                    }
                }
            });
        if stats.rendered {
            self.drawn_for = Some((lkey, versions));
        }
        stats.drawn.clone_from(&self.surface.drawn);
        // Not held between frames (see `PointBackend::set_layers`).
        self.layers.clear();
        stats
    }

    fn fits(&self, cam: &Camera, dpr: f64) -> bool {
        self.surface.fits(cam, dpr)
    }

    fn placed(&self, cam: &Camera, dpr: f64) -> Option<(&HtmlCanvasElement, Placement)> {
        Some((&self.surface.canvas, self.surface.place_for(cam, dpr)?))
    }

    fn invalidate(&mut self) {
        self.force = true;
    }

    fn canvas(&self) -> Option<&HtmlCanvasElement> {
        Some(&self.surface.canvas)
    }
}
