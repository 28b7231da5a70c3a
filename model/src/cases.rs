//! Cases (events reported by grid workers) and their compact binary file
//! format, used for the year's history (~1,000,000 cases) and the recent window
//! the map loads. GeoJSON would be ~20× larger and far slower to parse.
//!
//! Format `PACS` version 1, all integers little-endian:
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 4 | magic `PACS` |
//! | 4 | 2 | version = 1 |
//! | 6 | 2 | record size = 24 |
//! | 8 | 4 | record count |
//! | 12 | 4 | grid count (grid indexes refer to the order of `grids.geojson`) |
//! | 16 | 8 | window start, Unix seconds (inclusive) |
//! | 24 | 8 | window end, Unix seconds (exclusive) |
//!
//! then `count` records of 24 bytes:
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 4 | id (u32) |
//! | 4 | 4 | reported at, Unix seconds (u32) |
//! | 8 | 4 | longitude × 10⁶ (i32) |
//! | 12 | 4 | latitude × 10⁶ (i32) |
//! | 16 | 2 | grid index (u16) |
//! | 18 | 1 | category index (`CaseCategory::ALL`) |
//! | 19 | 1 | status index (`CaseStatus::ALL`) |
//! | 20 | 2 | departments bit set (bit i = `Department::ALL[i]`) |
//! | 22 | 2 | deadline, hours after the report (u16) |

use crate::domain::{CaseCategory, CaseStatus, Department};
use serde::{Deserialize, Serialize};

pub const MAGIC: &[u8; 4] = b"PACS";
pub const VERSION: u16 = 1;
pub const HEADER_SIZE: usize = 32;
pub const RECORD_SIZE: usize = 24;

/// A set of departments, as a bit set over `Department::ALL`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DeptSet(pub u16);

impl DeptSet {
    pub fn of(depts: &[Department]) -> DeptSet {
        DeptSet(depts.iter().fold(0, |acc, d| acc | (1 << d.index())))
    }
    pub fn contains(self, d: Department) -> bool {
        self.0 & (1 << d.index()) != 0
    }
    pub fn iter(self) -> impl Iterator<Item = Department> {
        Department::ALL
            .iter()
            .copied()
            .filter(move |d| self.contains(*d))
    }
    pub fn len(self) -> usize {
        self.0.count_ones() as usize
    }
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

/// One case as stored in the compact format.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CaseRecord {
    pub id: u32,
    /// Unix seconds.
    pub time: i64,
    pub lon: f64,
    pub lat: f64,
    pub grid: u16,
    pub category: CaseCategory,
    pub status: CaseStatus,
    pub departments: DeptSet,
    pub deadline_hours: u16,
}

impl CaseRecord {
    /// The case number shown to people: `AJ` and eight digits.
    pub fn number(&self) -> String {
        format!("AJ{:08}", self.id)
    }
    /// Whole hours from a report to its deadline (rounded up, saturating):
    /// the inverse of [`CaseRecord::deadline`].
    pub fn deadline_hours(reported_at: i64, deadline: i64) -> u16 {
        let hours = ((deadline - reported_at).max(0) + 3599) / 3600;
        hours.min(u16::MAX as i64) as u16
    }
    /// Unix seconds of the deadline.
    pub fn deadline(&self) -> i64 {
        self.time + self.deadline_hours as i64 * 3600
    }
    /// Open past its deadline at `now`.
    pub fn is_overdue(&self, now: i64) -> bool {
        self.status.is_open() && now > self.deadline()
    }
}

