//! The journal of account actions: every `login`, `login_failed`,
//! `logout`, `user.*`, `key.*`, `session.revoke` and `device.*` is written
//! here, and only here, to the audit log (`Store::audit`, the long record,
//! `audit:read`) and to the log (tracing). What a client typed is never
//! stored or logged as it is: a failed login's username is kept truncated
//! and quoted in the audit log ([`quoted`]) and only as a hash in the log
//! ([`masked`]); a password never reaches this file. Blocking (the store).

use super::Auth;
use crate::store::{Actor, AuditEntry};
use sha2::{Digest, Sha256};

/// Longest part of a client-typed text the audit log keeps, in characters.
pub const MAX_TYPED: usize = 32;

/// `s` cut to `max` characters and quoted with escapes (`"ab\n…"`): bounded,
/// one line, and visibly what was typed.
pub fn quoted(s: &str, max: usize) -> String {
    let cut: String = s.chars().take(max).collect();
    if cut.len() < s.len() {
        format!("{cut:?}…")
    } else {
        format!("{cut:?}")
    }
}

/// A typed username as the log shows it: the first 8 hex digits of its
/// SHA-256 (`#3f1c9a7e`), enough to correlate attempts, not to read them.
pub fn masked(s: &str) -> String {
    let d = Sha256::digest(s.trim().to_lowercase().as_bytes());
    format!(
        "#{}",
        d[..4]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    )
}

impl Auth {
    /// Journals `actor`'s `action` on `target` from `from`: the audit log
    /// and the log. A failed audit write is logged (the action happened).
    pub fn journal(
        &self,
        actor: &Actor,
        action: &str,
        target: impl Into<String>,
        from: &str,
        detail: impl Into<String>,
    ) {
        let entry = crate::audit::entry(actor, action, target, from, detail);
        tracing::info!(
            by = %entry.actor,
            target = %entry.target,
            from = %entry.from,
            detail = %entry.detail,
            "{action}"
        );
        self.write(&entry);
    }

    /// Journals a refused login of `typed` (the username as typed) from
    /// `from`, failing with `code`: quoted and truncated in the audit log,
    /// masked in the log.
    pub fn journal_login_failed(&self, typed: &str, from: &str, code: &str) {
        let entry = crate::audit::entry(
            &Actor::anonymous(""),
            "login_failed",
            format!("users/{}", quoted(typed, MAX_TYPED)),
            from,
            code,
        );
        tracing::info!(user = %masked(typed), from = %from, error = code, "login_failed");
        self.write(&entry);
    }

    fn write(&self, entry: &AuditEntry) {
        if let Err(e) = self.store().audit(entry) {
            tracing::warn!(error = %e, action = %entry.action, "the audit log refused an entry");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_text_is_bounded_quoted_and_masked() {
        assert_eq!(quoted("admin", 32), "\"admin\"");
        let long = "x".repeat(5000);
        let q = quoted(&long, 32);
        assert_eq!(q.chars().count(), 32 + 3, "{q}");
        assert_eq!(quoted("a\nb\"", 32), "\"a\\nb\\\"\"");
        let m = masked("Secret-Typed-Name");
        assert_eq!(m.len(), 9);
        assert!(!m.to_lowercase().contains("secret"));
        assert_eq!(m, masked(" secret-typed-name "));
        assert_ne!(m, masked("another"));
    }
}
