//! Replies the fault matrix (`tests/fault_matrix.rs` at the workspace root) found mishandled, each
//! pinned here against wiremock: an order cancel / void answered with an empty or cut-short 200,
//! and OAuth token-endpoint replies (a 429 or 5xx in OAuth error JSON, a token reply labelled
//! `text/plain`).

use gateway_core::Error;
use provider_sepay::{
    CheckoutEnvironment, OAuthCredentials, RetryPolicy, SecretString, SepayClient, SepayPaymentGateway,
};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn gateway(server: &MockServer) -> SepayPaymentGateway {
    SepayPaymentGateway::builder(
        "SP-TEST-MERCH01",
        SecretString::from("sk"),
        CheckoutEnvironment::Sandbox,
    )
    .order_api_base_url(&format!("{}/v1/", server.uri()))
    .build()
    .unwrap()
}

async fn mount_post(server: &MockServer, route: &str, reply: ResponseTemplate) {
    Mock::given(method("POST"))
        .and(path(route))
        .respond_with(reply)
        .expect(1)
        .mount(server)
        .await;
}

#[tokio::test]
async fn cancel_or_void_answered_without_json_is_not_a_success() {
    let server = MockServer::start().await;
    mount_post(&server, "/v1/order/cancel", ResponseTemplate::new(200)).await;
    mount_post(
        &server,
        "/v1/order/voidTransaction",
        ResponseTemplate::new(200).set_body_raw(r#"{"message":"Void tran"#, "application/json"),
    )
    .await;
    let gw = gateway(&server);
    let empty = gw.cancel_order("DH1").await.unwrap_err();
    assert!(matches!(empty, Error::Decode { status: Some(200), .. }), "{empty:?}");
    let cut = gw.void_transaction("DH2").await.unwrap_err();
    assert!(matches!(cut, Error::Decode { status: Some(200), .. }), "{cut:?}");
}

/// An OAuth client whose access token the server refuses, so its first call refreshes.
fn refreshing_client(server: &MockServer) -> SepayClient {
    let credentials = OAuthCredentials::new()
        .with_access_token(SecretString::from("old-access"))
        .with_refresh_token(SecretString::from("refresh-1"))
        .with_client("client-id", SecretString::from("client-secret"));
    SepayClient::oauth(credentials)
        .base_url(&server.uri())
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap()
}

async fn mount_accounts(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path("/api/v1/bank-accounts"))
        .and(header("authorization", "Bearer old-access"))
        .respond_with(ResponseTemplate::new(401).set_body_raw(
            r#"{"status":"error","error":{"code":"unauthorized","message":"Token expired"}}"#,
            "application/json",
        ))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/bank-accounts"))
        .and(header("authorization", "Bearer new-access"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(r#"{"status":"success","data":[]}"#, "application/json"))
        .mount(server)
        .await;
}

#[tokio::test]
async fn token_endpoint_429_and_5xx_keep_their_status_in_oauth_error_json() {
    for (status, kind) in [(429, "rate_limited"), (503, "provider_error"), (500, "provider_error")] {
        let server = MockServer::start().await;
        mount_accounts(&server).await;
        let body = r#"{"error":"too_many_requests","error_description":"Too many requests"}"#;
        Mock::given(method("POST"))
            .and(path("/oauth/token"))
            .respond_with(
                ResponseTemplate::new(status)
                    .insert_header("retry-after", "7")
                    .set_body_raw(body, "application/json"),
            )
            .mount(&server)
            .await;
        let err = refreshing_client(&server)
            .list_oauth_bank_accounts(1, 20)
            .await
            .unwrap_err();
        assert_eq!((err.kind(), err.status()), (kind, Some(status)), "{err:?}");
        assert!(err.is_retryable(), "{err:?}");
    }
}

#[tokio::test]
async fn token_reply_of_json_labelled_text_plain_is_accepted() {
    let server = MockServer::start().await;
    mount_accounts(&server).await;
    let tokens = r#"{"access_token":"new-access","refresh_token":"refresh-2","token_type":"Bearer","expires_in":3600}"#;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(tokens, "text/plain; charset=utf-8"))
        .expect(1)
        .mount(&server)
        .await;
    let client = refreshing_client(&server);
    client.list_oauth_bank_accounts(1, 20).await.unwrap();
    let kept = client.oauth_tokens().await.unwrap();
    use secrecy::ExposeSecret as _;
    assert_eq!(
        kept.refresh_token.unwrap().expose_secret(),
        "refresh-2",
        "the rotated token is kept"
    );
}
