//! A read the wall tries again after a failure (the KPI figures, the urgent
//! rules and cases, the group's scene): 2, 4, 8 … 60 s apart (each ±25 %, 60 s at most),
//! from the first failure on; the pending attempt is dropped, hence
//! cancelled, with its owner.

use gloo_timers::callback::Timeout;

/// The longest wait between attempts (ms).
const MAX_MS: u32 = 60_000;

#[derive(Default)]
pub struct Retry {
    /// Failed attempts in a row.
    failures: u32,
    pending: Option<Timeout>,
}

impl Retry {
    /// One more failure: `again` runs after the next wait.
    pub fn failed(&mut self, again: impl FnOnce() + 'static) {
        self.failures = self.failures.saturating_add(1);
        let ms = 1000u32
            .saturating_mul(1 << self.failures.min(6))
            .min(MAX_MS);
        // 0.75…1.25 of it: the tiles of every wall do not come back to a
        // restarted server in the same instant, again and again.
        let ms = ((f64::from(ms) * (0.75 + 0.5 * js_sys::Math::random())) as u32).min(MAX_MS);
        self.pending = Some(Timeout::new(ms, again));
    }

    /// It worked: the next failure waits the shortest again.
    pub fn succeeded(&mut self) {
        self.failures = 0;
        self.pending = None;
    }
}
