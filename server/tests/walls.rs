//! The wall's server side (issue 9): scenes pushed by an operator reach
//! every wall of the group over the stream within 500 ms, come back in a
//! replay (`since`) and in a fresh connection's snapshot; only `wall:drive`
//! pushes and clears; bad bodies are refused naming the field; the server
//! clock in `/api/clock`, the welcome and heartbeats; the build hash in
//! `/api/health` and the welcome, following `dist/index.html`; the public
//! audience on request (and always for a wall device); `/api/kpi` equal to
//! the model's recomputation at its seq.

mod common;

use axum::body::Body;
use axum::http::Request;
use axum::Router;
use common::people::{app_as, case_with_people, fixture, hazard_change, user, FUHAI};
use common::{send, signed_in, Credentials, Reply};
use futures_util::{SinkExt, StreamExt};
use pingan_model::access::Role;
use pingan_model::live::{Change, Scene, ServerMsg};
use pingan_model::privacy::mask_actor;
use pingan_server::hub::StreamConfig;
use pingan_server::store::AuditQuery;
use pingan_server::{app, AppState};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Every topic, scenes included (what a wall subscribes to).
const WALL_LAYERS: &str = r#"["cases","sensors","alerts","hazards","scenes"]"#;

/// The app over a real socket as `router` (one listener per reader).
async fn listen(router: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    addr
}

/// The app as a paired wall device.
fn app_as_device(state: &AppState) -> Router {
    let created = state.auth().create_device("大厅大屏").unwrap();
    let session = state
        .auth()
        .pair(&created.pairing_code, [10, 0, 0, 9].into())
        .unwrap();
    signed_in(
        app(state.clone()),
        Credentials::cookie(format!("pingan_session={}", session.token)),
    )
}

/// A stream on `path` (`/ws`, `/ws?audience=public`) with `hello`.
async fn open(addr: SocketAddr, path: &str, hello: Value) -> Ws {
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}{path}"))
        .await
        .unwrap();
    ws.send(Message::text(hello.to_string())).await.unwrap();
    ws
}

fn hello(since: Option<u64>, public: bool) -> Value {
    let mut h = json!({"type": "hello", "layers": serde_json::from_str::<Value>(WALL_LAYERS).unwrap(), "since": since});
    if public {
        h["public"] = json!(true);
    }
    h
}

/// The next server message (within 10 s), as JSON text and decoded.
async fn next(ws: &mut Ws) -> (String, ServerMsg) {
    loop {
        let m = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("a message in time")
            .expect("the stream is open")
            .unwrap();
        if let Message::Text(t) = m {
            let msg = serde_json::from_str(t.as_str())
                .unwrap_or_else(|e| panic!("undecodable {e}: {}", t.as_str()));
            return (t.as_str().to_string(), msg);
        }
    }
}

/// Messages until one matches; returns it and every text before it.
async fn until(ws: &mut Ws, what: &str, f: impl Fn(&ServerMsg) -> bool) -> (ServerMsg, String) {
    let mut seen = String::new();
    for _ in 0..10_000 {
        let (text, msg) = next(ws).await;
        seen.push_str(&text);
        seen.push('\n');
        if f(&msg) {
            return (msg, seen);
        }
    }
    panic!("no {what}: {seen}");
}

fn scene_event(m: &ServerMsg) -> Option<(&str, Option<&Scene>)> {
    match m {
        ServerMsg::Event(e) => match &e.change {
            Change::Scene { group, scene } => Some((group.as_str(), scene.as_ref())),
            _ => None,
        },
        _ => None,
    }
}

