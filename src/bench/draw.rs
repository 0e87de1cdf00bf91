//! Which of N copies of a Worker each request of a many-Workers load goes
//! to: drawn per request from a Zipf distribution (the k-th most popular
//! copy with a probability in proportion to k^-s, as traffic over many
//! sites tends to be) or uniformly. Which copy has which rank is a fixed
//! shuffle, the same for every draw over `n` copies, so that popularity has
//! nothing to do with the order the copies were declared in. Draws come
//! from a seeded generator: the same seed gives the same sequence, and
//! several draws (one per connection) with different seeds share the ranks.

/// How requests are spread over the copies.
#[derive(Debug, Clone, Copy, PartialEq, clap::ValueEnum, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Spread {
    /// Zipf(1.1) over the copies.
    Zipf,
    /// Every copy alike.
    Uniform,
}

/// The exponent of the Zipf draw.
pub const ZIPF_S: f64 = 1.1;

/// Draws copies of `0..n` per [`Spread`].
#[derive(Debug, Clone)]
pub struct Draw {
    /// The copy of each rank.
    order: Vec<usize>,
    /// Under Zipf, the cumulative probability of each rank; empty when
    /// uniform.
    cdf: Vec<f64>,
    state: u64,
}

impl Draw {
    /// Draws over `n` copies (at least one), seeded with `seed`.
    pub fn new(n: usize, spread: Spread, seed: u64) -> Self {
        let n = n.max(1);
        let mut draw = Self {
            order: (0..n).collect(),
            cdf: Vec::new(),
            state: Self::seeded(0),
        };
        for i in (1..n).rev() {
            let j = draw.below(i + 1);
            draw.order.swap(i, j);
        }
        draw.state = Self::seeded(seed);
        if spread == Spread::Zipf {
            let mut total = 0.0;
            draw.cdf = (1..=n)
                .map(|k| {
                    total += (k as f64).powf(-ZIPF_S);
                    total
                })
                .collect();
            for p in &mut draw.cdf {
                *p /= total;
            }
        }
        draw
    }

    /// A generator state from `seed` (never zero).
    fn seeded(seed: u64) -> u64 {
        (seed ^ 0x5DEE_CE66_D1CE_4E5B).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1
    }

    /// The next 64 random bits (xorshift64*).
    fn bits(&mut self) -> u64 {
        self.state ^= self.state >> 12;
        self.state ^= self.state << 25;
        self.state ^= self.state >> 27;
        self.state.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n`.
    fn below(&mut self, n: usize) -> usize {
        ((self.bits() >> 11) as f64 / (1u64 << 53) as f64 * n as f64) as usize % n
    }

    /// The copy the next request goes to.
    pub fn next(&mut self) -> usize {
        let n = self.order.len();
        let rank = if self.cdf.is_empty() {
            self.below(n)
        } else {
            let u = (self.bits() >> 11) as f64 / (1u64 << 53) as f64;
            self.cdf.partition_point(|p| *p < u).min(n - 1)
        };
        self.order[rank]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zipf_favours_few_copies_and_uniform_none() {
        let n = 100;
        let mut counts = vec![0usize; n];
        let mut zipf = Draw::new(n, Spread::Zipf, 7);
        for _ in 0..100_000 {
            counts[zipf.next()] += 1;
        }
        counts.sort_unstable_by(|a, b| b.cmp(a));
        // Rank 1 of Zipf(1.1) over 100 has about 22% of the draws, rank 100
        // about 0.1%.
        assert!(counts[0] > 15_000 && counts[0] < 30_000, "{counts:?}");
        assert!(counts[n - 1] < 500, "{counts:?}");

        let mut counts = vec![0usize; n];
        let mut uniform = Draw::new(n, Spread::Uniform, 7);
        for _ in 0..100_000 {
            counts[uniform.next()] += 1;
        }
        assert!(counts.iter().all(|c| (700..1300).contains(c)), "{counts:?}");
    }

    #[test]
    fn draws_with_other_seeds_share_the_ranks() {
        let mut a = Draw::new(50, Spread::Zipf, 1);
        let mut b = Draw::new(50, Spread::Zipf, 2);
        let top = |d: &mut Draw| {
            let mut counts = [0usize; 50];
            for _ in 0..20_000 {
                counts[d.next()] += 1;
            }
            (0..50).max_by_key(|i| counts[*i]).unwrap()
        };
        assert_eq!(top(&mut a), top(&mut b));
    }

    #[test]
    fn the_same_seed_draws_the_same_copies() {
        let a: Vec<usize> = {
            let mut d = Draw::new(50, Spread::Zipf, 3);
            (0..20).map(|_| d.next()).collect()
        };
        let mut d = Draw::new(50, Spread::Zipf, 3);
        assert_eq!(a, (0..20).map(|_| d.next()).collect::<Vec<_>>());
        let mut one = Draw::new(1, Spread::Zipf, 3);
        assert_eq!(one.next(), 0);
    }
}
