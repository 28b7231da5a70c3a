//! Limits per client (`server/src/http/limits.rs`, `timeout.rs`,
//! `serve.rs`): a burst of reports meets 429 + `Retry-After` while every
//! accepted report is stored and reads stay served; WebSocket connections
//! are capped per identity (429) and in total (503) before upgrading, and a
//! closed one frees its place; half-sent and idle connections are closed
//! within the header timeout (slowloris); a body that never finishes gets
//! 408 JSON.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use common::*;
use geo::InteriorPoint;
use pingan_model::access::Role;
use pingan_model::geojson_io::{parse_feature_collection, Geom};
use pingan_server::http::EdgeConfig;
use pingan_server::serve::{serve, ServeOptions};
use pingan_server::{app, AppState, Config};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::time::{Duration, Instant};
use tower::ServiceExt;

/// A data dir with the real grids and dispatch rules (reports are located
/// and routed), nothing else.
fn live_fixture(name: &str) -> (Fixture, [f64; 2]) {
    let fx = Fixture::empty(name);
    let data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../data");
    for f in ["grids.geojson", "dispatch_rules.json"] {
        let src = data.join(f);
        assert!(
            src.is_file(),
            "{} is missing: generate the data first",
            src.display()
        );
        std::fs::copy(&src, fx.data.join(f)).unwrap();
    }
    let text = std::fs::read_to_string(fx.data.join("grids.geojson")).unwrap();
    let features = parse_feature_collection(&text).unwrap();
    let Geom::Area(mp) = &features[0].geometry else {
        panic!("grid 0 is not an area")
    };
    let p = mp.interior_point().unwrap();
    (fx, [p.x(), p.y()])
}

fn state_with(fx: &Fixture, edge: EdgeConfig) -> AppState {
    let mut config = Config::new(fx.data.clone(), fx.dist.clone());
    config.edge = edge;
    AppState::open(config).unwrap()
}

fn report(p: [f64; 2], i: usize, cookie: &str) -> Request<Body> {
    let body = serde_json::json!({"category": "dispute", "lon": p[0], "lat": p[1],
        "description": format!("楼上噪音扰民 {i}"), "reporter": "网格员 张三"});
    Request::builder()
        .method("POST")
        .uri("/api/cases")
        .header("content-type", "application/json")
        .header("cookie", cookie)
        .header("x-pingan-csrf", "1")
        .body(Body::from(body.to_string()))
        .unwrap()
}

#[tokio::test]
async fn a_burst_of_1000_reports_is_limited_and_nothing_accepted_is_lost() {
    let (fx, p) = live_fixture("burst");
    let state = state_with(&fx, EdgeConfig::default());
    let officer = session_cookie(&state, Role::Officer);
    let app = app(state.clone());
    let before = state.live().store().counts().unwrap().cases;
    let started = Instant::now();
    let tasks: Vec<_> = (0..1000)
        .map(|i| {
            let app = app.clone();
            let officer = officer.clone();
            tokio::spawn(async move { send(&app, report(p, i, &officer)).await })
        })
        .collect();
    // Reads while the writes are held back.
    let reader = {
        let app = app.clone();
        let officer = officer.clone();
        tokio::spawn(async move {
            let mut statuses = Vec::new();
            for uri in [
                "/api/health",
                "/api/cases?limit=5",
                "/api/live",
                "/api/alerts",
            ] {
                let req = get_with(uri, &[("cookie", &officer)]);
                statuses.push(send(&app, req).await.status);
            }
            statuses
        })
    };
    let mut accepted = Vec::new();
    let mut limited = 0;
    for t in tasks {
        let r = t.await.unwrap();
        match r.status {
            StatusCode::CREATED => accepted.push(r.json()["id"].as_u64().unwrap()),
            StatusCode::TOO_MANY_REQUESTS => {
                limited += 1;
                r.assert_error(429, "rate_limited");
                let wait: u64 = r.header("retry-after").unwrap().parse().unwrap();
                assert!((1..=60).contains(&wait), "Retry-After {wait}");
            }
            other => panic!("unexpected {other}: {}", r.text()),
        }
    }
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "1000 reports in {secs:.2} s: {} accepted, {limited} limited",
        accepted.len()
    );
    assert!(limited >= 700, "{limited} limited");
    // The burst (100) plus 20/s for the time it took, give or take one.
    assert!(accepted.len() >= 100, "{}", accepted.len());
    assert!(
        accepted.len() as f64 <= 101.0 + 20.0 * secs,
        "{}",
        accepted.len()
    );
    for s in reader.await.unwrap() {
        assert_eq!(s, StatusCode::OK);
    }
    // Every accepted report is stored, and only those.
    let after = state.live().store().counts().unwrap().cases;
    assert_eq!(after - before, accepted.len() as u64);
    for id in accepted.iter().take(20) {
        let r = send(
            &app,
            get_with(&format!("/api/cases/{id}"), &[("cookie", &officer)]),
        )
        .await;
        assert_eq!(r.status, 200, "{id}");
    }
    // Another identity (another session) still has its own budget.
    let other = session_cookie(&state, Role::Operator);
    let r = app.clone().oneshot(report(p, 9999, &other)).await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
}

