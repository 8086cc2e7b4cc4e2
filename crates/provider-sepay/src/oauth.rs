//! OAuth 2.0 token state and refresh (the `oauth2` crate against `{base}/oauth/token`).
//!
//! SePay issues access tokens for an hour and refresh tokens for a month, and rotates the refresh
//! token on every refresh: the new one must be kept or the next refresh fails. The state sits behind
//! one `tokio::sync::Mutex` per client, which makes refreshing single-flight: callers queue on the
//! lock, and one that finds the token changed while it waited uses the new token instead of
//! refreshing again (a second refresh would spend the rotated refresh token for nothing, or race).
//!
//! Across instances sharing a [`TokenStore`], a refresh also holds the store's refresh lock: an
//! instance that needs a new token first looks for a newer version in the store (another instance
//! refreshed), then takes the lock, looks again, and only then refreshes and saves the next
//! version. One that finds the lock taken polls the store until the holder's tokens appear, or the
//! lock expires (the holder died) and it can take the lock itself.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use gateway_core::{Error, ErrorContext, TransportErrorKind};
use oauth2::basic::{BasicClient, BasicErrorResponse, BasicErrorResponseType};
use oauth2::{
    AuthType, ClientId, ClientSecret, EndpointNotSet, EndpointSet, HttpClientError, HttpRequest, HttpResponse,
    RefreshToken, RequestTokenError, TokenResponse, TokenUrl,
};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Mutex;

use crate::token_store::{RefreshLock, TokenStore};
use crate::transport::{request_span, transport_error};

/// Refresh this long before the recorded expiry, so a token does not expire in flight.
const EXPIRY_LEEWAY: Duration = Duration::from_secs(30);

/// What an app holds for the OAuth way in. Not every field is needed:
/// - an access token alone works until SePay refuses it (then calls fail with [`Error::Unauthorized`]);
/// - a refresh token with `client_id` and `client_secret` (and no access token) works by refreshing
///   before the first call, and keeps working by refreshing whenever the access token expires.
///
/// `Debug` shows which fields are set, never a token or the client secret.
///
/// ```
/// use provider_sepay::OAuthCredentials;
/// use secrecy::SecretString;
/// let creds = OAuthCredentials::from_refresh_token(
///     SecretString::from("REFRESH_TOKEN"),
///     "CLIENT_ID",
///     SecretString::from("CLIENT_SECRET"),
/// );
/// assert!(!format!("{creds:?}").contains("REFRESH_TOKEN"));
/// ```
#[derive(Clone, Default)]
pub struct OAuthCredentials {
    /// The current access token (`Authorization: Bearer ...`), if the app has one.
    pub access_token: Option<SecretString>,
    /// The refresh token (valid a month; SePay returns a new one on every refresh).
    pub refresh_token: Option<SecretString>,
    /// The OAuth application's client id (sent in the refresh form body).
    pub client_id: Option<String>,
    /// The OAuth application's client secret (sent in the refresh form body).
    pub client_secret: Option<SecretString>,
    /// When `access_token` expires, if known; refreshed 30 s before. `None`: refreshed on a 401.
    pub access_token_expires_at: Option<DateTime<Utc>>,
}

impl OAuthCredentials {
    /// No credentials yet; add them with the `with_*` methods.
    pub fn new() -> Self {
        Self::default()
    }

    /// Just an access token: works until it expires, with no refresh.
    pub fn from_access_token(access_token: SecretString) -> Self {
        Self::new().with_access_token(access_token)
    }

    /// A refresh token and the application's client credentials: the client refreshes before its
    /// first call and whenever the access token expires.
    pub fn from_refresh_token(
        refresh_token: SecretString,
        client_id: impl Into<String>,
        client_secret: SecretString,
    ) -> Self {
        Self::new()
            .with_refresh_token(refresh_token)
            .with_client(client_id, client_secret)
    }

