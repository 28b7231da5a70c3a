//! The simulator (`--simulate`): believable live activity through exactly
//! the path real input takes. It builds the same [`Command`]s the HTTP
//! handlers build (cases through [`intake::prepare_case`], the shared
//! locate-and-route step) and runs them with [`Live::execute`].
//!
//! - **Clock.** The simulator keeps its own clock, starting at the real now
//!   and running `time_factor` times faster; it drives the daily rhythm, the
//!   scenarios and the departments' delays. Records carry the server's wall
//!   clock (what the store would see from real input), so a fast simulation
//!   compresses a day's activity into less time without writing the future.
//! - **Readings**: a batch every 5 simulated seconds (at least 0.5 s of
//!   wall time apart at high factors) carrying the sensors that are due, as
//!   real devices report: each about once a simulated minute (its own period,
//!   55–65 s, phases spread), every 10 s while it is in a storm or gas-leak
//!   scenario or near/over its warn threshold; values with noise around its
//!   seeded value.
//! - **Rainstorm** (the first 5 simulated minutes in, then every 8–20 h):
//!   rain intensity rises and falls over two hours; rainfall sensors follow
//!   it, water-level sensors follow it with a lag, most in low-lying and
//!   drainage zones (past warn and alarm), less in rivers and reservoirs, and
//!   alerts raise and clear through the hysteresis of `next_level`.
//! - **Gas leak** (40 simulated minutes in, then every 4–10 h): one gas
//!   sensor climbs past alarm and falls back over half an hour.
//! - **Cases**: ~2,700 a day at factor 1, spread over the day with the
//!   generator's hourly weights (quiet at night, peaks mid-morning and
//!   mid-afternoon), at random points inside grids weighted by population,
//!   categories by `category_shares` of dispatch_rules.json, a third with a
//!   rule keyword in the description.
//! - **Departments** move the simulator's cases, and up to 300 open cases
//!   found at start, along the status path; a few are returned or escalated.
//!
//! Deterministic for a seed: every choice comes from one seeded RNG in tick
//! order (only wall-clock timing varies).

use crate::intake::{self, CaseIn, GridLocator};
use crate::live::Live;
use crate::store::{CaseQuery, Command};
use pingan_model::domain::{CaseCategory, CaseStatus, Department, SensorType, ZoneKind};
use pingan_model::geojson_io::parse_feature_collection;
use pingan_model::live::{thresholds, Case, Change, DispatchRules, ReadingIn, SensorState};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

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

#[derive(Clone, Debug, PartialEq)]
pub struct SimConfig {
    /// Simulated seconds per wall second.
    pub time_factor: f64,
    pub seed: u64,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            time_factor: 1.0,
            seed: 2026,
        }
    }
}

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
                out.push(Command::Readings { readings, at: now });
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
                by: who(to, &mut self.rng).into(),
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
            reporter: format!("网格员{:03}", self.rng.random_range(1..400)),
            at: None,
        };
        let new = intake::prepare_case(&self.grids, self.rules.as_deref(), &input, now).ok()?;
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

