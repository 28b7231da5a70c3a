//! One wall over several screens: the virtual canvas (cols × tile px +
//! (cols − 1) × bezel, the same down), each tile's origin in it, the seams
//! (the bezel strips between tiles), each tile's camera from the wall's
//! camera, and the layout of the overlay boxes (KPI band, safety ranking,
//! case flow, hourly chart, alert ticker, focus callout) on the virtual
//! canvas, each inside one tile, never across a seam, none over another.
//! Also the wall's UI scale and text sizes: at 1080p no text under 20 px and
//! KPI figures of at least 48 px; at 4K twice the CSS px (the same apparent
//! size).
//!
//! Layouts are designed at 1920 × 1080 and laid out by the canvas's shape:
//! *landscape* (the 16:9 screens, and 2×2 walls of them), *wide* (32:9,
//! 3840 × 1080 or 2×1 walls: the chart beside the case flow) and *portrait*
//! (1080 × 1920: panels under the map, the KPI band in two rows).

use super::WallParams;
use crate::projection::World;
use crate::viewport::Camera;

/// A rectangle in CSS px of the virtual canvas (or of a tile).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Rect {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

const EPS: f64 = 1e-6;

impl Rect {
    pub fn new(x: f64, y: f64, w: f64, h: f64) -> Rect {
        Rect { x, y, w, h }
    }
    pub fn right(&self) -> f64 {
        self.x + self.w
    }
    pub fn bottom(&self) -> f64 {
        self.y + self.h
    }
    pub fn centre(&self) -> [f64; 2] {
        [self.x + self.w / 2.0, self.y + self.h / 2.0]
    }
    pub fn area(&self) -> f64 {
        self.w.max(0.0) * self.h.max(0.0)
    }
    /// The common part, if it has an area.
    pub fn intersect(&self, o: &Rect) -> Option<Rect> {
        let x = self.x.max(o.x);
        let y = self.y.max(o.y);
        let r = self.right().min(o.right());
        let b = self.bottom().min(o.bottom());
        (r - x > EPS && b - y > EPS).then(|| Rect::new(x, y, r - x, b - y))
    }
    pub fn overlaps(&self, o: &Rect) -> bool {
        self.intersect(o).is_some()
    }
    /// Whether `o` lies inside (edges may touch).
    pub fn contains(&self, o: &Rect) -> bool {
        o.x >= self.x - EPS
            && o.y >= self.y - EPS
            && o.right() <= self.right() + EPS
            && o.bottom() <= self.bottom() + EPS
    }
    pub fn contains_point(&self, p: [f64; 2]) -> bool {
        p[0] >= self.x && p[0] <= self.right() && p[1] >= self.y && p[1] <= self.bottom()
    }
    /// Shrunk by `d` on every side.
    pub fn inset(&self, d: f64) -> Rect {
        Rect::new(
            self.x + d,
            self.y + d,
            (self.w - 2.0 * d).max(0.0),
            (self.h - 2.0 * d).max(0.0),
        )
    }
    /// Grown by `d` on every side.
    pub fn outset(&self, d: f64) -> Rect {
        Rect::new(self.x - d, self.y - d, self.w + 2.0 * d, self.h + 2.0 * d)
    }
    /// Moved by (dx, dy).
    pub fn shifted(&self, dx: f64, dy: f64) -> Rect {
        Rect::new(self.x + dx, self.y + dy, self.w, self.h)
    }
}

/// The wall's UI scale for a screen (tile) of `w` × `h` CSS px: its short
/// side against 1080, in 1–2. A 3840 × 1080 screen is two 1080p screens
/// wide (scale 1); 3840 × 2160 is 4K (2); 1080 × 1920 a 1080p screen on its
/// side (1).
pub fn ui_scale(w: f64, h: f64) -> f64 {
    crate::lod::ui_scale(w, h)
}

/// The wall's text sizes in CSS px for a UI scale.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WallText {
    /// Captions, units, the typical beside a figure.
    pub label: f64,
    /// Rows of the ranking and the case flow.
    pub body: f64,
    /// Box titles.
    pub title: f64,
    /// The alert ticker.
    pub ticker: f64,
    /// KPI figures.
    pub figure: f64,
    /// The callout's title and its lines.
    pub callout_title: f64,
    pub callout_body: f64,
}

