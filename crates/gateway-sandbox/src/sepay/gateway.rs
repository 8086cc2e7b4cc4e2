//! SePay's payment gateway: the checkout form endpoint, a stand-in for the hosted payment page, the
//! Order API, and the payer simulation.
//!
//! | Route | What |
//! |---|---|
//! | `POST /v1/checkout/init` | The checkout form (form-encoded). Verifies `signature`, creates an order and answers `303` to the hosted page; `400` JSON when refused. |
//! | `GET /__sandbox/sepay/pay/{order_id}` | The "hosted payment page": a tiny HTML page with Pay and Cancel buttons. |
//! | `POST /__sandbox/sepay/pay/{order_id}` | What its buttons post (`action=pay` or `cancel`, optional `payment_method`); `303` to the order's `success_url` / `cancel_url`. |
//! | `GET /v1/order` | Order list (Basic auth): `per_page` (1–100, default 20), `page`, `q`, `order_status`, `from_created_at`, `to_created_at` (YYYY-MM-DD), `customer_id`. |
//! | `GET /v1/order/detail/{id}` | One order by id, `order_id` or invoice number. |
//! | `POST /v1/order/cancel` | `{"order_invoice_number"}`: cancels an order awaiting payment (else `422`). |
//! | `POST /v1/order/voidTransaction` | `{"order_invoice_number"}`: voids a `CAPTURED` order (else `422`) and sends a `TRANSACTION_VOID` IPN. |
//! | `POST /__sandbox/sepay/orders/{invoice_number}/pay` | Payer simulation, unauthenticated; optional `{"payment_method": "CARD"}`. `CAPTURED` and an `ORDER_PAID` IPN. |
//! | `POST /__sandbox/sepay/ipn` | `{"url": "http://…"}` (or `null`): registers the merchant's IPN URL, as SePay's portal does. |
//! | `GET /__sandbox/sepay/ipn` | The registered URL. |
//! | `GET /__sandbox/sepay/ipn/deliveries` | Every IPN attempt so far. |
//!
//! The checkout signature is recomputed from the posted fields, in posting order: those in the
//! signed set (merchant, env, operation, payment_method, order_amount, currency,
//! order_invoice_number, order_description, customer_id, agreement_*, success_url, error_url,
//! cancel_url), empty ones skipped, `key=value` joined by `,`, base64 of HMAC-SHA256 with the
//! secret key. Order API errors are `{"error_code": "...", "message": "..."}`.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use chrono::NaiveDate;
use hmac::{Hmac, Mac};
use serde::Serialize;
use serde_json::Value;
use sha2::Sha256;

use super::ipn::{IpnDelivery, ORDER_PAID, TRANSACTION_VOID};
use super::orders::{NewOrder, Order, OrderError, OrderFilter, PAYMENT_METHODS, STATUS_AWAITING};
use super::{json, lock, Params, SepayState};

const DEFAULT_PER_PAGE: usize = 20;
const MAX_PER_PAGE: usize = 100;

impl SepayState {
    /// Simulates the customer paying the order with this invoice number in full, by the method
    /// chosen at checkout (`BANK_TRANSFER` when none was): the order becomes `CAPTURED` with a
    /// `PAYMENT` transaction, and an `ORDER_PAID` IPN is delivered in the background (to the URL
    /// set with [`SepayState::set_ipn_url`]).
    ///
    /// # Errors
    /// [`OrderError::NotFound`] for an unknown invoice number, [`OrderError::NotAwaitingPayment`]
    /// when it is already paid or cancelled.
    pub fn pay_order(&self, invoice_number: &str) -> Result<Order, OrderError> {
        self.settle(invoice_number, None)
    }

    /// Like [`SepayState::pay_order`], paid by `payment_method` (`CARD`, `BANK_TRANSFER` or
    /// `NAPAS_BANK_TRANSFER`).
    ///
    /// # Errors
    /// As [`SepayState::pay_order`], plus [`OrderError::InvalidPaymentMethod`].
    pub fn pay_order_with(&self, invoice_number: &str, payment_method: &str) -> Result<Order, OrderError> {
        self.settle(invoice_number, Some(payment_method))
    }

