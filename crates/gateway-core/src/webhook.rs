//! Incoming webhooks: the raw request as the receiver got it ([`WebhookRequest`]), the
//! [`WebhookVerifier`] a provider implements, the provider-neutral [`PaymentEvent`] it yields, and
//! the [`WebhookError`] it fails with.
//!
//! A receiver (axum, hyper, actix, ...) reads the whole body, builds a [`WebhookRequest`] from the
//! method, the path and query exactly as received, the headers and the body bytes, and hands it to
//! the provider's verifier:
//!
//! ```
//! use gateway_core::webhook::{PaymentEvent, WebhookRequest, WebhookVerifier};
//!
//! fn handle(verifier: &dyn WebhookVerifier, path: &str, headers: &[(String, String)], body: &[u8]) -> u16 {
//!     let request = WebhookRequest::new("POST", path, body)
//!         .with_headers(headers.iter().map(|(name, value)| (name, value)));
//!     match verifier.verify(&request) {
//!         Ok(PaymentEvent::PaymentReceived(payment)) => {
//!             // Deduplicate on payment.event_id, then credit payment.reference_id (asynchronously).
//!             200
//!         }
//!         Ok(_other) => 200, // an event this library does not model (yet): log it, acknowledge it
//!         Err(e) if e.is_verification_failure() => 401, // not shown to come from the provider
//!         Err(_payload) => 200, // authentic but unreadable: keep the body for a human, do not retry
//!     }
//! }
//! ```
//!
//! Verification comes first (body size, then headers, signature and timestamp); the body is parsed
//! only once the request is shown to come from the provider. A body that is valid JSON but not an
//! event this library knows becomes [`PaymentEvent::Unknown`], never an error, so a provider adding
//! an event type does not break the receiver.
//!
//! Answer an authentic delivery with the verifier's [`WebhookVerifier::acknowledgement`] (the
//! status and body the provider documents); with the facade's `axum` feature,
//! `gateway::receiver::WebhookReceiver` does all of this, deduplication included.
//!
//! There is no default secret anywhere: a verifier is always built from the app's own credentials.

use std::borrow::Cow;
use std::fmt;
use std::sync::Mutex;

use chrono::{DateTime, FixedOffset, Utc};
use serde::Serialize;

use crate::{Money, PaymentMethod};

/// The raw webhook request as the receiver got it, before any parsing.
///
/// Borrows everything from the receiver's own request, so building one costs a small `Vec` of
/// header references:
///
/// ```
/// use gateway_core::webhook::WebhookRequest;
///
/// let body = br#"{"id":"PAY-001"}"#;
/// let request = WebhookRequest::new("POST", "/webhooks/finan?shop=1", body)
///     .with_header("X-Timestamp", "1705761000")
///     .with_header("x-signature", b"ab12");
/// assert_eq!(request.header("x-timestamp"), Some("1705761000"));
/// assert_eq!(request.header("X-SIGNATURE"), Some("ab12"));
/// ```
///
/// From an `http::HeaderMap` (axum, hyper), whose names are `AsRef<str>` and values
/// `AsRef<[u8]>`: `WebhookRequest::new(method.as_str(), uri.path_and_query().map_or("/", |pq| pq.as_str()), &body).with_headers(&headers)`.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct WebhookRequest<'a> {
    /// The HTTP method as received, e.g. `"POST"`.
    pub method: &'a str,
    /// The path and query exactly as received, byte for byte (e.g. `/webhooks/finan?shop=1`):
    /// no decoding, no normalisation, and not the path below some router prefix if the provider
    /// signed the full path.
    pub path: &'a str,
    /// Every header as received, names in any case, values as raw bytes, in order (repeated
    /// names kept).
    pub headers: Vec<(&'a str, &'a [u8])>,
    /// The raw body bytes, exactly as received (not re-serialized JSON).
    pub body: &'a [u8],
}

impl<'a> WebhookRequest<'a> {
    /// A request with no headers yet.
    pub fn new(method: &'a str, path: &'a str, body: &'a [u8]) -> Self {
        Self {
            method,
            path,
            headers: Vec::new(),
            body,
        }
    }

    /// Adds one header; `value` may be text (`&str`, `&String`) or bytes (`&[u8]`, `&[u8; N]`).
    pub fn with_header<N, V>(mut self, name: &'a N, value: &'a V) -> Self
    where
        N: AsRef<str> + ?Sized,
        V: AsRef<[u8]> + ?Sized,
    {
        self.headers.push((name.as_ref(), value.as_ref()));
        self
    }

