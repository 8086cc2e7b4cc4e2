//! [`SepayPaymentGateway`]: SePay's payment gateway as a [`PaymentProvider`], over the checkout
//! form ([`crate::checkout`]) and the Order API ([`crate::orders`]).
//!
//! One merchant id and one secret key serve both: the key signs the checkout form and, with the
//! merchant id, makes the Order API's `Authorization: Basic base64(merchant_id:secret_key)` (as in
//! SePay's official SDKs, which take one `secret_key`).
//!
//! # How a SePay payment maps to [`PaymentRequest`]
//!
//! An order exists at SePay only once the payer's browser has posted the signed checkout form, so
//! [`PaymentProvider::create_payment`] sends nothing but a look-up: it returns the form to post
//! ([`PayerAction::FormPost`]), and the payment's id is the app's reference id (the form's
//! `order_invoice_number`). [`PaymentProvider::get_payment`] and
//! [`PaymentProvider::list_payments`] read the Order API; `order_status` maps as
//!
//! | SePay `order_status`          | [`PaymentStatus`]                                   |
//! |-------------------------------|-----------------------------------------------------|
//! | `CAPTURED`                    | `Paid`, paid amount = `order_amount`                |
//! | `AUTHENTICATION_NOT_NEEDED`   | `Unpaid` (awaiting payment), paid amount 0          |
//! | `CANCELLED`                   | `Cancelled`                                         |
//! | anything else                 | `Other(status as sent)`                             |
//!
//! ```no_run
//! use gateway_core::{CreatePayment, Money, PayerAction, PaymentMethod, PaymentProvider};
//! use provider_sepay::{CheckoutEnvironment, SecretString, SepayPaymentGateway};
//!
//! # async fn run() -> Result<(), gateway_core::Error> {
//! let gateway = SepayPaymentGateway::builder(
//!     "SP-TEST-XXXXXXX",
//!     SecretString::from("SECRET_KEY"),
//!     CheckoutEnvironment::Sandbox,
//! )
//! .build()?;
//! let amount = Money::parse("150000", gateway_core::Currency::VND).unwrap();
//! let request = CreatePayment::new(amount, "DH123", PaymentMethod::BankTransfer);
//! let payment = gateway.create_payment(&request).await?;
//! if let Some(PayerAction::FormPost { url, fields }) = &payment.payer_action {
//!     // Render an auto-submitting form posting `fields` to `url` in the payer's browser.
//!     # let _ = (url, fields);
//! }
//! // Later: where does it stand?
//! let now = gateway.get_payment("DH123").await?;
//! # let _ = now;
//! # Ok(())
//! # }
//! ```

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use gateway_core::{
    CreatePayment, Currency, Error, ErrorContext, Money, MoneyTotals, Page, PageRequest, PayerAction, PaymentFilter,
    PaymentMethod, PaymentProvider, PaymentRequest, PaymentStatus, Provider,
};
use secrecy::{ExposeSecret, SecretString};

use crate::checkout::{CheckoutEnvironment, CheckoutOrder, CheckoutPaymentMethod, CheckoutSigner};
use crate::order_wire::{Order, OrderStatus};
use crate::orders::{OrderFilter, DEFAULT_PER_PAGE, MAX_PER_PAGE};
use crate::retry::{RequestOptions, RetryPolicy};
use crate::{default_http_client, normalize_base_url, DEFAULT_TIMEOUT};

/// The Order API of SePay's sandbox.
pub const SANDBOX_ORDER_API_URL: &str = "https://pgapi-sandbox.sepay.vn/v1/";

/// The Order API of SePay's production payment gateway.
pub const PRODUCTION_ORDER_API_URL: &str = "https://pgapi.sepay.vn/v1/";

/// Most pages a reference look-up walks (100 orders each) before giving up with an error.
const MAX_LOOKUP_PAGES: u32 = 20;

/// SePay's payment gateway for one merchant: the checkout form and the Order API.
///
/// Cheap to clone (clones share the HTTP client). `Debug` shows the merchant id, environment and
/// URLs, never the secret key; no error of this type contains it either.
#[derive(Clone)]
pub struct SepayPaymentGateway {
    pub(crate) inner: Arc<GatewayInner>,
    /// Per-handle overrides of the builder's timeout and retry policy ([`Self::with_options`]).
    pub(crate) options: RequestOptions,
}

