//! Passwords: argon2id hashes in PHC string form (the `argon2` crate's
//! defaults: 19 MiB, 2 passes, 1 lane, OWASP's recommendation), and a dummy
//! hash verified for unknown users so that a wrong username costs the same
//! time as a wrong password. A password is never stored, logged or echoed.

use super::token;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

/// Shortest password accepted when one is set.
pub const MIN_LEN: usize = 8;
/// Longest password accepted (argon2 takes any length; this bounds the work).
pub const MAX_LEN: usize = 256;

/// Why a password could not be hashed.
#[derive(Debug, thiserror::Error)]
pub enum HashError {
    #[error(transparent)]
    Random(#[from] token::RandomError),
    #[error("hashing the password failed: {0}")]
    Argon2(String),
}

/// The argon2id PHC string of `password`, with a fresh random salt.
pub fn hash(password: &str) -> Result<String, HashError> {
    let salt =
        SaltString::encode_b64(&token::salt()?).map_err(|e| HashError::Argon2(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| HashError::Argon2(e.to_string()))
}

/// Whether `password` matches the stored `phc` hash. A malformed stored hash
/// matches nothing.
pub fn verify(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// A password's length is within [`MIN_LEN`, `MAX_LEN`] characters.
pub fn check(password: &str) -> Result<(), String> {
    let n = password.chars().count();
    if n < MIN_LEN {
        Err(format!("at least {MIN_LEN} characters are needed"))
    } else if n > MAX_LEN {
        Err(format!("at most {MAX_LEN} characters are allowed"))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_salted_and_verify() {
        let a = hash("correct horse").unwrap();
        let b = hash("correct horse").unwrap();
        assert!(a.starts_with("$argon2id$"), "{a}");
        assert_ne!(a, b, "salted");
        assert!(!a.contains("correct horse"));
        assert!(verify("correct horse", &a));
        assert!(!verify("correct horsf", &a));
        assert!(!verify("correct horse", "not a hash"));
        assert!(check("short").is_err() && check("long enough").is_ok());
    }
}
