//! SeaORM entities for cinerank's tables. The schema itself is owned by the
//! `migration` crate; these types mirror it.

pub mod cart;
pub mod cart_item;
pub mod change_log;
pub mod dismissal;
pub mod genre;
pub mod model_snapshot;
pub mod movie;
pub mod movie_credit;
pub mod movie_genre;
pub mod order;
pub mod order_item;
pub mod person;
pub mod rating;
pub mod user;
pub mod user_genre;
pub mod watchlist_item;
