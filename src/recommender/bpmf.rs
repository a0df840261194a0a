//! Bayesian probabilistic matrix factorisation (Salakhutdinov & Mnih 2008, "Bayesian
//! Probabilistic Matrix Factorization using Markov Chain Monte Carlo"), trained by Gibbs sampling.
//!
//! A rating is `μ + b_u + b_i + p_u · q_i` plus Gaussian noise of precision α. Each user's
//! `[p_u, b_u]` and each movie's `[q_i, b_i]` has a Gaussian prior whose mean and precision are
//! themselves drawn from a Normal–Wishart, so the model learns how strongly to shrink instead of
//! being told. One sweep draws the user prior, then every user given the movies, then the movie
//! prior, then every movie given the users. After a two-sweep burn-in, evenly spaced sweeps are
//! kept as samples ([`Mf`]; 25 of 100 on ml-100k), and a prediction averages over them, which
//! is where the method's accuracy comes from: one sample is no better than SGD, the average of
//! 25 is (ml-100k, see the README). The chain starts at the truncated SVD of the ratings
//! ([`warm_start`]), so large data, which affords only a few sweeps, starts near the answer.
//!
//! The users' vectors are not kept: at request time the user is folded in from their current
//! ratings against each sample's movies and user prior ([`crate::recommender::predict`]), the
//! mean of the same conditional the sampler draws from.

use std::sync::Mutex;

use super::PredictConfig;
use super::catalog::Interactions;
use super::predict::Mf;
use super::util::{Rng, cholesky_factor, solve_lower, solve_upper};

/// Normal–Wishart hyperprior: mean 0, `β₀ = 2`, scale matrix `I`, `d` degrees of freedom, as in
/// the paper. Vague enough that the data decide after a few hundred ratings.
const PRIOR_BETA: f64 = 2.0;

/// One side's rows: row starts, the other side's index and the rating of every entry.
type Csr<'a> = (&'a [usize], &'a [u32], &'a [f32]);

/// Ratings stored twice, by user and by movie, so both halves of a sweep read their rows
/// contiguously.
struct Sides {
    user_ptr: Vec<usize>,
    user_items: Vec<u32>,
    user_ratings: Vec<f32>,
    item_ptr: Vec<usize>,
    item_users: Vec<u32>,
    item_ratings: Vec<f32>,
}

impl Sides {
    fn build(inter: &Interactions, n_items: usize) -> Self {
        let mut user_ptr = Vec::with_capacity(inter.n_users + 1);
        user_ptr.push(0);
        let (mut user_items, mut user_ratings) = (Vec::new(), Vec::new());
        for u in 0..inter.n_users {
            for e in inter.row(u) {
                let r = inter.rating[e];
                if !r.is_nan() {
                    user_items.push(inter.item[e]);
                    user_ratings.push(r);
                }
            }
            user_ptr.push(user_items.len());
        }
        Self::from_users(user_ptr, user_items, user_ratings, n_items)
    }

    /// The by-movie copy of ratings given by user (a counting sort on the movie index).
    fn from_users(
        user_ptr: Vec<usize>,
        user_items: Vec<u32>,
        user_ratings: Vec<f32>,
        n_items: usize,
    ) -> Self {
        let mut item_ptr = vec![0usize; n_items + 1];
        for &i in &user_items {
            item_ptr[i as usize + 1] += 1;
        }
        for i in 0..n_items {
            item_ptr[i + 1] += item_ptr[i];
        }
        let mut next = item_ptr.clone();
        let mut item_users = vec![0u32; user_items.len()];
        let mut item_ratings = vec![0f32; user_items.len()];
        for u in 0..user_ptr.len() - 1 {
            for e in user_ptr[u]..user_ptr[u + 1] {
                let slot = &mut next[user_items[e] as usize];
                item_users[*slot] = u as u32;
                item_ratings[*slot] = user_ratings[e];
                *slot += 1;
            }
        }
        Self {
            user_ptr,
            user_items,
            user_ratings,
            item_ptr,
            item_users,
            item_ratings,
        }
    }

    fn by_user(&self) -> Csr<'_> {
        (&self.user_ptr, &self.user_items, &self.user_ratings)
    }

    fn by_item(&self) -> Csr<'_> {
        (&self.item_ptr, &self.item_users, &self.item_ratings)
    }
}

