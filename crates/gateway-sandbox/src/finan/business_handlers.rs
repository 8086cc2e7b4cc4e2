//! Route handlers for customers, products and invoices (`/api/v1/customers`, `/products`,
//! `/invoices`: create, paged list, get, update, delete), the served invoice payment page, and the
//! in-process view of invoices on [`FinanState`]. The API handlers run after the gate, so the
//! request is authenticated and rate limited already.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap};
use axum::response::{Html, Response};
use serde::Serialize;

use super::business::InvoiceSummary;
use super::envelope::{self, ApiError};
use super::query::{paginate, Params};
use super::FinanState;

impl FinanState {
    /// One invoice by `invoice_id`: status, totals and what has been paid (VND).
    pub fn invoice(&self, invoice_id: &str) -> Option<InvoiceSummary> {
        self.store().business().invoice(invoice_id).map(InvoiceSummary::from)
    }

    /// Every invoice, oldest first.
    pub fn invoices(&self) -> Vec<InvoiceSummary> {
        self.store()
            .business()
            .invoices()
            .iter()
            .map(InvoiceSummary::from)
            .collect()
    }

    /// How many customers exist.
    pub fn customer_count(&self) -> usize {
        self.store().business().customers().len()
    }

    /// How many products exist.
    pub fn product_count(&self) -> usize {
        self.store().business().products().len()
    }
}

fn deleted(key: &'static str, id: &str) -> Response {
    let mut data = serde_json::Map::new();
    data.insert(key.to_owned(), serde_json::Value::String(id.to_owned()));
    envelope::ok(data)
}

fn path_id(id: Result<Path<String>, PathRejection>, not_found: &str) -> Result<String, ApiError> {
    id.map(|Path(id)| id).map_err(|_| ApiError::not_found(not_found))
}

/// One page of `items` (`?page=&page_size=`, default 1 and 50, at most 100) with `meta`.
fn page_of<T: Serialize + Clone>(query: Option<&str>, items: &[T]) -> Result<Response, ApiError> {
    let params = Params::parse(query)?;
    let (page, page_size) = params.paging()?;
    let (items, meta) = paginate(items.iter().collect::<Vec<_>>(), page, page_size);
    let items: Vec<T> = items.into_iter().cloned().collect();
    Ok(envelope::page(items, meta))
}

// ---- customers ------------------------------------------------------------------------------

/// `POST /api/v1/customers`: `201` with the customer.
pub(super) async fn create_customer(State(state): State<Arc<FinanState>>, body: Bytes) -> Result<Response, ApiError> {
    let now = state.now_unix();
    let customer = state.store().business_mut().put_customer(None, &body, now)?;
    Ok(envelope::created(customer))
}

/// `GET /api/v1/customers[?page=&page_size=]`.
pub(super) async fn list_customers(
    State(state): State<Arc<FinanState>>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    page_of(query.as_deref(), state.store().business().customers())
}

/// `GET /api/v1/customers/:id`.
pub(super) async fn get_customer(
    State(state): State<Arc<FinanState>>,
    id: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let id = path_id(id, "Customer not found")?;
    let store = state.store();
    let customer = store
        .business()
        .customer(&id)
        .ok_or_else(|| ApiError::not_found("Customer not found"))?;
    Ok(envelope::ok(customer))
}

/// `PUT /api/v1/customers/:id`: the whole customer replaced; `200` with it.
pub(super) async fn update_customer(
    State(state): State<Arc<FinanState>>,
    id: Result<Path<String>, PathRejection>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let id = path_id(id, "Customer not found")?;
    let now = state.now_unix();
    let customer = state.store().business_mut().put_customer(Some(&id), &body, now)?;
    Ok(envelope::ok(customer))
}

/// `DELETE /api/v1/customers/:id`: `200` with `{"customer_id": id}`.
pub(super) async fn delete_customer(
    State(state): State<Arc<FinanState>>,
    id: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let id = path_id(id, "Customer not found")?;
    let gone = state.store().business_mut().delete_customer(&id)?;
    Ok(deleted("customer_id", &gone.customer_id))
}

// ---- products -------------------------------------------------------------------------------

/// `POST /api/v1/products`: `201` with the product.
pub(super) async fn create_product(State(state): State<Arc<FinanState>>, body: Bytes) -> Result<Response, ApiError> {
    let now = state.now_unix();
    let product = state.store().business_mut().put_product(None, &body, now)?;
    Ok(envelope::created(product))
}

/// `GET /api/v1/products[?page=&page_size=]`.
pub(super) async fn list_products(
    State(state): State<Arc<FinanState>>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    page_of(query.as_deref(), state.store().business().products())
}

