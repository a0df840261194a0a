//! The catalogue side of an import: movies added or updated (matched by
//! MovieLens id), their genres, links that must stay unique, and the rating
//! aggregates counted while streaming.

use std::collections::HashMap;
use std::path::Path;

use chrono::Utc;
use entity::{movie, movie_genre};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait,
    DatabaseTransaction, DbErr, EntityTrait, QueryFilter, QuerySelect,
};

use super::{ImportError, ImportReport, Source, WriteContext};
use crate::dataset::{LinkClaims, MovieRecord, Quirks};
use crate::services::catalog::{GenreCatalog, set_movie_genres, title_search_key, unrated_movie};
use migration::search_key;

/// Who holds a TMDB or IMDb id once the import is done.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Holder {
    /// A catalogue movie (by cinerank id).
    Stored(i32),
    /// A movie this import adds (by the file's movieId).
    New(i32),
}

/// Links are unique in the catalogue, which may already hold a release's
/// id on a movie the release does not touch (an admin-created one, or an
/// older release's movie whose link moved). Such a link stays where it is;
/// the incoming movie goes without it and the case is reported.
async fn resolve_link_conflicts(
    txn: &DatabaseTransaction,
    records: &mut [MovieRecord],
    existing: &HashMap<i32, movie::Model>,
    path: &Path,
    quirks: &mut Quirks,
) -> Result<(), ImportError> {
    let linked: Vec<(i32, Option<i32>, Option<String>)> = movie::Entity::find()
        .select_only()
        .column(movie::Column::Id)
        .column(movie::Column::TmdbId)
        .column(movie::Column::ImdbId)
        .filter(
            Condition::any()
                .add(movie::Column::TmdbId.is_not_null())
                .add(movie::Column::ImdbId.is_not_null()),
        )
        .into_tuple()
        .all(txn)
        .await
        .writing(|| "the catalogue's links (read)".to_owned())?;
    let mut claims = LinkClaims::default();
    for (id, t, i) in linked {
        claims.hold(Holder::Stored(id), t, i.as_deref());
    }
    // Movies of this release that change a link give up their old one first.
    let mut released = Vec::new();
    for record in records.iter() {
        let Some(old) = existing.get(&record.source_id) else {
            continue;
        };
        let moves_tmdb = record.tmdb_id.is_some() && old.tmdb_id != record.tmdb_id;
        let moves_imdb = record.imdb_id.is_some() && old.imdb_id != record.imdb_id;
        claims.release(
            old.tmdb_id.filter(|_| moves_tmdb),
            old.imdb_id.as_deref().filter(|_| moves_imdb),
        );
        if moves_tmdb || moves_imdb {
            released.push((old.id, moves_tmdb, moves_imdb));
        }
    }
    let mut order: Vec<usize> = (0..records.len()).collect();
    order.sort_by_key(|&i| records[i].source_id);
    for i in order {
        let record = &mut records[i];
        let me = match existing.get(&record.source_id) {
            Some(old) => Holder::Stored(old.id),
            None => Holder::New(record.source_id),
        };
        let line = record.line;
        claims.claim(me, record, path, line, quirks);
    }
    // Clear moving links before any row takes them, so no statement sees
    // an id on two rows (a swap between two movies included).
    for (id, clear_tmdb, clear_imdb) in released {
        let mut active = movie::ActiveModel {
            id: Set(id),
            ..Default::default()
        };
        if clear_tmdb {
            active.tmdb_id = Set(None);
        }
        if clear_imdb {
            active.imdb_id = Set(None);
        }
        active
            .update(txn)
            .await
            .writing(|| format!("the links of catalogue movie {id}"))?;
    }
    Ok(())
}

impl std::fmt::Display for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Holder::Stored(id) => write!(f, "catalogue movie {id}"),
            Holder::New(source) => write!(f, "movieId {source}"),
        }
    }
}

