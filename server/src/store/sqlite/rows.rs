//! How the live entities map to SQLite rows: the column lists, the row
//! decoders (codes checked, so a corrupt row is an error, not a panic) and
//! the inserts shared by commands and seeding.

use pingan_model::cases::{CaseRecord, DeptSet};
use pingan_model::domain::{CaseCategory, CaseStatus, Department, SensorType};
use pingan_model::live::{Alert, Case, Level, Scene, SceneFeature, SensorState, Seq, Transition};
use rusqlite::types::Type;
use rusqlite::{params, Connection, Row};

pub const CASE_COLS: &str = "id, category, lon, lat, grid, grid_index, community, subdistrict, description, reporter, status, departments, rule, reported_at, deadline, updated_at, photo";

pub fn depts_text(d: &[Department]) -> String {
    d.iter().map(|d| d.code()).collect::<Vec<_>>().join(",")
}

pub fn bad_column(idx: usize, what: String) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(idx, Type::Text, what.into())
}

/// A code column decoded with `from`.
pub fn coded<T>(row: &Row, idx: usize, from: fn(&str) -> Option<T>) -> rusqlite::Result<T> {
    let s: String = row.get(idx)?;
    from(&s).ok_or_else(|| bad_column(idx, format!("unknown code {s:?}")))
}

pub fn coded_opt<T>(
    row: &Row,
    idx: usize,
    from: fn(&str) -> Option<T>,
) -> rusqlite::Result<Option<T>> {
    let s: Option<String> = row.get(idx)?;
    match s {
        None => Ok(None),
        Some(s) => from(&s)
            .map(Some)
            .ok_or_else(|| bad_column(idx, format!("unknown code {s:?}"))),
    }
}

pub fn departments(row: &Row, idx: usize) -> rusqlite::Result<Vec<Department>> {
    let s: String = row.get(idx)?;
    s.split(',')
        .filter(|p| !p.is_empty())
        .map(|p| {
            Department::from_code(p)
                .ok_or_else(|| bad_column(idx, format!("unknown department {p:?}")))
        })
        .collect()
}

/// A case from a row selected with [`CASE_COLS`].
pub fn case_row(row: &Row) -> rusqlite::Result<Case> {
    let grid_index: Option<i64> = row.get(5)?;
    Ok(Case {
        id: row.get(0)?,
        category: coded(row, 1, CaseCategory::from_code)?,
        lon: row.get(2)?,
        lat: row.get(3)?,
        grid: row.get(4)?,
        grid_index: grid_index.and_then(|g| u16::try_from(g).ok()),
        community: row.get(6)?,
        subdistrict: row.get(7)?,
        description: row.get(8)?,
        reporter: row.get(9)?,
        status: coded(row, 10, CaseStatus::from_code)?,
        departments: departments(row, 11)?,
        rule: row.get(12)?,
        reported_at: row.get(13)?,
        deadline: row.get(14)?,
        updated_at: row.get(15)?,
        photo: row.get(16)?,
    })
}

pub fn insert_case(stmt: &mut rusqlite::Statement<'_>, c: &Case) -> rusqlite::Result<usize> {
    stmt.execute(params![
        c.id,
        c.category.code(),
        c.lon,
        c.lat,
        c.grid,
        c.grid_index,
        c.community,
        c.subdistrict,
        c.description,
        c.reporter,
        c.status.code(),
        depts_text(&c.departments),
        c.rule,
        c.reported_at,
        c.deadline,
        c.updated_at,
        c.photo,
    ])
}

pub fn insert_transition(
    stmt: &mut rusqlite::Statement<'_>,
    case_id: u32,
    t: &Transition,
    by: &crate::store::Actor,
) -> rusqlite::Result<usize> {
    stmt.execute(params![
        case_id,
        t.from.map(|s| s.code()),
        t.to.code(),
        t.at,
        t.by,
        t.note,
        by.kind(),
        by.account_name()
    ])
}

pub fn transition_row(row: &Row) -> rusqlite::Result<Transition> {
    Ok(Transition {
        from: coded_opt(row, 0, CaseStatus::from_code)?,
        to: coded(row, 1, CaseStatus::from_code)?,
        at: row.get(2)?,
        by: row.get(3)?,
        note: row.get(4)?,
    })
}

pub const SENSOR_COLS: &str = "id, type, value, at, level";

pub fn sensor_row(row: &Row) -> rusqlite::Result<SensorState> {
    Ok(SensorState {
        id: row.get(0)?,
        sensor_type: coded(row, 1, SensorType::from_code)?,
        value: row.get(2)?,
        at: row.get(3)?,
        level: coded(row, 4, Level::from_code)?,
    })
}

pub const ALERT_COLS: &str =
    "id, sensor, type, level, peak, lon, lat, raised_at, cleared_at, acked_at, acked_by, alarm_at_ms";

