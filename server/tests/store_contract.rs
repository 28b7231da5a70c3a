//! The store contract: what every backend of `pingan_server::store::Store`
//! must do — seeding, commands and their rejections (404/409/422 kinds),
//! sequence numbers that continue without gaps, a restart on the same
//! database, the queries and pruning; accounts (users, sessions, keys,
//! devices) and the account recorded with every history entry and event.
//! Written once against the interface;
//! a backend joins by adding one line to [`store_contract!`] below with a
//! factory that opens (or reopens) its store at a place.

use pingan_model::domain::{CaseCategory, CaseStatus, Department, HazardStatus, SensorType};
use pingan_model::live::{
    thresholds, AlertChange, Case, Change, Event, Level, ReadingIn, Topic, Transition,
};
use pingan_server::store::idempotency::KEEP_MS;
use pingan_server::store::seed::{is_seeded, Seed, SeedHazard, SeedSensor};
use pingan_server::store::sqlite::SqliteStore;
use pingan_server::store::{
    Actor, Answer, AuditEntry, AuditQuery, CaseQuery, Command, IdempotencyKey, NewCase, SceneIn,
    Store, StoreError, StoreResult,
};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Opens the backend's store at a place; opening the same place again is a
/// restart on the same database.
type Factory = fn(&Path) -> Arc<dyn Store>;

fn sqlite(place: &Path) -> Arc<dyn Store> {
    Arc::new(SqliteStore::open(&place.join("live.sqlite")).expect("open the SQLite store"))
}

/// One `#[test]` per contract check, for each backend.
macro_rules! store_contract {
    ($($backend:ident => $factory:expr),+ $(,)?) => {$(
        mod $backend {
            use super::*;
            const OPEN: Factory = $factory;
            #[test] fn seeding_happens_once() { super::seeding_happens_once(OPEN) }
            #[test] fn a_report_gets_the_next_id_and_its_first_history() { super::report(OPEN) }
            #[test] fn a_rejected_report_stores_nothing() { super::rejected_report(OPEN) }
            #[test] fn transitions_follow_the_status_machine() { super::transitions(OPEN) }
            #[test] fn readings_raise_relevel_and_clear_alerts() { super::readings(OPEN) }
            #[test] fn a_bad_reading_rejects_the_whole_batch() { super::bad_readings(OPEN) }
            #[test] fn an_alert_is_acknowledged_once() { super::ack(OPEN) }
            #[test] fn hazard_status_changes() { super::hazards(OPEN) }
            #[test] fn sequence_numbers_continue_without_gaps() { super::seq_continuity(OPEN) }
            #[test] fn a_restart_keeps_everything_and_continues() { super::restart(OPEN) }
            #[test] fn case_queries_filter_and_order() { super::queries(OPEN) }
            #[test] fn pruning_keeps_the_head_and_the_replay_window() { super::pruning(OPEN) }
            #[test] fn users_are_unique_and_change() { super::users(OPEN) }
            #[test] fn sessions_resolve_until_revoked_or_expired() { super::sessions(OPEN) }
            #[test] fn keys_resolve_until_revoked() { super::keys(OPEN) }
            #[test] fn ended_sessions_and_keys_are_pruned_after_a_while() { super::prune_ended(OPEN) }
            #[test] fn a_pairing_code_is_used_once_and_expires() { super::devices(OPEN) }
            #[test] fn histories_and_events_record_the_account() { super::recorded(OPEN) }
            #[test] fn the_audit_log_appends_queries_and_prunes() { super::audit_log(OPEN) }
            #[test] fn a_write_and_its_audit_entry_are_stored_together() { super::audited_writes(OPEN) }
            #[test] fn the_epoch_survives_a_restart_and_a_new_store_has_another() { super::epoch(OPEN) }
            #[test] fn wall_scenes_are_checked_replaced_cleared_and_kept() { super::scenes(OPEN) }
            #[test] fn urgent_reports_are_read_back_newest_first_in_their_window() { super::urgent_reports(OPEN) }
            #[test] fn a_keyed_write_is_stored_once_and_its_answer_replayed() { super::idempotent_writes(OPEN) }
            #[test] fn a_write_and_its_key_commit_or_fail_together() { super::keys_with_their_writes(OPEN) }
            #[test] fn keys_are_forgotten_after_30_days_and_pruned() { super::keys_expire(OPEN) }
            #[test] fn photos_are_stored_once_by_content_and_read_back() { super::photos(OPEN) }
            #[test] fn reports_and_hazard_changes_name_only_stored_photos() { super::photo_uses(OPEN) }
        }
    )+};
}

store_contract!(sqlite => sqlite);

// ---------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------

/// The fixtures' clock: now, so the snapshot's last-day window holds them.
fn now() -> i64 {
    static NOW: std::sync::OnceLock<i64> = std::sync::OnceLock::new();
    *NOW.get_or_init(pingan_server::clock::now_s)
}

