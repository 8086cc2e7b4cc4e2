//! Retry policy and per-request options.
//!
//! Only reads (`GET`) are retried, and only on failures that say "try again": a connection that
//! could not be made, broke mid-body or timed out ([`Error::Transport`]), HTTP 429
//! ([`Error::RateLimited`]) and HTTP 502, 503 and 504 ([`Error::Provider`] with that status).
//! Anything else (400, 401, 403, 404, 409, 422, 500, a reply that does not decode) is returned at
//! once. Writes (`POST`: create payment, create bank account) are never re-sent by this layer; a
//! create that may have reached Finan is looked up by its reference first (see [`crate::payments`]).
//!
//! The waits grow exponentially with jitter ([`backon::ExponentialBuilder`]); a `Retry-After`
//! header, or Finan's "Retry after N seconds" message, is the least wait. No wait goes past the
//! policy's total budget: when the next wait would, the last error is returned.

use std::time::{Duration, Instant};

use backon::{BackoffBuilder, ExponentialBuilder};
use gateway_core::{Error, TransportErrorKind};

/// Retries when none is set: 3.
pub const DEFAULT_MAX_RETRIES: usize = 3;
/// First wait when none is set: 200 ms.
pub const DEFAULT_BASE_DELAY: Duration = Duration::from_millis(200);
/// Longest backoff wait when none is set: 5 s.
pub const DEFAULT_MAX_DELAY: Duration = Duration::from_secs(5);
/// Total time budget when none is set: 30 s.
pub const DEFAULT_RETRY_BUDGET: Duration = Duration::from_secs(30);

/// How a read (`GET`) is retried. Writes are never retried.
///
/// `RetryPolicy::default()`: up to 3 retries (4 attempts), waits from 200 ms doubling up to 5 s,
/// with jitter, within 30 s from the first attempt. [`RetryPolicy::none`]: one attempt only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    max_retries: usize,
    base_delay: Duration,
    max_delay: Duration,
    budget: Duration,
    jitter: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: DEFAULT_MAX_RETRIES,
            base_delay: DEFAULT_BASE_DELAY,
            max_delay: DEFAULT_MAX_DELAY,
            budget: DEFAULT_RETRY_BUDGET,
            jitter: true,
        }
    }
}

impl RetryPolicy {
    /// No retry: every request is sent once.
    pub fn none() -> Self {
        Self {
            max_retries: 0,
            ..Self::default()
        }
    }

    /// Retries after the first attempt (0 = none); default 3.
    pub fn max_retries(mut self, max_retries: usize) -> Self {
        self.max_retries = max_retries;
        self
    }

    /// The first backoff wait, doubled on each retry; default 200 ms.
    pub fn base_delay(mut self, base_delay: Duration) -> Self {
        self.base_delay = base_delay;
        self
    }

    /// The longest backoff wait; default 5 s. A longer `Retry-After` is still honoured (within the
    /// budget).
    pub fn max_delay(mut self, max_delay: Duration) -> Self {
        self.max_delay = max_delay;
        self
    }

    /// The total time from the first attempt within which retries may happen; default 30 s. A
    /// wait that would end past it is not started: the last error is returned instead.
    pub fn budget(mut self, budget: Duration) -> Self {
        self.budget = budget;
        self
    }

    /// Whether backoff waits get random jitter (added, up to the wait itself); default `true`.
    pub fn jitter(mut self, jitter: bool) -> Self {
        self.jitter = jitter;
        self
    }

    /// Retries after the first attempt.
    pub fn get_max_retries(&self) -> usize {
        self.max_retries
    }

    /// The total time budget.
    pub fn get_budget(&self) -> Duration {
        self.budget
    }

