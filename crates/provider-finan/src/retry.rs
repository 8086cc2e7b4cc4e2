//! Retries of reads, with the provider-neutral [`RetryPolicy`] and [`RequestOptions`] of
//! `gateway_core::retry` (re-exported at this crate's root).
//!
//! Only reads (`GET`) are retried, and only on failures that say "try again"
//! ([`gateway_core::retry::is_retryable_read`]: a connection that could not be made, broke
//! mid-body or timed out, HTTP 429, 502, 503 and 504). Writes (`POST`: create payment, create
//! bank account) are never re-sent by this layer; a create that may have reached Finan is looked
//! up by its reference first (see [`crate::payments`]).
//!
//! The waits grow exponentially with jitter ([`backon::ExponentialBuilder`]); a `Retry-After`
//! header, or Finan's "Retry after N seconds" message, is the least wait. No wait goes past the
//! policy's total budget: when the next wait would, the last error is returned.

use backon::{BackoffBuilder, ExponentialBuilder};
pub(crate) use gateway_core::retry::is_retryable_read;
pub use gateway_core::{RequestOptions, RetryPolicy};

/// The backoff for `policy` (attempt count and delays; the budget is checked separately, against
/// the clock, with [`RetryPolicy::next_wait`]).
pub(crate) fn backoff(policy: &RetryPolicy) -> impl BackoffBuilder {
    let builder = ExponentialBuilder::default()
        .with_min_delay(policy.get_base_delay())
        .with_max_delay(policy.get_max_delay())
        .with_max_times(policy.get_max_retries() as usize)
        .with_factor(2.0);
    if policy.get_jitter() {
        builder.with_jitter()
    } else {
        builder
    }
}
