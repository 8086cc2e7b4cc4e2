//! Accepting a payment, end to end, against the built-in sandbox (no credentials needed):
//!
//! ```text
//! cargo run --example accept_payment --features axum,qr-render [-- finan | sepay | sepay-checkout]
//! ```
//!
//! The argument picks the provider (default `finan`); the app code below the setup is the same
//! for all three, through the provider-neutral traits:
//!
//! - `finan`: a Finan One payment request (its VietQR);
//! - `sepay`: SePay's bank-transfer flow (`SepayBankTransfer`: a VietQR for the merchant's own
//!   account with a payment code in the remark, matched by SePay's bank-transaction webhook);
//! - `sepay-checkout`: SePay's payment gateway (a signed checkout form, paid in full, an IPN).
//!
//! 1. creates a payment request of 500,000 VND for order `ORDER-<unix time>` by bank transfer;
//! 2. prints its id, code, transfer remark and expiry, and the VietQR code in the terminal (or
//!    the checkout form);
//! 3. starts a webhook receiver (`gateway::receiver`, the provider's verifier, events completed
//!    with the provider's records) on a free local port and registers its URL with the sandbox,
//!    as a merchant does in the provider's portal;
//! 4. plays the customer: pays 200,000 VND, then the remaining 300,000 VND (a checkout is paid in
//!    full), and prints each verified `PaymentReceived` event the receiver hands over;
//! 5. reads the payment request again: Paid, 500,000 VND paid.
//!
//! The exit status is non-zero when any step does not come out as expected (within 10 seconds
//! for the webhooks). Real providers have no payer simulation, so this example always runs on the
//! sandbox; with real credentials, create payments as in step 1 and receive the webhooks with the
//! `webhook_receiver` example.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use gateway::finan::webhook::FinanWebhookVerifier;
use gateway::finan::FinanClient;
use gateway::receiver::{axum, WebhookReceiver};
use gateway::sepay::{
    CheckoutEnvironment, SepayBankTransfer, SepayBankWebhookVerifier, SepayClient, SepayIpnVerifier,
    SepayPaymentGateway,
};
use gateway::vietqr::VietQr;
use gateway::{
    Bank, CreatePayment, Currency, Money, PayerAction, PaymentEvent, PaymentMethod, PaymentProvider, PaymentReceived,
    PaymentRequest, PaymentStatus, SecretString, WebhookVerifier,
};
use gateway_sandbox::sepay::NewTransfer;
use gateway_sandbox::{Sandbox, SandboxConfig, SandboxCredentials};
use tokio::sync::mpsc;

/// How long to wait for each webhook to arrive.
const WEBHOOK_TIMEOUT: Duration = Duration::from_secs(10);
/// The sandbox's SePay account that receives bank transfers (Vietcombank).
const SEPAY_ACCOUNT: &str = "0071000899999";

#[tokio::main]
async fn main() -> ExitCode {
    let choice = std::env::args().nth(1).unwrap_or_else(|| "finan".into());
    match run(&choice).await {
        Ok(()) => {
            println!("\nOK: payment accepted.");
            ExitCode::SUCCESS
        }
        Err(problem) => {
            eprintln!("\nFAILED: {problem}");
            ExitCode::FAILURE
        }
    }
}

/// Pays an amount (whole đồng) toward a payment request, as the customer would.
type Payer = Box<dyn Fn(PaymentRequest, i64) -> BoxFuture<'static, Result<(), String>> + Send + Sync>;

/// Everything provider-specific: the one place the app names a provider.
struct Setup {
    provider: Arc<dyn PaymentProvider>,
    verifier: Arc<dyn WebhookVerifier>,
    webhook_path: &'static str,
    /// What the customer pays, in turn.
    installments: Vec<i64>,
    pay: Payer,
}

