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
use std::io::{self, Write};

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

// ---------------------------------------------------------------------------
// Portable math
// ---------------------------------------------------------------------------
//
// `f64::ln`, `exp`, `cos` and `powf` call the platform's libm, whose last-bit
// results differ between systems and versions. These replacements use only
// IEEE-exact operations (+, −, ×, ÷, sqrt and bit manipulation), so every
// platform computes the same bits. Accuracy is ~1e-15 relative, far more than
// a random generator needs.

const LN_2: f64 = std::f64::consts::LN_2;

/// Natural logarithm of a positive finite `x` (returns −∞ for 0, NaN below).
fn det_ln(x: f64) -> f64 {
    if x.is_nan() || x < 0.0 {
        return f64::NAN;
    }
    if x == 0.0 {
        return f64::NEG_INFINITY;
    }
    if x.is_infinite() {
        return x;
    }
    // Normalise subnormals, then split x = m · 2^e with m in [√½, √2).
    let (x, bias) = if x < f64::MIN_POSITIVE {
        (x * 18_014_398_509_481_984.0, -54i64) // 2^54
    } else {
        (x, 0)
    };
    let bits = x.to_bits();
    let mut e = ((bits >> 52) & 0x7ff) as i64 - 1023 + bias;
    let mut m = f64::from_bits((bits & 0x000f_ffff_ffff_ffff) | 0x3ff0_0000_0000_0000);
    if m > std::f64::consts::SQRT_2 {
        m *= 0.5;
        e += 1;
    }
    // ln m = 2·atanh(s), s = (m − 1)/(m + 1), |s| < 0.172.
    let s = (m - 1.0) / (m + 1.0);
    let s2 = s * s;
    let mut term = s;
    let mut sum = 0.0;
    let mut k = 1.0;
    while k < 40.0 {
        sum += term / k;
        term *= s2;
        k += 2.0;
    }
    2.0 * sum + e as f64 * LN_2
}

/// Exponential function (saturates to 0 / +∞ outside about ±708).
fn det_exp(x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    if x > 709.0 {
        return f64::INFINITY;
    }
    if x < -708.0 {
        return 0.0;
    }
    // x = k·ln2 + r with |r| ≤ ln2/2; e^r by Taylor series, 2^k via the exponent.
    let k = (x / LN_2).round();
    let r = x - k * LN_2;
    let mut term = 1.0;
    let mut sum = 1.0;
    for i in 1..=20 {
        term *= r / f64::from(i);
        sum += term;
    }
    let ki = k as i64;
    sum * f64::from_bits(((ki + 1023) as u64) << 52)
}

/// `cos(2π·t)` for any finite `t` (an angle in turns).
fn det_cos_turns(t: f64) -> f64 {
    // Reduce to a ∈ [0, 1), then to an octant, and evaluate sin/cos series
    // on |y| ≤ π/4.
    let a = t - t.floor();
    let q = (a * 8.0).floor();
    let octant = q as u8;
    let frac = a - q / 8.0; // [0, 1/8)
    let taylor_cos = |y: f64| {
        let y2 = y * y;
        let (mut term, mut sum) = (1.0, 1.0);
        for i in 1..=12 {
            term *= -y2 / f64::from((2 * i - 1) * (2 * i));
            sum += term;
        }
        sum
    };
    let taylor_sin = |y: f64| {
        let y2 = y * y;
        let (mut term, mut sum) = (y, y);
        for i in 1..=12 {
            term *= -y2 / f64::from((2 * i) * (2 * i + 1));
            sum += term;
        }
        sum
    };
    let tau = std::f64::consts::TAU;
    let y = frac * tau; // [0, π/4)
    let z = (0.125 - frac) * tau; // (0, π/4]
    match octant {
        0 => taylor_cos(y),
        1 => taylor_sin(z),
        2 => -taylor_sin(y),
        3 => -taylor_cos(z),
        4 => -taylor_cos(y),
        5 => -taylor_sin(z),
        6 => taylor_sin(y),
        _ => taylor_cos(z),
    }
}

