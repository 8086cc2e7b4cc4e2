//! SePay's two incoming notifications, as [`WebhookVerifier`]s:
//!
//! - [`SepayBankWebhookVerifier`]: the **bank-transaction webhook** (what most SePay merchants
//!   use). SePay watches the merchant's bank account and POSTs every transfer in or out of it.
//! - [`SepayIpnVerifier`]: the **payment gateway IPN**, sent for orders paid through SePay's
//!   hosted checkout (see [`crate::checkout`]).
//!
//! [`SepayBankWebhookSigner`] and [`SepayIpnSigner`] produce the headers SePay sends, for testing a
//! receiver without SePay.
//!
//! # Bank-transaction webhook
//!
//! ```text
//! POST <the URL set in SePay's WebHooks settings>
//! Authorization: Apikey <API key>
//! Content-Type: application/json
//!
//! {"id":92704,"gateway":"Vietcombank","transactionDate":"2023-03-25 14:02:37",
//!  "accountNumber":"0123499999","code":"DH123","content":"DH123 thanh toan don hang",
//!  "transferType":"in","transferAmount":2277000,"accumulated":19077000,"subAccount":null,
//!  "referenceCode":"MBVCB.3278907687","description":""}
//! ```
//!
//! Choose **"API Key"** authentication in SePay's webhook settings: this verifier checks
//! `Authorization: Apikey <key>`. SePay's other modes (OAuth 2.0, where SePay sends a bearer token
//! it fetched from the merchant; HMAC-SHA256 with `X-SePay-Timestamp`, whose signing string is not
//! officially documented; no authentication) are refused.
//!
//! The API key is a shared secret sent as is in every request, not a signature: it proves the
//! sender knows the key, but nothing protects the body (keep the endpoint HTTPS-only) and the
//! delivery has no timestamp of its own: an optional replay window
//! ([`SepayBankWebhookVerifier::replay_window`]) can only check the bank's `transactionDate`.
//! **Deduplicating on the event id** (SePay's
//! transaction `id`) is what stops a retried or replayed delivery from being credited twice; the
//! receiver must do it. SePay retries up to 7 more times (after 1, 1, 2, 3, 5, 8 and 13 minutes)
//! until it gets a 2xx reply (it documents `{"success": true}`) within 30 s.
//!
//! # Payment gateway IPN
//!
//! ```text
//! POST <the IPN URL set in SePay's payment gateway settings>
//! X-Secret-Key: <secret key>
//! Content-Type: application/json
//!
//! {"timestamp":1757058220,"notification_type":"ORDER_PAID",
//!  "order":{"id":"...","order_id":"...","order_status":"CAPTURED","order_currency":"VND",
//!           "order_amount":"100000.00","order_invoice_number":"DH123",...},
//!  "transaction":{"id":"...","payment_method":"BANK_TRANSFER","transaction_id":"...",
//!                 "transaction_type":"PAYMENT","transaction_date":"2025-09-05 14:43:30",
//!                 "transaction_status":"APPROVED","transaction_amount":"100000",
//!                 "transaction_currency":"VND",...},
//!  "customer":{...}}
//! ```
//!
//! SePay sends `X-Secret-Key` only when the IPN's auth type is set to `SECRET_KEY`; set it. Like
//! the API key above, the secret key is sent as is (HTTPS only). The payload's `timestamp` (Unix
//! seconds, when the notification was sent) gives a replay window; deduplicate on the event id
//! all the same. Reply HTTP 200.
//!
//! SePay publishes field lists and one example of the IPN, not a schema. What this module
//! assumes, and so reads tolerantly (unknown fields ignored, every field but `timestamp` and
//! `notification_type` optional until a mapping needs it, numbers accepted as JSON numbers or
//! numeric strings):
//!
//! - `timestamp` is Unix seconds, a number or a numeric string;
//! - amounts (`order.order_amount`, `transaction.transaction_amount`) are decimal numbers or
//!   strings in the currency's major unit (`"100000.00"` is 100,000 đồng), with the currency in
//!   `order_currency` / `transaction_currency` (VND when absent);
//! - `transaction.transaction_date` is `YYYY-MM-DD HH:MM:SS` in Vietnam time (UTC+07:00), like the
//!   bank webhook's `transactionDate`;
//! - a `TRANSACTION_VOID` carries the voided transaction in `transaction` and its order in
//!   `order`, in the same shape as `ORDER_PAID`.
//!
//! # Example
//!
//! ```
//! use gateway_core::{PaymentEvent, WebhookRequest, WebhookVerifier};
//! use provider_sepay::webhook::{SepayBankWebhookSigner, SepayBankWebhookVerifier};
//! use provider_sepay::SecretString;
//!
//! let key = || SecretString::from("api-key-from-config");
//! let verifier = SepayBankWebhookVerifier::new(key());
//!
//! // What SePay sends (here with the headers produced by the test signer).
//! let body = br#"{"id":92704,"gateway":"Vietcombank","transactionDate":"2023-03-25 14:02:37","accountNumber":"0123499999","code":"DH123","content":"DH123 thanh toan don hang","transferType":"in","transferAmount":2277000,"accumulated":19077000,"subAccount":null,"referenceCode":"MBVCB.3278907687","description":""}"#;
//! let headers = SepayBankWebhookSigner::new(key()).headers();
//!
//! let request = WebhookRequest::new("POST", "/webhooks/sepay", body).with_headers(headers.iter().map(|(n, v)| (n, v)));
//! match verifier.verify(&request) {
//!     Ok(PaymentEvent::PaymentReceived(payment)) => {
//!         assert_eq!(payment.event_id, "92704"); // deduplicate on this
//!         // The payment code SePay found; `SepayBankTransfer::resolve_event` turns it into the
//!         // app's reference id.
//!         assert_eq!(payment.payment_request_id.as_deref(), Some("DH123"));
//!         assert_eq!(payment.reference_id, None);
//!         assert_eq!(payment.amount.to_minor_units(), Ok(2_277_000)); // đồng
//!     }
//!     other => panic!("{other:?}"),
//! }
//! ```

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, FixedOffset, NaiveDateTime};
use gateway_core::lenient;
use gateway_core::webhook::{
    check_replay_window, Clock, PaymentEvent, PaymentReceived, SystemClock, WebhookError, WebhookRequest,
};
use gateway_core::{Currency, Money, PaymentMethod, WebhookVerifier};
use rust_decimal::Decimal;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The provider name in events and errors: `"sepay"`.
pub const PROVIDER: &str = "sepay";
/// The header the bank-transaction webhook authenticates with (`authorization`), holding
/// `Apikey <key>`.
pub const HEADER_AUTHORIZATION: &str = "authorization";
/// The authorization scheme of the bank-transaction webhook: `Apikey` (compared ASCII
/// case-insensitively, as HTTP schemes are).
pub const APIKEY_SCHEME: &str = "Apikey";
/// The header the payment gateway IPN authenticates with (`x-secret-key`), holding the secret key.
pub const HEADER_SECRET_KEY: &str = "x-secret-key";
/// The largest body accepted when no limit is set: 64 KiB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 64 * 1024;
/// How far the IPN's `timestamp` may be from now, either way, when none is set: 300 seconds.
pub const DEFAULT_REPLAY_WINDOW: Duration = Duration::from_secs(300);
/// The `event_type` of the [`PaymentEvent::Unknown`] a bank transfer *out* of the account becomes.
pub const EVENT_TRANSFER_OUT: &str = "transfer_out";

