//! Live pulses: expanding, fading rings at new cases and alerts, drawn per
//! frame over the cached surfaces, never baked into them.

use pingan_model::viewport::Camera;
use web_sys::CanvasRenderingContext2d as Ctx;

/// Expanding, fading rings at new cases and alerts: drawn per frame over the
/// cached surfaces, never baked into them.
pub fn draw_pulses(ctx: &Ctx, cam: &Camera, pulses: &[([f64; 2], f64, &'static str)], ui: f64) {
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
