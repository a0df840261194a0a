//! `cinerank import movielens DIR`: loads the MovieLens releases people
//! download — `ml-latest-small`/`ml-25m`/`ml-32m` (`movies.csv`,
//! `ratings.csv`, `links.csv`), `ml-100k` (`u.item`, `u.data`; latin-1) and
//! `ml-1m` (`movies.dat`, `ratings.dat`; `::`-separated, latin-1) — into the
//! catalogue. Idempotent (rows are matched by MovieLens id; unchanged rows
//! are not touched), atomic (one transaction: a crash leaves the old state),
//! and strict by default (the first malformed line aborts with file:line).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use entity::{movie, movie_genre, rating, user};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr,
    EntityTrait, QueryFilter,
};

use super::catalog::{GenreCatalog, set_movie_genres, title_search_key};
use super::seed::{parse_half_stars, recompute_all_rating_aggregates, split_title_year};

/// Which MovieLens release layout a folder holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// `movies.csv` + `ratings.csv` (+ `links.csv`): ml-latest(-small), ml-25m, ml-32m.
    Csv,
    /// `u.item` + `u.data`: ml-100k.
    Ml100k,
    /// `movies.dat` + `ratings.dat`: ml-1m.
    Ml1m,
}

/// A line that could not be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The file.
    pub path: PathBuf,
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.path.display(), self.line, self.message)
    }
}

/// Why an import failed (nothing was stored).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The folder holds no known layout.
    #[error(
        "{0}: no MovieLens layout found (expected movies.csv + ratings.csv, u.item + u.data, or movies.dat + ratings.dat)"
    )]
    UnknownLayout(PathBuf),
    /// A file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A malformed line (strict mode).
    #[error("{0}")]
    Invalid(Problem),
    /// The database refused a write.
    #[error("database: {0}")]
    Db(#[from] DbErr),
}

/// A movie as read from a release.
#[derive(Clone, Debug, PartialEq)]
pub struct ImportMovie {
    /// MovieLens `movieId`.
    pub movielens_id: i32,
    /// Title without the year.
    pub title: String,
    /// Year from the title.
    pub year: Option<i32>,
    /// cinerank genre names.
    pub genres: Vec<&'static str>,
    /// IMDb id (`tt…`) from links.csv.
    pub imdb_id: Option<String>,
    /// TMDB id from links.csv.
    pub tmdb_id: Option<i32>,
}

/// A rating as read from a release.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImportRating {
    /// MovieLens `userId`.
    pub user: i32,
    /// MovieLens `movieId`.
    pub movie: i32,
    /// 1..=10.
    pub half_stars: i16,
    /// Unix seconds.
    pub timestamp: i64,
    /// Where it was read (file index into [`Dataset::rating_files`] is implicit: one file).
    pub line: usize,
}

/// Everything read from one folder.
#[derive(Debug)]
pub struct Dataset {
    /// The layout found.
    pub layout: Layout,
    /// Movies.
    pub movies: Vec<ImportMovie>,
    /// Ratings (one per user and movie: a later line wins).
    pub ratings: Vec<ImportRating>,
    /// The ratings file.
    pub ratings_path: PathBuf,
    /// Lines skipped (only with `skip_invalid`).
    pub skipped: Vec<Problem>,
}

/// What an import changed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// Movies added.
    pub movies_added: u64,
    /// Movies whose title, year, genres or ids changed.
    pub movies_updated: u64,
    /// Accounts added (MovieLens users; they cannot log in).
    pub users_added: u64,
    /// Ratings added or changed.
    pub ratings_written: u64,
}

/// cinerank's name for a MovieLens genre (`None`: no counterpart).
pub fn map_genre(name: &str) -> Option<&'static str> {
    Some(match name.trim() {
        "Action" => "Action",
        "Adventure" => "Adventure",
        "Animation" => "Animation",
        "Children" | "Children's" => "Family",
        "Comedy" => "Comedy",
        "Crime" | "Film-Noir" => "Crime",
        "Documentary" => "Documentary",
        "Drama" => "Drama",
        "Fantasy" => "Fantasy",
        "Horror" => "Horror",
        "Musical" => "Music",
        "Mystery" => "Mystery",
        "Romance" => "Romance",
        "Sci-Fi" => "Science Fiction",
        "Thriller" => "Thriller",
        "War" => "War",
        "Western" => "Western",
        _ => return None,
    })
}

