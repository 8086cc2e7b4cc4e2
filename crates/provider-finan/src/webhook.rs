//! Finan's payment webhook: [`FinanWebhookVerifier`] (a [`WebhookVerifier`]) checks and parses
//! what Finan POSTs to the merchant's registered URL; [`FinanWebhookSigner`] produces the same
//! headers, for testing a receiver without Finan.
//!
//! Finan signs a webhook like a request (see [`crate::signing`]), with method `POST` and the
//! receiver's own path:
//!
//! ```text
//! x-client-id: <client id>
//! x-timestamp: <Unix seconds>
//! x-signature: hex(sha256(secret_key + "_POST_" + path_with_query + "_" + body + "_" + timestamp))
//! ```
//!
//! `path_with_query` is the path of the registered URL as the receiver gets it, query included
//! (e.g. `/webhooks/finan?shop=1`). Behind a proxy or router that strips a prefix, pass the
//! original path (axum: `OriginalUri`), or every signature fails.
//!
//! Answer every authentic delivery with HTTP 200, even when your own processing fails (Finan
//! retries after 5, 10 and 15 minutes otherwise), with the body of
//! [`FinanWebhookVerifier`]'s [`WebhookVerifier::acknowledgement`]; answer 401 to a verification
//! failure.
//!
//! ```
//! use std::sync::Arc;
//! use gateway_core::{FixedClock, PaymentEvent, WebhookRequest, WebhookVerifier};
//! use provider_finan::webhook::{FinanWebhookSigner, FinanWebhookVerifier};
//! use provider_finan::SecretString;
//!
//! let secret = || SecretString::from("app-secret-from-config");
//! let verifier = FinanWebhookVerifier::new("my-client", secret())
//!     .clock(Arc::new(FixedClock::at_unix(1_705_761_000).unwrap()));
//!
//! // What Finan sends (here produced by the signer, as in a handler test).
//! let body = br#"{"id":"PAY-001","reference_id":"DH970422","payment_method":"bank_transfer","amount":6000000,"created_at":"2024-01-20T14:30:00Z"}"#;
//! let headers = FinanWebhookSigner::new("my-client", secret()).sign("/webhooks/finan", body, 1_705_761_000);
//!
//! let request = WebhookRequest::new("POST", "/webhooks/finan", body).with_headers(headers.iter().map(|(n, v)| (n, v)));
//! match verifier.verify(&request) {
//!     Ok(PaymentEvent::PaymentReceived(payment)) => assert_eq!(payment.reference_id.as_deref(), Some("DH970422")),
//!     other => panic!("{other:?}"),
//! }
//! ```

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat};
use gateway_core::webhook::{
    check_replay_window, Acknowledgement, Clock, PaymentEvent, PaymentReceived, SystemClock, WebhookError,
    WebhookRequest,
};
use gateway_core::{Currency, Money, WebhookVerifier};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::{Map, Value};
use subtle::ConstantTimeEq;

use crate::payment_wire::{self, PaymentWebhook};
use crate::signing;

/// The provider name in events and errors: `"finan"`.
pub const PROVIDER: &str = "finan";
/// The header naming the client (`x-client-id`).
pub const HEADER_CLIENT_ID: &str = "x-client-id";
/// The header with the signature (`x-signature`, 64 lowercase hex digits).
pub const HEADER_SIGNATURE: &str = "x-signature";
/// The header with the signed timestamp (`x-timestamp`, Unix seconds).
pub const HEADER_TIMESTAMP: &str = "x-timestamp";
/// How far the signed timestamp may be from now, either way, when none is set: 300 seconds.
pub const DEFAULT_REPLAY_WINDOW: Duration = Duration::from_secs(300);
/// The largest body accepted when no limit is set: 64 KiB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 64 * 1024;

/// The method Finan signs webhooks with, whatever the receiver's router saw.
const WEBHOOK_METHOD: &str = "POST";

