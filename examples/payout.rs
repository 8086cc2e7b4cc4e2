//! Sending a payout with Finan One: create it, confirm it with the OTP, poll until it is done.
//!
//! ```text
//! cargo run --example payout
//! ```
//!
//! With no credentials set it runs on the built-in sandbox, which plays the bank: the OTP it
//! "sends" is read from its control endpoint `GET /__sandbox/finan/payouts/{id}/otp`. With
//! `FINAN_CLIENT_ID` and `FINAN_SECRET_KEY` (and optionally `FINAN_BASE_URL`) set it pays out for
//! real (Enterprise accounts only, from a whitelisted IP) and asks for the OTP on stdin; it then
//! needs `FINAN_PAYOUT_ACCOUNT_ID` (the source Shinhan master account's id),
//! `FINAN_PAYOUT_BENEFICIARY_ACCOUNT`, `FINAN_PAYOUT_BENEFICIARY_NAME`,
//! `FINAN_PAYOUT_BENEFICIARY_BANK_ID` (Finan's bank code from its Code Reference, not the NAPAS
//! BIN) and `FINAN_PAYOUT_AMOUNT` (VND); `FINAN_PAYOUT_REFERENCE` (optional) fixes the reference id,
//! so a rerun after an unclear failure finds the payout instead of making a second one.
//!
//! After the setup the code goes through the provider-neutral `PayoutProvider` trait:
//! 1. creates a payout for reference `PAYOUT-<unix time>` (status: awaiting the OTP);
//! 2. reads the OTP (sandbox control, or stdin) and confirms the payout with it;
//! 3. reads the payout every half second until it is final (at most 10 seconds).
//!
//! The exit status is non-zero unless the payout ends as succeeded.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use gateway::finan::FinanClient;
use gateway::{Beneficiary, CreatePayout, Currency, Money, PayoutProvider, PayoutStatus, SecretString};
use gateway_sandbox::Sandbox;

