//! Route handlers for payouts (`/api/v1/payouts`, after the gate: authenticated and rate limited)
//! and their controls under `/__sandbox/finan` (OTP, settlement, settings, balances).
//!
//! Every payout route first applies the access rules ([`super::payouts::PayoutSettings`]): `403`
//! "Payout API is available for Enterprise accounts only", then `403` "IP … is not whitelisted".
//! A create body is checked like the payment one: malformed JSON, a missing required field or a
//! wrong JSON type is `400`; a broken rule (amount, 30-character description, currency) is `422`;
//! then `404` for an `account_id` that is no master account, `409` for a used `reference_id`,
//! `422` "Insufficient balance". Confirming: `404`, `400` for a body without `otp`, `422` for a
//! payout not waiting for its OTP, `400` "Invalid OTP", `422` "Insufficient balance".

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{ConnectInfo, Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Extension;
use serde::Serialize;
use serde_json::{Map, Value};

use super::envelope::{self, ApiError};
use super::payouts::{NewPayout, PayoutError, PayoutSettings, MAX_DESCRIPTION_CHARS};
use super::query::{paginate, Params};
use super::FinanState;

/// The caller's address, when the listener records it (it does: `Sandbox` serves with connect
/// info; a router called in-process has none).
type Peer = Option<Extension<ConnectInfo<SocketAddr>>>;

/// `POST /api/v1/payouts`: `201` with the payout (status `created`); the OTP is "sent".
pub(super) async fn create(
    State(state): State<Arc<FinanState>>,
    peer: Peer,
    body: Bytes,
) -> Result<Response, ApiError> {
    check_access(&state, &peer)?;
    let new = parse_create(&body)?;
    let now = state.now_unix();
    let mut store = state.store();
    let (book, masters) = store.payouts_and_masters();
    let source = masters
        .iter()
        .find(|a| a.account_id.eq_ignore_ascii_case(&new.account_id))
        .cloned()
        .ok_or_else(|| ApiError::not_found("Account ID not found"))?;
    let payout = book.create(new, &source, now).map_err(refusal)?;
    Ok(envelope::created(payout))
}

/// `GET /api/v1/payouts[?page=&page_size=&reference_id=]`: one page with `meta`, oldest first.
pub(super) async fn list(
    State(state): State<Arc<FinanState>>,
    peer: Peer,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    check_access(&state, &peer)?;
    let params = Params::parse(query.as_deref())?;
    let (page, page_size) = params.paging()?;
    let reference = params.get("reference_id").map(str::to_owned);
    let now = state.now_unix();
    let matching: Vec<_> = state
        .store()
        .payouts_mut()
        .read(now)
        .into_iter()
        .filter(|p| reference.is_none() || p.reference_id == reference)
        .collect();
    let (items, meta) = paginate(matching, page, page_size);
    Ok(envelope::page(items, meta))
}

/// `GET /api/v1/payouts/:id`.
pub(super) async fn get(
    State(state): State<Arc<FinanState>>,
    peer: Peer,
    id: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    check_access(&state, &peer)?;
    let not_found = || ApiError::not_found("Payout not found");
    let Ok(Path(id)) = id else {
        return Err(not_found());
    };
    let now = state.now_unix();
    let payout = state
        .store()
        .payouts_mut()
        .read(now)
        .into_iter()
        .find(|p| p.id.eq_ignore_ascii_case(&id))
        .ok_or_else(not_found)?;
    Ok(envelope::ok(payout))
}

/// `POST /api/v1/payouts/:id/otps` with `{"otp": "123456"}`: `200` with the payout, `processing`.
pub(super) async fn confirm(
    State(state): State<Arc<FinanState>>,
    peer: Peer,
    id: Result<Path<String>, PathRejection>,
    body: Bytes,
) -> Result<Response, ApiError> {
    check_access(&state, &peer)?;
    let Ok(Path(id)) = id else {
        return Err(ApiError::not_found("Payout not found"));
    };
    let value: Value = serde_json::from_slice(&body).map_err(|_| ApiError::bad_request("Invalid request body"))?;
    let otp = match value.get("otp") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => return Err(ApiError::bad_request("Missing required field: otp")),
    };
    let now = state.now_unix();
    let mut store = state.store();
    let (book, masters) = store.payouts_and_masters();
    let payout = book.confirm(&id, &otp, masters, now).map_err(refusal)?;
    Ok(envelope::ok(payout))
}

