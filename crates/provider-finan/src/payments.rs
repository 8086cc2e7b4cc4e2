//! Payment Gateway endpoints (payment requests) and the [`PaymentProvider`] implementation over
//! them:
//!
//! - `POST /api/v1/payments`: [`FinanClient::create_payment_with`] (and
//!   [`PaymentProvider::create_payment`], [`FinanClient::create_invoice_payment`]);
//! - `GET /api/v1/payments?page=&page_size=&reference_type=&reference_id=`:
//!   [`FinanClient::list_payment_requests`] (and [`PaymentProvider::list_payments`]);
//! - `GET /api/v1/payments/:id`: [`PaymentProvider::get_payment`].
//!
//! Finan collects VND only: every amount is [`gateway_core::Money`] in VND, sent and read as an
//! integer number of đồng (VND minor units). Each payment link is valid for 30 minutes
//! ([`PAYMENT_LINK_VALIDITY`]).

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset, Utc};
use gateway_core::{
    CreatePayment, Error, ErrorContext, Money, Page, PageCursor, PageRequest, PaymentFilter, PaymentMethod,
    PaymentProvider, PaymentRequest, Result,
};

use crate::accounts::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
use crate::paging::{self, invalid, query_of};
use crate::payment_wire::{self as wire, Merchant};
use crate::retry::{may_have_reached_finan, may_still_be_in_flight, with_note};
use crate::{payment_mapping, FinanClient, RequestOptions};

const PAYMENTS: [&str; 3] = ["api", "v1", "payments"];

/// How long a payment link stays valid: 30 minutes. Finan's Payment Gateway document says so and
/// returns no expiry time, so a created request's [`PaymentRequest::expires_at`] is the time the
/// request was sent plus this (at or slightly before Finan's own expiry, never after it).
pub const PAYMENT_LINK_VALIDITY: Duration = Duration::from_secs(30 * 60);

/// Longest `description` Finan accepts: 30 characters (counted as Unicode scalar values, not bytes).
pub const MAX_DESCRIPTION_CHARS: usize = 30;

/// The `reference_type` that links a payment request to a Finan invoice: `"invoice"`.
pub const REFERENCE_TYPE_INVOICE: &str = "invoice";

/// How many pages of 100 [`FinanClient::create_payment_with`] reads when it looks a reference up.
const MAX_LOOKUP_PAGES: u32 = 10;

/// Finan-only parts of a create-payment body that [`CreatePayment`] has no field for, for
/// [`FinanClient::create_payment_with`]. The default sends neither.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct FinanPaymentOptions {
    /// `merchant`: `{"name", "phone", "address", "email"}` shown on the payment, each optional.
    pub merchant: Option<Merchant>,
    /// Sends `reference_type: "invoice"`: the payment is for the Finan invoice whose id is
    /// [`CreatePayment::reference_id`] (Finan needs no merchant, items or customer then).
    pub reference_type_invoice: bool,
}

impl FinanPaymentOptions {
    /// No merchant, no reference type.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sends these merchant details.
    pub fn merchant(mut self, merchant: Merchant) -> Self {
        self.merchant = Some(merchant);
        self
    }

    /// Links the payment to the invoice whose id is the reference id (`reference_type: "invoice"`).
    pub fn invoice(mut self) -> Self {
        self.reference_type_invoice = true;
        self
    }
}

/// Filters of `GET /api/v1/payments`: each one set (and not blank) is sent as a query parameter
/// and so is part of the signed path. The default lists every payment request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct FinanPaymentFilter {
    /// Only payment requests of this reference type (`?reference_type=`, e.g. `"invoice"`).
    pub reference_type: Option<String>,
    /// Only payment requests for this reference id (`?reference_id=`: the app's order id, or the
    /// invoice id).
    pub reference_id: Option<String>,
}

impl FinanPaymentFilter {
    /// No filter: every payment request.
    pub fn all() -> Self {
        Self::default()
    }

    /// Filters by reference id.
    pub fn reference_id(mut self, reference_id: impl Into<String>) -> Self {
        self.reference_id = Some(reference_id.into());
        self
    }

    /// Filters by reference type (e.g. [`REFERENCE_TYPE_INVOICE`]).
    pub fn reference_type(mut self, reference_type: impl Into<String>) -> Self {
        self.reference_type = Some(reference_type.into());
        self
    }

    /// The payment requests of one Finan invoice: `reference_type=invoice&reference_id=invoice_id`.
    pub fn invoice(invoice_id: impl Into<String>) -> Self {
        Self::all()
            .reference_type(REFERENCE_TYPE_INVOICE)
            .reference_id(invoice_id)
    }
}

