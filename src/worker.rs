//! `cinerank worker`: the one process that trains. It trains at start, on
//! the retrain triggers a serving process has (enough new ratings, the
//! model's age, an import) and when any instance asks
//! (`POST /admin/model/retrain` records a request in the change feed), and
//! publishes every model to the database for the serving instances
//! (`MODEL_TRAINING=off`) to load. On PostgreSQL an advisory lock makes a
//! second worker wait until the first one stops.

use std::future::Future;
use std::time::Duration;

use sea_orm::{DatabaseBackend, DatabaseConnection, sqlx};

use crate::config::{ModelTraining, Settings};
use crate::startup::{Core, StartupError, prepare_database};

/// The advisory lock only one worker holds ("cinerank" in ASCII).
const WORKER_LOCK: i64 = 0x6369_6e65_7261_6e6b;
/// How often a waiting worker tries the lock again.
const LOCK_RETRY: Duration = Duration::from_secs(2);

/// Holds the worker lock while it lives: a session-level advisory lock on
/// a connection of its own (closing the connection releases it).
struct WorkerLock {
    _connection: Option<sqlx::PgConnection>,
}

/// Waits until this process is the only worker. SQLite has a single
/// server by design, so there is nothing to take.
async fn take_worker_lock(db: &DatabaseConnection) -> Result<WorkerLock, StartupError> {
    if db.get_database_backend() != DatabaseBackend::Postgres {
        return Ok(WorkerLock { _connection: None });
    }
    let session = crate::db::advisory_lock(db, WORKER_LOCK, LOCK_RETRY).await?;
    Ok(WorkerLock {
        _connection: Some(session),
    })
}

/// Runs the worker until `shutdown` completes (also while it still waits
/// for another worker's lock).
pub async fn run(
    settings: Settings,
    shutdown: impl Future<Output = ()>,
) -> Result<(), StartupError> {
    let db = prepare_database(&settings, settings.seed_on_start).await?;
    tokio::pin!(shutdown);
    let _lock = tokio::select! {
        lock = take_worker_lock(&db) => lock?,
        () = &mut shutdown => return Ok(()),
    };
    let core = Core::build(&settings, &db, ModelTraining::InProcess, true).await?;
    log::info!("worker: training and publishing models");
    let background = core.spawn_background(&db, settings.change_poll_interval);
    shutdown.await;
    drop(background);
    log::info!("worker stopped");
    Ok(())
}
