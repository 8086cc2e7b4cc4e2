//! Named connections (one set of credentials at one provider) and how to build them from
//! environment variables.
//!
//! | connection | variables | provider |
//! |---|---|---|
//! | `finan` | `FINAN_CLIENT_ID`, `FINAN_SECRET_KEY`, optional `FINAN_BASE_URL` (default `https://api.finan.one/open`) and `FINAN_REQUESTS_PER_MINUTE` (default 100, Standard; 500 for Enterprise) | Finan One |
//! | `sepay-token` | `SEPAY_API_TOKEN`, optional `SEPAY_BASE_URL` (default `https://my.sepay.vn`) | SePay API token |
//! | `sepay-oauth` | `SEPAY_OAUTH_ACCESS_TOKEN` and/or `SEPAY_OAUTH_REFRESH_TOKEN` with `SEPAY_OAUTH_CLIENT_ID` and `SEPAY_OAUTH_CLIENT_SECRET`, optional `SEPAY_BASE_URL` | SePay OAuth 2.0 |
//!
//! A connection whose variables are all unset (or empty) is not configured; one that is half
//! configured gives an [`Error::Configuration`] naming the missing variable (never its value).

use std::fmt;
use std::sync::Arc;

use crate::{BankAccountProvider, Error};

/// Finan client id.
pub const FINAN_CLIENT_ID: &str = "FINAN_CLIENT_ID";
/// Finan secret key.
pub const FINAN_SECRET_KEY: &str = "FINAN_SECRET_KEY";
/// Finan base URL (default `https://api.finan.one/open`).
pub const FINAN_BASE_URL: &str = "FINAN_BASE_URL";
/// Finan client-side pace in requests per minute (default 100, Finan's Standard plan; 500 for
/// Enterprise): a whole number from 1.
pub const FINAN_REQUESTS_PER_MINUTE: &str = "FINAN_REQUESTS_PER_MINUTE";
/// SePay base URL shared by both ways in (default `https://my.sepay.vn`).
pub const SEPAY_BASE_URL: &str = "SEPAY_BASE_URL";
/// SePay API token.
pub const SEPAY_API_TOKEN: &str = "SEPAY_API_TOKEN";
/// SePay OAuth 2.0 access token.
pub const SEPAY_OAUTH_ACCESS_TOKEN: &str = "SEPAY_OAUTH_ACCESS_TOKEN";
/// SePay OAuth 2.0 refresh token.
pub const SEPAY_OAUTH_REFRESH_TOKEN: &str = "SEPAY_OAUTH_REFRESH_TOKEN";
/// SePay OAuth 2.0 client id.
pub const SEPAY_OAUTH_CLIENT_ID: &str = "SEPAY_OAUTH_CLIENT_ID";
/// SePay OAuth 2.0 client secret.
pub const SEPAY_OAUTH_CLIENT_SECRET: &str = "SEPAY_OAUTH_CLIENT_SECRET";

/// One set of credentials at one provider, under a name the app chose (`finan`, `sepay-token`).
#[derive(Clone)]
pub struct Connection {
    name: String,
    provider: Arc<dyn BankAccountProvider>,
}

impl Connection {
    /// Names a provider client.
    pub fn new(name: impl Into<String>, provider: Arc<dyn BankAccountProvider>) -> Self {
        Self {
            name: name.into(),
            provider,
        }
    }

    /// The connection's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The provider client behind it.
    pub fn provider(&self) -> &Arc<dyn BankAccountProvider> {
        &self.provider
    }
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection")
            .field("name", &self.name)
            .field("provider", &self.provider.provider_name())
            .finish()
    }
}

/// A connection that could not be built or used, with its name.
#[derive(Debug, thiserror::Error)]
#[error("{connection}: {error}")]
pub struct ConnectionError {
    /// The connection's name.
    pub connection: String,
    /// What went wrong.
    #[source]
    pub error: Error,
}

/// Builds every connection configured in the process environment (see the module docs).
///
/// Returns one item per configured connection, in the order `finan`, `sepay-token`,
/// `sepay-oauth`; an empty list when none is configured.
pub fn from_env() -> Vec<Result<Connection, ConnectionError>> {
    from_vars(|name| std::env::var(name).ok())
}

