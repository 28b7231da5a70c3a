//! The layer catalogue: every layer the map knows, in drawing order (bottom
//! first), with its file in the data directory, and the manifest types that
//! `GET /api/layers` returns.

use crate::domain::HazardStatus;
use crate::lod::Lod;
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

/// A layer of the catalogue, by name. The variants are in drawing order
/// (bottom first), the order of [`LAYERS`]: `id as usize` is its row.
/// Written as its [`as_str`](LayerId::as_str) name in URLs (`l=`), the
/// manifest and the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LayerId {
    Grids,
    Greenspace,
    Parks,
    Areas,
    Communities,
    Subdistricts,
    District,
    Cases,
    Sentinels,
    Hazards,
    Sensors,
}

impl LayerId {
    /// Every layer, bottom to top.
    pub const ALL: [LayerId; 11] = [
        LayerId::Grids,
        LayerId::Greenspace,
        LayerId::Parks,
        LayerId::Areas,
        LayerId::Communities,
        LayerId::Subdistricts,
        LayerId::District,
        LayerId::Cases,
        LayerId::Sentinels,
        LayerId::Hazards,
        LayerId::Sensors,
    ];

    /// The layer's name in URLs, the manifest and file-independent APIs.
    pub const fn as_str(self) -> &'static str {
        match self {
            LayerId::Grids => "grids",
            LayerId::Greenspace => "greenspace",
            LayerId::Parks => "parks",
            LayerId::Areas => "areas",
            LayerId::Communities => "communities",
            LayerId::Subdistricts => "subdistricts",
            LayerId::District => "district",
            LayerId::Cases => "cases",
            LayerId::Sentinels => "sentinels",
            LayerId::Hazards => "hazards",
            LayerId::Sensors => "sensors",
        }
    }

    /// The layer's catalogue entry.
    pub fn def(self) -> &'static LayerDef {
        &LAYERS[self as usize]
    }
}

impl std::fmt::Display for LayerId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A layer name that is not in the catalogue.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown layer {0:?}")]
pub struct UnknownLayer(pub String);

impl std::str::FromStr for LayerId {
    type Err = UnknownLayer;
    fn from_str(s: &str) -> Result<LayerId, UnknownLayer> {
        LayerId::ALL
            .into_iter()
            .find(|l| l.as_str() == s)
            .ok_or_else(|| UnknownLayer(s.to_string()))
    }
}

impl Serialize for LayerId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for LayerId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<LayerId, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A layer of the catalogue.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LayerDef {
    pub id: LayerId,
    pub file: &'static str,
    pub name: &'static str,
    pub name_en: &'static str,
    pub kind: LayerKind,
    /// Shown when the page opens without a `layers` URL parameter.
    pub visible_by_default: bool,
    /// How the layer thins out when zoomed out (drawing and hit testing).
    pub lod: Lod,
}

macro_rules! layer {
    ($id:ident, $file:literal, $zh:literal, $en:literal, $kind:ident, $vis:literal) => {
        layer!($id, $file, $zh, $en, $kind, $vis, Lod::ALWAYS)
    };
    ($id:ident, $file:literal, $zh:literal, $en:literal, $kind:ident, $vis:literal, $lod:expr) => {
        LayerDef {
            id: LayerId::$id,
            file: $file,
            name: $zh,
            name_en: $en,
            kind: LayerKind::$kind,
            visible_by_default: $vis,
            lod: $lod,
        }
    };
}

/// All layers, bottom to top (the order of [`LayerId`]). Hit-testing goes
/// top to bottom.
pub const LAYERS: &[LayerDef] = &[
    layer!(Grids, "grids.geojson", "网格", "Grid cells", Polygon, true),
    layer!(
        Greenspace,
        "greenspace.geojson",
        "其他绿地",
        "Other green space",
        Polygon,
        false
    ),
    layer!(Parks, "parks.geojson", "公园", "Parks", Polygon, true),
    layer!(
        Areas,
        "monitored_areas.geojson",
        "监测区域",
        "Monitored areas",
        Polygon,
        true
    ),
    layer!(
        Communities,
        "communities.geojson",
        "社区",
        "Communities",
        Polygon,
        true
    ),
    layer!(
        Subdistricts,
        "subdistricts.geojson",
        "街道",
        "Subdistricts",
        Polygon,
        true
    ),
    layer!(
        District,
        "district.geojson",
        "区界",
        "District",
        Polygon,
        true
    ),
    // Points: the most numerous and least individually urgent at the bottom.
    layer!(
        Cases,
        "cases_recent.bin",
        "近30天事件",
        "Cases (30 days)",
        Cases,
        true,
        Lod {
            bin_below: 15.0,
            badge_rank: Some(0),
            hide_state_below: None,
        }
    ),
    layer!(
        Sentinels,
        "sentinels.geojson",
        "电子哨兵",
        "Electronic sentinels",
        Point,
        false,
        Lod {
            bin_below: 13.0,
            badge_rank: Some(2),
            hide_state_below: None,
        }
    ),
    // Until z15 only the hazards still to be rectified: what needs action.
    layer!(
        Hazards,
        "hazards.geojson",
        "隐患点",
        "Hazard sites",
        Point,
        true,
        Lod {
            bin_below: 0.0,
            badge_rank: Some(1),
            hide_state_below: Some((HazardStatus::Rectified as u8, 15.0)),
        }
    ),
    layer!(
        Sensors,
        "sensors.geojson",
        "物联感知",
        "Sensors",
        Point,
        true
    ),
];

/// Looks a layer up by its name.
pub fn layer(id: &str) -> Option<&'static LayerDef> {
    id.parse::<LayerId>().ok().map(LayerId::def)
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
        let mut ids: Vec<_> = LAYERS.iter().map(|l| l.id.as_str()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), LAYERS.len());
        for l in LAYERS {
            assert!(
                l.id.as_str().chars().all(|c| c.is_ascii_lowercase()),
                "{}",
                l.id
            );
            assert!(
                !l.file.contains('/') && !l.file.contains(".."),
                "{}",
                l.file
            );
        }
        assert_eq!(layer("hazards").map(|l| l.kind), Some(LayerKind::Point));
        assert!(layer("nope").is_none());
    }

    #[test]
    fn ids_are_in_catalogue_order_and_read_back_from_their_names() {
        for (i, l) in LAYERS.iter().enumerate() {
            assert_eq!(l.id as usize, i, "{} out of order", l.id);
            assert_eq!(l.id.as_str().parse::<LayerId>(), Ok(l.id));
            assert_eq!(l.id.def().file, l.file);
        }
        assert_eq!(LayerId::ALL.len(), LAYERS.len());
        assert_eq!(
            "Cases".parse::<LayerId>(),
            Err(UnknownLayer("Cases".into()))
        );
        assert_eq!(
            serde_json::to_string(&LayerId::Hazards).unwrap(),
            "\"hazards\""
        );
        assert_eq!(
            serde_json::from_str::<LayerId>("\"sensors\"").unwrap(),
            LayerId::Sensors
        );
        assert!(serde_json::from_str::<LayerId>("\"nope\"").is_err());
    }
}
