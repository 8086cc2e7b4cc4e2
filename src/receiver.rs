//! A ready webhook receiver for [axum] (feature `axum`): verify each delivery with the provider's
//! [`WebhookVerifier`], deduplicate retried deliveries by event id, hand the [`PaymentEvent`] to
//! the app's handler, and answer the way the provider expects.
//!
//! ```no_run
//! use std::sync::Arc;
//!
//! use gateway::receiver::WebhookReceiver;
//! use gateway::{PaymentEvent, PaymentProvider, WebhookVerifier};
//!
//! # async fn credit_order(_order: Option<&str>, _amount: &gateway::Money) -> Result<(), String> { Ok(()) }
//! async fn serve(
//!     finan: Arc<dyn WebhookVerifier>,
//!     sepay: Arc<dyn WebhookVerifier>,
//!     // e.g. a `SepayBankTransfer`: its events carry a payment code, and it knows the order.
//!     sepay_payments: Arc<dyn PaymentProvider>,
//! ) -> std::io::Result<()> {
//!     let app = WebhookReceiver::new()
//!         .route("/webhooks/finan", finan)
//!         .route_with_provider("/webhooks/sepay", sepay, sepay_payments)
//!         .handler(|event: PaymentEvent| async move {
//!             if let PaymentEvent::PaymentReceived(payment) = &event {
//!                 credit_order(payment.reference_id.as_deref(), &payment.amount).await?;
//!             }
//!             Ok::<(), String>(())
//!         })
//!         .into_router();
//!     let listener = tokio::net::TcpListener::bind("0.0.0.0:3000").await?;
//!     gateway::receiver::axum::serve(listener, app).await
//! }
//! ```
//!
//! Each route accepts `POST` only and, for every delivery:
//!
//! 1. reads the raw body, at most [`WebhookReceiver::max_body_bytes`] (default 1 MiB; the
//!    verifier has its own, usually smaller, limit): a longer body is answered `413` unread;
//! 2. builds a [`WebhookRequest`] from the method, the path and query as received (the full
//!    original path, also when the router is nested under a prefix), the headers and the body,
//!    and calls [`WebhookVerifier::verify`];
//! 3. answers by the outcome:
//!
//! | outcome | reply | handler |
//! |---|---|---|
//! | verification failure (bad signature, wrong client id, stale timestamp, missing header) | `401` | not called |
//! | body too large ([`WebhookError::BodyTooLarge`], or over the receiver's own limit) | `413` | not called |
//! | authentic but unreadable ([`WebhookError::Malformed`]) | the provider's success reply, logged at `warn` | not called |
//! | event already handled (same route and event id, within the retention) | the provider's success reply | not called |
//! | the same event is being handled right now (a concurrent duplicate delivery) | `409` with `Retry-After` | not called |
//! | the [`EventStore`] cannot be reached | `503` with `Retry-After` | not called |
//! | new event, handler returns `Ok` | the provider's success reply | called once |
//! | new event, handler returns `Err` (or panics) | `500` | called; a later delivery calls it again |
//! | new event on a [`WebhookReceiver::route_with_provider`] route whose resolution fails | `500` | not called; a later delivery tries again |
//!
//! The provider's success reply is [`WebhookVerifier::acknowledgement`]: Finan gets HTTP 200 with
//! `{"status":"success",...}`, SePay's bank-transaction webhook 200 with `{"success":true}`.
//!
//! **Malformed payloads are acknowledged, not refused.** Such a delivery is shown to come from the
//! provider, but its body is not the documented payload; resending it cannot fix that, and Finan
//! asks for 200 to every authentic delivery. So the receiver answers the provider's success reply
//! and logs the error and the start of the body (at most 2 KiB) at `warn` for a human, instead of
//! a `400` that would only make the provider retry the same bytes.
//!
//! **Deduplication.** Providers resend a delivery until they get a success reply, and may send
//! one twice anyway. Events are deduplicated by `(route, event id)` ([`PaymentEvent::event_id`];
//! per route, because two routes of one provider, such as SePay's bank webhook and its payment
//! gateway IPN, number their events independently) in an [`EventStore`]: before the handler runs,
//! the delivery claims the event ([`EventStore::claim`], with a lease of
//! [`WebhookReceiver::claim_lease`], default 2 minutes in a shared store); when the handler returns `Ok` the event is
//! marked done and remembered for [`WebhookReceiver::dedup_retention`] (default 24 hours, far
//! longer than any provider retries). A handler error (or panic) releases the claim and answers
//! `500`, so the provider's next retry runs the handler again. A duplicate arriving while the first
//! delivery is still being handled gets `409`, so the provider retries it later (if the first one
//! then fails, the retry runs it; if it succeeds, the retry is acknowledged). Events without an id
//! (an [`PaymentEvent::Unknown`] that carries none) are handed to the handler every time. The
//! handler runs in its own task: a provider that hangs up does not cancel it half way.
//!
//! The default store ([`MemoryEventStore`]) lives in this process only: after a restart, or with
//! several instances behind a load balancer, a retried delivery can reach the handler again. Give
//! every instance the same shared store ([`WebhookReceiver::event_store`]) to handle each event
//! exactly once across all of them. An instance that dies while handling an event leaves a claim
//! that lapses with its lease; the provider's next delivery after that runs the handler again, so
//! keep the lease above the handler's longest run. When the store cannot be reached the delivery
//! is answered `503` with `Retry-After` and the handler is not called (fail closed: the provider
//! delivers again later, nothing is lost). If marking a handled event done fails, the delivery is
//! still acknowledged (the handler did its work) and the claim lapses with its lease. Keep the
//! handler quick: Finan gives up on a reply slower than 30 seconds and does not retry it.
//!
//! **Nothing secret is logged or answered.** Refusals carry a fixed body
//! (`{"success":false,"error":"..."}`), never the verifier's or the handler's error; logs name the
//! route (as registered, without the query), the provider, the event id and the
//! [`WebhookError`] (which never holds a key or signature), never header values.

