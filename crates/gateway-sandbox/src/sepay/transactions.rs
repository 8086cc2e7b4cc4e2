//! Transaction routes of both SePay APIs over the one ledger of bank transactions:
//!
//! | Route | Auth | What |
//! |---|---|---|
//! | `GET /userapi/transactions/list` | API token | `{"transactions": [...]}`, newest first (descending id), at most `limit` (1 to 5000, default 5000). Filters: `account_number`, `transaction_date_min` / `transaction_date_max` (`YYYY-MM-DD` or `YYYY-MM-DD HH:MM:SS`, inclusive; a bare maximum date includes its whole day), `since_id` (id >=), `reference_number`, `amount_in`, `amount_out`. |
//! | `GET /userapi/transactions/details/{id}` | API token | `{"transaction": {...}}`; `404` when unknown. |
//! | `GET /userapi/transactions/count` | API token | `{"count_transactions": N}`, the list's filters without `limit`. |
//! | `GET /api/v1/transactions` | OAuth, `transaction:read` | Paged (`page` from 1, `limit` 1 to 100, default 20), newest first. Filters: `bank_account_id`, `account_number`, `reference_number`, `from_date` / `to_date` (`YYYY-MM-DD`, inclusive), `amount_in`, `amount_out`. |
//! | `GET /api/v1/transactions/{id}` | OAuth, `transaction:read` | `{"status": "success", "data": {...}}`; `404` when unknown. |
//!
//! The API-token routes print every value as a string (`"amount_in": "18067000.00"`), share the
//! bank-account routes' bearer check, legacy empty-200 mode, 2-per-second window and error
//! envelope, and see every account's transactions. The OAuth routes print real numbers with two
//! decimals (`18067000.00`) and list the transactions of the accounts `/api/v1/bank-accounts`
//! lists, so `bank_account_id` always names one of those. Malformed filters are a `400` in each
//! family's envelope; amounts compare exactly (no floats).

use std::cmp::Ordering;
use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use serde::Serialize;
use serde_json::value::RawValue;

use super::ledger::BankTransaction;
use super::oauth_api::{self, OneBody, Paging};
use super::state::fmt_amount;
use super::token_api::{self, bad_param, gate, success};
use super::token_filter::{date_time, BadParam, Decimal};
use super::{json, lock, Params, SepayState};

/// Scope the OAuth transaction routes need.
const SCOPE: &str = "transaction:read";
/// The token list's `limit`: documented default and maximum.
const MAX_LIMIT: usize = 5000;

pub(super) fn routes() -> Router<Arc<SepayState>> {
    Router::new()
        .route("/userapi/transactions/list", get(token_list))
        .route("/userapi/transactions/details/{id}", get(token_details))
        .route("/userapi/transactions/count", get(token_count))
        .route("/api/v1/transactions", get(oauth_list))
        .route("/api/v1/transactions/{id}", get(oauth_details))
}

/// Both routes families' filters; each parses the parameters it documents.
#[derive(Debug, Default)]
struct Filter {
    bank_account_id: Option<u64>,
    account_number: Option<String>,
    reference_number: Option<String>,
    from: Option<NaiveDateTime>,
    to: Option<NaiveDateTime>,
    since_id: Option<u64>,
    amount_in: Option<Decimal>,
    amount_out: Option<Decimal>,
}

fn decimal(p: &Params, name: &'static str) -> Result<Option<Decimal>, BadParam> {
    p.get(name).map(|v| Decimal::parse(v).ok_or(BadParam(name))).transpose()
}

fn id(p: &Params, name: &'static str) -> Result<Option<u64>, BadParam> {
    p.get(name).map(|v| v.parse().map_err(|_| BadParam(name))).transpose()
}

/// A bare `YYYY-MM-DD`: the start of the day, or its last second for an upper bound.
fn day(p: &Params, name: &'static str, end_of_day: bool) -> Result<Option<NaiveDateTime>, BadParam> {
    p.get(name)
        .map(|v| {
            let date = NaiveDate::parse_from_str(v, "%Y-%m-%d").map_err(|_| BadParam(name))?;
            let time = if end_of_day {
                NaiveTime::from_hms_opt(23, 59, 59).expect("a valid time")
            } else {
                NaiveTime::MIN
            };
            Ok(date.and_time(time))
        })
        .transpose()
}

