//! Live state and the WebSocket protocol, shared by the server and the app.
//!
//! Everything that changes at run time is a [`Change`] recorded in the
//! server's append-only event log under a strictly increasing sequence number
//! ([`Seq`]). The same [`Event`] value is stored, streamed over `/ws` and
//! applied by the app; it always carries the *whole new state* of the entity it
//! changed, so applying an event is an upsert and needs no earlier state.
//!
//! The pure rules live here too, so every storage backend and the simulator
//! use the same ones: the case status machine ([`CaseStatus::next`]), sensor
//! thresholds with hysteresis ([`thresholds`], [`next_level`]) and the case
//! dispatch rules ([`DispatchRules`]).
//!
//! ## The stream, in brief (details in docs/api.md)
//! 1. The client opens `/ws` and sends [`ClientMsg::Hello`] with the layers
//!    ([`Topic`]s) it wants and the last sequence number it has, if any.
//! 2. The server answers [`ServerMsg::Welcome`], then either the events it
//!    missed (`since` within reach) or a [`ServerMsg::Snapshot`] (no `since`,
//!    or too far behind), then live [`ServerMsg::Event`]s in sequence order.
//! 3. [`ServerMsg::Heartbeat`] every few seconds; silence means a dead peer.
//! 4. [`ServerMsg::Resync`]: the client fell behind and was dropped; it
//!    reconnects with its last sequence number.
//!
//! [`Topic::Scenes`] (what an operator pushed to a wall group, [`Scene`]) is
//! sent only to clients that name it in their hello: the default
//! subscription stays the four data layers ([`Topic::ALL`]), so clients that
//! predate scenes never receive a change kind they do not know.

use crate::cases::{CaseRecord, DeptSet};
use crate::domain::{CaseCategory, CaseStatus, Department, HazardStatus, SensorType};
use serde::{Deserialize, Serialize};

/// A position in the event log. The first event is 1; 0 means "nothing yet".
pub type Seq = u64;

/// The live layers a client can subscribe to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Topic {
    Cases,
    Sensors,
    Alerts,
    Hazards,
    /// Wall scenes ([`Change::Scene`]); only when asked for by name.
    Scenes,
}

impl Topic {
    /// The data layers: what an empty `layers` in a hello subscribes to.
    pub const ALL: &'static [Topic] =
        &[Topic::Cases, Topic::Sensors, Topic::Alerts, Topic::Hazards];
    /// Every topic, scenes included (codes, parsing).
    pub const EVERY: &'static [Topic] = &[
        Topic::Cases,
        Topic::Sensors,
        Topic::Alerts,
        Topic::Hazards,
        Topic::Scenes,
    ];
    pub fn bit(self) -> u8 {
        1 << (self as u8)
    }
    /// The code on the wire and in the event log (`cases`, `sensors`, …).
    pub fn code(self) -> &'static str {
        match self {
            Topic::Cases => "cases",
            Topic::Sensors => "sensors",
            Topic::Alerts => "alerts",
            Topic::Hazards => "hazards",
            Topic::Scenes => "scenes",
        }
    }
    pub fn from_code(s: &str) -> Option<Topic> {
        Topic::EVERY.iter().copied().find(|t| t.code() == s)
    }
}

/// A set of topics as a bit set (cheap to test per event per client).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TopicSet(pub u8);

impl TopicSet {
    /// The default subscription: the data layers ([`Topic::ALL`]), not scenes.
    pub fn all() -> TopicSet {
        TopicSet(Topic::ALL.iter().fold(0, |a, t| a | t.bit()))
    }
    pub fn of(topics: &[Topic]) -> TopicSet {
        TopicSet(topics.iter().fold(0, |a, t| a | t.bit()))
    }
    pub fn contains(self, t: Topic) -> bool {
        self.0 & t.bit() != 0
    }
}

// ---------------------------------------------------------------------------
// Entities
// ---------------------------------------------------------------------------

