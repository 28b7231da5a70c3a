//! The command-centre wall (`?mode=wall`), its pure part: the wall's URL
//! parameters ([`WallParams`]) here; the KPI figures and their incremental
//! update ([`kpi`]); the safety index per subdistrict ([`safety`]); the
//! virtual canvas of a wall of several screens and the overlay layout that
//! keeps every box off the seams ([`tiling`]); the focus queue, the tour and
//! the camera at a server time ([`focus`], flights from [`crate::flight`]);
//! the burn-in shift and night dimming ([`screen`]). Everything is a function
//! of its inputs and the server's clock, so every tile of a wall, and the
//! server, compute the same thing; the app (`src/wall/`) only feeds and draws.
//! The method and the choices are in docs/wall.md and docs/safety-index.md.

pub mod focus;
pub mod kpi;
pub mod safety;
pub mod screen;
pub mod tiling;

use crate::viewport::decode_component;
use screen::DimSchedule;

/// Which cases the wall's grid choropleth counts (`?range=`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CaseRange {
    /// Since CST midnight.
    Today,
    /// The last 30 days (the desk's choropleth).
    #[default]
    Days30,
}

impl CaseRange {
    pub fn code(self) -> &'static str {
        match self {
            CaseRange::Today => "today",
            CaseRange::Days30 => "30d",
        }
    }
    pub fn from_code(s: &str) -> Option<CaseRange> {
        [CaseRange::Today, CaseRange::Days30]
            .into_iter()
            .find(|r| r.code() == s)
    }
}

/// Limits of the URL values (a bigger value is a typing error, not a wall).
pub const MAX_GRID: u32 = 8;
pub const MAX_BEZEL_PX: u32 = 400;
pub const TOUR_S: std::ops::RangeInclusive<u32> = 10..=3600;
pub const FOCUS_S: std::ops::RangeInclusive<u32> = 5..=600;
/// Seconds an item holds the focus when `focus=` is absent.
pub const DEFAULT_FOCUS_S: u32 = 30;
/// The group of a wall without `group=`.
pub const DEFAULT_GROUP: &str = "default";
/// Longest group name, in characters.
pub const MAX_GROUP_CHARS: usize = 40;

/// What a wall's URL says: `?mode=wall&grid=CxR&tile=c,r&bezel=PX&group=NAME
/// &tour=SECONDS&focus=SECONDS&dim=22:00-07:00@0.5&range=today|30d`.
/// The camera and language parameters are [`crate::viewport::ViewState`]'s.
#[derive(Clone, Debug, PartialEq)]
pub struct WallParams {
    /// Screens across and down (1×1: a single screen).
    pub cols: u32,
    pub rows: u32,
    /// This tile's column and row, from 0 at the top left.
    pub tile_col: u32,
    pub tile_row: u32,
    /// The gap between two screens' pictures, in CSS px of one tile.
    pub bezel_px: u32,
    /// The wall group scenes are pushed to.
    pub group: String,
    /// Seconds per tour stop; `None`: no tour.
    pub tour_s: Option<u32>,
    /// Seconds an alarm or urgent case holds the focus.
    pub focus_s: u32,
    pub dim: Option<DimSchedule>,
    pub range: CaseRange,
}

impl Default for WallParams {
    fn default() -> Self {
        WallParams {
            cols: 1,
            rows: 1,
            tile_col: 0,
            tile_row: 0,
            bezel_px: 0,
            group: DEFAULT_GROUP.to_string(),
            tour_s: None,
            focus_s: DEFAULT_FOCUS_S,
            dim: None,
            range: CaseRange::default(),
        }
    }
}

/// Whether `name` may name a wall group: 1–40 characters, each a letter or
/// digit of any script (CJK included), `-` or `_`.
pub fn valid_group(name: &str) -> bool {
    let n = name.chars().count();
    (1..=MAX_GROUP_CHARS).contains(&n)
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
}

fn pair(v: &str, sep: char) -> Option<(u32, u32)> {
    let (a, b) = v.split_once(sep)?;
    Some((a.trim().parse().ok()?, b.trim().parse().ok()?))
}

fn in_range(v: &str, r: &std::ops::RangeInclusive<u32>) -> Option<u32> {
    v.parse::<u32>().ok().filter(|x| r.contains(x))
}

