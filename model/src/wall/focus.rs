//! What the wall shows at a server time, as a pure function of what has
//! happened: the focus queue (a new alarm, or an urgent case, takes the
//! focus for `focus=` seconds; several are shown one after another, "2/3";
//! an acknowledged or cleared alert leaves at once and the next starts at
//! that moment), a pushed scene, the overview, and the optional tour of the
//! subdistricts (`tour=` seconds a stop, after a minute with nothing to
//! show; an alarm stops it at once). The camera at that time comes with it,
//! including a flight under way (van Wijk–Nuij, [`crate::flight`]).
//!
//! Every tile of a wall calls [`focus_at`] with the same facts and the
//! server's clock and shows the same thing: no timers decide anything.
//! Facts dated after `t` are ignored, so a tile that has received an event
//! a few ms before another does not show something else meanwhile.

use super::tiling::{Layout, Rect, Tiling};
use super::WallParams;
use crate::flight::{ease_in_out, SmoothFlight, View};
use crate::live::{thresholds, Alert, Case, Level, Scene};
use crate::projection::{pixels_per_world_unit, to_world, World};
use crate::viewport::{DISTRICT_LONLAT_BBOX, MAX_ZOOM, MIN_ZOOM};

/// With nothing to show for this long, the tour starts.
pub const IDLE_BEFORE_TOUR_MS: i64 = 60_000;
/// The zoom a focused item is shown at, at 1080p (+ log2 of the UI scale).
pub const ITEM_ZOOM: f64 = 15.0;
/// The closest a tour stop zooms in, at 1080p.
pub const TOUR_MAX_ZOOM: f64 = 14.5;
/// Flights last this long at least and at most (ms).
pub const FLIGHT_MS: (f64, f64) = (1000.0, 2500.0);
/// How long a wall remembers an urgent case (ms, from its acceptance): a
/// day, as the snapshot's cleared alerts. An older one left the focus long
/// ago unless a queue of items has run for a day without a break.
pub const URGENT_WINDOW_MS: i64 = 24 * 3_600_000;
/// The most urgent cases a wall remembers (the newest): ~11 a day with the
/// generated rules, so only a day of mass incidents reaches it.
pub const URGENT_KEPT: usize = 256;

/// Whether an urgent case accepted at `at_ms` counts at server time `t`:
/// within [`URGENT_WINDOW_MS`] before it. Applied to the items of every
/// `focus_at` call (a pure function of the facts and the clock: every tile
/// counts the same cases at the same `t`, however long ago each pruned).
pub fn urgent_counts(at_ms: i64, t: i64) -> bool {
    at_ms >= t.saturating_sub(URGENT_WINDOW_MS)
}

/// Bounds what a wall remembers of urgent cases (by id, each with its
/// acceptance time, Unix ms): those accepted within twice
/// [`URGENT_WINDOW_MS`] before `now_ms` (a margin: what counts is decided
/// by [`urgent_counts`] at each `t`, and a page's clock before its first
/// sync may be off), at most [`URGENT_KEPT`], the newest (the highest ids,
/// given in acceptance order). A loading tile reads the window's newest
/// `URGENT_KEPT` (`GET /api/cases/urgent`), so it counts what the others
/// do. By age, not by count alone: dropping the oldest of a full set would
/// move every item queued behind it earlier, on each tile when its event
/// came.
pub fn keep_urgent<T>(cases: &mut std::collections::BTreeMap<u32, (T, i64)>, now_ms: i64) {
    let from = now_ms.saturating_sub(2 * URGENT_WINDOW_MS);
    cases.retain(|_, (_, at)| *at >= from);
    while cases.len() > URGENT_KEPT {
        cases.pop_first();
    }
}

/// How many segments back a camera looks for where its flight started
/// (a flight interrupted by another starts where the first one was).
const CHAIN: u32 = 6;

/// What a focus item is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FocusKey {
    Alert(u64),
    Case(u32),
}

