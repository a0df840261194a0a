//! Pacing and backing off: one shared request rate for every worker,
//! `Retry-After` parsing and jittered exponential backoff.

use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::time::Instant;

use super::{BACKOFF_BASE, BACKOFF_MAX};

/// Spaces requests evenly across every worker: each request reserves the
/// next free slot, one interval after the previous one.
#[derive(Debug)]
pub struct Pacer {
    interval: Duration,
    next_slot: Mutex<Instant>,
}

impl Pacer {
    /// A pacer allowing `per_second` requests per second (at least one).
    pub fn new(per_second: u32) -> Self {
        Pacer {
            interval: Duration::from_secs(1) / per_second.max(1),
            next_slot: Mutex::new(Instant::now()),
        }
    }

    /// Reserves the next slot at or after `now` and returns it.
    pub fn reserve(&self, now: Instant) -> Instant {
        // A poisoned lock still holds a valid instant: keep pacing.
        let mut next = self.next_slot.lock().unwrap_or_else(|e| e.into_inner());
        let slot = (*next).max(now);
        *next = slot + self.interval;
        slot
    }

    /// Waits for this caller's slot.
    pub async fn wait_turn(&self) {
        let slot = self.reserve(Instant::now());
        tokio::time::sleep_until(slot).await;
    }

    /// Gives no slot earlier than `delay` from now (after a 429).
    pub fn hold_off(&self, delay: Duration) {
        let until = Instant::now() + delay;
        let mut next = self.next_slot.lock().unwrap_or_else(|e| e.into_inner());
        *next = (*next).max(until);
    }
}

/// Parses a `Retry-After` value: delay-seconds (TMDB's form) or an
/// HTTP-date, relative to `now`. A date in the past means "now".
pub fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    if let Ok(seconds) = value.parse::<f64>()
        && seconds.is_finite()
        && seconds >= 0.0
    {
        return Some(Duration::from_secs_f64(seconds.min(86_400.0)));
    }
    let date = DateTime::parse_from_rfc2822(value).ok()?;
    Some(
        (date.with_timezone(&Utc) - now)
            .to_std()
            .unwrap_or(Duration::ZERO),
    )
}

/// Backoff before retry number `attempt` (1 = after the first failure):
/// `BACKOFF_BASE · 2^(attempt-1)` capped at `BACKOFF_MAX`, of which the
/// upper half is scaled by `jitter` in `[0, 1)`. Half is always waited, so
/// retries never hammer; the jittered half spreads workers apart.
pub fn backoff_delay(attempt: u32, jitter: f64) -> Duration {
    let exponent = attempt.saturating_sub(1).min(16);
    let full = BACKOFF_BASE.saturating_mul(1 << exponent).min(BACKOFF_MAX);
    let half = full / 2;
    half + half.mul_f64(jitter.clamp(0.0, 1.0))
}

/// A random fraction in `[0, 1)`; 0.5 if the system has no randomness.
pub(super) fn jitter() -> f64 {
    let mut bytes = [0u8; 4];
    match getrandom::fill(&mut bytes) {
        Ok(()) => f64::from(u32::from_le_bytes(bytes)) / (f64::from(u32::MAX) + 1.0),
        Err(_) => 0.5,
    }
}