    /// Sets the access token.
    pub fn with_access_token(mut self, access_token: SecretString) -> Self {
        self.access_token = Some(access_token);
        self
    }

    /// Sets when the access token expires.
    pub fn with_access_token_expires_at(mut self, expires_at: DateTime<Utc>) -> Self {
        self.access_token_expires_at = Some(expires_at);
        self
    }

    /// Sets the refresh token.
    pub fn with_refresh_token(mut self, refresh_token: SecretString) -> Self {
        self.refresh_token = Some(refresh_token);
        self
    }

    /// Sets the access token, refresh token and expiry from saved (or freshly exchanged) tokens;
    /// fields unset in `tokens` are left as they were.
    pub fn with_tokens(mut self, tokens: OAuthTokens) -> Self {
        let OAuthTokens {
            access_token,
            refresh_token,
            expires_at,
        } = tokens;
        self.access_token = access_token.or(self.access_token);
        self.refresh_token = refresh_token.or(self.refresh_token);
        self.access_token_expires_at = expires_at.or(self.access_token_expires_at);
        self
    }

    /// Sets the OAuth application's client id and secret.
    pub fn with_client(mut self, client_id: impl Into<String>, client_secret: SecretString) -> Self {
        self.client_id = Some(client_id.into());
        self.client_secret = Some(client_secret);
        self
    }
}

fn set<T>(v: &Option<T>) -> &'static str {
    if v.is_some() {
        "[set]"
    } else {
        "[unset]"
    }
}

impl fmt::Debug for OAuthCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthCredentials")
            .field("access_token", &set(&self.access_token))
            .field("refresh_token", &set(&self.refresh_token))
            .field("client_id", &self.client_id)
            .field("client_secret", &set(&self.client_secret))
            .field("access_token_expires_at", &self.access_token_expires_at)
            .finish()
    }
}

/// The tokens a client holds now, from [`crate::SepayClient::oauth_tokens`], for an app to persist:
/// SePay rotates the refresh token on every refresh, so the one the app started with stops working.
/// Also what a login gives ([`crate::SepayOAuthLogin::exchange`]) and what a
/// [`crate::TokenStore`] keeps.
///
/// `Debug` shows which tokens are set, never their value.
#[derive(Clone)]
#[non_exhaustive]
pub struct OAuthTokens {
    /// The current access token.
    pub access_token: Option<SecretString>,
    /// The current refresh token (the latest one SePay returned).
    pub refresh_token: Option<SecretString>,
    /// When the access token expires, when known (from the token reply's `expires_in`).
    pub expires_at: Option<DateTime<Utc>>,
}

impl OAuthTokens {
    /// Tokens from their parts (e.g. read back from an app's own storage).
    pub fn new(
        access_token: Option<SecretString>,
        refresh_token: Option<SecretString>,
        expires_at: Option<DateTime<Utc>>,
    ) -> Self {
        Self {
            access_token,
            refresh_token,
            expires_at,
        }
    }
}

impl fmt::Debug for OAuthTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthTokens")
            .field("access_token", &set(&self.access_token))
            .field("refresh_token", &set(&self.refresh_token))
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// The tokens in use; `generation` goes up on every refresh, so a caller can tell whether the
/// token it used is still the current one.
struct TokenState {
    access: Option<SecretString>,
    refresh: Option<SecretString>,
    expires_at: Option<DateTime<Utc>>,
    generation: u64,
    /// The store version of these tokens (0 without a store, or before the first load).
    version: u64,
    /// The token store was consulted (or there is none, or tokens were given).
    loaded: bool,
    /// A refresh succeeded but saving its tokens failed: save again before anything else.
    unsaved: bool,
}

impl TokenState {
    fn tokens(&self) -> OAuthTokens {
        OAuthTokens {
            access_token: self.access.clone(),
            refresh_token: self.refresh.clone(),
            expires_at: self.expires_at,
        }
    }

