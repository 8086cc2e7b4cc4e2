//! SePay emulator: the API-token routes (`/userapi/...`, seed 004), the OAuth 2.0 resource API
//! (`/api/v1/...`, seed 003), the authorization-code login (`GET /oauth/authorize`, which
//! auto-approves) and token endpoint (`POST /oauth/token`; see the `oauth_token` module), bank transactions on both
//! APIs (`/userapi/transactions/...`, `/api/v1/transactions...`; see the `transactions` module's
//! table) with the bank-transaction webhook, and the payment gateway (`/v1/checkout/init`, the
//! Order API under `/v1/order`, IPN delivery).
//!
//! Payment-gateway test controls, unauthenticated, outside the provider's paths (also available
//! in-process as [`SepayState`] methods; see the `gateway` module's table for details):
//! - `GET /__sandbox/sepay/pay/{order_id}`: the stand-in hosted payment page a checkout redirects
//!   to (`POST` to it with `action=pay` or `action=cancel`).
//! - `POST /__sandbox/sepay/orders/{invoice_number}/pay`, optional `{"payment_method": "CARD"}`: the
//!   customer pays ([`SepayState::pay_order`]); the order becomes `CAPTURED` and an `ORDER_PAID` IPN
//!   is sent.
//! - `POST /__sandbox/sepay/ipn` `{"url": "http://…"}` (or `null`), `GET /__sandbox/sepay/ipn`: the
//!   merchant's IPN URL ([`SepayState::set_ipn_url`]).
//! - `GET /__sandbox/sepay/ipn/deliveries`: every IPN attempt ([`SepayState::ipn_deliveries`]).
//!
//! Bank-transfer test controls, likewise unauthenticated and in-process (see the `transfers`
//! module's table):
//! - `POST /__sandbox/sepay/transfers` `{"account_number": "0071000899999", "amount": 250000,
//!   "content": "DH8K2P9Q thanh toan", "transfer_type": "in", "sub_account": null}`: money moves on
//!   one of the sandbox's accounts ([`SepayState::transfer`]); `201 {"data": <transaction>}` in the
//!   webhook's shape. The transaction appears in both APIs with the payment `code` SePay would find
//!   in the content (see [`crate::SandboxConfig::sepay_payment_code_prefixes`]), and the
//!   bank-transaction webhook is POSTed with `Authorization: Apikey <key>`
//!   ([`crate::SandboxCredentials::sepay_webhook_api_key`]) and retried on SePay's schedule.
//! - `POST /__sandbox/sepay/webhook` `{"url": "http://…"}` (or `null`), `GET /__sandbox/sepay/webhook`:
//!   the merchant's webhook URL ([`SepayState::set_webhook_url`]).
//! - `GET /__sandbox/sepay/webhook/deliveries`: every webhook attempt
//!   ([`SepayState::webhook_deliveries`], [`SepayState::wait_for_webhook_deliveries`]).
//!
//! Fault injection: `GET, POST, DELETE /__sandbox/faults` on this listener, or in-process
//! [`SepayState::faults`] (see [`crate::faults`]). The fault layer runs after request counting and
//! before everything else; a `429` fault carries `x-sepay-userapi-retry-after` on `/userapi/...`
//! and `Retry-After` elsewhere, and error faults use the envelope of the path's API family.
//!
//! **Independent oracle.** Nothing here is shared with `provider-sepay`: envelopes, auth checks,
//! token rotation and the rate limit are written again from the provider's documents, so a
//! misreading in the client cannot hide behind the same misreading in the sandbox.

// Early returns here carry a ready `Response` in `Err`, the axum idiom; boxing it would only add noise.
#![allow(clippy::result_large_err)]

mod bank_webhook;
mod gateway;
#[cfg(test)]
mod gateway_tests;
mod ipn;
mod ledger;
mod oauth_api;
mod oauth_token;
mod orders;
mod seed;
mod state;
mod token_api;
mod token_filter;
mod transactions;
#[cfg(test)]
mod transactions_tests;
mod transfers;

pub use bank_webhook::BankWebhookDelivery;
pub use ipn::IpnDelivery;
pub use ledger::{BankTransaction, NewTransfer, TransferError, TransferType};
pub use orders::{Order, OrderError, OrderTransaction};

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use serde::Serialize;

use state::{OauthAccount, OauthTokens, RateWindow, SubAccount, TokenAccount};