    /// Cancels an order awaiting payment, as `POST /v1/order/cancel` does.
    ///
    /// # Errors
    /// [`OrderError::NotFound`], or [`OrderError::NotAwaitingPayment`] once paid or cancelled.
    pub fn cancel_order(&self, invoice_number: &str) -> Result<Order, OrderError> {
        lock(&self.orders).cancel(invoice_number)
    }

    /// Voids a captured order, as `POST /v1/order/voidTransaction` does: status `CANCELLED`, a
    /// `VOID` transaction, and a `TRANSACTION_VOID` IPN in the background.
    ///
    /// # Errors
    /// [`OrderError::NotFound`], or [`OrderError::NotCaptured`].
    pub fn void_order(&self, invoice_number: &str) -> Result<Order, OrderError> {
        let (order, transaction) = lock(&self.orders).void(invoice_number)?;
        self.ipn.dispatch(TRANSACTION_VOID, &order, &transaction);
        Ok(order)
    }

    /// Every payment-gateway order, oldest first.
    pub fn orders(&self) -> Vec<Order> {
        lock(&self.orders).all()
    }

    /// One order by id, `order_id` or invoice number.
    pub fn order(&self, key: &str) -> Option<Order> {
        lock(&self.orders).find(key).cloned()
    }

    /// Registers (or, with `None`, removes) the merchant's IPN URL, as SePay's portal does.
    /// Deliveries read it on every attempt.
    pub fn set_ipn_url(&self, url: Option<String>) {
        self.ipn.set_url(url);
    }

    /// The registered IPN URL.
    pub fn ipn_url(&self) -> Option<String> {
        self.ipn.url()
    }

    /// Every IPN delivery attempt so far, in the order they finished.
    pub fn ipn_deliveries(&self) -> Vec<IpnDelivery> {
        self.ipn.deliveries()
    }

    /// Waits until at least `count` IPN attempts are recorded, or `timeout` passes, and returns
    /// them all (fewer on timeout). Deliveries run in the background, so tests wait here.
    pub async fn wait_for_ipn_deliveries(&self, count: usize, timeout: Duration) -> Vec<IpnDelivery> {
        self.ipn.wait_for(count, timeout).await
    }

    fn settle(&self, invoice_number: &str, method: Option<&str>) -> Result<Order, OrderError> {
        let (order, transaction) = lock(&self.orders).pay(invoice_number, method)?;
        self.ipn.dispatch(ORDER_PAID, &order, &transaction);
        Ok(order)
    }
}

pub(super) fn routes() -> Router<Arc<SepayState>> {
    Router::new()
        .route("/v1/checkout/init", post(checkout))
        .route("/v1/order", get(list))
        .route("/v1/order/detail/{id}", get(detail))
        .route("/v1/order/cancel", post(cancel))
        .route("/v1/order/voidTransaction", post(void))
        .route("/__sandbox/sepay/pay/{order_id}", get(hosted_page).post(hosted_action))
        .route("/__sandbox/sepay/orders/{invoice}/pay", post(control_pay))
        .route("/__sandbox/sepay/ipn", get(get_ipn).post(set_ipn))
        .route("/__sandbox/sepay/ipn/deliveries", get(deliveries))
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error_code: &'a str,
    message: &'a str,
}

/// `{"error_code": "...", "message": "..."}`.
pub(super) fn error(status: StatusCode, code: &str, message: &str) -> Response {
    json(
        status,
        &ErrorBody {
            error_code: code,
            message,
        },
    )
}

pub(super) fn bad_request(message: &str) -> Response {
    error(StatusCode::BAD_REQUEST, "BAD_REQUEST", message)
}

