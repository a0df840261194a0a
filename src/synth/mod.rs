//! Deterministic generator of synthetic, MovieLens-like rating data.
//!
//! The generator builds a small latent-factor world — movies with a latent
//! quality, a latent taste vector and a heavy-tailed popularity; users with
//! favourite genres, a taste vector, a personal bias, a rating-scale habit, a
//! heavy-tailed activity level and an activity window between 2000 and 2023 —
//! and then streams one rating per (user, movie) exposure. Which movies a user
//! rates is drawn from alias tables (global popularity, popularity within each
//! favourite genre, and a small uniform "discovery" share) with duplicate
//! rejection, so the cost is proportional to the number of ratings, never to
//! users × movies. Ratings are only buffered per user, so arbitrarily large
//! data sets can be written with bounded memory.
//!
//! Popularity is random (log-normal, correlated with quality) unless the
//! catalogue supplies a `popularity` column: then the movies' popularity
//! *ranks* are mapped to Zipf-like exposure weights with a little noise, and
//! the latent quality is correlated with that rank (famous films are better
//! rated on average, but not always).
//!
//! Time matters too: each exposure happens at a time inside the user's
//! activity window (windows cluster towards 2023, as rating sites grow), and a
//! movie's exposure at time `t` is its popularity times a release curve that
//! ramps up during its release year, peaks as a new release and settles to a
//! long-run level. Older classics therefore keep a steady share, and recent
//! films get rated mostly soon after release.
//!
//! All randomness comes from a self-contained xoshiro256** generator seeded
//! through SplitMix64, so a given configuration and seed produce byte-identical
//! output on every platform and with every toolchain, independent of any crate.
//! Apart from reading a catalogue through [`crate::dataset`] (one reader for
//! every file cinerank takes), the module uses only `std` and never panics on
//! bad input: invalid configurations are reported as [`SynthError`].

use std::fmt;
use std::io;

/// The twenty genres used by cinerank, in canonical order.
pub use crate::dataset::GENRES;

/// Relative frequency of each entry of [`GENRES`] when synthesising movies
/// (roughly the genre mix of MovieLens: Drama and Comedy are common, Western
/// and Documentary rare).
const GENRE_FREQ: [f64; 20] = [
    7.0,  // Action
    4.0,  // Adventure
    2.5,  // Animation
    1.5,  // Biography
    17.0, // Comedy
    5.0,  // Crime
    1.2,  // Documentary
    25.0, // Drama
    2.5,  // Family
    3.0,  // Fantasy
    1.5,  // History
    5.5,  // Horror
    2.0,  // Music
    2.5,  // Mystery
    7.0,  // Romance
    3.5,  // Science Fiction
    1.0,  // Sports
    8.0,  // Thriller
    1.5,  // War
    1.0,  // Western
];

/// Minimum number of ratings every user receives (or the catalogue size, if
/// that is smaller).
pub const MIN_RATINGS_PER_USER: u32 = 5;