    /// Adds every header of `headers`: an `&http::HeaderMap`, or any iterator of
    /// `(&name, &value)` pairs such as `pairs.iter().map(|(n, v)| (n, v))` over a
    /// `Vec<(String, String)>`.
    pub fn with_headers<I, N, V>(mut self, headers: I) -> Self
    where
        I: IntoIterator<Item = (&'a N, &'a V)>,
        N: AsRef<str> + ?Sized + 'a,
        V: AsRef<[u8]> + ?Sized + 'a,
    {
        self.headers
            .extend(headers.into_iter().map(|(name, value)| (name.as_ref(), value.as_ref())));
        self
    }

    /// The raw bytes of the first header called `name` (compared ASCII case-insensitively), or
    /// `None` when there is none.
    pub fn header_bytes(&self, name: &str) -> Option<&'a [u8]> {
        self.headers
            .iter()
            .find(|(candidate, _)| candidate.eq_ignore_ascii_case(name))
            .map(|(_, value)| *value)
    }

    /// The value of the first header called `name` (compared ASCII case-insensitively) as text,
    /// or `None` when there is none or its value is not UTF-8. Not trimmed.
    pub fn header(&self, name: &str) -> Option<&'a str> {
        self.header_bytes(name)
            .and_then(|value| std::str::from_utf8(value).ok())
    }

    /// The header `name`, trimmed, for a verifier that cannot go on without it.
    ///
    /// # Errors
    /// [`WebhookError::MissingHeader`] when it is absent, empty, blank or not UTF-8.
    pub fn required_header(&self, name: &'static str) -> Result<&'a str, WebhookError> {
        self.header(name)
            .map(str::trim)
            .filter(|value| !value.is_empty())
            .ok_or(WebhookError::MissingHeader(name))
    }

    /// Refuses a body longer than `max` bytes, the first check of every verifier (before any
    /// signature is computed or header read).
    ///
    /// # Errors
    /// [`WebhookError::BodyTooLarge`].
    pub fn check_body_size(&self, max: usize) -> Result<(), WebhookError> {
        let len = self.body.len();
        if len > max {
            return Err(WebhookError::BodyTooLarge { len, max });
        }
        Ok(())
    }
}

/// Refuses a timestamp (Unix seconds) further than `window` from `clock`'s now, in the past or
/// the future; one exactly `window` away passes. The window counts whole seconds.
///
/// # Errors
/// [`WebhookError::StaleTimestamp`] with the age (now minus `timestamp`) and the window.
pub fn check_replay_window(clock: &dyn Clock, timestamp: i64, window: std::time::Duration) -> Result<(), WebhookError> {
    let age_secs = clock.now().timestamp().saturating_sub(timestamp);
    let window_secs = i64::try_from(window.as_secs()).unwrap_or(i64::MAX);
    if age_secs.unsigned_abs() > window_secs.unsigned_abs() {
        return Err(WebhookError::StaleTimestamp { age_secs, window_secs });
    }
    Ok(())
}

impl fmt::Debug for WebhookRequest<'_> {
    /// Shows the method, path, header names and body length only: header values may hold
    /// signatures or credentials.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(name, _)| *name).collect();
        f.debug_struct("WebhookRequest")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("header_names", &names)
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// Where a verifier gets the current time from, for the replay window. Inject a [`FixedClock`]
/// in tests; [`SystemClock`] everywhere else.
pub trait Clock: Send + Sync {
    /// The current time.
    fn now(&self) -> DateTime<Utc>;
}

/// The system's wall clock ([`Utc::now`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that stands still at a time the test sets, and moves only when told
/// ([`FixedClock::set`], [`FixedClock::advance`]). Share it as `Arc<FixedClock>`: the verifier
/// holds one clone (as `Arc<dyn Clock>`), the test the other.
#[derive(Debug)]
pub struct FixedClock {
    now: Mutex<DateTime<Utc>>,
}

impl FixedClock {
    /// A clock showing `now`.
    pub fn new(now: DateTime<Utc>) -> Self {
        Self { now: Mutex::new(now) }
    }

