//! The route table: every named endpoint of the server, its path, its
//! methods with their handlers and whether its answers are compressed on the
//! fly. The router ([`routes`]) and the `Allow` header of 405 answers
//! ([`allowed_methods`]) are both derived from [`ROUTES`], so they cannot
//! disagree. A later column (the permission an endpoint requires) goes here.
//!
//! Paths not in the table (`/data/…`, the app's files, unknown `/api/…`)
//! are routed in `lib.rs` and answer GET and HEAD.

use super::{audit, cases, contacts, hazards, sensors, snapshot, status};
use crate::AppState;
use axum::routing::{on, MethodFilter, MethodRouter};
use axum::Router;

/// An HTTP method an endpoint answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verb {
    /// GET, and HEAD with the same headers.
    Get,
    Post,
}

impl Verb {
    fn filter(self) -> MethodFilter {
        match self {
            Verb::Get => MethodFilter::GET,
            Verb::Post => MethodFilter::POST,
        }
    }

    /// The methods of this verb in an `Allow` header.
    fn allow(self) -> &'static str {
        match self {
            Verb::Get => "GET, HEAD",
            Verb::Post => "POST",
        }
    }
}

/// One method of a route and its handler.
pub struct Endpoint {
    pub verb: Verb,
    /// The handler, as axum's method router for `verb`.
    pub handler: fn() -> MethodRouter<AppState>,
}

/// One path of the table.
pub struct Route {
    /// axum's path syntax: `{id}` is one segment.
    pub path: &'static str,
    pub endpoints: &'static [Endpoint],
    /// On-the-fly gzip of the answers (large, per-request bodies).
    pub compress: bool,
}

/// An [`Endpoint`] of `verb` served by `handler`.
macro_rules! endpoint {
    ($verb:ident, $handler:path) => {
        Endpoint {
            verb: Verb::$verb,
            handler: {
                fn make() -> MethodRouter<AppState> {
                    on(Verb::$verb.filter(), $handler)
                }
                make
            },
        }
    };
}

/// Every named endpoint. docs/api.md describes each.
pub const ROUTES: &[Route] = &[
    Route {
        path: "/api/health",
        endpoints: &[endpoint!(Get, status::health)],
        compress: false,
    },
    Route {
        path: "/api/layers",
        endpoints: &[endpoint!(Get, status::layers)],
        compress: false,
    },
    Route {
        path: "/api/cases",
        endpoints: &[
            endpoint!(Get, cases::list_cases),
            endpoint!(Post, cases::report_case),
        ],
        compress: true,
    },
    Route {
        path: "/api/cases.bin",
        endpoints: &[endpoint!(Get, cases::cases_bin)],
        compress: true,
    },
    Route {
        path: "/api/cases/{id}",
        endpoints: &[endpoint!(Get, cases::get_case)],
        compress: false,
    },
    Route {
        path: "/api/cases/{id}/transitions",
        endpoints: &[endpoint!(Post, cases::transition)],
        compress: false,
    },
    Route {
        path: "/api/readings",
        endpoints: &[endpoint!(Post, sensors::readings)],
        compress: false,
    },
    Route {
        path: "/api/alerts",
        endpoints: &[endpoint!(Get, sensors::alerts)],
        compress: false,
    },
    Route {
        path: "/api/alerts/{id}/ack",
        endpoints: &[endpoint!(Post, sensors::ack_alert)],
        compress: false,
    },
    Route {
        path: "/api/hazards/{id}/status",
        endpoints: &[endpoint!(Post, hazards::hazard_status)],
        compress: false,
    },
    Route {
        path: "/api/live",
        endpoints: &[endpoint!(Get, snapshot::live_snapshot)],
        compress: false,
    },
    Route {
        path: "/api/contacts/{layer}/{id}",
        endpoints: &[endpoint!(Get, contacts::contacts)],
        compress: false,
    },
    Route {
        path: "/api/audit",
        endpoints: &[endpoint!(Get, audit::list)],
        compress: true,
    },
    Route {
        path: "/ws",
        endpoints: &[endpoint!(Get, crate::ws::endpoint)],
        compress: false,
    },
];

/// The router of [`ROUTES`].
pub fn routes() -> Router<AppState> {
    ROUTES.iter().fold(Router::new(), |router, route| {
        let mut methods = route
            .endpoints
            .iter()
            .fold(MethodRouter::new(), |m, e| m.merge((e.handler)()));
        if route.compress {
            methods = methods.layer(compress());
        }
        router.route(route.path, methods)
    })
}

/// On-the-fly gzip (fastest level) for the large, per-request answers: the
/// case file (~2 MB → ~1 MB) and GeoJSON queries. Static files are
/// precompressed instead (see `files`).
fn compress() -> tower_http::compression::CompressionLayer {
    tower_http::compression::CompressionLayer::new()
        .gzip(true)
        .quality(tower_http::CompressionLevel::Fastest)
}

/// Whether a table path matches a request path (`{…}` matches one segment).
fn matches(pattern: &str, path: &str) -> bool {
    let mut p = pattern.split('/');
    let mut s = path.split('/');
    loop {
        match (p.next(), s.next()) {
            (None, None) => return true,
            (Some(p), Some(s)) if p.starts_with('{') || p == s => {}
            _ => return false,
        }
    }
}

/// The `Allow` header of a path (for 405 answers): the methods of its route,
/// `GET, HEAD` for every other path (files and the app).
pub fn allowed_methods(path: &str) -> String {
    let path = path.trim_end_matches('/');
    let mut verbs: Vec<Verb> = ROUTES
        .iter()
        .filter(|r| matches(r.path, path))
        .flat_map(|r| r.endpoints.iter().map(|e| e.verb))
        .collect();
    if verbs.is_empty() {
        verbs.push(Verb::Get);
    }
    verbs.sort();
    verbs.dedup();
    verbs
        .iter()
        .map(|v| v.allow())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allow_comes_from_the_table() {
        assert_eq!(allowed_methods("/api/cases"), "GET, HEAD, POST");
        assert_eq!(allowed_methods("/api/cases/"), "GET, HEAD, POST");
        assert_eq!(allowed_methods("/api/cases/AJ00000001"), "GET, HEAD");
        assert_eq!(allowed_methods("/api/cases/7/transitions"), "POST");
        assert_eq!(allowed_methods("/api/alerts/3/ack"), "POST");
        assert_eq!(allowed_methods("/api/hazards/YH1/status"), "POST");
        assert_eq!(allowed_methods("/api/readings"), "POST");
        assert_eq!(allowed_methods("/api/health"), "GET, HEAD");
        assert_eq!(allowed_methods("/index.html"), "GET, HEAD");
        assert_eq!(allowed_methods("/api/cases/7/transitions/x"), "GET, HEAD");
    }

    #[test]
    fn every_path_is_listed_once() {
        let mut paths: Vec<_> = ROUTES.iter().map(|r| r.path).collect();
        paths.sort();
        let n = paths.len();
        paths.dedup();
        assert_eq!(paths.len(), n, "a path listed twice would panic in axum");
        assert!(ROUTES.iter().all(|r| !r.endpoints.is_empty()));
    }
}
