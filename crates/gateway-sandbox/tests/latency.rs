//! `SandboxConfig::latency` delays provider routes and leaves the test controls alone.

use std::time::{Duration, Instant};

use gateway_sandbox::{Sandbox, SandboxConfig, SandboxCredentials};

async fn elapsed_get(url: &str, token: Option<&str>) -> Duration {
    let mut request = reqwest::Client::new().get(url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let started = Instant::now();
    request
        .send()
        .await
        .expect("request is sent")
        .bytes()
        .await
        .expect("body is read");
    started.elapsed()
}

#[tokio::test]
async fn provider_routes_are_delayed_and_controls_are_not() {
    let latency = Duration::from_millis(300);
    let config = SandboxConfig {
        latency,
        ..SandboxConfig::default()
    };
    let sandbox = Sandbox::start_with(config, SandboxCredentials::default())
        .await
        .unwrap();
    let token = sandbox.credentials().sepay_api_token.clone();
    let sepay = sandbox.sepay_base_url();
    let finan_root = sandbox.finan_base_url().trim_end_matches("/open").to_string();

    let api = elapsed_get(&format!("{sepay}/userapi/bankaccounts/count"), Some(&token)).await;
    assert!(api >= latency, "SePay API answered in {api:?}");
    // Finan refuses the unsigned request, but only after the delay.
    let finan = elapsed_get(
        &format!("{}/api/v1/master-bank-accounts", sandbox.finan_base_url()),
        None,
    )
    .await;
    assert!(finan >= latency, "Finan API answered in {finan:?}");

    for control in [
        format!("{sepay}/__sandbox/faults"),
        format!("{finan_root}/__sandbox/faults"),
    ] {
        let took = elapsed_get(&control, None).await;
        assert!(took < latency, "{control} was delayed: {took:?}");
    }
}

#[tokio::test]
async fn no_latency_by_default() {
    assert_eq!(SandboxConfig::default().latency, Duration::ZERO);
    let sandbox = Sandbox::start().await.unwrap();
    let token = sandbox.credentials().sepay_api_token.clone();
    let took = elapsed_get(
        &format!("{}/userapi/bankaccounts/count", sandbox.sepay_base_url()),
        Some(&token),
    )
    .await;
    assert!(took < Duration::from_millis(250), "{took:?}");
}
