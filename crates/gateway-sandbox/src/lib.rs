//! A local emulator of the Finan One Open API and the SePay API (API token and OAuth 2.0), built
//! from the providers' public documents (`shared/seeds/`), for tests, examples and app developers
//! who have no credentials.
//!
//! Like stripe-mock, it behaves like the real API: signatures, bearer tokens and OAuth tokens are
//! checked, lists are paged, errors come back in the documented envelopes, and SePay's API-token
//! routes answer `429` past their rate limit. State lives in memory and is seeded with the seeds'
//! own example objects plus generated accounts (Vietnamese names, several banks), enough that every
//! listing spans more than one page.
//!
//! For resilience tests, [`faults`] injects failures per route (429 bursts, 5xx, slow replies,
//! connections reset mid-body, truncated JSON, HTML error pages, SePay's empty 200, wrong content
//! types) and into webhooks (duplicated, out of order), in-process or through `/__sandbox/faults`.
//! SePay's OAuth 2.0 authorization-code login is emulated without a login page: see [`sepay`].
//!
//! **Independent oracle.** This crate shares no signing, auth or wire code with the provider
//! crates it checks: if both sides used one signature function, a bug in it would pass every test
//! and fail at the real provider. The duplication is deliberate.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! let sandbox = gateway_sandbox::Sandbox::start().await?;
//! println!("Finan at {}", sandbox.finan_base_url());
//! println!("SePay at {}", sandbox.sepay_base_url());
//! println!("token: {}", sandbox.credentials().sepay_api_token);
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::oneshot;

#[cfg(test)]
mod fault_tests;
pub mod faults;
pub mod finan;
mod names;
mod outbox;
pub mod sepay;

/// How much data the sandbox seeds and which limits it enforces.
///
/// The defaults make every listing span more than one page: Finan more than 50 sub accounts
/// (page size 50), SePay API token more than 100 accounts (the list's default window), SePay
/// OAuth more than 20 accounts (page size 20).
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// Finan sub accounts (under the master accounts), the seed's "KE TOAN" account included.
    pub finan_sub_accounts: usize,
    /// SePay accounts visible to the API token, the seeds' accounts 18 and 25 included.
    pub sepay_token_accounts: usize,
    /// SePay accounts visible through OAuth 2.0, the seeds' accounts 18 and 19 included.
    pub sepay_oauth_accounts: usize,
    /// SePay API-token rate limit: requests allowed in any sliding one-second window (documented: 2).
    pub sepay_token_requests_per_second: u32,
    /// Finan rate limit: requests allowed in any sliding one-minute window (Standard tier: 100);
    /// `None` disables it.
    pub finan_requests_per_minute: Option<u32>,
    /// How far Finan's `x-timestamp` may be from the server clock, in seconds (documented: 30).
    pub finan_timestamp_tolerance_secs: i64,
    /// Lifetime of OAuth access tokens issued by the sandbox's token endpoint, in seconds (documented: 3600).
    pub sepay_oauth_access_token_ttl_secs: i64,
    /// How long an authorization code from `GET /oauth/authorize` can be exchanged at the token
    /// endpoint (documented: 5 minutes). Tests shorten it to see codes expire.
    pub sepay_oauth_code_ttl: Duration,
    /// Waits before each retry of a failed Finan webhook (non-2xx reply or connection error); its
    /// length is the number of retries. Documented: 5, 10 and 15 minutes. Tests use milliseconds.
    pub finan_webhook_retry_delays: Vec<Duration>,
    /// How long Finan waits for the merchant's webhook reply before recording "Timeout", which is
    /// not retried (documented: 30 seconds).
    pub finan_webhook_timeout: Duration,
    /// Waits before each retry of a failed SePay payment-gateway IPN (non-2xx reply, connection
    /// error or timeout); its length is the number of retries. Default: SePay's documented webhook
    /// schedule, Fibonacci minutes 1, 1, 2, 3, 5, 8, 13. Tests use milliseconds.
    pub sepay_ipn_retry_delays: Vec<Duration>,
    /// How long SePay waits for the merchant's IPN reply before counting the attempt as failed
    /// (documented for webhooks: 30 seconds).
    pub sepay_ipn_timeout: Duration,
    /// SePay bank transactions seeded at start (the documents' examples 49465, 49582 and 49682
    /// included), shared by the API-token and OAuth transaction routes. The default, 400, puts a few
    /// dozen on each of the seeds' accounts 18 and 19 and makes the OAuth list span many pages of 20.
    pub sepay_transactions: usize,
    /// Waits before each retry of a failed SePay bank-transaction webhook (non-2xx reply, connection
    /// error or timeout); its length is the number of retries. Documented: up to 7 retries on
    /// Fibonacci minutes 1, 1, 2, 3, 5, 8, 13. Tests use milliseconds.
    pub sepay_webhook_retry_delays: Vec<Duration>,
    /// How long SePay waits for the merchant's webhook reply before counting the attempt as failed
    /// and retrying it (documented: 30 seconds).
    pub sepay_webhook_timeout: Duration,
    /// SePay's "payment code" prefixes: a transfer's `code` is the first word of its content that
    /// starts with one of them (ASCII case-insensitive) followed by 3 to 30 ASCII letters or digits.
    /// Default `["DH"]`, as in SePay's examples.
    pub sepay_payment_code_prefixes: Vec<String>,
    /// Delay added to every provider request before it reaches the rate limit and the handler, to
    /// stand in for the network distance to a real provider (tens of milliseconds, where loopback
    /// takes about 1 ms). Applies to Finan's `/open/...` and to every SePay route except the test
    /// controls under `/__sandbox/...`; webhooks the sandbox sends are not delayed. Default zero.
    pub latency: Duration,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            finan_sub_accounts: 120,
            sepay_token_accounts: 230,
            sepay_oauth_accounts: 45,
            sepay_token_requests_per_second: 2,
            finan_requests_per_minute: Some(100),
            finan_timestamp_tolerance_secs: 30,
            sepay_oauth_access_token_ttl_secs: 3600,
            sepay_oauth_code_ttl: Duration::from_secs(300),
            finan_webhook_retry_delays: [5, 10, 15].map(|m| Duration::from_secs(m * 60)).to_vec(),
            finan_webhook_timeout: Duration::from_secs(30),
            sepay_ipn_retry_delays: [1, 1, 2, 3, 5, 8, 13].map(|m| Duration::from_secs(m * 60)).to_vec(),
            sepay_ipn_timeout: Duration::from_secs(30),
            sepay_transactions: 400,
            sepay_webhook_retry_delays: [1, 1, 2, 3, 5, 8, 13].map(|m| Duration::from_secs(m * 60)).to_vec(),
            sepay_webhook_timeout: Duration::from_secs(30),
            sepay_payment_code_prefixes: vec!["DH".into()],
            latency: Duration::ZERO,
        }
    }
}

