//! A webhook receiver: serves `POST /webhooks/finan`, verifies Finan's signed deliveries, and
//! prints every event, until Ctrl-C.
//!
//! ```text
//! cargo run --example webhook_receiver --features axum
//! ```
//!
//! - `RECEIVER_ADDR`: where to listen (default `127.0.0.1:3000`).
//! - `FINAN_CLIENT_ID`, `FINAN_SECRET_KEY`: the Open API credentials Finan signs webhooks with.
//!   When both are unset, it verifies with the sandbox's default credentials, so it works with
//!   `cargo run -p gateway-sandbox`: register `http://127.0.0.1:3000/webhooks/finan` with
//!   `POST http://127.0.0.1:8701/__sandbox/finan/webhook` and pay a payment request through
//!   `POST http://127.0.0.1:8701/__sandbox/finan/payments/<id>/pay`. (`accept_payment` does the
//!   whole flow in one process.)
//!
//! Each delivery is verified (signature, client id, replay window, body size), deduplicated by
//! event id, and printed once; Finan gets its documented 200 reply, a forged delivery 401.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use gateway::finan::webhook::FinanWebhookVerifier;
use gateway::receiver::{axum, WebhookReceiver};
use gateway::{PaymentEvent, SecretString};
use gateway_sandbox::SandboxCredentials;

const PATH: &str = "/webhooks/finan";

#[tokio::main]
async fn main() -> ExitCode {
    let addr = std::env::var("RECEIVER_ADDR")
        .ok()
        .filter(|a| !a.trim().is_empty())
        .unwrap_or_else(|| "127.0.0.1:3000".to_string());
    let addr: SocketAddr = match addr.trim().parse() {
        Ok(addr) => addr,
        Err(e) => {
            eprintln!("RECEIVER_ADDR={addr:?} is not an address like 127.0.0.1:3000: {e}");
            return ExitCode::FAILURE;
        }
    };

    let var = |name: &str| {
        std::env::var(name)
            .ok()
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let (client_id, secret_key) = match (var("FINAN_CLIENT_ID"), var("FINAN_SECRET_KEY")) {
        (Some(id), Some(key)) => (id, key),
        (None, None) => {
            let sandbox = SandboxCredentials::default();
            eprintln!(
                "FINAN_CLIENT_ID and FINAN_SECRET_KEY are not set: verifying with the sandbox's default credentials (client id {}).",
                sandbox.finan_client_id
            );
            (sandbox.finan_client_id, sandbox.finan_secret_key)
        }
        (id, _) => {
            let missing = if id.is_none() {
                "FINAN_CLIENT_ID"
            } else {
                "FINAN_SECRET_KEY"
            };
            eprintln!(
                "{missing} is not set: set both FINAN_CLIENT_ID and FINAN_SECRET_KEY, or neither for the sandbox"
            );
            return ExitCode::FAILURE;
        }
    };

    let verifier = FinanWebhookVerifier::new(client_id, SecretString::from(secret_key));
    let router = WebhookReceiver::new()
        .route(PATH, Arc::new(verifier))
        .handler(|event: PaymentEvent| async move {
            print_event(&event);
            Ok::<(), Infallible>(())
        })
        .into_router();

    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("cannot listen on {addr}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let local = listener.local_addr().unwrap_or(addr);
    println!("Receiving Finan webhooks at http://{local}{PATH} (Ctrl-C to stop)");

    let shutdown = async {
        // If the signal cannot be listened for, run until killed.
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    match axum::serve(listener, router).with_graceful_shutdown(shutdown).await {
        Ok(()) => {
            println!("stopped");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("server error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn print_event(event: &PaymentEvent) {
    match event {
        PaymentEvent::PaymentReceived(payment) => println!(
            "payment received: {} {} for order {} (payment request {}, {})",
            payment.event_id,
            payment.amount,
            payment.reference_id.as_deref().unwrap_or("-"),
            payment.payment_request_id.as_deref().unwrap_or("-"),
            payment
                .paid_at
                .map_or_else(|| "time unknown".to_string(), |t| t.to_rfc3339()),
        ),
        PaymentEvent::TransactionVoided { event_id, amount, .. } => {
            println!(
                "transaction voided: {event_id} {}",
                amount.map_or_else(|| "-".to_string(), |a| a.to_string())
            )
        }
        other => println!(
            "other event: {}",
            serde_json::to_string(other).unwrap_or_else(|_| format!("{other:?}"))
        ),
    }
}
