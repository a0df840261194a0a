//! A trained model published by the worker for serving instances to load.

use sea_orm::entity::prelude::*;

/// A row of `model_snapshots`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "model_snapshots")]
pub struct Model {
    /// Primary key; the newest snapshot has the largest.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// The model's version, as `/admin/model` reports it.
    #[sea_orm(unique)]
    pub version: String,
    /// When training finished.
    pub trained_at: DateTimeUtc,
    /// Wall-clock training time, data loading included.
    pub training_ms: i64,
    /// Ratings trained on.
    pub ratings: i64,
    /// Movies in the catalogue when the data was read.
    pub catalogue_movies: i64,
    /// In-sample RMSE of the rating model.
    pub train_rmse: Option<f64>,
    /// In-sample MAE of the rating model.
    pub train_mae: Option<f64>,
    /// Ratings in the metrics sample.
    pub sample_size: i64,
    /// Length of `payload`.
    pub size_bytes: i64,
    /// The payload's checksum as the serialiser computed it (hex).
    pub checksum: String,
    /// The serialised model (`recommender::snapshot`).
    pub payload: Vec<u8>,
    /// When it was published.
    pub created_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
