//! Account management endpoints (master bank accounts, bank accounts) and the
//! [`BankAccountProvider`] implementation over them.

use async_trait::async_trait;
use futures::stream::{self, BoxStream, StreamExt};
use gateway_core::page::{numbered_pages, paginate};
use gateway_core::{
    Bank, BankAccount, BankAccountProvider, Currency, Error, ErrorContext, Page, PageCursor, PageRequest, Result,
};

use crate::paging::{self, query_of};
use crate::transport::Reply;
use crate::{mapping, wire, FinanClient, RequestOptions};

const MASTER_ACCOUNTS: [&str; 3] = ["api", "v1", "master-bank-accounts"];
const BANK_ACCOUNTS: [&str; 3] = ["api", "v1", "bank-accounts"];

/// Page size used by [`BankAccountProvider::list_accounts`] when [`PageRequest::limit`] is unset.
pub const DEFAULT_PAGE_SIZE: u32 = 50;
/// Largest page size this client asks Finan for.
pub const MAX_PAGE_SIZE: u32 = 100;
/// Bank-account pages [`BankAccountProvider::stream_accounts`] keeps in flight at once (the
/// client's pacer still spaces them to the rate limit).
pub const STREAM_CONCURRENCY: usize = 8;

/// Optional filters of `GET /api/v1/master-bank-accounts` and `GET /api/v1/bank-accounts` (both
/// take the same two); each one set is sent as a query parameter and so is part of the signed
/// path. The default filter lists every account.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct AccountFilter {
    /// Only the account with this UUID (`?id=`).
    pub id: Option<String>,
    /// Only the account with this account number (`?account_number=`).
    pub account_number: Option<String>,
}

impl AccountFilter {
    /// No filter: every account.
    pub fn all() -> Self {
        Self::default()
    }

    /// Filters by account UUID.
    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }

    /// Filters by account number.
    pub fn account_number(mut self, account_number: impl Into<String>) -> Self {
        self.account_number = Some(account_number.into());
        self
    }
}

/// A request to create a bank account (a virtual account receiving into a master account), for
/// [`FinanClient::create_bank_account`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CreateBankAccount {
    /// UUID of the parent master account ([`BankAccount::id`] of a master account).
    pub master_account_id: String,
    /// Display name of the new account, e.g. "KE TOAN"; must not be blank.
    pub account_name: String,
}

impl CreateBankAccount {
    /// A new account named `account_name` under the master account `master_account_id`.
    pub fn new(master_account_id: impl Into<String>, account_name: impl Into<String>) -> Self {
        Self {
            master_account_id: master_account_id.into(),
            account_name: account_name.into(),
        }
    }
}

/// The bank account Finan created (`data` of `POST /api/v1/bank-accounts`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CreatedBankAccount {
    /// Finan's UUID for the new account; use it with [`FinanClient::get_bank_account`].
    pub account_id: String,
    /// The account number payers transfer to, e.g. `"VQRQAHZKN0048"`.
    pub account_number: String,
    /// The display name given.
    pub account_name: String,
    /// The bank of the master account (resolved from Finan's `bank_code`).
    pub bank: Bank,
    /// The account's currency (from `currency_code`, `"704"` = VND).
    pub currency: Currency,
    /// The master account the request named.
    pub master_account_id: String,
    /// Holder name of the master account, when Finan sent it.
    pub master_account_name: Option<String>,
}

impl FinanClient {
    /// Master bank accounts (`GET /api/v1/master-bank-accounts`, with `?id=&account_number=` for
    /// the filters set), each as a [`BankAccount`] of kind [`gateway_core::AccountKind::Master`]
    /// with its balance in VND (minor units = đồng).
    ///
    /// # Errors
    /// [`Error::Unauthorized`] (bad signature, clock off by more than 30 s, wrong client id),
    /// [`Error::RateLimited`], [`Error::Provider`] (5xx), [`Error::Decode`] for a reply not in the
    /// documented shape, [`Error::Transport`].
    pub async fn list_master_accounts(&self, filter: &AccountFilter) -> Result<Vec<BankAccount>> {
        self.list_master_accounts_with(filter, &RequestOptions::default()).await
    }

