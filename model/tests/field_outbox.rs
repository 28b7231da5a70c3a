//! `field::outbox`: every transition of an entry (no answer, timeout, 5xx,
//! 408, 429 with Retry-After, 401 and signing in, other 4xx, 2xx, the photo
//! first), the backoff's growth, cap and jitter, which entry goes next,
//! reloads, keys, JSON; and "exactly once": a simulated server that
//! remembers successful answers by key, with lost requests and answers,
//! expired sessions and page reloads (entries re-read from their JSON),
//! ends with every write applied once, each subject's in order.

use pingan_model::field::outbox::*;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use std::collections::{HashMap, HashSet};

fn entry(key: &str, subject: &str, now: f64) -> Entry {
    Entry::new(
        key.into(),
        Kind::HazardStatus,
        subject.into(),
        format!("/api/hazards/{subject}/status"),
        r#"{"status":"rectified"}"#.into(),
        None,
        now,
    )
}

fn status(status: u16, retry_after_s: Option<u32>, error: &str) -> Outcome {
    Outcome::Status {
        status,
        retry_after_s,
        error: error.into(),
    }
}

/// Begins and settles one try at `now`.
fn attempt(e: &mut Entry, o: &Outcome, now: f64, random: f64) {
    assert!(e.begin().is_some(), "{:?} could not begin", e.state);
    assert_eq!(e.state, State::Sending);
    e.settle(o, now, random);
}

#[test]
fn no_answer_and_transient_answers_queue_again_with_backoff() {
    for (o, why) in [
        (Outcome::Network, "offline"),
        (Outcome::Timeout, "timeout"),
        (status(500, None, "internal"), "500 internal"),
        (status(503, None, ""), "503"),
        (status(408, None, "timeout"), "408 timeout"),
        (status(429, None, "rate_limited"), "429 rate_limited"),
        (status(302, None, ""), "302"),
    ] {
        let mut e = entry("k0000000000000000000000", "hazard:1", 1_000.0);
        attempt(&mut e, &o, 10_000.0, 0.5);
        assert_eq!(e.state, State::Queued, "{o:?}");
        assert_eq!((e.attempts, e.failures), (1, 1));
        assert_eq!(e.next_try_ms - 10_000.0, backoff_ms(1, 0.5), "{o:?}");
        assert_eq!(e.last_error.as_deref(), Some(why));
        assert_eq!(next(&[e.clone()], 10_000.0), Next::WaitUntil(e.next_try_ms));
        assert!(matches!(
            next(&[e.clone()], e.next_try_ms),
            Next::Send { index: 0, .. }
        ));
    }
}

#[test]
fn retry_after_is_waited_for_but_capped() {
    let mut e = entry("k1", "s", 0.0);
    attempt(
        &mut e,
        &status(429, Some(120), "rate_limited"),
        5_000.0,
        0.5,
    );
    assert_eq!(e.next_try_ms, 5_000.0 + 120_000.0);
    attempt(&mut e, &status(503, Some(1), "busy"), 200_000.0, 0.5);
    assert_eq!(
        e.next_try_ms,
        200_000.0 + backoff_ms(2, 0.5),
        "backoff is the floor"
    );
    attempt(&mut e, &status(503, Some(u32::MAX), "busy"), 300_000.0, 0.5);
    assert_eq!(e.next_try_ms, 300_000.0 + RETRY_AFTER_CAP_MS);
}

#[test]
fn backoff_doubles_with_jitter_up_to_the_cap() {
    for n in 1..12u32 {
        let mid = backoff_ms(n, 0.5);
        let expected = (BACKOFF_BASE_MS * 2f64.powi(n as i32 - 1)).min(BACKOFF_CAP_MS);
        assert!((mid - expected).abs() < 1e-6, "{n}: {mid}");
        assert!(backoff_ms(n, 0.0) <= mid && mid <= backoff_ms(n, 1.0));
        assert!((backoff_ms(n, 0.0) - 0.75 * expected).abs() < 1e-6);
        assert!(backoff_ms(n, 1.0) <= BACKOFF_CAP_MS);
    }
    assert_eq!(backoff_ms(2, 0.5), 2.0 * backoff_ms(1, 0.5));
    assert_eq!(backoff_ms(u32::MAX, 1.0), BACKOFF_CAP_MS);
    assert_eq!(backoff_ms(0, 0.5), backoff_ms(1, 0.5));
    assert_eq!(backoff_ms(3, f64::NAN), backoff_ms(3, 0.5));
    assert_eq!(backoff_ms(3, 7.0), backoff_ms(3, 1.0));
    // Consecutive failures grow the wait; progress resets it.
    let mut e = entry("k", "s", 0.0);
    let mut waits = Vec::new();
    for i in 0..5 {
        let now = f64::from(i) * 1e6;
        attempt(&mut e, &Outcome::Network, now, 0.5);
        waits.push(e.next_try_ms - now);
    }
    assert!(waits.windows(2).all(|w| w[1] > w[0]), "{waits:?}");
}

