//! The phone's position fix and the policy around it, pure: a fix's
//! [`Quality`] by its accuracy, and a [`Tracker`] that takes fixes (and
//! timer ticks) and decides when the nearby list must be recomputed —
//! moved beyond the noise or accuracy changed a lot, at most once per
//! second, with the one time a timer is needed — and whether the officer
//! stands still (the app then asks the Geolocation watch for low accuracy
//! and an older `maximumAge`, to save battery) or moves again.
//!
//! Times are milliseconds on the caller's one clock: a fix's `at_ms` and
//! [`Tracker::tick`]'s `now_ms` alike (the app passes `Date.now()`).

use crate::projection::haversine_m;

/// Above this accuracy (metres, the radius the browser reports) a fix is
/// [`Quality::Poor`] and the app warns, as field apps such as ArcGIS Field
/// Maps do past their accuracy threshold. 50 m because a grid cell is some
/// 200–300 m across: within 50 m the circle is at most a quarter of a
/// cell, so "which grid am I in" and "what is nearest" are right except
/// near a border; past it a phone is on Wi-Fi or cell positioning, not GPS.
pub const ACCURACY_WARN_M: f64 = 50.0;
/// Above this a fix is [`Quality::Unusable`]: the circle spans several
/// cells (cell-tower or IP positioning), a nearby list from it would
/// mislead. Such fixes are not used; the last list stays, with a warning.
pub const ACCURACY_UNUSABLE_M: f64 = 500.0;
/// The least movement that counts, whatever the accuracy says: GPS
/// wanders a few metres standing still.
pub const MIN_MOVE_M: f64 = 10.0;
/// The nearby list is recomputed at most once per this many ms.
pub const RECOMPUTE_EVERY_MS: f64 = 1_000.0;
/// No movement beyond the noise for this long: [`Motion::Still`].
pub const STILL_AFTER_MS: f64 = 120_000.0;
/// A fix older than the newest by more than this is taken as the clock
/// having gone back, not as a stale fix.
pub const CLOCK_BACK_MS: f64 = 60_000.0;
/// A speed (m/s, from the fix) at or above which the officer moves, even
/// when the positions stay within the noise: a slow walk is ~1.2 m/s, a
/// still GPS reports a few tenths at most.
pub const MOVING_SPEED_MPS: f64 = 1.0;

/// A position fix as the Geolocation API gives it (WGS84).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Fix {
    pub lon: f64,
    pub lat: f64,
    /// Radius of the 95 % circle, metres.
    pub accuracy_m: f64,
    /// Degrees clockwise from north, when moving and known.
    pub heading: Option<f64>,
    /// Metres per second, when known.
    pub speed: Option<f64>,
    /// When the fix was taken (or received), ms on the caller's clock.
    pub at_ms: f64,
}

impl Fix {
    pub fn lonlat(&self) -> [f64; 2] {
        [self.lon, self.lat]
    }
    /// The quality of this fix: [`quality`] of its accuracy, and
    /// [`Quality::Unusable`] for coordinates or a time that are not a
    /// place and a moment (non-finite, out of range).
    pub fn quality(&self) -> Quality {
        let valid = self.lon.is_finite()
            && self.lon.abs() <= 180.0
            && self.lat.abs() <= 90.0
            && self.at_ms.is_finite();
        if valid {
            quality(self.accuracy_m)
        } else {
            Quality::Unusable
        }
    }
    fn metres_to(&self, o: &Fix) -> f64 {
        haversine_m(self.lon, self.lat, o.lon, o.lat)
    }
}

/// How far a fix can be trusted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quality {
    /// Within [`ACCURACY_WARN_M`].
    Good,
    /// Usable, with a warning.
    Poor,
    /// Past [`ACCURACY_UNUSABLE_M`], or no accuracy at all (NaN, negative).
    Unusable,
}

/// The quality of an accuracy radius in metres.
pub fn quality(accuracy_m: f64) -> Quality {
    if accuracy_m.is_nan() || accuracy_m < 0.0 {
        Quality::Unusable
    } else if accuracy_m <= ACCURACY_WARN_M {
        Quality::Good
    } else if accuracy_m <= ACCURACY_UNUSABLE_M {
        Quality::Poor
    } else {
        Quality::Unusable
    }
}

/// Whether the officer moves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Motion {
    #[default]
    Moving,
    Still,
}

/// What the caller does after a fix or a tick.
#[derive(Clone, Copy, Debug, PartialEq)]
#[must_use]
pub struct Decision {
    /// Recompute the nearby list now, from [`Tracker::basis`].
    pub recompute: bool,
    /// A recompute is now pending: set one timer for this time and call
    /// [`Tracker::tick`] then. `None` when no new timer is needed (none
    /// pending, or the one already asked for still stands).
    pub timer_at: Option<f64>,
    pub motion: Motion,
    /// `motion` differs from before this call (switch the watch's options).
    pub motion_changed: bool,
}

/// The position policy's state; see the module docs.
#[derive(Clone, Debug, Default)]
pub struct Tracker {
    latest: Option<Fix>,
    basis: Option<Fix>,
    computed_ms: f64,
    pending_due: Option<f64>,
    anchor: Option<Fix>,
    still_since_ms: f64,
    motion: Motion,
}

impl Tracker {
    pub fn new() -> Tracker {
        Tracker::default()
    }

    /// The newest usable fix.
    pub fn latest(&self) -> Option<Fix> {
        self.latest
    }
    /// The fix the nearby list is (to be) computed from: set when a
    /// decision says `recompute`.
    pub fn basis(&self) -> Option<Fix> {
        self.basis
    }
    pub fn motion(&self) -> Motion {
        self.motion
    }
    /// When a pending recompute is due, if one is.
    pub fn pending_due(&self) -> Option<f64> {
        self.pending_due
    }
    /// When the officer will count as still if nothing moves (while moving).
    pub fn still_at(&self) -> Option<f64> {
        (self.motion == Motion::Moving && self.anchor.is_some())
            .then_some(self.still_since_ms + STILL_AFTER_MS)
    }