/// `GET /__sandbox/finan/payouts/{id}/otp`: `{"otp": "123456"}`, the OTP the emulator "sent".
pub(super) async fn otp(
    State(state): State<Arc<FinanState>>,
    id: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    #[derive(Serialize)]
    struct Otp {
        otp: String,
    }
    let otp = id
        .ok()
        .and_then(|Path(id)| state.payout_otp(&id))
        .ok_or_else(|| ApiError::not_found("Payout not found"))?;
    Ok(envelope::ok(Otp { otp }))
}

/// `POST /__sandbox/finan/payouts/{id}/settle` with `{"status": "done"}` or `{"status": "failed"}`:
/// ends a `processing` payout (`409` when it is not processing).
pub(super) async fn settle(
    State(state): State<Arc<FinanState>>,
    id: Result<Path<String>, PathRejection>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let Ok(Path(id)) = id else {
        return Err(ApiError::not_found("Payout not found"));
    };
    let value: Value = serde_json::from_slice(&body).map_err(|_| ApiError::bad_request("Invalid request body"))?;
    let done = match value.get("status").and_then(Value::as_str) {
        Some("done") => true,
        Some("failed") => false,
        Some(_) => return Err(ApiError::unprocessable("status must be done or failed")),
        None => return Err(ApiError::bad_request("Missing required field: status")),
    };
    match state.settle_payout(&id, done) {
        Ok(payout) => Ok(envelope::ok(payout)),
        Err(PayoutError::WrongState(_)) => Err(ApiError::new(StatusCode::CONFLICT, "Payout is not processing")),
        Err(other) => Err(refusal(other)),
    }
}

/// `GET /__sandbox/finan/payouts/settings`: the access rules and settlement mode.
pub(super) async fn get_settings(State(state): State<Arc<FinanState>>) -> Response {
    envelope::ok(state.payout_settings())
}

/// `POST /__sandbox/finan/payouts/settings` with any of `{"enterprise": false, "ip_whitelist":
/// ["203.0.113.7"] | null, "auto_settle": false}`; fields left out keep their value.
pub(super) async fn set_settings(State(state): State<Arc<FinanState>>, body: Bytes) -> Result<Response, ApiError> {
    let invalid = || ApiError::bad_request("Invalid request body");
    let changes: Map<String, Value> = serde_json::from_slice(&body).map_err(|_| invalid())?;
    let mut current = serde_json::to_value(state.payout_settings()).map_err(|_| invalid())?;
    if let Value::Object(fields) = &mut current {
        fields.extend(changes);
    }
    let settings: PayoutSettings = serde_json::from_value(current).map_err(|_| invalid())?;
    state.set_payout_settings(settings.clone());
    Ok(envelope::ok(settings))
}

/// `POST /__sandbox/finan/accounts/{id}/balance` with `{"balance": 1000000}` (đồng): sets a master
/// account's balance.
pub(super) async fn set_balance(
    State(state): State<Arc<FinanState>>,
    id: Result<Path<String>, PathRejection>,
    body: Bytes,
) -> Result<Response, ApiError> {
    #[derive(Serialize)]
    struct Balance {
        account_id: String,
        balance: u64,
    }
    let Ok(Path(id)) = id else {
        return Err(ApiError::not_found("Account ID not found"));
    };
    let value: Value = serde_json::from_slice(&body).map_err(|_| ApiError::bad_request("Invalid request body"))?;
    let balance = value
        .get("balance")
        .and_then(Value::as_u64)
        .ok_or_else(|| ApiError::bad_request("balance must be a non-negative integer"))?;
    state
        .set_balance(&id, balance)
        .map_err(|_| ApiError::not_found("Account ID not found"))?;
    Ok(envelope::ok(Balance {
        account_id: id,
        balance,
    }))
}

