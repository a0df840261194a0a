//! Movie recommendation engine: pure Rust over plain data (ids, ratings, genres), no I/O.
//!
//! [`Model::train`] builds an immutable, `Send + Sync` snapshot from [`TrainingData`]; requests
//! pass the user's *current* state as a [`UserContext`], which is folded in at request time, so
//! new ratings, dismissals and unseen users work without retraining. Each source lives in its own
//! module (`popular`, `genre`, `item_knn`, `ease`, `predict`); `hybrid` blends them and applies
//! the one central exclusion set and the fallback chain.

mod bpmf;
mod catalog;
pub mod content;
mod content_term;
mod ease;
pub mod eval;
mod genre;
mod hybrid;
mod item_knn;
mod popular;
mod predict;
mod snapshot;
mod strategy;
mod util;

#[cfg(test)]
mod tests;

use std::collections::HashSet;
use std::fmt;
use std::time::Instant;

use catalog::{Catalog, Interactions};
pub use snapshot::{SNAPSHOT_FORMAT_VERSION, SnapshotError, header_checksum};
pub use strategy::{Strategy, UnknownStrategy};

/// External movie id (the database primary key).
pub type MovieId = i64;
/// External user id (the database primary key).
pub type UserId = i64;
/// External genre id.
pub type GenreId = u32;

/// Catalogue metadata the content-based source needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MovieMeta {
    /// Movie id.
    pub id: MovieId,
    /// Genres of the movie (any order, duplicates ignored).
    pub genres: Vec<GenreId>,
}

/// Everything the model learns from.
#[derive(Debug, Clone, Default)]
pub struct TrainingData {
    /// Explicit ratings `(user, movie, rating)`; a repeated pair keeps its last rating.
    pub ratings: Vec<(UserId, MovieId, f32)>,
    /// The catalogue; movies without ratings are still recommendable by the content sources.
    pub movies: Vec<MovieMeta>,
    /// Strong positive implicit feedback `(user, movie)`, e.g. purchases.
    pub purchases: Vec<(UserId, MovieId)>,
    /// What the movies are (series, year, people, overview), for the hybrid's content term on
    /// little-rated movies; empty turns that term off. Genres come from `movies`.
    pub content: Vec<content::ContentMovie>,
}

/// How an interaction turns into implicit confidence for the collaborative sources.
#[derive(Debug, Clone, PartialEq)]
pub struct ImplicitConfig {
    /// `(rating, weight)` points, ascending by rating, interpolated linearly and clamped at the
    /// ends. Low ratings keep a small positive weight: on MovieLens having watched a movie at all
    /// predicts what else is watched, and up-weighting high ratings targets what is liked
    /// (fold 1 NDCG@10: 0.367 on ratings ≥ 4 only, 0.357 all-binary, 0.389 weighted).
    pub rating_points: Vec<(f32, f32)>,
    /// Weight of a purchase (at least; a rated purchase keeps the larger of the two).
    pub purchase: f32,
}

impl ImplicitConfig {
    /// Confidence of an explicit rating.
    pub fn weight(&self, rating: f32) -> f32 {
        let p = &self.rating_points;
        let (Some(first), Some(last)) = (p.first(), p.last()) else {
            return 1.0;
        };
        if rating <= first.0 {
            return first.1;
        }
        if rating >= last.0 {
            return last.1;
        }
        for w in p.windows(2) {
            let ((r0, w0), (r1, w1)) = (w[0], w[1]);
            if rating <= r1 {
                let t = if r1 > r0 {
                    (rating - r0) / (r1 - r0)
                } else {
                    1.0
                };
                return w0 + t * (w1 - w0);
            }
        }
        last.1
    }
}

/// Popularity chart settings.
#[derive(Debug, Clone, PartialEq)]
pub struct PopularConfig {
    /// Strength of the Bayesian prior (in votes at the global mean) that damps small samples.
    /// Larger values lean the chart towards much-rated movies (ml-100k fold 1 NDCG@10 of the
    /// chart: 0.096 at 20, 0.131 at 100, 0.150 at 300; 100 keeps it a quality chart).
    pub prior_votes: f32,
}

/// Content-based source settings.
#[derive(Debug, Clone, PartialEq)]
pub struct GenreConfig {
    /// Profile weight added to each explicitly preferred genre.
    pub preferred_boost: f32,
    /// Weight of "how much of what the user watched is in this genre", so that a user who rates
    /// everything the same still has a profile.
    pub interest_weight: f32,
}

