//! Content types (the `mime_guess` table), compressibility and cache
//! lifetimes by file name.

/// The `Content-Type` of a file by extension (lower case, no dot): the
/// `mime_guess` table, with `charset=utf-8` on text (the app's files are
/// UTF-8) and four entries where the table differs from what is served:
/// source maps are JSON, `.mjs` is `text/javascript` like `.js`, `.otf` and
/// `.woff` are `font/otf` and `font/woff` (RFC 8081).
pub fn content_type(ext: Option<&str>) -> &'static str {
    let ext = ext.unwrap_or("");
    let guessed = match ext {
        "" => None,
        "map" => Some("application/json"),
        "mjs" => Some("text/javascript"),
        "otf" => Some("font/otf"),
        "woff" => Some("font/woff"),
        _ => mime_guess::from_ext(ext).first_raw(),
    };
    match guessed {
        Some("text/html") => "text/html; charset=utf-8",
        Some("text/javascript") => "text/javascript; charset=utf-8",
        Some("text/css") => "text/css; charset=utf-8",
        Some("text/plain") => "text/plain; charset=utf-8",
        Some(t) => t,
        None => "application/octet-stream",
    }
}

/// Whether a file of this extension is worth compressing (already
/// compressed formats such as PNG or WOFF2 are not).
pub fn compressible(ext: Option<&str>) -> bool {
    matches!(
        ext.unwrap_or(""),
        "html"
            | "htm"
            | "js"
            | "mjs"
            | "css"
            | "wasm"
            | "json"
            | "map"
            | "geojson"
            | "bin"
            | "webmanifest"
            | "svg"
            | "ico"
            | "ttf"
            | "otf"
            | "txt"
    )
}

/// `Cache-Control` for everything that must be revalidated on each use.
pub const NO_CACHE: &str = "no-cache";
/// `Cache-Control` for content-hashed build outputs.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// Whether a path inside `dist/` carries a content hash, as trunk's outputs
/// do (`pingan-map-1a2b3c4d5e6f7a8b.js`, `pingan-map-…_bg.wasm`,
/// `snippets/pingan-map-…/inline0.js`): some segment has a `-`, `_` or `.`
/// separated token of 6 to 64 hex digits with at least one digit. HTML is
/// never immutable.
pub fn is_hashed(segments: &[String]) -> bool {
    let Some(last) = segments.last() else {
        return false;
    };
    if last.ends_with(".html") || last.ends_with(".htm") {
        return false;
    }
    segments.iter().any(|seg| {
        seg.split(['-', '_', '.']).any(|tok| {
            (6..=64).contains(&tok.len())
                && tok.bytes().all(|b| b.is_ascii_hexdigit())
                && tok.bytes().any(|b| b.is_ascii_digit())
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hashed(p: &str) -> bool {
        is_hashed(&p.split('/').map(String::from).collect::<Vec<_>>())
    }

    #[test]
    fn recognises_trunk_hashes() {
        assert!(hashed("pingan-map-1a2b3c.js"));
        assert!(hashed("pingan-map-9f86d081884c7d65_bg.wasm"));
        assert!(hashed("style-0123456789abcdef.css"));
        assert!(hashed("snippets/pingan-map-ab12cd34ef56ab78/inline0.js"));
        assert!(!hashed("index.html"));
        assert!(!hashed("favicon.ico"));
        assert!(!hashed("pingan-map.js"));
        assert!(
            !hashed("decade-facade.js"),
            "hex words without digits are not hashes"
        );
        assert!(!hashed("a1b2c3.html"));
    }

    #[test]
    fn types() {
        assert_eq!(content_type(Some("wasm")), "application/wasm");
        assert_eq!(content_type(Some("geojson")), "application/geo+json");
        assert_eq!(content_type(None), "application/octet-stream");
        assert_eq!(
            content_type(Some("no-such-ext")),
            "application/octet-stream"
        );
        // Every type served before mime_guess, unchanged.
        for (ext, ty) in [
            ("html", "text/html; charset=utf-8"),
            ("htm", "text/html; charset=utf-8"),
            ("js", "text/javascript; charset=utf-8"),
            ("mjs", "text/javascript; charset=utf-8"),
            ("css", "text/css; charset=utf-8"),
            ("json", "application/json"),
            ("map", "application/json"),
            ("webmanifest", "application/manifest+json"),
            ("svg", "image/svg+xml"),
            ("png", "image/png"),
            ("jpg", "image/jpeg"),
            ("jpeg", "image/jpeg"),
            ("gif", "image/gif"),
            ("webp", "image/webp"),
            ("ico", "image/x-icon"),
            ("woff2", "font/woff2"),
            ("woff", "font/woff"),
            ("ttf", "font/ttf"),
            ("otf", "font/otf"),
            ("txt", "text/plain; charset=utf-8"),
        ] {
            assert_eq!(content_type(Some(ext)), ty, "{ext}");
        }
        assert!(compressible(Some("wasm")) && !compressible(Some("png")));
    }
}
