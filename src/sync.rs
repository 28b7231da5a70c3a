//! The live stream's bookkeeping, pure (no web-sys): which events to apply,
//! which to skip as already seen, which layers to fetch again, and when to
//! reconnect. Tested natively.
//!
//! Every live layer has a *base*: the sequence number its data reflects (the
//! `X-Pingan-Seq` of the case file, or the snapshot's `seq` for the small
//! layers). The stream has a *cursor*: the last sequence number received from
//! it. An event is applied to its layer only if its `seq` is above both — so
//! nothing is applied twice, even when a reconnect replays events the client
//! already had, or a file already contains them. The stream must start at or
//! before every base (`since` = the cursor, or the smallest base before the
//! first event); a snapshot that starts after a layer's base means the events
//! in between are lost for that layer, so it is fetched again, and its events
//! are held back until the new file says which of them it already contains.
//!
//! Fetching a layer again: at most one fetch per layer is in flight; each
//! request (a snapshot, the periodic refresh) bumps the layer's generation,
//! and a file fetched for an older generation is discarded and fetched
//! again (a newer snapshot supersedes it). A failed fetch is retried; the
//! held events stay held meanwhile. Every held event was received — so
//! committed by the server — before a fetch that starts later, so that file
//! contains it: starting a fetch drops the layer's held events (memory stays
//! bounded across retries).

use pingan_model::live::{Event, Seq, SnapshotReason, Topic};

fn slot(t: Topic) -> usize {
    match t {
        Topic::Cases => 0,
        Topic::Sensors => 1,
        Topic::Alerts => 2,
        Topic::Hazards => 3,
        // Scenes have no layer file, hence no base: they share no slot with a
        // layer; the wall (issue 9) gives them their own handling.
        Topic::Scenes => 4,
    }
}

/// What to do with one streamed event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Apply it to its layer.
    Apply,
    /// Already received on this stream (a replay overlap).
    Duplicate,
    /// Its layer's data already contains it.
    InBase,
    /// Its layer is being fetched again; held until that completes.
    Held,
}

/// The per-layer bases, the stream cursor, and events held for layers that
/// are being fetched again.
#[derive(Clone, Debug, Default)]
pub struct SeqState {
    /// Last sequence number received from the stream (snapshot or event).
    pub cursor: Option<Seq>,
    /// The store identity the cursor and bases belong to (the welcome's
    /// `epoch`), sent back in the hello so that another store answers with
    /// a snapshot, never a replay of its own events.
    pub epoch: Option<String>,
    base: [Option<Seq>; 5],
    reloading: [bool; 5],
    /// Generation of the latest reload request per layer.
    gen: [u64; 5],
    /// The generation of the fetch in flight, per layer.
    in_flight: [Option<u64>; 5],
    held: Vec<Event>,
}

impl SeqState {
    pub fn base(&self, t: Topic) -> Option<Seq> {
        self.base[slot(t)]
    }
    #[cfg_attr(not(test), allow(dead_code))]
    pub fn reloading(&self, t: Topic) -> bool {
        self.reloading[slot(t)]
    }
    /// Events held for layers being fetched again.
    #[cfg_attr(not(test), allow(dead_code))]
    pub fn held(&self) -> usize {
        self.held.len()
    }
    /// A layer's data now reflects `seq` (a file or snapshot arrived). Returns
    /// the held events for it that the data does not contain yet, in order.
    pub fn set_base(&mut self, t: Topic, seq: Seq) -> Vec<Event> {
        let i = slot(t);
        self.base[i] = Some(seq);
        self.reloading[i] = false;
        let mine = self.take_held(t);
        mine.into_iter().filter(|e| e.seq > seq).collect()
    }
    fn take_held(&mut self, t: Topic) -> Vec<Event> {
        let (mine, rest): (Vec<Event>, Vec<Event>) = std::mem::take(&mut self.held)
            .into_iter()
            .partition(|e| e.change.topic() == t);
        self.held = rest;
        mine
    }

    /// The small layers' state from `GET /api/live` at `seq`: their bases,
    /// and nothing else — the stream has not started, so the cursor stays
    /// unset and `since` = the smallest base (the case file's, usually older).
    pub fn on_http_snapshot(&mut self, seq: Seq, small: &[Topic]) {
        for t in small {
            let _ = self.set_base(*t, seq);
        }
    }

