//! `GET /api/kpi` (issue 9): the wall's KPI band and safety index, computed
//! by the model's functions (`pingan_model::wall::kpi`, `wall::safety`) over
//! the store's state at one seq (one read transaction, so the seq and the
//! figures agree). Also what the server reads once at start for them
//! ([`District`]: the subdistricts' names, residents, areas and the
//! district's box from `subdistricts.geojson`).
//!
//! The answer holds no personal data: counts, scores and the model's KPI
//! basis (case ids, deadlines, hazard statuses, sensor reading times).

use super::common::{no_store, read};
use crate::error::ApiError;
use crate::intake::GridLocator;
use crate::mask::Directory;
use crate::store::WallState;
use crate::AppState;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use pingan_model::geojson_io::{parse_feature_collection, Geom};
use pingan_model::index::bbox_of;
use pingan_model::live::{Level, Seq};
use pingan_model::wall::kpi::{HazardIn, KpiInputs, Kpis, SensorIn, DAYS_KEPT};
use pingan_model::wall::safety::{
    safety_index, AlarmIn, Area, SafetyInputs, SafetyRow, CASE_WINDOW_DAYS, TREND_DAYS,
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::Path;

/// `GET /api/kpi`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KpiOut {
    /// The last event the figures contain (= `kpis.seq`).
    pub seq: Seq,
    /// Unix seconds the figures are for (= `kpis.at`).
    pub at: i64,
    /// The KPI band, with the basis an app applies later events to
    /// (`Kpis::apply`).
    pub kpis: Kpis,
    /// The safety index, ranked.
    pub safety: Vec<SafetyRow>,
}

/// Days of history read: the safety index's 30-day window 7 days back,
/// and a day to spare (the KPIs' typical needs 28).
pub const HISTORY_DAYS: i64 = CASE_WINDOW_DAYS + TREND_DAYS + 1;

/// `GET /api/kpi`: the figures at the store's newest seq. Takes
/// `audience=public` (a wall asks for it everywhere; there is nothing
/// personal to mask) and nothing else.
pub async fn kpi(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    super::extract::only_audience(raw.as_deref(), "GET /api/kpi")?;
    let now = crate::clock::now_s();
    let since = pingan_model::time::cst_day_start(now - HISTORY_DAYS.max(DAYS_KEPT + 1) * 86_400);
    let wall = read(&state, move |s| s.wall_state(since)).await?;
    let st = state.clone();
    let out = crate::blocking::run(move || {
        Ok::<_, ApiError>(compute(
            st.district(),
            st.grids(),
            st.live().hub().directory(),
            &wall,
            now,
        ))
    })
    .await?;
    Ok(no_store(StatusCode::OK, Json(out)))
}

/// The figures of `wall` at `now`: the model's functions over it, with the
/// places from the data directory (grids' and sensors' subdistricts,
/// hazards' found dates and subdistricts).
pub fn compute(
    district: &District,
    grids: &GridLocator,
    dir: &Directory,
    wall: &WallState,
    now: i64,
) -> KpiOut {
    let hazards: Vec<HazardIn> = wall
        .hazards
        .iter()
        .map(|(id, status, changed_at)| {
            let site = district.hazards.get(id);
            HazardIn {
                id: id.clone(),
                status: *status,
                found: site.map_or(0, |s| s.found),
                changed_at: *changed_at,
                area: site.and_then(|s| s.area),
            }
        })
        .collect();
    let sensors: Vec<SensorIn> = wall
        .sensors
        .iter()
        .map(|(id, t, at)| SensorIn {
            id: id.clone(),
            sensor_type: *t,
            last_at: Some(*at),
        })
        .collect();
    let history_from = wall
        .oldest_case
        .map_or(now, pingan_model::time::cst_day_start);
    let kpis = Kpis::compute(
        &KpiInputs {
            seq: wall.seq,
            cases: &wall.cases,
            closes: &wall.closes,
            history_from,
            alerts: &wall.alerts,
            sensors: &sensors,
            hazards: &hazards,
        },
        now,
    );
    let areas: Vec<Area> = district
        .subdistricts
        .iter()
        .map(|s| Area {
            code: s.code.clone(),
            name: s.name.clone(),
            name_en: s.name_en.clone(),
            population: s.population,
            area_km2: s.area_km2,
        })
        .collect();
    let grid_area: Vec<Option<usize>> = grids
        .grids()
        .iter()
        .map(|g| g.subdistrict.as_deref().and_then(|n| district.position(n)))
        .collect();
    let alarms: Vec<AlarmIn> = wall
        .alerts
        .iter()
        .filter(|a| a.level == Level::Alarm)
        .map(|a| AlarmIn {
            area: dir
                .sensor_place(&a.sensor)
                .and_then(|n| district.position(n)),
            level: a.level,
            raised_at: a.raised_at,
            cleared_at: a.cleared_at,
        })
        .collect();
    let safety = safety_index(
        &SafetyInputs {
            areas: &areas,
            grid_area: &grid_area,
            cases: &wall.cases,
            closes: &wall.closes,
            alarms: &alarms,
            hazards: &hazards,
            history_from,
        },
        now,
    );
    KpiOut {
        seq: kpis.seq,
        at: kpis.at,
        kpis,
        safety,
    }
}

