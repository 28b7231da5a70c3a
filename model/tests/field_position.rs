//! `field::position`: the quality classes; the tracker's rules one by one —
//! first fix, movement tied to accuracy, accuracy changes, the 1 s
//! throttle with its one timer, stale fixes and a clock gone back,
//! stillness after 2 minutes (noise and poor fixes ignored, speed and
//! movement end it) — and a random walk checking the throttle's
//! guarantees against a caller that keeps one timer.

use pingan_model::field::position::*;
use pingan_model::projection::EARTH_RADIUS;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

const START: [f64; 2] = [113.85, 22.65];

/// A fix `north` and `east` metres from START.
fn at(north: f64, east: f64, accuracy_m: f64, at_ms: f64) -> Fix {
    let dlat = (north / EARTH_RADIUS).to_degrees();
    let dlon = (east / (EARTH_RADIUS * START[1].to_radians().cos())).to_degrees();
    Fix {
        lon: START[0] + dlon,
        lat: START[1] + dlat,
        accuracy_m,
        heading: None,
        speed: None,
        at_ms,
    }
}

#[test]
fn quality_by_accuracy_and_validity() {
    assert_eq!(quality(5.0), Quality::Good);
    assert_eq!(quality(ACCURACY_WARN_M), Quality::Good);
    assert_eq!(quality(ACCURACY_WARN_M * 1.01), Quality::Poor);
    assert_eq!(quality(ACCURACY_UNUSABLE_M), Quality::Poor);
    assert_eq!(quality(ACCURACY_UNUSABLE_M * 1.01), Quality::Unusable);
    assert_eq!(quality(f64::NAN), Quality::Unusable);
    assert_eq!(quality(-3.0), Quality::Unusable);
    assert_eq!(quality(f64::INFINITY), Quality::Unusable);
    assert_eq!(at(0.0, 0.0, 8.0, 0.0).quality(), Quality::Good);
    let mut f = at(0.0, 0.0, 8.0, 0.0);
    f.lat = 95.0;
    assert_eq!(f.quality(), Quality::Unusable);
    f = at(0.0, 0.0, 8.0, f64::NAN);
    assert_eq!(f.quality(), Quality::Unusable);
    f = at(0.0, 0.0, 8.0, 0.0);
    f.lon = f64::NAN;
    assert_eq!(f.quality(), Quality::Unusable);
}

#[test]
fn the_first_usable_fix_computes_at_once() {
    let mut t = Tracker::new();
    assert_eq!(t.basis(), None);
    let bad = at(0.0, 0.0, 2_000.0, 0.0);
    let d = t.fix(bad);
    assert!(!d.recompute && d.timer_at.is_none());
    assert_eq!(t.latest(), None, "an unusable fix is not used");
    let f = at(0.0, 0.0, 30.0, 100.0);
    let d = t.fix(f);
    assert!(d.recompute);
    assert_eq!(t.basis(), Some(f));
    assert_eq!(d.motion, Motion::Moving);
}

#[test]
fn movement_counts_from_max_of_10_m_and_half_the_accuracy() {
    for (acc, below, above) in [(5.0, 9.0, 11.0), (40.0, 19.0, 21.0), (200.0, 99.0, 101.0)] {
        let mut t = Tracker::new();
        assert!(t.fix(at(0.0, 0.0, acc, 0.0)).recompute);
        let d = t.fix(at(below, 0.0, acc, 5_000.0));
        assert!(!d.recompute, "{below} m at ±{acc} m is noise");
        let d = t.fix(at(0.0, above, acc, 10_000.0));
        assert!(d.recompute, "{above} m at ±{acc} m is a move");
        assert!(needs_recompute(
            &at(0.0, 0.0, acc, 0.0),
            &at(above, 0.0, acc, 0.0)
        ));
        assert!(!needs_recompute(
            &at(0.0, 0.0, acc, 0.0),
            &at(below, 0.0, acc, 0.0)
        ));
    }
}

