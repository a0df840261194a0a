//! Admin import jobs on the wire: the request body of `POST
//! /admin/imports`, the job as the API shows it, and the conversions from
//! and to the service's domain types.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::services::import_jobs as svc;

/// `POST /api/v1/admin/imports`.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportRequest {
    /// The data's format; only `movielens` so far.
    pub source: String,
    /// A release folder, relative to the server's `IMPORT_DIR`.
    pub path: String,
    /// Skip malformed lines and report them instead of aborting.
    #[serde(default)]
    pub skip_invalid: bool,
}

from_fields!(ImportRequest => svc::ImportRequest { source, path, skip_invalid });

/// `running`, `succeeded` or `failed`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    /// Still importing.
    Running,
    /// Committed.
    Succeeded,
    /// Rolled back; see `error`.
    Failed,
}

/// What a finished import changed.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ImportChanges {
    /// Movies added.
    pub movies_added: u64,
    /// Movies whose title, year, genres or ids changed.
    pub movies_updated: u64,
    /// MovieLens accounts added.
    pub users_added: u64,
    /// Ratings added or changed.
    pub ratings_written: u64,
}

/// One class of data-quality anomaly an import repaired.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ImportQuirkView {
    /// The class, e.g. `duplicate_tmdb_id`, `title_without_year`, `repeated_rating`.
    pub kind: String,
    /// How many times it was seen.
    pub count: u64,
    /// The first few, as `file:line movieId N: detail`.
    pub examples: Vec<String>,
}

/// An import job as the API shows it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ImportJobView {
    /// Job id (per instance).
    pub id: u64,
    /// `movielens`.
    pub source: String,
    /// The folder, relative to `IMPORT_DIR`.
    pub path: String,
    /// Running, succeeded or failed.
    pub status: JobStatus,
    /// `pending`, `movies`, `ratings`, `merging`, `aggregates`, `indexes`, `done` or `failed`.
    pub phase: String,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// When it ended.
    pub finished_at: Option<DateTime<Utc>>,
    /// Size of the ratings file.
    pub ratings_bytes_total: u64,
    /// How far into the ratings file the parser is.
    pub ratings_bytes_read: u64,
    /// Rating lines read.
    pub ratings_read: u64,
    /// What changed (when succeeded).
    pub changes: Option<ImportChanges>,
    /// Lines skipped (with `skip_invalid`).
    pub skipped_count: u64,
    /// The first skipped lines, as `file:line: reason`.
    pub skipped: Vec<String>,
    /// Data-quality anomalies met and repaired (when succeeded), by class.
    pub quirks: Vec<ImportQuirkView>,
    /// Why it failed (when failed); nothing was stored.
    pub error: Option<String>,
}

/// Skipped lines listed in a job's view (the count covers all).
const LISTED_PROBLEMS: usize = 20;

impl From<svc::JobSnapshot> for ImportJobView {
    fn from(job: svc::JobSnapshot) -> Self {
        let mut view = ImportJobView {
            id: job.id,
            source: "movielens".to_owned(),
            path: job.path,
            status: JobStatus::Running,
            phase: job.phase.name().to_owned(),
            started_at: job.started_at,
            finished_at: None,
            ratings_bytes_total: job.ratings_bytes_total,
            ratings_bytes_read: job.ratings_bytes_read,
            ratings_read: job.ratings_read,
            changes: None,
            skipped_count: 0,
            skipped: Vec::new(),
            quirks: Vec::new(),
            error: None,
        };
        match job.state {
            svc::JobState::Running => {}
            svc::JobState::Succeeded {
                finished_at,
                outcome,
            } => {
                let report = &outcome.report;
                view.status = JobStatus::Succeeded;
                view.finished_at = Some(finished_at);
                view.changes = Some(ImportChanges {
                    movies_added: report.movies_added,
                    movies_updated: report.movies_updated,
                    users_added: report.users_added,
                    ratings_written: report.ratings_written,
                });
                view.skipped_count = outcome.skipped_count;
                view.skipped = (outcome.skipped.iter().take(LISTED_PROBLEMS))
                    .map(ToString::to_string)
                    .collect();
                view.quirks = (outcome.quirks.iter())
                    .map(|(quirk, tally)| ImportQuirkView {
                        kind: quirk.name().to_owned(),
                        count: tally.count,
                        examples: tally.examples.iter().map(ToString::to_string).collect(),
                    })
                    .collect();
            }
            svc::JobState::Failed { finished_at, error } => {
                view.status = JobStatus::Failed;
                view.finished_at = Some(finished_at);
                view.error = Some(error);
            }
        }
        view
    }
}

/// `GET /admin/imports`.
#[derive(Serialize, ToSchema)]
pub struct ImportJobList {
    /// Newest first.
    pub items: Vec<ImportJobView>,
}