/// ml-100k's genre columns, in `u.genre` order.
const ML100K_GENRES: [&str; 19] = [
    "unknown",
    "Action",
    "Adventure",
    "Animation",
    "Children's",
    "Comedy",
    "Crime",
    "Documentary",
    "Drama",
    "Fantasy",
    "Film-Noir",
    "Horror",
    "Musical",
    "Mystery",
    "Romance",
    "Sci-Fi",
    "Thriller",
    "War",
    "Western",
];

fn genres_of<'a>(names: impl Iterator<Item = &'a str>) -> Vec<&'static str> {
    let mut genres: Vec<&'static str> = names.filter_map(map_genre).collect();
    genres.sort_unstable();
    genres.dedup();
    genres
}

/// Finds the layout of `dir`.
pub fn detect_layout(dir: &Path) -> Result<Layout, ImportError> {
    let has = |name: &str| dir.join(name).is_file();
    if has("movies.csv") && has("ratings.csv") {
        Ok(Layout::Csv)
    } else if has("u.item") && has("u.data") {
        Ok(Layout::Ml100k)
    } else if has("movies.dat") && has("ratings.dat") {
        Ok(Layout::Ml1m)
    } else {
        Err(ImportError::UnknownLayout(dir.to_owned()))
    }
}

/// Reads a file as text; latin-1 bytes map to the same code points.
fn read_text(path: &Path) -> Result<String, ImportError> {
    let bytes = std::fs::read(path).map_err(|source| ImportError::Io {
        path: path.to_owned(),
        source,
    })?;
    Ok(match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(err) => err.into_bytes().iter().map(|&b| char::from(b)).collect(),
    })
}

/// Collects problems: aborts at the first unless skipping.
struct Lines<'a> {
    skip_invalid: bool,
    skipped: &'a mut Vec<Problem>,
}

impl Lines<'_> {
    fn handle<T>(
        &mut self,
        path: &Path,
        line: usize,
        parsed: Result<T, String>,
    ) -> Result<Option<T>, ImportError> {
        match parsed {
            Ok(value) => Ok(Some(value)),
            Err(message) => {
                let problem = Problem {
                    path: path.to_owned(),
                    line,
                    message,
                };
                if self.skip_invalid {
                    self.skipped.push(problem);
                    Ok(None)
                } else {
                    Err(ImportError::Invalid(problem))
                }
            }
        }
    }
}

fn int<T: std::str::FromStr>(raw: &str, what: &str) -> Result<T, String> {
    raw.trim()
        .parse()
        .map_err(|_| format!("{what} `{}` is not an integer", raw.trim()))
}

fn rating_value(raw: &str) -> Result<i16, String> {
    parse_half_stars(raw)
        .ok_or_else(|| format!("rating `{}` is not 0.5–5.0 in steps of 0.5", raw.trim()))
}

fn movie(id: &str, title: &str, genres: Vec<&'static str>) -> Result<ImportMovie, String> {
    let (title, year) = split_title_year(title);
    if title.is_empty() {
        return Err("empty title".to_owned());
    }
    Ok(ImportMovie {
        movielens_id: int(id, "movieId")?,
        title,
        year,
        genres,
        imdb_id: None,
        tmdb_id: None,
    })
}

