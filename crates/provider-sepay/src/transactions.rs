//! Bank transactions: what SePay saw move in and out of the merchant's bank accounts.
//!
//! [`SepayTransaction`] is one transaction as either way in reports it; [`TransactionFilter`]
//! narrows a listing; the [`SepayClient`] methods [`SepayClient::list_transactions`],
//! [`SepayClient::stream_transactions`], [`SepayClient::transaction`] and
//! [`SepayClient::count_transactions`] read them with the client's credentials:
//!
//! | | API token | OAuth 2.0 (scope `transaction:read`) |
//! |---|---|---|
//! | list | `GET {base}/userapi/transactions/list` | `GET {base}/api/v1/transactions` |
//! | one | `GET {base}/userapi/transactions/details/{id}` | `GET {base}/api/v1/transactions/{id}` |
//! | count | `GET {base}/userapi/transactions/count` | the list's `meta.pagination.total` |
//!
//! Amounts are VND [`Money`] read exactly from the JSON text (SePay's token API sends
//! `"18067000.00"`, its OAuth API `18067000.00`; both decode the same, never through `f64`), and
//! dates are Vietnam time (UTC+07:00).
//!
//! # Paging the API-token list completely
//!
//! SePay's token list returns the **most recent** transactions first, at most `limit` (5000 at
//! most) of them; its `since_id` ("id at least") does not page. SePay's documents list
//! `transactions/count` without saying that it applies the list's filters, so the listing rests
//! on the list itself: **a reply with fewer rows than the `limit` asked is the whole window**.
//!
//! - A listing of fewer than `limit` transactions is one `transactions/list` request: no count.
//! - A **full** reply (exactly `limit` rows) may have left older ones out. `transactions/count`
//!   of the window is asked as a cross-check that can only confirm (a count equal to the rows
//!   returned: the reply is the whole window); any other count — including a company-wide total
//!   from a count that ignores the filters — does not fail the listing. The window is then split
//!   by **date windows**, each shown complete by a short list reply: the page is the window above
//!   a cut second (first the full reply's oldest second; when that window is full too, a binary
//!   search over seconds), the next page the window up to and including the cut.
//! - A second holding at least `limit` transactions is a page of its own (asking for 5000; such a
//!   page may hold more than `limit`); 5000 in one second are only accepted when
//!   `transactions/count` agrees, and more is an [`Error::Provider`].
//! - A transaction outside the window asked (a server that ignores the date filters) makes a
//!   full listing an [`Error::Provider`]: it cannot be paged.
//!
//! So a listing is complete or an error, never silently partial after a full reply. Replies that
//! contradict each other (transactions arriving or vanishing meanwhile) are read again (3
//! attempts) before they are an [`Error::Provider`]. A listing returning fewer transactions than a
//! count reported is not an error (the count may ignore the filters). Costs: one request for a
//! listing shorter than `limit`; three per page of a longer one when SePay sorts by date, as
//! documented (more when it does not).

use crate::mapping::vietnam;
use std::cmp::Ordering;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime};
use futures::stream::BoxStream;
use gateway_core::{paginate, Currency, Error, ErrorContext, Money, Page, PageCursor, PageRequest};
use rust_decimal::Decimal;

use crate::error::TRANSACTION_SCOPE;
use crate::mapping::vietnam_time;
use crate::oauth_api::{check_page, next_page, page_cursor, page_number};
use crate::transactions_wire::{UserApiTransactionDetails, WireTransaction};
use crate::wire::{OAuthList, OAuthOne};
use crate::{Auth, SepayClient};

mod token_paging;

/// The most transactions SePay's token list returns in one reply (also its default `limit`), and
/// the page size of the API-token listing when the request names none.
pub const TOKEN_MAX_PAGE_SIZE: u32 = 5000;
/// Page size of the OAuth listing when the request names none.
pub const OAUTH_DEFAULT_PAGE_SIZE: u32 = 20;
/// The largest page size asked of the OAuth listing.
pub const OAUTH_MAX_PAGE_SIZE: u32 = 100;

