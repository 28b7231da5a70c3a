//! Files served from memory: read once per version (path + size + mtime),
//! compressed once per version and encoding, answered with a content ETag.
//! The layer files of the data directory ([`FileCache::masking`]: every
//! `.geojson`/`.json` file in it, whatever its name) are masked once per
//! version, before anything else sees them: the raw bytes of a file with
//! personal data are never cached or served.
//!
//! Hand-written on purpose, instead of tower-http's `ServeDir` or its
//! compression layer (measured on the generated data, Dec 2026):
//! - `CompressionLayer` compresses on every request: the 8.9 MB hazards
//!   layer takes ~470 ms of CPU at gzip -6 (~230 ms at -1, 1.43 MB instead of
//!   1.07 MB) per download, against 0 here after the first (and
//!   `AppState::warm_up` does the first at start).
//! - `ServeDir::precompressed_br/gzip` serves `.br`/`.gz` siblings from
//!   disk: neither the data generator nor trunk writes them, so it would
//!   need a build step and files kept in step with their sources; it also
//!   sends no ETag (only Last-Modified), which the app's revalidation and
//!   the 304 tests rely on.
//!
//! The Accept-Encoding negotiation stays here too: tower-http keeps its own
//! inside those two services (no public function to call).
//! What tower-http does do for us: on-the-fly gzip of the per-request API
//! answers (`api/routes.rs`), where there is nothing to cache.

use crate::error::ApiError;
use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::Response;
use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::SystemTime;

/// Files smaller than this are never compressed.
const MIN_COMPRESS: usize = 256;
/// Brotli quality: 5 compresses a 6 MB GeoJSON layer in about as long as
/// gzip -6 does and ~25% smaller; 11 would take seconds.
const BROTLI_QUALITY: u32 = 5;
const BROTLI_LGWIN: u32 = 22;

/// What identifies one version of a file on disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileKey {
    pub len: u64,
    pub mtime: Option<SystemTime>,
}

impl FileKey {
    pub fn of(meta: &std::fs::Metadata) -> FileKey {
        FileKey {
            len: meta.len(),
            mtime: meta.modified().ok(),
        }
    }
}

/// A content coding the server can send.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Identity,
    Gzip,
    Brotli,
}

impl Encoding {
    fn token(self) -> Option<&'static str> {
        match self {
            Encoding::Identity => None,
            Encoding::Gzip => Some("gzip"),
            Encoding::Brotli => Some("br"),
        }
    }
    fn etag_suffix(self) -> &'static str {
        match self {
            Encoding::Identity => "",
            Encoding::Gzip => "-gz",
            Encoding::Brotli => "-br",
        }
    }
}

/// One version of a file, in memory.
#[derive(Debug)]
pub struct CachedFile {
    pub key: FileKey,
    pub bytes: Bytes,
    /// `"<fnv64 of content>-<length>"`, quotes included.
    etag_base: String,
    gzip: OnceLock<Option<Bytes>>,
    brotli: OnceLock<Option<Bytes>>,
}

impl CachedFile {
    pub fn new(key: FileKey, bytes: Vec<u8>) -> CachedFile {
        let etag_base = format!("{:016x}-{:x}", fnv1a64(&bytes), bytes.len());
        CachedFile {
            key,
            bytes: Bytes::from(bytes),
            etag_base,
            gzip: OnceLock::new(),
            brotli: OnceLock::new(),
        }
    }

    /// The ETag of one representation of this version.
    pub fn etag(&self, enc: Encoding) -> String {
        format!("\"{}{}\"", self.etag_base, enc.etag_suffix())
    }

    /// The compressed bytes, computing them on first use (blocking, call from
    /// a blocking thread). `None` when compression does not save at least
    /// 10%, or the file is tiny.
    pub fn encoded_blocking(&self, enc: Encoding) -> Option<&Bytes> {
        let raw = &self.bytes;
        let cell = match enc {
            Encoding::Identity => return Some(raw),
            Encoding::Gzip => &self.gzip,
            Encoding::Brotli => &self.brotli,
        };
        cell.get_or_init(|| {
            if raw.len() < MIN_COMPRESS {
                return None;
            }
            let out = match enc {
                Encoding::Gzip => gzip(raw),
                _ => brotli(raw),
            }
            .ok()?;
            (out.len() < raw.len() / 10 * 9).then(|| Bytes::from(out))
        })
        .as_ref()
    }

    /// Whether `encoded_blocking(enc)` would return at once.
    fn encoded_ready(&self, enc: Encoding) -> bool {
        match enc {
            Encoding::Identity => true,
            Encoding::Gzip => self.gzip.get().is_some(),
            Encoding::Brotli => self.brotli.get().is_some(),
        }
    }