const TEXTS: &[(CaseCategory, &[&str])] = &[
    (
        CaseCategory::Dispute,
        &[
            "邻里因噪音发生争执",
            "居民之间因停车位发生矛盾",
            "邻里漏水纠纷，需协调",
        ],
    ),
    (
        CaseCategory::SafetyHazard,
        &[
            "楼道堆放杂物，存在安全隐患",
            "围墙出现裂缝，有倒塌风险",
            "井盖缺失，行人易跌落",
        ],
    ),
    (
        CaseCategory::PublicOrder,
        &[
            "夜间有人聚集喧哗",
            "发现可疑人员徘徊",
            "商铺门前有人寻衅滋事",
        ],
    ),
    (
        CaseCategory::FireSafety,
        &[
            "消防通道被车辆占用",
            "灭火器过期未更换",
            "电动车在楼道内充电",
        ],
    ),
    (
        CaseCategory::CityAppearance,
        &["路边垃圾堆积未清运", "占道经营影响通行", "乱张贴小广告"],
    ),
    (
        CaseCategory::IllegalConstruction,
        &["楼顶加建铁皮房", "私自改变房屋结构", "违规搭建围挡"],
    ),
    (
        CaseCategory::Pollution,
        &["工厂排放异味", "河道出现油污", "夜间施工噪音扰民"],
    ),
    (
        CaseCategory::LabourDispute,
        &[
            "工人反映被拖欠工资",
            "员工与企业因加班费争议",
            "工地务工人员讨薪",
        ],
    ),
    (
        CaseCategory::FoodDrug,
        &["无证食品摊点经营", "餐馆卫生条件差", "药店销售过期药品"],
    ),
    (
        CaseCategory::TrafficSafety,
        &["路口信号灯故障", "道路坑洼影响行车", "学校门口车辆乱停"],
    ),
    (
        CaseCategory::RentalHousing,
        &[
            "出租屋未登记租客信息",
            "群租房人员过多",
            "出租屋消防设施缺失",
        ],
    ),
    (
        CaseCategory::SpecialGroups,
        &[
            "独居老人需要走访关怀",
            "社区矫正对象未按时报到",
            "困难家庭申请帮扶",
        ],
    ),
    (
        CaseCategory::PublicFacilities,
        &["路灯不亮", "健身器材损坏", "公共厕所设施损坏"],
    ),
];

/// The sensors to drive: the store's registry (latest values as the quiet
/// baseline, capped below warn) with their monitored areas' kinds.
pub fn sim_sensors(data_dir: &Path, states: &[SensorState], seed: u64) -> Vec<SimSensor> {
    let mut zone_of_area: HashMap<String, ZoneKind> = HashMap::new();
    if let Ok(text) = std::fs::read_to_string(data_dir.join("monitored_areas.geojson")) {
        if let Ok(fs) = parse_feature_collection(&text) {
            for f in fs {
                if let (Some(id), Some(kind)) = (
                    f.id.clone(),
                    f.str_prop("kind").and_then(ZoneKind::from_code),
                ) {
                    zone_of_area.insert(id, kind);
                }
            }
        }
    }
    let mut area_of_sensor: HashMap<String, String> = HashMap::new();
    if let Ok(text) = std::fs::read_to_string(data_dir.join("sensors.geojson")) {
        if let Ok(fs) = parse_feature_collection(&text) {
            for f in fs {
                if let (Some(id), Some(area)) = (f.id.clone(), f.str_prop("area")) {
                    area_of_sensor.insert(id, area.to_string());
                }
            }
        }
    }
    let mut rng = SmallRng::seed_from_u64(seed ^ 0x5e5e);
    states
        .iter()
        .map(|s| {
            let th = thresholds(s.sensor_type);
            SimSensor {
                id: s.id.clone(),
                sensor_type: s.sensor_type,
                base: s.value.clamp(0.0, th.warn * 0.6),
                zone: area_of_sensor
                    .get(&s.id)
                    .and_then(|a| zone_of_area.get(a))
                    .copied(),
                gain: rng.random_range(0.8..1.2),
            }
        })
        .collect()
}

/// `category_shares` of dispatch_rules.json (`[[code, share], …]`).
pub fn category_shares(data_dir: &Path) -> Vec<(CaseCategory, f64)> {
    let Ok(text) = std::fs::read_to_string(data_dir.join("dispatch_rules.json")) else {
        return vec![];
    };
    #[derive(serde::Deserialize)]
    struct F {
        #[serde(default)]
        category_shares: Vec<(String, f64)>,
    }
    serde_json::from_str::<F>(&text)
        .map(|f| {
            f.category_shares
                .into_iter()
                .filter_map(|(c, w)| Some((CaseCategory::from_code(&c)?, w.max(0.0))))
                .collect()
        })
        .unwrap_or_default()
}

