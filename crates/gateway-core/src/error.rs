//! The one error type returned by every provider call.

use std::fmt;
use std::time::Duration;

/// Shorthand for `std::result::Result<T, gateway_core::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A boxed error source kept for `std::error::Error::source`.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What a provider said about a failed call: HTTP status, the provider's own code, its message and
/// the request id to quote to its support. Never holds a credential.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ErrorContext {
    /// HTTP status of the response, when there was one.
    pub status: Option<u16>,
    /// The provider's own error code (e.g. Finan `104000`, SePay `resource_not_found`).
    pub code: Option<String>,
    /// The provider's message, or ours when the provider gave none.
    pub message: String,
    /// The provider's request id (Finan `request_id`), for support tickets.
    pub request_id: Option<String>,
}

impl ErrorContext {
    /// A context with just a message.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            ..Self::default()
        }
    }

    /// Sets the HTTP status.
    pub fn with_status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    /// Sets the provider's error code.
    pub fn with_code(mut self, code: impl Into<String>) -> Self {
        self.code = Some(code.into());
        self
    }

    /// Sets the provider's request id.
    pub fn with_request_id(mut self, request_id: Option<String>) -> Self {
        self.request_id = request_id;
        self
    }
}

impl fmt::Display for ErrorContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        let mut extra = Vec::new();
        if let Some(status) = self.status {
            extra.push(format!("HTTP {status}"));
        }
        if let Some(code) = &self.code {
            extra.push(format!("code {code}"));
        }
        if let Some(id) = &self.request_id {
            extra.push(format!("request id {id}"));
        }
        if !extra.is_empty() {
            write!(f, " ({})", extra.join(", "))?;
        }
        Ok(())
    }
}

/// What kind of transport failure happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// The connection could not be made (DNS, refused, TLS).
    Connect,
    /// The request or response took longer than the timeout.
    Timeout,
    /// The connection broke while the response body was read.
    Body,
    /// Anything else below HTTP.
    Other,
}

/// Every failure a provider call can end in.
///
/// Errors carry the provider's message and request id where there was one, and never a secret
/// (secret keys, tokens and client secrets are not part of any variant).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The credentials were refused (HTTP 401, a bad signature, an expired token, or SePay's empty
    /// HTTP 200 reply to a bad API token).
    #[error("unauthorized: {0}")]
    Unauthorized(ErrorContext),
    /// The credentials are valid but not allowed to do this (HTTP 403: missing OAuth scope,
    /// IP not whitelisted).
    #[error("forbidden: {0}")]
    Forbidden(ErrorContext),
    /// The resource does not exist (HTTP 404, or an empty filtered lookup).
    #[error("not found: {0}")]
    NotFound(ErrorContext),
    /// The request was refused as invalid (HTTP 400 or 422), or failed a check before it was sent.
    #[error("invalid request: {0}")]
    InvalidRequest(ErrorContext),
    /// The request conflicts with existing state (HTTP 409, e.g. a duplicate code).
    #[error("conflict: {0}")]
    Conflict(ErrorContext),
    /// The provider's rate limit was hit (HTTP 429).
    #[error("rate limited{}: {context}", retry_after.map(|d| format!(" (retry after {}s)", d.as_secs())).unwrap_or_default())]
    RateLimited {
        /// How long the provider asked to wait, from `Retry-After` or a provider header.
        retry_after: Option<Duration>,
        /// What the provider said.
        context: ErrorContext,
    },
    /// Any other error reply from the provider (HTTP 5xx, or an error code in a 2xx envelope).
    #[error("provider error: {0}")]
    Provider(ErrorContext),
    /// The request did not complete below HTTP (connect, timeout, broken body).
    #[error("transport error ({kind:?}): {message}")]
    Transport {
        /// What failed.
        kind: TransportErrorKind,
        /// A description without secrets.
        message: String,
        /// The underlying error.
        #[source]
        source: Option<BoxError>,
    },
    /// A response could not be decoded into the provider's documented shape (malformed JSON, an
    /// HTML error page, a missing field, a wrong type, an unknown enum value, an oversized body).
    #[error("could not decode {what}: {message}{}", status.map(|s| format!(" (HTTP {s})")).unwrap_or_default())]
    Decode {
        /// What was being decoded, e.g. "Finan bank account list".
        what: String,
        /// Why it failed, without secrets.
        message: String,
        /// HTTP status of the response.
        status: Option<u16>,
        /// The provider's request id, when it could be read.
        request_id: Option<String>,
    },
    /// The client was configured wrongly (bad base URL, missing credential); nothing was sent.
    #[error("configuration error: {0}")]
    Configuration(String),
    /// A store this library keeps records in on the app's behalf (e.g. a
    /// [`crate::PaymentRequestStore`]) failed; nothing was decided, so the call can be repeated.
    #[error("store error: {message}")]
    Store {
        /// What failed, without secrets.
        message: String,
        /// The underlying error.
        #[source]
        source: Option<BoxError>,
    },
}

