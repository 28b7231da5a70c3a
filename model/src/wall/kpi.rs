//! The wall's KPI band: cases today (reported, closed, open, overdue) with
//! the same weekday's mean over the last 4 weeks, active alerts by level,
//! hazards open / rectifying / rectified this year, sensors reporting vs
//! silent — and the cases per hour of the last 24 h against the typical day.
//!
//! [`Kpis::compute`] takes plain slices (what the server reads from its store
//! under one seq); [`Kpis::apply`] moves the figures on by one stream event,
//! and [`Kpis::refresh`] by time alone (a deadline passes, a sensor falls
//! silent, midnight, new year). Both work on the same [`KpiBasis`], which the
//! figures are always derived from, and which travels with them in
//! `GET /api/kpi`: an app that loads the figures at a seq and applies every
//! later event shows what a recomputation at the newer seq shows
//! (`model/tests/wall_kpi.rs` checks it on generated sequences).
//!
//! Definitions (docs/wall.md):
//! - Days are CST days ([`cst_day`]). *Reported today*: reported since CST
//!   midnight. *Closed today*: cases first closed (resolved or archived)
//!   today; a case reopened after a failed check is open again and is not
//!   counted again when it closes a second time. *Open*: not resolved or
//!   archived; *overdue*: open and past its deadline (whole hours, as
//!   [`CaseRecord::deadline`]).
//! - *Typical*: the mean of the same weekday's counts 7, 14, 21 and 28 days
//!   ago, over the weeks the case history covers (`weeks` says how many).
//! - *Rectified this year*: status rectified, rectified in this CST year;
//!   the time of a live status change, else (generated data has no
//!   rectification date) the date the hazard was found.
//! - *Silent*: no reading for [`SILENT_INTERVALS`] of the sensor type's
//!   [`reporting_interval_s`] (or never a reading).

use crate::cases::CaseRecord;
use crate::domain::{HazardStatus, SensorType};
use crate::live::{Alert, Change, Event, Level, Seq};
use crate::time::{cst, CST_OFFSET};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Weeks back the typical count looks.
pub const TYPICAL_WEEKS: i64 = 4;
/// Days of per-day counts kept: today and the 28 before it.
pub const DAYS_KEPT: i64 = TYPICAL_WEEKS * 7;
/// A sensor is silent after this many of its intervals without a reading.
pub const SILENT_INTERVALS: i64 = 3;
const DAY: i64 = 86_400;

/// The longest a working sensor of a type goes between two readings, in
/// seconds (the gateways' schedule; the simulator reports every quiet sensor
/// every 60 ± 5 s and active ones every 10 s, well inside these).
pub fn reporting_interval_s(t: SensorType) -> i64 {
    match t {
        SensorType::WaterLevel => 300,
        SensorType::Rainfall => 300,
        SensorType::Gas => 60,
        SensorType::Smoke => 300,
        SensorType::SlopeMovement => 600,
        SensorType::Strain => 600,
        SensorType::AirQuality => 3600,
        SensorType::TrafficFlow => 300,
    }
}

/// Whether a sensor whose last reading was at `last_at` is silent at `now`.
pub fn is_silent(t: SensorType, last_at: Option<i64>, now: i64) -> bool {
    match last_at {
        None => true,
        Some(at) => now - at >= SILENT_INTERVALS * reporting_interval_s(t),
    }
}

/// The CST day of a Unix time: days since 1970-01-01 (CST).
pub fn cst_day(unix: i64) -> i64 {
    (unix + CST_OFFSET).div_euclid(DAY)
}

/// Today's cases.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CaseKpis {
    pub reported: u32,
    pub closed: u32,
    pub open: u32,
    pub overdue: u32,
    pub typical: Typical,
}