/// Scopes of the credentials' initial access and refresh tokens.
const DEFAULT_SCOPES: &[&str] = &["bank-account:read", "transaction:read"];

/// The SePay emulator's data and test controls. Shared by all requests (`Send + Sync`).
pub struct SepayState {
    api_token: String,
    client_id: String,
    client_secret: String,
    redirect_uris: Mutex<Vec<String>>,
    rate_limit: u32,
    token_accounts: Vec<TokenAccount>,
    oauth_accounts: Vec<OauthAccount>,
    sub_accounts: Vec<SubAccount>,
    requests: AtomicU64,
    rate_limited: AtomicU64,
    refreshes: AtomicU64,
    code_exchanges: AtomicU64,
    legacy_empty_auth: AtomicBool,
    window: Mutex<RateWindow>,
    tokens: Mutex<OauthTokens>,
    merchant_id: String,
    secret_key: String,
    orders: Mutex<orders::OrderStore>,
    ipn: Arc<ipn::Ipn>,
    ledger: Mutex<ledger::Ledger>,
    bank_webhook: Arc<bank_webhook::BankWebhook>,
    faults: Arc<crate::faults::Faults>,
}

impl std::fmt::Debug for SepayState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SepayState")
            .field("token_accounts", &self.token_accounts.len())
            .field("oauth_accounts", &self.oauth_accounts.len())
            .field("sub_accounts", &self.sub_accounts.len())
            .field("requests", &self.request_count())
            .field("rate_limited", &self.rate_limited_count())
            .field("token_refreshes", &self.token_refresh_count())
            .field("orders", &lock(&self.orders).all().len())
            .field("ipn", &self.ipn)
            .field("bank_transactions", &lock(&self.ledger).all().len())
            .field("bank_webhook", &self.bank_webhook)
            .finish_non_exhaustive()
    }
}

impl SepayState {
    /// Seeds the accounts and transactions and issues the credentials' initial access and refresh
    /// tokens.
    pub(crate) fn new(config: &crate::SandboxConfig, credentials: &crate::SandboxCredentials) -> Self {
        let oauth_accounts = seed::oauth_accounts(config.sepay_oauth_accounts);
        let sub_accounts = seed::sub_accounts(&oauth_accounts);
        let token_accounts = seed::token_accounts(config.sepay_token_accounts);
        let directory = ledger::directory(&token_accounts, &oauth_accounts);
        let prefixes = config.sepay_payment_code_prefixes.clone();
        let transactions = seed::transactions(config.sepay_transactions, &directory, &sub_accounts, &prefixes);
        let access_ttl = Duration::from_secs(u64::try_from(config.sepay_oauth_access_token_ttl_secs).unwrap_or(0));
        let faults = Arc::new(crate::faults::Faults::default());
        let ipn = Arc::new(ipn::Ipn::new(config, credentials));
        ipn.set_faults(faults.clone());
        let bank_webhook = Arc::new(bank_webhook::BankWebhook::new(config, credentials));
        bank_webhook.set_faults(faults.clone());
        Self {
            api_token: credentials.sepay_api_token.clone(),
            client_id: credentials.sepay_oauth_client_id.clone(),
            client_secret: credentials.sepay_oauth_client_secret.clone(),
            redirect_uris: Mutex::new(credentials.sepay_oauth_redirect_uris.clone()),
            rate_limit: config.sepay_token_requests_per_second,
            token_accounts,
            oauth_accounts,
            sub_accounts,
            requests: AtomicU64::new(0),
            rate_limited: AtomicU64::new(0),
            refreshes: AtomicU64::new(0),
            code_exchanges: AtomicU64::new(0),
            legacy_empty_auth: AtomicBool::new(false),
            window: Mutex::new(RateWindow::new(
                config.sepay_token_requests_per_second,
                Duration::from_millis(1000),
            )),
            tokens: Mutex::new(
                OauthTokens::new(
                    &credentials.sepay_oauth_access_token,
                    &credentials.sepay_oauth_refresh_token,
                    DEFAULT_SCOPES,
                    access_ttl,
                )
                .with_code_ttl(config.sepay_oauth_code_ttl)
                .with_audience(&credentials.sepay_oauth_client_id),
            ),
            merchant_id: credentials.sepay_merchant_id.clone(),
            secret_key: credentials.sepay_secret_key.clone(),
            orders: Mutex::new(orders::OrderStore::default()),
            ipn,
            ledger: Mutex::new(ledger::Ledger::new(directory, transactions, prefixes)),
            bank_webhook,
            faults,
        }
    }

