//! The route table: every named endpoint of the server, its path, its
//! methods with their handlers, the permission each requires and whether its
//! answers are compressed on the fly. The router ([`routes`], each endpoint
//! behind the check layer of its permission, `guard.rs`), the `Allow` header
//! of 405 answers ([`allowed_methods`]) and the permission matrix test
//! (`tests/permissions.rs`) are all derived from [`ROUTES`], so they cannot
//! disagree; an endpoint without a permission does not compile
//! (`endpoint!` takes it).
//!
//! Paths not in the table (`/data/…` behind [`DATA`], the app's files
//! (public), unknown `/api/…`) are routed in `lib.rs` and answer GET and HEAD.

use super::{
    admin, audit, cases, contacts, hazards, kpi, photos, sensors, session, snapshot, status, walls,
};
use crate::AppState;
use axum::routing::{on, MethodFilter, MethodRouter};
use axum::Router;
use pingan_model::access::Permission;

pub use super::guard::{guarded, Access};

/// An HTTP method an endpoint answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verb {
    /// GET, and HEAD with the same headers.
    Get,
    Post,
    Put,
    Delete,
}

impl Verb {
    fn filter(self) -> MethodFilter {
        match self {
            Verb::Get => MethodFilter::GET,
            Verb::Post => MethodFilter::POST,
            Verb::Put => MethodFilter::PUT,
            Verb::Delete => MethodFilter::DELETE,
        }
    }

    /// The methods of this verb in an `Allow` header.
    fn allow(self) -> &'static str {
        match self {
            Verb::Get => "GET, HEAD",
            Verb::Post => "POST",
            Verb::Put => "PUT",
            Verb::Delete => "DELETE",
        }
    }

    /// The method to send for this verb (tests).
    pub fn method(self) -> &'static str {
        match self {
            Verb::Get => "GET",
            Verb::Post => "POST",
            Verb::Put => "PUT",
            Verb::Delete => "DELETE",
        }
    }
}

/// The data files (`/data/…`) need `read`.
pub const DATA: Access = Access::Need(Permission::Read);