/// Verifies Finan's payment webhooks for one client id and secret key, and parses them into
/// [`PaymentEvent`]s.
///
/// There is no default secret: the key is the one shown when the Open API client was created. A
/// verifier built with an empty client id or secret key rejects every request. `Debug` shows the
/// client id and settings, never the secret key.
///
/// [`WebhookVerifier::verify`] checks, in this order, stopping at the first failure:
///
/// 1. the body length against [`FinanWebhookVerifier::max_body_bytes`]
///    ([`WebhookError::BodyTooLarge`], before anything is computed);
/// 2. the `x-client-id`, `x-timestamp` and `x-signature` headers are present, non-empty and UTF-8
///    ([`WebhookError::MissingHeader`]);
/// 3. `x-client-id` equals the client id, compared in constant time
///    ([`WebhookError::ClientIdMismatch`]);
/// 4. `x-timestamp` is an integer ([`WebhookError::InvalidHeader`]);
/// 5. `x-signature` equals [`signing::signature`]`(secret, "POST", request.path, request.body,
///    timestamp)`, compared in constant time, ASCII case ignored ([`WebhookError::BadSignature`]);
///    `request.method` is not part of it (Finan always signs `POST`);
/// 6. the timestamp is at most the replay window away from the clock's now, in the past or the
///    future ([`WebhookError::StaleTimestamp`]);
/// 7. the body is parsed (see below).
///
/// Parsing, once the request is authentic:
///
/// - Not JSON, or JSON that is not an object: [`WebhookError::Malformed`].
/// - An object with an `event`, `type` or `event_type` field: Finan's documented payment
///   payload has none, so this is an event this library does not know, reported as
///   [`PaymentEvent::Unknown`] with that type, even if it also carries payment fields (an
///   unknown event must never be mistaken for money received, e.g. a refund).
/// - An object with any of `amount`, `payment_method`, `payment_request_id` is the documented
///   payment payload: [`PaymentEvent::PaymentReceived`], or [`WebhookError::Malformed`] when a
///   required field (`id`, `payment_method`, `amount`, `created_at`) is missing or mistyped.
/// - Any other object: [`PaymentEvent::Unknown`] with an empty event type.
///
/// The `event_id` of an [`PaymentEvent::Unknown`] is the object's `id` (string or integer) when it has one.
#[derive(Clone)]
pub struct FinanWebhookVerifier {
    client_id: String,
    secret_key: SecretString,
    replay_window: Duration,
    max_body_bytes: usize,
    clock: Arc<dyn Clock>,
}

impl FinanWebhookVerifier {
    /// A verifier for `client_id` (compared with `x-client-id`) and `secret_key` (the Open API
    /// secret key), with a 300 s replay window, a 64 KiB body limit and the system clock.
    pub fn new(client_id: impl Into<String>, secret_key: SecretString) -> Self {
        Self {
            client_id: client_id.into(),
            secret_key,
            replay_window: DEFAULT_REPLAY_WINDOW,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            clock: Arc::new(SystemClock),
        }
    }

    /// How far `x-timestamp` may be from now, in the past or the future (whole seconds; a
    /// fraction is dropped); default 300 s. A timestamp exactly this far away passes.
    pub fn replay_window(mut self, window: Duration) -> Self {
        self.replay_window = window;
        self
    }

    /// The largest body accepted, in bytes; default 64 KiB. A longer body is refused with
    /// [`WebhookError::BodyTooLarge`] before any signature is computed. Also cap the body in the
    /// HTTP server, so it is not read into memory in the first place.
    pub fn max_body_bytes(mut self, max: usize) -> Self {
        self.max_body_bytes = max;
        self
    }

    /// Where "now" comes from for the replay window; default [`SystemClock`]. Tests pass an
    /// `Arc<gateway_core::FixedClock>`.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The client id requests must name in `x-client-id`.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    fn check_signature(&self, received: &str, path: &str, body: &[u8], timestamp: i64) -> Result<(), WebhookError> {
        let secret = self.secret_key.expose_secret();
        if secret.is_empty() {
            // Fail closed: an empty key would make every signature computable by anyone.
            return Err(WebhookError::BadSignature);
        }
        let expected = signing::digest(secret, WEBHOOK_METHOD, path, body, timestamp);
        // Decoding the received hex (either case) only looks at attacker-supplied bytes; anything
        // but 64 hex digits fails. The 32 bytes are then compared in constant time.
        let mut received_digest = [0u8; 32];
        if hex::decode_to_slice(received, &mut received_digest).is_err() {
            return Err(WebhookError::BadSignature);
        }
        if bool::from(received_digest.ct_eq(&expected)) {
            Ok(())
        } else {
            Err(WebhookError::BadSignature)
        }
    }
}

impl fmt::Debug for FinanWebhookVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FinanWebhookVerifier")
            .field("client_id", &self.client_id)
            .field("secret_key", &"[REDACTED]")
            .field("replay_window", &self.replay_window)
            .field("max_body_bytes", &self.max_body_bytes)
            .finish_non_exhaustive()
    }
}

impl gateway_core::Provider for FinanWebhookVerifier {
    fn provider_name(&self) -> &'static str {
        PROVIDER
    }
}