async fn run(choice: &str) -> Result<(), String> {
    if ["FINAN_CLIENT_ID", "SEPAY_API_TOKEN"]
        .iter()
        .any(|name| std::env::var(name).is_ok_and(|v| !v.trim().is_empty()))
    {
        println!(
            "Note: credentials are set, but this flow needs the sandbox's payer simulation (nobody pays a real \
             payment request for you), so it runs on the built-in sandbox and ignores them."
        );
    }

    // The sandbox, with webhook retries shortened from minutes to under a second.
    let retries = [100, 300, 600].map(Duration::from_millis).to_vec();
    let config = SandboxConfig {
        finan_webhook_retry_delays: retries.clone(),
        sepay_ipn_retry_delays: retries.clone(),
        sepay_webhook_retry_delays: retries,
        ..SandboxConfig::default()
    };
    let sandbox = Arc::new(
        Sandbox::start_with(config, SandboxCredentials::default())
            .await
            .map_err(|e| format!("the sandbox could not start: {e}"))?,
    );
    let setup = match choice {
        "finan" => finan(&sandbox)?,
        "sepay" => sepay_bank_transfer(&sandbox)?,
        "sepay-checkout" => sepay_checkout(&sandbox)?,
        other => {
            return Err(format!(
                "unknown provider {other:?}: use finan, sepay or sepay-checkout"
            ))
        }
    };
    // From here on the app sees only the traits.
    let provider = setup.provider.as_ref();
    println!("Sandbox: {choice} ({})\n", provider.provider_name());

    // 1. Create the payment request.
    let order = format!("ORDER-{}", unix_now());
    let total = Money::from_minor_units(500_000, Currency::VND);
    let mut create = CreatePayment::new(total, order.clone(), PaymentMethod::BankTransfer);
    create.description = Some("Thanh toán đơn hàng".into());
    let payment = provider
        .create_payment(&create)
        .await
        .map_err(|e| format!("create_payment failed: {e}"))?;

    // 2. What to show the customer.
    println!("Payment request created at {}:", provider.provider_name());
    println!("  id         {}", payment.id);
    println!("  code       {}", payment.code.as_deref().unwrap_or("-"));
    println!("  order      {}", payment.reference_id);
    println!("  amount     {}", grouped(&payment.amount));
    println!(
        "  expires at {}",
        payment
            .expires_at
            .map_or_else(|| "-".to_string(), |t| t.format("%Y-%m-%d %H:%M:%S %:z").to_string())
    );
    show_payer_action(&payment)?;

    // 3. The receiver, on a free local port, forwarding each new verified event to a channel.
    let (events_tx, mut events) = mpsc::unbounded_channel::<PaymentEvent>();
    let router = WebhookReceiver::new()
        .route_with_provider(setup.webhook_path, setup.verifier.clone(), setup.provider.clone())
        .handler(move |event: PaymentEvent| {
            let events_tx = events_tx.clone();
            async move { events_tx.send(event).map_err(|_| "the example stopped listening") }
        })
        .into_router();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| format!("cannot listen on a local port: {e}"))?;
    let receiver_url = format!(
        "http://{}{}",
        listener.local_addr().map_err(|e| e.to_string())?,
        setup.webhook_path
    );
    let server = tokio::spawn(async move { axum::serve(listener, router).await });
    match choice {
        "finan" => sandbox.finan().set_webhook_url(Some(receiver_url.clone())),
        "sepay" => sandbox.sepay().set_webhook_url(Some(receiver_url.clone())),
        _ => sandbox.sepay().set_ipn_url(Some(receiver_url.clone())),
    }
    println!("\nWebhook receiver listening at {receiver_url} (registered with the sandbox)");

    // 4. The customer pays; each payment brings one verified event.
    let mut received: Vec<PaymentReceived> = Vec::new();
    for &amount in &setup.installments {
        let amount_money = Money::from_minor_units(amount, Currency::VND);
        println!("\nCustomer pays {}...", grouped(&amount_money));
        (setup.pay)(payment.clone(), amount).await?;
        let event = tokio::time::timeout(WEBHOOK_TIMEOUT, events.recv())
            .await
            .map_err(|_| format!("no webhook within {} s", WEBHOOK_TIMEOUT.as_secs()))?
            .ok_or("the receiver stopped")?;
        let PaymentEvent::PaymentReceived(paid) = event else {
            return Err(format!("expected a payment, got {event:?}"));
        };
        println!(
            "Webhook verified: payment received {} {} for order {} (payment request {}, paid at {})",
            paid.event_id,
            grouped(&paid.amount),
            paid.reference_id.as_deref().unwrap_or("-"),
            paid.payment_request_id.as_deref().unwrap_or("-"),
            paid.paid_at.map_or_else(|| "-".to_string(), |t| t.to_rfc3339()),
        );
        check(paid.amount == amount_money, "the event's amount is the amount paid")?;
        check(
            paid.payment_request_id.as_deref() == Some(payment.id.as_str()),
            "the event names the payment request",
        )?;
        check(
            paid.reference_id.as_deref() == Some(order.as_str()),
            "the event names the order",
        )?;
        let now = provider
            .get_payment(&payment.id)
            .await
            .map_err(|e| format!("get_payment failed: {e}"))?;
        println!("Status now: {}", status_line(&now));
        received.push(paid);
    }
    check(
        received.len() == setup.installments.len(),
        "one payment event per payment",
    )?;
    check(
        received.windows(2).all(|pair| pair[0].event_id != pair[1].event_id),
        "each payment is its own event",
    )?;

    // 5. The final state, as the provider reports it.
    let last = provider
        .get_payment(&payment.id)
        .await
        .map_err(|e| format!("get_payment failed: {e}"))?;
    println!("\nFinal status of {}: {}", last.id, status_line(&last));
    check(last.status == PaymentStatus::Paid, "the payment request is Paid")?;
    check(last.paid_amount == Some(total), "500,000 VND paid")?;

    server.abort();
    Ok(())
}

