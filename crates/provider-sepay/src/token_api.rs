//! The API-token way in (seed 004): `Authorization: Bearer API_TOKEN` on `{base}/userapi/...`.
//!
//! SePay allows 2 requests per second per token and answers 429 with `x-sepay-userapi-retry-after`
//! beyond that; every call here is paced by one rate limiter per client (shared by its clones) and a
//! 429 is waited out and retried a few times. All these endpoints are reads (GET), so retrying them
//! is safe.

use std::num::NonZeroU32;
use std::time::Duration;

use chrono::NaiveDateTime;
use gateway_core::{BankAccount, Error, ErrorContext};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use rust_decimal::Decimal;
use secrecy::SecretString;
use serde::de::DeserializeOwned;
use url::Url;

use crate::retry::{retry_read, RequestOptions};
use crate::transport::Transport;
use crate::wire::{UserApiAccount, UserApiCount, UserApiDetails, UserApiList};
use crate::{Auth, SepayClient};

/// Extra spacing added to each request's slot; see [`TokenApi::new`].
const PACING_MARGIN: Duration = Duration::from_millis(20);

/// Filters for [`SepayClient::list_bank_accounts`] and [`SepayClient::count_bank_accounts`]
/// (`GET /userapi/bankaccounts/list` and `/count`). Every field is optional; `Default` is no filter.
///
/// ```
/// use provider_sepay::BankAccountFilter;
/// let f = BankAccountFilter::default().short_name("Vietcombank").since_id(20).limit(20);
/// assert_eq!(f.limit, Some(20));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct BankAccountFilter {
    /// Only accounts at this bank, by SePay's bank short name (`short_name=Vietcombank`).
    pub short_name: Option<String>,
    /// Only accounts with a transaction at or after this Vietnam local time
    /// (`last_transaction_date_min`, sent as `YYYY-MM-DD HH:MM:SS`).
    pub last_transaction_date_min: Option<NaiveDateTime>,
    /// Only accounts with a transaction at or before this Vietnam local time
    /// (`last_transaction_date_max`, sent as `YYYY-MM-DD HH:MM:SS`).
    pub last_transaction_date_max: Option<NaiveDateTime>,
    /// Only accounts with an id of at least this (`since_id`).
    pub since_id: Option<u64>,
    /// At most this many accounts (`limit`; SePay's default is 100). Not sent by the count.
    pub limit: Option<u32>,
    /// Only accounts with a balance of at least this many VND (`accumulated_min`).
    pub accumulated_min: Option<Decimal>,
    /// Only accounts with a balance of at most this many VND (`accumulated_max`).
    pub accumulated_max: Option<Decimal>,
}

impl BankAccountFilter {
    /// Sets [`Self::short_name`].
    pub fn short_name(mut self, short_name: impl Into<String>) -> Self {
        self.short_name = Some(short_name.into());
        self
    }

    /// Sets [`Self::last_transaction_date_min`] (Vietnam local time).
    pub fn last_transaction_date_min(mut self, at: NaiveDateTime) -> Self {
        self.last_transaction_date_min = Some(at);
        self
    }

    /// Sets [`Self::last_transaction_date_max`] (Vietnam local time).
    pub fn last_transaction_date_max(mut self, at: NaiveDateTime) -> Self {
        self.last_transaction_date_max = Some(at);
        self
    }

    /// Sets [`Self::since_id`].
    pub fn since_id(mut self, id: u64) -> Self {
        self.since_id = Some(id);
        self
    }

    /// Sets [`Self::limit`].
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = Some(limit);
        self
    }

    /// Sets [`Self::accumulated_min`] (VND).
    pub fn accumulated_min(mut self, vnd: Decimal) -> Self {
        self.accumulated_min = Some(vnd);
        self
    }

    /// Sets [`Self::accumulated_max`] (VND).
    pub fn accumulated_max(mut self, vnd: Decimal) -> Self {
        self.accumulated_max = Some(vnd);
        self
    }

    /// The query pairs, in the order of seed 004's example; `with_limit` is false for the count.
    fn query(&self, with_limit: bool) -> Vec<(&'static str, String)> {
        const TIME: &str = "%Y-%m-%d %H:%M:%S";
        let mut q = Vec::new();
        if let Some(v) = &self.short_name {
            q.push(("short_name", v.clone()));
        }
        if let Some(v) = &self.last_transaction_date_min {
            q.push(("last_transaction_date_min", v.format(TIME).to_string()));
        }
        if let Some(v) = &self.last_transaction_date_max {
            q.push(("last_transaction_date_max", v.format(TIME).to_string()));
        }
        if let Some(v) = self.since_id {
            q.push(("since_id", v.to_string()));
        }
        if let (true, Some(v)) = (with_limit, self.limit) {
            q.push(("limit", v.to_string()));
        }
        if let Some(v) = &self.accumulated_min {
            q.push(("accumulated_min", v.to_string()));
        }
        if let Some(v) = &self.accumulated_max {
            q.push(("accumulated_max", v.to_string()));
        }
        q
    }
}

