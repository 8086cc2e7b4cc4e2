//! [`BankAccountProvider`] for [`SepayClient`], dispatching to the way in the client was built with.
//!
//! - API token: SePay's list returns only the 100 most recently added accounts unless asked with
//!   `since_id`, so pages walk up the ids: the cursor is the largest id already returned.
//! - OAuth: pages of master accounts (`"p:N"`), each master followed by all its sub-accounts.

use async_trait::async_trait;
use futures::stream::{self, BoxStream, StreamExt};
use gateway_core::page::{numbered_pages, paginate, until_error};
use gateway_core::{BankAccount, BankAccountProvider, Error, ErrorContext, Page, PageCursor, PageRequest};

use crate::token_api::{numeric_id, BankAccountFilter};
use crate::wire::UserApiAccount;
use crate::{Auth, SepayClient};

/// Page size of the API-token listing when the request gives none (SePay's own default).
const TOKEN_DEFAULT_LIMIT: u32 = 100;
/// The largest `limit` asked for; SePay documents 5000 as the maximum of its transaction list and
/// no maximum for the bank account list.
const TOKEN_MAX_LIMIT: u32 = 5000;
/// Page size of the OAuth listing when the request gives none (seed 003's example), and its cap.
const OAUTH_DEFAULT_LIMIT: u32 = 20;
const OAUTH_MAX_LIMIT: u32 = 100;

/// Requests [`BankAccountProvider::stream_accounts`] keeps in flight at once on the OAuth API
/// (pages of bank accounts, and sub-account lists), which documents no rate limit. The API-token
/// listing is sequential: each page depends on the last.
pub const STREAM_CONCURRENCY: usize = 8;

fn bad_cursor(cursor: &PageCursor) -> Error {
    Error::InvalidRequest(ErrorContext::new(format!(
        "{cursor:?} is not a cursor this SePay client handed out"
    )))
}

/// Where an API-token listing stands, carried in its cursor as `"{after}/{seen}/{expected}"`: the
/// largest id returned so far, how many accounts were returned, and how many the count endpoint
/// reported before the first page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct TokenListing {
    after: u64,
    seen: u64,
    expected: u64,
}

impl TokenListing {
    fn parse(cursor: &PageCursor) -> Option<Self> {
        let mut parts = cursor.as_str().split('/').map(|p| p.parse::<u64>().ok());
        match (parts.next(), parts.next(), parts.next(), parts.next()) {
            (Some(Some(after)), Some(Some(seen)), Some(Some(expected)), None) if after < u64::MAX => {
                Some(Self { after, seen, expected })
            }
            _ => None,
        }
    }

    fn cursor(&self) -> PageCursor {
        PageCursor::new(format!("{}/{}/{}", self.after, self.seen, self.expected))
    }

    fn incomplete(&self) -> Error {
        Error::Provider(ErrorContext::new(format!(
            "SePay's bank account list stopped at {} of the {} accounts its count reports; \
             the listing is incomplete (since_id did not advance)",
            self.seen, self.expected
        )))
    }
}

/// True when the server listed ids newest first (what it does without `since_id`).
fn descending(accounts: &[UserApiAccount]) -> bool {
    accounts.windows(2).any(|w| w[0].id > w[1].id)
}

