//! Customer endpoints (Finan's business API, `/docs/api/business/customer`):
//!
//! - `POST /api/v1/customers`: [`FinanClient::create_customer`];
//! - `GET /api/v1/customers?page=&page_size=`: [`FinanClient::list_customers`] (one page) and
//!   [`FinanClient::stream_customers`] (every page);
//! - `GET /api/v1/customers/:id`: [`FinanClient::get_customer`];
//! - `PUT /api/v1/customers/:id`: [`FinanClient::update_customer`] (replaces the whole record);
//! - `DELETE /api/v1/customers/:id`: [`FinanClient::delete_customer`];
//! - [`FinanClient::find_customer_by_code`]: the customer with a given `customer_code`,
//!   read from the pages.
//!
//! A create is safe to repeat after a failure without an answer: `customer_code` is unique, so a
//! repeat of a create that did reach Finan is refused with [`Error::Conflict`] rather than
//! making a second record ([`FinanClient::find_customer_by_code`] then fetches the one that exists).
//! The client does that look-up itself when a create fails in a way that may have reached Finan
//! (no answer, a 5xx, an unreadable reply): if a record with the `customer_code` exists, it is returned
//! as the create's answer; if not, the original error is. The create itself is never re-sent.
//!
//! The five operations have `_with` variants taking [`RequestOptions`] (timeout; retry policy of
//! reads). Reads are retried on connection errors, timeouts, 429, 502, 503 and 504; a create,
//! update or delete is sent once and never re-sent by the client.
//!
//! Errors: [`Error::InvalidRequest`] without sending anything for a body that cannot be right (a
//! blank name or code, a company without a contact person) or a blank id, and for Finan's 400 and
//! 422; [`Error::NotFound`] for an id Finan does not know (404); [`Error::Conflict`] for a
//! `customer_code` another customer has (409); [`Error::Unauthorized`], [`Error::RateLimited`],
//! [`Error::Provider`] (5xx, or an error code in a 2xx reply), [`Error::Decode`] for a reply not in
//! the documented shape, [`Error::Transport`].

use futures::stream::BoxStream;
use gateway_core::{Error, Page, Result};

use crate::business_wire::{Customer, CustomerType, NewCustomer};
use crate::paging::invalid;
use crate::records::Kind;
use crate::{FinanClient, RequestOptions};

static CUSTOMERS: Kind = Kind {
    path: ["api", "v1", "customers"],
    noun: "customer",
    create: "create customer",
    list: "customer list",
    get: "customer",
    update: "update customer",
    delete: "delete customer",
};

impl FinanClient {
    /// Creates a customer (`POST /api/v1/customers`) and returns it as Finan answers (with its
    /// `customer_id`).
    ///
    /// # Errors
    /// See the [module documentation](self); a duplicate `customer_code` is [`Error::Conflict`].
    pub async fn create_customer(&self, customer: &NewCustomer) -> Result<Customer> {
        self.create_customer_with(customer, &RequestOptions::default()).await
    }

    /// [`Self::create_customer`] with per-call [`RequestOptions`].
    ///
    /// # Errors
    /// As [`Self::create_customer`].
    pub async fn create_customer_with(&self, customer: &NewCustomer, options: &RequestOptions) -> Result<Customer> {
        check(customer)?;
        self.record_create(&CUSTOMERS, customer, options, || {
            self.find_customer_by_code(&customer.general_info.customer_code)
        })
        .await
    }

    /// One page of customers (`GET /api/v1/customers?page=&page_size=`), oldest first.
    ///
    /// `page` counts from 1; `page_size` is 1 to [`crate::accounts::MAX_PAGE_SIZE`] (100).
    /// [`Page::next`] holds the next page number as text while `meta.page < meta.total_pages`;
    /// [`Page::total`] is `meta.total_rows`.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] without sending anything for page 0 or a page size outside
    /// 1..=100; otherwise see the [module documentation](self).
    pub async fn list_customers(&self, page: u32, page_size: u32) -> Result<Page<Customer>> {
        self.list_customers_with(page, page_size, &RequestOptions::default())
            .await
    }

