//! The payer simulation for bank transfers and the merchant's bank-transaction webhook URL, as
//! [`SepayState`] methods and unauthenticated control routes:
//!
//! | Route | What |
//! |---|---|
//! | `POST /__sandbox/sepay/transfers` | `{"account_number", "amount", "content"?, "transfer_type"? ("in" default, or "out"), "sub_account"?}`: a transfer; `201 {"data": <webhook body>}`, and the webhook follows. |
//! | `POST /__sandbox/sepay/webhook` | `{"url": "http://…"}` (or `null`): registers the merchant's webhook URL, as SePay's portal does. |
//! | `GET /__sandbox/sepay/webhook` | The registered URL. |
//! | `GET /__sandbox/sepay/webhook/deliveries` | Every webhook attempt so far. |
//!
//! Refusals use the other control routes' `{"error_code", "message"}`: `404 ACCOUNT_NOT_FOUND` for
//! an account number that is none of the sandbox's accounts, `400 INVALID_AMOUNT` for an amount
//! that is not a whole number of đồng above 0, `422 INSUFFICIENT_BALANCE` for money out beyond the
//! balance, `400 BAD_REQUEST` for anything else malformed.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::{Map, Value};

use super::bank_webhook::BankWebhookDelivery;
use super::gateway::{bad_request, data, error, url_body, url_reply};
use super::ledger::{BankTransaction, NewTransfer, TransferError, TransferType};
use super::{lock, orders, SepayState};

impl SepayState {
    /// Simulates a bank transfer on one of the sandbox's accounts, now (Vietnam time): books it
    /// (the next id, the account's bank as `gateway`, a new `referenceCode`, the payment `code`
    /// found in the content, `accumulated` = the account's previous balance plus money in minus
    /// money out), so both transaction APIs list it, and delivers the bank-transaction webhook in
    /// the background to the URL set with [`SepayState::set_webhook_url`].
    ///
    /// # Errors
    /// [`TransferError::UnknownAccount`] for an account number that is neither an API-token nor an
    /// OAuth account, [`TransferError::InvalidAmount`] for 0 or more than 10^15
    /// đồng, [`TransferError::InsufficientBalance`]
    /// for money out beyond the balance.
    pub fn transfer(&self, transfer: NewTransfer) -> Result<BankTransaction, TransferError> {
        let transaction = lock(&self.ledger).record(transfer, orders::now())?;
        self.bank_webhook.dispatch(&transaction);
        Ok(transaction)
    }

    /// Every bank transaction, seeded and simulated, oldest first (ascending id).
    pub fn bank_transactions(&self) -> Vec<BankTransaction> {
        lock(&self.ledger).all().to_vec()
    }

    /// One bank transaction by id.
    pub fn bank_transaction(&self, id: u64) -> Option<BankTransaction> {
        lock(&self.ledger).find(id).cloned()
    }

    /// Registers (or, with `None`, removes) the merchant's bank-transaction webhook URL, as SePay's
    /// portal does. Deliveries read it on every attempt.
    pub fn set_webhook_url(&self, url: Option<String>) {
        self.bank_webhook.set_url(url);
    }

    /// The registered bank-transaction webhook URL.
    pub fn webhook_url(&self) -> Option<String> {
        self.bank_webhook.url()
    }

    /// Every bank-transaction webhook attempt so far, in the order they finished.
    pub fn webhook_deliveries(&self) -> Vec<BankWebhookDelivery> {
        self.bank_webhook.deliveries()
    }

    /// Waits until at least `count` webhook attempts are recorded, or `timeout` passes, and returns
    /// them all (fewer on timeout). Deliveries run in the background, so tests wait here.
    pub async fn wait_for_webhook_deliveries(&self, count: usize, timeout: Duration) -> Vec<BankWebhookDelivery> {
        self.bank_webhook.wait_for(count, timeout).await
    }
}

pub(super) fn routes() -> Router<Arc<SepayState>> {
    Router::new()
        .route("/__sandbox/sepay/transfers", post(transfer))
        .route("/__sandbox/sepay/webhook", get(get_webhook).post(set_webhook))
        .route("/__sandbox/sepay/webhook/deliveries", get(deliveries))
}

fn refusal(e: TransferError) -> Response {
    let (status, code) = match e {
        TransferError::UnknownAccount => (StatusCode::NOT_FOUND, "ACCOUNT_NOT_FOUND"),
        TransferError::InvalidAmount => (StatusCode::BAD_REQUEST, "INVALID_AMOUNT"),
        TransferError::InsufficientBalance => (StatusCode::UNPROCESSABLE_ENTITY, "INSUFFICIENT_BALANCE"),
    };
    error(status, code, &e.to_string())
}

/// An optional string field: absent and `null` are `None`.
fn optional_string<'a>(body: &'a Map<String, Value>, name: &str) -> Result<Option<&'a str>, Response> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(bad_request(&format!("{name} must be a string"))),
    }
}

/// The control body, checked strictly: the amount must be a JSON integer above 0 (no `"100"`, no
/// `100.5`, no `1e5`), since đồng have no fractions.
fn new_transfer(body: &[u8]) -> Result<NewTransfer, Response> {
    let Ok(Value::Object(body)) = serde_json::from_slice::<Value>(body) else {
        return Err(bad_request("The body must be a JSON object"));
    };
    let account_number = optional_string(&body, "account_number")?
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .ok_or_else(|| bad_request("account_number is required"))?;
    let amount = body
        .get("amount")
        .and_then(Value::as_u64)
        .filter(|&a| a > 0)
        .ok_or_else(|| refusal(TransferError::InvalidAmount))?;
    let transfer_type = match optional_string(&body, "transfer_type")? {
        None | Some("in") => TransferType::In,
        Some("out") => TransferType::Out,
        Some(_) => return Err(bad_request("transfer_type must be \"in\" or \"out\"")),
    };
    Ok(NewTransfer {
        account_number: account_number.to_owned(),
        amount,
        content: optional_string(&body, "content")?.unwrap_or_default().to_owned(),
        transfer_type,
        sub_account: optional_string(&body, "sub_account")?.map(str::to_owned),
    })
}

/// `POST /__sandbox/sepay/transfers`.
async fn transfer(State(state): State<Arc<SepayState>>, body: Bytes) -> Response {
    let booked = new_transfer(&body).and_then(|t| state.transfer(t).map_err(refusal));
    match booked {
        Ok(transaction) => {
            let mut response = data(transaction).into_response();
            *response.status_mut() = StatusCode::CREATED;
            response
        }
        Err(r) => r,
    }
}

/// `POST /__sandbox/sepay/webhook` with `{"url": "http://…"}` (or `null` to remove it).
async fn set_webhook(State(state): State<Arc<SepayState>>, body: Bytes) -> Response {
    match url_body(&body) {
        Ok(url) => {
            state.set_webhook_url(url.clone());
            url_reply(url)
        }
        Err(r) => r,
    }
}

/// `GET /__sandbox/sepay/webhook`.
async fn get_webhook(State(state): State<Arc<SepayState>>) -> Response {
    url_reply(state.webhook_url())
}

/// `GET /__sandbox/sepay/webhook/deliveries`.
async fn deliveries(State(state): State<Arc<SepayState>>) -> Response {
    data(state.webhook_deliveries())
}
