//! `cargo run -p gateway-sandbox`: a long-running sandbox of both providers.
//!
//! Ports come from `SANDBOX_FINAN_PORT` (default 8701) and `SANDBOX_SEPAY_PORT` (default 8702).
//! At start it prints the environment for the aggregator and the test controls: the payer
//! simulations, webhook URLs, the SePay OAuth login, and fault injection (`/__sandbox/faults`).

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
        "SePay OAuth login (auto-approved, no login page): GET {}/oauth/authorize?response_type=code&client_id={}&redirect_uri=<registered>&scope=bank-account:read%20transaction:read&state=<random>",
        sandbox.sepay_base_url(),
        c.sepay_oauth_client_id
    );
    println!(
        "  redirects to <redirect_uri>?code=...&state=...; registered redirect URIs: {}",
        c.sepay_oauth_redirect_uris.join(", ")
    );
    println!(
        "  then POST {}/oauth/token grant_type=authorization_code&code=...&redirect_uri=...&client_id=...&client_secret=... (codes are single-use, 5 minutes)",
        sandbox.sepay_base_url()
    );
    println!(
        "(SePay rotates the refresh token on every refresh: after one, restart the sandbox or export the new one.)"
    );
    let finan_root = sandbox.finan_base_url().trim_end_matches("/open").to_string();
    println!(
        "Fault injection (no auth; one fault set per listener; GET lists pending faults and counters, DELETE clears):"
    );
    for base in [&finan_root, &sandbox.sepay_base_url()] {
        println!("  GET, POST, DELETE {base}/__sandbox/faults");
    }
    println!(
        "  e.g. POST {}/__sandbox/faults {{\"route\": \"GET /userapi/bankaccounts/list\", \"type\": \"status_429\", \"retry_after\": 2, \"count\": 3}}",
        sandbox.sepay_base_url()
    );
    println!(
        "  types: status_429 {{retry_after?}}, status {{code}}, delay {{ms}}, reset_mid_body, truncated_json, html_error_page {{status}}, empty_ok, wrong_content_type, duplicate_delivery, out_of_order (the last two: next webhook/IPN)"
    );
    tokio::signal::ctrl_c().await?;
    Ok(())
}
