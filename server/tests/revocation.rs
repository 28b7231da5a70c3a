//! Ending a credential ends its live streams, over a real socket
//! (`axum::serve` on 127.0.0.1:0, tokio-tungstenite clients): logout, an
//! admin revoking the session, disabling the user, revoking an API key used
//! as `Bearer`, a revocation made by another process on the same database
//! (the CLI; found by the server's poll) and a session reaching its expiry
//! each close exactly that socket with code 4401 `session revoked` within
//! 2 s, while the other sockets stay open.

mod common;

use axum::body::Body;
use axum::http::Request;
use common::{login, send, Fixture};
use futures_util::{SinkExt, StreamExt};
use pingan_model::access::{Permission, Role};
use pingan_model::live::{ClientMsg, ServerMsg};
use pingan_server::auth::{Auth, AuthConfig, Credential, Revoked};
use pingan_server::store::sqlite::SqliteStore;
use pingan_server::{app, AppState, Config};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

struct Served {
    addr: SocketAddr,
    state: AppState,
    router: axum::Router,
    _fx: Fixture,
}

async fn served(name: &str, auth: AuthConfig) -> Served {
    let fx = Fixture::new(name);
    let mut cfg = Config::new(fx.data.clone(), fx.dist.clone());
    cfg.auth = auth;
    let state = tokio::task::spawn_blocking(move || AppState::open(cfg))
        .await
        .unwrap()
        .expect("the state opens");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = app(state.clone());
    let serving = router.clone();
    tokio::spawn(async move {
        let _ = axum::serve(listener, serving).await;
    });
    Served {
        addr,
        state,
        router,
        _fx: fx,
    }
}

