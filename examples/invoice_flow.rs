//! Finan's invoice-based payment flow (integration guide, flow 2), end to end:
//!
//! ```text
//! cargo run --example invoice_flow
//! ```
//!
//! 1. creates a customer (`POST /api/v1/customers`) and a product (`POST /api/v1/products`);
//! 2. creates an invoice for 2 units at 100,000 VND, VAT 10 %, 10,000 VND off
//!    (`POST /api/v1/invoices`) and prints its totals and payment link;
//! 3. starts a webhook receiver on a free local port (verified with `FinanWebhookVerifier`) and
//!    registers it with the sandbox, as a merchant does in Finan's portal;
//! 4. creates a payment request for the invoice (`reference_type: "invoice"`) and plays the
//!    customer paying it through the sandbox's payer simulation;
//! 5. receives the verified payment webhook and reads the invoice again: paid.
//!
//! Without `FINAN_CLIENT_ID` and `FINAN_SECRET_KEY` it runs on the built-in sandbox. With them it
//! runs steps 1 and 2 against Finan (codes suffixed with the time, so reruns do not clash) and
//! stops at the payment link: real invoices are paid by real customers, and their webhooks arrive
//! at the URL registered in Finan's portal (see the `webhook_receiver` example).
//!
//! The exit status is non-zero when any step does not come out as expected.

use std::process::ExitCode;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use chrono::Utc;
use gateway::finan::webhook::FinanWebhookVerifier;
use gateway::finan::{
    Discount, FinanClient, Invoice, InvoiceItem, InvoicePaymentMethod, NewCustomer, NewInvoice, NewProduct, TaxCode,
};
use gateway::{Currency, Money, PaymentEvent, PaymentMethod, SecretString, WebhookRequest, WebhookVerifier};
use gateway_sandbox::Sandbox;
use tokio::sync::mpsc;

const WEBHOOK_PATH: &str = "/webhooks/finan";
const WEBHOOK_TIMEOUT: Duration = Duration::from_secs(10);

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(problem) => {
            eprintln!("\nFAILED: {problem}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), String> {
    let credentials = (std::env::var("FINAN_CLIENT_ID"), std::env::var("FINAN_SECRET_KEY"));
    if let (Ok(id), Ok(secret)) = credentials {
        if !id.trim().is_empty() && !secret.is_empty() {
            let client = FinanClient::builder()
                .client_id(id)
                .secret_key(SecretString::from(secret))
                .build()
                .map_err(|e| format!("the Finan client could not be built: {e}"))?;
            let invoice = create_invoice(&client, &format!("-{}", Utc::now().timestamp())).await?;
            println!(
                "\nShare the payment link with the customer: {}",
                invoice.payment_link.as_deref().unwrap_or("(none returned)")
            );
            return Ok(());
        }
    }

    let sandbox = Sandbox::start()
        .await
        .map_err(|e| format!("no credentials are set and the sandbox could not start: {e}"))?;
    println!(
        "No credentials set: using the built-in sandbox (Finan at {}).\n",
        sandbox.finan_base_url()
    );
    let c = sandbox.credentials();
    let client = FinanClient::builder()
        .client_id(c.finan_client_id.clone())
        .secret_key(SecretString::from(c.finan_secret_key.clone()))
        .base_url(&sandbox.finan_base_url())
        .build()
        .map_err(|e| format!("the Finan client could not be built: {e}"))?;

    // 1-2. Customer, product, invoice.
    let invoice = create_invoice(&client, "").await?;
    let total = invoice.total_amount.ok_or("the invoice came back without a total")?;

    // 3. The webhook receiver, registered as in Finan's portal.
    let verifier = FinanWebhookVerifier::new(
        c.finan_client_id.clone(),
        SecretString::from(c.finan_secret_key.clone()),
    );
    let (events, mut received) = mpsc::unbounded_channel();
    let router = axum::Router::new()
        .route(WEBHOOK_PATH, post(receive))
        .with_state(Receiver { verifier, events });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| format!("the webhook receiver could not bind: {e}"))?;
    let address = listener
        .local_addr()
        .map_err(|e| format!("the webhook receiver has no address: {e}"))?;
    let server = tokio::spawn(async move { axum::serve(listener, router).await });
    sandbox
        .finan()
        .set_webhook_url(Some(format!("http://{address}{WEBHOOK_PATH}")));

    // 4. A payment request for the invoice, paid by the (simulated) customer.
    let amount = Money::from_minor_units(
        i64::try_from(total).map_err(|_| "the invoice total does not fit")?,
        Currency::VND,
    );
    let payment = client
        .create_invoice_payment(&invoice.invoice_id, amount, PaymentMethod::BankTransfer)
        .await
        .map_err(|e| format!("create_invoice_payment failed: {e}"))?;
    println!(
        "\nPayment request {} for the invoice ({} VND); the customer pays it.",
        payment.id, total
    );
    sandbox
        .finan()
        .pay(&payment.id, total)
        .map_err(|e| format!("the sandbox refused the payment: {e}"))?;

    // 5. The webhook, then the invoice read again.
    let event = tokio::time::timeout(WEBHOOK_TIMEOUT, received.recv())
        .await
        .map_err(|_| "no webhook arrived within 10 seconds")?
        .ok_or("the webhook receiver stopped")?;
    match event {
        PaymentEvent::PaymentReceived(paid) => println!(
            "Webhook (signature verified): {} VND received for payment request {}, reference {}",
            paid.amount.amount_string(),
            paid.payment_request_id.as_deref().unwrap_or("-"),
            paid.reference_id.as_deref().unwrap_or("-"),
        ),
        other => return Err(format!("unexpected webhook event: {other:?}")),
    }
    server.abort();

    let invoice = client
        .get_invoice(&invoice.invoice_id)
        .await
        .map_err(|e| format!("get_invoice failed: {e}"))?;
    println!(
        "Invoice {}: status {}, paid {} of {} VND",
        invoice.invoice_code,
        invoice.status.as_ref().map_or("-", |s| s.as_str()),
        invoice.paid_amount.unwrap_or(0),
        invoice.total_amount.unwrap_or(0),
    );
    if !invoice.is_paid() {
        return Err("the invoice is not paid".into());
    }
    println!("\nOK: invoice paid.");
    Ok(())
}