fn refusal(e: OrderError) -> Response {
    let (status, code) = match e {
        OrderError::NotFound => (StatusCode::NOT_FOUND, "ORDER_NOT_FOUND"),
        OrderError::NotAwaitingPayment | OrderError::NotCaptured => {
            (StatusCode::UNPROCESSABLE_ENTITY, "INVALID_ORDER_STATUS")
        }
        OrderError::InvalidPaymentMethod => (StatusCode::UNPROCESSABLE_ENTITY, "INVALID_PAYMENT_METHOD"),
    };
    error(status, code, &e.to_string())
}

#[derive(Serialize)]
struct Data<T> {
    data: T,
}

pub(super) fn data<T: Serialize>(value: T) -> Response {
    json(StatusCode::OK, &Data { data: value })
}

// ---- Checkout ----

/// Whether the checkout signature covers this field.
fn is_signed(key: &str) -> bool {
    const SIGNED: &[&str] = &[
        "merchant",
        "env",
        "operation",
        "payment_method",
        "order_amount",
        "currency",
        "order_invoice_number",
        "order_description",
        "customer_id",
        "success_url",
        "error_url",
        "cancel_url",
    ];
    SIGNED.contains(&key) || key.starts_with("agreement_")
}

/// `key=value` of the signed, non-empty fields in posting order, joined by `,`.
fn signing_string(fields: &[(String, String)]) -> String {
    fields
        .iter()
        .filter(|(k, v)| is_signed(k) && !v.is_empty())
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// Compares in constant time (`verify_slice`).
fn signature_ok(secret: &str, fields: &[(String, String)], signature: &str) -> bool {
    let Ok(given) = BASE64.decode(signature.trim()) else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(signing_string(fields).as_bytes());
    mac.verify_slice(&given).is_ok()
}

fn checkout_error(code: &str, message: &str) -> Response {
    error(StatusCode::BAD_REQUEST, code, message)
}

/// `POST /v1/checkout/init`.
async fn checkout(State(state): State<Arc<SepayState>>, body: Bytes) -> Response {
    let Ok(fields) = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body) else {
        return checkout_error("INVALID_FORM", "The body must be application/x-www-form-urlencoded");
    };
    for (i, (key, _)) in fields.iter().enumerate() {
        if fields[..i].iter().any(|(k, _)| k == key) {
            return checkout_error("INVALID_FORM", &format!("Field {key} is posted more than once"));
        }
    }
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    };
    let Some(signature) = field("signature") else {
        return checkout_error("INVALID_SIGNATURE", "signature is required");
    };
    if !signature_ok(&state.secret_key, &fields, signature) {
        return checkout_error("INVALID_SIGNATURE", "The signature does not match the posted fields");
    }
    if field("merchant") != Some(state.merchant_id.as_str()) {
        return checkout_error("INVALID_MERCHANT", "Unknown merchant");
    }
    if field("currency") != Some("VND") {
        return checkout_error("INVALID_CURRENCY", "currency must be VND");
    }
    let operation = field("operation").unwrap_or("PURCHASE");
    if !matches!(operation, "PURCHASE" | "VERIFY") {
        return checkout_error("INVALID_OPERATION", "operation must be PURCHASE or VERIFY");
    }
    let amount = field("order_amount")
        .filter(|a| a.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|a| a.parse::<u64>().ok());
    let amount = match (operation, amount) {
        ("VERIFY", Some(0)) => 0,
        ("VERIFY", _) => return checkout_error("INVALID_AMOUNT", "order_amount must be 0 for VERIFY"),
        (_, Some(a)) if a > 0 => a,
        _ => return checkout_error("INVALID_AMOUNT", "order_amount must be a whole positive number of VND"),
    };
    let payment_method = field("payment_method");
    if payment_method.is_some_and(|m| !PAYMENT_METHODS.contains(&m)) {
        return checkout_error(
            "INVALID_PAYMENT_METHOD",
            "payment_method must be one of CARD, BANK_TRANSFER, NAPAS_BANK_TRANSFER",
        );
    }
    for name in ["success_url", "error_url", "cancel_url"] {
        if field(name).is_some_and(|u| !absolute_url(u)) {
            return checkout_error("INVALID_URL", &format!("{name} must be an absolute http or https URL"));
        }
    }
    let Some(invoice) = field("order_invoice_number") else {
        return checkout_error("INVALID_INVOICE_NUMBER", "order_invoice_number is required");
    };
    let new = NewOrder {
        invoice_number: invoice.to_owned(),
        amount,
        operation: operation.to_owned(),
        description: field("order_description").map(str::to_owned),
        customer_id: field("customer_id").map(str::to_owned),
        payment_method: payment_method.map(str::to_owned),
        custom_data: field("custom_data").map(str::to_owned),
        success_url: field("success_url").map(str::to_owned),
        error_url: field("error_url").map(str::to_owned),
        cancel_url: field("cancel_url").map(str::to_owned),
    };
    let order = {
        let mut orders = lock(&state.orders);
        if orders.invoice_in_use(invoice) {
            return checkout_error(
                "DUPLICATE_INVOICE_NUMBER",
                "order_invoice_number is already used by another order",
            );
        }
        orders.create(new)
    };
    redirect(&format!("/__sandbox/sepay/pay/{}", order.order_id))
}

