//! Accounts in memory, so a signed-in request costs no database round
//! trip: the extractor checks the token's session version and the role
//! against this copy. It stays exact because every write to an account or
//! its user's data drops the entry, on every instance, through the change
//! feed (`services::changes`).

use std::sync::Arc;
use std::time::Duration;

use crate::cache::{CacheCounts, GuardedCache};

use super::UserProfile;

/// What a request needs to know about its caller's account.
#[derive(Clone, Debug)]
pub struct AccountRecord {
    /// The profile `/users/me` answers with.
    pub profile: UserProfile,
    /// Tokens issued before this version are refused.
    pub session_version: i32,
}

/// Accounts by id (only existing ones are kept).
pub struct AccountCache {
    entries: GuardedCache<i32, AccountRecord>,
}

impl AccountCache {
    /// Up to `capacity` accounts (0 disables), each kept at most `ttl`.
    pub fn new(capacity: u64, ttl: Option<Duration>) -> Self {
        AccountCache {
            entries: GuardedCache::new(capacity, ttl),
        }
    }

    /// The cached account, or `load()`'s.
    pub(super) async fn get_or_load<F, Fut, E>(
        &self,
        user_id: i32,
        load: F,
    ) -> Result<Option<Arc<AccountRecord>>, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Option<AccountRecord>, E>>,
    {
        self.entries.get_or_load(&user_id, load).await
    }

    /// Drops one account (after a write to it or to its user's data).
    pub async fn forget(&self, user_id: i32) {
        self.entries.invalidate(&user_id).await;
    }

    /// Drops every account.
    pub fn forget_all(&self) {
        self.entries.invalidate_all();
    }

    /// Hits and misses.
    pub fn counts(&self) -> CacheCounts {
        self.entries.counts()
    }
}