    fn expired(&self, now: DateTime<Utc>) -> bool {
        // Checked arithmetic: an absurd expiry from an app or a server must not panic.
        let leeway = chrono::Duration::from_std(EXPIRY_LEEWAY).unwrap_or_default();
        self.access.is_none()
            || self
                .expires_at
                .is_some_and(|at| at.checked_sub_signed(leeway).is_none_or(|t| t <= now))
    }
}

type TokenClient = BasicClient<EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

/// What a refresh needs besides the refresh token: the `oauth2` client (client id and secret in the
/// form body) and an HTTP client that does not follow redirects, so the secret and the refresh token
/// are never re-posted to wherever a redirect points.
struct Refresher {
    client: TokenClient,
    http: reqwest::Client,
}

/// The OAuth way in of one client (shared by its clones).
pub(crate) struct OAuthSession {
    state: Mutex<TokenState>,
    refresher: Option<Refresher>,
    client_id: Option<String>,
    store: Option<Arc<dyn TokenStore>>,
}

impl fmt::Debug for OAuthSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthSession")
            .field("client_id", &self.client_id)
            .field("can_refresh", &self.refresher.is_some())
            .field("token_store", &self.store.is_some())
            .finish_non_exhaustive()
    }
}

impl OAuthSession {
    /// Checks that `creds` can make at least one call and sets up refreshing against `token_url`
    /// when they allow it.
    ///
    /// With a token `store`, the credentials may hold no token (only the client id and secret): the
    /// tokens are loaded from the store at first use, and every refresh is saved to it.
    ///
    /// Errors ([`Error::Configuration`]): no access token and no way to get one; a refresh token
    /// (or a store) without both client id and client secret; an unusable token URL.
    pub(crate) fn new(
        creds: OAuthCredentials,
        token_url: String,
        http: reqwest::Client,
        store: Option<Arc<dyn TokenStore>>,
    ) -> Result<Self, Error> {
        let OAuthCredentials {
            access_token,
            refresh_token,
            client_id,
            client_secret,
            access_token_expires_at,
        } = creds;
        let wants_refresh = refresh_token.is_some() || store.is_some();
        let refresher = match (wants_refresh, &client_id, client_secret) {
            (true, Some(id), Some(secret)) => {
                let token_url = TokenUrl::new(token_url)
                    .map_err(|e| Error::Configuration(format!("invalid SePay token URL: {e}")))?;
                let client = BasicClient::new(ClientId::new(id.clone()))
                    .set_client_secret(ClientSecret::new(secret.expose_secret().to_string()))
                    .set_auth_type(AuthType::RequestBody)
                    .set_token_uri(token_url);
                Some(Refresher { client, http })
            }
            (true, _, _) if refresh_token.is_some() => {
                return Err(Error::Configuration(
                    "a SePay refresh token needs the OAuth client_id and client_secret to be used".into(),
                ))
            }
            (true, _, _) => {
                return Err(Error::Configuration(
                    "a SePay token store needs the OAuth client_id and client_secret (to refresh its tokens)".into(),
                ))
            }
            (false, _, _) => None,
        };
        if access_token.is_none() && refresher.is_none() {
            return Err(Error::Configuration(
                "SePay OAuth needs an access token, or a refresh token with client_id and client_secret".into(),
            ));
        }
        let given = access_token.is_some() || refresh_token.is_some();
        let state = TokenState {
            access: access_token,
            refresh: refresh_token,
            expires_at: access_token_expires_at,
            generation: 0,
            version: 0,
            loaded: given || store.is_none(),
            unsaved: false,
        };
        Ok(Self {
            state: Mutex::new(state),
            refresher,
            client_id,
            store,
        })
    }

