//! A trained [`Model`] as bytes and back: what the worker publishes to the database and serving
//! instances load instead of training.
//!
//! # Format (version 2)
//!
//! Everything is little-endian. A 24-byte header:
//!
//! | offset | size | field                                            |
//! |-------:|-----:|--------------------------------------------------|
//! |      0 |    8 | magic `b"CNRKSNAP"`                              |
//! |      8 |    4 | format version, `u32` ([`SNAPSHOT_FORMAT_VERSION`]) |
//! |     12 |    8 | payload length in bytes, `u64`                   |
//! |     20 |    4 | CRC-32 (IEEE) of the payload, `u32`              |
//!
//! then the payload: eight sections in this fixed order, each a 4-byte tag, a `u64` body length
//! and the body:
//!
//! | tag    | body                                                                      |
//! |--------|---------------------------------------------------------------------------|
//! | `CONF` | the [`TrainConfig`], field by field                                       |
//! | `STAT` | the [`ModelStats`]; timing sources by name                                |
//! | `CATL` | movie ids (`i64[]`), genres in CSR form (`u32[]` row starts, `u32[]` ids)  |
//! | `POPL` | rating counts, damped means, chart order, damped range                    |
//! | `IKNN` | item–item cosine neighbours (CSR: `u64[]` row starts, `u32[]` items, `f32[]`) |
//! | `EASE` | covered items, de-bias factors, then `0` + dense `f32[n²]` or `1` + CSR    |
//! | `PRED` | baselines, MF samples with their user priors, pearson neighbours, settings |
//! | `CONT` | content terms: series ids, years (`f32`, NaN unknown), directors, cast and |
//! |        | overview words in CSR form (`u32[]` row starts, ids, `f32[]` word weights); |
//! |        | every array empty when the model was trained without content               |
//!
//! An array is a `u64` element count followed by the raw elements; `usize` values are `u64`.
//! Lookup structures that follow from the stored arrays (the movie id → index map, the number
//! of genres, EASE's catalogue → local index) are rebuilt on load instead of stored.
//!
//! Version 2 added the `CONT` section and the hybrid's content settings to `CONF`.
//!
//! A change to what a section holds needs a new version number: a reader refuses every version
//! but its own ([`SnapshotError::UnsupportedVersion`]), so an old server never misreads a newer
//! worker's snapshot; it keeps its current model until it is upgraded.
//!
//! # Validation
//!
//! The checksum catches corruption in storage or transit. Beyond it, the reader checks every
//! length against the bytes left before allocating, and every structural invariant the request
//! path relies on (sorted ids, CSR row starts, indices in range, arrays sized to the catalogue),
//! so that even a snapshot from a buggy writer with a valid checksum is an error, not a panic at
//! request time.

mod wire;

#[cfg(test)]
mod tests;

use std::fmt;

use super::catalog::{Catalog, genre_count, id_index};
use super::content_term::{ContentFeatures, NO_SERIES};
use super::ease::{Ease, Weights, local_index};
use super::item_knn::{ItemKnn, Neighbours};
use super::popular::Popular;
use super::predict::{Mf, Predictor};
use super::{
    EaseConfig, GenreConfig, HybridConfig, ImplicitConfig, KnnConfig, Model, ModelStats,
    PopularConfig, PredictConfig, SourceTiming, TrainConfig,
};
use wire::{Reader, Writer, crc32};

/// The format version this build writes and the only one it reads.
pub const SNAPSHOT_FORMAT_VERSION: u32 = 5;

/// First bytes of every snapshot, so that a wrong blob is recognised before anything else.
const MAGIC: [u8; 8] = *b"CNRKSNAP";

/// Magic, version, payload length, checksum.
const HEADER_LEN: usize = 8 + 4 + 8 + 4;

/// Every training source name [`Model::train`] records in [`ModelStats::timings`]. Timings are
/// stored by name and mapped back to these `&'static str`s on load; a source added to training
/// must be added here too (the round-trip tests fail otherwise).
const SOURCE_NAMES: [&str; 6] = [
    "index",
    "popular",
    "rating_mf",
    "item_knn",
    "ease",
    "content",
];

