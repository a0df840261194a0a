//! Hearing other instances' writes: `LISTEN` on PostgreSQL, polling
//! `change_log` on SQLite. Either way a change that may have been missed
//! (a dropped connection, rows pruned before they were read) flushes every
//! cache, after the instance is listening again, so nothing stale survives.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

use chrono::Utc;
use entity::change_log;
use migration::CHANGE_CHANNEL;
use sea_orm::sqlx::postgres::PgListener;
use sea_orm::{
    ColumnTrait, DatabaseBackend, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, sqlx,
};

use super::{Caches, Change};

/// How long `change_log` rows are kept. A poller that fell further behind
/// than this flushes everything instead of reading them.
const KEEP_ROWS: Duration = Duration::from_secs(600);
/// How often old rows are pruned.
const PRUNE_EVERY: Duration = Duration::from_secs(60);
/// A listening connection silent this long is pinged, so a half-open one
/// (a network cut without a reset) is found and replaced.
const PING_AFTER: Duration = Duration::from_secs(30);
/// Rows read per poll.
const POLL_BATCH: u64 = 500;

/// What the feed has done, for `/metrics` and tests.
#[derive(Debug, Default)]
pub struct FeedStatus {
    listening: AtomicBool,
    heard: AtomicU64,
    flushes: AtomicU64,
    reconnects: AtomicU64,
    backend_pid: AtomicI64,
}

impl FeedStatus {
    /// Whether the instance is subscribed (or polling) right now.
    pub fn listening(&self) -> bool {
        self.listening.load(Ordering::Acquire)
    }

    /// Changes applied from the feed.
    pub fn heard(&self) -> u64 {
        self.heard.load(Ordering::Relaxed)
    }

    /// Times every cache was flushed because a change may have been missed.
    pub fn flushes(&self) -> u64 {
        self.flushes.load(Ordering::Relaxed)
    }

    /// Times the listening connection was replaced.
    pub fn reconnects(&self) -> u64 {
        self.reconnects.load(Ordering::Relaxed)
    }

    /// PostgreSQL's process id of the listening connection (0 when none):
    /// what `pg_terminate_backend` needs to cut it, as the tests do.
    pub fn backend_pid(&self) -> i64 {
        self.backend_pid.load(Ordering::Relaxed)
    }
}

/// Feeds `caches` with every change any process commits, until the runtime
/// stops. `poll` is SQLite's polling interval.
pub async fn run(
    db: DatabaseConnection,
    caches: Arc<Caches>,
    status: Arc<FeedStatus>,
    poll: Duration,
) {
    match db.get_database_backend() {
        DatabaseBackend::Postgres => listen(&db, &caches, &status).await,
        _ => poll_log(&db, &caches, &status, poll).await,
    }
}

async fn apply(caches: &Caches, status: &FeedStatus, text: &str) {
    match Change::parse(text) {
        Some(change) => caches.heard(&change).await,
        None => {
            log::warn!("unknown change {text:?} in the change feed: flushing every cache");
            flush(caches, status);
        }
    }
    status.heard.fetch_add(1, Ordering::Relaxed);
}

fn flush(caches: &Caches, status: &FeedStatus) {
    caches.flush();
    status.flushes.fetch_add(1, Ordering::Relaxed);
}

async fn prune(db: &DatabaseConnection) {
    let horizon = Utc::now() - chrono::Duration::from_std(KEEP_ROWS).unwrap_or_default();
    if let Err(err) = change_log::Entity::delete_many()
        .filter(change_log::Column::CreatedAt.lt(horizon))
        .exec(db)
        .await
    {
        log::warn!("could not prune the change log: {err}");
    }
}

/// A subscribed listener, with its backend's pid.
async fn subscribe(db: &DatabaseConnection) -> Result<(PgListener, i64), sqlx::Error> {
    let mut listener = PgListener::connect_with(db.get_postgres_connection_pool()).await?;
    // The pool closing (shutdown) ends the wait like any lost connection.
    listener.listen(CHANGE_CHANNEL).await?;
    let pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
        .fetch_one(&mut listener)
        .await?;
    Ok((listener, i64::from(pid)))
}

