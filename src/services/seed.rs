//! Loading a catalogue and ratings in the MovieLens CSV layout (`movies.csv`:
//! `movieId,title,genres[,overview,poster_url,price,stock]`; `ratings.csv`:
//! `userId,movieId,rating,timestamp`) into an empty database, atomically.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use entity::{movie, movie_genre, rating, user};
use sea_orm::{
    ActiveValue::Set, ConnectionTrait, DatabaseBackend, DatabaseConnection, DbErr, EntityTrait,
    PaginatorTrait, Statement, TransactionTrait,
};

use super::catalog::{GenreCatalog, MAX_PRICE, MAX_STOCK, title_search_key};

/// Why seeding failed.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    /// A file could not be opened or read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A line could not be used.
    #[error("{path}:{line}: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: u64,
        /// What is wrong.
        message: String,
    },
    /// The database refused a write.
    #[error("database: {0}")]
    Db(#[from] DbErr),
}

/// A movie read from `movies.csv`.
#[derive(Clone, Debug, PartialEq)]
pub struct SeedMovie {
    /// The file's `movieId`.
    pub source_id: i64,
    /// Title without the year.
    pub title: String,
    /// Year split out of "Title (Year)".
    pub year: Option<i32>,
    /// Genre names.
    pub genres: Vec<String>,
    /// Plot summary.
    pub overview: Option<String>,
    /// Poster URL.
    pub poster_url: Option<String>,
    /// Store price (minor currency unit); `None` = not for sale.
    pub price: Option<i64>,
    /// Copies in stock; `None` = digital (unlimited).
    pub stock: Option<i32>,
}

/// A rating read from `ratings.csv`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SeedRating {
    /// The file's `userId`.
    pub user_id: i64,
    /// The file's `movieId`.
    pub movie_id: i64,
    /// 1..=10 half stars.
    pub half_stars: i16,
    /// Unix seconds.
    pub timestamp: i64,
}

/// What a seed run stored.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SeedReport {
    /// Movies inserted.
    pub movies: u64,
    /// Accounts inserted.
    pub users: u64,
    /// Ratings inserted.
    pub ratings: u64,
}

/// Splits "Heat (1995)" into ("Heat", Some(1995)); titles without a trailing
/// four-digit year in parentheses are kept whole.
pub fn split_title_year(raw: &str) -> (String, Option<i32>) {
    let trimmed = raw.trim();
    if let Some(open) = trimmed.rfind('(')
        && let Some(inner) = trimmed[open + 1..].strip_suffix(')')
        && inner.len() == 4
        && inner.bytes().all(|b| b.is_ascii_digit())
    {
        let title = trimmed[..open].trim_end();
        if !title.is_empty() {
            return (title.to_owned(), inner.parse().ok());
        }
    }
    (trimmed.to_owned(), None)
}

/// Parses a rating such as `3.5` into half stars, if it is 0.5–5.0 in 0.5 steps.
pub fn parse_half_stars(raw: &str) -> Option<i16> {
    let value: f64 = raw.trim().parse().ok()?;
    let doubled = value * 2.0;
    let rounded = doubled.round();
    ((rounded - doubled).abs() < 1e-9 && (1.0..=10.0).contains(&rounded)).then_some(rounded as i16)
}

fn open_csv(path: &Path) -> Result<csv::Reader<std::fs::File>, SeedError> {
    let file = std::fs::File::open(path).map_err(|source| SeedError::Io {
        path: path.to_owned(),
        source,
    })?;
    Ok(csv::ReaderBuilder::new().flexible(true).from_reader(file))
}

fn csv_error(path: &Path, err: csv::Error) -> SeedError {
    let line = err.position().map(|p| p.line()).unwrap_or(0);
    SeedError::Invalid {
        path: path.to_owned(),
        line,
        message: err.to_string(),
    }
}

fn column(headers: &csv::StringRecord, name: &str, path: &Path) -> Result<usize, SeedError> {
    headers
        .iter()
        .position(|h| h.trim() == name)
        .ok_or_else(|| SeedError::Invalid {
            path: path.to_owned(),
            line: 1,
            message: format!("missing column `{name}`"),
        })
}

