//! Business rules over the database. Services take `&impl ConnectionTrait`
//! so the same function runs on the pool or inside a transaction.

pub mod catalog;
pub mod seed;

use serde::Serialize;
use utoipa::ToSchema;

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

impl Default for PageRequest {
    fn default() -> Self {
        PageRequest {
            page: 1,
            per_page: Self::DEFAULT_PER_PAGE,
        }
    }
}

/// One page of a list: the pagination shape of every list endpoint.
#[derive(Clone, Debug, Serialize, ToSchema)]
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
