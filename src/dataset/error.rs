//! Errors of the dataset readers: a file that cannot be read, a folder with
//! no known layout, or a malformed line named by file, line, column and value.

use std::fmt;
use std::path::{Path, PathBuf};

/// A malformed line: where it is and what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The file.
    pub path: PathBuf,
    /// 1-based line number.
    pub line: u64,
    /// The column at fault, by its name in the file's layout (`rating`, `movieId`).
    pub column: Option<String>,
    /// The offending value as read.
    pub value: Option<String>,
    /// What is wrong, in words (includes column and value where known).
    pub message: String,
}

impl Problem {
    /// A problem with a whole line (e.g. too few columns).
    pub fn line(path: &Path, line: u64, message: impl Into<String>) -> Problem {
        Problem {
            path: path.to_owned(),
            line,
            column: None,
            value: None,
            message: message.into(),
        }
    }

    /// A problem with one value: the message reads "`column` `value` `what`".
    pub fn value(path: &Path, line: u64, column: &str, value: &str, what: &str) -> Problem {
        Problem {
            path: path.to_owned(),
            line,
            column: Some(column.to_owned()),
            value: Some(value.to_owned()),
            message: format!("{column} `{value}` {what}"),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.path.display(), self.line, self.message)
    }
}

/// Why a dataset could not be read.
#[derive(Debug, thiserror::Error)]
pub enum DatasetError {
    /// The folder holds no known layout.
    #[error(
        "{0}: no MovieLens layout found (expected movies.csv + ratings.csv, u.item + u.data, or movies.dat + ratings.dat)"
    )]
    UnknownLayout(PathBuf),
    /// A file could not be opened or read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A malformed line (strict reading).
    #[error("{0}")]
    Invalid(Problem),
}

impl DatasetError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> DatasetError {
        DatasetError::Io {
            path: path.to_owned(),
            source,
        }
    }
}

/// How many skipped lines a lenient read keeps (the count covers all).
pub const MAX_REPORTED_PROBLEMS: usize = 1000;

/// Malformed lines met while reading: the first one stops a strict read; a
/// lenient one (`--skip-invalid`) skips and counts them instead.
#[derive(Debug, Default)]
pub struct LineErrors {
    skip_invalid: bool,
    /// The first [`MAX_REPORTED_PROBLEMS`] skipped lines.
    pub skipped: Vec<Problem>,
    /// How many lines were skipped in all.
    pub skipped_count: u64,
}

impl LineErrors {
    /// A collector that aborts at the first problem unless `skip_invalid`.
    pub fn new(skip_invalid: bool) -> LineErrors {
        LineErrors {
            skip_invalid,
            ..LineErrors::default()
        }
    }

    /// The value of a parsed line, `None` for a skipped one, or the error
    /// that stops a strict read.
    pub fn handle<T>(&mut self, parsed: Result<T, Problem>) -> Result<Option<T>, DatasetError> {
        match parsed {
            Ok(value) => Ok(Some(value)),
            Err(problem) if self.skip_invalid => {
                self.skipped_count += 1;
                if self.skipped.len() < MAX_REPORTED_PROBLEMS {
                    self.skipped.push(problem);
                }
                Ok(None)
            }
            Err(problem) => Err(DatasetError::Invalid(problem)),
        }
    }

    /// Adds what another collector skipped (e.g. a reader thread's).
    pub fn absorb(&mut self, other: LineErrors) {
        self.skipped_count += other.skipped_count;
        let room = MAX_REPORTED_PROBLEMS.saturating_sub(self.skipped.len());
        self.skipped.extend(other.skipped.into_iter().take(room));
    }
}
