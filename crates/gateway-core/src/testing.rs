//! The conformance suite: generic checks that every [`BankAccountProvider`] and every
//! [`PaymentProvider`] must pass, written once and run against every provider (on the sandbox, or
//! on real credentials), as Omnipay's `GatewayTestCase` runs against every gateway. A new provider
//! inherits every check.
//!
//! Enabled by the `testing` feature. The checks panic with a message naming the failed rule, as
//! test assertions do.

use std::collections::HashSet;

use async_trait::async_trait;
use futures::TryStreamExt;

use crate::{
    AccountKind, BankAccount, BankAccountProvider, CreatePayment, Error, Money, MoneyTotals, PageRequest, PaymentEvent,
    PaymentFilter, PaymentMethod, PaymentProvider, PaymentRequest, PaymentStatus,
};

/// What the suite saw, for further provider-specific assertions.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ConformanceReport {
    /// Every account the stream returned, in order.
    pub accounts: Vec<BankAccount>,
    /// How many pages walking `list_accounts` by hand took.
    pub pages: usize,
}

/// Runs every bank-account check against one connection:
///
/// 1. the listing spans more than one page, and walking the pages by hand with
///    [`BankAccountProvider::list_accounts`] gives exactly what [`BankAccountProvider::stream_accounts`]
///    gives (same ids, same order), with no duplicate id and at least `min_accounts` accounts;
/// 2. every account has an id, an account number, a holder name and a bank code;
/// 3. [`BankAccountProvider::get_account`] returns the listed account, for the first master and the
///    first virtual account;
/// 4. a missing id gives [`Error::NotFound`];
/// 5. `bad_credentials` (the same provider with wrong credentials) gives [`Error::Unauthorized`]
///    for both a listing and a lookup.
///
/// # Panics
/// When a check fails, with a message naming it.
pub async fn check_bank_account_provider(
    provider: &dyn BankAccountProvider,
    bad_credentials: &dyn BankAccountProvider,
    missing_id: &str,
    min_accounts: usize,
) -> ConformanceReport {
    let name = provider.provider_name();

    // 1. Pages by hand vs the stream.
    let mut by_hand = Vec::new();
    let mut request = PageRequest::first();
    let mut pages = 0;
    loop {
        let page = provider
            .list_accounts(request.clone())
            .await
            .unwrap_or_else(|e| panic!("{name}: list_accounts failed: {e}"));
        pages += 1;
        by_hand.extend(page.items);
        match page.next {
            Some(next) => request = PageRequest::at(next),
            None => break,
        }
        assert!(
            pages < 10_000,
            "{name}: more than 10,000 pages; the cursor does not seem to end"
        );
    }
    assert!(
        pages > 1,
        "{name}: the listing fit one page; seed more accounts so paging is exercised"
    );
    let streamed: Vec<BankAccount> = provider
        .stream_accounts()
        .try_collect()
        .await
        .unwrap_or_else(|e| panic!("{name}: stream_accounts failed: {e}"));
    let ids = |v: &[BankAccount]| v.iter().map(|a| a.id.clone()).collect::<Vec<_>>();
    assert_eq!(
        ids(&streamed),
        ids(&by_hand),
        "{name}: the stream and the pages disagree"
    );
    let unique: HashSet<_> = streamed.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(unique.len(), streamed.len(), "{name}: the listing repeats an id");
    assert!(
        streamed.len() >= min_accounts,
        "{name}: {} accounts listed, expected at least {min_accounts}",
        streamed.len()
    );

    // 2. Required fields.
    for a in &streamed {
        assert!(!a.id.is_empty(), "{name}: an account has no id");
        assert!(
            !a.account_number.is_empty(),
            "{name}: account {} has no account number",
            a.id
        );
        assert!(
            !a.account_holder_name.is_empty(),
            "{name}: account {} has no holder name",
            a.id
        );
        assert!(!a.bank.code.is_empty(), "{name}: account {} has no bank code", a.id);
    }

    // 3. get_account returns what the listing returned.
    for kind in [AccountKind::Master, AccountKind::Virtual] {
        if let Some(listed) = streamed.iter().find(|a| a.kind == kind) {
            let got = provider
                .get_account(&listed.id)
                .await
                .unwrap_or_else(|e| panic!("{name}: get_account({}) failed: {e}", listed.id));
            assert_eq!(
                &got, listed,
                "{name}: get_account({}) differs from the listing",
                listed.id
            );
        }
    }

    // 4. A missing id is NotFound.
    match provider.get_account(missing_id).await {
        Err(Error::NotFound(_)) => {}
        other => panic!("{name}: get_account({missing_id:?}) should be NotFound, got {other:?}"),
    }

    // 5. Bad credentials are Unauthorized.
    match bad_credentials.list_accounts(PageRequest::first()).await {
        Err(Error::Unauthorized(_)) => {}
        other => panic!("{name}: bad credentials should be Unauthorized on list, got {other:?}"),
    }
    match bad_credentials.get_account(&streamed[0].id).await {
        Err(Error::Unauthorized(_)) => {}
        other => panic!("{name}: bad credentials should be Unauthorized on get, got {other:?}"),
    }

    ConformanceReport {
        accounts: streamed,
        pages,
    }
}

