//! The OAuth 2.0 way in (seed 003): `Authorization: Bearer ACCESS_TOKEN` on `{base}/api/v1/...`,
//! scope `bank-account:read`. A 401 refreshes the token (when the client can) and retries once.

use futures::stream::{self, StreamExt};
use gateway_core::{Bank, BankAccount, Error, ErrorContext, Page, PageCursor};
use serde::de::DeserializeOwned;

use crate::error::{error_for_status_scoped, provider_message, Api, BANK_ACCOUNT_SCOPE};
use crate::mapping::sub_account;
use crate::oauth::{OAuthSession, OAuthTokens};
use crate::retry::{retry_read, RequestOptions};
use crate::transport::Reply;
use crate::wire::{OAuthAccount, OAuthList, OAuthOne, OAuthPagination, OAuthSubAccount};
use crate::{Auth, SepayClient};

/// Sub-accounts fetched per request when collecting all of a parent's sub-accounts.
const SUB_ACCOUNT_PAGE: u32 = 100;

/// Stops collecting sub-accounts after this many pages (10 000 sub-accounts) rather than trusting a
/// `last_page` that never comes.
const MAX_SUB_ACCOUNT_PAGES: u32 = 100;

/// The cursor text of OAuth page `n`: `"p:n"`.
pub(crate) fn page_cursor(n: u32) -> PageCursor {
    PageCursor::new(format!("p:{n}"))
}

/// N of a cursor [`page_cursor`] made (`"p:N"`, N from 1), or `None` for any other text.
pub(crate) fn page_number(cursor: &PageCursor) -> Option<u32> {
    cursor
        .as_str()
        .strip_prefix("p:")
        .and_then(|n| n.parse::<u32>().ok())
        .filter(|n| *n >= 1)
}

/// The next page after `page`: from `last_page` when SePay sent pagination, else "there may be
/// more" when the page came back full.
pub(crate) fn next_page(page: u32, items: usize, limit: u32, pagination: Option<OAuthPagination>) -> Option<u32> {
    let more = match pagination {
        Some(p) => u64::from(page) < p.last_page,
        None => items >= limit as usize && items > 0,
    };
    more.then(|| page.checked_add(1)).flatten()
}

pub(crate) fn check_page(page: u32, limit: u32) -> Result<(), Error> {
    if page == 0 || limit == 0 {
        return Err(Error::InvalidRequest(ErrorContext::new(
            "SePay pages start at 1 and hold at least 1 item",
        )));
    }
    Ok(())
}

impl SepayClient {
    pub(crate) fn oauth_session(&self) -> Result<&OAuthSession, Error> {
        match &self.inner.auth {
            Auth::OAuth(session) => Ok(session),
            Auth::ApiToken(_) => Err(Error::Configuration(
                "this call uses SePay's OAuth endpoints (/api/v1); build the client with SepayClient::oauth".into(),
            )),
        }
    }

    /// The tokens the client holds now (access token, the latest refresh token, expiry), so an app can
    /// persist them after SePay rotated the refresh token; `None` for an API-token client.
    pub async fn oauth_tokens(&self) -> Option<OAuthTokens> {
        match &self.inner.auth {
            Auth::OAuth(session) => Some(session.tokens().await),
            Auth::ApiToken(_) => None,
        }
    }

