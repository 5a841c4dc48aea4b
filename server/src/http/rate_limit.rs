//! Request rate limits: a token bucket per key (a client address, an
//! authenticated client, an access token), answered with 429, `Retry-After`
//! and `X-RateLimit-*` headers.
//!
//! The keys of the anonymous limits are chosen by strangers, so the map must
//! stay bounded without costing a scan per request. Each limiter is split into
//! shards by a keyed hash; each shard keeps two generations of buckets, and
//! when the newer one is full the older one is dropped whole. A key used since
//! the last turnover is always kept, so what is forgotten is, roughly, what
//! was least recently used, and every request costs O(1).
//!
//! The bound has a price that the README states: a caller who can send from
//! more distinct addresses than a shard holds can push its own buckets out and
//! start afresh. IPv6 addresses are therefore counted per /64 (one customer
//! network), and the password-hashing pool caps the real cost of sign-ins
//! whatever the limiter says.
//!
//! Counted in this process: with several copies of the server behind a load
//! balancer each enforces the limit on its own share.
use std::{
    collections::HashMap,
    hash::{BuildHasher, Hash, RandomState},
    net::IpAddr,
    sync::Mutex,
    time::Instant,
};

use axum::http::{HeaderMap, HeaderName, HeaderValue};

/// The outcome of one request against a limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Verdict {
    pub allowed: bool,
    /// The burst: how many requests a fresh key may make at once.
    pub limit: u32,
    pub remaining: u32,
    /// Seconds until the bucket is full again.
    pub reset_after: u64,
    /// Seconds until the next request would be allowed (0 when it is now).
    pub retry_after: u64,
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
            put("retry-after", self.retry_after.max(1));
        }
    }
}

/// So a handler can answer `(verdict, body)` and the limit's headers ride along.
impl axum::response::IntoResponseParts for Verdict {
    type Error = std::convert::Infallible;

    fn into_response_parts(
        self,
        mut parts: axum::response::ResponseParts,
    ) -> Result<axum::response::ResponseParts, Self::Error> {
        self.write_headers(parts.headers_mut());
        Ok(parts)
    }
}

#[derive(Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

struct Shard<K> {
    recent: HashMap<K, Bucket>,
    older: HashMap<K, Bucket>,
}

const SHARDS: usize = 16;

/// `per_minute` requests a minute for each key, in bursts of up to `per_minute`.
pub struct RateLimiter<K> {
    burst: u32,
    per_second: f64,
    /// How many keys a shard's newer generation holds before it turns over.
    generation_size: usize,
    hasher: RandomState,
    shards: Box<[Mutex<Shard<K>>]>,
}

impl<K: Hash + Eq + Clone> RateLimiter<K> {
    /// A limiter that remembers at least `keys` keys (and at most twice as many).
    pub fn new(per_minute: u32, keys: usize) -> Self {
        Self::with_burst(per_minute, per_minute, keys)
    }

    pub fn with_burst(per_minute: u32, burst: u32, keys: usize) -> Self {
        let shards = (0..SHARDS)
            .map(|_| {
                Mutex::new(Shard {
                    recent: HashMap::new(),
                    older: HashMap::new(),
                })
            })
            .collect();
        Self {
            burst: burst.max(1),
            per_second: f64::from(per_minute.max(1)) / 60.0,
            generation_size: keys.div_ceil(SHARDS).max(1),
            hasher: RandomState::new(),
            shards,
        }
    }

