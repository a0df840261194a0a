//! A user's preferred genres (cold-start onboarding).

use sea_orm::entity::prelude::*;

/// A row of `user_genres`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "user_genres")]
pub struct Model {
    /// The user.
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: i32,
    /// The preferred genre.
    #[sea_orm(primary_key, auto_increment = false)]
    pub genre_id: i32,
}

impl ActiveModelBehavior for ActiveModel {}