/// Runs the simulator until the task is dropped.
pub async fn run(state: crate::AppState, cfg: SimConfig) {
    let live: Arc<Live> = state.live().clone();
    let data_dir = state.config().data_dir.clone();
    let factor = if cfg.time_factor.is_finite() && cfg.time_factor > 0.0 {
        cfg.time_factor
    } else {
        1.0
    };
    let store = live.store().clone();
    let loaded = tokio::task::spawn_blocking(move || {
        let snap = store.snapshot()?;
        let open = store.cases(&CaseQuery {
            status: CaseStatus::ALL
                .iter()
                .copied()
                .filter(|s| s.is_open())
                .collect(),
            limit: 300,
            ..CaseQuery::default()
        })?;
        Ok::<_, crate::store::StoreError>((snap, open))
    })
    .await;
    let (snap, open) = match loaded {
        Ok(Ok(x)) => x,
        Ok(Err(e)) => {
            tracing::error!(error = %e, "simulator: cannot read the store; not simulating");
            return;
        }
        Err(e) => {
            tracing::error!(error = %e, "simulator: start-up task failed; not simulating");
            return;
        }
    };
    let sensors = sim_sensors(&data_dir, &snap.sensors, cfg.seed);
    let shares = category_shares(&data_dir);
    let start = crate::live::now_ms() as f64 / 1000.0;
    let mut sim = Simulator::new(
        cfg.seed,
        start,
        state.grids().clone(),
        state.rules().cloned(),
        sensors,
        shares,
    );
    for c in &open {
        sim.schedule(
            c.id,
            c.status,
            (c.deadline - c.reported_at).max(3600) as f64,
        );
    }
    tracing::info!(
        time_factor = factor,
        seed = cfg.seed,
        sensors = snap.sensors.len(),
        open_cases = open.len(),
        "simulator started"
    );
    let wall = (READING_INTERVAL / factor).clamp(0.5, READING_INTERVAL);
    let mut ticker = tokio::time::interval(Duration::from_secs_f64(wall));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut stats = SimStats::default();
    let mut last_log = std::time::Instant::now();
    loop {
        ticker.tick().await;
        let now = crate::live::now_s();
        for cmd in sim.step(wall * factor, now) {
            let kind = match &cmd {
                Command::Readings { readings, .. } => {
                    stats.reading_batches += 1;
                    stats.readings += readings.len() as u64;
                    "readings"
                }
                Command::ReportCase(_) => "case",
                Command::Transition { .. } => "transition",
                _ => "other",
            };
            match live.execute(cmd).await {
                Ok(events) => {
                    for e in &events {
                        match &e.change {
                            Change::CaseReported { case } => {
                                stats.cases += 1;
                                sim.reported(case);
                            }
                            Change::CaseTransitioned { .. } => stats.transitions += 1,
                            Change::Alert { change, .. } => match change {
                                pingan_model::live::AlertChange::Raised => stats.alerts_raised += 1,
                                pingan_model::live::AlertChange::Cleared => {
                                    stats.alerts_cleared += 1
                                }
                                _ => {}
                            },
                            _ => {}
                        }
                    }
                }
                Err(e) => {
                    // A person may have moved the case meanwhile: drop it.
                    stats.failed += 1;
                    tracing::debug!(error = %e, kind, "simulator: command refused");
                }
            }
        }
        if last_log.elapsed() >= Duration::from_secs(60) {
            last_log = std::time::Instant::now();
            tracing::info!(
                sim_time = %pingan_model::time::format_cst(sim.clock as i64),
                storm = format_args!("{:.2}", sim.storm()),
                reading_batches = stats.reading_batches,
                readings = stats.readings,
                cases = stats.cases,
                transitions = stats.transitions,
                alerts_raised = stats.alerts_raised,
                alerts_cleared = stats.alerts_cleared,
                refused = stats.failed,
                waiting = sim.pending(),
                head = live.hub().head(),
                "simulator: last minute"
            );
            stats = SimStats::default();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sqlite::SqliteStore;
    use crate::store::Store;

    const GRIDS: &str = r#"{"type":"FeatureCollection","features":[
      {"type":"Feature","id":"G0001","properties":{"community":"西乡社区","subdistrict":"西乡街道","population":900},
       "geometry":{"type":"Polygon","coordinates":[[[113.80,22.60],[113.81,22.60],[113.81,22.61],[113.80,22.61],[113.80,22.60]]]}},
      {"type":"Feature","id":"G0002","properties":{"community":"固戍社区","subdistrict":"西乡街道","population":300},
       "geometry":{"type":"Polygon","coordinates":[[[113.81,22.60],[113.82,22.60],[113.81,22.61],[113.81,22.60]]]}}]}"#;

    fn rules() -> DispatchRules {
        let mut s = String::from(r#"{"version":1,"rules":["#);
        for (i, c) in CaseCategory::ALL.iter().enumerate() {
            s += &format!(
                r#"{{"id":"D{i}","category":"{}","departments":["governance"],"deadline_hours":48}},"#,
                c.code()
            );
        }
        s += r#"{"id":"R01","category":"dispute","keywords":["家庭纠纷"],"departments":["police","court","judicial"],"deadline_hours":72}]}"#;
        DispatchRules::parse(&s).unwrap()
    }

    fn seeded_store(dir: &Path) -> SqliteStore {
        use crate::store::seed::{Seed, SeedSensor};
        use pingan_model::live::Level;
        let store = SqliteStore::open(&dir.join("live.sqlite")).unwrap();
        let mut sensors = vec![];
        for (i, t) in [
            SensorType::Rainfall,
            SensorType::WaterLevel,
            SensorType::WaterLevel,
            SensorType::Gas,
            SensorType::Smoke,
        ]
        .iter()
        .enumerate()
        {
            sensors.push(SeedSensor {
                id: format!("S{i:04}"),
                sensor_type: *t,
                lon: 113.805,
                lat: 22.605,
                name: format!("s{i}"),
                area: None,
                subdistrict: None,
                value: thresholds(*t).warn * 0.3,
                level: Level::Normal,
            });
        }
        Seed {
            now: 1_790_000_000,
            sensors,
            ..Seed::default()
        }
        .plant(&store)
        .unwrap();
        store
    }

    fn run_for(seed: u64, hours: f64, dir: &Path) -> (SimStats, Vec<String>) {
        let store = seeded_store(dir);
        let grids = Arc::new(GridLocator::parse(GRIDS).unwrap());
        let snap = store.snapshot().unwrap();
        let mut sensors = sim_sensors(dir, &snap.sensors, seed);
        sensors[2].zone = Some(ZoneKind::Lowland);
        // Start at 08:00 CST so the day's rhythm is busy.
        let start = pingan_model::time::cst_midnight(2026, 11, 26) as f64 + 8.0 * 3600.0;
        let mut sim = Simulator::new(seed, start, grids, Some(Arc::new(rules())), sensors, vec![]);
        let mut stats = SimStats::default();
        let mut trace = vec![];
        let steps = (hours * 3600.0 / 30.0) as usize;
        for k in 0..steps {
            for cmd in sim.step(30.0, 1_790_000_000 + k as i64) {
                trace.push(format!("{cmd:?}").chars().take(80).collect());
                let events = store
                    .execute(cmd, k as i64)
                    .unwrap_or_else(|e| panic!("step {k}: {e}"));
                for e in events {
                    match e.change {
                        Change::CaseReported { case } => {
                            stats.cases += 1;
                            sim.reported(&case);
                        }
                        Change::CaseTransitioned { .. } => stats.transitions += 1,
                        Change::Alert { change, .. } => match change {
                            pingan_model::live::AlertChange::Raised => stats.alerts_raised += 1,
                            pingan_model::live::AlertChange::Cleared => stats.alerts_cleared += 1,
                            _ => {}
                        },
                        Change::Readings { .. } => stats.reading_batches += 1,
                        _ => {}
                    }
                }
            }
        }
        (stats, trace)
    }

    fn tmp(name: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("pingan-sim-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn a_storm_and_a_leak_raise_and_clear_alerts_and_every_command_succeeds() {
        let dir = tmp("storm");
        let (stats, _) = run_for(7, 4.0, &dir);
        // Rainfall, the low-lying water level and the leaking gas sensor.
        assert!(stats.alerts_raised >= 3, "{stats:?}");
        assert!(stats.alerts_cleared >= 3, "{stats:?}");
        // ~2,700/day; 08:00–12:00 is busy (hour weights 1.2–2.0 × mean): ~930.
        assert!((700..1200).contains(&stats.cases), "{stats:?}");
        assert!(stats.transitions > stats.cases, "{stats:?}");
        // A batch per 30 s step whenever a sensor is due (each of the 5
        // about once a minute, every step during the storm and the leak).
        assert!((240..=480).contains(&stats.reading_batches), "{stats:?}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// Sensors report about once a simulated minute, staggered so that a
    /// batch goes out every 5 s with a subset; every 10 s in a scenario.
    #[test]
    fn sensors_report_staggered_about_once_a_minute_and_often_in_a_storm() {
        let grids = Arc::new(GridLocator::parse(GRIDS).unwrap());
        let sensors: Vec<SimSensor> = (0..240)
            .map(|i| SimSensor {
                id: format!("S{i:04}"),
                sensor_type: if i % 2 == 0 {
                    SensorType::WaterLevel
                } else {
                    SensorType::Smoke
                },
                base: thresholds(SensorType::Smoke)
                    .warn
                    .min(thresholds(SensorType::WaterLevel).warn)
                    * 0.2,
                zone: None,
                gain: 1.0,
            })
            .collect();
        let start = pingan_model::time::cst_midnight(2026, 11, 26) as f64;
        let mut sim = Simulator::new(3, start, grids, None, sensors, vec![]);
        // Per 5 s step: which sensors reported.
        fn run(sim: &mut Simulator, secs: f64) -> Vec<Vec<String>> {
            (0..(secs / READING_INTERVAL) as usize)
                .map(|_| {
                    sim.step(READING_INTERVAL, 1_790_000_000)
                        .into_iter()
                        .filter_map(|c| match c {
                            Command::Readings { readings, .. } => {
                                Some(readings.into_iter().map(|r| r.sensor).collect::<Vec<_>>())
                            }
                            _ => None,
                        })
                        .flatten()
                        .collect()
                })
                .collect()
        }
        // Before the storm (it starts 5 min in): 4 quiet minutes.
        let quiet = run(&mut sim, 240.0);
        assert!(
            quiet.iter().all(|b| !b.is_empty() && b.len() < 60),
            "every 5 s a subset: {:?}",
            quiet.iter().map(Vec::len).collect::<Vec<_>>()
        );
        let total: usize = quiet.iter().map(Vec::len).sum();
        assert!(
            (800..=1100).contains(&total),
            "240 sensors × 4 min: {total}"
        );
        // An hour into the storm: water levels every 10 s, the others still
        // about once a minute.
        run(&mut sim, 3600.0);
        assert!(sim.storm() > 0.5);
        let storm = run(&mut sim, 60.0);
        let count = |id: &str| storm.iter().filter(|b| b.iter().any(|s| s == id)).count();
        assert!((5..=7).contains(&count("S0000")), "{}", count("S0000"));
        assert!((1..=2).contains(&count("S0001")), "{}", count("S0001"));
    }

    #[test]
    fn the_same_seed_gives_the_same_commands() {
        let (a, b) = (tmp("det-a"), tmp("det-b"));
        let (_, ta) = run_for(11, 0.5, &a);
        let (_, tb) = run_for(11, 0.5, &b);
        assert_eq!(ta, tb);
        let _ = std::fs::remove_dir_all(&a);
        let _ = std::fs::remove_dir_all(&b);
    }
}
