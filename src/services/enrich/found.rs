//! What a TMDB answer can give a movie, cleaned up: a poster URL, an
//! overview, a runtime and credits (top-billed cast and directors), and the
//! [`Fields`] a movie lacks or an answer provides, which decide who is asked
//! and what the state file records.

use std::collections::HashSet;

use super::client::{TmdbCredits, TmdbMovieDetails};
use crate::dataset::{CreditRecord, CreditRole};
use crate::services::catalog::credits::STORED_CAST;
use crate::services::catalog::write::{MAX_DIRECTORS, MAX_NAME_CHARS};
use crate::services::catalog::{MAX_OVERVIEW_CHARS, MAX_URL_CHARS};

/// Something enrichment can fill in a movie.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Field {
    Poster,
    Overview,
    Runtime,
    /// Any cast or director at all: credits are only ever added to a movie
    /// that has none, so "lacks credits" means "has no credit rows".
    Credits,
}

impl Field {
    const ALL: [Field; 4] = [
        Field::Poster,
        Field::Overview,
        Field::Runtime,
        Field::Credits,
    ];

    /// The name written in the state file.
    fn name(self) -> &'static str {
        match self {
            Field::Poster => "poster",
            Field::Overview => "overview",
            Field::Runtime => "runtime",
            Field::Credits => "credits",
        }
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// A set of [`Field`]s: what a movie lacks, what an answer provides, or
/// what TMDB is known to have nothing for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Fields(u8);

impl Fields {
    /// Every field.
    pub(super) const ALL: Fields = Fields(0b1111);
    /// What the state file's lines meant before credits and runtime were
    /// asked for: a `no_data` line without a field list was written when
    /// only posters and overviews were asked, so it says nothing about
    /// credits or runtime, and those movies are asked once more.
    pub(super) const LEGACY_NO_DATA: Fields = Fields(0b0011);

    /// This set, with `field` added when `yes`.
    pub(super) fn with(self, field: Field, yes: bool) -> Fields {
        if yes {
            Fields(self.0 | field.bit())
        } else {
            self
        }
    }

    pub(super) fn contains(self, field: Field) -> bool {
        self.0 & field.bit() != 0
    }

    pub(super) fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub(super) fn is_subset_of(self, other: Fields) -> bool {
        self.0 & !other.0 == 0
    }

    pub(super) fn union(self, other: Fields) -> Fields {
        Fields(self.0 | other.0)
    }

    pub(super) fn minus(self, other: Fields) -> Fields {
        Fields(self.0 & !other.0)
    }

    /// `poster,credits`: the state file's field list.
    pub(super) fn names(self) -> String {
        (Field::ALL.into_iter())
            .filter(|f| self.contains(*f))
            .map(Field::name)
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Parses [`Fields::names`]; `None` for an empty list or an unknown
    /// name (a torn line), so such a line is ignored rather than trusted.
    pub(super) fn parse(list: &str) -> Option<Fields> {
        let mut fields = Fields::default();
        for name in list.split(',') {
            let field = Field::ALL.into_iter().find(|f| f.name() == name.trim())?;
            fields = fields.with(field, true);
        }
        (!fields.is_empty()).then_some(fields)
    }
}

/// What a TMDB answer can give a movie: empty strings, malformed paths,
/// unknown runtimes and unusable names count as nothing.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct FoundData {
    pub(super) poster_url: Option<String>,
    pub(super) overview: Option<String>,
    pub(super) runtime_minutes: Option<i32>,
    /// Directors in TMDB's crew order, then at most [`STORED_CAST`] cast
    /// members in billing order (`movie` is 0 until the movie is known).
    pub(super) credits: Vec<CreditRecord>,
}

impl FoundData {
    pub(super) fn from_details(details: &TmdbMovieDetails, image_base_url: &str) -> Self {
        let poster_url = details
            .poster_path
            .as_deref()
            .map(str::trim)
            .filter(|path| path.starts_with('/') && path.len() > 1)
            .map(|path| format!("{image_base_url}{path}"))
            .filter(|url| url.chars().count() <= MAX_URL_CHARS);
        let overview = details
            .overview
            .as_deref()
            .map(str::trim)
            .filter(|text| !text.is_empty())
            .map(|text| text.chars().take(MAX_OVERVIEW_CHARS).collect());
        // TMDB says 0 for "unknown"; anything that does not fit a column is
        // as good as unknown.
        let runtime_minutes = details
            .runtime
            .filter(|minutes| *minutes > 0)
            .and_then(|minutes| i32::try_from(minutes).ok());
        FoundData {
            poster_url,
            overview,
            runtime_minutes,
            credits: details.credits.as_ref().map(credits).unwrap_or_default(),
        }
    }

