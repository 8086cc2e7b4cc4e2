//! SePay's OAuth 2.0 endpoints (RFC 6749 as SePay documents it):
//!
//! - `GET /oauth/authorize?response_type=code&client_id&redirect_uri&scope&state` (all required):
//!   there is no login page, the sandbox approves at once and answers `302 Found` with
//!   `Location: {redirect_uri}?code=...&state=...`. An unknown client, a redirect URI not registered
//!   for it ([`crate::SandboxCredentials::sepay_oauth_redirect_uris`],
//!   [`SepayState::register_redirect_uri`]), an unknown scope or a missing parameter is answered
//!   `400` with the token endpoint's JSON error (`invalid_client`, `invalid_request`,
//!   `invalid_scope`, `unsupported_response_type`), never redirected.
//! - `POST /oauth/token` (form body): the `authorization_code` grant (`code`, `redirect_uri`; a code
//!   is single-use, lives [`crate::SandboxConfig::sepay_oauth_code_ttl`], and needs the authorize
//!   request's exact `redirect_uri`, else `invalid_grant`; replaying a used code also revokes the
//!   tokens it issued) and the `refresh_token` grant with rotation. Both answer a new access and
//!   refresh token with the granted scopes. Client credentials come in the form body, or as HTTP
//!   Basic, which many OAuth libraries send by default.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Serialize;

use super::state::{CodeError, RefreshError};
use super::{json, lock, Params, SepayState};

pub(super) fn routes() -> Router<Arc<SepayState>> {
    Router::new()
        .route("/oauth/authorize", get(authorize))
        .route("/oauth/token", post(token))
}

/// Every scope SePay documents; `GET /oauth/authorize` refuses others.
const KNOWN_SCOPES: &[&str] = &[
    "bank-account:read",
    "transaction:read",
    "webhook:read",
    "webhook:write",
    "webhook:delete",
    "profile",
    "company",
];

async fn authorize(State(state): State<Arc<SepayState>>, RawQuery(query): RawQuery) -> Response {
    let invalid_request =
        |description: &str| token_error(StatusCode::BAD_REQUEST, "invalid_request", Some(description));
    let Some(params) = Params::parse(query.as_deref()) else {
        return invalid_request("The query string is malformed");
    };
    let mut values = Vec::new();
    for name in ["response_type", "client_id", "redirect_uri", "scope", "state"] {
        match params.get(name) {
            Some(v) => values.push(v),
            None => return invalid_request(&format!("The {name} parameter is required")),
        }
    }
    let [response_type, client_id, redirect_uri, scope, csrf_state] = values[..] else {
        unreachable!("five parameters were collected");
    };
    if response_type != "code" {
        return token_error(
            StatusCode::BAD_REQUEST,
            "unsupported_response_type",
            Some("Only response_type=code is supported"),
        );
    }
    if client_id != state.client_id {
        return token_error(StatusCode::BAD_REQUEST, "invalid_client", Some("Unknown client_id"));
    }
    if !lock(&state.redirect_uris).iter().any(|u| u == redirect_uri) {
        return invalid_request("The redirect_uri is not registered for this client");
    }
    let Ok(mut location) = reqwest::Url::parse(redirect_uri) else {
        return invalid_request("The redirect_uri is not a valid URL");
    };
    let scopes: Vec<String> = scope.split_whitespace().map(str::to_string).collect();
    if let Some(unknown) = scopes.iter().find(|s| !KNOWN_SCOPES.contains(&s.as_str())) {
        return token_error(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            Some(&format!("Unknown scope: {unknown}")),
        );
    }
    let code = lock(&state.tokens).issue_code(client_id, redirect_uri, scopes, Instant::now());
    location
        .query_pairs_mut()
        .append_pair("code", &code)
        .append_pair("state", csrf_state);
    let mut response = StatusCode::FOUND.into_response();
    let location = HeaderValue::from_str(location.as_str()).expect("a parsed URL is a valid header value");
    response.headers_mut().insert(header::LOCATION, location);
    no_store(response)
}

#[derive(Serialize)]
struct TokenError<'a> {
    error: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_description: Option<&'a str>,
}

fn token_error(status: StatusCode, error: &str, description: Option<&str>) -> Response {
    json(
        status,
        &TokenError {
            error,
            error_description: description,
        },
    )
}

#[derive(Serialize)]
struct TokenResponse {
    access_token: String,
    token_type: &'static str,
    expires_in: u64,
    refresh_token: String,
    scope: String,
}

