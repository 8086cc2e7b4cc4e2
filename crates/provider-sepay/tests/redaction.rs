//! No `Debug` output of this crate's types shows a token or a secret.

mod common;

use chrono::Utc;
use common::*;
use provider_sepay::{OAuthCredentials, SepayClient};
use secrecy::{ExposeSecret, SecretString};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer};

#[test]
fn builders_and_clients_of_both_ways_hide_credentials() {
    let token_builder = SepayClient::api_token(SecretString::from(API_TOKEN)).base_url("http://127.0.0.1:9");
    let text = format!("{token_builder:?}");
    assert_no_secret(&text);
    assert!(text.contains("127.0.0.1:9"), "{text}");
    let token_client = token_builder.build().unwrap();
    let text = format!("{token_client:?} {token_client:#?}");
    assert_no_secret(&text);
    assert!(text.contains("requests_per_second"), "{text}");

    let oauth_builder = SepayClient::oauth(full_credentials().with_access_token_expires_at(Utc::now()));
    assert_no_secret(&format!("{oauth_builder:?} {oauth_builder:#?}"));
    let oauth_client = oauth_builder.build().unwrap();
    let text = format!("{oauth_client:?} {oauth_client:#?}");
    assert_no_secret(&text);
    assert!(
        text.contains(CLIENT_ID),
        "the client id is not a secret and helps debugging: {text}"
    );
}

#[test]
fn credentials_show_which_fields_are_set_only() {
    let creds = full_credentials();
    let text = format!("{creds:?} {creds:#?}");
    assert_no_secret(&text);
    assert!(text.contains("[set]"), "{text}");
    let partial = OAuthCredentials::new().with_access_token(SecretString::from(ACCESS_TOKEN));
    assert!(format!("{partial:?}").contains("[unset]"));
}

#[tokio::test]
async fn tokens_after_a_refresh_are_hidden_too() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(token_reply("NEW-ACCESS-1", "NEW-REFRESH-2"))
        .mount(&server)
        .await;
    mount_get(
        &server,
        "/api/v1/bank-accounts/19",
        json(200, fixture("oauth_bank_account_details.json")),
    )
    .await;
    let creds = OAuthCredentials::from_refresh_token(
        SecretString::from(REFRESH_TOKEN),
        CLIENT_ID,
        SecretString::from(CLIENT_SECRET),
    );
    let client = oauth_client(&server, creds);
    client.get_oauth_bank_account(19).await.unwrap();
    let tokens = client.oauth_tokens().await.unwrap();
    assert_eq!(tokens.refresh_token.as_ref().unwrap().expose_secret(), "NEW-REFRESH-2");
    let text = format!("{tokens:?} {tokens:#?} {client:?}");
    assert_no_secret(&text);
    assert!(
        !text.contains("NEW-ACCESS-1") && !text.contains("NEW-REFRESH-2"),
        "{text}"
    );
}
