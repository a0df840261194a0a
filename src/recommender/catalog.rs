//! Compact indexing shared by every source: movie ids → dense `u32` indices (sorted by id, so index
//! order is the tie-break order), genres in CSR form, and the training interactions in user-major CSR.

use std::collections::HashMap;
use std::ops::Range;

use super::{GenreId, ImplicitConfig, MovieId, TrainingData};

/// Every movie the model knows: catalogue metadata plus anything rated or purchased.
///
/// Fields are `pub(super)` so that the snapshot codec (`snapshot/`) can write them and rebuild
/// the derived ones (`index`, `n_genres`) with [`id_index`] and [`genre_count`] on load.
pub(crate) struct Catalog {
    pub(crate) ids: Vec<MovieId>,
    pub(super) index: HashMap<MovieId, u32>,
    pub(super) genre_ptr: Vec<u32>,
    pub(super) genre_ids: Vec<GenreId>,
    pub(crate) n_genres: usize,
}

/// Movie id → catalogue index (its position in the sorted `ids`).
pub(super) fn id_index(ids: &[MovieId]) -> HashMap<MovieId, u32> {
    ids.iter()
        .enumerate()
        .map(|(k, &id)| (id, k as u32))
        .collect()
}

/// One more than the largest genre id, so that genre ids index per-genre arrays directly.
pub(super) fn genre_count(genre_ids: &[GenreId]) -> usize {
    genre_ids.iter().map(|&g| g as usize + 1).max().unwrap_or(0)
}

impl Catalog {
    pub(crate) fn build(data: &TrainingData) -> Self {
        let mut ids: Vec<MovieId> = data.movies.iter().map(|m| m.id).collect();
        ids.extend(data.ratings.iter().map(|r| r.1));
        ids.extend(data.purchases.iter().map(|p| p.1));
        ids.sort_unstable();
        ids.dedup();
        let index = id_index(&ids);
        let mut per_item: Vec<Vec<GenreId>> = vec![Vec::new(); ids.len()];
        for m in &data.movies {
            if let Some(&k) = index.get(&m.id) {
                let g = &mut per_item[k as usize];
                g.extend_from_slice(&m.genres);
                g.sort_unstable();
                g.dedup();
            }
        }
        let mut genre_ptr = Vec::with_capacity(ids.len() + 1);
        let mut genre_ids = Vec::new();
        genre_ptr.push(0);
        for g in per_item {
            genre_ids.extend(g);
            genre_ptr.push(genre_ids.len() as u32);
        }
        let n_genres = genre_count(&genre_ids);
        Self {
            ids,
            index,
            genre_ptr,
            genre_ids,
            n_genres,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.ids.len()
    }

    pub(crate) fn idx(&self, id: MovieId) -> Option<u32> {
        self.index.get(&id).copied()
    }

    pub(crate) fn genres(&self, idx: u32) -> &[GenreId] {
        let i = idx as usize;
        &self.genre_ids[self.genre_ptr[i] as usize..self.genre_ptr[i + 1] as usize]
    }

    pub(crate) fn has_genre(&self, idx: u32, genre: GenreId) -> bool {
        self.genres(idx).binary_search(&genre).is_ok()
    }
}

/// Training interactions, user-major CSR. Lives only during training: serving folds the user in
/// from the request context instead, so the snapshot does not carry 25M rows it never reads.
pub(crate) struct Interactions {
    pub(crate) n_users: usize,
    pub(crate) ptr: Vec<usize>,
    pub(crate) item: Vec<u32>,
    /// Explicit rating, NaN for a purchase without a rating.
    pub(crate) rating: Vec<f32>,
    /// Implicit confidence (rating mapped through [`ImplicitConfig`], purchases at least `purchase`).
    pub(crate) weight: Vec<f32>,
}

impl Interactions {
    pub(crate) fn build(data: &TrainingData, catalog: &Catalog, implicit: &ImplicitConfig) -> Self {
        let mut users: HashMap<i64, u32> = HashMap::new();
        let mut rows: Vec<(u32, u32, f32)> =
            Vec::with_capacity(data.ratings.len() + data.purchases.len());
        let mut intern = |u: i64| {
            let next = users.len() as u32;
            *users.entry(u).or_insert(next)
        };
        for &(u, m, r) in &data.ratings {
            if let (Some(i), true) = (catalog.idx(m), r.is_finite()) {
                rows.push((intern(u), i, r));
            }
        }
        for &(u, m) in &data.purchases {
            if let Some(i) = catalog.idx(m) {
                rows.push((intern(u), i, f32::NAN));
            }
        }
        // Stable sort keeps input order within a (user, movie) pair, so the last rating wins.
        rows.sort_by_key(|&(u, i, _)| (u, i));
        let n_users = users.len();
        let mut out = Self {
            n_users,
            ptr: Vec::with_capacity(n_users + 1),
            item: Vec::with_capacity(rows.len()),
            rating: Vec::with_capacity(rows.len()),
            weight: Vec::with_capacity(rows.len()),
        };
        out.ptr.push(0);
        let mut k = 0;
        for u in 0..n_users as u32 {
            while k < rows.len() && rows[k].0 == u {
                let item = rows[k].1;
                let (mut rating, mut purchased) = (f32::NAN, false);
                while k < rows.len() && rows[k].0 == u && rows[k].1 == item {
                    if rows[k].2.is_nan() {
                        purchased = true;
                    } else {
                        rating = rows[k].2;
                    }
                    k += 1;
                }
                let mut w = if rating.is_nan() {
                    0.0
                } else {
                    implicit.weight(rating)
                };
                if purchased {
                    w = w.max(implicit.purchase);
                }
                out.item.push(item);
                out.rating.push(rating);
                out.weight.push(w);
            }
            out.ptr.push(out.item.len());
        }
        out
    }

