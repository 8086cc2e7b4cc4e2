//! The one place that talks HTTP to Finan: builds the URL, signs exactly what goes on the wire,
//! sends, reads the body with a size cap, unwraps the envelope and maps failures to [`Error`].
//!
//! The secret key is exposed only for the [`signing::signature`] call; the signature and the other
//! headers never go into an error, a log line or a `Debug` output.

use std::num::NonZeroU32;
use std::time::{Duration, Instant};

use backon::Retryable;
use chrono::Utc;
use gateway_core::{Error, ErrorContext, Result, TransportErrorKind};
use reqwest::header::{HeaderMap, HeaderValue, CONTENT_TYPE, RETRY_AFTER, USER_AGENT};
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde_json::error::Category;
use serde_json::value::RawValue;
use tracing::Instrument;
use url::Url;

use crate::retry::{self, is_retryable_read, RequestOptions, RetryPolicy};
use crate::signing;
use crate::wire::{Envelope, Meta};

/// Largest response body read; a bigger one is refused with [`Error::Decode`].
pub(crate) const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

const USER_AGENT_VALUE: &str = concat!("provider-finan/", env!("CARGO_PKG_VERSION"));

/// Signs and sends requests for one set of credentials.
pub(crate) struct Transport {
    http: reqwest::Client,
    base_url: Url,
    /// The base URL's path without its trailing slash (`/open`): stripped from the signed path.
    base_prefix: String,
    client_id: String,
    client_id_header: HeaderValue,
    secret_key: SecretString,
    timeout: Duration,
    retry: RetryPolicy,
    pacer: Pacer,
}

/// Client-side pacing: at most `requests` sends start in any window of `per` (Finan counts a
/// sliding window of one minute). A tenth of the quota (at least 1) may go at once; the rest is
/// spread evenly, so the burst plus the steady rate never exceed the quota in any window.
pub(crate) struct Pacer {
    limiter: governor::DefaultDirectRateLimiter,
}

impl Pacer {
    /// # Errors
    /// [`Error::Configuration`] when `requests` or `per` is zero.
    pub(crate) fn new(requests: u32, per: Duration) -> Result<Self> {
        if requests == 0 || per.is_zero() {
            return Err(Error::Configuration(
                "the request rate must allow at least one request per period".into(),
            ));
        }
        let burst = (requests / 10).max(1);
        // The rest of the window's quota, spread evenly: burst + (per / period) <= requests.
        let steady = (requests - burst).max(1);
        let period = per / steady;
        let quota = governor::Quota::with_period(period.max(Duration::from_nanos(1)))
            .expect("the period is more than zero")
            .allow_burst(NonZeroU32::new(burst).expect("burst is at least 1"));
        Ok(Self {
            limiter: governor::RateLimiter::direct(quota),
        })
    }

    /// Waits (never fails) until one more request may start.
    async fn ready(&self) {
        self.limiter.until_ready().await;
    }
}

/// A successful (2xx, code 102xxx) reply with its `data` still undecoded.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) request_id: Option<String>,
    pub(crate) data: Option<Box<RawValue>>,
    pub(crate) meta: Option<Meta>,
    what: &'static str,
}

impl Reply {
    /// `data` as `T` (`null` or absent `data` is decoded from `null`, so use `Option<_>` where
    /// Finan may send it).
    pub(crate) fn data<T: DeserializeOwned>(&self) -> Result<T> {
        let text = self.data.as_deref().map_or("null", RawValue::get);
        serde_json::from_str(text).map_err(|e| self.decode_error(e.to_string()))
    }

    /// A [`Error::Decode`] about this reply.
    pub(crate) fn decode_error(&self, message: String) -> Error {
        Error::Decode {
            what: format!("Finan {} response", self.what),
            message,
            status: Some(self.status),
            request_id: self.request_id.clone(),
        }
    }

    /// Adds this reply's status and request id to a [`Error::Decode`] raised while mapping it.
    pub(crate) fn annotate(&self, err: Error) -> Error {
        match err {
            Error::Decode { what, message, .. } => Error::Decode {
                what,
                message,
                status: Some(self.status),
                request_id: self.request_id.clone(),
            },
            other => other,
        }
    }
}

