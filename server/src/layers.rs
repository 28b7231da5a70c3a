//! Validation of the catalogue's layer files and the manifest built from it.
//!
//! Each layer keeps the [`FileKey`] (size + mtime) of the file version it
//! validated. On every manifest or health request the files are stat'ed; a
//! layer whose key changed (or that appeared or vanished) is validated again
//! on a blocking thread, the others keep their result.

use crate::error::ApiError;
use crate::files::{FileCache, FileKey, LoadError};
use pingan_model::geojson_io::{parse_features, without_geometry, Expect, Geom};
use pingan_model::layers::{LayerDef, LayerInfo, LayerKind, Manifest, LAYERS};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::sync::Mutex;

/// Checks one layer file's content. `Ok(count)` is the number of features
/// (GeoJSON) or records (cases); `Err` is a message that names the file.
pub fn validate(def: &LayerDef, bytes: &[u8]) -> Result<usize, String> {
    validate_counts(def, bytes).map(|(count, _)| count)
}

/// [`validate`], also counting the features without geometry (`"geometry": null`).
pub fn validate_counts(def: &LayerDef, bytes: &[u8]) -> Result<(usize, usize), String> {
    let file = def.file;
    match def.kind {
        LayerKind::Cases => pingan_model::cases::decode(bytes)
            .map(|f| (f.records.len(), 0))
            .map_err(|e| format!("{file}: {e}")),
        LayerKind::Polygon | LayerKind::Point => {
            let text = std::str::from_utf8(bytes).map_err(|e| {
                format!(
                    "{file}: not UTF-8 text (invalid byte at offset {})",
                    e.valid_up_to()
                )
            })?;
            let want_points = def.kind == LayerKind::Point;
            let expect = if want_points {
                Expect::Points
            } else {
                Expect::Areas
            };
            let features = parse_features(text, expect).map_err(|e| format!("{file}: {e}"))?;
            for (index, f) in features.iter().enumerate() {
                if f.geometry == Geom::Null {
                    continue;
                }
                let is_point = matches!(f.geometry, Geom::Point(_));
                if is_point != want_points {
                    let id =
                        f.id.as_deref()
                            .map(|id| format!(" (id {id})"))
                            .unwrap_or_default();
                    let problem = if want_points {
                        "Polygon/MultiPolygon geometry in a point layer (expected Point)"
                    } else {
                        "Point geometry in a polygon layer (expected Polygon or MultiPolygon)"
                    };
                    return Err(format!("{file}: feature {index}{id}: {problem}"));
                }
            }
            Ok((features.len(), without_geometry(&features)))
        }
    }
}

/// The state of a file on disk, as far as a cheap stat tells.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Seen {
    File(FileKey),
    Missing,
    NotAFile,
    /// The stat itself failed (permissions...): always re-checked.
    Unknown,
}

fn stat(path: &Path) -> Seen {
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() => Seen::File(FileKey::of(&m)),
        Ok(_) => Seen::NotAFile,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Seen::Missing,
        Err(_) => Seen::Unknown,
    }
}

/// The validation result of one layer for one file version.
#[derive(Clone, Debug)]
struct Checked {
    seen: Seen,
    bytes: u64,
    /// Features, and of them those without geometry.
    result: Result<(usize, usize), String>,
}

/// One layer's status in the manifest.
fn info(def: &LayerDef, checked: Option<&Checked>) -> LayerInfo {
    let (counts, bytes, error) = match checked {
        Some(c) => (
            c.result.as_ref().ok().copied(),
            c.bytes,
            c.result.as_ref().err().cloned(),
        ),
        None => (None, 0, Some(format!("{}: not checked yet", def.file))),
    };
    let count = counts.map(|(count, _)| count);
    let without_geometry = counts.map_or(0, |(_, n)| n);
    LayerInfo {
        id: def.id.to_string(),
        name: def.name.to_string(),
        name_en: def.name_en.to_string(),
        kind: def.kind,
        count,
        without_geometry,
        url: format!("/data/{}", def.file),
        bytes,
        error,
    }
}

/// The validated state of every catalogue layer.
#[derive(Debug)]
pub struct Layers {
    data_dir: PathBuf,
    files: Arc<FileCache>,
    checked: Mutex<Vec<Option<Checked>>>,
}

impl Layers {
    pub fn new(data_dir: PathBuf, files: Arc<FileCache>) -> Layers {
        Layers {
            data_dir,
            files,
            checked: Mutex::new(vec![None; LAYERS.len()]),
        }
    }