/// SePay's date format: `2023-03-25 14:02:37`.
const SEPAY_DATE_FORMAT: &str = "%Y-%m-%d %H:%M:%S";

const BANK_WHAT: &str = "SePay bank-transaction webhook body";
const IPN_WHAT: &str = "SePay payment gateway IPN body";

const IPN_ORDER_PAID: &str = "ORDER_PAID";
const IPN_RENEWAL_ORDER_PAID: &str = "RENEWAL_ORDER_PAID";
const IPN_TRANSACTION_VOID: &str = "TRANSACTION_VOID";

// ------------------------------------------------------------------------------------------------
// Bank-transaction webhook
// ------------------------------------------------------------------------------------------------

/// Verifies SePay's bank-transaction webhooks (API-key authentication) and parses them into
/// [`PaymentEvent`]s.
///
/// There is no default key: it is the API key entered when the webhook was created in SePay. A
/// verifier built with an empty key rejects every request. `Debug` shows the settings, never the
/// key.
///
/// [`WebhookVerifier::verify`] checks, in this order, stopping at the first failure:
///
/// 1. the body length against [`SepayBankWebhookVerifier::max_body_bytes`]
///    ([`WebhookError::BodyTooLarge`], before anything else);
/// 2. the `Authorization` header is present, non-empty and UTF-8
///    ([`WebhookError::MissingHeader`]`("authorization")`);
/// 3. it is `Apikey <key>` with a non-empty key ([`WebhookError::InvalidHeader`]`("authorization")`
///    otherwise, e.g. for `Bearer ...`, which SePay sends in its OAuth 2.0 mode);
/// 4. the key equals the configured key, compared in constant time (SHA-256 digests of both are
///    compared, so not even the key's length leaks) ([`WebhookError::BadSignature`]);
/// 5. the body is parsed (see below).
///
/// There is no signature over the body and no timestamp of the delivery: a body altered in transit
/// by someone who also holds the key verifies, and so does a replayed delivery unless
/// [`SepayBankWebhookVerifier::replay_window`] is set (checked against the bank's
/// `transactionDate` after step 4; off by default, see there). Serve the endpoint over HTTPS
/// only and deduplicate on the event id (the transaction `id`).
///
/// Parsing, once the request is authentic. The body is JSON, or a form
/// (`Content-Type: application/x-www-form-urlencoded`, which SePay can be set to send; every value
/// is then text, read as the same fields). A `multipart/form-data` body is
/// [`WebhookError::Malformed`]: set the webhook to send JSON.
///
/// - Not JSON (or not a form), or not an object: [`WebhookError::Malformed`].
/// - `transferType` `"in"` (ASCII case ignored): money received,
///   [`PaymentEvent::PaymentReceived`] with
///   - `event_id`: `id` as text (`"92704"`): the same on every retry, so the key to deduplicate on;
///   - `payment_request_id`: `code`, the payment code SePay recognised in the transfer content
///     (set up under "payment code" in SePay), when present and non-empty; otherwise `None`, and
///     the app has to match the transfer itself (see
///     [`SepayBankWebhookVerifier::verify_transaction`] for the content). With
///     [`crate::SepayBankTransfer`], that code is the id of the payment request it created;
///   - `reference_id`: `None`. The transfer carries only the payment code, not the app's
///     reference: [`gateway_core::PaymentProvider::resolve_event`] of the provider that issued
///     the code ([`crate::SepayBankTransfer`]) fills it in from its records;
///   - `amount`: `transferAmount` in đồng (VND), read exactly from the JSON text or string (never
///     through `f64`); a fraction of a đồng or a negative amount is [`WebhookError::Malformed`];
///   - `method`: [`PaymentMethod::BankTransfer`];
///   - `paid_at`: `transactionDate` (`2023-03-25 14:02:37`) at UTC+07:00, or `None` when it does
///     not parse (the payment is still reported).
///
///   A missing `id` or `transferAmount`, or one of the wrong type, is [`WebhookError::Malformed`].
/// - `transferType` `"out"`: money *leaving* the account, which is not a payment received:
///   [`PaymentEvent::Unknown`] with event type [`EVENT_TRANSFER_OUT`] and the `id` as event id.
/// - Any other `transferType`, or none: [`PaymentEvent::Unknown`] with the `transferType` as sent
///   (`""` when absent) and the `id` as event id when there is one.
///
/// The transfer content, account number, bank, balance and bank reference are not part of
/// [`PaymentReceived`]; [`SepayBankWebhookVerifier::verify_transaction`] gives the whole record.
#[derive(Clone)]
pub struct SepayBankWebhookVerifier {
    api_key: SecretString,
    max_body_bytes: usize,
    replay_window: Option<Duration>,
    clock: Arc<dyn Clock>,
}

impl SepayBankWebhookVerifier {
    /// A verifier for `api_key` (the key set as the webhook's "API Key" in SePay), with a 64 KiB
    /// body limit and no replay window.
    pub fn new(api_key: SecretString) -> Self {
        Self {
            api_key,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            replay_window: None,
            clock: Arc::new(SystemClock),
        }
    }

    /// Refuses a delivery whose `transactionDate` (`2023-03-25 14:02:37`, Vietnam time) is more
    /// than `window` from the clock's now, either way, with [`WebhookError::StaleTimestamp`]; an
    /// authentic delivery without a readable `transactionDate` is then [`WebhookError::Malformed`].
    ///
    /// Off by default: the webhook has no timestamp of its own, and `transactionDate` is when the
    /// bank booked the transfer, not when SePay sent it. SePay retries for about 33 minutes (1,
    /// 1, 2, 3, 5, 8, 13 minutes) and banks can report a transfer late, so a window shorter than a
    /// few hours drops real payments. A window limits how long a captured delivery can be
    /// replayed once the receiver's deduplication has forgotten it (after its retention, or a
    /// restart of an in-memory receiver); `Duration::from_secs(24 * 3600)` with a 48-hour
    /// deduplication retention closes that gap.
    pub fn replay_window(mut self, window: Duration) -> Self {
        self.replay_window = Some(window);
        self
    }

    /// The clock the replay window is checked against; default the system clock. Tests pass a
    /// [`gateway_core::FixedClock`].
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// With a replay window set, checks `transactionDate` against it.
    fn check_fresh(&self, json: &[u8]) -> Result<(), WebhookError> {
        let Some(window) = self.replay_window else {
            return Ok(());
        };
        let object = json_object(json, BANK_WHAT)?;
        let booked = match object.get("transactionDate") {
            Some(Value::String(text)) => parse_sepay_date(text),
            _ => None,
        }
        .ok_or_else(|| bank_malformed("a replay window is set, but `transactionDate` is missing or unreadable"))?;
        check_replay_window(self.clock.as_ref(), booked.timestamp(), window)
    }

    /// The largest body accepted, in bytes; default 64 KiB. A longer body is refused with
    /// [`WebhookError::BodyTooLarge`] before any header is read. Also cap the body in the HTTP
    /// server, so it is not read into memory in the first place.
    pub fn max_body_bytes(mut self, max: usize) -> Self {
        self.max_body_bytes = max;
        self
    }