impl Filter {
    /// `/userapi/transactions/list` and `/count`.
    fn token(p: &Params) -> Result<Self, BadParam> {
        Ok(Self {
            account_number: p.get("account_number").map(str::to_owned),
            reference_number: p.get("reference_number").map(str::to_owned),
            from: p
                .get("transaction_date_min")
                .map(|v| date_time(v, false).ok_or(BadParam("transaction_date_min")))
                .transpose()?,
            to: p
                .get("transaction_date_max")
                .map(|v| date_time(v, true).ok_or(BadParam("transaction_date_max")))
                .transpose()?,
            since_id: id(p, "since_id")?,
            amount_in: decimal(p, "amount_in")?,
            amount_out: decimal(p, "amount_out")?,
            bank_account_id: None,
        })
    }

    /// `/api/v1/transactions`.
    fn oauth(p: &Params) -> Result<Self, BadParam> {
        Ok(Self {
            bank_account_id: id(p, "bank_account_id")?,
            account_number: p.get("account_number").map(str::to_owned),
            reference_number: p.get("reference_number").map(str::to_owned),
            from: day(p, "from_date", false)?,
            to: day(p, "to_date", true)?,
            amount_in: decimal(p, "amount_in")?,
            amount_out: decimal(p, "amount_out")?,
            since_id: None,
        })
    }

    fn matches(&self, t: &BankTransaction) -> bool {
        let amount = |filter: &Option<Decimal>, dong: u64| {
            filter
                .as_ref()
                .is_none_or(|d| d.cmp_hundredths(dong.saturating_mul(100)) == Ordering::Equal)
        };
        self.bank_account_id.is_none_or(|id| t.bank_account_id == id)
            && self.account_number.as_ref().is_none_or(|n| *n == t.account_number)
            && self.reference_number.as_ref().is_none_or(|r| *r == t.reference_code)
            && self.from.is_none_or(|from| t.date >= from)
            && self.to.is_none_or(|to| t.date <= to)
            && self.since_id.is_none_or(|id| t.id >= id)
            && amount(&self.amount_in, t.amount_in())
            && amount(&self.amount_out, t.amount_out())
    }
}

// ---- API token ----

/// One transaction as the API-token routes print it: every value a string, `code` and
/// `sub_account` null when absent.
#[derive(Serialize)]
struct TokenJson {
    id: String,
    bank_brand_name: String,
    account_number: String,
    transaction_date: String,
    amount_out: String,
    amount_in: String,
    accumulated: String,
    transaction_content: String,
    reference_number: String,
    code: Option<String>,
    sub_account: Option<String>,
    bank_account_id: String,
}

impl From<&BankTransaction> for TokenJson {
    fn from(t: &BankTransaction) -> Self {
        Self {
            id: t.id.to_string(),
            bank_brand_name: t.gateway.clone(),
            account_number: t.account_number.clone(),
            transaction_date: t.transaction_date.clone(),
            amount_out: fmt_amount(t.amount_out() * 100),
            amount_in: fmt_amount(t.amount_in() * 100),
            accumulated: fmt_amount(t.accumulated * 100),
            transaction_content: t.content.clone(),
            reference_number: t.reference_code.clone(),
            code: t.code.clone(),
            sub_account: t.sub_account.clone(),
            bank_account_id: t.bank_account_id.to_string(),
        }
    }
}

#[derive(Serialize)]
struct ListPayload {
    transactions: Vec<TokenJson>,
}

#[derive(Serialize)]
struct DetailsPayload {
    transaction: TokenJson,
}

#[derive(Serialize)]
struct CountPayload {
    count_transactions: usize,
}

fn token_filter(query: Option<&str>) -> Result<(Params, Filter), Response> {
    let params = Params::parse(query).ok_or_else(|| bad_param(BadParam("query")))?;
    let filter = Filter::token(&params).map_err(bad_param)?;
    Ok((params, filter))
}

