//! Camera flights as pure functions of their progress, so that every tile
//! of a wall, given the same server time, shows the same camera:
//! - [`eased`]: the desk's short flight (centre and zoom eased in and out
//!   together; `src/map/flight.rs` runs it over 0.6 s).
//! - [`SmoothFlight`]: van Wijk & Nuij's "smooth and efficient zooming and
//!   panning" (IEEE InfoVis 2003), the path d3's `interpolateZoom` uses: it
//!   zooms out while it pans and in at the end, at a constant perceived
//!   speed, for the wall's longer flights across the district.

use crate::projection::{pixels_per_world_unit, World};

/// A camera position: a world centre and a zoom.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct View {
    pub center: World,
    pub zoom: f64,
}

/// Quadratic ease-in-out of `u` in 0–1 (the desk's flight curve).
pub fn ease_in_out(u: f64) -> f64 {
    let u = u.clamp(0.0, 1.0);
    if u < 0.5 {
        2.0 * u * u
    } else {
        1.0 - (-2.0 * u + 2.0).powi(2) / 2.0
    }
}

/// The desk's flight at progress `u` (0–1): centre and zoom eased together.
pub fn eased(from: View, to: View, u: f64) -> View {
    let e = ease_in_out(u);
    View {
        center: World {
            x: from.center.x + (to.center.x - from.center.x) * e,
            y: from.center.y + (to.center.y - from.center.y) * e,
        },
        zoom: from.zoom + (to.zoom - from.zoom) * e,
    }
}

/// The van Wijk–Nuij path from one view to another for a viewport `width`
/// CSS px wide.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SmoothFlight {
    from: View,
    to: View,
    /// Viewport width in px (widths on the path are in world units).
    width: f64,
    /// Distance between the centres, world units.
    d: f64,
    w0: f64,
    r0: f64,
    /// The path's length (in the paper's units: 1 = one viewport width
    /// at the start, zoom and pan combined).
    s: f64,
}

/// The paper's ρ: how much to zoom out while panning (√2 in its user
/// study; d3 uses this value).
pub const RHO: f64 = std::f64::consts::SQRT_2;
const EPS: f64 = 1e-12;

impl SmoothFlight {
    pub fn new(from: View, to: View, width: f64) -> SmoothFlight {
        let width = if width.is_finite() && width > 1.0 {
            width
        } else {
            1.0
        };
        let w_of = |z: f64| width / pixels_per_world_unit(z);
        let (w0, w1) = (w_of(from.zoom), w_of(to.zoom));
        let (dx, dy) = (to.center.x - from.center.x, to.center.y - from.center.y);
        let d = (dx * dx + dy * dy).sqrt();
        let rho2 = RHO * RHO;
        let (r0, s) = if d < EPS {
            (0.0, ((w1 / w0).ln() / RHO).abs())
        } else {
            let b = |w: f64, sign: f64| {
                (w1 * w1 - w0 * w0 + sign * rho2 * rho2 * d * d) / (2.0 * w * rho2 * d)
            };
            let r = |b: f64| ((b * b + 1.0).sqrt() - b).ln();
            let (r0, r1) = (r(b(w0, 1.0)), r(b(w1, -1.0)));
            (r0, (r1 - r0) / RHO)
        };
        SmoothFlight {
            from,
            to,
            width,
            d,
            w0,
            r0,
            s: if s.is_finite() { s } else { 0.0 },
        }
    }

    /// The path's length (0: no move).
    pub fn length(&self) -> f64 {
        self.s
    }

    /// The flight's natural duration at d3's speed (ms), clamped to `min`–`max`.
    pub fn duration_ms(&self, min: f64, max: f64) -> f64 {
        (self.s * 1000.0 * RHO / std::f64::consts::SQRT_2).clamp(min, max)
    }

