//! The JSON API, driven in-process: manifest, health, layer validation and
//! its refresh, error shapes, path-traversal refusal.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::*;
use pingan_model::layers::{LayerKind, LAYERS};
use serde_json::json;

#[tokio::test]
async fn manifest_lists_every_catalogue_layer_with_its_count() {
    let fx = Fixture::new("manifest");
    let app = fx.app();
    let r = send(&app, get("/api/layers")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("cache-control"), Some("no-cache"));
    let m: pingan_model::layers::Manifest = serde_json::from_slice(&r.body).unwrap();
    let ids: Vec<&str> = m.layers.iter().map(|l| l.id.as_str()).collect();
    let want: Vec<&str> = LAYERS.iter().map(|l| l.id.as_str()).collect();
    assert_eq!(ids, want, "every catalogue layer, in catalogue order");
    for (info, def) in m.layers.iter().zip(LAYERS) {
        assert_eq!(info.error, None, "{}", def.id);
        assert_eq!(
            info.count,
            Some(expected_count(def.id.as_str())),
            "{}",
            def.id
        );
        assert_eq!(info.url, format!("/data/{}", def.file));
        assert_eq!(info.bytes, file_len(&fx.data.join(def.file)), "{}", def.id);
        assert_eq!(
            (info.name.as_str(), info.name_en.as_str(), info.kind),
            (def.name, def.name_en, def.kind)
        );
    }
    // The wire format itself: null error, snake_case kind.
    let json = r.json();
    let cases = json["layers"]
        .as_array()
        .and_then(|ls| ls.iter().find(|l| l["id"] == "cases"))
        .expect("the manifest lists the cases layer");
    assert_eq!(cases["kind"], "cases");
    assert_eq!(cases["count"], CASES);
    assert_eq!(cases["error"], serde_json::Value::Null);
    assert_eq!(cases["url"], "/data/cases_recent.bin");

    let h = send(&app, get("/api/health")).await;
    assert_eq!(h.status, StatusCode::OK);
    assert_eq!(
        health_core(h.json()),
        json!({"status": "ok", "layers_ok": LAYERS.len(), "layers_failed": 0})
    );
}

fn break_files(fx: &Fixture) {
    // grids: not JSON at all, with a grid worker's phone in it.
    fx.write(
        "grids.geojson",
        r#"not json at all, "worker_phone":"18511476806""#.as_bytes(),
    );
    // greenspace: cut short.
    let g = fx.read("greenspace.geojson");
    fx.write("greenspace.geojson", &g[..g.len() / 2]);
    // parks (polygons): a point among the polygons.
    let parks = collection(&[polygon_feature("P-1", 0), point_feature("P-2", 1)]);
    fx.write("parks.geojson", parks.as_bytes());
    // communities: a directory where the file should be.
    std::fs::remove_file(fx.data.join("communities.geojson")).unwrap();
    std::fs::create_dir(fx.data.join("communities.geojson")).unwrap();
    // sentinels (points): a polygon.
    fx.write(
        "sentinels.geojson",
        collection(&[polygon_feature("S-1", 0)]).as_bytes(),
    );
    // sensors: gone.
    std::fs::remove_file(fx.data.join("sensors.geojson")).unwrap();
    // hazards: feature 12 has a Point without coordinates.
    let mut hazards: Vec<String> = (0..20)
        .map(|i| point_feature(&format!("YH{:06}", i + 1), i))
        .collect();
    hazards[12] =
        r#"{"type":"Feature","id":"YH000013","properties":{},"geometry":{"type":"Point"}}"#.into();
    fx.write("hazards.geojson", collection(&hazards).as_bytes());
    // cases: one byte short.
    let c = cases(CASES);
    fx.write("cases_recent.bin", &c[..c.len() - 1]);
}

