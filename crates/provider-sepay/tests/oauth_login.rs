//! The OAuth 2.0 login (authorization code): the authorize URL, the CSRF state check, the code
//! exchange against wiremock (the form body exactly as SePay documents it) and against
//! `oauth2-mock-server` (npm, an OAuth 2.0 server this project did not write; started by
//! `peers/oauth_mock_server.js`, which adds SePay's single-use codes and refresh tokens and client
//! credentials in the form body through the server's own hooks), and the whole login against the
//! sandbox's own `GET /oauth/authorize` and `POST /oauth/token`.

mod common;

#[path = "../../../peers/ensure.rs"]
mod peers;

use std::collections::{BTreeMap, HashSet};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use chrono::Utc;
use common::*;
use gateway_core::Error;
use provider_sepay::oauth_login::{CSRF_STATE_MISMATCH, INVALID_GRANT};
use provider_sepay::{
    AuthorizationCallback, CsrfState, FileTokenStore, OAuthCredentials, SepayClient, SepayOAuthLogin, TokenStore,
};
use secrecy::{ExposeSecret, SecretString};
use wiremock::matchers::{any, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const REDIRECT: &str = "http://127.0.0.1:8765/callback";
const CODE: &str = "AUTH-CODE-5ECRET-77";

fn login_at(authorize: &str, token: &str) -> SepayOAuthLogin {
    SepayOAuthLogin::builder(CLIENT_ID, SecretString::from(CLIENT_SECRET), REDIRECT)
        .scopes(["bank-account:read", "transaction:read"])
        .authorize_url(authorize)
        .token_url(token)
        .build()
        .unwrap()
}

fn login_for(server: &MockServer) -> SepayOAuthLogin {
    SepayOAuthLogin::builder(CLIENT_ID, SecretString::from(CLIENT_SECRET), REDIRECT)
        .scopes(["bank-account:read", "transaction:read"])
        .base_url(&server.uri())
        .build()
        .unwrap()
}

fn query(url: &url::Url) -> BTreeMap<String, String> {
    let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    let map: BTreeMap<_, _> = pairs.iter().cloned().collect();
    assert_eq!(map.len(), pairs.len(), "no parameter twice: {pairs:?}");
    map
}

#[test]
fn authorize_url_has_every_required_parameter() {
    let login = SepayOAuthLogin::builder(CLIENT_ID, SecretString::from(CLIENT_SECRET), REDIRECT)
        .scope("bank-account:read")
        .scope("transaction:read")
        .build()
        .unwrap();
    let (url, state) = login.authorize_url();
    assert_eq!(url.scheme(), "https");
    assert_eq!(url.host_str(), Some("my.sepay.vn"));
    assert_eq!(url.path(), "/oauth/authorize");
    let q = query(&url);
    assert_eq!(
        q.keys().map(String::as_str).collect::<Vec<_>>(),
        ["client_id", "redirect_uri", "response_type", "scope", "state"]
    );
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["client_id"], CLIENT_ID);
    assert_eq!(q["redirect_uri"], REDIRECT);
    assert_eq!(q["scope"], "bank-account:read transaction:read");
    assert_eq!(q["state"], state.secret());
    assert!(state.secret().len() >= 16, "enough randomness");
    assert!(!url.as_str().contains(CLIENT_SECRET));
}

#[test]
fn state_is_random_per_call() {
    let login = login_at(
        "https://auth.example/oauth/authorize",
        "https://auth.example/oauth/token",
    );
    let states: HashSet<String> = (0..50)
        .map(|_| {
            let (url, state) = login.authorize_url();
            assert_eq!(query(&url)["state"], state.secret());
            state.secret().to_string()
        })
        .collect();
    assert_eq!(states.len(), 50);
}

#[test]
fn builder_refuses_what_cannot_work() {
    let ok = || SepayOAuthLogin::builder(CLIENT_ID, SecretString::from(CLIENT_SECRET), REDIRECT).scope("profile");
    assert!(ok().build().is_ok());
    let bad = [
        SepayOAuthLogin::builder("", SecretString::from(CLIENT_SECRET), REDIRECT).scope("profile"),
        SepayOAuthLogin::builder(CLIENT_ID, SecretString::from(" "), REDIRECT).scope("profile"),
        SepayOAuthLogin::builder(CLIENT_ID, SecretString::from(CLIENT_SECRET), REDIRECT),
        ok().scope("two words"),
        ok().scope(""),
        ok().token_url("not a url"),
        ok().authorize_url("ftp://x/oauth/authorize"),
        SepayOAuthLogin::builder(CLIENT_ID, SecretString::from(CLIENT_SECRET), "/callback").scope("profile"),
        ok().timeout(std::time::Duration::ZERO),
    ];
    for b in bad {
        let shown = format!("{b:?}");
        assert_no_secret(&shown);
        let err = b.build().unwrap_err();
        assert!(matches!(err, Error::Configuration(_)), "{err:?}");
        assert_no_secret(&err.to_string());
    }
}

