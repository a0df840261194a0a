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

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use entity::movie;
use reqwest::StatusCode;
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde::Deserialize;
use tokio::time::Instant;

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

/// The file of TMDB ids already answered without the data a movie lacks
/// (404, or no poster/overview), per language, so later runs do not ask
/// again. One `tmdb_id<TAB>language<TAB>outcome` line per answer, appended
/// as answers arrive.
struct StateFile {
    path: PathBuf,
    answered: HashSet<(i32, String)>,
    writer: Option<std::fs::File>,
}

const STATE_FILE_HEADER: &str = "# cinerank enrich tmdb: TMDB ids answered without a poster or \
overview (tmdb_id, language, outcome). Delete a line, or the file, to ask again.\n";

impl StateFile {
    fn open(path: &Path) -> Result<Self, EnrichError> {
        let fail = |source| EnrichError::StateFile {
            path: path.to_owned(),
            source,
        };
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(err) => return Err(fail(err)),
        };
        Ok(StateFile {
            path: path.to_owned(),
            answered: parse_state(&text),
            writer: None,
        })
    }

    fn has_answered(&self, tmdb_id: i32, language: &str) -> bool {
        self.answered.contains(&(tmdb_id, language.to_owned()))
    }

    /// Appends one line and flushes it, so it survives a killed run.
    fn record(&mut self, tmdb_id: i32, language: &str, outcome: &str) -> Result<(), EnrichError> {
        if !self.answered.insert((tmdb_id, language.to_owned())) {
            return Ok(());
        }
        let line = format!("{tmdb_id}\t{language}\t{outcome}\n");
        self.append(&line).map_err(|source| EnrichError::StateFile {
            path: self.path.clone(),
            source,
        })
    }

    fn append(&mut self, line: &str) -> std::io::Result<()> {
        if self.writer.is_none() {
            if let Some(parent) = self.path.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent)?;
            }
            let existing = std::fs::read(&self.path).unwrap_or_default();
            let mut file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.path)?;
            if existing.is_empty() {
                file.write_all(STATE_FILE_HEADER.as_bytes())?;
            } else if !existing.ends_with(b"\n") {
                // A run killed mid-line left a fragment: end it, so the new
                // line is not glued onto it (the fragment is then ignored).
                file.write_all(b"\n")?;
            }
            self.writer = Some(file);
        }
        match self.writer.as_mut() {
            // One write per line: appends of a few bytes are not split.
            Some(file) => file.write_all(line.as_bytes()),
            None => Ok(()),
        }
    }
}

/// The `(tmdb_id, language)` pairs of a state file; comments, blank and
/// incomplete lines are skipped.
fn parse_state(text: &str) -> HashSet<(i32, String)> {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| {
            let mut fields = line.split('\t');
            let tmdb_id = fields.next()?.trim().parse().ok()?;
            let language = fields.next()?.trim();
            let outcome = fields.next()?.trim();
            (!language.is_empty() && !outcome.is_empty()).then(|| (tmdb_id, language.to_owned()))
        })
        .collect()
}

/// The fields of TMDB's movie details this command uses (the rest is
/// ignored).
#[derive(Debug, Deserialize)]
struct TmdbMovieDetails {
    overview: Option<String>,
    poster_path: Option<String>,
}

/// TMDB's error body: `{"status_code": 34, "status_message": "…", "success": false}`.
#[derive(Debug, Default, Deserialize)]
struct TmdbStatus {
    status_message: Option<String>,
}

/// How TMDB answered about one movie, after retries.
#[derive(Debug)]
enum TmdbAnswer {
    Details(TmdbMovieDetails),
    NotFound,
    GaveUp(String),
}

/// The HTTP side: one shared client, pacer and request counter.
#[derive(Clone)]
struct TmdbClient {
    http: reqwest::Client,
    api_base_url: String,
    api_key: Arc<str>,
    language: String,
    max_attempts: u32,
    pacer: Arc<Pacer>,
    requests: Arc<AtomicU64>,
}