    /// Requests served so far, on every route (including errors and unknown routes).
    pub fn request_count(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// `429 Too Many Requests` answers served on `/userapi/...` so far.
    pub fn rate_limited_count(&self) -> u64 {
        self.rate_limited.load(Ordering::Relaxed)
    }

    /// Successful `refresh_token` grants on `POST /oauth/token` so far.
    pub fn token_refresh_count(&self) -> u64 {
        self.refreshes.load(Ordering::Relaxed)
    }

    /// The faults injected into this listener's routes, IPN and bank-transaction webhooks (see
    /// [`crate::faults`]); also reachable as `/__sandbox/faults` on this listener.
    pub fn faults(&self) -> &crate::faults::Faults {
        &self.faults
    }

    /// Successful `authorization_code` grants on `POST /oauth/token` so far.
    pub fn code_exchange_count(&self) -> u64 {
        self.code_exchanges.load(Ordering::Relaxed)
    }

    /// Registers one more redirect URI for the OAuth client (e.g. a test's callback server on a
    /// free port); `GET /oauth/authorize` accepts it from now on.
    pub fn register_redirect_uri(&self, uri: &str) {
        let mut uris = lock(&self.redirect_uris);
        if !uris.iter().any(|u| u == uri) {
            uris.push(uri.to_string());
        }
    }

    /// The redirect URIs registered for the OAuth client.
    pub fn redirect_uris(&self) -> Vec<String> {
        lock(&self.redirect_uris).clone()
    }

    /// Makes every OAuth access token issued so far answer `401`, as if it had expired, so a
    /// client's refresh path can be tested. The refresh token stays valid.
    pub fn expire_oauth_access_tokens(&self) {
        lock(&self.tokens).expire_all_access();
    }

    /// Issues a fresh, valid OAuth access token with exactly these scopes (e.g. to test `403`).
    pub fn issue_oauth_access_token(&self, scopes: &[&str]) -> String {
        lock(&self.tokens).issue_access(scopes.iter().map(|s| s.to_string()).collect())
    }

    /// When `on`, a wrong API token on `/userapi/...` gets `200 OK` with an empty body, as legacy
    /// SePay does, instead of the JSON `401`. A missing `Authorization` header still gets `401`.
    pub fn set_legacy_empty_auth_reply(&self, on: bool) {
        self.legacy_empty_auth.store(on, Ordering::Relaxed);
    }

    /// The OAuth refresh token issued last (by a refresh or a code exchange; each refresh rotates it).
    pub fn current_refresh_token(&self) -> String {
        lock(&self.tokens).current_refresh().to_string()
    }
}

/// The SePay router: `/userapi/...`, `/api/v1/...`, `/oauth/token`, `/v1/...` and
/// `/__sandbox/sepay/...`; anything else is a JSON 404.
pub(crate) fn router(state: Arc<SepayState>) -> Router {
    Router::new()
        .merge(token_api::routes())
        .merge(oauth_api::routes())
        .merge(oauth_token::routes())
        .merge(gateway::routes())
        .merge(transactions::routes())
        .merge(transfers::routes())
        .route("/__sandbox/faults", crate::faults::control(state.faults.clone()))
        .method_not_allowed_fallback(method_not_allowed)
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(
            crate::faults::Layer {
                faults: state.faults.clone(),
                style: crate::faults::Style {
                    error: fault_error,
                    retry_after_header: |path| {
                        if path.starts_with("/userapi/") {
                            "x-sepay-userapi-retry-after"
                        } else {
                            "retry-after"
                        }
                    },
                },
            },
            crate::faults::apply,
        ))
        .layer(middleware::from_fn_with_state(state.clone(), count_request))
        .with_state(state)
}

/// A poisoned lock only means another request panicked; the data is still consistent.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

async fn count_request(State(state): State<Arc<SepayState>>, request: Request, next: Next) -> Response {
    state.requests.fetch_add(1, Ordering::Relaxed);
    next.run(request).await
}

/// A JSON response (`Content-Type: application/json`).
fn json<T: Serialize>(status: StatusCode, body: &T) -> Response {
    (status, Json(body)).into_response()
}

/// A parsed query string: pairs in order, first occurrence wins.
pub(crate) struct Params(Vec<(String, String)>);

