//! Reading the catalogue: the movie shapes, the validated list request
//! (filters and sorts) and the queries behind lists, details and genre
//! counts. Nothing here caches; [`super::Catalog`] does.

use std::collections::HashMap;

use entity::{movie, movie_genre};
use sea_orm::sea_query::{Expr, ExprTrait, NullOrdering, Order, Query, SimpleExpr};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, FromQueryResult, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Select,
};

use super::GenreCatalog;
use super::search::{FUZZY_CANDIDATES, SearchQuery, TitleMatch, match_title};
use crate::services::{Page, PageRequest};

/// A catalogue movie: its row (with the rating aggregates) and its genre
/// names. Lists and the details page show different cuts of it; those
/// views belong to the web layer (`routes::views::catalog`).
#[derive(Clone, Debug)]
pub struct Movie {
    /// The `movies` row.
    pub row: movie::Model,
    /// Genre names, alphabetical.
    pub genres: Vec<String>,
}

impl Movie {
    /// Movie id.
    pub fn id(&self) -> i32 {
        self.row.id
    }

    /// Mean rating rounded for display; `None` when unrated.
    pub fn avg_rating(&self) -> Option<f64> {
        display_average(&self.row)
    }
}

/// A genre with the number of movies in it.
#[derive(Clone, Debug)]
pub struct GenreCount {
    /// Genre id.
    pub id: i32,
    /// Genre name.
    pub name: String,
    /// Movies having this genre.
    pub movie_count: i64,
}

/// How a movie list is ordered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MovieSort {
    /// Most rated first (default).
    #[default]
    Popularity,
    /// Highest mean rating first.
    Rating,
    /// Most recent release first.
    Year,
    /// Alphabetical.
    Title,
    /// Most recently added first.
    Newest,
    /// Best title match first, then most rated: a search (`q`) without an
    /// explicit `sort`. Not a `sort` value.
    Relevance,
}

impl MovieSort {
    /// Every sort, the default first.
    pub const ALL: [MovieSort; 5] = [
        MovieSort::Popularity,
        MovieSort::Rating,
        MovieSort::Year,
        MovieSort::Title,
        MovieSort::Newest,
    ];

    /// The name `sort` takes.
    pub fn name(self) -> &'static str {
        match self {
            MovieSort::Popularity => "popularity",
            MovieSort::Rating => "rating",
            MovieSort::Year => "year",
            MovieSort::Title => "title",
            MovieSort::Newest => "newest",
            MovieSort::Relevance => "relevance",
        }
    }

    /// Parses the `sort` query value.
    pub fn parse(raw: &str) -> Option<Self> {
        MovieSort::ALL.into_iter().find(|sort| sort.name() == raw)
    }

    /// The natural direction: alphabetical ascends, the rest descend.
    pub fn default_descending(self) -> bool {
        self != MovieSort::Title
    }
}

/// A validated movie-list request.
#[derive(Clone, Debug, Default)]
pub struct MovieFilter {
    /// Title search: a movie matches when its title holds the query, every
    /// word of it, or every word with at most one typo in words of five
    /// letters or more (see [`super::search`]).
    pub q: Option<String>,
    /// Genre ids the movie must all have.
    pub genre_ids: Vec<i32>,
    /// Earliest release year.
    pub year_from: Option<i32>,
    /// Latest release year.
    pub year_to: Option<i32>,
    /// Minimum mean rating.
    pub min_rating: Option<f64>,
    /// Minimum number of ratings.
    pub min_votes: Option<i32>,
    /// Sort key.
    pub sort: MovieSort,
    /// Descending order?
    pub descending: bool,
}

/// The normalised form of a title used for search and sorting.
pub fn title_search_key(title: &str) -> String {
    title.trim().to_lowercase()
}

/// Rounds a mean rating for display; `None` when unrated.
pub fn display_average(row: &movie::Model) -> Option<f64> {
    (row.rating_count > 0).then(|| (row.avg_rating * 100.0).round() / 100.0)
}