/// RFC 6749 5.1: token responses must not be cached.
fn no_store(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

async fn token(State(state): State<Arc<SepayState>>, headers: HeaderMap, body: Bytes) -> Response {
    let invalid_request = |description| token_error(StatusCode::BAD_REQUEST, "invalid_request", Some(description));
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        });
    if !is_form {
        return invalid_request("The request body must be application/x-www-form-urlencoded");
    }
    let Some(form) = std::str::from_utf8(&body).ok().and_then(|b| Params::parse(Some(b))) else {
        return invalid_request("The request body is malformed");
    };
    let by_code = match form.get("grant_type") {
        None => return invalid_request("The grant_type parameter is required"),
        Some("refresh_token") => false,
        Some("authorization_code") => true,
        Some(_) => return token_error(StatusCode::BAD_REQUEST, "unsupported_grant_type", None),
    };

    let basic = basic_credentials(&headers);
    let authenticated = match (form.get("client_secret"), &basic) {
        (Some(secret), _) => form.get("client_id") == Some(state.client_id.as_str()) && secret == state.client_secret,
        // Basic carries both; a client_id repeated in the body must agree with it.
        (None, Some((id, secret))) => {
            basic_matches(id, &state.client_id)
                && basic_matches(secret, &state.client_secret)
                && form.get("client_id").is_none_or(|body_id| body_id == state.client_id)
        }
        (None, None) => false,
    };
    if !authenticated {
        let mut response = token_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            Some("Client authentication failed"),
        );
        // RFC 6749 5.2: a client that tried Basic gets a matching challenge.
        if basic.is_some() {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"sepay\""),
            );
        }
        return response;
    }

    if by_code {
        return exchange_code(&state, &form);
    }
    let Some(refresh_token) = form.get("refresh_token") else {
        return invalid_request("The refresh_token parameter is required");
    };
    let refreshed = lock(&state.tokens).refresh(refresh_token, form.get("scope"), Instant::now());
    match refreshed {
        Ok(r) => {
            state.refreshes.fetch_add(1, Ordering::Relaxed);
            issued(&state, r)
        }
        Err(RefreshError::InvalidGrant) => token_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            Some("The refresh token is invalid"),
        ),
        Err(RefreshError::InvalidScope) => token_error(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            Some("The requested scope exceeds the scope granted by the refresh token"),
        ),
    }
}

/// The `authorization_code` grant, once the client is authenticated.
fn exchange_code(state: &SepayState, form: &Params) -> Response {
    let (Some(code), Some(redirect_uri)) = (form.get("code"), form.get("redirect_uri")) else {
        return token_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            Some("The code and redirect_uri parameters are required"),
        );
    };
    let exchanged = lock(&state.tokens).exchange_code(code, &state.client_id, redirect_uri, Instant::now());
    match exchanged {
        Ok(r) => {
            state.code_exchanges.fetch_add(1, Ordering::Relaxed);
            issued(state, r)
        }
        Err(e) => {
            let description = match e {
                CodeError::Invalid => "The authorization code is invalid, expired or already used",
                CodeError::OtherClient => "The authorization code was issued to another client",
                CodeError::RedirectMismatch => "The redirect_uri does not match the authorization request",
            };
            token_error(StatusCode::BAD_REQUEST, "invalid_grant", Some(description))
        }
    }
}

/// The `200` token response for a newly issued pair.
fn issued(state: &SepayState, r: super::state::Refreshed) -> Response {
    let expires_in = lock(&state.tokens).access_ttl().as_secs();
    no_store(json(
        StatusCode::OK,
        &TokenResponse {
            access_token: r.access_token,
            token_type: "Bearer",
            expires_in,
            refresh_token: r.refresh_token,
            scope: r.scopes.join(" "),
        },
    ))
}

/// `Authorization: Basic base64(client_id:client_secret)`, split at the first colon.
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(base64_decode(encoded.trim())?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some((id.to_string(), secret.to_string()))
}

/// RFC 6749 2.3.1 form-encodes id and secret before Basic; some clients skip that, so both the
/// raw and the decoded value are accepted.
fn basic_matches(sent: &str, expected: &str) -> bool {
    sent == expected || form_decode(sent).as_deref() == Some(expected)
}

/// Standard base64 (RFC 4648), padding optional. A few lines instead of a dependency.
fn base64_decode(input: &str) -> Option<Vec<u8>> {
    fn sextet(c: u8) -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    }
    let data = input.trim_end_matches('=').as_bytes();
    if data.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(data.len() * 3 / 4);
    let (mut bits, mut count) = (0u32, 0u32);
    for &c in data {
        bits = (bits << 6) | sextet(c)?;
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
            bits &= (1 << count) - 1;
        }
    }
    Some(out)
}

