//! The conformance suite: generic checks that every [`BankAccountProvider`] must pass, written once
//! and run against every provider (on the sandbox, or on real credentials), as Omnipay's
//! `GatewayTestCase` runs against every gateway. A new provider inherits every check.
//!
//! Enabled by the `testing` feature. The checks panic with a message naming the failed rule, as
//! test assertions do.

use std::collections::HashSet;

use futures::TryStreamExt;

use crate::{AccountKind, BankAccount, BankAccountProvider, Error, PageRequest};

/// What the suite saw, for further provider-specific assertions.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ConformanceReport {
    /// Every account the stream returned, in order.
    pub accounts: Vec<BankAccount>,
    /// How many pages walking `list_accounts` by hand took.
    pub pages: usize,
}

/// Runs every bank-account check against one connection:
///
/// 1. the listing spans more than one page, and walking the pages by hand with
///    [`BankAccountProvider::list_accounts`] gives exactly what [`BankAccountProvider::stream_accounts`]
///    gives (same ids, same order), with no duplicate id and at least `min_accounts` accounts;
/// 2. every account has an id, an account number, a holder name and a bank code;
/// 3. [`BankAccountProvider::get_account`] returns the listed account, for the first master and the
///    first virtual account;
/// 4. a missing id gives [`Error::NotFound`];
/// 5. `bad_credentials` (the same provider with wrong credentials) gives [`Error::Unauthorized`]
///    for both a listing and a lookup.
///
/// # Panics
/// When a check fails, with a message naming it.
pub async fn check_bank_account_provider(
    provider: &dyn BankAccountProvider,
    bad_credentials: &dyn BankAccountProvider,
    missing_id: &str,
    min_accounts: usize,
) -> ConformanceReport {
    let name = provider.provider_name();

    // 1. Pages by hand vs the stream.
    let mut by_hand = Vec::new();
    let mut request = PageRequest::first();
    let mut pages = 0;
    loop {
        let page = provider
            .list_accounts(request.clone())
            .await
            .unwrap_or_else(|e| panic!("{name}: list_accounts failed: {e}"));
        pages += 1;
        by_hand.extend(page.items);
        match page.next {
            Some(next) => request = PageRequest::at(next),
            None => break,
        }
        assert!(
            pages < 10_000,
            "{name}: more than 10,000 pages; the cursor does not seem to end"
        );
    }
    assert!(
        pages > 1,
        "{name}: the listing fit one page; seed more accounts so paging is exercised"
    );
    let streamed: Vec<BankAccount> = provider
        .stream_accounts()
        .try_collect()
        .await
        .unwrap_or_else(|e| panic!("{name}: stream_accounts failed: {e}"));
    let ids = |v: &[BankAccount]| v.iter().map(|a| a.id.clone()).collect::<Vec<_>>();
    assert_eq!(
        ids(&streamed),
        ids(&by_hand),
        "{name}: the stream and the pages disagree"
    );
    let unique: HashSet<_> = streamed.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(unique.len(), streamed.len(), "{name}: the listing repeats an id");
    assert!(
        streamed.len() >= min_accounts,
        "{name}: {} accounts listed, expected at least {min_accounts}",
        streamed.len()
    );

    // 2. Required fields.
    for a in &streamed {
        assert!(!a.id.is_empty(), "{name}: an account has no id");
        assert!(
            !a.account_number.is_empty(),
            "{name}: account {} has no account number",
            a.id
        );
        assert!(
            !a.account_holder_name.is_empty(),
            "{name}: account {} has no holder name",
            a.id
        );
        assert!(!a.bank.code.is_empty(), "{name}: account {} has no bank code", a.id);
    }

    // 3. get_account returns what the listing returned.
    for kind in [AccountKind::Master, AccountKind::Virtual] {
        if let Some(listed) = streamed.iter().find(|a| a.kind == kind) {
            let got = provider
                .get_account(&listed.id)
                .await
                .unwrap_or_else(|e| panic!("{name}: get_account({}) failed: {e}", listed.id));
            assert_eq!(
                &got, listed,
                "{name}: get_account({}) differs from the listing",
                listed.id
            );
        }
    }

    // 4. A missing id is NotFound.
    match provider.get_account(missing_id).await {
        Err(Error::NotFound(_)) => {}
        other => panic!("{name}: get_account({missing_id:?}) should be NotFound, got {other:?}"),
    }

    // 5. Bad credentials are Unauthorized.
    match bad_credentials.list_accounts(PageRequest::first()).await {
        Err(Error::Unauthorized(_)) => {}
        other => panic!("{name}: bad credentials should be Unauthorized on list, got {other:?}"),
    }
    match bad_credentials.get_account(&streamed[0].id).await {
        Err(Error::Unauthorized(_)) => {}
        other => panic!("{name}: bad credentials should be Unauthorized on get, got {other:?}"),
    }

    ConformanceReport {
        accounts: streamed,
        pages,
    }
}