    /// Whether an `If-None-Match` value names any representation of this
    /// version (weak comparison, as RFC 9110 prescribes for this header).
    pub fn matches_if_none_match(&self, value: &str) -> bool {
        value.split(',').map(str::trim).any(|tag| {
            if tag == "*" {
                return true;
            }
            let tag = tag.strip_prefix("W/").unwrap_or(tag);
            let Some(inner) = tag.strip_prefix('"').and_then(|t| t.strip_suffix('"')) else {
                return false;
            };
            let inner = inner
                .strip_suffix("-gz")
                .or_else(|| inner.strip_suffix("-br"))
                .unwrap_or(inner);
            inner == self.etag_base
        })
    }
}

fn gzip(raw: &[u8]) -> io::Result<Vec<u8>> {
    let mut enc = flate2::write::GzEncoder::new(
        Vec::with_capacity(raw.len() / 4),
        flate2::Compression::default(),
    );
    enc.write_all(raw)?;
    enc.finish()
}

fn brotli(raw: &[u8]) -> io::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(raw.len() / 5);
    {
        let mut w =
            brotli::CompressorWriter::new(&mut out, 64 * 1024, BROTLI_QUALITY, BROTLI_LGWIN);
        w.write_all(raw)?;
        w.flush()?;
    }
    Ok(out)
}

/// FNV-1a, 64 bits: a content fingerprint for ETags (not a security hash).
fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// Why a file could not be loaded.
#[derive(Debug)]
pub enum LoadError {
    Missing,
    NotAFile,
    Io(io::Error),
    /// A file with personal data that cannot be masked (not a
    /// FeatureCollection): never served.
    Unmaskable(String),
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoadError::Missing => f.write_str("no such file"),
            LoadError::NotAFile => f.write_str("not a regular file"),
            LoadError::Io(e) => write!(f, "cannot be read: {e}"),
            LoadError::Unmaskable(e) => f.write_str(e),
        }
    }
}

fn classify(e: io::Error) -> LoadError {
    match e.kind() {
        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory => LoadError::Missing,
        _ => LoadError::Io(e),
    }
}

/// All files read so far, by path. An entry is replaced when the file's
/// size or mtime changes and dropped when the file disappears.
#[derive(Debug, Default)]
pub struct FileCache {
    entries: Mutex<HashMap<PathBuf, Arc<CachedFile>>>,
    /// The directory whose layer files are masked
    /// (`crate::mask::is_masked_file`, `crate::mask::mask_layer_file`).
    masked_dir: Option<PathBuf>,
}

impl FileCache {
    /// A cache that masks every layer file of `data_dir` as it reads it.
    pub fn masking(data_dir: PathBuf) -> FileCache {
        FileCache {
            entries: Mutex::default(),
            masked_dir: Some(data_dir),
        }
    }

    fn is_masked(&self, path: &Path) -> bool {
        self.masked_dir
            .as_deref()
            .is_some_and(|dir| crate::mask::is_masked_file(dir, path))
    }

    fn get(&self, path: &Path) -> Option<Arc<CachedFile>> {
        match self.entries.lock() {
            Ok(map) => map.get(path).cloned(),
            Err(poisoned) => poisoned.into_inner().get(path).cloned(),
        }
    }

    fn set(&self, path: &Path, entry: Option<Arc<CachedFile>>) {
        let mut map = match self.entries.lock() {
            Ok(map) => map,
            Err(poisoned) => poisoned.into_inner(),
        };
        match entry {
            Some(e) => {
                // A new version is rare: use the occasion to forget files
                // that are gone (old hashed builds), so the cache stays
                // the size of what is on disk.
                map.retain(|p, _| p.is_file());
                map.insert(path.to_path_buf(), e);
            }
            None => {
                map.remove(path);
            }
        }
    }