/// `application/x-www-form-urlencoded` decoding of one value: `+` is a space, `%XX` a byte.
fn form_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = s.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::super::test_support::{get_json, sandbox};
    use super::*;

    const CLIENT_ID: &str = "sandbox-sepay-oauth-client";
    const CLIENT_SECRET: &str = "sandbox-sepay-oauth-secret";

    #[test]
    fn base64_and_form_decoding() {
        assert_eq!(
            base64_decode("YWxhZGRpbjpvcGVuc2VzYW1l").unwrap(),
            b"aladdin:opensesame"
        );
        assert_eq!(base64_decode("YQ==").unwrap(), b"a");
        assert_eq!(base64_decode("YWI").unwrap(), b"ab");
        assert_eq!(base64_decode("Y"), None);
        assert_eq!(base64_decode("Y!==").map(|_| ()), None);
        assert_eq!(form_decode("a%2Bb+c").unwrap(), "a+b c");
        assert_eq!(form_decode("%zz"), None);
    }

    async fn refresh(base: &str, form: &[(&str, &str)]) -> (u16, Value) {
        let response = reqwest::Client::new()
            .post(format!("{base}/oauth/token"))
            .form(form)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        assert_eq!(response.headers()["content-type"], "application/json");
        (status, response.json().await.unwrap())
    }

    #[tokio::test]
    async fn refresh_rotates_tokens() {
        let sandbox = sandbox().await;
        let base = sandbox.sepay_base_url();
        let old = sandbox.sepay().current_refresh_token();
        assert_eq!(old, "sandbox-sepay-refresh-token");
        let form = [
            ("grant_type", "refresh_token"),
            ("refresh_token", old.as_str()),
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
        ];
        let (status, body) = refresh(&base, &form).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["token_type"], "Bearer");
        assert_eq!(body["expires_in"], 3600);
        assert_eq!(body["scope"], "bank-account:read transaction:read");
        let new_refresh = body["refresh_token"].as_str().unwrap().to_string();
        let access = body["access_token"].as_str().unwrap().to_string();
        assert_ne!(new_refresh, old);
        assert_eq!(sandbox.sepay().current_refresh_token(), new_refresh);
        assert_eq!(sandbox.sepay().token_refresh_count(), 1);

        // The used refresh token is retired.
        let (status, body) = refresh(&base, &form).await;
        assert_eq!(
            (status, body),
            (
                400,
                json!({"error": "invalid_grant", "error_description": "The refresh token is invalid"})
            )
        );
        assert_eq!(sandbox.sepay().token_refresh_count(), 1);

        sandbox.sepay().expire_oauth_access_tokens();
        let url = format!("{base}/api/v1/bank-accounts");
        assert_eq!(get_json(&url, Some(&access)).await.0, 401);
        let (status, body) = refresh(
            &base,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", new_refresh.as_str()),
                ("client_id", CLIENT_ID),
                ("client_secret", CLIENT_SECRET),
            ],
        )
        .await;
        assert_eq!(status, 200);
        let access = body["access_token"].as_str().unwrap();
        assert_eq!(get_json(&url, Some(access)).await.0, 200);
    }

    #[tokio::test]
    async fn client_authentication_and_grant_types() {
        let sandbox = sandbox().await;
        let base = sandbox.sepay_base_url();
        let current = sandbox.sepay().current_refresh_token();
        let invalid_client = json!({"error": "invalid_client", "error_description": "Client authentication failed"});

        let wrong = [
            ("grant_type", "refresh_token"),
            ("refresh_token", current.as_str()),
            ("client_id", CLIENT_ID),
            ("client_secret", "nope"),
        ];
        assert_eq!(refresh(&base, &wrong).await, (401, invalid_client.clone()));
        let missing = [("grant_type", "refresh_token"), ("refresh_token", current.as_str())];
        assert_eq!(refresh(&base, &missing).await, (401, invalid_client));
        let password = [
            ("grant_type", "password"),
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
        ];
        assert_eq!(
            refresh(&base, &password).await,
            (400, json!({"error": "unsupported_grant_type"}))
        );
        assert_eq!(
            sandbox.sepay().current_refresh_token(),
            current,
            "failed attempts do not rotate"
        );

        // HTTP Basic instead of body credentials.
        let response = reqwest::Client::new()
            .post(format!("{base}/oauth/token"))
            .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
            .form(&[("grant_type", "refresh_token"), ("refresh_token", current.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200);
        assert_eq!(response.headers()["cache-control"], "no-store");
        let body: Value = response.json().await.unwrap();
        assert_eq!(
            sandbox.sepay().current_refresh_token(),
            body["refresh_token"].as_str().unwrap()
        );

        let response = reqwest::Client::new()
            .post(format!("{base}/oauth/token"))
            .basic_auth(CLIENT_ID, Some("nope"))
            .form(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", body["refresh_token"].as_str().unwrap()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 401);
        assert!(response.headers().contains_key("www-authenticate"));

        // JSON bodies are not what the endpoint takes.
        let response = reqwest::Client::new()
            .post(format!("{base}/oauth/token"))
            .json(&json!({"grant_type": "refresh_token"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 400);
    }

    const REDIRECT: &str = "http://127.0.0.1:8765/callback";

    /// `GET /oauth/authorize` without following the redirect: status, `Location`, JSON body if any.
    async fn authorize(base: &str, query: &[(&str, &str)]) -> (u16, Option<String>, Option<Value>) {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let response = client
            .get(format!("{base}/oauth/authorize"))
            .query(query)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let location = response
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_string());
        let body = response.json().await.ok();
        (status, location, body)
    }

    fn login_query<'a>(redirect_uri: &'a str, scope: &'a str) -> Vec<(&'a str, &'a str)> {
        vec![
            ("response_type", "code"),
            ("client_id", CLIENT_ID),
            ("redirect_uri", redirect_uri),
            ("scope", scope),
            ("state", "xyz 123"),
        ]
    }

    /// Authorizes and returns the code from the redirect (checking the echoed `state`).
    async fn code_for(base: &str, redirect_uri: &str, scope: &str) -> String {
        let (status, location, _) = authorize(base, &login_query(redirect_uri, scope)).await;
        assert_eq!(status, 302);
        let location = reqwest::Url::parse(&location.unwrap()).unwrap();
        assert_eq!(
            location.as_str().split('?').next().unwrap(),
            redirect_uri.split('?').next().unwrap()
        );
        let pairs: std::collections::HashMap<String, String> = location.query_pairs().into_owned().collect();
        assert_eq!(pairs["state"], "xyz 123");
        pairs["code"].clone()
    }

    fn code_form<'a>(code: &'a str, redirect_uri: &'a str) -> [(&'a str, &'a str); 5] {
        [
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
        ]
    }

    #[tokio::test]
    async fn authorization_code_login_issues_scoped_tokens_once() {
        let sandbox = sandbox().await;
        let base = sandbox.sepay_base_url();
        let code = code_for(&base, REDIRECT, "bank-account:read").await;

        let (status, body) = refresh(&base, &code_form(&code, REDIRECT)).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["token_type"], "Bearer");
        assert_eq!(body["expires_in"], 3600);
        assert_eq!(body["scope"], "bank-account:read");
        assert_eq!(sandbox.sepay().code_exchange_count(), 1);
        let access = body["access_token"].as_str().unwrap().to_string();
        let refresh_token = body["refresh_token"].as_str().unwrap().to_string();
        assert_eq!(sandbox.sepay().current_refresh_token(), refresh_token);

        // The token works where its scope allows, and only there.
        assert_eq!(
            get_json(&format!("{base}/api/v1/bank-accounts"), Some(&access)).await.0,
            200
        );
        let (status, body) = get_json(&format!("{base}/api/v1/transactions"), Some(&access)).await;
        assert_eq!(status, 403, "{body}");

        // Single use: a replay is invalid_grant and revokes what the code issued.
        let (status, body) = refresh(&base, &code_form(&code, REDIRECT)).await;
        assert_eq!((status, &body["error"]), (400, &json!("invalid_grant")));
        assert_eq!(
            get_json(&format!("{base}/api/v1/bank-accounts"), Some(&access)).await.0,
            401
        );
        let form = [
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token.as_str()),
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
        ];
        assert_eq!(refresh(&base, &form).await.0, 400);
        assert_eq!(sandbox.sepay().code_exchange_count(), 1);

        // The seeded refresh token is a separate grant and still works.
        let seeded = [
            ("grant_type", "refresh_token"),
            ("refresh_token", "sandbox-sepay-refresh-token"),
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
        ];
        assert_eq!(refresh(&base, &seeded).await.0, 200);
    }

    #[tokio::test]
    async fn code_refresh_token_rotates() {
        let sandbox = sandbox().await;
        let base = sandbox.sepay_base_url();
        let code = code_for(&base, REDIRECT, "bank-account:read transaction:read").await;
        let (_, body) = refresh(&base, &code_form(&code, REDIRECT)).await;
        let first = body["refresh_token"].as_str().unwrap().to_string();
        let form = [
            ("grant_type", "refresh_token"),
            ("refresh_token", first.as_str()),
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
        ];
        let (status, body) = refresh(&base, &form).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["scope"], "bank-account:read transaction:read");
        assert_ne!(body["refresh_token"].as_str().unwrap(), first);
        let access = body["access_token"].as_str().unwrap();
        assert_eq!(
            get_json(&format!("{base}/api/v1/transactions"), Some(access)).await.0,
            200
        );
        assert_eq!(refresh(&base, &form).await.0, 400, "the first refresh token is retired");
    }

    #[tokio::test]
    async fn code_exchange_checks_redirect_uri_client_and_expiry() {
        let config = crate::SandboxConfig {
            sepay_oauth_code_ttl: std::time::Duration::from_millis(200),
            ..crate::SandboxConfig::default()
        };
        let sandbox = crate::Sandbox::start_with(config, crate::SandboxCredentials::default())
            .await
            .unwrap();
        let base = sandbox.sepay_base_url();
        let other = "http://127.0.0.1:9999/cb?app=1";
        sandbox.sepay().register_redirect_uri(other);
        assert!(sandbox.sepay().redirect_uris().contains(&other.to_string()));

        // A redirect URI with a query keeps it and gains code and state.
        let code = code_for(&base, other, "transaction:read").await;
        let (status, body) = refresh(&base, &code_form(&code, REDIRECT)).await;
        assert_eq!(
            (status, body),
            (
                400,
                json!({"error": "invalid_grant", "error_description": "The redirect_uri does not match the authorization request"})
            )
        );
        // The mismatch used the code up.
        assert_eq!(refresh(&base, &code_form(&code, other)).await.0, 400);

        let code = code_for(&base, other, "transaction:read").await;
        let wrong_secret = [
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", other),
            ("client_id", CLIENT_ID),
            ("client_secret", "nope"),
        ];
        assert_eq!(refresh(&base, &wrong_secret).await.0, 401);
        let missing = [
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
        ];
        assert_eq!(
            refresh(&base, &missing).await.1["error"],
            "invalid_request",
            "redirect_uri is required"
        );
        // An unsuccessful client authentication does not use the code up.
        assert_eq!(refresh(&base, &code_form(&code, other)).await.0, 200);

        let code = code_for(&base, REDIRECT, "transaction:read").await;
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let (status, body) = refresh(&base, &code_form(&code, REDIRECT)).await;
        assert_eq!((status, &body["error"]), (400, &json!("invalid_grant")));
        assert_eq!(refresh(&base, &code_form("never-issued", REDIRECT)).await.0, 400);
    }

    #[tokio::test]
    async fn authorize_refuses_bad_requests_without_redirecting() {
        let sandbox = sandbox().await;
        let base = sandbox.sepay_base_url();
        let error = |status: u16, body: Option<Value>| (status, body.unwrap()["error"].as_str().unwrap().to_string());

        for missing in ["response_type", "client_id", "redirect_uri", "scope", "state"] {
            let query: Vec<_> = login_query(REDIRECT, "profile")
                .into_iter()
                .filter(|(k, _)| *k != missing)
                .collect();
            let (status, location, body) = authorize(&base, &query).await;
            assert_eq!(location, None, "{missing}");
            assert_eq!(error(status, body), (400, "invalid_request".to_string()), "{missing}");
        }
        let mut query = login_query(REDIRECT, "profile");
        query[0].1 = "token";
        let (status, _, body) = authorize(&base, &query).await;
        assert_eq!(error(status, body), (400, "unsupported_response_type".into()));
        let mut query = login_query(REDIRECT, "profile");
        query[1].1 = "someone-else";
        let (status, _, body) = authorize(&base, &query).await;
        assert_eq!(error(status, body), (400, "invalid_client".into()));
        let (status, _, body) = authorize(&base, &login_query("http://evil.example/cb", "profile")).await;
        assert_eq!(error(status, body), (400, "invalid_request".into()));
        let (status, _, body) = authorize(&base, &login_query(REDIRECT, "profile admin:all")).await;
        assert_eq!(
            (status, body.unwrap()),
            (
                400,
                json!({"error": "invalid_scope", "error_description": "Unknown scope: admin:all"})
            )
        );
        // Every documented scope is accepted.
        let all = KNOWN_SCOPES.join(" ");
        assert_eq!(authorize(&base, &login_query(REDIRECT, &all)).await.0, 302);
    }
}