/// Item–item neighbourhood settings.
#[derive(Debug, Clone, PartialEq)]
pub struct KnnConfig {
    /// Neighbours kept per item (the sparse top-k lists that replace a dense item×item matrix).
    pub neighbours: usize,
    /// Shrinkage added to the cosine denominator: damps similarities resting on few co-raters.
    pub shrink: f32,
    /// Co-occurrence passes see at most this many of a user's items (highest weighted first):
    /// the cost is Σ n_u², which heavy users would otherwise dominate.
    pub max_user_items: usize,
    /// Upper bound on Σ min(n_u, cap)² for the co-occurrence pass: on large data the cap is
    /// lowered until the pass fits (ml-100k's Σ n_u² is ~2·10⁷, far below, so it is unaffected).
    pub pair_budget: u64,
}

/// EASE (Steck 2019) linear item model settings.
#[derive(Debug, Clone, PartialEq)]
pub struct EaseConfig {
    /// L2 regularisation of the item–item weights.
    pub lambda: f32,
    /// Up to this many items (those with any interaction) EASE is solved exactly, with one
    /// dense inverse whose memory is quadratic and time cubic in the number of items (9 500
    /// items: 1.8 GB and ≈ 13 s; 3 000: ≈ 240 MB for the whole process and 0.5 s; 2 000:
    /// ≈ 150 MB and 0.2 s; ml-100k's 1 682: 0.1 s). Above it, either the pruned solve (see
    /// `sparse_budget`) covers every item, or the dense solve covers the `dense_max_items`
    /// most-interacted ones and item-kNN the rest. 2 000 keeps ml-100k exact and, on the
    /// generated 10k-movie release, ranks better than 3 000 (5-fold hybrid NDCG@10 0.170 against
    /// 0.168; 1 700: 0.171, 1 200: 0.170): the long tail is better served by item-kNN.
    pub dense_max_items: usize,
    /// Neighbours per item in the pruned-neighbourhood solve (at most `knn.neighbours`: the
    /// item-kNN lists are the neighbour sets).
    pub sparse_neighbours: usize,
    /// Upper bound on the interactions the pruned solve reads (Σ over items of their
    /// neighbours' interaction counts); 0 never uses it. Off by default because the numbers say
    /// so: on the generated 10k-movie release (5 folds, hybrid NDCG@10) the dense solve over the
    /// 3 000 most-rated movies scored 0.166 at 240 MB, the pruned solve over all 9 500 movies
    /// 0.151 at 66 MB (50 neighbours: 0.140), the exact dense solve over all of them 0.157 at
    /// 1.8 GB (today's dense solve over 2 000: 0.170 at 150 MB): the rarely rated tail adds
    /// noise, not hits.
    pub sparse_budget: u64,
    /// Scores are divided by `(count + 1)^debias`: trades a little accuracy for catalogue
    /// coverage (fold 1: coverage 0.19 → 0.22 and NDCG +0.002 at 0.1).
    pub popularity_debias: f32,
    /// Dropout rate `p` of the denoising variant (DLAE, Steck 2020): item `j` is regularised by
    /// `λ + p/(1−p)·G_jj` instead of `λ` alone, so much-watched items are held back more.
    pub dropout: f32,
    /// A user's co-occurrences count `(n_u / mean n)^-user_norm` times in the Gram matrix, so
    /// a user with a long history does not dominate it (0: every pair counts once).
    pub user_norm: f32,
    /// Weight of one pseudo-user per genre who watched all of its movies: the genres as side
    /// information in the Gram matrix (0: none).
    pub genre_weight: f32,
}

