//! Every account of several connections at once: the aggregator's job as a library call.

use futures::future::join_all;
use futures::TryStreamExt;

use crate::connection::{Connection, ConnectionError};
use crate::{BankAccount, Error, MoneyTotals};

/// One account with the connection it came from.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct AggregatedAccount {
    /// The connection's name.
    pub connection: String,
    /// The provider's name (`"finan"`, `"sepay"`).
    pub provider: &'static str,
    /// The account.
    pub account: BankAccount,
}

/// What [`list_all_accounts`] found.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct AggregateReport {
    /// Every account of every connection that succeeded, grouped by connection in the order given.
    pub accounts: Vec<AggregatedAccount>,
    /// Sum of the known balances, per currency.
    pub totals: MoneyTotals,
    /// One entry per connection whose listing failed; its accounts are left out rather than half
    /// listed.
    pub errors: Vec<ConnectionError>,
    /// Balances listed but left out of [`Self::totals`] (a sum that would overflow), one line each.
    pub warnings: Vec<String>,
}

/// Lists every account of every connection, all connections concurrently, each through its
/// [`crate::BankAccountProvider::stream_accounts`]: Finan and SePay OAuth fetch independent pages
/// (and SePay's sub-account lists) several at a time once the first page gave the page count;
/// SePay's API token walks `since_id` pages one after another, as each depends on the last, paced
/// at its documented 2 requests per second. Every client keeps to its provider's rate limit.
///
/// A connection that fails is reported in [`AggregateReport::errors`] and does not stop the
/// others.
pub async fn list_all_accounts(connections: &[Connection]) -> AggregateReport {
    let results = join_all(connections.iter().map(|c| async move {
        let accounts: Result<Vec<BankAccount>, Error> = c.provider().stream_accounts().try_collect().await;
        (c, accounts)
    }))
    .await;

    let mut report = AggregateReport::default();
    for (connection, result) in results {
        match result {
            Ok(accounts) => {
                for account in accounts {
                    if let Some(balance) = &account.balance {
                        if let Err(e) = report.totals.add(balance) {
                            report.warnings.push(format!(
                                "{}: balance {balance} of account {} left out of the totals: {e}",
                                connection.name(),
                                account.id
                            ));
                        }
                    }
                    report.accounts.push(AggregatedAccount {
                        connection: connection.name().to_string(),
                        provider: connection.provider().provider_name(),
                        account,
                    });
                }
            }
            Err(error) => report.errors.push(ConnectionError {
                connection: connection.name().to_string(),
                error,
            }),
        }
    }
    report
}
