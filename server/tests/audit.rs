//! The audit log through the API: every write is recorded once, where
//! commands run (who, role, what, target, from where); the server's own
//! commands are not; `GET /api/audit` is for `audit:read` only and filters;
//! the SQLite table refuses updates and early deletes.

mod common;

use axum::body::Body;
use axum::http::Request;
use common::people::{app_as, case_with_people, fixture, user, XIXIANG};
use common::{get, send};
use pingan_model::access::Role;
use pingan_server::store::sqlite::SqliteStore;
use pingan_server::store::{AuditQuery, Store};

fn post(uri: &str, body: &str) -> Request<Body> {
    Request::builder()
        .method("POST")
        .uri(uri)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap()
}

#[tokio::test]
async fn writes_are_audited_with_who_what_and_where_and_read_by_admins() {
    let fx = fixture("audit-api");
    let state = fx.state();
    // The server's own commands (the simulator, seeding) are not audited.
    let events = case_with_people(&state, XIXIANG, "李小龙", "王芳").await;
    let id = match &events[0].change {
        pingan_model::live::Change::CaseReported { case } => case.id,
        other => panic!("{other:?}"),
    };
    let all = AuditQuery {
        limit: 100,
        ..AuditQuery::default()
    };
    assert_eq!(state.live().store().audit_query(&all).unwrap().len(), 0);

    let operator = app_as(&state, Some(user(Role::Operator, None)));
    let r = send(
        &operator,
        post(
            "/api/hazards/YH000001/status",
            r#"{"status":"rectifying","by":"王工"}"#,
        ),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = send(
        &operator,
        post(
            &format!("/api/cases/{id}/transitions"),
            r#"{"to":"dispatched","by":"王工"}"#,
        ),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    // A refused transition stores no entry (it is in the command's transaction).
    let r = send(
        &operator,
        post(
            &format!("/api/cases/{id}/transitions"),
            r#"{"to":"archived","by":"王工"}"#,
        ),
    )
    .await;
    assert_eq!(r.status, 409, "{}", r.text());

    let admin = app_as(&state, Some(user(Role::Admin, None)));
    let r = send(&admin, get("/api/audit")).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let entries = r.json()["entries"].as_array().unwrap().clone();
    let actions: Vec<&str> = entries
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["case.transition", "hazard.status"]);
    let h = &entries[1];
    assert_eq!(h["actor"], "operator-user");
    assert_eq!(h["kind"], "user");
    assert_eq!(h["role"], "operator");
    assert_eq!(h["target"], "hazards/YH000001");
    assert_eq!(h["from"], "10.0.0.7");
    assert_eq!(h["detail"], "→ rectifying");
    assert!(h["at"].as_i64().unwrap() > 1_700_000_000 && h["id"].as_i64().is_some());

    // Filters.
    let n = |uri: &str| {
        let admin = admin.clone();
        let uri = uri.to_string();
        async move {
            send(&admin, get(&uri)).await.json()["entries"]
                .as_array()
                .unwrap()
                .len()
        }
    };
    assert_eq!(n("/api/audit?action=case.*").await, 1);
    assert_eq!(
        n("/api/audit?action=hazard.status&actor=operator-user").await,
        1
    );
    assert_eq!(n("/api/audit?actor=nobody").await, 0);
    assert_eq!(n("/api/audit?limit=1").await, 1);
    assert_eq!(n("/api/audit?until=2020-01-01").await, 0);
    assert_eq!(n("/api/audit?since=2020-01-01").await, 2);
    send(&admin, get("/api/audit?limit=0"))
        .await
        .assert_error(400, "bad_request");
    send(&admin, get("/api/audit?sort=up"))
        .await
        .assert_error(400, "bad_request");

    // Only audit:read: every other role 403 naming it, anonymous 401.
    for role in [Role::Viewer, Role::Planner, Role::Officer, Role::Operator] {
        let r = send(&app_as(&state, Some(user(role, None))), get("/api/audit")).await;
        assert_eq!(r.status, 403, "{role}");
        assert_eq!(r.json()["permission"], "audit:read");
    }
    send(&app_as(&state, None), get("/api/audit"))
        .await
        .assert_error(401, "unauthenticated");
}

#[test]
fn the_sqlite_audit_table_refuses_updates_and_deletes_before_retention() {
    let dir = std::env::temp_dir().join(format!("pingan-audit-sql-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let path = dir.join("live.sqlite");
    let store = SqliteStore::open(&path).unwrap();
    let e = pingan_server::store::AuditEntry {
        at: pingan_server::clock::now_s(),
        actor: "zhang".into(),
        kind: "user".into(),
        role: None,
        action: "contacts.read".into(),
        target: "hazards/YH000001".into(),
        from: "10.0.0.7".into(),
        detail: String::new(),
    };
    store.audit(&e).unwrap();
    let conn = rusqlite::Connection::open(&path).unwrap();
    let upd = conn.execute("UPDATE audit SET actor = 'someone else'", []);
    assert!(upd.unwrap_err().to_string().contains("append-only"));
    let del = conn.execute("DELETE FROM audit", []);
    assert!(del.unwrap_err().to_string().contains("append-only"));
    // A cut within the 180 days is refused and deletes nothing, through
    // the store and through SQL on the meta row that unlocks deletes.
    let early = store.prune_audit_before(e.at - 86_400).unwrap_err();
    assert!(early.to_string().contains("180 days"), "{early}");
    let early = store.prune_audit_before(i64::MAX).unwrap_err();
    assert!(early.to_string().contains("180 days"), "{early}");
    let moved = conn.execute(
        "INSERT INTO meta (key, value) VALUES ('audit_cut', '9000000000000000000')
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [],
    );
    assert!(moved.unwrap_err().to_string().contains("180 days"));
    let del = conn.execute("DELETE FROM audit", []);
    assert!(del.unwrap_err().to_string().contains("append-only"));
    // A cut older than the 180 days leaves today's entry.
    assert_eq!(store.prune_audit_before(e.at - 181 * 86_400).unwrap(), 0);
    let left = store
        .audit_query(&AuditQuery {
            limit: 5,
            ..AuditQuery::default()
        })
        .unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].entry, e);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_reports_entry_names_the_new_case() {
    let fx = fixture("audit-report");
    let rules =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/dispatch_rules.json");
    fx.write(
        "dispatch_rules.json",
        &std::fs::read(&rules).expect("data/dispatch_rules.json (generate the data first)"),
    );
    let state = fx.state();
    let officer = app_as(&state, Some(user(Role::Officer, None)));
    let r = send(
        &officer,
        post(
            "/api/cases",
            r#"{"category":"dispute","lon":113.8005,"lat":22.6005,"description":"邻里纠纷"}"#,
        ),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let id = r.json()["id"].as_u64().unwrap();
    let log = state
        .live()
        .store()
        .audit_query(&AuditQuery {
            action: Some("case.report".into()),
            limit: 10,
            ..AuditQuery::default()
        })
        .unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].entry.target, format!("cases/{id}"));
    assert_eq!(log[0].entry.actor, "officer-user");
}
