//! An account.

use sea_orm::entity::prelude::*;

/// A row of `users`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// Login name as chosen (unique regardless of case).
    pub username: String,
    /// Lower-cased email; `None` for imported accounts.
    #[sea_orm(unique)]
    pub email: Option<String>,
    /// Argon2id PHC string; `None` means the account cannot log in.
    pub password_hash: Option<String>,
    /// `user` or `admin`.
    pub role: String,
    /// Identity in an imported dataset, e.g. `movielens:42`.
    #[sea_orm(unique)]
    pub external_id: Option<String>,
    /// When the account was created.
    pub created_at: DateTimeUtc,
    /// When the account last changed.
    pub updated_at: DateTimeUtc,
    /// Incremented whenever every earlier session must end (sign-out
    /// everywhere, password or role change); tokens carry the version they
    /// were issued at.
    pub session_version: i32,
}

impl ActiveModelBehavior for ActiveModel {}
