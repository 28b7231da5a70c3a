//! The panels' lists: the alert ticker (every active alert plus the newest
//! cleared ones, peaks raised by readings) and the case list (the newest
//! `LIST_LEN` matching the filter, patched per event from the counts before
//! and after; rebuilt from the layer on load, a filter change, or to refill).

use crate::data::LayerData;
use crate::state::live::{CaseFilter, CaseRow, StatusFilter};
use crate::state::AppState;
use crate::web::time::now_s;
use leptos::prelude::*;
use pingan_model::cases::CaseRecord;
use pingan_model::layers::LayerId;
use pingan_model::live::Alert;
use std::sync::Arc;

/// Rows the list keeps (newest first).
pub const LIST_LEN: usize = 80;
/// Cleared alerts the ticker keeps (newest first). Active alerts are never
/// dropped from it (at most one per sensor, so they are bounded by the
/// sensor registry): an alarm that has lasted an hour must not be pushed out
/// by newer warnings, and the active count must be the true one.
pub const TICKER_CLEARED: usize = 40;

/// Trims the ticker (newest first) to every active alert plus the newest
/// [`TICKER_CLEARED`] cleared ones.
pub fn trim_ticker(list: &mut Vec<Alert>) {
    let mut cleared = 0;
    list.retain(|a| {
        a.is_active() || {
            cleared += 1;
            cleared <= TICKER_CLEARED
        }
    });
}

/// Whether a case passes the filter at `now`; `sub_of` gives a grid's subdistrict.
pub fn matches<'a>(
    f: &CaseFilter,
    c: &CaseRecord,
    now: i64,
    sub_of: impl Fn(u16) -> Option<&'a str>,
) -> bool {
    let status_ok = match f.status {
        StatusFilter::Open => c.status.is_open(),
        StatusFilter::Overdue => c.is_overdue(now),
        StatusFilter::All => true,
    };
    status_ok
        && f.category.is_none_or(|k| k == c.category)
        && f.subdistrict
            .as_deref()
            .is_none_or(|s| sub_of(c.grid) == Some(s))
}

/// Newest first: by report time, then id.
fn newer(a: &CaseRecord, b: &CaseRecord) -> std::cmp::Ordering {
    (b.time, b.id).cmp(&(a.time, a.id))
}

/// Active alerts show the highest of their peak and their sensor's latest
/// reading (the stream's alert events change only with the level). Returns
/// whether anything changed.
pub fn raise_peaks(alerts: &mut [Alert], readings: &[(String, f64)]) -> bool {
    let mut changed = false;
    for a in alerts.iter_mut().filter(|a| a.is_active()) {
        for (id, v) in readings {
            if *id == a.sensor && *v > a.peak {
                a.peak = *v;
                changed = true;
            }
        }
    }
    changed
}

/// A case inserted into or updated in the layer: its key, its record before
/// (`None`: new to the layer) and after.
pub type CaseChange = (u32, Option<CaseRecord>, CaseRecord);

/// The grid layer (a shared `Arc`: no copy), for grid → subdistrict lookups.
fn grids_layer(state: &AppState) -> Option<Arc<LayerData>> {
    state
        .entry(LayerId::Grids)
        .and_then(|e| e.data.get_untracked())
}

/// The subdistrict of grid `g`, read from the grid layer.
fn subdistrict_of(grids: Option<&LayerData>, g: u16) -> Option<&str> {
    match grids {
        Some(LayerData::Areas(a)) => a.features.get(g as usize)?.str_prop("subdistrict"),
        _ => None,
    }
}

/// Patches the list rows and the number of matching cases for changed
/// cases, without rescanning the layer: the count moves by whether each
/// case matches now minus whether it matched before; rows follow. Returns
/// the new count and whether the rows must be refilled from the layer (fewer
/// than `LIST_LEN` shown while more match: a shown case stopped matching).
pub fn patch_list(
    rows: &mut Vec<CaseRow>,
    matched: u32,
    changes: &[CaseChange],
    ok: impl Fn(&CaseRecord) -> bool,
) -> (u32, bool) {
    let mut m = matched as i64;
    for (key, old, rec) in changes {
        let was = old.as_ref().is_some_and(&ok);
        let is = ok(rec);
        m += is as i64 - was as i64;
        let pos = rows.iter().position(|r| r.key == *key);
        match (pos, is) {
            (Some(i), true) => {
                rows[i].rec = *rec;
                rows[i].fresh = true;
            }
            (Some(i), false) => {
                rows.remove(i);
            }
            (None, true) => {
                // New, or newly matching: at its place in time order.
                let at = rows
                    .iter()
                    .position(|r| newer(rec, &r.rec).is_le())
                    .unwrap_or(rows.len());
                if at < LIST_LEN {
                    rows.insert(
                        at,
                        CaseRow {
                            key: *key,
                            rec: *rec,
                            fresh: true,
                        },
                    );
                    rows.truncate(LIST_LEN);
                }
            }
            (None, false) => {}
        }
    }
    let m = m.max(0) as u32;
    let refill = rows.len() < LIST_LEN && m as usize > rows.len();
    (m, refill)
}

