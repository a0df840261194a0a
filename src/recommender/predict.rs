//! Rating prediction: Bayesian matrix factorisation ([`super::bpmf`], its samples averaged),
//! blended with item-based KNN-baseline (pearson-baseline similarities). Users are folded in at
//! request time from their current ratings (per sample the mean of the user's conditional, one
//! ALS step for the baseline), so predictions never depend on a stale per-user vector and unseen
//! users fall back to the average user.

use super::PredictConfig;
use super::catalog::Interactions;
use super::item_knn::Neighbours;
use super::util::{cholesky_solve, dot};

/// Global mean plus user and item biases, fitted by alternating least squares (as in Koren 2010
/// and Surprise's `BaselineOnly`); the KNN-baseline residuals are taken against them.
pub(crate) struct Baselines {
    mu: f32,
    user: Vec<f32>,
    item: Vec<f32>,
}

impl Baselines {
    pub(crate) fn train(inter: &Interactions, n_items: usize, cfg: &PredictConfig) -> Self {
        let (sum, n) = explicit_sum(inter);
        let mu = if n > 0 { (sum / n as f64) as f32 } else { 3.0 };
        let mut user = vec![0f32; inter.n_users];
        let mut item = vec![0f32; n_items];
        let mut num = vec![0f32; n_items];
        let mut cnt = vec![0f32; n_items];
        for _ in 0..cfg.baseline_epochs {
            for (u, bu) in user.iter_mut().enumerate() {
                let (mut s, mut c) = (0f32, 0f32);
                for e in inter.row(u) {
                    let r = inter.rating[e];
                    if !r.is_nan() {
                        s += r - mu - item[inter.item[e] as usize];
                        c += 1.0;
                    }
                }
                *bu = s / (cfg.baseline_reg_user + c);
            }
            num.iter_mut().for_each(|v| *v = 0.0);
            cnt.iter_mut().for_each(|v| *v = 0.0);
            for (u, &bu) in user.iter().enumerate() {
                for e in inter.row(u) {
                    let r = inter.rating[e];
                    if !r.is_nan() {
                        let i = inter.item[e] as usize;
                        num[i] += r - mu - bu;
                        cnt[i] += 1.0;
                    }
                }
            }
            for ((bi, s), c) in item.iter_mut().zip(&num).zip(&cnt) {
                *bi = s / (cfg.baseline_reg_item + c);
            }
        }
        Self { mu, user, item }
    }

    /// Rating minus baseline for every entry of `inter` (which must index users like the
    /// interactions the baselines were trained on); 0 where there is no rating.
    pub(crate) fn residuals(&self, inter: &Interactions) -> Vec<f32> {
        let mut out = vec![0f32; inter.len()];
        for u in 0..inter.n_users {
            for e in inter.row(u) {
                let r = inter.rating[e];
                if !r.is_nan() {
                    out[e] = r - self.mu - self.user[u] - self.item[inter.item[e] as usize];
                }
            }
        }
        out
    }
}

fn explicit_sum(inter: &Interactions) -> (f64, usize) {
    inter
        .rating
        .iter()
        .filter(|r| !r.is_nan())
        .fold((0.0, 0), |(s, n), &r| (s + f64::from(r), n + 1))
}

/// Movie side of the Bayesian MF samples ([`super::bpmf`]) and the user prior each was drawn
/// with; the user side is folded in per request. Fields are `pub(super)` for the snapshot codec.
pub(crate) struct Mf {
    pub(super) mu: f32,
    /// Latent factors per sample.
    pub(super) k: usize,
    /// Samples kept.
    pub(super) samples: usize,
    /// Row-major `n_items × samples × (k + 1)`: per sample the movie's factors, then its bias.
    /// One movie's samples sit side by side, so a fold-in or a prediction reads one short run
    /// of memory per movie instead of one scattered row per sample (at the 25M shape a heavy
    /// user's fold-in touches 10,000 movies).
    pub(super) items: Vec<f32>,
    /// Per sample, the mean of the user prior over `[p_u, b_u]` (`samples × (k + 1)`).
    pub(super) user_mean: Vec<f32>,
    /// Per sample, the precision of the user prior (`samples × (k + 1) × (k + 1)`).
    pub(super) user_precision: Vec<f32>,
    /// Precision α of the rating noise.
    pub(super) noise_precision: f32,
    pub(super) lo: f32,
    pub(super) hi: f32,
}