/// SePay's date-time format in queries and replies.
const SEPAY_TIME: &str = "%Y-%m-%d %H:%M:%S";

// ------------------------------------------------------------------------------------------------
// The model
// ------------------------------------------------------------------------------------------------

/// One bank transaction as SePay reports it (either way in).
///
/// Amounts are in VND, exact (as SePay wrote them: `18067000.00` keeps its two decimals). A
/// transaction moves money in (`amount_in` above zero) or out (`amount_out` above zero).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SepayTransaction {
    /// SePay's id of the transaction (`id`, as text: `"49682"`).
    pub id: String,
    /// SePay's id of the bank account it belongs to (`bank_account_id`), when given.
    pub bank_account_id: Option<String>,
    /// The bank's name as SePay gives it (`bank_brand_name`, e.g. `"Vietcombank"`); `""` when
    /// absent.
    pub bank_brand_name: String,
    /// The bank account number (`account_number`).
    pub account_number: String,
    /// When the bank recorded it (`transaction_date`, Vietnam time, UTC+07:00).
    pub transaction_date: DateTime<FixedOffset>,
    /// Money received (`amount_in`), VND; zero for money sent.
    pub amount_in: Money,
    /// Money sent (`amount_out`), VND; zero for money received.
    pub amount_out: Money,
    /// The account balance after it (`accumulated`), VND, when given.
    pub accumulated: Option<Money>,
    /// The transfer content (remark) (`transaction_content`); `""` when absent.
    pub transaction_content: String,
    /// The bank's reference of the transfer (`reference_number`, e.g. `"677760.050523.080001"`).
    pub reference_number: Option<String>,
    /// The payment code SePay recognised in the content (`code`), when it found one.
    pub code: Option<String>,
    /// The sub-account (virtual account) it went through (`sub_account`), when any.
    pub sub_account: Option<String>,
}

impl SepayTransaction {
    /// True for money received: `amount_in` above zero.
    pub fn is_incoming(&self) -> bool {
        self.amount_in.amount() > Decimal::ZERO
    }

    /// True when this transaction is for the payment code `code` (ASCII case ignored; a blank
    /// `code` matches nothing):
    ///
    /// - when SePay reported a payment code ([`Self::code`] is set and not blank), on that code
    ///   **alone**: the content is not searched, so one transfer whose remark names two codes
    ///   counts only toward the one SePay recognised;
    /// - otherwise, when the content holds `code` as a whole word (the content split on every
    ///   character that is not an ASCII letter or digit: `"DH12AB"` is in `"CK DH12AB thanh
    ///   toan"` and `"dh12ab.ck"` but not in `"XDH12AB"`).
    pub fn matches_payment_code(&self, code: &str) -> bool {
        let code = code.trim();
        if code.is_empty() {
            return false;
        }
        match self.code.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
            Some(reported) => reported.eq_ignore_ascii_case(code),
            None => self
                .transaction_content
                .split(|c: char| !c.is_ascii_alphanumeric())
                .any(|word| word.eq_ignore_ascii_case(code)),
        }
    }

    /// The transaction date as Vietnam local time (what SePay's date filters compare against).
    fn local_date(&self) -> NaiveDateTime {
        self.transaction_date.with_timezone(&vietnam()).naive_local()
    }
}

fn non_empty(text: Option<String>) -> Option<String> {
    text.map(|t| t.trim().to_string()).filter(|t| !t.is_empty())
}

/// A transaction of either dialect; a missing or unreadable date is a decode error naming it.
impl TryFrom<WireTransaction> for SepayTransaction {
    type Error = Error;

