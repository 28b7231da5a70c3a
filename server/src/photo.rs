//! What a photo is, by its content: JPEG, PNG or WebP by the first bytes
//! (magic numbers), and its pixel size from the header
//! ([`sniff`]), within [`MAX_SIDE`] pixels a side. Nothing is decoded.
//!
//! Why by hand and not a crate (`imagesize`, `infer`): the three formats'
//! headers are a few fixed offsets and, for JPEG, a walk over the segments to
//! the frame header, about a hundred lines with every read bounds-checked
//! and a typed error naming what was wrong; a crate would know dozens of
//! formats we must refuse anyway and add a dependency to the shared
//! lockfile for it. The rules are the published ones: JPEG (ITU T.81 B.1:
//! markers, segment lengths, SOFn), PNG (the signature and IHDR first, RFC
//! 2083), WebP (RIFF, and the `VP8 `, `VP8L` or `VP8X` chunk first: RFC 9649).

/// Largest width and height accepted, in pixels (a phone's 48 MP photo is
/// 8000 × 6000).
pub const MAX_SIDE: u32 = 8192;

/// The image types a photo may be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageType {
    Jpeg,
    Png,
    Webp,
}

impl ImageType {
    pub const ALL: [ImageType; 3] = [ImageType::Jpeg, ImageType::Png, ImageType::Webp];

    /// Its media type (`image/jpeg`).
    pub fn mime(self) -> &'static str {
        match self {
            ImageType::Jpeg => "image/jpeg",
            ImageType::Png => "image/png",
            ImageType::Webp => "image/webp",
        }
    }

    /// The type of a media type (its essence, any case; parameters ignored).
    pub fn of_mime(content_type: &str) -> Option<ImageType> {
        let essence = content_type.split(';').next().unwrap_or("").trim();
        ImageType::ALL
            .into_iter()
            .find(|t| t.mime().eq_ignore_ascii_case(essence))
    }

    /// The type of a file by its first bytes, if it is one of the three.
    pub fn of_bytes(b: &[u8]) -> Option<ImageType> {
        if b.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(ImageType::Jpeg)
        } else if b.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(ImageType::Png)
        } else if b.len() >= 12 && &b[..4] == b"RIFF" && &b[8..12] == b"WEBP" {
            Some(ImageType::Webp)
        } else {
            None
        }
    }
}

/// A photo's type and pixel size, as its header says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sniffed {
    pub image_type: ImageType,
    pub width: u32,
    pub height: u32,
}

/// Why bytes are not an acceptable photo.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SniffError {
    /// Not a JPEG, PNG or WebP file at all (HTML, SVG, GIF, HEIC, …).
    #[error("the body is not a JPEG, PNG or WebP image (by its first bytes)")]
    NotAnImage,
    /// One of the three, but its header cannot be read.
    #[error("the {0} header cannot be read: {1}")]
    Unreadable(&'static str, String),
    /// A side of zero or over [`MAX_SIDE`].
    #[error("{width} × {height} pixels: each side must be 1–{MAX_SIDE}")]
    Size { width: u32, height: u32 },
}

/// The type and size of a photo, from its bytes.
pub fn sniff(b: &[u8]) -> Result<Sniffed, SniffError> {
    let image_type = ImageType::of_bytes(b).ok_or(SniffError::NotAnImage)?;
    let (width, height) = match image_type {
        ImageType::Jpeg => jpeg(b),
        ImageType::Png => png(b),
        ImageType::Webp => webp(b),
    }
    .map_err(|why| SniffError::Unreadable(image_type.mime(), why))?;
    if width == 0 || height == 0 || width > MAX_SIDE || height > MAX_SIDE {
        return Err(SniffError::Size { width, height });
    }
    Ok(Sniffed {
        image_type,
        width,
        height,
    })
}

fn u16_be(b: &[u8], at: usize) -> Result<u16, String> {
    match b.get(at..at + 2) {
        Some(&[x, y]) => Ok(u16::from_be_bytes([x, y])),
        _ => Err(format!("it ends at byte {}", b.len())),
    }
}

fn u32_be(b: &[u8], at: usize) -> Result<u32, String> {
    match b.get(at..at + 4) {
        Some(&[w, x, y, z]) => Ok(u32::from_be_bytes([w, x, y, z])),
        _ => Err(format!("it ends at byte {}", b.len())),
    }
}