/// Finan One: payment requests signed with the Open API credentials; the customer pays through
/// the sandbox's payer control.
fn finan(sandbox: &Arc<Sandbox>) -> Result<Setup, String> {
    let c = sandbox.credentials();
    let client = FinanClient::builder()
        .client_id(c.finan_client_id.clone())
        .secret_key(SecretString::from(c.finan_secret_key.clone()))
        .base_url(&sandbox.finan_base_url())
        .build()
        .map_err(|e| format!("the Finan client could not be built: {e}"))?;
    let verifier = FinanWebhookVerifier::new(
        c.finan_client_id.clone(),
        SecretString::from(c.finan_secret_key.clone()),
    );
    let sandbox = sandbox.clone();
    Ok(Setup {
        provider: Arc::new(client),
        verifier: Arc::new(verifier),
        webhook_path: "/webhooks/finan",
        installments: vec![200_000, 300_000],
        pay: Box::new(move |payment, amount| {
            let sandbox = sandbox.clone();
            Box::pin(async move {
                sandbox
                    .finan()
                    .pay(&payment.id, amount.unsigned_abs())
                    .map(drop)
                    .map_err(|e| format!("the sandbox refused the payment: {e}"))
            })
        }),
    })
}

/// SePay bank transfers to the merchant's account 18, read back with the API token; the customer
/// transfers with the remark from the QR code.
fn sepay_bank_transfer(sandbox: &Arc<Sandbox>) -> Result<Setup, String> {
    let c = sandbox.credentials();
    let client = SepayClient::api_token(SecretString::from(c.sepay_api_token.clone()))
        .base_url(&sandbox.sepay_base_url())
        .build()
        .map_err(|e| format!("the SePay client could not be built: {e}"))?;
    let bank = Bank::from_bin("970436").ok_or("Vietcombank is a known bank")?;
    // One process: memory is enough here. Several instances share a durable store (`.store(..)`).
    let transfers = SepayBankTransfer::builder(client, bank, SEPAY_ACCOUNT, "NGUYEN VAN A")
        .in_memory_store()
        .expires_after(Duration::from_secs(30 * 60))
        .build()
        .map_err(|e| format!("the SePay bank-transfer provider could not be built: {e}"))?;
    let verifier = SepayBankWebhookVerifier::new(SecretString::from(c.sepay_webhook_api_key.clone()));
    let sandbox = sandbox.clone();
    Ok(Setup {
        provider: Arc::new(transfers),
        verifier: Arc::new(verifier),
        webhook_path: "/webhooks/sepay",
        installments: vec![200_000, 300_000],
        pay: Box::new(move |payment, amount| {
            let sandbox = sandbox.clone();
            Box::pin(async move {
                let Some(PayerAction::BankTransfer {
                    account_number,
                    remark: Some(remark),
                    ..
                }) = payment.payer_action
                else {
                    return Err("the payment request has no transfer remark".into());
                };
                sandbox
                    .sepay()
                    .transfer(NewTransfer::incoming(account_number, amount.unsigned_abs(), remark))
                    .map(drop)
                    .map_err(|e| format!("the sandbox refused the transfer: {e}"))
            })
        }),
    })
}