impl Transport {
    /// A transport for already validated settings (see `FinanClientBuilder::build`).
    ///
    /// # Errors
    /// [`Error::Configuration`] when `client_id` cannot be sent as a header or `base_url` cannot
    /// have paths appended.
    pub(crate) fn new(
        http: reqwest::Client,
        base_url: Url,
        client_id: String,
        secret_key: SecretString,
        timeout: Duration,
        retry: RetryPolicy,
        pacer: Pacer,
    ) -> Result<Self> {
        let client_id_header = HeaderValue::from_str(&client_id)
            .map_err(|_| Error::Configuration("client id contains characters not allowed in a header".into()))?;
        if base_url.cannot_be_a_base() {
            return Err(Error::Configuration("base URL cannot have a path appended".into()));
        }
        let base_prefix = base_url.path().trim_end_matches('/').to_string();
        Ok(Self {
            http,
            base_url,
            base_prefix,
            client_id,
            client_id_header,
            secret_key,
            timeout,
            retry,
            pacer,
        })
    }

    /// The client id sent in `x-client-id`.
    pub(crate) fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The base URL, e.g. `https://api.finan.one/open`.
    pub(crate) fn base_url(&self) -> &Url {
        &self.base_url
    }

    /// The per-request timeout.
    pub(crate) fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The default retry policy for reads.
    pub(crate) fn retry_policy(&self) -> &RetryPolicy {
        &self.retry
    }

    /// `GET base/segments...?query`, each segment percent-encoded as one path segment. Each attempt is paced, sent with the options' timeout
    /// (or the client's), and retried under the options' policy (or the client's) on the failures
    /// [`is_retryable_read`] accepts, waiting at least the `Retry-After`, within the budget.
    pub(crate) async fn get_with(
        &self,
        segments: &[&str],
        query: &[(&str, &str)],
        what: &'static str,
        options: &RequestOptions,
    ) -> Result<Reply> {
        let policy = options.get_retry_policy().copied().unwrap_or(self.retry);
        let timeout = options.get_timeout().unwrap_or(self.timeout);
        let started = Instant::now();
        let attempt = std::sync::atomic::AtomicU32::new(0);
        (|| async {
            let n = attempt.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            self.send(Method::GET, segments, query, Vec::new(), what, timeout, n)
                .await
        })
        .retry(retry::backoff(&policy))
        .when(is_retryable_read)
        .adjust(|err, proposed| policy.next_wait(proposed, err.retry_after(), started))
        .notify(|err, wait| {
            tracing::debug!(
                provider = "finan",
                operation = what,
                wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                error = %err,
                "retrying Finan read"
            );
        })
        .await
    }

    /// `POST base/segments...` with `body` serialized once as JSON; those bytes are signed and sent
    /// once (never retried here), with the options' timeout or the client's.
    pub(crate) async fn post<B: serde::Serialize>(
        &self,
        segments: &[&str],
        body: &B,
        what: &'static str,
        options: &RequestOptions,
    ) -> Result<Reply> {
        self.send_json(Method::POST, segments, body, what, options).await
    }

    /// `method` with `body` serialized once as JSON, signed and sent once.
    async fn send_json<B: serde::Serialize>(
        &self,
        method: Method,
        segments: &[&str],
        body: &B,
        what: &'static str,
        options: &RequestOptions,
    ) -> Result<Reply> {
        let bytes = serde_json::to_vec(body)
            .map_err(|e| Error::InvalidRequest(ErrorContext::new(format!("could not serialize the request: {e}"))))?;
        let timeout = options.get_timeout().unwrap_or(self.timeout);
        self.send(method, segments, &[], bytes, what, timeout, 1).await
    }

