//! Security headers on every response (files, API, errors): a
//! Content-Security-Policy that allows the app's own scripts and wasm and
//! nothing inline but the exact loader trunk writes into `index.html` (its
//! SHA-256, [`html_csp`]), `frame-ancestors 'none'` and `X-Frame-Options`
//! (no framing by another site), `nosniff`, `Referrer-Policy: no-referrer`
//! and a same-origin opener policy. A response that set its own CSP (an
//! HTML page) keeps it.
//!
//! `'wasm-unsafe-eval'` is what `WebAssembly.instantiateStreaming` needs;
//! `connect-src 'self'` covers the same-origin `ws:`/`wss:` stream (CSP 3).
//! Styles: the app sets element styles through CSSOM (`style:` in Leptos),
//! which `style-src 'self'` allows. `worker-src 'self'`: the app's service
//! worker (`/sw.js`, issue 10's offline field mode) and nothing from
//! elsewhere, said outright rather than left to the `script-src` fallback.

use axum::extract::Request;
use axum::http::{header, HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine;
use sha2::{Digest, Sha256};

/// The policy's directives, without the hashes of inline scripts.
const DIRECTIVES: [&str; 11] = [
    "default-src 'self'",
    "script-src 'self' 'wasm-unsafe-eval'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    "connect-src 'self'",
    "worker-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
];

/// The policy of every response that is not an HTML page of ours.
pub fn default_csp() -> String {
    DIRECTIVES.join("; ")
}

/// The policy of an HTML page: the default, plus the SHA-256 of each of the
/// page's inline `<script>` elements (trunk's module loader) in
/// `script-src`, so they run and nothing else inline does.
pub fn html_csp(html: &[u8]) -> HeaderValue {
    let hashes: Vec<String> = inline_scripts(html)
        .into_iter()
        .map(|s| {
            let digest = Sha256::digest(s);
            format!(
                "'sha256-{}'",
                base64::engine::general_purpose::STANDARD.encode(digest)
            )
        })
        .collect();
    let policy = DIRECTIVES
        .iter()
        .map(|d| {
            if d.starts_with("script-src") && !hashes.is_empty() {
                format!("{d} {}", hashes.join(" "))
            } else {
                (*d).to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("; ");
    HeaderValue::from_str(&policy)
        .unwrap_or_else(|_| HeaderValue::from_static("default-src 'self'"))
}

/// The bodies of the `<script>` elements without `src` (as bytes between
/// the tags: what the browser hashes).
fn inline_scripts(html: &[u8]) -> Vec<&[u8]> {
    let mut found = Vec::new();
    let mut rest = html;
    while let Some(start) = find(rest, b"<script") {
        let after = &rest[start..];
        let Some(open_end) = find(after, b">") else {
            break;
        };
        let tag = &after[..open_end];
        let body = &after[open_end + 1..];
        let Some(close) = find(body, b"</script") else {
            break;
        };
        let has_src = tag.windows(4).any(|w| w.eq_ignore_ascii_case(b"src="));
        if !has_src {
            found.push(&body[..close]);
        }
        rest = &body[close..];
    }
    found
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
}

/// Middleware: the headers every response carries (unless it set them).
pub async fn security_headers(req: Request, next: Next) -> Response {
    let https = super::client::Client::of(req.extensions()).https;
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    if https {
        // Over HTTPS (direct TLS, or a trusted proxy's): browsers keep to it.
        h.entry(header::STRICT_TRANSPORT_SECURITY)
            .or_insert(HeaderValue::from_static("max-age=31536000"));
    }
    let fixed: [(HeaderName, &'static str); 4] = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
    ];
    for (name, value) in fixed {
        h.entry(name).or_insert(HeaderValue::from_static(value));
    }
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        if let Ok(v) = HeaderValue::from_str(&default_csp()) {
            h.insert(header::CONTENT_SECURITY_POLICY, v);
        }
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_scripts_are_hashed_and_external_ones_are_not() {
        let html = b"<head><script type=\"module\">\nimport init from '/a.js';\n</script>\
            <script src=\"/b.js\"></script><SCRIPT>x()</SCRIPT></head>";
        let scripts = inline_scripts(html);
        assert_eq!(
            scripts,
            vec![&b"\nimport init from '/a.js';\n"[..], &b"x()"[..]]
        );
        let csp = html_csp(html);
        let csp = csp.to_str().unwrap();
        let expected = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(b"x()"));
        assert!(csp.contains(&format!("'sha256-{expected}'")), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'"));
        assert!(!csp.contains("unsafe-inline"));
    }

    #[test]
    fn a_page_without_inline_scripts_gets_the_default() {
        assert_eq!(html_csp(b"<p>hi</p>").to_str().unwrap(), default_csp());
    }
}
