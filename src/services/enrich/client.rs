//! The HTTP side of `cinerank enrich tmdb`: TMDB's answers, the client with
//! its retries, and keeping the API key out of every message.

use super::pacer::jitter;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::Utc;
use reqwest::StatusCode;
use serde::Deserialize;

use super::*;
use crate::config::TmdbSettings;

/// The fields of TMDB's movie details this command uses (the rest is
/// ignored). `credits` is there because every request appends it
/// (`append_to_response=credits`): one request per movie instead of two.
#[derive(Debug, Default, Deserialize)]
pub(super) struct TmdbMovieDetails {
    pub(super) overview: Option<String>,
    pub(super) poster_path: Option<String>,
    /// Minutes; TMDB sends 0 or null when it does not know.
    pub(super) runtime: Option<i64>,
    pub(super) credits: Option<TmdbCredits>,
}

/// The appended `credits` object: the whole cast and crew.
#[derive(Debug, Default, Deserialize)]
pub(super) struct TmdbCredits {
    #[serde(default)]
    pub(super) cast: Vec<TmdbCastMember>,
    #[serde(default)]
    pub(super) crew: Vec<TmdbCrewMember>,
}

/// One cast entry. `order` is TMDB's billing order (0 = top billed); the
/// array itself is not guaranteed to be in that order.
#[derive(Debug, Default, Deserialize)]
pub(super) struct TmdbCastMember {
    pub(super) name: Option<String>,
    pub(super) character: Option<String>,
    pub(super) order: Option<i64>,
}

/// One crew entry: a person and their `job` ("Director", "Producer", …).
#[derive(Debug, Default, Deserialize)]
pub(super) struct TmdbCrewMember {
    pub(super) name: Option<String>,
    pub(super) job: Option<String>,
}

/// TMDB's error body: `{"status_code": 34, "status_message": "…", "success": false}`.
#[derive(Debug, Default, Deserialize)]
pub(super) struct TmdbStatus {
    status_message: Option<String>,
}

/// How TMDB answered about one movie, after retries.
#[derive(Debug)]
pub(super) enum TmdbAnswer {
    Details(TmdbMovieDetails),
    NotFound,
    GaveUp(String),
}

/// The HTTP side: one shared client, pacer and request counter.
#[derive(Clone)]
pub(super) struct TmdbClient {
    http: reqwest::Client,
    api_base_url: String,
    api_key: Arc<str>,
    language: String,
    max_attempts: u32,
    pacer: Arc<Pacer>,
    requests: Arc<AtomicU64>,
}

impl TmdbClient {
    pub(super) fn new(tmdb: &TmdbSettings, options: &EnrichOptions) -> Result<Self, EnrichError> {
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

    pub(super) fn requests_sent(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    fn url(&self, tmdb_id: i32) -> Result<reqwest::Url, String> {
        let mut url = reqwest::Url::parse(&format!("{}/movie/{tmdb_id}", self.api_base_url))
            .map_err(|err| format!("bad TMDB_API_BASE_URL: {err}"))?;
        url.query_pairs_mut()
            .append_pair("api_key", &self.api_key)
            .append_pair("language", &self.language)
            // Cast and crew in the same answer: one request per movie.
            .append_pair("append_to_response", "credits");
        Ok(url)
    }

    /// Asks about one movie, retrying 429s, 5xx and connection failures
    /// up to `max_attempts`. `Err` only for what must stop the whole run.
    pub(super) async fn fetch(&self, tmdb_id: i32) -> Result<TmdbAnswer, EnrichError> {
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
pub(super) fn describe_http_error(err: reqwest::Error, api_key: &str) -> String {
    let url = err.url().map(|url| redact_api_key_in_url(url.as_str()));
    let err = err.without_url();
    let mut text = crate::logging::error_chain(&err);
    if let Some(url) = url {
        text.push_str(&format!(" ({url})"));
    }
    redact_secret(&text, api_key)
}
