//! Webhook delivery end to end: a local axum receiver stands in for the merchant and checks the
//! signature with an inline copy of the documented formula (not the module's signing code).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tokio::sync::mpsc;

use super::payment_tests::{assert_keys, control, create_id, sandbox, seed_body, simple_body};
use crate::{Sandbox, SandboxConfig, SandboxCredentials};

const WAIT: Duration = Duration::from_secs(5);

/// What the merchant's endpoint received.
struct Received {
    path_and_query: String,
    headers: HeaderMap,
    body: Bytes,
    at: Instant,
}

#[derive(Clone)]
struct Merchant {
    /// Statuses to answer, in order; 200 once they run out.
    replies: Arc<Mutex<VecDeque<u16>>>,
    delay: Duration,
    seen: mpsc::UnboundedSender<Received>,
}

async fn endpoint(State(m): State<Merchant>, uri: Uri, headers: HeaderMap, body: Bytes) -> (StatusCode, String) {
    let at = Instant::now();
    let path_and_query = uri.path_and_query().map(ToString::to_string).unwrap_or_default();
    let _ = m.seen.send(Received {
        path_and_query,
        headers,
        body,
        at,
    });
    tokio::time::sleep(m.delay).await;
    let status = m.replies.lock().unwrap().pop_front().unwrap_or(200);
    let reply = json!({ "status": "success", "message": "Payment processed successfully" });
    (StatusCode::from_u16(status).unwrap(), reply.to_string())
}

/// Starts a merchant endpoint answering `replies` (then 200) after `delay`; returns its base URL.
async fn merchant(replies: &[u16], delay: Duration) -> (String, mpsc::UnboundedReceiver<Received>) {
    let (seen, received) = mpsc::unbounded_channel();
    let state = Merchant {
        replies: Arc::new(Mutex::new(replies.iter().copied().collect())),
        delay,
        seen,
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new().fallback(endpoint).with_state(state);
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}"), received)
}

/// The signature the merchant expects, from the seed's verifier: sha256 of
/// `secret_POST_path_body_timestamp`, lowercase hex.
fn expected_signature(secret: &str, path_and_query: &str, body: &[u8], timestamp: &str) -> String {
    let mut message = format!("{secret}_POST_{path_and_query}_").into_bytes();
    message.extend_from_slice(body);
    message.extend_from_slice(format!("_{timestamp}").as_bytes());
    hex::encode(Sha256::digest(&message))
}

fn header<'a>(received: &'a Received, name: &str) -> &'a str {
    received.headers[name].to_str().unwrap()
}

fn assert_signed(s: &Sandbox, received: &Received) {
    let timestamp = header(received, "x-timestamp");
    let secret = &s.credentials().finan_secret_key;
    assert_eq!(
        header(received, "x-signature"),
        expected_signature(secret, &received.path_and_query, &received.body, timestamp)
    );
    assert_eq!(header(received, "x-client-id"), s.credentials().finan_client_id);
    assert_eq!(header(received, "content-type"), "application/json");
    let sent: i64 = timestamp.parse().unwrap();
    assert!((sent - chrono::Utc::now().timestamp()).abs() <= 5, "{timestamp}");
}

async fn next(received: &mut mpsc::UnboundedReceiver<Received>) -> Received {
    tokio::time::timeout(WAIT, received.recv()).await.unwrap().unwrap()
}