pub(crate) struct GatewayInner {
    pub(crate) signer: CheckoutSigner,
    /// `Basic base64(merchant_id:secret_key)`, kept secret.
    pub(crate) authorization: SecretString,
    /// The Order API base, without a trailing slash (`https://pgapi.sepay.vn/v1`).
    pub(crate) base: String,
    pub(crate) checkout_url: String,
    pub(crate) http: reqwest::Client,
    pub(crate) timeout: Duration,
    /// How Order API reads (GET) are retried; cancel and void never are.
    pub(crate) retry: RetryPolicy,
}

impl fmt::Debug for SepayPaymentGateway {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SepayPaymentGateway")
            .field("merchant_id", &self.inner.signer.merchant_id())
            .field("secret_key", &"[REDACTED]")
            .field("env", &self.inner.signer.env())
            .field("order_api_base_url", &self.inner.base)
            .field("checkout_url", &self.inner.checkout_url)
            .field("timeout", &self.inner.timeout)
            .field("retry", &self.inner.retry)
            .field("options", &self.options)
            .finish()
    }
}

impl SepayPaymentGateway {
    /// A builder for the merchant `merchant_id` (`SP-TEST-XXXXXXX`) with its secret key, in `env`
    /// (which picks the checkout URL and the Order API base URL; both can be overridden).
    pub fn builder(
        merchant_id: impl Into<String>,
        secret_key: SecretString,
        env: CheckoutEnvironment,
    ) -> SepayPaymentGatewayBuilder {
        SepayPaymentGatewayBuilder {
            merchant_id: merchant_id.into(),
            secret_key,
            env,
            order_api_base_url: None,
            checkout_url: None,
            http: None,
            timeout: DEFAULT_TIMEOUT,
            retry: RetryPolicy::default(),
        }
    }

    /// A handle on the same merchant (same HTTP client and secret) whose Order API calls use
    /// `options` (timeout, retry policy of reads) instead of the builder's; what `options` leaves
    /// unset stays as this handle has it. Cancel and void are still sent once whatever the policy.
    ///
    /// ```
    /// use provider_sepay::{CheckoutEnvironment, RequestOptions, RetryPolicy, SecretString, SepayPaymentGateway};
    /// let gateway = SepayPaymentGateway::builder("SP-TEST-1", SecretString::from("k"), CheckoutEnvironment::Sandbox)
    ///     .build()
    ///     .unwrap();
    /// let once = gateway.with_options(RequestOptions::new().retry_policy(RetryPolicy::none()));
    /// # let _ = once;
    /// ```
    pub fn with_options(&self, options: RequestOptions) -> SepayPaymentGateway {
        SepayPaymentGateway {
            inner: Arc::clone(&self.inner),
            options: options.or(&self.options),
        }
    }

    /// The merchant id.
    pub fn merchant_id(&self) -> &str {
        self.inner.signer.merchant_id()
    }

    /// The environment.
    pub fn env(&self) -> CheckoutEnvironment {
        self.inner.signer.env()
    }

    /// The Order API base URL, without a trailing slash.
    pub fn order_api_base_url(&self) -> &str {
        &self.inner.base
    }

    /// Where checkout forms are posted.
    pub fn checkout_url(&self) -> &str {
        &self.inner.checkout_url
    }

    /// The checkout signer of this merchant (same merchant id, key and environment).
    pub fn signer(&self) -> &CheckoutSigner {
        &self.inner.signer
    }

    /// The signed checkout form for `order`, posting to [`Self::checkout_url`] (the environment's
    /// URL unless overridden). As [`CheckoutSigner::form`], with that action URL.
    ///
    /// # Errors
    /// As [`CheckoutSigner::form`].
    pub fn checkout_form(&self, order: &CheckoutOrder) -> Result<crate::CheckoutForm, Error> {
        let mut form = self.inner.signer.form(order)?;
        form.action_url = self.inner.checkout_url.clone();
        Ok(form)
    }

