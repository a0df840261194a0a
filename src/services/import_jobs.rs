//! Imports started over HTTP by an administrator (`POST
//! /api/v1/admin/imports`): the same importer as `cinerank import`, run as
//! a background job of this instance, with its progress in `/metrics` and
//! in `GET /api/v1/admin/imports/{id}`. Folders are named relative to
//! `IMPORT_DIR`, so an administrator cannot make the server read anything
//! outside it: `..` is refused, the folder must resolve inside the root, and
//! a folder holding symbolic links is refused (a link could lead anywhere).
//! Errors and skipped lines name files relative to `IMPORT_DIR`, never by
//! the server's absolute paths.

use std::collections::VecDeque;
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;

use super::catalog::GenreCatalog;
use super::import::{
    ImportOptions, ImportOutcome, ImportProgress, MAX_REPORTED_PROBLEMS, Phase, import_movielens,
};
use super::validation::Invalid;

/// Finished jobs kept for `GET /admin/imports`.
const KEPT_JOBS: usize = 20;

/// Why a job could not be started or found.
#[derive(Debug, thiserror::Error)]
pub enum ImportJobError {
    /// An unknown source, or a path that is not a folder under `IMPORT_DIR`.
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// Another import of this instance is still running.
    #[error("import {id} is still running")]
    Running {
        /// The running job.
        id: u64,
    },
    /// No such job (on this instance).
    #[error("import not found")]
    NotFound,
}

/// Refuses a release folder with a symbolic link among its entries. The
/// folder itself was checked to lie inside `IMPORT_DIR`, but a link inside
/// it (`movies.csv -> /elsewhere`) would make the importer read whatever it
/// points at; import folders hold plain files.
fn refuse_symlinks(dir: &Path, relative: &str) -> Result<(), Invalid> {
    let unreadable = || Invalid::field("path", format!("cannot list the folder `{relative}`"));
    let mut links = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|_| unreadable())? {
        let entry = entry.map_err(|_| unreadable())?;
        if entry.file_type().map_err(|_| unreadable())?.is_symlink() {
            links.push(format!(
                "{}/{}",
                relative.trim_end_matches('/'),
                entry.file_name().to_string_lossy()
            ));
        }
    }
    if links.is_empty() {
        return Ok(());
    }
    links.sort();
    Err(Invalid::field(
        "path",
        format!(
            "symbolic links are not followed in import folders: {}",
            links.join(", ")
        ),
    ))
}

/// `message` with every mention of the import root dropped, so that paths
/// read relative to `IMPORT_DIR` and the server's layout stays private.
fn relative_to_root(message: &str, root: &Path) -> String {
    let root = root.display().to_string();
    message
        .replace(&format!("{root}/"), "")
        .replace(&root, "IMPORT_DIR")
}

/// What an administrator asks to import.
#[derive(Clone, Debug)]
pub struct ImportRequest {
    /// The data's format; only `movielens` so far.
    pub source: String,
    /// A release folder, relative to the server's `IMPORT_DIR`.
    pub path: String,
    /// Skip malformed lines and report them instead of aborting.
    pub skip_invalid: bool,
}

/// How a job stands: running, or finished one way or the other.
#[derive(Clone, Debug)]
pub enum JobState {
    /// Still importing.
    Running,
    /// Committed.
    Succeeded {
        /// When it committed.
        finished_at: DateTime<Utc>,
        /// What it changed, skipped and repaired.
        outcome: Box<ImportOutcome>,
    },
    /// Rolled back; nothing was stored.
    Failed {
        /// When it gave up.
        finished_at: DateTime<Utc>,
        /// Why.
        error: String,
    },
}

/// An import job as it stands.
#[derive(Clone, Debug)]
pub struct JobSnapshot {
    /// Job id (per instance).
    pub id: u64,
    /// The folder, relative to `IMPORT_DIR`.
    pub path: String,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// The importer's phase.
    pub phase: Phase,
    /// Size of the ratings file.
    pub ratings_bytes_total: u64,
    /// How far into the ratings file the parser is.
    pub ratings_bytes_read: u64,
    /// Rating lines read.
    pub ratings_read: u64,
    /// Running, succeeded or failed.
    pub state: JobState,
}

enum JobResult {
    Succeeded(ImportOutcome),
    Failed(String),
}