/// Reads a release folder.
pub fn read_dataset(dir: &Path, skip_invalid: bool) -> Result<Dataset, ImportError> {
    let layout = detect_layout(dir)?;
    let mut skipped = Vec::new();
    let mut lines = Lines {
        skip_invalid,
        skipped: &mut skipped,
    };
    let mut movies = Vec::new();
    let mut ratings = Vec::new();
    match layout {
        Layout::Csv => {
            let path = dir.join("movies.csv");
            let mut reader = csv::ReaderBuilder::new()
                .flexible(true)
                .from_path(&path)
                .map_err(|e| csv_io(&path, e))?;
            for (index, record) in reader.records().enumerate() {
                let line = index + 2;
                let parsed = record.map_err(|e| e.to_string()).and_then(|r| {
                    if r.len() < 3 {
                        return Err("expected movieId,title,genres".to_owned());
                    }
                    movie(&r[0], &r[1], genres_of(r[2].split('|')))
                });
                movies.extend(lines.handle(&path, line, parsed)?);
            }
            let links = dir.join("links.csv");
            if links.is_file() {
                let ids: HashMap<i32, usize> = movies
                    .iter()
                    .enumerate()
                    .map(|(i, m)| (m.movielens_id, i))
                    .collect();
                let mut reader = csv::ReaderBuilder::new()
                    .flexible(true)
                    .from_path(&links)
                    .map_err(|e| csv_io(&links, e))?;
                for (index, record) in reader.records().enumerate() {
                    let parsed = record.map_err(|e| e.to_string()).and_then(|r| {
                        let id: i32 = int(r.get(0).unwrap_or_default(), "movieId")?;
                        let imdb = r.get(1).map(str::trim).filter(|v| !v.is_empty());
                        let imdb = imdb
                            .map(|v| int::<u32>(v, "imdbId").map(|n| format!("tt{n:07}")))
                            .transpose()?;
                        let tmdb = r.get(2).map(str::trim).filter(|v| !v.is_empty());
                        let tmdb = tmdb.map(|v| int::<i32>(v, "tmdbId")).transpose()?;
                        Ok((id, imdb, tmdb))
                    });
                    if let Some((id, imdb, tmdb)) = lines.handle(&links, index + 2, parsed)?
                        && let Some(&i) = ids.get(&id)
                    {
                        movies[i].imdb_id = imdb;
                        movies[i].tmdb_id = tmdb;
                    }
                }
            }
            let path = dir.join("ratings.csv");
            let mut reader = csv::ReaderBuilder::new()
                .flexible(true)
                .from_path(&path)
                .map_err(|e| csv_io(&path, e))?;
            let mut record = csv::StringRecord::new();
            let mut line = 1;
            loop {
                line += 1;
                let more = reader.read_record(&mut record).map_err(|e| e.to_string());
                let parsed = more.and_then(|more| {
                    if !more {
                        return Ok(None);
                    }
                    if record.len() < 4 {
                        return Err("expected userId,movieId,rating,timestamp".to_owned());
                    }
                    Ok(Some(ImportRating {
                        user: int(&record[0], "userId")?,
                        movie: int(&record[1], "movieId")?,
                        half_stars: rating_value(&record[2])?,
                        timestamp: int(&record[3], "timestamp")?,
                        line,
                    }))
                });
                match lines.handle(&path, line, parsed)? {
                    Some(None) => break,
                    Some(Some(rating)) => ratings.push(rating),
                    None => {}
                }
            }
        }
        Layout::Ml100k => {
            let path = dir.join("u.item");
            for (index, text) in read_text(&path)?.lines().enumerate() {
                if text.trim().is_empty() {
                    continue;
                }
                let fields: Vec<&str> = text.split('|').collect();
                let parsed = if fields.len() < 5 + ML100K_GENRES.len() {
                    Err("expected id|title|date|video date|url|19 genre flags".to_owned())
                } else {
                    let flags = fields[5..5 + ML100K_GENRES.len()].iter().zip(ML100K_GENRES);
                    let names = flags
                        .filter(|(flag, _)| flag.trim() == "1")
                        .map(|(_, name)| name);
                    movie(fields[0], fields[1], genres_of(names))
                };
                movies.extend(lines.handle(&path, index + 1, parsed)?);
            }
            let path = dir.join("u.data");
            for (index, text) in read_text(&path)?.lines().enumerate() {
                if text.trim().is_empty() {
                    continue;
                }
                let fields: Vec<&str> = text.split('\t').collect();
                let parsed = if fields.len() < 4 {
                    Err("expected user<TAB>item<TAB>rating<TAB>timestamp".to_owned())
                } else {
                    (|| {
                        Ok(ImportRating {
                            user: int(fields[0], "user id")?,
                            movie: int(fields[1], "item id")?,
                            half_stars: rating_value(fields[2])?,
                            timestamp: int(fields[3], "timestamp")?,
                            line: index + 1,
                        })
                    })()
                };
                ratings.extend(lines.handle(&path, index + 1, parsed)?);
            }
        }
        Layout::Ml1m => {
            let path = dir.join("movies.dat");
            for (index, text) in read_text(&path)?.lines().enumerate() {
                if text.trim().is_empty() {
                    continue;
                }
                let fields: Vec<&str> = text.split("::").collect();
                let parsed = if fields.len() < 3 {
                    Err("expected MovieID::Title::Genres".to_owned())
                } else {
                    movie(fields[0], fields[1], genres_of(fields[2].split('|')))
                };
                movies.extend(lines.handle(&path, index + 1, parsed)?);
            }
            let path = dir.join("ratings.dat");
            for (index, text) in read_text(&path)?.lines().enumerate() {
                if text.trim().is_empty() {
                    continue;
                }
                let fields: Vec<&str> = text.split("::").collect();
                let parsed = if fields.len() < 4 {
                    Err("expected UserID::MovieID::Rating::Timestamp".to_owned())
                } else {
                    (|| {
                        Ok(ImportRating {
                            user: int(fields[0], "UserID")?,
                            movie: int(fields[1], "MovieID")?,
                            half_stars: rating_value(fields[2])?,
                            timestamp: int(fields[3], "Timestamp")?,
                            line: index + 1,
                        })
                    })()
                };
                ratings.extend(lines.handle(&path, index + 1, parsed)?);
            }
        }
    }
    let ratings_path = dir.join(match layout {
        Layout::Csv => "ratings.csv",
        Layout::Ml100k => "u.data",
        Layout::Ml1m => "ratings.dat",
    });
    // Every rating must name a movie of the release; a repeated (user, movie)
    // keeps its last line, as MovieLens tools do.
    let known: std::collections::HashSet<i32> = movies.iter().map(|m| m.movielens_id).collect();
    let mut last: HashMap<(i32, i32), usize> = HashMap::with_capacity(ratings.len());
    let mut kept = Vec::with_capacity(ratings.len());
    for r in ratings {
        let checked = if known.contains(&r.movie) {
            Ok(r)
        } else {
            Err(format!(
                "movie {} is not in the release's movie list",
                r.movie
            ))
        };
        if let Some(r) = lines.handle(&ratings_path, r.line, checked)? {
            match last.get(&(r.user, r.movie)) {
                Some(&i) => kept[i] = r,
                None => {
                    last.insert((r.user, r.movie), kept.len());
                    kept.push(r);
                }
            }
        }
    }
    Ok(Dataset {
        layout,
        movies,
        ratings: kept,
        ratings_path,
        skipped,
    })
}

