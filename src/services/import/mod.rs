//! `cinerank import movielens DIR`, admin import jobs and empty-database
//! seeding: one importer that loads a folder read by [`crate::dataset`] —
//! a MovieLens release (`ml-latest-small`/`ml-25m`/`ml-32m`, `ml-100k`,
//! `ml-1m`) or cinerank's own seed folder — into the catalogue.
//!
//! - Idempotent: MovieLens movies are matched by MovieLens id and unchanged
//!   rows are not touched, so a second run writes nothing and a newer
//!   release adds and updates.
//! - All or nothing: one write transaction. A crash (even `kill -9`) leaves
//!   the previous state; PostgreSQL's staging table is outside it and is
//!   dropped by the next import.
//! - Streaming: movies are small and read whole; ratings are parsed on a
//!   blocking thread ([`parser`]) and written in chunks while the next chunk
//!   is parsed, so memory stays flat at any size. Where they go is the
//!   backend's business ([`sink`]): this flow does not branch on it.
//! - Strict by default: the first malformed line aborts with file:line;
//!   `skip_invalid` skips and reports instead. Data-quality anomalies
//!   ([`Quirks`]) never fail a MovieLens import; they are repaired, counted
//!   and reported. The seed folder is ours, so there any anomaly that would
//!   drop data is an error.

mod movies;
mod parser;
mod progress;
mod sink;

use std::collections::{HashMap, HashSet};
use std::path::Path;

use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, PaginatorTrait, Statement};

pub use self::progress::{ImportProgress, Phase};
use self::sink::RatingSink;
use super::catalog::{GenreCatalog, add_credits};
use super::seed::recompute_all_rating_aggregates;
use crate::dataset::{
    CREDITS_FILE, LineErrors, MovieRecord, detect_layout, read_credits, read_movies,
};
pub use crate::dataset::{DatasetError, Layout, MAX_REPORTED_PROBLEMS, Problem, Quirk, Quirks};

/// Why an import failed (nothing was stored).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The folder could not be read: no known layout, an unreadable file,
    /// or a malformed line (strict mode, or an anomaly in the seed folder).
    #[error(transparent)]
    Read(#[from] DatasetError),
    /// The database refused a write.
    #[error("database error while writing {context}: {message}")]
    Db {
        /// What was being written (file, lines, movieId).
        context: String,
        /// The database's own words, once.
        message: String,
        /// The error itself; not a `source`, because its text (repeated by
        /// each wrapper) is already in `message`.
        error: DbErr,
    },
}

impl ImportError {
    fn io(path: &Path, source: std::io::Error) -> ImportError {
        ImportError::Read(DatasetError::Io {
            path: path.to_owned(),
            source,
        })
    }
}

/// The innermost message of a database error: SeaORM wraps sqlx's error,
/// which wraps the driver's, and each level repeats the one below.
fn innermost_message(err: &DbErr) -> String {
    let mut current: &dyn std::error::Error = err;
    while let Some(next) = current.source() {
        current = next;
    }
    current.to_string()
}

/// Adds what was being written to a database error.
pub(crate) trait WriteContext<T> {
    /// `context` names the file, lines and movie the write was for.
    fn writing(self, context: impl FnOnce() -> String) -> Result<T, ImportError>;
}

impl<T> WriteContext<T> for Result<T, DbErr> {
    fn writing(self, context: impl FnOnce() -> String) -> Result<T, ImportError> {
        self.map_err(|error| ImportError::Db {
            context: context(),
            message: innermost_message(&error),
            error,
        })
    }
}

/// What an import changed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// Movies added.
    pub movies_added: u64,
    /// Movies whose title, year, genres or ids changed.
    pub movies_updated: u64,
    /// Accounts added (dataset users; they cannot log in).
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
    /// Data-quality anomalies met and repaired, with examples.
    pub quirks: Quirks,
}

/// How an import behaves.
#[derive(Clone, Copy, Debug, Default)]
pub struct ImportOptions {
    /// Skip malformed lines and report them instead of aborting.
    pub skip_invalid: bool,
}

/// Whose data a folder holds: decides how movies are matched and how its
/// users are named.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Source {
    /// A MovieLens release: movies matched by MovieLens id, users
    /// `movielens:N`.
    MovieLens,
    /// cinerank's seed folder, loaded into an empty catalogue: users
    /// `seed_user_N` (external id `seed:N`); anomalies that drop data are errors.
    Seed,
}

impl Source {
    /// External-id prefix of this source's accounts.
    pub(crate) fn external_prefix(self) -> &'static str {
        match self {
            Source::MovieLens => "movielens:",
            Source::Seed => "seed:",
        }
    }

    /// Username prefix of this source's accounts (neither can collide with a
    /// registered name).
    pub(crate) fn username_prefix(self) -> &'static str {
        match self {
            Source::MovieLens => "movielens:",
            Source::Seed => "seed_user_",
        }
    }
}

