//! Who may do what: the [`Role`]s of people, the [`Permission`]s an endpoint
//! requires, and the [`Audience`] a response is masked for. Pure data shared
//! by the server (the route table, the actor extractor, masking at the
//! source) and the app (features a role lacks are not offered).
//!
//! Roles and what they hold (docs/security.md says why):
//!
//! | role | holds |
//! |---|---|
//! | `viewer` | `read` (personal data masked) |
//! | `planner` | `read` (masked; read-only analysis) |
//! | `officer` | viewer + `personal:read`, `cases:report`, `hazards:status` |
//! | `operator` | officer + `cases:transition`, `alerts:ack`, `wall:drive` |
//! | `admin` | `read`, `users:manage`, `audit:read` (masked: managing accounts needs no contacts) |
//!
//! Machine clients hold API keys with explicit scopes (`readings:write`),
//! never a role.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A person's role. Serialised as its lower-case name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Viewer,
    Planner,
    Officer,
    Operator,
    Admin,
}

/// What an endpoint requires. Serialised as `area:verb` (`cases:report`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Permission {
    /// Maps, layers, cases and the stream, personal data masked.
    #[serde(rename = "read")]
    Read,
    /// Contacts, reporters and grid workers unmasked (each read audited).
    #[serde(rename = "personal:read")]
    PersonalRead,
    #[serde(rename = "cases:report")]
    CasesReport,
    #[serde(rename = "cases:transition")]
    CasesTransition,
    #[serde(rename = "alerts:ack")]
    AlertsAck,
    #[serde(rename = "hazards:status")]
    HazardsStatus,
    /// Push scenes to the command-centre walls (the wall issue).
    #[serde(rename = "wall:drive")]
    WallDrive,
    /// Sensor gateways posting readings (API keys only).
    #[serde(rename = "readings:write")]
    ReadingsWrite,
    /// Users, API keys and wall devices.
    #[serde(rename = "users:manage")]
    UsersManage,
    #[serde(rename = "audit:read")]
    AuditRead,
}

impl Permission {
    pub const ALL: [Permission; 10] = [
        Permission::Read,
        Permission::PersonalRead,
        Permission::CasesReport,
        Permission::CasesTransition,
        Permission::AlertsAck,
        Permission::HazardsStatus,
        Permission::WallDrive,
        Permission::ReadingsWrite,
        Permission::UsersManage,
        Permission::AuditRead,
    ];

    /// The `area:verb` name (as serialised).
    pub fn name(self) -> &'static str {
        match self {
            Permission::Read => "read",
            Permission::PersonalRead => "personal:read",
            Permission::CasesReport => "cases:report",
            Permission::CasesTransition => "cases:transition",
            Permission::AlertsAck => "alerts:ack",
            Permission::HazardsStatus => "hazards:status",
            Permission::WallDrive => "wall:drive",
            Permission::ReadingsWrite => "readings:write",
            Permission::UsersManage => "users:manage",
            Permission::AuditRead => "audit:read",
        }
    }

    /// The permission named `name` (`cases:report`).
    pub fn parse(name: &str) -> Option<Permission> {
        Permission::ALL.into_iter().find(|p| p.name() == name)
    }

    /// Chinese and English descriptions, for the app's 403 message.
    pub fn label(self) -> (&'static str, &'static str) {
        match self {
            Permission::Read => ("查看地图与案件", "read the map and cases"),
            Permission::PersonalRead => ("查看联系人信息", "read contact details"),
            Permission::CasesReport => ("上报事件", "report cases"),
            Permission::CasesTransition => ("流转案件", "move cases through their statuses"),
            Permission::AlertsAck => ("确认告警", "acknowledge alerts"),
            Permission::HazardsStatus => ("更新隐患整改状态", "change hazard status"),
            Permission::WallDrive => ("控制大屏", "drive the walls"),
            Permission::ReadingsWrite => ("上传传感器读数", "post sensor readings"),
            Permission::UsersManage => ("管理用户与设备", "manage users and devices"),
            Permission::AuditRead => ("查看审计日志", "read the audit log"),
        }
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Viewer,
        Role::Planner,
        Role::Officer,
        Role::Operator,
        Role::Admin,
    ];

    /// The lower-case name (as serialised).
    pub fn name(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Planner => "planner",
            Role::Officer => "officer",
            Role::Operator => "operator",
            Role::Admin => "admin",
        }
    }

    pub fn parse(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.name() == name)
    }

    /// Chinese and English names, for the status bar.
    pub fn label(self) -> (&'static str, &'static str) {
        match self {
            Role::Viewer => ("只读", "Viewer"),
            Role::Planner => ("规划", "Planner"),
            Role::Officer => ("网格员", "Officer"),
            Role::Operator => ("指挥调度", "Operator"),
            Role::Admin => ("管理员", "Admin"),
        }
    }

    /// Every permission this role holds.
    pub fn permissions(self) -> &'static [Permission] {
        use Permission::*;
        match self {
            Role::Viewer | Role::Planner => &[Read],
            Role::Officer => &[Read, PersonalRead, CasesReport, HazardsStatus],
            Role::Operator => &[
                Read,
                PersonalRead,
                CasesReport,
                HazardsStatus,
                CasesTransition,
                AlertsAck,
                WallDrive,
            ],
            Role::Admin => &[Read, UsersManage, AuditRead],
        }
    }

    pub fn allows(self, permission: Permission) -> bool {
        self.permissions().contains(&permission)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Whom a response is prepared for: personal data is masked at the source
/// for [`Audience::Public`]; [`Audience::Personal`] sees it in full, within
/// its subdistrict scope when it has one (outside it: masked). The stream
/// serialises each frame once per audience present, not per client.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Audience {
    Public,
    Personal {
        /// The subdistrict the reader is limited to, by its name as the layer
        /// files and cases carry it (`福海街道`), if any.
        scope: Option<String>,
    },
}

