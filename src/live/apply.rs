//! A batch applied in place at the start of a frame: each queued message
//! checked against the stream bookkeeping (`SeqState`: apply, duplicate,
//! hold), cases upserted into the case layer (R-tree and bins), sensor and
//! hazard states changed at their key, grid and subdistrict counts patched,
//! pulses started; then the panels' state (`LiveUi`) updated once.

use super::{casefile, list, notify, Item, Note, CORE};
use crate::data::{self, LayerData, Upsert};
use crate::state::{AppState, LayerEntry, LoadStatus};
use crate::sync::Verdict;
use crate::web::time::{now_ms, now_s};
use leptos::prelude::*;
use pingan_model::layers::LayerId;
use pingan_model::live::{
    Alert, AlertChange, Change, Event, HazardState, Level, SensorState, ServerMsg, Snapshot,
    SnapshotReason, Topic,
};
use std::sync::Arc;

/// An animated ring on the map at a new case or alert.
#[derive(Clone, Copy, Debug)]
pub struct Pulse {
    pub at: [f64; 2],
    pub t0: f64,
    pub colour: &'static str,
}

/// How long a pulse lasts, ms.
pub const PULSE_MS: f64 = 2600.0;

/// Mutates a point layer in place (no notification: the frame that applies
/// the batch draws it; the surface key follows the layer's version).
fn with_points<R>(e: &LayerEntry, f: impl FnOnce(&mut data::PointLayer) -> R) -> Option<R> {
    let mut out = None;
    e.data.update_untracked(|d| {
        if let Some(arc) = d {
            // Unique unless a frame is being drawn (never: we run before it).
            if let LayerData::Points(p) = Arc::make_mut(arc) {
                out = Some(f(p));
            }
        }
    });
    out
}

/// What a batch changed, for the panels.
#[derive(Default)]
struct Batch {
    /// Cases inserted or updated: key, record before (`None`: new), after.
    cases: Vec<list::CaseChange>,
    alerts: Vec<Alert>,
    snapshot_alerts: Option<Vec<Alert>>,
    /// Latest readings (sensor id, value), for the ticker's peaks.
    readings: Vec<(String, f64)>,
    reload: Vec<Topic>,
}

/// Applies every queued message (called at the start of a frame). Returns
/// how long it took, when there was anything.
pub fn apply_pending(state: AppState) -> Option<f64> {
    let items: Vec<Item> = CORE.with(|c| c.borrow_mut().queue.drain(..).collect());
    if items.is_empty() {
        return None;
    }
    let t0 = now_ms();
    let mut batch = Batch::default();
    let mut applied = 0u64;
    const SMALL: &[Topic] = &[Topic::Sensors, Topic::Alerts, Topic::Hazards];
    for item in items {
        match item {
            Item::Apply(e) => {
                apply_event(state, &e, &mut batch);
                notify(&Note::Event(&e));
                applied += 1;
            }
            Item::Initial(snapshot) => {
                apply_snapshot(state, &snapshot, &mut batch);
                notify(&Note::Snapshot {
                    snapshot: &snapshot,
                    stream: false,
                });
                CORE.with(|c| {
                    let mut c = c.borrow_mut();
                    // The bases are of this store: the hello says so.
                    c.seq.note_epoch(&snapshot.epoch);
                    c.seq.on_http_snapshot(snapshot.seq, SMALL)
                });
            }
            Item::Msg(ServerMsg::Event(e)) => {
                let v = CORE.with(|c| c.borrow_mut().seq.on_event(&e));
                if v == Verdict::Apply {
                    apply_event(state, &e, &mut batch);
                    notify(&Note::Event(&e));
                    applied += 1;
                }
            }
            Item::Msg(ServerMsg::Snapshot { reason, snapshot }) => {
                if matches!(reason, SnapshotReason::Ahead | SnapshotReason::OtherEpoch) {
                    // A reset store: the snapshot lists only hazards changed since.
                    reset_hazards(state);
                }
                apply_snapshot(state, &snapshot, &mut batch);
                notify(&Note::Snapshot {
                    snapshot: &snapshot,
                    stream: true,
                });
                let fetch = CORE.with(|c| {
                    c.borrow_mut()
                        .seq
                        .on_snapshot(snapshot.seq, reason, SMALL, &snapshot.reload)
                });
                batch.reload.extend(fetch);
            }
            Item::Msg(_) => {}
        }
    }
    finish_batch(state, batch);
    let dt = now_ms() - t0;
    CORE.with(|c| {
        let mut c = c.borrow_mut();
        c.applied += applied;
        c.apply_ms.push_back(dt);
        if c.apply_ms.len() > 200 {
            c.apply_ms.pop_front();
        }
    });
    Some(dt)
}

