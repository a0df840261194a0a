//! The database half of search (see [`super::search`] for the matcher):
//! candidates from each database's own trigram index, then matched, ranked
//! and paged here, for movies (by title, or by a person in their credits)
//! and for people (by name).

use entity::{movie, movie_credit, person};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query, SimpleExpr};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, FromQueryResult, QueryFilter,
    QuerySelect,
};

use super::GenreCatalog;
use super::query::{Movie, MovieFilter, MovieSort, filtered, movies_in_order};
use super::search::{FUZZY_CANDIDATES, SearchQuery, TitleMatch, match_title};
use crate::services::{Page, PageRequest};

/// People whose names match a search at most, for finding their movies.
const MATCHED_PEOPLE: u64 = 20;

/// A table with a `search_key` column and its SQLite FTS5 index.
#[derive(Clone, Copy)]
struct SearchIndex {
    table: &'static str,
    fts: &'static str,
}

const MOVIES: SearchIndex = SearchIndex {
    table: "movies",
    fts: "movie_search",
};
const PEOPLE: SearchIndex = SearchIndex {
    table: "people",
    fts: "people_search",
};

/// What ranking a search needs to know of each candidate movie.
#[derive(FromQueryResult)]
struct Candidate {
    id: i32,
    search_key: String,
    title_search: String,
    year: Option<i32>,
    rating_count: i32,
    avg_rating: f64,
    created_at: chrono::DateTime<chrono::Utc>,
}

/// The rows of `index.table` whose keys may match `query`, from the
/// database's own trigram index (the matching itself is [`match_title`]'s).
fn candidate_condition(backend: DbBackend, index: SearchIndex, query: &SearchQuery) -> SimpleExpr {
    let SearchIndex { table, fts } = index;
    let key = || Expr::col((Alias::new(table), Alias::new("search_key")));
    let compact = &query.compact;
    let longest = query.longest_word();
    let mut condition = match backend {
        DbBackend::Sqlite if compact.chars().count() >= 3 => {
            // FTS5 trigram: a quoted string matches as a substring.
            let mut terms = format!("\"{compact}\"");
            if longest != compact && longest.chars().count() >= 3 {
                terms.push_str(&format!(" OR \"{longest}\""));
            }
            Expr::cust_with_values(
                format!("{table}.id IN (SELECT rowid FROM {fts} WHERE {fts} MATCH ?)"),
                [terms],
            )
        }
        // Keys are letters and digits only, so nothing needs escaping. On
        // PostgreSQL the GiST trigram index serves these; on SQLite a query
        // under three letters has no trigram and is a scan.
        _ => key()
            .like(format!("%{compact}%"))
            .or(key().like(format!("%{longest}%"))),
    };
    if query.allows_typos() {
        let fuzzy = match backend {
            DbBackend::Sqlite => {
                let terms: Vec<String> = query
                    .trigrams()
                    .iter()
                    .map(|t| format!("\"{t}\""))
                    .collect();
                Expr::cust_with_values(
                    format!(
                        "{table}.id IN (SELECT rowid FROM {fts} WHERE {fts} MATCH ? \
                         ORDER BY rank LIMIT {FUZZY_CANDIDATES})"
                    ),
                    [terms.join(" OR ")],
                )
            }
            _ => Expr::cust_with_values(
                format!(
                    "{table}.id IN (SELECT t.id FROM {table} t \
                     ORDER BY $1 <<-> t.search_key LIMIT {FUZZY_CANDIDATES})"
                ),
                [compact.clone()],
            ),
        };
        condition = condition.or(fuzzy);
    }
    condition
}