fn non_empty(value: Option<&str>) -> Option<String> {
    value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// An optional integer column: empty or missing is `None`.
fn optional_number<T>(
    record: &csv::StringRecord,
    col: Option<usize>,
    name: &str,
    range: std::ops::RangeInclusive<T>,
) -> Result<Option<T>, String>
where
    T: std::str::FromStr + PartialOrd + std::fmt::Display,
{
    let Some(raw) = non_empty(col.and_then(|c| record.get(c))) else {
        return Ok(None);
    };
    match raw.parse::<T>() {
        Ok(value) if range.contains(&value) => Ok(Some(value)),
        _ => Err(format!(
            "{name} `{raw}` is not an integer in {}..={}",
            range.start(),
            range.end()
        )),
    }
}

/// Reads `movies.csv`.
pub fn read_movies_csv(path: &Path) -> Result<Vec<SeedMovie>, SeedError> {
    let mut reader = open_csv(path)?;
    let headers = reader.headers().map_err(|e| csv_error(path, e))?.clone();
    let id_col = column(&headers, "movieId", path)?;
    let title_col = column(&headers, "title", path)?;
    let genres_col = column(&headers, "genres", path)?;
    let overview_col = headers.iter().position(|h| h == "overview");
    let poster_col = headers.iter().position(|h| h == "poster_url");
    let price_col = headers.iter().position(|h| h == "price");
    let stock_col = headers.iter().position(|h| h == "stock");
    let mut movies = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| csv_error(path, e))?;
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        let invalid = |message: String| SeedError::Invalid {
            path: path.to_owned(),
            line,
            message,
        };
        let raw_id = record.get(id_col).unwrap_or_default();
        let source_id = raw_id
            .trim()
            .parse()
            .map_err(|_| invalid(format!("movieId `{raw_id}` is not an integer")))?;
        let (title, year) = split_title_year(record.get(title_col).unwrap_or_default());
        if title.is_empty() {
            return Err(invalid("empty title".to_owned()));
        }
        let genres = record
            .get(genres_col)
            .unwrap_or_default()
            .split('|')
            .map(str::trim)
            .filter(|g| !g.is_empty() && *g != "(no genres listed)")
            .map(str::to_owned)
            .collect();
        let price =
            optional_number(&record, price_col, "price", 0..=MAX_PRICE).map_err(&invalid)?;
        let stock =
            optional_number(&record, stock_col, "stock", 0..=MAX_STOCK).map_err(&invalid)?;
        movies.push(SeedMovie {
            source_id,
            title,
            year,
            genres,
            overview: non_empty(overview_col.and_then(|c| record.get(c))),
            poster_url: non_empty(poster_col.and_then(|c| record.get(c))),
            price,
            stock,
        });
    }
    Ok(movies)
}

/// Reads `ratings.csv`.
pub fn read_ratings_csv(path: &Path) -> Result<Vec<SeedRating>, SeedError> {
    let mut reader = open_csv(path)?;
    let headers = reader.headers().map_err(|e| csv_error(path, e))?.clone();
    let cols = [
        column(&headers, "userId", path)?,
        column(&headers, "movieId", path)?,
        column(&headers, "rating", path)?,
        column(&headers, "timestamp", path)?,
    ];
    let mut ratings = Vec::new();
    let mut record = csv::StringRecord::new();
    while reader
        .read_record(&mut record)
        .map_err(|e| csv_error(path, e))?
    {
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        let field = |i: usize| record.get(cols[i]).unwrap_or_default().trim();
        let invalid = |message: String| SeedError::Invalid {
            path: path.to_owned(),
            line,
            message,
        };
        let int = |i: usize, name: &str| {
            field(i)
                .parse::<i64>()
                .map_err(|_| invalid(format!("{name} `{}` is not an integer", field(i))))
        };
        let half_stars = parse_half_stars(field(2)).ok_or_else(|| {
            invalid(format!(
                "rating `{}` is not 0.5–5.0 in steps of 0.5",
                field(2)
            ))
        })?;
        ratings.push(SeedRating {
            user_id: int(0, "userId")?,
            movie_id: int(1, "movieId")?,
            half_stars,
            timestamp: int(3, "timestamp")?,
        });
    }
    Ok(ratings)
}

/// Loads `dir/movies.csv` and (if present) `dir/ratings.csv` when the
/// database has no movies yet. Returns `None` when it already had some.
/// All or nothing: one transaction.
pub async fn seed_if_empty(
    db: &DatabaseConnection,
    genres: &GenreCatalog,
    dir: &Path,
) -> Result<Option<SeedReport>, SeedError> {
    let movies_path = dir.join("movies.csv");
    let ratings_path = dir.join("ratings.csv");
    let movies = read_movies_csv(&movies_path)?;
    let ratings = if ratings_path.exists() {
        read_ratings_csv(&ratings_path)?
    } else {
        Vec::new()
    };
    validate(&movies, &movies_path, genres)?;

    let txn = db.begin().await?;
    if txn.get_database_backend() == DatabaseBackend::Postgres {
        // Several instances may start at once on one database: only one seeds.
        txn.execute_raw(Statement::from_string(
            DatabaseBackend::Postgres,
            "SELECT pg_advisory_xact_lock(7200101)",
        ))
        .await?;
    }
    if movie::Entity::find().count(&txn).await? > 0 {
        return Ok(None);
    }
    let report = insert_all(&txn, genres, &movies, &ratings, &ratings_path).await?;
    txn.commit().await?;
    // Fresh statistics let the query planner pick the sort indexes.
    db.execute_unprepared("ANALYZE").await?;
    Ok(Some(report))
}