/// Something that takes the focus.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FocusItem {
    pub key: FocusKey,
    /// Server ms it became focus-worthy.
    pub at_ms: i64,
    /// Server ms it left (acknowledged or cleared), if it has.
    pub left_ms: Option<i64>,
    pub world: World,
}

impl FocusItem {
    /// An alert that is or was an alarm, from when it reached the alarm
    /// level (`alarm_at_ms`, the server's; its raise time for an alert from
    /// before that field). It leaves when acknowledged or cleared.
    pub fn of_alert(a: &Alert) -> Option<FocusItem> {
        let was_alarm = a.level == Level::Alarm || a.peak >= thresholds(a.sensor_type).alarm;
        if !was_alarm {
            return None;
        }
        let left = [a.acked_at, a.cleared_at]
            .into_iter()
            .flatten()
            .min()
            .map(|s| s * 1000);
        Some(FocusItem {
            key: FocusKey::Alert(a.id),
            at_ms: a.alarm_at_ms.unwrap_or(a.raised_at * 1000),
            left_ms: left,
            world: to_world(a.lon, a.lat),
        })
    }
    /// A case routed by an urgent rule (`DispatchRules::is_urgent`): its
    /// whole focus time from `accepted_ms`, when the server accepted the
    /// report (its event's `at_ms`), not the report's own `reported_at`: a
    /// client names that time, and one in the past would cut the item in
    /// focus short, one ahead would hold the case back.
    pub fn of_case(c: &Case, accepted_ms: i64, urgent: bool) -> Option<FocusItem> {
        urgent.then(|| FocusItem {
            key: FocusKey::Case(c.id),
            at_ms: accepted_ms,
            left_ms: None,
            world: to_world(c.lon, c.lat),
        })
    }
}

/// A tour stop: a subdistrict and its WGS84 box.
#[derive(Clone, Debug, PartialEq)]
pub struct TourStop {
    pub code: String,
    pub min: [f64; 2],
    pub max: [f64; 2],
}

/// The scene pushed to the wall's group, as shown.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ShownScene {
    pub started_ms: i64,
    /// When it ends: its duration, or when it was cleared or replaced.
    pub until_ms: Option<i64>,
    pub view: View,
}

/// The wall's timings and geometry.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FocusConfig {
    pub focus_ms: i64,
    pub tour_stop_ms: Option<i64>,
    pub idle_ms: i64,
    /// The virtual canvas.
    pub canvas: (f64, f64),
    pub map_area: Rect,
    pub anchor: [f64; 2],
    pub ui: f64,
}

impl FocusConfig {
    pub fn new(p: &WallParams, t: &Tiling, l: &Layout) -> FocusConfig {
        FocusConfig {
            focus_ms: i64::from(p.focus_s) * 1000,
            tour_stop_ms: p.tour_s.map(|s| i64::from(s) * 1000),
            idle_ms: IDLE_BEFORE_TOUR_MS,
            canvas: t.virtual_size(),
            map_area: l.map_area,
            anchor: l.focus_anchor,
            ui: l.ui,
        }
    }

    /// The view that puts world point `w` at virtual pixel `at` at `zoom`.
    fn view_with(&self, w: World, at: [f64; 2], zoom: f64) -> View {
        let s = pixels_per_world_unit(zoom);
        View {
            center: World {
                x: w.x - (at[0] - self.canvas.0 / 2.0) / s,
                y: w.y - (at[1] - self.canvas.1 / 2.0) / s,
            },
            zoom,
        }
    }

    /// The view that shows the lon/lat box in the map area.
    pub fn fit(&self, min: [f64; 2], max: [f64; 2], max_zoom: f64) -> View {
        let a = to_world(min[0], max[1]);
        let b = to_world(max[0], min[1]);
        let area = self.map_area;
        let pad = 0.04 * area.w.min(area.h);
        let s = ((area.w - 2.0 * pad).max(1.0) / (b.x - a.x).max(1e-12))
            .min((area.h - 2.0 * pad).max(1.0) / (b.y - a.y).max(1e-12));
        let zoom = (s / 256.0).log2().clamp(MIN_ZOOM, max_zoom.min(MAX_ZOOM));
        let c = World {
            x: (a.x + b.x) / 2.0,
            y: (a.y + b.y) / 2.0,
        };
        self.view_with(c, area.centre(), zoom)
    }