impl From<&PaymentFilter> for FinanPaymentFilter {
    /// The core filter's reference id; no reference type.
    fn from(filter: &PaymentFilter) -> Self {
        Self {
            reference_type: None,
            reference_id: filter.reference_id.clone(),
        }
    }
}

/// What looking a reference up found.
enum Lookup {
    /// A payment request for the reference with the same amount.
    Found(wire::PaymentRequest),
    /// Payment requests for the reference, none with the amount asked (the first one).
    OtherAmount(wire::PaymentRequest),
    /// None for the reference.
    None,
}

impl FinanClient {
    /// Creates a payment request (`POST /api/v1/payments`) with Finan-only options: a merchant,
    /// and `reference_type: "invoice"`. [`PaymentProvider::create_payment`] is this with
    /// [`FinanPaymentOptions::default`].
    ///
    /// The request is checked first and nothing is sent when it fails (see
    /// [`payment_mapping::create_payment_request`]): amount in whole VND (đồng) and more than 0,
    /// description at most 30 characters, items priced in VND whose exact price × quantity lines
    /// add up to the amount, a customer name when there is a customer. The body is serialized once
    /// and signed over those exact bytes.
    ///
    /// Returns a [`PaymentRequest`] with status [`gateway_core::PaymentStatus::Unpaid`], paid
    /// amount 0 VND, Finan's id and short code, what to show the payer (a
    /// [`gateway_core::PayerAction::BankTransfer`] with the VietQR string, bank, account and
    /// transfer remark, or a [`gateway_core::PayerAction::Redirect`] to Finan's payment page), and
    /// `expires_at` = send time + [`PAYMENT_LINK_VALIDITY`] (30 minutes; Finan returns no expiry).
    ///
    /// # Never two payments for one reference id
    /// Finan documents no refusal of a repeated `reference_id`, so this guards the reference itself,
    /// in three layers:
    ///
    /// 1. **Before the first POST**, the reference is looked up (`GET /api/v1/payments?page=1&
    ///    page_size=100&reference_id=…`, plus `reference_type=invoice` for an invoice; further pages
    ///    only when there are more than 100, at most 10):
    ///    - a payment request for it with the same amount: that one is returned and nothing is
    ///      POSTed. It is returned as listed, in its current status (it may be paid by now), with no
    ///      short code, payer action or expiry, which Finan's list does not include (and its
    ///      30-minute link may have expired): [`PaymentProvider::get_payment`] reads it again;
    ///    - only ones with another amount: [`Error::Conflict`] naming the first of them, nothing is
    ///      POSTed;
    ///    - none: the POST is sent.
    ///
    ///    When this look-up itself fails, its error is returned as is (e.g.
    ///    [`Error::Unauthorized`], [`Error::RateLimited`], [`Error::Transport`]): nothing was sent,
    ///    so calling again later is safe.
    /// 2. **When the POST fails in a way where it may have reached Finan** — a timeout, a
    ///    connection broken after sending, an HTTP 5xx, or a reply that cannot be read — it is not
    ///    simply re-sent. The reference is looked up again the same way: the same amount is
    ///    returned, another amount is [`Error::Conflict`] (nothing sent). When there is none, and
    ///    Finan itself replied (500, 503, a body cut off, an unreadable body: it is done with the
    ///    request), the POST is sent once more, its result returned as is. When no reply came at
    ///    all (a timeout, a connection lost before the status) or a gateway gave up waiting for
    ///    Finan (502, 504), Finan may still be creating the first one, which the look-up cannot
    ///    see yet: nothing is re-sent, and the POST's error is
    ///    returned with a note to create again later (that create looks the reference up first,
    ///    layer 1). When this look-up fails, the
    ///    POST's error is returned with a note that the payment may exist: look the reference up
    ///    (e.g. [`FinanClient::list_payment_requests`]) before creating again. A refusal (4xx, or
    ///    an error code in a 2xx reply), a rate limit, or a connection that could not be made
    ///    (nothing was sent) is returned as is, with no look-up and no resend.
    /// 3. **When the POST is refused as a duplicate (HTTP 409)** — Finan documents no such refusal,
    ///    but a create for the same reference may race past layer 1 from another task or process,
    ///    and a server may refuse the second — the reference is looked up the same way: the
    ///    existing request with the same amount is returned, one with another amount gives
    ///    [`Error::Conflict`] naming it, and when the look-up finds nothing (or fails) the 409 is
    ///    returned as is.
    ///
    /// Layer 1 does not make two concurrent creates for one reference safe on its own (both may
    /// look up before either POSTs); the app should not race creates for one reference.
    ///
    /// Cost: one extra GET before every create (more pages only for a reference with more than 100
    /// requests), so a create takes two requests of Finan's 100 per minute, and one or two more
    /// when a POST fails as in layer 2 or 3.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for a request that fails the checks (nothing sent) or that Finan
    /// refuses (400, 422); [`Error::NotFound`] (404: `account_id` not found);
    /// [`Error::Conflict`] as above; [`Error::Unauthorized`], [`Error::RateLimited`],
    /// [`Error::Provider`] (5xx), [`Error::Transport`], [`Error::Decode`].
    pub async fn create_payment_with(
        &self,
        request: &CreatePayment,
        options: &FinanPaymentOptions,
    ) -> Result<PaymentRequest> {
        let body = payment_mapping::create_payment_request(request, options)?;
        // 1. The reference may have a payment request already (a deliberate second call): Finan
        // documents no refusal of a repeated reference id, so look before sending. A failed
        // look-up is returned as is: nothing was sent.
        match self.look_up(&body).await? {
            Lookup::Found(existing) => return Ok(payment_mapping::payment_request(existing)),
            Lookup::OtherAmount(existing) => return Err(other_amount(&body, &existing)),
            Lookup::None => {}
        }
        let first = match self.post_payment(&body).await {
            Ok(created) => return Ok(created),
            // 2. Below.
            Err(e) if may_have_reached_finan(&e) => e,
            // 3. Refused as a duplicate: another create for the reference raced past the look-up.
            Err(conflict @ Error::Conflict(_)) => {
                return match self.look_up(&body).await {
                    Ok(Lookup::Found(existing)) => Ok(payment_mapping::payment_request(existing)),
                    Ok(Lookup::OtherAmount(existing)) => Err(other_amount(&body, &existing)),
                    Ok(Lookup::None) | Err(_) => Err(conflict),
                };
            }
            Err(e) => return Err(e),
        };
        tracing::warn!(
            error = first.kind(),
            "Finan create payment: outcome unknown; looking the reference up before re-sending"
        );
        match self.look_up(&body).await {
            Ok(Lookup::Found(existing)) => Ok(payment_mapping::payment_request(existing)),
            Ok(Lookup::OtherAmount(existing)) => Err(other_amount(&body, &existing)),
            // No reply came back, so Finan may still be working on the POST: a look-up now cannot
            // see it, and a re-send could create a second payment request.
            Ok(Lookup::None) if may_still_be_in_flight(&first) => Err(with_note(
                first,
                &format!(
                    "Finan may still be creating the payment request for reference_id {:?}; \
                     create it again later (the create looks the reference up first)",
                    body.reference_id
                ),
            )),
            Ok(Lookup::None) => self.post_payment(&body).await,
            Err(lookup) => Err(with_note(
                first,
                &format!(
                    "the payment may have been created at Finan, and looking reference_id {:?} up failed ({lookup}); \
                     look it up before creating it again",
                    body.reference_id
                ),
            )),
        }
    }

