//! SePay error replies → the core [`Error`].
//!
//! Error bodies differ between the two APIs and are read tolerantly (as `serde_json::Value`), only to
//! find a message and a code:
//! - `/userapi`: `{"status":401,"error":401,"messages":{"error":"..."}}`
//! - `/api/v1`: `{"status":"error","error":{"code":"resource_not_found","message":"..."}}`, and in
//!   practice also `{"error":"...","message":"..."}` or a plain string.
//!
//! A body that is not JSON (an HTML page from a proxy) gives a message naming the status and content
//! type, never the page itself.

use std::time::Duration;

use gateway_core::{Error, ErrorContext};
use serde_json::Value;

use crate::transport::Reply;

/// The scope every OAuth bank-account endpoint needs (seed 003).
pub(crate) const BANK_ACCOUNT_SCOPE: &str = "bank-account:read";

/// The scope the OAuth transaction endpoints need (`/api/v1/transactions`).
pub(crate) const TRANSACTION_SCOPE: &str = "transaction:read";

/// Header SePay's `/userapi` puts on a 429: seconds to wait.
pub(crate) const USERAPI_RETRY_AFTER: &str = "x-sepay-userapi-retry-after";

/// Longest provider message kept in an error, in characters.
const MAX_MESSAGE_CHARS: usize = 300;

/// Which SePay API answered, for the few mappings that differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Api {
    /// `/userapi/...` with an API token.
    UserApi,
    /// `/api/v1/...` with an OAuth access token.
    OAuth,
}

/// The error for a reply whose HTTP status (or, for `/userapi`, envelope `status`) is `status`.
pub(crate) fn error_for_status(api: Api, status: u16, reply: &Reply) -> Error {
    error_for_status_scoped(api, status, reply, BANK_ACCOUNT_SCOPE)
}

/// As [`error_for_status`], naming `scope` in an OAuth 403 (the scope the endpoint needs).
pub(crate) fn error_for_status_scoped(api: Api, status: u16, reply: &Reply, scope: &str) -> Error {
    let (code, message) = provider_message(&reply.body);
    let message = message.unwrap_or_else(|| default_message(status, reply));
    let message = match (api, status) {
        (Api::OAuth, 403) => {
            format!("the access token lacks permission: it needs the OAuth scope `{scope}` ({message})")
        }
        _ => message,
    };
    let mut ctx = ErrorContext::new(message)
        .with_status(status)
        .with_request_id(reply.request_id.clone());
    if let Some(code) = code {
        ctx = ctx.with_code(code);
    }
    match status {
        401 => Error::Unauthorized(ctx),
        403 => Error::Forbidden(ctx),
        404 => Error::NotFound(ctx),
        400 | 422 => Error::InvalidRequest(ctx),
        409 => Error::Conflict(ctx),
        429 => Error::RateLimited {
            retry_after: Some(retry_after(reply)),
            context: ctx,
        },
        _ => Error::Provider(ctx),
    }
}

fn default_message(status: u16, reply: &Reply) -> String {
    let reason = http_reason(status);
    if reply.body.iter().all(u8::is_ascii_whitespace) {
        format!("SePay answered HTTP {status} {reason} with an empty body")
    } else if !reply.looks_like_json() {
        let ct = reply.content_type().unwrap_or("no content type");
        format!("SePay answered HTTP {status} {reason} with a non-JSON body ({ct})")
    } else {
        format!("SePay answered HTTP {status} {reason}")
    }
}

fn http_reason(status: u16) -> &'static str {
    reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("")
}

/// How long a 429 asks to wait: `x-sepay-userapi-retry-after` (or the standard `Retry-After`) in
/// seconds or as an HTTP date, 1 s when absent or unreadable, at most 60 s (a broken header must not stall a caller).
pub(crate) fn retry_after(reply: &Reply) -> Duration {
    crate::retry::asked_wait(reply).unwrap_or(Duration::from_secs(1))
}

/// `(code, message)` from an error body, whichever of SePay's shapes it has.
pub(crate) fn provider_message(body: &[u8]) -> (Option<String>, Option<String>) {
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        return (None, None);
    };
    let text = |v: Option<&Value>| -> Option<String> {
        match v? {
            Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    };
    if let Value::String(s) = &v {
        return (None, Some(clip(s)));
    }
    let error = v.get("error");
    let mut code = None;
    let mut message = None;
    if let Some(obj @ Value::Object(_)) = error {
        code = text(obj.get("code"));
        message = text(obj.get("message"));
    }
    let messages = v.get("messages");
    message = message
        .or_else(|| text(messages.and_then(|m| m.get("error"))))
        .or_else(|| text(messages))
        .or_else(|| text(v.get("message")))
        .or_else(|| text(v.get("error_description")));
    // A top-level string `error` is the code when a message came from elsewhere, else the message.
    if let Some(Value::String(e)) = error {
        if message.is_some() {
            code = code.or_else(|| Some(e.clone()));
        } else {
            message = text(error);
        }
    }
    code = code.or_else(|| text(v.get("code")));
    (code.map(|c| clip(&c)), message.map(|m| clip(&m)))
}

