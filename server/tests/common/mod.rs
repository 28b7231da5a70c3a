//! Fixtures shared by the integration tests: a throw-away data dir with a
//! small valid file for every catalogue layer, request helpers, and signing
//! in: [`login`] (through `POST /api/session`), [`session_cookie`] and
//! [`readings_key`] (through the `Auth` service), and [`signed_in`], a
//! router that sends every request without credentials as a given account.
#![allow(dead_code)]

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use pingan_model::access::{Permission, Role};
use pingan_model::cases::{encode, CaseFile, CaseRecord, DeptSet};
use pingan_model::domain::{CaseCategory, CaseStatus, Department};
use pingan_model::layers::{LayerKind, LAYERS};
use pingan_server::auth::bootstrap::demo;
use pingan_server::{app, AppState, Config};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use tower::ServiceExt;

pub mod live;
pub mod people;

/// What `secret.json` next to the data dir holds: must never be served.
pub const SECRET: &str = "TOP-SECRET-DO-NOT-SERVE";

/// Number of records in the fixture's case file.
pub const CASES: usize = 5;

/// The fixture's feature count of a GeoJSON layer: its catalogue position + 2,
/// so that every layer has a different count.
pub fn expected_count(id: &str) -> usize {
    let (i, def) = LAYERS
        .iter()
        .enumerate()
        .find(|(_, l)| l.id.as_str() == id)
        .expect("catalogue id");
    match def.kind {
        LayerKind::Cases => CASES,
        _ => i + 2,
    }
}

/// A temporary directory `root/` with `root/data/` (every catalogue layer),
/// `root/dist/` (only after [`Fixture::with_dist`]) and `root/secret.json`.
pub struct Fixture {
    pub root: PathBuf,
    pub data: PathBuf,
    pub dist: PathBuf,
}