    /// The overview: the district in the map area.
    pub fn overview(&self) -> View {
        let (min, max) = DISTRICT_LONLAT_BBOX;
        self.fit(min, max, MAX_ZOOM)
    }

    /// A focused item at the focus anchor.
    pub fn item_view(&self, w: World) -> View {
        self.view_with(w, self.anchor, ITEM_ZOOM + self.ui.log2())
    }

    /// A scene as the wall shows it: its centre at the focus anchor, its
    /// area across the virtual canvas's width.
    pub fn scene(&self, s: &Scene, ended_ms: Option<i64>) -> ShownScene {
        let until = s
            .duration_s
            .map(|d| s.started_ms.saturating_add(i64::from(d) * 1000));
        let until = match (until, ended_ms) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let zoom = s.zoom_for_width(self.canvas.0).clamp(MIN_ZOOM, MAX_ZOOM);
        ShownScene {
            started_ms: s.started_ms,
            until_ms: until,
            view: self.view_with(to_world(s.lon, s.lat), self.anchor, zoom),
        }
    }
}

/// What the wall shows.
#[derive(Clone, Debug, PartialEq)]
pub enum Showing {
    Overview,
    /// Item `index` of `total` in a run of focuses (1-based, "2/3").
    Focus {
        key: FocusKey,
        index: u32,
        total: u32,
    },
    Scene,
    /// Tour stop `stop` (an index into the stops).
    Tour {
        stop: usize,
    },
}

/// What the wall shows at a time, and its camera.
#[derive(Clone, Debug, PartialEq)]
pub struct FocusState {
    pub showing: Showing,
    /// Server ms this began.
    pub since_ms: i64,
    /// Server ms it ends unless something happens (`None`: open-ended).
    pub until_ms: Option<i64>,
    pub view: View,
    /// Server ms the flight under way ends (`None`: the camera is still).
    pub flying_until_ms: Option<i64>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
struct Slot {
    item: usize,
    start: i64,
    end: i64,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Focus(usize),
    Scene,
    Overview,
    Tour(usize),
}

#[derive(Clone, Copy, Debug, PartialEq)]
struct Seg {
    kind: Kind,
    start: i64,
    end: i64,
}

struct Timeline<'a> {
    items: Vec<FocusItem>,
    slots: Vec<Slot>,
    scene: Option<ShownScene>,
    stops: &'a [TourStop],
    cfg: &'a FocusConfig,
}

