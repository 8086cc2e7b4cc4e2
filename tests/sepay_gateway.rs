//! SePay's payment gateway end to end, with the client and the sandbox written independently from
//! the documents: create a payment (a signed checkout form), post the form as the payer's browser
//! would, pay on the sandbox, receive the IPN through the receiver, and read the final status.

mod common;

use std::sync::Arc;
use std::time::Duration;

use futures::TryStreamExt;
use gateway::receiver::WebhookReceiver;
use gateway::sepay::SepayIpnVerifier;
use gateway::webhook::PaymentEvent;
use gateway::{
    CreatePayment, Currency, Money, PayerAction, PaymentFilter, PaymentMethod, PaymentProvider, PaymentStatus,
};
use gateway::{SecretString, WebhookVerifier};
use gateway_sandbox::{Sandbox, SandboxConfig, SandboxCredentials};
use tokio::sync::mpsc;

fn vnd(amount: i64) -> Money {
    Money::from_minor_units(amount, Currency::VND)
}

#[tokio::test]
async fn checkout_pay_ipn_and_status_agree_between_client_and_sandbox() {
    let config = SandboxConfig {
        sepay_ipn_retry_delays: vec![Duration::from_millis(50)],
        ..SandboxConfig::default()
    };
    let sandbox = Sandbox::start_with(config, SandboxCredentials::default())
        .await
        .unwrap();
    let c = sandbox.credentials();
    let gateway = common::sepay_gateway(&sandbox);
    let provider: &dyn PaymentProvider = gateway.as_ref();

    // 1. Create: a signed form, nothing at SePay yet.
    let request = CreatePayment::new(vnd(250_000), "INV-1001", PaymentMethod::BankTransfer);
    let created = provider.create_payment(&request).await.unwrap();
    assert_eq!(created.status, PaymentStatus::Unpaid);
    let Some(PayerAction::FormPost { url, fields }) = created.payer_action.clone() else {
        panic!("a checkout form, got {:?}", created.payer_action)
    };

    // 2. The payer's browser posts the form; the sandbox checks the signature and opens the order.
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let posted = browser.post(&url).form(&fields).send().await.unwrap();
    assert_eq!(posted.status(), 303, "{}", posted.text().await.unwrap_or_default());
    assert_eq!(
        provider.get_payment("INV-1001").await.unwrap().status,
        PaymentStatus::Unpaid
    );

    // 3. Creating again finds the open order instead of making a second one.
    let again = provider.create_payment(&request).await.unwrap();
    assert!(
        again.payer_action.is_none(),
        "the existing order, not a new form: {again:?}"
    );
    assert_eq!(sandbox.sepay().orders().len(), 1);

    // 4. The IPN arrives at the receiver, verified with the merchant's secret key.
    let (tx, mut events) = mpsc::unbounded_channel();
    let verifier: Arc<dyn WebhookVerifier> =
        Arc::new(SepayIpnVerifier::new(SecretString::from(c.sepay_secret_key.clone())));
    let router = WebhookReceiver::new()
        .route("/webhooks/sepay-ipn", verifier)
        .handler(move |event: PaymentEvent| {
            let tx = tx.clone();
            async move { tx.send(event).map_err(|e| e.to_string()) }
        })
        .into_router();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    sandbox
        .sepay()
        .set_ipn_url(Some(format!("http://{addr}/webhooks/sepay-ipn")));

    sandbox.sepay().pay_order("INV-1001").unwrap();
    let event = tokio::time::timeout(Duration::from_secs(10), events.recv())
        .await
        .unwrap()
        .unwrap();
    match event {
        PaymentEvent::PaymentReceived(paid) => {
            assert_eq!(paid.reference_id.as_deref(), Some("INV-1001"));
            assert_eq!(paid.amount, vnd(250_000));
        }
        other => panic!("a payment received, got {other:?}"),
    }
    let deliveries = sandbox.sepay().wait_for_ipn_deliveries(1, Duration::from_secs(5)).await;
    assert!(
        deliveries[0].succeeded(),
        "the receiver acknowledged the IPN: {deliveries:?}"
    );

    // 5. The final status, by id and by listing on the reference.
    let paid = provider.get_payment("INV-1001").await.unwrap();
    assert_eq!(paid.status, PaymentStatus::Paid);
    assert_eq!(paid.paid_amount, Some(vnd(250_000)));
    let listed: Vec<_> = provider
        .stream_payments(&PaymentFilter::reference("INV-1001"))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].status, PaymentStatus::Paid);
}
