//! Logging in to SePay with OAuth 2.0 (authorization code), to get the first tokens.
//!
//! 1. [`SepayOAuthLogin::authorize_url`] gives the URL to send the user to,
//!    `GET https://my.sepay.vn/oauth/authorize?response_type=code&client_id=...&redirect_uri=...&scope=...&state=...`
//!    (scopes space-separated), and the random [`CsrfState`] to keep (e.g. in the user's session).
//! 2. SePay redirects the browser to the redirect URI with `?code=...&state=...` (or
//!    `?error=...` when the user refused). Read it with [`AuthorizationCallback::from_query`].
//! 3. [`SepayOAuthLogin::exchange`] checks that the callback's `state` is the one kept (in constant
//!    time; nothing is sent otherwise) and exchanges the code at
//!    `POST https://my.sepay.vn/oauth/token` (`application/x-www-form-urlencoded`:
//!    `grant_type=authorization_code`, `code`, `redirect_uri`, `client_id`, `client_secret`).
//!    Codes are single-use and live 5 minutes. The reply's access token lives an hour, its refresh
//!    token a month.
//!
//! The tokens then go to [`crate::SepayClient::oauth`] (with [`crate::OAuthCredentials::with_tokens`])
//! and, to survive restarts, to a [`crate::TokenStore`].
//!
//! ```no_run
//! use provider_sepay::{AuthorizationCallback, SepayOAuthLogin};
//! use secrecy::SecretString;
//!
//! # async fn run(callback_query: &str) -> Result<(), gateway_core::Error> {
//! let login = SepayOAuthLogin::builder(
//!     "CLIENT_ID",
//!     SecretString::from("CLIENT_SECRET"),
//!     "http://127.0.0.1:8765/callback",
//! )
//! .scopes(["bank-account:read", "transaction:read"])
//! .build()?;
//! let (url, state) = login.authorize_url();
//! println!("open {url}");
//! // ... the browser comes back to the redirect URI with `callback_query` ...
//! let callback = AuthorizationCallback::from_query(callback_query)?;
//! let tokens = login.exchange(callback, &state).await?;
//! # let _ = tokens;
//! # Ok(())
//! # }
//! ```

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use chrono::Utc;
use gateway_core::{Error, ErrorContext};
use oauth2::basic::{BasicClient, BasicErrorResponseType};
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet, EndpointSet, HttpRequest,
    RedirectUrl, RequestTokenError, Scope, TokenResponse, TokenUrl,
};
use secrecy::{ExposeSecret, SecretString};
use subtle::ConstantTimeEq;
use url::Url;

use crate::oauth::{send_token_request, token_error};
use crate::OAuthTokens;

/// SePay's authorization endpoint.
pub const DEFAULT_AUTHORIZE_URL: &str = "https://my.sepay.vn/oauth/authorize";

/// SePay's token endpoint.
pub const DEFAULT_TOKEN_URL: &str = "https://my.sepay.vn/oauth/token";

/// The scope of the bank-account endpoints (`/api/v1/bank-accounts...`).
pub const SCOPE_BANK_ACCOUNT_READ: &str = "bank-account:read";
/// The scope of the transaction endpoints (`/api/v1/transactions...`).
pub const SCOPE_TRANSACTION_READ: &str = "transaction:read";
/// The scope to read webhooks.
pub const SCOPE_WEBHOOK_READ: &str = "webhook:read";
/// The scope to create and update webhooks.
pub const SCOPE_WEBHOOK_WRITE: &str = "webhook:write";
/// The scope to delete webhooks.
pub const SCOPE_WEBHOOK_DELETE: &str = "webhook:delete";
/// The scope of the user's profile.
pub const SCOPE_PROFILE: &str = "profile";
/// The scope of the user's company.
pub const SCOPE_COMPANY: &str = "company";

/// The error code ([`ErrorContext::code`]) of a callback whose `state` is not the one the login
/// started with: a possible CSRF attempt (or a stale browser tab). Nothing was sent.
pub const CSRF_STATE_MISMATCH: &str = "csrf_state_mismatch";