/// How many sweeps to run: `sweeps`, fewer when they would visit more than `update_budget`
/// ratings (never fewer than `min_sweeps`).
fn sweep_count(n_ratings: usize, cfg: &PredictConfig) -> usize {
    let budget = (cfg.update_budget / (n_ratings as u64).max(1)) as usize;
    cfg.sweeps.min(budget.max(cfg.min_sweeps)).max(1)
}

/// The user or movie prior of one sweep: mean and precision (row-major `d × d`).
struct Prior {
    mean: Vec<f64>,
    precision: Vec<f64>,
    /// `Λ m`, the prior's share of every row's right-hand side, computed once per sweep.
    precision_mean: Vec<f64>,
}

impl Prior {
    fn new(mean: Vec<f64>, precision: Vec<f64>) -> Self {
        let d = mean.len();
        let precision_mean = precision
            .chunks_exact(d)
            .map(|row| row.iter().zip(&mean).map(|(p, m)| p * m).sum())
            .collect();
        Self {
            mean,
            precision,
            precision_mean,
        }
    }
}

/// Draws the Gibbs samples and keeps at least one; on a dataset without explicit ratings every
/// movie of it is average.
pub(crate) fn train(
    inter: &Interactions,
    n_items: usize,
    cfg: &PredictConfig,
    seed: u64,
    threads: usize,
) -> Mf {
    let k = cfg.factors;
    let d = k + 1;
    let sides = Sides::build(inter, n_items);
    let n_ratings = sides.user_ratings.len();
    let alpha = f64::from(cfg.noise_precision);
    let (lo, hi) = sides
        .user_ratings
        .iter()
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &r| {
            (lo.min(r), hi.max(r))
        });
    // The service's scale is 0.5–5; a dataset whose ratings span less clips to its own range.
    let (lo, hi) = if n_ratings == 0 {
        (0.5, 5.0)
    } else {
        (lo.max(0.5), hi.min(5.0))
    };
    let mu = if n_ratings == 0 {
        3.0
    } else {
        (sides
            .user_ratings
            .iter()
            .map(|&r| f64::from(r))
            .sum::<f64>()
            / n_ratings as f64) as f32
    };
    let mut rng = Rng::new(seed);
    // Random factors matter only where there is nothing to decompose: the warm start below
    // overwrites every factor column.
    let std = f64::from(cfg.init_std);
    let mut users: Vec<f64> = (0..inter.n_users * d).map(|_| rng.normal() * std).collect();
    let mut items: Vec<f64> = (0..n_items * d).map(|_| rng.normal() * std).collect();
    for row in users.chunks_exact_mut(d).chain(items.chunks_exact_mut(d)) {
        row[k] = 0.0;
    }
    warm_start(&sides, mu, k, &mut users, &mut items, &mut rng);
    let sweeps = sweep_count(n_ratings, cfg);
    // Large data affords few sweeps; the burn-in never takes more than half of them.
    let burn_in = cfg.burn_in.min(sweeps / 2);
    // Every `thin`-th sweep after the burn-in is kept, so at most `max_samples` are: each one
    // costs a fold-in per request.
    let thin = (sweeps - burn_in).div_ceil(cfg.max_samples.max(1)).max(1);
    let (mut kept, mut user_means, mut user_precisions) = (Vec::new(), Vec::new(), Vec::new());
    // A kept sample stores each movie's conditional mean given that sweep's users, not the draw
    // itself (Rao–Blackwellised: less Monte Carlo noise, and two movies rated alike get exactly
    // the same vector); the chain goes on from the draws.
    let mut item_means = vec![0f64; n_items * d];
    for sweep in 0..sweeps {
        let sweep_seed = rng.next_u64();
        let user_prior = sample_prior(&users, &sides.user_ptr, d, &mut rng);
        let user_half = Half {
            rows: sides.by_user(),
            fixed: &to_f32(&items),
            prior: &user_prior,
            mu,
            alpha,
            d,
            seed: sweep_seed,
        };
        user_half.sample_into(&mut users, None, threads);
        let item_prior = sample_prior(&items, &sides.item_ptr, d, &mut rng);
        // The movie half differs only in its side, the side it holds fixed and its seed.
        let item_half = Half {
            rows: sides.by_item(),
            fixed: &to_f32(&users),
            prior: &item_prior,
            seed: sweep_seed ^ 0x5DEE_CE66_D1CE_F00D,
            ..user_half
        };
        let keep = sweep >= burn_in && (sweeps - 1 - sweep).is_multiple_of(thin);
        item_half.sample_into(&mut items, keep.then_some(&mut item_means), threads);
        if keep {
            // Each movie's row is already laid out as the sample stores it: factors, bias.
            kept.push(to_f32(&item_means));
            user_means.extend(user_prior.mean.iter().map(|&v| v as f32));
            user_precisions.extend(user_prior.precision.iter().map(|&v| v as f32));
        }
    }
    // Interleave by movie: movie i's rows of every sample side by side.
    let stride = kept.len() * d;
    let mut interleaved = vec![0f32; n_items * stride];
    for (s, sample) in kept.iter().enumerate() {
        for (i, row) in sample.chunks_exact(d).enumerate() {
            interleaved[i * stride + s * d..][..d].copy_from_slice(row);
        }
    }
    Mf {
        mu,
        k,
        samples: kept.len(),
        items: interleaved,
        user_mean: user_means,
        user_precision: user_precisions,
        noise_precision: alpha as f32,
        lo,
        hi,
    }
}