    fn try_from(w: WireTransaction) -> Result<Self, Error> {
        let id = w.id.trim().to_string();
        if id.is_empty() {
            return Err(Error::decode("SePay transaction", "the `id` is empty"));
        }
        let what = format!("SePay transaction {id}");
        let transaction_date = vietnam_time(Some(&w.transaction_date), &what)?
            .ok_or_else(|| Error::decode(&what, "the `transaction_date` is empty"))?;
        let vnd = |amount| Money::new(amount, Currency::VND);
        Ok(Self {
            id,
            bank_account_id: non_empty(w.bank_account_id),
            bank_brand_name: w.bank_brand_name.unwrap_or_default().trim().to_string(),
            account_number: w.account_number.trim().to_string(),
            transaction_date,
            amount_in: vnd(w.amount_in),
            amount_out: vnd(w.amount_out),
            accumulated: w.accumulated.map(vnd),
            transaction_content: w.transaction_content.unwrap_or_default(),
            reference_number: non_empty(w.reference_number),
            code: non_empty(w.code),
            sub_account: non_empty(w.sub_account),
        })
    }
}

/// Newest first; among transactions of one second, the larger id first.
fn newest_first(a: &SepayTransaction, b: &SepayTransaction) -> Ordering {
    b.transaction_date
        .cmp(&a.transaction_date)
        .then_with(|| match (a.id.parse::<u64>(), b.id.parse::<u64>()) {
            (Ok(x), Ok(y)) => y.cmp(&x),
            _ => b.id.cmp(&a.id),
        })
}

// ------------------------------------------------------------------------------------------------
// The filter
// ------------------------------------------------------------------------------------------------

/// Which transactions to list or count. Every field is optional; `Default` is no filter.
///
/// Sent as (API token / OAuth):
///
/// | field | API token | OAuth |
/// |---|---|---|
/// | `account_number` | `account_number` | `account_number` |
/// | `bank_account_id` | not supported: [`Error::InvalidRequest`] | `bank_account_id` |
/// | `from_date` | `transaction_date_min=YYYY-MM-DD 00:00:00` | `from_date=YYYY-MM-DD` |
/// | `to_date` | `transaction_date_max=YYYY-MM-DD 23:59:59` | `to_date=YYYY-MM-DD` |
/// | `reference_number` | `reference_number` | `reference_number` |
/// | `amount_in`, `amount_out` | whole đồng, e.g. `amount_in=18067000` | the same |
///
/// Dates are Vietnam dates, both ends included. A filter is checked before anything is sent:
/// a blank text, a `from_date` after the `to_date`, or an amount that is not a whole,
/// non-negative number of VND is [`Error::InvalidRequest`].
///
/// ```
/// use chrono::NaiveDate;
/// use gateway_core::{Currency, Money};
/// use provider_sepay::TransactionFilter;
///
/// let may = |d| NaiveDate::from_ymd_opt(2023, 5, d).unwrap();
/// let filter = TransactionFilter::default()
///     .account_number("0071000888888")
///     .date_range(may(1), may(5))
///     .amount_in(Money::from_minor_units(18_067_000, Currency::VND));
/// assert_eq!(filter.to_date, Some(may(5)));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TransactionFilter {
    /// Only transactions of this bank account number.
    pub account_number: Option<String>,
    /// Only transactions of the bank account with this SePay id (OAuth only).
    pub bank_account_id: Option<u64>,
    /// Only transactions on or after this date (Vietnam time).
    pub from_date: Option<NaiveDate>,
    /// Only transactions on or before this date (Vietnam time).
    pub to_date: Option<NaiveDate>,
    /// Only the transaction with this bank reference number.
    pub reference_number: Option<String>,
    /// Only transactions receiving exactly this amount (VND, whole đồng).
    pub amount_in: Option<Money>,
    /// Only transactions sending exactly this amount (VND, whole đồng).
    pub amount_out: Option<Money>,
}

impl TransactionFilter {
    /// Sets [`Self::account_number`].
    pub fn account_number(mut self, account_number: impl Into<String>) -> Self {
        self.account_number = Some(account_number.into());
        self
    }

    /// Sets [`Self::bank_account_id`] (OAuth only).
    pub fn bank_account_id(mut self, id: u64) -> Self {
        self.bank_account_id = Some(id);
        self
    }