fn bytes<const N: usize>(b: &[u8], at: usize) -> Result<[u8; N], String> {
    b.get(at..at + N)
        .and_then(|s| s.try_into().ok())
        .ok_or_else(|| format!("it ends at byte {}", b.len()))
}

/// JPEG: the segments after SOI, up to the first frame header (SOFn:
/// precision, height, width). A scan or the end before it is an error.
fn jpeg(b: &[u8]) -> Result<(u32, u32), String> {
    let mut i = 2;
    loop {
        match b.get(i) {
            Some(0xFF) => {}
            Some(x) => return Err(format!("byte {i} is {x:#04x}, not a marker")),
            None => return Err("no frame header before the end".into()),
        }
        // Fill bytes: any number of 0xFF before the marker's code.
        while b.get(i) == Some(&0xFF) {
            i += 1;
        }
        let marker = *b.get(i).ok_or("no frame header before the end")?;
        i += 1;
        match marker {
            // Standalone markers: no length.
            0x01 | 0xD0..=0xD8 => continue,
            0xD9 => return Err("the image ends before a frame header".into()),
            0xDA => return Err("a scan starts before the frame header".into()),
            _ => {}
        }
        let len = usize::from(u16_be(b, i)?);
        if len < 2 {
            return Err(format!("a segment of length {len} at byte {i}"));
        }
        let is_frame = matches!(marker, 0xC0..=0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF);
        if is_frame {
            if len < 8 {
                return Err(format!("a frame header of {len} bytes"));
            }
            let height = u16_be(b, i + 3)?;
            let width = u16_be(b, i + 5)?;
            return Ok((u32::from(width), u32::from(height)));
        }
        i += len;
    }
}

/// PNG: the first chunk is IHDR (width, height: 4 bytes each, big-endian).
fn png(b: &[u8]) -> Result<(u32, u32), String> {
    if b.get(12..16) != Some(b"IHDR") {
        return Err("the first chunk is not IHDR".into());
    }
    Ok((u32_be(b, 16)?, u32_be(b, 20)?))
}

/// WebP: the first chunk after `WEBP` is `VP8 ` (lossy: the key frame's
/// 14-bit sizes), `VP8L` (lossless: 14-bit sizes − 1) or `VP8X` (extended:
/// the canvas' 24-bit sizes − 1).
fn webp(b: &[u8]) -> Result<(u32, u32), String> {
    let chunk: [u8; 4] = bytes(b, 12)?;
    match &chunk {
        b"VP8 " => {
            let frame: [u8; 10] = bytes(b, 20)?;
            if frame[0] & 1 != 0 {
                return Err("the first frame is not a key frame".into());
            }
            if frame[3..6] != [0x9D, 0x01, 0x2A] {
                return Err("no VP8 start code".into());
            }
            let w = u16::from_le_bytes([frame[6], frame[7]]) & 0x3FFF;
            let h = u16::from_le_bytes([frame[8], frame[9]]) & 0x3FFF;
            Ok((u32::from(w), u32::from(h)))
        }
        b"VP8L" => {
            let [sig, b0, b1, b2, b3]: [u8; 5] = bytes(b, 20)?;
            if sig != 0x2F {
                return Err("no VP8L signature".into());
            }
            let bits = u32::from_le_bytes([b0, b1, b2, b3]);
            Ok((1 + (bits & 0x3FFF), 1 + ((bits >> 14) & 0x3FFF)))
        }
        b"VP8X" => {
            let s: [u8; 6] = bytes(b, 24)?;
            let w = u32::from_le_bytes([s[0], s[1], s[2], 0]);
            let h = u32::from_le_bytes([s[3], s[4], s[5], 0]);
            Ok((1 + w, 1 + h))
        }
        other => Err(format!(
            "the first chunk is {:?}, not VP8, VP8L or VP8X",
            String::from_utf8_lossy(other)
        )),
    }
}

