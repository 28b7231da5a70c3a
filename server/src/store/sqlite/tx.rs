//! [`SqliteTx`]: the store's transaction interface ([`Tx`]) over one SQLite
//! write transaction. It reads, writes and appends what the rules ask; it
//! decides nothing.

use super::rows::*;
use crate::store::audit::AuditEntry;
use crate::store::command::Actor;
use crate::store::error::{StoreError, StoreResult};
use crate::store::idempotency::{Answer, IdempotencyKey, Remembered};
use crate::store::photo::{NewPhoto, PhotoMeta};
use crate::store::tx::{SeedHazard, SeedSensor, SensorRow, Tx};
use pingan_model::domain::{CaseStatus, HazardStatus, SensorType};
use pingan_model::live::{Alert, Case, Event, HazardState, Level, Scene, Seq, Transition};
use rusqlite::{params, OptionalExtension};

/// [`Tx`] over one open SQLite write transaction. Statements are cached per
/// connection (`prepare_cached`), so a command costs no re-parsing.
pub struct SqliteTx<'a> {
    pub tx: &'a rusqlite::Transaction<'a>,
}

impl SqliteTx<'_> {
    /// A `SELECT MAX(…)`, 0 on an empty table.
    fn max_of(&self, sql: &str) -> StoreResult<i64> {
        let max: Option<i64> = self.tx.prepare_cached(sql)?.query_row([], |r| r.get(0))?;
        Ok(max.unwrap_or(0))
    }
}