impl Error {
    /// A decode error for `what`, with `message` saying why.
    pub fn decode(what: impl Into<String>, message: impl fmt::Display) -> Self {
        Error::Decode {
            what: what.into(),
            message: message.to_string(),
            status: None,
            request_id: None,
        }
    }

    /// True when trying the same call again later may succeed: rate limits, transport failures,
    /// store failures, and provider errors with HTTP 500, 502, 503 or 504.
    ///
    /// A call that changes state (creating a payment, a payout) must still not be re-sent blindly
    /// after a transport failure: the first attempt may have reached the provider.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::RateLimited { .. } | Error::Transport { .. } | Error::Store { .. } => true,
            Error::Provider(ctx) => matches!(ctx.status, Some(500 | 502 | 503 | 504)),
            _ => false,
        }
    }

    /// The provider's request id, when the provider gave one.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Unauthorized(c)
            | Error::Forbidden(c)
            | Error::NotFound(c)
            | Error::InvalidRequest(c)
            | Error::Conflict(c)
            | Error::Provider(c)
            | Error::RateLimited { context: c, .. } => c.request_id.as_deref(),
            Error::Decode { request_id, .. } => request_id.as_deref(),
            Error::Transport { .. } | Error::Configuration(_) | Error::Store { .. } => None,
        }
    }

    /// How long the provider asked to wait before the next call, for [`Error::RateLimited`].
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::RateLimited { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// The HTTP status of the reply, when there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Unauthorized(c)
            | Error::Forbidden(c)
            | Error::NotFound(c)
            | Error::InvalidRequest(c)
            | Error::Conflict(c)
            | Error::Provider(c)
            | Error::RateLimited { context: c, .. } => c.status,
            Error::Decode { status, .. } => *status,
            Error::Transport { .. } | Error::Configuration(_) | Error::Store { .. } => None,
        }
    }

    /// A short, stable name of the variant (`"unauthorized"`, `"not_found"`, ...), for logs and
    /// machine-readable reports.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Unauthorized(_) => "unauthorized",
            Error::Forbidden(_) => "forbidden",
            Error::NotFound(_) => "not_found",
            Error::InvalidRequest(_) => "invalid_request",
            Error::Conflict(_) => "conflict",
            Error::RateLimited { .. } => "rate_limited",
            Error::Provider(_) => "provider_error",
            Error::Transport { .. } => "transport",
            Error::Decode { .. } => "decode",
            Error::Configuration(_) => "configuration",
            Error::Store { .. } => "store",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retryable_and_request_id() {
        let ctx = ErrorContext::new("busy")
            .with_status(503)
            .with_request_id(Some("r1".into()));
        let err = Error::Provider(ctx);
        assert!(err.is_retryable());
        assert_eq!(err.request_id(), Some("r1"));
        assert!(!Error::Provider(ErrorContext::new("bad").with_status(500).with_status(400)).is_retryable());
        assert!(!Error::NotFound(ErrorContext::new("x")).is_retryable());
        let limited = Error::RateLimited {
            retry_after: Some(Duration::from_secs(2)),
            context: ErrorContext::new("slow"),
        };
        assert!(limited.is_retryable());
        assert_eq!(limited.retry_after(), Some(Duration::from_secs(2)));
        assert_eq!(limited.to_string(), "rate limited (retry after 2s): slow");
    }

    #[test]
    fn display_includes_status_code_and_request_id() {
        let ctx = ErrorContext::new("Invalid signature")
            .with_status(401)
            .with_code("104000")
            .with_request_id(Some("abc".into()));
        assert_eq!(
            Error::Unauthorized(ctx).to_string(),
            "unauthorized: Invalid signature (HTTP 401, code 104000, request id abc)"
        );
    }
}
