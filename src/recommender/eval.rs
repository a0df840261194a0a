//! Offline evaluation with the protocol of `docs/evaluation.md`, through the same
//! `Model::recommend` / `Model::predict` path serving uses: each user's context is built from
//! their TRAIN ratings. [`split_folds`] makes seeded per-user K-fold splits.
//!
//! Ranking: candidates are the TRAIN items minus the user's TRAIN items; relevant items are the
//! user's TEST items rated ≥ 4; users are those in TRAIN with at least one relevant item. Rating:
//! RMSE/MAE over every TEST rating, unseen users and movies included (baseline fallback).

use std::collections::{BTreeMap, HashMap, HashSet};

use super::{Model, MovieId, RecRequest, Strategy, UserContext, UserId};

/// One rating: user, movie, stars.
pub type Rating = (UserId, MovieId, f32);

/// Ratings as the loaders return them.
pub type Ratings = [Rating];

/// SplitMix64: a tiny, well-mixed generator, so folds are the same on every
/// platform for a given seed.
fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Assigns every rating to one of `folds` folds, per user: each user's
/// ratings are shuffled (seeded by `seed` and the user) and dealt round the
/// folds from a random starting fold, so every fold holds about 1/K of each
/// user's ratings and every user is in every TRAIN. Returns the fold of each
/// rating, in input order.
pub fn split_folds(ratings: &Ratings, folds: usize, seed: u64) -> Vec<usize> {
    let folds = folds.max(1);
    let mut by_user: BTreeMap<UserId, Vec<usize>> = BTreeMap::new();
    for (i, &(u, _, _)) in ratings.iter().enumerate() {
        by_user.entry(u).or_default().push(i);
    }
    let mut fold_of = vec![0; ratings.len()];
    for (user, mut indices) in by_user {
        let mut state = seed ^ (user as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        // Fisher–Yates; the modulo bias of 64-bit draws is negligible here.
        for i in (1..indices.len()).rev() {
            let j = (splitmix64(&mut state) % (i as u64 + 1)) as usize;
            indices.swap(i, j);
        }
        let start = (splitmix64(&mut state) % folds as u64) as usize;
        for (position, index) in indices.into_iter().enumerate() {
            fold_of[index] = (start + position) % folds;
        }
    }
    fold_of
}

/// Fold `fold`'s TRAIN and TEST ratings from [`split_folds`]'s assignment.
pub fn fold(ratings: &Ratings, fold_of: &[usize], fold: usize) -> (Vec<Rating>, Vec<Rating>) {
    let (test, train): (Vec<_>, Vec<_>) =
        ratings.iter().zip(fold_of).partition(|(_, f)| **f == fold);
    (
        train.into_iter().map(|(r, _)| *r).collect(),
        test.into_iter().map(|(r, _)| *r).collect(),
    )
}

/// Top-k ranking quality of one strategy.
#[derive(Debug, Clone, PartialEq)]
pub struct RankingReport {
    /// Users evaluated.
    pub users: usize,
    /// Mean precision@k.
    pub precision: f64,
    /// Mean recall@k.
    pub recall: f64,
    /// Mean NDCG@k, binary gains, ideal over min(|relevant|, k).
    pub ndcg: f64,
    /// Share of users with at least one hit.
    pub hit: f64,
    /// Distinct recommended items over items in TRAIN.
    pub coverage: f64,
}

/// Rating prediction error.
#[derive(Debug, Clone, PartialEq)]
pub struct RatingReport {
    /// Test ratings predicted.
    pub count: usize,
    /// Root mean squared error.
    pub rmse: f64,
    /// Mean absolute error.
    pub mae: f64,
}

/// Each TRAIN user's context: their TRAIN ratings, in file order.
pub fn contexts(train: &Ratings) -> BTreeMap<UserId, UserContext> {
    let mut out: BTreeMap<UserId, UserContext> = BTreeMap::new();
    for &(u, m, r) in train {
        out.entry(u).or_default().ratings.push((m, r));
    }
    out
}

/// Ranks `k` items per user with `strategy` and scores them against TEST.
pub fn evaluate_ranking(
    model: &Model,
    train: &Ratings,
    test: &Ratings,
    strategy: Strategy,
    k: usize,
) -> RankingReport {
    let train_items: HashSet<MovieId> = train.iter().map(|r| r.1).collect();
    // The model may know catalogue movies nobody rated in TRAIN; the protocol's candidates are
    // TRAIN items only, so those go through the ordinary exclusion list.
    let outside: Vec<MovieId> = model
        .movie_ids()
        .iter()
        .copied()
        .filter(|m| !train_items.contains(m))
        .collect();
    let mut ctxs = contexts(train);
    let mut relevant: BTreeMap<UserId, HashSet<MovieId>> = BTreeMap::new();
    for &(u, m, r) in test {
        if r >= 4.0 && ctxs.contains_key(&u) {
            relevant.entry(u).or_default().insert(m);
        }
    }
    let (mut p, mut rc, mut nd, mut h) = (0f64, 0f64, 0f64, 0f64);
    let mut recommended: HashSet<MovieId> = HashSet::new();
    let req = RecRequest {
        strategy,
        limit: k,
        genre: None,
    };
    for (u, rel) in &relevant {
        let Some(ctx) = ctxs.get_mut(u) else { continue };
        ctx.excluded.clone_from(&outside);
        let recs = model.recommend(ctx, &req);
        let mut hits = 0usize;
        let mut dcg = 0f64;
        for (rank, rec) in recs.iter().enumerate() {
            recommended.insert(rec.movie_id);
            if rel.contains(&rec.movie_id) {
                hits += 1;
                dcg += 1.0 / (rank as f64 + 2.0).log2();
            }
        }
        let idcg: f64 = (0..rel.len().min(k))
            .map(|r| 1.0 / (r as f64 + 2.0).log2())
            .sum();
        p += hits as f64 / k as f64;
        rc += hits as f64 / rel.len() as f64;
        nd += dcg / idcg;
        h += f64::from(u8::from(hits > 0));
        ctx.excluded.clear();
    }
    let n = relevant.len().max(1) as f64;
    RankingReport {
        users: relevant.len(),
        precision: p / n,
        recall: rc / n,
        ndcg: nd / n,
        hit: h / n,
        coverage: recommended.len() as f64 / train_items.len().max(1) as f64,
    }
}

/// Predicts every TEST rating (users folded in once from their TRAIN ratings).
pub fn evaluate_rating(model: &Model, train: &Ratings, test: &Ratings) -> RatingReport {
    let ctxs = contexts(train);
    let mut by_user: HashMap<UserId, Vec<(MovieId, f32)>> = HashMap::new();
    for &(u, m, r) in test {
        by_user.entry(u).or_default().push((m, r));
    }
    let empty = UserContext::default();
    let (mut se, mut ae, mut n) = (0f64, 0f64, 0usize);
    for (u, items) in &by_user {
        let user = model.fold_in(ctxs.get(u).unwrap_or(&empty));
        for &(m, r) in items {
            let err = f64::from(model.predict_folded(&user, m) - r);
            se += err * err;
            ae += err.abs();
            n += 1;
        }
    }
    let d = n.max(1) as f64;
    RatingReport {
        count: n,
        rmse: (se / d).sqrt(),
        mae: ae / d,
    }
}

#[cfg(test)]
mod fold_tests {
    use super::*;

    #[test]
    fn folds_are_seeded_per_user_and_balanced() {
        let ratings: Vec<(UserId, MovieId, f32)> = (0..10)
            .flat_map(|u| (0..20).map(move |m| (u, m, 4.0)))
            .collect();
        let a = split_folds(&ratings, 5, 7);
        assert_eq!(a, split_folds(&ratings, 5, 7), "same seed, same folds");
        assert_ne!(a, split_folds(&ratings, 5, 8), "another seed, other folds");
        for f in 0..5 {
            let (train, test) = fold(&ratings, &a, f);
            assert_eq!((train.len(), test.len()), (160, 40));
            // Every user has 4 of their 20 ratings in each test fold.
            for u in 0..10 {
                assert_eq!(test.iter().filter(|r| r.0 == u).count(), 4);
            }
        }
    }
}
