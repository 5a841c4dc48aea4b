//! What happens to a message after an attempt: the rules, apart from the
//! SMTP and database work, so that they can be read and tested on their own.
//!
//! - A transient failure (no connection, a timeout, a 4xx reply) is retried
//!   with doubling delays up to a cap, for as long as the retry window
//!   lasts: an SMTP outage of a day loses nothing.
//! - A permanent rejection (5xx) of one address settles that address only;
//!   the others still get the message, and nobody gets it twice.
use std::{collections::BTreeMap, time::Duration};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Retry schedule: `base × 2^(attempt-1)`, capped at `max_delay`, until the
/// failures have lasted `give_up_after`.
#[derive(Clone, Copy, Debug)]
pub struct RetryPolicy {
    pub base: Duration,
    pub max_delay: Duration,
    pub give_up_after: Duration,
}

impl RetryPolicy {
    pub fn delay_after(&self, attempts: i32) -> Duration {
        let doublings = (attempts.max(1) - 1).min(31) as u32;
        self.base
            .saturating_mul(2u32.saturating_pow(doublings))
            .min(self.max_delay)
    }

    /// When to try again after a transient failure, or `None` when the
    /// failures began longer ago than the retry window.
    pub fn next_attempt(
        &self,
        attempts: i32,
        failing_since: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        let window =
            chrono::Duration::from_std(self.give_up_after).unwrap_or(chrono::Duration::MAX);
        if now.signed_duration_since(failing_since) >= window {
            return None;
        }
        let delay = chrono::Duration::from_std(self.delay_after(attempts))
            .unwrap_or(chrono::Duration::hours(1));
        Some(now + delay)
    }
}

impl Default for RetryPolicy {
    /// Half-hourly at most once the delays have grown, for three days: an
    /// outage over a long weekend still delivers everything when it ends.
    fn default() -> Self {
        Self {
            base: Duration::from_secs(5),
            max_delay: Duration::from_secs(30 * 60),
            give_up_after: Duration::from_secs(72 * 3600),
        }
    }
}

/// What became of one address.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum RecipientOutcome {
    Delivered,
    /// The receiving server refused the address for good (5xx).
    Rejected {
        reason: String,
    },
}

/// The settled addresses of a message; the rest are still to be sent.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RecipientOutcomes(BTreeMap<String, RecipientOutcome>);

impl RecipientOutcomes {
    /// Reads the stored column (absent: nobody settled yet).
    pub fn parse(stored: Option<&str>) -> Self {
        stored
            .and_then(|s| serde_json::from_str(s).ok())
            .unwrap_or_default()
    }

    pub fn to_stored(&self) -> Option<String> {
        (!self.0.is_empty()).then(|| serde_json::to_string(&self.0).expect("strings serialize"))
    }

    pub fn settle(&mut self, address: &str, outcome: RecipientOutcome) {
        self.0.insert(address.to_string(), outcome);
    }

    /// The addresses of `recipients` that have not been settled.
    pub fn unsettled<'a>(&self, recipients: &'a [String]) -> Vec<&'a String> {
        recipients
            .iter()
            .filter(|r| !self.0.contains_key(r.as_str()))
            .collect()
    }

    pub fn delivered(&self) -> usize {
        self.0
            .values()
            .filter(|o| **o == RecipientOutcome::Delivered)
            .count()
    }

    pub fn rejected(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().filter_map(|(address, o)| match o {
            RecipientOutcome::Rejected { reason } => Some((address.as_str(), reason.as_str())),
            RecipientOutcome::Delivered => None,
        })
    }

    /// Forgets the rejections, so that an admin's retry sends to those
    /// addresses again (and still not to those who have the message).
    pub fn without_rejections(&self) -> Self {
        Self(
            self.0
                .iter()
                .filter(|(_, o)| **o == RecipientOutcome::Delivered)
                .map(|(a, o)| (a.clone(), o.clone()))
                .collect(),
        )
    }

    /// "a@x: 550 …; b@y: 550 …", for the admin's list.
    pub fn rejection_summary(&self) -> Option<String> {
        let parts: Vec<String> = self
            .rejected()
            .map(|(address, reason)| format!("{address}: {reason}"))
            .collect();
        (!parts.is_empty()).then(|| parts.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minutes: i64) -> DateTime<Utc> {
        DateTime::UNIX_EPOCH + chrono::Duration::days(20_000) + chrono::Duration::minutes(minutes)
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        let p = RetryPolicy {
            base: Duration::from_secs(5),
            max_delay: Duration::from_secs(60),
            give_up_after: Duration::from_secs(3600),
        };
        assert_eq!(p.delay_after(1), Duration::from_secs(5));
        assert_eq!(p.delay_after(2), Duration::from_secs(10));
        assert_eq!(p.delay_after(4), Duration::from_secs(40));
        assert_eq!(p.delay_after(5), Duration::from_secs(60));
        assert_eq!(p.delay_after(40), Duration::from_secs(60));
        assert_eq!(p.delay_after(i32::MAX), Duration::from_secs(60));
    }

    #[test]
    fn failures_are_retried_for_the_whole_window_and_then_given_up() {
        let p = RetryPolicy::default();
        let began = at(0);
        // A day in, after ~60 attempts, the next one is at most half an hour away.
        let next = p
            .next_attempt(60, began, at(24 * 60))
            .expect("still retrying");
        assert_eq!(next, at(24 * 60 + 30));
        assert!(p.next_attempt(200, began, at(71 * 60 + 59)).is_some());
        assert_eq!(p.next_attempt(200, began, at(72 * 60)), None);
    }

    #[test]
    fn outcomes_settle_addresses_once() {
        let recipients = vec![
            "a@x.example".to_string(),
            "b@x.example".into(),
            "c@x.example".into(),
        ];
        let mut outcomes = RecipientOutcomes::parse(None);
        assert_eq!(outcomes.unsettled(&recipients).len(), 3);
        outcomes.settle("a@x.example", RecipientOutcome::Delivered);
        outcomes.settle(
            "b@x.example",
            RecipientOutcome::Rejected {
                reason: "550 no such user".into(),
            },
        );
        assert_eq!(outcomes.unsettled(&recipients), vec![&recipients[2]]);
        let stored = outcomes.to_stored();
        let back = RecipientOutcomes::parse(stored.as_deref());
        assert_eq!(back, outcomes);
        assert_eq!(back.delivered(), 1);
        assert_eq!(
            back.rejection_summary().as_deref(),
            Some("b@x.example: 550 no such user")
        );
        let retried = back.without_rejections();
        assert_eq!(
            retried.unsettled(&recipients).len(),
            2,
            "b and c are due again, a is not"
        );
        assert_eq!(
            RecipientOutcomes::parse(Some("not json")),
            RecipientOutcomes::default()
        );
    }
}
