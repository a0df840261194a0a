//! How each service's error becomes an HTTP error: the status, the stable
//! `code` and the `details` of the envelope are web concerns, so they are
//! decided here and nowhere in `services/` (zero2prod's `SubscribeError`).

use serde_json::json;

use crate::error::ApiError;
use crate::services::accounts::AccountError;
use crate::services::catalog::CatalogError;
use crate::services::import_jobs::ImportJobError;
use crate::services::lists::ListError;
use crate::services::ratings::RatingError;
use crate::services::recommendations::RecommendationError;
use crate::services::store::StoreError;

impl From<AccountError> for ApiError {
    fn from(err: AccountError) -> Self {
        let message = err.to_string();
        match err {
            AccountError::Invalid(invalid) => invalid.into(),
            AccountError::NotFound => ApiError::NotFound(message),
            AccountError::EmailTaken => ApiError::conflict("email_taken", message),
            AccountError::UsernameTaken => ApiError::conflict("username_taken", message),
            AccountError::WrongCredentials => ApiError::Unauthorized(message),
            AccountError::LastAdmin { .. } => ApiError::conflict("last_admin", message),
            AccountError::Internal(cause) => ApiError::Internal(cause),
            AccountError::Db(db) => db.into(),
        }
    }
}

impl From<ImportJobError> for ApiError {
    fn from(err: ImportJobError) -> Self {
        let message = err.to_string();
        match err {
            ImportJobError::Invalid(invalid) => invalid.into(),
            ImportJobError::Running { id } => {
                ApiError::conflict_with("import_running", message, json!({ "id": id }))
            }
            ImportJobError::NotFound => ApiError::not_found("import"),
        }
    }
}

impl From<CatalogError> for ApiError {
    fn from(err: CatalogError) -> Self {
        let message = err.to_string();
        match err {
            CatalogError::Invalid(invalid) => invalid.into(),
            CatalogError::NotFound | CatalogError::PersonNotFound => ApiError::NotFound(message),
            CatalogError::DuplicateExternalId => {
                ApiError::conflict("duplicate_external_id", message)
            }
            CatalogError::Db(db) => db.into(),
        }
    }
}

impl From<RatingError> for ApiError {
    fn from(err: RatingError) -> Self {
        let message = err.to_string();
        match err {
            RatingError::Invalid(invalid) => invalid.into(),
            RatingError::MovieNotFound | RatingError::RatingNotFound => ApiError::NotFound(message),
            RatingError::Db(db) => db.into(),
        }
    }
}

impl From<ListError> for ApiError {
    fn from(err: ListError) -> Self {
        let message = err.to_string();
        match err {
            ListError::MovieNotFound => ApiError::NotFound(message),
            ListError::Db(db) => db.into(),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        let message = err.to_string();
        match err {
            StoreError::Invalid(invalid) => invalid.into(),
            StoreError::MovieNotFound | StoreError::OrderNotFound => ApiError::NotFound(message),
            StoreError::NotForSale(movie_ids) => ApiError::unprocessable(
                "not_for_sale",
                message,
                Some(json!({ "movie_ids": movie_ids })),
            ),
            StoreError::EmptyCart => ApiError::unprocessable("empty_cart", message, None),
            StoreError::OutOfStock(lines) => {
                let movie_ids: Vec<i32> = lines.iter().map(|l| l.movie_id).collect();
                let movies: Vec<serde_json::Value> = lines
                    .iter()
                    .map(|line| {
                        json!({
                            "movie_id": line.movie_id,
                            "title": line.title,
                            "requested": line.requested,
                            "available": line.available,
                        })
                    })
                    .collect();
                ApiError::conflict_with(
                    "out_of_stock",
                    message,
                    json!({ "movie_ids": movie_ids, "movies": movies }),
                )
            }
            StoreError::KeyInUse => ApiError::conflict("idempotency_key_in_use", message),
            StoreError::NotCancellable => ApiError::conflict("order_not_cancellable", message),
            StoreError::Db(db) => db.into(),
        }
    }
}

impl From<RecommendationError> for ApiError {
    fn from(err: RecommendationError) -> Self {
        match err {
            RecommendationError::NotReady => ApiError::unavailable(err.to_string()),
            RecommendationError::MovieNotFound => ApiError::NotFound(err.to_string()),
            RecommendationError::Task(cause) => ApiError::internal(cause),
            RecommendationError::Id(cause) => ApiError::internal(cause),
            RecommendationError::Db(db) => db.into(),
        }
    }
}
