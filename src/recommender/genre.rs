//! Content-based source: a genre profile built at request time from the user's ratings (centred on
//! the user's own mean, so "liked more than usual" counts, not "rated at all") plus their preferred
//! genres; a movie scores by cosine similarity to that profile times its damped-mean quality.

use super::catalog::Catalog;
use super::popular::Popular;
use super::{GenreConfig, GenreId};

/// A user's weight per genre id.
pub(crate) struct Profile {
    weights: Vec<f32>,
    norm: f32,
}

impl Profile {
    pub(crate) fn build(
        catalog: &Catalog,
        rated: &[(u32, f32)],
        preferred: &[GenreId],
        cfg: &GenreConfig,
    ) -> Self {
        let n_genres = catalog
            .n_genres
            .max(preferred.iter().map(|&g| g as usize + 1).max().unwrap_or(0));
        let mut centred = vec![0f32; n_genres];
        let mut seen = vec![0f32; n_genres];
        if !rated.is_empty() {
            let mean = rated.iter().map(|r| r.1).sum::<f32>() / rated.len() as f32;
            for &(i, r) in rated {
                for &g in catalog.genres(i) {
                    centred[g as usize] += r - mean;
                    seen[g as usize] += 1.0;
                }
            }
        }
        let n = rated.len().max(1) as f32;
        let mut weights: Vec<f32> = (0..n_genres)
            .map(|g| {
                // Shrink the centred mean towards 0 for genres seen a few times only.
                centred[g] / (seen[g] + 5.0) + cfg.interest_weight * seen[g] / n
            })
            .collect();
        for &g in preferred {
            weights[g as usize] += cfg.preferred_boost;
        }
        let norm = weights.iter().map(|w| w * w).sum::<f32>().sqrt();
        Self { weights, norm }
    }

    /// False when the profile carries no signal at all.
    pub(crate) fn is_empty(&self) -> bool {
        self.norm <= 0.0
    }

    /// Cosine similarity between the profile and the movie's genres times its quality; `None`
    /// when the movie does not match the profile positively.
    pub(crate) fn score(&self, catalog: &Catalog, popular: &Popular, i: u32) -> Option<f32> {
        let genres = catalog.genres(i);
        if self.is_empty() || genres.is_empty() {
            return None;
        }
        let dot: f32 = genres.iter().map(|&g| self.weight(g)).sum();
        let cos = dot / (self.norm * (genres.len() as f32).sqrt());
        (cos > 0.0).then(|| cos * popular.quality(i))
    }

    /// The movie's genres that weigh most in the profile (positive only), best first, ties by id.
    pub(crate) fn top_genres(&self, catalog: &Catalog, i: u32, n: usize) -> Vec<GenreId> {
        let mut g: Vec<(GenreId, f32)> = catalog
            .genres(i)
            .iter()
            .map(|&g| (g, self.weight(g)))
            .filter(|&(_, w)| w > 0.0)
            .collect();
        g.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        g.into_iter().take(n).map(|(g, _)| g).collect()
    }

    fn weight(&self, g: GenreId) -> f32 {
        self.weights.get(g as usize).copied().unwrap_or(0.0)
    }
}