/// What the payment checks need besides the provider's own API: a payer, and the events the app's
/// webhook handler received. On the sandbox, the payer is its control endpoint and the events come
/// through a real webhook receiver; with real credentials, a person pays.
#[async_trait]
pub trait PaymentHarness: Send + Sync {
    /// True when the provider accepts a payment of less than the amount requested (a bank transfer
    /// to a QR code does; a card checkout does not): the checks then pay in two parts.
    fn accepts_partial_payments(&self) -> bool;

    /// What the payer does with a new payment request before paying, such as opening the checkout
    /// page (a SePay checkout order exists only once the payer's browser posted the form). The
    /// default does nothing.
    ///
    /// # Errors
    /// Why the payment request could not be opened, as text.
    async fn open(&self, request: &PaymentRequest) -> Result<(), String> {
        let _ = request;
        Ok(())
    }

    /// Pays `amount` toward `request`, as its payer would (scan the QR code and transfer, or post
    /// the checkout form and pay).
    ///
    /// # Errors
    /// Why the payment could not be made, as text.
    async fn pay(&self, request: &PaymentRequest, amount: &Money) -> Result<(), String>;

    /// Waits until the app's handler has received events for `reference_id` with amounts adding
    /// up to at least `total` (or a harness timeout passes), then returns every event it received
    /// for `reference_id`, in order. The events are as the handler got them (completed with
    /// [`PaymentProvider::resolve_event`] where the receiver does that).
    async fn events_for(&self, reference_id: &str, total: &Money) -> Vec<PaymentEvent>;
}

/// What the payment checks saw, for further provider-specific assertions.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PaymentConformanceReport {
    /// The payment request as created.
    pub created: PaymentRequest,
    /// The payment request after the last payment.
    pub paid: PaymentRequest,
    /// The events the handler received for the reference id.
    pub events: Vec<PaymentEvent>,
    /// How many payments were made (2 when the provider accepts partial payments, else 1).
    pub payments: usize,
}