    /// [`Self::list_master_accounts`] with per-call [`RequestOptions`] (timeout, retry policy).
    ///
    /// # Errors
    /// As [`Self::list_master_accounts`].
    pub async fn list_master_accounts_with(
        &self,
        filter: &AccountFilter,
        options: &RequestOptions,
    ) -> Result<Vec<BankAccount>> {
        let query = query_of(&[
            ("id", filter.id.as_deref()),
            ("account_number", filter.account_number.as_deref()),
        ]);
        let reply = self
            .transport()
            .get_with(
                &MASTER_ACCOUNTS,
                &query,
                "master bank account list",
                &options.or(&self.options),
            )
            .await?;
        let accounts: Option<Vec<wire::Account>> = reply.data()?;
        map_all(&reply, accounts.unwrap_or_default(), mapping::master_account)
    }

    /// [`Self::create_bank_account`] with per-call [`RequestOptions`] (its timeout; the request
    /// is sent once whatever the retry policy).
    ///
    /// # Errors
    /// As [`Self::create_bank_account`].
    pub async fn create_bank_account_with(
        &self,
        request: &CreateBankAccount,
        options: &RequestOptions,
    ) -> Result<CreatedBankAccount> {
        self.with_options(options.clone()).create_bank_account(request).await
    }

    /// Creates a bank account under a master account (`POST /api/v1/bank-accounts` with body
    /// `{"master_account_id", "account_name"}`).
    ///
    /// Sent once, never retried: Finan's create takes no reference id, so a retry could not be
    /// told apart from a second account. After a timeout or a 5xx the outcome is unknown: list the
    /// master's bank accounts ([`Self::list_bank_accounts`]) before creating again.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] without sending anything when `account_name` or
    /// `master_account_id` is blank; from Finan: [`Error::NotFound`] (master account not found),
    /// [`Error::InvalidRequest`] (400, 422), [`Error::Unauthorized`], and as
    /// [`Self::list_master_accounts`].
    pub async fn create_bank_account(&self, request: &CreateBankAccount) -> Result<CreatedBankAccount> {
        if request.master_account_id.trim().is_empty() {
            return Err(invalid("master_account_id must not be blank"));
        }
        if request.account_name.trim().is_empty() {
            return Err(invalid("account_name must not be blank"));
        }
        let body = wire::CreateBankAccountRequest::new(&request.master_account_id, &request.account_name);
        let reply = self
            .transport()
            .post(&BANK_ACCOUNTS, &body, "create bank account", &self.options)
            .await?;
        let data: wire::CreatedBankAccount = reply.data()?;
        mapping::created_bank_account(data, &request.master_account_id).map_err(|e| reply.annotate(e))
    }

    /// One page of bank accounts (`GET /api/v1/bank-accounts?page=&page_size=`, plus `id` and
    /// `account_number` when set), each a [`BankAccount`] of kind
    /// [`gateway_core::AccountKind::Virtual`].
    ///
    /// `page` counts from 1; `page_size` is 1 to [`MAX_PAGE_SIZE`]. [`Page::next`] holds the next
    /// page number as text (`"2"`) while `meta.page < meta.total_pages`; [`Page::total`] is
    /// `meta.total_rows`. Without `meta`, a full page is taken to mean there may be another.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] without sending anything for page 0 or a page size outside
    /// 1..=100; otherwise as [`Self::list_master_accounts`].
    pub async fn list_bank_accounts(
        &self,
        page: u32,
        page_size: u32,
        filter: &AccountFilter,
    ) -> Result<Page<BankAccount>> {
        self.list_bank_accounts_with(page, page_size, filter, &RequestOptions::default())
            .await
    }

    /// [`Self::list_bank_accounts`] with per-call [`RequestOptions`] (timeout, retry policy).
    ///
    /// # Errors
    /// As [`Self::list_bank_accounts`].
    pub async fn list_bank_accounts_with(
        &self,
        page: u32,
        page_size: u32,
        filter: &AccountFilter,
        options: &RequestOptions,
    ) -> Result<Page<BankAccount>> {
        Ok(self.bank_account_page(page, page_size, filter, options).await?.0)
    }