/// One subdistrict as the safety index needs it.
#[derive(Clone, Debug, PartialEq)]
pub struct SubdistrictInfo {
    /// The administrative code (`440306001`).
    pub code: String,
    /// Its name as cases and layer files carry it (`西乡街道`).
    pub name: String,
    pub name_en: String,
    /// Residents.
    pub population: f64,
    pub area_km2: f64,
}

/// A hazard site as the figures need it (hazards.geojson).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HazardSite {
    /// CST midnight of the day it was found (`found`), 0 when unknown.
    pub found: i64,
    /// Its subdistrict's position in [`District::subdistricts`].
    pub area: Option<usize>,
}

/// The district as read at start from `subdistricts.geojson` (and the
/// hazard sites from `hazards.geojson`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct District {
    /// In the file's order.
    pub subdistricts: Vec<SubdistrictInfo>,
    /// WGS84 `[min_lon, min_lat, max_lon, max_lat]` of every subdistrict;
    /// `None` when the file has no polygon.
    pub bbox: Option<[f64; 4]>,
    /// Hazard id → found date and subdistrict.
    pub hazards: HashMap<String, HazardSite>,
}

/// The properties of a hazard the figures read (the rest is skipped).
#[derive(Deserialize)]
struct HazardFile {
    features: Vec<HazardFeature>,
}

#[derive(Deserialize)]
struct HazardFeature {
    #[serde(default)]
    id: Option<serde_json::Value>,
    #[serde(default)]
    properties: HazardProps,
}

#[derive(Default, Deserialize)]
struct HazardProps {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    found: Option<String>,
    #[serde(default)]
    subdistrict: Option<String>,
}

/// `2026-11-29` → its CST midnight.
pub fn parse_date(s: &str) -> Option<i64> {
    let mut it = s.trim().splitn(3, '-');
    let y: i64 = it.next()?.parse().ok()?;
    let m: u32 = it.next()?.parse().ok()?;
    let d: u32 = it.next()?.get(..2)?.parse().ok()?;
    ((1970..=9999).contains(&y) && (1..=12).contains(&m) && (1..=31).contains(&d))
        .then(|| pingan_model::time::cst_midnight(y, m, d))
}