/// The credentials the sandbox accepts. They are test values, not secrets, so they are plain
/// `String`s and are printed freely.
#[derive(Debug, Clone)]
pub struct SandboxCredentials {
    /// Finan `x-client-id`.
    pub finan_client_id: String,
    /// Finan secret key used in `x-signature`.
    pub finan_secret_key: String,
    /// SePay API token (`Authorization: Bearer ...` on `/userapi/...`).
    pub sepay_api_token: String,
    /// SePay OAuth client id (token endpoint `POST /oauth/token`).
    pub sepay_oauth_client_id: String,
    /// SePay OAuth client secret.
    pub sepay_oauth_client_secret: String,
    /// The redirect URIs registered for the OAuth client: `GET /oauth/authorize` refuses any other
    /// (exact match). Default `["http://127.0.0.1:8765/callback"]`; tests add their callback
    /// server's with [`sepay::SepayState::register_redirect_uri`].
    pub sepay_oauth_redirect_uris: Vec<String>,
    /// A valid OAuth access token with scope `bank-account:read` (for `/api/v1/...`).
    pub sepay_oauth_access_token: String,
    /// A valid OAuth refresh token; each refresh returns a new one and retires the old one.
    pub sepay_oauth_refresh_token: String,
    /// SePay payment-gateway merchant id: the checkout form's `merchant` field and the user name
    /// of the Order API's `Authorization: Basic`.
    pub sepay_merchant_id: String,
    /// SePay payment-gateway secret key: signs the checkout form (HMAC-SHA256), is the Order API's
    /// Basic-auth password, and is sent as `X-Secret-Key` on every IPN.
    pub sepay_secret_key: String,
    /// The API key SePay sends on every bank-transaction webhook as `Authorization: Apikey <key>`
    /// (the merchant chooses it in SePay's portal; the receiver compares it).
    pub sepay_webhook_api_key: String,
}