fn csv_io(path: &Path, err: csv::Error) -> ImportError {
    ImportError::Io {
        path: path.to_owned(),
        source: std::io::Error::other(err.to_string()),
    }
}

/// Writes a dataset in one transaction.
pub async fn apply(
    db: &DatabaseConnection,
    genres: &GenreCatalog,
    data: &Dataset,
) -> Result<ImportReport, ImportError> {
    let mut report = ImportReport::default();
    let now = Utc::now();
    let txn = super::begin_write(db).await?;

    // Movies, matched by MovieLens id.
    let existing: HashMap<i32, movie::Model> = movie::Entity::find()
        .filter(movie::Column::MovielensId.is_not_null())
        .all(&txn)
        .await?
        .into_iter()
        .filter_map(|m| Some((m.movielens_id?, m)))
        .collect();
    let mut genre_links: HashMap<i32, Vec<i32>> = HashMap::new();
    for link in movie_genre::Entity::find().all(&txn).await? {
        genre_links
            .entry(link.movie_id)
            .or_default()
            .push(link.genre_id);
    }
    let mut movie_ids: HashMap<i32, i32> = HashMap::with_capacity(data.movies.len());
    for m in &data.movies {
        let mut genre_ids: Vec<i32> = m.genres.iter().filter_map(|g| genres.resolve(g)).collect();
        genre_ids.sort_unstable();
        let id = match existing.get(&m.movielens_id) {
            Some(old) => {
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
                    active.year = Set(m.year);
                    if m.imdb_id.is_some() {
                        active.imdb_id = Set(m.imdb_id.clone());
                    }
                    if m.tmdb_id.is_some() {
                        active.tmdb_id = Set(m.tmdb_id);
                    }
                    active.updated_at = Set(now);
                    active.update(&txn).await?;
                }
                if current != genre_ids {
                    set_movie_genres(&txn, old.id, &genre_ids).await?;
                }
                if changed_fields || current != genre_ids {
                    report.movies_updated += 1;
                }
                old.id
            }
            None => {
                let created = movie::ActiveModel {
                    title: Set(m.title.clone()),
                    title_search: Set(title_search_key(&m.title)),
                    year: Set(m.year),
                    overview: Set(None),
                    poster_url: Set(None),
                    imdb_id: Set(m.imdb_id.clone()),
                    tmdb_id: Set(m.tmdb_id),
                    movielens_id: Set(Some(m.movielens_id)),
                    rating_count: Set(0),
                    rating_sum: Set(0),
                    avg_rating: Set(0.0),
                    created_at: Set(now),
                    updated_at: Set(now),
                    ..Default::default()
                }
                .insert(&txn)
                .await?;
                set_movie_genres(&txn, created.id, &genre_ids).await?;
                report.movies_added += 1;
                created.id
            }
        };
        movie_ids.insert(m.movielens_id, id);
    }

    // Accounts for MovieLens users: `movielens:N` cannot collide with a
    // registered username (those may not contain `:`) and has no password.
    let mut user_ids: HashMap<i32, i32> = HashMap::new();
    for account in user::Entity::find()
        .filter(user::Column::ExternalId.starts_with("movielens:"))
        .all(&txn)
        .await?
    {
        if let Some(n) = account
            .external_id
            .as_deref()
            .and_then(|e| e.strip_prefix("movielens:"))
            .and_then(|n| n.parse().ok())
        {
            user_ids.insert(n, account.id);
        }
    }
    let mut wanted: Vec<i32> = data.ratings.iter().map(|r| r.user).collect();
    wanted.sort_unstable();
    wanted.dedup();
    for source in wanted {
        if user_ids.contains_key(&source) {
            continue;
        }
        let name = format!("movielens:{source}");
        let created = user::ActiveModel {
            username: Set(name.clone()),
            email: Set(None),
            password_hash: Set(None),
            role: Set("user".to_owned()),
            external_id: Set(Some(name)),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        user_ids.insert(source, created.id);
        report.users_added += 1;
    }

    // Ratings: insert, or change only those whose value differs, so a
    // repeated import writes nothing.
    let mut rows = Vec::with_capacity(data.ratings.len());
    for r in &data.ratings {
        let (Some(&movie_id), Some(&user_id)) = (movie_ids.get(&r.movie), user_ids.get(&r.user))
        else {
            // read_dataset checked every rating's movie; users were just created.
            return Err(ImportError::Invalid(Problem {
                path: data.ratings_path.clone(),
                line: r.line,
                message: format!("movie {} is not in the release's movie list", r.movie),
            }));
        };
        let at = DateTime::from_timestamp(r.timestamp, 0).unwrap_or_default();
        rows.push(rating::ActiveModel {
            user_id: Set(user_id),
            movie_id: Set(movie_id),
            half_stars: Set(r.half_stars),
            created_at: Set(at),
            updated_at: Set(at),
        });
    }
    for chunk in rows.chunks(2000) {
        let written = rating::Entity::insert_many(chunk.to_vec())
            .on_conflict(
                OnConflict::columns([rating::Column::UserId, rating::Column::MovieId])
                    .update_columns([rating::Column::HalfStars, rating::Column::UpdatedAt])
                    .action_and_where(
                        Expr::col((rating::Entity, rating::Column::HalfStars))
                            .ne(Expr::col(("excluded", rating::Column::HalfStars))),
                    )
                    .to_owned(),
            )
            .exec_without_returning(&txn)
            .await?;
        report.ratings_written += written;
    }
    if report.ratings_written > 0 || report.movies_added > 0 {
        recompute_all_rating_aggregates(&txn).await?;
    }
    txn.commit().await?;
    db.execute_unprepared("ANALYZE").await?;
    Ok(report)
}
