//! Emulator of the Finan One Open API (`shared/seeds/000_*` accounts, `001_*` guide, `002_*`
//! payment gateway), served under `/open` like `https://api.finan.one/open`, plus a payer
//! simulation under `/__sandbox/finan` that stands in for customers, the clock and Finan's portal.
//!
//! **Independent oracle.** The signature check, envelopes, paging, VietQR payload and webhook
//! signing here are written from the provider documents alone and share no code with
//! `provider-finan`: a bug common to both sides would otherwise pass every test and only fail
//! against the real API.
//!
//! Request pipeline: count (`gate.rs`), apply a pending fault ([`crate::faults`]; the control
//! endpoint `/__sandbox/faults` is on this listener), then (`gate.rs`) check the auth headers, buffer the body (1 MiB), check
//! `x-signature`, apply the rate limit, then route. Every answer uses the documented envelope.
//!
//! | route | signed | what it does |
//! |---|---|---|
//! | `GET /open/api/v1/master-bank-accounts` | yes | master accounts (`id`, `account_number` filters) |
//! | `GET, POST /open/api/v1/bank-accounts` | yes | sub accounts: paged list, create |
//! | `GET /open/api/v1/bank-accounts/{id}` | yes | one sub account |
//! | `GET, POST /open/api/v1/payments` | yes | payment requests: paged list (`reference_type`, `reference_id`), create |
//! | `GET /open/api/v1/payments/{id}` | yes | one payment request |
//! | `GET, POST /open/api/v1/customers`, `/products`, `/invoices` | yes | paged list, create (`409` on a duplicate `customer_code`, `sku_code`, `invoice_code`) |
//! | `GET, PUT, DELETE /open/api/v1/customers/{id}`, `/products/{id}`, `/invoices/{id}` | yes | one record: read, replace, delete (`business.rs` has the checks and the invoice totals) |
//! | `GET /__sandbox/finan/invoices/{id}` | no | the page an invoice's `payment_link` points to |
//! | `POST /__sandbox/finan/payments/{id}/pay` | no | `{"amount": 3000000, "method"?: "card"}`: a customer pays; the webhook follows |
//! | `POST /__sandbox/finan/payments/{id}/expire` | no | the request's 30 minutes end now |
//! | `GET, POST /__sandbox/finan/webhook` | no | read or set `{"url": "http://127.0.0.1:PORT/path"}` (`null` removes it) |
//! | `GET /__sandbox/finan/webhook/deliveries` | no | every webhook attempt: url, status code or error, attempt, payment |
//! | `GET, POST /open/api/v1/payouts` | yes | payouts: paged list (`reference_id`), create (`422` insufficient balance, `409` used `reference_id`; see `payout_handlers.rs`) |
//! | `GET /open/api/v1/payouts/{id}`, `POST /open/api/v1/payouts/{id}/otps` | yes | one payout; confirm with `{"otp": "…"}` (`400` wrong OTP) |
//! | `GET /__sandbox/finan/payouts/{id}/otp` | no | `{"otp": "123456"}`: the OTP the sandbox "sent" for a payout |
//! | `POST /__sandbox/finan/payouts/{id}/settle` | no | `{"status": "done" \| "failed"}` ends a `processing` payout |
//! | `GET, POST /__sandbox/finan/payouts/settings` | no | `{"enterprise": true, "ip_whitelist": null, "auto_settle": true}` (`403` rules; POST changes the fields given) |
//! | `POST /__sandbox/finan/accounts/{id}/balance` | no | `{"balance": 1000000}`: a master account's balance, which payouts draw on |
//! | `GET, POST, DELETE /__sandbox/faults` | no | fault injection on this listener: read, add `{"route": "GET /open/api/v1/payments", "type": "status", "code": 503, "count": 2}`, clear (see [`crate::faults`]) |
//!
//! The same controls exist in-process on [`FinanState`]: [`FinanState::pay`],
//! [`FinanState::expire`], [`FinanState::set_webhook_url`], [`FinanState::deliveries`],
//! [`FinanState::wait_for_deliveries`], [`FinanState::payment_requests`], [`FinanState::faults`],
//! [`FinanState::invoice`], [`FinanState::invoices`], and for payouts [`FinanState::payout_otp`],
//! [`FinanState::settle_payout`], [`FinanState::set_payout_enterprise`],
//! [`FinanState::set_payout_ip_whitelist`], [`FinanState::set_payout_auto_settle`],
//! [`FinanState::set_balance`], [`FinanState::balance`], [`FinanState::payouts`].
//!
//! Control answers: `200` with the envelope; `404` unknown payment request, `409` expired request,
//! `422` zero or negative amount or unknown method, `400` malformed body.
//!
//! Webhooks (`webhooks.rs`) are signed like requests (method `POST`, the receiver's path and
//! query), re-signed on every attempt, and retried after a non-2xx reply or a connection error on
//! [`crate::SandboxConfig::finan_webhook_retry_delays`] (documented: 5, 10, 15 minutes); a reply
//! slower than [`crate::SandboxConfig::finan_webhook_timeout`] counts as "Timeout" and, as
//! documented, is not retried.