/// Header-valid files of each type, for the tests here and in
/// `tests/photos.rs`: the server decodes no pixels, so only their headers
/// are real; the payload is filler.
#[doc(hidden)]
pub mod fixtures {
    /// A baseline JPEG: SOI, APP0 (JFIF), DQT, SOF0 of `w` × `h`, DHT, SOS,
    /// filler, EOI.
    pub fn jpeg(w: u16, h: u16) -> Vec<u8> {
        let mut b = vec![0xFF, 0xD8];
        b.extend([0xFF, 0xE0, 0x00, 0x10]);
        b.extend(b"JFIF\0\x01\x01\x00\x00\x01\x00\x01\x00\x00");
        b.extend([0xFF, 0xDB, 0x00, 0x43, 0x00]);
        b.extend([1u8; 64]);
        b.extend([0xFF, 0xC0, 0x00, 0x0B, 0x08]);
        b.extend(h.to_be_bytes());
        b.extend(w.to_be_bytes());
        b.extend([0x01, 0x01, 0x11, 0x00]);
        b.extend([0xFF, 0xC4, 0x00, 0x14, 0x00, 0x01]);
        b.extend([0u8; 15]);
        b.extend([0x00]);
        b.extend([0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3F, 0x00]);
        b.extend([0x55; 32]);
        b.extend([0xFF, 0xD9]);
        b
    }

    /// A PNG signature and IHDR of `w` × `h`, then filler and IEND.
    pub fn png(w: u32, h: u32) -> Vec<u8> {
        let mut b = b"\x89PNG\r\n\x1a\n".to_vec();
        b.extend(13u32.to_be_bytes());
        b.extend(b"IHDR");
        b.extend(w.to_be_bytes());
        b.extend(h.to_be_bytes());
        b.extend([8, 2, 0, 0, 0]);
        b.extend([0u8; 4]);
        b.extend(0u32.to_be_bytes());
        b.extend(b"IEND");
        b.extend([0xAE, 0x42, 0x60, 0x82]);
        b
    }

    fn riff(chunk: &[u8; 4], payload: &[u8]) -> Vec<u8> {
        let mut b = b"RIFF".to_vec();
        b.extend((4 + 8 + payload.len() as u32).to_le_bytes());
        b.extend(b"WEBP");
        b.extend(chunk);
        b.extend((payload.len() as u32).to_le_bytes());
        b.extend(payload);
        b
    }

    /// A lossless WebP (`VP8L`) of `w` × `h` (each 1–16384).
    pub fn webp_lossless(w: u32, h: u32) -> Vec<u8> {
        let bits = (w - 1) | ((h - 1) << 14);
        let mut p = vec![0x2F];
        p.extend(bits.to_le_bytes());
        p.extend([0u8; 11]);
        riff(b"VP8L", &p)
    }

    /// A lossy WebP (`VP8 `) key frame of `w` × `h`.
    pub fn webp_lossy(w: u16, h: u16) -> Vec<u8> {
        let mut p = vec![0x10, 0x02, 0x00, 0x9D, 0x01, 0x2A];
        p.extend(w.to_le_bytes());
        p.extend(h.to_le_bytes());
        p.extend([0u8; 10]);
        riff(b"VP8 ", &p)
    }

