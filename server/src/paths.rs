//! Turning the tail of a request path into safe path segments.
//!
//! The raw (still percent-encoded) path is decoded exactly once, then every
//! way out of the served directory is refused: `..` and `.` segments, empty
//! segments (`//`, which also covers absolute paths), backslashes, colons
//! (drive letters, alternate data streams), NUL and other control
//! characters, and a `%` left after decoding (double encoding).

use crate::error::ApiError;

/// Decodes `%XX` escapes. Fails on a malformed escape or on bytes that are
/// not UTF-8.
pub fn percent_decode(raw: &str) -> Result<String, ApiError> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok());
            let byte = hex
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| {
                    ApiError::BadPath(format!(
                        "the path {raw:?} has a malformed percent-escape at byte {i}"
                    ))
                })?;
            out.push(byte);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out)
        .map_err(|_| ApiError::BadPath(format!("the path {raw:?} does not decode to UTF-8 text")))
}

/// Decodes and checks a relative request path (the part after the route
/// prefix, without a leading `/`). Returns its segments; an empty path gives
/// no segments.
pub fn safe_segments(raw: &str) -> Result<Vec<String>, ApiError> {
    let decoded = percent_decode(raw)?;
    let bad = |why: &str| Err(ApiError::BadPath(format!("the path {raw:?} {why}")));
    if decoded.is_empty() {
        return Ok(Vec::new());
    }
    if decoded.contains('\0') {
        return bad("contains a NUL character");
    }
    if decoded.chars().any(char::is_control) {
        return bad("contains a control character");
    }
    if decoded.contains('\\') {
        return bad("contains a backslash");
    }
    if decoded.starts_with('/') {
        return bad("is absolute");
    }
    if decoded.contains(':') {
        return bad("contains a colon");
    }
    if decoded.contains('%') {
        return bad("is percent-encoded twice");
    }
    let mut segments = Vec::new();
    for seg in decoded.split('/') {
        match seg {
            ".." => return bad("climbs out of its directory with \"..\""),
            "." => return bad("has a \".\" segment"),
            "" => return bad("has an empty segment (\"//\")"),
            s => segments.push(s.to_string()),
        }
    }
    Ok(segments)
}

/// The lower-case extension of a file name, without the dot.
pub fn extension(name: &str) -> Option<String> {
    let (stem, ext) = name.rsplit_once('.')?;
    if stem.is_empty() || ext.is_empty() {
        return None;
    }
    Some(ext.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(raw: &str) -> String {
        match safe_segments(raw) {
            Ok(s) => s.join("|"),
            Err(e) => format!("{}: {e}", e.code()),
        }
    }

    #[test]
    fn accepts_plain_and_encoded_names() {
        assert_eq!(code("hazards.geojson"), "hazards.geojson");
        assert_eq!(
            code("snippets/app-1a2b3c/inline0.js"),
            "snippets|app-1a2b3c|inline0.js"
        );
        assert_eq!(code("a%20b.json"), "a b.json");
        assert_eq!(code("%E5%85%AC%E5%9B%AD.json"), "公园.json");
        assert_eq!(code(""), "");
    }

    #[test]
    fn rejects_every_escape() {
        for raw in [
            "..",
            "../etc/passwd",
            "a/../../b",
            "%2e%2e/secret.txt",
            "%2E%2E%2Fsecret.txt",
            "..%2fsecret.txt",
            ".%2e/secret.txt",
            "..%5csecret.txt",
            "..\\secret.txt",
            "%2fetc%2fpasswd",
            "/etc/passwd",
            "a//b",
            "./a",
            "C:%5cwindows",
            "c:secret",
            "a%00.json",
            "a%0a.json",
            "%252e%252e/secret.txt",
            "%zz",
            "%e5%85",
            "abc%",
        ] {
            assert!(
                code(raw).starts_with("bad_path: the path "),
                "{raw}: {}",
                code(raw)
            );
        }
        assert_eq!(
            code("%2e%2e/x"),
            "bad_path: the path \"%2e%2e/x\" climbs out of its directory with \"..\""
        );
    }

    #[test]
    fn extensions() {
        assert_eq!(extension("a.GeoJSON").as_deref(), Some("geojson"));
        assert_eq!(extension(".bin"), None);
        assert_eq!(extension("noext"), None);
        assert_eq!(extension("x.tar.gz").as_deref(), Some("gz"));
    }
}
