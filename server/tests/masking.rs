//! Personal data masked at the source, per audience: the layer files (for
//! everyone), `/api/contacts` (unmasked, scope-checked, audited), cases,
//! `/api/live` and every `/ws` frame (a viewer's stream holds no phone or
//! name; an officer's does; a scoped officer's only in its subdistrict).

mod common;

use common::people::{
    app_as, case_with_people, fixture, hazard_change, user, FUHAI, SECRETS, XIXIANG,
};
use common::{get, get_with, gunzip, send};
use futures_util::{SinkExt, StreamExt};
use pingan_model::access::Role;
use pingan_model::domain::{CaseCategory, CaseStatus, Department, HazardStatus};
use pingan_model::live::Change;
use pingan_server::store::{Actor, AuditQuery, Command, NewCase};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

fn assert_none_of(text: &str, secrets: &[&str], what: &str) {
    for s in secrets {
        assert!(!text.contains(s), "{what} holds {s}: {text}");
    }
}

#[tokio::test]
async fn layer_files_are_masked_for_everyone_in_every_encoding() {
    let fx = fixture("mask-files");
    let state = fx.state();
    // Anonymous: nothing at all.
    for file in ["grids.geojson", "hazards.geojson"] {
        let r = send(&app_as(&state, None), get(&format!("/data/{file}"))).await;
        r.assert_error(401, "unauthenticated");
        assert_none_of(&r.text(), SECRETS, file);
    }
    for actor in [
        Some(user(Role::Viewer, None)),
        Some(user(Role::Operator, None)),
        Some(user(Role::Admin, None)),
    ] {
        let app = app_as(&state, actor);
        for file in ["grids.geojson", "hazards.geojson"] {
            let r = send(&app, get(&format!("/data/{file}"))).await;
            assert_eq!(r.status, 200, "{file}");
            assert!(r.header("etag").is_some(), "{file}: still ETagged");
            let text = r.text();
            assert_none_of(&text, SECRETS, file);
            let gz = send(
                &app,
                get_with(&format!("/data/{file}"), &[("accept-encoding", "gzip")]),
            )
            .await;
            assert_eq!(gz.header("content-encoding"), Some("gzip"));
            assert_eq!(
                gunzip(&gz.body),
                text.as_bytes(),
                "{file}: the same masked bytes"
            );
        }
        let grids = send(&app, get("/data/grids.geojson")).await.text();
        assert!(
            grids.contains("冯**") && grids.contains("185****6806"),
            "{grids}"
        );
        let hazards = send(&app, get("/data/hazards.geojson")).await.text();
        assert!(
            hazards.contains("唐**") && hazards.contains("182****8858"),
            "{hazards}"
        );
        assert!(hazards.contains("街道责任人"), "roles are not personal");
    }
    // Any other name of a personal file is masked the same way: a copy, an
    // upper-case spelling, a symbolic link.
    let grids = fx.read("grids.geojson");
    fx.write("grids-copy.geojson", &grids);
    fx.write("GRIDS.GeoJSON", &grids);
    fx.write("contacts.json", &fx.read("hazards.geojson"));
    #[cfg(unix)]
    std::os::unix::fs::symlink(
        fx.data.join("grids.geojson"),
        fx.data.join("grids-link.json"),
    )
    .unwrap();
    let viewer = app_as(&state, Some(user(Role::Viewer, None)));
    for file in [
        "grids-copy.geojson",
        "GRIDS.GeoJSON",
        "contacts.json",
        "grids-link.json",
    ] {
        let r = send(&viewer, get(&format!("/data/{file}"))).await;
        assert_eq!(r.status, 200, "{file}: {}", r.text());
        assert_none_of(&r.text(), SECRETS, file);
        assert!(r.text().contains("****"), "{file}");
    }
    // Personal keys in a file that cannot be masked: not served at all.
    fx.write(
        "people.json",
        r#"{"people":[{"worker":"冯军明","worker_phone":"18511476806"}]}"#.as_bytes(),
    );
    let r = send(&viewer, get("/data/people.json")).await;
    r.assert_error(503, "unavailable");
    assert_none_of(&r.text(), SECRETS, "people.json");
    // A file with nothing personal is served byte for byte.
    let parks = fx.read("parks.geojson");
    let r = send(&viewer, get("/data/parks.geojson")).await;
    assert_eq!(r.body.as_ref(), &parks[..]);

    // The manifest still counts every feature.
    let m = common::manifest(&app_as(&state, Some(user(Role::Viewer, None)))).await;
    let hz = m.layers.iter().find(|l| l.id == "hazards").unwrap();
    assert_eq!((hz.count, hz.error.clone()), (Some(2), None));
}

