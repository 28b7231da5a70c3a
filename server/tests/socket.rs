//! Over a real socket: the router behind `axum::serve` on 127.0.0.1:0 with a
//! raw HTTP/1.1 client (so request paths go out exactly as written), and the
//! `pingan-server` binary itself: its arguments, its `listening on` line,
//! and its shutdown on SIGTERM.

mod common;

use common::*;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

struct RawReply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl RawReply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Sends one request exactly as given (`Connection: close`) and reads the
/// whole reply. Blocking: call from `spawn_blocking`.
fn raw(addr: SocketAddr, method: &str, target: &str, extra: &[(&str, &str)]) -> RawReply {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut req = format!("{method} {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in extra {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).unwrap();
    let mut all = Vec::new();
    s.read_to_end(&mut all).unwrap();
    let split = all
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("end of headers");
    let head = String::from_utf8(all[..split].to_vec()).unwrap();
    let body = all[split + 4..].to_vec();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap();
    let status = status_line.split(' ').nth(1).unwrap().parse().unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    RawReply {
        status,
        headers,
        body,
    }
}

async fn raw_async(
    addr: SocketAddr,
    method: &'static str,
    target: String,
    extra: Vec<(&'static str, &'static str)>,
) -> RawReply {
    tokio::task::spawn_blocking(move || raw(addr, method, &target, &extra))
        .await
        .unwrap()
}

#[tokio::test]
async fn the_router_over_a_real_socket() {
    let fx = Fixture::new("socket").with_dist();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let app = fx.app();
    let server = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await
    });

    let r = raw_async(addr, "GET", "/api/health".into(), vec![]).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(
        health_core(v),
        serde_json::json!({"status": "ok", "layers_ok": 11, "layers_failed": 0})
    );

    // HEAD: the length of the GET body, no body bytes on the wire.
    let r = raw_async(addr, "HEAD", "/data/hazards.geojson".into(), vec![]).await;
    assert_eq!(r.status, 200);
    let len = file_len(&fx.data.join("hazards.geojson"));
    assert_eq!(r.header("content-length"), Some(len.to_string().as_str()));
    assert!(r.body.is_empty(), "{} body bytes after HEAD", r.body.len());

    // gzip on the wire.
    let r = raw_async(
        addr,
        "GET",
        "/data/hazards.geojson".into(),
        vec![("Accept-Encoding", "gzip")],
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-encoding"), Some("gzip"));
    assert_eq!(gunzip(&r.body), fx.read("hazards.geojson"));

    // Traversal sent verbatim, as curl --path-as-is or a hand-made client would.
    for target in [
        "/data/../secret.json",
        "/data/..\\secret.json",
        "/../secret.txt",
        "/data/%2e%2e/secret.json",
    ] {
        let r = raw_async(addr, "GET", target.into(), vec![]).await;
        let text = String::from_utf8_lossy(&r.body).into_owned();
        assert!(!text.contains(SECRET), "{target} leaked the secret");
        assert_eq!(r.status, 400, "{target}: {text}");
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["error"], "bad_path", "{target}");
    }

    // Unknown API, JSON 404.
    let r = raw_async(addr, "GET", "/api/v9".into(), vec![]).await;
    assert_eq!(r.status, 404);
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["error"], "not_found");

    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
}

#[test]
fn the_binary_serves_logs_its_address_and_stops_on_sigterm() {
    let fx = Fixture::new("binary").with_dist();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_pingan-server"))
        .args(["--host", "127.0.0.1", "--port", "0", "--data-dir"])
        .arg(&fx.data)
        .arg("--dist-dir")
        .arg(&fx.dist)
        .env("RUST_LOG", "info")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut log = Vec::new();
    let addr: SocketAddr = loop {
        let line = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(l) => l,
            Err(e) => {
                let _ = child.kill();
                panic!("no `listening on` line ({e}); log so far: {log:#?}");
            }
        };
        log.push(line.clone());
        if let Some(rest) = line.split("listening on http://").nth(1) {
            break rest.trim().parse().unwrap();
        }
    };
    assert_eq!(addr.ip().to_string(), "127.0.0.1");
    assert_ne!(addr.port(), 0);
    assert!(
        log.iter().any(|l| l.contains("layers checked")
            && l.contains("layers_ok=11")
            && l.contains("layers_failed=0")),
        "{log:#?}"
    );

    let r = raw(addr, "GET", "/index.html", &[]);
    assert_eq!(r.status, 200);
    assert_eq!(String::from_utf8(r.body).unwrap(), INDEX_HTML);
    // The manifest needs a session; health is public.
    let r = raw(addr, "GET", "/api/layers", &[]);
    assert_eq!(r.status, 401);
    let r = raw(addr, "GET", "/api/health", &[]);
    assert_eq!(r.status, 200);
    // One log line per request, with method, path, status and latency.
    let line = loop {
        let line = rx
            .recv_timeout(Duration::from_secs(10))
            .expect("a request log line");
        if line.contains("path=/api/health") {
            break line;
        }
    };
    assert!(line.contains("method=GET"), "{line}");
    assert!(line.contains("status=200"), "{line}");
    assert!(line.contains("latency_ms="), "{line}");

    let kill = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("the server did not stop within 20 s of SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "exit status after SIGTERM: {status}");
    reader.join().unwrap();
}

#[test]
fn the_binary_explains_a_port_it_cannot_bind() {
    let fx = Fixture::new("busy");
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_pingan-server"))
        .args(["--port", &port, "--data-dir"])
        .arg(&fx.data)
        .arg("--dist-dir")
        .arg(&fx.dist)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("cannot listen on 127.0.0.1:{port}")),
        "{err}"
    );
}

#[test]
fn the_binary_refuses_an_audit_retention_under_six_months() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_pingan-server"))
        .args(["--audit-retain-days", "30", "--port", "0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("180 days"), "{err}");
}