/// Imports the MovieLens release in `dir` in one transaction.
pub async fn import_movielens(
    db: &DatabaseConnection,
    genres: &GenreCatalog,
    dir: &Path,
    options: ImportOptions,
    progress: &ImportProgress,
) -> Result<ImportOutcome, ImportError> {
    let result = run(db, genres, dir, Source::MovieLens, options, progress).await;
    progress.set_phase(if result.is_ok() {
        Phase::Done
    } else {
        Phase::Failed
    });
    result.map(|outcome| outcome.unwrap_or_else(nothing_imported))
}

/// Only seeding stops early (the catalogue was not empty); a MovieLens
/// import always runs, so this outcome is never seen. Kept total instead of
/// panicking.
fn nothing_imported() -> ImportOutcome {
    ImportOutcome {
        layout: Layout::Csv,
        report: ImportReport::default(),
        skipped: Vec::new(),
        skipped_count: 0,
        ratings_read: 0,
        quirks: Quirks::default(),
    }
}

/// Loads the seed folder `dir` when the catalogue is empty (`None` when it
/// was not). Several instances may start at once: one seeds.
pub(crate) async fn import_seed(
    db: &DatabaseConnection,
    genres: &GenreCatalog,
    dir: &Path,
) -> Result<Option<ImportOutcome>, ImportError> {
    let progress = ImportProgress::default();
    run(
        db,
        genres,
        dir,
        Source::Seed,
        ImportOptions::default(),
        &progress,
    )
    .await
}

/// The seed folder's own anomalies are mistakes in our data: fail on any
/// that would drop something.
fn refuse_dropped_data(source: Source, quirks: &Quirks, dir: &Path) -> Result<(), ImportError> {
    if source != Source::Seed {
        return Ok(());
    }
    match quirks.first_dropping() {
        None => Ok(()),
        Some((_, example)) => Err(ImportError::Read(DatasetError::Invalid(Problem::line(
            &dir.join(&example.file),
            example.line,
            example.detail.clone(),
        )))),
    }
}

/// The `n` column of a one-row query (a count), 0 when there is no row.
pub(crate) async fn count_rows(db: &impl ConnectionTrait, sql: &str) -> Result<i64, DbErr> {
    Ok(db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await?
        .map(|row| row.try_get::<i64>("", "n"))
        .transpose()?
        .unwrap_or(0))
}

async fn catalogue_has_movies(db: &impl ConnectionTrait) -> Result<bool, ImportError> {
    let movies = entity::movie::Entity::find()
        .count(db)
        .await
        .writing(|| "the catalogue check".to_owned())?;
    Ok(movies > 0)
}

