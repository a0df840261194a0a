//! Rating prediction: biased matrix factorisation trained by SGD, blended with item-based
//! KNN-baseline (pearson-baseline similarities). Users are folded in at request time from their
//! current ratings (a ridge solve for MF, one ALS step for the baseline), so predictions never
//! depend on a stale per-user vector and unseen users fall back to the item baselines.

use super::PredictConfig;
use super::catalog::Interactions;
use super::item_knn::Neighbours;
use super::util::{Rng, cholesky_solve};

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

/// Item side of the biased MF model (the user side is folded in per request).
/// Fields are `pub(super)` for the snapshot codec.
pub(crate) struct Mf {
    pub(super) mu: f32,
    pub(super) item_bias: Vec<f32>,
    /// Row-major `n_items × k`.
    pub(super) q: Vec<f32>,
    pub(super) k: usize,
    pub(super) lo: f32,
    pub(super) hi: f32,
}

/// How many MF models to train: `mf_models`, fewer when their SGD updates would not fit in
/// `update_budget` together (at least one).
pub(crate) fn ensemble_size(inter: &Interactions, cfg: &PredictConfig) -> usize {
    let per_model = (explicit_sum(inter).1 as u64).saturating_mul(cfg.epochs as u64);
    let fit = cfg.update_budget / per_model.max(1);
    cfg.mf_models.min(fit as usize).max(1)
}

/// Funk-style SGD over the explicit ratings in a seeded shuffled order.
pub(crate) fn train_mf(inter: &Interactions, n_items: usize, cfg: &PredictConfig, seed: u64) -> Mf {
    let k = cfg.factors;
    let mut rng = Rng::new(seed);
    let mut entries: Vec<(u32, u32, f32)> = Vec::with_capacity(inter.len());
    let (mut lo, mut hi) = (f32::INFINITY, f32::NEG_INFINITY);
    for u in 0..inter.n_users {
        for e in inter.row(u) {
            let r = inter.rating[e];
            if !r.is_nan() {
                entries.push((u as u32, inter.item[e], r));
                lo = lo.min(r);
                hi = hi.max(r);
            }
        }
    }
    // The service's scale is 0.5–5; a dataset whose ratings span less clips to its own range.
    let (lo, hi) = if entries.is_empty() {
        (0.5, 5.0)
    } else {
        (lo.max(0.5), hi.min(5.0))
    };
    let (sum, n) = explicit_sum(inter);
    let mu = if n > 0 { (sum / n as f64) as f32 } else { 3.0 };
    let std = f64::from(cfg.init_std);
    let mut p: Vec<f32> = (0..inter.n_users * k)
        .map(|_| (rng.normal() * std) as f32)
        .collect();
    let mut q: Vec<f32> = (0..n_items * k)
        .map(|_| (rng.normal() * std) as f32)
        .collect();
    let mut bu = vec![0f32; inter.n_users];
    let mut bi = vec![0f32; n_items];
    let (lr, reg) = (cfg.learning_rate, cfg.reg);
    // Large data converges in fewer passes; the budget keeps training in minutes.
    let budget_epochs = (cfg.update_budget / (entries.len() as u64).max(1)) as usize;
    let epochs = cfg.epochs.min(budget_epochs.max(cfg.min_epochs));
    for _ in 0..epochs {
        rng.shuffle(&mut entries);
        for &(u, i, r) in &entries {
            let (u, i) = (u as usize, i as usize);
            let pu = &mut p[u * k..(u + 1) * k];
            let qi = &mut q[i * k..(i + 1) * k];
            let dot: f32 = pu.iter().zip(qi.iter()).map(|(a, b)| a * b).sum();
            let err = r - (mu + bu[u] + bi[i] + dot);
            bu[u] += lr * (err - reg * bu[u]);
            bi[i] += lr * (err - reg * bi[i]);
            for (pf, qf) in pu.iter_mut().zip(qi.iter_mut()) {
                let (a, b) = (*pf, *qf);
                *pf += lr * (err * b - reg * a);
                *qf += lr * (err * a - reg * b);
            }
        }
    }
    Mf {
        mu,
        item_bias: bi,
        q,
        k,
        lo,
        hi,
    }
}

/// A user's rating-model parameters, solved from their current ratings.
pub(crate) struct UserFactors {
    base_bias: f32,
    /// Per MF model: the user's factors and bias.
    mf: Vec<(Vec<f32>, f32)>,
    /// The user's rating of every catalogue item, NaN where unrated: the neighbour scan of
    /// each prediction reads it directly instead of hashing up to `knn_stored` ids.
    ratings: Vec<f32>,
}