#[tokio::test]
async fn contacts_are_unmasked_for_personal_read_within_scope_and_audited() {
    let fx = fixture("mask-contacts");
    let state = fx.state();
    let officer = app_as(&state, Some(user(Role::Officer, None)));
    let r = send(&officer, get("/api/contacts/hazards/YH000001")).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.json(),
        serde_json::json!({"layer": "hazards", "id": "YH000001", "contacts": [
            {"name": "唐霞建", "phone": "18292048858", "role": "街道责任人"}]})
    );
    let r = send(&officer, get("/api/contacts/grids/G0002")).await;
    assert_eq!(
        r.json()["contacts"][0],
        serde_json::json!({"name": "方娟立", "phone": "19888709229", "role": "网格员"})
    );

    // A scoped officer: its own subdistrict only.
    let scoped = app_as(&state, Some(user(Role::Officer, Some(XIXIANG))));
    assert_eq!(
        send(&scoped, get("/api/contacts/hazards/YH000002"))
            .await
            .status,
        200
    );
    let r = send(&scoped, get("/api/contacts/hazards/YH000001")).await;
    assert_eq!(r.status, 403);
    assert_eq!(r.json()["permission"], "personal:read");
    assert_none_of(&r.text(), SECRETS, "a refused read");

    // Viewer, planner and admin: 403; anonymous: 401.
    for role in [Role::Viewer, Role::Planner, Role::Admin] {
        let r = send(
            &app_as(&state, Some(user(role, None))),
            get("/api/contacts/hazards/YH000002"),
        )
        .await;
        assert_eq!(r.status, 403, "{role}");
        assert_eq!(r.json()["error"], "forbidden");
    }
    let anon = app_as(&state, None);
    send(&anon, get("/api/contacts/hazards/YH000002"))
        .await
        .assert_error(401, "unauthenticated");
    send(&officer, get("/api/contacts/hazards/YH999999"))
        .await
        .assert_error(404, "not_found");
    send(&officer, get("/api/contacts/parks/P1"))
        .await
        .assert_error(400, "bad_request");

    // Audited: the three answered reads, nothing for the refused ones.
    let store = state.live().store().clone();
    let log = store
        .audit_query(&AuditQuery {
            action: Some("contacts.read".into()),
            limit: 100,
            ..AuditQuery::default()
        })
        .unwrap();
    let targets: Vec<&str> = log.iter().map(|r| r.entry.target.as_str()).collect();
    assert_eq!(
        targets,
        ["hazards/YH000002", "grids/G0002", "hazards/YH000001"]
    );
    let first = &log[2].entry;
    assert_eq!(
        (first.actor.as_str(), first.kind.as_str()),
        ("officer-user", "user")
    );
    assert_eq!(first.role.as_deref(), Some("officer"));
    assert_eq!(first.from, "10.0.0.7");
}