    /// An extended WebP (`VP8X`) canvas of `w` × `h`.
    pub fn webp_extended(w: u32, h: u32) -> Vec<u8> {
        let mut p = vec![0x10, 0, 0, 0];
        p.extend(&(w - 1).to_le_bytes()[..3]);
        p.extend(&(h - 1).to_le_bytes()[..3]);
        riff(b"VP8X", &p)
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::{jpeg, png, webp_extended, webp_lossless, webp_lossy};
    use super::{sniff, ImageType, SniffError};

    fn size(b: &[u8]) -> (ImageType, u32, u32) {
        let s = sniff(b).unwrap_or_else(|e| panic!("{e}"));
        (s.image_type, s.width, s.height)
    }

    #[test]
    fn the_three_types_and_their_sizes_come_from_the_headers() {
        assert_eq!(size(&jpeg(4032, 3024)), (ImageType::Jpeg, 4032, 3024));
        assert_eq!(size(&png(640, 480)), (ImageType::Png, 640, 480));
        assert_eq!(
            size(&webp_lossless(1, 16384 / 2)),
            (ImageType::Webp, 1, 8192)
        );
        assert_eq!(size(&webp_lossy(1920, 1080)), (ImageType::Webp, 1920, 1080));
        assert_eq!(size(&webp_extended(8192, 77)), (ImageType::Webp, 8192, 77));
    }

    #[test]
    fn a_jpeg_frame_header_is_found_past_other_segments_and_fill_bytes() {
        // EXIF (APP1) and a progressive frame (SOF2), fill bytes before it.
        let mut b = vec![0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x06, b'E', b'x', b'i', b'f'];
        b.extend([
            0xFF, 0xFF, 0xFF, 0xC2, 0x00, 0x0B, 0x08, 0x0B, 0xB8, 0x0F, 0xA0,
        ]);
        b.extend([0x01, 0x01, 0x11, 0x00, 0xFF, 0xD9]);
        assert_eq!(size(&b), (ImageType::Jpeg, 4000, 3000));
        // DHT (0xC4) and DAC (0xCC) are not frame headers.
        let mut d = vec![0xFF, 0xD8, 0xFF, 0xC4, 0x00, 0x07, 0, 0, 0, 0, 0];
        d.extend([0xFF, 0xCC, 0x00, 0x04, 0, 0]);
        d.extend([
            0xFF, 0xC1, 0x00, 0x0B, 0x08, 0x00, 0x02, 0x00, 0x03, 1, 1, 0x11, 0,
        ]);
        assert_eq!(size(&d), (ImageType::Jpeg, 3, 2));
    }

    #[test]
    fn other_content_is_not_an_image() {
        for body in [
            &b"<!doctype html><script>alert(1)</script>"[..],
            b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>",
            b"GIF89a\x01\x00\x01\x00",
            b"\x00\x00\x00\x18ftypheic",
            b"RIFF\x10\x00\x00\x00WAVEfmt ",
            b"",
            b"\xFF\xD8",
        ] {
            assert_eq!(sniff(body), Err(SniffError::NotAnImage), "{body:?}");
        }
    }

    #[test]
    fn broken_or_oversized_headers_are_refused_without_panicking() {
        let unreadable = |b: &[u8]| matches!(sniff(b), Err(SniffError::Unreadable(..)));
        let j = jpeg(10, 10);
        // Every prefix of a valid file: refused or read, never a panic.
        for n in 0..j.len() {
            let _ = sniff(&j[..n]);
        }
        for file in [
            png(3, 3),
            webp_lossless(3, 3),
            webp_lossy(3, 3),
            webp_extended(3, 3),
        ] {
            for n in 0..file.len() {
                let _ = sniff(&file[..n]);
            }
        }
        assert!(unreadable(&j[..20]), "cut before the frame");
        assert!(unreadable(&[0xFF, 0xD8, 0xFF, 0xD9]), "EOI first");
        assert!(
            unreadable(&[0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x02]),
            "a scan first"
        );
        assert!(
            unreadable(&[0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x01]),
            "length 1"
        );
        assert!(
            unreadable(&[0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x04, 0, 0, 0x12]),
            "no marker"
        );
        let mut p = png(3, 3);
        p[12..16].copy_from_slice(b"IDAT");
        assert!(unreadable(&p));
        let mut w = webp_lossy(3, 3);
        w[23] = 0;
        assert!(unreadable(&w), "no start code");
        assert!(unreadable(b"RIFF\x04\x00\x00\x00WEBPALPH\x00\x00\x00\x00"));
        for (b, wh) in [
            (jpeg(8193, 10), (8193, 10)),
            (jpeg(10, 0), (10, 0)),
            (png(10, 9000), (10, 9000)),
            (png(0, 1), (0, 1)),
            (webp_extended(20_000, 1), (20_000, 1)),
        ] {
            assert_eq!(
                sniff(&b),
                Err(SniffError::Size {
                    width: wh.0,
                    height: wh.1
                })
            );
        }
    }

    #[test]
    fn declared_types_are_the_three_in_any_case_with_parameters() {
        assert_eq!(ImageType::of_mime("image/jpeg"), Some(ImageType::Jpeg));
        assert_eq!(ImageType::of_mime("IMAGE/PNG; q=1"), Some(ImageType::Png));
        assert_eq!(ImageType::of_mime(" image/webp "), Some(ImageType::Webp));
        for other in ["image/jpg", "image/svg+xml", "text/html", "image/gif", ""] {
            assert_eq!(ImageType::of_mime(other), None, "{other}");
        }
    }
}
