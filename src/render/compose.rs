//! What a frame does to the screen, decided from plain values (tested
//! natively): whether the camera is moving and the cached surfaces (layers
//! of the page) are shown placed (scaled, translated) instead of re-rendered
//! ([`step`]), and which part of the overlay canvas above them (names,
//! badges, selection, pulses) must be drawn again ([`Region`]): all that it
//! shows, only some rectangles (pulses that grew or faded, badges whose
//! numbers changed), or nothing. The overlay keeps its pixels between
//! frames, so a frame in which only pulses changed redraws their squares.

use pingan_model::viewport::Camera;

/// A rectangle on the screen in device pixels: [x0, y0, x1, y1].
pub type Rect = [f64; 4];

/// Beyond this many zoom levels between the camera and the surfaces, a moving
/// camera re-renders them (a picture scaled 22× is too coarse even in
/// motion). A flight from the district (z 12.8 on a 4K wall) to a street
/// (z 16.6) stays within it: it re-renders once, where it ends.
pub const MAX_DRIFT_LEVELS: f64 = 4.5;

/// A moving camera re-renders when the placed surfaces would cover less of
/// the screen than this and there is no overview picture to fill the rest.
pub const MIN_COVER: f64 = 0.5;

/// How a frame brings the screen up to date.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// The surfaces are brought up to date for the camera (re-rendered or
    /// patched where stale), then composed: what is drawn is what hits.
    Settled,
    /// The camera moves and a surface does not fit it: the last pictures are
    /// shown placed for the camera; a further frame follows, and the first
    /// one in which the camera has not moved renders (settles).
    Moving,
}

/// What a frame knows when it chooses its step.
#[derive(Clone, Copy, Debug)]
pub struct StepInput {
    /// The camera moved (centre or zoom, same size) since the last frame.
    pub moved: bool,
    /// Both surfaces fit the camera as they are (same zoom, size, DPR; the
    /// pan within their margin): nothing needs placing.
    pub fits: bool,
    /// Both surfaces hold a picture at this DPR.
    pub placeable: bool,
    /// Zoom levels between the camera and the base surface.
    pub drift: f64,
    /// The share of the screen the placed base surface covers, 0..1.
    pub cover: f64,
    /// An overview picture fills what the surfaces leave uncovered.
    pub overview: bool,
}

pub fn step(i: StepInput) -> Step {
    let coarse = i.drift.abs() > MAX_DRIFT_LEVELS;
    let bare = i.cover < MIN_COVER && !i.overview;
    if i.moved && !i.fits && i.placeable && !coarse && !bare {
        Step::Moving
    } else {
        Step::Settled
    }
}

/// The part of the overlay a frame draws again.
#[derive(Clone, Debug, PartialEq)]
pub enum Region {
    /// Everything: what it showed is cleared, all of it drawn anew.
    Full,
    /// Only these rectangles (clipped to the screen, none empty): cleared,
    /// and everything drawn again clipped to them.
    Rects(Vec<Rect>),
    /// Nothing changed on the overlay.
    Nothing,
}

/// What the screen showed after a frame.
#[derive(Clone, Debug, PartialEq)]
pub struct Shown {
    pub cam: Camera,
    pub dpr: f64,
    /// What the overlay shows but the pulses and the badges: the base
    /// surface's key (the names come with it), the language, the selection
    /// (see `Renderer::draw`).
    pub overlay: u64,
    /// Where the overlay painted anything (device pixels).
    pub footprints: Vec<Rect>,
    /// Where the pulses were drawn.
    pub pulses: Vec<Rect>,
    /// The badges drawn: where (with their leader lines) and a hash of what.
    pub badges: Vec<(Rect, u64)>,
}

/// Where the badges of `now` differ from those of `before`: the squares of
/// every badge that is not in both (same place, same content).
pub fn badges_changed(before: &[(Rect, u64)], now: &[(Rect, u64)]) -> Vec<Rect> {
    let gone = before.iter().filter(|b| !now.contains(b));
    let new = now.iter().filter(|b| !before.contains(b));
    gone.chain(new).map(|b| b.0).collect()
}

/// The region of the overlay a frame draws, given what it shows: `changed`:
/// rectangles that changed (badges whose numbers changed); `pulses`: where
/// this frame's pulses will be drawn; `screen`: its size in device pixels.
/// The surfaces below are layers of their own: re-rendering or patching them
/// draws nothing here.
pub fn region(
    last: Option<&Shown>,
    now: (&Camera, f64, u64),
    changed: &[Rect],
    pulses: &[Rect],
    screen: [f64; 2],
) -> Region {
    let (cam, dpr, overlay) = now;
    let Some(last) = last else {
        return Region::Full;
    };
    if last.cam != *cam || last.dpr != dpr || last.overlay != overlay {
        return Region::Full;
    }
    let rects: Vec<Rect> = changed
        .iter()
        .chain(&last.pulses)
        .chain(pulses)
        .filter_map(|r| clip(r, screen))
        .collect();
    if rects.is_empty() {
        return Region::Nothing;
    }
    let area: f64 = rects.iter().map(|r| (r[2] - r[0]) * (r[3] - r[1])).sum();
    // Past half the screen, drawing all of it costs less than many pieces.
    if area > 0.5 * screen[0] * screen[1] {
        Region::Full
    } else {
        Region::Rects(merge(rects))
    }
}

