//! Building and running the HTTP server: bind first (port 0 in tests), then
//! serve, so tests and `main` run exactly the same application.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::{self, Compress, ErrorHandlers};
use actix_web::{App, HttpServer, web};
use sea_orm::{DatabaseConnection, DbErr};
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use crate::auth::jwt::JwtKeys;
use crate::auth::rate_limit::RateLimiter;
use crate::config::ModelTraining;
use crate::config::Settings;
use crate::db;
use crate::metrics::HttpMetrics;
use crate::middleware::{fallback, observe, route_table, security};
use crate::recommender::TrainConfig;
use crate::routes::{self, extract};
use crate::services::accounts::{AccountCache, Accounts};
use crate::services::catalog::{Catalog, GenreCatalog};
use crate::services::changes::Caches;
use crate::services::changes::feed::{self, FeedStatus};
use crate::services::import_jobs::ImportJobs;
use crate::services::lists::Lists;
use crate::services::ratings::Ratings;
use crate::services::recommendations::{Recommender, RecommenderSettings};
use crate::services::seed::{self, SeedError};
use crate::services::store::Store;
use crate::state::AppState;

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// The database could not be reached or migrated.
    #[error("database: {0}")]
    Database(#[from] DbErr),
    /// The database named by `DATABASE_URL` could not be reached.
    #[error("cannot connect to the database at {target} (DATABASE_URL={url}): {source}")]
    Connect {
        /// `host:port` or the SQLite file.
        target: String,
        /// `DATABASE_URL` with any password masked.
        url: String,
        /// The cause.
        #[source]
        source: DbErr,
    },
    /// The database can be read but not written (an SQLite file opened
    /// `?mode=ro` or without write permission, a PostgreSQL standby or a
    /// read-only default transaction): every write would fail with 500.
    #[error(
        "the database at {target} is read-only (DATABASE_URL={url}); cinerank must be able to \
         write to it: {source}"
    )]
    ReadOnly {
        /// `host:port` or the SQLite file.
        target: String,
        /// `DATABASE_URL` with any password masked.
        url: String,
        /// What the write probe answered.
        #[source]
        source: DbErr,
    },
    /// The seed data could not be loaded.
    #[error("seeding: {0}")]
    Seed(#[from] SeedError),
    /// No secure random source for the development JWT secret.
    #[error("cannot generate a JWT secret: {0}")]
    Random(String),
    /// The address could not be bound.
    #[error("cannot listen on {address}: {source}")]
    Bind {
        /// `host:port`.
        address: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

/// What every process role shares: the catalogue, the recommender, the
/// caches in front of them and the change feed that keeps those exact.
pub struct Core {
    /// Movies, genres and their caches.
    pub catalog: Arc<Catalog>,
    /// The model and its list cache.
    pub recommender: Arc<Recommender>,
    /// Every cache, for services to drop what their writes change.
    pub caches: Arc<Caches>,
    /// What the change feed has done.
    pub feed: Arc<FeedStatus>,
}

impl Core {
    /// The services over a prepared database. `training` says where the
    /// model comes from; `publish` makes every model trained here public
    /// (the worker).
    pub async fn build(
        settings: &Settings,
        db: &DatabaseConnection,
        training: ModelTraining,
        publish: bool,
    ) -> Result<Core, DbErr> {
        let genres = Arc::new(GenreCatalog::load(db).await?);
        let catalog = Arc::new(Catalog::new(
            db.clone(),
            genres,
            settings.catalog_cache_capacity,
            Some(settings.cache_ttl),
        ));
        let recommender = Arc::new(Recommender::new(
            Arc::clone(&catalog),
            TrainConfig::default(),
            RecommenderSettings {
                train_on_start: settings.model_train_on_start,
                retrain_after_writes: settings.model_retrain_after_writes,
                retrain_interval: settings.model_retrain_interval,
                data_check_interval: settings.model_data_check_interval,
                cache_capacity: settings.recommendation_cache_capacity,
                cache_ttl: settings.cache_ttl,
                training,
                publish,
            },
        ));
        let accounts = Arc::new(AccountCache::new(
            settings.account_cache_capacity,
            Some(settings.cache_ttl),
        ));
        let caches = Arc::new(Caches::new(
            Arc::clone(&catalog),
            Arc::clone(&recommender),
            accounts,
        ));
        Ok(Core {
            catalog,
            recommender,
            caches,
            feed: Arc::new(FeedStatus::default()),
        })
    }

    /// Starts the change feed and the model's trainer or loader; they stop
    /// when the returned value is dropped.
    pub fn spawn_background(&self, db: &DatabaseConnection, poll: Duration) -> Background {
        Background(vec![
            tokio::spawn(feed::run(
                db.clone(),
                Arc::clone(&self.caches),
                Arc::clone(&self.feed),
                poll,
            )),
            tokio::spawn(Arc::clone(&self.recommender).run()),
        ])
    }
}

/// Background tasks of a process, aborted when this is dropped.
pub struct Background(Vec<tokio::task::JoinHandle<()>>);

impl Drop for Background {
    fn drop(&mut self) {
        for task in &self.0 {
            task.abort();
        }
    }
}

/// A running server and what tests need to reach it.
pub struct Application {
    port: u16,
    server: Server,
    state: web::Data<AppState>,
    background: Background,
}

/// Connects, migrates and (when enabled and the database is empty) seeds.
pub async fn prepare_database(
    settings: &Settings,
    seed: bool,
) -> Result<DatabaseConnection, StartupError> {
    let url = &settings.database_url;
    let db = db::connect(settings)
        .await
        .map_err(|source| StartupError::Connect {
            target: url.target(),
            url: url.redacted(),
            source,
        })?;
    db::probe_write(&db)
        .await
        .map_err(|source| StartupError::ReadOnly {
            target: url.target(),
            url: url.redacted(),
            source,
        })?;
    db::migrate(&db).await?;
    if seed {
        let genres = GenreCatalog::load(&db).await?;
        match seed::seed_if_empty(&db, &genres, &settings.seed_dir).await? {
            Some(report) => log::info!(
                "seeded {} movies, {} users, {} ratings from {}",
                report.movies,
                report.users,
                report.ratings,
                settings.seed_dir.display()
            ),
            None => log::info!("database already has movies; seed data not loaded"),
        }
    }
    Ok(db)
}

impl Application {
    /// Prepares the database and binds `settings.host:settings.port`.
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        let db = prepare_database(&settings, settings.seed_on_start).await?;
        Self::build_with_database(settings, db).await
    }

    /// Binds and starts serving on an already prepared database.
    pub async fn build_with_database(
        settings: Settings,
        db: DatabaseConnection,
    ) -> Result<Self, StartupError> {
        let address = format!("{}:{}", settings.host, settings.port);
        let listener = TcpListener::bind(&address).map_err(|source| StartupError::Bind {
            address: address.clone(),
            source,
        })?;
        let port = listener
            .local_addr()
            .map_err(|source| StartupError::Bind {
                address: address.clone(),
                source,
            })?
            .port();
        let api = crate::openapi::document();
        let secret = match &settings.jwt_secret {
            Some(secret) => secret.expose().as_bytes().to_vec(),
            None => {
                log::warn!(
                    "JWT_SECRET is not set: using a random per-process secret; \
                     tokens will not survive a restart (set JWT_SECRET in production)"
                );
                crate::auth::random_secret().map_err(|e| StartupError::Random(e.to_string()))?
            }
        };
        let jwt = JwtKeys::new(&secret, settings.jwt_ttl);
        let core = Core::build(&settings, &db, settings.model_training, false).await?;
        let background = core.spawn_background(&db, settings.change_poll_interval);
        let caches = Arc::clone(&core.caches);
        let state = web::Data::new(AppState {
            ratings: Ratings::new(Arc::clone(&caches)),
            lists: Lists::new(Arc::clone(&caches)),
            accounts: Accounts::new(jwt.clone(), Arc::clone(&caches)),
            store: Store::new(settings.store_currency.clone(), Arc::clone(&caches)),
            jwt,
            auth_limiter: RateLimiter::new(settings.auth_rate_limit_per_min),
            metrics: HttpMetrics::default(),
            imports: Arc::new(ImportJobs::new(settings.import_dir.clone())),
            catalog: core.catalog,
            recommender: core.recommender,
            caches,
            feed: core.feed,
            routes: Arc::new(route_table::RouteTable::from_openapi(&api)),
            settings: Arc::new(settings),
            db,
        });
        let server = serve(listener, state.clone(), api)
            .map_err(|source| StartupError::Bind { address, source })?;
        Ok(Application {
            port,
            server,
            state,
            background,
        })
    }

    /// The bound port (useful with port 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The shared state (tests use its database connection).
    pub fn state(&self) -> web::Data<AppState> {
        self.state.clone()
    }

    /// A handle to stop the server gracefully.
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Serves until stopped through a [`ServerHandle`].
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        // The feed and the trainer live as long as the server.
        let _background = self.background;
        self.server.await
    }
}

