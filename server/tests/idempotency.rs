//! Idempotency keys on writes (`Idempotency-Key`, for the field phone's
//! outbox): a repeat with the same key and request gets the first answer
//! with `Idempotent-Replayed: true` and changes nothing (no second case, no
//! event, no audit entry); another request under the same key is 422; keys
//! are per account; a refused write remembers nothing; a bad key is 400.
//! Against a store seeded from the real generated data.

mod common;

use axum::Router;
use common::live::{env, first_hazard, grid_point, post, LiveEnv};
use common::{send, Reply};
use pingan_model::access::Role;
use pingan_model::live::Change;
use pingan_server::store::AuditQuery;
use serde_json::{json, Value};

fn report(p: [f64; 2], description: &str) -> Value {
    json!({"category": "dispute", "lon": p[0], "lat": p[1], "description": description})
}

fn replayed(r: &Reply) -> bool {
    r.header("idempotent-replayed") == Some("true")
}

/// The cases of `GET /api/cases` whose description is `text`.
async fn listed(app: &Router, text: &str) -> Vec<Value> {
    let r = send(app, common::get("/api/cases?limit=100")).await;
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["properties"]["description"] == text)
        .cloned()
        .collect()
}

fn audit_count(e: &LiveEnv, action: &str) -> usize {
    e.state
        .live()
        .store()
        .audit_query(&AuditQuery {
            action: Some(action.into()),
            limit: 1000,
            ..AuditQuery::default()
        })
        .unwrap()
        .len()
}

#[tokio::test]
async fn a_report_sent_twice_with_one_key_is_one_case_answered_twice_alike() {
    let e = env("idem-report");
    let officer = e.as_role(Role::Officer);
    let text = "同一键两次上报：只有一个事件";
    let body = report(grid_point(0), text);
    let key = "0f8c2a4e-5b6d-4c1e-9a7b-3d2e1f0a9b8c";
    let before = e.counts();
    let audited = audit_count(&e, "case.report");

    let first = post(&officer, "/api/cases", &body, Some(key)).await;
    assert_eq!(first.status, 201, "{}", first.text());
    assert!(!replayed(&first));
    let id = first.json()["id"].as_u64().unwrap();
    assert!(!first.json()["departments"].as_array().unwrap().is_empty());

    let again = post(&officer, "/api/cases", &body, Some(key)).await;
    assert_eq!(again.status, 201, "{}", again.text());
    assert!(replayed(&again));
    assert_eq!(again.body, first.body, "the first answer, byte for byte");
    assert_eq!(again.header("location"), first.header("location"));
    assert_eq!(
        again.header("location"),
        Some(format!("/api/cases/{id}").as_str())
    );
    assert_eq!(again.header("content-type"), Some("application/json"));
    assert_eq!(again.header("cache-control"), Some("no-store"));

    // One case, one event, one audit entry.
    let after = e.counts();
    assert_eq!(after.cases, before.cases + 1);
    assert_eq!(after.head, before.head + 1);
    let events = e
        .state
        .live()
        .store()
        .events_since(before.head, 10)
        .unwrap();
    assert_eq!(events.len(), 1);
    assert!(matches!(&events[0].change, Change::CaseReported { case } if u64::from(case.id) == id));
    assert_eq!(
        e.state.live().hub().head(),
        after.head,
        "one event published"
    );
    assert_eq!(audit_count(&e, "case.report"), audited + 1);
    let cases = listed(&officer, text).await;
    assert_eq!(cases.len(), 1, "{cases:?}");
    assert_eq!(cases[0]["id"], id);

    // The same key quoted as a structured-field string is the same key.
    let quoted = post(&officer, "/api/cases", &body, Some(&format!("\"{key}\""))).await;
    assert!(replayed(&quoted), "{}", quoted.text());
    assert_eq!(quoted.body, first.body);
    assert_eq!(e.counts().cases, before.cases + 1);
}

#[tokio::test]
async fn another_body_under_the_same_key_is_refused_and_stores_nothing() {
    let e = env("idem-reused");
    let officer = e.as_role(Role::Officer);
    let key = "reused-key-0123456789";
    let p = grid_point(1);
    let first = post(&officer, "/api/cases", &report(p, "第一次"), Some(key)).await;
    assert_eq!(first.status, 201, "{}", first.text());
    let before = e.counts();
    let r = post(
        &officer,
        "/api/cases",
        &report(p, "第二次，内容不同"),
        Some(key),
    )
    .await;
    let detail = r.assert_error(422, "idempotency_key_reused");
    assert!(detail.contains("POST /api/cases"), "{detail}");
    // The same key on another endpoint is another request too.
    let (hazard, status) = first_hazard();
    let r = post(
        &officer,
        &format!("/api/hazards/{hazard}/status"),
        &json!({ "status": status }),
        Some(key),
    )
    .await;
    r.assert_error(422, "idempotency_key_reused");
    assert_eq!(e.counts(), before);
}

