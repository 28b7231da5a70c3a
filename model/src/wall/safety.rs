//! The safety index (平安指数) per subdistrict: 0–100, higher is safer,
//! ranked, with a trend against the score 7 days before. The method, its
//! references and weights, and a worked example are in docs/safety-index.md;
//! the example is [`tests::the_worked_example_of_the_docs`].
//!
//! Four terms, each normalised against a fixed reference (not against
//! today's worst subdistrict, so a score means the same every day) and
//! clamped to 0–1, each costing up to its weight in points:
//!
//! | term | reference (= full cost) | weight |
//! |---|---|---|
//! | cases reported in the last 30 days per 1,000 residents | 40 | 35 |
//! | overdue share of open cases | 0.5 | 25 |
//! | active alarm-level alerts | 5 | 15 |
//! | open hazards (open or rectifying) per km² | 20 | 25 |
//!
//! `score = 100 − Σ weight × min(value / reference, 1)`, to one decimal.

use super::kpi::HazardIn;
use crate::cases::CaseRecord;
use crate::domain::HazardStatus;
use crate::live::Level;
use serde::{Deserialize, Serialize};

/// The window cases are counted over, in days.
pub const CASE_WINDOW_DAYS: i64 = 30;
/// The trend compares with the score this many days before.
pub const TREND_DAYS: i64 = 7;
/// A change of at least this many points is a trend up or down.
pub const TREND_POINTS: f64 = 2.0;

/// One term's reference (the value that costs its whole weight) and weight.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Reference {
    pub full_at: f64,
    pub weight: f64,
}

pub const CASES_PER_1000: Reference = Reference {
    full_at: 40.0,
    weight: 35.0,
};
pub const OVERDUE_SHARE: Reference = Reference {
    full_at: 0.5,
    weight: 25.0,
};
pub const ACTIVE_ALARMS: Reference = Reference {
    full_at: 5.0,
    weight: 15.0,
};
pub const HAZARDS_PER_KM2: Reference = Reference {
    full_at: 20.0,
    weight: 25.0,
};

/// A subdistrict as the index needs it (subdistricts.geojson).
#[derive(Clone, Debug, PartialEq)]
pub struct Area {
    /// `code`, e.g. `440306001`.
    pub code: String,
    pub name: String,
    pub name_en: String,
    pub population: f64,
    pub area_km2: f64,
}

/// An alert as the index needs it: where, its level, when.
#[derive(Clone, Debug, PartialEq)]
pub struct AlarmIn {
    /// Index into the areas.
    pub area: Option<usize>,
    pub level: Level,
    pub raised_at: i64,
    pub cleared_at: Option<i64>,
}

/// What the index is computed from.
#[derive(Clone, Copy, Debug)]
pub struct SafetyInputs<'a> {
    pub areas: &'a [Area],
    /// The area index of each grid (by grid index, as `CaseRecord::grid`).
    pub grid_area: &'a [Option<usize>],
    /// Every open case and every case of the last 37 days.
    pub cases: &'a [CaseRecord],
    /// (case id, first closed at), as for the KPIs.
    pub closes: &'a [(u32, i64)],
    /// Unix seconds where the case history starts: a 30-day window that
    /// reaches before it counts the days it covers, scaled to 30 days.
    pub history_from: i64,
    pub alarms: &'a [AlarmIn],
    pub hazards: &'a [HazardIn],
}

/// One term: its value and the points it costs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Term {
    pub value: f64,
    pub cost: f64,
}

