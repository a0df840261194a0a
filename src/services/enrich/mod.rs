//! `cinerank enrich tmdb`: fills in missing posters, overviews, runtimes
//! and credits (top-billed cast and directors) from TMDB's v3 movie details
//! API, asking for the credits in the same request
//! (`append_to_response=credits`).
//!
//! How a run goes:
//! 1. Candidates are the movies with a TMDB id that still lack a poster, an
//!    overview, a runtime or any credit (every movie with a TMDB id under
//!    `overwrite`), minus those for which the state file says TMDB has
//!    already answered without everything they lack.
//! 2. A few workers fetch details concurrently. Every request, retries
//!    included, first takes a turn from one shared [`Pacer`], so the whole
//!    run stays under the requested rate; a 429 holds every worker back for
//!    its `Retry-After`.
//! 3. Each answer is written as soon as it arrives, in its own transaction
//!    (the movie's fields and its credits together), so a killed run loses
//!    at most the requests in flight, never half an answer, and the next
//!    run picks up exactly the movies still missing data.
//!
//! Credits are only added to a movie that has none, and a runtime only
//! where there is none, whatever `overwrite` says: they may come from the
//! seed or an administrator, and are never deleted or reordered.
//!
//! The command runs in its own process, so it has no catalogue cache to
//! invalidate: each answer's transaction records the movie in the change
//! log, and a running server drops its copy within a second; the content
//! similarity uses the new credits from its next training.
//!
//! The API key travels in the query string (TMDB v3's `api_key`), so every
//! message that could carry a URL is redacted before it leaves this module.

mod client;
mod found;
mod pacer;
mod state_file;

#[cfg(test)]
mod tests;

pub use client::{install_tls_crypto_provider, redact_api_key_in_url, redact_secret};
pub use pacer::{Pacer, backoff_delay, parse_retry_after};

use client::{TmdbAnswer, TmdbClient};
use found::{Field, Fields, FoundData};
use state_file::{StateFile, Unanswered};

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use entity::{movie, movie_credit};
use sea_orm::sea_query::{Expr, Func, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, TransactionSession, TransactionTrait,
};

use crate::config::{ConfigError, TmdbSettings};
use crate::services::catalog::credits::{add_credits, movies_with_credits};
use crate::services::changes::{self, Change};

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
    /// Replace posters and overviews that are already set (runtimes and
    /// credits are only ever filled where there are none).
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
    /// Movies whose poster, overview, runtime or credits changed.
    pub updated: u64,
    /// Of those, movies that were given credits.
    pub credited: u64,
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

/// Fills missing posters, overviews, runtimes and credits from TMDB; see
/// the module docs. `report` is kept up to date as the run goes, so it also
/// tells what was done when the run stops early with an error.
pub async fn enrich_from_tmdb<C>(
    db: &C,
    tmdb: &TmdbSettings,
    options: &EnrichOptions,
    progress: &impl Progress,
    report: &mut EnrichReport,
) -> Result<(), EnrichError>
where
    C: ConnectionTrait + TransactionTrait,
{
    validate(options)?;
    let mut state = StateFile::open(&options.state_file)?;
    let mut candidates = load_candidates(db, options.overwrite).await?;
    if !options.overwrite {
        // Skipped only when TMDB already said it has nothing for
        // everything the movie lacks: a movie TMDB gave a poster but no
        // credits is not asked again, one that was only asked about its
        // poster (before credits were asked for) is asked once more.
        let before = candidates.len();
        candidates.retain(|c| {
            !(c.lacks()).is_subset_of(state.answered_without(c.tmdb_id, &options.language))
        });
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
                let written =
                    write_found_data(db, &candidate, &found, options.overwrite, Utc::now()).await?;
                report.updated += u64::from(written.changed);
                report.credited += u64::from(written.credits > 0);
                // Recorded after the commit: a run killed in between asks
                // this movie once more, it never skips a movie unwritten.
                let still_missing = candidate.lacks().minus(found.provides());
                if !still_missing.is_empty() {
                    let outcome = Unanswered::NoData(still_missing);
                    state.record(candidate.tmdb_id, &options.language, outcome)?;
                }
            }
            Ok(TmdbAnswer::NotFound) => {
                report.not_found += 1;
                state.record(candidate.tmdb_id, &options.language, Unanswered::NotFound)?;
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
    runtime_minutes: Option<i32>,
    has_credits: bool,
}

impl Candidate {
    /// What this movie lacks that TMDB could give.
    fn lacks(&self) -> Fields {
        Fields::default()
            .with(Field::Poster, self.poster_url.is_none())
            .with(Field::Overview, self.overview.is_none())
            .with(Field::Runtime, self.runtime_minutes.is_none())
            .with(Field::Credits, !self.has_credits)
    }
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
            movie::Column::RuntimeMinutes,
        ])
        .filter(movie::Column::TmdbId.is_not_null())
        .order_by_asc(movie::Column::Id);
    if !overwrite {
        let credited = Query::select()
            .column(movie_credit::Column::MovieId)
            .from(movie_credit::Entity)
            .to_owned();
        query = query.filter(
            Condition::any()
                .add(movie::Column::PosterUrl.is_null())
                .add(movie::Column::Overview.is_null())
                .add(movie::Column::RuntimeMinutes.is_null())
                .add(movie::Column::Id.not_in_subquery(credited)),
        );
    }
    let rows = query
        .into_tuple::<(
            i32,
            Option<i32>,
            Option<String>,
            Option<String>,
            Option<i32>,
        )>()
        .all(db)
        .await?;
    let ids: Vec<i32> = rows.iter().map(|row| row.0).collect();
    let credited = movies_with_credits(db, &ids).await?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, tmdb_id, poster_url, overview, runtime_minutes)| {
            Some(Candidate {
                id,
                tmdb_id: tmdb_id?,
                poster_url,
                overview,
                runtime_minutes,
                has_credits: credited.contains(&id),
            })
        })
        .collect())
}

