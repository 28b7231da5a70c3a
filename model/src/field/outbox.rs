//! The outbox of writes made in the field, pure: the state machine of each
//! [`Entry`] (the browser keeps entries in IndexedDB as JSON and sends them
//! when online) and which one to send next ([`next`]).
//!
//! Every entry carries an idempotency key ([`new_key`]) sent as
//! `Idempotency-Key`; the server answers a repeated key with the stored
//! first answer, so sending again after a lost answer, a timeout or a
//! closed page is safe: an entry left [`State::Sending`] is queued again on
//! load ([`on_load`]). Outcomes ([`Entry::settle`]): no answer, 408, 429
//! and 5xx → queued again with exponential backoff and jitter (at least
//! `Retry-After`); 401 → [`State::NeedsSignIn`] (the queue pauses; resent
//! after signing in, [`signed_in`]); another 4xx → [`State::Rejected`],
//! kept and shown with the reason until the officer deletes it; 2xx →
//! [`State::Sent`]. A photo is uploaded first, by its SHA-256, then the
//! request that names it.
//!
//! One entry is in flight at a time, the oldest due first; entries of one
//! `subject` (the hazard or case a write changes) go in the order they
//! were made, so two status changes of one hazard cannot land swapped when
//! the first had to wait. Times are ms on the caller's clock; randomness
//! is the caller's (jitter, keys).

use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// The first retry waits about this long, doubling with every failure…
pub const BACKOFF_BASE_MS: f64 = 2_000.0;
/// …up to this (after the jitter): a phone back in coverage sends within
/// five minutes even if nothing tells the app it is online.
pub const BACKOFF_CAP_MS: f64 = 300_000.0;
/// A `Retry-After` is followed up to this long (a wild value would park the
/// entry for days).
pub const RETRY_AFTER_CAP_MS: f64 = 3_600_000.0;

/// What a write does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// `POST /api/cases`: a new case.
    Report,
    /// `POST /api/hazards/{id}/status`.
    HazardStatus,
    /// `POST /api/cases/{id}/transitions`.
    Transition,
}

/// A photo that goes with the write, uploaded first (content-addressed by
/// its SHA-256, hex; the bytes stay in the browser's store).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Photo {
    pub sha256: String,
    pub uploaded: bool,
}

/// Where an entry is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "name", rename_all = "snake_case")]
pub enum State {
    /// Waiting to be sent, at `next_try_ms` at the earliest.
    Queued,
    /// In flight (a photo or the request).
    Sending,
    /// The server took it (its first answer's status).
    Sent { status: u16 },
    /// The session was gone (401): kept, resent after signing in.
    NeedsSignIn,
    /// The server refused it (4xx): kept and shown with the reason.
    Rejected { status: u16, error: String },
}

/// One write of the outbox.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// The idempotency key, [`new_key`]; also the entry's id in the store.
    pub key: String,
    pub kind: Kind,
    /// What the write changes (`hazard:YH000001`, `case:1000001`; a report
    /// its own key): one subject's entries are sent in order.
    pub subject: String,
    /// The API path and the JSON body, as the app made them.
    pub path: String,
    pub body: String,
    pub created_ms: f64,
    pub state: State,
    /// Tries started, photo uploads included.
    #[serde(default)]
    pub attempts: u32,
    /// Failures in a row since the last progress: the backoff's exponent.
    #[serde(default)]
    pub failures: u32,
    pub next_try_ms: f64,
    /// Why the last try failed, while it waits to retry ("offline", "503 …").
    #[serde(default)]
    pub last_error: Option<String>,
    #[serde(default)]
    pub photo: Option<Photo>,
}

/// What the next try of an entry sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Task {
    /// The photo, by its SHA-256.
    UploadPhoto,
    /// The write itself, with `Idempotency-Key: key`.
    Send,
}

/// How a try ended.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// No answer: offline, DNS, connection lost.
    Network,
    /// The caller gave up waiting (the request may have landed).
    Timeout,
    /// An answer from the server (the caller checks it is the API's, not a
    /// captive portal's page). `error`: the API's `detail`, or empty.
    Status {
        status: u16,
        retry_after_s: Option<u32>,
        error: String,
    },
}