fn absolute_url(url: &str) -> bool {
    reqwest::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
}

fn redirect(location: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, location.to_owned())]).into_response()
}

// ---- Hosted page ----

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `GET /__sandbox/sepay/pay/{order_id}`.
async fn hosted_page(State(state): State<Arc<SepayState>>, Path(order_id): Path<String>) -> Response {
    let Some(order) = state.order(&order_id) else {
        return (StatusCode::NOT_FOUND, Html("<h1>Order not found</h1>".to_owned())).into_response();
    };
    let buttons = if order.order_status == STATUS_AWAITING {
        let methods: String = PAYMENT_METHODS
            .iter()
            .map(|m| {
                let selected = if order.payment_method.as_deref() == Some(m) {
                    " selected"
                } else {
                    ""
                };
                format!("<option{selected}>{m}</option>")
            })
            .collect();
        format!(
            "<form method=\"post\"><select name=\"payment_method\">{methods}</select> \
             <button name=\"action\" value=\"pay\">Pay</button> \
             <button name=\"action\" value=\"cancel\">Cancel</button></form>"
        )
    } else {
        String::new()
    };
    let page = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>SePay sandbox checkout</title></head>\
         <body><h1>SePay sandbox checkout</h1><dl><dt>Order</dt><dd>{}</dd><dt>Invoice</dt><dd>{}</dd>\
         <dt>Description</dt><dd>{}</dd><dt>Amount</dt><dd>{} VND</dd><dt>Status</dt><dd id=\"status\">{}</dd></dl>{buttons}</body></html>",
        escape(&order.order_id),
        escape(&order.order_invoice_number),
        escape(order.order_description.as_deref().unwrap_or("")),
        escape(&order.order_amount),
        escape(&order.order_status),
    );
    Html(page).into_response()
}

/// `POST /__sandbox/sepay/pay/{order_id}` with `action=pay|cancel` and an optional `payment_method`.
async fn hosted_action(State(state): State<Arc<SepayState>>, Path(order_id): Path<String>, body: Bytes) -> Response {
    let Some(order) = state.order(&order_id) else {
        return refusal(OrderError::NotFound);
    };
    // The Order API acts on the newest order with an invoice number; an older, cancelled order
    // whose number was reused is past acting on.
    if state
        .order(&order.order_invoice_number)
        .is_none_or(|live| live.id != order.id)
    {
        return redirect(
            order
                .error_url
                .as_deref()
                .unwrap_or(&format!("/__sandbox/sepay/pay/{}", order.order_id)),
        );
    }
    let form = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body).unwrap_or_default();
    let form = Params(form);
    let back = format!("/__sandbox/sepay/pay/{}", order.order_id);
    let invoice = &order.order_invoice_number;
    let (result, target) = match form.get("action") {
        Some("cancel") => (state.cancel_order(invoice), order.cancel_url.clone()),
        _ => {
            let result = match form.get("payment_method") {
                Some(m) => state.pay_order_with(invoice, m),
                None => state.pay_order(invoice),
            };
            (result, order.success_url.clone())
        }
    };
    match result {
        Ok(_) => redirect(target.as_deref().unwrap_or(&back)),
        Err(_) => redirect(order.error_url.as_deref().unwrap_or(&back)),
    }
}

