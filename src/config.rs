//! Typed configuration read from environment variables (and `.env` when
//! present), validated once at start-up. An invalid value stops the process
//! with a message naming the variable; secrets never reach `Debug` output.

use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use crate::logging::LogFormat;

/// A configuration value that could not be used.
#[derive(Debug, thiserror::Error)]
#[error("invalid {var}: {reason}")]
pub struct ConfigError {
    /// The environment variable at fault.
    pub var: &'static str,
    /// Why it was rejected.
    pub reason: String,
}

/// Where the service runs: production tightens the rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AppEnv {
    /// Local development and tests (the default).
    Development,
    /// Deployed: strict settings are required.
    Production,
}

/// A database URL. Its `Debug`/`Display` hide any password it carries.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    /// Wraps a URL.
    pub fn new(url: impl Into<String>) -> Self {
        Self(url.into())
    }

    /// The URL itself, for the driver only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether this is an SQLite URL.
    pub fn is_sqlite(&self) -> bool {
        self.0.starts_with("sqlite:")
    }

    /// Whether this is a PostgreSQL URL.
    pub fn is_postgres(&self) -> bool {
        self.0.starts_with("postgres://") || self.0.starts_with("postgresql://")
    }

    /// What the URL points at, for error messages: `host:port` of a
    /// PostgreSQL server (port 5432 when none is given), or the SQLite file.
    pub fn target(&self) -> String {
        if self.is_sqlite() {
            let path = self
                .0
                .trim_start_matches("sqlite://")
                .trim_start_matches("sqlite:");
            return path.split('?').next().unwrap_or_default().to_owned();
        }
        let rest = self.0.split_once("://").map_or("", |(_, rest)| rest);
        let authority = rest.split(['/', '?']).next().unwrap_or_default();
        let host_port = authority.rsplit_once('@').map_or(authority, |(_, hp)| hp);
        let has_port = host_port
            .rsplit_once(':')
            .is_some_and(|(_, port)| !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()))
            && !host_port.ends_with(']');
        if host_port.is_empty() {
            "localhost:5432".to_owned()
        } else if has_port {
            host_port.to_owned()
        } else {
            format!("{host_port}:5432")
        }
    }

    /// The URL with any `user:password@` reduced to `user:***@`.
    pub fn redacted(&self) -> String {
        let Some(scheme_end) = self.0.find("://") else {
            return self.0.clone();
        };
        let rest = &self.0[scheme_end + 3..];
        let authority_end = rest.find('/').unwrap_or(rest.len());
        match rest[..authority_end].rfind('@') {
            Some(at) => {
                let userinfo = &rest[..at];
                let user = userinfo.split(':').next().unwrap_or_default();
                let masked = if userinfo.contains(':') {
                    format!("{user}:***")
                } else {
                    user.to_owned()
                };
                format!("{}{}{}", &self.0[..scheme_end + 3], masked, &rest[at..])
            }
            None => self.0.clone(),
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// A secret string (e.g. `JWT_SECRET`): `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself, for the one place that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Shortest `JWT_SECRET` accepted (bytes): 256 bits for HS256.
pub const MIN_JWT_SECRET_BYTES: usize = 32;

/// Everything the service reads from its environment.
#[derive(Clone, Debug)]
pub struct Settings {
    /// `APP_ENV`: `development` (default) or `production`.
    pub app_env: AppEnv,
    /// `HOST`: address to bind (default `127.0.0.1`).
    pub host: IpAddr,
    /// `PORT`: port to bind (default 8080; 0 picks a free one).
    pub port: u16,
    /// `DATABASE_URL` (default: SQLite file `data/cinerank.db`).
    pub database_url: DatabaseUrl,
    /// `DB_MAX_CONNECTIONS`: pool size (default 10).
    pub db_max_connections: u32,
    /// `DB_MIN_CONNECTIONS`: connections the pool opens at start and keeps
    /// open (default: `DB_MAX_CONNECTIONS`). Opening one on demand cost a
    /// request about 100 ms on PostgreSQL (measured), the p99 of uncached
    /// recommendations on a fresh instance.
    pub db_min_connections: u32,
    /// `DB_STATEMENT_TIMEOUT_MS`: PostgreSQL `statement_timeout` for every
    /// connection (default 30000; 0 = none). Ignored on SQLite.
    pub db_statement_timeout: Option<Duration>,
    /// `DB_ACQUIRE_TIMEOUT_SECONDS`: how long a request waits for a pooled
    /// connection before failing with 503 (default 5).
    pub db_acquire_timeout: Duration,
    /// `SEED_ON_START`: load the seed data into an empty database (default true).
    pub seed_on_start: bool,
    /// `SEED_DIR`: folder with `movies.csv` and `ratings.csv` (default `seed_data`).
    pub seed_dir: PathBuf,
    /// `IMPORT_DIR`: the folder under which administrators may name release
    /// folders for `POST /api/v1/admin/imports` (default `data/imports`).
    pub import_dir: PathBuf,
    /// `LOG_FORMAT`: `text` (default) or `json` (one object per line).
    pub log_format: LogFormat,
    /// `SHUTDOWN_GRACE_SECONDS`: how long in-flight requests may finish after
    /// SIGTERM/SIGINT (default 30).
    pub shutdown_grace: Duration,
    /// `WORKERS`: HTTP worker threads (default: one per core).
    pub workers: Option<usize>,
    /// `CATALOG_CACHE_CAPACITY`: movie details, and as many list pages, kept
    /// in memory (default 20000; 0 disables).
    pub catalog_cache_capacity: u64,
    /// `CACHE_TTL_SECONDS`: the longest any cached entry lives (default 300).
    /// It bounds memory, not staleness: every write, on any instance or
    /// process, invalidates through the change feed.
    pub cache_ttl: Duration,
    /// `RECOMMENDATION_CACHE_CAPACITY`: ranked lists kept (default 50000; 0 disables).
    pub recommendation_cache_capacity: u64,
    /// `ACCOUNT_CACHE_CAPACITY`: accounts kept in memory so signed-in
    /// requests skip the database (default 100000; 0 disables).
    pub account_cache_capacity: u64,
    /// `MODEL_TRAIN_ON_START`: train as soon as the service starts (default true).
    pub model_train_on_start: bool,
    /// `MODEL_RETRAIN_AFTER_WRITES`: retrain after this many rating and
    /// feedback writes (default 500; 0 = never for this reason).
    pub model_retrain_after_writes: u64,
    /// `MODEL_RETRAIN_INTERVAL_MINUTES`: retrain when the model is this old
    /// (default 60; 0 = never for this reason).
    pub model_retrain_interval: Option<Duration>,
    /// `MODEL_DATA_CHECK_SECONDS`: how often the trainer looks for ratings
    /// written outside this instance (imports, other instances) and retrains
    /// when at least `MODEL_RETRAIN_AFTER_WRITES` arrived (default 30).
    pub model_data_check_interval: Duration,
    /// `MODEL_TRAINING`: `in-process` (default) trains the model in this
    /// process; `off` trains nothing and serves the newest model a
    /// `cinerank worker` published to the database.
    pub model_training: ModelTraining,
    /// `CHANGE_POLL_MS`: how often an SQLite server reads the change log
    /// for writes by other processes (default 250). PostgreSQL is told at
    /// once (`LISTEN`).
    pub change_poll_interval: Duration,
    /// `JWT_SECRET`: HS256 signing secret, at least 32 bytes; required in
    /// production. Without it (development only) a random per-process
    /// secret is used, so tokens do not survive a restart.
    pub jwt_secret: Option<Secret>,
    /// `JWT_TTL_MINUTES`: access token lifetime (default 1440 = 24 h).
    pub jwt_ttl: Duration,
    /// `AUTH_RATE_LIMIT_PER_MIN`: register/login attempts per client IP per
    /// minute (default 10; 0 turns the limit off, e.g. for load tests).
    pub auth_rate_limit_per_min: u32,
    /// `TRUST_FORWARDED_FOR`: take the client IP from `X-Forwarded-For`
    /// (only behind a proxy that sets it, such as Render's; default false).
    pub trust_forwarded_for: bool,
    /// `CORS_ALLOWED_ORIGINS`: comma-separated origins allowed to call the
    /// API from a browser (default: none).
    pub cors_allowed_origins: Vec<String>,
    /// `STORE_CURRENCY`: ISO 4217 code of every price (default `KRW`).
    /// Prices are integers in its minor unit (KRW has none).
    pub store_currency: String,
}

/// The SQLite database used when `DATABASE_URL` is not set.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/cinerank.db?mode=rwc";

impl Settings {
    /// Reads the process environment (after loading `.env` if present).
    pub fn from_env() -> Result<Self, ConfigError> {
        // A missing .env file is normal; a malformed one is reported.
        if let Err(err) = dotenvy::dotenv()
            && !err.not_found()
        {
            return Err(ConfigError {
                var: ".env",
                reason: err.to_string(),
            });
        }
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Builds settings from any variable lookup (tests pass a map).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let app_env = match get("APP_ENV").as_deref().map(str::trim) {
            None | Some("development") | Some("dev") => AppEnv::Development,
            Some("production") | Some("prod") => AppEnv::Production,
            Some(other) => {
                return Err(ConfigError {
                    var: "APP_ENV",
                    reason: format!("expected `development` or `production`, got `{other}`"),
                });
            }
        };
        let database_url = DatabaseUrl::new(
            get("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned()),
        );
        if !database_url.is_sqlite() && !database_url.is_postgres() {
            return Err(ConfigError {
                var: "DATABASE_URL",
                reason: format!(
                    "expected a sqlite: or postgres:// URL, got `{}`",
                    database_url.redacted()
                ),
            });
        }
        if app_env == AppEnv::Production && database_url.is_sqlite() {
            let path = database_url
                .expose()
                .trim_start_matches("sqlite:")
                .trim_start_matches("//");
            if path.is_empty() || path.starts_with(":memory:") || path.contains("mode=memory") {
                return Err(ConfigError {
                    var: "DATABASE_URL",
                    reason: "production needs a PostgreSQL URL or an SQLite file, not an in-memory database".to_owned(),
                });
            }
        }
        let jwt_secret = get("JWT_SECRET").map(Secret::new);
        match &jwt_secret {
            Some(secret) if secret.expose().len() < MIN_JWT_SECRET_BYTES => {
                return Err(ConfigError {
                    var: "JWT_SECRET",
                    reason: format!("must be at least {MIN_JWT_SECRET_BYTES} bytes"),
                });
            }
            None if app_env == AppEnv::Production => {
                return Err(ConfigError {
                    var: "JWT_SECRET",
                    reason: format!(
                        "is required when APP_ENV=production (at least {MIN_JWT_SECRET_BYTES} random bytes)"
                    ),
                });
            }
            _ => {}
        }
        let cors_allowed_origins = get("CORS_ALLOWED_ORIGINS")
            .map(|raw| {
                raw.split(',')
                    .map(|o| o.trim().trim_end_matches('/').to_owned())
                    .filter(|o| !o.is_empty())
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default();
        if let Some(bad) = cors_allowed_origins
            .iter()
            .find(|o| !(o.starts_with("http://") || o.starts_with("https://")) || *o == "*")
        {
            return Err(ConfigError {
                var: "CORS_ALLOWED_ORIGINS",
                reason: format!("`{bad}` is not an http(s) origin"),
            });
        }
        let store_currency = get("STORE_CURRENCY")
            .map(|raw| raw.trim().to_owned())
            .unwrap_or_else(|| "KRW".to_owned());
        if !(store_currency.len() == 3 && store_currency.bytes().all(|b| b.is_ascii_uppercase())) {
            return Err(ConfigError {
                var: "STORE_CURRENCY",
                reason: format!(
                    "expected an ISO 4217 code of three uppercase letters, got `{store_currency}`"
                ),
            });
        }
        let db_max_connections = parse_ranged(&get, "DB_MAX_CONNECTIONS", 10, 1, 1000)?;
        let settings = Settings {
            app_env,
            host: parse(&get, "HOST", "127.0.0.1".parse().ok())?,
            port: parse(&get, "PORT", Some(8080))?,
            database_url,
            db_max_connections,
            db_min_connections: parse_ranged(
                &get,
                "DB_MIN_CONNECTIONS",
                db_max_connections,
                1,
                db_max_connections,
            )?,
            db_statement_timeout: match parse_ranged::<u64>(
                &get,
                "DB_STATEMENT_TIMEOUT_MS",
                30_000,
                0,
                3_600_000,
            )? {
                0 => None,
                ms => Some(Duration::from_millis(ms)),
            },
            log_format: parse_either(
                &get,
                "LOG_FORMAT",
                [("text", LogFormat::Text), ("json", LogFormat::Json)],
            )?,
            db_acquire_timeout: Duration::from_secs(parse_ranged(
                &get,
                "DB_ACQUIRE_TIMEOUT_SECONDS",
                5,
                1,
                300,
            )?),
            seed_on_start: parse_bool(&get, "SEED_ON_START", true)?,
            seed_dir: PathBuf::from(get("SEED_DIR").unwrap_or_else(|| "seed_data".to_owned())),
            import_dir: PathBuf::from(
                get("IMPORT_DIR").unwrap_or_else(|| "data/imports".to_owned()),
            ),
            shutdown_grace: Duration::from_secs(parse_ranged(
                &get,
                "SHUTDOWN_GRACE_SECONDS",
                30,
                0,
                3600,
            )?),
            workers: match get("WORKERS") {
                None => None,
                Some(_) => Some(parse_ranged(&get, "WORKERS", 1, 1, 512)?),
            },
            catalog_cache_capacity: parse_ranged(
                &get,
                "CATALOG_CACHE_CAPACITY",
                20_000,
                0,
                10_000_000,
            )?,
            cache_ttl: Duration::from_secs(parse_ranged(
                &get,
                "CACHE_TTL_SECONDS",
                300,
                1,
                86_400,
            )?),
            recommendation_cache_capacity: parse_ranged(
                &get,
                "RECOMMENDATION_CACHE_CAPACITY",
                50_000,
                0,
                10_000_000,
            )?,
            account_cache_capacity: parse_ranged(
                &get,
                "ACCOUNT_CACHE_CAPACITY",
                100_000,
                0,
                10_000_000,
            )?,
            model_train_on_start: parse_bool(&get, "MODEL_TRAIN_ON_START", true)?,
            model_retrain_after_writes: parse_ranged(
                &get,
                "MODEL_RETRAIN_AFTER_WRITES",
                500,
                0,
                u64::MAX,
            )?,
            model_retrain_interval: match parse_ranged::<u64>(
                &get,
                "MODEL_RETRAIN_INTERVAL_MINUTES",
                60,
                0,
                60 * 24 * 365,
            )? {
                0 => None,
                minutes => Some(Duration::from_secs(minutes * 60)),
            },
            model_data_check_interval: Duration::from_secs(parse_ranged(
                &get,
                "MODEL_DATA_CHECK_SECONDS",
                30,
                1,
                86_400,
            )?),
            model_training: parse_either(
                &get,
                "MODEL_TRAINING",
                [
                    ("in-process", ModelTraining::InProcess),
                    ("off", ModelTraining::Off),
                ],
            )?,
            change_poll_interval: Duration::from_millis(parse_ranged(
                &get,
                "CHANGE_POLL_MS",
                250,
                10,
                60_000,
            )?),
            jwt_secret,
            jwt_ttl: Duration::from_secs(
                60 * parse_ranged::<u64>(&get, "JWT_TTL_MINUTES", 1440, 1, 60 * 24 * 30)?,
            ),
            auth_rate_limit_per_min: parse_ranged(&get, "AUTH_RATE_LIMIT_PER_MIN", 10, 0, 100_000)?,
            trust_forwarded_for: parse_bool(&get, "TRUST_FORWARDED_FOR", false)?,
            cors_allowed_origins,
            store_currency,
        };
        Ok(settings)
    }
}

/// Where a serving process's model comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModelTraining {
    /// It trains its own (a single `cinerank serve`, and the worker).
    InProcess,
    /// It loads what `cinerank worker` publishes to the database.
    Off,
}

/// TMDB's v3 API root, used when `TMDB_API_BASE_URL` is not set.
pub const DEFAULT_TMDB_API_BASE_URL: &str = "https://api.themoviedb.org/3";
/// Where TMDB serves posters 500 px wide, used when `TMDB_IMAGE_BASE_URL`
/// is not set; a `poster_path` is appended to it.
pub const DEFAULT_TMDB_IMAGE_BASE_URL: &str = "https://image.tmdb.org/t/p/w500";

/// What `cinerank enrich tmdb` reads from the environment. Kept apart from
/// [`Settings`] because only that command needs it: the server starts
/// without a TMDB key.
#[derive(Clone, Debug)]
pub struct TmdbSettings {
    /// `TMDB_API_KEY`: the v3 API key (required).
    pub api_key: Secret,
    /// `TMDB_API_BASE_URL`: API root without a trailing `/` (default
    /// [`DEFAULT_TMDB_API_BASE_URL`]; tests point it at a stand-in server).
    pub api_base_url: String,
    /// `TMDB_IMAGE_BASE_URL`: poster URL prefix without a trailing `/`
    /// (default [`DEFAULT_TMDB_IMAGE_BASE_URL`]).
    pub image_base_url: String,
}

impl TmdbSettings {
    /// Reads the process environment (`.env` was loaded with [`Settings`]).
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Builds the settings from any variable lookup (tests pass a map).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        // Every variable is read before any is rejected, so that
        // `known_variables()` sees them all.
        let api_key = get("TMDB_API_KEY");
        let api_base_url = get("TMDB_API_BASE_URL");
        let image_base_url = get("TMDB_IMAGE_BASE_URL");
        let api_key = api_key.map(Secret::new).ok_or_else(|| ConfigError {
            var: "TMDB_API_KEY",
            reason: "is required: create an API key in your TMDB account settings \
                     (themoviedb.org → Settings → API) and export TMDB_API_KEY"
                .to_owned(),
        })?;
        let http_url = |var: &'static str, value: Option<String>, default: &str| {
            let url = value.unwrap_or_else(|| default.to_owned());
            if url.starts_with("http://") || url.starts_with("https://") {
                Ok(url.trim_end_matches('/').to_owned())
            } else {
                Err(ConfigError {
                    var,
                    reason: format!("expected an http(s) URL, got `{url}`"),
                })
            }
        };
        Ok(TmdbSettings {
            api_key,
            api_base_url: http_url("TMDB_API_BASE_URL", api_base_url, DEFAULT_TMDB_API_BASE_URL)?,
            image_base_url: http_url(
                "TMDB_IMAGE_BASE_URL",
                image_base_url,
                DEFAULT_TMDB_IMAGE_BASE_URL,
            )?,
        })
    }
}

/// Every environment variable the service reads (found by running the
/// parsers with a recording lookup, so the list cannot drift from the code).
pub fn known_variables() -> Vec<String> {
    let seen = std::cell::RefCell::new(Vec::<String>::new());
    let record = |name: &str| {
        seen.borrow_mut().push(name.to_owned());
        None
    };
    let _ = Settings::from_lookup(record);
    let _ = TmdbSettings::from_lookup(record);
    let mut names = seen.into_inner();
    names.push("RUST_LOG".to_owned());
    names.sort();
    names.dedup();
    names
}

fn parse<T: FromStr>(
    get: &impl Fn(&str) -> Option<String>,
    var: &'static str,
    default: Option<T>,
) -> Result<T, ConfigError>
where
    T::Err: fmt::Display,
{
    match get(var) {
        Some(raw) => raw.trim().parse().map_err(|err: T::Err| ConfigError {
            var,
            reason: format!("`{}`: {err}", raw.trim()),
        }),
        None => default.ok_or_else(|| ConfigError {
            var,
            reason: "is required".to_owned(),
        }),
    }
}

fn parse_ranged<T>(
    get: &impl Fn(&str) -> Option<String>,
    var: &'static str,
    default: T,
    min: T,
    max: T,
) -> Result<T, ConfigError>
where
    T: FromStr + PartialOrd + fmt::Display + Copy,
    T::Err: fmt::Display,
{
    let value = parse(get, var, Some(default))?;
    if value < min || value > max {
        return Err(ConfigError {
            var,
            reason: format!("{value} is outside {min}..={max}"),
        });
    }
    Ok(value)
}

/// One of two names, in any case; absent means the first.
fn parse_either<T>(
    get: &impl Fn(&str) -> Option<String>,
    var: &'static str,
    [(first, first_value), (second, second_value)]: [(&str, T); 2],
) -> Result<T, ConfigError> {
    match get(var).map(|v| v.trim().to_ascii_lowercase()) {
        None => Ok(first_value),
        Some(v) if v == first => Ok(first_value),
        Some(v) if v == second => Ok(second_value),
        Some(other) => Err(ConfigError {
            var,
            reason: format!("expected `{first}` or `{second}`, got `{other}`"),
        }),
    }
}

fn parse_bool(
    get: &impl Fn(&str) -> Option<String>,
    var: &'static str,
    default: bool,
) -> Result<bool, ConfigError> {
    match get(var).map(|v| v.trim().to_ascii_lowercase()).as_deref() {
        None => Ok(default),
        Some("1" | "true" | "yes" | "on") => Ok(true),
        Some("0" | "false" | "no" | "off") => Ok(false),
        Some(other) => Err(ConfigError {
            var,
            reason: format!("expected true or false, got `{other}`"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn settings(vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Settings::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn defaults_point_at_the_embedded_sqlite_database() {
        let s = settings(&[]).unwrap();
        assert_eq!(s.database_url.expose(), DEFAULT_DATABASE_URL);
        assert_eq!(s.port, 8080);
        assert_eq!(s.app_env, AppEnv::Development);
        assert!(s.seed_on_start);
    }

    #[test]
    fn an_invalid_value_names_its_variable() {
        let err = settings(&[("PORT", "eighty")]).unwrap_err();
        assert_eq!(err.var, "PORT");
        let err = settings(&[("SEED_ON_START", "maybe")]).unwrap_err();
        assert_eq!(err.var, "SEED_ON_START");
        let err = settings(&[("DATABASE_URL", "mysql://x")]).unwrap_err();
        assert_eq!(err.var, "DATABASE_URL");
        let err = settings(&[("DB_MAX_CONNECTIONS", "0")]).unwrap_err();
        assert_eq!(err.var, "DB_MAX_CONNECTIONS");
        assert!(err.to_string().contains("DB_MAX_CONNECTIONS"));
    }

    #[test]
    fn the_pool_keeps_every_connection_open_unless_told_otherwise() {
        let default = settings(&[]).unwrap();
        assert_eq!(
            (default.db_min_connections, default.db_max_connections),
            (10, 10)
        );
        let small = settings(&[("DB_MAX_CONNECTIONS", "4")]).unwrap();
        assert_eq!(small.db_min_connections, 4);
        let lazy = settings(&[("DB_MIN_CONNECTIONS", "1")]).unwrap();
        assert_eq!(lazy.db_min_connections, 1);
        let err =
            settings(&[("DB_MAX_CONNECTIONS", "4"), ("DB_MIN_CONNECTIONS", "5")]).unwrap_err();
        assert_eq!(err.var, "DB_MIN_CONNECTIONS");
        assert!(err.to_string().contains("1..=4"), "{err}");
    }

    #[test]
    fn the_store_currency_is_three_uppercase_letters_defaulting_to_krw() {
        assert_eq!(settings(&[]).unwrap().store_currency, "KRW");
        assert_eq!(
            settings(&[("STORE_CURRENCY", " EUR ")])
                .unwrap()
                .store_currency,
            "EUR"
        );
        for bad in ["eur", "EURO", "E1R", "€"] {
            let err = settings(&[("STORE_CURRENCY", bad)]).unwrap_err();
            assert_eq!(err.var, "STORE_CURRENCY", "{bad}");
        }
    }

    #[test]
    fn production_requires_a_strong_jwt_secret() {
        let err = settings(&[("APP_ENV", "production")]).unwrap_err();
        assert_eq!(err.var, "JWT_SECRET");
        let err = settings(&[("APP_ENV", "production"), ("JWT_SECRET", "short")]).unwrap_err();
        assert_eq!(err.var, "JWT_SECRET");
        let secret = "k".repeat(32);
        let s = settings(&[("APP_ENV", "production"), ("JWT_SECRET", &secret)]).unwrap();
        assert!(!format!("{s:?}").contains(&secret));
        assert!(settings(&[]).unwrap().jwt_secret.is_none());
    }

    #[test]
    fn production_refuses_an_in_memory_database() {
        let secret = "k".repeat(32);
        let err = settings(&[
            ("APP_ENV", "production"),
            ("JWT_SECRET", &secret),
            ("DATABASE_URL", "sqlite::memory:"),
        ])
        .unwrap_err();
        assert_eq!(err.var, "DATABASE_URL");
        assert!(
            settings(&[
                ("APP_ENV", "production"),
                ("JWT_SECRET", &secret),
                ("DATABASE_URL", "postgres://db/cine")
            ])
            .is_ok()
        );
        let err = settings(&[("LOG_FORMAT", "xml")]).unwrap_err();
        assert_eq!(err.var, "LOG_FORMAT");
    }

    #[test]
    fn cors_origins_must_be_http_origins() {
        let s = settings(&[(
            "CORS_ALLOWED_ORIGINS",
            "https://a.example/, http://b.example",
        )])
        .unwrap();
        assert_eq!(
            s.cors_allowed_origins,
            ["https://a.example", "http://b.example"]
        );
        let err = settings(&[("CORS_ALLOWED_ORIGINS", "*")]).unwrap_err();
        assert_eq!(err.var, "CORS_ALLOWED_ORIGINS");
    }

    #[test]
    fn tmdb_settings_require_the_key_and_default_to_tmdb() {
        let lookup = |vars: &[(&str, &str)]| {
            let map: HashMap<String, String> = vars
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect();
            TmdbSettings::from_lookup(|name| map.get(name).cloned())
        };
        let err = lookup(&[]).unwrap_err();
        assert_eq!(err.var, "TMDB_API_KEY");
        assert!(err.to_string().contains("TMDB_API_KEY"));
        let tmdb = lookup(&[("TMDB_API_KEY", "k3y-canary")]).unwrap();
        assert_eq!(tmdb.api_base_url, DEFAULT_TMDB_API_BASE_URL);
        assert_eq!(tmdb.image_base_url, DEFAULT_TMDB_IMAGE_BASE_URL);
        assert!(!format!("{tmdb:?}").contains("k3y-canary"));
        let tmdb = lookup(&[
            ("TMDB_API_KEY", "k"),
            ("TMDB_API_BASE_URL", "http://127.0.0.1:9/3/"),
        ])
        .unwrap();
        assert_eq!(tmdb.api_base_url, "http://127.0.0.1:9/3");
        let err = lookup(&[("TMDB_API_KEY", "k"), ("TMDB_IMAGE_BASE_URL", "ftp://x")]).unwrap_err();
        assert_eq!(err.var, "TMDB_IMAGE_BASE_URL");
        for var in ["TMDB_API_KEY", "TMDB_API_BASE_URL", "TMDB_IMAGE_BASE_URL"] {
            assert!(known_variables().iter().any(|v| v == var), "{var}");
        }
    }

    #[test]
    fn database_passwords_never_show_in_debug_output() {
        let s = settings(&[("DATABASE_URL", "postgres://app:hunter2@db:5432/cine")]).unwrap();
        let shown = format!("{s:?} {}", s.database_url);
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("postgres://app:***@db:5432/cine"));
    }

    #[test]
    fn database_targets_name_the_host_and_port_or_the_file() {
        for (url, target) in [
            ("postgres://app:pw@db:6543/cine", "db:6543"),
            ("postgres://app@db/cine", "db:5432"),
            ("postgresql://127.0.0.1:1/x?sslmode=disable", "127.0.0.1:1"),
            ("postgres://[::1]/x", "[::1]:5432"),
            ("sqlite://data/cinerank.db?mode=rwc", "data/cinerank.db"),
        ] {
            assert_eq!(DatabaseUrl::new(url).target(), target, "{url}");
        }
    }
}