fn place(name: &str) -> PathBuf {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir =
        std::env::temp_dir().join(format!("pingan-contract-{}-{name}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn sensor(id: &str, value: f64) -> SeedSensor {
    let t = SensorType::WaterLevel;
    SeedSensor {
        id: id.into(),
        sensor_type: t,
        lon: 113.8,
        lat: 22.6,
        name: format!("sensor {id}"),
        area: None,
        subdistrict: Some("西乡街道".into()),
        value,
        level: pingan_model::live::next_level(Level::Normal, value, thresholds(t)),
    }
}

fn seeded_case(id: u32) -> (Case, Vec<Transition>) {
    let case = Case {
        id,
        category: CaseCategory::ALL[0],
        lon: 113.85,
        lat: 22.58,
        grid: Some("G0001".into()),
        grid_index: Some(0),
        community: Some("西乡社区".into()),
        subdistrict: Some("西乡街道".into()),
        description: "seeded".into(),
        reporter: "网格员".into(),
        status: CaseStatus::Reported,
        departments: vec![Department::ALL[0]],
        rule: None,
        reported_at: now() - 3_600,
        deadline: now() + 3_600,
        updated_at: now() - 3_600,
        photo: None,
    };
    let history = vec![Transition {
        from: None,
        to: CaseStatus::Reported,
        at: now() - 3_600,
        by: "网格员".into(),
        note: String::new(),
    }];
    (case, history)
}

/// Three water sensors (the second already at warn), two hazards and one
/// case with id 7.
fn seed() -> Seed {
    Seed {
        now: now(),
        sensors: vec![sensor("S1", 1.0), sensor("S2", 60.0), sensor("S3", 2.0)],
        hazards: vec![
            SeedHazard {
                id: "H1".into(),
                status: HazardStatus::Open,
                lon: 113.81,
                lat: 22.61,
                name: "hazard one".into(),
                subdistrict: None,
            },
            SeedHazard {
                id: "H2".into(),
                status: HazardStatus::Open,
                lon: 113.82,
                lat: 22.62,
                name: "hazard two".into(),
                subdistrict: None,
            },
        ],
        cases: vec![seeded_case(7)],
        problems: vec![],
    }
}

fn open_seeded(open: Factory, name: &str) -> (PathBuf, Arc<dyn Store>) {
    let dir = place(name);
    let store = open(&dir);
    seed().plant(store.as_ref()).expect("seed");
    (dir, store)
}

fn new_case(lon: f64, reported_at: i64, category: CaseCategory) -> NewCase {
    NewCase {
        category,
        lon,
        lat: 22.6,
        grid: Some("G0002".into()),
        grid_index: Some(1),
        community: Some("固戍社区".into()),
        subdistrict: Some("西乡街道".into()),
        description: "a report".into(),
        reporter: Actor::anonymous("reporter one"),
        departments: vec![Department::ALL[1]],
        rule: Some("R1".into()),
        reported_at,
        deadline: reported_at + 7_200,
        photo: None,
    }
}

fn reading(sensor: &str, value: f64) -> ReadingIn {
    ReadingIn {
        sensor: sensor.into(),
        value,
        at: None,
    }
}

fn batch(list: Vec<ReadingIn>) -> Command {
    Command::Readings {
        readings: list,
        by: Actor::system("gateway"),
        at: now() + 10,
    }
}

fn reported(events: &[Event]) -> Case {
    match &events[0].change {
        Change::CaseReported { case } => case.clone(),
        other => panic!("expected a report, got {other:?}"),
    }
}

/// A status `from` may not move to.
fn forbidden_from(from: CaseStatus) -> CaseStatus {
    *CaseStatus::ALL
        .iter()
        .find(|s| **s != from && !from.can_move_to(**s))
        .expect("some status is not reachable")
}

fn cleanup(dir: &Path) {
    let _ = std::fs::remove_dir_all(dir);
}

// ---------------------------------------------------------------------------
// The checks
// ---------------------------------------------------------------------------

fn seeding_happens_once(open: Factory) {
    let dir = place("seed");
    let store = open(&dir);
    assert!(!is_seeded(store.as_ref()).unwrap());
    let report = seed()
        .plant(store.as_ref())
        .unwrap()
        .expect("first seeding");
    assert_eq!(
        (
            report.sensors,
            report.alerts,
            report.hazards,
            report.cases,
            report.transitions
        ),
        (3, 1, 2, 1, 1)
    );
    assert!(is_seeded(store.as_ref()).unwrap());
    assert_eq!(seed().plant(store.as_ref()).unwrap(), None, "seeds once");
    let counts = store.counts().unwrap();
    assert_eq!((counts.sensors, counts.alerts, counts.cases), (3, 1, 1));
    assert_eq!(
        (counts.events, counts.head),
        (0, 0),
        "seeding appends no events"
    );
    let snap = store.snapshot().unwrap();
    assert_eq!(snap.seq, 0);
    assert_eq!(snap.sensors.len(), 3);
    let warn: Vec<_> = snap.alerts.iter().filter(|a| a.is_active()).collect();
    assert_eq!(warn.len(), 1, "{:?}", snap.alerts);
    assert_eq!(
        (warn[0].sensor.as_str(), warn[0].level),
        ("S2", Level::Warn)
    );
    assert!(snap.hazards.is_empty(), "no hazard has changed yet");
    cleanup(&dir);
}

fn report(open: Factory) {
    let (dir, store) = open_seeded(open, "report");
    let events = store
        .execute(
            Command::ReportCase(new_case(113.9, now(), CaseCategory::ALL[1])),
            5,
        )
        .unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!((events[0].seq, events[0].at_ms), (1, 5));
    let case = reported(&events);
    assert_eq!(case.id, 8, "the highest id + 1");
    assert_eq!(case.status, CaseStatus::Reported);
    assert_eq!(case.reporter, "reporter one", "the reporter is the actor");
    assert_eq!(case.updated_at, now());
    let (stored, history) = store.case(8).unwrap().expect("stored");
    assert_eq!(stored, case);
    assert_eq!(history.len(), 1);
    assert_eq!(
        (history[0].from, history[0].to, history[0].by.as_str()),
        (None, CaseStatus::Reported, "reporter one")
    );
    let next = reported(
        &store
            .execute(
                Command::ReportCase(new_case(113.9, now(), CaseCategory::ALL[1])),
                6,
            )
            .unwrap(),
    );
    assert_eq!(next.id, 9);
    cleanup(&dir);
}

fn rejected_report(open: Factory) {
    let (dir, store) = open_seeded(open, "rejected");
    let before = store.counts().unwrap();
    let mut c = new_case(113.9, now(), CaseCategory::ALL[1]);
    c.departments.clear();
    match store.execute(Command::ReportCase(c), 1) {
        Err(StoreError::Invalid { field, .. }) => assert_eq!(field, "departments"),
        other => panic!("{other:?}"),
    }
    let c = new_case(f64::NAN, now(), CaseCategory::ALL[1]);
    match store.execute(Command::ReportCase(c), 1) {
        Err(StoreError::Invalid { field, .. }) => assert_eq!(field, "lon/lat"),
        other => panic!("{other:?}"),
    }
    assert_eq!(store.counts().unwrap(), before, "nothing stored");
    cleanup(&dir);
}

fn transitions(open: Factory) {
    let (dir, store) = open_seeded(open, "transitions");
    let to = CaseStatus::Accepted;
    let events = store
        .execute(
            Command::Transition {
                case_id: 7,
                to,
                by: Actor::anonymous("centre"),
                note: "taken".into(),
                at: now() + 60,
            },
            1,
        )
        .unwrap();
    match &events[..] {
        [Event {
            seq: 1,
            change: Change::CaseTransitioned { case, transition },
            ..
        }] => {
            assert_eq!((case.id, case.status, case.updated_at), (7, to, now() + 60));
            assert_eq!(
                (transition.from, transition.to, transition.by.as_str()),
                (Some(CaseStatus::Reported), to, "centre")
            );
        }
        other => panic!("{other:?}"),
    }
    let (case, history) = store.case(7).unwrap().unwrap();
    assert_eq!(case.status, to);
    assert_eq!(history.len(), 2);
    assert_eq!(history[1].note, "taken");
    let before = store.counts().unwrap();
    let bad = forbidden_from(to);
    match store.execute(
        Command::Transition {
            case_id: 7,
            to: bad,
            by: "centre".into(),
            note: String::new(),
            at: now() + 61,
        },
        2,
    ) {
        Err(StoreError::Conflict(m)) => assert!(m.starts_with("case 7: "), "{m}"),
        other => panic!("{other:?}"),
    }
    match store.execute(
        Command::Transition {
            case_id: 999,
            to,
            by: "centre".into(),
            note: String::new(),
            at: now() + 61,
        },
        2,
    ) {
        Err(StoreError::NotFound { what, id }) => assert_eq!((what, id.as_str()), ("case", "999")),
        other => panic!("{other:?}"),
    }
    assert_eq!(store.counts().unwrap(), before, "rejections store nothing");
    cleanup(&dir);
}

fn alert_changes(events: &[Event]) -> Vec<(String, AlertChange, Level, u64)> {
    events
        .iter()
        .filter_map(|e| match &e.change {
            Change::Alert { alert, change } => {
                Some((alert.sensor.clone(), *change, alert.level, alert.id))
            }
            _ => None,
        })
        .collect()
}

fn readings(open: Factory) {
    let (dir, store) = open_seeded(open, "readings");
    // S1 rises to warn (raised), S2 from warn to alarm (level), S3 stays.
    let events = store
        .execute(
            batch(vec![
                reading("S1", 60.0),
                reading("S2", 120.0),
                reading("S3", 3.0),
            ]),
            1,
        )
        .unwrap();
    assert!(matches!(events[0].change, Change::Readings { ref sensors } if sensors.len() == 3));
    assert_eq!(
        alert_changes(&events),
        vec![
            ("S1".into(), AlertChange::Raised, Level::Warn, 2),
            ("S2".into(), AlertChange::Level, Level::Alarm, 1),
        ]
    );
    assert_eq!(
        events.iter().map(|e| e.seq).collect::<Vec<_>>(),
        vec![1, 2, 3],
        "the readings first, then one event per alert change"
    );
    // When an alert reached the alarm level: the event's server time; a
    // warning has none.
    let alarm_at = |events: &[Event], sensor: &str| {
        events.iter().find_map(|e| match &e.change {
            Change::Alert { alert, .. } if alert.sensor == sensor => Some(alert.alarm_at_ms),
            _ => None,
        })
    };
    let escalated_ms = events[0].at_ms;
    assert_eq!(
        alarm_at(&events, "S1"),
        Some(None),
        "a warning has no alarm time"
    );
    assert_eq!(
        alarm_at(&events, "S2"),
        Some(Some(escalated_ms)),
        "warn → alarm"
    );
    // The same sensor twice in a batch: the second reading sees the first.
    let events = store
        .execute(batch(vec![reading("S3", 120.0), reading("S3", 1.0)]), 2)
        .unwrap();
    assert_eq!(
        alert_changes(&events),
        vec![
            ("S3".into(), AlertChange::Raised, Level::Alarm, 3),
            ("S3".into(), AlertChange::Cleared, Level::Alarm, 3),
        ]
    );
    assert_eq!(
        alarm_at(&events, "S3"),
        Some(Some(events[0].at_ms)),
        "raised at alarm"
    );
    match &events[0].change {
        Change::Readings { sensors } => {
            assert_eq!(sensors.len(), 1, "one state per sensor");
            assert_eq!((sensors[0].value, sensors[0].level), (1.0, Level::Normal));
        }
        other => panic!("{other:?}"),
    }
    // A higher reading at the same level raises the peak without an event.
    let events = store.execute(batch(vec![reading("S2", 130.0)]), 3).unwrap();
    assert_eq!(events.len(), 1);
    let snap = store.snapshot().unwrap();
    let s2 = snap.alerts.iter().find(|a| a.sensor == "S2").unwrap();
    assert_eq!(
        (s2.peak, s2.level, s2.is_active()),
        (130.0, Level::Alarm, true)
    );
    assert_eq!(
        s2.alarm_at_ms,
        Some(escalated_ms),
        "stored, and kept by a later reading"
    );
    let s3 = snap.alerts.iter().find(|a| a.sensor == "S3").unwrap();
    assert_eq!(s3.cleared_at, Some(now() + 10));
    let s1 = snap.sensors.iter().find(|s| s.id == "S1").unwrap();
    assert_eq!((s1.value, s1.level, s1.at), (60.0, Level::Warn, now() + 10));
    cleanup(&dir);
}

fn bad_readings(open: Factory) {
    let (dir, store) = open_seeded(open, "bad-readings");
    let before = (store.counts().unwrap(), store.snapshot().unwrap().sensors);
    match store.execute(batch(vec![reading("S1", 200.0), reading("NOPE", 1.0)]), 1) {
        Err(StoreError::Invalid { field, detail }) => {
            assert_eq!(field, "readings[1].sensor");
            assert!(detail.contains("NOPE"), "{detail}");
        }
        other => panic!("{other:?}"),
    }
    match store.execute(batch(vec![reading("S1", f64::INFINITY)]), 1) {
        Err(StoreError::Invalid { field, .. }) => assert_eq!(field, "readings[0].value"),
        other => panic!("{other:?}"),
    }
    match store.execute(batch(vec![]), 1) {
        Err(StoreError::Invalid { field, .. }) => assert_eq!(field, "readings"),
        other => panic!("{other:?}"),
    }
    let after = (store.counts().unwrap(), store.snapshot().unwrap().sensors);
    assert_eq!(after, before, "a rejected batch stores nothing");
    cleanup(&dir);
}

fn ack(open: Factory) {
    let (dir, store) = open_seeded(open, "ack");
    let events = store
        .execute(
            Command::AckAlert {
                id: 1,
                by: Actor::anonymous("duty officer"),
                at: now() + 5,
            },
            1,
        )
        .unwrap();
    match &events[..] {
        [Event {
            change: Change::Alert { alert, change },
            ..
        }] => {
            assert_eq!(*change, AlertChange::Acked);
            assert_eq!(
                (alert.acked_at, alert.acked_by.as_deref()),
                (Some(now() + 5), Some("duty officer"))
            );
        }
        other => panic!("{other:?}"),
    }
    match store.execute(
        Command::AckAlert {
            id: 1,
            by: "someone else".into(),
            at: now() + 6,
        },
        2,
    ) {
        Err(StoreError::Conflict(m)) => assert!(m.contains("duty officer"), "{m}"),
        other => panic!("{other:?}"),
    }
    match store.execute(
        Command::AckAlert {
            id: 42,
            by: "x".into(),
            at: now() + 6,
        },
        2,
    ) {
        Err(StoreError::NotFound { what, .. }) => assert_eq!(what, "alert"),
        other => panic!("{other:?}"),
    }
    assert_eq!(store.head().unwrap(), 1);
    cleanup(&dir);
}

fn hazards(open: Factory) {
    let (dir, store) = open_seeded(open, "hazards");
    let change = |status, at| Command::HazardStatus {
        id: "H2".into(),
        status,
        by: Actor::anonymous("inspector"),
        note: "checked".into(),
        at,
        photo: None,
    };
    let events = store
        .execute(change(HazardStatus::Rectifying, now() + 1), 1)
        .unwrap();
    match &events[0].change {
        Change::HazardStatus { hazard } => {
            assert_eq!(
                (hazard.id.as_str(), hazard.status, hazard.by.as_str()),
                ("H2", HazardStatus::Rectifying, "inspector")
            );
        }
        other => panic!("{other:?}"),
    }
    match store.execute(change(HazardStatus::Rectifying, now() + 2), 2) {
        Err(StoreError::Conflict(m)) => assert!(m.contains("already rectifying"), "{m}"),
        other => panic!("{other:?}"),
    }
    let mut unknown = change(HazardStatus::Rectified, now() + 2);
    if let Command::HazardStatus { id, .. } = &mut unknown {
        *id = "H9".into();
    }
    match store.execute(unknown, 2) {
        Err(StoreError::NotFound { what, id }) => assert_eq!((what, id.as_str()), ("hazard", "H9")),
        other => panic!("{other:?}"),
    }
    let snap = store.snapshot().unwrap();
    assert_eq!(snap.hazards.len(), 1);
    assert_eq!(
        (
            snap.hazards[0].id.as_str(),
            snap.hazards[0].at,
            snap.hazards[0].note.as_str()
        ),
        ("H2", now() + 1, "checked")
    );
    assert_eq!(store.counts().unwrap().hazard_changes, 1);
    cleanup(&dir);
}

/// Runs a mix of commands; returns every seq they produced.
fn mixed_commands(store: &dyn Store, first_ms: i64) -> Vec<u64> {
    let mut seqs = vec![];
    let mut t = first_ms;
    let mut run = |cmd: Command| {
        t += 1;
        let evs = store.execute(cmd, t).unwrap();
        seqs.extend(evs.iter().map(|e| e.seq));
    };
    run(Command::ReportCase(new_case(
        113.9,
        now(),
        CaseCategory::ALL[1],
    )));
    run(batch(vec![reading("S1", 60.0)]));
    run(batch(vec![reading("S1", 1.0), reading("S3", 5.0)]));
    run(Command::AckAlert {
        id: 1,
        by: "x".into(),
        at: now(),
    });
    seqs
}

fn seq_continuity(open: Factory) {
    let (dir, store) = open_seeded(open, "seq");
    let seqs = mixed_commands(store.as_ref(), 100);
    // Report 1, readings + raised 2, readings + cleared 2, ack 1.
    assert_eq!(seqs, (1..=6).collect::<Vec<_>>());
    // A rejected command takes no number.
    assert!(store
        .execute(batch(vec![reading("NOPE", 1.0)]), 200)
        .is_err());
    let next = store.execute(batch(vec![reading("S3", 6.0)]), 201).unwrap();
    assert_eq!(next[0].seq, 7);
    assert_eq!(store.head().unwrap(), 7);
    assert_eq!(store.oldest().unwrap(), 1);
    let log = store.events_since(0, 100).unwrap();
    assert_eq!(
        log.iter().map(|e| e.seq).collect::<Vec<_>>(),
        (1..=7).collect::<Vec<_>>()
    );
    assert_eq!(
        store.events_since(5, 1).unwrap()[0].seq,
        6,
        "limit and since"
    );
    let mut counts = store.count_events(2, 7).unwrap();
    counts.sort_by_key(|(t, _)| t.code());
    let total: u64 = counts.iter().map(|(_, n)| n).sum();
    assert_eq!(total, 5);
    let of = |topic: Topic| counts.iter().find(|(t, _)| *t == topic).map(|(_, n)| *n);
    assert_eq!(
        of(Topic::Cases),
        None,
        "the report is seq 1, outside (2, 7]"
    );
    assert_eq!(of(Topic::Alerts), Some(3));
    assert_eq!(of(Topic::Sensors), Some(2));
    cleanup(&dir);
}

fn restart(open: Factory) {
    let (dir, store) = open_seeded(open, "restart");
    let seqs = mixed_commands(store.as_ref(), 100);
    let head = *seqs.last().unwrap();
    let counts = store.counts().unwrap();
    let log = store.events_since(0, 100).unwrap();
    drop(store);
    let store = open(&dir);
    assert!(is_seeded(store.as_ref()).unwrap());
    assert_eq!(
        seed().plant(store.as_ref()).unwrap(),
        None,
        "not seeded again"
    );
    assert_eq!(store.counts().unwrap(), counts);
    assert_eq!(store.head().unwrap(), head);
    assert_eq!(store.events_since(0, 100).unwrap(), log);
    let evs = store
        .execute(
            Command::ReportCase(new_case(113.9, now(), CaseCategory::ALL[1])),
            500,
        )
        .unwrap();
    assert_eq!(evs[0].seq, head + 1, "the log continues");
    assert_eq!(reported(&evs).id, 9, "ids continue");
    cleanup(&dir);
}

fn queries(open: Factory) {
    let (dir, store) = open_seeded(open, "queries");
    let cat = CaseCategory::ALL[2];
    for (k, lon) in [113.70, 113.80, 113.90].into_iter().enumerate() {
        store
            .execute(
                Command::ReportCase(new_case(lon, now() + k as i64 * 100, cat)),
                k as i64,
            )
            .unwrap();
    }
    let all = |q: CaseQuery| {
        store
            .cases(&CaseQuery { limit: 100, ..q })
            .unwrap()
            .iter()
            .map(|c| c.id)
            .collect::<Vec<_>>()
    };
    assert_eq!(all(CaseQuery::default()), vec![10, 9, 8, 7], "newest first");
    assert_eq!(
        all(CaseQuery {
            bbox: Some([113.75, 22.0, 113.95, 23.0]),
            ..CaseQuery::default()
        }),
        vec![10, 9, 7]
    );
    assert_eq!(
        all(CaseQuery {
            category: vec![cat],
            ..CaseQuery::default()
        }),
        vec![10, 9, 8]
    );
    assert_eq!(
        all(CaseQuery {
            since: Some(now() + 100),
            ..CaseQuery::default()
        }),
        vec![10, 9]
    );
    assert_eq!(
        all(CaseQuery {
            subdistrict: Some("西乡街道".into()),
            status: vec![CaseStatus::Reported],
            ..CaseQuery::default()
        }),
        vec![10, 9, 8, 7]
    );
    assert_eq!(
        store
            .cases(&CaseQuery {
                limit: 2,
                ..CaseQuery::default()
            })
            .unwrap()
            .len(),
        2
    );
    let (seq, records) = store.case_records(now(), now() + 200).unwrap();
    assert_eq!(seq, 3);
    assert_eq!(records.iter().map(|r| r.id).collect::<Vec<_>>(), vec![8, 9]);
    assert_eq!(records[0].grid, 1);
    assert_eq!(store.case(12345).unwrap(), None);
    cleanup(&dir);
}

fn pruning(open: Factory) {
    let (dir, store) = open_seeded(open, "prune");
    // Ten events at 1000, 2000, … ms.
    for i in 1..=10i64 {
        store
            .execute(batch(vec![reading("S3", 1.0 + i as f64 / 100.0)]), i * 1000)
            .unwrap();
    }
    // Before 4500 ms but keeping seq ≥ 3 for replays: 1 and 2 go.
    assert_eq!(store.prune_events_before(4_500, 3, 1).unwrap(), 2);
    assert_eq!(store.oldest().unwrap(), 3);
    // Before 4500 ms with no replay floor, in batches of 2: 3 and 4 go.
    assert_eq!(store.prune_events_before(4_500, u64::MAX, 2).unwrap(), 2);
    assert_eq!(store.oldest().unwrap(), 5);
    // Everything is old: all but the newest go, and the head survives.
    assert_eq!(store.prune_events_before(i64::MAX, u64::MAX, 3).unwrap(), 5);
    assert_eq!((store.oldest().unwrap(), store.head().unwrap()), (10, 10));
    assert_eq!(store.events_since(0, 100).unwrap().len(), 1);
    let next = store
        .execute(batch(vec![reading("S3", 2.0)]), 11_000)
        .unwrap();
    assert_eq!(next[0].seq, 11, "numbers continue after pruning");
    cleanup(&dir);
}

// ---------------------------------------------------------------------------
// Accounts
// ---------------------------------------------------------------------------

use pingan_model::access::{Permission, Role};
use pingan_server::store::accounts::{NewUser, Sessions, Subject, UserChange};
use pingan_server::store::Account;

fn new_user(name: &str, role: Role) -> NewUser {
    NewUser {
        username: name.into(),
        display_name: format!("{name} 显示名"),
        role,
        scope: None,
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
    }
}

fn users(open: Factory) {
    let dir = place("users");
    let store = open(&dir);
    let a = store
        .create_user(&new_user("zhang", Role::Officer), 100)
        .unwrap();
    assert_eq!(
        (a.username.as_str(), a.role, a.disabled),
        ("zhang", Role::Officer, false)
    );
    assert!(matches!(
        store.create_user(&new_user("ZHANG", Role::Viewer), 101),
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(
        store.user_by_name("Zhang").unwrap().map(|u| u.id),
        Some(a.id)
    );
    let changed = store
        .update_user(
            a.id,
            &UserChange {
                role: Some(Role::Operator),
                scope: Some(Some("西乡街道".into())),
                disabled: Some(true),
                ..UserChange::default()
            },
            200,
        )
        .unwrap();
    assert_eq!(changed.role, Role::Operator);
    assert_eq!(changed.scope.as_deref(), Some("西乡街道"));
    assert!(changed.disabled);
    assert_eq!(
        changed.display_name, a.display_name,
        "untouched fields stay"
    );
    assert_eq!((changed.created_at, changed.updated_at), (100, 200));
    let cleared = store
        .update_user(
            a.id,
            &UserChange {
                scope: Some(None),
                ..UserChange::default()
            },
            201,
        )
        .unwrap();
    assert_eq!(cleared.scope, None);
    assert!(matches!(
        store.update_user(999, &UserChange::default(), 1),
        Err(StoreError::NotFound { .. })
    ));
    store
        .create_user(&new_user("li", Role::Viewer), 102)
        .unwrap();
    let names: Vec<_> = store
        .users()
        .unwrap()
        .into_iter()
        .map(|u| u.username)
        .collect();
    assert_eq!(names, ["li", "zhang"]);
    drop(store);
    assert_eq!(
        open(&dir).users().unwrap().len(),
        2,
        "kept across a restart"
    );
    cleanup(&dir);
}

fn sessions(open: Factory) {
    let dir = place("sessions");
    let store = open(&dir);
    let u = store
        .create_user(&new_user("wang", Role::Viewer), 1)
        .unwrap();
    let v = store
        .create_user(&new_user("zhao", Role::Viewer), 1)
        .unwrap();
    let s1 = store
        .create_session(b"token-1", Subject::User(u.id), 10, 1000)
        .unwrap();
    let s2 = store
        .create_session(b"token-2", Subject::User(u.id), 10, 50)
        .unwrap();
    let s3 = store
        .create_session(b"token-3", Subject::User(v.id), 10, 1000)
        .unwrap();
    let found = store.session_by_token(b"token-1").unwrap().unwrap();
    assert_eq!(
        (found.id, found.subject, found.expires_at),
        (s1.id, Subject::User(u.id), 1000)
    );
    assert_eq!(store.session_by_token(b"token-x").unwrap(), None);
    let live: Vec<_> = store
        .live_sessions(20)
        .unwrap()
        .iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(live, [s3.id, s2.id, s1.id]);
    assert_eq!(
        store.revoke_sessions(Sessions::ExpiredBy(60), 60).unwrap(),
        [s2.id]
    );
    assert_eq!(
        store.revoke_sessions(Sessions::OfUser(u.id), 70).unwrap(),
        [s1.id]
    );
    assert!(
        store
            .revoke_sessions(Sessions::One(s1.id), 71)
            .unwrap()
            .is_empty(),
        "once"
    );
    assert_eq!(
        store
            .session_by_token(b"token-1")
            .unwrap()
            .unwrap()
            .revoked_at,
        Some(70)
    );
    assert_eq!(
        store.revoke_sessions(Sessions::One(s3.id), 80).unwrap(),
        [s3.id]
    );
    assert!(store.live_sessions(80).unwrap().is_empty());
    cleanup(&dir);
}

fn keys(open: Factory) {
    let dir = place("keys");
    let store = open(&dir);
    let k = store
        .create_key(
            "网关",
            b"key-hash",
            &[Permission::ReadingsWrite],
            5,
            Some(99),
        )
        .unwrap();
    let found = store.key_by_token(b"key-hash").unwrap().unwrap();
    assert_eq!(found, k);
    assert_eq!(
        found.scopes,
        [Permission::ReadingsWrite],
        "scopes exactly as given"
    );
    assert_eq!(found.expires_at, Some(99));
    assert!(store.revoke_key(k.id, 6).unwrap());
    assert!(!store.revoke_key(k.id, 7).unwrap(), "once");
    assert_eq!(store.keys().unwrap()[0].revoked_at, Some(6));
    cleanup(&dir);
}

fn devices(open: Factory) {
    let dir = place("devices");
    let store = open(&dir);
    let d = store.create_device("大屏 1", b"code-1", 600, 0).unwrap();
    assert_eq!((d.paired_at, d.pairing_expires_at), (None, Some(600)));
    assert_eq!(store.pair_device(b"code-9", 10).unwrap(), None);
    let paired = store.pair_device(b"code-1", 10).unwrap().expect("pairs");
    assert_eq!(
        (paired.id, paired.paired_at, paired.pairing_expires_at),
        (d.id, Some(10), None)
    );
    assert_eq!(store.pair_device(b"code-1", 11).unwrap(), None, "one use");
    let late = store.create_device("大屏 2", b"code-2", 600, 0).unwrap();
    assert_eq!(store.pair_device(b"code-2", 600).unwrap(), None, "expired");
    assert!(store.revoke_device(late.id, 700).unwrap());
    let e = store.create_device("大屏 3", b"code-3", 900, 800).unwrap();
    assert!(store.revoke_device(e.id, 801).unwrap());
    assert_eq!(store.pair_device(b"code-3", 802).unwrap(), None, "revoked");
    assert_eq!(store.devices().unwrap().len(), 3);
    cleanup(&dir);
}

fn recorded(open: Factory) {
    let (dir, store) = open_seeded(open, "recorded");
    let officer = Actor {
        name: "李警官".into(),
        account: Account::User {
            id: 1,
            username: "li".into(),
            role: Role::Operator,
            scope: None,
            session: 1,
        },
    };
    let mut c = new_case(113.9, now(), CaseCategory::ALL[1]);
    c.reporter = officer.clone();
    let case = reported(&store.execute(Command::ReportCase(c), 1).unwrap());
    let ev = store
        .execute(
            Command::Transition {
                case_id: case.id,
                to: CaseStatus::Accepted,
                by: officer.clone(),
                note: String::new(),
                at: now(),
            },
            2,
        )
        .unwrap();
    let (_, history) = store.case(case.id).unwrap().unwrap();
    assert!(
        history.iter().all(|t| t.by == "李警官"),
        "display names in the history"
    );
    let who = store.case_actors(case.id).unwrap();
    assert_eq!(who.len(), 2);
    assert!(who
        .iter()
        .all(|r| r.kind == "user" && r.account.as_deref() == Some("li")));
    let e = store.event_actor(ev[0].seq).unwrap().unwrap();
    assert_eq!(
        (e.kind.as_str(), e.account.as_deref()),
        ("user", Some("li"))
    );
    let r = store.execute(batch(vec![reading("S1", 1.0)]), 3).unwrap();
    let e = store.event_actor(r[0].seq).unwrap().unwrap();
    assert_eq!((e.kind.as_str(), e.account), ("system", None));
    cleanup(&dir);
}

// ---------------------------------------------------------------------------
// The audit log and the epoch
// ---------------------------------------------------------------------------

fn entry(at: i64, actor: &str, action: &str, target: &str) -> AuditEntry {
    AuditEntry {
        at,
        actor: actor.into(),
        kind: "user".into(),
        role: Some("officer".into()),
        action: action.into(),
        target: target.into(),
        from: "10.0.0.7".into(),
        detail: String::new(),
    }
}

fn audit_log(open: Factory) {
    let dir = place("audit");
    let store = open(&dir);
    let day = 86_400;
    let t0 = now() - 200 * day;
    let rows = [
        entry(t0, "zhang", "contacts.read", "hazards/YH000001"),
        entry(t0 + day, "li", "user.add", "wang"),
        entry(t0 + 190 * day, "zhang", "user.disable", "li"),
        entry(t0 + 199 * day, "zhang", "case.transition", "cases/7"),
    ];
    for r in &rows {
        store.audit(r).unwrap();
    }
    let q = |f: fn(&mut AuditQuery)| {
        let mut q = AuditQuery {
            limit: 100,
            ..AuditQuery::default()
        };
        f(&mut q);
        store
            .audit_query(&q)
            .unwrap()
            .into_iter()
            .map(|r| r.entry)
            .collect::<Vec<_>>()
    };
    // Newest first, stored exactly.
    assert_eq!(q(|_| {}), rows.iter().rev().cloned().collect::<Vec<_>>());
    assert_eq!(q(|q| q.actor = Some("li".into())), [rows[1].clone()]);
    assert_eq!(
        q(|q| q.action = Some("user.*".into())),
        [rows[2].clone(), rows[1].clone()]
    );
    assert_eq!(q(|q| q.action = Some("user".into())), []);
    let (from, to) = (t0 + day, t0 + 190 * day);
    let mut mid = AuditQuery {
        since: Some(from),
        until: Some(to),
        limit: 100,
        ..AuditQuery::default()
    };
    assert_eq!(
        store.audit_query(&mid).unwrap().len(),
        1,
        "until is exclusive"
    );
    mid.limit = 1;
    mid.until = None;
    assert_eq!(store.audit_query(&mid).unwrap()[0].entry, rows[3]);
    // Pruning removes only what is older than the cut, and survives a restart.
    assert_eq!(store.prune_audit_before(now() - 180 * day).unwrap(), 2);
    drop(store);
    let store = open(&dir);
    let left = store
        .audit_query(&AuditQuery {
            limit: 10,
            ..AuditQuery::default()
        })
        .unwrap();
    assert_eq!(
        left.iter().map(|r| r.entry.clone()).collect::<Vec<_>>(),
        [rows[3].clone(), rows[2].clone()]
    );
    assert_eq!(store.prune_audit_before(now() - 180 * day).unwrap(), 0);
    // Nothing younger than 180 days can be pruned.
    assert!(matches!(
        store.prune_audit_before(now() - 179 * day),
        Err(StoreError::Invalid { .. })
    ));
    assert_eq!(
        store
            .audit_query(&AuditQuery {
                limit: 10,
                ..AuditQuery::default()
            })
            .unwrap()
            .len(),
        2
    );
}

fn audited_writes(open: Factory) {
    let (_dir, store) = open_seeded(open, "audited");
    let ok = new_case(113.9, now(), CaseCategory::ALL[1]);
    let e = entry(now(), "zhang", "case.report", "cases/new");
    let events = store
        .execute_audited(Command::ReportCase(ok), 1, Some(&e))
        .unwrap();
    // The report's entry names the new case, filled in from its events.
    let id = match &events[0].change {
        Change::CaseReported { case } => case.id,
        other => panic!("{other:?}"),
    };
    let stored = AuditEntry {
        target: format!("cases/{id}"),
        ..e.clone()
    };
    // A rejected command stores neither the change nor its entry.
    let mut bad = new_case(113.9, now(), CaseCategory::ALL[1]);
    bad.departments.clear();
    let e2 = entry(now(), "li", "case.report", "cases/new");
    assert!(store
        .execute_audited(Command::ReportCase(bad), 1, Some(&e2))
        .is_err());
    let log = store
        .audit_query(&AuditQuery {
            limit: 10,
            ..AuditQuery::default()
        })
        .unwrap();
    assert_eq!(
        log.iter().map(|r| r.entry.clone()).collect::<Vec<_>>(),
        [stored]
    );
    // Any other entry is stored as it came.
    let t = entry(now(), "wang", "case.transition", &format!("cases/{id}"));
    store
        .execute_audited(
            Command::Transition {
                case_id: id,
                to: CaseStatus::Accepted,
                by: Actor::anonymous("王"),
                note: String::new(),
                at: now(),
            },
            2,
            Some(&t),
        )
        .unwrap();
    let log = store
        .audit_query(&AuditQuery {
            limit: 1,
            ..AuditQuery::default()
        })
        .unwrap();
    assert_eq!(log[0].entry, t);
}

fn epoch(open: Factory) {
    let dir = place("epoch");
    let store = open(&dir);
    let first = store.epoch().unwrap();
    assert!(
        first.len() >= 16,
        "{first:?}: random enough to tell stores apart"
    );
    assert_eq!(store.snapshot().unwrap().epoch, first);
    drop(store);
    assert_eq!(open(&dir).epoch().unwrap(), first, "a restart keeps it");
    let other = open(&place("epoch-other")).epoch().unwrap();
    assert_ne!(other, first);
}

/// SQLite: history rows and events written before migration 2 have no
/// recorded account (NULL `by_kind`); they read as `legacy` (unknown), not
/// as anonymous.
#[test]
fn rows_from_before_accounts_read_as_legacy() {
    use pingan_server::store::AccountStore;
    let dir = place("legacy");
    let store = SqliteStore::open(&dir.join("live.sqlite")).unwrap();
    let case = reported(
        &store
            .execute(
                Command::ReportCase(new_case(113.9, now(), CaseCategory::ALL[0])),
                1,
            )
            .unwrap(),
    );
    let conn = rusqlite::Connection::open(dir.join("live.sqlite")).unwrap();
    conn.execute_batch(
        "UPDATE case_transitions SET by_kind = NULL, by_account = NULL;
         UPDATE events SET actor_kind = NULL, actor_account = NULL;",
    )
    .unwrap();
    let who = store.case_actors(case.id).unwrap();
    assert!(!who.is_empty());
    assert!(
        who.iter()
            .all(|r| r.kind == "legacy" && r.account.is_none()),
        "{who:?}"
    );
    let head = store.head().unwrap();
    let e = store.event_actor(head).unwrap().unwrap();
    assert_eq!(e.kind, "legacy");
    drop(store);
    cleanup(&dir);
}

fn prune_ended(open: Factory) {
    let dir = place("prune-ended");
    let store = open(&dir);
    let t = now();
    let day = 86_400;
    let user = store
        .create_user(&new_user("pruned", Role::Viewer), t)
        .unwrap();
    let session = |n: u8, expires: i64| {
        store
            .create_session(&[n; 32], Subject::User(user.id), t - 60 * day, expires)
            .unwrap()
            .id
    };
    let old_revoked = session(1, t + day);
    let recent_revoked = session(2, t + day);
    let old_expired = session(3, t - 40 * day);
    let live = session(4, t + day);
    store
        .revoke_sessions(Sessions::One(old_revoked), t - 40 * day)
        .unwrap();
    store
        .revoke_sessions(Sessions::One(recent_revoked), t - day)
        .unwrap();
    let key = |n: u8, expires: Option<i64>| {
        store
            .create_key(
                "k",
                &[n; 32],
                &[Permission::ReadingsWrite],
                t - 60 * day,
                expires,
            )
            .unwrap()
            .id
    };
    let old_revoked_key = key(11, None);
    let old_expired_key = key(12, Some(t - 40 * day));
    let live_key = key(13, Some(t + day));
    assert!(store.revoke_key(old_revoked_key, t - 40 * day).unwrap());
    assert_eq!(store.prune_ended(t - 30 * day).unwrap(), (2, 2));
    for gone in [old_revoked, old_expired] {
        assert!(store.session(gone).unwrap().is_none(), "{gone}");
    }
    for kept in [recent_revoked, live] {
        assert!(store.session(kept).unwrap().is_some(), "{kept}");
    }
    assert!(store.key(old_revoked_key).unwrap().is_none());
    assert!(store.key(old_expired_key).unwrap().is_none());
    assert!(store.key(live_key).unwrap().is_some());
    assert_eq!(store.prune_ended(t - 30 * day).unwrap(), (0, 0));
    drop(store);
    cleanup(&dir);
}

// ---------------------------------------------------------------------------
// Wall scenes
// ---------------------------------------------------------------------------

/// `Store::reported_since`: the `CaseReported` events accepted in the
/// window whose rule is listed, newest first, each with its event's `at_ms`
/// and the case as reported (not as it is now), cut at `limit`.
fn urgent_reports(open: Factory) {
    let (dir, store) = open_seeded(open, "urgent");
    let cat = CaseCategory::ALL[2];
    let t0: i64 = 1_800_000_000_000;
    let hour = 3_600_000;
    let report = |rule: Option<&str>, at_ms: i64| {
        let case = NewCase {
            rule: rule.map(str::to_string),
            ..new_case(113.8, now(), cat)
        };
        reported(&store.execute(Command::ReportCase(case), at_ms).unwrap())
    };
    let old = report(Some("R7"), t0 - 25 * hour);
    let first = report(Some("R7"), t0 - hour);
    let plain = report(Some("R1"), t0 - hour + 10);
    let none = report(None, t0 - hour + 20);
    // Other topics' events in the window (a day of sensor readings) are
    // not cases.
    for k in 0..50 {
        store
            .execute(
                batch(vec![reading("S2", 1.0 + k as f64 * 0.01)]),
                t0 - hour + 30 + k,
            )
            .unwrap();
    }
    let second = report(Some("R9"), t0);
    // A later change of the first: the list still holds it as reported.
    store
        .execute(
            Command::Transition {
                case_id: first.id,
                to: CaseStatus::Accepted,
                by: Actor::anonymous("someone"),
                note: String::new(),
                at: now(),
            },
            t0 + 5,
        )
        .unwrap();
    let rules = vec!["R7".to_string(), "R9".to_string()];
    let (seq, got) = store.reported_since(t0 - 24 * hour, &rules, 64).unwrap();
    assert_eq!(seq, store.head().unwrap());
    let ids: Vec<(i64, u32)> = got.iter().map(|(at, c)| (*at, c.id)).collect();
    assert_eq!(ids, vec![(t0, second.id), (t0 - hour, first.id)], "{got:?}");
    assert_eq!(got[1].1, first, "the case as its report carried it");
    assert!(![old.id, plain.id, none.id]
        .iter()
        .any(|id| ids.iter().any(|(_, i)| i == id)));
    // The window's edge is inclusive; the limit keeps the newest.
    let (_, edge) = store.reported_since(t0 - 25 * hour, &rules, 64).unwrap();
    assert_eq!(edge.len(), 3, "{edge:?}");
    assert_eq!(edge[2].1.id, old.id);
    let (_, one) = store.reported_since(t0 - 25 * hour, &rules, 1).unwrap();
    assert_eq!(
        one.iter().map(|(_, c)| c.id).collect::<Vec<_>>(),
        vec![second.id]
    );
    // No rule, no limit: nothing.
    assert!(store.reported_since(0, &[], 64).unwrap().1.is_empty());
    assert!(store.reported_since(0, &rules, 0).unwrap().1.is_empty());
    cleanup(&dir);
}

fn scene_in(group: &str) -> SceneIn {
    SceneIn {
        group: group.into(),
        lon: 113.85,
        lat: 22.6,
        zoom: 14.0,
        layers: vec!["hazards".into(), "sensors".into(), "hazards".into()],
        highlight: Some(pingan_model::live::SceneFeature {
            layer: "hazards".into(),
            id: "YH000001".into(),
        }),
        duration_s: Some(120),
    }
}

fn push(scene: SceneIn, by: &Actor) -> Command {
    Command::PushScene {
        scene,
        within: Some([113.7, 22.4, 114.0, 22.9]),
        by: by.clone(),
    }
}

fn invalid_field(r: Result<Vec<Event>, StoreError>) -> String {
    match r {
        Err(StoreError::Invalid { field, .. }) => field,
        other => panic!("expected an invalid field, got {other:?}"),
    }
}

fn scenes(open: Factory) {
    let (dir, store) = open_seeded(open, "scenes");
    let op = Actor::anonymous("调度员甲");
    let t0 = pingan_server::clock::now_ms();
    let events = store.execute(push(scene_in("大厅"), &op), t0).unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].change.topic(), Topic::Scenes);
    let pushed = match &events[0].change {
        Change::Scene {
            group,
            scene: Some(s),
        } => {
            assert_eq!(group, "大厅");
            s.clone()
        }
        other => panic!("{other:?}"),
    };
    // Stamped by the rules: the command's clock and the actor's name;
    // layers once each, in order.
    assert_eq!(pushed.started_ms, t0);
    assert_eq!(pushed.by, "调度员甲");
    assert_eq!(pushed.layers, ["hazards", "sensors"]);
    assert_eq!(pushed.duration_s, Some(120));
    let (seq, stored) = store.scene("大厅").unwrap().expect("stored");
    assert_eq!((seq, &stored), (events[0].seq, &pushed));
    assert_eq!(
        store.snapshot().unwrap().scenes,
        std::slice::from_ref(&pushed)
    );

    // Rejections name the field and store nothing.
    let head = store.head().unwrap();
    let bad = |f: fn(&mut SceneIn)| {
        let mut s = scene_in("大厅");
        f(&mut s);
        invalid_field(store.execute(push(s, &op), t0 + 1))
    };
    assert_eq!(bad(|s| s.zoom = 7.9), "zoom");
    assert_eq!(bad(|s| s.zoom = f64::NAN), "zoom");
    assert_eq!(bad(|s| s.zoom = 20.5), "zoom");
    assert_eq!(bad(|s| s.lon = 114.2), "lon");
    assert_eq!(bad(|s| s.lat = f64::INFINITY), "lat");
    assert_eq!(bad(|s| s.lat = 23.5), "lat");
    assert_eq!(bad(|s| s.layers.push("roads".into())), "layers[3]");
    assert_eq!(
        bad(|s| s.highlight.as_mut().unwrap().layer = "x".into()),
        "highlight.layer"
    );
    assert_eq!(
        bad(|s| s.highlight.as_mut().unwrap().id = "a b".into()),
        "highlight.id"
    );
    assert_eq!(bad(|s| s.duration_s = Some(4)), "duration_s");
    assert_eq!(bad(|s| s.duration_s = Some(86_401)), "duration_s");
    assert_eq!(bad(|s| s.group = "a/b".into()), "group");
    assert_eq!(bad(|s| s.group = "x".repeat(41)), "group");
    assert_eq!(store.head().unwrap(), head);
    assert_eq!(store.scene("大厅").unwrap().unwrap().1, pushed);
    // Without a box, any valid coordinate.
    let mut far = scene_in("远处");
    far.lon = 120.0;
    far.duration_s = None;
    store
        .execute(
            Command::PushScene {
                scene: far,
                within: None,
                by: op.clone(),
            },
            t0 + 2,
        )
        .unwrap();

    // A push replaces the group's scene; one per group.
    let mut next = scene_in("大厅");
    next.highlight = None;
    next.layers.clear();
    next.duration_s = None;
    let e = store.execute(push(next, &op), t0 + 3).unwrap();
    let (_, now_shown) = store.scene("大厅").unwrap().unwrap();
    assert_eq!(now_shown.started_ms, t0 + 3);
    assert_eq!((now_shown.highlight, now_shown.duration_s), (None, None));
    let snap = store.snapshot().unwrap();
    assert_eq!(
        snap.scenes
            .iter()
            .map(|s| s.group.as_str())
            .collect::<Vec<_>>(),
        ["大厅", "远处"]
    );
    assert_eq!(snap.seq, e[0].seq);

    // Clearing: an event with no scene; then nothing to clear.
    let clear = |g: &str| Command::ClearScene {
        group: g.into(),
        by: op.clone(),
    };
    let e = store.execute(clear("大厅"), t0 + 4).unwrap();
    assert!(matches!(&e[0].change, Change::Scene { group, scene: None } if group == "大厅"));
    assert!(store.scene("大厅").unwrap().is_none());
    assert!(matches!(
        store.execute(clear("大厅"), t0 + 5),
        Err(StoreError::NotFound { .. })
    ));
    assert_eq!(invalid_field(store.execute(clear(""), t0 + 5)), "group");

    // An expired scene is no longer current: not in the snapshot, nothing
    // to clear; it stays stored until replaced.
    let mut short = scene_in("短");
    short.duration_s = Some(5);
    store.execute(push(short, &op), t0 - 60_000).unwrap();
    assert!(store
        .snapshot()
        .unwrap()
        .scenes
        .iter()
        .all(|s| s.group != "短"));
    assert!(store.scene("短").unwrap().is_some());
    assert!(matches!(
        store.execute(clear("短"), pingan_server::clock::now_ms()),
        Err(StoreError::NotFound { .. })
    ));

    // A restart keeps the current scenes, and seq continues.
    let head = store.head().unwrap();
    drop(store);
    let store = open(&dir);
    assert_eq!(
        store
            .snapshot()
            .unwrap()
            .scenes
            .iter()
            .map(|s| s.group.as_str())
            .collect::<Vec<_>>(),
        ["远处"]
    );
    let e = store.execute(push(scene_in("大厅"), &op), t0 + 6).unwrap();
    assert_eq!(e[0].seq, head + 1);
    let replay = store.events_since(head, 10).unwrap();
    assert_eq!(replay, e);
    cleanup(&dir);
}

/// An alarm stored before migration 7 kept no alarm time; one that fell back
/// to a warning (left NULL by the migration's backfill, which takes only
/// alerts at the alarm level) and becomes an alarm again gets its raise time,
/// not the moment: every wall would take the focus on an old alarm again.
#[test]
fn sqlite_an_alarm_from_before_migration_7_escalating_again_keeps_its_raise_time() {
    let (dir, store) = open_seeded(sqlite, "alarm-before-7");
    let th = thresholds(SensorType::WaterLevel);
    store
        .execute(batch(vec![reading("S2", th.alarm * 1.2)]), 1)
        .unwrap();
    let conn = rusqlite::Connection::open(dir.join("live.sqlite")).unwrap();
    conn.execute("UPDATE alerts SET alarm_at_ms = NULL", [])
        .unwrap();
    drop(conn);
    let fallen = th.warn + 0.5 * (th.alarm - th.hysteresis - th.warn);
    store
        .execute(batch(vec![reading("S2", fallen)]), 2)
        .unwrap();
    let alert = |store: &Arc<dyn Store>| {
        store
            .snapshot()
            .unwrap()
            .alerts
            .into_iter()
            .find(|a| a.sensor == "S2" && a.is_active())
            .unwrap()
    };
    assert_eq!(alert(&store).level, Level::Warn, "fell back");
    assert_eq!(alert(&store).alarm_at_ms, None);
    store
        .execute(batch(vec![reading("S2", th.alarm * 1.3)]), 3)
        .unwrap();
    let a = alert(&store);
    assert_eq!(a.level, Level::Alarm);
    assert_eq!(a.alarm_at_ms, Some(a.raised_at * 1000), "its raise time");
}

/// A case event that does not parse (a damaged row, a newer server's
/// change) is skipped by `reported_since`, not an error for a day.
#[test]
fn sqlite_an_unreadable_case_event_is_skipped_by_the_urgent_read() {
    let (dir, store) = open_seeded(sqlite, "urgent-damaged");
    let case = NewCase {
        rule: Some("R7".into()),
        ..new_case(113.8, now(), CaseCategory::ALL[2])
    };
    let t0: i64 = 1_800_000_000_000;
    let first = reported(
        &store
            .execute(Command::ReportCase(case.clone()), t0)
            .unwrap(),
    );
    let second = reported(&store.execute(Command::ReportCase(case), t0 + 1).unwrap());
    let conn = rusqlite::Connection::open(dir.join("live.sqlite")).unwrap();
    let damaged = conn
        .execute(
            "UPDATE events SET json = '{\"kind\":\"case_reported\",' WHERE json LIKE '%\"id\":' || ?1 || ',%'",
            [first.id],
        )
        .unwrap();
    assert_eq!(damaged, 1);
    drop(conn);
    let rules = vec!["R7".to_string()];
    let (_, got) = store.reported_since(t0 - 1, &rules, 64).unwrap();
    assert_eq!(
        got.iter().map(|(_, c)| c.id).collect::<Vec<_>>(),
        vec![second.id]
    );
    cleanup(&dir);
}

// ---------------------------------------------------------------------------
// Idempotency keys
// ---------------------------------------------------------------------------

fn keyed(account: &str, key: &str, fingerprint: u8, request: &str) -> IdempotencyKey {
    IdempotencyKey {
        account: account.into(),
        key: key.into(),
        fingerprint: [fingerprint; 32],
        request: request.into(),
    }
}

/// A report's answer: 201 with the case, as `POST /api/cases` gives it.
fn case_answer(events: &[Event]) -> StoreResult<Answer> {
    let case = reported(events);
    Ok(Answer {
        status: 201,
        body: serde_json::to_string(&case).unwrap(),
    })
}

fn answered_id(a: &Answer) -> u64 {
    serde_json::from_str::<serde_json::Value>(&a.body).unwrap()["id"]
        .as_u64()
        .unwrap()
}

fn idempotent_writes(open: Factory) {
    let (dir, store) = open_seeded(open, "idempotent");
    let t0: i64 = 1_800_000_000_000;
    let k = keyed("user:1", "field-0123456789ab", 1, "POST /api/cases");
    let report = |lon: f64| Command::ReportCase(new_case(lon, now(), CaseCategory::ALL[1]));
    let first = store
        .execute_idempotent(report(113.81), t0, None, Some(&k), &case_answer)
        .unwrap();
    assert!(!first.replayed);
    assert_eq!(first.events.len(), 1);
    assert_eq!(first.answer.status, 201);
    let id = answered_id(&first.answer);
    assert_eq!(u64::from(reported(&first.events).id), id);
    let before = store.counts().unwrap();

    // The same key and request: the first answer; nothing stored.
    let again = store
        .execute_idempotent(report(113.82), t0 + 1_000, None, Some(&k), &case_answer)
        .unwrap();
    assert!(again.replayed);
    assert!(again.events.is_empty());
    assert_eq!(again.answer, first.answer);
    assert_eq!(store.counts().unwrap(), before, "a replay stores nothing");
    let remembered = store
        .remembered("user:1", &k.key)
        .unwrap()
        .expect("remembered");
    assert_eq!(remembered.answer, first.answer);
    assert_eq!(remembered.fingerprint, k.fingerprint);
    assert_eq!(remembered.request, "POST /api/cases");
    assert_eq!(remembered.at_ms, t0);

    // The same key with another request: refused, nothing stored.
    for other in [
        keyed("user:1", &k.key, 2, "POST /api/cases"),
        keyed("user:1", &k.key, 2, "POST /api/alerts/1/ack"),
    ] {
        let r =
            store.execute_idempotent(report(113.83), t0 + 2_000, None, Some(&other), &case_answer);
        assert!(matches!(r, Err(StoreError::KeyReused(_))), "{r:?}");
    }
    assert_eq!(store.counts().unwrap(), before);

    // Another account's same key is its own.
    let theirs = keyed("key:4", &k.key, 1, "POST /api/cases");
    let second = store
        .execute_idempotent(
            report(113.84),
            t0 + 3_000,
            None,
            Some(&theirs),
            &case_answer,
        )
        .unwrap();
    assert!(!second.replayed);
    assert_eq!(answered_id(&second.answer), id + 1);
    assert_eq!(store.counts().unwrap().cases, before.cases + 1);

    // Without a key, every write is new; nothing is remembered.
    let plain = store
        .execute_idempotent(report(113.85), t0 + 4_000, None, None, &case_answer)
        .unwrap();
    assert_eq!(answered_id(&plain.answer), id + 2);

    // A restart keeps the keys.
    drop(store);
    let store = open(&dir);
    let after = store
        .execute_idempotent(report(113.86), t0 + 5_000, None, Some(&k), &case_answer)
        .unwrap();
    assert!(after.replayed);
    assert_eq!(answered_id(&after.answer), id);
    cleanup(&dir);
}

fn keys_with_their_writes(open: Factory) {
    let (dir, store) = open_seeded(open, "idempotent-tx");
    let t0: i64 = 1_800_000_000_000;
    let report = || Command::ReportCase(new_case(113.81, now(), CaseCategory::ALL[1]));
    let before = store.counts().unwrap();

    // An answer that fails rolls the write back: no case without its key.
    let k = keyed("user:1", "atomic-0123456789", 1, "POST /api/cases");
    let broken = |_: &[Event]| -> StoreResult<Answer> { Err(StoreError::Backend("boom".into())) };
    assert!(store
        .execute_idempotent(report(), t0, None, Some(&k), &broken)
        .is_err());
    assert_eq!(store.counts().unwrap(), before);
    assert_eq!(store.remembered("user:1", &k.key).unwrap(), None);

    // A refused command remembers nothing: a corrected retry with the same
    // key runs.
    let t = keyed(
        "user:1",
        "refused-0123456789",
        1,
        "POST /api/cases/7/transitions",
    );
    let transition = |to| Command::Transition {
        case_id: 7,
        to,
        by: Actor::anonymous("王"),
        note: String::new(),
        at: now(),
    };
    let case_of = |events: &[Event]| -> StoreResult<Answer> {
        match &events[0].change {
            Change::CaseTransitioned { case, .. } => Ok(Answer {
                status: 200,
                body: serde_json::to_string(case).unwrap(),
            }),
            other => panic!("{other:?}"),
        }
    };
    let r = store.execute_idempotent(
        transition(forbidden_from(CaseStatus::Reported)),
        t0,
        None,
        Some(&t),
        &case_of,
    );
    assert!(matches!(r, Err(StoreError::Conflict(_))), "{r:?}");
    assert_eq!(store.remembered("user:1", &t.key).unwrap(), None);
    let fixed = keyed("user:1", &t.key, 2, "POST /api/cases/7/transitions");
    let ok = store
        .execute_idempotent(
            transition(CaseStatus::Accepted),
            t0 + 1,
            None,
            Some(&fixed),
            &case_of,
        )
        .unwrap();
    assert!(!ok.replayed);
    // Replayed after the case moved on: still the first answer, not a 409.
    store
        .execute(transition(CaseStatus::Dispatched), t0 + 2)
        .unwrap();
    let later = store
        .execute_idempotent(
            transition(CaseStatus::Accepted),
            t0 + 3,
            None,
            Some(&fixed),
            &case_of,
        )
        .unwrap();
    assert!(later.replayed);
    assert_eq!(later.answer, ok.answer);
    assert!(
        later.answer.body.contains("\"status\":\"accepted\""),
        "{}",
        later.answer.body
    );

    // A write's audit entry is stored with it; a replay adds none.
    let a = keyed("user:1", "audited-0123456789", 1, "POST /api/cases");
    let e = entry(now(), "zhang", "case.report", "cases/new");
    store
        .execute_idempotent(report(), t0 + 4, Some(&e), Some(&a), &case_answer)
        .unwrap();
    store
        .execute_idempotent(report(), t0 + 5, Some(&e), Some(&a), &case_answer)
        .unwrap();
    let log = store
        .audit_query(&AuditQuery {
            limit: 10,
            ..AuditQuery::default()
        })
        .unwrap();
    assert_eq!(log.len(), 1, "{log:?}");

    // Only successful answers are remembered.
    let n = keyed("user:1", "not-a-success-0123", 1, "POST /api/cases");
    let odd = |events: &[Event]| -> StoreResult<Answer> {
        Ok(Answer {
            status: 409,
            ..case_answer(events)?
        })
    };
    store
        .execute_idempotent(report(), t0 + 6, None, Some(&n), &odd)
        .unwrap();
    assert_eq!(store.remembered("user:1", &n.key).unwrap(), None);
    cleanup(&dir);
}

fn keys_expire(open: Factory) {
    let (dir, store) = open_seeded(open, "idempotent-expiry");
    let t0: i64 = 1_800_000_000_000;
    let report = || Command::ReportCase(new_case(113.81, now(), CaseCategory::ALL[1]));
    let old = keyed("user:1", "old-key-0123456789", 1, "POST /api/cases");
    let young = keyed("user:1", "young-key-0123456789", 1, "POST /api/cases");
    store
        .execute_idempotent(report(), t0, None, Some(&old), &case_answer)
        .unwrap();
    store
        .execute_idempotent(
            report(),
            t0 + 10 * 86_400_000,
            None,
            Some(&young),
            &case_answer,
        )
        .unwrap();
    // 30 days later the old key is as new, even before pruning: another
    // request under it runs and is remembered in its place.
    let later = t0 + KEEP_MS + 1;
    let reused = keyed("user:1", &old.key, 2, "POST /api/cases");
    let r = store
        .execute_idempotent(report(), later, None, Some(&reused), &case_answer)
        .unwrap();
    assert!(!r.replayed);
    let now_remembered = store.remembered("user:1", &old.key).unwrap().unwrap();
    assert_eq!(
        (now_remembered.fingerprint, now_remembered.at_ms),
        ([2; 32], later)
    );
    // Pruning forgets those remembered before the cut, and only those.
    assert_eq!(store.prune_keys_before(t0 + 86_400_000).unwrap(), 0);
    assert_eq!(store.prune_keys_before(t0 + 11 * 86_400_000).unwrap(), 1);
    assert_eq!(store.remembered("user:1", &young.key).unwrap(), None);
    assert!(store.remembered("user:1", &old.key).unwrap().is_some());
    cleanup(&dir);
}

// ---------------------------------------------------------------------------
// Photos
// ---------------------------------------------------------------------------

fn new_photo(data: &[u8]) -> pingan_server::store::NewPhoto {
    pingan_server::store::NewPhoto {
        id: pingan_server::store::photo::id_of(data),
        mime: "image/png".into(),
        width: 3,
        height: 2,
        data: data.to_vec(),
    }
}

fn photos(open: Factory) {
    let (dir, store) = open_seeded(open, "photos");
    let officer = Actor::anonymous("网格员 李四");
    let p = new_photo(b"\x89PNG\r\n\x1a\n some bytes");
    assert_eq!(store.photo(&p.id).unwrap(), None);
    let e = entry(now(), "li", "photo.upload", &format!("photos/{}", p.id));
    let (created, meta) = store.put_photo(&p, &officer, 1_000, Some(&e)).unwrap();
    assert!(created);
    assert_eq!(
        (
            meta.id.as_str(),
            meta.mime.as_str(),
            meta.width,
            meta.height,
            meta.size
        ),
        (p.id.as_str(), "image/png", 3, 2, p.data.len() as u64)
    );
    assert_eq!(
        (meta.by.as_str(), meta.by_kind.as_str(), meta.at_ms),
        ("网格员 李四", "anonymous", 1_000)
    );
    // Again, by someone else: nothing new, the first upload's description.
    let (created, again) = store
        .put_photo(&p, &Actor::system("other"), 2_000, None)
        .unwrap();
    assert!(!created);
    assert_eq!(again, meta);
    let stored = store.photo(&p.id).unwrap().expect("stored");
    assert_eq!((stored.meta, stored.data), (meta, p.data.clone()));
    // The upload's audit entry is stored with it.
    let log = store
        .audit_query(&AuditQuery {
            action: Some("photo.upload".into()),
            limit: 10,
            ..AuditQuery::default()
        })
        .unwrap();
    assert_eq!(log.len(), 1);
    // An id that is no SHA-256 is refused; nothing stored.
    let mut bad = new_photo(b"x");
    bad.id = "not-a-digest".into();
    assert!(matches!(
        store.put_photo(&bad, &officer, 3_000, None),
        Err(StoreError::Invalid { .. })
    ));
    // Not yet shown with anything.
    assert_eq!(
        store.photo_places(&p.id).unwrap(),
        Vec::<Option<String>>::new()
    );
    // A restart keeps it.
    drop(store);
    let store = open(&dir);
    assert_eq!(store.photo(&p.id).unwrap().map(|s| s.data), Some(p.data));
    cleanup(&dir);
}

fn photo_uses(open: Factory) {
    let (dir, store) = open_seeded(open, "photo-uses");
    let p = new_photo(b"\xFF\xD8\xFF a photo");
    let missing = pingan_server::store::photo::id_of(b"not stored");
    let before = store.counts().unwrap();
    // Unknown or malformed: refused, nothing stored.
    for bad in [missing.clone(), "xyz".into()] {
        let mut c = new_case(113.8, now(), CaseCategory::ALL[0]);
        c.photo = Some(bad);
        assert!(matches!(
            store.execute(Command::ReportCase(c), 1),
            Err(StoreError::UnknownPhoto(_))
        ));
    }
    let hazard = |photo: Option<String>, status| Command::HazardStatus {
        id: "H1".into(),
        status,
        by: Actor::anonymous("inspector"),
        note: String::new(),
        at: now(),
        photo,
    };
    assert!(matches!(
        store.execute(hazard(Some(missing), HazardStatus::Rectifying), 1),
        Err(StoreError::UnknownPhoto(_))
    ));
    assert_eq!(store.counts().unwrap(), before);

    store
        .put_photo(&p, &Actor::anonymous("网格员"), 1, None)
        .unwrap();
    let mut c = new_case(113.8, now(), CaseCategory::ALL[0]);
    c.photo = Some(p.id.clone());
    let case = reported(&store.execute(Command::ReportCase(c), 2).unwrap());
    assert_eq!(case.photo.as_deref(), Some(p.id.as_str()));
    let (stored, _) = store.case(case.id).unwrap().unwrap();
    assert_eq!(stored, case, "the case as its event reported it");
    let e = store
        .execute(hazard(Some(p.id.clone()), HazardStatus::Rectifying), 3)
        .unwrap();
    let Change::HazardStatus { hazard: h } = &e[0].change else {
        panic!("{e:?}")
    };
    assert_eq!(h.photo.as_deref(), Some(p.id.as_str()));
    let snap = store.snapshot().unwrap();
    assert_eq!(snap.hazards[0].photo.as_deref(), Some(p.id.as_str()));
    // Where it is shown: the case's subdistrict and the hazard's (unknown).
    let mut places = store.photo_places(&p.id).unwrap();
    places.sort();
    assert_eq!(places, [None, Some("西乡街道".to_string())]);
    // The hazard's next change without a photo: its state has none; the
    // change with it is still where the photo is shown.
    store.execute(hazard(None, HazardStatus::Open), 4).unwrap();
    assert_eq!(store.snapshot().unwrap().hazards[0].photo, None);
    assert_eq!(store.photo_places(&p.id).unwrap().len(), 2);
    // A restart keeps the case's photo.
    drop(store);
    let store = open(&dir);
    assert_eq!(
        store.case(case.id).unwrap().unwrap().0.photo.as_deref(),
        Some(p.id.as_str())
    );
    cleanup(&dir);
}