/// Dimension of the latent taste vectors.
const LATENT_DIM: usize = 12;
/// Typical appeal of an exposure (users mostly watch popular, better and
/// on-taste films, so the mean appeal is positive); calibrated so that the mean
/// rating is ≈3.5 stars like MovieLens.
const APPEAL_SHIFT: f64 = 0.5;
/// Scale of the appeal (a little above √(0.4² + 0.45² + 0.45² + 0.7²) ≈ 1.03,
/// calibrated against the MovieLens histogram).
const APPEAL_SD: f64 = 1.15;
/// Ordered-probit cut points (standard-normal quantiles) for half-star users:
/// category `i` (i + 1 half stars) is chosen when z lies between cut `i - 1`
/// and cut `i`. They reproduce a MovieLens-like marginal (2, 3, 2.5, 6.5, 6,
/// 17, 15, 24, 10, 14 % for 0.5 … 5.0 stars) when z is standard normal.
const HALF_STAR_CUTS: [f64; 9] = [
    -2.0537, -1.6449, -1.4395, -1.0803, -0.8416, -0.3319, 0.0502, 0.7063, 1.0803,
];
/// Cut points for whole-star users (5, 10, 27, 35, 23 % for 1 … 5 stars).
const WHOLE_STAR_CUTS: [f64; 4] = [-1.6449, -1.0364, -0.2019, 0.7388];
/// Standard deviation of the per-user rating bias (stars).
const USER_BIAS_SD: f64 = 0.4;
/// Standard deviation of the latent movie quality (stars).
const QUALITY_SD: f64 = 0.45;
/// Target standard deviation of the latent dot product (stars).
const DOT_SD: f64 = 0.45;
/// Standard deviation of the per-rating noise (stars).
const NOISE_SD: f64 = 0.7;
/// Rating bonus for each of a user's favourite genres a movie belongs to.
const AFFINITY_BONUS: f64 = 0.15;
/// Log-sd of the movie popularity weights (heavy long tail).
const POPULARITY_LOG_SD: f64 = 1.8;
/// Correlation between latent quality and log popularity.
const QUALITY_POPULARITY_CORR: f64 = 0.45;
/// Zipf exponent of the exposure weight `(q + offset)^-exponent` of a movie
/// whose catalogue popularity is at percentile rank `q` (0 = most popular).
const FAME_ZIPF_EXPONENT: f64 = 1.15;
/// Offset of the Zipf weight in percentile units (flattens the very head).
const FAME_ZIPF_OFFSET: f64 = 0.004;
/// Log-sd of the noise multiplied into Zipf exposure weights.
const FAME_NOISE_LOG_SD: f64 = 0.5;
/// Correlation between latent quality and the normal score of the
/// catalogue popularity rank.
const FAME_QUALITY_CORR: f64 = 0.35;
/// Extra exposure of a brand-new release, relative to its long-run level.
const NEW_RELEASE_BOOST: f64 = 12.0;
/// Decay time (years) of the new-release boost.
const NEW_RELEASE_DECAY_YEARS: f64 = 1.5;
/// Time constant (years) of the exposure ramp from 1 January of the release
/// year (release dates are spread over the year).
const RELEASE_RAMP_YEARS: f64 = 0.3;
/// Growth rate (per year) of rating activity: the centres of the users'
/// activity windows have density ∝ exp(rate · years since 2000).
const ACTIVITY_GROWTH_PER_YEAR: f64 = 0.2;
/// Mean Gregorian year in seconds.
const YEAR_SECS: f64 = 31_556_952.0;
/// Log-sd of the user activity levels.
const ACTIVITY_LOG_SD: f64 = 1.1;
/// Share of users who only use whole stars.
const WHOLE_STAR_USERS: f64 = 0.3;
/// Share of exposures drawn uniformly from the whole catalogue.
const DISCOVERY_SHARE: f64 = 0.05;
/// Users above `movies / DENSE_USER_DIVISOR` ratings are sampled exhaustively.
const DENSE_USER_DIVISOR: u64 = 8;
/// 2000-01-01T00:00:00Z.
const EPOCH_START: i64 = 946_684_800;
/// 2023-12-31T23:59:59Z.
const EPOCH_END: i64 = 1_704_067_199;
/// First year given to synthesised movies.
const FIRST_YEAR: i32 = 1970;
/// Last year given to synthesised movies.
const LAST_YEAR: i32 = 2023;

// Stream identifiers, so that independent parts draw independent randomness.
const STREAM_MOVIES: u64 = 0x6d6f_7669_6573_0001;
const STREAM_WORLD: u64 = 0x776f_726c_6400_0002;
const STREAM_USER_PARAMS: u64 = 0x7573_6572_0000_0003;
const STREAM_USER_RATINGS: u64 = 0x7261_7469_6e67_0004;
const STREAM_FEATURES: u64 = 0x6665_6174_7572_0005;

/// Share of a user's exposures that follow up an earlier one: another film
/// of the same franchise, director or lead actor (only when the catalogue
/// names such links, see [`CatalogMovie::features`]). People watch that
/// way, and it is what lets collaborative filtering find *Scream 2* from
/// *Scream* in the seed data.
const FOLLOW_UP_SHARE: f64 = 0.45;
/// How much each kind of shared feature pulls two movies' tastes together
/// (relative to the genres' 1.0), and how often a follow-up takes it.
const FEATURE_WEIGHTS: [(&str, f64); 3] = [("franchise", 2.0), ("director", 0.7), ("cast", 0.4)];

/// Parameters of one generation run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GeneratorConfig {
    /// Number of users (ids `1..=users`).
    pub users: u32,
    /// Number of movies to synthesise; ignored when a catalogue is supplied.
    pub movies: u32,
    /// Target total number of ratings (met exactly when feasible).
    pub ratings: u64,
    /// Seed; equal seeds give byte-identical output.
    pub seed: u64,
}

/// A movie of the catalogue the ratings refer to.
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogMovie {
    /// Movie id as written to `ratings.csv`.
    pub id: i64,
    /// MovieLens-style title including the year, e.g. `"Heat (1995)"`.
    pub title: String,
    /// Release year, if known; nobody rates a movie before its release year.
    pub year: Option<i32>,
    /// Genre names; names outside [`GENRES`] are kept but carry no taste signal.
    pub genres: Vec<String>,
    /// Popularity or fame score from the catalogue (larger = more popular);
    /// only the order matters. When any movie has one, exposure weights follow
    /// the popularity rank (movies without one get a random rank); when none
    /// has, popularity is random.
    pub popularity: Option<f64>,
    /// What the movie shares with others, as `kind:value` keys
    /// (`franchise:scream`, `director:wes craven`, `cast:neve campbell`):
    /// movies with a key in common get related tastes and are watched one
    /// after the other. Empty for synthesised movies.
    pub features: Vec<String>,
}

