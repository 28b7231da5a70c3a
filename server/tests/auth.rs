//! Signing in, out and being refused, over the router: the session cookie's
//! attributes, who-am-I, logout and revocation (announced to the stream),
//! expiry, one answer (and the same work) for a wrong password, an unknown
//! and a disabled user, passwords never in the database file, the login rate
//! limit (429 + Retry-After, other users still served), forged and malformed
//! credentials (401 JSON, never a hint), API keys and their expiry, wall
//! pairing, and the admin endpoints.

mod common;

use axum::body::Body;
use axum::http::Request;
use axum::Router;
use common::{login, send, Fixture, Reply};
use pingan_model::access::Role;
use pingan_server::auth::AuthConfig;
use pingan_server::{app, AppState, Config};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

fn state_with(fx: &Fixture, auth: AuthConfig) -> AppState {
    let mut c = Config::new(fx.data.clone(), fx.dist.clone());
    c.auth = auth;
    AppState::open(c).expect("the state opens")
}

fn post(uri: &str, cookie: Option<&str>, body: Value) -> Request<Body> {
    let mut b = Request::builder()
        .method("POST")
        .uri(uri)
        .header("content-type", "application/json");
    if let Some(c) = cookie {
        b = b.header("cookie", c).header("x-pingan-csrf", "1");
    }
    b.body(Body::from(body.to_string())).unwrap()
}

fn with(method: &str, uri: &str, header: (&str, &str)) -> Request<Body> {
    Request::builder()
        .method(method)
        .uri(uri)
        .header(header.0, header.1)
        .header("x-pingan-csrf", "1")
        .body(Body::empty())
        .unwrap()
}

async fn attempt(app: &Router, username: &str, password: &str) -> Reply {
    send(
        app,
        post(
            "/api/session",
            None,
            json!({"username": username, "password": password}),
        ),
    )
    .await
}

#[tokio::test]
async fn a_login_sets_a_strict_http_only_cookie_and_logout_revokes_it() {
    let fx = Fixture::new("login");
    let state = fx.state();
    let router = app(state.clone());
    let r = attempt(&router, "operator", "pingan-operator").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let set = r.header("set-cookie").unwrap().to_string();
    for part in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=43200"] {
        assert!(set.contains(part), "{set}");
    }
    assert!(!set.contains("Secure"), "plain HTTP: no Secure ({set})");
    let token = set
        .split(';')
        .next()
        .unwrap()
        .trim_start_matches("pingan_session=");
    assert!(token.len() >= 43, "an opaque random token");
    let me = &r.json()["user"];
    assert_eq!(me["kind"], "user");
    assert_eq!(me["username"], "operator");
    assert_eq!(me["role"], "operator");
    assert_eq!(me["scope"], Value::Null);
    let perms: Vec<&str> = me["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    assert!(perms.contains(&"cases:transition") && !perms.contains(&"users:manage"));
    assert!(me["expires_at"].as_i64().unwrap() > pingan_server::clock::now_s() + 43_000);

    let cookie = format!("pingan_session={token}");
    let who = send(&router, with("GET", "/api/session", ("cookie", &cookie))).await;
    assert_eq!(who.status, 200);
    assert_eq!(who.json()["display_name"], "演示·值班员");

    // Logout: 204, the cookie cleared, the session revoked and announced.
    let mut revoked = state.auth().subscribe_revocations();
    let out = send(&router, with("DELETE", "/api/session", ("cookie", &cookie))).await;
    assert_eq!(out.status, 204);
    assert!(out.header("set-cookie").unwrap().contains("Max-Age=0"));
    let id = tokio::time::timeout(Duration::from_secs(2), revoked.recv())
        .await
        .expect("announced")
        .unwrap();
    assert!(
        matches!(id, pingan_server::auth::Revoked::Session(n) if n > 0),
        "{id:?}"
    );
    send(&router, with("GET", "/api/session", ("cookie", &cookie)))
        .await
        .assert_error(401, "unauthenticated");
    send(&router, with("GET", "/api/layers", ("cookie", &cookie)))
        .await
        .assert_error(401, "unauthenticated");
}

#[tokio::test]
async fn a_forwarded_https_from_an_untrusted_peer_makes_nothing_secure() {
    let fx = Fixture::new("secure");
    let router = fx.anonymous_app();
    let mut req = post(
        "/api/session",
        None,
        json!({"username": "viewer", "password": "pingan-viewer"}),
    );
    req.headers_mut()
        .insert("x-forwarded-proto", "https".parse().unwrap());
    let r = send(&router, req).await;
    // Only TLS or a --trusted-proxy's X-Forwarded-Proto count (tests/tls.rs
    // has the Secure cookie and HSTS over TLS).
    let cookie = r.header("set-cookie").unwrap();
    assert!(
        cookie.contains("HttpOnly") && !cookie.contains("Secure"),
        "{cookie}"
    );
    assert_eq!(r.header("strict-transport-security"), None);
}

