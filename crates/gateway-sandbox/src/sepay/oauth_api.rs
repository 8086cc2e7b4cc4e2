//! OAuth 2.0 resource routes (`/api/v1/bank-accounts...`, seed 003): access-token and scope
//! checks, page/limit paging, and accounts with real numbers and booleans.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde::Serialize;
use serde_json::value::RawValue;

use super::state::{fmt_amount, fmt_time, OauthAccount, SubAccount};
use super::{bearer, json, lock, Bearer, Params, SepayState};

/// Scope every bank-account route needs.
const SCOPE: &str = "bank-account:read";
const DEFAULT_LIMIT: u64 = 20;
const MAX_LIMIT: u64 = 100;

pub(super) fn routes() -> Router<Arc<SepayState>> {
    Router::new()
        .route("/api/v1/bank-accounts", get(list))
        .route("/api/v1/bank-accounts/{id}", get(details))
        .route("/api/v1/bank-accounts/{id}/sub-accounts", get(sub_accounts))
}

#[derive(Serialize)]
struct ErrorDetail<'a> {
    code: &'a str,
    message: &'a str,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    status: &'static str,
    error: ErrorDetail<'a>,
}

/// `{"status":"error","error":{"code":"...","message":"..."}}`.
pub(super) fn error(status: StatusCode, code: &str, message: &str) -> Response {
    json(
        status,
        &ErrorBody {
            status: "error",
            error: ErrorDetail { code, message },
        },
    )
}

pub(super) fn bad_request(message: &str) -> Response {
    error(StatusCode::BAD_REQUEST, "bad_request", message)
}

fn account_not_found() -> Response {
    error(
        StatusCode::NOT_FOUND,
        "resource_not_found",
        "Bank account does not exist",
    )
}

/// A valid, unexpired access token carrying `SCOPE`, else the documented 401 or 403.
fn authorize(state: &SepayState, headers: &HeaderMap) -> Result<(), Response> {
    require_scope(state, headers, SCOPE)
}

/// A valid, unexpired access token carrying `scope`, else the documented 401 or 403 (which names
/// the missing scope).
pub(super) fn require_scope(state: &SepayState, headers: &HeaderMap, scope: &str) -> Result<(), Response> {
    let unauthorized = || error(StatusCode::UNAUTHORIZED, "unauthorized", "Token is invalid or expired");
    let Bearer::Token(token) = bearer(headers) else {
        return Err(unauthorized());
    };
    let tokens = lock(&state.tokens);
    let scopes = tokens.check_access(token, Instant::now()).ok_or_else(unauthorized)?;
    if !scopes.iter().any(|s| s == scope) {
        return Err(error(
            StatusCode::FORBIDDEN,
            "forbidden",
            &format!("Missing required scope: {scope}"),
        ));
    }
    Ok(())
}

#[derive(Serialize)]
struct Pagination {
    total: u64,
    per_page: u64,
    current_page: u64,
    last_page: u64,
}

#[derive(Serialize)]
struct Meta {
    pagination: Pagination,
}

#[derive(Serialize)]
pub(super) struct PageBody<T> {
    status: &'static str,
    data: Vec<T>,
    meta: Meta,
}

#[derive(Serialize)]
pub(super) struct OneBody<T> {
    pub status: &'static str,
    pub data: T,
}

/// `page` (from 1, default 1) and `limit` (1 to 100, default 20).
pub(super) struct Paging {
    page: u64,
    limit: u64,
}

impl Paging {
    pub(super) fn parse(query: Option<&str>) -> Result<Self, Response> {
        let params = Params::parse(query).ok_or_else(|| bad_request("The query string is malformed"))?;
        let page = match params.get("page") {
            None => 1,
            Some(v) => v
                .parse()
                .ok()
                .filter(|&p| p >= 1)
                .ok_or_else(|| bad_request("The page must be an integer of at least 1"))?,
        };
        let limit = match params.get("limit") {
            None => DEFAULT_LIMIT,
            Some(v) => v
                .parse()
                .ok()
                .filter(|l| (1..=MAX_LIMIT).contains(l))
                .ok_or_else(|| bad_request(&format!("The limit must be an integer between 1 and {MAX_LIMIT}")))?,
        };
        Ok(Self { page, limit })
    }