/// The same weekday's mean over the last weeks.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Typical {
    pub reported: f64,
    pub closed: f64,
    /// Weeks the mean is over (0–4: fewer while the history is short).
    pub weeks: u32,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertKpis {
    pub warn: u32,
    pub alarm: u32,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HazardKpis {
    pub open: u32,
    pub rectifying: u32,
    pub rectified_this_year: u32,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SensorKpis {
    pub reporting: u32,
    pub silent: u32,
}

/// A sensor as the KPIs need it: its type and the time of its latest reading.
#[derive(Clone, Debug, PartialEq)]
pub struct SensorIn {
    pub id: String,
    pub sensor_type: SensorType,
    /// Unix seconds; `None`: no reading yet.
    pub last_at: Option<i64>,
}

/// A hazard as the KPIs and the safety index need it.
#[derive(Clone, Debug, PartialEq)]
pub struct HazardIn {
    pub id: String,
    pub status: HazardStatus,
    /// Unix seconds of the day it was found (`found` in hazards.geojson).
    pub found: i64,
    /// Unix seconds of its latest live status change, if any.
    pub changed_at: Option<i64>,
    /// Index of its subdistrict in the safety index's list (unused by KPIs).
    pub area: Option<usize>,
}

impl HazardIn {
    /// When it was rectified, as far as known (see the module docs).
    pub fn rectified_at(&self) -> Option<i64> {
        (self.status == HazardStatus::Rectified).then(|| self.changed_at.unwrap_or(self.found))
    }
}

/// What [`Kpis::compute`] reads, at one seq.
#[derive(Clone, Copy, Debug)]
pub struct KpiInputs<'a> {
    /// The seq the slices are at (events at or below it are in them).
    pub seq: Seq,
    /// Every open case, and every case reported in the last 28 days.
    pub cases: &'a [CaseRecord],
    /// (case id, when it was first closed) for the cases closed in the last
    /// 28 days, or all; also for open cases closed before (reopened).
    pub closes: &'a [(u32, i64)],
    /// Unix seconds where the case history starts (days before it are not
    /// in the typical): the oldest case's CST midnight, or the case file's
    /// window start.
    pub history_from: i64,
    /// Alerts; the active ones count.
    pub alerts: &'a [Alert],
    pub sensors: &'a [SensorIn],
    pub hazards: &'a [HazardIn],
}

/// The KPI figures at `at`, and the basis they are derived from.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Kpis {
    /// The last event the figures contain.
    pub seq: Seq,
    /// Unix seconds the time-dependent figures (overdue, silent, today) are for.
    pub at: i64,
    pub cases: CaseKpis,
    pub alerts_active: AlertKpis,
    pub hazards: HazardKpis,
    pub sensors: SensorKpis,
    /// What [`Kpis::apply`] needs to move the figures on exactly.
    #[serde(default)]
    pub basis: KpiBasis,
}

/// The state the figures are derived from (compact: a few hundred KB of
/// JSON at most, ~30 KB gzipped for Bao'an's data).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct KpiBasis {
    /// The CST day of the figures.
    today: i64,
    /// The first CST day the case history covers.
    history_from_day: i64,
    /// [reported, first closed] per CST day, today − 28 … (today).
    days: BTreeMap<i64, [u32; 2]>,
    /// Open case → its deadline (Unix seconds).
    open: BTreeMap<u32, i64>,
    /// Open cases that were closed before.
    reopened: BTreeSet<u32>,
    /// Active alert → its level.
    alerts: BTreeMap<u64, Level>,
    /// Sensor → (type, latest reading).
    sensors: BTreeMap<String, (SensorType, Option<i64>)>,
    hazards: HazardBook,
}

/// Every hazard's status in one character (`o` open, `r` rectifying, `R`
/// rectified in `year`, `.` rectified before), at index n − 1 for the id
/// `YH` + n in six digits (the generator's ids: 22,000 hazards in 22 KB of
/// JSON that gzips to a few KB); hazards with other ids in `other`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct HazardBook {
    /// The CST year `R` refers to.
    year: i64,
    /// One ASCII character per hazard (a book read from elsewhere with any
    /// other is refused: `set` replaces one byte).
    #[serde(deserialize_with = "ascii_marks")]
    marks: String,
    other: BTreeMap<String, char>,
}

