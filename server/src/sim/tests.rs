//! The simulator driven against a real store: determinism, rhythm, scenarios.

use super::*;
use crate::intake::GridLocator;
use crate::store::sqlite::SqliteStore;
use crate::store::Command;
use crate::store::Store;
use pingan_model::domain::{CaseCategory, SensorType, ZoneKind};
use pingan_model::live::{thresholds, Change, DispatchRules};
use std::path::Path;
use std::sync::Arc;

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