struct ImportJob {
    id: u64,
    path: String,
    started_at: DateTime<Utc>,
    progress: ImportProgress,
    result: Mutex<Option<(DateTime<Utc>, JobResult)>>,
}

impl ImportJob {
    fn view(&self) -> JobSnapshot {
        let state = match &*self.result.lock().unwrap_or_else(|p| p.into_inner()) {
            None => JobState::Running,
            Some((at, JobResult::Succeeded(outcome))) => JobState::Succeeded {
                finished_at: *at,
                outcome: Box::new(outcome.clone()),
            },
            Some((at, JobResult::Failed(message))) => JobState::Failed {
                finished_at: *at,
                error: message.clone(),
            },
        };
        JobSnapshot {
            id: self.id,
            path: self.path.clone(),
            started_at: self.started_at,
            phase: self.progress.phase(),
            ratings_bytes_total: self.progress.ratings_bytes_total(),
            ratings_bytes_read: self.progress.ratings_bytes_read(),
            ratings_read: self.progress.ratings_read(),
            state,
        }
    }

    fn is_running(&self) -> bool {
        self.result
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_none()
    }
}

/// Totals for `/metrics`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ImportTotals {
    /// Imports that committed.
    pub succeeded: u64,
    /// Imports that rolled back.
    pub failed: u64,
}

/// A snapshot of the running import for `/metrics`.
#[derive(Clone, Copy, Debug)]
pub struct RunningImport {
    /// Its phase.
    pub phase: Phase,
    /// Ratings file size.
    pub bytes_total: u64,
    /// Ratings file bytes parsed.
    pub bytes_read: u64,
    /// Rating lines parsed.
    pub ratings_read: u64,
    /// Ratings handed to the database.
    pub ratings_stored: u64,
    /// Seconds since it started.
    pub elapsed_seconds: f64,
}

/// This instance's import jobs: at most one runs at a time.
pub struct ImportJobs {
    root: PathBuf,
    jobs: Mutex<VecDeque<Arc<ImportJob>>>,
    next_id: AtomicU64,
    succeeded: AtomicU64,
    failed: AtomicU64,
    last_duration_ms: AtomicU64,
}

impl ImportJobs {
    /// Jobs reading release folders under `root` (`IMPORT_DIR`).
    pub fn new(root: PathBuf) -> ImportJobs {
        ImportJobs {
            root,
            jobs: Mutex::new(VecDeque::new()),
            next_id: AtomicU64::new(1),
            succeeded: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            last_duration_ms: AtomicU64::new(0),
        }
    }

    /// Resolves `relative` inside the import root; 422 for anything that
    /// could point elsewhere or does not exist.
    fn resolve(&self, relative: &str) -> Result<PathBuf, Invalid> {
        let trimmed = relative.trim();
        let candidate = Path::new(trimmed);
        if trimmed.is_empty()
            || candidate
                .components()
                .any(|c| !matches!(c, Component::Normal(_) | Component::CurDir))
        {
            return Err(Invalid::field(
                "path",
                "must be a folder relative to IMPORT_DIR, without `..`",
            ));
        }
        let missing = || {
            Invalid::field(
                "path",
                format!("no folder `{trimmed}` under the server's IMPORT_DIR"),
            )
        };
        let root = self.root.canonicalize().map_err(|_| missing())?;
        let full = root.join(candidate).canonicalize().map_err(|_| missing())?;
        // A symlink inside the root must not lead out of it.
        if !full.starts_with(&root) || !full.is_dir() {
            return Err(missing());
        }
        refuse_symlinks(&full, trimmed)?;
        Ok(full)
    }