#[tokio::test]
async fn keys_belong_to_their_account() {
    let e = env("idem-accounts");
    let officer = e.as_role(Role::Officer);
    let operator = e.as_role(Role::Operator);
    let key = "shared-key-0123456789";
    let body = report(grid_point(2), "两个账号用了同一个键");
    let mine = post(&officer, "/api/cases", &body, Some(key)).await;
    let theirs = post(&operator, "/api/cases", &body, Some(key)).await;
    assert_eq!((mine.status.as_u16(), theirs.status.as_u16()), (201, 201));
    assert!(!replayed(&mine) && !replayed(&theirs));
    assert_ne!(mine.json()["id"], theirs.json()["id"]);
    // Each account's repeat replays its own answer.
    let again = post(&operator, "/api/cases", &body, Some(key)).await;
    assert!(replayed(&again));
    assert_eq!(again.body, theirs.body);
    // Another session of the same account is the same account.
    let officer_again = e.as_role(Role::Officer);
    let r = post(&officer_again, "/api/cases", &body, Some(key)).await;
    assert!(replayed(&r));
    assert_eq!(r.body, mine.body);
}

#[tokio::test]
async fn a_bad_key_is_400_before_anything_else() {
    let e = env("idem-bad");
    let officer = e.as_role(Role::Officer);
    let before = e.counts();
    let body = report(grid_point(0), "坏键");
    for bad in [
        "short",
        "has spaces in it 0123456789",
        "slash/0123456789abcdef",
        &"x".repeat(129),
        // UTF-8 in a header: not ASCII text.
        "中文键中文键中文键中文键中文键中文键",
    ] {
        let headers = [("idempotency-key", bad)];
        let req = common::live::json_request("POST", "/api/cases", &body, &headers);
        let r = send(&officer, req).await;
        r.assert_error(400, "bad_idempotency_key");
    }
    // Checked before the body: a bad key with a bad body is still the key's 400.
    let r = post(&officer, "/api/cases", &json!({"nope": 1}), Some("short")).await;
    r.assert_error(400, "bad_idempotency_key");
    assert_eq!(e.counts(), before);
}

#[tokio::test]
async fn a_refused_write_is_not_remembered_and_its_corrected_retry_succeeds() {
    let e = env("idem-retry");
    let officer = e.as_role(Role::Officer);
    let key = "retry-after-422-0123456789";
    let r = post(
        &officer,
        "/api/cases",
        &report([116.4, 39.9], "在北京"),
        Some(key),
    )
    .await;
    r.assert_error(422, "invalid");
    let r = post(
        &officer,
        "/api/cases",
        &report(grid_point(0), "改正后的上报"),
        Some(key),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text());
    assert!(!replayed(&r));
}

#[tokio::test]
async fn a_transition_replayed_after_the_case_moved_on_returns_the_first_answer() {
    let e = env("idem-transition");
    let operator = e.as_role(Role::Operator);
    let created = post(
        &operator,
        "/api/cases",
        &report(grid_point(0), "待受理"),
        None,
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.text());
    let id = created.json()["id"].as_u64().unwrap();
    let uri = format!("/api/cases/{id}/transitions");
    let key = "transition-0123456789";
    let accept = json!({"to": "accepted", "note": "已受理"});
    let first = post(&operator, &uri, &accept, Some(key)).await;
    assert_eq!(first.status, 200, "{}", first.text());
    assert_eq!(first.json()["status"], "accepted");
    let moved = post(&operator, &uri, &json!({"to": "dispatched"}), None).await;
    assert_eq!(moved.status, 200, "{}", moved.text());
    let head = e.counts().head;

    let again = post(&operator, &uri, &accept, Some(key)).await;
    assert_eq!(again.status, 200, "{}", again.text());
    assert!(replayed(&again));
    assert_eq!(again.body, first.body);
    assert_eq!(again.json()["status"], "accepted", "the answer of the time");
    assert_eq!(e.counts().head, head, "no event");
    // Without the key, the same request is refused by the status machine.
    let r = post(&operator, &uri, &accept, None).await;
    r.assert_error(409, "conflict");
    let d = send(&operator, common::get(&format!("/api/cases/{id}"))).await;
    assert_eq!(d.json()["case"]["status"], "dispatched");
    assert_eq!(d.json()["transitions"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn an_acknowledgement_and_a_hazard_change_are_replayed_not_refused() {
    let e = env("idem-ack-hazard");
    let operator = e.as_role(Role::Operator);
    let alerts = send(&operator, common::get("/api/alerts?active=true")).await;
    let alert = alerts.json()["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["acked_at"].is_null())
        .expect("an unacknowledged active alert in the seeded data")["id"]
        .as_u64()
        .unwrap();
    let uri = format!("/api/alerts/{alert}/ack");
    let key = "ack-0123456789abcdef";
    let first = post(&operator, &uri, &json!({}), Some(key)).await;
    assert_eq!(first.status, 200, "{}", first.text());
    let head = e.counts().head;
    let again = post(&operator, &uri, &json!({}), Some(key)).await;
    assert_eq!(again.status, 200, "{}", again.text());
    assert!(replayed(&again));
    assert_eq!(again.body, first.body);
    post(&operator, &uri, &json!({}), None)
        .await
        .assert_error(409, "conflict");

    let (hazard, status) = first_hazard();
    let uri = format!("/api/hazards/{hazard}/status");
    let body = json!({"status": status, "note": "复查"});
    let key = "hazard-0123456789abcdef";
    let officer = e.as_role(Role::Officer);
    let first = post(&officer, &uri, &body, Some(key)).await;
    assert_eq!(first.status, 200, "{}", first.text());
    let again = post(&officer, &uri, &body, Some(key)).await;
    assert!(replayed(&again));
    assert_eq!(again.body, first.body);
    assert_eq!(e.counts().head, head + 1, "only the first hazard change");
    post(&officer, &uri, &body, None)
        .await
        .assert_error(409, "conflict");
}
