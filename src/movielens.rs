//! Loaders for MovieLens files: ratings as `u.data` TSV, `ratings.dat` (`::`) or `ratings.csv`
//! (with header), movies as `u.item` (latin-1, pipe-separated, 19 genre flags) or `movies.csv`
//! (pipe-separated genre names). Genre ids follow ml-100k's `u.genre` numbering.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::recommender::{GenreId, MovieId, MovieMeta, UserId};

/// ml-100k's genre names in `u.genre` order; `movies.csv` names map onto these ids.
pub const GENRES: [&str; 19] = [
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

/// A file that could not be read or parsed.
#[derive(Debug)]
pub enum LoadError {
    /// Reading failed.
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A line did not have the expected shape.
    Parse {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What was wrong.
        message: String,
    },
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io { path, .. } => write!(f, "cannot read {}", path.display()),
            Self::Parse {
                path,
                line,
                message,
            } => write!(f, "{}:{line}: {message}", path.display()),
        }
    }
}

impl std::error::Error for LoadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io { source, .. } => Some(source),
            Self::Parse { .. } => None,
        }
    }
}

fn read(path: &Path) -> Result<Vec<u8>, LoadError> {
    std::fs::read(path).map_err(|source| LoadError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Reads `(user, movie, rating)` triples; the timestamp column is ignored.
pub fn load_ratings(path: &Path) -> Result<Vec<(UserId, MovieId, f32)>, LoadError> {
    let bytes = read(path)?;
    parse_ratings(&String::from_utf8_lossy(&bytes), path)
}

/// [`load_ratings`] on text already in memory (`path` only names it in errors).
pub fn parse_ratings(text: &str, path: &Path) -> Result<Vec<(UserId, MovieId, f32)>, LoadError> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || (n == 0 && line.to_ascii_lowercase().starts_with("userid")) {
            continue;
        }
        let mut fields: Vec<&str> = if line.contains('\t') {
            line.split('\t').collect()
        } else if line.contains("::") {
            line.split("::").collect()
        } else {
            line.split(',').collect()
        };
        fields.truncate(3);
        let bad = |message: String| LoadError::Parse {
            path: path.to_path_buf(),
            line: n + 1,
            message,
        };
        let [u, m, r] = fields[..] else {
            return Err(bad(format!("expected user, movie, rating; got {line:?}")));
        };
        let u = u
            .trim()
            .parse::<UserId>()
            .map_err(|e| bad(format!("user id: {e}")))?;
        let m = m
            .trim()
            .parse::<MovieId>()
            .map_err(|e| bad(format!("movie id: {e}")))?;
        let r = r
            .trim()
            .parse::<f32>()
            .map_err(|e| bad(format!("rating: {e}")))?;
        out.push((u, m, r));
    }
    Ok(out)
}

/// Reads movie genres from `u.item` or `movies.csv` (told apart by the header line).
pub fn load_movies(path: &Path) -> Result<Vec<MovieMeta>, LoadError> {
    let bytes = read(path)?;
    // u.item is latin-1: map each byte to the code point of the same value instead of failing.
    let text: String = match std::str::from_utf8(&bytes) {
        Ok(s) => s.to_owned(),
        Err(_) => bytes.iter().map(|&b| char::from(b)).collect(),
    };
    parse_movies(&text, path)
}

/// [`load_movies`] on text already in memory.
pub fn parse_movies(text: &str, path: &Path) -> Result<Vec<MovieMeta>, LoadError> {
    let mut out = Vec::new();
    let csv = text
        .lines()
        .next()
        .is_some_and(|l| l.to_ascii_lowercase().starts_with("movieid"));
    for (n, line) in text.lines().enumerate().skip(usize::from(csv)) {
        if line.trim().is_empty() {
            continue;
        }
        let bad = |message: &str| LoadError::Parse {
            path: path.to_path_buf(),
            line: n + 1,
            message: message.into(),
        };
        if csv {
            // Titles may contain commas and quotes: the id is before the first comma and the
            // genres after the last one.
            let (Some((id, _)), Some((_, genres))) = (line.split_once(','), line.rsplit_once(','))
            else {
                return Err(bad("expected movieId,title,genres"));
            };
            let id = id.trim().parse::<MovieId>().map_err(|_| bad("movie id"))?;
            let genres = genres.trim().split('|').filter_map(genre_id).collect();
            out.push(MovieMeta { id, genres });
        } else {
            let fields: Vec<&str> = line.split('|').collect();
            if fields.len() < 5 + GENRES.len() {
                return Err(bad(
                    "expected u.item: id|title|date|video date|url|19 genre flags",
                ));
            }
            let id = fields[0]
                .trim()
                .parse::<MovieId>()
                .map_err(|_| bad("movie id"))?;
            let genres = fields[5..5 + GENRES.len()]
                .iter()
                .enumerate()
                .filter(|(_, f)| f.trim() == "1")
                .map(|(g, _)| g as GenreId)
                .collect();
            out.push(MovieMeta { id, genres });
        }
    }
    Ok(out)
}

/// Id of a genre name; newer MovieLens names map onto ml-100k's, `IMAX` gets id 19.
pub fn genre_id(name: &str) -> Option<GenreId> {
    match name {
        "(no genres listed)" => Some(0),
        "Children" => Some(4),
        "IMAX" => Some(19),
        _ => GENRES.iter().position(|&g| g == name).map(|g| g as GenreId),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_tsv_and_csv_ratings() {
        let p = Path::new("x");
        assert_eq!(
            parse_ratings("1\t2\t3\t99\n", p).unwrap(),
            vec![(1, 2, 3.0)]
        );
        assert_eq!(
            parse_ratings("userId,movieId,rating,timestamp\n1,2,4.5,9\n", p).unwrap(),
            vec![(1, 2, 4.5)]
        );
        assert!(parse_ratings("1\tx\t3\n", p).is_err());
    }

    #[test]
    fn reads_u_item_and_movies_csv() {
        let p = Path::new("x");
        let uitem =
            "1|Toy Story (1995)|01-Jan-1995||http://x|0|0|0|1|1|1|0|0|0|0|0|0|0|0|0|0|0|0|0\n";
        assert_eq!(
            parse_movies(uitem, p).unwrap(),
            vec![MovieMeta {
                id: 1,
                genres: vec![3, 4, 5]
            }]
        );
        let csv = "movieId,title,genres\n2,\"Heat, the (1995)\",Action|Crime|IMAX\n";
        assert_eq!(
            parse_movies(csv, p).unwrap(),
            vec![MovieMeta {
                id: 2,
                genres: vec![1, 6, 19]
            }]
        );
    }
}