impl Mf {
    /// Values per movie: every sample's factors and bias.
    fn stride(&self) -> usize {
        self.samples * (self.k + 1)
    }
}

/// A user's rating-model parameters, solved from their current ratings.
pub(crate) struct UserFactors {
    base_bias: f32,
    /// Per MF sample, the user's factors then bias (`samples × (k + 1)`).
    mf: Vec<f32>,
    /// The user's rating of every catalogue item, NaN where unrated: the neighbour scan of
    /// each prediction reads it directly instead of hashing up to `knn_stored` ids.
    ratings: Vec<f32>,
}

/// The trained rating predictor. Fields are `pub(super)` for the snapshot codec.
pub(crate) struct Predictor {
    pub(super) base_mu: f32,
    pub(super) base_item: Vec<f32>,
    /// Samples of the Bayesian MF posterior; their predictions are averaged.
    pub(super) mf: Mf,
    pub(super) lo: f32,
    pub(super) hi: f32,
    pub(super) pearson: Neighbours,
    pub(super) reg_user: f32,
    pub(super) knn_k: usize,
    pub(super) knn_blend: f32,
    pub(super) knn_support: f32,
}

impl Predictor {
    pub(crate) fn new(base: Baselines, mf: Mf, pearson: Neighbours, cfg: &PredictConfig) -> Self {
        let (lo, hi) = (mf.lo, mf.hi);
        Self {
            base_mu: base.mu,
            base_item: base.item,
            mf,
            lo,
            hi,
            pearson,
            reg_user: cfg.baseline_reg_user,
            knn_k: cfg.knn_k,
            knn_blend: cfg.knn_blend.clamp(0.0, 1.0),
            knn_support: cfg.knn_support.max(0.0),
        }
    }

    pub(crate) fn neighbour_pairs(&self) -> usize {
        self.pearson.len()
    }

    /// The rating scale predictions are clipped to, lowest first.
    pub(crate) fn scale(&self) -> (f32, f32) {
        (self.lo, self.hi)
    }

    /// One ALS step for the baseline user bias and, per MF sample, the mean of the user's
    /// `[p_u, b_u]` given their ratings, that sample's movies and its user prior.
    pub(crate) fn fold_in(&self, rated: &[(u32, f32)]) -> UserFactors {
        let base_sum: f32 = rated
            .iter()
            .map(|&(i, r)| r - self.base_mu - self.base_item[i as usize])
            .sum();
        UserFactors {
            base_bias: base_sum / (self.reg_user + rated.len() as f32),
            mf: self.fold_in_mf(rated),
            ratings: {
                let mut dense = vec![f32::NAN; self.base_item.len()];
                for &(i, r) in rated {
                    dense[i as usize] = r;
                }
                dense
            },
        }
    }

    /// The MF samples' mean prediction for item `iu`, unclipped.
    fn mf_mean(&self, user: &UserFactors, iu: usize) -> f32 {
        let mf = &self.mf;
        let (k, stride) = (mf.k, mf.stride());
        let sum: f32 = mf.items[iu * stride..(iu + 1) * stride]
            .chunks_exact(k + 1)
            .zip(user.mf.chunks_exact(k + 1))
            .map(|(q, p)| mf.mu + q[k] + p[k] + dot(&p[..k], &q[..k]))
            .sum();
        sum / mf.samples.max(1) as f32
    }

