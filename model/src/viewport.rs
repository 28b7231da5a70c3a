//! The map camera and the shareable view state, kept pure so that pan/zoom
//! maths and URL parsing are tested natively.
//!
//! The camera looks at a centre in world coordinates (see `projection`) at a
//! fractional zoom; screen coordinates are CSS pixels from the top-left.

use crate::domain::Lang;
use crate::index::Bbox;
use crate::projection::{
    metres_per_world_unit, pixels_per_world_unit, to_lonlat, to_world, World, MAX_LAT,
};

pub const MIN_ZOOM: f64 = 8.0;
pub const MAX_ZOOM: f64 = 19.0;

/// The WGS84 bounding box of Bao'an district ([min lon, min lat], [max lon, max lat]).
/// Covers the district outline and the 10 subdistricts; checked against
/// data/boundaries/ by a test.
pub const DISTRICT_LONLAT_BBOX: ([f64; 2], [f64; 2]) = ([113.7325, 22.5175], [113.9755, 22.8650]);

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Camera {
    pub center: World,
    pub zoom: f64,
    /// Viewport size in CSS pixels.
    pub width: f64,
    pub height: f64,
}

impl Camera {
    pub fn scale(&self) -> f64 {
        pixels_per_world_unit(self.zoom)
    }
    pub fn to_screen(&self, w: [f64; 2]) -> [f64; 2] {
        let s = self.scale();
        [
            (w[0] - self.center.x) * s + self.width / 2.0,
            (w[1] - self.center.y) * s + self.height / 2.0,
        ]
    }
    pub fn to_world(&self, p: [f64; 2]) -> [f64; 2] {
        let s = self.scale();
        [
            (p[0] - self.width / 2.0) / s + self.center.x,
            (p[1] - self.height / 2.0) / s + self.center.y,
        ]
    }
    /// The visible world box, grown by `margin_px` on every side.
    pub fn world_bbox(&self, margin_px: f64) -> Bbox {
        let a = self.to_world([-margin_px, -margin_px]);
        let b = self.to_world([self.width + margin_px, self.height + margin_px]);
        Bbox::new(a, b)
    }
    /// Moves the view by a screen-space drag of (dx, dy) pixels.
    pub fn pan_by(&mut self, dx: f64, dy: f64) {
        let s = self.scale();
        self.center.x = (self.center.x - dx / s).clamp(0.0, 1.0);
        self.center.y = (self.center.y - dy / s).clamp(0.0, 1.0);
    }
    /// Zooms by `dz` keeping the world point under screen point `anchor` fixed.
    pub fn zoom_at(&mut self, dz: f64, anchor: [f64; 2]) {
        let before = self.to_world(anchor);
        self.zoom = (self.zoom + dz).clamp(MIN_ZOOM, MAX_ZOOM);
        let after = self.to_world(anchor);
        self.center.x = (self.center.x + before[0] - after[0]).clamp(0.0, 1.0);
        self.center.y = (self.center.y + before[1] - after[1]).clamp(0.0, 1.0);
    }
    /// Centres and zooms so that the lon/lat box fits with `padding_px`.
    pub fn fit_lonlat(&mut self, min: [f64; 2], max: [f64; 2], padding_px: f64) {
        let a = to_world(min[0], max[1]);
        let b = to_world(max[0], min[1]);
        self.center = World {
            x: (a.x + b.x) / 2.0,
            y: (a.y + b.y) / 2.0,
        };
        let avail_w = (self.width - 2.0 * padding_px).max(1.0);
        let avail_h = (self.height - 2.0 * padding_px).max(1.0);
        let s = (avail_w / (b.x - a.x).max(1e-12)).min(avail_h / (b.y - a.y).max(1e-12));
        self.zoom = (s / 256.0).log2().clamp(MIN_ZOOM, MAX_ZOOM);
    }
    /// Ground metres per CSS pixel at the view centre.
    pub fn metres_per_pixel(&self) -> f64 {
        let (_, lat) = to_lonlat(self.center);
        metres_per_world_unit(lat) / self.scale()
    }
    pub fn center_lonlat(&self) -> (f64, f64) {
        to_lonlat(self.center)
    }
}