impl Default for SandboxCredentials {
    fn default() -> Self {
        Self {
            finan_client_id: "sandbox-finan-client".into(),
            finan_secret_key: "sandbox-finan-secret-key".into(),
            sepay_api_token: "SANDBOX-SEPAY-API-TOKEN".into(),
            sepay_oauth_client_id: "sandbox-sepay-oauth-client".into(),
            sepay_oauth_client_secret: "sandbox-sepay-oauth-secret".into(),
            sepay_oauth_redirect_uris: vec!["http://127.0.0.1:8765/callback".into()],
            sepay_oauth_access_token: "sandbox-sepay-access-token".into(),
            sepay_oauth_refresh_token: "sandbox-sepay-refresh-token".into(),
            sepay_merchant_id: "SANDBOX-SEPAY-MERCHANT".into(),
            sepay_secret_key: "sandbox-sepay-pg-secret-key".into(),
            sepay_webhook_api_key: "sandbox-sepay-webhook-api-key".into(),
        }
    }
}

/// A running sandbox: one loopback listener per provider, stopped when dropped.
///
/// Besides the providers' routes, each listener serves unauthenticated test controls under
/// `/__sandbox/...` (see the [`finan`] and [`sepay`] modules), among them fault injection:
/// `GET, POST, DELETE /__sandbox/faults` on either listener, or in-process [`Sandbox::finan_faults`]
/// and [`Sandbox::sepay_faults`]. A fault makes the next `count` requests matching a route fail in a
/// chosen way (429 with or without a retry header, 5xx, a slow reply, a reset mid-body, truncated
/// JSON, an HTML error page, an empty 200, a wrong content type) or makes the next webhook arrive
/// twice or out of order; see [`faults`].
///
/// ```no_run
/// # async fn demo() -> std::io::Result<()> {
/// use gateway_sandbox::faults::{Fault, FaultKind, RouteMatcher};
/// let sandbox = gateway_sandbox::Sandbox::start().await?;
/// let route = RouteMatcher::new("GET", "/userapi/bankaccounts/list");
/// sandbox
///     .sepay_faults()
///     .inject(Fault::new(route, FaultKind::Status429 { retry_after: Some(1) }).times(2));
/// // ... the client's next two account listings get 429 with x-sepay-userapi-retry-after: 1 ...
/// assert_eq!(sandbox.sepay_faults().applied("status_429"), 0);
/// # Ok(()) }
/// ```
///
/// SePay's OAuth 2.0 login works too: `GET /oauth/authorize` approves at once and redirects to a
/// registered redirect URI ([`SandboxCredentials::sepay_oauth_redirect_uris`],
/// [`sepay::SepayState::register_redirect_uri`]) with a code for `POST /oauth/token`.
pub struct Sandbox {
    finan_addr: SocketAddr,
    sepay_addr: SocketAddr,
    credentials: SandboxCredentials,
    finan: Arc<finan::FinanState>,
    sepay: Arc<sepay::SepayState>,
    _shutdown: Vec<oneshot::Sender<()>>,
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox")
            .field("finan_base_url", &self.finan_base_url())
            .field("sepay_base_url", &self.sepay_base_url())
            .finish_non_exhaustive()
    }
}

impl Sandbox {
    /// Starts a sandbox with the default data and credentials on free loopback ports.
    ///
    /// # Errors
    /// An I/O error when no loopback port can be bound.
    pub async fn start() -> std::io::Result<Self> {
        Self::start_with(SandboxConfig::default(), SandboxCredentials::default()).await
    }

    /// Starts a sandbox with the given data sizes, limits and credentials on free loopback ports.
    ///
    /// # Errors
    /// An I/O error when no loopback port can be bound.
    pub async fn start_with(config: SandboxConfig, credentials: SandboxCredentials) -> std::io::Result<Self> {
        Self::bind(
            config,
            credentials,
            "127.0.0.1:0".parse().unwrap(),
            "127.0.0.1:0".parse().unwrap(),
        )
        .await
    }

    /// Starts a sandbox on the given addresses (the `gateway-sandbox` binary uses fixed ports).
    ///
    /// # Errors
    /// An I/O error when an address cannot be bound.
    pub async fn bind(
        config: SandboxConfig,
        credentials: SandboxCredentials,
        finan_addr: SocketAddr,
        sepay_addr: SocketAddr,
    ) -> std::io::Result<Self> {
        let finan = Arc::new(finan::FinanState::new(&config, &credentials));
        let sepay = Arc::new(sepay::SepayState::new(&config, &credentials));
        let latency = config.latency;
        let finan_router = with_latency(finan::router(finan.clone()), latency);
        let sepay_router = with_latency(sepay::router(sepay.clone()), latency);
        let (finan_addr, finan_stop) = serve(finan_addr, finan_router).await?;
        let (sepay_addr, sepay_stop) = serve(sepay_addr, sepay_router).await?;
        Ok(Self {
            finan_addr,
            sepay_addr,
            credentials,
            finan,
            sepay,
            _shutdown: vec![finan_stop, sepay_stop],
        })
    }