    /// Verifies `request` like [`WebhookVerifier::verify`], then returns the whole transaction
    /// record (transfers in *and* out), for apps that need more than a [`PaymentEvent`]: the
    /// transfer content to find their own order reference when SePay recognised no `code`, the
    /// account that received it, the bank's reference.
    ///
    /// # Errors
    /// The verification failures of [`WebhookVerifier::verify`]; [`WebhookError::Malformed`] when
    /// the body is not a transaction record (including a `transferType` other than `in`/`out`
    /// whose fields do not parse, which [`WebhookVerifier::verify`] would report as
    /// [`PaymentEvent::Unknown`]).
    pub fn verify_transaction(&self, request: &WebhookRequest<'_>) -> Result<SepayBankTransaction, WebhookError> {
        self.authenticate(request)?;
        let json = bank_body_json(request)?;
        self.check_fresh(&json)?;
        parse_bank_transaction(&json)
    }

    fn authenticate(&self, request: &WebhookRequest<'_>) -> Result<(), WebhookError> {
        request.check_body_size(self.max_body_bytes)?;
        let authorization = request.required_header(HEADER_AUTHORIZATION)?;
        let key = apikey_credential(authorization)?;
        if secret_matches(key, &self.api_key) {
            Ok(())
        } else {
            Err(WebhookError::BadSignature)
        }
    }
}

impl fmt::Debug for SepayBankWebhookVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SepayBankWebhookVerifier")
            .field("api_key", &"[REDACTED]")
            .field("max_body_bytes", &self.max_body_bytes)
            .field("replay_window", &self.replay_window)
            .finish()
    }
}

impl gateway_core::Provider for SepayBankWebhookVerifier {
    fn provider_name(&self) -> &'static str {
        PROVIDER
    }
}

impl WebhookVerifier for SepayBankWebhookVerifier {
    fn verify(&self, request: &WebhookRequest<'_>) -> Result<PaymentEvent, WebhookError> {
        self.authenticate(request)?;
        let json = bank_body_json(request)?;
        self.check_fresh(&json)?;
        parse_bank_event(&json)
    }
}

/// One bank transaction as SePay's bank-transaction webhook reports it (from
/// [`SepayBankWebhookVerifier::verify_transaction`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SepayBankTransaction {
    /// SePay's id of the transaction (`id`, as text): the same on every retry; deduplicate on it.
    pub id: String,
    /// The bank's name as SePay gives it (`gateway`, e.g. `"Vietcombank"`); `""` when absent.
    pub gateway: String,
    /// When the bank recorded the transfer (`transactionDate`, Vietnam time, UTC+07:00), or
    /// `None` when absent or not in SePay's `YYYY-MM-DD HH:MM:SS` format (nor RFC 3339).
    pub transaction_date: Option<DateTime<FixedOffset>>,
    /// The bank account number the transfer went to or came from (`accountNumber`); `""` when
    /// absent.
    pub account_number: String,
    /// The payment code SePay recognised in the content (`code`), when it found one.
    pub code: Option<String>,
    /// The transfer content (remark) as the payer typed it (`content`); `""` when absent.
    pub content: String,
    /// `transferType` as sent: `"in"` (money received) or `"out"` (money sent).
    pub transfer_type: String,
    /// The amount transferred (`transferAmount`), in đồng (VND), whole.
    pub transfer_amount: Money,
    /// The account balance after the transfer (`accumulated`), in VND, when SePay sends a number
    /// (a value that is not one is dropped rather than failing the delivery).
    pub accumulated: Option<Money>,
    /// The sub-account (virtual account) the transfer went to (`subAccount`), when any.
    pub sub_account: Option<String>,
    /// The bank's reference of the transfer (`referenceCode`, e.g. `"MBVCB.3278907687"`).
    pub reference_code: Option<String>,
    /// The full bank statement line (`description`); `""` when absent.
    pub description: String,
}

impl SepayBankTransaction {
    /// True for money received (`transferType` `"in"`, ASCII case ignored).
    pub fn is_incoming(&self) -> bool {
        self.transfer_type.trim().eq_ignore_ascii_case("in")
    }

    /// True for money sent (`transferType` `"out"`, ASCII case ignored).
    pub fn is_outgoing(&self) -> bool {
        self.transfer_type.trim().eq_ignore_ascii_case("out")
    }

    /// The [`PaymentReceived`] this transaction is, as [`SepayBankWebhookVerifier`] maps it;
    /// `None` for a transfer that is not incoming.
    pub fn to_payment_received(&self) -> Option<PaymentReceived> {
        self.is_incoming().then(|| self.payment_received())
    }

    /// The mapping itself, whatever the direction.
    fn payment_received(&self) -> PaymentReceived {
        let mut payment = PaymentReceived::new(PROVIDER, self.id.clone(), self.transfer_amount);
        payment.payment_request_id = self.code.clone();
        payment.method = Some(PaymentMethod::BankTransfer);
        payment.paid_at = self.transaction_date;
        payment
    }
}

/// Produces the headers SePay sends with a bank-transaction webhook in "API Key" mode, so an app
/// can test its receiver without SePay. A test helper: not needed in production.
///
/// `Debug` never shows the key.
///
/// ```
/// use provider_sepay::{webhook::SepayBankWebhookSigner, SecretString};
///
/// let headers = SepayBankWebhookSigner::new(SecretString::from("k3y")).headers();
/// assert_eq!(headers[0], ("authorization".to_string(), "Apikey k3y".to_string()));
/// assert_eq!(headers[1], ("content-type".to_string(), "application/json".to_string()));
/// ```
#[derive(Clone)]
pub struct SepayBankWebhookSigner {
    api_key: SecretString,
}

impl SepayBankWebhookSigner {
    /// A signer for `api_key`.
    pub fn new(api_key: SecretString) -> Self {
        Self { api_key }
    }

    /// The headers of a JSON delivery, in this order: `authorization: Apikey <key>`,
    /// `content-type: application/json` (lowercase names).
    pub fn headers(&self) -> Vec<(String, String)> {
        vec![
            (
                HEADER_AUTHORIZATION.to_string(),
                format!("{APIKEY_SCHEME} {}", self.api_key.expose_secret()),
            ),
            ("content-type".to_string(), "application/json".to_string()),
        ]
    }
}

impl fmt::Debug for SepayBankWebhookSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SepayBankWebhookSigner")
            .field("api_key", &"[REDACTED]")
            .finish()
    }
}

/// The bank webhook's body as it arrives (only what the mapping reads; every other field is
/// ignored).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BankWire {
    #[serde(deserialize_with = "lenient::string_or_number")]
    id: String,
    #[serde(default, deserialize_with = "lenient::option_string_or_number")]
    gateway: Option<String>,
    #[serde(default, deserialize_with = "lenient::option_string_or_number")]
    transaction_date: Option<String>,
    #[serde(default, deserialize_with = "lenient::option_string_or_number")]
    account_number: Option<String>,
    #[serde(default, deserialize_with = "lenient::option_string_or_number")]
    code: Option<String>,
    #[serde(default, deserialize_with = "lenient::option_string_or_number")]
    content: Option<String>,
    #[serde(default, deserialize_with = "lenient::option_string_or_number")]
    transfer_type: Option<String>,
    #[serde(deserialize_with = "lenient::decimal")]
    transfer_amount: Decimal,
    #[serde(default, deserialize_with = "tolerant_decimal")]
    accumulated: Option<Decimal>,
    #[serde(default, deserialize_with = "lenient::option_string_or_number")]
    sub_account: Option<String>,
    #[serde(default, deserialize_with = "lenient::option_string_or_number")]
    reference_code: Option<String>,
    #[serde(default, deserialize_with = "lenient::option_string_or_number")]
    description: Option<String>,
}

