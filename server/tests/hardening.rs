//! The server's edges (`server/src/http/`): the `Host` check, the Origin
//! check on `/ws` and on cookie-authenticated writes, CORS only when
//! configured, the security headers on every kind of response (the CSP of
//! `index.html` naming its inline loader's hash), and JSON for every
//! framework rejection (non-UTF-8 path ids, bad queries, wrong methods,
//! oversized headers). In process, and over a real socket where the
//! difference matters (`Host` missing, hyper's own limits).

mod common;

use axum::body::Body;
use axum::http::Request;
use axum::Router;
use base64::Engine;
use common::*;
use pingan_model::access::Role;
use pingan_server::http::EdgeConfig;
use pingan_server::serve::{serve, ServeOptions};
use pingan_server::{app, AppState, Config};
use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

fn request(method: &str, uri: &str, headers: &[(&str, &str)]) -> Request<Body> {
    let mut b = Request::builder().method(method).uri(uri);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    b.body(Body::empty()).unwrap()
}

fn app_with(fx: &Fixture, edge: EdgeConfig) -> Router {
    let mut config = Config::new(fx.data.clone(), fx.dist.clone());
    config.edge = edge;
    app(AppState::open(config).unwrap())
}

/// Serves `app` with `serve::serve` on 127.0.0.1:0 (ConnectInfo, timers).
async fn socket(app: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(serve(
        listener,
        app,
        ServeOptions::default(),
        std::future::pending(),
    ));
    addr
}

/// Sends `head` (the request line and headers, verbatim, blank line
/// included) and returns the status and the whole reply.
fn raw(addr: SocketAddr, head: String) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(head.as_bytes()).unwrap();
    let mut all = Vec::new();
    let _ = s.read_to_end(&mut all);
    let text = String::from_utf8_lossy(&all).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, text)
}

async fn raw_async(addr: SocketAddr, head: String) -> (u16, String) {
    tokio::task::spawn_blocking(move || raw(addr, head))
        .await
        .unwrap()
}

fn body_json(reply: &str) -> serde_json::Value {
    let body = reply.split("\r\n\r\n").nth(1).unwrap_or("");
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {reply}"))
}

#[tokio::test]
async fn a_foreign_host_gets_421_and_nothing_else() {
    let fx = Fixture::new("host").with_dist();
    let app = app_with(
        &fx,
        EdgeConfig {
            allowed_hosts: vec!["map.example.cn".into()],
            ..EdgeConfig::default()
        },
    );
    for host in [
        "evil.example",
        "evil.example:8080",
        "localhost.evil.example",
    ] {
        for uri in ["/", "/api/health", "/data/hazards.geojson", "/ws"] {
            let r = send(&app, get_with(uri, &[("host", host)])).await;
            let detail = r.assert_error(421, "unknown_host");
            assert!(detail.contains("allowed-host"), "{detail}");
            assert!(!r.text().contains("FeatureCollection"));
        }
    }
    for host in [
        "127.0.0.1:8080",
        "localhost:8080",
        "[::1]:8080",
        "MAP.example.cn",
    ] {
        let r = send(&app, get_with("/api/health", &[("host", host)])).await;
        assert_eq!(r.status, 200, "{host}: {}", r.text());
    }
    // In process (no socket) a request without Host is the tests' own.
    assert_eq!(send(&app, get("/api/health")).await.status, 200);

    // Over a socket HTTP/1.1 requires Host (RFC 9112).
    let addr = socket(app).await;
    let (status, reply) = raw_async(
        addr,
        "GET /api/health HTTP/1.1\r\nConnection: close\r\n\r\n".into(),
    )
    .await;
    assert_eq!(status, 400, "{reply}");
    assert_eq!(body_json(&reply)["error"], "missing_host");
    let (status, reply) = raw_async(
        addr,
        format!("GET /api/health HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"),
    )
    .await;
    assert_eq!(status, 200, "{reply}");
    let (status, reply) = raw_async(
        addr,
        "GET /api/health HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n".into(),
    )
    .await;
    assert_eq!(status, 421, "{reply}");
}

