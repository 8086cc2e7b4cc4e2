//! The conformance suite (`gateway_core::testing`), written once, run against every connection
//! on the sandbox: Finan, SePay by API token, SePay by OAuth 2.0.

mod common;

use gateway::AccountKind;
use gateway_core::testing::check_bank_account_provider;
use gateway_sandbox::{Sandbox, SandboxConfig};

#[tokio::test]
async fn finan_conforms() {
    let sandbox = Sandbox::start().await.unwrap();
    let good = common::finan(&sandbox, &sandbox.credentials().finan_secret_key);
    let bad = common::finan(&sandbox, "not-the-secret-key");
    let config = SandboxConfig::default();
    let report = check_bank_account_provider(
        good.as_ref(),
        bad.as_ref(),
        "00000000-0000-0000-0000-000000000000",
        config.finan_sub_accounts,
    )
    .await;
    let masters = report.accounts.iter().filter(|a| a.kind == AccountKind::Master).count();
    let subs = report
        .accounts
        .iter()
        .filter(|a| a.kind == AccountKind::Virtual)
        .count();
    assert_eq!(masters, sandbox.finan().master_account_ids().len());
    assert_eq!(subs, config.finan_sub_accounts);
    assert!(
        report.pages >= 3,
        "master page plus at least two pages of sub accounts, got {}",
        report.pages
    );
}

#[tokio::test]
async fn sepay_api_token_conforms() {
    let sandbox = Sandbox::start().await.unwrap();
    let good = common::sepay_token(&sandbox, &sandbox.credentials().sepay_api_token);
    let bad = common::sepay_token(&sandbox, "WRONG-TOKEN");
    let config = SandboxConfig::default();
    let report = check_bank_account_provider(good.as_ref(), bad.as_ref(), "999999", config.sepay_token_accounts).await;
    assert_eq!(
        report.accounts.len(),
        config.sepay_token_accounts,
        "every account, not only the newest 100"
    );
    assert_eq!(
        sandbox.sepay().rate_limited_count(),
        0,
        "client-side pacing keeps under 2 requests/s"
    );
}

#[tokio::test]
async fn sepay_oauth_conforms() {
    let sandbox = Sandbox::start().await.unwrap();
    let good = common::sepay_oauth(&sandbox, &sandbox.credentials().sepay_oauth_access_token);
    let bad = common::sepay_oauth_without_refresh(&sandbox, "expired-or-forged-token");
    let config = SandboxConfig::default();
    let report = check_bank_account_provider(good.as_ref(), bad.as_ref(), "999999", config.sepay_oauth_accounts).await;
    let masters = report.accounts.iter().filter(|a| a.kind == AccountKind::Master).count();
    assert_eq!(masters, config.sepay_oauth_accounts);
    assert!(
        report
            .accounts
            .iter()
            .any(|a| a.kind == AccountKind::Virtual && a.parent_id.as_deref() == Some("19")),
        "the seed's sub-accounts of account 19 are listed"
    );
}

/// The sandbox's OTP control: the OTP it "sent" for a payout.
struct SandboxOtp<'a>(&'a Sandbox);

#[async_trait::async_trait]
impl gateway_core::testing::PayoutHarness for SandboxOtp<'_> {
    async fn otp(&self, id: &str) -> Result<gateway::SecretString, String> {
        self.0
            .finan()
            .payout_otp(id)
            .map(gateway::SecretString::from)
            .ok_or_else(|| format!("the sandbox sent no OTP for payout {id}"))
    }
}

#[tokio::test]
async fn finan_payouts_conform() {
    use gateway::{Beneficiary, CreatePayout, Currency, Money};
    let sandbox = Sandbox::start().await.unwrap();
    let finan = common::finan(&sandbox, &sandbox.credentials().finan_secret_key);
    let source = sandbox.finan().master_account_ids()[0].clone();
    let request = CreatePayout::new(
        source,
        Money::from_minor_units(1_500_000, Currency::VND),
        Beneficiary::new("0123456789", "NGUYEN VAN A", "161"),
        "PAYOUT-CONFORMANCE-1",
    )
    .description("conformance");
    let report =
        gateway_core::testing::check_payout_provider(finan.as_ref(), &SandboxOtp(&sandbox), &request, 20).await;
    assert_eq!(
        sandbox.finan().payouts().len(),
        1,
        "the sandbox holds exactly the one payout: no second one for the reference, none for zero"
    );
    assert!(report.polls <= 20);
}