/// `Authorization: Apikey <key>` → `<key>`.
fn apikey_credential(authorization: &str) -> Result<&str, WebhookError> {
    let invalid = WebhookError::InvalidHeader(HEADER_AUTHORIZATION);
    let (scheme, rest) = authorization
        .split_once(|c: char| c.is_ascii_whitespace())
        .ok_or(invalid.clone())?;
    let key = rest.trim();
    if !scheme.eq_ignore_ascii_case(APIKEY_SCHEME) || key.is_empty() {
        return Err(invalid);
    }
    Ok(key)
}

/// The body as JSON bytes: the body itself, or a form body converted to a JSON object of strings.
fn bank_body_json<'a>(request: &WebhookRequest<'a>) -> Result<Cow<'a, [u8]>, WebhookError> {
    let media_type = request
        .header("content-type")
        .map(|value| value.split(';').next().unwrap_or("").trim().to_ascii_lowercase())
        .unwrap_or_default();
    match media_type.as_str() {
        "application/x-www-form-urlencoded" => form_to_json(request.body).map(Cow::Owned),
        "multipart/form-data" => Err(bank_malformed(
            "multipart/form-data bodies are not supported; set the webhook to send JSON",
        )),
        _ => Ok(Cow::Borrowed(request.body)),
    }
}

/// `a=1&b=x` → `{"a":"1","b":"x"}`; for a repeated name the first value is kept.
fn form_to_json(body: &[u8]) -> Result<Vec<u8>, WebhookError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body)
        .map_err(|e| bank_malformed(format!("not a form body: {e} (or set the webhook to send JSON)")))?;
    let mut object = Map::new();
    for (name, value) in pairs {
        object.entry(name).or_insert(Value::String(value));
    }
    serde_json::to_vec(&Value::Object(object)).map_err(|e| bank_malformed(e.to_string()))
}

fn bank_malformed(message: impl Into<String>) -> WebhookError {
    malformed(BANK_WHAT, message)
}

/// The event in an authentic bank-webhook body (see [`SepayBankWebhookVerifier`]).
fn parse_bank_event(json: &[u8]) -> Result<PaymentEvent, WebhookError> {
    if let Some(wire) = incoming_wire_directly(json) {
        let transaction = bank_transaction_from_wire(wire)?;
        return Ok(PaymentEvent::PaymentReceived(transaction.payment_received()));
    }
    parse_bank_event_from_value(json)
}

/// [`parse_bank_event`] through a `serde_json::Value`: every body that is not a well-formed
/// incoming transfer, with the exact error or [`PaymentEvent::Unknown`] it gets.
fn parse_bank_event_from_value(json: &[u8]) -> Result<PaymentEvent, WebhookError> {
    let object = json_object(json, BANK_WHAT)?;
    let transfer_type = match object.get("transferType") {
        Some(Value::String(text)) => text.trim().to_string(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    };
    let event_id = value_id(object.get("id"));
    if transfer_type.eq_ignore_ascii_case("in") {
        let transaction = bank_transaction_from_json(json)?;
        return Ok(PaymentEvent::PaymentReceived(transaction.payment_received()));
    }
    let event_type = if transfer_type.eq_ignore_ascii_case("out") {
        EVENT_TRANSFER_OUT.to_string()
    } else {
        transfer_type
    };
    Ok(PaymentEvent::Unknown {
        provider: PROVIDER,
        event_type,
        event_id,
    })
}

fn parse_bank_transaction(json: &[u8]) -> Result<SepayBankTransaction, WebhookError> {
    // Reject non-objects with the same wording as `parse_bank_event`.
    json_object(json, BANK_WHAT)?;
    bank_transaction_from_json(json)
}

/// The common case, money received (`transferType` `in`), read straight into [`BankWire`]
/// without building a `serde_json::Value` first (that tree, built and dropped, cost more than the
/// rest of the verification). `None` for anything else (not UTF-8, not an object, another
/// transfer type, a field that does not fit): the `Value` path then decides, as it always did,
/// and reaches the same [`BankWire`] for an incoming transfer.
fn incoming_wire_directly(json: &[u8]) -> Option<BankWire> {
    let wire: BankWire = from_object_text(json)?;
    let incoming = wire
        .transfer_type
        .as_deref()
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("in"));
    incoming.then_some(wire)
}

/// The transaction in a body already known to be a JSON object.
fn bank_transaction_from_json(json: &[u8]) -> Result<SepayBankTransaction, WebhookError> {
    let wire: BankWire = serde_json::from_slice(json).map_err(|e| bank_malformed(e.to_string()))?;
    bank_transaction_from_wire(wire)
}

fn bank_transaction_from_wire(wire: BankWire) -> Result<SepayBankTransaction, WebhookError> {
    let id = wire.id.trim().to_string();
    if id.is_empty() {
        return Err(bank_malformed("`id` is empty"));
    }
    let transfer_amount = whole_amount(wire.transfer_amount, Currency::VND, "transferAmount", BANK_WHAT)?;
    Ok(SepayBankTransaction {
        id,
        gateway: wire.gateway.unwrap_or_default(),
        transaction_date: wire.transaction_date.as_deref().and_then(parse_sepay_date),
        account_number: wire.account_number.unwrap_or_default(),
        code: non_empty(wire.code),
        content: wire.content.unwrap_or_default(),
        transfer_type: wire.transfer_type.unwrap_or_default(),
        transfer_amount,
        accumulated: wire.accumulated.map(|balance| Money::new(balance, Currency::VND)),
        sub_account: non_empty(wire.sub_account),
        reference_code: non_empty(wire.reference_code),
        description: wire.description.unwrap_or_default(),
    })
}

// ------------------------------------------------------------------------------------------------
// Payment gateway IPN
// ------------------------------------------------------------------------------------------------

