//! The daily budget's refusal (`STREAMER_BUDGET_ACTION=refuse`): while the stack's budget alarm
//! (pulumi/budget.ts) is in ALARM, new requests are refused with 429 `budget_exceeded` before they
//! reach Bedrock. The alarm's state is read with CloudWatch's `DescribeAlarms` ([`alarm`]) at most
//! once per [`READ_EVERY`] and kept in the instance between reads, so a warm instance makes at
//! most one call a minute whatever its traffic.
//!
//! A state that cannot be read within 2 s (CloudWatch unreachable or silent, the permission not
//! there yet on a first deploy) lets requests through, logged as a warning, and is read again a
//! minute later: the budget guards spending, and an outage of the guard should not become an
//! outage of the function.

mod alarm;

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

pub use alarm::Alarm;

use crate::error::ApiError;

/// How long a read of the alarm's state is kept: a minute.
pub const READ_EVERY: Duration = Duration::from_secs(60);

/// The budget check an instance makes before each call to Bedrock.
pub struct Budget {
    alarm: Alarm,
    read_every: Duration,
    /// The last read: when, and whether the alarm was in ALARM.
    last: Mutex<Option<(Instant, bool)>>,
}

impl Budget {
    /// Reads `alarm`'s state at most once per `read_every` ([`READ_EVERY`] in the function; a test
    /// may read on every request to see a state change at once).
    pub fn new(alarm: Alarm, read_every: Duration) -> Budget {
        Budget { alarm, read_every, last: Mutex::new(None) }
    }

    /// `Err(BudgetExceeded)` while the alarm is in ALARM, as last read.
    pub async fn check(&self) -> Result<(), ApiError> {
        let now = Instant::now();
        let cached = *self.last.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let in_alarm = match cached {
            Some((at, in_alarm)) if now.duration_since(at) < self.read_every => in_alarm,
            _ => {
                let in_alarm = match self.alarm.state().await {
                    Ok(state) => state == "ALARM",
                    Err(error) => {
                        tracing::warn!(alarm = %self.alarm.name(), error = %error, "the budget alarm could not be read; serving until the next read");
                        false
                    }
                };
                *self.last.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some((now, in_alarm));
                in_alarm
            }
        };
        if in_alarm { Err(ApiError::BudgetExceeded) } else { Ok(()) }
    }
}