/// Updates the list for inserted and updated cases without rescanning the
/// layer (unless a shown row left and others match: then refilled).
pub(super) fn patch_rows(state: AppState, changes: &[CaseChange]) {
    let filter = state.live.filter.get_untracked();
    let grids = grids_layer(&state);
    let sub_of = |g: u16| subdistrict_of(grids.as_deref(), g);
    let now_s = now_s();
    let matched = state.live.matched.get_untracked();
    let mut out = (matched, false);
    state.live.rows.update(|rows| {
        out = patch_list(rows, matched, changes, |r| {
            matches(&filter, r, now_s, sub_of)
        });
    });
    if out.0 != matched {
        state.live.matched.set(out.0);
    }
    if out.1 {
        rebuild_rows(state);
    }
}

/// Rebuilds the list from the whole layer: on load, when the filter
/// changes (a user action), and to refill it after a shown case left it.
/// Rows that were highlighted stay so.
pub fn rebuild_rows(state: AppState) {
    let Some(e) = state.entry(LayerId::Cases) else {
        return;
    };
    let filter = state.live.filter.get_untracked();
    let grids = grids_layer(&state);
    let sub_of = |g: u16| subdistrict_of(grids.as_deref(), g);
    let now_s = now_s();
    let fresh: Vec<u32> = state
        .live
        .rows
        .with_untracked(|r| r.iter().filter(|r| r.fresh).map(|r| r.rec.id).collect());
    let (rows, matched) = e.data.with_untracked(|d| {
        let Some(LayerData::Points(p)) = d.as_deref() else {
            return (Vec::new(), 0);
        };
        let mut all: Vec<CaseRow> = p
            .cases()
            .iter()
            .enumerate()
            .filter(|(_, c)| matches(&filter, c, now_s, sub_of))
            .map(|(k, c)| CaseRow {
                key: k as u32,
                rec: *c,
                fresh: fresh.contains(&c.id),
            })
            .collect();
        let n = all.len() as u32;
        if all.len() > LIST_LEN {
            all.select_nth_unstable_by(LIST_LEN, |a, b| newer(&a.rec, &b.rec));
            all.truncate(LIST_LEN);
        }
        all.sort_by(|a, b| newer(&a.rec, &b.rec));
        (all, n)
    });
    state.live.rows.set(rows);
    state.live.matched.set(matched);
}

#[cfg(test)]
mod tests {
    use super::*;
    use pingan_model::domain::{CaseCategory, CaseStatus};
    use pingan_model::live::Level;

    #[test]
    fn the_ticker_keeps_every_active_alert_and_the_newest_cleared() {
        let alert = |id: u64, active: bool| Alert {
            id,
            sensor: format!("S{id:04}"),
            sensor_type: pingan_model::domain::SensorType::WaterLevel,
            level: Level::Warn,
            peak: 60.0,
            lon: 113.8,
            lat: 22.6,
            raised_at: 10_000 - id as i64,
            alarm_at_ms: None,
            cleared_at: (!active).then_some(20_000),
            acked_at: None,
            acked_by: None,
        };
        // Newest first: 100 cleared, then (older) 80 active ones.
        let mut list: Vec<Alert> = (0..100).map(|i| alert(i, false)).collect();
        list.extend((100..180).map(|i| alert(i, true)));
        trim_ticker(&mut list);
        assert_eq!(list.iter().filter(|a| a.is_active()).count(), 80);
        let cleared: Vec<u64> = list
            .iter()
            .filter(|a| !a.is_active())
            .map(|a| a.id)
            .collect();
        assert_eq!(cleared, (0..TICKER_CLEARED as u64).collect::<Vec<_>>());
        assert_eq!(list.first().map(|a| a.id), Some(0), "order kept");
    }

