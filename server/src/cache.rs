//! A bounded in-process cache with a time-to-live, and the generation
//! counter that keeps it honest. Generic: the caches themselves live with
//! what they cache (`oauth::bearer::TokenCaches`, `fhir::caches`), and the
//! generations they follow, with the one way to move them, in
//! [`crate::invalidation`].
//!
//! Every cache entry remembers the generation current *before* its value was
//! read from the database. A change that can make a cached answer wrong moves
//! the generation *after* its transaction commits, so every entry read before
//! the change is refused from then on, in this process at once. Other copies
//! of the server (behind a load balancer) see the change when their entries
//! expire: after at most the cache's time-to-live.
use std::{
    collections::HashMap,
    hash::Hash,
    sync::{
        atomic::{AtomicU64, Ordering},
        Mutex,
    },
    time::{Duration, Instant},
};

/// A process-wide change counter.
pub struct Generation(AtomicU64);

impl Generation {
    pub const fn new() -> Self {
        Self(AtomicU64::new(0))
    }

    pub fn current(&self) -> u64 {
        self.0.load(Ordering::Acquire)
    }

    /// Call after the change has committed; outside tests, only
    /// [`crate::invalidation::commit`] does.
    pub(crate) fn bump(&self) {
        self.0.fetch_add(1, Ordering::AcqRel);
    }
}

struct Entry<V> {
    value: V,
    stored: Instant,
    generation: u64,
    bytes: usize,
}

/// A bounded map whose entries expire after `ttl` or when `generation` moves on.
pub struct TtlCache<K, V> {
    entries: Mutex<HashMap<K, Entry<V>>>,
    ttl: Duration,
    generation: &'static Generation,
    max_bytes: usize,
    bytes: AtomicU64,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl<K: Eq + Hash, V: Clone> TtlCache<K, V> {
    /// `max_bytes` bounds the sum of the sizes given to [`TtlCache::insert`].
    pub fn new(ttl: Duration, generation: &'static Generation, max_bytes: usize) -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
            ttl,
            generation,
            max_bytes,
            bytes: AtomicU64::new(0),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    /// The generation to pass to [`TtlCache::insert`]: read it before reading the database.
    pub fn generation(&self) -> u64 {
        self.generation.current()
    }

    pub fn get(&self, key: &K) -> Option<V> {
        let entries = self.entries.lock().expect("cache lock");
        let found = entries.get(key).and_then(|entry| {
            (entry.generation == self.generation.current() && entry.stored.elapsed() < self.ttl)
                .then(|| entry.value.clone())
        });
        let counter = if found.is_some() {
            &self.hits
        } else {
            &self.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    /// Lookups that found a live entry, and those that did not.
    pub fn counts(&self) -> (u64, u64) {
        (
            self.hits.load(Ordering::Relaxed),
            self.misses.load(Ordering::Relaxed),
        )
    }

    /// Stores `value`, read from the database while `generation` was current; `bytes` is its size.
    pub fn insert(&self, key: K, value: V, generation: u64, bytes: usize) {
        let mut entries = self.entries.lock().expect("cache lock");
        if self.bytes.load(Ordering::Relaxed) as usize + bytes > self.max_bytes {
            let (ttl, current) = (self.ttl, self.generation.current());
            entries.retain(|_, e| e.generation == current && e.stored.elapsed() < ttl);
            let mut total: usize = entries.values().map(|e| e.bytes).sum();
            if total + bytes > self.max_bytes {
                entries.clear();
                total = 0;
            }
            self.bytes.store(total as u64, Ordering::Relaxed);
        }
        let replaced = entries.insert(
            key,
            Entry {
                value,
                stored: Instant::now(),
                generation,
                bytes,
            },
        );
        let freed = replaced.map(|e| e.bytes).unwrap_or(0);
        self.bytes.fetch_add(bytes as u64, Ordering::Relaxed);
        self.bytes.fetch_sub(freed as u64, Ordering::Relaxed);
    }

    /// Forgets everything (tests, and changes that affect every entry).
    pub fn clear(&self) {
        self.entries.lock().expect("cache lock").clear();
        self.bytes.store(0, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static TEST_GENERATION: Generation = Generation::new();

    #[test]
    fn entries_read_before_a_change_are_refused_after_it() {
        let cache: TtlCache<&str, u32> =
            TtlCache::new(Duration::from_secs(60), &TEST_GENERATION, 1_000);
        let before = cache.generation();
        cache.insert("a", 1, before, 10);
        assert_eq!(cache.get(&"a"), Some(1));
        // A value read before the change but stored after it is refused too.
        let read_before_change = cache.generation();
        TEST_GENERATION.bump();
        cache.insert("b", 2, read_before_change, 10);
        assert_eq!(cache.get(&"a"), None);
        assert_eq!(cache.get(&"b"), None);
        cache.insert("c", 3, cache.generation(), 10);
        assert_eq!(cache.get(&"c"), Some(3));
    }

    #[test]
    fn entries_expire_and_the_byte_budget_holds() {
        static G: Generation = Generation::new();
        let cache: TtlCache<u32, u32> = TtlCache::new(Duration::from_millis(30), &G, 100);
        cache.insert(1, 1, 0, 60);
        assert_eq!(cache.get(&1), Some(1));
        cache.insert(2, 2, 0, 60);
        assert!(
            cache.get(&1).is_none()
                || cache.get(&2).is_none()
                || cache.bytes.load(Ordering::Relaxed) <= 100
        );
        assert_eq!(cache.get(&2), Some(2), "the newest entry is kept");
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(cache.get(&2), None, "expired");
    }
}