/// Quantile function of the standard normal distribution for `p` in (0, 1)
/// (P. J. Acklam's rational approximation, relative error < 1.2e-9; clamped
/// to ±8.3 outside the open interval).
fn inv_norm_cdf(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    const P_LOW: f64 = 0.024_25;
    if p.is_nan() {
        return 0.0;
    }
    let p = p.clamp(1e-16, 1.0 - 1e-16);
    let tail = |q: f64| {
        let q = (-2.0 * det_ln(q)).sqrt();
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    if p < P_LOW {
        tail(p)
    } else if p > 1.0 - P_LOW {
        -tail(1.0 - p)
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    }
}

// ---------------------------------------------------------------------------
// Randomness
// ---------------------------------------------------------------------------

/// SplitMix64 step, used for seeding and for hashing stream identifiers.
fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// xoshiro256** pseudo-random generator.
#[derive(Debug, Clone)]
struct Rng {
    s: [u64; 4],
}

impl Rng {
    /// Generator for `(seed, stream, index)`; distinct triples give
    /// independent-looking sequences.
    fn new(seed: u64, stream: u64, index: u64) -> Self {
        let mut sm = seed;
        let a = splitmix64(&mut sm);
        let mut sm2 = a ^ stream;
        let b = splitmix64(&mut sm2);
        let mut st = b ^ index.wrapping_mul(0xd1b5_4a32_d192_ed03);
        let mut s = [0u64; 4];
        for slot in &mut s {
            *slot = splitmix64(&mut st);
        }
        if s == [0; 4] {
            s[0] = 1;
        }
        Rng { s }
    }

    fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// Uniform in `[0, 1)` with 53 bits of precision.
    fn f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in `(0, 1]`, safe for logarithms.
    fn f64_open(&mut self) -> f64 {
        ((self.next_u64() >> 11) + 1) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform integer in `0..n` (`n > 0`), via the multiply-high method.
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform integer in `lo..=hi`.
    fn range_i64(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        lo + self.below((hi - lo) as u64 + 1) as i64
    }

    /// Standard normal via Box–Muller (one value per call, for simplicity).
    fn normal(&mut self) -> f64 {
        let u1 = self.f64_open();
        let u2 = self.f64();
        (-2.0 * det_ln(u1)).sqrt() * det_cos_turns(u2)
    }

    /// Index drawn proportionally to `weights` (linear scan; small slices only).
    fn weighted_index(&mut self, weights: &[f64]) -> usize {
        let total: f64 = weights.iter().sum();
        let mut x = self.f64() * total;
        for (i, w) in weights.iter().enumerate() {
            if x < *w {
                return i;
            }
            x -= w;
        }
        weights.len().saturating_sub(1)
    }
}

/// Walker/Vose alias table for O(1) weighted sampling.
#[derive(Debug, Clone)]
struct AliasTable {
    prob: Vec<f64>,
    alias: Vec<u32>,
}

impl AliasTable {
    /// Builds a table; returns `None` for an empty or all-zero weight vector.
    fn new(weights: &[f64]) -> Option<Self> {
        let n = weights.len();
        let total: f64 = weights.iter().filter(|w| w.is_finite() && **w > 0.0).sum();
        if n == 0 || total <= 0.0 {
            return None;
        }
        let mut prob: Vec<f64> = weights
            .iter()
            .map(|&w| {
                if w.is_finite() && w > 0.0 {
                    w * n as f64 / total
                } else {
                    0.0
                }
            })
            .collect();
        let mut alias: Vec<u32> = (0..n as u32).collect();
        let mut small: Vec<u32> = Vec::new();
        let mut large: Vec<u32> = Vec::new();
        for (i, &p) in prob.iter().enumerate() {
            if p < 1.0 {
                small.push(i as u32);
            } else {
                large.push(i as u32);
            }
        }
        while let (Some(&s), Some(&l)) = (small.last(), large.last()) {
            small.pop();
            alias[s as usize] = l;
            prob[l as usize] -= 1.0 - prob[s as usize];
            if prob[l as usize] < 1.0 {
                large.pop();
                small.push(l);
            }
        }
        for i in large.into_iter().chain(small) {
            prob[i as usize] = 1.0;
        }
        Some(AliasTable { prob, alias })
    }

    fn sample(&self, rng: &mut Rng) -> usize {
        let i = rng.below(self.prob.len() as u64) as usize;
        if rng.f64() < self.prob[i] {
            i
        } else {
            self.alias[i] as usize
        }
    }
}

// ---------------------------------------------------------------------------
// Catalogue helpers
// ---------------------------------------------------------------------------

/// Synthesises `cfg.movies` movies with ids `1..=movies`, titles like
/// `"Synthetic Film 123 (1994)"`, years 1970–2023 (recent years more common)
/// and one to three genres drawn with MovieLens-like frequencies.
pub fn synthesise_movies(cfg: &GeneratorConfig) -> Vec<CatalogMovie> {
    let mut rng = Rng::new(cfg.seed, STREAM_MOVIES, 0);
    let year_weights: Vec<f64> = (FIRST_YEAR..=LAST_YEAR)
        .map(|y| det_exp(0.035 * f64::from(y - FIRST_YEAR)))
        .collect();
    let mut movies = Vec::with_capacity(cfg.movies as usize);
    for i in 1..=cfg.movies {
        let year = FIRST_YEAR + rng.weighted_index(&year_weights) as i32;
        let n_genres = match rng.f64() {
            x if x < 0.45 => 1,
            x if x < 0.80 => 2,
            _ => 3,
        };
        let mut weights = GENRE_FREQ;
        let mut picked: Vec<usize> = Vec::with_capacity(n_genres);
        for _ in 0..n_genres {
            let g = rng.weighted_index(&weights);
            weights[g] = 0.0;
            picked.push(g);
        }
        picked.sort_unstable();
        movies.push(CatalogMovie {
            id: i64::from(i),
            title: format!("Synthetic Film {i} ({year})"),
            year: Some(year),
            genres: picked.iter().map(|&g| GENRES[g].to_string()).collect(),
            popularity: None,
        });
    }
    movies
}

/// Reads a catalogue to rate (a `movies.csv` in the MovieLens csv layout,
/// such as the seed folder's) through [`crate::dataset`], so titles, years
/// and genres mean what they mean everywhere else. An optional `popularity`
/// column (larger = more popular) drives exposure.
pub fn read_catalog(
    path: &std::path::Path,
) -> Result<Vec<CatalogMovie>, crate::dataset::DatasetError> {
    let records = crate::dataset::read_movies_file(path)?;
    Ok(records
        .into_iter()
        .map(|m| CatalogMovie {
            id: i64::from(m.source_id),
            title: match m.year {
                Some(year) => format!("{} ({year})", m.title),
                None => m.title,
            },
            year: m.year,
            genres: m.genres.iter().map(|g| (*g).to_owned()).collect(),
            popularity: m.popularity,
        })
        .collect())
}

/// Quotes a CSV field when it contains a comma, quote or line break.
fn csv_field(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains([',', '"', '\n', '\r']) {
        std::borrow::Cow::Owned(format!("\"{}\"", s.replace('"', "\"\"")))
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

/// Writes a MovieLens `movies.csv` (`movieId,title,genres`, plus a
/// `popularity` column when any movie has a popularity).
pub fn write_movies_csv<W: Write>(out: W, movies: &[CatalogMovie]) -> io::Result<()> {
    let mut w = io::BufWriter::new(out);
    let with_popularity = movies.iter().any(|m| m.popularity.is_some());
    w.write_all(if with_popularity {
        b"movieId,title,genres,popularity\n".as_slice()
    } else {
        b"movieId,title,genres\n".as_slice()
    })?;
    for m in movies {
        let genres = if m.genres.is_empty() {
            "(no genres listed)".to_string()
        } else {
            m.genres.join("|")
        };
        write!(w, "{},{},{}", m.id, csv_field(&m.title), csv_field(&genres))?;
        match (with_popularity, m.popularity) {
            (true, Some(p)) => writeln!(w, ",{p}")?,
            (true, None) => writeln!(w, ",")?,
            (false, _) => writeln!(w)?,
        }
    }
    w.flush()
}

/// Writes one `userId,movieId,rating,timestamp` line, rating as `4.0`/`3.5`.
pub fn write_rating_line<W: Write>(w: &mut W, r: &GeneratedRating) -> io::Result<()> {
    let half = if r.half_stars % 2 == 1 { '5' } else { '0' };
    writeln!(
        w,
        "{},{},{}.{},{}",
        r.user_id,
        r.movie_id,
        r.half_stars / 2,
        half,
        r.timestamp
    )
}

/// Generates ratings for `movies` and writes them as a MovieLens
/// `ratings.csv` (header `userId,movieId,rating,timestamp`), streaming.
pub fn write_ratings_csv<W: Write>(
    out: W,
    cfg: &GeneratorConfig,
    movies: &[CatalogMovie],
) -> Result<GenerationStats, SynthError> {
    let mut w = io::BufWriter::with_capacity(1 << 16, out);
    w.write_all(b"userId,movieId,rating,timestamp\n")?;
    let stats = generate(cfg, movies, |r| write_rating_line(&mut w, r))?;
    w.flush()?;
    Ok(stats)
}

// ---------------------------------------------------------------------------
// The latent world
// ---------------------------------------------------------------------------

type Latent = [f32; LATENT_DIM];

#[derive(Debug, Clone)]
struct MovieModel {
    id: i64,
    genre_mask: u32,
    quality: f32,
    latent: Latent,
    /// Long-run exposure weight.
    popularity: f64,
    /// Earliest allowed rating time (1 January of the release year, but not
    /// before 2000).
    release: i64,
    /// 1 January of the release year (`None` if unknown): origin of the
    /// release curve.
    origin: Option<i64>,
    /// Upper bound of [`release_curve`] over 2000–2023 for this movie; the
    /// alias tables use `popularity × exposure_cap` and exposures are then
    /// accepted with probability `release_curve / exposure_cap`.
    exposure_cap: f64,
}

#[derive(Debug, Clone)]
struct UserModel {
    favourites: Vec<u8>,
    fav_mask: u32,
    bias: f32,
    latent: Latent,
    whole_stars: bool,
    /// Share of exposures drawn from favourite-genre tables.
    fav_share: f32,
    start: i64,
    end: i64,
    activity: f64,
    count: u64,
}

#[derive(Debug)]
struct World {
    movies: Vec<MovieModel>,
    users: Vec<UserModel>,
    global: AliasTable,
    /// Per-genre alias tables over `genre_members[g]`.
    genre_tables: Vec<Option<AliasTable>>,
    genre_members: Vec<Vec<u32>>,
    dot_scale: f64,
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn year_start(year: i32) -> i64 {
    days_from_civil(i64::from(year), 1, 1) * 86_400
}

/// Relative exposure of a movie `age` seconds after 1 January of its release
/// year: 0 before, ramping up over the release year, peaking within the first
/// year (at ≈7.8 with the constants above; the bound is `1 + NEW_RELEASE_BOOST`)
/// and settling to 1 after a few years.
fn release_curve(age: i64) -> f64 {
    if age < 0 {
        return 0.0;
    }
    let years = age as f64 / YEAR_SECS;
    (1.0 - det_exp(-years / RELEASE_RAMP_YEARS))
        * (1.0 + NEW_RELEASE_BOOST * det_exp(-years / NEW_RELEASE_DECAY_YEARS))
}

impl MovieModel {
    /// Exposure multiplier at time `t` (0 before the movie can be rated).
    fn exposure_at(&self, t: i64) -> f64 {
        if t < self.release {
            return 0.0;
        }
        match self.origin {
            Some(o) => release_curve(t - o),
            None => 1.0,
        }
    }
}

fn genre_index(name: &str) -> Option<usize> {
    crate::dataset::genre_index(name)
}

fn random_latent(rng: &mut Rng, base: &Latent, base_weight: f64) -> Latent {
    let noise_weight = (1.0 - base_weight * base_weight).max(0.0).sqrt();
    let mut v = [0f32; LATENT_DIM];
    for (k, slot) in v.iter_mut().enumerate() {
        *slot = (base_weight * f64::from(base[k]) + noise_weight * rng.normal()) as f32;
    }
    v
}

/// Mean of the genre embeddings of a mask, rescaled to unit variance per component.
fn genre_base(mask: u32, embeddings: &[Latent]) -> Latent {
    let mut v = [0f32; LATENT_DIM];
    let n = mask.count_ones();
    if n == 0 {
        return v;
    }
    for (g, e) in embeddings.iter().enumerate() {
        if mask & (1 << g) != 0 {
            for k in 0..LATENT_DIM {
                v[k] += e[k];
            }
        }
    }
    let s = 1.0 / (n as f32).sqrt();
    for x in &mut v {
        *x *= s;
    }
    v
}

fn dot(a: &Latent, b: &Latent) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| f64::from(*x) * f64::from(*y))
        .sum()
}

/// Number of ratings per user: `min + λ·activity`, capped per user, with λ
/// chosen by bisection so that the total is exactly `target`.
fn allocate_counts(users: &mut [UserModel], caps: &[u64], min: u64, target: u64) {
    let total_for = |lambda: f64| -> f64 {
        users
            .iter()
            .zip(caps)
            .map(|(u, &c)| (min as f64 + lambda * u.activity).min(c as f64))
            .sum()
    };
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    let mut guard = 0;
    while total_for(hi) < target as f64 && guard < 200 {
        hi *= 2.0;
        guard += 1;
    }
    for _ in 0..100 {
        let mid = 0.5 * (lo + hi);
        if total_for(mid) < target as f64 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let mut fracs: Vec<(f64, usize)> = Vec::with_capacity(users.len());
    let mut assigned = 0u64;
    for (i, (u, &cap)) in users.iter_mut().zip(caps).enumerate() {
        let x = (min as f64 + lo * u.activity).min(cap as f64);
        let base = (x.floor() as u64).min(cap);
        u.count = base;
        assigned += base;
        if base < cap {
            fracs.push((x - base as f64, i));
        }
    }
    // Largest remainders first; ties broken by user index for determinism.
    fracs.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut remaining = target.saturating_sub(assigned);
    while remaining > 0 {
        let mut progressed = false;
        for &(_, i) in &fracs {
            if remaining == 0 {
                break;
            }
            if users[i].count < caps[i] {
                users[i].count += 1;
                remaining -= 1;
                progressed = true;
            }
        }
        if !progressed {
            break;
        }
    }
}

fn build_world(cfg: &GeneratorConfig, catalog: &[CatalogMovie]) -> Result<World, SynthError> {
    if cfg.users == 0 {
        return Err(SynthError::InvalidConfig("users must be positive".into()));
    }
    if catalog.is_empty() {
        return Err(SynthError::InvalidConfig(
            "the movie catalogue is empty".into(),
        ));
    }
    if catalog.len() > u32::MAX as usize {
        return Err(SynthError::InvalidConfig("catalogue too large".into()));
    }
    let n_movies = catalog.len() as u64;
    let min = u64::from(MIN_RATINGS_PER_USER).min(n_movies);
    let users = u64::from(cfg.users);
    if cfg.ratings < users * min {
        return Err(SynthError::InvalidConfig(format!(
            "{} ratings cannot give {} users at least {} ratings each",
            cfg.ratings, cfg.users, min
        )));
    }
    if u128::from(cfg.ratings) > u128::from(users) * u128::from(n_movies) {
        return Err(SynthError::InvalidConfig(format!(
            "{} ratings exceed users × movies ({} × {})",
            cfg.ratings, cfg.users, n_movies
        )));
    }

    let mut rng = Rng::new(cfg.seed, STREAM_WORLD, 0);
    let embeddings: Vec<Latent> = (0..GENRES.len())
        .map(|_| random_latent(&mut rng, &[0.0; LATENT_DIM], 0.0))
        .collect();

    // Movies. With catalogue popularities, `rank_pct[i]` is movie i's
    // mid-rank percentile (0 = most popular, ties broken by catalogue order).
    let rho = QUALITY_POPULARITY_CORR;
    let mut ranked: Vec<(f64, usize)> = catalog
        .iter()
        .enumerate()
        .filter_map(|(i, m)| m.popularity.filter(|p| p.is_finite()).map(|p| (p, i)))
        .collect();
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut rank_pct: Vec<Option<f64>> = vec![None; catalog.len()];
    for (r, &(_, i)) in ranked.iter().enumerate() {
        rank_pct[i] = Some((r as f64 + 0.5) / ranked.len() as f64);
    }
    let fame_model = !ranked.is_empty();
    let mut genre_counts = [0f64; 20];
    let mut movies = Vec::with_capacity(catalog.len());
    for (mi, m) in catalog.iter().enumerate() {
        let mut mask = 0u32;
        for g in &m.genres {
            if let Some(i) = genre_index(g) {
                mask |= 1 << i;
            }
        }
        for (g, c) in genre_counts.iter_mut().enumerate() {
            if mask & (1 << g) != 0 {
                *c += 1.0;
            }
        }
        let (zq, popularity) = if fame_model {
            // Popularity rank -> Zipf-like weight with log-normal noise;
            // quality correlates with the rank's normal score.
            let q = match rank_pct[mi] {
                Some(q) => q,
                None => rng.f64_open(),
            };
            let fame = -inv_norm_cdf(q);
            let rf = FAME_QUALITY_CORR;
            let zq = rf * fame + (1.0 - rf * rf).sqrt() * rng.normal();
            let zipf = det_exp(-FAME_ZIPF_EXPONENT * det_ln(q + FAME_ZIPF_OFFSET));
            (zq, zipf * det_exp(FAME_NOISE_LOG_SD * rng.normal()))
        } else {
            let zq = rng.normal();
            let zp = rho * zq + (1.0 - rho * rho).sqrt() * rng.normal();
            (zq, det_exp(POPULARITY_LOG_SD * zp))
        };
        let latent = random_latent(&mut rng, &genre_base(mask, &embeddings), 0.6);
        let origin = m.year.map(|y| year_start(y.clamp(1800, 2023)));
        let release = origin.unwrap_or(i64::MIN).max(EPOCH_START);
        // The boost only decays after EPOCH_START and the ramp is ≤ 1, so
        // this bounds release_curve over the whole rating period.
        let exposure_cap = match origin {
            Some(o) => {
                let years = (EPOCH_START - o).max(0) as f64 / YEAR_SECS;
                1.0 + NEW_RELEASE_BOOST * det_exp(-years / NEW_RELEASE_DECAY_YEARS)
            }
            None => 1.0,
        };
        movies.push(MovieModel {
            id: m.id,
            genre_mask: mask,
            quality: (QUALITY_SD * zq) as f32,
            latent,
            popularity,
            release,
            origin,
            exposure_cap,
        });
    }
    let pops: Vec<f64> = movies
        .iter()
        .map(|m| m.popularity * m.exposure_cap)
        .collect();
    let global = AliasTable::new(&pops)
        .ok_or_else(|| SynthError::InvalidConfig("no movie has positive weight".into()))?;
    let mut genre_members: Vec<Vec<u32>> = vec![Vec::new(); GENRES.len()];
    for (i, m) in movies.iter().enumerate() {
        for (g, members) in genre_members.iter_mut().enumerate() {
            if m.genre_mask & (1 << g) != 0 {
                members.push(i as u32);
            }
        }
    }
    let genre_tables: Vec<Option<AliasTable>> = genre_members
        .iter()
        .map(|members| {
            let w: Vec<f64> = members.iter().map(|&i| pops[i as usize]).collect();
            AliasTable::new(&w)
        })
        .collect();

    // Release times sorted, to know how many movies a user's window can reach.
    let mut releases: Vec<i64> = movies.iter().map(|m| m.release).collect();
    releases.sort_unstable();
    let min_end = releases[(min.max(1) - 1) as usize] + 86_400;

    // Users.
    let fav_weights: Vec<f64> = genre_counts.iter().map(|c| c.sqrt()).collect();
    let any_genre = fav_weights.iter().any(|w| *w > 0.0);
    let mut user_models = Vec::with_capacity(cfg.users as usize);
    let mut caps = Vec::with_capacity(cfg.users as usize);
    for u in 0..cfg.users {
        let mut r = Rng::new(cfg.seed, STREAM_USER_PARAMS, u64::from(u));
        let mut favourites = Vec::new();
        let mut fav_mask = 0u32;
        if any_genre {
            let n_fav = 1 + r.below(3) as usize;
            let mut w = fav_weights.clone();
            for _ in 0..n_fav {
                if w.iter().all(|x| *x <= 0.0) {
                    break;
                }
                let g = r.weighted_index(&w);
                w[g] = 0.0;
                favourites.push(g as u8);
                fav_mask |= 1 << g;
            }
        }
        let latent = random_latent(&mut r, &genre_base(fav_mask, &embeddings), 0.6);
        let bias = (USER_BIAS_SD * r.normal()) as f32;
        let whole_stars = r.f64() < WHOLE_STAR_USERS;
        let fav_share = (0.25 + 0.45 * r.f64()) as f32;
        let activity = det_exp(ACTIVITY_LOG_SD * r.normal());
        // Activity window: heavy-tailed length from minutes to years, centred
        // at a time whose density grows like exp(ACTIVITY_GROWTH_PER_YEAR ·
        // years since 2000) (inverse-CDF draw), shifted to fit 2000–2023.
        let span_years = (EPOCH_END - EPOCH_START) as f64 / YEAR_SECS;
        let k = ACTIVITY_GROWTH_PER_YEAR;
        let grow = det_exp(k * span_years) - 1.0;
        let centre_years = det_ln(1.0 + r.f64_open() * grow) / k;
        let centre = EPOCH_START + (centre_years * YEAR_SECS) as i64;
        let len = (3.0 * 86_400.0 * det_exp(2.2 * r.normal())).min(8.0e8) as i64;
        let len = len.max(3_600);
        let start = (centre - len / 2).min(EPOCH_END - len).max(EPOCH_START);
        let end = start
            .saturating_add(len)
            .min(EPOCH_END)
            .max(min_end.min(EPOCH_END));
        let start = start.min(end - 3_600);
        let reachable = releases.partition_point(|&t| t <= end) as u64;
        caps.push(reachable.max(min));
        user_models.push(UserModel {
            favourites,
            fav_mask,
            bias,
            latent,
            whole_stars,
            fav_share,
            start,
            end,
            activity,
            count: 0,
        });
    }
    // Very dense requests may not fit inside the activity windows: stretch
    // windows to the end of 2023 (in user order) until the target fits.
    let mut capacity: u64 = caps.iter().sum();
    for (u, cap) in user_models.iter_mut().zip(caps.iter_mut()) {
        if capacity >= cfg.ratings {
            break;
        }
        capacity += n_movies - *cap;
        *cap = n_movies;
        u.end = EPOCH_END;
    }
    allocate_counts(&mut user_models, &caps, min, cfg.ratings);

    Ok(World {
        movies,
        users: user_models,
        global,
        genre_tables,
        genre_members,
        dot_scale: DOT_SD / (LATENT_DIM as f64).sqrt(),
    })
}

impl World {
    /// Picks the movies (indices) user `u` rates, without duplicates, each
    /// with the time of the exposure.
    ///
    /// An exposure draws a time `t` uniformly in the user's window and a
    /// candidate from the tables (weights `popularity × exposure_cap`), and is
    /// accepted with probability `exposure_at(t) / exposure_cap`, so movies
    /// are exposed in proportion to `popularity × release curve at t`.
    /// Discovery draws are uniform over the movies released by `t`.
    fn pick_movies(
        &self,
        u: &UserModel,
        rng: &mut Rng,
        seen: &mut [u32],
        stamp: u32,
    ) -> Vec<(u32, i64)> {
        let n = self.movies.len();
        let want = u.count as usize;
        let mut picked: Vec<(u32, i64)> = Vec::with_capacity(want);
        let dense = u.count * DENSE_USER_DIVISOR > n as u64;
        if !dense {
            let fav_tables: Vec<(&AliasTable, &Vec<u32>)> = u
                .favourites
                .iter()
                .filter_map(|&g| {
                    let t = self.genre_tables[g as usize].as_ref()?;
                    Some((t, &self.genre_members[g as usize]))
                })
                .collect();
            let max_attempts = 40 * want + 1_000;
            let mut attempts = 0;
            while picked.len() < want && attempts < max_attempts {
                attempts += 1;
                let time = rng.range_i64(u.start, u.end);
                let x = rng.f64();
                let discovery = x < DISCOVERY_SHARE;
                let idx = if discovery {
                    rng.below(n as u64) as usize
                } else if x < DISCOVERY_SHARE + f64::from(u.fav_share) && !fav_tables.is_empty() {
                    let (t, members) = fav_tables[rng.below(fav_tables.len() as u64) as usize];
                    members[t.sample(rng)] as usize
                } else {
                    self.global.sample(rng)
                };
                let m = &self.movies[idx];
                if seen[idx] == stamp || m.release > time {
                    continue;
                }
                if !discovery && rng.f64() * m.exposure_cap >= m.exposure_at(time) {
                    continue;
                }
                seen[idx] = stamp;
                picked.push((idx as u32, time));
            }
        }
        if picked.len() < want {
            // Exhaustive weighted sampling without replacement
            // (Efraimidis–Spirakis keys) over the remaining reachable movies,
            // weighted by popularity × the release curve in the middle of the
            // reachable part of the window × that part's share of the window.
            let mut keyed: Vec<(f64, u32)> = Vec::new();
            let window = (u.end - u.start).max(1) as f64;
            for (i, m) in self.movies.iter().enumerate() {
                if seen[i] == stamp || m.release > u.end {
                    continue;
                }
                let boost = if m.genre_mask & u.fav_mask != 0 {
                    3.0
                } else {
                    1.0
                };
                let lo = u.start.max(m.release);
                let mid = lo + (u.end - lo) / 2;
                let reach = ((u.end - lo) as f64 / window).clamp(0.05, 1.0);
                let w = (m.popularity * boost * m.exposure_at(mid) * reach).max(1e-300);
                keyed.push((det_ln(rng.f64_open()) / w, i as u32));
            }
            let need = (want - picked.len()).min(keyed.len());
            if need > 0 && need < keyed.len() {
                keyed.select_nth_unstable_by(need - 1, |a, b| {
                    b.0.total_cmp(&a.0).then(a.1.cmp(&b.1))
                });
            }
            keyed.truncate(need);
            keyed.sort_by_key(|k| k.1);
            for (_, i) in keyed {
                seen[i as usize] = stamp;
                let lo = u.start.max(self.movies[i as usize].release);
                picked.push((i, rng.range_i64(lo, u.end.max(lo))));
            }
        }
        picked
    }

    /// Rating in half stars for user `u` and movie `m`.
    ///
    /// The appeal `user bias + movie quality + taste·taste + genre bonus +
    /// noise` is standardised and mapped through ordered-probit cut points
    /// (whole-star users have their own coarser cuts), which gives the
    /// left-skewed MovieLens histogram with its mode at 4.0 stars.
    fn rate(&self, u: &UserModel, m: &MovieModel, rng: &mut Rng) -> u8 {
        let fav_hits = (u.fav_mask & m.genre_mask).count_ones().min(2);
        let appeal = f64::from(u.bias)
            + f64::from(m.quality)
            + self.dot_scale * dot(&u.latent, &m.latent)
            + AFFINITY_BONUS * f64::from(fav_hits)
            + NOISE_SD * rng.normal();
        let z = (appeal - APPEAL_SHIFT) / APPEAL_SD;
        if u.whole_stars {
            let stars = 1 + WHOLE_STAR_CUTS.iter().filter(|&&c| z > c).count() as u8;
            stars * 2
        } else {
            1 + HALF_STAR_CUTS.iter().filter(|&&c| z > c).count() as u8
        }
    }
}

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
mod tests {
    use super::*;
    use std::collections::{HashMap, HashSet};

    fn cfg(users: u32, movies: u32, ratings: u64, seed: u64) -> GeneratorConfig {
        GeneratorConfig {
            users,
            movies,
            ratings,
            seed,
        }
    }

    fn collect(
        c: &GeneratorConfig,
        movies: &[CatalogMovie],
    ) -> (Vec<GeneratedRating>, GenerationStats) {
        let mut out = Vec::new();
        let stats = generate(c, movies, |r| {
            out.push(*r);
            Ok(())
        })
        .unwrap();
        (out, stats)
    }

    fn csv_bytes(c: &GeneratorConfig) -> Vec<u8> {
        let movies = synthesise_movies(c);
        let mut buf = Vec::new();
        write_ratings_csv(&mut buf, c, &movies).unwrap();
        buf
    }

    /// Spearman rank correlation.
    fn spearman(xs: &[f64], ys: &[f64]) -> f64 {
        fn ranks(v: &[f64]) -> Vec<f64> {
            let mut idx: Vec<usize> = (0..v.len()).collect();
            idx.sort_by(|&a, &b| v[a].total_cmp(&v[b]));
            let mut r = vec![0.0; v.len()];
            for (rank, &i) in idx.iter().enumerate() {
                r[i] = rank as f64;
            }
            r
        }
        let (rx, ry) = (ranks(xs), ranks(ys));
        let n = xs.len() as f64;
        let mx = rx.iter().sum::<f64>() / n;
        let my = ry.iter().sum::<f64>() / n;
        let mut sxy = 0.0;
        let mut sxx = 0.0;
        let mut syy = 0.0;
        for i in 0..xs.len() {
            sxy += (rx[i] - mx) * (ry[i] - my);
            sxx += (rx[i] - mx).powi(2);
            syy += (ry[i] - my).powi(2);
        }
        sxy / (sxx * syy).sqrt()
    }

    fn top_share(mut counts: Vec<u64>, fraction: f64) -> f64 {
        counts.sort_unstable_by(|a, b| b.cmp(a));
        let total: u64 = counts.iter().sum();
        let k = ((counts.len() as f64) * fraction).ceil() as usize;
        counts[..k].iter().sum::<u64>() as f64 / total as f64
    }

    #[test]
    fn portable_math_matches_std() {
        let mut r = Rng::new(1, 2, 3);
        for _ in 0..10_000 {
            let x = r.f64_open() * 1e3;
            assert!((det_ln(x) - x.ln()).abs() <= 1e-13 * x.ln().abs().max(1.0));
            let y = (r.f64() - 0.5) * 60.0;
            assert!((det_exp(y) - y.exp()).abs() <= 1e-14 * y.exp());
            let t = r.f64() * 3.0 - 1.0;
            let c = (std::f64::consts::TAU * t).cos();
            assert!((det_cos_turns(t) - c).abs() <= 1e-14, "{t}");
        }
        assert_eq!(det_ln(1.0), 0.0);
        assert_eq!(det_exp(0.0), 1.0);
        assert_eq!(det_cos_turns(0.0), 1.0);
        assert!(det_ln(5e-324).is_finite());
    }

    /// FNV-1a, to pin the exact output bytes.
    fn fnv1a(bytes: &[u8]) -> u64 {
        bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
        })
    }

    #[test]
    fn output_is_pinned() {
        // If this fails, the generator's output changed: existing seeds no
        // longer reproduce published data. Only update deliberately.
        let c = cfg(100, 300, 5_000, 42);
        let mut movies = Vec::new();
        write_movies_csv(&mut movies, &synthesise_movies(&c)).unwrap();
        let ratings = csv_bytes(&c);
        assert_eq!(
            (fnv1a(&movies), fnv1a(&ratings)),
            (4_673_438_459_017_936_602, 5_986_281_852_191_222_215)
        );
    }

    #[test]
    fn rng_is_stable() {
        // Pinned values: the output must never change for a seed.
        let mut r = Rng::new(42, 0, 0);
        let first: Vec<u64> = (0..3).map(|_| r.next_u64()).collect();
        let mut r2 = Rng::new(42, 0, 0);
        let again: Vec<u64> = (0..3).map(|_| r2.next_u64()).collect();
        assert_eq!(first, again);
        let mut sm = 0u64;
        assert_eq!(splitmix64(&mut sm), 0xe220_a839_7b1d_cdaf);
    }

    #[test]
    fn deterministic_per_seed() {
        let a = csv_bytes(&cfg(200, 500, 20_000, 7));
        let b = csv_bytes(&cfg(200, 500, 20_000, 7));
        let c = csv_bytes(&cfg(200, 500, 20_000, 8));
        assert_eq!(a, b);
        assert_ne!(a, c);
        let text = String::from_utf8(a).unwrap();
        assert!(text.starts_with("userId,movieId,rating,timestamp\n"));
        assert_eq!(text.lines().count(), 20_001);
    }

    #[test]
    fn values_scales_and_uniqueness() {
        let c = cfg(300, 800, 30_000, 3);
        let movies = synthesise_movies(&c);
        let (ratings, stats) = collect(&c, &movies);
        let world = build_world(&c, &movies).unwrap();
        let mut pairs = HashSet::new();
        let mut last_ts: HashMap<u32, i64> = HashMap::new();
        for r in &ratings {
            assert!((1..=10).contains(&r.half_stars));
            let u = &world.users[(r.user_id - 1) as usize];
            if u.whole_stars {
                assert_eq!(r.half_stars % 2, 0, "whole-star user gave a half star");
            }
            assert!(pairs.insert((r.user_id, r.movie_id)), "duplicate pair");
            assert!((EPOCH_START..=EPOCH_END + 100_000).contains(&r.timestamp));
            if let Some(&prev) = last_ts.get(&r.user_id) {
                assert!(r.timestamp > prev);
            }
            last_ts.insert(r.user_id, r.timestamp);
        }
        assert_eq!(stats.ratings, ratings.len() as u64);
        assert!(stats.min_user_ratings >= u64::from(MIN_RATINGS_PER_USER));
        assert_eq!(stats.histogram.iter().sum::<u64>(), stats.ratings);
    }

    #[test]
    fn total_matches_target() {
        for (u, m, r) in [(100, 300, 5_000), (1_000, 3_000, 100_000), (50, 40, 1_500)] {
            let c = cfg(u, m, r, 11);
            let (ratings, stats) = collect(&c, &synthesise_movies(&c));
            let diff = (ratings.len() as f64 - r as f64).abs() / r as f64;
            assert!(diff <= 0.01, "{} vs {}", ratings.len(), r);
            assert!(stats.max_user_ratings <= u64::from(m));
        }
    }

    #[test]
    fn long_tails() {
        let c = cfg(2_000, 3_000, 150_000, 5);
        let (ratings, _) = collect(&c, &synthesise_movies(&c));
        let mut per_user: HashMap<u32, u64> = HashMap::new();
        let mut per_movie: HashMap<i64, u64> = HashMap::new();
        for r in &ratings {
            *per_user.entry(r.user_id).or_default() += 1;
            *per_movie.entry(r.movie_id).or_default() += 1;
        }
        let mut movie_counts: Vec<u64> = per_movie.values().copied().collect();
        movie_counts.resize(3_000, 0);
        let users = top_share(per_user.values().copied().collect(), 0.1);
        let movies = top_share(movie_counts, 0.1);
        assert!(users > 0.30, "top users share {users}");
        assert!(movies > 0.40, "top movies share {movies}");
    }

    #[test]
    fn histogram_looks_like_movielens() {
        let c = cfg(1_000, 3_000, 100_000, 9);
        let (_, stats) = collect(&c, &synthesise_movies(&c));
        let h = stats.histogram;
        let mode = (0..10).max_by_key(|&i| h[i]).unwrap();
        assert_eq!(mode, 7, "mode should be 4.0 stars: {h:?}");
        let low: u64 = h[..3].iter().sum();
        assert!((low as f64) < 0.10 * stats.ratings as f64, "{h:?}");
        let mean = stats.mean_stars();
        assert!((3.3..3.8).contains(&mean), "mean {mean}");
    }

    #[test]
    fn quality_drives_mean_rating() {
        let c = cfg(2_000, 400, 100_000, 13);
        let movies = synthesise_movies(&c);
        let world = build_world(&c, &movies).unwrap();
        let (ratings, _) = collect(&c, &movies);
        let mut sums: HashMap<i64, (f64, f64)> = HashMap::new();
        for r in &ratings {
            let e = sums.entry(r.movie_id).or_default();
            e.0 += f64::from(r.half_stars) / 2.0;
            e.1 += 1.0;
        }
        let (mut q, mut mean) = (Vec::new(), Vec::new());
        for m in &world.movies {
            if let Some(&(s, n)) = sums.get(&m.id)
                && n >= 20.0
            {
                q.push(f64::from(m.quality));
                mean.push(s / n);
            }
        }
        assert!(q.len() > 100);
        let rho = spearman(&q, &mean);
        assert!(rho > 0.5, "spearman {rho}");
    }

    #[test]
    fn favourite_genres_are_watched_more() {
        let c = cfg(500, 2_000, 50_000, 17);
        let movies = synthesise_movies(&c);
        let world = build_world(&c, &movies).unwrap();
        let (ratings, _) = collect(&c, &movies);
        let mask_of: HashMap<i64, u32> =
            world.movies.iter().map(|m| (m.id, m.genre_mask)).collect();
        let (mut observed, mut expected) = (0.0, 0.0);
        for r in &ratings {
            let u = &world.users[(r.user_id - 1) as usize];
            if mask_of[&r.movie_id] & u.fav_mask != 0 {
                observed += 1.0;
            }
            let share = world
                .movies
                .iter()
                .filter(|m| m.genre_mask & u.fav_mask != 0)
                .count() as f64
                / world.movies.len() as f64;
            expected += share;
        }
        assert!(
            observed > 1.3 * expected,
            "observed {observed} expected {expected}"
        );
    }

    #[test]
    fn invalid_configs_are_errors() {
        let movies = synthesise_movies(&cfg(1, 10, 0, 1));
        let err = |c: GeneratorConfig, m: &[CatalogMovie]| generate(&c, m, |_| Ok(())).is_err();
        assert!(err(cfg(0, 10, 100, 1), &movies));
        assert!(err(cfg(10, 10, 10, 1), &movies));
        assert!(err(cfg(10, 10, 101, 1), &movies));
        assert!(err(cfg(10, 10, 100, 1), &[]));
        assert!(!err(cfg(10, 10, 100, 1), &movies));
    }

    #[test]
    fn emit_errors_propagate() {
        let c = cfg(10, 50, 100, 1);
        let movies = synthesise_movies(&c);
        let r = generate(&c, &movies, |_| Err(io::Error::other("disk full")));
        assert!(matches!(r, Err(SynthError::Io(_))));
    }

    fn read_catalog_bytes(bytes: &[u8]) -> Result<Vec<CatalogMovie>, crate::dataset::DatasetError> {
        use std::sync::atomic::{AtomicU32, Ordering};
        static N: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "cinerank-synth-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("movies.csv"), bytes).unwrap();
        let movies = read_catalog(&dir.join("movies.csv"));
        std::fs::remove_dir_all(&dir).ok();
        movies
    }

    fn read_catalog_str(text: &str) -> Result<Vec<CatalogMovie>, crate::dataset::DatasetError> {
        read_catalog_bytes(text.as_bytes())
    }

    #[test]
    fn catalogue_round_trip() {
        let csv = "movieId,title,genres,overview,poster_url\n\
                   1,\"Good, the Bad (1966)\",Western|Drama,\"Line one\nline \"\"two\"\"\",http://x\n\
                   2,No Year,(no genres listed),,\n\
                   3,Heat (1995),Action|Crime|Thriller,x,y\n";
        let movies = read_catalog_str(csv).unwrap();
        assert_eq!(movies.len(), 3);
        assert_eq!(movies[0].title, "Good, the Bad (1966)");
        assert_eq!(movies[0].year, Some(1966));
        assert_eq!(movies[0].genres, vec!["Drama", "Western"]);
        assert_eq!(movies[1].year, None);
        assert!(movies[1].genres.is_empty());
        assert_eq!(movies[2].id, 3);
        let mut out = Vec::new();
        write_movies_csv(&mut out, &movies).unwrap();
        let again = read_catalog_bytes(&out).unwrap();
        assert_eq!(again, movies);
        assert!(read_catalog_str("a,b\n1,2\n").is_err());
        assert!(read_catalog_str("movieId,title,genres\nx,y,z\n").is_err());
        assert!(movies.iter().all(|m| m.popularity.is_none()));
    }

    #[test]
    fn catalogue_popularity_column() {
        let csv = "movieId,title,genres,overview,poster_url,popularity\n\
                   1,Heat (1995),Action|Crime,x,y,0.75\n\
                   2,Up (2009),Animation,\"a, b\",z,\n\
                   3,Jaws (1975),Thriller,,,1e-3\n";
        let movies = read_catalog_str(csv).unwrap();
        let pops: Vec<Option<f64>> = movies.iter().map(|m| m.popularity).collect();
        assert_eq!(pops, vec![Some(0.75), None, Some(0.001)]);
        let mut out = Vec::new();
        write_movies_csv(&mut out, &movies).unwrap();
        assert!(out.starts_with(b"movieId,title,genres,popularity\n1,Heat (1995),"));
        assert_eq!(read_catalog_bytes(&out).unwrap(), movies);
        for bad in ["abc", "NaN", "inf"] {
            let csv = format!("movieId,title,genres,popularity\n1,A (2000),Drama,{bad}\n");
            assert!(read_catalog_str(&csv).is_err(), "{bad}");
        }
    }

    #[test]
    fn inverse_normal_cdf_is_accurate() {
        for (p, z) in [
            (0.5, 0.0),
            (0.975, 1.959_963_984_540_054),
            (0.001, -3.090_232_306_167_813),
            (0.2, -0.841_621_233_572_914),
            (1e-10, -6.361_340_902_404_056),
        ] {
            let got = inv_norm_cdf(p);
            assert!(
                (got - z).abs() <= 1e-8 * z.abs().max(1.0),
                "{p}: {got} vs {z}"
            );
            assert!((inv_norm_cdf(1.0 - p) + z).abs() <= 1e-7 * z.abs().max(1.0));
        }
        assert!(inv_norm_cdf(0.0).is_finite() && inv_norm_cdf(1.0).is_finite());
    }

    /// Synthetic catalogue with a `popularity` column in random order.
    fn with_popularity(c: &GeneratorConfig) -> Vec<CatalogMovie> {
        let mut r = Rng::new(c.seed, 99, 0);
        let mut movies = synthesise_movies(c);
        for m in &mut movies {
            m.popularity = Some(r.f64_open());
        }
        movies
    }

    /// (ratings, sum of stars) of the top and bottom popularity deciles.
    fn decile_totals(movies: &[CatalogMovie], ratings: &[GeneratedRating]) -> [(f64, f64); 2] {
        let mut per_movie: HashMap<i64, (f64, f64)> = HashMap::new();
        for r in ratings {
            let e = per_movie.entry(r.movie_id).or_default();
            e.0 += 1.0;
            e.1 += f64::from(r.half_stars) / 2.0;
        }
        let mut by_pop: Vec<&CatalogMovie> = movies.iter().collect();
        by_pop.sort_by(|a, b| b.popularity.unwrap().total_cmp(&a.popularity.unwrap()));
        let decile = by_pop.len() / 10;
        let sum = |ms: &[&CatalogMovie]| {
            ms.iter().fold((0.0, 0.0), |acc, m| {
                let e = per_movie.get(&m.id).copied().unwrap_or_default();
                (acc.0 + e.0, acc.1 + e.1)
            })
        };
        [
            sum(&by_pop[..decile]),
            sum(&by_pop[by_pop.len() - decile..]),
        ]
    }

    #[test]
    fn popularity_column_drives_exposure() {
        let c = cfg(1_000, 2_000, 60_000, 23);
        let movies = with_popularity(&c);
        let (ratings, _) = collect(&c, &movies);
        let [(top_n, top_stars), (bottom_n, bottom_stars)] = decile_totals(&movies, &ratings);
        assert!(top_n > 5.0 * bottom_n, "top {top_n} vs bottom {bottom_n}");
        // Famous films are better rated on average.
        let (top_mean, bottom_mean) = (top_stars / top_n, bottom_stars / bottom_n);
        assert!(top_mean > bottom_mean + 0.1, "{top_mean} vs {bottom_mean}");
        // Without the column, popularity is random: no such gap.
        let plain: Vec<CatalogMovie> = movies
            .iter()
            .map(|m| CatalogMovie {
                popularity: None,
                ..m.clone()
            })
            .collect();
        let (ratings, _) = collect(&c, &plain);
        let [(top_n, _), (bottom_n, _)] = decile_totals(&movies, &ratings);
        assert!(top_n < 1.5 * bottom_n, "top {top_n} vs bottom {bottom_n}");
    }

    #[test]
    fn recent_and_old_films_get_their_share() {
        let c = cfg(1_000, 3_000, 100_000, 29);
        let movies = with_popularity(&c);
        let year: HashMap<i64, i32> = movies.iter().map(|m| (m.id, m.year.unwrap())).collect();
        let (ratings, _) = collect(&c, &movies);
        let share = |pred: &dyn Fn(i32) -> bool| {
            let cat = movies.iter().filter(|m| pred(m.year.unwrap())).count() as f64
                / movies.len() as f64;
            let rat = ratings.iter().filter(|r| pred(year[&r.movie_id])).count() as f64
                / ratings.len() as f64;
            rat / cat
        };
        let recent = share(&|y| y >= 2020);
        let old = share(&|y| y < 1990);
        assert!(recent > 0.6, "2020s get {recent} of their catalogue share");
        assert!(
            old > 0.7,
            "pre-1990 films get {old} of their catalogue share"
        );
        let rated: HashSet<i64> = ratings.iter().map(|r| r.movie_id).collect();
        assert!(
            rated.len() * 100 >= movies.len() * 99,
            "{} rated",
            rated.len()
        );
    }

    #[test]
    fn ratings_respect_release_years() {
        let c = cfg(300, 1_000, 20_000, 21);
        let movies = synthesise_movies(&c);
        let year: HashMap<i64, i32> = movies.iter().map(|m| (m.id, m.year.unwrap())).collect();
        let (ratings, _) = collect(&c, &movies);
        for r in &ratings {
            assert!(r.timestamp >= year_start(year[&r.movie_id]));
        }
    }

    #[test]
    fn rating_line_format() {
        let mut out = Vec::new();
        let r = GeneratedRating {
            user_id: 1,
            movie_id: 31,
            half_stars: 5,
            timestamp: 1_260_759_144,
        };
        write_rating_line(&mut out, &r).unwrap();
        write_rating_line(&mut out, &GeneratedRating { half_stars: 8, ..r }).unwrap();
        assert_eq!(out, b"1,31,2.5,1260759144\n1,31,4.0,1260759144\n");
        assert_eq!(year_start(2000), EPOCH_START);
    }
}
