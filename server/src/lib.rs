//! # pingan-server
//!
//! The companion server of Ping'an Map (平安地图). It serves
//!
//! - `GET /api/layers`: the layer manifest (every catalogue layer, validated),
//! - `GET /api/health`: liveness, how many layers are usable, store counts,
//! - the live API (`api.rs`): cases, transitions, readings, alerts, hazards,
//!   `GET /api/live`, and the WebSocket stream (`ws/`),
//! - `GET /data/<file>`: the layer files, precompressed, with ETags,
//! - everything else from `dist/`, trunk's build of the browser app.
//!
//! [`app`] builds the whole router from an [`AppState`]; tests drive it
//! without a socket and `main.rs` serves it. The state is shared behind an
//! `Arc` so that the live WebSocket stream can hang off it later.
//! The HTTP contract is written down in `docs/api.md`.

pub mod api;
pub mod audit;
pub mod auth;
pub mod blocking;
pub mod build;
pub mod clock;
pub mod error;
pub mod files;
pub mod http;
pub mod hub;
pub mod intake;
pub mod layers;
pub mod live;
pub mod mask;
pub mod mime;
pub mod paths;
pub mod photo;
pub mod serve;
pub mod sim;
pub mod store;
pub mod ws;

use crate::error::ApiError;
use crate::files::{respond, FileCache, LoadError, ServeOptions};
use crate::intake::GridLocator;
use crate::layers::Layers;
use crate::live::Live;
use crate::paths::{extension, safe_segments};
use crate::store::seed::{self, Seed};
use crate::store::sqlite::SqliteStore;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode, Uri};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use axum::Router;
use pingan_model::layers::{Manifest, LAYERS};
use pingan_model::live::DispatchRules;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;

/// Largest request body accepted, but on the routes of [`body_limit`].
pub const BODY_LIMIT: usize = 1024 * 1024;

/// The largest body a request to `path` may declare: a photo's 2 MiB on
/// `/api/photos/…` (its handler reads at most that), [`BODY_LIMIT`] elsewhere.
pub fn body_limit(path: &str) -> usize {
    if path.starts_with("/api/photos/") {
        api::photos::PHOTO_LIMIT
    } else {
        BODY_LIMIT
    }
}

/// Extensions of the files served from the data directory.
pub const DATA_EXTENSIONS: &[&str] = &["geojson", "json", "bin"];

/// Where the server finds its files.
#[derive(Clone, Debug)]
pub struct Config {
    /// The layer files (`pingan_model::layers::LAYERS`) and other data.
    pub data_dir: PathBuf,
    /// trunk's output: `index.html` and the hashed JS/WASM/CSS.
    pub dist_dir: PathBuf,
    /// The live store's SQLite file; `<data_dir>/live.sqlite` when `None`.
    pub db_path: Option<PathBuf>,
    /// What the edges accept: names, origins, limits (`http`).
    pub edge: http::EdgeConfig,
    /// Accounts: demo accounts, session lifetime, login limits.
    pub auth: auth::AuthConfig,
}

impl Config {
    pub fn new(data_dir: impl Into<PathBuf>, dist_dir: impl Into<PathBuf>) -> Config {
        Config {
            data_dir: data_dir.into(),
            dist_dir: dist_dir.into(),
            db_path: None,
            edge: http::EdgeConfig::default(),
            auth: auth::AuthConfig::default(),
        }
    }

    /// The live store's file.
    pub fn db_path(&self) -> PathBuf {
        self.db_path
            .clone()
            .unwrap_or_else(|| self.data_dir.join("live.sqlite"))
    }
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("the live store {path}: {source}")]
    Store {
        path: String,
        #[source]
        source: store::StoreError,
    },
    #[error("the accounts of {path}: {source}")]
    Auth {
        path: String,
        #[source]
        source: auth::AuthError,
    },
}

/// Everything the handlers share. Cheap to clone.
#[derive(Clone, Debug)]
pub struct AppState {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: Config,
    files: Arc<FileCache>,
    layers: Layers,
    live: Arc<Live>,
    auth: Arc<auth::Auth>,
    grids: Arc<GridLocator>,
    rules: Option<Arc<DispatchRules>>,
    build: Arc<build::BuildHash>,
    district: Arc<api::kpi::District>,
}

