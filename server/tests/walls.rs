//! The wall's server side (issue 9): scenes pushed by an operator reach
//! every wall of the group over the stream within 500 ms, come back in a
//! replay (`since`) and in a fresh connection's snapshot; only `wall:drive`
//! pushes and clears; bad bodies are refused naming the field; the server
//! clock in `/api/clock`, the welcome and heartbeats; the build hash in
//! `/api/health` and the welcome, following `dist/index.html`; the public
//! audience on request (and always for a wall device); `/api/kpi` equal to
//! the model's recomputation at its seq; `/api/cases/urgent` (the urgent
//! cases a wall loading takes the focus on) masked, with acceptance times.

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

// ---------------------------------------------------------------------------
// GET /api/kpi on the generated data
// ---------------------------------------------------------------------------

/// The files the KPI test needs from data/.
const KPI_FILES: &[&str] = &[
    "grids.geojson",
    "sensors.geojson",
    "hazards.geojson",
    "subdistricts.geojson",
    "cases_recent.bin",
    "dispatch_rules.json",
];

fn repo_data() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../data")
}

/// A data dir with the generated files, its store seeded.
fn real_data(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("pingan-walls-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for f in KPI_FILES {
        let src = repo_data().join(f);
        assert!(
            src.is_file(),
            "{} is missing: generate the data first (cargo run --release -p pingan-datagen)",
            src.display()
        );
        std::fs::copy(&src, dir.join(f)).unwrap();
    }
    dir
}

fn features(dir: &std::path::Path, file: &str) -> Vec<Value> {
    let v: Value = serde_json::from_slice(&std::fs::read(dir.join(file)).unwrap()).unwrap();
    v["features"].as_array().unwrap().clone()
}