use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{OriginalUri, Request};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use futures::future::BoxFuture;
use futures::{FutureExt, StreamExt};

pub use gateway_core::event_store::{Claim, ClaimToken, EventStore, MemoryEventStore};
pub use gateway_core::webhook::Acknowledgement;
use gateway_core::webhook::{PaymentEvent, WebhookError, WebhookRequest, WebhookVerifier};
use gateway_core::PaymentProvider;

/// The axum this receiver is built on, to serve [`WebhookReceiver::into_router`] with the same
/// version (`gateway::receiver::axum::serve(listener, router)`).
pub use axum;

/// How long a handled event is remembered when none is set: 24 hours.
pub const DEFAULT_DEDUP_RETENTION: Duration = Duration::from_secs(24 * 60 * 60);

/// How long a delivery's claim on an event lasts in a shared [`EventStore`] when none is set: 2
/// minutes, well above Finan's 30-second reply limit and below its first retry (5 minutes).
pub const DEFAULT_CLAIM_LEASE: Duration = Duration::from_secs(2 * 60);

/// The largest body read when no limit is set: 1 MiB. Verifiers apply their own limit on top
/// (Finan's default: 64 KiB).
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;

/// What `Retry-After` says on a `409` for a delivery whose event is being handled, in seconds.
const RETRY_AFTER_SECS: &str = "5";

/// How much of a malformed body is logged.
const MALFORMED_LOG_BYTES: usize = 2048;

/// The app's handler, boxed: its error is turned into text for the log.
type Handler = dyn Fn(PaymentEvent) -> BoxFuture<'static, Result<(), String>> + Send + Sync;

/// Builds an axum [`Router`] that receives webhooks: one `POST` route per provider, one handler
/// for every verified event (see the [module docs](self) for what is answered when).
///
/// ```no_run
/// # use std::sync::Arc;
/// # fn demo(verifier: Arc<dyn gateway::WebhookVerifier>) {
/// use std::time::Duration;
/// use gateway::receiver::WebhookReceiver;
///
/// let router = WebhookReceiver::new()
///     .route("/webhooks/finan", verifier)
///     .handler(|event: gateway::PaymentEvent| async move {
///         println!("{event:?}");
///         Ok::<(), std::convert::Infallible>(())
///     })
///     .dedup_retention(Duration::from_secs(2 * 24 * 60 * 60))
///     .into_router();
/// # }
/// ```
#[must_use = "a receiver does nothing until it is turned into a router and served"]
pub struct WebhookReceiver {
    routes: Vec<RouteSpec>,
    handler: Option<Arc<Handler>>,
    dedup_retention: Duration,
    claim_lease: Option<Duration>,
    max_body_bytes: usize,
    events: Option<Arc<dyn EventStore>>,
}

impl WebhookReceiver {
    /// A receiver with no routes and no handler yet, remembering handled events in memory for 24
    /// hours and reading bodies of at most 1 MiB.
    pub fn new() -> Self {
        Self {
            routes: Vec::new(),
            handler: None,
            dedup_retention: DEFAULT_DEDUP_RETENTION,
            claim_lease: None,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            events: None,
        }
    }

