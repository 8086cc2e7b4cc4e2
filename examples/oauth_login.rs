//! Logs in to SePay with OAuth 2.0 (authorization code), saves the tokens, and lists the accounts.
//!
//! It needs a person to log in in a browser, so it is not run in CI. To try it:
//!
//! 1. Register an OAuth application at SePay (my.sepay.vn) with the redirect URI
//!    `http://127.0.0.1:8765/callback` (or your own, then set `SEPAY_OAUTH_REDIRECT_URI`).
//! 2. Run
//!    ```text
//!    SEPAY_OAUTH_CLIENT_ID=... SEPAY_OAUTH_CLIENT_SECRET=... cargo run --example oauth_login
//!    ```
//! 3. Open the URL it prints, log in and allow access. SePay redirects the browser to the local
//!    callback server; the example checks the `state` (CSRF), exchanges the code, saves the tokens to
//!    `SEPAY_OAUTH_TOKEN_FILE` (default `sepay-oauth-tokens.json`, permissions 0600) and lists the
//!    bank accounts and their sub-accounts.
//!
//! Run it again and it skips the login while the token file holds tokens (the client refreshes them
//! as needed and saves every rotated refresh token); delete the file to log in again.
//!
//! Environment: `SEPAY_OAUTH_CLIENT_ID`, `SEPAY_OAUTH_CLIENT_SECRET` (required);
//! `SEPAY_OAUTH_REDIRECT_URI` (default `http://127.0.0.1:8765/callback`; the callback server listens
//! on its host and port); `SEPAY_BASE_URL` (default `https://my.sepay.vn`: the authorize, token and API
//! endpoints are under it); `SEPAY_OAUTH_TOKEN_FILE`; `SEPAY_OAUTH_SCOPES` (default
//! `bank-account:read transaction:read`).

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{RawQuery, State};
use axum::response::Html;
use axum::routing::get;
use axum::Router;
use futures::TryStreamExt;
use gateway::sepay::{FileTokenStore, OAuthCredentials, SepayClient, SepayOAuthLogin, TokenStore};
use gateway_core::BankAccountProvider;
use secrecy::SecretString;
use tokio::sync::mpsc;

const DEFAULT_REDIRECT_URI: &str = "http://127.0.0.1:8765/callback";

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let client_id = env("SEPAY_OAUTH_CLIENT_ID").ok_or("set SEPAY_OAUTH_CLIENT_ID")?;
    let client_secret = SecretString::from(env("SEPAY_OAUTH_CLIENT_SECRET").ok_or("set SEPAY_OAUTH_CLIENT_SECRET")?);
    let redirect_uri = env("SEPAY_OAUTH_REDIRECT_URI").unwrap_or_else(|| DEFAULT_REDIRECT_URI.to_string());
    let base_url = env("SEPAY_BASE_URL").unwrap_or_else(|| gateway::sepay::DEFAULT_BASE_URL.to_string());
    let token_file = env("SEPAY_OAUTH_TOKEN_FILE").unwrap_or_else(|| "sepay-oauth-tokens.json".to_string());
    let scopes = env("SEPAY_OAUTH_SCOPES").unwrap_or_else(|| "bank-account:read transaction:read".to_string());

    let store = Arc::new(FileTokenStore::new(&token_file));
    if store.load().await?.is_none() {
        let login = SepayOAuthLogin::builder(client_id.clone(), client_secret.clone(), redirect_uri.clone())
            .scopes(scopes.split_whitespace())
            .base_url(&base_url)
            .build()?;
        let tokens = log_in(&login, &redirect_uri).await?;
        store.save(&tokens).await?;
        println!("logged in; tokens saved to {token_file}");
    } else {
        println!("using the tokens in {token_file}");
    }

    // No tokens in the credentials: the client loads them from the file, refreshes when they expire
    // and saves every rotated refresh token back to it.
    let client = SepayClient::oauth(OAuthCredentials::new().with_client(client_id, client_secret))
        .base_url(&base_url)
        .token_store(store)
        .build()?;
    let accounts: Vec<_> = client.stream_accounts().try_collect().await?;
    println!("{} account(s):", accounts.len());
    for a in &accounts {
        println!(
            "  {:<12} {:<10} {:<20} {:<30} {}",
            a.id,
            a.bank.short_name,
            a.account_number,
            a.account_holder_name,
            a.balance.as_ref().map(|b| b.to_string()).unwrap_or_else(|| "-".into())
        );
    }
    Ok(())
}

/// Prints the authorize URL, waits for SePay's redirect to the local callback server, checks the
/// state and exchanges the code.
async fn log_in(
    login: &SepayOAuthLogin,
    redirect_uri: &str,
) -> Result<gateway::sepay::OAuthTokens, Box<dyn std::error::Error>> {
    let redirect = reqwest::Url::parse(redirect_uri)?;
    let host = redirect.host_str().ok_or("the redirect URI has no host")?.to_string();
    let port = redirect.port_or_known_default().ok_or("the redirect URI has no port")?;
    let listener = tokio::net::TcpListener::bind((host.as_str(), port))
        .await
        .map_err(|e| format!("cannot listen on {host}:{port} for the callback: {e}"))?;

    let (tx, mut rx) = mpsc::channel::<String>(4);
    let app = Router::new().route(redirect.path(), get(callback)).with_state(tx);
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    let (url, state) = login.authorize_url();
    println!("Open this URL in a browser and allow access:\n\n  {url}\n");
    println!("Waiting for the callback on {redirect_uri} ...");

    // Codes live 5 minutes; give the person a little longer to log in.
    let query = tokio::time::timeout(Duration::from_secs(600), rx.recv())
        .await
        .map_err(|_| "no callback within 10 minutes")?
        .ok_or("the callback server stopped")?;
    server.abort();
    // Checks the state (CSRF) before the code is sent anywhere, then exchanges it.
    Ok(login.exchange_query(&query, &state).await?)
}

async fn callback(State(tx): State<mpsc::Sender<String>>, RawQuery(query): RawQuery) -> Html<&'static str> {
    let _ = tx.send(query.unwrap_or_default()).await;
    Html("<p>SePay login received; you can close this tab and go back to the terminal.</p>")
}
