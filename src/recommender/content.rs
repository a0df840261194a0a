//! "More like this" from the films themselves: a similarity over what a
//! movie *is* (its series, directors, cast, genres, era and the words of its
//! overview) that needs no ratings at all, so a movie added a minute ago
//! has sensible neighbours at once. Pure: the service hands it plain
//! [`ContentMovie`]s; [`blend_similar`] mixes it with the collaborative
//! neighbours by how much rating evidence a movie has.

use std::collections::HashMap;

use super::MovieId;

/// How much each part of a movie weighs in [`ContentIndex::similar`]. The
/// series and the director say most about "more like this"; the overview
/// words separate films of the same genres.
pub(crate) const SERIES_WEIGHT: f32 = 0.45;
pub(crate) const DIRECTOR_WEIGHT: f32 = 0.30;
pub(crate) const CAST_WEIGHT_EACH: f32 = 0.08;
pub(crate) const CAST_WEIGHT_MAX: f32 = 0.24;
pub(crate) const GENRE_WEIGHT: f32 = 0.35;
pub(crate) const TEXT_WEIGHT: f32 = 0.35;
pub(crate) const ERA_WEIGHT: f32 = 0.10;
/// Years over which the era bonus falls to 1/e.
pub(crate) const ERA_YEARS: f32 = 15.0;
/// Ratings at which the collaborative neighbours count as much as content.
pub const EVIDENCE_HALF_WEIGHT: f32 = 25.0;

/// Words too common in overviews to say anything about a film.
const STOP_WORDS: &[&str] = &[
    "the", "and", "for", "with", "that", "this", "from", "his", "her", "their", "film", "films",
    "movie", "american", "directed", "written", "starring", "stars", "who", "was", "were", "are",
    "has", "have", "had", "its", "into", "after", "when", "while", "which", "also", "based",
    "story", "released", "release", "produced", "one", "two", "first", "new", "about", "they",
    "them", "him", "she", "out", "film's", "by", "an", "as", "at", "in", "of", "on", "to", "is",
    "it", "be", "or", "but", "not", "all", "than", "over", "more", "most", "other", "year",
];

/// What the content source knows of a movie.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ContentMovie {
    /// The movie.
    pub id: MovieId,
    /// Its series key (see [`crate::dataset::series_of`]); empty when unknown.
    pub series: String,
    /// Release year.
    pub year: Option<i32>,
    /// Genre ids.
    pub genres: Vec<u32>,
    /// Director names.
    pub directors: Vec<String>,
    /// Cast names, top billed first.
    pub cast: Vec<String>,
    /// Plot summary.
    pub overview: String,
}

/// Why two movies are alike, most telling first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ContentReason {
    /// The same series ("Scream" and "Scream 2").
    SameSeries,
    /// A director in common.
    SameDirector(String),
    /// An actor in common.
    SharedCast(String),
    /// A genre in common.
    SameGenre(u32),
}

/// A content neighbour.
#[derive(Clone, Debug, PartialEq)]
pub struct ContentMatch {
    /// The similar movie.
    pub id: MovieId,
    /// Similarity, 0–1 (roughly).
    pub score: f32,
    /// The strongest reason.
    pub reason: Option<ContentReason>,
}

/// One movie's profile, with its overview as a unit-length tf-idf vector.
#[derive(Clone, Debug)]
struct Profile {
    movie: ContentMovie,
    words: Vec<(u32, f32)>,
}

/// Every movie's profile and the vocabulary's inverse document frequencies.
#[derive(Clone, Debug, Default)]
pub struct ContentIndex {
    profiles: Vec<Profile>,
    vocabulary: HashMap<String, u32>,
    idf: Vec<f32>,
}

/// The overview's words: lower case, letters only, three letters or more,
/// without stop words, with a light stemming (plural and -ing/-ed endings)
/// so "killer" and "killers" meet.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphabetic())
        .map(str::to_lowercase)
        .filter(|w| w.chars().count() >= 3 && !STOP_WORDS.contains(&w.as_str()))
        .map(|w| stem(&w))
        .collect()
}