fn upgrade_headers(origin: Option<&str>) -> Vec<(&str, &str)> {
    let mut h = vec![
        ("host", "127.0.0.1:8080"),
        ("connection", "upgrade"),
        ("upgrade", "websocket"),
        ("sec-websocket-version", "13"),
        ("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="),
    ];
    if let Some(o) = origin {
        h.push(("origin", o));
    }
    h
}

#[tokio::test]
async fn ws_refuses_foreign_and_null_origins_over_a_socket() {
    let fx = Fixture::new("ws-origin").with_dist();
    let mut config = Config::new(fx.data.clone(), fx.dist.clone());
    config.edge = EdgeConfig {
        allowed_origins: vec!["https://wall.example.cn".into()],
        ..EdgeConfig::default()
    };
    let state = AppState::open(config).unwrap();
    let cookie = session_cookie(&state, Role::Viewer);
    let app = app(state);
    // In process the refusal comes before the upgrade is even looked at.
    for origin in [
        "http://evil.example",
        "null",
        "http://127.0.0.1:9999",
        "https://127.0.0.1:8080",
    ] {
        let r = send(&app, request("GET", "/ws", &upgrade_headers(Some(origin)))).await;
        r.assert_error(403, "origin_refused");
    }
    let addr = socket(app).await;
    let url = format!("ws://{addr}/ws");
    let with_origin = |origin: &str| {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let mut req = url.as_str().into_client_request().unwrap();
        req.headers_mut().insert("origin", origin.parse().unwrap());
        req.headers_mut().insert("cookie", cookie.parse().unwrap());
        req
    };
    for origin in ["http://evil.example", "null"] {
        match tokio_tungstenite::connect_async(with_origin(origin)).await {
            Err(tokio_tungstenite::tungstenite::Error::Http(res)) => {
                assert_eq!(res.status(), 403, "{origin}");
                let body = res.body().as_deref().unwrap_or_default();
                let v: serde_json::Value = serde_json::from_slice(body).unwrap();
                assert_eq!(v["error"], "origin_refused");
            }
            other => panic!("{origin}: expected 403, got {:?}", other.map(|_| ())),
        }
    }
    for origin in [
        format!("http://{addr}"),
        "https://wall.example.cn".to_string(),
    ] {
        let (ws, res) = tokio_tungstenite::connect_async(with_origin(&origin))
            .await
            .unwrap_or_else(|e| panic!("{origin}: {e}"));
        assert_eq!(res.status(), 101);
        drop(ws);
    }
    // No Origin: not a browser, nothing to hijack.
    let (ws, _) = {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let mut req = url.as_str().into_client_request().unwrap();
        req.headers_mut().insert("cookie", cookie.parse().unwrap());
        tokio_tungstenite::connect_async(req).await.unwrap()
    };
    drop(ws);
}