async fn clients(state: &AppState, n: u64) {
    for _ in 0..200 {
        if state.live().hub().stats().clients >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{n} clients never connected");
}

fn req(method: &str, uri: &str, body: Option<&str>) -> Request<Body> {
    let b = Request::builder().method(method).uri(uri);
    match body {
        Some(text) => b
            .header("content-type", "application/json")
            .body(Body::from(text.to_string()))
            .unwrap(),
        None => b.body(Body::empty()).unwrap(),
    }
}

async fn put_scene(app: &Router, group: &str, body: Value) -> Reply {
    let uri = format!("/api/walls/{}/scene", urlencode(group));
    send(app, req("PUT", &uri, Some(&body.to_string()))).await
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// A scene inside the fixture's district (its squares at 113.80–113.81, 22.60).
fn a_scene() -> Value {
    json!({
        "lon": 113.805, "lat": 22.6005, "zoom": 15.5,
        "layers": ["hazards", "sensors", "cases"],
        "highlight": {"layer": "hazards", "id": "YH000001"},
        "duration_s": 600
    })
}

fn short_stream() -> StreamConfig {
    StreamConfig {
        heartbeat: Duration::from_millis(300),
        ..StreamConfig::default()
    }
}

#[tokio::test]
async fn a_pushed_scene_reaches_two_walls_a_reconnect_and_a_fresh_wall() {
    let fx = fixture("walls-push");
    let state = fx.state();
    let operator = app_as(&state, Some(user(Role::Operator, None)));
    let device = listen(app_as_device(&state)).await;
    let viewer = listen(app_as(&state, Some(user(Role::Viewer, None)))).await;
    let head = state.live().hub().head();
    let mut walls = vec![
        open(device, "/ws", hello(Some(head), false)).await,
        open(viewer, "/ws", hello(Some(head), false)).await,
    ];
    // A desk client that does not name scenes never gets them.
    let mut desk = open(
        viewer,
        "/ws",
        json!({"type":"hello","layers":[],"since":head}),
    )
    .await;
    clients(&state, 3).await;
    for ws in walls.iter_mut().chain([&mut desk]) {
        let (m, _) = until(ws, "welcome", |m| matches!(m, ServerMsg::Welcome { .. })).await;
        assert!(matches!(m, ServerMsg::Welcome { replay: 0, .. }), "{m:?}");
    }

    let waits: Vec<_> = walls
        .drain(..)
        .map(|mut ws| {
            tokio::spawn(async move {
                let (m, _) = until(&mut ws, "the scene", |m| scene_event(m).is_some()).await;
                (Instant::now(), m, ws)
            })
        })
        .collect();
    let pushed_at = Instant::now();
    let r = put_scene(&operator, "大厅", a_scene()).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let stored: Scene = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(stored.group, "大厅");
    assert_eq!(stored.by, "指挥调度用户");
    assert_eq!(stored.duration_s, Some(600));
    assert_eq!(
        stored.highlight.as_ref().map(|h| h.id.as_str()),
        Some("YH000001")
    );
    let mut latencies = vec![];
    let mut walls = vec![];
    for w in waits {
        let (at, m, ws) = w.await.unwrap();
        let ms = at.duration_since(pushed_at).as_secs_f64() * 1000.0;
        latencies.push(ms);
        let (group, scene) = scene_event(&m).unwrap();
        assert_eq!(group, "大厅");
        let scene = scene.expect("a scene, not a clear");
        // Walls are a public audience: the pusher's name masked.
        assert_eq!(scene.by, mask_actor("指挥调度用户"));
        assert_eq!(
            (scene.lon, scene.zoom, scene.started_ms),
            (stored.lon, stored.zoom, stored.started_ms)
        );
        walls.push(ws);
    }
    eprintln!("scene push → two walls: {latencies:.1?} ms");
    assert!(
        latencies.iter().all(|ms| *ms < 500.0),
        "a wall got the scene after {latencies:?} ms"
    );
    let seq = state.live().hub().head();
    // The desk got nothing of it: the next event it gets is the next
    // data change.
    hazard_change(&state, "YH000002", "网格员").await;
    let (m, before) = until(&mut desk, "the hazard event", |m| {
        matches!(m, ServerMsg::Event(_))
    })
    .await;
    assert!(
        matches!(&m, ServerMsg::Event(e) if matches!(e.change, Change::HazardStatus { .. })),
        "{before}"
    );
    assert!(!before.contains("scene"), "{before}");

    // A wall reconnecting from before the push replays it.
    let mut again = open(device, "/ws", hello(Some(head), false)).await;
    let (w, _) = until(&mut again, "welcome", |m| {
        matches!(m, ServerMsg::Welcome { .. })
    })
    .await;
    // The scene and the hazard change after it.
    assert!(matches!(w, ServerMsg::Welcome { replay: 2, .. }), "{w:?}");
    let (m, _) = until(&mut again, "the replayed scene", |m| {
        scene_event(m).is_some()
    })
    .await;
    match m {
        ServerMsg::Event(e) => assert_eq!(e.seq, seq),
        other => panic!("{other:?}"),
    }
    // A fresh wall (a reload) finds it in the snapshot, masked.
    let mut fresh = open(device, "/ws", hello(None, false)).await;
    let (m, _) = until(&mut fresh, "a snapshot", |m| {
        matches!(m, ServerMsg::Snapshot { .. })
    })
    .await;
    let ServerMsg::Snapshot { snapshot, .. } = m else {
        unreachable!()
    };
    assert_eq!(snapshot.seq, seq + 1);
    assert_eq!(snapshot.scenes.len(), 1, "{:?}", snapshot.scenes);
    assert_eq!(snapshot.scenes[0].started_ms, stored.started_ms);
    assert_eq!(snapshot.scenes[0].by, mask_actor("指挥调度用户"));
    // A desk's snapshot has no scenes.
    let mut desk2 = open(viewer, "/ws", json!({"type":"hello","layers":[]})).await;
    let (m, _) = until(&mut desk2, "a snapshot", |m| {
        matches!(m, ServerMsg::Snapshot { .. })
    })
    .await;
    assert!(matches!(m, ServerMsg::Snapshot { snapshot, .. } if snapshot.scenes.is_empty()));

    // GET: the current scene, masked for a viewer, as stored for the operator.
    let viewer_app = app_as(&state, Some(user(Role::Viewer, None)));
    let r = send(
        &viewer_app,
        common::get("/api/walls/%E5%A4%A7%E5%8E%85/scene"),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["by"], mask_actor("指挥调度用户"));
    let r = send(
        &operator,
        common::get("/api/walls/%E5%A4%A7%E5%8E%85/scene"),
    )
    .await;
    assert_eq!(r.json()["by"], "指挥调度用户");
    let r = send(
        &operator,
        common::get("/api/walls/%E5%A4%A7%E5%8E%85/scene?audience=public"),
    )
    .await;
    assert_eq!(r.json()["by"], mask_actor("指挥调度用户"));
    send(&operator, common::get("/api/walls/other/scene"))
        .await
        .assert_error(404, "no_scene");

    // Clearing: 204, every wall gets the clear, then there is none.
    let r = send(
        &operator,
        req("DELETE", "/api/walls/%E5%A4%A7%E5%8E%85/scene", None),
    )
    .await;
    assert_eq!(r.status, 204, "{}", r.text());
    for ws in walls.iter_mut().chain([&mut again, &mut fresh]) {
        let (m, _) = until(ws, "the clear", |m| scene_event(m).is_some()).await;
        assert_eq!(scene_event(&m), Some(("大厅", None)));
    }
    send(
        &viewer_app,
        common::get("/api/walls/%E5%A4%A7%E5%8E%85/scene"),
    )
    .await
    .assert_error(404, "no_scene");
    send(
        &operator,
        req("DELETE", "/api/walls/%E5%A4%A7%E5%8E%85/scene", None),
    )
    .await
    .assert_error(404, "no_scene");

    // Both writes are audited, with the group; the unmasked read too.
    let log = state
        .live()
        .store()
        .audit_query(&AuditQuery {
            limit: 50,
            ..AuditQuery::default()
        })
        .unwrap();
    let actions: Vec<(&str, &str)> = log
        .iter()
        .map(|r| (r.entry.action.as_str(), r.entry.target.as_str()))
        .collect();
    for want in [
        ("wall.scene_push", "walls/大厅"),
        ("wall.scene_clear", "walls/大厅"),
        ("wall.scene_read_unmasked", "walls/大厅"),
    ] {
        assert!(actions.contains(&want), "{want:?} not in {actions:?}");
    }
}

#[tokio::test]
async fn only_wall_drive_pushes_and_bad_bodies_name_the_field() {
    let fx = fixture("walls-refuse");
    let state = fx.state();
    let head = state.live().hub().head();
    for app in [
        app_as(&state, Some(user(Role::Viewer, None))),
        app_as(&state, Some(user(Role::Officer, None))),
        app_as_device(&state),
    ] {
        let r = put_scene(&app, "default", a_scene()).await;
        let d = r.assert_error_with_permission(403, "wall:drive");
        assert!(d.contains("wall:drive"), "{d}");
        let r = send(&app, req("DELETE", "/api/walls/default/scene", None)).await;
        r.assert_error_with_permission(403, "wall:drive");
    }
    let anonymous = app_as(&state, None);
    put_scene(&anonymous, "default", a_scene())
        .await
        .assert_error(401, "unauthenticated");

    let op = app_as(&state, Some(user(Role::Operator, None)));
    let with = |f: &dyn Fn(&mut Value)| {
        let mut s = a_scene();
        f(&mut s);
        s
    };
    // Shape: 400 bad_request naming the field.
    for (body, field) in [
        (
            with(&|s| drop(s.as_object_mut().unwrap().remove("lon"))),
            "lon",
        ),
        (with(&|s| s["lat"] = json!("north")), "lat"),
        (with(&|s| s["colour"] = json!("red")), "colour"),
        (with(&|s| s["duration_s"] = json!(-5)), "duration_s"),
        (
            with(&|s| s["highlight"] = json!({"layer": "hazards"})),
            "highlight.id",
        ),
        (with(&|s| s["layers"] = json!("hazards")), "layers"),
    ] {
        let r = put_scene(&op, "default", body.clone()).await;
        let d = r.assert_error(400, "bad_request");
        assert!(d.starts_with(field), "{body} → {d}");
    }
    // Values: 422 invalid naming the field.
    for (body, field) in [
        (with(&|s| s["zoom"] = json!(21)), "zoom"),
        (with(&|s| s["zoom"] = json!(7.5)), "zoom"),
        (with(&|s| s["lon"] = json!(114.5)), "lon"),
        (with(&|s| s["lat"] = json!(22.0)), "lat"),
        (
            with(&|s| s["layers"] = json!(["hazards", "roads"])),
            "layers[1]",
        ),
        (
            with(&|s| s["highlight"]["layer"] = json!("nope")),
            "highlight.layer",
        ),
        (with(&|s| s["highlight"]["id"] = json!("")), "highlight.id"),
        (with(&|s| s["duration_s"] = json!(4)), "duration_s"),
        (with(&|s| s["duration_s"] = json!(86_401)), "duration_s"),
    ] {
        let r = put_scene(&op, "default", body.clone()).await;
        let d = r.assert_error(422, "invalid");
        assert!(d.starts_with(field), "{body} → {d}");
    }
    // A bad group in the path; no JSON; not an object.
    for group in ["a b", "x/y", &"长".repeat(41)] {
        let r = put_scene(&op, group, a_scene()).await;
        let d = r.assert_error(400, "bad_request");
        assert!(d.starts_with("group"), "{group:?} → {d}");
    }
    let r = send(&op, req("PUT", "/api/walls/default/scene", None)).await;
    r.assert_error(415, "unsupported_media_type");
    let r = send(&op, req("PUT", "/api/walls/default/scene", Some("[1,2]"))).await;
    r.assert_error(400, "bad_json");
    assert_eq!(state.live().hub().head(), head, "nothing stored");
    // Lasting until cleared, no layers, a CJK group: fine.
    let r = put_scene(
        &op,
        "宝安-1_大厅",
        json!({"lon": 113.8, "lat": 22.6, "zoom": 8, "duration_s": null}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["duration_s"], Value::Null);
    assert_eq!(r.json()["layers"], json!([]));
}

#[tokio::test]
async fn the_server_clock_is_in_the_api_the_welcome_and_every_heartbeat() {
    let fx = fixture("walls-clock");
    let state = fx.state();
    state.live().hub().configure(short_stream());
    let anonymous = app_as(&state, None);
    let before = pingan_server::clock::now_ms();
    let r = send(&anonymous, common::get("/api/clock")).await;
    let after = pingan_server::clock::now_ms();
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("cache-control"), Some("no-store"));
    let now = r.json()["now_ms"].as_i64().expect("now_ms");
    assert!(
        (before..=after).contains(&now),
        "{before} ≤ {now} ≤ {after}"
    );

    let addr = listen(app_as_device(&state)).await;
    let mut ws = open(addr, "/ws", hello(None, false)).await;
    let (text, m) = next(&mut ws).await;
    let ServerMsg::Welcome {
        now_ms,
        server_time_ms,
        ..
    } = m
    else {
        panic!("{text}")
    };
    assert!(text.contains("\"now_ms\":"), "{text}");
    assert_eq!(now_ms, server_time_ms);
    assert!(now_ms >= after && now_ms <= pingan_server::clock::now_ms());
    let mut last = now_ms;
    for _ in 0..2 {
        let (m, _) = until(&mut ws, "a heartbeat", |m| {
            matches!(m, ServerMsg::Heartbeat { .. })
        })
        .await;
        let ServerMsg::Heartbeat { now_ms, .. } = m else {
            unreachable!()
        };
        assert!(now_ms > last, "the clock moves: {last} → {now_ms}");
        last = now_ms;
    }
}

#[tokio::test]
async fn the_build_hash_follows_dist_index_html() {
    let fx = fixture("walls-build");
    let state = fx.state();
    let anonymous = app_as(&state, None);
    let build = |r: Reply| r.json()["build"].clone();
    // No dist: null.
    assert_eq!(
        build(send(&anonymous, common::get("/api/health")).await),
        Value::Null
    );
    std::fs::create_dir_all(&fx.dist).unwrap();
    std::fs::write(fx.dist.join("index.html"), common::INDEX_HTML).unwrap();
    let first = build(send(&anonymous, common::get("/api/health")).await);
    assert_eq!(
        first,
        json!(pingan_server::build::of_bytes(
            common::INDEX_HTML.as_bytes()
        ))
    );
    assert_eq!(first.as_str().unwrap().len(), 16);
    let welcome_build = |addr| async move {
        let mut ws = open(addr, "/ws", hello(None, false)).await;
        match next(&mut ws).await.1 {
            ServerMsg::Welcome { build, .. } => build,
            other => panic!("{other:?}"),
        }
    };
    let addr = listen(app_as_device(&state)).await;
    assert_eq!(welcome_build(addr).await.as_deref(), first.as_str());
    // A new build (same length: only the content differs).
    let next_html = common::INDEX_HTML.replace("1a2b3c4d", "9f8e7d6c");
    assert_eq!(next_html.len(), common::INDEX_HTML.len());
    std::fs::write(fx.dist.join("index.html"), &next_html).unwrap();
    let second = build(send(&anonymous, common::get("/api/health")).await);
    assert_ne!(second, first);
    assert_eq!(
        second,
        json!(pingan_server::build::of_bytes(next_html.as_bytes()))
    );
    assert_eq!(welcome_build(addr).await.as_deref(), second.as_str());
    // The page as served hashes to it.
    let page = send(&anonymous, common::get("/")).await;
    assert_eq!(
        json!(pingan_server::build::of_bytes(&page.body)),
        second,
        "the hash is of the page as served"
    );
}

#[tokio::test]
async fn a_public_audience_masks_an_operators_stream_and_answers() {
    let fx = fixture("walls-public");
    // A gas sensor in 福海 (its alert is acknowledged by a person below).
    fx.write(
        "sensors.geojson",
        r#"{"type":"FeatureCollection","features":[{"type":"Feature","id":"S0001","geometry":{"type":"Point","coordinates":[113.805,22.6005]},"properties":{"id":"S0001","type":"gas","value":1.0,"name":"燃气监测 1","subdistrict":"福海街道"}}]}"#
            .as_bytes(),
    );
    let state = fx.state();
    let operator = user(Role::Operator, None);
    let addr = listen(app_as(&state, Some(operator.clone()))).await;
    let device = listen(app_as_device(&state)).await;
    let head = state.live().hub().head();
    let mut own = open(addr, "/ws", hello(Some(head), false)).await;
    let mut public_hello = open(addr, "/ws", hello(Some(head), true)).await;
    let mut public_query = open(addr, "/ws?audience=public", hello(Some(head), false)).await;
    let mut wall = open(device, "/ws", hello(Some(head), false)).await;
    clients(&state, 4).await;
    let people = ["李小龙", "王芳", "赵六"];
    let mut n = case_with_people(&state, FUHAI, "李小龙", "王芳")
        .await
        .len();
    n += hazard_change(&state, "YH000001", "赵六").await.len();
    let last = head + n as u64;
    let upto = |m: &ServerMsg| matches!(m, ServerMsg::Event(e) if e.seq == last);
    let (_, text) = until(&mut own, "the events", upto).await;
    for p in people {
        assert!(
            text.contains(p),
            "the operator's own stream lacks {p}: {text}"
        );
    }
    for (ws, what) in [
        (&mut public_hello, "hello public: true"),
        (&mut public_query, "/ws?audience=public"),
        (&mut wall, "a wall device"),
    ] {
        let (_, text) = until(ws, "the events", upto).await;
        for p in people {
            assert!(!text.contains(p), "{what} shows {p}: {text}");
        }
        assert!(
            text.contains("李**") && text.contains("赵*"),
            "{what}: {text}"
        );
    }
    // Only the operator's own stream was a personal one (audited).
    let opened = state
        .live()
        .store()
        .audit_query(&AuditQuery {
            action: Some("ws.open_personal".into()),
            limit: 10,
            ..AuditQuery::default()
        })
        .unwrap();
    assert_eq!(opened.len(), 1, "{opened:?}");

    // The HTTP answers a wall reads.
    let op = app_as(&state, Some(operator));
    // An alarm, acknowledged by the operator (a person's name on the alert).
    let cmd = pingan_server::store::Command::Readings {
        readings: vec![pingan_model::live::ReadingIn {
            sensor: "S0001".into(),
            value: 80.0,
            at: None,
        }],
        by: pingan_server::store::Actor::system("test"),
        at: pingan_server::clock::now_s(),
    };
    let events = state.live().execute(cmd).await.unwrap();
    let id = events
        .into_iter()
        .find_map(|e| match e.change {
            Change::Alert { alert, .. } => Some(alert.id),
            _ => None,
        })
        .expect("the reading raises an alarm");
    let r = send(
        &op,
        req("POST", &format!("/api/alerts/{id}/ack"), Some("{}")),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let name = "指挥调度用户";
    let r = send(&op, common::get("/api/live")).await;
    assert!(r.text().contains("赵六"), "{}", r.text());
    let r = send(&op, common::get("/api/live?audience=public")).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(
        !r.text().contains("赵六") && r.text().contains("赵*"),
        "{}",
        r.text()
    );
    assert!(!r.text().contains(name), "{}", r.text());
    let r = send(&op, common::get("/api/alerts?audience=public")).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(!r.text().contains(name), "{}", r.text());
    assert!(r.text().contains(&mask_actor(name)), "{}", r.text());
    let own = send(&op, common::get("/api/alerts")).await;
    assert!(own.text().contains(name), "{}", own.text());
    let r = send(&op, common::get("/api/cases.bin?audience=public")).await;
    assert_eq!(r.status, 200, "{}", r.text());
    for bad in [
        "/api/live?audience=everyone",
        "/api/alerts?audience=",
        "/api/cases.bin?audience=personal",
        "/api/cases.bin?x=1",
    ] {
        let r = send(&op, common::get(bad)).await;
        r.assert_error(400, "bad_request");
    }
    let r = send(&op, common::get("/ws?audience=all")).await;
    let d = r.assert_error(400, "bad_request");
    assert!(d.starts_with("audience"), "{d}");
    // A device's own answers are public: no name either.
    let dev = app_as_device(&state);
    let r = send(&dev, common::get("/api/live")).await;
    assert!(!r.text().contains("赵六"), "{}", r.text());
}

trait ForbiddenCheck {
    fn assert_error_with_permission(&self, status: u16, permission: &str) -> String;
}

impl ForbiddenCheck for Reply {
    /// A 403 naming the missing permission.
    fn assert_error_with_permission(&self, status: u16, permission: &str) -> String {
        assert_eq!(self.status.as_u16(), status, "{}", self.text());
        let v = self.json();
        assert_eq!(v["error"], "forbidden", "{v}");
        assert_eq!(v["permission"], permission, "{v}");
        v["detail"].as_str().unwrap().to_string()
    }
}
