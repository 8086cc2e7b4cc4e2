//! Invoice endpoints (Finan's business API, `/docs/api/business/invoice`):
//!
//! - `POST /api/v1/invoices`: [`FinanClient::create_invoice`];
//! - `GET /api/v1/invoices?page=&page_size=`: [`FinanClient::list_invoices`] (one page) and
//!   [`FinanClient::stream_invoices`] (every page);
//! - `GET /api/v1/invoices/:id`: [`FinanClient::get_invoice`];
//! - `PUT /api/v1/invoices/:id`: [`FinanClient::update_invoice`] (replaces the whole record);
//! - `DELETE /api/v1/invoices/:id`: [`FinanClient::delete_invoice`];
//! - [`FinanClient::find_invoice_by_code`]: the invoice with a given `invoice_code`,
//!   read from the pages.
//!
//! A create is safe to repeat after a failure without an answer if `invoice_code` is unique, as the
//! sandbox makes it (Finan documents the 409 for `customer_code` only: an assumption here), so a
//! repeat of a create that did reach Finan is refused with [`Error::Conflict`] rather than
//! making a second record ([`FinanClient::find_invoice_by_code`] then fetches the one that exists).
//! The client does that look-up itself when a create fails in a way that may have reached Finan
//! (no answer, a 5xx, an unreadable reply): if a record with the `invoice_code` exists, it is returned
//! as the create's answer; if not, the original error is. The create itself is never re-sent.
//!
//! The five operations have `_with` variants taking [`RequestOptions`] (timeout; retry policy of
//! reads). Reads are retried on connection errors, timeouts, 429, 502, 503 and 504; a create,
//! update or delete is sent once and never re-sent by the client.
//!
//! Errors: [`Error::InvalidRequest`] without sending anything for a body that cannot be right (a
//! blank code, no items, an item with quantity 0, no payment method, a due date before the
//! transaction date) or a blank id, and for Finan's 400 and 422; [`Error::NotFound`] for an id
//! Finan does not know (404); [`Error::Conflict`] for an `invoice_code` another invoice has (409);
//! [`Error::Unauthorized`], [`Error::RateLimited`], [`Error::Provider`] (5xx, or an error code in a
//! 2xx reply), [`Error::Decode`] for a reply not in the documented shape, [`Error::Transport`].
//!
//! An invoice is paid through its `payment_link`, or through a payment request linked to it
//! ([`FinanClient::create_invoice_payment`]: `reference_type: "invoice"`, `reference_id` = the
//! `invoice_id`); [`Invoice::status`] and [`Invoice::paid_amount`] then follow, and the payment's
//! webhook arrives as for any payment request.

use futures::stream::BoxStream;
use gateway_core::{Error, Page, Result};

use crate::business_wire::{Invoice, NewInvoice};
use crate::paging::invalid;
use crate::records::Kind;
use crate::{FinanClient, RequestOptions};

static INVOICES: Kind = Kind {
    path: ["api", "v1", "invoices"],
    noun: "invoice",
    create: "create invoice",
    list: "invoice list",
    get: "invoice",
    update: "update invoice",
    delete: "delete invoice",
};

impl FinanClient {
    /// Creates a invoice (`POST /api/v1/invoices`) and returns it as Finan answers (with its
    /// `invoice_id` and `payment_link`).
    ///
    /// # Errors
    /// See the [module documentation](self); a duplicate `invoice_code` is [`Error::Conflict`].
    pub async fn create_invoice(&self, invoice: &NewInvoice) -> Result<Invoice> {
        self.create_invoice_with(invoice, &RequestOptions::default()).await
    }

    /// [`Self::create_invoice`] with per-call [`RequestOptions`].
    ///
    /// # Errors
    /// As [`Self::create_invoice`].
    pub async fn create_invoice_with(&self, invoice: &NewInvoice, options: &RequestOptions) -> Result<Invoice> {
        check(invoice)?;
        self.record_create(&INVOICES, invoice, options, || {
            self.find_invoice_by_code(&invoice.invoice_code)
        })
        .await
    }

    /// One page of invoices (`GET /api/v1/invoices?page=&page_size=`), oldest first.
    ///
    /// `page` counts from 1; `page_size` is 1 to [`crate::accounts::MAX_PAGE_SIZE`] (100).
    /// [`Page::next`] holds the next page number as text while `meta.page < meta.total_pages`;
    /// [`Page::total`] is `meta.total_rows`.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] without sending anything for page 0 or a page size outside
    /// 1..=100; otherwise see the [module documentation](self).
    pub async fn list_invoices(&self, page: u32, page_size: u32) -> Result<Page<Invoice>> {
        self.list_invoices_with(page, page_size, &RequestOptions::default())
            .await
    }