fn ascii_marks<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let s = String::deserialize(d)?;
    if s.is_ascii() {
        Ok(s)
    } else {
        Err(serde::de::Error::custom(
            "hazard marks: one ASCII character per hazard",
        ))
    }
}

const NO_HAZARD: char = ' ';
/// Ids above this go to `other` (no huge strings from a strange id).
const MAX_BOOK_INDEX: usize = 100_000;

fn book_index(id: &str) -> Option<usize> {
    let digits = id.strip_prefix("YH")?;
    if digits.len() != 6 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: usize = digits.parse().ok()?;
    (1..=MAX_BOOK_INDEX).contains(&n).then(|| n - 1)
}

fn mark(status: HazardStatus, rectified_at: Option<i64>, year: i64) -> char {
    match status {
        HazardStatus::Open => 'o',
        HazardStatus::Rectifying => 'r',
        HazardStatus::Rectified => {
            if rectified_at.is_some_and(|t| cst(t).year == year) {
                'R'
            } else {
                '.'
            }
        }
    }
}

impl HazardBook {
    fn set(&mut self, id: &str, m: char) {
        match book_index(id) {
            Some(i) => {
                if self.marks.len() <= i {
                    let pad = i + 1 - self.marks.len();
                    self.marks.extend(std::iter::repeat_n(NO_HAZARD, pad));
                }
                let mut buf = [0u8; 4];
                self.marks.replace_range(i..i + 1, m.encode_utf8(&mut buf));
            }
            None => {
                self.other.insert(id.to_string(), m);
            }
        }
    }
    /// A new CST year: last year's rectified are "before".
    fn roll_to(&mut self, year: i64) {
        if year > self.year {
            if self.marks.contains('R') {
                self.marks = self.marks.replace('R', ".");
            }
            for m in self.other.values_mut() {
                if *m == 'R' {
                    *m = '.';
                }
            }
        }
        self.year = year;
    }
    fn counts(&self) -> HazardKpis {
        let mut k = HazardKpis::default();
        let marks = self.marks.bytes().map(char::from);
        for m in marks.chain(self.other.values().copied()) {
            match m {
                'o' => k.open += 1,
                'r' => k.rectifying += 1,
                'R' => k.rectified_this_year += 1,
                _ => {}
            }
        }
        k
    }
}

impl Kpis {
    /// The figures at `now` from the state at `inputs.seq`.
    pub fn compute(inputs: &KpiInputs, now: i64) -> Kpis {
        let today = cst_day(now);
        let from = today - DAYS_KEPT;
        let mut b = KpiBasis {
            today,
            history_from_day: cst_day(inputs.history_from),
            ..KpiBasis::default()
        };
        for r in inputs.cases {
            let d = cst_day(r.time);
            if d >= from {
                b.days.entry(d).or_default()[0] += 1;
            }
            if r.status.is_open() {
                b.open.insert(r.id, r.deadline());
            }
        }
        for &(id, at) in inputs.closes {
            let d = cst_day(at);
            if d >= from {
                b.days.entry(d).or_default()[1] += 1;
            }
            if b.open.contains_key(&id) {
                b.reopened.insert(id);
            }
        }
        for a in inputs.alerts.iter().filter(|a| a.is_active()) {
            b.alerts.insert(a.id, a.level);
        }
        for s in inputs.sensors {
            b.sensors.insert(s.id.clone(), (s.sensor_type, s.last_at));
        }
        let year = cst(now).year;
        b.hazards.year = year;
        for h in inputs.hazards {
            b.hazards.set(&h.id, mark(h.status, h.rectified_at(), year));
        }
        let mut k = Kpis {
            seq: inputs.seq,
            basis: b,
            ..Kpis::default()
        };
        k.refresh(now);
        k
    }

