//! Finan One Open API provider for the gateway library: signed requests and the account
//! management endpoints, behind `gateway_core`'s [`BankAccountProvider`].
//!
//! - [`FinanClient`] / [`FinanClientBuilder`]: credentials (`x-client-id`, a secret key kept as a
//!   [`SecretString`]), base URL (default `https://api.finan.one/open`), timeout.
//! - Endpoints ([`accounts`]): master bank accounts, bank accounts (list, get, create).
//! - [`BankAccountProvider`] for [`FinanClient`]: master accounts first, then every page of bank
//!   (virtual) accounts; balances are [`gateway_core::Money`] in VND (minor units = đồng).
//! - [`PaymentProvider`] for [`FinanClient`] ([`payments`]): create (`POST /api/v1/payments`, checked
//!   before sending, never twice for one reference id), get and list payment requests; Finan-only
//!   options in [`FinanPaymentOptions`] and [`FinanPaymentFilter`]; amounts in VND (whole đồng).
//! - [`PayoutProvider`] for [`FinanClient`] ([`payouts`]): create (`POST /api/v1/payouts`, checked
//!   before sending, never sent twice for one reference id), confirm with the OTP, get and list payouts;
//!   Enterprise accounts from a whitelisted IP only ([`gateway_core::Error::Forbidden`] names the cause).
//! - [`retry`]: reads (`GET`) are retried on connection errors, timeouts, 429, 502, 503 and 504
//!   with exponential backoff and jitter, at least the `Retry-After`, within a total budget
//!   ([`RetryPolicy`], default 3 retries within 30 s); writes never are. [`RequestOptions`] override
//!   the timeout and retry policy per call (`*_with` methods). Every send is paced client-side
//!   ([`FinanClientBuilder::requests_per_minute`], default 100/min, shared by clones) and traced as
//!   a `finan.request` span (provider, operation, `http.status`, request id, elapsed ms; no headers).
//! - [`signing::signature`]: Finan's request signature, a pure function.
//! - [`webhook`]: [`FinanWebhookVerifier`] checks and parses Finan's payment webhook into a
//!   [`gateway_core::PaymentEvent`]; [`FinanWebhookSigner`] signs one, for testing receivers.
//! - [`wire`] (Finan's JSON as sent) and [`mapping`] (wire → core), for callers that need raw fields.
//!
//! Every call returns [`gateway_core::Error`]; no error, log line or `Debug` output contains the
//! secret key, a signature or request headers.
//!
//! ```no_run
//! use futures::TryStreamExt;
//! use gateway_core::BankAccountProvider;
//! use provider_finan::{CreateBankAccount, FinanClient, AccountFilter, SecretString};
//!
//! # async fn run() -> Result<(), gateway_core::Error> {
//! let client = FinanClient::builder()
//!     .client_id("YOUR_CLIENT_ID")
//!     .secret_key(SecretString::from(std::env::var("FINAN_SECRET_KEY").unwrap_or_default()))
//!     .build()?;
//!
//! // Every master and bank account, page after page.
//! let accounts: Vec<_> = client.stream_accounts().try_collect().await?;
//! for account in &accounts {
//!     println!("{} {} {:?} {:?}", account.kind.as_str(), account.account_number, account.bank.code, account.balance);
//! }
//!
//! // A new bank account receiving into the first master account.
//! let masters = client.list_master_accounts(&AccountFilter::all()).await?;
//! if let Some(master) = masters.first() {
//!     let created = client.create_bank_account(&CreateBankAccount::new(&master.id, "KE TOAN")).await?;
//!     println!("transfer to {} at {}", created.account_number, created.bank.short_name);
//! }
//! # Ok(())
//! # }
//! ```
#![deny(missing_docs)]

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use gateway_core::{Error, Result};
use secrecy::ExposeSecret;
use url::Url;

pub mod accounts;
pub mod business_wire;
pub mod customers;
pub mod invoices;
pub mod mapping;
mod paging;
pub mod payment_mapping;
pub mod payment_wire;
pub mod payments;
pub mod payout_mapping;
pub mod payout_wire;
pub mod payouts;
pub mod products;
mod records;
pub mod retry;
pub mod signing;
mod transport;
pub mod webhook;
pub mod wire;

pub use accounts::{AccountFilter, CreateBankAccount, CreatedBankAccount};
pub use business_wire::{
    ContactPerson, Customer, CustomerAddress, CustomerBankAccount, CustomerGeneralInfo, CustomerType, Discount,
    Invoice, InvoiceCustomer, InvoiceItem, InvoiceLine, InvoicePaymentMethod, InvoiceStatus, NewCustomer, NewInvoice,
    NewProduct, Product, PurchaseInfo, SaleInfo, TaxCode, TaxType,
};
pub use gateway_core::{BankAccountProvider, PaymentProvider, PayoutProvider};
pub use payments::{FinanPaymentFilter, FinanPaymentOptions};
pub use payouts::is_insufficient_balance;
pub use retry::{RequestOptions, RetryPolicy};
pub use secrecy::SecretString;
pub use transport::decode_reply;
pub use webhook::{FinanWebhookSigner, FinanWebhookVerifier};

