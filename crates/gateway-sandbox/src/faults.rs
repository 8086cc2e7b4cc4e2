//! Fault injection: make the next few requests to a route fail the way real networks and providers
//! fail, so a client's retries, timeouts and error mapping can be tested against the sandbox.
//!
//! Each provider listener has its own [`Faults`] ([`crate::finan::FinanState::faults`],
//! [`crate::sepay::SepayState::faults`], or [`crate::Sandbox::finan_faults`] /
//! [`crate::Sandbox::sepay_faults`]). A [`Fault`] is a route matcher ([`RouteMatcher`]: a method and
//! a path prefix, or `*`), a [`FaultKind`] and a count: the next `count` requests that match are
//! hit, then the fault is used up. When several pending faults match, the one injected first
//! applies. Every provider route passes through the fault layer before anything else (before
//! authentication, signature checks and rate limits), except the sandbox's own `/__sandbox/...`
//! controls, which are never faulted.
//!
//! | kind (`"type"` in JSON) | what the client sees | does the request reach the handler? |
//! |---|---|---|
//! | [`FaultKind::Status429`] `status_429` | `429` in the provider's error envelope, with `Retry-After` (Finan, SePay OAuth and gateway) or `x-sepay-userapi-retry-after` (SePay `/userapi`) when `retry_after` is set | no |
//! | [`FaultKind::Status`] `status` | that status (500, 502, 503, ...) in the provider's error envelope | no |
//! | [`FaultKind::Delay`] `delay` | the normal reply, `ms` milliseconds late (the request is carried out at once, even if the client gives up waiting) | yes |
//! | [`FaultKind::ResetMidBody`] `reset_mid_body` | the normal status and headers, half the body, then the connection drops | yes |
//! | [`FaultKind::TruncatedJson`] `truncated_json` | the normal status and headers with the first half of the body | yes |
//! | [`FaultKind::HtmlErrorPage`] `html_error_page` | an nginx-style `text/html` error page with that status | no |
//! | [`FaultKind::EmptyOk`] `empty_ok` | `200 OK` with an empty body (SePay's legacy auth error) | no |
//! | [`FaultKind::WrongContentType`] `wrong_content_type` | the normal reply labelled `Content-Type: text/plain` | yes |
//! | [`FaultKind::DuplicateDelivery`] `duplicate_delivery` | the provider's next webhook / IPN is delivered twice | (outgoing) |
//! | [`FaultKind::OutOfOrder`] `out_of_order` | the provider's next webhook / IPN is held and sent right after the one that follows it | (outgoing) |
//!
//! The last two act on the provider's outgoing notifications (Finan payment webhooks; SePay IPN and
//! bank-transaction webhooks), whatever the fault's route. A "reaches the handler" fault means the
//! request did its work (a payment was created) even though the client saw a failure.
//!
//! Control endpoint, unauthenticated, on each provider's listener:
//! - `POST /__sandbox/faults` `{"route": "GET /userapi/bankaccounts/list", "type": "status_429",
//!   "retry_after": 2, "count": 3}` (`route` defaults to `*`, `count` to 1; the other fields are the
//!   kind's): adds a fault, answers `201` with the state below; `400` on a malformed body.
//! - `GET /__sandbox/faults`: `{"pending": [<fault>...], "applied": {"status_429": 3, ...}}`.
//! - `DELETE /__sandbox/faults`: drops every pending fault (the `applied` counters stay) and sends
//!   a notification an `out_of_order` fault still holds back.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, MethodRouter};
use axum::Json;
use futures::StreamExt as _;
use serde::{Deserialize, Serialize};

/// Which requests a fault hits: one method (or any) and a path prefix (or every path).
///
/// Written as text: `"GET /userapi/bankaccounts/list"`, `"/open/api/v1/payments"` (any method) or
/// `"*"` (everything).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RouteMatcher {
    method: Option<String>,
    path_prefix: String,
}

impl RouteMatcher {
    /// Every request.
    pub fn any() -> Self {
        Self {
            method: None,
            path_prefix: String::new(),
        }
    }

    /// Requests with this method (case-insensitive) whose path starts with `path_prefix`.
    pub fn new(method: &str, path_prefix: &str) -> Self {
        Self {
            method: Some(method.to_ascii_uppercase()),
            path_prefix: path_prefix.to_string(),
        }
    }