    /// Receives `POST path` (e.g. `/webhooks/finan`) with `verifier`. Add one route per provider
    /// (or per account); every route hands its events to the same handler. The path is an axum
    /// route path: it must start with `/`, and [`WebhookReceiver::into_router`] panics on a path
    /// given twice.
    pub fn route(mut self, path: impl Into<String>, verifier: Arc<dyn WebhookVerifier>) -> Self {
        self.routes.push(RouteSpec {
            path: path.into(),
            verifier,
            resolver: None,
        });
        self
    }

    /// Like [`WebhookReceiver::route`], and completes every verified event with
    /// [`PaymentProvider::resolve_event`] of `provider` before the handler sees it, so the
    /// handler gets the app's reference id also from a provider whose notifications carry only
    /// its own payment code (SePay's bank-transfer webhook). Pass the provider the payments were
    /// created with.
    ///
    /// Resolution runs after deduplication (on the provider's event id, which it does not
    /// change). When it fails (the provider or its store cannot be reached), the delivery is
    /// answered `500` without calling the handler, so the provider sends it again later.
    pub fn route_with_provider(
        mut self,
        path: impl Into<String>,
        verifier: Arc<dyn WebhookVerifier>,
        provider: Arc<dyn PaymentProvider>,
    ) -> Self {
        self.routes.push(RouteSpec {
            path: path.into(),
            verifier,
            resolver: Some(provider),
        });
        self
    }

    /// The app's handler, called with every verified new event: an async closure or function
    /// `Fn(PaymentEvent) -> impl Future<Output = Result<(), E>>`. Return `Ok` once the event is
    /// safely recorded (the provider is then told so), `Err` to have the provider deliver it
    /// again later (the error is logged, never sent). Replaces a handler set before.
    pub fn handler<F, Fut, E>(mut self, handler: F) -> Self
    where
        F: Fn(PaymentEvent) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: fmt::Display + 'static,
    {
        let boxed = move |event: PaymentEvent| -> BoxFuture<'static, Result<(), String>> {
            let future = handler(event);
            async move { future.await.map_err(|e| e.to_string()) }.boxed()
        };
        self.handler = Some(Arc::new(boxed));
        self
    }

    /// How long a handled event id is remembered, so a later delivery of it is acknowledged
    /// without calling the handler; default 24 hours.
    pub fn dedup_retention(mut self, retention: Duration) -> Self {
        self.dedup_retention = retention;
        self
    }

    /// Where handled events are recorded; default a [`MemoryEventStore`] of this receiver's own.
    /// Give every instance of the app the same shared store (Redis, PostgreSQL, or an own
    /// implementation) so that each event is handled once across all of them.
    pub fn event_store(mut self, store: Arc<dyn EventStore>) -> Self {
        self.events = Some(store);
        self
    }

    /// How long a delivery's claim on an event lasts before another delivery may take it over
    /// (when the instance handling it died); default 2 minutes with a shared
    /// [`WebhookReceiver::event_store`], and no expiry with the default in-memory store (a claim
    /// there dies with the process). Keep it above the handler's longest run: a handler still
    /// running when its lease lapses may run twice.
    pub fn claim_lease(mut self, lease: Duration) -> Self {
        self.claim_lease = Some(lease);
        self
    }

    /// The largest body read, in bytes; default 1 MiB. A longer body is answered `413` before it
    /// is read into memory (the verifier's own limit, usually smaller, also applies).
    pub fn max_body_bytes(mut self, max: usize) -> Self {
        self.max_body_bytes = max;
        self
    }

    /// The router: one `POST` route per [`WebhookReceiver::route`]. Serve it with
    /// `axum::serve`, or merge or nest it into the app's own router.
    ///
    /// # Panics
    /// When no handler was set (a receiver that acknowledged events nobody handles would lose
    /// payments), or when axum refuses a path (not starting with `/`, or given twice).
    pub fn into_router(self) -> Router {
        let handler = self
            .handler
            .expect("WebhookReceiver::handler must be set before into_router");
        let shared = Arc::new(Shared {
            handler,
            retention: self.dedup_retention,
            // A claim in this process's own memory cannot be left behind by another instance.
            lease: self.claim_lease.unwrap_or(if self.events.is_some() {
                DEFAULT_CLAIM_LEASE
            } else {
                Duration::MAX
            }),
            max_body_bytes: self.max_body_bytes,
            events: self.events.unwrap_or_else(|| Arc::new(MemoryEventStore::new())),
        });
        let mut router = Router::new();
        for RouteSpec {
            path,
            verifier,
            resolver,
        } in self.routes
        {
            let route = Arc::new(Route {
                path: path.clone(),
                verifier,
                resolver,
                shared: Arc::clone(&shared),
            });
            router = router.route(
                &path,
                post(move |request: Request| {
                    let route = Arc::clone(&route);
                    async move { route.receive(request).await }
                }),
            );
        }
        router
    }
}