/// A scale bar: the longest "nice" ground length (1, 2 or 5 × 10ⁿ metres)
/// whose bar fits in `max_px`; returns (metres, bar width in px, label).
pub fn scale_bar(metres_per_px: f64, max_px: f64) -> (f64, f64, String) {
    let max_m = metres_per_px * max_px;
    let mut nice = 1.0;
    let mut p = 1.0;
    while p * 10.0 <= max_m {
        p *= 10.0;
    }
    for m in [1.0, 2.0, 5.0] {
        if m * p <= max_m {
            nice = m * p;
        }
    }
    let label = if nice >= 1000.0 {
        format!("{} km", nice / 1000.0)
    } else {
        format!("{nice} m")
    };
    (nice, nice / metres_per_px, label)
}

/// The app's whole layout: the desk (today's), the command-centre wall, the
/// officer's phone, the planner. Chosen by `?mode=`; only the desk layout
/// exists so far, the others fall back to it in the app.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Mode {
    #[default]
    Desk,
    Wall,
    Field,
    Plan,
}

impl Mode {
    pub const ALL: [Mode; 4] = [Mode::Desk, Mode::Wall, Mode::Field, Mode::Plan];

    /// The URL code (`?mode=`).
    pub fn code(self) -> &'static str {
        match self {
            Mode::Desk => "desk",
            Mode::Wall => "wall",
            Mode::Field => "field",
            Mode::Plan => "plan",
        }
    }

    pub fn from_code(code: &str) -> Option<Mode> {
        Mode::ALL.into_iter().find(|m| m.code() == code)
    }
}

/// What the URL carries: `?c=<lon>,<lat>&z=<zoom>&l=<ids>&lang=zh|en&mode=<mode>`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ViewState {
    pub center: Option<(f64, f64)>,
    pub zoom: Option<f64>,
    /// `None`: the catalogue's defaults. `Some(vec![])`: nothing visible.
    pub layers: Option<Vec<String>>,
    pub lang: Option<Lang>,
    /// The layout; an unknown `mode=` is a problem and leaves the default.
    pub mode: Mode,
    /// Parameters that were present but invalid, with why (shown, not fatal).
    pub problems: Vec<String>,
}