/// A case (事件) as the live system holds it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Case {
    /// Same id space as the compact case files; shown as `AJ` + 8 digits.
    pub id: u32,
    pub category: CaseCategory,
    /// WGS84.
    pub lon: f64,
    pub lat: f64,
    /// Grid id (`G0001`…) and its index in `grids.geojson`; `None` when the
    /// point is in no grid (reported outside the district).
    pub grid: Option<String>,
    pub grid_index: Option<u16>,
    pub community: Option<String>,
    pub subdistrict: Option<String>,
    pub description: String,
    pub reporter: String,
    pub status: CaseStatus,
    pub departments: Vec<Department>,
    /// The dispatch rule that routed it (`R01`…), if any.
    pub rule: Option<String>,
    /// Unix seconds.
    pub reported_at: i64,
    /// Unix seconds; overdue = open and past this.
    pub deadline: i64,
    /// Unix seconds of the last change.
    pub updated_at: i64,
    /// The photo reported with it, by its id (the SHA-256 of its bytes,
    /// `GET /api/photos/{id}`), if any. Absent from the JSON when `None`, so
    /// readers that predate photos see the case as before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub photo: Option<String>,
}

impl Case {
    pub fn number(&self) -> String {
        format!("AJ{:08}", self.id)
    }
    pub fn is_overdue(&self, now: i64) -> bool {
        self.status.is_open() && now > self.deadline
    }
    /// The compact record the map's case layer holds.
    pub fn record(&self) -> CaseRecord {
        CaseRecord {
            id: self.id,
            time: self.reported_at,
            lon: self.lon,
            lat: self.lat,
            grid: self.grid_index.unwrap_or(u16::MAX),
            category: self.category,
            status: self.status,
            departments: DeptSet::of(&self.departments),
            deadline_hours: CaseRecord::deadline_hours(self.reported_at, self.deadline),
        }
    }
}

/// One step of a case's status history.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Transition {
    /// `None` for the initial report.
    pub from: Option<CaseStatus>,
    pub to: CaseStatus,
    /// Unix seconds.
    pub at: i64,
    /// Who made the change (department code, operator name, `simulator`).
    pub by: String,
    pub note: String,
}

impl CaseStatus {
    /// The statuses a case may move to from this one.
    ///
    /// reported → accepted → dispatched → in progress → resolved → archived;
    /// the centre may return a report it cannot accept, a department may
    /// return a case that is not its own (→ re-dispatch or archive as
    /// invalid), and a case beyond a department's powers is escalated (→
    /// dispatched again, higher up, or worked on). A resolved case whose
    /// verification fails goes back to in progress.
    pub fn next(self) -> &'static [CaseStatus] {
        use CaseStatus::*;
        match self {
            Reported => &[Accepted, Returned],
            Accepted => &[Dispatched, Returned],
            Dispatched => &[InProgress, Returned, Escalated],
            InProgress => &[Resolved, Escalated, Returned],
            Resolved => &[Archived, InProgress],
            Archived => &[],
            Returned => &[Dispatched, Archived],
            Escalated => &[Dispatched, InProgress],
        }
    }
    pub fn can_move_to(self, to: CaseStatus) -> bool {
        self.next().contains(&to)
    }
}

/// Why a transition is refused, in words for the 409 body.
pub fn transition_error(from: CaseStatus, to: CaseStatus) -> Option<String> {
    if from.can_move_to(to) {
        return None;
    }
    let allowed: Vec<&str> = from.next().iter().map(|s| s.code()).collect();
    Some(if allowed.is_empty() {
        format!(
            "a case that is {} is closed for good; it cannot become {}",
            from.code(),
            to.code()
        )
    } else {
        format!(
            "a case that is {} cannot become {}; allowed: {}",
            from.code(),
            to.code(),
            allowed.join(", ")
        )
    })
}

/// Alarm level of a sensor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Normal,
    Warn,
    Alarm,
}

impl Level {
    /// The code on the wire and in the store.
    pub fn code(self) -> &'static str {
        match self {
            Level::Normal => "normal",
            Level::Warn => "warn",
            Level::Alarm => "alarm",
        }
    }
    pub fn from_code(s: &str) -> Option<Level> {
        [Level::Normal, Level::Warn, Level::Alarm]
            .into_iter()
            .find(|l| l.code() == s)
    }
}

/// Thresholds of a sensor type. A level is entered when the value reaches its
/// threshold and left only when the value falls below threshold − hysteresis,
/// so a value hovering at a threshold does not raise and clear alert after
/// alert.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Thresholds {
    pub warn: f64,
    pub alarm: f64,
    pub hysteresis: f64,
}

