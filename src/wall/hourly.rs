//! Cases per hour over the last 24 hours against the typical day, for the
//! wall's small chart (pure, tested natively). The 24 bars are the whole
//! CST hours ending with the current one; each bar's typical value is the
//! mean count of the same hour of the day over the 28 days before it (the
//! browser holds 30 days of cases: 28 full days back from a window that
//! itself spans yesterday and today fit). All days, not only the same
//! weekday: 28 samples per hour instead of 4 keep the line smooth.

use pingan_model::cases::CaseRecord;

/// Hours the chart shows.
pub const HOURS: usize = 24;
/// Days the typical day averages.
pub const TYPICAL_DAYS: i64 = 28;

/// The chart's data at one moment.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Hourly {
    /// Unix seconds of the start of the first (oldest) hour.
    pub start: i64,
    /// Cases reported in each hour, oldest first; the last is the current
    /// (partial) hour.
    pub counts: Vec<u32>,
    /// The typical count of each hour (mean over [`TYPICAL_DAYS`] days).
    pub typical: Vec<f64>,
}

impl Hourly {
    /// The CST hour of day each bar starts at (for its axis label).
    pub fn hour_of(&self, i: usize) -> u32 {
        pingan_model::time::cst(self.start + i as i64 * 3600).hour
    }
    /// The largest of counts and typical values (the chart's scale), ≥ 1.
    pub fn max(&self) -> f64 {
        self.counts
            .iter()
            .map(|c| *c as f64)
            .chain(self.typical.iter().copied())
            .fold(1.0, f64::max)
    }
}

/// Counts `cases` into the 24 hours ending with the hour holding `now`,
/// and the typical day from the 28 days before each hour.
pub fn hourly<'a>(cases: impl IntoIterator<Item = &'a CaseRecord>, now: i64) -> Hourly {
    // Hours are whole hours in CST, which has no DST and a whole-hour offset:
    // whole UTC hours.
    let current = now.div_euclid(3600) * 3600;
    let start = current - (HOURS as i64 - 1) * 3600;
    let oldest = start - TYPICAL_DAYS * 86_400;
    let mut counts = vec![0u32; HOURS];
    let mut past = vec![0u32; HOURS];
    for c in cases {
        if c.time < oldest || c.time > now {
            continue;
        }
        let h = (c.time - start).div_euclid(3600);
        if (0..HOURS as i64).contains(&h) {
            counts[h as usize] += 1;
        }
        // The same hour d days earlier, for d in 1..=28.
        let back = (start - c.time).max(0);
        let d = (back + 86_399) / 86_400;
        if (1..=TYPICAL_DAYS).contains(&d) {
            let h = (c.time + d * 86_400 - start).div_euclid(3600);
            if (0..HOURS as i64).contains(&h) {
                past[h as usize] += 1;
            }
        }
    }
    let typical = past
        .iter()
        .map(|n| *n as f64 / TYPICAL_DAYS as f64)
        .collect();
    Hourly {
        start,
        counts,
        typical,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pingan_model::domain::{CaseCategory, CaseStatus};

    fn at(time: i64) -> CaseRecord {
        CaseRecord {
            id: 1,
            time,
            lon: 113.8,
            lat: 22.6,
            grid: 0,
            category: CaseCategory::Dispute,
            status: CaseStatus::Reported,
            departments: Default::default(),
            deadline_hours: 24,
        }
    }

    #[test]
    fn the_last_24_hours_end_with_the_current_hour() {
        // 2026-11-26 10:20 CST.
        let now = pingan_model::time::cst_midnight(2026, 11, 26) + 10 * 3600 + 20 * 60;
        let cases = [
            at(now),              // the current hour (last bar)
            at(now - 20 * 60),    // 10:00 exactly: still the current hour
            at(now - 20 * 60 - 1), // 09:59:59: the bar before
            at(now - 23 * 3600 - 20 * 60), // 11:00 yesterday: the first bar
            at(now - 23 * 3600 - 20 * 60 - 1), // before the window
            at(now + 1),          // the future: never counted
        ];
        let h = hourly(&cases, now);
        assert_eq!(h.counts.len(), HOURS);
        assert_eq!(h.counts[23], 2);
        assert_eq!(h.counts[22], 1);
        assert_eq!(h.counts[0], 1);
        assert_eq!(h.counts.iter().sum::<u32>(), 4);
        assert_eq!(h.hour_of(23), 10);
        assert_eq!(h.hour_of(0), 11);
    }

    #[test]
    fn the_typical_hour_is_the_mean_of_the_same_hour_over_28_days() {
        let now = pingan_model::time::cst_midnight(2026, 11, 26) + 10 * 3600 + 20 * 60;
        let mut cases = Vec::new();
        // Two cases at 09:30 on each of the 28 days before today, one more 29 days back
        // (outside the typical window), none today.
        for d in 1..=29 {
            let t = now - 50 * 60 - d * 86_400;
            cases.push(at(t));
            if d <= 28 {
                cases.push(at(t + 60));
            }
        }
        let h = hourly(&cases, now);
        assert_eq!(h.counts[22], 0, "none today at 09:00");
        assert!((h.typical[22] - 2.0).abs() < 1e-9, "{:?}", h.typical);
        // Yesterday's 09:30 is before the window (it starts at 11:00 yesterday): it counts
        // only in the typical value.
        assert!(h.typical.iter().enumerate().all(|(i, v)| i == 22 || *v == 0.0));
        assert_eq!(h.max(), 2.0);
    }

    #[test]
    fn an_hour_of_yesterday_inside_the_window_is_both_a_bar_and_typical_of_the_next_days_bar() {
        let now = pingan_model::time::cst_midnight(2026, 11, 26) + 10 * 3600 + 20 * 60;
        // 12:10 yesterday: bar 1 (12:00 yesterday); and one day before 12:10 the day before
        // yesterday: typical of bar 1 (d = 1).
        let h = hourly(&[at(now - 22 * 3600 - 10 * 60), at(now - 46 * 3600 - 10 * 60)], now);
        assert_eq!(h.counts[1], 1);
        assert!((h.typical[1] - 1.0 / 28.0).abs() < 1e-9);
    }
}
