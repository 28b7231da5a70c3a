//! Extractors of the API's requests: the JSON body ([`JsonBody`]: content
//! type, size limit, field-named errors; [`Idempotent`]: the same with the
//! request's `Idempotency-Key`, scoped to the caller), who is acting ([`Actor`], from the
//! `pingan_session` cookie or `Authorization: Bearer`, resolved once by the
//! check layer), the client's address ([`ClientAddr`]) and the ids in paths
//! ([`CaseId`], [`AlertId`], [`HazardId`], [`RowId`], [`Username`], [`WallGroup`], [`PhotoId`]). Every handler takes
//! its inputs through these, so every endpoint rejects bad input alike. Path
//! ids come before the body in a handler's arguments, so a bad id is
//! reported before a bad body.

use super::common::intake_error;
use super::guard::{credential, resolve};
use crate::auth::Resolved;
use crate::error::ApiError;
use crate::intake::{check_text, IntakeError, MAX_NAME};
use crate::store::{Actor, IdempotencyKey};
use crate::AppState;
use axum::body::Body;

use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use http_body_util::BodyExt;
use serde::de::DeserializeOwned;

/// Body limit of endpoints taking one object.
pub const SINGLE_LIMIT: usize = 64 * 1024;

/// A JSON object body of type `T`, at most `LIMIT` bytes (see [`json_body`]).
#[derive(Clone, Debug)]
pub struct JsonBody<T, const LIMIT: usize = SINGLE_LIMIT>(pub T);

impl<S: Send + Sync, T: DeserializeOwned, const LIMIT: usize> FromRequest<S>
    for JsonBody<T, LIMIT>
{
    type Rejection = ApiError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, ApiError> {
        let (parts, body) = req.into_parts();
        json_body(&parts.headers, body, LIMIT).await.map(JsonBody)
    }
}

/// Who is acting: resolved by the check layer (`guard.rs`) and read from the
/// request's extensions; resolved here when no layer ran.
impl FromRequestParts<AppState> for Resolved {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Resolved, ApiError> {
        if let Some(r) = parts.extensions.get::<Resolved>() {
            return Ok(r.clone());
        }
        let r = resolve(state, credential(&parts.headers)).await?;
        parts.extensions.insert(r.clone());
        Ok(r)
    }
}

/// The acting account, under its display name (histories record it).
impl FromRequestParts<AppState> for Actor {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Actor, ApiError> {
        Ok(Resolved::from_request_parts(parts, state).await?.actor)
    }
}

/// The one parameter of a path, percent-decoded; a segment that does not
/// decode to UTF-8 (`%C3%28`, `%FF`) is the API's JSON 400 `bad_request`
/// naming `field`, not axum's plain-text rejection.
async fn path_param(parts: &mut Parts, field: &str) -> Result<String, ApiError> {
    Path::<String>::from_request_parts(parts, &())
        .await
        .map(|Path(id)| id)
        .map_err(|e| ApiError::BadField {
            field: field.into(),
            detail: e.body_text(),
        })
}

/// The raw `{id}` of a path.
async fn path_id(parts: &mut Parts) -> Result<String, ApiError> {
    path_param(parts, "id").await
}

/// A numeric id in a path (API keys, sessions, devices): a positive integer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RowId(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for RowId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<RowId, ApiError> {
        let raw = path_id(parts).await?;
        raw.parse::<i64>()
            .ok()
            .filter(|n| *n > 0)
            .map(RowId)
            .ok_or_else(|| bad_param("id", format!("{raw:?} is not an id (a positive integer)")))
    }
}

/// A username in a path (`/api/users/{username}`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Username(pub String);

impl<S: Send + Sync> FromRequestParts<S> for Username {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Username, ApiError> {
        path_param(parts, "username").await.map(Username)
    }
}

/// A wall group in a path (`/api/walls/{group}/scene`): 1–40 letters (CJK
/// included), digits, `-` or `_` (`pingan_model::wall::valid_group`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WallGroup(pub String);

