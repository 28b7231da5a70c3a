//! Civil time without a time-zone database: China Standard Time is UTC+8 all
//! year (no daylight saving), so conversion is an offset.

/// Seconds east of UTC for China Standard Time.
pub const CST_OFFSET: i64 = 8 * 3600;

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// (year, month, day) → days since 1970-01-01.
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Local (CST) broken-down time of a Unix timestamp.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LocalTime {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    /// 0 = Monday … 6 = Sunday.
    pub weekday: u32,
}

pub fn cst(unix: i64) -> LocalTime {
    let t = unix + CST_OFFSET;
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    LocalTime {
        year,
        month,
        day,
        hour: (secs / 3600) as u32,
        minute: (secs / 60 % 60) as u32,
        second: (secs % 60) as u32,
        // 1970-01-01 was a Thursday (3).
        weekday: ((days + 3).rem_euclid(7)) as u32,
    }
}

/// `2026-11-26 08:30` in CST, for the screen.
pub fn format_cst(unix: i64) -> String {
    let t = cst(unix);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}",
        t.year, t.month, t.day, t.hour, t.minute
    )
}

/// ISO-8601 with offset, for storage and exchange: `2026-11-26T08:30:00+08:00`.
pub fn iso_cst(unix: i64) -> String {
    let t = cst(unix);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}+08:00",
        t.year, t.month, t.day, t.hour, t.minute, t.second
    )
}

/// CST midnight starting the (CST) day that contains `unix`.
pub fn cst_day_start(unix: i64) -> i64 {
    let t = cst(unix);
    cst_midnight(t.year, t.month, t.day)
}

/// Unix time of local (CST) midnight starting the given date.
pub fn cst_midnight(y: i64, m: u32, d: u32) -> i64 {
    days_from_civil(y, m, d) * 86_400 - CST_OFFSET
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_dates() {
        // 2026-11-26 00:00 CST = 2026-11-25 16:00 UTC = 1795622400.
        let t = cst_midnight(2026, 11, 26);
        assert_eq!(t, 1_795_622_400);
        assert_eq!(format_cst(t), "2026-11-26 00:00");
        assert_eq!(iso_cst(t + 3661), "2026-11-26T01:01:01+08:00");
        assert_eq!(cst(t).weekday, 3, "2026-11-26 is a Thursday");
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        for d in [-1000, 0, 59, 60, 10_957, 20_000, 50_000] {
            let (y, m, dd) = civil_from_days(d);
            assert_eq!(days_from_civil(y, m, dd), d);
        }
    }
}