mod business;
mod business_handlers;
mod envelope;
mod gate;
mod handlers;
mod payer;
mod payment_body;
mod payment_handlers;
mod payment_wire;
mod payments;
mod payout_handlers;
mod payouts;
mod query;
mod rate_limit;
mod seed;
mod signature;
mod store;
mod vietqr;
mod webhooks;

#[cfg(test)]
mod business_tests;
#[cfg(test)]
mod payment_tests;
#[cfg(test)]
mod payout_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod webhook_tests;

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::response::IntoResponse;
use axum::routing::{get, post};

pub use business::InvoiceSummary;
pub use payments::{
    BankTransferDetail, Item, Party, PayError, PaymentMethod, PaymentReceipt, PaymentRecord, PaymentRequest,
    PaymentStatus,
};
pub use payouts::{Payout, PayoutError, PayoutSettings, PayoutStatus};
pub use webhooks::Delivery;

use rate_limit::SlidingWindow;
use store::Store;
use webhooks::Webhooks;

/// The Finan emulator's in-memory state: seeded accounts, payment requests, the credentials it
/// accepts, webhook delivery, and test controls (counters, clock skew, the payer simulation).
/// Shared by every request through an `Arc`.
pub struct FinanState {
    client_id: String,
    secret_key: String,
    timestamp_tolerance_secs: i64,
    requests_per_minute: Option<u32>,
    /// Shared with the webhook sender, whose timestamps follow the same clock.
    clock_skew_secs: Arc<AtomicI64>,
    requests: AtomicU64,
    rejected_auth: AtomicU64,
    rate_limited: AtomicU64,
    limiter: Option<Mutex<SlidingWindow>>,
    store: Mutex<Store>,
    webhooks: Arc<Webhooks>,
    faults: Arc<crate::faults::Faults>,
}

impl FinanState {
    /// Builds the state with the deterministic seed data described by `config`.
    pub(crate) fn new(config: &crate::SandboxConfig, credentials: &crate::SandboxCredentials) -> Self {
        let clock_skew_secs = Arc::new(AtomicI64::new(0));
        let faults = Arc::new(crate::faults::Faults::default());
        let webhooks = Arc::new(Webhooks::new(config, credentials, clock_skew_secs.clone()));
        webhooks.set_faults(faults.clone());
        Self {
            client_id: credentials.finan_client_id.clone(),
            secret_key: credentials.finan_secret_key.clone(),
            timestamp_tolerance_secs: config.finan_timestamp_tolerance_secs,
            requests_per_minute: config.finan_requests_per_minute,
            webhooks,
            faults,
            clock_skew_secs,
            requests: AtomicU64::new(0),
            rejected_auth: AtomicU64::new(0),
            rate_limited: AtomicU64::new(0),
            limiter: config
                .finan_requests_per_minute
                .map(|n| Mutex::new(SlidingWindow::per_minute(n))),
            store: Mutex::new(seed::store(config.finan_sub_accounts.max(1))),
        }
    }

    /// Requests that reached a `/open` route, whatever the answer (401, 429, 404 included).
    pub fn request_count(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// The faults injected into this listener's routes and webhooks (see [`crate::faults`]);
    /// also reachable as `/__sandbox/faults` on this listener.
    pub fn faults(&self) -> &crate::faults::Faults {
        &self.faults
    }

    /// Requests answered `401` (missing headers, wrong client id, bad or expired timestamp, bad signature).
    pub fn rejected_auth_count(&self) -> u64 {
        self.rejected_auth.load(Ordering::Relaxed)
    }

    /// Requests answered `429` by the per-minute rate limit.
    pub fn rate_limited_count(&self) -> u64 {
        self.rate_limited.load(Ordering::Relaxed)
    }

    /// Moves the server clock: server time = now + `secs`. It drives the `x-timestamp` check,
    /// payment request expiry (30 minutes) and webhook timestamps, so tests exercise the tolerance
    /// window and expiry without sleeping.
    pub fn set_clock_skew_secs(&self, secs: i64) {
        self.clock_skew_secs.store(secs, Ordering::Relaxed);
    }

    /// The master bank accounts' `account_id`s, in listing order.
    pub fn master_account_ids(&self) -> Vec<String> {
        self.store().masters().iter().map(|a| a.account_id.clone()).collect()
    }

    /// How many sub bank accounts exist (seeded plus created through the API).
    pub fn sub_account_count(&self) -> usize {
        self.store().sub_count()
    }

    /// Server time in Unix seconds, skew applied.
    fn now_unix(&self) -> i64 {
        chrono::Utc::now().timestamp() + self.clock_skew_secs.load(Ordering::Relaxed)
    }

    fn store(&self) -> MutexGuard<'_, Store> {
        // A panic while holding the lock cannot leave the store half-updated in a way that matters
        // to a test double, so recover from poisoning rather than failing every later request.
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl std::fmt::Debug for FinanState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Read the store once: a guard held as a temporary across the chain would deadlock a second lock.
        let (masters, subs, payment_requests) = {
            let store = self.store();
            (store.masters().len(), store.sub_count(), store.payments().len())
        };
        f.debug_struct("FinanState")
            .field("client_id", &self.client_id)
            .field("secret_key", &self.secret_key)
            .field("timestamp_tolerance_secs", &self.timestamp_tolerance_secs)
            .field("clock_skew_secs", &self.clock_skew_secs.load(Ordering::Relaxed))
            .field("requests_per_minute", &self.requests_per_minute)
            .field("request_count", &self.request_count())
            .field("rejected_auth_count", &self.rejected_auth_count())
            .field("rate_limited_count", &self.rate_limited_count())
            .field("master_accounts", &masters)
            .field("sub_accounts", &subs)
            .field("payment_requests", &payment_requests)
            .field("webhooks", &self.webhooks)
            .finish()
    }
}

