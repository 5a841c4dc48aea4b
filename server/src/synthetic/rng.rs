//! A small seeded generator (SplitMix64) whose output is fixed by this code
//! alone, so the synthetic data set is identical on every machine and every
//! version of every dependency.

/// Deterministic pseudo-random numbers from a 64-bit seed.
#[derive(Clone, Debug)]
pub struct SeededRng(u64);

impl SeededRng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// A generator for item `n` of stream `stream`: independent of every other item.
    pub fn for_item(stream: u64, n: u64) -> Self {
        let mut mixer = Self(stream ^ 0x9E37_79B9_7F4A_7C15);
        let base = mixer.next_u64();
        Self(base ^ n.wrapping_mul(0xD1B5_4A32_D192_ED03))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..bound` (`bound` > 0).
    pub fn below(&mut self, bound: u64) -> u64 {
        // Multiply-shift: unbiased enough for synthetic data, and stable.
        ((self.next_u64() as u128 * bound as u128) >> 64) as u64
    }

    /// Uniform in `low..=high`.
    pub fn between(&mut self, low: i64, high: i64) -> i64 {
        low + self.below((high - low + 1) as u64) as i64
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_numbers_forever() {
        // Pinned values: if this changes, every machine's data set changes.
        let mut rng = SeededRng::new(42);
        assert_eq!(rng.next_u64(), 13679457532755275413);
        assert_eq!(rng.next_u64(), 2949826092126892291);
        let a: Vec<u64> = (0..5)
            .map(|n| SeededRng::for_item(7, n).next_u64())
            .collect();
        let b: Vec<u64> = (0..5)
            .map(|n| SeededRng::for_item(7, n).next_u64())
            .collect();
        assert_eq!(a, b);
        assert_ne!(a[0], a[1]);
    }

    #[test]
    fn ranges_are_respected() {
        let mut rng = SeededRng::new(1);
        for _ in 0..10_000 {
            let v = rng.between(-3, 3);
            assert!((-3..=3).contains(&v));
        }
        let mut seen = [false; 7];
        for _ in 0..1000 {
            seen[(rng.between(-3, 3) + 3) as usize] = true;
        }
        assert!(seen.iter().all(|s| *s), "every value in range occurs");
    }
}
