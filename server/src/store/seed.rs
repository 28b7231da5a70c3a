//! What a new store starts from: the generated files of the data directory.
//!
//! - `sensors.geojson`: the registry; each sensor's `value` becomes its latest
//!   reading (at seeding time) and its level is `next_level(Normal, value)`.
//!   A sensor that is already at warn or alarm gets an active alert (raised
//!   at seeding time), so that level and alerts agree from the start.
//! - `hazards.geojson`: id, status, position, name, subdistrict.
//! - `cases_recent.bin`: the last 30 days of cases, each with a synthesised
//!   status history along the main path (plausible, deterministic times that
//!   end no later than the seeding time). Grid, community and subdistrict come
//!   from the record's grid index in `grids.geojson`; a record whose grid is
//!   not in the grids file is skipped.
//!
//! Seeding appends no events. A missing or broken file is logged and that
//! part stays empty; the server starts anyway. [`Seed::plant`] stores a seed
//! through the [`Store`] interface, so every backend is seeded alike.

use super::command::Actor;
use super::error::StoreResult;
use super::tx::Tx;
pub use super::tx::{SeedHazard, SeedSensor};
use super::Store;
use crate::intake::GridLocator;
use pingan_model::cases::CaseRecord;
use pingan_model::domain::{CaseStatus, HazardStatus, Lang, SensorType};
use pingan_model::geojson_io::{parse_feature_collection, Feature, Geom};
use pingan_model::live::{next_level, thresholds, Alert, Case, Level, Transition};
use std::path::Path;

/// Everything a new store is seeded with.
#[derive(Clone, Debug, Default)]
pub struct Seed {
    /// Unix seconds: the time of the seeded readings and alerts.
    pub now: i64,
    pub sensors: Vec<SeedSensor>,
    pub hazards: Vec<SeedHazard>,
    pub cases: Vec<(Case, Vec<Transition>)>,
    /// What was skipped and why (logged by the caller).
    pub problems: Vec<String>,
}

/// What [`Seed::plant`] stored.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SeedReport {
    pub cases: usize,
    pub transitions: usize,
    pub sensors: usize,
    pub alerts: usize,
    pub hazards: usize,
}

/// The `meta` key set once a store is seeded.
const SEEDED_AT: &str = "seeded_at";

/// Whether the store was seeded (seeding happens once, on first start).
pub fn is_seeded(store: &dyn Store) -> StoreResult<bool> {
    let mut seeded = false;
    store.transaction(&mut |tx| {
        seeded = tx.meta(SEEDED_AT)?.is_some();
        Ok(())
    })?;
    Ok(seeded)
}

impl Seed {
    /// Stores the seed in one transaction, unless the store was seeded
    /// before (then returns `None`). Entries whose id is taken are skipped;
    /// a sensor seeded at warn or alarm gets an active alert. Appends no
    /// events.
    pub fn plant(&self, store: &dyn Store) -> StoreResult<Option<SeedReport>> {
        let mut report = None;
        store.transaction(&mut |tx| {
            report = self.plant_in(tx)?;
            Ok(())
        })?;
        Ok(report)
    }

    fn plant_in(&self, tx: &mut dyn Tx) -> StoreResult<Option<SeedReport>> {
        if tx.meta(SEEDED_AT)?.is_some() {
            return Ok(None);
        }
        let mut report = SeedReport::default();
        let mut next_alert = tx.max_alert_id()? + 1;
        for s in &self.sensors {
            if !tx.insert_sensor(s, self.now)? {
                continue;
            }
            report.sensors += 1;
            if s.level != Level::Normal {
                tx.insert_alert(&Alert {
                    id: next_alert,
                    sensor: s.id.clone(),
                    sensor_type: s.sensor_type,
                    level: s.level,
                    peak: s.value,
                    lon: s.lon,
                    lat: s.lat,
                    raised_at: self.now,
                    cleared_at: None,
                    acked_at: None,
                    acked_by: None,
                    alarm_at_ms: (s.level == Level::Alarm).then_some(self.now * 1000),
                })?;
                next_alert += 1;
                report.alerts += 1;
            }
        }
        for h in &self.hazards {
            if tx.insert_hazard(h)? {
                report.hazards += 1;
            }
        }
        let seeding = Actor::system("seed");
        for (c, history) in &self.cases {
            if !tx.insert_case(c)? {
                continue;
            }
            report.cases += 1;
            for t in history {
                tx.add_transition(c.id, t, &seeding)?;
                report.transitions += 1;
            }
        }
        tx.set_meta(SEEDED_AT, &self.now.to_string())?;
        Ok(Some(report))
    }

