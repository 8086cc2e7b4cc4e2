//! Product endpoints (Finan's business API, `/docs/api/business/product`):
//!
//! - `POST /api/v1/products`: [`FinanClient::create_product`];
//! - `GET /api/v1/products?page=&page_size=`: [`FinanClient::list_products`] (one page) and
//!   [`FinanClient::stream_products`] (every page);
//! - `GET /api/v1/products/:id`: [`FinanClient::get_product`];
//! - `PUT /api/v1/products/:id`: [`FinanClient::update_product`] (replaces the whole record);
//! - `DELETE /api/v1/products/:id`: [`FinanClient::delete_product`];
//! - [`FinanClient::find_product_by_sku`]: the product with a given `sku_code`,
//!   read from the pages.
//!
//! A create is safe to repeat after a failure without an answer if `sku_code` is unique, as the
//! sandbox makes it (Finan documents the 409 for `customer_code` only: an assumption here), so a
//! repeat of a create that did reach Finan is refused with [`Error::Conflict`] rather than
//! making a second record ([`FinanClient::find_product_by_sku`] then fetches the one that exists).
//! The client does that look-up itself when a create fails in a way that may have reached Finan
//! (no answer, a 5xx, an unreadable reply): if a record with the `sku_code` exists, it is returned
//! as the create's answer; if not, the original error is. The create itself is never re-sent.
//!
//! The five operations have `_with` variants taking [`RequestOptions`] (timeout; retry policy of
//! reads). Reads are retried on connection errors, timeouts, 429, 502, 503 and 504; a create,
//! update or delete is sent once and never re-sent by the client.
//!
//! Errors: [`Error::InvalidRequest`] without sending anything for a body that cannot be right (a
//! blank name or SKU code) or a blank id, and for Finan's 400 and 422; [`Error::NotFound`] for an
//! id Finan does not know (404); [`Error::Conflict`] for a `sku_code` another product has (409);
//! [`Error::Unauthorized`], [`Error::RateLimited`], [`Error::Provider`] (5xx, or an error code in a
//! 2xx reply), [`Error::Decode`] for a reply not in the documented shape, [`Error::Transport`].

use futures::stream::BoxStream;
use gateway_core::{Error, Page, Result};

use crate::business_wire::{NewProduct, Product};
use crate::paging::invalid;
use crate::records::Kind;
use crate::{FinanClient, RequestOptions};

static PRODUCTS: Kind = Kind {
    path: ["api", "v1", "products"],
    noun: "product",
    create: "create product",
    list: "product list",
    get: "product",
    update: "update product",
    delete: "delete product",
};

impl FinanClient {
    /// Creates a product (`POST /api/v1/products`) and returns it as Finan answers (with its
    /// `product_id`).
    ///
    /// # Errors
    /// See the [module documentation](self); a duplicate `sku_code` is [`Error::Conflict`].
    pub async fn create_product(&self, product: &NewProduct) -> Result<Product> {
        self.create_product_with(product, &RequestOptions::default()).await
    }

    /// [`Self::create_product`] with per-call [`RequestOptions`].
    ///
    /// # Errors
    /// As [`Self::create_product`].
    pub async fn create_product_with(&self, product: &NewProduct, options: &RequestOptions) -> Result<Product> {
        check(product)?;
        self.record_create(&PRODUCTS, product, options, || {
            self.find_product_by_sku(&product.general_info.sku_code)
        })
        .await
    }

    /// One page of products (`GET /api/v1/products?page=&page_size=`), oldest first.
    ///
    /// `page` counts from 1; `page_size` is 1 to [`crate::accounts::MAX_PAGE_SIZE`] (100).
    /// [`Page::next`] holds the next page number as text while `meta.page < meta.total_pages`;
    /// [`Page::total`] is `meta.total_rows`.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] without sending anything for page 0 or a page size outside
    /// 1..=100; otherwise see the [module documentation](self).
    pub async fn list_products(&self, page: u32, page_size: u32) -> Result<Page<Product>> {
        self.list_products_with(page, page_size, &RequestOptions::default())
            .await
    }