    /// This page of `items` (a page past the end is empty) with its pagination meta.
    pub(super) fn apply<'a, T, J>(
        &self,
        items: impl ExactSizeIterator<Item = &'a T>,
        to_json: impl Fn(&'a T) -> J,
    ) -> PageBody<J>
    where
        T: 'a,
    {
        let total = items.len() as u64;
        let skip = usize::try_from(self.page.saturating_sub(1).saturating_mul(self.limit)).unwrap_or(usize::MAX);
        let data = items.skip(skip).take(self.limit as usize).map(to_json).collect();
        let last_page = total.div_ceil(self.limit).max(1);
        let pagination = Pagination {
            total,
            per_page: self.limit,
            current_page: self.page,
            last_page,
        };
        PageBody {
            status: "success",
            data,
            meta: Meta { pagination },
        }
    }
}

#[derive(Serialize)]
struct BankJson {
    short_name: &'static str,
    full_name: &'static str,
    code: &'static str,
    bin: &'static str,
    icon_url: String,
    logo_url: String,
}

/// One account as seed 003 prints it. `accumulated` is a JSON number written as text so it keeps
/// its two decimals (`1777283273.00`), which an `f64` would print as `1777283273.0`.
#[derive(Serialize)]
struct AccountJson<'a> {
    id: u64,
    label: Option<&'a str>,
    account_holder_name: &'a str,
    account_number: &'a str,
    accumulated: Box<RawValue>,
    active: bool,
    created_at: String,
    bank: BankJson,
}

impl<'a> From<&'a OauthAccount> for AccountJson<'a> {
    fn from(a: &'a OauthAccount) -> Self {
        // SePay's logo files are named after the bank's short name in lower case.
        let slug = a.bank.short_name.to_lowercase();
        Self {
            id: a.id,
            label: a.label.as_deref(),
            account_holder_name: &a.holder,
            account_number: &a.number,
            accumulated: RawValue::from_string(fmt_amount(a.accumulated)).expect("an amount is a JSON number"),
            active: a.active,
            created_at: fmt_time(&a.created_at),
            bank: BankJson {
                short_name: a.bank.short_name,
                full_name: a.bank.full_name,
                code: a.bank.code,
                bin: a.bank.bin,
                icon_url: format!("https://my.sepay.vn/assets/images/banklogo/{slug}-icon.png"),
                logo_url: format!("https://my.sepay.vn/assets/images/banklogo/{slug}.png"),
            },
        }
    }
}

#[derive(Serialize)]
struct SubAccountJson<'a> {
    id: u64,
    bank_account_id: u64,
    account_number: &'a str,
    account_holder_name: &'a str,
    label: &'a str,
    acc_type: &'static str,
    active: bool,
    va_active: bool,
    created_at: String,
    updated_at: String,
}

impl<'a> From<&'a SubAccount> for SubAccountJson<'a> {
    fn from(s: &'a SubAccount) -> Self {
        Self {
            id: s.id,
            bank_account_id: s.bank_account_id,
            account_number: &s.number,
            account_holder_name: &s.holder,
            label: &s.label,
            acc_type: "Virtual",
            active: s.active,
            va_active: s.va_active,
            created_at: fmt_time(&s.created_at),
            updated_at: fmt_time(&s.updated_at),
        }
    }
}

fn find_account<'a>(state: &'a SepayState, id: &str) -> Result<&'a OauthAccount, Response> {
    id.parse::<u64>()
        .ok()
        .and_then(|id| state.oauth_accounts.binary_search_by_key(&id, |a| a.id).ok())
        .map(|i| &state.oauth_accounts[i])
        .ok_or_else(account_not_found)
}