/// The error code of a code that SePay refused (`invalid_grant`): already used, expired (codes live
/// 5 minutes), or issued for another client or redirect URI. The user must log in again.
pub const INVALID_GRANT: &str = "invalid_grant";

/// The random `state` of one login, to keep until the callback (e.g. in the user's session cookie)
/// and give to [`SepayOAuthLogin::exchange`]. `Debug` does not show it.
#[derive(Clone)]
pub struct CsrfState(SecretString);

impl CsrfState {
    /// A state read back from where the app kept it ([`Self::secret`]).
    pub fn new(state: impl Into<String>) -> Self {
        Self(SecretString::from(state.into()))
    }

    /// The state's text, to keep it somewhere the callback handler can find it.
    pub fn secret(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for CsrfState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CsrfState([REDACTED])")
    }
}

/// What SePay's redirect to the redirect URI carried: a code and the state. `Debug` shows neither.
#[derive(Clone)]
pub struct AuthorizationCallback {
    code: SecretString,
    state: SecretString,
}

impl fmt::Debug for AuthorizationCallback {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AuthorizationCallback { code: [REDACTED], state: [REDACTED] }")
    }
}

impl AuthorizationCallback {
    /// A callback from its `code` and `state` parameters.
    pub fn new(code: SecretString, state: impl Into<String>) -> Self {
        Self {
            code,
            state: SecretString::from(state.into()),
        }
    }

    /// Reads the callback's query string (`code=...&state=...`, with or without the leading `?`, or
    /// the whole callback URL).
    ///
    /// # Errors
    /// [`Error::Forbidden`] with SePay's code (e.g. `access_denied`) when the callback carries
    /// `error` (the user refused, or SePay refused the request); [`Error::InvalidRequest`] when
    /// `code` or `state` is missing or empty, or appears twice.
    pub fn from_query(query: &str) -> Result<Self, Error> {
        let query = query.trim();
        let query = match Url::parse(query) {
            Ok(url) if url.has_host() => url.query().unwrap_or_default().to_string(),
            _ => query.trim_start_matches('?').to_string(),
        };
        let mut code = None;
        let mut state = None;
        let mut error = None;
        let mut description = None;
        for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
            let slot = match name.as_ref() {
                "code" => &mut code,
                "state" => &mut state,
                "error" => &mut error,
                "error_description" => &mut description,
                _ => continue,
            };
            if slot.is_some() {
                return Err(Error::InvalidRequest(ErrorContext::new(format!(
                    "the OAuth callback carries `{name}` twice"
                ))));
            }
            *slot = Some(value.into_owned());
        }
        if let Some(error) = error {
            // The error code is short ASCII from SePay's vocabulary; keep it (and the description) tidy.
            let code: String = error.chars().filter(|c| c.is_ascii_graphic()).take(64).collect();
            let mut message = format!("the SePay login did not complete: {code}");
            if let Some(d) = description {
                message.push_str(&format!(" ({})", d.chars().take(300).collect::<String>()));
            }
            return Err(Error::Forbidden(ErrorContext::new(message).with_code(code)));
        }
        let missing = |what: &str| {
            Error::InvalidRequest(ErrorContext::new(format!(
                "the OAuth callback has no `{what}` parameter"
            )))
        };
        let code = code.filter(|c| !c.is_empty()).ok_or_else(|| missing("code"))?;
        let state = state.filter(|s| !s.is_empty()).ok_or_else(|| missing("state"))?;
        Ok(Self::new(SecretString::from(code), state))
    }
}

type LoginClient = BasicClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

/// The authorization-code login of one SePay OAuth application; from [`SepayOAuthLogin::builder`].
///
/// `Debug` shows the client id, URLs and scopes, never the client secret.
pub struct SepayOAuthLogin {
    client: LoginClient,
    client_id: String,
    redirect_uri: RedirectUrl,
    scopes: Vec<String>,
    http: reqwest::Client,
}

