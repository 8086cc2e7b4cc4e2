//! The delivery engine shared by Finan's payment webhooks, SePay's IPN and SePay's bank-transaction
//! webhook: the merchant's registered URL, the log of attempts (which tests can wait on), and the
//! background task that POSTs one notification and retries it on a schedule. What differs per
//! provider (the headers of each attempt, whether a timeout is retried, the shape of a log record)
//! is its [`Policy`].
//!
//! Webhook faults ([`crate::faults::FaultKind::DuplicateDelivery`], [`crate::faults::FaultKind::OutOfOrder`])
//! are applied here, to the notification being sent: a duplicate is delivered again right after the
//! original's first attempt; an out-of-order one is held until the next notification, whose first
//! attempt goes out before it.

use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use axum::http::header::CONTENT_TYPE;
use tokio::runtime::Handle;
use tokio::sync::{oneshot, Notify};

use crate::faults::{FaultKind, Faults};

/// Recorded as the error of an attempt that found no registered URL (the providers' status name).
const URL_NOT_SET: &str = "URL Not Set";
/// Recorded as the error of an attempt whose reply took longer than the timeout.
const TIMEOUT: &str = "Timeout";

/// What one attempt came to; providers turn it into their own log record.
pub(crate) enum Outcome {
    /// The receiver answered with this status.
    Replied(u16),
    /// The receiver did not answer within the timeout.
    TimedOut,
    /// The request failed (the error and its causes).
    Failed(String),
    /// Nothing was sent, for this reason.
    NotSent(&'static str),
}

impl Outcome {
    /// The `(status_code, error)` pair every provider's record carries, so they word errors alike.
    pub(crate) fn status_and_error(self) -> (Option<u16>, Option<String>) {
        match self {
            Outcome::Replied(status) => (Some(status), None),
            Outcome::TimedOut => (None, Some(TIMEOUT.to_owned())),
            Outcome::Failed(e) => (None, Some(e)),
            Outcome::NotSent(reason) => (None, Some(reason.to_owned())),
        }
    }
}

/// One finished attempt, handed to [`Policy::record`] so the provider can build its log record.
pub(crate) struct Attempt {
    /// Where it was sent; `None` when no URL was registered (or no runtime could send it).
    pub url: Option<String>,
    /// 1 for the first try, 2 for the first retry, and so on.
    pub number: u32,
    /// What the attempt came to.
    pub outcome: Outcome,
    /// Whether another attempt is scheduled after this one.
    pub will_retry: bool,
}

/// What one provider adds to the shared engine, so the engine itself stays provider-neutral.
pub(crate) trait Policy: Send + Sync + 'static {
    /// What a notification is about (ids, per-attempt state such as a timestamp); cloned when a
    /// fault delivers it twice.
    type Notice: Clone + Send + 'static;
    /// One entry of the attempt log.
    type Record: Clone + Send + 'static;
    /// The name the engine's `Debug` output goes by.
    const NAME: &'static str;
    /// Whether a reply slower than the timeout is retried (SePay) or final (Finan).
    const RETRY_TIMEOUTS: bool;

    /// The headers (besides `Content-Type`) of one attempt at `url`; `url` is `None` when the
    /// registered URL does not parse and nothing will be sent.
    fn headers(
        &self,
        notice: &mut Self::Notice,
        url: Option<&reqwest::Url>,
        body: &[u8],
    ) -> Vec<(&'static str, String)>;

    /// The log record of a finished attempt (and any tracing of it).
    fn record(&self, notice: &Self::Notice, attempt: Attempt) -> Self::Record;
}

/// The registered URL, the attempt log and the HTTP client of one provider's notifications.
pub(crate) struct Outbox<P: Policy> {
    policy: P,
    retry_delays: Vec<Duration>,
    http: reqwest::Client,
    /// Where to spawn deliveries when a notification is sent from outside the runtime.
    runtime: Option<Handle>,
    url: Mutex<Option<String>>,
    log: Mutex<Vec<P::Record>>,
    recorded: Notify,
    /// The provider's faults, whose webhook kinds apply to this outbox's notifications.
    faults: OnceLock<Arc<Faults>>,
    /// A notification held back by an out-of-order fault, sent after the next one.
    held: Mutex<Option<(P::Notice, Vec<u8>)>>,
}

impl<P: Policy> Outbox<P> {
    /// An engine with no URL and an empty log, so each provider builds its own from its config.
    pub(crate) fn with_policy(policy: P, timeout: Duration, retry_delays: Vec<Duration>) -> Self {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            // A redirect is not an acknowledgement; receivers are usually on loopback, so no proxy.
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .build()
            .expect("a plain HTTP client builds");
        Self {
            policy,
            retry_delays,
            http,
            runtime: Handle::try_current().ok(),
            url: Mutex::new(None),
            log: Mutex::new(Vec::new()),
            recorded: Notify::new(),
            faults: OnceLock::new(),
            held: Mutex::new(None),
        }
    }

    /// Connects the provider's faults (once, when the provider state is built); clearing them
    /// releases a held notification.
    pub(crate) fn set_faults(self: &Arc<Self>, faults: Arc<Faults>) {
        let outbox = Arc::downgrade(self);
        faults.on_clear(Box::new(move || {
            if let Some(outbox) = outbox.upgrade() {
                outbox.release_held();
            }
        }));
        let _ = self.faults.set(faults);
    }

    /// Sends the notification an out-of-order fault holds back, if any.
    fn release_held(self: &Arc<Self>) {
        let held = lock(&self.held).take();
        if let Some(held) = held {
            self.spawn_in_order(vec![held]);
        }
    }