impl AppState {
    /// Opens the live store (creating, migrating and seeding it from the
    /// data directory on first start), the grid locator and the dispatch
    /// rules. Blocking: seeding a new store takes a second or two.
    ///
    /// Missing or broken grids/rules/seed files are logged and leave that
    /// part empty (cases cannot be located or routed without them); only a
    /// store that cannot be opened is an error.
    pub fn open(config: Config) -> Result<AppState, StartError> {
        let files = Arc::new(FileCache::masking(config.data_dir.clone()));
        let (directory, problems) = mask::Directory::load(&config.data_dir);
        for p in &problems {
            tracing::warn!(problem = %p, "contacts and places: part of the data skipped");
        }
        let layers = Layers::new(config.data_dir.clone(), files.clone());
        let grids = match GridLocator::load(&config.data_dir.join("grids.geojson")) {
            Ok(g) => g,
            Err(e) => {
                tracing::warn!(error = %e, "no grids: reported cases cannot be located");
                GridLocator::default()
            }
        };
        let rules = match intake::load_rules(&config.data_dir.join("dispatch_rules.json")) {
            Ok(r) => Some(Arc::new(r)),
            Err(e) => {
                tracing::warn!(error = %e, "no dispatch rules: reported cases cannot be routed");
                None
            }
        };
        let path = config.db_path();
        let fail = |source| StartError::Store {
            path: path.display().to_string(),
            source,
        };
        let db = SqliteStore::open(&path).map_err(fail)?;
        if !seed::is_seeded(&db).map_err(fail)? {
            let started = std::time::Instant::now();
            let seed = Seed::load(&config.data_dir, &grids, clock::now_s());
            for p in &seed.problems {
                tracing::warn!(problem = %p, "seeding: part of the data skipped");
            }
            if let Some(r) = seed.plant(&db).map_err(fail)? {
                tracing::info!(
                    cases = r.cases,
                    transitions = r.transitions,
                    sensors = r.sensors,
                    alerts = r.alerts,
                    hazards = r.hazards,
                    ms = started.elapsed().as_millis() as u64,
                    "seeded the live store from the data directory"
                );
            }
        }
        let db: Arc<dyn store::Store> = Arc::new(db);
        let mut auth_config = config.auth.clone();
        if auth_config.subdistricts.is_empty() {
            auth_config.subdistricts = grids.subdistricts();
        }
        let accounts =
            auth::Auth::open(db.clone(), auth_config).map_err(|source| StartError::Auth {
                path: path.display().to_string(),
                source,
            })?;
        let live = Live::with_directory(db, Arc::new(directory)).map_err(fail)?;
        let build = Arc::new(build::BuildHash::new(config.dist_dir.clone()));
        let (district, problems) = api::kpi::District::load(&config.data_dir);
        for p in &problems {
            tracing::warn!(problem = %p, "subdistricts: the safety index and scene bounds lack it");
        }
        Ok(AppState {
            inner: Arc::new(Inner {
                build,
                district: Arc::new(district),
                config,
                files,
                layers,
                live: Arc::new(live),
                auth: Arc::new(accounts),
                grids: Arc::new(grids),
                rules,
            }),
        })
    }

    /// The live service: the store and the broadcast hub.
    pub fn live(&self) -> &Arc<Live> {
        &self.inner.live
    }

    /// Accounts, sessions, keys and devices.
    pub fn auth(&self) -> &Arc<auth::Auth> {
        &self.inner.auth
    }

    /// The grids, for locating reports.
    pub fn grids(&self) -> &Arc<GridLocator> {
        &self.inner.grids
    }

    /// The dispatch rules, when `dispatch_rules.json` was readable.
    pub fn rules(&self) -> Option<&Arc<DispatchRules>> {
        self.inner.rules.as_ref()
    }

    /// The subdistricts (names, residents, areas) and the district's box,
    /// read at start.
    pub fn district(&self) -> &Arc<api::kpi::District> {
        &self.inner.district
    }

    /// The build hash of the app in `dist/` (see [`build`]).
    pub fn build(&self) -> &Arc<build::BuildHash> {
        &self.inner.build
    }

    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The manifest, after re-validating every layer file that changed.
    pub async fn manifest(&self) -> Result<Manifest, ApiError> {
        self.inner.layers.manifest().await
    }

