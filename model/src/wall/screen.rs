//! Care of a screen that runs for weeks: the burn-in shift of static
//! elements (a few px, a new place every few minutes, from the server time
//! alone so every tile of a wall shifts together) and the night dimming
//! schedule (`?dim=22:00-07:00@0.5`, wrapping midnight, in CST).

use crate::time::cst;
use std::fmt;

/// How long the static elements stay at one offset.
pub const SHIFT_PERIOD_MS: i64 = 4 * 60 * 1000;

/// The offsets visited, in CSS px at the 1920 px design width: a walk around
/// a 4 × 4 px square and its centre, each step at most 2 px from the last
/// (nothing seems to jump) and at most 2 px from the design position.
const SHIFTS: [(i8, i8); 9] = [
    (0, 0),
    (2, 0),
    (2, 2),
    (0, 2),
    (-2, 2),
    (-2, 0),
    (-2, -2),
    (0, -2),
    (2, -2),
];

/// The burn-in offset at server time `t_ms`, in CSS px for a UI scale
/// `scale` (1 at 1080p, 2 at 4K: the same apparent shift).
pub fn burn_in_offset(t_ms: i64, scale: f64) -> (f64, f64) {
    let k = t_ms
        .div_euclid(SHIFT_PERIOD_MS)
        .rem_euclid(SHIFTS.len() as i64) as usize;
    let (dx, dy) = SHIFTS[k];
    (f64::from(dx) * scale, f64::from(dy) * scale)
}

/// When the next shift happens after `t_ms` (to schedule one timer, not a loop).
pub fn next_shift_ms(t_ms: i64) -> i64 {
    (t_ms.div_euclid(SHIFT_PERIOD_MS) + 1) * SHIFT_PERIOD_MS
}

/// A night dimming schedule: from `start` to `end` (minutes after CST
/// midnight; `end` before `start` wraps midnight) the wall shows at
/// `level` of its brightness.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DimSchedule {
    pub start_min: u32,
    pub end_min: u32,
    /// 0.1–1: the brightness kept.
    pub level: f64,
}

/// Why a dimming schedule was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DimError {
    #[error("expected HH:MM-HH:MM@LEVEL, e.g. 22:00-07:00@0.5")]
    Shape,
    #[error("{0}: not a time of day (00:00–23:59)")]
    Time(String),
    #[error("start and end are the same time: nothing to dim")]
    Empty,
    #[error("{0}: the level is the brightness kept, 0.1 to 1")]
    Level(String),
}