/// Adds and updates movies; returns the file's movieId → cinerank id for
/// every movie of the release. MovieLens movies are matched by MovieLens id;
/// the seed's are all new (seeding needs an empty catalogue).
pub(super) async fn write_movies(
    txn: &DatabaseTransaction,
    genres: &GenreCatalog,
    records: &mut [MovieRecord],
    source: Source,
    report: &mut ImportReport,
    quirks: &mut Quirks,
    path: &Path,
) -> Result<HashMap<i32, i32>, ImportError> {
    let now = Utc::now();
    let existing: HashMap<i32, movie::Model> = if source == Source::MovieLens {
        movie::Entity::find()
            .filter(movie::Column::MovielensId.is_not_null())
            .all(txn)
            .await
            .writing(|| "the catalogue (read)".to_owned())?
            .into_iter()
            .filter_map(|m| Some((m.movielens_id?, m)))
            .collect()
    } else {
        HashMap::new()
    };
    resolve_link_conflicts(txn, records, &existing, path, quirks).await?;
    let mut genre_links: HashMap<i32, Vec<i32>> = HashMap::new();
    if !existing.is_empty() {
        for link in movie_genre::Entity::find()
            .all(txn)
            .await
            .writing(|| "the catalogue's genres (read)".to_owned())?
        {
            genre_links
                .entry(link.movie_id)
                .or_default()
                .push(link.genre_id);
        }
    }
    let genre_ids_of = |m: &MovieRecord| {
        let mut ids: Vec<i32> = m.genres.iter().filter_map(|g| genres.resolve(g)).collect();
        ids.sort_unstable();
        ids
    };
    let at = |m: &MovieRecord| format!("{}:{} movieId {}", path.display(), m.line, m.source_id);

    let mut movie_ids: HashMap<i32, i32> = HashMap::with_capacity(records.len());
    let mut new_movies = Vec::new();
    for m in records.iter() {
        let Some(old) = existing.get(&m.source_id) else {
            new_movies.push(m);
            continue;
        };
        let genre_ids = genre_ids_of(m);
        let mut current = genre_links.get(&old.id).cloned().unwrap_or_default();
        current.sort_unstable();
        let changed_fields = old.title != m.title
            || old.year != m.year
            || (m.imdb_id.is_some() && old.imdb_id != m.imdb_id)
            || (m.tmdb_id.is_some() && old.tmdb_id != m.tmdb_id);
        if changed_fields {
            let mut active: movie::ActiveModel = old.clone().into();
            active.title = Set(m.title.clone());
            active.title_search = Set(title_search_key(&m.title));
            active.search_key = Set(search_key(&m.title));
            active.year = Set(m.year);
            if m.imdb_id.is_some() {
                active.imdb_id = Set(m.imdb_id.clone());
            }
            if m.tmdb_id.is_some() {
                active.tmdb_id = Set(m.tmdb_id);
            }
            active.updated_at = Set(now);
            active.update(txn).await.writing(|| at(m))?;
        }
        if current != genre_ids {
            set_movie_genres(txn, old.id, &genre_ids)
                .await
                .writing(|| at(m))?;
        }
        if changed_fields || current != genre_ids {
            report.movies_updated += 1;
        }
        movie_ids.insert(m.source_id, old.id);
    }

    let new_row = |m: &MovieRecord| movie::ActiveModel {
        title: Set(m.title.clone()),
        title_search: Set(title_search_key(&m.title)),
        search_key: Set(search_key(&m.title)),
        year: Set(m.year),
        overview: Set(m.overview.clone()),
        poster_url: Set(m.poster_url.clone()),
        imdb_id: Set(m.imdb_id.clone()),
        tmdb_id: Set(m.tmdb_id),
        movielens_id: Set((source == Source::MovieLens).then_some(m.source_id)),
        price: Set(m.price),
        stock: Set(m.stock),
        ..unrated_movie(now)
    };
    // New movies in batches: one insert, one id lookup and one genre insert
    // per batch instead of three statements per movie.
    for batch in new_movies.chunks(500) {
        let (first, last) = (batch[0], batch[batch.len() - 1]);
        let context = || {
            format!(
                "{}:{}-{} (movieIds {}–{})",
                path.display(),
                first.line,
                last.line,
                first.source_id,
                last.source_id
            )
        };
        let ids = insert_batch(txn, batch, source, &new_row)
            .await
            .writing(context)?;
        let mut links = Vec::new();
        for (m, id) in batch.iter().zip(ids) {
            let Some(id) = id else { continue };
            movie_ids.insert(m.source_id, id);
            links.extend(
                genre_ids_of(m)
                    .into_iter()
                    .map(|genre_id| movie_genre::ActiveModel {
                        movie_id: Set(id),
                        genre_id: Set(genre_id),
                    }),
            );
        }
        if !links.is_empty() {
            movie_genre::Entity::insert_many(links)
                .exec_without_returning(txn)
                .await
                .writing(context)?;
        }
        report.movies_added += batch.len() as u64;
    }
    Ok(movie_ids)
}

/// Inserts a batch of new movies and returns their cinerank ids in batch
/// order: looked up by MovieLens id, or — the seed's movies have none —
/// inserted one by one (a few thousand, once).
async fn insert_batch(
    txn: &DatabaseTransaction,
    batch: &[&MovieRecord],
    source: Source,
    new_row: &impl Fn(&MovieRecord) -> movie::ActiveModel,
) -> Result<Vec<Option<i32>>, DbErr> {
    if source == Source::Seed {
        let mut ids = Vec::with_capacity(batch.len());
        for m in batch {
            ids.push(Some(
                movie::Entity::insert(new_row(m))
                    .exec(txn)
                    .await?
                    .last_insert_id,
            ));
        }
        return Ok(ids);
    }
    movie::Entity::insert_many(batch.iter().map(|m| new_row(m)))
        .exec_without_returning(txn)
        .await?;
    let found: HashMap<i32, i32> = movie::Entity::find()
        .select_only()
        .column(movie::Column::Id)
        .column(movie::Column::MovielensId)
        .filter(movie::Column::MovielensId.is_in(batch.iter().map(|m| m.source_id)))
        .into_tuple::<(i32, Option<i32>)>()
        .all(txn)
        .await?
        .into_iter()
        .filter_map(|(id, ml)| Some((ml?, id)))
        .collect();
    Ok(batch
        .iter()
        .map(|m| found.get(&m.source_id).copied())
        .collect())
}

/// Writes the aggregates counted while streaming into an empty ratings
/// table: every imported movie gets its count, sum and mean.
pub(super) async fn write_tallied_aggregates(
    txn: &impl ConnectionTrait,
    tallies: &HashMap<i32, (i64, i64)>,
) -> Result<(), DbErr> {
    use std::fmt::Write;
    let rows: Vec<(i32, i64, i64)> = tallies.iter().map(|(&id, &(c, s))| (id, c, s)).collect();
    for batch in rows.chunks(5_000) {
        // Integers only, all computed here: safe to inline.
        let mut values = String::with_capacity(batch.len() * 24);
        for (i, (id, count, sum)) in batch.iter().enumerate() {
            let _ = write!(
                values,
                "{}({id}, {count}, {sum})",
                if i == 0 { "" } else { ", " }
            );
        }
        txn.execute_unprepared(&format!(
            "UPDATE movies SET rating_count = a.column2, rating_sum = a.column3, \
               avg_rating = a.column3 * 1.0 / (a.column2 * 2.0) \
             FROM (VALUES {values}) AS a WHERE movies.id = a.column1"
        ))
        .await?;
    }
    Ok(())
}