#[test]
fn a_401_pauses_the_queue_until_signed_in() {
    let mut a = entry("ka", "s1", 0.0);
    let b = entry("kb", "s2", 1.0);
    attempt(&mut a, &status(401, None, "unauthenticated"), 100.0, 0.5);
    assert_eq!(a.state, State::NeedsSignIn);
    let mut all = vec![a, b];
    assert_eq!(next(&all, 1e9), Next::SignIn, "b would meet the same 401");
    assert_eq!(counts(&all).needs_sign_in, 1);
    signed_in(&mut all, 5_000.0);
    assert_eq!(all[0].state, State::Queued);
    assert_eq!(all[0].next_try_ms, 5_000.0);
    assert_eq!(
        next(&all, 5_000.0),
        Next::Send {
            index: 0,
            task: Task::Send
        }
    );
}

#[test]
fn other_4xx_are_rejected_with_the_reason_and_kept() {
    for s in [400u16, 403, 404, 409, 413, 415, 422] {
        let mut e = entry("k", "s", 0.0);
        attempt(
            &mut e,
            &status(s, None, "hazard already rectified"),
            10.0,
            0.5,
        );
        assert_eq!(
            e.state,
            State::Rejected {
                status: s,
                error: "hazard already rectified".into()
            }
        );
        assert!(e.deletable());
        assert_eq!(next(&[e.clone()], 1e12), Next::Idle, "never sent again");
        assert_eq!(e.begin(), None);
    }
}

#[test]
fn a_2xx_is_sent_and_the_photo_goes_first() {
    let mut e = entry("k", "s", 0.0);
    attempt(&mut e, &Outcome::status(201), 10.0, 0.5);
    assert_eq!(e.state, State::Sent { status: 201 });
    assert_eq!(counts(&[e.clone()]).sent, 1);

    let mut p = Entry::new(
        "kp".into(),
        Kind::Report,
        "kp".into(),
        "/api/cases".into(),
        "{}".into(),
        Some("ab".repeat(32)),
        0.0,
    );
    assert_eq!(p.task(), Task::UploadPhoto);
    assert_eq!(
        next(&[p.clone()], 0.0),
        Next::Send {
            index: 0,
            task: Task::UploadPhoto
        }
    );
    assert_eq!(p.begin(), Some(Task::UploadPhoto));
    p.settle(&Outcome::Network, 50.0, 0.5);
    assert_eq!(
        (p.state.clone(), p.task()),
        (State::Queued, Task::UploadPhoto)
    );
    attempt(&mut p, &Outcome::status(204), 10_000.0, 0.5);
    assert_eq!(p.state, State::Queued, "the write itself is still to send");
    assert!(p.photo.as_ref().is_some_and(|ph| ph.uploaded));
    assert_eq!(
        (p.failures, p.next_try_ms),
        (0, 10_000.0),
        "progress: due at once"
    );
    assert_eq!(p.begin(), Some(Task::Send));
    p.settle(&Outcome::status(201), 10_001.0, 0.5);
    assert_eq!(p.state, State::Sent { status: 201 });
    assert_eq!(p.attempts, 3);
}

#[test]
fn settle_only_in_flight_and_begin_only_when_queued() {
    let mut e = entry("k", "s", 0.0);
    e.settle(&Outcome::status(201), 1.0, 0.5);
    assert_eq!(e.state, State::Queued, "no try in flight");
    assert_eq!(e.begin(), Some(Task::Send));
    assert_eq!(e.begin(), None, "already in flight");
    assert!(!e.deletable());
    assert_eq!(e.attempts, 1);
    e.settle(&Outcome::status(200), f64::NAN, f64::NAN);
    assert_eq!(e.state, State::Sent { status: 200 });
    e.settle(&Outcome::Network, 2.0, 0.5);
    assert_eq!(
        e.state,
        State::Sent { status: 200 },
        "a late outcome changes nothing"
    );
}

