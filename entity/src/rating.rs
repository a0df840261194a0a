//! One user's rating of one movie.

use sea_orm::entity::prelude::*;

/// A row of `ratings`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ratings")]
pub struct Model {
    /// Who rated.
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: i32,
    /// What was rated.
    #[sea_orm(primary_key, auto_increment = false)]
    pub movie_id: i32,
    /// The rating in half stars, 1 (0.5) to 10 (5.0).
    pub half_stars: i16,
    /// When first rated.
    pub created_at: DateTimeUtc,
    /// When last changed.
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
