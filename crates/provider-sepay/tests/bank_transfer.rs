//! SePay's bank-transfer flow ([`SepayBankTransfer`]) against wiremock: the QR code it makes,
//! creating once per reference, statuses computed from the account's transactions, expiry by the
//! clock, refused requests, webhook events completed by `resolve_event`, and the core payment
//! conformance checks.

mod common;
mod transactions_support;

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use common::*;
use futures::TryStreamExt;
use gateway_core::testing::{check_payment_provider, PaymentHarness};
use gateway_core::{
    Bank, CreatePayment, Currency, Error, FixedClock, InsertOutcome, MemoryPaymentRequestStore, Money, PageRequest,
    PayerAction, PaymentEvent, PaymentFilter, PaymentMethod, PaymentProvider, PaymentReceived, PaymentRequest,
    PaymentRequestStore, PaymentStatus, Provider, WebhookRequest, WebhookVerifier,
};
use provider_sepay::webhook::SepayBankWebhookSigner;
use provider_sepay::{SecretString, SepayBankTransfer, SepayBankWebhookVerifier, SepayClient};
use transactions_support::{FakeSepay, FakeTx};
use wiremock::{Mock, MockServer, ResponseTemplate};

const ACCOUNT: &str = "0071000888888";
const HOLDER: &str = "CONG TY TNHH DEMO";
const CREATED_AT: &str = "2023-05-05T10:00:00+07:00";

fn vnd(dong: i64) -> Money {
    Money::from_minor_units(dong, Currency::VND)
}

fn clock() -> Arc<FixedClock> {
    Arc::new(FixedClock::new(
        DateTime::parse_from_rfc3339(CREATED_AT).unwrap().with_timezone(&Utc),
    ))
}

/// Counts inserts and can be told to fail.
#[derive(Debug, Default)]
struct CountingStore {
    inner: MemoryPaymentRequestStore,
    inserts: AtomicUsize,
    failing: AtomicBool,
}

impl CountingStore {
    fn check(&self) -> Result<(), Error> {
        if self.failing.load(Ordering::SeqCst) {
            Err(Error::Store {
                message: "database is down".into(),
                source: None,
            })
        } else {
            Ok(())
        }
    }
}

#[async_trait]
impl PaymentRequestStore for CountingStore {
    async fn insert(&self, request: &PaymentRequest) -> Result<InsertOutcome, Error> {
        self.check()?;
        self.inserts.fetch_add(1, Ordering::SeqCst);
        self.inner.insert(request).await
    }

    async fn get(&self, id: &str) -> Result<Option<PaymentRequest>, Error> {
        self.check()?;
        self.inner.get(id).await
    }

    async fn find_by_reference(&self, reference_id: &str) -> Result<Option<PaymentRequest>, Error> {
        self.check()?;
        self.inner.find_by_reference(reference_id).await
    }

    async fn list(
        &self,
        filter: &PaymentFilter,
        page: PageRequest,
    ) -> Result<gateway_core::Page<PaymentRequest>, Error> {
        self.check()?;
        self.inner.list(filter, page).await
    }
}

struct Setup {
    server: MockServer,
    fake: FakeSepay,
    clock: Arc<FixedClock>,
    store: Arc<CountingStore>,
    provider: SepayBankTransfer,
}

async fn setup_with(client: fn(&MockServer) -> SepayClient, expires: Option<Duration>) -> Setup {
    let server = MockServer::start().await;
    let fake = FakeSepay::new(Vec::new());
    fake.mount(&server).await;
    let clock = clock();
    let store = Arc::new(CountingStore::default());
    let mut builder = SepayBankTransfer::builder(client(&server), Bank::from_bin("970436").unwrap(), ACCOUNT, HOLDER)
        .store(store.clone())
        .clock(clock.clone());
    if let Some(after) = expires {
        builder = builder.expires_after(after);
    }
    Setup {
        provider: builder.build().unwrap(),
        server,
        fake,
        clock,
        store,
    }
}

