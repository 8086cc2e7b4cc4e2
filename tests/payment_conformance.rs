//! The payment conformance suite (`gateway_core::testing::check_payment_provider`), written once,
//! run against every payment provider on the sandbox: Finan payment requests, SePay's payment
//! gateway, and SePay bank transfers by API token and by OAuth 2.0.
//!
//! Each run serves a real webhook receiver (`gateway::receiver`) on a loopback port, registers it
//! with the sandbox as the merchant would, pays through the sandbox's payer controls, and lets the
//! suite check statuses, listings and the events the handler received.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use futures::future::BoxFuture;
use gateway::finan::webhook::FinanWebhookVerifier;
use gateway::receiver::{axum, WebhookReceiver};
use gateway::sepay::{SepayBankTransfer, SepayBankWebhookVerifier, SepayClient, SepayIpnVerifier};
use gateway::{
    Bank, Currency, Money, PayerAction, PaymentEvent, PaymentProvider, PaymentRequest, SecretString, WebhookVerifier,
};
use gateway_core::testing::{check_payment_provider, PaymentConformanceReport, PaymentHarness};
use gateway_sandbox::sepay::NewTransfer;
use gateway_sandbox::{Sandbox, SandboxConfig, SandboxCredentials};
use tokio::sync::Notify;

/// How long the suite waits for webhooks to add up.
const EVENT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long it keeps listening after they did, to catch a duplicate the receiver let through.
const SETTLE: Duration = Duration::from_millis(300);

fn vnd(amount: i64) -> Money {
    Money::from_minor_units(amount, Currency::VND)
}

type Payer = dyn Fn(PaymentRequest, Money) -> BoxFuture<'static, Result<(), String>> + Send + Sync;
type Opener = dyn Fn(PaymentRequest) -> BoxFuture<'static, Result<(), String>> + Send + Sync;

/// The sandbox's payer controls plus the events a real receiver handed to the app's handler.
struct SandboxHarness {
    partial: bool,
    payer: Box<Payer>,
    opener: Option<Box<Opener>>,
    events: Arc<Mutex<Vec<PaymentEvent>>>,
    arrived: Arc<Notify>,
}

impl SandboxHarness {
    /// Serves a receiver with `verifier` on `path` (completing events with `provider`) and
    /// returns the harness and the URL the sandbox must deliver to.
    async fn serve(
        path: &str,
        verifier: Arc<dyn WebhookVerifier>,
        provider: Arc<dyn PaymentProvider>,
        partial: bool,
        payer: Box<Payer>,
    ) -> (Self, String) {
        let events = Arc::new(Mutex::new(Vec::new()));
        let arrived = Arc::new(Notify::new());
        let (sink, notify) = (events.clone(), arrived.clone());
        let router = WebhookReceiver::new()
            .route_with_provider(path, verifier, provider)
            .handler(move |event: PaymentEvent| {
                let (sink, notify) = (sink.clone(), notify.clone());
                async move {
                    sink.lock().unwrap().push(event);
                    notify.notify_waiters();
                    Ok::<(), String>(())
                }
            })
            .into_router();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}{path}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router).await });
        let harness = Self {
            partial,
            payer,
            opener: None,
            events,
            arrived,
        };
        (harness, url)
    }

    fn received_for(&self, reference_id: &str) -> Vec<PaymentEvent> {
        self.events
            .lock()
            .unwrap()
            .iter()
            .filter(|event| match event {
                PaymentEvent::PaymentReceived(payment) => payment.reference_id.as_deref() == Some(reference_id),
                _ => false,
            })
            .cloned()
            .collect()
    }
}

#[async_trait]
impl PaymentHarness for SandboxHarness {
    fn accepts_partial_payments(&self) -> bool {
        self.partial
    }

    async fn open(&self, request: &PaymentRequest) -> Result<(), String> {
        match &self.opener {
            Some(open) => open(request.clone()).await,
            None => Ok(()),
        }
    }

    async fn pay(&self, request: &PaymentRequest, amount: &Money) -> Result<(), String> {
        (self.payer)(request.clone(), *amount).await
    }

