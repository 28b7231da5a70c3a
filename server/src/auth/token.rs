//! Secrets handed to clients: session tokens (the cookie's value), API keys
//! (`pk_…`) and wall pairing codes (8 digits). Each is drawn from the
//! operating system's random source; only its SHA-256 is stored. A 32-byte
//! token has 256 bits of entropy, so a fast hash is enough (a slow one is
//! for low-entropy passwords); the 8-digit pairing code is short-lived, one
//! use and rate-limited.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};

/// The prefix of API keys, so a key is recognisable (and never a session).
pub const KEY_PREFIX: &str = "pk_";
/// Longest credential looked up; anything longer is refused unread.
const MAX_LEN: usize = 128;

/// Why no secret could be drawn (the OS random source failed).
#[derive(Debug, thiserror::Error)]
#[error("the system's random source failed: {0}")]
pub struct RandomError(String);

fn random<const N: usize>() -> Result<[u8; N], RandomError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| RandomError(e.to_string()))?;
    Ok(bytes)
}

/// A new session token: 32 random bytes, base64url (43 characters).
pub fn session_token() -> Result<String, RandomError> {
    Ok(URL_SAFE_NO_PAD.encode(random::<32>()?))
}

/// A new API key: `pk_` and 32 random bytes, base64url.
pub fn api_key() -> Result<String, RandomError> {
    Ok(format!(
        "{KEY_PREFIX}{}",
        URL_SAFE_NO_PAD.encode(random::<32>()?)
    ))
}

/// A new pairing code: 8 decimal digits.
pub fn pairing_code() -> Result<String, RandomError> {
    // 2^64 is not a multiple of 10^8; the bias is below 10^-11.
    let n = u64::from_le_bytes(random::<8>()?) % 100_000_000;
    Ok(format!("{n:08}"))
}

/// A random password for accounts created without one: 18 random bytes,
/// base64url (24 characters).
pub fn password() -> Result<String, RandomError> {
    Ok(URL_SAFE_NO_PAD.encode(random::<18>()?))
}

/// Random bytes for a password hash's salt.
pub fn salt() -> Result<[u8; 16], RandomError> {
    random::<16>()
}

/// The stored form of a token, key or code.
pub fn digest(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

/// Whether `s` has the shape of a credential this server hands out
/// (base64url characters, `_` in the key prefix, bounded length). Anything
/// else is anonymous without a store lookup.
pub fn well_formed(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_LEN
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_have_their_shapes_and_differ() {
        let a = session_token().unwrap();
        let b = session_token().unwrap();
        assert_eq!(a.len(), 43);
        assert_ne!(a, b);
        assert!(well_formed(&a));
        let k = api_key().unwrap();
        assert!(k.starts_with(KEY_PREFIX) && well_formed(&k));
        let c = pairing_code().unwrap();
        assert!(c.len() == 8 && c.bytes().all(|b| b.is_ascii_digit()));
        assert_eq!(digest(&a).len(), 32);
        assert_ne!(digest(&a), digest(&b));
        for bad in ["", "a b", "x;y", "é", &"a".repeat(129)] {
            assert!(!well_formed(bad), "{bad:?}");
        }
    }
}
