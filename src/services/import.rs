//! `cinerank import movielens DIR`: loads the MovieLens releases people
//! download — `ml-latest-small`/`ml-25m`/`ml-32m` (`movies.csv`,
//! `ratings.csv`, `links.csv`), `ml-100k` (`u.item`, `u.data`;
//! latin-1) and `ml-1m` (`movies.dat`, `ratings.dat`; `::`-separated,
//! latin-1) — into the catalogue.
//!
//! - Idempotent: rows are matched by MovieLens id and unchanged rows are not
//!   touched, so a second run writes nothing and a newer release adds and
//!   updates.
//! - All or nothing: one write transaction. A crash (even `kill -9`) leaves
//!   the previous state; PostgreSQL's staging table is outside it and is
//!   dropped by the next import.
//! - Streaming: movies are small and read whole; ratings are parsed on a
//!   blocking thread and written in chunks while the next chunk is parsed,
//!   so memory stays flat at any size. SQLite gets multi-row inserts,
//!   PostgreSQL `COPY` into an unlogged staging table and one set-based merge.
//! - Strict by default: the first malformed line aborts with file:line;
//!   `skip_invalid` skips and reports instead.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};

use chrono::{DateTime, Utc};
use entity::{movie, movie_genre, user};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    DatabaseTransaction, DbBackend, DbErr, EntityTrait, QueryFilter, QuerySelect, Statement, Value,
};

use sea_orm::sqlx::AssertSqlSafe;

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

impl Layout {
    /// The file holding the ratings.
    pub fn ratings_file(self) -> &'static str {
        match self {
            Layout::Csv => "ratings.csv",
            Layout::Ml100k => "u.data",
            Layout::Ml1m => "ratings.dat",
        }
    }
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

/// The result of a successful import.
#[derive(Clone, Debug)]
pub struct ImportOutcome {
    /// The layout found.
    pub layout: Layout,
    /// What changed.
    pub report: ImportReport,
    /// Lines skipped (only with `skip_invalid`; at most [`MAX_REPORTED_PROBLEMS`] kept).
    pub skipped: Vec<Problem>,
    /// How many lines were skipped in all.
    pub skipped_count: u64,
    /// Ratings lines read.
    pub ratings_read: u64,
}

/// How many skipped lines an outcome lists (the count covers all).
pub const MAX_REPORTED_PROBLEMS: usize = 1000;

/// How an import behaves.
#[derive(Clone, Copy, Debug, Default)]
pub struct ImportOptions {
    /// Skip malformed lines and report them instead of aborting.
    pub skip_invalid: bool,
}

/// Where an import is; see [`ImportProgress::phase`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Phase {
    /// Not started.
    Pending = 0,
    /// Reading and writing movies and links.
    Movies = 1,
    /// Streaming ratings into the database.
    Ratings = 2,
    /// Merging staged ratings (PostgreSQL).
    Merging = 3,
    /// Recomputing movie rating aggregates.
    Aggregates = 4,
    /// Rebuilding indexes dropped for a bulk load (SQLite).
    Indexes = 7,
    /// Committed.
    Done = 5,
    /// Failed and rolled back.
    Failed = 6,
}

impl Phase {
    /// Every phase, in order.
    pub const ALL: [Phase; 8] = [
        Phase::Pending,
        Phase::Movies,
        Phase::Ratings,
        Phase::Merging,
        Phase::Aggregates,
        Phase::Indexes,
        Phase::Done,
        Phase::Failed,
    ];

    /// Label for logs and metrics.
    pub fn name(self) -> &'static str {
        match self {
            Phase::Pending => "pending",
            Phase::Movies => "movies",
            Phase::Ratings => "ratings",
            Phase::Merging => "merging",
            Phase::Aggregates => "aggregates",
            Phase::Indexes => "indexes",
            Phase::Done => "done",
            Phase::Failed => "failed",
        }
    }
}

/// Live counters of a running import, read by the progress bar and by
/// `/metrics` while the import writes them.
#[derive(Debug, Default)]
pub struct ImportProgress {
    phase: AtomicU8,
    ratings_bytes_total: AtomicU64,
    ratings_bytes_read: AtomicU64,
    ratings_read: AtomicU64,
    ratings_stored: AtomicU64,
}

impl ImportProgress {
    /// The current phase.
    pub fn phase(&self) -> Phase {
        let raw = self.phase.load(Ordering::Relaxed);
        Phase::ALL
            .into_iter()
            .find(|p| *p as u8 == raw)
            .unwrap_or(Phase::Pending)
    }

    fn set_phase(&self, phase: Phase) {
        self.phase.store(phase as u8, Ordering::Relaxed);
    }

    /// Size of the ratings file in bytes.
    pub fn ratings_bytes_total(&self) -> u64 {
        self.ratings_bytes_total.load(Ordering::Relaxed)
    }

    /// Bytes of the ratings file parsed so far.
    pub fn ratings_bytes_read(&self) -> u64 {
        self.ratings_bytes_read.load(Ordering::Relaxed)
    }

    /// Rating lines parsed so far.
    pub fn ratings_read(&self) -> u64 {
        self.ratings_read.load(Ordering::Relaxed)
    }

    /// Ratings handed to the database so far (staged, on PostgreSQL).
    pub fn ratings_stored(&self) -> u64 {
        self.ratings_stored.load(Ordering::Relaxed)
    }
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
    let bytes = std::fs::read(path).map_err(|source| io_error(path, source))?;
    Ok(decode(bytes))
}