/// `GET /api/v1/products/:id`.
pub(super) async fn get_product(
    State(state): State<Arc<FinanState>>,
    id: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let id = path_id(id, "Product not found")?;
    let store = state.store();
    let product = store
        .business()
        .product(&id)
        .ok_or_else(|| ApiError::not_found("Product not found"))?;
    Ok(envelope::ok(product))
}

/// `PUT /api/v1/products/:id`.
pub(super) async fn update_product(
    State(state): State<Arc<FinanState>>,
    id: Result<Path<String>, PathRejection>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let id = path_id(id, "Product not found")?;
    let now = state.now_unix();
    let product = state.store().business_mut().put_product(Some(&id), &body, now)?;
    Ok(envelope::ok(product))
}

/// `DELETE /api/v1/products/:id`: `200` with `{"product_id": id}`.
pub(super) async fn delete_product(
    State(state): State<Arc<FinanState>>,
    id: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let id = path_id(id, "Product not found")?;
    let gone = state.store().business_mut().delete_product(&id)?;
    Ok(deleted("product_id", &gone.product_id))
}

// ---- invoices -------------------------------------------------------------------------------

/// `http://host:port` of this listener, from the `Host` header, for the invoice payment link.
fn origin(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| !h.is_empty())
        .unwrap_or("127.0.0.1");
    format!("http://{host}")
}

fn put_invoice(
    state: &FinanState,
    id: Option<&str>,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<super::business::Invoice, ApiError> {
    let now = state.now_unix();
    let mut store = state.store();
    let (business, masters, subs) = store.business_and_accounts();
    // `account_id` may name a master or a sub account, as for payment requests.
    let exists = |id: &str| {
        masters
            .iter()
            .chain(subs)
            .any(|a| a.account_id.eq_ignore_ascii_case(id))
    };
    business.put_invoice(id, body, exists, &origin(headers), now)
}

/// `POST /api/v1/invoices`: `201` with the invoice, its totals and `payment_link`.
pub(super) async fn create_invoice(
    State(state): State<Arc<FinanState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    Ok(envelope::created(put_invoice(&state, None, &headers, &body)?))
}

/// `GET /api/v1/invoices[?page=&page_size=]`.
pub(super) async fn list_invoices(
    State(state): State<Arc<FinanState>>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    page_of(query.as_deref(), state.store().business().invoices())
}

/// `GET /api/v1/invoices/:id`.
pub(super) async fn get_invoice(
    State(state): State<Arc<FinanState>>,
    id: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let id = path_id(id, "Invoice not found")?;
    let store = state.store();
    let invoice = store
        .business()
        .invoice(&id)
        .ok_or_else(|| ApiError::not_found("Invoice not found"))?;
    Ok(envelope::ok(invoice))
}

/// `PUT /api/v1/invoices/:id`: replaced and recomputed; `422` once it has payments.
pub(super) async fn update_invoice(
    State(state): State<Arc<FinanState>>,
    id: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let id = path_id(id, "Invoice not found")?;
    Ok(envelope::ok(put_invoice(&state, Some(&id), &headers, &body)?))
}

/// `DELETE /api/v1/invoices/:id`: `200` with `{"invoice_id": id}`; `422` once it has payments.
pub(super) async fn delete_invoice(
    State(state): State<Arc<FinanState>>,
    id: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let id = path_id(id, "Invoice not found")?;
    let gone = state.store().business_mut().delete_invoice(&id)?;
    Ok(deleted("invoice_id", &gone.invoice_id))
}

/// `GET /__sandbox/finan/invoices/{id}`: the invoice payment page a `payment_link` points to (a
/// plain summary; pay it with an invoice-linked payment request and the payer simulation).
pub(super) async fn invoice_page(
    State(state): State<Arc<FinanState>>,
    id: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let id = path_id(id, "Invoice not found")?;
    let invoice = state
        .invoice(&id)
        .ok_or_else(|| ApiError::not_found("Invoice not found"))?;
    let page = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Invoice {code}</title></head>\
         <body><h1>Invoice {code}</h1><p>Total: {total} VND</p><p>Paid: {paid} VND</p>\
         <p>Status: {status}</p></body></html>",
        code = escape(&invoice.code),
        total = invoice.total_amount,
        paid = invoice.paid_amount,
        status = invoice.status,
    );
    Ok(axum::response::IntoResponse::into_response(Html(page)))
}

/// The invoice code is the merchant's text: escaped before it goes into HTML.
fn escape(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '<' => "&lt;".to_owned(),
            '>' => "&gt;".to_owned(),
            '&' => "&amp;".to_owned(),
            '"' => "&quot;".to_owned(),
            other => other.to_string(),
        })
        .collect()
}
