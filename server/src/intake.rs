//! Turning a report into a case to store: validate the fields, locate the
//! point in a grid (R-tree over the grids' bounding boxes, then
//! point-in-polygon) and route it with the dispatch rules. `POST /api/cases`
//! and the simulator both go through [`prepare_case`], so simulated cases take
//! exactly the path real ones do.

use crate::store::{Actor, NewCase};
use geo::MultiPolygon;
use pingan_model::domain::CaseCategory;
use pingan_model::geojson_io::{parse_feature_collection, Geom};
use pingan_model::index::{bbox_of, AreaIndex, Bbox};
use pingan_model::live::DispatchRules;
use std::path::Path;

/// Longest accepted description, in characters.
pub const MAX_DESCRIPTION: usize = 2000;
/// Longest accepted reporter / operator name, in characters.
pub const MAX_NAME: usize = 64;
/// Longest accepted note, in characters.
pub const MAX_NOTE: usize = 2000;

/// One grid of `grids.geojson`, as cases refer to it.
#[derive(Clone, Debug, PartialEq)]
pub struct GridInfo {
    pub id: String,
    pub community: Option<String>,
    pub subdistrict: Option<String>,
    /// Residents (for the simulator's choice of where things happen).
    pub population: f64,
}

/// Where a point is: its grid and the grid's community and subdistrict.
#[derive(Clone, Debug, PartialEq)]
pub struct Location {
    pub grid: String,
    pub grid_index: u16,
    pub community: Option<String>,
    pub subdistrict: Option<String>,
}

/// The grids, indexed for point location.
#[derive(Clone, Debug, Default)]
pub struct GridLocator {
    grids: Vec<GridInfo>,
    areas: Vec<MultiPolygon<f64>>,
    index: AreaIndex,
}

#[derive(Debug, thiserror::Error)]
pub enum GridsError {
    #[error("{path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {problem}")]
    Parse { path: String, problem: String },
}

impl GridLocator {
    /// Reads `grids.geojson`. Point features (not grids) are kept as empty
    /// areas so that indexes still match the file's order.
    pub fn load(path: &Path) -> Result<GridLocator, GridsError> {
        let text = std::fs::read_to_string(path).map_err(|source| GridsError::Read {
            path: path.display().to_string(),
            source,
        })?;
        GridLocator::parse(&text).map_err(|problem| GridsError::Parse {
            path: path.display().to_string(),
            problem,
        })
    }

    pub fn parse(text: &str) -> Result<GridLocator, String> {
        let features = parse_feature_collection(text).map_err(|e| e.to_string())?;
        if features.len() > u16::MAX as usize {
            return Err(format!(
                "{} grids; case files index at most {}",
                features.len(),
                u16::MAX
            ));
        }
        let mut grids = Vec::with_capacity(features.len());
        let mut areas = Vec::with_capacity(features.len());
        for (i, f) in features.into_iter().enumerate() {
            grids.push(GridInfo {
                id: f.id.clone().unwrap_or_else(|| format!("#{i}")),
                community: f.str_prop("community").map(str::to_string),
                subdistrict: f.str_prop("subdistrict").map(str::to_string),
                population: f.num_prop("population").unwrap_or(0.0).max(0.0),
            });
            areas.push(match f.geometry {
                Geom::Area(mp) => mp,
                Geom::Point(_) | Geom::Null => MultiPolygon::new(vec![]),
            });
        }
        let index = AreaIndex::bulk_load(&areas);
        Ok(GridLocator {
            grids,
            areas,
            index,
        })
    }

    pub fn len(&self) -> usize {
        self.grids.len()
    }
    pub fn is_empty(&self) -> bool {
        self.grids.is_empty()
    }
    pub fn grid(&self, index: usize) -> Option<&GridInfo> {
        self.grids.get(index)
    }
    /// The subdistrict names of the grids, sorted, each once.
    pub fn subdistricts(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .grids()
            .iter()
            .filter_map(|g| g.subdistrict.clone())
            .collect();
        names.sort();
        names.dedup();
        names
    }