async fn setup() -> Setup {
    setup_with(token_client, Some(Duration::from_secs(15 * 60))).await
}

fn oauth(server: &MockServer) -> SepayClient {
    oauth_client(server, full_credentials())
}

fn order(reference: &str, dong: i64) -> CreatePayment {
    let mut request = CreatePayment::new(vnd(dong), reference, PaymentMethod::BankTransfer);
    request.description = Some(format!("Thanh toán đơn hàng #{reference}"));
    request
}

async fn requests(server: &MockServer) -> usize {
    server.received_requests().await.unwrap().len()
}

/// An incoming transfer to the account today.
fn transfer(id: u64, time: &str, dong: i64, content: &str, code: Option<&str>) -> FakeTx {
    FakeTx::incoming(id, &format!("2023-05-05 {time}"), dong, content, code)
}

// ------------------------------------------------------------------------------------------------
// Creating
// ------------------------------------------------------------------------------------------------

#[tokio::test]
async fn create_makes_a_payment_code_and_a_vietqr_for_it() {
    let s = setup().await;
    let payment = s.provider.create_payment(&order("1001", 150_000)).await.unwrap();

    let code = payment.id.clone();
    assert_eq!(code.len(), 10, "{code}");
    assert!(code.starts_with("DH"), "{code}");
    assert!(
        code[2..].bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()),
        "{code}"
    );
    assert_eq!(payment.code.as_deref(), Some(code.as_str()));
    assert_eq!(payment.reference_id, "1001");
    assert_eq!(payment.amount, vnd(150_000));
    assert_eq!(payment.paid_amount, Some(vnd(0)));
    assert_eq!(payment.status, PaymentStatus::Unpaid);
    assert_eq!(payment.method, Some(PaymentMethod::BankTransfer));
    let created = DateTime::parse_from_rfc3339(CREATED_AT).unwrap();
    assert_eq!(payment.created_at, Some(created));
    assert_eq!(payment.created_at.unwrap().offset().local_minus_utc(), 7 * 3600);
    assert_eq!(payment.expires_at, Some(created + TimeDelta::minutes(15)));

    let Some(PayerAction::BankTransfer {
        qr: Some(qr),
        bank,
        account_number,
        account_holder_name,
        remark: Some(remark),
    }) = &payment.payer_action
    else {
        panic!("{:?}", payment.payer_action)
    };
    assert_eq!(remark, &format!("{code} Thanh toan don hang 1001"));
    assert_eq!(bank.as_ref(), Some(&Bank::from_bin("970436").unwrap()));
    assert_eq!(account_number, ACCOUNT);
    assert_eq!(account_holder_name.as_deref(), Some(HOLDER));
    let decoded = gateway_vietqr::decode(qr).unwrap();
    assert_eq!(decoded.bin(), "970436");
    assert_eq!(decoded.account_number(), ACCOUNT);
    assert_eq!(decoded.amount(), Some(150_000));
    assert_eq!(decoded.purpose(), Some(remark.as_str()));
    assert_eq!(decoded.initiation(), gateway_vietqr::Initiation::Dynamic);

    // Saved, and nothing was sent to SePay.
    assert_eq!(s.store.inner.get(&code).await.unwrap(), Some(payment));
    assert_eq!(requests(&s.server).await, 0);
}

#[tokio::test]
async fn remarks_are_ascii_and_at_most_50_characters_code_first() {
    let s = setup().await;
    let mut long = order("1002", 10_000);
    long.description = Some("Thanh toán đơn hàng số 1002 của khách hàng Nguyễn Văn Anh, giao nhanh!".into());
    let payment = s.provider.create_payment(&long).await.unwrap();
    let Some(PayerAction::BankTransfer {
        remark: Some(remark),
        qr: Some(qr),
        ..
    }) = &payment.payer_action
    else {
        panic!()
    };
    assert!(remark.len() <= 50, "{remark}");
    assert!(remark.is_ascii(), "{remark}");
    assert!(
        remark.starts_with(&format!("{} Thanh toan don hang so 1002", payment.id)),
        "{remark}"
    );
    assert_eq!(gateway_vietqr::decode(qr).unwrap().purpose(), Some(remark.as_str()));

    let mut bare = order("1003", 10_000);
    bare.description = None;
    let payment = s.provider.create_payment(&bare).await.unwrap();
    let Some(PayerAction::BankTransfer {
        remark: Some(remark), ..
    }) = &payment.payer_action
    else {
        panic!()
    };
    assert_eq!(remark, &payment.id);
}