#[test]
fn next_is_one_at_a_time_oldest_due_first_in_subject_order() {
    let mut v = vec![
        entry("c", "hazard:2", 30.0),
        entry("a", "hazard:1", 10.0),
        entry("b", "hazard:1", 20.0),
        entry("d", "hazard:3", 40.0),
    ];
    assert_eq!(
        next(&v, 100.0),
        Next::Send {
            index: 1,
            task: Task::Send
        },
        "oldest"
    );
    assert_eq!(v[1].begin(), Some(Task::Send));
    assert_eq!(next(&v, 100.0), Next::Busy, "one at a time");
    v[1].settle(&Outcome::Network, 100.0, 0.5);
    // a waits; b is behind a (same hazard); c is the oldest due.
    assert_eq!(
        next(&v, 101.0),
        Next::Send {
            index: 0,
            task: Task::Send
        }
    );
    attempt(&mut v[0], &Outcome::status(200), 102.0, 0.5);
    assert_eq!(
        next(&v, 103.0),
        Next::Send {
            index: 3,
            task: Task::Send
        }
    );
    attempt(&mut v[3], &status(422, None, "invalid"), 104.0, 0.5);
    // Only a (waiting) and b (behind it) are left: wait for a.
    assert_eq!(next(&v, 105.0), Next::WaitUntil(v[1].next_try_ms));
    assert_eq!(
        next(&v, v[1].next_try_ms),
        Next::Send {
            index: 1,
            task: Task::Send
        }
    );
    let due = v[1].next_try_ms;
    attempt(&mut v[1], &Outcome::status(200), due, 0.5);
    assert_eq!(
        next(&v, due),
        Next::Send {
            index: 2,
            task: Task::Send
        },
        "b's turn"
    );
    // A rejected entry does not hold its subject back.
    let mut w = vec![entry("x", "s", 0.0), entry("y", "s", 1.0)];
    attempt(&mut w[0], &status(409, None, "conflict"), 2.0, 0.5);
    assert_eq!(
        next(&w, 3.0),
        Next::Send {
            index: 1,
            task: Task::Send
        }
    );
    assert_eq!(next(&[], 0.0), Next::Idle);
    let c = counts(&v);
    assert_eq!((c.waiting, c.sent, c.rejected), (1, 2, 1));
}

#[test]
fn on_load_an_entry_left_sending_is_queued_and_due() {
    let mut v = vec![entry("b", "s2", 20.0), entry("a", "s1", 10.0)];
    assert_eq!(v[0].begin(), Some(Task::Send));
    v[0].next_try_ms = 5_000.0;
    on_load(&mut v);
    assert_eq!(
        v.iter().map(|e| e.key.as_str()).collect::<Vec<_>>(),
        ["a", "b"]
    );
    assert_eq!(v[1].state, State::Queued);
    assert_eq!(v[1].attempts, 1, "the lost try is counted");
    assert!(v[1].next_try_ms <= 20.0, "due at once");
}

fn decode_url_safe(s: &str) -> Vec<u8> {
    let val = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'-' => 62,
        b'_' => 63,
        _ => panic!("not URL-safe base64: {c}"),
    };
    let mut bits = 0u32;
    let mut n = 0;
    let mut out = Vec::new();
    for c in s.bytes() {
        bits = (bits << 6) | u32::from(val(c));
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
            bits &= (1 << n) - 1;
        }
    }
    out
}

#[test]
fn keys_are_url_safe_22_chars_and_carry_the_random_bytes() {
    let mut rng = SmallRng::seed_from_u64(30);
    let mut seen = HashSet::new();
    for i in 0..2_000 {
        let mut r = [0u8; 16];
        rng.fill(&mut r);
        if i == 0 {
            r = [0xff; 16];
        } else if i == 1 {
            r = [0; 16];
        }
        let k = new_key(r);
        assert_eq!(k.len(), 22);
        assert!(
            k.bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'),
            "{k}"
        );
        assert!((16..=128).contains(&k.len()));
        assert_eq!(decode_url_safe(&k), r, "{k}");
        assert!(seen.insert(k));
    }
}

