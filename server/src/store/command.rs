//! What the live system is asked to do: a [`Command`], and the [`Actor`] who
//! asks. Plain data; the rules that decide a command live in `rules.rs`.

use pingan_model::access::{Audience, Permission, Role};
use pingan_model::domain::{CaseCategory, CaseStatus, Department, HazardStatus};
use pingan_model::live::{ReadingIn, SceneFeature};

/// Who is acting: an account and the name recorded in histories and events.
/// Every command carries one. Today the extractor gives every request
/// `Account::Anonymous` with the display name of its body; the other
/// accounts are what sign-in resolves once accounts are enforced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    pub account: Account,
    /// The name recorded in histories and events.
    pub name: String,
}

/// The account behind an [`Actor`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Account {
    /// No credentials (today: every request).
    Anonymous,
    /// A person signed in with a session cookie.
    User {
        id: i64,
        username: String,
        role: Role,
        /// The subdistrict (its name) the user is limited to, if any.
        scope: Option<String>,
        /// The session the request came with (revocation closes its sockets).
        session: i64,
    },
    /// A wall device's long-lived session, paired by an admin; always a viewer.
    Device { id: i64, name: String, session: i64 },
    /// A machine client's API key, with exactly the permissions it was given.
    Key {
        id: i64,
        name: String,
        scopes: Vec<Permission>,
    },
    /// The server itself: seeding and the simulator.
    System,
}

impl Actor {
    /// An anonymous actor under a display name.
    pub fn anonymous(name: impl Into<String>) -> Actor {
        Actor {
            account: Account::Anonymous,
            name: name.into(),
        }
    }

    /// The server itself (seeding, the simulator) under a display name.
    pub fn system(name: impl Into<String>) -> Actor {
        Actor {
            account: Account::System,
            name: name.into(),
        }
    }

    /// The same account under another display name.
    pub fn named(&self, name: impl Into<String>) -> Actor {
        Actor {
            account: self.account.clone(),
            name: name.into(),
        }
    }

    /// The role of a person or device; `None` for keys, the system and
    /// anonymous requests.
    pub fn role(&self) -> Option<Role> {
        match &self.account {
            Account::User { role, .. } => Some(*role),
            Account::Device { .. } => Some(Role::Viewer),
            Account::Anonymous | Account::Key { .. } | Account::System => None,
        }
    }

    /// Whether this actor holds `permission`. The system holds every one;
    /// anonymous requests none.
    pub fn allows(&self, permission: Permission) -> bool {
        match &self.account {
            Account::Anonymous => false,
            Account::System => true,
            Account::Key { scopes, .. } => scopes.contains(&permission),
            Account::User { .. } | Account::Device { .. } => {
                self.role().is_some_and(|r| r.allows(permission))
            }
        }
    }

    /// The kind of account, as recorded in histories and the event log:
    /// `user`, `device`, `key`, `system` or `anonymous`.
    pub fn kind(&self) -> &'static str {
        match &self.account {
            Account::Anonymous => "anonymous",
            Account::User { .. } => "user",
            Account::Device { .. } => "device",
            Account::Key { .. } => "key",
            Account::System => "system",
        }
    }

    /// The account's own name, as recorded next to the display name: the
    /// username, the device's or key's name; `None` for the system and
    /// anonymous requests.
    pub fn account_name(&self) -> Option<&str> {
        match &self.account {
            Account::User { username, .. } => Some(username),
            Account::Device { name, .. } | Account::Key { name, .. } => Some(name),
            Account::Anonymous | Account::System => None,
        }
    }

    /// The account's stable identity, what idempotency keys are scoped to:
    /// `user:<id>`, `device:<id>`, `key:<id>` (ids of the store, which a
    /// rename does not change), `system` or `anonymous`.
    pub fn identity(&self) -> String {
        match &self.account {
            Account::User { id, .. } => format!("user:{id}"),
            Account::Device { id, .. } => format!("device:{id}"),
            Account::Key { id, .. } => format!("key:{id}"),
            Account::System => "system".into(),
            Account::Anonymous => "anonymous".into(),
        }
    }

    /// The subdistrict a user is limited to, if any.
    pub fn scope(&self) -> Option<&str> {
        match &self.account {
            Account::User { scope, .. } => scope.as_deref(),
            _ => None,
        }
    }

    /// The session the request came with (users and devices).
    pub fn session(&self) -> Option<i64> {
        match &self.account {
            Account::User { session, .. } | Account::Device { session, .. } => Some(*session),
            _ => None,
        }
    }

    /// Whom this actor's responses are masked for.
    pub fn audience(&self) -> Audience {
        match &self.account {
            Account::User { role, scope, .. } => Audience::of(*role, scope.as_deref()),
            Account::System => Audience::Personal { scope: None },
            Account::Key { scopes, .. } if scopes.contains(&Permission::PersonalRead) => {
                Audience::Personal { scope: None }
            }
            _ => Audience::Public,
        }
    }
}