use transport::{Pacer, Transport};

/// Finan's production base URL.
pub const DEFAULT_BASE_URL: &str = "https://api.finan.one/open";
/// Per-request timeout when none is set: 30 seconds.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Client-side pace when none is set: 100 requests per minute (Finan's Standard plan; Enterprise
/// allows 500).
pub const DEFAULT_REQUESTS_PER_MINUTE: u32 = 100;

/// A Finan One Open API client for one set of credentials.
///
/// Cheap to clone (an `Arc` inside); clones share the HTTP connection pool and the request pace
/// ([`FinanClientBuilder::requests_per_minute`]). `Debug` shows the client id and base URL, never
/// the secret key.
///
/// Reads (`GET`) are retried under the client's [`RetryPolicy`] (default
/// [`RetryPolicy::default`]) on connection errors, timeouts, 429, 502, 503 and 504, honouring
/// `Retry-After`; writes are never re-sent by the retry layer. Methods ending in `_with` take
/// [`RequestOptions`] to override the timeout and retry policy for one call.
#[derive(Clone)]
pub struct FinanClient {
    inner: Arc<Transport>,
    /// This handle's overrides of the client's timeout and retry policy ([`Self::with_options`]).
    options: RequestOptions,
}

impl FinanClient {
    /// A builder; `client_id` and `secret_key` are required.
    pub fn builder() -> FinanClientBuilder {
        FinanClientBuilder::default()
    }

    /// The client id sent as `x-client-id`.
    pub fn client_id(&self) -> &str {
        self.inner.client_id()
    }

    /// The base URL requests go to, e.g. `https://api.finan.one/open`.
    pub fn base_url(&self) -> &Url {
        self.inner.base_url()
    }

    /// A handle on the same client (same connection pool, pace and credentials) whose every call,
    /// writes included, uses `options` (timeout, retry policy of reads) where they are set; what
    /// `options` leaves unset stays as this handle has it. A `_with` call's own options win over
    /// the handle's.
    ///
    /// ```
    /// use std::time::Duration;
    /// use provider_finan::{FinanClient, RequestOptions, SecretString};
    /// let client = FinanClient::builder()
    ///     .client_id("client")
    ///     .secret_key(SecretString::from("secret"))
    ///     .build()
    ///     .unwrap();
    /// let patient = client.with_options(RequestOptions::new().timeout(Duration::from_secs(90)));
    /// # let _ = patient;
    /// ```
    pub fn with_options(&self, options: RequestOptions) -> FinanClient {
        FinanClient {
            inner: Arc::clone(&self.inner),
            options: options.or(&self.options),
        }
    }

    pub(crate) fn transport(&self) -> &Transport {
        &self.inner
    }
}

impl fmt::Debug for FinanClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FinanClient")
            .field("client_id", &self.inner.client_id())
            .field("base_url", &self.inner.base_url().as_str())
            .field("secret_key", &"[REDACTED]")
            .field("timeout", &self.inner.timeout())
            .field("retry", self.inner.retry_policy())
            .field("options", &self.options)
            .finish()
    }
}

/// Builds a [`FinanClient`]:
/// `FinanClient::builder().client_id(id).secret_key(secret).base_url(url).timeout(t).build()`.
#[derive(Default)]
pub struct FinanClientBuilder {
    client_id: Option<String>,
    secret_key: Option<SecretString>,
    base_url: Option<String>,
    timeout: Option<Duration>,
    retry: Option<RetryPolicy>,
    rate: Option<(u32, Duration)>,
    http_client: Option<reqwest::Client>,
}

impl FinanClientBuilder {
    /// The client id from Finan's Open API settings (sent as `x-client-id`). Required.
    pub fn client_id(mut self, client_id: impl Into<String>) -> Self {
        self.client_id = Some(client_id.into());
        self
    }

    /// The secret key shown once when the client was created. Required; only ever used to sign.
    pub fn secret_key(mut self, secret_key: SecretString) -> Self {
        self.secret_key = Some(secret_key);
        self
    }

    /// The API base URL including Finan's `/open` prefix; default [`DEFAULT_BASE_URL`]. The signed
    /// path is the request path below this URL's path.
    pub fn base_url(mut self, base_url: &str) -> Self {
        self.base_url = Some(base_url.to_string());
        self
    }

