//! Fault injection over HTTP: every kind against real listeners with reqwest, the control endpoint
//! on both providers, and the webhook faults with a local receiver. Finan requests are signed with
//! an inline copy of the documented formula.

use std::time::Duration;

use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tokio::sync::mpsc;

use crate::faults::{Fault, FaultKind, RouteMatcher};
use crate::sepay::NewTransfer;
use crate::{Sandbox, SandboxConfig, SandboxCredentials};

const TOKEN: &str = "SANDBOX-SEPAY-API-TOKEN";
const ACCESS: &str = "sandbox-sepay-access-token";
const ACCOUNTS: &str = "/userapi/bankaccounts/list";
const WAIT: Duration = Duration::from_secs(5);

async fn sandbox() -> Sandbox {
    let config = SandboxConfig {
        sepay_token_requests_per_second: 10_000,
        ..SandboxConfig::default()
    };
    Sandbox::start_with(config, SandboxCredentials::default())
        .await
        .unwrap()
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

async fn sepay_get(s: &Sandbox, path: &str, token: &str) -> reqwest::Response {
    client()
        .get(format!("{}{path}", s.sepay_base_url()))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

/// A signed Finan GET of `path` (under `/open`).
fn finan_get(s: &Sandbox, path: &str) -> reqwest::RequestBuilder {
    let c = s.credentials();
    let ts = chrono::Utc::now().timestamp().to_string();
    let message = format!("{}_GET_{path}__{ts}", c.finan_secret_key);
    let signature = hex::encode(Sha256::digest(message.as_bytes()));
    client()
        .get(format!("{}{path}", s.finan_base_url()))
        .header("x-client-id", &c.finan_client_id)
        .header("x-timestamp", ts)
        .header("x-signature", signature)
}

fn inject(s: &Sandbox, route: &str, kind: FaultKind) {
    s.sepay_faults().inject(Fault::new(route.parse().unwrap(), kind));
}

#[tokio::test]
async fn status_429_carries_the_providers_retry_header_before_auth() {
    let s = sandbox().await;
    s.sepay_faults().inject(
        Fault::new(
            RouteMatcher::new("GET", ACCOUNTS),
            FaultKind::Status429 { retry_after: Some(7) },
        )
        .times(2),
    );
    // Another route is not hit.
    assert_eq!(sepay_get(&s, "/userapi/bankaccounts/count", TOKEN).await.status(), 200);
    // A wrong token still gets the fault: it is checked before authentication.
    for token in [TOKEN, "wrong"] {
        let response = sepay_get(&s, ACCOUNTS, token).await;
        assert_eq!(response.status(), 429);
        assert_eq!(response.headers()["x-sepay-userapi-retry-after"], "7");
        assert!(response.headers().get("retry-after").is_none());
        let body: Value = response.json().await.unwrap();
        assert_eq!((&body["status"], &body["error"]), (&json!(429), &json!(429)));
    }
    assert_eq!(sepay_get(&s, ACCOUNTS, TOKEN).await.status(), 200, "the burst is over");
    assert_eq!(s.sepay_faults().applied("status_429"), 2);
    assert_eq!(s.sepay().request_count(), 4, "faulted requests are counted");
    assert_eq!(s.sepay().rate_limited_count(), 0, "the real rate limit is apart");

    // Without retry_after there is no header; OAuth routes answer in their own envelope.
    inject(&s, "/api/v1", FaultKind::Status429 { retry_after: None });
    let response = sepay_get(&s, "/api/v1/bank-accounts", ACCESS).await;
    assert_eq!(response.status(), 429);
    assert!(response.headers().get("retry-after").is_none());
    assert!(response.headers().get("x-sepay-userapi-retry-after").is_none());
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "error");
    // Elsewhere on SePay the header is Retry-After.
    inject(&s, "/api/v1", FaultKind::Status429 { retry_after: Some(3) });
    let response = sepay_get(&s, "/api/v1/bank-accounts", ACCESS).await;
    assert_eq!(response.headers()["retry-after"], "3");

    // Finan: Retry-After and the documented envelope, before the signature check.
    s.finan_faults().inject(Fault::new(
        RouteMatcher::any(),
        FaultKind::Status429 { retry_after: Some(2) },
    ));
    let response = client()
        .get(format!("{}/api/v1/bank-accounts", s.finan_base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["retry-after"], "2");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], 104000);
    assert_eq!(s.finan().request_count(), 1);
    assert_eq!(s.finan().rejected_auth_count(), 0);
    assert_eq!(s.finan_faults().applied("status_429"), 1);
}