fn validate(movies: &[SeedMovie], path: &Path, genres: &GenreCatalog) -> Result<(), SeedError> {
    let mut seen = std::collections::HashSet::new();
    for (index, movie) in movies.iter().enumerate() {
        let invalid = |message: String| SeedError::Invalid {
            path: path.to_owned(),
            line: index as u64 + 2,
            message,
        };
        if !seen.insert(movie.source_id) {
            return Err(invalid(format!("duplicate movieId {}", movie.source_id)));
        }
        if let Some(unknown) = movie.genres.iter().find(|g| genres.resolve(g).is_none()) {
            return Err(invalid(format!(
                "unknown genre `{unknown}` (known: {})",
                genres.names_joined()
            )));
        }
    }
    Ok(())
}

fn timestamp(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(seconds, 0).unwrap_or_default()
}

async fn insert_all(
    txn: &impl ConnectionTrait,
    genres: &GenreCatalog,
    movies: &[SeedMovie],
    ratings: &[SeedRating],
    ratings_path: &Path,
) -> Result<SeedReport, SeedError> {
    let now = Utc::now();
    let mut movie_ids: HashMap<i64, i32> = HashMap::with_capacity(movies.len());
    let mut links = Vec::new();
    for seed in movies {
        let inserted = movie::Entity::insert(movie::ActiveModel {
            title: Set(seed.title.clone()),
            title_search: Set(title_search_key(&seed.title)),
            year: Set(seed.year),
            overview: Set(seed.overview.clone()),
            poster_url: Set(seed.poster_url.clone()),
            price: Set(seed.price),
            stock: Set(seed.stock),
            rating_count: Set(0),
            rating_sum: Set(0),
            avg_rating: Set(0.0),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        })
        .exec(txn)
        .await?;
        let id = inserted.last_insert_id;
        movie_ids.insert(seed.source_id, id);
        let mut genre_ids: Vec<i32> = seed
            .genres
            .iter()
            .filter_map(|g| genres.resolve(g))
            .collect();
        genre_ids.sort_unstable();
        genre_ids.dedup();
        links.extend(
            genre_ids
                .into_iter()
                .map(|genre_id| movie_genre::ActiveModel {
                    movie_id: Set(id),
                    genre_id: Set(genre_id),
                }),
        );
    }
    for chunk in links.chunks(1000) {
        movie_genre::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(txn)
            .await?;
    }

    let mut user_ids: HashMap<i64, i32> = HashMap::new();
    let mut source_users: Vec<i64> = ratings.iter().map(|r| r.user_id).collect();
    source_users.sort_unstable();
    source_users.dedup();
    for source_id in source_users {
        let inserted = user::Entity::insert(user::ActiveModel {
            username: Set(format!("seed_user_{source_id}")),
            email: Set(None),
            password_hash: Set(None),
            role: Set("user".to_owned()),
            external_id: Set(Some(format!("seed:{source_id}"))),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        })
        .exec(txn)
        .await?;
        user_ids.insert(source_id, inserted.last_insert_id);
    }

    let mut seen = std::collections::HashSet::with_capacity(ratings.len());
    let mut rows = Vec::with_capacity(ratings.len());
    for (index, r) in ratings.iter().enumerate() {
        let invalid = |message: String| SeedError::Invalid {
            path: ratings_path.to_owned(),
            line: index as u64 + 2,
            message,
        };
        let movie_id = *movie_ids
            .get(&r.movie_id)
            .ok_or_else(|| invalid(format!("movieId {} is not in movies.csv", r.movie_id)))?;
        if !seen.insert((r.user_id, r.movie_id)) {
            return Err(invalid(format!(
                "user {} rated movie {} twice",
                r.user_id, r.movie_id
            )));
        }
        let user_id = *user_ids
            .get(&r.user_id)
            .ok_or_else(|| invalid(format!("unknown userId {}", r.user_id)))?;
        let at = timestamp(r.timestamp);
        rows.push(rating::ActiveModel {
            user_id: Set(user_id),
            movie_id: Set(movie_id),
            half_stars: Set(r.half_stars),
            created_at: Set(at),
            updated_at: Set(at),
        });
    }
    for chunk in rows.chunks(2000) {
        rating::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(txn)
            .await?;
    }
    recompute_all_rating_aggregates(txn).await?;
    Ok(SeedReport {
        movies: movies.len() as u64,
        users: user_ids.len() as u64,
        ratings: rows.len() as u64,
    })
}

