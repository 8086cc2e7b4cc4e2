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

/// What the payout checks need besides the provider's own API: the OTP the provider sent to the
/// account holder. On the sandbox it is read from a control endpoint; with real credentials, a
/// person types it in.
#[async_trait]
pub trait PayoutHarness: Send + Sync {
    /// The OTP the provider sent for payout `id`.
    ///
    /// # Errors
    /// Why the OTP could not be obtained, as text.
    async fn otp(&self, id: &str) -> Result<secrecy::SecretString, String>;
}

/// What the payout checks saw, for further provider-specific assertions.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PayoutConformanceReport {
    /// The payout as created.
    pub created: crate::Payout,
    /// The payout once final.
    pub settled: crate::Payout,
    /// How many reads it took to become final.
    pub polls: usize,
}

/// Runs every payout check against one provider, for a `request` whose reference id is unique
/// to this run:
///
/// 1. [`PayoutProvider::create_payout`] gives a payout with an id, the request's amount,
///    beneficiary and reference id, [`PayoutStatus::AwaitingOtp`];
/// 2. creating it again with the same reference id gives the same payout, and listing by the
///    reference id finds exactly that one (no money sent twice), by page and by stream;
/// 3. [`PayoutProvider::get_payout`] returns it, and a missing id gives [`Error::NotFound`];
/// 4. confirming with a wrong OTP gives [`Error::InvalidRequest`] and leaves it awaiting the OTP;
/// 5. confirming with the OTP ([`PayoutHarness::otp`]) moves it past [`PayoutStatus::AwaitingOtp`];
///    confirming again is refused with [`Error::InvalidRequest`];
/// 6. reading it (at most `max_polls` times) ends in [`PayoutStatus::Succeeded`], still with the
///    same amount and reference id;
/// 7. a request with a zero amount is refused with [`Error::InvalidRequest`].
///
/// [`PayoutProvider::create_payout`]: crate::PayoutProvider::create_payout
/// [`PayoutProvider::get_payout`]: crate::PayoutProvider::get_payout
/// [`PayoutStatus::AwaitingOtp`]: crate::PayoutStatus::AwaitingOtp
/// [`PayoutStatus::Succeeded`]: crate::PayoutStatus::Succeeded
///
/// # Panics
/// When a check fails, with a message naming it.
pub async fn check_payout_provider(
    provider: &dyn crate::PayoutProvider,
    harness: &dyn PayoutHarness,
    request: &crate::CreatePayout,
    max_polls: usize,
) -> PayoutConformanceReport {
    use crate::{PayoutFilter, PayoutStatus};
    let name = provider.provider_name();
    let reference = request.reference_id.as_str();

    // 1. Create.
    let created = provider
        .create_payout(request)
        .await
        .unwrap_or_else(|e| panic!("{name}: create_payout failed: {e}"));
    assert!(!created.id.is_empty(), "{name}: a payout has an id");
    assert_eq!(created.amount, request.amount, "{name}: the payout's amount");
    assert_eq!(
        created.beneficiary, request.beneficiary,
        "{name}: the payout's beneficiary"
    );
    assert_eq!(
        created.reference_id.as_deref(),
        Some(reference),
        "{name}: the payout's reference id"
    );
    assert_eq!(
        created.status,
        PayoutStatus::AwaitingOtp,
        "{name}: a new payout waits for its OTP"
    );

    // 2. Never twice for one reference id.
    let again = provider
        .create_payout(request)
        .await
        .unwrap_or_else(|e| panic!("{name}: creating the payout again failed: {e}"));
    assert_eq!(
        again.id, created.id,
        "{name}: the same reference id gives the same payout"
    );
    let filter = PayoutFilter::reference(reference);
    let page = provider
        .list_payouts(&filter, PageRequest::first())
        .await
        .unwrap_or_else(|e| panic!("{name}: list_payouts by reference failed: {e}"));
    let ids: Vec<&str> = page.items.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(
        ids,
        [created.id.as_str()],
        "{name}: exactly one payout for the reference id"
    );
    let streamed: Vec<crate::Payout> = provider
        .stream_payouts(&filter)
        .try_collect()
        .await
        .unwrap_or_else(|e| panic!("{name}: stream_payouts failed: {e}"));
    assert_eq!(streamed.len(), 1, "{name}: the stream by reference id gives one payout");

    // 3. Get.
    let got = provider
        .get_payout(&created.id)
        .await
        .unwrap_or_else(|e| panic!("{name}: get_payout failed: {e}"));
    assert_eq!(got.id, created.id, "{name}: get_payout returns the payout");
    assert!(
        matches!(provider.get_payout("no-such-payout-0").await, Err(Error::NotFound(_))),
        "{name}: a missing payout id gives Error::NotFound"
    );

    // 4. A wrong OTP.
    let wrong = secrecy::SecretString::from("000000-wrong");
    assert!(
        matches!(
            provider.confirm_payout(&created.id, &wrong).await,
            Err(Error::InvalidRequest(_))
        ),
        "{name}: a wrong OTP gives Error::InvalidRequest"
    );
    let still = provider.get_payout(&created.id).await.unwrap();
    assert_eq!(
        still.status,
        PayoutStatus::AwaitingOtp,
        "{name}: a wrong OTP changes nothing"
    );

    // 5. The right OTP, once.
    let otp = harness
        .otp(&created.id)
        .await
        .unwrap_or_else(|e| panic!("{name}: no OTP for the payout: {e}"));
    let confirmed = provider
        .confirm_payout(&created.id, &otp)
        .await
        .unwrap_or_else(|e| panic!("{name}: confirm_payout failed: {e}"));
    assert_ne!(confirmed.status, PayoutStatus::AwaitingOtp, "{name}: confirmed");
    assert!(
        matches!(
            provider.confirm_payout(&created.id, &otp).await,
            Err(Error::InvalidRequest(_))
        ),
        "{name}: a payout is confirmed once"
    );

    // 6. Until it is final.
    let mut polls = 0;
    let settled = loop {
        polls += 1;
        let payout = provider.get_payout(&created.id).await.unwrap();
        if payout.status.is_final() || polls >= max_polls {
            break payout;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(settled.status, PayoutStatus::Succeeded, "{name}: the payout succeeds");
    assert_eq!(settled.amount, request.amount, "{name}: the settled amount");
    assert_eq!(settled.reference_id.as_deref(), Some(reference));

    // 7. Checked before sending.
    let mut zero = request.clone();
    zero.amount = Money::zero(request.amount.currency());
    zero.reference_id = format!("{reference}-ZERO");
    assert!(
        matches!(provider.create_payout(&zero).await, Err(Error::InvalidRequest(_))),
        "{name}: a zero amount gives Error::InvalidRequest"
    );

    PayoutConformanceReport {
        created,
        settled,
        polls,
    }
}