    /// Sets [`Self::from_date`].
    pub fn from_date(mut self, date: NaiveDate) -> Self {
        self.from_date = Some(date);
        self
    }

    /// Sets [`Self::to_date`].
    pub fn to_date(mut self, date: NaiveDate) -> Self {
        self.to_date = Some(date);
        self
    }

    /// Sets both [`Self::from_date`] and [`Self::to_date`] (both included).
    pub fn date_range(self, from: NaiveDate, to: NaiveDate) -> Self {
        self.from_date(from).to_date(to)
    }

    /// Sets [`Self::reference_number`].
    pub fn reference_number(mut self, reference_number: impl Into<String>) -> Self {
        self.reference_number = Some(reference_number.into());
        self
    }

    /// Sets [`Self::amount_in`] (VND, whole đồng).
    pub fn amount_in(mut self, amount: Money) -> Self {
        self.amount_in = Some(amount);
        self
    }

    /// Sets [`Self::amount_out`] (VND, whole đồng).
    pub fn amount_out(mut self, amount: Money) -> Self {
        self.amount_out = Some(amount);
        self
    }

    /// The filter checked and in the shape the queries need.
    fn checked(&self) -> Result<Checked, Error> {
        let invalid = |message: String| Error::InvalidRequest(ErrorContext::new(message));
        let text = |field: &str, value: &Option<String>| -> Result<Option<String>, Error> {
            match value {
                None => Ok(None),
                Some(v) if v.trim().is_empty() => Err(invalid(format!(
                    "the transaction filter's {field} is blank (leave it unset to not filter on it)"
                ))),
                Some(v) => Ok(Some(v.trim().to_string())),
            }
        };
        let amount = |field: &str, value: &Option<Money>| -> Result<Option<String>, Error> {
            let Some(money) = value else { return Ok(None) };
            if money.currency() != Currency::VND {
                return Err(invalid(format!(
                    "the transaction filter's {field} is in {}; SePay amounts are VND",
                    money.currency()
                )));
            }
            match money.to_minor_units() {
                Ok(dong) if dong >= 0 => Ok(Some(dong.to_string())),
                _ => Err(invalid(format!(
                    "the transaction filter's {field} {money} is not a whole, non-negative number of đồng"
                ))),
            }
        };
        if let (Some(from), Some(to)) = (self.from_date, self.to_date) {
            if from > to {
                return Err(invalid(format!(
                    "the transaction filter's from_date {from} is after its to_date {to}"
                )));
            }
        }
        Ok(Checked {
            account_number: text("account_number", &self.account_number)?,
            bank_account_id: self.bank_account_id,
            from_date: self.from_date,
            to_date: self.to_date,
            reference_number: text("reference_number", &self.reference_number)?,
            amount_in: amount("amount_in", &self.amount_in)?,
            amount_out: amount("amount_out", &self.amount_out)?,
        })
    }
}

/// A [`TransactionFilter`] that passed its checks, amounts as query text.
#[derive(Debug, Clone)]
struct Checked {
    account_number: Option<String>,
    bank_account_id: Option<u64>,
    from_date: Option<NaiveDate>,
    to_date: Option<NaiveDate>,
    reference_number: Option<String>,
    amount_in: Option<String>,
    amount_out: Option<String>,
}

impl Checked {
    /// The lower end of the API-token window: the start of `from_date`.
    fn lo(&self) -> Option<NaiveDateTime> {
        self.from_date.map(|d| d.and_time(NaiveTime::MIN))
    }

    /// The upper end of the API-token window: the last second of `to_date`.
    fn hi(&self) -> Option<NaiveDateTime> {
        self.to_date.and_then(|d| d.and_hms_opt(23, 59, 59))
    }

    /// Refuses what the API-token list cannot filter on.
    fn for_token_api(self) -> Result<Self, Error> {
        if self.bank_account_id.is_some() {
            return Err(Error::InvalidRequest(ErrorContext::new(
                "SePay's API-token transaction endpoints cannot filter by bank_account_id; \
                 filter by account_number (or use an OAuth client)",
            )));
        }
        Ok(self)
    }

