//! Item–item neighbourhoods as sparse top-k lists (never a dense item×item matrix), computed by
//! one user-major co-occurrence sweep that yields both the shrunk cosine similarities (for
//! "similar movies", explanations and as a ranking source) and the pearson-baseline similarities
//! the KNN-baseline rating predictor needs.

use std::sync::atomic::{AtomicUsize, Ordering};

use super::catalog::{Interactions, ItemMajor};
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

    fn push_row(&mut self, row: impl IntoIterator<Item = (u32, f32)>) {
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

/// Co-occurrence sums of one (target, candidate) pair, kept together so that the sweep's random
/// access to a candidate touches one cache line instead of six arrays.
#[derive(Clone, Copy, Default)]
struct Cell {
    /// Users who interacted with both (0 marks an untouched candidate).
    count: u32,
    /// Users who rated both.
    both: u32,
    /// Σ w_i · w_j over co-interacting users (cosine numerator).
    dot: f32,
    /// Σ r_i · r_j of the baseline residuals over co-raters (pearson numerator).
    prod: f32,
    sq_i: f32,
    sq_j: f32,
}

/// One thread's scratch space: a cell per candidate and the candidates the current target touched.
struct Acc {
    cells: Vec<Cell>,
    touched: Vec<u32>,
}

/// Everything a row computation reads; shared by the threads.
struct Sweep<'a> {
    inter: &'a Interactions,
    cols: &'a ItemMajor,
    norm: &'a [f32],
    residual: &'a [f32],
    cfg: &'a KnnConfig,
    pcfg: &'a PredictConfig,
}

impl Sweep<'_> {
    /// The cosine and pearson-baseline neighbour lists of target item `i`.
    fn row(&self, i: usize, acc: &mut Acc) -> (Row, Row) {
        let inter = self.inter;
        for c in self.cols.col(i) {
            let (u, ei) = (self.cols.user[c] as usize, self.cols.entry[c]);
            let wi = inter.weight[ei];
            let rated_i = !inter.rating[ei].is_nan();
            let ri = self.residual[ei];
            for ej in inter.row(u) {
                let j = inter.item[ej];
                let cell = &mut acc.cells[j as usize];
                if cell.count == 0 {
                    acc.touched.push(j);
                }
                cell.count += 1;
                cell.dot += wi * inter.weight[ej];
                if rated_i && !inter.rating[ej].is_nan() {
                    let rj = self.residual[ej];
                    cell.both += 1;
                    cell.prod += ri * rj;
                    cell.sq_i += ri * ri;
                    cell.sq_j += rj * rj;
                }
            }
        }
        let mut cos_row = Vec::with_capacity(acc.touched.len());
        let mut pear_row = Vec::with_capacity(acc.touched.len());
        for &j in &acc.touched {
            let ju = j as usize;
            let cell = std::mem::take(&mut acc.cells[ju]);
            if ju == i {
                continue;
            }
            let s = cell.dot / (self.norm[i] * self.norm[ju] + self.cfg.shrink);
            if s > 0.0 {
                cos_row.push((j, s));
            }
            let n = cell.both as f32;
            let den = (cell.sq_i * cell.sq_j).sqrt();
            if n >= 2.0 && den > 0.0 {
                let s = cell.prod / den * (n - 1.0) / (n - 1.0 + self.pcfg.knn_shrink);
                if s > 0.0 {
                    pear_row.push((j, s));
                }
            }
        }
        acc.touched.clear();
        (
            top_k(cos_row, self.cfg.neighbours),
            top_k(pear_row, self.pcfg.knn_stored),
        )
    }
}

/// One neighbour list: `(candidate index, similarity)`, best first.
type Row = Vec<(u32, f32)>;

/// Target items a thread takes at a time: small enough to balance the load (a much-rated movie
/// costs far more than a rare one), large enough that taking one is free.
const BLOCK: usize = 64;

/// The rows of one block of consecutive target items, packed as they will be stored (a row's
/// scratch vector is as long as its candidate list, far longer than the row it keeps).
struct Block {
    start: usize,
    cosine: PackedRows,
    pearson: PackedRows,
}

/// Rows laid end to end, with each row's length.
#[derive(Default)]
struct PackedRows {
    lens: Vec<usize>,
    entries: Vec<(u32, f32)>,
}

impl PackedRows {
    fn push(&mut self, row: Vec<(u32, f32)>) {
        self.lens.push(row.len());
        self.entries.extend(row);
    }

    /// Appends every row to `out`, in order.
    fn append_to(self, out: &mut Neighbours) {
        let mut entries = self.entries.into_iter();
        for len in self.lens {
            out.push_row(entries.by_ref().take(len));
        }
    }
}

/// Builds the cosine lists (`cfg`) and the pearson-baseline lists (`pcfg`) in one sweep.
/// `residual[e]` is rating minus baseline for entry `e` of `inter` (ignored where unrated).
///
/// Each target item's row depends only on the data, so `threads` threads take blocks of targets
/// from a shared counter and the blocks are put back in order: the result is the same for any
/// thread count.
pub(crate) fn build(
    inter: &Interactions,
    n_items: usize,
    residual: &[f32],
    cfg: &KnnConfig,
    pcfg: &PredictConfig,
    threads: usize,
) -> (ItemKnn, Neighbours) {
    let cols = inter.by_item(n_items);
    let mut norm = vec![0f32; n_items];
    for (&i, &w) in inter.item.iter().zip(&inter.weight) {
        norm[i as usize] += w * w;
    }
    for v in &mut norm {
        *v = v.sqrt();
    }
    let sweep = Sweep {
        inter,
        cols: &cols,
        norm: &norm,
        residual,
        cfg,
        pcfg,
    };
    let next = AtomicUsize::new(0);
    let work = || {
        let mut acc = Acc {
            cells: vec![Cell::default(); n_items],
            touched: Vec::new(),
        };
        let mut blocks = Vec::new();
        loop {
            let start = next.fetch_add(BLOCK, Ordering::Relaxed);
            if start >= n_items {
                return blocks;
            }
            let mut block = Block {
                start,
                cosine: PackedRows::default(),
                pearson: PackedRows::default(),
            };
            for i in start..(start + BLOCK).min(n_items) {
                let (cosine, pearson) = sweep.row(i, &mut acc);
                block.cosine.push(cosine);
                block.pearson.push(pearson);
            }
            blocks.push(block);
        }
    };
    let mut blocks: Vec<Block> = std::thread::scope(|s| {
        let helpers: Vec<_> = (1..threads.max(1)).map(|_| s.spawn(work)).collect();
        let mut blocks = work();
        for helper in helpers {
            // A panic in a helper is a bug in this module: surface it where it happened.
            blocks.extend(
                helper
                    .join()
                    .unwrap_or_else(|p| std::panic::resume_unwind(p)),
            );
        }
        blocks
    });
    blocks.sort_unstable_by_key(|b| b.start);
    let mut cosine = Neighbours::with_capacity(n_items, cfg.neighbours);
    let mut pearson = Neighbours::with_capacity(n_items, pcfg.knn_stored);
    for block in blocks {
        block.cosine.append_to(&mut cosine);
        block.pearson.append_to(&mut pearson);
    }
    (ItemKnn { neighbours: cosine }, pearson)
}
