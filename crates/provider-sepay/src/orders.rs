//! SePay's payment-gateway Order API on [`SepayPaymentGateway`]: list orders, order detail, cancel
//! an order, void a transaction.
//!
//! ```text
//! GET  {base}/order?per_page=&page=&q=&order_status=&from_created_at=&to_created_at=&customer_id=
//! GET  {base}/order/detail/{id}
//! POST {base}/order/cancel            {"order_invoice_number": "..."}
//! POST {base}/order/voidTransaction   {"order_invoice_number": "..."}
//! Authorization: Basic base64(merchant_id:secret_key)
//! ```
//!
//! `{base}` is `https://pgapi-sandbox.sepay.vn/v1` or `https://pgapi.sepay.vn/v1` by environment
//! (see [`crate::gateway`]). The shapes read are described in [`crate::order_wire`].
//!
//! Errors map as for the rest of this crate: 400/422 [`Error::InvalidRequest`], 401
//! [`Error::Unauthorized`], 403 [`Error::Forbidden`], 404 [`Error::NotFound`], 409
//! [`Error::Conflict`], 429 [`Error::RateLimited`], anything else [`Error::Provider`], with SePay's
//! message and code when the body has one (never an HTML page); a 2xx body saying
//! `"status": "error"` or `"success": false` is [`Error::Provider`] with its message; a body not in
//! the expected shape is [`Error::Decode`]. The reads (list, detail) are retried by the gateway's
//! [`crate::RetryPolicy`] ([`crate::SepayPaymentGatewayBuilder::retry_policy`]); cancel and void
//! are never retried (they change state, and SePay documents no idempotency for them).

use chrono::NaiveDate;
use gateway_core::{Error, ErrorContext, Page, PageCursor};
use reqwest::header::{ACCEPT, AUTHORIZATION};
use secrecy::ExposeSecret;
use url::Url;

use crate::error::{error_for_status, provider_message, Api};
use crate::gateway::SepayPaymentGateway;
use crate::order_wire::{action_reply, detail_order, says_failure, Order, OrderActionReply, OrderList, OrderStatus};
use crate::retry::retry_read;
use crate::transport::{request_span, send_in_span, Reply};

/// The most orders SePay lists per page.
pub const MAX_PER_PAGE: u32 = 100;

/// Orders per page when the caller does not say ([`gateway_core::PaymentProvider::list_payments`]).
pub const DEFAULT_PER_PAGE: u32 = 20;

/// Filters of `GET order`. Every field is optional; `Default` is no filter.
///
/// ```
/// use provider_sepay::{OrderFilter, OrderStatus};
/// let f = OrderFilter::default().q("DH123").order_status(OrderStatus::Captured);
/// assert_eq!(f.q.as_deref(), Some("DH123"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct OrderFilter {
    /// Search text (`q`): an invoice number, among others. SePay may match more than the invoice
    /// number; compare [`Order::order_invoice_number`] when an exact match matters.
    pub q: Option<String>,
    /// Only orders in this status (`order_status`).
    pub order_status: Option<OrderStatus>,
    /// Only orders created on or after this day, Vietnam time (`from_created_at=YYYY-MM-DD`; the
    /// format is assumed).
    pub from_created_at: Option<NaiveDate>,
    /// Only orders created on or before this day, Vietnam time (`to_created_at=YYYY-MM-DD`).
    pub to_created_at: Option<NaiveDate>,
    /// Only orders of this customer (`customer_id`, as posted in the checkout form).
    pub customer_id: Option<String>,
}

impl OrderFilter {
    /// Sets [`Self::q`].
    pub fn q(mut self, q: impl Into<String>) -> Self {
        self.q = Some(q.into());
        self
    }

    /// Sets [`Self::order_status`].
    pub fn order_status(mut self, status: OrderStatus) -> Self {
        self.order_status = Some(status);
        self
    }

    /// Sets [`Self::from_created_at`].
    pub fn from_created_at(mut self, day: NaiveDate) -> Self {
        self.from_created_at = Some(day);
        self
    }

    /// Sets [`Self::to_created_at`].
    pub fn to_created_at(mut self, day: NaiveDate) -> Self {
        self.to_created_at = Some(day);
        self
    }

    /// Sets [`Self::customer_id`].
    pub fn customer_id(mut self, customer_id: impl Into<String>) -> Self {
        self.customer_id = Some(customer_id.into());
        self
    }

