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
use gateway_core::{Error, TransportErrorKind};
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

// What a failed write's error says about where the write stands (shared by payment requests,
// payouts and business records, which look their write up instead of re-sending it).

/// True when a failed write (a POST, a PUT) may still have taken effect at Finan: a timeout, a connection broken
/// after sending, an HTTP 5xx, or a reply that could not be read. Not: a connection that could
/// not be made, a 4xx, a rate limit, an error code in a 2xx reply.
pub(crate) fn may_have_reached_finan(err: &Error) -> bool {
    match err {
        Error::Transport { kind, .. } => !matches!(kind, TransportErrorKind::Connect),
        Error::Provider(ctx) => ctx.status.is_some_and(|s| s >= 500),
        Error::Decode { .. } => true,
        _ => false,
    }
}

/// A failure after which Finan may not have finished with the request yet: no reply at all (a
/// timeout, or the connection lost before the status line), or a gateway in front of Finan that
/// gave up waiting for it (502, 504). After Finan's own reply (500, 503, a body cut off, an
/// unreadable body) it is done with the request, so a look-up that finds nothing can be trusted.
pub(crate) fn may_still_be_in_flight(err: &Error) -> bool {
    match err {
        Error::Transport { kind, .. } => matches!(kind, TransportErrorKind::Timeout | TransportErrorKind::Other),
        Error::Provider(ctx) => matches!(ctx.status, Some(502 | 504)),
        _ => false,
    }
}

/// `err` with `note` appended to its message (same variant, so retryability is kept).
pub(crate) fn with_note(err: Error, note: &str) -> Error {
    match err {
        Error::Transport { kind, message, source } => Error::Transport {
            kind,
            message: format!("{message}; {note}"),
            source,
        },
        Error::Provider(mut ctx) => {
            ctx.message = format!("{}; {note}", ctx.message);
            Error::Provider(ctx)
        }
        Error::Decode {
            what,
            message,
            status,
            request_id,
        } => Error::Decode {
            what,
            message: format!("{message}; {note}"),
            status,
            request_id,
        },
        other => other,
    }
}
