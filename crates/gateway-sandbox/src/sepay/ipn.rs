//! Payment-gateway IPN (instant payment notification) delivery: after a payment (`ORDER_PAID`) or a
//! void (`TRANSACTION_VOID`) the emulator POSTs
//! `{"timestamp", "notification_type", "order", "transaction", "customer"}` as JSON to the merchant's
//! registered IPN URL, with `X-Secret-Key: <secret key>`.
//!
//! Each notification is delivered by its own background task. A non-2xx reply, a connection error or
//! a reply slower than the timeout is retried after each of the configured delays (default: SePay's
//! webhook schedule, Fibonacci minutes 1, 1, 2, 3, 5, 8, 13). A missing URL is recorded and not
//! retried. Every attempt is recorded as an [`IpnDelivery`].

use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;

use super::orders::{Order, OrderTransaction};
use crate::outbox::{Attempt, Outbox, Policy};

/// The `notification_type` of a payment.
pub(crate) const ORDER_PAID: &str = "ORDER_PAID";
/// The `notification_type` of a void.
pub(crate) const TRANSACTION_VOID: &str = "TRANSACTION_VOID";

/// One IPN delivery attempt, as listed by [`super::SepayState::ipn_deliveries`] and
/// `GET /__sandbox/sepay/ipn/deliveries`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IpnDelivery {
    /// `ORDER_PAID` or `TRANSACTION_VOID`.
    pub notification_type: String,
    /// The order's invoice number.
    pub order_invoice_number: String,
    /// The transaction the notification announces.
    pub transaction_id: String,
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
    /// The JSON body sent (the same on every attempt of one notification).
    pub body: Value,
}

impl IpnDelivery {
    /// The receiver answered 2xx.
    pub fn succeeded(&self) -> bool {
        self.status_code.is_some_and(|s| (200..300).contains(&s))
    }
}

#[derive(Serialize)]
struct Customer<'a> {
    customer_id: Option<&'a str>,
}

#[derive(Serialize)]
struct Payload<'a> {
    timestamp: i64,
    notification_type: &'a str,
    order: &'a Order,
    transaction: &'a OrderTransaction,
    customer: Customer<'a>,
}

/// What an attempt is about (copied into each [`IpnDelivery`]).
#[derive(Clone)]
pub(super) struct Subject {
    notification_type: String,
    invoice: String,
    transaction_id: String,
    body: Value,
}

/// The delivery engine: the registered URL, the log of attempts, and the HTTP client.
pub(super) type Ipn = Outbox<Sepay>;

/// SePay's part of the engine: the same `X-Secret-Key` on every attempt.
pub(super) struct Sepay {
    secret_key: String,
}

impl Ipn {
    pub fn new(config: &crate::SandboxConfig, credentials: &crate::SandboxCredentials) -> Self {
        let sepay = Sepay {
            secret_key: credentials.sepay_secret_key.clone(),
        };
        Self::with_policy(sepay, config.sepay_ipn_timeout, config.sepay_ipn_retry_delays.clone())
    }

    /// Starts delivering one notification in the background.
    pub fn dispatch(self: &Arc<Self>, notification_type: &str, order: &Order, transaction: &OrderTransaction) {
        let payload = Payload {
            timestamp: chrono::Utc::now().timestamp(),
            notification_type,
            order,
            transaction,
            customer: Customer {
                customer_id: order.customer_id.as_deref(),
            },
        };
        let subject = Subject {
            notification_type: notification_type.to_owned(),
            invoice: order.order_invoice_number.clone(),
            transaction_id: transaction.id.clone(),
            body: serde_json::to_value(&payload).expect("the payload serializes"),
        };
        let body = serde_json::to_vec(&subject.body).expect("the payload serializes");
        self.send(subject, body);
    }
}

impl Policy for Sepay {
    type Notice = Subject;
    type Record = IpnDelivery;
    const NAME: &'static str = "Ipn";
    /// A reply slower than the timeout counts as failed and is retried.
    const RETRY_TIMEOUTS: bool = true;

    fn headers(&self, _: &mut Subject, _: Option<&reqwest::Url>, _: &[u8]) -> Vec<(&'static str, String)> {
        vec![("X-Secret-Key", self.secret_key.clone())]
    }

    fn record(&self, subject: &Subject, attempt: Attempt) -> IpnDelivery {
        let (status_code, error) = attempt.outcome.status_and_error();
        let delivery = IpnDelivery {
            notification_type: subject.notification_type.clone(),
            order_invoice_number: subject.invoice.clone(),
            transaction_id: subject.transaction_id.clone(),
            url: attempt.url,
            attempt: attempt.number,
            status_code,
            error,
            will_retry: attempt.will_retry,
            body: subject.body.clone(),
        };
        tracing::debug!(
            attempt = attempt.number,
            status = ?delivery.status_code,
            error = ?delivery.error,
            "sepay sandbox: IPN attempt"
        );
        delivery
    }
}
