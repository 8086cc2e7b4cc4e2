//! Bank-transaction webhook delivery: for every simulated transfer (in or out) the emulator POSTs
//! the [`BankTransaction`] as JSON to the merchant's registered webhook URL with
//! `Authorization: Apikey <API key>`, as SePay does for merchants who chose API-key authentication.
//!
//! Delivery runs on the shared outbox engine: a non-2xx reply, a connection error or a reply slower
//! than the timeout is retried after each configured delay (documented: up to 7 retries on
//! Fibonacci minutes 1, 1, 2, 3, 5, 8, 13); any 2xx counts as delivered (SePay documents the reply
//! `{"success": true}`, but only the status is looked at). A missing URL is recorded and not
//! retried. Every retry resends the same body, so the same `id`. Every attempt is recorded as a
//! [`BankWebhookDelivery`].

use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;

use super::ledger::BankTransaction;
use crate::outbox::{Attempt, Outbox, Policy};

/// One bank-transaction webhook attempt, as listed by
/// [`super::SepayState::webhook_deliveries`] and `GET /__sandbox/sepay/webhook/deliveries`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BankWebhookDelivery {
    /// The transaction announced (the body's `id`).
    pub transaction_id: u64,
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
    /// The JSON body sent (the same on every attempt for one transaction).
    pub body: Value,
}

impl BankWebhookDelivery {
    /// The receiver answered 2xx.
    pub fn succeeded(&self) -> bool {
        self.status_code.is_some_and(|s| (200..300).contains(&s))
    }
}

/// What an attempt is about (copied into each [`BankWebhookDelivery`]).
#[derive(Clone)]
pub(super) struct Notice {
    transaction_id: u64,
    body: Value,
}

/// The delivery engine: the registered URL, the log of attempts, and the HTTP client.
pub(super) type BankWebhook = Outbox<Apikey>;

/// SePay's API-key authentication: the same `Authorization: Apikey <key>` on every attempt.
pub(super) struct Apikey {
    key: String,
}

impl BankWebhook {
    pub fn new(config: &crate::SandboxConfig, credentials: &crate::SandboxCredentials) -> Self {
        let policy = Apikey {
            key: credentials.sepay_webhook_api_key.clone(),
        };
        Self::with_policy(
            policy,
            config.sepay_webhook_timeout,
            config.sepay_webhook_retry_delays.clone(),
        )
    }

    /// Starts delivering the webhook of one transaction in the background.
    pub fn dispatch(self: &Arc<Self>, transaction: &BankTransaction) {
        let body = serde_json::to_value(transaction).expect("a transaction serializes");
        let bytes = serde_json::to_vec(&body).expect("a transaction serializes");
        let notice = Notice {
            transaction_id: transaction.id,
            body,
        };
        self.send(notice, bytes);
    }
}

impl Policy for Apikey {
    type Notice = Notice;
    type Record = BankWebhookDelivery;
    const NAME: &'static str = "BankWebhook";
    /// A reply slower than the timeout counts as failed and is retried.
    const RETRY_TIMEOUTS: bool = true;

    fn headers(&self, _: &mut Notice, _: Option<&reqwest::Url>, _: &[u8]) -> Vec<(&'static str, String)> {
        vec![("Authorization", format!("Apikey {}", self.key))]
    }

    fn record(&self, notice: &Notice, attempt: Attempt) -> BankWebhookDelivery {
        let (status_code, error) = attempt.outcome.status_and_error();
        let delivery = BankWebhookDelivery {
            transaction_id: notice.transaction_id,
            url: attempt.url,
            attempt: attempt.number,
            status_code,
            error,
            will_retry: attempt.will_retry,
            body: notice.body.clone(),
        };
        tracing::debug!(
            transaction = delivery.transaction_id,
            attempt = attempt.number,
            status = ?delivery.status_code,
            error = ?delivery.error,
            "sepay sandbox: bank-transaction webhook attempt"
        );
        delivery
    }
}
