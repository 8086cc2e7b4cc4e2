//! Payment-gateway IPN (instant payment notification) delivery: after a payment (`ORDER_PAID`) or a
//! void (`TRANSACTION_VOID`) the emulator POSTs
//! `{"timestamp", "notification_type", "order", "transaction", "customer"}` as JSON to the merchant's
//! registered IPN URL, with `X-Secret-Key: <secret key>`.
//!
//! Each notification is delivered by its own background task. A non-2xx reply, a connection error or
//! a reply slower than the timeout is retried after each of the configured delays (default: SePay's
//! webhook schedule, Fibonacci minutes 1, 1, 2, 3, 5, 8, 13). A missing URL is recorded and not
//! retried. Every attempt is recorded as an [`IpnDelivery`].

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::http::header::CONTENT_TYPE;
use serde::Serialize;
use serde_json::Value;
use tokio::runtime::Handle;
use tokio::sync::Notify;

use super::orders::{Order, OrderTransaction};

/// The `notification_type` of a payment.
pub(crate) const ORDER_PAID: &str = "ORDER_PAID";
/// The `notification_type` of a void.
pub(crate) const TRANSACTION_VOID: &str = "TRANSACTION_VOID";

/// Recorded as the error of an attempt that found no registered URL.
const URL_NOT_SET: &str = "URL Not Set";
/// Recorded as the error of an attempt whose reply took longer than the timeout.
const TIMEOUT: &str = "Timeout";

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

enum Outcome {
    Replied(u16),
    TimedOut,
    Failed(String),
    NotSent(&'static str),
}

/// What an attempt is about (copied into each [`IpnDelivery`]).
struct Subject {
    notification_type: String,
    invoice: String,
    transaction_id: String,
    body: Value,
}

/// The delivery engine: the registered URL, the log of attempts, and the HTTP client.
pub(super) struct Ipn {
    secret_key: String,
    retry_delays: Vec<Duration>,
    http: reqwest::Client,
    /// Where to spawn deliveries when a payment is made from outside the runtime.
    runtime: Option<Handle>,
    url: Mutex<Option<String>>,
    log: Mutex<Vec<IpnDelivery>>,
    recorded: Notify,
}

impl Ipn {
    pub fn new(config: &crate::SandboxConfig, credentials: &crate::SandboxCredentials) -> Self {
        let http = reqwest::Client::builder()
            .timeout(config.sepay_ipn_timeout)
            // A redirect is not an acknowledgement; receivers are usually on loopback, so no proxy.
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .build()
            .expect("a plain HTTP client builds");
        Self {
            secret_key: credentials.sepay_secret_key.clone(),
            retry_delays: config.sepay_ipn_retry_delays.clone(),
            http,
            runtime: Handle::try_current().ok(),
            url: Mutex::new(None),
            log: Mutex::new(Vec::new()),
            recorded: Notify::new(),
        }
    }

    pub fn url(&self) -> Option<String> {
        lock(&self.url).clone()
    }

    pub fn set_url(&self, url: Option<String>) {
        *lock(&self.url) = url;
    }

    pub fn deliveries(&self) -> Vec<IpnDelivery> {
        lock(&self.log).clone()
    }

    /// Waits until at least `count` attempts are recorded or `timeout` passes; returns the log.
    pub async fn wait_for(&self, count: usize, timeout: Duration) -> Vec<IpnDelivery> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            // Register interest before looking, so a record made in between still wakes us.
            let notified = self.recorded.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let log = self.deliveries();
            if log.len() >= count {
                return log;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return self.deliveries();
            }
        }
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
        match Handle::try_current().ok().or_else(|| self.runtime.clone()) {
            Some(runtime) => {
                let this = Arc::clone(self);
                runtime.spawn(async move { this.deliver(subject).await });
            }
            None => self.record(
                &subject,
                None,
                1,
                Outcome::NotSent("No async runtime to deliver from"),
                false,
            ),
        }
    }

    async fn deliver(&self, subject: Subject) {
        let body = serde_json::to_vec(&subject.body).expect("the payload serializes");
        for attempt in 1u32.. {
            // Read the URL on every attempt: a merchant who fixes it gets the retries.
            let Some(url) = self.url() else {
                self.record(&subject, None, attempt, Outcome::NotSent(URL_NOT_SET), false);
                return;
            };
            let outcome = self.attempt(&url, &body).await;
            let retryable = match outcome {
                Outcome::Replied(status) => !(200..300).contains(&status),
                Outcome::Failed(_) | Outcome::TimedOut => true,
                Outcome::NotSent(_) => false,
            };
            let delay = usize::try_from(attempt - 1)
                .ok()
                .and_then(|i| self.retry_delays.get(i))
                .filter(|_| retryable)
                .copied();
            self.record(&subject, Some(url), attempt, outcome, delay.is_some());
            match delay {
                Some(delay) => tokio::time::sleep(delay).await,
                None => return,
            }
        }
    }

    async fn attempt(&self, url: &str, body: &[u8]) -> Outcome {
        let Ok(parsed) = reqwest::Url::parse(url) else {
            return Outcome::NotSent("Invalid URL");
        };
        let sent = self
            .http
            .post(parsed)
            .header(CONTENT_TYPE, "application/json")
            .header("X-Secret-Key", &self.secret_key)
            .body(body.to_vec())
            .send()
            .await;
        match sent {
            Ok(reply) => Outcome::Replied(reply.status().as_u16()),
            Err(e) if e.is_timeout() => Outcome::TimedOut,
            Err(e) => Outcome::Failed(error_chain(&e)),
        }
    }

    fn record(&self, subject: &Subject, url: Option<String>, attempt: u32, outcome: Outcome, will_retry: bool) {
        let (status_code, error) = match outcome {
            Outcome::Replied(status) => (Some(status), None),
            Outcome::TimedOut => (None, Some(TIMEOUT.to_owned())),
            Outcome::Failed(e) => (None, Some(e)),
            Outcome::NotSent(reason) => (None, Some(reason.to_owned())),
        };
        let delivery = IpnDelivery {
            notification_type: subject.notification_type.clone(),
            order_invoice_number: subject.invoice.clone(),
            transaction_id: subject.transaction_id.clone(),
            url,
            attempt,
            status_code,
            error,
            will_retry,
            body: subject.body.clone(),
        };
        tracing::debug!(
            attempt,
            status = ?delivery.status_code,
            error = ?delivery.error,
            "sepay sandbox: IPN attempt"
        );
        lock(&self.log).push(delivery);
        self.recorded.notify_waiters();
    }
}

impl std::fmt::Debug for Ipn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ipn")
            .field("url", &self.url())
            .field("retry_delays", &self.retry_delays)
            .field("deliveries", &lock(&self.log).len())
            .finish_non_exhaustive()
    }
}

/// The error and its causes ("error sending request ...: connection refused").
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}