#[tokio::test]
async fn creating_again_for_a_reference_returns_the_same_request_and_inserts_nothing() {
    let s = setup().await;
    let first = s.provider.create_payment(&order("1001", 150_000)).await.unwrap();
    assert_eq!(s.store.inserts.load(Ordering::SeqCst), 1);
    let again = s.provider.create_payment(&order("1001", 150_000)).await.unwrap();
    assert_eq!(again.id, first.id);
    assert_eq!(again.payer_action, first.payer_action);
    assert_eq!(s.store.inserts.load(Ordering::SeqCst), 1, "no second insert");
    // It is the current state: a transfer made meanwhile shows.
    s.fake
        .push(transfer(1, "10:05:00", 150_000, &format!("{} ck", first.id), None));
    let third = s.provider.create_payment(&order("1001", 150_000)).await.unwrap();
    assert_eq!(third.id, first.id);
    assert_eq!(third.status, PaymentStatus::Paid);
    assert_eq!(s.store.inserts.load(Ordering::SeqCst), 1);
    // Another amount for the same reference is a conflict, not a second request.
    assert!(matches!(
        s.provider.create_payment(&order("1001", 99_000)).await,
        Err(Error::Conflict(_))
    ));
    assert_eq!(s.store.inserts.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn codes_are_fresh_for_every_reference() {
    let s = setup().await;
    let mut codes = HashSet::new();
    for i in 0..200 {
        let p = s
            .provider
            .create_payment(&order(&format!("o-{i}"), 1_000))
            .await
            .unwrap();
        assert!(p.id.starts_with("DH") && p.id.len() == 10);
        codes.insert(p.id);
    }
    assert_eq!(codes.len(), 200);
    let all_chars: HashSet<char> = codes.iter().flat_map(|c| c[2..].chars().collect::<Vec<_>>()).collect();
    assert!(all_chars.len() > 30, "letters and digits are used: {all_chars:?}");
}

#[tokio::test]
async fn requests_that_cannot_be_a_bank_transfer_are_refused_before_anything() {
    let s = setup().await;
    let mut refused = vec![
        CreatePayment::new(
            Money::from_minor_units(1000, Currency::USD),
            "r1",
            PaymentMethod::BankTransfer,
        ),
        CreatePayment::new(
            Money::parse("100000.5", Currency::VND).unwrap(),
            "r2",
            PaymentMethod::BankTransfer,
        ),
        CreatePayment::new(vnd(0), "r3", PaymentMethod::BankTransfer),
        CreatePayment::new(vnd(-5), "r4", PaymentMethod::BankTransfer),
        CreatePayment::new(vnd(10_000), "r5", PaymentMethod::Card),
        CreatePayment::new(vnd(10_000), "r6", PaymentMethod::EWallet),
        CreatePayment::new(vnd(10_000), "  ", PaymentMethod::BankTransfer),
        CreatePayment::new(vnd(10_000_000_000_000), "r8", PaymentMethod::BankTransfer),
    ];
    refused[0].description = Some("usd".into());
    for request in &refused {
        let err = s.provider.create_payment(request).await.unwrap_err();
        assert!(matches!(err, Error::InvalidRequest(_)), "{request:?}: {err:?}");
    }
    assert_eq!(s.store.inserts.load(Ordering::SeqCst), 0);
    assert_eq!(requests(&s.server).await, 0);
}

// ------------------------------------------------------------------------------------------------
// Statuses
// ------------------------------------------------------------------------------------------------

async fn status_of(s: &Setup, id: &str) -> (PaymentStatus, Option<Money>) {
    let p = s.provider.get_payment(id).await.unwrap();
    (p.status, p.paid_amount)
}

#[tokio::test]
async fn status_goes_from_unpaid_to_partially_paid_to_paid_to_overpaid() {
    let s = setup().await;
    let code = s.provider.create_payment(&order("1001", 150_000)).await.unwrap().id;
    assert_eq!(status_of(&s, &code).await, (PaymentStatus::Unpaid, Some(vnd(0))));

    // SePay recognised the code (in another case).
    s.fake.push(transfer(
        1,
        "10:01:00",
        50_000,
        "NGUYEN VAN A chuyen tien",
        Some(&code.to_lowercase()),
    ));
    assert_eq!(
        status_of(&s, &code).await,
        (PaymentStatus::PartiallyPaid, Some(vnd(50_000)))
    );

    // Transfers that are not for this code change nothing.
    let other = format!("X{code}");
    s.fake.push(transfer(
        2,
        "10:02:00",
        70_000,
        &format!("{other} ck"),
        Some("DHZZZZZZZZ"),
    ));
    s.fake
        .push(transfer(3, "10:03:00", 70_000, &format!("{code}1 thanh toan"), None));
    s.fake.push(FakeTx::outgoing(
        4,
        "2023-05-05 10:04:00",
        70_000,
        &format!("hoan tien {code}"),
    ));
    let mut elsewhere = transfer(5, "10:05:00", 70_000, &code, Some(&code));
    elsewhere.account_number = "1234567890".into();
    s.fake.push(elsewhere);
    // Two days before the request was created (the read starts the day before its creation).
    s.fake
        .push(FakeTx::incoming(6, "2023-05-03 23:59:59", 70_000, &code, Some(&code)));
    assert_eq!(
        status_of(&s, &code).await,
        (PaymentStatus::PartiallyPaid, Some(vnd(50_000)))
    );

    // The rest, found only as a word of the content (SePay recognised no code).
    s.fake.push(transfer(
        7,
        "10:10:00",
        100_000,
        &format!("MBVCB.123.{}.CT tu 0123", code.to_lowercase()),
        None,
    ));
    assert_eq!(status_of(&s, &code).await, (PaymentStatus::Paid, Some(vnd(150_000))));

    s.fake
        .push(transfer(8, "11:00:00", 1_000, &format!("{code} them"), Some(&code)));
    assert_eq!(
        status_of(&s, &code).await,
        (PaymentStatus::Overpaid, Some(vnd(151_000)))
    );

    // What was asked of SePay: the account's transactions from the day before the creation date on.
    let lists = requests_to(&s.server, "/userapi/transactions/list").await;
    assert!(!lists.is_empty());
    for r in lists {
        let q: Vec<(String, String)> = r.url.query_pairs().into_owned().collect();
        assert!(q.contains(&("account_number".into(), ACCOUNT.into())), "{}", r.url);
        assert!(
            q.contains(&("transaction_date_min".into(), "2023-05-04 00:00:00".into())),
            "{}",
            r.url
        );
    }
}

#[tokio::test]
async fn statuses_with_an_oauth_client() {
    let s = setup_with(oauth, None).await;
    let code = s.provider.create_payment(&order("2001", 80_000)).await.unwrap().id;
    assert_eq!(status_of(&s, &code).await.0, PaymentStatus::Unpaid);
    s.fake.push(transfer(1, "10:01:00", 80_000, "chuyen tien", Some(&code)));
    assert_eq!(status_of(&s, &code).await, (PaymentStatus::Paid, Some(vnd(80_000))));
    let lists = requests_to(&s.server, "/api/v1/transactions").await;
    assert!(!lists.is_empty());
    for r in lists {
        let q: Vec<(String, String)> = r.url.query_pairs().into_owned().collect();
        assert!(q.contains(&("account_number".into(), ACCOUNT.into())), "{}", r.url);
        assert!(q.contains(&("from_date".into(), "2023-05-04".into())), "{}", r.url);
    }
}

#[tokio::test]
async fn nothing_paid_by_the_expiry_is_expired_by_the_clock() {
    let s = setup().await;
    let code = s.provider.create_payment(&order("1001", 150_000)).await.unwrap().id;
    s.clock.advance(TimeDelta::minutes(15));
    assert_eq!(status_of(&s, &code).await.0, PaymentStatus::Unpaid, "not yet past");
    s.clock.advance(TimeDelta::seconds(1));
    assert_eq!(status_of(&s, &code).await, (PaymentStatus::Expired, Some(vnd(0))));
    // Money that arrives late still counts.
    s.fake.push(transfer(1, "10:30:00", 10_000, &code, None));
    assert_eq!(status_of(&s, &code).await.0, PaymentStatus::PartiallyPaid);

    // Without an expiry, never expired.
    let never = setup_with(token_client, None).await;
    let payment = never.provider.create_payment(&order("1002", 1_000)).await.unwrap();
    assert_eq!(payment.expires_at, None);
    never.clock.advance(TimeDelta::days(400));
    assert_eq!(status_of(&never, &payment.id).await.0, PaymentStatus::Unpaid);
}

#[tokio::test]
async fn an_unknown_code_is_not_found_without_asking_sepay() {
    let s = setup().await;
    for id in ["DHNOTHING1", "", "  "] {
        assert!(
            matches!(s.provider.get_payment(id).await, Err(Error::NotFound(_))),
            "{id:?}"
        );
    }
    assert_eq!(requests(&s.server).await, 0);
    // Codes are found whatever their case.
    let code = s.provider.create_payment(&order("1001", 1_000)).await.unwrap().id;
    assert_eq!(s.provider.get_payment(&code.to_lowercase()).await.unwrap().id, code);
}

#[tokio::test]
async fn a_page_of_requests_costs_one_read_of_transactions() {
    let s = setup().await;
    let a = s.provider.create_payment(&order("a", 10_000)).await.unwrap().id;
    s.clock.advance(TimeDelta::days(1));
    let b = s.provider.create_payment(&order("b", 20_000)).await.unwrap().id;
    let c = s.provider.create_payment(&order("c", 30_000)).await.unwrap().id;
    s.fake.push(transfer(1, "12:00:00", 10_000, &a, Some(&a)));
    s.fake.push(FakeTx::incoming(
        2,
        "2023-05-06 09:00:00",
        5_000,
        &format!("{b} mot phan"),
        None,
    ));

    let before = requests(&s.server).await;
    let page = s
        .provider
        .list_payments(&PaymentFilter::default(), PageRequest::first().with_limit(2))
        .await
        .unwrap();
    let got: Vec<(&str, &PaymentStatus)> = page.items.iter().map(|p| (p.id.as_str(), &p.status)).collect();
    assert_eq!(
        got,
        [
            (a.as_str(), &PaymentStatus::Paid),
            (b.as_str(), &PaymentStatus::PartiallyPaid)
        ]
    );
    assert_eq!(page.items[1].paid_amount, Some(vnd(5_000)));
    // One read (the API token's list: a short reply needs no count), from the day before the
    // earliest creation date.
    let sent = &s.server.received_requests().await.unwrap()[before..];
    assert_eq!(
        sent.iter().map(|r| r.url.path()).collect::<Vec<_>>(),
        ["/userapi/transactions/list"]
    );
    assert!(sent[0].url.query().unwrap().contains("transaction_date_min=2023-05-04"));

    let next = page.next.expect("a second page");
    let rest = s
        .provider
        .list_payments(&PaymentFilter::default(), PageRequest::at(next).with_limit(2))
        .await
        .unwrap();
    assert_eq!(rest.items.len(), 1);
    assert_eq!(
        (rest.items[0].id.as_str(), &rest.items[0].status),
        (c.as_str(), &PaymentStatus::Unpaid)
    );
    let last = s.server.received_requests().await.unwrap().last().unwrap().url.clone();
    assert!(
        last.query().unwrap().contains("transaction_date_min=2023-05-05"),
        "{last}"
    );

    let by_reference: Vec<PaymentRequest> = s
        .provider
        .stream_payments(&PaymentFilter::reference("b"))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(by_reference.len(), 1);
    assert_eq!(by_reference[0].id, b);
}

#[tokio::test]
async fn store_failures_are_store_errors() {
    let s = setup().await;
    let code = s.provider.create_payment(&order("1001", 1_000)).await.unwrap().id;
    s.store.failing.store(true, Ordering::SeqCst);
    assert!(matches!(
        s.provider.create_payment(&order("1002", 1_000)).await,
        Err(Error::Store { .. })
    ));
    assert!(matches!(s.provider.get_payment(&code).await, Err(Error::Store { .. })));
    assert!(matches!(
        s.provider
            .list_payments(&PaymentFilter::default(), PageRequest::first())
            .await,
        Err(Error::Store { .. })
    ));
}

// ------------------------------------------------------------------------------------------------
// Webhook events
// ------------------------------------------------------------------------------------------------

fn received(code: Option<&str>) -> PaymentEvent {
    let mut payment = PaymentReceived::new("sepay", "92704", vnd(150_000));
    payment.payment_request_id = code.map(str::to_string);
    PaymentEvent::PaymentReceived(payment)
}

#[tokio::test]
async fn resolve_event_gives_a_known_code_its_reference() {
    let s = setup().await;
    let code = s.provider.create_payment(&order("1001", 150_000)).await.unwrap().id;

    for sent in [code.clone(), code.to_lowercase()] {
        let PaymentEvent::PaymentReceived(p) = s.provider.resolve_event(received(Some(&sent))).await.unwrap() else {
            panic!()
        };
        assert_eq!(p.reference_id.as_deref(), Some("1001"));
        assert_eq!(p.payment_request_id.as_deref(), Some(code.as_str()));
        assert_eq!(p.event_id, "92704");
    }
    // Unknown codes, events without a code, and other events are left as they are.
    for event in [
        received(Some("DHUNKNOWN1")),
        received(None),
        PaymentEvent::Unknown {
            provider: "sepay",
            event_type: "transfer_out".into(),
            event_id: Some("1".into()),
        },
    ] {
        assert_eq!(s.provider.resolve_event(event.clone()).await.unwrap(), event);
    }
    // An event that already names a reference keeps it.
    let mut named = PaymentReceived::new("sepay", "1", vnd(1));
    named.payment_request_id = Some(code.clone());
    named.reference_id = Some("from-elsewhere".into());
    let named = PaymentEvent::PaymentReceived(named);
    assert_eq!(s.provider.resolve_event(named.clone()).await.unwrap(), named);
    // Only the store was read.
    assert_eq!(requests(&s.server).await, 0);

    s.store.failing.store(true, Ordering::SeqCst);
    assert!(matches!(
        s.provider.resolve_event(received(Some(&code))).await,
        Err(Error::Store { .. })
    ));
}

#[tokio::test]
async fn a_verified_webhook_resolves_to_the_order() {
    let s = setup().await;
    let code = s.provider.create_payment(&order("1001", 150_000)).await.unwrap().id;
    let key = || SecretString::from("webhook-key");
    let body = serde_json::json!({
        "id": 92704, "gateway": "Vietcombank", "transactionDate": "2023-05-05 10:05:00",
        "accountNumber": ACCOUNT, "code": code, "content": format!("{code} Thanh toan don hang 1001"),
        "transferType": "in", "transferAmount": 150000, "accumulated": 19077000, "subAccount": null,
        "referenceCode": "MBVCB.3278907687", "description": ""
    })
    .to_string();
    let headers = SepayBankWebhookSigner::new(key()).headers();
    let request = WebhookRequest::new("POST", "/webhooks/sepay", body.as_bytes())
        .with_headers(headers.iter().map(|(n, v)| (n, v)));
    let event = SepayBankWebhookVerifier::new(key()).verify(&request).unwrap();
    let PaymentEvent::PaymentReceived(raw) = &event else {
        panic!()
    };
    assert_eq!(raw.payment_request_id.as_deref(), Some(code.as_str()));
    assert_eq!(raw.reference_id, None);
    let PaymentEvent::PaymentReceived(resolved) = s.provider.resolve_event(event).await.unwrap() else {
        panic!()
    };
    assert_eq!(resolved.reference_id.as_deref(), Some("1001"));
    assert_eq!(resolved.amount, vnd(150_000));
}

// ------------------------------------------------------------------------------------------------
// Configuration and the conformance suite
// ------------------------------------------------------------------------------------------------

#[tokio::test]
async fn builder_checks_its_settings() {
    let server = MockServer::start().await;
    let vcb = || Bank::from_bin("970436").unwrap();
    let build = |bank: Bank, account: &str, holder: &str| {
        SepayBankTransfer::builder(token_client(&server), bank, account, holder).in_memory_store()
    };
    for prefix in ["", "D-H", "ĐH", "ABCDEFGHIJK"] {
        assert!(
            matches!(
                build(vcb(), ACCOUNT, HOLDER).code_prefix(prefix).build(),
                Err(Error::Configuration(_))
            ),
            "{prefix:?}"
        );
    }
    let lower = build(vcb(), ACCOUNT, HOLDER).code_prefix("tt").build().unwrap();
    assert_eq!(lower.code_prefix(), "TT");
    assert_eq!(build(vcb(), ACCOUNT, HOLDER).build().unwrap().code_prefix(), "DH");
    assert!(matches!(
        build(Bank::new(None, "XYZ", "XyzBank", None), ACCOUNT, HOLDER).build(),
        Err(Error::Configuration(_))
    ));
    for account in ["", "0071-000", "12345678901234567890"] {
        assert!(
            matches!(build(vcb(), account, HOLDER).build(), Err(Error::Configuration(_))),
            "{account}"
        );
    }
    assert!(matches!(
        build(vcb(), ACCOUNT, " ").build(),
        Err(Error::Configuration(_))
    ));
    assert!(matches!(
        build(vcb(), ACCOUNT, HOLDER).expires_after(Duration::ZERO).build(),
        Err(Error::Configuration(_))
    ));
    // No store: refused rather than a silent in-memory default.
    let no_store = SepayBankTransfer::builder(token_client(&server), vcb(), ACCOUNT, HOLDER).build();
    match no_store {
        Err(Error::Configuration(message)) => assert!(message.contains("store"), "{message}"),
        other => panic!("{other:?}"),
    }
    let p = build(vcb(), ACCOUNT, HOLDER).build().unwrap();
    assert_eq!(p.provider_name(), "sepay");
    assert_eq!((p.account_number(), p.account_holder_name()), (ACCOUNT, HOLDER));
    assert_eq!(p.bank().short_name, "Vietcombank");
}

#[tokio::test]
async fn debug_shows_no_credential() {
    let server = MockServer::start().await;
    for client in [token_client(&server), oauth(&server)] {
        let builder =
            SepayBankTransfer::builder(client, Bank::from_bin("970436").unwrap(), ACCOUNT, HOLDER).in_memory_store();
        let shown_builder = format!("{builder:?}");
        let shown = format!("{:?}", builder.build().unwrap());
        for text in [&shown, &shown_builder] {
            assert_no_secret(text);
            assert!(text.contains(ACCOUNT) && text.contains("DH"), "{text}");
        }
    }
}

/// The payer and the app's webhook handler for the conformance suite: paying adds a transfer to
/// the fake SePay and delivers the webhook SePay would send, verified and resolved as an app
/// would.
struct Harness {
    fake: FakeSepay,
    provider: SepayBankTransfer,
    next_id: AtomicUsize,
    events: Mutex<Vec<PaymentEvent>>,
}

#[async_trait]
impl PaymentHarness for Harness {
    fn accepts_partial_payments(&self) -> bool {
        true
    }

    async fn pay(&self, request: &PaymentRequest, amount: &Money) -> Result<(), String> {
        let Some(PayerAction::BankTransfer {
            remark: Some(remark), ..
        }) = &request.payer_action
        else {
            return Err("no bank transfer to make".into());
        };
        let id = 50_000 + self.next_id.fetch_add(1, Ordering::SeqCst) as u64;
        let dong = amount.to_minor_units().map_err(|e| e.to_string())?;
        let code = request.code.clone();
        self.fake.push(transfer(id, "10:20:00", dong, remark, code.as_deref()));
        let key = || SecretString::from("k");
        let body = serde_json::json!({
            "id": id, "gateway": "Vietcombank", "transactionDate": "2023-05-05 10:20:00",
            "accountNumber": ACCOUNT, "code": code, "content": remark, "transferType": "in",
            "transferAmount": dong, "accumulated": 0, "subAccount": null, "referenceCode": "R", "description": ""
        })
        .to_string();
        let headers = SepayBankWebhookSigner::new(key()).headers();
        let delivery =
            WebhookRequest::new("POST", "/hook", body.as_bytes()).with_headers(headers.iter().map(|(n, v)| (n, v)));
        let event = SepayBankWebhookVerifier::new(key())
            .verify(&delivery)
            .map_err(|e| e.to_string())?;
        let event = self.provider.resolve_event(event).await.map_err(|e| e.to_string())?;
        self.events.lock().unwrap().push(event);
        Ok(())
    }

    async fn events_for(&self, reference_id: &str, _total: &Money) -> Vec<PaymentEvent> {
        self.events
            .lock()
            .unwrap()
            .iter()
            .filter(
                |e| matches!(e, PaymentEvent::PaymentReceived(p) if p.reference_id.as_deref() == Some(reference_id)),
            )
            .cloned()
            .collect()
    }
}

#[tokio::test]
async fn passes_the_payment_conformance_checks() {
    for client in [token_client as fn(&MockServer) -> SepayClient, oauth] {
        let s = setup_with(client, None).await;
        let harness = Harness {
            fake: s.fake.clone(),
            provider: s.provider.clone(),
            next_id: AtomicUsize::new(0),
            events: Mutex::new(Vec::new()),
        };
        let report = check_payment_provider(&s.provider, &harness, "order-77", vnd(250_000), "DHMISSING1").await;
        assert_eq!(report.payments, 2);
        assert_eq!(report.paid.paid_amount, Some(vnd(250_000)));
    }
}

#[tokio::test]
async fn a_transfer_booked_just_before_midnight_by_a_slow_bank_clock_counts() {
    // The bank booked it the evening before the app's clock says the request was made.
    let s = setup().await;
    let code = s.provider.create_payment(&order("1201", 80_000)).await.unwrap().id;
    s.fake
        .push(FakeTx::incoming(1, "2023-05-04 23:59:50", 80_000, &code, Some(&code)));
    assert_eq!(status_of(&s, &code).await, (PaymentStatus::Paid, Some(vnd(80_000))));
}

#[tokio::test]
async fn creating_again_while_sepay_is_unreachable_returns_the_stored_request() {
    let s = setup().await;
    let first = s.provider.create_payment(&order("1301", 90_000)).await.unwrap();
    // SePay now fails every call.
    s.server.reset().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(503).set_body_string("<html>503 Service Unavailable</html>"))
        .mount(&s.server)
        .await;
    let again = s.provider.create_payment(&order("1301", 90_000)).await.unwrap();
    assert_eq!(
        (again.id.as_str(), again.status.clone()),
        (first.id.as_str(), PaymentStatus::Unpaid)
    );
    assert_eq!(again.payer_action, first.payer_action, "the same QR code to show");
    // A status read, by contrast, reports the failure.
    assert!(s.provider.get_payment(&first.id).await.is_err());
    // Another amount for the reference is still a conflict, SePay or not.
    assert!(matches!(
        s.provider.create_payment(&order("1301", 95_000)).await,
        Err(Error::Conflict(_))
    ));
}
