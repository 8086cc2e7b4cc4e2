//! The one place that sends a request to SePay's resource APIs (`/userapi`, `/api/v1`).
//!
//! It adds the bearer credential, applies the timeout, reads the body up to a size cap and hands
//! back the raw [`Reply`]; the callers decide what a status means for their API (a 429 is retried by
//! the API-token way in, a 401 triggers a token refresh on the OAuth way in). Token refreshes go
//! through the `oauth2` crate instead (see `oauth.rs`).

use std::time::Duration;

use gateway_core::{Error, TransportErrorKind};
use reqwest::header::{HeaderMap, ACCEPT, CONTENT_TYPE};
use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use url::Url;

use crate::retry::{RequestOptions, RetryPolicy};

/// Largest response body read, in bytes (8 MiB). A bank-account listing is a few kilobytes; a larger
/// body is a broken proxy or a hostile server, and is refused as a decode error instead of being
/// buffered without bound.
pub const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

/// Longest piece of a serde error message kept in a decode error, in characters.
const MAX_DECODE_MESSAGE_CHARS: usize = 300;

/// A reply as received: status, headers and the whole (capped) body.
#[derive(Debug)]
pub(crate) struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    /// `x-request-id`, when the server (or a proxy in front of it) sent one.
    pub request_id: Option<String>,
}

impl Reply {
    /// A header as text, when present and readable.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The `Content-Type` header.
    pub(crate) fn content_type(&self) -> Option<&str> {
        self.header(CONTENT_TYPE.as_str())
    }

    /// True when the body is empty or only whitespace (SePay's legacy "bad token" reply).
    pub(crate) fn is_blank(&self) -> bool {
        self.body.iter().all(u8::is_ascii_whitespace)
    }

    /// True when the body may be JSON: a JSON content type, or, as some PHP servers label JSON
    /// `text/html`, a body that starts like a JSON value rather than like markup.
    pub(crate) fn looks_like_json(&self) -> bool {
        if self
            .content_type()
            .is_some_and(|ct| ct.to_ascii_lowercase().contains("json"))
        {
            return true;
        }
        matches!(
            self.body.iter().find(|b| !b.is_ascii_whitespace()),
            Some(b'{' | b'[' | b'"' | b'-' | b'0'..=b'9' | b't' | b'f' | b'n')
        )
    }

    /// Decodes the body as `T`; a body that is not `T` (malformed JSON, an HTML page, a missing field,
    /// a wrong type) is [`Error::Decode`] naming `what`, with the status and request id.
    pub(crate) fn json<T: DeserializeOwned>(&self, what: &str) -> Result<T, Error> {
        serde_json::from_slice(&self.body).map_err(|e| {
            let message = if self.looks_like_json() {
                clip(&e.to_string())
            } else {
                let ct = self.content_type().unwrap_or("no content type");
                format!("expected JSON, got a non-JSON body ({ct})")
            };
            self.decode_error(what, message)
        })
    }

    /// An [`Error::Decode`] about this reply.
    pub(crate) fn decode_error(&self, what: &str, message: impl Into<String>) -> Error {
        Error::Decode {
            what: what.to_string(),
            message: message.into(),
            status: Some(self.status.as_u16()),
            request_id: self.request_id.clone(),
        }
    }
}