async fn socket(app: Router, options: ServeOptions) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(serve(listener, app, options, std::future::pending()));
    addr
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn open_ws(
    addr: SocketAddr,
    cookie: Option<&str>,
) -> Result<Ws, (u16, serde_json::Value, Option<String>)> {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut req = format!("ws://{addr}/ws").into_client_request().unwrap();
    if let Some(c) = cookie {
        req.headers_mut().insert("cookie", c.parse().unwrap());
    }
    match tokio_tungstenite::connect_async(req).await {
        Ok((ws, _)) => Ok(ws),
        Err(tokio_tungstenite::tungstenite::Error::Http(res)) => {
            let body = res.body().as_deref().unwrap_or_default();
            let v = serde_json::from_slice(body).unwrap_or(serde_json::Value::Null);
            let retry = res
                .headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap().to_string());
            Err((res.status().as_u16(), v, retry))
        }
        Err(e) => panic!("{e}"),
    }
}

#[tokio::test]
async fn websockets_are_capped_per_identity_and_in_total_before_upgrading() {
    let fx = Fixture::new("ws-caps");
    let state = state_with(
        &fx,
        EdgeConfig {
            ws_per_identity: 3,
            ws_total: 5,
            ..EdgeConfig::default()
        },
    );
    let (viewer, planner, officer) = (
        session_cookie(&state, Role::Viewer),
        session_cookie(&state, Role::Planner),
        session_cookie(&state, Role::Officer),
    );
    let (viewer, planner, officer) = (
        Some(viewer.as_str()),
        Some(planner.as_str()),
        Some(officer.as_str()),
    );
    let addr = socket(app(state), ServeOptions::default()).await;
    let mut mine = Vec::new();
    for _ in 0..3 {
        mine.push(open_ws(addr, viewer).await.unwrap());
    }
    let (status, body, retry) = open_ws(addr, viewer).await.expect_err("over the cap");
    assert_eq!(status, 429);
    assert_eq!(body["error"], "too_many_connections");
    assert!(retry.is_some());
    let mut theirs = Vec::new();
    for _ in 0..2 {
        theirs.push(open_ws(addr, planner).await.unwrap());
    }
    let (status, body, _) = open_ws(addr, officer).await.expect_err("total");
    assert_eq!(status, 503);
    assert_eq!(body["error"], "too_many_connections");
    // A closed connection frees its place (once the server has seen it go).
    let mut ws = mine.pop().unwrap();
    ws.close(None).await.unwrap();
    drop(ws);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match open_ws(addr, viewer).await {
            Ok(ws) => {
                mine.push(ws);
                break;
            }
            Err(e) if Instant::now() < deadline => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => panic!("the place was not freed: {e:?}"),
        }
    }
}

#[tokio::test]
async fn half_sent_and_idle_connections_are_closed_within_the_header_timeout() {
    let fx = Fixture::new("slowloris");
    let options = ServeOptions {
        header_timeout: Duration::from_secs(1),
        ..ServeOptions::default()
    };
    let addr = socket(app(state_with(&fx, EdgeConfig::default())), options).await;
    let results = tokio::task::spawn_blocking(move || {
        let started = Instant::now();
        let mut conns: Vec<TcpStream> = (0..300)
            .map(|i| {
                let mut s = TcpStream::connect(addr).unwrap();
                if i % 3 != 0 {
                    // Half a request; every third sends nothing at all.
                    s.write_all(
                        format!("GET /api/health HTTP/1.1\r\nHost: {addr}\r\nX-A: ").as_bytes(),
                    )
                    .unwrap();
                }
                s
            })
            .collect();
        // A kept-alive connection after one full request is idle too.
        let mut kept = TcpStream::connect(addr).unwrap();
        kept.write_all(format!("GET /api/health HTTP/1.1\r\nHost: {addr}\r\n\r\n").as_bytes())
            .unwrap();
        conns.push(kept);
        let deadline = started + Duration::from_secs(5);
        conns
            .iter_mut()
            .map(|s| {
                let left = deadline.saturating_duration_since(Instant::now());
                s.set_read_timeout(Some(left.max(Duration::from_millis(1))))
                    .unwrap();
                let mut buf = Vec::new();
                let closed = s.read_to_end(&mut buf).is_ok();
                (closed, started.elapsed())
            })
            .collect::<Vec<_>>()
    })
    .await
    .unwrap();
    let open = results.iter().filter(|(closed, _)| !closed).count();
    let slowest = results.iter().map(|(_, t)| *t).max().unwrap();
    eprintln!("301 slow connections: all closed after {slowest:?}");
    assert_eq!(open, 0, "{open} connections still open after 5 s");
    assert!(slowest < Duration::from_secs(4), "{slowest:?}");
}

#[tokio::test]
async fn a_body_that_never_finishes_gets_408_json() {
    let fx = Fixture::new("slow-body");
    let state = state_with(
        &fx,
        EdgeConfig {
            request_timeout: Duration::from_secs(1),
            ..EdgeConfig::default()
        },
    );
    // A gateway's key: past the permission check, the handler reads the body.
    let key = readings_key(&state);
    let addr = socket(app(state), ServeOptions::default()).await;
    let (took, reply) = tokio::task::spawn_blocking(move || {
        let mut s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let started = Instant::now();
        s.write_all(
            format!(
                "POST /api/readings HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
                 Authorization: Bearer {key}\r\nContent-Length: 100\r\n\r\n{{\"readings\":"
            )
            .as_bytes(),
        )
        .unwrap();
        let mut all = Vec::new();
        let _ = s.read_to_end(&mut all);
        (
            started.elapsed(),
            String::from_utf8_lossy(&all).into_owned(),
        )
    })
    .await
    .unwrap();
    assert!(reply.starts_with("HTTP/1.1 408"), "{reply}");
    assert!(reply.contains("\"error\":\"timeout\""), "{reply}");
    assert!(took < Duration::from_secs(3), "{took:?}");
}