impl Audience {
    /// The audience of a person with `role`, limited to `scope`.
    pub fn of(role: Role, scope: Option<&str>) -> Audience {
        if role.allows(Permission::PersonalRead) {
            Audience::Personal {
                scope: scope.map(str::to_owned),
            }
        } else {
            Audience::Public
        }
    }

    /// Whether personal data of something in `subdistrict` (its name, when
    /// known) is shown unmasked to this audience.
    pub fn sees_personal(&self, subdistrict: Option<&str>) -> bool {
        match self {
            Audience::Public => false,
            Audience::Personal { scope: None } => true,
            Audience::Personal { scope: Some(s) } => subdistrict == Some(s.as_str()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_match_serde() {
        for p in Permission::ALL {
            assert_eq!(Permission::parse(p.name()), Some(p));
            assert_eq!(
                serde_json::to_string(&p).unwrap(),
                format!("\"{}\"", p.name())
            );
        }
        for r in Role::ALL {
            assert_eq!(Role::parse(r.name()), Some(r));
            assert_eq!(
                serde_json::to_string(&r).unwrap(),
                format!("\"{}\"", r.name())
            );
        }
        assert_eq!(Permission::parse("cases"), None);
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn the_field_roles_are_supersets_in_order() {
        let chain = [Role::Viewer, Role::Officer, Role::Operator];
        for pair in chain.windows(2) {
            for p in pair[0].permissions() {
                assert!(pair[1].allows(*p), "{} lacks {p} of {}", pair[1], pair[0]);
            }
            assert!(pair[1].permissions().len() > pair[0].permissions().len());
        }
    }

    #[test]
    fn no_role_posts_readings_and_only_admin_manages() {
        for r in Role::ALL {
            assert!(!r.allows(Permission::ReadingsWrite), "{r}");
            assert!(r.allows(Permission::Read), "{r}");
            assert_eq!(r.allows(Permission::UsersManage), r == Role::Admin);
            assert_eq!(r.allows(Permission::AuditRead), r == Role::Admin);
        }
        assert!(!Role::Planner.allows(Permission::PersonalRead));
        assert!(!Role::Admin.allows(Permission::PersonalRead));
        assert!(!Role::Officer.allows(Permission::CasesTransition));
    }

    #[test]
    fn audiences_mask_by_role_and_scope() {
        assert_eq!(
            Audience::of(Role::Viewer, Some("福海街道")),
            Audience::Public
        );
        assert!(!Audience::of(Role::Planner, None).sees_personal(None));
        let all = Audience::of(Role::Operator, None);
        assert!(all.sees_personal(None) && all.sees_personal(Some("x")));
        let scoped = Audience::of(Role::Officer, Some("福海街道"));
        assert!(scoped.sees_personal(Some("福海街道")));
        assert!(!scoped.sees_personal(Some("西乡街道")));
        assert!(!scoped.sees_personal(None));
    }
}
