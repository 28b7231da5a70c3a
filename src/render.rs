//! Drawing. Takes a 2D context and plain data (`Scene`); knows nothing of
//! signals or the DOM beyond the canvases it is given.
//!
//! Two cached surfaces, offscreen canvases rendered with a margin around the
//! viewport: the *base* (every polygon layer and the area labels) and the
//! *points* (the point layers). A frame blits both at the pan offset and
//! draws badges, names, selection and pulses on top, so panning never
//! re-renders the 4,000 grid cells; a surface is re-rendered only when the
//! zoom, size, data, visible layers or language change, or the pan runs past
//! the margin. Live edits to individually drawn points *patch* the points
//! surface where they happened instead (`Renderer::patch_points`).
//!
//! Point symbols go through the small [`PointPainter`] interface so a WebGL2
//! implementation can replace Canvas 2D for the point layers later.

use crate::data::{AdminSummary, LayerData, PointLayer, BIN_PX};
use crate::style;
use pingan_model::analysis::class_of;
use pingan_model::domain::Lang;
use pingan_model::index::Bbox;
use pingan_model::projection::World;
use pingan_model::viewport::Camera;
use std::sync::Arc;
use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d as Ctx, CanvasWindingRule, HtmlCanvasElement};

/// Extra pixels rendered around the viewport on the base surface.
const MARGIN: f64 = 320.0;

/// The zoom as if the screen were 1920 px wide: thresholds use it so that a
/// 4K wall (which fits the district at a higher zoom) shows what 1080p shows.
pub fn effective_zoom(cam: &Camera) -> f64 {
    effective(cam.zoom, ui_scale(cam.width))
}

/// `effective_zoom` given the screen's UI scale — for the surfaces' wider
/// cameras, whose own width is not the screen's.
pub fn effective(zoom: f64, ui: f64) -> f64 {
    zoom - ui.log2()
}

/// A cache key over layers' data (identity of each `Arc`) and anything else
/// the surface shows (see the invariant on surface keys in ARCHITECTURE.md).
fn surface_key<'a>(
    layers: impl Iterator<Item = &'a SceneLayer>,
    extra: impl std::hash::Hash,
) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for l in layers {
        l.id.hash(&mut h);
        (Arc::as_ptr(&l.data) as usize).hash(&mut h);
        // Point layers change in place (live updates): their version too.
        if let LayerData::Points(p) = &*l.data {
            p.version.hash(&mut h);
        }
    }
    extra.hash(&mut h);
    h.finish()
}

/// The points surface's key without the layers' versions: which layers
/// (ids, `Arc` addresses) and the language. While it and the camera stay the
/// same, a change of versions alone can be patched (see `Renderer::draw`).
fn layers_key<'a>(layers: impl Iterator<Item = &'a SceneLayer>, lang: Lang) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for l in layers {
        l.id.hash(&mut h);
        (Arc::as_ptr(&l.data) as usize).hash(&mut h);
    }
    lang.hash(&mut h);
    h.finish()
}

/// Below this effective zoom the aggregated point layers are summarised per
/// subdistrict (one badge each) instead of drawn as lattice bins.
pub const ADMIN_BELOW: f64 = 12.4;

/// Point layers that aggregate (badges, then bins, then points).
pub const AGGREGATED: [&str; 3] = ["cases", "hazards", "sentinels"];

pub fn admin_mode(cam: &Camera, admin: &AdminSummary) -> bool {
    effective_zoom(cam) < ADMIN_BELOW && !admin.is_empty()
}