#[tokio::test]
async fn cookie_writes_need_same_origin_or_the_csrf_header() {
    let fx = Fixture::new("csrf").with_dist();
    let app = fx.app();
    let cookie = ("cookie", "pingan_session=abcdef");
    let host = ("host", "127.0.0.1:8080");
    let post = |headers: &[(&str, &str)]| request("POST", "/api/readings", headers);

    let r = send(&app, post(&[host, cookie])).await;
    let detail = r.assert_error(403, "csrf_required");
    assert!(detail.contains("X-Pingan-CSRF"), "{detail}");
    let r = send(
        &app,
        post(&[host, cookie, ("origin", "http://evil.example")]),
    )
    .await;
    r.assert_error(403, "origin_refused");
    let r = send(
        &app,
        post(&[
            host,
            cookie,
            ("origin", "http://evil.example"),
            ("x-pingan-csrf", "1"),
        ]),
    )
    .await;
    r.assert_error(403, "origin_refused");
    let r = send(&app, post(&[host, ("origin", "null")])).await;
    r.assert_error(403, "origin_refused");

    // Past the edge: the router's own answer (401 for the made-up
    // credentials, 403 `forbidden` for the viewer the fixture signs in,
    // never an edge refusal).
    for ok in [
        vec![host, cookie, ("x-pingan-csrf", "1")],
        vec![host, cookie, ("origin", "http://127.0.0.1:8080")],
        vec![
            host,
            ("authorization", "Bearer pk_x"),
            ("origin", "http://evil.example"),
        ],
        vec![host],
    ] {
        let r = send(&app, post(&ok)).await;
        assert_eq!(r.header("content-type"), Some("application/json"));
        let code = r.json()["error"].as_str().unwrap_or_default().to_string();
        assert!(
            !["csrf_required", "origin_refused"].contains(&code.as_str()),
            "{ok:?}: {}",
            r.text()
        );
    }
    // Reads are not writes.
    let r = send(
        &app,
        get_with(
            "/api/health",
            &[host, cookie, ("origin", "http://evil.example")],
        ),
    )
    .await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn no_cors_unless_configured() {
    let fx = Fixture::new("cors").with_dist();
    let preflight = |origin| {
        request(
            "OPTIONS",
            "/api/readings",
            &[
                ("origin", origin),
                ("access-control-request-method", "POST"),
                (
                    "access-control-request-headers",
                    "authorization, content-type",
                ),
            ],
        )
    };
    let r = send(&fx.app(), preflight("https://gateway.example.cn")).await;
    assert!(r.header("access-control-allow-origin").is_none());
    let r = send(
        &fx.app(),
        get_with("/api/health", &[("origin", "https://gateway.example.cn")]),
    )
    .await;
    assert!(r.header("access-control-allow-origin").is_none());

    let app = app_with(
        &fx,
        EdgeConfig {
            cors_origins: vec!["https://gateway.example.cn".into()],
            ..EdgeConfig::default()
        },
    );
    let r = send(&app, preflight("https://gateway.example.cn")).await;
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("https://gateway.example.cn")
    );
    assert!(r.header("access-control-allow-credentials").is_none());
    let r = send(&app, preflight("https://evil.example")).await;
    assert!(r.header("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let fx = Fixture::new("headers").with_dist();
    let app = fx.app();
    for uri in [
        "/",
        "/index.html",
        "/pingan-map-1a2b3c4d5e6f7a8b.js",
        "/data/hazards.geojson",
        "/api/health",
        "/api/nope",
        "/data/nope.geojson",
        "/api/cases/%C3%28",
    ] {
        let r = send(&app, get(uri)).await;
        let h = |n| r.header(n).unwrap_or_else(|| panic!("{uri}: no {n}"));
        assert_eq!(h("x-content-type-options"), "nosniff", "{uri}");
        assert_eq!(h("x-frame-options"), "DENY", "{uri}");
        assert_eq!(h("referrer-policy"), "no-referrer", "{uri}");
        assert_eq!(h("cross-origin-opener-policy"), "same-origin", "{uri}");
        let csp = h("content-security-policy");
        for d in [
            "default-src 'self'",
            "script-src 'self' 'wasm-unsafe-eval'",
            "connect-src 'self'",
            "worker-src 'self'",
            "frame-ancestors 'none'",
            "object-src 'none'",
        ] {
            assert!(csp.contains(d), "{uri}: {csp}");
        }
        assert!(!csp.contains("unsafe-inline"), "{uri}: {csp}");
    }
    // index.html: its inline loader, by hash, and only it.
    let r = send(&app, get("/")).await;
    let inline = INDEX_HTML
        .split("<script type=\"module\">")
        .nth(1)
        .and_then(|s| s.split("</script>").next())
        .unwrap();
    let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(inline));
    let csp = r.header("content-security-policy").unwrap();
    assert!(csp.contains(&format!("'sha256-{hash}'")), "{csp}");
    assert_eq!(csp.matches("'sha256-").count(), 1, "{csp}");
    // A 304 too.
    let etag = r.header("etag").unwrap().to_string();
    let r = send(&app, get_with("/", &[("if-none-match", &etag)])).await;
    assert_eq!(r.status, 304);
    assert!(r.header("content-security-policy").is_some());
}

/// The app's service worker (issue 10): served from dist/ as JavaScript,
/// revalidated on every update check (a new build's worker is picked up),
/// and allowed by the policy of the page that registers it.
#[tokio::test]
async fn the_service_worker_is_served_uncached_and_allowed_same_origin() {
    let fx = Fixture::new("sw").with_dist();
    let worker = "self.addEventListener('fetch', () => {});\n";
    std::fs::write(fx.dist.join("sw.js"), worker).unwrap();
    let app = fx.anonymous_app();
    let r = send(&app, get("/sw.js")).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.body, worker.as_bytes());
    assert_eq!(r.header("cache-control"), Some("no-cache"));
    assert_eq!(
        r.header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    // Revalidation: a 304 while unchanged, the new bytes once rebuilt.
    let etag = r.header("etag").expect("an ETag").to_string();
    let same = send(&app, get_with("/sw.js", &[("if-none-match", &etag)])).await;
    assert_eq!(same.status, 304);
    std::fs::write(fx.dist.join("sw.js"), "// v2\nself.skipWaiting();\n").unwrap();
    let next = send(&app, get_with("/sw.js", &[("if-none-match", &etag)])).await;
    assert_eq!(next.status, 200);
    assert!(next.text().contains("v2"));
    // The page that registers it allows a same-origin worker, and only that.
    let page = send(&app, get("/")).await;
    let csp = page.header("content-security-policy").unwrap();
    assert!(csp.contains("worker-src 'self'"), "{csp}");
    assert!(!csp.contains("worker-src 'self' "), "nothing else: {csp}");
}

#[tokio::test]
async fn framework_rejections_are_json() {
    let fx = Fixture::new("rejections").with_dist();
    // An operator, so that the permission check lets the path ids through.
    let state = fx.state();
    let operator = session_cookie(&state, Role::Operator);
    let app = signed_in(app(state), Credentials::cookie(operator));
    // Not UTF-8 once percent-decoded.
    for uri in [
        "/api/cases/%C3%28",
        "/api/cases/%FF/transitions",
        "/api/alerts/%C3%28/ack",
    ] {
        let method = if uri.ends_with("%28") && uri.starts_with("/api/cases") {
            "GET"
        } else {
            "POST"
        };
        let r = send(&app, request(method, uri, &[])).await;
        r.assert_error(400, "bad_request");
    }
    // Bad query strings.
    for uri in [
        "/api/cases?status=%FF",
        "/api/cases?limit=lots",
        "/api/cases?since=%C3%28",
        "/api/alerts?level=%",
    ] {
        let r = send(&app, get(uri)).await;
        assert!(r.status.is_client_error(), "{uri}: {}", r.status);
        assert_eq!(
            r.header("content-type"),
            Some("application/json"),
            "{uri}: {}",
            r.text()
        );
        r.json();
    }
    // Wrong methods.
    for (method, uri) in [
        ("DELETE", "/api/cases"),
        ("PUT", "/"),
        ("POST", "/data/hazards.geojson"),
        ("PATCH", "/ws"),
    ] {
        let r = send(&app, request(method, uri, &[])).await;
        r.assert_error(405, "method_not_allowed");
        assert!(r.header("allow").is_some());
    }
    // Oversized headers: ours (JSON) in process and over a socket.
    let big = "x".repeat(40 * 1024);
    let r = send(&app, get_with("/api/health", &[("x-big", &big)])).await;
    r.assert_error(431, "headers_too_large");
    let addr = socket(app).await;
    let (status, reply) = raw_async(
        addr,
        format!(
            "GET /api/health HTTP/1.1\r\nHost: {addr}\r\nX-Big: {big}\r\nConnection: close\r\n\r\n"
        ),
    )
    .await;
    assert_eq!(status, 431, "{}", &reply[..200.min(reply.len())]);
    assert_eq!(body_json(&reply)["error"], "headers_too_large");
    let (status, reply) = raw_async(
        addr,
        format!("GET /api/cases/%C3%28 HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"),
    )
    .await;
    assert_eq!(status, 400, "{reply}");
    assert_eq!(body_json(&reply)["error"], "bad_request");
}