    /// Starts an import in the background; `on_success` runs after it
    /// commits (cache invalidation, retraining).
    pub fn start(
        self: &Arc<Self>,
        db: DatabaseConnection,
        genres: Arc<GenreCatalog>,
        request: ImportRequest,
        on_success: Box<dyn FnOnce() + Send>,
    ) -> Result<JobSnapshot, ImportJobError> {
        if request.source != "movielens" {
            return Err(Invalid::field("source", "unknown source; expected `movielens`").into());
        }
        let dir = self.resolve(&request.path)?;
        let root = self
            .root
            .canonicalize()
            .unwrap_or_else(|_| self.root.clone());
        let job = {
            let mut jobs = self.jobs.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(running) = jobs.iter().find(|j| j.is_running()) {
                return Err(ImportJobError::Running { id: running.id });
            }
            let job = Arc::new(ImportJob {
                id: self.next_id.fetch_add(1, Ordering::Relaxed),
                path: request.path.trim().to_owned(),
                started_at: Utc::now(),
                progress: ImportProgress::default(),
                result: Mutex::new(None),
            });
            jobs.push_back(Arc::clone(&job));
            while jobs.len() > KEPT_JOBS {
                jobs.pop_front();
            }
            job
        };
        let view = job.view();
        let jobs = Arc::clone(self);
        let options = ImportOptions {
            skip_invalid: request.skip_invalid,
        };
        log::info!("import {} of {} started", job.id, dir.display());
        tokio::spawn(async move {
            let result = import_movielens(&db, &genres, &dir, options, &job.progress).await;
            let finished = Utc::now();
            let elapsed = (finished - job.started_at).num_milliseconds().max(0) as u64;
            jobs.last_duration_ms.store(elapsed, Ordering::Relaxed);
            let result = match result {
                Ok(mut outcome) => {
                    for problem in &mut outcome.skipped {
                        if let Ok(relative) = problem.path.strip_prefix(&root) {
                            problem.path = relative.to_owned();
                        }
                    }
                    log::info!(
                        "import {} finished in {elapsed} ms: {:?}",
                        job.id,
                        outcome.report
                    );
                    jobs.succeeded.fetch_add(1, Ordering::Relaxed);
                    outcome.skipped.truncate(MAX_REPORTED_PROBLEMS);
                    on_success();
                    JobResult::Succeeded(outcome)
                }
                Err(err) => {
                    log::warn!("import {} failed, nothing stored: {err}", job.id);
                    jobs.failed.fetch_add(1, Ordering::Relaxed);
                    JobResult::Failed(relative_to_root(&err.to_string(), &root))
                }
            };
            *job.result.lock().unwrap_or_else(|p| p.into_inner()) = Some((finished, result));
        });
        Ok(view)
    }

    /// One job.
    pub fn get(&self, id: u64) -> Result<JobSnapshot, ImportJobError> {
        self.jobs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .find(|j| j.id == id)
            .map(|j| j.view())
            .ok_or(ImportJobError::NotFound)
    }

    /// Recent jobs, newest first.
    pub fn list(&self) -> Vec<JobSnapshot> {
        self.jobs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .rev()
            .map(|j| j.view())
            .collect()
    }

    /// Finished imports by outcome.
    pub fn totals(&self) -> ImportTotals {
        ImportTotals {
            succeeded: self.succeeded.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
        }
    }

    /// Duration of the last finished import, in seconds.
    pub fn last_duration_seconds(&self) -> f64 {
        self.last_duration_ms.load(Ordering::Relaxed) as f64 / 1000.0
    }

    /// The running import, if any.
    pub fn running(&self) -> Option<RunningImport> {
        let jobs = self.jobs.lock().unwrap_or_else(|p| p.into_inner());
        let job = jobs.iter().find(|j| j.is_running())?;
        Some(RunningImport {
            phase: job.progress.phase(),
            bytes_total: job.progress.ratings_bytes_total(),
            bytes_read: job.progress.ratings_bytes_read(),
            ratings_read: job.progress.ratings_read(),
            ratings_stored: job.progress.ratings_stored(),
            elapsed_seconds: (Utc::now() - job.started_at).num_milliseconds().max(0) as f64
                / 1000.0,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_must_stay_inside_the_import_root() {
        let root =
            std::env::temp_dir().join(format!("cinerank-import-root-{}", std::process::id()));
        std::fs::create_dir_all(root.join("ml-small")).unwrap();
        let jobs = ImportJobs::new(root.clone());
        assert!(jobs.resolve("ml-small").is_ok());
        assert!(jobs.resolve("./ml-small").is_ok());
        for bad in ["", "  ", "../etc", "ml-small/../..", "/etc", "missing"] {
            let err = jobs.resolve(bad).expect_err(bad);
            assert!(err.fields.contains_key("path"), "{bad}: {err}");
        }
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink("/tmp", root.join("escape")).unwrap();
            assert!(jobs.resolve("escape").is_err(), "a symlink out of the root");
        }
        std::fs::remove_dir_all(&root).ok();
    }
}
