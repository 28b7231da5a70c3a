//! Point and zone layers placed inside the grids: hazard sites, electronic
//! sentinels, monitored risk areas and their IoT sensors.

use crate::admin::Admin;
use crate::fields;
use crate::geom::{self, Cell, Ring};
use crate::green::ShapeIndex;
use crate::names::{self, Trade};
use geo::Coord;
use pingan_model::domain::{
    HazardStatus, HazardType, RiskDomain, SensorType, SentinelKind, ZoneKind,
};
use pingan_model::time;
use rand::rngs::SmallRng;
use rand::seq::IndexedRandom;
use rand::Rng;

/// Cumulative weights for picking an index.
pub struct Picker {
    cum: Vec<f64>,
}

impl Picker {
    pub fn new(weights: impl IntoIterator<Item = f64>) -> Picker {
        let mut acc = 0.0;
        let cum = weights
            .into_iter()
            .map(|w| {
                acc += w.max(0.0);
                acc
            })
            .collect();
        Picker { cum }
    }
    pub fn pick(&self, rng: &mut impl Rng) -> usize {
        let total = *self.cum.last().unwrap_or(&0.0);
        let x = rng.random::<f64>() * total;
        self.cum
            .partition_point(|&c| c <= x)
            .min(self.cum.len() - 1)
    }
}

/// Where a kind of thing tends to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Where {
    People,
    Lowland,
    Industry,
    Hills,
}

pub fn grid_picker(admin: &Admin, w: Where) -> Picker {
    Picker::new(admin.grids.iter().map(|g| {
        let pop = g.population as f64;
        let c = g.centroid;
        match w {
            Where::People => pop + 1.0,
            Where::Lowland => (pop + 200.0).sqrt() * fields::lowland(c).powf(1.5),
            Where::Industry => (pop + 500.0).sqrt() * fields::industry(c),
            Where::Hills => (pop + 50.0).powf(0.3) * fields::hilliness(c).powi(2),
        }
    }))
}

/// A point (rounded to the files' 6 decimals) inside grid `gi`, its
/// community and its subdistrict, near where people live when possible.
pub fn point_in_grid(rng: &mut SmallRng, admin: &Admin, gi: usize, jitter_m: f64) -> Coord<f64> {
    let g = &admin.grids[gi];
    let comm = &admin.comms[g.comm];
    let sub = &admin.subs[g.sub];
    let ok = |p: Coord<f64>| {
        geom::inside_strict(p, &g.cell, MARGIN)
            && geom::inside_strict(p, &comm.cell, MARGIN)
            && geom::inside_strict(p, &sub.cell, MARGIN)
    };
    let bb = g.bbox;
    for i in 0..400 {
        let base = if i < 24 && !g.points.is_empty() && rng.random_bool(0.85) {
            let pi = *g.points.choose(rng).unwrap_or(&0);
            geom::offset(
                admin.points[pi as usize],
                rng.random_range(-jitter_m..=jitter_m),
                rng.random_range(-jitter_m..=jitter_m),
            )
        } else {
            Coord {
                x: rng.random_range(bb[0]..=bb[2]),
                y: rng.random_range(bb[1]..=bb[3]),
            }
        };
        let p = geom::round_coord(base);
        if ok(p) {
            return p;
        }
    }
    geom::round_coord(g.centroid)
}

/// Points keep this far (degrees, ~1 cm) from any boundary they are said
/// to lie inside.
pub const MARGIN: f64 = 1e-7;

pub fn date(unix: i64) -> String {
    let t = time::cst(unix);
    format!("{:04}-{:02}-{:02}", t.year, t.month, t.day)
}

pub struct Contact {
    pub role: &'static str,
    pub name: String,
    pub phone: String,
}

pub struct Hazard {
    pub id: String,
    pub name: String,
    pub ty: HazardType,
    pub status: HazardStatus,
    pub owner: String,
    pub address: String,
    pub grid: usize,
    pub at: Coord<f64>,
    pub found: String,
    pub deadline: String,
    pub contacts: Vec<Contact>,
}

/// (type, count, where, trade, issues, days to rectify)
type HazardPlan = (
    HazardType,
    usize,
    Where,
    Trade,
    &'static [&'static str],
    i64,
);