impl<'a> Timeline<'a> {
    fn new(
        items: &[FocusItem],
        scene: Option<&ShownScene>,
        stops: &'a [TourStop],
        cfg: &'a FocusConfig,
        t: i64,
    ) -> Timeline<'a> {
        // Only what has happened by t, in a fixed order.
        let mut items: Vec<FocusItem> = items
            .iter()
            .filter(|i| i.at_ms <= t)
            .map(|i| FocusItem {
                left_ms: i.left_ms.filter(|l| *l <= t),
                ..*i
            })
            .collect();
        items.sort_by(|a, b| a.at_ms.cmp(&b.at_ms).then(a.key.cmp(&b.key)));
        // An item known twice counts once, from its first time.
        let mut seen = std::collections::BTreeSet::new();
        items.retain(|i| seen.insert(i.key));
        let focus = cfg.focus_ms.max(1);
        let mut slots = Vec::new();
        let mut free = i64::MIN;
        for (i, it) in items.iter().enumerate() {
            let start = free.max(it.at_ms);
            if it.left_ms.is_some_and(|l| l <= start) {
                continue; // left before its turn
            }
            let end = it.left_ms.map_or(start.saturating_add(focus), |l| {
                l.min(start.saturating_add(focus))
            });
            slots.push(Slot {
                item: i,
                start,
                end,
            });
            free = end;
        }
        let scene = scene.filter(|s| s.started_ms <= t).copied();
        Timeline {
            items,
            slots,
            scene,
            stops,
            cfg,
        }
    }

    /// The segment holding time `x`.
    fn segment_at(&self, x: i64) -> Seg {
        // The first slot ending after x.
        let i = self.slots.partition_point(|s| s.end <= x);
        if let Some(s) = self.slots.get(i).filter(|s| s.start <= x) {
            return Seg {
                kind: Kind::Focus(i),
                start: s.start,
                end: s.end,
            };
        }
        let g0 = i.checked_sub(1).map_or(i64::MIN, |j| self.slots[j].end);
        let g1 = self.slots.get(i).map_or(i64::MAX, |s| s.start);
        let mut idle_since = g0;
        let mut bound = g1;
        if let Some(sc) = self.scene {
            let end = sc.until_ms.unwrap_or(i64::MAX);
            if sc.started_ms <= x && x < end {
                return Seg {
                    kind: Kind::Scene,
                    start: sc.started_ms.max(g0),
                    end: end.min(g1),
                };
            }
            if end <= x && end > g0 {
                idle_since = end;
            }
            if sc.started_ms > x {
                bound = bound.min(sc.started_ms);
            }
        }
        let (Some(stop_ms), false) = (self.cfg.tour_stop_ms, self.stops.is_empty()) else {
            return Seg {
                kind: Kind::Overview,
                start: idle_since,
                end: bound,
            };
        };
        let stop_ms = stop_ms.max(1);
        // The tour is in step with the clock (stop ⌊t / stop⌋ mod n), and
        // after something it starts at the first stop boundary a minute or
        // more after it: two tiles agree on the stop even when one of them
        // missed an item the other showed (reloaded meanwhile).
        if idle_since != i64::MIN {
            let after = idle_since.saturating_add(self.cfg.idle_ms);
            let tour_start = after
                .div_euclid(stop_ms)
                .saturating_add(i64::from(after.rem_euclid(stop_ms) != 0))
                .saturating_mul(stop_ms);
            if x < tour_start {
                return Seg {
                    kind: Kind::Overview,
                    start: idle_since,
                    end: tour_start.min(bound),
                };
            }
        }
        let k = x.div_euclid(stop_ms);
        let start = k * stop_ms;
        Seg {
            kind: Kind::Tour(k.rem_euclid(self.stops.len() as i64) as usize),
            start,
            end: (start + stop_ms).min(bound),
        }
    }

    fn target(&self, seg: &Seg) -> View {
        match seg.kind {
            Kind::Focus(i) => self.cfg.item_view(self.items[self.slots[i].item].world),
            Kind::Scene => self.scene.map_or_else(|| self.cfg.overview(), |s| s.view),
            Kind::Overview => self.cfg.overview(),
            Kind::Tour(i) => {
                let s = &self.stops[i];
                self.cfg
                    .fit(s.min, s.max, TOUR_MAX_ZOOM + self.cfg.ui.log2())
            }
        }
    }

    /// The camera at `x`, and when its flight ends if one is under way.
    fn camera(&self, x: i64, depth: u32) -> (View, Option<i64>) {
        let seg = self.segment_at(x);
        let to = self.target(&seg);
        if depth == 0 || seg.start == i64::MIN {
            return (to, None);
        }
        let from = self.camera(seg.start.saturating_sub(1), depth - 1).0;
        let flight = SmoothFlight::new(from, to, self.cfg.canvas.0);
        if flight.length() < 1e-9 {
            return (to, None);
        }
        let dur = flight.duration_ms(FLIGHT_MS.0, FLIGHT_MS.1);
        let done = (x - seg.start) as f64;
        if done >= dur {
            return (to, None);
        }
        let end = seg.start.saturating_add(dur.ceil() as i64);
        (flight.at(ease_in_out(done / dur)), Some(end))
    }
}