impl WallText {
    /// At 1080p (scale 1): nothing under 20 px, figures 56 px.
    pub const DESIGN: WallText = WallText {
        label: 20.0,
        body: 24.0,
        title: 28.0,
        ticker: 32.0,
        figure: 56.0,
        callout_title: 40.0,
        callout_body: 28.0,
    };
    pub fn at(ui: f64) -> WallText {
        let d = WallText::DESIGN;
        WallText {
            label: d.label * ui,
            body: d.body * ui,
            title: d.title * ui,
            ticker: d.ticker * ui,
            figure: d.figure * ui,
            callout_title: d.callout_title * ui,
            callout_body: d.callout_body * ui,
        }
    }
    pub fn smallest(&self) -> f64 {
        [
            self.label,
            self.body,
            self.title,
            self.ticker,
            self.figure,
            self.callout_title,
            self.callout_body,
        ]
        .into_iter()
        .fold(f64::INFINITY, f64::min)
    }
}

/// A wall of `cols` × `rows` tiles of `tile_w` × `tile_h` CSS px with
/// `bezel` px between two tiles' pictures.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tiling {
    pub cols: u32,
    pub rows: u32,
    pub tile_w: f64,
    pub tile_h: f64,
    pub bezel: f64,
}

impl Tiling {
    pub fn single(w: f64, h: f64) -> Tiling {
        Tiling {
            cols: 1,
            rows: 1,
            tile_w: w,
            tile_h: h,
            bezel: 0.0,
        }
    }
    /// The wall of a URL, for this browser's viewport (one tile).
    pub fn of(p: &WallParams, tile_w: f64, tile_h: f64) -> Tiling {
        Tiling {
            cols: p.cols.max(1),
            rows: p.rows.max(1),
            tile_w,
            tile_h,
            bezel: f64::from(p.bezel_px),
        }
    }
    /// The virtual canvas's width and height.
    pub fn virtual_size(&self) -> (f64, f64) {
        let (c, r) = (f64::from(self.cols), f64::from(self.rows));
        (
            c * self.tile_w + (c - 1.0) * self.bezel,
            r * self.tile_h + (r - 1.0) * self.bezel,
        )
    }
    pub fn canvas(&self) -> Rect {
        let (w, h) = self.virtual_size();
        Rect::new(0.0, 0.0, w, h)
    }
    /// Where tile (col, row) starts on the virtual canvas.
    pub fn origin(&self, col: u32, row: u32) -> (f64, f64) {
        (
            f64::from(col) * (self.tile_w + self.bezel),
            f64::from(row) * (self.tile_h + self.bezel),
        )
    }
    pub fn tile_rect(&self, col: u32, row: u32) -> Rect {
        let (x, y) = self.origin(col, row);
        Rect::new(x, y, self.tile_w, self.tile_h)
    }
    /// Every tile with its rectangle, row by row.
    pub fn tiles(&self) -> impl Iterator<Item = (u32, u32, Rect)> + '_ {
        (0..self.rows).flat_map(move |r| (0..self.cols).map(move |c| (c, r, self.tile_rect(c, r))))
    }
    /// The seams: the bezel strips between columns (full height) and
    /// between rows (full width); 0 px wide when there is no bezel.
    pub fn seams(&self) -> Vec<Rect> {
        let (w, h) = self.virtual_size();
        let mut out = vec![];
        for c in 1..self.cols {
            let x = self.origin(c, 0).0 - self.bezel;
            out.push(Rect::new(x, 0.0, self.bezel, h));
        }
        for r in 1..self.rows {
            let y = self.origin(0, r).1 - self.bezel;
            out.push(Rect::new(0.0, y, w, self.bezel));
        }
        out
    }
    /// Whether a box crosses a seam: reaches into a bezel strip, or
    /// straddles a 0 px seam (touching one is not crossing).
    pub fn crosses_seam(&self, b: &Rect) -> bool {
        let across = |lo: f64, hi: f64, at: f64| lo < at + self.bezel - EPS && hi > at + EPS;
        (1..self.cols).any(|c| across(b.x, b.right(), self.origin(c, 0).0 - self.bezel))
            || (1..self.rows).any(|r| across(b.y, b.bottom(), self.origin(0, r).1 - self.bezel))
    }
    /// The tile that holds the whole box, if one does.
    pub fn tile_of(&self, b: &Rect) -> Option<(u32, u32)> {
        self.tiles()
            .find(|(_, _, t)| t.contains(b))
            .map(|(c, r, _)| (c, r))
    }
    /// The tile a point is in (the nearest for a point in a seam, left or
    /// top first).
    pub fn tile_at(&self, p: [f64; 2]) -> (u32, u32) {
        let pick = |v: f64, size: f64, n: u32| {
            let n = n.max(1);
            let step = (size + self.bezel).max(1.0);
            let i = (v / step).floor().clamp(0.0, f64::from(n - 1));
            let within = v - i * step;
            // In the bezel after tile i: the nearer of i and i + 1.
            if within > size + self.bezel / 2.0 && (i as u32) + 1 < n {
                i as u32 + 1
            } else {
                i as u32
            }
        };
        (
            pick(p[0], self.tile_w, self.cols),
            pick(p[1], self.tile_h, self.rows),
        )
    }
    /// The UI scale of the wall's screens.
    pub fn ui_scale(&self) -> f64 {
        ui_scale(self.tile_w, self.tile_h)
    }
    /// The wall's camera: `center` at the virtual canvas's centre.
    pub fn wall_camera(&self, center: World, zoom: f64) -> Camera {
        let (w, h) = self.virtual_size();
        Camera {
            center,
            zoom,
            width: w,
            height: h,
        }
    }
    /// The camera of tile (col, row): the wall camera's window at the
    /// tile's origin, so that a world point is at the same virtual pixel on
    /// every tile (its tile pixel = virtual pixel − origin).
    pub fn tile_camera(&self, wall: &Camera, col: u32, row: u32) -> Camera {
        let t = self.tile_rect(col, row);
        let c = wall.to_world(t.centre());
        Camera {
            center: World { x: c[0], y: c[1] },
            zoom: wall.zoom,
            width: self.tile_w,
            height: self.tile_h,
        }
    }
}

