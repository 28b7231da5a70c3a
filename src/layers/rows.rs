//! The rows of the details panel: what a layer's `rows` function is given
//! ([`Item`], [`RowCtx`]) and the default every GeoJSON layer uses
//! ([`feature`]: every property, readably). A layer with rows of its own
//! (cases) writes them in its file.

use pingan_model::cases::CaseRecord;
use pingan_model::domain::Lang;
use pingan_model::geojson_io::{Feature, Geom};
use pingan_model::labels::{key_label, value_text};
use serde_json::Value;

/// One row: (key, label, value). The key names the row for tests
/// (`details-row-<key>`).
pub type Row = (String, String, String);

/// The selected thing of a layer: a GeoJSON feature or a case record.
#[derive(Clone, Copy)]
pub enum Item<'a> {
    Feature(&'a Feature),
    Case(&'a CaseRecord),
}

/// What rows may depend on besides the item.
pub struct RowCtx<'a> {
    pub lang: Lang,
    /// Now, Unix seconds (overdue).
    pub now: i64,
    /// Grid ids by grid key (a case's `grid` is a key).
    pub grid_ids: &'a [String],
}

/// A row whose key is its label's key.
pub fn row(key: &str, value: String, lang: Lang) -> Row {
    (key.to_string(), key_label(key, lang), value)
}

/// The longitude/latitude row.
pub fn lonlat(lon: f64, lat: f64, lang: Lang) -> Row {
    (
        "lonlat".into(),
        lang.pick("经纬度", "Lon/lat").into(),
        format!("{lon:.6}, {lat:.6}"),
    )
}

/// Every property of a feature, readably (labels, coded values, masked
/// phones), after its id when the properties lack one, and a point's
/// lon/lat last. Null properties are left out. A case gets no rows here.
pub fn feature(item: Item<'_>, ctx: &RowCtx<'_>) -> Vec<Row> {
    let Item::Feature(f) = item else {
        return Vec::new();
    };
    let lang = ctx.lang;
    let mut rows = Vec::new();
    if let Some(id) = f.id.as_deref() {
        if !f.properties.contains_key("id") && !id.is_empty() {
            rows.push(row("id", id.to_string(), lang));
        }
    }
    for (k, v) in &f.properties {
        if matches!(v, Value::Null) {
            continue;
        }
        rows.push((k.clone(), key_label(k, lang), value_text(k, v, lang)));
    }
    if let Geom::Point(p) = &f.geometry {
        rows.push(lonlat(p.x(), p.y(), lang));
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use pingan_model::geojson_io::parse_feature_collection;

    fn features(json: &str) -> Vec<Feature> {
        parse_feature_collection(json).unwrap()
    }

    #[test]
    fn feature_rows_name_the_id_skip_nulls_and_end_with_a_point_lon_lat() {
        let fs = features(
            r#"{"type":"FeatureCollection","features":[
            {"type":"Feature","id":"P1","properties":{"name":"公园","note":null},"geometry":{"type":"Point","coordinates":[113.8,22.6]}},
            {"type":"Feature","properties":{"id":"A1","name":"区"},"geometry":{"type":"Polygon","coordinates":[[[113.8,22.5],[113.9,22.5],[113.9,22.6],[113.8,22.5]]]}}]}"#,
        );
        let ctx = RowCtx {
            lang: Lang::Zh,
            now: 0,
            grid_ids: &[],
        };
        let keys = |rows: Vec<Row>| rows.into_iter().map(|r| r.0).collect::<Vec<_>>();
        assert_eq!(
            keys(feature(Item::Feature(&fs[0]), &ctx)),
            ["id", "name", "lonlat"]
        );
        let rows = feature(Item::Feature(&fs[0]), &ctx);
        assert_eq!(rows[2].2, "113.800000, 22.600000");
        assert_eq!(rows[2].1, "经纬度");
        // The id is a property already: not repeated; a polygon has no lon/lat.
        assert_eq!(keys(feature(Item::Feature(&fs[1]), &ctx)), ["id", "name"]);
    }
}
