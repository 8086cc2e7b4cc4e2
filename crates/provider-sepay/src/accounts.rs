//! [`BankAccountProvider`] for [`SepayClient`], dispatching to the way in the client was built with.
//!
//! - API token: SePay's list returns only the 100 most recently added accounts unless asked with
//!   `since_id`, so pages walk up the ids: the cursor is the largest id already returned.
//! - OAuth: pages of master accounts (`"p:N"`), each master followed by all its sub-accounts.

use async_trait::async_trait;
use gateway_core::{BankAccount, BankAccountProvider, Error, ErrorContext, Page, PageCursor, PageRequest};

use crate::token_api::{numeric_id, BankAccountFilter};
use crate::{Auth, SepayClient};

/// Page size of the API-token listing when the request gives none (SePay's own default).
const TOKEN_DEFAULT_LIMIT: u32 = 100;
/// Page size of the OAuth listing when the request gives none (seed 003's example), and its cap.
const OAUTH_DEFAULT_LIMIT: u32 = 20;
const OAUTH_MAX_LIMIT: u32 = 100;

fn bad_cursor(cursor: &PageCursor) -> Error {
    Error::InvalidRequest(ErrorContext::new(format!(
        "{cursor:?} is not a cursor this SePay client handed out"
    )))
}

impl SepayClient {
    /// API-token page: accounts with ids above the cursor, ascending.
    async fn token_accounts_page(&self, request: PageRequest) -> Result<Page<BankAccount>, Error> {
        let after: u64 = match &request.cursor {
            None => 0,
            Some(c) => c
                .as_str()
                .parse()
                .ok()
                .filter(|n| *n < u64::MAX)
                .ok_or_else(|| bad_cursor(c))?,
        };
        // Seed 004 reads `since_id` as inclusive ("from ID 20 onwards"). Asking again from the largest
        // id already returned (and dropping it below) is right whether the server includes that id
        // or not; asking from `after + 1` would skip an id per page on a server that excludes it.
        // The first page asks from 1, not 0: a PHP backend may read `since_id=0` as "not given" and
        // answer with only the newest accounts.
        let since_id = after.max(1);
        // With the overlap of one id, a page of one could never advance.
        let limit = request.limit.unwrap_or(TOKEN_DEFAULT_LIMIT).max(2);
        let raw = self
            .fetch_bank_accounts(&BankAccountFilter::default().since_id(since_id).limit(limit))
            .await?;
        let full = raw.len() >= limit as usize;
        let max_id = raw.iter().map(|a| a.id).max();
        // Defensive: a server that ignored since_id must not make us return accounts twice.
        let mut fresh: Vec<_> = raw.into_iter().filter(|a| a.id > after).collect();
        fresh.sort_by_key(|a| a.id);
        let items = fresh
            .into_iter()
            .map(BankAccount::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        let next = match (full, max_id) {
            (true, Some(max)) if max > after => Some(PageCursor::new(max.to_string())),
            (true, _) => {
                return Err(Error::Provider(ErrorContext::new(format!(
                    "SePay since_id did not advance: a full page after id {after} held no higher id"
                ))))
            }
            (false, _) => None,
        };
        Ok(Page::new(items, next))
    }

    /// OAuth page: `"p:N"` (no cursor = page 1).
    async fn oauth_accounts_page(&self, request: PageRequest) -> Result<Page<BankAccount>, Error> {
        let page = match &request.cursor {
            None => 1,
            Some(c) => c
                .as_str()
                .strip_prefix("p:")
                .and_then(|n| n.parse::<u32>().ok())
                .filter(|n| *n >= 1)
                .ok_or_else(|| bad_cursor(c))?,
        };
        let limit = request.limit.unwrap_or(OAUTH_DEFAULT_LIMIT).clamp(1, OAUTH_MAX_LIMIT);
        self.oauth_accounts_with_subs(page, limit).await
    }
}

/// SePay bank accounts through the core trait.
///
/// - `list_accounts`, API token: `GET /userapi/bankaccounts/list?since_id={cursor}&limit={limit}`
///   (default 100, at least 2; the first page asks from 1); master accounts in ascending id order;
///   the cursor is the largest id returned, and ids up to it are dropped from the next page.
///   A full page whose ids do not pass the cursor is [`Error::Provider`] instead of a loop.
/// - `list_accounts`, OAuth: `GET /api/v1/bank-accounts?page=N&limit=L` (default 20, at most 100),
///   then every page of `GET /api/v1/bank-accounts/{id}/sub-accounts` for each master; each master
///   is followed by its sub-accounts (ids `"{parent}/{sub}"`).
/// - `get_account`, API token: `GET /userapi/bankaccounts/details/{id}`; OAuth: `"{parent}/{sub}"`
///   searches the parent's sub-accounts, any other id `GET /api/v1/bank-accounts/{id}`. A
///   non-numeric id is [`Error::NotFound`] without a request.
///
/// An unknown cursor is [`Error::InvalidRequest`]; other errors as the client's methods.
#[async_trait]
impl BankAccountProvider for SepayClient {
    fn provider_name(&self) -> &'static str {
        "sepay"
    }

    async fn list_accounts(&self, page: PageRequest) -> Result<Page<BankAccount>, Error> {
        match &self.inner.auth {
            Auth::ApiToken(_) => self.token_accounts_page(page).await,
            Auth::OAuth(_) => self.oauth_accounts_page(page).await,
        }
    }

    async fn get_account(&self, id: &str) -> Result<BankAccount, Error> {
        match &self.inner.auth {
            Auth::ApiToken(_) => self.bank_account_details(id).await,
            Auth::OAuth(_) => match id.split_once('/') {
                Some((parent, sub)) => self.find_sub_account(numeric_id(parent)?, numeric_id(sub)?).await,
                None => self.get_oauth_bank_account(numeric_id(id)?).await,
            },
        }
    }
}
