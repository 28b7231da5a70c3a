//! The base surface's drawing: every polygon layer (fill, outline as its
//! spec says) and the area labels, placed coarse before fine without
//! overlapping (kept, so that `patch_areas` can redraw a part of the surface
//! as the full render drew it). Also the per-frame labels (subdistrict
//! names) and the label placer the badges share.

use super::surface::Drawn;
use super::Scene;
use crate::data::AreaLayer;
use crate::layers::{by_rank, spec, AreaPaint, AreaSpec, Fill, LabelSpec};
use pingan_model::analysis::class_of;
use pingan_model::domain::Lang;
use pingan_model::index::Bbox;
use pingan_model::layers::LayerId;
use pingan_model::lod::{effective, ui_scale};
use pingan_model::viewport::Camera;
use web_sys::{CanvasRenderingContext2d as Ctx, CanvasWindingRule};

/// An area label drawn on the base surface, kept so that a patch can draw it
/// again exactly where the full render placed it.
#[derive(Clone, Debug)]
pub struct PlacedLabel {
    pub text: String,
    pub at: [f64; 2],
    /// Its box (CSS pixels of the surface, the halo included).
    pub rect: [f64; 4],
    pub font: String,
    pub colour: &'static str,
    pub halo: f64,
}

/// Renders the polygon layers and their labels (the base surface); the
/// labels drawn go into `labels`.
pub fn render_areas(
    ctx: &Ctx,
    cam: &Camera,
    scene: &Scene,
    ui: f64,
    drawn: &mut Drawn,
    labels: &mut Vec<PlacedLabel>,
) {
    let view = cam.world_bbox(0.0);
    for layer in &scene.layers {
        if let (crate::data::LayerData::Areas(a), Some(s)) = (&*layer.data, spec(layer.id).area()) {
            let n = draw_areas(ctx, cam, &view, s, a, scene);
            drawn.push((layer.id, n));
        }
    }
    // Labels last, coarse before fine. Per-frame labels (subdistrict names,
    // drawn above the points by `Renderer::draw`) only reserve space here.
    labels.clear();
    let mut placer = LabelPlacer::default();
    for (_, a, label) in labelled(scene) {
        let draw = !label.per_frame;
        draw_area_labels(
            ctx,
            cam,
            &view,
            a,
            label,
            scene.lang,
            ui,
            scene.wall.is_some(),
            &mut placer,
            draw,
            Some(labels),
        );
    }
}

/// Renders again, clipped to `rect` (CSS pixels of the surface `cam` was
/// rendered for), what a full render draws there: every polygon that can
/// paint into it (`reach` pixels around it: outlines and their glow) and the
/// labels the full render placed over it. With only fills changed (a grid's
/// choropleth class), a patched surface equals a fresh one.
pub fn patch_areas(
    ctx: &Ctx,
    cam: &Camera,
    scene: &Scene,
    rect: [f64; 4],
    reach: f64,
    labels: &[PlacedLabel],
) {
    let view = Bbox::new(
        cam.to_world([rect[0] - reach, rect[1] - reach]),
        cam.to_world([rect[2] + reach, rect[3] + reach]),
    );
    for layer in &scene.layers {
        if let (crate::data::LayerData::Areas(a), Some(s)) = (&*layer.data, spec(layer.id).area()) {
            draw_areas(ctx, cam, &view, s, a, scene);
        }
    }
    ctx.set_text_align("center");
    ctx.set_text_baseline("middle");
    ctx.set_stroke_style_str(HALO_COLOUR);
    ctx.set_line_join("round");
    for l in labels {
        let r = l.rect;
        if r[0] < rect[2] && rect[0] < r[2] && r[1] < rect[3] && rect[1] < r[3] {
            ctx.set_font(&l.font);
            ctx.set_line_width(l.halo);
            ctx.set_fill_style_str(l.colour);
            let _ = ctx.stroke_text(&l.text, l.at[0], l.at[1]);
            let _ = ctx.fill_text(&l.text, l.at[0], l.at[1]);
        }
    }
}

const HALO_COLOUR: &str = "rgba(5,10,22,0.9)";

/// Where a name that must show may go, in lines of its size from its label
/// point: there, a line below, a line above.
pub const NAME_SHIFTS: [f64; 3] = [0.0, NAME_SHIFT_LINES, -NAME_SHIFT_LINES];
/// A shifted name's distance from its spot, in lines of its size.
pub const NAME_SHIFT_LINES: f64 = 1.15;

