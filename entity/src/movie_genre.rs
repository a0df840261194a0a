//! Which genres a movie has.

use sea_orm::entity::prelude::*;

/// A row of `movie_genres`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "movie_genres")]
pub struct Model {
    /// The movie.
    #[sea_orm(primary_key, auto_increment = false)]
    pub movie_id: i32,
    /// The genre.
    #[sea_orm(primary_key, auto_increment = false)]
    pub genre_id: i32,
}

impl ActiveModelBehavior for ActiveModel {}