    /// Requests with any method whose path starts with `path_prefix`.
    pub fn path(path_prefix: &str) -> Self {
        Self {
            method: None,
            path_prefix: path_prefix.to_string(),
        }
    }

    fn matches(&self, method: &str, path: &str) -> bool {
        self.method.as_deref().is_none_or(|m| m.eq_ignore_ascii_case(method)) && path.starts_with(&self.path_prefix)
    }
}

impl fmt::Display for RouteMatcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.method, self.path_prefix.as_str()) {
            (None, "") => f.write_str("*"),
            (None, path) => f.write_str(path),
            (Some(method), "") => write!(f, "{method} *"),
            (Some(method), path) => write!(f, "{method} {path}"),
        }
    }
}

impl FromStr for RouteMatcher {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let path_ok = |p: &str| p == "*" || p.starts_with('/');
        let route = match s.split_once(char::is_whitespace) {
            None if s == "*" || s.is_empty() => Self::any(),
            None if path_ok(s) => Self::path(s),
            Some((method, path)) if method.chars().all(|c| c.is_ascii_alphabetic()) && path_ok(path.trim()) => {
                let path = path.trim();
                Self::new(method, if path == "*" { "" } else { path })
            }
            _ => return Err(format!("route {s:?} is not \"*\", \"/path\" or \"METHOD /path\"")),
        };
        Ok(route)
    }
}

impl TryFrom<String> for RouteMatcher {
    type Error = String;

    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

impl From<RouteMatcher> for String {
    fn from(route: RouteMatcher) -> Self {
        route.to_string()
    }
}

/// How a hit request fails (see the module table). In JSON, `{"type": "<name>", ...fields}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FaultKind {
    /// `429 Too Many Requests` in the provider's error envelope.
    #[serde(rename = "status_429")]
    Status429 {
        /// Seconds to wait, sent in the provider's header (`Retry-After`, or
        /// `x-sepay-userapi-retry-after` on SePay's `/userapi`); `None` sends no header.
        #[serde(default)]
        retry_after: Option<u64>,
    },
    /// This status (typically 500, 502 or 503) in the provider's error envelope.
    Status {
        /// The HTTP status code, 400 to 599.
        code: u16,
    },
    /// The normal reply, this many milliseconds late (past a client's timeout, typically); the
    /// request itself is carried out at once.
    Delay {
        /// Milliseconds between the handler's reply and sending it.
        ms: u64,
    },
    /// The normal status and headers (with the full `Content-Length`), the first half of the body,
    /// then the connection is dropped.
    ResetMidBody,
    /// The normal status and headers with only the first half of the body (so JSON fails to parse).
    TruncatedJson,
    /// An nginx-style `text/html` error page with this status (what a proxy in front answers).
    HtmlErrorPage {
        /// The HTTP status code, 400 to 599 (typically 502 or 504).
        status: u16,
    },
    /// `200 OK` with an empty body: how legacy SePay answers an authentication error.
    EmptyOk,
    /// The normal reply with `Content-Type: text/plain; charset=utf-8`.
    WrongContentType,
    /// The provider's next outgoing notification (webhook or IPN) is delivered twice.
    DuplicateDelivery,
    /// The provider's next outgoing notification is held and sent right after the one that follows.
    OutOfOrder,
}

impl FaultKind {
    /// The kind's name: its JSON `type` and its key in [`Faults::applied_counts`].
    pub fn name(&self) -> &'static str {
        match self {
            FaultKind::Status429 { .. } => "status_429",
            FaultKind::Status { .. } => "status",
            FaultKind::Delay { .. } => "delay",
            FaultKind::ResetMidBody => "reset_mid_body",
            FaultKind::TruncatedJson => "truncated_json",
            FaultKind::HtmlErrorPage { .. } => "html_error_page",
            FaultKind::EmptyOk => "empty_ok",
            FaultKind::WrongContentType => "wrong_content_type",
            FaultKind::DuplicateDelivery => "duplicate_delivery",
            FaultKind::OutOfOrder => "out_of_order",
        }
    }

    /// Whether the kind acts on outgoing notifications rather than on requests.
    pub fn is_webhook_fault(&self) -> bool {
        matches!(self, FaultKind::DuplicateDelivery | FaultKind::OutOfOrder)
    }

    fn check(&self) -> Result<(), String> {
        match self {
            FaultKind::Status { code } | FaultKind::HtmlErrorPage { status: code } if !(400..=599).contains(code) => {
                Err(format!("status {code} is not between 400 and 599"))
            }
            _ => Ok(()),
        }
    }
}