    /// Per MF sample, the user's factors and bias: the Gaussian conditional's mean
    /// `(Λ + α Σ x xᵀ)⁻¹ (Λ m + α Σ y x)` with `x = [q_i, 1]` and `y = r − μ − b_i`; the prior
    /// mean `m` without ratings.
    fn fold_in_mf(&self, rated: &[(u32, f32)]) -> Vec<f32> {
        let mf = &self.mf;
        let (k, d, stride) = (mf.k, mf.k + 1, mf.stride());
        let mut out = mf.user_mean.clone();
        if rated.is_empty() {
            return out;
        }
        // One system per sample, filled in a single pass over the rated movies.
        let mut a: Vec<f64> = mf.user_precision.iter().map(|&v| f64::from(v)).collect();
        let mut b: Vec<f64> = mf
            .user_precision
            .chunks_exact(d)
            .zip((0..mf.samples).flat_map(|s| std::iter::repeat_n(s, d)))
            .map(|(row, s)| {
                row.iter()
                    .zip(&mf.user_mean[s * d..(s + 1) * d])
                    .map(|(p, m)| f64::from(p * m))
                    .sum()
            })
            .collect();
        let alpha = f64::from(mf.noise_precision);
        let mut x = vec![0f64; d];
        for &(i, r) in rated {
            let i = i as usize;
            let block = &mf.items[i * stride..(i + 1) * stride];
            for (s, q) in block.chunks_exact(d).enumerate() {
                for (xf, &qf) in x.iter_mut().zip(&q[..k]) {
                    *xf = f64::from(qf);
                }
                x[k] = 1.0;
                let y = f64::from(r - mf.mu - q[k]);
                let (a, b) = (
                    &mut a[s * d * d..(s + 1) * d * d],
                    &mut b[s * d..(s + 1) * d],
                );
                // Lower triangle only: the solve reads nothing else.
                for r_ in 0..d {
                    let ar = alpha * x[r_];
                    b[r_] += ar * y;
                    for (av, &xc) in a[r_ * d..=r_ * d + r_].iter_mut().zip(&x) {
                        *av += ar * xc;
                    }
                }
            }
        }
        for (s, user) in out.chunks_exact_mut(d).enumerate() {
            let (a, b) = (
                &mut a[s * d * d..(s + 1) * d * d],
                &mut b[s * d..(s + 1) * d],
            );
            // A system that is not positive definite keeps the prior's mean user.
            if cholesky_solve(a, b, d) {
                user.iter_mut()
                    .zip(b.iter())
                    .for_each(|(u, &v)| *u = v as f32);
            }
        }
        out
    }

