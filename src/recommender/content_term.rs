//! The hybrid's content term: what each catalogue movie *is* (series, directors, cast, genres,
//! era, the heaviest words of its overview), interned into ids at training time, and the
//! pairwise likeness of two movies over it — the same weights as [`super::content`]'s
//! "more like this". The hybrid scores little-rated movies by their likeness to the movies a
//! user liked, so a movie nobody has rated yet can reach the users whose taste it matches.

use std::collections::HashMap;

use super::GenreId;
use super::catalog::Catalog;
use super::content::{
    CAST_WEIGHT_EACH, CAST_WEIGHT_MAX, ContentMovie, DIRECTOR_WEIGHT, ERA_WEIGHT, ERA_YEARS,
    GENRE_WEIGHT, SERIES_WEIGHT, TEXT_WEIGHT, WordVector, overview_vectors,
};

/// Overview words kept per movie, the heaviest by tf-idf (then renormalised): the cosine of
/// two overviews is carried by their rare shared words, and a long overview would otherwise
/// cost memory and request time for words that barely move it.
const WORDS_KEPT: usize = 32;

/// `series` of a movie without one.
pub(super) const NO_SERIES: u32 = u32::MAX;

/// What two movies have in common, most telling first (the strongest one found is kept).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shared {
    /// The same series.
    Series,
    /// A director.
    Director,
    /// An actor.
    Cast,
    /// A genre (the first in common).
    Genre(GenreId),
}

/// Every catalogue movie's content, by catalogue index; all arrays are empty when training
/// was given no content (then the content term is off). Genres are the catalogue's.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct ContentFeatures {
    /// Interned series key per movie, [`NO_SERIES`] when unknown.
    pub(super) series: Vec<u32>,
    /// Release year per movie, NaN when unknown.
    pub(super) year: Vec<f32>,
    /// Directors (interned person ids, ascending) in CSR form.
    pub(super) director_ptr: Vec<u32>,
    pub(super) director_ids: Vec<u32>,
    /// Top-billed cast (interned person ids, ascending) in CSR form.
    pub(super) cast_ptr: Vec<u32>,
    pub(super) cast_ids: Vec<u32>,
    /// Unit tf-idf overview vectors (word ids ascending) in CSR form.
    pub(super) word_ptr: Vec<u32>,
    pub(super) word_ids: Vec<u32>,
    pub(super) word_weights: Vec<f32>,
}

/// Appends one CSR row.
fn push_row<T: Copy>(ptr: &mut Vec<u32>, values: &mut Vec<T>, row: &[T]) {
    values.extend_from_slice(row);
    ptr.push(values.len() as u32);
}

/// Sorted, deduplicated interned ids of `names`.
fn interned(names: &[String], ids: &mut HashMap<String, u32>) -> Vec<u32> {
    let mut out: Vec<u32> = names
        .iter()
        .map(|name| {
            let next = ids.len() as u32;
            *ids.entry(name.clone()).or_insert(next)
        })
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// Calls `on_shared(i, j)` for every id two ascending lists share (`a[i] == b[j]`), in order:
/// the merge walk behind both [`shared_count`] and the overview cosine.
fn for_each_shared(a: &[u32], b: &[u32], mut on_shared: impl FnMut(usize, usize)) {
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                on_shared(i, j);
                i += 1;
                j += 1;
            }
        }
    }
}

/// How many ids two ascending lists share.
fn shared_count(a: &[u32], b: &[u32]) -> usize {
    let mut n = 0;
    for_each_shared(a, b, |_, _| n += 1);
    n
}

