//! Serving files: /data/ and the app build in dist/: content types,
//! compression, ETags and 304, HEAD, cache lifetimes, the 503 when the front
//! end is not built.

mod common;

use axum::http::StatusCode;
use common::*;
use pingan_model::layers::{LayerKind, LAYERS};

#[tokio::test]
async fn data_files_are_served_byte_for_byte_with_their_content_type() {
    let fx = Fixture::new("types");
    fx.write("extra.json", br#"{"note":"not a layer"}"#);
    fx.write("cases_2025.bin", &cases(2));
    let app = fx.app();
    let mut files: Vec<(&str, &str)> = LAYERS
        .iter()
        .map(|l| {
            let ty = match l.kind {
                LayerKind::Cases => "application/octet-stream",
                _ => "application/geo+json",
            };
            (l.file, ty)
        })
        .collect();
    files.push(("extra.json", "application/json"));
    files.push(("cases_2025.bin", "application/octet-stream"));
    for (file, ty) in files {
        let r = send(&app, get(&format!("/data/{file}"))).await;
        assert_eq!(r.status, StatusCode::OK, "{file}");
        assert_eq!(r.header("content-type"), Some(ty), "{file}");
        assert_eq!(r.header("cache-control"), Some("no-cache"), "{file}");
        assert_eq!(
            r.header("content-encoding"),
            None,
            "{file}: no Accept-Encoding, no compression"
        );
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
        let on_disk = fx.read(file);
        assert_eq!(
            r.header("content-length"),
            Some(on_disk.len().to_string().as_str()),
            "{file}"
        );
        assert_eq!(&r.body[..], &on_disk[..], "{file}");
    }
}

#[tokio::test]
async fn only_plain_data_files_are_served() {
    let fx = Fixture::new("only");
    fx.write("notes.txt", b"hello");
    fx.write(".hidden.json", b"{}");
    std::fs::create_dir(fx.data.join("sub")).unwrap();
    std::fs::write(fx.data.join("sub/inner.geojson"), points("s", 1)).unwrap();
    std::fs::create_dir(fx.data.join("dir.json")).unwrap();
    let app = fx.app();
    for (uri, detail) in [
        ("/data/notes.txt", "/data/notes.txt: only .geojson, .json and .bin files are served from /data/"),
        ("/data/.hidden.json", "/data/.hidden.json: hidden files are not served"),
        (
            "/data/sub/inner.geojson",
            "/data/sub/inner.geojson: only files directly in the data directory are served, not subdirectories",
        ),
        ("/data/nope.geojson", "/data/nope.geojson: no such file in the data directory"),
        ("/data/dir.json", "/data/dir.json: no such file in the data directory"),
        ("/data/", "name a file: /data/<file>; GET /api/layers lists the layer files"),
        ("/data", "name a file: /data/<file>; GET /api/layers lists the layer files"),
    ] {
        let r = send(&app, get(uri)).await;
        assert_eq!(r.assert_error(404, "not_found"), detail, "{uri}");
    }
    // Percent-encoded names are decoded once.
    fx.write("公园 2.geojson", points("p", 1).as_bytes());
    let r = send(&app, get("/data/%E5%85%AC%E5%9B%AD%202.geojson")).await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test]
async fn gzip_and_brotli_when_accepted() {
    let fx = Fixture::new("gzip");
    // A layer big enough to be worth compressing.
    let big = points("YH", 400);
    fx.write("hazards.geojson", big.as_bytes());
    let app = fx.app();

    let r = send(
        &app,
        get_with("/data/hazards.geojson", &[("accept-encoding", "gzip")]),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("content-encoding"), Some("gzip"));
    assert_eq!(r.header("content-type"), Some("application/geo+json"));
    assert_eq!(r.header("vary"), Some("accept-encoding"));
    assert_eq!(
        r.header("content-length"),
        Some(r.body.len().to_string().as_str())
    );
    assert!(
        r.body.len() < big.len() / 4,
        "{} of {}",
        r.body.len(),
        big.len()
    );
    assert_eq!(gunzip(&r.body), big.as_bytes());
    let gz_tag = r.header("etag").unwrap().to_string();
    assert!(gz_tag.ends_with("-gz\""), "{gz_tag}");

    // Brotli is preferred when both are offered (as browsers do).
    let r = send(
        &app,
        get_with(
            "/data/hazards.geojson",
            &[("accept-encoding", "gzip, deflate, br, zstd")],
        ),
    )
    .await;
    assert_eq!(r.header("content-encoding"), Some("br"));
    assert_eq!(unbrotli(&r.body), big.as_bytes());
    assert!(r.header("etag").unwrap().ends_with("-br\""));

    // q-values are honoured; q=0 refuses.
    let r = send(
        &app,
        get_with(
            "/data/hazards.geojson",
            &[("accept-encoding", "br;q=0.2, gzip;q=0.9")],
        ),
    )
    .await;
    assert_eq!(r.header("content-encoding"), Some("gzip"));
    let r = send(
        &app,
        get_with(
            "/data/hazards.geojson",
            &[("accept-encoding", "gzip;q=0, br;q=0")],
        ),
    )
    .await;
    assert_eq!(r.header("content-encoding"), None);
    assert_eq!(&r.body[..], big.as_bytes());
    let identity_tag = r.header("etag").unwrap().to_string();
    // One version, three representations: the tags differ only by suffix.
    assert_eq!(
        gz_tag,
        format!("{}-gz\"", identity_tag.trim_end_matches('"'))
    );

    // The same bytes again (compressed once, served from memory).
    let a = send(
        &app,
        get_with("/data/hazards.geojson", &[("accept-encoding", "gzip")]),
    )
    .await;
    let b = send(
        &app,
        get_with("/data/hazards.geojson", &[("accept-encoding", "gzip")]),
    )
    .await;
    assert_eq!(a.body, b.body);

    // A rewrite is served compressed in its new version.
    let bigger = points("YH", 500);
    fx.write("hazards.geojson", bigger.as_bytes());
    let r = send(
        &app,
        get_with("/data/hazards.geojson", &[("accept-encoding", "gzip")]),
    )
    .await;
    assert_eq!(gunzip(&r.body), bigger.as_bytes());
    assert_ne!(r.header("etag"), Some(gz_tag.as_str()));
}

#[tokio::test]
async fn etag_revalidation_answers_304_until_the_file_changes() {
    let fx = Fixture::new("etag");
    let app = fx.app();
    let first = send(&app, get("/data/grids.geojson")).await;
    let etag = first.header("etag").unwrap().to_string();
    assert!(
        etag.starts_with('"') && etag.ends_with('"') && etag.len() > 10,
        "{etag}"
    );
    assert!(first.header("last-modified").is_some());

    let r = send(
        &app,
        get_with("/data/grids.geojson", &[("if-none-match", &etag)]),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_MODIFIED);
    assert!(r.body.is_empty());
    assert_eq!(r.header("etag"), Some(etag.as_str()));
    assert_eq!(r.header("cache-control"), Some("no-cache"));

    // Lists, weak tags and the tag of another encoding of the same version match.
    let list = format!("\"nope\", W/{etag}");
    let r = send(
        &app,
        get_with("/data/grids.geojson", &[("if-none-match", &list)]),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_MODIFIED);
    let r = send(
        &app,
        get_with("/data/grids.geojson", &[("if-none-match", "\"nope\"")]),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body, first.body);

    // The ETag is of the content: another server process gives the same one.
    let again = send(&fx.app(), get("/data/grids.geojson")).await;
    assert_eq!(again.header("etag"), Some(etag.as_str()));

    // New content, new tag: the old one no longer matches.
    fx.write("grids.geojson", polygons("g", 9).as_bytes());
    let r = send(
        &app,
        get_with("/data/grids.geojson", &[("if-none-match", &etag)]),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(&r.body[..], polygons("g", 9).as_bytes());
    assert_ne!(r.header("etag"), Some(etag.as_str()));

    // If-Modified-Since, when there is no If-None-Match.
    let lm = r.header("last-modified").unwrap().to_string();
    let r = send(
        &app,
        get_with("/data/grids.geojson", &[("if-modified-since", &lm)]),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_MODIFIED);
    let r = send(
        &app,
        get_with(
            "/data/grids.geojson",
            &[("if-modified-since", "Thu, 01 Jan 1970 00:00:00 GMT")],
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test]
async fn head_gives_the_headers_of_get_without_a_body() {
    let fx = Fixture::new("head").with_dist();
    let app = fx.app();
    for uri in [
        "/data/hazards.geojson",
        "/data/cases_recent.bin",
        "/",
        "/pingan-map-1a2b3c4d5e6f7a8b_bg.wasm",
    ] {
        for ae in ["", "gzip"] {
            let g = send(&app, get_with(uri, &[("accept-encoding", ae)])).await;
            let req = axum::http::Request::builder()
                .method("HEAD")
                .uri(uri)
                .header("accept-encoding", ae)
                .body(axum::body::Body::empty())
                .unwrap();
            let h = send(&app, req).await;
            assert_eq!(h.status, StatusCode::OK, "{uri}");
            assert!(h.body.is_empty(), "{uri}");
            for name in [
                "content-type",
                "content-length",
                "content-encoding",
                "etag",
                "cache-control",
            ] {
                assert_eq!(h.header(name), g.header(name), "{uri} {ae} {name}");
            }
            assert_eq!(
                h.header("content-length"),
                Some(g.body.len().to_string().as_str())
            );
        }
    }
}

#[tokio::test]
async fn the_app_build_is_served_with_the_right_cache_lifetimes() {
    let fx = Fixture::new("dist").with_dist();
    let app = fx.app();
    for uri in ["/", "/index.html", "/?l=hazards,district"] {
        let r = send(&app, get(uri)).await;
        assert_eq!(r.status, StatusCode::OK, "{uri}");
        assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
        assert_eq!(r.header("cache-control"), Some("no-cache"), "{uri}");
        assert_eq!(r.text(), INDEX_HTML);
    }
    let immutable = Some("public, max-age=31536000, immutable");
    let js = send(&app, get("/pingan-map-1a2b3c4d5e6f7a8b.js")).await;
    assert_eq!(
        js.header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    assert_eq!(js.header("cache-control"), immutable);
    assert_eq!(js.text(), app_js());

    let wasm = send(
        &app,
        get_with(
            "/pingan-map-1a2b3c4d5e6f7a8b_bg.wasm",
            &[("accept-encoding", "gzip")],
        ),
    )
    .await;
    assert_eq!(wasm.status, StatusCode::OK);
    assert_eq!(wasm.header("content-type"), Some("application/wasm"));
    assert_eq!(wasm.header("cache-control"), immutable);
    assert_eq!(wasm.header("content-encoding"), Some("gzip"));
    assert_eq!(gunzip(&wasm.body), app_wasm());

    let html = send(&app, get_with("/", &[("accept-encoding", "br")])).await;
    assert_eq!(
        html.header("content-encoding"),
        None,
        "index.html is too small to be worth it"
    );

    let snippet = send(
        &app,
        get("/snippets/pingan-map-ab12cd34ef56ab78/inline0.js"),
    )
    .await;
    assert_eq!(snippet.status, StatusCode::OK);
    assert_eq!(snippet.header("cache-control"), immutable);

    let ico = send(&app, get("/favicon.ico")).await;
    assert_eq!(ico.header("content-type"), Some("image/x-icon"));
    assert_eq!(
        ico.header("cache-control"),
        Some("no-cache"),
        "not hashed, so revalidated"
    );

    let r = send(&app, get("/.env")).await;
    assert_eq!(
        r.assert_error(404, "not_found"),
        "/.env: hidden files are not served"
    );
    assert!(!r.text().contains(SECRET));
    let r = send(&app, get("/missing-0123456789abcdef.js")).await;
    assert_eq!(
        r.assert_error(404, "not_found"),
        "/missing-0123456789abcdef.js: no such file in the app build"
    );
    let r = send(&app, get("/snippets")).await;
    r.assert_error(404, "not_found");
}

#[tokio::test]
async fn without_a_build_the_front_end_answers_503_with_instructions() {
    let fx = Fixture::new("nodist");
    let app = fx.app();
    let want = format!(
        "the front end is not built: {} does not exist; build it with `trunk build --release --offline` \
         at the repository root, or start the server with --dist-dir pointing at trunk's output",
        fx.dist.join("index.html").display()
    );
    for uri in ["/", "/index.html", "/pingan-map-1a2b3c4d5e6f7a8b.js"] {
        let r = send(&app, get(uri)).await;
        assert_eq!(r.assert_error(503, "frontend_not_built"), want, "{uri}");
        assert_eq!(r.header("cache-control"), Some("no-store"));
    }
    // A browser gets a page.
    let r = send(
        &app,
        get_with(
            "/",
            &[("accept", "text/html,application/xhtml+xml,*/*;q=0.8")],
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    let page = r.text();
    assert!(
        page.contains("<h1>The front end is not built</h1>"),
        "{page}"
    );
    assert!(
        page.contains("<pre>trunk build --release --offline</pre>"),
        "{page}"
    );
    // The API and the data still work.
    assert_eq!(send(&app, get("/api/health")).await.status, StatusCode::OK);
    assert_eq!(
        send(&app, get("/data/hazards.geojson")).await.status,
        StatusCode::OK
    );

    // An empty dist/ (no index.html) is "not built" too; building it fixes it.
    std::fs::create_dir_all(&fx.dist).unwrap();
    send(&app, get("/"))
        .await
        .assert_error(503, "frontend_not_built");
    std::fs::write(fx.dist.join("index.html"), INDEX_HTML).unwrap();
    let r = send(&app, get("/")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.text(), INDEX_HTML);
}
