//! Emulator of the Finan One Open API's account routes (`shared/seeds/000_*`, `001_*`), served
//! under `/open` like `https://api.finan.one/open`.
//!
//! **Independent oracle.** The signature check, envelopes and paging here are written from the
//! provider documents alone and share no code with `provider-finan`: a bug common to both sides
//! would otherwise pass every test and only fail against the real API.
//!
//! Request pipeline (`gate.rs`): count, check the auth headers, buffer the body (1 MiB), check
//! `x-signature`, apply the rate limit, then route. Every answer uses the documented envelope.

mod envelope;
mod gate;
mod handlers;
mod rate_limit;
mod seed;
mod signature;
mod store;
#[cfg(test)]
mod tests;

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::routing::get;

use rate_limit::SlidingWindow;
use store::Store;

/// The Finan emulator's in-memory state: seeded accounts, the credentials it accepts, and test
/// controls (counters, clock skew). Shared by every request through an `Arc`.
pub struct FinanState {
    client_id: String,
    secret_key: String,
    timestamp_tolerance_secs: i64,
    requests_per_minute: Option<u32>,
    clock_skew_secs: AtomicI64,
    requests: AtomicU64,
    rejected_auth: AtomicU64,
    rate_limited: AtomicU64,
    limiter: Option<Mutex<SlidingWindow>>,
    store: Mutex<Store>,
}

impl FinanState {
    /// Builds the state with the deterministic seed data described by `config`.
    pub(crate) fn new(config: &crate::SandboxConfig, credentials: &crate::SandboxCredentials) -> Self {
        Self {
            client_id: credentials.finan_client_id.clone(),
            secret_key: credentials.finan_secret_key.clone(),
            timestamp_tolerance_secs: config.finan_timestamp_tolerance_secs,
            requests_per_minute: config.finan_requests_per_minute,
            clock_skew_secs: AtomicI64::new(0),
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

    /// Requests answered `401` (missing headers, wrong client id, bad or expired timestamp, bad signature).
    pub fn rejected_auth_count(&self) -> u64 {
        self.rejected_auth.load(Ordering::Relaxed)
    }

    /// Requests answered `429` by the per-minute rate limit.
    pub fn rate_limited_count(&self) -> u64 {
        self.rate_limited.load(Ordering::Relaxed)
    }

    /// Moves the server clock used for the `x-timestamp` check: server time = now + `secs`.
    /// Lets tests exercise the tolerance window without sleeping.
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
        let (masters, subs) = {
            let store = self.store();
            (store.masters().len(), store.sub_count())
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
            .finish()
    }
}

/// The Finan router: account routes under `/open`, all behind [`gate::gate`]; anything else is a
/// `404` envelope.
pub(crate) fn router(state: Arc<FinanState>) -> axum::Router {
    axum::Router::new()
        .route("/open/api/v1/master-bank-accounts", get(handlers::list_masters))
        .route(
            "/open/api/v1/bank-accounts",
            get(handlers::list_subs).post(handlers::create_sub),
        )
        .route("/open/api/v1/bank-accounts/{id}", get(handlers::get_sub))
        .method_not_allowed_fallback(handlers::method_not_allowed)
        .fallback(handlers::not_found)
        .layer(axum::middleware::from_fn_with_state(state.clone(), gate::gate))
        .with_state(state)
}