#[tokio::test]
async fn state_mismatch_is_a_csrf_error_and_nothing_is_sent() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&server)
        .await;
    let login = login_for(&server);
    let (_, state) = login.authorize_url();
    let (_, other) = login.authorize_url();
    for callback in [
        AuthorizationCallback::new(SecretString::from(CODE), other.secret()),
        AuthorizationCallback::new(SecretString::from(CODE), ""),
        AuthorizationCallback::new(SecretString::from(CODE), format!("{}x", state.secret())),
    ] {
        let err = login.exchange(callback, &state).await.unwrap_err();
        match &err {
            Error::InvalidRequest(ctx) => {
                assert_eq!(ctx.code.as_deref(), Some(CSRF_STATE_MISMATCH));
                assert!(ctx.message.contains("CSRF"), "{}", ctx.message);
            }
            other => panic!("{other:?}"),
        }
        assert!(!err.to_string().contains(CODE));
        assert!(!err.to_string().contains(state.secret()));
    }
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn code_exchange_posts_the_documented_form_body() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(token_reply("NEW-ACCESS-1", "NEW-REFRESH-1"))
        .expect(1)
        .mount(&server)
        .await;
    let login = login_for(&server);
    let (_, state) = login.authorize_url();
    let before = Utc::now();
    let tokens = login
        .exchange_query(&format!("code={CODE}&state={}", state.secret()), &state)
        .await
        .unwrap();
    assert_eq!(tokens.access_token.as_ref().unwrap().expose_secret(), "NEW-ACCESS-1");
    assert_eq!(tokens.refresh_token.as_ref().unwrap().expose_secret(), "NEW-REFRESH-1");
    let expires = tokens.expires_at.unwrap();
    assert!(
        expires >= before + chrono::Duration::seconds(3599) && expires <= Utc::now() + chrono::Duration::seconds(3600)
    );

    let requests = requests_to(&server, "/oauth/token").await;
    let request = &requests[0];
    assert_eq!(
        request.headers.get("content-type").unwrap().to_str().unwrap(),
        "application/x-www-form-urlencoded"
    );
    assert!(
        request.headers.get("authorization").is_none(),
        "credentials go in the body, not Basic"
    );
    let body: BTreeMap<String, String> = form(&request.body).into_iter().collect();
    let expected: BTreeMap<String, String> = [
        ("grant_type", "authorization_code"),
        ("code", CODE),
        ("redirect_uri", REDIRECT),
        ("client_id", CLIENT_ID),
        ("client_secret", CLIENT_SECRET),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    assert_eq!(body, expected, "exactly the documented fields (no PKCE, no scope)");
}

#[tokio::test]
async fn a_used_or_expired_code_is_invalid_grant() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(json(
            400,
            r#"{"error":"invalid_grant","error_description":"The authorization code has expired"}"#,
        ))
        .mount(&server)
        .await;
    let login = login_for(&server);
    let (_, state) = login.authorize_url();
    let callback = AuthorizationCallback::new(SecretString::from(CODE), state.secret());
    let err = login.exchange(callback, &state).await.unwrap_err();
    match &err {
        Error::Unauthorized(ctx) => {
            assert_eq!(ctx.code.as_deref(), Some(INVALID_GRANT));
            assert!(ctx.message.contains("already used"), "{}", ctx.message);
            assert!(ctx.message.contains("has expired"), "{}", ctx.message);
        }
        other => panic!("{other:?}"),
    }
    let shown = format!("{err} {err:?}");
    assert_no_secret(&shown);
    assert!(!shown.contains(CODE));
}