impl WebhookVerifier for FinanWebhookVerifier {
    fn verify(&self, request: &WebhookRequest<'_>) -> Result<PaymentEvent, WebhookError> {
        request.check_body_size(self.max_body_bytes)?;

        let client_id = request.required_header(HEADER_CLIENT_ID)?;
        let timestamp_text = request.required_header(HEADER_TIMESTAMP)?;
        let signature = request.required_header(HEADER_SIGNATURE)?;

        if self.client_id.is_empty() || !bool::from(client_id.as_bytes().ct_eq(self.client_id.as_bytes())) {
            return Err(WebhookError::ClientIdMismatch);
        }
        let timestamp = parse_timestamp(timestamp_text)?;
        self.check_signature(signature, request.path, request.body, timestamp)?;

        check_replay_window(self.clock.as_ref(), timestamp, self.replay_window)?;

        parse_event(request.body)
    }

    /// HTTP 200 with Finan's documented reply,
    /// `{"status":"success","message":"Payment processed successfully","timestamp":"..."}`
    /// (the timestamp is the verifier's clock, RFC 3339 in UTC). Finan asks for 200 to every
    /// authentic delivery, even when the merchant's own processing failed.
    fn acknowledgement(&self) -> Acknowledgement {
        let timestamp = self.clock.now().to_rfc3339_opts(SecondsFormat::Secs, true);
        Acknowledgement::json(
            200,
            format!(r#"{{"status":"success","message":"Payment processed successfully","timestamp":"{timestamp}"}}"#),
        )
    }
}

/// Produces the headers Finan sends with a webhook, so an app can test its receiver (and this
/// crate its verifier) without Finan: it is exactly what Finan does. Not needed in production.
///
/// `Debug` shows the client id, never the secret key.
///
/// ```
/// use provider_finan::{webhook::FinanWebhookSigner, SecretString};
///
/// let signer = FinanWebhookSigner::new("my-client", SecretString::from("secret"));
/// let headers = signer.sign("/webhooks/finan", br#"{"id":"PAY-001"}"#, 1_705_761_000);
/// assert_eq!(headers[0], ("x-client-id".to_string(), "my-client".to_string()));
/// assert_eq!(headers[2], ("x-timestamp".to_string(), "1705761000".to_string()));
/// assert_eq!(headers[1].1.len(), 64);
/// ```
#[derive(Clone)]
pub struct FinanWebhookSigner {
    client_id: String,
    secret_key: SecretString,
}

impl FinanWebhookSigner {
    /// A signer for `client_id` with `secret_key`.
    pub fn new(client_id: impl Into<String>, secret_key: SecretString) -> Self {
        Self {
            client_id: client_id.into(),
            secret_key,
        }
    }

    /// The three headers of a webhook POSTed to `path` (with its query, as the receiver will see
    /// it) with `body` at Unix time `timestamp`, in this order: `x-client-id`, `x-signature`,
    /// `x-timestamp` (lowercase names).
    pub fn sign(&self, path: &str, body: &[u8], timestamp: i64) -> Vec<(String, String)> {
        let signature = signing::signature(self.secret_key.expose_secret(), WEBHOOK_METHOD, path, body, timestamp);
        vec![
            (HEADER_CLIENT_ID.to_string(), self.client_id.clone()),
            (HEADER_SIGNATURE.to_string(), signature),
            (HEADER_TIMESTAMP.to_string(), timestamp.to_string()),
        ]
    }
}

impl fmt::Debug for FinanWebhookSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FinanWebhookSigner")
            .field("client_id", &self.client_id)
            .field("secret_key", &"[REDACTED]")
            .finish()
    }
}

/// Unix seconds: ASCII digits with an optional leading `-`, nothing else.
fn parse_timestamp(text: &str) -> Result<i64, WebhookError> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(WebhookError::InvalidHeader(HEADER_TIMESTAMP));
    }
    text.parse().map_err(|_| WebhookError::InvalidHeader(HEADER_TIMESTAMP))
}

const WHAT: &str = "Finan payment webhook body";
const EVENT_TYPE_FIELDS: [&str; 3] = ["event", "type", "event_type"];
const PAYMENT_FIELDS: [&str; 3] = ["amount", "payment_method", "payment_request_id"];

fn malformed(message: impl Into<String>) -> WebhookError {
    WebhookError::Malformed {
        what: WHAT.to_string(),
        message: message.into(),
    }
}