/// The trained rating predictor. Fields are `pub(super)` for the snapshot codec.
pub(crate) struct Predictor {
    pub(super) base_mu: f32,
    pub(super) base_item: Vec<f32>,
    /// MF models from different seeds; their predictions are averaged.
    pub(super) mfs: Vec<Mf>,
    pub(super) lo: f32,
    pub(super) hi: f32,
    pub(super) pearson: Neighbours,
    pub(super) reg_user: f32,
    pub(super) fold_in_reg: f32,
    pub(super) knn_k: usize,
    pub(super) knn_blend: f32,
}

impl Predictor {
    pub(crate) fn new(
        base: Baselines,
        mfs: Vec<Mf>,
        pearson: Neighbours,
        cfg: &PredictConfig,
    ) -> Self {
        let (lo, hi) = mfs.first().map_or((0.5, 5.0), |m| (m.lo, m.hi));
        Self {
            base_mu: base.mu,
            base_item: base.item,
            mfs,
            lo,
            hi,
            pearson,
            reg_user: cfg.baseline_reg_user,
            fold_in_reg: cfg.fold_in_reg,
            knn_k: cfg.knn_k,
            knn_blend: cfg.knn_blend.clamp(0.0, 1.0),
        }
    }

    pub(crate) fn neighbour_pairs(&self) -> usize {
        self.pearson.len()
    }

    /// The rating scale predictions are clipped to, lowest first.
    pub(crate) fn scale(&self) -> (f32, f32) {
        (self.lo, self.hi)
    }

    /// One ALS step for the baseline user bias and, per MF model, a ridge solve of `[p_u, b_u]`
    /// against the fixed item factors; the ridge strength grows with the number of ratings as
    /// SGD's per-rating regularisation does.
    pub(crate) fn fold_in(&self, rated: &[(u32, f32)]) -> UserFactors {
        let base_sum: f32 = rated
            .iter()
            .map(|&(i, r)| r - self.base_mu - self.base_item[i as usize])
            .sum();
        UserFactors {
            base_bias: base_sum / (self.reg_user + rated.len() as f32),
            mf: self
                .mfs
                .iter()
                .map(|mf| self.fold_in_mf(mf, rated))
                .collect(),
            ratings: {
                let mut dense = vec![f32::NAN; self.base_item.len()];
                for &(i, r) in rated {
                    dense[i as usize] = r;
                }
                dense
            },
        }
    }

    /// The user's factors and bias in one MF model (zeros without ratings).
    fn fold_in_mf(&self, mf: &Mf, rated: &[(u32, f32)]) -> (Vec<f32>, f32) {
        let k = mf.k;
        if rated.is_empty() {
            return (vec![0.0; k], 0.0);
        }
        let d = k + 1;
        let mut a = vec![0f64; d * d];
        let mut b = vec![0f64; d];
        let mut x = vec![0f64; d];
        for &(i, r) in rated {
            let i = i as usize;
            for (xf, &qf) in x.iter_mut().zip(&mf.q[i * k..(i + 1) * k]) {
                *xf = f64::from(qf);
            }
            x[k] = 1.0;
            let y = f64::from(r - mf.mu - mf.item_bias[i]);
            for (r_, &xr) in x.iter().enumerate() {
                b[r_] += xr * y;
                let row = &mut a[r_ * d..(r_ + 1) * d];
                for (c, &xc) in x.iter().enumerate() {
                    row[c] += xr * xc;
                }
            }
        }
        let lambda = f64::from(self.fold_in_reg) * rated.len() as f64;
        for j in 0..d {
            a[j * d + j] += lambda.max(1e-6);
        }
        if !cholesky_solve(&mut a, &mut b, d) {
            return (vec![0.0; k], 0.0);
        }
        (b[..k].iter().map(|&v| v as f32).collect(), b[k] as f32)
    }

    /// Blended prediction, clipped; `None` (a movie the model has never seen) gets the user's
    /// baseline.
    pub(crate) fn predict(&self, user: &UserFactors, item: Option<u32>) -> f32 {
        let Some(i) = item else {
            return (self.base_mu + user.base_bias).clamp(self.lo, self.hi);
        };
        let iu = i as usize;
        let mf_sum: f32 = self
            .mfs
            .iter()
            .zip(&user.mf)
            .map(|(mf, (p, bias))| {
                let q = &mf.q[iu * mf.k..(iu + 1) * mf.k];
                let dot: f32 = p.iter().zip(q).map(|(a, b)| a * b).sum();
                mf.mu + mf.item_bias[iu] + bias + dot
            })
            .sum();
        let mf = mf_sum / self.mfs.len().max(1) as f32;
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
        let blended = (1.0 - self.knn_blend) * mf + self.knn_blend * knn;
        blended.clamp(self.lo, self.hi)
    }
}