    /// Moves the figures on by one event (events at or below `seq` are
    /// already in them and change nothing: returns false), then to `now`.
    pub fn apply(&mut self, event: &Event, now: i64) -> bool {
        if event.seq <= self.seq {
            return false;
        }
        self.seq = event.seq;
        self.roll(now);
        let from = self.basis.today - DAYS_KEPT;
        let b = &mut self.basis;
        match &event.change {
            Change::CaseReported { case } => {
                let d = cst_day(case.reported_at);
                if d >= from {
                    b.days.entry(d).or_default()[0] += 1;
                }
                if case.status.is_open() {
                    b.open.insert(case.id, case.record().deadline());
                }
            }
            Change::CaseTransitioned { case, transition } => {
                let was_open = transition
                    .from
                    .map_or(b.open.contains_key(&case.id), |s| s.is_open());
                let is_open = case.status.is_open();
                if is_open {
                    b.open.insert(case.id, case.record().deadline());
                    if !was_open {
                        b.reopened.insert(case.id);
                    }
                } else if was_open {
                    b.open.remove(&case.id);
                    if !b.reopened.remove(&case.id) {
                        let d = cst_day(transition.at);
                        if d >= from {
                            b.days.entry(d).or_default()[1] += 1;
                        }
                    }
                }
            }
            Change::Readings { sensors } => {
                for s in sensors {
                    b.sensors.insert(s.id.clone(), (s.sensor_type, Some(s.at)));
                }
            }
            Change::Alert { alert, .. } => {
                if alert.is_active() {
                    b.alerts.insert(alert.id, alert.level);
                } else {
                    b.alerts.remove(&alert.id);
                }
            }
            Change::HazardStatus { hazard } => {
                let year = b.hazards.year;
                b.hazards
                    .set(&hazard.id, mark(hazard.status, Some(hazard.at), year));
            }
            Change::Scene { .. } => {}
        }
        self.refresh(now);
        true
    }

    fn roll(&mut self, now: i64) {
        let b = &mut self.basis;
        b.today = cst_day(now);
        let from = b.today - DAYS_KEPT;
        b.days.retain(|d, _| *d >= from);
        b.hazards.roll_to(cst(now).year);
    }

    /// The figures at `now` (a deadline passes, a sensor falls silent, a
    /// new day or year begins), with no event.
    pub fn refresh(&mut self, now: i64) {
        self.roll(now);
        self.at = now;
        let b = &self.basis;
        let day = |d: i64| b.days.get(&d).copied().unwrap_or_default();
        let [reported, closed] = day(b.today);
        let mut typical = Typical::default();
        for k in 1..=TYPICAL_WEEKS {
            let d = b.today - 7 * k;
            if d >= b.history_from_day {
                let [r, c] = day(d);
                typical.reported += f64::from(r);
                typical.closed += f64::from(c);
                typical.weeks += 1;
            }
        }
        if typical.weeks > 0 {
            typical.reported /= f64::from(typical.weeks);
            typical.closed /= f64::from(typical.weeks);
        }
        self.cases = CaseKpis {
            reported,
            closed,
            open: b.open.len() as u32,
            overdue: b.open.values().filter(|dl| now > **dl).count() as u32,
            typical,
        };
        let mut alerts = AlertKpis::default();
        for l in b.alerts.values() {
            match l {
                Level::Warn => alerts.warn += 1,
                Level::Alarm => alerts.alarm += 1,
                Level::Normal => {}
            }
        }
        self.alerts_active = alerts;
        let silent = b
            .sensors
            .values()
            .filter(|(t, last)| is_silent(*t, *last, now))
            .count() as u32;
        self.sensors = SensorKpis {
            reporting: b.sensors.len() as u32 - silent,
            silent,
        };
        self.hazards = b.hazards.counts();
    }

    /// The figures without the basis (for comparing and showing).
    pub fn figures(&self) -> Kpis {
        Kpis {
            basis: KpiBasis::default(),
            ..self.clone()
        }
    }
}