fn minutes(s: &str) -> Result<u32, DimError> {
    let bad = || DimError::Time(s.to_string());
    let (h, m) = s.trim().split_once(':').ok_or_else(bad)?;
    let (h, m) = (
        h.parse::<u32>().map_err(|_| bad())?,
        m.parse::<u32>().map_err(|_| bad())?,
    );
    if h > 23 || m > 59 || s.trim().len() > 5 {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

impl DimSchedule {
    /// Parses `22:00-07:00@0.5`.
    pub fn parse(s: &str) -> Result<DimSchedule, DimError> {
        let (span, level) = s.split_once('@').ok_or(DimError::Shape)?;
        let (a, b) = span.split_once('-').ok_or(DimError::Shape)?;
        let (start_min, end_min) = (minutes(a)?, minutes(b)?);
        if start_min == end_min {
            return Err(DimError::Empty);
        }
        let level = match level.trim().parse::<f64>() {
            Ok(l) if (0.1..=1.0).contains(&l) => l,
            _ => return Err(DimError::Level(level.trim().to_string())),
        };
        Ok(DimSchedule {
            start_min,
            end_min,
            level,
        })
    }

    /// Whether the minute of the day `m` (0–1439) is in the dimmed span.
    pub fn covers(&self, m: u32) -> bool {
        if self.start_min < self.end_min {
            (self.start_min..self.end_min).contains(&m)
        } else {
            m >= self.start_min || m < self.end_min
        }
    }

    /// The brightness at Unix time `unix_s` (CST): `level` inside, 1 outside.
    pub fn level_at(&self, unix_s: i64) -> f64 {
        let t = cst(unix_s);
        if self.covers(t.hour * 60 + t.minute) {
            self.level
        } else {
            1.0
        }
    }
}

impl fmt::Display for DimSchedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:02}:{:02}-{:02}:{:02}@{}",
            self.start_min / 60,
            self.start_min % 60,
            self.end_min / 60,
            self.end_min % 60,
            self.level
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::cst_midnight;

    #[test]
    fn the_shift_is_small_stepwise_and_the_same_for_every_tile() {
        let t0: i64 = 1_790_000_000_000;
        // Constant within a period, different at the next.
        let start = t0 - t0.rem_euclid(SHIFT_PERIOD_MS);
        assert_eq!(
            burn_in_offset(start, 1.0),
            burn_in_offset(start + SHIFT_PERIOD_MS - 1, 1.0)
        );
        assert_ne!(
            burn_in_offset(start, 1.0),
            burn_in_offset(start + SHIFT_PERIOD_MS, 1.0)
        );
        assert_eq!(next_shift_ms(start), start + SHIFT_PERIOD_MS);
        assert_eq!(next_shift_ms(start - 1), start);
        let mut seen = std::collections::HashSet::new();
        let mut prev = burn_in_offset(start - SHIFT_PERIOD_MS, 1.0);
        for k in 0..SHIFTS.len() as i64 * 2 {
            let o = burn_in_offset(start + k * SHIFT_PERIOD_MS, 1.0);
            assert!(o.0.abs() <= 2.0 && o.1.abs() <= 2.0, "{o:?}");
            assert!(
                (o.0 - prev.0).abs() <= 2.0 && (o.1 - prev.1).abs() <= 2.0,
                "{prev:?} → {o:?}"
            );
            seen.insert((o.0 as i64, o.1 as i64));
            prev = o;
        }
        assert_eq!(seen.len(), SHIFTS.len(), "every place is visited");
        // At 4K the same apparent shift is twice the CSS px.
        let (a, b) = (
            burn_in_offset(start + SHIFT_PERIOD_MS, 1.0),
            burn_in_offset(start + SHIFT_PERIOD_MS, 2.0),
        );
        assert_eq!((a.0 * 2.0, a.1 * 2.0), b);
        // Negative times (never, but no panic) map into the cycle too.
        let _ = burn_in_offset(-5, 1.0);
    }

    #[test]
    fn dimming_parses_wraps_midnight_and_refuses_nonsense() {
        let d = DimSchedule::parse("22:00-07:00@0.5").unwrap();
        assert_eq!((d.start_min, d.end_min, d.level), (1320, 420, 0.5));
        assert_eq!(d.to_string(), "22:00-07:00@0.5");
        let day = cst_midnight(2026, 11, 26);
        let at = |h: i64, m: i64| d.level_at(day + h * 3600 + m * 60);
        assert_eq!(at(21, 59), 1.0);
        assert_eq!(at(22, 0), 0.5);
        assert_eq!(at(0, 0), 0.5);
        assert_eq!(at(6, 59), 0.5);
        assert_eq!(at(7, 0), 1.0);
        assert_eq!(at(12, 0), 1.0);
        let noon = DimSchedule::parse("12:30-13:30@0.8").unwrap();
        assert!(
            !noon.covers(12 * 60 + 29) && noon.covers(12 * 60 + 30) && !noon.covers(13 * 60 + 30)
        );
        assert_eq!(DimSchedule::parse("22:00-07:00"), Err(DimError::Shape));
        assert_eq!(
            DimSchedule::parse("2200-0700@0.5"),
            Err(DimError::Time("2200".into()))
        );
        assert_eq!(
            DimSchedule::parse("24:00-07:00@0.5"),
            Err(DimError::Time("24:00".into()))
        );
        assert_eq!(
            DimSchedule::parse("22:60-07:00@0.5"),
            Err(DimError::Time("22:60".into()))
        );
        assert_eq!(DimSchedule::parse("07:00-07:00@0.5"), Err(DimError::Empty));
        assert_eq!(
            DimSchedule::parse("22:00-07:00@0"),
            Err(DimError::Level("0".into()))
        );
        assert_eq!(
            DimSchedule::parse("22:00-07:00@1.5"),
            Err(DimError::Level("1.5".into()))
        );
        assert_eq!(
            DimSchedule::parse("22:00-07:00@NaN"),
            Err(DimError::Level("NaN".into()))
        );
        assert!(DimSchedule::parse("").is_err());
        assert!(DimSchedule::parse("-@").is_err());
        assert!(DimSchedule::parse("字:00-07:00@0.5").is_err());
    }
}
