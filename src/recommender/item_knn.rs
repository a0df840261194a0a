//! Item–item neighbourhoods as sparse top-k lists (never a dense item×item matrix), computed by
//! one user-major co-occurrence sweep that yields both the shrunk cosine similarities (for
//! "similar movies", explanations and as a ranking source) and the pearson-baseline similarities
//! the KNN-baseline rating predictor needs.

use super::catalog::Interactions;
use super::util::top_k;
use super::{KnnConfig, PredictConfig};

/// CSR neighbour lists; each row is sorted by similarity descending, ties by index.
/// Fields are `pub(super)` for the snapshot codec.
pub(crate) struct Neighbours {
    pub(super) ptr: Vec<usize>,
    pub(super) idx: Vec<u32>,
    pub(super) sim: Vec<f32>,
}

impl Neighbours {
    pub(crate) fn row(&self, i: u32) -> (&[u32], &[f32]) {
        let r = self.ptr[i as usize]..self.ptr[i as usize + 1];
        (&self.idx[r.clone()], &self.sim[r])
    }

    pub(crate) fn len(&self) -> usize {
        self.idx.len()
    }

    fn with_capacity(n_items: usize, per_item: usize) -> Self {
        let cap = n_items.saturating_mul(per_item).min(1 << 26);
        Self {
            ptr: vec![0],
            idx: Vec::with_capacity(cap),
            sim: Vec::with_capacity(cap),
        }
    }

    fn push_row(&mut self, row: Vec<(u32, f32)>) {
        for (j, s) in row {
            self.idx.push(j);
            self.sim.push(s);
        }
        self.ptr.push(self.idx.len());
    }
}

/// The item-kNN source.
pub(crate) struct ItemKnn {
    pub(crate) neighbours: Neighbours,
}

impl ItemKnn {
    /// Adds `Σ_i w_i · sim(i, j)` over the user's items `i` to `scores[j]`. Only positive
    /// similarities are stored, so a score stays 0 exactly when no neighbour links to `j`.
    pub(crate) fn score_into(&self, implicit: &[(u32, f32)], scores: &mut [f32]) {
        for &(i, w) in implicit {
            let (idx, sim) = self.neighbours.row(i);
            for (&j, &s) in idx.iter().zip(sim) {
                scores[j as usize] += w * s;
            }
        }
    }
}

/// Per-candidate co-occurrence sums for one target item.
struct Acc {
    count: Vec<u32>,
    dot: Vec<f32>,
    both: Vec<u32>,
    prod: Vec<f32>,
    sq_i: Vec<f32>,
    sq_j: Vec<f32>,
    touched: Vec<u32>,
}

/// Builds the cosine lists (`cfg`) and the pearson-baseline lists (`pcfg`) in one sweep.
/// `residual[e]` is rating minus baseline for entry `e` of `inter` (ignored where unrated).
pub(crate) fn build(
    inter: &Interactions,
    n_items: usize,
    residual: &[f32],
    cfg: &KnnConfig,
    pcfg: &PredictConfig,
) -> (ItemKnn, Neighbours) {
    let cols = inter.by_item(n_items);
    let mut norm = vec![0f32; n_items];
    for (&i, &w) in inter.item.iter().zip(&inter.weight) {
        norm[i as usize] += w * w;
    }
    for v in &mut norm {
        *v = v.sqrt();
    }
    let mut acc = Acc {
        count: vec![0; n_items],
        dot: vec![0.0; n_items],
        both: vec![0; n_items],
        prod: vec![0.0; n_items],
        sq_i: vec![0.0; n_items],
        sq_j: vec![0.0; n_items],
        touched: Vec::new(),
    };
    let mut cosine = Neighbours::with_capacity(n_items, cfg.neighbours);
    let mut pearson = Neighbours::with_capacity(n_items, pcfg.knn_stored);
    for i in 0..n_items {
        for c in cols.col(i) {
            let (u, ei) = (cols.user[c] as usize, cols.entry[c]);
            let wi = inter.weight[ei];
            let rated_i = !inter.rating[ei].is_nan();
            let ri = residual[ei];
            for ej in inter.row(u) {
                let j = inter.item[ej] as usize;
                if acc.count[j] == 0 {
                    acc.touched.push(j as u32);
                }
                acc.count[j] += 1;
                acc.dot[j] += wi * inter.weight[ej];
                if rated_i && !inter.rating[ej].is_nan() {
                    let rj = residual[ej];
                    acc.both[j] += 1;
                    acc.prod[j] += ri * rj;
                    acc.sq_i[j] += ri * ri;
                    acc.sq_j[j] += rj * rj;
                }
            }
        }
        let mut cos_row = Vec::with_capacity(acc.touched.len());
        let mut pear_row = Vec::with_capacity(acc.touched.len());
        for &j in &acc.touched {
            let ju = j as usize;
            if ju != i {
                let s = acc.dot[ju] / (norm[i] * norm[ju] + cfg.shrink);
                if s > 0.0 {
                    cos_row.push((j, s));
                }
                let n = acc.both[ju] as f32;
                let den = (acc.sq_i[ju] * acc.sq_j[ju]).sqrt();
                if n >= 2.0 && den > 0.0 {
                    let s = acc.prod[ju] / den * (n - 1.0) / (n - 1.0 + pcfg.knn_shrink);
                    if s > 0.0 {
                        pear_row.push((j, s));
                    }
                }
            }
            acc.count[ju] = 0;
            acc.dot[ju] = 0.0;
            acc.both[ju] = 0;
            acc.prod[ju] = 0.0;
            acc.sq_i[ju] = 0.0;
            acc.sq_j[ju] = 0.0;
        }
        acc.touched.clear();
        cosine.push_row(top_k(cos_row, cfg.neighbours));
        pearson.push_row(top_k(pear_row, pcfg.knn_stored));
    }
    (ItemKnn { neighbours: cosine }, pearson)
}
