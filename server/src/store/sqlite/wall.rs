//! The wall's state (`Store::wall_state`) read inside one read transaction:
//! cases open or recent, first closes from the histories (the partial index
//! `case_closes` of migration 6), alerts, sensors and hazards; and the
//! urgent cases a wall loading takes the focus on (`Store::reported_since`,
//! from the event log: the cases table holds no acceptance time).

use super::rows::*;
use crate::store::error::StoreResult;
use crate::store::WallState;
use pingan_model::domain::{CaseStatus, HazardStatus, SensorType};
use pingan_model::live::{Case, Change, Event, Seq, Topic};
use rusqlite::Transaction;

/// The statuses of a closed case, as SQL (`'resolved', 'archived'`).
fn closed_codes() -> String {
    CaseStatus::ALL
        .iter()
        .filter(|s| !s.is_open())
        .map(|s| format!("'{}'", s.code()))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(super) fn read(tx: &Transaction<'_>, since: i64) -> StoreResult<WallState> {
    let seq = head_of(tx)?;
    let closed = closed_codes();
    let cases = tx
        .prepare_cached(&format!(
            "SELECT {RECORD_COLS} FROM cases
             WHERE reported_at >= ?1 OR updated_at >= ?1 OR status NOT IN ({closed})
             ORDER BY reported_at, id"
        ))?
        .query_map([since], record_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    // The partial index's WHERE must be the query's for SQLite to use it:
    // written out as in the migration.
    let closes = tx
        .prepare_cached(&format!(
            "SELECT t.case_id, MIN(t.at) AS first FROM case_transitions t
             WHERE t.to_status IN ('resolved', 'archived')
             GROUP BY t.case_id
             HAVING first >= ?1
                 OR t.case_id IN (SELECT id FROM cases WHERE status NOT IN ({closed}))"
        ))?
        .query_map([since], |r| Ok((r.get::<_, u32>(0)?, r.get::<_, i64>(1)?)))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let oldest_case: Option<i64> = tx
        .prepare_cached("SELECT MIN(reported_at) FROM cases")?
        .query_row([], |r| r.get(0))?;
    let alerts = tx
        .prepare_cached(&format!(
            "SELECT {ALERT_COLS} FROM alerts WHERE cleared_at IS NULL OR cleared_at >= ?1
             ORDER BY id"
        ))?
        .query_map([since], alert_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let sensors = tx
        .prepare_cached("SELECT id, type, at FROM sensors ORDER BY id")?
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                coded(r, 1, SensorType::from_code)?,
                r.get::<_, i64>(2)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let hazards = tx
        .prepare_cached("SELECT id, status, changed_at FROM hazards ORDER BY id")?
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                coded(r, 1, HazardStatus::from_code)?,
                r.get::<_, Option<i64>>(2)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(WallState {
        seq,
        cases,
        closes,
        oldest_case,
        alerts,
        sensors,
        hazards,
    })
}

/// `Store::reported_since`. One topic's events newest first through the
/// index `events_topic_seq` (migration 8: the day's sensor readings are
/// not read), stopping at the first accepted before `since_ms`: the server
/// stamps `at_ms` as it appends, so older events are older (a clock
/// stepped back by a few ms can only leave out a case at the window's very
/// edge). Transitions are told from reports without parsing them; an entry
/// that does not parse (a damaged row, a newer server's change) is logged
/// and skipped, not an error for a day.
pub(super) fn reported_since(
    tx: &Transaction<'_>,
    since_ms: i64,
    rules: &[String],
    limit: usize,
) -> StoreResult<(Seq, Vec<(i64, Case)>)> {
    let seq = head_of(tx)?;
    let mut out = Vec::new();
    if limit == 0 || rules.is_empty() {
        return Ok((seq, out));
    }
    let mut stmt = tx.prepare_cached(
        "SELECT seq, at_ms, json FROM events INDEXED BY events_topic_seq
         WHERE topic = ?1 AND seq <= ?2 ORDER BY topic DESC, seq DESC",
    )?;
    let mut rows = stmt.query(rusqlite::params![
        Topic::Cases.code(),
        seq.min(i64::MAX as u64) as i64
    ])?;
    while let Some(row) = rows.next()? {
        let at_ms: i64 = row.get(1)?;
        if at_ms < since_ms {
            break;
        }
        let json: String = row.get(2)?;
        if !json.contains("\"case_reported\"") {
            continue;
        }
        let e: Event = match serde_json::from_str(&json) {
            Ok(e) => e,
            Err(err) => {
                let at: i64 = row.get(0)?;
                tracing::warn!(seq = at, error = %err, "event log entry is not an event; skipped");
                continue;
            }
        };
        if let Change::CaseReported { case } = e.change {
            if case.rule.as_ref().is_some_and(|r| rules.contains(r)) {
                out.push((at_ms, case));
                if out.len() >= limit {
                    break;
                }
            }
        }
    }
    Ok((seq, out))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_closed_statuses_are_the_migrations() {
        // The partial index `case_closes` and the query name them literally.
        assert_eq!(super::closed_codes(), "'resolved', 'archived'");
    }
}