/// The overlay boxes of the wall.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BoxId {
    KpiBand,
    Ranking,
    CaseFlow,
    Chart,
    Ticker,
    Callout,
}

impl BoxId {
    pub const ALL: [BoxId; 6] = [
        BoxId::KpiBand,
        BoxId::Ranking,
        BoxId::CaseFlow,
        BoxId::Chart,
        BoxId::Ticker,
        BoxId::Callout,
    ];
    /// For element ids and test ids (`wall-kpi`, …).
    pub fn code(self) -> &'static str {
        match self {
            BoxId::KpiBand => "kpi",
            BoxId::Ranking => "ranking",
            BoxId::CaseFlow => "flow",
            BoxId::Chart => "chart",
            BoxId::Ticker => "ticker",
            BoxId::Callout => "callout",
        }
    }
    /// The smallest size its content needs, in design px (× UI scale).
    pub fn min_size(self) -> (f64, f64) {
        match self {
            BoxId::KpiBand => (1000.0, 140.0),
            BoxId::Ranking => (400.0, 480.0),
            BoxId::CaseFlow => (400.0, 300.0),
            BoxId::Chart => (400.0, 200.0),
            BoxId::Ticker => (1000.0, 64.0),
            BoxId::Callout => (520.0, 240.0),
        }
    }
}

/// The canvas's shape, which picks the arrangement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    Landscape,
    Wide,
    Portrait,
}

impl Shape {
    pub fn of(w: f64, h: f64) -> Shape {
        let a = w / h.max(1.0);
        if a >= 2.4 {
            Shape::Wide
        } else if a >= 1.0 {
            Shape::Landscape
        } else {
            Shape::Portrait
        }
    }
}

/// Where the overlays go on the virtual canvas.
#[derive(Clone, Debug, PartialEq)]
pub struct Layout {
    pub shape: Shape,
    pub ui: f64,
    /// Rows of figures in the KPI band (2 in portrait).
    pub kpi_rows: u32,
    pub boxes: Vec<(BoxId, Rect)>,
    /// Where a focused item is put on the virtual canvas (beside the
    /// callout, inside one tile, clear of every box): the focus camera
    /// centres the item here.
    pub focus_anchor: [f64; 2],
    /// The part of the canvas between the boxes where the map is seen:
    /// overview and tour stops fit into it.
    pub map_area: Rect,
}

