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

impl From<ImportRequest> for svc::ImportRequest {
    fn from(r: ImportRequest) -> Self {
        svc::ImportRequest {
            source: r.source,
            path: r.path,
            skip_invalid: r.skip_invalid,
        }
    }
}

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

impl From<svc::JobSnapshot> for ImportJobView {
    fn from(job: svc::JobSnapshot) -> Self {
        ImportJobView {
            id: job.id,
            source: job.source.to_owned(),
            path: job.path,
            status: match job.status {
                svc::JobStatus::Running => JobStatus::Running,
                svc::JobStatus::Succeeded => JobStatus::Succeeded,
                svc::JobStatus::Failed => JobStatus::Failed,
            },
            phase: job.phase.name().to_owned(),
            started_at: job.started_at,
            finished_at: job.finished_at,
            ratings_bytes_total: job.ratings_bytes_total,
            ratings_bytes_read: job.ratings_bytes_read,
            ratings_read: job.ratings_read,
            changes: job.changes.map(|c| ImportChanges {
                movies_added: c.movies_added,
                movies_updated: c.movies_updated,
                users_added: c.users_added,
                ratings_written: c.ratings_written,
            }),
            skipped_count: job.skipped_count,
            skipped: job.skipped,
            quirks: job
                .quirks
                .into_iter()
                .map(|q| ImportQuirkView {
                    kind: q.kind.to_owned(),
                    count: q.count,
                    examples: q.examples,
                })
                .collect(),
            error: job.error,
        }
    }
}

/// `GET /admin/imports`.
#[derive(Serialize, ToSchema)]
pub struct ImportJobList {
    /// Newest first.
    pub items: Vec<ImportJobView>,
}
