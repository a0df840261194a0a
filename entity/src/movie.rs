//! A film in the catalogue, with its rating aggregates.

use sea_orm::entity::prelude::*;

/// A row of `movies`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "movies")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// Display title, without the year.
    pub title: String,
    /// `title` lower-cased, for case-insensitive search and sorting.
    pub title_search: String,
    /// `title` in lower case, letters and digits only (`spiderman`): what
    /// search matches, through each database's trigram index.
    pub search_key: String,
    /// Release year.
    pub year: Option<i32>,
    /// Plot summary.
    #[sea_orm(column_type = "Text", nullable)]
    pub overview: Option<String>,
    /// Poster image URL.
    pub poster_url: Option<String>,
    /// IMDb id such as `tt0111161`.
    #[sea_orm(unique)]
    pub imdb_id: Option<String>,
    /// TMDB id.
    #[sea_orm(unique)]
    pub tmdb_id: Option<i32>,
    /// MovieLens `movieId`, for idempotent imports.
    #[sea_orm(unique)]
    pub movielens_id: Option<i32>,
    /// Number of ratings.
    pub rating_count: i32,
    /// Sum of all ratings in half stars.
    pub rating_sum: i64,
    /// `rating_sum / 2 / rating_count`, 0 when unrated.
    pub avg_rating: f64,
    /// Price in the minor unit of `STORE_CURRENCY`; `None` = not for sale.
    pub price: Option<i64>,
    /// Copies on hand (never negative); `None` = digital, unlimited.
    pub stock: Option<i32>,
    /// Running time, when known (TMDB enrichment).
    pub runtime_minutes: Option<i32>,
    /// When the movie was added.
    pub created_at: DateTimeUtc,
    /// When the movie last changed.
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