    /// A clock showing the Unix time `secs` (seconds since 1970-01-01T00:00:00Z), or `None` when
    /// out of `DateTime`'s range.
    pub fn at_unix(secs: i64) -> Option<Self> {
        DateTime::from_timestamp(secs, 0).map(Self::new)
    }

    /// Moves the clock to `now`.
    pub fn set(&self, now: DateTime<Utc>) {
        *self.lock() = now;
    }

    /// Moves the clock by `by` (backwards when negative); saturates instead of overflowing.
    pub fn advance(&self, by: chrono::TimeDelta) {
        let mut now = self.lock();
        *now = now.checked_add_signed(by).unwrap_or(if by < chrono::TimeDelta::zero() {
            DateTime::<Utc>::MIN_UTC
        } else {
            DateTime::<Utc>::MAX_UTC
        });
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, DateTime<Utc>> {
        // A panic while holding this lock cannot leave a half-written `DateTime`.
        self.now.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        *self.lock()
    }
}

/// Why a webhook request was refused.
///
/// Two kinds (see [`WebhookError::is_verification_failure`] and
/// [`WebhookError::is_payload_error`]):
///
/// - Verification failures: the request was not shown to come from the provider (missing or
///   unusable headers, a wrong signature or client id, a timestamp outside the replay window, a
///   body over the size limit). Answer 401 (413 for [`WebhookError::BodyTooLarge`] if you prefer)
///   and do nothing else.
/// - Payload errors ([`WebhookError::Malformed`]): the request is authentic but its body is not
///   the documented payload. Retrying will not fix it; keep the body for a human and acknowledge
///   it as the provider asks (Finan: always HTTP 200).
///
/// No variant ever holds a secret key or the expected signature, so errors can be logged as they
/// are.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WebhookError {
    /// A header the provider always sends is absent, empty or not UTF-8. Holds the header name,
    /// e.g. `"x-signature"`.
    #[error("webhook request has no usable {0} header")]
    MissingHeader(&'static str),
    /// A header is present but cannot be used, e.g. a timestamp that is not a whole number of
    /// seconds. Holds the header name only (not its value).
    #[error("webhook request has an invalid {0} header")]
    InvalidHeader(&'static str),
    /// The signature does not match the request (tampered body, another path, a wrong secret).
    #[error("webhook signature does not match the request")]
    BadSignature,
    /// The request names another client (or account) than the one this verifier is for.
    #[error("webhook client id does not match this verifier")]
    ClientIdMismatch,
    /// The signed timestamp is further from now than the replay window allows: an old delivery
    /// replayed, or a clock badly off.
    #[error("webhook timestamp is {age_secs} s old, outside the replay window of {window_secs} s")]
    StaleTimestamp {
        /// Now minus the request's timestamp, in seconds: positive for the past, negative for a
        /// timestamp in the future.
        age_secs: i64,
        /// The replay window in seconds: the largest `|age_secs|` accepted.
        window_secs: i64,
    },
    /// The body is longer than the verifier accepts; refused before anything else is computed.
    #[error("webhook body is {len} bytes, more than the {max} allowed")]
    BodyTooLarge {
        /// The body length in bytes.
        len: usize,
        /// The largest body accepted, in bytes.
        max: usize,
    },
    /// The request is authentic but its body is not the documented payload (not JSON, not an
    /// object, or a payment with a missing or mistyped field). Valid JSON that is simply an
    /// event this library does not know is *not* this error: it is [`PaymentEvent::Unknown`].
    #[error("webhook {what} is malformed: {message}")]
    Malformed {
        /// What could not be read, e.g. `"Finan payment webhook body"`.
        what: String,
        /// Why, e.g. the JSON parser's message (never a secret).
        message: String,
    },
}

impl WebhookError {
    /// True when the request was not shown to come from the provider: answer 401 (or 413 for
    /// [`WebhookError::BodyTooLarge`]) and ignore it. False for [`WebhookError::Malformed`].
    pub fn is_verification_failure(&self) -> bool {
        !self.is_payload_error()
    }

    /// True when the request is authentic but its body could not be read
    /// ([`WebhookError::Malformed`]).
    pub fn is_payload_error(&self) -> bool {
        matches!(self, Self::Malformed { .. })
    }
}

/// What a verified webhook says happened, in provider-neutral terms.
///
/// Serializes with a `"type"` tag: `{"type":"payment_received", ...}`,
/// `{"type":"transaction_voided", ...}`, `{"type":"unknown", ...}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum PaymentEvent {
    /// Money was received.
    PaymentReceived(PaymentReceived),
    /// A transaction reported earlier was voided (reversed) by the provider.
    TransactionVoided {
        /// The provider's id of the voided transaction or of this delivery, for deduplication.
        event_id: String,
        /// The app's reference (order id) the transaction was for, when known.
        reference_id: Option<String>,
        /// The amount voided, when the provider says.
        amount: Option<Money>,
        /// The provider's short name, e.g. `"sepay"`.
        provider: &'static str,
    },
    /// A verified delivery this library does not understand (a new event type, or a payload
    /// without the fields of any known event). Never an error: log it and acknowledge it.
    Unknown {
        /// The provider's short name, e.g. `"finan"`.
        provider: &'static str,
        /// The event type the provider named (e.g. its `event` or `type` field), or `""` when
        /// the payload names none.
        event_type: String,
        /// The provider's id of the event or delivery, when the payload has one.
        event_id: Option<String>,
    },
}

impl PaymentEvent {
    /// The provider's id of the event, to deduplicate retried deliveries on; `None` only for an
    /// [`PaymentEvent::Unknown`] event without one.
    pub fn event_id(&self) -> Option<&str> {
        match self {
            Self::PaymentReceived(payment) => Some(&payment.event_id),
            Self::TransactionVoided { event_id, .. } => Some(event_id),
            Self::Unknown { event_id, .. } => event_id.as_deref(),
        }
    }