    /// [`Self::list_bank_accounts_with`], and `(meta.page, meta.total_pages)` when Finan sent `meta`.
    async fn bank_account_page(
        &self,
        page: u32,
        page_size: u32,
        filter: &AccountFilter,
        options: &RequestOptions,
    ) -> Result<(Page<BankAccount>, Option<(u64, u64)>)> {
        paging::check_page(page, page_size)?;
        let (page_text, size_text) = (page.to_string(), page_size.to_string());
        let query = query_of(&[
            ("page", Some(page_text.as_str())),
            ("page_size", Some(size_text.as_str())),
            ("id", filter.id.as_deref()),
            ("account_number", filter.account_number.as_deref()),
        ]);
        let reply = self
            .transport()
            .get_with(&BANK_ACCOUNTS, &query, "bank account list", &options.or(&self.options))
            .await?;
        let accounts: Option<Vec<wire::Account>> = reply.data()?;
        let accounts = accounts.unwrap_or_default();
        let pages = reply.meta.as_ref().map(|m| (m.page, m.total_pages));
        let (next, total) = paging::next_and_total(reply.meta, page, page_size, accounts.len());
        let items = map_all(&reply, accounts, mapping::bank_account)?;
        Ok((
            Page::new(items, next.map(|n| PageCursor::new(n.to_string()))).with_total(total),
            pages,
        ))
    }

    /// One bank account by its UUID (`GET /api/v1/bank-accounts/:id`, the id percent-encoded as one
    /// path segment), as a [`BankAccount`] of kind [`gateway_core::AccountKind::Virtual`].
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] without sending anything for a blank id (or `.`/`..`);
    /// [`Error::NotFound`] when Finan has no such bank account; otherwise as
    /// [`Self::list_master_accounts`].
    pub async fn get_bank_account(&self, id: &str) -> Result<BankAccount> {
        self.get_bank_account_with(id, &RequestOptions::default()).await
    }

    /// [`Self::get_bank_account`] with per-call [`RequestOptions`] (timeout, retry policy).
    ///
    /// # Errors
    /// As [`Self::get_bank_account`].
    pub async fn get_bank_account_with(&self, id: &str, options: &RequestOptions) -> Result<BankAccount> {
        check_id(id)?;
        let segments = [BANK_ACCOUNTS[0], BANK_ACCOUNTS[1], BANK_ACCOUNTS[2], id];
        let reply = self
            .transport()
            .get_with(&segments, &[], "bank account", &options.or(&self.options))
            .await?;
        let account: wire::Account = reply.data()?;
        mapping::bank_account(account).map_err(|e| reply.annotate(e))
    }
}

/// Names the client "finan" for every capability it has (accounts, payment requests).
impl gateway_core::Provider for FinanClient {
    fn provider_name(&self) -> &'static str {
        "finan"
    }
}

#[async_trait]
impl BankAccountProvider for FinanClient {
    /// Master accounts first, then every page of bank (sub) accounts.
    ///
    /// Cursor `None` lists the master accounts (one request) and hands back cursor `"sub:1"`;
    /// cursor `"sub:N"` is page N of bank accounts with `page_size` = [`PageRequest::limit`]
    /// (default 50, at most 100), followed by `"sub:N+1"` while there are more pages.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for a cursor this client did not hand out; otherwise as
    /// [`FinanClient::list_bank_accounts`].
    async fn list_accounts(&self, page: PageRequest) -> Result<Page<BankAccount>> {
        let Some(cursor) = page.cursor else {
            let masters = self.list_master_accounts(&AccountFilter::all()).await?;
            return Ok(Page::new(masters, Some(sub_cursor(1))));
        };
        let number = cursor
            .as_str()
            .strip_prefix("sub:")
            .and_then(|n| n.parse::<u32>().ok())
            .filter(|n| *n >= 1)
            .ok_or_else(|| invalid(format!("unknown Finan account cursor {:?}", cursor.as_str())))?;
        let size = page.limit.unwrap_or(DEFAULT_PAGE_SIZE).clamp(1, MAX_PAGE_SIZE);
        let sub = self.list_bank_accounts(number, size, &AccountFilter::all()).await?;
        let next = sub.next.and_then(|c| c.as_str().parse::<u32>().ok()).map(sub_cursor);
        Ok(Page::new(sub.items, next))
    }