/// PostgreSQL: one dedicated `LISTEN` connection. Whenever it is
/// (re)established every cache is flushed *after* the `LISTEN`, so a change
/// committed while it was down is either flushed away or heard.
async fn listen(db: &DatabaseConnection, caches: &Caches, status: &FeedStatus) {
    let mut first = true;
    let mut last_prune = tokio::time::Instant::now();
    loop {
        let (mut listener, pid) = match subscribe(db).await {
            Ok(subscribed) => subscribed,
            Err(err) => {
                status.listening.store(false, Ordering::Release);
                log::warn!("change feed: cannot listen ({err}); retrying in 1 s");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        status.backend_pid.store(pid, Ordering::Relaxed);
        status.listening.store(true, Ordering::Release);
        if first {
            first = false;
        } else {
            status.reconnects.fetch_add(1, Ordering::Relaxed);
            log::info!("change feed: listening again (backend {pid}); flushing every cache");
            flush(caches, status);
        }
        loop {
            if last_prune.elapsed() >= PRUNE_EVERY {
                last_prune = tokio::time::Instant::now();
                prune(db).await;
            }
            match tokio::time::timeout(PING_AFTER, listener.try_recv()).await {
                Ok(Ok(Some(notification))) => {
                    // The payload is `id change`; the id only orders rows.
                    let payload = notification.payload();
                    let text = payload
                        .split_once(' ')
                        .map_or(payload, |(_, change)| change);
                    apply(caches, status, text).await;
                }
                // Lost and (eagerly) re-established by sqlx: notifications
                // in between are gone, so treat it as a new subscription.
                Ok(Ok(None)) => break,
                Ok(Err(err)) => {
                    log::warn!("change feed: listening connection failed: {err}");
                    break;
                }
                Err(_silent) => {
                    if let Err(err) = sqlx::query("SELECT 1").execute(&mut listener).await {
                        log::warn!("change feed: listening connection is dead: {err}");
                        break;
                    }
                }
            }
        }
        status.listening.store(false, Ordering::Release);
        status.backend_pid.store(0, Ordering::Relaxed);
    }
}

/// The newest row id, where a poller starts (older rows describe writes
/// that happened before this instance cached anything).
async fn newest_id(db: &DatabaseConnection) -> Result<i64, DbErr> {
    Ok(change_log::Entity::find()
        .select_only()
        .column_as(change_log::Column::Id.max(), "id")
        .into_tuple::<Option<i64>>()
        .one(db)
        .await?
        .flatten()
        .unwrap_or(0))
}

/// SQLite: reads rows newer than the last one seen every `poll`. SQLite
/// commits one writer at a time, so ids become visible in order and a gap
/// means rows were pruned before this poller read them.
async fn poll_log(db: &DatabaseConnection, caches: &Caches, status: &FeedStatus, poll: Duration) {
    let mut last_seen = loop {
        match newest_id(db).await {
            Ok(id) => break id,
            Err(err) => {
                log::warn!("change feed: cannot read the change log ({err}); retrying in 1 s");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    };
    status.listening.store(true, Ordering::Release);
    let mut last_prune = tokio::time::Instant::now();
    let mut interval = tokio::time::interval(poll);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        if last_prune.elapsed() >= PRUNE_EVERY {
            last_prune = tokio::time::Instant::now();
            prune(db).await;
        }
        let rows = change_log::Entity::find()
            .filter(change_log::Column::Id.gt(last_seen))
            .order_by_asc(change_log::Column::Id)
            .limit(POLL_BATCH)
            .all(db)
            .await;
        let rows = match rows {
            Ok(rows) => rows,
            Err(err) => {
                log::warn!("change feed: cannot read the change log: {err}");
                continue;
            }
        };
        if rows.first().is_some_and(|row| row.id > last_seen + 1) {
            log::info!("change feed: rows after {last_seen} were pruned unread; flushing");
            flush(caches, status);
        }
        for row in rows {
            last_seen = row.id;
            apply(caches, status, &row.change).await;
        }
    }
}

impl crate::metrics::Component for FeedStatus {
    fn render(&self, out: &mut crate::metrics::Exposition) {
        out.flag(
            "cinerank_change_feed_listening",
            "1 while this instance hears other instances' writes (LISTEN or polling).",
            self.listening(),
        );
        out.single(
            "cinerank_change_feed_changes_total",
            "counter",
            "Changes applied from the change feed.",
            self.heard() as f64,
        );
        out.single(
            "cinerank_change_feed_flushes_total",
            "counter",
            "Times every cache was flushed because a change may have been missed.",
            self.flushes() as f64,
        );
        out.single(
            "cinerank_change_feed_reconnects_total",
            "counter",
            "Times the listening connection was lost and re-established.",
            self.reconnects() as f64,
        );
    }
}
