//! Every dataset cinerank reads, in one place: MovieLens releases (the csv
//! layout of ml-latest, ml-25m and ml-32m; ml-100k; ml-1m), the seed folder
//! and the generator's output (both in the csv layout with extra columns),
//! and rating files for offline evaluation.
//!
//! Readers turn files into plain records ([`MovieRecord`], [`RatingRecord`])
//! and know nothing of databases. Real releases have quirks that hand-written
//! files lack; the readers handle each one the same way for every caller and
//! count it in a [`Quirks`] tally, so the importer, seeding, `cinerank eval`
//! and `cinerank generate` all see the same data:
//!
//! - **malformed lines** (a number that does not parse, a wrong column
//!   count, a rating off the scale) are [`Problem`]s naming file, line,
//!   column and value: they stop a strict read and are skipped and counted
//!   by a lenient one ([`LineErrors`]);
//! - **data-quality anomalies** (a duplicated TMDB id, a title without a
//!   year, a genre cinerank does not have, a byte-order mark, …) never stop
//!   a read: the record is repaired or dropped as [`Quirk`] documents, and
//!   counted with a few examples.

mod credits;
mod error;
mod genres;
mod movies;
mod quirks;
mod ratings;
mod text;
mod title;

pub use credits::{CREDITS_FILE, CreditRecord, CreditRole, read_credits};
pub use error::{DatasetError, LineErrors, MAX_REPORTED_PROBLEMS, Problem};
pub use genres::{GENRES, GenreMatch, genre_index, match_genre};
pub use movies::{Layout, LinkClaims, MovieRecord, detect_layout, read_movies, read_movies_file};
pub use quirks::{MAX_EXAMPLES, Quirk, QuirkExample, QuirkTally, Quirks};
pub use ratings::{
    HalfStars, RatingFormat, RatingReader, RatingRecord, RepeatTracker, read_ratings_file,
};
pub use title::{ParsedTitle, parse_title};
