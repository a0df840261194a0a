//! Offline evaluation exactly as RECOMMENDER.md specifies (so numbers compare with
//! `shared/eval/peers.py`), through the same `Model::recommend` / `Model::predict` path serving
//! uses: each user's context is built from their TRAIN ratings.
//!
//! Ranking: candidates are the TRAIN items minus the user's TRAIN items; relevant items are the
//! user's TEST items rated ≥ 4; users are those in TRAIN with at least one relevant item. Rating:
//! RMSE/MAE over every TEST rating, unseen users and movies included (baseline fallback).

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::recommender::{Model, MovieId, RecRequest, Strategy, UserContext, UserId};

/// Ratings as the loaders return them.
pub type Ratings = [(UserId, MovieId, f32)];

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
