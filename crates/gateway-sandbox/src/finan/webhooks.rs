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
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::http::header::CONTENT_TYPE;
use serde::Serialize;
use tokio::runtime::Handle;
use tokio::sync::Notify;

use super::payments::PaymentReceipt;
use super::signature;

/// Recorded as the error of an attempt that found no registered URL (Finan's status name).
const URL_NOT_SET: &str = "URL Not Set";
/// Recorded as the error of an attempt whose reply took longer than the timeout (Finan's status name).
const TIMEOUT: &str = "Timeout";

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

/// What one attempt came to.
enum Outcome {
    Replied(u16),
    TimedOut,
    Failed(String),
    NotSent(&'static str),
}

/// The delivery engine: the registered URL, the log of attempts, and the HTTP client.
pub(super) struct Webhooks {
    client_id: String,
    secret_key: String,
    retry_delays: Vec<Duration>,
    http: reqwest::Client,
    /// Shared with the request gate: webhook timestamps follow the skewed sandbox clock.
    clock_skew_secs: Arc<AtomicI64>,
    /// Where to spawn deliveries when `pay` is called from outside the runtime.
    runtime: Option<Handle>,
    url: Mutex<Option<String>>,
    log: Mutex<Vec<Delivery>>,
    recorded: Notify,
}

impl Webhooks {
    pub fn new(
        config: &crate::SandboxConfig,
        credentials: &crate::SandboxCredentials,
        clock_skew_secs: Arc<AtomicI64>,
    ) -> Self {
        let http = reqwest::Client::builder()
            .timeout(config.finan_webhook_timeout)
            // A redirect is not an acknowledgement; receivers are usually on loopback, so no proxy.
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .build()
            .expect("a plain HTTP client builds");
        Self {
            client_id: credentials.finan_client_id.clone(),
            secret_key: credentials.finan_secret_key.clone(),
            retry_delays: config.finan_webhook_retry_delays.clone(),
            http,
            clock_skew_secs,
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

    pub fn deliveries(&self) -> Vec<Delivery> {
        lock(&self.log).clone()
    }

    /// Waits until at least `count` attempts are recorded or `timeout` passes; returns the log.
    pub async fn wait_for(&self, count: usize, timeout: Duration) -> Vec<Delivery> {
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
        let ids = (receipt.payment.id.clone(), request.id.clone());
        match Handle::try_current().ok().or_else(|| self.runtime.clone()) {
            Some(runtime) => {
                let this = Arc::clone(self);
                runtime.spawn(async move { this.deliver(ids, body).await });
            }
            None => self.record(
                &ids,
                None,
                1,
                Outcome::NotSent("No async runtime to deliver from"),
                false,
                "",
            ),
        }
    }

    async fn deliver(&self, ids: (String, String), body: Vec<u8>) {
        for attempt in 1u32.. {
            // Read the URL on every attempt: a merchant who fixes it gets the retries.
            let Some(url) = self.url() else {
                self.record(&ids, None, attempt, Outcome::NotSent(URL_NOT_SET), false, "");
                return;
            };
            let timestamp = self.now_unix().to_string();
            let outcome = self.attempt(&url, &body, &timestamp).await;
            let retryable = match outcome {
                Outcome::Replied(status) => !(200..300).contains(&status),
                Outcome::Failed(_) => true,
                Outcome::TimedOut | Outcome::NotSent(_) => false,
            };
            let delay = usize::try_from(attempt - 1)
                .ok()
                .and_then(|i| self.retry_delays.get(i))
                .filter(|_| retryable)
                .copied();
            self.record(&ids, Some(url), attempt, outcome, delay.is_some(), &timestamp);
            match delay {
                Some(delay) => tokio::time::sleep(delay).await,
                None => return,
            }
        }
    }

    async fn attempt(&self, url: &str, body: &[u8], timestamp: &str) -> Outcome {
        let Ok(parsed) = reqwest::Url::parse(url) else {
            return Outcome::NotSent("Invalid URL");
        };
        // The receiver verifies against its own path and query, as the seed's handler does.
        let path = match parsed.query() {
            Some(query) => format!("{}?{query}", parsed.path()),
            None => parsed.path().to_owned(),
        };
        let signature = signature::expected_signature(&self.secret_key, "POST", &path, body, timestamp);
        let sent = self
            .http
            .post(parsed)
            .header(CONTENT_TYPE, "application/json")
            .header("x-client-id", &self.client_id)
            .header("x-timestamp", timestamp)
            .header("x-signature", signature)
            .body(body.to_vec())
            .send()
            .await;
        match sent {
            Ok(reply) => Outcome::Replied(reply.status().as_u16()),
            Err(e) if e.is_timeout() => Outcome::TimedOut,
            Err(e) => Outcome::Failed(error_chain(&e)),
        }
    }

    fn record(
        &self,
        (payment_id, payment_request_id): &(String, String),
        url: Option<String>,
        attempt: u32,
        outcome: Outcome,
        will_retry: bool,
        timestamp: &str,
    ) {
        let (status_code, error) = match outcome {
            Outcome::Replied(status) => (Some(status), None),
            Outcome::TimedOut => (None, Some(TIMEOUT.to_owned())),
            Outcome::Failed(e) => (None, Some(e)),
            Outcome::NotSent(reason) => (None, Some(reason.to_owned())),
        };
        let delivery = Delivery {
            payment_id: payment_id.clone(),
            payment_request_id: payment_request_id.clone(),
            url,
            attempt,
            status_code,
            error,
            will_retry,
            timestamp: timestamp.to_owned(),
        };
        tracing::debug!(?delivery, "finan sandbox: webhook attempt");
        lock(&self.log).push(delivery);
        self.recorded.notify_waiters();
    }

    fn now_unix(&self) -> i64 {
        chrono::Utc::now().timestamp() + self.clock_skew_secs.load(Ordering::Relaxed)
    }
}

impl std::fmt::Debug for Webhooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhooks")
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

/// The URL and the log hold plain data; a poisoned lock is still usable.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}
