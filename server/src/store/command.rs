//! What the live system is asked to do: a [`Command`], and the [`Actor`] who
//! asks. Plain data; the rules that decide a command live in `rules.rs`.

use pingan_model::domain::{CaseCategory, CaseStatus, Department, HazardStatus};
use pingan_model::live::ReadingIn;

/// Who is acting. Today every request is anonymous and carries the display
/// name the client gives (`by`, `reporter`); accounts and roles come later
/// and land here (and in the extractor that builds an actor from a request).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    pub account: Account,
    /// The name recorded in histories and events.
    pub name: String,
}

/// The account behind an [`Actor`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Account {
    /// No sign-in: who acts is only the display name given.
    Anonymous,
}

impl Actor {
    /// An anonymous actor under a display name.
    pub fn anonymous(name: impl Into<String>) -> Actor {
        Actor {
            account: Account::Anonymous,
            name: name.into(),
        }
    }

    /// The same account under the display name given with the request.
    pub fn named(&self, name: impl Into<String>) -> Actor {
        Actor {
            account: self.account,
            name: name.into(),
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
    /// All-or-nothing: one unknown sensor rejects the whole batch. Readings
    /// come from devices, so they carry no actor.
    Readings {
        readings: Vec<ReadingIn>,
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
    },
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
}
