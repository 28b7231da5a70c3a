//! The district-scale badges: per subdistrict, one line per summarised
//! layer (its name, colour and count from the layer's spec), laid out clear
//! of each other and drawn per frame over the cached surfaces.

use super::base::LabelPlacer;
use crate::data::AdminSummary;
use crate::layers::{by_rank, spec, AreaSpec, BadgeSpec, Draw};
use pingan_model::domain::Lang;
use pingan_model::layers::LayerId;
use pingan_model::lod::ui_scale;
use pingan_model::viewport::Camera;
use web_sys::CanvasRenderingContext2d as Ctx;

/// The summarised layers, in their order on a badge (the catalogue's
/// `lod.badge_rank`).
pub fn badge_layers() -> Vec<LayerId> {
    let ids: Vec<(u8, LayerId)> = LayerId::ALL
        .into_iter()
        .filter_map(|id| Some((id.def().lod.badge_rank?, id)))
        .collect();
    by_rank(ids, |(rank, _)| *rank)
        .into_iter()
        .map(|(_, id)| id)
        .collect()
}

fn badge(id: LayerId) -> Option<&'static BadgeSpec> {
    spec(id).point()?.badge.as_ref()
}

/// A subdistrict badge on screen.
pub struct Badge {
    pub index: usize,
    pub rect: [f64; 4],
    pub lines: Vec<(LayerId, u32)>,
    /// The subdistrict's label point; a badge not directly below it gets a leader line.
    pub anchor: [f64; 2],
    pub below: bool,
}

/// Lays out the badges of the visible aggregated layers: below the
/// subdistrict's name, or above or beside it where that would overlap a badge
/// already placed; busiest subdistricts first. Where neither fits (a phone at
/// district scale) the subdistrict shows only its name.
pub fn badges(cam: &Camera, admin: &AdminSummary, layers: &[LayerId]) -> Vec<Badge> {
    let ui = ui_scale(cam.width, cam.height);
    badges_on(cam, admin, layers, ui, &[[0.0, 0.0, cam.width, cam.height]])
}

/// [`badges`] laid out in `cam`'s px at UI scale `ui`, each badge wholly
/// inside one of `screens` (px rectangles): a wall of several screens lays
/// them out once on its virtual canvas, never across a seam, so every tile
/// draws the same badges (shifted by its origin).
pub fn badges_on(
    cam: &Camera,
    admin: &AdminSummary,
    layers: &[LayerId],
    ui: f64,
    screens: &[[f64; 4]],
) -> Vec<Badge> {
    let (line_h, w) = (20.0 * ui, 128.0 * ui);
    // (subdistrict, label point on screen, lines)
    type Wanted = (usize, [f64; 2], Vec<(LayerId, u32)>);
    let mut wanted: Vec<Wanted> = (0..admin.at.len())
        .filter_map(|i| {
            let lines: Vec<(LayerId, u32)> = layers
                .iter()
                .filter_map(|l| admin.count(*l, i).map(|c| (*l, c)))
                .collect();
            (!lines.is_empty()).then(|| (i, cam.to_screen(admin.at[i]), lines))
        })
        .collect();
    wanted.sort_by_key(|(_, _, lines)| {
        std::cmp::Reverse(lines.iter().map(|l| l.1 as u64).sum::<u64>())
    });
    // Every subdistrict's name is drawn at its label point: no badge may cover
    // one (on a phone at district scale they would). Reserved by the wider of
    // its Chinese and English widths at the names' size (the subdistricts'
    // label spec; badges are laid out without a canvas to measure with, so a
    // Chinese character counts a full em and a Latin one 5/9 em: 10 px at 18).
    let size = name_size();
    let mut placed = LabelPlacer::default();
    for (i, at) in admin.at.iter().enumerate() {
        let p = cam.to_screen(*at);
        let chars = |t: &str| t.chars().count() as f64;
        let half = admin.names.get(i).map_or(2.0 * size, |(zh, en)| {
            (chars(zh) * size).max(chars(en) * size * 5.0 / 9.0) / 2.0
        }) * ui;
        let half_h = (size / 2.0 + 2.0) * ui;
        placed.try_place([p[0] - half, p[1] - half_h, p[0] + half, p[1] + half_h]);
    }
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
            // Wholly on one screen (a badge cut by an edge or a seam cannot be read).
            .filter(|(_, r)| {
                screens
                    .iter()
                    .any(|s| r[0] >= s[0] && r[1] >= s[1] && r[2] <= s[2] && r[3] <= s[3])
            })
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

/// Where a badge paints (its box, its leader line and the dot at its
/// subdistrict's name; device pixels, rounded out) and a hash of what it
/// shows: a frame recomposes a badge whose footprint or hash changed.
pub fn footprint(b: &Badge, ui: f64, dpr: f64) -> ([f64; 4], u64) {
    use std::hash::{Hash, Hasher};
    let [mut x0, mut y0, mut x1, mut y1] = b.rect;
    if !b.below {
        let r = 3.0 * ui;
        x0 = x0.min(b.anchor[0] - r);
        y0 = y0.min(b.anchor[1] - r);
        x1 = x1.max(b.anchor[0] + r);
        y1 = y1.max(b.anchor[1] + r);
    }
    let pad = 2.0;
    let rect = [
        ((x0 - pad) * dpr).floor(),
        ((y0 - pad) * dpr).floor(),
        ((x1 + pad) * dpr).ceil(),
        ((y1 + pad) * dpr).ceil(),
    ];
    let mut h = std::collections::hash_map::DefaultHasher::new();
    b.index.hash(&mut h);
    b.below.hash(&mut h);
    for v in b.rect.iter().chain(&b.anchor) {
        v.to_bits().hash(&mut h);
    }
    b.lines.hash(&mut h);
    (rect, h.finish())
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

pub fn draw_badges(ctx: &Ctx, badges: &[Badge], ui: f64, lang: Lang) {
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
            ctx.set_fill_style_str(badge(*layer).map(|b| b.colour).unwrap_or("#b197fc"));
            ctx.fill();
            ctx.set_font(&format!(
                "500 {}px 'Noto Sans CJK SC','Noto Sans SC',sans-serif",
                13.0 * ui
            ));
            ctx.set_text_align("left");
            ctx.set_fill_style_str("#c9d6ee");
            let name = badge(*layer).map(|b| (b.name)(lang)).unwrap_or("");
            let _ = ctx.fill_text(name, x0 + 22.0 * ui, y);
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

/// The font size of subdistrict names, from their layer's spec.
fn name_size() -> f64 {
    match &spec(LayerId::Subdistricts).draw {
        Draw::Area(AreaSpec {
            label: Some(label), ..
        }) => label.size,
        _ => 18.0,
    }
}