#[tokio::test]
async fn other_token_endpoint_failures_keep_their_types() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(json(401, r#"{"error":"invalid_client"}"#))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(ResponseTemplate::new(503).set_body_string("<html>down</html>"))
        .mount(&server)
        .await;
    let login = login_for(&server);
    let (_, state) = login.authorize_url();
    let cb = || AuthorizationCallback::new(SecretString::from(CODE), state.secret());
    let err = login.exchange(cb(), &state).await.unwrap_err();
    assert!(
        matches!(&err, Error::Unauthorized(c) if c.code.as_deref() == Some("invalid_client")),
        "{err:?}"
    );
    let err = login.exchange(cb(), &state).await.unwrap_err();
    assert!(matches!(&err, Error::Provider(c) if c.status == Some(503)), "{err:?}");
    assert!(err.is_retryable());
}

#[test]
fn callback_carrying_an_error_is_forbidden_with_its_code() {
    let err =
        AuthorizationCallback::from_query("error=access_denied&error_description=User+denied&state=s").unwrap_err();
    assert!(
        matches!(&err, Error::Forbidden(c) if c.code.as_deref() == Some("access_denied")),
        "{err:?}"
    );
    let err = AuthorizationCallback::from_query("state=s").unwrap_err();
    assert!(matches!(err, Error::InvalidRequest(_)));
}

#[test]
fn debug_of_every_new_type_shows_no_secret() {
    let login = SepayOAuthLogin::builder(CLIENT_ID, SecretString::from(CLIENT_SECRET), REDIRECT).scope("profile");
    let shown = format!("{login:?}");
    assert_no_secret(&shown);
    assert!(shown.contains(CLIENT_ID));
    let login = login.build().unwrap();
    assert_no_secret(&format!("{login:?}"));
    let (_, state) = login.authorize_url();
    assert!(!format!("{state:?}").contains(state.secret()));
    let state = CsrfState::new("STATE-5ECRET");
    assert!(!format!("{state:?}").contains("STATE-5ECRET"));
    let cb = AuthorizationCallback::new(SecretString::from(CODE), "STATE-5ECRET");
    let shown = format!("{cb:?}");
    assert!(!shown.contains(CODE) && !shown.contains("STATE-5ECRET"), "{shown}");
}

/// `node peers/oauth_mock_server.js`, killed when dropped.
struct MockOAuthServer {
    child: Child,
    base_url: String,
}

impl MockOAuthServer {
    fn start() -> Self {
        let dir = peers::ensure_installed();
        if !dir.join("node_modules").join("oauth2-mock-server").exists() {
            // node_modules from before oauth2-mock-server was pinned: install the current lock.
            let status = Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund", "--prefix"])
                .arg(&dir)
                .status()
                .expect("npm runs");
            assert!(status.success(), "npm ci --prefix peers failed");
        }
        let mut child = Command::new("node")
            .arg(dir.join("oauth_mock_server.js"))
            .current_dir(&dir)
            .env("OAUTH_MOCK_CLIENT_ID", CLIENT_ID)
            .env("OAUTH_MOCK_CLIENT_SECRET", CLIENT_SECRET)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("node is needed for the peer tests");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("piped stdout"))
            .read_line(&mut line)
            .expect("the mock server prints its URL");
        let v: serde_json::Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line:?}"));
        let base_url = v["base_url"].as_str().expect("base_url").to_string();
        Self { child, base_url }
    }

    /// The user "logs in": `GET /oauth/authorize` (redirects not followed) and the callback query
    /// from the `Location` it redirects to.
    async fn authorize(&self, url: &url::Url) -> String {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let reply = http.get(url.clone()).send().await.unwrap();
        assert_eq!(reply.status().as_u16(), 302, "{:?}", reply.text().await);
        let location = reply.headers()["location"].to_str().unwrap().to_string();
        assert!(location.starts_with(REDIRECT), "{location}");
        location
    }
}