    /// Every order whose `order_invoice_number` is exactly `reference` (`GET order?q=reference`,
    /// page after page; `q` may match more than the invoice number).
    async fn orders_with_reference(&self, reference: &str) -> Result<Vec<Order>, Error> {
        let filter = OrderFilter::default().q(reference);
        let mut found = Vec::new();
        let mut page = 1;
        loop {
            let listed = self.list_orders(&filter, page, MAX_PER_PAGE).await?;
            found.extend(listed.items.into_iter().filter(|o| o.order_invoice_number == reference));
            if listed.next.is_none() {
                return Ok(found);
            }
            if page >= MAX_LOOKUP_PAGES {
                return Err(Error::Provider(ErrorContext::new(format!(
                    "looking up SePay orders matching {reference:?} took more than {MAX_LOOKUP_PAGES} pages"
                ))));
            }
            page += 1;
        }
    }
}

/// The one order among those of one reference that speaks for it: a captured one, else one
/// awaiting payment, else one in a status this crate does not know, else a cancelled one.
fn representative(orders: Vec<Order>) -> Option<Order> {
    let rank = |o: &Order| match o.order_status {
        OrderStatus::Captured => 0,
        OrderStatus::AuthenticationNotNeeded => 1,
        OrderStatus::Other(_) => 2,
        OrderStatus::Cancelled => 3,
    };
    orders.into_iter().min_by_key(rank)
}

/// Configures a [`SepayPaymentGateway`]; from [`SepayPaymentGateway::builder`].
///
/// `Debug` shows the options, never the secret key.
pub struct SepayPaymentGatewayBuilder {
    merchant_id: String,
    secret_key: SecretString,
    env: CheckoutEnvironment,
    order_api_base_url: Option<String>,
    checkout_url: Option<String>,
    http: Option<reqwest::Client>,
    timeout: Duration,
    retry: RetryPolicy,
}

impl fmt::Debug for SepayPaymentGatewayBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SepayPaymentGatewayBuilder")
            .field("merchant_id", &self.merchant_id)
            .field("secret_key", &"[REDACTED]")
            .field("env", &self.env)
            .field("order_api_base_url", &self.order_api_base_url)
            .field("checkout_url", &self.checkout_url)
            .field("custom_http_client", &self.http.is_some())
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .finish()
    }
}

impl SepayPaymentGatewayBuilder {
    /// Sends Order API requests to this base URL instead of the environment's
    /// ([`SANDBOX_ORDER_API_URL`] / [`PRODUCTION_ORDER_API_URL`]): a mock server, the sandbox, a
    /// proxy. Endpoints are appended to it (`{base}/order`, `{base}/order/detail/{id}`, ...).
    pub fn order_api_base_url(mut self, base_url: &str) -> Self {
        self.order_api_base_url = Some(base_url.to_string());
        self
    }

    /// Posts checkout forms to this URL instead of the environment's (for the sandbox).
    pub fn checkout_url(mut self, url: &str) -> Self {
        self.checkout_url = Some(url.to_string());
        self
    }

