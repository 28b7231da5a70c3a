//! "You are here" (the field mode, issue 10): the position's dot, its
//! accuracy circle (metres at the position's latitude → screen pixels) and,
//! when the device gives one, its heading as a wedge; a position set by
//! hand (no fix) is drawn as a hollow dot. Drawn per frame on the overlay,
//! like the selection; the circle is clipped to what the screen shows.

use pingan_model::projection::{metres_per_world_unit, to_lonlat, World};
use pingan_model::viewport::Camera;
use web_sys::CanvasRenderingContext2d as Ctx;

/// Where the officer is, as a frame draws it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Mark {
    /// World units (Web Mercator).
    pub at: [f64; 2],
    /// Radius of the accuracy circle, metres (0: a position set by hand).
    pub accuracy_m: f64,
    /// Degrees clockwise from north, when the device gives one.
    pub heading: Option<f64>,
    /// The accuracy is worse than the warning threshold: an amber circle.
    pub poor: bool,
    /// Set by a tap on the map, not measured.
    pub manual: bool,
}

/// The accuracy circle's radius in CSS pixels for `cam`.
pub fn accuracy_px(cam: &Camera, m: &Mark) -> f64 {
    let (_, lat) = to_lonlat(World {
        x: m.at[0],
        y: m.at[1],
    });
    let per_unit = metres_per_world_unit(lat);
    if per_unit <= 0.0 || !m.accuracy_m.is_finite() {
        return 0.0;
    }
    m.accuracy_m / per_unit * cam.scale()
}

/// Draws the mark; returns the rectangle it covers (CSS px), if on screen.
pub fn draw_position(ctx: &Ctx, cam: &Camera, m: &Mark, ui: f64) -> Option<[f64; 4]> {
    let s = cam.to_screen(m.at);
    let r_acc = accuracy_px(cam, m).min(4.0 * (cam.width + cam.height));
    let dot = 8.0 * ui;
    let reach = r_acc.max(dot * 3.2);
    if s[0] < -reach || s[1] < -reach || s[0] > cam.width + reach || s[1] > cam.height + reach {
        return None;
    }
    let (fill, edge) = if m.poor {
        ("rgba(245, 158, 11, 0.16)", "rgba(245, 158, 11, 0.85)")
    } else {
        ("rgba(37, 99, 235, 0.14)", "rgba(37, 99, 235, 0.7)")
    };
    let tau = std::f64::consts::TAU;
    if r_acc > dot {
        ctx.begin_path();
        let _ = ctx.arc(s[0], s[1], r_acc, 0.0, tau);
        ctx.set_fill_style_str(fill);
        ctx.fill();
        ctx.set_line_width(1.5 * ui);
        ctx.set_stroke_style_str(edge);
        ctx.stroke();
    }
    if let Some(h) = m.heading.filter(|h| h.is_finite()) {
        // A wedge of 60° in the direction of travel, twice the dot's reach.
        let a = (h - 90.0).to_radians();
        let half = 30f64.to_radians();
        ctx.begin_path();
        ctx.move_to(s[0], s[1]);
        let _ = ctx.arc(s[0], s[1], dot * 3.0, a - half, a + half);
        ctx.close_path();
        ctx.set_fill_style_str("rgba(37, 99, 235, 0.35)");
        ctx.fill();
    }
    ctx.begin_path();
    let _ = ctx.arc(s[0], s[1], dot, 0.0, tau);
    ctx.set_fill_style_str(if m.manual { "#ffffff" } else { "#2563eb" });
    ctx.fill();
    ctx.set_line_width(3.0 * ui);
    ctx.set_stroke_style_str(if m.manual { "#2563eb" } else { "#ffffff" });
    ctx.stroke();
    Some([s[0] - reach, s[1] - reach, s[0] + reach, s[1] + reach])
}