fn stem(word: &str) -> String {
    for suffix in ["ing", "ed", "es", "s"] {
        if let Some(root) = word.strip_suffix(suffix)
            && root.chars().count() >= 4
        {
            return root.to_owned();
        }
    }
    word.to_owned()
}

impl ContentIndex {
    /// Indexes the catalogue.
    pub fn build(movies: Vec<ContentMovie>) -> ContentIndex {
        let (vocabulary, idf, vectors) = overview_vectors(&movies);
        let profiles = movies
            .into_iter()
            .zip(vectors)
            .map(|(movie, words)| Profile { movie, words })
            .collect();
        ContentIndex {
            profiles,
            vocabulary,
            idf,
        }
    }

    /// Movies indexed.
    pub fn len(&self) -> usize {
        self.profiles.len()
    }

    /// Whether nothing is indexed.
    pub fn is_empty(&self) -> bool {
        self.profiles.is_empty()
    }

    /// The `limit` indexed movies most like `movie` (which need not be
    /// indexed: a movie added since the index was built works too), best
    /// first, without `movie` itself.
    pub fn similar(&self, movie: &ContentMovie, limit: usize) -> Vec<ContentMatch> {
        let mut counts: HashMap<u32, f32> = HashMap::new();
        for word in words(&movie.overview) {
            if let Some(&id) = self.vocabulary.get(&word) {
                *counts.entry(id).or_default() += 1.0;
            }
        }
        let query_words = unit_tf_idf(counts.into_iter().collect(), &self.idf);
        let mut found: Vec<ContentMatch> = self
            .profiles
            .iter()
            .filter(|p| p.movie.id != movie.id)
            .filter_map(|p| {
                let (score, reason) = likeness(movie, &query_words, p);
                (score > 0.0).then_some(ContentMatch {
                    id: p.movie.id,
                    score,
                    reason,
                })
            })
            .collect();
        found.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.id.cmp(&b.id)));
        found.truncate(limit);
        found
    }
}

/// A sparse vector: `(word id, weight)`, ids ascending.
pub(crate) type WordVector = Vec<(u32, f32)>;

/// The vocabulary (word → id), each word's inverse document frequency, and one
/// [`WordVector`] per movie.
pub(crate) type OverviewVectors = (HashMap<String, u32>, Vec<f32>, Vec<WordVector>);

/// The overviews as unit-length tf-idf vectors (sorted by word id), with
/// the vocabulary and its inverse document frequencies: shared by the
/// index and the model's content term, so both weigh words alike.
pub(crate) fn overview_vectors(movies: &[ContentMovie]) -> OverviewVectors {
    let mut vocabulary: HashMap<String, u32> = HashMap::new();
    let mut document_frequency: Vec<u32> = Vec::new();
    let mut counted: Vec<Vec<(u32, f32)>> = Vec::with_capacity(movies.len());
    for movie in movies {
        let mut counts: HashMap<u32, f32> = HashMap::new();
        for word in words(&movie.overview) {
            let next = vocabulary.len() as u32;
            let id = *vocabulary.entry(word).or_insert(next);
            if id as usize == document_frequency.len() {
                document_frequency.push(0);
            }
            *counts.entry(id).or_default() += 1.0;
        }
        for id in counts.keys() {
            document_frequency[*id as usize] += 1;
        }
        counted.push(counts.into_iter().collect());
    }
    let n = movies.len().max(1) as f32;
    let idf: Vec<f32> = document_frequency
        .iter()
        .map(|&df| (n / (1.0 + df as f32)).ln().max(0.0))
        .collect();
    let vectors = counted
        .into_iter()
        .map(|counts| unit_tf_idf(counts, &idf))
        .collect();
    (vocabulary, idf, vectors)
}