/// `r` within the screen, rounded out to whole pixels; `None` if empty.
pub fn clip(r: &Rect, screen: [f64; 2]) -> Option<Rect> {
    let c = [
        r[0].floor().max(0.0),
        r[1].floor().max(0.0),
        r[2].ceil().min(screen[0]),
        r[3].ceil().min(screen[1]),
    ];
    (c[2] > c[0] && c[3] > c[1]).then_some(c)
}

/// Overlapping rectangles joined into their bounding box until none overlap
/// (a clip of overlapping pieces would draw their shared part twice only in
/// cost, never in pixels, but fewer pieces are cheaper).
pub fn merge(mut rects: Vec<Rect>) -> Vec<Rect> {
    let overlaps = |a: &Rect, b: &Rect| a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3];
    loop {
        let mut joined = false;
        'outer: for i in 0..rects.len() {
            for j in i + 1..rects.len() {
                if overlaps(&rects[i], &rects[j]) {
                    let b = rects.swap_remove(j);
                    let a = &mut rects[i];
                    *a = [
                        a[0].min(b[0]),
                        a[1].min(b[1]),
                        a[2].max(b[2]),
                        a[3].max(b[3]),
                    ];
                    joined = true;
                    break 'outer;
                }
            }
        }
        if !joined {
            return rects;
        }
    }
}

/// The square a pulse at screen point `s` (CSS pixels) can paint, in device
/// pixels: its outer ring at full size (see `pulses::draw_pulses`).
pub fn pulse_rect(s: [f64; 2], ui: f64, dpr: f64) -> Rect {
    let r = (pulse_reach(ui) + 2.0) * dpr;
    let (x, y) = (s[0] * dpr, s[1] * dpr);
    [x - r, y - r, x + r, y + r]
}

/// The largest radius a pulse's paint reaches, CSS pixels.
pub fn pulse_reach(ui: f64) -> f64 {
    (6.0 + 40.0) * ui + 1.5 * ui
}

