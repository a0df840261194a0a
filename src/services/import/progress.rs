//! Live counters of a running import, read by the progress bar and by
//! `/metrics` while the import writes them.

use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};

/// Where an import is; see [`ImportProgress::phase`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Phase {
    /// Not started.
    Pending = 0,
    /// Reading and writing movies and links.
    Movies = 1,
    /// Streaming ratings into the database.
    Ratings = 2,
    /// Merging staged ratings (PostgreSQL).
    Merging = 3,
    /// Recomputing movie rating aggregates.
    Aggregates = 4,
    /// Rebuilding indexes dropped for a bulk load (SQLite).
    Indexes = 7,
    /// Committed.
    Done = 5,
    /// Failed and rolled back.
    Failed = 6,
}

impl Phase {
    /// Every phase, in order.
    pub const ALL: [Phase; 8] = [
        Phase::Pending,
        Phase::Movies,
        Phase::Ratings,
        Phase::Merging,
        Phase::Aggregates,
        Phase::Indexes,
        Phase::Done,
        Phase::Failed,
    ];

    /// Label for logs and metrics.
    pub fn name(self) -> &'static str {
        match self {
            Phase::Pending => "pending",
            Phase::Movies => "movies",
            Phase::Ratings => "ratings",
            Phase::Merging => "merging",
            Phase::Aggregates => "aggregates",
            Phase::Indexes => "indexes",
            Phase::Done => "done",
            Phase::Failed => "failed",
        }
    }
}

/// Live counters of a running import.
#[derive(Debug, Default)]
pub struct ImportProgress {
    phase: AtomicU8,
    ratings_bytes_total: AtomicU64,
    ratings_bytes_read: AtomicU64,
    ratings_read: AtomicU64,
    ratings_stored: AtomicU64,
}

impl ImportProgress {
    /// The current phase.
    pub fn phase(&self) -> Phase {
        let raw = self.phase.load(Ordering::Relaxed);
        Phase::ALL
            .into_iter()
            .find(|p| *p as u8 == raw)
            .unwrap_or(Phase::Pending)
    }

    pub(super) fn set_phase(&self, phase: Phase) {
        self.phase.store(phase as u8, Ordering::Relaxed);
    }

    pub(super) fn set_ratings_bytes_total(&self, bytes: u64) {
        self.ratings_bytes_total.store(bytes, Ordering::Relaxed);
    }

    pub(super) fn set_read(&self, lines: u64, bytes: u64) {
        self.ratings_read.store(lines, Ordering::Relaxed);
        self.ratings_bytes_read.store(bytes, Ordering::Relaxed);
    }

    pub(super) fn add_stored(&self, rows: u64) {
        self.ratings_stored.fetch_add(rows, Ordering::Relaxed);
    }

    /// Size of the ratings file in bytes.
    pub fn ratings_bytes_total(&self) -> u64 {
        self.ratings_bytes_total.load(Ordering::Relaxed)
    }

    /// Bytes of the ratings file parsed so far.
    pub fn ratings_bytes_read(&self) -> u64 {
        self.ratings_bytes_read.load(Ordering::Relaxed)
    }

    /// Rating lines parsed so far.
    pub fn ratings_read(&self) -> u64 {
        self.ratings_read.load(Ordering::Relaxed)
    }

    /// Ratings handed to the database so far (staged, on PostgreSQL).
    pub fn ratings_stored(&self) -> u64 {
        self.ratings_stored.load(Ordering::Relaxed)
    }
}