impl<S: Send + Sync> FromRequestParts<S> for WallGroup {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<WallGroup, ApiError> {
        let group = path_param(parts, "group").await?;
        if pingan_model::wall::valid_group(&group) {
            Ok(WallGroup(group))
        } else {
            Err(bad_param(
                "group",
                format!(
                    "{group:?}: a wall group is 1–{} letters (CJK included), digits, `-` or `_`",
                    pingan_model::wall::MAX_GROUP_CHARS
                ),
            ))
        }
    }
}

/// A photo id in a path (`/api/photos/{sha256}`): the SHA-256 of its
/// bytes, 64 lowercase hex digits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PhotoId(pub String);

impl<S: Send + Sync> FromRequestParts<S> for PhotoId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<PhotoId, ApiError> {
        let id = path_param(parts, "sha256").await?;
        if crate::store::photo::valid_id(&id) {
            Ok(PhotoId(id))
        } else {
            Err(bad_param(
                "sha256",
                format!(
                    "{:?}: a photo is named by the SHA-256 of its bytes, 64 lowercase hex digits",
                    crate::audit::clip(&id)
                ),
            ))
        }
    }
}

/// A case id in a path: `123` or the case number `AJ00000123`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CaseId(pub u32);

impl<S: Send + Sync> FromRequestParts<S> for CaseId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<CaseId, ApiError> {
        case_id(&path_id(parts).await?).map(CaseId)
    }
}

/// A case id: `123` or the case number `AJ00000123`.
pub fn case_id(raw: &str) -> Result<u32, ApiError> {
    let digits = raw
        .strip_prefix("AJ")
        .or_else(|| raw.strip_prefix("aj"))
        .unwrap_or(raw);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::BadField {
            field: "id".into(),
            detail: format!("{raw:?} is not a case id (a number such as 42 or AJ00000042)"),
        });
    }
    digits.parse::<u32>().map_err(|_| ApiError::BadField {
        field: "id".into(),
        detail: format!("{raw:?} is out of range"),
    })
}

/// An alert id in a path: a positive integer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AlertId(pub u64);

impl<S: Send + Sync> FromRequestParts<S> for AlertId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<AlertId, ApiError> {
        let id = path_id(parts).await?;
        id.parse()
            .ok()
            .filter(|n| (1..=i64::MAX as u64).contains(n))
            .map(AlertId)
            .ok_or_else(|| ApiError::BadField {
                field: "id".into(),
                detail: format!("{id:?} is not an alert id (a positive integer)"),
            })
    }
}

/// A hazard id in a path: non-empty text without control characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HazardId(pub String);

impl<S: Send + Sync> FromRequestParts<S> for HazardId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<HazardId, ApiError> {
        let id = path_id(parts).await?;
        check_text("id", &id, MAX_NAME, false).map_err(|e| match e {
            IntakeError::Invalid { field, detail } => ApiError::BadField { field, detail },
            other => intake_error(other),
        })?;
        Ok(HazardId(id))
    }
}

/// Reads and parses a JSON body: `application/json`, at most `limit` bytes,
/// the type's fields exactly. Errors name the field (`readings[3].value`).
pub async fn json_body<T: DeserializeOwned>(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
) -> Result<T, ApiError> {
    parse_json(&json_bytes(headers, body, limit).await?)
}

/// The bytes of a JSON object body, as received: `application/json`, at
/// most `limit` bytes, starting with `{`.
pub async fn json_bytes(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
) -> Result<Vec<u8>, ApiError> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if essence != "application/json" {
        return Err(ApiError::UnsupportedMediaType(if ct.is_empty() {
            "the body must be JSON: send Content-Type: application/json".into()
        } else {
            format!("the body must be JSON (Content-Type: application/json), not {ct}")
        }));
    }
    let bytes = body_bytes(headers, body, limit).await?;
    // Every body is a JSON object: serde would otherwise read an array
    // positionally into a struct.
    match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') => Ok(bytes),
        Some(_) => Err(ApiError::BadJson(
            "the body must be a JSON object ({\"field\": value, …})".into(),
        )),
        None => Err(ApiError::BadJson(
            "the body is empty; send a JSON object".into(),
        )),
    }
}