impl Params {
    /// `None` when the query is not valid `application/x-www-form-urlencoded`.
    pub(crate) fn parse(query: Option<&str>) -> Option<Self> {
        serde_urlencoded::from_str(query.unwrap_or("")).map(Params).ok()
    }

    /// The value of `key`, `None` when absent or empty (form builders often send `key=`).
    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    }
}

/// What the `Authorization` header says.
enum Bearer<'a> {
    /// No `Authorization` header at all.
    Missing,
    /// A header that is not `Bearer <token>`, or whose value is not text.
    Malformed,
    /// `Bearer <token>`.
    Token(&'a str),
}

fn bearer(headers: &HeaderMap) -> Bearer<'_> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Bearer::Missing;
    };
    let Ok(value) = value.to_str() else {
        return Bearer::Malformed;
    };
    match value.trim().split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() => {
            Bearer::Token(token.trim())
        }
        _ => Bearer::Malformed,
    }
}

/// Unknown routes answer in the envelope of the API family the path belongs to.
async fn not_found(uri: Uri) -> Response {
    route_error(&uri, StatusCode::NOT_FOUND, "not_found", "Route not found")
}

async fn method_not_allowed(uri: Uri) -> Response {
    route_error(
        &uri,
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "Method not allowed",
    )
}

/// A fault's error answer, in the envelope of the path's API family.
fn fault_error(path: &str, status: StatusCode, message: &str) -> Response {
    let code = message.to_ascii_lowercase().replace(' ', "_");
    let code = if path.starts_with("/v1/") {
        code.to_ascii_uppercase()
    } else {
        code
    };
    route_error_at(path, status, &code, message)
}

fn route_error(uri: &Uri, status: StatusCode, code: &str, message: &str) -> Response {
    route_error_at(uri.path(), status, code, message)
}

fn route_error_at(path: &str, status: StatusCode, code: &str, message: &str) -> Response {
    if path.starts_with("/api/") {
        oauth_api::error(status, code, message)
    } else if path.starts_with("/v1/") || path.starts_with("/__sandbox/") {
        gateway::error(status, code, message)
    } else if path.starts_with("/oauth/") {
        json(
            status,
            &serde_json::json!({ "error": code, "error_description": message }),
        )
    } else {
        token_api::error(status, message)
    }
}

#[cfg(test)]
mod test_support {
    use crate::{Sandbox, SandboxConfig, SandboxCredentials};

    /// A sandbox whose API-token rate limit is out of the way (tests that check it use the default).
    pub(crate) async fn sandbox() -> Sandbox {
        let config = SandboxConfig {
            sepay_token_requests_per_second: 10_000,
            ..SandboxConfig::default()
        };
        Sandbox::start_with(config, SandboxCredentials::default())
            .await
            .expect("sandbox starts")
    }

    /// GET with a bearer token; returns status, headers and raw body text.
    pub(crate) async fn get(url: &str, token: Option<&str>) -> (u16, reqwest::header::HeaderMap, String) {
        let mut request = reqwest::Client::new().get(url);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("request is sent");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        (status, headers, response.text().await.expect("body is read"))
    }

    /// GET with a bearer token, body parsed as JSON; also checks the content type.
    pub(crate) async fn get_json(url: &str, token: Option<&str>) -> (u16, serde_json::Value) {
        let (status, headers, body) = get(url, token).await;
        assert_eq!(headers[reqwest::header::CONTENT_TYPE], "application/json", "{url}");
        (
            status,
            serde_json::from_str(&body).unwrap_or_else(|e| panic!("{url}: {e}: {body}")),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::*;

    #[tokio::test]
    async fn unknown_routes_are_json_404_and_requests_are_counted() {
        let sandbox = sandbox().await;
        let base = sandbox.sepay_base_url();
        let (status, body) = get_json(&format!("{base}/nowhere"), None).await;
        assert_eq!(status, 404);
        assert_eq!(body["status"], 404);
        let (status, body) = get_json(&format!("{base}/api/v1/nowhere"), None).await;
        assert_eq!(status, 404);
        assert_eq!(body["status"], "error");
        let response = reqwest::Client::new()
            .post(format!("{base}/userapi/bankaccounts/list"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 405);
        assert_eq!(response.headers()[reqwest::header::CONTENT_TYPE], "application/json");
        assert_eq!(sandbox.sepay().request_count(), 3);
    }
}