fn decode(bytes: Vec<u8>) -> String {
    match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(err) => err.into_bytes().iter().map(|&b| char::from(b)).collect(),
    }
}

fn io_error(path: &Path, source: std::io::Error) -> ImportError {
    ImportError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Collects problems: aborts at the first unless skipping.
struct Lines {
    skip_invalid: bool,
    skipped: Vec<Problem>,
    skipped_count: u64,
}

impl Lines {
    fn new(skip_invalid: bool) -> Lines {
        Lines {
            skip_invalid,
            skipped: Vec::new(),
            skipped_count: 0,
        }
    }

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
                    self.skipped_count += 1;
                    if self.skipped.len() < MAX_REPORTED_PROBLEMS {
                        self.skipped.push(problem);
                    }
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

fn csv_io(path: &Path, err: csv::Error) -> ImportError {
    io_error(path, std::io::Error::other(err.to_string()))
}

/// Reads a release's movies (with links.csv's ids where present).
pub fn read_movies(
    dir: &Path,
    layout: Layout,
    skip_invalid: bool,
) -> Result<(Vec<ImportMovie>, Vec<Problem>), ImportError> {
    let mut lines = Lines::new(skip_invalid);
    let movies = read_movies_with(dir, layout, &mut lines)?;
    Ok((movies, lines.skipped))
}

fn read_movies_with(
    dir: &Path,
    layout: Layout,
    lines: &mut Lines,
) -> Result<Vec<ImportMovie>, ImportError> {
    let mut movies = Vec::new();
    match layout {
        Layout::Csv => {
            let path = dir.join("movies.csv");
            let mut reader = csv::ReaderBuilder::new()
                .flexible(true)
                .from_path(&path)
                .map_err(|e| csv_io(&path, e))?;
            for (index, record) in reader.records().enumerate() {
                let parsed = record.map_err(|e| e.to_string()).and_then(|r| {
                    if r.len() < 3 {
                        return Err("expected movieId,title,genres".to_owned());
                    }
                    movie(&r[0], &r[1], genres_of(r[2].split('|')))
                });
                movies.extend(lines.handle(&path, index + 2, parsed)?);
            }
            let links = dir.join("links.csv");
            if links.is_file() {
                read_links(&links, &mut movies, lines)?;
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
        }
    }
    Ok(movies)
}

fn read_links(
    path: &Path,
    movies: &mut [ImportMovie],
    lines: &mut Lines,
) -> Result<(), ImportError> {
    let ids: HashMap<i32, usize> = movies
        .iter()
        .enumerate()
        .map(|(i, m)| (m.movielens_id, i))
        .collect();
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(path)
        .map_err(|e| csv_io(path, e))?;
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
        if let Some((id, imdb, tmdb)) = lines.handle(path, index + 2, parsed)?
            && let Some(&i) = ids.get(&id)
        {
            movies[i].imdb_id = imdb;
            movies[i].tmdb_id = tmdb;
        }
    }
    Ok(())
}

/// The first four fields of a line and how many there were (up to 4).
fn first_four<'a>(fields: impl Iterator<Item = &'a str>) -> ([&'a str; 4], usize) {
    let mut first = [""; 4];
    let mut count = 0;
    for field in fields.take(4) {
        first[count] = field;
        count += 1;
    }
    (first, count)
}

/// Parses one ratings line; `Ok(None)` for blank lines and the CSV header.
fn parse_rating_line(
    layout: Layout,
    line_no: usize,
    text: &str,
) -> Result<Option<ImportRating>, String> {
    let text = text.trim_end_matches(['\r', '\n']);
    if text.trim().is_empty() || (layout == Layout::Csv && line_no == 1) {
        return Ok(None);
    }
    let (fields, count) = match layout {
        Layout::Csv => first_four(text.split(',')),
        Layout::Ml100k => first_four(text.split('\t')),
        Layout::Ml1m => first_four(text.split("::")),
    };
    let (names, expected) = match layout {
        Layout::Csv => (
            ["userId", "movieId", "rating", "timestamp"],
            "expected userId,movieId,rating,timestamp",
        ),
        Layout::Ml100k => (
            ["user id", "item id", "rating", "timestamp"],
            "expected user<TAB>item<TAB>rating<TAB>timestamp",
        ),
        Layout::Ml1m => (
            ["UserID", "MovieID", "Rating", "Timestamp"],
            "expected UserID::MovieID::Rating::Timestamp",
        ),
    };
    if count < 4 {
        return Err(expected.to_owned());
    }
    Ok(Some(ImportRating {
        user: int(fields[0], names[0])?,
        movie: int(fields[1], names[1])?,
        half_stars: rating_value(fields[2])?,
        timestamp: int(fields[3], names[3])?,
    }))
}

/// Ratings per chunk handed from the parser thread to the writer.
const CHUNK_ROWS: usize = 100_000;

/// A run of parsed ratings.
struct RatingChunk {
    ratings: Vec<ImportRating>,
    /// Lines read so far (including skipped ones).
    lines_read: u64,
    /// File offset reached.
    bytes_read: u64,
    /// Whether some (user, movie) may appear twice in the file so far.
    may_repeat: bool,
}

/// What the parser thread hands back when it is done.
struct ParserSummary {
    skipped: Vec<Problem>,
    skipped_count: u64,
}

/// Parses the ratings file on a blocking thread, sending chunks through a
/// small bounded channel so parsing runs ahead of the database by at most a
/// few chunks.
fn spawn_rating_parser(
    path: PathBuf,
    layout: Layout,
    known_movies: HashSet<i32>,
    skip_invalid: bool,
) -> (
    tokio::sync::mpsc::Receiver<RatingChunk>,
    std::thread::JoinHandle<Result<ParserSummary, ImportError>>,
) {
    let (sender, receiver) = tokio::sync::mpsc::channel(3);
    let handle = std::thread::spawn(move || {
        let file = std::fs::File::open(&path).map_err(|e| io_error(&path, e))?;
        let mut reader = BufReader::with_capacity(1 << 20, file);
        let mut lines = Lines::new(skip_invalid);
        let mut buffer = Vec::with_capacity(256);
        let mut chunk = Vec::with_capacity(CHUNK_ROWS);
        let (mut line_no, mut bytes_read) = (0usize, 0u64);
        // MovieLens files list each user's ratings together; noticing a user
        // come back (or a movie twice within a user) is enough to know
        // whether duplicates need resolving, without remembering every pair.
        let mut current_user: Option<i32> = None;
        let mut current_movies: HashSet<i32> = HashSet::new();
        let mut finished_users: HashSet<i32> = HashSet::new();
        let mut may_repeat = false;
        loop {
            buffer.clear();
            let read = reader
                .read_until(b'\n', &mut buffer)
                .map_err(|e| io_error(&path, e))?;
            if read == 0 {
                break;
            }
            line_no += 1;
            bytes_read += read as u64;
            let text = match std::str::from_utf8(&buffer) {
                Ok(text) => std::borrow::Cow::Borrowed(text),
                Err(_) => std::borrow::Cow::Owned(decode(buffer.clone())),
            };
            let parsed =
                parse_rating_line(layout, line_no, &text).and_then(|rating| match rating {
                    Some(r) if !known_movies.contains(&r.movie) => Err(format!(
                        "movie {} is not in the release's movie list",
                        r.movie
                    )),
                    other => Ok(other),
                });
            let Some(Some(rating)) = lines.handle(&path, line_no, parsed)? else {
                continue;
            };
            if current_user != Some(rating.user) {
                if let Some(previous) = current_user {
                    finished_users.insert(previous);
                }
                may_repeat |= finished_users.contains(&rating.user);
                current_user = Some(rating.user);
                current_movies.clear();
            }
            may_repeat |= !current_movies.insert(rating.movie);
            chunk.push(rating);
            if chunk.len() == CHUNK_ROWS {
                let full = RatingChunk {
                    ratings: std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK_ROWS)),
                    lines_read: line_no as u64,
                    bytes_read,
                    may_repeat,
                };
                if sender.blocking_send(full).is_err() {
                    // The writer stopped (it failed); its error is reported.
                    return Ok(ParserSummary {
                        skipped: lines.skipped,
                        skipped_count: lines.skipped_count,
                    });
                }
            }
        }
        let last = RatingChunk {
            ratings: chunk,
            lines_read: line_no as u64,
            bytes_read,
            may_repeat,
        };
        let _ = sender.blocking_send(last);
        Ok(ParserSummary {
            skipped: lines.skipped,
            skipped_count: lines.skipped_count,
        })
    });
    (receiver, handle)
}