/// A subdistrict badge on screen.
pub struct Badge {
    pub index: usize,
    pub rect: [f64; 4],
    pub lines: Vec<(&'static str, u32)>,
    /// The subdistrict's label point; a badge not directly below it gets a leader line.
    pub anchor: [f64; 2],
    pub below: bool,
}

/// Lays out the badges of the visible aggregated layers: below the
/// subdistrict's name, or above or beside it where that would overlap a badge
/// already placed; busiest subdistricts first. Where neither fits (a phone at
/// district scale) the subdistrict shows only its name.
pub fn badges(cam: &Camera, admin: &AdminSummary, layers: &[&'static str]) -> Vec<Badge> {
    let ui = ui_scale(cam.width);
    let (line_h, w) = (20.0 * ui, 128.0 * ui);
    // (subdistrict, label point on screen, lines)
    type Wanted = (usize, [f64; 2], Vec<(&'static str, u32)>);
    let mut wanted: Vec<Wanted> = (0..admin.at.len())
        .filter_map(|i| {
            let lines: Vec<(&'static str, u32)> = layers
                .iter()
                .filter_map(|l| admin.count(l, i).map(|c| (*l, c)))
                .collect();
            (!lines.is_empty()).then(|| (i, cam.to_screen(admin.at[i]), lines))
        })
        .collect();
    wanted.sort_by_key(|(_, _, lines)| {
        std::cmp::Reverse(lines.iter().map(|l| l.1 as u64).sum::<u64>())
    });
    let mut placed = LabelPlacer::default();
    let mut kept: Vec<Badge> = Vec::new();
    for (index, p, lines) in wanted {
        let h = 8.0 * ui + line_h * lines.len() as f64;
        // Below the name, above it, then beside it (clear of a ~4-character name).
        let (gap, side) = (16.0 * ui, 44.0 * ui);
        let candidates = [
            [p[0] - w / 2.0, p[1] + gap],
            [p[0] - w / 2.0, p[1] - gap - h],
            [p[0] + side, p[1] - h / 2.0],
            [p[0] - side - w, p[1] - h / 2.0],
        ];
        let rect = candidates
            .into_iter()
            .map(|[x, y]| [x, y, x + w, y + h])
            .enumerate()
            // Badges may touch by up to 2 px.
            .find(|(_, r)| placed.try_place([r[0] + 1.0, r[1] + 1.0, r[2] - 1.0, r[3] - 1.0]));
        if let Some((slot, rect)) = rect {
            kept.push(Badge {
                index,
                rect,
                lines,
                anchor: p,
                below: slot == 0,
            });
        }
    }
    kept.sort_by_key(|b| b.index);
    kept
}

fn badge_name(layer: &str, lang: Lang) -> &'static str {
    match layer {
        "cases" => lang.pick("事件", "Cases"),
        "hazards" => lang.pick("隐患", "Hazards"),
        _ => lang.pick("哨兵", "Sentinels"),
    }
}

fn badge_colour(layer: &str) -> &'static str {
    match layer {
        "cases" => "#4dabf7",
        "hazards" => "#ff7a45",
        _ => "#b197fc",
    }
}

/// 81891 → "81,891".
pub fn thousands(n: u32) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

fn draw_badges(ctx: &Ctx, badges: &[Badge], ui: f64, lang: Lang) {
    ctx.set_text_baseline("middle");
    for b in badges {
        let [x0, y0, x1, y1] = b.rect;
        if !b.below {
            // Leader line from the subdistrict's name to the badge's nearest edge.
            let (ax, ay) = (b.anchor[0], b.anchor[1]);
            let (tx, ty) = (ax.clamp(x0, x1), ay.clamp(y0, y1));
            ctx.begin_path();
            ctx.move_to(ax, ay);
            ctx.line_to(tx, ty);
            ctx.set_stroke_style_str("rgba(255,224,138,0.8)");
            ctx.set_line_width(1.5 * ui);
            ctx.stroke();
            ctx.begin_path();
            let _ = ctx.arc(ax, ay, 2.5 * ui, 0.0, std::f64::consts::TAU);
            ctx.set_fill_style_str("#ffe08a");
            ctx.fill();
        }
        ctx.begin_path();
        let _ = ctx.round_rect_with_f64(x0, y0, x1 - x0, y1 - y0, 6.0 * ui);
        ctx.set_fill_style_str("rgba(6,14,30,0.86)");
        ctx.fill();
        ctx.set_stroke_style_str("rgba(255,224,138,0.55)");
        ctx.set_line_width(1.0);
        ctx.stroke();
        for (row, (layer, count)) in b.lines.iter().enumerate() {
            let y = y0 + 4.0 * ui + 20.0 * ui * (row as f64 + 0.5);
            ctx.begin_path();
            let _ = ctx.arc(x0 + 12.0 * ui, y, 5.0 * ui, 0.0, std::f64::consts::TAU);
            ctx.set_fill_style_str(badge_colour(layer));
            ctx.fill();
            ctx.set_font(&format!(
                "500 {}px 'Noto Sans CJK SC','Noto Sans SC',sans-serif",
                13.0 * ui
            ));
            ctx.set_text_align("left");
            ctx.set_fill_style_str("#c9d6ee");
            let _ = ctx.fill_text(badge_name(layer, lang), x0 + 22.0 * ui, y);
            ctx.set_font(&format!(
                "700 {}px 'Noto Sans CJK SC','Noto Sans SC',sans-serif",
                14.0 * ui
            ));
            ctx.set_text_align("right");
            ctx.set_fill_style_str("#ffffff");
            let _ = ctx.fill_text(&thousands(*count), x1 - 8.0 * ui, y);
        }
    }
}

/// Below these (effective) zooms a point layer is drawn as bins with counts.
pub fn bin_below_zoom(layer: &str) -> f64 {
    match layer {
        "cases" => 15.0,
        "sentinels" => 13.0,
        _ => 0.0,
    }
}

/// One visible layer with its data.
pub struct SceneLayer {
    pub id: &'static str,
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
    pub selected: Option<(&'static str, u32)>,
    /// Per-subdistrict counts for the district-scale view.
    pub admin: Arc<AdminSummary>,
    /// Live pulses: world position, age 0..1, colour (drawn per frame on top).
    pub pulses: Vec<([f64; 2], f64, &'static str)>,
}

/// What a frame drew, for tests and benchmarks.
#[derive(Clone, Debug, Default)]
pub struct FrameStats {
    /// (layer id, features or bins drawn).
    pub drawn: Vec<(&'static str, usize)>,
    /// Whether the polygon surface / the points surface were re-rendered.
    pub base_rendered: bool,
    pub points_rendered: bool,
    /// Places of the points surface patched instead (0: no patch).
    pub points_patched: usize,
}

/// What a cached surface was rendered for; any difference (or a pan past the
/// margin) makes it stale.
#[derive(Clone, Copy, PartialEq)]
struct SurfaceKey {
    zoom: f64,
    width: f64,
    height: f64,
    dpr: f64,
    version: u64,
}

/// An offscreen canvas holding some layers rendered around the viewport with
/// `MARGIN` pixels to spare, blitted at the pan offset every frame.
struct Surface {
    canvas: HtmlCanvasElement,
    ctx: Ctx,
    key: Option<SurfaceKey>,
    center: World,
    drawn: Vec<(&'static str, usize)>,
}

impl Surface {
    fn new(doc: &web_sys::Document) -> Option<Surface> {
        let canvas: HtmlCanvasElement = doc.create_element("canvas").ok()?.dyn_into().ok()?;
        let ctx = ctx_of(&canvas)?;
        Some(Surface {
            canvas,
            ctx,
            key: None,
            center: World::default(),
            drawn: Vec::new(),
        })
    }

    /// Whether the surface was rendered for this camera (zoom, size, DPR)
    /// and the pan is still within its margin: only its data may be stale.
    fn fits(&self, cam: &Camera, dpr: f64) -> bool {
        let Some(k) = self.key else { return false };
        let s = cam.scale();
        let (ox, oy) = (
            (self.center.x - cam.center.x) * s,
            (self.center.y - cam.center.y) * s,
        );
        k.zoom == cam.zoom
            && k.width == cam.width
            && k.height == cam.height
            && k.dpr == dpr
            && ox.abs() <= MARGIN - 4.0
            && oy.abs() <= MARGIN - 4.0
    }

    /// The camera the surface was rendered with (the screen's, grown by the margin).
    fn camera(&self, cam: &Camera) -> Camera {
        Camera {
            center: self.center,
            width: cam.width + 2.0 * MARGIN,
            height: cam.height + 2.0 * MARGIN,
            ..*cam
        }
    }

    /// Re-renders with `render` if stale; returns whether it did.
    fn ensure(
        &mut self,
        cam: &Camera,
        dpr: f64,
        version: u64,
        render: impl FnOnce(&Ctx, &Camera, &mut Vec<(&'static str, usize)>),
    ) -> bool {
        let key = SurfaceKey {
            zoom: cam.zoom,
            width: cam.width,
            height: cam.height,
            dpr,
            version,
        };
        let s = cam.scale();
        let (ox, oy) = (
            (self.center.x - cam.center.x) * s,
            (self.center.y - cam.center.y) * s,
        );
        if self.key == Some(key) && ox.abs() <= MARGIN - 4.0 && oy.abs() <= MARGIN - 4.0 {
            return false;
        }
        let big = Camera {
            width: cam.width + 2.0 * MARGIN,
            height: cam.height + 2.0 * MARGIN,
            ..*cam
        };
        let (pw, ph) = (
            (big.width * dpr).round() as u32,
            (big.height * dpr).round() as u32,
        );
        if self.canvas.width() != pw || self.canvas.height() != ph {
            self.canvas.set_width(pw);
            self.canvas.set_height(ph);
        }
        let _ = self.ctx.set_transform(1.0, 0.0, 0.0, 1.0, 0.0, 0.0);
        self.ctx.clear_rect(0.0, 0.0, pw as f64, ph as f64);
        let _ = self.ctx.set_transform(dpr, 0.0, 0.0, dpr, 0.0, 0.0);
        self.drawn.clear();
        render(&self.ctx, &big, &mut self.drawn);
        self.key = Some(key);
        self.center = cam.center;
        true
    }

    /// Draws the visible part of the surface onto `ctx` (identity transform)
    /// at the pan offset; only the viewport's pixels are copied.
    fn blit(&self, ctx: &Ctx, cam: &Camera, dpr: f64) {
        let s = cam.scale();
        let (ox, oy) = (
            (self.center.x - cam.center.x) * s,
            (self.center.y - cam.center.y) * s,
        );
        let (sx, sy) = (((MARGIN - ox) * dpr).round(), ((MARGIN - oy) * dpr).round());
        let (w, h) = ((cam.width * dpr).round(), (cam.height * dpr).round());
        let _ = ctx.draw_image_with_html_canvas_element_and_sw_and_sh_and_dx_and_dy_and_dw_and_dh(
            &self.canvas,
            sx,
            sy,
            w,
            h,
            0.0,
            0.0,
            w,
            h,
        );
    }
}

/// Draws frames: a base surface (polygon layers and their labels), a points
/// surface (point layers), then per frame the badges and the selection.
pub struct Renderer {
    canvas: HtmlCanvasElement,
    ctx: Ctx,
    base: Surface,
    points: Surface,
    /// What the points surface shows: `layers_key` and each layer's version.
    points_for: Option<(u64, Vec<u64>)>,
    /// The next frame re-renders the points surface in full (test hook).
    force_points: bool,
}

fn ctx_of(c: &HtmlCanvasElement) -> Option<Ctx> {
    c.get_context("2d").ok().flatten()?.dyn_into::<Ctx>().ok()
}

/// UI scale for text and symbols: 1 at 1920 px wide, up to 2 on 4K walls.
pub fn ui_scale(width: f64) -> f64 {
    (width / 1920.0).clamp(1.0, 2.0)
}

impl Renderer {
    pub fn new(canvas: HtmlCanvasElement) -> Option<Renderer> {
        let ctx = ctx_of(&canvas)?;
        let doc = web_sys::window()?.document()?;
        Some(Renderer {
            canvas,
            ctx,
            base: Surface::new(&doc)?,
            points: Surface::new(&doc)?,
            points_for: None,
            force_points: false,
        })
    }

    /// Makes the next frame re-render the points surface in full (tests
    /// compare a patched surface with a fresh one).
    pub fn invalidate_points(&mut self) {
        self.force_points = true;
    }

    /// The offscreen canvas of the points surface (tests read its pixels).
    pub fn points_canvas(&self) -> &HtmlCanvasElement {
        &self.points.canvas
    }

    /// Where the points surface must be patched for the layers' new versions,
    /// or `None` when it must be re-rendered (or is up to date: empty list).
    /// Patchable: same camera and layers, every changed layer drawn as
    /// individual points (a bin's size depends on the largest in view) and
    /// its edit log reaching back to the version the surface shows.
    fn points_dirty(
        &self,
        cam: &Camera,
        dpr: f64,
        layers_key: u64,
        versions: &[u64],
        layers: &[&SceneLayer],
        ui: f64,
    ) -> Option<Vec<[f64; 2]>> {
        let (key, old) = self.points_for.as_ref()?;
        if self.force_points || *key != layers_key || old.len() != versions.len() {
            return None;
        }
        if !self.points.fits(cam, dpr) {
            return None;
        }
        let mut at = Vec::new();
        for ((l, v), old) in layers.iter().zip(versions).zip(old) {
            if v == old {
                continue;
            }
            let LayerData::Points(p) = &*l.data else {
                return None;
            };
            if effective(cam.zoom, ui) < bin_below_zoom(l.id) {
                return None;
            }
            at.extend(p.edits_after(*old)?);
            if at.len() > MAX_PATCHES {
                return None;
            }
        }
        Some(at)
    }

    /// Patches the points surface at world positions `at`: per place, the
    /// device-pixel square a symbol there can cover is cleared, clipped to,
    /// and every symbol of every layer that can reach it is drawn again, in
    /// the same order as a full render — so the result is the same.
    #[allow(clippy::too_many_arguments)]
    fn patch_points(
        &mut self,
        cam: &Camera,
        dpr: f64,
        at: &[[f64; 2]],
        layers: &[&SceneLayer],
        changed: &[bool],
        ui: f64,
        lang: Lang,
    ) -> usize {
        let big = self.points.camera(cam);
        let view = big.world_bbox(30.0);
        let reach = symbol_reach(effective(cam.zoom, ui), ui);
        let (cw, ch) = (
            self.points.canvas.width() as f64,
            self.points.canvas.height() as f64,
        );
        let ctx = &self.points.ctx;
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
            for l in layers {
                if let LayerData::Points(p) = &*l.data {
                    draw_points_in(&mut painter, &big, l.id, p, ui, lang, &view, Some(&only));
                }
            }
            ctx.restore();
            patched += 1;
        }
        // The counts of the changed layers (individual points in view).
        let eff = effective(cam.zoom, ui);
        for (l, _) in layers.iter().zip(changed).filter(|(_, c)| **c) {
            if let LayerData::Points(p) = &*l.data {
                let n = p
                    .index
                    .query(&view)
                    .filter(|(k, _)| point_shown(l.id, p, *k, eff))
                    .count();
                match self.points.drawn.iter_mut().find(|d| d.0 == l.id) {
                    Some(d) => d.1 = n,
                    None => self.points.drawn.push((l.id, n)),
                }
            }
        }
        patched.max(1)
    }

    /// Draws one frame.
    pub fn draw(&mut self, scene: &Scene) -> FrameStats {
        let cam = scene.cam;
        let dpr = scene.dpr;
        let (pw, ph) = (
            (cam.width * dpr).round() as u32,
            (cam.height * dpr).round() as u32,
        );
        if self.canvas.width() != pw || self.canvas.height() != ph {
            self.canvas.set_width(pw);
            self.canvas.set_height(ph);
        }
        let ui = ui_scale(cam.width);
        let admin = admin_mode(&cam, &scene.admin);
        let base_version = surface_key(
            scene
                .layers
                .iter()
                .filter(|l| matches!(*l.data, LayerData::Areas(_))),
            (
                scene.lang,
                Arc::as_ptr(&scene.breaks) as usize,
                Arc::as_ptr(&scene.grid_counts) as usize,
            ),
        );
        let base_rendered = self
            .base
            .ensure(&cam, dpr, base_version, |ctx, big, drawn| {
                render_areas(ctx, big, scene, ui, drawn)
            });
        let mut stats = FrameStats {
            drawn: Vec::new(),
            base_rendered,
            points_rendered: false,
            points_patched: 0,
        };
        // Point layers: everything but what the district-scale badges summarise.
        let point_layers: Vec<&SceneLayer> = scene
            .layers
            .iter()
            .filter(|l| matches!(*l.data, LayerData::Points(_)))
            .filter(|l| !(admin && AGGREGATED.contains(&l.id)))
            .collect();
        let points_version = surface_key(point_layers.iter().copied(), scene.lang);
        // Only versions changed (live edits), same camera and layers: patch
        // the places that changed instead of re-rendering the surface.
        let lkey = layers_key(point_layers.iter().copied(), scene.lang);
        let versions: Vec<u64> = point_layers
            .iter()
            .map(|l| match &*l.data {
                LayerData::Points(p) => p.version,
                LayerData::Areas(_) => 0,
            })
            .collect();
        let stale = self.points.key.map(|k| k.version) != Some(points_version);
        if stale {
            if let Some(at) = self.points_dirty(&cam, dpr, lkey, &versions, &point_layers, ui) {
                let changed: Vec<bool> = match &self.points_for {
                    Some((_, old)) => versions.iter().zip(old).map(|(a, b)| a != b).collect(),
                    None => vec![true; versions.len()],
                };
                stats.points_patched =
                    self.patch_points(&cam, dpr, &at, &point_layers, &changed, ui, scene.lang);
                if let Some(k) = self.points.key.as_mut() {
                    k.version = points_version;
                }
                self.points_for = Some((lkey, versions.clone()));
            }
        }
        if std::mem::take(&mut self.force_points) {
            self.points.key = None;
        }
        stats.points_rendered = self
            .points
            .ensure(&cam, dpr, points_version, |ctx, big, drawn| {
                let mut painter = Canvas2dPainter { ctx };
                for l in &point_layers {
                    if let LayerData::Points(p) = &*l.data {
                        let n = draw_points(&mut painter, big, l.id, p, ui, scene.lang);
                        drawn.push((l.id, n));
                    }
                }
            });
        if stats.points_rendered {
            self.points_for = Some((lkey, versions));
        }

        let ctx = &self.ctx;
        let _ = ctx.set_transform(1.0, 0.0, 0.0, 1.0, 0.0, 0.0);
        ctx.set_fill_style_str(style::BACKGROUND);
        ctx.fill_rect(0.0, 0.0, pw as f64, ph as f64);
        self.base.blit(ctx, &cam, dpr);
        self.points.blit(ctx, &cam, dpr);
        let _ = ctx.set_transform(dpr, 0.0, 0.0, dpr, 0.0, 0.0);
        stats.drawn.extend(self.base.drawn.iter().copied());
        stats.drawn.extend(self.points.drawn.iter().copied());

        // Subdistrict names above everything but the badges: few, and the
        // landmarks a wall is read by.
        if let Some(layer) = scene.layers.iter().find(|l| l.id == "subdistricts") {
            if let LayerData::Areas(a) = &*layer.data {
                let view = cam.world_bbox(0.0);
                let mut placer = LabelPlacer::default();
                draw_area_labels(
                    ctx,
                    &cam,
                    &view,
                    "subdistricts",
                    a,
                    scene.lang,
                    ui,
                    &mut placer,
                    true,
                );
            }
        }
        let mut summarised: Vec<&'static str> = scene
            .layers
            .iter()
            .filter(|l| admin && AGGREGATED.contains(&l.id))
            .map(|l| l.id)
            .collect();
        if !summarised.is_empty() {
            summarised.sort_by_key(|id| AGGREGATED.iter().position(|a| a == id));
            let bs = badges(&cam, &scene.admin, &summarised);
            draw_badges(ctx, &bs, ui, scene.lang);
            for id in summarised {
                let n = bs
                    .iter()
                    .filter(|b| b.lines.iter().any(|(l, c)| *l == id && *c > 0))
                    .count();
                stats.drawn.push((id, n));
            }
        }
        if let Some((id, key)) = scene.selected {
            if let Some(layer) = scene.layers.iter().find(|l| l.id == id) {
                // A point shows its ring only while drawn individually.
                let drawn_alone = match &*layer.data {
                    LayerData::Areas(_) => true,
                    LayerData::Points(p) => {
                        points_individual(id, &cam, &scene.admin)
                            && point_shown(id, p, key, effective_zoom(&cam))
                    }
                };
                if drawn_alone {
                    draw_selection(ctx, &cam, &layer.data, key);
                }
            }
        }
        draw_pulses(ctx, &cam, &scene.pulses, ui);
        stats
    }
}

/// Expanding, fading rings at new cases and alerts: drawn per frame over the
/// cached surfaces, never baked into them.
fn draw_pulses(ctx: &Ctx, cam: &Camera, pulses: &[([f64; 2], f64, &'static str)], ui: f64) {
    for (at, age, colour) in pulses {
        let s = cam.to_screen(*at);
        if s[0] < -80.0 || s[1] < -80.0 || s[0] > cam.width + 80.0 || s[1] > cam.height + 80.0 {
            continue;
        }
        // Two rings a third of a cycle apart, each growing 6 → 46 px.
        for phase in [0.0, 0.35] {
            let t = ((age * 1.6 - phase) % 1.0 + 1.0) % 1.0;
            if age * 1.6 < phase {
                continue;
            }
            let r = (6.0 + 40.0 * t) * ui;
            ctx.begin_path();
            let _ = ctx.arc(s[0], s[1], r, 0.0, std::f64::consts::TAU);
            ctx.set_global_alpha((1.0 - t) * (1.0 - age * 0.5));
            ctx.set_stroke_style_str(colour);
            ctx.set_line_width(3.0 * ui);
            ctx.stroke();
        }
        ctx.set_global_alpha(1.0);
        ctx.begin_path();
        let _ = ctx.arc(s[0], s[1], 4.5 * ui, 0.0, std::f64::consts::TAU);
        ctx.set_fill_style_str(colour);
        ctx.fill();
    }
    ctx.set_global_alpha(1.0);
}

/// Renders the polygon layers and their labels (the base surface).
fn render_areas(
    ctx: &Ctx,
    cam: &Camera,
    scene: &Scene,
    ui: f64,
    drawn: &mut Vec<(&'static str, usize)>,
) {
    let view = cam.world_bbox(0.0);
    for layer in &scene.layers {
        if let LayerData::Areas(a) = &*layer.data {
            let n = draw_areas(ctx, cam, &view, layer.id, a, scene);
            drawn.push((layer.id, n));
        }
    }
    // Labels last, coarse before fine. Subdistrict names are drawn per frame
    // above the points (see `Renderer::draw`); here they only reserve space.
    let mut labels = LabelPlacer::default();
    for id in ["subdistricts", "communities", "parks", "grids"] {
        if let Some(layer) = scene.layers.iter().find(|l| l.id == id) {
            if let LayerData::Areas(a) = &*layer.data {
                draw_area_labels(
                    ctx,
                    cam,
                    &view,
                    id,
                    a,
                    scene.lang,
                    ui,
                    &mut labels,
                    id != "subdistricts",
                );
            }
        }
    }
}

/// Adds a ring to the current path, skipping vertices closer than ~0.6 px to
/// the last one drawn (detailed coastlines at low zoom).
fn trace_ring(ctx: &Ctx, cam: &Camera, ring: &[[f64; 2]]) {
    let mut last = [f64::NAN, f64::NAN];
    for (i, w) in ring.iter().enumerate() {
        let p = cam.to_screen(*w);
        if i == 0 {
            ctx.move_to(p[0], p[1]);
            last = p;
        } else if (p[0] - last[0]).abs() + (p[1] - last[1]).abs() > 0.6 || i == ring.len() - 1 {
            ctx.line_to(p[0], p[1]);
            last = p;
        }
    }
    ctx.close_path();
}

fn draw_areas(
    ctx: &Ctx,
    cam: &Camera,
    view: &Bbox,
    id: &str,
    a: &crate::data::AreaLayer,
    scene: &Scene,
) -> usize {
    let visible: Vec<u32> = a.index.query(view).collect();
    // Thresholds by effective zoom; `cam` is the wider base camera, so take
    // the UI scale from the screen.
    let z = effective(cam.zoom, ui_scale(scene.cam.width));
    // Fill, grouped by colour so each colour is one path and one fill call.
    let fill_of = |i: u32| -> Option<&'static str> {
        match id {
            "grids" => {
                let c = scene.grid_counts.get(i as usize).copied().unwrap_or(0) as f64;
                Some(style::CHOROPLETH[class_of(c, &scene.breaks).min(style::CHOROPLETH.len() - 1)])
            }
            "parks" | "greenspace" => Some(style::park_fill(a.class[i as usize])),
            "areas" => None,
            _ => None,
        }
    };
    let mut groups: Vec<(&'static str, Vec<u32>)> = Vec::new();
    for &i in &visible {
        if let Some(f) = fill_of(i) {
            match groups.iter_mut().find(|g| g.0 == f) {
                Some(g) => g.1.push(i),
                None => groups.push((f, vec![i])),
            }
        }
    }
    // The choropleth fades as points take over when zooming in.
    let alpha = match id {
        "grids" if z >= 15.0 => 0.45,
        "grids" if z >= 13.0 => 0.65,
        _ => 1.0,
    };
    ctx.set_global_alpha(alpha);
    for (fill, members) in &groups {
        ctx.begin_path();
        for &i in members {
            for ring in &a.rings[i as usize] {
                trace_ring(ctx, cam, ring);
            }
        }
        ctx.set_fill_style_str(fill);
        ctx.fill_with_canvas_winding_rule(CanvasWindingRule::Evenodd);
    }
    ctx.set_global_alpha(1.0);
    // Outlines.
    let (stroke, width, dash): (&str, f64, &[f64]) = match id {
        "grids" if z >= 12.5 => ("rgba(180,200,230,0.22)", 0.6, &[]),
        "grids" => ("", 0.0, &[]),
        "parks" if z >= 13.0 => ("rgba(20,90,30,0.9)", 0.8, &[]),
        "areas" => ("", 0.0, &[]),
        "communities" => (
            "rgba(220,230,255,0.55)",
            if z >= 13.0 { 1.2 } else { 0.8 },
            &[],
        ),
        "subdistricts" => ("#ffe08a", 2.2, &[]),
        "district" => ("#ffffff", 3.0, &[]),
        _ => ("", 0.0, &[]),
    };
    if id == "areas" {
        // Monitored areas: translucent fill and dashed outline in the domain colour.
        for &i in &visible {
            let c = style::domain_colour(a.class[i as usize]);
            ctx.begin_path();
            for ring in &a.rings[i as usize] {
                trace_ring(ctx, cam, ring);
            }
            ctx.set_global_alpha(0.16);
            ctx.set_fill_style_str(c);
            ctx.fill_with_canvas_winding_rule(CanvasWindingRule::Evenodd);
            ctx.set_global_alpha(1.0);
            ctx.set_stroke_style_str(c);
            ctx.set_line_width(2.0);
            let _ = ctx.set_line_dash(&dash_array(&[6.0, 4.0]));
            ctx.stroke();
            let _ = ctx.set_line_dash(&dash_array(&[]));
        }
    } else if width > 0.0 {
        ctx.begin_path();
        for &i in &visible {
            for ring in &a.rings[i as usize] {
                trace_ring(ctx, cam, ring);
            }
        }
        if id == "district" {
            ctx.set_shadow_color("rgba(120,180,255,0.8)");
            ctx.set_shadow_blur(8.0);
        }
        ctx.set_stroke_style_str(stroke);
        ctx.set_line_width(width);
        ctx.set_line_join("round");
        let _ = ctx.set_line_dash(&dash_array(dash));
        ctx.stroke();
        ctx.set_shadow_blur(0.0);
        ctx.set_shadow_color("transparent");
    }
    visible.len()
}

fn dash_array(d: &[f64]) -> wasm_bindgen::JsValue {
    let arr = js_sys::Array::new();
    for v in d {
        arr.push(&wasm_bindgen::JsValue::from_f64(*v));
    }
    arr.into()
}

/// Screen-space label collision: placed boxes are kept and overlaps skipped.
#[derive(Default)]
struct LabelPlacer {
    placed: Vec<[f64; 4]>,
}

impl LabelPlacer {
    fn try_place(&mut self, r: [f64; 4]) -> bool {
        let hit = self
            .placed
            .iter()
            .any(|p| r[0] < p[2] && p[0] < r[2] && r[1] < p[3] && p[1] < r[3]);
        if !hit {
            self.placed.push(r);
        }
        !hit
    }
}

pub fn label_text(f: &pingan_model::geojson_io::Feature, lang: Lang) -> String {
    let zh = f.str_prop("name").unwrap_or("");
    match lang {
        Lang::Zh => zh.to_string(),
        Lang::En => f
            .str_prop("name_en")
            .filter(|s| !s.is_empty())
            .unwrap_or(zh)
            .to_string(),
    }
}

#[allow(clippy::too_many_arguments)]
fn draw_area_labels(
    ctx: &Ctx,
    cam: &Camera,
    view: &Bbox,
    id: &str,
    a: &crate::data::AreaLayer,
    lang: Lang,
    ui: f64,
    placer: &mut LabelPlacer,
    draw: bool,
) {
    // The base camera is wider than the screen: derive the effective zoom from
    // the screen's UI scale, not from `cam`.
    let z = effective(cam.zoom, ui);
    let (size, weight, colour, show) = match id {
        "subdistricts" => (18.0, "700", "#ffe9a8", z < 14.0),
        "communities" => (13.0, "500", "#dbe6ff", (12.3..16.5).contains(&z)),
        "parks" => (12.0, "500", "#b8f5b0", z >= 14.5),
        "grids" => (11.0, "400", "#c7d3ea", z >= 16.5),
        _ => (0.0, "", "", false),
    };
    if !show {
        return;
    }
    let px = size * ui;
    ctx.set_font(&format!("{weight} {px}px 'Noto Sans CJK SC','Noto Sans SC','Microsoft YaHei','PingFang SC',sans-serif"));
    ctx.set_text_align("center");
    ctx.set_text_baseline("middle");
    ctx.set_line_width(3.5 * ui.sqrt());
    ctx.set_stroke_style_str("rgba(5,10,22,0.9)");
    ctx.set_line_join("round");
    ctx.set_fill_style_str(colour);
    for i in a.index.query(view) {
        let i = i as usize;
        let text = label_text(&a.features[i], lang);
        if text.is_empty() {
            continue;
        }
        // Small features get no label until their box is big enough.
        let b = &a.bboxes[i];
        let wpx = (b.max[0] - b.min[0]) * cam.scale();
        let width = ctx
            .measure_text(&text)
            .map(|m| m.width())
            .unwrap_or(px * text.chars().count() as f64);
        if id != "subdistricts" && wpx < width * 0.8 {
            continue;
        }
        let p = cam.to_screen(a.label_at[i]);
        let r = [
            p[0] - width / 2.0 - 2.0,
            p[1] - px / 2.0 - 2.0,
            p[0] + width / 2.0 + 2.0,
            p[1] + px / 2.0 + 2.0,
        ];
        if placer.try_place(r) && draw {
            let _ = ctx.stroke_text(&text, p[0], p[1]);
            let _ = ctx.fill_text(&text, p[0], p[1]);
        }
    }
}

/// The point-symbol interface (Canvas 2D now; WebGL2 can implement it later).
pub trait PointPainter {
    /// Circles of radius `r` at screen positions, one fill colour, optional ring.
    fn circles(&mut self, pts: &[[f64; 2]], r: f64, fill: &str, ring: Option<(&str, f64)>);
    /// Axis-aligned squares of side `2r`.
    fn squares(&mut self, pts: &[[f64; 2]], r: f64, fill: &str);
    /// Diamonds of half-diagonal `r`.
    fn diamonds(&mut self, pts: &[[f64; 2]], r: f64, fill: &str);
    /// Centred labels (bin counts).
    fn labels(&mut self, items: &[([f64; 2], String)], px: f64, colour: &str);
}

pub struct Canvas2dPainter<'a> {
    pub ctx: &'a Ctx,
}

impl PointPainter for Canvas2dPainter<'_> {
    fn circles(&mut self, pts: &[[f64; 2]], r: f64, fill: &str, ring: Option<(&str, f64)>) {
        if pts.is_empty() {
            return;
        }
        let ctx = self.ctx;
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
    fn squares(&mut self, pts: &[[f64; 2]], r: f64, fill: &str) {
        let ctx = self.ctx;
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
    fn diamonds(&mut self, pts: &[[f64; 2]], r: f64, fill: &str) {
        let ctx = self.ctx;
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

/// A count as people read it: 9,999 → "9999", 12,345 → "1.2万" / "12k".
pub fn short_count(n: u32, lang: Lang) -> String {
    match lang {
        Lang::Zh if n >= 10_000 => format!("{:.1}万", n as f64 / 10_000.0),
        Lang::En if n >= 10_000 => format!("{}k", n / 1000),
        _ => n.to_string(),
    }
}

/// Whether point `k` of a layer is drawn individually at effective zoom `eff`
/// (drawing and hit testing share this). Hazards: until z15 only the ones
/// still to be rectified — what needs action.
pub fn point_shown(id: &str, p: &PointLayer, k: u32, eff: f64) -> bool {
    !(id == "hazards"
        && eff < 15.0
        && p.state.get(k as usize).copied()
            == Some(pingan_model::domain::HazardStatus::Rectified.index() as u8))
}

/// Whether a point layer is drawn as individual points (not bins or badges).
pub fn points_individual(id: &str, cam: &Camera, admin: &AdminSummary) -> bool {
    !(admin_mode(cam, admin) && AGGREGATED.contains(&id))
        && effective_zoom(cam) >= bin_below_zoom(id)
}

/// Radius of a bin's circle in CSS pixels, given the largest count in view.
pub fn bin_radius(count: u32, max: f64, ui: f64) -> f64 {
    let (lo, hi) = (4.5 * ui, BIN_PX * 0.46 * ui);
    lo + (hi - lo) * (count as f64 / max.max(1.0)).sqrt()
}

/// Patches further behind than this many places re-render instead.
const MAX_PATCHES: usize = 200;

/// Symbol size factor at effective zoom `eff`: larger from z16.
fn symbol_scale(eff: f64, ui: f64) -> f64 {
    (if eff >= 16.0 { 1.35 } else { 1.0 }) * ui
}

/// How far (CSS px) from its point any individual symbol can paint: the
/// largest is a hazard (4.5 + half its 2.2 ring), plus antialiasing.
fn symbol_reach(eff: f64, ui: f64) -> f64 {
    5.6 * symbol_scale(eff, ui) + 2.0
}

/// Draws one point layer; returns features or bins drawn.
pub fn draw_points(
    painter: &mut dyn PointPainter,
    cam: &Camera,
    id: &str,
    p: &PointLayer,
    ui: f64,
    lang: Lang,
) -> usize {
    let view = cam.world_bbox(30.0);
    draw_points_in(painter, cam, id, p, ui, lang, &view, None)
}

/// Draws one point layer as seen in `view`; with `only`, just the symbols
/// that can reach that box (a patch), each exactly as the whole view draws it.
#[allow(clippy::too_many_arguments)]
fn draw_points_in(
    painter: &mut dyn PointPainter,
    cam: &Camera,
    id: &str,
    p: &PointLayer,
    ui: f64,
    lang: Lang,
    view: &Bbox,
    only: Option<&Bbox>,
) -> usize {
    if effective(cam.zoom, ui) < bin_below_zoom(id) {
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
        let colour = style::bin_colour(id);
        let mut labels = Vec::with_capacity(by_size.len());
        for (s, count) in &by_size {
            let r = bin_radius(*count, max, ui);
            painter.circles(&[*s], r, colour, Some(("rgba(255,255,255,0.45)", 1.0)));
            if r >= 10.0 * ui {
                labels.push((*s, short_count(*count, lang)));
            }
        }
        painter.labels(&labels, 11.0 * ui, "#06101f");
        return by_size.len();
    }
    // Individual points, grouped by symbol so each group is one path.
    let mut groups: std::collections::BTreeMap<(u8, u8), Vec<[f64; 2]>> = Default::default();
    let mut n = 0;
    let eff = effective(cam.zoom, ui);
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
        match id {
            "hazards" => {
                match style::hazard_ring(*state) {
                    Some(ring) => painter.circles(
                        pts,
                        4.5 * big,
                        style::hazard_colour(*class),
                        Some((ring, 2.2 * big)),
                    ),
                    // Rectified: a small hollow ring, unlike any case dot.
                    None => painter.circles(
                        pts,
                        3.2 * big,
                        "rgba(0,0,0,0)",
                        Some(("rgba(170,180,195,0.8)", 1.4)),
                    ),
                }
            }
            "sensors" => painter.squares(pts, 4.0 * big, style::sensor_colour(*state)),
            "sentinels" => painter.diamonds(pts, 5.0 * big, style::sentinel_colour(*class)),
            _ => painter.circles(
                pts,
                3.2 * big,
                style::case_colour(*state),
                Some(("rgba(0,0,0,0.6)", 0.8)),
            ),
        }
    }
    n
}

fn draw_selection(ctx: &Ctx, cam: &Camera, data: &LayerData, key: u32) {
    ctx.set_stroke_style_str("#00e5ff");
    ctx.set_line_width(3.0);
    ctx.set_shadow_color("rgba(0,229,255,0.9)");
    ctx.set_shadow_blur(10.0);
    match data {
        LayerData::Areas(a) => {
            if let Some(rings) = a.rings.get(key as usize) {
                ctx.begin_path();
                for r in rings {
                    trace_ring(ctx, cam, r);
                }
                ctx.stroke();
            }
        }
        LayerData::Points(p) => {
            if let Some(w) = p.world.get(key as usize) {
                let s = cam.to_screen(*w);
                ctx.begin_path();
                let _ = ctx.arc(s[0], s[1], 11.0, 0.0, std::f64::consts::TAU);
                ctx.stroke();
            }
        }
    }
    ctx.set_shadow_blur(0.0);
    ctx.set_shadow_color("transparent");
}

#[cfg(test)]
mod tests {
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

    #[test]
    fn effective_zoom_makes_a_4k_wall_look_like_1080p() {
        let cam = |w: f64, z: f64| Camera {
            center: World { x: 0.8, y: 0.44 },
            zoom: z,
            width: w,
            height: w * 9.0 / 16.0,
        };
        assert_eq!(effective_zoom(&cam(1920.0, 11.8)), 11.8);
        assert!((effective_zoom(&cam(3840.0, 12.8)) - 11.8).abs() < 1e-12);
        assert_eq!(
            effective_zoom(&cam(390.0, 11.0)),
            11.0,
            "phones are not scaled down"
        );
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
}
