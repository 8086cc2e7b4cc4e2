//! SePay (<https://my.sepay.vn>) bank accounts for the gateway library.
//!
//! [`SepayClient`] implements [`gateway_core::BankAccountProvider`] over either of SePay's two ways
//! in, chosen when the client is built:
//!
//! - **API token** ([`SepayClient::api_token`]): `Authorization: Bearer API_TOKEN` on
//!   `{base}/userapi/bankaccounts/...` (list, details, count). Requests are paced to SePay's limit
//!   of 2 per second per client (clones share the pacing); reads are retried (see below).
//!   Only bank accounts (no sub-accounts).
//! - **OAuth 2.0** ([`SepayClient::oauth`]): `Authorization: Bearer ACCESS_TOKEN` on
//!   `{base}/api/v1/bank-accounts...` with scope `bank-account:read`; bank accounts and their
//!   sub-accounts (virtual accounts). The access token is refreshed with the refresh token when it
//!   expires or is refused, and the rotated refresh token is kept ([`SepayClient::oauth_tokens`]).
//!
//! Logging in (the authorization-code flow that gives the first tokens) is [`SepayOAuthLogin`]
//! ([`oauth_login`]); tokens can be kept in a [`TokenStore`] ([`MemoryTokenStore`],
//! [`FileTokenStore`]) that the client loads at first use and saves after every refresh
//! ([`SepayClientBuilder::token_store`]).
//!
//! Reads on both ways in and on the payment gateway's Order API are retried on connection errors,
//! timeouts, 429, 502, 503 and 504 by one [`RetryPolicy`] (exponential backoff with jitter, SePay's
//! `x-sepay-userapi-retry-after` / `Retry-After` as the least wait, a total time budget), set per
//! client and overridable per call with [`RequestOptions`]. Order cancel and void are never retried.
//! Each HTTP request is a `tracing` span `sepay.request` (provider, operation, status, request id,
//! elapsed ms), without any header.
//!
//! Both ways give the same [`gateway_core::BankAccount`]: balance in VND (exact decimals, never
//! `f64`), the bank resolved by its BIN, creation time at UTC+07:00. Every credential is a
//! [`SecretString`] and no `Debug` output or error message of this crate contains one.
//!
//! The account's bank transactions are in [`transactions`]: [`SepayClient::list_transactions`],
//! [`SepayClient::stream_transactions`], [`SepayClient::transaction`] and
//! [`SepayClient::count_transactions`] ([`SepayTransaction`], [`TransactionFilter`]), with either
//! way in (OAuth scope `transaction:read`).
//!
//! Payments: [`SepayBankTransfer`] ([`bank_transfer`]) is SePay's bank-transfer flow as a
//! [`gateway_core::PaymentProvider`] (a VietQR code with a payment code in the remark, statuses
//! from the account's transactions); [`SepayPaymentGateway`] ([`gateway`]) is SePay's hosted
//! payment gateway.
//!
//! Incoming notifications are in [`webhook`]: [`SepayBankWebhookVerifier`] for the bank-transaction
//! webhook and [`SepayIpnVerifier`] for the payment gateway IPN (both [`gateway_core::WebhookVerifier`]s).
//!
//! ```no_run
//! use futures::TryStreamExt;
//! use gateway_core::BankAccountProvider;
//! use provider_sepay::{OAuthCredentials, SepayClient};
//! use secrecy::SecretString;
//!
//! # async fn run() -> Result<(), gateway_core::Error> {
//! // API token: every bank account, paged by id.
//! let client = SepayClient::api_token(SecretString::from("YOUR_API_TOKEN")).build()?;
//! let accounts: Vec<_> = client.stream_accounts().try_collect().await?;
//! for a in &accounts {
//!     println!("{} {} {} {:?}", a.id, a.bank.short_name, a.account_number, a.balance);
//! }
//!
//! // OAuth 2.0: bank accounts and their sub-accounts; refreshes as needed.
//! let creds = OAuthCredentials::from_refresh_token(
//!     SecretString::from("REFRESH_TOKEN"),
//!     "CLIENT_ID",
//!     SecretString::from("CLIENT_SECRET"),
//! );
//! let client = SepayClient::oauth(creds).build()?;
//! let all: Vec<_> = client.stream_accounts().try_collect().await?;
//! // SePay rotated the refresh token: store the new one for next time.
//! let tokens = client.oauth_tokens().await;
//! # let _ = (all, tokens);
//! # Ok(())
//! # }
//! ```
#![deny(missing_docs)]

