//! `GET /api/kpi` (issue 9): the wall's KPI band and safety index, computed
//! by the model's functions (`pingan_model::wall::kpi`, `wall::safety`) over
//! the store's state at one seq (one read transaction, so the seq and the
//! figures agree). Also what the server reads once at start for them
//! ([`District`]: the subdistricts' names, residents, areas and the
//! district's box from `subdistricts.geojson`).
//!
//! The answer holds no personal data: counts, scores and the model's KPI
//! basis (case ids, deadlines, hazard statuses, sensor reading times).

use pingan_model::geojson_io::{parse_feature_collection, Geom};
use pingan_model::index::bbox_of;
use std::path::Path;

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

/// The district as read at start from `subdistricts.geojson`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct District {
    /// In the file's order.
    pub subdistricts: Vec<SubdistrictInfo>,
    /// WGS84 `[min_lon, min_lat, max_lon, max_lat]` of every subdistrict;
    /// `None` when the file has no polygon.
    pub bbox: Option<[f64; 4]>,
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
        match District::parse(&text) {
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
        }
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
        let [x0, y0, x1, y1] = d.bbox.unwrap();
        assert!(
            x0 > 113.6 && x1 < 114.1 && y0 > 22.4 && y1 < 22.9,
            "{:?}",
            d.bbox
        );
    }
}