/// Subspace iterations for the truncated SVD of the centred rating matrix.
const WARM_START_ITERATIONS: usize = 3;

/// Starts the chain at the rank-`k` truncated SVD of the ratings minus their mean (missing
/// entries read as 0), by subspace iteration: `Q ← orth(Rᵀ R Q)` three times, then movies
/// `Q √σ` and users `R Q / √σ`, so `p_u · q_i` is the low-rank fit. From random factors the
/// sampler needs dozens of sweeps to find the taste directions, which large data cannot afford
/// (ml-100k with 6 sweeps: RMSE 0.922 from random, 0.897 from here); with 100 it is the same.
fn warm_start(
    sides: &Sides,
    mu: f32,
    k: usize,
    users: &mut [f64],
    items: &mut [f64],
    rng: &mut Rng,
) {
    let d = k + 1;
    let n_users = sides.user_ptr.len() - 1;
    let n_items = sides.item_ptr.len() - 1;
    if k == 0 || n_items == 0 {
        return;
    }
    let mut q: Vec<f64> = (0..n_items * k).map(|_| rng.normal()).collect();
    let mut z = vec![0f64; n_users * k];
    // `out[row] = Σ (r − μ) · input[other]` over a side's rows: R·Q by users, Rᵀ·Z by movies.
    let multiply = |(ptr, other, ratings): Csr<'_>, input: &[f64], out: &mut [f64]| {
        for (row, acc) in out.chunks_exact_mut(k).enumerate() {
            acc.iter_mut().for_each(|v| *v = 0.0);
            for e in ptr[row]..ptr[row + 1] {
                let r = f64::from(ratings[e] - mu);
                let x = &input[other[e] as usize * k..][..k];
                acc.iter_mut().zip(x).for_each(|(a, x)| *a += r * x);
            }
        }
    };
    for _ in 0..WARM_START_ITERATIONS {
        multiply(sides.by_user(), &q, &mut z);
        multiply(sides.by_item(), &z, &mut q);
        orthonormalise_columns(&mut q, k);
    }
    multiply(sides.by_user(), &q, &mut z);
    for j in 0..k {
        let sigma = (0..n_users)
            .map(|u| z[u * k + j].powi(2))
            .sum::<f64>()
            .sqrt();
        let root = sigma.sqrt().max(1e-6);
        for i in 0..n_items {
            items[i * d + j] = q[i * k + j] * root;
        }
        for u in 0..n_users {
            users[u * d + j] = z[u * k + j] / root;
        }
    }
}

/// Modified Gram–Schmidt on the `k` columns of the row-major `q`.
fn orthonormalise_columns(q: &mut [f64], k: usize) {
    let n = q.len() / k;
    for j in 0..k {
        for t in 0..j {
            let overlap: f64 = (0..n).map(|i| q[i * k + j] * q[i * k + t]).sum();
            for i in 0..n {
                q[i * k + j] -= overlap * q[i * k + t];
            }
        }
        let norm = (0..n).map(|i| q[i * k + j].powi(2)).sum::<f64>().sqrt();
        let inv = if norm > 1e-12 { 1.0 / norm } else { 0.0 };
        for i in 0..n {
            q[i * k + j] *= inv;
        }
    }
}

/// Pieces of a half sweep per training thread (see [`Half::sample_into`]).
const PIECES_PER_THREAD: usize = 8;

