//! Photos (issue 10: an officer's picture of a case or a hazard), plain
//! data: content-addressed by the SHA-256 of their bytes (so storing one
//! twice stores it once), with the type and pixel size the API read from
//! their header (`crate::photo`) and who uploaded them. Cases and hazard
//! status changes name a photo by its id; the rules refuse an id the store
//! does not hold. Photos can show faces and number plates: reading one is
//! `personal:read` and audited (`api/photos.rs`).

/// A photo to store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewPhoto {
    /// SHA-256 of `data`, 64 lowercase hex digits.
    pub id: String,
    /// `image/jpeg`, `image/png` or `image/webp`, by content.
    pub mime: String,
    pub width: u32,
    pub height: u32,
    pub data: Vec<u8>,
}

/// A stored photo's description (without its bytes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PhotoMeta {
    pub id: String,
    pub mime: String,
    pub width: u32,
    pub height: u32,
    /// Size in bytes.
    pub size: u64,
    /// Who uploaded it first: display name, account kind and account name.
    pub by: String,
    pub by_kind: String,
    pub by_account: Option<String>,
    /// When, Unix ms (server clock).
    pub at_ms: i64,
}

/// A stored photo with its bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredPhoto {
    pub meta: PhotoMeta,
    pub data: Vec<u8>,
}

/// Whether `id` has the shape of a photo id: 64 lowercase hex digits.
pub fn valid_id(id: &str) -> bool {
    id.len() == 64 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// The lowercase hex SHA-256 of `data`: its photo id.
pub fn id_of(data: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_the_lowercase_hex_sha256() {
        let id = id_of(b"abc");
        assert_eq!(
            id,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(valid_id(&id));
        assert!(!valid_id(&id.to_uppercase()));
        assert!(!valid_id(&id[1..]));
        assert!(!valid_id(&format!("{}g", &id[1..])));
        assert!(!valid_id(""));
    }
}