    async fn events_for(&self, reference_id: &str, total: &Money) -> Vec<PaymentEvent> {
        let deadline = tokio::time::Instant::now() + EVENT_TIMEOUT;
        loop {
            let arrived = self.arrived.notified();
            let sum = self
                .received_for(reference_id)
                .iter()
                .filter_map(|event| match event {
                    PaymentEvent::PaymentReceived(payment) => Some(payment.amount.amount()),
                    _ => None,
                })
                .sum::<rust_decimal::Decimal>();
            if sum >= total.amount() {
                break;
            }
            if tokio::time::timeout_at(deadline, arrived).await.is_err() {
                break;
            }
        }
        tokio::time::sleep(SETTLE).await;
        self.received_for(reference_id)
    }
}

fn print(report: &PaymentConformanceReport, provider: &str) {
    println!(
        "{provider}: payment request {} -> {:?}, {} payment(s), {} event(s)",
        report.created.id,
        report.paid.status,
        report.payments,
        report.events.len()
    );
}

/// Webhook retries shortened from minutes to milliseconds.
fn fast_config() -> SandboxConfig {
    SandboxConfig {
        finan_webhook_retry_delays: [50, 100, 200].map(Duration::from_millis).to_vec(),
        sepay_ipn_retry_delays: [50, 100, 200].map(Duration::from_millis).to_vec(),
        sepay_webhook_retry_delays: [50, 100, 200].map(Duration::from_millis).to_vec(),
        ..SandboxConfig::default()
    }
}

#[tokio::test]
async fn finan_payments_conform() {
    let sandbox = Arc::new(
        Sandbox::start_with(fast_config(), SandboxCredentials::default())
            .await
            .unwrap(),
    );
    let c = sandbox.credentials();
    let finan = common::finan(&sandbox, &c.finan_secret_key);
    let verifier = Arc::new(FinanWebhookVerifier::new(
        c.finan_client_id.clone(),
        SecretString::from(c.finan_secret_key.clone()),
    ));
    let payer_sandbox = sandbox.clone();
    let payer: Box<Payer> = Box::new(move |request, amount| {
        let sandbox = payer_sandbox.clone();
        Box::pin(async move {
            let dong = amount.to_minor_units().map_err(|e| e.to_string())?;
            sandbox
                .finan()
                .pay(&request.id, dong.unsigned_abs())
                .map(drop)
                .map_err(|e| format!("{e:?}"))
        })
    });
    let (harness, url) = SandboxHarness::serve("/webhooks/finan", verifier, finan.clone(), true, payer).await;
    sandbox.finan().set_webhook_url(Some(url));

    let report = check_payment_provider(finan.as_ref(), &harness, "CONF-FINAN-1", vnd(500_000), "missing-id").await;
    print(&report, "finan");
    assert_eq!(
        sandbox.finan().payment_request_count(),
        1,
        "one payment request at Finan"
    );
}

#[tokio::test]
async fn sepay_payment_gateway_conforms() {
    let sandbox = Arc::new(
        Sandbox::start_with(fast_config(), SandboxCredentials::default())
            .await
            .unwrap(),
    );
    let c = sandbox.credentials();
    let gateway = common::sepay_gateway(&sandbox);
    let verifier = Arc::new(SepayIpnVerifier::new(SecretString::from(c.sepay_secret_key.clone())));
    let payer_sandbox = sandbox.clone();
    let payer: Box<Payer> = Box::new(move |request, _amount| {
        let sandbox = payer_sandbox.clone();
        Box::pin(async move {
            sandbox
                .sepay()
                .pay_order(&request.reference_id)
                .map(drop)
                .map_err(|e| format!("{e:?}"))
        })
    });
    let (mut harness, url) =
        SandboxHarness::serve("/webhooks/sepay-ipn", verifier, gateway.clone(), false, payer).await;
    // The payer's browser posts the signed checkout form; the sandbox checks it and opens the order.
    harness.opener = Some(Box::new(|request: PaymentRequest| {
        Box::pin(async move {
            let Some(PayerAction::FormPost { url, fields }) = request.payer_action else {
                return Err(format!("a checkout form, got {:?}", request.payer_action));
            };
            let browser = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .map_err(|e| e.to_string())?;
            let posted = browser
                .post(&url)
                .form(&fields)
                .send()
                .await
                .map_err(|e| e.to_string())?;
            match posted.status().as_u16() {
                303 => Ok(()),
                status => Err(format!("checkout answered {status}")),
            }
        })
    }));
    sandbox.sepay().set_ipn_url(Some(url));

    let report = check_payment_provider(
        gateway.as_ref(),
        &harness,
        "CONF-SEPAY-PG-1",
        vnd(250_000),
        "NO-SUCH-ORDER",
    )
    .await;
    print(&report, "sepay payment gateway");
    assert_eq!(sandbox.sepay().orders().len(), 1, "one order at SePay");
}