    /// `GET {base}{path}` with the access token, retried by the [`crate::RetryPolicy`] in force:
    /// refreshes first when it expired, and once more after a 401 (then sends again, once). Decodes a 2xx body as `T`; maps other statuses.
    async fn oauth_get<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
        what: &str,
    ) -> Result<T, Error> {
        self.oauth_get_scoped(path, query, what, BANK_ACCOUNT_SCOPE).await
    }

    /// As `oauth_get`, for an endpoint that needs the OAuth scope `scope` (named in a 403).
    pub(crate) async fn oauth_get_scoped<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
        what: &str,
        scope: &str,
    ) -> Result<T, Error> {
        let session = self.oauth_session()?;
        let transport = &self.inner.transport;
        let url = transport.url(path, query)?;
        let options = &self.options;
        let policy = transport.retry_policy(options);
        let (token, generation) = session.access_token().await?;
        let mut reply = retry_read(policy, what, || transport.get(url.clone(), &token, what, options)).await?;
        if reply.status.as_u16() == 401 && session.can_refresh() {
            tracing::debug!(target: "provider_sepay", path, "access token refused; refreshing");
            let token = session.refresh_after_unauthorized(generation).await?;
            reply = retry_read(policy, what, || transport.get(url.clone(), &token, what, options)).await?;
        }
        decode_oauth(reply, what, scope)
    }

    /// One page of bank accounts: `GET {base}/api/v1/bank-accounts?page={page}&limit={limit}`.
    ///
    /// `page` starts at 1. The page holds master accounts only (see [`Self::list_sub_accounts`]),
    /// each with its balance (`accumulated`) in VND; `next` is `"p:{page+1}"` while `page` is before
    /// SePay's `last_page`, and `total` is SePay's count of bank accounts.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for page or limit 0 (nothing sent); [`Error::Configuration`] on an
    /// API-token client; [`Error::Unauthorized`] when the token is refused and cannot be refreshed, or
    /// the refresh is refused; [`Error::Forbidden`] when the token lacks the `bank-account:read` scope;
    /// [`Error::Provider`] (5xx), [`Error::Transport`], [`Error::Decode`].
    pub async fn list_oauth_bank_accounts(&self, page: u32, limit: u32) -> Result<Page<BankAccount>, Error> {
        Ok(self.oauth_bank_account_page(page, limit).await?.0)
    }

    /// [`Self::list_oauth_bank_accounts`], and SePay's `last_page` when it sent pagination.
    pub(crate) async fn oauth_bank_account_page(
        &self,
        page: u32,
        limit: u32,
    ) -> Result<(Page<BankAccount>, Option<u64>), Error> {
        check_page(page, limit)?;
        let query = [("page", page.to_string()), ("limit", limit.to_string())];
        let list: OAuthList<OAuthAccount> = self
            .oauth_get("/api/v1/bank-accounts", &query, "SePay bank account list")
            .await?;
        let pagination = list.meta.and_then(|m| m.pagination);
        let items: Vec<BankAccount> = list
            .data
            .into_iter()
            .map(BankAccount::try_from)
            .collect::<Result<_, _>>()?;
        let next = next_page(page, items.len(), limit, pagination).map(page_cursor);
        Ok((
            Page::new(items, next).with_total(pagination.map(|p| p.total)),
            pagination.map(|p| p.last_page),
        ))
    }

    /// [`Self::list_oauth_bank_accounts`] with this call's `options` (retry policy, timeout)
    /// instead of the client's.
    ///
    /// # Errors
    /// As [`Self::list_oauth_bank_accounts`].
    pub async fn list_oauth_bank_accounts_with(
        &self,
        page: u32,
        limit: u32,
        options: &RequestOptions,
    ) -> Result<Page<BankAccount>, Error> {
        self.with_options(options.clone())
            .list_oauth_bank_accounts(page, limit)
            .await
    }

    /// [`Self::get_oauth_bank_account`] with this call's `options` (retry policy, timeout) instead
    /// of the client's.
    ///
    /// # Errors
    /// As [`Self::get_oauth_bank_account`].
    pub async fn get_oauth_bank_account_with(&self, id: u64, options: &RequestOptions) -> Result<BankAccount, Error> {
        self.with_options(options.clone()).get_oauth_bank_account(id).await
    }

    /// One bank account by its numeric SePay id: `GET {base}/api/v1/bank-accounts/{id}`.
    ///
    /// # Errors
    /// [`Error::NotFound`] (`resource_not_found`) when there is no such account; otherwise as
    /// [`Self::list_oauth_bank_accounts`].
    pub async fn get_oauth_bank_account(&self, id: u64) -> Result<BankAccount, Error> {
        let one: OAuthOne<OAuthAccount> = self
            .oauth_get(&format!("/api/v1/bank-accounts/{id}"), &[], "SePay bank account")
            .await?;
        BankAccount::try_from(one.data)
    }

    /// One page of the sub-accounts (virtual accounts) of bank account `bank_account_id`:
    /// `GET {base}/api/v1/bank-accounts/{id}` (for the parent's bank, as sub-accounts carry none)
    /// then `GET {base}/api/v1/bank-accounts/{id}/sub-accounts?page={page}&limit={limit}`.
    ///
    /// Each item is a [`gateway_core::AccountKind::Virtual`] account with id
    /// `"{bank_account_id}/{sub_id}"`, `parent_id` the bank account's id, no balance, and status active
    /// only when both `active` and `va_active` are. `next` is `"p:{page+1}"` while there are more.
    ///
    /// # Errors
    /// [`Error::NotFound`] when the bank account does not exist; otherwise as
    /// [`Self::list_oauth_bank_accounts`].
    pub async fn list_sub_accounts(
        &self,
        bank_account_id: u64,
        page: u32,
        limit: u32,
    ) -> Result<Page<BankAccount>, Error> {
        check_page(page, limit)?;
        let parent = self.get_oauth_bank_account(bank_account_id).await?;
        let (items, pagination) = self
            .sub_account_page(bank_account_id, &parent.bank, page, limit)
            .await?;
        let next = next_page(page, items.len(), limit, pagination).map(page_cursor);
        Ok(Page::new(items, next).with_total(pagination.map(|p| p.total)))
    }

    /// [`Self::list_sub_accounts`] with this call's `options` (retry policy, timeout) instead of
    /// the client's; they apply to both requests it sends.
    ///
    /// # Errors
    /// As [`Self::list_sub_accounts`].
    pub async fn list_sub_accounts_with(
        &self,
        bank_account_id: u64,
        page: u32,
        limit: u32,
        options: &RequestOptions,
    ) -> Result<Page<BankAccount>, Error> {
        self.with_options(options.clone())
            .list_sub_accounts(bank_account_id, page, limit)
            .await
    }

    /// One page of sub-accounts of `parent_id`, mapped with the parent's bank.
    async fn sub_account_page(
        &self,
        parent_id: u64,
        parent_bank: &Bank,
        page: u32,
        limit: u32,
    ) -> Result<(Vec<BankAccount>, Option<OAuthPagination>), Error> {
        let query = [("page", page.to_string()), ("limit", limit.to_string())];
        let path = format!("/api/v1/bank-accounts/{parent_id}/sub-accounts");
        let list: OAuthList<OAuthSubAccount> = self.oauth_get(&path, &query, "SePay sub-account list").await?;
        let pagination = list.meta.and_then(|m| m.pagination);
        let items = list
            .data
            .into_iter()
            .map(|s| sub_account(s, parent_bank))
            .collect::<Result<_, _>>()?;
        Ok((items, pagination))
    }

    /// Every sub-account of `parent_id`, all pages.
    pub(crate) async fn all_sub_accounts(&self, parent_id: u64, parent_bank: &Bank) -> Result<Vec<BankAccount>, Error> {
        let mut all = Vec::new();
        let mut page = 1;
        loop {
            let (items, pagination) = self
                .sub_account_page(parent_id, parent_bank, page, SUB_ACCOUNT_PAGE)
                .await?;
            let count = items.len();
            all.extend(items);
            match next_page(page, count, SUB_ACCOUNT_PAGE, pagination) {
                Some(next) if count > 0 && next <= MAX_SUB_ACCOUNT_PAGES => page = next,
                Some(_) if count > 0 => {
                    return Err(Error::Provider(ErrorContext::new(format!(
                    "SePay listed more than {MAX_SUB_ACCOUNT_PAGES} pages of sub-accounts for bank account {parent_id}"
                ))))
                }
                _ => return Ok(all),
            }
        }
    }

    /// The master accounts of OAuth page `page`, each followed by all of its sub-accounts, and the
    /// next page number.
    ///
    /// The masters' sub-account lists are fetched up to [`crate::STREAM_CONCURRENCY`] at a time.
    pub(crate) async fn oauth_accounts_with_subs(&self, page: u32, limit: u32) -> Result<Page<BankAccount>, Error> {
        let masters = self.list_oauth_bank_accounts(page, limit).await?;
        let mut items = Vec::new();
        let mut with_subs = stream::iter(masters.items)
            .map(|master| self.with_sub_accounts(master))
            .buffered(crate::STREAM_CONCURRENCY);
        while let Some(group) = with_subs.next().await {
            items.extend(group?);
        }
        Ok(Page::new(items, masters.next))
    }

    /// `master` followed by all of its sub-accounts.
    pub(crate) async fn with_sub_accounts(&self, master: BankAccount) -> Result<Vec<BankAccount>, Error> {
        let id: u64 = master
            .id
            .parse()
            .map_err(|_| Error::decode("SePay bank account", "non-numeric id"))?;
        let subs = self.all_sub_accounts(id, &master.bank).await?;
        let mut group = Vec::with_capacity(1 + subs.len());
        group.push(master);
        group.extend(subs);
        Ok(group)
    }

    /// The sub-account `sub_id` of `parent_id`, found by listing the parent's sub-accounts (SePay has
    /// no endpoint for one sub-account).
    pub(crate) async fn find_sub_account(&self, parent_id: u64, sub_id: u64) -> Result<BankAccount, Error> {
        let parent = self.get_oauth_bank_account(parent_id).await?;
        let wanted = crate::mapping::sub_account_id(parent_id, sub_id);
        self.all_sub_accounts(parent_id, &parent.bank)
            .await?
            .into_iter()
            .find(|a| a.id == wanted)
            .ok_or_else(|| {
                Error::NotFound(ErrorContext::new(format!(
                    "SePay bank account {parent_id} has no sub-account {sub_id}"
                )))
            })
    }
}