/// Verifies SePay payment gateway IPNs (`X-Secret-Key` authentication) and parses them into
/// [`PaymentEvent`]s.
///
/// There is no default secret: it is the secret key of the IPN settings (auth type `SECRET_KEY`).
/// A verifier built with an empty key rejects every request. `Debug` shows the settings, never
/// the key.
///
/// [`WebhookVerifier::verify`] checks, in this order, stopping at the first failure:
///
/// 1. the body length against [`SepayIpnVerifier::max_body_bytes`]
///    ([`WebhookError::BodyTooLarge`], before anything else);
/// 2. the `X-Secret-Key` header is present, non-empty and UTF-8
///    ([`WebhookError::MissingHeader`]`("x-secret-key")`);
/// 3. it equals the configured key, compared in constant time (SHA-256 digests of both are
///    compared, so not even the key's length leaks) ([`WebhookError::BadSignature`]);
/// 4. the body is a JSON object with a `timestamp` (Unix seconds, as a JSON integer or a string of
///    digits) ([`WebhookError::Malformed`] otherwise: the request is authentic, its body is not
///    the documented one);
/// 5. the timestamp is at most the replay window away from the clock's now, in the past or the
///    future ([`WebhookError::StaleTimestamp`]);
/// 6. the body is mapped (see below).
///
/// As with the bank webhook, the key is not a signature over the body; the replay window limits
/// how long a captured delivery can be replayed, and deduplicating on the event id stops a replay
/// inside it.
///
/// Mapping, by `notification_type`:
///
/// - `ORDER_PAID`, `RENEWAL_ORDER_PAID`: [`PaymentEvent::PaymentReceived`] with
///   - `event_id`: the transaction's `id` (else its `transaction_id`); without a transaction,
///     `<order id>:<notification_type>`. A renewal is a new transaction of the same order, so it
///     gets its own event id;
///   - `reference_id`: `order.order_invoice_number` (the app's invoice number from the checkout
///     form);
///   - `payment_request_id`: also `order.order_invoice_number`: the id of the payment request
///     that [`crate::SepayPaymentGateway`] gave it (a checkout payment is known by its invoice
///     number, so [`gateway_core::PaymentProvider::get_payment`] takes it), not SePay's internal
///     order id;
///   - `amount`: `transaction.transaction_amount` (the money that moved), else
///     `order.order_amount`, exactly, in the matching `*_currency` (VND when absent); a fraction of
///     the currency's minor unit (of a đồng) or a negative amount is [`WebhookError::Malformed`],
///     and so is no amount at all;
///   - `method`: from `transaction.payment_method`: `CARD` → [`PaymentMethod::Card`],
///     `BANK_TRANSFER` and `NAPAS_BANK_TRANSFER` → [`PaymentMethod::BankTransfer`], anything else
///     → `None`;
///   - `paid_at`: `transaction.transaction_date` at UTC+07:00, when present and parseable.
/// - `TRANSACTION_VOID`: [`PaymentEvent::TransactionVoided`] with `event_id`
///   `<transaction id>:TRANSACTION_VOID` (never equal to the event id of the payment it voids,
///   even when SePay reports the voided transaction itself, so a deduplicating receiver does not
///   drop it), `reference_id` and `amount` as above (`amount` `None` when absent).
/// - A missing or any other `notification_type`: [`PaymentEvent::Unknown`] with the type as sent
///   (`""` when absent) and event id `<transaction or order id>:<type>` when there is an id.
///
/// A payment or void without any transaction or order id is [`WebhookError::Malformed`] (there
/// would be nothing to deduplicate on). `customer` is not read.
#[derive(Clone)]
pub struct SepayIpnVerifier {
    secret_key: SecretString,
    replay_window: Duration,
    max_body_bytes: usize,
    clock: Arc<dyn Clock>,
}

impl SepayIpnVerifier {
    /// A verifier for `secret_key` (compared with `X-Secret-Key`), with a 300 s replay window, a
    /// 64 KiB body limit and the system clock.
    pub fn new(secret_key: SecretString) -> Self {
        Self {
            secret_key,
            replay_window: DEFAULT_REPLAY_WINDOW,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            clock: Arc::new(SystemClock),
        }
    }

    /// How far the payload's `timestamp` may be from now, in the past or the future (whole
    /// seconds; a fraction is dropped); default 300 s. A timestamp exactly this far away passes.
    ///
    /// SePay does not document whether a redelivered IPN carries a new `timestamp` or the
    /// original one. If it is the original, a redelivery later than the window is refused
    /// ([`WebhookError::StaleTimestamp`]); a receiver that may be down for longer should widen the
    /// window (deduplication on the event id still stops double credits) or reconcile through
    /// SePay's order API.
    pub fn replay_window(mut self, window: Duration) -> Self {
        self.replay_window = window;
        self
    }

    /// The largest body accepted, in bytes; default 64 KiB. A longer body is refused with
    /// [`WebhookError::BodyTooLarge`] before any header is read. Also cap the body in the HTTP
    /// server, so it is not read into memory in the first place.
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
}

impl fmt::Debug for SepayIpnVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SepayIpnVerifier")
            .field("secret_key", &"[REDACTED]")
            .field("replay_window", &self.replay_window)
            .field("max_body_bytes", &self.max_body_bytes)
            .finish_non_exhaustive()
    }
}

impl gateway_core::Provider for SepayIpnVerifier {
    fn provider_name(&self) -> &'static str {
        PROVIDER
    }
}

impl WebhookVerifier for SepayIpnVerifier {
    fn verify(&self, request: &WebhookRequest<'_>) -> Result<PaymentEvent, WebhookError> {
        request.check_body_size(self.max_body_bytes)?;
        let key = request.required_header(HEADER_SECRET_KEY)?;
        if !secret_matches(key, &self.secret_key) {
            return Err(WebhookError::BadSignature);
        }

        if let Some(direct) = ipn_directly(request.body) {
            let timestamp = ipn_timestamp(direct.timestamp.as_ref())?;
            check_replay_window(self.clock.as_ref(), timestamp, self.replay_window)?;
            return map_ipn_event(direct.notification_type, direct.wire);
        }

        let object = json_object(request.body, IPN_WHAT)?;
        let timestamp = ipn_timestamp(object.get("timestamp"))?;
        check_replay_window(self.clock.as_ref(), timestamp, self.replay_window)?;

        parse_ipn_event(request.body, &object)
    }
}

/// Produces the headers SePay sends with a payment gateway IPN (auth type `SECRET_KEY`), so an app
/// can test its receiver without SePay. A test helper: not needed in production. The body's
/// `timestamp` is the caller's to set (for the replay window).
///
/// `Debug` never shows the key.
///
/// ```
/// use provider_sepay::{webhook::SepayIpnSigner, SecretString};
///
/// let headers = SepayIpnSigner::new(SecretString::from("s3cret")).headers();
/// assert_eq!(headers[0], ("x-secret-key".to_string(), "s3cret".to_string()));
/// assert_eq!(headers[1], ("content-type".to_string(), "application/json".to_string()));
/// ```
#[derive(Clone)]
pub struct SepayIpnSigner {
    secret_key: SecretString,
}

impl SepayIpnSigner {
    /// A signer for `secret_key`.
    pub fn new(secret_key: SecretString) -> Self {
        Self { secret_key }
    }

    /// The headers of an IPN, in this order: `x-secret-key: <secret key>`,
    /// `content-type: application/json` (lowercase names).
    pub fn headers(&self) -> Vec<(String, String)> {
        vec![
            (
                HEADER_SECRET_KEY.to_string(),
                self.secret_key.expose_secret().to_string(),
            ),
            ("content-type".to_string(), "application/json".to_string()),
        ]
    }
}

impl fmt::Debug for SepayIpnSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SepayIpnSigner")
            .field("secret_key", &"[REDACTED]")
            .finish()
    }
}

/// The IPN body as it arrives: only what the mapping reads, everything optional.
#[derive(Deserialize, Default)]
struct IpnWire {
    #[serde(default)]
    order: Option<IpnOrder>,
    #[serde(default)]
    transaction: Option<IpnTransaction>,
}