    /// `PUT base/segments...` with `body` serialized once as JSON, signed and sent once like
    /// [`Self::post`]: an update that failed ambiguously (timeout, 5xx) is not re-sent here, the
    /// caller reads the resource back instead.
    pub(crate) async fn put_with<B: serde::Serialize>(
        &self,
        segments: &[&str],
        body: &B,
        what: &'static str,
        options: &RequestOptions,
    ) -> Result<Reply> {
        self.send_json(Method::PUT, segments, body, what, options).await
    }

    /// `DELETE base/segments...` with no body (the empty payload is what is signed), sent once
    /// like [`Self::post`]: never retried here.
    pub(crate) async fn delete_with(
        &self,
        segments: &[&str],
        what: &'static str,
        options: &RequestOptions,
    ) -> Result<Reply> {
        self.send(
            Method::DELETE,
            segments,
            &[],
            Vec::new(),
            what,
            options.get_timeout().unwrap_or(self.timeout),
            1,
        )
        .await
    }

    /// One paced attempt, in a `finan.request` span (provider, operation, method, path without
    /// the query, attempt, `http.status`, request id, elapsed ms; never headers).
    #[allow(clippy::too_many_arguments)]
    async fn send(
        &self,
        method: Method,
        segments: &[&str],
        query: &[(&str, &str)],
        body: Vec<u8>,
        what: &'static str,
        timeout: Duration,
        attempt: u32,
    ) -> Result<Reply> {
        let url = build_url(&self.base_url, segments, query);
        // Logged without the query string: it can hold account numbers.
        let log_path = url.path().to_string();
        let span = tracing::info_span!(
            "finan.request",
            provider = "finan",
            operation = what,
            method = %method,
            path = %log_path,
            attempt,
            http.status = tracing::field::Empty,
            request_id = tracing::field::Empty,
            elapsed_ms = tracing::field::Empty,
        );
        let recorder = span.clone();
        async move {
            self.pacer.ready().await;
            let started = Instant::now();
            let result = self.send_once(method, url, log_path, body, what, timeout).await;
            let span = recorder;
            span.record(
                "elapsed_ms",
                u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            );
            let (status, request_id) = match &result {
                Ok(reply) => (Some(reply.status), reply.request_id.as_deref()),
                Err(e) => (e.status(), e.request_id()),
            };
            if let Some(status) = status {
                span.record("http.status", status);
            }
            if let Some(request_id) = request_id {
                span.record("request_id", request_id);
            }
            result
        }
        .instrument(span)
        .await
    }

    async fn send_once(
        &self,
        method: Method,
        url: Url,
        log_path: String,
        body: Vec<u8>,
        what: &'static str,
        timeout: Duration,
    ) -> Result<Reply> {
        let path_with_query = signed_path(&self.base_prefix, &url);
        let timestamp = Utc::now().timestamp();
        let signature = signing::signature(
            self.secret_key.expose_secret(),
            method.as_str(),
            &path_with_query,
            &body,
            timestamp,
        );
        let mut signature = HeaderValue::from_str(&signature).expect("a hex digest is a valid header value");
        signature.set_sensitive(true);

        let mut request = self
            .http
            .request(method.clone(), url)
            .timeout(timeout)
            .header(CONTENT_TYPE, "application/json")
            .header(USER_AGENT, USER_AGENT_VALUE)
            .header("x-client-id", self.client_id_header.clone())
            .header("x-timestamp", timestamp.to_string())
            .header("x-signature", signature);
        if !body.is_empty() {
            request = request.body(body);
        }

        let mut response = request
            .send()
            .await
            .map_err(|e| transport_error(&method, &log_path, e, TransportErrorKind::Other))?;
        let status = response.status();
        let content_type = content_type(response.headers());
        let retry_after = retry_after_header(response.headers());
        let body = read_capped(&mut response, MAX_BODY_BYTES)
            .await
            .map_err(|e| transport_error(&method, &log_path, e, TransportErrorKind::Body))?;

        let result = match body {
            Some(body) => interpret(status, content_type.as_deref(), retry_after, &body, what),
            None => Err(Error::Decode {
                what: format!("Finan {what} response"),
                message: format!("response body is too large (more than {MAX_BODY_BYTES} bytes)"),
                status: Some(status.as_u16()),
                request_id: None,
            }),
        };
        let request_id = match &result {
            Ok(reply) => reply.request_id.as_deref(),
            Err(e) => e.request_id(),
        };
        tracing::debug!(
            method = %method,
            path = %log_path,
            status = status.as_u16(),
            request_id = request_id.unwrap_or(""),
            "Finan API call"
        );
        result
    }
}