/// The event in an authentic body (see [`FinanWebhookVerifier`] for the rules).
fn parse_event(body: &[u8]) -> Result<PaymentEvent, WebhookError> {
    match parse_payment_directly(body) {
        Some(wire) => Ok(PaymentEvent::PaymentReceived(payment_received(wire))),
        None => parse_event_from_value(body),
    }
}

/// Which of the fields that decide the event kind a body has (present, whatever the value, `null`
/// included); every value is skipped, nothing is allocated.
#[derive(Deserialize)]
struct Probe {
    #[serde(default, deserialize_with = "present")]
    event: bool,
    #[serde(default, rename = "type", deserialize_with = "present")]
    type_: bool,
    #[serde(default, deserialize_with = "present")]
    event_type: bool,
    #[serde(default, deserialize_with = "present")]
    amount: bool,
    #[serde(default, deserialize_with = "present")]
    payment_method: bool,
    #[serde(default, deserialize_with = "present")]
    payment_request_id: bool,
}

fn present<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    serde::de::IgnoredAny::deserialize(deserializer).map(|_| true)
}

/// The common case, a payment payload, read straight into [`PaymentWebhook`] without building a
/// `serde_json::Value` first (that tree, built and dropped, cost as much as the rest of the
/// verification). `None` for anything else (not UTF-8, not an object, an event type, no payment
/// field, a field that does not fit): [`parse_event_from_value`] then decides, as it always did.
fn parse_payment_directly(body: &[u8]) -> Option<PaymentWebhook> {
    let text = std::str::from_utf8(body).ok()?;
    // A derived struct would also accept an array, which is not a payload.
    if !text.trim_start().starts_with('{') {
        return None;
    }
    let probe: Probe = serde_json::from_str(text).ok()?;
    if probe.event || probe.type_ || probe.event_type {
        return None;
    }
    if !(probe.amount || probe.payment_method || probe.payment_request_id) {
        return None;
    }
    serde_json::from_str(text).ok()
}

/// The event in an authentic body through a `serde_json::Value`: every body that is not a
/// well-formed payment payload, with the exact error or [`PaymentEvent::Unknown`] it gets.
fn parse_event_from_value(body: &[u8]) -> Result<PaymentEvent, WebhookError> {
    let value: Value = serde_json::from_slice(body).map_err(|e| malformed(format!("not JSON: {e}")))?;
    let object = match value {
        Value::Object(object) => object,
        other => return Err(malformed(format!("not a JSON object but {}", json_kind(&other)))),
    };

    if let Some(event_type) = EVENT_TYPE_FIELDS.iter().find_map(|field| object.get(*field)) {
        let event_type = match event_type {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        };
        return Ok(unknown(event_type, &object));
    }
    if !PAYMENT_FIELDS.iter().any(|field| object.contains_key(*field)) {
        return Ok(unknown(String::new(), &object));
    }

    let wire: PaymentWebhook = serde_json::from_value(Value::Object(object)).map_err(|e| malformed(e.to_string()))?;
    Ok(PaymentEvent::PaymentReceived(payment_received(wire)))
}

fn unknown(event_type: String, object: &Map<String, Value>) -> PaymentEvent {
    let event_id = match object.get("id") {
        Some(Value::String(id)) => Some(id.clone()),
        Some(Value::Number(id)) => Some(id.to_string()),
        _ => None,
    };
    PaymentEvent::Unknown {
        provider: PROVIDER,
        event_type,
        event_id,
    }
}

/// Finan's payment payload in core terms: amount in đồng, `created_at` (RFC 3339) as `paid_at`
/// (`None` when it does not parse: the payment is still reported), and the method when known.
pub(crate) fn payment_received(wire: PaymentWebhook) -> PaymentReceived {
    let mut payment = PaymentReceived::new(PROVIDER, wire.id, Money::from_minor_units(wire.amount, Currency::VND));
    payment.payment_request_id = wire.payment_request_id.filter(|id| !id.is_empty());
    payment.reference_id = wire.reference_id.filter(|id| !id.is_empty());
    payment.method = core_method(&wire.payment_method);
    payment.paid_at = DateTime::parse_from_rfc3339(wire.created_at.trim()).ok();
    payment
}

