//! The simulator's state machine: the clock, the scenarios (rainstorm, gas
//! leak), readings due, case reports and department moves, each tick turned
//! into [`Command`]s. Deterministic for a seed (see the module `sim`).

use super::texts::TEXTS;
use crate::intake::{self, CaseIn, GridLocator};
use crate::store::{Actor, Command};
use pingan_model::domain::{CaseCategory, CaseStatus, Department, SensorType, ZoneKind};
use pingan_model::live::{thresholds, Case, DispatchRules, ReadingIn};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use std::sync::Arc;

/// Reports per local hour of day (relative), as `pingan-datagen` generates them.
pub const HOUR_WEIGHTS: [f64; 24] = [
    0.15, 0.08, 0.05, 0.04, 0.04, 0.08, 0.25, 0.6, 1.2, 1.9, 2.0, 1.7, 0.8, 0.9, 1.7, 1.9, 1.8,
    1.3, 0.8, 0.7, 0.6, 0.5, 0.35, 0.22,
];
/// Cases a day at time factor 1.
pub const CASES_PER_DAY: f64 = 2700.0;
/// Simulated seconds between reading batches.
pub const READING_INTERVAL: f64 = 5.0;
/// Simulated seconds between a quiet sensor's reports (each sensor its own
/// period within ±[`REPORT_JITTER`]).
pub const REPORT_EVERY: f64 = 60.0;
pub const REPORT_JITTER: f64 = 5.0;
/// Simulated seconds between reports of a sensor in a scenario or near or
/// over its warn threshold.
pub const REPORT_EVERY_ACTIVE: f64 = 10.0;
const STORM_SECONDS: f64 = 2.0 * 3600.0;
const LEAK_SECONDS: f64 = 30.0 * 60.0;

/// A sensor as the simulator drives it.
#[derive(Clone, Debug, PartialEq)]
pub struct SimSensor {
    pub id: String,
    pub sensor_type: SensorType,
    /// Quiet-weather value.
    pub base: f64,
    /// The kind of monitored area it stands in, if known.
    pub zone: Option<ZoneKind>,
    /// Per-sensor response to rain (0.8–1.2).
    pub gain: f64,
}

/// What the simulator did since the last log line.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SimStats {
    pub reading_batches: u64,
    pub readings: u64,
    pub cases: u64,
    pub transitions: u64,
    pub alerts_raised: u64,
    pub alerts_cleared: u64,
    pub failed: u64,
}

#[derive(Clone, Debug)]
struct Pending {
    due: f64,
    case_id: u32,
    /// (status, simulated seconds after the previous step)
    steps: Vec<(CaseStatus, f64)>,
}

/// The simulation state; [`Simulator::step`] is pure (no I/O).
pub struct Simulator {
    rng: SmallRng,
    grids: Arc<GridLocator>,
    rules: Option<Arc<DispatchRules>>,
    sensors: Vec<SimSensor>,
    /// Cumulative grid weights (population) for picking where cases happen.
    grid_weights: Vec<f64>,
    categories: Vec<(CaseCategory, f64)>,
    /// Simulated Unix seconds.
    pub clock: f64,
    next_readings: f64,
    storm_start: f64,
    /// Lagged storm effect on water levels (0–1).
    water: f64,
    leak_start: f64,
    leak_sensor: Option<usize>,
    /// Per sensor: its quiet reporting period, when it last reported
    /// (simulated seconds) and what.
    period: Vec<f64>,
    last_at: Vec<f64>,
    last_value: Vec<f64>,
    case_debt: f64,
    pending: Vec<Pending>,
}

