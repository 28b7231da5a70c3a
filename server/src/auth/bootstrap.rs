//! Accounts on a store created new (its first start, never later: not on
//! an old store, nor after an admin deleted or disabled them): the
//! documented demo accounts, one per role (README, docs/api.md), so that
//! the product runs in one command; or, with `--no-demo-accounts`, one
//! `admin` with a random password that the binary prints once. While a demo
//! account still verifies with its published password, every start logs a
//! warning ([`published_passwords_active`]).

use super::accounts::UserIn;
use super::{password, token, Auth, AuthError, AuthResult};
use pingan_model::access::Role;

/// One demo account: username, password, role, scope, display name.
pub struct Demo {
    pub username: &'static str,
    pub password: &'static str,
    pub role: Role,
    pub scope: Option<&'static str>,
    pub display_name: &'static str,
}

/// The demo accounts (documented; never for a real deployment).
pub const DEMO: &[Demo] = &[
    Demo {
        username: "viewer",
        password: "pingan-viewer",
        role: Role::Viewer,
        scope: None,
        display_name: "演示·大屏",
    },
    Demo {
        username: "planner",
        password: "pingan-planner",
        role: Role::Planner,
        scope: None,
        display_name: "演示·规划",
    },
    Demo {
        username: "officer",
        password: "pingan-officer",
        role: Role::Officer,
        scope: None,
        display_name: "演示·网格员",
    },
    Demo {
        username: "officer-xixiang",
        password: "pingan-officer",
        role: Role::Officer,
        scope: Some("西乡街道"),
        display_name: "演示·西乡网格员",
    },
    Demo {
        username: "operator",
        password: "pingan-operator",
        role: Role::Operator,
        scope: None,
        display_name: "演示·值班员",
    },
    Demo {
        username: "admin",
        password: "pingan-admin",
        role: Role::Admin,
        scope: None,
        display_name: "演示·管理员",
    },
];

/// The unscoped demo account of `role`.
pub fn demo(role: Role) -> &'static Demo {
    DEMO.iter()
        .find(|d| d.role == role && d.scope.is_none())
        .unwrap_or(&DEMO[0])
}

/// What [`ensure`] created.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Created {
    /// The demo accounts.
    Demo,
    /// The first admin and its random password (shown once, never stored).
    Admin { username: String, password: String },
}

/// The warning logged at start while [`published_passwords_active`] finds any.
pub const DEMO_WARNING: &str = "demo accounts with published passwords are active; \
     change their passwords or disable them (pingan-server user set NAME --password-stdin | --disable)";

/// Creates `u`; one that exists already (a start interrupted after
/// creating it) is left as it is, and a scoped one whose subdistrict the
/// loaded data does not have is skipped (logged).
fn create(auth: &Auth, u: &UserIn) -> AuthResult<()> {
    match auth.create_user(u) {
        Ok(_) | Err(AuthError::Conflict(_)) => Ok(()),
        Err(e @ AuthError::BadField { .. }) => {
            tracing::warn!(user = %u.username, error = %e, "demo account skipped");
            Ok(())
        }
        Err(e) => Err(e),
    }
}

/// Creates the start accounts when the store was created new
/// ([`crate::store::AccountStore::bootstrap_pending`]), then logs
/// [`DEMO_WARNING`] if a demo account still has its published password.
/// Blocking (argon2).
pub fn ensure(auth: &Auth) -> AuthResult<Option<Created>> {
    let created = create_once(auth)?;
    let active = match created {
        Some(Created::Demo) => DEMO.iter().map(|d| d.username).collect(),
        _ => published_passwords_active(auth)?,
    };
    if !active.is_empty() {
        tracing::warn!(accounts = ?active, "{DEMO_WARNING}");
    }
    Ok(created)
}

fn create_once(auth: &Auth) -> AuthResult<Option<Created>> {
    if !auth.store().bootstrap_pending()? {
        return Ok(None);
    }
    let created = if auth.config().demo_accounts {
        for d in DEMO {
            create(
                auth,
                &UserIn {
                    username: d.username.into(),
                    display_name: Some(d.display_name.into()),
                    role: d.role,
                    scope: d.scope.map(str::to_owned),
                    password: Some(d.password.into()),
                },
            )?;
        }
        tracing::info!(accounts = DEMO.len(), "created the demo accounts");
        Created::Demo
    } else {
        let password = token::password()?;
        auth.create_user(&UserIn {
            username: "admin".into(),
            display_name: Some("管理员".into()),
            role: Role::Admin,
            scope: None,
            password: Some(password.clone()),
        })?;
        tracing::info!("created the first admin account (its password is printed once)");
        Created::Admin {
            username: "admin".into(),
            password,
        }
    };
    auth.store().bootstrap_done()?;
    Ok(Some(created))
}

/// The demo accounts that are enabled and still verify with their
/// published password. Blocking (one argon2 verification per demo account
/// present).
pub fn published_passwords_active(auth: &Auth) -> AuthResult<Vec<&'static str>> {
    let mut active = vec![];
    for d in DEMO {
        if let Some(u) = auth.store().user_by_name(d.username)? {
            if !u.disabled && password::verify(d.password, &u.password_hash) {
                active.push(d.username);
            }
        }
    }
    Ok(active)
}

/// The text the binary prints at start about [`Created`].
pub fn describe(created: &Created) -> String {
    match created {
        Created::Demo => {
            let mut s = String::from(
                "Demo accounts created (a fresh store; start with --no-demo-accounts for a real deployment):\n",
            );
            for d in DEMO {
                s += &format!(
                    "  {:<16} password {:<16} role {}{}\n",
                    d.username,
                    d.password,
                    d.role,
                    d.scope.map(|s| format!(", scope {s}")).unwrap_or_default()
                );
            }
            s
        }
        Created::Admin { username, password } => format!(
            "First start: created the account {username:?} (role admin) with the password\n  {password}\n\
             It is shown only now; change it with `pingan-server user set {username} --password-stdin`.\n"
        ),
    }
}