fn filtered(filter: &MovieFilter) -> Select<movie::Entity> {
    let mut select = movie::Entity::find();
    // EXISTS (not IN): the planner can then walk the sort index and probe
    // movie_genres per movie, stopping after a page instead of sorting the genre.
    for &genre_id in &filter.genre_ids {
        select = select.filter(Expr::exists(
            Query::select()
                .expr(Expr::val(1))
                .from(movie_genre::Entity)
                .and_where(
                    Expr::col((movie_genre::Entity, movie_genre::Column::MovieId))
                        .equals((movie::Entity, movie::Column::Id)),
                )
                .and_where(
                    Expr::col((movie_genre::Entity, movie_genre::Column::GenreId)).eq(genre_id),
                )
                .to_owned(),
        ));
    }
    if let Some(year) = filter.year_from {
        select = select.filter(movie::Column::Year.gte(year));
    }
    if let Some(year) = filter.year_to {
        select = select.filter(movie::Column::Year.lte(year));
    }
    if let Some(min) = filter.min_rating {
        select = select
            .filter(movie::Column::AvgRating.gte(min))
            .filter(movie::Column::RatingCount.gt(0));
    }
    if let Some(min) = filter.min_votes {
        select = select.filter(movie::Column::RatingCount.gte(min));
    }
    select
}

fn ordered(
    select: Select<movie::Entity>,
    sort: MovieSort,
    descending: bool,
) -> Select<movie::Entity> {
    let direction = || if descending { Order::Desc } else { Order::Asc };
    let select = match sort {
        MovieSort::Popularity | MovieSort::Relevance => select
            .order_by(movie::Column::RatingCount, direction())
            .order_by(movie::Column::AvgRating, direction()),
        MovieSort::Rating => select
            .order_by(movie::Column::AvgRating, direction())
            .order_by(movie::Column::RatingCount, direction()),
        MovieSort::Year => select
            .order_by_with_nulls(movie::Column::Year, direction(), NullOrdering::Last)
            .order_by(movie::Column::TitleSearch, Order::Asc),
        MovieSort::Title => select.order_by(movie::Column::TitleSearch, direction()),
        MovieSort::Newest => select.order_by(movie::Column::CreatedAt, direction()),
    };
    // The id makes every order total, so pages never overlap or skip.
    select.order_by(movie::Column::Id, direction())
}

/// Genre names of each movie, alphabetical.
pub async fn genres_of(
    db: &impl ConnectionTrait,
    genres: &GenreCatalog,
    movie_ids: &[i32],
) -> Result<HashMap<i32, Vec<String>>, DbErr> {
    let mut out: HashMap<i32, Vec<String>> = HashMap::new();
    if movie_ids.is_empty() {
        return Ok(out);
    }
    let links = movie_genre::Entity::find()
        .filter(movie_genre::Column::MovieId.is_in(movie_ids.iter().copied()))
        .all(db)
        .await?;
    for link in links {
        if let Some(name) = genres.name(link.genre_id) {
            out.entry(link.movie_id).or_default().push(name.to_owned());
        }
    }
    for names in out.values_mut() {
        names.sort();
    }
    Ok(out)
}

/// The given movie rows with their genres, in the same order.
pub async fn with_genres(
    db: &impl ConnectionTrait,
    genres: &GenreCatalog,
    rows: Vec<movie::Model>,
) -> Result<Vec<Movie>, DbErr> {
    let ids: Vec<i32> = rows.iter().map(|m| m.id).collect();
    let mut genre_map = genres_of(db, genres, &ids).await?;
    Ok(rows
        .into_iter()
        .map(|row| Movie {
            genres: genre_map.remove(&row.id).unwrap_or_default(),
            row,
        })
        .collect())
}

/// One page of movies matching `filter`.
pub async fn list_movies(
    db: &impl ConnectionTrait,
    genres: &GenreCatalog,
    filter: &MovieFilter,
    page: PageRequest,
) -> Result<Page<Movie>, DbErr> {
    if let Some(q) = &filter.q {
        return search_movies(db, genres, filter, q, page).await;
    }
    let select = filtered(filter);
    let total = select.clone().count(db).await?;
    let rows = if page.offset() >= total {
        Vec::new()
    } else {
        ordered(select, filter.sort, filter.descending)
            .limit(page.per_page)
            .offset(page.offset())
            .all(db)
            .await?
    };
    Ok(Page::new(with_genres(db, genres, rows).await?, page, total))
}

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