mod accounts;
pub mod bank_transfer;
pub mod checkout;
pub mod decode;
mod error;
pub mod gateway;
mod mapping;
mod oauth;
mod oauth_api;
pub mod oauth_login;
pub mod order_wire;
pub mod orders;
mod retry;
mod token_api;
pub mod token_store;
pub mod transactions;
mod transactions_wire;
mod transport;
pub mod webhook;
mod wire;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use gateway_core::Error;
use url::Url;

pub use accounts::STREAM_CONCURRENCY;
pub use bank_transfer::{SepayBankTransfer, SepayBankTransferBuilder, DEFAULT_CODE_PREFIX};
pub use checkout::{
    checkout_signature, CheckoutEnvironment, CheckoutForm, CheckoutOperation, CheckoutOrder, CheckoutPaymentMethod,
    CheckoutSigner,
};
pub use gateway::{SepayPaymentGateway, SepayPaymentGatewayBuilder, PRODUCTION_ORDER_API_URL, SANDBOX_ORDER_API_URL};
pub use oauth::{OAuthCredentials, OAuthTokens};
pub use oauth_login::{
    AuthorizationCallback, CsrfState, SepayOAuthLogin, SepayOAuthLoginBuilder, DEFAULT_AUTHORIZE_URL, DEFAULT_TOKEN_URL,
};
pub use order_wire::{Order, OrderActionReply, OrderListMeta, OrderStatus, OrderTransaction};
pub use orders::OrderFilter;
pub use retry::{RequestOptions, RetryPolicy};
pub use secrecy::SecretString;
pub use token_api::BankAccountFilter;
pub use token_store::{FileTokenStore, MemoryTokenStore, RefreshLock, TokenStore, VersionedTokens};
pub use transactions::{SepayTransaction, TransactionFilter};
pub use transport::MAX_BODY_BYTES;
pub use webhook::{
    SepayBankTransaction, SepayBankWebhookSigner, SepayBankWebhookVerifier, SepayIpnSigner, SepayIpnVerifier,
};

use oauth::OAuthSession;
use token_api::TokenApi;
use transport::Transport;

/// SePay's production base URL, shared by both ways in.
pub const DEFAULT_BASE_URL: &str = "https://my.sepay.vn";

/// Default timeout of one HTTP request (30 s).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Default pacing of the API-token way in: SePay's documented 2 requests per second.
pub const DEFAULT_REQUESTS_PER_SECOND: u32 = 2;

/// A SePay connection: one set of credentials at one base URL.
///
/// Cheap to clone; clones share the HTTP client, the API-token pacing and the OAuth token state.
/// Build one with [`SepayClient::api_token`] or [`SepayClient::oauth`]. Methods of the other way in
/// return [`Error::Configuration`] without sending anything.
///
/// Reads (every call of this client is one or more GETs) are retried by the client's
/// [`RetryPolicy`] ([`SepayClientBuilder::retry_policy`]); a call's [`RequestOptions`] override it
/// through the `_with` methods or [`SepayClient::with_options`].
#[derive(Clone)]
pub struct SepayClient {
    inner: Arc<Inner>,
    /// Overrides for the calls made through this handle (none by default).
    options: RequestOptions,
}

struct Inner {
    transport: Transport,
    auth: Auth,
}

/// The way in chosen at build time (the OAuth state is boxed: it is much larger than the token's).
enum Auth {
    ApiToken(TokenApi),
    OAuth(Box<OAuthSession>),
}

impl fmt::Debug for SepayClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("SepayClient");
        d.field("base_url", &self.inner.transport.base_url());
        match &self.inner.auth {
            Auth::ApiToken(api) => d.field("auth", api),
            Auth::OAuth(session) => d.field("auth", session),
        };
        d.finish()
    }
}

impl SepayClient {
    /// A builder for the API-token way in (`{base}/userapi/...`, `Authorization: Bearer TOKEN`).
    pub fn api_token(token: SecretString) -> SepayClientBuilder {
        SepayClientBuilder::new(Way::ApiToken(token))
    }

    /// A builder for the OAuth 2.0 way in (`{base}/api/v1/...`), from an access token, a refresh
    /// token with client credentials, or both (see [`OAuthCredentials`]).
    pub fn oauth(credentials: OAuthCredentials) -> SepayClientBuilder {
        SepayClientBuilder::new(Way::OAuth(credentials))
    }

