//! `cinerank enrich tmdb`: fills in missing posters and overviews from
//! TMDB's v3 movie details API.
//!
//! How a run goes:
//! 1. Candidates are the movies with a TMDB id that still lack a poster or an
//!    overview (every movie with a TMDB id under `overwrite`), minus the ids
//!    the state file says TMDB has already answered without the missing data.
//! 2. A few workers fetch details concurrently. Every request, retries
//!    included, first takes a turn from one shared [`Pacer`], so the whole
//!    run stays under the requested rate; a 429 holds every worker back for
//!    its `Retry-After`.
//! 3. Each answer is written as soon as it arrives, in its own statement, so
//!    a killed run loses at most the requests in flight, and the next run
//!    picks up exactly the movies still missing data.
//!
//! The API key travels in the query string (TMDB v3's `api_key`), so every
//! message that could carry a URL is redacted before it leaves this module.

mod client;
mod pacer;
mod state_file;

#[cfg(test)]
mod tests;

pub use client::{install_tls_crypto_provider, redact_api_key_in_url, redact_secret};
pub use pacer::{Pacer, backoff_delay, parse_retry_after};

use client::{TmdbAnswer, TmdbClient, TmdbMovieDetails};
use state_file::StateFile;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use entity::movie;
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use crate::config::{ConfigError, TmdbSettings};
use crate::services::catalog::{MAX_OVERVIEW_CHARS, MAX_URL_CHARS};

/// The longest `Retry-After` honoured; a longer one is cut to this so a
/// run never stalls for an hour on one header.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);
/// First backoff after a 5xx or a connection error; it doubles per attempt.
pub const BACKOFF_BASE: Duration = Duration::from_millis(500);
/// The longest backoff between two attempts.
pub const BACKOFF_MAX: Duration = Duration::from_secs(30);
/// Time limit of one request, connection included.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Why `cinerank enrich tmdb` stopped. Failures of single movies are not
/// errors: they are counted in [`EnrichReport::failed`] and the run goes on.
#[derive(Debug, thiserror::Error)]
pub enum EnrichError {
    /// A TMDB variable is missing or malformed.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A command-line option is out of range.
    #[error("invalid option: {0}")]
    InvalidOption(String),
    /// TMDB answered 401: the key is wrong or revoked. Every further request
    /// would fail the same way, so the run stops.
    #[error(
        "TMDB rejected TMDB_API_KEY (HTTP 401: {message}); check the key in your TMDB account settings"
    )]
    Unauthorized {
        /// TMDB's `status_message`.
        message: String,
    },
    /// The HTTP client could not be set up (already redacted).
    #[error("cannot set up the HTTP client: {0}")]
    HttpClient(String),
    /// Reading or appending to the state file failed.
    #[error("state file {}", path.display())]
    StateFile {
        /// The file.
        path: PathBuf,
        /// The I/O failure.
        #[source]
        source: std::io::Error,
    },
    /// A database read or write failed.
    #[error("database")]
    Database(#[from] DbErr),
}

/// How a run behaves (the command's options).
#[derive(Clone, Debug)]
pub struct EnrichOptions {
    /// Ask about at most this many movies.
    pub limit: Option<u64>,
    /// Requests per second across all workers, retries included.
    pub requests_per_second: u32,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// Attempts per movie (the first request included) before giving up.
    pub max_attempts: u32,
    /// TMDB `language` parameter, e.g. `en-US`.
    pub language: String,
    /// Replace posters and overviews that are already set.
    pub overwrite: bool,
    /// The file listing TMDB ids already answered without the missing data.
    pub state_file: PathBuf,
}

/// What a run did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EnrichReport {
    /// Movies to ask about in this run.
    pub candidates: u64,
    /// Movies skipped because the state file says TMDB has nothing more.
    pub skipped: u64,
    /// Movies TMDB answered with details (HTTP 200).
    pub fetched: u64,
    /// Movies whose poster or overview changed.
    pub updated: u64,
    /// Movies TMDB does not know (HTTP 404).
    pub not_found: u64,
    /// Movies given up on after retries, or with an unusable answer.
    pub failed: u64,
    /// HTTP requests sent, retries included.
    pub requests: u64,
}