/// A decoded case file.
#[derive(Clone, Debug, PartialEq)]
pub struct CaseFile {
    pub grid_count: u32,
    pub window_start: i64,
    pub window_end: i64,
    pub records: Vec<CaseRecord>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CaseFileError {
    #[error("not a case file: expected magic \"PACS\"")]
    BadMagic,
    #[error("case file is {0} bytes, shorter than its {HEADER_SIZE}-byte header")]
    NoHeader(usize),
    #[error("unsupported case file version {version} (record size {record_size}); this build reads version {VERSION}")]
    Unsupported { version: u16, record_size: u16 },
    #[error("case file declares {declared} records ({expected} bytes) but holds {found} bytes")]
    Length {
        declared: u32,
        expected: u64,
        found: usize,
    },
    #[error("case record {index} (id {id}): {problem}")]
    Record {
        index: usize,
        id: u32,
        problem: String,
    },
}

fn coord_to_i32(v: f64) -> i32 {
    (v * 1e6).round() as i32
}

/// Encodes records into the compact format.
pub fn encode(file: &CaseFile) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_SIZE + RECORD_SIZE * file.records.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&(RECORD_SIZE as u16).to_le_bytes());
    out.extend_from_slice(&(file.records.len() as u32).to_le_bytes());
    out.extend_from_slice(&file.grid_count.to_le_bytes());
    out.extend_from_slice(&file.window_start.to_le_bytes());
    out.extend_from_slice(&file.window_end.to_le_bytes());
    for r in &file.records {
        out.extend_from_slice(&r.id.to_le_bytes());
        out.extend_from_slice(&(r.time.clamp(0, u32::MAX as i64) as u32).to_le_bytes());
        out.extend_from_slice(&coord_to_i32(r.lon).to_le_bytes());
        out.extend_from_slice(&coord_to_i32(r.lat).to_le_bytes());
        out.extend_from_slice(&r.grid.to_le_bytes());
        out.push(r.category.index() as u8);
        out.push(r.status.index() as u8);
        out.extend_from_slice(&r.departments.0.to_le_bytes());
        out.extend_from_slice(&r.deadline_hours.to_le_bytes());
    }
    out
}

fn u16_at(b: &[u8], i: usize) -> u16 {
    u16::from_le_bytes([b[i], b[i + 1]])
}
fn u32_at(b: &[u8], i: usize) -> u32 {
    u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]])
}
fn i64_at(b: &[u8], i: usize) -> i64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[i..i + 8]);
    i64::from_le_bytes(a)
}