    fn query(&self, page: u32, per_page: u32) -> Vec<(&'static str, String)> {
        const DAY: &str = "%Y-%m-%d";
        let mut q = vec![("per_page", per_page.to_string()), ("page", page.to_string())];
        if let Some(v) = self.q.as_deref().filter(|v| !v.is_empty()) {
            q.push(("q", v.to_string()));
        }
        if let Some(v) = &self.order_status {
            q.push(("order_status", v.as_str().to_string()));
        }
        if let Some(v) = &self.from_created_at {
            q.push(("from_created_at", v.format(DAY).to_string()));
        }
        if let Some(v) = &self.to_created_at {
            q.push(("to_created_at", v.format(DAY).to_string()));
        }
        if let Some(v) = self.customer_id.as_deref().filter(|v| !v.is_empty()) {
            q.push(("customer_id", v.to_string()));
        }
        q
    }
}

impl SepayPaymentGateway {
    /// One page of orders (`GET order`), newest first as SePay sends them.
    ///
    /// `page` counts from 1; `per_page` is clamped to 1..=100. [`Page::next`] holds the next page
    /// number as text (`"2"`): when `meta.has_more` is sent, it decides; else when
    /// `meta.page_count` is sent, there is a next page while `current_page < page_count`; without
    /// `meta`, a full page is taken to mean there may be another. [`Page::total`] is `meta.total`.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for page 0, before any request; otherwise as the module docs.
    pub async fn list_orders(&self, filter: &OrderFilter, page: u32, per_page: u32) -> Result<Page<Order>, Error> {
        if page == 0 {
            return Err(Error::InvalidRequest(ErrorContext::new(
                "SePay order pages count from 1",
            )));
        }
        let per_page = per_page.clamp(1, MAX_PER_PAGE);
        let url = self.url(&["order"], &filter.query(page, per_page))?;
        let reply = self.send(reqwest::Method::GET, url, None, "SePay order list").await?;
        let list: OrderList = reply.json("SePay order list")?;
        let meta = list.meta.unwrap_or_default();
        let current = meta.current_page.unwrap_or(u64::from(page));
        let more = match (meta.has_more, meta.page_count) {
            (Some(more), _) => more,
            (None, Some(count)) => current < count,
            (None, None) => list.data.len() >= per_page as usize,
        };
        let next = more.then(|| PageCursor::new((current + 1).to_string()));
        Ok(Page::new(list.data, next).with_total(meta.total))
    }

    /// One order by SePay's id (`GET order/detail/{id}`, the id percent-encoded as one path
    /// segment).
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for a blank id (or `.`/`..`), before any request;
    /// [`Error::NotFound`] for a 404 or a reply with no order in `data`; otherwise as the module
    /// docs.
    pub async fn order_detail(&self, id: &str) -> Result<Order, Error> {
        if id.trim().is_empty() || id == "." || id == ".." {
            return Err(Error::InvalidRequest(ErrorContext::new(format!(
                "invalid SePay order id {id:?}"
            ))));
        }
        let url = self.url(&["order", "detail", id], &[])?;
        let reply = self.send(reqwest::Method::GET, url, None, "SePay order").await?;
        detail_from_reply(&reply, id)
    }

    /// Cancels the order with this invoice number (`POST order/cancel` with
    /// `{"order_invoice_number": ...}`).
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for a blank invoice number, before any request; otherwise as the
    /// module docs (SePay's refusal, e.g. of a captured order, usually as a 4xx).
    pub async fn cancel_order(&self, order_invoice_number: &str) -> Result<OrderActionReply, Error> {
        self.action(&["order", "cancel"], order_invoice_number, "SePay order cancel")
            .await
    }

    /// Voids the transaction of the order with this invoice number (`POST order/voidTransaction`
    /// with `{"order_invoice_number": ...}`); SePay then sends a `TRANSACTION_VOID` IPN.
    ///
    /// # Errors
    /// As [`Self::cancel_order`].
    pub async fn void_transaction(&self, order_invoice_number: &str) -> Result<OrderActionReply, Error> {
        self.action(&["order", "voidTransaction"], order_invoice_number, "SePay order void")
            .await
    }

    async fn action(
        &self,
        segments: &[&str],
        order_invoice_number: &str,
        operation: &str,
    ) -> Result<OrderActionReply, Error> {
        if order_invoice_number.trim().is_empty() {
            return Err(Error::InvalidRequest(ErrorContext::new(
                "order_invoice_number is required",
            )));
        }
        let url = self.url(segments, &[])?;
        let body = serde_json::json!({ "order_invoice_number": order_invoice_number });
        let reply = self.send(reqwest::Method::POST, url, Some(body), operation).await?;
        action_from_reply(&reply)
    }

    /// `{base}/seg/ments?query`, each segment percent-encoded.
    fn url(&self, segments: &[&str], query: &[(&str, String)]) -> Result<Url, Error> {
        let bad = |why: String| Error::Configuration(format!("cannot build a SePay Order API URL: {why}"));
        let mut url = Url::parse(&self.inner.base).map_err(|e| bad(e.to_string()))?;
        url.path_segments_mut()
            .map_err(|()| bad("the base URL cannot take a path".into()))?
            .pop_if_empty()
            .extend(segments);
        if !query.is_empty() {
            url.query_pairs_mut()
                .extend_pairs(query.iter().map(|(k, v)| (*k, v.as_str())));
        }
        Ok(url)
    }