impl Layout {
    pub fn get(&self, id: BoxId) -> Option<Rect> {
        self.boxes.iter().find(|(b, _)| *b == id).map(|(_, r)| *r)
    }
    /// The boxes of tile (col, row), in the tile's own px.
    pub fn in_tile(&self, t: &Tiling, col: u32, row: u32) -> Vec<(BoxId, Rect)> {
        let tile = t.tile_rect(col, row);
        self.boxes
            .iter()
            .filter(|(_, r)| tile.contains(r))
            .map(|(b, r)| (*b, r.shifted(-tile.x, -tile.y)))
            .collect()
    }
}

/// Design sizes (× UI scale).
const MARGIN: f64 = 24.0;
const GAP: f64 = 16.0;
const BAND_H: f64 = 150.0;
const TICKER_H: f64 = 72.0;
const RANK_W: f64 = 440.0;
const RANK_H: f64 = 560.0;
const FLOW_W: f64 = 480.0;
const CHART_W: f64 = 520.0;
const CHART_H: f64 = 260.0;
const CALLOUT: (f64, f64) = (600.0, 280.0);
/// How far the callout keeps from the focused item (its pulse).
const ANCHOR_CLEAR: f64 = 72.0;

/// Which tile a box goes to when it spans several: the one holding most of
/// it, ties broken towards this side.
#[derive(Clone, Copy)]
enum Lean {
    TopLeft,
    TopRight,
    BottomRight,
    Left,
}

/// The overlay layout for a wall (a single screen is a 1 × 1 wall).
pub fn layout(t: &Tiling) -> Layout {
    let ui = t.ui_scale();
    let (w, h) = t.virtual_size();
    let shape = Shape::of(w, h);
    let m = MARGIN * ui;
    let g = GAP * ui;
    let band_rows = if shape == Shape::Portrait { 2 } else { 1 };
    let band_h = BAND_H * ui * f64::from(band_rows) - if band_rows == 2 { g } else { 0.0 };
    let tick_h = TICKER_H * ui;
    let band = Rect::new(m, m, w - 2.0 * m, band_h);
    let ticker = Rect::new(m, h - m - tick_h, w - 2.0 * m, tick_h);
    let mid_y = band.bottom() + g;
    let mid_h = ticker.y - g - mid_y;
    let mut plan: Vec<(BoxId, Rect, Lean)> = vec![
        (BoxId::KpiBand, band, Lean::TopLeft),
        (BoxId::Ticker, ticker, Lean::BottomRight),
    ];
    let map_area;
    match shape {
        Shape::Landscape | Shape::Wide => {
            let rank = Rect::new(m, mid_y, RANK_W * ui, (RANK_H * ui).min(mid_h));
            let flow_w = FLOW_W * ui;
            let (flow, chart) = if shape == Shape::Landscape {
                let chart = Rect::new(
                    w - m - flow_w,
                    ticker.y - g - CHART_H * ui,
                    flow_w,
                    CHART_H * ui,
                );
                let flow = Rect::new(chart.x, mid_y, flow_w, chart.y - g - mid_y);
                (flow, chart)
            } else {
                let flow = Rect::new(w - m - flow_w, mid_y, flow_w, mid_h);
                let chart_h = (CHART_H * ui * 1.6).min(mid_h);
                let chart = Rect::new(
                    flow.x - g - CHART_W * ui,
                    ticker.y - g - chart_h,
                    CHART_W * ui,
                    chart_h,
                );
                (flow, chart)
            };
            let right = flow.x.min(chart.x) - g;
            map_area = Rect::new(rank.right() + g, mid_y, right - rank.right() - g, mid_h);
            plan.push((BoxId::Ranking, rank, Lean::Left));
            plan.push((BoxId::CaseFlow, flow, Lean::TopRight));
            plan.push((BoxId::Chart, chart, Lean::BottomRight));
        }
        Shape::Portrait => {
            let half = (w - 2.0 * m - g) / 2.0;
            let panel_h = (RANK_H * ui).min(mid_h / 2.0);
            let panel_y = ticker.y - g - panel_h;
            let rank = Rect::new(m, panel_y, half, panel_h);
            let flow = Rect::new(m + half + g, panel_y, half, panel_h);
            let chart = Rect::new(m, panel_y - g - CHART_H * ui, w - 2.0 * m, CHART_H * ui);
            map_area = Rect::new(m, mid_y, w - 2.0 * m, chart.y - g - mid_y);
            plan.push((BoxId::Ranking, rank, Lean::Left));
            plan.push((BoxId::CaseFlow, flow, Lean::TopRight));
            plan.push((BoxId::Chart, chart, Lean::BottomRight));
        }
    }
    // Each box into one tile: the tile holding most of it, minus the margin.
    let mut boxes: Vec<(BoxId, Rect)> = plan
        .into_iter()
        .map(|(id, r, lean)| (id, fit_in_tile(t, r, lean, m)))
        .collect();
    let (anchor, callout) = place_focus(t, &boxes, &map_area, ui, m);
    boxes.push((BoxId::Callout, callout));
    Layout {
        shape,
        ui,
        kpi_rows: band_rows,
        boxes,
        focus_anchor: anchor,
        map_area,
    }
}