/// The newest `limit` matching transactions, newest first, `since_id` or not.
async fn token_list(
    State(state): State<Arc<SepayState>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, Response> {
    gate(&state, &headers)?;
    let (params, filter) = token_filter(query.as_deref())?;
    let limit = match params.get("limit") {
        None => MAX_LIMIT,
        Some(v) => v
            .parse()
            .ok()
            .filter(|n| (1..=MAX_LIMIT).contains(n))
            .ok_or_else(|| bad_param(BadParam("limit")))?,
    };
    let transactions = lock(&state.ledger)
        .all()
        .iter()
        .rev()
        .filter(|t| filter.matches(t))
        .take(limit)
        .map(TokenJson::from)
        .collect();
    Ok(success(ListPayload { transactions }))
}

async fn token_details(
    State(state): State<Arc<SepayState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, Response> {
    gate(&state, &headers)?;
    let transaction = id
        .parse::<u64>()
        .ok()
        .and_then(|id| lock(&state.ledger).find(id).map(TokenJson::from))
        .ok_or_else(|| token_api::error(StatusCode::NOT_FOUND, "Không tìm thấy giao dịch"))?;
    Ok(success(DetailsPayload { transaction }))
}

async fn token_count(
    State(state): State<Arc<SepayState>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, Response> {
    gate(&state, &headers)?;
    let (_, filter) = token_filter(query.as_deref())?;
    let count_transactions = lock(&state.ledger).all().iter().filter(|t| filter.matches(t)).count();
    Ok(success(CountPayload { count_transactions }))
}

// ---- OAuth 2.0 ----

/// An amount as a JSON number with SePay's two decimals (`18067000.00`), which an `f64` would
/// print as `18067000.0`.
fn number(dong: u64) -> Box<RawValue> {
    RawValue::from_string(fmt_amount(dong * 100)).expect("an amount is a JSON number")
}

/// One transaction as the OAuth routes print it: real numbers.
#[derive(Serialize)]
struct OauthJson<'a> {
    id: u64,
    bank_account_id: u64,
    bank_brand_name: &'a str,
    account_number: &'a str,
    transaction_date: &'a str,
    amount_out: Box<RawValue>,
    amount_in: Box<RawValue>,
    accumulated: Box<RawValue>,
    transaction_content: &'a str,
    reference_number: &'a str,
    code: Option<&'a str>,
    sub_account: Option<&'a str>,
}

impl<'a> From<&'a BankTransaction> for OauthJson<'a> {
    fn from(t: &'a BankTransaction) -> Self {
        Self {
            id: t.id,
            bank_account_id: t.bank_account_id,
            bank_brand_name: &t.gateway,
            account_number: &t.account_number,
            transaction_date: &t.transaction_date,
            amount_out: number(t.amount_out()),
            amount_in: number(t.amount_in()),
            accumulated: number(t.accumulated),
            transaction_content: &t.content,
            reference_number: &t.reference_code,
            code: t.code.as_deref(),
            sub_account: t.sub_account.as_deref(),
        }
    }
}

fn oauth_bad_param(BadParam(name): BadParam) -> Response {
    oauth_api::bad_request(&format!("The {name} parameter is invalid"))
}

async fn oauth_list(
    State(state): State<Arc<SepayState>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, Response> {
    oauth_api::require_scope(&state, &headers, SCOPE)?;
    let paging = Paging::parse(query.as_deref())?;
    let params = Params::parse(query.as_deref()).ok_or_else(|| oauth_bad_param(BadParam("query")))?;
    let filter = Filter::oauth(&params).map_err(oauth_bad_param)?;
    let ledger = lock(&state.ledger);
    let matching: Vec<&BankTransaction> = ledger
        .all()
        .iter()
        .rev()
        .filter(|t| t.oauth_visible && filter.matches(t))
        .collect();
    Ok(json(
        StatusCode::OK,
        &paging.apply(matching.into_iter(), OauthJson::from),
    ))
}

async fn oauth_details(
    State(state): State<Arc<SepayState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, Response> {
    oauth_api::require_scope(&state, &headers, SCOPE)?;
    let ledger = lock(&state.ledger);
    let transaction = id
        .parse::<u64>()
        .ok()
        .and_then(|id| ledger.find(id))
        .filter(|t| t.oauth_visible)
        .ok_or_else(|| {
            oauth_api::error(
                StatusCode::NOT_FOUND,
                "resource_not_found",
                "Transaction does not exist",
            )
        })?;
    Ok(json(
        StatusCode::OK,
        &OneBody {
            status: "success",
            data: OauthJson::from(transaction),
        },
    ))
}
