//! A placed (or cancelled) order.

use sea_orm::entity::prelude::*;

/// A row of `orders`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "orders")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// Who ordered.
    pub user_id: i32,
    /// `placed` or `cancelled`.
    pub status: String,
    /// Sum of the line totals, in the minor unit of `currency`.
    pub total: i64,
    /// ISO 4217 code, e.g. `KRW`.
    pub currency: String,
    /// The client's `Idempotency-Key`, unique per user.
    pub idempotency_key: Option<String>,
    /// When it was placed.
    pub created_at: DateTimeUtc,
    /// When it was cancelled.
    pub cancelled_at: Option<DateTimeUtc>,
}

impl ActiveModelBehavior for ActiveModel {}