    /// Finan base URL, like `https://api.finan.one/open`: `http://127.0.0.1:PORT/open`.
    pub fn finan_base_url(&self) -> String {
        format!("http://{}/open", self.finan_addr)
    }

    /// SePay base URL, like `https://my.sepay.vn`: `http://127.0.0.1:PORT`. It serves `/userapi/...`
    /// (API token), `/api/v1/...` (OAuth 2.0), `/oauth/authorize` and `/oauth/token`, and the payment gateway too:
    /// `/v1/checkout/init` (like `https://pay-sandbox.sepay.vn`) and `/v1/order...` (like
    /// `https://pgapi-sandbox.sepay.vn`).
    pub fn sepay_base_url(&self) -> String {
        format!("http://{}", self.sepay_addr)
    }

    /// The credentials this sandbox accepts.
    pub fn credentials(&self) -> &SandboxCredentials {
        &self.credentials
    }

    /// The environment variables that point the aggregator (and `gateway::connection::from_env`)
    /// at this sandbox, as `(name, value)` pairs: `FINAN_BASE_URL`, `FINAN_CLIENT_ID`,
    /// `FINAN_SECRET_KEY`, `SEPAY_BASE_URL`, `SEPAY_API_TOKEN`, `SEPAY_OAUTH_ACCESS_TOKEN`,
    /// `SEPAY_OAUTH_REFRESH_TOKEN`, `SEPAY_OAUTH_CLIENT_ID`, `SEPAY_OAUTH_CLIENT_SECRET`.
    pub fn env_vars(&self) -> Vec<(&'static str, String)> {
        let c = &self.credentials;
        vec![
            ("FINAN_BASE_URL", self.finan_base_url()),
            ("FINAN_CLIENT_ID", c.finan_client_id.clone()),
            ("FINAN_SECRET_KEY", c.finan_secret_key.clone()),
            ("SEPAY_BASE_URL", self.sepay_base_url()),
            ("SEPAY_API_TOKEN", c.sepay_api_token.clone()),
            ("SEPAY_OAUTH_ACCESS_TOKEN", c.sepay_oauth_access_token.clone()),
            ("SEPAY_OAUTH_REFRESH_TOKEN", c.sepay_oauth_refresh_token.clone()),
            ("SEPAY_OAUTH_CLIENT_ID", c.sepay_oauth_client_id.clone()),
            ("SEPAY_OAUTH_CLIENT_SECRET", c.sepay_oauth_client_secret.clone()),
        ]
    }

    /// The Finan emulator's state and test controls (counters, clock skew).
    pub fn finan(&self) -> &finan::FinanState {
        &self.finan
    }

    /// Fault injection on the Finan listener (its `/open` routes and payment webhooks).
    pub fn finan_faults(&self) -> &faults::Faults {
        self.finan.faults()
    }

    /// Fault injection on the SePay listener (every SePay route, IPN and bank-transaction webhooks).
    pub fn sepay_faults(&self) -> &faults::Faults {
        self.sepay.faults()
    }

    /// Drops every pending fault on both listeners (the applied counters stay).
    pub fn clear_faults(&self) {
        self.finan.faults().clear();
        self.sepay.faults().clear();
    }

    /// The SePay emulator's state and test controls (counters, token expiry, legacy auth replies,
    /// payer simulation for orders and bank transfers, IPN and webhook deliveries).
    pub fn sepay(&self) -> &sepay::SepayState {
        &self.sepay
    }
}

/// Delays every request outside `/__sandbox/...` by `latency` before anything else sees it (the
/// outermost layer), so rate limits count arrival times as a distant server would.
fn with_latency(router: axum::Router, latency: Duration) -> axum::Router {
    if latency.is_zero() {
        return router;
    }
    router.layer(axum::middleware::from_fn(
        move |request: axum::extract::Request, next: axum::middleware::Next| async move {
            if !request.uri().path().starts_with("/__sandbox/") {
                tokio::time::sleep(latency).await;
            }
            next.run(request).await
        },
    ))
}

async fn serve(addr: SocketAddr, router: axum::Router) -> std::io::Result<(SocketAddr, oneshot::Sender<()>)> {
    let listener = TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(async move {
        // Connect info: the Finan payout IP whitelist checks the caller's address.
        let _ = axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(async move {
                let _ = stopped.await;
            })
            .await;
    });
    Ok((local, stop))
}
