//! The catalogue on the wire: the JSON bodies the handlers read and write,
//! with their OpenAPI schemas, and the conversions from and to the
//! service's domain types.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::dataset::CreditRole;
use crate::services::catalog as svc;

/// A movie as it appears in lists.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct MovieSummary {
    /// Movie id.
    pub id: i32,
    /// Title without the year.
    pub title: String,
    /// Release year.
    pub year: Option<i32>,
    /// Genre names, alphabetical.
    pub genres: Vec<String>,
    /// Poster image URL.
    pub poster_url: Option<String>,
    /// Mean rating (0.5–5.0, two decimals); null when unrated.
    pub avg_rating: Option<f64>,
    /// Number of ratings.
    pub rating_count: i32,
    /// Price in the minor unit of the store currency; null = not for sale.
    pub price: Option<i64>,
    /// Copies on hand; null = digital (unlimited).
    pub stock: Option<i32>,
}

impl From<&svc::Movie> for MovieSummary {
    fn from(v: &svc::Movie) -> Self {
        let row = &v.row;
        MovieSummary {
            id: row.id,
            title: row.title.clone(),
            year: row.year,
            genres: v.genres.clone(),
            poster_url: row.poster_url.clone(),
            avg_rating: v.avg_rating(),
            rating_count: row.rating_count,
            price: row.price,
            stock: row.stock,
        }
    }
}

impl From<svc::Movie> for MovieSummary {
    fn from(v: svc::Movie) -> Self {
        MovieSummary::from(&v)
    }
}

impl From<Arc<svc::Movie>> for MovieSummary {
    fn from(v: Arc<svc::Movie>) -> Self {
        MovieSummary::from(v.as_ref())
    }
}

/// A movie's full record: its list fields and the rest.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct MovieDetails {
    /// What lists show.
    #[serde(flatten)]
    pub summary: MovieSummary,
    /// Plot summary.
    pub overview: Option<String>,
    /// IMDb id, when known.
    pub imdb_id: Option<String>,
    /// TMDB id, when known.
    pub tmdb_id: Option<i32>,
    /// Running time in minutes; null when unknown.
    pub runtime_minutes: Option<i32>,
    /// The cast in billing order.
    pub cast: Vec<CastMember>,
    /// The directors.
    pub directors: Vec<PersonRef>,
}

impl From<&svc::Movie> for MovieDetails {
    fn from(v: &svc::Movie) -> Self {
        let of_role = |role| v.credits.iter().filter(move |c| c.role == role);
        MovieDetails {
            summary: MovieSummary::from(v),
            overview: v.row.overview.clone(),
            imdb_id: v.row.imdb_id.clone(),
            tmdb_id: v.row.tmdb_id,
            runtime_minutes: v.row.runtime_minutes,
            cast: of_role(CreditRole::Cast)
                .map(|c| CastMember {
                    id: c.person_id,
                    name: c.name.clone(),
                    character: c.character.clone(),
                })
                .collect(),
            directors: of_role(CreditRole::Director)
                .map(|c| PersonRef {
                    id: c.person_id,
                    name: c.name.clone(),
                })
                .collect(),
        }
    }
}

/// Someone in a movie's cast.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct CastMember {
    /// Person id (`GET /people/{id}`).
    pub id: i32,
    /// Name as credited.
    pub name: String,
    /// The part played, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub character: Option<String>,
}

/// A person by id and name.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PersonRef {
    /// Person id (`GET /people/{id}`).
    pub id: i32,
    /// Name as credited.
    pub name: String,
}

/// `cast` or `director`.
#[derive(Clone, Copy, Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RoleView {
    /// Acted in it.
    Cast,
    /// Directed it.
    Director,
}

impl From<CreditRole> for RoleView {
    fn from(role: CreditRole) -> Self {
        match role {
            CreditRole::Cast => RoleView::Cast,
            CreditRole::Director => RoleView::Director,
        }
    }
}

/// One of a person's movies.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PersonMovie {
    /// The movie.
    pub movie: MovieSummary,
    /// What the person did on it.
    pub roles: Vec<RoleView>,
}

/// `GET /people/{id}`: a person and their movies, most recent first.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PersonView {
    /// Person id.
    pub id: i32,
    /// Name as credited.
    pub name: String,
    /// Their movies, most recent first.
    pub movies: Vec<PersonMovie>,
}

