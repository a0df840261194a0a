//! The background trainer: when a retrain is due, training on the blocking
//! pool, swapping the snapshot in, and the in-sample metrics.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use chrono::Utc;
use entity::movie;
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, PaginatorTrait, QuerySelect};

use super::data::load_content;
use super::{ModelMetrics, ModelSnapshot, Recommender, TrainingError, load_training_data};
use crate::recommender::content::ContentIndex;
use crate::recommender::{Model, TrainingData, UserContext};

impl Recommender {
    pub(super) fn due(&self) -> bool {
        if self.force_training.load(Ordering::Acquire) {
            return true;
        }
        let Some(current) = self.current() else {
            return false;
        };
        let threshold = self.settings.retrain_after_writes;
        if threshold > 0 && self.writes_since_training.load(Ordering::Relaxed) >= threshold {
            return true;
        }
        self.settings.retrain_interval.is_some_and(|interval| {
            (Utc::now() - current.trained_at)
                .to_std()
                .unwrap_or_default()
                >= interval
        })
    }

    /// The trainer: trains at start (if enabled), then whenever asked or due.
    /// Runs until the runtime stops.
    pub async fn run_trainer(self: Arc<Self>) {
        let db = self.db.clone();
        if self.settings.train_on_start {
            self.force_training.store(true, Ordering::Release);
        }
        let mut last_data_check = Instant::now();
        loop {
            if last_data_check.elapsed() >= self.settings.data_check_interval {
                last_data_check = Instant::now();
                self.check_for_outside_changes(&db).await;
            }
            if self.due() {
                self.force_training.store(false, Ordering::Release);
                match self.train(&db).await {
                    Ok(snapshot) => log::info!(
                        "model {} trained in {} ms ({} ratings)",
                        snapshot.version,
                        snapshot.training_ms,
                        snapshot.ratings
                    ),
                    Err(err) => log::error!("model training failed: {err}"),
                }
            }
            let pause = self
                .settings
                .data_check_interval
                .min(Duration::from_secs(5));
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(pause) => {}
            }
        }
    }

    /// Asks for a retrain when the database holds many ratings or movies
    /// the model has not seen and that this instance did not write: a
    /// `cinerank import`, or writes through other instances. Two aggregate
    /// reads over `movies`, cheap at any catalogue size.
    async fn check_for_outside_changes(&self, db: &DatabaseConnection) {
        let Some(current) = self.current() else {
            return;
        };
        let threshold = self.settings.retrain_after_writes.max(1);
        let counts = async {
            let movies = movie::Entity::find().count(db).await?;
            let ratings: Option<i64> = movie::Entity::find()
                .select_only()
                .column_as(movie::Column::RatingCount.sum(), "ratings")
                .into_tuple::<Option<i64>>()
                .one(db)
                .await?
                .flatten();
            Ok::<_, DbErr>((movies, ratings.unwrap_or(0)))
        };
        match counts.await {
            Ok((movies, ratings)) => {
                let changed = ratings.abs_diff(current.ratings as i64)
                    + movies.abs_diff(current.catalogue_movies as u64);
                if changed >= threshold {
                    log::info!(
                        "the database has {ratings} ratings and {movies} movies, the model {} and {}: retraining",
                        current.ratings,
                        current.catalogue_movies
                    );
                    self.force_training.store(true, Ordering::Release);
                }
            }
            Err(err) => log::warn!("could not check the database for new data: {err}"),
        }
    }

    /// Trains a model from the database and swaps it in.
    pub async fn train(
        &self,
        db: &DatabaseConnection,
    ) -> Result<Arc<ModelSnapshot>, TrainingError> {
        if self.training.swap(true, Ordering::AcqRel) {
            return Err(TrainingError::Task(
                "a training is already running".to_owned(),
            ));
        }
        let result = self.train_inner(db).await;
        self.training.store(false, Ordering::Release);
        result
    }

    async fn train_inner(
        &self,
        db: &DatabaseConnection,
    ) -> Result<Arc<ModelSnapshot>, TrainingError> {
        let started = Instant::now();
        // Writes from here on may be missing from the data: keep counting them.
        let writes_before = self.writes_since_training.load(Ordering::Relaxed);
        // Ratings and content from one snapshot; at the 25M shape the read
        // outlasts the request statement timeout (see `begin_bulk_read`).
        let read = crate::db::begin_bulk_read(db).await?;
        let mut data = load_training_data(&read).await?;
        // The model's content term and the "more like this" index read the same profiles.
        data.content = load_content(&read).await?;
        read.commit().await?;
        log::info!(
            "read {} ratings and {} content profiles for training in {} ms",
            data.ratings.len(),
            data.content.len(),
            started.elapsed().as_millis()
        );
        let config = self.config.clone();
        let (model, data, content, metrics) = tokio::task::spawn_blocking(move || {
            let mut data = data;
            let model = Model::train(&data, &config)?;
            // The model has interned what it needs; the index takes the profiles themselves.
            // Neither it nor the sample metrics reads the other, so they share the cores.
            let profiles = std::mem::take(&mut data.content);
            let after_fit = Instant::now();
            let (content, metrics) = std::thread::scope(|s| {
                let index = s.spawn(|| ContentIndex::build(profiles));
                let metrics = sample_metrics(&model, &data);
                let content = index
                    .join()
                    .unwrap_or_else(|p| std::panic::resume_unwind(p));
                (content, metrics)
            });
            log::info!(
                "content index and sample metrics in {} ms",
                after_fit.elapsed().as_millis()
            );
            Ok::<_, crate::recommender::TrainError>((model, data, content, metrics))
        })
        .await
        .map_err(|e| TrainingError::Task(e.to_string()))??;
        let stats = model.stats();
        let sources: Vec<String> = stats
            .timings
            .iter()
            .map(|t| format!("{} {:.1} s", t.source, t.seconds))
            .collect();
        log::info!(
            "model fitted in {:.1} s ({})",
            stats.total_seconds,
            sources.join(", ")
        );
        let trained_at = Utc::now();
        let sequence = self.sequence.fetch_add(1, Ordering::Relaxed) + 1;
        let snapshot = Arc::new(ModelSnapshot {
            version: format!("{}#{sequence}", trained_at.format("%Y-%m-%dT%H:%M:%SZ")),
            trained_at,
            training_ms: started.elapsed().as_millis() as u64,
            ratings: data.ratings.len(),
            catalogue_movies: data.movies.len(),
            metrics,
            model,
            content,
        });
        self.swap_in(snapshot.clone());
        self.trainings.fetch_add(1, Ordering::Relaxed);
        self.writes_since_training.fetch_sub(
            writes_before.min(self.writes_since_training.load(Ordering::Relaxed)),
            Ordering::Relaxed,
        );
        if self.settings.publish {
            self.publish(db, &snapshot).await?;
        }
        Ok(snapshot)
    }

    /// Makes `snapshot` the serving model; ranked lists of the old one go.
    pub(super) fn swap_in(&self, snapshot: Arc<ModelSnapshot>) {
        *self.snapshot.write().unwrap_or_else(|p| p.into_inner()) = Some(snapshot);
        self.lists.invalidate_all();
    }
}