    /// Before using the state: loads the tokens from the store the first time (when none were
    /// given), and saves tokens whose save failed after a refresh. The caller holds the state lock.
    async fn prepare(&self, state: &mut TokenState) -> Result<(), Error> {
        let Some(store) = &self.store else {
            return Ok(());
        };
        if !state.loaded {
            if let Some(saved) = store.load_versioned().await? {
                state.adopt(saved);
            }
            state.loaded = true;
            if state.access.is_none() && state.refresh.is_none() {
                return Err(Error::Unauthorized(ErrorContext::new(
                    "no SePay OAuth tokens: none were given and the token store holds none (log in first)",
                )));
            }
        }
        if state.unsaved {
            save(store.as_ref(), state).await?;
        }
        Ok(())
    }

    /// Gets new tokens while `stale(state)` holds: from the store when another instance saved a
    /// newer version, else by refreshing under the store's refresh lock (see the module docs).
    /// Without a store, refreshes directly. The caller holds the state lock.
    async fn renew(
        &self,
        refresher: &Refresher,
        state: &mut TokenState,
        stale: impl Fn(&TokenState) -> bool,
    ) -> Result<(), Error> {
        let Some(store) = self.store.as_deref() else {
            return refresh(refresher, None, state).await;
        };
        let ttl = store.refresh_lock_ttl();
        let give_up = std::time::Instant::now() + ttl.saturating_mul(2) + Duration::from_secs(5);
        let mut pause = Duration::from_millis(10);
        loop {
            if adopt_newer(store, state).await? && !stale(state) {
                return Ok(());
            }
            if let Some(lock) = store.try_lock_refresh().await? {
                let result = refresh_locked(refresher, store, state, &stale).await;
                unlock(store, &lock).await;
                return result;
            }
            if std::time::Instant::now() >= give_up {
                return Err(Error::Store {
                    message: format!(
                        "another instance holds the SePay token refresh lock and saved no new tokens in {} s",
                        (ttl.saturating_mul(2) + Duration::from_secs(5)).as_secs()
                    ),
                    source: None,
                });
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_millis(200));
        }
    }

    /// True when a refresh token and client credentials are configured.
    pub(crate) fn can_refresh(&self) -> bool {
        self.refresher.is_some()
    }

    /// The access token to send now, and its generation; refreshes first when the token is missing
    /// or (with the 30 s leeway) expired and refreshing is possible. Without refresh an expired token
    /// is still sent: the expiry may be wrong, and SePay's 401 is the authoritative answer.
    pub(crate) async fn access_token(&self) -> Result<(SecretString, u64), Error> {
        let mut state = self.state.lock().await;
        self.prepare(&mut state).await?;
        if let (Some(refresher), true) = (&self.refresher, state.expired(Utc::now())) {
            self.renew(refresher, &mut state, |s| s.expired(Utc::now())).await?;
        }
        match &state.access {
            Some(token) => Ok((token.clone(), state.generation)),
            None => Err(Error::Unauthorized(ErrorContext::new("no SePay OAuth access token"))),
        }
    }

    /// After SePay refused the token of generation `used` with a 401: refreshes, unless another
    /// caller already did while this one waited, and returns the token to retry with.
    pub(crate) async fn refresh_after_unauthorized(&self, used: u64) -> Result<SecretString, Error> {
        let Some(refresher) = &self.refresher else {
            return Err(Error::Unauthorized(ErrorContext::new(
                "the SePay access token was refused and cannot be refreshed",
            )));
        };
        let mut state = self.state.lock().await;
        self.prepare(&mut state).await?;
        if state.generation == used {
            self.renew(refresher, &mut state, |s| s.generation == used).await?;
        }
        state
            .access
            .clone()
            .ok_or_else(|| Error::Unauthorized(ErrorContext::new("no SePay OAuth access token after refresh")))
    }

    /// A copy of the current tokens.
    pub(crate) async fn tokens(&self) -> OAuthTokens {
        self.state.lock().await.tokens()
    }
}

impl TokenState {
    /// Takes saved tokens as the ones in use (a new generation for callers holding the old ones).
    fn adopt(&mut self, saved: crate::VersionedTokens) {
        self.access = saved.tokens.access_token;
        self.refresh = saved.tokens.refresh_token;
        self.expires_at = saved.tokens.expires_at;
        self.version = saved.version;
        self.generation += 1;
        self.unsaved = false;
    }
}

