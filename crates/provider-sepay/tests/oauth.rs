//! The OAuth 2.0 way in against wiremock: the seed's replies, errors, token refresh (on 401, before
//! expiry, single-flight, rotation), and the provider trait's pages of masters and sub-accounts.

mod common;

use std::time::Duration;

use chrono::Utc;
use common::*;
use futures::TryStreamExt;
use gateway_core::{AccountKind, AccountStatus, Bank, BankAccountProvider, Error, PageCursor, PageRequest};
use provider_sepay::OAuthCredentials;
use secrecy::{ExposeSecret, SecretString};
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const ACCOUNTS: &str = "/api/v1/bank-accounts";
const ACCOUNT_19: &str = "/api/v1/bank-accounts/19";
const SUBS_19: &str = "/api/v1/bank-accounts/19/sub-accounts";
const SUBS_18: &str = "/api/v1/bank-accounts/18/sub-accounts";
const TOKEN: &str = "/oauth/token";

fn no_subs() -> ResponseTemplate {
    json(
        200,
        r#"{"status":"success","data":[],"meta":{"pagination":{"total":0,"per_page":100,"current_page":1,"last_page":1}}}"#,
    )
}

async fn mount_seed_api(server: &MockServer) {
    mount_get(server, ACCOUNTS, json(200, fixture("oauth_bank_accounts_list.json"))).await;
    mount_get(
        server,
        ACCOUNT_19,
        json(200, fixture("oauth_bank_account_details.json")),
    )
    .await;
    mount_get(server, SUBS_19, json(200, fixture("oauth_sub_accounts_list.json"))).await;
    mount_get(server, SUBS_18, no_subs()).await;
}

fn access_only() -> OAuthCredentials {
    OAuthCredentials::from_access_token(SecretString::from(ACCESS_TOKEN))
}

#[tokio::test]
async fn seed_list_and_details_map_to_core() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(ACCOUNTS))
        .and(query_param("page", "1"))
        .and(query_param("limit", "20"))
        .and(header("authorization", format!("Bearer {ACCESS_TOKEN}").as_str()))
        .respond_with(json(200, fixture("oauth_bank_accounts_list.json")))
        .expect(1)
        .mount(&server)
        .await;
    mount_get(
        &server,
        ACCOUNT_19,
        json(200, fixture("oauth_bank_account_details.json")),
    )
    .await;
    let client = oauth_client(&server, access_only());
    let page = client.list_oauth_bank_accounts(1, 20).await.unwrap();
    assert_eq!(page.total, Some(2));
    assert_eq!(page.next, None);
    assert_eq!(page.items[0].id, "19");
    assert_eq!(
        page.items[0].balance.as_ref().unwrap().amount().to_string(),
        "1777283273.00"
    );
    assert_eq!(page.items[0].bank, Bank::from_bin("970436").unwrap());
    assert_eq!(page.items[1].label, None);
    let one = client.get_oauth_bank_account(19).await.unwrap();
    assert_eq!(one, page.items[0]);
}

#[tokio::test]
async fn sub_accounts_get_the_parent_bank_and_a_composite_id() {
    let server = MockServer::start().await;
    mount_seed_api(&server).await;
    let client = oauth_client(&server, access_only());
    let page = client.list_sub_accounts(19, 1, 20).await.unwrap();
    assert_eq!(page.items.len(), 2);
    let s = &page.items[0];
    assert_eq!(s.id, "19/25");
    assert_eq!(s.kind, AccountKind::Virtual);
    assert_eq!(s.parent_id.as_deref(), Some("19"));
    assert_eq!(s.bank.code, "VCB");
    assert_eq!(s.status, AccountStatus::Active);
    // get_account finds a sub-account through its parent.
    let found = client.get_account("19/26").await.unwrap();
    assert_eq!(found.account_number, "VCB0011ABC002");
    let missing = client.get_account("19/99").await.unwrap_err();
    assert!(matches!(missing, Error::NotFound(_)), "{missing:?}");
    assert!(matches!(client.get_account("19/x").await, Err(Error::NotFound(_))));
    assert_eq!(client.get_account("19").await.unwrap().kind, AccountKind::Master);
}

#[tokio::test]
async fn provider_pages_masters_each_followed_by_its_sub_accounts() {
    let server = MockServer::start().await;
    mount_seed_api(&server).await;
    let client = oauth_client(&server, access_only());
    let all: Vec<_> = client.stream_accounts().try_collect().await.unwrap();
    let ids: Vec<_> = all.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(ids, ["19", "19/25", "19/26", "18"]);
    let sub_requests = requests_to(&server, SUBS_19).await;
    assert_eq!(sub_requests[0].url.query(), Some("page=1&limit=100"));
}

