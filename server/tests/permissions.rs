//! The permission matrix, generated from the route table: every endpoint of
//! `ROUTES` (and the data files) × anonymous, every role and a sensor
//! gateway's key is answered exactly as its `permission` column says:
//! anonymous → 401 `unauthenticated`, a caller lacking the permission → 403
//! `forbidden` naming it, else the handler runs: neither 401/403 nor a
//! server error (5xx). GET endpoints are also asked with HEAD, and the data
//! files under several `/data/…` paths.
//! A new endpoint joins the matrix by being in the table, and cannot be in
//! the table without a permission (`endpoint!` requires one).

mod common;

use axum::body::Body;
use axum::http::Request;
use common::{readings_key, send, session_cookie, Fixture};
use pingan_model::access::{Permission, Role};
use pingan_server::api::routes::{Access, Verb, DATA, ROUTES};
use pingan_server::app;

/// Who asks.
#[derive(Clone, Debug)]
enum Caller {
    Anonymous,
    Role(Role, String),
    Key(String),
}

impl Caller {
    fn allows(&self, p: Permission) -> bool {
        match self {
            Caller::Anonymous => false,
            Caller::Role(r, _) => r.allows(p),
            Caller::Key(_) => p == Permission::ReadingsWrite,
        }
    }

    fn name(&self) -> String {
        match self {
            Caller::Anonymous => "anonymous".into(),
            Caller::Role(r, _) => r.to_string(),
            Caller::Key(_) => "readings key".into(),
        }
    }
}

/// A concrete request path for a table path: ids that name nothing, so an
/// allowed DELETE changes nothing.
fn concrete(path: &str) -> String {
    path.replace("{id}", "999999")
        .replace("{username}", "nobody")
        .replace("{group}", "nobody")
}

fn request(method: &str, path: &str, caller: &Caller) -> Request<Body> {
    let mut b = Request::builder().method(method).uri(path);
    match caller {
        Caller::Anonymous => {}
        Caller::Role(_, cookie) => b = b.header("cookie", cookie).header("x-pingan-csrf", "1"),
        Caller::Key(key) => b = b.header("authorization", format!("Bearer {key}")),
    }
    if method == "POST" || method == "PUT" {
        b = b.header("content-type", "application/json");
        return b.body(Body::from("{}")).unwrap();
    }
    b.body(Body::empty()).unwrap()
}

#[tokio::test]
async fn every_endpoint_answers_each_caller_as_its_permission_says() {
    let fx = Fixture::new("matrix").with_dist();
    let state = fx.state();
    let router = app(state.clone());
    let mut callers = vec![Caller::Anonymous, Caller::Key(readings_key(&state))];
    for role in Role::ALL {
        callers.push(Caller::Role(role, session_cookie(&state, role)));
    }
    // Every (verb, path, access) of the table, logging out last (it ends
    // the caller's session).
    let mut rows: Vec<(&str, String, Access)> = ROUTES
        .iter()
        .flat_map(|r| {
            r.endpoints.iter().flat_map(move |e| {
                let methods: Vec<&'static str> = if e.verb == Verb::Get {
                    vec!["GET", "HEAD"]
                } else {
                    vec![e.verb.method()]
                };
                methods
                    .into_iter()
                    .map(move |m| (m, concrete(r.path), e.access))
            })
        })
        .collect();
    for path in [
        "/data/grids.geojson",
        "/data/cases_recent.bin",
        "/data/hazards.geojson",
        "/data/missing.geojson",
        "/data/",
        "/data",
    ] {
        for method in ["GET", "HEAD"] {
            rows.push((method, path.into(), DATA));
        }
    }
    rows.sort_by_key(|(m, p, _)| *m == "DELETE" && p == "/api/session");
    assert!(rows.len() >= 50, "{} endpoints", rows.len());

    let mut checked = 0;
    for caller in &callers {
        for (method, path, access) in &rows {
            let r = send(&router, request(method, path, caller)).await;
            let what = format!("{method} {path} as {}", caller.name());
            let ran = |r: &common::Reply| {
                let s = r.status.as_u16();
                ![401, 403].contains(&s) && !r.status.is_server_error()
            };
            match access {
                // "Who am I" answers an anonymous caller 401 itself.
                Access::Public
                    if matches!(caller, Caller::Anonymous)
                        && ["GET", "HEAD"].contains(method)
                        && path == "/api/session" =>
                {
                    assert_eq!(r.status.as_u16(), 401, "{what}");
                    if *method == "GET" {
                        r.assert_error(401, "unauthenticated");
                    }
                }
                Access::Public => assert!(ran(&r), "{what}: {} {}", r.status, r.text()),
                Access::Need(_) if matches!(caller, Caller::Anonymous) => {
                    assert_eq!(r.status.as_u16(), 401, "{what}");
                    if *method != "HEAD" {
                        r.assert_error(401, "unauthenticated");
                    }
                }
                Access::Need(p) if caller.allows(*p) => {
                    assert!(ran(&r), "{what} should pass: {} {}", r.status, r.text())
                }
                Access::Need(p) if *method == "HEAD" => {
                    assert_eq!(r.status.as_u16(), 403, "{what}: {p}");
                }
                Access::Need(p) => {
                    assert_eq!(r.status.as_u16(), 403, "{what}: {}", r.text());
                    let v = r.json();
                    assert_eq!(v["error"], "forbidden", "{what}");
                    assert_eq!(v["permission"], p.name(), "{what}");
                    assert!(v["detail"].as_str().unwrap().contains(p.name()), "{what}");
                }
            }
            checked += 1;
        }
    }
    assert_eq!(checked, rows.len() * callers.len());
}

#[tokio::test]
async fn who_am_i_is_the_only_public_endpoint_that_says_401() {
    let fx = Fixture::new("whoami");
    let router = fx.anonymous_app();
    let r = send(&router, common::get("/api/session")).await;
    r.assert_error(401, "unauthenticated");
    // Health and the app's files stay public.
    let r = send(&router, common::get("/api/health")).await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn the_check_runs_before_the_handler_so_nothing_is_stored() {
    let fx = Fixture::new("nostore");
    let state = fx.state();
    let router = app(state.clone());
    let viewer = session_cookie(&state, Role::Viewer);
    let before = state.live().store().counts().unwrap();
    for (path, body) in [
        (
            "/api/cases",
            r#"{"category":"dispute","lon":113.85,"lat":22.65,"description":"x"}"#,
        ),
        (
            "/api/readings",
            r#"{"readings":[{"sensor":"S1","value":1}]}"#,
        ),
        ("/api/hazards/YH000001/status", r#"{"status":"rectified"}"#),
    ] {
        for cookie in [None, Some(viewer.as_str())] {
            let mut b = Request::builder()
                .method("POST")
                .uri(path)
                .header("content-type", "application/json");
            if let Some(c) = cookie {
                b = b.header("cookie", c).header("x-pingan-csrf", "1");
            }
            let r = send(&router, b.body(Body::from(body)).unwrap()).await;
            assert_eq!(
                r.status.as_u16(),
                if cookie.is_some() { 403 } else { 401 },
                "{path}: {}",
                r.text()
            );
        }
    }
    assert_eq!(state.live().store().counts().unwrap(), before);
}