/// What one answer changed.
#[derive(Debug, Default)]
struct Written {
    /// Any field or credit of the movie.
    changed: bool,
    /// Credits added.
    credits: u64,
}

/// Writes what TMDB gave, in one transaction. Without `overwrite` only NULL
/// fields are filled, decided in SQL (`COALESCE`) so that an edit made
/// since the candidates were read is never replaced; the runtime is always
/// filled that way, and credits only go to a movie that still has none
/// ([`add_credits`] checks inside the transaction).
async fn write_found_data(
    db: &impl TransactionTrait,
    candidate: &Candidate,
    found: &FoundData,
    overwrite: bool,
    now: DateTime<Utc>,
) -> Result<Written, DbErr> {
    let wanted = |current: &Option<String>, new: &Option<String>| match new {
        Some(new) if overwrite => current.as_ref() != Some(new),
        Some(_) => current.is_none(),
        None => false,
    };
    let set_poster = wanted(&candidate.poster_url, &found.poster_url);
    let set_overview = wanted(&candidate.overview, &found.overview);
    let set_runtime = candidate.runtime_minutes.is_none() && found.runtime_minutes.is_some();
    let add_cast = !candidate.has_credits && !found.credits.is_empty();
    if !set_poster && !set_overview && !set_runtime && !add_cast {
        return Ok(Written::default());
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
    if set_runtime {
        update = update.col_expr(
            movie::Column::RuntimeMinutes,
            Func::coalesce([
                Expr::col(movie::Column::RuntimeMinutes),
                Expr::val(found.runtime_minutes),
            ])
            .into(),
        );
    }
    let txn = db.begin().await?;
    // The movie row first: if it was deleted since the candidates were
    // read, nothing is written (its credits would have no movie).
    if update.exec(&txn).await?.rows_affected == 0 {
        txn.rollback().await?;
        return Ok(Written::default());
    }
    let credits = if add_cast {
        let records: Vec<_> = (found.credits.iter())
            .map(|c| crate::dataset::CreditRecord {
                movie: candidate.id,
                ..c.clone()
            })
            .collect();
        add_credits(
            &txn,
            &records,
            &HashMap::from([(candidate.id, candidate.id)]),
        )
        .await?
    } else {
        0
    };
    let changed = set_poster || set_overview || set_runtime || credits > 0;
    if changed {
        // A server running beside `cinerank enrich` drops its copy of the
        // movie when this commits (the change feed).
        changes::record(&txn, &[Change::Movies(vec![candidate.id])]).await?;
    }
    txn.commit().await?;
    Ok(Written { changed, credits })
}
