//! Cache hit and miss counters. Each cache's owner reports its counts
//! under a label; the families list every cache.

use super::{Component, Exposition};
use crate::cache::CacheCounts;

/// Hit and miss counts by cache label.
pub struct CacheMetrics(pub Vec<(&'static str, CacheCounts)>);

impl Component for CacheMetrics {
    fn render(&self, out: &mut Exposition) {
        out.header(
            "cinerank_cache_hits_total",
            "counter",
            "Cache lookups answered from memory.",
        );
        for (cache, counts) in &self.0 {
            out.sample(
                "cinerank_cache_hits_total",
                &[("cache", (*cache).into())],
                counts.hits as f64,
            );
        }
        out.header(
            "cinerank_cache_misses_total",
            "counter",
            "Cache lookups that went to the database or the model.",
        );
        for (cache, counts) in &self.0 {
            out.sample(
                "cinerank_cache_misses_total",
                &[("cache", (*cache).into())],
                counts.misses as f64,
            );
        }
    }
}