impl SepayClient {
    /// API-token page: accounts with ids above the cursor, ascending.
    ///
    /// SePay documents `since_id` ("from ID 20 onwards") but not the order of a list that uses it,
    /// nor a maximum `limit`. So the first page asks `bankaccounts/count` how many accounts there
    /// are, and the walk ends only when that many were returned (or a page brings nothing new):
    /// a listing that falls short is an error, never a silently partial list.
    async fn token_accounts_page(&self, request: PageRequest) -> Result<Page<BankAccount>, Error> {
        let mut state = match &request.cursor {
            None => {
                let expected = self.count_bank_accounts(&BankAccountFilter::default()).await?;
                TokenListing {
                    after: 0,
                    seen: 0,
                    expected,
                }
            }
            Some(c) => TokenListing::parse(c).ok_or_else(|| bad_cursor(c))?,
        };
        // With the overlap of one id (below), a page of one could never advance.
        let limit = request.limit.unwrap_or(TOKEN_DEFAULT_LIMIT).clamp(2, TOKEN_MAX_LIMIT);
        // Seed 004 reads `since_id` as inclusive. Asking again from the largest id already returned
        // (and dropping it below) is right whether the server includes that id or not; asking from
        // `after + 1` would skip an id per page on a server that excludes it. The first page asks
        // from 1, not 0: a PHP backend may read `since_id=0` as "not given".
        let since_id = state.after.max(1);
        // After the first page, one more than `limit`: on an inclusive server the repeated id takes
        // a slot, and without it every page would bring `limit - 1` new accounts and the walk would
        // need an extra rate-limited request per hundred pages' worth of overlap.
        let mut asked = if state.after == 0 {
            limit
        } else {
            limit.saturating_add(1).min(TOKEN_MAX_LIMIT)
        };
        let mut raw = self
            .fetch_bank_accounts(&BankAccountFilter::default().since_id(since_id).limit(asked))
            .await?;
        let remaining = state.expected.saturating_sub(state.seen);
        if descending(&raw) && (raw.len() as u64) < remaining {
            // The server lists newest first even with `since_id`, so walking up the ids would stop
            // after the newest page. Ask for every account at once instead, if that is allowed.
            if state.after != 0 || state.expected > u64::from(TOKEN_MAX_LIMIT) {
                return Err(state.incomplete());
            }
            asked = state.expected as u32;
            raw = self
                .fetch_bank_accounts(&BankAccountFilter::default().since_id(1).limit(asked))
                .await?;
        }
        let full = raw.len() >= asked as usize;
        let max_id = raw.iter().map(|a| a.id).max().unwrap_or(state.after);
        // A server that ignored since_id must not make us return accounts twice.
        let mut fresh: Vec<_> = raw.into_iter().filter(|a| a.id > state.after).collect();
        fresh.sort_by_key(|a| a.id);
        if fresh.is_empty() {
            return if state.seen < state.expected {
                Err(state.incomplete())
            } else {
                Ok(Page::new(Vec::new(), None).with_total(Some(state.seen)))
            };
        }
        state.seen += fresh.len() as u64;
        state.after = max_id;
        let items = fresh
            .into_iter()
            .map(BankAccount::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        // Go on while the count says more. Past the count, accounts were added meanwhile: go on while
        // pages come back full. Exactly the count on a full page ends the walk, which saves the
        // rate-limited request (half a second) that would only confirm an empty page.
        let next = (state.seen < state.expected || (full && state.seen > state.expected)).then(|| state.cursor());
        Ok(Page::new(items, next).with_total(Some(state.expected.max(state.seen))))
    }

    /// OAuth page: `"p:N"` (no cursor = page 1).
    async fn oauth_accounts_page(&self, request: PageRequest) -> Result<Page<BankAccount>, Error> {
        let page = match &request.cursor {
            None => 1,
            Some(c) => oauth_page_number(c)?,
        };
        let limit = request.limit.unwrap_or(OAUTH_DEFAULT_LIMIT).clamp(1, OAUTH_MAX_LIMIT);
        self.oauth_accounts_with_subs(page, limit).await
    }

    /// Every OAuth account, masters each followed by their sub-accounts, as
    /// [`Self::oauth_accounts_page`] walked page after page gives them, but fetched concurrently:
    /// pages 2 to `last_page` of masters once page 1 told `last_page`, and the masters'
    /// sub-account lists, [`STREAM_CONCURRENCY`] requests in flight at each level, handed on in
    /// order. Without pagination totals, master pages follow one another.
    fn oauth_stream(&self) -> BoxStream<'_, Result<BankAccount, Error>> {
        let limit = OAUTH_MAX_LIMIT;
        let masters = stream::once(self.oauth_bank_account_page(1, limit)).flat_map(move |first| {
            let (page_1, last_page) = match first {
                Ok(ok) => ok,
                Err(e) => return stream::iter([Err(e)]).boxed(),
            };
            let rest = match (&page_1.next, last_page) {
                (None, _) => stream::empty().boxed(),
                (Some(_), Some(last)) => {
                    let last = u32::try_from(last).unwrap_or(u32::MAX);
                    numbered_pages(2..=last, STREAM_CONCURRENCY, move |n| async move {
                        Ok(self.list_oauth_bank_accounts(n, limit).await?.items)
                    })
                }
                (Some(next), None) => paginate(PageRequest::at(next.clone()).with_limit(limit), move |p| async move {
                    let n = match &p.cursor {
                        Some(c) => oauth_page_number(c)?,
                        None => 1,
                    };
                    self.list_oauth_bank_accounts(n, limit).await
                }),
            };
            stream::iter(page_1.items.into_iter().map(Ok)).chain(rest).boxed()
        });
        let groups = masters
            .map(move |master| async move { self.with_sub_accounts(master?).await })
            .buffered(STREAM_CONCURRENCY);
        until_error(groups)
            .flat_map(|group| match group {
                Ok(accounts) => stream::iter(accounts.into_iter().map(Ok)).left_stream(),
                Err(e) => stream::iter(vec![Err(e)]).right_stream(),
            })
            .boxed()
    }
}