    /// A handle on the same connection (same HTTP client, pacing and tokens) whose calls use
    /// `options` (retry policy, timeout) instead of the client's defaults; what `options` leaves
    /// unset stays as this handle has it.
    ///
    /// ```
    /// use provider_sepay::{RequestOptions, RetryPolicy, SecretString, SepayClient};
    /// let client = SepayClient::api_token(SecretString::from("t")).build().unwrap();
    /// let once = client.with_options(RequestOptions::new().retry_policy(RetryPolicy::none()));
    /// # let _ = once;
    /// ```
    pub fn with_options(&self, options: RequestOptions) -> SepayClient {
        SepayClient {
            inner: Arc::clone(&self.inner),
            options: options.or(&self.options),
        }
    }

    /// The base URL requests go to, without a trailing slash (`https://my.sepay.vn` by default).
    pub fn base_url(&self) -> &str {
        self.inner.transport.base_url()
    }
}

enum Way {
    ApiToken(SecretString),
    OAuth(OAuthCredentials),
}

/// Configures a [`SepayClient`]; from [`SepayClient::api_token`] or [`SepayClient::oauth`].
///
/// `Debug` shows the options, never a credential.
pub struct SepayClientBuilder {
    way: Way,
    base_url: String,
    timeout: Duration,
    http: Option<reqwest::Client>,
    requests_per_second: u32,
    token_store: Option<Arc<dyn TokenStore>>,
    token_url: Option<String>,
    retry: RetryPolicy,
}

impl fmt::Debug for SepayClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("SepayClientBuilder");
        match &self.way {
            Way::ApiToken(_) => d.field("auth", &"api_token [REDACTED]"),
            Way::OAuth(creds) => d.field("auth", creds),
        };
        d.field("base_url", &self.base_url)
            .field("timeout", &self.timeout)
            .field("custom_http_client", &self.http.is_some())
            .field("requests_per_second", &self.requests_per_second)
            .field("token_store", &self.token_store.is_some())
            .field("token_url", &self.token_url)
            .field("retry", &self.retry)
            .finish()
    }
}

impl SepayClientBuilder {
    fn new(way: Way) -> Self {
        Self {
            way,
            base_url: DEFAULT_BASE_URL.to_string(),
            timeout: DEFAULT_TIMEOUT,
            http: None,
            requests_per_second: DEFAULT_REQUESTS_PER_SECOND,
            token_store: None,
            token_url: None,
            retry: RetryPolicy::default(),
        }
    }

    /// How reads are retried by default (every call of this client is a read): on connection
    /// errors, timeouts, 429, 502, 503 and 504, with backoff, honouring SePay's retry-after
    /// headers, within a time budget. Default [`RetryPolicy::default`]; [`RetryPolicy::none`] turns
    /// retries off. A call's [`RequestOptions`] may override it. The OAuth refresh after a 401 is
    /// separate and not counted.
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// OAuth only: refreshes at this token URL instead of `{base}/oauth/token` (an authorization
    /// server apart from the resource API, e.g. in tests).
    pub fn token_url(mut self, token_url: &str) -> Self {
        self.token_url = Some(token_url.to_string());
        self
    }

    /// OAuth only: keeps the tokens in `store`. When the credentials hold no token (only the client
    /// id and secret, [`OAuthCredentials::with_client`]), the tokens are loaded from the store at the
    /// first call; after every successful refresh the new tokens (with SePay's rotated refresh token)
    /// are saved to it before they are used. A failed load or save is an [`Error::Store`]. A store
    /// needs the client id and secret, since its tokens are kept fresh by refreshing. Unused by the
    /// API-token way in.
    pub fn token_store(mut self, store: Arc<dyn TokenStore>) -> Self {
        self.token_store = Some(store);
        self
    }

    /// Sends to this base URL instead of `https://my.sepay.vn` (a sandbox, a proxy). It may carry a
    /// path prefix; endpoints are appended to it. The OAuth token endpoint is `{base}/oauth/token`.
    pub fn base_url(mut self, base_url: &str) -> Self {
        self.base_url = base_url.to_string();
        self
    }

    /// Timeout of each HTTP request, token refreshes included (default 30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sends resource requests with this HTTP client (proxies, TLS settings). Token refreshes always
    /// use a client of this crate that does not follow redirects, so the client secret and refresh
    /// token are never re-posted to a redirect target. The timeout still applies per request.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// Pacing of the API-token way in, in requests per second (default 2, SePay's limit). Each request
    /// waits for its slot; slots are `1000 / rps` ms plus a 20 ms margin apart. Unused by OAuth.
    pub fn requests_per_second(mut self, requests_per_second: u32) -> Self {
        self.requests_per_second = requests_per_second;
        self
    }