    /// [`Self::list_invoices`] with per-call [`RequestOptions`].
    ///
    /// # Errors
    /// As [`Self::list_invoices`].
    pub async fn list_invoices_with(
        &self,
        page: u32,
        page_size: u32,
        options: &RequestOptions,
    ) -> Result<Page<Invoice>> {
        self.record_page(&INVOICES, page, page_size, options).await
    }

    /// Every invoice, page after page (100 a page), in Finan's order.
    ///
    /// # Errors
    /// One error item ends the stream: the first failed page's error (as
    /// [`Self::list_invoices`]), or [`Error::Provider`] when the listing stops advancing.
    pub fn stream_invoices(&self) -> BoxStream<'_, Result<Invoice>> {
        self.record_stream(&INVOICES)
    }

    /// The invoice whose `invoice_code` is `code`, found by reading every page (Finan documents no
    /// filter for it): after a create that failed without an answer (a timeout, a 5xx), or was
    /// refused with [`Error::Conflict`], this tells whether the record exists.
    ///
    /// # Errors
    /// As [`Self::list_invoices`].
    pub async fn find_invoice_by_code(&self, code: &str) -> Result<Option<Invoice>> {
        self.record_find(&INVOICES, |i: &Invoice| i.invoice_code == code).await
    }

    /// One invoice by Finan's id (`GET /api/v1/invoices/:id`, the id percent-encoded as one segment).
    ///
    /// # Errors
    /// [`Error::NotFound`] when Finan has no such invoice; otherwise see the
    /// [module documentation](self).
    pub async fn get_invoice(&self, id: &str) -> Result<Invoice> {
        self.get_invoice_with(id, &RequestOptions::default()).await
    }

    /// [`Self::get_invoice`] with per-call [`RequestOptions`].
    ///
    /// # Errors
    /// As [`Self::get_invoice`].
    pub async fn get_invoice_with(&self, id: &str, options: &RequestOptions) -> Result<Invoice> {
        self.record_get(&INVOICES, id, options).await
    }

    /// Replaces a invoice (`PUT /api/v1/invoices/:id` with the whole body) and returns it as
    /// updated (read back when Finan's answer carries no `data`).
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown id; otherwise see the
    /// [module documentation](self).
    pub async fn update_invoice(&self, id: &str, invoice: &NewInvoice) -> Result<Invoice> {
        self.update_invoice_with(id, invoice, &RequestOptions::default()).await
    }

    /// [`Self::update_invoice`] with per-call [`RequestOptions`].
    ///
    /// # Errors
    /// As [`Self::update_invoice`].
    pub async fn update_invoice_with(
        &self,
        id: &str,
        invoice: &NewInvoice,
        options: &RequestOptions,
    ) -> Result<Invoice> {
        check(invoice)?;
        self.record_update(&INVOICES, id, invoice, options).await
    }

    /// Deletes a invoice (`DELETE /api/v1/invoices/:id`).
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown id (or one already deleted); otherwise see
    /// the [module documentation](self).
    pub async fn delete_invoice(&self, id: &str) -> Result<()> {
        self.delete_invoice_with(id, &RequestOptions::default()).await
    }

    /// [`Self::delete_invoice`] with per-call [`RequestOptions`].
    ///
    /// # Errors
    /// As [`Self::delete_invoice`].
    pub async fn delete_invoice_with(&self, id: &str, options: &RequestOptions) -> Result<()> {
        self.record_delete(&INVOICES, id, options).await
    }
}

/// What Finan would refuse for certain, refused before sending.
fn check(invoice: &NewInvoice) -> Result<(), Error> {
    if invoice.invoice_code.trim().is_empty() {
        return Err(invalid("a Finan invoice needs an invoice_code"));
    }
    if invoice.customer.code.trim().is_empty() {
        return Err(invalid("a Finan invoice needs the customer's code"));
    }
    if invoice.items.is_empty() {
        return Err(invalid("a Finan invoice needs at least one item"));
    }
    if let Some(item) = invoice
        .items
        .iter()
        .find(|i| i.quantity == 0 || i.code.trim().is_empty())
    {
        return Err(invalid(format!(
            "invoice item {:?} needs a product code and a quantity of at least 1",
            item.code
        )));
    }
    if invoice.payment_methods.is_empty() {
        return Err(invalid("a Finan invoice needs at least one payment method"));
    }
    if invoice.due_date < invoice.transaction_date {
        return Err(invalid("the invoice's due_date is before its transaction_date"));
    }
    Ok(())
}