    /// The layer must be fetched again (a snapshot, the periodic refresh):
    /// its events are held from now on. Returns whether to start a fetch
    /// now (none in flight; one in flight is superseded and its file will
    /// be discarded by [`SeqState::finish_fetch`]).
    pub fn request_reload(&mut self, t: Topic) -> bool {
        let i = slot(t);
        self.reloading[i] = true;
        self.gen[i] += 1;
        self.in_flight[i].is_none()
    }
    /// A fetch of the layer starts: returns its generation tag. Held events
    /// of the layer are dropped: this file will contain them (see the module
    /// comment).
    pub fn begin_fetch(&mut self, t: Topic) -> u64 {
        let i = slot(t);
        self.in_flight[i] = Some(self.gen[i]);
        let _ = self.take_held(t);
        self.gen[i]
    }
    /// A fetch of generation `gen` returned a file at `seq`. `Some(events)`:
    /// use the file, then apply these held events; `None`: a newer request
    /// superseded it — discard the file and fetch again.
    pub fn finish_fetch(&mut self, t: Topic, gen: u64, seq: Seq) -> Option<Vec<Event>> {
        let i = slot(t);
        self.in_flight[i] = None;
        if gen != self.gen[i] || !self.reloading[i] {
            return None;
        }
        Some(self.set_base(t, seq))
    }
    /// Reloading with no fetch in flight: one must be started.
    pub fn needs_fetch(&self, t: Topic) -> bool {
        let i = slot(t);
        self.reloading[i] && self.in_flight[i].is_none()
    }
    /// A fetch failed: the layer stays reloading (events held); the caller
    /// retries with backoff. Returns whether a retry is still wanted.
    pub fn fetch_failed(&mut self, t: Topic) -> bool {
        let i = slot(t);
        self.in_flight[i] = None;
        self.reloading[i]
    }

    /// `since` for the hello: the cursor, else the smallest base of the
    /// `wanted` layers (`None` = no base at all: ask for a snapshot).
    pub fn since(&self, wanted: &[Topic]) -> Option<Seq> {
        if let Some(c) = self.cursor {
            return Some(c);
        }
        let mut min: Option<Seq> = None;
        for t in wanted {
            let b = self.base(*t)?;
            min = Some(min.map_or(b, |m: Seq| m.min(b)));
        }
        min
    }

    /// A snapshot at `seq` arrived on the stream: `small` are the layers it
    /// carries (their base becomes `seq`), `reload` those it says to fetch
    /// again. Returns the layers to start fetching now: a reload layer whose
    /// data (its base, or the cursor if it has been following the stream)
    /// is older than `seq`, or every reload layer when the server's log is
    /// behind us or another store (`Ahead`, `OtherEpoch`: its store was
    /// reset or replaced, nothing we hold can be trusted — every base and
    /// the cursor go back to `seq`, held events are dropped). A layer whose fetch is in flight is not returned: that
    /// fetch is superseded and started again when it returns.
    pub fn on_snapshot(
        &mut self,
        seq: Seq,
        reason: SnapshotReason,
        small: &[Topic],
        reload: &[Topic],
    ) -> Vec<Topic> {
        let ahead = matches!(reason, SnapshotReason::Ahead | SnapshotReason::OtherEpoch);
        if ahead {
            self.held.clear();
            for b in self.base.iter_mut() {
                if b.is_some() {
                    *b = Some(seq);
                }
            }
        }
        let mut fetch = Vec::new();
        for t in reload {
            let i = slot(*t);
            let current = match (self.base[i], self.cursor) {
                (Some(b), Some(c)) if !self.reloading[i] => Some(b.max(c)),
                (b, _) => b,
            };
            let stale = ahead || self.reloading[i] || current.is_none_or(|c| c < seq);
            if stale && !fetch.contains(t) && self.request_reload(*t) {
                fetch.push(*t);
            }
        }
        for t in small {
            // Held events of a small layer are older than its new snapshot.
            let _ = self.set_base(*t, seq);
        }
        self.cursor = Some(seq);
        fetch
    }