/// Newest first (id descending), as the seed lists 19 before 18.
async fn list(
    State(state): State<Arc<SepayState>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, Response> {
    authorize(&state, &headers)?;
    let paging = Paging::parse(query.as_deref())?;
    Ok(json(
        StatusCode::OK,
        &paging.apply(state.oauth_accounts.iter().rev(), AccountJson::from),
    ))
}

async fn details(
    State(state): State<Arc<SepayState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, Response> {
    authorize(&state, &headers)?;
    let account = find_account(&state, &id)?;
    Ok(json(
        StatusCode::OK,
        &OneBody {
            status: "success",
            data: AccountJson::from(account),
        },
    ))
}

/// Oldest first (id ascending), as the seed lists 25 before 26.
async fn sub_accounts(
    State(state): State<Arc<SepayState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, Response> {
    authorize(&state, &headers)?;
    let account = find_account(&state, &id)?;
    let paging = Paging::parse(query.as_deref())?;
    let children: Vec<&SubAccount> = state
        .sub_accounts
        .iter()
        .filter(|s| s.bank_account_id == account.id)
        .collect();
    Ok(json(
        StatusCode::OK,
        &paging.apply(children.into_iter(), SubAccountJson::from),
    ))
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::super::test_support::{get, get_json, sandbox};

    const ACCESS: &str = "sandbox-sepay-access-token";

    fn ids(body: &Value) -> Vec<u64> {
        body["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["id"].as_u64().unwrap())
            .collect()
    }

    fn seed_19() -> Value {
        json!({
            "id": 19,
            "label": "Cty Demo",
            "account_holder_name": "CONG TY TNHH DEMO",
            "account_number": "0071000888888",
            "accumulated": 1777283273.00,
            "active": true,
            "created_at": "2025-02-12 21:09:49",
            "bank": {
                "short_name": "Vietcombank",
                "full_name": "Ngân hàng TMCP Ngoại Thương Việt Nam",
                "code": "VCB",
                "bin": "970436",
                "icon_url": "https://my.sepay.vn/assets/images/banklogo/vietcombank-icon.png",
                "logo_url": "https://my.sepay.vn/assets/images/banklogo/vietcombank.png"
            }
        })
    }

    #[tokio::test]
    async fn list_pages_newest_first_with_meta_and_two_decimal_amounts() {
        let sandbox = sandbox().await;
        let base = format!("{}/api/v1/bank-accounts", sandbox.sepay_base_url());
        let (status, headers, raw) = get(&base, Some(ACCESS)).await;
        assert_eq!(status, 200);
        assert_eq!(headers["content-type"], "application/json");
        let body: Value = serde_json::from_str(&raw).unwrap();
        assert_eq!(body["status"], "success");
        assert_eq!(
            body["meta"],
            json!({"pagination": {"total": 45, "per_page": 20, "current_page": 1, "last_page": 3}})
        );
        assert_eq!(ids(&body), (26..=45).rev().collect::<Vec<u64>>());

        let mut seen = Vec::new();
        for page in 1..=3 {
            let (_, body) = get_json(&format!("{base}?page={page}&limit=20"), Some(ACCESS)).await;
            assert_eq!(body["meta"]["pagination"]["current_page"], page);
            seen.extend(ids(&body));
        }
        assert_eq!(seen, (1..=45).rev().collect::<Vec<u64>>());

        // The seed's accounts, with their amounts printed as the seed prints them.
        let (_, _, raw) = get(&format!("{base}?page=3&limit=10"), Some(ACCESS)).await;
        assert!(raw.contains("\"accumulated\":1777283273.00,"), "{raw}");
        assert!(raw.contains("\"accumulated\":2625076186.00,"), "{raw}");
        let body: Value = serde_json::from_str(&raw).unwrap();
        assert_eq!(ids(&body), (16..=25).rev().collect::<Vec<u64>>());
        let page = body["data"].as_array().unwrap();
        let nineteen = page.iter().find(|a| a["id"] == 19).unwrap();
        assert_eq!(*nineteen, seed_19());
        let eighteen = page.iter().find(|a| a["id"] == 18).unwrap();
        assert_eq!(eighteen["label"], Value::Null);
        assert_eq!(eighteen["created_at"], "2025-02-12 20:05:47");

        let (_, body) = get_json(&format!("{base}?page=9&limit=100"), Some(ACCESS)).await;
        assert_eq!(body["data"], json!([]));
        assert_eq!(body["meta"]["pagination"]["last_page"], 1);

        for bad in ["page=0", "page=x", "limit=0", "limit=101", "limit=-1"] {
            let (status, body) = get_json(&format!("{base}?{bad}"), Some(ACCESS)).await;
            assert_eq!(status, 400, "{bad}");
            assert_eq!(body["error"]["code"], "bad_request");
        }
    }

    #[tokio::test]
    async fn details_match_the_seed_and_unknown_ids_are_404() {
        let sandbox = sandbox().await;
        let base = format!("{}/api/v1/bank-accounts", sandbox.sepay_base_url());
        let (status, headers, raw) = get(&format!("{base}/19"), Some(ACCESS)).await;
        assert_eq!(
            (status, &headers["content-type"]),
            (200, &"application/json".parse().unwrap())
        );
        assert!(raw.contains("\"accumulated\":1777283273.00"));
        let body: Value = serde_json::from_str(&raw).unwrap();
        assert_eq!(body, json!({"status": "success", "data": seed_19()}));
        let not_found = json!({"status": "error", "error": {"code": "resource_not_found", "message": "Bank account does not exist"}});
        for id in ["999", "abc"] {
            assert_eq!(
                get_json(&format!("{base}/{id}"), Some(ACCESS)).await,
                (404, not_found.clone())
            );
            assert_eq!(
                get_json(&format!("{base}/{id}/sub-accounts"), Some(ACCESS)).await,
                (404, not_found.clone())
            );
        }
    }

    #[tokio::test]
    async fn sub_accounts_page_and_match_the_seed() {
        let sandbox = sandbox().await;
        let url = format!("{}/api/v1/bank-accounts/19/sub-accounts", sandbox.sepay_base_url());
        let (status, body) = get_json(&url, Some(ACCESS)).await;
        assert_eq!(status, 200);
        assert_eq!(
            body["meta"],
            json!({"pagination": {"total": 24, "per_page": 20, "current_page": 1, "last_page": 2}})
        );
        assert_eq!(
            body["data"][0],
            json!({
                "id": 25,
                "bank_account_id": 19,
                "account_number": "VCB0011ABC001",
                "account_holder_name": "Chi nhánh 1",
                "label": "CN1",
                "acc_type": "Virtual",
                "active": true,
                "va_active": true,
                "created_at": "2025-02-20 09:15:32",
                "updated_at": "2025-02-20 09:15:32"
            })
        );
        assert_eq!(body["data"][1]["account_number"], "VCB0011ABC002");
        let mut seen = ids(&body);
        let (_, body) = get_json(&format!("{url}?page=2"), Some(ACCESS)).await;
        assert_eq!(body["data"].as_array().unwrap().len(), 4);
        seen.extend(ids(&body));
        assert_eq!(seen.len(), 24);
        assert!(seen.windows(2).all(|w| w[0] < w[1]));

        let (_, body) = get_json(&format!("{url}?page=1&limit=2"), Some(ACCESS)).await;
        assert_eq!(ids(&body), [25, 26]);
        assert_eq!(body["meta"]["pagination"]["last_page"], 12);

        let (_, body) = get_json(
            &format!("{}/api/v1/bank-accounts/6/sub-accounts", sandbox.sepay_base_url()),
            Some(ACCESS),
        )
        .await;
        let items = body["data"].as_array().unwrap();
        assert!((1..=3).contains(&items.len()));
        assert!(items
            .iter()
            .all(|s| s["bank_account_id"] == 6 && s["acc_type"] == "Virtual"));
    }

    #[tokio::test]
    async fn expired_and_narrow_tokens_are_refused() {
        let sandbox = sandbox().await;
        let url = format!("{}/api/v1/bank-accounts", sandbox.sepay_base_url());
        let unauthorized =
            json!({"status": "error", "error": {"code": "unauthorized", "message": "Token is invalid or expired"}});
        assert_eq!(get_json(&url, None).await, (401, unauthorized.clone()));
        assert_eq!(get_json(&url, Some("nope")).await, (401, unauthorized.clone()));

        let narrow = sandbox.sepay().issue_oauth_access_token(&["transaction:read"]);
        let forbidden = json!({"status": "error", "error": {"code": "forbidden", "message": "Missing required scope: bank-account:read"}});
        assert_eq!(get_json(&url, Some(&narrow)).await, (403, forbidden));
        let wide = sandbox.sepay().issue_oauth_access_token(&["bank-account:read"]);
        assert_eq!(get_json(&url, Some(&wide)).await.0, 200);

        sandbox.sepay().expire_oauth_access_tokens();
        assert_eq!(get_json(&url, Some(ACCESS)).await, (401, unauthorized.clone()));
        assert_eq!(get_json(&url, Some(&wide)).await, (401, unauthorized));
    }
}