impl Tx for SqliteTx<'_> {
    fn head(&mut self) -> StoreResult<Seq> {
        Ok(head_of(self.tx)?)
    }

    fn append(&mut self, event: &Event, by: &Actor) -> StoreResult<()> {
        let json = serde_json::to_string(event)
            .map_err(|e| StoreError::Backend(format!("serialising event: {e}")))?;
        self.tx
            .prepare_cached(
                "INSERT INTO events (seq, at_ms, topic, json, actor_kind, actor_account)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                event.seq as i64,
                event.at_ms,
                event.change.topic().code(),
                json,
                by.kind(),
                by.account_name()
            ])?;
        Ok(())
    }

    fn meta(&mut self, key: &str) -> StoreResult<Option<String>> {
        Ok(self
            .tx
            .prepare_cached("SELECT value FROM meta WHERE key = ?1")?
            .query_row([key], |r| r.get(0))
            .optional()?)
    }

    fn set_meta(&mut self, key: &str, value: &str) -> StoreResult<()> {
        self.tx
            .prepare_cached("INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)")?
            .execute(params![key, value])?;
        Ok(())
    }

    fn max_case_id(&mut self) -> StoreResult<i64> {
        self.max_of("SELECT MAX(id) FROM cases")
    }

    fn case(&mut self, id: u32) -> StoreResult<Option<Case>> {
        Ok(self
            .tx
            .prepare_cached(&format!("SELECT {CASE_COLS} FROM cases WHERE id = ?1"))?
            .query_row([id], case_row)
            .optional()?)
    }

    fn insert_case(&mut self, case: &Case) -> StoreResult<bool> {
        let mut stmt = self.tx.prepare_cached(&format!(
            "INSERT OR IGNORE INTO cases ({CASE_COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)"
        ))?;
        Ok(insert_case(&mut stmt, case)? == 1)
    }

    fn set_case_status(&mut self, id: u32, status: CaseStatus, at: i64) -> StoreResult<()> {
        self.tx
            .prepare_cached("UPDATE cases SET status = ?2, updated_at = ?3 WHERE id = ?1")?
            .execute(params![id, status.code(), at])?;
        Ok(())
    }

    fn add_transition(&mut self, case_id: u32, t: &Transition, by: &Actor) -> StoreResult<()> {
        let mut stmt = self.tx.prepare_cached(
            "INSERT INTO case_transitions (case_id, from_status, to_status, at, by, note, by_kind, by_account)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?;
        insert_transition(&mut stmt, case_id, t, by)?;
        Ok(())
    }

    fn sensor(&mut self, id: &str) -> StoreResult<Option<SensorRow>> {
        Ok(self
            .tx
            .prepare_cached("SELECT type, lon, lat, level FROM sensors WHERE id = ?1")?
            .query_row([id], |row| {
                Ok(SensorRow {
                    sensor_type: coded(row, 0, SensorType::from_code)?,
                    lon: row.get(1)?,
                    lat: row.get(2)?,
                    level: Level::from_code(&row.get::<_, String>(3)?).unwrap_or(Level::Normal),
                })
            })
            .optional()?)
    }

    fn insert_sensor(&mut self, s: &SeedSensor, at: i64) -> StoreResult<bool> {
        let n = self
            .tx
            .prepare_cached(
                "INSERT OR IGNORE INTO sensors (id, type, lon, lat, name, area, subdistrict, value, at, level)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )?
            .execute(params![
                s.id,
                s.sensor_type.code(),
                s.lon,
                s.lat,
                s.name,
                s.area,
                s.subdistrict,
                s.value,
                at,
                s.level.code(),
            ])?;
        Ok(n == 1)
    }

    fn set_reading(&mut self, id: &str, value: f64, at: i64, level: Level) -> StoreResult<()> {
        self.tx
            .prepare_cached("UPDATE sensors SET value = ?2, at = ?3, level = ?4 WHERE id = ?1")?
            .execute(params![id, value, at, level.code()])?;
        Ok(())
    }

    fn max_alert_id(&mut self) -> StoreResult<u64> {
        Ok(self.max_of("SELECT MAX(id) FROM alerts")?.max(0) as u64)
    }

    fn alert(&mut self, id: u64) -> StoreResult<Option<Alert>> {
        Ok(self
            .tx
            .prepare_cached(&format!("SELECT {ALERT_COLS} FROM alerts WHERE id = ?1"))?
            .query_row([id.min(i64::MAX as u64) as i64], alert_row)
            .optional()?)
    }

    fn active_alert(&mut self, sensor: &str) -> StoreResult<Option<Alert>> {
        Ok(self
            .tx
            .prepare_cached(&format!(
                "SELECT {ALERT_COLS} FROM alerts WHERE sensor = ?1 AND cleared_at IS NULL"
            ))?
            .query_row([sensor], alert_row)
            .optional()?)
    }

    fn insert_alert(&mut self, a: &Alert) -> StoreResult<()> {
        self.tx
            .prepare_cached(&format!(
                "INSERT INTO alerts ({ALERT_COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
            ))?
            .execute(params![
                a.id as i64,
                a.sensor,
                a.sensor_type.code(),
                a.level.code(),
                a.peak,
                a.lon,
                a.lat,
                a.raised_at,
                a.cleared_at,
                a.acked_at,
                a.acked_by,
                a.alarm_at_ms
            ])?;
        Ok(())
    }

    fn update_alert(&mut self, a: &Alert, acked: Option<&Actor>) -> StoreResult<()> {
        if let Some(by) = acked {
            self.tx
                .prepare_cached(
                    "UPDATE alerts SET acked_by_kind = ?2, acked_by_account = ?3 WHERE id = ?1",
                )?
                .execute(params![a.id as i64, by.kind(), by.account_name()])?;
        }
        self.tx
            .prepare_cached(
                "UPDATE alerts SET level = ?2, peak = ?3, cleared_at = ?4, acked_at = ?5, acked_by = ?6,
                 alarm_at_ms = ?7 WHERE id = ?1",
            )?
            .execute(params![
                a.id as i64,
                a.level.code(),
                a.peak,
                a.cleared_at,
                a.acked_at,
                a.acked_by,
                a.alarm_at_ms
            ])?;
        Ok(())
    }

    fn hazard_status(&mut self, id: &str) -> StoreResult<Option<HazardStatus>> {
        Ok(self
            .tx
            .prepare_cached("SELECT status FROM hazards WHERE id = ?1")?
            .query_row([id], |r| coded(r, 0, HazardStatus::from_code))
            .optional()?)
    }

    fn insert_hazard(&mut self, h: &SeedHazard) -> StoreResult<bool> {
        let n = self
            .tx
            .prepare_cached(
                "INSERT OR IGNORE INTO hazards (id, status, lon, lat, name, subdistrict)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                h.id,
                h.status.code(),
                h.lon,
                h.lat,
                h.name,
                h.subdistrict
            ])?;
        Ok(n == 1)
    }

    fn change_hazard(
        &mut self,
        h: &HazardState,
        from: HazardStatus,
        by: &Actor,
    ) -> StoreResult<()> {
        self.tx
            .prepare_cached(
                "UPDATE hazards SET status = ?2, changed_at = ?3, changed_by = ?4, note = ?5, photo = ?6
                 WHERE id = ?1",
            )?
            .execute(params![h.id, h.status.code(), h.at, h.by, h.note, h.photo])?;
        self.tx
            .prepare_cached(
                "INSERT INTO hazard_changes (hazard, from_status, to_status, at, by, note, by_kind, by_account, photo)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?
            .execute(params![
                h.id,
                from.code(),
                h.status.code(),
                h.at,
                h.by,
                h.note,
                by.kind(),
                by.account_name(),
                h.photo
            ])?;
        Ok(())
    }

    fn scene(&mut self, group: &str) -> StoreResult<Option<Scene>> {
        Ok(self
            .tx
            .prepare_cached(&format!(
                "SELECT {SCENE_COLS} FROM scenes WHERE wall_group = ?1"
            ))?
            .query_row([group], scene_row)
            .optional()?)
    }

    fn put_scene(&mut self, s: &Scene, by: &Actor) -> StoreResult<()> {
        self.tx
            .prepare_cached(
                "INSERT OR REPLACE INTO scenes (wall_group, lon, lat, zoom, layers, highlight_layer,
                   highlight_id, duration_s, started_ms, by, by_kind, by_account)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            )?
            .execute(params![
                s.group,
                s.lon,
                s.lat,
                s.zoom,
                s.layers.join(","),
                s.highlight.as_ref().map(|h| h.layer.as_str()),
                s.highlight.as_ref().map(|h| h.id.as_str()),
                s.duration_s,
                s.started_ms,
                s.by,
                by.kind(),
                by.account_name()
            ])?;
        Ok(())
    }

    fn delete_scene(&mut self, group: &str) -> StoreResult<bool> {
        let n = self
            .tx
            .prepare_cached("DELETE FROM scenes WHERE wall_group = ?1")?
            .execute([group])?;
        Ok(n == 1)
    }

    fn audit(&mut self, entry: &AuditEntry) -> StoreResult<()> {
        super::audit::append(self.tx, entry)
    }

    fn photo(&mut self, id: &str) -> StoreResult<Option<PhotoMeta>> {
        Ok(self
            .tx
            .prepare_cached(&format!("SELECT {PHOTO_COLS} FROM photos WHERE id = ?1"))?
            .query_row([id], photo_row)
            .optional()?)
    }

    fn insert_photo(&mut self, p: &NewPhoto, by: &Actor, at_ms: i64) -> StoreResult<bool> {
        let n = self
            .tx
            .prepare_cached(
                "INSERT OR IGNORE INTO photos
                   (id, mime, width, height, size, bytes, by, by_kind, by_account, at_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )?
            .execute(params![
                p.id,
                p.mime,
                p.width,
                p.height,
                p.data.len() as i64,
                p.data,
                by.name,
                by.kind(),
                by.account_name(),
                at_ms
            ])?;
        Ok(n == 1)
    }

    fn remembered(&mut self, account: &str, key: &str) -> StoreResult<Option<Remembered>> {
        Ok(self
            .tx
            .prepare_cached(REMEMBERED_SQL)?
            .query_row(params![account, key], remembered_row)
            .optional()?)
    }

    fn remember(&mut self, key: &IdempotencyKey, answer: &Answer, at_ms: i64) -> StoreResult<()> {
        self.tx
            .prepare_cached(
                "INSERT OR REPLACE INTO idempotency_keys
                   (account, key, fingerprint, request, status, body, at_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                key.account,
                key.key,
                &key.fingerprint[..],
                key.request,
                answer.status,
                answer.body,
                at_ms
            ])?;
        Ok(())
    }
}
