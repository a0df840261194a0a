//! The API's JSON bodies, next to the handlers that read and write them:
//! each type derives its OpenAPI schema and converts from (responses) or
//! into (requests) the domain type of its service, so `services/` never
//! sees a wire format.

/// `impl From<$from> for $to` that moves every listed field across, each
/// through its own `From` (the identity for a field of the same type, the
/// view's conversion for a nested one such as `movie`). A view and its
/// domain type name their fields alike, so the field list is all the
/// conversion has to say; one with renamed or computed fields is written
/// out by hand.
macro_rules! from_fields {
    ($from:ty => $to:ty { $($field:ident),+ $(,)? }) => {
        impl From<$from> for $to {
            #[allow(clippy::useless_conversion, reason = "most fields keep their type")]
            fn from(v: $from) -> Self {
                Self {
                    $($field: v.$field.into()),+
                }
            }
        }
    };
}

pub mod accounts;
pub mod catalog;
pub mod imports;
pub mod lists;
pub mod ratings;
pub mod recommendations;
pub mod store;

use serde::Serialize;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::{PartialSchema, ToSchema};

use crate::recommender::Strategy;
use crate::services;
use crate::services::catalog::MovieSort;

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

impl<V> Page<V> {
    /// `page`'s totals around these (converted) items.
    fn with_items<D>(page: &services::Page<D>, items: Vec<V>) -> Self {
        Page {
            items,
            page: page.page,
            per_page: page.per_page,
            total_items: page.total_items,
            total_pages: page.total_pages,
        }
    }
}

impl<D, V: From<D>> From<services::Page<D>> for Page<V> {
    fn from(mut page: services::Page<D>) -> Self {
        let items = std::mem::take(&mut page.items);
        Page::with_items(&page, items.into_iter().map(Into::into).collect())
    }
}

impl<'a, D, V: From<&'a D>> From<&'a services::Page<D>> for Page<V> {
    fn from(page: &'a services::Page<D>) -> Self {
        Page::with_items(page, page.items.iter().map(Into::into).collect())
    }
}

/// The schema of an enum sent as one of a few strings.
fn string_enum(description: &str, values: impl IntoIterator<Item = &'static str>) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
        .enum_values(Some(values))
        .into()
}

/// The schema of an enum that lists its variants in `ALL` and sends each as
/// its `name()` (types outside `routes/`, which may not derive `ToSchema`).
macro_rules! named_enum_schema {
    ($ty:ident, $description:literal) => {
        impl PartialSchema for $ty {
            fn schema() -> RefOr<Schema> {
                string_enum($description, $ty::ALL.map($ty::name))
            }
        }

        impl ToSchema for $ty {}
    };
}

named_enum_schema!(MovieSort, "How a movie list is ordered.");
named_enum_schema!(Strategy, "Which source ranks a recommendation list.");
