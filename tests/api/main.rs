#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failing test should panic with its message"
)]

//! Black-box tests: each spawns the real application on port 0 with its own
//! database (SQLite by default; PostgreSQL when TEST_DATABASE_URL is set) and
//! drives it over HTTP.

mod accounts;
mod admin;
mod catalogue;
mod cli;
mod content_recommendations;
mod credits;
mod demo;
mod deploy;
mod enrich;
mod errors;
mod hardening;
mod helpers;
mod import;
mod learn;
mod operations;
mod ratings;
mod recommendations;
mod scale_out;
mod search;
mod security;
mod seed_data;
mod session;
mod similar;
mod store;
mod web;