// ---- Order API ----

/// Checks `Authorization: Basic base64(merchant_id:secret_key)`.
fn authorize(state: &SepayState, headers: &HeaderMap) -> Result<(), Response> {
    let unauthorized = || {
        let mut response = error(StatusCode::UNAUTHORIZED, "UNAUTHORIZED", "Invalid merchant credentials");
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            "Basic realm=\"SePay\"".parse().expect("a valid header"),
        );
        response
    };
    let credentials = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("basic"))
        .and_then(|(_, encoded)| BASE64.decode(encoded.trim()).ok())
        .and_then(|decoded| String::from_utf8(decoded).ok());
    match credentials.as_deref().and_then(|c| c.split_once(':')) {
        Some((id, secret)) if id == state.merchant_id && secret == state.secret_key => Ok(()),
        _ => Err(unauthorized()),
    }
}

#[derive(Serialize)]
struct Meta {
    per_page: usize,
    total: usize,
    has_more: bool,
    current_page: usize,
    page_count: usize,
}

#[derive(Serialize)]
struct Listing {
    data: Vec<Order>,
    meta: Meta,
}

fn positive(params: &Params, name: &str, default: usize, max: usize) -> Result<usize, Response> {
    match params.get(name) {
        None => Ok(default),
        Some(v) => v
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=max).contains(n))
            .ok_or_else(|| bad_request(&format!("{name} must be an integer from 1 to {max}"))),
    }
}

fn date(params: &Params, name: &str) -> Result<Option<NaiveDate>, Response> {
    params
        .get(name)
        .map(|v| NaiveDate::parse_from_str(v, "%Y-%m-%d"))
        .transpose()
        .map_err(|_| bad_request(&format!("{name} must be a date YYYY-MM-DD")))
}

/// `GET /v1/order`.
async fn list(State(state): State<Arc<SepayState>>, headers: HeaderMap, RawQuery(query): RawQuery) -> Response {
    if let Err(r) = authorize(&state, &headers) {
        return r;
    }
    let Some(params) = Params::parse(query.as_deref()) else {
        return bad_request("Invalid query string");
    };
    let parsed = (|| {
        let per_page = positive(&params, "per_page", DEFAULT_PER_PAGE, MAX_PER_PAGE)?;
        let page = positive(&params, "page", 1, usize::MAX)?;
        let filter = OrderFilter {
            q: params.get("q").map(str::to_owned),
            status: params.get("order_status").map(str::to_owned),
            from: date(&params, "from_created_at")?,
            to: date(&params, "to_created_at")?,
            customer_id: params.get("customer_id").map(str::to_owned),
        };
        Ok::<_, Response>((per_page, page, filter))
    })();
    let (per_page, page, filter) = match parsed {
        Ok(p) => p,
        Err(r) => return r,
    };
    let all = lock(&state.orders).list(&filter);
    let total = all.len();
    let start = (page - 1).saturating_mul(per_page);
    let data: Vec<Order> = all.into_iter().skip(start).take(per_page).collect();
    let meta = Meta {
        per_page,
        total,
        has_more: start.saturating_add(per_page) < total,
        current_page: page,
        page_count: total.div_ceil(per_page),
    };
    json(StatusCode::OK, &Listing { data, meta })
}

/// `GET /v1/order/detail/{id}`: by id, `order_id` or invoice number.
async fn detail(State(state): State<Arc<SepayState>>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    if let Err(r) = authorize(&state, &headers) {
        return r;
    }
    match state.order(&id) {
        Some(order) => data(order),
        None => refusal(OrderError::NotFound),
    }
}