/// Why a snapshot could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SnapshotError {
    /// The bytes do not start with the snapshot magic: not a model snapshot at all.
    BadMagic,
    /// A snapshot of a format version this build does not read.
    UnsupportedVersion {
        /// Version in the snapshot.
        found: u32,
        /// The version this build reads.
        supported: u32,
    },
    /// The bytes end before the header or a declared length says they should.
    Truncated,
    /// The payload's CRC-32 differs from the one in the header: corrupted in storage or transit.
    ChecksumMismatch {
        /// Checksum stored in the header.
        stored: u32,
        /// Checksum of the payload as read.
        computed: u32,
    },
    /// The payload parses but breaks an invariant of the model (or has trailing bytes).
    Inconsistent(String),
}

impl SnapshotError {
    fn inconsistent(what: &str) -> Self {
        Self::Inconsistent(what.to_owned())
    }
}

impl fmt::Display for SnapshotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BadMagic => write!(f, "not a cinerank model snapshot (bad magic bytes)"),
            Self::UnsupportedVersion { found, supported } => write!(
                f,
                "model snapshot format version {found} is not supported (this build reads {supported})"
            ),
            Self::Truncated => write!(f, "model snapshot is truncated"),
            Self::ChecksumMismatch { stored, computed } => write!(
                f,
                "model snapshot checksum mismatch (stored {stored:08x}, computed {computed:08x})"
            ),
            Self::Inconsistent(what) => write!(f, "model snapshot is inconsistent: {what}"),
        }
    }
}

impl std::error::Error for SnapshotError {}

/// The payload checksum recorded in a snapshot's header (what the database
/// row shows beside it); `None` when `snapshot` is shorter than a header.
pub fn header_checksum(snapshot: &[u8]) -> Option<u32> {
    let bytes: [u8; 4] = snapshot.get(HEADER_LEN - 4..HEADER_LEN)?.try_into().ok()?;
    Some(u32::from_le_bytes(bytes))
}

impl Model {
    /// Serialises the trained model into a self-contained snapshot (format described in the
    /// module documentation). Deterministic: the same model always gives the same bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::new(Vec::with_capacity(HEADER_LEN + self.snapshot_size_hint()));
        // The header is patched in once the payload (and so its length and checksum) is known.
        w.out.resize(HEADER_LEN, 0);
        write_model(&mut w, self);
        let mut out = w.out;
        let payload_len = (out.len() - HEADER_LEN) as u64;
        let checksum = crc32(&out[HEADER_LEN..]);
        out[0..8].copy_from_slice(&MAGIC);
        out[8..12].copy_from_slice(&SNAPSHOT_FORMAT_VERSION.to_le_bytes());
        out[12..20].copy_from_slice(&payload_len.to_le_bytes());
        out[20..24].copy_from_slice(&checksum.to_le_bytes());
        out
    }

    /// Loads a snapshot written by [`Model::to_bytes`]. The loaded model answers every request
    /// exactly as the one that was saved. Never panics on bad input; allocates at most about the
    /// size of `bytes` plus the rebuilt indices.
    pub fn from_bytes(bytes: &[u8]) -> Result<Model, SnapshotError> {
        let payload = check_header(bytes)?;
        let mut r = Reader::new(payload);
        let model = read_model(&mut r)?;
        if r.remaining() != 0 {
            return Err(SnapshotError::Inconsistent(format!(
                "{} bytes after the last section",
                r.remaining()
            )));
        }
        Ok(model)
    }

    /// Bytes of the large arrays, so that encoding allocates its buffer once.
    fn snapshot_size_hint(&self) -> usize {
        let n = self.catalog.len();
        let neighbours = |nb: &Neighbours| nb.idx.len() * 8 + nb.ptr.len() * 8;
        let ease = match &self.ease.weights {
            Weights::Dense(b) => b.len() * 4,
            Weights::Sparse { ptr, target, .. } => ptr.len() * 8 + target.len() * 8,
        };
        let mf = self.predictor.mf.items.len() * 4;
        n * 64 + neighbours(&self.knn.neighbours) + neighbours(&self.predictor.pearson) + ease + mf
    }
}