/// Like [`from_env`], reading variables through `get` (for tests, or configuration that is not
/// in the environment). Empty values count as unset.
pub fn from_vars(get: impl Fn(&str) -> Option<String>) -> Vec<Result<Connection, ConnectionError>> {
    let var = |name: &str| get(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
    let mut out = Vec::new();
    if var(FINAN_CLIENT_ID).is_some() || var(FINAN_SECRET_KEY).is_some() {
        out.push(named("finan", finan(&var)));
    }
    if var(SEPAY_API_TOKEN).is_some() {
        out.push(named("sepay-token", sepay_token(&var)));
    }
    if var(SEPAY_OAUTH_ACCESS_TOKEN).is_some() || var(SEPAY_OAUTH_REFRESH_TOKEN).is_some() {
        out.push(named("sepay-oauth", sepay_oauth(&var)));
    }
    out
}

fn named(name: &str, provider: Result<Arc<dyn BankAccountProvider>, Error>) -> Result<Connection, ConnectionError> {
    provider
        .map(|p| Connection::new(name, p))
        .map_err(|error| ConnectionError {
            connection: name.to_string(),
            error,
        })
}

#[cfg_attr(not(feature = "finan"), allow(unused_variables))]
fn finan(var: &dyn Fn(&str) -> Option<String>) -> Result<Arc<dyn BankAccountProvider>, Error> {
    #[cfg(feature = "finan")]
    {
        let client_id = var(FINAN_CLIENT_ID).ok_or_else(|| missing(FINAN_CLIENT_ID))?;
        let secret = var(FINAN_SECRET_KEY).ok_or_else(|| missing(FINAN_SECRET_KEY))?;
        let mut builder = crate::finan::FinanClient::builder()
            .client_id(client_id)
            .secret_key(secrecy::SecretString::from(secret));
        if let Some(url) = var(FINAN_BASE_URL) {
            builder = builder.base_url(&url);
        }
        if let Some(rate) = var(FINAN_REQUESTS_PER_MINUTE) {
            let per_minute = rate.parse::<u32>().ok().filter(|n| *n > 0).ok_or_else(|| {
                Error::Configuration(format!(
                    "{FINAN_REQUESTS_PER_MINUTE} must be a whole number from 1, not {rate:?}"
                ))
            })?;
            builder = builder.requests_per_minute(per_minute);
        }
        Ok(Arc::new(builder.build()?))
    }
    #[cfg(not(feature = "finan"))]
    Err(Error::Configuration(
        "FINAN_* variables are set but this build has no `finan` feature".into(),
    ))
}

#[cfg_attr(not(feature = "sepay"), allow(unused_variables))]
fn sepay_token(var: &dyn Fn(&str) -> Option<String>) -> Result<Arc<dyn BankAccountProvider>, Error> {
    #[cfg(feature = "sepay")]
    {
        let token = var(SEPAY_API_TOKEN).ok_or_else(|| missing(SEPAY_API_TOKEN))?;
        let mut builder = crate::sepay::SepayClient::api_token(secrecy::SecretString::from(token));
        if let Some(url) = var(SEPAY_BASE_URL) {
            builder = builder.base_url(&url);
        }
        Ok(Arc::new(builder.build()?))
    }
    #[cfg(not(feature = "sepay"))]
    Err(Error::Configuration(
        "SEPAY_API_TOKEN is set but this build has no `sepay` feature".into(),
    ))
}

#[cfg_attr(not(feature = "sepay"), allow(unused_variables))]
fn sepay_oauth(var: &dyn Fn(&str) -> Option<String>) -> Result<Arc<dyn BankAccountProvider>, Error> {
    #[cfg(feature = "sepay")]
    {
        use secrecy::SecretString;
        let refresh = var(SEPAY_OAUTH_REFRESH_TOKEN);
        if refresh.is_some() {
            // A refresh token is useless without the client credentials that go with it.
            var(SEPAY_OAUTH_CLIENT_ID).ok_or_else(|| missing(SEPAY_OAUTH_CLIENT_ID))?;
            var(SEPAY_OAUTH_CLIENT_SECRET).ok_or_else(|| missing(SEPAY_OAUTH_CLIENT_SECRET))?;
        }
        let mut credentials = crate::sepay::OAuthCredentials::new();
        if let Some(access) = var(SEPAY_OAUTH_ACCESS_TOKEN) {
            credentials = credentials.with_access_token(SecretString::from(access));
        }
        if let Some(refresh) = refresh {
            credentials = credentials.with_refresh_token(SecretString::from(refresh));
        }
        if let (Some(id), Some(secret)) = (var(SEPAY_OAUTH_CLIENT_ID), var(SEPAY_OAUTH_CLIENT_SECRET)) {
            credentials = credentials.with_client(id, SecretString::from(secret));
        }
        let mut builder = crate::sepay::SepayClient::oauth(credentials);
        if let Some(url) = var(SEPAY_BASE_URL) {
            builder = builder.base_url(&url);
        }
        Ok(Arc::new(builder.build()?))
    }
    #[cfg(not(feature = "sepay"))]
    Err(Error::Configuration(
        "SEPAY_OAUTH_* variables are set but this build has no `sepay` feature".into(),
    ))
}

#[cfg(any(feature = "finan", feature = "sepay"))]
fn missing(variable: &str) -> Error {
    Error::Configuration(format!("{variable} is not set"))
}