#[tokio::test]
async fn wrong_password_unknown_and_disabled_users_get_one_answer_for_the_same_work() {
    let fx = Fixture::new("same");
    let mut cfg = AuthConfig::default();
    cfg.limits.login_per_user.burst = 100;
    cfg.limits.login_per_address.burst = 100;
    let state = state_with(&fx, cfg);
    state
        .auth()
        .update_user(
            "planner",
            &pingan_server::auth::accounts::UserPatch {
                disabled: Some(true),
                ..Default::default()
            },
        )
        .unwrap();
    let router = app(state);
    let mut bodies = vec![];
    let mut times: Vec<Vec<Duration>> = vec![vec![]; 3];
    let cases = [
        ("operator", "wrong-password"),
        ("nobody-here", "wrong-password"),
        ("planner", "pingan-planner"),
    ];
    // Nine rounds, interleaved (each round in another order), so a burst of
    // load on a busy machine hits every kind alike.
    for round in 0..9 {
        for k in 0..3 {
            let i = (k + round) % 3;
            let (user, pw) = cases[i];
            let t = Instant::now();
            let r = attempt(&router, user, pw).await;
            times[i].push(t.elapsed());
            r.assert_error(401, "bad_credentials");
            assert!(r.header("set-cookie").is_none());
            if round == 0 {
                bodies.push(r.body.clone());
            }
        }
    }
    assert!(
        bodies.windows(2).all(|w| w[0] == w[1]),
        "byte-identical answers"
    );
    // Every path verifies one argon2id hash. The medians are compared with
    // a generous bound (a factor of 5: noise on a loaded 2-core machine);
    // an unknown user answered without hashing would be ~100x faster.
    let medians: Vec<f64> = times
        .iter_mut()
        .map(|t| {
            t.sort();
            t[t.len() / 2].as_secs_f64()
        })
        .collect();
    let (lo, hi) = medians
        .iter()
        .fold((f64::MAX, 0f64), |(lo, hi), t| (lo.min(*t), hi.max(*t)));
    eprintln!("median login refusals (s): wrong password, unknown, disabled = {medians:?}");
    assert!(hi / lo < 5.0, "timings differ: {medians:?}");
    assert!(
        lo > 0.002,
        "an argon2id verification takes milliseconds: {medians:?}"
    );
}

#[tokio::test]
async fn passwords_are_never_stored_in_clear() {
    let fx = Fixture::new("clear");
    let state = fx.state();
    let secret = "Clear-Text-Secret-4711";
    state
        .auth()
        .create_user(&pingan_server::auth::accounts::UserIn {
            username: "zhao".into(),
            display_name: None,
            role: Role::Officer,
            scope: None,
            password: Some(secret.into()),
        })
        .unwrap();
    let router = app(state.clone());
    let r = attempt(&router, "zhao", secret).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let _ = attempt(&router, "zhao", "Wrong-Secret-0815").await;
    let db = state.config().db_path();
    let mut bytes = Vec::new();
    for suffix in ["", "-wal", "-shm"] {
        let p = format!("{}{suffix}", db.display());
        if let Ok(b) = std::fs::read(&p) {
            bytes.extend(b);
        }
    }
    assert!(bytes.len() > 10_000, "read the database");
    for needle in [
        secret,
        "Wrong-Secret-0815",
        "pingan-operator",
        "pingan-admin",
    ] {
        assert!(
            !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
            "{needle} is in the database file"
        );
    }
    let hashes = String::from_utf8_lossy(&bytes)
        .matches("$argon2id$")
        .count();
    assert!(hashes >= 7, "{hashes} argon2id hashes");
}

#[tokio::test]
async fn too_many_attempts_are_429_and_other_users_are_still_served() {
    let fx = Fixture::new("limit");
    let router = fx.anonymous_app();
    for _ in 0..5 {
        attempt(&router, "operator", "guess")
            .await
            .assert_error(401, "bad_credentials");
    }
    let r = attempt(&router, "operator", "pingan-operator").await;
    r.assert_error(429, "too_many_requests");
    let wait: u64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=20).contains(&wait), "{wait}");
    // Another user from the same address is served.
    let r = attempt(&router, "viewer", "pingan-viewer").await;
    assert_eq!(r.status, 200, "{}", r.text());
}