/// The thresholds per sensor type (the same as each sensor's `warn`/`alarm`
/// properties in sensors.geojson). Hysteresis is 10 % of the warn threshold.
pub fn thresholds(t: SensorType) -> Thresholds {
    let (warn, alarm) = match t {
        SensorType::WaterLevel => (50.0, 100.0),
        SensorType::Rainfall => (30.0, 50.0),
        SensorType::Gas => (20.0, 50.0),
        SensorType::Smoke => (0.1, 0.2),
        SensorType::SlopeMovement => (10.0, 30.0),
        SensorType::Strain => (600.0, 1000.0),
        SensorType::AirQuality => (100.0, 150.0),
        SensorType::TrafficFlow => (3000.0, 4000.0),
    };
    Thresholds {
        warn,
        alarm,
        hysteresis: warn * 0.1,
    }
}

/// The level after a reading, given the level before it.
pub fn next_level(prev: Level, value: f64, th: Thresholds) -> Level {
    let rising = if value >= th.alarm {
        Level::Alarm
    } else if value >= th.warn {
        Level::Warn
    } else {
        Level::Normal
    };
    if rising >= prev {
        return rising;
    }
    // Falling: leave a level only below its threshold minus hysteresis.
    let hold_alarm = prev == Level::Alarm && value > th.alarm - th.hysteresis;
    if hold_alarm {
        return Level::Alarm;
    }
    if value > th.warn - th.hysteresis {
        Level::Warn
    } else {
        Level::Normal
    }
}

/// The latest reading of a sensor.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SensorState {
    pub id: String,
    #[serde(rename = "type")]
    pub sensor_type: SensorType,
    pub value: f64,
    /// Unix seconds of the reading.
    pub at: i64,
    pub level: Level,
}

/// One incoming reading (`POST /api/readings`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReadingIn {
    pub sensor: String,
    pub value: f64,
    /// Unix seconds; the server's clock when absent.
    #[serde(default)]
    pub at: Option<i64>,
}

/// An alert raised by a sensor crossing a threshold. At most one alert per
/// sensor is active (not cleared) at a time; a warn that becomes an alarm
/// updates the same alert.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    pub id: u64,
    pub sensor: String,
    #[serde(rename = "type")]
    pub sensor_type: SensorType,
    /// The current level (warn or alarm while active; the last one when cleared).
    pub level: Level,
    /// The highest value seen while active.
    pub peak: f64,
    pub lon: f64,
    pub lat: f64,
    /// Unix seconds.
    pub raised_at: i64,
    pub cleared_at: Option<i64>,
    pub acked_at: Option<i64>,
    pub acked_by: Option<String>,
    /// When it first reached the alarm level (Unix ms, the server's clock:
    /// the event's `at_ms`); `None` while it never has (or from a server
    /// or store row from before this field). Every wall orders and times
    /// its focus by it, so a reloaded tile agrees with one that saw it live.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alarm_at_ms: Option<i64>,
}

impl Alert {
    pub fn is_active(&self) -> bool {
        self.cleared_at.is_none()
    }
}

/// What happened to an alert.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertChange {
    Raised,
    /// Level changed while active (warn ⇄ alarm).
    Level,
    Cleared,
    Acked,
}

/// The live status of a hazard site (its static record is in hazards.geojson).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HazardState {
    pub id: String,
    pub status: HazardStatus,
    /// Unix seconds.
    pub at: i64,
    pub by: String,
    pub note: String,
    /// The photo taken with this change of status, by its id (as
    /// [`Case::photo`]), if any; absent from the JSON when `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub photo: Option<String>,
}

/// A feature a scene highlights: its layer (a `LayerId` code) and its id
/// (the feature's `id` property, e.g. `YH000123`, `S0042`, `AJ00001234`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SceneFeature {
    pub layer: String,
    pub id: String,
}