/// Percent-decodes one query-string value (`+` is a space; bad escapes stay).
pub(crate) fn decode_component(s: &str) -> String {
    // Minimal percent-decoding for ',' and friends; invalid escapes stay as-is.
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Some(v) = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(if bytes[i] == b'+' { b' ' } else { bytes[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl ViewState {
    /// Parses a query string (with or without the leading `?`). Never fails:
    /// bad parameters are reported in `problems` and ignored.
    pub fn parse(query: &str, known_layer: impl Fn(&str) -> bool) -> ViewState {
        let mut vs = ViewState::default();
        for pair in query
            .trim_start_matches('?')
            .split('&')
            .filter(|p| !p.is_empty())
        {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let v = decode_component(v).trim().to_string();
            match k {
                "c" => {
                    let parts: Vec<Option<f64>> =
                        v.split(',').map(|x| x.trim().parse::<f64>().ok()).collect();
                    match parts.as_slice() {
                        [Some(lon), Some(lat)]
                            if lon.is_finite()
                                && lat.is_finite()
                                && (-180.0..=180.0).contains(lon)
                                && (-85.1..=85.1).contains(lat) =>
                        {
                            // Links are written with 5 decimals: allow that rounding past
                            // the Mercator limit and clamp.
                            vs.center = Some((*lon, lat.clamp(-MAX_LAT, MAX_LAT)))
                        }
                        _ => vs
                            .problems
                            .push(format!("c={v}: expected <lon>,<lat> in degrees")),
                    }
                }
                "z" => match v.parse::<f64>() {
                    Ok(z) if z.is_finite() => vs.zoom = Some(z.clamp(MIN_ZOOM, MAX_ZOOM)),
                    _ => vs.problems.push(format!("z={v}: expected a number")),
                },
                "l" => {
                    let mut ids = Vec::new();
                    for id in v.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                        if known_layer(id) {
                            if !ids.iter().any(|x: &String| x == id) {
                                ids.push(id.to_string());
                            }
                        } else {
                            vs.problems.push(format!("l: unknown layer \"{id}\""));
                        }
                    }
                    vs.layers = Some(ids);
                }
                "lang" => match Lang::from_code(&v) {
                    Some(l) => vs.lang = Some(l),
                    None => vs.problems.push(format!("lang={v}: expected zh or en")),
                },
                "mode" => match Mode::from_code(&v) {
                    Some(m) => vs.mode = m,
                    None => vs
                        .problems
                        .push(format!("mode={v}: expected desk, wall, field or plan")),
                },
                _ => {}
            }
        }
        vs
    }

    /// The query string for a view in the default mode (always complete, so
    /// links are stable).
    pub fn to_query(lon: f64, lat: f64, zoom: f64, layers: &[&str], lang: Lang) -> String {
        ViewState::to_query_in(Mode::Desk, lon, lat, zoom, layers, lang)
    }

    /// The query string for a view in `mode`; the default mode is not written.
    pub fn to_query_in(
        mode: Mode,
        lon: f64,
        lat: f64,
        zoom: f64,
        layers: &[&str],
        lang: Lang,
    ) -> String {
        let mut q = format!(
            "?c={lon:.5},{lat:.5}&z={zoom:.2}&l={}&lang={}",
            layers.join(","),
            lang.code()
        );
        if mode != Mode::Desk {
            q.push_str("&mode=");
            q.push_str(mode.code());
        }
        q
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cam() -> Camera {
        Camera {
            center: to_world(113.85, 22.65),
            zoom: 12.0,
            width: 1920.0,
            height: 1080.0,
        }
    }

    #[test]
    fn screen_world_round_trip_and_centre() {
        let c = cam();
        let mid = c.to_screen([c.center.x, c.center.y]);
        assert_eq!(mid, [960.0, 540.0]);
        let p = [123.0, 456.0];
        let back = c.to_screen(c.to_world(p));
        assert!((back[0] - p[0]).abs() < 1e-6 && (back[1] - p[1]).abs() < 1e-6);
    }

    #[test]
    fn zoom_keeps_anchor_fixed() {
        let mut c = cam();
        let anchor = [300.0, 200.0];
        let w = c.to_world(anchor);
        c.zoom_at(1.5, anchor);
        assert_eq!(c.zoom, 13.5);
        let s = c.to_screen(w);
        assert!(
            (s[0] - 300.0).abs() < 1e-6 && (s[1] - 200.0).abs() < 1e-6,
            "{s:?}"
        );
        c.zoom_at(100.0, anchor);
        assert_eq!(c.zoom, MAX_ZOOM);
    }

    #[test]
    fn pan_moves_content_with_the_pointer() {
        let mut c = cam();
        let w = c.to_world([500.0, 500.0]);
        c.pan_by(40.0, -25.0);
        let s = c.to_screen(w);
        assert!((s[0] - 540.0).abs() < 1e-6 && (s[1] - 475.0).abs() < 1e-6);
    }

    #[test]
    fn fit_shows_the_whole_district() {
        let mut c = cam();
        let (min, max) = DISTRICT_LONLAT_BBOX;
        c.fit_lonlat(min, max, 20.0);
        for (lon, lat) in [(min[0], min[1]), (max[0], max[1])] {
            let w = to_world(lon, lat);
            let s = c.to_screen([w.x, w.y]);
            assert!(
                s[0] >= 19.9 && s[0] <= 1900.1 && s[1] >= 19.9 && s[1] <= 1060.1,
                "{s:?}"
            );
        }
        // The district is taller than wide: it fills the height.
        let top = c.to_screen([0.0, to_world(0.0, max[1]).y])[1];
        assert!((top - 20.0).abs() < 1e-6, "{top}");
    }

    #[test]
    fn scale_bar_is_nice_and_fits() {
        let (m, px, label) = scale_bar(10.0, 120.0);
        assert_eq!((m, label.as_str()), (1000.0, "1 km"));
        assert!((px - 100.0).abs() < 1e-9);
        let (m, _, label) = scale_bar(3.0, 120.0);
        assert_eq!((m, label.as_str()), (200.0, "200 m"));
        let (m, _, label) = scale_bar(0.09, 120.0);
        assert_eq!((m, label.as_str()), (10.0, "10 m"));
        // Zooming in by one level halves metres per pixel and changes the bar.
        let c = cam();
        let mut c2 = c;
        c2.zoom += 1.0;
        assert!((c.metres_per_pixel() / c2.metres_per_pixel() - 2.0).abs() < 1e-9);
    }

    #[test]
    fn view_state_parses_and_reports_problems() {
        let known = |id: &str| ["grids", "hazards"].contains(&id);
        let vs = ViewState::parse(
            "?c=113.9%2C22.6&z=14.5&l=hazards,bogus,hazards&lang=en",
            known,
        );
        assert_eq!(vs.center, Some((113.9, 22.6)));
        assert_eq!(vs.zoom, Some(14.5));
        assert_eq!(vs.layers, Some(vec!["hazards".to_string()]));
        assert_eq!(vs.lang, Some(Lang::En));
        assert_eq!(vs.problems, vec!["l: unknown layer \"bogus\"".to_string()]);
        let bad = ViewState::parse("c=abc&z=NaN&lang=fr&l=", known);
        assert_eq!(bad.center, None);
        assert_eq!(bad.zoom, None);
        assert_eq!(bad.layers, Some(vec![]));
        assert_eq!(bad.problems.len(), 3, "{:?}", bad.problems);
        // '+' is a space in a query string; values are trimmed.
        assert_eq!(ViewState::parse("z=+14", known).zoom, Some(14.0));
        // A view at the map's north edge round-trips.
        let edge = ViewState::to_query(113.9, MAX_LAT, 10.0, &[], Lang::Zh);
        assert!(ViewState::parse(&edge, known).center.is_some(), "{edge}");
        let z = ViewState::parse("z=99", known);
        assert_eq!(z.zoom, Some(MAX_ZOOM));
        assert_eq!(ViewState::parse("%%%&=&c=%zz", known).center, None);
        let q = ViewState::to_query(113.85, 22.65, 12.0, &["grids", "hazards"], Lang::Zh);
        assert_eq!(q, "?c=113.85000,22.65000&z=12.00&l=grids,hazards&lang=zh");
        let back = ViewState::parse(&q, known);
        assert_eq!(back.center, Some((113.85, 22.65)));
    }

    #[test]
    fn the_mode_is_parsed_defaults_to_desk_and_is_written_only_when_not_default() {
        let known = |_: &str| true;
        assert_eq!(ViewState::parse("", known).mode, Mode::Desk);
        for m in Mode::ALL {
            let vs = ViewState::parse(&format!("?mode={}", m.code()), known);
            assert_eq!((vs.mode, vs.problems.len()), (m, 0), "{m:?}");
        }
        let bad = ViewState::parse("?z=12&mode=kiosk", known);
        assert_eq!(bad.mode, Mode::Desk);
        assert_eq!(bad.zoom, Some(12.0), "the other parameters still apply");
        assert_eq!(
            bad.problems,
            vec!["mode=kiosk: expected desk, wall, field or plan".to_string()]
        );
        let desk = ViewState::to_query_in(Mode::Desk, 113.85, 22.65, 12.0, &["grids"], Lang::Zh);
        assert!(!desk.contains("mode"), "{desk}");
        let wall = ViewState::to_query_in(Mode::Wall, 113.85, 22.65, 12.0, &["grids"], Lang::En);
        assert!(wall.ends_with("&mode=wall"), "{wall}");
        assert_eq!(ViewState::parse(&wall, known).mode, Mode::Wall);
    }
}