/// Where the OTP comes from.
enum OtpSource {
    /// The sandbox's control endpoint, at this base URL (`http://127.0.0.1:PORT`).
    Sandbox(String),
    /// The account holder types it.
    Stdin,
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => {
            println!("OK: payout done.");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("payout failed: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), String> {
    // Kept alive until the end: dropping it stops the sandbox.
    let mut _sandbox = None;
    let (client, request, otp_source) = match (var("FINAN_CLIENT_ID"), var("FINAN_SECRET_KEY")) {
        (Some(id), Some(secret)) => {
            let mut builder = FinanClient::builder()
                .client_id(id)
                .secret_key(SecretString::from(secret));
            if let Some(url) = var("FINAN_BASE_URL") {
                builder = builder.base_url(&url);
            }
            let client = builder.build().map_err(|e| e.to_string())?;
            (client, request_from_env()?, OtpSource::Stdin)
        }
        _ => {
            let sandbox = Sandbox::start()
                .await
                .map_err(|e| format!("the sandbox could not start: {e}"))?;
            println!(
                "No credentials set: using the built-in sandbox at {}.",
                sandbox.finan_base_url()
            );
            let client = FinanClient::builder()
                .client_id(sandbox.credentials().finan_client_id.clone())
                .secret_key(SecretString::from(sandbox.credentials().finan_secret_key.clone()))
                .base_url(&sandbox.finan_base_url())
                .build()
                .map_err(|e| e.to_string())?;
            let source = sandbox.finan().master_account_ids()[0].clone();
            let request = CreatePayout::new(
                source,
                Money::from_minor_units(6_000_000, Currency::VND),
                Beneficiary::new("1234567890", "NGUYEN VAN A", "161"),
                reference(),
            )
            .description("thanh toan don hang");
            let control = sandbox.finan_base_url().trim_end_matches("/open").to_string();
            _sandbox = Some(sandbox);
            (client, request, OtpSource::Sandbox(control))
        }
    };
    let payouts: Arc<dyn PayoutProvider> = Arc::new(client);

    // 1. Create: Finan sends the OTP to the account holder.
    let created = payouts.create_payout(&request).await.map_err(|e| e.to_string())?;
    println!(
        "1. created payout {} ({} VND to {} at bank {}, reference {}): {:?}",
        created.id,
        created.amount.amount(),
        created.beneficiary.account_number,
        created.beneficiary.bank_id,
        request.reference_id,
        created.status
    );

    // 2. The OTP, then confirm. The OTP is never printed.
    let otp = match &otp_source {
        OtpSource::Sandbox(base) => sandbox_otp(base, &created.id).await?,
        OtpSource::Stdin => stdin_otp().await?,
    };
    let confirmed = payouts
        .confirm_payout(&created.id, &otp)
        .await
        .map_err(|e| e.to_string())?;
    println!("2. confirmed with the OTP: {:?}", confirmed.status);

    // 3. Poll until final.
    let mut payout = confirmed;
    for _ in 0..20 {
        if payout.status.is_final() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        payout = payouts.get_payout(&created.id).await.map_err(|e| e.to_string())?;
        println!("3. payout {}: {:?}", payout.id, payout.status);
    }
    match payout.status {
        PayoutStatus::Succeeded => Ok(()),
        other => Err(format!("payout {} ended as {other:?}", payout.id)),
    }
}

/// `GET /__sandbox/finan/payouts/{id}/otp`: `{"data": {"otp": "123456"}, ...}`.
async fn sandbox_otp(base: &str, id: &str) -> Result<SecretString, String> {
    let reply: serde_json::Value = reqwest::get(format!("{base}/__sandbox/finan/payouts/{id}/otp"))
        .await
        .and_then(|r| r.error_for_status())
        .map_err(|e| format!("could not read the sandbox's OTP: {e}"))?
        .json()
        .await
        .map_err(|e| format!("could not read the sandbox's OTP: {e}"))?;
    let otp = reply["data"]["otp"]
        .as_str()
        .ok_or("the sandbox's OTP reply has no data.otp")?;
    println!("   (the sandbox 'sent' the OTP; read from its control endpoint)");
    Ok(SecretString::from(otp.to_string()))
}

async fn stdin_otp() -> Result<SecretString, String> {
    println!("Enter the OTP Finan sent to the account holder:");
    tokio::task::spawn_blocking(|| {
        let mut line = String::new();
        std::io::stdin()
            .read_line(&mut line)
            .map_err(|e| format!("could not read the OTP: {e}"))?;
        Ok(SecretString::from(line.trim().to_string()))
    })
    .await
    .map_err(|e| e.to_string())?
}

fn request_from_env() -> Result<CreatePayout, String> {
    let need = |name: &str| var(name).ok_or_else(|| format!("{name} is not set"));
    let amount: i64 = need("FINAN_PAYOUT_AMOUNT")?
        .parse()
        .map_err(|_| "FINAN_PAYOUT_AMOUNT must be a whole number of VND".to_string())?;
    Ok(CreatePayout::new(
        need("FINAN_PAYOUT_ACCOUNT_ID")?,
        Money::from_minor_units(amount, Currency::VND),
        Beneficiary::new(
            need("FINAN_PAYOUT_BENEFICIARY_ACCOUNT")?,
            need("FINAN_PAYOUT_BENEFICIARY_NAME")?,
            need("FINAN_PAYOUT_BENEFICIARY_BANK_ID")?,
        ),
        var("FINAN_PAYOUT_REFERENCE").unwrap_or_else(reference),
    )
    .description("gateway payout example"))
}

/// A fresh reference when `FINAN_PAYOUT_REFERENCE` is not set. Set it to rerun after a
/// "may still be creating" error: the same reference finds the payout instead of making another.
fn reference() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    format!("PAYOUT-{secs}")
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}