    /// Creates a payment request for a Finan invoice (`POST /api/v1/payments` with
    /// `reference_type: "invoice"` and `reference_id` = `invoice_id`; no merchant, items or
    /// customer), collecting `amount` (VND, whole đồng) by `method`.
    ///
    /// # Errors
    /// As [`Self::create_payment_with`].
    pub async fn create_invoice_payment(
        &self,
        invoice_id: &str,
        amount: Money,
        method: PaymentMethod,
    ) -> Result<PaymentRequest> {
        let request = CreatePayment::new(amount, invoice_id, method);
        self.create_payment_with(&request, &FinanPaymentOptions::new().invoice())
            .await
    }

    /// One page of payment requests (`GET /api/v1/payments?page=&page_size=`, plus
    /// `reference_type` and `reference_id` when set), each mapped as
    /// [`payment_mapping::payment_request`] (amounts in VND, status, method; no payer action).
    ///
    /// `page` counts from 1; `page_size` is 1 to [`MAX_PAGE_SIZE`]. [`Page::next`] holds the next
    /// page number as text (`"2"`) while `meta.page < meta.total_pages`; [`Page::total`] is
    /// `meta.total_rows`. Without `meta`, a full page is taken to mean there may be another.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] without sending anything for page 0 or a page size outside
    /// 1..=100; [`Error::Unauthorized`], [`Error::RateLimited`], [`Error::Provider`] (5xx),
    /// [`Error::Decode`] for a reply not in the documented shape, [`Error::Transport`].
    pub async fn list_payment_requests(
        &self,
        page: u32,
        page_size: u32,
        filter: &FinanPaymentFilter,
    ) -> Result<Page<PaymentRequest>> {
        self.list_payment_requests_with(page, page_size, filter, &RequestOptions::default())
            .await
    }

