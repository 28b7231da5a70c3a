//! Photos (issue 10): `PUT /api/photos/{sha256}` stores one (an officer's
//! picture of a case or a hazard, `cases:report`), `GET` reads it
//! (`personal:read`, scope-checked, audited: photos show faces and number
//! plates). Content-addressed: the path names the SHA-256 of the bytes, so a
//! repeated upload (the phone's outbox) stores nothing new. The body is the
//! raw image: checked for its size ([`PHOTO_LIMIT`], its own limit, see
//! `crate::body_limit`), its digest, its type by content and its pixel size
//! (`crate::photo`).

use super::common::{no_store, read};
use super::extract::{body_bytes, PhotoId};
use crate::audit;
use crate::error::ApiError;
use crate::http::client::ClientAddr;
use crate::photo::{sniff, ImageType, SniffError};
use crate::store::photo::id_of;
use crate::store::{Actor, NewPhoto, PhotoMeta};
use crate::AppState;
use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use pingan_model::access::{Audience, Permission};
use serde::{Deserialize, Serialize};

/// Largest photo accepted: 2 MiB.
pub const PHOTO_LIMIT: usize = 2 * 1024 * 1024;

/// `Cache-Control` of a photo: not kept by the browser's HTTP cache (which
/// signing out does not clear), so every read reaches the scope check and
/// the audit.
pub const PHOTO_CACHE: &str = "private, no-store";
/// The policy of a photo's answer: nothing runs, even opened on its own.
pub const PHOTO_CSP: &str = "default-src 'none'; sandbox";

/// Reply of `PUT /api/photos/{sha256}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhotoOut {
    pub id: String,
    /// The media type read from the content.
    #[serde(rename = "type")]
    pub mime: String,
    pub width: u32,
    pub height: u32,
    /// Size in bytes.
    pub bytes: u64,
}

impl From<&PhotoMeta> for PhotoOut {
    fn from(m: &PhotoMeta) -> PhotoOut {
        PhotoOut {
            id: m.id.clone(),
            mime: m.mime.clone(),
            width: m.width,
            height: m.height,
            bytes: m.size,
        }
    }
}

fn types() -> String {
    ImageType::ALL
        .iter()
        .map(|t| t.mime())
        .collect::<Vec<_>>()
        .join(", ")
}

/// `PUT /api/photos/{sha256}`: the declared type one of the three (415),
/// at most 2 MiB (413), the bytes' SHA-256 the path's (400
/// `digest_mismatch`), one of the three by content (415; a PNG declared as a
/// JPEG is stored as the PNG it is), its header readable and each side
/// 1–8192 px (422 `bad_image`). 201 when stored, 200 when it was already.
pub async fn put_photo(
    State(state): State<AppState>,
    PhotoId(id): PhotoId,
    actor: Actor,
    from: ClientAddr,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let declared = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if ImageType::of_mime(declared).is_none() {
        return Err(ApiError::UnsupportedMediaType(format!(
            "a photo is sent as its raw bytes with Content-Type {}, not {}",
            types(),
            if declared.is_empty() {
                "none"
            } else {
                declared
            }
        )));
    }
    let data = body_bytes(&headers, body, PHOTO_LIMIT).await?;
    let digest = id_of(&data);
    if digest != id {
        return Err(ApiError::DigestMismatch(format!(
            "the body's SHA-256 is {digest}, not the {id} its path names \
             (a photo's path is the SHA-256 of its bytes; was the upload cut short?)"
        )));
    }
    let image = sniff(&data).map_err(|e| match e {
        SniffError::NotAnImage => ApiError::UnsupportedMediaType(format!(
            "{e}: a photo is {}, whatever its Content-Type says",
            types()
        )),
        SniffError::Unreadable(..) | SniffError::Size { .. } => ApiError::BadImage(e.to_string()),
    })?;
    let new = NewPhoto {
        id: id.clone(),
        mime: image.image_type.mime().into(),
        width: image.width,
        height: image.height,
        data,
    };
    let entry = audit::entry(
        &actor,
        "photo.upload",
        format!("photos/{id}"),
        &from.to_string(),
        format!(
            "{} {}×{}, {} bytes",
            new.mime,
            new.width,
            new.height,
            new.data.len()
        ),
    );
    let now = crate::clock::now_ms();
    let (created, meta) = read(&state, move |s| {
        s.put_photo(&new, &actor, now, Some(&entry))
    })
    .await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let mut res = no_store(status, Json(PhotoOut::from(&meta)));
    if let Ok(v) = HeaderValue::from_str(&format!("/api/photos/{id}")) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    Ok(res)
}

/// `GET /api/photos/{sha256}`: the bytes with their type (by content),
/// cached privately for good, inert (`nosniff`, a sandboxing CSP, same-origin
/// only). A reader limited to a subdistrict sees a photo it uploaded or one
/// shown with a case or hazard of its subdistrict (else 403). Audited
/// (`photo.read`) before the answer.
pub async fn get_photo(
    State(state): State<AppState>,
    PhotoId(id): PhotoId,
    actor: Actor,
    from: ClientAddr,
) -> Result<Response, ApiError> {
    let wanted = id.clone();
    let photo = read(&state, move |s| s.photo(&wanted))
        .await?
        .ok_or_else(|| ApiError::NoSuchEntity(format!("photo {id} does not exist")))?;
    if let Audience::Personal { scope: Some(scope) } = actor.audience() {
        let uploaded = photo.meta.by_kind == actor.kind()
            && photo.meta.by_account.as_deref() == actor.account_name();
        let wanted = id.clone();
        let places = read(&state, move |s| s.photo_places(&wanted)).await?;
        if !uploaded && !places.iter().any(|p| p.as_deref() == Some(scope.as_str())) {
            return Err(ApiError::Forbidden {
                permission: Permission::PersonalRead,
                scope: Some(scope),
                detail: format!(
                    "photo {id} is shown with no case or hazard of the subdistrict this \
                     account is limited to"
                ),
            });
        }
    }
    let entry = audit::entry(
        &actor,
        "photo.read",
        format!("photos/{id}"),
        &from.to_string(),
        "",
    );
    read(&state, move |s| s.audit(&entry)).await?;
    let content_type = ImageType::of_mime(&photo.meta.mime)
        .map(|t| t.mime())
        .unwrap_or("application/octet-stream");
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, PHOTO_CACHE),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::CONTENT_SECURITY_POLICY, PHOTO_CSP),
            (
                HeaderName::from_static("cross-origin-resource-policy"),
                "same-origin",
            ),
        ],
        photo.data,
    )
        .into_response())
}
