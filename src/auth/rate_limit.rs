//! A per-client-IP rate limiter for register and login (a token bucket per
//! address: `limit` attempts per minute, refilled continuously).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::HttpRequest;

use crate::error::ApiError;

/// Buckets kept before idle (full) ones are swept out.
const SWEEP_ABOVE: usize = 10_000;

/// Attempts per minute per client address.
pub struct RateLimiter {
    per_minute: u32,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

#[derive(Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

impl RateLimiter {
    /// A limiter allowing `per_minute` attempts (0 = unlimited).
    pub fn new(per_minute: u32) -> Self {
        RateLimiter {
            per_minute,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one attempt for `client` at `now`; 429 with the wait when none is left.
    pub fn check_at(&self, client: IpAddr, now: Instant) -> Result<(), ApiError> {
        if self.per_minute == 0 {
            return Ok(());
        }
        let capacity = f64::from(self.per_minute);
        let per_second = capacity / 60.0;
        // A poisoned lock only means another thread panicked mid-update;
        // the counters are still usable.
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() > SWEEP_ABOVE {
            buckets.retain(|_, b| {
                b.tokens + now.duration_since(b.updated).as_secs_f64() * per_second < capacity
            });
        }
        let bucket = buckets.entry(client).or_insert(Bucket {
            tokens: capacity,
            updated: now,
        });
        let refilled =
            bucket.tokens + now.duration_since(bucket.updated).as_secs_f64() * per_second;
        bucket.tokens = refilled.min(capacity);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            let wait = Duration::from_secs_f64((1.0 - bucket.tokens) / per_second);
            Err(ApiError::TooManyRequests {
                retry_after_secs: wait.as_secs().max(1),
            })
        }
    }

    /// Takes one attempt for the request's client.
    pub fn check(&self, req: &HttpRequest, trust_forwarded_for: bool) -> Result<(), ApiError> {
        match client_ip(req, trust_forwarded_for) {
            Some(ip) => self.check_at(ip, Instant::now()),
            None => Ok(()),
        }
    }
}

/// The client's address: the peer, or (behind a trusted proxy) the first
/// address of `X-Forwarded-For`.
pub fn client_ip(req: &HttpRequest, trust_forwarded_for: bool) -> Option<IpAddr> {
    if trust_forwarded_for
        && let Some(forwarded) = req
            .headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .and_then(|v| v.trim().parse().ok())
    {
        return Some(forwarded);
    }
    req.peer_addr().map(|addr| addr.ip())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_applies_per_client_and_refills_over_time() {
        let limiter = RateLimiter::new(3);
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        let start = Instant::now();
        for _ in 0..3 {
            assert!(limiter.check_at(a, start).is_ok());
        }
        match limiter.check_at(a, start) {
            Err(ApiError::TooManyRequests { retry_after_secs }) => assert_eq!(retry_after_secs, 20),
            other => panic!("expected 429, got {other:?}"),
        }
        assert!(
            limiter.check_at(b, start).is_ok(),
            "other clients are unaffected"
        );
        assert!(limiter.check_at(a, start + Duration::from_secs(21)).is_ok());
    }

    #[test]
    fn zero_turns_the_limit_off() {
        let limiter = RateLimiter::new(0);
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        for _ in 0..1000 {
            assert!(limiter.check_at(a, Instant::now()).is_ok());
        }
    }
}