/// Runs every payment check against one provider, with a `reference_id` unique to this run:
///
/// 1. [`PaymentProvider::create_payment`] of `amount` by bank transfer gives a request with an id,
///    the same reference id and amount, status [`PaymentStatus::Unpaid`], no amount paid, and
///    something to show the payer;
/// 2. once the payer opened it ([`PaymentHarness::open`]), creating it again with the same
///    reference id gives the same request, and listing by the reference id finds exactly that one
///    (no second payment was created), with [`PaymentProvider::list_payments`] and
///    [`PaymentProvider::stream_payments`] alike;
/// 3. [`PaymentProvider::get_payment`] returns it;
/// 4. when the provider accepts partial payments: paying about half makes it
///    [`PaymentStatus::PartiallyPaid`] with that amount paid;
/// 5. paying the rest makes it [`PaymentStatus::Paid`] with `amount` paid, by `get_payment` and in
///    the listing by reference;
/// 6. the handler received exactly one [`PaymentEvent::PaymentReceived`] per payment for the
///    reference id, from this provider, naming the payment request by its id, with distinct
///    event ids and the amounts paid;
/// 7. a missing id gives [`Error::NotFound`].
///
/// # Panics
/// When a check fails, with a message naming it.
pub async fn check_payment_provider(
    provider: &dyn PaymentProvider,
    harness: &dyn PaymentHarness,
    reference_id: &str,
    amount: Money,
    missing_id: &str,
) -> PaymentConformanceReport {
    let name = provider.provider_name();
    let zero = Money::zero(amount.currency());

    // 1. Create.
    let mut request = CreatePayment::new(amount, reference_id, PaymentMethod::BankTransfer);
    request.description = Some(format!("Order {reference_id}"));
    let created = provider
        .create_payment(&request)
        .await
        .unwrap_or_else(|e| panic!("{name}: create_payment failed: {e}"));
    assert!(!created.id.is_empty(), "{name}: the payment request has no id");
    assert_eq!(
        created.reference_id, reference_id,
        "{name}: reference id changed on create"
    );
    assert_eq!(created.amount, amount, "{name}: amount changed on create");
    assert_eq!(
        created.status,
        PaymentStatus::Unpaid,
        "{name}: a new payment request is not unpaid"
    );
    assert!(
        created.paid_amount.is_none_or(|paid| paid == zero),
        "{name}: a new payment request has {:?} paid",
        created.paid_amount
    );
    assert!(created.payer_action.is_some(), "{name}: nothing to show the payer");

    harness
        .open(&created)
        .await
        .unwrap_or_else(|e| panic!("{name}: the payer could not open the payment request: {e}"));

    // 2. The same reference again creates nothing.
    let again = provider
        .create_payment(&request)
        .await
        .unwrap_or_else(|e| panic!("{name}: create_payment with the same reference id failed: {e}"));
    assert_eq!(again.id, created.id, "{name}: creating twice gave two payment requests");
    let by_reference = PaymentFilter::reference(reference_id);
    let listed = provider
        .list_payments(&by_reference, PageRequest::first())
        .await
        .unwrap_or_else(|e| panic!("{name}: list_payments by reference failed: {e}"));
    let listed_ids: Vec<&str> = listed.items.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(listed_ids, [created.id.as_str()], "{name}: listing by reference");
    let streamed: Vec<PaymentRequest> = provider
        .stream_payments(&by_reference)
        .try_collect()
        .await
        .unwrap_or_else(|e| panic!("{name}: stream_payments by reference failed: {e}"));
    assert_eq!(
        streamed.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
        [created.id.as_str()],
        "{name}: streaming by reference"
    );

    // 3. Get.
    let got = provider
        .get_payment(&created.id)
        .await
        .unwrap_or_else(|e| panic!("{name}: get_payment({}) failed: {e}", created.id));
    assert_eq!(
        (&got.id, &got.reference_id, &got.amount, &got.status),
        (&created.id, &created.reference_id, &amount, &PaymentStatus::Unpaid),
        "{name}: get_payment disagrees with create"
    );

    // 4 and 5. Pay in part (when possible), then the rest.
    let minor = amount
        .to_minor_units()
        .unwrap_or_else(|e| panic!("{name}: amount {amount} has no whole minor units: {e}"));
    let parts: Vec<Money> = if harness.accepts_partial_payments() {
        let first = Money::from_minor_units(minor / 2, amount.currency());
        let rest = amount.checked_sub(&first).unwrap_or_else(|e| panic!("{name}: {e}"));
        vec![first, rest]
    } else {
        vec![amount]
    };
    let mut paid_so_far = zero;
    let mut paid = got;
    for (i, part) in parts.iter().enumerate() {
        harness
            .pay(&created, part)
            .await
            .unwrap_or_else(|e| panic!("{name}: paying {part} failed: {e}"));
        paid_so_far = paid_so_far.checked_add(part).unwrap_or_else(|e| panic!("{name}: {e}"));
        let last = i + 1 == parts.len();
        let expected = if last {
            PaymentStatus::Paid
        } else {
            PaymentStatus::PartiallyPaid
        };
        paid = provider
            .get_payment(&created.id)
            .await
            .unwrap_or_else(|e| panic!("{name}: get_payment after paying {part} failed: {e}"));
        assert_eq!(
            paid.status, expected,
            "{name}: status after paying {paid_so_far} of {amount}"
        );
        assert_eq!(
            paid.paid_amount,
            Some(paid_so_far),
            "{name}: amount paid after paying {paid_so_far} of {amount}"
        );
    }
    let listed = provider
        .list_payments(&by_reference, PageRequest::first())
        .await
        .unwrap_or_else(|e| panic!("{name}: list_payments by reference after paying failed: {e}"));
    let listed: Vec<(&str, &PaymentStatus)> = listed.items.iter().map(|r| (r.id.as_str(), &r.status)).collect();
    assert_eq!(
        listed,
        [(created.id.as_str(), &PaymentStatus::Paid)],
        "{name}: listing by reference after paying"
    );

    // 6. One event per payment.
    let events = harness.events_for(reference_id, &amount).await;
    let received: Vec<_> = events
        .iter()
        .filter_map(|event| match event {
            PaymentEvent::PaymentReceived(payment) => Some(payment),
            _ => None,
        })
        .collect();
    assert_eq!(
        received.len(),
        parts.len(),
        "{name}: expected one payment-received event per payment, got {events:?}"
    );
    let mut totals = MoneyTotals::new();
    for payment in &received {
        assert_eq!(payment.provider, name, "{name}: an event names another provider");
        assert_eq!(
            payment.reference_id.as_deref(),
            Some(reference_id),
            "{name}: an event does not carry the reference id"
        );
        assert_eq!(
            payment.payment_request_id.as_deref(),
            Some(created.id.as_str()),
            "{name}: an event does not name the payment request by the id get_payment takes"
        );
        totals.add(&payment.amount).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    let ids: HashSet<&str> = received.iter().map(|p| p.event_id.as_str()).collect();
    assert_eq!(ids.len(), received.len(), "{name}: two events share an id");
    assert_eq!(
        totals.get(amount.currency()),
        Some(amount),
        "{name}: the events' amounts do not add up to the amount paid"
    );

    // 7. A missing id.
    match provider.get_payment(missing_id).await {
        Err(Error::NotFound(_)) => {}
        other => panic!("{name}: get_payment({missing_id:?}) should be NotFound, got {other:?}"),
    }

    PaymentConformanceReport {
        created,
        paid,
        events,
        payments: parts.len(),
    }
}