impl District {
    /// Reads `<data_dir>/subdistricts.geojson`. A missing or broken file is
    /// an empty district and a problem (the caller logs it): the safety
    /// index is then empty and scenes are checked against no box.
    pub fn load(data_dir: &Path) -> (District, Vec<String>) {
        let path = data_dir.join("subdistricts.geojson");
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                return (
                    District::default(),
                    vec![format!("{}: {e}", path.display())],
                )
            }
        };
        let (mut district, mut problems) = match District::parse(&text) {
            Ok((d, problems)) => (
                d,
                problems
                    .into_iter()
                    .map(|p| format!("{}: {p}", path.display()))
                    .collect(),
            ),
            Err(e) => (
                District::default(),
                vec![format!("{}: {e}", path.display())],
            ),
        };
        let hazards = data_dir.join("hazards.geojson");
        match std::fs::read(&hazards) {
            Ok(bytes) => {
                if let Err(e) = district.read_hazards(&bytes) {
                    problems.push(format!("{}: {e}", hazards.display()));
                }
            }
            Err(e) => problems.push(format!("{}: {e}", hazards.display())),
        }
        (district, problems)
    }

    /// Reads the hazards' found dates and subdistricts (after the
    /// subdistricts). A hazard without a readable `found` gets 0 (found
    /// before anything else).
    pub fn read_hazards(&mut self, bytes: &[u8]) -> Result<(), String> {
        let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
        let file: HazardFile = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
        for f in file.features {
            let id = match (f.id, f.properties.id) {
                (Some(serde_json::Value::String(s)), _) => s,
                (_, Some(s)) => s,
                _ => continue,
            };
            let site = HazardSite {
                found: f
                    .properties
                    .found
                    .as_deref()
                    .and_then(parse_date)
                    .unwrap_or(0),
                area: f
                    .properties
                    .subdistrict
                    .as_deref()
                    .and_then(|n| self.position(n)),
            };
            self.hazards.insert(id, site);
        }
        Ok(())
    }

    /// Parses the subdistricts' FeatureCollection; a feature without a name
    /// is skipped (a problem), missing residents or area count as 0.
    pub fn parse(text: &str) -> Result<(District, Vec<String>), String> {
        let features = parse_feature_collection(text).map_err(|e| e.to_string())?;
        let mut d = District::default();
        let mut problems = Vec::new();
        for (i, f) in features.iter().enumerate() {
            let Some(name) = f.str_prop("name") else {
                problems.push(format!("feature {i} has no name; skipped"));
                continue;
            };
            let number = |key: &str| {
                f.num_prop(key)
                    .filter(|v| v.is_finite() && *v >= 0.0)
                    .unwrap_or(0.0)
            };
            d.subdistricts.push(SubdistrictInfo {
                code: f
                    .str_prop("code")
                    .map(str::to_string)
                    .or_else(|| f.id.clone())
                    .unwrap_or_else(|| name.to_string()),
                name: name.to_string(),
                name_en: f.str_prop("name_en").unwrap_or(name).to_string(),
                population: number("population"),
                area_km2: number("area_km2"),
            });
            if let Geom::Area(mp) = &f.geometry {
                if let Some(b) = bbox_of(mp) {
                    let [x0, y0, x1, y1] =
                        d.bbox.unwrap_or([f64::MAX, f64::MAX, f64::MIN, f64::MIN]);
                    d.bbox = Some([
                        x0.min(b.min[0]),
                        y0.min(b.min[1]),
                        x1.max(b.max[0]),
                        y1.max(b.max[1]),
                    ]);
                }
            }
        }
        Ok((d, problems))
    }

    /// The position of the subdistrict named `name`.
    pub fn position(&self, name: &str) -> Option<usize> {
        self.subdistricts.iter().position(|s| s.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_district_is_read_from_its_subdistricts() {
        let text = r#"{"type":"FeatureCollection","features":[
          {"type":"Feature","id":"440306001","properties":{"code":"440306001","name":"西乡街道","name_en":"Xixiang Subdistrict","population":840000,"area_km2":51.9},
           "geometry":{"type":"Polygon","coordinates":[[[113.8,22.5],[113.9,22.5],[113.9,22.6],[113.8,22.5]]]}},
          {"type":"Feature","properties":{"name":"福海街道"},
           "geometry":{"type":"Polygon","coordinates":[[[113.7,22.6],[113.8,22.6],[113.8,22.7],[113.7,22.6]]]}},
          {"type":"Feature","properties":{"population":1},"geometry":null}]}"#;
        let (d, problems) = District::parse(text).unwrap();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(d.subdistricts.len(), 2);
        assert_eq!(d.subdistricts[0].population, 840000.0);
        assert_eq!(d.subdistricts[1].code, "福海街道");
        assert_eq!(d.subdistricts[1].area_km2, 0.0);
        assert_eq!(d.bbox, Some([113.7, 22.5, 113.9, 22.7]));
        assert_eq!(d.position("福海街道"), Some(1));
        assert!(District::parse("[]").is_err());
        let mut d = d;
        d.read_hazards(
            r#"{"type":"FeatureCollection","features":[
              {"type":"Feature","id":"YH000001","properties":{"found":"2026-11-29","subdistrict":"福海街道","contacts":[]},"geometry":null},
              {"type":"Feature","properties":{"id":"YH000002","found":"soon"},"geometry":null},
              {"type":"Feature","properties":{},"geometry":null}]}"#
                .as_bytes(),
        )
        .unwrap();
        assert_eq!(
            d.hazards["YH000001"],
            HazardSite {
                found: pingan_model::time::cst_midnight(2026, 11, 29),
                area: Some(1)
            }
        );
        assert_eq!(
            d.hazards["YH000002"],
            HazardSite {
                found: 0,
                area: None
            }
        );
        assert_eq!(d.hazards.len(), 2);
        assert!(d.read_hazards(b"{}").is_err());
        assert_eq!(
            parse_date("2026-02-03"),
            Some(pingan_model::time::cst_midnight(2026, 2, 3))
        );
        assert_eq!(parse_date("2026-13-03"), None);
    }

    #[test]
    fn the_generated_district_has_ten_subdistricts() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../data");
        if !dir.join("subdistricts.geojson").is_file() {
            return; // data/ not generated: the integration tests say so.
        }
        let (d, problems) = District::load(&dir);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(d.subdistricts.len(), 10);
        assert!(d
            .subdistricts
            .iter()
            .all(|s| s.population > 0.0 && s.area_km2 > 0.0));
        assert!(d.hazards.len() > 10_000, "{}", d.hazards.len());
        assert!(d.hazards.values().all(|h| h.found > 0 && h.area.is_some()));
        let [x0, y0, x1, y1] = d.bbox.unwrap();
        assert!(
            x0 > 113.6 && x1 < 114.1 && y0 > 22.4 && y1 < 22.9,
            "{:?}",
            d.bbox
        );
    }
}
