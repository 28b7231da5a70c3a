//! The live API, driven in-process (no socket) against a store seeded from the
//! REAL generated data (`data/`, made by `pingan-datagen` before the tests
//! run): routing, validation (every rejection names its field and stores
//! nothing), the case status machine, thresholds with hysteresis, queries,
//! the compact case file, and a store restart. Requests are signed in as
//! the demo operator (readings with a gateway's key); the histories record
//! the operator's display name, whatever the body says.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use common::{readings_key, send, session_cookie, signed_in, Credentials, Reply};
use geo::InteriorPoint;
use pingan_model::access::Role;
use pingan_model::domain::{CaseStatus, Department, SensorType};
use pingan_model::geojson_io::{parse_feature_collection, Geom};
use pingan_model::live::{AlertChange, Change, Level};
use pingan_server::store::sqlite::SqliteStore;
use pingan_server::store::{Command, Counts, Store};
use pingan_server::{app, AppState, Config};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;
use std::time::Instant;

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
        "pingan-live-{name}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A data dir with the real files and a store seeded once per test process;
/// each test gets its own copy of the seeded database.
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
        let t = Instant::now();
        let state = AppState::open(Config::new(&dir, dir.join("dist"))).unwrap();
        let counts = state.live().store().counts().unwrap();
        eprintln!("seeded the template store in {:?}: {counts:?}", t.elapsed());
        assert!(counts.cases > 50_000, "{counts:?}");
        assert_eq!(counts.head, 0, "seeding appends no events");
        drop(state);
        dir
    })
}

struct Env {
    dir: PathBuf,
    state: AppState,
    app: Router,
}

