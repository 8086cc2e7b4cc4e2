//! The middleware in front of every `/open` route: counting (its own layer, outside the fault
//! layer), then authentication, body limit and rate
//! limit, in that order, before the request reaches routing. It buffers the body because the
//! signature covers its exact bytes, then hands the same bytes on to the handler.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::envelope::ApiError;
use super::rate_limit::SlidingWindow;
use super::signature::{self, AuthFailure, BASE_PATH};
use super::FinanState;

/// Largest request body accepted; nothing in the account API comes close.
const MAX_BODY_BYTES: usize = 1 << 20;

/// Counts every request to `/open`, the ones a fault answers included (this layer runs first).
pub(super) async fn count(State(state): State<Arc<FinanState>>, request: Request, next: Next) -> Response {
    if is_api_path(request.uri().path()) {
        state.requests.fetch_add(1, Ordering::Relaxed);
    }
    next.run(request).await
}

pub(super) async fn gate(State(state): State<Arc<FinanState>>, request: Request, next: Next) -> Response {
    if !is_api_path(request.uri().path()) {
        return next.run(request).await;
    }

    let (parts, body) = request.into_parts();
    let now = state.now_unix();
    let auth = match signature::check_headers(&parts.headers, &state.client_id, now, state.timestamp_tolerance_secs) {
        Ok(auth) => auth,
        Err(failure) => return reject_auth(&state, failure),
    };
    // Any failure to read the body within the limit (too long, or cut short) is answered 413.
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY_BYTES).await else {
        return ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "Request body too large").into_response();
    };
    let path = signature::signing_path(&parts.uri);
    let expected =
        signature::expected_signature(&state.secret_key, parts.method.as_str(), &path, &bytes, &auth.timestamp);
    if let Err(failure) = signature::check_signature(&auth.signature, &expected) {
        tracing::debug!(%path, "finan sandbox: signature mismatch");
        return reject_auth(&state, failure);
    }

    if let Some(limiter) = &state.limiter {
        if let Err(retry_after) = lock(limiter).try_acquire(Instant::now()) {
            state.rate_limited.fetch_add(1, Ordering::Relaxed);
            return rate_limited(retry_after);
        }
    }

    next.run(Request::from_parts(parts, Body::from(bytes))).await
}

/// `/open` and everything under it; other paths skip the gate and get the plain 404 envelope.
fn is_api_path(path: &str) -> bool {
    path.strip_prefix(BASE_PATH)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

fn reject_auth(state: &FinanState, failure: AuthFailure) -> Response {
    state.rejected_auth.fetch_add(1, Ordering::Relaxed);
    ApiError::new(StatusCode::UNAUTHORIZED, failure.reason()).into_response()
}

fn rate_limited(retry_after_secs: u64) -> Response {
    let reason = format!("Rate limit exceeded. Retry after {retry_after_secs} seconds.");
    let mut response = ApiError::new(StatusCode::TOO_MANY_REQUESTS, reason).into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
    response
}

fn lock(limiter: &Mutex<SlidingWindow>) -> MutexGuard<'_, SlidingWindow> {
    // The window holds only timestamps; a poisoned one is still usable.
    limiter.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::is_api_path;

    #[test]
    fn gate_covers_open_and_below_only() {
        assert!(is_api_path("/open"));
        assert!(is_api_path("/open/api/v1/bank-accounts"));
        assert!(!is_api_path("/opened"));
        assert!(!is_api_path("/api/v1/bank-accounts"));
    }
}
