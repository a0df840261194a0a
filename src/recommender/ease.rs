//! EASE (Steck 2019): a closed-form linear item–item model, `B = I − P·diag(1/diag(P))` with
//! `P = (XᵀX + λI)⁻¹`, over rating-weighted implicit feedback. It was the strongest single model
//! measured on MovieLens (fold 1 NDCG@10 0.39 against 0.33 for iALS and 0.30 for item-kNN), and
//! scoring a user is a sum of a few rows. Cost is quadratic in memory and cubic in time in the
//! number of items, so it covers only the `max_items` most-interacted movies.

use faer::linalg::solvers::DenseSolveCore;

use super::catalog::Interactions;
use super::{EaseConfig, TrainError};

/// Sentinel for "not an EASE item".
const NONE: u32 = u32::MAX;

/// The trained item–item weights over the covered items.
pub(crate) struct Ease {
    /// EASE-local index → catalogue index.
    items: Vec<u32>,
    /// Catalogue index → EASE-local index or [`NONE`].
    local: Vec<u32>,
    /// Row-major `n×n`; row `i` holds the weights from item `i` to every item.
    weights: Vec<f32>,
    /// Popularity de-biasing factor per local item.
    debias: Vec<f32>,
}

impl Ease {
    pub(crate) fn train(
        inter: &Interactions,
        n_items: usize,
        rating_count: &[u32],
        cfg: &EaseConfig,
    ) -> Result<Self, TrainError> {
        let mut seen = vec![0u32; n_items];
        for &i in &inter.item {
            seen[i as usize] += 1;
        }
        let mut by_count: Vec<u32> = (0..n_items as u32)
            .filter(|&i| seen[i as usize] > 0)
            .collect();
        by_count.sort_by(|&a, &b| seen[b as usize].cmp(&seen[a as usize]).then(a.cmp(&b)));
        by_count.truncate(cfg.max_items);
        // Local order follows catalogue order so that ties stay ordered by movie id.
        by_count.sort_unstable();
        let items = by_count;
        let n = items.len();
        let mut local = vec![NONE; n_items];
        for (l, &i) in items.iter().enumerate() {
            local[i as usize] = l as u32;
        }

        let mut gram = vec![0f64; n * n];
        let mut row: Vec<(usize, f64)> = Vec::new();
        for u in 0..inter.n_users {
            row.clear();
            for e in inter.row(u) {
                let l = local[inter.item[e] as usize];
                if l != NONE {
                    row.push((l as usize, f64::from(inter.weight[e])));
                }
            }
            // Rows are sorted by catalogue index, hence by local index: fill the upper triangle.
            for (a, &(la, wa)) in row.iter().enumerate() {
                let g = &mut gram[la * n..(la + 1) * n];
                for &(lb, wb) in &row[a..] {
                    g[lb] += wa * wb;
                }
            }
        }
        let lambda = f64::from(cfg.lambda);
        let g = faer::Mat::<f64>::from_fn(n, n, |r, c| {
            let v = if r <= c {
                gram[r * n + c]
            } else {
                gram[c * n + r]
            };
            if r == c { v + lambda } else { v }
        });
        drop(gram);
        let p = g
            .llt(faer::Side::Lower)
            .map_err(|_| TrainError::NotPositiveDefinite)?
            .inverse();
        let diag: Vec<f64> = (0..n).map(|j| p[(j, j)]).collect();
        let mut weights = vec![0f32; n * n];
        for j in 0..n {
            let col = p.col(j);
            for i in 0..n {
                if i != j {
                    weights[i * n + j] = (-col[i] / diag[j]) as f32;
                }
            }
        }
        let debias = items
            .iter()
            .map(|&i| {
                (f64::from(rating_count[i as usize]) + 1.0).powf(-f64::from(cfg.popularity_debias))
                    as f32
            })
            .collect();
        Ok(Self {
            items,
            local,
            weights,
            debias,
        })
    }

    /// Items covered.
    pub(crate) fn len(&self) -> usize {
        self.items.len()
    }

    /// Catalogue index of local item `l`.
    pub(crate) fn item(&self, l: usize) -> u32 {
        self.items[l]
    }

    /// De-biased scores per local item, or `None` when none of the user's items is covered.
    pub(crate) fn score_local(&self, implicit: &[(u32, f32)]) -> Option<Vec<f32>> {
        let n = self.items.len();
        let mut scores = vec![0f32; n];
        let mut any = false;
        for &(i, w) in implicit {
            let l = self.local[i as usize];
            if l != NONE {
                any = true;
                let row = &self.weights[l as usize * n..(l as usize + 1) * n];
                for (s, &b) in scores.iter_mut().zip(row) {
                    *s += w * b;
                }
            }
        }
        if !any {
            return None;
        }
        for (s, d) in scores.iter_mut().zip(&self.debias) {
            *s *= d;
        }
        Some(scores)
    }

    /// Contribution of the user's item `i` (with weight `w`) to the score of item `j`.
    pub(crate) fn contribution(&self, i: u32, w: f32, j: u32) -> f32 {
        let (li, lj) = (self.local[i as usize], self.local[j as usize]);
        if li == NONE || lj == NONE {
            return 0.0;
        }
        let n = self.items.len();
        w * self.weights[li as usize * n + lj as usize] * self.debias[lj as usize]
    }
}
