//! Reading the catalogue: the movie shapes, the validated list request
//! (filters and sorts) and the queries behind lists, details and genre
//! counts. Nothing here caches; [`super::Catalog`] does.

use std::collections::HashMap;

use entity::{movie, movie_credit, movie_genre};
use sea_orm::sea_query::{Expr, ExprTrait, NullOrdering, Order, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, Select};

use super::GenreCatalog;
use super::credits::{Credit, credits_of};
use super::search_db;
use crate::services::{Page, PageRequest, counts_by, page_of};

/// A catalogue movie: its row (with the rating aggregates) and its genre
/// names. Lists and the details page show different cuts of it; those
/// views belong to the web layer (`routes::views::catalog`).
#[derive(Clone, Debug)]
pub struct Movie {
    /// The `movies` row.
    pub row: movie::Model,
    /// Genre names, alphabetical.
    pub genres: Vec<String>,
    /// Directors then cast, in billing order. Loaded with a movie's details
    /// ([`find_movies`]); list pages leave it empty.
    pub credits: Vec<Credit>,
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
    /// A person the movie must credit (any role).
    pub person_id: Option<i32>,
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

/// `EXISTS (SELECT 1 FROM link WHERE link.movie_id = movies.id AND
/// link.column = value)`: the movie is linked to `value` (a genre, a
/// person) through the link table both columns belong to.
fn linked<C: ColumnTrait>(movie_id: C, column: C, value: i32) -> Expr {
    let link = C::EntityName::default;
    Expr::exists(
        Query::select()
            .expr(Expr::val(1))
            .from(link())
            .and_where(Expr::col((link(), movie_id)).equals((movie::Entity, movie::Column::Id)))
            .and_where(Expr::col((link(), column)).eq(value))
            .to_owned(),
    )
}

/// The rows of a link table (`movie_genres`, `movie_credits`) for these
/// movies; no query for none.
pub(super) async fn links_of<L: EntityTrait>(
    db: &impl ConnectionTrait,
    movie_id: L::Column,
    movie_ids: &[i32],
) -> Result<Vec<L::Model>, DbErr> {
    if movie_ids.is_empty() {
        return Ok(Vec::new());
    }
    L::find()
        .filter(movie_id.is_in(movie_ids.iter().copied()))
        .all(db)
        .await
}

pub(super) fn filtered(filter: &MovieFilter) -> Select<movie::Entity> {
    let mut select = movie::Entity::find();
    // EXISTS (not IN): the planner can then walk the sort index and probe
    // movie_genres per movie, stopping after a page instead of sorting the genre.
    for &genre_id in &filter.genre_ids {
        select = select.filter(linked(
            movie_genre::Column::MovieId,
            movie_genre::Column::GenreId,
            genre_id,
        ));
    }
    if let Some(person_id) = filter.person_id {
        select = select.filter(linked(
            movie_credit::Column::MovieId,
            movie_credit::Column::PersonId,
            person_id,
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
    let links =
        links_of::<movie_genre::Entity>(db, movie_genre::Column::MovieId, movie_ids).await?;
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
            credits: Vec::new(),
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
        return search_db::search_movies(db, genres, filter, q, page).await;
    }
    let select = ordered(filtered(filter), filter.sort, filter.descending);
    let (select, total) = page_of(db, select, page).await?;
    // Past the last page there is nothing to fetch (a sorted scan saved).
    let rows = if page.offset() >= total {
        Vec::new()
    } else {
        select.all(db).await?
    };
    Ok(Page::new(with_genres(db, genres, rows).await?, page, total))
}

/// Movies with their genres (no credits: what lists show), in the order of
/// `ids` (`None` where a movie is gone).
pub async fn movies_in_order(
    db: &impl ConnectionTrait,
    genres: &GenreCatalog,
    ids: impl Iterator<Item = i32>,
) -> Result<Vec<Option<Movie>>, DbErr> {
    let ids: Vec<i32> = ids.collect();
    let rows = movie::Entity::find()
        .filter(movie::Column::Id.is_in(ids.clone()))
        .all(db)
        .await?;
    let mut by_id: HashMap<i32, Movie> = with_genres(db, genres, rows)
        .await?
        .into_iter()
        .map(|m| (m.id(), m))
        .collect();
    Ok(ids.into_iter().map(|id| by_id.remove(&id)).collect())
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
    let mut credits = credits_of(db, ids).await?;
    let mut movies = with_genres(db, genres, rows).await?;
    for movie in &mut movies {
        movie.credits = credits.remove(&movie.id()).unwrap_or_default();
    }
    Ok(movies)
}

/// Every genre with its movie count, in vocabulary order.
pub async fn list_genres(
    db: &impl ConnectionTrait,
    genres: &GenreCatalog,
) -> Result<Vec<GenreCount>, DbErr> {
    let counts = counts_by(
        db,
        movie_genre::Entity::find(),
        movie_genre::Column::GenreId,
        movie_genre::Column::MovieId,
    )
    .await?;
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
