//! The wall's KPIs moved on event by event (`Kpis::apply`, what the app does
//! after loading `/api/kpi`) equal a recomputation from the final state
//! (`Kpis::compute`, what the server does), over generated sequences of every
//! kind of event across 40 days, a new year and a JSON round trip midway.

use pingan_model::domain::{CaseCategory, CaseStatus, HazardStatus, SensorType};
use pingan_model::live::{
    Alert, AlertChange, Case, Change, Event, HazardState, Level, Scene, SensorState, Transition,
};
use pingan_model::time::cst_midnight;
use pingan_model::wall::kpi::{HazardIn, KpiInputs, Kpis, SensorIn};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use std::collections::BTreeMap;

const DAY: i64 = 86_400;

/// The live state as a store holds it.
struct World {
    cases: BTreeMap<u32, Case>,
    /// First close time of every case ever closed.
    closes: BTreeMap<u32, i64>,
    alerts: BTreeMap<u64, Alert>,
    sensors: BTreeMap<String, SensorIn>,
    hazards: BTreeMap<String, HazardIn>,
    history_from: i64,
    seq: u64,
}

fn case(id: u32, at: i64, hours: i64, status: CaseStatus) -> Case {
    Case {
        id,
        category: CaseCategory::ALL[id as usize % CaseCategory::ALL.len()],
        lon: 113.85,
        lat: 22.6,
        grid: None,
        grid_index: Some(1),
        community: None,
        subdistrict: None,
        description: String::new(),
        reporter: "网格员".into(),
        status,
        departments: vec![],
        rule: None,
        photo: None,
        reported_at: at,
        // Not whole hours: the KPIs use the record's (rounded up) deadline.
        deadline: at + hours * 3600 - 77,
        updated_at: at,
    }
}

fn alert(id: u64, level: Level, at: i64) -> Alert {
    Alert {
        id,
        sensor: format!("S{id:04}"),
        sensor_type: SensorType::Gas,
        level,
        peak: 1.0,
        lon: 113.9,
        lat: 22.6,
        raised_at: at,
        alarm_at_ms: None,
        cleared_at: None,
        acked_at: None,
        acked_by: None,
    }
}

impl World {
    fn new(rng: &mut SmallRng, t0: i64) -> World {
        let mut w = World {
            cases: BTreeMap::new(),
            closes: BTreeMap::new(),
            alerts: BTreeMap::new(),
            sensors: BTreeMap::new(),
            hazards: BTreeMap::new(),
            history_from: cst_midnight(2026, 11, 10),
            seq: 0,
        };
        for id in 1..=400u32 {
            let at = rng.random_range(w.history_from..t0);
            let status = CaseStatus::ALL[rng.random_range(0..CaseStatus::ALL.len())];
            let c = case(id, at, rng.random_range(1..96), status);
            if !status.is_open() || rng.random_bool(0.05) {
                // Closed (or reopened since): first closed between report and now.
                w.closes.insert(id, rng.random_range(at..t0));
            }
            w.cases.insert(id, c);
        }
        // An old case still open, outside the 28 days.
        w.cases
            .insert(401, case(401, t0 - 60 * DAY, 48, CaseStatus::Escalated));
        for i in 0..40 {
            let t = SensorType::ALL[i % SensorType::ALL.len()];
            let last = rng.random_bool(0.9).then(|| t0 - rng.random_range(0..4000));
            w.sensors.insert(
                format!("S{i:04}"),
                SensorIn {
                    id: format!("S{i:04}"),
                    sensor_type: t,
                    last_at: last,
                },
            );
        }
        for n in 1..=300 {
            let id = if n % 50 == 0 {
                format!("HZ-{n}")
            } else {
                format!("YH{n:06}")
            };
            let status = HazardStatus::ALL[rng.random_range(0..3)];
            let found = t0 - rng.random_range(1..400) * DAY;
            let changed_at = rng.random_bool(0.2).then(|| rng.random_range(found..t0));
            w.hazards.insert(
                id.clone(),
                HazardIn {
                    id,
                    status,
                    found,
                    changed_at,
                    area: None,
                },
            );
        }
        for id in 1..=12u64 {
            let mut a = alert(id, [Level::Warn, Level::Alarm][id as usize % 2], t0 - 3600);
            if id % 3 == 0 {
                a.cleared_at = Some(t0 - 60);
            }
            w.alerts.insert(id, a);
        }
        w
    }