/// Checks magic, version, length and checksum; returns the payload.
fn check_header(bytes: &[u8]) -> Result<&[u8], SnapshotError> {
    // A prefix of the magic is a truncated snapshot; anything else is not a snapshot.
    let magic_len = bytes.len().min(MAGIC.len());
    if bytes[..magic_len] != MAGIC[..magic_len] {
        return Err(SnapshotError::BadMagic);
    }
    let mut r = Reader::new(bytes);
    r.take(MAGIC.len())?;
    let version: u32 = r.get()?;
    if version != SNAPSHOT_FORMAT_VERSION {
        return Err(SnapshotError::UnsupportedVersion {
            found: version,
            supported: SNAPSHOT_FORMAT_VERSION,
        });
    }
    let payload_len: u64 = r.get()?;
    let stored: u32 = r.get()?;
    let payload_len = usize::try_from(payload_len).map_err(|_| SnapshotError::Truncated)?;
    if payload_len > r.remaining() {
        return Err(SnapshotError::Truncated);
    }
    if payload_len < r.remaining() {
        return Err(SnapshotError::Inconsistent(format!(
            "{} bytes after the payload",
            r.remaining() - payload_len
        )));
    }
    let payload = r.take(payload_len)?;
    let computed = crc32(payload);
    if computed != stored {
        return Err(SnapshotError::ChecksumMismatch { stored, computed });
    }
    Ok(payload)
}

fn write_model(w: &mut Writer, model: &Model) {
    // Destructuring without `..` makes adding a field to `Model` a compile error here until the
    // codec handles it; the struct literal in `read_model` does the same on the reading side.
    let Model {
        catalog,
        popular,
        knn,
        ease,
        predictor,
        content,
        config,
        stats,
    } = model;
    w.section(*b"CONF", |w| config.write_to(w));
    w.section(*b"STAT", |w| write_stats(w, stats));
    w.section(*b"CATL", |w| write_catalog(w, catalog));
    w.section(*b"POPL", |w| write_popular(w, popular));
    w.section(*b"IKNN", |w| write_neighbours(w, &knn.neighbours));
    w.section(*b"EASE", |w| write_ease(w, ease));
    w.section(*b"PRED", |w| write_predictor(w, predictor));
    w.section(*b"CONT", |w| write_content(w, content));
}

fn read_model(r: &mut Reader<'_>) -> Result<Model, SnapshotError> {
    let config = r.section(*b"CONF", TrainConfig::read_from)?;
    let stats = r.section(*b"STAT", read_stats)?;
    let catalog = r.section(*b"CATL", read_catalog)?;
    // Every later section is indexed by catalogue index, so it is checked against this size.
    let n = catalog.len();
    let popular = r.section(*b"POPL", |r| read_popular(r, n))?;
    let neighbours = r.section(*b"IKNN", |r| read_neighbours(r, n))?;
    let ease = r.section(*b"EASE", |r| read_ease(r, n))?;
    let predictor = r.section(*b"PRED", |r| read_predictor(r, n))?;
    let content = r.section(*b"CONT", |r| read_content(r, n))?;
    Ok(Model {
        catalog,
        popular,
        knn: ItemKnn { neighbours },
        ease,
        predictor,
        content,
        config,
        stats,
    })
}

/// An error unless `ok`: the one-line form of every invariant check below.
fn ensure(ok: bool, what: &str) -> Result<(), SnapshotError> {
    if ok {
        Ok(())
    } else {
        Err(SnapshotError::inconsistent(what))
    }
}

/// Checks CSR row starts: `rows + 1` entries, from 0, non-decreasing, ending at `entries`.
/// This is what makes every later `ptr[i]..ptr[i + 1]` slice in range.
fn check_csr(ptr: &[usize], rows: usize, entries: usize, what: &str) -> Result<(), SnapshotError> {
    let ok = ptr.len() == rows + 1
        && ptr.first() == Some(&0)
        && ptr.windows(2).all(|w| w[0] <= w[1])
        && ptr.last() == Some(&entries);
    ensure(ok, what)
}

