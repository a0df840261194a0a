//! Small numeric helpers shared by the sources: a seeded PRNG, deterministic top-k selection and
//! dense Cholesky factor and solves for the tiny systems of the rating model (one per user or
//! movie).

use std::cmp::Ordering;

/// SplitMix64: tiny, fast and seedable; enough for shuffles and initialisation without the `rand` crate.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub(crate) fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Standard normal via Box–Muller (one draw per call).
    pub(crate) fn normal(&mut self) -> f64 {
        self.normal_pair().0
    }

    /// Two independent standard normals from one Box–Muller transform: half the logarithms
    /// and square roots of two [`Rng::normal`] calls, for the rating sampler, which draws one
    /// per latent dimension of every row of every sweep.
    pub(crate) fn normal_pair(&mut self) -> (f64, f64) {
        let u1 = self.next_f64().max(1e-300);
        let u2 = self.next_f64();
        let radius = (-2.0 * u1.ln()).sqrt();
        let (sin, cos) = (std::f64::consts::TAU * u2).sin_cos();
        (radius * cos, radius * sin)
    }

    /// Gamma(`shape`, 1) by Marsaglia and Tsang (2000); shapes below 1 are boosted by
    /// `U^(1/shape)`.
    pub(crate) fn gamma(&mut self, shape: f64) -> f64 {
        if shape < 1.0 {
            let u = self.next_f64().max(1e-300);
            return self.gamma(shape + 1.0) * u.powf(1.0 / shape);
        }
        let d = shape - 1.0 / 3.0;
        let c = 1.0 / (9.0 * d).sqrt();
        loop {
            let x = self.normal();
            let v = (1.0 + c * x).powi(3);
            if v <= 0.0 {
                continue;
            }
            let u = self.next_f64().max(1e-300);
            if u.ln() < 0.5 * x * x + d - d * v + d * v.ln() {
                return d * v;
            }
        }
    }

    /// Fisher–Yates; the modulo bias is below 2^-40 for any realistic length.
    #[cfg(test)]
    pub(crate) fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = (self.next_u64() % (i as u64 + 1)) as usize;
            v.swap(i, j);
        }
    }
}

/// `Σ a_i · b_i` summed in eight independent lanes, so the processor can run the products side by
/// side instead of waiting on one running sum (each prediction takes one per MF sample, for up
/// to 50 candidates per request). Deterministic; differs from a left-to-right sum only in the last bits.
pub(crate) fn dot(a: &[f32], b: &[f32]) -> f32 {
    const LANES: usize = 8;
    let (chunks_a, chunks_b) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let tail: f32 = chunks_a
        .remainder()
        .iter()
        .zip(chunks_b.remainder())
        .map(|(x, y)| x * y)
        .sum();
    let mut lanes = [0f32; LANES];
    for (x, y) in chunks_a.zip(chunks_b) {
        for lane in 0..LANES {
            lanes[lane] += x[lane] * y[lane];
        }
    }
    lanes.iter().sum::<f32>() + tail
}

/// Score descending, then catalogue index ascending. The catalogue is sorted by movie id, so this
/// is the documented tie-break "by movie id".
pub(crate) fn rank_desc(a: &(u32, f32), b: &(u32, f32)) -> Ordering {
    b.1.total_cmp(&a.1).then(a.0.cmp(&b.0))
}

/// The best `k` of `v` in rank order, without sorting the whole vector.
pub(crate) fn top_k(mut v: Vec<(u32, f32)>, k: usize) -> Vec<(u32, f32)> {
    if k == 0 {
        return Vec::new();
    }
    if v.len() > k {
        v.select_nth_unstable_by(k - 1, rank_desc);
        v.truncate(k);
    }
    v.sort_unstable_by(rank_desc);
    v
}

/// Solves `a x = b` in place for a small symmetric positive definite `a` (row-major `n`×`n`,
/// overwritten by its Cholesky factor). Returns false when `a` is not positive definite.
pub(crate) fn cholesky_solve(a: &mut [f64], b: &mut [f64], n: usize) -> bool {
    if !cholesky_factor(a, n) {
        return false;
    }
    solve_lower(a, b, n);
    solve_upper(a, b, n);
    true
}

/// Overwrites the lower triangle of `a` (row-major `n`×`n`, symmetric positive definite; only
/// the lower triangle is read) with `L`, `a = L Lᵀ`. Returns false when `a` is not positive
/// definite.
pub(crate) fn cholesky_factor(a: &mut [f64], n: usize) -> bool {
    for j in 0..n {
        let mut d = a[j * n + j];
        for k in 0..j {
            d -= a[j * n + k] * a[j * n + k];
        }
        if d <= 0.0 || !d.is_finite() {
            return false;
        }
        let d = d.sqrt();
        a[j * n + j] = d;
        for i in j + 1..n {
            let mut s = a[i * n + j];
            for k in 0..j {
                s -= a[i * n + k] * a[j * n + k];
            }
            a[i * n + j] = s / d;
        }
    }
    true
}

/// `b ← L⁻¹ b` for the factor [`cholesky_factor`] left in the lower triangle of `l`.
pub(crate) fn solve_lower(l: &[f64], b: &mut [f64], n: usize) {
    for i in 0..n {
        let mut s = b[i];
        for k in 0..i {
            s -= l[i * n + k] * b[k];
        }
        b[i] = s / l[i * n + i];
    }
}

/// `b ← L⁻ᵀ b` for the factor [`cholesky_factor`] left in the lower triangle of `l`.
pub(crate) fn solve_upper(l: &[f64], b: &mut [f64], n: usize) {
    for i in (0..n).rev() {
        let mut s = b[i];
        for k in i + 1..n {
            s -= l[k * n + i] * b[k];
        }
        b[i] = s / l[i * n + i];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_k_breaks_ties_by_index() {
        let v = vec![(5, 1.0), (2, 1.0), (9, 3.0), (1, 0.5)];
        assert_eq!(top_k(v, 3), vec![(9, 3.0), (2, 1.0), (5, 1.0)]);
    }

    #[test]
    fn cholesky_solves_a_small_system() {
        let mut a = vec![4.0, 2.0, 2.0, 3.0];
        let mut b = vec![2.0, 1.0];
        assert!(cholesky_solve(&mut a, &mut b, 2));
        assert!((b[0] - 0.5).abs() < 1e-12 && b[1].abs() < 1e-12);
    }

    #[test]
    fn dot_matches_the_plain_sum() {
        let a: Vec<f32> = (0..50).map(|i| i as f32 * 0.25 - 3.0).collect();
        let b: Vec<f32> = (0..50).map(|i| 1.0 - i as f32 * 0.125).collect();
        let plain: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
        assert!(
            (dot(&a, &b) - plain).abs() < 1e-3,
            "{} vs {plain}",
            dot(&a, &b)
        );
        assert_eq!(
            dot(&a[..3], &b[..3]),
            a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
        );
        assert_eq!(dot(&[], &[]), 0.0);
    }

    #[test]
    fn rng_is_deterministic() {
        let (mut a, mut b) = (Rng::new(7), Rng::new(7));
        assert_eq!(a.next_u64(), b.next_u64());
    }
}