    /// Compresses the current version of every layer file in every encoding,
    /// so that the first browser does not wait for it. Errors are ignored:
    /// the manifest reports them.
    pub async fn warm_up(&self) {
        let files = self.inner.files.clone();
        let dir = self.inner.config.data_dir.clone();
        let done = tokio::task::spawn_blocking(move || {
            for def in LAYERS {
                if let Ok(f) = files.load_blocking(&dir.join(def.file)) {
                    for enc in [files::Encoding::Brotli, files::Encoding::Gzip] {
                        f.encoded_blocking(enc);
                    }
                }
            }
        })
        .await;
        if let Err(e) = done {
            tracing::warn!(error = %e, "precompressing the layers failed");
        }
    }
}

pub use api::status::Health;

/// The answer to a request whose handling panicked.
fn panicked(_panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    ApiError::Internal("the request handler panicked".into()).into_response()
}

/// The whole HTTP service.
pub fn app(state: AppState) -> Router {
    let data = || api::routes::guarded(&state, api::routes::DATA, get(data_file));
    let routes = Router::new()
        .merge(api::routes::routes(&state))
        .route("/api", any(api_not_found))
        .route("/api/", any(api_not_found))
        .route("/api/{*rest}", any(api_not_found))
        .route("/data", data())
        .route("/data/", data())
        .route("/data/{*file}", data())
        .route("/", get(dist_file))
        .fallback(fallback)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(middleware::from_fn(limit_declared_body))
        // Inside the edges: a handler's panic is a 500 with the security
        // headers like any answer; the outer one catches the edges' own.
        .layer(CatchPanicLayer::custom(panicked));
    http::layer(routes, &state.config().edge)
        .layer(CatchPanicLayer::custom(panicked))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &Request| {
                    tracing::info_span!("http", method = %req.method(), path = %req.uri().path())
                })
                .on_request(())
                .on_response(|res: &Response, latency: Duration, _span: &tracing::Span| {
                    tracing::info!(
                        status = res.status().as_u16(),
                        latency_ms = format_args!("{:.1}", latency.as_secs_f64() * 1000.0),
                        "request"
                    );
                })
                .on_failure(()),
        )
        .with_state(state)
}

async fn api_not_found(uri: Uri) -> ApiError {
    ApiError::NotFound(format!(
        "there is no API endpoint at {}; the endpoints are listed in docs/api.md \
         (e.g. GET /api/layers, GET /api/health, GET /api/cases, GET /api/live)",
        uri.path()
    ))
}

async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError::MethodNotAllowed {
        method: method.to_string(),
        allow: api::routes::allowed_methods(uri.path()),
        path: uri.path().to_string(),
    }
}

/// Refuses a declared body over its route's [`body_limit`] before any
/// handler runs.
async fn limit_declared_body(req: Request, next: Next) -> Response {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let limit = body_limit(req.uri().path());
    match declared {
        Some(len) if len > limit as u64 => ApiError::PayloadTooLarge { len, limit }.into_response(),
        _ => next.run(req).await,
    }
}

/// `GET /data/<file>`: a file directly inside the data directory.
async fn data_file(
    State(state): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let path = uri.path();
    let rest = path.strip_prefix("/data").unwrap_or("");
    let rest = rest.strip_prefix('/').unwrap_or(rest);
    let segments = safe_segments(rest)?;
    let name = match segments.as_slice() {
        [] => {
            return Err(ApiError::NotFound(
                "name a file: /data/<file>; GET /api/layers lists the layer files".into(),
            ))
        }
        [name] => name,
        _ => {
            return Err(ApiError::NotFound(format!(
                "{path}: only files directly in the data directory are served, not subdirectories"
            )))
        }
    };
    if name.starts_with('.') {
        return Err(ApiError::NotFound(format!(
            "{path}: hidden files are not served"
        )));
    }
    let ext = extension(name);
    if !ext.as_deref().is_some_and(|e| DATA_EXTENSIONS.contains(&e)) {
        return Err(ApiError::NotFound(format!(
            "{path}: only .geojson, .json and .bin files are served from /data/"
        )));
    }
    let file = match state
        .inner
        .files
        .load(state.config().data_dir.join(name))
        .await?
    {
        Ok(f) => f,
        Err(LoadError::Missing | LoadError::NotAFile) => {
            return Err(ApiError::NotFound(format!(
                "{path}: no such file in the data directory"
            )))
        }
        Err(LoadError::Io(source)) => {
            return Err(ApiError::Read {
                file: name.clone(),
                source,
            })
        }
        Err(LoadError::Unmaskable(e)) => {
            return Err(ApiError::Unavailable(format!(
                "{path} holds personal data and is served only masked, which it cannot be: {e}"
            )))
        }
    };
    let opts = ServeOptions {
        content_type: mime::content_type(ext.as_deref()),
        cache_control: mime::NO_CACHE,
        compressible: true,
    };
    respond(&method, &headers, file, opts).await
}

