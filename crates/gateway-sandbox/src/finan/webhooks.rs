//! Payment webhooks, as `shared/seeds/002_*` and `001_*` describe them: after each payment the
//! emulator POSTs the payload to the merchant's registered URL, signed with the request scheme
//! (method `POST`, the receiver's own path and query, the body, a fresh `x-timestamp`) through the
//! sandbox's own `signature.rs`, never the client's.
//!
//! Each payment is delivered by its own background task. A non-2xx reply or a connection error is
//! retried after each of the configured delays (documented: 5, 10, 15 minutes); a reply slower than
//! the timeout (documented: 30 s) and a missing URL are recorded and, as the docs say, not retried.
//! Every attempt is re-signed and recorded as a [`Delivery`].

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use serde::Serialize;

use super::payments::PaymentReceipt;
use super::signature;
use crate::outbox::{Attempt, Outbox, Policy};

/// One webhook delivery attempt, as listed by [`super::FinanState::deliveries`] and
/// `GET /__sandbox/finan/webhook/deliveries`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Delivery {
    /// The payment the webhook announces (`id` in the payload).
    pub payment_id: String,
    /// Its payment request (`payment_request_id` in the payload).
    pub payment_request_id: String,
    /// Where it was sent; `None` when no URL was registered.
    pub url: Option<String>,
    /// 1 for the first try, 2 for the first retry, and so on.
    pub attempt: u32,
    /// The receiver's HTTP status, when it answered in time.
    pub status_code: Option<u16>,
    /// Why there is no status: `"Timeout"`, `"URL Not Set"`, or the connection error.
    pub error: Option<String>,
    /// Whether another attempt is scheduled after this one.
    pub will_retry: bool,
    /// The `x-timestamp` sent (Unix seconds), empty when nothing was sent.
    pub timestamp: String,
}

impl Delivery {
    /// The receiver answered 2xx.
    pub fn succeeded(&self) -> bool {
        self.status_code.is_some_and(|s| (200..300).contains(&s))
    }
}

/// The webhook body, keys in the order of the seed's example and field table.
#[derive(Debug, Serialize)]
struct Payload<'a> {
    id: &'a str,
    reference_id: &'a str,
    reference_type: &'a str,
    payment_method: &'static str,
    payment_request_id: &'a str,
    amount: u64,
    created_at: &'a str,
}

/// The delivery engine: the registered URL, the log of attempts, and the HTTP client.
pub(super) type Webhooks = Outbox<Finan>;

/// Finan's part of the engine: every attempt is signed afresh with the sandbox's own key.
pub(super) struct Finan {
    client_id: String,
    secret_key: String,
    /// Shared with the request gate: webhook timestamps follow the skewed sandbox clock.
    clock_skew_secs: Arc<AtomicI64>,
}

/// The payment a webhook announces, and the `x-timestamp` of its latest attempt.
#[derive(Clone)]
pub(super) struct Notice {
    payment_id: String,
    payment_request_id: String,
    timestamp: String,
}

impl Webhooks {
    pub fn new(
        config: &crate::SandboxConfig,
        credentials: &crate::SandboxCredentials,
        clock_skew_secs: Arc<AtomicI64>,
    ) -> Self {
        let finan = Finan {
            client_id: credentials.finan_client_id.clone(),
            secret_key: credentials.finan_secret_key.clone(),
            clock_skew_secs,
        };
        Self::with_policy(
            finan,
            config.finan_webhook_timeout,
            config.finan_webhook_retry_delays.clone(),
        )
    }

    /// Starts delivering the webhook for `receipt` in the background.
    pub fn dispatch(self: &Arc<Self>, receipt: &PaymentReceipt) {
        let request = &receipt.request;
        let payload = Payload {
            id: &receipt.payment.id,
            reference_id: &request.reference_id,
            reference_type: request.reference_type.as_deref().unwrap_or_default(),
            payment_method: receipt.payment.method.as_str(),
            payment_request_id: &request.id,
            amount: receipt.payment.amount,
            created_at: &receipt.payment.created_at,
        };
        let body = serde_json::to_vec(&payload).expect("the payload serializes");
        let notice = Notice {
            payment_id: receipt.payment.id.clone(),
            payment_request_id: request.id.clone(),
            timestamp: String::new(),
        };
        self.send(notice, body);
    }
}

impl Policy for Finan {
    type Notice = Notice;
    type Record = Delivery;
    const NAME: &'static str = "Webhooks";
    /// A timeout is recorded and, as the docs say, not retried.
    const RETRY_TIMEOUTS: bool = false;

    fn headers(&self, notice: &mut Notice, url: Option<&reqwest::Url>, body: &[u8]) -> Vec<(&'static str, String)> {
        notice.timestamp = (chrono::Utc::now().timestamp() + self.clock_skew_secs.load(Ordering::Relaxed)).to_string();
        let Some(url) = url else { return Vec::new() };
        // The receiver verifies against its own path and query, as the seed's handler does.
        let path = match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        };
        let signature = signature::expected_signature(&self.secret_key, "POST", &path, body, &notice.timestamp);
        vec![
            ("x-client-id", self.client_id.clone()),
            ("x-timestamp", notice.timestamp.clone()),
            ("x-signature", signature),
        ]
    }

    fn record(&self, notice: &Notice, attempt: Attempt) -> Delivery {
        let (status_code, error) = attempt.outcome.status_and_error();
        // Nothing was signed when there was no URL to send to.
        let timestamp = if attempt.url.is_some() {
            notice.timestamp.clone()
        } else {
            String::new()
        };
        let delivery = Delivery {
            payment_id: notice.payment_id.clone(),
            payment_request_id: notice.payment_request_id.clone(),
            url: attempt.url,
            attempt: attempt.number,
            status_code,
            error,
            will_retry: attempt.will_retry,
            timestamp,
        };
        tracing::debug!(?delivery, "finan sandbox: webhook attempt");
        delivery
    }
}
