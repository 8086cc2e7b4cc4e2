//! The axum webhook receiver (`gateway::receiver`) over real HTTP: Finan deliveries signed with
//! `FinanWebhookSigner`, posted with reqwest to a router served on a loopback port.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use gateway::finan::webhook::{FinanWebhookSigner, FinanWebhookVerifier};
use gateway::receiver::axum::{self, Router};
use gateway::receiver::WebhookReceiver;
use gateway::{Currency, Money, PaymentEvent, SecretString, WebhookVerifier};
use serde_json::Value;

const CLIENT_ID: &str = "receiver-test-client";
const SECRET: &str = "receiver-test-secret";
const PATH: &str = "/webhooks/finan";

const PAYMENT: &[u8] = br#"{"id":"PAY-001","reference_id":"DH970422","reference_type":"","payment_method":"bank_transfer","payment_request_id":"PR-1","amount":6000000,"created_at":"2024-01-20T14:30:00Z"}"#;

fn verifier() -> FinanWebhookVerifier {
    FinanWebhookVerifier::new(CLIENT_ID, SecretString::from(SECRET))
}

fn signer(secret: &str) -> FinanWebhookSigner {
    FinanWebhookSigner::new(CLIENT_ID, SecretString::from(secret.to_string()))
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// What the handler saw: how often it was called and with what.
#[derive(Clone, Default)]
struct Seen {
    calls: Arc<AtomicUsize>,
    events: Arc<Mutex<Vec<PaymentEvent>>>,
}

impl Seen {
    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    fn events(&self) -> Vec<PaymentEvent> {
        self.events.lock().unwrap().clone()
    }

    /// A handler that records the event, waits `delay`, then fails its first `failures` calls.
    fn handler(
        &self,
        delay: Duration,
        failures: usize,
    ) -> impl Fn(PaymentEvent) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), String>> + Send>>
           + Send
           + Sync
           + 'static {
        let seen = self.clone();
        move |event| {
            let seen = seen.clone();
            Box::pin(async move {
                let n = seen.calls.fetch_add(1, Ordering::SeqCst);
                seen.events.lock().unwrap().push(event);
                tokio::time::sleep(delay).await;
                if n < failures {
                    Err(format!("database down (call {n})"))
                } else {
                    Ok(())
                }
            })
        }
    }
}

async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{addr}")
}

/// A receiver with the Finan verifier on [`PATH`] and a handler recording into the returned
/// [`Seen`].
async fn start(delay: Duration, failures: usize) -> (String, Seen) {
    let seen = Seen::default();
    let router = WebhookReceiver::new()
        .route(PATH, Arc::new(verifier()))
        .handler(seen.handler(delay, failures))
        .into_router();
    (serve(router).await, seen)
}

/// POSTs `body` to `base + path` with `headers`; the status and the reply body.
async fn post(base: &str, path: &str, body: &[u8], headers: &[(String, String)]) -> (u16, String) {
    let mut request = reqwest::Client::new()
        .post(format!("{base}{path}"))
        .header("content-type", "application/json")
        .body(body.to_vec());
    for (name, value) in headers {
        request = request.header(name, value);
    }
    let reply = request.send().await.expect("the receiver answers");
    let status = reply.status().as_u16();
    (status, reply.text().await.unwrap())
}

/// Delivers `body` to [`PATH`] as Finan would: signed with [`SECRET`] for that path, now.
async fn deliver(base: &str, body: &[u8]) -> (u16, String) {
    let headers = signer(SECRET).sign(PATH, body, now());
    post(base, PATH, body, &headers).await
}

fn assert_finan_ack(status: u16, body: &str) {
    assert_eq!(status, 200, "{body}");
    let json: Value = serde_json::from_str(body).unwrap();
    assert_eq!(json["status"], "success", "{body}");
    assert_eq!(json["message"], "Payment processed successfully", "{body}");
}