/// What the wall shows at server time `t` (ms): from the focus items, the
/// scene of its group, the tour's stops and the configuration.
pub fn focus_at(
    items: &[FocusItem],
    scene: Option<&ShownScene>,
    stops: &[TourStop],
    cfg: &FocusConfig,
    t: i64,
) -> FocusState {
    let tl = Timeline::new(items, scene, stops, cfg, t);
    let seg = tl.segment_at(t);
    let showing = match seg.kind {
        Kind::Focus(i) => {
            // The run of focuses back to back that this one is in.
            let mut first = i;
            while first > 0 && tl.slots[first - 1].end == tl.slots[first].start {
                first -= 1;
            }
            let mut last = i;
            while last + 1 < tl.slots.len() && tl.slots[last].end == tl.slots[last + 1].start {
                last += 1;
            }
            Showing::Focus {
                key: tl.items[tl.slots[i].item].key,
                index: (i - first + 1) as u32,
                total: (last - first + 1) as u32,
            }
        }
        Kind::Scene => Showing::Scene,
        Kind::Overview => Showing::Overview,
        Kind::Tour(stop) => Showing::Tour { stop },
    };
    let (view, flying_until_ms) = tl.camera(t, CHAIN);
    FocusState {
        showing,
        since_ms: seg.start,
        until_ms: (seg.end != i64::MAX).then_some(seg.end),
        view,
        flying_until_ms,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_wall_remembers_a_day_of_urgent_cases_and_the_newest_when_full() {
        use super::{keep_urgent, URGENT_KEPT, URGENT_WINDOW_MS};
        let now = 2_000_000_000_000;
        let mut m = std::collections::BTreeMap::new();
        m.insert(1, ((), now - 2 * URGENT_WINDOW_MS - 1));
        m.insert(2, ((), now - 2 * URGENT_WINDOW_MS));
        m.insert(3, ((), now));
        keep_urgent(&mut m, now);
        assert_eq!(m.keys().copied().collect::<Vec<_>>(), vec![2, 3]);
        // What counts at a time is a day's, whatever is remembered.
        assert!(!super::urgent_counts(now - URGENT_WINDOW_MS - 1, now));
        assert!(super::urgent_counts(now - URGENT_WINDOW_MS, now));
        for id in 10..(10 + URGENT_KEPT as u32 + 5) {
            m.insert(id, ((), now));
        }
        keep_urgent(&mut m, now);
        assert_eq!(m.len(), URGENT_KEPT);
        assert_eq!(m.keys().next(), Some(&15), "the oldest went");
    }

    use super::*;
    use crate::wall::tiling::layout;

    const T0: i64 = 1_790_000_000_000;
    const FOCUS: i64 = 30_000;

    fn cfg(tour: Option<i64>) -> FocusConfig {
        let t = Tiling::single(1920.0, 1080.0);
        let l = layout(&t);
        let p = WallParams {
            focus_s: (FOCUS / 1000) as u32,
            tour_s: tour.map(|s| (s / 1000) as u32),
            ..WallParams::default()
        };
        FocusConfig::new(&p, &t, &l)
    }

    fn alarm(id: u64, at: i64) -> FocusItem {
        FocusItem {
            key: FocusKey::Alert(id),
            at_ms: at,
            left_ms: None,
            world: to_world(113.80 + id as f64 * 0.02, 22.60 + id as f64 * 0.01),
        }
    }

    fn stops() -> Vec<TourStop> {
        (0..3)
            .map(|i| TourStop {
                code: format!("44030600{}", i + 1),
                min: [113.75 + i as f64 * 0.05, 22.55],
                max: [113.80 + i as f64 * 0.05, 22.62],
            })
            .collect()
    }

    fn key(s: &FocusState) -> Option<(FocusKey, u32, u32)> {
        match s.showing {
            Showing::Focus { key, index, total } => Some((key, index, total)),
            _ => None,
        }
    }

    #[test]
    fn three_alarms_queue_one_after_another_then_the_overview() {
        let c = cfg(None);
        let items = [alarm(1, T0), alarm(2, T0 + 10), alarm(3, T0 + 20)];
        let at = |t| focus_at(&items, None, &[], &c, t);
        assert_eq!(at(T0 - 1).showing, Showing::Overview);
        assert_eq!(
            key(&at(T0)),
            Some((FocusKey::Alert(1), 1, 1)),
            "the others have not come yet"
        );
        assert_eq!(key(&at(T0 + 25)), Some((FocusKey::Alert(1), 1, 3)));
        assert_eq!(key(&at(T0 + FOCUS + 1)), Some((FocusKey::Alert(2), 2, 3)));
        let third = at(T0 + 2 * FOCUS + 1);
        assert_eq!(key(&third), Some((FocusKey::Alert(3), 3, 3)));
        assert_eq!(
            (third.since_ms, third.until_ms),
            (T0 + 2 * FOCUS, Some(T0 + 3 * FOCUS))
        );
        let after = at(T0 + 3 * FOCUS);
        assert_eq!(after.showing, Showing::Overview);
        assert_eq!(after.since_ms, T0 + 3 * FOCUS);
        // The camera flies back and then rests on the overview.
        assert!(after.flying_until_ms.is_some());
        let rest = at(T0 + 3 * FOCUS + 3000);
        assert_eq!((rest.view, rest.flying_until_ms), (c.overview(), None));
        // An alarm later, after a pause: a run of its own.
        let mut more = items.to_vec();
        more.push(alarm(4, T0 + 5 * FOCUS));
        assert_eq!(
            key(&focus_at(&more, None, &[], &c, T0 + 5 * FOCUS + 1)),
            Some((FocusKey::Alert(4), 1, 1))
        );
    }

    #[test]
    fn an_acknowledgement_removes_an_item_at_once() {
        let c = cfg(None);
        let mut items = [alarm(1, T0), alarm(2, T0), alarm(3, T0)];
        // Alarm 1 acknowledged 5 s in: alarm 2 starts then.
        items[0].left_ms = Some(T0 + 5000);
        // Alarm 3 cleared while it waited: never shown.
        items[2].left_ms = Some(T0 + 7000);
        let at = |t| focus_at(&items, None, &[], &c, t);
        // Before the ack (facts dated after t are not known yet).
        assert_eq!(key(&at(T0 + 4999)), Some((FocusKey::Alert(1), 1, 3)));
        let second = at(T0 + 5000);
        assert_eq!(key(&second), Some((FocusKey::Alert(2), 2, 3)));
        assert_eq!(second.since_ms, T0 + 5000, "the next starts at the ack");
        // The waiting one cleared: it leaves the count at once.
        assert_eq!(key(&at(T0 + 7000)), Some((FocusKey::Alert(2), 2, 2)));
        assert_eq!(at(T0 + 5000 + FOCUS).showing, Showing::Overview);
        assert_eq!(at(T0 + 5000 + FOCUS).since_ms, T0 + 5000 + FOCUS);
        // The item in focus acknowledged: the callout leaves at that moment.
        let mut one = [alarm(9, T0)];
        one[0].left_ms = Some(T0 + 2000);
        assert_eq!(
            focus_at(&one, None, &[], &c, T0 + 2000).showing,
            Showing::Overview
        );
    }

    #[test]
    fn the_tour_stops_at_once_for_an_alarm_and_resumes_after_idle() {
        let c = cfg(Some(60_000));
        let s = stops();
        // Nothing ever: the tour runs, in step with the clock.
        let a = focus_at(&[], None, &s, &c, T0);
        let b = focus_at(&[], None, &s, &c, T0 + 60_000);
        let (Showing::Tour { stop: sa }, Showing::Tour { stop: sb }) = (&a.showing, &b.showing)
        else {
            panic!("{a:?} {b:?}")
        };
        assert_eq!((sa + 1) % s.len(), *sb);
        // An alarm: focus at once, with no wait for the stop to end.
        let items = [alarm(1, T0 + 12_345)];
        let f = focus_at(&items, None, &s, &c, T0 + 12_345);
        assert_eq!(key(&f), Some((FocusKey::Alert(1), 1, 1)));
        assert_eq!(f.since_ms, T0 + 12_345);
        // After it: the overview for a minute or more, then the tour at the
        // first stop boundary of the clock, with the stop a wall that never
        // saw the alarm shows at that moment.
        let end = T0 + 12_345 + FOCUS;
        assert_eq!(
            focus_at(&items, None, &s, &c, end).showing,
            Showing::Overview
        );
        assert_eq!(
            focus_at(&items, None, &s, &c, end + 59_999).showing,
            Showing::Overview
        );
        let boundary = (end + 60_000 + 59_999) / 60_000 * 60_000;
        assert!(boundary >= end + 60_000 && boundary < end + 120_000);
        assert_eq!(
            focus_at(&items, None, &s, &c, boundary - 1).showing,
            Showing::Overview
        );
        let back = focus_at(&items, None, &s, &c, boundary);
        let never = focus_at(&[], None, &s, &c, boundary);
        assert_eq!(back.since_ms, boundary);
        assert_eq!(
            back.showing, never.showing,
            "the same stop as a wall that saw nothing"
        );
        let Showing::Tour { stop } = back.showing else {
            panic!("{back:?}")
        };
        assert_eq!(
            focus_at(&items, None, &s, &c, boundary + 60_000).showing,
            Showing::Tour {
                stop: (stop + 1) % s.len()
            }
        );
        // Without tour= there is no tour.
        assert_eq!(
            focus_at(&items, None, &s, &cfg(None), end + 600_000).showing,
            Showing::Overview
        );
    }

    #[test]
    fn a_scene_shows_until_it_ends_and_an_alarm_interrupts_it() {
        let c = cfg(Some(60_000));
        let scene = Scene {
            group: "default".into(),
            lon: 113.88,
            lat: 22.57,
            zoom: 14.0,
            layers: vec![],
            highlight: None,
            duration_s: Some(120),
            started_ms: T0,
            by: "值班员".into(),
        };
        let shown = c.scene(&scene, None);
        assert_eq!(shown.until_ms, Some(T0 + 120_000));
        let items = [alarm(1, T0 + 10_000)];
        let at = |t| focus_at(&items, Some(&shown), &stops(), &c, t);
        assert_eq!(at(T0 + 5000).showing, Showing::Scene);
        assert!(key(&at(T0 + 10_000)).is_some());
        let after = at(T0 + 10_000 + FOCUS);
        assert_eq!(
            after.showing,
            Showing::Scene,
            "back to the scene while it lasts"
        );
        assert_eq!(at(T0 + 120_000).showing, Showing::Overview);
        // The tour at the first stop boundary a minute after the scene.
        let b = (T0 + 180_000 + 59_999) / 60_000 * 60_000;
        assert_eq!(at(b - 1).showing, Showing::Overview);
        assert!(matches!(at(b).showing, Showing::Tour { .. }));
        assert_eq!(at(b).showing, focus_at(&[], None, &stops(), &c, b).showing);
        // Cleared early.
        let cleared = c.scene(&scene, Some(T0 + 30_000));
        assert_eq!(cleared.until_ms, Some(T0 + 30_000));
        // At the anchor: the scene's centre.
        let v = at(T0 + 5000 + 3000).view;
        assert_eq!(v, shown.view);
    }

    #[test]
    fn the_focused_item_is_at_the_anchor_after_its_flight_and_between_during_it() {
        let t = Tiling {
            cols: 2,
            rows: 1,
            tile_w: 1920.0,
            tile_h: 1080.0,
            bezel: 12.0,
        };
        let l = layout(&t);
        let c = FocusConfig::new(&WallParams::default(), &t, &l);
        let item = alarm(1, T0);
        let s = focus_at(&[item], None, &[], &c, T0 + 5000);
        assert_eq!(s.flying_until_ms, None);
        let cam = t.wall_camera(s.view.center, s.view.zoom);
        let p = cam.to_screen([item.world.x, item.world.y]);
        assert!(
            (p[0] - l.focus_anchor[0]).abs() < 1e-6 && (p[1] - l.focus_anchor[1]).abs() < 1e-6,
            "{p:?}"
        );
        assert!((s.view.zoom - ITEM_ZOOM).abs() < 1e-9, "1080p tiles: ui 1");
        // Half a second in: on the way, the flight's end announced.
        let mid = focus_at(&[item], None, &[], &c, T0 + 500);
        let end = mid.flying_until_ms.expect("flying");
        assert!((T0 + 1000..=T0 + 2500).contains(&end));
        assert_ne!(mid.view, s.view);
        assert_ne!(mid.view, c.overview());
        // The overview shows the whole district inside the map area.
        let o = c.overview();
        let cam = t.wall_camera(o.center, o.zoom);
        let (min, max) = DISTRICT_LONLAT_BBOX;
        for (lon, lat) in [(min[0], min[1]), (max[0], max[1])] {
            let w = to_world(lon, lat);
            let p = cam.to_screen([w.x, w.y]);
            assert!(
                l.map_area.contains_point(p),
                "{p:?} outside {:?}",
                l.map_area
            );
        }
    }

    #[test]
    fn the_same_facts_give_the_same_picture_whatever_their_order() {
        let c = cfg(Some(60_000));
        let s = stops();
        let items = [
            alarm(3, T0 + 7),
            alarm(1, T0),
            alarm(2, T0 + 7),
            alarm(1, T0),
        ];
        let mut reversed = items;
        reversed.reverse();
        for dt in (0..200_000).step_by(777) {
            let a = focus_at(&items, None, &s, &c, T0 + dt);
            let b = focus_at(&reversed, None, &s, &c, T0 + dt);
            assert_eq!(a, b, "at +{dt} ms");
        }
        // An item known twice is queued once; ties in time go by key.
        assert_eq!(
            key(&focus_at(&items, None, &s, &c, T0 + 8)),
            Some((FocusKey::Alert(1), 1, 3))
        );
        assert_eq!(
            key(&focus_at(&items, None, &s, &c, T0 + FOCUS)),
            Some((FocusKey::Alert(2), 2, 3))
        );
    }

    #[test]
    fn items_come_from_alarms_and_urgent_cases() {
        let mut a = Alert {
            id: 5,
            sensor: "S0005".into(),
            sensor_type: crate::domain::SensorType::Gas,
            level: Level::Warn,
            peak: 30.0,
            lon: 113.9,
            lat: 22.6,
            raised_at: 1_790_000_000,
            cleared_at: None,
            acked_at: None,
            acked_by: None,
            alarm_at_ms: None,
        };
        assert_eq!(FocusItem::of_alert(&a), None, "a warning takes no focus");
        // Raised at alarm by a store from before alarm_at_ms: from its raise.
        a.level = Level::Alarm;
        a.peak = 60.0;
        assert_eq!(FocusItem::of_alert(&a).unwrap().at_ms, 1_790_000_000_000);
        // Escalated later: from when it reached the alarm level.
        a.alarm_at_ms = Some(1_790_000_100_250);
        let it = FocusItem::of_alert(&a).unwrap();
        assert_eq!((it.at_ms, it.left_ms), (1_790_000_100_250, None));
        // Back to warn, still active: it stays an item, from the same time.
        a.level = Level::Warn;
        assert_eq!(FocusItem::of_alert(&a).unwrap().at_ms, 1_790_000_100_250);
        a.acked_at = Some(1_790_000_200);
        a.cleared_at = Some(1_790_000_150);
        assert_eq!(
            FocusItem::of_alert(&a).unwrap().left_ms,
            Some(1_790_000_150_000)
        );
    }
}