    /// The client.
    ///
    /// # Errors
    /// [`Error::Configuration`] for a base URL that is not an absolute `http`/`https` URL (or has a
    /// query or fragment), a zero timeout or rate, an empty API token, OAuth credentials that cannot
    /// make a call (no access token and no complete refresh set, or a refresh token without client id
    /// and secret), or an HTTP client that cannot be built.
    pub fn build(self) -> Result<SepayClient, Error> {
        let base = normalize_base_url(&self.base_url)?;
        if self.timeout.is_zero() {
            return Err(Error::Configuration("the timeout must be more than zero".into()));
        }
        let http = match self.http {
            Some(http) => http,
            None => default_http_client(self.timeout)?,
        };
        let auth = match self.way {
            Way::ApiToken(token) => {
                if secrecy::ExposeSecret::expose_secret(&token).trim().is_empty() {
                    return Err(Error::Configuration("the SePay API token is empty".into()));
                }
                Auth::ApiToken(TokenApi::new(token, self.requests_per_second)?)
            }
            Way::OAuth(credentials) => {
                let token_http = default_http_client(self.timeout)?;
                let token_url = self.token_url.unwrap_or_else(|| format!("{base}/oauth/token"));
                let session = OAuthSession::new(credentials, token_url, token_http, self.token_store)?;
                Auth::OAuth(Box::new(session))
            }
        };
        let transport = Transport::new(http, base, self.timeout, self.retry);
        Ok(SepayClient {
            inner: Arc::new(Inner { transport, auth }),
            options: RequestOptions::default(),
        })
    }
}

/// `https://my.sepay.vn/` → `https://my.sepay.vn`; refuses what cannot be a base.
fn normalize_base_url(base: &str) -> Result<String, Error> {
    let bad = |why: &str| Error::Configuration(format!("invalid SePay base URL {base:?}: {why}"));
    let url = Url::parse(base.trim()).map_err(|e| bad(&e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad("the scheme must be http or https"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad("no host"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad("a base URL has no query or fragment"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("credentials do not belong in the URL"));
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

/// The HTTP client used when the app gives none: rustls, no redirects (a redirect from SePay's API is
/// not expected, and following one could carry the bearer token elsewhere), the configured timeout.
fn default_http_client(timeout: Duration) -> Result<reqwest::Client, Error> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .user_agent(concat!("provider-sepay/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| Error::Configuration(format!("cannot build the HTTP client: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls() {
        assert_eq!(
            normalize_base_url("https://my.sepay.vn/").unwrap(),
            "https://my.sepay.vn"
        );
        assert_eq!(
            normalize_base_url("http://127.0.0.1:8080").unwrap(),
            "http://127.0.0.1:8080"
        );
        assert_eq!(
            normalize_base_url("https://proxy.example/sepay/").unwrap(),
            "https://proxy.example/sepay"
        );
        for bad in [
            "",
            "my.sepay.vn",
            "ftp://my.sepay.vn",
            "https://my.sepay.vn/?a=1",
            "https://u:p@my.sepay.vn",
        ] {
            assert!(matches!(normalize_base_url(bad), Err(Error::Configuration(_))), "{bad}");
        }
    }

    #[test]
    fn build_checks_the_pieces() {
        let token = || SecretString::from("t");
        assert!(SepayClient::api_token(token()).build().is_ok());
        assert!(matches!(
            SepayClient::api_token(SecretString::from(" ")).build(),
            Err(Error::Configuration(_))
        ));
        assert!(matches!(
            SepayClient::api_token(token()).requests_per_second(0).build(),
            Err(Error::Configuration(_))
        ));
        assert!(matches!(
            SepayClient::api_token(token()).timeout(Duration::ZERO).build(),
            Err(Error::Configuration(_))
        ));
        assert!(matches!(
            SepayClient::api_token(token()).base_url("nope").build(),
            Err(Error::Configuration(_))
        ));
        assert!(matches!(
            SepayClient::oauth(OAuthCredentials::new()).build(),
            Err(Error::Configuration(_))
        ));
        let refresh_without_secret = OAuthCredentials::new().with_refresh_token(token());
        assert!(matches!(
            SepayClient::oauth(refresh_without_secret).build(),
            Err(Error::Configuration(_))
        ));
        assert!(SepayClient::oauth(OAuthCredentials::from_access_token(token()))
            .build()
            .is_ok());
        assert!(
            SepayClient::oauth(OAuthCredentials::from_refresh_token(token(), "id", token()))
                .build()
                .is_ok()
        );
    }
}
