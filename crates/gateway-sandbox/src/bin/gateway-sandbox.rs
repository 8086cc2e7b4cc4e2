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
    let c = sandbox.credentials();
    println!("gateway-sandbox is running (Ctrl-C to stop). Use these with the aggregator:");
    println!("  export FINAN_BASE_URL={}", sandbox.finan_base_url());
    println!("  export FINAN_CLIENT_ID={}", c.finan_client_id);
    println!("  export FINAN_SECRET_KEY={}", c.finan_secret_key);
    println!("  export SEPAY_BASE_URL={}", sandbox.sepay_base_url());
    println!("  export SEPAY_API_TOKEN={}", c.sepay_api_token);
    println!("  export SEPAY_OAUTH_ACCESS_TOKEN={}", c.sepay_oauth_access_token);
    println!("  export SEPAY_OAUTH_REFRESH_TOKEN={}", c.sepay_oauth_refresh_token);
    println!("  export SEPAY_OAUTH_CLIENT_ID={}", c.sepay_oauth_client_id);
    println!("  export SEPAY_OAUTH_CLIENT_SECRET={}", c.sepay_oauth_client_secret);
    tokio::signal::ctrl_c().await?;
    Ok(())
}
