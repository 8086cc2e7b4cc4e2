//! [`RetryPolicy`] and [`RequestOptions`]: how a provider client retries reads and what one call may
//! override, the same for every provider. Each provider crate runs the policy over its own HTTP
//! transport (with the `backon` crate); this module holds only the settings and the arithmetic
//! they share.
//!
//! Only reads are retried, and only on failures that say "try again" ([`is_retryable_read`]).
//! Waits grow exponentially from [`RetryPolicy::base_delay`] up to [`RetryPolicy::max_delay`],
//! with jitter; a provider's retry-after hint is the least wait; no wait ends past the total
//! [`RetryPolicy::budget`] ([`RetryPolicy::next_wait`]).
//!
//! ```
//! use std::time::Duration;
//! use gateway_core::{RequestOptions, RetryPolicy};
//!
//! let patient = RetryPolicy::default()
//!     .max_retries(5)
//!     .base_delay(Duration::from_millis(100))
//!     .max_delay(Duration::from_secs(2))
//!     .budget(Duration::from_secs(10));
//! let once = RequestOptions::new().timeout(Duration::from_secs(5)).retry_policy(RetryPolicy::none());
//! assert_eq!(patient.get_max_retries(), 5);
//! assert_eq!(once.get_retry_policy().map(RetryPolicy::get_max_retries), Some(0));
//! ```

use std::time::{Duration, Instant, SystemTime};

use crate::{Error, TransportErrorKind};

/// Retries when none is set: 3.
pub const DEFAULT_MAX_RETRIES: u32 = 3;
/// First wait when none is set: 200 ms.
pub const DEFAULT_BASE_DELAY: Duration = Duration::from_millis(200);
/// Longest backoff wait when none is set: 5 s.
pub const DEFAULT_MAX_DELAY: Duration = Duration::from_secs(5);
/// Total time budget when none is set: 30 s.
pub const DEFAULT_RETRY_BUDGET: Duration = Duration::from_secs(30);

/// How a read is retried: how many times, how long to wait between tries, and the total time
/// budget. Writes are never retried.
///
/// `RetryPolicy::default()`: up to 3 retries (4 attempts), waits from 200 ms doubling up to 5 s,
/// with jitter, within 30 s from the first attempt. [`RetryPolicy::none`]: one attempt only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

    /// Retries after the first attempt (0 = [`Self::none`]); default 3.
    pub fn max_retries(mut self, max_retries: u32) -> Self {
        self.max_retries = max_retries;
        self
    }

    /// The first backoff wait, doubled on each retry up to [`Self::max_delay`]; default 200 ms.
    pub fn base_delay(mut self, base_delay: Duration) -> Self {
        self.base_delay = base_delay;
        self
    }

    /// The longest backoff wait; default 5 s. A longer retry-after hint from the provider is
    /// still honoured (within the budget).
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

    /// Whether backoff waits get random jitter, so that many clients do not retry in step;
    /// default `true`.
    pub fn jitter(mut self, jitter: bool) -> Self {
        self.jitter = jitter;
        self
    }

    /// The number of retries after the first attempt.
    pub fn get_max_retries(&self) -> u32 {
        self.max_retries
    }

    /// The wait before the first retry.
    pub fn get_base_delay(&self) -> Duration {
        self.base_delay
    }

    /// The longest backoff wait (never below the base delay).
    pub fn get_max_delay(&self) -> Duration {
        self.max_delay.max(self.base_delay)
    }

    /// The total time budget.
    pub fn get_budget(&self) -> Duration {
        self.budget
    }

    /// Whether jitter is added.
    pub fn get_jitter(&self) -> bool {
        self.jitter
    }

    /// The wait before the next attempt, or `None` to give up: the backoff's `proposed` wait
    /// (`None` when its attempts are used up) raised to the provider's `asked` retry-after, and
    /// only if it ends within the budget counted from `started`.
    pub fn next_wait(&self, proposed: Option<Duration>, asked: Option<Duration>, started: Instant) -> Option<Duration> {
        let wait = proposed?.max(asked.unwrap_or_default());
        // Checked: `asked` comes from the provider and may be absurdly large.
        started
            .elapsed()
            .checked_add(wait)
            .is_some_and(|end| end <= self.budget)
            .then_some(wait)
    }
}

/// Whether a read that failed with `err` is worth sending again: a connection that could not be
/// made, timed out, was lost before the reply or broke mid-body (any [`Error::Transport`]), HTTP
/// 429 ([`Error::RateLimited`]),
/// and HTTP 502, 503 and 504 ([`Error::Provider`] with that status). Anything else (400, 401,
/// 403, 404, 409, 422, 500, a reply that does not decode) is not.
pub fn is_retryable_read(err: &Error) -> bool {
    match err {
        // `Other` is mostly a connection reset after the request went out, before the status.
        Error::Transport { kind, .. } => matches!(
            kind,
            TransportErrorKind::Connect
                | TransportErrorKind::Timeout
                | TransportErrorKind::Body
                | TransportErrorKind::Other
        ),
        Error::RateLimited { .. } => true,
        Error::Provider(ctx) => matches!(ctx.status, Some(502..=504)),
        _ => false,
    }
}