#[test]
fn entries_round_trip_through_json() {
    let mut v = vec![entry("q", "s", 1.5)];
    let mut sending = entry("s", "s", 2.0);
    let _ = sending.begin();
    v.push(sending);
    for (i, st) in [
        State::Sent { status: 201 },
        State::NeedsSignIn,
        State::Rejected {
            status: 422,
            error: "lon/lat \"outside\" every grid".into(),
        },
    ]
    .into_iter()
    .enumerate()
    {
        let mut e = Entry::new(
            format!("k{i}"),
            [Kind::Report, Kind::HazardStatus, Kind::Transition][i],
            "case:1".into(),
            "/api/cases/1/transitions".into(),
            r#"{"to":"accepted","note":"现场已核实"}"#.into(),
            Some("0f".repeat(32)),
            3.0,
        );
        e.state = st;
        e.failures = 4;
        e.last_error = Some("offline".into());
        v.push(e);
    }
    for e in &v {
        let json = serde_json::to_string(e).unwrap();
        let back: Entry = serde_json::from_str(&json).unwrap();
        assert_eq!(&back, e, "{json}");
    }
    let json = serde_json::to_string(&v[4]).unwrap();
    assert!(
        json.contains(r#""state":{"name":"rejected","status":422"#),
        "{json}"
    );
    assert!(json.contains(r#""kind":"transition""#), "{json}");
    // Written without the optional fields: they default.
    let old = r#"{"key":"abcdefghijklmnopqrstuv","kind":"report","subject":"x","path":"/api/cases",
        "body":"{}","created_ms":1,"state":{"name":"queued"},"next_try_ms":1}"#;
    let e: Entry = serde_json::from_str(old).unwrap();
    assert_eq!(
        (e.attempts, e.failures, e.photo, e.last_error),
        (0, 0, None, None)
    );
    assert_eq!(e.state, State::Queued);
    assert!(serde_json::from_str::<Entry>(r#"{"key":"x"}"#).is_err());
}

/// The simulated server: remembers successful answers by key (as
/// `server/src/store/idempotency.rs`), counts what it applied.
#[derive(Default)]
struct Server {
    remembered: HashMap<String, u16>,
    applied: HashMap<String, u32>,
    order: HashMap<String, Vec<String>>,
    photos: HashSet<String>,
    session_ok: bool,
    replays: u32,
}

impl Server {
    fn handle(&mut self, e: &Entry, task: Task, bad: bool, rng: &mut SmallRng) -> Outcome {
        if rng.random::<f64>() < 0.1 {
            return Outcome::Network; // lost on the way there
        }
        let answer = if !self.session_ok {
            status(401, None, "unauthenticated")
        } else if rng.random::<f64>() < 0.1 {
            status(503, Some(rng.random_range(0..5)), "busy")
        } else {
            match task {
                Task::UploadPhoto => {
                    self.photos.insert(e.photo.as_ref().unwrap().sha256.clone());
                    Outcome::status(204)
                }
                Task::Send => {
                    assert!(
                        e.photo
                            .as_ref()
                            .is_none_or(|p| self.photos.contains(&p.sha256)),
                        "a write before its photo"
                    );
                    if let Some(&s) = self.remembered.get(&e.key) {
                        self.replays += 1;
                        Outcome::status(s)
                    } else if bad {
                        status(422, None, "invalid")
                    } else {
                        *self.applied.entry(e.key.clone()).or_default() += 1;
                        self.order
                            .entry(e.subject.clone())
                            .or_default()
                            .push(e.key.clone());
                        self.remembered.insert(e.key.clone(), 201);
                        Outcome::status(201)
                    }
                }
            }
        };
        if rng.random::<f64>() < 0.2 {
            // Done, but the answer is lost: no answer, or the caller's timeout.
            return if rng.random() {
                Outcome::Network
            } else {
                Outcome::Timeout
            };
        }
        if rng.random::<f64>() < 0.03 {
            self.session_ok = false; // the session expires for the next ones
        }
        answer
    }
}

#[test]
fn exactly_once_through_lost_answers_reloads_and_sign_ins() {
    let (mut replays, mut closed_in_flight, mut sign_ins) = (0, 0, 0);
    for seed in 0..20u64 {
        let mut rng = SmallRng::seed_from_u64(100 + seed);
        let mut server = Server {
            session_ok: true,
            ..Server::default()
        };
        // The browser's store: the entries' JSON by key; the page's copy.
        let mut db: HashMap<String, String> = HashMap::new();
        let mut page: Vec<Entry> = Vec::new();
        let mut bad: HashSet<String> = HashSet::new();
        let mut made: Vec<(String, String)> = Vec::new(); // (subject, key) in order
        let save = |db: &mut HashMap<String, String>, e: &Entry| {
            db.insert(e.key.clone(), serde_json::to_string(e).unwrap());
        };
        let mut now = 1_000_000.0;
        let total = 40;
        for step in 0..100_000 {
            now += rng.random_range(1.0..500.0);
            if made.len() < total && rng.random::<f64>() < 0.05 {
                let mut r = [0u8; 16];
                rng.fill(&mut r);
                let key = new_key(r);
                let subject = format!("hazard:{}", rng.random_range(0..5));
                let photo = rng.random::<f64>() < 0.3;
                let e = Entry::new(
                    key.clone(),
                    Kind::HazardStatus,
                    subject.clone(),
                    "/api/hazards/x/status".into(),
                    "{}".into(),
                    photo.then(|| format!("{:064x}", rng.random::<u64>())),
                    now,
                );
                if rng.random::<f64>() < 0.05 {
                    bad.insert(key.clone());
                }
                save(&mut db, &e);
                page.push(e);
                made.push((subject, key));
            }
            if rng.random::<f64>() < 0.02 {
                // A reload: the page's copy is gone, the store is read.
                page = db
                    .values()
                    .map(|j| serde_json::from_str(j).unwrap())
                    .collect();
                on_load(&mut page);
            }
            assert!(page.iter().filter(|e| e.state == State::Sending).count() <= 1);
            match next(&page, now) {
                Next::Send { index, task } => {
                    let e = &mut page[index];
                    assert_eq!(e.begin(), Some(task));
                    save(&mut db, e);
                    let outcome = server.handle(e, task, bad.contains(&e.key), &mut rng);
                    if rng.random::<f64>() < 0.05 {
                        // The page closes before the answer is handled.
                        closed_in_flight += 1;
                        page = db
                            .values()
                            .map(|j| serde_json::from_str(j).unwrap())
                            .collect();
                        on_load(&mut page);
                        continue;
                    }
                    e.settle(&outcome, now, rng.random());
                    save(&mut db, e);
                }
                Next::SignIn => {
                    if rng.random::<f64>() < 0.2 {
                        server.session_ok = true;
                        sign_ins += 1;
                        signed_in(&mut page, now);
                        for e in &page {
                            save(&mut db, e);
                        }
                    }
                }
                Next::WaitUntil(t) => now = now.max(t - 1.0),
                Next::Busy => panic!("nothing is in flight between steps"),
                Next::Idle => {
                    if made.len() == total {
                        assert!(step > total, "ran");
                        break;
                    }
                }
            }
        }
        assert_eq!(made.len(), total);
        let c = counts(&page);
        assert_eq!(c.waiting + c.needs_sign_in, 0, "seed {seed}: {c:?}");
        for (_, key) in &made {
            let e = page.iter().find(|e| &e.key == key).unwrap();
            if bad.contains(key) {
                assert!(matches!(e.state, State::Rejected { status: 422, .. }));
                assert_eq!(server.applied.get(key), None);
            } else {
                assert_eq!(e.state, State::Sent { status: 201 }, "seed {seed}");
                assert_eq!(
                    server.applied.get(key),
                    Some(&1),
                    "seed {seed}: applied once"
                );
            }
        }
        // Each subject's writes were applied in the order they were made.
        for (subject, applied) in &server.order {
            let want: Vec<&String> = made
                .iter()
                .filter(|(s, k)| s == subject && !bad.contains(k))
                .map(|(_, k)| k)
                .collect();
            assert_eq!(applied.iter().collect::<Vec<_>>(), want, "seed {seed}");
        }
        replays += server.replays;
    }
    // The hard cases happened: answers replayed, pages closed mid-flight.
    assert!(replays > 20 && closed_in_flight > 20 && sign_ins > 5);
}