#[tokio::test]
async fn server_errors_come_in_the_providers_envelopes() {
    let s = sandbox().await;
    s.finan_faults().inject(
        Fault::new(
            RouteMatcher::new("GET", "/open/api/v1/bank-accounts"),
            FaultKind::Status { code: 503 },
        )
        .times(3),
    );
    for _ in 0..3 {
        let response = finan_get(&s, "/api/v1/bank-accounts").send().await.unwrap();
        assert_eq!(response.status(), 503);
        assert_eq!(response.headers()["content-type"], "application/json");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["code"], 104000);
        assert_eq!(body["message"]["error"], "Service Unavailable");
    }
    assert_eq!(
        finan_get(&s, "/api/v1/bank-accounts").send().await.unwrap().status(),
        200
    );
    assert_eq!(s.finan_faults().applied("status"), 3);

    for (code, path, token) in [
        (500, ACCOUNTS, TOKEN),
        (502, "/api/v1/bank-accounts", ACCESS),
        (503, "/v1/order", "x"),
    ] {
        inject(&s, "*", FaultKind::Status { code });
        let response = sepay_get(&s, path, token).await;
        assert_eq!(response.status().as_u16(), code, "{path}");
        let body: Value = response.json().await.unwrap();
        match path {
            ACCOUNTS => assert_eq!(body["status"], code),
            "/api/v1/bank-accounts" => assert_eq!(body["error"]["code"], "bad_gateway"),
            _ => assert_eq!(body["error_code"], "SERVICE_UNAVAILABLE"),
        }
    }
    assert_eq!(s.sepay_faults().applied("status"), 3);
}

#[tokio::test]
async fn a_delay_outlasts_the_client_timeout_then_the_reply_is_normal() {
    let s = sandbox().await;
    inject(&s, "GET /userapi", FaultKind::Delay { ms: 600 });
    let impatient = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_millis(150))
        .build()
        .unwrap();
    let error = impatient
        .get(format!("{}{ACCOUNTS}", s.sepay_base_url()))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap_err();
    assert!(error.is_timeout(), "{error}");

    inject(&s, "GET /userapi", FaultKind::Delay { ms: 300 });
    let started = std::time::Instant::now();
    let response = sepay_get(&s, ACCOUNTS, TOKEN).await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert!(body["bankaccounts"].is_array());
    assert_eq!(s.sepay_faults().applied("delay"), 2);
}

#[tokio::test]
async fn a_reset_mid_body_fails_the_read_after_the_headers() {
    let s = sandbox().await;
    inject(&s, ACCOUNTS, FaultKind::ResetMidBody);
    let response = sepay_get(&s, ACCOUNTS, TOKEN).await;
    assert_eq!(response.status(), 200);
    let length: usize = response.headers()["content-length"].to_str().unwrap().parse().unwrap();
    assert!(length > 100);
    let error = response.bytes().await.unwrap_err();
    assert!(error.is_body() || error.is_decode(), "{error}");

    s.finan_faults()
        .inject(Fault::new(RouteMatcher::path("/open"), FaultKind::ResetMidBody));
    let response = finan_get(&s, "/api/v1/bank-accounts").send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.text().await.is_err());
    assert_eq!(s.sepay_faults().applied("reset_mid_body"), 1);
    assert_eq!(s.finan_faults().applied("reset_mid_body"), 1);
    // The connection pool recovers: the next request is whole.
    assert_eq!(sepay_get(&s, ACCOUNTS, TOKEN).await.status(), 200);
}