    /// Sends with this HTTP client (proxies, TLS settings). The timeout still applies per request.
    /// The default client follows no redirect, so the Basic credentials never go elsewhere; a
    /// client given here should not follow them either.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// Timeout of each HTTP request (default 30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How Order API reads (list orders, order detail) are retried: on connection errors,
    /// timeouts, 429, 502, 503 and 504, with backoff, honouring retry-after headers, within a time
    /// budget. Default [`RetryPolicy::default`]; [`RetryPolicy::none`] turns retries off. Cancel
    /// and void (state-changing POSTs) are never retried.
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// The gateway.
    ///
    /// # Errors
    /// [`Error::Configuration`] for an empty merchant id or one with a `:` (it cannot be a Basic
    /// user id), an empty secret key, an Order API base URL or checkout URL that is not an absolute
    /// `http`/`https` URL (or, for the base, has a query, fragment or credentials), a zero timeout,
    /// or an HTTP client that cannot be built.
    pub fn build(self) -> Result<SepayPaymentGateway, Error> {
        let merchant = self.merchant_id;
        if merchant.trim().is_empty() {
            return Err(Error::Configuration("the SePay merchant id is empty".into()));
        }
        if merchant.contains(':') {
            return Err(Error::Configuration(
                "the SePay merchant id cannot contain ':' (it is the Basic auth user id)".into(),
            ));
        }
        if self.secret_key.expose_secret().is_empty() {
            return Err(Error::Configuration("the SePay secret key is empty".into()));
        }
        if self.timeout.is_zero() {
            return Err(Error::Configuration("the timeout must be more than zero".into()));
        }
        let default_base = match self.env {
            CheckoutEnvironment::Sandbox => SANDBOX_ORDER_API_URL,
            CheckoutEnvironment::Production => PRODUCTION_ORDER_API_URL,
        };
        let base = normalize_base_url(self.order_api_base_url.as_deref().unwrap_or(default_base))?;
        let checkout_url = match self.checkout_url {
            Some(url) => {
                let parsed = url::Url::parse(url.trim());
                match parsed {
                    Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some_and(|h| !h.is_empty()) => {
                        u.to_string()
                    }
                    _ => {
                        return Err(Error::Configuration(format!(
                            "invalid SePay checkout URL {url:?}: it must be an absolute http(s) URL"
                        )))
                    }
                }
            }
            None => self.env.action_url().to_string(),
        };
        let http = match self.http {
            Some(http) => http,
            None => default_http_client(self.timeout)?,
        };
        let authorization = {
            use base64::Engine as _;
            let pair = format!("{merchant}:{}", self.secret_key.expose_secret());
            SecretString::from(format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(pair.as_bytes())
            ))
        };
        let signer = CheckoutSigner::new(merchant, self.secret_key, self.env);
        Ok(SepayPaymentGateway {
            options: RequestOptions::default(),
            inner: Arc::new(GatewayInner {
                signer,
                authorization,
                base,
                checkout_url,
                http,
                timeout: self.timeout,
                retry: self.retry,
            }),
        })
    }
}

impl Provider for SepayPaymentGateway {
    fn provider_name(&self) -> &'static str {
        "sepay"
    }
}

