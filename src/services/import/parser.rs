//! The ratings file, parsed on a thread of its own and handed to the
//! writer in chunks through a small bounded channel, so parsing runs ahead
//! of the database by at most a few chunks and memory stays flat.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use super::ImportError;
use crate::dataset::{
    Layout, LineErrors, Quirk, Quirks, RatingReader, RatingRecord, RepeatTracker,
};

/// Ratings per chunk handed from the parser thread to the writer.
const CHUNK_ROWS: usize = 100_000;

/// A run of parsed ratings.
pub(super) struct RatingChunk {
    pub ratings: Vec<RatingRecord>,
    /// First line of the file this chunk covers.
    pub first_line: u64,
    /// Lines read so far (including skipped ones).
    pub lines_read: u64,
    /// File offset reached.
    pub bytes_read: u64,
    /// Whether some (user, movie) may appear twice in the file so far.
    pub may_repeat: bool,
}

/// What the parser thread hands back when it is done.
pub(super) struct ParserSummary {
    pub errors: LineErrors,
    pub quirks: Quirks,
}

/// Starts the parser: chunks arrive on the receiver; the handle returns the
/// skipped lines and anomalies, or the error that stopped a strict read.
pub(super) fn spawn(
    path: PathBuf,
    layout: Layout,
    listed_movies: HashSet<i32>,
    movies_file: PathBuf,
    skip_invalid: bool,
) -> (
    tokio::sync::mpsc::Receiver<RatingChunk>,
    std::thread::JoinHandle<Result<ParserSummary, ImportError>>,
) {
    let (sender, receiver) = tokio::sync::mpsc::channel(3);
    let handle = std::thread::spawn(move || {
        let mut reader = RatingReader::open(&path, layout.rating_format())?;
        let mut errors = LineErrors::new(skip_invalid);
        let mut quirks = Quirks::default();
        let mut repeats = RepeatTracker::default();
        let movies_name = file_name(&movies_file);
        let mut chunk = Vec::with_capacity(CHUNK_ROWS);
        let mut first_line = 1;
        while let Some(parsed) = reader.next_record(&mut quirks)? {
            let line = reader.line();
            let Some(rating) = errors.handle(parsed)? else {
                continue;
            };
            if !listed_movies.contains(&rating.movie) {
                quirks.note(
                    Quirk::RatingForUnlistedMovie,
                    &path,
                    line,
                    Some(rating.movie),
                    || format!("movieId {} is not in {movies_name}", rating.movie),
                );
                continue;
            }
            if repeats.is_repeat(rating.user, rating.movie) {
                quirks.note(
                    Quirk::RepeatedRating,
                    &path,
                    line,
                    Some(rating.movie),
                    || format!("user {} rated movie {} twice", rating.user, rating.movie),
                );
            }
            chunk.push(rating);
            if chunk.len() == CHUNK_ROWS {
                let full = RatingChunk {
                    ratings: std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK_ROWS)),
                    first_line,
                    lines_read: line,
                    bytes_read: reader.bytes_read(),
                    may_repeat: repeats.may_repeat(),
                };
                first_line = line + 1;
                if sender.blocking_send(full).is_err() {
                    // The writer stopped (it failed); its error is reported.
                    return Ok(ParserSummary { errors, quirks });
                }
            }
        }
        let last = RatingChunk {
            ratings: chunk,
            first_line,
            lines_read: reader.line(),
            bytes_read: reader.bytes_read(),
            may_repeat: repeats.may_repeat(),
        };
        let _ = sender.blocking_send(last);
        Ok(ParserSummary { errors, quirks })
    });
    (receiver, handle)
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Drops all but the last line of each (user, movie) pair, keeping order.
/// Pairs repeated across chunks are resolved by the database: the later
/// chunk's upsert (SQLite) or the merge's `DISTINCT ON` (PostgreSQL).
pub(super) fn keep_last_of_each_pair(ratings: &mut Vec<RatingRecord>) {
    let mut seen = HashSet::with_capacity(ratings.len());
    let mut kept: Vec<RatingRecord> = ratings
        .iter()
        .rev()
        .filter(|r| seen.insert((r.user, r.movie)))
        .copied()
        .collect();
    kept.reverse();
    *ratings = kept;
}