#[tokio::test]
async fn truncated_json_is_half_the_normal_body() {
    let s = sandbox().await;
    let whole = sepay_get(&s, ACCOUNTS, TOKEN).await.text().await.unwrap();
    inject(&s, ACCOUNTS, FaultKind::TruncatedJson);
    let response = sepay_get(&s, ACCOUNTS, TOKEN).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let cut = response.bytes().await.unwrap();
    assert_eq!(cut.len(), whole.len() / 2);
    assert_eq!(&cut[..], &whole.as_bytes()[..whole.len() / 2]);
    assert!(serde_json::from_slice::<Value>(&cut).is_err());
    assert_eq!(s.sepay_faults().applied("truncated_json"), 1);
}

#[tokio::test]
async fn an_html_error_page_an_empty_200_and_a_wrong_content_type() {
    let s = sandbox().await;
    inject(&s, ACCOUNTS, FaultKind::HtmlErrorPage { status: 502 });
    let response = sepay_get(&s, ACCOUNTS, TOKEN).await;
    assert_eq!(response.status(), 502);
    assert_eq!(response.headers()["content-type"], "text/html");
    let page = response.text().await.unwrap();
    assert!(
        page.contains("<title>502 Bad Gateway</title>") && page.contains("nginx"),
        "{page}"
    );

    inject(&s, ACCOUNTS, FaultKind::EmptyOk);
    let response = sepay_get(&s, ACCOUNTS, TOKEN).await;
    assert_eq!(response.status(), 200);
    assert!(response.bytes().await.unwrap().is_empty());

    inject(&s, ACCOUNTS, FaultKind::WrongContentType);
    let response = sepay_get(&s, ACCOUNTS, TOKEN).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/plain; charset=utf-8");
    let body: Value = serde_json::from_str(&response.text().await.unwrap()).unwrap();
    assert!(body["bankaccounts"].is_array(), "the body is the normal one");

    s.finan_faults().inject(Fault::new(
        RouteMatcher::any(),
        FaultKind::HtmlErrorPage { status: 504 },
    ));
    let response = finan_get(&s, "/api/v1/bank-accounts").send().await.unwrap();
    assert_eq!(response.status(), 504);
    assert!(response.text().await.unwrap().contains("504 Gateway Timeout"));

    let applied = s.sepay_faults().applied_counts();
    assert_eq!(
        applied.into_iter().collect::<Vec<_>>(),
        [("empty_ok", 1), ("html_error_page", 1), ("wrong_content_type", 1)]
    );
}