/// Takes the store's tokens when they are newer than the ones in use; true when it did.
async fn adopt_newer(store: &dyn TokenStore, state: &mut TokenState) -> Result<bool, Error> {
    match store.load_versioned().await? {
        Some(saved) if saved.version > state.version => {
            tracing::debug!(target: "provider_sepay", version = saved.version, "using SePay OAuth tokens another instance saved");
            state.adopt(saved);
            Ok(true)
        }
        _ => Ok(false),
    }
}

/// Under the refresh lock: the store again (the previous holder may have saved just before
/// giving the lock back), then the refresh with the newest refresh token.
async fn refresh_locked(
    refresher: &Refresher,
    store: &dyn TokenStore,
    state: &mut TokenState,
    stale: &impl Fn(&TokenState) -> bool,
) -> Result<(), Error> {
    if adopt_newer(store, state).await? && !stale(state) {
        return Ok(());
    }
    match refresh(refresher, Some(store), state).await {
        // The refresh token was spent by another instance (its lock had lapsed, or it never took
        // one): if it saved the tokens it got, use those.
        Err(Error::Unauthorized(ctx)) if ctx.code.as_deref() == Some("invalid_grant") => {
            if adopt_newer(store, state).await? && !stale(state) {
                return Ok(());
            }
            Err(Error::Unauthorized(ctx))
        }
        other => other,
    }
}

/// Gives the refresh lock back; a failure only means it expires by itself.
async fn unlock(store: &dyn TokenStore, lock: &RefreshLock) {
    if let Err(error) = store.unlock_refresh(lock).await {
        tracing::warn!(target: "provider_sepay", %error, "could not release the SePay token refresh lock; it expires by itself");
    }
}

/// Saves the tokens in use as their version. A store that already holds a newer version keeps it
/// (this instance's refresh raced one whose lock had expired); the tokens in memory still work.
async fn save(store: &dyn TokenStore, state: &mut TokenState) -> Result<(), Error> {
    state.unsaved = true;
    if !store.save_versioned(&state.tokens(), state.version).await? {
        tracing::warn!(target: "provider_sepay", version = state.version, "the token store already holds newer SePay OAuth tokens; kept them");
    }
    state.unsaved = false;
    Ok(())
}

/// Exchanges the refresh token for new tokens (`grant_type=refresh_token`, client credentials in the
/// body) and keeps them, with the rotated refresh token. The caller holds the state lock.
///
/// With a token store the new tokens are saved before this returns, so the rotated refresh token is
/// persisted before it is ever used. When the save fails the tokens are still kept in memory (SePay
/// has already spent the old refresh token), the save is retried before the next use, and the
/// caller gets the [`Error::Store`].
async fn refresh(refresher: &Refresher, store: Option<&dyn TokenStore>, state: &mut TokenState) -> Result<(), Error> {
    let Some(current) = &state.refresh else {
        return Err(Error::Unauthorized(ErrorContext::new("no SePay refresh token")));
    };
    let refresh_token = RefreshToken::new(current.expose_secret().to_string());
    let http = refresher.http.clone();
    let send = move |request: HttpRequest| send_token_request(http.clone(), request, "SePay token refresh");
    let started = Utc::now();
    let reply = refresher
        .client
        .exchange_refresh_token(&refresh_token)
        .request_async(&send)
        .await
        .map_err(|e| token_error(e, "the token refresh"))?;
    state.access = Some(SecretString::from(reply.access_token().secret().clone()));
    if let Some(rotated) = reply.refresh_token() {
        state.refresh = Some(SecretString::from(rotated.secret().clone()));
    }
    // Counted from before the request, so network time only makes the expiry earlier.
    state.expires_at = reply
        .expires_in()
        .and_then(|d| chrono::Duration::from_std(d).ok())
        .and_then(|d| started.checked_add_signed(d));
    state.generation += 1;
    state.version += 1;
    tracing::debug!(target: "provider_sepay", generation = state.generation, "refreshed the SePay OAuth access token");
    if let Some(store) = store {
        save(store, state).await?;
    }
    Ok(())
}

