//! Photos (issue 10): `PUT /api/photos/{sha256}` checks the digest, the type
//! by content, the size and the pixel size and stores once; `GET` answers
//! the bytes, inert and privately cached, to `personal:read` only (scoped
//! readers: their own uploads and their subdistrict's), audited. Against a
//! store seeded from the real generated data.

mod common;

use axum::body::Body;
use axum::http::Request;
use axum::Router;
use common::live::{env, LiveEnv};
use common::people::{app_as, user};
use common::{send, Reply};
use pingan_model::access::Role;
use pingan_server::photo::fixtures;
use pingan_server::store::photo::id_of;
use pingan_server::store::AuditQuery;

fn put_request(id: &str, content_type: Option<&str>, body: Vec<u8>) -> Request<Body> {
    let mut b = Request::builder()
        .method("PUT")
        .uri(format!("/api/photos/{id}"));
    if let Some(ct) = content_type {
        b = b.header("content-type", ct);
    }
    b.body(Body::from(body)).unwrap()
}

async fn put(app: &Router, content_type: &str, body: &[u8]) -> Reply {
    send(
        app,
        put_request(&id_of(body), Some(content_type), body.to_vec()),
    )
    .await
}

async fn get(app: &Router, id: &str) -> Reply {
    send(app, common::get(&format!("/api/photos/{id}"))).await
}

fn reads(e: &LiveEnv, id: &str) -> Vec<String> {
    e.state
        .live()
        .store()
        .audit_query(&AuditQuery {
            action: Some("photo.read".into()),
            limit: 100,
            ..AuditQuery::default()
        })
        .unwrap()
        .into_iter()
        .filter(|r| r.entry.target == format!("photos/{id}"))
        .map(|r| r.entry.actor)
        .collect()
}

fn forbidden(r: &Reply, permission: &str) {
    assert_eq!(r.status, 403, "{}", r.text());
    assert_eq!(r.json()["error"], "forbidden");
    assert_eq!(r.json()["permission"], permission);
}

/// A valid PNG padded to `size` bytes (filler after IEND is not read).
fn png_of_size(size: usize) -> Vec<u8> {
    let mut b = fixtures::png(1200, 900);
    b.resize(size, 0x42);
    b
}

