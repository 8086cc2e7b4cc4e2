//! Retries of reads, with the provider-neutral [`RetryPolicy`] and [`RequestOptions`] of
//! `gateway_core::retry` (re-exported at this crate's root).
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
use gateway_core::retry::is_retryable_read;
use gateway_core::Error;
pub use gateway_core::{RequestOptions, RetryPolicy};

use crate::error::USERAPI_RETRY_AFTER;
use crate::transport::Reply;

/// What a try ended in, when it may be retried.
enum Failure {
    /// A reply whose status is worth another try (429, 502, 503, 504).
    Reply(Reply),
    /// An error below HTTP (retried only when [`is_retryable_read`] says so).
    Error(Error),
}

/// HTTP statuses a read is retried on.
pub(crate) fn retryable_status(status: u16) -> bool {
    matches!(status, 429 | 502 | 503 | 504)
}

/// The least wait a reply asks for: `x-sepay-userapi-retry-after` or `Retry-After`, in seconds or
/// as an HTTP date (capped at 60 s).
pub(crate) fn asked_wait(reply: &Reply) -> Option<Duration> {
    reply
        .header(USERAPI_RETRY_AFTER)
        .or_else(|| reply.header("retry-after"))
        .and_then(|v| gateway_core::parse_retry_after(v, std::time::SystemTime::now()))
        .map(|wait| wait.min(Duration::from_secs(60)))
}

/// Sends a read with `send` (one try each call) under `policy`. A reply with a retryable status
/// that is still there when retries stop is returned as `Ok` for the caller to map, like any reply.
pub(crate) async fn retry_read<F, Fut>(policy: &RetryPolicy, operation: &str, mut send: F) -> Result<Reply, Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Reply, Error>>,
{
    if policy.get_max_retries() == 0 {
        return send().await;
    }
    let start = Instant::now();
    let mut backoff = ExponentialBuilder::default()
        .with_min_delay(policy.get_base_delay())
        .with_max_delay(policy.get_max_delay())
        .with_max_times(policy.get_max_retries() as usize);
    if policy.get_jitter() {
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
            Failure::Error(e) => is_retryable_read(e),
        })
        .adjust(move |f, backoff_wait| {
            let asked = match f {
                Failure::Reply(reply) => asked_wait(reply),
                Failure::Error(_) => None,
            };
            // Never sleep past the budget: give up with the last error instead.
            policy.next_wait(backoff_wait, asked, start)
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
    fn statuses() {
        assert!(retryable_status(503) && retryable_status(429) && !retryable_status(500) && !retryable_status(404));
    }
}
