//! Provider-neutral core of the Vietnamese payment gateway library.
//!
//! An application programs against the traits here ([`BankAccountProvider`], [`PaymentProvider`])
//! and the models they return; each provider crate (Finan One, SePay, ...) implements them, so
//! swapping one provider for another does not change the application's code.
//!
//! - [`money`]: [`Money`] (a `rust_decimal::Decimal` amount with its [`Currency`]; never `f64`).
//! - [`bank`]: [`Bank`] and the lookup of Vietnamese banks by 6-digit BIN or bank code.
//! - [`account`]: [`BankAccount`] and its status and kind.
//! - [`payment`]: payment request models for [`PaymentProvider`].
//! - [`payout`]: [`PayoutProvider`] and its models (payouts confirmed with an OTP).
//! - [`payment_store`]: [`PaymentRequestStore`], for providers that keep no record of the payment
//!   requests they issue (bank transfers to the merchant's own account).
//! - [`page`]: [`PageRequest`], [`Page`] and the all-pages stream with its loop guard.
//! - [`error`]: the one [`Error`] type every call returns.
//! - [`event_store`]: [`EventStore`], exactly-once handling of webhook events across instances.
//! - [`webhook`]: [`WebhookVerifier`], the raw [`WebhookRequest`] it checks, the [`PaymentEvent`] it
//!   yields and the [`WebhookError`] it fails with; [`Clock`] for the replay window.
//! - [`retry`]: [`RetryPolicy`] and [`RequestOptions`], shared by every provider client.
//! - [`lenient`]: serde helpers for providers that send numbers and flags as strings.
//!
//! This crate has no HTTP client and knows no provider by name.
#![deny(missing_docs)]

pub mod account;
pub mod bank;
pub mod error;
pub mod event_store;
pub mod lenient;
pub mod money;
pub mod page;
pub mod payment;
pub mod payment_store;
pub mod payout;
pub mod provider;
pub mod retry;
#[cfg(feature = "testing")]
pub mod testing;
pub mod webhook;

pub use account::{AccountKind, AccountStatus, BankAccount};
pub use bank::Bank;
pub use error::{Error, ErrorContext, Result, TransportErrorKind};
pub use event_store::{Claim, ClaimToken, EventStore, MemoryEventStore};
pub use money::{Currency, Money, MoneyError, MoneyTotals};
pub use page::{paginate, Page, PageCursor, PageRequest, MAX_EMPTY_PAGES};
pub use payment::{
    CreatePayment, Customer, LineItem, PayerAction, PaymentFilter, PaymentMethod, PaymentRequest, PaymentStatus,
    RedirectUrls,
};
pub use payment_store::{InsertOutcome, MemoryPaymentRequestStore, PaymentRequestStore};
pub use payout::{Beneficiary, CreatePayout, Payout, PayoutFilter, PayoutProvider, PayoutStatus};
pub use provider::{BankAccountProvider, PaymentProvider, Provider};
pub use retry::{parse_retry_after, RequestOptions, RetryPolicy};
pub use webhook::{
    Clock, FixedClock, PaymentEvent, PaymentReceived, SystemClock, WebhookError, WebhookRequest, WebhookVerifier,
};