/// What an operator pushed to a wall group ("show this on the wall"): the
/// camera, the layers, a highlighted feature and how long. The walls of the
/// group show it from `started_ms` (server clock) for `duration_s` seconds,
/// or until it is replaced or cleared when `duration_s` is `None`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Scene {
    /// The wall group (`?group=`, "default" when absent).
    pub group: String,
    /// WGS84 centre, and the zoom of a view 1920 CSS px wide (the design
    /// width): a view `w` px wide shows the same area at
    /// [`Scene::zoom_for_width`].
    pub lon: f64,
    pub lat: f64,
    pub zoom: f64,
    /// `LayerId` codes to show; empty = the wall's own layers.
    #[serde(default)]
    pub layers: Vec<String>,
    #[serde(default)]
    pub highlight: Option<SceneFeature>,
    /// Seconds; `None` = until replaced or cleared.
    #[serde(default)]
    pub duration_s: Option<u32>,
    /// Unix milliseconds, server clock.
    pub started_ms: i64,
    /// Display name of who pushed it.
    pub by: String,
}

impl Scene {
    /// The design width `zoom` refers to, in CSS px.
    pub const DESIGN_WIDTH: f64 = 1920.0;

    /// The zoom that shows the scene's area in a view `width` px wide.
    pub fn zoom_for_width(&self, width: f64) -> f64 {
        self.zoom + (width.max(1.0) / Scene::DESIGN_WIDTH).log2()
    }

    /// The scene zoom of a view `width` px wide at `zoom` (what the desk
    /// sends: the same area at the design width).
    pub fn design_zoom(zoom: f64, width: f64) -> f64 {
        zoom - (width.max(1.0) / Scene::DESIGN_WIDTH).log2()
    }

    /// Whether the scene still shows at server time `now_ms`.
    pub fn is_current(&self, now_ms: i64) -> bool {
        match self.duration_s {
            None => true,
            Some(d) => now_ms < self.started_ms.saturating_add(i64::from(d) * 1000),
        }
    }
}

// ---------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------

/// A change, as stored in the event log and streamed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Change {
    CaseReported {
        case: Case,
    },
    CaseTransitioned {
        case: Case,
        transition: Transition,
    },
    /// A batch of readings: the new state of each sensor it touched.
    Readings {
        sensors: Vec<SensorState>,
    },
    Alert {
        alert: Alert,
        change: AlertChange,
    },
    HazardStatus {
        hazard: HazardState,
    },
    /// A wall group's scene was pushed (`Some`) or cleared (`None`).
    Scene {
        group: String,
        scene: Option<Scene>,
    },
}

impl Change {
    pub fn topic(&self) -> Topic {
        match self {
            Change::CaseReported { .. } | Change::CaseTransitioned { .. } => Topic::Cases,
            Change::Readings { .. } => Topic::Sensors,
            Change::Alert { .. } => Topic::Alerts,
            Change::HazardStatus { .. } => Topic::Hazards,
            Change::Scene { .. } => Topic::Scenes,
        }
    }
}

/// An entry of the event log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub seq: Seq,
    /// When the server accepted it, Unix milliseconds (latency is measured
    /// from here).
    pub at_ms: i64,
    pub change: Change,
}

// ---------------------------------------------------------------------------
// WebSocket messages (JSON text frames)
// ---------------------------------------------------------------------------

/// Client → server.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientMsg {
    /// First message on a connection. `layers` empty = all.
    Hello {
        #[serde(default)]
        layers: Vec<Topic>,
        #[serde(default)]
        since: Option<Seq>,
        /// The store identity `since` belongs to (the `epoch` of the
        /// welcome it came with). Another epoch than the server's means
        /// another store: a snapshot follows, never a replay.
        #[serde(default)]
        epoch: Option<String>,
        /// Ask for the public audience whoever is signed in: personal data
        /// masked at the source as for a viewer (a wall page signed in as an
        /// operator). `false` = the audience of the connection's account.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        public: bool,
    },
}

/// The current state of the small live layers at one sequence number.
/// Cases are too many for a JSON message: `reload` names the layers the
/// client must fetch again over HTTP (`GET /api/cases.bin`, which is always
/// at or after this `seq`); events for them with a sequence number at or
/// below that file's are already in it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// The store's identity (see [`ServerMsg::Welcome`]).
    #[serde(default)]
    pub epoch: String,
    pub seq: Seq,
    pub sensors: Vec<SensorState>,
    /// Active alerts and those cleared in the last 24 hours, newest first.
    pub alerts: Vec<Alert>,
    /// Hazards whose status changed since the data was generated.
    pub hazards: Vec<HazardState>,
    pub reload: Vec<Topic>,
    /// The current scene of each wall group that has one (one per group;
    /// absent = none, as from servers before scenes).
    #[serde(default)]
    pub scenes: Vec<Scene>,
}

