//! The stale-data warning: when nothing has come from the server for more
//! than a minute (the stream sends a heartbeat every few seconds, so this is
//! "the stream has been down for more than a minute"), the wall says so,
//! discreetly, with the age of the newest data. Pure, tested natively.

/// The stream may be silent this long before the wall says so (ms).
pub const STALE_AFTER_MS: f64 = 60_000.0;

/// The age (ms) of the newest data to show at `now`, or `None` while the
/// data is fresh (or there is no stream at all: static hosting says so in
/// its own words). `last_message` is when the server last spoke (same clock
/// as `now`), `None` before the first connection.
pub fn stale_age(live_api: bool, last_message: Option<f64>, now: f64, after: f64) -> Option<f64> {
    let last = last_message.filter(|_| live_api)?;
    let age = now - last;
    (age > after).then_some(age)
}

/// "3 分 12 秒" / "3 min 12 s" (hours beyond an hour, days beyond a day),
/// for the warning.
pub fn age_text(ms: f64, zh: bool) -> String {
    let s = (ms / 1000.0).floor().max(0.0) as u64;
    let (d, h, m, s) = (s / 86_400, s / 3600 % 24, s / 60 % 60, s % 60);
    match (zh, d > 0, h > 0) {
        (true, true, _) => format!("{d} 天 {h} 小时"),
        (false, true, _) => format!("{d} d {h} h"),
        (true, false, true) => format!("{h} 小时 {m} 分"),
        (true, false, false) => format!("{m} 分 {s:02} 秒"),
        (false, false, true) => format!("{h} h {m} min"),
        (false, false, false) => format!("{m} min {s:02} s"),
    }
}

/// When the newest data is from (CST): "09:15:25" today, "12-03 09:15:25"
/// on another day (an outage over midnight, or of days).
pub fn newest_text(newest: i64, now: i64) -> String {
    let t = pingan_model::time::cst(newest);
    let hms = format!("{:02}:{:02}:{:02}", t.hour, t.minute, t.second);
    if pingan_model::time::cst_day_start(newest) == pingan_model::time::cst_day_start(now) {
        hms
    } else {
        format!("{:02}-{:02} {hms}", t.month, t.day)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_only_after_a_minute_of_silence_of_a_live_stream() {
        assert_eq!(
            stale_age(true, None, 1e6, STALE_AFTER_MS),
            None,
            "never connected"
        );
        assert_eq!(stale_age(true, Some(0.0), 60_000.0, STALE_AFTER_MS), None);
        assert_eq!(
            stale_age(true, Some(0.0), 60_001.0, STALE_AFTER_MS),
            Some(60_001.0)
        );
        assert_eq!(
            stale_age(false, Some(0.0), 1e9, STALE_AFTER_MS),
            None,
            "static hosting"
        );
    }

    #[test]
    fn ages_read_in_minutes_and_seconds() {
        assert_eq!(age_text(192_400.0, true), "3 分 12 秒");
        assert_eq!(age_text(61_000.0, false), "1 min 01 s");
        assert_eq!(age_text(2.0 * 3600e3 + 5.0 * 60e3, true), "2 小时 5 分");
        assert_eq!(age_text(26.0 * 3600e3, true), "1 天 2 小时");
        assert_eq!(age_text(50.0 * 3600e3, false), "2 d 2 h");
    }

    #[test]
    fn the_newest_time_names_its_day_when_it_is_not_today() {
        // 2026-12-04 09:15:25 CST = 01:15:25 UTC.
        let t = 1_796_346_925;
        assert_eq!(pingan_model::time::cst(t).hour, 9);
        assert_eq!(newest_text(t, t + 60), "09:15:25");
        assert_eq!(newest_text(t - 86_400, t), "12-03 09:15:25");
        // Just before CST midnight, seen just after it.
        let day = pingan_model::time::cst_day_start(t);
        assert_eq!(newest_text(day - 1, day + 1), "12-03 23:59:59");
    }
}