    /// [`Self::list_payment_requests`] with per-call [`RequestOptions`] (timeout, retry policy).
    ///
    /// # Errors
    /// As [`Self::list_payment_requests`].
    pub async fn list_payment_requests_with(
        &self,
        page: u32,
        page_size: u32,
        filter: &FinanPaymentFilter,
        options: &RequestOptions,
    ) -> Result<Page<PaymentRequest>> {
        let (items, next, total) = self.list_page_with(page, page_size, filter, options).await?;
        let items = items.into_iter().map(payment_mapping::payment_request).collect();
        Ok(Page::new(items, next.map(|n| PageCursor::new(n.to_string()))).with_total(total))
    }

    /// One payment request by id (`GET /api/v1/payments/:id`), as
    /// [`PaymentProvider::get_payment`], with per-call
    /// [`RequestOptions`] (timeout, retry policy).
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] without sending anything for a blank id (or `.`/`..`);
    /// [`Error::NotFound`] when Finan has no such payment request; otherwise as
    /// [`FinanClient::list_payment_requests`].
    pub async fn get_payment_with(&self, id: &str, options: &RequestOptions) -> Result<PaymentRequest> {
        // "." and ".." would be dropped from the URL path and turn the call into the list endpoint.
        if id.trim().is_empty() || id == "." || id == ".." {
            return Err(invalid(format!("invalid Finan payment request id {id:?}")));
        }
        let segments = [PAYMENTS[0], PAYMENTS[1], PAYMENTS[2], id];
        let reply = self
            .transport()
            .get_with(&segments, &[], "payment request", &options.or(&self.options))
            .await?;
        let item: wire::PaymentRequest = reply.data()?;
        Ok(payment_mapping::payment_request(item))
    }

    async fn list_page(
        &self,
        page: u32,
        page_size: u32,
        filter: &FinanPaymentFilter,
    ) -> Result<(Vec<wire::PaymentRequest>, Option<u64>, Option<u64>)> {
        self.list_page_with(page, page_size, filter, &RequestOptions::default())
            .await
    }

    async fn list_page_with(
        &self,
        page: u32,
        page_size: u32,
        filter: &FinanPaymentFilter,
        options: &RequestOptions,
    ) -> Result<(Vec<wire::PaymentRequest>, Option<u64>, Option<u64>)> {
        paging::check_page(page, page_size)?;
        let (page_text, size_text) = (page.to_string(), page_size.to_string());
        let query = query_of(&[
            ("page", Some(page_text.as_str())),
            ("page_size", Some(size_text.as_str())),
            ("reference_type", filter.reference_type.as_deref()),
            ("reference_id", filter.reference_id.as_deref()),
        ]);
        let reply = self
            .transport()
            .get_with(&PAYMENTS, &query, "payment request list", &options.or(&self.options))
            .await?;
        let items: Option<Vec<wire::PaymentRequest>> = reply.data()?;
        let items = items.unwrap_or_default();
        let (next, total) = paging::next_and_total(reply.meta, page, page_size, items.len());
        Ok((items, next, total))
    }

    /// One POST; the reply mapped with `expires_at` = send time + 30 minutes.
    async fn post_payment(&self, body: &wire::CreatePaymentRequest) -> Result<PaymentRequest> {
        let sent_at = Utc::now();
        let reply = self
            .transport()
            .post(&PAYMENTS, body, "create payment", &self.options)
            .await?;
        let data: wire::CreatedPayment = reply.data()?;
        let validity = chrono::Duration::from_std(PAYMENT_LINK_VALIDITY).expect("30 minutes fits");
        let expires_at: DateTime<FixedOffset> = (sent_at + validity).into();
        Ok(payment_mapping::created_payment(data, body, expires_at))
    }

    /// The payment requests Finan lists for `body`'s reference (and reference type), page after
    /// page. Items with another reference id, or an invoice-linked one for a plain reference (or
    /// the reverse), are not counted.
    async fn look_up(&self, body: &wire::CreatePaymentRequest) -> Result<Lookup> {
        let filter = FinanPaymentFilter {
            reference_type: body.reference_type.clone(),
            reference_id: Some(body.reference_id.clone()),
        };
        let wants_invoice = is_invoice(body.reference_type.as_deref());
        let mut other_amount = None;
        let mut page = 1;
        loop {
            let (items, next, _) = self.list_page(page, MAX_PAGE_SIZE, &filter).await?;
            for item in items {
                // An item without a reference id is not ours: Finan may have ignored the filter.
                let same_reference = item.reference_id.as_deref() == Some(body.reference_id.as_str())
                    && is_invoice(item.reference_type.as_deref()) == wants_invoice;
                if !same_reference {
                    continue;
                }
                if item.amount == body.amount {
                    return Ok(Lookup::Found(item));
                }
                other_amount.get_or_insert(item);
            }
            // Pages are counted here, not taken from the reply: a server that ignores `page` and
            // keeps announcing another one cannot keep a create waiting forever.
            match next {
                None => break,
                Some(_) if page >= MAX_LOOKUP_PAGES => {
                    return Err(Error::Provider(ErrorContext::new(format!(
                        "more than {MAX_LOOKUP_PAGES} pages of payment requests for one reference"
                    ))))
                }
                Some(_) => page += 1,
            }
        }
        Ok(other_amount.map_or(Lookup::None, Lookup::OtherAmount))
    }
}