impl Drop for MockOAuthServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn temp_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("sepay-oauth-login-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test]
async fn login_and_rotation_against_oauth2_mock_server() {
    let peer = MockOAuthServer::start();
    let login = SepayOAuthLogin::builder(CLIENT_ID, SecretString::from(CLIENT_SECRET), REDIRECT)
        .scopes(["bank-account:read", "transaction:read"])
        .base_url(&peer.base_url)
        .build()
        .unwrap();
    let (url, state) = login.authorize_url();
    let location = peer.authorize(&url).await;

    // A callback with another login's state is refused before the code is spent...
    let (_, other) = login.authorize_url();
    let err = login.exchange_query(&location, &other).await.unwrap_err();
    assert!(matches!(&err, Error::InvalidRequest(c) if c.code.as_deref() == Some(CSRF_STATE_MISMATCH)));
    // ...so the right one still works.
    let tokens = login.exchange_query(&location, &state).await.unwrap();
    let first_refresh = tokens.refresh_token.clone().expect("a refresh token");
    assert!(tokens.access_token.is_some());
    assert!(tokens.expires_at.is_some());
    // Codes are single-use.
    let err = login.exchange_query(&location, &state).await.unwrap_err();
    assert!(
        matches!(&err, Error::Unauthorized(c) if c.code.as_deref() == Some(INVALID_GRANT)),
        "{err:?}"
    );

    // The client refreshes at the mock server (token already expired), saving each rotation.
    let dir = temp_dir();
    let store = Arc::new(FileTokenStore::new(dir.join("tokens.json")));
    store.save(&tokens).await.unwrap();
    let api = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/bank-accounts/19"))
        .respond_with(json(200, fixture("oauth_bank_account_details.json")))
        .mount(&api)
        .await;
    let client = |store: Arc<FileTokenStore>| {
        SepayClient::oauth(
            OAuthCredentials::new()
                .with_client(CLIENT_ID, SecretString::from(CLIENT_SECRET))
                .with_access_token_expires_at(Utc::now()),
        )
        .base_url(&api.uri())
        .token_url(&format!("{}/oauth/token", peer.base_url))
        .token_store(store)
        .build()
        .unwrap()
    };
    // The credentials hold no token: the client loads them from the store, finds them expired.
    let c1 = SepayClient::oauth(
        OAuthCredentials::new()
            .with_client(CLIENT_ID, SecretString::from(CLIENT_SECRET))
            .with_tokens(provider_sepay::OAuthTokens::new(
                None,
                Some(first_refresh.clone()),
                Some(Utc::now()),
            )),
    )
    .base_url(&api.uri())
    .token_url(&format!("{}/oauth/token", peer.base_url))
    .token_store(store.clone())
    .build()
    .unwrap();
    assert_eq!(c1.get_oauth_bank_account(19).await.unwrap().id, "19");
    let saved = store.load().await.unwrap().unwrap();
    let second_refresh = saved.refresh_token.clone().unwrap();
    assert_ne!(second_refresh.expose_secret(), first_refresh.expose_secret(), "rotated");
    assert_eq!(
        saved.access_token.as_ref().unwrap().expose_secret(),
        c1.oauth_tokens().await.unwrap().access_token.unwrap().expose_secret()
    );
    // The spent refresh token is refused by the server: only the saved one can go on.
    let stale = SepayClient::oauth(OAuthCredentials::from_refresh_token(
        first_refresh,
        CLIENT_ID,
        SecretString::from(CLIENT_SECRET),
    ))
    .base_url(&api.uri())
    .token_url(&format!("{}/oauth/token", peer.base_url))
    .build()
    .unwrap();
    let err = stale.get_oauth_bank_account(19).await.unwrap_err();
    assert!(
        matches!(&err, Error::Unauthorized(c) if c.code.as_deref() == Some("invalid_grant")),
        "{err:?}"
    );
    // A new process: credentials without tokens, everything from the file; an expired access
    // token forces a refresh with the saved (rotated) refresh token, which the server accepts.
    let mut expired = saved.clone();
    expired.expires_at = Some(Utc::now());
    store.save(&expired).await.unwrap();
    let c2 = client(store.clone());
    let _ = c2.get_oauth_bank_account(19).await.unwrap();
    let third = store.load().await.unwrap().unwrap().refresh_token.unwrap();
    assert_ne!(third.expose_secret(), second_refresh.expose_secret());
    std::fs::remove_dir_all(dir).unwrap();
}

/// Follows the sandbox's `GET /oauth/authorize` (which approves at once) without following the
/// redirect, and returns the callback URL it sends the browser to, with its status.
async fn sandbox_authorize(url: &url::Url) -> (u16, Option<url::Url>) {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let reply = http.get(url.clone()).send().await.unwrap();
    let location = reply
        .headers()
        .get(reqwest::header::LOCATION)
        .map(|v| url::Url::parse(v.to_str().unwrap()).unwrap());
    (reply.status().as_u16(), location)
}

#[tokio::test]
async fn full_login_against_the_sandbox_authorize_and_token_endpoints() {
    let sandbox = gateway_sandbox::Sandbox::start().await.unwrap();
    let creds = sandbox.credentials().clone();
    let callback = "http://127.0.0.1:9/sandbox-callback";
    sandbox.sepay().register_redirect_uri(callback);
    let login = SepayOAuthLogin::builder(
        creds.sepay_oauth_client_id.clone(),
        SecretString::from(creds.sepay_oauth_client_secret.clone()),
        callback,
    )
    .scopes(["bank-account:read", "transaction:read"])
    .base_url(&sandbox.sepay_base_url())
    .build()
    .unwrap();

    // The sandbox checks the authorize URL the library builds (every parameter, the registered
    // redirect URI) and sends the browser back with a code and the same state.
    let (url, state) = login.authorize_url();
    let (status, location) = sandbox_authorize(&url).await;
    assert_eq!(status, 302, "{url}");
    let location = location.expect("a Location header");
    assert!(location.as_str().starts_with(callback), "{location}");
    let back = query(&location);
    assert_eq!(back.get("state").map(String::as_str), Some(state.secret()));
    let code_query = location.query().unwrap().to_string();

    // A forged callback (another login's state) is refused without spending the code.
    let (_, other) = login.authorize_url();
    let err = login.exchange_query(&code_query, &other).await.unwrap_err();
    assert!(matches!(&err, Error::InvalidRequest(c) if c.code.as_deref() == Some(CSRF_STATE_MISMATCH)));
    assert_eq!(sandbox.sepay().code_exchange_count(), 0);

    let tokens = login.exchange_query(&code_query, &state).await.unwrap();
    assert_eq!(sandbox.sepay().code_exchange_count(), 1);
    let access = tokens.access_token.clone().expect("an access token");
    assert_eq!(
        access.expose_secret().split('.').count(),
        3,
        "SePay's access tokens are JWTs"
    );
    assert!(tokens.refresh_token.is_some());
    let lifetime = tokens.expires_at.expect("expires_at") - Utc::now();
    assert!((3500..=3600).contains(&lifetime.num_seconds()), "{lifetime}");

    // The login's tokens work on the resource API, and a refresh rotates them into the store.
    let store = Arc::new(provider_sepay::MemoryTokenStore::new());
    store.save(&tokens).await.unwrap();
    let client = SepayClient::oauth(OAuthCredentials::new().with_client(
        creds.sepay_oauth_client_id.clone(),
        SecretString::from(creds.sepay_oauth_client_secret.clone()),
    ))
    .base_url(&sandbox.sepay_base_url())
    .token_store(store.clone())
    .build()
    .unwrap();
    let page = client.list_oauth_bank_accounts(1, 20).await.unwrap();
    assert!(!page.items.is_empty());
    assert_eq!(
        sandbox.sepay().token_refresh_count(),
        0,
        "a fresh token needs no refresh"
    );
    sandbox.sepay().expire_oauth_access_tokens();
    client.list_oauth_bank_accounts(1, 20).await.unwrap();
    assert_eq!(sandbox.sepay().token_refresh_count(), 1);
    let saved = store.load().await.unwrap().unwrap();
    assert_ne!(
        saved.refresh_token.unwrap().expose_secret(),
        tokens.refresh_token.unwrap().expose_secret(),
        "the rotated refresh token was saved"
    );

    // The code is single-use: presenting it again is invalid_grant (and, per RFC 6749 4.1.2,
    // the sandbox revokes what it issued).
    let err = login.exchange_query(&code_query, &state).await.unwrap_err();
    assert!(
        matches!(&err, Error::Unauthorized(c) if c.code.as_deref() == Some(INVALID_GRANT)),
        "{err:?}"
    );
    assert_eq!(sandbox.sepay().code_exchange_count(), 1);

    // An unregistered redirect URI is refused at the authorize step: no code is issued.
    let stray = SepayOAuthLogin::builder(
        creds.sepay_oauth_client_id.clone(),
        SecretString::from(creds.sepay_oauth_client_secret.clone()),
        "http://127.0.0.1:9/not-registered",
    )
    .scope("bank-account:read")
    .base_url(&sandbox.sepay_base_url())
    .build()
    .unwrap();
    let (status, location) = sandbox_authorize(&stray.authorize_url().0).await;
    assert_eq!((status, location), (400, None));
}