/// A stream opened with `header` (a cookie or a bearer key), past its welcome.
async fn open(addr: SocketAddr, header: (&str, &str)) -> Ws {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut req = format!("ws://{addr}/ws").into_client_request().unwrap();
    req.headers_mut().insert(
        header
            .0
            .to_string()
            .parse::<axum::http::HeaderName>()
            .unwrap(),
        header.1.parse().unwrap(),
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await.unwrap();
    let hello = ClientMsg::Hello {
        layers: vec![],
        since: None,
        epoch: None,
        public: false,
    };
    ws.send(Message::text(serde_json::to_string(&hello).unwrap()))
        .await
        .unwrap();
    let first = tokio::time::timeout(Duration::from_secs(5), ws.next())
        .await
        .expect("a welcome in time")
        .expect("the stream is open")
        .unwrap();
    let Message::Text(t) = first else {
        panic!("expected the welcome, got {first:?}")
    };
    assert!(
        matches!(
            serde_json::from_str(t.as_str()),
            Ok(ServerMsg::Welcome { .. })
        ),
        "{t}"
    );
    ws
}

/// The socket is closed with 4401 `session revoked` within 2 s.
async fn closed_as_revoked(ws: &mut Ws, what: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
    loop {
        let m = tokio::time::timeout_at(deadline, ws.next())
            .await
            .unwrap_or_else(|_| panic!("{what}: no close within 2 s"));
        match m {
            Some(Ok(Message::Close(Some(frame)))) => {
                assert_eq!(frame.code, CloseCode::from(4401), "{what}");
                assert_eq!(frame.reason.as_str(), "session revoked", "{what}");
                return;
            }
            Some(Ok(Message::Close(None))) | None | Some(Err(_)) => {
                panic!("{what}: ended without the 4401 close frame: {m:?}")
            }
            Some(Ok(_)) => continue,
        }
    }
}

/// The socket stays open for a while (messages may arrive; no close).
async fn stays_open(ws: &mut Ws, what: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_millis(400);
    loop {
        match tokio::time::timeout_at(deadline, ws.next()).await {
            Err(_) => return,
            Ok(Some(Ok(Message::Text(_) | Message::Ping(_) | Message::Pong(_)))) => continue,
            Ok(other) => panic!("{what}: the other socket ended: {other:?}"),
        }
    }
}

fn request(
    method: &str,
    uri: &str,
    cookie: &str,
    body: Option<serde_json::Value>,
) -> Request<Body> {
    let b = Request::builder()
        .method(method)
        .uri(uri)
        .header("cookie", cookie)
        .header("x-pingan-csrf", "1");
    match body {
        Some(v) => b
            .header("content-type", "application/json")
            .body(Body::from(v.to_string()))
            .unwrap(),
        None => b.body(Body::empty()).unwrap(),
    }
}

fn session_id(state: &AppState, cookie: &str) -> i64 {
    let token = cookie.trim_start_matches("pingan_session=").to_string();
    state
        .auth()
        .resolve(&Credential::Cookie(token))
        .unwrap()
        .actor
        .session()
        .expect("a session")
}

fn read_key(state: &AppState) -> (i64, String) {
    let k = state
        .auth()
        .create_key("大屏看板", &[Permission::Read], None)
        .expect("a key");
    (k.id, k.key)
}

#[tokio::test]
async fn logout_admin_revoke_disable_and_key_revoke_close_exactly_their_sockets() {
    let s = served("revoke", AuthConfig::default()).await;
    let admin = login(&s.router, Role::Admin).await;
    let operator = login(&s.router, Role::Operator).await;
    let viewer = login(&s.router, Role::Viewer).await;
    let officer = login(&s.router, Role::Officer).await;
    let (key_id, key) = read_key(&s.state);
    let bearer = format!("Bearer {key}");
    let mut by_operator = open(s.addr, ("cookie", &operator)).await;
    let mut by_viewer = open(s.addr, ("cookie", &viewer)).await;
    let mut by_officer = open(s.addr, ("cookie", &officer)).await;
    let mut by_key = open(s.addr, ("authorization", &bearer)).await;
    let mut by_admin = open(s.addr, ("cookie", &admin)).await;

    // Logout.
    let r = send(
        &s.router,
        request("DELETE", "/api/session", &operator, None),
    )
    .await;
    assert_eq!(r.status, 204);
    closed_as_revoked(&mut by_operator, "logout").await;
    stays_open(&mut by_viewer, "logout").await;

    // An admin revokes the viewer's session.
    let id = session_id(&s.state, &viewer);
    let r = send(
        &s.router,
        request("DELETE", &format!("/api/sessions/{id}"), &admin, None),
    )
    .await;
    assert_eq!(r.status, 204, "{}", r.text());
    closed_as_revoked(&mut by_viewer, "admin revoke").await;
    stays_open(&mut by_officer, "admin revoke").await;

    // The officer is disabled.
    let r = send(
        &s.router,
        request(
            "POST",
            "/api/users/officer",
            &admin,
            Some(serde_json::json!({"disabled": true})),
        ),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    closed_as_revoked(&mut by_officer, "user disabled").await;
    stays_open(&mut by_key, "user disabled").await;

    // The key is revoked.
    let r = send(
        &s.router,
        request("DELETE", &format!("/api/keys/{key_id}"), &admin, None),
    )
    .await;
    assert_eq!(r.status, 204, "{}", r.text());
    closed_as_revoked(&mut by_key, "key revoked").await;
    stays_open(&mut by_admin, "key revoked").await;
}

#[tokio::test]
async fn revocations_by_another_process_close_sockets_at_the_next_poll() {
    let s = served("revoke-cli", AuthConfig::default()).await;
    let planner = login(&s.router, Role::Planner).await;
    let viewer = login(&s.router, Role::Viewer).await;
    let (key_id, key) = read_key(&s.state);
    let mut by_planner = open(s.addr, ("cookie", &planner)).await;
    let mut by_key = open(s.addr, ("authorization", &format!("Bearer {key}"))).await;
    let mut by_viewer = open(s.addr, ("cookie", &viewer)).await;
    // The CLI: another `Auth` on the same database file.
    let db = s.state.config().db_path();
    tokio::task::spawn_blocking(move || {
        let store = SqliteStore::open(&db).unwrap();
        let cli = Auth::open(
            Arc::new(store),
            AuthConfig {
                demo_accounts: false,
                ..AuthConfig::default()
            },
        )
        .unwrap();
        cli.update_user(
            "planner",
            &pingan_server::auth::accounts::UserPatch {
                disabled: Some(true),
                ..Default::default()
            },
        )
        .unwrap();
        cli.revoke_key(key_id).unwrap();
    })
    .await
    .unwrap();
    stays_open(&mut by_planner, "before the poll").await;
    // What the server's sweep does every 15 s.
    let mut rx = s.state.auth().subscribe_revocations();
    let auth = s.state.auth().clone();
    let n = tokio::task::spawn_blocking(move || auth.poll_revocations())
        .await
        .unwrap()
        .unwrap();
    assert!(n >= 2, "{n} revocations found");
    let mut seen = vec![];
    while let Ok(r) = rx.try_recv() {
        seen.push(r);
    }
    assert!(seen.contains(&Revoked::Key(key_id)), "{seen:?}");
    closed_as_revoked(&mut by_planner, "CLI disable").await;
    closed_as_revoked(&mut by_key, "CLI key revoke").await;
    stays_open(&mut by_viewer, "CLI").await;
}

#[tokio::test]
async fn a_session_reaching_its_expiry_while_open_is_closed() {
    let s = served(
        "revoke-expiry",
        AuthConfig {
            session_ttl: Duration::from_secs(2),
            ..AuthConfig::default()
        },
    )
    .await;
    let viewer = login(&s.router, Role::Viewer).await;
    let (_, key) = read_key(&s.state);
    let mut by_viewer = open(s.addr, ("cookie", &viewer)).await;
    let mut by_key = open(s.addr, ("authorization", &format!("Bearer {key}"))).await;
    // Expires within 2 s of opening (whole seconds): closed within 2 s more.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    closed_as_revoked(&mut by_viewer, "expiry").await;
    stays_open(&mut by_key, "expiry").await;
}