impl Outcome {
    pub fn status(status: u16) -> Outcome {
        Outcome::Status {
            status,
            retry_after_s: None,
            error: String::new(),
        }
    }
}

fn time(t: f64) -> f64 {
    if t.is_finite() {
        t
    } else {
        0.0
    }
}

impl Entry {
    /// A new queued entry, due at once.
    pub fn new(
        key: String,
        kind: Kind,
        subject: String,
        path: String,
        body: String,
        photo_sha256: Option<String>,
        now_ms: f64,
    ) -> Entry {
        let now = time(now_ms);
        Entry {
            key,
            kind,
            subject,
            path,
            body,
            created_ms: now,
            state: State::Queued,
            attempts: 0,
            failures: 0,
            next_try_ms: now,
            last_error: None,
            photo: photo_sha256.map(|sha256| Photo {
                sha256,
                uploaded: false,
            }),
        }
    }

    /// What a try of this entry sends now.
    pub fn task(&self) -> Task {
        match &self.photo {
            Some(p) if !p.uploaded => Task::UploadPhoto,
            _ => Task::Send,
        }
    }

    /// Starts a try: Queued → Sending. `None` (and no change) from any
    /// other state.
    pub fn begin(&mut self) -> Option<Task> {
        if self.state != State::Queued {
            return None;
        }
        self.state = State::Sending;
        self.attempts = self.attempts.saturating_add(1);
        Some(self.task())
    }

    /// Ends the try in flight with its outcome; `random` in [0, 1] is the
    /// jitter. Ignored unless Sending.
    pub fn settle(&mut self, outcome: &Outcome, now_ms: f64, random: f64) {
        if self.state != State::Sending {
            return;
        }
        let now = time(now_ms);
        let (status, retry_after_s, error) = match outcome {
            Outcome::Network => return self.retry(now, None, random, "offline".into()),
            Outcome::Timeout => return self.retry(now, None, random, "timeout".into()),
            Outcome::Status {
                status,
                retry_after_s,
                error,
            } => (*status, *retry_after_s, error),
        };
        match status {
            200..=299 => {
                self.failures = 0;
                self.last_error = None;
                match &mut self.photo {
                    Some(p) if !p.uploaded => {
                        p.uploaded = true;
                        self.state = State::Queued;
                        self.next_try_ms = now;
                    }
                    _ => self.state = State::Sent { status },
                }
            }
            401 => {
                self.failures = 0;
                self.state = State::NeedsSignIn;
            }
            408 | 429 => self.retry(now, retry_after_s, random, described(status, error)),
            400..=499 => {
                self.state = State::Rejected {
                    status,
                    error: error.clone(),
                };
            }
            // 5xx, and what an API never answers (1xx, 3xx, nonsense):
            // not a refusal of this write, so try again later.
            _ => self.retry(now, retry_after_s, random, described(status, error)),
        }
    }

    fn retry(&mut self, now: f64, retry_after_s: Option<u32>, random: f64, why: String) {
        self.failures = self.failures.saturating_add(1);
        let wait = retry_after_s
            .map(|s| (f64::from(s) * 1000.0).min(RETRY_AFTER_CAP_MS))
            .unwrap_or(0.0)
            .max(backoff_ms(self.failures, random));
        self.state = State::Queued;
        self.next_try_ms = now + wait;
        self.last_error = Some(why);
    }

    /// The page was closed (or crashed) with this entry in flight: the
    /// answer may have been lost, so it is queued again, due at once (its
    /// key makes the resend safe).
    pub fn on_load(&mut self) {
        if self.state == State::Sending {
            self.state = State::Queued;
            self.next_try_ms = self.next_try_ms.min(self.created_ms);
        }
    }

    /// Whether the officer may delete it: anything not in flight (a
    /// request in flight may still land).
    pub fn deletable(&self) -> bool {
        self.state != State::Sending
    }
}

fn described(status: u16, error: &str) -> String {
    if error.is_empty() {
        status.to_string()
    } else {
        format!("{status} {error}")
    }
}