#[tokio::test]
async fn the_control_endpoint_adds_lists_and_clears_faults_on_both_listeners() {
    let s = sandbox().await;
    for base in [
        s.sepay_base_url(),
        s.finan_base_url().trim_end_matches("/open").to_string(),
    ] {
        let url = format!("{base}/__sandbox/faults");
        let response = client()
            .post(&url)
            .json(&json!({"route": "GET /nowhere", "type": "status", "code": 502, "count": 2}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        let body: Value = response.json().await.unwrap();
        assert_eq!(
            body,
            json!({"pending": [{"route": "GET /nowhere", "type": "status", "code": 502, "count": 2}], "applied": {}})
        );
        // A catch-all fault does not touch the controls.
        let response = client()
            .post(&url)
            .json(&json!({"type": "empty_ok"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        let body: Value = client().get(&url).send().await.unwrap().json().await.unwrap();
        assert_eq!(
            body["pending"][1],
            json!({"route": "*", "type": "empty_ok", "count": 1})
        );

        for bad in [
            json!({"type": "status", "code": 200}),
            json!({"type": "teapot"}),
            json!({"route": "nowhere", "type": "empty_ok"}),
        ] {
            let response = client().post(&url).json(&bad).send().await.unwrap();
            assert_eq!(response.status(), 400, "{bad}");
            let body: Value = response.json().await.unwrap();
            assert!(body["error"].is_string());
        }

        let response = client().get(format!("{base}/nowhere")).send().await.unwrap();
        assert_eq!(response.status(), 502);
        let body: Value = client().delete(&url).send().await.unwrap().json().await.unwrap();
        assert_eq!(body, json!({"pending": [], "applied": {"status": 1}}));
        let response = client().get(format!("{base}/nowhere")).send().await.unwrap();
        assert_eq!(response.status(), 404);
    }
    s.sepay_faults()
        .inject(Fault::new(RouteMatcher::any(), FaultKind::EmptyOk));
    s.finan_faults()
        .inject(Fault::new(RouteMatcher::any(), FaultKind::EmptyOk));
    s.clear_faults();
    assert!(s.sepay_faults().pending().is_empty() && s.finan_faults().pending().is_empty());
}

/// A receiver that answers 200 and reports the `id` of every webhook body it gets.
async fn receiver() -> (String, mpsc::UnboundedReceiver<u64>) {
    let (seen, ids) = mpsc::unbounded_channel();
    let app = axum::Router::new().fallback(move |body: axum::body::Bytes| {
        let seen = seen.clone();
        async move {
            let body: Value = serde_json::from_slice(&body).unwrap();
            let _ = seen.send(body["id"].as_u64().unwrap());
            "{\"success\": true}"
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}/hooks"), ids)
}

async fn next_id(ids: &mut mpsc::UnboundedReceiver<u64>) -> u64 {
    tokio::time::timeout(WAIT, ids.recv()).await.unwrap().unwrap()
}

fn transfer(s: &Sandbox, content: &str) -> u64 {
    s.sepay()
        .transfer(NewTransfer::incoming("0071000899999", 1000, content))
        .unwrap()
        .id
}

#[tokio::test]
async fn webhooks_can_arrive_twice_or_out_of_order() {
    let s = sandbox().await;
    let (url, mut ids) = receiver().await;
    s.sepay().set_webhook_url(Some(url));

    s.sepay_faults().inject(Fault::webhook(FaultKind::DuplicateDelivery));
    let first = transfer(&s, "DH1001");
    assert_eq!((next_id(&mut ids).await, next_id(&mut ids).await), (first, first));
    let second = transfer(&s, "DH1002");
    assert_eq!(next_id(&mut ids).await, second, "only the next notification is doubled");

    s.sepay_faults().inject(Fault::webhook(FaultKind::OutOfOrder));
    let held = transfer(&s, "DH1003");
    assert!(
        tokio::time::timeout(Duration::from_millis(200), ids.recv())
            .await
            .is_err(),
        "the held notification waits"
    );
    let following = transfer(&s, "DH1004");
    assert_eq!((next_id(&mut ids).await, next_id(&mut ids).await), (following, held));
    let after = transfer(&s, "DH1005");
    assert_eq!(next_id(&mut ids).await, after);

    let log = s.sepay().wait_for_webhook_deliveries(6, WAIT).await;
    assert_eq!(log.len(), 6);
    assert!(log.iter().all(|d| d.succeeded()));
    assert_eq!(s.sepay_faults().applied("duplicate_delivery"), 1);
    assert_eq!(s.sepay_faults().applied("out_of_order"), 1);
    // Clearing the faults sends a notification still held back.
    s.sepay_faults().inject(Fault::webhook(FaultKind::OutOfOrder));
    let stranded = transfer(&s, "DH1006");
    assert!(tokio::time::timeout(Duration::from_millis(100), ids.recv())
        .await
        .is_err());
    s.clear_faults();
    assert_eq!(next_id(&mut ids).await, stranded);

    // Webhook faults never hit requests.
    s.sepay_faults().inject(Fault::webhook(FaultKind::DuplicateDelivery));
    assert_eq!(sepay_get(&s, ACCOUNTS, TOKEN).await.status(), 200);
    assert_eq!(s.sepay_faults().pending().len(), 1);
}