impl EnrichReport {
    /// Movies done so far (answered or given up on).
    pub fn done(&self) -> u64 {
        self.fetched + self.not_found + self.failed
    }
}

/// Receives progress while a run goes; the command draws a progress bar.
pub trait Progress {
    /// The run will ask about `candidates` movies.
    fn start(&self, candidates: u64);
    /// One more movie is done; `report` holds the totals so far.
    fn advance(&self, report: &EnrichReport);
}

/// No progress output.
impl Progress for () {
    fn start(&self, _: u64) {}
    fn advance(&self, _: &EnrichReport) {}
}

/// Fills missing posters and overviews from TMDB; see the module docs.
/// `report` is kept up to date as the run goes, so it also tells what was
/// done when the run stops early with an error.
pub async fn enrich_from_tmdb<C>(
    db: &C,
    tmdb: &TmdbSettings,
    options: &EnrichOptions,
    progress: &impl Progress,
    report: &mut EnrichReport,
) -> Result<(), EnrichError>
where
    C: ConnectionTrait,
{
    validate(options)?;
    let mut state = StateFile::open(&options.state_file)?;
    let mut candidates = load_candidates(db, options.overwrite).await?;
    if !options.overwrite {
        let before = candidates.len();
        candidates.retain(|c| !state.has_answered(c.tmdb_id, &options.language));
        report.skipped = (before - candidates.len()) as u64;
    }
    if let Some(limit) = options.limit {
        candidates.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    }
    report.candidates = candidates.len() as u64;
    progress.start(report.candidates);
    if candidates.is_empty() {
        return Ok(());
    }

    let client = TmdbClient::new(tmdb, options)?;
    let queue = Arc::new(Mutex::new(candidates.into_iter()));
    // Room for one answer: a worker waits for the writer rather than piling
    // up fetched-but-unwritten answers that a killed run would lose.
    let (answers_tx, mut answers) = tokio::sync::mpsc::channel(1);
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..options.concurrency {
        let (client, queue, answers_tx) = (client.clone(), Arc::clone(&queue), answers_tx.clone());
        workers.spawn(async move {
            loop {
                // The lock is released before the request is awaited.
                let next = queue.lock().ok().and_then(|mut q| q.next());
                let Some(candidate) = next else { break };
                let answer = client.fetch(candidate.tmdb_id).await;
                if answers_tx.send((candidate, answer)).await.is_err() {
                    break;
                }
            }
        });
    }
    drop(answers_tx);

    // Answers are written one by one as they arrive: each is its own
    // statement, so a killed run keeps everything answered before.
    while let Some((candidate, answer)) = answers.recv().await {
        match answer {
            Ok(TmdbAnswer::Details(details)) => {
                report.fetched += 1;
                let found = FoundData::from_details(&details, &tmdb.image_base_url);
                if write_found_data(db, &candidate, &found, options.overwrite, Utc::now()).await? {
                    report.updated += 1;
                }
                let still_missing = (candidate.poster_url.is_none() && found.poster_url.is_none())
                    || (candidate.overview.is_none() && found.overview.is_none());
                if still_missing {
                    state.record(candidate.tmdb_id, &options.language, "no_data")?;
                }
            }
            Ok(TmdbAnswer::NotFound) => {
                report.not_found += 1;
                state.record(candidate.tmdb_id, &options.language, "not_found")?;
            }
            Ok(TmdbAnswer::GaveUp(reason)) => {
                report.failed += 1;
                log::warn!("TMDB movie {}: {reason}", candidate.tmdb_id);
            }
            Err(err) => {
                workers.abort_all();
                report.requests = client.requests_sent();
                return Err(err);
            }
        }
        report.requests = client.requests_sent();
        progress.advance(report);
    }
    while workers.join_next().await.is_some() {}
    report.requests = client.requests_sent();
    Ok(())
}