/// `base` with `segments` appended (each percent-encoded as one segment, `/` included) and the
/// query pairs (form-encoded) when there are any.
fn build_url(base: &Url, segments: &[&str], query: &[(&str, &str)]) -> Url {
    let mut url = base.clone();
    url.set_query(None);
    url.set_fragment(None);
    url.path_segments_mut()
        .expect("checked in Transport::new")
        .pop_if_empty()
        .extend(segments);
    if !query.is_empty() {
        url.query_pairs_mut().extend_pairs(query);
    }
    url
}

/// The path and query to sign, taken from the URL actually sent: its path with the base URL's
/// prefix (`/open`) stripped, then `?` and the query when there is one.
fn signed_path(base_prefix: &str, url: &Url) -> String {
    let path = url.path();
    let path = path
        .strip_prefix(base_prefix)
        .filter(|p| p.starts_with('/'))
        .unwrap_or(path);
    match url.query() {
        Some(q) if !q.is_empty() => format!("{path}?{q}"),
        _ => path.to_string(),
    }
}

/// The body, or `None` when it is longer than `cap` bytes.
async fn read_capped(response: &mut reqwest::Response, cap: usize) -> Result<Option<Vec<u8>>, reqwest::Error> {
    if response.content_length().is_some_and(|n| n > cap as u64) {
        return Ok(None);
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if body.len() + chunk.len() > cap {
            return Ok(None);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Some(body))
}

/// The media type without parameters (`text/html`), when the header is there and readable.
fn content_type(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(CONTENT_TYPE)?.to_str().ok()?;
    let essence = value.split(';').next().unwrap_or_default().trim();
    (!essence.is_empty()).then(|| essence.to_ascii_lowercase())
}

/// `Retry-After` as delay-seconds or an HTTP date ([`gateway_core::parse_retry_after`]).
fn retry_after_header(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?;
    gateway_core::parse_retry_after(value, std::time::SystemTime::now())
}

/// The `N` of "... Retry after N seconds." in Finan's 429 message.
fn retry_after_from_message(message: &str) -> Option<Duration> {
    const NEEDLE: &str = "retry after";
    // ASCII lower-casing keeps byte offsets, so `rest` lines up with `lower`.
    let lower = message.to_ascii_lowercase();
    let rest = lower[lower.find(NEEDLE)? + NEEDLE.len()..].trim_start();
    let digits = &rest[..rest.bytes().take_while(u8::is_ascii_digit).count()];
    digits.parse().ok().map(Duration::from_secs)
}

fn transport_error(method: &Method, path: &str, err: reqwest::Error, default: TransportErrorKind) -> Error {
    let kind = if err.is_timeout() {
        TransportErrorKind::Timeout
    } else if err.is_connect() {
        TransportErrorKind::Connect
    } else if err.is_body() || err.is_decode() {
        TransportErrorKind::Body
    } else {
        default
    };
    let err = err.without_url();
    Error::Transport {
        kind,
        message: format!("{method} {path}: {err}"),
        source: Some(Box::new(err)),
    }
}

/// Decodes one Finan reply the way the client does, without HTTP: the envelope, the HTTP status
/// and envelope `code` mapped to an [`Error`], then `data` as `T` (a type of [`crate::wire`] or
/// [`crate::payment_wire`]; `Option<_>` where Finan may send `null`). For tests and fuzzing of
/// what a server may send; `content_type` is the header's media type, if any.
///
/// ```
/// use provider_finan::{decode_reply, wire};
///
/// let body = br#"{"code":102000,"message":{"content":"ok"},"data":[]}"#;
/// let accounts: Option<Vec<wire::Account>> = decode_reply(200, Some("application/json"), body)?;
/// assert_eq!(accounts.map(|a| a.len()), Some(0));
/// let refused = decode_reply::<Option<Vec<wire::Account>>>(401, None, br#"{"code":401000}"#);
/// assert!(matches!(refused, Err(gateway_core::Error::Unauthorized(_))));
/// # Ok::<(), gateway_core::Error>(())
/// ```
///
/// # Errors
/// As the client's calls: [`Error::InvalidRequest`], [`Error::Unauthorized`], [`Error::Forbidden`],
/// [`Error::NotFound`], [`Error::Conflict`], [`Error::RateLimited`] or [`Error::Provider`] by status
/// and envelope code; [`Error::Decode`] for a body not in the documented shape (or a status that is
/// not a valid HTTP status).
pub fn decode_reply<T: DeserializeOwned>(status: u16, content_type: Option<&str>, body: &[u8]) -> Result<T> {
    let status = StatusCode::from_u16(status).map_err(|_| Error::Decode {
        what: "Finan response".into(),
        message: format!("{status} is not an HTTP status"),
        status: None,
        request_id: None,
    })?;
    interpret(status, content_type, None, body, "API")?.data()
}

/// Turns one HTTP reply into a [`Reply`] or an [`Error`] (pure: unit-tested below).
fn interpret(
    status: StatusCode,
    content_type: Option<&str>,
    retry_after: Option<Duration>,
    body: &[u8],
    what: &'static str,
) -> Result<Reply> {
    let code = status.as_u16();
    let envelope = match serde_json::from_slice::<Envelope>(body) {
        Ok(envelope) => envelope,
        Err(e) => {
            let described = if body.iter().all(u8::is_ascii_whitespace) {
                format!("HTTP {code} with an empty body")
            } else if matches!(e.classify(), Category::Syntax | Category::Eof) {
                format!(
                    "HTTP {code} with a non-JSON body ({})",
                    content_type.unwrap_or("no content type")
                )
            } else {
                format!("HTTP {code} with JSON that is not a Finan envelope")
            };
            return Err(if status.is_success() {
                Error::Decode {
                    what: format!("Finan {what} response"),
                    message: format!("{described}: {e}"),
                    status: Some(code),
                    request_id: None,
                }
            } else {
                status_error(code, ErrorContext::new(described).with_status(code), retry_after)
            });
        }
    };

    if status.is_success() && (102_000..=102_999).contains(&envelope.code) {
        return Ok(Reply {
            status: code,
            request_id: envelope.request_id,
            data: envelope.data,
            meta: envelope.meta,
            what,
        });
    }
    let message = envelope
        .message
        .as_ref()
        .and_then(|m| {
            m.error
                .as_deref()
                .filter(|s| !s.trim().is_empty())
                .or(m.content.as_deref())
        })
        .filter(|s| !s.trim().is_empty())
        .map(str::to_string)
        .unwrap_or_else(|| status.canonical_reason().unwrap_or("no message").to_string());
    let context = ErrorContext::new(message)
        .with_status(code)
        .with_code(envelope.code.to_string())
        .with_request_id(envelope.request_id);
    if status.is_success() {
        // A 2xx carrying an error code (e.g. 104000) is still a failure.
        return Err(Error::Provider(context));
    }
    let retry_after = retry_after.or_else(|| retry_after_from_message(&context.message));
    Err(status_error(code, context, retry_after))
}

fn status_error(status: u16, context: ErrorContext, retry_after: Option<Duration>) -> Error {
    match status {
        400 | 422 => Error::InvalidRequest(context),
        401 => Error::Unauthorized(context),
        403 => Error::Forbidden(context),
        404 => Error::NotFound(context),
        409 => Error::Conflict(context),
        429 => Error::RateLimited { retry_after, context },
        _ => Error::Provider(context),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Url {
        Url::parse("https://api.finan.one/open").unwrap()
    }

    #[test]
    fn signed_path_strips_the_base_prefix_and_keeps_the_query() {
        let url = build_url(
            &base(),
            &["api", "v1", "master-bank-accounts"],
            &[
                ("id", "9c028f93-89f9-4cf5-a2fb-fb8fa8580fe5"),
                ("account_number", "0933450210"),
            ],
        );
        assert_eq!(
            url.as_str(),
            "https://api.finan.one/open/api/v1/master-bank-accounts?id=9c028f93-89f9-4cf5-a2fb-fb8fa8580fe5&account_number=0933450210"
        );
        assert_eq!(
            signed_path("/open", &url),
            "/api/v1/master-bank-accounts?id=9c028f93-89f9-4cf5-a2fb-fb8fa8580fe5&account_number=0933450210"
        );
        let no_query = build_url(&base(), &["api", "v1", "bank-accounts"], &[]);
        assert_eq!(signed_path("/open", &no_query), "/api/v1/bank-accounts");
    }

    #[test]
    fn trailing_slash_and_root_bases() {
        let slash = Url::parse("http://127.0.0.1:1/open/").unwrap();
        let url = build_url(&slash, &["api", "v1", "bank-accounts"], &[]);
        assert_eq!(url.path(), "/open/api/v1/bank-accounts");
        assert_eq!(signed_path("/open", &url), "/api/v1/bank-accounts");
        let root = Url::parse("http://127.0.0.1:1").unwrap();
        let url = build_url(&root, &["api", "v1", "bank-accounts"], &[]);
        assert_eq!(signed_path("", &url), "/api/v1/bank-accounts");
    }

    #[test]
    fn ids_are_one_encoded_segment() {
        let url = build_url(&base(), &["api", "v1", "bank-accounts", "a/b c?d"], &[]);
        assert_eq!(url.path(), "/open/api/v1/bank-accounts/a%2Fb%20c%3Fd");
        assert_eq!(url.query(), None);
        assert_eq!(signed_path("/open", &url), "/api/v1/bank-accounts/a%2Fb%20c%3Fd");
    }

    #[test]
    fn retry_after_sources() {
        assert_eq!(
            retry_after_from_message("Rate limit exceeded. Retry after 30 seconds."),
            Some(Duration::from_secs(30))
        );
        assert_eq!(retry_after_from_message("Rate limit exceeded."), None);
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_static("7"));
        assert_eq!(retry_after_header(&headers), Some(Duration::from_secs(7)));
        headers.insert(RETRY_AFTER, HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"));
        assert_eq!(
            retry_after_header(&headers),
            Some(Duration::ZERO),
            "a past date means now"
        );
    }

    #[test]
    fn envelope_code_decides_success() {
        let ok = br#"{"message":{"content":"ok"},"code":102001,"request_id":"r","data":{"a":1}}"#;
        let reply = interpret(StatusCode::CREATED, None, None, ok, "test").unwrap();
        assert_eq!(reply.request_id.as_deref(), Some("r"));
        let err = br#"{"message":{"content":"x","error":"Invalid signature"},"code":104000,"request_id":"r"}"#;
        match interpret(StatusCode::OK, None, None, err, "test") {
            Err(Error::Provider(c)) => {
                assert_eq!(c.message, "Invalid signature");
                assert_eq!(c.code.as_deref(), Some("104000"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn non_json_bodies() {
        let html = b"<html><body>Bad gateway</body></html>";
        match interpret(StatusCode::BAD_GATEWAY, Some("text/html"), None, html, "test") {
            Err(Error::Provider(c)) => assert_eq!(c.message, "HTTP 502 with a non-JSON body (text/html)"),
            other => panic!("{other:?}"),
        }
        match interpret(StatusCode::UNAUTHORIZED, None, None, b"", "test") {
            Err(Error::Unauthorized(c)) => assert_eq!(c.message, "HTTP 401 with an empty body"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            interpret(
                StatusCode::OK,
                Some("application/json"),
                None,
                b"{\"code\":1020",
                "test"
            ),
            Err(Error::Decode { status: Some(200), .. })
        ));
    }
}