#[tokio::test]
async fn jpeg_png_and_webp_are_stored_once_and_read_back_as_sent() {
    let e = env("photos-good");
    let officer = e.as_role(Role::Officer);
    let operator = e.as_role(Role::Operator);
    for (ct, body, (w, h)) in [
        ("image/jpeg", fixtures::jpeg(4032, 3024), (4032, 3024)),
        ("image/png", fixtures::png(640, 480), (640, 480)),
        ("image/webp", fixtures::webp_lossy(1920, 1080), (1920, 1080)),
        ("image/webp", fixtures::webp_lossless(300, 200), (300, 200)),
        (
            "image/webp",
            fixtures::webp_extended(8192, 8192),
            (8192, 8192),
        ),
    ] {
        let id = id_of(&body);
        let r = put(&officer, ct, &body).await;
        assert_eq!(r.status, 201, "{ct}: {}", r.text());
        assert_eq!(
            r.json(),
            serde_json::json!({"id": id, "type": ct, "width": w, "height": h, "bytes": body.len()})
        );
        assert_eq!(
            r.header("location"),
            Some(format!("/api/photos/{id}").as_str())
        );
        // Again (the outbox's retry): 200, the same description, one row.
        let again = put(&officer, ct, &body).await;
        assert_eq!(again.status, 200, "{}", again.text());
        assert_eq!(again.json(), r.json());

        let got = get(&operator, &id).await;
        assert_eq!(got.status, 200, "{}", got.text());
        assert_eq!(got.body, body, "the bytes as sent");
        assert_eq!(got.header("content-type"), Some(ct));
        assert_eq!(got.header("cache-control"), Some("private, no-store"));
        assert_eq!(got.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(
            got.header("content-security-policy"),
            Some("default-src 'none'; sandbox")
        );
        assert_eq!(
            got.header("cross-origin-resource-policy"),
            Some("same-origin")
        );
        assert_eq!(reads(&e, &id), ["operator"], "the read is audited");
    }
    // Over the 1 MiB of other bodies, within the photo's 2 MiB.
    let big = png_of_size(3 * 512 * 1024);
    let r = put(&officer, "image/png", &big).await;
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(get(&officer, &id_of(&big)).await.body.len(), big.len());
}

#[tokio::test]
async fn what_is_not_a_good_photo_is_refused_and_not_stored() {
    let e = env("photos-bad");
    let officer = e.as_role(Role::Officer);
    let jpeg = fixtures::jpeg(100, 100);

    // The digest is the path's.
    let other = id_of(b"something else");
    let r = send(
        &officer,
        put_request(&other, Some("image/jpeg"), jpeg.clone()),
    )
    .await;
    let detail = r.assert_error(400, "digest_mismatch");
    assert!(detail.contains(&id_of(&jpeg)), "{detail}");
    assert_eq!(get(&officer, &other).await.status, 404);
    assert_eq!(get(&officer, &id_of(&jpeg)).await.status, 404);

    // By content: HTML or SVG labelled as a JPEG is no photo.
    for body in [
        &b"<!doctype html><html><script>alert(document.cookie)</script></html>"[..],
        b"<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>",
        b"GIF89a\x01\x00\x01\x00\x80\x00\x00",
    ] {
        put(&officer, "image/jpeg", body)
            .await
            .assert_error(415, "unsupported_media_type");
        assert_eq!(get(&officer, &id_of(body)).await.status, 404);
    }
    // The declared type must be one of the three too.
    for ct in ["text/html", "image/svg+xml", "application/octet-stream"] {
        put(&officer, ct, &jpeg)
            .await
            .assert_error(415, "unsupported_media_type");
    }
    send(&officer, put_request(&id_of(&jpeg), None, jpeg.clone()))
        .await
        .assert_error(415, "unsupported_media_type");

    // Over 2 MiB: 413, declared or streamed.
    let huge = png_of_size(2 * 1024 * 1024 + 1);
    put(&officer, "image/png", &huge)
        .await
        .assert_error(413, "payload_too_large");
    let stream = futures_util::stream::iter(
        huge.chunks(256 * 1024)
            .map(|c| Ok::<_, std::io::Error>(c.to_vec()))
            .collect::<Vec<_>>(),
    );
    let req = Request::builder()
        .method("PUT")
        .uri(format!("/api/photos/{}", id_of(&huge)))
        .header("content-type", "image/png")
        .body(Body::from_stream(stream))
        .unwrap();
    let r = send(&officer, req).await;
    r.assert_error(413, "payload_too_large");
    assert!(r.header("content-length").is_some());

    // Pixel sizes from the header: readable, and each side at most 8192.
    for body in [
        fixtures::jpeg(8193, 10),
        fixtures::png(10, 9000),
        fixtures::webp_extended(20_000, 10),
        fixtures::jpeg(10, 0),
        fixtures::jpeg(10, 10)[..30].to_vec(),
    ] {
        let r = put(&officer, "image/jpeg", &body).await;
        r.assert_error(422, "bad_image");
        assert_eq!(get(&officer, &id_of(&body)).await.status, 404);
    }

    // The path names a SHA-256.
    for bad in ["abc", &"A".repeat(64), &"g".repeat(64)] {
        send(&officer, put_request(bad, Some("image/jpeg"), jpeg.clone()))
            .await
            .assert_error(400, "bad_request");
        get(&officer, bad).await.assert_error(400, "bad_request");
    }
}

#[tokio::test]
async fn a_png_declared_as_a_jpeg_is_stored_as_the_png_it_is() {
    let e = env("photos-mislabelled");
    let officer = e.as_role(Role::Officer);
    let png = fixtures::png(30, 20);
    let r = put(&officer, "image/jpeg", &png).await;
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(r.json()["type"], "image/png");
    let got = get(&officer, &id_of(&png)).await;
    assert_eq!(got.header("content-type"), Some("image/png"));
}

#[tokio::test]
async fn only_personal_readers_see_photos_and_only_reporters_upload_them() {
    let e = env("photos-who");
    let officer = e.as_role(Role::Officer);
    let jpeg = fixtures::jpeg(64, 48);
    let id = id_of(&jpeg);
    assert_eq!(put(&officer, "image/jpeg", &jpeg).await.status, 201);
    for role in [Role::Viewer, Role::Planner, Role::Admin] {
        forbidden(&get(&e.as_role(role), &id).await, "personal:read");
        forbidden(
            &put(&e.as_role(role), "image/jpeg", &jpeg).await,
            "cases:report",
        );
    }
    let anonymous = pingan_server::app(e.state.clone());
    assert_eq!(get(&anonymous, &id).await.status, 401);
    assert_eq!(
        reads(&e, &id),
        Vec::<String>::new(),
        "refused reads are not reads"
    );
    assert_eq!(get(&officer, &id).await.status, 200);
    assert_eq!(reads(&e, &id), ["officer"]);
    // Unknown: 404.
    get(&officer, &id_of(b"never stored"))
        .await
        .assert_error(404, "not_found");
}

#[tokio::test]
async fn a_scoped_reader_sees_its_own_uploads_and_not_others() {
    let e = env("photos-scope");
    let fuhai = app_as(&e.state, Some(user(Role::Officer, Some("福海街道"))));
    let operator = e.as_role(Role::Operator);
    let mine = fixtures::png(10, 10);
    let theirs = fixtures::png(11, 11);
    assert_eq!(put(&fuhai, "image/png", &mine).await.status, 201);
    assert_eq!(put(&operator, "image/png", &theirs).await.status, 201);
    assert_eq!(get(&fuhai, &id_of(&mine)).await.status, 200);
    let r = get(&fuhai, &id_of(&theirs)).await;
    assert_eq!(r.status, 403, "{}", r.text());
    assert_eq!(r.json()["scope"], "福海街道");
    // Unscoped readers see both.
    assert_eq!(get(&operator, &id_of(&mine)).await.status, 200);
}

#[tokio::test]
async fn a_case_and_a_hazard_change_carry_a_stored_photo_and_refuse_an_unknown_one() {
    use common::live::{first_hazard, grid_point, post};
    use pingan_model::live::Change;
    use serde_json::json;
    let e = env("photos-cases");
    let officer = e.as_role(Role::Officer);
    let jpeg = fixtures::jpeg(800, 600);
    let photo = id_of(&jpeg);
    let p = grid_point(0);
    let report = |photo: &str| {
        json!({"category": "dispute", "lon": p[0], "lat": p[1],
               "description": "附照片的上报", "photo": photo})
    };

    // Not stored yet, or no photo id at all: 422, nothing stored.
    let before = e.counts();
    for bad in [photo.as_str(), "not-a-sha256", ""] {
        let r = post(&officer, "/api/cases", &report(bad), None).await;
        let detail = r.assert_error(422, "unknown_photo");
        assert!(detail.starts_with("photo: "), "{detail}");
    }
    assert_eq!(e.counts(), before);

    assert_eq!(put(&officer, "image/jpeg", &jpeg).await.status, 201);
    let r = post(&officer, "/api/cases", &report(&photo), None).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let case = r.json();
    assert_eq!(case["photo"], photo.as_str());
    let id = case["id"].as_u64().unwrap();
    let d = send(&officer, common::get(&format!("/api/cases/{id}"))).await;
    assert_eq!(d.json()["case"]["photo"], photo.as_str(), "{}", d.text());
    let events = e
        .state
        .live()
        .store()
        .events_since(before.head, 10)
        .unwrap();
    match &events[..] {
        [ev] => match &ev.change {
            Change::CaseReported { case } => {
                assert_eq!(case.photo.as_deref(), Some(photo.as_str()))
            }
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    }
    // A case without one has no `photo` key at all (old readers see nothing new).
    let plain = post(
        &officer,
        "/api/cases",
        &json!({"category": "dispute", "lon": p[0], "lat": p[1], "description": "无照片"}),
        None,
    )
    .await;
    assert_eq!(plain.status, 201, "{}", plain.text());
    assert!(plain.json().get("photo").is_none(), "{}", plain.text());

    // A hazard change with the photo: its answer, the snapshot and the event.
    let (hazard, status) = first_hazard();
    let uri = format!("/api/hazards/{hazard}/status");
    let head = e.counts().head;
    let r = post(
        &officer,
        &uri,
        &json!({"status": status, "photo": "ab".repeat(32)}),
        None,
    )
    .await;
    r.assert_error(422, "unknown_photo");
    assert_eq!(e.counts().head, head);
    let r = post(
        &officer,
        &uri,
        &json!({"status": status, "note": "现场照片", "photo": photo}),
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["photo"], photo.as_str());
    let live = send(&officer, common::get("/api/live")).await;
    let shown = live.json()["hazards"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["id"] == hazard.as_str())
        .cloned()
        .expect("the changed hazard");
    assert_eq!(shown["photo"], photo.as_str());
    let events = e.state.live().store().events_since(head, 10).unwrap();
    assert!(matches!(&events[0].change,
        Change::HazardStatus { hazard: h } if h.photo.as_deref() == Some(photo.as_str())));
    // The next change without one: the hazard's state has none.
    let back = if status == "open" {
        "rectifying"
    } else {
        "open"
    };
    let r = post(&officer, &uri, &json!({"status": back}), None).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.json().get("photo").is_none());
}

#[tokio::test]
async fn a_scoped_reader_sees_the_photos_of_its_subdistricts_cases() {
    use common::live::{grid_point, post};
    use serde_json::json;
    let e = env("photos-scope-cases");
    let operator = e.as_role(Role::Operator);
    // A grid of 福海街道 and one elsewhere, from the real data.
    let grids = std::fs::read_to_string(e.dir.join("grids.geojson")).unwrap();
    let features = pingan_model::geojson_io::parse_feature_collection(&grids).unwrap();
    let at = |pred: &dyn Fn(Option<&str>) -> bool| {
        features
            .iter()
            .position(|f| pred(f.str_prop("subdistrict")))
            .expect("such a grid")
    };
    let fuhai_grid = at(&|s| s == Some("福海街道"));
    let other_grid = at(&|s| s.is_some() && s != Some("福海街道"));
    let here = fixtures::png(20, 20);
    let there = fixtures::png(21, 21);
    for (img, grid) in [(&here, fuhai_grid), (&there, other_grid)] {
        assert_eq!(put(&operator, "image/png", img).await.status, 201);
        let p = grid_point(grid);
        let r = post(
            &operator,
            "/api/cases",
            &json!({"category": "dispute", "lon": p[0], "lat": p[1],
                    "description": "照片", "photo": id_of(img)}),
            None,
        )
        .await;
        assert_eq!(r.status, 201, "{}", r.text());
    }
    let fuhai = app_as(&e.state, Some(user(Role::Officer, Some("福海街道"))));
    assert_eq!(get(&fuhai, &id_of(&here)).await.status, 200);
    assert_eq!(get(&fuhai, &id_of(&there)).await.status, 403);
}