    /// [`Self::list_products`] with per-call [`RequestOptions`].
    ///
    /// # Errors
    /// As [`Self::list_products`].
    pub async fn list_products_with(
        &self,
        page: u32,
        page_size: u32,
        options: &RequestOptions,
    ) -> Result<Page<Product>> {
        self.record_page(&PRODUCTS, page, page_size, options).await
    }

    /// Every product, page after page (100 a page), in Finan's order.
    ///
    /// # Errors
    /// One error item ends the stream: the first failed page's error (as
    /// [`Self::list_products`]), or [`Error::Provider`] when the listing stops advancing.
    pub fn stream_products(&self) -> BoxStream<'_, Result<Product>> {
        self.record_stream(&PRODUCTS)
    }

    /// The product whose `sku_code` is `sku_code`, found by reading every page (Finan documents no
    /// filter for it): after a create that failed without an answer (a timeout, a 5xx), or was
    /// refused with [`Error::Conflict`], this tells whether the record exists.
    ///
    /// # Errors
    /// As [`Self::list_products`].
    pub async fn find_product_by_sku(&self, sku_code: &str) -> Result<Option<Product>> {
        self.record_find(&PRODUCTS, |p: &Product| p.general_info.sku_code == sku_code)
            .await
    }

    /// One product by Finan's id (`GET /api/v1/products/:id`, the id percent-encoded as one segment).
    ///
    /// # Errors
    /// [`Error::NotFound`] when Finan has no such product; otherwise see the
    /// [module documentation](self).
    pub async fn get_product(&self, id: &str) -> Result<Product> {
        self.get_product_with(id, &RequestOptions::default()).await
    }

    /// [`Self::get_product`] with per-call [`RequestOptions`].
    ///
    /// # Errors
    /// As [`Self::get_product`].
    pub async fn get_product_with(&self, id: &str, options: &RequestOptions) -> Result<Product> {
        self.record_get(&PRODUCTS, id, options).await
    }

    /// Replaces a product (`PUT /api/v1/products/:id` with the whole body) and returns it as
    /// updated (read back when Finan's answer carries no `data`).
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown id; [`Error::Conflict`] when the new SKU code is another
    /// product's; otherwise see the [module documentation](self).
    pub async fn update_product(&self, id: &str, product: &NewProduct) -> Result<Product> {
        self.update_product_with(id, product, &RequestOptions::default()).await
    }

    /// [`Self::update_product`] with per-call [`RequestOptions`].
    ///
    /// # Errors
    /// As [`Self::update_product`].
    pub async fn update_product_with(
        &self,
        id: &str,
        product: &NewProduct,
        options: &RequestOptions,
    ) -> Result<Product> {
        check(product)?;
        self.record_update(&PRODUCTS, id, product, options).await
    }

    /// Deletes a product (`DELETE /api/v1/products/:id`).
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown id (or one already deleted); otherwise see
    /// the [module documentation](self).
    pub async fn delete_product(&self, id: &str) -> Result<()> {
        self.delete_product_with(id, &RequestOptions::default()).await
    }

    /// [`Self::delete_product`] with per-call [`RequestOptions`].
    ///
    /// # Errors
    /// As [`Self::delete_product`].
    pub async fn delete_product_with(&self, id: &str, options: &RequestOptions) -> Result<()> {
        self.record_delete(&PRODUCTS, id, options).await
    }
}

/// What Finan would refuse for certain, refused before sending.
fn check(product: &NewProduct) -> Result<(), Error> {
    if product.general_info.item_name.trim().is_empty() {
        return Err(invalid("a Finan product needs an item_name"));
    }
    if product.general_info.sku_code.trim().is_empty() {
        return Err(invalid("a Finan product needs a sku_code"));
    }
    Ok(())
}