#[tokio::test]
async fn a_broken_file_fails_only_its_layer_with_a_clear_message() {
    let fx = Fixture::new("broken");
    break_files(&fx);
    let app = fx.app();
    let m = manifest(&app).await;
    let by_id = |id: &str| m.layers.iter().find(|l| l.id == id).unwrap();
    let expected_errors = [
        ("grids", "grids.geojson: not valid JSON: expected ident at line 1 column 2"),
        (
            "greenspace",
            "greenspace.geojson: not valid JSON: EOF while parsing a value at line 1 column 361",
        ),
        (
            "parks",
            "parks.geojson: feature 1 (id P-2): Point geometry in a polygon layer (expected Polygon or MultiPolygon)",
        ),
        ("communities", "communities.geojson: not a regular file"),
        (
            "sentinels",
            "sentinels.geojson: feature 0 (id S-1): Polygon/MultiPolygon geometry in a point layer (expected Point)",
        ),
        ("sensors", "sensors.geojson: missing: no such file in the data directory"),
        ("hazards", "hazards.geojson: feature 12 (id YH000013): Point geometry has no \"coordinates\""),
        ("cases", "cases_recent.bin: case file declares 5 records (152 bytes) but holds 151 bytes"),
    ];
    for (id, message) in expected_errors {
        let l = by_id(id);
        assert_eq!(l.error.as_deref(), Some(message), "{id}");
        assert_eq!(l.count, None, "{id}");
    }
    assert_eq!(by_id("sensors").bytes, 0);
    assert_eq!(by_id("cases").bytes, 151);
    assert_eq!(
        by_id("hazards").bytes,
        file_len(&fx.data.join("hazards.geojson"))
    );
    for id in ["areas", "subdistricts", "district"] {
        let l = by_id(id);
        assert_eq!(
            (l.count, l.error.as_deref()),
            (Some(expected_count(id)), None),
            "{id}"
        );
    }
    let h = send(&app, get("/api/health")).await;
    assert_eq!(
        health_core(h.json()),
        json!({"status": "ok", "layers_ok": 3, "layers_failed": 8})
    );

    // A broken layer is still served as it is (the app reports its own
    // parse error), unless it holds personal data and cannot be masked:
    // then it is not served at all.
    let r = send(&app, get("/data/greenspace.geojson")).await;
    assert_eq!(r.status, StatusCode::OK);
    let r = send(&app, get("/data/grids.geojson")).await;
    let detail = r.assert_error(503, "unavailable");
    assert!(detail.contains("masked"), "{detail}");
    assert!(!String::from_utf8_lossy(&r.body).contains("not json at all"));
    assert!(!String::from_utf8_lossy(&r.body).contains("18511476806"));
    let r = send(&app, get("/data/sensors.geojson")).await;
    r.assert_error(404, "not_found");
}

