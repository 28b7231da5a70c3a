//! A photo for a report, made small in the browser before it is kept or
//! sent: decoded (`createImageBitmap`, which also applies the camera's
//! orientation), drawn at most `MAX_EDGE` px on its long edge and encoded
//! as JPEG — which also drops the camera's EXIF block (its GPS tag, the
//! device) before anything leaves the phone. Named by its SHA-256, the id
//! the server checks (`PUT /api/photos/{sha256}`).

use sha2::{Digest, Sha256};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

/// The long edge of a sent photo (px): enough to read a sign or a crack,
/// ~150–300 KB as JPEG.
pub const MAX_EDGE: f64 = 1280.0;
const QUALITY: f64 = 0.8;

/// A photo ready to keep and send.
#[derive(Clone, Debug, PartialEq)]
pub struct Photo {
    pub sha256: String,
    pub bytes: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

/// The lowercase hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let d = Sha256::digest(bytes);
    d.iter().map(|b| format!("{b:02x}")).collect()
}

/// The size a `w`×`h` picture is drawn at: the long edge at most `MAX_EDGE`,
/// never enlarged, never 0.
pub fn fitted(w: f64, h: f64) -> (u32, u32) {
    if !(w > 0.0 && h > 0.0) {
        return (1, 1);
    }
    let s = (MAX_EDGE / w.max(h)).min(1.0);
    (
        ((w * s).round() as u32).max(1),
        ((h * s).round() as u32).max(1),
    )
}

fn js_err(v: JsValue) -> String {
    v.as_string()
        .or_else(|| {
            v.dyn_ref::<js_sys::Error>()
                .map(|e| String::from(e.message()))
        })
        .unwrap_or_else(|| "the photo could not be read".into())
}

/// Decodes, shrinks and re-encodes `file` as JPEG.
pub async fn prepare(file: web_sys::Blob) -> Result<Photo, String> {
    let w = web_sys::window().ok_or("no window")?;
    let bitmap: web_sys::ImageBitmap =
        JsFuture::from(w.create_image_bitmap_with_blob(&file).map_err(js_err)?)
            .await
            .map_err(|_| "这不是可识别的图片 / not an image the browser can read".to_string())?
            .dyn_into()
            .map_err(|_| "not an image".to_string())?;
    let (tw, th) = fitted(bitmap.width() as f64, bitmap.height() as f64);
    let doc = w.document().ok_or("no document")?;
    let canvas: web_sys::HtmlCanvasElement = doc
        .create_element("canvas")
        .map_err(js_err)?
        .dyn_into()
        .map_err(|_| "no canvas".to_string())?;
    canvas.set_width(tw);
    canvas.set_height(th);
    let ctx: web_sys::CanvasRenderingContext2d = canvas
        .get_context("2d")
        .map_err(js_err)?
        .ok_or("no 2d context")?
        .dyn_into()
        .map_err(|_| "no 2d context".to_string())?;
    ctx.draw_image_with_image_bitmap_and_dw_and_dh(&bitmap, 0.0, 0.0, tw as f64, th as f64)
        .map_err(js_err)?;
    bitmap.close();
    let (tx, rx) = futures_channel::oneshot::channel::<Option<web_sys::Blob>>();
    let tx = std::cell::RefCell::new(Some(tx));
    let done = Closure::once(move |b: JsValue| {
        if let Some(tx) = tx.borrow_mut().take() {
            let _ = tx.send(b.dyn_into::<web_sys::Blob>().ok());
        }
    });
    canvas
        .to_blob_with_type_and_encoder_options(
            done.as_ref().unchecked_ref(),
            "image/jpeg",
            &JsValue::from_f64(QUALITY),
        )
        .map_err(js_err)?;
    let blob = rx
        .await
        .ok()
        .flatten()
        .ok_or("the photo could not be encoded")?;
    let buf = JsFuture::from(blob.array_buffer()).await.map_err(js_err)?;
    let bytes = js_sys::Uint8Array::new(&buf).to_vec();
    Ok(Photo {
        sha256: sha256_hex(&bytes),
        bytes,
        width: tw,
        height: th,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn photos_shrink_to_the_long_edge_and_never_grow() {
        assert_eq!(fitted(4032.0, 3024.0), (1280, 960));
        assert_eq!(fitted(3024.0, 4032.0), (960, 1280));
        assert_eq!(fitted(640.0, 480.0), (640, 480));
        assert_eq!(fitted(0.0, 10.0), (1, 1));
        assert_eq!(fitted(f64::NAN, 10.0), (1, 1));
    }

    #[test]
    fn the_digest_is_the_servers() {
        // SHA-256 of "abc" (FIPS 180-2's example).
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