    /// Reads the seed files of `data_dir`; never fails (see the module doc).
    pub fn load(data_dir: &Path, grids: &GridLocator, now: i64) -> Seed {
        let mut seed = Seed {
            now,
            ..Seed::default()
        };
        match std::fs::read_to_string(data_dir.join("sensors.geojson")) {
            Ok(text) => seed.sensors = sensors(&text, &mut seed.problems),
            Err(e) => seed.problems.push(format!("sensors.geojson: {e}")),
        }
        match std::fs::read_to_string(data_dir.join("hazards.geojson")) {
            Ok(text) => seed.hazards = hazards(&text, &mut seed.problems),
            Err(e) => seed.problems.push(format!("hazards.geojson: {e}")),
        }
        match std::fs::read(data_dir.join("cases_recent.bin")) {
            Ok(bytes) => match pingan_model::cases::decode(&bytes) {
                Ok(file) => seed.cases = cases(&file.records, grids, now, &mut seed.problems),
                Err(e) => seed.problems.push(format!("cases_recent.bin: {e}")),
            },
            Err(e) => seed.problems.push(format!("cases_recent.bin: {e}")),
        }
        seed
    }
}

/// The point features of `file` that have an id and a known code in their
/// `key` property, with that code; the others are counted in one problem line.
fn coded_points<T>(
    text: &str,
    file: &str,
    key: &str,
    from_code: fn(&str) -> Option<T>,
    problems: &mut Vec<String>,
) -> Vec<(String, f64, f64, T, Feature)> {
    let features = match parse_feature_collection(text) {
        Ok(f) => f,
        Err(e) => {
            problems.push(format!("{file}: {e}"));
            return vec![];
        }
    };
    let total = features.len();
    let out: Vec<_> = features
        .into_iter()
        .filter_map(|f| {
            let (Some(id), Geom::Point(p)) = (f.id.clone(), &f.geometry) else {
                return None;
            };
            let code = f.str_prop(key).and_then(from_code)?;
            Some((id, p.x(), p.y(), code, f))
        })
        .collect();
    if out.len() < total {
        problems.push(format!(
            "{file}: {} features skipped (no id, not a point or no known `{key}`)",
            total - out.len()
        ));
    }
    out
}

fn sensors(text: &str, problems: &mut Vec<String>) -> Vec<SeedSensor> {
    coded_points(
        text,
        "sensors.geojson",
        "type",
        SensorType::from_code,
        problems,
    )
    .into_iter()
    .map(|(id, lon, lat, sensor_type, f)| {
        let value = f.num_prop("value").filter(|v| v.is_finite()).unwrap_or(0.0);
        SeedSensor {
            level: next_level(Level::Normal, value, thresholds(sensor_type)),
            id,
            sensor_type,
            lon,
            lat,
            name: f.str_prop("name").unwrap_or_default().to_string(),
            area: f.str_prop("area").map(str::to_string),
            subdistrict: f.str_prop("subdistrict").map(str::to_string),
            value,
        }
    })
    .collect()
}

fn hazards(text: &str, problems: &mut Vec<String>) -> Vec<SeedHazard> {
    coded_points(
        text,
        "hazards.geojson",
        "status",
        HazardStatus::from_code,
        problems,
    )
    .into_iter()
    .map(|(id, lon, lat, status, f)| SeedHazard {
        id,
        status,
        lon,
        lat,
        name: f.str_prop("name").unwrap_or_default().to_string(),
        subdistrict: f.str_prop("subdistrict").map(str::to_string),
    })
    .collect()
}

/// A small deterministic hash → [0, 1).
fn unit(id: u32, salt: u32) -> f64 {
    let mut x = (id as u64) << 32 | salt as u64;
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    x ^= x >> 33;
    (x >> 11) as f64 / (1u64 << 53) as f64
}

/// The statuses a case went through to reach `status`, from the report on.
pub fn history_path(status: CaseStatus) -> &'static [CaseStatus] {
    use CaseStatus::*;
    match status {
        Reported => &[Reported],
        Accepted => &[Reported, Accepted],
        Dispatched => &[Reported, Accepted, Dispatched],
        InProgress => &[Reported, Accepted, Dispatched, InProgress],
        Resolved => &[Reported, Accepted, Dispatched, InProgress, Resolved],
        Archived => &[
            Reported, Accepted, Dispatched, InProgress, Resolved, Archived,
        ],
        Returned => &[Reported, Accepted, Returned],
        Escalated => &[Reported, Accepted, Dispatched, InProgress, Escalated],
    }
}