pub fn alert_row(row: &Row) -> rusqlite::Result<Alert> {
    let id: i64 = row.get(0)?;
    Ok(Alert {
        id: id as u64,
        sensor: row.get(1)?,
        sensor_type: coded(row, 2, SensorType::from_code)?,
        level: coded(row, 3, Level::from_code)?,
        peak: row.get(4)?,
        lon: row.get(5)?,
        lat: row.get(6)?,
        raised_at: row.get(7)?,
        cleared_at: row.get(8)?,
        acked_at: row.get(9)?,
        acked_by: row.get(10)?,
        alarm_at_ms: row.get(11)?,
    })
}

/// The columns of [`record_row`].
pub const RECORD_COLS: &str =
    "id, reported_at, lon, lat, grid_index, category, status, departments, deadline";

/// A case in the compact form; outside every grid: grid `u16::MAX` (as
/// `Case::record`).
pub fn record_row(row: &Row) -> rusqlite::Result<CaseRecord> {
    let time: i64 = row.get(1)?;
    let grid: Option<i64> = row.get(4)?;
    let deadline: i64 = row.get(8)?;
    Ok(CaseRecord {
        id: row.get(0)?,
        time,
        lon: row.get(2)?,
        lat: row.get(3)?,
        grid: match grid {
            None => u16::MAX,
            Some(g) => u16::try_from(g).map_err(|_| bad_column(4, format!("grid index {g}")))?,
        },
        category: coded(row, 5, CaseCategory::from_code)?,
        status: coded(row, 6, CaseStatus::from_code)?,
        departments: DeptSet::of(&departments(row, 7)?),
        deadline_hours: CaseRecord::deadline_hours(time, deadline),
    })
}

pub const SCENE_COLS: &str =
    "wall_group, lon, lat, zoom, layers, highlight_layer, highlight_id, duration_s, started_ms, by";

pub fn scene_row(row: &Row) -> rusqlite::Result<Scene> {
    let layers: String = row.get(4)?;
    let highlight = match (
        row.get::<_, Option<String>>(5)?,
        row.get::<_, Option<String>>(6)?,
    ) {
        (Some(layer), Some(id)) => Some(SceneFeature { layer, id }),
        _ => None,
    };
    let duration: Option<i64> = row.get(7)?;
    Ok(Scene {
        group: row.get(0)?,
        lon: row.get(1)?,
        lat: row.get(2)?,
        zoom: row.get(3)?,
        layers: layers
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        highlight,
        duration_s: match duration {
            None => None,
            Some(d) => {
                Some(u32::try_from(d).map_err(|_| bad_column(7, format!("duration_s {d}")))?)
            }
        },
        started_ms: row.get(8)?,
        by: row.get(9)?,
    })
}

pub fn head_of(conn: &Connection) -> rusqlite::Result<Seq> {
    let h: Option<i64> = conn.query_row("SELECT MAX(seq) FROM events", [], |r| r.get(0))?;
    Ok(h.unwrap_or(0).max(0) as Seq)
}

/// What is remembered under an idempotency key, from a row of
/// `SELECT fingerprint, request, status, body, at_ms FROM idempotency_keys`.
pub fn remembered_row(row: &Row) -> rusqlite::Result<crate::store::Remembered> {
    let fingerprint: Vec<u8> = row.get(0)?;
    let fingerprint: [u8; 32] = fingerprint.try_into().map_err(|v: Vec<u8>| {
        bad_column(0, format!("a fingerprint of {} bytes, not 32", v.len()))
    })?;
    let status: i64 = row.get(2)?;
    Ok(crate::store::Remembered {
        fingerprint,
        request: row.get(1)?,
        answer: crate::store::Answer {
            status: u16::try_from(status).map_err(|_| bad_column(2, format!("status {status}")))?,
            body: row.get(3)?,
        },
        at_ms: row.get(4)?,
    })
}

pub const REMEMBERED_SQL: &str = "SELECT fingerprint, request, status, body, at_ms
     FROM idempotency_keys WHERE account = ?1 AND key = ?2";

pub const PHOTO_COLS: &str = "id, mime, width, height, size, by, by_kind, by_account, at_ms";

/// A photo's description from a row selected with [`PHOTO_COLS`].
pub fn photo_row(row: &Row) -> rusqlite::Result<crate::store::PhotoMeta> {
    let side = |i: usize| -> rusqlite::Result<u32> {
        let v: i64 = row.get(i)?;
        u32::try_from(v).map_err(|_| bad_column(i, format!("a side of {v} pixels")))
    };
    let size: i64 = row.get(4)?;
    Ok(crate::store::PhotoMeta {
        id: row.get(0)?,
        mime: row.get(1)?,
        width: side(2)?,
        height: side(3)?,
        size: u64::try_from(size).map_err(|_| bad_column(4, format!("a size of {size}")))?,
        by: row.get(5)?,
        by_kind: row.get(6)?,
        by_account: row.get(7)?,
        at_ms: row.get(8)?,
    })
}