    /// The short name of the provider that sent the event, e.g. `"finan"`.
    pub fn provider(&self) -> &'static str {
        match self {
            Self::PaymentReceived(payment) => payment.provider,
            Self::TransactionVoided { provider, .. } | Self::Unknown { provider, .. } => provider,
        }
    }
}

/// A payment the provider received (the body of [`PaymentEvent::PaymentReceived`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct PaymentReceived {
    /// The provider's id of the payment (or of the delivery): the same on every retry of one
    /// payment, so the key to deduplicate on.
    pub event_id: String,
    /// The provider's id of the payment request that was paid, when the payment was made
    /// through one (a transfer straight to an account's QR code has none).
    pub payment_request_id: Option<String>,
    /// The app's reference (its order or invoice id) the payment is for, when known.
    pub reference_id: Option<String>,
    /// The amount received (for VND, whole đồng).
    pub amount: Money,
    /// How it was paid, when the provider says and the method is one this library knows.
    pub method: Option<PaymentMethod>,
    /// When it was paid, with the offset the provider gave, when the provider says.
    pub paid_at: Option<DateTime<FixedOffset>>,
    /// The provider's short name, e.g. `"finan"`.
    pub provider: &'static str,
}

impl PaymentReceived {
    /// A payment of `amount` from `provider` with id `event_id`; every optional field `None`.
    pub fn new(provider: &'static str, event_id: impl Into<String>, amount: Money) -> Self {
        Self {
            event_id: event_id.into(),
            payment_request_id: None,
            reference_id: None,
            amount,
            method: None,
            paid_at: None,
            provider,
        }
    }
}

/// Verifies and parses one provider's webhooks.
///
/// Object safe: an app can route `Arc<dyn WebhookVerifier>` by path.
///
/// Implementations check, in this order: the body size (before computing anything), the headers,
/// the client id and signature, then the timestamp against the replay window (with an injectable
/// [`Clock`]); only then do they parse the body. They compare client ids and signatures in
/// constant time (no early exit on the first differing byte), never hold a default secret, and
/// never put a secret or an expected signature in an error or in `Debug` output.
pub trait WebhookVerifier: crate::Provider {
    /// Verifies that `request` comes from the provider and is fresh, then parses its body.
    ///
    /// # Errors
    /// A verification failure ([`WebhookError::is_verification_failure`]) when the request is
    /// too large, lacks a header, has a wrong signature or client id, or is outside the replay
    /// window; [`WebhookError::Malformed`] when it is authentic but its body is not the
    /// documented payload. Valid JSON naming an unknown event is `Ok(PaymentEvent::Unknown)`.
    fn verify(&self, request: &WebhookRequest<'_>) -> Result<PaymentEvent, WebhookError>;

    /// The reply the provider expects to an authentic delivery it should not send again: what a
    /// receiver answers once the event was handled (or was a duplicate, or was authentic but
    /// unreadable). Any other reply makes most providers retry.
    ///
    /// The default is HTTP 200 with `{"success":true}` (SePay's bank-transaction webhook asks for
    /// 2xx with exactly that; a body the provider ignores does no harm elsewhere). Providers that
    /// document another body override it (Finan: `{"status":"success",...}`).
    fn acknowledgement(&self) -> Acknowledgement {
        Acknowledgement::default()
    }
}

/// The success reply to a webhook delivery: HTTP status, content type and body, as the provider
/// documents it ([`WebhookVerifier::acknowledgement`]).
///
/// ```
/// use gateway_core::webhook::Acknowledgement;
///
/// let ack = Acknowledgement::default();
/// assert_eq!((ack.status, ack.content_type, &*ack.body), (200, "application/json", r#"{"success":true}"#));
/// let custom = Acknowledgement::json(200, r#"{"status":"success"}"#);
/// assert_eq!(custom.body, r#"{"status":"success"}"#);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Acknowledgement {
    /// The HTTP status, a 2xx code (the default: 200).
    pub status: u16,
    /// The `Content-Type` of [`Acknowledgement::body`] (the default: `application/json`).
    pub content_type: &'static str,
    /// The reply body, sent as is (never holds a secret).
    pub body: Cow<'static, str>,
}