/// A body's bytes, at most `limit` (413 `payload_too_large` when its
/// `Content-Length` says more, or as soon as more arrives).
pub async fn body_bytes(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
) -> Result<Vec<u8>, ApiError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let too_large = |what: String| ApiError::TooLarge {
        what,
        limit: format!("{limit} bytes for this endpoint"),
    };
    if let Some(len) = declared.filter(|&l| l > limit as u64) {
        return Err(too_large(format!("the request body of {len} bytes")));
    }
    let mut body = body;
    let mut bytes: Vec<u8> = Vec::with_capacity(declared.map_or(0, |l| l as usize));
    while let Some(frame) = body.frame().await {
        let frame =
            frame.map_err(|e| ApiError::BadJson(format!("the body could not be read: {e}")))?;
        if let Ok(data) = frame.into_data() {
            if bytes.len() + data.len() > limit {
                return Err(too_large("the request body".into()));
            }
            bytes.extend_from_slice(&data);
        }
    }
    Ok(bytes)
}

/// The `Idempotency-Key` request header (IETF httpapi draft).
pub const IDEMPOTENCY_KEY: header::HeaderName = header::HeaderName::from_static("idempotency-key");
/// Lengths of an idempotency key.
pub const KEY_CHARS: std::ops::RangeInclusive<usize> = 16..=128;

/// The `Idempotency-Key` of a request, if it has one: 16–128 characters of
/// `A-Z a-z 0-9 _ -`, bare or as the draft's structured-field string (in
/// double quotes). Anything else, or the header twice, is 400
/// `bad_idempotency_key`.
pub fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let mut values = headers.get_all(&IDEMPOTENCY_KEY).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    let bad = |why: &str| {
        ApiError::BadIdempotencyKey(format!(
            "Idempotency-Key: {why}; a key is {}–{} characters of A–Z, a–z, 0–9, `_` and `-` \
             (a random UUID or 128 bits in base64url), new for each new request",
            KEY_CHARS.start(),
            KEY_CHARS.end()
        ))
    };
    if values.next().is_some() {
        return Err(bad("sent twice"));
    }
    let text = value.to_str().map_err(|_| bad("not ASCII text"))?.trim();
    let key = text
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(text);
    if !KEY_CHARS.contains(&key.len()) {
        return Err(bad(&format!("{} characters", key.len())));
    }
    if !key
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return Err(bad("a character outside the key alphabet"));
    }
    Ok(Some(key.to_string()))
}

/// The fingerprint of a keyed request: SHA-256 of its method, path (as
/// received, without the query) and body bytes, each but the last followed by
/// a newline.
pub fn fingerprint(method: &axum::http::Method, path: &str, body: &[u8]) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(method.as_str().as_bytes());
    h.update(b"\n");
    h.update(path.as_bytes());
    h.update(b"\n");
    h.update(body);
    h.finalize().into()
}

/// A JSON object body of type `T` (as [`JsonBody`]) and, when the request
/// has an `Idempotency-Key`, that key scoped to the calling account with the
/// request's fingerprint. The key is checked before the body.
#[derive(Clone, Debug)]
pub struct Idempotent<T, const LIMIT: usize = SINGLE_LIMIT> {
    pub body: T,
    pub key: Option<IdempotencyKey>,
}