    /// The fields this answer can fill.
    pub(super) fn provides(&self) -> Fields {
        Fields::default()
            .with(Field::Poster, self.poster_url.is_some())
            .with(Field::Overview, self.overview.is_some())
            .with(Field::Runtime, self.runtime_minutes.is_some())
            .with(Field::Credits, !self.credits.is_empty())
    }
}

/// Directors (crew whose job is exactly "Director", in crew order, so
/// co-directors keep TMDB's order) and the top-billed cast, sorted by TMDB's
/// `order` and cut to the seed's [`STORED_CAST`]. A person listed twice in
/// a role (an actor playing two parts) is credited once, at their first
/// place, as the seed does.
fn credits(tmdb: &TmdbCredits) -> Vec<CreditRecord> {
    let mut records = Vec::new();
    let directors = (tmdb.crew.iter())
        .filter(|c| c.job.as_deref().map(str::trim) == Some("Director"))
        .filter_map(|c| person_name(c.name.as_deref()));
    push_role(
        &mut records,
        CreditRole::Director,
        MAX_DIRECTORS,
        directors.map(|n| (n, None)),
    );

    let mut cast: Vec<(usize, &super::client::TmdbCastMember)> =
        tmdb.cast.iter().enumerate().collect();
    // A missing `order` goes last; ties keep the array's order.
    cast.sort_by_key(|(index, c)| (c.order.unwrap_or(i64::MAX), *index));
    let cast = cast.into_iter().filter_map(|(_, c)| {
        let name = person_name(c.name.as_deref())?;
        let character = clean(c.character.as_deref())
            .filter(|text| !text.is_empty())
            .map(|text| text.chars().take(MAX_NAME_CHARS).collect());
        Some((name, character))
    });
    push_role(&mut records, CreditRole::Cast, STORED_CAST, cast);
    records
}

/// Appends up to `cap` distinct people (by case-folded name) in `role`,
/// numbering positions from 1.
fn push_role(
    records: &mut Vec<CreditRecord>,
    role: CreditRole,
    cap: usize,
    people: impl Iterator<Item = (String, Option<String>)>,
) {
    let mut seen = HashSet::new();
    for (name, character) in people {
        if seen.len() == cap {
            break;
        }
        if !seen.insert(name.to_lowercase()) {
            continue;
        }
        records.push(CreditRecord {
            movie: 0,
            role,
            position: i32::try_from(seen.len()).unwrap_or(i32::MAX),
            name,
            character,
        });
    }
}

/// Whitespace collapsed to single spaces (names arrive with stray tabs and
/// double spaces, which would make two people of one).
fn clean(text: Option<&str>) -> Option<String> {
    Some(text?.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// A usable person name: non-empty after [`clean`], no control characters,
/// at most [`MAX_NAME_CHARS`] (the admin API's limit), else nothing.
fn person_name(raw: Option<&str>) -> Option<String> {
    clean(raw).filter(|name| {
        !name.is_empty()
            && name.chars().count() <= MAX_NAME_CHARS
            && !name.chars().any(char::is_control)
    })
}