    /// The registered URL, which the sandbox state exposes to tests and the control routes.
    pub(crate) fn url(&self) -> Option<String> {
        lock(&self.url).clone()
    }

    /// Registers (or clears) the URL; later attempts of pending notifications use it too.
    pub(crate) fn set_url(&self, url: Option<String>) {
        *lock(&self.url) = url;
    }

    /// Every attempt so far, so tests and the control routes can inspect deliveries.
    pub(crate) fn deliveries(&self) -> Vec<P::Record> {
        lock(&self.log).clone()
    }

    /// Waits until at least `count` attempts are recorded or `timeout` passes; returns the log.
    /// Lets tests wait for background deliveries without sleeping.
    pub(crate) async fn wait_for(&self, count: usize, timeout: Duration) -> Vec<P::Record> {
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

    /// Starts delivering `body` about `notice` in the background, on the current runtime or the
    /// one captured at construction, so callers outside the runtime still deliver. A pending webhook
    /// fault may hold it back or send it twice; a notification held earlier goes out after it.
    pub(crate) fn send(self: &Arc<Self>, notice: P::Notice, body: Vec<u8>) {
        let mut jobs = Vec::with_capacity(2);
        // Taken in its own statement: the guard must not live through the match, which may lock again.
        let held = lock(&self.held).take();
        match held {
            // Releasing a held notification: this one first, then the held one; no new fault.
            Some(held) => {
                jobs.push((notice, body));
                jobs.push(held);
            }
            None => match self.faults.get().and_then(|f| f.take_for_notification()) {
                Some(FaultKind::OutOfOrder) => {
                    *lock(&self.held) = Some((notice, body));
                    return;
                }
                Some(FaultKind::DuplicateDelivery) => {
                    jobs.push((notice.clone(), body.clone()));
                    jobs.push((notice, body));
                }
                _ => jobs.push((notice, body)),
            },
        }
        self.spawn_in_order(jobs);
    }

    /// Delivers `jobs` in the background, in order (see [`Self::deliver_in_order`]).
    fn spawn_in_order(self: &Arc<Self>, jobs: Vec<(P::Notice, Vec<u8>)>) {
        match Handle::try_current().ok().or_else(|| self.runtime.clone()) {
            Some(runtime) => {
                let this = Arc::clone(self);
                runtime.spawn(async move { this.deliver_in_order(jobs).await });
            }
            None => {
                for (notice, _) in jobs {
                    let reason = Outcome::NotSent("No async runtime to deliver from");
                    self.record(&notice, None, 1, reason, false);
                }
            }
        }
    }

    /// Delivers each notification in its own task, starting the next once the previous one's first
    /// attempt is recorded, so their first attempts arrive in this order.
    async fn deliver_in_order(self: Arc<Self>, jobs: Vec<(P::Notice, Vec<u8>)>) {
        for (notice, body) in jobs {
            let (first_done, first_recorded) = oneshot::channel();
            let this = Arc::clone(&self);
            tokio::spawn(async move { this.deliver(notice, body, first_done).await });
            // An error only means the delivery ended (it records before it ends).
            let _ = first_recorded.await;
        }
    }

    async fn deliver(&self, mut notice: P::Notice, body: Vec<u8>, first_done: oneshot::Sender<()>) {
        let mut first_done = Some(first_done);
        for attempt in 1u32.. {
            // Read the URL on every attempt: a merchant who fixes it gets the retries.
            let Some(url) = self.url() else {
                self.record(&notice, None, attempt, Outcome::NotSent(URL_NOT_SET), false);
                return;
            };
            let outcome = self.attempt(&mut notice, &url, &body).await;
            let retryable = match outcome {
                Outcome::Replied(status) => !(200..300).contains(&status),
                Outcome::Failed(_) => true,
                Outcome::TimedOut => P::RETRY_TIMEOUTS,
                Outcome::NotSent(_) => false,
            };
            let delay = usize::try_from(attempt - 1)
                .ok()
                .and_then(|i| self.retry_delays.get(i))
                .filter(|_| retryable)
                .copied();
            self.record(&notice, Some(url), attempt, outcome, delay.is_some());
            if let Some(done) = first_done.take() {
                let _ = done.send(());
            }
            match delay {
                Some(delay) => tokio::time::sleep(delay).await,
                None => return,
            }
        }
    }

    async fn attempt(&self, notice: &mut P::Notice, url: &str, body: &[u8]) -> Outcome {
        let Ok(parsed) = reqwest::Url::parse(url) else {
            self.policy.headers(notice, None, body);
            return Outcome::NotSent("Invalid URL");
        };
        let headers = self.policy.headers(notice, Some(&parsed), body);
        let mut request = self.http.post(parsed).header(CONTENT_TYPE, "application/json");
        for (name, value) in headers {
            request = request.header(name, value);
        }
        match request.body(body.to_vec()).send().await {
            Ok(reply) => Outcome::Replied(reply.status().as_u16()),
            Err(e) if e.is_timeout() => Outcome::TimedOut,
            Err(e) => Outcome::Failed(error_chain(&e)),
        }
    }

    fn record(&self, notice: &P::Notice, url: Option<String>, number: u32, outcome: Outcome, will_retry: bool) {
        let attempt = Attempt {
            url,
            number,
            outcome,
            will_retry,
        };
        let record = self.policy.record(notice, attempt);
        lock(&self.log).push(record);
        self.recorded.notify_waiters();
    }
}

impl<P: Policy> std::fmt::Debug for Outbox<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct(P::NAME)
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
