//! Helpers shared by the wiremock tests: fixtures, clients pointed at a mock server, mock shortcuts.
#![allow(dead_code)]

use provider_sepay::{OAuthCredentials, SepayClient};
use secrecy::SecretString;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

pub const API_TOKEN: &str = "API-TOKEN-5ECRET-0001";
pub const ACCESS_TOKEN: &str = "ACCESS-TOKEN-5ECRET-OLD";
pub const REFRESH_TOKEN: &str = "REFRESH-TOKEN-5ECRET-1";
pub const CLIENT_ID: &str = "client-id-42";
pub const CLIENT_SECRET: &str = "CLIENT-5ECRET-XYZ";

/// A fixture from tests/fixtures (the seed documents' examples, verbatim).
pub fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A 200 JSON reply with `body` as given.
pub fn json(status: u16, body: impl AsRef<str>) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(body.as_ref().as_bytes().to_vec(), "application/json")
}

/// An API-token client for `server`, paced fast unless a test is about pacing.
pub fn token_client(server: &MockServer) -> SepayClient {
    SepayClient::api_token(SecretString::from(API_TOKEN))
        .base_url(&server.uri())
        .requests_per_second(50)
        .build()
        .unwrap()
}

/// OAuth credentials with every piece: access token, refresh token, client id and secret.
pub fn full_credentials() -> OAuthCredentials {
    OAuthCredentials::from_refresh_token(
        SecretString::from(REFRESH_TOKEN),
        CLIENT_ID,
        SecretString::from(CLIENT_SECRET),
    )
    .with_access_token(SecretString::from(ACCESS_TOKEN))
}

pub fn oauth_client(server: &MockServer, credentials: OAuthCredentials) -> SepayClient {
    SepayClient::oauth(credentials).base_url(&server.uri()).build().unwrap()
}

/// Mounts `GET {p}` answering `reply`.
pub async fn mount_get(server: &MockServer, p: &str, reply: ResponseTemplate) {
    Mock::given(method("GET"))
        .and(path(p))
        .respond_with(reply)
        .mount(server)
        .await;
}

/// A token endpoint reply issuing `access` and `refresh`.
pub fn token_reply(access: &str, refresh: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(serde_json::json!({
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": 3600,
        "refresh_token": refresh,
        "scope": "bank-account:read"
    }))
}

/// The form fields of a request body.
pub fn form(body: &[u8]) -> std::collections::HashMap<String, String> {
    url::form_urlencoded::parse(body).into_owned().collect()
}

/// Requests `server` received on `p`.
pub async fn requests_to(server: &MockServer, p: &str) -> Vec<wiremock::Request> {
    server
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.url.path() == p)
        .collect()
}

/// Fails when any of the test secrets appears in `text`.
pub fn assert_no_secret(text: &str) {
    for secret in [
        API_TOKEN,
        ACCESS_TOKEN,
        REFRESH_TOKEN,
        CLIENT_SECRET,
        "NEW-ACCESS",
        "NEW-REFRESH",
    ] {
        assert!(!text.contains(secret), "a secret ({secret}) leaked into: {text}");
    }
}