/// Imports the MovieLens release in `dir` in one transaction.
pub async fn import_movielens(
    db: &DatabaseConnection,
    genres: &GenreCatalog,
    dir: &Path,
    options: ImportOptions,
    progress: &ImportProgress,
) -> Result<ImportOutcome, ImportError> {
    let result = run(db, genres, dir, options, progress).await;
    progress.set_phase(if result.is_ok() {
        Phase::Done
    } else {
        Phase::Failed
    });
    result
}

async fn run(
    db: &DatabaseConnection,
    genres: &GenreCatalog,
    dir: &Path,
    options: ImportOptions,
    progress: &ImportProgress,
) -> Result<ImportOutcome, ImportError> {
    let layout = detect_layout(dir)?;
    progress.set_phase(Phase::Movies);
    let mut lines = Lines::new(options.skip_invalid);
    let movies = read_movies_with(dir, layout, &mut lines)?;
    let ratings_path = dir.join(layout.ratings_file());
    let size = std::fs::metadata(&ratings_path)
        .map_err(|e| io_error(&ratings_path, e))?
        .len();
    progress.ratings_bytes_total.store(size, Ordering::Relaxed);

    let started = std::time::Instant::now();
    let mut report = ImportReport::default();
    let mut sink = RatingSink::open(db).await?;
    let txn = super::begin_write(db).await?;
    if db.get_database_backend() == DbBackend::Postgres {
        // The merge and the aggregate pass are long single statements.
        txn.execute_unprepared("SET LOCAL statement_timeout = 0")
            .await?;
    }
    let movie_ids = write_movies(&txn, genres, &movies, &mut report).await?;
    log::info!("movies written in {:.1}s", started.elapsed().as_secs_f64());
    // PostgreSQL creates accounts set-based when merging; only SQLite maps
    // users while streaming.
    let mut users = match sink {
        RatingSink::Sqlite { .. } => MovieLensUsers::load(&txn).await?,
        RatingSink::Postgres { .. } => MovieLensUsers::default(),
    };
    let ratings_were_empty = txn
        .query_one_raw(Statement::from_string(
            txn.get_database_backend(),
            "SELECT COUNT(*) AS n FROM (SELECT 1 FROM ratings LIMIT 1) AS any_rating",
        ))
        .await?
        .map(|row| row.try_get::<i64>("", "n"))
        .transpose()?
        .unwrap_or(0)
        == 0;
    // Count and sum of half stars per MovieLens movie, as streamed: exact
    // aggregates when the table was empty and no pair repeats.
    let mut tallies: HashMap<i32, (i64, i64)> = HashMap::new();
    if let RatingSink::Sqlite { .. } = sink {
        // ~25 bytes per MovieLens rating line.
        sink.prepare_sqlite(&txn, size / 25).await?;
    }

    progress.set_phase(Phase::Ratings);
    let known: HashSet<i32> = movies.iter().map(|m| m.movielens_id).collect();
    let (mut chunks, parser) =
        spawn_rating_parser(ratings_path, layout, known, options.skip_invalid);
    let mut may_repeat = false;
    let mut ratings_read = 0;
    while let Some(mut chunk) = chunks.recv().await {
        if chunk.may_repeat {
            keep_last_of_each_pair(&mut chunk.ratings);
        }
        let stored = chunk.ratings.len() as u64;
        match &mut sink {
            RatingSink::Sqlite { .. } => {
                users.ensure(&txn, &chunk.ratings, &mut report).await?;
                let rows: Vec<RatingRow> = chunk
                    .ratings
                    .iter()
                    .filter_map(|r| {
                        Some(RatingRow {
                            user_id: users.id_of(r.user)?,
                            movie_id: *movie_ids.get(&r.movie)?,
                            half_stars: r.half_stars,
                            timestamp: r.timestamp,
                        })
                    })
                    .collect();
                for part in rows.chunks(SQLITE_ROWS_PER_INSERT) {
                    report.ratings_written += sqlite_upsert(&txn, part).await?;
                }
            }
            RatingSink::Postgres { .. } => sink.stage(&chunk.ratings).await?,
        }
        may_repeat |= chunk.may_repeat;
        for r in &chunk.ratings {
            let tally = tallies.entry(r.movie).or_default();
            tally.0 += 1;
            tally.1 += i64::from(r.half_stars);
        }
        ratings_read = chunk.lines_read;
        progress.ratings_stored.fetch_add(stored, Ordering::Relaxed);
        progress
            .ratings_read
            .store(chunk.lines_read, Ordering::Relaxed);
        progress
            .ratings_bytes_read
            .store(chunk.bytes_read, Ordering::Relaxed);
    }
    // The channel closes when the parser stops: on success, or on an error
    // it returns here (the transaction then rolls back when dropped).
    let summary = parser
        .join()
        .map_err(|_| io_error(dir, std::io::Error::other("the ratings parser panicked")))??;

    log::info!(
        "ratings streamed in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    progress.set_phase(Phase::Merging);
    sink.finish(&txn, may_repeat, &mut report).await?;
    log::info!("ratings merged at {:.1}s", started.elapsed().as_secs_f64());
    progress.set_phase(Phase::Aggregates);
    if report.ratings_written > 0 || report.movies_added > 0 {
        if ratings_were_empty && !may_repeat {
            // Skips a grouped pass over every rating (tens of seconds at 25M).
            write_tallied_aggregates(&txn, &tallies, &movie_ids).await?;
        } else {
            recompute_all_rating_aggregates(&txn).await?;
        }
    }
    log::info!("aggregates at {:.1}s", started.elapsed().as_secs_f64());
    progress.set_phase(Phase::Indexes);
    // After the aggregates: SQLite's grouped scan is fastest without them.
    sink.restore_indexes(&txn).await?;
    txn.commit().await?;
    sink.cleanup(db).await?;
    log::info!("committed at {:.1}s", started.elapsed().as_secs_f64());

    lines.skipped.extend(summary.skipped);
    lines.skipped.truncate(MAX_REPORTED_PROBLEMS);
    Ok(ImportOutcome {
        layout,
        report,
        skipped: lines.skipped,
        skipped_count: lines.skipped_count + summary.skipped_count,
        ratings_read,
    })
}

/// Writes the aggregates counted while streaming into an empty ratings
/// table: every imported movie gets its count, sum and mean.
async fn write_tallied_aggregates(
    txn: &DatabaseTransaction,
    tallies: &HashMap<i32, (i64, i64)>,
    movie_ids: &HashMap<i32, i32>,
) -> Result<(), DbErr> {
    use std::fmt::Write;
    let rows: Vec<(i32, i64, i64)> = tallies
        .iter()
        .filter_map(|(movielens, &(count, sum))| Some((*movie_ids.get(movielens)?, count, sum)))
        .collect();
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

/// Drops all but the last line of each (user, movie) pair, keeping order.
/// Pairs repeated across chunks are resolved by the database: the later
/// chunk's upsert (SQLite) or the merge's `DISTINCT ON` (PostgreSQL).
fn keep_last_of_each_pair(ratings: &mut Vec<ImportRating>) {
    let mut seen = HashSet::with_capacity(ratings.len());
    let mut kept: Vec<ImportRating> = ratings
        .iter()
        .rev()
        .filter(|r| seen.insert((r.user, r.movie)))
        .copied()
        .collect();
    kept.reverse();
    *ratings = kept;
}

/// Adds and updates movies (matched by MovieLens id); returns MovieLens id →
/// cinerank id for every movie of the release.
async fn write_movies(
    txn: &DatabaseTransaction,
    genres: &GenreCatalog,
    movies: &[ImportMovie],
    report: &mut ImportReport,
) -> Result<HashMap<i32, i32>, ImportError> {
    let now = Utc::now();
    let existing: HashMap<i32, movie::Model> = movie::Entity::find()
        .filter(movie::Column::MovielensId.is_not_null())
        .all(txn)
        .await?
        .into_iter()
        .filter_map(|m| Some((m.movielens_id?, m)))
        .collect();
    let mut genre_links: HashMap<i32, Vec<i32>> = HashMap::new();
    for link in movie_genre::Entity::find().all(txn).await? {
        genre_links
            .entry(link.movie_id)
            .or_default()
            .push(link.genre_id);
    }
    let genre_ids_of = |m: &ImportMovie| {
        let mut ids: Vec<i32> = m.genres.iter().filter_map(|g| genres.resolve(g)).collect();
        ids.sort_unstable();
        ids
    };

    let mut movie_ids: HashMap<i32, i32> = HashMap::with_capacity(movies.len());
    let mut new_movies = Vec::new();
    for m in movies {
        let Some(old) = existing.get(&m.movielens_id) else {
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
            active.year = Set(m.year);
            if m.imdb_id.is_some() {
                active.imdb_id = Set(m.imdb_id.clone());
            }
            if m.tmdb_id.is_some() {
                active.tmdb_id = Set(m.tmdb_id);
            }
            active.updated_at = Set(now);
            active.update(txn).await?;
        }
        if current != genre_ids {
            set_movie_genres(txn, old.id, &genre_ids).await?;
        }
        if changed_fields || current != genre_ids {
            report.movies_updated += 1;
        }
        movie_ids.insert(m.movielens_id, old.id);
    }

    // New movies in batches: one insert, one id lookup and one genre insert
    // per batch instead of three statements per movie.
    for batch in new_movies.chunks(500) {
        let rows = batch.iter().map(|m| movie::ActiveModel {
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
        });
        movie::Entity::insert_many(rows)
            .exec_without_returning(txn)
            .await?;
        let ids: Vec<(i32, Option<i32>)> = movie::Entity::find()
            .select_only()
            .column(movie::Column::Id)
            .column(movie::Column::MovielensId)
            .filter(movie::Column::MovielensId.is_in(batch.iter().map(|m| m.movielens_id)))
            .into_tuple()
            .all(txn)
            .await?;
        let by_movielens: HashMap<i32, i32> = ids
            .into_iter()
            .filter_map(|(id, ml)| Some((ml?, id)))
            .collect();
        let mut links = Vec::new();
        for m in batch {
            let Some(&id) = by_movielens.get(&m.movielens_id) else {
                continue;
            };
            movie_ids.insert(m.movielens_id, id);
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
                .await?;
        }
        report.movies_added += batch.len() as u64;
    }
    Ok(movie_ids)
}

/// MovieLens user id → cinerank account id. Accounts are `movielens:N`: that
/// cannot collide with a registered username (those may not contain `:`),
/// and they have no password, so nobody can sign in as them.
#[derive(Default)]
struct MovieLensUsers {
    ids: HashMap<i32, i32>,
}

impl MovieLensUsers {
    async fn load(txn: &DatabaseTransaction) -> Result<MovieLensUsers, DbErr> {
        let rows: Vec<(i32, Option<String>)> = user::Entity::find()
            .select_only()
            .column(user::Column::Id)
            .column(user::Column::ExternalId)
            .filter(user::Column::ExternalId.starts_with("movielens:"))
            .into_tuple()
            .all(txn)
            .await?;
        let ids = rows
            .into_iter()
            .filter_map(|(id, external)| {
                let n = external?.strip_prefix("movielens:")?.parse().ok()?;
                Some((n, id))
            })
            .collect();
        Ok(MovieLensUsers { ids })
    }

    fn id_of(&self, movielens_user: i32) -> Option<i32> {
        self.ids.get(&movielens_user).copied()
    }

    /// Creates the accounts this chunk needs that do not exist yet.
    async fn ensure(
        &mut self,
        txn: &DatabaseTransaction,
        ratings: &[ImportRating],
        report: &mut ImportReport,
    ) -> Result<(), DbErr> {
        let mut missing: Vec<i32> = ratings
            .iter()
            .map(|r| r.user)
            .filter(|u| !self.ids.contains_key(u))
            .collect();
        missing.sort_unstable();
        missing.dedup();
        let now = Utc::now();
        for batch in missing.chunks(500) {
            let names: Vec<String> = batch.iter().map(|n| format!("movielens:{n}")).collect();
            let rows = names.iter().map(|name| user::ActiveModel {
                username: Set(name.clone()),
                email: Set(None),
                password_hash: Set(None),
                role: Set("user".to_owned()),
                external_id: Set(Some(name.clone())),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            });
            user::Entity::insert_many(rows)
                .exec_without_returning(txn)
                .await?;
            let created: Vec<(i32, Option<String>)> = user::Entity::find()
                .select_only()
                .column(user::Column::Id)
                .column(user::Column::ExternalId)
                .filter(user::Column::ExternalId.is_in(names))
                .into_tuple()
                .all(txn)
                .await?;
            for (id, external) in created {
                if let Some(n) = external
                    .and_then(|e| e.strip_prefix("movielens:").map(str::to_owned))
                    .and_then(|n| n.parse().ok())
                {
                    self.ids.insert(n, id);
                }
            }
            report.users_added += batch.len() as u64;
        }
        Ok(())
    }
}

/// A rating ready for the database.
#[derive(Clone, Copy, Debug)]
struct RatingRow {
    user_id: i32,
    movie_id: i32,
    half_stars: i16,
    timestamp: i64,
}

impl RatingRow {
    fn rated_at(&self) -> DateTime<Utc> {
        DateTime::from_timestamp(self.timestamp, 0).unwrap_or_default()
    }
}

/// Name of PostgreSQL's staging table (one import at a time holds it, see
/// [`IMPORT_LOCK_KEY`]).
const STAGING_TABLE: &str = "cinerank_import_ratings";
/// Advisory lock key serialising imports on PostgreSQL ("cinerank" in ASCII).
const IMPORT_LOCK_KEY: i64 = 0x63_69_6e_65_72_61_6e_6b;
/// Rows per multi-row INSERT on SQLite: 5 parameters each stays under
/// SQLite's 32,766-parameter limit.
const SQLITE_ROWS_PER_INSERT: usize = 6_000;

/// Where ratings go while streaming.
enum RatingSink {
    /// Multi-row upserts inside the import transaction.
    Sqlite {
        /// Secondary indexes of `ratings` dropped for a bulk load, to be
        /// recreated (their `CREATE INDEX` statements) before commit.
        dropped_indexes: Vec<String>,
    },
    /// `COPY` of MovieLens ids into an unlogged staging table over a
    /// connection of its own (it cannot share the transaction's), merged by
    /// set-based statements inside the transaction at the end.
    Postgres {
        connection: Box<sea_orm::sqlx::PgConnection>,
        staged: u64,
    },
}

/// Below this many new ratings a bulk load is not worth rebuilding indexes.
const BULK_MINIMUM: u64 = 100_000;

impl RatingSink {
    async fn open(db: &DatabaseConnection) -> Result<RatingSink, ImportError> {
        if db.get_database_backend() != DbBackend::Postgres {
            return Ok(RatingSink::Sqlite {
                dropped_indexes: Vec::new(),
            });
        }
        use sea_orm::sqlx::Connection;
        let pool = db.get_postgres_connection_pool();
        let mut connection = pool.acquire().await.map_err(sqlx_error)?.detach();
        // Waits for another import to finish; a killed importer's session
        // ends and releases the lock with it.
        sea_orm::sqlx::query("SELECT pg_advisory_lock($1)")
            .bind(IMPORT_LOCK_KEY)
            .execute(&mut connection)
            .await
            .map_err(sqlx_error)?;
        // Bulk statements outlast the per-request statement timeout.
        sea_orm::sqlx::raw_sql(AssertSqlSafe(format!(
            "SET statement_timeout = 0; DROP TABLE IF EXISTS {STAGING_TABLE}; \
             CREATE UNLOGGED TABLE {STAGING_TABLE} (\
               user_id integer NOT NULL, movie_id integer NOT NULL, \
               half_stars smallint NOT NULL, rated_at bigint NOT NULL, seq bigint NOT NULL)"
        )))
        .execute(&mut connection)
        .await
        .map_err(sqlx_error)?;
        connection.ping().await.map_err(sqlx_error)?;
        Ok(RatingSink::Postgres {
            connection: Box::new(connection),
            staged: 0,
        })
    }

    /// SQLite: a bigger page cache for this import, and for a bulk load
    /// (more new ratings expected than the table holds) the secondary
    /// indexes go and are rebuilt once at the end, which is several times
    /// faster than updating them row by row. DDL is transactional in
    /// SQLite, so a crash still leaves the old table and indexes.
    async fn prepare_sqlite(
        &mut self,
        txn: &DatabaseTransaction,
        expected_rows: u64,
    ) -> Result<(), DbErr> {
        let RatingSink::Sqlite { dropped_indexes } = self else {
            return Ok(());
        };
        txn.execute_unprepared("PRAGMA cache_size = -262144")
            .await?;
        let existing = txn
            .query_one_raw(Statement::from_string(
                DbBackend::Sqlite,
                "SELECT COALESCE(MAX(rowid), 0) AS n FROM ratings",
            ))
            .await?
            .map(|row| row.try_get::<i64>("", "n"))
            .transpose()?
            .unwrap_or(0);
        if expected_rows < BULK_MINIMUM || expected_rows <= existing.max(0) as u64 {
            return Ok(());
        }
        // Index rebuilds sort: with 1 GiB of cache a 25M-row index sorts in
        // memory (half the time of 512 MiB), with a helper thread.
        txn.execute_unprepared("PRAGMA cache_size = -1048576; PRAGMA threads = 2")
            .await?;
        let indexes = txn
            .query_all_raw(Statement::from_string(
                DbBackend::Sqlite,
                "SELECT name, sql FROM sqlite_master \
                 WHERE type = 'index' AND tbl_name = 'ratings' AND sql IS NOT NULL",
            ))
            .await?;
        for row in indexes {
            let name: String = row.try_get("", "name")?;
            let sql: String = row.try_get("", "sql")?;
            txn.execute_unprepared(&format!("DROP INDEX \"{}\"", name.replace('"', "\"\"")))
                .await?;
            dropped_indexes.push(sql);
        }
        Ok(())
    }

    /// PostgreSQL: sends a chunk of MovieLens-id ratings to the staging table.
    async fn stage(&mut self, ratings: &[ImportRating]) -> Result<(), DbErr> {
        let RatingSink::Postgres { connection, staged } = self else {
            return Ok(());
        };
        use std::io::Write;
        let mut data = Vec::with_capacity(ratings.len() * 40);
        for r in ratings {
            *staged += 1;
            let _ = writeln!(
                data,
                "{}\t{}\t{}\t{}\t{}",
                r.user, r.movie, r.half_stars, r.timestamp, staged
            );
        }
        let mut copy = connection
            .copy_in_raw(&format!(
                "COPY {STAGING_TABLE} (user_id, movie_id, half_stars, rated_at, seq) FROM STDIN"
            ))
            .await
            .map_err(sqlx_db_error)?;
        copy.send(data).await.map_err(sqlx_db_error)?;
        copy.finish().await.map_err(sqlx_db_error)?;
        Ok(())
    }

    /// PostgreSQL: creates the missing accounts and merges the staged
    /// ratings (SQLite wrote them while streaming).
    async fn finish(
        &mut self,
        txn: &DatabaseTransaction,
        may_repeat: bool,
        report: &mut ImportReport,
    ) -> Result<(), DbErr> {
        match self {
            RatingSink::Sqlite { .. } => Ok(()),
            RatingSink::Postgres { staged, .. } => {
                postgres_merge(txn, *staged, may_repeat, report).await
            }
        }
    }

    /// SQLite: recreates the indexes a bulk load dropped.
    async fn restore_indexes(&mut self, txn: &DatabaseTransaction) -> Result<(), DbErr> {
        if let RatingSink::Sqlite { dropped_indexes } = self {
            for sql in dropped_indexes.drain(..) {
                txn.execute_unprepared(&sql).await?;
            }
            // This connection goes back to the pool: SQLite's defaults.
            txn.execute_unprepared("PRAGMA cache_size = -2000; PRAGMA threads = 0")
                .await?;
        }
        Ok(())
    }

    /// Drops the staging table and releases the import lock (PostgreSQL);
    /// then refreshes the planner's statistics.
    async fn cleanup(self, db: &DatabaseConnection) -> Result<(), DbErr> {
        match self {
            RatingSink::Postgres { mut connection, .. } => {
                use sea_orm::sqlx::Connection;
                sea_orm::sqlx::raw_sql(AssertSqlSafe(format!(
                    "DROP TABLE IF EXISTS {STAGING_TABLE}"
                )))
                .execute(&mut *connection)
                .await
                .map_err(sqlx_db_error)?;
                connection.close().await.map_err(sqlx_db_error)?;
                db.execute_unprepared("ANALYZE").await?;
            }
            RatingSink::Sqlite { .. } => {
                // A sampled ANALYZE: a full one reads every index of a
                // 25M-row table.
                db.execute_unprepared("PRAGMA analysis_limit = 1000; ANALYZE")
                    .await?;
            }
        }
        Ok(())
    }
}

/// Creates the accounts the staged ratings need, then writes the ratings.
/// A bulk load (more new ratings than the table holds) updates changed rows,
/// drops the table's keys and indexes, appends the new rows with one
/// anti-join insert and rebuilds keys and indexes from their own
/// definitions — all inside the import transaction, so a crash changes
/// nothing; the table is locked for other writers and readers meanwhile.
/// Smaller imports use one `INSERT … ON CONFLICT`.
async fn postgres_merge(
    txn: &DatabaseTransaction,
    staged: u64,
    may_repeat: bool,
    report: &mut ImportReport,
) -> Result<(), DbErr> {
    txn.execute_unprepared(
        "SET LOCAL work_mem = '256MB'; SET LOCAL maintenance_work_mem = '512MB'",
    )
    .await?;
    let users = txn
        .execute_unprepared(&format!(
            "INSERT INTO users (username, email, password_hash, role, external_id, created_at, updated_at) \
             SELECT 'movielens:' || d.user_id, NULL, NULL, 'user', 'movielens:' || d.user_id, now(), now() \
             FROM (SELECT DISTINCT user_id FROM {STAGING_TABLE}) AS d \
             WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.external_id = 'movielens:' || d.user_id) \
             ORDER BY d.user_id"
        ))
        .await?;
    report.users_added += users.rows_affected();
    // Fresh statistics (our own uncommitted rows count) so the merge joins
    // by hash instead of guessing from an empty staging table.
    txn.execute_unprepared(&format!(
        "ANALYZE {STAGING_TABLE}; ANALYZE users; ANALYZE movies"
    ))
    .await?;

    // A (user, movie) listed twice keeps its last line, as in the SQLite
    // path; the sort is only paid when the parser saw it could happen.
    let staged_rows = if may_repeat {
        format!(
            "(SELECT DISTINCT ON (user_id, movie_id) user_id, movie_id, half_stars, rated_at \
              FROM {STAGING_TABLE} ORDER BY user_id, movie_id, seq DESC)"
        )
    } else {
        STAGING_TABLE.to_owned()
    };
    let source = format!(
        "(SELECT u.id AS user_id, m.id AS movie_id, s.half_stars, to_timestamp(s.rated_at) AS rated_at \
          FROM {staged_rows} AS s \
          JOIN users u ON u.external_id = 'movielens:' || s.user_id \
          JOIN movies m ON m.movielens_id = s.movie_id)"
    );
    let existing = txn
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT COUNT(*) AS n FROM ratings",
        ))
        .await?
        .map(|row| row.try_get::<i64>("", "n"))
        .transpose()?
        .unwrap_or(0)
        .max(0) as u64;
    if staged < BULK_MINIMUM || staged <= existing {
        let merged = txn
            .execute_unprepared(&format!(
                "INSERT INTO ratings (user_id, movie_id, half_stars, created_at, updated_at) \
                 SELECT s.user_id, s.movie_id, s.half_stars, s.rated_at, s.rated_at FROM {source} AS s \
                 ON CONFLICT (user_id, movie_id) DO UPDATE \
                   SET half_stars = EXCLUDED.half_stars, updated_at = EXCLUDED.updated_at \
                   WHERE ratings.half_stars <> EXCLUDED.half_stars"
            ))
            .await?;
        report.ratings_written += merged.rows_affected();
        return Ok(());
    }

    if existing > 0 {
        let updated = txn
            .execute_unprepared(&format!(
                "UPDATE ratings r SET half_stars = s.half_stars, updated_at = s.rated_at FROM {source} AS s \
                 WHERE r.user_id = s.user_id AND r.movie_id = s.movie_id AND r.half_stars <> s.half_stars"
            ))
            .await?;
        report.ratings_written += updated.rows_affected();
    }
    let constraints = txn
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT conname::text AS name, pg_get_constraintdef(oid) AS def, contype::text AS kind \
             FROM pg_constraint WHERE conrelid = 'ratings'::regclass AND contype IN ('p', 'f') \
             ORDER BY contype DESC",
        ))
        .await?;
    let indexes = txn
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT pg_get_indexdef(indexrelid) AS def, indexrelid::regclass::text AS name \
             FROM pg_index WHERE indrelid = 'ratings'::regclass AND NOT indisprimary",
        ))
        .await?;
    let mut rebuild = Vec::new();
    for row in constraints.iter().rev() {
        let name: String = row.try_get("", "name")?;
        let def: String = row.try_get("", "def")?;
        txn.execute_unprepared(&format!("ALTER TABLE ratings DROP CONSTRAINT \"{name}\""))
            .await?;
        rebuild.push(format!(
            "ALTER TABLE ratings ADD CONSTRAINT \"{name}\" {def}"
        ));
    }
    rebuild.reverse();
    for row in &indexes {
        let name: String = row.try_get("", "name")?;
        let def: String = row.try_get("", "def")?;
        txn.execute_unprepared(&format!("DROP INDEX {name}"))
            .await?;
        rebuild.insert(1.min(rebuild.len()), def);
    }
    let not_there = if existing > 0 {
        "WHERE NOT EXISTS (SELECT 1 FROM ratings r WHERE r.user_id = s.user_id AND r.movie_id = s.movie_id)"
    } else {
        ""
    };
    let inserted = txn
        .execute_unprepared(&format!(
            "INSERT INTO ratings (user_id, movie_id, half_stars, created_at, updated_at) \
             SELECT s.user_id, s.movie_id, s.half_stars, s.rated_at, s.rated_at FROM {source} AS s {not_there}"
        ))
        .await?;
    report.ratings_written += inserted.rows_affected();
    for statement in rebuild {
        txn.execute_unprepared(&statement).await?;
    }
    Ok(())
}

