//! The selection highlight: the selected area's outline or a ring around the
//! selected point, drawn per frame.

use super::base::trace_ring;
use crate::data::LayerData;
use pingan_model::viewport::Camera;
use web_sys::CanvasRenderingContext2d as Ctx;

pub fn draw_selection(ctx: &Ctx, cam: &Camera, data: &LayerData, key: u32) {
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