#[test]
fn a_large_change_of_accuracy_recomputes() {
    let b = at(0.0, 0.0, 8.0, 0.0);
    assert!(needs_recompute(&b, &at(0.0, 0.0, 30.0, 0.0)), "8 → 30 m");
    assert!(
        needs_recompute(&at(0.0, 0.0, 300.0, 0.0), &at(0.0, 0.0, 5.0, 0.0)),
        "300 → 5 m"
    );
    assert!(
        !needs_recompute(&b, &at(0.0, 0.0, 14.0, 0.0)),
        "8 → 14 m: by under 10 m"
    );
    assert!(
        !needs_recompute(&at(0.0, 0.0, 30.0, 0.0), &at(0.0, 0.0, 50.0, 0.0)),
        "30 → 50 m: under double"
    );
    let mut t = Tracker::new();
    let _ = t.fix(b);
    assert!(t.fix(at(0.0, 0.0, 30.0, 2_000.0)).recompute);
}

#[test]
fn recomputes_at_most_once_a_second_with_one_timer() {
    let mut t = Tracker::new();
    assert!(t.fix(at(0.0, 0.0, 5.0, 0.0)).recompute);
    let d = t.fix(at(30.0, 0.0, 5.0, 300.0));
    assert!(!d.recompute);
    assert_eq!(
        d.timer_at,
        Some(RECOMPUTE_EVERY_MS),
        "one timer for when it is due"
    );
    assert_eq!(t.pending_due(), Some(RECOMPUTE_EVERY_MS));
    let last = at(60.0, 0.0, 5.0, 600.0);
    let d = t.fix(last);
    assert!(!d.recompute && d.timer_at.is_none(), "the timer set stands");
    let d = t.tick(999.0);
    assert!(!d.recompute);
    assert_eq!(d.timer_at, Some(RECOMPUTE_EVERY_MS), "early: set again");
    let d = t.tick(1_000.0);
    assert!(d.recompute && d.timer_at.is_none());
    assert_eq!(t.basis(), Some(last), "from the newest fix");
    assert_eq!(t.pending_due(), None);
    assert!(!t.tick(5_000.0).recompute, "nothing pending");
    // A move a second or more after the last compute is computed at once.
    assert!(t.fix(at(100.0, 0.0, 5.0, 2_000.0)).recompute);
}

#[test]
fn a_pending_recompute_is_dropped_when_back_where_computed() {
    let mut t = Tracker::new();
    let _ = t.fix(at(0.0, 0.0, 5.0, 0.0));
    assert!(t.fix(at(30.0, 0.0, 5.0, 300.0)).timer_at.is_some());
    let _ = t.fix(at(2.0, 0.0, 5.0, 600.0));
    let d = t.tick(1_000.0);
    assert!(!d.recompute && d.timer_at.is_none());
    assert_eq!(t.pending_due(), None);
}

#[test]
fn stale_fixes_are_ignored_but_a_clock_gone_back_is_not() {
    let mut t = Tracker::new();
    let _ = t.fix(at(0.0, 0.0, 5.0, 100_000.0));
    let d = t.fix(at(500.0, 0.0, 5.0, 90_000.0));
    assert!(!d.recompute && d.timer_at.is_none(), "10 s older: stale");
    assert_eq!(t.latest().map(|f| f.at_ms), Some(100_000.0));
    // An hour back: the clock moved. Used, computed at once (no timer that
    // would wait for the old clock).
    let d = t.fix(at(500.0, 0.0, 5.0, 100_000.0 - 3_600_000.0));
    assert!(d.recompute);
    assert_eq!(t.latest().map(|f| f.at_ms), Some(100_000.0 - 3_600_000.0));
}

#[test]
fn still_after_two_minutes_within_the_noise() {
    let mut rng = SmallRng::seed_from_u64(20);
    let mut t = Tracker::new();
    let mut changes = Vec::new();
    for s in 0..=200 {
        let ms = f64::from(s) * 1_000.0;
        // GPS wander of ±5 m at 8 m accuracy, and every 10 s a poor fix
        // 60 m off with an accuracy of 80 m: noise, not movement.
        let f = if s % 10 == 5 {
            at(60.0, 0.0, 80.0, ms)
        } else {
            at(
                rng.random_range(-5.0..5.0),
                rng.random_range(-5.0..5.0),
                8.0,
                ms,
            )
        };
        let d = t.fix(f);
        if d.motion_changed {
            changes.push((s, d.motion));
        }
        if ms < STILL_AFTER_MS {
            assert_eq!(d.motion, Motion::Moving, "at {s} s");
        }
    }
    assert_eq!(changes, vec![(120, Motion::Still)]);
    assert_eq!(t.still_at(), None, "already still");
    // Walking off: moving again at once.
    let d = t.fix(at(40.0, 0.0, 8.0, 201_000.0));
    assert!(d.motion_changed && d.motion == Motion::Moving);
    assert_eq!(t.still_at(), Some(201_000.0 + STILL_AFTER_MS));
}

