//! A small stand-in for SePay's transaction endpoints (both ways in), written from the
//! transactions document, as a wiremock responder: it filters, sorts the most recent first and
//! caps at `limit` like the document says, so paging and status logic can be checked against
//! many transactions. It can also misbehave on purpose (sort by id, count without the
//! filters).
#![allow(dead_code)]

use std::sync::{Arc, Mutex};

use chrono::{NaiveDate, NaiveDateTime};
use wiremock::matchers::path_regex;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// One transaction the fake knows.
#[derive(Debug, Clone)]
pub struct FakeTx {
    pub id: u64,
    pub bank_account_id: u64,
    pub account_number: String,
    pub date: NaiveDateTime,
    pub amount_in: i64,
    pub amount_out: i64,
    pub content: String,
    pub code: Option<String>,
    pub reference_number: String,
}

impl FakeTx {
    /// Money in to account `0071000888888` (bank account 19).
    pub fn incoming(id: u64, date: &str, amount_in: i64, content: &str, code: Option<&str>) -> Self {
        Self {
            id,
            bank_account_id: 19,
            account_number: "0071000888888".into(),
            date: at(date),
            amount_in,
            amount_out: 0,
            content: content.into(),
            code: code.map(str::to_string),
            reference_number: format!("REF{id}"),
        }
    }

    /// Money out of the same account.
    pub fn outgoing(id: u64, date: &str, amount_out: i64, content: &str) -> Self {
        Self {
            amount_in: 0,
            amount_out,
            ..Self::incoming(id, date, 0, content, None)
        }
    }

    fn token_json(&self) -> String {
        format!(
            r#"{{"id":"{}","bank_brand_name":"Vietcombank","account_number":{},"transaction_date":"{}","amount_out":"{}.00","amount_in":"{}.00","accumulated":"1000000.00","transaction_content":{},"reference_number":{},"code":{},"sub_account":null,"bank_account_id":"{}"}}"#,
            self.id,
            json_text(&self.account_number),
            self.date.format("%Y-%m-%d %H:%M:%S"),
            self.amount_out,
            self.amount_in,
            json_text(&self.content),
            json_text(&self.reference_number),
            self.code.as_deref().map_or("null".to_string(), json_text),
            self.bank_account_id,
        )
    }

    fn oauth_json(&self) -> String {
        format!(
            r#"{{"id":{},"bank_account_id":{},"bank_brand_name":"Vietcombank","account_number":{},"transaction_date":"{}","amount_out":{}.00,"amount_in":{}.00,"accumulated":1000000.00,"transaction_content":{},"reference_number":{},"code":{},"sub_account":null}}"#,
            self.id,
            self.bank_account_id,
            json_text(&self.account_number),
            self.date.format("%Y-%m-%d %H:%M:%S"),
            self.amount_out,
            self.amount_in,
            json_text(&self.content),
            json_text(&self.reference_number),
            self.code.as_deref().map_or("null".to_string(), json_text),
        )
    }
}

fn json_text(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}

/// `"2023-05-05 19:59:48"` as a date-time.
pub fn at(text: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").unwrap()
}

/// How the fake orders "most recent".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// By transaction date, then id, descending.
    ByDate,
    /// By id descending, whatever the dates.
    ById,
}

#[derive(Debug)]
struct State {
    txs: Vec<FakeTx>,
    order: Order,
    /// The token count ignores every filter and reports all the transactions it knows.
    count_ignores_filters: bool,
}

/// The fake; clones share the state.
#[derive(Debug, Clone)]
pub struct FakeSepay {
    state: Arc<Mutex<State>>,
}

impl FakeSepay {
    pub fn new(txs: Vec<FakeTx>) -> Self {
        Self {
            state: Arc::new(Mutex::new(State {
                txs,
                order: Order::ByDate,
                count_ignores_filters: false,
            })),
        }
    }

    pub fn order(self, order: Order) -> Self {
        self.state.lock().unwrap().order = order;
        self
    }

    /// Makes `transactions/count` report the company-wide total, whatever the filters (SePay's
    /// documents do not say that it applies them).
    pub fn count_ignores_filters(self) -> Self {
        self.state.lock().unwrap().count_ignores_filters = true;
        self
    }

    pub fn push(&self, tx: FakeTx) {
        self.state.lock().unwrap().txs.push(tx);
    }

    /// Answers every transaction endpoint of `server`.
    pub async fn mount(&self, server: &MockServer) {
        Mock::given(path_regex(r"^/(userapi|api/v1)/transactions"))
            .respond_with(self.clone())
            .mount(server)
            .await;
    }