    pub fn grids(&self) -> &[GridInfo] {
        &self.grids
    }
    /// The bounding box of grid `index`.
    pub fn bbox(&self, index: usize) -> Option<Bbox> {
        self.areas.get(index).and_then(bbox_of)
    }

    /// The grid at position `index` of the file, as a location.
    pub fn location_of(&self, index: usize) -> Option<Location> {
        let g = self.grids.get(index)?;
        Some(Location {
            grid: g.id.clone(),
            grid_index: u16::try_from(index).ok()?,
            community: g.community.clone(),
            subdistrict: g.subdistrict.clone(),
        })
    }

    /// The grid containing the point (the first in file order when grids overlap).
    pub fn locate(&self, lon: f64, lat: f64) -> Option<Location> {
        if !lon.is_finite() || !lat.is_finite() {
            return None;
        }
        let i = self.index.locate(&self.areas, [lon, lat])?;
        self.location_of(i as usize)
    }
}

/// A report as it arrives (`POST /api/cases`, or the simulator).
#[derive(Clone, Debug, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct CaseIn {
    pub category: CaseCategory,
    pub lon: f64,
    pub lat: f64,
    pub description: String,
    /// Accepted and ignored: the reporter is the signed-in account (the
    /// actor), never a name the body gives.
    #[serde(default)]
    pub reporter: Option<String>,
    /// Unix seconds of the report; the server's clock when absent.
    #[serde(default)]
    pub at: Option<i64>,
    /// A photo of it, stored first with `PUT /api/photos/{sha256}`: its id.
    #[serde(default)]
    pub photo: Option<String>,
}

/// Why a report cannot become a case. `field` names the offending field.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum IntakeError {
    #[error("{field}: {detail}")]
    Invalid { field: String, detail: String },
    /// No dispatch rules are loaded (data/dispatch_rules.json missing or broken).
    #[error("{0}")]
    NoRules(String),
}

fn invalid(field: &str, detail: impl Into<String>) -> IntakeError {
    IntakeError::Invalid {
        field: field.to_string(),
        detail: detail.into(),
    }
}

/// Checks a free-text field: trimmed non-empty (unless `may_be_empty`), at
/// most `max` characters, no control characters other than newlines/tabs.
pub fn check_text(field: &str, s: &str, max: usize, may_be_empty: bool) -> Result<(), IntakeError> {
    if !may_be_empty && s.trim().is_empty() {
        return Err(invalid(field, "must not be empty"));
    }
    let n = s.chars().count();
    if n > max {
        return Err(invalid(
            field,
            format!("{n} characters, at most {max} allowed"),
        ));
    }
    if s.chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r')
    {
        return Err(invalid(field, "contains control characters"));
    }
    Ok(())
}

/// Checks a client-supplied time: after 2000-01-01 and at most a day ahead of `now`.
pub fn check_time(field: &str, at: i64, now: i64) -> Result<(), IntakeError> {
    if at < 946_684_800 {
        return Err(invalid(
            field,
            format!("{at} is before 2000-01-01 (Unix seconds expected)"),
        ));
    }
    if at > now + 86_400 {
        return Err(invalid(
            field,
            format!("{at} is more than a day in the future"),
        ));
    }
    Ok(())
}