impl From<&str> for Actor {
    fn from(name: &str) -> Actor {
        Actor::anonymous(name)
    }
}

impl From<String> for Actor {
    fn from(name: String) -> Actor {
        Actor::anonymous(name)
    }
}

impl Command {
    /// Who asks for this change.
    pub fn actor(&self) -> &Actor {
        match self {
            Command::ReportCase(c) => &c.reporter,
            Command::Transition { by, .. }
            | Command::Readings { by, .. }
            | Command::AckAlert { by, .. }
            | Command::HazardStatus { by, .. }
            | Command::PushScene { by, .. }
            | Command::ClearScene { by, .. } => by,
        }
    }
}

/// A change the live system is asked to make.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    /// A new case, already located and routed by the caller.
    ReportCase(NewCase),
    Transition {
        case_id: u32,
        to: CaseStatus,
        by: Actor,
        note: String,
        /// Unix seconds.
        at: i64,
    },
    /// All-or-nothing: one unknown sensor rejects the whole batch. `by` is
    /// the gateway's API key (or the simulator).
    Readings {
        readings: Vec<ReadingIn>,
        by: Actor,
        at: i64,
    },
    AckAlert {
        id: u64,
        by: Actor,
        at: i64,
    },
    HazardStatus {
        id: String,
        status: HazardStatus,
        by: Actor,
        note: String,
        at: i64,
        /// A stored photo taken with the change (its id), if any.
        photo: Option<String>,
    },
    /// Shows a scene on every wall of its group, replacing the current one.
    /// Stamped by the rules: started now (server clock), by the actor's
    /// display name.
    PushScene {
        scene: SceneIn,
        /// WGS84 `[min_lon, min_lat, max_lon, max_lat]` the centre must lie
        /// in (the district's box, padded; `None`: any valid coordinate).
        within: Option<[f64; 4]>,
        by: Actor,
    },
    /// Clears a group's current scene (its walls return to their overview).
    ClearScene {
        group: String,
        by: Actor,
    },
}

/// A scene as asked for (`PUT /api/walls/{group}/scene`), before the rules
/// check and stamp it into a `pingan_model::live::Scene`.
#[derive(Clone, Debug, PartialEq)]
pub struct SceneIn {
    pub group: String,
    pub lon: f64,
    pub lat: f64,
    pub zoom: f64,
    /// `LayerId` codes.
    pub layers: Vec<String>,
    pub highlight: Option<SceneFeature>,
    /// Seconds; `None` = until replaced or cleared.
    pub duration_s: Option<u32>,
}

/// A case to store: everything but the id, which the rules assign.
#[derive(Clone, Debug, PartialEq)]
pub struct NewCase {
    pub category: CaseCategory,
    pub lon: f64,
    pub lat: f64,
    pub grid: Option<String>,
    pub grid_index: Option<u16>,
    pub community: Option<String>,
    pub subdistrict: Option<String>,
    pub description: String,
    pub reporter: Actor,
    pub departments: Vec<Department>,
    pub rule: Option<String>,
    /// Unix seconds.
    pub reported_at: i64,
    pub deadline: i64,
    /// A stored photo of it (its id), if any.
    pub photo: Option<String>,
}