impl Acknowledgement {
    /// A JSON reply: `status` with `body` as `application/json`.
    pub fn json(status: u16, body: impl Into<Cow<'static, str>>) -> Self {
        Self {
            status,
            content_type: "application/json",
            body: body.into(),
        }
    }
}

impl Default for Acknowledgement {
    /// HTTP 200 with `{"success":true}` (`application/json`).
    fn default() -> Self {
        Self::json(200, r#"{"success":true}"#)
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn shared_checks_for_every_verifier() {
        let clock = FixedClock::at_unix(1_000_000).unwrap();
        let window = std::time::Duration::from_secs(300);
        assert!(super::check_replay_window(&clock, 1_000_000 - 300, window).is_ok());
        assert!(super::check_replay_window(&clock, 1_000_000 + 300, window).is_ok());
        assert!(matches!(
            super::check_replay_window(&clock, 1_000_000 - 301, window),
            Err(WebhookError::StaleTimestamp {
                age_secs: 301,
                window_secs: 300
            })
        ));
        assert!(matches!(
            super::check_replay_window(&clock, i64::MIN, window),
            Err(WebhookError::StaleTimestamp { .. })
        ));

        let request = WebhookRequest::new("POST", "/hook", b"12345")
            .with_header("x-a", "  v ")
            .with_header("x-b", " ");
        assert_eq!(request.required_header("x-a").unwrap(), "v");
        assert!(matches!(
            request.required_header("x-b"),
            Err(WebhookError::MissingHeader("x-b"))
        ));
        assert!(matches!(
            request.required_header("x-c"),
            Err(WebhookError::MissingHeader("x-c"))
        ));
        assert!(request.check_body_size(5).is_ok());
        assert!(matches!(
            request.check_body_size(4),
            Err(WebhookError::BodyTooLarge { len: 5, max: 4 })
        ));
    }
    use super::*;
    use crate::Currency;
    use std::sync::Arc;

    #[test]
    fn header_lookup_is_case_insensitive_and_returns_the_first() {
        let owned: Vec<(String, String)> = [
            ("X-Signature".to_string(), "abc".to_string()),
            ("x-signature".to_string(), "second".to_string()),
            ("Content-Type".to_string(), "application/json".to_string()),
        ]
        .into();
        let request = WebhookRequest::new("POST", "/hook", b"{}").with_headers(owned.iter().map(|(n, v)| (n, v)));
        assert_eq!(request.header("x-signature"), Some("abc"));
        assert_eq!(request.header("X-SIGNATURE"), Some("abc"));
        assert_eq!(request.header("content-type"), Some("application/json"));
        assert_eq!(request.header("x-timestamp"), None);
        assert_eq!(request.header_bytes("CONTENT-TYPE"), Some(&b"application/json"[..]));
    }

    #[test]
    fn non_utf8_header_is_none_as_text_but_kept_as_bytes() {
        let raw: &[u8] = &[0xff, 0xfe, b'a'];
        let request = WebhookRequest::new("POST", "/hook", b"")
            .with_header("x-bin", raw)
            .with_header("x-text", "ok");
        assert_eq!(request.header("x-bin"), None);
        assert_eq!(request.header_bytes("X-Bin"), Some(raw));
        assert_eq!(request.header("x-text"), Some("ok"));
    }

    #[test]
    fn header_values_are_not_trimmed_and_empty_values_are_kept() {
        let request = WebhookRequest::new("POST", "/hook", b"")
            .with_header("a", " v ")
            .with_header("b", "");
        assert_eq!(request.header("a"), Some(" v "));
        assert_eq!(request.header("b"), Some(""));
    }

    #[test]
    fn debug_shows_no_header_values() {
        let request = WebhookRequest::new("POST", "/hook?x=1", b"{\"a\":1}").with_header("x-signature", "deadbeef");
        let shown = format!("{request:?}");
        assert!(shown.contains("x-signature") && shown.contains("/hook?x=1"), "{shown}");
        assert!(!shown.contains("deadbeef"), "{shown}");
    }

    #[test]
    fn fixed_clock_stands_still_and_moves_when_told() {
        let start = DateTime::from_timestamp(1_705_761_000, 0).unwrap();
        let clock = Arc::new(FixedClock::new(start));
        let shared: Arc<dyn Clock> = clock.clone();
        assert_eq!(shared.now(), start);
        assert_eq!(shared.now(), start);
        clock.advance(chrono::TimeDelta::seconds(301));
        assert_eq!(shared.now().timestamp(), 1_705_761_301);
        clock.advance(chrono::TimeDelta::seconds(-1));
        assert_eq!(shared.now().timestamp(), 1_705_761_300);
        let later = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        clock.set(later);
        assert_eq!(shared.now(), later);
        assert_eq!(FixedClock::at_unix(42).unwrap().now().timestamp(), 42);
        clock.advance(chrono::TimeDelta::MAX);
        assert_eq!(clock.now(), DateTime::<Utc>::MAX_UTC);
    }

    #[test]
    fn system_clock_is_close_to_now() {
        let diff = (SystemClock.now() - Utc::now()).num_seconds().abs();
        assert!(diff < 5);
    }

    #[test]
    fn error_kinds() {
        assert!(WebhookError::BadSignature.is_verification_failure());
        assert!(WebhookError::MissingHeader("x-signature").is_verification_failure());
        assert!(WebhookError::InvalidHeader("x-timestamp").is_verification_failure());
        assert!(WebhookError::ClientIdMismatch.is_verification_failure());
        assert!(WebhookError::StaleTimestamp {
            age_secs: 301,
            window_secs: 300
        }
        .is_verification_failure());
        assert!(WebhookError::BodyTooLarge { len: 2, max: 1 }.is_verification_failure());
        let malformed = WebhookError::Malformed {
            what: "body".into(),
            message: "expected value".into(),
        };
        assert!(malformed.is_payload_error() && !malformed.is_verification_failure());
        assert!(!WebhookError::BadSignature.is_payload_error());
    }

    struct AlwaysUnknown;

    impl crate::Provider for AlwaysUnknown {
        fn provider_name(&self) -> &'static str {
            "test"
        }
    }

    impl WebhookVerifier for AlwaysUnknown {
        fn verify(&self, _request: &WebhookRequest<'_>) -> Result<PaymentEvent, WebhookError> {
            Ok(PaymentEvent::Unknown {
                provider: "test",
                event_type: String::new(),
                event_id: None,
            })
        }
    }

    #[test]
    fn verifier_is_object_safe_and_events_expose_ids() {
        let verifier: Arc<dyn WebhookVerifier> = Arc::new(AlwaysUnknown);
        let event = verifier.verify(&WebhookRequest::new("POST", "/", b"")).unwrap();
        assert_eq!(
            verifier.acknowledgement(),
            Acknowledgement::json(200, r#"{"success":true}"#)
        );
        assert_eq!(event.event_id(), None);
        assert_eq!(event.provider(), "test");

        let mut payment = PaymentReceived::new("test", "PAY-1", Money::from_minor_units(5, Currency::VND));
        payment.method = Some(PaymentMethod::Card);
        let event = PaymentEvent::PaymentReceived(payment);
        assert_eq!(event.event_id(), Some("PAY-1"));
        let json = serde_json::to_value(&event).unwrap();
        assert_eq!(json["type"], "payment_received");
        assert_eq!(json["event_id"], "PAY-1");
        assert_eq!(json["method"], "card");
    }
}
