//! The selection highlight: the selected area's outline or a ring around the
//! selected point, drawn per frame.

use super::base::trace_ring;
use crate::data::LayerData;
use pingan_model::viewport::Camera;
use web_sys::CanvasRenderingContext2d as Ctx;

/// Draws the highlight; returns where it painted (CSS pixels, its glow
/// included).
pub fn draw_selection(ctx: &Ctx, cam: &Camera, data: &LayerData, key: u32) -> Option<[f64; 4]> {
    let mut painted = None;
    ctx.set_stroke_style_str("#00e5ff");
    ctx.set_line_width(3.0);
    ctx.set_shadow_color("rgba(0,229,255,0.9)");
    ctx.set_shadow_blur(10.0);
    match data {
        LayerData::Areas(a) => {
            if let Some(rings) = a.rings.get(key as usize) {
                ctx.begin_path();
                let mut b = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
                for r in rings {
                    trace_ring(ctx, cam, r);
                    for w in r {
                        let p = cam.to_screen(*w);
                        b = [
                            b[0].min(p[0]),
                            b[1].min(p[1]),
                            b[2].max(p[0]),
                            b[3].max(p[1]),
                        ];
                    }
                }
                ctx.stroke();
                if b[0] <= b[2] {
                    painted = Some([b[0] - GLOW, b[1] - GLOW, b[2] + GLOW, b[3] + GLOW]);
                }
            }
        }
        LayerData::Points(p) => {
            if let Some(w) = p.world.get(key as usize) {
                let s = cam.to_screen(*w);
                ctx.begin_path();
                let _ = ctx.arc(s[0], s[1], 11.0, 0.0, std::f64::consts::TAU);
                ctx.stroke();
                let r = 11.0 + GLOW;
                painted = Some([s[0] - r, s[1] - r, s[0] + r, s[1] + r]);
            }
        }
    }
    ctx.set_shadow_blur(0.0);
    ctx.set_shadow_color("transparent");
    painted
}

/// How far the highlight's line and glow reach beyond its path, CSS pixels
/// (a 3 px line, a 10 px shadow blur: about twice that in Skia).
const GLOW: f64 = 24.0;