/// The API token and the pacing state of one client (shared by its clones through the client's Arc).
pub(crate) struct TokenApi {
    token: SecretString,
    limiter: DefaultDirectRateLimiter,
    requests_per_second: u32,
}

impl std::fmt::Debug for TokenApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenApi")
            .field("token", &"[REDACTED]")
            .field("requests_per_second", &self.requests_per_second)
            .finish()
    }
}

impl TokenApi {
    /// Paces to `requests_per_second`.
    ///
    /// The limiter lets one request through every `1000 / rps` ms **plus 20 ms**, with a burst of 1.
    /// SePay counts requests in any sliding one-second window, and two requests sent exactly 500 ms
    /// apart can arrive less than 500 ms apart after network jitter, making three in one window; the
    /// margin keeps them apart. A burst of 1 (not `rps`) for the same reason: a burst of 2 followed by
    /// the next slot could put 3 requests in one second.
    pub(crate) fn new(token: SecretString, requests_per_second: u32) -> Result<Self, Error> {
        if requests_per_second == 0 {
            return Err(Error::Configuration("requests_per_second must be at least 1".into()));
        }
        let period = Duration::from_millis(1000 / u64::from(requests_per_second)) + PACING_MARGIN;
        let quota = Quota::with_period(period)
            .ok_or_else(|| Error::Configuration("invalid pacing period".into()))?
            .allow_burst(NonZeroU32::MIN);
        Ok(Self {
            token,
            limiter: RateLimiter::direct(quota),
            requests_per_second,
        })
    }

    /// `GET url`, each try paced, retried by the call's (else the client's) [`RetryPolicy`] (429s
    /// waited out for at least `x-sepay-userapi-retry-after`); decodes the body as `T`.
    ///
    /// Errors: an HTTP 200 with an empty body is [`Error::Unauthorized`] (SePay's legacy answer to a
    /// bad token); a 429 still there when retries stop is [`Error::RateLimited`]; other statuses map
    /// as in `error.rs`; a body not shaped like `T` is [`Error::Decode`].
    pub(crate) async fn get<T: DeserializeOwned>(
        &self,
        transport: &Transport,
        options: &RequestOptions,
        url: Url,
        what: &str,
    ) -> Result<T, Error> {
        let reply = retry_read(transport.retry_policy(options), what, || async {
            self.limiter.until_ready().await;
            transport.get(url.clone(), &self.token, what, options).await
        })
        .await?;
        crate::decode::userapi(&reply, what)
    }
}

impl SepayClient {
    pub(crate) fn token_api(&self) -> Result<&TokenApi, Error> {
        match &self.inner.auth {
            Auth::ApiToken(api) => Ok(api),
            Auth::OAuth(_) => Err(Error::Configuration(
                "this call uses SePay's API-token endpoints (/userapi); build the client with SepayClient::api_token"
                    .into(),
            )),
        }
    }

    /// The raw accounts of `GET /userapi/bankaccounts/list` (the provider impl needs their ids).
    pub(crate) async fn fetch_bank_accounts(&self, filter: &BankAccountFilter) -> Result<Vec<UserApiAccount>, Error> {
        let api = self.token_api()?;
        let url = self
            .inner
            .transport
            .url("/userapi/bankaccounts/list", &filter.query(true))?;
        let list: UserApiList = api
            .get(&self.inner.transport, &self.options, url, "SePay bank account list")
            .await?;
        Ok(list.bankaccounts)
    }

    /// Bank accounts matching `filter`, in one request: `GET {base}/userapi/bankaccounts/list`.
    ///
    /// Without `since_id` SePay returns only the 100 most recently added accounts (or `limit`);
    /// [`gateway_core::BankAccountProvider::stream_accounts`] pages through all of them. Each account
    /// is a [`gateway_core::AccountKind::Master`] with its balance (`accumulated`) in VND.
    ///
    /// # Errors
    /// [`Error::Configuration`] on an OAuth client; [`Error::Unauthorized`] for a refused token
    /// (HTTP 401 or SePay's empty HTTP 200); [`Error::RateLimited`] when 429 persists once the
    /// [`crate::RetryPolicy`] gives up (3 retries by default);
    /// [`Error::InvalidRequest`] (400/422), [`Error::Provider`] (5xx), [`Error::Transport`],
    /// [`Error::Decode`] for a reply not in the documented shape.
    pub async fn list_bank_accounts(&self, filter: &BankAccountFilter) -> Result<Vec<BankAccount>, Error> {
        self.fetch_bank_accounts(filter)
            .await?
            .into_iter()
            .map(BankAccount::try_from)
            .collect()
    }