/// `order_invoice_number` from a JSON body.
fn invoice_number(body: &[u8]) -> Result<String, Response> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(o)) => match o.get("order_invoice_number") {
            Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.trim().to_owned()),
            _ => Err(bad_request("order_invoice_number is required")),
        },
        _ => Err(bad_request("The body must be a JSON object")),
    }
}

/// `POST /v1/order/cancel`.
async fn cancel(State(state): State<Arc<SepayState>>, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(r) = authorize(&state, &headers) {
        return r;
    }
    match invoice_number(&body) {
        Ok(invoice) => state.cancel_order(&invoice).map_or_else(refusal, data),
        Err(r) => r,
    }
}

/// `POST /v1/order/voidTransaction`.
async fn void(State(state): State<Arc<SepayState>>, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(r) = authorize(&state, &headers) {
        return r;
    }
    match invoice_number(&body) {
        Ok(invoice) => state.void_order(&invoice).map_or_else(refusal, data),
        Err(r) => r,
    }
}

// ---- Payer simulation and IPN registration ----

/// `POST /__sandbox/sepay/orders/{invoice}/pay` with an optional `{"payment_method": "CARD"}`.
async fn control_pay(State(state): State<Arc<SepayState>>, Path(invoice): Path<String>, body: Bytes) -> Response {
    let method = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        match serde_json::from_slice::<Value>(&body) {
            Ok(Value::Object(o)) => match o.get("payment_method") {
                None | Some(Value::Null) => None,
                Some(Value::String(m)) => Some(m.clone()),
                Some(_) => return bad_request("payment_method must be a string"),
            },
            _ => return bad_request("The body must be a JSON object"),
        }
    };
    let paid = match method {
        Some(m) => state.pay_order_with(&invoice, &m),
        None => state.pay_order(&invoice),
    };
    paid.map_or_else(refusal, data)
}

#[derive(Serialize)]
struct IpnUrl {
    url: Option<String>,
}

/// `{"url": "http://…"}` or `{"url": null}`, the body of a control route that registers a
/// notification URL (IPN, bank-transaction webhook).
pub(super) fn url_body(body: &[u8]) -> Result<Option<String>, Response> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(o)) => match o.get("url") {
            None => Err(bad_request("url is required")),
            Some(Value::Null) => Ok(None),
            Some(Value::String(u)) if absolute_url(u) => Ok(Some(u.clone())),
            Some(Value::String(_)) => Err(error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "INVALID_URL",
                "url must be an absolute http or https URL",
            )),
            Some(_) => Err(bad_request("url must be a string")),
        },
        _ => Err(bad_request("The body must be a JSON object")),
    }
}

/// `{"data": {"url": ...}}`, the answer of the URL control routes.
pub(super) fn url_reply(url: Option<String>) -> Response {
    data(IpnUrl { url })
}

/// `POST /__sandbox/sepay/ipn` with `{"url": "http://…"}` (or `null` to remove it).
async fn set_ipn(State(state): State<Arc<SepayState>>, body: Bytes) -> Response {
    match url_body(&body) {
        Ok(url) => {
            state.set_ipn_url(url.clone());
            url_reply(url)
        }
        Err(r) => r,
    }
}

/// `GET /__sandbox/sepay/ipn`.
async fn get_ipn(State(state): State<Arc<SepayState>>) -> Response {
    url_reply(state.ipn_url())
}

/// `GET /__sandbox/sepay/ipn/deliveries`.
async fn deliveries(State(state): State<Arc<SepayState>>) -> Response {
    data(state.ipn_deliveries())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signing_string_keeps_posting_order_and_skips_empty_and_unsigned() {
        let fields: Vec<(String, String)> = [
            ("merchant", "M"),
            ("currency", "VND"),
            ("order_amount", "100000"),
            ("custom_data", "x"),
            ("order_description", ""),
            ("agreement_name", "Gói"),
            ("signature", "s"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        assert_eq!(
            signing_string(&fields),
            "merchant=M,currency=VND,order_amount=100000,agreement_name=Gói"
        );
    }
}