fn fit_in_tile(t: &Tiling, r: Rect, lean: Lean, m: f64) -> Rect {
    let mut best: Option<(f64, i64, Rect)> = None;
    for (c, row, tile) in t.tiles() {
        let inner = tile.inset(m);
        let Some(part) = r.intersect(&inner) else {
            continue;
        };
        let (c, row) = (i64::from(c), i64::from(row));
        // Lower is preferred among equal areas.
        let tie = match lean {
            Lean::TopLeft => row * 100 + c,
            Lean::TopRight => row * 100 - c,
            Lean::BottomRight => -row * 100 - c,
            Lean::Left => c * 100 + row,
        };
        let area = (part.area() * 1e3).round();
        if best.is_none_or(|(a, tb, _)| area > a || (area == a && tie < tb)) {
            best = Some((area, tie, part));
        }
    }
    best.map(|(_, _, p)| p).unwrap_or_else(|| {
        // The box lies in no tile's inner area (a canvas smaller than the
        // margins): an empty box in the first tile.
        let o = t.tile_rect(0, 0);
        Rect::new(o.x, o.y, 0.0, 0.0)
    })
}

/// A point moved into the tile it is in (the nearest for a seam), at
/// least 160 px (× UI) from the tile's edges.
fn into_tile(t: &Tiling, p: [f64; 2], ui: f64) -> [f64; 2] {
    let (c, r) = t.tile_at(p);
    let tile = t.tile_rect(c, r);
    let keep = (160.0 * ui).min(tile.w / 2.0).min(tile.h / 2.0);
    [
        clamp(p[0], tile.x + keep, tile.right() - keep),
        clamp(p[1], tile.y + keep, tile.bottom() - keep),
    ]
}

/// `v` within `lo`–`hi`; no panic when the bounds are NaN or crossed (a
/// canvas of no size).
fn clamp(v: f64, lo: f64, hi: f64) -> f64 {
    if lo <= hi {
        v.clamp(lo, hi)
    } else {
        lo
    }
}