    /// [`Self::list_bank_accounts`] with this call's `options` (retry policy, timeout) instead of
    /// the client's.
    ///
    /// # Errors
    /// As [`Self::list_bank_accounts`].
    pub async fn list_bank_accounts_with(
        &self,
        filter: &BankAccountFilter,
        options: &RequestOptions,
    ) -> Result<Vec<BankAccount>, Error> {
        self.with_options(options.clone()).list_bank_accounts(filter).await
    }

    /// [`Self::bank_account_details`] with this call's `options` (retry policy, timeout) instead
    /// of the client's.
    ///
    /// # Errors
    /// As [`Self::bank_account_details`].
    pub async fn bank_account_details_with(&self, id: &str, options: &RequestOptions) -> Result<BankAccount, Error> {
        self.with_options(options.clone()).bank_account_details(id).await
    }

    /// One bank account by its numeric SePay id: `GET {base}/userapi/bankaccounts/details/{id}`.
    ///
    /// # Errors
    /// [`Error::NotFound`] when SePay has no such account, or without sending anything when `id` is
    /// not a number; otherwise as [`Self::list_bank_accounts`].
    pub async fn bank_account_details(&self, id: &str) -> Result<BankAccount, Error> {
        let api = self.token_api()?;
        let id = numeric_id(id)?;
        let url = self
            .inner
            .transport
            .url(&format!("/userapi/bankaccounts/details/{id}"), &[])?;
        let details: UserApiDetails = api
            .get(&self.inner.transport, &self.options, url, "SePay bank account details")
            .await?;
        match details.bankaccount {
            Some(account) => BankAccount::try_from(account),
            None => Err(Error::NotFound(
                ErrorContext::new(format!("SePay has no bank account {id}")).with_status(200),
            )),
        }
    }

    /// [`Self::count_bank_accounts`] with this call's `options` (retry policy, timeout) instead of
    /// the client's.
    ///
    /// # Errors
    /// As [`Self::count_bank_accounts`].
    pub async fn count_bank_accounts_with(
        &self,
        filter: &BankAccountFilter,
        options: &RequestOptions,
    ) -> Result<u64, Error> {
        self.with_options(options.clone()).count_bank_accounts(filter).await
    }

    /// How many bank accounts match `filter` (its `limit` is not sent):
    /// `GET {base}/userapi/bankaccounts/count` (`count_bankaccounts`, a number or a numeric string).
    ///
    /// # Errors
    /// As [`Self::list_bank_accounts`].
    pub async fn count_bank_accounts(&self, filter: &BankAccountFilter) -> Result<u64, Error> {
        let api = self.token_api()?;
        let url = self
            .inner
            .transport
            .url("/userapi/bankaccounts/count", &filter.query(false))?;
        let count: UserApiCount = api
            .get(&self.inner.transport, &self.options, url, "SePay bank account count")
            .await?;
        Ok(count.count_bankaccounts)
    }
}

/// A SePay id is a number; anything else cannot name an account, so it is refused before sending
/// (which also keeps `/` and `?` out of the request path).
pub(crate) fn numeric_id(id: &str) -> Result<u64, Error> {
    id.trim().parse::<u64>().map_err(|_| {
        Error::NotFound(ErrorContext::new(format!(
            "{id:?} is not a SePay bank account id (ids are numbers)"
        )))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn filter_query_matches_the_seed_example() {
        let f = BankAccountFilter::default()
            .short_name("Vietcombank")
            .last_transaction_date_min(
                NaiveDate::from_ymd_opt(2023, 4, 30)
                    .unwrap()
                    .and_hms_opt(8, 0, 0)
                    .unwrap(),
            )
            .last_transaction_date_max(
                NaiveDate::from_ymd_opt(2023, 5, 2)
                    .unwrap()
                    .and_hms_opt(12, 0, 0)
                    .unwrap(),
            )
            .since_id(20)
            .limit(20)
            .accumulated_min(Decimal::ONE)
            .accumulated_max(Decimal::from(1_000_000_000u64));
        let q = f.query(true);
        assert_eq!(
            q,
            vec![
                ("short_name", "Vietcombank".to_string()),
                ("last_transaction_date_min", "2023-04-30 08:00:00".to_string()),
                ("last_transaction_date_max", "2023-05-02 12:00:00".to_string()),
                ("since_id", "20".to_string()),
                ("limit", "20".to_string()),
                ("accumulated_min", "1".to_string()),
                ("accumulated_max", "1000000000".to_string()),
            ]
        );
        assert!(!f.query(false).iter().any(|(k, _)| *k == "limit"));
    }

    #[test]
    fn ids_must_be_numbers() {
        assert_eq!(numeric_id(" 18 ").unwrap(), 18);
        assert!(matches!(numeric_id("19/25"), Err(Error::NotFound(_))));
        assert!(matches!(numeric_id("../oauth"), Err(Error::NotFound(_))));
    }

    #[test]
    fn zero_rate_is_a_configuration_error() {
        assert!(matches!(
            TokenApi::new(SecretString::from("t"), 0),
            Err(Error::Configuration(_))
        ));
    }
}