#[tokio::test]
async fn webhook_is_signed_and_carries_the_seed_fields() {
    let s = sandbox().await;
    let (base, mut received) = merchant(&[], Duration::ZERO).await;
    let url = format!("{base}/hooks/finan?shop=42");
    let (status, body) = control(&s, "POST", "/__sandbox/finan/webhook", Some(json!({ "url": url }))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"], json!({ "url": url }));
    assert_eq!(s.finan().webhook_url(), Some(url.clone()));

    let id = create_id(&s, &seed_body()).await;
    let (status, paid) = control(
        &s,
        "POST",
        &format!("/__sandbox/finan/payments/{id}/pay"),
        Some(json!({ "amount": 6000000 })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{paid}");

    let hook = next(&mut received).await;
    assert_eq!(hook.path_and_query, "/hooks/finan?shop=42");
    assert_signed(&s, &hook);
    let text = std::str::from_utf8(&hook.body).unwrap();
    let payload: Value = serde_json::from_str(text).unwrap();
    assert_keys(
        text,
        &payload,
        &[
            "id",
            "reference_id",
            "reference_type",
            "payment_method",
            "payment_request_id",
            "amount",
            "created_at",
        ],
    );
    let payment = &paid["data"]["payment"];
    assert_eq!(
        payload,
        json!({
            "id": payment["id"],
            "reference_id": "54fgi4537-0cb5-4992-ad0e-76d26ba4ddc3",
            "reference_type": "invoice",
            "payment_method": "bank_transfer",
            "payment_request_id": id,
            "amount": 6000000,
            "created_at": payment["created_at"]
        })
    );
    assert!(text.starts_with(r#"{"id":"PAY-"#), "{text}");

    let log = s.finan().wait_for_deliveries(1, WAIT).await;
    assert_eq!(log.len(), 1);
    let delivery = &log[0];
    assert!(delivery.succeeded());
    assert_eq!(delivery.url.as_deref(), Some(url.as_str()));
    assert_eq!(
        (delivery.attempt, delivery.status_code, delivery.will_retry),
        (1, Some(200), false)
    );
    assert_eq!(delivery.payment_request_id, id);
    assert_eq!(delivery.timestamp, header(&hook, "x-timestamp"));

    let (status, listed) = control(&s, "GET", "/__sandbox/finan/webhook/deliveries", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        listed["data"],
        json!([{
            "payment_id": payment["id"],
            "payment_request_id": id,
            "url": url,
            "attempt": 1,
            "status_code": 200,
            "error": null,
            "will_retry": false,
            "timestamp": delivery.timestamp
        }])
    );
}

#[tokio::test]
async fn failed_deliveries_are_retried_on_the_configured_schedule() {
    let s = sandbox().await; // retries after 50, 100, 150 ms
    let (base, mut received) = merchant(&[500, 500], Duration::ZERO).await;
    s.finan().set_webhook_url(Some(format!("{base}/webhook")));
    let id = create_id(&s, &simple_body("card", 250_000, "ORDER-RETRY")).await;
    let receipt = s.finan().pay(&id, 250_000).unwrap();

    let attempts = [
        next(&mut received).await,
        next(&mut received).await,
        next(&mut received).await,
    ];
    for hook in &attempts {
        assert_signed(&s, hook);
        assert_eq!(hook.body, attempts[0].body, "the same payload every time");
    }
    assert!(attempts[1].at - attempts[0].at >= Duration::from_millis(50));
    assert!(attempts[2].at - attempts[1].at >= Duration::from_millis(100));

    let log = s.finan().wait_for_deliveries(3, WAIT).await;
    let summary: Vec<(u32, Option<u16>, bool)> = log.iter().map(|d| (d.attempt, d.status_code, d.will_retry)).collect();
    assert_eq!(
        summary,
        [(1, Some(500), true), (2, Some(500), true), (3, Some(200), false)]
    );
    assert!(log.iter().all(|d| d.payment_id == receipt.payment.id));
    // Nothing follows a success.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(s.finan().deliveries().len(), 3);
    assert!(received.try_recv().is_err());
}

#[tokio::test]
async fn retries_stop_after_the_schedule() {
    let s = sandbox().await;
    // A port nobody listens on: every attempt is a connection error.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/webhook", closed.local_addr().unwrap());
    drop(closed);
    s.finan().set_webhook_url(Some(url));
    let id = create_id(&s, &simple_body("card", 1_000, "ORDER-DOWN")).await;
    s.finan().pay(&id, 1_000).unwrap();

    let log = s.finan().wait_for_deliveries(4, WAIT).await;
    let attempts: Vec<u32> = log.iter().map(|d| d.attempt).collect();
    assert_eq!(attempts, [1, 2, 3, 4]);
    assert!(
        log.iter().all(|d| d.status_code.is_none() && d.error.is_some()),
        "{log:?}"
    );
    assert_eq!(log.iter().filter(|d| d.will_retry).count(), 3);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(s.finan().deliveries().len(), 4);
}

#[tokio::test]
async fn slow_replies_are_timeouts_and_not_retried() {
    let config = SandboxConfig {
        finan_webhook_retry_delays: vec![Duration::from_millis(10)],
        finan_webhook_timeout: Duration::from_millis(200),
        ..SandboxConfig::default()
    };
    let s = Sandbox::start_with(config, SandboxCredentials::default())
        .await
        .unwrap();
    let (base, mut received) = merchant(&[], Duration::from_secs(1)).await;
    s.finan().set_webhook_url(Some(format!("{base}/slow")));
    let id = create_id(&s, &simple_body("card", 1_000, "ORDER-SLOW")).await;
    s.finan().pay(&id, 1_000).unwrap();

    next(&mut received).await;
    let log = s.finan().wait_for_deliveries(1, WAIT).await;
    assert_eq!(log[0].error.as_deref(), Some("Timeout"));
    assert!(!log[0].will_retry);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(s.finan().deliveries().len(), 1);
}

#[tokio::test]
async fn no_url_is_recorded_as_url_not_set() {
    let s = sandbox().await;
    let id = create_id(&s, &simple_body("card", 1_000, "ORDER-NO-URL")).await;
    s.finan().pay(&id, 1_000).unwrap();
    let log = s.finan().wait_for_deliveries(1, WAIT).await;
    assert_eq!(log.len(), 1);
    assert_eq!(
        (log[0].url.as_deref(), log[0].error.as_deref()),
        (None, Some("URL Not Set"))
    );
    assert!(!log[0].will_retry && !log[0].succeeded());
}

#[tokio::test]
async fn webhook_url_control() {
    let s = sandbox().await;
    let (status, body) = control(&s, "GET", "/__sandbox/finan/webhook", None).await;
    assert_eq!((status, &body["data"]), (StatusCode::OK, &json!({ "url": null })));

    for (body, status, reason) in [
        (
            json!({ "url": "not a url" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "url must be an absolute http or https URL",
        ),
        (
            json!({ "url": "ftp://127.0.0.1/x" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "url must be an absolute http or https URL",
        ),
        (json!({ "url": 5 }), StatusCode::BAD_REQUEST, "url must be a string"),
        (json!({}), StatusCode::BAD_REQUEST, "url is required"),
    ] {
        let (got, reply) = control(&s, "POST", "/__sandbox/finan/webhook", Some(body)).await;
        assert_eq!(got, status, "{reply}");
        assert_eq!(reply["message"]["error"], reason);
    }

    let url = "http://127.0.0.1:9/hook";
    control(&s, "POST", "/__sandbox/finan/webhook", Some(json!({ "url": url }))).await;
    let (_, body) = control(&s, "GET", "/__sandbox/finan/webhook", None).await;
    assert_eq!(body["data"]["url"], url);
    let (status, body) = control(&s, "POST", "/__sandbox/finan/webhook", Some(json!({ "url": null }))).await;
    assert_eq!((status, &body["data"]), (StatusCode::OK, &json!({ "url": null })));
    assert_eq!(s.finan().webhook_url(), None);
    assert_eq!(s.finan().request_count(), 0);
}