/// In-sample RMSE/MAE of the rating model on an evenly spaced sample.
fn sample_metrics(model: &Model, data: &TrainingData) -> ModelMetrics {
    const SAMPLE: usize = 5_000;
    let step = (data.ratings.len() / SAMPLE).max(1);
    let sample: Vec<&(i64, i64, f32)> = data.ratings.iter().step_by(step).take(SAMPLE).collect();
    // Per sampled user: their whole context and the sampled ratings to predict.
    let mut by_user: HashMap<i64, (UserContext, Vec<(i64, f32)>)> = HashMap::new();
    for &&(user, movie, value) in &sample {
        by_user.entry(user).or_default().1.push((movie, value));
    }
    for (user, movie, value) in &data.ratings {
        if let Some((ctx, _)) = by_user.get_mut(user) {
            ctx.ratings.push((*movie, *value));
        }
    }
    // A folded user holds a row as long as the catalogue: fold, predict and drop one user at a
    // time, on every core.
    let users: Vec<_> = by_user.into_values().collect();
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let per_thread = users.len().div_ceil(threads).max(1);
    let (squared, absolute) = std::thread::scope(|s| {
        let handles: Vec<_> = users
            .chunks(per_thread)
            .map(|chunk| {
                s.spawn(move || {
                    let (mut squared, mut absolute) = (0.0f64, 0.0f64);
                    for (ctx, sampled) in chunk {
                        let folded = model.fold_in(ctx);
                        for &(movie, value) in sampled {
                            let error = f64::from(model.predict_folded(&folded, movie) - value);
                            squared += error * error;
                            absolute += error.abs();
                        }
                    }
                    (squared, absolute)
                })
            })
            .collect();
        handles.into_iter().fold((0.0, 0.0), |(sq, ab), h| {
            let (s2, a2) = h.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
            (sq + s2, ab + a2)
        })
    });
    let n = sample.len();
    ModelMetrics {
        train_rmse: (n > 0).then(|| ((squared / n as f64).sqrt() * 1e4).round() / 1e4),
        train_mae: (n > 0).then(|| (absolute / n as f64 * 1e4).round() / 1e4),
        sample_size: n,
    }
}
