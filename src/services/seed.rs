//! Empty-database seeding: the seed folder (`seed_data/`: `movies.csv` with
//! overview, poster, price and stock columns, and `ratings.csv`, both in the
//! MovieLens csv layout) is imported by the same importer as a MovieLens
//! release, once, when the catalogue has no movies.

use std::path::{Path, PathBuf};

use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr};

use super::catalog::GenreCatalog;
use super::import::{DatasetError, ImportError, import_seed};

/// Why seeding failed (nothing was stored).
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
    #[error("{0}")]
    Db(ImportError),
}

impl From<ImportError> for SeedError {
    fn from(err: ImportError) -> SeedError {
        match err {
            ImportError::Read(DatasetError::Io { path, source }) => SeedError::Io { path, source },
            ImportError::Read(DatasetError::Invalid(problem)) => SeedError::Invalid {
                path: problem.path,
                line: problem.line,
                message: problem.message,
            },
            ImportError::Read(DatasetError::UnknownLayout(dir)) => SeedError::Io {
                path: dir.join("movies.csv"),
                source: std::io::Error::new(std::io::ErrorKind::NotFound, "no movies.csv"),
            },
            other @ ImportError::Db { .. } => SeedError::Db(other),
        }
    }
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

/// Loads `dir/movies.csv` and (if present) `dir/ratings.csv` when the
/// database has no movies yet. Returns `None` when it already had some.
/// All or nothing: one transaction. The seed folder is ours, so a malformed
/// line or an anomaly that would drop data (an unknown genre, a rating of a
/// movie not listed, a pair rated twice) is an error naming file and line.
pub async fn seed_if_empty(
    db: &DatabaseConnection,
    genres: &GenreCatalog,
    dir: &Path,
) -> Result<Option<SeedReport>, SeedError> {
    let Some(outcome) = import_seed(db, genres, dir).await? else {
        return Ok(None);
    };
    Ok(Some(SeedReport {
        movies: outcome.report.movies_added,
        users: outcome.report.users_added,
        ratings: outcome.report.ratings_written,
    }))
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
    use std::path::Path;

    use crate::dataset::{Layout, LineErrors, Quirks, read_movies};

    fn read(dir: &Path) -> Result<Vec<crate::dataset::MovieRecord>, crate::dataset::DatasetError> {
        read_movies(
            dir,
            Layout::Csv,
            &mut LineErrors::new(false),
            &mut Quirks::default(),
        )
    }

    #[test]
    fn the_shipped_catalogue_mixes_digital_physical_and_unsold_films() {
        let movies = read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("seed_data")).unwrap();
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
        let movies = read(&dir).unwrap();
        assert_eq!((movies[0].price, movies[0].stock), (Some(5500), None));
        assert_eq!((movies[1].price, movies[1].stock), (None, None));
        for (row, column) in [
            ("1,Heat (1995),Crime,-1,", "price"),
            ("1,Heat (1995),Crime,5,x", "stock"),
        ] {
            std::fs::write(&path, format!("movieId,title,genres,price,stock\n{row}\n")).unwrap();
            let err = read(&dir).unwrap_err().to_string();
            assert!(err.contains(column) && err.contains(":2:"), "{err}");
        }
        std::fs::remove_dir_all(&dir).ok();
    }
}