/// N of an OAuth cursor `"p:N"`.
fn oauth_page_number(cursor: &PageCursor) -> Result<u32, Error> {
    crate::oauth_api::page_number(cursor).ok_or_else(|| bad_cursor(cursor))
}

/// SePay bank accounts through the core trait.
///
/// - `list_accounts`, API token: first `GET /userapi/bankaccounts/count`, then
///   `GET /userapi/bankaccounts/list?since_id={largest id so far, 1 at first}&limit={limit}` (default
///   100, at least 2) page after page, ascending ids, until as many accounts as the count were
///   returned. A listing that falls short of the count is [`Error::Provider`], never a partial list;
///   a server that lists newest first is asked for every account in one request.
/// - `list_accounts`, OAuth: `GET /api/v1/bank-accounts?page=N&limit=L` (default 20, at most 100),
///   then every page of `GET /api/v1/bank-accounts/{id}/sub-accounts` for each master; each master
///   is followed by its sub-accounts (ids `"{parent}/{sub}"`).
/// - `get_account`, API token: `GET /userapi/bankaccounts/details/{id}`; OAuth: `"{parent}/{sub}"`
///   searches the parent's sub-accounts, any other id `GET /api/v1/bank-accounts/{id}`. A
///   non-numeric id is [`Error::NotFound`] without a request.
///
/// An unknown cursor is [`Error::InvalidRequest`]; other errors as the client's methods.
/// Names the client "sepay", whichever way in it was built with.
impl gateway_core::Provider for SepayClient {
    fn provider_name(&self) -> &'static str {
        "sepay"
    }
}

#[async_trait]
impl BankAccountProvider for SepayClient {
    async fn list_accounts(&self, page: PageRequest) -> Result<Page<BankAccount>, Error> {
        match &self.inner.auth {
            Auth::ApiToken(_) => self.token_accounts_page(page).await,
            Auth::OAuth(_) => self.oauth_accounts_page(page).await,
        }
    }

    /// API token: [`BankAccountProvider::list_accounts`] page after page (each page's `since_id`
    /// comes from the one before), paced at the client's rate (2 requests per second by default),
    /// so `n` requests take about `(n - 1) / 2` seconds. OAuth: the same accounts in the same
    /// order, with pages of 100 bank accounts, pages after the first and the sub-account lists
    /// fetched up to [`STREAM_CONCURRENCY`] at a time; at most that many groups are held at once.
    ///
    /// One error item ends the stream (the first failed request's error, as `list_accounts`).
    fn stream_accounts(&self) -> BoxStream<'_, Result<BankAccount, Error>> {
        match &self.inner.auth {
            Auth::ApiToken(_) => paginate(PageRequest::first(), move |p| self.list_accounts(p)),
            Auth::OAuth(_) => self.oauth_stream(),
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
