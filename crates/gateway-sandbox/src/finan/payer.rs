//! The payer simulation: what a customer (paying) and time (expiring) do to payment requests, plus
//! the merchant's webhook registration, which Finan does in its web portal. Available in-process as
//! `FinanState` methods and over HTTP under `/__sandbox/finan`, outside `/open`, so these routes
//! need no signature and do not count against the rate limit.
//!
//! Control answers use the Finan envelope too, so one error shape covers the whole listener.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Serialize;
use serde_json::Value;

use super::envelope::{self, ApiError};
use super::payment_wire::ListItem;
use super::payments::{PayError, PaymentMethod, PaymentReceipt, PaymentRecord, PaymentRequest};
use super::webhooks::Delivery;
use super::FinanState;

impl FinanState {
    /// Simulates the customer paying `amount` VND against a payment request, by its requested
    /// method: records a `PAY-…` payment, updates `paid_amount` and `status`, and delivers the
    /// webhook in the background (to the URL set with [`FinanState::set_webhook_url`]).
    ///
    /// # Errors
    /// [`PayError::NotFound`] for an unknown id, [`PayError::InvalidAmount`] for 0,
    /// [`PayError::Expired`] once the request's 30 minutes are over or it was expired.
    pub fn pay(&self, payment_request_id: &str, amount: u64) -> Result<PaymentReceipt, PayError> {
        self.apply_payment(payment_request_id, amount, None)
    }

    /// Like [`FinanState::pay`], paid by `method` (e.g. a bank transfer to a card request).
    ///
    /// # Errors
    /// As [`FinanState::pay`].
    pub fn pay_with(
        &self,
        payment_request_id: &str,
        amount: u64,
        method: PaymentMethod,
    ) -> Result<PaymentReceipt, PayError> {
        self.apply_payment(payment_request_id, amount, Some(method))
    }

    /// Ends a payment request's validity now: it keeps its status (Finan has no "expired" status)
    /// and refuses further payments. Expiring an expired request changes nothing.
    ///
    /// # Errors
    /// [`PayError::NotFound`] for an unknown id.
    pub fn expire(&self, payment_request_id: &str) -> Result<PaymentRequest, PayError> {
        let now = self.now_unix();
        self.store().payments_mut().expire(payment_request_id, now)
    }

    /// Every payment request, oldest first.
    pub fn payment_requests(&self) -> Vec<PaymentRequest> {
        self.store().payments().all(self.now_unix())
    }

    /// One payment request by `payment_request_id`.
    pub fn payment_request(&self, payment_request_id: &str) -> Option<PaymentRequest> {
        self.store().payments().find(payment_request_id, self.now_unix())
    }

    /// How many payment requests exist.
    pub fn payment_request_count(&self) -> usize {
        self.store().payments().len()
    }

    /// Registers (or, with `None`, removes) the merchant's webhook URL, as Finan's portal does.
    /// Deliveries read it on every attempt.
    pub fn set_webhook_url(&self, url: Option<String>) {
        self.webhooks.set_url(url);
    }

    /// The registered webhook URL.
    pub fn webhook_url(&self) -> Option<String> {
        self.webhooks.url()
    }

    /// Every webhook delivery attempt so far, in the order they finished.
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.webhooks.deliveries()
    }

    /// Waits until at least `count` delivery attempts are recorded, or `timeout` passes, and
    /// returns them all (fewer on timeout). Deliveries run in the background, so tests wait here
    /// instead of sleeping.
    pub async fn wait_for_deliveries(&self, count: usize, timeout: Duration) -> Vec<Delivery> {
        self.webhooks.wait_for(count, timeout).await
    }

    fn apply_payment(&self, id: &str, amount: u64, method: Option<PaymentMethod>) -> Result<PaymentReceipt, PayError> {
        let now = self.now_unix();
        let receipt = {
            let mut store = self.store();
            let receipt = store.payments_mut().pay(id, amount, method, now)?;
            // A payment request for an invoice pays the invoice too.
            if receipt.request.reference_type.as_deref() == Some("invoice") {
                store
                    .business_mut()
                    .record_payment(&receipt.request.reference_id, amount, now);
            }
            receipt
        };
        self.webhooks.dispatch(&receipt);
        Ok(receipt)
    }
}

