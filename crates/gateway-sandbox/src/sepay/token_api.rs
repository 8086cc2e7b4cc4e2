//! API-token routes (`/userapi/bankaccounts/...`, seed 004): the bearer check, the per-second rate
//! limit, and bank accounts in SePay's v1 shape where every value is a string.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Serialize;

use super::state::{fmt_amount, fmt_time, TokenAccount};
use super::token_filter::{BadParam, Filter};
use super::{bearer, json, lock, Bearer, Params, SepayState};

/// The list's window when `limit` is absent ("by default only the 100 most recently added").
const DEFAULT_LIMIT: usize = 100;
const MAX_LIMIT: usize = 5000;

pub(super) fn routes() -> Router<Arc<SepayState>> {
    Router::new()
        .route("/userapi/bankaccounts/list", get(list))
        .route("/userapi/bankaccounts/details/{id}", get(details))
        .route("/userapi/bankaccounts/count", get(count))
}

#[derive(Serialize)]
struct ErrorMessages<'a> {
    error: &'a str,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    status: u16,
    error: u16,
    messages: ErrorMessages<'a>,
}

/// `{"status":N,"error":N,"messages":{"error":"..."}}`, the v1 error envelope.
pub(super) fn error(status: StatusCode, message: &str) -> Response {
    let code = status.as_u16();
    json(
        status,
        &ErrorBody {
            status: code,
            error: code,
            messages: ErrorMessages { error: message },
        },
    )
}

#[derive(Serialize)]
struct SuccessMessages {
    success: bool,
}

/// `{"status":200,"error":null,"messages":{"success":true}, ...payload}`.
#[derive(Serialize)]
struct Success<T> {
    status: u16,
    error: Option<u16>,
    messages: SuccessMessages,
    #[serde(flatten)]
    payload: T,
}

pub(super) fn success<T: Serialize>(payload: T) -> Response {
    json(
        StatusCode::OK,
        &Success {
            status: 200,
            error: None,
            messages: SuccessMessages { success: true },
            payload,
        },
    )
}

/// One account as seed 004 prints it: every value a string, `last_transaction` null when never.
#[derive(Serialize)]
struct AccountJson {
    id: String,
    account_holder_name: String,
    account_number: String,
    accumulated: String,
    last_transaction: Option<String>,
    label: String,
    active: &'static str,
    created_at: String,
    bank_short_name: &'static str,
    bank_full_name: &'static str,
    bank_bin: &'static str,
    bank_code: &'static str,
}

impl From<&TokenAccount> for AccountJson {
    fn from(a: &TokenAccount) -> Self {
        Self {
            id: a.id.to_string(),
            account_holder_name: a.holder.clone(),
            account_number: a.number.clone(),
            accumulated: fmt_amount(a.accumulated),
            last_transaction: a.last_transaction.as_ref().map(fmt_time),
            label: a.label.clone(),
            active: if a.active { "1" } else { "0" },
            created_at: fmt_time(&a.created_at),
            bank_short_name: a.bank.short_name,
            bank_full_name: a.bank.full_name,
            bank_bin: a.bank.bin,
            bank_code: a.bank.code,
        }
    }
}

#[derive(Serialize)]
struct ListPayload {
    bankaccounts: Vec<AccountJson>,
}

#[derive(Serialize)]
struct DetailsPayload {
    bankaccount: AccountJson,
}

#[derive(Serialize)]
struct CountPayload {
    count_bankaccounts: usize,
}

/// Checks the API token, then the rate limit (one window for every `/userapi` route). Only requests with the right token use up the
/// window, and refused ones do not, so waiting the advertised time is always enough.
pub(super) fn gate(state: &SepayState, headers: &HeaderMap) -> Result<(), Response> {
    match bearer(headers) {
        Bearer::Missing => return Err(unauthorized()),
        Bearer::Token(token) if token == state.api_token => {}
        // Legacy SePay answered a wrong token with 200 and nothing in the body.
        _ if state.legacy_empty_auth.load(Ordering::Relaxed) => return Err(StatusCode::OK.into_response()),
        _ => return Err(unauthorized()),
    }
    let admitted = lock(&state.window).admit(Instant::now());
    admitted.map_err(|wait_secs| {
        state.rate_limited.fetch_add(1, Ordering::Relaxed);
        let message = format!("Vượt quá giới hạn {} request/giây", state.rate_limit);
        let mut response = error(StatusCode::TOO_MANY_REQUESTS, &message);
        response
            .headers_mut()
            .insert("x-sepay-userapi-retry-after", HeaderValue::from(wait_secs));
        response
    })
}

