//! The server's clock on the wall (contract 3): every tile of a wall shows
//! the camera of the same server time, so each page estimates
//! offset = server − local. NTP-style: `GET /api/clock` timed around the
//! call, the server's `now_ms` taken at the midpoint of the round trip, and
//! of the last samples the one with the shortest round trip is believed
//! (its error is at most half of it). The stream's welcome and heartbeats
//! carry the server's clock too: a one-way sample (its error is the
//! network's latency), used only while no timed sample exists.
//!
//! The local clock is the page's monotonic `performance.now()`, not
//! `Date.now()`: a wall machine's NTP step must not jump the camera.
//! [`ClockSync`] is pure (tested natively); [`start`] runs the sampling.

use std::collections::VecDeque;

/// Samples kept (the newest; the best of them is believed).
pub const KEEP: usize = 8;

/// One estimate of the offset.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sample {
    /// server − local, ms.
    pub offset: f64,
    /// The round trip it was measured over, ms (`f64::INFINITY` for a
    /// one-way sample).
    pub rtt: f64,
}

/// The offset estimate from the last samples.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ClockSync {
    samples: VecDeque<Sample>,
}

impl ClockSync {
    /// A timed sample: the call left at local `sent`, the server's clock
    /// read `server`, the answer arrived at local `received` (ms). Ignored
    /// when the local times are not in order.
    pub fn add_timed(&mut self, sent: f64, server: f64, received: f64) {
        if received.partial_cmp(&sent).is_none_or(|o| o.is_lt()) || !server.is_finite() {
            return;
        }
        self.push(Sample {
            offset: server - (sent + received) / 2.0,
            rtt: received - sent,
        });
    }

    /// A one-way sample (a stream frame's server clock at local `received`).
    pub fn add_one_way(&mut self, server: f64, received: f64) {
        if !server.is_finite() || !received.is_finite() {
            return;
        }
        // Kept apart from the timed ones: only the latest matters.
        self.samples.retain(|s| s.rtt.is_finite());
        self.push(Sample {
            offset: server - received,
            rtt: f64::INFINITY,
        });
    }

    fn push(&mut self, s: Sample) {
        self.samples.push_back(s);
        while self.samples.len() > KEEP {
            self.samples.pop_front();
        }
    }

    /// The believed sample: the shortest round trip (the newest of equals).
    pub fn best(&self) -> Option<Sample> {
        self.samples
            .iter()
            .copied()
            .reduce(|a, b| if b.rtt <= a.rtt { b } else { a })
    }

    /// server − local, ms (0 before any sample: the local clock).
    pub fn offset(&self) -> f64 {
        self.best().map_or(0.0, |s| s.offset)
    }

    /// Whether a timed sample is among the kept ones.
    #[cfg_attr(not(test), allow(dead_code))]
    pub fn timed(&self) -> bool {
        self.samples.iter().any(|s| s.rtt.is_finite())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_midpoint_of_the_round_trip_and_the_shortest_round_trip_win() {
        let mut c = ClockSync::default();
        assert_eq!(c.offset(), 0.0);
        // Local 1000 → 1100; the server read 5050 (offset 4000, ±50).
        c.add_timed(1000.0, 5050.0, 1100.0);
        assert_eq!(c.offset(), 4000.0);
        // A slower sample (rtt 400) with a worse estimate is not believed.
        c.add_timed(2000.0, 6300.0, 2400.0);
        assert_eq!(c.offset(), 4100.0 - 100.0);
        assert_eq!(c.best().map(|s| s.rtt), Some(100.0));
        // A faster one is.
        c.add_timed(3000.0, 7010.0, 3020.0);
        assert_eq!(c.offset(), 4000.0);
    }

    #[test]
    fn old_samples_leave_and_bad_ones_are_ignored() {
        let mut c = ClockSync::default();
        c.add_timed(0.0, 500.0, 10.0); // offset 495, rtt 10
        for i in 0..KEEP {
            let t = 1000.0 * (i + 1) as f64;
            c.add_timed(t, t + 2000.0 + 50.0, t + 100.0);
        }
        // The rtt-10 sample has been pushed out.
        assert_eq!(c.offset(), 2000.0);
        c.add_timed(10.0, 0.0, 5.0); // received before sent
        c.add_timed(10.0, f64::NAN, 20.0);
        assert_eq!(c.offset(), 2000.0);
    }

    #[test]
    fn a_one_way_sample_serves_only_until_a_timed_one_exists() {
        let mut c = ClockSync::default();
        c.add_one_way(9000.0, 1000.0);
        assert_eq!(c.offset(), 8000.0);
        assert!(!c.timed());
        c.add_one_way(9500.0, 1000.0);
        assert_eq!(c.offset(), 8500.0, "the latest one-way sample");
        c.add_timed(2000.0, 10_050.0, 2100.0);
        assert_eq!(c.offset(), 8000.0);
        c.add_one_way(0.0, 5000.0);
        assert_eq!(c.offset(), 8000.0, "a timed sample beats any one-way one");
    }
}