impl Simulator {
    pub fn new(
        seed: u64,
        start: f64,
        grids: Arc<GridLocator>,
        rules: Option<Arc<DispatchRules>>,
        sensors: Vec<SimSensor>,
        categories: Vec<(CaseCategory, f64)>,
    ) -> Simulator {
        let mut acc = 0.0;
        let grid_weights = grids
            .grids()
            .iter()
            .enumerate()
            .map(|(i, g)| {
                if grids.bbox(i).is_some() {
                    acc += g.population + 5.0;
                }
                acc
            })
            .collect();
        let categories = if categories.iter().any(|(_, w)| *w > 0.0) {
            categories
        } else {
            CaseCategory::ALL.iter().map(|c| (*c, 1.0)).collect()
        };
        let mut rng = SmallRng::seed_from_u64(seed);
        let leak_sensor = pick_gas(&mut rng, &sensors);
        let period: Vec<f64> = sensors
            .iter()
            .map(|_| rng.random_range(REPORT_EVERY - REPORT_JITTER..REPORT_EVERY + REPORT_JITTER))
            .collect();
        // Spread the phases: a sensor last reported somewhere in its period.
        let last_at = period
            .iter()
            .map(|p| start - rng.random_range(0.0..*p))
            .collect();
        let last_value = sensors.iter().map(|s| s.base).collect();
        Simulator {
            rng,
            grids,
            rules,
            sensors,
            grid_weights,
            categories,
            clock: start,
            next_readings: start,
            storm_start: start + 300.0,
            water: 0.0,
            leak_start: start + 2400.0,
            leak_sensor,
            period,
            last_at,
            last_value,
            case_debt: 0.0,
            pending: Vec::new(),
        }
    }

    /// Rain intensity now, 0–1.
    pub fn storm(&self) -> f64 {
        let t = (self.clock - self.storm_start) / STORM_SECONDS;
        if (0.0..=1.0).contains(&t) {
            (std::f64::consts::PI * t).sin().powi(2)
        } else {
            0.0
        }
    }

    /// Advances the clock by `dt` simulated seconds; returns the commands to run
    /// (`now` is the wall clock, Unix seconds, for the records).
    pub fn step(&mut self, dt: f64, now: i64) -> Vec<Command> {
        let mut out = Vec::new();
        let end = self.clock + dt.max(0.0);
        // Scenario schedule.
        if self.clock > self.storm_start + STORM_SECONDS {
            self.storm_start += STORM_SECONDS + self.rng.random_range(8.0..20.0) * 3600.0;
        }
        if self.clock > self.leak_start + LEAK_SECONDS {
            self.leak_start += LEAK_SECONDS + self.rng.random_range(4.0..10.0) * 3600.0;
            self.leak_sensor = pick_gas(&mut self.rng, &self.sensors);
        }
        // Water follows rain with a ~20 min lag.
        let rain = self.storm();
        let k = 1.0 - (-dt / 1200.0).exp();
        self.water += (rain - self.water) * k;
        // Readings (one batch per step at most) of the sensors due.
        if self.next_readings <= end && !self.sensors.is_empty() {
            let mut readings = Vec::new();
            for i in 0..self.sensors.len() {
                let every = if self.active(i, rain) {
                    REPORT_EVERY_ACTIVE
                } else {
                    self.period[i]
                };
                if self.last_at[i] + every <= end {
                    let value = self.value(i, rain);
                    self.last_at[i] = end;
                    self.last_value[i] = value;
                    readings.push(ReadingIn {
                        sensor: self.sensors[i].id.clone(),
                        value,
                        at: None,
                    });
                }
            }
            if !readings.is_empty() {
                out.push(Command::Readings {
                    readings,
                    by: Actor::system("物联感知网"),
                    at: now,
                });
            }
            while self.next_readings <= end {
                self.next_readings += READING_INTERVAL;
            }
        }
        // Case reports by the daily rhythm.
        let hour = pingan_model::time::cst(self.clock as i64).hour as usize;
        let mean = HOUR_WEIGHTS.iter().sum::<f64>() / 24.0;
        self.case_debt += CASES_PER_DAY / 86_400.0 * dt * HOUR_WEIGHTS[hour] / mean;
        let n = poisson(&mut self.rng, self.case_debt);
        self.case_debt = 0.0;
        for _ in 0..n {
            if let Some(c) = self.new_case(now) {
                out.push(c);
            }
        }
        // Departments.
        self.pending
            .sort_by(|a, b| a.due.total_cmp(&b.due).then(a.case_id.cmp(&b.case_id)));
        let mut keep = Vec::with_capacity(self.pending.len());
        for mut p in std::mem::take(&mut self.pending) {
            if p.due > end || p.steps.is_empty() {
                if !p.steps.is_empty() {
                    keep.push(p);
                }
                continue;
            }
            let (to, _) = p.steps.remove(0);
            out.push(Command::Transition {
                case_id: p.case_id,
                to,
                by: Actor::system(who(to, &mut self.rng)),
                note: String::new(),
                at: now,
            });
            if let Some((_, delay)) = p.steps.first() {
                p.due = end + delay;
                keep.push(p);
            }
        }
        self.pending = keep;
        self.clock = end;
        out
    }

