//! The aggregator's library half: every account of every connection, concurrently, with one
//! failing connection reported without stopping the others.

mod common;

use std::collections::HashSet;
use std::sync::Arc;

use gateway::aggregate::list_all_accounts;
use gateway::connection::Connection;
use gateway::{AccountKind, Currency, Money};
use gateway_sandbox::{Sandbox, SandboxConfig};

#[tokio::test]
async fn lists_every_account_of_every_connection() {
    let sandbox = Sandbox::start().await.unwrap();
    let connections = common::sandbox_connections(&sandbox);
    let names: Vec<_> = connections.iter().map(|c| c.name().to_string()).collect();
    assert_eq!(names, ["finan", "sepay-token", "sepay-oauth"]);

    let report = list_all_accounts(&connections).await;
    assert!(report.errors.is_empty(), "{:?}", report.errors);

    let config = SandboxConfig::default();
    let count = |name: &str| report.accounts.iter().filter(|a| a.connection == name).count();
    assert_eq!(
        count("finan"),
        config.finan_sub_accounts + sandbox.finan().master_account_ids().len()
    );
    assert_eq!(count("sepay-token"), config.sepay_token_accounts);
    assert!(
        count("sepay-oauth") > config.sepay_oauth_accounts,
        "masters plus their sub-accounts"
    );

    // Ids are unique within a connection.
    for name in &names {
        let ids: Vec<_> = report
            .accounts
            .iter()
            .filter(|a| &a.connection == name)
            .map(|a| &a.account.id)
            .collect();
        let unique: HashSet<_> = ids.iter().collect();
        assert_eq!(unique.len(), ids.len(), "{name} repeats an id");
    }

    // The VND total is the exact sum of the balances.
    let mut expected = Money::zero(Currency::VND);
    for a in &report.accounts {
        if let Some(b) = &a.account.balance {
            expected = expected.checked_add(b).unwrap();
        }
    }
    assert_eq!(report.totals.get(Currency::VND), Some(expected));
    assert!(report.accounts.iter().any(|a| a.account.kind == AccountKind::Virtual));
    assert_eq!(sandbox.sepay().rate_limited_count(), 0, "the aggregator causes no 429");
    assert_eq!(
        sandbox.finan().rate_limited_count(),
        0,
        "client-side pacing keeps Finan under 100/min"
    );
}

#[tokio::test]
async fn one_failing_connection_does_not_stop_the_others() {
    let sandbox = Sandbox::start().await.unwrap();
    let connections = vec![
        Connection::new(
            "finan-bad",
            common::finan(&sandbox, "wrong-secret") as Arc<dyn gateway::BankAccountProvider>,
        ),
        Connection::new(
            "sepay-token",
            common::sepay_token(&sandbox, &sandbox.credentials().sepay_api_token),
        ),
    ];
    let report = list_all_accounts(&connections).await;
    assert_eq!(report.errors.len(), 1);
    assert_eq!(report.errors[0].connection, "finan-bad");
    assert!(
        matches!(report.errors[0].error, gateway::Error::Unauthorized(_)),
        "{:?}",
        report.errors[0].error
    );
    assert!(report.accounts.iter().all(|a| a.connection == "sepay-token"));
    assert_eq!(report.accounts.len(), SandboxConfig::default().sepay_token_accounts);
}

#[tokio::test]
async fn the_sandbox_exports_exactly_the_facade_variables() {
    use gateway::connection::*;
    let sandbox = Sandbox::start().await.unwrap();
    let mut names: Vec<&str> = sandbox.env_vars().into_iter().map(|(name, _)| name).collect();
    names.sort_unstable();
    let mut expected = vec![
        FINAN_BASE_URL,
        FINAN_CLIENT_ID,
        FINAN_SECRET_KEY,
        SEPAY_BASE_URL,
        SEPAY_API_TOKEN,
        SEPAY_OAUTH_ACCESS_TOKEN,
        SEPAY_OAUTH_REFRESH_TOKEN,
        SEPAY_OAUTH_CLIENT_ID,
        SEPAY_OAUTH_CLIENT_SECRET,
    ];
    expected.sort_unstable();
    assert_eq!(names, expected);
}