    /// The timeout of each request (each attempt, when retried), from connecting to the end of
    /// the body; default 30 s. Overridden per call by [`RequestOptions::timeout`].
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The retry policy of reads (`GET`); default [`RetryPolicy::default`] (3 retries, 200 ms
    /// doubling to at most 5 s with jitter, 30 s budget). [`RetryPolicy::none`] turns retries off.
    /// Overridden per call by [`RequestOptions::retry`]. Writes are never retried.
    pub fn retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = Some(retry);
        self
    }

    /// Client-side pace: at most `requests` requests start in any minute, across all clones of the
    /// client; a send waits for its turn rather than failing. Default
    /// [`DEFAULT_REQUESTS_PER_MINUTE`] (100, Finan Standard); use 500 on Enterprise. Up to a tenth
    /// of the quota may go at once, the rest is spread evenly over the minute. Retries are paced
    /// too. Zero is refused by [`Self::build`].
    pub fn requests_per_minute(self, requests: u32) -> Self {
        self.rate_limit(requests, Duration::from_secs(60))
    }

    /// Client-side pace over any window: at most `requests` requests start in any `per` (see
    /// [`Self::requests_per_minute`], which is `rate_limit(n, 60 s)`). Zero for either is refused
    /// by [`Self::build`].
    pub fn rate_limit(mut self, requests: u32, per: Duration) -> Self {
        self.rate = Some((requests, per));
        self
    }

    /// An HTTP client to share a connection pool with. Without one, the client builds its own,
    /// with redirects disabled (a redirect would re-send the signed headers elsewhere); a shared
    /// client keeps its own redirect policy. Every request sets its own timeout and User-Agent.
    pub fn http_client(mut self, http_client: reqwest::Client) -> Self {
        self.http_client = Some(http_client);
        self
    }

    /// The client.
    ///
    /// # Errors
    /// [`Error::Configuration`] when the client id or secret key is missing or blank, the client id
    /// cannot be sent as a header, the base URL does not parse, is not `http`/`https`, or has a
    /// query or fragment, the timeout is zero, the rate limit is zero, or the HTTP client cannot
    /// be built. The message never
    /// contains the secret key.
    pub fn build(self) -> Result<FinanClient> {
        let client_id = self
            .client_id
            .filter(|id| !id.trim().is_empty())
            .ok_or_else(|| Error::Configuration("Finan client id is missing".into()))?;
        let secret_key = self
            .secret_key
            .filter(|key| !key.expose_secret().is_empty())
            .ok_or_else(|| Error::Configuration("Finan secret key is missing".into()))?;
        let base_url = parse_base_url(self.base_url.as_deref().unwrap_or(DEFAULT_BASE_URL))?;
        let timeout = self.timeout.unwrap_or(DEFAULT_TIMEOUT);
        if timeout.is_zero() {
            return Err(Error::Configuration("timeout must be more than zero".into()));
        }
        let http = match self.http_client {
            Some(http) => http,
            None => reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .map_err(|e| Error::Configuration(format!("could not build the HTTP client: {e}")))?,
        };
        let (requests, per) = self
            .rate
            .unwrap_or((DEFAULT_REQUESTS_PER_MINUTE, Duration::from_secs(60)));
        let pacer = Pacer::new(requests, per)?;
        let retry = self.retry.unwrap_or_default();
        let transport = Transport::new(http, base_url, client_id, secret_key, timeout, retry, pacer)?;
        Ok(FinanClient {
            inner: Arc::new(transport),
            options: RequestOptions::default(),
        })
    }
}

impl fmt::Debug for FinanClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FinanClientBuilder")
            .field("client_id", &self.client_id)
            .field("base_url", &self.base_url)
            .field("secret_key", &self.secret_key.as_ref().map(|_| "[REDACTED]"))
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .field("rate", &self.rate)
            .field("http_client", &self.http_client.is_some())
            .finish()
    }
}

fn parse_base_url(text: &str) -> Result<Url> {
    let url =
        Url::parse(text.trim()).map_err(|e| Error::Configuration(format!("Finan base URL does not parse: {e}")))?;
    if !url.username().is_empty() || url.password().is_some() {
        // Not echoed: the text holds a credential.
        return Err(Error::Configuration(
            "Finan base URL must not contain a user name or password".into(),
        ));
    }
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Error::Configuration(format!(
            "Finan base URL must be http or https, not {:?}",
            url.scheme()
        )));
    }
    if url.host().is_none() || url.cannot_be_a_base() {
        return Err(Error::Configuration(format!("Finan base URL {text:?} has no host")));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::Configuration(
            "Finan base URL must not have a query or fragment".into(),
        ));
    }
    Ok(url)
}