fn sqlx_error(err: sea_orm::sqlx::Error) -> ImportError {
    ImportError::Db(sqlx_db_error(err))
}

fn sqlx_db_error(err: sea_orm::sqlx::Error) -> DbErr {
    DbErr::Custom(format!("staging ratings: {err}"))
}

/// One multi-row upsert; only ratings whose value differs are rewritten, so
/// a repeated import changes nothing.
async fn sqlite_upsert(txn: &DatabaseTransaction, rows: &[RatingRow]) -> Result<u64, DbErr> {
    let mut sql = String::with_capacity(64 + rows.len() * 18);
    sql.push_str(
        "INSERT INTO ratings (user_id, movie_id, half_stars, created_at, updated_at) VALUES ",
    );
    let mut values: Vec<Value> = Vec::with_capacity(rows.len() * 5);
    for (i, row) in rows.iter().enumerate() {
        sql.push_str(if i == 0 {
            "(?,?,?,?,?)"
        } else {
            ",(?,?,?,?,?)"
        });
        let at = row.rated_at();
        values.push(row.user_id.into());
        values.push(row.movie_id.into());
        values.push(row.half_stars.into());
        values.push(at.into());
        values.push(at.into());
    }
    sql.push_str(
        " ON CONFLICT (user_id, movie_id) DO UPDATE \
           SET half_stars = excluded.half_stars, updated_at = excluded.updated_at \
           WHERE ratings.half_stars <> excluded.half_stars",
    );
    let result = txn
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Sqlite,
            sql,
            values,
        ))
        .await?;
    Ok(result.rows_affected())
}