/// `data` of a successful pay: the new payment and the request after it.
#[derive(Serialize)]
struct Paid {
    payment: PaymentRecord,
    payment_request: ListItem,
}

#[derive(Serialize)]
struct WebhookUrl {
    url: Option<String>,
}

/// `POST /__sandbox/finan/payments/{id}/pay` with `{"amount": 3000000}` and an optional `"method"`.
pub(super) async fn pay(
    State(state): State<Arc<FinanState>>,
    id: Result<Path<String>, PathRejection>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let id = path_id(id)?;
    let body = object(&body)?;
    let amount = match body.get("amount") {
        None | Some(Value::Null) => return Err(ApiError::bad_request("amount is required")),
        Some(Value::Number(n)) if n.as_i64().is_some() || n.as_u64().is_some() => n.as_u64(),
        Some(_) => return Err(ApiError::bad_request("amount must be an integer")),
    }
    .filter(|&a| a > 0)
    .ok_or_else(|| ApiError::unprocessable("amount must be greater than 0"))?;
    let method = match body.get("method") {
        None | Some(Value::Null) => None,
        Some(Value::String(m)) => Some(
            PaymentMethod::from_wire(m)
                .ok_or_else(|| ApiError::unprocessable("method must be one of bank_transfer, card, ewallet_momo"))?,
        ),
        Some(_) => return Err(ApiError::bad_request("method must be a string")),
    };
    let receipt = state.apply_payment(&id, amount, method).map_err(refusal)?;
    Ok(envelope::ok(Paid {
        payment: receipt.payment,
        payment_request: ListItem::from(&receipt.request),
    }))
}

/// `POST /__sandbox/finan/payments/{id}/expire`: the request, now refusing payments.
pub(super) async fn expire(
    State(state): State<Arc<FinanState>>,
    id: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let request = state.expire(&path_id(id)?).map_err(refusal)?;
    Ok(envelope::ok(ListItem::from(&request)))
}

/// `POST /__sandbox/finan/webhook` with `{"url": "http://…"}` (or `null` to remove it).
pub(super) async fn set_webhook(State(state): State<Arc<FinanState>>, body: Bytes) -> Result<Response, ApiError> {
    let body = object(&body)?;
    let url = match body.get("url") {
        None => return Err(ApiError::bad_request("url is required")),
        Some(Value::Null) => None,
        Some(Value::String(url)) => {
            let absolute = reqwest::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https"));
            if !absolute {
                return Err(ApiError::unprocessable("url must be an absolute http or https URL"));
            }
            Some(url.clone())
        }
        Some(_) => return Err(ApiError::bad_request("url must be a string")),
    };
    state.set_webhook_url(url.clone());
    Ok(envelope::ok(WebhookUrl { url }))
}

/// `GET /__sandbox/finan/webhook`: the registered URL.
pub(super) async fn get_webhook(State(state): State<Arc<FinanState>>) -> Response {
    envelope::ok(WebhookUrl {
        url: state.webhook_url(),
    })
}

/// `GET /__sandbox/finan/webhook/deliveries`: every attempt so far.
pub(super) async fn deliveries(State(state): State<Arc<FinanState>>) -> Response {
    envelope::ok(state.deliveries())
}

fn refusal(error: PayError) -> ApiError {
    let status = match error {
        PayError::NotFound => StatusCode::NOT_FOUND,
        PayError::Expired => StatusCode::CONFLICT,
        PayError::InvalidAmount => StatusCode::UNPROCESSABLE_ENTITY,
    };
    ApiError::new(status, error.to_string())
}

fn path_id(id: Result<Path<String>, PathRejection>) -> Result<String, ApiError> {
    id.map(|Path(id)| id).map_err(|_| refusal(PayError::NotFound))
}

fn object(body: &[u8]) -> Result<serde_json::Map<String, Value>, ApiError> {
    match serde_json::from_slice(body) {
        Ok(Value::Object(object)) => Ok(object),
        _ => Err(ApiError::bad_request("Invalid request body")),
    }
}