/// The movies whose keys may match `query`, from the database's own
/// trigram index (the matching itself is [`match_title`]'s).
fn candidate_condition(backend: DbBackend, query: &SearchQuery) -> SimpleExpr {
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
                "movies.id IN (SELECT rowid FROM movie_search WHERE movie_search MATCH ?)",
                [terms],
            )
        }
        // Keys are letters and digits only, so nothing needs escaping. On
        // PostgreSQL the GiST trigram index serves these; on SQLite a query
        // under three letters has no trigram and is a scan.
        _ => Expr::col((movie::Entity, movie::Column::SearchKey))
            .like(format!("%{compact}%"))
            .or(Expr::col((movie::Entity, movie::Column::SearchKey)).like(format!("%{longest}%"))),
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
                        "movies.id IN (SELECT rowid FROM movie_search WHERE movie_search MATCH ? \
                         ORDER BY rank LIMIT {FUZZY_CANDIDATES})"
                    ),
                    [terms.join(" OR ")],
                )
            }
            _ => Expr::cust_with_values(
                format!(
                    "movies.id IN (SELECT m.id FROM movies m \
                     ORDER BY $1 <<-> m.search_key LIMIT {FUZZY_CANDIDATES})"
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
async fn search_movies(
    db: &impl ConnectionTrait,
    genres: &GenreCatalog,
    filter: &MovieFilter,
    q: &str,
    page: PageRequest,
) -> Result<Page<Movie>, DbErr> {
    let Some(query) = SearchQuery::parse(q) else {
        return Ok(Page::new(Vec::new(), page, 0));
    };
    let candidates = filtered(filter)
        .filter(candidate_condition(db.get_database_backend(), &query))
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
        .await?;
    let mut hits: Vec<(TitleMatch, Candidate)> = candidates
        .into_iter()
        .filter_map(|c| match_title(&query, &c.title_search, &c.search_key).map(|m| (m, c)))
        .collect();
    rank(&mut hits, filter.sort, filter.descending);
    let total = hits.len() as u64;
    let ids: Vec<i32> = hits
        .iter()
        .skip(usize::try_from(page.offset()).unwrap_or(usize::MAX))
        .take(usize::try_from(page.per_page).unwrap_or(usize::MAX))
        .map(|(_, c)| c.id)
        .collect();
    let mut found: HashMap<i32, Movie> = find_movies(db, genres, &ids)
        .await?
        .into_iter()
        .map(|m| (m.id(), m))
        .collect();
    let items = ids.iter().filter_map(|id| found.remove(id)).collect();
    Ok(Page::new(items, page, total))
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

/// A movie's details, straight from the database.
pub async fn find_movie(
    db: &impl ConnectionTrait,
    genres: &GenreCatalog,
    id: i32,
) -> Result<Option<Movie>, DbErr> {
    Ok(find_movies(db, genres, &[id]).await?.pop())
}

/// Details of the movies with these ids (missing ones are skipped).
pub async fn find_movies(
    db: &impl ConnectionTrait,
    genres: &GenreCatalog,
    ids: &[i32],
) -> Result<Vec<Movie>, DbErr> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = movie::Entity::find()
        .filter(movie::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?;
    with_genres(db, genres, rows).await
}

#[derive(FromQueryResult)]
struct GenreCountRow {
    genre_id: i32,
    movie_count: i64,
}

/// Every genre with its movie count, in vocabulary order.
pub async fn list_genres(
    db: &impl ConnectionTrait,
    genres: &GenreCatalog,
) -> Result<Vec<GenreCount>, DbErr> {
    let counts: HashMap<i32, i64> = movie_genre::Entity::find()
        .select_only()
        .column(movie_genre::Column::GenreId)
        .column_as(movie_genre::Column::MovieId.count(), "movie_count")
        .group_by(movie_genre::Column::GenreId)
        .into_model::<GenreCountRow>()
        .all(db)
        .await?
        .into_iter()
        .map(|row| (row.genre_id, row.movie_count))
        .collect();
    Ok(genres
        .all()
        .iter()
        .map(|(id, name)| GenreCount {
            id: *id,
            name: name.clone(),
            movie_count: counts.get(id).copied().unwrap_or(0),
        })
        .collect())
}