/// Finan's method in core terms: `bank_transfer` → bank transfer, `card` → card, `ewallet_momo`
/// → e-wallet; any other value → `None`.
pub(crate) fn core_method(method: &payment_wire::PaymentMethod) -> Option<gateway_core::PaymentMethod> {
    match method {
        payment_wire::PaymentMethod::BankTransfer => Some(gateway_core::PaymentMethod::BankTransfer),
        payment_wire::PaymentMethod::Card => Some(gateway_core::PaymentMethod::Card),
        payment_wire::PaymentMethod::EwalletMomo => Some(gateway_core::PaymentMethod::EWallet),
        _ => None,
    }
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamp_accepts_only_integers() {
        assert_eq!(parse_timestamp("1705761000"), Ok(1_705_761_000));
        assert_eq!(parse_timestamp("-5"), Ok(-5));
        for bad in ["+1705761000", "1.5", "17e8", "-", "", "abc", "99999999999999999999"] {
            assert_eq!(
                parse_timestamp(bad),
                Err(WebhookError::InvalidHeader(HEADER_TIMESTAMP)),
                "{bad}"
            );
        }
    }

    #[test]
    fn methods_map_to_core() {
        use payment_wire::PaymentMethod as Wire;
        assert_eq!(
            core_method(&Wire::BankTransfer),
            Some(gateway_core::PaymentMethod::BankTransfer)
        );
        assert_eq!(core_method(&Wire::Card), Some(gateway_core::PaymentMethod::Card));
        assert_eq!(
            core_method(&Wire::EwalletMomo),
            Some(gateway_core::PaymentMethod::EWallet)
        );
        assert_eq!(core_method(&Wire::from("zalopay")), None);
    }

    #[test]
    fn unknown_keeps_event_type_and_id() {
        let event = parse_event(br#"{"event":"invoice.paid","id":42,"amount":5}"#).unwrap();
        assert_eq!(
            event,
            PaymentEvent::Unknown {
                provider: PROVIDER,
                event_type: "invoice.paid".into(),
                event_id: Some("42".into()),
            }
        );
        let event = parse_event(br#"{"hello":"world"}"#).unwrap();
        assert_eq!(event.event_id(), None);
        assert!(matches!(event, PaymentEvent::Unknown { ref event_type, .. } if event_type.is_empty()));
    }

    #[test]
    fn direct_path_agrees_with_the_value_path() {
        let bodies: [&[u8]; 14] = [
            include_bytes!("../tests/fixtures/payment_webhook.json"),
            br#"{"id":"P","payment_method":"card","amount":"5","created_at":"x"}"#,
            br#"{"id":"P","payment_method":"card","amount":5,"created_at":"x","event":null}"#,
            br#"{"id":"P","payment_method":"card","amount":5,"created_at":"x","type":"refund"}"#,
            br#"{"id":"P","payment_method":"card","amount":5,"amount":6,"created_at":"x"}"#,
            br#"{"id":"P","id":"Q","payment_method":"card","amount":5,"created_at":"x"}"#,
            br#"{"id":"P","payment_request_id":null,"amount":null,"created_at":"x"}"#,
            br#"{"id":7,"payment_method":"card","amount":5,"created_at":"x"}"#,
            br#"{"id":"P","payment_method":"card","amount":5.5,"created_at":"x"}"#,
            br#"{"id":"P","created_at":"x"}"#,
            br#"[true,true,true,true,true,true]"#,
            br#"["P",null,null,"card",null,5,"x"]"#,
            b"{\"id\":\"P\",\"payment_method\":\"card\",\"amount\":5,\"created_at\":\"x\",\"note\":\"\xff\"}",
            b" ",
        ];
        let mut direct = 0;
        for body in bodies {
            direct += usize::from(parse_payment_directly(body).is_some());
            assert_eq!(
                parse_event(body),
                parse_event_from_value(body),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
        assert!(direct >= 2, "the direct path was taken {direct} times");
    }

    #[test]
    fn non_objects_and_broken_payments_are_malformed() {
        for body in [&b"[1,2]"[..], b"\"x\"", b"null", b"{", b""] {
            assert!(parse_event(body).unwrap_err().is_payload_error());
        }
        let err = parse_event(br#"{"id":"PAY-1","payment_method":"card","amount":1.5,"created_at":"x"}"#).unwrap_err();
        assert!(err.is_payload_error(), "{err}");
    }

    #[test]
    fn acknowledgement_is_finans_documented_reply() {
        let clock = Arc::new(gateway_core::FixedClock::at_unix(1_705_761_005).unwrap());
        let verifier = FinanWebhookVerifier::new("c", SecretString::from("s")).clock(clock);
        let ack = verifier.acknowledgement();
        assert_eq!((ack.status, ack.content_type), (200, "application/json"));
        let body: Value = serde_json::from_str(&ack.body).unwrap();
        assert_eq!(
            body,
            serde_json::json!({
                "status": "success",
                "message": "Payment processed successfully",
                "timestamp": "2024-01-20T14:30:05Z"
            })
        );
    }
}