/// One half of a sweep: every row of one side drawn from its conditional given the other side.
struct Half<'a> {
    rows: Csr<'a>,
    /// The other side's rows, in `f32`: half the bytes to fetch from scattered rows, and the
    /// sums are still taken in `f64`.
    fixed: &'a [f32],
    prior: &'a Prior,
    mu: f32,
    alpha: f64,
    d: usize,
    seed: u64,
}

impl Half<'_> {
    /// Rows are cut into [`PIECES_PER_THREAD`] ranges per thread of about equal rating counts,
    /// which `threads` threads take from a shared queue: a thread the scheduler sets aside
    /// (training runs beside the item sources, more threads than cores) delays one small piece,
    /// not half the sweep. `means`, when given, receives each row's conditional mean. Each row
    /// draws from a generator seeded by the sweep and its index, so the result is the same for
    /// any thread count.
    fn sample_into(&self, rows: &mut [f64], means: Option<&mut Vec<f64>>, threads: usize) {
        let n_rows = self.rows.0.len() - 1;
        let threads = threads.clamp(1, n_rows.max(1));
        let pieces = threads * PIECES_PER_THREAD;
        let total = self.rows.0[n_rows];
        let mut bounds = vec![0];
        for t in 1..pieces {
            let target = total * t / pieces;
            bounds.push(self.rows.0.partition_point(|&p| p < target).min(n_rows));
        }
        bounds.push(n_rows);
        bounds.dedup();
        let mut chunks = Vec::with_capacity(bounds.len());
        let (mut rest, mut rest_means) = (rows, means.map(Vec::as_mut_slice));
        for w in bounds.windows(2) {
            let len = (w[1] - w[0]) * self.d;
            let (chunk, tail) = std::mem::take(&mut rest).split_at_mut(len);
            let (mean_chunk, mean_tail) = match rest_means.take() {
                Some(m) => {
                    let (a, b) = m.split_at_mut(len);
                    (Some(a), Some(b))
                }
                None => (None, None),
            };
            chunks.push((w[0], chunk, mean_chunk));
            (rest, rest_means) = (tail, mean_tail);
        }
        let queue = Mutex::new(chunks.into_iter());
        // A poisoned lock means another worker panicked; `scope` re-raises that panic.
        let next = || queue.lock().ok()?.next();
        let work = || {
            let mut scratch = Scratch::new(self.d);
            while let Some((first, chunk, mut mean_chunk)) = next() {
                for (offset, row) in chunk.chunks_exact_mut(self.d).enumerate() {
                    let mean = mean_chunk
                        .as_deref_mut()
                        .map(|m| &mut m[offset * self.d..(offset + 1) * self.d]);
                    self.sample_row(first + offset, row, mean, &mut scratch);
                }
            }
        };
        // As in item-kNN: `threads - 1` helpers, and this thread works too.
        std::thread::scope(|s| {
            for _ in 1..threads {
                s.spawn(work);
            }
            work();
        });
    }

    fn sample_row(
        &self,
        index: usize,
        row: &mut [f64],
        mean: Option<&mut [f64]>,
        scratch: &mut Scratch,
    ) {
        let d = self.d;
        let k = d - 1;
        let entries = self.rows.0[index]..self.rows.0[index + 1];
        if entries.is_empty() {
            // Nothing to learn from: the prior mean, which leaves the other side untouched.
            row.copy_from_slice(&self.prior.mean);
            if let Some(mean) = mean {
                mean.copy_from_slice(&self.prior.mean);
            }
            return;
        }
        let Scratch { a, b, x } = scratch;
        // P = Λ + α XᵀX and b = Λ m + α Xᵀy, with x = [other side's factors, 1] per rating:
        // one pass over the row's ratings, the lower triangle only (the factorisation reads
        // nothing else), and the prior's share `Λ m` computed once per sweep, not per row.
        a.fill(0.0);
        b.fill(0.0);
        for e in entries {
            let other = &self.fixed[self.rows.1[e] as usize * d..][..d];
            x.iter_mut()
                .zip(&other[..k])
                .for_each(|(x, &o)| *x = f64::from(o));
            x[k] = 1.0;
            let y = f64::from(self.rows.2[e] - self.mu) - f64::from(other[k]);
            for (r, &xr) in x.iter().enumerate() {
                b[r] += xr * y;
                a[r * d..=r * d + r]
                    .iter_mut()
                    .zip(&x[..=r])
                    .for_each(|(acc, &xc)| *acc += xr * xc);
            }
        }
        for (acc, &p) in a.iter_mut().zip(&self.prior.precision) {
            *acc = p + self.alpha * *acc;
        }
        for (acc, &pm) in b.iter_mut().zip(&self.prior.precision_mean) {
            *acc = pm + self.alpha * *acc;
        }
        if !cholesky_factor(a, d) {
            row.copy_from_slice(&self.prior.mean);
            if let Some(mean) = mean {
                mean.copy_from_slice(&self.prior.mean);
            }
            return;
        }
        // Mean P⁻¹ b, plus L⁻ᵀ z for the noise (P = L Lᵀ, z standard normal).
        solve_lower(a, b, d);
        if let Some(mean) = mean {
            mean.copy_from_slice(b);
            solve_upper(a, mean, d);
        }
        let mut rng = Rng::new(self.seed ^ (index as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        for pair in b.chunks_mut(2) {
            let (z0, z1) = rng.normal_pair();
            pair[0] += z0;
            if let Some(v) = pair.get_mut(1) {
                *v += z1;
            }
        }
        solve_upper(a, b, d);
        row.copy_from_slice(b);
    }
}

fn to_f32(rows: &[f64]) -> Vec<f32> {
    rows.iter().map(|&v| v as f32).collect()
}

/// Per-thread buffers for one row's system.
struct Scratch {
    a: Vec<f64>,
    b: Vec<f64>,
    /// One rating's `[factors, 1]` of the other side, widened to `f64`.
    x: Vec<f64>,
}

impl Scratch {
    fn new(d: usize) -> Self {
        Self {
            a: vec![0.0; d * d],
            b: vec![0.0; d],
            x: vec![0.0; d],
        }
    }
}

/// Draws a side's prior (mean and precision) from its Normal–Wishart posterior given the rows
/// that have ratings (rows without any sit at the old mean and carry no evidence).
fn sample_prior(rows: &[f64], ptr: &[usize], d: usize, rng: &mut Rng) -> Prior {
    let rated: Vec<&[f64]> = rows
        .chunks_exact(d)
        .enumerate()
        .filter(|&(i, _)| ptr[i + 1] > ptr[i])
        .map(|(_, row)| row)
        .collect();
    let n = rated.len() as f64;
    let mut mean = vec![0f64; d];
    for row in &rated {
        for (m, v) in mean.iter_mut().zip(row.iter()) {
            *m += v;
        }
    }
    if n > 0.0 {
        mean.iter_mut().for_each(|m| *m /= n);
    }
    // W*⁻¹ = I + Σ (x − x̄)(x − x̄)ᵀ + β₀ n / (β₀ + n) x̄ x̄ᵀ
    let mut scale_inv = vec![0f64; d * d];
    for j in 0..d {
        scale_inv[j * d + j] = 1.0;
    }
    for row in &rated {
        for r in 0..d {
            let dr = row[r] - mean[r];
            for c in 0..d {
                scale_inv[r * d + c] += dr * (row[c] - mean[c]);
            }
        }
    }
    let shrink = PRIOR_BETA * n / (PRIOR_BETA + n);
    for r in 0..d {
        for c in 0..d {
            scale_inv[r * d + c] += shrink * mean[r] * mean[c];
        }
    }
    let dof = d as f64 + n;
    let precision = sample_wishart(&scale_inv, dof, d, rng);
    // μ ~ N(n x̄ / (β₀ + n), ((β₀ + n) Λ)⁻¹)
    let beta = PRIOR_BETA + n;
    let mut centre: Vec<f64> = mean.iter().map(|m| m * n / beta).collect();
    let mut factor: Vec<f64> = precision.iter().map(|p| p * beta).collect();
    if cholesky_factor(&mut factor, d) {
        let mut z: Vec<f64> = (0..d).map(|_| rng.normal()).collect();
        solve_upper(&factor, &mut z, d);
        centre.iter_mut().zip(&z).for_each(|(c, z)| *c += z);
    }
    Prior::new(centre, precision)
}

/// A Wishart draw with scale `W` (given as `W⁻¹`) and `dof` degrees of freedom, by Bartlett's
/// decomposition: `L A Aᵀ Lᵀ` with `W = L Lᵀ`, `A` lower triangular, `A_jj² ~ χ²(dof − j)` and
/// standard normals below the diagonal.
fn sample_wishart(scale_inv: &[f64], dof: f64, d: usize, rng: &mut Rng) -> Vec<f64> {
    // W⁻¹ = C Cᵀ gives W = C⁻ᵀ C⁻¹, so L = C⁻ᵀ: column j of L is C⁻ᵀ e_j.
    let mut c = scale_inv.to_vec();
    if !cholesky_factor(&mut c, d) {
        // Cannot happen for I + a positive semidefinite sum; fall back to the identity.
        c = vec![0.0; d * d];
        (0..d).for_each(|j| c[j * d + j] = 1.0);
    }
    let mut l = vec![0f64; d * d];
    let mut col = vec![0f64; d];
    for j in 0..d {
        col.iter_mut()
            .enumerate()
            .for_each(|(i, v)| *v = f64::from(u8::from(i == j)));
        solve_upper(&c, &mut col, d);
        for i in 0..d {
            l[i * d + j] = col[i];
        }
    }
    let mut a = vec![0f64; d * d];
    for j in 0..d {
        a[j * d + j] = (2.0 * rng.gamma((dof - j as f64) / 2.0)).sqrt();
        for i in j + 1..d {
            a[i * d + j] = rng.normal();
        }
    }
    // B = L A, then Λ = B Bᵀ.
    let mut bm = vec![0f64; d * d];
    for i in 0..d {
        for j in 0..d {
            bm[i * d + j] = (0..d).map(|t| l[i * d + t] * a[t * d + j]).sum();
        }
    }
    let mut out = vec![0f64; d * d];
    for i in 0..d {
        for j in 0..d {
            out[i * d + j] = (0..d).map(|t| bm[i * d + t] * bm[j * d + t]).sum();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_warm_start_finds_the_taste_direction_of_a_rank_one_matrix() {
        // 30 users × 20 movies, every rating 3 + a_u · b_i: the first movie column of the warm
        // start must point along b (up to sign).
        let a: Vec<f32> = (0..30).map(|u| ((u % 7) as f32 - 3.0) * 0.3).collect();
        let b: Vec<f32> = (0..20).map(|i| ((i % 5) as f32 - 2.0) * 0.4).collect();
        let mut user_ptr = vec![0];
        let (mut user_items, mut user_ratings) = (Vec::new(), Vec::new());
        for &au in &a {
            for (i, &bi) in b.iter().enumerate() {
                user_items.push(i as u32);
                user_ratings.push(3.0 + au * bi);
            }
            user_ptr.push(user_items.len());
        }
        let sides = Sides::from_users(user_ptr, user_items, user_ratings, b.len());
        let (k, d) = (2, 3);
        let (mut users, mut items) = (vec![0f64; 30 * d], vec![0f64; 20 * d]);
        warm_start(&sides, 3.0, k, &mut users, &mut items, &mut Rng::new(5));
        let col: Vec<f64> = (0..20).map(|i| items[i * d]).collect();
        let dot: f64 = col.iter().zip(&b).map(|(x, &y)| x * f64::from(y)).sum();
        let norms = col.iter().map(|x| x * x).sum::<f64>().sqrt()
            * b.iter().map(|&y| f64::from(y * y)).sum::<f64>().sqrt();
        assert!((dot / norms).abs() > 0.999, "cosine {}", dot / norms);
        // And the low-rank fit reproduces a rating.
        let fit: f64 = (0..k).map(|j| users[4 * d + j] * items[3 * d + j]).sum();
        assert!((fit - f64::from(a[4] * b[3])).abs() < 1e-6, "{fit}");
    }

    #[test]
    fn wishart_draws_average_to_dof_times_scale() {
        // E[Λ] = dof · W; with W⁻¹ = diag(2, 4) that is diag(dof/2, dof/4).
        let mut rng = Rng::new(3);
        let (d, dof, draws) = (2, 10.0, 4000);
        let mut sum = [0f64; 4];
        for _ in 0..draws {
            let s = sample_wishart(&[2.0, 0.0, 0.0, 4.0], dof, d, &mut rng);
            sum.iter_mut().zip(&s).for_each(|(a, b)| *a += b);
        }
        let mean: Vec<f64> = sum.iter().map(|s| s / f64::from(draws)).collect();
        assert!((mean[0] - 5.0).abs() < 0.2, "{mean:?}");
        assert!((mean[3] - 2.5).abs() < 0.1, "{mean:?}");
        assert!(mean[1].abs() < 0.1, "{mean:?}");
    }
}
