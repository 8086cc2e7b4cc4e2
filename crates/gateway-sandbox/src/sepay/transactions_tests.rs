//! Bank transactions over HTTP: the API-token and OAuth transaction routes against the seeded
//! ledger, simulated transfers showing up in both with SePay's payment code, and the
//! bank-transaction webhook delivered to a local axum receiver standing in for the merchant.
//! Expected shapes are written out from the documents, not taken from the module's code.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde_json::{json, Value};
use tokio::sync::mpsc;

use super::ledger::MAX_TRANSFER;
use super::test_support::{get, get_json};
use super::{NewTransfer, TransferError, TransferType};
use crate::{Sandbox, SandboxConfig, SandboxCredentials};

const TOKEN: &str = "SANDBOX-SEPAY-API-TOKEN";
const ACCESS: &str = "sandbox-sepay-access-token";
const WAIT: Duration = Duration::from_secs(5);

/// The rate limit out of the way and webhook retries in milliseconds.
fn config() -> SandboxConfig {
    SandboxConfig {
        sepay_token_requests_per_second: 10_000,
        sepay_webhook_retry_delays: vec![Duration::from_millis(20); 3],
        ..SandboxConfig::default()
    }
}

async fn sandbox() -> Sandbox {
    Sandbox::start_with(config(), SandboxCredentials::default())
        .await
        .expect("sandbox starts")
}

/// The documented transaction as `/userapi` prints it.
fn documented_token_json() -> Value {
    json!({
        "id": "49682",
        "bank_brand_name": "Vietcombank",
        "account_number": "0071000888888",
        "transaction_date": "2025-02-25 19:59:48",
        "amount_out": "0.00",
        "amount_in": "18067000.00",
        "accumulated": "1200541768.00",
        "transaction_content": "DUONG THUY ANH chuyen tien mua hang online",
        "reference_number": "677760.250225.080001",
        "code": "DH123456",
        "sub_account": "VCB0011ABC004",
        "bank_account_id": "19"
    })
}

/// The documented transaction as `/api/v1` prints it.
fn documented_oauth_json() -> Value {
    json!({
        "id": 49682,
        "bank_account_id": 19,
        "bank_brand_name": "Vietcombank",
        "account_number": "0071000888888",
        "transaction_date": "2025-02-25 19:59:48",
        "amount_out": 0.00,
        "amount_in": 18067000.00,
        "accumulated": 1200541768.00,
        "transaction_content": "DUONG THUY ANH chuyen tien mua hang online",
        "reference_number": "677760.250225.080001",
        "code": "DH123456",
        "sub_account": "VCB0011ABC004"
    })
}

fn token_ids(body: &Value) -> Vec<u64> {
    body["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap().parse().unwrap())
        .collect()
}

fn oauth_ids(body: &Value) -> Vec<u64> {
    body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_u64().unwrap())
        .collect()
}

/// POST JSON to a control route; returns status and JSON body.
async fn post(s: &Sandbox, path: &str, body: Value) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(format!("{}{path}", s.sepay_base_url()))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    assert_eq!(response.headers()["content-type"], "application/json", "{path}");
    (status, response.json().await.unwrap())
}

/// The balance after the newest transaction of an account.
fn last_balance(s: &Sandbox, account: &str) -> u64 {
    s.sepay()
        .bank_transactions()
        .iter()
        .rev()
        .find(|t| t.account_number == account)
        .unwrap()
        .accumulated
}

#[tokio::test]
async fn token_list_is_newest_first_with_every_value_a_string() {
    let s = sandbox().await;
    let (status, body) = get_json(
        &format!("{}/userapi/transactions/list", s.sepay_base_url()),
        Some(TOKEN),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], 200);
    assert_eq!(body["error"], Value::Null);
    assert_eq!(body["messages"], json!({"success": true}));
    let ids = token_ids(&body);
    assert_eq!(ids.len(), 400, "every seeded transaction fits the default limit");
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "newest first");
    let mut expected: Vec<u64> = s.sepay().bank_transactions().iter().map(|t| t.id).collect();
    expected.reverse();
    assert_eq!(ids, expected);
    for t in body["transactions"].as_array().unwrap() {
        let fields = t.as_object().unwrap();
        assert_eq!(fields.len(), 12, "{t}");
        for (key, value) in fields {
            let nullable = key == "code" || key == "sub_account";
            assert!(value.is_string() || (nullable && value.is_null()), "{key}: {value}");
        }
        for key in ["amount_in", "amount_out", "accumulated"] {
            let amount = t[key].as_str().unwrap();
            assert!(
                amount.ends_with(".00") && amount[..amount.len() - 3].parse::<u64>().is_ok(),
                "{amount}"
            );
        }
        assert!(t["amount_in"] == "0.00" || t["amount_out"] == "0.00", "{t}");
    }
    let documented = body["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == "49682")
        .unwrap();
    assert_eq!(*documented, documented_token_json());
}