/// One method of a route, its permission and its handler.
pub struct Endpoint {
    pub verb: Verb,
    pub access: Access,
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

/// An [`Endpoint`] of `verb` requiring `access` (`Public` or a
/// [`Permission`] variant), served by `handler`.
macro_rules! endpoint {
    ($verb:ident, Public, $handler:path) => {
        endpoint!(@make $verb, Access::Public, $handler)
    };
    ($verb:ident, $perm:ident, $handler:path) => {
        endpoint!(@make $verb, Access::Need(Permission::$perm), $handler)
    };
    (@make $verb:ident, $access:expr, $handler:path) => {
        Endpoint {
            verb: Verb::$verb,
            access: $access,
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
        endpoints: &[endpoint!(Get, Public, status::health)],
        compress: false,
    },
    Route {
        path: "/api/clock",
        endpoints: &[endpoint!(Get, Public, status::clock)],
        compress: false,
    },
    Route {
        path: "/api/layers",
        endpoints: &[endpoint!(Get, Read, status::layers)],
        compress: false,
    },
    Route {
        path: "/api/session",
        endpoints: &[
            endpoint!(Get, Public, session::me),
            endpoint!(Post, Public, session::login),
            endpoint!(Delete, Public, session::logout),
        ],
        compress: false,
    },
    Route {
        path: "/api/cases",
        endpoints: &[
            endpoint!(Get, Read, cases::list_cases),
            endpoint!(Post, CasesReport, cases::report_case),
        ],
        compress: true,
    },
    Route {
        path: "/api/cases.bin",
        endpoints: &[endpoint!(Get, Read, cases::cases_bin)],
        compress: true,
    },
    Route {
        path: "/api/cases/urgent",
        endpoints: &[endpoint!(Get, Read, walls::urgent_cases)],
        compress: true,
    },
    Route {
        path: "/api/cases/{id}",
        endpoints: &[endpoint!(Get, Read, cases::get_case)],
        compress: false,
    },
    Route {
        path: "/api/cases/{id}/transitions",
        endpoints: &[endpoint!(Post, CasesTransition, cases::transition)],
        compress: false,
    },
    Route {
        path: "/api/readings",
        endpoints: &[endpoint!(Post, ReadingsWrite, sensors::readings)],
        compress: false,
    },
    Route {
        path: "/api/alerts",
        endpoints: &[endpoint!(Get, Read, sensors::alerts)],
        compress: false,
    },
    Route {
        path: "/api/alerts/{id}/ack",
        endpoints: &[endpoint!(Post, AlertsAck, sensors::ack_alert)],
        compress: false,
    },
    Route {
        path: "/api/hazards/{id}/status",
        endpoints: &[endpoint!(Post, HazardsStatus, hazards::hazard_status)],
        compress: false,
    },
    Route {
        path: "/api/photos/{id}",
        endpoints: &[
            endpoint!(Get, PersonalRead, photos::get_photo),
            endpoint!(Put, CasesReport, photos::put_photo),
        ],
        compress: false,
    },
    Route {
        path: "/api/live",
        endpoints: &[endpoint!(Get, Read, snapshot::live_snapshot)],
        compress: false,
    },
    Route {
        path: "/api/walls/{group}/scene",
        endpoints: &[
            endpoint!(Get, Read, walls::current),
            endpoint!(Put, WallDrive, walls::push),
            endpoint!(Delete, WallDrive, walls::clear),
        ],
        compress: false,
    },
    Route {
        path: "/api/kpi",
        endpoints: &[endpoint!(Get, Read, kpi::kpi)],
        compress: true,
    },
    Route {
        path: "/api/users",
        endpoints: &[
            endpoint!(Get, UsersManage, admin::list_users),
            endpoint!(Post, UsersManage, admin::create_user),
        ],
        compress: false,
    },
    Route {
        path: "/api/users/{username}",
        endpoints: &[endpoint!(Post, UsersManage, admin::update_user)],
        compress: false,
    },
    Route {
        path: "/api/keys",
        endpoints: &[
            endpoint!(Get, UsersManage, admin::list_keys),
            endpoint!(Post, UsersManage, admin::create_key),
        ],
        compress: false,
    },
    Route {
        path: "/api/keys/{id}",
        endpoints: &[endpoint!(Delete, UsersManage, admin::revoke_key)],
        compress: false,
    },
    Route {
        path: "/api/sessions",
        endpoints: &[endpoint!(Get, UsersManage, admin::list_sessions)],
        compress: false,
    },
    Route {
        path: "/api/sessions/{id}",
        endpoints: &[endpoint!(Delete, UsersManage, admin::revoke_session)],
        compress: false,
    },
    Route {
        path: "/api/devices",
        endpoints: &[
            endpoint!(Get, UsersManage, admin::list_devices),
            endpoint!(Post, UsersManage, admin::create_device),
        ],
        compress: false,
    },
    Route {
        path: "/api/devices/pair",
        endpoints: &[endpoint!(Post, Public, session::pair)],
        compress: false,
    },
    Route {
        path: "/api/devices/{id}",
        endpoints: &[endpoint!(Delete, UsersManage, admin::revoke_device)],
        compress: false,
    },
    Route {
        path: "/api/contacts/{layer}/{id}",
        endpoints: &[endpoint!(Get, PersonalRead, contacts::contacts)],
        compress: false,
    },
    Route {
        path: "/api/audit",
        endpoints: &[endpoint!(Get, AuditRead, audit::list)],
        compress: true,
    },
    Route {
        path: "/ws",
        endpoints: &[endpoint!(Get, Read, crate::ws::endpoint)],
        compress: false,
    },
];

/// The router of [`ROUTES`], each endpoint behind the check of its permission.
pub fn routes(state: &AppState) -> Router<AppState> {
    ROUTES.iter().fold(Router::new(), |router, route| {
        let mut methods = route.endpoints.iter().fold(MethodRouter::new(), |m, e| {
            m.merge(guarded(state, e.access, (e.handler)()))
        });
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
    // A literal path wins over a pattern (`/api/devices/pair` over `{id}`), as in axum.
    let exact = ROUTES.iter().any(|r| r.path == path);
    let mut verbs: Vec<Verb> = ROUTES
        .iter()
        .filter(|r| {
            if exact {
                r.path == path
            } else {
                matches(r.path, path)
            }
        })
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
        assert_eq!(
            allowed_methods(&format!("/api/photos/{}", "a".repeat(64))),
            "GET, HEAD, PUT"
        );
        assert_eq!(allowed_methods("/api/health"), "GET, HEAD");
        assert_eq!(allowed_methods("/index.html"), "GET, HEAD");
        assert_eq!(allowed_methods("/api/cases/7/transitions/x"), "GET, HEAD");
    }

    #[test]
    fn deletes_and_admin_paths_are_in_allow() {
        assert_eq!(allowed_methods("/api/session"), "GET, HEAD, POST, DELETE");
        assert_eq!(allowed_methods("/api/keys/3"), "DELETE");
        assert_eq!(allowed_methods("/api/devices/pair"), "POST");
        assert_eq!(
            allowed_methods("/api/walls/大厅/scene"),
            "GET, HEAD, PUT, DELETE"
        );
    }

    #[test]
    fn only_signing_in_pairing_health_and_the_clock_are_public() {
        let public: Vec<String> = ROUTES
            .iter()
            .flat_map(|r| {
                r.endpoints
                    .iter()
                    .filter(|e| e.access == Access::Public)
                    .map(move |e| format!("{} {}", e.verb.method(), r.path))
            })
            .collect();
        assert_eq!(
            public,
            [
                "GET /api/health",
                "GET /api/clock",
                "GET /api/session",
                "POST /api/session",
                "DELETE /api/session",
                "POST /api/devices/pair"
            ]
        );
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