/// Rating prediction settings: Bayesian MF (Gibbs sampling) blended with item-based
/// KNN-baseline.
#[derive(Debug, Clone, PartialEq)]
pub struct PredictConfig {
    /// Regularisation of the item biases in the baseline ALS.
    pub baseline_reg_item: f32,
    /// Regularisation of the user biases in the baseline ALS (also used at fold-in).
    pub baseline_reg_user: f32,
    /// Baseline ALS sweeps.
    pub baseline_epochs: usize,
    /// Latent factors of the MF model.
    pub factors: usize,
    /// Gibbs sweeps, started at the truncated SVD of the ratings; after the burn-in, up to
    /// `max_samples` of them are kept as samples.
    pub sweeps: usize,
    /// Sweeps discarded before the first sample (at most half of those run).
    pub burn_in: usize,
    /// Upper bound on ratings visited (sweeps × ratings): large data gets fewer sweeps, never
    /// fewer than `min_sweeps` (ml-100k: 8·10⁶, far below, so it is unaffected; the 25M shape
    /// gets 6).
    pub update_budget: u64,
    /// Fewest sweeps when the budget applies.
    pub min_sweeps: usize,
    /// Most samples kept (evenly spaced, the last sweep always among them): every sample costs
    /// one fold-in per request.
    pub max_samples: usize,
    /// Precision α of the rating noise (1 / variance, in stars⁻²).
    pub noise_precision: f32,
    /// Standard deviation of the random factors the SVD warm start overwrites (used as they
    /// are only when there is nothing to decompose).
    pub init_std: f32,
    /// Neighbours (rated by the user) used by KNN-baseline.
    pub knn_k: usize,
    /// Pearson-baseline shrinkage.
    pub knn_shrink: f32,
    /// Pearson-baseline neighbours stored per item.
    pub knn_stored: usize,
    /// Weight of KNN-baseline in the blend (the rest is MF).
    pub knn_blend: f32,
    /// The KNN-baseline weight is `knn_blend × s / (s + knn_support)`, `s` the summed
    /// similarity of the neighbours the user rated: little neighbour evidence leans on MF
    /// (0: a fixed `knn_blend`).
    pub knn_support: f32,
}

/// How the hybrid blends sources.
#[derive(Debug, Clone, PartialEq)]
pub struct HybridConfig {
    /// Weight of the item-kNN score next to EASE in the collaborative score (both normalised).
    pub knn_weight: f32,
    /// The collaborative share is `n / (n + half_knowledge)` for a user with `n` known
    /// interactions: 0 for a new user, most of the score for an active one.
    pub half_knowledge: f32,
    /// Share of the genre source in the non-collaborative part (the rest is popularity).
    pub genre_share: f32,
    /// The same share for a user who named preferred genres: they lead a cold start.
    pub preferred_genre_share: f32,
    /// Weight of the predicted rating (mapped to [0, 1] over the rating scale) added to the
    /// blended score of the best `rerank_depth` candidates: the collaborative score says what the
    /// user will watch, the rating model how much they will like it.
    pub rating_weight: f32,
    /// Weight of the movie's damped mean rating (the popularity source's quality, [0, 1]) in the
    /// same re-rank; negative, so that the rating term counts how much more this user will like
    /// a movie than its audience does.
    pub quality_weight: f32,
    /// How many of the best blended candidates the predicted rating re-ranks.
    pub rerank_depth: usize,
    /// Weight of the content term: a movie with little rating evidence gains
    /// `content_weight × collaborative share × evidence ramp × likeness` to the movies the user
    /// liked, so a movie nobody has rated yet can reach the users it suits (0: off).
    pub content_weight: f32,
    /// The evidence ramp is `1 − n / content_max_ratings` for a movie with `n` ratings: 1 for a
    /// new movie, 0 from this many ratings on, where the collaborative score speaks alone.
    pub content_max_ratings: f32,
    /// Upper bound on the (liked movie, candidate) likenesses one request computes: with many
    /// little-rated candidates, fewer of the user's liked movies (the best rated) are compared.
    pub content_pair_budget: usize,
}

/// All training settings. `Default` is what was measured on MovieLens (see RECOMMENDER.md).
#[derive(Debug, Clone, PartialEq)]
pub struct TrainConfig {
    /// Implicit weighting shared by EASE and item-kNN.
    pub implicit: ImplicitConfig,
    /// Popularity.
    pub popular: PopularConfig,
    /// Content-based.
    pub genre: GenreConfig,
    /// Item–item neighbourhoods.
    pub knn: KnnConfig,
    /// EASE.
    pub ease: EaseConfig,
    /// Rating prediction.
    pub predict: PredictConfig,
    /// Blending.
    pub hybrid: HybridConfig,
    /// Seed of every random choice (MF initialisation and the Gibbs sampler's draws).
    pub seed: u64,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            implicit: ImplicitConfig {
                rating_points: vec![(1.0, 0.3), (2.0, 0.4), (3.0, 0.6), (4.0, 1.0), (5.0, 1.2)],
                purchase: 1.2,
            },
            popular: PopularConfig { prior_votes: 100.0 },
            genre: GenreConfig {
                preferred_boost: 1.0,
                interest_weight: 1.0,
            },
            knn: KnnConfig {
                neighbours: 100,
                shrink: 10.0,
                max_user_items: 2000,
                pair_budget: 4_000_000_000,
            },
            ease: EaseConfig {
                lambda: 250.0,
                dense_max_items: 2000,
                sparse_neighbours: 100,
                sparse_budget: 0,
                popularity_debias: 0.1,
                dropout: 0.4,
                user_norm: 0.25,
                genre_weight: 2.0,
            },
            predict: PredictConfig {
                baseline_reg_item: 10.0,
                baseline_reg_user: 15.0,
                baseline_epochs: 10,
                factors: 10,
                sweeps: 100,
                burn_in: 2,
                update_budget: 150_000_000,
                min_sweeps: 6,
                max_samples: 30,
                noise_precision: 1.5,
                init_std: 0.1,
                knn_k: 40,
                knn_shrink: 100.0,
                knn_stored: 200,
                knn_blend: 0.4,
                knn_support: 0.5,
            },
            hybrid: HybridConfig {
                knn_weight: 0.0,
                half_knowledge: 2.0,
                genre_share: 0.5,
                preferred_genre_share: 0.8,
                rating_weight: 0.6,
                quality_weight: -0.25,
                rerank_depth: 50,
                content_weight: 0.5,
                content_max_ratings: 10.0,
                content_pair_budget: 100_000,
            },
            seed: 42,
        }
    }
}

