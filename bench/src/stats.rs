//! Percentiles of a set of samples, by the nearest-rank method: the p-th percentile is the
//! smallest sample with at least p % of the samples at or below it. Always a value that was
//! measured (no interpolation), so the median of 20 starts is the 10th fastest.

pub struct Distribution {
    sorted: Vec<f64>,
}

impl Distribution {
    /// `None` for no samples: a figure measured from nothing is not a figure.
    pub fn new(mut samples: Vec<f64>) -> Option<Distribution> {
        if samples.is_empty() {
            return None;
        }
        samples.sort_by(f64::total_cmp);
        Some(Distribution { sorted: samples })
    }

    /// `p` in (0, 100].
    pub fn percentile(&self, p: f64) -> f64 {
        let n = self.sorted.len();
        let rank = ((p / 100.0) * n as f64).ceil() as usize;
        self.sorted[rank.clamp(1, n) - 1]
    }

    pub fn median(&self) -> f64 {
        self.percentile(50.0)
    }

    pub fn len(&self) -> usize {
        self.sorted.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_on_one_to_a_hundred() {
        let d = Distribution::new((1..=100).rev().map(f64::from).collect()).unwrap();
        assert_eq!(d.percentile(50.0), 50.0);
        assert_eq!(d.percentile(99.0), 99.0);
        assert_eq!(d.percentile(100.0), 100.0);
        assert_eq!(d.percentile(0.1), 1.0);
        assert_eq!(d.len(), 100);
    }

    #[test]
    fn median_of_an_even_count_is_the_lower_middle_sample() {
        let d = Distribution::new((1..=20).map(f64::from).collect()).unwrap();
        assert_eq!(d.median(), 10.0);
        let d = Distribution::new(vec![3.0, 1.0, 2.0]).unwrap();
        assert_eq!(d.median(), 2.0);
    }

    #[test]
    fn p99_of_two_hundred_is_the_198th() {
        let d = Distribution::new((1..=200).map(f64::from).collect()).unwrap();
        assert_eq!(d.percentile(99.0), 198.0);
        assert_eq!(d.median(), 100.0);
    }

    #[test]
    fn one_sample_is_every_percentile_and_none_is_no_distribution() {
        let d = Distribution::new(vec![7.5]).unwrap();
        assert_eq!((d.percentile(1.0), d.median(), d.percentile(99.0)), (7.5, 7.5, 7.5));
        assert!(Distribution::new(Vec::new()).is_none());
    }
}