impl fmt::Debug for SepayOAuthLogin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SepayOAuthLogin")
            .field("client_id", &self.client_id)
            .field("client_secret", &"[REDACTED]")
            .field("authorize_url", &self.client.auth_uri().as_str())
            .field("token_url", &self.client.token_uri().as_str())
            .field("redirect_uri", &self.redirect_uri.as_str())
            .field("scopes", &self.scopes)
            .finish()
    }
}

/// Configures a [`SepayOAuthLogin`]. `Debug` never shows the client secret.
pub struct SepayOAuthLoginBuilder {
    client_id: String,
    client_secret: SecretString,
    redirect_uri: String,
    scopes: Vec<String>,
    authorize_url: String,
    token_url: String,
    timeout: Duration,
}

impl fmt::Debug for SepayOAuthLoginBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SepayOAuthLoginBuilder")
            .field("client_id", &self.client_id)
            .field("client_secret", &"[REDACTED]")
            .field("redirect_uri", &self.redirect_uri)
            .field("scopes", &self.scopes)
            .field("authorize_url", &self.authorize_url)
            .field("token_url", &self.token_url)
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl SepayOAuthLogin {
    /// A builder for the application `client_id` / `client_secret` with its registered
    /// `redirect_uri` (SePay requires it to match). Add scopes with [`SepayOAuthLoginBuilder::scope`]
    /// or [`SepayOAuthLoginBuilder::scopes`].
    pub fn builder(
        client_id: impl Into<String>,
        client_secret: SecretString,
        redirect_uri: impl Into<String>,
    ) -> SepayOAuthLoginBuilder {
        SepayOAuthLoginBuilder {
            client_id: client_id.into(),
            client_secret,
            redirect_uri: redirect_uri.into(),
            scopes: Vec::new(),
            authorize_url: DEFAULT_AUTHORIZE_URL.to_string(),
            token_url: DEFAULT_TOKEN_URL.to_string(),
            timeout: crate::DEFAULT_TIMEOUT,
        }
    }

    /// The URL to send the user to and the state to keep until the callback: SePay's authorize URL
    /// with `response_type=code`, `client_id`, `redirect_uri`, `scope` (the scopes in the order given,
    /// space-separated) and `state` (16 random bytes, base64url; new on every call).
    pub fn authorize_url(&self) -> (Url, CsrfState) {
        let (url, state) = self
            .client
            .authorize_url(CsrfToken::new_random)
            .add_scopes(self.scopes.iter().cloned().map(Scope::new))
            .url();
        (url, CsrfState(SecretString::from(state.into_secret())))
    }

    /// The scopes asked for, in order.
    pub fn scopes(&self) -> &[String] {
        &self.scopes
    }

    /// Completes the login: checks that `callback`'s state equals `expected_state` (constant time),
    /// then exchanges its code: `POST {token_url}` with the form body `grant_type=authorization_code`,
    /// `code`, `redirect_uri`, `client_id`, `client_secret`. Returns the access token, the refresh
    /// token and the access token's expiry (from `expires_in`, counted from before the request).
    ///
    /// # Errors
    /// - [`Error::InvalidRequest`] with code [`CSRF_STATE_MISMATCH`] when the states differ; nothing
    ///   is sent.
    /// - [`Error::Unauthorized`] with code [`INVALID_GRANT`] when SePay refuses the code (used
    ///   already, older than 5 minutes, or for another client or redirect URI): log in again.
    /// - [`Error::Unauthorized`] (`invalid_client`, `unauthorized_client`, HTTP 401),
    ///   [`Error::InvalidRequest`] (other OAuth errors, HTTP 400), [`Error::RateLimited`],
    ///   [`Error::Provider`], [`Error::Transport`], [`Error::Decode`] (a reply that is not a token reply).
    pub async fn exchange(
        &self,
        callback: AuthorizationCallback,
        expected_state: &CsrfState,
    ) -> Result<OAuthTokens, Error> {
        let same = callback
            .state
            .expose_secret()
            .as_bytes()
            .ct_eq(expected_state.0.expose_secret().as_bytes());
        if !bool::from(same) {
            return Err(Error::InvalidRequest(
                ErrorContext::new(
                    "the OAuth callback's state is not the one this login started with (possible CSRF); \
                     the code was not exchanged",
                )
                .with_code(CSRF_STATE_MISMATCH),
            ));
        }
        let code = AuthorizationCode::new(callback.code.expose_secret().to_string());
        let http = self.http.clone();
        let send =
            move |request: HttpRequest| send_token_request(http.clone(), request, "SePay authorization code exchange");
        let started = Utc::now();
        let reply = self
            .client
            .exchange_code(code)
            .set_redirect_uri(Cow::Borrowed(&self.redirect_uri))
            .request_async(&send)
            .await
            .map_err(|e| match e {
                RequestTokenError::ServerResponse(reply) if *reply.error() == BasicErrorResponseType::InvalidGrant => {
                    let mut message = "SePay refused the authorization code (invalid_grant): it was already used, \
                                       is older than 5 minutes, or was issued for another client or redirect URI; \
                                       log in again"
                        .to_string();
                    if let Some(d) = reply.error_description() {
                        message.push_str(&format!(" ({})", d.chars().take(300).collect::<String>()));
                    }
                    Error::Unauthorized(ErrorContext::new(message).with_code(INVALID_GRANT))
                }
                other => token_error(other, "the authorization code"),
            })?;
        let expires_at = reply
            .expires_in()
            .and_then(|d| chrono::Duration::from_std(d).ok())
            .and_then(|d| started.checked_add_signed(d));
        tracing::debug!(target: "provider_sepay", "exchanged a SePay OAuth authorization code");
        Ok(OAuthTokens::new(
            Some(SecretString::from(reply.access_token().secret().clone())),
            reply.refresh_token().map(|t| SecretString::from(t.secret().clone())),
            expires_at,
        ))
    }

    /// As [`Self::exchange`], from the callback's query string (see [`AuthorizationCallback::from_query`]).
    ///
    /// # Errors
    /// Those of [`AuthorizationCallback::from_query`] and [`Self::exchange`].
    pub async fn exchange_query(&self, query: &str, expected_state: &CsrfState) -> Result<OAuthTokens, Error> {
        self.exchange(AuthorizationCallback::from_query(query)?, expected_state)
            .await
    }
}