impl Term {
    pub fn of(value: f64, r: Reference) -> Term {
        let v = if value.is_finite() {
            value.max(0.0)
        } else {
            0.0
        };
        Term {
            value: v,
            cost: r.weight * (v / r.full_at).min(1.0),
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Terms {
    pub cases_per_1000: Term,
    pub overdue_share: Term,
    pub active_alarms: Term,
    pub hazards_per_km2: Term,
}

impl Terms {
    /// 100 minus the terms' costs, clamped to 0–100, to one decimal.
    pub fn score(&self) -> f64 {
        let cost = self.cases_per_1000.cost
            + self.overdue_share.cost
            + self.active_alarms.cost
            + self.hazards_per_km2.cost;
        round1((100.0 - cost).clamp(0.0, 100.0))
    }
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trend {
    Up,
    Down,
    Flat,
}

impl Trend {
    /// Up or down when the score moved by at least [`TREND_POINTS`].
    pub fn of(score: f64, before: f64) -> Trend {
        let d = round1(score - before);
        if d >= TREND_POINTS {
            Trend::Up
        } else if d <= -TREND_POINTS {
            Trend::Down
        } else {
            Trend::Flat
        }
    }
}

/// One subdistrict's line of the ranking.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SafetyRow {
    /// The subdistrict's code.
    pub subdistrict: String,
    pub name: String,
    pub name_en: String,
    pub score: f64,
    /// 1 = safest; ties ordered by code.
    pub rank: u32,
    pub trend: Trend,
    /// The score 7 days before.
    pub before: f64,
    pub terms: Terms,
}

/// Raw counts of one area at one time.
#[derive(Clone, Copy, Debug, Default)]
struct Counts {
    cases: u32,
    open: u32,
    overdue: u32,
    alarms: u32,
    hazards: u32,
}

/// The terms of every area at time `t` (`now` = the present: current
/// statuses; earlier: reconstructed, see docs/safety-index.md). When the
/// history covers only part of the 30 days before `t`, the case count is
/// scaled up to 30 days (0 when it covers none).
pub fn terms_at(inputs: &SafetyInputs, t: i64, now: i64) -> Vec<Terms> {
    let n = inputs.areas.len();
    let mut c = vec![Counts::default(); n];
    let closed_at: std::collections::HashMap<u32, i64> = inputs.closes.iter().copied().collect();
    let window = t - CASE_WINDOW_DAYS * 86_400;
    for r in inputs.cases {
        let Some(a) = inputs
            .grid_area
            .get(r.grid as usize)
            .copied()
            .flatten()
            .filter(|a| *a < n)
        else {
            continue;
        };
        if r.time > t {
            continue;
        }
        if r.time > window {
            c[a].cases += 1;
        }
        let open = if t >= now {
            r.status.is_open()
        } else {
            closed_at.get(&r.id).is_none_or(|at| *at > t)
        };
        if open {
            c[a].open += 1;
            if t > r.deadline() {
                c[a].overdue += 1;
            }
        }
    }
    for al in inputs.alarms {
        if let Some(a) = al.area.filter(|a| *a < n) {
            let active = al.raised_at <= t && al.cleared_at.is_none_or(|at| at > t);
            if active && al.level == Level::Alarm {
                c[a].alarms += 1;
            }
        }
    }
    for h in inputs.hazards {
        if let Some(a) = h.area.filter(|a| *a < n) {
            let open = if t >= now {
                h.status != HazardStatus::Rectified
            } else {
                h.found <= t && h.rectified_at().is_none_or(|at| at > t)
            };
            if open {
                c[a].hazards += 1;
            }
        }
    }
    // The share of the 30 days the history covers (a young store).
    let covered = per(
        (t - window.max(inputs.history_from)).max(0) as f64,
        (t - window) as f64,
    );
    inputs
        .areas
        .iter()
        .zip(c)
        .map(|(area, c)| Terms {
            cases_per_1000: Term::of(
                per(per(f64::from(c.cases), covered), area.population / 1000.0),
                CASES_PER_1000,
            ),
            overdue_share: Term::of(per(f64::from(c.overdue), f64::from(c.open)), OVERDUE_SHARE),
            active_alarms: Term::of(f64::from(c.alarms), ACTIVE_ALARMS),
            hazards_per_km2: Term::of(per(f64::from(c.hazards), area.area_km2), HAZARDS_PER_KM2),
        })
        .collect()
}

/// `a / b`, 0 when `b` is not a positive number.
fn per(a: f64, b: f64) -> f64 {
    if b > 0.0 && b.is_finite() {
        a / b
    } else {
        0.0
    }
}

/// Ranks rows by score (highest first), ties by subdistrict code, and
/// numbers them from 1.
pub fn rank(rows: &mut [SafetyRow]) {
    rows.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| a.subdistrict.cmp(&b.subdistrict))
    });
    for (i, r) in rows.iter_mut().enumerate() {
        r.rank = i as u32 + 1;
    }
}