#[tokio::test]
async fn cases_are_masked_outside_the_readers_audience_and_unmasked_reads_audited() {
    let fx = fixture("mask-cases");
    let state = fx.state();
    let events = case_with_people(&state, XIXIANG, "李小龙", "王芳").await;
    let id = match &events[0].change {
        pingan_model::live::Change::CaseReported { case } => case.id,
        other => panic!("{other:?}"),
    };
    let people = ["李小龙", "王芳"];
    let detail = format!("/api/cases/{id}");
    for (actor, sees) in [
        (Some(user(Role::Viewer, None)), false),
        (Some(user(Role::Planner, None)), false),
        (Some(user(Role::Officer, Some(FUHAI))), false),
        (Some(user(Role::Officer, Some(XIXIANG))), true),
        (Some(user(Role::Operator, None)), true),
    ] {
        let who = format!("{actor:?}");
        let app = app_as(&state, actor);
        let list = send(&app, get("/api/cases?limit=10")).await;
        assert!(list.header("x-pingan-epoch").is_some());
        let one = send(&app, get(&detail)).await;
        assert_eq!(one.status, 200);
        if sees {
            assert!(list.text().contains("李小龙"), "{who}: {}", list.text());
            assert!(
                one.text().contains("李小龙") && one.text().contains("王芳"),
                "{who}"
            );
        } else {
            assert_none_of(&list.text(), &people, &who);
            assert_none_of(&one.text(), &people, &who);
            assert!(
                one.text().contains("李**") && one.text().contains("王*"),
                "{who}: {}",
                one.text()
            );
        }
    }
    // Two unmasked detail reads, audited as such.
    let log = audit_of(&state, "case.read_unmasked");
    assert_eq!(log.len(), 2);
    assert!(log.iter().all(|r| r.entry.target == detail[5..]), "{log:?}");
    // And two unmasked lists, one entry per request, with query and count.
    let lists = audit_of(&state, "cases.list_unmasked");
    let seen: Vec<(&str, &str, &str)> = lists
        .iter()
        .map(|r| {
            (
                r.entry.actor.as_str(),
                r.entry.target.as_str(),
                r.entry.detail.as_str(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            (
                "operator-user",
                "cases",
                r#"1 of 4 cases unmasked; query "limit=10""#
            ),
            (
                "officer-user-xixiang",
                "cases",
                r#"1 of 4 cases unmasked; query "limit=10""#
            ),
        ]
    );
    assert!(lists.iter().all(|r| r.entry.from == "10.0.0.7"));
}

fn audit_of(
    state: &pingan_server::AppState,
    action: &str,
) -> Vec<pingan_server::store::AuditRecord> {
    state
        .live()
        .store()
        .audit_query(&AuditQuery {
            action: Some(action.into()),
            limit: 100,
            ..AuditQuery::default()
        })
        .unwrap()
}

#[tokio::test]
async fn phone_numbers_in_free_text_are_masked_like_names() {
    let fx = fixture("mask-free-text");
    let state = fx.state();
    let now = pingan_server::clock::now_s();
    let phone = "13812345678";
    let reported = state
        .live()
        .execute(Command::ReportCase(NewCase {
            category: CaseCategory::Dispute,
            lon: 113.85,
            lat: 22.65,
            grid: Some("G0001".into()),
            grid_index: Some(0),
            community: None,
            subdistrict: Some(XIXIANG.into()),
            description: format!(
                "已联系业主张三 {phone}，案件AJ00000123 于 2026-11-01 在 113.850000,22.650000"
            ),
            reporter: Actor::anonymous("centre"),
            departments: vec![Department::Police],
            rule: None,
            reported_at: now,
            deadline: now + 3600,
            photo: None,
        }))
        .await
        .unwrap();
    let id = match &reported[0].change {
        Change::CaseReported { case } => case.id,
        other => panic!("{other:?}"),
    };
    state
        .live()
        .execute(Command::Transition {
            case_id: id,
            to: CaseStatus::Accepted,
            by: Actor::anonymous("centre"),
            note: "业主电话 138-1234-5678，座机 0755-87654321".into(),
            at: now,
        })
        .await
        .unwrap();
    state
        .live()
        .execute(Command::HazardStatus {
            id: "YH000001".into(),
            status: HazardStatus::Rectifying,
            by: Actor::anonymous("centre"),
            note: "物业 139 1234 5678 已到场".into(),
            at: now,
            photo: None,
        })
        .await
        .unwrap();
    let secrets = [phone, "1234-5678", "87654321", "139 1234 5678"];
    let viewer = app_as(&state, Some(user(Role::Viewer, None)));
    let officer = app_as(&state, Some(user(Role::Officer, None)));
    for path in [
        "/api/cases?limit=10".to_string(),
        format!("/api/cases/{id}"),
        "/api/live".to_string(),
    ] {
        let v = send(&viewer, get(&path)).await;
        assert_eq!(v.status, 200, "{path}");
        let text = v.text();
        assert_none_of(&text, &secrets, &path);
        let o = send(&officer, get(&path)).await.text();
        if path == "/api/live" {
            assert!(text.contains("物业 139****5678 已到场"), "{text}");
            assert!(o.contains("139 1234 5678"), "{o}");
        } else {
            assert!(
                text.contains("已联系业主张三 138****5678"),
                "{path}: {text}"
            );
            // Case numbers, dates and coordinates are not phone numbers.
            assert!(
                text.contains("AJ00000123 于 2026-11-01 在 113.850000,22.650000"),
                "{text}"
            );
            assert!(o.contains(phone), "the officer's {path}: {o}");
        }
        if path.contains("/api/cases/") {
            assert!(
                text.contains("业主电话 138****5678，座机 075*******321"),
                "{text}"
            );
            assert!(o.contains("138-1234-5678"), "{o}");
        }
    }
    // The stream's frames, serialised once per audience class.
    let replay = state.live().store().events_since(0, 1000).unwrap();
    let hub = state.live().hub();
    let mut masked = String::new();
    for e in replay.iter().rev().take(3) {
        let place = hub.directory().place(&e.change);
        let frame = pingan_server::hub::Frame::of(e, hub.epoch(), place);
        masked.push_str(
            frame
                .text_for(&pingan_model::access::Audience::Public)
                .as_str(),
        );
    }
    assert_none_of(&masked, &secrets, "the public frames");
    assert!(
        masked.contains("138****5678") && masked.contains("139****5678"),
        "{masked}"
    );
}

#[tokio::test]
async fn unmasked_live_and_alert_reads_are_audited_once_per_request() {
    let fx = fixture("mask-live-audit");
    // One sensor in 福海 seeded at alarm: an active alert.
    fx.write(
        "sensors.geojson",
        format!(
            r#"{{"type":"FeatureCollection","features":[{{"type":"Feature","id":"S1","geometry":{{"type":"Point","coordinates":[113.85,22.65]}},"properties":{{"type":"water_level","value":1000,"subdistrict":"{FUHAI}"}}}}]}}"#
        )
        .as_bytes(),
    );
    let state = fx.state();
    let readers = [
        (user(Role::Viewer, None), false),
        (user(Role::Officer, Some(XIXIANG)), false),
        (user(Role::Officer, Some(FUHAI)), true),
        (user(Role::Operator, None), true),
    ];
    // Nobody acted yet: nothing personal, nothing audited.
    for (actor, _) in &readers {
        let app = app_as(&state, Some(actor.clone()));
        assert_eq!(send(&app, get("/api/live")).await.status, 200);
        assert_eq!(send(&app, get("/api/alerts")).await.status, 200);
    }
    assert!(audit_of(&state, "live.read_unmasked").is_empty());
    assert!(audit_of(&state, "alerts.read_unmasked").is_empty());

    let alert = state.live().store().snapshot().unwrap().alerts[0].id;
    state
        .live()
        .execute(Command::AckAlert {
            id: alert,
            by: Actor::anonymous("钱七"),
            at: pingan_server::clock::now_s(),
        })
        .await
        .unwrap();
    hazard_change(&state, "YH000001", "赵六").await;
    for (actor, sees) in &readers {
        let app = app_as(&state, Some(actor.clone()));
        let live = send(&app, get("/api/live")).await.text();
        let alerts = send(&app, get("/api/alerts?active=true")).await.text();
        assert_eq!(
            live.contains("钱七") && live.contains("赵六"),
            *sees,
            "{live}"
        );
        assert_eq!(alerts.contains("钱七"), *sees, "{alerts}");
    }
    let live = audit_of(&state, "live.read_unmasked");
    let alerts = audit_of(&state, "alerts.read_unmasked");
    let of = |log: &[pingan_server::store::AuditRecord]| {
        log.iter()
            .map(|r| {
                (
                    r.entry.actor.clone(),
                    r.entry.target.clone(),
                    r.entry.detail.clone(),
                )
            })
            .collect::<Vec<_>>()
    };
    let s = |a: &str, t: &str, d: &str| (a.to_string(), t.to_string(), d.to_string());
    assert_eq!(
        of(&live),
        [
            s("operator-user", "live", "1 hazards, 1 alerts unmasked"),
            s("officer-user-fuhai", "live", "1 hazards, 1 alerts unmasked"),
        ]
    );
    assert_eq!(
        of(&alerts),
        [
            s(
                "operator-user",
                "alerts",
                r#"1 of 1 alerts unmasked; query "active=true""#
            ),
            s(
                "officer-user-fuhai",
                "alerts",
                r#"1 of 1 alerts unmasked; query "active=true""#
            ),
        ]
    );
}

// ---------------------------------------------------------------------------
// The stream, over real sockets: one listener per reader on one state.
// ---------------------------------------------------------------------------

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn listen(
    state: &pingan_server::AppState,
    actor: Option<pingan_server::store::Actor>,
) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = app_as(state, actor);
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    addr
}

async fn open(addr: std::net::SocketAddr, since: Option<u64>) -> Ws {
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/ws"))
        .await
        .unwrap();
    let since = since.map_or("null".to_string(), |s| s.to_string());
    ws.send(Message::text(format!(
        r#"{{"type":"hello","layers":[],"since":{since}}}"#
    )))
    .await
    .unwrap();
    ws
}

/// Every text frame until `n` events have arrived.
async fn frames(ws: &mut Ws, n: usize) -> String {
    let mut all = String::new();
    let mut events = 0;
    while events < n {
        let m = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("frames in time")
            .expect("open")
            .unwrap();
        if let Message::Text(t) = m {
            events += usize::from(t.as_str().starts_with(r#"{"type":"event""#));
            all.push_str(t.as_str());
            all.push('\n');
        }
    }
    all
}

#[tokio::test]
async fn each_reader_gets_the_stream_masked_for_its_audience() {
    let fx = fixture("mask-stream");
    let state = fx.state();
    let viewer = listen(&state, Some(user(Role::Viewer, None))).await;
    let officer = listen(&state, Some(user(Role::Officer, None))).await;
    let scoped = listen(&state, Some(user(Role::Officer, Some(XIXIANG)))).await;
    let head = state.live().hub().head();
    let mut socks = vec![];
    for addr in [viewer, officer, scoped] {
        let mut ws = open(addr, Some(head)).await;
        frames(&mut ws, 0).await;
        socks.push(ws);
    }
    // Wait until all three are past their hello.
    for _ in 0..100 {
        if state.live().hub().stats().clients == 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // A case in 西乡 (reporter, actor), a hazard change in 福海 (actor).
    let mut n = case_with_people(&state, XIXIANG, "李小龙", "王芳")
        .await
        .len();
    n += hazard_change(&state, "YH000001", "赵六").await.len();
    let people = ["李小龙", "王芳", "赵六"];
    let v = frames(&mut socks[0], n).await;
    assert_none_of(&v, &people, "the viewer's stream");
    assert_none_of(&v, SECRETS, "the viewer's stream");
    assert!(
        v.contains("李**") && v.contains("王*") && v.contains("赵*"),
        "{v}"
    );
    let o = frames(&mut socks[1], n).await;
    for p in people {
        assert!(o.contains(p), "the officer's stream lacks {p}: {o}");
    }
    let s = frames(&mut socks[2], n).await;
    assert!(s.contains("李小龙") && s.contains("王芳"), "in scope: {s}");
    assert!(
        !s.contains("赵六") && s.contains("赵*"),
        "out of scope (福海): {s}"
    );
    // A viewer's snapshot masks who changed the hazard too.
    let mut late = open(viewer, None).await;
    let snap = frames_until_snapshot(&mut late).await;
    assert!(
        snap.contains("YH000001") && !snap.contains("赵六"),
        "{snap}"
    );
    // Opening a personal stream is audited, a public one is not.
    let opened = state
        .live()
        .store()
        .audit_query(&AuditQuery {
            action: Some("ws.open_personal".into()),
            limit: 10,
            ..AuditQuery::default()
        })
        .unwrap();
    assert_eq!(opened.len(), 2, "{opened:?}");
    assert!(opened
        .iter()
        .any(|r| r.entry.detail == format!("scope {XIXIANG}")));
}

async fn frames_until_snapshot(ws: &mut Ws) -> String {
    loop {
        let m = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("a snapshot in time")
            .expect("open")
            .unwrap();
        if let Message::Text(t) = m {
            if t.as_str().starts_with(r#"{"type":"snapshot""#) {
                return t.as_str().to_string();
            }
        }
    }
}