/// A page of the movies matching the search `q` and the other filters,
/// by relevance unless the filter asks for another order.
pub(super) async fn search_movies(
    db: &impl ConnectionTrait,
    genres: &GenreCatalog,
    filter: &MovieFilter,
    q: &str,
    page: PageRequest,
) -> Result<Page<Movie>, DbErr> {
    let Some(query) = SearchQuery::parse(q) else {
        return Ok(Page::new(Vec::new(), page, 0));
    };
    let people: Vec<i32> = matching_people(db, &query, MATCHED_PEOPLE)
        .await?
        .into_iter()
        .map(|(_, p)| p.id)
        .collect();
    let hits = ranked_movies(db, filter, &query, &people).await?;
    let total = hits.len() as u64;
    let ids = hits
        .iter()
        .skip(usize::try_from(page.offset()).unwrap_or(usize::MAX))
        .take(usize::try_from(page.per_page).unwrap_or(usize::MAX))
        .map(|(_, c)| c.id);
    let items = movies_in_order(db, genres, ids)
        .await?
        .into_iter()
        .flatten()
        .collect();
    Ok(Page::new(items, page, total))
}

/// Every movie matching `query` by title, or crediting one of `people`, and
/// the filter's other conditions, in the filter's order (by relevance for
/// [`MovieSort::Relevance`]).
async fn ranked_movies(
    db: &impl ConnectionTrait,
    filter: &MovieFilter,
    query: &SearchQuery,
    people: &[i32],
) -> Result<Vec<(TitleMatch, Candidate)>, DbErr> {
    let backend = db.get_database_backend();
    let by_title = filtered(filter).filter(candidate_condition(backend, MOVIES, query));
    let mut hits: Vec<(TitleMatch, Candidate)> = candidates(by_title, db)
        .await?
        .into_iter()
        .filter_map(|c| match_title(query, &c.title_search, &c.search_key).map(|m| (m, c)))
        .collect();
    // Then the films of the people the query names.
    if !people.is_empty() {
        let by_person = filtered(filter).filter(
            movie::Column::Id.in_subquery(
                Query::select()
                    .column(movie_credit::Column::MovieId)
                    .from(movie_credit::Entity)
                    .and_where(movie_credit::Column::PersonId.is_in(people.iter().copied()))
                    .to_owned(),
            ),
        );
        let seen: std::collections::HashSet<i32> = hits.iter().map(|(_, c)| c.id).collect();
        hits.extend(
            candidates(by_person, db)
                .await?
                .into_iter()
                .filter(|c| !seen.contains(&c.id))
                .map(|c| (TitleMatch::ByPerson, c)),
        );
    }
    rank(&mut hits, filter.sort, filter.descending);
    Ok(hits)
}

/// The ranking columns of the movies `select` finds.
async fn candidates(
    select: sea_orm::Select<movie::Entity>,
    db: &impl ConnectionTrait,
) -> Result<Vec<Candidate>, DbErr> {
    select
        .select_only()
        .columns([
            movie::Column::Id,
            movie::Column::SearchKey,
            movie::Column::TitleSearch,
            movie::Column::Year,
            movie::Column::RatingCount,
            movie::Column::AvgRating,
            movie::Column::CreatedAt,
        ])
        .into_model::<Candidate>()
        .all(db)
        .await
}

/// People whose names match `query`, best first, at most `limit`. A match
/// inside a word ("ron" in "Aaron") does not count.
pub(super) async fn matching_people(
    db: &impl ConnectionTrait,
    query: &SearchQuery,
    limit: u64,
) -> Result<Vec<(TitleMatch, person::Model)>, DbErr> {
    let backend = db.get_database_backend();
    let mut hits: Vec<(TitleMatch, person::Model)> = person::Entity::find()
        .filter(candidate_condition(backend, PEOPLE, query))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|p| match match_title(query, &p.name, &p.search_key) {
            Some(TitleMatch::Contains) | None => None,
            Some(found) => Some((found, p)),
        })
        .collect();
    hits.sort_by(|(ma, a), (mb, b)| {
        mb.cmp(ma)
            .then(a.name.len().cmp(&b.name.len()))
            .then(a.id.cmp(&b.id))
    });
    hits.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    Ok(hits)
}

