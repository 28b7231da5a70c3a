//! The two clocks: the wall clock (Unix seconds, for overdue and dates) and
//! the performance clock (ms, for frame and animation timing).

/// The wall clock, Unix seconds (overdue, details): read when used, never
/// fixed at page load (a wall runs for days).
pub fn now_s() -> i64 {
    (js_sys::Date::now() / 1000.0) as i64
}

/// The performance clock, ms since page load.
pub fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map(|p| p.now())
        .unwrap_or(0.0)
}