#[tokio::test]
async fn provider_cursor_is_the_page_number() {
    let server = MockServer::start().await;
    let page1 = fixture("oauth_bank_accounts_list.json").replace(r#""last_page": 1"#, r#""last_page": 2"#);
    Mock::given(method("GET"))
        .and(path(ACCOUNTS))
        .and(query_param("page", "1"))
        .and(query_param("limit", "2"))
        .respond_with(json(200, page1))
        .mount(&server)
        .await;
    mount_get(&server, SUBS_19, no_subs()).await;
    mount_get(&server, SUBS_18, no_subs()).await;
    let client = oauth_client(&server, access_only());
    let page = client.list_accounts(PageRequest::first().with_limit(2)).await.unwrap();
    assert_eq!(page.next, Some(PageCursor::new("p:2")));
    let err = client
        .list_accounts(PageRequest::at(PageCursor::new("42")))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidRequest(_)), "{err:?}");
}

#[tokio::test]
async fn http_403_names_the_missing_scope() {
    let server = MockServer::start().await;
    let body = r#"{"status":"error","error":{"code":"forbidden","message":"No permission to access this resource"}}"#;
    mount_get(&server, ACCOUNTS, json(403, body)).await;
    let err = oauth_client(&server, access_only())
        .list_oauth_bank_accounts(1, 20)
        .await
        .unwrap_err();
    match &err {
        Error::Forbidden(ctx) => {
            assert!(ctx.message.contains("bank-account:read"), "{}", ctx.message);
            assert_eq!(ctx.code.as_deref(), Some("forbidden"));
            assert_eq!(ctx.status, Some(403));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn http_404_resource_not_found() {
    let server = MockServer::start().await;
    let body = r#"{"status":"error","error":{"code":"resource_not_found","message":"Bank account does not exist"}}"#;
    mount_get(&server, "/api/v1/bank-accounts/7", json(404, body)).await;
    let err = oauth_client(&server, access_only()).get_account("7").await.unwrap_err();
    assert!(
        matches!(err, Error::NotFound(ref c) if c.code.as_deref() == Some("resource_not_found") && c.message == "Bank account does not exist"),
        "{err:?}"
    );
}

#[tokio::test]
async fn http_400_and_500() {
    let server = MockServer::start().await;
    mount_get(
        &server,
        ACCOUNTS,
        json(400, r#"{"status":"error","error":"limit is invalid"}"#),
    )
    .await;
    mount_get(
        &server,
        ACCOUNT_19,
        json(500, r#"{"status":"error","message":"Internal error"}"#),
    )
    .await;
    let client = oauth_client(&server, access_only());
    let err = client.list_oauth_bank_accounts(1, 20).await.unwrap_err();
    assert!(
        matches!(err, Error::InvalidRequest(ref c) if c.message == "limit is invalid"),
        "{err:?}"
    );
    let err = client.get_oauth_bank_account(19).await.unwrap_err();
    assert!(
        matches!(err, Error::Provider(ref c) if c.status == Some(500)),
        "{err:?}"
    );
    assert!(err.is_retryable());
}

#[tokio::test]
async fn error_envelope_in_a_200_is_an_error() {
    let server = MockServer::start().await;
    mount_get(
        &server,
        ACCOUNT_19,
        json(200, r#"{"status":"error","error":{"code":"x","message":"broken"}}"#),
    )
    .await;
    let err = oauth_client(&server, access_only())
        .get_oauth_bank_account(19)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Provider(ref c) if c.message == "broken"),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_decimal_in_the_oauth_dialect_must_be_a_number_or_numeric_string() {
    let server = MockServer::start().await;
    let body = fixture("oauth_bank_account_details.json").replace("1777283273.00", r#""lots""#);
    mount_get(&server, ACCOUNT_19, json(200, body)).await;
    let err = oauth_client(&server, access_only())
        .get_oauth_bank_account(19)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
}

#[tokio::test]
async fn http_401_without_refresh_is_unauthorized() {
    let server = MockServer::start().await;
    let body = r#"{"status":"error","error":{"code":"unauthorized","message":"Token is invalid or expired"}}"#;
    mount_get(&server, ACCOUNT_19, json(401, body)).await;
    let err = oauth_client(&server, access_only())
        .get_oauth_bank_account(19)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Unauthorized(ref c) if c.message == "Token is invalid or expired"),
        "{err:?}"
    );
    assert!(requests_to(&server, TOKEN).await.is_empty());
}

/// `GET /api/v1/bank-accounts/19` answering `status` to the bearer `token`, at most `times` times.
async fn mount_for_token(server: &MockServer, token: &str, reply: ResponseTemplate, times: Option<u64>) {
    let mock = Mock::given(method("GET"))
        .and(path(ACCOUNT_19))
        .and(header("authorization", format!("Bearer {token}").as_str()));
    let mock = mock.respond_with(reply);
    match times {
        Some(n) => mock.up_to_n_times(n).mount(server).await,
        None => mock.mount(server).await,
    }
}

fn unauthorized() -> ResponseTemplate {
    json(
        401,
        r#"{"status":"error","error":{"code":"unauthorized","message":"Token is invalid or expired"}}"#,
    )
}

#[tokio::test]
async fn http_401_refreshes_retries_once_and_keeps_the_rotated_refresh_token() {
    let server = MockServer::start().await;
    let details = || json(200, fixture("oauth_bank_account_details.json"));
    mount_for_token(&server, ACCESS_TOKEN, unauthorized(), None).await;
    mount_for_token(&server, "NEW-ACCESS-1", details(), Some(1)).await;
    mount_for_token(&server, "NEW-ACCESS-1", unauthorized(), None).await;
    mount_for_token(&server, "NEW-ACCESS-2", details(), None).await;
    Mock::given(method("POST"))
        .and(path(TOKEN))
        .respond_with(token_reply("NEW-ACCESS-1", "NEW-REFRESH-2"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(TOKEN))
        .respond_with(token_reply("NEW-ACCESS-2", "NEW-REFRESH-3"))
        .mount(&server)
        .await;

    let client = oauth_client(&server, full_credentials());
    assert_eq!(client.get_oauth_bank_account(19).await.unwrap().id, "19");
    // The second call's token is refused too: the next refresh must send the rotated refresh token.
    assert_eq!(client.get_oauth_bank_account(19).await.unwrap().id, "19");

    let refreshes = requests_to(&server, TOKEN).await;
    assert_eq!(refreshes.len(), 2);
    for (request, sent_refresh_token) in refreshes.iter().zip([REFRESH_TOKEN, "NEW-REFRESH-2"]) {
        let content_type = request.headers.get("content-type").unwrap().to_str().unwrap();
        assert!(
            content_type.starts_with("application/x-www-form-urlencoded"),
            "{content_type}"
        );
        let f = form(&request.body);
        assert_eq!(f.get("grant_type").map(String::as_str), Some("refresh_token"));
        assert_eq!(f.get("refresh_token").map(String::as_str), Some(sent_refresh_token));
        assert_eq!(f.get("client_id").map(String::as_str), Some(CLIENT_ID));
        assert_eq!(f.get("client_secret").map(String::as_str), Some(CLIENT_SECRET));
        assert!(
            request.headers.get("authorization").is_none(),
            "client credentials go in the body"
        );
    }
    // 4 resource requests: refused, retried, refused, retried.
    assert_eq!(requests_to(&server, ACCOUNT_19).await.len(), 4);

    let tokens = client.oauth_tokens().await.unwrap();
    assert_eq!(tokens.access_token.unwrap().expose_secret(), "NEW-ACCESS-2");
    assert_eq!(tokens.refresh_token.unwrap().expose_secret(), "NEW-REFRESH-3");
    let expires_in = tokens.expires_at.unwrap() - Utc::now();
    assert!(expires_in > chrono::Duration::seconds(3500) && expires_in <= chrono::Duration::seconds(3600));
}

#[tokio::test]
async fn refused_again_after_refresh_is_unauthorized_not_a_loop() {
    let server = MockServer::start().await;
    mount_get(&server, ACCOUNT_19, unauthorized()).await;
    Mock::given(method("POST"))
        .and(path(TOKEN))
        .respond_with(token_reply("NEW-ACCESS-1", "NEW-REFRESH-2"))
        .mount(&server)
        .await;
    let err = oauth_client(&server, full_credentials())
        .get_oauth_bank_account(19)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unauthorized(_)), "{err:?}");
    assert_eq!(requests_to(&server, TOKEN).await.len(), 1);
    assert_eq!(requests_to(&server, ACCOUNT_19).await.len(), 2);
}

#[tokio::test]
async fn refresh_token_alone_refreshes_before_the_first_call() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(TOKEN))
        .respond_with(token_reply("NEW-ACCESS-1", "NEW-REFRESH-2"))
        .mount(&server)
        .await;
    mount_for_token(
        &server,
        "NEW-ACCESS-1",
        json(200, fixture("oauth_bank_account_details.json")),
        None,
    )
    .await;
    let creds = OAuthCredentials::from_refresh_token(
        SecretString::from(REFRESH_TOKEN),
        CLIENT_ID,
        SecretString::from(CLIENT_SECRET),
    );
    let client = oauth_client(&server, creds);
    assert_eq!(client.get_oauth_bank_account(19).await.unwrap().id, "19");
    assert_eq!(
        requests_to(&server, ACCOUNT_19).await.len(),
        1,
        "no request with a missing token"
    );
}

#[tokio::test]
async fn an_expired_access_token_is_refreshed_before_the_call() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(TOKEN))
        .respond_with(token_reply("NEW-ACCESS-1", "NEW-REFRESH-2"))
        .mount(&server)
        .await;
    mount_for_token(
        &server,
        "NEW-ACCESS-1",
        json(200, fixture("oauth_bank_account_details.json")),
        None,
    )
    .await;
    // Expires in 10 s: inside the 30 s leeway, so refreshed first.
    let creds = full_credentials().with_access_token_expires_at(Utc::now() + chrono::Duration::seconds(10));
    let client = oauth_client(&server, creds);
    client.get_oauth_bank_account(19).await.unwrap();
    let sent = requests_to(&server, ACCOUNT_19).await;
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].headers.get("authorization").unwrap(), "Bearer NEW-ACCESS-1");

    // A token valid for an hour is used as it is.
    let server = MockServer::start().await;
    mount_for_token(
        &server,
        ACCESS_TOKEN,
        json(200, fixture("oauth_bank_account_details.json")),
        None,
    )
    .await;
    let creds = full_credentials().with_access_token_expires_at(Utc::now() + chrono::Duration::hours(1));
    oauth_client(&server, creds).get_oauth_bank_account(19).await.unwrap();
    assert!(requests_to(&server, TOKEN).await.is_empty());
}

