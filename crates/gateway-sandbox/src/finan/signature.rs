//! Finan request authentication, written from the "Generate Signature" formula in the seeds:
//!
//! ```text
//! x-signature = hex(sha256(secret_key + "_" + METHOD + "_" + path + "_" + payload + "_" + timestamp))
//! ```
//!
//! `path` is the request path after `/open` plus `?query` exactly as sent, `payload` the raw body
//! ("" for GET) and `timestamp` the `x-timestamp` header as sent. The docs call it an HMAC, but
//! the formula (and the Go sample) is a plain SHA-256 over the joined string.

use axum::http::{HeaderMap, Uri};
use sha2::{Digest, Sha256};

/// The API's base path; the signed path is what follows it.
pub(super) const BASE_PATH: &str = "/open";

/// Why a request was answered `401`; [`AuthFailure::reason`] is the `message.error` text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum AuthFailure {
    MissingHeaders,
    InvalidClientId,
    InvalidTimestamp,
    TimestampExpired,
    InvalidSignature,
}

impl AuthFailure {
    pub fn reason(self) -> &'static str {
        match self {
            Self::MissingHeaders => "Missing authentication headers",
            Self::InvalidClientId => "Invalid client id",
            Self::InvalidTimestamp => "Invalid timestamp",
            Self::TimestampExpired => "Timestamp expired",
            Self::InvalidSignature => "Invalid signature",
        }
    }
}

/// The auth headers that passed the checks not needing the body.
#[derive(Debug)]
pub(super) struct AuthHeaders {
    /// `x-timestamp` exactly as sent: it is signed as text, not as a re-formatted number.
    pub timestamp: String,
    pub signature: String,
}

/// Checks presence, client id and the timestamp window, before the body is read, so an
/// unauthenticated client cannot make the server buffer a body.
pub(super) fn check_headers(
    headers: &HeaderMap,
    client_id: &str,
    now_unix: i64,
    tolerance_secs: i64,
) -> Result<AuthHeaders, AuthFailure> {
    let get = |name: &str| headers.get(name).filter(|v| !v.is_empty());
    let (Some(id), Some(ts), Some(sig)) = (get("x-client-id"), get("x-timestamp"), get("x-signature")) else {
        return Err(AuthFailure::MissingHeaders);
    };
    if id.as_bytes() != client_id.as_bytes() {
        return Err(AuthFailure::InvalidClientId);
    }
    let timestamp = ts.to_str().map_err(|_| AuthFailure::InvalidTimestamp)?;
    let seconds = parse_unix_seconds(timestamp).ok_or(AuthFailure::InvalidTimestamp)?;
    if now_unix.abs_diff(seconds) > tolerance_secs.unsigned_abs() {
        return Err(AuthFailure::TimestampExpired);
    }
    let signature = sig.to_str().map_err(|_| AuthFailure::InvalidSignature)?;
    Ok(AuthHeaders {
        timestamp: timestamp.to_owned(),
        signature: signature.to_owned(),
    })
}

/// Unix seconds as plain decimal digits (no sign, no fraction, no spaces).
fn parse_unix_seconds(text: &str) -> Option<i64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// The path that is signed: the raw request path after `/open`, plus `?` and the raw query when
/// there is one. Nothing is decoded, re-encoded or reordered.
pub(super) fn signing_path(uri: &Uri) -> String {
    let path = uri.path();
    let path = path.strip_prefix(BASE_PATH).unwrap_or(path);
    match uri.query() {
        Some(query) => format!("{path}?{query}"),
        None => path.to_owned(),
    }
}

/// The expected `x-signature`, lowercase hex.
pub(super) fn expected_signature(secret_key: &str, method: &str, path: &str, body: &[u8], timestamp: &str) -> String {
    let mut hasher = Sha256::new();
    for part in [secret_key.as_bytes(), method.as_bytes(), path.as_bytes(), body] {
        hasher.update(part);
        hasher.update(b"_");
    }
    hasher.update(timestamp.as_bytes());
    hex::encode(hasher.finalize())
}

/// An exact match of the lowercase hex, as Finan's own verifier sample compares
/// (`expectedSignature == receivedSignature`): a client sending upper-case hex would fail there, so
/// it fails here too.
pub(super) fn check_signature(given: &str, expected: &str) -> Result<(), AuthFailure> {
    if given == expected {
        Ok(())
    } else {
        Err(AuthFailure::InvalidSignature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_the_documented_string() {
        // Expected values from `printf '%s' '<joined string>' | sha256sum`.
        let get = expected_signature("s", "GET", "/api/v1/bank-accounts", b"", "1699999999");
        assert_eq!(get, "6836f7e842a967b93e6227ccbb9cddc77d3cfa2a622fff14fd7e64715702a27b");
        let body = br#"{"master_account_id":"550e8400-e29b-41d4-a716-446655440000","account_name":"KE TOAN"}"#;
        let post = expected_signature(
            "sandbox-finan-secret-key",
            "POST",
            "/api/v1/bank-accounts",
            body,
            "1699999999",
        );
        assert_eq!(post, "b9a237d4837ea2554d513f53f70be9ab4bcda68ef4ab751ef7bd528223572622");
    }

    #[test]
    fn only_the_exact_lowercase_hex() {
        let sig = "6836f7e842a967b93e6227ccbb9cddc77d3cfa2a622fff14fd7e64715702a27b";
        assert!(check_signature(sig, sig).is_ok());
        assert!(check_signature(&sig.to_uppercase(), sig).is_err());
        assert!(check_signature(&sig[1..], sig).is_err());
        assert!(check_signature(&format!("{sig} "), sig).is_err());
    }

    #[test]
    fn signing_path_drops_base_and_keeps_raw_query() {
        let uri: Uri = "/open/api/v1/master-bank-accounts?id=a%20b&account_number=09"
            .parse()
            .unwrap();
        assert_eq!(
            signing_path(&uri),
            "/api/v1/master-bank-accounts?id=a%20b&account_number=09"
        );
        let uri: Uri = "/open/api/v1/bank-accounts".parse().unwrap();
        assert_eq!(signing_path(&uri), "/api/v1/bank-accounts");
    }

    #[test]
    fn timestamps_are_plain_digits() {
        assert_eq!(parse_unix_seconds("1699999999"), Some(1_699_999_999));
        for bad in [
            "",
            "+1699999999",
            "-5",
            "1699999999.5",
            " 1699999999",
            "abc",
            "99999999999999999999",
        ] {
            assert_eq!(parse_unix_seconds(bad), None, "{bad:?}");
        }
    }
}