/// The share of a `sw`×`sh` screen covered by the rectangle `d` ([x, y, w, h]).
pub fn cover(d: Option<[f64; 4]>, sw: f64, sh: f64) -> f64 {
    let Some(d) = d else { return 0.0 };
    let w = (d[0] + d[2]).min(sw) - d[0].max(0.0);
    let h = (d[1] + d[3]).min(sh) - d[1].max(0.0);
    if w <= 0.0 || h <= 0.0 {
        0.0
    } else {
        w * h / (sw * sh)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pingan_model::projection::World;

    fn cam(x: f64, zoom: f64) -> Camera {
        Camera {
            center: World { x, y: 0.4 },
            zoom,
            width: 3840.0,
            height: 2160.0,
        }
    }
    const SCREEN: [f64; 2] = [3840.0, 2160.0];
    fn moving() -> StepInput {
        StepInput {
            moved: true,
            fits: false,
            placeable: true,
            drift: 1.0,
            cover: 1.0,
            overview: false,
        }
    }
    fn shown(c: Camera, pulses: Vec<Rect>) -> Shown {
        Shown {
            cam: c,
            dpr: 1.0,
            overlay: 7,
            footprints: pulses.clone(),
            pulses,
            badges: Vec::new(),
        }
    }

    #[test]
    fn a_badge_that_changed_is_recomposed_where_it_was_and_is() {
        let a = ([0.0, 0.0, 100.0, 50.0], 1);
        let b = ([200.0, 0.0, 300.0, 50.0], 2);
        let b2 = ([200.0, 0.0, 300.0, 50.0], 3);
        let moved = ([210.0, 0.0, 310.0, 50.0], 2);
        assert!(badges_changed(&[a, b], &[a, b]).is_empty());
        assert_eq!(badges_changed(&[a, b], &[a, b2]), vec![b.0, b2.0]);
        assert_eq!(badges_changed(&[a, b], &[a, moved]), vec![b.0, moved.0]);
        assert_eq!(badges_changed(&[a, b], &[a]), vec![b.0]);
    }

    #[test]
    fn a_moving_camera_places_the_pictures_and_a_still_one_renders() {
        assert_eq!(step(moving()), Step::Moving);
        // The camera stopped: render for it.
        assert_eq!(
            step(StepInput {
                moved: false,
                ..moving()
            }),
            Step::Settled
        );
        // Moving within the margins at the same zoom: the exact blit does.
        assert_eq!(
            step(StepInput {
                fits: true,
                ..moving()
            }),
            Step::Settled
        );
        // Nothing rendered yet (first frame, new DPR): render.
        assert_eq!(
            step(StepInput {
                placeable: false,
                ..moving()
            }),
            Step::Settled
        );
    }

    #[test]
    fn too_far_from_the_pictures_a_moving_camera_renders() {
        assert_eq!(
            step(StepInput {
                drift: 4.6,
                ..moving()
            }),
            Step::Settled
        );
        assert_eq!(
            step(StepInput {
                drift: -4.6,
                ..moving()
            }),
            Step::Settled
        );
        assert_eq!(
            step(StepInput {
                drift: -3.9,
                ..moving()
            }),
            Step::Moving
        );
        // Most of the screen bare: render, unless an overview fills it.
        let bare = StepInput {
            cover: 0.2,
            ..moving()
        };
        assert_eq!(step(bare), Step::Settled);
        assert_eq!(
            step(StepInput {
                overview: true,
                ..bare
            }),
            Step::Moving
        );
    }

    #[test]
    fn only_what_changed_is_drawn_again() {
        let c = cam(0.5, 14.0);
        let p1 = pulse_rect([500.0, 400.0], 2.0, 1.0);
        let p2 = pulse_rect([2000.0, 1000.0], 2.0, 1.0);
        // First frame, a move, another overlay: everything.
        assert_eq!(region(None, (&c, 1.0, 7), &[], &[], SCREEN), Region::Full);
        let last = shown(c, vec![p1]);
        assert_eq!(
            region(Some(&last), (&cam(0.51, 14.0), 1.0, 7), &[], &[], SCREEN),
            Region::Full
        );
        assert_eq!(
            region(Some(&last), (&c, 2.0, 7), &[], &[], SCREEN),
            Region::Full
        );
        assert_eq!(
            region(Some(&last), (&c, 1.0, 8), &[], &[], SCREEN),
            Region::Full
        );
        // Pulses only: where they were and where they are.
        match region(Some(&last), (&c, 1.0, 7), &[], &[p1, p2], SCREEN) {
            Region::Rects(r) => {
                assert_eq!(r.len(), 2, "{r:?}");
                assert!(r.contains(&clip(&p1, SCREEN).unwrap()));
            }
            other => panic!("{other:?}"),
        }
        // The last pulse faded: its square is cleared once, then nothing.
        assert!(matches!(
            region(Some(&last), (&c, 1.0, 7), &[], &[], SCREEN),
            Region::Rects(_)
        ));
        let quiet = shown(c, vec![]);
        assert_eq!(
            region(Some(&quiet), (&c, 1.0, 7), &[], &[], SCREEN),
            Region::Nothing
        );
        // A badge whose number changed.
        let badge = [100.0, 100.0, 140.0, 140.0];
        assert_eq!(
            region(Some(&quiet), (&c, 1.0, 7), &[badge], &[], SCREEN),
            Region::Rects(vec![badge])
        );
        // Off screen: nothing.
        let off = [-500.0, -500.0, -400.0, -400.0];
        assert_eq!(
            region(Some(&quiet), (&c, 1.0, 7), &[off], &[], SCREEN),
            Region::Nothing
        );
        // Most of the screen: all of it.
        let big = [0.0, 0.0, 3000.0, 2000.0];
        assert_eq!(
            region(Some(&quiet), (&c, 1.0, 7), &[big], &[], SCREEN),
            Region::Full
        );
    }

    #[test]
    fn overlapping_rectangles_merge_and_others_stay() {
        let m = merge(vec![
            [0.0, 0.0, 10.0, 10.0],
            [5.0, 5.0, 20.0, 20.0],
            [100.0, 100.0, 110.0, 110.0],
            [18.0, 0.0, 30.0, 4.0],
        ]);
        assert_eq!(m.len(), 2, "{m:?}");
        assert!(m.contains(&[0.0, 0.0, 30.0, 20.0]));
        assert!(m.contains(&[100.0, 100.0, 110.0, 110.0]));
    }

    #[test]
    fn a_pulse_square_holds_its_largest_ring() {
        let r = pulse_rect([100.0, 100.0], 1.0, 2.0);
        let reach = pulse_reach(1.0) * 2.0;
        assert!(r[0] <= 200.0 - reach && r[2] >= 200.0 + reach);
        // Rounded out to whole pixels when clipped.
        let c = clip(&[0.4, 0.6, 10.2, 10.7], SCREEN).unwrap();
        assert_eq!(c, [0.0, 0.0, 11.0, 11.0]);
    }

    #[test]
    fn cover_is_the_share_of_the_screen() {
        assert_eq!(cover(None, 100.0, 100.0), 0.0);
        assert!((cover(Some([-50.0, 0.0, 100.0, 100.0]), 100.0, 100.0) - 0.5).abs() < 1e-12);
        assert!((cover(Some([-10.0, -10.0, 500.0, 500.0]), 100.0, 100.0) - 1.0).abs() < 1e-12);
        assert_eq!(cover(Some([200.0, 0.0, 100.0, 100.0]), 100.0, 100.0), 0.0);
    }
}