    /// Sends a request with Basic auth; a 2xx reply that does not say it failed is `Ok`. A GET is
    /// retried by the gateway's [`crate::RetryPolicy`]; any other method is sent once.
    async fn send(
        &self,
        method: reqwest::Method,
        url: Url,
        json: Option<serde_json::Value>,
        operation: &str,
    ) -> Result<Reply, Error> {
        let reply = if method == reqwest::Method::GET {
            retry_read(
                self.options.get_retry_policy().unwrap_or(&self.inner.retry),
                operation,
                || self.send_once(method.clone(), url.clone(), json.as_ref(), operation),
            )
            .await?
        } else {
            self.send_once(method, url, json.as_ref(), operation).await?
        };
        check_reply(reply)
    }

    /// One try of a request, in a `sepay.request` span; any reply with a status is `Ok`.
    async fn send_once(
        &self,
        method: reqwest::Method,
        url: Url,
        json: Option<&serde_json::Value>,
        operation: &str,
    ) -> Result<Reply, Error> {
        let span = request_span(operation, method.as_str(), url.path());
        let mut request = self
            .inner
            .http
            .request(method, url)
            .header(AUTHORIZATION, self.inner.authorization.expose_secret())
            .header(ACCEPT, "application/json")
            .timeout(self.options.get_timeout().unwrap_or(self.inner.timeout));
        if let Some(json) = json {
            request = request.json(json);
        }
        send_in_span(request, span).await
    }
}

/// A reply of the Order API, or the error it stands for: a non-2xx status maps by status (the
/// API-token mapping; the OAuth one adds a scope hint to 403), and a 2xx body that says it failed
/// is [`Error::Provider`] with SePay's message and code.
pub(crate) fn check_reply(reply: Reply) -> Result<Reply, Error> {
    let status = reply.status;
    if !status.is_success() {
        return Err(error_for_status(Api::UserApi, status.as_u16(), &reply));
    }
    if says_failure(&reply.body) {
        let (code, message) = provider_message(&reply.body);
        let mut ctx = ErrorContext::new(message.unwrap_or_else(|| "SePay reported a failure".into()))
            .with_status(status.as_u16())
            .with_request_id(reply.request_id.clone());
        if let Some(code) = code {
            ctx = ctx.with_code(code);
        }
        return Err(Error::Provider(ctx));
    }
    Ok(reply)
}

/// What a checked cancel or void reply says; [`Error::Decode`] when it is not JSON.
pub(crate) fn action_from_reply(reply: &Reply) -> Result<OrderActionReply, Error> {
    // An empty or cut-short 2xx confirms nothing: SePay may or may not have done it.
    if serde_json::from_slice::<serde_json::Value>(&reply.body).is_err() {
        return Err(reply.decode_error(
            "SePay order action reply",
            "the reply is not JSON, so the action is not confirmed; read the order to see where it stands",
        ));
    }
    Ok(action_reply(&reply.body))
}

/// The order in a checked detail reply for order `id`; [`Error::NotFound`] when `data` holds none.
pub(crate) fn detail_from_reply(reply: &Reply, id: &str) -> Result<Order, Error> {
    match detail_order(&reply.body) {
        Ok(Some(order)) => Ok(order),
        Ok(None) => Err(Error::NotFound(
            ErrorContext::new(format!("SePay has no order {id:?}"))
                .with_status(reply.status.as_u16())
                .with_request_id(reply.request_id.clone()),
        )),
        Err(e) if reply.looks_like_json() => Err(reply.decode_error("SePay order", e.to_string())),
        Err(_) => {
            let ct = reply.content_type().unwrap_or("no content type");
            Err(reply.decode_error("SePay order", format!("expected JSON, got a non-JSON body ({ct})")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_in_documented_names() {
        let f = OrderFilter::default()
            .q("DH1")
            .order_status(OrderStatus::Cancelled)
            .from_created_at(NaiveDate::from_ymd_opt(2025, 9, 1).unwrap())
            .to_created_at(NaiveDate::from_ymd_opt(2025, 9, 30).unwrap())
            .customer_id("KH1");
        let q = f.query(2, 50);
        let names: Vec<_> = q.iter().map(|(k, _)| *k).collect();
        assert_eq!(
            names,
            [
                "per_page",
                "page",
                "q",
                "order_status",
                "from_created_at",
                "to_created_at",
                "customer_id"
            ]
        );
        assert_eq!(q[4].1, "2025-09-01");
    }
}