/// Why the server sent a snapshot instead of the missed events.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SnapshotReason {
    /// The hello had no `since`.
    NoSince,
    /// More events were missed than the server replays.
    TooFarBehind,
    /// `since` is ahead of the server (e.g. its store was reset).
    Ahead,
    /// `since` belongs to another store (its `epoch` differs): the store
    /// was replaced or reset, even if its seq has passed the old one.
    OtherEpoch,
}

/// Why the server asks the client to reconnect.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResyncReason {
    /// The client did not keep up; its queue overflowed.
    Slow,
    /// The server is shutting down.
    Shutdown,
}

/// Server → client.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMsg {
    /// Reply to hello: the newest sequence number, and what follows.
    Welcome {
        /// The store's identity: random, created with the store, new when
        /// it is replaced or reset. Every stream message carries it (event
        /// frames too: `{"type":"event","epoch":…,"seq":…}`); a client
        /// keeps it with its seq and sends it back in its hello.
        #[serde(default)]
        epoch: String,
        head: Seq,
        /// Missed events that follow (0 when a snapshot follows instead).
        replay: u64,
        heartbeat_ms: u64,
        server_time_ms: i64,
        /// The server's clock, Unix ms (= `server_time_ms`, under the name
        /// the wall's clock sync reads): a client's offset is this minus
        /// its own clock, the round trip halved.
        #[serde(default)]
        now_ms: i64,
        /// The app build the server serves: the first 16 hex digits of the
        /// SHA-256 of `dist/index.html` as served, `None` without a build.
        /// A client that saw another one earlier reloads.
        #[serde(default)]
        build: Option<String>,
    },
    Snapshot {
        reason: SnapshotReason,
        snapshot: Snapshot,
    },
    Event(Event),
    Heartbeat {
        #[serde(default)]
        epoch: String,
        head: Seq,
        server_time_ms: i64,
        /// The server's clock, Unix ms (= `server_time_ms`; see `Welcome`).
        #[serde(default)]
        now_ms: i64,
    },
    Resync {
        #[serde(default)]
        epoch: String,
        reason: ResyncReason,
        head: Seq,
    },
    /// A bad client message; the connection is closed after it.
    Error {
        error: String,
        detail: String,
    },
}

