//! End to end against the local SePay emulator of `gateway-sandbox`, an independent implementation
//! of the same seed documents (it shares no code with this crate).

use std::collections::HashSet;

use futures::TryStreamExt;
use gateway_core::{AccountKind, BankAccount, BankAccountProvider, Error};
use gateway_sandbox::Sandbox;
use provider_sepay::{BankAccountFilter, OAuthCredentials, SepayClient};
use secrecy::{ExposeSecret, SecretString};

fn token_client(sandbox: &Sandbox, token: &str) -> SepayClient {
    SepayClient::api_token(SecretString::from(token))
        .base_url(&sandbox.sepay_base_url())
        .build()
        .unwrap()
}

fn oauth_client(sandbox: &Sandbox, credentials: OAuthCredentials) -> SepayClient {
    SepayClient::oauth(credentials)
        .base_url(&sandbox.sepay_base_url())
        .build()
        .unwrap()
}

fn full_credentials(sandbox: &Sandbox) -> OAuthCredentials {
    let c = sandbox.credentials();
    OAuthCredentials::from_refresh_token(
        SecretString::from(c.sepay_oauth_refresh_token.clone()),
        c.sepay_oauth_client_id.clone(),
        SecretString::from(c.sepay_oauth_client_secret.clone()),
    )
    .with_access_token(SecretString::from(c.sepay_oauth_access_token.clone()))
}

#[tokio::test]
async fn api_token_stream_returns_every_account_once_without_429() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = token_client(&sandbox, &sandbox.credentials().sepay_api_token);
    let all: Vec<BankAccount> = client.stream_accounts().try_collect().await.unwrap();
    assert_eq!(all.len(), 230);
    let ids: HashSet<_> = all.iter().map(|a| a.id.clone()).collect();
    assert_eq!(ids.len(), 230, "no duplicates");
    assert!(all.iter().all(|a| a.kind == AccountKind::Master && a.balance.is_some()));
    assert_eq!(
        client.count_bank_accounts(&BankAccountFilter::default()).await.unwrap(),
        230
    );
    let one = client.get_account(&all[17].id).await.unwrap();
    assert_eq!(one, all[17]);
    assert_eq!(
        sandbox.sepay().rate_limited_count(),
        0,
        "the pacing kept under SePay's limit"
    );
}

#[tokio::test]
async fn oauth_stream_returns_masters_each_followed_by_its_sub_accounts() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = oauth_client(&sandbox, full_credentials(&sandbox));
    let all: Vec<BankAccount> = client.stream_accounts().try_collect().await.unwrap();
    let masters: Vec<_> = all.iter().filter(|a| a.kind == AccountKind::Master).collect();
    assert_eq!(masters.len(), 45);
    let ids: HashSet<_> = all.iter().map(|a| a.id.clone()).collect();
    assert_eq!(ids.len(), all.len(), "no duplicates");
    // Every sub-account comes right after its master (or a sibling), carries its bank and its id.
    let mut current_master: Option<&BankAccount> = None;
    let mut subs = 0;
    for a in &all {
        match a.kind {
            AccountKind::Master => current_master = Some(a),
            _ => {
                subs += 1;
                let m = current_master.expect("a sub-account before any master");
                assert_eq!(a.parent_id.as_deref(), Some(m.id.as_str()));
                assert!(a.id.starts_with(&format!("{}/", m.id)));
                assert_eq!(a.bank, m.bank);
            }
        }
    }
    assert!(subs > 0, "the sandbox seeds sub-accounts");
    // Each one can be fetched by its id.
    let sub = all.iter().find(|a| a.kind == AccountKind::Virtual).unwrap();
    assert_eq!(&client.get_account(&sub.id).await.unwrap(), sub);
    assert_eq!(sandbox.sepay().token_refresh_count(), 0);
}

#[tokio::test]
async fn expired_access_token_is_refreshed_once_and_the_rotated_token_kept() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = oauth_client(&sandbox, full_credentials(&sandbox));
    let before = client.list_oauth_bank_accounts(1, 5).await.unwrap();
    assert_eq!(sandbox.sepay().token_refresh_count(), 0);
    sandbox.sepay().expire_oauth_access_tokens();
    let after = client.list_oauth_bank_accounts(1, 5).await.unwrap();
    assert_eq!(after.items, before.items);
    assert_eq!(sandbox.sepay().token_refresh_count(), 1);
    let tokens = client.oauth_tokens().await.unwrap();
    assert_eq!(
        tokens.refresh_token.unwrap().expose_secret(),
        sandbox.sepay().current_refresh_token()
    );
    // Twice more: each refresh must send the refresh token of the one before.
    for n in 2..=3 {
        sandbox.sepay().expire_oauth_access_tokens();
        client
            .get_oauth_bank_account(before.items[0].id.parse().unwrap())
            .await
            .unwrap();
        assert_eq!(sandbox.sepay().token_refresh_count(), n);
    }
}

#[tokio::test]
async fn refresh_token_alone_is_enough() {
    let sandbox = Sandbox::start().await.unwrap();
    let mut creds = full_credentials(&sandbox);
    creds.access_token = None;
    let client = oauth_client(&sandbox, creds);
    assert_eq!(client.list_oauth_bank_accounts(1, 100).await.unwrap().total, Some(45));
    assert_eq!(sandbox.sepay().token_refresh_count(), 1);
}

#[tokio::test]
async fn token_without_bank_account_scope_is_forbidden_naming_the_scope() {
    let sandbox = Sandbox::start().await.unwrap();
    let token = sandbox.sepay().issue_oauth_access_token(&["transaction:read"]);
    let client = oauth_client(
        &sandbox,
        OAuthCredentials::from_access_token(SecretString::from(token.clone())),
    );
    let err = client.stream_accounts().try_collect::<Vec<_>>().await.unwrap_err();
    assert!(
        matches!(err, Error::Forbidden(ref c) if c.message.contains("bank-account:read")),
        "{err:?}"
    );
    assert!(!format!("{err} {err:?}").contains(&token));
}

#[tokio::test]
async fn wrong_api_token_is_unauthorized() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = token_client(&sandbox, "NOT-THE-TOKEN");
    let err = client
        .list_bank_accounts(&BankAccountFilter::default())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unauthorized(_)), "{err:?}");
    assert!(!format!("{err} {err:?}").contains("NOT-THE-TOKEN"));
}

#[tokio::test]
async fn legacy_empty_reply_is_unauthorized() {
    let sandbox = Sandbox::start().await.unwrap();
    sandbox.sepay().set_legacy_empty_auth_reply(true);
    let client = token_client(&sandbox, "NOT-THE-TOKEN");
    let err = client.stream_accounts().try_collect::<Vec<_>>().await.unwrap_err();
    assert!(
        matches!(err, Error::Unauthorized(ref c) if c.status == Some(200)),
        "{err:?}"
    );
}

#[tokio::test]
async fn wrong_oauth_access_token_without_refresh_is_unauthorized() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = oauth_client(
        &sandbox,
        OAuthCredentials::from_access_token(SecretString::from("WRONG-ACCESS")),
    );
    let err = client.list_oauth_bank_accounts(1, 20).await.unwrap_err();
    assert!(matches!(err, Error::Unauthorized(_)), "{err:?}");
}
