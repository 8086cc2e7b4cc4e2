//! End to end against the independent Finan emulator in `gateway-sandbox` (it shares no signing or
//! wire code with this crate): real signatures, pagination, create, the 30 s timestamp window.

use futures::TryStreamExt;
use gateway_core::{AccountKind, BankAccountProvider, Currency, Error};
use gateway_sandbox::Sandbox;
use provider_finan::{AccountFilter, CreateBankAccount, FinanClient, SecretString};

fn client(sandbox: &Sandbox) -> FinanClient {
    FinanClient::builder()
        .client_id(sandbox.credentials().finan_client_id.clone())
        .secret_key(SecretString::from(sandbox.credentials().finan_secret_key.clone()))
        .base_url(&sandbox.finan_base_url())
        .build()
        .unwrap()
}

#[tokio::test]
async fn lists_every_account_gets_one_and_creates_one() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = client(&sandbox);
    let masters = sandbox.finan().master_account_ids();
    let subs = sandbox.finan().sub_account_count();
    assert!(masters.len() >= 2 && subs > 50, "the sandbox seeds more than one page");

    let all: Vec<_> = client.stream_accounts().try_collect().await.unwrap();
    assert_eq!(
        all.iter().filter(|a| a.kind == AccountKind::Master).count(),
        masters.len()
    );
    assert_eq!(all.iter().filter(|a| a.kind == AccountKind::Virtual).count(), subs);
    let mut ids: Vec<_> = all.iter().map(|a| a.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), all.len(), "no account twice");
    assert!(all
        .iter()
        .filter_map(|a| a.balance)
        .all(|m| m.currency() == Currency::VND));

    let sub = all.iter().find(|a| a.kind == AccountKind::Virtual).unwrap();
    assert_eq!(&client.get_account(&sub.id).await.unwrap(), sub);
    let master = client.get_account(&masters[0]).await.unwrap();
    assert_eq!(master.kind, AccountKind::Master);
    let err = client
        .get_account("00000000-0000-0000-0000-000000000000")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotFound(_)), "{err:?}");

    let filtered = client
        .list_master_accounts(&AccountFilter::all().id(&masters[1]))
        .await
        .unwrap();
    assert_eq!(
        filtered.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(),
        [masters[1].as_str()]
    );

    let created = client
        .create_bank_account(&CreateBankAccount::new(
            &masters[0],
            "K\u{1ebf} to\u{e1}n chi nh\u{e1}nh",
        ))
        .await
        .unwrap();
    assert_eq!(created.account_name, "K\u{1ebf} to\u{e1}n chi nh\u{e1}nh");
    assert_eq!(created.currency, Currency::VND);
    assert_eq!(sandbox.finan().sub_account_count(), subs + 1);
    let fetched = client.get_bank_account(&created.account_id).await.unwrap();
    assert_eq!(fetched.account_number, created.account_number);
    assert_eq!(fetched.kind, AccountKind::Virtual);
}

#[tokio::test]
async fn clock_skew_beyond_30_seconds_is_unauthorized() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = client(&sandbox);
    sandbox.finan().set_clock_skew_secs(31);
    let err = client.list_master_accounts(&AccountFilter::all()).await.unwrap_err();
    assert!(matches!(err, Error::Unauthorized(_)), "{err:?}");
    assert_eq!(err.status(), Some(401));
    sandbox.finan().set_clock_skew_secs(0);
    assert!(client.list_master_accounts(&AccountFilter::all()).await.is_ok());
}

#[tokio::test]
async fn wrong_secret_is_unauthorized() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = FinanClient::builder()
        .client_id(sandbox.credentials().finan_client_id.clone())
        .secret_key(SecretString::from("not-the-secret"))
        .base_url(&sandbox.finan_base_url())
        .build()
        .unwrap();
    let err = client.list_master_accounts(&AccountFilter::all()).await.unwrap_err();
    assert!(matches!(err, Error::Unauthorized(_)), "{err:?}");
    assert_eq!(sandbox.finan().request_count(), 1);
}

/// The sandbox enforces Finan's sliding one-minute window; a client paced at the same quota never
/// hits it, even with concurrent calls and no retries, while an unpaced burst does.
#[tokio::test]
async fn pacing_at_the_quota_causes_no_429() {
    use gateway_sandbox::{SandboxConfig, SandboxCredentials};
    use provider_finan::{RequestOptions, RetryPolicy};

    let config = SandboxConfig {
        finan_requests_per_minute: Some(30),
        ..SandboxConfig::default()
    };
    let sandbox = Sandbox::start_with(config, SandboxCredentials::default())
        .await
        .unwrap();
    let once = RequestOptions::new().retry_policy(RetryPolicy::none());

    // 30 a minute: 3 at once, then one every 60 s / 27 = 2.2 s.
    let paced = FinanClient::builder()
        .client_id(sandbox.credentials().finan_client_id.clone())
        .secret_key(SecretString::from(sandbox.credentials().finan_secret_key.clone()))
        .base_url(&sandbox.finan_base_url())
        .requests_per_minute(30)
        .build()
        .unwrap();
    let calls = (0..4).map(|_| {
        let client = paced.clone();
        let once = once.clone();
        async move { client.list_master_accounts_with(&AccountFilter::all(), &once).await }
    });
    for result in futures::future::join_all(calls).await {
        result.expect("no 429");
    }
    assert_eq!(sandbox.finan().rate_limited_count(), 0);

    // The same sandbox refuses a burst past its quota from a client paced for Enterprise.
    let fast = FinanClient::builder()
        .client_id(sandbox.credentials().finan_client_id.clone())
        .secret_key(SecretString::from(sandbox.credentials().finan_secret_key.clone()))
        .base_url(&sandbox.finan_base_url())
        .requests_per_minute(500)
        .build()
        .unwrap();
    let calls = (0..30).map(|_| {
        let client = fast.clone();
        let once = once.clone();
        async move { client.list_master_accounts_with(&AccountFilter::all(), &once).await }
    });
    let refused = futures::future::join_all(calls)
        .await
        .into_iter()
        .filter(|r| matches!(r, Err(Error::RateLimited { .. })))
        .count();
    assert!(refused > 0, "the sandbox enforces the quota");
    assert_eq!(sandbox.finan().rate_limited_count(), refused as u64);
}
