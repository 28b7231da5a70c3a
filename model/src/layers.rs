//! The layer catalogue: every layer the map knows, in drawing order (bottom
//! first), with its file in the data directory, and the manifest types that
//! `GET /api/layers` returns.

use serde::{Deserialize, Serialize};

/// How a layer's file is encoded and drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LayerKind {
    /// GeoJSON Polygon/MultiPolygon features.
    Polygon,
    /// GeoJSON Point features.
    Point,
    /// The compact binary case format (see `cases`).
    Cases,
}

/// A layer of the catalogue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LayerDef {
    pub id: &'static str,
    pub file: &'static str,
    pub name: &'static str,
    pub name_en: &'static str,
    pub kind: LayerKind,
    /// Shown when the page opens without a `layers` URL parameter.
    pub visible_by_default: bool,
}

macro_rules! layer {
    ($id:literal, $file:literal, $zh:literal, $en:literal, $kind:ident, $vis:literal) => {
        LayerDef {
            id: $id,
            file: $file,
            name: $zh,
            name_en: $en,
            kind: LayerKind::$kind,
            visible_by_default: $vis,
        }
    };
}

/// All layers, bottom to top. Hit-testing goes top to bottom.
pub const LAYERS: &[LayerDef] = &[
    layer!(
        "grids",
        "grids.geojson",
        "网格",
        "Grid cells",
        Polygon,
        true
    ),
    layer!(
        "greenspace",
        "greenspace.geojson",
        "其他绿地",
        "Other green space",
        Polygon,
        false
    ),
    layer!("parks", "parks.geojson", "公园", "Parks", Polygon, true),
    layer!(
        "areas",
        "monitored_areas.geojson",
        "监测区域",
        "Monitored areas",
        Polygon,
        true
    ),
    layer!(
        "communities",
        "communities.geojson",
        "社区",
        "Communities",
        Polygon,
        true
    ),
    layer!(
        "subdistricts",
        "subdistricts.geojson",
        "街道",
        "Subdistricts",
        Polygon,
        true
    ),
    layer!(
        "district",
        "district.geojson",
        "区界",
        "District",
        Polygon,
        true
    ),
    // Points: the most numerous and least individually urgent at the bottom.
    layer!(
        "cases",
        "cases_recent.bin",
        "近30天事件",
        "Cases (30 days)",
        Cases,
        true
    ),
    layer!(
        "sentinels",
        "sentinels.geojson",
        "电子哨兵",
        "Electronic sentinels",
        Point,
        false
    ),
    layer!(
        "hazards",
        "hazards.geojson",
        "隐患点",
        "Hazard sites",
        Point,
        true
    ),
    layer!(
        "sensors",
        "sensors.geojson",
        "物联感知",
        "Sensors",
        Point,
        true
    ),
];

/// Looks a layer up by id.
pub fn layer(id: &str) -> Option<&'static LayerDef> {
    LAYERS.iter().find(|l| l.id == id)
}

/// One row of the layer manifest served at `GET /api/layers`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LayerInfo {
    pub id: String,
    pub name: String,
    pub name_en: String,
    pub kind: LayerKind,
    /// Number of features, when the file was read successfully.
    pub count: Option<usize>,
    /// Of them, features with `"geometry": null`: kept for their
    /// properties, not drawn (the layer's row says how many).
    #[serde(default)]
    pub without_geometry: usize,
    /// Where the browser fetches the layer from (relative to the site root).
    pub url: String,
    /// Size of the file in bytes.
    pub bytes: u64,
    /// Why the layer is unavailable, if it is.
    pub error: Option<String>,
}

/// The whole manifest.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub layers: Vec<LayerInfo>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_files_are_unique_and_safe() {
        let mut ids: Vec<_> = LAYERS.iter().map(|l| l.id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), LAYERS.len());
        for l in LAYERS {
            assert!(l.id.chars().all(|c| c.is_ascii_lowercase()), "{}", l.id);
            assert!(
                !l.file.contains('/') && !l.file.contains(".."),
                "{}",
                l.file
            );
        }
        assert_eq!(layer("hazards").map(|l| l.kind), Some(LayerKind::Point));
        assert!(layer("nope").is_none());
    }
}