    /// Every account: the master accounts, then every bank account, in the order
    /// [`Self::list_accounts`] gives them, with [`MAX_PAGE_SIZE`] accounts per page.
    ///
    /// `GET /api/v1/master-bank-accounts` and page 1 of `GET /api/v1/bank-accounts` go together;
    /// once page 1's `meta.total_pages` is known, pages 2 to `total_pages` are fetched up to
    /// [`STREAM_CONCURRENCY`] at a time, each through the client's pacer (so never past its rate
    /// limit), and handed on in page order. At most that many pages are held at once, however many
    /// accounts there are. Without `meta`, pages follow one another until one is not full.
    ///
    /// # Errors
    /// One error item ends the stream: the first failed request's error (as
    /// [`FinanClient::list_bank_accounts`]), or [`Error::Provider`] when more than
    /// [`gateway_core::MAX_EMPTY_PAGES`] pages in a row are empty before the last one, or a page
    /// comes back with another page number than the one asked.
    fn stream_accounts(&self) -> BoxStream<'_, Result<BankAccount>> {
        let first = async move {
            let all = AccountFilter::all();
            let options = RequestOptions::default();
            let (masters, first) = futures::join!(
                self.list_master_accounts(&all),
                self.bank_account_page(1, MAX_PAGE_SIZE, &all, &options)
            );
            Ok::<_, Error>((masters?, first?))
        };
        stream::once(first)
            .flat_map(move |result| {
                let (masters, (page_1, pages)) = match result {
                    Ok(ok) => ok,
                    Err(e) => return stream::iter([Err(e)]).boxed(),
                };
                let rest = match (&page_1.next, pages) {
                    (None, _) => stream::empty().boxed(),
                    (Some(_), Some((_, total_pages))) => {
                        let last = u32::try_from(total_pages).unwrap_or(u32::MAX);
                        numbered_pages(2..=last, STREAM_CONCURRENCY, move |n| async move {
                            let all = AccountFilter::all();
                            let (page, meta) = self
                                .bank_account_page(n, MAX_PAGE_SIZE, &all, &RequestOptions::default())
                                .await?;
                            match meta {
                                // A server that ignores `page` would list page 1 over and over.
                                Some((answered, _)) if answered != u64::from(n) => {
                                    Err(Error::Provider(ErrorContext::new(format!(
                                        "pagination did not advance: asked for page {n} of bank accounts, Finan answered page {answered}"
                                    ))))
                                }
                                _ => Ok(page.items),
                            }
                        })
                    }
                    // No `meta`, so no page count: one page after another.
                    (Some(_), None) => paginate(PageRequest::at(sub_cursor(2)).with_limit(MAX_PAGE_SIZE), move |p| {
                        self.list_accounts(p)
                    }),
                };
                stream::iter(masters.into_iter().chain(page_1.items).map(Ok))
                    .chain(rest)
                    .boxed()
            })
            .boxed()
    }

    /// A bank account by id (`GET /api/v1/bank-accounts/:id`); when Finan answers 404, the master
    /// account with that id (`GET /api/v1/master-bank-accounts?id=`).
    ///
    /// # Errors
    /// [`Error::NotFound`] when neither exists; otherwise as [`FinanClient::get_bank_account`].
    async fn get_account(&self, id: &str) -> Result<BankAccount> {
        match self.get_bank_account(id).await {
            Err(Error::NotFound(first)) => {
                let masters = self.list_master_accounts(&AccountFilter::all().id(id)).await?;
                masters.into_iter().find(|a| a.id == id).ok_or_else(|| {
                    Error::NotFound(
                        ErrorContext::new(format!("no Finan bank account or master bank account has id {id:?}"))
                            .with_status(404)
                            .with_request_id(first.request_id),
                    )
                })
            }
            other => other,
        }
    }
}

fn sub_cursor(page: u32) -> PageCursor {
    PageCursor::new(format!("sub:{page}"))
}

fn map_all(
    reply: &Reply,
    accounts: Vec<wire::Account>,
    map: fn(wire::Account) -> Result<BankAccount>,
) -> Result<Vec<BankAccount>> {
    accounts
        .into_iter()
        .map(|a| map(a).map_err(|e| reply.annotate(e)))
        .collect()
}

fn check_id(id: &str) -> Result<()> {
    // "." and ".." would be dropped from the URL path and turn the call into the list endpoint.
    if id.trim().is_empty() || id == "." || id == ".." {
        return Err(invalid(format!("invalid Finan account id {id:?}")));
    }
    Ok(())
}

fn invalid(message: impl Into<String>) -> Error {
    Error::InvalidRequest(ErrorContext::new(message))
}