#[async_trait]
impl PaymentProvider for SepayPaymentGateway {
    /// The signed checkout form for `request`, unless SePay already has an order for its reference.
    ///
    /// An order exists at SePay only after the payer's browser posts the checkout form, so this
    /// creates nothing at SePay. In order:
    ///
    /// 1. **Checks and builds the form, sending nothing**: the method must be `BankTransfer`
    ///    (`BANK_TRANSFER`) or `Card` (`CARD`) — an e-wallet is [`Error::InvalidRequest`]; the
    ///    items, when given, must add up to the amount; then [`CheckoutSigner::form`]'s checks
    ///    (VND, whole đồng, more than zero; invoice number of 1 to 100 ASCII letters, digits, `_`,
    ///    `-`; absolute redirect URLs). The form: `order_invoice_number` = the reference id,
    ///    `order_description` = the description (default `Thanh toan don hang <reference>`),
    ///    `success_url` / `error_url` / `cancel_url` = the success / failure / cancel redirect URLs.
    /// 2. **Looks the reference up** (`GET order?q=<reference>`, keeping exact invoice-number
    ///    matches), so that calling this twice — after a timeout, a retry, a double click — never
    ///    leads the payer to a second order:
    ///    - an order that is `CAPTURED`, awaiting payment (`AUTHENTICATION_NOT_NEEDED`) or in a
    ///      status this crate does not know is returned as it stands (mapped as in
    ///      [`Self::get_payment`]), **without a form**. To let the payer start again, cancel it
    ///      ([`SepayPaymentGateway::cancel_order`]) and call this again. When its amount differs
    ///      from the request's, the result is [`Error::Conflict`] instead.
    ///    - when the only orders are `CANCELLED` (or there is none), a new form is returned: the
    ///      payer's post makes a new order with the same invoice number.
    /// 3. Returns a [`PaymentRequest`] with id = the reference id, status `Unpaid`, the
    ///    requested method, and [`PayerAction::FormPost`] to [`SepayPaymentGateway::checkout_url`]
    ///    with the fields in posting order.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] as above, before any request; [`Error::Conflict`] as above; any
    /// error of the look-up (`Unauthorized`, `Provider`, `Transport`, ...), since without it a
    /// second order cannot be ruled out.
    async fn create_payment(&self, request: &CreatePayment) -> Result<PaymentRequest, Error> {
        let method = CheckoutPaymentMethod::try_from(request.method)?;
        check_items(request)?;
        let reference = request.reference_id.as_str();
        let description = request
            .description
            .as_deref()
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .map_or_else(|| format!("Thanh toan don hang {reference}"), str::to_string);
        let mut order = CheckoutOrder::new(reference, request.amount, description).payment_method(method);
        let urls = &request.redirect_urls;
        if let Some(u) = &urls.success {
            order = order.success_url(u.clone());
        }
        if let Some(u) = &urls.failure {
            order = order.error_url(u.clone());
        }
        if let Some(u) = &urls.cancel {
            order = order.cancel_url(u.clone());
        }
        let form = self.checkout_form(&order)?;

        let existing = representative(self.orders_with_reference(reference).await?);
        if let Some(existing) = existing.filter(|o| o.order_status != OrderStatus::Cancelled) {
            let mapped = payment_request(existing)?;
            if mapped.amount.amount() != request.amount.amount()
                || mapped.amount.currency() != request.amount.currency()
            {
                return Err(Error::Conflict(ErrorContext::new(format!(
                    "reference_id {reference:?} already has a SePay order for {} {}, not {} {}",
                    mapped.amount.amount(),
                    mapped.amount.currency().code(),
                    request.amount.amount(),
                    request.amount.currency().code()
                ))));
            }
            tracing::info!(target: "provider_sepay", status = ?mapped.status, "SePay order exists for this reference; no new form");
            return Ok(mapped);
        }

        let mut payment = PaymentRequest::new(reference, reference, request.amount, PaymentStatus::Unpaid);
        payment.method = Some(request.method);
        payment.payer_action = Some(PayerAction::from(form));
        Ok(payment)
    }

    /// The order whose `order_invoice_number` is `id` (`GET order?q=<id>`, exact match), else the
    /// order whose SePay id is `id` (`GET order/detail/<id>`), mapped as in the module docs: id =
    /// the invoice number, code = SePay's `order_id` (else its `id`), amount and paid amount in
    /// `order_currency` (VND when absent), method from `payment_method` (`CARD` → Card,
    /// `BANK_TRANSFER` / `NAPAS_BANK_TRANSFER` → BankTransfer). When one invoice number has several
    /// orders (a cancelled one and a new one), the captured one wins, then one awaiting payment.
    ///
    /// A form from [`Self::create_payment`] that the payer has not posted yet is not an order:
    /// [`Error::NotFound`].
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for a blank id, before any request; [`Error::NotFound`] when
    /// neither finds an order; [`Error::Decode`] for an amount in an unknown currency; otherwise
    /// as [`SepayPaymentGateway::list_orders`].
    async fn get_payment(&self, id: &str) -> Result<PaymentRequest, Error> {
        if id.trim().is_empty() {
            return Err(Error::InvalidRequest(ErrorContext::new(
                "the SePay payment id is blank",
            )));
        }
        if let Some(order) = representative(self.orders_with_reference(id).await?) {
            return payment_request(order);
        }
        match self.order_detail(id).await {
            Ok(order) => payment_request(order),
            Err(Error::NotFound(_) | Error::InvalidRequest(_)) => Err(Error::NotFound(ErrorContext::new(format!(
                "SePay has no order with invoice number or id {id:?}"
            )))),
            Err(e) => Err(e),
        }
    }