/// Recomputes every movie's rating count, sum and mean from `ratings`
/// (after bulk loads; single writes keep them in step incrementally).
pub async fn recompute_all_rating_aggregates(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    // One grouped pass over `ratings` (not three correlated subqueries per
    // movie): at 25M ratings this is seconds, not minutes. Rows whose
    // aggregates are already right are left alone.
    db.execute_unprepared(
        "UPDATE movies SET rating_count = 0, rating_sum = 0, avg_rating = 0 \
         WHERE rating_count <> 0 AND NOT EXISTS (SELECT 1 FROM ratings r WHERE r.movie_id = movies.id)",
    )
    .await?;
    // SQLite would walk the movie index and fetch every row at random; a
    // sequential scan and a sort is several times faster on large tables.
    let ratings = if db.get_database_backend() == sea_orm::DbBackend::Sqlite {
        "ratings NOT INDEXED"
    } else {
        "ratings"
    };
    db.execute_unprepared(&format!(
        "UPDATE movies SET rating_count = a.c, rating_sum = a.s, \
           avg_rating = a.s * 1.0 / (a.c * 2.0) \
         FROM (SELECT movie_id, COUNT(*) AS c, SUM(half_stars) AS s FROM {ratings} GROUP BY movie_id) AS a \
         WHERE movies.id = a.movie_id AND (movies.rating_count <> a.c OR movies.rating_sum <> a.s)",
    ))
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_lose_their_trailing_year() {
        assert_eq!(split_title_year("Heat (1995)"), ("Heat".into(), Some(1995)));
        assert_eq!(
            split_title_year("Babylon 5 (1994) "),
            ("Babylon 5".into(), Some(1994))
        );
        assert_eq!(
            split_title_year("City of Lost Children, The (Cité des enfants perdus, La) (1995)"),
            (
                "City of Lost Children, The (Cité des enfants perdus, La)".into(),
                Some(1995)
            )
        );
        assert_eq!(
            split_title_year("Untitled (draft)"),
            ("Untitled (draft)".into(), None)
        );
        assert_eq!(split_title_year("(1999)"), ("(1999)".into(), None));
    }

    #[test]
    fn the_shipped_catalogue_mixes_digital_physical_and_unsold_films() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("seed_data/movies.csv");
        let movies = read_movies_csv(&path).unwrap();
        let not_for_sale = movies.iter().filter(|m| m.price.is_none()).count();
        let physical: Vec<i32> = movies.iter().filter_map(|m| m.stock).collect();
        let sold_out = physical.iter().filter(|&&s| s == 0).count();
        assert!((50..=200).contains(&not_for_sale), "{not_for_sale}");
        assert!((200..=600).contains(&physical.len()), "{}", physical.len());
        assert!((20..=120).contains(&sold_out), "{sold_out}");
        assert!(physical.iter().all(|s| (0..=50).contains(s)));
        assert!(
            movies
                .iter()
                .all(|m| m.stock.is_none() || m.price.is_some()),
            "stock only for films on sale"
        );
    }

    #[test]
    fn store_columns_must_be_integers_in_range() {
        let dir = std::env::temp_dir().join(format!("cinerank-seed-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("movies.csv");
        std::fs::write(
            &path,
            "movieId,title,genres,price,stock\n1,Heat (1995),Crime,5500,\n2,Alien (1979),Horror,,\n",
        )
        .unwrap();
        let movies = read_movies_csv(&path).unwrap();
        assert_eq!((movies[0].price, movies[0].stock), (Some(5500), None));
        assert_eq!((movies[1].price, movies[1].stock), (None, None));
        for (row, column) in [
            ("1,Heat (1995),Crime,-1,", "price"),
            ("1,Heat (1995),Crime,5,x", "stock"),
        ] {
            std::fs::write(&path, format!("movieId,title,genres,price,stock\n{row}\n")).unwrap();
            let err = read_movies_csv(&path).unwrap_err().to_string();
            assert!(err.contains(column) && err.contains(":2:"), "{err}");
        }
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn ratings_must_be_half_steps_between_half_and_five() {
        assert_eq!(parse_half_stars("0.5"), Some(1));
        assert_eq!(parse_half_stars("5.0"), Some(10));
        assert_eq!(parse_half_stars("3"), Some(6));
        assert_eq!(parse_half_stars("0"), None);
        assert_eq!(parse_half_stars("5.5"), None);
        assert_eq!(parse_half_stars("3.3"), None);
        assert_eq!(parse_half_stars("NaN"), None);
    }
}