    /// [`Self::list_customers`] with per-call [`RequestOptions`].
    ///
    /// # Errors
    /// As [`Self::list_customers`].
    pub async fn list_customers_with(
        &self,
        page: u32,
        page_size: u32,
        options: &RequestOptions,
    ) -> Result<Page<Customer>> {
        self.record_page(&CUSTOMERS, page, page_size, options).await
    }

    /// Every customer, page after page (100 a page), in Finan's order.
    ///
    /// # Errors
    /// One error item ends the stream: the first failed page's error (as
    /// [`Self::list_customers`]), or [`Error::Provider`] when the listing stops advancing.
    pub fn stream_customers(&self) -> BoxStream<'_, Result<Customer>> {
        self.record_stream(&CUSTOMERS)
    }

    /// The customer whose `customer_code` is `code`, found by reading every page (Finan documents no
    /// filter for it): after a create that failed without an answer (a timeout, a 5xx), or was
    /// refused with [`Error::Conflict`], this tells whether the record exists.
    ///
    /// # Errors
    /// As [`Self::list_customers`].
    pub async fn find_customer_by_code(&self, code: &str) -> Result<Option<Customer>> {
        self.record_find(&CUSTOMERS, |c: &Customer| c.general_info.customer_code == code)
            .await
    }

    /// One customer by Finan's id (`GET /api/v1/customers/:id`, the id percent-encoded as one segment).
    ///
    /// # Errors
    /// [`Error::NotFound`] when Finan has no such customer; otherwise see the
    /// [module documentation](self).
    pub async fn get_customer(&self, id: &str) -> Result<Customer> {
        self.get_customer_with(id, &RequestOptions::default()).await
    }

    /// [`Self::get_customer`] with per-call [`RequestOptions`].
    ///
    /// # Errors
    /// As [`Self::get_customer`].
    pub async fn get_customer_with(&self, id: &str, options: &RequestOptions) -> Result<Customer> {
        self.record_get(&CUSTOMERS, id, options).await
    }

    /// Replaces a customer (`PUT /api/v1/customers/:id` with the whole body) and returns it as
    /// updated (read back when Finan's answer carries no `data`).
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown id; [`Error::Conflict`] when the new code is another
    /// customer's; otherwise see the [module documentation](self).
    pub async fn update_customer(&self, id: &str, customer: &NewCustomer) -> Result<Customer> {
        self.update_customer_with(id, customer, &RequestOptions::default())
            .await
    }

    /// [`Self::update_customer`] with per-call [`RequestOptions`].
    ///
    /// # Errors
    /// As [`Self::update_customer`].
    pub async fn update_customer_with(
        &self,
        id: &str,
        customer: &NewCustomer,
        options: &RequestOptions,
    ) -> Result<Customer> {
        check(customer)?;
        self.record_update(&CUSTOMERS, id, customer, options).await
    }

    /// Deletes a customer (`DELETE /api/v1/customers/:id`).
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown id (or one already deleted); otherwise see
    /// the [module documentation](self).
    pub async fn delete_customer(&self, id: &str) -> Result<()> {
        self.delete_customer_with(id, &RequestOptions::default()).await
    }

    /// [`Self::delete_customer`] with per-call [`RequestOptions`].
    ///
    /// # Errors
    /// As [`Self::delete_customer`].
    pub async fn delete_customer_with(&self, id: &str, options: &RequestOptions) -> Result<()> {
        self.record_delete(&CUSTOMERS, id, options).await
    }
}

/// What Finan would refuse for certain, refused before sending.
fn check(customer: &NewCustomer) -> Result<(), Error> {
    let info = &customer.general_info;
    if info.name.trim().is_empty() {
        return Err(invalid("a Finan customer needs a name"));
    }
    if info.customer_code.trim().is_empty() {
        return Err(invalid("a Finan customer needs a customer_code"));
    }
    if info.customer_type == CustomerType::Company && info.contact_persons.is_empty() {
        return Err(invalid("a Finan company customer needs at least one contact person"));
    }
    Ok(())
}