/// Decodes and validates a case file. Every record is checked: codes in
/// range, coordinates valid, grid index below the grid count.
pub fn decode(bytes: &[u8]) -> Result<CaseFile, CaseFileError> {
    if bytes.len() < 4 || &bytes[..4] != MAGIC {
        return Err(CaseFileError::BadMagic);
    }
    if bytes.len() < HEADER_SIZE {
        return Err(CaseFileError::NoHeader(bytes.len()));
    }
    let version = u16_at(bytes, 4);
    let record_size = u16_at(bytes, 6);
    if version != VERSION || record_size as usize != RECORD_SIZE {
        return Err(CaseFileError::Unsupported {
            version,
            record_size,
        });
    }
    let declared = u32_at(bytes, 8);
    // In u64: on wasm32 `usize` is 32 bits and a crafted count would wrap.
    let expected = HEADER_SIZE as u64 + declared as u64 * RECORD_SIZE as u64;
    if bytes.len() as u64 != expected {
        return Err(CaseFileError::Length {
            declared,
            expected,
            found: bytes.len(),
        });
    }
    let grid_count = u32_at(bytes, 12);
    let window_start = i64_at(bytes, 16);
    let window_end = i64_at(bytes, 24);
    let mut records = Vec::with_capacity(declared as usize);
    for (index, r) in bytes[HEADER_SIZE..].chunks_exact(RECORD_SIZE).enumerate() {
        let id = u32_at(r, 0);
        let bad = |problem: String| CaseFileError::Record { index, id, problem };
        let lon = u32_at(r, 8) as i32 as f64 / 1e6;
        let lat = u32_at(r, 12) as i32 as f64 / 1e6;
        if !(-180.0..=180.0).contains(&lon) || !(-90.0..=90.0).contains(&lat) {
            return Err(bad(format!("position [{lon}, {lat}] out of range")));
        }
        let grid = u16_at(r, 16);
        if grid as u32 >= grid_count {
            return Err(bad(format!("grid index {grid} ≥ grid count {grid_count}")));
        }
        let category = CaseCategory::from_index(r[18] as usize)
            .ok_or_else(|| bad(format!("category index {} out of range", r[18])))?;
        let status = CaseStatus::from_index(r[19] as usize)
            .ok_or_else(|| bad(format!("status index {} out of range", r[19])))?;
        let departments = DeptSet(u16_at(r, 20));
        if departments.0 >> Department::ALL.len() != 0 {
            return Err(bad(format!(
                "department bits {:#06x} name unknown departments",
                departments.0
            )));
        }
        records.push(CaseRecord {
            id,
            time: u32_at(r, 4) as i64,
            lon,
            lat,
            grid,
            category,
            status,
            departments,
            deadline_hours: u16_at(r, 22),
        });
    }
    Ok(CaseFile {
        grid_count,
        window_start,
        window_end,
        records,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> CaseFile {
        CaseFile {
            grid_count: 10,
            window_start: 1_790_000_000,
            window_end: 1_792_592_000,
            records: vec![
                CaseRecord {
                    id: 1,
                    time: 1_790_000_100,
                    lon: 113.881234,
                    lat: 22.561234,
                    grid: 9,
                    category: CaseCategory::Dispute,
                    status: CaseStatus::InProgress,
                    departments: DeptSet::of(&[
                        Department::Police,
                        Department::Court,
                        Department::Judicial,
                    ]),
                    deadline_hours: 72,
                },
                CaseRecord {
                    id: 2,
                    time: 1_790_000_200,
                    lon: 113.9,
                    lat: 22.7,
                    grid: 0,
                    category: CaseCategory::PublicFacilities,
                    status: CaseStatus::Archived,
                    departments: DeptSet::of(&[Department::Ecology]),
                    deadline_hours: 24,
                },
            ],
        }
    }

    #[test]
    fn round_trip() {
        let f = sample();
        let bytes = encode(&f);
        assert_eq!(bytes.len(), HEADER_SIZE + 2 * RECORD_SIZE);
        assert_eq!(decode(&bytes).unwrap(), f);
        let d = f.records[0].departments;
        assert_eq!(
            d.iter().collect::<Vec<_>>(),
            vec![Department::Police, Department::Court, Department::Judicial]
        );
        assert_eq!(d.len(), 3);
        assert_eq!(f.records[0].number(), "AJ00000001");
        assert!(f.records[0].is_overdue(1_790_000_100 + 73 * 3600));
        assert!(
            !f.records[1].is_overdue(i64::MAX / 2),
            "archived cases are never overdue"
        );
    }

    #[test]
    fn rejects_corrupt_files() {
        let good = encode(&sample());
        assert_eq!(decode(b"{\"type\":1}"), Err(CaseFileError::BadMagic));
        assert_eq!(decode(&good[..20]), Err(CaseFileError::NoHeader(20)));
        assert!(matches!(
            decode(&good[..good.len() - 1]),
            Err(CaseFileError::Length { declared: 2, .. })
        ));
        let mut bad = good.clone();
        bad[HEADER_SIZE + 18] = 13; // category out of range
        assert_eq!(
            decode(&bad).unwrap_err().to_string(),
            "case record 0 (id 1): category index 13 out of range"
        );
        let mut bad = good.clone();
        bad[HEADER_SIZE + RECORD_SIZE + 16] = 10; // grid 10 of 10
        assert!(decode(&bad)
            .unwrap_err()
            .to_string()
            .contains("grid index 10"));
        // A count whose byte length wraps a 32-bit usize (0x0AAAAAAB × 24 + 32 ≡ 40 mod 2³²)
        // must be rejected, not trusted for an allocation.
        let mut wrap = good[..HEADER_SIZE].to_vec();
        wrap[8..12].copy_from_slice(&0x0AAA_AAABu32.to_le_bytes());
        wrap.extend_from_slice(&[0u8; 8]);
        assert_eq!(wrap.len(), 40);
        assert!(matches!(
            decode(&wrap),
            Err(CaseFileError::Length {
                declared: 0x0AAA_AAAB,
                ..
            })
        ));
        let mut bad = good;
        bad[4] = 2;
        assert!(matches!(
            decode(&bad),
            Err(CaseFileError::Unsupported { version: 2, .. })
        ));
    }
}
