//! The change feed: how every instance learns what the others wrote.
//!
//! A write that changes something an instance may have cached records a
//! [`Change`] in `change_log` **inside its own transaction** ([`record`]),
//! then, after its commit, tells this instance's caches ([`Caches::committed`]).
//! Other instances hear of it through [`feed`]: on PostgreSQL a trigger turns
//! the row into a `NOTIFY` that is delivered only if the transaction commits;
//! on SQLite the server polls the table, which is how `cinerank import` or
//! `cinerank create-admin` in another process reach a running server. So a
//! change is published exactly when it is committed, and the caches' TTL
//! only bounds memory, not how stale an answer may be.

pub mod feed;

use std::fmt;
use std::sync::Arc;

use chrono::Utc;
use entity::change_log;
use sea_orm::{ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait};

use crate::services::accounts::AccountCache;
use crate::services::catalog::Catalog;
use crate::services::recommendations::Recommender;

/// Most movie ids in one `change_log` row: keeps a PostgreSQL `NOTIFY`
/// payload far below its 8000-byte limit.
const MOVIES_PER_ROW: usize = 500;

/// What a committed write changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// One account and everything of its user: ratings, lists, preferences,
    /// purchases, role, session version, deletion.
    User(i32),
    /// These movies: their fields, genres, credits, rating aggregates or stock.
    Movies(Vec<i32>),
    /// A bulk write (an import or enrichment run): anything may have changed.
    Everything,
    /// A worker published a new model snapshot.
    ModelPublished,
    /// Someone asked for the model to be retrained.
    RetrainRequested,
}

impl fmt::Display for Change {
    /// The row's text form, e.g. `user 12`, `movies 3,4`, `everything`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Change::User(id) => write!(f, "user {id}"),
            Change::Movies(ids) => {
                f.write_str("movies ")?;
                for (i, id) in ids.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{id}")?;
                }
                Ok(())
            }
            Change::Everything => f.write_str("everything"),
            Change::ModelPublished => f.write_str("model"),
            Change::RetrainRequested => f.write_str("retrain"),
        }
    }
}

impl Change {
    /// Parses [`Change`]'s text form; `None` for anything else (a newer
    /// instance's kind of change, say: the listener then flushes everything).
    pub fn parse(text: &str) -> Option<Change> {
        let (kind, rest) = text.split_once(' ').unwrap_or((text, ""));
        match kind {
            "user" => rest.parse().ok().map(Change::User),
            "movies" => rest
                .split(',')
                .map(str::parse)
                .collect::<Result<Vec<i32>, _>>()
                .ok()
                .map(Change::Movies),
            "everything" if rest.is_empty() => Some(Change::Everything),
            "model" if rest.is_empty() => Some(Change::ModelPublished),
            "retrain" if rest.is_empty() => Some(Change::RetrainRequested),
            _ => None,
        }
    }
}

/// Records `changes` in `change_log`. Call it inside the write's own
/// transaction, so the change is published exactly when the write commits.
pub async fn record(db: &impl ConnectionTrait, changes: &[Change]) -> Result<(), DbErr> {
    let now = Utc::now();
    let mut rows = Vec::new();
    for change in changes {
        match change {
            Change::Movies(ids) if ids.is_empty() => {}
            Change::Movies(ids) => rows.extend(
                ids.chunks(MOVIES_PER_ROW)
                    .map(|chunk| Change::Movies(chunk.to_vec()).to_string()),
            ),
            other => rows.push(other.to_string()),
        }
    }
    if rows.is_empty() {
        return Ok(());
    }
    change_log::Entity::insert_many(rows.into_iter().map(|change| change_log::ActiveModel {
        change: Set(change),
        created_at: Set(now),
        ..Default::default()
    }))
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Every cache of one instance, and what each kind of change drops from them.
pub struct Caches {
    catalog: Arc<Catalog>,
    recommender: Arc<Recommender>,
    accounts: Arc<AccountCache>,
}

impl Caches {
    /// The caches of the catalogue, the recommender and the accounts.
    pub fn new(
        catalog: Arc<Catalog>,
        recommender: Arc<Recommender>,
        accounts: Arc<AccountCache>,
    ) -> Self {
        Caches {
            catalog,
            recommender,
            accounts,
        }
    }

    /// The catalogue (services built on these caches read through it).
    pub fn catalog(&self) -> &Arc<Catalog> {
        &self.catalog
    }

    /// The recommendation service.
    pub fn recommender(&self) -> &Arc<Recommender> {
        &self.recommender
    }

    /// The account cache.
    pub fn accounts(&self) -> &Arc<AccountCache> {
        &self.accounts
    }

    /// Call after this instance committed a write that recorded `changes`:
    /// drops what they touched at once (read-your-writes on this instance)
    /// and counts user writes towards the next retrain.
    pub async fn committed(&self, changes: &[Change]) {
        for change in changes {
            if let Change::User(id) = change {
                self.recommender.user_changed(*id);
                self.accounts.forget(*id).await;
            } else {
                self.heard(change).await;
            }
        }
    }

    /// Applies a change heard from the feed (written by any instance, this
    /// one included: dropping an entry twice is harmless).
    pub async fn heard(&self, change: &Change) {
        match change {
            Change::User(id) => {
                self.recommender.forget_user(*id);
                self.accounts.forget(*id).await;
            }
            Change::Movies(ids) => self.catalog.movies_changed(ids.iter().copied()).await,
            Change::Everything => {
                self.flush();
                self.recommender.data_replaced();
            }
            Change::ModelPublished => self.recommender.published_model_announced(),
            Change::RetrainRequested => {
                self.recommender.request_training();
            }
        }
    }

    /// Drops every cached entry: after a missed notification (a dropped
    /// listening connection, pruned log rows) nothing cached can be trusted.
    pub fn flush(&self) {
        self.catalog.everything_changed();
        self.recommender.forget_all_lists();
        self.accounts.forget_all();
        // A model announced while we were not listening must be found too.
        self.recommender.published_model_announced();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_change_round_trips_through_its_text_form() {
        for change in [
            Change::User(12),
            Change::Movies(vec![3]),
            Change::Movies(vec![3, 4, 1_000_000]),
            Change::Everything,
            Change::ModelPublished,
            Change::RetrainRequested,
        ] {
            assert_eq!(Change::parse(&change.to_string()), Some(change.clone()));
        }
        assert_eq!(Change::Movies(vec![3, 4]).to_string(), "movies 3,4");
    }

    #[test]
    fn unknown_or_malformed_text_is_not_a_change() {
        for text in [
            "",
            "user",
            "user x",
            "movies",
            "movies 1,,2",
            "everything now",
            "schema 3",
        ] {
            assert_eq!(Change::parse(text), None, "{text:?}");
        }
    }
}