fn check_access(state: &FinanState, peer: &Peer) -> Result<(), ApiError> {
    let settings = state.payout_settings();
    if !settings.enterprise {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "Payout API is available for Enterprise accounts only",
        ));
    }
    if let Some(allowed) = &settings.ip_whitelist {
        let caller: Option<IpAddr> = peer
            .as_ref()
            .map(|Extension(ConnectInfo(addr))| addr.ip().to_canonical());
        if !caller.is_some_and(|ip| allowed.iter().any(|a| a.to_canonical() == ip)) {
            let who = caller.map_or_else(|| "unknown".to_string(), |ip| ip.to_string());
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                format!("IP {who} is not whitelisted for the Payout API"),
            ));
        }
    }
    Ok(())
}

fn refusal(err: PayoutError) -> ApiError {
    match err {
        PayoutError::NotFound => ApiError::not_found("Payout not found"),
        PayoutError::WrongOtp => ApiError::bad_request("Invalid OTP"),
        PayoutError::WrongState(_) => ApiError::unprocessable("Payout is not waiting for an OTP"),
        PayoutError::InsufficientBalance { .. } => ApiError::unprocessable(err.to_string()),
        PayoutError::DuplicateReference => ApiError::new(StatusCode::CONFLICT, err.to_string()),
    }
}

/// The create body, as the Payout document's field table says.
fn parse_create(body: &[u8]) -> Result<NewPayout, ApiError> {
    let invalid = || ApiError::bad_request("Invalid request body");
    let value: Value = serde_json::from_slice(body).map_err(|_| invalid())?;
    let body = value.as_object().ok_or_else(invalid)?;
    let text = |name: &str, required: bool| -> Result<Option<String>, ApiError> {
        let value = match body.get(name) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()).filter(|s| !s.trim().is_empty()),
            Some(_) => return Err(ApiError::bad_request(format!("{name} must be a string"))),
        };
        if required && value.is_none() {
            return Err(ApiError::bad_request(format!("Missing required field: {name}")));
        }
        Ok(value)
    };
    let account_id = text("account_id", true)?.unwrap_or_default();
    let beneficiary_account_name = text("beneficiary_account_name", true)?.unwrap_or_default();
    let beneficiary_account_number = text("beneficiary_account_number", true)?.unwrap_or_default();
    let beneficiary_bank_id = text("beneficiary_bank_id", true)?.unwrap_or_default();
    let description = text("description", true)?.unwrap_or_default();
    let currency = text("currency", false)?;
    let reference_id = text("reference_id", false)?;
    let amount = match body.get("amount") {
        Some(Value::Number(n)) => n
            .as_u64()
            .filter(|a| *a > 0)
            .ok_or_else(|| ApiError::unprocessable("amount must be a positive integer (VND)"))?,
        None | Some(Value::Null) => return Err(ApiError::bad_request("Missing required field: amount")),
        Some(_) => return Err(ApiError::bad_request("amount must be a number")),
    };
    if currency.as_deref().is_some_and(|c| c != "VND") {
        return Err(ApiError::unprocessable("currency must be VND"));
    }
    if description.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(ApiError::unprocessable(format!(
            "description must be at most {MAX_DESCRIPTION_CHARS} characters"
        )));
    }
    Ok(NewPayout {
        account_id,
        amount,
        beneficiary_account_name,
        beneficiary_account_number,
        beneficiary_bank_id,
        reference_id,
        description,
    })
}
