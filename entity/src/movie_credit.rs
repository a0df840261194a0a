//! Who is credited on which movie, in which role and billing position.

use sea_orm::entity::prelude::*;

/// A row of `movie_credits`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "movie_credits")]
pub struct Model {
    /// The movie.
    #[sea_orm(primary_key, auto_increment = false)]
    pub movie_id: i32,
    /// `cast` or `director`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub role: String,
    /// Billing order within the role, from 1.
    #[sea_orm(primary_key, auto_increment = false)]
    pub position: i32,
    /// The person.
    pub person_id: i32,
    /// The part played (cast, when known).
    pub character: Option<String>,
}

impl ActiveModelBehavior for ActiveModel {}