    /// Re-validates the layers whose file changed and returns the manifest.
    /// Concurrent callers wait for one another instead of parsing twice.
    pub async fn manifest(&self) -> Result<Manifest, ApiError> {
        let mut checked = self.checked.lock().await;
        let paths: Vec<PathBuf> = LAYERS.iter().map(|l| self.data_dir.join(l.file)).collect();
        let stat_paths = paths.clone();
        let seen = tokio::task::spawn_blocking(move || {
            stat_paths.iter().map(|p| stat(p)).collect::<Vec<_>>()
        })
        .await
        .map_err(ApiError::from_join)?;

        let mut tasks = Vec::new();
        for (i, def) in LAYERS.iter().enumerate() {
            let now = seen[i];
            let unchanged = matches!(&checked[i], Some(c) if c.seen == now && now != Seen::Unknown);
            if unchanged {
                continue;
            }
            let files = self.files.clone();
            let path = paths[i].clone();
            tasks.push((
                i,
                tokio::task::spawn_blocking(move || check(def, &files, &path)),
            ));
        }
        for (i, task) in tasks {
            let def = &LAYERS[i];
            let result = task.await.map_err(ApiError::from_join)?;
            match &result.result {
                Ok((count, without_geometry)) => tracing::info!(
                    layer = def.id.as_str(),
                    count,
                    without_geometry,
                    bytes = result.bytes,
                    "layer ok"
                ),
                Err(error) => tracing::warn!(layer = def.id.as_str(), %error, "layer unavailable"),
            }
            checked[i] = Some(result);
        }
        Ok(Manifest {
            layers: LAYERS
                .iter()
                .zip(checked.iter())
                .map(|(d, c)| info(d, c.as_ref()))
                .collect(),
        })
    }
}

/// Reads (through the shared file cache) and validates one layer file.
fn check(def: &LayerDef, files: &FileCache, path: &Path) -> Checked {
    let file = def.file;
    match files.load_blocking(path) {
        Ok(entry) => Checked {
            seen: Seen::File(entry.key),
            bytes: entry.key.len,
            result: validate_counts(def, &entry.bytes),
        },
        Err(e) => {
            let (seen, message) = match &e {
                LoadError::Missing => (
                    Seen::Missing,
                    format!("{file}: missing: no such file in the data directory"),
                ),
                LoadError::NotAFile => (Seen::NotAFile, format!("{file}: not a regular file")),
                LoadError::Io(err) => (Seen::Unknown, format!("{file}: cannot be read: {err}")),
                LoadError::Unmaskable(err) => (Seen::Unknown, format!("{file}: {err}")),
            };
            Checked {
                seen,
                bytes: 0,
                result: Err(message),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pingan_model::layers::layer;

    const SQUARE: &str = r#"{"type":"Feature","id":"g1","properties":{},"geometry":{"type":"Polygon","coordinates":[[[113.8,22.6],[113.9,22.6],[113.9,22.7],[113.8,22.6]]]}}"#;
    const POINT: &str = r#"{"type":"Feature","id":"YH1","properties":{},"geometry":{"type":"Point","coordinates":[113.85,22.65]}}"#;

    fn fc(f: &str) -> Vec<u8> {
        format!(r#"{{"type":"FeatureCollection","features":[{f}]}}"#).into_bytes()
    }

    #[test]
    fn counts_features_without_geometry() {
        let hazards = layer("hazards").unwrap();
        let null = r#"{"type":"Feature","id":"YH2","properties":{},"geometry":null}"#;
        let text = fc(&format!("{POINT},{null}"));
        assert_eq!(validate_counts(hazards, &text), Ok((2, 1)));
        assert_eq!(validate(hazards, &text), Ok(2));
    }

    #[test]
    fn validates_kinds() {
        let grids = layer("grids").unwrap();
        let hazards = layer("hazards").unwrap();
        assert_eq!(validate(grids, &fc(&format!("{SQUARE},{SQUARE}"))), Ok(2));
        assert_eq!(validate(hazards, &fc(POINT)), Ok(1));
        assert_eq!(
            validate(grids, &fc(&format!("{SQUARE},{POINT}"))).unwrap_err(),
            "grids.geojson: feature 1 (id YH1): Point geometry in a polygon layer (expected Polygon or MultiPolygon)"
        );
        assert_eq!(
            validate(hazards, &fc(SQUARE)).unwrap_err(),
            "hazards.geojson: feature 0 (id g1): Polygon/MultiPolygon geometry in a point layer (expected Point)"
        );
        assert_eq!(
            validate(hazards, b"\xff\xfe{}").unwrap_err(),
            "hazards.geojson: not UTF-8 text (invalid byte at offset 0)"
        );
        assert_eq!(
            validate(layer("cases").unwrap(), b"PACS").unwrap_err(),
            "cases_recent.bin: case file is 4 bytes, shorter than its 32-byte header"
        );
    }
}