    /// The store identity of a welcome or an HTTP snapshot: kept with the
    /// seq. Returns whether it replaced another one (the store changed).
    pub fn note_epoch(&mut self, epoch: &str) -> bool {
        if epoch.is_empty() || self.epoch.as_deref() == Some(epoch) {
            return false;
        }
        self.epoch.replace(epoch.to_string()).is_some()
    }

    /// The verdict on a streamed event; updates the cursor (and holds the
    /// event when its layer is reloading).
    pub fn on_event(&mut self, e: &Event) -> Verdict {
        if self.cursor.is_some_and(|c| e.seq <= c) {
            return Verdict::Duplicate;
        }
        self.cursor = Some(e.seq);
        let i = slot(e.change.topic());
        if self.reloading[i] {
            self.held.push(e.clone());
            return Verdict::Held;
        }
        if self.base[i].is_some_and(|b| e.seq <= b) {
            return Verdict::InBase;
        }
        Verdict::Apply
    }
}

/// Reconnection delays: 0.5 s doubling to 30 s, each with jitter (a random
/// factor in [0.5, 1]) so a wall of screens does not reconnect in lockstep
/// after a server restart. The delays go back to the start only once a
/// connection has proved itself — delivered an event, or stayed up
/// `STABLE_MS` — not on its `welcome`: a server that welcomes and drops
/// at once is not hammered.
#[derive(Clone, Debug, Default)]
pub struct Backoff {
    pub attempts: u32,
    /// When the current connection was welcomed (ms), until it proves itself.
    up_since: Option<f64>,
}

