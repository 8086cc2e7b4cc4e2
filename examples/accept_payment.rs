//! Accepting a payment, end to end, against the built-in sandbox (no credentials needed):
//!
//! ```text
//! cargo run --example accept_payment --features axum,qr-render
//! ```
//!
//! 1. creates a payment request of 500,000 VND for order `ORDER-<unix time>` by bank transfer,
//!    through the provider-neutral `PaymentProvider` trait (the app does not know it is Finan);
//! 2. prints its id, code, transfer remark and expiry, and the VietQR code in the terminal;
//! 3. starts a webhook receiver (`gateway::receiver`, Finan's verifier) on a free local port and
//!    registers its URL with the sandbox, as a merchant does in Finan's portal;
//! 4. plays the customer: pays 200,000 VND, then the remaining 300,000 VND (the sandbox's payer
//!    simulation), and prints each verified `PaymentReceived` event the receiver hands over;
//! 5. reads the payment request again: Paid, 500,000 VND paid.
//!
//! The exit status is non-zero when any step does not come out as expected (within 10 seconds
//! for the webhooks). Real providers have no payer simulation, so this example always runs on the
//! sandbox; with real credentials, create payments with `FinanClient` as in step 1 and receive
//! the webhooks with the `webhook_receiver` example.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use gateway::finan::webhook::FinanWebhookVerifier;
use gateway::finan::FinanClient;
use gateway::receiver::{axum, WebhookReceiver};
use gateway::vietqr::VietQr;
use gateway::{
    CreatePayment, Currency, Money, PayerAction, PaymentEvent, PaymentMethod, PaymentProvider, PaymentReceived,
    PaymentRequest, PaymentStatus, SecretString,
};
use gateway_sandbox::{Sandbox, SandboxConfig, SandboxCredentials};
use tokio::sync::mpsc;

/// How long to wait for each webhook to arrive.
const WEBHOOK_TIMEOUT: Duration = Duration::from_secs(10);
const WEBHOOK_PATH: &str = "/webhooks/finan";

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
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

async fn run() -> Result<(), String> {
    if std::env::var("FINAN_CLIENT_ID").is_ok_and(|v| !v.trim().is_empty()) {
        println!(
            "Note: FINAN_CLIENT_ID is set, but this flow needs the sandbox's payer simulation (nobody pays a real \
             payment request for you), so it runs on the built-in sandbox and ignores your credentials."
        );
    }

    // The sandbox, with Finan's webhook retries shortened from 5/10/15 minutes to under a second.
    let config = SandboxConfig {
        finan_webhook_retry_delays: [100, 300, 600].map(Duration::from_millis).to_vec(),
        ..SandboxConfig::default()
    };
    let credentials = SandboxCredentials::default();
    let sandbox = Sandbox::start_with(config, credentials.clone())
        .await
        .map_err(|e| format!("the sandbox could not start: {e}"))?;
    println!("Sandbox: Finan One at {}\n", sandbox.finan_base_url());

    let finan = FinanClient::builder()
        .client_id(credentials.finan_client_id.clone())
        .secret_key(SecretString::from(credentials.finan_secret_key.clone()))
        .base_url(&sandbox.finan_base_url())
        .build()
        .map_err(|e| format!("the Finan client could not be built: {e}"))?;
    // From here on the app sees only the trait.
    let provider: &dyn PaymentProvider = &finan;

    // 1. Create the payment request.
    let order = format!("ORDER-{}", unix_now());
    let total = Money::from_minor_units(500_000, Currency::VND);
    let mut create = CreatePayment::new(total, order.clone(), PaymentMethod::BankTransfer);
    create.description = Some("Thanh toan don hang".into());
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
    let verifier = FinanWebhookVerifier::new(
        credentials.finan_client_id.clone(),
        SecretString::from(credentials.finan_secret_key.clone()),
    );
    let router = WebhookReceiver::new()
        .route(WEBHOOK_PATH, Arc::new(verifier))
        .handler(move |event: PaymentEvent| {
            let events_tx = events_tx.clone();
            async move { events_tx.send(event).map_err(|_| "the example stopped listening") }
        })
        .into_router();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| format!("cannot listen on a local port: {e}"))?;
    let receiver_url = format!(
        "http://{}{WEBHOOK_PATH}",
        listener.local_addr().map_err(|e| e.to_string())?
    );
    let server = tokio::spawn(async move { axum::serve(listener, router).await });
    sandbox.finan().set_webhook_url(Some(receiver_url.clone()));
    println!("\nWebhook receiver listening at {receiver_url} (registered with the sandbox)");

    // 4. The customer pays in two transfers; each one brings a signed webhook.
    let mut received: Vec<PaymentReceived> = Vec::new();
    for amount in [200_000, 300_000] {
        println!(
            "\nCustomer pays {}...",
            grouped(&Money::from_minor_units(amount, Currency::VND))
        );
        sandbox
            .finan()
            .pay(&payment.id, amount as u64)
            .map_err(|e| format!("the sandbox refused the payment: {e}"))?;
        let event = tokio::time::timeout(WEBHOOK_TIMEOUT, events.recv())
            .await
            .map_err(|_| {
                format!(
                    "no webhook within {} s; deliveries: {:?}",
                    WEBHOOK_TIMEOUT.as_secs(),
                    sandbox.finan().deliveries()
                )
            })?
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
        check(
            paid.amount == Money::from_minor_units(amount, Currency::VND),
            "the event's amount is the amount paid",
        )?;
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
    check(received.len() == 2, "two payment events")?;
    check(
        received[0].event_id != received[1].event_id,
        "each transfer is its own event",
    )?;

    // Every delivery was acknowledged on the first attempt.
    let deliveries = sandbox.finan().wait_for_deliveries(2, WEBHOOK_TIMEOUT).await;
    check(
        deliveries.len() == 2 && deliveries.iter().all(|d| d.succeeded() && d.attempt == 1),
        "the sandbox's two deliveries were acknowledged",
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