/// The visible area layers with labels, in label order (coarse first).
fn labelled(scene: &Scene) -> Vec<(LayerId, &AreaLayer, &'static LabelSpec)> {
    let out: Vec<(LayerId, &AreaLayer, &'static LabelSpec)> = scene
        .layers
        .iter()
        .filter_map(|l| {
            let crate::data::LayerData::Areas(a) = &*l.data else {
                return None;
            };
            Some((l.id, a, spec(l.id).area()?.label.as_ref()?))
        })
        .collect();
    by_rank(out, |(_, _, label)| label.rank)
}

/// Draws the labels that go above the points, per frame (the subdistrict
/// names: few, and the landmarks a wall is read by); returns where they
/// painted (CSS pixels, the halo included).
pub fn draw_frame_labels(ctx: &Ctx, cam: &Camera, scene: &Scene, ui: f64) -> Vec<[f64; 4]> {
    let mut painted = Vec::new();
    for (_, a, label) in labelled(scene) {
        if label.per_frame {
            let view = cam.world_bbox(0.0);
            let mut placer = LabelPlacer::default();
            draw_area_labels(
                ctx,
                cam,
                &view,
                a,
                label,
                scene.lang,
                ui,
                scene.wall.is_some(),
                &mut placer,
                true,
                None,
            );
            let halo = 2.0 * ui.sqrt() + 1.0;
            painted.extend(
                placer
                    .placed
                    .iter()
                    .map(|r| [r[0] - halo, r[1] - halo, r[2] + halo, r[3] + halo]),
            );
        }
    }
    painted
}

/// Adds a ring to the current path, skipping vertices closer than ~0.6 px to
/// the last one drawn (detailed coastlines at low zoom).
pub fn trace_ring(ctx: &Ctx, cam: &Camera, ring: &[[f64; 2]]) {
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
    s: &AreaSpec,
    a: &AreaLayer,
    scene: &Scene,
) -> usize {
    let visible: Vec<u32> = a.index.query(view).collect();
    // Thresholds by effective zoom; `cam` is the wider base camera, so take
    // the UI scale from the screen.
    let z = effective(cam.zoom, ui_scale(scene.cam.width, scene.cam.height));
    match &s.paint {
        AreaPaint::Dashed { colour } => {
            // A translucent fill and a dashed outline in the class colour.
            for &i in &visible {
                let c = colour(a.class[i as usize]);
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
        }
        AreaPaint::Grouped {
            fill,
            alpha,
            outline,
            glow,
        } => {
            // Fill, grouped by colour so each colour is one path and one fill call.
            let fill_of = |i: u32| -> Option<&'static str> {
                match fill {
                    Fill::None => None,
                    Fill::Choropleth(palette) => {
                        let c = scene.grid_counts.get(i as usize).copied().unwrap_or(0) as f64;
                        Some(palette[class_of(c, &scene.breaks).min(palette.len() - 1)])
                    }
                    Fill::Class(f) => Some(f(a.class[i as usize])),
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
            ctx.set_global_alpha(alpha(z));
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
            if let Some(o) = outline(z).filter(|o| o.width > 0.0) {
                ctx.begin_path();
                for &i in &visible {
                    for ring in &a.rings[i as usize] {
                        trace_ring(ctx, cam, ring);
                    }
                }
                if *glow {
                    ctx.set_shadow_color("rgba(120,180,255,0.8)");
                    ctx.set_shadow_blur(8.0);
                }
                ctx.set_stroke_style_str(o.stroke);
                ctx.set_line_width(o.width);
                ctx.set_line_join("round");
                let _ = ctx.set_line_dash(&dash_array(o.dash));
                ctx.stroke();
                ctx.set_shadow_blur(0.0);
                ctx.set_shadow_color("transparent");
            }
        }
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
pub struct LabelPlacer {
    placed: Vec<[f64; 4]>,
}

impl LabelPlacer {
    pub fn try_place(&mut self, r: [f64; 4]) -> bool {
        let hit = self
            .placed
            .iter()
            .any(|p| r[0] < p[2] && p[0] < r[2] && r[1] < p[3] && p[1] < r[3]);
        if !hit {
            self.placed.push(r);
        }
        !hit
    }

    /// Takes `r` whatever it overlaps (a name that is drawn in any case).
    pub fn reserve(&mut self, r: [f64; 4]) {
        self.placed.push(r);
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
    a: &AreaLayer,
    label: &LabelSpec,
    lang: Lang,
    ui: f64,
    wall: bool,
    placer: &mut LabelPlacer,
    draw: bool,
    mut record: Option<&mut Vec<PlacedLabel>>,
) {
    // The base camera is wider than the screen: derive the effective zoom from
    // the screen's UI scale, not from `cam`.
    let z = effective(cam.zoom, ui);
    if !(label.shown)(z) {
        return;
    }
    let px = super::text_px(label.size, ui, wall);
    let font = format!(
        "{} {px}px 'Noto Sans CJK SC','Noto Sans SC','Microsoft YaHei','PingFang SC',sans-serif",
        label.weight
    );
    ctx.set_font(&font);
    ctx.set_text_align("center");
    ctx.set_text_baseline("middle");
    let halo = 3.5 * ui.sqrt();
    ctx.set_line_width(halo);
    ctx.set_stroke_style_str(HALO_COLOUR);
    ctx.set_line_join("round");
    ctx.set_fill_style_str(label.colour);
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
        if !label.always_fits && wpx < width * 0.8 {
            continue;
        }
        let at = cam.to_screen(a.label_at[i]);
        let rect = |p: [f64; 2]| {
            [
                p[0] - width / 2.0 - 2.0,
                p[1] - px / 2.0 - 2.0,
                p[0] + width / 2.0 + 2.0,
                p[1] + px / 2.0 + 2.0,
            ]
        };
        // On a wall (20 px names, ten in a small overview) a name that must
        // show (the subdistricts') tries a line below, then above, where its
        // own spot is taken by a neighbour's; the badges keep clear of all
        // three (`badges::badges_on`).
        let spots: &[f64] = if label.always_fits && wall {
            &NAME_SHIFTS
        } else {
            &NAME_SHIFTS[..1]
        };
        let Some((p, r)) = spots
            .iter()
            .map(|dy| {
                let p = [at[0], at[1] + dy * px];
                (p, rect(p))
            })
            .find(|(_, r)| placer.try_place(*r))
        else {
            continue;
        };
        if draw {
            let _ = ctx.stroke_text(&text, p[0], p[1]);
            let _ = ctx.fill_text(&text, p[0], p[1]);
            if let Some(rec) = record.as_deref_mut() {
                let h = halo / 2.0 + 1.0;
                rec.push(PlacedLabel {
                    text,
                    at: p,
                    rect: [r[0] - h, r[1] - h, r[2] + h, r[3] + h],
                    font: font.clone(),
                    colour: label.colour,
                    halo,
                });
            }
        }
    }
}
