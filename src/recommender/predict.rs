//! Rating prediction: biased matrix factorisation trained by SGD, blended with item-based
//! KNN-baseline (pearson-baseline similarities). Users are folded in at request time from their
//! current ratings (a ridge solve for MF, one ALS step for the baseline), so predictions never
//! depend on a stale per-user vector and unseen users fall back to the item baselines.

use super::PredictConfig;
use super::catalog::Interactions;
use super::item_knn::Neighbours;
use super::util::{Rng, cholesky_solve, dot};

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

/// Users and movies are each cut into this many ranges of about equal rating counts, and the
/// ratings into the `STRATA × STRATA` blocks they form (see [`train_mf`]).
const STRATA: usize = 8;

/// `STRATA + 1` boundaries cutting `0..counts.len()` into ranges of about equal total count:
/// each range closes once it holds its share of what the earlier ranges left.
fn balanced_ranges(counts: &[usize]) -> Vec<usize> {
    let mut bounds = vec![0];
    let mut left: usize = counts.iter().sum();
    let mut in_range = 0;
    for (index, &count) in counts.iter().enumerate() {
        in_range += count;
        // Ranges still open, this one included.
        let open = STRATA + 1 - bounds.len();
        if bounds.len() < STRATA && in_range * open >= left {
            bounds.push(index + 1);
            left -= in_range;
            in_range = 0;
        }
    }
    bounds.resize(STRATA + 1, counts.len());
    bounds
}

/// The range of `bounds` that `index` falls in.
fn range_of(bounds: &[usize], index: usize) -> usize {
    bounds[1..].partition_point(|&end| end <= index)
}

/// The parameters of one range of users or movies: factors (row-major, `k` per row) and biases.
struct Side<'a> {
    offset: usize,
    factors: &'a mut [f32],
    bias: &'a mut [f32],
}

/// Cuts factors and biases along `bounds`, one [`Side`] per range.
fn sides<'a>(
    bounds: &[usize],
    k: usize,
    factors: &'a mut [f32],
    bias: &'a mut [f32],
) -> Vec<Side<'a>> {
    let (mut factors, mut bias) = (factors, bias);
    let mut out = Vec::with_capacity(STRATA);
    for w in bounds.windows(2) {
        let len = w[1] - w[0];
        let (f, rest_f) = std::mem::take(&mut factors).split_at_mut(len * k);
        let (b, rest_b) = std::mem::take(&mut bias).split_at_mut(len);
        (factors, bias) = (rest_f, rest_b);
        out.push(Side {
            offset: w[0],
            factors: f,
            bias: b,
        });
    }
    out
}