/// The Finan router: API routes under `/open`, all behind [`gate::gate`]; the payer simulation
/// under `/__sandbox/finan`, which the gate lets through; anything else is a `404` envelope.
pub(crate) fn router(state: Arc<FinanState>) -> axum::Router {
    axum::Router::new()
        .route("/open/api/v1/master-bank-accounts", get(handlers::list_masters))
        .route(
            "/open/api/v1/bank-accounts",
            get(handlers::list_subs).post(handlers::create_sub),
        )
        .route("/open/api/v1/bank-accounts/{id}", get(handlers::get_sub))
        .route(
            "/open/api/v1/payments",
            get(payment_handlers::list).post(payment_handlers::create),
        )
        .route("/open/api/v1/payments/{id}", get(payment_handlers::get))
        .route(
            "/open/api/v1/customers",
            get(business_handlers::list_customers).post(business_handlers::create_customer),
        )
        .route(
            "/open/api/v1/customers/{id}",
            get(business_handlers::get_customer)
                .put(business_handlers::update_customer)
                .delete(business_handlers::delete_customer),
        )
        .route(
            "/open/api/v1/products",
            get(business_handlers::list_products).post(business_handlers::create_product),
        )
        .route(
            "/open/api/v1/products/{id}",
            get(business_handlers::get_product)
                .put(business_handlers::update_product)
                .delete(business_handlers::delete_product),
        )
        .route(
            "/open/api/v1/invoices",
            get(business_handlers::list_invoices).post(business_handlers::create_invoice),
        )
        .route(
            "/open/api/v1/invoices/{id}",
            get(business_handlers::get_invoice)
                .put(business_handlers::update_invoice)
                .delete(business_handlers::delete_invoice),
        )
        .route("/__sandbox/finan/invoices/{id}", get(business_handlers::invoice_page))
        .route("/__sandbox/finan/payments/{id}/pay", post(payer::pay))
        .route("/__sandbox/finan/payments/{id}/expire", post(payer::expire))
        .route(
            "/__sandbox/finan/webhook",
            get(payer::get_webhook).post(payer::set_webhook),
        )
        .route("/__sandbox/finan/webhook/deliveries", get(payer::deliveries))
        .route(
            "/open/api/v1/payouts",
            get(payout_handlers::list).post(payout_handlers::create),
        )
        .route("/open/api/v1/payouts/{id}", get(payout_handlers::get))
        .route("/open/api/v1/payouts/{id}/otps", post(payout_handlers::confirm))
        .route("/__sandbox/finan/payouts/{id}/otp", get(payout_handlers::otp))
        .route("/__sandbox/finan/payouts/{id}/settle", post(payout_handlers::settle))
        .route(
            "/__sandbox/finan/payouts/settings",
            get(payout_handlers::get_settings).post(payout_handlers::set_settings),
        )
        .route(
            "/__sandbox/finan/accounts/{id}/balance",
            post(payout_handlers::set_balance),
        )
        .route("/__sandbox/faults", crate::faults::control(state.faults.clone()))
        .method_not_allowed_fallback(handlers::method_not_allowed)
        .fallback(handlers::not_found)
        .layer(axum::middleware::from_fn_with_state(state.clone(), gate::gate))
        .layer(axum::middleware::from_fn_with_state(
            crate::faults::Layer {
                faults: state.faults.clone(),
                style: crate::faults::Style {
                    error: |_, status, message| envelope::ApiError::new(status, message).into_response(),
                    retry_after_header: |_| "retry-after",
                },
            },
            crate::faults::apply,
        ))
        .layer(axum::middleware::from_fn_with_state(state.clone(), gate::count))
        .with_state(state)
}