/// A reply of the OAuth API as `T`, or the error it stands for. A 2xx whose envelope says
/// `"status": "error"` is an error too.
pub(crate) fn decode_oauth<T: DeserializeOwned>(reply: Reply, what: &str, scope: &str) -> Result<T, Error> {
    if !reply.status.is_success() {
        return Err(error_for_status_scoped(
            Api::OAuth,
            reply.status.as_u16(),
            &reply,
            scope,
        ));
    }
    #[derive(serde::Deserialize)]
    struct Head {
        #[serde(default)]
        status: Option<serde_json::Value>,
    }
    let head: Head = reply.json(what)?;
    if head.status.as_ref().and_then(|s| s.as_str()) == Some("error") {
        let (code, message) = provider_message(&reply.body);
        let mut ctx = ErrorContext::new(message.unwrap_or_else(|| "SePay answered with status \"error\"".into()))
            .with_status(reply.status.as_u16())
            .with_request_id(reply.request_id.clone());
        if let Some(code) = code {
            ctx = ctx.with_code(code);
        }
        return Err(Error::Provider(ctx));
    }
    reply.json(what)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(last_page: u64) -> Option<OAuthPagination> {
        serde_json::from_value(
            serde_json::json!({"total": 1, "per_page": 1, "current_page": 1, "last_page": last_page}),
        )
        .ok()
    }

    #[test]
    fn next_page_follows_last_page_or_fullness() {
        assert_eq!(next_page(1, 20, 20, p(3)), Some(2));
        assert_eq!(next_page(3, 20, 20, p(3)), None);
        assert_eq!(next_page(1, 5, 20, p(1)), None);
        assert_eq!(next_page(1, 20, 20, None), Some(2));
        assert_eq!(next_page(1, 19, 20, None), None);
        assert_eq!(next_page(u32::MAX, 20, 20, p(u64::MAX)), None);
    }
}