/// The wait a `Retry-After` header value asks for (RFC 9110, section 10.2.3): delay-seconds
/// (SePay's `x-sepay-userapi-retry-after` may carry a fraction, so one is accepted), or an
/// HTTP-date, counted from `now` (a date already past is zero). `None` for anything else: a
/// negative or non-finite number, an unreadable date, an empty value.
///
/// ```
/// use std::time::{Duration, SystemTime, UNIX_EPOCH};
/// use gateway_core::parse_retry_after;
/// let now = UNIX_EPOCH + Duration::from_secs(1_445_412_480); // Wed, 21 Oct 2015 07:28:00 GMT
/// assert_eq!(parse_retry_after("120", now), Some(Duration::from_secs(120)));
/// assert_eq!(parse_retry_after("0.5", now), Some(Duration::from_millis(500)));
/// assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now), Some(Duration::from_secs(30)));
/// assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now), Some(Duration::ZERO));
/// assert_eq!(parse_retry_after("soon", now), None);
/// # let _ = SystemTime::now();
/// ```
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    if let Ok(secs) = value.parse::<f64>() {
        return Duration::try_from_secs_f64(secs).ok();
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Options for one call, overriding the client's defaults where set; `Default` overrides
/// nothing. Given to the providers' `_with` methods.
///
/// There is no idempotency setting here: a payment request's idempotency key is its reference id
/// ([`crate::CreatePayment`]), which the providers look up before creating, because neither
/// provider documents an idempotency header.
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

    /// The retry policy of this call's reads (writes are never retried).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }

    /// The timeout override, if any.
    pub fn get_timeout(&self) -> Option<Duration> {
        self.timeout
    }

    /// The retry policy override, if any.
    pub fn get_retry_policy(&self) -> Option<&RetryPolicy> {
        self.retry.as_ref()
    }

    /// These options, with each override this one leaves unset taken from `fallback`: how a
    /// call's options combine with those of a client handle (`with_options`).
    ///
    /// ```
    /// use std::time::Duration;
    /// use gateway_core::{RequestOptions, RetryPolicy};
    /// let handle = RequestOptions::new().timeout(Duration::from_secs(2));
    /// let call = RequestOptions::new().retry_policy(RetryPolicy::none());
    /// let both = call.or(&handle);
    /// assert_eq!(both.get_timeout(), Some(Duration::from_secs(2)));
    /// assert_eq!(both.get_retry_policy(), Some(&RetryPolicy::none()));
    /// ```
    pub fn or(&self, fallback: &RequestOptions) -> RequestOptions {
        RequestOptions {
            timeout: self.timeout.or(fallback.timeout),
            retry: self.retry.or(fallback.retry),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorContext;

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
    fn defaults() {
        let d = RetryPolicy::default();
        assert_eq!(d.get_max_retries(), 3);
        assert_eq!(d.get_base_delay(), Duration::from_millis(200));
        assert_eq!(d.get_max_delay(), Duration::from_secs(5));
        assert_eq!(d.get_budget(), Duration::from_secs(30));
        assert!(d.get_jitter());
        assert_eq!(RetryPolicy::none().get_max_retries(), 0);
        assert_eq!(RequestOptions::new().timeout(Duration::ZERO).get_timeout(), None);
    }

    #[test]
    fn an_absurd_retry_after_gives_up_instead_of_overflowing() {
        let policy = RetryPolicy::default();
        let started = Instant::now() - Duration::from_secs(2);
        assert_eq!(
            policy.next_wait(Some(Duration::from_millis(10)), Some(Duration::MAX), started),
            None
        );
        let huge = parse_retry_after("18446744073709551615", SystemTime::now());
        assert_eq!(policy.next_wait(Some(Duration::from_millis(10)), huge, started), None);
    }

    #[test]
    fn retry_after_is_the_least_wait_and_the_budget_caps() {
        let policy = RetryPolicy::default().budget(Duration::from_secs(2));
        let now = Instant::now();
        let asked = Some(Duration::from_secs(1));
        assert_eq!(
            policy.next_wait(Some(Duration::from_millis(10)), asked, now),
            Some(Duration::from_secs(1))
        );
        assert_eq!(policy.next_wait(None, asked, now), None, "attempts used up");
        assert_eq!(
            policy.next_wait(Some(Duration::from_millis(10)), Some(Duration::from_secs(30)), now),
            None
        );
    }
}