/// A token-endpoint reply the `oauth2` crate should not try to read as an OAuth error: a non-200
/// status without a JSON `{"error": ...}` body (an HTML 502, a 429 from a proxy). Without this it
/// would surface as a parse error, and a passing outage would look like a broken server.
#[derive(Debug)]
pub(crate) enum TokenHttpError {
    Client(HttpClientError<reqwest::Error>),
    Status {
        status: u16,
        retry_after: Option<Duration>,
        content_type: Option<String>,
    },
}

impl fmt::Display for TokenHttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenHttpError::Client(e) => write!(f, "{e}"),
            TokenHttpError::Status {
                status, content_type, ..
            } => write!(
                f,
                "the SePay token endpoint answered HTTP {status} ({})",
                content_type.as_deref().unwrap_or("no content type")
            ),
        }
    }
}

impl std::error::Error for TokenHttpError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            TokenHttpError::Client(e) => Some(e),
            TokenHttpError::Status { .. } => None,
        }
    }
}

/// Sends one token request with oauth2's reqwest 0.12 client, and sorts out replies that are not
/// OAuth JSON (see [`TokenHttpError`]).
///
/// Runs in a `sepay.request` span like the resource APIs (`operation`, method, path, status,
/// request id, elapsed ms); neither the form body (client secret, refresh token, code) nor a
/// header is recorded.
pub(crate) async fn send_token_request(
    http: reqwest::Client,
    request: HttpRequest,
    operation: &'static str,
) -> Result<HttpResponse, TokenHttpError> {
    use tracing::Instrument as _;
    let span = request_span(operation, request.method().as_str(), request.uri().path());
    let recorder = span.clone();
    let started = std::time::Instant::now();
    async move {
        let response = oauth2::AsyncHttpClient::call(&http, request).await;
        recorder.record(
            "elapsed_ms",
            u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        );
        let response = response.map_err(|e| {
            tracing::debug!(target: "provider_sepay", error = %e, "token request failed");
            TokenHttpError::Client(e)
        })?;
        recorder.record("http.status", response.status().as_u16());
        if let Some(id) = response.headers().get("x-request-id").and_then(|v| v.to_str().ok()) {
            recorder.record("request_id", id);
        }
        sort_token_reply(response)
    }
    .instrument(span)
    .await
}

/// A token reply as oauth2 should see it: 200 and OAuth error JSON pass, anything else is
/// [`TokenHttpError::Status`].
fn sort_token_reply(response: HttpResponse) -> Result<HttpResponse, TokenHttpError> {
    let status = response.status().as_u16();
    if status == 200 {
        return Ok(json_labelled(response));
    }
    // A 429 or 5xx is told by its status even in OAuth error JSON: read as an OAuth error it
    // would become a `Provider` error without the status, neither rate limited nor retryable.
    let is_oauth_error = status != 429
        && status < 500
        && serde_json::from_slice::<serde_json::Value>(response.body())
            .ok()
            .is_some_and(|v| v.get("error").is_some_and(serde_json::Value::is_string));
    if is_oauth_error {
        return Ok(response);
    }
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let retry_after =
        header("retry-after").and_then(|v| gateway_core::parse_retry_after(&v, std::time::SystemTime::now()));
    Err(TokenHttpError::Status {
        status,
        retry_after,
        content_type: header("content-type"),
    })
}