    /// Whether sensor `i` reports at the short interval: its last value near
    /// or over warn (where the level may change; the hysteresis band is 10 %
    /// of warn), or it is part of a running scenario.
    fn active(&self, i: usize, rain: f64) -> bool {
        let s = &self.sensors[i];
        if self.last_value[i] >= thresholds(s.sensor_type).warn * 0.85 {
            return true;
        }
        match s.sensor_type {
            SensorType::Rainfall | SensorType::WaterLevel | SensorType::SlopeMovement => {
                rain > 0.0 || self.water > 0.02
            }
            SensorType::Gas => {
                self.leak_sensor == Some(i)
                    && (self.leak_start - REPORT_EVERY..=self.leak_start + LEAK_SECONDS)
                        .contains(&self.clock)
            }
            _ => false,
        }
    }

    fn value(&mut self, i: usize, rain: f64) -> f64 {
        let s = &self.sensors[i];
        let th = thresholds(s.sensor_type);
        let noise = normal(&mut self.rng);
        let base = s.base;
        let v = match s.sensor_type {
            SensorType::Rainfall => (base * 0.3 + 1.5 * noise.abs()) + rain * 70.0 * s.gain,
            SensorType::WaterLevel => {
                let amp = match s.zone {
                    Some(ZoneKind::Lowland) | Some(ZoneKind::Drainage) => 125.0,
                    Some(ZoneKind::River) => 70.0,
                    Some(ZoneKind::Reservoir) => 25.0,
                    _ => 45.0,
                };
                base + 0.8 * noise + self.water * amp * s.gain
            }
            SensorType::Gas => {
                let leak = if self.leak_sensor == Some(i) {
                    let t = (self.clock - self.leak_start) / LEAK_SECONDS;
                    if (0.0..=1.0).contains(&t) {
                        // Up fast, down slowly.
                        let shape = if t < 0.3 { t / 0.3 } else { (1.0 - t) / 0.7 };
                        65.0 * shape
                    } else {
                        0.0
                    }
                } else {
                    0.0
                };
                base * (1.0 + 0.1 * noise) + leak
            }
            SensorType::TrafficFlow => {
                let h = pingan_model::time::cst(self.clock as i64).hour as usize;
                base * (0.4 + 0.6 * HOUR_WEIGHTS[h] / 2.0) * (1.0 + 0.05 * noise)
            }
            SensorType::SlopeMovement => base + 0.2 * noise.abs() + rain * 2.0,
            _ => base * (1.0 + 0.05 * noise),
        };
        let v = v.max(0.0);
        // Round like a device would.
        let step = if th.warn < 1.0 { 1000.0 } else { 10.0 };
        (v * step).round() / step
    }

    fn new_case(&mut self, now: i64) -> Option<Command> {
        let total = *self.grid_weights.last()?;
        if total <= 0.0 {
            return None;
        }
        let x = self.rng.random_range(0.0..total);
        let gi = self
            .grid_weights
            .partition_point(|w| *w <= x)
            .min(self.grid_weights.len() - 1);
        let b = self.grids.bbox(gi)?;
        let mut point = None;
        for _ in 0..30 {
            let lon = self.rng.random_range(b.min[0]..=b.max[0]);
            let lat = self.rng.random_range(b.min[1]..=b.max[1]);
            if self.grids.locate(lon, lat).is_some() {
                point = Some((lon, lat));
                break;
            }
        }
        let (lon, lat) = point?;
        let ctotal: f64 = self.categories.iter().map(|c| c.1).sum();
        let mut x = self.rng.random_range(0.0..ctotal);
        let mut category = self.categories[0].0;
        for (c, w) in &self.categories {
            if x < *w {
                category = *c;
                break;
            }
            x -= w;
        }
        let description = self.describe(category);
        let input = CaseIn {
            category,
            lon: (lon * 1e6).round() / 1e6,
            lat: (lat * 1e6).round() / 1e6,
            description,
            reporter: None,
            at: None,
            photo: None,
        };
        let reporter = Actor::system(format!("网格员{:03}", self.rng.random_range(1..400)));
        let new = intake::prepare_case(&self.grids, self.rules.as_deref(), &input, &reporter, now)
            .ok()?;
        Some(Command::ReportCase(new))
    }