impl WallParams {
    /// Parses a query string (with or without the leading `?`). Never fails:
    /// a bad value is listed in the problems (in words, for the screen) and
    /// its default kept; parameters that are not the wall's are ignored.
    pub fn parse(query: &str) -> (WallParams, Vec<String>) {
        let mut p = WallParams::default();
        let mut problems = Vec::new();
        let mut tile = None;
        for item in query
            .trim_start_matches('?')
            .split('&')
            .filter(|s| !s.is_empty())
        {
            let (k, v) = item.split_once('=').unwrap_or((item, ""));
            let v = decode_component(v).trim().to_string();
            match k {
                "grid" => match pair(&v.to_ascii_lowercase(), 'x') {
                    Some((c, r)) if (1..=MAX_GRID).contains(&c) && (1..=MAX_GRID).contains(&r) => {
                        (p.cols, p.rows) = (c, r)
                    }
                    _ => problems.push(format!(
                        "grid={v}: expected COLSxROWS, each 1 to {MAX_GRID} (e.g. 2x2)"
                    )),
                },
                "tile" => match pair(&v, ',') {
                    Some(t) => tile = Some((t, v.clone())),
                    None => problems.push(format!("tile={v}: expected COL,ROW from 0 (e.g. 1,0)")),
                },
                "bezel" => match in_range(&v, &(0..=MAX_BEZEL_PX)) {
                    Some(b) => p.bezel_px = b,
                    None => problems.push(format!(
                        "bezel={v}: expected whole CSS px, 0 to {MAX_BEZEL_PX}"
                    )),
                },
                "group" => {
                    if valid_group(&v) {
                        p.group = v;
                    } else {
                        problems.push(format!(
                            "group={v}: expected 1 to {MAX_GROUP_CHARS} letters, digits, - or _"
                        ));
                    }
                }
                "tour" => match v.as_str() {
                    "0" | "off" => p.tour_s = None,
                    _ => match in_range(&v, &TOUR_S) {
                        Some(s) => p.tour_s = Some(s),
                        None => problems.push(format!(
                            "tour={v}: expected seconds per stop, {} to {} (0 or off: no tour)",
                            TOUR_S.start(),
                            TOUR_S.end()
                        )),
                    },
                },
                "focus" => match in_range(&v, &FOCUS_S) {
                    Some(s) => p.focus_s = s,
                    None => problems.push(format!(
                        "focus={v}: expected seconds, {} to {}",
                        FOCUS_S.start(),
                        FOCUS_S.end()
                    )),
                },
                "dim" => match DimSchedule::parse(&v) {
                    Ok(d) => p.dim = Some(d),
                    Err(e) => problems.push(format!("dim={v}: {e}")),
                },
                "range" => match CaseRange::from_code(&v) {
                    Some(r) => p.range = r,
                    None => problems.push(format!("range={v}: expected today or 30d")),
                },
                // Applied by the address's view (`viewport`); a wall names
                // a bad one, as nobody at it would see why it is Chinese.
                "lang" if crate::domain::Lang::from_code(&v).is_none() => {
                    problems.push(format!("lang={v}: expected zh or en"))
                }
                _ => {}
            }
        }
        // The tile is checked against the grid, whatever their order.
        if let Some(((c, r), text)) = tile {
            if c < p.cols && r < p.rows {
                (p.tile_col, p.tile_row) = (c, r);
            } else {
                problems.push(format!(
                    "tile={text}: outside the {}x{} grid (columns 0–{}, rows 0–{})",
                    p.cols,
                    p.rows,
                    p.cols - 1,
                    p.rows - 1
                ));
            }
        }
        (p, problems)
    }

    /// Whether this wall spans several screens.
    pub fn is_spanning(&self) -> bool {
        self.cols * self.rows > 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_wall_url_gives_one_screen_and_the_defaults() {
        let (p, problems) = WallParams::parse("?mode=wall");
        assert_eq!(p, WallParams::default());
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!((p.cols, p.rows, p.group.as_str()), (1, 1, "default"));
        assert!(!p.is_spanning());
    }

    #[test]
    fn every_parameter_is_read() {
        let (p, problems) = WallParams::parse(
            "mode=wall&grid=2x2&tile=1,0&bezel=12&group=%E6%8C%87%E6%8C%A5%E5%A4%A7%E5%8E%85&tour=60&focus=20&dim=22:00-07:00@0.5&range=today&c=113.9,22.6",
        );
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!((p.cols, p.rows, p.tile_col, p.tile_row), (2, 2, 1, 0));
        assert_eq!(p.bezel_px, 12);
        assert_eq!(p.group, "指挥大厅");
        assert_eq!((p.tour_s, p.focus_s), (Some(60), 20));
        assert_eq!(p.dim.unwrap().to_string(), "22:00-07:00@0.5");
        assert_eq!(p.range, CaseRange::Today);
        assert!(p.is_spanning());
        assert!(WallParams::parse("lang=en").1.is_empty());
        // The tile may come before the grid; upper case X is fine.
        let (p, problems) = WallParams::parse("tile=2,0&grid=3X1&tour=off");
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!((p.cols, p.tile_col, p.tour_s), (3, 2, None));
    }

    #[test]
    fn bad_values_are_listed_and_keep_their_defaults() {
        let (p, problems) = WallParams::parse(
            "grid=0x2&tile=a,b&bezel=-3&group=a%20b&tour=5&focus=9999&dim=late&range=week&lang=xx",
        );
        assert_eq!(p, WallParams::default());
        assert_eq!(problems.len(), 9, "{problems:#?}");
        for (p, key) in problems.iter().zip([
            "grid=", "tile=", "bezel=", "group=", "tour=", "focus=", "dim=", "range=", "lang=",
        ]) {
            assert!(p.starts_with(key), "{p}");
        }
        // A tile outside its grid.
        let (p, problems) = WallParams::parse("grid=2x1&tile=0,1");
        assert_eq!((p.cols, p.tile_col, p.tile_row), (2, 0, 0));
        assert_eq!(
            problems,
            ["tile=0,1: outside the 2x1 grid (columns 0–1, rows 0–0)"]
        );
        // Nothing from outside panics.
        for q in [
            "%%%",
            "grid=x",
            "grid=99999999999x1",
            "tile=,",
            "dim=@",
            "=&&=",
            "group=",
        ] {
            let _ = WallParams::parse(q);
        }
    }

    #[test]
    fn group_names_are_letters_digits_dash_underscore_or_cjk() {
        for ok in [
            "default",
            "指挥大厅",
            "wall-2_B",
            "西乡街道综治中心",
            &"a".repeat(40),
        ] {
            assert!(valid_group(ok), "{ok}");
        }
        for bad in ["", "a b", "a/b", "..", "a.b", "x?", &"字".repeat(41), "🙂"] {
            assert!(!valid_group(bad), "{bad}");
        }
        assert!(valid_group(&"字".repeat(40)), "characters, not bytes");
    }
}
