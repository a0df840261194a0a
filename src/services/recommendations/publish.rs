//! One trainer, many servers: the worker publishes every model it trains
//! to `model_snapshots` (the serialised model, checksummed, with what
//! `/admin/model` reports), announcing it through the change feed in the
//! same transaction; serving instances (`MODEL_TRAINING=off`) load the
//! newest one at start and whenever one is announced, and swap it in like a
//! model trained here. Only the newest few snapshots are kept.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use chrono::Utc;
use entity::model_snapshot;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, TransactionTrait,
};

use super::data::load_content;
use super::{ModelMetrics, ModelSnapshot, Recommender, TrainingError};
use crate::recommender::content::ContentIndex;
use crate::recommender::{Model, SnapshotError, header_checksum};
use crate::services::changes::{self, Change};

/// Snapshots kept in the database (the newest ones).
const KEEP_SNAPSHOTS: u64 = 3;
/// A serving instance looks for a newer snapshot at least this often, even
/// without an announcement (a safety net; announcements are what count).
const RECHECK_EVERY: Duration = Duration::from_secs(60);

/// Why a published model could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// Reading the snapshot or the catalogue failed.
    #[error("reading the snapshot: {0}")]
    Db(#[from] DbErr),
    /// The payload is corrupt or of an unknown format.
    #[error("decoding the snapshot: {0}")]
    Decode(#[from] SnapshotError),
    /// Reading the content profiles failed.
    #[error(transparent)]
    Content(#[from] TrainingError),
    /// The decoding task panicked or was cancelled.
    #[error("decoding task: {0}")]
    Task(#[from] tokio::task::JoinError),
}

fn as_i64(value: usize) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

impl Recommender {
    /// Publishes a model trained here: one row and its announcement in one
    /// transaction, then prunes old rows.
    pub(super) async fn publish(
        &self,
        db: &DatabaseConnection,
        trained: &ModelSnapshot,
    ) -> Result<(), TrainingError> {
        let started = Instant::now();
        // The model is shared with requests; encoding only reads it.
        let payload = trained.model.to_bytes();
        let checksum = format!("{:08x}", header_checksum(&payload).unwrap_or_default());
        let size = payload.len();
        let encoded_ms = started.elapsed().as_millis();
        let txn = db.begin().await?;
        // Without RETURNING: the row's payload would otherwise travel back (hundreds of MB at the
        // 25M shape) only to be dropped.
        let row = model_snapshot::ActiveModel {
            version: Set(trained.version.clone()),
            trained_at: Set(trained.trained_at),
            training_ms: Set(i64::try_from(trained.training_ms).unwrap_or(i64::MAX)),
            ratings: Set(as_i64(trained.ratings)),
            catalogue_movies: Set(as_i64(trained.catalogue_movies)),
            train_rmse: Set(trained.metrics.train_rmse),
            train_mae: Set(trained.metrics.train_mae),
            sample_size: Set(as_i64(trained.metrics.sample_size)),
            size_bytes: Set(as_i64(size)),
            checksum: Set(checksum),
            payload: Set(payload),
            created_at: Set(Utc::now()),
            ..Default::default()
        };
        model_snapshot::Entity::insert(row)
            .exec_without_returning(&txn)
            .await?;
        changes::record(&txn, &[Change::ModelPublished]).await?;
        txn.commit().await?;
        let kept: Vec<i32> = model_snapshot::Entity::find()
            .select_only()
            .column(model_snapshot::Column::Id)
            .order_by_desc(model_snapshot::Column::Id)
            .limit(KEEP_SNAPSHOTS)
            .into_tuple()
            .all(db)
            .await?;
        model_snapshot::Entity::delete_many()
            .filter(model_snapshot::Column::Id.is_not_in(kept))
            .exec(db)
            .await?;
        log::info!(
            "published model {} ({:.1} MB) in {} ms ({} ms encoding)",
            trained.version,
            size as f64 / 1e6,
            started.elapsed().as_millis(),
            encoded_ms
        );
        Ok(())
    }

    /// Serving without training: loads the newest published model at start
    /// (not ready until there is one) and whenever one is announced.
    pub(super) async fn run_loader(self: Arc<Self>) {
        let db = self.db.clone();
        loop {
            if self.load_wanted.swap(false, Ordering::AcqRel) {
                match self.load_newest(&db).await {
                    Ok(Some(version)) => log::info!("loaded published model {version}"),
                    Ok(None) => {}
                    Err(err) => {
                        log::error!("could not load the published model: {err}");
                        // Try again soon: a worker may be mid-publish.
                        self.load_wanted.store(true, Ordering::Release);
                    }
                }
            }
            let pause = if self.load_wanted.load(Ordering::Acquire) || !self.is_ready() {
                Duration::from_secs(1)
            } else {
                RECHECK_EVERY
            };
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(pause) => self.load_wanted.store(true, Ordering::Release),
            }
        }
    }

    /// Loads and swaps in the newest published model unless it is the one
    /// serving. Returns its version when it loaded one.
    pub async fn load_newest(&self, db: &DatabaseConnection) -> Result<Option<String>, LoadError> {
        let newest: Option<(i32, String)> = model_snapshot::Entity::find()
            .select_only()
            .column(model_snapshot::Column::Id)
            .column(model_snapshot::Column::Version)
            .order_by_desc(model_snapshot::Column::Id)
            .into_tuple()
            .one(db)
            .await?;
        let Some((id, version)) = newest else {
            return Ok(None);
        };
        if self
            .current()
            .is_some_and(|serving| serving.version == version)
        {
            return Ok(None);
        }
        let Some(row) = model_snapshot::Entity::find_by_id(id).one(db).await? else {
            // Pruned between the two reads: a newer one exists; next time.
            return Ok(None);
        };
        let content = load_content(db).await?;
        let decoded = tokio::task::spawn_blocking(move || {
            let mut row = row;
            let model = Model::from_bytes(&row.payload)?;
            // The model holds what it needs: free the payload now.
            row.payload = Vec::new();
            Ok::<_, SnapshotError>((model, ContentIndex::build(content), row))
        })
        .await??;
        let (model, content, row) = decoded;
        let loaded = Arc::new(ModelSnapshot {
            model,
            version: row.version,
            trained_at: row.trained_at,
            training_ms: u64::try_from(row.training_ms).unwrap_or(0),
            ratings: usize::try_from(row.ratings).unwrap_or(0),
            catalogue_movies: usize::try_from(row.catalogue_movies).unwrap_or(0),
            metrics: ModelMetrics {
                train_rmse: row.train_rmse,
                train_mae: row.train_mae,
                sample_size: usize::try_from(row.sample_size).unwrap_or(0),
            },
            content,
        });
        self.swap_in(loaded);
        self.loads.fetch_add(1, Ordering::Relaxed);
        Ok(Some(version))
    }
}