impl Fixture {
    /// An empty fixture (data dir created, no layer files).
    pub fn empty(name: &str) -> Fixture {
        static N: AtomicU32 = AtomicU32::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let root = std::env::temp_dir().join(format!(
            "pingan-server-{name}-{}-{}-{nanos}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        let data = root.join("data");
        std::fs::create_dir_all(&data).unwrap();
        std::fs::write(root.join("secret.json"), SECRET).unwrap();
        std::fs::write(root.join("secret.txt"), SECRET).unwrap();
        Fixture {
            dist: root.join("dist"),
            root,
            data,
        }
    }

    /// A fixture with a valid file for every catalogue layer.
    pub fn new(name: &str) -> Fixture {
        let f = Fixture::empty(name);
        for (i, def) in LAYERS.iter().enumerate() {
            match def.kind {
                LayerKind::Polygon => {
                    f.write(def.file, polygons(def.id.as_str(), i + 2).as_bytes())
                }
                LayerKind::Point => f.write(def.file, points(def.id.as_str(), i + 2).as_bytes()),
                LayerKind::Cases => f.write(def.file, &cases(CASES)),
            }
        }
        f
    }

    /// Adds a trunk-like build in `dist/`.
    pub fn with_dist(self) -> Fixture {
        std::fs::create_dir_all(self.dist.join("snippets/pingan-map-ab12cd34ef56ab78")).unwrap();
        std::fs::write(self.dist.join("index.html"), INDEX_HTML).unwrap();
        std::fs::write(self.dist.join("pingan-map-1a2b3c4d5e6f7a8b.js"), app_js()).unwrap();
        std::fs::write(
            self.dist.join("pingan-map-1a2b3c4d5e6f7a8b_bg.wasm"),
            app_wasm(),
        )
        .unwrap();
        std::fs::write(
            self.dist
                .join("snippets/pingan-map-ab12cd34ef56ab78/inline0.js"),
            "export function f() {}\n",
        )
        .unwrap();
        std::fs::write(self.dist.join("favicon.ico"), [0u8, 0, 1, 0]).unwrap();
        std::fs::write(self.dist.join(".env"), SECRET).unwrap();
        self
    }

    pub fn write(&self, file: &str, bytes: &[u8]) {
        std::fs::write(self.data.join(file), bytes).unwrap();
    }

    pub fn read(&self, file: &str) -> Vec<u8> {
        std::fs::read(self.data.join(file)).unwrap()
    }

    pub fn state(&self) -> AppState {
        AppState::open(Config::new(self.data.clone(), self.dist.clone()))
            .expect("the fixture's state opens")
    }

    /// The app, every request signed in as the demo viewer (the layer files
    /// and manifest need `read`).
    pub fn app(&self) -> Router {
        let state = self.state();
        let cookie = session_cookie(&state, Role::Viewer);
        signed_in(app(state), Credentials::cookie(cookie))
    }

    /// The app without credentials.
    pub fn anonymous_app(&self) -> Router {
        app(self.state())
    }
}

/// The `Cookie` header value of a new session of the demo account of `role`
/// (made by the `Auth` service, as a login would).
pub fn session_cookie(state: &AppState, role: Role) -> String {
    let d = demo(role);
    let s = state
        .auth()
        .login(d.username, d.password, [127, 0, 0, 1].into())
        .expect("the demo account logs in");
    format!("pingan_session={}", s.token)
}

/// A new API key that may post readings (a sensor gateway's).
pub fn readings_key(state: &AppState) -> String {
    state
        .auth()
        .create_key("测试网关", &[Permission::ReadingsWrite], None)
        .expect("a key")
        .key
}

/// Logs in as the demo account of `role` through `POST /api/session`; the
/// `Cookie` header value of the session.
pub async fn login(app: &Router, role: Role) -> String {
    let d = demo(role);
    let req = Request::builder()
        .method("POST")
        .uri("/api/session")
        .header("content-type", "application/json")
        .body(Body::from(
            serde_json::json!({"username": d.username, "password": d.password}).to_string(),
        ))
        .unwrap();
    let r = send(app, req).await;
    assert_eq!(r.status, StatusCode::OK, "login as {role}: {}", r.text());
    let set = r
        .header("set-cookie")
        .expect("a session cookie")
        .to_string();
    set.split(';').next().unwrap().to_string()
}

/// What [`signed_in`] adds to requests that carry no credential.
#[derive(Clone, Debug)]
pub struct Credentials {
    /// `Cookie` header value of a session.
    pub cookie: String,
    /// An API key for `POST /api/readings` (a gateway posts readings, people
    /// do not).
    pub readings_key: Option<String>,
}

impl Credentials {
    pub fn cookie(cookie: String) -> Credentials {
        Credentials {
            cookie,
            readings_key: None,
        }
    }
}

/// `app` with `who`'s credentials added to every request that has none:
/// the session cookie (and the CSRF header a same-origin page sends), or
/// the readings key on `/api/readings`.
pub fn signed_in(app: Router, who: Credentials) -> Router {
    app.layer(axum::middleware::map_request(
        move |mut req: Request<Body>| {
            let who = who.clone();
            async move {
                let h = req.headers_mut();
                if !h.contains_key("cookie") && !h.contains_key("authorization") {
                    let readings = req.uri().path() == "/api/readings";
                    let h = req.headers_mut();
                    match (&who.readings_key, readings) {
                        (Some(key), true) => {
                            h.insert("authorization", format!("Bearer {key}").parse().unwrap());
                        }
                        _ => {
                            h.insert("cookie", who.cookie.parse().unwrap());
                            h.insert("x-pingan-csrf", "1".parse().unwrap());
                        }
                    }
                }
                req
            }
        },
    ))
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

pub const INDEX_HTML: &str = "<!doctype html><html><head><meta charset=\"utf-8\"><title>平安地图</title>\
<script type=\"module\">import init from '/pingan-map-1a2b3c4d5e6f7a8b.js';init('/pingan-map-1a2b3c4d5e6f7a8b_bg.wasm');</script>\
</head><body></body></html>\n";

pub fn app_js() -> String {
    "export default function init(module) { return WebAssembly.instantiateStreaming(fetch(module)); }\n".repeat(40)
}

pub fn app_wasm() -> Vec<u8> {
    let mut w = b"\0asm\x01\0\0\0".to_vec();
    for i in 0..4000u32 {
        w.extend_from_slice(&(i % 97).to_le_bytes());
    }
    w
}

/// A FeatureCollection of `n` small squares with ids `<prefix>-<i>`.
pub fn polygons(prefix: &str, n: usize) -> String {
    let features: Vec<String> = (0..n)
        .map(|i| polygon_feature(&format!("{prefix}-{i}"), i))
        .collect();
    collection(&features)
}

/// A FeatureCollection of `n` points with ids `<prefix>-<i>`.
pub fn points(prefix: &str, n: usize) -> String {
    let features: Vec<String> = (0..n)
        .map(|i| point_feature(&format!("{prefix}-{i}"), i))
        .collect();
    collection(&features)
}

pub fn collection(features: &[String]) -> String {
    format!(
        "{{\"type\":\"FeatureCollection\",\"features\":[{}]}}",
        features.join(",")
    )
}

pub fn polygon_feature(id: &str, i: usize) -> String {
    let x = 113.80 + i as f64 * 0.001;
    let (x1, y0, y1) = (x + 0.001, 22.60, 22.601);
    format!(
        "{{\"type\":\"Feature\",\"id\":\"{id}\",\"properties\":{{\"name\":\"区域 {i}\",\"name_en\":\"Area {i}\"}},\
         \"geometry\":{{\"type\":\"Polygon\",\"coordinates\":[[[{x},{y0}],[{x1},{y0}],[{x1},{y1}],[{x},{y1}],[{x},{y0}]]]}}}}"
    )
}

pub fn point_feature(id: &str, i: usize) -> String {
    format!(
        "{{\"type\":\"Feature\",\"id\":\"{id}\",\"properties\":{{\"name\":\"点 {i}\",\"name_en\":\"Point {i}\"}},\
         \"geometry\":{{\"type\":\"Point\",\"coordinates\":[{},{}]}}}}",
        113.85 + i as f64 * 0.001,
        22.65
    )
}

/// A valid case file of `n` records.
pub fn cases(n: usize) -> Vec<u8> {
    let records = (0..n)
        .map(|i| CaseRecord {
            id: i as u32 + 1,
            time: 1_790_000_000 + i as i64 * 600,
            lon: 113.85 + i as f64 * 0.001,
            lat: 22.65,
            grid: (i % 4) as u16,
            category: CaseCategory::ALL[i % CaseCategory::ALL.len()],
            status: CaseStatus::ALL[i % CaseStatus::ALL.len()],
            departments: DeptSet::of(&[Department::Police, Department::Judicial]),
            deadline_hours: 72,
        })
        .collect();
    encode(&CaseFile {
        grid_count: 4,
        window_start: 1_790_000_000,
        window_end: 1_792_592_000,
        records,
    })
}

pub fn get(uri: &str) -> Request<Body> {
    Request::builder().uri(uri).body(Body::empty()).unwrap()
}

pub fn get_with(uri: &str, headers: &[(&str, &str)]) -> Request<Body> {
    let mut b = Request::builder().uri(uri);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    b.body(Body::empty()).unwrap()
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    /// Asserts a JSON error of exactly the shape `{"error": code, "detail": "..."}`.
    pub fn assert_error(&self, status: u16, code: &str) -> String {
        assert_eq!(
            self.status.as_u16(),
            status,
            "status; body: {}",
            self.text()
        );
        assert_eq!(self.header("content-type"), Some("application/json"));
        let v = self.json();
        let obj = v.as_object().expect("error body is an object");
        let mut keys: Vec<_> = obj.keys().cloned().collect();
        keys.sort();
        assert_eq!(keys, ["detail", "error"], "{v}");
        assert_eq!(obj["error"], code, "{v}");
        let detail = obj["detail"]
            .as_str()
            .expect("detail is a string")
            .to_string();
        assert!(!detail.is_empty());
        detail
    }
}

pub async fn send(app: &Router, req: Request<Body>) -> Reply {
    let res = app.clone().oneshot(req).await.unwrap();
    let (parts, body) = res.into_parts();
    let body = body.collect().await.unwrap().to_bytes();
    Reply {
        status: parts.status,
        headers: parts.headers,
        body,
    }
}

pub async fn manifest(app: &Router) -> pingan_model::layers::Manifest {
    let r = send(app, get("/api/layers")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    serde_json::from_slice(&r.body).unwrap()
}

pub fn gunzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Read;
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .unwrap();
    out
}

pub fn unbrotli(bytes: &[u8]) -> Vec<u8> {
    use std::io::Read;
    let mut out = Vec::new();
    brotli::Decompressor::new(bytes, 4096)
        .read_to_end(&mut out)
        .unwrap();
    out
}

pub fn file_len(p: &Path) -> u64 {
    std::fs::metadata(p).unwrap().len()
}

/// `/api/health` without the live store's fields (`store`, `head`), the
/// stream's and the build hash.
pub fn health_core(mut v: serde_json::Value) -> serde_json::Value {
    if let Some(o) = v.as_object_mut() {
        assert!(
            o.remove("store").is_some_and(|s| s.is_object()),
            "health has store counts"
        );
        assert!(
            o.remove("head").is_some_and(|h| h.is_u64()),
            "health has head"
        );
        assert!(
            o.remove("stream")
                .is_some_and(|s| s.get("clients").is_some_and(|c| c.is_u64())),
            "health has stream stats"
        );
        assert!(
            o.remove("build")
                .is_some_and(|b| b.is_null() || b.as_str().is_some_and(|h| h.len() == 16)),
            "health has the build hash (null without a build)"
        );
    }
    v
}