/// The ranking at `now`, with each trend against 7 days before.
pub fn safety_index(inputs: &SafetyInputs, now: i64) -> Vec<SafetyRow> {
    let today = terms_at(inputs, now, now);
    let before = terms_at(inputs, now - TREND_DAYS * 86_400, now);
    let mut rows: Vec<SafetyRow> = inputs
        .areas
        .iter()
        .zip(today.into_iter().zip(before))
        .map(|(a, (terms, was))| {
            let score = terms.score();
            let before = was.score();
            SafetyRow {
                subdistrict: a.code.clone(),
                name: a.name.clone(),
                name_en: a.name_en.clone(),
                score,
                rank: 0,
                trend: Trend::of(score, before),
                before,
                terms,
            }
        })
        .collect();
    rank(&mut rows);
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cases::DeptSet;
    use crate::domain::{CaseCategory, CaseStatus};
    use crate::time::cst_midnight;

    const NOW: i64 = 1_796_000_000;
    const DAY: i64 = 86_400;

    fn area(code: &str, population: f64, area_km2: f64) -> Area {
        Area {
            code: code.into(),
            name: format!("{code}街道"),
            name_en: code.into(),
            population,
            area_km2,
        }
    }

    fn rec(id: u32, grid: u16, time: i64, status: CaseStatus, hours: u16) -> CaseRecord {
        CaseRecord {
            id,
            time,
            lon: 0.0,
            lat: 0.0,
            grid,
            category: CaseCategory::Dispute,
            status,
            departments: DeptSet::default(),
            deadline_hours: hours,
        }
    }

    fn hazard(id: usize, area: usize, status: HazardStatus, found: i64) -> HazardIn {
        HazardIn {
            id: format!("YH{id:06}"),
            status,
            found,
            changed_at: None,
            area: Some(area),
        }
    }

    #[test]
    fn each_term_is_its_value_against_its_reference() {
        let t = Term::of(20.0, CASES_PER_1000);
        assert_eq!((t.value, t.cost), (20.0, 17.5));
        assert_eq!(Term::of(0.25, OVERDUE_SHARE).cost, 12.5);
        assert_eq!(Term::of(1.0, ACTIVE_ALARMS).cost, 3.0);
        assert_eq!(Term::of(10.0, HAZARDS_PER_KM2).cost, 12.5);
        // Clamped: beyond the reference costs the weight, no more; never negative.
        assert_eq!(Term::of(400.0, CASES_PER_1000).cost, 35.0);
        assert_eq!(Term::of(-3.0, ACTIVE_ALARMS).cost, 0.0);
        assert_eq!(Term::of(f64::NAN, ACTIVE_ALARMS).cost, 0.0);
        assert_eq!(Term::of(f64::INFINITY, ACTIVE_ALARMS).cost, 0.0);
        // The weights add up to 100: the worst everywhere scores 0.
        let worst = Terms {
            cases_per_1000: Term::of(1e9, CASES_PER_1000),
            overdue_share: Term::of(1.0, OVERDUE_SHARE),
            active_alarms: Term::of(99.0, ACTIVE_ALARMS),
            hazards_per_km2: Term::of(99.0, HAZARDS_PER_KM2),
        };
        assert_eq!(worst.score(), 0.0);
        assert_eq!(Terms::default().score(), 100.0);
    }

    #[test]
    fn terms_are_counted_per_area_from_cases_alarms_and_hazards() {
        let areas = [
            area("440306001", 2000.0, 2.0),
            area("440306002", 1000.0, 0.0),
        ];
        let grid_area = [Some(0), Some(1), None];
        let cases = [
            // Area 0: 3 in the window (one open and overdue, one open), one 31 days old.
            rec(1, 0, NOW - DAY, CaseStatus::InProgress, 1),
            rec(2, 0, NOW - 3600, CaseStatus::Dispatched, 48),
            rec(3, 0, NOW - 2 * DAY, CaseStatus::Archived, 24),
            rec(4, 0, NOW - 31 * DAY, CaseStatus::Archived, 24),
            // A grid in no area, and an unknown grid: not counted.
            rec(5, 2, NOW - DAY, CaseStatus::Reported, 1),
            rec(6, 999, NOW - DAY, CaseStatus::Reported, 1),
        ];
        let alarms = [
            AlarmIn {
                area: Some(0),
                level: Level::Alarm,
                raised_at: NOW - 60,
                cleared_at: None,
            },
            AlarmIn {
                area: Some(0),
                level: Level::Warn,
                raised_at: NOW - 60,
                cleared_at: None,
            },
            AlarmIn {
                area: Some(1),
                level: Level::Alarm,
                raised_at: NOW - 600,
                cleared_at: Some(NOW - 60),
            },
        ];
        let hazards = [
            hazard(1, 0, HazardStatus::Open, NOW - 10 * DAY),
            hazard(2, 0, HazardStatus::Rectifying, NOW - 10 * DAY),
            hazard(3, 0, HazardStatus::Rectified, NOW - 10 * DAY),
            hazard(4, 1, HazardStatus::Open, NOW - 10 * DAY),
        ];
        let inputs = SafetyInputs {
            areas: &areas,
            grid_area: &grid_area,
            cases: &cases,
            closes: &[(3, NOW - DAY)],
            history_from: 0,
            alarms: &alarms,
            hazards: &hazards,
        };
        let t = terms_at(&inputs, NOW, NOW);
        assert_eq!(t[0].cases_per_1000.value, 1.5);
        assert_eq!(t[0].overdue_share.value, 0.5);
        assert_eq!(t[0].active_alarms.value, 1.0);
        assert_eq!(t[0].hazards_per_km2.value, 1.0);
        // No area (0 km²) and no open case: those terms are 0, not infinite.
        assert_eq!(t[1].hazards_per_km2.value, 0.0);
        assert_eq!(t[1].overdue_share.value, 0.0);
        assert_eq!(t[1].active_alarms.value, 0.0, "cleared");
        // A history of 15 days: the count is scaled to 30 days.
        let young = SafetyInputs {
            history_from: NOW - 15 * DAY,
            ..inputs
        };
        assert_eq!(terms_at(&young, NOW, NOW)[0].cases_per_1000.value, 3.0);
        let newborn = SafetyInputs {
            history_from: NOW,
            ..inputs
        };
        assert_eq!(terms_at(&newborn, NOW, NOW)[0].cases_per_1000.value, 0.0);
        // Seven days before: case 2 and today's alarm did not exist yet.
        let w = terms_at(&inputs, NOW - 7 * DAY, NOW);
        assert_eq!(w[0].active_alarms.value, 0.0);
        assert_eq!(
            w[0].cases_per_1000.value, 0.5,
            "only the 31-day-old case, then 24 days old"
        );
        assert_eq!(
            w[0].hazards_per_km2.value, 1.0,
            "#3, rectified in the generated data, counts as rectified when found"
        );
    }

    #[test]
    fn the_ranking_is_by_score_then_code_and_the_trend_needs_two_points() {
        let row = |code: &str, score: f64| SafetyRow {
            subdistrict: code.into(),
            name: String::new(),
            name_en: String::new(),
            score,
            rank: 0,
            trend: Trend::Flat,
            before: score,
            terms: Terms::default(),
        };
        let mut rows = vec![
            row("440306005", 70.0),
            row("440306002", 80.5),
            row("440306003", 70.0),
            row("440306001", 70.0),
        ];
        rank(&mut rows);
        let order: Vec<(&str, u32)> = rows
            .iter()
            .map(|r| (r.subdistrict.as_str(), r.rank))
            .collect();
        assert_eq!(
            order,
            [
                ("440306002", 1),
                ("440306001", 2),
                ("440306003", 3),
                ("440306005", 4)
            ]
        );
        assert_eq!(Trend::of(72.0, 70.0), Trend::Up);
        assert_eq!(Trend::of(71.9, 70.0), Trend::Flat);
        assert_eq!(Trend::of(68.1, 70.0), Trend::Flat);
        assert_eq!(Trend::of(68.0, 70.0), Trend::Down);
        // Float noise at exactly two points is still a trend.
        assert_eq!(Trend::of(70.3 + 2.0, 70.3), Trend::Up);
        assert_eq!(Trend::of(0.1 + 0.2, 2.3), Trend::Down);
    }

    /// docs/safety-index.md, "A worked example": 沙井 with 30 days of cases
    /// at the district's rate, 9 % of open cases overdue, one alarm, and its
    /// open hazards; the same numbers a week before without the alarm and
    /// with 40 more open hazards.
    #[test]
    fn the_worked_example_of_the_docs() {
        let areas = [Area {
            code: "440306005".into(),
            name: "沙井街道".into(),
            name_en: "Shajing Subdistrict".into(),
            population: 710_000.0,
            area_km2: 36.346,
        }];
        let now = cst_midnight(2026, 12, 2) + 10 * 3600;
        let mut cases = vec![];
        let mut closes = vec![];
        // 13,463 cases in the last 30 days: 900 open (81 overdue), the rest closed.
        for i in 0..13_463u32 {
            let at = if i < 81 {
                now - 3 * 3600 - i64::from(i) * 60
            } else {
                now - 1 - i64::from(i % 23) * DAY - i64::from(i % 7) * 3600
            };
            let (status, hours) = match i {
                0..81 => (CaseStatus::InProgress, 1),
                81..900 => (CaseStatus::Dispatched, 24 * 40),
                _ => (CaseStatus::Archived, 24),
            };
            if !status.is_open() {
                closes.push((i, at + 600));
            }
            cases.push(rec(i, 0, at, status, hours));
        }
        let alarms = [AlarmIn {
            area: Some(0),
            level: Level::Alarm,
            raised_at: now - 1800,
            cleared_at: None,
        }];
        let mut hazards: Vec<HazardIn> = (0..581)
            .map(|i| hazard(i, 0, HazardStatus::Open, now - 100 * DAY))
            .collect();
        // 40 more were open a week ago and were rectified since.
        for i in 581..621 {
            let mut h = hazard(i, 0, HazardStatus::Rectified, now - 100 * DAY);
            h.changed_at = Some(now - 2 * DAY);
            hazards.push(h);
        }
        let grid_area = [Some(0)];
        let inputs = SafetyInputs {
            areas: &areas,
            grid_area: &grid_area,
            cases: &cases,
            closes: &closes,
            history_from: 0,
            alarms: &alarms,
            hazards: &hazards,
        };
        let rows = safety_index(&inputs, now);
        let r = &rows[0];
        let t = r.terms;
        assert!((t.cases_per_1000.value - 18.962).abs() < 1e-3, "{t:?}");
        assert!((t.cases_per_1000.cost - 16.592).abs() < 1e-3);
        assert_eq!(t.overdue_share.value, 0.09);
        assert!((t.overdue_share.cost - 4.5).abs() < 1e-9);
        assert_eq!((t.active_alarms.value, t.active_alarms.cost), (1.0, 3.0));
        assert!((t.hazards_per_km2.value - 15.985).abs() < 1e-3);
        assert!((t.hazards_per_km2.cost - 19.982).abs() < 1e-3);
        assert_eq!(r.score, 55.9);
        assert_eq!(r.rank, 1);
        // A week before: the cases of the last 7 days were not reported yet.
        let w = terms_at(&inputs, now - 7 * DAY, now)[0];
        assert!((w.hazards_per_km2.value - 621.0 / 36.346).abs() < 1e-9);
        assert_eq!(w.active_alarms.value, 0.0);
        assert_eq!(r.before, w.score());
        assert!((w.cases_per_1000.value * 710.0 - 9308.0).abs() < 1e-6);
        assert_eq!(w.overdue_share.value, 0.0);
        assert_eq!(r.before, 67.2);
        assert_eq!(r.trend, Trend::Down);
    }
}
