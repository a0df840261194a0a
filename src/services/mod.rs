//! Business rules over the database. Services take `&impl ConnectionTrait`
//! so the same function runs on the pool or inside a transaction.

pub mod accounts;
pub mod catalog;
pub mod changes;
pub mod enrich;
pub mod ids;
pub mod import;
pub mod import_jobs;
pub mod lists;
pub mod ratings;
pub mod recommendations;
pub mod seed;
pub mod store;
pub mod validation;

use std::collections::HashMap;

use sea_orm::sea_query::IntoCondition;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr,
    EntityTrait, PaginatorTrait, QueryFilter, QuerySelect, Select, SqliteTransactionMode,
    TransactionOptions, TransactionTrait,
};

/// Begins a transaction that will write. On SQLite it takes the write lock
/// up front (`BEGIN IMMEDIATE`): a deferred transaction that reads and then
/// writes can fail with SQLITE_BUSY instead of waiting its turn. PostgreSQL
/// ignores the mode; there, services lock the rows they read-modify-write.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}

/// A validated page request: `page` ≥ 1, `per_page` in 1..=100.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageRequest {
    /// 1-based page number.
    pub page: u64,
    /// Items per page.
    pub per_page: u64,
}

impl PageRequest {
    /// Largest allowed `per_page`.
    pub const MAX_PER_PAGE: u64 = 100;
    /// `per_page` when none is given.
    pub const DEFAULT_PER_PAGE: u64 = 20;

    /// Rows to skip.
    pub fn offset(&self) -> u64 {
        (self.page - 1).saturating_mul(self.per_page)
    }
}

/// `select` (filtered and ordered) cut to the rows of `page`, and how many
/// rows it has across all pages. The caller still runs the cut query, as
/// models or as tuples of the columns it needs.
pub async fn page_of<E>(
    db: &impl ConnectionTrait,
    select: Select<E>,
    page: PageRequest,
) -> Result<(Select<E>, u64), DbErr>
where
    E: EntityTrait,
    E::Model: Sync,
{
    let total = select.clone().count(db).await?;
    Ok((select.limit(page.per_page).offset(page.offset()), total))
}

/// Replaces one owner's link rows (a movie's genres, a user's preferred
/// genres): deletes the rows `owner` matches, then inserts `rows`.
pub async fn replace_links<A: ActiveModelTrait>(
    db: &impl ConnectionTrait,
    owner: impl IntoCondition,
    rows: Vec<A>,
) -> Result<(), DbErr> {
    A::Entity::delete_many().filter(owner).exec(db).await?;
    // An empty multi-row INSERT is not valid SQL.
    if !rows.is_empty() {
        A::Entity::insert_many(rows)
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// How many rows of `select` there are per value of `key`: `SELECT key,
/// COUNT(counted) … GROUP BY key` (keys without rows are absent).
pub async fn counts_by<E: EntityTrait>(
    db: &impl ConnectionTrait,
    select: Select<E>,
    key: E::Column,
    counted: E::Column,
) -> Result<HashMap<i32, i64>, DbErr> {
    let rows: Vec<(i32, i64)> = select
        .select_only()
        .column(key)
        .column_as(counted.count(), "count")
        .group_by(key)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().collect())
}

impl Default for PageRequest {
    fn default() -> Self {
        PageRequest {
            page: 1,
            per_page: Self::DEFAULT_PER_PAGE,
        }
    }
}

/// One page of a list: the pagination shape of every list endpoint.
#[derive(Clone, Debug)]
pub struct Page<T> {
    /// The items on this page (empty past the end).
    pub items: Vec<T>,
    /// This page's number, from 1.
    pub page: u64,
    /// Requested page size.
    pub per_page: u64,
    /// Items across all pages.
    pub total_items: u64,
    /// Number of pages (0 when there are no items).
    pub total_pages: u64,
}

impl<T> Page<T> {
    /// Wraps one page of items with the totals.
    pub fn new(items: Vec<T>, request: PageRequest, total_items: u64) -> Self {
        Page {
            items,
            page: request.page,
            per_page: request.per_page,
            total_items,
            total_pages: total_items.div_ceil(request.per_page),
        }
    }
}