#[derive(Deserialize, Default)]
struct IpnOrder {
    #[serde(default, deserialize_with = "lenient::option_string_or_number")]
    id: Option<String>,
    #[serde(default, deserialize_with = "lenient::option_string_or_number")]
    order_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::option_string_or_number")]
    order_currency: Option<String>,
    #[serde(default, deserialize_with = "lenient::option_decimal")]
    order_amount: Option<Decimal>,
    #[serde(default, deserialize_with = "lenient::option_string_or_number")]
    order_invoice_number: Option<String>,
}

#[derive(Deserialize, Default)]
struct IpnTransaction {
    #[serde(default, deserialize_with = "lenient::option_string_or_number")]
    id: Option<String>,
    #[serde(default, deserialize_with = "lenient::option_string_or_number")]
    transaction_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::option_string_or_number")]
    payment_method: Option<String>,
    #[serde(default, deserialize_with = "lenient::option_string_or_number")]
    transaction_date: Option<String>,
    #[serde(default, deserialize_with = "lenient::option_decimal")]
    transaction_amount: Option<Decimal>,
    #[serde(default, deserialize_with = "lenient::option_string_or_number")]
    transaction_currency: Option<String>,
}

/// An IPN of a known type read straight into [`IpnWire`] (see [`ipn_directly`]).
struct IpnDirect {
    timestamp: Option<Value>,
    notification_type: String,
    wire: IpnWire,
}

/// [`IpnWire`] plus the two fields the `Value` path reads from the object (a `null` reads as absent
/// there too).
#[derive(Deserialize)]
struct IpnDirectWire {
    #[serde(default)]
    timestamp: Option<Value>,
    #[serde(default)]
    notification_type: Option<Value>,
    #[serde(default)]
    order: Option<IpnOrder>,
    #[serde(default)]
    transaction: Option<IpnTransaction>,
}

/// The common case, an IPN of a known `notification_type`, read in one pass without building a
/// `serde_json::Value` of the whole body first (which cost more than the rest of the
/// verification). `None` for anything else (not UTF-8, not an object, an unknown type, a field
/// that does not fit): the `Value` path then decides, as it always did; for a known type it reads
/// the same fields from the same bytes.
fn ipn_directly(body: &[u8]) -> Option<IpnDirect> {
    let direct: IpnDirectWire = from_object_text(body)?;
    let notification_type = notification_type_text(direct.notification_type.as_ref());
    let known = [IPN_ORDER_PAID, IPN_RENEWAL_ORDER_PAID, IPN_TRANSACTION_VOID].contains(&notification_type.as_str());
    known.then_some(IpnDirect {
        timestamp: direct.timestamp,
        notification_type,
        wire: IpnWire {
            order: direct.order,
            transaction: direct.transaction,
        },
    })
}