    fn describe(&mut self, c: CaseCategory) -> String {
        let generic = TEXTS
            .iter()
            .find(|(cat, _)| *cat == c)
            .map(|(_, t)| *t)
            .unwrap_or(&["居民反映情况，请核实处置"]);
        let text = generic[self.rng.random_range(0..generic.len())];
        if self.rng.random_bool(0.35) {
            if let Some(rules) = &self.rules {
                let kws: Vec<&String> = rules
                    .rules
                    .iter()
                    .filter(|r| r.category == c)
                    .flat_map(|r| r.keywords.iter())
                    .collect();
                if !kws.is_empty() {
                    let kw = kws[self.rng.random_range(0..kws.len())];
                    return format!("{kw}：{text}");
                }
            }
        }
        text.to_string()
    }

    /// Schedules a reported case's progress (call after it was stored).
    pub fn reported(&mut self, case: &Case) {
        let deadline_s = (case.deadline - case.reported_at).max(3600) as f64;
        self.schedule(case.id, case.status, deadline_s);
    }

    /// Schedules a case from its current status on.
    pub fn schedule(&mut self, case_id: u32, status: CaseStatus, deadline_s: f64) {
        use CaseStatus::*;
        let mut path: Vec<(CaseStatus, f64)> = Vec::new();
        let r = &mut self.rng;
        let mut s = status;
        for _ in 0..12 {
            let next = match s {
                Reported => {
                    if r.random_bool(0.03) {
                        Returned
                    } else {
                        Accepted
                    }
                }
                Accepted => Dispatched,
                Dispatched => {
                    if r.random_bool(0.03) {
                        Returned
                    } else {
                        InProgress
                    }
                }
                InProgress => {
                    if r.random_bool(0.04) {
                        Escalated
                    } else {
                        Resolved
                    }
                }
                Escalated => InProgress,
                Returned => {
                    if r.random_bool(0.5) {
                        Dispatched
                    } else {
                        Archived
                    }
                }
                Resolved => Archived,
                Archived => break,
            };
            let mean = match next {
                Accepted | Returned => 480.0,
                Dispatched => 1200.0,
                InProgress => 3600.0,
                Escalated => 1800.0,
                Resolved => deadline_s * 0.3,
                Archived => 6.0 * 3600.0,
                Reported => 60.0,
            };
            let delay = mean * (0.7 * normal(r)).exp();
            path.push((next, delay));
            s = next;
        }
        if let Some((_, first)) = path.first() {
            self.pending.push(Pending {
                due: self.clock + first,
                case_id,
                steps: path,
            });
        }
    }

    /// Cases waiting for a department.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }
}

fn pick_gas(rng: &mut SmallRng, sensors: &[SimSensor]) -> Option<usize> {
    let gas: Vec<usize> = (0..sensors.len())
        .filter(|&i| sensors[i].sensor_type == SensorType::Gas)
        .collect();
    if gas.is_empty() {
        None
    } else {
        Some(gas[rng.random_range(0..gas.len())])
    }
}

fn who(to: CaseStatus, rng: &mut SmallRng) -> &'static str {
    match to {
        CaseStatus::Accepted | CaseStatus::Dispatched | CaseStatus::Archived => "综治中心（模拟）",
        _ => Department::ALL[rng.random_range(0..Department::ALL.len())]
            .label(pingan_model::domain::Lang::Zh),
    }
}

fn normal(rng: &mut SmallRng) -> f64 {
    let u1: f64 = rng.random::<f64>().max(1e-12);
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

fn poisson(rng: &mut SmallRng, lambda: f64) -> u32 {
    if lambda <= 0.0 {
        return 0;
    }
    if lambda > 30.0 {
        return (lambda + lambda.sqrt() * normal(rng)).round().max(0.0) as u32;
    }
    let l = (-lambda).exp();
    let mut k = 0;
    let mut p = 1.0;
    loop {
        p *= rng.random::<f64>();
        if p <= l {
            return k;
        }
        k += 1;
    }
}
