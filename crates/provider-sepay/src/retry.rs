//! Retries of reads and per-request options.
//!
//! One policy covers every read (GET) of the API-token way in, the OAuth way in and the payment
//! gateway's Order API: a request is sent again after a connection error, a timeout, a body cut
//! short, or an HTTP 429, 502, 503 or 504, with exponential backoff and jitter (the
//! [`backon`] crate). A `x-sepay-userapi-retry-after` or `Retry-After` header is the least wait
//! before the next try. Retries stop within the policy's total time budget: a wait that would end
//! past it is not slept, and the last error (or the last reply, mapped as usual) is returned.
//!
//! Requests that change state (order cancel, void) are never retried here. The OAuth way in's
//! "401 → refresh the token → send once more" is a separate step, not counted as a retry.
//!
//! ```
//! use std::time::Duration;
//! use provider_sepay::{RequestOptions, RetryPolicy};
//!
//! let patient = RetryPolicy::default()
//!     .max_retries(5)
//!     .base_delay(Duration::from_millis(100))
//!     .max_delay(Duration::from_secs(2))
//!     .budget(Duration::from_secs(10));
//! let once = RequestOptions::new().retry_policy(RetryPolicy::none());
//! assert_eq!(patient.get_max_retries(), 5);
//! assert_eq!(once.get_retry_policy().map(RetryPolicy::get_max_retries), Some(0));
//! ```

use std::future::Future;
use std::time::{Duration, Instant};

use backon::{ExponentialBuilder, Retryable};
use gateway_core::{Error, TransportErrorKind};

use crate::error::USERAPI_RETRY_AFTER;
use crate::transport::Reply;

/// How reads are retried: how many times, how long to wait between tries, and the total time
/// budget. Builder style; [`RetryPolicy::default`] is 3 retries, 200 ms base delay doubling up to
/// 5 s, with jitter, within 30 s; [`RetryPolicy::none`] sends once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    max_retries: u32,
    base_delay: Duration,
    max_delay: Duration,
    budget: Duration,
    jitter: bool,
}

impl Default for RetryPolicy {
    /// 3 retries, 200 ms base delay, 5 s largest delay, jitter, 30 s total budget.
    fn default() -> Self {
        Self {
            max_retries: 3,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(5),
            budget: Duration::from_secs(30),
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

    /// At most this many retries after the first try (0 = [`Self::none`]).
    pub fn max_retries(mut self, max_retries: u32) -> Self {
        self.max_retries = max_retries;
        self
    }

    /// The wait before the first retry; each next wait doubles it, up to [`Self::max_delay`].
    pub fn base_delay(mut self, delay: Duration) -> Self {
        self.base_delay = delay;
        self
    }

    /// The longest backoff wait (a retry-after header may ask for longer, within the budget).
    pub fn max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay;
        self
    }

    /// The total time from the first try within which retries happen; a wait that would end past
    /// it is not slept and the last error is returned instead.
    pub fn budget(mut self, budget: Duration) -> Self {
        self.budget = budget;
        self
    }

    /// Whether a random part is added to each backoff wait (default true), so that many clients
    /// do not retry in step.
    pub fn jitter(mut self, jitter: bool) -> Self {
        self.jitter = jitter;
        self
    }

    /// The number of retries after the first try.
    pub fn get_max_retries(&self) -> u32 {
        self.max_retries
    }

    /// The wait before the first retry.
    pub fn get_base_delay(&self) -> Duration {
        self.base_delay
    }

    /// The longest backoff wait.
    pub fn get_max_delay(&self) -> Duration {
        self.max_delay
    }

    /// The total time budget.
    pub fn get_budget(&self) -> Duration {
        self.budget
    }

    /// Whether jitter is added.
    pub fn get_jitter(&self) -> bool {
        self.jitter
    }
}

/// Options of one call, overriding the client's defaults ([`crate::SepayClientBuilder::retry_policy`],
/// [`crate::SepayClientBuilder::timeout`]); `Default` overrides nothing. Given to the `_with`
/// methods, e.g. [`crate::SepayClient::list_bank_accounts_with`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestOptions {
    retry: Option<RetryPolicy>,
    timeout: Option<Duration>,
}

impl RequestOptions {
    /// No override: the client's retry policy and timeout.
    pub fn new() -> Self {
        Self::default()
    }