/// Funk-style SGD over the explicit ratings in a seeded shuffled order, stratified (Gemulla et
/// al. 2011, "DSGD"): the ratings are cut into blocks by user range and movie range, and an
/// epoch runs in `STRATA` rounds; a round's blocks share no user and no movie, so they are
/// trained side by side on `threads` threads without touching the same parameters, and each
/// block's parameters (an eighth of each side) stay in the processor's cache. Each block's
/// order comes from its own seeded generator, so the model is the same for any thread count.
pub(crate) fn train_mf(
    inter: &Interactions,
    n_items: usize,
    cfg: &PredictConfig,
    seed: u64,
    threads: usize,
) -> Mf {
    let k = cfg.factors;
    let mut rng = Rng::new(seed);
    let mut user_counts = vec![0usize; inter.n_users];
    let mut item_counts = vec![0usize; n_items];
    let (mut lo, mut hi) = (f32::INFINITY, f32::NEG_INFINITY);
    for (u, count) in user_counts.iter_mut().enumerate() {
        for e in inter.row(u) {
            let r = inter.rating[e];
            if !r.is_nan() {
                *count += 1;
                item_counts[inter.item[e] as usize] += 1;
                lo = lo.min(r);
                hi = hi.max(r);
            }
        }
    }
    let n_ratings: usize = user_counts.iter().sum();
    // The service's scale is 0.5–5; a dataset whose ratings span less clips to its own range.
    let (lo, hi) = if n_ratings == 0 {
        (0.5, 5.0)
    } else {
        (lo.max(0.5), hi.min(5.0))
    };
    let user_bounds = balanced_ranges(&user_counts);
    let item_bounds = balanced_ranges(&item_counts);
    let mut blocks: Vec<Vec<(u32, u32, f32)>> = vec![Vec::new(); STRATA * STRATA];
    for u in 0..inter.n_users {
        let a = range_of(&user_bounds, u);
        for e in inter.row(u) {
            let r = inter.rating[e];
            if !r.is_nan() {
                let i = inter.item[e];
                blocks[a * STRATA + range_of(&item_bounds, i as usize)].push((u as u32, i, r));
            }
        }
    }
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
    let budget_epochs = (cfg.update_budget / (n_ratings as u64).max(1)) as usize;
    let epochs = cfg.epochs.min(budget_epochs.max(cfg.min_epochs));
    let sgd =
        |block: &mut [(u32, u32, f32)], block_seed: u64, users: &mut Side, items: &mut Side| {
            Rng::new(block_seed).shuffle(block);
            for &(u, i, r) in block.iter() {
                let (u, i) = (u as usize - users.offset, i as usize - items.offset);
                let pu = &mut users.factors[u * k..(u + 1) * k];
                let qi = &mut items.factors[i * k..(i + 1) * k];
                let (bu, bi) = (&mut users.bias[u], &mut items.bias[i]);
                let err = r - (mu + *bu + *bi + dot(pu, qi));
                *bu += lr * (err - reg * *bu);
                *bi += lr * (err - reg * *bi);
                for (pf, qf) in pu.iter_mut().zip(qi.iter_mut()) {
                    let (a, b) = (*pf, *qf);
                    *pf += lr * (err * b - reg * a);
                    *qf += lr * (err * a - reg * b);
                }
            }
        };
    let mut shifts: Vec<usize> = (0..STRATA).collect();
    for _ in 0..epochs {
        rng.shuffle(&mut shifts);
        for &shift in &shifts {
            let round_seed = rng.next_u64();
            let users = sides(&user_bounds, k, &mut p, &mut bu);
            let mut items: Vec<Option<Side>> = sides(&item_bounds, k, &mut q, &mut bi)
                .into_iter()
                .map(Some)
                .collect();
            // Round `shift` pairs user range `a` with movie range `(a + shift) % STRATA`.
            let mut tasks: Vec<_> = users
                .into_iter()
                .enumerate()
                .zip(blocks.chunks_mut(STRATA))
                .filter_map(|((a, users), row)| {
                    let b = (a + shift) % STRATA;
                    Some((a, users, items[b].take()?, &mut row[b]))
                })
                .collect();
            let per_thread = tasks.len().div_ceil(threads.max(1));
            std::thread::scope(|s| {
                for chunk in tasks.chunks_mut(per_thread.max(1)) {
                    s.spawn(|| {
                        for (a, users, items, block) in chunk.iter_mut() {
                            sgd(block, round_seed ^ (*a as u64), users, items);
                        }
                    });
                }
            });
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
    pub(super) knn_support: f32,
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

    /// The MF models' mean prediction for item `iu`, unclipped.
    fn mf_mean(&self, user: &UserFactors, iu: usize) -> f32 {
        let sum: f32 = self
            .mfs
            .iter()
            .zip(&user.mf)
            .map(|(mf, (p, bias))| {
                let q = &mf.q[iu * mf.k..(iu + 1) * mf.k];
                mf.mu + mf.item_bias[iu] + bias + dot(p, q)
            })
            .sum();
        sum / self.mfs.len().max(1) as f32
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

    #[test]
    fn balanced_ranges_cut_the_counts_into_even_shares_that_cover_everything() {
        // One heavy row, then many light ones: the heavy one gets a range to itself.
        let counts: Vec<usize> = std::iter::once(700)
            .chain(std::iter::repeat_n(1, 700))
            .collect();
        let bounds = balanced_ranges(&counts);
        assert_eq!(bounds.len(), STRATA + 1);
        assert_eq!((bounds[0], bounds[STRATA]), (0, counts.len()));
        assert!(bounds.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!(bounds[1], 1, "the heavy row closes the first range");
        let shares: Vec<usize> = bounds
            .windows(2)
            .map(|w| counts[w[0]..w[1]].iter().sum())
            .collect();
        // The other 700 are shared by the other 7 ranges: about 100 each.
        assert!(
            shares[1..].iter().all(|&s| (80..=120).contains(&s)),
            "{shares:?}"
        );
        for (index, _) in counts.iter().enumerate() {
            let r = range_of(&bounds, index);
            assert!(bounds[r] <= index && index < bounds[r + 1]);
        }
    }

    /// Three movies, one MF model whose prediction is always 3.0, a baseline of 2.0
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
            item_bias: vec![0.0; 3],
            q: vec![0.0; 3],
            k: 1,
            lo: 0.5,
            hi: 5.0,
        };
        let pearson = Neighbours {
            ptr: vec![0, 1, 1, 1],
            idx: vec![1],
            sim: vec![0.5],
        };
        let mut predictor = Predictor::new(base, vec![mf], pearson, &cfg);
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
    fn fewer_rows_than_ranges_leave_empty_ranges_at_the_end() {
        let bounds = balanced_ranges(&[3, 1, 2]);
        assert_eq!(bounds.len(), STRATA + 1);
        assert_eq!(*bounds.last().unwrap(), 3);
        assert!(bounds.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!(
            range_of(&bounds, 2),
            bounds[1..].partition_point(|&e| e <= 2)
        );
        assert!(bounds[range_of(&bounds, 2) + 1] == 3);
    }
}