    /// The API-token query for the window `lo..=hi`, in the documented order; `limit` only for
    /// the list.
    fn token_query(
        &self,
        lo: Option<NaiveDateTime>,
        hi: Option<NaiveDateTime>,
        limit: Option<u32>,
    ) -> Vec<(&'static str, String)> {
        let mut q = Vec::new();
        if let Some(v) = &self.account_number {
            q.push(("account_number", v.clone()));
        }
        if let Some(v) = lo {
            q.push(("transaction_date_min", v.format(SEPAY_TIME).to_string()));
        }
        if let Some(v) = hi {
            q.push(("transaction_date_max", v.format(SEPAY_TIME).to_string()));
        }
        if let Some(v) = limit {
            q.push(("limit", v.to_string()));
        }
        self.push_common(&mut q);
        q
    }

    /// The OAuth query, in the documented order, without `page` and `limit`.
    fn oauth_query(&self) -> Vec<(&'static str, String)> {
        let mut q = Vec::new();
        if let Some(v) = self.bank_account_id {
            q.push(("bank_account_id", v.to_string()));
        }
        if let Some(v) = &self.account_number {
            q.push(("account_number", v.clone()));
        }
        if let Some(v) = &self.reference_number {
            q.push(("reference_number", v.clone()));
        }
        if let Some(v) = self.from_date {
            q.push(("from_date", v.format("%Y-%m-%d").to_string()));
        }
        if let Some(v) = self.to_date {
            q.push(("to_date", v.format("%Y-%m-%d").to_string()));
        }
        if let Some(v) = &self.amount_in {
            q.push(("amount_in", v.clone()));
        }
        if let Some(v) = &self.amount_out {
            q.push(("amount_out", v.clone()));
        }
        q
    }

    fn push_common(&self, q: &mut Vec<(&'static str, String)>) {
        if let Some(v) = &self.reference_number {
            q.push(("reference_number", v.clone()));
        }
        if let Some(v) = &self.amount_in {
            q.push(("amount_in", v.clone()));
        }
        if let Some(v) = &self.amount_out {
            q.push(("amount_out", v.clone()));
        }
    }
}

// ------------------------------------------------------------------------------------------------
// Cursors
// ------------------------------------------------------------------------------------------------

fn bad_cursor(cursor: &PageCursor) -> Error {
    Error::InvalidRequest(ErrorContext::new(format!(
        "{cursor:?} is not a transaction cursor this SePay client handed out"
    )))
}

// ------------------------------------------------------------------------------------------------
// The client methods
// ------------------------------------------------------------------------------------------------

impl SepayClient {
    /// One page of transactions matching `filter`, newest first.
    ///
    /// - **API token**: `GET {base}/userapi/transactions/list` with the filter, a date window and
    ///   `limit` = the page size, as described in the [module docs](crate::transactions): a reply
    ///   shorter than the page size is the last page (one request, no count); a full one is split
    ///   into date windows each shown complete by a short reply (`transactions/count` only
    ///   confirms), so a listing is complete or an error. The page size (`page.limit`) defaults to
    ///   and is capped at 5000 ([`TOKEN_MAX_PAGE_SIZE`]); a page may hold fewer (and, only when
    ///   at least `limit` transactions share one second, more). `total` is, on the last page, the
    ///   number of transactions the listing returned, and before it SePay's count of the first
    ///   full window (or the number returned so far, when larger) — an estimate, since that count
    ///   may ignore the filters.
    /// - **OAuth**: `GET {base}/api/v1/transactions?...&page=N&limit=L` (scope
    ///   `transaction:read`); cursors `"p:N"`, page size default 20, at most 100; `total` is
    ///   SePay's `meta.pagination.total`. Pages are by offset, newest first: a transaction
    ///   arriving while pages are read shifts the older ones, so one may be listed twice
    ///   (deduplicate on [`SepayTransaction::id`]).
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for a filter that fails its checks (see [`TransactionFilter`]),
    /// `bank_account_id` with an API-token client, or a cursor this client did not hand out,
    /// before anything is sent; [`Error::Unauthorized`] for refused credentials (HTTP 401, or
    /// SePay's empty HTTP 200); [`Error::Forbidden`] when the OAuth token lacks
    /// `transaction:read` (the message names the scope); [`Error::RateLimited`] when 429 persists;
    /// [`Error::Decode`] for a reply not in the documented shape (an HTML page, a missing field, a
    /// number that is not one); [`Error::Provider`] for 5xx replies and for an API-token listing
    /// of more than one reply that cannot be read completely (replies that keep contradicting
    /// each other, more than 5000 transactions in one second, transactions outside the date
    /// window asked); [`Error::Transport`].
    pub async fn list_transactions(
        &self,
        filter: &TransactionFilter,
        page: PageRequest,
    ) -> Result<Page<SepayTransaction>, Error> {
        let checked = filter.checked()?;
        match &self.inner.auth {
            Auth::ApiToken(_) => self.token_transactions_page(checked.for_token_api()?, page).await,
            Auth::OAuth(_) => {
                let number = match &page.cursor {
                    None => 1,
                    Some(c) => page_number(c).ok_or_else(|| bad_cursor(c))?,
                };
                let limit = page
                    .limit
                    .unwrap_or(OAUTH_DEFAULT_PAGE_SIZE)
                    .clamp(1, OAUTH_MAX_PAGE_SIZE);
                self.oauth_transactions_page(&checked, number, limit).await
            }
        }
    }