/// Where a focused item goes (the anchor: the map area's centre, or near
/// it, inside one tile) and its callout (beside it: right, above, left or
/// below, in one tile, over no box, clear of the item's pulse).
fn place_focus(
    t: &Tiling,
    boxes: &[(BoxId, Rect)],
    map: &Rect,
    ui: f64,
    m: f64,
) -> ([f64; 2], Rect) {
    let (cw, ch) = (CALLOUT.0 * ui, CALLOUT.1 * ui);
    let clear = ANCHOR_CLEAR * ui;
    let g = GAP * ui;
    let free = |r: &Rect, anchor: [f64; 2]| {
        let pulse = Rect::new(
            anchor[0] - clear,
            anchor[1] - clear,
            2.0 * clear,
            2.0 * clear,
        );
        t.tile_of(&r.outset(m - EPS)).is_some()
            && !r.overlaps(&pulse)
            && boxes.iter().all(|(_, b)| !r.outset(g - EPS).overlaps(b))
    };
    let beside = |a: [f64; 2]| {
        let (ax, ay) = (a[0], a[1]);
        [
            Rect::new(ax + clear, ay - ch / 2.0, cw, ch),
            Rect::new(ax - cw / 2.0, ay - clear - ch, cw, ch),
            Rect::new(ax - clear - cw, ay - ch / 2.0, cw, ch),
            Rect::new(ax - cw / 2.0, ay + clear, cw, ch),
        ]
    };
    let c = map.centre();
    let (dx, dy) = ((cw + clear) / 2.0, (ch + clear) / 2.0);
    let anchors: Vec<[f64; 2]> = [(0.0, 0.0), (0.0, dy), (0.0, -dy), (-dx, 0.0), (dx, 0.0)]
        .into_iter()
        .map(|(x, y)| into_tile(t, [c[0] + x, c[1] + y], ui))
        .collect();
    for a in &anchors {
        if let Some(r) = beside(*a).iter().find(|r| free(r, *a)) {
            return (*a, *r);
        }
    }
    // Scan the anchor's tile, then every tile, nearest the anchor first.
    let anchor = anchors[0];
    let step = 8.0 * ui;
    let mut best: Option<(f64, Rect)> = None;
    let (c0, r0) = t.tile_at(anchor);
    let order: Vec<Rect> = std::iter::once(t.tile_rect(c0, r0))
        .chain(t.tiles().map(|(_, _, r)| r))
        .collect();
    for tile in order {
        let inner = tile.inset(m);
        // Positions a step apart (bounded: no endless loop on a canvas of
        // no finite size).
        let count = |room: f64| {
            let n = (room / step).floor();
            if n.is_finite() && n >= 0.0 {
                (n as usize).min(4000) + 1
            } else {
                0
            }
        };
        for j in 0..count(inner.h - ch + EPS) {
            let y = inner.y + j as f64 * step;
            for i in 0..count(inner.w - cw + EPS) {
                let x = inner.x + i as f64 * step;
                let r = Rect::new(x, y, cw, ch);
                if free(&r, anchor) {
                    let rc = r.centre();
                    let d = (rc[0] - anchor[0]).powi(2) + (rc[1] - anchor[1]).powi(2);
                    if best.is_none_or(|(bd, _)| d < bd) {
                        best = Some((d, r));
                    }
                }
            }
        }
        if best.is_some() {
            break;
        }
    }
    // Nowhere free (a screen too small): over the map, in the anchor's tile.
    let callout = best.map(|(_, r)| r).unwrap_or_else(|| {
        let inner = t.tile_rect(c0, r0).inset(m);
        Rect::new(inner.x, inner.y, cw.min(inner.w), ch.min(inner.h))
    });
    (anchor, callout)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::projection::to_world;

    fn walls() -> Vec<(&'static str, Tiling)> {
        let grid = |cols, rows, w, h, bezel| Tiling {
            cols,
            rows,
            tile_w: w,
            tile_h: h,
            bezel,
        };
        vec![
            ("1920x1080", Tiling::single(1920.0, 1080.0)),
            ("3840x2160", Tiling::single(3840.0, 2160.0)),
            ("3840x1080", Tiling::single(3840.0, 1080.0)),
            ("1080x1920", Tiling::single(1080.0, 1920.0)),
            ("2x1 of 1080p, bezel 12", grid(2, 1, 1920.0, 1080.0, 12.0)),
            ("2x1 of 1080p, no bezel", grid(2, 1, 1920.0, 1080.0, 0.0)),
            ("2x1 of 4K, bezel 24", grid(2, 1, 3840.0, 2160.0, 24.0)),
            ("2x2 of 1080p, bezel 12", grid(2, 2, 1920.0, 1080.0, 12.0)),
            ("2x2 of 4K, bezel 12", grid(2, 2, 3840.0, 2160.0, 12.0)),
            ("2x2 of 1080p, no bezel", grid(2, 2, 1920.0, 1080.0, 0.0)),
            ("3x1 of 1080p", grid(3, 1, 1920.0, 1080.0, 10.0)),
            ("2x1 of portrait", grid(2, 1, 1080.0, 1920.0, 8.0)),
        ]
    }

    #[test]
    fn the_virtual_canvas_and_each_tile_origin() {
        let t = Tiling {
            cols: 2,
            rows: 2,
            tile_w: 1920.0,
            tile_h: 1080.0,
            bezel: 12.0,
        };
        assert_eq!(t.virtual_size(), (3852.0, 2172.0));
        assert_eq!(t.origin(0, 0), (0.0, 0.0));
        assert_eq!(t.origin(1, 0), (1932.0, 0.0));
        assert_eq!(t.origin(1, 1), (1932.0, 1092.0));
        let seams = t.seams();
        assert_eq!(
            seams,
            [
                Rect::new(1920.0, 0.0, 12.0, 2172.0),
                Rect::new(0.0, 1080.0, 3852.0, 12.0)
            ]
        );
        assert_eq!(t.tiles().count(), 4);
        assert_eq!(Tiling::single(1920.0, 1080.0).seams(), []);
        // Crossing: into the bezel, over it, or over a 0 px seam.
        assert!(t.crosses_seam(&Rect::new(1900.0, 10.0, 30.0, 10.0)));
        assert!(t.crosses_seam(&Rect::new(1925.0, 10.0, 2.0, 10.0)));
        assert!(!t.crosses_seam(&Rect::new(1932.0, 10.0, 30.0, 10.0)));
        assert!(!t.crosses_seam(&Rect::new(1890.0, 10.0, 30.0, 10.0)));
        let flush = Tiling { bezel: 0.0, ..t };
        assert!(flush.crosses_seam(&Rect::new(1910.0, 10.0, 20.0, 10.0)));
        assert!(!flush.crosses_seam(&Rect::new(1920.0, 10.0, 20.0, 10.0)));
        assert_eq!(t.tile_at([1925.0, 5.0]), (0, 0));
        assert_eq!(t.tile_at([1927.0, 5.0]), (1, 0));
        assert_eq!(t.tile_at([5000.0, 5000.0]), (1, 1));
        assert_eq!(t.tile_at([-5.0, 1100.0]), (0, 1));
    }

    #[test]
    fn tile_cameras_put_a_world_point_at_the_same_virtual_pixel() {
        let t = Tiling {
            cols: 2,
            rows: 2,
            tile_w: 1920.0,
            tile_h: 1080.0,
            bezel: 12.0,
        };
        let wall = t.wall_camera(to_world(113.88, 22.65), 12.7);
        for lonlat in [(113.80, 22.60), (113.88, 22.65), (113.95, 22.72)] {
            let w = to_world(lonlat.0, lonlat.1);
            let v = wall.to_screen([w.x, w.y]);
            for (c, r, rect) in t.tiles() {
                let cam = t.tile_camera(&wall, c, r);
                let s = cam.to_screen([w.x, w.y]);
                assert!(
                    (s[0] + rect.x - v[0]).abs() < 1e-6 && (s[1] + rect.y - v[1]).abs() < 1e-6,
                    "tile {c},{r}: {s:?} vs {v:?}"
                );
                assert_eq!((cam.width, cam.height, cam.zoom), (1920.0, 1080.0, 12.7));
            }
        }
    }

    #[test]
    fn text_is_legible_at_1080p_and_the_same_apparent_size_at_4k() {
        assert_eq!(ui_scale(1920.0, 1080.0), 1.0);
        assert_eq!(ui_scale(3840.0, 2160.0), 2.0);
        assert_eq!(ui_scale(3840.0, 1080.0), 1.0, "two 1080p screens wide");
        assert_eq!(ui_scale(1080.0, 1920.0), 1.0, "a 1080p screen on its side");
        assert_eq!(ui_scale(1280.0, 720.0), 1.0);
        assert_eq!(ui_scale(7680.0, 4320.0), 2.0);
        assert_eq!(ui_scale(f64::NAN, 1080.0), 1.0);
        let hd = WallText::at(1.0);
        assert!(hd.smallest() >= 20.0, "{hd:?}");
        assert!(hd.figure >= 48.0);
        let uhd = WallText::at(ui_scale(3840.0, 2160.0));
        assert_eq!(uhd.smallest(), 2.0 * hd.smallest());
        assert_eq!(uhd.figure, 2.0 * hd.figure);
        assert_eq!(uhd.ticker, 2.0 * hd.ticker);
    }

    #[test]
    fn no_box_crosses_a_seam_overlaps_another_or_leaves_the_canvas() {
        for (name, t) in walls() {
            let l = layout(&t);
            let canvas = t.canvas();
            assert_eq!(l.boxes.len(), BoxId::ALL.len(), "{name}");
            for id in BoxId::ALL {
                let r = l.get(id).unwrap_or_else(|| panic!("{name}: no {id:?}"));
                assert!(
                    canvas.contains(&r),
                    "{name}: {id:?} {r:?} outside {canvas:?}"
                );
                assert!(!t.crosses_seam(&r), "{name}: {id:?} {r:?} crosses a seam");
                let (tc, tr) = t
                    .tile_of(&r)
                    .unwrap_or_else(|| panic!("{name}: {id:?} {r:?} in no tile"));
                // Off the tile's edge by the margin: nothing under a bezel.
                let tile = t.tile_rect(tc, tr);
                assert!(
                    tile.inset(MARGIN * l.ui - 1e-6).contains(&r),
                    "{name}: {id:?} at the edge"
                );
                let (mw, mh) = id.min_size();
                assert!(
                    r.w + 1e-6 >= mw * l.ui && r.h + 1e-6 >= mh * l.ui,
                    "{name}: {id:?} {r:?} smaller than its content ({mw}×{mh} × {})",
                    l.ui
                );
            }
            for (i, (a, ra)) in l.boxes.iter().enumerate() {
                for (b, rb) in &l.boxes[i + 1..] {
                    assert!(
                        !ra.overlaps(rb),
                        "{name}: {a:?} {ra:?} overlaps {b:?} {rb:?}"
                    );
                }
            }
            // The focused item sits inside a tile, clear of every box.
            let p = l.focus_anchor;
            let (c, r) = t.tile_at(p);
            assert!(
                t.tile_rect(c, r).inset(100.0).contains_point(p),
                "{name}: anchor {p:?}"
            );
            for (id, b) in &l.boxes {
                assert!(
                    !b.outset(ANCHOR_CLEAR * l.ui - 1.0).contains_point(p),
                    "{name}: anchor under {id:?}"
                );
            }
            // Each tile gets its boxes in its own px.
            let total: usize = t.tiles().map(|(c, r, _)| l.in_tile(&t, c, r).len()).sum();
            assert_eq!(total, BoxId::ALL.len(), "{name}");
        }
    }

    #[test]
    fn odd_sizes_do_not_panic() {
        for t in [
            Tiling::single(0.0, 0.0),
            Tiling::single(100.0, 80.0),
            Tiling::single(f64::NAN, 1080.0),
            Tiling::single(f64::INFINITY, 1080.0),
            Tiling {
                cols: 0,
                rows: 0,
                tile_w: 1920.0,
                tile_h: 1080.0,
                bezel: 10.0,
            },
        ] {
            let l = layout(&t);
            assert_eq!(l.boxes.len(), BoxId::ALL.len());
            let _ = t.tile_at([5.0, 5.0]);
            let _ = t.tile_camera(&t.wall_camera(World::default(), 12.0), 0, 0);
        }
    }

    #[test]
    fn layouts_are_laid_out_not_scaled() {
        let hd = layout(&Tiling::single(1920.0, 1080.0));
        let uhd = layout(&Tiling::single(3840.0, 2160.0));
        let wide = layout(&Tiling::single(3840.0, 1080.0));
        let tall = layout(&Tiling::single(1080.0, 1920.0));
        assert_eq!(
            (hd.shape, wide.shape, tall.shape),
            (Shape::Landscape, Shape::Wide, Shape::Portrait)
        );
        // 4K: the same arrangement at twice the px.
        for id in BoxId::ALL {
            let (a, b) = (hd.get(id).unwrap(), uhd.get(id).unwrap());
            assert!(
                (b.x - 2.0 * a.x).abs() < 1e-6 && (b.w - 2.0 * a.w).abs() < 1e-6,
                "{id:?}"
            );
        }
        // Wide: the chart beside the case flow, not under it.
        let (flow, chart) = (
            wide.get(BoxId::CaseFlow).unwrap(),
            wide.get(BoxId::Chart).unwrap(),
        );
        assert!(chart.right() <= flow.x);
        // Portrait: the KPI band in two rows, the ranking and case flow side by side under the map.
        assert_eq!(tall.kpi_rows, 2);
        let (rank, flow) = (
            tall.get(BoxId::Ranking).unwrap(),
            tall.get(BoxId::CaseFlow).unwrap(),
        );
        assert_eq!(rank.y, flow.y);
        assert!(rank.y > 1920.0 / 2.0);
        // A 2×1 wall of 1080p screens: the band on the left screen, the case flow on the right.
        let t = Tiling {
            cols: 2,
            rows: 1,
            tile_w: 1920.0,
            tile_h: 1080.0,
            bezel: 12.0,
        };
        let two = layout(&t);
        assert_eq!(t.tile_of(&two.get(BoxId::KpiBand).unwrap()), Some((0, 0)));
        assert_eq!(t.tile_of(&two.get(BoxId::CaseFlow).unwrap()), Some((1, 0)));
        assert_eq!(t.tile_of(&two.get(BoxId::Ticker).unwrap()), Some((1, 0)));
    }
}