fn one() -> u32 {
    1
}

/// One fault setting: which requests, how they fail, and how many of them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fault {
    /// The requests it hits (ignored by webhook faults). JSON default `"*"`.
    #[serde(default = "RouteMatcher::any")]
    pub route: RouteMatcher,
    /// How they fail. In JSON its fields sit beside `route` and `count`.
    #[serde(flatten)]
    pub kind: FaultKind,
    /// How many upcoming matching requests (or notifications) it hits. JSON default 1.
    #[serde(default = "one")]
    pub count: u32,
}

impl Fault {
    /// A fault hitting the next request that matches `route`.
    pub fn new(route: RouteMatcher, kind: FaultKind) -> Self {
        Self { route, kind, count: 1 }
    }

    /// A webhook fault ([`FaultKind::DuplicateDelivery`], [`FaultKind::OutOfOrder`]) for the next
    /// notification.
    pub fn webhook(kind: FaultKind) -> Self {
        Self::new(RouteMatcher::any(), kind)
    }

    /// Hits the next `count` matches instead of one.
    pub fn times(mut self, count: u32) -> Self {
        self.count = count;
        self
    }
}

/// Called when faults are cleared (the outboxes send any notification they hold back).
type OnClear = Box<dyn Fn() + Send + Sync>;

/// One provider's pending faults and the count of faults applied so far, per kind.
#[derive(Default)]
pub struct Faults {
    pending: Mutex<Vec<Fault>>,
    applied: Mutex<BTreeMap<&'static str, u64>>,
    on_clear: Mutex<Vec<OnClear>>,
}

impl fmt::Debug for Faults {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Faults")
            .field("pending", &self.pending())
            .field("applied", &self.applied_counts())
            .finish_non_exhaustive()
    }
}

impl Faults {
    /// Adds a fault after the pending ones. A fault with `count` 0 is ignored.
    pub fn inject(&self, fault: Fault) {
        if fault.count > 0 {
            lock(&self.pending).push(fault);
        }
    }

    /// Drops every pending fault; the applied counters stay. A notification held back by an
    /// [`FaultKind::OutOfOrder`] fault is sent now rather than lost.
    pub fn clear(&self) {
        lock(&self.pending).clear();
        for release in lock(&self.on_clear).iter() {
            release();
        }
    }

    /// Registers what to do when faults are cleared.
    pub(crate) fn on_clear(&self, action: OnClear) {
        lock(&self.on_clear).push(action);
    }

    /// The faults still pending, with their remaining counts, in the order they apply.
    pub fn pending(&self) -> Vec<Fault> {
        lock(&self.pending).clone()
    }

    /// How many requests or notifications a kind (by [`FaultKind::name`]) has hit so far.
    pub fn applied(&self, kind_name: &str) -> u64 {
        lock(&self.applied).get(kind_name).copied().unwrap_or(0)
    }

    /// Faults applied so far, per kind name; kinds never applied are absent.
    pub fn applied_counts(&self) -> BTreeMap<&'static str, u64> {
        lock(&self.applied).clone()
    }

    /// Takes one hit of the first pending fault that `wanted` accepts, and counts it.
    fn take(&self, wanted: impl Fn(&Fault) -> bool) -> Option<FaultKind> {
        let kind = {
            let mut pending = lock(&self.pending);
            let index = pending.iter().position(wanted)?;
            let fault = &mut pending[index];
            fault.count -= 1;
            let kind = fault.kind.clone();
            if fault.count == 0 {
                pending.remove(index);
            }
            kind
        };
        *lock(&self.applied).entry(kind.name()).or_default() += 1;
        Some(kind)
    }

    /// The request fault for this request, if one is pending.
    fn take_for_request(&self, method: &str, path: &str) -> Option<FaultKind> {
        self.take(|f| !f.kind.is_webhook_fault() && f.route.matches(method, path))
    }

    /// The webhook fault for the next outgoing notification, if one is pending.
    pub(crate) fn take_for_notification(&self) -> Option<FaultKind> {
        self.take(|f| f.kind.is_webhook_fault())
    }

    fn snapshot(&self) -> serde_json::Value {
        serde_json::json!({ "pending": self.pending(), "applied": self.applied_counts() })
    }
}