impl Drop for Env {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn env(name: &str) -> Env {
    let t = template();
    let dir = temp_dir(name);
    for f in FILES {
        std::fs::copy(t.join(f), dir.join(f)).unwrap();
    }
    std::fs::copy(t.join("live.sqlite"), dir.join("live.sqlite")).unwrap();
    let state = AppState::open(Config::new(&dir, dir.join("dist"))).unwrap();
    let who = Credentials {
        cookie: session_cookie(&state, Role::Operator),
        readings_key: Some(readings_key(&state)),
    };
    Env {
        app: signed_in(app(state.clone()), who),
        state,
        dir,
    }
}

/// The display name of the demo operator the tests act as.
const OPERATOR: &str = "演示·值班员";

impl Env {
    fn counts(&self) -> Counts {
        self.state.live().store().counts().unwrap()
    }
    async fn post(&self, uri: &str, body: Value) -> Reply {
        send(
            &self.app,
            post_raw(uri, "application/json", body.to_string()),
        )
        .await
    }
    async fn get(&self, uri: &str) -> Reply {
        send(&self.app, common::get(uri)).await
    }
}

fn post_raw(uri: &str, content_type: &str, body: impl Into<Body>) -> Request<Body> {
    let mut b = Request::builder().method("POST").uri(uri);
    if !content_type.is_empty() {
        b = b.header("content-type", content_type);
    }
    b.body(body.into()).unwrap()
}

/// A point inside grid `index` of grids.geojson, with the grid's properties.
fn grid_point(index: usize) -> ([f64; 2], Value) {
    let text = std::fs::read_to_string(template().join("grids.geojson")).unwrap();
    let features = parse_feature_collection(&text).unwrap();
    let f = &features[index];
    let Geom::Area(mp) = &f.geometry else {
        panic!("grid {index} is not an area")
    };
    let p = mp.interior_point().unwrap();
    ([p.x(), p.y()], Value::Object(f.properties.clone()))
}

fn report(lon: f64, lat: f64, description: &str) -> Value {
    json!({"category": "dispute", "lon": lon, "lat": lat,
           "description": description, "reporter": "网格员 张三"})
}

#[tokio::test]
async fn a_family_dispute_is_routed_to_its_grid_and_to_police_court_and_judicial() {
    let e = env("route");
    let (p, props) = grid_point(0);
    let before = e.counts();
    let r = e
        .post(
            "/api/cases",
            report(p[0], p[1], "邻里反映一户家庭纠纷，夫妻争吵"),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let case = r.json();
    assert_eq!(case["grid"], props["id"]);
    assert_eq!(case["grid_index"], 0);
    assert_eq!(case["community"], props["community"]);
    assert_eq!(case["subdistrict"], props["subdistrict"]);
    assert_eq!(case["departments"], json!(["police", "court", "judicial"]));
    assert_eq!(case["rule"], "R01");
    assert_eq!(case["status"], "reported");
    assert_eq!(
        case["deadline"].as_i64().unwrap() - case["reported_at"].as_i64().unwrap(),
        72 * 3600
    );
    let id = case["id"].as_u64().unwrap();
    assert_eq!(
        r.header("location"),
        Some(format!("/api/cases/{id}").as_str())
    );
    let after = e.counts();
    assert_eq!(after.cases, before.cases + 1);
    assert_eq!(after.transitions, before.transitions + 1);
    assert_eq!(after.head, before.head + 1);

    // Without the keyword: the category's default rule.
    let r = e
        .post("/api/cases", report(p[0], p[1], "楼上噪音扰民"))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_ne!(r.json()["rule"], "R01");

    let d = e.get(&format!("/api/cases/AJ{id:08}")).await;
    assert_eq!(d.status, StatusCode::OK, "{}", d.text());
    let d = d.json();
    assert_eq!(d["case"]["id"], id);
    assert_eq!(d["number"], format!("AJ{id:08}"));
    assert_eq!(d["overdue"], false);
    assert_eq!(d["transitions"].as_array().unwrap().len(), 1);
    assert_eq!(d["transitions"][0]["to"], "reported");
    assert_eq!(d["transitions"][0]["from"], Value::Null);
    // The reporter is the signed-in account, not the body's `reporter`.
    assert_eq!(d["case"]["reporter"], OPERATOR);
    assert_eq!(d["transitions"][0]["by"], OPERATOR);
    let recorded = e.state.live().store().case_actors(id as u32).unwrap();
    assert_eq!(recorded.len(), 1);
    assert_eq!(
        (recorded[0].kind.as_str(), recorded[0].account.as_deref()),
        ("user", Some("operator"))
    );
    let event = e.state.live().store().event_actor(after.head).unwrap();
    assert_eq!(event.and_then(|r| r.account), Some("operator".into()));
}

/// Everything a rejected request could have changed: the row counts, the
/// small live layers (every sensor's latest reading and level, the alerts,
/// the changed hazards) and the cases the request names.
#[derive(Debug, PartialEq)]
struct StoreState {
    counts: Counts,
    snapshot: pingan_model::live::Snapshot,
    cases: Vec<
        Option<(
            pingan_model::live::Case,
            Vec<pingan_model::live::Transition>,
        )>,
    >,
}

/// Case ids named in a request's path (`/api/cases/{id}/…`).
fn cases_of(uri: &str) -> Vec<u32> {
    uri.strip_prefix("/api/cases/")
        .and_then(|rest| rest.split('/').next())
        .map(|id| id.trim_start_matches("AJ"))
        .and_then(|id| id.parse().ok())
        .into_iter()
        .collect()
}

fn store_state(e: &Env, cases: &[u32]) -> StoreState {
    let store = e.state.live().store();
    StoreState {
        counts: store.counts().unwrap(),
        snapshot: store.snapshot().unwrap(),
        cases: cases.iter().map(|id| store.case(*id).unwrap()).collect(),
    }
}

/// Asserts a 4xx JSON error whose detail names `field`, and that nothing was
/// stored: no row added, no sensor, alert, hazard or named case changed.
async fn rejected(e: &Env, req: Request<Body>, status: u16, code: &str, field: &str) {
    let cases = cases_of(req.uri().path());
    let before = store_state(e, &cases);
    let what = format!("{} {}", req.method(), req.uri());
    let r = send(&e.app, req).await;
    let detail = r.assert_error(status, code);
    assert!(
        detail.contains(field),
        "{what}: detail {detail:?} should name {field:?}"
    );
    assert_eq!(
        store_state(e, &cases),
        before,
        "{what}: a rejected request stores nothing"
    );
}

fn json_post(uri: &str, body: impl Into<Body>) -> Request<Body> {
    post_raw(uri, "application/json", body)
}

#[tokio::test]
async fn every_invalid_input_is_refused_by_name_and_stores_nothing() {
    let e = env("invalid");
    let (p, _) = grid_point(5);
    let ok = report(p[0], p[1], "家庭纠纷");
    let with = |k: &str, v: Value| {
        let mut o = ok.clone();
        o[k] = v;
        json_post("/api/cases", o.to_string())
    };
    let without = |k: &str| {
        let mut o = ok.clone();
        o.as_object_mut().unwrap().remove(k);
        json_post("/api/cases", o.to_string())
    };
    // Body shape.
    rejected(
        &e,
        json_post("/api/cases", "{\"category\": \"dispute\", "),
        400,
        "bad_json",
        "EOF",
    )
    .await;
    rejected(
        &e,
        json_post("/api/cases", "42"),
        400,
        "bad_json",
        "JSON object",
    )
    .await;
    // An array would otherwise fill the struct's fields by position.
    let positional = format!(r#"["dispute",{},{},"家庭纠纷","网格员"]"#, p[0], p[1]);
    rejected(
        &e,
        json_post("/api/cases", positional),
        400,
        "bad_json",
        "JSON object",
    )
    .await;
    rejected(&e, json_post("/api/cases", " "), 400, "bad_json", "empty").await;
    rejected(&e, without("lat"), 400, "bad_request", "lat").await;
    rejected(
        &e,
        without("description"),
        400,
        "bad_request",
        "description",
    )
    .await;
    rejected(
        &e,
        with("colour", json!("red")),
        400,
        "bad_request",
        "colour",
    )
    .await;
    rejected(&e, with("lat", json!("22.6")), 400, "bad_request", "lat").await;
    rejected(
        &e,
        with("category", json!("alien_invasion")),
        400,
        "bad_request",
        "category",
    )
    .await;
    rejected(&e, with("at", json!(1.5)), 400, "bad_request", "at").await;
    let nan = ok.to_string().replace(&format!("{}", p[0]), "NaN");
    rejected(&e, json_post("/api/cases", nan), 400, "bad_json", "lon").await;
    // Values.
    rejected(&e, with("lon", json!(181.0)), 422, "invalid", "lon").await;
    rejected(&e, with("lat", json!(-90.5)), 422, "invalid", "lat").await;
    rejected(&e, with("lon", json!(116.4)), 422, "invalid", "lon/lat").await;
    rejected(
        &e,
        with("description", json!("  ")),
        422,
        "invalid",
        "description",
    )
    .await;
    rejected(
        &e,
        with("description", json!("纠".repeat(2001))),
        422,
        "invalid",
        "description",
    )
    .await;
    rejected(&e, with("at", json!(12)), 422, "invalid", "at").await;
    // Transport.
    rejected(
        &e,
        post_raw("/api/cases", "text/plain", ok.to_string()),
        415,
        "unsupported_media_type",
        "application/json",
    )
    .await;
    rejected(
        &e,
        post_raw("/api/cases", "", ok.to_string()),
        415,
        "unsupported_media_type",
        "Content-Type",
    )
    .await;
    let big = with("description", json!("x".repeat(70 * 1024)));
    rejected(&e, big, 413, "payload_too_large", "65536").await;

    // Transitions.
    rejected(
        &e,
        json_post(
            "/api/cases/nope/transitions",
            r#"{"to":"accepted","by":"centre"}"#,
        ),
        400,
        "bad_request",
        "id",
    )
    .await;
    rejected(
        &e,
        json_post(
            "/api/cases/999999999/transitions",
            r#"{"to":"accepted","by":"centre"}"#,
        ),
        404,
        "not_found",
        "case 999999999",
    )
    .await;
    rejected(
        &e,
        json_post(
            "/api/cases/1/transitions",
            r#"{"to":"teleported","by":"centre"}"#,
        ),
        400,
        "bad_request",
        "to",
    )
    .await;
    rejected(
        &e,
        json_post("/api/cases/1/transitions", r#"{"to":"accepted","note":7}"#),
        400,
        "bad_request",
        "note",
    )
    .await;
    rejected(
        &e,
        common::get("/api/cases/AJ99999999"),
        404,
        "not_found",
        "case 99999999",
    )
    .await;

    // Readings.
    let sensors = sensor_ids(&e);
    let mut batch: Vec<Value> = sensors
        .iter()
        .take(5)
        .map(|s| json!({"sensor": s, "value": 1.0}))
        .collect();
    batch[3]["sensor"] = json!("S9999");
    rejected(
        &e,
        json_post("/api/readings", json!({"readings": batch}).to_string()),
        422,
        "invalid",
        "readings[3].sensor",
    )
    .await;
    let mut batch: Vec<Value> = sensors
        .iter()
        .take(5)
        .map(|s| json!({"sensor": s, "value": 1.0}))
        .collect();
    batch[2]["value"] = json!("high");
    rejected(
        &e,
        json_post("/api/readings", json!({"readings": batch}).to_string()),
        400,
        "bad_request",
        "readings[2].value",
    )
    .await;
    batch[2]["value"] = json!(1.0);
    batch[4]["unit"] = json!("cm");
    rejected(
        &e,
        json_post("/api/readings", json!({"readings": batch}).to_string()),
        400,
        "bad_request",
        "unit",
    )
    .await;
    let many: Vec<Value> = (0..1001)
        .map(|i| json!({"sensor": sensors[i % sensors.len()], "value": 1.0}))
        .collect();
    rejected(
        &e,
        json_post("/api/readings", json!({"readings": many}).to_string()),
        413,
        "payload_too_large",
        "readings",
    )
    .await;
    rejected(
        &e,
        json_post("/api/readings", r#"{"readings": []}"#),
        422,
        "invalid",
        "readings",
    )
    .await;
    rejected(
        &e,
        json_post(
            "/api/readings",
            json!({"readings": [{"sensor": sensors[0], "value": 1.0, "at": 5}]}).to_string(),
        ),
        422,
        "invalid",
        "readings[0].at",
    )
    .await;

    // Alerts and hazards.
    rejected(
        &e,
        json_post("/api/alerts/abc/ack", r#"{"by":"值班员"}"#),
        400,
        "bad_request",
        "id",
    )
    .await;
    for id in ["0", "-1", "18446744073709551615", "99999999999999999999"] {
        rejected(
            &e,
            json_post(&format!("/api/alerts/{id}/ack"), r#"{"by":"值班员"}"#),
            400,
            "bad_request",
            "id",
        )
        .await;
    }
    rejected(
        &e,
        json_post("/api/alerts/987654/ack", r#"{"by":"值班员"}"#),
        404,
        "not_found",
        "alert 987654",
    )
    .await;
    rejected(
        &e,
        json_post(
            "/api/hazards/YH999999/status",
            r#"{"status":"rectified","by":"安监"}"#,
        ),
        404,
        "not_found",
        "hazard YH999999",
    )
    .await;
    rejected(
        &e,
        json_post(
            "/api/hazards/YH000001/status",
            r#"{"status":"fixed","by":"安监"}"#,
        ),
        400,
        "bad_request",
        "status",
    )
    .await;
    rejected(
        &e,
        json_post(
            "/api/hazards/YH000001/status",
            r#"{"status":"rectified","note":"a\u0001b"}"#,
        ),
        422,
        "invalid",
        "note",
    )
    .await;

    // Queries.
    for (q, field) in [
        ("bbox=1,2,3", "bbox"),
        ("bbox=114,22,113,23", "bbox"),
        ("status=open", "status"),
        ("category=nope", "category"),
        ("since=last-week", "since"),
        // Out of range: a 400, not an overflow (a panic in a debug build).
        ("since=9999999999999999-01-01", "since"),
        ("since=2026-11-01T00:00%2B999999999999999", "since"),
        ("since=2026-11-01T00:00-99:00", "since"),
        ("since=99999999999999999999", "since"),
        ("since=1969-12-31", "since"),
        ("limit=99999999999999999999999", "limit"),
        ("limit=0", "limit"),
        ("limit=10001", "limit"),
        ("limit=ten", "limit"),
        ("colour=red", "colour"),
    ] {
        rejected(
            &e,
            common::get(&format!("/api/cases?{q}")),
            400,
            "bad_request",
            field,
        )
        .await;
    }
    rejected(
        &e,
        common::get("/api/alerts?active=maybe"),
        400,
        "bad_request",
        "active",
    )
    .await;
    // Wrong method: 405 with the methods the path takes.
    let r = e.get("/api/readings").await;
    assert!(r
        .assert_error(405, "method_not_allowed")
        .contains("answers POST only"));
    assert_eq!(r.header("allow"), Some("POST"));
    let delete = Request::builder()
        .method("DELETE")
        .uri("/api/cases")
        .body(Body::empty())
        .unwrap();
    let r = send(&e.app, delete).await;
    r.assert_error(405, "method_not_allowed");
    assert_eq!(r.header("allow"), Some("GET, HEAD, POST"));
}

fn sensor_ids(e: &Env) -> Vec<String> {
    e.state
        .live()
        .store()
        .snapshot()
        .unwrap()
        .sensors
        .into_iter()
        .map(|s| s.id)
        .collect()
}

#[tokio::test]
async fn transitions_follow_the_status_machine_and_are_recorded() {
    let e = env("transitions");
    let (p, _) = grid_point(10);
    let r = e
        .post("/api/cases", report(p[0], p[1], "赡养老人纠纷"))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let id = r.json()["id"].as_u64().unwrap();
    let uri = format!("/api/cases/{id}/transitions");
    let step = |to: &str| json!({"to": to, "by": "police", "note": format!("→ {to}")});

    // Skipping ahead is refused with the allowed moves.
    let before = e.counts();
    let r = e.post(&uri, step("resolved")).await;
    let detail = r.assert_error(409, "conflict");
    assert!(
        detail.contains("cannot become resolved") && detail.contains("accepted, returned"),
        "{detail}"
    );
    assert_eq!(e.counts(), before);

    for to in [
        "accepted",
        "dispatched",
        "in_progress",
        "escalated",
        "in_progress",
        "resolved",
        "archived",
    ] {
        let r = e.post(&uri, step(to)).await;
        assert_eq!(r.status, StatusCode::OK, "{to}: {}", r.text());
        assert_eq!(r.json()["status"], to);
    }
    let r = e.post(&uri, step("in_progress")).await;
    assert!(r.assert_error(409, "conflict").contains("closed for good"));

    let d = e.get(&format!("/api/cases/{id}")).await.json();
    let hist: Vec<(Value, Value)> = d["transitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["from"].clone(), t["to"].clone()))
        .collect();
    assert_eq!(hist.len(), 8);
    assert_eq!(hist[0], (Value::Null, json!("reported")));
    assert_eq!(hist[4], (json!("in_progress"), json!("escalated")));
    assert_eq!(hist[7], (json!("resolved"), json!("archived")));
    assert_eq!(d["transitions"][1]["note"], "→ accepted");
    assert_eq!(d["overdue"], false);

    // One event per transition, each carrying the whole case.
    let events = e
        .state
        .live()
        .store()
        .events_since(before.head, 100)
        .unwrap();
    assert_eq!(events.len(), 7);
    assert!(events.windows(2).all(|w| w[1].seq == w[0].seq + 1));
    match &events[6].change {
        Change::CaseTransitioned { case, transition } => {
            assert_eq!(case.status, CaseStatus::Archived);
            assert_eq!(transition.from, Some(CaseStatus::Resolved));
        }
        other => panic!("{other:?}"),
    }
}

/// An alert's `peak` rising within a level is stored (GET /api/alerts, the
/// snapshot) without an alert event: the stream carries the reading itself
/// (the `readings` event), and the alert's next event (level, ack, clear)
/// carries the peak as stored. (docs/api.md, "Alert peaks".)
#[tokio::test]
async fn a_peak_within_a_level_is_stored_and_carried_by_the_next_alert_event() {
    let e = env("peak");
    let snap = e.state.live().store().snapshot().unwrap();
    let sensor = snap
        .sensors
        .iter()
        .find(|s| s.sensor_type == SensorType::WaterLevel && s.level == Level::Normal)
        .unwrap()
        .id
        .clone();
    let post = |v: f64| {
        e.post(
            "/api/readings",
            json!({"readings": [{"sensor": sensor, "value": v}]}),
        )
    };
    let head = e.counts().head;
    assert_eq!(post(60.0).await.json()["alerts"][0]["alert"]["peak"], 60.0);
    for v in [80.0, 70.0] {
        let out = post(v).await.json();
        assert_eq!(out["alerts"], json!([]), "{v}: no alert change");
    }
    let events = e.state.live().store().events_since(head, 100).unwrap();
    let kinds: Vec<&str> = events
        .iter()
        .map(|ev| match &ev.change {
            Change::Readings { .. } => "readings",
            Change::Alert { .. } => "alert",
            _ => "other",
        })
        .collect();
    assert_eq!(kinds, ["readings", "alert", "readings", "readings"]);
    match &events[2].change {
        Change::Readings { sensors } => assert_eq!(sensors[0].value, 80.0),
        other => panic!("{other:?}"),
    }
    let active = e.get("/api/alerts?active=true").await.json();
    let alert = active["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["sensor"] == sensor.as_str())
        .unwrap()
        .clone();
    assert_eq!(alert["peak"], 80.0, "the stored peak rose");
    let id = alert["id"].as_u64().unwrap();
    let r = e
        .post(&format!("/api/alerts/{id}/ack"), json!({"by": "值班员"}))
        .await;
    assert_eq!(r.json()["peak"], 80.0);
    let out = post(40.0).await.json();
    assert_eq!(out["alerts"][0]["change"], "cleared");
    assert_eq!(out["alerts"][0]["alert"]["peak"], 80.0);
    let last = e.state.live().store().events_since(head + 4, 100).unwrap();
    let peaks: Vec<f64> = last
        .iter()
        .filter_map(|ev| match &ev.change {
            Change::Alert { alert, .. } => Some(alert.peak),
            _ => None,
        })
        .collect();
    assert_eq!(peaks, [80.0, 80.0], "ack and clear carry the peak");
}

#[tokio::test]
async fn thresholds_raise_hold_and_clear_alerts_with_hysteresis() {
    let e = env("readings");
    let snap = e.state.live().store().snapshot().unwrap();
    // A water-level sensor at normal with no active alert (warn 50, alarm 100, hysteresis 5).
    let sensor = snap
        .sensors
        .iter()
        .find(|s| s.sensor_type == SensorType::WaterLevel && s.level == Level::Normal)
        .unwrap()
        .id
        .clone();
    let mut alert_id = None;
    // value → (level, alert change expected)
    let steps: [(f64, &str, Option<AlertChange>); 8] = [
        (40.0, "normal", None),
        (50.0, "warn", Some(AlertChange::Raised)),
        (46.0, "warn", None),
        (101.0, "alarm", Some(AlertChange::Level)),
        (97.0, "alarm", None),
        (94.0, "warn", Some(AlertChange::Level)),
        (45.5, "warn", None),
        (44.9, "normal", Some(AlertChange::Cleared)),
    ];
    for (value, level, change) in steps {
        let before = e.counts();
        let r = e
            .post(
                "/api/readings",
                json!({"readings": [{"sensor": sensor, "value": value}]}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{value}: {}", r.text());
        let out = r.json();
        assert_eq!(out["sensors"][0]["level"], level, "{value}: {out}");
        assert_eq!(out["sensors"][0]["value"], value);
        let alerts = out["alerts"].as_array().unwrap();
        let events = e
            .state
            .live()
            .store()
            .events_since(before.head, 10)
            .unwrap();
        assert!(matches!(events[0].change, Change::Readings { .. }));
        match change {
            None => {
                assert!(alerts.is_empty(), "{value}: {out}");
                assert_eq!(events.len(), 1);
            }
            Some(c) => {
                assert_eq!(alerts.len(), 1, "{value}: {out}");
                assert_eq!(alerts[0]["change"], serde_json::to_value(c).unwrap());
                assert_eq!(events.len(), 2);
                match &events[1].change {
                    Change::Alert { alert, change } => {
                        assert_eq!(*change, c);
                        assert_eq!(alert.sensor, sensor);
                        alert_id.get_or_insert(alert.id);
                        assert_eq!(Some(alert.id), alert_id, "one alert per episode");
                    }
                    other => panic!("{other:?}"),
                }
            }
        }
        assert_eq!(out["seq"], e.counts().head);
    }
    let id = alert_id.unwrap();
    let a = e.get("/api/alerts").await.json();
    let cleared = a["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == id)
        .unwrap();
    assert_eq!(cleared["peak"], 101.0);
    assert!(cleared["cleared_at"].is_i64());
    let active = e.get("/api/alerts?active=true").await.json();
    assert!(active["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .all(|x| x["cleared_at"].is_null()));
    assert!(active["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .all(|x| x["id"] != id));

    // Acknowledge once; twice is a conflict that stores nothing.
    let r = e
        .post(
            &format!("/api/alerts/{id}/ack"),
            json!({"by": "值班员 李四"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(
        r.json()["acked_by"],
        OPERATOR,
        "the signed-in account, not the body's"
    );
    let before = e.counts();
    let r = e
        .post(
            &format!("/api/alerts/{id}/ack"),
            json!({"by": "值班员 王五"}),
        )
        .await;
    assert!(r
        .assert_error(409, "conflict")
        .contains(&format!("already acknowledged by {OPERATOR}")));
    assert_eq!(e.counts(), before);

    // A batch is all-or-nothing: a good batch of several sensors is one Readings event.
    let ids = sensor_ids(&e);
    let batch: Vec<Value> = ids
        .iter()
        .take(20)
        .map(|s| json!({"sensor": s, "value": 0.5}))
        .collect();
    let before = e.counts();
    let r = e.post("/api/readings", json!({"readings": batch})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["sensors"].as_array().unwrap().len(), 20);
    let events = e
        .state
        .live()
        .store()
        .events_since(before.head, 100)
        .unwrap();
    assert_eq!(
        events
            .iter()
            .filter(|e| matches!(e.change, Change::Readings { .. }))
            .count(),
        1
    );
}

#[tokio::test]
async fn hazard_status_changes_are_stored_and_refused_when_unchanged() {
    let e = env("hazards");
    let before = e.counts();
    let r = e
        .post(
            "/api/hazards/YH000001/status",
            json!({"status": "rectified", "by": "福海水务所", "note": "已疏通"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["status"], "rectified");
    assert_eq!(e.counts().hazard_changes, before.hazard_changes + 1);
    let r = e
        .post(
            "/api/hazards/YH000001/status",
            json!({"status": "rectified", "by": "福海水务所"}),
        )
        .await;
    assert!(r
        .assert_error(409, "conflict")
        .contains("already rectified"));
    let snap = e.get("/api/live").await.json();
    assert_eq!(snap["hazards"][0]["id"], "YH000001");
    assert_eq!(snap["hazards"][0]["note"], "已疏通");
    assert_eq!(snap["seq"], e.counts().head);
    assert_eq!(snap["reload"], json!(["cases"]));
    assert_eq!(snap["sensors"].as_array().unwrap().len(), 270);
    let h = e.get("/api/health").await.json();
    assert_eq!(h["head"], e.counts().head);
    assert_eq!(h["store"]["hazard_changes"], 1);
}

#[tokio::test]
async fn case_queries_filter_by_box_status_category_subdistrict_time_and_limit() {
    let e = env("query");
    let (p, props) = grid_point(42);
    let r = e
        .post("/api/cases", report(p[0], p[1], "离婚财产纠纷"))
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let id = r.json()["id"].clone();

    let all = e.get("/api/cases").await;
    assert_eq!(all.status, StatusCode::OK);
    let all = all.json();
    assert_eq!(all["type"], "FeatureCollection");
    let fs = all["features"].as_array().unwrap();
    assert_eq!(fs.len(), 500, "default limit");
    assert_eq!(fs[0]["id"], id, "newest first");
    assert_eq!(fs[0]["geometry"]["type"], "Point");
    assert_eq!(
        fs[0]["properties"]["number"],
        format!("AJ{:08}", id.as_u64().unwrap())
    );
    assert!(fs[0]["properties"]["overdue"].is_boolean());
    let times: Vec<i64> = fs
        .iter()
        .map(|f| f["properties"]["reported_at"].as_i64().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]));

    let d = 0.0005;
    let bbox = format!("{},{},{},{}", p[0] - d, p[1] - d, p[0] + d, p[1] + d);
    let q = e
        .get(&format!(
            "/api/cases?bbox={bbox}&status=reported&category=dispute&limit=10000"
        ))
        .await
        .json();
    let fs = q["features"].as_array().unwrap();
    assert!(fs.iter().any(|f| f["id"] == id));
    for f in fs {
        let c = &f["geometry"]["coordinates"];
        assert!((c[0].as_f64().unwrap() - p[0]).abs() <= d + 1e-6);
        assert_eq!(f["properties"]["status"], "reported");
        assert_eq!(f["properties"]["category"], "dispute");
    }
    let sub = props["subdistrict"].as_str().unwrap();
    let q = e
        .get(&format!(
            "/api/cases?subdistrict={}&status=in_progress,escalated&limit=50",
            urlencode(sub)
        ))
        .await
        .json();
    let fs = q["features"].as_array().unwrap();
    assert_eq!(fs.len(), 50);
    assert!(fs.iter().all(|f| f["properties"]["subdistrict"] == sub));
    assert!(fs.iter().all(
        |f| ["in_progress", "escalated"].contains(&f["properties"]["status"].as_str().unwrap())
    ));

    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let q = e
        .get(&format!("/api/cases?since={}&limit=10000", now - 3600))
        .await
        .json();
    let fs = q["features"].as_array().unwrap();
    assert!(fs.iter().any(|f| f["id"] == id));
    assert!(fs
        .iter()
        .all(|f| f["properties"]["reported_at"].as_i64().unwrap() >= now - 3600));
    let q = e.get("/api/cases?since=2100-01-01").await.json();
    assert_eq!(q["features"].as_array().unwrap().len(), 0);
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn the_compact_case_file_decodes_and_names_the_head_it_is_consistent_with() {
    let e = env("bin");
    let (p, _) = grid_point(7);
    let r = e.post("/api/cases", report(p[0], p[1], "抚养费纠纷")).await;
    let id = r.json()["id"].as_u64().unwrap() as u32;
    let r = e.get("/api/cases.bin").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("cache-control"), Some("no-store"));
    assert_eq!(r.header("content-type"), Some("application/octet-stream"));
    let seq: u64 = r.header("x-pingan-seq").unwrap().parse().unwrap();
    assert_eq!(seq, e.counts().head);
    let file = pingan_model::cases::decode(&r.body).unwrap();
    assert!(file.records.len() > 50_000, "{}", file.records.len());
    let mine = file.records.iter().find(|c| c.id == id).unwrap();
    assert_eq!(mine.grid, 7);
    assert_eq!(mine.deadline_hours, 72);
    assert_eq!(
        mine.departments.iter().collect::<Vec<_>>(),
        [Department::Police, Department::Court, Department::Judicial]
    );
    e.get("/api/cases.bin?x=1")
        .await
        .assert_error(400, "bad_request");

    // Browsers ask for gzip: the same bytes, about half the size on the wire.
    let req = Request::builder()
        .uri("/api/cases.bin")
        .header("accept-encoding", "gzip")
        .body(Body::empty())
        .unwrap();
    let z = send(&e.app, req).await;
    assert_eq!(z.header("content-encoding"), Some("gzip"));
    assert!(
        z.body.len() < r.body.len() * 3 / 4,
        "{} of {}",
        z.body.len(),
        r.body.len()
    );
    let mut unzipped = Vec::new();
    std::io::Read::read_to_end(
        &mut flate2::read::GzDecoder::new(&z.body[..]),
        &mut unzipped,
    )
    .unwrap();
    // (The header's window end is the second of the request; the records are the same.)
    let again = pingan_model::cases::decode(&unzipped).unwrap();
    assert!(
        again.records == file.records,
        "gzip round trip changed the records"
    );
    assert_eq!(z.header("x-pingan-seq"), r.header("x-pingan-seq"));
}

#[tokio::test]
async fn a_restarted_store_keeps_everything_and_continues_the_sequence() {
    let t = template();
    let dir = temp_dir("restart");
    let db = dir.join("live.sqlite");
    std::fs::copy(t.join("live.sqlite"), &db).unwrap();
    let (p, _) = grid_point(3);
    let (head, counts, case_id) = {
        let store = SqliteStore::open(&db).unwrap();
        assert_eq!(
            store.migrations_applied(),
            0,
            "the template is already migrated"
        );
        let state_grids =
            pingan_server::intake::GridLocator::load(&t.join("grids.geojson")).unwrap();
        let rules = pingan_server::intake::load_rules(&t.join("dispatch_rules.json")).unwrap();
        let input: pingan_server::intake::CaseIn =
            serde_json::from_value(report(p[0], p[1], "家庭纠纷")).unwrap();
        let new = pingan_server::intake::prepare_case(
            &state_grids,
            Some(&rules),
            &input,
            &pingan_server::store::Actor::system("网格员 张三"),
            1_790_000_000,
        )
        .unwrap();
        let ev = store.execute(Command::ReportCase(new), 1).unwrap();
        let case_id = match &ev[0].change {
            Change::CaseReported { case } => case.id,
            other => panic!("{other:?}"),
        };
        store
            .execute(
                Command::Transition {
                    case_id,
                    to: CaseStatus::Accepted,
                    by: "centre".into(),
                    note: String::new(),
                    at: 1_790_000_100,
                },
                2,
            )
            .unwrap();
        store
            .execute(
                Command::HazardStatus {
                    id: "YH000002".into(),
                    status: pingan_model::domain::HazardStatus::Open,
                    by: "x".into(),
                    note: String::new(),
                    at: 1_790_000_200,
                    photo: None,
                },
                3,
            )
            .unwrap();
        (store.head().unwrap(), store.counts().unwrap(), case_id)
    };
    assert_eq!(head, 3);
    // Reopen: nothing lost, no migration, no re-seeding, the log continues.
    let store = SqliteStore::open(&db).unwrap();
    assert_eq!(store.migrations_applied(), 0);
    assert_eq!(
        store.schema_version().unwrap(),
        pingan_server::store::sqlite::MIGRATIONS.len()
    );
    assert_eq!(store.counts().unwrap(), counts);
    let (case, hist) = store.case(case_id).unwrap().unwrap();
    assert_eq!(case.status, CaseStatus::Accepted);
    assert_eq!(hist.len(), 2);
    assert_eq!(store.events_since(0, 10).unwrap().len(), 3);
    let ev = store
        .execute(
            Command::Transition {
                case_id,
                to: CaseStatus::Dispatched,
                by: "centre".into(),
                note: String::new(),
                at: 1_790_000_300,
            },
            4,
        )
        .unwrap();
    assert_eq!(ev[0].seq, head + 1);
    drop(store);
    // The app on top of it does not seed again either.
    let dist = dir.join("dist");
    for f in FILES {
        std::fs::copy(t.join(f), dir.join(f)).unwrap();
    }
    let state = AppState::open(Config::new(&dir, dist)).unwrap();
    let c = state.live().store().counts().unwrap();
    assert_eq!((c.cases, c.head), (counts.cases, head + 1));
    assert_eq!(state.live().hub().head(), head + 1);
    drop(state);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_database_newer_than_the_build_is_refused() {
    let dir = temp_dir("newer");
    let db = dir.join("live.sqlite");
    {
        let store = SqliteStore::open(&db).unwrap();
        assert_eq!(
            store.migrations_applied(),
            pingan_server::store::sqlite::MIGRATIONS.len()
        );
    }
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    let err = SqliteStore::open(&db).unwrap_err().to_string();
    assert!(err.contains("schema version 99"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn plain_http_to_the_stream_gets_a_json_error() {
    let e = env("ws-http");
    for method in ["GET", "HEAD"] {
        let req = Request::builder()
            .method(method)
            .uri("/ws")
            .body(Body::empty())
            .unwrap();
        let r = send(&e.app, req).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{method}");
        assert_eq!(
            r.header("content-type"),
            Some("application/json"),
            "{method}"
        );
        if method == "GET" {
            let detail = r.assert_error(400, "bad_request");
            assert!(
                detail.starts_with("upgrade: /ws is the WebSocket stream"),
                "{detail}"
            );
        }
    }
}
