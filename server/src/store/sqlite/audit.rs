//! The audit log and the store's epoch in SQLite: appending (inside a
//! command's transaction or alone), querying with filters, pruning past
//! retention. The table's triggers (`schema.rs`, migration 3) refuse any
//! update, and any delete of an entry at or after `meta.audit_cut`.

use crate::store::audit::{AuditEntry, AuditQuery, AuditRecord};
use crate::store::error::{StoreError, StoreResult};
use rusqlite::types::Value;
use rusqlite::{params, Connection};

/// Most entries one query returns.
pub const MAX_AUDIT: usize = 10_000;

pub fn append(conn: &Connection, e: &AuditEntry) -> StoreResult<()> {
    conn.prepare_cached(
        "INSERT INTO audit (at, actor, kind, role, action, target, origin, detail)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        e.at, e.actor, e.kind, e.role, e.action, e.target, e.from, e.detail
    ])?;
    Ok(())
}

pub fn query(conn: &Connection, q: &AuditQuery) -> StoreResult<Vec<AuditRecord>> {
    let mut sql = String::from(
        "SELECT id, at, actor, kind, role, action, target, origin, detail FROM audit WHERE 1 = 1",
    );
    let mut args: Vec<Value> = Vec::new();
    if let Some(since) = q.since {
        sql += " AND at >= ?";
        args.push(Value::Integer(since));
    }
    if let Some(until) = q.until {
        sql += " AND at < ?";
        args.push(Value::Integer(until));
    }
    if let Some(actor) = &q.actor {
        sql += " AND actor = ?";
        args.push(Value::Text(actor.clone()));
    }
    match q.action.as_deref().map(|a| (a, a.strip_suffix('*'))) {
        Some((_, Some(prefix))) => {
            // `user.*`: every action under the prefix (no LIKE: `_` is a wildcard there).
            sql += " AND substr(action, 1, ?) = ?";
            args.push(Value::Integer(prefix.chars().count() as i64));
            args.push(Value::Text(prefix.to_string()));
        }
        Some((exact, None)) => {
            sql += " AND action = ?";
            args.push(Value::Text(exact.to_string()));
        }
        None => {}
    }
    sql += " ORDER BY id DESC LIMIT ?";
    args.push(Value::Integer(q.limit.clamp(1, MAX_AUDIT) as i64));
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt
        .query_map(rusqlite::params_from_iter(args), |r| {
            Ok(AuditRecord {
                id: r.get(0)?,
                entry: AuditEntry {
                    at: r.get(1)?,
                    actor: r.get(2)?,
                    kind: r.get(3)?,
                    role: r.get(4)?,
                    action: r.get(5)?,
                    target: r.get(6)?,
                    from: r.get(7)?,
                    detail: r.get(8)?,
                },
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// Moves the prune cut to `at` (never back) and deletes the entries before it.
pub fn prune_before(conn: &mut Connection, at: i64) -> StoreResult<u64> {
    let tx = conn.transaction()?;
    tx.execute(
        "INSERT INTO meta (key, value) VALUES ('audit_cut', ?1)
         ON CONFLICT (key) DO UPDATE SET value = MAX(CAST(value AS INTEGER), ?1)",
        [at],
    )?;
    let n = tx.execute("DELETE FROM audit WHERE at < ?1", [at])?;
    tx.commit()?;
    Ok(n as u64)
}

pub fn epoch(conn: &Connection) -> StoreResult<String> {
    conn.prepare_cached("SELECT value FROM meta WHERE key = 'epoch'")?
        .query_row([], |r| r.get::<_, String>(0))
        .map_err(|e| StoreError::Backend(format!("the store has no epoch: {e}")))
}
