//! The broadcast hub (owned by the stream work): each event serialised once,
//! shared by every client. Placeholder until the stream lands.

use pingan_model::live::{Event, Seq};
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug, Default)]
pub struct Hub {
    head: AtomicU64,
}

impl Hub {
    pub fn new(head: Seq) -> Hub {
        Hub {
            head: AtomicU64::new(head),
        }
    }
    /// Publishes committed events. Callers hold the write lock, so events
    /// arrive here in sequence order.
    pub fn publish(&self, events: &[Event]) {
        if let Some(last) = events.last() {
            self.head.store(last.seq, Ordering::SeqCst);
        }
    }
    pub fn head(&self) -> Seq {
        self.head.load(Ordering::SeqCst)
    }
}