/// Validates a report, locates it and routes it: the case to store.
pub fn prepare_case(
    grids: &GridLocator,
    rules: Option<&DispatchRules>,
    input: &CaseIn,
    reporter: &Actor,
    now: i64,
) -> Result<NewCase, IntakeError> {
    if !input.lon.is_finite() || !(-180.0..=180.0).contains(&input.lon) {
        return Err(invalid(
            "lon",
            format!("{} is not a longitude in [-180, 180]", input.lon),
        ));
    }
    if !input.lat.is_finite() || !(-90.0..=90.0).contains(&input.lat) {
        return Err(invalid(
            "lat",
            format!("{} is not a latitude in [-90, 90]", input.lat),
        ));
    }
    check_text("description", &input.description, MAX_DESCRIPTION, false)?;
    let reported_at = match input.at {
        Some(at) => {
            check_time("at", at, now)?;
            at
        }
        None => now,
    };
    let loc = grids.locate(input.lon, input.lat).ok_or_else(|| {
        invalid(
            "lon/lat",
            format!(
                "[{}, {}] is outside every grid of the district",
                input.lon, input.lat
            ),
        )
    })?;
    let rules = rules.ok_or_else(|| {
        IntakeError::NoRules(
            "no dispatch rules are loaded (dispatch_rules.json in the data directory was \
             missing or invalid at start; see the server log); cases cannot be routed"
                .into(),
        )
    })?;
    let rule = rules
        .route(input.category, &input.description)
        .ok_or_else(|| IntakeError::NoRules(format!("no rule routes {}", input.category.code())))?;
    Ok(NewCase {
        category: input.category,
        lon: input.lon,
        lat: input.lat,
        grid: Some(loc.grid),
        grid_index: Some(loc.grid_index),
        community: loc.community,
        subdistrict: loc.subdistrict,
        description: input.description.trim().to_string(),
        reporter: reporter.clone(),
        departments: rule.departments.clone(),
        rule: Some(rule.id.clone()),
        reported_at,
        deadline: reported_at + rule.deadline_hours as i64 * 3600,
        photo: input.photo.clone(),
    })
}

/// Reads `dispatch_rules.json`.
pub fn load_rules(path: &Path) -> Result<DispatchRules, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    DispatchRules::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const GRIDS: &str = r#"{"type":"FeatureCollection","features":[
      {"type":"Feature","id":"G0001","properties":{"community":"西乡社区","subdistrict":"西乡街道"},
       "geometry":{"type":"Polygon","coordinates":[[[113.80,22.60],[113.81,22.60],[113.81,22.61],[113.80,22.61],[113.80,22.60]]]}},
      {"type":"Feature","id":"G0002","properties":{"community":"固戍社区","subdistrict":"西乡街道"},
       "geometry":{"type":"Polygon","coordinates":[[[113.81,22.60],[113.82,22.60],[113.82,22.61],[113.81,22.61],[113.81,22.60]]]}}]}"#;

    #[test]
    fn locates_points_in_grids() {
        let g = GridLocator::parse(GRIDS).unwrap();
        let l = g.locate(113.815, 22.605).unwrap();
        assert_eq!((l.grid.as_str(), l.grid_index), ("G0002", 1));
        assert_eq!(l.community.as_deref(), Some("固戍社区"));
        assert_eq!(g.locate(113.9, 22.605), None);
        assert_eq!(g.locate(f64::NAN, 22.605), None);
    }

    #[test]
    fn rejects_bad_fields_by_name() {
        let g = GridLocator::parse(GRIDS).unwrap();
        let ok = CaseIn {
            category: CaseCategory::Dispute,
            lon: 113.805,
            lat: 22.605,
            description: "家庭纠纷".into(),
            reporter: None,
            at: None,
            photo: None,
        };
        let who = Actor::system("网格员");
        let field = |c: CaseIn| match prepare_case(&g, None, &c, &who, 1_790_000_000) {
            Err(IntakeError::Invalid { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            field(CaseIn {
                lon: f64::NAN,
                ..ok.clone()
            }),
            "lon"
        );
        assert_eq!(
            field(CaseIn {
                lat: 91.0,
                ..ok.clone()
            }),
            "lat"
        );
        assert_eq!(
            field(CaseIn {
                description: " ".into(),
                ..ok.clone()
            }),
            "description"
        );
        assert_eq!(
            field(CaseIn {
                lon: 114.5,
                ..ok.clone()
            }),
            "lon/lat"
        );
        assert_eq!(
            field(CaseIn {
                at: Some(5),
                ..ok.clone()
            }),
            "at"
        );
        assert!(matches!(
            prepare_case(&g, None, &ok, &who, 1_790_000_000),
            Err(IntakeError::NoRules(_))
        ));
    }
}
