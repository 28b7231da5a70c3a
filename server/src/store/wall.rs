//! [`WallState`]: what the wall's figures (`GET /api/kpi`: the KPI band and
//! the safety index, `pingan_model::wall`) are computed from, read by a
//! backend in one read transaction so that every slice is at `seq`. Plain
//! data; the figures are the model's functions over it (`api/kpi.rs`).

use pingan_model::cases::CaseRecord;
use pingan_model::domain::{HazardStatus, SensorType};
use pingan_model::live::{Alert, Seq};

/// The live state the wall's figures need, at one sequence number.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct WallState {
    /// Every slice below contains exactly the events up to this one.
    pub seq: Seq,
    /// Every open case and every case reported or changed at or after
    /// `since` (so every case open at any time since then), in the compact
    /// form (a case outside every grid has grid `u16::MAX`, as
    /// `Case::record` gives it), by reported time.
    pub cases: Vec<CaseRecord>,
    /// `(case id, when it was first closed)` (first transition to resolved
    /// or archived, from the histories) of every case first closed at or
    /// after `since`, and of every open case closed before (reopened).
    pub closes: Vec<(u32, i64)>,
    /// When the oldest case stored was reported (Unix s), if any.
    pub oldest_case: Option<i64>,
    /// Active alerts and those cleared at or after `since`.
    pub alerts: Vec<Alert>,
    /// Every sensor: id, type, time of its latest reading (Unix s).
    pub sensors: Vec<(String, SensorType, i64)>,
    /// Every hazard: id, status, time of its latest live change (Unix s).
    pub hazards: Vec<(String, HazardStatus, Option<i64>)>,
}