    /// One page of orders ([`SepayPaymentGateway::list_orders`] with `q` = the filter's reference
    /// id, keeping only exact invoice-number matches), each mapped as in [`Self::get_payment`].
    ///
    /// Cursor `None` is page 1; cursor `"N"` (as handed back in [`Page::next`]) is page N. The
    /// limit is the page size (default 20, clamped to 1..=100).
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for a cursor that is not a page number; otherwise as
    /// [`SepayPaymentGateway::list_orders`].
    async fn list_payments(&self, filter: &PaymentFilter, page: PageRequest) -> Result<Page<PaymentRequest>, Error> {
        let number = match &page.cursor {
            None => 1,
            Some(cursor) => cursor.as_str().parse::<u32>().ok().filter(|n| *n >= 1).ok_or_else(|| {
                Error::InvalidRequest(ErrorContext::new(format!(
                    "{cursor:?} is not a SePay page cursor (a page number from 1)"
                )))
            })?,
        };
        let reference = filter.reference_id.as_deref().filter(|r| !r.is_empty());
        let mut orders_filter = OrderFilter::default();
        if let Some(reference) = reference {
            orders_filter = orders_filter.q(reference);
        }
        let listed = self
            .list_orders(&orders_filter, number, page.limit.unwrap_or(DEFAULT_PER_PAGE))
            .await?;
        let items = listed
            .items
            .into_iter()
            .filter(|o| reference.is_none_or(|r| o.order_invoice_number == r))
            .map(payment_request)
            .collect::<Result<Vec<_>, _>>()?;
        let next = listed.next;
        let total = if reference.is_some() { None } else { listed.total };
        Ok(Page::new(items, next).with_total(total))
    }
}

/// Items, when given, must add up to the amount.
fn check_items(request: &CreatePayment) -> Result<(), Error> {
    if request.items.is_empty() {
        return Ok(());
    }
    let mut totals = MoneyTotals::new();
    for item in &request.items {
        let line = item
            .unit_price
            .checked_mul(u64::from(item.quantity))
            .map_err(|e| Error::InvalidRequest(ErrorContext::new(format!("item {:?}: {e}", item.name))))?;
        totals
            .add(&line)
            .map_err(|e| Error::InvalidRequest(ErrorContext::new(format!("items: {e}"))))?;
    }
    let sum = totals.get(request.amount.currency());
    if totals.iter().count() != 1 || sum.map(|s| s.amount()) != Some(request.amount.amount()) {
        return Err(Error::InvalidRequest(ErrorContext::new(format!(
            "the items add up to {:?}, not the amount {} {}",
            totals
                .iter()
                .map(|m| format!("{} {}", m.amount(), m.currency().code()))
                .collect::<Vec<_>>(),
            request.amount.amount(),
            request.amount.currency().code()
        ))));
    }
    Ok(())
}

/// An order as a [`PaymentRequest`] (see [`SepayPaymentGateway::get_payment`]).
pub(crate) fn payment_request(order: Order) -> Result<PaymentRequest, Error> {
    let code = order.currency_code();
    let currency: Currency = code.parse().map_err(|_| {
        Error::decode(
            "SePay order",
            format!("order {} has an unknown currency {code:?}", order.order_invoice_number),
        )
    })?;
    let amount = Money::new(order.order_amount, currency);
    let (status, paid) = match &order.order_status {
        OrderStatus::Captured => (PaymentStatus::Paid, Some(amount)),
        OrderStatus::AuthenticationNotNeeded => (PaymentStatus::Unpaid, Some(Money::zero(currency))),
        OrderStatus::Cancelled => (PaymentStatus::Cancelled, None),
        OrderStatus::Other(s) => (PaymentStatus::Other(s.clone()), None),
    };
    let method_text = order
        .payment_method
        .clone()
        .or_else(|| order.transactions.iter().find_map(|t| t.payment_method.clone()));
    let method = method_text
        .as_deref()
        .and_then(|m| match m.trim().to_ascii_uppercase().as_str() {
            "CARD" => Some(PaymentMethod::Card),
            "BANK_TRANSFER" | "NAPAS_BANK_TRANSFER" => Some(PaymentMethod::BankTransfer),
            _ => None,
        });
    let mut payment = PaymentRequest::new(
        order.order_invoice_number.clone(),
        order.order_invoice_number,
        amount,
        status,
    );
    payment.code = order.order_id.or(Some(order.id));
    payment.paid_amount = paid;
    payment.method = method;
    Ok(payment)
}
