//! Reload on a new build (contract 4): the server tells the app's build
//! hash (`/api/health`'s `build`, the stream's welcome). The wall remembers
//! the first it saw; a different one later means a new app was deployed:
//! the page reloads after a jittered delay (so a room of walls does not
//! reload at one instant) and never while something holds the focus.
//! [`BuildWatch`] is pure (tested natively); the wall's runtime feeds it.

/// The delay before a reload: 5 s plus up to 30 s of jitter.
pub const DELAY_MS: f64 = 5_000.0;
pub const JITTER_MS: f64 = 30_000.0;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct BuildWatch {
    first: Option<String>,
    /// When to reload (same clock as the calls' `now`).
    reload_at: Option<f64>,
}

impl BuildWatch {
    /// A build hash seen at `now`; `r` in 0..1 picks the jitter. `None`
    /// (the server has no build) changes nothing.
    pub fn seen(&mut self, build: Option<&str>, now: f64, r: f64) {
        let Some(b) = build.filter(|b| !b.is_empty()) else {
            return;
        };
        match &self.first {
            None => self.first = Some(b.to_string()),
            Some(f) if f != b && self.reload_at.is_none() => {
                self.reload_at = Some(now + DELAY_MS + r.clamp(0.0, 1.0) * JITTER_MS);
            }
            _ => {}
        }
    }

    /// Whether to reload now: the delay has passed and nothing holds the focus.
    pub fn due(&self, now: f64, focusing: bool) -> bool {
        !focusing && self.reload_at.is_some_and(|t| now >= t)
    }

    /// The build first seen.
    #[cfg_attr(not(test), allow(dead_code))]
    pub fn first(&self) -> Option<&str> {
        self.first.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_build_reloads_after_the_jittered_delay_never_during_a_focus() {
        let mut w = BuildWatch::default();
        w.seen(None, 0.0, 0.5);
        assert_eq!(w.first(), None);
        w.seen(Some("aaaa"), 0.0, 0.5);
        w.seen(Some("aaaa"), 1_000.0, 0.5);
        assert!(!w.due(1e9, false), "the same build");
        w.seen(Some("bbbb"), 2_000.0, 0.5);
        let at = 2_000.0 + DELAY_MS + 0.5 * JITTER_MS;
        assert!(!w.due(at - 1.0, false));
        assert!(w.due(at, false));
        assert!(!w.due(at, true), "not while an alarm holds the focus");
        // A third build does not move the reload later.
        w.seen(Some("cccc"), 10_000.0, 1.0);
        assert!(w.due(at, false));
        assert_eq!(w.first(), Some("aaaa"));
    }
}