#[tokio::test]
async fn concurrent_callers_share_one_refresh() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(TOKEN))
        .respond_with(token_reply("NEW-ACCESS-1", "NEW-REFRESH-2").set_delay(Duration::from_millis(200)))
        .mount(&server)
        .await;
    mount_for_token(&server, ACCESS_TOKEN, unauthorized(), None).await;
    mount_for_token(
        &server,
        "NEW-ACCESS-1",
        json(200, fixture("oauth_bank_account_details.json")),
        None,
    )
    .await;
    let client = oauth_client(&server, full_credentials());
    let calls = (0..6).map(|_| {
        let c = client.clone();
        async move { c.get_oauth_bank_account(19).await }
    });
    for r in futures::future::join_all(calls).await {
        assert_eq!(r.unwrap().id, "19");
    }
    assert_eq!(
        requests_to(&server, TOKEN).await.len(),
        1,
        "one refresh for all six callers"
    );
}

#[tokio::test]
async fn refused_refresh_is_unauthorized_with_the_oauth_code_and_no_secret() {
    let server = MockServer::start().await;
    mount_get(&server, ACCOUNT_19, unauthorized()).await;
    let body = r#"{"error":"invalid_grant","error_description":"The refresh token is invalid or expired"}"#;
    Mock::given(method("POST"))
        .and(path(TOKEN))
        .respond_with(json(400, body))
        .mount(&server)
        .await;
    let err = oauth_client(&server, full_credentials())
        .get_oauth_bank_account(19)
        .await
        .unwrap_err();
    match &err {
        Error::Unauthorized(ctx) => {
            assert_eq!(ctx.code.as_deref(), Some("invalid_grant"));
            assert!(
                ctx.message.contains("The refresh token is invalid or expired"),
                "{}",
                ctx.message
            );
        }
        other => panic!("{other:?}"),
    }
    assert_no_secret(&format!("{err} {err:?}"));

    let server = MockServer::start().await;
    mount_get(&server, ACCOUNT_19, unauthorized()).await;
    Mock::given(method("POST"))
        .and(path(TOKEN))
        .respond_with(json(401, r#"{"error":"invalid_client"}"#))
        .mount(&server)
        .await;
    let err = oauth_client(&server, full_credentials())
        .get_oauth_bank_account(19)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Unauthorized(ref c) if c.code.as_deref() == Some("invalid_client")),
        "{err:?}"
    );
    assert_no_secret(&format!("{err} {err:?}"));
}