    /// Counts one request for `key` at `now`.
    pub fn check_at(&self, key: &K, now: Instant) -> Verdict {
        let shard = &self.shards[self.hasher.hash_one(key) as usize % SHARDS];
        let mut shard = shard.lock().expect("rate limiter lock");
        let found = match shard.recent.get(key) {
            Some(bucket) => Some(*bucket),
            None => shard.older.remove(key),
        };
        let burst = f64::from(self.burst);
        let mut bucket = found.unwrap_or(Bucket {
            tokens: burst,
            at: now,
        });
        let elapsed = now.saturating_duration_since(bucket.at).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.per_second).min(burst);
        bucket.at = now;
        let allowed = bucket.tokens >= 1.0;
        if allowed {
            bucket.tokens -= 1.0;
        }
        if !shard.recent.contains_key(key) && shard.recent.len() >= self.generation_size {
            shard.older = std::mem::take(&mut shard.recent);
        }
        shard.recent.insert(key.clone(), bucket);
        let seconds = |tokens: f64| (tokens.max(0.0) / self.per_second).ceil() as u64;
        Verdict {
            allowed,
            limit: self.burst,
            remaining: bucket.tokens.floor() as u32,
            reset_after: seconds(burst - bucket.tokens),
            retry_after: if allowed {
                0
            } else {
                seconds(1.0 - bucket.tokens)
            },
        }
    }

    /// The refusal `key` would get now, without counting a request: for
    /// limits that are spent only by failures, checked before the attempt.
    pub fn blocked(&self, key: &K) -> Option<Verdict> {
        self.blocked_at(key, Instant::now())
    }

    pub fn blocked_at(&self, key: &K, now: Instant) -> Option<Verdict> {
        let shard = &self.shards[self.hasher.hash_one(key) as usize % SHARDS];
        let shard = shard.lock().expect("rate limiter lock");
        let bucket = shard.recent.get(key).or_else(|| shard.older.get(key))?;
        let elapsed = now.saturating_duration_since(bucket.at).as_secs_f64();
        let tokens = (bucket.tokens + elapsed * self.per_second).min(f64::from(self.burst));
        (tokens < 1.0).then(|| Verdict {
            allowed: false,
            limit: self.burst,
            remaining: 0,
            reset_after: ((f64::from(self.burst) - tokens) / self.per_second).ceil() as u64,
            retry_after: ((1.0 - tokens) / self.per_second).ceil() as u64,
        })
    }

    pub fn check(&self, key: &K) -> Verdict {
        self.check_at(key, Instant::now())
    }

    /// How many keys are remembered (for tests of the bound).
    pub fn remembered(&self) -> usize {
        self.shards
            .iter()
            .map(|s| {
                let s = s.lock().expect("rate limiter lock");
                s.recent.len() + s.older.len()
            })
            .sum()
    }
}

/// The key for a client address: an IPv4 address whole, an IPv6 address by
/// its /64 network, which is what one customer line gets and so what one
/// caller can cheaply vary within.
pub fn network_of(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let bits = u128::from(v6) & !((1u128 << 64) - 1);
                IpAddr::V6(bits.into())
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn each_key_gets_its_burst_then_refills_at_its_rate() {
        let limiter = RateLimiter::new(2, 100);
        let t0 = Instant::now();
        assert!(limiter.check_at(&"a", t0).allowed);
        let second = limiter.check_at(&"a", t0);
        assert!(second.allowed && second.remaining == 0);
        let third = limiter.check_at(&"a", t0 + Duration::from_secs(1));
        assert!(!third.allowed);
        // Two a minute: one token every 30 s, of which 1 s has passed.
        assert_eq!(third.retry_after, 29);
        assert!(limiter.check_at(&"b", t0).allowed, "keys are independent");
        assert!(
            limiter.check_at(&"a", t0 + Duration::from_secs(31)).allowed,
            "a token has come back"
        );
        assert!(!limiter.check_at(&"a", t0 + Duration::from_secs(32)).allowed);
        assert_eq!(
            limiter
                .blocked_at(&"a", t0 + Duration::from_secs(32))
                .map(|v| v.retry_after),
            Some(28),
            "a peek sees the refusal (2 s of the next 30 have passed)"
        );
        assert_eq!(limiter.blocked_at(&"b", t0), None, "b has a token left");
        let mut headers = HeaderMap::new();
        third.write_headers(&mut headers);
        assert_eq!(headers["retry-after"], "29");
        assert_eq!(headers["x-ratelimit-remaining"], "0");
        assert_eq!(headers["x-ratelimit-limit"], "2");
    }

    #[test]
    fn a_flood_of_new_keys_stays_bounded_and_keeps_the_busy_key() {
        let limiter = RateLimiter::new(1, 1_000);
        let t0 = Instant::now();
        assert!(limiter.check_at(&0u64, t0).allowed);
        assert!(!limiter.check_at(&0, t0).allowed);
        for key in 1..100_000u64 {
            limiter.check_at(&key, t0);
            if key % 100 == 0 {
                // The throttled caller keeps trying while the flood goes on.
                assert!(!limiter.check_at(&0, t0).allowed, "after {key} other keys");
            }
        }
        assert!(
            limiter.remembered() <= 2 * 1_000 + 2 * SHARDS,
            "{} keys remembered",
            limiter.remembered()
        );
    }

    #[test]
    fn ipv6_addresses_count_per_network() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().unwrap();
        let other: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(network_of(a), network_of(b));
        assert_ne!(network_of(a), network_of(other));
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        assert_eq!(network_of(mapped), "192.0.2.7".parse::<IpAddr>().unwrap());
        let v4: IpAddr = "192.0.2.8".parse().unwrap();
        assert_eq!(network_of(v4), v4);
    }
}
