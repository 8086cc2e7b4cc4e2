//! The traits a provider implements. A provider implements exactly the traits it supports, so a
//! capability it lacks is a compile error, not a run-time "not supported".

use async_trait::async_trait;
use futures::stream::BoxStream;

use crate::page::paginate;
use crate::{BankAccount, CreatePayment, Error, Page, PageRequest, PaymentEvent, PaymentFilter, PaymentRequest};

/// Names the provider behind a client or a webhook verifier. Every capability trait
/// ([`BankAccountProvider`], [`PaymentProvider`], [`crate::WebhookVerifier`]) builds on it, so a
/// client that has several capabilities names itself once.
pub trait Provider: Send + Sync {
    /// A short, stable name of the provider (`"finan"`, `"sepay"`), for reports and logs.
    fn provider_name(&self) -> &'static str;
}

/// Reads the bank accounts of one connection (one set of credentials at one provider).
///
/// Object safe: apps hold `Arc<dyn BankAccountProvider>` and swap providers freely.
#[async_trait]
pub trait BankAccountProvider: Provider {
    /// One page of accounts, master and virtual, each marked with its [`crate::AccountKind`].
    ///
    /// # Errors
    /// Any [`Error`]: [`Error::Unauthorized`] for refused credentials, [`Error::RateLimited`],
    /// [`Error::Decode`] for a reply not in the documented shape, and so on.
    async fn list_accounts(&self, page: PageRequest) -> Result<Page<BankAccount>, Error>;

    /// One account by its provider id ([`BankAccount::id`]).
    ///
    /// # Errors
    /// [`Error::NotFound`] when no account has this id; otherwise as [`Self::list_accounts`].
    async fn get_account(&self, id: &str) -> Result<BankAccount, Error>;

    /// Every account of every page, fetched page after page, as a stream.
    ///
    /// The stream ends with one error item when a page fails, or when the provider hands back a
    /// cursor it already gave (instead of looping forever).
    fn stream_accounts(&self) -> BoxStream<'_, Result<BankAccount, Error>> {
        paginate(PageRequest::first(), move |page| self.list_accounts(page))
    }
}

/// Creates and reads payment requests.
#[async_trait]
pub trait PaymentProvider: Provider {
    /// Creates a payment request. Sending the same [`CreatePayment::reference_id`] twice must not
    /// create two payments at the provider.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for a request the provider refuses; otherwise any [`Error`].
    async fn create_payment(&self, request: &CreatePayment) -> Result<PaymentRequest, Error>;

    /// One payment request by the provider's id.
    ///
    /// # Errors
    /// [`Error::NotFound`] when there is none; otherwise any [`Error`].
    async fn get_payment(&self, id: &str) -> Result<PaymentRequest, Error>;

    /// One page of payment requests matching `filter`.
    ///
    /// # Errors
    /// Any [`Error`].
    async fn list_payments(&self, filter: &PaymentFilter, page: PageRequest) -> Result<Page<PaymentRequest>, Error>;

    /// Every payment request matching `filter`, page after page, as a stream.
    fn stream_payments<'a>(&'a self, filter: &'a PaymentFilter) -> BoxStream<'a, Result<PaymentRequest, Error>> {
        paginate(PageRequest::first(), move |page| self.list_payments(filter, page))
    }

    /// Completes a verified webhook event from this provider's records: a
    /// [`PaymentEvent::PaymentReceived`] that names its payment request
    /// ([`crate::PaymentReceived::payment_request_id`]) but not the app's reference id gets the
    /// reference id of that payment request. Every other event is returned unchanged.
    ///
    /// Some notifications cannot carry the app's reference: a bank-transfer webhook knows only the
    /// payment code found in the transfer remark. Calling this on every event (the `axum`
    /// receiver does, for routes registered with a provider) lets an app match events to its
    /// orders the same way whichever provider sent them.
    ///
    /// The default looks the payment request up with [`Self::get_payment`]; a provider that
    /// keeps its own records overrides it. A payment request the provider does not know
    /// ([`Error::NotFound`]: a transfer that was not made for one of this provider's requests)
    /// leaves the event unchanged.
    ///
    /// # Errors
    /// Any [`Error`] of the look-up other than [`Error::NotFound`]: the event should be handled
    /// again later (answer the delivery so that the provider retries it).
    async fn resolve_event(&self, event: PaymentEvent) -> Result<PaymentEvent, Error> {
        let PaymentEvent::PaymentReceived(mut payment) = event else {
            return Ok(event);
        };
        if payment.reference_id.is_none() {
            if let Some(id) = payment.payment_request_id.as_deref() {
                match self.get_payment(id).await {
                    Ok(request) => payment.reference_id = Some(request.reference_id),
                    Err(Error::NotFound(_)) => {}
                    Err(other) => return Err(other),
                }
            }
        }
        Ok(PaymentEvent::PaymentReceived(payment))
    }
}
