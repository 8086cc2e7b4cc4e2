//! OAuth client instances sharing a token store, on the sandbox: shared by
//! `crates/provider-sepay/tests/token_instances.rs` (memory stores) and the facade's
//! `tests/stores.rs` (Redis and PostgreSQL), which includes this file with `#[path]`.
#![allow(dead_code)]

use std::sync::Arc;

use chrono::Utc;
use gateway_core::Error;
use gateway_sandbox::Sandbox;
use provider_sepay::{OAuthCredentials, OAuthTokens, SepayClient, TokenStore};
use secrecy::SecretString;

/// The sandbox's tokens, saved as if an instance had stored them an hour ago: the access token
/// has expired (by its recorded expiry, and at the sandbox too).
pub fn expired_tokens(sandbox: &Sandbox) -> OAuthTokens {
    let c = sandbox.credentials();
    sandbox.sepay().expire_oauth_access_tokens();
    OAuthTokens::new(
        Some(SecretString::from(c.sepay_oauth_access_token.clone())),
        Some(SecretString::from(c.sepay_oauth_refresh_token.clone())),
        Some(Utc::now() - chrono::Duration::seconds(60)),
    )
}

/// One app instance: a client with only the OAuth application's credentials and the shared store.
pub fn instance(sandbox: &Sandbox, store: Arc<dyn TokenStore>) -> SepayClient {
    let c = sandbox.credentials();
    SepayClient::oauth(OAuthCredentials::new().with_client(
        c.sepay_oauth_client_id.clone(),
        SecretString::from(c.sepay_oauth_client_secret.clone()),
    ))
    .token_store(store)
    .base_url(&sandbox.sepay_base_url())
    .build()
    .expect("client")
}

/// Runs `calls` concurrent account reads on each of `instances`; the results.
pub async fn run(instances: &[SepayClient], calls: usize) -> Vec<Result<(), Error>> {
    let tasks: Vec<_> = instances
        .iter()
        .flat_map(|client| {
            (0..calls).map(move |_| {
                let client = client.clone();
                tokio::spawn(async move { client.list_oauth_bank_accounts(1, 5).await.map(drop) })
            })
        })
        .collect();
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.expect("no panic"));
    }
    results
}