impl Default for WebhookReceiver {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for WebhookReceiver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let routes: Vec<(&str, &str)> = self
            .routes
            .iter()
            .map(|spec| (spec.path.as_str(), spec.verifier.provider_name()))
            .collect();
        f.debug_struct("WebhookReceiver")
            .field("routes", &routes)
            .field("handler", &self.handler.is_some())
            .field("dedup_retention", &self.dedup_retention)
            .field("claim_lease", &self.claim_lease)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("event_store", &self.events)
            .finish()
    }
}

/// What every route shares: the handler, the limits and the deduplication store.
struct Shared {
    handler: Arc<Handler>,
    retention: Duration,
    lease: Duration,
    max_body_bytes: usize,
    events: Arc<dyn EventStore>,
}

/// A route as registered, before the router is built.
struct RouteSpec {
    path: String,
    verifier: Arc<dyn WebhookVerifier>,
    resolver: Option<Arc<dyn PaymentProvider>>,
}

/// One registered path with its verifier (and the provider that completes its events, if any).
struct Route {
    path: String,
    verifier: Arc<dyn WebhookVerifier>,
    resolver: Option<Arc<dyn PaymentProvider>>,
    shared: Arc<Shared>,
}

/// Why the body could not be read.
enum BodyError {
    TooLarge,
    Read,
}

impl Route {
    async fn receive(self: Arc<Self>, request: Request) -> Response {
        let (parts, body) = request.into_parts();
        let provider = self.verifier.provider_name();
        let body = match read_body(&parts.headers, body, self.shared.max_body_bytes).await {
            Ok(body) => body,
            Err(BodyError::TooLarge) => {
                tracing::warn!(route = %self.path, provider, max = self.shared.max_body_bytes, "webhook body over the receiver's limit");
                return refusal(StatusCode::PAYLOAD_TOO_LARGE, "payload too large");
            }
            Err(BodyError::Read) => {
                tracing::warn!(route = %self.path, provider, "webhook body could not be read");
                return refusal(StatusCode::BAD_REQUEST, "the body could not be read");
            }
        };
        // The path and query as the client sent them, also when this router is nested.
        let uri = parts
            .extensions
            .get::<OriginalUri>()
            .map_or(&parts.uri, |original| &original.0);
        let path = uri.path_and_query().map_or(uri.path(), |pq| pq.as_str());
        let webhook = WebhookRequest::new(parts.method.as_str(), path, &body).with_headers(&parts.headers);

        match self.verifier.verify(&webhook) {
            Ok(event) => self.dispatch(event).await,
            Err(error @ WebhookError::BodyTooLarge { .. }) => {
                tracing::warn!(route = %self.path, provider, %error, "webhook refused");
                refusal(StatusCode::PAYLOAD_TOO_LARGE, "payload too large")
            }
            Err(error) if error.is_verification_failure() => {
                tracing::warn!(route = %self.path, provider, %error, "webhook refused");
                refusal(StatusCode::UNAUTHORIZED, "unauthorized")
            }
            Err(error) => {
                let shown = &body[..body.len().min(MALFORMED_LOG_BYTES)];
                tracing::warn!(
                    route = %self.path,
                    provider,
                    %error,
                    body_len = body.len(),
                    body = %String::from_utf8_lossy(shown),
                    "authentic webhook with a payload that cannot be read: acknowledged so the provider does not resend it; handle it by hand"
                );
                acknowledge(self.verifier.acknowledgement())
            }
        }
    }