impl ContentFeatures {
    /// Interns `content` over the catalogue's indices; movies the catalogue does not know are
    /// skipped, catalogue movies without content get none (and still their genres).
    pub(crate) fn build(content: &[ContentMovie], catalog: &Catalog) -> Self {
        if content.is_empty() {
            return Self::default();
        }
        let n = catalog.len();
        let (_, _, vectors) = overview_vectors(content);
        let mut rows: Vec<Option<(&ContentMovie, WordVector)>> = vec![None; n];
        for (movie, words) in content.iter().zip(vectors) {
            if let Some(i) = catalog.idx(movie.id) {
                rows[i as usize] = Some((movie, words));
            }
        }
        let mut series_ids: HashMap<String, u32> = HashMap::new();
        let mut people: HashMap<String, u32> = HashMap::new();
        let mut out = Self {
            series: vec![NO_SERIES; n],
            year: vec![f32::NAN; n],
            director_ptr: vec![0],
            cast_ptr: vec![0],
            word_ptr: vec![0],
            ..Self::default()
        };
        for (i, row) in rows.into_iter().enumerate() {
            let Some((movie, mut words)) = row else {
                out.director_ptr.push(out.director_ids.len() as u32);
                out.cast_ptr.push(out.cast_ids.len() as u32);
                out.word_ptr.push(out.word_ids.len() as u32);
                continue;
            };
            if !movie.series.is_empty() {
                let next = series_ids.len() as u32;
                out.series[i] = *series_ids.entry(movie.series.clone()).or_insert(next);
            }
            out.year[i] = movie.year.map_or(f32::NAN, |y| y as f32);
            let directors = interned(&movie.directors, &mut people);
            push_row(&mut out.director_ptr, &mut out.director_ids, &directors);
            let cast = interned(&movie.cast, &mut people);
            push_row(&mut out.cast_ptr, &mut out.cast_ids, &cast);
            if words.len() > WORDS_KEPT {
                words.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
                words.truncate(WORDS_KEPT);
                let norm = words.iter().map(|w| w.1 * w.1).sum::<f32>().sqrt();
                if norm > 0.0 {
                    words.iter_mut().for_each(|w| w.1 /= norm);
                }
                words.sort_unstable_by_key(|w| w.0);
            }
            out.word_ids.extend(words.iter().map(|w| w.0));
            out.word_weights.extend(words.iter().map(|w| w.1));
            out.word_ptr.push(out.word_ids.len() as u32);
        }
        out
    }

    /// Whether training had no content (the term is off).
    pub(crate) fn is_empty(&self) -> bool {
        self.series.is_empty()
    }

    /// Movies covered (the catalogue's size, or 0).
    pub(crate) fn len(&self) -> usize {
        self.series.len()
    }

    fn row<'a, T>(ptr: &[u32], values: &'a [T], i: u32) -> &'a [T] {
        let i = i as usize;
        match (ptr.get(i), ptr.get(i + 1)) {
            (Some(&a), Some(&b)) => &values[a as usize..b as usize],
            _ => &[],
        }
    }

    /// Cosine of the overviews of `a` and `b` (both unit vectors, ids ascending).
    fn text_cosine(&self, a: u32, b: u32) -> f32 {
        let (ia, wa) = (
            Self::row(&self.word_ptr, &self.word_ids, a),
            Self::row(&self.word_ptr, &self.word_weights, a),
        );
        let (ib, wb) = (
            Self::row(&self.word_ptr, &self.word_ids, b),
            Self::row(&self.word_ptr, &self.word_weights, b),
        );
        let mut sum = 0.0;
        for_each_shared(ia, ib, |i, j| sum += wa[i] * wb[j]);
        sum
    }

    /// How alike movies `a` and `b` are (the weights of [`super::content`]), and the strongest
    /// thing they share; 0 unless they share a series, a person or a genre, because a story
    /// alone is too weak a link.
    pub(crate) fn likeness(&self, catalog: &Catalog, a: u32, b: u32) -> (f32, Option<Shared>) {
        if self.is_empty() || a == b {
            return (0.0, None);
        }
        let (ga, gb) = (catalog.genres(a), catalog.genres(b));
        let mut score = 0.0;
        let mut shared = None;
        let common = shared_count(ga, gb);
        if common > 0 {
            let all = ga.len() + gb.len() - common;
            score += GENRE_WEIGHT * common as f32 / all as f32;
            shared = ga
                .iter()
                .find(|g| gb.binary_search(g).is_ok())
                .copied()
                .map(Shared::Genre);
        }
        score += TEXT_WEIGHT * self.text_cosine(a, b);
        let (ya, yb) = (self.year[a as usize], self.year[b as usize]);
        if ya.is_finite() && yb.is_finite() {
            score += ERA_WEIGHT * (-(ya - yb).abs() / ERA_YEARS).exp();
        }
        let cast = shared_count(
            Self::row(&self.cast_ptr, &self.cast_ids, a),
            Self::row(&self.cast_ptr, &self.cast_ids, b),
        );
        if cast > 0 {
            score += (CAST_WEIGHT_EACH * cast as f32).min(CAST_WEIGHT_MAX);
            shared = Some(Shared::Cast);
        }
        let directors = shared_count(
            Self::row(&self.director_ptr, &self.director_ids, a),
            Self::row(&self.director_ptr, &self.director_ids, b),
        );
        if directors > 0 {
            score += DIRECTOR_WEIGHT;
            shared = Some(Shared::Director);
        }
        let series = self.series[a as usize];
        if series != NO_SERIES && series == self.series[b as usize] {
            score += SERIES_WEIGHT;
            shared = Some(Shared::Series);
        }
        match shared {
            Some(_) => (score, shared),
            None => (0.0, None),
        }
    }
}