fn clip(s: &str) -> String {
    let s = s.trim();
    match s.char_indices().nth(MAX_MESSAGE_CHARS) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(body: &str) -> (Option<String>, Option<String>) {
        provider_message(body.as_bytes())
    }

    fn reply_with(header: Option<(&'static str, &str)>) -> Reply {
        let mut headers = reqwest::header::HeaderMap::new();
        if let Some((k, v)) = header {
            headers.insert(k, v.parse().unwrap());
        }
        Reply {
            status: reqwest::StatusCode::TOO_MANY_REQUESTS,
            headers,
            body: Vec::new(),
            request_id: None,
        }
    }

    #[test]
    fn retry_after_reads_sepay_header_with_default_and_cap() {
        let secs = |h| retry_after(&reply_with(h));
        assert_eq!(secs(Some((USERAPI_RETRY_AFTER, "3"))), Duration::from_secs(3));
        assert_eq!(secs(Some((USERAPI_RETRY_AFTER, " 0.5 "))), Duration::from_millis(500));
        assert_eq!(secs(Some(("retry-after", "2"))), Duration::from_secs(2));
        assert_eq!(secs(None), Duration::from_secs(1), "absent: 1 s");
        assert_eq!(
            secs(Some((USERAPI_RETRY_AFTER, "soon"))),
            Duration::from_secs(1),
            "unreadable: 1 s"
        );
        assert_eq!(secs(Some((USERAPI_RETRY_AFTER, "-4"))), Duration::from_secs(1));
        assert_eq!(
            secs(Some((USERAPI_RETRY_AFTER, "86400"))),
            Duration::from_secs(60),
            "capped at 60 s"
        );
        assert_eq!(secs(Some((USERAPI_RETRY_AFTER, "inf"))), Duration::from_secs(1));
        // An HTTP date: in the past is now; 20 s ahead is about 20 s.
        assert_eq!(
            secs(Some(("retry-after", "Wed, 21 Oct 2015 07:28:00 GMT"))),
            Duration::ZERO
        );
        let ahead = (chrono::Utc::now() + chrono::Duration::seconds(20))
            .format("%a, %d %b %Y %H:%M:%S GMT")
            .to_string();
        let wait = retry_after(&reply_with(Some(("retry-after", ahead.as_str()))));
        assert!(
            wait > Duration::from_secs(18) && wait <= Duration::from_secs(20),
            "{wait:?}"
        );
    }

    #[test]
    fn status_mapping() {
        let r = reply_with(None);
        let kind = |api, status| error_for_status(api, status, &r).kind();
        assert_eq!(kind(Api::UserApi, 401), "unauthorized");
        assert_eq!(kind(Api::OAuth, 403), "forbidden");
        assert_eq!(kind(Api::OAuth, 404), "not_found");
        assert_eq!(kind(Api::UserApi, 400), "invalid_request");
        assert_eq!(kind(Api::UserApi, 422), "invalid_request");
        assert_eq!(kind(Api::UserApi, 409), "conflict");
        assert_eq!(kind(Api::UserApi, 429), "rate_limited");
        assert_eq!(kind(Api::UserApi, 503), "provider_error");
        assert_eq!(kind(Api::UserApi, 302), "provider_error");
        assert!(error_for_status(Api::UserApi, 401, &r)
            .to_string()
            .contains("empty body"));
    }

    #[test]
    fn reads_every_shape() {
        assert_eq!(
            msg(r#"{"status":401,"error":401,"messages":{"error":"Token invalid"}}"#)
                .1
                .as_deref(),
            Some("Token invalid")
        );
        assert_eq!(
            msg(r#"{"status":"error","error":{"code":"resource_not_found","message":"Bank account does not exist"}}"#),
            (
                Some("resource_not_found".into()),
                Some("Bank account does not exist".into())
            )
        );
        assert_eq!(
            msg(r#"{"error":"unauthorized","message":"Token expired"}"#),
            (Some("unauthorized".into()), Some("Token expired".into()))
        );
        assert_eq!(
            msg(r#"{"error":"Something broke"}"#),
            (None, Some("Something broke".into()))
        );
        assert_eq!(msg(r#""plain""#), (None, Some("plain".into())));
        assert_eq!(msg("<html>502</html>"), (None, None));
        assert_eq!(msg(""), (None, None));
        assert!(
            msg(&format!(r#"{{"message":"{}"}}"#, "x".repeat(1000)))
                .1
                .unwrap()
                .chars()
                .count()
                <= 301
        );
    }
}