/// How a provider words the errors a fault produces.
#[derive(Clone, Copy)]
pub(crate) struct Style {
    /// The provider's error answer for a request to `path`: `(path, status, message)`.
    pub error: fn(&str, StatusCode, &str) -> Response,
    /// The header that carries a 429's wait in seconds on `path`.
    pub retry_after_header: fn(&str) -> &'static str,
}

/// The fault layer's state: the provider's faults and its error style.
#[derive(Clone)]
pub(crate) struct Layer {
    pub faults: Arc<Faults>,
    pub style: Style,
}

/// The middleware in front of every provider route: applies the next matching fault, if any.
pub(crate) async fn apply(State(layer): State<Layer>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_string();
    if path.starts_with("/__sandbox/") {
        return next.run(request).await;
    }
    let Some(kind) = layer.faults.take_for_request(request.method().as_str(), &path) else {
        return next.run(request).await;
    };
    tracing::debug!(fault = kind.name(), %path, "sandbox: injecting a fault");
    let style = layer.style;
    match kind {
        FaultKind::Status429 { retry_after } => {
            let mut response = (style.error)(&path, StatusCode::TOO_MANY_REQUESTS, "Too many requests");
            if let Some(secs) = retry_after {
                let name = HeaderName::from_static((style.retry_after_header)(&path));
                response.headers_mut().insert(name, HeaderValue::from(secs));
            }
            response
        }
        FaultKind::Status { code } => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            (style.error)(&path, status, status.canonical_reason().unwrap_or("Server error"))
        }
        FaultKind::Delay { ms } => {
            // The provider does the work at once and only the reply is late, so a client that
            // times out has still had its write carried out (the case a retry must not repeat).
            // Spawned, so the client hanging up cannot cancel the handler.
            let handled = tokio::spawn(next.run(request));
            let response = match handled.await {
                Ok(response) => response,
                Err(_) => (style.error)(&path, StatusCode::INTERNAL_SERVER_ERROR, "sandbox handler failed"),
            };
            tokio::time::sleep(Duration::from_millis(ms)).await;
            response
        }
        FaultKind::ResetMidBody => {
            let (mut parts, body) = buffered(next.run(request).await).await;
            parts.headers.insert(CONTENT_LENGTH, HeaderValue::from(body.len()));
            let first_half = body.slice(..body.len() / 2);
            let chunks =
                futures::stream::iter([Ok::<_, std::io::Error>(first_half)]).chain(futures::stream::once(async {
                    // Let the first half reach the client before the connection drops.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    Err(std::io::Error::new(
                        std::io::ErrorKind::ConnectionReset,
                        "sandbox fault: connection reset mid-body",
                    ))
                }));
            Response::from_parts(parts, Body::from_stream(chunks))
        }
        FaultKind::TruncatedJson => {
            let (mut parts, body) = buffered(next.run(request).await).await;
            parts.headers.remove(CONTENT_LENGTH);
            Response::from_parts(parts, Body::from(body.slice(..body.len() / 2)))
        }
        FaultKind::HtmlErrorPage { status } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
            let title = format!("{} {}", status.as_u16(), status.canonical_reason().unwrap_or("Error"));
            let page = format!(
                "<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
            );
            (status, [(CONTENT_TYPE, "text/html")], page).into_response()
        }
        FaultKind::EmptyOk => (StatusCode::OK, [(CONTENT_TYPE, "text/html; charset=UTF-8")], "").into_response(),
        FaultKind::WrongContentType => {
            let mut response = next.run(request).await;
            response
                .headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
            response
        }
        // Never taken for a request.
        FaultKind::DuplicateDelivery | FaultKind::OutOfOrder => next.run(request).await,
    }
}

/// The response's parts and its whole body (the sandbox's own bodies are small and in memory).
async fn buffered(response: Response) -> (axum::http::response::Parts, Bytes) {
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap_or_default();
    (parts, bytes)
}

/// `GET`, `POST` and `DELETE /__sandbox/faults` for one provider's faults.
pub(crate) fn control<S: Clone + Send + Sync + 'static>(faults: Arc<Faults>) -> MethodRouter<S> {
    get(show).post(add).delete(remove_all).with_state(faults)
}