fn unit_tf_idf(counts: Vec<(u32, f32)>, idf: &[f32]) -> Vec<(u32, f32)> {
    let mut vector: Vec<(u32, f32)> = counts
        .into_iter()
        .map(|(id, tf)| {
            (
                id,
                (1.0 + tf.ln()) * idf.get(id as usize).copied().unwrap_or(0.0),
            )
        })
        .filter(|(_, w)| *w > 0.0)
        .collect();
    let norm = vector.iter().map(|(_, w)| w * w).sum::<f32>().sqrt();
    if norm > 0.0 {
        for (_, w) in &mut vector {
            *w /= norm;
        }
    }
    vector.sort_unstable_by_key(|(id, _)| *id);
    vector
}

/// Cosine of two sorted unit vectors.
fn cosine(a: &[(u32, f32)], b: &[(u32, f32)]) -> f32 {
    let (mut i, mut j, mut sum) = (0, 0, 0.0);
    while i < a.len() && j < b.len() {
        match a[i].0.cmp(&b[j].0) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                sum += a[i].1 * b[j].1;
                i += 1;
                j += 1;
            }
        }
    }
    sum
}

/// How alike `query` (with its overview vector) and an indexed movie are,
/// and the strongest reason.
fn likeness(
    query: &ContentMovie,
    query_words: &[(u32, f32)],
    other: &Profile,
) -> (f32, Option<ContentReason>) {
    let them = &other.movie;
    let mut score = 0.0;
    let mut reason = None;
    let shared_genres = query
        .genres
        .iter()
        .filter(|g| them.genres.contains(g))
        .count();
    let all_genres = query.genres.len() + them.genres.len() - shared_genres;
    if shared_genres > 0 {
        score += GENRE_WEIGHT * shared_genres as f32 / all_genres as f32;
        reason = query
            .genres
            .iter()
            .find(|g| them.genres.contains(g))
            .map(|g| ContentReason::SameGenre(*g));
    }
    score += TEXT_WEIGHT * cosine(query_words, &other.words);
    if let (Some(a), Some(b)) = (query.year, them.year) {
        score += ERA_WEIGHT * (-((a - b).abs() as f32) / ERA_YEARS).exp();
    }
    let shared_cast: Vec<&String> = query
        .cast
        .iter()
        .filter(|c| them.cast.contains(c))
        .collect();
    if let Some(first) = shared_cast.first() {
        score += (CAST_WEIGHT_EACH * shared_cast.len() as f32).min(CAST_WEIGHT_MAX);
        reason = Some(ContentReason::SharedCast((*first).clone()));
    }
    if let Some(director) = query.directors.iter().find(|d| them.directors.contains(d)) {
        score += DIRECTOR_WEIGHT;
        reason = Some(ContentReason::SameDirector(director.clone()));
    }
    if !query.series.is_empty() && query.series == them.series {
        score += SERIES_WEIGHT;
        reason = Some(ContentReason::SameSeries);
    }
    // A story alone is too weak a link: "more like this" shares a series, a
    // person or a genre.
    match reason {
        Some(_) => (score, reason),
        None => (0.0, None),
    }
}

/// The weight of the collaborative neighbours of a movie with `ratings`
/// ratings: none without ratings, half at [`EVIDENCE_HALF_WEIGHT`], most of
/// it for a much-rated movie.
pub fn collaborative_weight(ratings: u32) -> f32 {
    let n = ratings as f32;
    n / (n + EVIDENCE_HALF_WEIGHT)
}

