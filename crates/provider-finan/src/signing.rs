//! Finan's request signature, as a pure function (no clock, no I/O) so it can be checked against
//! vectors worked out by hand.
//!
//! Finan's docs call it "SHA-256 HMAC", but the documented formula (and their Go sample) is a plain
//! SHA-256 over the secret key and the request joined with `_`:
//!
//! ```text
//! hex(sha256(secret_key + "_" + METHOD + "_" + path_with_query + "_" + body + "_" + timestamp))
//! ```
//!
//! `path_with_query` is the path below the base URL (`/api/v1/...`, without `/open`) with the query
//! string exactly as sent; `body` is "" for a GET, which gives `__` between path and timestamp.

use sha2::{Digest, Sha256};

/// The `x-signature` header value for one request: lowercase hex (64 characters) of
/// `sha256(secret_key + "_" + METHOD + "_" + path_with_query + "_" + body + "_" + timestamp)`.
///
/// - `method`: the HTTP method; upper-cased here (`"get"` signs as `"GET"`).
/// - `path_with_query`: the path below the base URL's `/open` prefix, plus `?` and the query
///   string when there is one, byte for byte as sent (e.g. `/api/v1/master-bank-accounts?id=9c02...`).
/// - `body`: the exact body bytes sent (UTF-8 JSON), empty for GET.
/// - `timestamp`: Unix seconds, the same value sent in `x-timestamp`.
///
/// ```
/// let sig = provider_finan::signing::signature("secret", "GET", "/api/v1/master-bank-accounts", b"", 1699999999);
/// assert_eq!(sig, "f4a145a2fd5974345d9895b22130e252b35cd089a6db0f72dc569ec7b879105c");
/// ```
pub fn signature(secret_key: &str, method: &str, path_with_query: &str, body: &[u8], timestamp: i64) -> String {
    to_hex(&digest(secret_key, method, path_with_query, body, timestamp))
}

/// The SHA-256 digest that [`signature`] hex-encodes; the webhook verifier compares these bytes
/// with the decoded header instead of encoding its own.
pub(crate) fn digest(secret_key: &str, method: &str, path_with_query: &str, body: &[u8], timestamp: i64) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(secret_key.as_bytes());
    hasher.update(b"_");
    // Methods arrive upper-case (`Method::as_str`, the webhook's "POST"): no copy then.
    if method.bytes().any(|b| b.is_ascii_lowercase()) {
        hasher.update(method.to_ascii_uppercase().as_bytes());
    } else {
        hasher.update(method.as_bytes());
    }
    hasher.update(b"_");
    hasher.update(path_with_query.as_bytes());
    hasher.update(b"_");
    hasher.update(body);
    hasher.update(b"_");
    hasher.update(timestamp.to_string().as_bytes());
    hasher.finalize().into()
}

/// Lowercase hex into a stack buffer (`hex::encode_to_slice`): `hex::encode`'s char iterator cost
/// more than the hash itself.
fn to_hex(bytes: &[u8; 32]) -> String {
    let mut text = [0u8; 64];
    hex::encode_to_slice(bytes, &mut text).expect("64 bytes hold 32 bytes in hex");
    String::from_utf8(text.to_vec()).expect("hex digits are ASCII")
}

#[cfg(test)]
mod tests {
    use super::signature;

    // Expected values computed outside Rust, e.g.
    // printf '%s' 'secret_GET_/api/v1/master-bank-accounts__1699999999' | sha256sum

    #[test]
    fn get_without_query_has_empty_body_between_underscores() {
        assert_eq!(
            signature("secret", "GET", "/api/v1/master-bank-accounts", b"", 1699999999),
            "f4a145a2fd5974345d9895b22130e252b35cd089a6db0f72dc569ec7b879105c"
        );
    }

    #[test]
    fn get_with_query_string_signs_the_query() {
        let path = "/api/v1/master-bank-accounts?id=9c028f93-89f9-4cf5-a2fb-fb8fa8580fe5&account_number=0933450210";
        assert_eq!(
            signature("secret", "GET", path, b"", 1699999999),
            "b6054683a9c88724fd0b141093946b1605936e0dfde77992421291f854b143e0"
        );
    }

    #[test]
    fn post_with_the_seed_body() {
        let body = br#"{"master_account_id":"550e8400-e29b-41d4-a716-446655440000","account_name":"KE TOAN"}"#;
        assert_eq!(
            signature("secret", "POST", "/api/v1/bank-accounts", body, 1699999999),
            "b1470027fac1c1f1ff7a206ee188046d689df85fb406ad0c40b3cad3f5cfa60b"
        );
    }

    #[test]
    fn post_with_vietnamese_utf8_body() {
        // "Kế toán" in NFC: U+1EBF and U+00E1, signed as their UTF-8 bytes.
        let body =
            "{\"master_account_id\":\"550e8400-e29b-41d4-a716-446655440000\",\"account_name\":\"K\u{1ebf} to\u{e1}n\"}";
        assert_eq!(
            signature("secret", "POST", "/api/v1/bank-accounts", body.as_bytes(), 1699999999),
            "95fb6aa4cd0804490150e46b5d6f1db91d6cd119bbd0c9e3c7901123c91399be"
        );
    }

    #[test]
    fn method_is_upper_cased() {
        assert_eq!(
            signature("secret", "get", "/api/v1/master-bank-accounts", b"", 1699999999),
            signature("secret", "GET", "/api/v1/master-bank-accounts", b"", 1699999999)
        );
    }
}