    /// Retries this call's reads with `policy` instead of the client's.
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }

    /// Gives each HTTP request of this call `timeout` instead of the client's.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The retry policy override, if any.
    pub fn get_retry_policy(&self) -> Option<&RetryPolicy> {
        self.retry.as_ref()
    }

    /// The timeout override, if any.
    pub fn get_timeout(&self) -> Option<Duration> {
        self.timeout
    }
}

/// What a try ended in, when it may be retried.
enum Failure {
    /// A reply whose status is worth another try (429, 502, 503, 504).
    Reply(Reply),
    /// An error below HTTP (retried only when [`retryable_error`] says so).
    Error(Error),
}

/// HTTP statuses a read is retried on.
pub(crate) fn retryable_status(status: u16) -> bool {
    matches!(status, 429 | 502 | 503 | 504)
}

/// Errors a read is retried on: the connection failed, timed out or broke mid-body.
fn retryable_error(e: &Error) -> bool {
    matches!(
        e,
        Error::Transport {
            kind: TransportErrorKind::Connect | TransportErrorKind::Timeout | TransportErrorKind::Body,
            ..
        }
    )
}

/// The least wait a reply asks for: `x-sepay-userapi-retry-after` or `Retry-After`, in seconds
/// (capped at 60 s; an HTTP date is not read).
fn asked_wait(reply: &Reply) -> Option<Duration> {
    reply
        .header(USERAPI_RETRY_AFTER)
        .or_else(|| reply.header("retry-after"))
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(|s| Duration::from_secs_f64(s.min(60.0)))
}

/// Sends a read with `send` (one try each call) under `policy`. A reply with a retryable status
/// that is still there when retries stop is returned as `Ok` for the caller to map, like any reply.
pub(crate) async fn retry_read<F, Fut>(policy: &RetryPolicy, operation: &str, mut send: F) -> Result<Reply, Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Reply, Error>>,
{
    if policy.max_retries == 0 {
        return send().await;
    }
    let start = Instant::now();
    let budget = policy.budget;
    let mut backoff = ExponentialBuilder::default()
        .with_min_delay(policy.base_delay)
        .with_max_delay(policy.max_delay.max(policy.base_delay))
        .with_max_times(policy.max_retries as usize);
    if policy.jitter {
        backoff = backoff.with_jitter();
    }
    let attempt = || {
        let fut = send();
        async move {
            match fut.await {
                Ok(reply) if retryable_status(reply.status.as_u16()) => Err(Failure::Reply(reply)),
                Ok(reply) => Ok(reply),
                Err(e) => Err(Failure::Error(e)),
            }
        }
    };
    let result = attempt
        .retry(backoff)
        .sleep(tokio::time::sleep)
        .when(|f| match f {
            Failure::Reply(_) => true,
            Failure::Error(e) => retryable_error(e),
        })
        .adjust(move |f, backoff_wait| {
            let backoff_wait = backoff_wait?;
            let wait = match f {
                Failure::Reply(reply) => asked_wait(reply).map_or(backoff_wait, |asked| asked.max(backoff_wait)),
                Failure::Error(_) => backoff_wait,
            };
            // Never sleep past the budget: give up with the last error instead.
            (start.elapsed() + wait <= budget).then_some(wait)
        })
        .notify(|f, wait| {
            let wait_ms = wait.as_millis() as u64;
            match f {
                Failure::Reply(reply) => tracing::warn!(
                    target: "provider_sepay", provider = "sepay", operation, status = reply.status.as_u16(), wait_ms,
                    "SePay answered a retryable status; retrying"
                ),
                Failure::Error(e) => tracing::warn!(
                    target: "provider_sepay", provider = "sepay", operation, error = %e, wait_ms,
                    "SePay request failed; retrying"
                ),
            }
        })
        .await;
    match result {
        Ok(reply) | Err(Failure::Reply(reply)) => Ok(reply),
        Err(Failure::Error(e)) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies() {
        let d = RetryPolicy::default();
        assert_eq!(d.get_max_retries(), 3);
        assert_eq!(d.get_base_delay(), Duration::from_millis(200));
        assert_eq!(d.get_max_delay(), Duration::from_secs(5));
        assert_eq!(d.get_budget(), Duration::from_secs(30));
        assert!(d.get_jitter());
        assert_eq!(RetryPolicy::none().get_max_retries(), 0);
        assert!(retryable_status(503) && retryable_status(429) && !retryable_status(500) && !retryable_status(404));
    }
}