pub const HAZARD_PLAN: &[HazardPlan] = &[
    (
        HazardType::Waterlogging,
        420,
        Where::Lowland,
        Trade::Public,
        &["积水点"],
        30,
    ),
    (
        HazardType::HazardousChemicals,
        700,
        Where::Industry,
        Trade::Chemical,
        &[
            "危化品储存不规范",
            "警示标识缺失",
            "危化品台账缺失",
            "防泄漏设施不足",
        ],
        15,
    ),
    (
        HazardType::Fire,
        3500,
        Where::People,
        Trade::Factory,
        &[
            "消防通道堵塞",
            "灭火器过期",
            "疏散指示失效",
            "消防设施缺失",
            "防火门损坏",
        ],
        15,
    ),
    (
        HazardType::Construction,
        1500,
        Where::People,
        Trade::Builder,
        &[
            "脚手架未验收",
            "基坑临边防护缺失",
            "塔吊安全隐患",
            "高处作业无防护",
            "临时用电不规范",
        ],
        10,
    ),
    (
        HazardType::Gas,
        2400,
        Where::People,
        Trade::Gas,
        &[
            "燃气管道老化",
            "瓶装燃气违规存放",
            "燃气报警器缺失",
            "软管超期使用",
        ],
        7,
    ),
    (
        HazardType::Slope,
        380,
        Where::Hills,
        Trade::Public,
        &["边坡裂缝", "挡土墙变形", "边坡排水不畅", "坡脚违规开挖"],
        60,
    ),
    (
        HazardType::ConfinedSpace,
        1300,
        Where::Industry,
        Trade::Factory,
        &[
            "有限空间作业未审批",
            "化粪池无警示标识",
            "未配气体检测仪",
            "污水井无防护",
        ],
        15,
    ),
    (
        HazardType::SmallVenue,
        4600,
        Where::People,
        Trade::Shop,
        &[
            "三小场所住人",
            "电线私拉乱接",
            "无独立疏散通道",
            "违规使用明火",
        ],
        10,
    ),
    (
        HazardType::RentalHousing,
        3700,
        Where::People,
        Trade::Landlord,
        &[
            "防盗网未留逃生口",
            "楼道堆放杂物",
            "电动车入户",
            "无烟感报警器",
        ],
        15,
    ),
    (
        HazardType::EbikeCharging,
        2000,
        Where::People,
        Trade::Estate,
        &[
            "电动车违规充电",
            "充电设施无防护",
            "飞线充电",
            "充电区无灭火器",
        ],
        7,
    ),
    (
        HazardType::Industrial,
        1500,
        Where::Industry,
        Trade::Factory,
        &[
            "粉尘涉爆隐患",
            "机械防护缺失",
            "安全培训不到位",
            "特种设备未检验",
        ],
        30,
    ),
];

pub fn hazards(rng: &mut SmallRng, admin: &Admin, now: i64) -> Vec<Hazard> {
    let mut out = Vec::new();
    for &(ty, count, wh, trade, issues, days) in HAZARD_PLAN {
        let picker = grid_picker(admin, wh);
        for _ in 0..count {
            let gi = picker.pick(rng);
            let g = &admin.grids[gi];
            let comm = &admin.comms[g.comm];
            let sub = &admin.subs[g.sub];
            let at = point_in_grid(rng, admin, gi, 60.0);
            let (road, _) = names::road(rng, &sub.name);
            let age_days = rng.random_range(0..400i64);
            let found_t = now - (age_days + 1) * 86_400;
            let deadline_t = found_t + days * 86_400;
            let u: f64 = rng.random();
            let status = if age_days < 3 {
                if u < 0.7 {
                    HazardStatus::Open
                } else {
                    HazardStatus::Rectifying
                }
            } else if age_days < days {
                if u < 0.15 {
                    HazardStatus::Open
                } else if u < 0.6 {
                    HazardStatus::Rectifying
                } else {
                    HazardStatus::Rectified
                }
            } else if u < 0.88 {
                HazardStatus::Rectified
            } else if u < 0.95 {
                HazardStatus::Rectifying
            } else {
                HazardStatus::Open
            };
            let issue = *issues.choose(rng).unwrap_or(&"隐患");
            let (owner, name) = if ty == HazardType::Waterlogging {
                (
                    format!("{}水务所", sub.name.trim_end_matches("街道")),
                    format!("{road}{}段{issue}", comm.base),
                )
            } else {
                let (full, short) = names::owner(rng, trade, &comm.base);
                (full, format!("{short}{issue}"))
            };
            let contacts = if ty == HazardType::Waterlogging {
                vec![
                    Contact {
                        role: "街道责任人",
                        name: names::person(rng),
                        phone: names::mobile(rng),
                    },
                    Contact {
                        role: "社区责任人",
                        name: names::person(rng),
                        phone: names::mobile(rng),
                    },
                    Contact {
                        role: "网格员",
                        name: g.worker.clone(),
                        phone: g.worker_phone.clone(),
                    },
                    Contact {
                        role: "水务专管员",
                        name: names::person(rng),
                        phone: names::mobile(rng),
                    },
                ]
            } else {
                Vec::new()
            };
            out.push(Hazard {
                id: format!("YH{:06}", out.len() + 1),
                name,
                ty,
                status,
                owner,
                address: format!("{road}{}号", rng.random_range(1..1200)),
                grid: gi,
                at,
                found: date(found_t),
                deadline: date(deadline_t),
                contacts,
            });
        }
    }
    out
}