impl From<svc::PersonFilmography> for PersonView {
    fn from(v: svc::PersonFilmography) -> Self {
        PersonView {
            id: v.person.id,
            name: v.person.name,
            movies: v
                .movies
                .into_iter()
                .map(|(movie, roles)| PersonMovie {
                    movie: MovieSummary::from(&movie),
                    roles: roles.into_iter().map(Into::into).collect(),
                })
                .collect(),
        }
    }
}

impl From<svc::Movie> for MovieDetails {
    fn from(v: svc::Movie) -> Self {
        MovieDetails::from(&v)
    }
}

/// What a type-ahead suggestion points at.
#[derive(Clone, Copy, Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SuggestionKind {
    /// A movie (`GET /movies/{id}`).
    Movie,
    /// A person (`GET /people/{id}`).
    Person,
}

/// One type-ahead suggestion.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Suggestion {
    /// Movie or person.
    pub kind: SuggestionKind,
    /// Its id.
    pub id: i32,
    /// What to show: the title or the name.
    pub label: String,
    /// A movie's release year.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub year: Option<i32>,
}

impl From<svc::Suggestion> for Suggestion {
    fn from(found: svc::Suggestion) -> Self {
        match found {
            svc::Suggestion::Movie(movie) => Suggestion {
                kind: SuggestionKind::Movie,
                id: movie.row.id,
                label: movie.row.title,
                year: movie.row.year,
            },
            svc::Suggestion::Person(person) => Suggestion {
                kind: SuggestionKind::Person,
                id: person.id,
                label: person.name,
                year: None,
            },
        }
    }
}

/// A genre with the number of movies in it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct GenreCount {
    /// Genre id.
    pub id: i32,
    /// Genre name.
    pub name: String,
    /// Movies having this genre.
    pub movie_count: i64,
}

from_fields!(svc::GenreCount => GenreCount { id, name, movie_count });

/// `POST /movies` body (admin).
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMovie {
    /// Title without the year (1–300 characters).
    pub title: String,
    /// Release year (1870–2100).
    pub year: Option<i32>,
    /// Genre names from the vocabulary (`GET /genres`).
    #[serde(default)]
    pub genres: Vec<String>,
    /// Plot summary (≤ 10,000 characters).
    pub overview: Option<String>,
    /// http(s) URL of a poster image.
    pub poster_url: Option<String>,
    /// IMDb id such as `tt0111161`.
    pub imdb_id: Option<String>,
    /// TMDB id.
    pub tmdb_id: Option<i32>,
    /// Price in the minor unit of the store currency (0–100,000,000);
    /// absent or null = not for sale.
    pub price: Option<i64>,
    /// Copies on hand (0–1,000,000); absent or null = digital (unlimited).
    pub stock: Option<i32>,
    /// Directors' names (at most 10).
    #[serde(default)]
    pub directors: Vec<String>,
    /// Cast names in billing order (at most 50).
    #[serde(default)]
    pub cast: Vec<String>,
}

from_fields!(NewMovie => svc::NewMovie { title, year, genres, overview, poster_url, imdb_id, tmdb_id, price, stock, directors, cast });

/// `PATCH /movies/{id}` body (admin): absent fields stay, `null` clears.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoviePatch {
    /// New title.
    pub title: Option<String>,
    /// New year, or null to clear.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i32>)]
    pub year: Option<Option<i32>>,
    /// Replaces the genres.
    pub genres: Option<Vec<String>>,
    /// New overview, or null to clear.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub overview: Option<Option<String>>,
    /// New poster URL, or null to clear.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub poster_url: Option<Option<String>>,
    /// New IMDb id, or null to clear.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub imdb_id: Option<Option<String>>,
    /// New TMDB id, or null to clear.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i32>)]
    pub tmdb_id: Option<Option<i32>>,
    /// New price (0–100,000,000), or null to stop selling the movie.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>)]
    pub price: Option<Option<i64>>,
    /// New stock (0–1,000,000), or null for digital (unlimited).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i32>)]
    pub stock: Option<Option<i32>>,
}

from_fields!(MoviePatch => svc::MoviePatch { title, year, genres, overview, poster_url, imdb_id, tmdb_id, price, stock });

/// Deserialises a field that is present (possibly `null`) as `Some(_)`, so
/// an absent field (`None` via `default`) differs from an explicit null.
fn present<'de, T, D>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    T: Deserialize<'de>,
    D: serde::Deserializer<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}
