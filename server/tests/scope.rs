//! An account limited to a subdistrict (an officer's scope) writes only
//! there: reporting a case located in another subdistrict, moving such a
//! case on (a scoped operator) or changing a hazard elsewhere is 403 naming the permission and
//! saying it lies outside the account's subdistrict. Scopes given to users
//! (admin API and the `Auth` service the CLI uses) must be one of the
//! district's subdistricts, else 400 naming them.

mod common;

use axum::body::Body;
use axum::http::Request;
use common::people::{app_as, fixture, user, FUHAI, XIXIANG};
use common::{send, Fixture, Reply};
use pingan_model::access::Role;
use pingan_server::auth::accounts::UserIn;
use pingan_server::auth::AuthError;
use pingan_server::AppState;
use serde_json::{json, Value};

fn with_rules(name: &str) -> Fixture {
    let fx = fixture(name);
    let rules =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/dispatch_rules.json");
    fx.write(
        "dispatch_rules.json",
        &std::fs::read(&rules).expect("data/dispatch_rules.json (generate the data first)"),
    );
    fx
}

async fn post(router: &axum::Router, uri: &str, body: Value) -> Reply {
    let req = Request::builder()
        .method("POST")
        .uri(uri)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    send(router, req).await
}

fn report(lon: f64) -> Value {
    json!({"category": "dispute", "lon": lon, "lat": 22.6005, "description": "邻里纠纷"})
}

fn outside(r: &Reply, permission: &str) {
    assert_eq!(r.status, 403, "{}", r.text());
    let v = r.json();
    assert_eq!(v["error"], "forbidden");
    assert_eq!(v["permission"], permission);
    assert_eq!(v["scope"], "西乡街道", "the app says which subdistrict");
    let detail = v["detail"].as_str().unwrap();
    assert!(detail.contains(permission), "{detail}");
    assert!(
        detail.contains("outside the account's subdistrict 西乡街道"),
        "{detail}"
    );
}

#[tokio::test]
async fn a_scoped_officer_reports_and_changes_only_in_its_subdistrict() {
    let fx = with_rules("scope-writes");
    let state: AppState = fx.state();
    let officer = app_as(&state, Some(user(Role::Officer, Some(XIXIANG))));
    let unscoped = app_as(&state, Some(user(Role::Officer, None)));
    // G0001 (西乡) is at 113.8005, G0002 (福海) at 113.8015.
    let r = post(&officer, "/api/cases", report(113.8015)).await;
    outside(&r, "cases:report");
    let r = post(&officer, "/api/cases", report(113.8005)).await;
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(r.json()["subdistrict"], XIXIANG);
    // A case in 福海 (reported by an unscoped officer) is not the scoped one's to move.
    let r = post(&unscoped, "/api/cases", report(113.8015)).await;
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(r.json()["subdistrict"], FUHAI);
    let id = r.json()["id"].as_u64().unwrap();
    // Officers do not move cases; a scoped operator may, in its subdistrict.
    let operator = app_as(&state, Some(user(Role::Operator, Some(XIXIANG))));
    let r = post(
        &operator,
        &format!("/api/cases/{id}/transitions"),
        json!({"to": "accepted"}),
    )
    .await;
    outside(&r, "cases:transition");
    // Hazards: YH000001 lies in 福海, YH000002 in 西乡.
    let r = post(
        &officer,
        "/api/hazards/YH000001/status",
        json!({"status": "rectifying"}),
    )
    .await;
    outside(&r, "hazards:status");
    let r = post(
        &officer,
        "/api/hazards/YH000002/status",
        json!({"status": "rectifying"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = post(
        &unscoped,
        "/api/hazards/YH000001/status",
        json!({"status": "rectifying"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
}

#[tokio::test]
async fn a_scope_must_be_one_of_the_district_subdistricts() {
    let fx = with_rules("scope-names");
    let state = fx.state();
    let admin = app_as(&state, Some(user(Role::Admin, None)));
    let r = post(
        &admin,
        "/api/users",
        json!({"username": "li", "role": "officer", "scope": "火星街道"}),
    )
    .await;
    let detail = r.assert_error(400, "bad_request");
    assert!(
        detail.contains("火星街道") && detail.contains(XIXIANG) && detail.contains(FUHAI),
        "{detail}"
    );
    let r = post(
        &admin,
        "/api/users",
        json!({"username": "li", "role": "officer", "scope": FUHAI}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let r = post(&admin, "/api/users/li", json!({"scope": "西乡"})).await;
    r.assert_error(400, "bad_request");
    // The service the CLI uses answers the same.
    let e = state
        .auth()
        .create_user(&UserIn {
            username: "wang".into(),
            display_name: None,
            role: Role::Officer,
            scope: Some("火星街道".into()),
            password: None,
        })
        .unwrap_err();
    assert!(
        matches!(e, AuthError::BadField { ref field, .. } if field == "scope"),
        "{e:?}"
    );
}

#[test]
fn without_subdistrict_data_any_scope_text_is_accepted() {
    let fx = Fixture::new("scope-free");
    let state = fx.state();
    let u = state
        .auth()
        .create_user(&UserIn {
            username: "zhou".into(),
            display_name: None,
            role: Role::Officer,
            scope: Some(" 某街道 ".into()),
            password: None,
        })
        .unwrap();
    assert_eq!(u.scope.as_deref(), Some("某街道"));
}
