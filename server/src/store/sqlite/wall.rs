//! The wall's state (`Store::wall_state`) read inside one read transaction:
//! cases open or recent, first closes from the histories (the partial index
//! `case_closes` of migration 6), alerts, sensors and hazards.

use super::rows::*;
use crate::store::error::StoreResult;
use crate::store::WallState;
use pingan_model::domain::{CaseStatus, HazardStatus, SensorType};
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

#[cfg(test)]
mod tests {
    #[test]
    fn the_closed_statuses_are_the_migrations() {
        // The partial index `case_closes` and the query name them literally.
        assert_eq!(super::closed_codes(), "'resolved', 'archived'");
    }
}
