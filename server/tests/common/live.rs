//! A live store seeded from the REAL generated data (`data/`, made by
//! `pingan-datagen` before the tests run), copied for each test, and
//! requests as any demo role: [`env`], [`LiveEnv::as_role`]. (The field
//! mode's tests: `idempotency.rs`, `photos.rs`.)

use super::{send, session_cookie, signed_in, Credentials, Reply};
use axum::body::Body;
use axum::http::Request;
use axum::Router;
use geo::InteriorPoint;
use pingan_model::access::Role;
use pingan_model::geojson_io::{parse_feature_collection, Geom};
use pingan_server::store::Counts;
use pingan_server::{app, AppState, Config};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;

/// The files a live test needs from data/.
const FILES: &[&str] = &[
    "grids.geojson",
    "sensors.geojson",
    "hazards.geojson",
    "cases_recent.bin",
    "dispatch_rules.json",
    "monitored_areas.geojson",
];

fn repo_data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../data")
}

fn temp_dir(name: &str) -> PathBuf {
    static N: AtomicU32 = AtomicU32::new(0);
    let d = std::env::temp_dir().join(format!(
        "pingan-field-{name}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The real files and a store seeded once per test process.
fn template() -> &'static PathBuf {
    static T: OnceLock<PathBuf> = OnceLock::new();
    T.get_or_init(|| {
        let dir = temp_dir("template");
        for f in FILES {
            let src = repo_data().join(f);
            assert!(
                src.is_file(),
                "{} is missing: generate the data first (cargo run --release -p pingan-datagen)",
                src.display()
            );
            std::fs::copy(&src, dir.join(f)).unwrap();
        }
        drop(AppState::open(Config::new(&dir, dir.join("dist"))).unwrap());
        dir
    })
}

pub struct LiveEnv {
    pub dir: PathBuf,
    pub state: AppState,
}

impl Drop for LiveEnv {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A copy of the seeded store, opened.
pub fn env(name: &str) -> LiveEnv {
    let t = template();
    let dir = temp_dir(name);
    for f in FILES {
        std::fs::copy(t.join(f), dir.join(f)).unwrap();
    }
    std::fs::copy(t.join("live.sqlite"), dir.join("live.sqlite")).unwrap();
    let state = AppState::open(Config::new(&dir, dir.join("dist"))).unwrap();
    LiveEnv { dir, state }
}

impl LiveEnv {
    /// The app, every request signed in as a new session of the demo `role`.
    pub fn as_role(&self, role: Role) -> Router {
        let cookie = session_cookie(&self.state, role);
        signed_in(app(self.state.clone()), Credentials::cookie(cookie))
    }

    pub fn counts(&self) -> Counts {
        self.state.live().store().counts().unwrap()
    }
}

/// A request of `method` to `uri` with a JSON body and extra headers.
pub fn json_request(
    method: &str,
    uri: &str,
    body: &Value,
    headers: &[(&str, &str)],
) -> Request<Body> {
    let mut b = Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/json");
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    b.body(Body::from(body.to_string())).unwrap()
}

/// POSTs `body` to `uri`, with `Idempotency-Key: key` when given.
pub async fn post(app: &Router, uri: &str, body: &Value, key: Option<&str>) -> Reply {
    let headers: Vec<(&str, &str)> = key.map(|k| ("idempotency-key", k)).into_iter().collect();
    send(app, json_request("POST", uri, body, &headers)).await
}

/// A point inside grid `index` of grids.geojson.
pub fn grid_point(index: usize) -> [f64; 2] {
    let text = std::fs::read_to_string(template().join("grids.geojson")).unwrap();
    let features = parse_feature_collection(&text).unwrap();
    let Geom::Area(mp) = &features[index].geometry else {
        panic!("grid {index} is not an area")
    };
    let p = mp.interior_point().unwrap();
    [p.x(), p.y()]
}

/// The id of the first hazard of hazards.geojson and a status it is not in.
pub fn first_hazard() -> (String, &'static str) {
    let text = std::fs::read_to_string(template().join("hazards.geojson")).unwrap();
    let features = parse_feature_collection(&text).unwrap();
    let id = features[0].id.clone().expect("hazards have ids");
    let other = match features[0].str_prop("status") {
        Some("open") => "rectifying",
        _ => "open",
    };
    (id, other)
}