    /// Blended prediction, clipped; `None` (a movie the model has never seen) gets the user's
    /// baseline.
    pub(crate) fn predict(&self, user: &UserFactors, item: Option<u32>) -> f32 {
        let Some(i) = item else {
            return (self.base_mu + user.base_bias).clamp(self.lo, self.hi);
        };
        let iu = i as usize;
        let mf = self.mf_mean(user, iu);
        let base_i = self.base_mu + user.base_bias + self.base_item[iu];
        let (mut num, mut den, mut used) = (0f32, 0f32, 0usize);
        let (idx, sim) = self.pearson.row(i);
        for (&j, &s) in idx.iter().zip(sim) {
            if used == self.knn_k {
                break;
            }
            let r = user.ratings[j as usize];
            if !r.is_nan() {
                num += s * (r - (self.base_mu + user.base_bias + self.base_item[j as usize]));
                den += s;
                used += 1;
            }
        }
        let knn = if den > 0.0 {
            base_i + num / den
        } else {
            base_i
        };
        let support = if self.knn_support > 0.0 {
            den / (den + self.knn_support)
        } else {
            1.0
        };
        let share = self.knn_blend * support;
        let blended = (1.0 - share) * mf + share * knn;
        blended.clamp(self.lo, self.hi)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three movies, one MF sample whose prediction is always 3.0, a baseline of 2.0
    /// everywhere; movie 0's one neighbour is movie 1 (similarity 0.5), movie 2 has none.
    fn three_movie_predictor(knn_support: f32) -> Predictor {
        let cfg = PredictConfig {
            knn_blend: 0.4,
            knn_support,
            ..crate::recommender::TrainConfig::default().predict
        };
        let base = Baselines {
            mu: 2.0,
            user: Vec::new(),
            item: vec![0.0; 3],
        };
        let mf = Mf {
            mu: 3.0,
            k: 1,
            samples: 1,
            items: vec![0.0; 6],
            user_mean: vec![0.0; 2],
            user_precision: vec![1.0, 0.0, 0.0, 1.0],
            noise_precision: 1.0,
            lo: 0.5,
            hi: 5.0,
        };
        let pearson = Neighbours {
            ptr: vec![0, 1, 1, 1],
            idx: vec![1],
            sim: vec![0.5],
        };
        let mut predictor = Predictor::new(base, mf, pearson, &cfg);
        // A user bias of 0 whatever the ratings, so the numbers below are exact.
        predictor.reg_user = f32::INFINITY;
        predictor
    }

    #[test]
    fn the_neighbourhood_weighs_by_its_evidence_and_mf_speaks_alone_without_it() {
        let user_ratings = [(1, 4.0)];
        for (support, share) in [(0.0, 0.4), (0.5, 0.4 * 0.5 / (0.5 + 0.5))] {
            let predictor = three_movie_predictor(support);
            let user = predictor.fold_in(&user_ratings);
            let mf = predictor.mf_mean(&user, 0);
            // KNN-baseline: baseline 2.0 plus the neighbour's residual 4.0 − 2.0.
            let expected = (1.0 - share) * mf + share * 4.0;
            let got = predictor.predict(&user, Some(0));
            assert!(
                (got - expected).abs() < 1e-5,
                "{support}: {got} vs {expected}"
            );
        }
        // No rated neighbour: a fixed blend pulls MF towards the baseline, the
        // evidence-weighted one leaves MF alone.
        let fixed = three_movie_predictor(0.0);
        let user = fixed.fold_in(&user_ratings);
        let mf = fixed.mf_mean(&user, 2);
        assert!((fixed.predict(&user, Some(2)) - (0.6 * mf + 0.4 * 2.0)).abs() < 1e-5);
        let weighted = three_movie_predictor(0.5);
        let user = weighted.fold_in(&user_ratings);
        assert!((weighted.predict(&user, Some(2)) - weighted.mf_mean(&user, 2)).abs() < 1e-5);
    }

    #[test]
    fn the_fold_in_is_the_prior_without_ratings_and_follows_the_data_with_many() {
        // One factor; movie 0 has q = 1, movie 1 has q = −1, no biases, μ = 3.
        let mf = Mf {
            mu: 3.0,
            k: 1,
            samples: 1,
            // Per movie: factor, bias.
            items: vec![1.0, 0.0, -1.0, 0.0],
            user_mean: vec![0.5, 0.25],
            user_precision: vec![1.0, 0.0, 0.0, 1.0],
            noise_precision: 2.0,
            lo: 0.5,
            hi: 5.0,
        };
        let cfg = crate::recommender::TrainConfig::default().predict;
        let base = Baselines {
            mu: 3.0,
            user: Vec::new(),
            item: vec![0.0; 2],
        };
        let pearson = Neighbours {
            ptr: vec![0, 0, 0],
            idx: Vec::new(),
            sim: Vec::new(),
        };
        let predictor = Predictor::new(base, mf, pearson, &cfg);
        assert_eq!(predictor.fold_in_mf(&[]), vec![0.5, 0.25]);
        // 200 ratings saying p = 1.5, b = 0 (4.5 on movie 0, 1.5 on movie 1): the prior's pull
        // is one part in hundreds.
        let rated: Vec<(u32, f32)> = (0..200)
            .map(|n| (n % 2, if n % 2 == 0 { 4.5 } else { 1.5 }))
            .collect();
        let user = predictor.fold_in_mf(&rated);
        assert!(
            (user[0] - 1.5).abs() < 0.01 && user[1].abs() < 0.01,
            "{user:?}"
        );
    }
}