#[tokio::test]
async fn token_filters_select_and_count_agrees() {
    let s = sandbox().await;
    let base = format!("{}/userapi/transactions", s.sepay_base_url());
    let list = |query: &str| {
        let url = format!("{base}/list?{query}");
        async move { get_json(&url, Some(TOKEN)).await }
    };

    let (_, body) = list("account_number=0071000888888").await;
    let nineteen = body["transactions"].as_array().unwrap();
    assert!(nineteen.len() > 20 && nineteen.len() < 400, "{}", nineteen.len());
    assert!(nineteen.iter().all(|t| t["account_number"] == "0071000888888"));
    let (_, count) = get_json(&format!("{base}/count?account_number=0071000888888"), Some(TOKEN)).await;
    assert_eq!(count["count_transactions"].as_u64().unwrap() as usize, nineteen.len());

    // A bare maximum date includes its whole day; both bounds are inclusive.
    let (_, body) = list("transaction_date_min=2025-02-25&transaction_date_max=2025-02-25").await;
    assert!(token_ids(&body).contains(&49682));
    assert!(body["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .all(|t| t["transaction_date"].as_str().unwrap().starts_with("2025-02-25 ")));
    let (_, body) = list("transaction_date_min=2025-02-25%2019:59:48&transaction_date_max=2025-02-25%2019:59:48").await;
    assert_eq!(token_ids(&body), [49682]);
    let (_, body) = list("transaction_date_min=2025-02-25%2019:59:49&transaction_date_max=2025-02-26").await;
    assert!(!token_ids(&body).contains(&49682));

    let (_, body) = list("since_id=49682").await;
    let since = token_ids(&body);
    assert_eq!(*since.last().unwrap(), 49682, "since_id is inclusive, newest first");
    assert!(since.windows(2).all(|w| w[0] > w[1]));
    let (_, count) = get_json(&format!("{base}/count?since_id=49682"), Some(TOKEN)).await;
    assert_eq!(count["count_transactions"].as_u64().unwrap() as usize, since.len());

    for query in ["amount_in=18067000", "amount_in=18067000.00"] {
        let (_, body) = list(query).await;
        assert!(token_ids(&body).contains(&49682), "{query}");
        assert!(body["transactions"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["amount_in"] == "18067000.00"));
    }
    let out = s
        .sepay()
        .bank_transactions()
        .into_iter()
        .find(|t| t.transfer_type == TransferType::Out)
        .unwrap();
    let (_, body) = list(&format!("amount_out={}", out.transfer_amount)).await;
    assert!(token_ids(&body).contains(&out.id));
    let amount_out = format!("{}.00", out.transfer_amount);
    assert!(body["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .all(|t| t["amount_out"] == amount_out.as_str() && t["amount_in"] == "0.00"));

    let (_, body) = list("reference_number=677760.250225.080001").await;
    assert_eq!(token_ids(&body), [49682]);
    let (_, body) = list("reference_number=677760.250225.080001&account_number=0071000899999").await;
    assert_eq!(token_ids(&body), Vec::<u64>::new());

    let (_, all) = list("").await;
    let (_, body) = list("limit=3").await;
    assert_eq!(token_ids(&body), token_ids(&all)[..3]);
    assert_eq!(list("limit=5000").await.0, 200);

    let (status, count) = get_json(&format!("{base}/count"), Some(TOKEN)).await;
    assert_eq!(
        (status, count),
        (
            200,
            json!({"status": 200, "error": null, "messages": {"success": true}, "count_transactions": 400})
        )
    );

    for (bad, name) in [
        ("limit=0", "limit"),
        ("limit=5001", "limit"),
        ("limit=x", "limit"),
        ("since_id=abc", "since_id"),
        ("transaction_date_min=2025/02/25", "transaction_date_min"),
        ("transaction_date_max=2025-02-30", "transaction_date_max"),
        ("amount_in=1e5", "amount_in"),
        ("amount_out=abc", "amount_out"),
    ] {
        let (status, body) = list(bad).await;
        let message = format!("Tham số {name} không hợp lệ");
        assert_eq!(
            (status, body),
            (
                400,
                json!({"status": 400, "error": 400, "messages": {"error": message}})
            ),
            "{bad}"
        );
    }
    let (status, _) = get_json(&format!("{base}/count?amount_in=x"), Some(TOKEN)).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn token_details_match_the_document_and_unknown_ids_are_404() {
    let s = sandbox().await;
    let base = format!("{}/userapi/transactions/details", s.sepay_base_url());
    let (status, body) = get_json(&format!("{base}/49682"), Some(TOKEN)).await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!({"status": 200, "error": null, "messages": {"success": true}, "transaction": documented_token_json()})
    );
    let not_found = json!({"status": 404, "error": 404, "messages": {"error": "Không tìm thấy giao dịch"}});
    for id in ["1", "99999999", "abc"] {
        assert_eq!(
            get_json(&format!("{base}/{id}"), Some(TOKEN)).await,
            (404, not_found.clone())
        );
    }
}

#[tokio::test]
async fn token_routes_check_the_token_and_share_the_rate_limit() {
    let s = Sandbox::start().await.unwrap();
    let base = s.sepay_base_url();
    let list = format!("{base}/userapi/transactions/list");
    let unauthorized = json!({"status": 401, "error": 401, "messages": {"error": "Token không hợp lệ hoặc thiếu"}});
    assert_eq!(get_json(&list, None).await, (401, unauthorized.clone()));
    assert_eq!(get_json(&list, Some("wrong")).await, (401, unauthorized.clone()));
    assert_eq!(
        get_json(&format!("{base}/userapi/transactions/count"), Some("wrong")).await,
        (401, unauthorized)
    );
    s.sepay().set_legacy_empty_auth_reply(true);
    let (status, _, body) = get(&format!("{base}/userapi/transactions/details/49682"), Some("wrong")).await;
    assert_eq!((status, body.as_str()), (200, ""));
    s.sepay().set_legacy_empty_auth_reply(false);

    // One window of 2 requests per second for bank accounts and transactions together.
    assert_eq!(
        get(&format!("{base}/userapi/bankaccounts/count"), Some(TOKEN)).await.0,
        200
    );
    assert_eq!(
        get(&format!("{base}/userapi/transactions/count"), Some(TOKEN)).await.0,
        200
    );
    let (status, headers, _) = get(&list, Some(TOKEN)).await;
    assert_eq!(status, 429);
    assert!(headers.contains_key("x-sepay-userapi-retry-after"));
    assert_eq!(s.sepay().rate_limited_count(), 1);
}

#[tokio::test]
async fn oauth_list_pages_newest_first_with_numbers_and_filters() {
    let s = sandbox().await;
    let base = format!("{}/api/v1/transactions", s.sepay_base_url());
    let mut visible: Vec<u64> = s
        .sepay()
        .bank_transactions()
        .iter()
        .filter(|t| t.oauth_visible)
        .map(|t| t.id)
        .collect();
    visible.reverse();
    let total = visible.len() as u64;
    assert!(total > 40 && total < 400, "{total}");

    let (status, body) = get_json(&base, Some(ACCESS)).await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], "success");
    assert_eq!(
        body["meta"],
        json!({"pagination": {"total": total, "per_page": 20, "current_page": 1, "last_page": total.div_ceil(20)}})
    );
    assert_eq!(oauth_ids(&body), visible[..20]);
    let (_, body) = get_json(&format!("{base}?page=2"), Some(ACCESS)).await;
    assert_eq!(oauth_ids(&body), visible[20..40]);
    let mut seen = Vec::new();
    for page in 1..=total.div_ceil(100) {
        let (_, body) = get_json(&format!("{base}?page={page}&limit=100"), Some(ACCESS)).await;
        assert_eq!(body["meta"]["pagination"]["current_page"], page);
        seen.extend(oauth_ids(&body));
    }
    assert_eq!(seen, visible);
    let (_, body) = get_json(&format!("{base}?page=999"), Some(ACCESS)).await;
    assert_eq!(body["data"], json!([]));

    // The documented transaction, amounts printed with two decimals.
    let (_, _, raw) = get(&format!("{base}?reference_number=677760.250225.080001"), Some(ACCESS)).await;
    assert!(raw.contains("\"amount_in\":18067000.00,"), "{raw}");
    assert!(raw.contains("\"amount_out\":0.00,"), "{raw}");
    let body: Value = serde_json::from_str(&raw).unwrap();
    assert_eq!(body["data"], json!([documented_oauth_json()]));
    assert_eq!(body["meta"]["pagination"]["total"], 1);

    let (_, body) = get_json(&format!("{base}?bank_account_id=19&limit=100"), Some(ACCESS)).await;
    let nineteen = body["data"].as_array().unwrap();
    assert!(nineteen.len() > 20, "account 19 spans more than one page of 20");
    assert!(nineteen
        .iter()
        .all(|t| t["bank_account_id"] == 19 && t["account_number"] == "0071000888888"));
    let (_, body) = get_json(&format!("{base}?account_number=0071000899999&limit=100"), Some(ACCESS)).await;
    assert!(body["data"].as_array().unwrap().len() > 5);
    assert!(body["data"]
        .as_array()
        .unwrap()
        .iter()
        .all(|t| t["bank_account_id"] == 18));
    let (_, body) = get_json(&format!("{base}?from_date=2025-02-25&to_date=2025-02-25"), Some(ACCESS)).await;
    assert!(oauth_ids(&body).contains(&49682));
    assert!(body["data"]
        .as_array()
        .unwrap()
        .iter()
        .all(|t| t["transaction_date"].as_str().unwrap().starts_with("2025-02-25 ")));
    let (_, body) = get_json(&format!("{base}?from_date=2025-02-26&bank_account_id=19"), Some(ACCESS)).await;
    assert!(!oauth_ids(&body).contains(&49682) && !oauth_ids(&body).is_empty());
    let (_, body) = get_json(&format!("{base}?amount_in=18067000&limit=100"), Some(ACCESS)).await;
    assert!(oauth_ids(&body).contains(&49682));

    for bad in [
        "page=0",
        "limit=0",
        "limit=101",
        "from_date=2025-02-30",
        "to_date=25/02/2025",
        "from_date=2025-02-25%2010:00:00",
        "bank_account_id=x",
        "amount_in=abc",
    ] {
        let (status, body) = get_json(&format!("{base}?{bad}"), Some(ACCESS)).await;
        assert_eq!(status, 400, "{bad}");
        assert_eq!(body["status"], "error", "{bad}");
        assert_eq!(body["error"]["code"], "bad_request", "{bad}");
    }
}

#[tokio::test]
async fn oauth_details_match_the_document_and_hide_token_only_accounts() {
    let s = sandbox().await;
    let base = format!("{}/api/v1/transactions", s.sepay_base_url());
    let (status, _, raw) = get(&format!("{base}/49682"), Some(ACCESS)).await;
    assert_eq!(status, 200);
    assert!(raw.contains("\"accumulated\":1200541768.00"), "{raw}");
    let body: Value = serde_json::from_str(&raw).unwrap();
    assert_eq!(body, json!({"status": "success", "data": documented_oauth_json()}));

    let not_found =
        json!({"status": "error", "error": {"code": "resource_not_found", "message": "Transaction does not exist"}});
    let token_only = s
        .sepay()
        .bank_transactions()
        .into_iter()
        .find(|t| !t.oauth_visible)
        .unwrap();
    for id in ["999", "abc", &token_only.id.to_string()] {
        assert_eq!(
            get_json(&format!("{base}/{id}"), Some(ACCESS)).await,
            (404, not_found.clone())
        );
    }
    // The API token sees it.
    let (status, _) = get_json(
        &format!("{}/userapi/transactions/details/{}", s.sepay_base_url(), token_only.id),
        Some(TOKEN),
    )
    .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn oauth_transactions_need_the_transaction_read_scope() {
    let s = sandbox().await;
    let base = s.sepay_base_url();
    let forbidden = json!({"status": "error", "error": {"code": "forbidden", "message": "Missing required scope: transaction:read"}});
    let accounts_only = s.sepay().issue_oauth_access_token(&["bank-account:read"]);
    assert_eq!(
        get_json(&format!("{base}/api/v1/transactions"), Some(&accounts_only)).await,
        (403, forbidden.clone())
    );
    assert_eq!(
        get_json(&format!("{base}/api/v1/transactions/49682"), Some(&accounts_only)).await,
        (403, forbidden)
    );
    assert_eq!(
        get_json(&format!("{base}/api/v1/bank-accounts"), Some(&accounts_only))
            .await
            .0,
        200
    );

    let transactions_only = s.sepay().issue_oauth_access_token(&["transaction:read"]);
    assert_eq!(
        get_json(&format!("{base}/api/v1/transactions"), Some(&transactions_only))
            .await
            .0,
        200
    );
    let unauthorized =
        json!({"status": "error", "error": {"code": "unauthorized", "message": "Token is invalid or expired"}});
    assert_eq!(
        get_json(&format!("{base}/api/v1/transactions"), None).await,
        (401, unauthorized.clone())
    );
    s.sepay().expire_oauth_access_tokens();
    assert_eq!(
        get_json(&format!("{base}/api/v1/transactions"), Some(&transactions_only)).await,
        (401, unauthorized)
    );
}

#[tokio::test]
async fn a_transfer_shows_up_in_both_apis_with_its_payment_code() {
    let s = sandbox().await;
    let base = s.sepay_base_url();
    let seeded_max = s.sepay().bank_transactions().last().unwrap().id;
    let before = last_balance(&s, "0071000899999");

    let (status, body) = post(
        &s,
        "/__sandbox/sepay/transfers",
        json!({"account_number": "0071000899999", "amount": 250000, "content": "DH8K2P9Q thanh toan"}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let created = &body["data"];
    let id = created["id"].as_u64().unwrap();
    assert!(id > seeded_max, "new ids are above every seeded one");
    assert_eq!(created["gateway"], "Vietcombank");
    assert_eq!(created["accountNumber"], "0071000899999");
    assert_eq!(created["code"], "DH8K2P9Q");
    assert_eq!(created["content"], "DH8K2P9Q thanh toan");
    assert_eq!(created["transferType"], "in");
    assert_eq!(created["transferAmount"], 250000);
    assert_eq!(created["accumulated"], before + 250_000);
    assert_eq!(created["subAccount"], Value::Null);
    assert!(created["description"].as_str().unwrap().contains("DH8K2P9Q thanh toan"));
    let reference = created["referenceCode"].as_str().unwrap();
    let date = created["transactionDate"].as_str().unwrap();
    let vietnam = chrono::Utc::now() + chrono::Duration::hours(7);
    let stamped = chrono::NaiveDateTime::parse_from_str(date, "%Y-%m-%d %H:%M:%S").unwrap();
    assert!(
        (vietnam.naive_utc() - stamped).num_seconds().abs() < 60,
        "{date} is Vietnam time"
    );
    assert!(
        reference.contains(&format!(".{}.", stamped.format("%d%m%y"))),
        "{reference}"
    );

    let (status, body) = get_json(&format!("{base}/userapi/transactions/details/{id}"), Some(TOKEN)).await;
    assert_eq!(status, 200);
    assert_eq!(
        body["transaction"],
        json!({
            "id": id.to_string(),
            "bank_brand_name": "Vietcombank",
            "account_number": "0071000899999",
            "transaction_date": date,
            "amount_out": "0.00",
            "amount_in": "250000.00",
            "accumulated": format!("{}.00", before + 250_000),
            "transaction_content": "DH8K2P9Q thanh toan",
            "reference_number": reference,
            "code": "DH8K2P9Q",
            "sub_account": null,
            "bank_account_id": "18"
        })
    );
    let (_, list) = get_json(&format!("{base}/userapi/transactions/list?limit=1"), Some(TOKEN)).await;
    assert_eq!(token_ids(&list), [id], "the newest comes first");
    let (status, _, raw) = get(&format!("{base}/api/v1/transactions/{id}"), Some(ACCESS)).await;
    assert_eq!(status, 200);
    assert!(raw.contains("\"amount_in\":250000.00,"), "{raw}");
    let body: Value = serde_json::from_str(&raw).unwrap();
    assert_eq!(body["data"]["bank_account_id"], 18);
    assert_eq!(body["data"]["code"], "DH8K2P9Q");
    assert_eq!(body["data"]["reference_number"], reference);
    let (_, list) = get_json(&format!("{base}/api/v1/transactions?limit=1"), Some(ACCESS)).await;
    assert_eq!(oauth_ids(&list), [id]);

    // Money out lowers the running balance; no code in the content means a null code.
    let out = s
        .sepay()
        .transfer(NewTransfer::outgoing(
            "0071000899999",
            50_000,
            "Chuyen tien cho NGUYEN VAN B",
        ))
        .unwrap();
    assert_eq!(
        (out.id, out.accumulated, out.code.as_deref()),
        (id + 1, before + 200_000, None)
    );
    assert_eq!(out.transfer_type, TransferType::Out);
    let (_, body) = get_json(&format!("{base}/userapi/transactions/details/{}", out.id), Some(TOKEN)).await;
    assert_eq!(body["transaction"]["amount_out"], "50000.00");
    assert_eq!(body["transaction"]["amount_in"], "0.00");
    assert_eq!(body["transaction"]["code"], Value::Null);

    // The code is reported as written; a too-short code is none.
    let lower = s
        .sepay()
        .transfer(NewTransfer::incoming(
            "0071000899999",
            1_000,
            "thanh toan dh5566aa cam on",
        ))
        .unwrap();
    assert_eq!(lower.code.as_deref(), Some("dh5566aa"));
    let short = s
        .sepay()
        .transfer(NewTransfer::incoming("0071000899999", 1_000, "DH12 thanh toan"))
        .unwrap();
    assert_eq!(short.code, None);
    let (_, body) = get_json(&format!("{base}/api/v1/transactions/{}", short.id), Some(ACCESS)).await;
    assert_eq!(body["data"]["code"], Value::Null);
    assert_eq!(short.accumulated, before + 202_000);

    // A sub-account is reported as given; another account has its own running balance.
    let nineteen = last_balance(&s, "0071000888888");
    let (status, body) = post(
        &s,
        "/__sandbox/sepay/transfers",
        json!({"account_number": "0071000888888", "amount": 99000, "content": "Thanh toan DHABC123",
               "transfer_type": "in", "sub_account": "VCB0011ABC002"}),
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(body["data"]["subAccount"], "VCB0011ABC002");
    assert_eq!(body["data"]["code"], "DHABC123");
    assert_eq!(body["data"]["accumulated"], nineteen + 99_000);
    let (_, list) = get_json(
        &format!("{base}/api/v1/transactions?bank_account_id=19&limit=1"),
        Some(ACCESS),
    )
    .await;
    assert_eq!(list["data"][0]["sub_account"], "VCB0011ABC002");

    // An API-token-only account (seed 004's account 25): listed by the token, not by OAuth.
    let (status, body) = post(
        &s,
        "/__sandbox/sepay/transfers",
        json!({"account_number": "102871015203", "amount": 500000, "content": "DH777777"}),
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(body["data"]["gateway"], "VietinBank");
    let token_only = body["data"]["id"].as_u64().unwrap();
    let (_, body) = get_json(
        &format!("{base}/userapi/transactions/details/{token_only}"),
        Some(TOKEN),
    )
    .await;
    assert_eq!(body["transaction"]["bank_account_id"], "25");
    assert_eq!(
        get_json(&format!("{base}/api/v1/transactions/{token_only}"), Some(ACCESS))
            .await
            .0,
        404
    );
    let (_, count) = get_json(&format!("{base}/userapi/transactions/count"), Some(TOKEN)).await;
    assert_eq!(count["count_transactions"], 406);
}

#[tokio::test]
async fn transfers_are_refused_for_unknown_accounts_and_bad_amounts() {
    let s = sandbox().await;
    let (status, body) = post(
        &s,
        "/__sandbox/sepay/transfers",
        json!({"account_number": "0000000000", "amount": 1000, "content": "DH123456"}),
    )
    .await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["error_code"], "ACCOUNT_NOT_FOUND");
    assert_eq!(
        s.sepay().transfer(NewTransfer::incoming("0000000000", 1000, "x")),
        Err(TransferError::UnknownAccount)
    );

    for amount in [
        json!(0),
        json!(MAX_TRANSFER + 1),
        json!(u64::MAX),
        json!(-5),
        json!(10.5),
        json!(250000.0),
        json!("100"),
        json!(null),
    ] {
        let (status, body) = post(
            &s,
            "/__sandbox/sepay/transfers",
            json!({"account_number": "0071000899999", "amount": amount, "content": "x"}),
        )
        .await;
        assert_eq!(
            (status, &body["error_code"]),
            (400, &json!("INVALID_AMOUNT")),
            "{amount}"
        );
    }
    assert_eq!(
        s.sepay().transfer(NewTransfer::incoming("0071000899999", 0, "x")),
        Err(TransferError::InvalidAmount)
    );
    for body in [
        json!({"account_number": "0071000899999", "amount": 1000, "transfer_type": "sideways"}),
        json!({"amount": 1000}),
        json!({"account_number": "0071000899999", "amount": 1000, "content": 5}),
        json!(["not", "an", "object"]),
    ] {
        let (status, reply) = post(&s, "/__sandbox/sepay/transfers", body.clone()).await;
        assert_eq!((status, &reply["error_code"]), (400, &json!("BAD_REQUEST")), "{body}");
    }
    let balance = last_balance(&s, "0071000899999");
    let (status, body) = post(
        &s,
        "/__sandbox/sepay/transfers",
        json!({"account_number": "0071000899999", "amount": balance + 1, "transfer_type": "out"}),
    )
    .await;
    assert_eq!((status, &body["error_code"]), (422, &json!("INSUFFICIENT_BALANCE")));
    assert_eq!(s.sepay().bank_transactions().len(), 400, "nothing was booked");
    // Emptying the account exactly is fine.
    let emptied = s
        .sepay()
        .transfer(NewTransfer::outgoing("0071000899999", balance, "Rut het"))
        .unwrap();
    assert_eq!(emptied.accumulated, 0);
}

// ---- The merchant's webhook endpoint ----

/// What the merchant's endpoint received.
struct Received {
    headers: HeaderMap,
    body: Bytes,
}

/// A reply: the status, after an optional delay.
type Reply = (u16, Duration);

#[derive(Clone)]
struct Merchant {
    replies: Arc<Mutex<VecDeque<Reply>>>,
    seen: mpsc::UnboundedSender<Received>,
}

async fn endpoint(State(m): State<Merchant>, headers: HeaderMap, body: Bytes) -> (StatusCode, &'static str) {
    let _ = m.seen.send(Received { headers, body });
    let reply = m.replies.lock().unwrap().pop_front();
    let (status, delay) = reply.unwrap_or((200, Duration::ZERO));
    tokio::time::sleep(delay).await;
    (StatusCode::from_u16(status).unwrap(), "{\"success\": true}")
}

/// A merchant endpoint answering `replies` in order, then 200 `{"success": true}`; returns its URL.
async fn merchant(replies: &[Reply]) -> (String, mpsc::UnboundedReceiver<Received>) {
    let (seen, received) = mpsc::unbounded_channel();
    let state = Merchant {
        replies: Arc::new(Mutex::new(replies.iter().copied().collect())),
        seen,
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new().fallback(endpoint).with_state(state);
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}/hooks/sepay"), received)
}

async fn next(received: &mut mpsc::UnboundedReceiver<Received>) -> Received {
    tokio::time::timeout(WAIT, received.recv()).await.unwrap().unwrap()
}

#[tokio::test]
async fn the_webhook_carries_the_api_key_and_the_documented_body() {
    let s = sandbox().await;
    let (url, mut received) = merchant(&[]).await;
    let (status, body) = post(&s, "/__sandbox/sepay/webhook", json!({ "url": url })).await;
    assert_eq!((status, body), (200, json!({"data": {"url": url}})));
    let (_, body) = get_json(&format!("{}/__sandbox/sepay/webhook", s.sepay_base_url()), None).await;
    assert_eq!(body["data"]["url"], url.as_str());
    assert_eq!(s.sepay().webhook_url().as_deref(), Some(url.as_str()));

    let (status, created) = post(
        &s,
        "/__sandbox/sepay/transfers",
        json!({"account_number": "0071000899999", "amount": 2277000, "content": "DH123 thanh toan don hang"}),
    )
    .await;
    assert_eq!(status, 201);
    let created = &created["data"];
    let hook = next(&mut received).await;
    assert_eq!(hook.headers["authorization"], "Apikey sandbox-sepay-webhook-api-key");
    assert_eq!(hook.headers["content-type"], "application/json");
    let body: Value = serde_json::from_slice(&hook.body).unwrap();
    let keys: Vec<&str> = body.as_object().unwrap().keys().map(String::as_str).collect();
    let mut documented = [
        "id",
        "gateway",
        "transactionDate",
        "accountNumber",
        "code",
        "content",
        "transferType",
        "transferAmount",
        "accumulated",
        "subAccount",
        "referenceCode",
        "description",
    ];
    documented.sort_unstable();
    let mut keys = keys;
    keys.sort_unstable();
    assert_eq!(keys, documented);
    assert_eq!(body, *created);
    assert_eq!(body["code"], "DH123");
    assert_eq!(body["transferType"], "in");
    assert_eq!(body["transferAmount"], 2277000);
    assert!(body["id"].is_u64() && body["accumulated"].is_u64());

    let log = s.sepay().wait_for_webhook_deliveries(1, WAIT).await;
    assert_eq!(log.len(), 1);
    assert!(log[0].succeeded() && !log[0].will_retry);
    assert_eq!(
        (log[0].transaction_id, log[0].attempt),
        (body["id"].as_u64().unwrap(), 1)
    );
    assert_eq!(log[0].url.as_deref(), Some(url.as_str()));
    assert_eq!(log[0].body, body);
    let (_, listed) = get_json(
        &format!("{}/__sandbox/sepay/webhook/deliveries", s.sepay_base_url()),
        None,
    )
    .await;
    assert_eq!(listed["data"][0]["status_code"], 200);
    assert_eq!(listed["data"][0]["transaction_id"], body["id"]);

    // Money out is announced too.
    s.sepay()
        .transfer(NewTransfer::outgoing("0071000899999", 1000, "Phi SMS"))
        .unwrap();
    let hook = next(&mut received).await;
    let body: Value = serde_json::from_slice(&hook.body).unwrap();
    assert_eq!((&body["transferType"], &body["code"]), (&json!("out"), &Value::Null));

    // Removing the URL: the next transfer's attempt records it and is not retried.
    let (status, _) = post(&s, "/__sandbox/sepay/webhook", json!({ "url": null })).await;
    assert_eq!(status, 200);
    let (status, _) = post(&s, "/__sandbox/sepay/webhook", json!({ "url": "not a url" })).await;
    assert_eq!(status, 422);
    s.sepay()
        .transfer(NewTransfer::incoming("0071000899999", 1000, "x"))
        .unwrap();
    let log = s.sepay().wait_for_webhook_deliveries(3, WAIT).await;
    assert_eq!(log[2].error.as_deref(), Some("URL Not Set"));
    assert!(!log[2].will_retry);
}

#[tokio::test]
async fn a_failed_webhook_is_retried_with_the_same_id_until_delivered() {
    let credentials = SandboxCredentials {
        sepay_webhook_api_key: "merchant-chosen-key".into(),
        ..SandboxCredentials::default()
    };
    let config = SandboxConfig {
        sepay_webhook_timeout: Duration::from_millis(300),
        ..config()
    };
    let s = Sandbox::start_with(config, credentials).await.unwrap();
    let slow = Duration::from_secs(2);
    let (url, mut received) = merchant(&[(500, Duration::ZERO), (200, slow), (503, Duration::ZERO)]).await;
    s.sepay().set_webhook_url(Some(url));
    let transaction = s
        .sepay()
        .transfer(NewTransfer::incoming("0071000888888", 18_067_000, "DH123456 mua hang"))
        .unwrap();

    let mut bodies = Vec::new();
    for _ in 0..4 {
        let hook = next(&mut received).await;
        assert_eq!(hook.headers["authorization"], "Apikey merchant-chosen-key");
        bodies.push(hook.body);
    }
    assert!(
        bodies.windows(2).all(|w| w[0] == w[1]),
        "every retry resends the same body"
    );
    let body: Value = serde_json::from_slice(&bodies[0]).unwrap();
    assert_eq!(body["id"], transaction.id);

    let log = s.sepay().wait_for_webhook_deliveries(4, WAIT).await;
    let attempts: Vec<_> = log
        .iter()
        .map(|d| {
            (
                d.transaction_id,
                d.attempt,
                d.status_code,
                d.error.as_deref(),
                d.will_retry,
            )
        })
        .collect();
    let id = transaction.id;
    assert_eq!(
        attempts,
        [
            (id, 1, Some(500), None, true),
            (id, 2, None, Some("Timeout"), true),
            (id, 3, Some(503), None, true),
            (id, 4, Some(200), None, false),
        ]
    );
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(s.sepay().webhook_deliveries().len(), 4, "no attempt after a 2xx");

    // With every retry used up (3 configured here), the last attempt says so.
    let (url, _received) = merchant(&[(500, Duration::ZERO); 4]).await;
    s.sepay().set_webhook_url(Some(url));
    let failing = s
        .sepay()
        .transfer(NewTransfer::incoming("0071000888888", 1000, "x"))
        .unwrap();
    let log = s.sepay().wait_for_webhook_deliveries(8, WAIT).await;
    let tail: Vec<_> = log[4..]
        .iter()
        .map(|d| (d.transaction_id, d.attempt, d.status_code, d.will_retry))
        .collect();
    let id = failing.id;
    assert_eq!(
        tail,
        [
            (id, 1, Some(500), true),
            (id, 2, Some(500), true),
            (id, 3, Some(500), true),
            (id, 4, Some(500), false),
        ]
    );
}

#[tokio::test]
async fn the_largest_transfers_list_without_overflow() {
    let s = sandbox().await;
    for _ in 0..3 {
        s.sepay()
            .transfer(NewTransfer::incoming("0071000899999", MAX_TRANSFER, "DHBIG00001"))
            .unwrap();
    }
    let url = format!(
        "{}/userapi/transactions/list?account_number=0071000899999&limit=1",
        s.sepay_base_url()
    );
    let (status, body) = get_json(&url, Some(TOKEN)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["transactions"][0]["amount_in"], "1000000000000000.00");
}