    /// The view at progress `u` (0–1, along the path at constant speed).
    pub fn at(&self, u: f64) -> View {
        let u = u.clamp(0.0, 1.0);
        if u >= 1.0 {
            return self.to;
        }
        let (from, to) = (self.from, self.to);
        if self.d < EPS {
            let zoom = from.zoom + (to.zoom - from.zoom) * u;
            return View {
                center: World {
                    x: from.center.x + (to.center.x - from.center.x) * u,
                    y: from.center.y + (to.center.y - from.center.y) * u,
                },
                zoom,
            };
        }
        let s = u * self.s;
        let rho2 = RHO * RHO;
        let (c0, s0) = (self.r0.cosh(), self.r0.sinh());
        let along = self.w0 / (rho2 * self.d) * (c0 * (RHO * s + self.r0).tanh() - s0);
        let w = self.w0 * c0 / (RHO * s + self.r0).cosh();
        // `along` is the share of the way between the centres.
        let f = along;
        let zoom = (self.width / w / 256.0).log2();
        View {
            center: World {
                x: from.center.x + (to.center.x - from.center.x) * f,
                y: from.center.y + (to.center.y - from.center.y) * f,
            },
            zoom: if zoom.is_finite() { zoom } else { to.zoom },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::projection::to_world;

    fn view(lon: f64, lat: f64, zoom: f64) -> View {
        View {
            center: to_world(lon, lat),
            zoom,
        }
    }

    #[test]
    fn the_desk_curve_eases_in_and_out() {
        assert_eq!(ease_in_out(0.0), 0.0);
        assert_eq!(ease_in_out(0.5), 0.5);
        assert_eq!(ease_in_out(1.0), 1.0);
        assert!(ease_in_out(0.1) < 0.1 && ease_in_out(0.9) > 0.9);
        assert_eq!(ease_in_out(7.0), 1.0);
        let (a, b) = (view(113.8, 22.6, 11.0), view(113.9, 22.7, 14.0));
        assert_eq!(eased(a, b, 0.0), a);
        assert_eq!(eased(a, b, 1.0), b);
        assert_eq!(eased(a, b, 0.5).zoom, 12.5);
    }

    #[test]
    fn a_smooth_flight_starts_and_ends_on_its_views_and_zooms_out_on_the_way() {
        let (a, b) = (view(113.76, 22.58, 14.0), view(113.95, 22.80, 15.0));
        let f = SmoothFlight::new(a, b, 1920.0);
        let start = f.at(0.0);
        assert!((start.center.x - a.center.x).abs() < 1e-12 && (start.zoom - 14.0).abs() < 1e-9);
        assert_eq!(f.at(1.0), b);
        let mid = f.at(0.5);
        assert!(mid.zoom < 14.0, "zooms out between two close-ups: {mid:?}");
        // Monotonic along the line between the centres.
        let mut prev = -1.0;
        for i in 0..=20 {
            let v = f.at(i as f64 / 20.0);
            let t = (v.center.x - a.center.x) / (b.center.x - a.center.x);
            assert!(
                t >= prev - 1e-12 && (-1e-9..=1.0 + 1e-9).contains(&t),
                "{i}: {t}"
            );
            prev = t;
        }
        // Continuous: small steps in u, small steps in zoom.
        for i in 0..100 {
            let (p, q) = (f.at(i as f64 / 100.0), f.at((i + 1) as f64 / 100.0));
            assert!((p.zoom - q.zoom).abs() < 0.2, "{i}");
        }
        assert!((1000.0..=2500.0).contains(&f.duration_ms(1000.0, 2500.0)));
    }

    #[test]
    fn pure_zoom_and_no_move_are_not_nan() {
        let a = view(113.9, 22.6, 11.0);
        let zoom_in = SmoothFlight::new(a, View { zoom: 15.0, ..a }, 3840.0);
        assert!((zoom_in.at(0.5).zoom - 13.0).abs() < 1e-9);
        assert!(zoom_in.length() > 0.0);
        let still = SmoothFlight::new(a, a, 1920.0);
        assert_eq!(still.length(), 0.0);
        assert_eq!(still.at(0.3), a);
        assert_eq!(still.duration_ms(800.0, 2500.0), 800.0);
        let odd = SmoothFlight::new(a, view(113.95, 22.7, 12.0), f64::NAN);
        assert!(odd.at(0.5).zoom.is_finite());
    }
}
