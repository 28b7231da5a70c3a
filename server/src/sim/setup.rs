//! What the simulator reads from the data directory at start: the sensors
//! to drive (with their monitored areas' kinds) and the category shares.

use super::simulator::SimSensor;
use pingan_model::domain::{CaseCategory, ZoneKind};
use pingan_model::geojson_io::parse_feature_collection;
use pingan_model::live::{thresholds, SensorState};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use std::collections::HashMap;
use std::path::Path;

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