/// Cases per hour over the last 24 hours (the last is the hour under way)
/// against the typical day: the mean of the same hours over the days before
/// (up to 28, those the history covers).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HourlyFlow {
    /// Unix seconds where the first hour starts.
    pub start: i64,
    pub counts: [u32; 24],
    pub typical: [f64; 24],
    /// Days the typical is the mean of.
    pub days: u32,
}

/// The hourly flow at `now` from case records (the 30 days the app holds).
pub fn hourly_flow(cases: &[CaseRecord], now: i64, history_from: i64) -> HourlyFlow {
    let start = now.div_euclid(3600) * 3600 - 23 * 3600;
    let end = start + DAY;
    let days = (1..=DAYS_KEPT)
        .take_while(|k| start - k * DAY >= history_from)
        .count() as i64;
    let typical_from = start - days * DAY;
    let mut counts = [0u32; 24];
    let mut typical = [0f64; 24];
    for r in cases {
        if (start..end).contains(&r.time) {
            counts[((r.time - start) / 3600) as usize] += 1;
        } else if (typical_from..start).contains(&r.time) {
            typical[((r.time - typical_from).rem_euclid(DAY) / 3600) as usize] += 1.0;
        }
    }
    if days > 0 {
        for t in &mut typical {
            *t /= days as f64;
        }
    }
    HourlyFlow {
        start,
        counts,
        typical,
        days: days as u32,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_hazard_book_with_other_than_ascii_marks_is_refused() {
        let ok: super::HazardBook =
            serde_json::from_str(r#"{"year":2026,"marks":"or.R","other":{}}"#).unwrap();
        assert_eq!(ok.marks, "or.R");
        let bad =
            serde_json::from_str::<super::HazardBook>(r#"{"year":2026,"marks":"o平r","other":{}}"#);
        assert!(bad.is_err(), "{bad:?}");
        // A book built here keeps one byte per hazard: a change lands on its own place.
        let mut book = ok;
        book.set("YH000002", 'R');
        assert_eq!(book.marks, "oR.R");
    }
    use super::*;
    use crate::cases::DeptSet;
    use crate::domain::{CaseCategory, CaseStatus};
    use crate::time::cst_midnight;

    fn rec(id: u32, time: i64, status: CaseStatus, hours: u16) -> CaseRecord {
        CaseRecord {
            id,
            time,
            lon: 113.9,
            lat: 22.6,
            grid: 0,
            category: CaseCategory::Dispute,
            status,
            departments: DeptSet::default(),
            deadline_hours: hours,
        }
    }

    fn inputs<'a>(
        cases: &'a [CaseRecord],
        closes: &'a [(u32, i64)],
        sensors: &'a [SensorIn],
        hazards: &'a [HazardIn],
        history_from: i64,
    ) -> KpiInputs<'a> {
        KpiInputs {
            seq: 1,
            cases,
            closes,
            history_from,
            alerts: &[],
            sensors,
            hazards,
        }
    }

    #[test]
    fn today_is_the_cst_day_and_the_typical_is_the_same_weekday() {
        // Thursday 2026-11-26, 10:00 CST.
        let day = cst_midnight(2026, 11, 26);
        let now = day + 10 * 3600;
        let mut cases = vec![];
        let mut id = 0;
        let mut add = |t: i64, n: u32, st: CaseStatus, cases: &mut Vec<CaseRecord>| {
            for _ in 0..n {
                id += 1;
                cases.push(rec(id, t, st, 24));
            }
        };
        // Today: 5 reported (one at 00:00 CST exactly, none the evening before counts).
        add(day, 1, CaseStatus::Reported, &mut cases);
        add(day + 3600, 4, CaseStatus::Reported, &mut cases);
        add(day - 1, 3, CaseStatus::Archived, &mut cases);
        // Thursdays 1–4 weeks ago: 10, 20, 30, 40 reported; another weekday ignored.
        for (k, n) in [(1, 10), (2, 20), (3, 30), (4, 40)] {
            add(
                day - k * 7 * DAY + 5 * 3600,
                n,
                CaseStatus::Archived,
                &mut cases,
            );
        }
        add(day - 3 * DAY, 99, CaseStatus::Archived, &mut cases);
        // Closed: 2 first closed today, 6 on the Thursday a week ago.
        let closes: Vec<(u32, i64)> = (100..102)
            .map(|i| (i, day + 7200))
            .chain((200..206).map(|i| (i, day - 7 * DAY + 60)))
            .collect();
        let k = Kpis::compute(&inputs(&cases, &closes, &[], &[], day - 60 * DAY), now);
        assert_eq!((k.cases.reported, k.cases.closed), (5, 2));
        assert_eq!(k.cases.typical.weeks, 4);
        assert_eq!(k.cases.typical.reported, 25.0);
        assert_eq!(k.cases.typical.closed, 1.5);
        // A short history: only the weeks it covers.
        let k = Kpis::compute(&inputs(&cases, &closes, &[], &[], day - 15 * DAY), now);
        assert_eq!((k.cases.typical.weeks, k.cases.typical.reported), (2, 15.0));
        let k = Kpis::compute(&inputs(&cases, &closes, &[], &[], day), now);
        assert_eq!((k.cases.typical.weeks, k.cases.typical.reported), (0, 0.0));
    }

    #[test]
    fn overdue_follows_the_clock_and_sensors_fall_silent() {
        let t0 = cst_midnight(2026, 11, 26) + 8 * 3600;
        let cases = [
            rec(1, t0 - 3600, CaseStatus::InProgress, 2),
            rec(2, t0 - 3 * 3600, CaseStatus::Dispatched, 2),
            rec(3, t0 - 3 * 3600, CaseStatus::Resolved, 2),
        ];
        let sensors = [
            SensorIn {
                id: "S1".into(),
                sensor_type: SensorType::Gas,
                last_at: Some(t0 - 100),
            },
            SensorIn {
                id: "S2".into(),
                sensor_type: SensorType::AirQuality,
                last_at: Some(t0 - 100),
            },
            SensorIn {
                id: "S3".into(),
                sensor_type: SensorType::Smoke,
                last_at: None,
            },
        ];
        let mut k = Kpis::compute(&inputs(&cases, &[], &sensors, &[], 0), t0);
        assert_eq!((k.cases.open, k.cases.overdue), (2, 1));
        assert_eq!((k.sensors.reporting, k.sensors.silent), (2, 1));
        // Gas reports every 60 s: silent 180 s after its last reading.
        k.refresh(t0 + 79);
        assert_eq!(k.sensors.silent, 1);
        k.refresh(t0 + 80);
        assert_eq!(k.sensors.silent, 2);
        // The deadline is exclusive: overdue once past it.
        k.refresh(t0 + 3600);
        assert_eq!(k.cases.overdue, 1);
        k.refresh(t0 + 3601);
        assert_eq!(k.cases.overdue, 2);
        assert!(is_silent(SensorType::AirQuality, Some(0), 3 * 3600));
        assert!(!is_silent(SensorType::AirQuality, Some(0), 3 * 3600 - 1));
    }

    #[test]
    fn hazards_rectified_this_year_and_the_new_year() {
        let now = cst_midnight(2026, 12, 31) + 23 * 3600;
        let h = |id: &str, status, found, changed_at| HazardIn {
            id: id.into(),
            status,
            found,
            changed_at,
            area: None,
        };
        let this_year = cst_midnight(2026, 3, 1);
        let last_year = cst_midnight(2025, 6, 1);
        let hazards = [
            h("YH000001", HazardStatus::Open, last_year, None),
            h("YH000002", HazardStatus::Rectifying, this_year, None),
            h("YH000003", HazardStatus::Rectified, this_year, None),
            h("YH000004", HazardStatus::Rectified, last_year, None),
            // Found last year, rectified (live) this year.
            h(
                "YH000005",
                HazardStatus::Rectified,
                last_year,
                Some(now - 60),
            ),
            h("X-9", HazardStatus::Rectified, this_year, None),
            h("YH999999", HazardStatus::Open, this_year, None),
        ];
        let mut k = Kpis::compute(&inputs(&[], &[], &[], &hazards, 0), now);
        assert_eq!(
            k.hazards,
            HazardKpis {
                open: 2,
                rectifying: 1,
                rectified_this_year: 3
            }
        );
        k.refresh(cst_midnight(2027, 1, 1));
        assert_eq!(k.hazards.rectified_this_year, 0);
        assert_eq!((k.hazards.open, k.hazards.rectifying), (2, 1));
        assert_eq!(book_index("YH000001"), Some(0));
        assert_eq!(book_index("YH00001"), None);
        assert_eq!(book_index("YH+00001"), None);
        assert_eq!(book_index("YH000000"), None);
    }

    #[test]
    fn the_figures_travel_as_json_with_their_basis() {
        let t0 = cst_midnight(2026, 11, 26) + 8 * 3600;
        let cases = [rec(1, t0 - 3600, CaseStatus::InProgress, 2)];
        let k = Kpis::compute(&inputs(&cases, &[], &[], &[], 0), t0);
        let text = serde_json::to_string(&k).unwrap();
        let back: Kpis = serde_json::from_str(&text).unwrap();
        assert_eq!(back, k, "{text}");
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["cases"]["open"], 1);
        assert_eq!(
            v["cases"]["typical"]["weeks"], 4,
            "a history from 1970 covers every week"
        );
        // Figures alone (no basis) still parse.
        let figures = serde_json::to_string(&k.figures()).unwrap();
        let alone: serde_json::Value = serde_json::from_str(&figures).unwrap();
        let mut alone = alone.as_object().unwrap().clone();
        alone.remove("basis");
        let k2: Kpis = serde_json::from_value(serde_json::Value::Object(alone)).unwrap();
        assert_eq!(k2.cases, k.cases);
    }

    #[test]
    fn hourly_flow_counts_the_last_24_hours_against_the_typical_day() {
        let day = cst_midnight(2026, 11, 26);
        let now = day + 10 * 3600 + 1800; // 10:30
        let mut cases = vec![];
        // One case at 10:05 today (the current hour), two at 11:10 yesterday
        // (the first hour of the window), and 3 at 09:00 on each of the 28 days before.
        cases.push(rec(1, day + 10 * 3600 + 300, CaseStatus::Reported, 1));
        cases.push(rec(2, day - DAY + 11 * 3600 + 600, CaseStatus::Reported, 1));
        cases.push(rec(3, day - DAY + 11 * 3600 + 700, CaseStatus::Reported, 1));
        for k in 1..=30 {
            for j in 0..3 {
                cases.push(rec(
                    100 + k * 3 + j,
                    day - k as i64 * DAY + 9 * 3600,
                    CaseStatus::Archived,
                    1,
                ));
            }
        }
        let f = hourly_flow(&cases, now, 0);
        assert_eq!(f.start, day - 13 * 3600);
        assert_eq!(f.counts[23], 1);
        assert_eq!(f.counts[0], 2);
        // 09:00 today is slot 22; yesterday's 09:00 falls before the window.
        assert_eq!(f.counts[22], 0);
        assert_eq!(f.days, 28);
        // The typical 09:00 hour (slot 22, as the window starts at 11:00): 3 a day.
        assert!((f.typical[22] - 3.0).abs() < 1e-9, "{:?}", f.typical);
        assert_eq!(f.counts.iter().sum::<u32>(), 3);
        let short = hourly_flow(&cases, now, day - 5 * DAY);
        assert_eq!(short.days, 4);
    }
}
