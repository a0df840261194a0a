//! Import metrics: whether one runs, its phase and progress, and the
//! outcomes of finished imports.

use super::{Component, Exposition};
use crate::services::import::Phase;
use crate::services::import_jobs::{ImportJobs, RunningImport};

/// Import progress (`POST /api/v1/admin/imports` on this instance).
pub struct ImportMetrics<'a>(pub &'a ImportJobs);

impl Component for ImportMetrics<'_> {
    fn render(&self, out: &mut Exposition) {
        let imports = self.0;
        let running = imports.running();
        out.flag(
            "cinerank_import_running",
            "1 while an import runs on this instance.",
            running.is_some(),
        );
        out.header(
            "cinerank_import_phase",
            "gauge",
            "The running import's phase (1 for the current one).",
        );
        for phase in Phase::ALL {
            let current = running.is_some_and(|r| r.phase == phase);
            out.sample(
                "cinerank_import_phase",
                &[("phase", phase.name().to_owned())],
                if current { 1.0 } else { 0.0 },
            );
        }
        let running = running.unwrap_or(RunningImport {
            phase: Phase::Pending,
            bytes_total: 0,
            bytes_read: 0,
            ratings_read: 0,
            ratings_stored: 0,
            elapsed_seconds: 0.0,
        });
        out.single(
            "cinerank_import_ratings_bytes_total",
            "gauge",
            "Size of the running import's ratings file.",
            running.bytes_total as f64,
        );
        out.single(
            "cinerank_import_ratings_bytes_read",
            "gauge",
            "Bytes of the ratings file the running import has parsed.",
            running.bytes_read as f64,
        );
        out.single(
            "cinerank_import_ratings_read",
            "gauge",
            "Rating lines the running import has parsed.",
            running.ratings_read as f64,
        );
        out.single(
            "cinerank_import_ratings_stored",
            "gauge",
            "Ratings the running import has handed to the database.",
            running.ratings_stored as f64,
        );
        out.single(
            "cinerank_import_elapsed_seconds",
            "gauge",
            "Seconds since the running import started.",
            running.elapsed_seconds,
        );
        let totals = imports.totals();
        out.header(
            "cinerank_imports_total",
            "counter",
            "Finished imports by outcome.",
        );
        out.sample(
            "cinerank_imports_total",
            &[("outcome", "succeeded".to_owned())],
            totals.succeeded as f64,
        );
        out.sample(
            "cinerank_imports_total",
            &[("outcome", "failed".to_owned())],
            totals.failed as f64,
        );
        out.single(
            "cinerank_import_last_duration_seconds",
            "gauge",
            "How long the last finished import took.",
            imports.last_duration_seconds(),
        );
    }
}