    /// The current version of a file (blocking: stats and maybe reads it).
    /// Follows symbolic links; the target must be a regular file.
    pub fn load_blocking(&self, path: &Path) -> Result<Arc<CachedFile>, LoadError> {
        let mut last = None;
        // A file rewritten while we read it is read again (three tries).
        for _ in 0..3 {
            let meta = match std::fs::metadata(path) {
                Ok(m) => m,
                Err(e) => {
                    let err = classify(e);
                    if matches!(err, LoadError::Missing) {
                        self.set(path, None);
                    }
                    return Err(err);
                }
            };
            if !meta.is_file() {
                self.set(path, None);
                return Err(LoadError::NotAFile);
            }
            let key = FileKey::of(&meta);
            if let Some(hit) = self.get(path).filter(|e| e.key == key) {
                return Ok(hit);
            }
            let mut file = std::fs::File::open(path).map_err(classify)?;
            let before = file.metadata().map_err(LoadError::Io)?;
            let mut bytes = Vec::with_capacity(usize::try_from(before.len()).unwrap_or(0));
            file.read_to_end(&mut bytes).map_err(LoadError::Io)?;
            let after = file.metadata().map_err(LoadError::Io)?;
            let key = FileKey::of(&after);
            let stable = FileKey::of(&before) == key && bytes.len() as u64 == key.len;
            let bytes = if self.is_masked(path) {
                crate::mask::mask_layer_file(bytes).map_err(LoadError::Unmaskable)?
            } else {
                bytes
            };
            let entry = Arc::new(CachedFile::new(key, bytes));
            if stable {
                self.set(path, Some(entry.clone()));
                return Ok(entry);
            }
            last = Some(entry);
        }
        // Still changing: serve what was read last, do not cache it.
        last.ok_or(LoadError::Missing)
    }

    /// Async wrapper of [`load_blocking`](Self::load_blocking).
    pub async fn load(
        self: &Arc<Self>,
        path: PathBuf,
    ) -> Result<Result<Arc<CachedFile>, LoadError>, ApiError> {
        let cache = self.clone();
        tokio::task::spawn_blocking(move || cache.load_blocking(&path))
            .await
            .map_err(ApiError::from_join)
    }
}

/// The `q` values a request's `Accept-Encoding` gives gzip and brotli.
pub fn accepted_encodings(headers: &HeaderMap) -> (f32, f32) {
    let (mut gzip, mut br, mut star) = (None, None, None);
    for value in headers.get_all(header::ACCEPT_ENCODING) {
        let Ok(value) = value.to_str() else { continue };
        for item in value.split(',') {
            let mut parts = item.split(';');
            let name = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            let mut q = 1.0f32;
            for p in parts {
                if let Some((k, v)) = p.split_once('=') {
                    if k.trim().eq_ignore_ascii_case("q") {
                        q = v
                            .trim()
                            .parse::<f32>()
                            .ok()
                            .filter(|q| q.is_finite())
                            .unwrap_or(0.0);
                    }
                }
            }
            match name.as_str() {
                "gzip" | "x-gzip" => gzip = Some(q),
                "br" => br = Some(q),
                "*" => star = Some(q),
                _ => {}
            }
        }
    }
    let star = star.unwrap_or(0.0);
    (gzip.unwrap_or(star), br.unwrap_or(star))
}

/// How to answer for one file.
#[derive(Clone, Copy, Debug)]
pub struct ServeOptions {
    pub content_type: &'static str,
    pub cache_control: &'static str,
    pub compressible: bool,
}

/// The first encoding of `order` that is available. Without `compute`,
/// `None` when that needs compressing first.
fn pick(file: &CachedFile, order: &[Encoding], compute: bool) -> Option<(Encoding, Bytes)> {
    for &e in order {
        if !compute && !file.encoded_ready(e) {
            return None;
        }
        if let Some(b) = file.encoded_blocking(e) {
            return Some((e, b.clone()));
        }
    }
    Some((Encoding::Identity, file.bytes.clone()))
}