/// A 200 token reply with a JSON object body labelled as something else (`text/plain`,
/// `text/html`, as some proxies and PHP servers send), relabelled `application/json`. oauth2
/// refuses any other content type, and refusing a refresh reply would drop the rotated refresh
/// token while SePay has already retired the old one.
fn json_labelled(mut response: HttpResponse) -> HttpResponse {
    use oauth2::http::header::CONTENT_TYPE;
    let says_json = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.to_ascii_lowercase().contains("json"));
    let is_object = serde_json::from_slice::<serde_json::Value>(response.body()).is_ok_and(|v| v.is_object());
    if !says_json && is_object {
        response
            .headers_mut()
            .insert(CONTENT_TYPE, oauth2::http::HeaderValue::from_static("application/json"));
    }
    response
}

/// An `oauth2` failure of `action` (e.g. "the token refresh") as the core error. Never includes the
/// reply body or a token: the body of a token reply holds the new tokens.
pub(crate) fn token_error(e: RequestTokenError<TokenHttpError, BasicErrorResponse>, action: &str) -> Error {
    match e {
        RequestTokenError::ServerResponse(reply) => {
            let code = reply.error().as_ref().to_string();
            let mut message = format!("SePay refused {action}: {code}");
            if let Some(description) = reply.error_description() {
                message.push_str(&format!(" ({})", description.chars().take(300).collect::<String>()));
            }
            let ctx = ErrorContext::new(message).with_code(code);
            match reply.error() {
                BasicErrorResponseType::InvalidGrant
                | BasicErrorResponseType::InvalidClient
                | BasicErrorResponseType::UnauthorizedClient => Error::Unauthorized(ctx),
                BasicErrorResponseType::InvalidRequest
                | BasicErrorResponseType::InvalidScope
                | BasicErrorResponseType::UnsupportedGrantType => Error::InvalidRequest(ctx),
                BasicErrorResponseType::Extension(_) => Error::Provider(ctx),
            }
        }
        RequestTokenError::Request(TokenHttpError::Client(HttpClientError::Reqwest(e))) => transport_error(*e),
        RequestTokenError::Request(TokenHttpError::Client(e)) => Error::Transport {
            kind: TransportErrorKind::Other,
            message: format!("SePay token request failed: {e}"),
            source: Some(Box::new(e)),
        },
        RequestTokenError::Request(TokenHttpError::Status {
            status,
            retry_after,
            content_type,
        }) => {
            let ct = content_type.as_deref().unwrap_or("no content type");
            let ctx = ErrorContext::new(format!("the SePay token endpoint answered HTTP {status} ({ct})"))
                .with_status(status);
            match status {
                401 => Error::Unauthorized(ctx),
                403 => Error::Forbidden(ctx),
                400 | 422 => Error::InvalidRequest(ctx),
                429 => Error::RateLimited {
                    retry_after,
                    context: ctx,
                },
                _ => Error::Provider(ctx),
            }
        }
        RequestTokenError::Parse(e, _body) => Error::decode(
            "SePay OAuth token reply",
            // The path and the kind of error only: serde's own message may quote a value.
            format!("unexpected shape at `{}` ({:?} error)", e.path(), e.inner().classify()),
        ),
        // oauth2's own messages (wrong content type, empty body); they hold no reply data.
        RequestTokenError::Other(message) => Error::decode("SePay OAuth token reply", message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(access: bool, expires_at: Option<DateTime<Utc>>) -> TokenState {
        TokenState {
            access: access.then(|| SecretString::from("a")),
            refresh: None,
            expires_at,
            generation: 0,
            version: 0,
            loaded: true,
            unsaved: false,
        }
    }

    #[test]
    fn expiry_has_a_30_second_leeway_and_never_panics() {
        let now = Utc::now();
        assert!(state(false, None).expired(now), "no token: refresh");
        assert!(!state(true, None).expired(now), "unknown expiry: wait for a 401");
        assert!(state(true, Some(now + chrono::Duration::seconds(29))).expired(now));
        assert!(!state(true, Some(now + chrono::Duration::seconds(31))).expired(now));
        assert!(state(true, Some(DateTime::<Utc>::MIN_UTC)).expired(now));
        assert!(!state(true, Some(DateTime::<Utc>::MAX_UTC)).expired(now));
    }
}