#[tokio::test]
async fn fixing_a_file_on_disk_is_picked_up_by_the_next_manifest() {
    let fx = Fixture::new("refresh");
    let app = fx.app();
    let count = |m: &pingan_model::layers::Manifest, id: &str| {
        let l = m.layers.iter().find(|l| l.id == id).unwrap();
        (l.count, l.error.clone())
    };
    let hazards = expected_count("hazards");
    assert_eq!(
        count(&manifest(&app).await, "hazards"),
        (Some(hazards), None)
    );

    fx.write(
        "hazards.geojson",
        b"{\"type\":\"FeatureCollection\",\"features\":[",
    );
    let (c, e) = count(&manifest(&app).await, "hazards");
    assert_eq!(c, None);
    assert_eq!(
        e.as_deref(),
        Some("hazards.geojson: not valid JSON: EOF while parsing a list at line 1 column 40")
    );

    fx.write("hazards.geojson", points("h", 7).as_bytes());
    let m = manifest(&app).await;
    assert_eq!(count(&m, "hazards"), (Some(7), None));
    assert_eq!(
        m.layers.iter().find(|l| l.id == "hazards").unwrap().bytes,
        file_len(&fx.data.join("hazards.geojson"))
    );

    std::fs::remove_file(fx.data.join("cases_recent.bin")).unwrap();
    let (c, e) = count(&manifest(&app).await, "cases");
    assert_eq!(
        (c, e.as_deref()),
        (
            None,
            Some("cases_recent.bin: missing: no such file in the data directory")
        )
    );
    fx.write("cases_recent.bin", &cases(9));
    assert_eq!(count(&manifest(&app).await, "cases"), (Some(9), None));
    // /api/health refreshes too.
    fx.write("district.geojson", br#"{"type":"Topology","objects":{}}"#);
    let h = send(&app, get("/api/health")).await;
    assert_eq!(
        health_core(h.json()),
        json!({"status": "ok", "layers_ok": LAYERS.len() - 1, "layers_failed": 1})
    );
    assert_eq!(
        count(&manifest(&app).await, "district").1.as_deref(),
        Some("district.geojson: expected a GeoJSON FeatureCollection, found type \"Topology\"")
    );
}

#[tokio::test]
async fn a_missing_data_dir_fails_every_layer_but_the_server_answers() {
    let fx = Fixture::empty("nodata");
    std::fs::remove_dir(&fx.data).unwrap();
    let app = fx.app();
    let m = manifest(&app).await;
    assert_eq!(m.layers.len(), LAYERS.len());
    for (l, def) in m.layers.iter().zip(LAYERS) {
        assert_eq!(
            l.error,
            Some(format!(
                "{}: missing: no such file in the data directory",
                def.file
            ))
        );
        assert_eq!((l.count, l.bytes), (None, 0));
    }
    let h = send(&app, get("/api/health")).await;
    assert_eq!(
        health_core(h.json()),
        json!({"status": "ok", "layers_ok": 0, "layers_failed": LAYERS.len()})
    );
}

#[tokio::test]
async fn kinds_are_checked_for_every_geojson_layer() {
    // Each point layer rejects polygons and each polygon layer rejects points.
    let fx = Fixture::new("kinds");
    for def in LAYERS {
        match def.kind {
            LayerKind::Polygon => fx.write(def.file, points("x", 1).as_bytes()),
            LayerKind::Point => fx.write(def.file, polygons("x", 1).as_bytes()),
            LayerKind::Cases => {}
        }
    }
    let m = manifest(&fx.app()).await;
    for (l, def) in m.layers.iter().zip(LAYERS) {
        match def.kind {
            LayerKind::Cases => assert_eq!(l.count, Some(CASES)),
            _ => {
                let e = l.error.as_deref().unwrap_or_default();
                assert!(
                    e.starts_with(&format!("{}: feature 0 (id x-0): ", def.file)),
                    "{e}"
                );
                assert!(e.contains("geometry in a"), "{e}");
            }
        }
    }
}

#[tokio::test]
async fn unknown_api_routes_are_json_404() {
    let fx = Fixture::new("api404");
    let app = fx.app();
    for uri in [
        "/api/nope",
        "/api/layers/extra",
        "/api",
        "/api/",
        "/api/v2/layers",
    ] {
        let r = send(&app, get(uri)).await;
        let detail = r.assert_error(404, "not_found");
        assert_eq!(
            detail,
            format!(
                "there is no API endpoint at {uri}; the endpoints are listed in docs/api.md \
                 (e.g. GET /api/layers, GET /api/health, GET /api/cases, GET /api/live)"
            )
        );
    }
    let post = Request::builder()
        .method("POST")
        .uri("/api/nope")
        .body(Body::empty())
        .unwrap();
    send(&app, post).await.assert_error(404, "not_found");
}

#[tokio::test]
async fn wrong_methods_are_json_405() {
    let fx = Fixture::new("m405").with_dist();
    let app = fx.app();
    for (method, uri) in [
        ("POST", "/api/layers"),
        ("DELETE", "/api/health"),
        ("PUT", "/data/hazards.geojson"),
        ("POST", "/"),
        ("DELETE", "/index.html"),
        ("PATCH", "/pingan-map-1a2b3c4d5e6f7a8b.js"),
    ] {
        let r = send(
            &app,
            Request::builder()
                .method(method)
                .uri(uri)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        let detail = r.assert_error(405, "method_not_allowed");
        assert_eq!(
            detail,
            format!("{method} is not allowed on {uri}; it answers GET and HEAD only")
        );
        assert_eq!(r.header("allow"), Some("GET, HEAD"), "{method} {uri}");
    }
}

#[tokio::test]
async fn bodies_over_one_mebibyte_are_refused() {
    let fx = Fixture::new("413");
    let app = fx.app();
    let big = vec![b'x'; 1024 * 1024 + 1];
    let req = Request::builder()
        .method("POST")
        .uri("/api/layers")
        .header("content-length", big.len())
        .body(Body::from(big))
        .unwrap();
    let r = send(&app, req).await;
    let detail = r.assert_error(413, "payload_too_large");
    assert_eq!(
        detail,
        "the request body of 1048577 bytes is over the limit of 1048576 bytes"
    );
}

/// Raw request paths that try to leave the data or dist directory.
pub const TRAVERSALS: &[&str] = &[
    "/data/../secret.json",
    "/data/..",
    "/data/%2e%2e/secret.json",
    "/data/%2E%2E/secret.json",
    "/data/%2e%2e%2fsecret.json",
    "/data/..%2fsecret.json",
    "/data/..%2Fsecret.json",
    "/data/.%2e/secret.json",
    "/data/..%5csecret.json",
    "/data/%5c..%5csecret.json",
    "/data//etc/passwd",
    "/data/%2fetc%2fpasswd",
    "/data/%2F..%2Fsecret.json",
    "/data/secret.json%00.geojson",
    "/data/hazards.geojson%00",
    "/data/%252e%252e%252fsecret.json",
    "/data/C:%5csecret.json",
    "/data/./hazards.geojson",
    "/data/%zz",
    "/../secret.json",
    "/%2e%2e/secret.json",
    "/%2e%2e%2fsecret.txt",
    "/..%5csecret.txt",
    "/snippets/../../secret.txt",
    "//etc/passwd",
];

#[tokio::test]
async fn path_traversal_is_rejected_with_400_and_reads_nothing_outside() {
    let fx = Fixture::new("traversal").with_dist();
    let app = fx.app();
    for uri in TRAVERSALS {
        let r = send(&app, get(uri)).await;
        let detail = r.assert_error(400, "bad_path");
        assert!(detail.starts_with("the path \""), "{uri}: {detail}");
        assert!(!r.text().contains(SECRET), "{uri} leaked the secret");
    }
    // Exact message for one of them.
    let r = send(&app, get("/data/%2e%2e/secret.json")).await;
    assert_eq!(
        r.json()["detail"],
        "the path \"%2e%2e/secret.json\" climbs out of its directory with \"..\""
    );
}

/// The router and the `Allow` header come from one table: every method a
/// route does not list is a 405 naming exactly the methods it lists, and
/// every method it lists is routed (not a 405).
#[tokio::test]
async fn the_route_table_drives_routing_and_allow() {
    use pingan_server::api::routes::{allowed_methods, ROUTES};
    let fx = Fixture::new("routes");
    // Every method of every path is more writes than one identity's burst:
    // the write limits are off here (tests/limits.rs tests them).
    let mut cfg = pingan_server::Config::new(fx.data.clone(), fx.dist.clone());
    cfg.edge.identity_writes.per_second = 0;
    cfg.edge.address_writes.per_second = 0;
    let state = pingan_server::AppState::open(cfg).unwrap();
    let cookie = session_cookie(&state, pingan_model::access::Role::Viewer);
    let app = signed_in(pingan_server::app(state), Credentials::cookie(cookie));
    for route in ROUTES {
        let uri = route.path.replace("{id}", "1").replace("{group}", "g1");
        let allow = allowed_methods(&uri);
        for method in ["GET", "POST", "PUT", "DELETE", "PATCH"] {
            // A WebSocket GET without an upgrade and bodies without JSON
            // are rejected by the handler, not by the router.
            let r = send(
                &app,
                Request::builder()
                    .method(method)
                    .uri(&uri)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
            let listed = allow.split(", ").any(|m| m == method);
            if listed {
                assert_ne!(r.status, StatusCode::METHOD_NOT_ALLOWED, "{method} {uri}");
            } else {
                r.assert_error(405, "method_not_allowed");
                assert_eq!(r.header("allow"), Some(allow.as_str()), "{method} {uri}");
            }
        }
    }
}