#[async_trait]
impl PaymentProvider for FinanClient {
    /// [`FinanClient::create_payment_with`] with no merchant and no reference type
    /// (`POST /api/v1/payments`), including its rule against creating two payments for one
    /// reference id: the reference is looked up before the POST (an existing request with the
    /// same amount is returned, another amount is [`Error::Conflict`]), and again after a timeout,
    /// a 5xx or a 409.
    ///
    /// # Errors
    /// As [`FinanClient::create_payment_with`].
    async fn create_payment(&self, request: &CreatePayment) -> Result<PaymentRequest> {
        self.create_payment_with(request, &FinanPaymentOptions::default()).await
    }

    /// One payment request by Finan's id (`GET /api/v1/payments/:id`, the id percent-encoded as
    /// one path segment): amount and paid amount in VND, status (`unpaid` / `partial_paid` /
    /// `paid` / `extra_paid` → Unpaid / PartiallyPaid / Paid / Overpaid, others kept as
    /// [`gateway_core::PaymentStatus::Other`]), method, reference id.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] without sending anything for a blank id (or `.`/`..`);
    /// [`Error::NotFound`] when Finan has no such payment request; otherwise as
    /// [`FinanClient::list_payment_requests`].
    async fn get_payment(&self, id: &str) -> Result<PaymentRequest> {
        self.get_payment_with(id, &RequestOptions::default()).await
    }

    /// One page of payment requests ([`FinanClient::list_payment_requests`] with the filter's
    /// `reference_id`).
    ///
    /// Cursor `None` is page 1; cursor `"N"` (as handed back in [`Page::next`]) is page N. The
    /// page size is [`PageRequest::limit`] (default 50, at most 100).
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for a cursor this client did not hand out; otherwise as
    /// [`FinanClient::list_payment_requests`].
    async fn list_payments(&self, filter: &PaymentFilter, page: PageRequest) -> Result<Page<PaymentRequest>> {
        let number = match &page.cursor {
            None => 1,
            Some(cursor) => cursor
                .as_str()
                .parse::<u32>()
                .ok()
                .filter(|n| *n >= 1)
                .ok_or_else(|| invalid(format!("unknown Finan payment cursor {:?}", cursor.as_str())))?,
        };
        let size = page.limit.unwrap_or(DEFAULT_PAGE_SIZE).clamp(1, MAX_PAGE_SIZE);
        self.list_payment_requests(number, size, &FinanPaymentFilter::from(filter))
            .await
    }
}

fn is_invoice(reference_type: Option<&str>) -> bool {
    reference_type.is_some_and(|t| t.trim().eq_ignore_ascii_case(REFERENCE_TYPE_INVOICE))
}

/// The error for a reference id that already has a payment request for another amount.
fn other_amount(body: &wire::CreatePaymentRequest, existing: &wire::PaymentRequest) -> Error {
    Error::Conflict(ErrorContext::new(format!(
        "reference_id {:?} already has Finan payment request {} for {} VND, not {} VND",
        body.reference_id, existing.payment_request_id, existing.amount, body.amount
    )))
}