impl Backoff {
    pub const FIRST_MS: f64 = 500.0;
    pub const MAX_MS: f64 = 30_000.0;
    pub const STABLE_MS: f64 = 10_000.0;
    /// The delay before the next attempt; `r` is uniform in [0, 1).
    pub fn next_delay(&mut self, r: f64) -> f64 {
        self.up_since = None;
        let d = (Self::FIRST_MS * 2f64.powi(self.attempts.min(16) as i32)).min(Self::MAX_MS);
        self.attempts += 1;
        d * (0.5 + 0.5 * r.clamp(0.0, 1.0))
    }
    pub fn reset(&mut self) {
        self.attempts = 0;
        self.up_since = None;
    }
    /// The server welcomed a connection at `now` (ms).
    pub fn welcomed(&mut self, now: f64) {
        if self.attempts > 0 {
            self.up_since = Some(now);
        }
    }
    /// The connection delivered an event: it works.
    pub fn delivered(&mut self) {
        self.reset();
    }
    /// Periodic check (ms): a connection up `STABLE_MS` works.
    pub fn tick(&mut self, now: f64) {
        if self.up_since.is_some_and(|t| now - t >= Self::STABLE_MS) {
            self.reset();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pingan_model::live::{Change, SensorState};

    fn ev(seq: Seq, topic: Topic) -> Event {
        use pingan_model::domain::SensorType;
        let change = match topic {
            Topic::Sensors => Change::Readings {
                sensors: vec![SensorState {
                    id: "S0001".into(),
                    sensor_type: SensorType::Gas,
                    value: 1.0,
                    at: 0,
                    level: pingan_model::live::Level::Normal,
                }],
            },
            Topic::Hazards => Change::HazardStatus {
                hazard: pingan_model::live::HazardState {
                    id: "YH000001".into(),
                    status: pingan_model::domain::HazardStatus::Rectified,
                    at: 0,
                    by: String::new(),
                    note: String::new(),
                    photo: None,
                },
            },
            _ => {
                let json = format!(
                    r#"{{"kind":"case_reported","case":{{"id":{seq},"category":"dispute","lon":113.8,"lat":22.6,
                    "grid":null,"grid_index":null,"community":null,"subdistrict":null,"description":"",
                    "reporter":"","status":"reported","departments":[],"rule":null,"reported_at":0,
                    "deadline":0,"updated_at":0}}}}"#
                );
                serde_json::from_str(&json).unwrap()
            }
        };
        Event {
            seq,
            at_ms: 0,
            change,
        }
    }

    const SMALL: &[Topic] = &[Topic::Sensors, Topic::Alerts, Topic::Hazards];

    #[test]
    fn events_at_or_below_a_base_or_the_cursor_are_never_applied() {
        let mut s = SeqState::default();
        s.set_base(Topic::Cases, 10);
        // The small layers come from /api/live at 7: start the stream there.
        for t in SMALL {
            s.set_base(*t, 7);
        }
        assert_eq!(s.since(Topic::ALL), Some(7));
        assert_eq!(s.on_event(&ev(8, Topic::Cases)), Verdict::InBase);
        assert_eq!(s.on_event(&ev(9, Topic::Sensors)), Verdict::Apply);
        assert_eq!(s.on_event(&ev(10, Topic::Cases)), Verdict::InBase);
        assert_eq!(s.on_event(&ev(11, Topic::Cases)), Verdict::Apply);
        // A reconnect replays from the cursor: an overlap is a duplicate.
        assert_eq!(s.since(Topic::ALL), Some(11));
        assert_eq!(s.on_event(&ev(11, Topic::Cases)), Verdict::Duplicate);
        assert_eq!(s.on_event(&ev(5, Topic::Sensors)), Verdict::Duplicate);
        assert_eq!(s.on_event(&ev(12, Topic::Cases)), Verdict::Apply);
    }

    #[test]
    fn no_base_asks_for_a_snapshot() {
        let mut s = SeqState::default();
        s.set_base(Topic::Cases, 3);
        assert_eq!(s.since(Topic::ALL), None);
        assert_eq!(s.since(&[Topic::Cases]), Some(3));
    }

    #[test]
    fn a_snapshot_after_the_case_file_reloads_it_and_holds_its_events() {
        let mut s = SeqState::default();
        s.set_base(Topic::Cases, 10);
        // First connection, no since: snapshot at 15 > the file's 10.
        let fetch = s.on_snapshot(15, SnapshotReason::NoSince, SMALL, &[Topic::Cases]);
        assert_eq!(fetch, vec![Topic::Cases]);
        assert_eq!(s.base(Topic::Sensors), Some(15));
        assert_eq!(s.on_event(&ev(16, Topic::Cases)), Verdict::Held);
        assert_eq!(s.on_event(&ev(17, Topic::Sensors)), Verdict::Apply);
        assert_eq!(s.on_event(&ev(18, Topic::Cases)), Verdict::Held);
        // The new file already holds 16 and 17: only 18 is applied.
        let later = s.set_base(Topic::Cases, 17);
        assert_eq!(later.iter().map(|e| e.seq).collect::<Vec<_>>(), [18]);
        assert_eq!(s.on_event(&ev(19, Topic::Cases)), Verdict::Apply);
    }

    #[test]
    fn a_snapshot_at_or_before_the_case_file_needs_no_reload() {
        let mut s = SeqState::default();
        s.set_base(Topic::Cases, 20);
        assert!(s
            .on_snapshot(20, SnapshotReason::NoSince, SMALL, &[Topic::Cases])
            .is_empty());
        assert_eq!(s.on_event(&ev(21, Topic::Cases)), Verdict::Apply);
        // Too far behind later: the layer followed the stream to 21 < 40.
        assert_eq!(
            s.on_snapshot(40, SnapshotReason::TooFarBehind, SMALL, &[Topic::Cases]),
            vec![Topic::Cases]
        );
        // A server whose store was reset (Ahead) reloads even when "newer".
        let mut s = SeqState::default();
        s.set_base(Topic::Cases, 50);
        s.on_snapshot(50, SnapshotReason::NoSince, SMALL, &[Topic::Cases]);
        assert_eq!(
            s.on_snapshot(3, SnapshotReason::Ahead, SMALL, &[Topic::Cases]),
            vec![Topic::Cases]
        );
        assert_eq!(s.cursor, Some(3));
        assert_eq!(s.on_event(&ev(4, Topic::Sensors)), Verdict::Apply);
    }

    #[test]
    fn the_http_snapshot_leaves_the_stream_to_start_at_the_case_file() {
        // Cases from api/cases.bin at 10, then GET /api/live at 15.
        let mut s = SeqState::default();
        s.set_base(Topic::Cases, 10);
        s.on_http_snapshot(15, SMALL);
        assert_eq!(s.cursor, None);
        assert_eq!(s.since(Topic::ALL), Some(10));
        // The replay from 10: cases 11..=15 are new, small layers ≤ 15 known.
        for seq in 11..=15 {
            let topic = if seq % 2 == 0 {
                Topic::Cases
            } else {
                Topic::Sensors
            };
            let want = if topic == Topic::Cases {
                Verdict::Apply
            } else {
                Verdict::InBase
            };
            assert_eq!(s.on_event(&ev(seq, topic)), want, "seq {seq}");
        }
        assert_eq!(s.on_event(&ev(16, Topic::Sensors)), Verdict::Apply);
        assert_eq!(s.on_event(&ev(17, Topic::Cases)), Verdict::Apply);
    }

    #[test]
    fn a_failed_reload_keeps_holding_and_is_retried() {
        let mut s = SeqState::default();
        s.set_base(Topic::Cases, 1);
        assert_eq!(
            s.on_snapshot(5, SnapshotReason::NoSince, SMALL, &[Topic::Cases]),
            [Topic::Cases]
        );
        let g = s.begin_fetch(Topic::Cases);
        assert_eq!(s.on_event(&ev(6, Topic::Cases)), Verdict::Held);
        assert!(s.fetch_failed(Topic::Cases), "retry");
        assert!(s.reloading(Topic::Cases));
        assert_eq!(s.on_event(&ev(7, Topic::Cases)), Verdict::Held);
        // The retry's file contains everything received before it started.
        let g2 = s.begin_fetch(Topic::Cases);
        assert_eq!(g2, g);
        assert_eq!(s.held(), 0);
        assert_eq!(s.on_event(&ev(8, Topic::Cases)), Verdict::Held);
        let back = s.finish_fetch(Topic::Cases, g2, 7).unwrap();
        assert_eq!(back.iter().map(|e| e.seq).collect::<Vec<_>>(), [8]);
        assert!(!s.reloading(Topic::Cases));
        assert_eq!(s.on_event(&ev(9, Topic::Cases)), Verdict::Apply);
    }

    #[test]
    fn a_newer_snapshot_supersedes_a_reload_in_flight() {
        let mut s = SeqState::default();
        s.set_base(Topic::Cases, 1);
        assert_eq!(
            s.on_snapshot(5, SnapshotReason::NoSince, SMALL, &[Topic::Cases]),
            [Topic::Cases]
        );
        let g = s.begin_fetch(Topic::Cases);
        // Too far behind again while the first fetch runs: no second fetch.
        assert!(s
            .on_snapshot(50, SnapshotReason::TooFarBehind, SMALL, &[Topic::Cases])
            .is_empty());
        assert_eq!(s.on_event(&ev(51, Topic::Cases)), Verdict::Held);
        // The first file (seq 6) is discarded: events 7..=50 are not in it.
        assert_eq!(s.finish_fetch(Topic::Cases, g, 6), None);
        assert!(s.reloading(Topic::Cases));
        let g2 = s.begin_fetch(Topic::Cases);
        assert_ne!(g2, g);
        assert_eq!(s.on_event(&ev(52, Topic::Cases)), Verdict::Held);
        let back = s.finish_fetch(Topic::Cases, g2, 51).unwrap();
        assert_eq!(back.iter().map(|e| e.seq).collect::<Vec<_>>(), [52]);
        // The periodic refresh uses the same path.
        assert!(s.request_reload(Topic::Cases));
        let g3 = s.begin_fetch(Topic::Cases);
        assert_eq!(s.on_event(&ev(53, Topic::Cases)), Verdict::Held);
        assert_eq!(s.on_event(&ev(54, Topic::Cases)), Verdict::Held);
        let back = s.finish_fetch(Topic::Cases, g3, 53).unwrap();
        assert_eq!(back.iter().map(|e| e.seq).collect::<Vec<_>>(), [54]);
    }

    #[test]
    fn the_epoch_is_kept_with_the_seq_and_another_store_resets_like_ahead() {
        let mut s = SeqState::default();
        assert!(!s.note_epoch("e1"), "the first epoch replaces nothing");
        assert!(!s.note_epoch("e1") && !s.note_epoch(""));
        assert_eq!(s.epoch.as_deref(), Some("e1"));
        s.set_base(Topic::Cases, 100);
        s.on_http_snapshot(100, SMALL);
        assert_eq!(s.on_event(&ev(101, Topic::Cases)), Verdict::Apply);
        // The store was replaced; its seq (500) passed ours, yet the case
        // file is fetched again and nothing of ours counts as "in base".
        assert!(s.note_epoch("e2"));
        assert_eq!(
            s.on_snapshot(500, SnapshotReason::OtherEpoch, SMALL, &[Topic::Cases]),
            [Topic::Cases]
        );
        assert_eq!(s.cursor, Some(500));
        assert_eq!(s.base(Topic::Cases), Some(500));
    }

    #[test]
    fn a_store_reset_resets_bases_and_drops_held_events() {
        let mut s = SeqState::default();
        s.set_base(Topic::Cases, 100);
        s.on_http_snapshot(100, SMALL);
        assert_eq!(s.on_event(&ev(101, Topic::Cases)), Verdict::Apply);
        // A periodic reload is in flight with an event held.
        assert!(s.request_reload(Topic::Cases));
        let g = s.begin_fetch(Topic::Cases);
        assert_eq!(s.on_event(&ev(102, Topic::Cases)), Verdict::Held);
        // The server's store was reset: it is at 3.
        assert!(s
            .on_snapshot(3, SnapshotReason::Ahead, SMALL, &[Topic::Cases])
            .is_empty());
        assert_eq!(s.held(), 0);
        assert_eq!(s.cursor, Some(3));
        assert_eq!(s.base(Topic::Cases), Some(3));
        assert_eq!(s.on_event(&ev(4, Topic::Sensors)), Verdict::Apply);
        assert_eq!(s.on_event(&ev(5, Topic::Cases)), Verdict::Held);
        // The old store's file is discarded; the new one at 4 keeps 5.
        assert_eq!(s.finish_fetch(Topic::Cases, g, 102), None);
        let g2 = s.begin_fetch(Topic::Cases);
        assert_eq!(s.on_event(&ev(6, Topic::Cases)), Verdict::Held);
        let back = s.finish_fetch(Topic::Cases, g2, 5).unwrap();
        assert_eq!(back.iter().map(|e| e.seq).collect::<Vec<_>>(), [6]);
        assert_eq!(s.on_event(&ev(7, Topic::Cases)), Verdict::Apply);
        // Even when the reload keeps failing, events above 3 are not "in base".
        let mut s = SeqState::default();
        s.set_base(Topic::Cases, 100);
        s.on_http_snapshot(100, SMALL);
        s.on_snapshot(3, SnapshotReason::Ahead, SMALL, &[]);
        assert_eq!(s.on_event(&ev(4, Topic::Cases)), Verdict::Apply);
    }

    #[test]
    fn backoff_resets_only_once_a_connection_proves_itself() {
        let mut b = Backoff::default();
        b.next_delay(1.0);
        b.next_delay(1.0);
        // Welcomed, then dropped at once: the delays keep growing.
        b.welcomed(0.0);
        b.tick(500.0);
        assert_eq!(b.next_delay(1.0), 2000.0);
        // Welcomed and up for 10 s: back to the start.
        b.welcomed(1000.0);
        b.tick(5000.0);
        assert_eq!(b.attempts, 3);
        b.tick(11_000.0);
        assert_eq!(b.attempts, 0);
        // Or an event delivered.
        b.next_delay(1.0);
        b.welcomed(0.0);
        b.delivered();
        assert_eq!(b.next_delay(1.0), 500.0);
    }

    #[test]
    fn backoff_doubles_to_thirty_seconds_with_jitter() {
        let mut b = Backoff::default();
        let full: Vec<f64> = (0..9).map(|_| b.next_delay(1.0)).collect();
        assert_eq!(full[..4], [500.0, 1000.0, 2000.0, 4000.0]);
        assert_eq!(*full.last().unwrap(), 30_000.0);
        b.reset();
        let low = b.next_delay(0.0);
        assert_eq!(low, 250.0);
    }
}