impl<T: DeserializeOwned + Send, const LIMIT: usize> FromRequest<AppState>
    for Idempotent<T, LIMIT>
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        let (mut parts, body) = req.into_parts();
        let key = idempotency_key(&parts.headers)?;
        let bytes = json_bytes(&parts.headers, body, LIMIT).await?;
        let value = parse_json(&bytes)?;
        let key = match key {
            None => None,
            Some(key) => {
                let actor = Actor::from_request_parts(&mut parts, state).await?;
                let path = parts.uri.path();
                Some(IdempotencyKey {
                    account: actor.identity(),
                    key,
                    fingerprint: fingerprint(&parts.method, path, &bytes),
                    request: format!("{} {path}", parts.method),
                })
            }
        };
        Ok(Idempotent { body: value, key })
    }
}

/// Parses JSON into `T`, naming the offending field on error.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value: T = match serde_path_to_error::deserialize(&mut de) {
        Ok(v) => v,
        Err(e) => {
            let path = e.path().to_string();
            let inner = e.into_inner();
            return Err(match inner.classify() {
                serde_json::error::Category::Data => {
                    let msg = inner.to_string();
                    let field = named_field(&msg)
                        .map(|f| {
                            if path == "." || path == f || path.ends_with(&format!(".{f}")) {
                                if path == "." {
                                    f
                                } else {
                                    path.clone()
                                }
                            } else {
                                format!("{path}.{f}")
                            }
                        })
                        .unwrap_or_else(|| if path == "." { "body".into() } else { path });
                    ApiError::BadField { field, detail: msg }
                }
                _ => ApiError::BadJson(syntax_detail(bytes, &inner)),
            });
        }
    };
    de.end()
        .map_err(|e| ApiError::BadJson(syntax_detail(bytes, &e)))?;
    Ok(value)
}

/// The field named by serde's "missing field `x`" / "unknown field `x`".
fn named_field(msg: &str) -> Option<String> {
    let rest = msg
        .strip_prefix("missing field `")
        .or_else(|| msg.strip_prefix("unknown field `"))?;
    rest.split('`').next().map(str::to_string)
}

/// A syntax error, with the last object key before it ("near `lon`").
fn syntax_detail(bytes: &[u8], e: &serde_json::Error) -> String {
    let (line, col) = (e.line(), e.column());
    let mut offset = 0usize;
    for (i, l) in bytes.split(|b| *b == b'\n').enumerate() {
        if i + 1 == line {
            offset += col.min(l.len());
            break;
        }
        offset += l.len() + 1;
    }
    let before = String::from_utf8_lossy(&bytes[..offset.min(bytes.len())]).into_owned();
    let key = before.rfind("\":").and_then(|end| {
        let start = before[..end].rfind('"')?;
        Some(before[start + 1..end].to_string())
    });
    match key {
        Some(k) if !k.is_empty() => format!("{e} (near field `{k}`)"),
        _ => e.to_string(),
    }
}

pub fn bad_param(name: &str, detail: impl Into<String>) -> ApiError {
    ApiError::BadField {
        field: name.to_string(),
        detail: detail.into(),
    }
}

/// The value of `audience=` that asks for the public audience.
pub const PUBLIC_AUDIENCE: &str = "public";

/// Whether `value` of an `audience` parameter asks for the public
/// audience; only `public` is a value (the account's own audience is the
/// default, asked for by leaving the parameter out).
pub fn audience_value(value: &str) -> Result<bool, ApiError> {
    if value == PUBLIC_AUDIENCE {
        Ok(true)
    } else {
        Err(bad_param(
            "audience",
            format!("{value:?}: the one value is `public` (personal data masked whoever is signed in); leave it out for the account's own audience"),
        ))
    }
}

/// Whether a query asks for the public audience (`audience=public`);
/// other parameters are left to the caller.
pub fn public_audience(raw: Option<&str>) -> Result<bool, ApiError> {
    let mut public = false;
    for (k, v) in query_pairs(raw)? {
        if k == "audience" {
            public = audience_value(&v)?;
        }
    }
    Ok(public)
}

