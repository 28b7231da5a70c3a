//! The store's identity: a replaced store has another epoch, and a client
//! resuming with a `since` of the old one gets a snapshot, never a replay
//! of the new store's events, even when the new store's seq has passed it.

mod common;

use common::people::{app_as, case_with_people, fixture, hazard_change, user};
use common::{get, send};
use futures_util::{SinkExt, StreamExt};
use pingan_model::access::Role;
use pingan_model::live::{ServerMsg, SnapshotReason};
use pingan_server::{AppState, Config};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

async fn open_state(cfg: Config) -> AppState {
    tokio::task::spawn_blocking(move || AppState::open(cfg))
        .await
        .unwrap()
        .unwrap()
}

/// The welcome and what follows it (a snapshot, or the first event).
async fn resume(
    addr: std::net::SocketAddr,
    since: u64,
    epoch: Option<&str>,
) -> (ServerMsg, ServerMsg) {
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/ws"))
        .await
        .unwrap();
    let epoch = epoch.map_or(String::new(), |e| format!(r#","epoch":"{e}""#));
    let hello = format!(r#"{{"type":"hello","layers":[],"since":{since}{epoch}}}"#);
    ws.send(Message::text(hello)).await.unwrap();
    let mut got = vec![];
    while got.len() < 2 {
        let m = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        if let Message::Text(t) = m {
            let text = t.as_str();
            if !text.contains(r#""type":"heartbeat""#) {
                if text.starts_with(r#"{"type":"event""#) {
                    assert!(
                        text.contains(r#""epoch":""#),
                        "an event frame without its epoch: {text}"
                    );
                }
                got.push(serde_json::from_str::<ServerMsg>(text).unwrap());
            }
        }
    }
    let second = got.pop().unwrap();
    (got.pop().unwrap(), second)
}

#[tokio::test]
async fn a_client_of_a_replaced_store_gets_a_snapshot_even_past_its_seq() {
    let fx = fixture("epoch");
    let mut cfg = Config::new(fx.data.clone(), fx.dist.clone());
    let db = fx.root.join("live.sqlite");
    cfg.db_path = Some(db.clone());

    let old = open_state(cfg.clone()).await;
    hazard_change(&old, "YH000001", "赵六").await;
    let (old_head, old_epoch) = (
        old.live().hub().head(),
        old.live().hub().epoch().to_string(),
    );
    assert!(old_epoch.len() >= 16);
    drop(old);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }

    // The replacement: a new file at the same place, soon past the old seq.
    let new = open_state(cfg).await;
    hazard_change(&new, "YH000001", "钱七").await;
    hazard_change(&new, "YH000002", "钱七").await;
    case_with_people(&new, "西乡街道", "李小龙", "王芳").await;
    let hub = new.live().hub().clone();
    let new_epoch = hub.epoch().to_string();
    assert_ne!(new_epoch, old_epoch);
    assert!(hub.head() > old_head, "{} ≤ {old_head}", hub.head());

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = app_as(&new, Some(user(Role::Viewer, None)));
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });

    // The old epoch: a snapshot of the new store, told why.
    match resume(addr, old_head, Some(&old_epoch)).await {
        (ServerMsg::Welcome { epoch, replay, .. }, ServerMsg::Snapshot { reason, snapshot }) => {
            assert_eq!((epoch.as_str(), replay), (new_epoch.as_str(), 0));
            assert_eq!(reason, SnapshotReason::OtherEpoch);
            assert_eq!(snapshot.epoch, new_epoch);
            assert_eq!(snapshot.seq, hub.head());
        }
        other => panic!("expected welcome + snapshot, got {other:?}"),
    }
    // The same since under the new epoch is a plain replay.
    match resume(addr, old_head, Some(&new_epoch)).await {
        (ServerMsg::Welcome { replay, .. }, ServerMsg::Event(e)) => {
            assert_eq!(replay, hub.head() - old_head);
            assert_eq!(e.seq, old_head + 1);
        }
        other => panic!("expected welcome + replay, got {other:?}"),
    }

    // The HTTP starts of a live client carry it too.
    let app = app_as(&new, Some(user(Role::Viewer, None)));
    let live = send(&app, get("/api/live")).await;
    assert_eq!(live.json()["epoch"], new_epoch.as_str());
    let bin = send(&app, get("/api/cases.bin")).await;
    assert_eq!(bin.header("x-pingan-epoch"), Some(new_epoch.as_str()));
}
