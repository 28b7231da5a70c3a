//! The server's clock: Unix milliseconds and seconds now. A leaf, so that the
//! store and the live service read the same clock without importing each other.

/// Unix milliseconds now.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Unix seconds now.
pub fn now_s() -> i64 {
    now_ms().div_euclid(1000)
}