async fn run(
    db: &DatabaseConnection,
    genres: &GenreCatalog,
    dir: &Path,
    source: Source,
    options: ImportOptions,
    progress: &ImportProgress,
) -> Result<Option<ImportOutcome>, ImportError> {
    let layout = if source == Source::Seed {
        Layout::Csv
    } else {
        detect_layout(dir)?
    };
    progress.set_phase(Phase::Movies);
    let mut errors = LineErrors::new(options.skip_invalid);
    let mut quirks = Quirks::default();
    let mut records: Vec<MovieRecord> = read_movies(dir, layout, &mut errors, &mut quirks)?;
    refuse_dropped_data(source, &quirks, dir)?;
    let ratings_path = dir.join(layout.ratings_file());
    let ratings_present = source != Source::Seed || ratings_path.is_file();
    let size = if ratings_present {
        std::fs::metadata(&ratings_path)
            .map_err(|source| ImportError::io(&ratings_path, source))?
            .len()
    } else {
        0
    };
    progress.set_ratings_bytes_total(size);

    let started = std::time::Instant::now();
    let mut report = ImportReport::default();
    // Every start of a server seeds "if empty": answer the common case
    // without taking locks; an empty catalogue is checked again below,
    // under the lock, because several instances may start at once.
    if source == Source::Seed && catalogue_has_movies(db).await? {
        return Ok(None);
    }
    let mut sink = RatingSink::open(db, source)
        .await
        .writing(|| "the ratings staging area".to_owned())?;
    let txn = super::begin_write(db)
        .await
        .writing(|| "the import transaction".to_owned())?;
    if source == Source::Seed {
        sink.serialise_seeding(&txn)
            .await
            .writing(|| "the seed lock".to_owned())?;
        if catalogue_has_movies(&txn).await? {
            drop(txn);
            sink.cleanup(db, false)
                .await
                .writing(|| "the staging area".to_owned())?;
            return Ok(None);
        }
    }
    sink.begin(&txn, size / 25)
        .await
        .writing(|| "the import settings".to_owned())?;
    let movie_ids = movies::write_movies(
        &txn,
        genres,
        &mut records,
        source,
        &mut report,
        &mut quirks,
        &dir.join(layout.movies_file()),
    )
    .await?;
    let credits = read_credits(dir)?;
    if !credits.is_empty() {
        let written = add_credits(&txn, &credits, &movie_ids)
            .await
            .writing(|| dir.join(CREDITS_FILE).display().to_string())?;
        log::info!("{written} credits written");
    }
    log::info!("movies written in {:.1}s", started.elapsed().as_secs_f64());
    let ratings_were_empty = count_rows(
        &txn,
        "SELECT COUNT(*) AS n FROM (SELECT 1 FROM ratings LIMIT 1) AS any_rating",
    )
    .await
    .writing(|| "the ratings check".to_owned())?
        == 0;

    progress.set_phase(Phase::Ratings);
    let known: HashMap<i32, i32> = movie_ids;
    let mut may_repeat = false;
    let mut ratings_read = 0;
    // Count and sum of half stars per cinerank movie, as streamed: exact
    // aggregates when the table was empty and no pair repeats.
    let mut tallies: HashMap<i32, (i64, i64)> = HashMap::new();
    if ratings_present {
        let listed: HashSet<i32> = known.keys().copied().collect();
        let (mut chunks, reader) = parser::spawn(
            ratings_path.clone(),
            layout,
            listed,
            dir.join(layout.movies_file()),
            options.skip_invalid,
        );
        while let Some(mut chunk) = chunks.recv().await {
            if chunk.may_repeat {
                parser::keep_last_of_each_pair(&mut chunk.ratings);
            }
            let rows: Vec<sink::RatingRow> = chunk
                .ratings
                .iter()
                .filter_map(|r| {
                    Some(sink::RatingRow {
                        source_user: r.user,
                        movie_id: *known.get(&r.movie)?,
                        half_stars: r.half_stars.get(),
                        timestamp: r.timestamp,
                    })
                })
                .collect();
            let (first, last) = (chunk.first_line, chunk.lines_read);
            sink.write(&txn, &rows, &mut report)
                .await
                .writing(|| format!("{}:{first}-{last}", ratings_path.display()))?;
            may_repeat |= chunk.may_repeat;
            for r in &rows {
                let tally = tallies.entry(r.movie_id).or_default();
                tally.0 += 1;
                tally.1 += i64::from(r.half_stars);
            }
            ratings_read = chunk.lines_read;
            progress.add_stored(rows.len() as u64);
            progress.set_read(chunk.lines_read, chunk.bytes_read);
        }
        // The channel closes when the parser stops: on success, or on an
        // error it returns here (the transaction then rolls back when dropped).
        let summary = reader.join().map_err(|_| {
            ImportError::io(
                &ratings_path,
                std::io::Error::other("the ratings parser panicked"),
            )
        })??;
        errors.absorb(summary.errors);
        quirks.absorb(summary.quirks);
        refuse_dropped_data(source, &quirks, dir)?;
    }
    log::info!(
        "ratings streamed in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    progress.set_phase(Phase::Merging);
    sink.finish(&txn, may_repeat, &mut report)
        .await
        .writing(|| format!("{} (merge)", ratings_path.display()))?;
    log::info!("ratings merged at {:.1}s", started.elapsed().as_secs_f64());
    progress.set_phase(Phase::Aggregates);
    if report.ratings_written > 0 || report.movies_added > 0 {
        let aggregates = if ratings_were_empty && !may_repeat {
            // Skips a grouped pass over every rating (tens of seconds at 25M).
            movies::write_tallied_aggregates(&txn, &tallies).await
        } else {
            recompute_all_rating_aggregates(&txn).await
        };
        aggregates.writing(|| "the movies' rating aggregates".to_owned())?;
    }
    log::info!("aggregates at {:.1}s", started.elapsed().as_secs_f64());
    progress.set_phase(Phase::Indexes);
    sink.restore_indexes(&txn)
        .await
        .writing(|| "the ratings indexes".to_owned())?;
    // Every instance (and a server running beside `cinerank import`) drops
    // its caches when this commits.
    crate::services::changes::record(&txn, &[crate::services::changes::Change::Everything])
        .await
        .writing(|| "the change log".to_owned())?;
    txn.commit()
        .await
        .writing(|| "the import (commit)".to_owned())?;
    sink.cleanup(db, true)
        .await
        .writing(|| "the staging area".to_owned())?;
    log::info!("committed at {:.1}s", started.elapsed().as_secs_f64());

    Ok(Some(ImportOutcome {
        layout,
        report,
        skipped: errors.skipped,
        skipped_count: errors.skipped_count,
        ratings_read,
        quirks,
    }))
}