fn apply_snapshot(state: AppState, s: &Snapshot, batch: &mut Batch) {
    for r in &s.sensors {
        apply_sensor(state, r);
    }
    for h in &s.hazards {
        apply_hazard(state, h);
    }
    let mut alerts = s.alerts.clone();
    alerts.sort_by(|a, b| b.raised_at.cmp(&a.raised_at).then(b.id.cmp(&a.id)));
    list::trim_ticker(&mut alerts);
    let readings: Vec<(String, f64)> = s.sensors.iter().map(|r| (r.id.clone(), r.value)).collect();
    list::raise_peaks(&mut alerts, &readings);
    batch.snapshot_alerts = Some(alerts);
}

/// Every hazard back to its status in the file.
fn reset_hazards(state: AppState) {
    let file = CORE.with(|c| c.borrow().hazard_file.clone());
    if let Some(e) = state.entry(LayerId::Hazards) {
        with_points(&e, |p| {
            for (k, s0) in file.iter().enumerate() {
                if p.state.get(k) == Some(s0) {
                    continue;
                }
                if let Some(h) = pingan_model::domain::HazardStatus::from_index(*s0 as usize) {
                    p.set_point_state(k as u32, *s0, &[("status", serde_json::json!(h.code()))]);
                }
            }
        });
    }
}

fn apply_sensor(state: AppState, r: &SensorState) {
    if let Some(e) = state.entry(LayerId::Sensors) {
        with_points(&e, |p| {
            if let Some(k) = p.feature_key(&r.id) {
                // The style state is the level's position (normal, warn, alarm).
                p.set_point_state(k, r.level as u8, &[("value", serde_json::json!(r.value))]);
            }
        });
    }
}

fn apply_hazard(state: AppState, h: &HazardState) {
    if let Some(e) = state.entry(LayerId::Hazards) {
        with_points(&e, |p| {
            if let Some(k) = p.feature_key(&h.id) {
                p.set_point_state(
                    k,
                    h.status.index() as u8,
                    &[("status", serde_json::json!(h.status.code()))],
                );
            }
        });
    }
}

/// Whether a case event changes the layer: a known case always; an unknown
/// one only if reported inside the loaded window (a transition of a case
/// older than the window, or a report back-dated before it, is not part of
/// the layer).
pub fn case_belongs(known: bool, window_start: Option<i64>, reported_at: i64) -> bool {
    known || window_start.is_none_or(|w| reported_at >= w)
}

fn apply_event(state: AppState, e: &Event, batch: &mut Batch) {
    match &e.change {
        Change::CaseReported { case } | Change::CaseTransitioned { case, .. } => {
            let reported = matches!(e.change, Change::CaseReported { .. });
            let Some(entry) = state.entry(LayerId::Cases) else {
                return;
            };
            let rec = case.record();
            let now_s = now_s();
            let up = with_points(&entry, |p| {
                case_belongs(p.case_key(rec.id).is_some(), p.window_start, rec.time)
                    .then(|| p.upsert_case(rec, now_s))
            })
            .flatten();
            match up {
                None | Some(Upsert::NotCases) => {}
                Some(Upsert::Inserted(k)) => {
                    batch.cases.push((k, None, rec));
                    // The layer holds one more case in its window: its grid
                    // and subdistrict counts follow (as a reload would count).
                    count_case(state, rec.grid, case.subdistrict.as_deref());
                    if reported {
                        // Only a report is news; a transition of a case we
                        // did not hold is not.
                        pulse(data::world_of(case.lon, case.lat), "#ffe08a");
                    }
                }
                Some(Upsert::Updated(k, old)) => batch.cases.push((k, Some(old), rec)),
            }
        }
        Change::Readings { sensors } => {
            for r in sensors {
                apply_sensor(state, r);
                batch.readings.push((r.id.clone(), r.value));
            }
        }
        Change::Alert { alert, change } => {
            if matches!(change, AlertChange::Raised | AlertChange::Level) && alert.is_active() {
                pulse(
                    data::world_of(alert.lon, alert.lat),
                    if alert.level == Level::Alarm {
                        "#ff3b3b"
                    } else {
                        "#ffb020"
                    },
                );
            }
            batch.alerts.push(alert.clone());
        }
        Change::HazardStatus { hazard } => apply_hazard(state, hazard),
        // Nothing of the map's data: the wall's observer follows scenes.
        Change::Scene { .. } => {}
    }
}