/// The user's current state, read at request time.
#[derive(Debug, Clone, Default)]
pub struct UserContext {
    /// The user's ratings now.
    pub ratings: Vec<(MovieId, f32)>,
    /// Genres the user said they like.
    pub preferred_genres: Vec<GenreId>,
    /// Movies dismissed as "not interested".
    pub dismissed: Vec<MovieId>,
    /// Movies bought (strong positive signal; never recommended again).
    pub purchased: Vec<MovieId>,
    /// Extra exclusions for this request.
    pub excluded: Vec<MovieId>,
}

/// One recommendation request.
#[derive(Debug, Clone)]
pub struct RecRequest {
    /// Source.
    pub strategy: Strategy,
    /// Maximum number of results.
    pub limit: usize,
    /// Only movies of this genre.
    pub genre: Option<GenreId>,
}

/// Why a movie was recommended; each comes from the data that produced its score.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// A rated (or purchased) movie among the largest contributors to the collaborative score.
    SimilarTo {
        /// The rated movie.
        movie_id: MovieId,
    },
    /// A genre of the movie that weighs most in the user's genre profile.
    Genre {
        /// The genre.
        genre_id: GenreId,
    },
    /// Highly rated by many users.
    Popular,
}

/// One ranked result.
#[derive(Debug, Clone, PartialEq)]
pub struct Recommendation {
    /// Recommended movie.
    pub movie_id: MovieId,
    /// Ranking score; non-increasing down the list, comparable only within one list.
    pub score: f32,
    /// Predicted rating of this user for the movie.
    pub predicted_rating: Option<f32>,
    /// Explanations, most important first.
    pub reasons: Vec<Reason>,
}

/// Seconds spent training one source.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceTiming {
    /// Source name.
    pub source: &'static str,
    /// Wall-clock seconds.
    pub seconds: f64,
}

/// Sizes and timings of a trained model, for `/admin/model` and the evaluation report.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelStats {
    /// Users in the training data.
    pub users: usize,
    /// Movies known to the model.
    pub movies: usize,
    /// Interactions (ratings and purchases, deduplicated).
    pub interactions: usize,
    /// Items covered by EASE.
    pub ease_items: usize,
    /// Stored item–item neighbour pairs (similarity lists plus pearson-baseline lists).
    pub neighbour_pairs: usize,
    /// Wall-clock training time per source. The rating models train beside the item sources,
    /// so the times overlap and add up to more than `total_seconds` on a machine with cores to
    /// spare.
    pub timings: Vec<SourceTiming>,
    /// Total training seconds.
    pub total_seconds: f64,
}

impl ModelStats {
    /// Seconds spent on the named source, 0 if it is unknown.
    pub fn seconds(&self, source: &str) -> f64 {
        self.timings
            .iter()
            .filter(|t| t.source == source)
            .map(|t| t.seconds)
            .sum()
    }
}

/// Threads training may use: every core the process may run on (a container's CPU quota
/// included), 1 if that cannot be read.
fn training_threads() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// Why training failed.
#[derive(Debug, Clone, PartialEq)]
pub enum TrainError {
    /// The EASE Gram matrix was not positive definite (λ must be > 0).
    NotPositiveDefinite,
}

