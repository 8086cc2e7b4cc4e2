//! Route handlers for payment requests (`/api/v1/payments`). Like the account handlers they run
//! after the gate, so the request is authenticated and rate limited already.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::envelope::{self, ApiError};
use super::payment_body;
use super::payment_wire::{Created, ListItem};
use super::payments::{Duplicate, RefFilter};
use super::query::{paginate, Params};
use super::FinanState;

/// `POST /api/v1/payments`: `201` with the seed's create shape. Checks run 400 (shape), 422
/// (rules), 404 (`account_id`), 409 (`reference_id` already used).
pub(super) async fn create(State(state): State<Arc<FinanState>>, body: Bytes) -> Result<Response, ApiError> {
    let new = payment_body::parse(&body)?;
    let now = state.now_unix();
    let mut store = state.store();
    let receiver = match new.account_id.as_deref() {
        Some(id) => Some(
            store
                .find_account(id)
                .ok_or_else(|| ApiError::not_found("Account ID not found"))?,
        ),
        None => store.default_receiver(),
    }
    .cloned();
    let request = store
        .payments_mut()
        .create(new, receiver.as_ref(), now)
        .map_err(|Duplicate| ApiError::new(StatusCode::CONFLICT, "Duplicate reference_id"))?;
    Ok(envelope::created(Created::from(&request)))
}

/// `GET /api/v1/payments[?page=&page_size=&reference_type=&reference_id=]`: one page with `meta`,
/// oldest first.
pub(super) async fn list(
    State(state): State<Arc<FinanState>>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let params = Params::parse(query.as_deref())?;
    let (page, page_size) = params.paging()?;
    let filter = RefFilter {
        reference_type: params.get("reference_type").map(str::to_owned),
        reference_id: params.get("reference_id").map(str::to_owned),
    };
    let matching = state.store().payments().matching(&filter, state.now_unix());
    let (requests, meta) = paginate(matching, page, page_size);
    let items: Vec<ListItem> = requests.iter().map(ListItem::from).collect();
    Ok(envelope::page(items, meta))
}

/// `GET /api/v1/payments/:payment_request_id`: one request, shaped like a list item.
pub(super) async fn get(
    State(state): State<Arc<FinanState>>,
    id: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let not_found = || ApiError::not_found("Payment request not found");
    let Ok(Path(id)) = id else {
        return Err(not_found());
    };
    let request = state
        .store()
        .payments()
        .find(&id, state.now_unix())
        .ok_or_else(not_found)?;
    Ok(envelope::ok(ListItem::from(&request)))
}