pub struct Sentinel {
    pub id: String,
    pub name: String,
    pub estate: String,
    pub kind: SentinelKind,
    pub grid: usize,
    pub at: Coord<f64>,
}

pub const SENTINELS: usize = 1_500;

pub fn sentinels(rng: &mut SmallRng, admin: &Admin) -> Vec<Sentinel> {
    let picker = grid_picker(admin, Where::People);
    let mut out: Vec<Sentinel> = Vec::new();
    let gates = ["东门", "西门", "南门", "北门", "正门", "侧门"];
    while out.len() < SENTINELS {
        let gi = picker.pick(rng);
        let g = &admin.grids[gi];
        let comm = &admin.comms[g.comm];
        let village_share = match admin.subs[g.sub].name.as_str() {
            "沙井街道" | "福永街道" | "西乡街道" | "松岗街道" | "福海街道" => {
                0.45
            }
            _ => 0.3,
        };
        let kind = if rng.random_bool(village_share) {
            SentinelKind::Village
        } else {
            SentinelKind::Estate
        };
        let estate = match kind {
            SentinelKind::Village => names::village_name(rng, &comm.base),
            SentinelKind::Estate => names::estate_name(rng),
        };
        let centre = point_in_grid(rng, admin, gi, 60.0);
        let n = rng.random_range(1..=4).min(SENTINELS - out.len());
        let mut used = Vec::new();
        for k in 0..n {
            let gate = gates[(k + rng.random_range(0..2)) % gates.len()];
            if used.contains(&gate) {
                continue;
            }
            used.push(gate);
            let mut at = None;
            for _ in 0..12 {
                let p = geom::round_coord(geom::offset(
                    centre,
                    rng.random_range(-120.0..120.0),
                    rng.random_range(-120.0..120.0),
                ));
                if geom::inside_strict(p, &g.cell, MARGIN)
                    && geom::inside_strict(p, &comm.cell, MARGIN)
                    && geom::inside_strict(p, &admin.subs[g.sub].cell, MARGIN)
                {
                    at = Some(p);
                    break;
                }
            }
            let at = at.unwrap_or(centre);
            out.push(Sentinel {
                id: format!("SB{:04}", out.len() + 1),
                name: format!("{estate}{gate}"),
                estate: estate.clone(),
                kind,
                grid: gi,
                at,
            });
        }
    }
    out
}

pub struct Area {
    pub id: String,
    pub name: String,
    pub name_en: String,
    pub kind: ZoneKind,
    pub domain: RiskDomain,
    pub sub: usize,
    pub cell: Cell,
    pub sensors: usize,
}

pub struct Sensor {
    pub id: String,
    pub name: String,
    pub area: usize,
    pub ty: SensorType,
    pub warn: f64,
    pub alarm: f64,
    pub value: f64,
    pub at: Coord<f64>,
}

/// 61 monitored areas over the 15 kinds.
pub const AREA_PLAN: &[(ZoneKind, usize)] = &[
    (ZoneKind::ChemicalPark, 4),
    (ZoneKind::GasStation, 5),
    (ZoneKind::Slope, 6),
    (ZoneKind::Construction, 5),
    (ZoneKind::Crowded, 5),
    (ZoneKind::Reservoir, 4),
    (ZoneKind::River, 5),
    (ZoneKind::Lowland, 5),
    (ZoneKind::Drainage, 3),
    (ZoneKind::AirQuality, 3),
    (ZoneKind::WaterQuality, 4),
    (ZoneKind::Industrial, 3),
    (ZoneKind::Tunnel, 3),
    (ZoneKind::Bridge, 3),
    (ZoneKind::Junction, 3),
];

