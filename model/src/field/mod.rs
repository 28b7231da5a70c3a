//! The officers' phone mode (issue 10), its pure logic: what is near the
//! officer, exactly by ground distance ([`nearest`]); the position fix and
//! the policy around it — quality, when to recompute the nearby list, when
//! the officer stands still ([`position`]); and the state machine of writes
//! made offline and sent later under an idempotency key ([`outbox`]).
//! Time is always a value the caller passes (milliseconds on one clock).

pub mod nearest;
pub mod outbox;
pub mod position;
