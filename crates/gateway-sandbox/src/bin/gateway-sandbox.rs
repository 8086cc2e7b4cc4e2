//! `cargo run -p gateway-sandbox`: a long-running sandbox of both providers.
//!
//! Ports come from `SANDBOX_FINAN_PORT` (default 8701) and `SANDBOX_SEPAY_PORT` (default 8702).

use gateway_sandbox::{Sandbox, SandboxConfig, SandboxCredentials};

fn port(var: &str, default: u16) -> u16 {
    std::env::var(var).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let finan = ([127, 0, 0, 1], port("SANDBOX_FINAN_PORT", 8701)).into();
    let sepay = ([127, 0, 0, 1], port("SANDBOX_SEPAY_PORT", 8702)).into();
    let sandbox = Sandbox::bind(SandboxConfig::default(), SandboxCredentials::default(), finan, sepay).await?;
    println!("gateway-sandbox is running (Ctrl-C to stop). Use these with the aggregator:");
    for (name, value) in sandbox.env_vars() {
        println!("  export {name}={value}");
    }
    let control = format!("{}/__sandbox/finan", sandbox.finan_base_url().trim_end_matches("/open"));
    println!("Finan payer simulation (no signature needed):");
    println!("  POST {control}/payments/<payment_request_id>/pay   {{\"amount\": 500000}}");
    println!("  POST {control}/payments/<payment_request_id>/expire");
    println!("  POST {control}/webhook   {{\"url\": \"http://127.0.0.1:3000/webhooks/finan\"}}");
    println!("  GET  {control}/webhook/deliveries");
    let c = sandbox.credentials();
    println!(
        "SePay payment gateway: merchant {} secret key {}",
        c.sepay_merchant_id, c.sepay_secret_key
    );
    println!(
        "  checkout form posts to {}/v1/checkout/init, Order API at {}/v1/",
        sandbox.sepay_base_url(),
        sandbox.sepay_base_url()
    );
    println!("  payer simulation: POST {}/__sandbox/sepay/orders/<invoice>/pay, IPN URL: POST {}/__sandbox/sepay/ipn {{\"url\": ...}}", sandbox.sepay_base_url(), sandbox.sepay_base_url());
    println!(
        "  bank transfer: POST {}/__sandbox/sepay/transfers {{\"account_number\": \"0071000899999\", \"amount\": 250000, \"content\": \"DH123456\"}}",
        sandbox.sepay_base_url()
    );
    println!(
        "  bank-transaction webhook URL: POST {}/__sandbox/sepay/webhook {{\"url\": ...}} (sent with Authorization: Apikey {})",
        sandbox.sepay_base_url(),
        c.sepay_webhook_api_key
    );
    println!(
        "(SePay rotates the refresh token on every refresh: after one, restart the sandbox or export the new one.)"
    );
    tokio::signal::ctrl_c().await?;
    Ok(())
}