/// The KPIs and safety index recomputed from scratch: every row of the
/// store read with plain SQL (every case, every history entry, every alert),
/// the places from the files, then the model's functions at `now`. Nothing
/// of the server's selection or queries is used.
fn recompute(
    dir: &std::path::Path,
    now: i64,
) -> (
    u64,
    pingan_model::wall::kpi::Kpis,
    Vec<pingan_model::wall::safety::SafetyRow>,
) {
    use pingan_model::cases::{CaseRecord, DeptSet};
    use pingan_model::domain::{CaseCategory, CaseStatus, Department, HazardStatus, SensorType};
    use pingan_model::live::{Alert, Level};
    use pingan_model::wall::kpi::{HazardIn, KpiInputs, Kpis, SensorIn};
    use pingan_model::wall::safety::{safety_index, AlarmIn, Area, SafetyInputs};
    use std::collections::HashMap;
    let db = rusqlite::Connection::open(dir.join("live.sqlite")).unwrap();
    let seq: i64 = db
        .query_row("SELECT COALESCE(MAX(seq), 0) FROM events", [], |r| r.get(0))
        .unwrap();
    let cases: Vec<CaseRecord> = db
        .prepare("SELECT id, reported_at, lon, lat, grid_index, category, status, departments, deadline FROM cases")
        .unwrap()
        .query_map([], |r| {
            let time: i64 = r.get(1)?;
            let grid: Option<i64> = r.get(4)?;
            let depts: String = r.get(7)?;
            let deadline: i64 = r.get(8)?;
            Ok(CaseRecord {
                id: r.get(0)?,
                time,
                lon: r.get(2)?,
                lat: r.get(3)?,
                grid: grid.map_or(u16::MAX, |g| g as u16),
                category: CaseCategory::from_code(&r.get::<_, String>(5)?).unwrap(),
                status: CaseStatus::from_code(&r.get::<_, String>(6)?).unwrap(),
                departments: DeptSet::of(
                    &depts
                        .split(',')
                        .filter_map(Department::from_code)
                        .collect::<Vec<_>>(),
                ),
                deadline_hours: CaseRecord::deadline_hours(time, deadline),
            })
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut first_close: HashMap<u32, i64> = HashMap::new();
    let mut stmt = db
        .prepare("SELECT case_id, to_status, at FROM case_transitions ORDER BY id")
        .unwrap();
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, u32>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })
        .unwrap();
    for row in rows {
        let (id, to, at) = row.unwrap();
        if !CaseStatus::from_code(&to).unwrap().is_open() {
            let e = first_close.entry(id).or_insert(at);
            *e = (*e).min(at);
        }
    }
    let mut closes: Vec<(u32, i64)> = first_close.into_iter().collect();
    closes.sort();
    let oldest = cases.iter().map(|c| c.time).min().unwrap();
    let alerts: Vec<Alert> = db
        .prepare("SELECT id, sensor, type, level, peak, lon, lat, raised_at, cleared_at, acked_at, acked_by, alarm_at_ms FROM alerts")
        .unwrap()
        .query_map([], |r| {
            Ok(Alert {
                id: r.get::<_, i64>(0)? as u64,
                sensor: r.get(1)?,
                sensor_type: SensorType::from_code(&r.get::<_, String>(2)?).unwrap(),
                level: Level::from_code(&r.get::<_, String>(3)?).unwrap(),
                peak: r.get(4)?,
                lon: r.get(5)?,
                lat: r.get(6)?,
                raised_at: r.get(7)?,
                cleared_at: r.get(8)?,
                acked_at: r.get(9)?,
                acked_by: r.get(10)?,
                alarm_at_ms: r.get(11)?,
            })
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let sensors: Vec<SensorIn> = db
        .prepare("SELECT id, type, at FROM sensors")
        .unwrap()
        .query_map([], |r| {
            Ok(SensorIn {
                id: r.get(0)?,
                sensor_type: SensorType::from_code(&r.get::<_, String>(1)?).unwrap(),
                last_at: Some(r.get(2)?),
            })
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    // Places, from the files.
    let subs = features(dir, "subdistricts.geojson");
    let areas: Vec<Area> = subs
        .iter()
        .map(|f| {
            let p = &f["properties"];
            Area {
                code: p["code"].as_str().unwrap().into(),
                name: p["name"].as_str().unwrap().into(),
                name_en: p["name_en"].as_str().unwrap().into(),
                population: p["population"].as_f64().unwrap(),
                area_km2: p["area_km2"].as_f64().unwrap(),
            }
        })
        .collect();
    let area_of = |v: &Value| {
        v["properties"]["subdistrict"]
            .as_str()
            .and_then(|n| areas.iter().position(|a| a.name == n))
    };
    let grid_area: Vec<Option<usize>> =
        features(dir, "grids.geojson").iter().map(area_of).collect();
    let sensor_area: HashMap<String, Option<usize>> = features(dir, "sensors.geojson")
        .iter()
        .map(|f| {
            (
                f["properties"]["id"].as_str().unwrap().to_string(),
                area_of(f),
            )
        })
        .collect();
    let mut site: HashMap<String, (i64, Option<usize>)> = HashMap::new();
    for f in features(dir, "hazards.geojson") {
        let p = &f["properties"];
        let (y, m, d) = {
            let s = p["found"].as_str().unwrap();
            let mut it = s.split('-').map(|x| x.parse::<i64>().unwrap());
            (it.next().unwrap(), it.next().unwrap(), it.next().unwrap())
        };
        site.insert(
            p["id"].as_str().unwrap().into(),
            (
                pingan_model::time::cst_midnight(y, m as u32, d as u32),
                area_of(&f),
            ),
        );
    }
    let hazards: Vec<HazardIn> = db
        .prepare("SELECT id, status, changed_at FROM hazards")
        .unwrap()
        .query_map([], |r| {
            let id: String = r.get(0)?;
            let (found, area) = site[&id];
            Ok(HazardIn {
                status: HazardStatus::from_code(&r.get::<_, String>(1)?).unwrap(),
                changed_at: r.get(2)?,
                id,
                found,
                area,
            })
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let kpis = Kpis::compute(
        &KpiInputs {
            seq: seq as u64,
            cases: &cases,
            closes: &closes,
            history_from: pingan_model::time::cst_day_start(oldest),
            alerts: &alerts,
            sensors: &sensors,
            hazards: &hazards,
        },
        now,
    );
    let alarms: Vec<AlarmIn> = alerts
        .iter()
        .map(|a| AlarmIn {
            area: sensor_area.get(&a.sensor).copied().flatten(),
            level: a.level,
            raised_at: a.raised_at,
            cleared_at: a.cleared_at,
        })
        .collect();
    let safety = safety_index(
        &SafetyInputs {
            areas: &areas,
            grid_area: &grid_area,
            cases: &cases,
            closes: &closes,
            alarms: &alarms,
            hazards: &hazards,
            history_from: pingan_model::time::cst_day_start(oldest),
        },
        now,
    );
    (seq as u64, kpis, safety)
}

/// A few live changes of every kind the figures follow.
async fn live_changes(state: &AppState, salt: usize) {
    use pingan_model::domain::{CaseCategory, CaseStatus, Department, HazardStatus};
    use pingan_server::store::{Actor, CaseQuery, Command, NewCase};
    let live = state.live();
    let now = pingan_server::clock::now_s();
    let by = Actor::system("测试（模拟）");
    // A new case, and an open one closed (resolved).
    live.execute(Command::ReportCase(NewCase {
        category: CaseCategory::ALL[salt % CaseCategory::ALL.len()],
        lon: 113.85,
        lat: 22.6,
        grid: Some("G0001".into()),
        grid_index: Some(0),
        community: None,
        subdistrict: None,
        description: "测试".into(),
        reporter: by.clone(),
        departments: vec![Department::Police],
        rule: None,
        reported_at: now,
        deadline: now + 3600,
        photo: None,
    }))
    .await
    .unwrap();
    let open = live
        .store()
        .cases(&CaseQuery {
            status: vec![CaseStatus::InProgress],
            limit: 10,
            ..CaseQuery::default()
        })
        .unwrap();
    let case = &open[salt % open.len()];
    live.execute(Command::Transition {
        case_id: case.id,
        to: CaseStatus::Resolved,
        by: by.clone(),
        note: String::new(),
        at: now,
    })
    .await
    .unwrap();
    // An alarm on a quiet sensor (a reading far over any threshold).
    let snap = live.store().snapshot().unwrap();
    let quiet = snap
        .sensors
        .iter()
        .filter(|s| {
            !snap
                .alerts
                .iter()
                .any(|a| a.sensor == s.id && a.is_active())
        })
        .nth(salt)
        .unwrap();
    live.execute(Command::Readings {
        readings: vec![pingan_model::live::ReadingIn {
            sensor: quiet.id.clone(),
            value: 1e7,
            at: None,
        }],
        by: by.clone(),
        at: now,
    })
    .await
    .unwrap();
    // A hazard rectified.
    let id = format!("YH{:06}", 1 + salt);
    let _ = live
        .execute(Command::HazardStatus {
            id,
            status: HazardStatus::Rectified,
            by,
            note: String::new(),
            at: now,
            photo: None,
        })
        .await;
}

#[tokio::test]
async fn kpi_equals_a_recomputation_and_events_applied_to_it_equal_the_next() {
    let dir = real_data("kpi");
    let t = Instant::now();
    let cfg = pingan_server::Config::new(&dir, dir.join("dist"));
    let state = tokio::task::spawn_blocking(move || AppState::open(cfg))
        .await
        .unwrap()
        .unwrap();
    eprintln!("seeded the store in {:?}", t.elapsed());
    live_changes(&state, 0).await;
    let wall = app_as_device(&state);

    let t = Instant::now();
    let r = send(&wall, common::get("/api/kpi")).await;
    let ms = t.elapsed().as_secs_f64() * 1000.0;
    assert_eq!(r.status, 200, "{}", r.text());
    let gz = send(
        &wall,
        Request::builder()
            .uri("/api/kpi?audience=public")
            .header("accept-encoding", "gzip")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(gz.header("content-encoding"), Some("gzip"));
    eprintln!(
        "GET /api/kpi: {ms:.0} ms (debug build), {} KB JSON, {} KB gzipped",
        r.body.len() / 1024,
        gz.body.len() / 1024
    );
    let out: pingan_server::api::kpi::KpiOut = serde_json::from_slice(&r.body).unwrap();
    assert_eq!((out.seq, out.at), (out.kpis.seq, out.kpis.at));
    assert_eq!(out.seq, state.live().hub().head());

    // Equal to the model's recomputation over every row at that seq.
    let d = dir.clone();
    let at = out.at;
    let (seq, kpis, safety) = tokio::task::spawn_blocking(move || recompute(&d, at))
        .await
        .unwrap();
    assert_eq!(seq, out.seq);
    assert_eq!(out.kpis.figures(), kpis.figures());
    assert_eq!(out.kpis, kpis, "the basis too");
    // The answer went through JSON, whose reader (serde_json without
    // `float_roundtrip`) may be one ulp off: the recomputation too.
    let safety: Vec<pingan_model::wall::safety::SafetyRow> =
        serde_json::from_str(&serde_json::to_string(&safety).unwrap()).unwrap();
    assert_eq!(out.safety, safety);
    // Sane figures on the generated data.
    let k = &out.kpis;
    assert!(
        k.cases.reported >= 1 && k.cases.open > 1000,
        "{:?}",
        k.cases
    );
    assert!(k.cases.typical.reported > 100.0, "{:?}", k.cases.typical);
    assert!(k.alerts_active.alarm >= 1, "{:?}", k.alerts_active);
    assert!(k.hazards.open > 1000, "{:?}", k.hazards);
    assert!(k.sensors.reporting > 100, "{:?}", k.sensors);
    assert_eq!(out.safety.len(), 10);
    let ranks: Vec<u32> = out.safety.iter().map(|r| r.rank).collect();
    assert_eq!(ranks, (1..=10).collect::<Vec<_>>());
    assert!(out
        .safety
        .iter()
        .all(|r| (0.0..=100.0).contains(&r.score) && !r.name.is_empty()));
    assert!(out.safety.windows(2).all(|w| w[0].score >= w[1].score));
    eprintln!(
        "kpis: {:?}; safety {}",
        (
            k.cases.reported,
            k.cases.closed,
            k.cases.open,
            k.cases.overdue,
            k.cases.typical.reported
        ),
        out.safety
            .iter()
            .map(|r| format!(
                "{} {:.1} {:?} (7 d ago {:.1})",
                r.name, r.score, r.trend, r.before
            ))
            .collect::<Vec<_>>()
            .join(", ")
    );

    // The app's path: the figures at a seq, then every later event applied,
    // equal the figures at the newer seq.
    let mut applied = out.kpis.clone();
    live_changes(&state, 1).await;
    let r = send(&wall, common::get("/api/kpi")).await;
    let later: pingan_server::api::kpi::KpiOut = serde_json::from_slice(&r.body).unwrap();
    assert!(later.seq > out.seq);
    let events = state.live().store().events_since(out.seq, 1000).unwrap();
    assert!(events.len() >= 4, "{events:?}");
    for e in &events {
        applied.apply(e, later.at);
    }
    applied.refresh(later.at);
    assert_eq!(applied.figures(), later.kpis.figures());
    assert_eq!(applied, later.kpis, "the basis too");
    assert_ne!(later.kpis.figures(), out.kpis.figures(), "the changes show");

    // Only `audience=public` as a parameter; a viewer may read it.
    send(&wall, common::get("/api/kpi?seq=1"))
        .await
        .assert_error(400, "bad_request");
    let viewer = app_as(&state, Some(user(Role::Viewer, None)));
    assert_eq!(send(&viewer, common::get("/api/kpi")).await.status, 200);
    drop(state);
    let _ = std::fs::remove_dir_all(&dir);
}

/// `GET /api/cases/urgent`: the urgent cases a wall loading takes the focus
/// on — only those of an urgent rule, newest first, each with its event's
/// `at_ms`, masked for an operator too; 400 for any parameter but
/// `audience=public`; without rules read, none.
#[tokio::test]
async fn urgent_cases_are_listed_masked_with_their_acceptance_times() {
    let fx = fixture("walls-urgent");
    let mut rules = String::from(r#"{"version":1,"urgent":["R01"],"rules":["#);
    for (i, c) in pingan_model::domain::CaseCategory::ALL.iter().enumerate() {
        rules += &format!(
            r#"{{"id":"D{i}","category":"{}","departments":["governance"],"deadline_hours":48}},"#,
            c.code()
        );
    }
    rules += r#"{"id":"R01","category":"dispute","keywords":["家庭纠纷"],"departments":["police"],"deadline_hours":72}]}"#;
    fx.write("dispatch_rules.json", rules.as_bytes());
    let state = fx.state();
    assert!(state.rules().is_some_and(|r| r.urgent == ["R01"]));
    let report = |rule: &str, reporter: &str| {
        let now = pingan_server::clock::now_s();
        pingan_server::store::Command::ReportCase(pingan_server::store::NewCase {
            category: pingan_model::domain::CaseCategory::Dispute,
            lon: 113.85,
            lat: 22.65,
            grid: Some("G0001".into()),
            grid_index: Some(0),
            community: None,
            subdistrict: Some(common::people::XIXIANG.into()),
            description: "家庭纠纷，联系 13800138000".into(),
            reporter: pingan_server::store::Actor::anonymous(reporter),
            departments: vec![pingan_model::domain::Department::Police],
            rule: Some(rule.into()),
            reported_at: now - 3_600, // named by the client: not the focus time
            deadline: now + 3_600,
            photo: None,
        })
    };
    let mut accepted = Vec::new();
    for (rule, who) in [("R01", "李小龙"), ("D0", "王芳"), ("R01", "赵六")] {
        let events = state.live().execute(report(rule, who)).await.unwrap();
        if let Change::CaseReported { case } = &events[0].change {
            accepted.push((case.id, events[0].at_ms, rule));
        }
    }
    let op = app_as(&state, Some(user(Role::Operator, None)));
    for uri in ["/api/cases/urgent", "/api/cases/urgent?audience=public"] {
        let r = send(&op, common::get(uri)).await;
        assert_eq!(r.status, 200, "{uri}: {}", r.text());
        let text = r.text();
        for secret in ["李小龙", "赵六", "13800138000"] {
            assert!(!text.contains(secret), "{uri} shows {secret}: {text}");
        }
        let v = r.json();
        assert_eq!(v["seq"].as_u64(), Some(state.live().hub().head()), "{v}");
        let got: Vec<(u64, i64)> = v["cases"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["case"]["id"].as_u64().unwrap(),
                    c["accepted_ms"].as_i64().unwrap(),
                )
            })
            .collect();
        let want: Vec<(u64, i64)> = accepted
            .iter()
            .rev()
            .filter(|(_, _, rule)| *rule == "R01")
            .map(|(id, at, _)| (u64::from(*id), *at))
            .collect();
        assert_eq!(got, want, "{v}");
        assert_eq!(v["cases"][0]["case"]["reporter"], "赵*", "{v}");
    }
    let r = send(&op, common::get("/api/cases/urgent?since_ms=0")).await;
    let detail = r.assert_error(400, "bad_request");
    assert!(detail.contains("since_ms"), "{detail}");
    let r = send(&op, common::get("/api/cases/urgent?audience=all")).await;
    r.assert_error(400, "bad_request");
    // A viewer reads it as well (`read`); a stranger does not.
    let viewer = app_as(&state, Some(user(Role::Viewer, None)));
    assert_eq!(
        send(&viewer, common::get("/api/cases/urgent")).await.status,
        200
    );
    let nobody = app_as(&state, None);
    assert_eq!(
        send(&nobody, common::get("/api/cases/urgent")).await.status,
        401
    );

    // Without rules: nothing is urgent.
    let fx = fixture("walls-urgent-none");
    let state = fx.state();
    state.live().execute(report("R01", "李小龙")).await.unwrap();
    let op = app_as(&state, Some(user(Role::Operator, None)));
    let r = send(&op, common::get("/api/cases/urgent")).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["cases"], json!([]), "{}", r.text());
}