#[tokio::test]
async fn token_endpoint_outage_is_a_retryable_provider_error() {
    let server = MockServer::start().await;
    mount_get(&server, ACCOUNT_19, unauthorized()).await;
    let page = ResponseTemplate::new(503).set_body_raw("<html>maintenance</html>", "text/html");
    Mock::given(method("POST"))
        .and(path(TOKEN))
        .respond_with(page)
        .mount(&server)
        .await;
    let err = oauth_client(&server, full_credentials())
        .get_oauth_bank_account(19)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Provider(ref c) if c.status == Some(503)),
        "{err:?}"
    );
    assert!(err.is_retryable());
}

#[tokio::test]
async fn unreadable_token_reply_is_a_decode_error_without_the_body() {
    let server = MockServer::start().await;
    mount_get(&server, ACCOUNT_19, unauthorized()).await;
    // token_type of the wrong type, next to tokens that must not end up in the error.
    let body =
        r#"{"access_token":"NEW-ACCESS-LEAK","refresh_token":"NEW-REFRESH-LEAK","token_type":7,"expires_in":3600}"#;
    Mock::given(method("POST"))
        .and(path(TOKEN))
        .respond_with(json(200, body))
        .mount(&server)
        .await;
    let err = oauth_client(&server, full_credentials())
        .get_oauth_bank_account(19)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
    let text = format!("{err} {err:?}");
    assert_no_secret(&text);
    assert!(!text.contains("LEAK"), "{text}");
}