    fn matching(&self, query: &[(String, String)], oauth: bool) -> Vec<FakeTx> {
        let state = self.state.lock().unwrap();
        let get = |k: &str| query.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        let parse_min = |v: String| -> NaiveDateTime {
            NaiveDateTime::parse_from_str(&v, "%Y-%m-%d %H:%M:%S").unwrap_or_else(|_| {
                NaiveDate::parse_from_str(&v, "%Y-%m-%d")
                    .unwrap()
                    .and_hms_opt(0, 0, 0)
                    .unwrap()
            })
        };
        let parse_max = |v: String| -> NaiveDateTime {
            NaiveDateTime::parse_from_str(&v, "%Y-%m-%d %H:%M:%S").unwrap_or_else(|_| {
                NaiveDate::parse_from_str(&v, "%Y-%m-%d")
                    .unwrap()
                    .and_hms_opt(23, 59, 59)
                    .unwrap()
            })
        };
        let (min_key, max_key) = if oauth {
            ("from_date", "to_date")
        } else {
            ("transaction_date_min", "transaction_date_max")
        };
        let min = get(min_key).map(parse_min);
        let max = get(max_key).map(parse_max);
        let account = get("account_number");
        let bank_account = get("bank_account_id").map(|v| v.parse::<u64>().unwrap());
        let reference = get("reference_number");
        let amount_in = get("amount_in").map(|v| v.parse::<i64>().unwrap());
        let amount_out = get("amount_out").map(|v| v.parse::<i64>().unwrap());
        let since = get("since_id").map(|v| v.parse::<u64>().unwrap());
        let mut out: Vec<FakeTx> = state
            .txs
            .iter()
            .filter(|t| min.is_none_or(|m| t.date >= m))
            .filter(|t| max.is_none_or(|m| t.date <= m))
            .filter(|t| account.as_ref().is_none_or(|a| &t.account_number == a))
            .filter(|t| bank_account.is_none_or(|b| t.bank_account_id == b))
            .filter(|t| reference.as_ref().is_none_or(|r| &t.reference_number == r))
            .filter(|t| amount_in.is_none_or(|a| t.amount_in == a))
            .filter(|t| amount_out.is_none_or(|a| t.amount_out == a))
            .filter(|t| since.is_none_or(|s| t.id >= s))
            .cloned()
            .collect();
        match state.order {
            Order::ByDate => out.sort_by(|a, b| b.date.cmp(&a.date).then(b.id.cmp(&a.id))),
            Order::ById => out.sort_by_key(|t| std::cmp::Reverse(t.id)),
        }
        out
    }
}

fn ok(body: String) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(body.into_bytes(), "application/json")
}

impl Respond for FakeSepay {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let query: Vec<(String, String)> = request.url.query_pairs().into_owned().collect();
        let path = request.url.path();
        let envelope = r#""status":200,"error":null,"messages":{"success":true}"#;
        if path == "/userapi/transactions/count" {
            let n = if self.state.lock().unwrap().count_ignores_filters {
                self.state.lock().unwrap().txs.len()
            } else {
                self.matching(&query, false).len()
            };
            return ok(format!(r#"{{{envelope},"count_transactions":"{n}"}}"#));
        }
        if path == "/userapi/transactions/list" {
            let mut all = self.matching(&query, false);
            let limit = query
                .iter()
                .find(|(k, _)| k == "limit")
                .map_or(5000, |(_, v)| v.parse::<usize>().unwrap().min(5000));
            all.truncate(limit);
            let items: Vec<String> = all.iter().map(FakeTx::token_json).collect();
            return ok(format!(r#"{{{envelope},"transactions":[{}]}}"#, items.join(",")));
        }
        if let Some(id) = path.strip_prefix("/userapi/transactions/details/") {
            let id: u64 = id.parse().unwrap();
            let found = self.state.lock().unwrap().txs.iter().find(|t| t.id == id).cloned();
            let tx = found.map_or("null".to_string(), |t| t.token_json());
            return ok(format!(r#"{{{envelope},"transaction":{tx}}}"#));
        }
        if path == "/api/v1/transactions" {
            let all = self.matching(&query, true);
            let get = |k: &str, d: usize| {
                query
                    .iter()
                    .find(|(n, _)| n == k)
                    .map_or(d, |(_, v)| v.parse().unwrap())
            };
            let (page, limit) = (get("page", 1), get("limit", 20));
            let items: Vec<String> = all
                .iter()
                .skip((page - 1) * limit)
                .take(limit)
                .map(FakeTx::oauth_json)
                .collect();
            let last_page = all.len().div_ceil(limit).max(1);
            return ok(format!(
                r#"{{"status":"success","data":[{}],"meta":{{"pagination":{{"total":{},"per_page":{limit},"current_page":{page},"last_page":{last_page}}}}}}}"#,
                items.join(","),
                all.len()
            ));
        }
        if let Some(id) = path.strip_prefix("/api/v1/transactions/") {
            let id: u64 = id.parse().unwrap();
            let found = self.state.lock().unwrap().txs.iter().find(|t| t.id == id).cloned();
            return match found {
                Some(t) => ok(format!(r#"{{"status":"success","data":{}}}"#, t.oauth_json())),
                None => ResponseTemplate::new(404).set_body_raw(
                    br#"{"status":"error","error":{"code":"resource_not_found","message":"Transaction does not exist"}}"#
                        .to_vec(),
                    "application/json",
                ),
            };
        }
        ResponseTemplate::new(404)
    }
}
