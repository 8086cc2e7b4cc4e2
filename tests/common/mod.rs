//! Shared helpers for the facade's integration tests: connections pointed at a fresh sandbox.
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::Arc;

use gateway::connection::{self, Connection};
use gateway::finan::FinanClient;
use gateway::sepay::{CheckoutEnvironment, OAuthCredentials, SepayClient, SepayPaymentGateway};
use gateway::SecretString;
use gateway_sandbox::Sandbox;

/// The three connections (`finan`, `sepay-token`, `sepay-oauth`) built from those variables.
pub fn sandbox_connections(sandbox: &Sandbox) -> Vec<Connection> {
    let vars: HashMap<&str, String> = sandbox.env_vars().into_iter().collect();
    connection::from_vars(|name| vars.get(name).cloned())
        .into_iter()
        .map(|c| c.expect("sandbox connections build"))
        .collect()
}

pub fn finan(sandbox: &Sandbox, secret: &str) -> Arc<FinanClient> {
    Arc::new(
        FinanClient::builder()
            .client_id(sandbox.credentials().finan_client_id.clone())
            .secret_key(SecretString::from(secret.to_string()))
            .base_url(&sandbox.finan_base_url())
            .build()
            .unwrap(),
    )
}

pub fn sepay_token(sandbox: &Sandbox, token: &str) -> Arc<SepayClient> {
    Arc::new(
        SepayClient::api_token(SecretString::from(token.to_string()))
            .base_url(&sandbox.sepay_base_url())
            .build()
            .unwrap(),
    )
}

pub fn sepay_oauth(sandbox: &Sandbox, access_token: &str) -> Arc<SepayClient> {
    let c = sandbox.credentials();
    let credentials = OAuthCredentials::new()
        .with_access_token(SecretString::from(access_token.to_string()))
        .with_refresh_token(SecretString::from(c.sepay_oauth_refresh_token.clone()))
        .with_client(
            c.sepay_oauth_client_id.clone(),
            SecretString::from(c.sepay_oauth_client_secret.clone()),
        );
    Arc::new(
        SepayClient::oauth(credentials)
            .base_url(&sandbox.sepay_base_url())
            .build()
            .unwrap(),
    )
}

/// An OAuth client with an access token the sandbox does not know and no way to refresh it.
pub fn sepay_oauth_without_refresh(sandbox: &Sandbox, access_token: &str) -> Arc<SepayClient> {
    let credentials = OAuthCredentials::new().with_access_token(SecretString::from(access_token.to_string()));
    Arc::new(
        SepayClient::oauth(credentials)
            .base_url(&sandbox.sepay_base_url())
            .build()
            .unwrap(),
    )
}

/// SePay's payment gateway with the sandbox's merchant credentials, its checkout and Order API.
pub fn sepay_gateway(sandbox: &Sandbox) -> Arc<SepayPaymentGateway> {
    let c = sandbox.credentials();
    let base = sandbox.sepay_base_url();
    Arc::new(
        SepayPaymentGateway::builder(
            c.sepay_merchant_id.clone(),
            SecretString::from(c.sepay_secret_key.clone()),
            CheckoutEnvironment::Sandbox,
        )
        .order_api_base_url(&format!("{base}/v1/"))
        .checkout_url(&format!("{base}/v1/checkout/init"))
        .build()
        .unwrap(),
    )
}