    #[test]
    fn the_list_filter_by_status_category_and_subdistrict() {
        let c = CaseRecord {
            id: 1,
            time: 1_000,
            lon: 113.8,
            lat: 22.6,
            grid: 3,
            category: CaseCategory::Dispute,
            status: CaseStatus::Reported,
            departments: Default::default(),
            deadline_hours: 1,
        };
        let sub = |g: u16| (g == 3).then_some("西乡街道");
        let mut f = CaseFilter::default();
        assert!(matches(&f, &c, 1_000, sub), "open");
        f.status = StatusFilter::Overdue;
        assert!(!matches(&f, &c, 1_000, sub));
        assert!(matches(&f, &c, 1_000 + 3_601, sub), "past its deadline");
        f.status = StatusFilter::All;
        f.category = Some(CaseCategory::ALL[1]);
        assert!(!matches(&f, &c, 1_000, sub));
        f.category = Some(CaseCategory::Dispute);
        f.subdistrict = Some("新安街道".into());
        assert!(!matches(&f, &c, 1_000, sub));
        f.subdistrict = Some("西乡街道".into());
        assert!(matches(&f, &c, 1_000, sub));
        let closed = CaseRecord {
            status: CaseStatus::Archived,
            ..c
        };
        f.status = StatusFilter::Open;
        assert!(!matches(&f, &closed, 1_000, sub));
        // Newest first, ties by id.
        let later = CaseRecord { time: 2_000, ..c };
        assert!(newer(&later, &c).is_lt());
    }

    fn case(id: u32, time: i64, status: CaseStatus) -> CaseRecord {
        CaseRecord {
            id,
            time,
            lon: 113.8,
            lat: 22.6,
            grid: 0,
            category: CaseCategory::Dispute,
            status,
            departments: Default::default(),
            deadline_hours: 24,
        }
    }

    #[test]
    fn the_list_count_follows_each_case_before_and_after() {
        use CaseStatus::*;
        let open = |r: &CaseRecord| r.status.is_open();
        // 100 open cases; the list shows the newest 80 (ids 100..=21).
        let all: Vec<CaseRecord> = (1..=100).map(|i| case(i, i as i64, Reported)).collect();
        let mut rows: Vec<CaseRow> = all
            .iter()
            .rev()
            .take(LIST_LEN)
            .map(|c| CaseRow {
                key: c.id - 1,
                rec: *c,
                fresh: false,
            })
            .collect();
        let mut m = 100;
        // An old case (not shown) closes: one fewer matches, rows unchanged.
        let ch = |k: u32, old: CaseRecord, s| (k, Some(old), CaseRecord { status: s, ..old });
        let (m2, refill) = patch_list(&mut rows, m, &[ch(4, all[4], Resolved)], open);
        assert_eq!((m2, refill, rows.len()), (99, false, LIST_LEN));
        m = m2;
        // A transition that keeps it open changes nothing in the count.
        let (m2, _) = patch_list(&mut rows, m, &[ch(5, all[5], Accepted)], open);
        assert_eq!(m2, 99);
        // A shown case closes: removed, and the list must be refilled.
        let (m2, refill) = patch_list(&mut rows, m, &[ch(90, all[90], Archived)], open);
        assert_eq!((m2, refill, rows.len()), (98, true, LIST_LEN - 1));
        assert!(rows.iter().all(|r| r.key != 90));
        m = m2;
        // A new case: counted and shown first.
        let new = case(101, 101, Reported);
        let (m2, _) = patch_list(&mut rows, m, &[(100, None, new)], open);
        assert_eq!((m2, rows[0].key, rows[0].fresh), (99, 100, true));
        // A closed case reopened (returned) while not shown: counted back.
        let closed = CaseRecord {
            status: Resolved,
            ..all[4]
        };
        let (m2, _) = patch_list(&mut rows, m2, &[ch(4, closed, Returned)], open);
        assert_eq!(m2, 100);
        // All shown and all matching: no refill.
        let mut few = vec![CaseRow {
            key: 0,
            rec: all[0],
            fresh: false,
        }];
        let (m2, refill) = patch_list(&mut few, 1, &[ch(0, all[0], Archived)], open);
        assert_eq!((m2, refill, few.len()), (0, false, 0));
    }

    #[test]
    fn active_alerts_show_their_sensors_latest_reading_when_higher() {
        use pingan_model::domain::SensorType;
        let a = Alert {
            id: 1,
            sensor: "S1".into(),
            sensor_type: SensorType::WaterLevel,
            level: Level::Warn,
            peak: 60.0,
            lon: 0.0,
            lat: 0.0,
            raised_at: 0,
            alarm_at_ms: None,
            cleared_at: None,
            acked_at: None,
            acked_by: None,
        };
        let cleared = Alert {
            id: 2,
            sensor: "S2".into(),
            cleared_at: Some(5),
            ..a.clone()
        };
        let mut list = vec![a, cleared];
        assert!(!raise_peaks(&mut list, &[("S1".into(), 55.0)]));
        assert!(raise_peaks(
            &mut list,
            &[("S1".into(), 80.0), ("S2".into(), 90.0)]
        ));
        assert_eq!((list[0].peak, list[1].peak), (80.0, 60.0));
    }
}