    fn kpis(&self, now: i64) -> Kpis {
        let records: Vec<_> = self.cases.values().map(Case::record).collect();
        let closes: Vec<_> = self.closes.iter().map(|(k, v)| (*k, *v)).collect();
        let alerts: Vec<_> = self.alerts.values().cloned().collect();
        let sensors: Vec<_> = self.sensors.values().cloned().collect();
        let hazards: Vec<_> = self.hazards.values().cloned().collect();
        Kpis::compute(
            &KpiInputs {
                seq: self.seq,
                cases: &records,
                closes: &closes,
                history_from: self.history_from,
                alerts: &alerts,
                sensors: &sensors,
                hazards: &hazards,
            },
            now,
        )
    }

    /// One random change at `now`, applied to the world; its event.
    fn step(&mut self, rng: &mut SmallRng, now: i64) -> Event {
        let change = loop {
            if let Some(c) = self.change(rng, now) {
                break c;
            }
        };
        self.seq += 1;
        Event {
            seq: self.seq,
            at_ms: now * 1000,
            change,
        }
    }

    fn change(&mut self, rng: &mut SmallRng, now: i64) -> Option<Change> {
        Some(match rng.random_range(0..100) {
            0..30 => {
                let id = self.cases.keys().last().copied().unwrap_or(0) + 1;
                let c = case(id, now, rng.random_range(1..72), CaseStatus::Reported);
                self.cases.insert(id, c.clone());
                Change::CaseReported { case: c }
            }
            30..65 => {
                let ids: Vec<u32> = self
                    .cases
                    .values()
                    .filter(|c| !c.status.next().is_empty())
                    .map(|c| c.id)
                    .collect();
                let id = ids[rng.random_range(0..ids.len())];
                let c = self.cases.get_mut(&id)?;
                let next = c.status.next();
                let to = next[rng.random_range(0..next.len())];
                let from = c.status;
                c.status = to;
                c.updated_at = now;
                if from.is_open() && !to.is_open() {
                    self.closes.entry(id).or_insert(now);
                }
                Change::CaseTransitioned {
                    case: c.clone(),
                    transition: Transition {
                        from: Some(from),
                        to,
                        at: now,
                        by: "test".into(),
                        note: String::new(),
                    },
                }
            }
            65..78 => {
                let mut states = vec![];
                for s in self.sensors.values_mut() {
                    if rng.random_bool(0.3) {
                        s.last_at = Some(now);
                        states.push(SensorState {
                            id: s.id.clone(),
                            sensor_type: s.sensor_type,
                            value: 1.0,
                            at: now,
                            level: Level::Normal,
                        });
                    }
                }
                Change::Readings { sensors: states }
            }
            78..90 => {
                let active: Vec<u64> = self
                    .alerts
                    .values()
                    .filter(|a| a.is_active())
                    .map(|a| a.id)
                    .collect();
                let what = rng.random_range(0..4);
                if what == 0 || active.is_empty() {
                    let id = self.alerts.keys().last().copied().unwrap_or(0) + 1;
                    let a = alert(id, [Level::Warn, Level::Alarm][rng.random_range(0..2)], now);
                    self.alerts.insert(id, a.clone());
                    Change::Alert {
                        alert: a,
                        change: AlertChange::Raised,
                    }
                } else {
                    let a = self
                        .alerts
                        .get_mut(&active[rng.random_range(0..active.len())])?;
                    let change = match what {
                        1 => {
                            a.level = if a.level == Level::Warn {
                                Level::Alarm
                            } else {
                                Level::Warn
                            };
                            AlertChange::Level
                        }
                        2 => {
                            a.cleared_at = Some(now);
                            AlertChange::Cleared
                        }
                        _ => {
                            if a.acked_at.is_some() {
                                return None;
                            }
                            a.acked_at = Some(now);
                            a.acked_by = Some("值班员".into());
                            AlertChange::Acked
                        }
                    };
                    Change::Alert {
                        alert: a.clone(),
                        change,
                    }
                }
            }
            90..97 => {
                let ids: Vec<String> = self.hazards.keys().cloned().collect();
                let h = self.hazards.get_mut(&ids[rng.random_range(0..ids.len())])?;
                let to = HazardStatus::ALL[rng.random_range(0..3)];
                if to == h.status {
                    return None;
                }
                h.status = to;
                h.changed_at = Some(now);
                Change::HazardStatus {
                    hazard: HazardState {
                        id: h.id.clone(),
                        status: to,
                        at: now,
                        by: "test".into(),
                        note: String::new(),
                        photo: None,
                    },
                }
            }
            _ => Change::Scene {
                group: "default".into(),
                scene: rng.random_bool(0.5).then(|| Scene {
                    group: "default".into(),
                    lon: 113.9,
                    lat: 22.6,
                    zoom: 13.0,
                    layers: vec![],
                    highlight: None,
                    duration_s: None,
                    started_ms: now * 1000,
                    by: "值班员".into(),
                }),
            },
        })
    }
}