const RESERVOIRS: &[(&str, &str, f64, f64, f64)] = &[
    ("铁岗水库", "Tiegang Reservoir", 113.898, 22.617, 650.0),
    ("石岩水库", "Shiyan Reservoir", 113.926, 22.650, 550.0),
    ("罗田水库", "Luotian Reservoir", 113.873, 22.828, 400.0),
    (
        "长流陂水库",
        "Changliubei Reservoir",
        113.884,
        22.632,
        300.0,
    ),
];

fn sensor_types(k: ZoneKind) -> &'static [SensorType] {
    use SensorType::*;
    match k {
        ZoneKind::ChemicalPark => &[Gas, Smoke, AirQuality],
        ZoneKind::GasStation => &[Gas, Smoke],
        ZoneKind::Slope => &[SlopeMovement, Rainfall],
        ZoneKind::Construction => &[Strain, SlopeMovement, Smoke],
        ZoneKind::Crowded => &[Smoke, Gas, TrafficFlow],
        ZoneKind::Reservoir | ZoneKind::River | ZoneKind::Lowland => &[WaterLevel, Rainfall],
        ZoneKind::Drainage | ZoneKind::WaterQuality => &[WaterLevel],
        ZoneKind::AirQuality => &[AirQuality],
        ZoneKind::Industrial => &[AirQuality, Gas, Smoke],
        ZoneKind::Tunnel => &[TrafficFlow, Gas, WaterLevel],
        ZoneKind::Bridge => &[Strain, TrafficFlow],
        ZoneKind::Junction => &[TrafficFlow],
    }
}

/// (warn, alarm, typical low, typical high, decimals)
pub fn thresholds(t: SensorType) -> (f64, f64, f64, f64, i32) {
    match t {
        SensorType::WaterLevel => (50.0, 100.0, 0.0, 35.0, 1),
        SensorType::Rainfall => (30.0, 50.0, 0.0, 12.0, 1),
        SensorType::Gas => (20.0, 50.0, 0.0, 6.0, 1),
        SensorType::Smoke => (0.1, 0.2, 0.0, 0.05, 3),
        SensorType::SlopeMovement => (10.0, 30.0, 0.0, 6.0, 1),
        SensorType::Strain => (600.0, 1000.0, 80.0, 420.0, 0),
        SensorType::AirQuality => (100.0, 150.0, 20.0, 85.0, 0),
        SensorType::TrafficFlow => (3000.0, 4000.0, 600.0, 2600.0, 0),
    }
}

fn sensors_per_area(k: ZoneKind) -> usize {
    match k {
        ZoneKind::Reservoir | ZoneKind::ChemicalPark | ZoneKind::Drainage => 6,
        ZoneKind::River | ZoneKind::Lowland | ZoneKind::Slope | ZoneKind::Industrial => 5,
        ZoneKind::Construction | ZoneKind::Crowded | ZoneKind::AirQuality | ZoneKind::Tunnel => 4,
        ZoneKind::GasStation | ZoneKind::WaterQuality | ZoneKind::Bridge | ZoneKind::Junction => 3,
    }
}

fn meander(rng: &mut SmallRng, c: Coord<f64>, len: f64) -> Vec<Coord<f64>> {
    let n = 12;
    let step = len / n as f64;
    let mut heading: f64 = rng.random::<f64>() * std::f64::consts::TAU;
    let mut pts = vec![geom::offset(
        c,
        -heading.cos() * len / 2.0,
        -heading.sin() * len / 2.0,
    )];
    for _ in 0..n {
        heading += rng.random_range(-0.25..0.25);
        let last = pts[pts.len() - 1];
        pts.push(geom::offset(
            last,
            heading.cos() * step,
            heading.sin() * step,
        ));
    }
    pts
}