impl fmt::Display for TrainError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotPositiveDefinite => {
                write!(
                    f,
                    "EASE Gram matrix is not positive definite (is lambda > 0?)"
                )
            }
        }
    }
}

impl std::error::Error for TrainError {}

/// An immutable trained snapshot of every source.
pub struct Model {
    catalog: Catalog,
    popular: popular::Popular,
    knn: item_knn::ItemKnn,
    ease: ease::Ease,
    predictor: predict::Predictor,
    content: content_term::ContentFeatures,
    config: TrainConfig,
    stats: ModelStats,
}

/// A user folded into the model for one request: the context mapped to catalogue indices, the
/// exclusion set and the user's rating-model parameters. Build it once with [`Model::fold_in`]
/// to rank and predict many movies for the same user.
pub struct FoldedUser {
    rated: Vec<(u32, f32)>,
    implicit: Vec<(u32, f32)>,
    blocked: Vec<bool>,
    preferred_genres: Vec<GenreId>,
    factors: predict::UserFactors,
}

impl Model {
    /// Trains every source on every core the process may use. Deterministic for a given
    /// `config.seed` and input order, whatever the number of cores.
    pub fn train(data: &TrainingData, config: &TrainConfig) -> Result<Self, TrainError> {
        Self::train_on(data, config, training_threads())
    }

    /// [`Model::train`] on `threads` threads.
    fn train_on(
        data: &TrainingData,
        config: &TrainConfig,
        threads: usize,
    ) -> Result<Self, TrainError> {
        let start = Instant::now();
        let mut timings = Vec::new();
        let mut timed = |source: &'static str, seconds: f64| {
            timings.push(SourceTiming { source, seconds });
        };
        let t = Instant::now();
        let catalog = Catalog::build(data);
        let inter = Interactions::build(data, &catalog, &config.implicit);
        timed("index", t.elapsed().as_secs_f64());
        let n_items = catalog.len();

        let t = Instant::now();
        let popular = popular::Popular::train(&inter, n_items, &config.popular);
        timed("popular", t.elapsed().as_secs_f64());

        let t = Instant::now();
        let baselines = predict::Baselines::train(&inter, n_items, &config.predict);
        let baseline_seconds = t.elapsed().as_secs_f64();

        // The rating model and the item sources read the same interactions and nothing of each
        // other, so they train side by side: the sampler on threads of its own, the item-kNN
        // sweep and then EASE on the caller's. Every part is deterministic on its own, so the
        // model is the same for any number of threads.
        let (mf, mf_seconds, knn_parts) = std::thread::scope(|s| {
            let sampler = {
                let (inter, cfg) = (&inter, &config.predict);
                s.spawn(move || {
                    let t = Instant::now();
                    let samples = bpmf::train(inter, n_items, cfg, config.seed, threads);
                    (samples, t.elapsed().as_secs_f64())
                })
            };
            let knn_parts = (|| {
                let t = Instant::now();
                let cap = inter.cap_within(config.knn.max_user_items, config.knn.pair_budget);
                let capped = inter.capped(cap);
                let residual = baselines.residuals(&capped);
                let (knn, pearson) = item_knn::build(
                    &capped,
                    n_items,
                    &residual,
                    &config.knn,
                    &config.predict,
                    threads,
                );
                let knn_seconds = t.elapsed().as_secs_f64();
                let t = Instant::now();
                let ease =
                    ease::Ease::train(&capped, &catalog, &popular.count, &knn, &config.ease)?;
                Ok::<_, TrainError>((knn, pearson, knn_seconds, ease, t.elapsed().as_secs_f64()))
            })();
            // A panic while training is a bug: surface it on the caller's thread.
            let (mf, mf_seconds) = sampler
                .join()
                .unwrap_or_else(|p| std::panic::resume_unwind(p));
            (mf, mf_seconds, knn_parts)
        });
        let (knn, pearson, knn_seconds, ease, ease_seconds) = knn_parts?;
        timed("rating_mf", baseline_seconds + mf_seconds);
        timed("item_knn", knn_seconds);
        timed("ease", ease_seconds);

        let t = Instant::now();
        let content = content_term::ContentFeatures::build(&data.content, &catalog);
        timed("content", t.elapsed().as_secs_f64());

