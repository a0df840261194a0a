//! cinerank: a movie catalogue with accounts, ratings and personalised
//! recommendations, served over HTTP by actix-web on SQLite or PostgreSQL.
//!
//! Layers: `middleware` (logging, metrics, security headers, fallbacks) →
//! `routes` (HTTP: extract, call a service, map the result) → `services`
//! (business rules over SeaORM, each service owning its caches) →
//! `entity` / `migration`; `recommender` is pure Rust under `services`.
//! Every write records what it changed in the change feed
//! (`services::changes`), which keeps every instance's caches exact; the
//! `worker` trains and publishes models for serving instances to load.

pub mod auth;
pub mod cache;
pub mod cli;
pub mod config;
pub mod dataset;
pub mod db;
pub mod error;
pub mod logging;
pub mod metrics;
pub mod middleware;
pub mod openapi;
pub mod recommender;
pub mod routes;
pub mod services;
pub mod startup;
pub mod state;
pub mod synth;
pub mod worker;
