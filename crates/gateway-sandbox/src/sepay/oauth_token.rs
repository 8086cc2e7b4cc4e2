//! The token endpoint `POST /oauth/token` (RFC 6749 as SePay documents it): the `refresh_token`
//! grant with rotation. Client credentials come in the form body, or as HTTP Basic, which many
//! OAuth libraries send by default.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use axum::routing::post;
use axum::Router;
use serde::Serialize;

use super::state::RefreshError;
use super::{json, lock, Params, SepayState};

pub(super) fn routes() -> Router<Arc<SepayState>> {
    Router::new().route("/oauth/token", post(token))
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
    match form.get("grant_type") {
        None => return invalid_request("The grant_type parameter is required"),
        Some("refresh_token") => {}
        Some(_) => return token_error(StatusCode::BAD_REQUEST, "unsupported_grant_type", None),
    }

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

    let Some(refresh_token) = form.get("refresh_token") else {
        return invalid_request("The refresh_token parameter is required");
    };
    let refreshed = lock(&state.tokens).refresh(refresh_token, form.get("scope"), Instant::now());
    match refreshed {
        Ok(r) => {
            state.refreshes.fetch_add(1, Ordering::Relaxed);
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
        let code = [
            ("grant_type", "authorization_code"),
            ("code", "x"),
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
        ];
        assert_eq!(
            refresh(&base, &code).await,
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
}