/// One more case in `grid` and its subdistrict. The grid counts get a new
/// `Arc` (→ the base surface re-renders once) only when the grid's class
/// changes; otherwise the count changes in place (no copy).
fn count_case(state: AppState, grid: u16, subdistrict: Option<&str>) {
    let breaks = state.breaks.get_untracked();
    state.grid_counts.update_untracked(|counts| {
        let g = grid as usize;
        let Some(&c) = counts.get(g) else {
            return;
        };
        if data::count_changes_class(c, &breaks) {
            let mut next = (**counts).clone();
            next[g] += 1;
            *counts = Arc::new(next);
        } else {
            Arc::make_mut(counts)[g] += 1;
        }
    });
    state.admin.update_untracked(|a| {
        if let Some(i) = subdistrict.and_then(|n| a.index_of(n)) {
            Arc::make_mut(a).add(LayerId::Cases, i);
        }
    });
}

/// Starts a pulse at world point `at` that began at `t0` (performance
/// clock, ms; the wall's focused item, phased by the server's clock).
pub fn pulse_at(at: [f64; 2], colour: &'static str, t0: f64) {
    pulse_from(at, colour, t0);
}

fn pulse(at: [f64; 2], colour: &'static str) {
    pulse_from(at, colour, now_ms());
}

fn pulse_from(at: [f64; 2], colour: &'static str, t0: f64) {
    CORE.with(|c| {
        let mut c = c.borrow_mut();
        c.pulses.retain(|p| t0 - p.t0 < PULSE_MS);
        if c.pulses.len() < 64 {
            c.pulses.push(Pulse { at, t0, colour });
        }
    });
}

/// The pulses still running at `t` (ms, performance clock).
pub fn pulses(t: f64) -> Vec<Pulse> {
    CORE.with(|c| {
        let mut c = c.borrow_mut();
        c.pulses.retain(|p| t - p.t0 < PULSE_MS);
        c.pulses.clone()
    })
}

fn finish_batch(state: AppState, batch: Batch) {
    let cases = state.entry(LayerId::Cases);
    if !batch.cases.is_empty() {
        if let Some(e) = cases {
            let n = e.data.with_untracked(|d| d.as_ref().map(|d| d.len()));
            if let Some(n) = n {
                if batch.cases.iter().any(|c| c.1.is_none()) {
                    e.status.set(LoadStatus::Loaded(n));
                }
            }
            list::patch_rows(state, &batch.cases);
        }
    }
    if let Some(alerts) = batch.snapshot_alerts {
        state.live.alerts.set(alerts);
    }
    if !batch.alerts.is_empty() {
        state.live.alerts.update(|ticker| {
            for a in batch.alerts {
                ticker.retain(|x| x.id != a.id);
                let at = ticker
                    .iter()
                    .position(|x| (x.raised_at, x.id) < (a.raised_at, a.id))
                    .unwrap_or(ticker.len());
                ticker.insert(at, a);
            }
            list::trim_ticker(ticker);
        });
    }
    if !batch.readings.is_empty() {
        // Notifies the ticker only when a shown peak goes up.
        state
            .live
            .alerts
            .maybe_update(|ticker| list::raise_peaks(ticker, &batch.readings));
    }
    for t in batch.reload {
        if t == Topic::Cases {
            casefile::reload_cases(state);
        }
    }
    state.live.rev.update(|r| *r += 1);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_cases_of_the_loaded_window_join_the_layer() {
        // Known: always updated.
        assert!(case_belongs(true, Some(1_000), 10));
        // Unknown: only when reported inside the window.
        assert!(case_belongs(false, Some(1_000), 1_000));
        assert!(!case_belongs(false, Some(1_000), 999));
        // The static file has no window here: everything.
        assert!(case_belongs(false, None, 0));
    }
}