    /// Deduplicates `event`, runs the handler when it is new, and answers.
    async fn dispatch(&self, event: PaymentEvent) -> Response {
        let provider = event.provider();
        let event_id = event.event_id().map(str::to_string);
        let shown_id = event_id.clone().unwrap_or_default();
        let shared = &self.shared;

        // `(route, event id)`: each route has one verifier, so one space of event ids. Two routes
        // of one provider (SePay's bank webhook and its IPN) number their events apart, and one
        // must not swallow the other's as a duplicate. A space cannot occur in a request path.
        let key = event_id.map(|id| format!("{} {id}", self.path));
        let claim = match &key {
            None => None,
            Some(key) => match shared.events.claim(key, shared.lease).await {
                Ok(Claim::Claimed(token)) => Some((key.clone(), token)),
                Ok(Claim::Done) => {
                    tracing::debug!(route = %self.path, provider, event_id = %shown_id, "duplicate webhook: already handled");
                    return acknowledge(self.verifier.acknowledgement());
                }
                Ok(Claim::InProgress) => {
                    tracing::debug!(route = %self.path, provider, event_id = %shown_id, "duplicate webhook while the first is being handled: retry later");
                    return retry_later(StatusCode::CONFLICT, "this event is being processed; retry later");
                }
                Ok(other) => {
                    tracing::error!(route = %self.path, provider, event_id = %shown_id, claim = ?other, "unknown claim outcome: retry later");
                    return retry_later(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "the event store is unavailable; retry later",
                    );
                }
                Err(error) => {
                    tracing::error!(route = %self.path, provider, event_id = %shown_id, %error, "webhook event store unavailable: answering 503 so the provider retries");
                    return retry_later(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "the event store is unavailable; retry later",
                    );
                }
            },
        };
        let event_id = shown_id;

        // The handler and the bookkeeping after it run in their own task: if the provider hangs
        // up, axum drops this future, and the mark must still end up done or removed.
        let task_shared = Arc::clone(shared);
        let resolver = self.resolver.clone();
        let task = tokio::spawn(async move {
            let handler = Arc::clone(&task_shared.handler);
            let outcome = AssertUnwindSafe(async move {
                let event = match resolver {
                    Some(provider) => provider
                        .resolve_event(event)
                        .await
                        .map_err(|e| format!("the event could not be resolved: {e}"))?,
                    None => event,
                };
                handler(event).await
            })
            .catch_unwind()
            .await
            .unwrap_or_else(|_| Err("the handler panicked".to_string()));
            if let Some((key, token)) = claim {
                let events = &task_shared.events;
                let recorded = match outcome {
                    Ok(()) => events.complete(&key, &token, task_shared.retention).await,
                    Err(_) => events.release(&key, &token).await,
                };
                if let Err(error) = recorded {
                    // The claim lapses with its lease; the outcome stands.
                    tracing::error!(%error, handled = outcome.is_ok(), "webhook event store: could not record the handler's outcome");
                }
            }
            outcome
        });

        match task.await {
            Ok(Ok(())) => acknowledge(self.verifier.acknowledgement()),
            Ok(Err(error)) => {
                tracing::error!(route = %self.path, provider, %event_id, %error, "webhook handler failed: answering 500 so the provider retries");
                refusal(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "the event could not be processed; retry later",
                )
            }
            Err(error) => {
                tracing::error!(route = %self.path, provider, %event_id, %error, "webhook handler task did not finish");
                refusal(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "the event could not be processed; retry later",
                )
            }
        }
    }
}

/// The body, at most `max` bytes: refused from `Content-Length` when it says more, otherwise read
/// chunk by chunk and refused as soon as it passes the limit.
async fn read_body(headers: &HeaderMap, body: Body, max: usize) -> Result<Vec<u8>, BodyError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|len| len > max as u64) {
        return Err(BodyError::TooLarge);
    }
    let mut out = Vec::with_capacity(declared.map_or(0, |len| len as usize));
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| BodyError::Read)?;
        if out.len() + chunk.len() > max {
            return Err(BodyError::TooLarge);
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

/// The provider's success reply.
fn acknowledge(ack: Acknowledgement) -> Response {
    let status = StatusCode::from_u16(ack.status).unwrap_or(StatusCode::OK);
    (
        status,
        [(header::CONTENT_TYPE, ack.content_type)],
        ack.body.into_owned(),
    )
        .into_response()
}

/// A fixed JSON refusal: `{"success":false,"error":"<message>"}` (`message` is a constant).
fn refusal(status: StatusCode, message: &'static str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        format!(r#"{{"success":false,"error":"{message}"}}"#),
    )
        .into_response()
}

/// `status` with `Retry-After`: `409` while the same event is being handled by another delivery,
/// `503` while the event store cannot be reached.
fn retry_later(status: StatusCode, message: &'static str) -> Response {
    let mut response = refusal(status, message);
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, header::HeaderValue::from_static(RETRY_AFTER_SECS));
    response
}
