//! Popularity source: a damped (Bayesian) mean rating per movie, so two 5-star votes do not top
//! the chart, pre-sorted once so a request only walks the head of the list.

use super::catalog::{Catalog, Interactions};
use super::{GenreId, PopularConfig};

/// Per-movie rating statistics and the chart order. Fields are `pub(super)` for the snapshot codec.
pub(crate) struct Popular {
    /// Number of explicit ratings (also the popularity EASE de-biases against).
    pub(crate) count: Vec<u32>,
    /// `(sum + m·μ) / (count + m)`.
    pub(crate) damped: Vec<f32>,
    /// All movies, best damped mean first, ties by id.
    pub(super) order: Vec<u32>,
    /// Range of `damped`, to map it into [0, 1] for blending.
    pub(super) lo: f32,
    pub(super) hi: f32,
}

impl Popular {
    pub(crate) fn train(inter: &Interactions, n_items: usize, cfg: &PopularConfig) -> Self {
        let mut count = vec![0u32; n_items];
        let mut sum = vec![0f64; n_items];
        let (mut total, mut n) = (0f64, 0usize);
        for (&i, &r) in inter.item.iter().zip(&inter.rating) {
            if !r.is_nan() {
                count[i as usize] += 1;
                sum[i as usize] += f64::from(r);
                total += f64::from(r);
                n += 1;
            }
        }
        let mu = if n > 0 { total / n as f64 } else { 3.0 };
        let m = f64::from(cfg.prior_votes.max(0.0));
        let damped: Vec<f32> = (0..n_items)
            .map(|i| ((sum[i] + m * mu) / (f64::from(count[i]) + m).max(1e-9)) as f32)
            .collect();
        let mut order: Vec<u32> = (0..n_items as u32).collect();
        order.sort_by(|&a, &b| {
            damped[b as usize]
                .total_cmp(&damped[a as usize])
                .then(a.cmp(&b))
        });
        let lo = damped.iter().copied().fold(f32::INFINITY, f32::min);
        let hi = damped.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        Self {
            count,
            damped,
            order,
            lo,
            hi,
        }
    }

    /// Damped mean mapped into [0, 1]: the "quality" the genre source and the hybrid use.
    pub(crate) fn quality(&self, i: u32) -> f32 {
        if self.hi > self.lo {
            (self.damped[i as usize] - self.lo) / (self.hi - self.lo)
        } else {
            1.0
        }
    }

    /// The best `limit` movies not `blocked`, optionally within `genre`; walks the pre-sorted chart.
    pub(crate) fn top(
        &self,
        catalog: &Catalog,
        limit: usize,
        genre: Option<GenreId>,
        blocked: impl Fn(u32) -> bool,
    ) -> Vec<(u32, f32)> {
        self.order
            .iter()
            .copied()
            .filter(|&i| !blocked(i) && genre.is_none_or(|g| catalog.has_genre(i, g)))
            .take(limit)
            .map(|i| (i, self.damped[i as usize]))
            .collect()
    }
}