/// The sandbox's account 18 (Vietcombank), visible both to the API token and through OAuth.
const RECEIVING_ACCOUNT: &str = "0071000899999";

/// SePay's bank-transfer flow over `client`: the payer transfers to account 18 with the remark
/// from the QR code, and SePay's bank-transaction webhook reaches the receiver.
async fn sepay_bank_transfer_conforms(client: SepayClient, reference_id: &str, sandbox: Arc<Sandbox>) {
    let c = sandbox.credentials();
    let bank = Bank::from_bin("970436").expect("Vietcombank");
    let transfers = Arc::new(
        SepayBankTransfer::builder(client, bank, RECEIVING_ACCOUNT, "NGUYEN VAN A")
            .in_memory_store()
            .build()
            .unwrap(),
    );
    let verifier = Arc::new(SepayBankWebhookVerifier::new(SecretString::from(
        c.sepay_webhook_api_key.clone(),
    )));
    let payer_sandbox = sandbox.clone();
    let payer: Box<Payer> = Box::new(move |request, amount| {
        let sandbox = payer_sandbox.clone();
        Box::pin(async move {
            // What the payer's banking app sends after scanning the QR code.
            let Some(PayerAction::BankTransfer {
                account_number,
                remark: Some(remark),
                ..
            }) = request.payer_action
            else {
                return Err(format!("a bank transfer with a remark, got {:?}", request.payer_action));
            };
            let dong = amount.to_minor_units().map_err(|e| e.to_string())?;
            sandbox
                .sepay()
                .transfer(NewTransfer::incoming(account_number, dong.unsigned_abs(), remark))
                .map(drop)
                .map_err(|e| format!("{e:?}"))
        })
    });
    let (harness, url) = SandboxHarness::serve("/webhooks/sepay", verifier, transfers.clone(), true, payer).await;
    sandbox.sepay().set_webhook_url(Some(url));

    let report = check_payment_provider(transfers.as_ref(), &harness, reference_id, vnd(500_000), "DHNOTACODE").await;
    print(&report, "sepay bank transfer");
    let deliveries = sandbox.sepay().webhook_deliveries();
    assert!(
        deliveries.iter().all(|d| d.succeeded()),
        "every webhook was acknowledged at once: {deliveries:?}"
    );
    assert_eq!(
        sandbox.sepay().rate_limited_count(),
        0,
        "client-side pacing keeps under the limit"
    );
}

#[tokio::test]
async fn sepay_bank_transfer_by_api_token_conforms() {
    let sandbox = Arc::new(
        Sandbox::start_with(fast_config(), SandboxCredentials::default())
            .await
            .unwrap(),
    );
    let client = common::sepay_token(&sandbox, &sandbox.credentials().sepay_api_token);
    sepay_bank_transfer_conforms((*client).clone(), "CONF-SEPAY-TOKEN-1", sandbox).await;
}

#[tokio::test]
async fn sepay_bank_transfer_by_oauth_conforms() {
    let sandbox = Arc::new(
        Sandbox::start_with(fast_config(), SandboxCredentials::default())
            .await
            .unwrap(),
    );
    let client = common::sepay_oauth(&sandbox, &sandbox.credentials().sepay_oauth_access_token);
    sepay_bank_transfer_conforms((*client).clone(), "conf-sepay-oauth-1", sandbox).await;
}
