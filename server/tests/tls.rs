//! HTTPS with `--tls-cert/--tls-key` (`server/src/serve.rs`): a self-signed
//! certificate made here (rcgen), a rustls client trusting only it. The app
//! answers over TLS with its security headers; requests know they came over
//! HTTPS (the session cookie is `Secure`, the Origin check wants `https://`
//! as the own origin); plain HTTP
//! on the TLS port gets no answer; unreadable or mismatched PEM files are
//! errors naming the file.

mod common;

use common::*;
use pingan_server::serve::{serve, tls_config, ServeError, ServeOptions, TlsFiles};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::rustls::{ClientConfig, RootCertStore};

struct Tls {
    files: TlsFiles,
    cert: CertificateDer<'static>,
}

fn self_signed(fx: &Fixture) -> Tls {
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let cert = fx.root.join("cert.pem");
    let key = fx.root.join("key.pem");
    std::fs::write(&cert, ck.cert.pem()).unwrap();
    std::fs::write(&key, ck.signing_key.serialize_pem()).unwrap();
    Tls {
        files: TlsFiles { cert, key },
        cert: ck.cert.der().clone(),
    }
}

async fn https_server(fx: &Fixture, tls: &Tls) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let options = ServeOptions {
        tls: Some(tls.files.clone()),
        header_timeout: Duration::from_secs(2),
        ..ServeOptions::default()
    };
    tokio::spawn(serve(
        listener,
        fx.anonymous_app(),
        options,
        std::future::pending(),
    ));
    addr
}

/// A TLS connection (SNI `localhost`) trusting only `cert`.
async fn connect(
    addr: SocketAddr,
    cert: &CertificateDer<'static>,
) -> tokio_rustls::client::TlsStream<tokio::net::TcpStream> {
    let mut roots = RootCertStore::empty();
    roots.add(cert.clone()).unwrap();
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    connector
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .expect("TLS handshake")
}

/// One request over TLS, the whole reply as text.
async fn https(addr: SocketAddr, cert: &CertificateDer<'static>, head: String) -> String {
    let mut stream = connect(addr, cert).await;
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut all = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut all)).await;
    String::from_utf8_lossy(&all).into_owned()
}

#[tokio::test]
async fn https_serves_the_app_and_requests_know_they_are_https() {
    let fx = Fixture::new("tls").with_dist();
    let tls = self_signed(&fx);
    let addr = https_server(&fx, &tls).await;
    let host = format!("localhost:{}", addr.port());

    let reply = https(
        addr,
        &tls.cert,
        format!("GET /api/health HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"),
    )
    .await;
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    let lower = reply.to_ascii_lowercase();
    assert!(lower.contains("content-security-policy:"), "{reply}");
    assert!(lower.contains("x-frame-options: deny"), "{reply}");
    assert!(
        lower.contains("strict-transport-security: max-age=31536000"),
        "{reply}"
    );

    // A login over TLS: the session cookie is Secure.
    let body = r#"{"username":"viewer","password":"pingan-viewer"}"#;
    let reply = https(
        addr,
        &tls.cert,
        format!(
            "POST /api/session HTTP/1.1\r\nHost: {host}\r\nOrigin: https://{host}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
    )
    .await;
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    let cookie = reply
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with("set-cookie:"))
        .unwrap_or_else(|| panic!("no cookie: {reply}"));
    assert!(
        cookie.contains("HttpOnly") && cookie.ends_with("; Secure"),
        "{cookie}"
    );
    let session = cookie
        .split_once(':')
        .and_then(|(_, v)| v.split(';').next())
        .unwrap()
        .trim()
        .to_string();

    // The own origin of a TLS request is https://…; http://… is another.
    let upgrade = |origin: &str| {
        format!(
            "GET /ws HTTP/1.1\r\nHost: {host}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
             Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
             Cookie: {session}\r\nOrigin: {origin}\r\n\r\n"
        )
    };
    let refused = https(addr, &tls.cert, upgrade(&format!("http://{host}"))).await;
    assert!(refused.starts_with("HTTP/1.1 403"), "{refused}");
    assert!(refused.contains("origin_refused"), "{refused}");
    // Accepted: the upgraded connection stays open, so read only the status.
    let first_line = {
        let mut s = connect(addr, &tls.cert).await;
        s.write_all(upgrade(&format!("https://{host}")).as_bytes())
            .await
            .unwrap();
        let mut buf = [0u8; 12];
        s.read_exact(&mut buf).await.unwrap();
        String::from_utf8_lossy(&buf).into_owned()
    };
    assert_eq!(first_line, "HTTP/1.1 101");

    // Plain HTTP on the TLS port: no HTTP answer.
    let plain = tokio::task::spawn_blocking(move || {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let _ = s.write_all(b"GET /api/health HTTP/1.1\r\nHost: localhost\r\n\r\n");
        let mut all = Vec::new();
        let _ = s.read_to_end(&mut all);
        all
    })
    .await
    .unwrap();
    assert!(!plain.starts_with(b"HTTP/1.1 200"));
}

#[tokio::test]
async fn bad_pem_files_are_errors_naming_the_file() {
    let fx = Fixture::new("tls-bad");
    let tls = self_signed(&fx);
    let missing = TlsFiles {
        cert: fx.root.join("nope.pem"),
        key: tls.files.key.clone(),
    };
    match tls_config(&missing) {
        Err(ServeError::TlsFile { path, .. }) => assert!(path.ends_with("nope.pem")),
        other => panic!("{other:?}"),
    }
    let other = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let wrong_key = fx.root.join("other-key.pem");
    std::fs::write(&wrong_key, other.signing_key.serialize_pem()).unwrap();
    let mismatched = TlsFiles {
        cert: tls.files.cert.clone(),
        key: wrong_key,
    };
    assert!(matches!(
        tls_config(&mismatched),
        Err(ServeError::TlsConfig(_))
    ));
    let not_pem = TlsFiles {
        cert: fx.data.join("hazards.geojson"),
        key: tls.files.key.clone(),
    };
    assert!(matches!(
        tls_config(&not_pem),
        Err(ServeError::TlsFile { .. })
    ));
}
