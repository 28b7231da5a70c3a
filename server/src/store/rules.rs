//! The business rules of the live state, backend-neutral: [`run`] decides a
//! [`Command`] against a [`Tx`] — which entities it reads, what it writes,
//! which events it appends — so every backend behaves alike. Here are the
//! id of a new case (highest + 1) and of a new alert, the status machine of
//! cases (`pingan_model::live::transition_error`), raising, re-levelling and
//! clearing alerts from readings (`next_level`), acknowledging once,
//! hazard status changes, a photo named by a report or a hazard change
//! (stored, else refused), and wall scenes (checked, stamped with the server
//! clock and the actor's display name, one current per group). No SQL and no I/O: only the `Tx` calls. Every
//! history entry and event records the command's actor (display name in the
//! entity, account kind and name beside it).

use super::command::{Actor, Command, NewCase, SceneIn};
use super::error::{StoreError, StoreResult};
use super::tx::Tx;
use pingan_model::domain::{CaseStatus, HazardStatus};
use pingan_model::layers::LayerId;
use pingan_model::live::{
    next_level, thresholds, transition_error, Alert, AlertChange, Case, Change, Event, HazardState,
    Level, ReadingIn, Scene, SceneFeature, SensorState, Seq, Transition,
};

/// The zooms a scene may ask for (the map's useful range at the design width).
pub const SCENE_ZOOM: std::ops::RangeInclusive<f64> = 8.0..=20.0;
/// How long a scene may last, in seconds: 5 s to 24 h.
pub const SCENE_DURATION_S: std::ops::RangeInclusive<u32> = 5..=86_400;
/// Longest id of a highlighted feature.
pub const MAX_FEATURE_ID: usize = 64;

/// Runs one command inside an open transaction; returns the events it
/// appended (sequence numbers continuing the log). On error the caller
/// rolls the transaction back, so nothing of the command is stored.
pub fn run(tx: &mut dyn Tx, cmd: Command, now_ms: i64) -> StoreResult<Vec<Event>> {
    let next_seq = tx.head()? + 1;
    let mut d = Decide {
        tx,
        next_seq,
        now_ms,
        actor: cmd.actor().clone(),
        events: Vec::new(),
    };
    match cmd {
        Command::ReportCase(c) => d.report(c)?,
        Command::Transition {
            case_id,
            to,
            by,
            note,
            at,
        } => d.transition(case_id, to, by, note, at)?,
        Command::Readings { readings, at, .. } => d.readings(readings, at)?,
        Command::AckAlert { id, by, at } => d.ack(id, by, at)?,
        Command::HazardStatus {
            id,
            status,
            by,
            note,
            at,
            photo,
        } => d.hazard(id, status, by, note, at, photo)?,
        Command::PushScene { scene, within, .. } => d.push_scene(scene, within)?,
        Command::ClearScene { group, .. } => d.clear_scene(group)?,
    }
    Ok(d.events)
}

/// One command's decisions, collecting its events.
struct Decide<'a> {
    tx: &'a mut dyn Tx,
    next_seq: Seq,
    now_ms: i64,
    /// Who asked: recorded with every history entry and event.
    actor: Actor,
    events: Vec<Event>,
}

fn invalid(field: impl Into<String>, detail: impl Into<String>) -> StoreError {
    StoreError::Invalid {
        field: field.into(),
        detail: detail.into(),
    }
}