/// A value of the `CONF` section: written and read as its parts in order, with no framing of
/// its own.
trait Setting: Sized {
    fn write_to(&self, w: &mut Writer);
    fn read_from(r: &mut Reader<'_>) -> Result<Self, SnapshotError>;
}

/// A fixed-size scalar setting is stored as itself.
macro_rules! scalar_setting {
    ($($t:ty),+) => {$(
        impl Setting for $t {
            fn write_to(&self, w: &mut Writer) {
                w.put(*self);
            }
            fn read_from(r: &mut Reader<'_>) -> Result<Self, SnapshotError> {
                r.get()
            }
        }
    )+};
}

scalar_setting!(f32, u64);

/// `usize` is stored as `u64`, as everywhere in the format.
impl Setting for usize {
    fn write_to(&self, w: &mut Writer) {
        w.put_usize(*self);
    }
    fn read_from(r: &mut Reader<'_>) -> Result<Self, SnapshotError> {
        r.get_usize()
    }
}

impl<A: Setting, B: Setting> Setting for (A, B) {
    fn write_to(&self, w: &mut Writer) {
        self.0.write_to(w);
        self.1.write_to(w);
    }
    fn read_from(r: &mut Reader<'_>) -> Result<Self, SnapshotError> {
        Ok((A::read_from(r)?, B::read_from(r)?))
    }
}

/// The element count, then the elements.
impl<T: Setting> Setting for Vec<T> {
    fn write_to(&self, w: &mut Writer) {
        w.put_usize(self.len());
        for value in self {
            value.write_to(w);
        }
    }
    fn read_from(r: &mut Reader<'_>) -> Result<Self, SnapshotError> {
        // No capacity from the declared count: the loop stops at the first missing byte.
        let count = r.get_usize()?;
        let mut values = Vec::new();
        for _ in 0..count {
            values.push(T::read_from(r)?);
        }
        Ok(values)
    }
}

/// [`Setting`] for each settings struct: its fields in the order listed, which is the order they
/// are stored in. One list serves both directions, so writer and reader cannot disagree; the
/// destructuring (no `..`) and the struct literal make a field added to the struct a compile
/// error here until it is listed.
macro_rules! settings_struct {
    ($($ty:ident { $($field:ident),+ $(,)? })+) => {$(
        impl Setting for $ty {
            fn write_to(&self, w: &mut Writer) {
                let $ty { $($field),+ } = self;
                $($field.write_to(w);)+
            }
            fn read_from(r: &mut Reader<'_>) -> Result<Self, SnapshotError> {
                // Struct literals evaluate their fields in the order written.
                Ok($ty { $($field: Setting::read_from(r)?),+ })
            }
        }
    )+};
}

settings_struct! {
    TrainConfig { implicit, popular, genre, knn, ease, predict, hybrid, seed }
    ImplicitConfig { rating_points, purchase }
    PopularConfig { prior_votes }
    GenreConfig { preferred_boost, interest_weight }
    KnnConfig { neighbours, shrink, max_user_items, pair_budget }
    EaseConfig {
        lambda, dense_max_items, sparse_neighbours, sparse_budget, popularity_debias, dropout,
        user_norm, genre_weight,
    }
    PredictConfig {
        baseline_reg_item, baseline_reg_user, baseline_epochs, factors, sweeps, burn_in,
        update_budget, min_sweeps, max_samples, noise_precision, init_std, knn_k, knn_shrink, knn_stored,
        knn_blend, knn_support,
    }
    HybridConfig {
        knn_weight, half_knowledge, genre_share, preferred_genre_share, rating_weight,
        quality_weight, rerank_depth, content_weight, content_max_ratings, content_pair_budget,
    }
}

fn write_stats(w: &mut Writer, stats: &ModelStats) {
    let ModelStats {
        users,
        movies,
        interactions,
        ease_items,
        neighbour_pairs,
        timings,
        total_seconds,
    } = stats;
    for &v in [users, movies, interactions, ease_items, neighbour_pairs] {
        w.put_usize(v);
    }
    w.put_usize(timings.len());
    for SourceTiming { source, seconds } in timings {
        w.str(source);
        w.put(*seconds);
    }
    w.put(*total_seconds);
}

fn read_stats(r: &mut Reader<'_>) -> Result<ModelStats, SnapshotError> {
    let (users, movies, interactions) = (r.get_usize()?, r.get_usize()?, r.get_usize()?);
    let (ease_items, neighbour_pairs) = (r.get_usize()?, r.get_usize()?);
    let count = r.get_usize()?;
    let mut timings = Vec::new();
    for _ in 0..count {
        let name = r.str()?;
        // `SourceTiming.source` is `&'static str`: map the stored name back to the constant.
        let source = SOURCE_NAMES
            .iter()
            .copied()
            .find(|&known| known == name)
            .ok_or_else(|| {
                SnapshotError::Inconsistent(format!("unknown training source {name:?}"))
            })?;
        timings.push(SourceTiming {
            source,
            seconds: r.get()?,
        });
    }
    Ok(ModelStats {
        users,
        movies,
        interactions,
        ease_items,
        neighbour_pairs,
        timings,
        total_seconds: r.get()?,
    })
}

fn write_catalog(w: &mut Writer, catalog: &Catalog) {
    // `index` and `n_genres` follow from the arrays and are rebuilt on load.
    let Catalog {
        ids,
        index: _,
        genre_ptr,
        genre_ids,
        n_genres: _,
    } = catalog;
    w.array(ids);
    w.array(genre_ptr);
    w.array(genre_ids);
}

fn read_catalog(r: &mut Reader<'_>) -> Result<Catalog, SnapshotError> {
    let ids: Vec<i64> = r.array()?;
    let genre_ptr: Vec<u32> = r.array()?;
    let genre_ids: Vec<u32> = r.array()?;
    // Index order is id order: it is the documented tie-break, and ids must be unique to index.
    ensure(
        ids.windows(2).all(|w| w[0] < w[1]),
        "movie ids are not strictly ascending",
    )?;
    ensure(
        u32::try_from(ids.len()).is_ok(),
        "more movies than u32 indices",
    )?;
    let starts: Vec<usize> = genre_ptr.iter().map(|&p| p as usize).collect();
    check_csr(&starts, ids.len(), genre_ids.len(), "genre row starts")?;
    // Genre lookups binary-search each row.
    let rows_sorted = starts
        .windows(2)
        .all(|p| genre_ids[p[0]..p[1]].windows(2).all(|g| g[0] < g[1]));
    ensure(rows_sorted, "a movie's genres are not strictly ascending")?;
    Ok(Catalog {
        index: id_index(&ids),
        n_genres: genre_count(&genre_ids),
        ids,
        genre_ptr,
        genre_ids,
    })
}

fn write_popular(w: &mut Writer, popular: &Popular) {
    let Popular {
        count,
        damped,
        order,
        lo,
        hi,
    } = popular;
    w.array(count);
    w.array(damped);
    w.array(order);
    w.put(*lo);
    w.put(*hi);
}

fn read_popular(r: &mut Reader<'_>, n: usize) -> Result<Popular, SnapshotError> {
    let count: Vec<u32> = r.array()?;
    let damped: Vec<f32> = r.array()?;
    let order: Vec<u32> = r.array()?;
    ensure(count.len() == n && damped.len() == n, "popularity size")?;
    // The chart must list every movie once: `n` distinct catalogue indices.
    ensure(order.len() == n, "chart order size")?;
    let mut listed = vec![false; n];
    for &i in &order {
        match listed.get_mut(i as usize) {
            Some(seen) if !*seen => *seen = true,
            _ => {
                return Err(SnapshotError::inconsistent(
                    "chart order is not a permutation",
                ));
            }
        }
    }
    Ok(Popular {
        count,
        damped,
        order,
        lo: r.get()?,
        hi: r.get()?,
    })
}

fn write_neighbours(w: &mut Writer, nb: &Neighbours) {
    let Neighbours { ptr, idx, sim } = nb;
    w.usize_array(ptr);
    w.array(idx);
    w.array(sim);
}

/// Neighbour lists over `n` catalogue items: one row per item, neighbours in `0..n`.
fn read_neighbours(r: &mut Reader<'_>, n: usize) -> Result<Neighbours, SnapshotError> {
    let ptr = r.usize_array()?;
    let idx: Vec<u32> = r.array()?;
    let sim: Vec<f32> = r.array()?;
    check_csr(&ptr, n, idx.len(), "neighbour row starts")?;
    ensure(sim.len() == idx.len(), "neighbour similarities")?;
    ensure(
        idx.iter().all(|&j| (j as usize) < n),
        "neighbour index out of range",
    )?;
    Ok(Neighbours { ptr, idx, sim })
}

fn write_ease(w: &mut Writer, ease: &Ease) {
    // `local` is the inverse of `items` and is rebuilt on load.
    let Ease {
        items,
        local: _,
        weights,
        debias,
    } = ease;
    w.array(items);
    w.array(debias);
    match weights {
        Weights::Dense(b) => {
            w.put(0u8);
            w.array(b);
        }
        Weights::Sparse {
            ptr,
            target,
            weight,
        } => {
            w.put(1u8);
            w.usize_array(ptr);
            w.array(target);
            w.array(weight);
        }
    }
}

fn read_ease(r: &mut Reader<'_>, n: usize) -> Result<Ease, SnapshotError> {
    let items: Vec<u32> = r.array()?;
    let debias: Vec<f32> = r.array()?;
    // Local order is catalogue order (ties rank by movie id), and each item is covered once.
    ensure(
        items.windows(2).all(|w| w[0] < w[1]),
        "EASE items are not strictly ascending",
    )?;
    ensure(
        items.last().is_none_or(|&i| (i as usize) < n),
        "EASE item out of range",
    )?;
    let m = items.len();
    ensure(debias.len() == m, "EASE de-bias size")?;
    let weights = match r.get::<u8>()? {
        0 => {
            let b: Vec<f32> = r.array()?;
            ensure(Some(b.len()) == m.checked_mul(m), "dense EASE weights size")?;
            Weights::Dense(b)
        }
        1 => {
            let ptr = r.usize_array()?;
            let target: Vec<u32> = r.array()?;
            let weight: Vec<f32> = r.array()?;
            check_csr(&ptr, m, target.len(), "sparse EASE row starts")?;
            ensure(weight.len() == target.len(), "sparse EASE weights size")?;
            ensure(
                target.iter().all(|&t| (t as usize) < m),
                "sparse EASE target out of range",
            )?;
            Weights::Sparse {
                ptr,
                target,
                weight,
            }
        }
        kind => {
            return Err(SnapshotError::Inconsistent(format!(
                "unknown EASE weights kind {kind}"
            )));
        }
    };
    Ok(Ease {
        local: local_index(&items, n),
        items,
        weights,
        debias,
    })
}

fn write_predictor(w: &mut Writer, p: &Predictor) {
    let Predictor {
        base_mu,
        base_item,
        mf,
        lo,
        hi,
        pearson,
        reg_user,
        knn_k,
        knn_blend,
        knn_support,
    } = p;
    w.put(*base_mu);
    w.array(base_item);
    let Mf {
        mu,
        k,
        samples,
        items,
        user_mean,
        user_precision,
        noise_precision,
        lo: mf_lo,
        hi: mf_hi,
    } = mf;
    w.put(*mu);
    w.put_usize(*k);
    w.put_usize(*samples);
    w.array(items);
    w.array(user_mean);
    w.array(user_precision);
    w.put(*noise_precision);
    w.put(*mf_lo);
    w.put(*mf_hi);
    w.put(*lo);
    w.put(*hi);
    write_neighbours(w, pearson);
    w.put(*reg_user);
    w.put_usize(*knn_k);
    w.put(*knn_blend);
    w.put(*knn_support);
}

fn read_predictor(r: &mut Reader<'_>, n: usize) -> Result<Predictor, SnapshotError> {
    let base_mu = r.get()?;
    let base_item: Vec<f32> = r.array()?;
    ensure(base_item.len() == n, "baseline item biases size")?;
    let mu = r.get()?;
    let k = r.get_usize()?;
    let samples = r.get_usize()?;
    let items: Vec<f32> = r.array()?;
    let user_mean: Vec<f32> = r.array()?;
    let user_precision: Vec<f32> = r.array()?;
    // Sizes in checked arithmetic: a damaged count must fail here, not overflow.
    let d = k.checked_add(1);
    let per_sample = |len: Option<usize>| len.and_then(|l| l.checked_mul(samples));
    ensure(
        Some(items.len()) == per_sample(d).and_then(|l| l.checked_mul(n)),
        "MF movie factors size",
    )?;
    ensure(
        Some(user_mean.len()) == per_sample(d),
        "MF user prior mean size",
    )?;
    ensure(
        Some(user_precision.len()) == per_sample(d.and_then(|d| d.checked_mul(d))),
        "MF user prior precision size",
    )?;
    let mf = Mf {
        mu,
        k,
        samples,
        items,
        user_mean,
        user_precision,
        noise_precision: r.get()?,
        lo: r.get()?,
        hi: r.get()?,
    };
    Ok(Predictor {
        base_mu,
        base_item,
        mf,
        lo: r.get()?,
        hi: r.get()?,
        pearson: read_neighbours(r, n)?,
        reg_user: r.get()?,
        knn_k: r.get_usize()?,
        knn_blend: r.get()?,
        knn_support: r.get()?,
    })
}

fn write_content(w: &mut Writer, content: &ContentFeatures) {
    let ContentFeatures {
        series,
        year,
        director_ptr,
        director_ids,
        cast_ptr,
        cast_ids,
        word_ptr,
        word_ids,
        word_weights,
    } = content;
    w.array(series);
    w.array(year);
    for (ptr, ids) in [(director_ptr, director_ids), (cast_ptr, cast_ids)] {
        w.array(ptr);
        w.array(ids);
    }
    w.array(word_ptr);
    w.array(word_ids);
    w.array(word_weights);
}

/// A CSR row-start array over `rows` rows of `entries` ids, each row strictly ascending (the
/// likeness merges rows).
fn check_sorted_rows(
    ptr: &[u32],
    ids: &[u32],
    rows: usize,
    what: &str,
) -> Result<(), SnapshotError> {
    let starts: Vec<usize> = ptr.iter().map(|&p| p as usize).collect();
    check_csr(&starts, rows, ids.len(), what)?;
    let sorted = starts
        .windows(2)
        .all(|p| ids[p[0]..p[1]].windows(2).all(|v| v[0] < v[1]));
    ensure(sorted, what)
}

fn read_content(r: &mut Reader<'_>, n: usize) -> Result<ContentFeatures, SnapshotError> {
    let series: Vec<u32> = r.array()?;
    let year: Vec<f32> = r.array()?;
    let director_ptr: Vec<u32> = r.array()?;
    let director_ids: Vec<u32> = r.array()?;
    let cast_ptr: Vec<u32> = r.array()?;
    let cast_ids: Vec<u32> = r.array()?;
    let word_ptr: Vec<u32> = r.array()?;
    let word_ids: Vec<u32> = r.array()?;
    let word_weights: Vec<f32> = r.array()?;
    let content = ContentFeatures {
        series,
        year,
        director_ptr,
        director_ids,
        cast_ptr,
        cast_ids,
        word_ptr,
        word_ids,
        word_weights,
    };
    if content.is_empty() {
        // Trained without content: everything must be empty.
        ensure(
            content == ContentFeatures::default(),
            "content arrays without content series",
        )?;
        return Ok(content);
    }
    let rows = content.len();
    ensure(rows == n && content.year.len() == n, "content size")?;
    ensure(
        content
            .series
            .iter()
            .all(|&s| s == NO_SERIES || (s as usize) < n),
        "content series id out of range",
    )?;
    check_sorted_rows(
        &content.director_ptr,
        &content.director_ids,
        n,
        "content directors",
    )?;
    check_sorted_rows(&content.cast_ptr, &content.cast_ids, n, "content cast")?;
    check_sorted_rows(&content.word_ptr, &content.word_ids, n, "content words")?;
    ensure(
        content.word_weights.len() == content.word_ids.len(),
        "content word weights size",
    )?;
    Ok(content)
}