/// `notification_type` as the events carry it: a string trimmed, `""` when absent or `null`, any
/// other JSON as its text.
fn notification_type_text(value: Option<&Value>) -> String {
    match value {
        Some(Value::String(text)) => text.trim().to_string(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

fn ipn_malformed(message: impl Into<String>) -> WebhookError {
    malformed(IPN_WHAT, message)
}

/// Unix seconds from a JSON integer or a string of ASCII digits.
fn ipn_timestamp(value: Option<&Value>) -> Result<i64, WebhookError> {
    let parsed = match value {
        Some(Value::Number(number)) => number.as_i64(),
        Some(Value::String(text)) => {
            let text = text.trim();
            if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
                text.parse().ok()
            } else {
                None
            }
        }
        _ => None,
    };
    parsed.ok_or_else(|| match value {
        None | Some(Value::Null) => ipn_malformed("no `timestamp`: the notification's freshness cannot be checked"),
        Some(other) => ipn_malformed(format!("`timestamp` is not Unix seconds but {}", json_kind(other))),
    })
}

/// The event in an authentic, fresh IPN (see [`SepayIpnVerifier`]).
fn parse_ipn_event(body: &[u8], object: &Map<String, Value>) -> Result<PaymentEvent, WebhookError> {
    let notification_type = notification_type_text(object.get("notification_type"));
    let known = [IPN_ORDER_PAID, IPN_RENEWAL_ORDER_PAID, IPN_TRANSACTION_VOID].contains(&notification_type.as_str());
    if !known {
        let event_id = ipn_loose_id(object).map(|id| format!("{id}:{notification_type}"));
        return Ok(PaymentEvent::Unknown {
            provider: PROVIDER,
            event_type: notification_type,
            event_id,
        });
    }

    // Decimals are read from the JSON text, so parse the body itself (not the `Value`).
    let wire: IpnWire = serde_json::from_slice(body).map_err(|e| ipn_malformed(e.to_string()))?;
    map_ipn_event(notification_type, wire)
}

/// The event of an IPN of a known `notification_type`.
fn map_ipn_event(notification_type: String, wire: IpnWire) -> Result<PaymentEvent, WebhookError> {
    let order = wire.order.unwrap_or_default();
    let transaction = wire.transaction.unwrap_or_default();

    let transaction_id = non_empty(transaction.id.clone()).or_else(|| non_empty(transaction.transaction_id.clone()));
    let order_id = non_empty(order.id.clone()).or_else(|| non_empty(order.order_id.clone()));
    let reference_id = non_empty(order.order_invoice_number.clone());
    let amount = ipn_amount(&order, &transaction)?;

    if notification_type == IPN_TRANSACTION_VOID {
        let base = transaction_id
            .or(order_id)
            .ok_or_else(|| ipn_malformed("a TRANSACTION_VOID without a transaction or order id"))?;
        return Ok(PaymentEvent::TransactionVoided {
            event_id: format!("{base}:{notification_type}"),
            reference_id,
            amount,
            provider: PROVIDER,
        });
    }

    let event_id = match (&transaction_id, &order_id) {
        (Some(id), _) => id.clone(),
        (None, Some(order)) => format!("{order}:{notification_type}"),
        (None, None) => {
            return Err(ipn_malformed(format!(
                "a {notification_type} without a transaction or order id"
            )))
        }
    };
    let amount = amount.ok_or_else(|| {
        ipn_malformed(format!(
            "a {notification_type} without `transaction.transaction_amount` or `order.order_amount`"
        ))
    })?;
    let mut payment = PaymentReceived::new(PROVIDER, event_id, amount);
    payment.payment_request_id = reference_id.clone();
    payment.reference_id = reference_id;
    payment.method = transaction.payment_method.as_deref().and_then(ipn_method);
    payment.paid_at = transaction.transaction_date.as_deref().and_then(parse_sepay_date);
    Ok(PaymentEvent::PaymentReceived(payment))
}

/// The transaction amount in its currency, else the order amount in its currency; `None` when
/// neither is there.
fn ipn_amount(order: &IpnOrder, transaction: &IpnTransaction) -> Result<Option<Money>, WebhookError> {
    let (amount, currency, field) = match (transaction.transaction_amount, order.order_amount) {
        (Some(amount), _) => (
            amount,
            transaction.transaction_currency.as_deref(),
            "transaction.transaction_amount",
        ),
        (None, Some(amount)) => (amount, order.order_currency.as_deref(), "order.order_amount"),
        (None, None) => return Ok(None),
    };
    let currency = match currency.map(str::trim).filter(|code| !code.is_empty()) {
        None => Currency::VND,
        Some(code) => code
            .parse::<Currency>()
            .map_err(|_| ipn_malformed(format!("unknown currency {code:?} of {field}")))?,
    };
    whole_amount(amount, currency, field, IPN_WHAT).map(Some)
}

/// SePay's payment method names in core terms.
fn ipn_method(method: &str) -> Option<PaymentMethod> {
    match method.trim().to_ascii_uppercase().as_str() {
        "CARD" => Some(PaymentMethod::Card),
        "BANK_TRANSFER" | "NAPAS_BANK_TRANSFER" => Some(PaymentMethod::BankTransfer),
        _ => None,
    }
}

/// The first id of `transaction.id`, `transaction.transaction_id`, `order.id`, `order.order_id`,
/// read loosely from the `Value` (for events that are not otherwise parsed).
fn ipn_loose_id(object: &Map<String, Value>) -> Option<String> {
    [
        ("transaction", "id"),
        ("transaction", "transaction_id"),
        ("order", "id"),
        ("order", "order_id"),
    ]
    .iter()
    .find_map(|(outer, inner)| value_id(object.get(*outer).and_then(|o| o.get(*inner))))
}

// ------------------------------------------------------------------------------------------------
// Shared
// ------------------------------------------------------------------------------------------------

/// Constant-time comparison of a received key with the configured one. Both are hashed first, so
/// the comparison always looks at 32 bytes and the key's length does not leak. An empty
/// configured key matches nothing (fail closed).
fn secret_matches(received: &str, expected: &SecretString) -> bool {
    let expected = expected.expose_secret();
    if expected.is_empty() {
        return false;
    }
    let received = Sha256::digest(received.as_bytes());
    let expected = Sha256::digest(expected.as_bytes());
    bool::from(received.as_slice().ct_eq(expected.as_slice()))
}

fn malformed(what: &str, message: impl Into<String>) -> WebhookError {
    WebhookError::Malformed {
        what: what.to_string(),
        message: message.into(),
    }
}

/// The body as a JSON object, or [`WebhookError::Malformed`].
/// `json` as `T` when it is UTF-8 text holding a JSON object that fits `T`; `None` otherwise. For
/// the direct paths, whose callers fall back to the `Value` path on `None`. Unlike a
/// `serde_json::Value`, a struct skips the fields it does not read; checking UTF-8 first keeps a
/// body that is not text from passing through them.
fn from_object_text<T: serde::de::DeserializeOwned>(json: &[u8]) -> Option<T> {
    let text = std::str::from_utf8(json).ok()?;
    // A derived struct would also accept an array, which is not a payload.
    if !text.trim_start().starts_with('{') {
        return None;
    }
    serde_json::from_str(text).ok()
}

fn json_object(json: &[u8], what: &str) -> Result<Map<String, Value>, WebhookError> {
    match serde_json::from_slice(json) {
        Ok(Value::Object(object)) => Ok(object),
        Ok(other) => Err(malformed(what, format!("not a JSON object but {}", json_kind(&other)))),
        Err(e) => Err(malformed(what, format!("not JSON: {e}"))),
    }
}

/// A whole, non-negative amount of `currency`; `field` names it in the error.
fn whole_amount(amount: Decimal, currency: Currency, field: &str, what: &str) -> Result<Money, WebhookError> {
    if amount.is_sign_negative() && !amount.is_zero() {
        return Err(malformed(what, format!("`{field}` {amount} is negative")));
    }
    let minor = Money::new(amount, currency).to_minor_units().map_err(|_| {
        let unit = if currency == Currency::VND {
            "đồng".to_string()
        } else {
            format!("{currency} minor units")
        };
        malformed(what, format!("`{field}` {amount} is not a whole number of {unit}"))
    })?;
    Ok(Money::from_minor_units(minor, currency))
}

/// `2023-03-25 14:02:37` at UTC+07:00 (SePay's format), or an RFC 3339 date with its own offset.
fn parse_sepay_date(text: &str) -> Option<DateTime<FixedOffset>> {
    let text = text.trim();
    let vietnam = crate::mapping::vietnam();
    NaiveDateTime::parse_from_str(text, SEPAY_DATE_FORMAT)
        .ok()
        .and_then(|naive| naive.and_local_timezone(vietnam).single())
        .or_else(|| DateTime::parse_from_rfc3339(text).ok())
}

/// An id from a JSON string or integer; `None` for anything else or an empty string.
fn value_id(value: Option<&Value>) -> Option<String> {
    match value {
        Some(Value::String(id)) => non_empty(Some(id.clone())),
        Some(Value::Number(id)) if id.is_i64() || id.is_u64() => Some(id.to_string()),
        _ => None,
    }
}

/// `Some("")` (and whitespace only) → `None`; otherwise trimmed.
fn non_empty(text: Option<String>) -> Option<String> {
    text.map(|t| t.trim().to_string()).filter(|t| !t.is_empty())
}

/// An optional decimal that drops a value it cannot read instead of failing the whole body (for
/// fields nothing depends on, like the account balance).
fn tolerant_decimal<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Decimal>, D::Error> {
    let raw = Option::<Box<serde_json::value::RawValue>>::deserialize(deserializer)?;
    Ok(raw.and_then(|raw| {
        let mut inner = serde_json::Deserializer::from_str(raw.get());
        lenient::option_decimal(&mut inner).ok().flatten()
    }))
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
    fn apikey_header_forms() {
        assert_eq!(apikey_credential("Apikey abc"), Ok("abc"));
        assert_eq!(apikey_credential("apikey   abc "), Ok("abc"));
        assert_eq!(apikey_credential("APIKEY\tabc"), Ok("abc"));
        for bad in ["Bearer abc", "Apikey", "Apikey ", "abc", "Basic YWJj", "Apikeyabc"] {
            assert_eq!(
                apikey_credential(bad),
                Err(WebhookError::InvalidHeader(HEADER_AUTHORIZATION)),
                "{bad}"
            );
        }
    }

    /// Bodies on both sides of the direct paths' guards: each must give what the `Value` path gives.
    const EDGE_BODIES: [&[u8]; 18] = [
        br#"{"id":1,"transferType":"in","transferAmount":5,"timestamp":1757058220,"notification_type":"REFUND","transaction":{"id":"t","transaction_amount":"5"}}"#,
        br#"{"id":1,"transferType":"In","transferAmount":5,"timestamp":1757058220,"order":{"id":"o"}}"#,
        br#"{"id":1,"transferType":"in","transferAmount":5,"timestamp":1757058220,"notification_type":"ORDER_PAID","transaction":{"id":"t","transaction_amount":"5"}}"#,
        br#"{"id":1,"transferType":" IN ","transferAmount":"5","timestamp":"1757058220","notification_type":"ORDER_PAID","order":{"id":"o","order_amount":"5.00"}}"#,
        br#"{"id":1,"transferType":"in","transferAmount":5.5,"timestamp":1757058220,"notification_type":"ORDER_PAID","transaction":{"id":"t","transaction_amount":"5.5"}}"#,
        br#"{"id":"","transferType":"in","transferAmount":5,"timestamp":null,"notification_type":"TRANSACTION_VOID","transaction":{"id":"t"}}"#,
        br#"{"id":1,"transferType":"in","transferType":"out","transferAmount":5,"timestamp":1,"timestamp":1757058220,"notification_type":"ORDER_PAID","transaction":{"id":"t","transaction_amount":"5"}}"#,
        br#"{"id":1,"transferType":"out","transferAmount":5,"timestamp":1757058220,"notification_type":"RENEWAL_ORDER_PAID","order":{"order_id":"o","order_amount":"5"}}"#,
        br#"{"id":1,"transferType":null,"transferAmount":5,"timestamp":1757058220.5,"notification_type":null}"#,
        br#"{"id":1,"transferType":7,"transferAmount":5,"timestamp":[1],"notification_type":7,"order":{"id":9}}"#,
        br#"{"id":1,"transferType":"in","timestamp":1757058220,"notification_type":"ORDER_PAID"}"#,
        br#"{"transferType":"in","transferAmount":5,"timestamp":1757058220,"notification_type":"ORDER_PAID","order":null,"transaction":null}"#,
        br#"{"id":1,"transferType":"in","transferAmount":5,"timestamp":1757058220,"notification_type":"ORDER_PAID","transaction":{"id":"t","transaction_amount":"5","transaction_currency":"XYZ"}}"#,
        br#"[{"id":1,"transferType":"in","transferAmount":5}]"#,
        br#"["1",null,null,null,null,null,"in",5]"#,
        br#""in""#,
        b"{\"id\":1,\"transferType\":\"in\",\"transferAmount\":5,\"timestamp\":1757058220,\"notification_type\":\"ORDER_PAID\",\"transaction\":{\"id\":\"t\",\"transaction_amount\":\"5\"},\"x\":\"\xff\"}",
        b"",
    ];

    #[test]
    fn bank_direct_path_agrees_with_the_value_path() {
        let fixtures = [
            &include_bytes!("../tests/fixtures/webhooks/bank_transaction_in.json")[..],
            include_bytes!("../tests/fixtures/webhooks/bank_transaction_out.json"),
        ];
        let mut direct = 0;
        for body in fixtures.into_iter().chain(EDGE_BODIES) {
            direct += usize::from(incoming_wire_directly(body).is_some());
            assert_eq!(
                parse_bank_event(body),
                parse_bank_event_from_value(body),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
        assert!(direct >= 3, "the direct path was taken {direct} times");
    }

    #[test]
    fn ipn_direct_path_agrees_with_the_value_path() {
        let fixtures = [
            &include_bytes!("../tests/fixtures/webhooks/ipn_order_paid.json")[..],
            include_bytes!("../tests/fixtures/webhooks/ipn_renewal_order_paid.json"),
            include_bytes!("../tests/fixtures/webhooks/ipn_transaction_void.json"),
        ];
        let mut direct = 0;
        for body in fixtures.into_iter().chain(EDGE_BODIES) {
            let via_value = json_object(body, IPN_WHAT).and_then(|object| {
                let timestamp = ipn_timestamp(object.get("timestamp"))?;
                Ok((timestamp, parse_ipn_event(body, &object)?))
            });
            if let Some(d) = ipn_directly(body) {
                direct += 1;
                let via_direct = ipn_timestamp(d.timestamp.as_ref())
                    .and_then(|timestamp| Ok((timestamp, map_ipn_event(d.notification_type, d.wire)?)));
                assert_eq!(via_direct, via_value, "{}", String::from_utf8_lossy(body));
            }
        }
        assert!(direct >= 6, "the direct path was taken {direct} times");
    }

    #[test]
    fn empty_configured_key_matches_nothing() {
        assert!(!secret_matches("", &SecretString::from("")));
        assert!(!secret_matches("x", &SecretString::from("")));
        assert!(secret_matches("x", &SecretString::from("x")));
        assert!(!secret_matches("x ", &SecretString::from("x")));
    }

    #[test]
    fn sepay_dates_are_vietnam_time() {
        let date = parse_sepay_date("2023-03-25 14:02:37").unwrap();
        assert_eq!(date.to_rfc3339(), "2023-03-25T14:02:37+07:00");
        assert_eq!(date.timestamp(), 1_679_727_757);
        assert_eq!(
            parse_sepay_date("2023-03-25T07:02:37Z").unwrap().timestamp(),
            1_679_727_757
        );
        assert_eq!(parse_sepay_date("25/03/2023"), None);
        assert_eq!(parse_sepay_date(""), None);
    }

    #[test]
    fn amounts_must_be_whole_and_not_negative() {
        let vnd = |s: &str| whole_amount(s.parse().unwrap(), Currency::VND, "x", "body");
        assert_eq!(vnd("2277000"), Ok(Money::from_minor_units(2_277_000, Currency::VND)));
        assert_eq!(vnd("100000.00").unwrap().amount().to_string(), "100000");
        assert_eq!(vnd("0"), Ok(Money::zero(Currency::VND)));
        assert!(vnd("100000.5").unwrap_err().is_payload_error());
        assert!(vnd("-1").unwrap_err().is_payload_error());
        let usd = whole_amount("10.50".parse().unwrap(), Currency::USD, "x", "body").unwrap();
        assert_eq!(usd.to_minor_units(), Ok(1050));
        assert!(whole_amount("10.505".parse().unwrap(), Currency::USD, "x", "body").is_err());
    }

    #[test]
    fn ipn_timestamps_are_integers_or_digit_strings() {
        assert_eq!(ipn_timestamp(Some(&Value::from(1_757_058_220))), Ok(1_757_058_220));
        assert_eq!(ipn_timestamp(Some(&Value::from(" 1757058220 "))), Ok(1_757_058_220));
        for bad in [
            Value::from(1.5),
            Value::from("-5"),
            Value::from("17e8"),
            Value::from(""),
            Value::Null,
            Value::Bool(true),
        ] {
            assert!(ipn_timestamp(Some(&bad)).unwrap_err().is_payload_error(), "{bad}");
        }
        assert!(ipn_timestamp(None).unwrap_err().is_payload_error());
    }

    #[test]
    fn ipn_methods() {
        assert_eq!(ipn_method("CARD"), Some(PaymentMethod::Card));
        assert_eq!(ipn_method("BANK_TRANSFER"), Some(PaymentMethod::BankTransfer));
        assert_eq!(ipn_method("napas_bank_transfer"), Some(PaymentMethod::BankTransfer));
        assert_eq!(ipn_method("MOMO"), None);
    }

    #[test]
    fn form_bodies_become_json_objects_of_strings_first_value_wins() {
        let json = form_to_json(b"id=1&code=&content=DH1+thanh+toan&id=2").unwrap();
        let value: Value = serde_json::from_slice(&json).unwrap();
        assert_eq!(
            value,
            serde_json::json!({"id": "1", "code": "", "content": "DH1 thanh toan"})
        );
    }

    #[test]
    fn tolerant_decimal_drops_unreadable_values() {
        #[derive(Deserialize)]
        struct Row {
            #[serde(default, deserialize_with = "tolerant_decimal")]
            a: Option<Decimal>,
        }
        let read = |json: &str| serde_json::from_str::<Row>(json).unwrap().a;
        assert_eq!(read(r#"{"a":19077000}"#), Some(Decimal::from(19_077_000)));
        assert_eq!(read(r#"{"a":"19077000.00"}"#).unwrap().to_string(), "19077000.00");
        assert_eq!(read(r#"{"a":"n/a"}"#), None);
        assert_eq!(read(r#"{"a":{}}"#), None);
        assert_eq!(read(r#"{"a":null}"#), None);
        assert_eq!(read(r#"{}"#), None);
    }
}
