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
    let names = name_size() * ui;
    badges_on(
        cam,
        admin,
        layers,
        ui,
        names,
        false,
        &[[0.0, 0.0, cam.width, cam.height]],
        &[],
    )
}

/// [`badges`] laid out in `cam`'s px at UI scale `ui`, clear of the
/// subdistrict names drawn at `name_px` (with `shifts`, a wall's: their
/// shifted spots too, and badges also farther out) and of `blocked`, each badge wholly
/// inside one of `screens` (px rectangles): a wall of several screens lays
/// them out once on its virtual canvas, never across a seam, so every tile
/// draws the same badges (shifted by its origin).
#[allow(clippy::too_many_arguments)]
pub fn badges_on(
    cam: &Camera,
    admin: &AdminSummary,
    layers: &[LayerId],
    ui: f64,
    name_px: f64,
    shifts: bool,
    screens: &[[f64; 4]],
    blocked: &[[f64; 4]],
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
    let size = name_px;
    // How far a name may move from its spot (`base::NAME_SHIFTS`), px.
    let shift = if shifts {
        super::base::NAME_SHIFT_LINES * name_px
    } else {
        0.0
    };
    let mut placed = LabelPlacer::default();
    for r in blocked {
        placed.reserve(*r);
    }
    // Each name's reserved box, by subdistrict: a leader line may cross its
    // own name (it starts there), not another's.
    let mut names: Vec<[f64; 4]> = Vec::with_capacity(admin.at.len());
    for (i, at) in admin.at.iter().enumerate() {
        let p = cam.to_screen(*at);
        let chars = |t: &str| t.chars().count() as f64;
        // Its half-widths in Chinese and in English (the wider reserved).
        let (zh_half, en_half) = admin
            .names
            .get(i)
            .map_or((2.0 * size, 2.0 * size), |(zh, en)| {
                (chars(zh) * size / 2.0, chars(en) * size * 5.0 / 18.0)
            });
        let half = zh_half.max(en_half);
        // Its spot, and on a wall the shifted ones it may take
        // (`base::NAME_SHIFTS`).
        let half_h = size / 2.0 + 2.0 * ui + shift;
        // Reserved even where two names overlap (each is drawn, or shifted).
        placed.reserve([p[0] - half, p[1] - half_h, p[0] + half, p[1] + half_h]);
        // For the leader lines: the name as drawn at its spot, the narrower
        // of its two languages (the reservation above is the wider and
        // taller: a neighbour's would cover the anchor itself).
        let tight = zh_half.min(en_half);
        names.push([
            p[0] - tight,
            p[1] - size / 2.0,
            p[0] + tight,
            p[1] + size / 2.0,
        ]);
    }
    let mut kept: Vec<Badge> = Vec::new();
    for (index, p, lines) in wanted {
        let h = 8.0 * ui + line_h * lines.len() as f64;
        // Below the name, above it, then beside it (clear of a ~4-character name).
        // (On a wall below and above the name's shifted spots.)
        let gap = 16.0 * ui + shift;
        let side = 44.0 * ui;
        let near = [
            [p[0] - w / 2.0, p[1] + gap],
            [p[0] - w / 2.0, p[1] - gap - h],
            [p[0] + side, p[1] - h / 2.0],
            [p[0] - side - w, p[1] - h / 2.0],
        ];
        // On a wall (larger badges, every name kept) also farther out to
        // either side, a leader line back to the name.
        let far = [2.5, 4.0, 5.5].into_iter().flat_map(|k| {
            [
                [p[0] + side * k, p[1] - h / 2.0],
                [p[0] - side * k - w, p[1] - h / 2.0],
            ]
        });
        let rect = near
            .into_iter()
            .chain(far.filter(|_| shifts))
            .map(|[x, y]| [x, y, x + w, y + h])
            .enumerate()
            // Wholly on one screen (a badge cut by an edge or a seam cannot be read).
            .filter(|(_, r)| {
                screens
                    .iter()
                    .any(|s| r[0] >= s[0] && r[1] >= s[1] && r[2] <= s[2] && r[3] <= s[3])
            })
            // A long leader line (the far spots) crosses no other name and no
            // badge placed before: from across the room a line through a
            // name reads as that subdistrict's.
            .filter(|(slot, r)| {
                *slot < near.len() || {
                    let end = leader_end(p, *r);
                    let crosses = |o: &[f64; 4]| segment_hits(p, end, *o);
                    !names
                        .iter()
                        .enumerate()
                        .any(|(j, n)| j != index && crosses(n))
                        && !kept.iter().any(|b| crosses(&b.rect))
                }
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

/// Where a leader line from `anchor` meets badge `rect`: its nearest point.
fn leader_end(anchor: [f64; 2], rect: [f64; 4]) -> [f64; 2] {
    [
        anchor[0].clamp(rect[0], rect[2]),
        anchor[1].clamp(rect[1], rect[3]),
    ]
}

/// Whether the segment `a`–`b` passes through the inside of box `r`
/// (Liang–Barsky clipping; touching an edge is not crossing).
fn segment_hits(a: [f64; 2], b: [f64; 2], r: [f64; 4]) -> bool {
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let (mut t0, mut t1) = (0.0_f64, 1.0_f64);
    for (p, q) in [
        (-dx, a[0] - r[0]),
        (dx, r[2] - a[0]),
        (-dy, a[1] - r[1]),
        (dy, r[3] - a[1]),
    ] {
        if p == 0.0 {
            if q <= 0.0 {
                return false;
            }
        } else {
            let t = q / p;
            if p < 0.0 {
                t0 = t0.max(t);
            } else {
                t1 = t1.min(t);
            }
        }
    }
    t1 - t0 > 1e-9
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
            let [tx, ty] = leader_end(b.anchor, b.rect);
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
pub fn name_size() -> f64 {
    match &spec(LayerId::Subdistricts).draw {
        Draw::Area(AreaSpec {
            label: Some(label), ..
        }) => label.size,
        _ => 18.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pingan_model::projection::to_world;

    fn overlaps(a: [f64; 4], b: [f64; 4]) -> bool {
        a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3]
    }

    #[test]
    fn a_segment_crosses_a_box_only_through_its_inside() {
        let r = [10.0, 10.0, 20.0, 20.0];
        assert!(segment_hits([0.0, 15.0], [30.0, 15.0], r));
        assert!(segment_hits([15.0, 15.0], [15.0, 40.0], r), "from inside");
        assert!(!segment_hits([0.0, 0.0], [9.0, 30.0], r), "beside");
        assert!(!segment_hits([0.0, 10.0], [30.0, 10.0], r), "along an edge");
        assert!(!segment_hits([0.0, 15.0], [9.9, 15.0], r), "short of it");
        assert!(segment_hits([0.0, 0.0], [30.0, 30.0], r), "diagonal");
    }

    /// Ten subdistricts close together (a district overview between a
    /// wall's boxes): every badge stays off the boxes, the other badges,
    /// every name's spot and the screen's edge; the far spots place more.
    #[test]
    fn a_walls_badges_keep_off_its_boxes_and_names() {
        let cam = Camera {
            center: to_world(113.85, 22.65),
            zoom: 11.0,
            width: 1920.0,
            height: 1080.0,
        };
        let at: Vec<[f64; 2]> = (0..10)
            .map(|i| {
                let (dx, dy) = ((i % 3) as f64 * 0.025, (i / 3) as f64 * 0.03);
                let w = to_world(113.82 + dx, 22.72 - dy);
                [w.x, w.y]
            })
            .collect();
        let admin = AdminSummary {
            names: (0..10)
                .map(|i| (format!("街道{i:02}"), format!("S{i}")))
                .collect(),
            at: at.clone(),
            bboxes: Vec::new(),
            counts: vec![
                (LayerId::Cases, (1..=10).collect()),
                (LayerId::Hazards, (1..=10).collect()),
            ],
        };
        let layers = [LayerId::Cases, LayerId::Hazards];
        let screen = [[0.0, 0.0, 1920.0, 1080.0]];
        // The boxes of a 1080p wall: KPI band, ranking, case flow, chart, ticker.
        let boxes = [
            [24.0, 24.0, 1896.0, 174.0],
            [24.0, 190.0, 464.0, 750.0],
            [1416.0, 190.0, 1896.0, 690.0],
            [1416.0, 706.0, 1896.0, 966.0],
            [24.0, 984.0, 1896.0, 1056.0],
        ];
        let ui = crate::render::WALL_BADGE;
        let name_px = crate::render::text_px(name_size(), 1.0, true);
        assert!(name_px >= crate::render::WALL_MIN_TEXT);
        let wall = badges_on(&cam, &admin, &layers, ui, name_px, true, &screen, &boxes);
        let near = badges_on(&cam, &admin, &layers, ui, name_px, false, &screen, &boxes);
        assert!(wall.len() >= near.len(), "{} vs {}", wall.len(), near.len());
        for (k, b) in wall.iter().enumerate() {
            assert!(
                b.rect[0] >= 0.0 && b.rect[2] <= 1920.0 && b.rect[1] >= 0.0 && b.rect[3] <= 1080.0
            );
            for r in &boxes {
                assert!(!overlaps(b.rect, *r), "badge {:?} under box {r:?}", b.rect);
            }
            for o in &wall[k + 1..] {
                assert!(!overlaps(b.rect, o.rect), "{:?} over {:?}", b.rect, o.rect);
            }
            // A far badge's leader line crosses no other name's spot and no
            // other badge.
            if (b.anchor[0] - b.rect[0])
                .abs()
                .min((b.anchor[0] - b.rect[2]).abs())
                > 44.0 * ui * 2.0
            {
                let end = leader_end(b.anchor, b.rect);
                for (j, w) in at.iter().enumerate() {
                    let p = cam.to_screen(*w);
                    let name = [
                        p[0] - 2.0 * name_px,
                        p[1] - name_px / 2.0,
                        p[0] + 2.0 * name_px,
                        p[1] + name_px / 2.0,
                    ];
                    assert!(
                        j == b.index || !segment_hits(b.anchor, end, name),
                        "the leader of {} crosses name {j}",
                        b.index
                    );
                }
                for (m, o) in wall.iter().enumerate() {
                    assert!(
                        m == k || !segment_hits(b.anchor, end, o.rect),
                        "the leader of {} crosses badge {m}",
                        b.index
                    );
                }
            }
            for w in &at {
                let p = cam.to_screen(*w);
                let half = 2.0 * name_px;
                let name = [
                    p[0] - half,
                    p[1] - name_px / 2.0,
                    p[0] + half,
                    p[1] + name_px / 2.0,
                ];
                assert!(
                    !overlaps(b.rect, name),
                    "badge {:?} over a name at {p:?}",
                    b.rect
                );
            }
        }
    }
}