/// Answers a GET or HEAD for a loaded file: picks the encoding, handles
/// `If-None-Match` / `If-Modified-Since`, sets the caching headers.
pub async fn respond(
    method: &Method,
    headers: &HeaderMap,
    file: Arc<CachedFile>,
    opts: ServeOptions,
) -> Result<Response, ApiError> {
    let mut order: Vec<Encoding> = Vec::with_capacity(3);
    if opts.compressible && file.bytes.len() >= MIN_COMPRESS {
        let (gz, br) = accepted_encodings(headers);
        let mut offered = vec![(br, Encoding::Brotli), (gz, Encoding::Gzip)];
        // Stable sort: brotli first on a tie.
        offered.sort_by(|a, b| b.0.total_cmp(&a.0));
        order.extend(
            offered
                .into_iter()
                .filter(|(q, _)| *q > 0.0)
                .map(|(_, e)| e),
        );
    }
    order.push(Encoding::Identity);

    let (enc, body) = match pick(&file, &order, false) {
        Some(picked) => picked,
        None => {
            // First request for this version in this encoding: compress off
            // the async threads, once (later requests find it ready).
            let f = file.clone();
            tokio::task::spawn_blocking(move || pick(&f, &order, true))
                .await
                .map_err(ApiError::from_join)?
                .unwrap_or((Encoding::Identity, file.bytes.clone()))
        }
    };

    let etag = file.etag(enc);
    let last_modified = file.key.mtime.map(httpdate::fmt_http_date);
    let not_modified = match headers.get(header::IF_NONE_MATCH) {
        Some(v) => v
            .to_str()
            .map(|v| file.matches_if_none_match(v))
            .unwrap_or(false),
        None => match (
            headers
                .get(header::IF_MODIFIED_SINCE)
                .and_then(|v| v.to_str().ok()),
            file.key.mtime,
        ) {
            (Some(since), Some(mtime)) => httpdate::parse_http_date(since)
                .map(|since| httpdate::HttpDate::from(mtime) <= httpdate::HttpDate::from(since))
                .unwrap_or(false),
            _ => false,
        },
    };

    let mut builder = Response::builder()
        .header(header::ETAG, &etag)
        .header(header::CACHE_CONTROL, opts.cache_control);
    if let Some(lm) = &last_modified {
        builder = builder.header(header::LAST_MODIFIED, lm);
    }
    if opts.compressible {
        builder = builder.header(header::VARY, "accept-encoding");
    }
    let res = if not_modified {
        builder.status(StatusCode::NOT_MODIFIED).body(Body::empty())
    } else {
        builder = builder
            .status(StatusCode::OK)
            .header(
                header::CONTENT_TYPE,
                HeaderValue::from_static(opts.content_type),
            )
            .header(header::CONTENT_LENGTH, body.len());
        if let Some(token) = enc.token() {
            builder = builder.header(header::CONTENT_ENCODING, token);
        }
        let body = if method == Method::HEAD {
            Body::empty()
        } else {
            Body::from(body)
        };
        builder.body(body)
    };
    res.map_err(|e| ApiError::Internal(format!("building the response failed: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(ae: &str) -> HeaderMap {
        let mut m = HeaderMap::new();
        m.insert(header::ACCEPT_ENCODING, HeaderValue::from_str(ae).unwrap());
        m
    }

    #[test]
    fn parses_accept_encoding() {
        assert_eq!(accepted_encodings(&HeaderMap::new()), (0.0, 0.0));
        assert_eq!(
            accepted_encodings(&h("gzip, deflate, br, zstd")),
            (1.0, 1.0)
        );
        assert_eq!(accepted_encodings(&h("gzip;q=0.8, br;q=0")), (0.8, 0.0));
        assert_eq!(accepted_encodings(&h("*;q=0.5, gzip;q=0")), (0.0, 0.5));
        assert_eq!(accepted_encodings(&h("identity")), (0.0, 0.0));
        assert_eq!(accepted_encodings(&h("GZIP;Q=bogus")), (0.0, 0.0));
    }

    #[test]
    fn etags_and_if_none_match() {
        let f = CachedFile::new(
            FileKey {
                len: 3,
                mtime: None,
            },
            b"abc".to_vec(),
        );
        let tag = f.etag(Encoding::Identity);
        assert_eq!(tag, format!("\"{:016x}-3\"", fnv1a64(b"abc")));
        assert_eq!(f.etag(Encoding::Gzip), tag.replace("-3\"", "-3-gz\""));
        assert!(f.matches_if_none_match(&tag));
        assert!(f.matches_if_none_match(&format!("\"x\", W/{}", f.etag(Encoding::Brotli))));
        assert!(f.matches_if_none_match("*"));
        assert!(!f.matches_if_none_match("\"0000000000000000-3\""));
        assert!(!f.matches_if_none_match("garbage"));
    }

    #[test]
    fn compresses_only_when_it_pays() {
        let text = "{\"type\":\"Feature\"},".repeat(200).into_bytes();
        let f = CachedFile::new(
            FileKey {
                len: text.len() as u64,
                mtime: None,
            },
            text.clone(),
        );
        let gz = f.encoded_blocking(Encoding::Gzip).unwrap().clone();
        let mut back = Vec::new();
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_end(&mut back)
            .unwrap();
        assert_eq!(back, text);
        let br = f.encoded_blocking(Encoding::Brotli).unwrap().clone();
        let mut back = Vec::new();
        brotli::Decompressor::new(&br[..], 4096)
            .read_to_end(&mut back)
            .unwrap();
        assert_eq!(back, text);
        let small = CachedFile::new(
            FileKey {
                len: 3,
                mtime: None,
            },
            b"abc".to_vec(),
        );
        assert!(small.encoded_blocking(Encoding::Gzip).is_none());
        // Random-looking bytes do not shrink: served as they are.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let noise: Vec<u8> = (0..4096)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 32) as u8
            })
            .collect();
        let f = CachedFile::new(
            FileKey {
                len: 4096,
                mtime: None,
            },
            noise,
        );
        assert!(f.encoded_blocking(Encoding::Gzip).is_none());
    }
}
