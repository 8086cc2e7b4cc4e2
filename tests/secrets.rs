//! No secret ever shows in `Debug`, `Display` or an error, for every client and credential type.

mod common;

use gateway::connection::{self, from_vars};
use gateway::finan::FinanClient;
use gateway::sepay::{OAuthCredentials, SepayClient};
use gateway::SecretString;
use gateway_sandbox::Sandbox;

const SECRETS: [&str; 5] = [
    "FINAN-SECRET-7f3a",
    "SEPAY-TOKEN-9c1e",
    "ACCESS-TOKEN-5b2d",
    "REFRESH-TOKEN-8e4f",
    "CLIENT-SECRET-1a6c",
];

fn assert_clean(text: &str) {
    for s in SECRETS {
        assert!(!text.contains(s), "a secret leaked: {text}");
    }
}

#[test]
fn debug_of_clients_builders_and_credentials_shows_no_secret() {
    let finan_builder = FinanClient::builder()
        .client_id("client")
        .secret_key(SecretString::from(SECRETS[0]));
    assert_clean(&format!("{finan_builder:?}"));
    let finan = finan_builder.build().unwrap();
    assert_clean(&format!("{finan:?} {finan:#?}"));

    let token_builder = SepayClient::api_token(SecretString::from(SECRETS[1]));
    assert_clean(&format!("{token_builder:?}"));
    let token = token_builder.build().unwrap();
    assert_clean(&format!("{token:?} {token:#?}"));

    let credentials = OAuthCredentials::new()
        .with_access_token(SecretString::from(SECRETS[2]))
        .with_refresh_token(SecretString::from(SECRETS[3]))
        .with_client("client", SecretString::from(SECRETS[4]));
    assert_clean(&format!("{credentials:?}"));
    let oauth = SepayClient::oauth(credentials).build().unwrap();
    assert_clean(&format!("{oauth:?} {oauth:#?}"));
}

#[test]
fn connections_from_the_environment_show_no_secret() {
    let vars = [
        (connection::FINAN_CLIENT_ID, "client"),
        (connection::FINAN_SECRET_KEY, SECRETS[0]),
        (connection::SEPAY_API_TOKEN, SECRETS[1]),
        (connection::SEPAY_OAUTH_ACCESS_TOKEN, SECRETS[2]),
        (connection::SEPAY_OAUTH_REFRESH_TOKEN, SECRETS[3]),
        (connection::SEPAY_OAUTH_CLIENT_ID, "client"),
        (connection::SEPAY_OAUTH_CLIENT_SECRET, SECRETS[4]),
    ];
    let built = from_vars(|name| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string()));
    assert_eq!(built.len(), 3);
    for c in &built {
        assert_clean(&format!("{c:?}"));
    }
}

#[tokio::test]
async fn errors_from_refused_credentials_show_no_secret() {
    let sandbox = Sandbox::start().await.unwrap();
    let finan = common::finan(&sandbox, SECRETS[0]);
    let token = common::sepay_token(&sandbox, SECRETS[1]);
    let oauth = common::sepay_oauth_without_refresh(&sandbox, SECRETS[2]);
    let clients: [&dyn gateway::BankAccountProvider; 3] = [finan.as_ref(), token.as_ref(), oauth.as_ref()];
    for client in clients {
        let err = client.list_accounts(gateway::PageRequest::first()).await.unwrap_err();
        assert!(matches!(err, gateway::Error::Unauthorized(_)), "{err:?}");
        assert_clean(&format!("{err} {err:?}"));
    }
    // A refresh with a refresh token the server refuses: the error names the failure, not the tokens.
    let credentials = OAuthCredentials::new()
        .with_access_token(SecretString::from(SECRETS[2]))
        .with_refresh_token(SecretString::from(SECRETS[3]))
        .with_client(
            sandbox.credentials().sepay_oauth_client_id.clone(),
            SecretString::from(SECRETS[4]),
        );
    let refreshing = SepayClient::oauth(credentials)
        .base_url(&sandbox.sepay_base_url())
        .build()
        .unwrap();
    let err = gateway::BankAccountProvider::list_accounts(&refreshing, gateway::PageRequest::first())
        .await
        .unwrap_err();
    assert!(matches!(err, gateway::Error::Unauthorized(_)), "{err:?}");
    assert_clean(&format!("{err} {err:?}"));
}
