//! Idempotency keys of writes (the `Idempotency-Key` header of the IETF
//! httpapi draft): a client that may send the same write twice (the field
//! phone's outbox retries whatever got no answer) names it with a key; the
//! first successful answer is remembered with a fingerprint of the request,
//! **in the write's own transaction**, so a write and its key are stored
//! together or not at all. A repeat with the same key and fingerprint gets
//! the remembered answer and changes nothing; the same key with another
//! request is refused. Keys are scoped to the calling account and kept
//! [`KEEP_DAYS`] days.
//!
//! Plain data and one decision ([`replay`]), backend-neutral: the shared
//! execute path ([`super::Store::execute_idempotent`]) asks the backend's
//! [`super::Tx`] for what it remembers and tells it what to remember.

use super::error::{StoreError, StoreResult};
use pingan_model::live::Event;

/// How long a key is remembered, in days.
pub const KEEP_DAYS: u32 = 30;

/// [`KEEP_DAYS`] in milliseconds.
pub const KEEP_MS: i64 = KEEP_DAYS as i64 * 86_400_000;

/// One keyed write: the client's key, scoped to the calling account, and
/// the fingerprint of the request it came with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdempotencyKey {
    /// The calling account ([`super::Actor::identity`]: `user:12`, `key:3`),
    /// from the credential, never from the body.
    pub account: String,
    /// The header's value (16–128 of `A-Z a-z 0-9 _ -`).
    pub key: String,
    /// SHA-256 of the method, the path and the body as received.
    pub fingerprint: [u8; 32],
    /// The method and path (`POST /api/cases`), for the refusal's words.
    pub request: String,
}

/// A write's answer as sent: its status and its JSON body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    /// JSON text.
    pub body: String,
}

impl Answer {
    /// Only successful answers are remembered (a corrected retry of a
    /// refused write may succeed).
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// What the store remembers under an account's key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Remembered {
    pub fingerprint: [u8; 32],
    pub request: String,
    pub answer: Answer,
    /// When the first answer was given, Unix ms (the server's clock).
    pub at_ms: i64,
}

/// Builds a command's answer from the events it appended, inside its
/// transaction (so the answer remembered is the one sent).
pub type AnswerFn<'a> = dyn Fn(&[Event]) -> StoreResult<Answer> + 'a;

/// The outcome of [`super::Store::execute_idempotent`].
#[derive(Clone, Debug, PartialEq)]
pub struct Answered {
    /// The events the command appended (none for a replay).
    pub events: Vec<Event>,
    pub answer: Answer,
    /// `true`: the remembered answer of an earlier request with the same key;
    /// nothing was stored.
    pub replayed: bool,
}

/// What to do with a keyed write, given what the store remembers under its
/// key at `now_ms`: `Ok(Some(answer))` replays it, `Ok(None)` runs the write
/// (nothing remembered, or only past [`KEEP_DAYS`]), and another request
/// under the same key is [`StoreError::KeyReused`].
pub fn replay(
    key: &IdempotencyKey,
    found: Option<Remembered>,
    now_ms: i64,
) -> StoreResult<Option<Answer>> {
    match found {
        Some(r) if r.at_ms > now_ms.saturating_sub(KEEP_MS) => {
            if r.fingerprint == key.fingerprint {
                Ok(Some(r.answer))
            } else if r.request == key.request {
                Err(StoreError::KeyReused(format!(
                    "Idempotency-Key {:?} was used for {} with another body; \
                     a new request needs a new key",
                    key.key, r.request
                )))
            } else {
                Err(StoreError::KeyReused(format!(
                    "Idempotency-Key {:?} was used for {}, not {}; a new request needs a new key",
                    key.key, r.request, key.request
                )))
            }
        }
        _ => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(fingerprint: u8, request: &str) -> IdempotencyKey {
        IdempotencyKey {
            account: "user:1".into(),
            key: "k".repeat(16),
            fingerprint: [fingerprint; 32],
            request: request.into(),
        }
    }

    fn remembered(fingerprint: u8, request: &str, at_ms: i64) -> Remembered {
        Remembered {
            fingerprint: [fingerprint; 32],
            request: request.into(),
            answer: Answer {
                status: 201,
                body: "{\"id\":7}".into(),
            },
            at_ms,
        }
    }

    #[test]
    fn the_same_request_replays_another_is_refused_and_old_keys_are_forgotten() {
        let now = 40 * 86_400_000;
        let k = key(1, "POST /api/cases");
        assert_eq!(replay(&k, None, now).unwrap(), None);
        let same = replay(&k, Some(remembered(1, "POST /api/cases", now - 5)), now).unwrap();
        assert_eq!(same.map(|a| a.status), Some(201));
        match replay(&k, Some(remembered(2, "POST /api/cases", now - 5)), now) {
            Err(StoreError::KeyReused(m)) => assert!(m.contains("another body"), "{m}"),
            other => panic!("{other:?}"),
        }
        match replay(
            &k,
            Some(remembered(2, "POST /api/alerts/3/ack", now - 5)),
            now,
        ) {
            Err(StoreError::KeyReused(m)) => assert!(m.contains("/api/alerts/3/ack"), "{m}"),
            other => panic!("{other:?}"),
        }
        // Past the 30 days (not yet pruned): as if never seen.
        let old = remembered(2, "POST /api/cases", now - KEEP_MS);
        assert_eq!(replay(&k, Some(old), now).unwrap(), None);
        let young = remembered(1, "POST /api/cases", now - KEEP_MS + 1);
        assert!(replay(&k, Some(young), now).unwrap().is_some());
    }

    #[test]
    fn only_successes_are_remembered() {
        let a = |status| Answer {
            status,
            body: "{}".into(),
        };
        assert!(a(200).is_success() && a(201).is_success());
        assert!(!a(409).is_success() && !a(500).is_success() && !a(302).is_success());
    }
}