/// The wait before retry number `failures` (≥ 1): 2 s doubling, ±25 %
/// by `random` in [0, 1] (NaN as 0.5), at most [`BACKOFF_CAP_MS`].
pub fn backoff_ms(failures: u32, random: f64) -> f64 {
    let r = if random.is_nan() {
        0.5
    } else {
        random.clamp(0.0, 1.0)
    };
    let exp = failures.saturating_sub(1).min(30) as i32;
    let raw = (BACKOFF_BASE_MS * 2f64.powi(exp)).min(BACKOFF_CAP_MS);
    (raw * (0.75 + 0.5 * r)).min(BACKOFF_CAP_MS)
}

/// The order entries are sent in: by creation time, then key.
fn order(a: &Entry, b: &Entry) -> std::cmp::Ordering {
    a.created_ms
        .total_cmp(&b.created_ms)
        .then_with(|| a.key.cmp(&b.key))
}

/// After loading the store: entries left in flight queued again
/// ([`Entry::on_load`]), in sending order.
pub fn on_load(entries: &mut [Entry]) {
    for e in entries.iter_mut() {
        e.on_load();
    }
    entries.sort_by(order);
}

/// After signing in again: every entry that met a 401 is queued, due now.
pub fn signed_in(entries: &mut [Entry], now_ms: f64) {
    let now = time(now_ms);
    for e in entries.iter_mut().filter(|e| e.state == State::NeedsSignIn) {
        e.state = State::Queued;
        e.next_try_ms = now;
    }
}

/// What to do next with the outbox.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Next {
    /// Begin `entries[index]` now ([`Entry::begin`]).
    Send { index: usize, task: Task },
    /// Nothing is due before this time: one timer.
    WaitUntil(f64),
    /// One is in flight: wait for its outcome.
    Busy,
    /// A 401 paused the queue (every write would meet it): sign in.
    SignIn,
    /// Nothing to send.
    Idle,
}

/// The next step: one in flight at a time; while any entry needs a sign-in,
/// none; else the oldest due of the entries that head their subject (an
/// entry waits behind an older queued one of the same subject).
pub fn next(entries: &[Entry], now_ms: f64) -> Next {
    if entries.iter().any(|e| e.state == State::Sending) {
        return Next::Busy;
    }
    if entries.iter().any(|e| e.state == State::NeedsSignIn) {
        return Next::SignIn;
    }
    let mut queued: Vec<usize> = (0..entries.len())
        .filter(|&i| entries[i].state == State::Queued)
        .collect();
    queued.sort_by(|&a, &b| order(&entries[a], &entries[b]));
    let mut subjects: HashSet<&str> = HashSet::new();
    let mut earliest: Option<f64> = None;
    for i in queued {
        let e = &entries[i];
        if !subjects.insert(e.subject.as_str()) {
            continue; // behind an older one of its subject
        }
        if e.next_try_ms <= now_ms || !e.next_try_ms.is_finite() {
            return Next::Send {
                index: i,
                task: e.task(),
            };
        }
        earliest = Some(earliest.map_or(e.next_try_ms, |t: f64| t.min(e.next_try_ms)));
    }
    earliest.map_or(Next::Idle, Next::WaitUntil)
}

/// Counts for the app's badge.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Queued or in flight.
    pub waiting: usize,
    pub sent: usize,
    pub needs_sign_in: usize,
    pub rejected: usize,
}

pub fn counts(entries: &[Entry]) -> Counts {
    let mut c = Counts::default();
    for e in entries {
        match e.state {
            State::Queued | State::Sending => c.waiting += 1,
            State::Sent { .. } => c.sent += 1,
            State::NeedsSignIn => c.needs_sign_in += 1,
            State::Rejected { .. } => c.rejected += 1,
        }
    }
    c
}

/// A fresh idempotency key from 16 random bytes: their URL-safe base64
/// without padding, 22 characters of `[A-Za-z0-9_-]` (the server takes
/// 16 to 128 of them).
pub fn new_key(random: [u8; 16]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(22);
    for chunk in random.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        let chars = chunk.len() + 1; // 3 bytes → 4 chars, 1 byte → 2
        for i in 0..chars {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}