impl Decide<'_> {
    fn emit(&mut self, change: Change) -> StoreResult<()> {
        let event = Event {
            seq: self.next_seq,
            at_ms: self.now_ms,
            change,
        };
        self.tx.append(&event, &self.actor)?;
        self.next_seq += 1;
        self.events.push(event);
        Ok(())
    }

    /// A photo a command names must be stored (`PUT /api/photos/{sha256}`).
    fn check_photo(&mut self, photo: Option<&str>) -> StoreResult<()> {
        let Some(id) = photo else { return Ok(()) };
        if !super::photo::valid_id(id) {
            return Err(StoreError::UnknownPhoto(format!(
                "photo: {:?} is not a photo id (the SHA-256 of its bytes, 64 lowercase hex digits)",
                id.chars().take(80).collect::<String>()
            )));
        }
        if self.tx.photo(id)?.is_none() {
            return Err(StoreError::UnknownPhoto(format!(
                "photo: {id} is not stored; upload it first with PUT /api/photos/{id}"
            )));
        }
        Ok(())
    }

    fn report(&mut self, c: NewCase) -> StoreResult<()> {
        if !c.lon.is_finite() || !c.lat.is_finite() {
            return Err(invalid("lon/lat", "coordinates must be finite numbers"));
        }
        if c.departments.is_empty() {
            return Err(invalid(
                "departments",
                "a case needs at least one department",
            ));
        }
        self.check_photo(c.photo.as_deref())?;
        let id = u32::try_from(self.tx.max_case_id()? + 1)
            .map_err(|_| StoreError::Conflict("the case id space is exhausted".into()))?;
        let case = Case {
            id,
            category: c.category,
            lon: c.lon,
            lat: c.lat,
            grid: c.grid,
            grid_index: c.grid_index,
            community: c.community,
            subdistrict: c.subdistrict,
            description: c.description,
            reporter: c.reporter.name,
            status: CaseStatus::Reported,
            departments: c.departments,
            rule: c.rule,
            reported_at: c.reported_at,
            deadline: c.deadline,
            updated_at: c.reported_at,
            photo: c.photo,
        };
        if !self.tx.insert_case(&case)? {
            return Err(StoreError::Conflict(format!("case {id} exists already")));
        }
        let first = Transition {
            from: None,
            to: CaseStatus::Reported,
            at: case.reported_at,
            by: case.reporter.clone(),
            note: String::new(),
        };
        self.tx.add_transition(id, &first, &self.actor)?;
        self.emit(Change::CaseReported { case })
    }

    fn transition(
        &mut self,
        case_id: u32,
        to: CaseStatus,
        by: Actor,
        note: String,
        at: i64,
    ) -> StoreResult<()> {
        let mut case = self.tx.case(case_id)?.ok_or_else(|| StoreError::NotFound {
            what: "case",
            id: case_id.to_string(),
        })?;
        if let Some(why) = transition_error(case.status, to) {
            return Err(StoreError::Conflict(format!("case {case_id}: {why}")));
        }
        let t = Transition {
            from: Some(case.status),
            to,
            at,
            by: by.name,
            note,
        };
        self.tx.set_case_status(case_id, to, at)?;
        self.tx.add_transition(case_id, &t, &self.actor)?;
        case.status = to;
        case.updated_at = at;
        self.emit(Change::CaseTransitioned {
            case,
            transition: t,
        })
    }

    fn readings(&mut self, readings: Vec<ReadingIn>, at: i64) -> StoreResult<()> {
        if readings.is_empty() {
            return Err(invalid("readings", "the batch is empty"));
        }
        // Check the whole batch first, so a bad entry stores nothing.
        let mut rows = Vec::with_capacity(readings.len());
        for (i, r) in readings.iter().enumerate() {
            if !r.value.is_finite() {
                return Err(invalid(
                    format!("readings[{i}].value"),
                    format!("{} is not a finite number", r.value),
                ));
            }
            match self.tx.sensor(&r.sensor)? {
                Some(row) => rows.push(row),
                None => {
                    return Err(invalid(
                        format!("readings[{i}].sensor"),
                        format!("no sensor {:?}", r.sensor),
                    ))
                }
            }
        }
        let mut states: Vec<SensorState> = Vec::new();
        let mut alert_changes: Vec<(Alert, AlertChange)> = Vec::new();
        let mut next_alert: Option<u64> = None;
        for (r, row) in readings.iter().zip(rows) {
            let when = r.at.unwrap_or(at);
            // Its level before this reading: an earlier reading of the same
            // sensor in this batch, else the stored one.
            let prev = states
                .iter()
                .find(|s| s.id == r.sensor)
                .map_or(row.level, |s| s.level);
            let th = thresholds(row.sensor_type);
            let level = next_level(prev, r.value, th);
            self.tx.set_reading(&r.sensor, r.value, when, level)?;
            let state = SensorState {
                id: r.sensor.clone(),
                sensor_type: row.sensor_type,
                value: r.value,
                at: when,
                level,
            };
            match states.iter_mut().find(|s| s.id == state.id) {
                Some(s) => *s = state,
                None => states.push(state),
            }
            match self.tx.active_alert(&r.sensor)? {
                Some(mut a) => {
                    if level == Level::Normal {
                        a.cleared_at = Some(when);
                        self.tx.update_alert(&a, None)?;
                        alert_changes.push((a, AlertChange::Cleared));
                    } else {
                        let peak = a.peak.max(r.value);
                        let changed = level != a.level;
                        if changed || peak != a.peak {
                            if level == Level::Alarm && a.alarm_at_ms.is_none() {
                                // Its peak already an alarm's: it was one
                                // before migration 7 kept the time (and fell
                                // back); the raise time, as the migration gave
                                // the others, or every wall would take the
                                // focus on an old alarm again.
                                let was_alarm = a.peak >= th.alarm;
                                a.alarm_at_ms = Some(if was_alarm {
                                    a.raised_at.saturating_mul(1000)
                                } else {
                                    self.now_ms
                                });
                            }
                            a.level = level;
                            a.peak = peak;
                            self.tx.update_alert(&a, None)?;
                        }
                        if changed {
                            alert_changes.push((a, AlertChange::Level));
                        }
                    }
                }
                None if level != Level::Normal => {
                    let id = match next_alert {
                        Some(id) => id,
                        None => self.tx.max_alert_id()? + 1,
                    };
                    next_alert = Some(id + 1);
                    let alert = Alert {
                        id,
                        sensor: r.sensor.clone(),
                        sensor_type: row.sensor_type,
                        level,
                        peak: r.value,
                        lon: row.lon,
                        lat: row.lat,
                        raised_at: when,
                        cleared_at: None,
                        acked_at: None,
                        acked_by: None,
                        alarm_at_ms: (level == Level::Alarm).then_some(self.now_ms),
                    };
                    self.tx.insert_alert(&alert)?;
                    alert_changes.push((alert, AlertChange::Raised));
                }
                None => {}
            }
        }
        self.emit(Change::Readings { sensors: states })?;
        for (alert, change) in alert_changes {
            self.emit(Change::Alert { alert, change })?;
        }
        Ok(())
    }

    fn ack(&mut self, id: u64, by: Actor, at: i64) -> StoreResult<()> {
        let mut a = self.tx.alert(id)?.ok_or_else(|| StoreError::NotFound {
            what: "alert",
            id: id.to_string(),
        })?;
        if let (Some(when), Some(who)) = (a.acked_at, a.acked_by.as_deref()) {
            return Err(StoreError::Conflict(format!(
                "alert {id} was already acknowledged by {who} at {}",
                pingan_model::time::iso_cst(when)
            )));
        }
        a.acked_at = Some(at);
        a.acked_by = Some(by.name.clone());
        self.tx.update_alert(&a, Some(&by))?;
        self.emit(Change::Alert {
            alert: a,
            change: AlertChange::Acked,
        })
    }

    fn hazard(
        &mut self,
        id: String,
        status: HazardStatus,
        by: Actor,
        note: String,
        at: i64,
        photo: Option<String>,
    ) -> StoreResult<()> {
        let current = self
            .tx
            .hazard_status(&id)?
            .ok_or_else(|| StoreError::NotFound {
                what: "hazard",
                id: id.clone(),
            })?;
        if current == status {
            return Err(StoreError::Conflict(format!(
                "hazard {id} is already {}",
                status.code()
            )));
        }
        self.check_photo(photo.as_deref())?;
        let hazard = HazardState {
            id,
            status,
            at,
            by: by.name.clone(),
            note,
            photo,
        };
        self.tx.change_hazard(&hazard, current, &by)?;
        self.emit(Change::HazardStatus { hazard })
    }

    fn push_scene(&mut self, s: SceneIn, within: Option<[f64; 4]>) -> StoreResult<()> {
        check_group(&s.group)?;
        if !s.lon.is_finite() || !(-180.0..=180.0).contains(&s.lon) {
            return Err(invalid("lon", format!("{}: a WGS84 longitude", s.lon)));
        }
        if !s.lat.is_finite() || !(-90.0..=90.0).contains(&s.lat) {
            return Err(invalid("lat", format!("{}: a WGS84 latitude", s.lat)));
        }
        if let Some([x0, y0, x1, y1]) = within {
            if !(x0..=x1).contains(&s.lon) {
                return Err(invalid(
                    "lon",
                    format!(
                        "{}: outside the district (longitudes {x0:.3}–{x1:.3})",
                        s.lon
                    ),
                ));
            }
            if !(y0..=y1).contains(&s.lat) {
                return Err(invalid(
                    "lat",
                    format!(
                        "{}: outside the district (latitudes {y0:.3}–{y1:.3})",
                        s.lat
                    ),
                ));
            }
        }
        if !s.zoom.is_finite() || !SCENE_ZOOM.contains(&s.zoom) {
            return Err(invalid(
                "zoom",
                format!(
                    "{}: between {} and {}",
                    s.zoom,
                    SCENE_ZOOM.start(),
                    SCENE_ZOOM.end()
                ),
            ));
        }
        let mut layers: Vec<String> = Vec::with_capacity(s.layers.len());
        for (i, code) in s.layers.iter().enumerate() {
            if code.parse::<LayerId>().is_err() {
                return Err(invalid(
                    format!("layers[{i}]"),
                    format!("{code:?} is not a layer; one of {}", layer_codes()),
                ));
            }
            if !layers.contains(code) {
                layers.push(code.clone());
            }
        }
        if let Some(h) = &s.highlight {
            if h.layer.parse::<LayerId>().is_err() {
                return Err(invalid(
                    "highlight.layer",
                    format!("{:?} is not a layer; one of {}", h.layer, layer_codes()),
                ));
            }
            let n = h.id.chars().count();
            if n == 0
                || n > MAX_FEATURE_ID
                || !h
                    .id
                    .chars()
                    .all(|c| c.is_alphanumeric() || "-_.:".contains(c))
            {
                return Err(invalid(
                    "highlight.id",
                    format!(
                        "{:?}: a feature id of 1–{MAX_FEATURE_ID} letters, digits, `-`, `_`, `.` or `:`",
                        h.id
                    ),
                ));
            }
        }
        if let Some(d) = s.duration_s {
            if !SCENE_DURATION_S.contains(&d) {
                return Err(invalid(
                    "duration_s",
                    format!(
                        "{d}: between {} s and {} s (24 h), or absent for until replaced or cleared",
                        SCENE_DURATION_S.start(),
                        SCENE_DURATION_S.end()
                    ),
                ));
            }
        }
        let scene = Scene {
            group: s.group,
            lon: s.lon,
            lat: s.lat,
            zoom: s.zoom,
            layers,
            highlight: s.highlight.map(|h| SceneFeature {
                layer: h.layer,
                id: h.id,
            }),
            duration_s: s.duration_s,
            started_ms: self.now_ms,
            by: self.actor.name.clone(),
        };
        let by = self.actor.clone();
        self.tx.put_scene(&scene, &by)?;
        self.emit(Change::Scene {
            group: scene.group.clone(),
            scene: Some(scene),
        })
    }

    fn clear_scene(&mut self, group: String) -> StoreResult<()> {
        check_group(&group)?;
        let current = self.tx.scene(&group)?.filter(|s| s.is_current(self.now_ms));
        if current.is_none() {
            return Err(StoreError::NotFound {
                what: "scene of wall group",
                id: group,
            });
        }
        self.tx.delete_scene(&group)?;
        self.emit(Change::Scene { group, scene: None })
    }
}

/// A wall group's name: 1–40 letters (any script), digits, `-` or `_`.
fn check_group(group: &str) -> StoreResult<()> {
    if pingan_model::wall::valid_group(group) {
        Ok(())
    } else {
        Err(invalid(
            "group",
            format!(
                "{group:?}: a wall group is 1–{} letters (CJK included), digits, `-` or `_`",
                pingan_model::wall::MAX_GROUP_CHARS
            ),
        ))
    }
}

fn layer_codes() -> String {
    LayerId::ALL
        .iter()
        .map(|l| l.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}