    /// Takes a fix. Unusable fixes and fixes older than the newest one are
    /// not used (time still passes for stillness with an unusable one);
    /// see [`CLOCK_BACK_MS`].
    pub fn fix(&mut self, f: Fix) -> Decision {
        let before = self.motion;
        let mut d = Decision {
            recompute: false,
            timer_at: None,
            motion: before,
            motion_changed: false,
        };
        // Older than the newest fix: stale (a cached position), unless by
        // more than a minute — then the clock went back, and time restarts.
        if self
            .latest
            .is_some_and(|l| f.at_ms < l.at_ms && l.at_ms - f.at_ms <= CLOCK_BACK_MS)
        {
            return d;
        }
        if f.quality() == Quality::Unusable {
            if f.at_ms.is_finite() {
                self.pass_time(f.at_ms);
            }
            return self.finish(d, before);
        }
        self.latest = Some(f);
        self.observe(&f);
        match self.basis {
            None => self.compute(f, f.at_ms, &mut d),
            Some(b) if needs_recompute(&b, &f) && self.pending_due.is_none() => {
                let since = f.at_ms - self.computed_ms;
                if !(0.0..RECOMPUTE_EVERY_MS).contains(&since) {
                    // Due, or the clock went back: a timer could wait forever.
                    self.compute(f, f.at_ms, &mut d);
                } else {
                    let due = self.computed_ms + RECOMPUTE_EVERY_MS;
                    self.pending_due = Some(due);
                    d.timer_at = Some(due);
                }
            }
            Some(_) => {}
        }
        self.finish(d, before)
    }

    /// The caller's timer fired (or any moment: early calls are harmless).
    pub fn tick(&mut self, now_ms: f64) -> Decision {
        let before = self.motion;
        let mut d = Decision {
            recompute: false,
            timer_at: None,
            motion: before,
            motion_changed: false,
        };
        if !now_ms.is_finite() {
            return d;
        }
        self.pass_time(now_ms);
        if let Some(due) = self.pending_due {
            if now_ms >= due || now_ms < self.computed_ms {
                self.pending_due = None;
                // Only if it is still needed: the officer may be back.
                if let (Some(b), Some(l)) = (self.basis, self.latest) {
                    if needs_recompute(&b, &l) {
                        self.compute(l, now_ms, &mut d);
                    }
                }
            } else {
                d.timer_at = Some(due); // fired early: once more
            }
        }
        self.finish(d, before)
    }

    fn compute(&mut self, f: Fix, now_ms: f64, d: &mut Decision) {
        self.basis = Some(f);
        self.computed_ms = now_ms;
        self.pending_due = None;
        d.recompute = true;
    }

    fn finish(&self, mut d: Decision, before: Motion) -> Decision {
        d.motion = self.motion;
        d.motion_changed = self.motion != before;
        d
    }

    /// Movement and stillness from a usable fix.
    fn observe(&mut self, f: &Fix) {
        let Some(a) = self.anchor else {
            self.anchor = Some(*f);
            self.still_since_ms = f.at_ms;
            return;
        };
        // Each fix is within its accuracy of the truth (95 %): two fixes of
        // one spot differ by up to the sum. A fix within that of the anchor
        // is noise, however poor it is.
        let noise = MIN_MOVE_M.max(a.accuracy_m + f.accuracy_m);
        let fast = f.speed.is_some_and(|s| s >= MOVING_SPEED_MPS);
        if fast || a.metres_to(f) > noise {
            self.anchor = Some(*f);
            self.still_since_ms = f.at_ms;
            self.motion = Motion::Moving;
        } else {
            if f.accuracy_m < a.accuracy_m {
                // A better fix of the same place: stillness goes on from it.
                self.anchor = Some(*f);
            }
            self.pass_time(f.at_ms);
        }
    }

    fn pass_time(&mut self, now_ms: f64) {
        if self.anchor.is_none() {
            return;
        }
        if now_ms < self.still_since_ms {
            self.still_since_ms = now_ms; // the clock went back
        }
        if now_ms - self.still_since_ms >= STILL_AFTER_MS {
            self.motion = Motion::Still;
        }
    }
}

/// Whether a list computed at `basis` is out of date at `f`: moved at
/// least max(10 m, half the larger accuracy) — less is within what either
/// fix can tell — or the accuracy changed a lot (doubled or halved, by at
/// least 10 m: the list's own warning and reach change with it).
pub fn needs_recompute(basis: &Fix, f: &Fix) -> bool {
    let threshold = MIN_MOVE_M.max(basis.accuracy_m.max(f.accuracy_m) / 2.0);
    let (lo, hi) = if basis.accuracy_m <= f.accuracy_m {
        (basis.accuracy_m, f.accuracy_m)
    } else {
        (f.accuracy_m, basis.accuracy_m)
    };
    basis.metres_to(f) >= threshold || (hi - lo >= 10.0 && hi >= 2.0 * lo)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quality_classes_follow_the_thresholds() {
        assert_eq!(quality(ACCURACY_WARN_M), Quality::Good);
        assert_eq!(quality(ACCURACY_WARN_M + 0.1), Quality::Poor);
        assert_eq!(quality(ACCURACY_UNUSABLE_M + 0.1), Quality::Unusable);
        assert_eq!(quality(f64::NAN), Quality::Unusable);
        assert_eq!(quality(-1.0), Quality::Unusable);
    }
}
