//! Cache hit and miss counters. Each cache's owner reports its counts
//! under a label; the families list every cache.

use super::{Component, Exposition};
use crate::cache::CacheCounts;

/// A counter family: its name, help text and which count it reports.
type Family = (&'static str, &'static str, fn(&CacheCounts) -> u64);

/// Hit and miss counts by cache label.
pub struct CacheMetrics(pub Vec<(&'static str, CacheCounts)>);

impl Component for CacheMetrics {
    fn render(&self, out: &mut Exposition) {
        let families: [Family; 2] = [
            (
                "cinerank_cache_hits_total",
                "Cache lookups answered from memory.",
                |counts| counts.hits,
            ),
            (
                "cinerank_cache_misses_total",
                "Cache lookups that went to the database or the model.",
                |counts| counts.misses,
            ),
        ];
        for (name, help, count) in families {
            out.header(name, "counter", help);
            for (cache, counts) in &self.0 {
                out.sample(name, &[("cache", (*cache).into())], count(counts) as f64);
            }
        }
    }
}