    /// The backoff builder for this policy (attempt count and delays; the budget is checked
    /// separately, against the clock, in [`RetryPolicy::next_wait`]).
    pub(crate) fn backoff(&self) -> impl BackoffBuilder {
        let builder = ExponentialBuilder::default()
            .with_min_delay(self.base_delay)
            .with_max_delay(self.max_delay.max(self.base_delay))
            .with_max_times(self.max_retries)
            .with_factor(2.0);
        if self.jitter {
            builder.with_jitter()
        } else {
            builder
        }
    }

    /// The wait before the next attempt after `err`, given backon's `proposed` one (`None` when its
    /// attempts are used up), or `None` to give up: the proposed wait raised to the error's
    /// `Retry-After`, and only if it ends within the budget counted from `started`.
    pub(crate) fn next_wait(&self, err: &Error, proposed: Option<Duration>, started: Instant) -> Option<Duration> {
        let wait = proposed?.max(err.retry_after().unwrap_or_default());
        (started.elapsed() + wait <= self.budget).then_some(wait)
    }
}

/// Whether a read that failed with `err` is worth sending again.
pub(crate) fn is_retryable_read(err: &Error) -> bool {
    match err {
        Error::Transport { kind, .. } => matches!(
            kind,
            TransportErrorKind::Connect | TransportErrorKind::Timeout | TransportErrorKind::Body
        ),
        Error::RateLimited { .. } => true,
        Error::Provider(ctx) => matches!(ctx.status, Some(502..=504)),
        _ => false,
    }
}

/// Options for one call, overriding the client's defaults (set on
/// [`FinanClientBuilder`](crate::FinanClientBuilder)) where set.
///
/// ```
/// use std::time::Duration;
/// use provider_finan::{RequestOptions, RetryPolicy};
///
/// let options = RequestOptions::new()
///     .timeout(Duration::from_secs(5))
///     .retry(RetryPolicy::none());
/// # let _ = options;
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestOptions {
    timeout: Option<Duration>,
    retry: Option<RetryPolicy>,
}

impl RequestOptions {
    /// No override: the client's timeout and retry policy.
    pub fn new() -> Self {
        Self::default()
    }

    /// The timeout of each attempt, from connecting to the end of the body (not the total with
    /// retries: see [`RetryPolicy::budget`]). Zero is ignored.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout).filter(|t| !t.is_zero());
        self
    }

    /// The retry policy of this call (reads only; writes are never retried).
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = Some(retry);
        self
    }

    /// The timeout override, if any.
    pub fn get_timeout(&self) -> Option<Duration> {
        self.timeout
    }

    /// The retry policy override, if any.
    pub fn get_retry(&self) -> Option<&RetryPolicy> {
        self.retry.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gateway_core::ErrorContext;

    fn status(code: u16) -> Error {
        Error::Provider(ErrorContext::new("x").with_status(code))
    }

    #[test]
    fn what_is_retried() {
        assert!(is_retryable_read(&status(502)));
        assert!(is_retryable_read(&status(503)));
        assert!(is_retryable_read(&status(504)));
        assert!(!is_retryable_read(&status(500)));
        assert!(!is_retryable_read(&Error::NotFound(ErrorContext::new("x"))));
        assert!(is_retryable_read(&Error::RateLimited {
            retry_after: None,
            context: ErrorContext::new("x")
        }));
    }

    #[test]
    fn retry_after_is_the_least_wait_and_the_budget_caps() {
        let policy = RetryPolicy::default().budget(Duration::from_secs(2));
        let limited = Error::RateLimited {
            retry_after: Some(Duration::from_secs(1)),
            context: ErrorContext::new("x"),
        };
        let now = Instant::now();
        assert_eq!(
            policy.next_wait(&limited, Some(Duration::from_millis(10)), now),
            Some(Duration::from_secs(1))
        );
        assert_eq!(policy.next_wait(&limited, None, now), None, "attempts used up");
        let long = Error::RateLimited {
            retry_after: Some(Duration::from_secs(30)),
            context: ErrorContext::new("x"),
        };
        assert_eq!(policy.next_wait(&long, Some(Duration::from_millis(10)), now), None);
    }
}