/// Creates the customer, the product and the invoice; `suffix` keeps codes unique on reruns.
async fn create_invoice(client: &FinanClient, suffix: &str) -> Result<Invoice, String> {
    let customer = client
        .create_customer(
            &NewCustomer::personal("Nguyen Van B", format!("CUST-001{suffix}"))
                .email("customerb@example.com")
                .phone("+84", "0933456789"),
        )
        .await
        .map_err(|e| format!("create_customer failed: {e}"))?;
    println!(
        "Customer {} ({}): {}",
        customer.general_info.customer_code, customer.customer_id, customer.general_info.name
    );
    let product = client
        .create_product(
            &NewProduct::new("So Ban Hang Pro", format!("PRD-001{suffix}"), 100_000, 80_000)
                .sale_tax_code(TaxCode::vat_10())
                .unit("goi"),
        )
        .await
        .map_err(|e| format!("create_product failed: {e}"))?;
    println!(
        "Product {} ({}): {} VND before tax",
        product.general_info.sku_code, product.product_id, product.sale_info.sale_price
    );
    let today = Utc::now();
    let invoice = NewInvoice::new(
        format!("INV-001{suffix}"),
        &customer.general_info.customer_code,
        today,
        today + chrono::Duration::days(7),
    )
    .item(InvoiceItem::new(&product.general_info.sku_code, TaxCode::vat_10(), 2).unit_price(100_000))
    .discount(Discount::amount(10_000))
    .payment_methods(vec![InvoicePaymentMethod::BankTransfer, InvoicePaymentMethod::Card]);
    let invoice = client
        .create_invoice(&invoice)
        .await
        .map_err(|e| format!("create_invoice failed: {e}"))?;
    let vnd = |v: Option<u64>| v.map_or("-".to_string(), |v| v.to_string());
    println!(
        "Invoice {} ({}): sub-total {}, tax {}, discount {}, total {} VND, status {}",
        invoice.invoice_code,
        invoice.invoice_id,
        vnd(invoice.sub_total),
        vnd(invoice.tax_amount),
        vnd(invoice.discount_amount),
        vnd(invoice.total_amount),
        invoice.status.as_ref().map_or("-", |s| s.as_str()),
    );
    println!(
        "Payment link: {}",
        invoice.payment_link.as_deref().unwrap_or("(none returned)")
    );
    Ok(invoice)
}

#[derive(Clone)]
struct Receiver {
    verifier: FinanWebhookVerifier,
    events: mpsc::UnboundedSender<PaymentEvent>,
}

/// Verifies the delivery (signature, client id, timestamp) and hands the event over; Finan gets
/// its documented acknowledgement, or 401 for a delivery that is not authentic.
async fn receive(State(receiver): State<Receiver>, headers: HeaderMap, body: Bytes) -> (StatusCode, String) {
    let request = WebhookRequest::new("POST", WEBHOOK_PATH, &body).with_headers(&headers);
    match receiver.verifier.verify(&request) {
        Ok(event) => {
            let _ = receiver.events.send(event);
            let ack = receiver.verifier.acknowledgement();
            (
                StatusCode::from_u16(ack.status).unwrap_or(StatusCode::OK),
                ack.body.into_owned(),
            )
        }
        Err(e) => (StatusCode::UNAUTHORIZED, e.to_string()),
    }
}