/// Refuses any parameter but `audience=public` (an answer that is the same
/// for every audience: a wall asks for the public one everywhere).
pub fn only_audience(raw: Option<&str>, endpoint: &str) -> Result<(), ApiError> {
    for (k, v) in query_pairs(raw)? {
        if k == "audience" {
            audience_value(&v)?;
        } else {
            return Err(bad_param(
                &k,
                format!("{endpoint} takes no parameters but audience=public"),
            ));
        }
    }
    Ok(())
}

/// Query parameters as (name, value) pairs, percent-decoded.
pub fn query_pairs(raw: Option<&str>) -> Result<Vec<(String, String)>, ApiError> {
    let raw = raw.unwrap_or("");
    serde_urlencoded::from_str::<Vec<(String, String)>>(raw)
        .map_err(|e| bad_param("query", format!("the query string cannot be read: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[test]
    fn json_errors_name_the_field() {
        #[derive(Debug, Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct P {
            lon: f64,
            lat: f64,
        }
        let field = |s: &str| match parse_json::<P>(s.as_bytes()) {
            Err(e) => e.to_string(),
            Ok(p) => panic!("{p:?}"),
        };
        assert!(field(r#"{"lon": 1}"#).starts_with("lat: missing field `lat`"));
        assert!(field(r#"{"lon": 1, "lat": 2, "x": 3}"#).starts_with("x: unknown field `x`"));
        assert!(field(r#"{"lon": 1, "lat": "a"}"#).starts_with("lat: invalid type"));
        assert!(field(r#"{"lon": 1, "lat": NaN}"#).contains("near field `lat`"));
        assert!(matches!(
            parse_json::<P>(b"{\"lon\": 1, \"lat\": 2} x"),
            Err(ApiError::BadJson(_))
        ));
    }

    #[test]
    fn idempotency_keys_are_16_to_128_url_safe_characters_bare_or_quoted() {
        let key = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(IDEMPOTENCY_KEY, v.parse().unwrap());
            idempotency_key(&h)
        };
        assert_eq!(idempotency_key(&HeaderMap::new()).unwrap(), None);
        let uuid = "8e03978e-40d5-43e8-bc93-6894a57f9324";
        assert_eq!(key(uuid).unwrap().as_deref(), Some(uuid));
        assert_eq!(key(&format!("\"{uuid}\"")).unwrap().as_deref(), Some(uuid));
        assert_eq!(key(&"a".repeat(16)).unwrap().map(|k| k.len()), Some(16));
        assert_eq!(key(&"Z_-9".repeat(32)).unwrap().map(|k| k.len()), Some(128));
        for bad in [
            "a".repeat(15),
            "a".repeat(129),
            format!("{uuid}!"),
            "abcdefghijklmnop qrst".into(),
            "abcdefghijklmnop/qrst".into(),
            "\"abcdefghijklmnop".into(),
            String::new(),
        ] {
            assert!(
                matches!(key(&bad), Err(ApiError::BadIdempotencyKey(_))),
                "{bad:?}"
            );
        }
        let mut twice = HeaderMap::new();
        twice.append(IDEMPOTENCY_KEY, uuid.parse().unwrap());
        twice.append(IDEMPOTENCY_KEY, uuid.parse().unwrap());
        assert!(matches!(
            idempotency_key(&twice),
            Err(ApiError::BadIdempotencyKey(_))
        ));
    }

    #[test]
    fn a_fingerprint_covers_method_path_and_body() {
        use axum::http::Method;
        let f = fingerprint(&Method::POST, "/api/cases", b"{}");
        assert_eq!(f, fingerprint(&Method::POST, "/api/cases", b"{}"));
        assert_ne!(f, fingerprint(&Method::PUT, "/api/cases", b"{}"));
        assert_ne!(
            f,
            fingerprint(&Method::POST, "/api/cases/1/transitions", b"{}")
        );
        assert_ne!(f, fingerprint(&Method::POST, "/api/cases", b"{ }"));
        // The separators keep a path's end and a body's start apart.
        assert_ne!(
            fingerprint(&Method::POST, "/a", b"b"),
            fingerprint(&Method::POST, "/ab", b"")
        );
    }
}
