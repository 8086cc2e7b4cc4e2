//! Route handlers for the account API. They run after [`super::gate`], so the request is already
//! authenticated; they parse queries and bodies themselves so every rejection is an envelope
//! rather than axum's plain-text default.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, SecondsFormat};
use serde_json::Value;

use super::envelope::{self, ApiError};
use super::query::Params;
use super::store::Filter;
use super::FinanState;

const MAX_ACCOUNT_NAME_CHARS: usize = 100;

/// `GET /api/v1/master-bank-accounts[?id=&account_number=]`: all matches, no `meta`.
pub(super) async fn list_masters(
    State(state): State<Arc<FinanState>>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let params = Params::parse(query.as_deref())?;
    let masters = state.store().find_masters(&account_filter(&params));
    Ok(envelope::ok(masters))
}

/// `GET /api/v1/bank-accounts[?page=&page_size=&id=&account_number=]`: one page with `meta`.
pub(super) async fn list_subs(
    State(state): State<Arc<FinanState>>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let params = Params::parse(query.as_deref())?;
    let (page, page_size) = params.paging()?;
    let (items, meta) = state.store().page_subs(&account_filter(&params), page, page_size);
    Ok(envelope::page(items, meta))
}

/// `GET /api/v1/bank-accounts/:id`: one sub account, shaped like a list item.
pub(super) async fn get_sub(
    State(state): State<Arc<FinanState>>,
    id: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let not_found = || ApiError::not_found("Bank account not found");
    // An id that does not even decode (bad percent-encoding) cannot name an account either.
    let Ok(Path(id)) = id else {
        return Err(not_found());
    };
    let account = state.store().find_sub(&id).ok_or_else(not_found)?;
    Ok(envelope::ok(account))
}

/// `POST /api/v1/bank-accounts` with `{"master_account_id", "account_name"}`: `201` and the seed's
/// create shape; the account then shows up in the listings.
pub(super) async fn create_sub(State(state): State<Arc<FinanState>>, body: Bytes) -> Result<Response, ApiError> {
    let body: Value = serde_json::from_slice(&body).map_err(|_| ApiError::bad_request("Invalid request body"))?;
    if !body.is_object() {
        return Err(ApiError::bad_request("Invalid request body"));
    }
    let master_account_id = required_string(&body, "master_account_id")?;
    let account_name = required_string(&body, "account_name")?;
    if account_name.trim().is_empty() {
        return Err(ApiError::unprocessable("account_name must not be empty"));
    }
    if account_name.chars().count() > MAX_ACCOUNT_NAME_CHARS {
        return Err(ApiError::unprocessable(format!(
            "account_name must be at most {MAX_ACCOUNT_NAME_CHARS} characters"
        )));
    }
    let created_at = DateTime::from_timestamp(state.now_unix(), 0)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Secs, true);
    let created = state
        .store()
        .create_sub(master_account_id, account_name, created_at)
        .ok_or_else(|| ApiError::not_found("Master account does not exist"))?;
    Ok(envelope::created(created))
}

/// Any other path under `/open` (and any path outside it).
pub(super) async fn not_found() -> ApiError {
    ApiError::not_found("Route not found")
}

/// A known path with a method it does not serve.
pub(super) async fn method_not_allowed() -> ApiError {
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "Method not allowed")
}

fn required_string<'a>(body: &'a Value, field: &str) -> Result<&'a str, ApiError> {
    match body.get(field) {
        None | Some(Value::Null) => Err(ApiError::bad_request(format!("{field} is required"))),
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(ApiError::bad_request(format!("{field} must be a string"))),
    }
}

fn account_filter(params: &Params) -> Filter {
    Filter {
        id: params.get("id").map(str::to_owned),
        account_number: params.get("account_number").map(str::to_owned),
    }
}