/// Mixes collaborative neighbours (`collaborative`, scores comparable among
/// themselves) with content neighbours, each scaled to its best, weighted by
/// [`collaborative_weight`]; best first, at most `limit`. A movie in both
/// keeps its content reason.
pub fn blend_similar(
    collaborative: &[(MovieId, f32)],
    content: &[ContentMatch],
    ratings: u32,
    limit: usize,
) -> Vec<ContentMatch> {
    let weight = collaborative_weight(ratings);
    let best = |scores: &mut dyn Iterator<Item = f32>| scores.fold(0.0f32, f32::max).max(1e-6);
    let cf_best = best(&mut collaborative.iter().map(|(_, s)| *s));
    let content_best = best(&mut content.iter().map(|m| m.score));
    let mut merged: HashMap<MovieId, ContentMatch> = HashMap::new();
    for (id, score) in collaborative {
        merged.insert(
            *id,
            ContentMatch {
                id: *id,
                score: weight * score / cf_best,
                reason: None,
            },
        );
    }
    for m in content {
        let entry = merged.entry(m.id).or_insert(ContentMatch {
            id: m.id,
            score: 0.0,
            reason: None,
        });
        entry.score += (1.0 - weight) * m.score / content_best;
        entry.reason = m.reason.clone();
    }
    let mut out: Vec<ContentMatch> = merged.into_values().filter(|m| m.score > 0.0).collect();
    out.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.id.cmp(&b.id)));
    out.truncate(limit);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn movie(
        id: MovieId,
        series: &str,
        genres: &[u32],
        director: &str,
        overview: &str,
    ) -> ContentMovie {
        ContentMovie {
            id,
            series: series.to_owned(),
            year: Some(1996),
            genres: genres.to_vec(),
            directors: vec![director.to_owned()],
            cast: Vec::new(),
            overview: overview.to_owned(),
        }
    }

    fn catalogue() -> ContentIndex {
        ContentIndex::build(vec![
            movie(
                1,
                "scream",
                &[11, 17],
                "Wes Craven",
                "A masked killer stalks high school teenagers in a small town.",
            ),
            movie(
                2,
                "scream",
                &[11, 17],
                "Wes Craven",
                "The masked killer returns to stalk college students.",
            ),
            movie(
                3,
                "nightmare on elm street",
                &[11],
                "Wes Craven",
                "A dream demon kills teenagers in their sleep.",
            ),
            movie(
                4,
                "toy story",
                &[2, 4],
                "John Lasseter",
                "Toys come to life when their owner is away.",
            ),
            movie(
                5,
                "heat",
                &[0, 5],
                "Michael Mann",
                "A detective hunts a crew of professional thieves in Los Angeles.",
            ),
        ])
    }

    #[test]
    fn a_new_movie_finds_its_series_director_and_genre_first() {
        let index = catalogue();
        let new = movie(
            9,
            "scream",
            &[11, 17],
            "Wes Craven",
            "Ghostface, a masked killer, stalks teenagers again.",
        );
        let found = index.similar(&new, 3);
        let ids: Vec<MovieId> = found.iter().map(|m| m.id).collect();
        assert_eq!(ids[..2], [1, 2], "{found:?}");
        assert_eq!(ids[2], 3);
        assert_eq!(found[0].reason, Some(ContentReason::SameSeries));
        assert_eq!(
            found[2].reason,
            Some(ContentReason::SameDirector("Wes Craven".into()))
        );
        assert!(found.iter().all(|m| m.id != 4 && m.id != 5));
        // Nothing in common but words: not "more like this".
        let unrelated = movie(7, "", &[19], "Nobody", "Teenagers in a small town.");
        assert!(index.similar(&unrelated, 5).is_empty());
    }

    #[test]
    fn overview_words_separate_films_of_one_genre() {
        let index = catalogue();
        let query = movie(
            8,
            "",
            &[0, 5],
            "Someone Else",
            "Professional thieves plan one last heist; a detective hunts them.",
        );
        assert_eq!(index.similar(&query, 1)[0].id, 5);
        assert_eq!(stem("killers"), "killer");
        assert_eq!(words("The Killers, stalking!"), ["killer", "stalk"]);
    }

    #[test]
    fn rating_evidence_moves_the_blend_from_content_to_neighbours() {
        let cf = [(20, 0.9), (21, 0.5)];
        let content = [ContentMatch {
            id: 30,
            score: 0.8,
            reason: Some(ContentReason::SameSeries),
        }];
        assert_eq!(
            blend_similar(&cf, &content, 0, 2)[0].id,
            30,
            "no ratings: content only"
        );
        assert_eq!(
            blend_similar(&cf, &content, 500, 2)[0].id,
            20,
            "many ratings: neighbours"
        );
        assert_eq!(collaborative_weight(25), 0.5);
        assert!(blend_similar(&[], &[], 10, 5).is_empty());
        assert!(
            blend_similar(&cf, &[], 0, 5).is_empty(),
            "no evidence, no neighbours"
        );
    }
}
