//! An in-memory cache (moka) that never keeps a stale value after a write.
//!
//! Writers invalidate *after* their transaction commits. A reader that loaded
//! from the database *before* the write committed must not store its stale
//! copy *after* the invalidation: a write epoch, read before loading and
//! checked before inserting, prevents exactly that.

use std::hash::Hash;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use moka::future::Cache;

/// Hit and miss counts, for metrics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheCounts {
    /// Lookups answered from memory.
    pub hits: u64,
    /// Lookups that went to the loader.
    pub misses: u64,
}

/// A cache of `Arc<V>` by `K` with write-safe invalidation.
pub struct GuardedCache<K, V> {
    entries: Option<Cache<K, Arc<V>>>,
    epoch: AtomicU64,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl<K, V> GuardedCache<K, V>
where
    K: Hash + Eq + Send + Sync + Clone + 'static,
    V: Send + Sync + 'static,
{
    /// Up to `capacity` entries (0 disables caching), each living at most `ttl`.
    pub fn new(capacity: u64, ttl: Option<Duration>) -> Self {
        let entries = (capacity > 0).then(|| {
            let mut builder = Cache::builder().max_capacity(capacity);
            if let Some(ttl) = ttl {
                builder = builder.time_to_live(ttl);
            }
            builder.build()
        });
        GuardedCache {
            entries,
            epoch: AtomicU64::new(0),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    /// The cached value, or `load()`'s (cached when `Some` and no write
    /// happened meanwhile).
    pub async fn get_or_load<F, Fut, E>(&self, key: &K, load: F) -> Result<Option<Arc<V>>, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Option<V>, E>>,
    {
        if let Some(entries) = &self.entries
            && let Some(hit) = entries.get(key).await
        {
            self.hits.fetch_add(1, Ordering::Relaxed);
            return Ok(Some(hit));
        }
        self.misses.fetch_add(1, Ordering::Relaxed);
        let epoch = self.epoch.load(Ordering::Acquire);
        let Some(value) = load().await?.map(Arc::new) else {
            return Ok(None);
        };
        self.insert_if_unchanged(key.clone(), value.clone(), epoch)
            .await;
        Ok(Some(value))
    }

    /// The current write epoch, to pass to [`GuardedCache::insert_if_unchanged`].
    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }

    /// Looks a key up without loading.
    pub async fn get(&self, key: &K) -> Option<Arc<V>> {
        let hit = match &self.entries {
            Some(entries) => entries.get(key).await,
            None => None,
        };
        let counter = if hit.is_some() {
            &self.hits
        } else {
            &self.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        hit
    }

    /// Stores a value computed after reading `epoch`, unless a write has
    /// invalidated anything since.
    pub async fn insert_if_unchanged(&self, key: K, value: Arc<V>, epoch: u64) {
        if let Some(entries) = &self.entries
            && self.epoch.load(Ordering::Acquire) == epoch
        {
            entries.insert(key, value).await;
        }
    }

    /// Forgets one key (call after the write commits).
    pub async fn invalidate(&self, key: &K) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
        if let Some(entries) = &self.entries {
            entries.invalidate(key).await;
        }
    }

    /// Forgets everything.
    pub fn invalidate_all(&self) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
        if let Some(entries) = &self.entries {
            entries.invalidate_all();
        }
    }

    /// Hits and misses so far.
    pub fn counts(&self) -> CacheCounts {
        CacheCounts {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
        }
    }
}

/// The serialised form of one answer, made by whoever first needs it and
/// shared by every later answer while the value it renders is unchanged.
///
/// It lives *beside* a cached value (a new value comes with an empty slot),
/// so it can never outlive what it renders. The bytes are reference-counted:
/// handing them to a response copies nothing.
#[derive(Debug, Default)]
pub struct RenderedOnce(std::sync::OnceLock<bytes::Bytes>);

impl RenderedOnce {
    /// The kept bytes, or `render()`'s, kept for next time. Two first callers
    /// may both render; the first to finish is kept, and both answers are
    /// the same bytes anyway.
    pub fn get_or_render<E>(
        &self,
        render: impl FnOnce() -> Result<Vec<u8>, E>,
    ) -> Result<bytes::Bytes, E> {
        if let Some(kept) = self.0.get() {
            return Ok(kept.clone());
        }
        let fresh = bytes::Bytes::from(render()?);
        Ok(self.0.get_or_init(|| fresh).clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The cached value of `key`, loading `value` on a miss.
    async fn get_or_load(
        cache: &GuardedCache<i32, &'static str>,
        key: i32,
        value: &'static str,
    ) -> Arc<&'static str> {
        cache
            .get_or_load(&key, || async { Ok::<_, ()>(Some(value)) })
            .await
            .unwrap()
            .unwrap()
    }

    #[tokio::test]
    async fn a_load_that_raced_a_write_is_not_cached() {
        let cache: GuardedCache<i32, &'static str> = GuardedCache::new(10, None);
        let stale = cache
            .get_or_load(&1, || async {
                // The write commits and invalidates while the read is in flight.
                cache.invalidate(&1).await;
                Ok::<_, ()>(Some("old"))
            })
            .await
            .unwrap()
            .unwrap();
        assert_eq!(*stale, "old");
        assert_eq!(*get_or_load(&cache, 1, "new").await, "new");
        assert_eq!(*get_or_load(&cache, 1, "never loaded").await, "new");
        assert_eq!(cache.counts(), CacheCounts { hits: 1, misses: 2 });
    }

    #[tokio::test]
    async fn capacity_zero_disables_caching() {
        let cache: GuardedCache<i32, i32> = GuardedCache::new(0, None);
        cache
            .insert_if_unchanged(1, Arc::new(1), cache.epoch())
            .await;
        assert!(cache.get(&1).await.is_none());
    }

    #[test]
    fn rendered_once_renders_once_and_not_after_an_error() {
        let slot = RenderedOnce::default();
        assert_eq!(
            slot.get_or_render(|| Err::<Vec<u8>, _>("boom")),
            Err("boom")
        );
        let first = slot.get_or_render(|| Ok::<_, ()>(b"[1]".to_vec())).unwrap();
        let second = slot
            .get_or_render(|| Ok::<_, ()>(b"never rendered".to_vec()))
            .unwrap();
        assert_eq!(&first[..], b"[1]");
        assert_eq!(first, second);
    }
}