#[tokio::test]
async fn valid_delivery_runs_the_handler_once_and_gets_finans_reply() {
    let (base, seen) = start(Duration::ZERO, 0).await;

    let (status, body) = deliver(&base, PAYMENT).await;
    assert_finan_ack(status, &body);
    assert_eq!(seen.calls(), 1);
    match &seen.events()[..] {
        [PaymentEvent::PaymentReceived(payment)] => {
            assert_eq!(payment.event_id, "PAY-001");
            assert_eq!(payment.reference_id.as_deref(), Some("DH970422"));
            assert_eq!(payment.payment_request_id.as_deref(), Some("PR-1"));
            assert_eq!(payment.amount, Money::from_minor_units(6_000_000, Currency::VND));
            assert_eq!(payment.provider, "finan");
        }
        other => panic!("{other:?}"),
    }

    // Finan retries (re-signed, later): acknowledged, the handler is not called again.
    let (status, body) = deliver(&base, PAYMENT).await;
    assert_finan_ack(status, &body);
    assert_eq!(seen.calls(), 1);
}

#[tokio::test]
async fn concurrent_duplicates_run_the_handler_exactly_once() {
    let (base, seen) = start(Duration::from_millis(200), 0).await;

    let deliveries = (0..5).map(|_| deliver(&base, PAYMENT));
    let replies = futures::future::join_all(deliveries).await;
    let mut acknowledged = 0;
    for (status, body) in &replies {
        match status {
            200 => {
                assert_finan_ack(*status, body);
                acknowledged += 1;
            }
            409 => assert!(body.contains("retry later"), "{body}"),
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert!(acknowledged >= 1, "{replies:?}");
    assert_eq!(seen.calls(), 1, "{replies:?}");

    // The provider retries the ones answered 409: acknowledged, still one call.
    let (status, body) = deliver(&base, PAYMENT).await;
    assert_finan_ack(status, &body);
    assert_eq!(seen.calls(), 1);
}

#[tokio::test]
async fn a_failing_handler_gets_500_and_the_next_delivery_runs_it_again() {
    let (base, seen) = start(Duration::ZERO, 1).await;

    let (status, body) = deliver(&base, PAYMENT).await;
    assert_eq!(status, 500, "{body}");
    assert!(
        !body.contains("database down"),
        "the handler's error is not sent: {body}"
    );
    assert_eq!(seen.calls(), 1);

    let (status, body) = deliver(&base, PAYMENT).await;
    assert_finan_ack(status, &body);
    assert_eq!(seen.calls(), 2);

    let (status, body) = deliver(&base, PAYMENT).await;
    assert_finan_ack(status, &body);
    assert_eq!(seen.calls(), 2, "done once it succeeded");
}

#[tokio::test]
async fn a_panicking_handler_gets_500_and_does_not_block_the_event() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&calls);
    let router = WebhookReceiver::new()
        .route(PATH, Arc::new(verifier()))
        .handler(move |_event: PaymentEvent| {
            let n = counter.fetch_add(1, Ordering::SeqCst);
            async move {
                assert!(n > 0, "first call panics (expected in this test)");
                Ok::<(), String>(())
            }
        })
        .into_router();
    let base = serve(router).await;

    assert_eq!(deliver(&base, PAYMENT).await.0, 500);
    let (status, body) = deliver(&base, PAYMENT).await;
    assert_finan_ack(status, &body);
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn unverified_deliveries_get_401_and_never_reach_the_handler() {
    let (base, seen) = start(Duration::ZERO, 0).await;

    // Tampered body: signed for one amount, sent with another.
    let headers = signer(SECRET).sign(PATH, PAYMENT, now());
    let tampered = String::from_utf8(PAYMENT.to_vec())
        .unwrap()
        .replace("6000000", "9000000");
    let (status, body) = post(&base, PATH, tampered.as_bytes(), &headers).await;
    assert_eq!(status, 401, "{body}");
    assert!(!body.contains(SECRET) && !body.contains(&headers[1].1), "{body}");

    // Wrong key.
    let headers = signer("not-the-secret").sign(PATH, PAYMENT, now());
    assert_eq!(post(&base, PATH, PAYMENT, &headers).await.0, 401);

    // Stale timestamp (an old delivery replayed).
    let headers = signer(SECRET).sign(PATH, PAYMENT, now() - 3600);
    assert_eq!(post(&base, PATH, PAYMENT, &headers).await.0, 401);

    // Signed for another path.
    let headers = signer(SECRET).sign("/elsewhere", PAYMENT, now());
    assert_eq!(post(&base, PATH, PAYMENT, &headers).await.0, 401);

    // No headers at all.
    assert_eq!(post(&base, PATH, PAYMENT, &[]).await.0, 401);

    assert_eq!(seen.calls(), 0);
}

#[tokio::test]
async fn oversized_bodies_get_413() {
    let seen = Seen::default();
    let router = WebhookReceiver::new()
        .route(PATH, Arc::new(verifier().max_body_bytes(1024)))
        .handler(seen.handler(Duration::ZERO, 0))
        .max_body_bytes(8 * 1024)
        .into_router();
    let base = serve(router).await;

    // Over the verifier's limit, under the receiver's: refused by the verifier.
    let padding = "x".repeat(2 * 1024);
    let body = format!(r#"{{"id":"PAY-BIG","amount":1,"payment_method":"card","created_at":"","note":"{padding}"}}"#);
    let (status, reply) = deliver(&base, body.as_bytes()).await;
    assert_eq!(status, 413, "{reply}");

    // Over the receiver's own limit: refused before it is read.
    let padding = "x".repeat(64 * 1024);
    let body = format!(r#"{{"id":"PAY-BIG","note":"{padding}"}}"#);
    let (status, reply) = deliver(&base, body.as_bytes()).await;
    assert_eq!(status, 413, "{reply}");

    assert_eq!(seen.calls(), 0);
}

#[tokio::test]
async fn an_unknown_event_reaches_the_handler_as_unknown() {
    let (base, seen) = start(Duration::ZERO, 0).await;

    let (status, body) = deliver(&base, br#"{"event":"invoice.paid","id":"EVT-1","amount":5}"#).await;
    assert_finan_ack(status, &body);
    assert_eq!(
        seen.events(),
        [PaymentEvent::Unknown {
            provider: "finan",
            event_type: "invoice.paid".into(),
            event_id: Some("EVT-1".into()),
        }]
    );

    // Without an id there is nothing to deduplicate on: handed over every time.
    let no_id = br#"{"hello":"world"}"#;
    for _ in 0..2 {
        let (status, body) = deliver(&base, no_id).await;
        assert_finan_ack(status, &body);
    }
    assert_eq!(seen.calls(), 3);
}

#[tokio::test]
async fn an_authentic_but_malformed_payload_is_acknowledged_without_the_handler() {
    let (base, seen) = start(Duration::ZERO, 0).await;
    let (status, body) = deliver(&base, br#"{"id":"PAY-X","payment_method":"card","amount":"lots"}"#).await;
    assert_finan_ack(status, &body);
    let (status, body) = deliver(&base, b"not json").await;
    assert_finan_ack(status, &body);
    assert_eq!(seen.calls(), 0);
}

#[tokio::test]
async fn done_marks_expire_after_the_retention() {
    let seen = Seen::default();
    let router = WebhookReceiver::new()
        .route(PATH, Arc::new(verifier()))
        .handler(seen.handler(Duration::ZERO, 0))
        .dedup_retention(Duration::from_millis(300))
        .into_router();
    let base = serve(router).await;

    assert_eq!(deliver(&base, PAYMENT).await.0, 200);
    assert_eq!(deliver(&base, PAYMENT).await.0, 200);
    assert_eq!(seen.calls(), 1);
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(deliver(&base, PAYMENT).await.0, 200);
    assert_eq!(seen.calls(), 2);
}

#[tokio::test]
async fn several_routes_each_with_its_own_verifier_and_the_full_path_when_nested() {
    let seen = Seen::default();
    let other_secret = "second-account-secret";
    let second = FinanWebhookVerifier::new(CLIENT_ID, SecretString::from(other_secret));
    let receiver = WebhookReceiver::new()
        .route("/finan/a", Arc::new(verifier()) as Arc<dyn WebhookVerifier>)
        .route("/finan/b", Arc::new(second))
        .handler(seen.handler(Duration::ZERO, 0));
    // Nested under a prefix: Finan signs the full path it posts to, query included.
    let base = serve(Router::new().nest("/hooks", receiver.into_router())).await;

    let path = "/hooks/finan/a?shop=1";
    let headers = signer(SECRET).sign(path, PAYMENT, now());
    let (status, body) = post(&base, path, PAYMENT, &headers).await;
    assert_finan_ack(status, &body);

    // The first account's signature on the second account's route.
    let path = "/hooks/finan/b";
    let headers = signer(SECRET).sign(path, PAYMENT, now());
    assert_eq!(post(&base, path, PAYMENT, &headers).await.0, 401);

    // The second account's own delivery of another payment.
    let other = String::from_utf8(PAYMENT.to_vec())
        .unwrap()
        .replace("PAY-001", "PAY-002");
    let headers = signer(other_secret).sign(path, other.as_bytes(), now());
    let (status, body) = post(&base, path, other.as_bytes(), &headers).await;
    assert_finan_ack(status, &body);

    assert_eq!(seen.calls(), 2);
    let ids: Vec<_> = seen
        .events()
        .iter()
        .map(|e| e.event_id().unwrap().to_string())
        .collect();
    assert_eq!(ids, ["PAY-001", "PAY-002"]);

    // Only POST is served.
    let reply = reqwest::get(format!("{base}/hooks/finan/a")).await.unwrap();
    assert_eq!(reply.status().as_u16(), 405);
}

/// A provider whose only payment request is `PR-1` for the app's order `order-9`; its look-ups
/// fail while `down` is set.
#[derive(Default)]
struct Orders {
    down: std::sync::atomic::AtomicBool,
    lookups: AtomicUsize,
}

impl gateway::Provider for Orders {
    fn provider_name(&self) -> &'static str {
        "finan"
    }
}

#[async_trait::async_trait]
impl gateway::PaymentProvider for Orders {
    async fn create_payment(&self, _: &gateway::CreatePayment) -> Result<gateway::PaymentRequest, gateway::Error> {
        unreachable!("the receiver never creates payments")
    }

    async fn get_payment(&self, id: &str) -> Result<gateway::PaymentRequest, gateway::Error> {
        self.lookups.fetch_add(1, Ordering::SeqCst);
        if self.down.load(Ordering::SeqCst) {
            return Err(gateway::Error::Store {
                message: "orders database unreachable".into(),
                source: None,
            });
        }
        match id {
            "PR-1" => Ok(gateway::PaymentRequest::new(
                "PR-1",
                "order-9",
                Money::from_minor_units(6_000_000, Currency::VND),
                gateway::PaymentStatus::Paid,
            )),
            _ => Err(gateway::Error::NotFound(gateway::ErrorContext::new(
                "no such payment request",
            ))),
        }
    }

    async fn list_payments(
        &self,
        _: &gateway::PaymentFilter,
        _: gateway::PageRequest,
    ) -> Result<gateway::Page<gateway::PaymentRequest>, gateway::Error> {
        unreachable!("the receiver never lists payments")
    }
}

#[tokio::test]
async fn a_provider_route_completes_the_reference_and_retries_when_resolution_fails() {
    // Finan's payload without its reference id, as a bank-transfer notification would be.
    let without_reference = String::from_utf8(PAYMENT.to_vec())
        .unwrap()
        .replace(r#""reference_id":"DH970422","#, "");
    let unknown_request = without_reference.replace("PAY-001", "PAY-002").replace("PR-1", "PR-7");
    let seen = Seen::default();
    let orders = Arc::new(Orders::default());
    orders.down.store(true, Ordering::SeqCst);
    let router = WebhookReceiver::new()
        .route_with_provider(PATH, Arc::new(verifier()), orders.clone())
        .handler(seen.handler(Duration::ZERO, 0))
        .into_router();
    let base = serve(router).await;

    // The provider cannot be asked: 500, the handler is not called, the event is not marked.
    let (status, _) = deliver(&base, without_reference.as_bytes()).await;
    assert_eq!(status, 500);
    assert_eq!(seen.calls(), 0);

    // The retry after it is back: the handler gets the app's reference.
    orders.down.store(false, Ordering::SeqCst);
    let (status, body) = deliver(&base, without_reference.as_bytes()).await;
    assert_finan_ack(status, &body);
    // A payment request the provider does not know: handed over unchanged.
    let (status, body) = deliver(&base, unknown_request.as_bytes()).await;
    assert_finan_ack(status, &body);

    let events = seen.events();
    let references: Vec<_> = events
        .iter()
        .map(|event| match event {
            PaymentEvent::PaymentReceived(payment) => payment.reference_id.clone(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(references, [Some("order-9".to_string()), None]);
    assert_eq!(orders.lookups.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn event_ids_are_deduplicated_per_route_not_per_provider() {
    // Two routes of one provider number their events apart (SePay's bank webhook and its IPN):
    // the same id on the other route is another event.
    let seen = Seen::default();
    let receiver = WebhookReceiver::new()
        .route("/a", Arc::new(verifier()) as Arc<dyn WebhookVerifier>)
        .route("/b", Arc::new(verifier()))
        .handler(seen.handler(Duration::ZERO, 0));
    let base = serve(receiver.into_router()).await;
    for path in ["/a", "/b", "/a", "/b"] {
        let headers = signer(SECRET).sign(path, PAYMENT, now());
        let (status, body) = post(&base, path, PAYMENT, &headers).await;
        assert_finan_ack(status, &body);
    }
    assert_eq!(seen.calls(), 2, "once per route; the repeats are duplicates");
}

// ---- Several instances sharing one event store (issue 7) ----------------------------------------
//
// Each instance is its own receiver and server; they share only the `EventStore`, as instances
// behind a load balancer share a Redis or PostgreSQL store. The shared-server versions of these
// scenarios run against the stores' real servers; these pin the receiver's side of the contract.

use gateway::receiver::{Claim, ClaimToken, EventStore, MemoryEventStore};

/// `n` receiver instances with the Finan verifier on [`PATH`], all sharing `store` and one
/// handler (recording into the returned [`Seen`]); their base URLs.
async fn instances(n: usize, store: Arc<dyn EventStore>, delay: Duration, failures: usize) -> (Vec<String>, Seen) {
    let seen = Seen::default();
    let mut bases = Vec::new();
    for _ in 0..n {
        let router = WebhookReceiver::new()
            .route(PATH, Arc::new(verifier()))
            .handler(seen.handler(delay, failures))
            .event_store(Arc::clone(&store))
            .into_router();
        bases.push(serve(router).await);
    }
    (bases, seen)
}

/// Delivers [`PAYMENT`] `copies` times at once, round-robin over `bases`; the statuses.
async fn deliver_concurrently(bases: &[String], copies: usize) -> Vec<(u16, String)> {
    let deliveries = (0..copies).map(|i| deliver(&bases[i % bases.len()], PAYMENT));
    futures::future::join_all(deliveries).await
}

fn count(replies: &[(u16, String)], status: u16) -> usize {
    replies.iter().filter(|(s, _)| *s == status).count()
}

#[tokio::test]
async fn five_concurrent_deliveries_to_four_instances_run_the_handler_once() {
    let store: Arc<dyn EventStore> = Arc::new(MemoryEventStore::new());
    let (bases, seen) = instances(4, store, Duration::from_millis(300), 0).await;

    let replies = deliver_concurrently(&bases, 5).await;
    println!(
        "4 instances, 5 concurrent deliveries: handler runs {}, 200 x {}, 409 x {}",
        seen.calls(),
        count(&replies, 200),
        count(&replies, 409)
    );
    assert_eq!(seen.calls(), 1, "{replies:?}");
    assert_eq!(count(&replies, 200) + count(&replies, 409), 5, "{replies:?}");
    assert!(count(&replies, 200) >= 1, "{replies:?}");

    // The provider retries the 409s, on any instance: acknowledged, never run again.
    for base in &bases {
        let (status, body) = deliver(base, PAYMENT).await;
        assert_finan_ack(status, &body);
    }
    assert_eq!(seen.calls(), 1);
}

#[tokio::test]
async fn across_instances_a_failed_first_run_is_run_again_by_a_later_delivery() {
    let store: Arc<dyn EventStore> = Arc::new(MemoryEventStore::new());
    let (bases, seen) = instances(4, store, Duration::from_millis(300), 1).await;

    let replies = deliver_concurrently(&bases, 5).await;
    println!(
        "4 instances, 5 concurrent deliveries, handler fails once: handler runs {}, 500 x {}, 409 x {}",
        seen.calls(),
        count(&replies, 500),
        count(&replies, 409)
    );
    assert_eq!(seen.calls(), 1, "{replies:?}");
    assert_eq!(count(&replies, 500), 1, "{replies:?}");
    assert_eq!(count(&replies, 409), 4, "{replies:?}");

    // A later delivery, on another instance, runs it again; after that it is done everywhere.
    let (status, body) = deliver(&bases[3], PAYMENT).await;
    assert_finan_ack(status, &body);
    assert_eq!(seen.calls(), 2);
    let replies = deliver_concurrently(&bases, 5).await;
    assert_eq!(count(&replies, 200), 5, "{replies:?}");
    assert_eq!(seen.calls(), 2);
}

#[tokio::test]
async fn a_claim_left_by_a_dead_instance_lapses_with_its_lease() {
    let store: Arc<dyn EventStore> = Arc::new(MemoryEventStore::new());
    let (bases, seen) = instances(2, Arc::clone(&store), Duration::ZERO, 0).await;

    // An instance claimed the event and died before finishing: its claim holds for its lease.
    let headers = signer(SECRET).sign(PATH, PAYMENT, now());
    let event_id = verifier()
        .verify(&gateway::WebhookRequest::new("POST", PATH, PAYMENT).with_headers(headers.iter().map(|(n, v)| (n, v))))
        .expect("a valid delivery")
        .event_id()
        .expect("Finan events carry an id")
        .to_string();
    let key = format!("{PATH} {event_id}");
    assert!(matches!(
        store.claim(&key, Duration::from_millis(400)).await.unwrap(),
        Claim::Claimed(_)
    ));

    let (status, body) = deliver(&bases[0], PAYMENT).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(seen.calls(), 0);

    tokio::time::sleep(Duration::from_millis(500)).await;
    let (status, body) = deliver(&bases[1], PAYMENT).await;
    assert_finan_ack(status, &body);
    assert_eq!(seen.calls(), 1, "the next delivery after the lease runs the handler");
}

/// An event store that can be switched off: every call fails with `Error::Store` meanwhile.
#[derive(Debug, Default)]
struct SwitchableStore {
    inner: MemoryEventStore,
    down: std::sync::atomic::AtomicBool,
}

impl SwitchableStore {
    fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
    }
}

impl SwitchableStore {
    fn check(&self) -> Result<(), gateway::Error> {
        if self.down.load(Ordering::SeqCst) {
            Err(gateway::Error::Store {
                message: "connection refused (test)".into(),
                source: None,
            })
        } else {
            Ok(())
        }
    }
}

#[async_trait::async_trait]
impl EventStore for SwitchableStore {
    async fn claim(&self, key: &str, lease: Duration) -> Result<Claim, gateway::Error> {
        self.check()?;
        self.inner.claim(key, lease).await
    }

    async fn complete(&self, key: &str, token: &ClaimToken, retention: Duration) -> Result<(), gateway::Error> {
        self.check()?;
        self.inner.complete(key, token, retention).await
    }

    async fn release(&self, key: &str, token: &ClaimToken) -> Result<(), gateway::Error> {
        self.check()?;
        self.inner.release(key, token).await
    }
}

#[tokio::test]
async fn a_store_that_is_down_gets_503_with_retry_after_and_work_resumes_after() {
    let store = Arc::new(SwitchableStore::default());
    let (bases, seen) = instances(2, store.clone(), Duration::ZERO, 0).await;

    store.down.store(true, Ordering::SeqCst);
    let headers = signer(SECRET).sign(PATH, PAYMENT, now());
    let reply = reqwest::Client::new()
        .post(format!("{}{PATH}", bases[0]))
        .header("content-type", "application/json")
        .headers(
            headers
                .iter()
                .map(|(n, v)| (n.parse().unwrap(), v.parse().unwrap()))
                .collect(),
        )
        .body(PAYMENT.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 503);
    assert!(reply.headers().contains_key("retry-after"));
    let body = reply.text().await.unwrap();
    assert!(
        !body.contains("connection refused"),
        "the store's error is not sent: {body}"
    );
    assert_eq!(
        seen.calls(),
        0,
        "fail closed: the handler does not run without the store"
    );

    store.down.store(false, Ordering::SeqCst);
    let (status, body) = deliver(&bases[1], PAYMENT).await;
    assert_finan_ack(status, &body);
    assert_eq!(seen.calls(), 1);
    let (status, body) = deliver(&bases[0], PAYMENT).await;
    assert_finan_ack(status, &body);
    assert_eq!(seen.calls(), 1);
}

#[tokio::test]
async fn a_store_lost_while_the_handler_runs_acknowledges_and_the_claim_lapses() {
    let store = Arc::new(SwitchableStore::default());
    let seen = Seen::default();
    let runs = seen.clone();
    let down = store.clone();
    // The store goes away while the handler runs: its claim cannot be marked done.
    let router = WebhookReceiver::new()
        .route(PATH, Arc::new(verifier()))
        .event_store(store.clone())
        .claim_lease(Duration::from_millis(300))
        .handler(move |event| {
            let (runs, down) = (runs.clone(), down.clone());
            async move {
                runs.calls.fetch_add(1, Ordering::SeqCst);
                runs.events.lock().unwrap().push(event);
                down.set_down(true);
                Ok::<(), String>(())
            }
        })
        .into_router();
    let base = serve(router).await;

    let (status, body) = deliver(&base, PAYMENT).await;
    assert_finan_ack(status, &body); // the handler did its work
    assert_eq!(seen.calls(), 1);
    let (status, _) = deliver(&base, PAYMENT).await;
    assert_eq!(status, 503, "fail closed while the store is down");

    // Back, but the claim was never marked done: it holds for its lease, then lapses, and the
    // next delivery runs the handler again (at least once, never lost).
    store.set_down(false);
    let (status, _) = deliver(&base, PAYMENT).await;
    assert_eq!(status, 409, "the claim still holds");
    tokio::time::sleep(Duration::from_millis(400)).await;
    store.set_down(false);
    let (status, body) = deliver(&base, PAYMENT).await;
    assert_finan_ack(status, &body);
    assert_eq!(
        seen.calls(),
        2,
        "run again after the lease: the store could not record the first run"
    );
}