fn run(seed: u64, events: usize) {
    let mut rng = SmallRng::seed_from_u64(seed);
    // 2026-12-10 09:00 CST; 40 days of events cross the new year.
    let mut now = cst_midnight(2026, 12, 10) + 9 * 3600;
    let mut world = World::new(&mut rng, now);
    let mut kpis = world.kpis(now);
    let start = kpis.clone();
    assert!(
        start.cases.open > 0 && start.hazards.rectified_this_year > 0,
        "{start:?}"
    );
    let per_event = 40 * DAY / events as i64;
    let mut checks = 0;
    for i in 0..events {
        now += rng.random_range(0..2 * per_event);
        let ev = world.step(&mut rng, now);
        assert!(kpis.apply(&ev, now));
        // Applying an event twice changes nothing.
        let again = kpis.clone();
        assert!(!kpis.apply(&ev, now));
        assert_eq!(kpis, again);
        if rng.random_bool(0.1) {
            // Time alone moves the figures too (deadlines, silence, midnight).
            now += rng.random_range(0..3 * 3600);
            kpis.refresh(now);
        }
        if i == events / 2 {
            // The app's path: the figures arrive as JSON, then events follow.
            let text = serde_json::to_string(&kpis).unwrap();
            kpis = serde_json::from_str(&text).unwrap();
        }
        if i % 97 == 0 || i + 1 == events {
            let fresh = world.kpis(now);
            assert_eq!(kpis.figures(), fresh.figures(), "seed {seed}, event {i}");
            assert_eq!(kpis, fresh, "seed {seed}, event {i}: the bases differ");
            checks += 1;
        }
    }
    assert!(checks > 5);
    // The sequence did move every figure.
    let end = world.kpis(now);
    assert_ne!(end.cases, start.cases);
    assert_ne!(end.alerts_active, start.alerts_active);
    assert_ne!(end.hazards, start.hazards);
    assert!(
        end.at > cst_midnight(2027, 1, 1),
        "the sequence crosses the new year"
    );
}

#[test]
fn applying_events_equals_recomputing_from_the_final_state() {
    for seed in 0..6 {
        run(seed, 3000);
    }
}

#[test]
fn a_kpi_answer_is_small_enough_to_load() {
    let mut rng = SmallRng::seed_from_u64(9);
    let now = cst_midnight(2026, 12, 10) + 9 * 3600;
    let world = World::new(&mut rng, now);
    let text = serde_json::to_string(&world.kpis(now)).unwrap();
    // 400 cases, 300 hazards, 40 sensors: a few KB.
    assert!(text.len() < 40_000, "{} bytes", text.len());
}
