//! The credential a live connection was opened with (a session or an API
//! key), watched until it ends: announced revoked by
//! [`crate::auth::Auth::subscribe_revocations`], expired, or (after missed
//! announcements) no longer live in the store.

use crate::auth::{Auth, Resolved, Revoked};
use std::sync::Arc;
use std::time::Duration;

/// The session or key a connection was opened with: the connection ends
/// when it is announced revoked or the session's time is up.
#[derive(Debug)]
pub struct Watch {
    pub id: Revoked,
    /// Unix seconds.
    pub expires_at: Option<i64>,
    pub revoked: tokio::sync::broadcast::Receiver<Revoked>,
    pub auth: Arc<Auth>,
}

impl Watch {
    /// The watch of `who`'s credential (subscribed now, so nothing
    /// announced from here on is missed); `None` for the system or anonymous.
    pub fn of(auth: &Arc<Auth>, who: &Resolved) -> Option<Watch> {
        Some(Watch {
            id: who.credential_id()?,
            expires_at: who.expires_at,
            revoked: auth.subscribe_revocations(),
            auth: auth.clone(),
        })
    }

    /// Waits until the credential ends: announced, expired, or (after
    /// missing announcements) no longer live in the store.
    pub(super) async fn ended(&mut self) {
        use tokio::sync::broadcast::error::RecvError;
        let expiry = async {
            match self.expires_at {
                Some(t) => {
                    let left = (t - crate::clock::now_s()).max(0) as u64;
                    tokio::time::sleep(Duration::from_secs(left)).await
                }
                None => std::future::pending().await,
            }
        };
        let announced = async {
            loop {
                match self.revoked.recv().await {
                    Ok(r) if r == self.id => return,
                    Ok(_) => {}
                    Err(RecvError::Lagged(_)) => {
                        let (auth, id) = (self.auth.clone(), self.id);
                        let live = crate::blocking::run(move || auth.still_live(id)).await;
                        if !matches!(live, Ok(true)) {
                            return;
                        }
                    }
                    // The service is gone (shutdown): the hub ends the stream.
                    Err(RecvError::Closed) => std::future::pending::<()>().await,
                }
            }
        };
        tokio::select! {
            _ = expiry => {}
            _ = announced => {}
        }
    }
}
