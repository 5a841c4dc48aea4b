//! Request rate limits: a fixed window per key (a client id on the token
//! endpoint, a token on the API), answered with 429, `Retry-After` and
//! `X-RateLimit-*` headers. Counted in this process: with several copies of
//! the server behind a load balancer each enforces the limit on its own share.
use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

use axum::http::{HeaderMap, HeaderName, HeaderValue};

/// The outcome of one request against a limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Verdict {
    pub allowed: bool,
    pub limit: u32,
    pub remaining: u32,
    /// Seconds until the window resets.
    pub reset_after: u64,
}

impl Verdict {
    /// Writes the `X-RateLimit-*` (and, when refused, `Retry-After`) headers.
    pub fn write_headers(&self, headers: &mut HeaderMap) {
        let mut put = |name: &'static str, value: u64| {
            headers.insert(HeaderName::from_static(name), HeaderValue::from(value));
        };
        put("x-ratelimit-limit", u64::from(self.limit));
        put("x-ratelimit-remaining", u64::from(self.remaining));
        put("x-ratelimit-reset", self.reset_after);
        if !self.allowed {
            put("retry-after", self.reset_after.max(1));
        }
    }
}

/// `limit` requests per `window` for each key.
pub struct RateLimiter {
    limit: u32,
    window: Duration,
    windows: Mutex<HashMap<String, (Instant, u32)>>,
}

impl RateLimiter {
    pub fn new(limit: u32, window: Duration) -> Self {
        Self {
            limit,
            window,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one request for `key` at `now`.
    pub fn check_at(&self, key: &str, now: Instant) -> Verdict {
        let mut windows = self.windows.lock().expect("rate limiter lock");
        if windows.len() > 100_000 {
            // Forget finished windows so that the map cannot grow without bound.
            let window = self.window;
            windows.retain(|_, (start, _)| now.duration_since(*start) < window);
        }
        let entry = windows.entry(key.to_string()).or_insert((now, 0));
        if now.duration_since(entry.0) >= self.window {
            *entry = (now, 0);
        }
        let reset_after = self
            .window
            .saturating_sub(now.duration_since(entry.0))
            .as_secs_f64()
            .ceil() as u64;
        if entry.1 >= self.limit {
            return Verdict {
                allowed: false,
                limit: self.limit,
                remaining: 0,
                reset_after,
            };
        }
        entry.1 += 1;
        Verdict {
            allowed: true,
            limit: self.limit,
            remaining: self.limit - entry.1,
            reset_after,
        }
    }

    pub fn check(&self, key: &str) -> Verdict {
        self.check_at(key, Instant::now())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_each_key_within_its_window_and_resets() {
        let limiter = RateLimiter::new(2, Duration::from_secs(60));
        let t0 = Instant::now();
        assert!(limiter.check_at("a", t0).allowed);
        let second = limiter.check_at("a", t0);
        assert!(second.allowed && second.remaining == 0);
        let third = limiter.check_at("a", t0 + Duration::from_secs(1));
        assert!(!third.allowed);
        assert_eq!(third.reset_after, 59);
        assert!(limiter.check_at("b", t0).allowed, "keys are independent");
        assert!(
            limiter.check_at("a", t0 + Duration::from_secs(60)).allowed,
            "a new window starts"
        );
        let mut headers = HeaderMap::new();
        third.write_headers(&mut headers);
        assert_eq!(headers["retry-after"], "59");
        assert_eq!(headers["x-ratelimit-remaining"], "0");
    }
}