#[tokio::test]
async fn api_token_calls_refuse_an_oauth_client() {
    let server = MockServer::start().await;
    let client = oauth_client(&server, access_only());
    let err = client.list_bank_accounts(&Default::default()).await.unwrap_err();
    assert!(matches!(err, Error::Configuration(_)), "{err:?}");
    assert!(server.received_requests().await.unwrap().is_empty());
}

/// `fixture` with `edit` applied to its parsed JSON.
fn edited_fixture(name: &str, edit: impl FnOnce(&mut serde_json::Value)) -> String {
    let mut value: serde_json::Value = serde_json::from_str(&fixture(name)).unwrap();
    edit(&mut value);
    value.to_string()
}

#[tokio::test]
async fn account_without_bank_is_a_decode_error_naming_the_account() {
    let server = MockServer::start().await;
    let body = edited_fixture("oauth_bank_account_details.json", |v| {
        v["data"].as_object_mut().unwrap().remove("bank");
    });
    mount_get(&server, ACCOUNT_19, json(200, body)).await;
    let err = oauth_client(&server, access_only())
        .get_oauth_bank_account(19)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Decode { ref what, ref message, .. }
            if what == "SePay bank account 19" && message.contains("`bank` object is missing")),
        "{err:?}"
    );
}

#[tokio::test]
async fn listed_account_whose_bank_has_no_bin_nor_code_is_a_decode_error() {
    let server = MockServer::start().await;
    let body = edited_fixture("oauth_bank_accounts_list.json", |v| {
        let bank = v["data"][1]["bank"].as_object_mut().unwrap();
        bank.remove("bin");
        bank.insert("code".into(), serde_json::Value::Null);
    });
    mount_get(&server, ACCOUNTS, json(200, body)).await;
    let err = oauth_client(&server, access_only())
        .list_oauth_bank_accounts(1, 20)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Decode { ref what, ref message, .. }
            if what == "SePay bank account 18" && message.contains("neither a bin nor a code")),
        "{err:?}"
    );
}

#[tokio::test]
async fn account_or_sub_account_without_holder_name_is_a_decode_error() {
    let server = MockServer::start().await;
    let body = edited_fixture("oauth_bank_account_details.json", |v| {
        v["data"].as_object_mut().unwrap().remove("account_holder_name");
    });
    mount_get(&server, ACCOUNT_19, json(200, body)).await;
    let client = oauth_client(&server, access_only());
    let err = client.get_oauth_bank_account(19).await.unwrap_err();
    assert!(
        matches!(err, Error::Decode { status: Some(200), ref message, .. }
            if message.contains("missing field `account_holder_name`")),
        "{err:?}"
    );

    let server = MockServer::start().await;
    mount_get(
        &server,
        ACCOUNT_19,
        json(200, fixture("oauth_bank_account_details.json")),
    )
    .await;
    let subs = edited_fixture("oauth_sub_accounts_list.json", |v| {
        v["data"][1].as_object_mut().unwrap().remove("account_holder_name");
    });
    mount_get(&server, SUBS_19, json(200, subs)).await;
    let err = oauth_client(&server, access_only())
        .list_sub_accounts(19, 1, 20)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Decode { ref message, .. } if message.contains("missing field `account_holder_name`")),
        "{err:?}"
    );
}