/// A synthesised history for a seeded case: typical delays (accepted within
/// the hour, dispatched within a few, resolved at about half the deadline,
/// archived three days later), jittered per case, squeezed to end by `now`.
pub fn synthesize_history(r: &CaseRecord, now: i64) -> Vec<Transition> {
    use CaseStatus::*;
    let path = history_path(r.status);
    let deadline_s = (r.deadline_hours as f64 * 3600.0).max(3600.0);
    let mut offsets = Vec::with_capacity(path.len());
    let mut t = 0.0f64;
    for (k, s) in path.iter().enumerate() {
        let j = 0.5 + unit(r.id, k as u32);
        let step = match s {
            Reported => 0.0,
            Accepted => 1800.0 * j,
            Dispatched => 5400.0 * j,
            InProgress => 4.0 * 3600.0 * j,
            Resolved => (deadline_s * 0.45 * j - t).max(1800.0),
            Archived => 72.0 * 3600.0 * j,
            Returned => 3600.0 * j,
            Escalated => 12.0 * 3600.0 * j,
        };
        t += step;
        offsets.push(t);
    }
    let room = (now - r.time).max(0) as f64;
    let last = offsets.last().copied().unwrap_or(0.0);
    let scale = if last > room * 0.95 && last > 0.0 {
        room * 0.95 / last
    } else {
        1.0
    };
    let dept = r
        .departments
        .iter()
        .next()
        .map(|d| d.code())
        .unwrap_or("centre");
    path.iter()
        .zip(offsets)
        .enumerate()
        .map(|(k, (s, off))| Transition {
            from: if k == 0 { None } else { Some(path[k - 1]) },
            to: *s,
            at: r.time + (off * scale) as i64,
            by: match s {
                Reported => "grid_worker",
                Accepted | Dispatched | Archived => "centre",
                _ => dept,
            }
            .to_string(),
            note: String::new(),
        })
        .collect()
}

fn cases(
    records: &[CaseRecord],
    grids: &GridLocator,
    now: i64,
    problems: &mut Vec<String>,
) -> Vec<(Case, Vec<Transition>)> {
    let mut out = Vec::with_capacity(records.len());
    let mut skipped = 0;
    for r in records {
        let Some(loc) = grids.location_of(r.grid as usize) else {
            skipped += 1;
            continue;
        };
        let history = synthesize_history(r, now);
        let updated_at = history.last().map(|t| t.at).unwrap_or(r.time);
        out.push((
            Case {
                id: r.id,
                category: r.category,
                lon: r.lon,
                lat: r.lat,
                grid: Some(loc.grid),
                grid_index: Some(loc.grid_index),
                community: loc.community,
                subdistrict: loc.subdistrict,
                description: format!("{}（历史事件）", r.category.label(Lang::Zh)),
                reporter: "网格员".into(),
                status: r.status,
                departments: r.departments.iter().collect(),
                rule: None,
                reported_at: r.time,
                deadline: r.deadline(),
                updated_at,
                photo: None,
            },
            history,
        ));
    }
    if skipped > 0 {
        problems.push(format!(
            "cases_recent.bin: {skipped} cases skipped (grid index not in grids.geojson)"
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use pingan_model::cases::DeptSet;
    use pingan_model::domain::{CaseCategory, Department};

    #[test]
    fn histories_follow_the_status_machine_and_end_by_now() {
        for (i, s) in CaseStatus::ALL.iter().enumerate() {
            for age in [60, 3600, 86_400 * 20] {
                let now = 1_790_000_000;
                let r = CaseRecord {
                    id: i as u32 * 7 + 1,
                    time: now - age,
                    lon: 113.8,
                    lat: 22.6,
                    grid: 0,
                    category: CaseCategory::Dispute,
                    status: *s,
                    departments: DeptSet::of(&[Department::Police]),
                    deadline_hours: 72,
                };
                let h = synthesize_history(&r, now);
                assert_eq!(h[0].from, None);
                assert_eq!(h.last().map(|t| t.to), Some(*s));
                for w in h.windows(2) {
                    assert!(w[0].to.can_move_to(w[1].to), "{:?}", h);
                    assert_eq!(w[1].from, Some(w[0].to));
                    assert!(w[0].at <= w[1].at);
                }
                assert!(h.iter().all(|t| t.at >= r.time && t.at <= now), "{h:?}");
            }
        }
    }
}
