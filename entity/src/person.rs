//! Someone credited on a film: an actor or a director.

use sea_orm::entity::prelude::*;

/// A row of `people`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "people")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// Name as credited.
    pub name: String,
    /// `name` in lower case, letters and digits only: what search matches.
    pub search_key: String,
    /// TMDB person id, when enrichment found one.
    #[sea_orm(unique)]
    pub tmdb_id: Option<i32>,
    /// When the person was added.
    pub created_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