        let predictor = predict::Predictor::new(baselines, mf, pearson, &config.predict);
        let stats = ModelStats {
            users: inter.n_users,
            movies: n_items,
            interactions: inter.len(),
            ease_items: ease.len(),
            neighbour_pairs: knn.neighbours.len() + predictor.neighbour_pairs(),
            timings,
            total_seconds: start.elapsed().as_secs_f64(),
        };
        Ok(Self {
            catalog,
            popular,
            knn,
            ease,
            predictor,
            content,
            config: config.clone(),
            stats,
        })
    }

    /// Every movie id the model knows, ascending.
    pub fn movie_ids(&self) -> &[MovieId] {
        &self.catalog.ids
    }

    /// Sizes and training times.
    pub fn stats(&self) -> &ModelStats {
        &self.stats
    }

    /// Folds the user's current state in: maps ids, builds the exclusion set (rated, dismissed,
    /// purchased, excluded) and solves the user's rating-model parameters.
    pub fn fold_in(&self, ctx: &UserContext) -> FoldedUser {
        let n = self.catalog.len();
        let mut blocked = vec![false; n];
        let mut rated = Vec::with_capacity(ctx.ratings.len());
        let mut seen = HashSet::with_capacity(ctx.ratings.len());
        // Iterate newest-last and keep the last rating of a repeated movie, as training does.
        for &(m, r) in ctx.ratings.iter().rev() {
            if let Some(i) = self.catalog.idx(m)
                && r.is_finite()
                && seen.insert(i)
            {
                rated.push((i, r));
            }
        }
        rated.sort_unstable_by_key(|&(i, _)| i);
        let mut implicit: Vec<(u32, f32)> = rated
            .iter()
            .map(|&(i, r)| (i, self.config.implicit.weight(r)))
            .collect();
        for &m in &ctx.purchased {
            if let Some(i) = self.catalog.idx(m) {
                match implicit.binary_search_by_key(&i, |e| e.0) {
                    Ok(k) => implicit[k].1 = implicit[k].1.max(self.config.implicit.purchase),
                    Err(k) => implicit.insert(k, (i, self.config.implicit.purchase)),
                }
            }
        }
        let all = ctx
            .ratings
            .iter()
            .map(|r| &r.0)
            .chain(&ctx.dismissed)
            .chain(&ctx.purchased);
        for m in all.chain(&ctx.excluded) {
            if let Some(i) = self.catalog.idx(*m) {
                blocked[i as usize] = true;
            }
        }
        let factors = self.predictor.fold_in(&rated);
        let mut preferred_genres = ctx.preferred_genres.clone();
        preferred_genres.sort_unstable();
        preferred_genres.dedup();
        FoldedUser {
            rated,
            implicit,
            blocked,
            preferred_genres,
            factors,
        }
    }

    /// Ranked recommendations for the user in `ctx`; never a rated, dismissed, purchased or
    /// excluded movie.
    pub fn recommend(&self, ctx: &UserContext, req: &RecRequest) -> Vec<Recommendation> {
        self.recommend_folded(&self.fold_in(ctx), req)
    }

    /// [`Model::recommend`] for an already folded user.
    pub fn recommend_folded(&self, user: &FoldedUser, req: &RecRequest) -> Vec<Recommendation> {
        hybrid::recommend(self, user, req)
    }

    /// Predicted rating of the user in `ctx` for `movie_id`, clipped to the rating scale;
    /// baselines cover unseen users and movies.
    pub fn predict(&self, ctx: &UserContext, movie_id: MovieId) -> f32 {
        self.predict_folded(&self.fold_in(ctx), movie_id)
    }

    /// [`Model::predict`] for an already folded user.
    pub fn predict_folded(&self, user: &FoldedUser, movie_id: MovieId) -> f32 {
        self.predictor
            .predict(&user.factors, self.catalog.idx(movie_id))
    }

    /// The movies most similar to `movie_id` (item–item neighbours), best first.
    pub fn similar(&self, movie_id: MovieId, limit: usize) -> Vec<(MovieId, f32)> {
        let Some(i) = self.catalog.idx(movie_id) else {
            return Vec::new();
        };
        let (idx, sim) = self.knn.neighbours.row(i);
        idx.iter()
            .zip(sim)
            .take(limit)
            .map(|(&j, &s)| (self.catalog.ids[j as usize], s))
            .collect()
    }

    /// The non-personalised chart: damped mean rating, optionally within one genre.
    pub fn popular(&self, limit: usize, genre: Option<GenreId>) -> Vec<(MovieId, f32)> {
        self.popular
            .top(&self.catalog, limit, genre, |_| false)
            .into_iter()
            .map(|(i, s)| (self.catalog.ids[i as usize], s))
            .collect()
    }
}
