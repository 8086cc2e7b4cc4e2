//! One Rust interface to Vietnamese bank and payment providers.
//!
//! An app depends on `gateway`, turns providers on with cargo features (`finan`, `sepay`; both on
//! by default) and talks to every provider through the same traits, so swapping one provider
//! for another does not change its code:
//!
//! - [`BankAccountProvider`]: list and get bank accounts (master and virtual), page by page or as
//!   one stream of every account;
//! - [`PaymentProvider`]: create, get and list payment requests (Finan One so far);
//! - [`WebhookVerifier`]: verify a provider's webhook (signature in constant time, replay window,
//!   body size limit) and parse it into a provider-neutral [`PaymentEvent`];
//! - [`vietqr`]: encode, decode and (feature `qr-render`) render NAPAS VietQR strings;
//! - [`Money`] and [`Currency`]: exact decimal amounts with their ISO 4217 currency (VND has no
//!   minor unit), never `f64`;
//! - [`Error`]: one error type for every provider.
//!
//! Providers: [`finan`] (Finan One Open API, signed requests) and [`sepay`] (SePay, API token or
//! OAuth 2.0). [`connection`] builds named connections from environment variables, and
//! [`aggregate`] lists every account of several connections at once.
//!
//! Feature `axum` (off by default) adds `receiver`: a ready webhook receiver, an axum `Router`
//! that verifies each provider's deliveries, deduplicates them by event id, hands the
//! [`PaymentEvent`] to the app's handler and answers the way each provider expects.
//!
//! ```no_run
//! use futures::TryStreamExt;
//! use gateway::{BankAccountProvider, finan::FinanClient};
//! use gateway::SecretString;
//!
//! # async fn demo() -> Result<(), gateway::Error> {
//! let finan = FinanClient::builder()
//!     .client_id("YOUR_CLIENT_ID")
//!     .secret_key(SecretString::from("YOUR_SECRET_KEY"))
//!     .build()?;
//! let provider: &dyn BankAccountProvider = &finan;
//! let accounts: Vec<_> = provider.stream_accounts().try_collect().await?;
//! for a in &accounts {
//!     println!("{} {} {}", a.bank.short_name, a.account_number, a.account_holder_name);
//! }
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

pub mod aggregate;
pub mod connection;
#[cfg(feature = "axum")]
pub mod receiver;

pub use gateway_core::*;

/// `secrecy`, whose `SecretString` carries every secret key, token and client secret.
pub use secrecy;
pub use secrecy::SecretString;

/// The provider-neutral core (traits, models, money, errors), also re-exported at the crate root.
pub use gateway_core as core;

/// NAPAS VietQR strings: [`vietqr::VietQr`] (always available; images with feature `qr-render`).
pub use gateway_vietqr as vietqr;

/// Finan One Open API (feature `finan`): [`finan::FinanClient`].
#[cfg(feature = "finan")]
pub use provider_finan as finan;

/// SePay, by API token or OAuth 2.0 (feature `sepay`): [`sepay::SepayClient`].
#[cfg(feature = "sepay")]
pub use provider_sepay as sepay;

/// Shared Redis and PostgreSQL stores (features `redis`, `postgres`): SePay OAuth tokens with a
/// refresh lock, and webhook events handled exactly once across app instances.
#[cfg(any(feature = "redis", feature = "postgres"))]
pub use gateway_stores as stores;

/// The README's usage sample, compiled as a doctest so it cannot go stale.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