pub fn areas_and_sensors(rng: &mut SmallRng, admin: &Admin) -> (Vec<Area>, Vec<Sensor>) {
    let mut idx = ShapeIndex::default();
    let mut areas: Vec<Area> = Vec::new();
    let mut river_i = 0;
    for &(kind, count) in AREA_PLAN {
        let wh = match kind {
            ZoneKind::ChemicalPark | ZoneKind::Industrial => Where::Industry,
            ZoneKind::Slope | ZoneKind::Tunnel => Where::Hills,
            ZoneKind::River | ZoneKind::Lowland | ZoneKind::WaterQuality => Where::Lowland,
            _ => Where::People,
        };
        let picker = grid_picker(admin, wh);
        let mut placed = 0;
        let mut attempts = 0;
        let mut placed_at = 0;
        while placed < count && attempts < 5_000 {
            attempts += 1;
            let tries_here = attempts - placed_at;
            let fixed_site = (kind == ZoneKind::Reservoir && tries_here < 300)
                .then(|| RESERVOIRS[placed % RESERVOIRS.len()]);
            let (ring, gi_or_sub, fixed): (Ring, Option<usize>, Option<(&str, &str)>) =
                if let Some((zh, en, x, y, r)) = fixed_site {
                    let scale = 0.9f64.powi(tries_here / 10);
                    (
                        geom::blob(rng, Coord { x, y }, r * scale, 24, 1.5),
                        None,
                        Some((zh, en)),
                    )
                } else {
                    let gi = picker.pick(rng);
                    let c = point_in_grid(rng, admin, gi, 80.0);
                    let ring = match kind {
                        ZoneKind::River => {
                            let (l, w) = (
                                rng.random_range(1500.0..3000.0),
                                rng.random_range(20.0..35.0),
                            );
                            geom::band(&meander(rng, c, l), w)
                        }
                        ZoneKind::WaterQuality => {
                            let (l, w) =
                                (rng.random_range(400.0..800.0), rng.random_range(15.0..25.0));
                            geom::band(&meander(rng, c, l), w)
                        }
                        ZoneKind::Tunnel => {
                            let l = rng.random_range(500.0..1400.0);
                            geom::band(&meander(rng, c, l), 14.0)
                        }
                        ZoneKind::Bridge => {
                            let l = rng.random_range(200.0..600.0);
                            geom::band(&meander(rng, c, l), 14.0)
                        }
                        _ => {
                            let (rmin, rmax, el) = match kind {
                                ZoneKind::ChemicalPark => (250.0, 450.0, 1.4),
                                ZoneKind::GasStation => (35.0, 60.0, 1.3),
                                ZoneKind::Slope => (100.0, 220.0, 2.0),
                                ZoneKind::Construction => (120.0, 260.0, 1.4),
                                ZoneKind::Crowded => (150.0, 300.0, 1.3),
                                ZoneKind::Lowland => (200.0, 400.0, 1.5),
                                ZoneKind::Drainage => (300.0, 600.0, 1.4),
                                ZoneKind::AirQuality => (500.0, 900.0, 1.2),
                                ZoneKind::Industrial => (300.0, 600.0, 1.5),
                                _ => (60.0, 110.0, 1.1),
                            };
                            let r = rng.random_range(rmin..rmax);
                            let n = rng.random_range(16..=28);
                            geom::blob(rng, c, r, n, el)
                        }
                    };
                    (ring, Some(gi), None)
                };
            if !geom::ring_is_simple(&ring) {
                continue;
            }
            let centre = geom::centroid(std::slice::from_ref(&ring));
            let Some(si) = admin.subs.iter().position(|s| s.ring.contains(centre)) else {
                continue;
            };
            let s = &admin.subs[si];
            let mut cell: Cell = if s.ring.contains_ring(&ring) {
                vec![ring]
            } else {
                continue;
            };
            geom::round_cell(&mut cell);
            if cell.is_empty() || idx.overlaps_cell(&cell) {
                continue;
            }
            idx.insert(&cell);
            let gi = gi_or_sub.unwrap_or_else(|| {
                admin
                    .grids
                    .iter()
                    .position(|g| geom::in_cell(centre, &g.cell))
                    .unwrap_or(0)
            });
            let comm = &admin.comms[admin.grids[gi].comm];
            let (b, be) = (comm.base.as_str(), comm.base_en.as_str());
            let n = placed + 1;
            let (name, name_en) = match (kind, fixed) {
                (_, Some((zh, en))) => (zh.to_string(), en.to_string()),
                (ZoneKind::ChemicalPark, _) => (
                    format!("{b}危化品集中区"),
                    format!("{be} Hazardous Chemicals Cluster"),
                ),
                (ZoneKind::GasStation, _) => {
                    let (r, re) = names::road(rng, &s.name);
                    (
                        format!("中石化{r}加油站"),
                        format!("Sinopec {re} Fuel Station"),
                    )
                }
                (ZoneKind::Slope, _) => (format!("{b}{n}号边坡"), format!("{be} Slope No. {n}")),
                (ZoneKind::Construction, _) => (
                    format!("{b}城市更新项目工地"),
                    format!("{be} Urban Renewal Site"),
                ),
                (ZoneKind::Crowded, _) => {
                    let (z, e) = *[
                        ("商业中心", "Shopping Centre"),
                        ("地铁站", "Metro Station"),
                        ("体育中心", "Sports Centre"),
                        ("客运站", "Bus Terminal"),
                    ]
                    .choose(rng)
                    .unwrap_or(&("商业中心", "Shopping Centre"));
                    (format!("{b}{z}"), format!("{be} {e}"))
                }
                (ZoneKind::River, _) => {
                    let (z, e) = names::river(&s.name, river_i);
                    river_i += 1;
                    (format!("{z}{b}段"), format!("{e} ({be} reach)"))
                }
                (ZoneKind::WaterQuality, _) => {
                    let (z, e) = names::river(&s.name, river_i);
                    river_i += 1;
                    (
                        format!("{z}{b}水质断面"),
                        format!("{e} {be} Water-quality Section"),
                    )
                }
                (ZoneKind::Lowland, _) => (
                    format!("{b}低洼易涝区"),
                    format!("{be} Low-lying Flood Zone"),
                ),
                (ZoneKind::Drainage, _) => {
                    (format!("{b}排水管网片区"), format!("{be} Drainage Network"))
                }
                (ZoneKind::AirQuality, _) => (
                    format!("{b}空气质量监测区"),
                    format!("{be} Air-quality Zone"),
                ),
                (ZoneKind::Industrial, _) => {
                    (format!("{b}工业区"), format!("{be} Industrial Zone"))
                }
                (ZoneKind::Tunnel, _) => (format!("{b}隧道"), format!("{be} Tunnel")),
                (ZoneKind::Bridge, _) => {
                    let (z, e) = names::river(&s.name, river_i);
                    river_i += 1;
                    (format!("{z}{b}桥"), format!("{be} Bridge over the {e}"))
                }
                (ZoneKind::Reservoir, _) => {
                    (format!("{b}山塘水库"), format!("{be} Pond Reservoir"))
                }
                (ZoneKind::Junction, _) => {
                    let ((r1, e1), (r2, e2)) = names::two_roads(rng, &s.name);
                    (format!("{r1}与{r2}交叉口"), format!("{e1} / {e2} Junction"))
                }
            };
            areas.push(Area {
                id: format!("JC{:02}", areas.len() + 1),
                name,
                name_en,
                kind,
                domain: kind.domain(),
                sub: si,
                cell,
                sensors: 0,
            });
            placed += 1;
            placed_at = attempts;
        }
    }
    let mut sensors = Vec::new();
    for (ai, a) in areas.iter_mut().enumerate() {
        let types = sensor_types(a.kind);
        let n = sensors_per_area(a.kind);
        let s = &admin.subs[a.sub];
        for k in 0..n {
            let ty = types[k % types.len()];
            let mut at = None;
            for _ in 0..200 {
                if let Some(p) = geom::random_point_in(rng, &a.cell, 50) {
                    let p = geom::round_coord(p);
                    if geom::inside_strict(p, &a.cell, MARGIN)
                        && geom::inside_strict(p, &s.cell, MARGIN)
                    {
                        at = Some(p);
                        break;
                    }
                }
            }
            let Some(at) = at else { continue };
            let (warn, alarm, lo, hi, dec) = thresholds(ty);
            let u: f64 = rng.random();
            let raw = if u < 0.9 {
                rng.random_range(lo..hi)
            } else if u < 0.97 {
                rng.random_range(warn..alarm)
            } else {
                rng.random_range(alarm..alarm * 1.3)
            };
            let m = 10f64.powi(dec);
            a.sensors += 1;
            sensors.push(Sensor {
                id: format!("S{:04}", sensors.len() + 1),
                name: format!(
                    "{}{}{:02}",
                    a.name,
                    ty.label(pingan_model::domain::Lang::Zh),
                    a.sensors
                ),
                area: ai,
                ty,
                warn,
                alarm,
                value: (raw * m).round() / m,
                at,
            });
        }
    }
    (areas, sensors)
}