fn validate(options: &EnrichOptions) -> Result<(), EnrichError> {
    if !(1..=1000).contains(&options.requests_per_second) {
        return Err(EnrichError::InvalidOption(
            "--rate must be 1..=1000 requests per second".to_owned(),
        ));
    }
    if !(1..=64).contains(&options.concurrency) {
        return Err(EnrichError::InvalidOption(
            "--concurrency must be 1..=64".to_owned(),
        ));
    }
    if !(1..=20).contains(&options.max_attempts) {
        return Err(EnrichError::InvalidOption(
            "--max-attempts must be 1..=20".to_owned(),
        ));
    }
    let language_ok = !options.language.is_empty()
        && options.language.len() <= 16
        && options
            .language
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if !language_ok {
        return Err(EnrichError::InvalidOption(format!(
            "--language `{}` is not a language tag such as en-US",
            options.language
        )));
    }
    Ok(())
}

/// A movie to ask TMDB about, with what it has now.
#[derive(Clone, Debug)]
struct Candidate {
    id: i32,
    tmdb_id: i32,
    poster_url: Option<String>,
    overview: Option<String>,
}

async fn load_candidates(
    db: &impl ConnectionTrait,
    overwrite: bool,
) -> Result<Vec<Candidate>, DbErr> {
    let mut query = movie::Entity::find()
        .select_only()
        .columns([
            movie::Column::Id,
            movie::Column::TmdbId,
            movie::Column::PosterUrl,
            movie::Column::Overview,
        ])
        .filter(movie::Column::TmdbId.is_not_null())
        .order_by_asc(movie::Column::Id);
    if !overwrite {
        query = query.filter(
            Condition::any()
                .add(movie::Column::PosterUrl.is_null())
                .add(movie::Column::Overview.is_null()),
        );
    }
    let rows = query
        .into_tuple::<(i32, Option<i32>, Option<String>, Option<String>)>()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, tmdb_id, poster_url, overview)| {
            Some(Candidate {
                id,
                tmdb_id: tmdb_id?,
                poster_url,
                overview,
            })
        })
        .collect())
}

/// What a TMDB answer can give a movie: empty strings and malformed paths
/// count as nothing.
#[derive(Debug, PartialEq, Eq)]
struct FoundData {
    poster_url: Option<String>,
    overview: Option<String>,
}

impl FoundData {
    fn from_details(details: &TmdbMovieDetails, image_base_url: &str) -> Self {
        let poster_url = details
            .poster_path
            .as_deref()
            .map(str::trim)
            .filter(|path| path.starts_with('/') && path.len() > 1)
            .map(|path| format!("{image_base_url}{path}"))
            .filter(|url| url.chars().count() <= MAX_URL_CHARS);
        let overview = details
            .overview
            .as_deref()
            .map(str::trim)
            .filter(|text| !text.is_empty())
            .map(|text| text.chars().take(MAX_OVERVIEW_CHARS).collect());
        FoundData {
            poster_url,
            overview,
        }
    }
}

/// Writes what TMDB gave; returns whether the movie changed. Without
/// `overwrite` only NULL fields are filled, decided in SQL (`COALESCE`) so
/// that an edit made since the candidates were read is never replaced.
async fn write_found_data(
    db: &impl ConnectionTrait,
    candidate: &Candidate,
    found: &FoundData,
    overwrite: bool,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let wanted = |current: &Option<String>, new: &Option<String>| match new {
        Some(new) if overwrite => current.as_ref() != Some(new),
        Some(_) => current.is_none(),
        None => false,
    };
    let set_poster = wanted(&candidate.poster_url, &found.poster_url);
    let set_overview = wanted(&candidate.overview, &found.overview);
    if !set_poster && !set_overview {
        return Ok(false);
    }
    let value = |column: movie::Column, new: &Option<String>| -> Expr {
        if overwrite {
            Expr::val(new.clone())
        } else {
            Func::coalesce([Expr::col(column), Expr::val(new.clone())]).into()
        }
    };
    let mut update = movie::Entity::update_many()
        .col_expr(movie::Column::UpdatedAt, Expr::val(now))
        .filter(movie::Column::Id.eq(candidate.id));
    if set_poster {
        update = update.col_expr(
            movie::Column::PosterUrl,
            value(movie::Column::PosterUrl, &found.poster_url),
        );
    }
    if set_overview {
        update = update.col_expr(
            movie::Column::Overview,
            value(movie::Column::Overview, &found.overview),
        );
    }
    Ok(update.exec(db).await?.rows_affected > 0)
}