/// One generated rating.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GeneratedRating {
    /// User id, `1..=users`.
    pub user_id: u32,
    /// Id of the rated [`CatalogMovie`].
    pub movie_id: i64,
    /// Rating in half stars, `1..=10` (so `8` means 4.0 stars).
    pub half_stars: u8,
    /// Unix time in seconds; strictly increasing within a user.
    pub timestamp: i64,
}

/// Summary of a finished generation run.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GenerationStats {
    /// Number of users that received ratings.
    pub users: u32,
    /// Number of movies in the catalogue.
    pub movies: usize,
    /// Total number of ratings emitted.
    pub ratings: u64,
    /// `histogram[i]` counts ratings of `i + 1` half stars.
    pub histogram: [u64; 10],
    /// Smallest number of ratings of a single user.
    pub min_user_ratings: u64,
    /// Largest number of ratings of a single user.
    pub max_user_ratings: u64,
}

impl GenerationStats {
    /// Mean rating in stars (0 when nothing was generated).
    pub fn mean_stars(&self) -> f64 {
        let sum: u64 = self
            .histogram
            .iter()
            .enumerate()
            .map(|(i, &n)| (i as u64 + 1) * n)
            .sum();
        if self.ratings == 0 {
            0.0
        } else {
            sum as f64 / (2.0 * self.ratings as f64)
        }
    }
}

/// Errors reported by the generator and the CSV helpers.
#[derive(Debug)]
pub enum SynthError {
    /// The configuration or catalogue cannot produce the requested data.
    InvalidConfig(String),
    /// A catalogue CSV could not be parsed.
    Parse {
        /// 1-based line number where the problem was found.
        line: u64,
        /// What went wrong.
        message: String,
    },
    /// Reading or writing failed.
    Io(io::Error),
}

impl fmt::Display for SynthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SynthError::InvalidConfig(msg) => write!(f, "invalid generator configuration: {msg}"),
            SynthError::Parse { line, message } => {
                write!(f, "catalogue CSV line {line}: {message}")
            }
            SynthError::Io(e) => write!(f, "I/O error: {e}"),
        }
    }
}

impl std::error::Error for SynthError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SynthError::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<io::Error> for SynthError {
    fn from(e: io::Error) -> Self {
        SynthError::Io(e)
    }
}

mod catalog;
mod math;
mod random;
mod world;

pub use catalog::{
    read_catalog, synthesise_movies, write_movies_csv, write_rating_line, write_ratings_csv,
};
use random::Rng;
use world::build_world;

/// Generates ratings and passes them to `emit`, one user at a time, users in
/// id order and each user's ratings in time order.
///
/// Memory use is O(users + movies) plus one user's ratings; nothing else is
/// buffered. Fails with [`SynthError::InvalidConfig`] for zero users, an
/// empty catalogue, fewer ratings than `users × 5` (or `users × movies` when
/// the catalogue has fewer than five movies) or more than `users × movies`;
/// errors returned by `emit` are passed through as [`SynthError::Io`].
pub fn generate<F>(
    cfg: &GeneratorConfig,
    movies: &[CatalogMovie],
    mut emit: F,
) -> Result<GenerationStats, SynthError>
where
    F: FnMut(&GeneratedRating) -> io::Result<()>,
{
    let world = build_world(cfg, movies)?;
    let mut stats = GenerationStats {
        users: cfg.users,
        movies: movies.len(),
        min_user_ratings: u64::MAX,
        ..GenerationStats::default()
    };
    let mut seen = vec![0u32; world.movies.len()];
    let mut buffer: Vec<GeneratedRating> = Vec::new();
    for (ui, u) in world.users.iter().enumerate() {
        let mut rng = Rng::new(cfg.seed, STREAM_USER_RATINGS, ui as u64);
        let stamp = ui as u32 + 1;
        let picked = world.pick_movies(u, &mut rng, &mut seen, stamp);
        buffer.clear();
        for &(mi, timestamp) in &picked {
            let m = &world.movies[mi as usize];
            let half_stars = world.rate(u, m, &mut rng);
            buffer.push(GeneratedRating {
                user_id: ui as u32 + 1,
                movie_id: m.id,
                half_stars,
                timestamp,
            });
        }
        buffer.sort_by(|a, b| {
            a.timestamp
                .cmp(&b.timestamp)
                .then(a.movie_id.cmp(&b.movie_id))
        });
        let mut last = i64::MIN;
        for r in &mut buffer {
            if r.timestamp <= last {
                r.timestamp = last + 1;
            }
            last = r.timestamp;
            stats.histogram[usize::from(r.half_stars - 1)] += 1;
            emit(r)?;
        }
        let n = buffer.len() as u64;
        stats.ratings += n;
        stats.min_user_ratings = stats.min_user_ratings.min(n);
        stats.max_user_ratings = stats.max_user_ratings.max(n);
    }
    if stats.min_user_ratings == u64::MAX {
        stats.min_user_ratings = 0;
    }
    Ok(stats)
}

#[cfg(test)]
mod tests;