impl ServerMsg {
    pub fn to_json(&self) -> String {
        // Serialising these types cannot fail: no maps with non-string keys,
        // no fallible Serialize impls. Fall back to an error message anyway.
        serde_json::to_string(self)
            .unwrap_or_else(|e| format!(r#"{{"type":"error","error":"serialize","detail":"{e}"}}"#))
    }
}

// ---------------------------------------------------------------------------
// Dispatch rules (data/dispatch_rules.json)
// ---------------------------------------------------------------------------

/// A routing rule: category (+ keywords) → departments and a deadline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DispatchRule {
    pub id: String,
    pub category: CaseCategory,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub name_en: String,
    /// Empty = the category's default rule.
    #[serde(default)]
    pub keywords: Vec<String>,
    pub departments: Vec<Department>,
    pub deadline_hours: u32,
}

/// The rules file. Unknown fields (labels, shares) are ignored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DispatchRules {
    pub version: u32,
    pub rules: Vec<DispatchRule>,
    /// Ids of the rules whose cases are urgent: they take the wall's focus
    /// when reported. Rules, not whole categories: the smallest category is
    /// still ~27 cases a day, and the wall would be in focus all day long.
    #[serde(default)]
    pub urgent: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RulesError {
    #[error("dispatch rules: {0}")]
    Json(String),
    #[error("dispatch rules: rule {id} has no departments")]
    NoDepartments { id: String },
    #[error("dispatch rules: category {0} has no default rule (one without keywords)")]
    NoDefault(&'static str),
    #[error("dispatch rules: urgent names {0}, which is no rule")]
    UnknownUrgent(String),
}

impl DispatchRules {
    pub fn parse(text: &str) -> Result<DispatchRules, RulesError> {
        let rules: DispatchRules =
            serde_json::from_str(text).map_err(|e| RulesError::Json(e.to_string()))?;
        for r in &rules.rules {
            if r.departments.is_empty() {
                return Err(RulesError::NoDepartments { id: r.id.clone() });
            }
        }
        for c in CaseCategory::ALL {
            if !rules
                .rules
                .iter()
                .any(|r| r.category == *c && r.keywords.is_empty())
            {
                return Err(RulesError::NoDefault(c.code()));
            }
        }
        if let Some(u) = rules
            .urgent
            .iter()
            .find(|u| !rules.rules.iter().any(|r| &r.id == *u))
        {
            return Err(RulesError::UnknownUrgent(u.clone()));
        }
        Ok(rules)
    }

    /// Whether a case routed by `rule` is urgent (takes the wall's focus).
    pub fn is_urgent(&self, rule: Option<&str>) -> bool {
        rule.is_some_and(|id| self.urgent.iter().any(|u| u == id))
    }

    /// The rule for a report: among the category's rules, the first whose
    /// keyword occurs in the description; else the category's default.
    pub fn route(&self, category: CaseCategory, description: &str) -> Option<&DispatchRule> {
        let of_cat = || self.rules.iter().filter(move |r| r.category == category);
        of_cat()
            .find(|r| {
                !r.keywords.is_empty()
                    && r.keywords.iter().any(|k| description.contains(k.as_str()))
            })
            .or_else(|| of_cat().find(|r| r.keywords.is_empty()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_machine_allows_the_main_path_and_refuses_skips() {
        use CaseStatus::*;
        let path = [
            Reported, Accepted, Dispatched, InProgress, Resolved, Archived,
        ];
        for w in path.windows(2) {
            assert!(w[0].can_move_to(w[1]), "{:?} → {:?}", w[0], w[1]);
        }
        assert!(!Reported.can_move_to(Resolved));
        assert!(!Archived.can_move_to(InProgress));
        assert!(!InProgress.can_move_to(InProgress));
        let msg = transition_error(Reported, Resolved).unwrap();
        assert!(
            msg.contains("accepted") && msg.contains("returned"),
            "{msg}"
        );
        assert!(transition_error(Archived, Accepted)
            .unwrap()
            .contains("closed"));
        assert_eq!(transition_error(Dispatched, Escalated), None);
    }

    #[test]
    fn topic_codes_are_their_json_names() {
        for t in Topic::EVERY {
            assert_eq!(
                serde_json::to_string(t).unwrap(),
                format!("\"{}\"", t.code())
            );
            assert_eq!(Topic::from_code(t.code()), Some(*t));
        }
        assert_eq!(Topic::from_code("nope"), None);
        // Scenes only by name: the default subscription is the data layers.
        assert_eq!(Topic::from_code("scenes"), Some(Topic::Scenes));
        assert!(!TopicSet::all().contains(Topic::Scenes));
        assert!(TopicSet::of(&[Topic::Scenes]).contains(Topic::Scenes));
        assert!(!Topic::ALL.contains(&Topic::Scenes));
    }

    fn scene() -> Scene {
        Scene {
            group: "指挥大厅".into(),
            lon: 113.88,
            lat: 22.57,
            zoom: 14.5,
            layers: vec!["hazards".into(), "sensors".into()],
            highlight: Some(SceneFeature {
                layer: "hazards".into(),
                id: "YH000123".into(),
            }),
            duration_s: Some(120),
            started_ms: 1_790_000_000_500,
            by: "值班员".into(),
        }
    }

    #[test]
    fn scenes_round_trip_and_old_json_still_parses() {
        let pushed = ServerMsg::Event(Event {
            seq: 12,
            at_ms: 1_790_000_000_500,
            change: Change::Scene {
                group: "指挥大厅".into(),
                scene: Some(scene()),
            },
        });
        let cleared = ServerMsg::Event(Event {
            seq: 13,
            at_ms: 1_790_000_001_000,
            change: Change::Scene {
                group: "default".into(),
                scene: None,
            },
        });
        for m in [&pushed, &cleared] {
            let text = m.to_json();
            assert_eq!(
                &serde_json::from_str::<ServerMsg>(&text).unwrap(),
                m,
                "{text}"
            );
        }
        let text = cleared.to_json();
        assert!(
            text.contains(r#""kind":"scene","group":"default","scene":null"#),
            "{text}"
        );
        let ServerMsg::Event(e) = &pushed else {
            unreachable!()
        };
        assert_eq!(e.change.topic(), Topic::Scenes);
        // The wire form of a scene (docs/api.md).
        let v = serde_json::to_value(scene()).unwrap();
        assert_eq!(v["highlight"]["id"], "YH000123");
        assert_eq!(v["duration_s"], 120);
        // Optional fields may be left out.
        let minimal: Scene = serde_json::from_str(
            r#"{"group":"default","lon":113.9,"lat":22.6,"zoom":12,"started_ms":5,"by":"x"}"#,
        )
        .unwrap();
        assert_eq!(
            (minimal.layers.len(), minimal.highlight, minimal.duration_s),
            (0, None, None)
        );
        // A snapshot from a server before scenes has none; one with scenes keeps them.
        let old: Snapshot = serde_json::from_str(
            r#"{"seq":3,"sensors":[],"alerts":[],"hazards":[],"reload":["cases"]}"#,
        )
        .unwrap();
        assert!(old.scenes.is_empty());
        let snap = Snapshot {
            seq: 4,
            scenes: vec![scene()],
            ..Default::default()
        };
        let back: Snapshot = serde_json::from_str(&serde_json::to_string(&snap).unwrap()).unwrap();
        assert_eq!(back, snap);
        let hello: ClientMsg =
            serde_json::from_str(r#"{"type":"hello","layers":["alerts","scenes"]}"#).unwrap();
        assert!(
            matches!(hello, ClientMsg::Hello { layers, .. } if layers == [Topic::Alerts, Topic::Scenes])
        );
    }

    #[test]
    fn a_scene_lasts_its_duration_and_keeps_its_area_at_any_width() {
        let s = scene();
        assert!(s.is_current(s.started_ms));
        assert!(s.is_current(s.started_ms + 119_999));
        assert!(!s.is_current(s.started_ms + 120_000));
        let forever = Scene {
            duration_s: None,
            ..scene()
        };
        assert!(forever.is_current(i64::MAX));
        assert_eq!(s.zoom_for_width(1920.0), 14.5);
        assert_eq!(s.zoom_for_width(3840.0), 15.5);
        assert_eq!(Scene::design_zoom(15.5, 3840.0), 14.5);
        assert!(s.zoom_for_width(0.0).is_finite());
    }

    #[test]
    fn hysteresis_holds_a_level_until_well_below_it() {
        let th = thresholds(SensorType::WaterLevel); // 50 / 100, h = 5
        let mut l = Level::Normal;
        let mut seen = vec![];
        for v in [40.0, 50.0, 47.0, 46.0, 44.9, 49.0, 101.0, 97.0, 94.0, 40.0] {
            l = next_level(l, v, th);
            seen.push(l);
        }
        use Level::*;
        assert_eq!(
            seen,
            [Normal, Warn, Warn, Warn, Normal, Normal, Alarm, Alarm, Warn, Normal]
        );
    }

    #[test]
    fn messages_round_trip_through_json() {
        let case = Case {
            id: 7,
            category: CaseCategory::Dispute,
            lon: 113.8,
            lat: 22.6,
            grid: Some("G0001".into()),
            grid_index: Some(0),
            community: None,
            subdistrict: Some("新安街道".into()),
            description: "家庭纠纷".into(),
            reporter: "网格员".into(),
            status: CaseStatus::Reported,
            departments: vec![Department::Police],
            rule: Some("R01".into()),
            reported_at: 1_790_000_000,
            deadline: 1_790_000_000 + 72 * 3600,
            updated_at: 1_790_000_000,
            photo: None,
        };
        let msgs = [
            ServerMsg::Event(Event {
                seq: u64::MAX >> 12,
                at_ms: 1_790_000_000_123,
                change: Change::CaseReported { case: case.clone() },
            }),
            ServerMsg::Welcome {
                epoch: "e1".into(),
                head: 3,
                replay: 2,
                heartbeat_ms: 10_000,
                server_time_ms: 1,
                now_ms: 1,
                build: Some("0123456789abcdef".into()),
            },
            ServerMsg::Heartbeat {
                epoch: "e1".into(),
                head: 3,
                server_time_ms: 2,
                now_ms: 2,
            },
            ServerMsg::Snapshot {
                reason: SnapshotReason::TooFarBehind,
                snapshot: Snapshot {
                    seq: 9,
                    reload: vec![Topic::Cases],
                    ..Default::default()
                },
            },
            ServerMsg::Resync {
                epoch: "e1".into(),
                reason: ResyncReason::Slow,
                head: 10,
            },
        ];
        for m in msgs {
            let text = m.to_json();
            let back: ServerMsg = serde_json::from_str(&text).unwrap();
            assert_eq!(back, m, "{text}");
        }
        // A photo is on the wire only when there is one; JSON without it
        // (an older server's) reads as none.
        let json = serde_json::to_value(&case).unwrap();
        assert!(json.get("photo").is_none(), "{json}");
        let with = Case {
            photo: Some("ab".repeat(32)),
            ..case.clone()
        };
        let json = serde_json::to_value(&with).unwrap();
        assert_eq!(json["photo"], "ab".repeat(32));
        let back: Case = serde_json::from_value(json).unwrap();
        assert_eq!(back, with);
        let hazard: HazardState =
            serde_json::from_str(r#"{"id":"YH1","status":"open","at":1,"by":"x","note":""}"#)
                .unwrap();
        assert_eq!(hazard.photo, None);
        let hello: ClientMsg =
            serde_json::from_str(r#"{"type":"hello","layers":["cases","alerts"],"since":42}"#)
                .unwrap();
        assert_eq!(
            hello,
            ClientMsg::Hello {
                layers: vec![Topic::Cases, Topic::Alerts],
                since: Some(42),
                epoch: None,
                public: false,
            }
        );
        let public: ClientMsg = serde_json::from_str(r#"{"type":"hello","public":true}"#).unwrap();
        assert!(matches!(public, ClientMsg::Hello { public: true, .. }));
        assert!(
            serde_json::from_str::<ClientMsg>(r#"{"type":"hello","layers":["nope"]}"#).is_err()
        );
        assert_eq!(case.record().deadline_hours, 72);
    }

    #[test]
    fn rules_pick_a_keyword_rule_before_the_default() {
        let mut rules = String::from(r#"{"version":1,"rules":["#);
        for (i, c) in CaseCategory::ALL.iter().enumerate() {
            rules += &format!(
                r#"{{"id":"D{i}","category":"{}","departments":["governance"],"deadline_hours":48}},"#,
                c.code()
            );
        }
        rules += r#"{"id":"R01","category":"dispute","keywords":["家庭纠纷","离婚"],"departments":["police","court","judicial"],"deadline_hours":72}]}"#;
        let rules_text = rules;
        let rules = DispatchRules::parse(&rules_text).unwrap();
        let r = rules
            .route(CaseCategory::Dispute, "邻里之间因家庭纠纷发生争吵")
            .unwrap();
        assert_eq!(r.id, "R01");
        assert_eq!(
            r.departments,
            [Department::Police, Department::Court, Department::Judicial]
        );
        assert_eq!(
            rules.route(CaseCategory::Dispute, "噪音扰民").unwrap().id,
            "D0"
        );
        assert!(matches!(
            DispatchRules::parse(r#"{"version":1,"rules":[]}"#),
            Err(RulesError::NoDefault("dispute"))
        ));
        // Urgent rules: none in a file without the list; an unknown id is refused.
        assert!(rules.urgent.is_empty() && !rules.is_urgent(Some("R01")));
        let with = rules_text.replacen('{', r#"{"urgent":["R01"],"#, 1);
        let urgent = DispatchRules::parse(&with).unwrap();
        assert!(urgent.is_urgent(Some("R01")) && !urgent.is_urgent(Some("D0")));
        assert!(!urgent.is_urgent(None));
        let bad = rules_text.replacen('{', r#"{"urgent":["R99"],"#, 1);
        assert_eq!(
            DispatchRules::parse(&bad),
            Err(RulesError::UnknownUrgent("R99".into()))
        );
    }
}