    pub(crate) fn row(&self, u: usize) -> Range<usize> {
        self.ptr[u]..self.ptr[u + 1]
    }

    /// The largest per-user cap ≤ `max_cap` whose Σ min(n_u, cap)² stays within `budget`
    /// (at least 1): heavy users are trimmed first, light users are never touched.
    pub(crate) fn cap_within(&self, max_cap: usize, budget: u64) -> usize {
        let cost = |cap: usize| -> u64 {
            (0..self.n_users)
                .map(|u| {
                    let n = self.row(u).len().min(cap) as u64;
                    n * n
                })
                .sum()
        };
        if cost(max_cap) <= budget {
            return max_cap;
        }
        let (mut lo, mut hi) = (1usize, max_cap);
        while lo < hi {
            let mid = lo + (hi - lo).div_ceil(2);
            if cost(mid) <= budget {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        lo
    }

    pub(crate) fn len(&self) -> usize {
        self.item.len()
    }

    /// Keeps at most `cap` entries per user (the highest-weighted, ties by item) so that the
    /// quadratic co-occurrence passes stay bounded on heavy users; entries keep their order.
    pub(crate) fn capped(&self, cap: usize) -> Self {
        if (0..self.n_users).all(|u| self.row(u).len() <= cap) {
            return self.clone_rows(|r| r.collect());
        }
        self.clone_rows(|r| {
            let mut keep: Vec<usize> = r.collect();
            if keep.len() > cap {
                keep.sort_by(|&a, &b| {
                    self.weight[b]
                        .total_cmp(&self.weight[a])
                        .then(self.item[a].cmp(&self.item[b]))
                });
                keep.truncate(cap);
                keep.sort_unstable();
            }
            keep
        })
    }

    fn clone_rows(&self, select: impl Fn(Range<usize>) -> Vec<usize>) -> Self {
        let mut out = Self {
            n_users: self.n_users,
            ptr: vec![0],
            item: Vec::new(),
            rating: Vec::new(),
            weight: Vec::new(),
        };
        for u in 0..self.n_users {
            for e in select(self.row(u)) {
                out.item.push(self.item[e]);
                out.rating.push(self.rating[e]);
                out.weight.push(self.weight[e]);
            }
            out.ptr.push(out.item.len());
        }
        out
    }

    /// Item-major view: for each item, the (user, entry position) pairs, users ascending.
    pub(crate) fn by_item(&self, n_items: usize) -> ItemMajor {
        let mut ptr = vec![0usize; n_items + 1];
        for &i in &self.item {
            ptr[i as usize + 1] += 1;
        }
        for i in 0..n_items {
            ptr[i + 1] += ptr[i];
        }
        let mut fill = ptr.clone();
        let mut user = vec![0u32; self.len()];
        let mut entry = vec![0usize; self.len()];
        for u in 0..self.n_users {
            for e in self.row(u) {
                let slot = &mut fill[self.item[e] as usize];
                user[*slot] = u as u32;
                entry[*slot] = e;
                *slot += 1;
            }
        }
        ItemMajor { ptr, user, entry }
    }
}

/// Transpose of [`Interactions`] pointing back into its entry arrays.
pub(crate) struct ItemMajor {
    pub(crate) ptr: Vec<usize>,
    pub(crate) user: Vec<u32>,
    pub(crate) entry: Vec<usize>,
}

impl ItemMajor {
    pub(crate) fn col(&self, i: usize) -> Range<usize> {
        self.ptr[i]..self.ptr[i + 1]
    }
}