impl TmdbClient {
    fn new(tmdb: &TmdbSettings, options: &EnrichOptions) -> Result<Self, EnrichError> {
        install_tls_crypto_provider();
        let http = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(Duration::from_secs(10))
            .user_agent(concat!("cinerank/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|err| EnrichError::HttpClient(describe_http_error(err, "")))?;
        Ok(TmdbClient {
            http,
            api_base_url: tmdb.api_base_url.clone(),
            api_key: Arc::from(tmdb.api_key.expose()),
            language: options.language.clone(),
            max_attempts: options.max_attempts,
            pacer: Arc::new(Pacer::new(options.requests_per_second)),
            requests: Arc::new(AtomicU64::new(0)),
        })
    }

    fn requests_sent(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    fn url(&self, tmdb_id: i32) -> Result<reqwest::Url, String> {
        let mut url = reqwest::Url::parse(&format!("{}/movie/{tmdb_id}", self.api_base_url))
            .map_err(|err| format!("bad TMDB_API_BASE_URL: {err}"))?;
        url.query_pairs_mut()
            .append_pair("api_key", &self.api_key)
            .append_pair("language", &self.language);
        Ok(url)
    }

    /// Asks about one movie, retrying 429s, 5xx and connection failures
    /// up to `max_attempts`. `Err` only for what must stop the whole run.
    async fn fetch(&self, tmdb_id: i32) -> Result<TmdbAnswer, EnrichError> {
        let url = match self.url(tmdb_id) {
            Ok(url) => url,
            Err(reason) => return Ok(TmdbAnswer::GaveUp(reason)),
        };
        let mut last_problem = String::new();
        for attempt in 1..=self.max_attempts {
            self.pacer.wait_turn().await;
            self.requests.fetch_add(1, Ordering::Relaxed);
            let retry_in = match self.http.get(url.clone()).send().await {
                Ok(response) => {
                    let status = response.status();
                    let retry_after = response
                        .headers()
                        .get(reqwest::header::RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| parse_retry_after(v, Utc::now()));
                    match status {
                        StatusCode::OK => {
                            return Ok(match response.json::<TmdbMovieDetails>().await {
                                Ok(details) => TmdbAnswer::Details(details),
                                Err(err) => TmdbAnswer::GaveUp(format!(
                                    "unreadable answer: {}",
                                    describe_http_error(err, &self.api_key)
                                )),
                            });
                        }
                        StatusCode::NOT_FOUND => return Ok(TmdbAnswer::NotFound),
                        StatusCode::UNAUTHORIZED => {
                            let body = response.json::<TmdbStatus>().await.unwrap_or_default();
                            let message = body
                                .status_message
                                .unwrap_or_else(|| "no message".to_owned());
                            return Err(EnrichError::Unauthorized {
                                message: redact_secret(&message, &self.api_key),
                            });
                        }
                        StatusCode::TOO_MANY_REQUESTS => {
                            let wait = retry_after
                                .unwrap_or_else(|| backoff_delay(attempt, jitter()))
                                .min(MAX_RETRY_AFTER);
                            // Everyone waits: the limit is per key, not per worker.
                            self.pacer.hold_off(wait);
                            last_problem = "HTTP 429 Too Many Requests".to_owned();
                            Duration::ZERO
                        }
                        status if status.is_server_error() => {
                            last_problem = format!("HTTP {status}");
                            retry_after
                                .map(|wait| wait.min(MAX_RETRY_AFTER))
                                .unwrap_or_else(|| backoff_delay(attempt, jitter()))
                        }
                        status => {
                            let body = response.json::<TmdbStatus>().await.unwrap_or_default();
                            let message = body.status_message.unwrap_or_default();
                            return Ok(TmdbAnswer::GaveUp(redact_secret(
                                &format!("HTTP {status} {message}"),
                                &self.api_key,
                            )));
                        }
                    }
                }
                Err(err) => {
                    let transient = err.is_connect() || err.is_timeout() || err.is_request();
                    let problem = describe_http_error(err, &self.api_key);
                    if !transient {
                        return Ok(TmdbAnswer::GaveUp(problem));
                    }
                    last_problem = problem;
                    backoff_delay(attempt, jitter())
                }
            };
            if attempt < self.max_attempts && !retry_in.is_zero() {
                tokio::time::sleep(retry_in).await;
            }
        }
        Ok(TmdbAnswer::GaveUp(format!(
            "gave up after {} attempts; last: {last_problem}",
            self.max_attempts
        )))
    }
}

/// Installs rustls' ring crypto provider for the whole process. reqwest is
/// built with `rustls-no-provider` (the bundled aws-lc-rs would compile C
/// code), so building a `reqwest::Client` panics until some provider is
/// installed; every process that builds one (this command, the test suite)
/// calls this first. Calling it again does nothing.
pub fn install_tls_crypto_provider() {
    // An error only means a provider is installed already.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Spaces requests evenly across every worker: each request reserves the
/// next free slot, one interval after the previous one.
#[derive(Debug)]
pub struct Pacer {
    interval: Duration,
    next_slot: Mutex<Instant>,
}

impl Pacer {
    /// A pacer allowing `per_second` requests per second (at least one).
    pub fn new(per_second: u32) -> Self {
        Pacer {
            interval: Duration::from_secs(1) / per_second.max(1),
            next_slot: Mutex::new(Instant::now()),
        }
    }

    /// Reserves the next slot at or after `now` and returns it.
    pub fn reserve(&self, now: Instant) -> Instant {
        // A poisoned lock still holds a valid instant: keep pacing.
        let mut next = self.next_slot.lock().unwrap_or_else(|e| e.into_inner());
        let slot = (*next).max(now);
        *next = slot + self.interval;
        slot
    }

    /// Waits for this caller's slot.
    pub async fn wait_turn(&self) {
        let slot = self.reserve(Instant::now());
        tokio::time::sleep_until(slot).await;
    }

    /// Gives no slot earlier than `delay` from now (after a 429).
    pub fn hold_off(&self, delay: Duration) {
        let until = Instant::now() + delay;
        let mut next = self.next_slot.lock().unwrap_or_else(|e| e.into_inner());
        *next = (*next).max(until);
    }
}

/// Parses a `Retry-After` value: delay-seconds (TMDB's form) or an
/// HTTP-date, relative to `now`. A date in the past means "now".
pub fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    if let Ok(seconds) = value.parse::<f64>()
        && seconds.is_finite()
        && seconds >= 0.0
    {
        return Some(Duration::from_secs_f64(seconds.min(86_400.0)));
    }
    let date = DateTime::parse_from_rfc2822(value).ok()?;
    Some(
        (date.with_timezone(&Utc) - now)
            .to_std()
            .unwrap_or(Duration::ZERO),
    )
}

/// Backoff before retry number `attempt` (1 = after the first failure):
/// `BACKOFF_BASE · 2^(attempt-1)` capped at `BACKOFF_MAX`, of which the
/// upper half is scaled by `jitter` in `[0, 1)`. Half is always waited, so
/// retries never hammer; the jittered half spreads workers apart.
pub fn backoff_delay(attempt: u32, jitter: f64) -> Duration {
    let exponent = attempt.saturating_sub(1).min(16);
    let full = BACKOFF_BASE.saturating_mul(1 << exponent).min(BACKOFF_MAX);
    let half = full / 2;
    half + half.mul_f64(jitter.clamp(0.0, 1.0))
}

/// A random fraction in `[0, 1)`; 0.5 if the system has no randomness.
fn jitter() -> f64 {
    let mut bytes = [0u8; 4];
    match getrandom::fill(&mut bytes) {
        Ok(()) => f64::from(u32::from_le_bytes(bytes)) / (f64::from(u32::MAX) + 1.0),
        Err(_) => 0.5,
    }
}

/// Replaces every occurrence of `secret` in `text` with `***`.
pub fn redact_secret(text: &str, secret: &str) -> String {
    if secret.is_empty() {
        text.to_owned()
    } else {
        text.replace(secret, "***")
    }
}

/// The URL with the value of its `api_key` query parameter replaced by
/// `***` (whatever the key is).
pub fn redact_api_key_in_url(url: &str) -> String {
    let Some((base, query)) = url.split_once('?') else {
        return url.to_owned();
    };
    let (query, fragment) = match query.split_once('#') {
        Some((query, fragment)) => (query, Some(fragment)),
        None => (query, None),
    };
    let query = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some(("api_key", _)) => "api_key=***".to_owned(),
            _ => pair.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("&");
    match fragment {
        Some(fragment) => format!("{base}?{query}#{fragment}"),
        None => format!("{base}?{query}"),
    }
}

/// A reqwest error as text without the key: its URL is reduced to the
/// redacted form first, then any leftover copy of the key is masked.
fn describe_http_error(err: reqwest::Error, api_key: &str) -> String {
    let url = err.url().map(|url| redact_api_key_in_url(url.as_str()));
    let err = err.without_url();
    let mut text = crate::error::error_chain(&err);
    if let Some(url) = url {
        text.push_str(&format!(" ({url})"));
    }
    redact_secret(&text, api_key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let now = DateTime::parse_from_rfc3339("2026-11-22T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(parse_retry_after("1", now), Some(Duration::from_secs(1)));
        assert_eq!(
            parse_retry_after(" 10 ", now),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            parse_retry_after("0.5", now),
            Some(Duration::from_millis(500))
        );
        assert_eq!(
            parse_retry_after("Sun, 22 Nov 2026 12:00:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("Sun, 22 Nov 2026 11:00:00 GMT", now),
            Some(Duration::ZERO),
            "a date in the past means retry now"
        );
        for bad in ["", "soon", "-3", "NaN"] {
            assert_eq!(parse_retry_after(bad, now), None, "{bad}");
        }
    }

    #[test]
    fn backoff_doubles_keeps_half_and_is_capped() {
        assert_eq!(backoff_delay(1, 0.0), Duration::from_millis(250));
        assert!(backoff_delay(1, 0.999_999) < Duration::from_millis(500));
        assert_eq!(backoff_delay(2, 0.0), Duration::from_millis(500));
        assert_eq!(backoff_delay(3, 0.0), Duration::from_secs(1));
        assert_eq!(backoff_delay(4, 0.5), Duration::from_secs(3));
        for attempt in [10, 20, 1000, u32::MAX] {
            let delay = backoff_delay(attempt, 1.0);
            assert!(delay <= BACKOFF_MAX, "{attempt}: {delay:?}");
            assert!(delay >= BACKOFF_MAX / 2, "{attempt}: {delay:?}");
        }
        assert_eq!(backoff_delay(0, 0.0), backoff_delay(1, 0.0));
        let j = jitter();
        assert!((0.0..1.0).contains(&j));
    }

    #[test]
    fn the_api_key_is_redacted_from_urls_and_messages() {
        let url = "https://api.themoviedb.org/3/movie/862?api_key=s3cr3t&language=en-US";
        assert_eq!(
            redact_api_key_in_url(url),
            "https://api.themoviedb.org/3/movie/862?api_key=***&language=en-US"
        );
        assert_eq!(
            redact_api_key_in_url("http://h/movie/1?language=ko-KR&api_key=x#top"),
            "http://h/movie/1?language=ko-KR&api_key=***#top"
        );
        assert_eq!(
            redact_api_key_in_url("http://h/movie/1"),
            "http://h/movie/1"
        );
        assert_eq!(
            redact_secret("error sending request for url (…api_key=s3cr3t…)", "s3cr3t"),
            "error sending request for url (…api_key=***…)"
        );
        assert_eq!(redact_secret("nothing here", ""), "nothing here");
    }

    #[test]
    fn the_pacer_spaces_slots_and_holds_off_after_a_429() {
        let pacer = Pacer::new(4);
        let now = Instant::now();
        let slots: Vec<_> = (0..3).map(|_| pacer.reserve(now)).collect();
        assert_eq!(slots[0], now);
        assert_eq!(slots[1] - slots[0], Duration::from_millis(250));
        assert_eq!(slots[2] - slots[1], Duration::from_millis(250));
        // A caller arriving after an idle spell does not get a burst of catch-up slots.
        let later = now + Duration::from_secs(10);
        assert_eq!(pacer.reserve(later), later);
        assert_eq!(pacer.reserve(later), later + Duration::from_millis(250));
        pacer.hold_off(Duration::from_secs(3600));
        assert!(pacer.reserve(later) >= Instant::now() + Duration::from_secs(3599));
    }

    #[test]
    fn the_state_file_skips_comments_and_torn_lines() {
        let text = "# header\n862\ten-US\tnot_found\n13\tko-KR\tno_data\n\n99\ten-US\n12";
        let answered = parse_state(text);
        assert_eq!(answered.len(), 2);
        assert!(answered.contains(&(862, "en-US".to_owned())));
        assert!(answered.contains(&(13, "ko-KR".to_owned())));
    }

    #[test]
    fn found_data_ignores_empty_values_and_builds_poster_urls() {
        let details = TmdbMovieDetails {
            overview: Some("  A cowboy doll.  ".to_owned()),
            poster_path: Some("/abc.jpg".to_owned()),
        };
        assert_eq!(
            FoundData::from_details(&details, "https://image.tmdb.org/t/p/w500"),
            FoundData {
                poster_url: Some("https://image.tmdb.org/t/p/w500/abc.jpg".to_owned()),
                overview: Some("A cowboy doll.".to_owned()),
            }
        );
        let empty = TmdbMovieDetails {
            overview: Some(String::new()),
            poster_path: None,
        };
        assert_eq!(
            FoundData::from_details(&empty, "https://i"),
            FoundData {
                poster_url: None,
                overview: None
            }
        );
    }
}