/// SePay's payment gateway: the customer's browser posts the signed checkout form, then pays the
/// order in full.
fn sepay_checkout(sandbox: &Arc<Sandbox>) -> Result<Setup, String> {
    let c = sandbox.credentials();
    let base = sandbox.sepay_base_url();
    let gateway = SepayPaymentGateway::builder(
        c.sepay_merchant_id.clone(),
        SecretString::from(c.sepay_secret_key.clone()),
        CheckoutEnvironment::Sandbox,
    )
    .order_api_base_url(&format!("{base}/v1/"))
    .checkout_url(&format!("{base}/v1/checkout/init"))
    .build()
    .map_err(|e| format!("the SePay gateway could not be built: {e}"))?;
    let verifier = SepayIpnVerifier::new(SecretString::from(c.sepay_secret_key.clone()));
    let sandbox = sandbox.clone();
    Ok(Setup {
        provider: Arc::new(gateway),
        verifier: Arc::new(verifier),
        webhook_path: "/webhooks/sepay-ipn",
        installments: vec![500_000],
        pay: Box::new(move |payment, _amount| {
            let sandbox = sandbox.clone();
            Box::pin(async move {
                let Some(PayerAction::FormPost { url, fields }) = payment.payer_action else {
                    return Err("the payment request has no checkout form".into());
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
                    .map_err(|e| format!("posting the checkout form failed: {e}"))?;
                check(posted.status().as_u16() == 303, "the checkout accepts the signed form")?;
                sandbox
                    .sepay()
                    .pay_order(&payment.reference_id)
                    .map(drop)
                    .map_err(|e| format!("the sandbox refused the payment: {e:?}"))
            })
        }),
    })
}

/// Prints what the customer does: the transfer details and the VietQR code, or the page to open.
fn show_payer_action(payment: &PaymentRequest) -> Result<(), String> {
    match &payment.payer_action {
        Some(PayerAction::BankTransfer {
            qr,
            bank,
            account_number,
            account_holder_name,
            remark,
        }) => {
            println!(
                "  transfer   to {} at {}{}",
                account_number,
                bank.as_ref().map_or("-", |b| b.short_name.as_str()),
                account_holder_name
                    .as_deref()
                    .map_or_else(String::new, |name| format!(" ({name})")),
            );
            println!("  remark     {}", remark.as_deref().unwrap_or("-"));
            let qr = qr.as_deref().ok_or("the payment request has no VietQR string")?;
            match VietQr::decode(qr) {
                Ok(code) => {
                    println!(
                        "\nScan to pay (VietQR: bank BIN {}, account {}, amount {}, remark {}):",
                        code.bin(),
                        code.account_number(),
                        code.amount().map_or_else(|| "-".to_string(), |a| a.to_string()),
                        code.purpose().unwrap_or("-"),
                    );
                    let picture = code
                        .to_terminal()
                        .map_err(|e| format!("the QR code could not be drawn: {e}"))?;
                    println!("{picture}");
                    check(
                        code.amount() == Some(500_000),
                        "the VietQR asks for the payment's amount",
                    )
                }
                Err(e) => {
                    println!("\nThe provider's QR string is not a valid VietQR ({e}); as received:\n{qr}");
                    Err("the payment's QR string does not decode".into())
                }
            }
        }
        Some(PayerAction::Redirect { url }) => {
            println!("  pay at     {url}");
            Ok(())
        }
        Some(PayerAction::FormPost { url, fields }) => {
            println!("  checkout   POST {url}");
            for (name, value) in fields {
                println!("             {name}={value}");
            }
            Ok(())
        }
        other => Err(format!("unexpected payer action {other:?}")),
    }
}

fn status_line(payment: &PaymentRequest) -> String {
    format!(
        "{:?}, paid {} of {}",
        payment.status,
        payment.paid_amount.map_or_else(|| "-".to_string(), |m| grouped(&m)),
        grouped(&payment.amount)
    )
}

fn check(ok: bool, what: &str) -> Result<(), String> {
    if ok {
        Ok(())
    } else {
        Err(format!("expected: {what}"))
    }
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// `500000 VND` as `500,000 VND`.
fn grouped(money: &Money) -> String {
    let text = money.amount_string();
    let (sign, digits) = text.strip_prefix('-').map_or(("", text.as_str()), |d| ("-", d));
    let (int, frac) = digits.split_once('.').map_or((digits, None), |(i, f)| (i, Some(f)));
    let mut out = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    let frac = frac.map(|f| format!(".{f}")).unwrap_or_default();
    format!("{sign}{out}{frac} {}", money.currency())
}