#[tokio::test]
async fn forged_and_malformed_credentials_are_401_json_without_a_hint() {
    let fx = Fixture::new("forged");
    let state = fx.state();
    let router = app(state.clone());
    let cookie = login(&router, Role::Viewer).await;
    let revoked = login(&router, Role::Planner).await;
    send(
        &router,
        with("DELETE", "/api/session", ("cookie", &revoked)),
    )
    .await;
    let forged_token = "A".repeat(43);
    let forged_key = format!("pk_{}", "B".repeat(43));
    let long = "x".repeat(5000);
    let session_as_key = format!("Bearer {}", cookie.trim_start_matches("pingan_session="));
    let cases: Vec<(&str, String)> = vec![
        ("cookie", format!("pingan_session={forged_token}")),
        ("cookie", "pingan_session=".into()),
        ("cookie", "pingan_session=a;b".into()),
        ("cookie", "pingan_session=%00%ff<script>".into()),
        ("cookie", format!("pingan_session={long}")),
        ("cookie", revoked.clone()),
        ("cookie", format!("pingan_session={forged_key}")),
        ("authorization", format!("Bearer {forged_key}")),
        ("authorization", format!("Bearer {forged_token}")),
        ("authorization", "Bearer".into()),
        ("authorization", "Basic dmlld2VyOnBpbmdhbi12aWV3ZXI=".into()),
        ("authorization", format!("Bearer {long}")),
    ];
    let mut details = vec![];
    for (name, value) in &cases {
        let r = send(&router, with("GET", "/api/layers", (name, value))).await;
        details.push(r.assert_error(401, "unauthenticated"));
    }
    details.dedup();
    assert_eq!(details.len(), 1, "one answer for every bad credential");
    // A session token works as a bearer too (API clients without cookies).
    let r = send(
        &router,
        with("GET", "/api/layers", ("authorization", &session_as_key)),
    )
    .await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn sessions_expire_and_the_sweep_announces_them() {
    let fx = Fixture::new("expire");
    let state = state_with(
        &fx,
        AuthConfig {
            session_ttl: Duration::from_secs(1),
            ..AuthConfig::default()
        },
    );
    let router = app(state.clone());
    let cookie = login(&router, Role::Viewer).await;
    assert_eq!(
        send(&router, with("GET", "/api/layers", ("cookie", &cookie)))
            .await
            .status,
        200
    );
    tokio::time::sleep(Duration::from_millis(2100)).await;
    send(&router, with("GET", "/api/layers", ("cookie", &cookie)))
        .await
        .assert_error(401, "unauthenticated");
    let mut rx = state.auth().subscribe_revocations();
    let ended = state.auth().sweep().unwrap();
    assert_eq!(ended.len(), 1);
    assert_eq!(
        rx.try_recv().unwrap(),
        pingan_server::auth::Revoked::Session(ended[0])
    );
}

#[tokio::test]
async fn disabling_a_user_or_changing_its_role_ends_its_sessions() {
    let fx = Fixture::new("disable");
    let router = fx.anonymous_app();
    let admin = login(&router, Role::Admin).await;
    let operator = login(&router, Role::Operator).await;
    let officer = login(&router, Role::Officer).await;
    let r = send(
        &router,
        post(
            "/api/users/operator",
            Some(&admin),
            json!({"disabled": true}),
        ),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["disabled"], true);
    send(&router, with("GET", "/api/layers", ("cookie", &operator)))
        .await
        .assert_error(401, "unauthenticated");
    attempt(&router, "operator", "pingan-operator")
        .await
        .assert_error(401, "bad_credentials");
    let r = send(
        &router,
        post(
            "/api/users/officer",
            Some(&admin),
            json!({"role": "viewer"}),
        ),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    send(&router, with("GET", "/api/layers", ("cookie", &officer)))
        .await
        .assert_error(401, "unauthenticated");
    // The listing never shows a hash.
    let list = send(&router, with("GET", "/api/users", ("cookie", &admin))).await;
    assert_eq!(list.status, 200);
    assert!(!list.text().contains("argon2") && list.text().contains("officer-xixiang"));
}

#[tokio::test]
async fn an_admin_creates_users_and_keys_and_keys_work_until_revoked_or_expired() {
    let fx = Fixture::new("admin");
    let state = fx.state();
    let router = app(state.clone());
    let admin = login(&router, Role::Admin).await;
    // A user without a password gets a drawn one, shown once.
    let r = send(
        &router,
        post(
            "/api/users",
            Some(&admin),
            json!({"username": "chen", "role": "officer", "scope": "西乡街道"}),
        ),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let pw = r.json()["password"].as_str().unwrap().to_string();
    let r = attempt(&router, "chen", &pw).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["user"]["scope"], "西乡街道");
    send(
        &router,
        post(
            "/api/users",
            Some(&admin),
            json!({"username": "Bad Name", "role": "viewer"}),
        ),
    )
    .await
    .assert_error(422, "invalid");
    send(
        &router,
        post(
            "/api/users",
            Some(&admin),
            json!({"username": "chen", "role": "viewer"}),
        ),
    )
    .await
    .assert_error(409, "conflict");

    let r = send(
        &router,
        post(
            "/api/keys",
            Some(&admin),
            json!({"name": "网关 A", "scopes": ["readings:write"]}),
        ),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let key = r.json()["key"].as_str().unwrap().to_string();
    let id = r.json()["id"].as_i64().unwrap();
    assert!(key.starts_with("pk_"));
    let bearer = format!("Bearer {key}");
    let readings = |auth: &str| {
        Request::builder()
            .method("POST")
            .uri("/api/readings")
            .header("authorization", auth)
            .header("content-type", "application/json")
            .body(Body::from(r#"{"readings":[{"sensor":"nope","value":1}]}"#))
            .unwrap()
    };
    // Allowed (the unknown sensor is the handler's 422), exactly its scope.
    send(&router, readings(&bearer))
        .await
        .assert_error(422, "invalid");
    let r = send(
        &router,
        with("GET", "/api/layers", ("authorization", &bearer)),
    )
    .await;
    assert_eq!(r.json()["permission"], "read");
    assert_eq!(r.status, 403);
    let listed = send(&router, with("GET", "/api/keys", ("cookie", &admin))).await;
    assert!(!listed.text().contains(&key), "a key is shown once");
    let r = send(
        &router,
        with("DELETE", &format!("/api/keys/{id}"), ("cookie", &admin)),
    )
    .await;
    assert_eq!(r.status, 204);
    send(&router, readings(&bearer))
        .await
        .assert_error(401, "unauthenticated");

    // An expiring key stops at its time.
    let soon = state
        .auth()
        .create_key(
            "临时",
            &[pingan_model::access::Permission::ReadingsWrite],
            Some(pingan_server::clock::now_s() + 1),
        )
        .unwrap();
    tokio::time::sleep(Duration::from_millis(2100)).await;
    send(&router, readings(&format!("Bearer {}", soon.key)))
        .await
        .assert_error(401, "unauthenticated");
}

#[tokio::test]
async fn a_wall_pairs_once_with_its_code_and_stays_a_viewer_until_revoked() {
    let fx = Fixture::new("pair");
    let router = fx.anonymous_app();
    let admin = login(&router, Role::Admin).await;
    let r = send(
        &router,
        post(
            "/api/devices",
            Some(&admin),
            json!({"name": "指挥中心大屏 1"}),
        ),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let code = r.json()["pairing_code"].as_str().unwrap().to_string();
    let id = r.json()["id"].as_i64().unwrap();
    assert_eq!(code.len(), 8);
    let r = send(
        &router,
        post("/api/devices/pair", None, json!({"code": code})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.header("set-cookie").unwrap().contains("Max-Age=34560000"));
    let me = &r.json()["user"];
    assert_eq!(
        (me["kind"].as_str(), me["role"].as_str()),
        (Some("device"), Some("viewer"))
    );
    let wall = r
        .header("set-cookie")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    send(
        &router,
        post("/api/devices/pair", None, json!({"code": code})),
    )
    .await
    .assert_error(401, "bad_credentials");
    assert_eq!(
        send(&router, with("GET", "/api/layers", ("cookie", &wall)))
            .await
            .status,
        200
    );
    let r = send(
        &router,
        post(
            "/api/cases",
            Some(&wall),
            json!({"category":"dispute","lon":113.85,"lat":22.65,"description":"x"}),
        ),
    )
    .await;
    assert_eq!(r.status, 403);
    let r = send(
        &router,
        with("DELETE", &format!("/api/devices/{id}"), ("cookie", &admin)),
    )
    .await;
    assert_eq!(r.status, 204);
    send(&router, with("GET", "/api/layers", ("cookie", &wall)))
        .await
        .assert_error(401, "unauthenticated");
}

/// The real binary: a login with a wrong password and one with the right
/// one leave neither password in its output (the log), while the log does
/// record both attempts.
#[test]
fn the_binary_never_logs_a_password() {
    use std::io::{BufRead, BufReader, Read, Write};
    let fx = Fixture::new("nolog");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_pingan-server"))
        .args(["--host", "127.0.0.1", "--port", "0", "--no-demo-accounts"])
        .arg("--data-dir")
        .arg(&fx.data)
        .arg("--dist-dir")
        .arg(&fx.dist)
        .env("RUST_LOG", "debug")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    for stream in [
        Box::new(child.stdout.take().unwrap()) as Box<dyn Read + Send>,
        Box::new(child.stderr.take().unwrap()),
    ] {
        let tx = tx.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
    }
    let mut log: Vec<String> = vec![];
    let addr = loop {
        let line = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("a `listening on` line");
        log.push(line.clone());
        if let Some(rest) = line.split("listening on http://").nth(1) {
            break rest.trim().to_string();
        }
    };
    // The first admin's password is printed once, at start.
    let printed = log
        .iter()
        .position(|l| l.contains("created the account \"admin\""))
        .and_then(|i| log.get(i + 1))
        .map(|l| l.trim().to_string())
        .expect("the first admin's password is printed");
    let login_as = |username: &str, password: &str| {
        let body = json!({"username": username, "password": password}).to_string();
        let mut s = std::net::TcpStream::connect(&addr).unwrap();
        write!(
            s,
            "POST /api/session HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        out
    };
    let wrong = "Wrong-Guess-Never-Logged-77";
    let typed = "Typed-Name-Never-Logged-42";
    assert!(login_as("admin", wrong).starts_with("HTTP/1.1 401"));
    assert!(login_as(typed, wrong).starts_with("HTTP/1.1 401"));
    assert!(login_as("admin", &printed).starts_with("HTTP/1.1 200"));
    // The attempts are logged, a failed one's username only masked
    // (`#` and 8 hex digits), within a few seconds.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let masked = pingan_server::auth::journal::masked(typed);
    let seen = |log: &[String]| {
        log.iter()
            .any(|l| l.contains("login_failed") && l.contains(&masked))
            && log
                .iter()
                .any(|l| l.contains("login by=admin") && l.contains("target=users/admin"))
    };
    while !seen(&log) && std::time::Instant::now() < deadline {
        if let Ok(l) = rx.recv_timeout(Duration::from_millis(200)) {
            log.push(l);
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    while let Ok(l) = rx.try_recv() {
        log.push(l);
    }
    assert!(seen(&log), "{log:#?}");
    let after_start: Vec<&String> = log
        .iter()
        .skip_while(|l| !l.contains("listening on"))
        .collect();
    for l in &after_start {
        assert!(!l.contains(wrong), "a wrong password in the log: {l}");
        assert!(!l.contains(typed), "a typed username in the log: {l}");
        assert!(!l.contains(&printed), "the password in the log: {l}");
    }
    assert!(after_start.len() > 2, "{log:#?}");
}

/// Start accounts are made once, when the store is created: not again
/// after an admin removed them, and never on an old store (created before
/// accounts existed); the published demo passwords are reported while any
/// still works.
#[test]
fn demo_accounts_are_created_only_with_a_new_store() {
    use pingan_server::auth::bootstrap::{published_passwords_active, Created};
    let fx = Fixture::new("bootstrap");
    let state = fx.state();
    assert_eq!(state.auth().bootstrap(), Some(&Created::Demo));
    let all = published_passwords_active(state.auth()).unwrap();
    assert_eq!(all.len(), 6, "{all:?}");
    state
        .auth()
        .update_user(
            "operator",
            &pingan_server::auth::accounts::UserPatch {
                password: Some("a-new-secret-4711".into()),
                ..Default::default()
            },
        )
        .unwrap();
    state
        .auth()
        .update_user(
            "viewer",
            &pingan_server::auth::accounts::UserPatch {
                disabled: Some(true),
                ..Default::default()
            },
        )
        .unwrap();
    let left = published_passwords_active(state.auth()).unwrap();
    assert_eq!(left, ["planner", "officer", "officer-xixiang", "admin"]);
    let db = state.config().db_path();
    drop(state);
    // Every account removed (as an admin could in SQL): nothing comes back.
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch("DELETE FROM sessions; DELETE FROM users;")
        .unwrap();
    drop(conn);
    let state = fx.state();
    assert_eq!(state.auth().bootstrap(), None);
    assert!(state.auth().users().unwrap().is_empty());

    // A store from before accounts (schema 1), upgraded now: no accounts.
    let old = Fixture::new("bootstrap-old");
    let path = old.data.join("live.sqlite");
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(pingan_server::store::sqlite::MIGRATIONS[0])
        .unwrap();
    conn.pragma_update(None, "user_version", 1).unwrap();
    drop(conn);
    let state = old.state();
    assert_eq!(state.auth().bootstrap(), None);
    assert!(state.auth().users().unwrap().is_empty());
}

/// Guessing pairing codes: twenty failures within a code's lifetime void
/// every open code (from any mix of addresses), so the right code no longer
/// pairs; a new code does.
#[test]
fn twenty_failed_pairings_void_every_open_code() {
    let fx = Fixture::new("void");
    let mut cfg = AuthConfig::default();
    cfg.limits.pair_global.burst = 1000;
    let state = state_with(&fx, cfg);
    let auth = state.auth();
    let wall = auth.create_device("大屏 1").unwrap();
    let wrong = if wall.pairing_code == "00000000" {
        "00000001"
    } else {
        "00000000"
    };
    for i in 0..19u8 {
        let from = [10, 9, i / 5, i].into();
        assert!(matches!(
            auth.pair(wrong, from),
            Err(pingan_server::auth::AuthError::BadCredentials)
        ));
    }
    // The 20th failure (a malformed code counts too) voids the codes.
    assert!(auth.pair("x", [10, 9, 9, 9].into()).is_err());
    assert!(matches!(
        auth.pair(&wall.pairing_code, [10, 9, 9, 10].into()),
        Err(pingan_server::auth::AuthError::BadCredentials)
    ));
    let again = auth.create_device("大屏 1").unwrap();
    assert!(auth
        .pair(&again.pairing_code, [10, 9, 9, 11].into())
        .is_ok());
}

/// Password checks are bounded: with every argon2 slot taken a login waits
/// `hash_wait` and is answered 503 `busy` with `Retry-After`; once a slot
/// frees, it is served.
#[tokio::test]
async fn logins_beyond_the_hashing_slots_are_503_busy_with_retry_after() {
    let fx = Fixture::new("busy");
    let state = state_with(
        &fx,
        AuthConfig {
            hash_slots: 1,
            hash_wait: Duration::from_millis(100),
            ..AuthConfig::default()
        },
    );
    let router = app(state.clone());
    let held = state.auth().hash_slot().await.expect("the one slot");
    let t = Instant::now();
    let r = attempt(&router, "viewer", "pingan-viewer").await;
    r.assert_error(503, "busy");
    assert_eq!(r.header("retry-after"), Some("1"));
    assert!(t.elapsed() >= Duration::from_millis(100), "it waited first");
    drop(held);
    let r = attempt(&router, "viewer", "pingan-viewer").await;
    assert_eq!(r.status, 200, "{}", r.text());
}

/// API keys hold machine scopes only and always expire: 365 days by
/// default, at most two years.
#[tokio::test]
async fn keys_hold_machine_scopes_only_and_always_expire() {
    let fx = Fixture::new("keyscopes");
    let router = fx.anonymous_app();
    let admin = login(&router, Role::Admin).await;
    for scope in [
        "users:manage",
        "personal:read",
        "cases:report",
        "audit:read",
    ] {
        let r = send(
            &router,
            post(
                "/api/keys",
                Some(&admin),
                json!({"name": "k", "scopes": ["readings:write", scope]}),
            ),
        )
        .await;
        let detail = r.assert_error(400, "bad_request");
        assert!(
            detail.contains(scope) && detail.contains("read, readings:write"),
            "{detail}"
        );
    }
    let now = pingan_server::clock::now_s();
    let r = send(
        &router,
        post(
            "/api/keys",
            Some(&admin),
            json!({"name": "网关", "scopes": ["readings:write", "read"]}),
        ),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let expires = r.json()["expires_at"].as_i64().expect("an expiry");
    assert!((expires - now - 365 * 86_400).abs() < 60, "{expires}");
    let r = send(
        &router,
        post(
            "/api/keys",
            Some(&admin),
            json!({"name": "k", "scopes": ["readings:write"], "expires_at": now + 800 * 86_400}),
        ),
    )
    .await;
    r.assert_error(422, "invalid");
}

/// The last enabled admin is never disabled or demoted, also when two
/// changes race (one conditional update, not check-then-act).
#[test]
fn the_last_enabled_admin_cannot_be_disabled_or_demoted_even_in_a_race() {
    use pingan_server::auth::accounts::{UserIn, UserPatch};
    use pingan_server::auth::AuthError;
    let fx = Fixture::new("lastadmin");
    let state = fx.state();
    let auth = state.auth();
    let disable = UserPatch {
        disabled: Some(true),
        ..Default::default()
    };
    let demote = UserPatch {
        role: Some(Role::Viewer),
        ..Default::default()
    };
    for patch in [&disable, &demote] {
        let e = auth.update_user("admin", patch).unwrap_err();
        assert!(
            matches!(e, AuthError::Conflict(ref m) if m.contains("last enabled admin")),
            "{e:?}"
        );
    }
    // Its other fields still change.
    auth.update_user(
        "admin",
        &UserPatch {
            display_name: Some("总管理员".into()),
            ..Default::default()
        },
    )
    .unwrap();
    for round in 0..10 {
        let second = format!("admin{round}");
        auth.create_user(&UserIn {
            username: second.clone(),
            display_name: None,
            role: Role::Admin,
            scope: None,
            password: Some("second-admin-pw".into()),
        })
        .unwrap();
        // Two admins, each disabled by another request at once: one stays.
        let barrier = std::sync::Barrier::new(2);
        let results: Vec<bool> = std::thread::scope(|s| {
            let first = if round == 0 {
                "admin".to_string()
            } else {
                format!("admin{}", round - 1)
            };
            let handles: Vec<_> = [first, second]
                .into_iter()
                .map(|name| {
                    let barrier = &barrier;
                    let patch = if round % 2 == 0 { &disable } else { &demote };
                    s.spawn(move || {
                        barrier.wait();
                        auth.update_user(&name, patch).is_ok()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert_eq!(results.iter().filter(|ok| **ok).count(), 1, "{results:?}");
        let admins = auth
            .users()
            .unwrap()
            .into_iter()
            .filter(|u| u.role == Role::Admin && !u.disabled)
            .count();
        assert_eq!(admins, 1, "round {round}");
        // The next round starts from admin{round} as the one enabled admin.
        if results[1] {
            // admin{round} was the one disabled or demoted: swap.
            auth.update_user(
                &format!("admin{round}"),
                &UserPatch {
                    role: Some(Role::Admin),
                    disabled: Some(false),
                    ..Default::default()
                },
            )
            .unwrap();
            let first = if round == 0 {
                "admin".to_string()
            } else {
                format!("admin{}", round - 1)
            };
            auth.update_user(&first, &disable).unwrap();
        }
    }
}

/// Bad ids in admin paths (and a case id that is not UTF-8) are the API's
/// JSON 400 like every other error, not the framework's plain text.
#[tokio::test]
async fn bad_path_ids_are_json_400() {
    let fx = Fixture::new("pathids");
    let router = fx.anonymous_app();
    let admin = login(&router, Role::Admin).await;
    let cases = [
        ("POST", "/api/users/%C3%28", "username"),
        ("DELETE", "/api/keys/abc", "id"),
        ("DELETE", "/api/keys/%FF", "id"),
        ("DELETE", "/api/sessions/x", "id"),
        ("DELETE", "/api/sessions/-1", "id"),
        ("DELETE", "/api/devices/%FF", "id"),
        ("GET", "/api/cases/%C3%28", "id"),
    ];
    for (method, uri, field) in cases {
        let req = if method == "POST" {
            post(uri, Some(&admin), json!({"disabled": true}))
        } else {
            with(method, uri, ("cookie", &admin))
        };
        let r = send(&router, req).await;
        assert_eq!(
            r.header("content-type"),
            Some("application/json"),
            "{method} {uri}: {}",
            r.text()
        );
        let detail = r.assert_error(400, "bad_request");
        assert!(
            detail.starts_with(&format!("{field}: ")),
            "{method} {uri}: {detail}"
        );
    }
}

/// A malformed or unsupported `Authorization` header is no credential and
/// never falls back to a valid cookie beside it: 401 with the one answer.
#[tokio::test]
async fn a_malformed_authorization_header_never_falls_back_to_the_cookie() {
    let fx = Fixture::new("authz");
    let router = fx.anonymous_app();
    let cookie = login(&router, Role::Viewer).await;
    let ok = send(&router, with("GET", "/api/layers", ("cookie", &cookie))).await;
    assert_eq!(ok.status, 200);
    let anonymous = send(&router, common::get("/api/layers"))
        .await
        .assert_error(401, "unauthenticated");
    for value in [
        "Basic dmlld2VyOnBpbmdhbi12aWV3ZXI=",
        "Bearer",
        "Bearer   ",
        "Token abc",
        "pk_abc",
    ] {
        let req = Request::builder()
            .uri("/api/layers")
            .header("cookie", &cookie)
            .header("authorization", value)
            .body(Body::empty())
            .unwrap();
        let detail = send(&router, req)
            .await
            .assert_error(401, "unauthenticated");
        assert_eq!(detail, anonymous, "{value}: no hint");
    }
    // Also on who-am-I.
    let req = Request::builder()
        .uri("/api/session")
        .header("cookie", &cookie)
        .header("authorization", "Basic eDp5")
        .body(Body::empty())
        .unwrap();
    send(&router, req)
        .await
        .assert_error(401, "unauthenticated");
}

/// Account actions go into the audit log (not only the log): logins,
/// refusals (the typed username bounded and quoted), logout, and the
/// admin's changes to users, keys, sessions and devices.
#[tokio::test]
async fn account_actions_are_in_the_audit_log() {
    use pingan_server::store::AuditQuery;
    let fx = Fixture::new("journal");
    let state = fx.state();
    let router = app(state.clone());
    let admin = login(&router, Role::Admin).await;
    let typed = format!("evil\n{}", "x".repeat(2000));
    attempt(&router, &typed, "nope")
        .await
        .assert_error(401, "bad_credentials");
    let viewer = login(&router, Role::Viewer).await;
    send(&router, with("DELETE", "/api/session", ("cookie", &viewer))).await;
    let r = send(
        &router,
        post(
            "/api/users",
            Some(&admin),
            json!({"username": "sun", "role": "viewer"}),
        ),
    )
    .await;
    assert_eq!(r.status, 201);
    let r = send(
        &router,
        post("/api/users/sun", Some(&admin), json!({"disabled": true})),
    )
    .await;
    assert_eq!(r.status, 200);
    let r = send(
        &router,
        post(
            "/api/keys",
            Some(&admin),
            json!({"name": "g", "scopes": ["readings:write"]}),
        ),
    )
    .await;
    let key = r.json()["id"].as_i64().unwrap();
    send(
        &router,
        with("DELETE", &format!("/api/keys/{key}"), ("cookie", &admin)),
    )
    .await;
    let r = send(
        &router,
        post("/api/devices", Some(&admin), json!({"name": "墙"})),
    )
    .await;
    let device = r.json()["id"].as_i64().unwrap();
    send(
        &router,
        with(
            "DELETE",
            &format!("/api/devices/{device}"),
            ("cookie", &admin),
        ),
    )
    .await;
    let operator = login(&router, Role::Operator).await;
    let token = operator.trim_start_matches("pingan_session=").to_string();
    let sid = state
        .auth()
        .resolve(&pingan_server::auth::Credential::Cookie(token))
        .unwrap()
        .actor
        .session()
        .unwrap();
    send(
        &router,
        with(
            "DELETE",
            &format!("/api/sessions/{sid}"),
            ("cookie", &admin),
        ),
    )
    .await;

    let all = state
        .live()
        .store()
        .audit_query(&AuditQuery {
            limit: 1000,
            ..Default::default()
        })
        .unwrap();
    let actions: Vec<&str> = all.iter().map(|r| r.entry.action.as_str()).collect();
    for a in [
        "login",
        "login_failed",
        "logout",
        "user.create",
        "user.update",
        "key.create",
        "key.revoke",
        "device.create",
        "device.revoke",
        "session.revoke",
    ] {
        assert!(actions.contains(&a), "{a} missing from {actions:?}");
    }
    let failed = all
        .iter()
        .find(|r| r.entry.action == "login_failed")
        .unwrap();
    assert!(failed.entry.target.len() < 80, "{:?}", failed.entry.target);
    assert!(
        failed.entry.target.starts_with("users/\"evil\\n"),
        "{:?}",
        failed.entry.target
    );
    assert!(!failed.entry.target.contains('\n'));
    let update = all
        .iter()
        .find(|r| r.entry.action == "user.update")
        .unwrap();
    assert_eq!(update.entry.actor, "admin");
    assert_eq!(update.entry.detail, "disabled");
}

#[tokio::test]
async fn display_names_that_read_as_organisations_are_refused() {
    let fx = Fixture::new("org-names");
    let state = fx.state();
    let router = app(state.clone());
    let admin = login(&router, Role::Admin).await;
    // Shown unmasked on public walls if accepted: refused, the field named.
    for name in [
        "指挥中心王伟",
        "综治中心",
        "派出所",
        "王伟（模拟）",
        "centre",
        "网格员",
    ] {
        let r = send(
            &router,
            post(
                "/api/users",
                Some(&admin),
                json!({"username": "wang", "role": "officer", "display_name": name}),
            ),
        )
        .await;
        r.assert_error(422, "invalid");
        let detail = r.json()["detail"].as_str().unwrap().to_string();
        assert!(
            detail.starts_with("display_name: ") && detail.contains("organisation"),
            "{name}: {detail}"
        );
    }
    // The username is the display name when none is given.
    send(
        &router,
        post(
            "/api/users",
            Some(&admin),
            json!({"username": "police", "role": "viewer"}),
        ),
    )
    .await
    .assert_error(422, "invalid");
    // A person's name with a role word is a person (masked on walls): accepted.
    let r = send(
        &router,
        post(
            "/api/users",
            Some(&admin),
            json!({"username": "wang", "role": "officer", "display_name": "西乡网格员王伟"}),
        ),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text());
    // An update is checked the same way.
    let r = send(
        &router,
        post(
            "/api/users/wang",
            Some(&admin),
            json!({"display_name": "指挥中心王伟"}),
        ),
    )
    .await;
    r.assert_error(422, "invalid");
    assert!(r.json()["detail"]
        .as_str()
        .unwrap()
        .starts_with("display_name: "));
    let users = state.auth().users().unwrap();
    let wang = users.iter().find(|u| u.username == "wang").unwrap();
    assert_eq!(wang.display_name, "西乡网格员王伟");
    // Every demo account's display name is a person's.
    for d in pingan_server::auth::bootstrap::DEMO {
        assert!(
            !pingan_model::privacy::is_organisation(d.display_name),
            "{}",
            d.display_name
        );
    }
}