    /// [`Self::list_transactions`] with this call's `options` (retry policy, timeout) instead of
    /// the client's; they apply to every request the page takes.
    ///
    /// # Errors
    /// As [`Self::list_transactions`].
    pub async fn list_transactions_with(
        &self,
        filter: &TransactionFilter,
        page: PageRequest,
        options: &crate::RequestOptions,
    ) -> Result<Page<SepayTransaction>, Error> {
        self.with_options(options.clone()).list_transactions(filter, page).await
    }

    /// Every transaction matching `filter`, page after page ([`Self::list_transactions`] with the
    /// largest page size: 5000 with an API token, 100 with OAuth), newest first, as a stream.
    ///
    /// The stream ends after the last page, or with one error item (any error of
    /// [`Self::list_transactions`]).
    pub fn stream_transactions<'a>(
        &self,
        filter: &'a TransactionFilter,
    ) -> BoxStream<'a, Result<SepayTransaction, Error>> {
        self.stream_transactions_with(filter, &crate::RequestOptions::default())
    }

    /// [`Self::stream_transactions`] with `options` (retry policy, timeout) for every page's
    /// requests instead of the client's.
    pub fn stream_transactions_with<'a>(
        &self,
        filter: &'a TransactionFilter,
        options: &crate::RequestOptions,
    ) -> BoxStream<'a, Result<SepayTransaction, Error>> {
        let client = self.with_options(options.clone());
        let size = match &self.inner.auth {
            Auth::ApiToken(_) => TOKEN_MAX_PAGE_SIZE,
            Auth::OAuth(_) => OAUTH_MAX_PAGE_SIZE,
        };
        paginate(PageRequest::first().with_limit(size), move |page| {
            let client = client.clone();
            async move { client.list_transactions(filter, page).await }
        })
    }

    /// [`Self::transaction`] with this call's `options` (retry policy, timeout) instead of the
    /// client's.
    ///
    /// # Errors
    /// As [`Self::transaction`].
    pub async fn transaction_with(&self, id: &str, options: &crate::RequestOptions) -> Result<SepayTransaction, Error> {
        self.with_options(options.clone()).transaction(id).await
    }

    /// [`Self::count_transactions`] with this call's `options` (retry policy, timeout) instead of
    /// the client's.
    ///
    /// # Errors
    /// As [`Self::count_transactions`].
    pub async fn count_transactions_with(
        &self,
        filter: &TransactionFilter,
        options: &crate::RequestOptions,
    ) -> Result<u64, Error> {
        self.with_options(options.clone()).count_transactions(filter).await
    }

    /// One transaction by its SePay id: `GET {base}/userapi/transactions/details/{id}` (key
    /// `transaction`) with an API token, `GET {base}/api/v1/transactions/{id}` (`data`) with OAuth.
    ///
    /// # Errors
    /// [`Error::NotFound`] when SePay has no such transaction (HTTP 404, or a `transaction` that is
    /// `null` or absent), or, without sending anything, when `id` is not a number; otherwise as
    /// [`Self::list_transactions`].
    pub async fn transaction(&self, id: &str) -> Result<SepayTransaction, Error> {
        let id = id.trim().parse::<u64>().map_err(|_| {
            Error::NotFound(ErrorContext::new(format!(
                "{id:?} is not a SePay transaction id (ids are numbers)"
            )))
        })?;
        match &self.inner.auth {
            Auth::ApiToken(api) => {
                let url = self
                    .inner
                    .transport
                    .url(&format!("/userapi/transactions/details/{id}"), &[])?;
                let details: UserApiTransactionDetails = api
                    .get(&self.inner.transport, &self.options, url, "SePay transaction details")
                    .await?;
                match details.transaction {
                    Some(t) => SepayTransaction::try_from(t),
                    None => Err(Error::NotFound(
                        ErrorContext::new(format!("SePay has no transaction {id}")).with_status(200),
                    )),
                }
            }
            Auth::OAuth(_) => {
                let one: OAuthOne<WireTransaction> = self
                    .oauth_get_scoped(
                        &format!("/api/v1/transactions/{id}"),
                        &[],
                        "SePay transaction",
                        TRANSACTION_SCOPE,
                    )
                    .await?;
                SepayTransaction::try_from(one.data)
            }
        }
    }

    /// How many transactions match `filter`: `GET {base}/userapi/transactions/count` (key
    /// `count_transactions`, a number or a numeric string) with an API token; with OAuth, the
    /// `meta.pagination.total` of `GET {base}/api/v1/transactions?...&page=1&limit=1`.
    ///
    /// # Errors
    /// As [`Self::list_transactions`]; [`Error::Decode`] when the OAuth reply has no pagination
    /// total.
    pub async fn count_transactions(&self, filter: &TransactionFilter) -> Result<u64, Error> {
        let checked = filter.checked()?;
        match &self.inner.auth {
            Auth::ApiToken(_) => {
                let checked = checked.for_token_api()?;
                self.token_count(&checked, checked.lo(), checked.hi()).await
            }
            Auth::OAuth(_) => {
                let (_, _, pagination) = self.oauth_transactions(&checked, 1, 1).await?;
                pagination.map(|p| p.total).ok_or_else(|| {
                    Error::decode(
                        "SePay transaction list",
                        "the reply has no `meta.pagination.total` to count with",
                    )
                })
            }
        }
    }

    // --- OAuth ----------------------------------------------------------------------------------

    async fn oauth_transactions(
        &self,
        filter: &Checked,
        page: u32,
        limit: u32,
    ) -> Result<(Vec<SepayTransaction>, usize, Option<crate::wire::OAuthPagination>), Error> {
        check_page(page, limit)?;
        let mut query = filter.oauth_query();
        query.push(("page", page.to_string()));
        query.push(("limit", limit.to_string()));
        let list: OAuthList<WireTransaction> = self
            .oauth_get_scoped(
                "/api/v1/transactions",
                &query,
                "SePay transaction list",
                TRANSACTION_SCOPE,
            )
            .await?;
        let pagination = list.meta.and_then(|m| m.pagination);
        let count = list.data.len();
        let items = list
            .data
            .into_iter()
            .map(SepayTransaction::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        Ok((items, count, pagination))
    }

    async fn oauth_transactions_page(
        &self,
        filter: &Checked,
        page: u32,
        limit: u32,
    ) -> Result<Page<SepayTransaction>, Error> {
        let (items, count, pagination) = self.oauth_transactions(filter, page, limit).await?;
        let next = next_page(page, count, limit, pagination).map(page_cursor);
        Ok(Page::new(items, next).with_total(pagination.map(|p| p.total)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tx(id: &str, content: &str, code: Option<&str>) -> SepayTransaction {
        SepayTransaction {
            id: id.into(),
            bank_account_id: None,
            bank_brand_name: String::new(),
            account_number: "1".into(),
            transaction_date: DateTime::parse_from_rfc3339("2023-05-05T19:59:48+07:00").unwrap(),
            amount_in: Money::from_minor_units(1, Currency::VND),
            amount_out: Money::zero(Currency::VND),
            accumulated: None,
            transaction_content: content.into(),
            reference_number: None,
            code: code.map(str::to_string),
            sub_account: None,
        }
    }

    #[test]
    fn payment_codes_match_the_code_or_a_whole_word_of_the_content() {
        assert!(tx("1", "", Some("dhab12CD34")).matches_payment_code("DHAB12CD34"));
        assert!(tx("1", "CK DHAB12CD34 thanh toan", None).matches_payment_code("DHAB12CD34"));
        assert!(tx("1", "MBVCB.123.dhab12cd34.CT tu", None).matches_payment_code("DHAB12CD34"));
        assert!(tx("1", "Thanh toán-DHAB12CD34-đơn", None).matches_payment_code("DHAB12CD34"));
        assert!(!tx("1", "XDHAB12CD34 thanh toan", None).matches_payment_code("DHAB12CD34"));
        assert!(!tx("1", "DHAB12CD345", None).matches_payment_code("DHAB12CD34"));
        assert!(!tx("1", "DHAB12CD34", Some("DHOTHER")).matches_payment_code("DHAB12CD3"));
        assert!(!tx("1", "anything", None).matches_payment_code(" "));
        // An empty or blank reported code falls back to the content.
        assert!(tx("1", "CK DHAB12CD34", Some("")).matches_payment_code("dhab12cd34"));
        assert!(tx("1", "CK DHAB12CD34", Some("  ")).matches_payment_code("DHAB12CD34"));
    }

    #[test]
    fn a_reported_code_is_matched_alone_not_the_content() {
        // One transfer naming two codes counts toward the one SePay recognised only.
        let t = tx("1", "CK DHAB12CD34 DHOTHER thanh toan", Some("DHOTHER"));
        assert!(!t.matches_payment_code("DHAB12CD34"));
        assert!(t.matches_payment_code("dhother"));
        assert!(!tx("1", "DHAB12CD34", Some("DHOTHER")).matches_payment_code("DHAB12CD34"));
    }

    #[test]
    fn filter_checks() {
        let bad = |f: TransactionFilter| matches!(f.checked(), Err(Error::InvalidRequest(_)));
        let d = |day| NaiveDate::from_ymd_opt(2023, 5, day).unwrap();
        assert!(bad(TransactionFilter::default().account_number(" ")));
        assert!(bad(TransactionFilter::default().date_range(d(5), d(1))));
        assert!(bad(
            TransactionFilter::default().amount_in(Money::from_minor_units(100, Currency::USD))
        ));
        assert!(bad(
            TransactionFilter::default().amount_out(Money::parse("100.5", Currency::VND).unwrap())
        ));
        assert!(bad(
            TransactionFilter::default().amount_in(Money::from_minor_units(-1, Currency::VND))
        ));
        let ok = TransactionFilter::default()
            .amount_in(Money::parse("18067000.00", Currency::VND).unwrap())
            .checked()
            .unwrap();
        assert_eq!(ok.amount_in.as_deref(), Some("18067000"));
        assert!(TransactionFilter::default()
            .bank_account_id(19)
            .checked()
            .unwrap()
            .for_token_api()
            .is_err());
    }
}