#[test]
fn stillness_also_comes_by_ticks_and_ends_by_speed() {
    let mut t = Tracker::new();
    let _ = t.fix(at(0.0, 0.0, 10.0, 0.0));
    assert_eq!(t.still_at(), Some(STILL_AFTER_MS));
    assert_eq!(t.tick(STILL_AFTER_MS - 1.0).motion, Motion::Moving);
    let d = t.tick(STILL_AFTER_MS);
    assert!(d.motion_changed && d.motion == Motion::Still);
    // Within the noise, but the fix reports a walking speed.
    let mut f = at(3.0, 0.0, 10.0, STILL_AFTER_MS + 1_000.0);
    f.speed = Some(1.3);
    let d = t.fix(f);
    assert!(d.motion_changed && d.motion == Motion::Moving);
    // A slow drift reported at 0.2 m/s is not movement.
    f.speed = Some(0.2);
    f.at_ms += 1_000.0;
    assert!(!t.fix(f).motion_changed);
    // Unusable fixes let time pass but do not move.
    let mut bad = at(900.0, 0.0, 3_000.0, f.at_ms + STILL_AFTER_MS);
    bad.speed = Some(5.0);
    let d = t.fix(bad);
    assert!(d.motion_changed && d.motion == Motion::Still && !d.recompute);
}

#[test]
fn odd_times_never_panic() {
    let mut t = Tracker::new();
    let _ = t.tick(f64::NAN);
    let _ = t.fix(at(0.0, 0.0, 5.0, f64::NAN));
    let _ = t.fix(at(0.0, 0.0, f64::NAN, 0.0));
    assert_eq!(t.latest(), None);
    let _ = t.fix(at(0.0, 0.0, 5.0, 0.0));
    let _ = t.tick(f64::INFINITY);
    let _ = t.tick(-1e300);
    assert!(t.latest().is_some());
}

/// A random walk with random gaps, a caller that keeps one timer and calls
/// `tick` when it fires: computes are ≥ 1 s apart; never two timers; the
/// list is never left out of date once its timer has fired.
#[test]
fn random_walk_keeps_the_throttle_promises() {
    let mut rng = SmallRng::seed_from_u64(21);
    for _ in 0..50 {
        let mut t = Tracker::new();
        let (mut n, mut e, mut ms) = (0.0, 0.0, 0.0);
        let mut timer: Option<f64> = None;
        let mut last_compute: Option<f64> = None;
        let mut computes = 0;
        for _ in 0..400 {
            ms += rng.random_range(50.0..1_500.0);
            // Fire the timer first if it is due before this fix.
            if let Some(due) = timer.filter(|&d| d <= ms) {
                timer = None;
                let d = t.tick(due);
                if d.recompute {
                    assert!(last_compute.is_none_or(|l| due - l >= RECOMPUTE_EVERY_MS - 1e-6));
                    last_compute = Some(due);
                    computes += 1;
                }
                assert!(d.timer_at.is_none(), "fired on time: no new timer");
                if let (Some(b), Some(l)) = (t.basis(), t.latest()) {
                    assert!(!needs_recompute(&b, &l), "out of date after the timer");
                }
            }
            if rng.random::<f64>() < 0.6 {
                n += rng.random_range(-15.0..15.0);
                e += rng.random_range(-15.0..15.0);
            }
            let acc = [5.0, 8.0, 20.0, 60.0][rng.random_range(0..4)];
            let d = t.fix(at(n, e, acc, ms));
            if d.recompute {
                assert!(last_compute.is_none_or(|l| ms - l >= RECOMPUTE_EVERY_MS - 1e-6));
                last_compute = Some(ms);
                computes += 1;
            }
            if let Some(due) = d.timer_at {
                assert!(timer.is_none(), "a second timer asked for");
                assert!(due > ms && due <= ms + RECOMPUTE_EVERY_MS);
                timer = Some(due);
            }
            // Out of date only while a timer is set.
            if let (Some(b), Some(l)) = (t.basis(), t.latest()) {
                if needs_recompute(&b, &l) {
                    assert!(timer.is_some(), "out of date with no timer");
                }
            }
        }
        assert!(computes > 20, "{computes} computes");
    }
}