fn clip(s: &str) -> String {
    match s.char_indices().nth(MAX_DECODE_MESSAGE_CHARS) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// Sends requests to one SePay base URL with one HTTP client.
#[derive(Debug, Clone)]
pub(crate) struct Transport {
    http: reqwest::Client,
    /// `https://my.sepay.vn`, no trailing slash.
    base: String,
    timeout: Duration,
    /// The client's retry policy for reads (a call's [`RequestOptions`] may override it).
    retry: RetryPolicy,
}

impl Transport {
    pub(crate) fn new(http: reqwest::Client, base: String, timeout: Duration, retry: RetryPolicy) -> Self {
        Self {
            http,
            base,
            timeout,
            retry,
        }
    }

    /// The retry policy of a call: its own, else the client's.
    pub(crate) fn retry_policy<'a>(&'a self, options: &'a RequestOptions) -> &'a RetryPolicy {
        options.get_retry_policy().unwrap_or(&self.retry)
    }

    /// The base URL, without a trailing slash.
    pub(crate) fn base_url(&self) -> &str {
        &self.base
    }

    /// `{base}{path}?{query}`; `path` starts with `/` and holds only fixed text and numeric ids.
    pub(crate) fn url(&self, path: &str, query: &[(&str, String)]) -> Result<Url, Error> {
        let mut url = Url::parse(&format!("{}{}", self.base, path))
            .map_err(|e| Error::Configuration(format!("cannot build a SePay URL from the base URL: {e}")))?;
        if !query.is_empty() {
            url.query_pairs_mut()
                .extend_pairs(query.iter().map(|(k, v)| (*k, v.as_str())));
        }
        Ok(url)
    }

    /// `GET url` with `Authorization: Bearer TOKEN`; any reply with a status is `Ok` (the caller maps
    /// it); a failure below HTTP is [`Error::Transport`]; a body over [`MAX_BODY_BYTES`] is
    /// [`Error::Decode`].
    ///
    /// One try, no retry (see `retry.rs`); the timeout is the call's, else the client's. Runs in a
    /// `sepay.request` span (see [`request_span`]).
    pub(crate) async fn get(
        &self,
        url: Url,
        bearer: &SecretString,
        operation: &str,
        options: &RequestOptions,
    ) -> Result<Reply, Error> {
        let timeout = options.get_timeout().unwrap_or(self.timeout);
        let span = request_span(operation, "GET", url.path());
        let request = self
            .http
            .get(url)
            .bearer_auth(bearer.expose_secret())
            .header(ACCEPT, "application/json")
            .timeout(timeout);
        send_in_span(request, span).await
    }
}

/// The span of one HTTP request: `provider = "sepay"`, `operation`, `http.method`, `path`, then
/// `http.status`, `request_id` and `elapsed_ms` once the reply is in. Headers are never recorded,
/// so neither is the `Authorization` credential.
pub(crate) fn request_span(operation: &str, method: &str, path: &str) -> tracing::Span {
    tracing::info_span!(
        target: "provider_sepay",
        "sepay.request",
        provider = "sepay",
        operation,
        http.method = method,
        path,
        http.status = tracing::field::Empty,
        request_id = tracing::field::Empty,
        elapsed_ms = tracing::field::Empty,
    )
}

/// Sends `request` inside `span` and reads the reply (body capped), recording the status, request
/// id and elapsed time on the span.
pub(crate) async fn send_in_span(request: reqwest::RequestBuilder, span: tracing::Span) -> Result<Reply, Error> {
    use tracing::Instrument as _;
    let started = std::time::Instant::now();
    let record_span = span.clone();
    let result = async move {
        tracing::debug!(target: "provider_sepay", "sending");
        let response = request.send().await.map_err(transport_error)?;
        let status = response.status();
        let headers = response.headers().clone();
        let request_id = headers
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let body = read_capped(response, status, request_id.clone()).await?;
        tracing::debug!(target: "provider_sepay", status = status.as_u16(), bytes = body.len(), "reply");
        Ok(Reply {
            status,
            headers,
            body,
            request_id,
        })
    }
    .instrument(span)
    .await;
    record_span.record("elapsed_ms", started.elapsed().as_millis() as u64);
    match &result {
        Ok(reply) => {
            record_span.record("http.status", reply.status.as_u16());
            if let Some(id) = &reply.request_id {
                record_span.record("request_id", id.as_str());
            }
        }
        Err(e) => {
            let _enter = record_span.enter();
            tracing::debug!(target: "provider_sepay", error = %e, "request failed");
        }
    }
    result
}

/// Reads the whole body, refusing it past [`MAX_BODY_BYTES`] (checked on `Content-Length` first,
/// then while streaming, since the header may be absent or wrong).
async fn read_capped(
    mut response: reqwest::Response,
    status: StatusCode,
    request_id: Option<String>,
) -> Result<Vec<u8>, Error> {
    let too_large = || Error::Decode {
        what: "SePay response".to_string(),
        message: format!("the body is larger than the {MAX_BODY_BYTES}-byte limit"),
        status: Some(status.as_u16()),
        request_id: request_id.clone(),
    };
    if response.content_length().is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        return Err(too_large());
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(transport_error)? {
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// A reqwest failure as [`Error::Transport`] with its kind, naming the URL's path but not its
/// query (no credential is in either: the token travels in a header).
pub(crate) fn transport_error(e: reqwest::Error) -> Error {
    let kind = if e.is_timeout() {
        TransportErrorKind::Timeout
    } else if e.is_connect() {
        TransportErrorKind::Connect
    } else if e.is_body() || e.is_decode() {
        TransportErrorKind::Body
    } else {
        TransportErrorKind::Other
    };
    // The path only: a query can carry account numbers and filters that do not belong in logs.
    let path = e.url().map(|u| u.path().to_string());
    let e = e.without_url();
    let mut message = match std::error::Error::source(&e) {
        Some(source) => format!("{e}: {source}"),
        None => e.to_string(),
    };
    if let Some(path) = path {
        message = format!("{path}: {message}");
    }
    Error::Transport {
        kind,
        message,
        source: Some(Box::new(e)),
    }
}
