//! The data-quality anomalies real releases have, each counted with a few
//! examples. None of them stops a read: every one has a documented repair.

use std::collections::BTreeMap;
use std::path::Path;

/// A class of anomaly, with what the readers do about it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Quirk {
    /// Two or more movieIds share a TMDB id: the lowest movieId keeps it,
    /// the others' TMDB id is left empty (the column is unique).
    DuplicateTmdbId,
    /// Two or more movieIds share an IMDb id: handled like TMDB ids.
    DuplicateImdbId,
    /// A link id is blank or `0`: treated as no link.
    BlankLinkId,
    /// An IMDb id without its leading zeros (`114709`): padded to `tt0114709`.
    UnpaddedImdbId,
    /// A title without a `(year)`: stored without a year.
    TitleWithoutYear,
    /// A year range `(2007-2011)`: its first year is kept.
    YearRange,
    /// Text after the year (`Title (1995) (TV)`): kept in the title.
    YearNotLast,
    /// Spaces around a title: trimmed.
    TitleTrimmed,
    /// `Matrix, The`: shown as `The Matrix`.
    ArticleMoved,
    /// A title with quotes or commas inside (read by CSV quoting rules).
    QuotedTitle,
    /// `(no genres listed)` (or ml-100k's `unknown`): the movie has no genres.
    NoGenresListed,
    /// A genre cinerank does not have (e.g. `IMAX`): dropped.
    UnknownGenre,
    /// A movieId listed twice in the movie file: the first line is kept.
    DuplicateMovie,
    /// A rating for a movieId the movie file does not list: skipped.
    RatingForUnlistedMovie,
    /// The same (user, movie) rated on two lines: the last line wins.
    RepeatedRating,
    /// A UTF-8 byte-order mark at the start of a file: ignored.
    ByteOrderMark,
    /// Windows (CRLF) line endings: read like `\n`.
    CrlfLineEndings,
    /// An empty line (e.g. at the end of a file): ignored.
    EmptyLine,
    /// A file that is not UTF-8 (ml-100k, ml-1m): read as latin-1.
    Latin1Text,
}

impl Quirk {
    /// Stable snake_case name for reports, JSON and logs.
    pub fn name(self) -> &'static str {
        match self {
            Quirk::DuplicateTmdbId => "duplicate_tmdb_id",
            Quirk::DuplicateImdbId => "duplicate_imdb_id",
            Quirk::BlankLinkId => "blank_link_id",
            Quirk::UnpaddedImdbId => "unpadded_imdb_id",
            Quirk::TitleWithoutYear => "title_without_year",
            Quirk::YearRange => "year_range",
            Quirk::YearNotLast => "year_not_last",
            Quirk::TitleTrimmed => "title_trimmed",
            Quirk::ArticleMoved => "article_moved",
            Quirk::QuotedTitle => "quoted_title",
            Quirk::NoGenresListed => "no_genres_listed",
            Quirk::UnknownGenre => "unknown_genre",
            Quirk::DuplicateMovie => "duplicate_movie",
            Quirk::RatingForUnlistedMovie => "rating_for_unlisted_movie",
            Quirk::RepeatedRating => "repeated_rating",
            Quirk::ByteOrderMark => "byte_order_mark",
            Quirk::CrlfLineEndings => "crlf_line_endings",
            Quirk::EmptyLine => "empty_line",
            Quirk::Latin1Text => "latin1_text",
        }
    }

    /// Whether the repair drops data (a genre, a rating, a movie line), which
    /// cinerank's own seed folder must never need.
    pub fn drops_data(self) -> bool {
        matches!(
            self,
            Quirk::UnknownGenre
                | Quirk::DuplicateMovie
                | Quirk::RatingForUnlistedMovie
                | Quirk::RepeatedRating
        )
    }
}

/// Where one instance of a quirk was seen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuirkExample {
    /// The file name (not its folder).
    pub file: String,
    /// 1-based line number (0 for the file as a whole).
    pub line: u64,
    /// The movieId concerned, where there is one.
    pub movie_id: Option<i32>,
    /// What was found, briefly (e.g. "tmdbId 1234 also on movieId 12").
    pub detail: String,
}

impl std::fmt::Display for QuirkExample {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file, self.line)?;
        if let Some(id) = self.movie_id {
            write!(f, " movieId {id}")?;
        }
        if !self.detail.is_empty() {
            write!(f, ": {}", self.detail)?;
        }
        Ok(())
    }
}

/// How many examples each class keeps.
pub const MAX_EXAMPLES: usize = 3;

/// One class's count and first examples.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QuirkTally {
    /// How many times it was seen.
    pub count: u64,
    /// The first [`MAX_EXAMPLES`].
    pub examples: Vec<QuirkExample>,
}

/// Every anomaly seen while reading a dataset.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Quirks {
    tallies: BTreeMap<Quirk, QuirkTally>,
}

impl Quirks {
    /// Counts one instance.
    pub fn note(
        &mut self,
        quirk: Quirk,
        path: &Path,
        line: u64,
        movie_id: Option<i32>,
        detail: impl FnOnce() -> String,
    ) {
        let tally = self.tallies.entry(quirk).or_default();
        tally.count += 1;
        if tally.examples.len() < MAX_EXAMPLES {
            tally.examples.push(QuirkExample {
                file: path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                line,
                movie_id,
                detail: detail(),
            });
        }
    }

    /// How many times `quirk` was seen.
    pub fn count(&self, quirk: Quirk) -> u64 {
        self.tallies.get(&quirk).map_or(0, |t| t.count)
    }

    /// The classes seen, in report order, with their tallies.
    pub fn iter(&self) -> impl Iterator<Item = (Quirk, &QuirkTally)> {
        self.tallies.iter().map(|(q, t)| (*q, t))
    }

    /// Adds another tally (e.g. the ratings reader thread's).
    pub fn absorb(&mut self, other: Quirks) {
        for (quirk, tally) in other.tallies {
            let mine = self.tallies.entry(quirk).or_default();
            mine.count += tally.count;
            let room = MAX_EXAMPLES.saturating_sub(mine.examples.len());
            mine.examples.extend(tally.examples.into_iter().take(room));
        }
    }

    /// The first data-dropping quirk's first example, if any (see
    /// [`Quirk::drops_data`]).
    pub fn first_dropping(&self) -> Option<(Quirk, &QuirkExample)> {
        self.tallies
            .iter()
            .filter(|(q, _)| q.drops_data())
            .find_map(|(q, t)| Some((*q, t.examples.first()?)))
    }
}