fn serve(
    listener: TcpListener,
    state: web::Data<AppState>,
    api: utoipa::openapi::OpenApi,
) -> std::io::Result<Server> {
    let grace = state.settings.shutdown_grace.as_secs();
    let workers = state.settings.workers;
    let mut server = HttpServer::new(move || {
        let (app, _) = App::new()
            .app_data(state.clone())
            .app_data(extract::json_config())
            .app_data(extract::path_config())
            .app_data(extract::query_config())
            .wrap(ErrorHandlers::new().default_handler(fallback::envelope_non_json_errors))
            .wrap(security::cors(&state.settings.cors_allowed_origins))
            .wrap(middleware::from_fn(security::docs_policy))
            .wrap(security::headers(
                state.settings.app_env == crate::config::AppEnv::Production,
            ))
            .wrap(Compress::default())
            // Outermost: sees the final status of everything, 404s included.
            .wrap(middleware::from_fn(observe::observe))
            .into_utoipa_app()
            .configure(routes::configure)
            .split_for_parts();
        app.configure(routes::web::configure)
            .service(SwaggerUi::new("/docs/{_:.*}").url("/api-docs/openapi.json", api.clone()))
            .default_service(web::to(fallback::not_routed))
    })
    // Signals are handled by the caller (see `cli`), so SIGINT drains
    // gracefully too instead of actix's immediate stop.
    .disable_signals()
    .shutdown_timeout(grace)
    .listen(listener)?;
    if let Some(workers) = workers {
        server = server.workers(workers);
    }
    Ok(server.run())
}
