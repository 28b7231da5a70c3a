//! [`Me`]: who the caller is, as `GET /api/session` and the login and
//! pairing answers tell the app (kind, names, role, scope, permissions,
//! expiry), so it offers only what the role may do.

use super::Resolved;
use crate::store::Account;
use pingan_model::access::{Permission, Role};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    /// `user`, `device` or `key`.
    pub kind: String,
    /// The username, device name or key name.
    pub username: String,
    pub display_name: String,
    pub role: Option<Role>,
    pub scope: Option<String>,
    pub permissions: Vec<Permission>,
    /// Unix seconds; `None` for a key without expiry.
    pub expires_at: Option<i64>,
}

impl Me {
    /// The caller of `r`; `None` when anonymous (or the system).
    pub fn of(r: &Resolved) -> Option<Me> {
        let a = &r.actor;
        let (username, scope) = match &a.account {
            Account::User {
                username, scope, ..
            } => (username.clone(), scope.clone()),
            Account::Device { name, .. } | Account::Key { name, .. } => (name.clone(), None),
            Account::Anonymous | Account::System => return None,
        };
        Some(Me {
            kind: a.kind().to_string(),
            username,
            display_name: a.name.clone(),
            role: a.role(),
            scope,
            permissions: Permission::ALL
                .into_iter()
                .filter(|p| a.allows(*p))
                .collect(),
            expires_at: r.expires_at,
        })
    }
}