/// Everything that is not `/api` or `/data`: the built app.
async fn fallback(
    state: State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    if method != Method::GET && method != Method::HEAD {
        return method_not_allowed(method, uri).await.into_response();
    }
    dist_file(state, method, uri, headers).await
}

/// A file of `dist/`; `/` is `index.html`.
async fn dist_file(
    State(state): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    match serve_dist(&state, &method, uri.path(), &headers).await {
        Ok(res) => res,
        Err(e @ ApiError::FrontendNotBuilt { .. }) if wants_html(&headers) => not_built_page(&e),
        Err(e) => e.into_response(),
    }
}

async fn serve_dist(
    state: &AppState,
    method: &Method,
    path: &str,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let rest = path.strip_prefix('/').unwrap_or(path);
    let mut segments = safe_segments(rest)?;
    if segments.is_empty() {
        segments.push("index.html".into());
    }
    if segments.iter().any(|s| s.starts_with('.')) {
        return Err(ApiError::NotFound(format!(
            "{path}: hidden files are not served"
        )));
    }
    let dist = &state.config().dist_dir;
    let file_path = segments.iter().fold(dist.clone(), |p, s| p.join(s));
    let file = match state.inner.files.load(file_path).await? {
        Ok(f) => f,
        Err(LoadError::Missing | LoadError::NotAFile) => {
            let index = dist.join("index.html");
            let built = tokio::fs::metadata(&index).await.is_ok_and(|m| m.is_file());
            return Err(if built {
                ApiError::NotFound(format!("{path}: no such file in the app build"))
            } else {
                ApiError::FrontendNotBuilt {
                    index: index.display().to_string(),
                }
            });
        }
        Err(LoadError::Io(source)) => {
            return Err(ApiError::Read {
                file: segments.join("/"),
                source,
            })
        }
        Err(LoadError::Unmaskable(e)) => return Err(ApiError::Unavailable(e)),
    };
    let ext = segments.last().and_then(|s| extension(s));
    let opts = ServeOptions {
        content_type: mime::content_type(ext.as_deref()),
        cache_control: if mime::is_hashed(&segments) {
            mime::IMMUTABLE
        } else {
            mime::NO_CACHE
        },
        compressible: mime::compressible(ext.as_deref()),
    };
    // An HTML page's policy allows exactly its inline scripts (trunk's loader).
    let csp = (ext.as_deref() == Some("html")).then(|| http::headers::html_csp(&file.bytes));
    let mut res = respond(method, headers, file, opts).await?;
    if let Some(csp) = csp {
        res.headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    Ok(res)
}

fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains("text/html"))
}

/// The 503 page a browser gets when `dist/` has no build.
fn not_built_page(e: &ApiError) -> Response {
    let detail = e
        .to_string()
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    let html = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>平安地图 · front end not built</title></head>\n\
         <body style=\"font-family:sans-serif;max-width:40em;margin:3em auto\">\n\
         <h1>The front end is not built</h1>\n<p>{detail}</p>\n\
         <pre>{}</pre>\n<p>The API is up: <a href=\"/api/layers\">/api/layers</a>, <a href=\"/api/health\">/api/health</a>.</p>\n\
         </body></html>\n",
        error::BUILD_COMMAND
    );
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
            // Its one inline style; nothing else.
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'",
            ),
        ],
        Body::from(html),
    )
        .into_response()
}