impl SepayOAuthLoginBuilder {
    /// Asks for one more scope (e.g. [`SCOPE_BANK_ACCOUNT_READ`]).
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scopes.push(scope.into());
        self
    }

    /// Asks for these scopes too, in order.
    pub fn scopes<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.scopes.extend(scopes.into_iter().map(Into::into));
        self
    }

    /// Uses `{base}/oauth/authorize` and `{base}/oauth/token` (a sandbox, a proxy) instead of
    /// SePay's; the same base as [`crate::SepayClientBuilder::base_url`].
    pub fn base_url(mut self, base_url: &str) -> Self {
        let base = base_url.trim().trim_end_matches('/');
        self.authorize_url = format!("{base}/oauth/authorize");
        self.token_url = format!("{base}/oauth/token");
        self
    }

    /// Sends the user to this authorization URL instead of [`DEFAULT_AUTHORIZE_URL`].
    pub fn authorize_url(mut self, url: impl Into<String>) -> Self {
        self.authorize_url = url.into();
        self
    }

    /// Exchanges codes at this token URL instead of [`DEFAULT_TOKEN_URL`].
    pub fn token_url(mut self, url: impl Into<String>) -> Self {
        self.token_url = url.into();
        self
    }

    /// Timeout of the code exchange request (default 30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The login.
    ///
    /// # Errors
    /// [`Error::Configuration`] (nothing is sent) for an empty client id or secret, no scope, a scope
    /// that is empty or holds whitespace, a URL that is not absolute `http`/`https`, or a zero timeout.
    pub fn build(self) -> Result<SepayOAuthLogin, Error> {
        let config = |m: String| Error::Configuration(m);
        if self.client_id.trim().is_empty() {
            return Err(config("the SePay OAuth client_id is empty".into()));
        }
        if self.client_secret.expose_secret().trim().is_empty() {
            return Err(config("the SePay OAuth client_secret is empty".into()));
        }
        if self.scopes.is_empty() {
            return Err(config(
                "a SePay login needs at least one scope (e.g. bank-account:read)".into(),
            ));
        }
        if let Some(bad) = self
            .scopes
            .iter()
            .find(|s| s.is_empty() || s.chars().any(char::is_whitespace))
        {
            return Err(config(format!("invalid OAuth scope {bad:?}: scopes are single words")));
        }
        if self.timeout.is_zero() {
            return Err(config("the timeout must be more than zero".into()));
        }
        let check = |what: &str, url: &str| -> Result<(), Error> {
            match Url::parse(url) {
                Ok(u) if matches!(u.scheme(), "http" | "https") && u.has_host() => Ok(()),
                _ => Err(config(format!("invalid {what} {url:?}: not an absolute http(s) URL"))),
            }
        };
        check("authorize URL", &self.authorize_url)?;
        check("token URL", &self.token_url)?;
        check("redirect URI", &self.redirect_uri)?;
        let auth_url = AuthUrl::new(self.authorize_url).map_err(|e| config(format!("invalid authorize URL: {e}")))?;
        let token_url = TokenUrl::new(self.token_url).map_err(|e| config(format!("invalid token URL: {e}")))?;
        let redirect_uri =
            RedirectUrl::new(self.redirect_uri).map_err(|e| config(format!("invalid redirect URI: {e}")))?;
        let client = BasicClient::new(ClientId::new(self.client_id.clone()))
            .set_client_secret(ClientSecret::new(self.client_secret.expose_secret().to_string()))
            // SePay takes client_id and client_secret in the form body, not HTTP Basic.
            .set_auth_type(AuthType::RequestBody)
            .set_auth_uri(auth_url)
            .set_token_uri(token_url)
            .set_redirect_uri(redirect_uri.clone());
        // No redirects: the code and the client secret must not be re-posted wherever one points.
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(self.timeout)
            .user_agent(concat!("provider-sepay/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| config(format!("cannot build the HTTP client: {e}")))?;
        Ok(SepayOAuthLogin {
            client,
            client_id: self.client_id,
            redirect_uri,
            scopes: self.scopes,
            http,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_names_match_the_ones_errors_use() {
        assert_eq!(SCOPE_BANK_ACCOUNT_READ, crate::error::BANK_ACCOUNT_SCOPE);
        assert_eq!(SCOPE_TRANSACTION_READ, crate::error::TRANSACTION_SCOPE);
    }

    #[test]
    fn callback_parsing() {
        let cb = AuthorizationCallback::from_query("?code=abc&state=xyz").unwrap();
        assert_eq!(cb.code.expose_secret(), "abc");
        assert_eq!(cb.state.expose_secret(), "xyz");
        let cb = AuthorizationCallback::from_query("http://127.0.0.1:8765/callback?state=s&code=c").unwrap();
        assert_eq!(cb.code.expose_secret(), "c");
        assert!(matches!(
            AuthorizationCallback::from_query("state=s"),
            Err(Error::InvalidRequest(_))
        ));
        assert!(matches!(
            AuthorizationCallback::from_query("code=c&state="),
            Err(Error::InvalidRequest(_))
        ));
        assert!(matches!(
            AuthorizationCallback::from_query("code=c&code=d&state=s"),
            Err(Error::InvalidRequest(_))
        ));
        match AuthorizationCallback::from_query("error=access_denied&error_description=User+refused&state=s") {
            Err(Error::Forbidden(ctx)) => assert_eq!(ctx.code.as_deref(), Some("access_denied")),
            other => panic!("{other:?}"),
        }
    }
}