/// The best movie and person matches of `q` together, best first: a
/// type-ahead list. Movies go before people of the same match.
pub(super) async fn suggestions(
    db: &impl ConnectionTrait,
    genres: &GenreCatalog,
    q: &str,
    limit: u64,
) -> Result<Vec<Suggestion>, DbErr> {
    let Some(query) = SearchQuery::parse(q) else {
        return Ok(Vec::new());
    };
    let filter = MovieFilter {
        sort: MovieSort::Relevance,
        descending: true,
        ..MovieFilter::default()
    };
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    // Title matches only: the people themselves are suggested.
    let movies = ranked_movies(db, &filter, &query, &[]).await?;
    let people = matching_people(db, &query, limit as u64).await?;
    let mut merged: Vec<Ranked> = movies
        .iter()
        .take(limit)
        .enumerate()
        .map(|(rank, (found, c))| Ranked {
            found: *found,
            rank,
            what: Found::Movie(c.id),
        })
        .chain(
            people
                .into_iter()
                .enumerate()
                .map(|(rank, (found, p))| Ranked {
                    found,
                    rank,
                    what: Found::Person(Box::new(p)),
                }),
        )
        .collect();
    // Best match first; a movie before a person of the same match; each
    // kind keeps its own order.
    merged.sort_by(|a, b| {
        (b.found.cmp(&a.found))
            .then(a.what.is_person().cmp(&b.what.is_person()))
            .then(a.rank.cmp(&b.rank))
    });
    merged.truncate(limit);
    let movie_ids = merged.iter().filter_map(|r| match r.what {
        Found::Movie(id) => Some(id),
        Found::Person(_) => None,
    });
    let mut movies = movies_in_order(db, genres, movie_ids).await?.into_iter();
    Ok(merged
        .into_iter()
        .filter_map(|r| match r.what {
            Found::Movie(_) => movies
                .next()
                .flatten()
                .map(|m| Suggestion::Movie(Box::new(m))),
            Found::Person(p) => Some(Suggestion::Person(p)),
        })
        .collect())
}

/// A suggestion before its movie is loaded.
enum Found {
    Movie(i32),
    Person(Box<person::Model>),
}

impl Found {
    fn is_person(&self) -> bool {
        matches!(self, Found::Person(_))
    }
}

/// A suggestion with how well it matched and its rank within its kind.
struct Ranked {
    found: TitleMatch,
    rank: usize,
    what: Found,
}

/// One type-ahead suggestion.
#[derive(Clone, Debug)]
pub enum Suggestion {
    /// A movie whose title matches.
    Movie(Box<Movie>),
    /// A person whose name matches.
    Person(Box<person::Model>),
}

/// Orders search hits as [`ordered`] orders a list, with relevance (the
/// match, then the rating count) for [`MovieSort::Relevance`].
fn rank(hits: &mut [(TitleMatch, Candidate)], sort: MovieSort, descending: bool) {
    use std::cmp::Ordering;
    let directed = |order: Ordering| if descending { order.reverse() } else { order };
    let popularity = |a: &Candidate, b: &Candidate| {
        (a.rating_count.cmp(&b.rating_count)).then(a.avg_rating.total_cmp(&b.avg_rating))
    };
    hits.sort_by(|(match_a, a), (match_b, b)| {
        let order = match sort {
            MovieSort::Relevance => directed(match_a.cmp(match_b).then_with(|| popularity(a, b))),
            MovieSort::Popularity => directed(popularity(a, b)),
            MovieSort::Rating => directed(
                (a.avg_rating.total_cmp(&b.avg_rating)).then(a.rating_count.cmp(&b.rating_count)),
            ),
            // Unknown years last in both directions, then by title, as in SQL.
            MovieSort::Year => match (a.year, b.year) {
                (Some(x), Some(y)) => directed(x.cmp(&y)),
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (None, None) => Ordering::Equal,
            }
            .then_with(|| a.title_search.cmp(&b.title_search)),
            MovieSort::Title => directed(a.title_search.cmp(&b.title_search)),
            MovieSort::Newest => directed(a.created_at.cmp(&b.created_at)),
        };
        order.then_with(|| directed(a.id.cmp(&b.id)))
    });
}