async fn show(State(faults): State<Arc<Faults>>) -> Response {
    Json(faults.snapshot()).into_response()
}

async fn add(State(faults): State<Arc<Faults>>, body: Bytes) -> Response {
    let fault = serde_json::from_slice::<Fault>(&body)
        .map_err(|e| e.to_string())
        .and_then(|f| f.kind.check().map(|()| f));
    match fault {
        Ok(fault) => {
            faults.inject(fault);
            (StatusCode::CREATED, Json(faults.snapshot())).into_response()
        }
        Err(e) => (StatusCode::BAD_REQUEST, Json(serde_json::json!({ "error": e }))).into_response(),
    }
}

async fn remove_all(State(faults): State<Arc<Faults>>) -> Response {
    faults.clear();
    Json(faults.snapshot()).into_response()
}

/// The fault lists hold plain data; a poisoned lock is still usable.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_parse_print_and_match() {
        let route: RouteMatcher = "get /userapi/bankaccounts/list".parse().unwrap();
        assert_eq!(route.to_string(), "GET /userapi/bankaccounts/list");
        assert!(route.matches("GET", "/userapi/bankaccounts/list"));
        assert!(route.matches("get", "/userapi/bankaccounts/list?x"));
        assert!(!route.matches("POST", "/userapi/bankaccounts/list"));
        assert!(!route.matches("GET", "/userapi/transactions/list"));
        let any: RouteMatcher = "*".parse().unwrap();
        assert_eq!(any, RouteMatcher::any());
        assert!(any.matches("DELETE", "/anything"));
        assert_eq!("/open".parse::<RouteMatcher>().unwrap(), RouteMatcher::path("/open"));
        assert_eq!("POST *".parse::<RouteMatcher>().unwrap().to_string(), "POST *");
        assert!("GET userapi".parse::<RouteMatcher>().is_err());
        assert!("G3T /x".parse::<RouteMatcher>().is_err());
    }

    #[test]
    fn faults_serialize_flat_with_defaults() {
        let fault: Fault = serde_json::from_str(r#"{"type": "status_429", "retry_after": 2}"#).unwrap();
        assert_eq!(
            fault,
            Fault::new(RouteMatcher::any(), FaultKind::Status429 { retry_after: Some(2) })
        );
        let fault = Fault::new(RouteMatcher::new("GET", "/x"), FaultKind::Delay { ms: 5 }).times(3);
        assert_eq!(
            serde_json::to_value(&fault).unwrap(),
            serde_json::json!({"route": "GET /x", "type": "delay", "ms": 5, "count": 3})
        );
        assert!(serde_json::from_str::<Fault>(r#"{"type": "teapot"}"#).is_err());
        assert!(FaultKind::Status { code: 200 }.check().is_err());
    }

    #[test]
    fn faults_apply_in_order_and_count_down() {
        let faults = Faults::default();
        faults.inject(Fault::new(RouteMatcher::new("GET", "/a"), FaultKind::EmptyOk).times(2));
        faults.inject(Fault::new(RouteMatcher::any(), FaultKind::TruncatedJson));
        faults.inject(Fault::webhook(FaultKind::OutOfOrder).times(0));
        faults.inject(Fault::webhook(FaultKind::DuplicateDelivery));
        assert_eq!(faults.take_for_request("GET", "/b"), Some(FaultKind::TruncatedJson));
        assert_eq!(faults.take_for_request("GET", "/a/1"), Some(FaultKind::EmptyOk));
        assert_eq!(faults.take_for_request("GET", "/a/2"), Some(FaultKind::EmptyOk));
        assert_eq!(faults.take_for_request("GET", "/a/3"), None);
        assert_eq!(faults.take_for_notification(), Some(FaultKind::DuplicateDelivery));
        assert_eq!(faults.take_for_notification(), None);
        assert_eq!(faults.applied("empty_ok"), 2);
        assert_eq!(faults.applied_counts().len(), 3);
        faults.inject(Fault::new(RouteMatcher::any(), FaultKind::EmptyOk));
        faults.clear();
        assert!(faults.pending().is_empty());
        assert_eq!(faults.applied("empty_ok"), 2);
    }
}
