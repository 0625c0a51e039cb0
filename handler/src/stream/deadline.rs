//! When a request must be over, decided once per request and used by both the Bedrock call and the stream.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::time::Instant;

/// Margin kept before Lambda's own deadline so our timeout event is written before Lambda kills us.
const LAMBDA_DEADLINE_MARGIN: Duration = Duration::from_millis(500);

/// When the request must be over: the configured deadline, or Lambda's own (less a margin) when
/// that comes first. A Lambda deadline already in the past is not a real one (cargo-lambda sends
/// a duration, not an epoch time), so it is ignored.
#[derive(Debug, Clone, Copy)]
pub struct Deadline {
    pub at: Instant,
    /// The same, in whole seconds from the start, for messages.
    pub secs: u64,
}

impl Deadline {
    pub fn new(started: Instant, configured: Duration, lambda_deadline_ms: Option<u64>) -> Self {
        let now_ms = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64);
        let lambda = lambda_deadline_ms
            .filter(|&ms| ms > now_ms)
            .map(|ms| Duration::from_millis(ms - now_ms).saturating_sub(LAMBDA_DEADLINE_MARGIN));
        let budget = lambda.map_or(configured, |lambda| lambda.min(configured));
        Deadline { at: started + budget, secs: budget.as_secs_f64().round() as u64 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn epoch_ms_in(d: Duration) -> u64 {
        (SystemTime::now().duration_since(UNIX_EPOCH).unwrap() + d).as_millis() as u64
    }

    #[test]
    fn the_configured_deadline_applies_without_a_lambda_deadline() {
        let started = Instant::now();
        let d = Deadline::new(started, Duration::from_secs(60), None);
        assert_eq!((d.at, d.secs), (started + Duration::from_secs(60), 60));
    }

    #[test]
    fn lambda_s_earlier_deadline_wins_less_a_margin() {
        let started = Instant::now();
        let d = Deadline::new(started, Duration::from_secs(60), Some(epoch_ms_in(Duration::from_millis(10_800))));
        assert_eq!(d.secs, 10, "10.8 s left less 0.5 s is 10.3 s");
        assert!(d.at <= started + Duration::from_millis(10_300));
    }

    #[test]
    fn a_lambda_deadline_in_the_past_is_ignored() {
        // cargo-lambda sends 600000 (a duration) where Lambda sends an epoch time.
        let started = Instant::now();
        assert_eq!(Deadline::new(started, Duration::from_secs(30), Some(600_000)).secs, 30);
    }
}