fn unauthorized() -> Response {
    error(StatusCode::UNAUTHORIZED, "Token không hợp lệ hoặc thiếu")
}

pub(super) fn bad_param(BadParam(name): BadParam) -> Response {
    error(StatusCode::BAD_REQUEST, &format!("Tham số {name} không hợp lệ"))
}

fn filter(query: Option<&str>) -> Result<(Params, Filter), Response> {
    let params = Params::parse(query).ok_or_else(|| bad_param(BadParam("query")))?;
    let filter = Filter::from_params(&params).map_err(bad_param)?;
    Ok((params, filter))
}

/// Without `since_id`: the newest `limit` accounts, newest first. With it: the first `limit`
/// accounts from that id on, oldest first, so a client can page by passing the last id + 1.
async fn list(
    State(state): State<Arc<SepayState>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, Response> {
    gate(&state, &headers)?;
    let (params, filter) = filter(query.as_deref())?;
    let limit = match params.get("limit") {
        None => DEFAULT_LIMIT,
        Some(v) => v
            .parse()
            .ok()
            .filter(|n| (1..=MAX_LIMIT).contains(n))
            .ok_or_else(|| bad_param(BadParam("limit")))?,
    };
    let matching = state.token_accounts.iter().filter(|a| filter.matches(a));
    let bankaccounts = if filter.since_id.is_some() {
        matching.take(limit).map(AccountJson::from).collect()
    } else {
        matching.rev().take(limit).map(AccountJson::from).collect()
    };
    Ok(success(ListPayload { bankaccounts }))
}

async fn details(
    State(state): State<Arc<SepayState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, Response> {
    gate(&state, &headers)?;
    let account = id
        .parse::<u64>()
        .ok()
        .and_then(|id| state.token_accounts.binary_search_by_key(&id, |a| a.id).ok())
        .map(|i| &state.token_accounts[i])
        .ok_or_else(|| error(StatusCode::NOT_FOUND, "Không tìm thấy tài khoản ngân hàng"))?;
    Ok(success(DetailsPayload {
        bankaccount: account.into(),
    }))
}

/// Same filters as the list (`since_id` included); `limit` does not apply to a count.
async fn count(
    State(state): State<Arc<SepayState>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, Response> {
    gate(&state, &headers)?;
    let (_, filter) = filter(query.as_deref())?;
    let count_bankaccounts = state.token_accounts.iter().filter(|a| filter.matches(a)).count();
    Ok(success(CountPayload { count_bankaccounts }))
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::super::test_support::{get, get_json, sandbox};
    use crate::Sandbox;

    const TOKEN: &str = "SANDBOX-SEPAY-API-TOKEN";

    fn ids(body: &Value) -> Vec<u64> {
        body["bankaccounts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["id"].as_str().unwrap().parse().unwrap())
            .collect()
    }

    /// Whole dong of an "N.NN" amount (the emulator's amounts are whole).
    fn dong(v: &Value) -> u64 {
        let s = v.as_str().unwrap();
        let (int, frac) = s.split_once('.').unwrap();
        assert_eq!(frac.len(), 2, "{s}");
        int.parse().unwrap()
    }

    #[tokio::test]
    async fn list_defaults_to_the_newest_100_with_string_values() {
        let sandbox = sandbox().await;
        let url = format!("{}/userapi/bankaccounts/list", sandbox.sepay_base_url());
        let (status, body) = get_json(&url, Some(TOKEN)).await;
        assert_eq!(status, 200);
        assert_eq!(body["status"], 200);
        assert_eq!(body["error"], Value::Null);
        assert_eq!(body["messages"], json!({"success": true}));
        assert_eq!(ids(&body), (131..=230).rev().collect::<Vec<u64>>());
        for account in body["bankaccounts"].as_array().unwrap() {
            let fields = account.as_object().unwrap();
            assert_eq!(fields.len(), 12);
            for (key, value) in fields {
                assert!(
                    value.is_string() || (key == "last_transaction" && value.is_null()),
                    "{key}: {value}"
                );
            }
            assert!(["0", "1"].contains(&account["active"].as_str().unwrap()));
            assert!((10..=14).contains(&account["account_number"].as_str().unwrap().len()));
            dong(&account["accumulated"]);
        }
    }

    #[tokio::test]
    async fn since_id_pages_ascending_through_every_account() {
        let sandbox = sandbox().await;
        let base = format!("{}/userapi/bankaccounts/list", sandbox.sepay_base_url());
        let (mut seen, mut since) = (Vec::<u64>::new(), 1);
        loop {
            let (status, body) = get_json(&format!("{base}?since_id={since}&limit=100"), Some(TOKEN)).await;
            assert_eq!(status, 200);
            let page = ids(&body);
            assert!(page.windows(2).all(|w| w[0] < w[1]));
            assert!(page.iter().all(|&id| id >= since));
            seen.extend(&page);
            if page.len() < 100 {
                break;
            }
            since = page.last().unwrap() + 1;
        }
        assert_eq!(seen, (1..=230).collect::<Vec<u64>>());
        let (_, body) = get_json(&format!("{base}?since_id=20&limit=3"), Some(TOKEN)).await;
        assert_eq!(ids(&body), [20, 21, 22]);
    }

    #[tokio::test]
    async fn filters_select_and_count_agrees() {
        let sandbox = sandbox().await;
        let base = format!("{}/userapi/bankaccounts", sandbox.sepay_base_url());

        let (_, body) = get_json(&format!("{base}/list?short_name=vietcombank&limit=5000"), Some(TOKEN)).await;
        let vcb = body["bankaccounts"].as_array().unwrap();
        assert!(vcb.len() > 5 && vcb.len() < 230);
        assert!(vcb.iter().all(|a| a["bank_short_name"] == "Vietcombank"));
        assert!(ids(&body).contains(&18));
        let (_, count) = get_json(&format!("{base}/count?short_name=Vietcombank"), Some(TOKEN)).await;
        assert_eq!(count["count_bankaccounts"].as_u64().unwrap() as usize, vcb.len());

        let (_, body) = get_json(&format!("{base}/list?accumulated_min=1&limit=5000"), Some(TOKEN)).await;
        let funded = body["bankaccounts"].as_array().unwrap();
        assert!(funded.iter().all(|a| dong(&a["accumulated"]) >= 1));
        let (_, count) = get_json(&format!("{base}/count?accumulated_min=1"), Some(TOKEN)).await;
        assert_eq!(count["count_bankaccounts"].as_u64().unwrap() as usize, funded.len());
        assert!(funded.len() < 230, "some accounts are empty");

        let query = "accumulated_min=2625076186&accumulated_max=2625076186.00&limit=5000";
        let (_, body) = get_json(&format!("{base}/list?{query}"), Some(TOKEN)).await;
        assert!(ids(&body).contains(&18));
        assert!(body["bankaccounts"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["accumulated"] == "2625076186.00"));

        // A date-only maximum includes the whole day.
        let query = "last_transaction_date_min=2023-02-16&last_transaction_date_max=2023-02-16";
        let (_, body) = get_json(&format!("{base}/list?{query}"), Some(TOKEN)).await;
        assert!(ids(&body).contains(&25));
        let query = "last_transaction_date_min=2023-02-16%2016:16:01";
        let (_, body) = get_json(&format!("{base}/list?{query}&limit=5000"), Some(TOKEN)).await;
        assert!(!ids(&body).contains(&25) && ids(&body).contains(&18));

        for bad in [
            "limit=0",
            "limit=5001",
            "limit=x",
            "since_id=abc",
            "accumulated_min=1e5",
            "last_transaction_date_max=2023/01/01",
        ] {
            let (status, body) = get_json(&format!("{base}/list?{bad}"), Some(TOKEN)).await;
            assert_eq!(status, 400, "{bad}");
            assert_eq!(body["error"], 400);
        }
    }

    #[tokio::test]
    async fn details_and_count_match_the_seed() {
        let sandbox = sandbox().await;
        let base = format!("{}/userapi/bankaccounts", sandbox.sepay_base_url());
        let (status, body) = get_json(&format!("{base}/details/18"), Some(TOKEN)).await;
        assert_eq!(status, 200);
        let seed = json!({
          "status": 200,
          "error": null,
          "messages": { "success": true },
          "bankaccount": {
            "id": "18",
            "account_holder_name": "NGUYEN VAN A",
            "account_number": "0071000899999",
            "accumulated": "2625076186.00",
            "last_transaction": "2023-08-09 07:59:48",
            "label": "",
            "active": "1",
            "created_at": "2023-02-12 20:05:47",
            "bank_short_name": "Vietcombank",
            "bank_full_name": "Ngân hàng TMCP Ngoại Thương Việt Nam",
            "bank_bin": "970436",
            "bank_code": "VCB"
          }
        });
        assert_eq!(body, seed);
        let (_, body) = get_json(&format!("{base}/details/25"), Some(TOKEN)).await;
        assert_eq!(
            body["bankaccount"],
            json!({
              "id": "25",
              "account_holder_name": "NGUYEN THI B",
              "account_number": "102871015203",
              "accumulated": "2525493.00",
              "last_transaction": "2023-02-16 16:16:00",
              "label": "",
              "active": "1",
              "created_at": "2023-02-16 15:57:26",
              "bank_short_name": "VietinBank",
              "bank_full_name": "Ngân hàng TMCP Công Thương Việt Nam",
              "bank_bin": "970415",
              "bank_code": "ICB"
            })
        );
        let not_found =
            json!({"status": 404, "error": 404, "messages": {"error": "Không tìm thấy tài khoản ngân hàng"}});
        for id in ["999999", "abc"] {
            let (status, body) = get_json(&format!("{base}/details/{id}"), Some(TOKEN)).await;
            assert_eq!((status, body), (404, not_found.clone()));
        }
        let (status, body) = get_json(&format!("{base}/count"), Some(TOKEN)).await;
        assert_eq!(status, 200);
        assert_eq!(
            body,
            json!({"status": 200, "error": null, "messages": {"success": true}, "count_bankaccounts": 230})
        );
        let (_, body) = get_json(&format!("{base}/count?since_id=200"), Some(TOKEN)).await;
        assert_eq!(body["count_bankaccounts"], 31);
    }

    #[tokio::test]
    async fn bad_tokens_get_401_or_the_legacy_empty_200() {
        let sandbox = sandbox().await;
        let url = format!("{}/userapi/bankaccounts/list", sandbox.sepay_base_url());
        let unauthorized = json!({"status": 401, "error": 401, "messages": {"error": "Token không hợp lệ hoặc thiếu"}});
        assert_eq!(get_json(&url, None).await, (401, unauthorized.clone()));
        assert_eq!(get_json(&url, Some("wrong")).await, (401, unauthorized.clone()));

        sandbox.sepay().set_legacy_empty_auth_reply(true);
        let (status, _, body) = get(&url, Some("wrong")).await;
        assert_eq!((status, body.as_str()), (200, ""));
        // Without any Authorization header the answer stays the JSON 401.
        assert_eq!(get_json(&url, None).await, (401, unauthorized));
        assert_eq!(get_json(&url, Some(TOKEN)).await.0, 200);
    }

    #[tokio::test]
    async fn rate_limit_answers_429_with_retry_after_then_recovers() {
        let sandbox = Sandbox::start().await.unwrap();
        let url = format!("{}/userapi/bankaccounts/count", sandbox.sepay_base_url());
        // Requests with a wrong token do not use up the window.
        for _ in 0..3 {
            assert_eq!(get(&url, Some("wrong")).await.0, 401);
        }
        assert_eq!(get(&url, Some(TOKEN)).await.0, 200);
        assert_eq!(get(&url, Some(TOKEN)).await.0, 200);
        let (status, headers, body) = get(&url, Some(TOKEN)).await;
        assert_eq!(status, 429);
        let wait: u64 = headers["x-sepay-userapi-retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!(wait >= 1);
        let body: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            body,
            json!({"status": 429, "error": 429, "messages": {"error": "Vượt quá giới hạn 2 request/giây"}})
        );
        assert_eq!(sandbox.sepay().rate_limited_count(), 1);

        tokio::time::sleep(std::time::Duration::from_secs(wait)).await;
        assert_eq!(get(&url, Some(TOKEN)).await.0, 200);
        assert_eq!(sandbox.sepay().rate_limited_count(), 1);
    }
}
