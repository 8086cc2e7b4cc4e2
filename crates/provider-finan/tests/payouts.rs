//! Payouts end to end against the independent Finan emulator (`gateway-sandbox`): create, the OTP,
//! confirm, get, list and pages, the 403 causes, insufficient balance, a wrong OTP, checks before
//! sending, and the "never sent twice" rule under injected faults; plus recorded replies.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use futures::TryStreamExt;
use gateway_core::{
    Beneficiary, CreatePayout, Currency, Error, Money, PageCursor, PageRequest, PayoutFilter, PayoutProvider,
    PayoutStatus,
};
use gateway_sandbox::faults::{Fault, FaultKind, RouteMatcher};
use gateway_sandbox::Sandbox;
use provider_finan::{decode_reply, is_insufficient_balance, payout_mapping, payout_wire, FinanClient, RequestOptions};
use secrecy::SecretString;

const CREATE: &str = "/open/api/v1/payouts";

fn client(sandbox: &Sandbox) -> FinanClient {
    FinanClient::builder()
        .client_id(sandbox.credentials().finan_client_id.clone())
        .secret_key(SecretString::from(sandbox.credentials().finan_secret_key.clone()))
        .base_url(&sandbox.finan_base_url())
        .build()
        .unwrap()
}

/// The seed's Shinhan master account (15,000,000 VND).
fn source(sandbox: &Sandbox) -> String {
    sandbox.finan().master_account_ids()[0].clone()
}

fn request(sandbox: &Sandbox, reference: &str, amount: i64) -> CreatePayout {
    CreatePayout::new(
        source(sandbox),
        Money::from_minor_units(amount, Currency::VND),
        Beneficiary::new("1234567890", "NGUYEN VAN A", "161"),
        reference,
    )
    .description("thanh toan don hang")
}

fn otp(sandbox: &Sandbox, id: &str) -> SecretString {
    SecretString::from(sandbox.finan().payout_otp(id).expect("the sandbox sent an OTP"))
}

#[tokio::test]
async fn create_confirm_and_poll_until_done() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = client(&sandbox);
    let before = sandbox.finan().balance(&source(&sandbox)).unwrap();

    let created = client
        .create_payout(&request(&sandbox, "PAYOUT-001", 6_000_000))
        .await
        .unwrap();
    assert_eq!(created.status, PayoutStatus::AwaitingOtp);
    assert_eq!(created.amount, Money::from_minor_units(6_000_000, Currency::VND));
    assert_eq!(
        created.beneficiary,
        Beneficiary::new("1234567890", "NGUYEN VAN A", "161")
    );
    assert_eq!(created.reference_id.as_deref(), Some("PAYOUT-001"));
    assert!(created.created_at.is_some());
    assert_eq!(
        before,
        sandbox.finan().balance(&source(&sandbox)).unwrap(),
        "nothing leaves before the OTP"
    );

    let confirmed = client
        .confirm_payout(&created.id, &otp(&sandbox, &created.id))
        .await
        .unwrap();
    assert_eq!(confirmed.id, created.id);
    assert_eq!(confirmed.status, PayoutStatus::Processing);
    assert_eq!(sandbox.finan().balance(&source(&sandbox)).unwrap(), before - 6_000_000);

    // The sandbox settles at the next read.
    let done = client.get_payout(&created.id).await.unwrap();
    assert_eq!(done.status, PayoutStatus::Succeeded);
    assert!(done.status.is_final());
    assert_eq!(done.source_account_id.as_deref(), Some(source(&sandbox).as_str()));
    assert_eq!(sandbox.finan().payouts().len(), 1);

    let missing = client
        .get_payout("00000000-0000-0000-0000-000000000000")
        .await
        .unwrap_err();
    assert!(matches!(missing, Error::NotFound(_)), "{missing:?}");
}

#[tokio::test]
async fn works_behind_the_trait_object_and_settles_failed_payouts_with_a_refund() {
    let sandbox = Sandbox::start().await.unwrap();
    sandbox.finan().set_payout_auto_settle(false);
    let provider: Arc<dyn PayoutProvider> = Arc::new(client(&sandbox));
    let before = sandbox.finan().balance(&source(&sandbox)).unwrap();
    let created = provider
        .create_payout(&request(&sandbox, "PAYOUT-FAIL", 1_000_000))
        .await
        .unwrap();
    provider
        .confirm_payout(&created.id, &otp(&sandbox, &created.id))
        .await
        .unwrap();
    assert_eq!(
        provider.get_payout(&created.id).await.unwrap().status,
        PayoutStatus::Processing
    );
    sandbox.finan().settle_payout(&created.id, false).unwrap();
    assert_eq!(
        provider.get_payout(&created.id).await.unwrap().status,
        PayoutStatus::Failed
    );
    assert_eq!(sandbox.finan().balance(&source(&sandbox)).unwrap(), before, "refunded");
}

#[tokio::test]
async fn a_second_create_for_a_reference_returns_the_first_and_a_different_one_conflicts() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = client(&sandbox);
    let first = client
        .create_payout(&request(&sandbox, "PAYOUT-DUP", 2_000_000))
        .await
        .unwrap();
    let again = client
        .create_payout(&request(&sandbox, "PAYOUT-DUP", 2_000_000))
        .await
        .unwrap();
    assert_eq!(again.id, first.id);
    let other = client
        .create_payout(&request(&sandbox, "PAYOUT-DUP", 3_000_000))
        .await
        .unwrap_err();
    assert!(matches!(other, Error::Conflict(_)), "{other:?}");
    assert!(other.to_string().contains(&first.id), "{other}");
    assert_eq!(sandbox.finan().payouts().len(), 1);
}

#[tokio::test]
async fn lists_pages_and_streams() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = client(&sandbox);
    for i in 0..5 {
        client
            .create_payout(&request(&sandbox, &format!("PAGE-{i}"), 100_000 + i))
            .await
            .unwrap();
    }
    let page = client.list_payouts_page(1, 2, &PayoutFilter::all()).await.unwrap();
    assert_eq!(page.items.len(), 2);
    assert_eq!(page.total, Some(5));
    assert_eq!(page.next.as_ref().map(PageCursor::as_str), Some("2"));

    let third = client
        .list_payouts(
            &PayoutFilter::all(),
            PageRequest::at(PageCursor::new("3")).with_limit(2),
        )
        .await
        .unwrap();
    assert_eq!(third.items.len(), 1);
    assert_eq!(third.next, None);
    assert_eq!(third.items[0].reference_id.as_deref(), Some("PAGE-4"));

    let all: Vec<_> = client.stream_payouts(&PayoutFilter::all()).try_collect().await.unwrap();
    assert_eq!(all.len(), 5);
    let options = RequestOptions::new();
    let again: Vec<_> = client
        .stream_payouts_with(&PayoutFilter::all(), &options)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(again, all);

    let one = client
        .list_payouts(&PayoutFilter::reference("PAGE-3"), PageRequest::first())
        .await
        .unwrap();
    assert_eq!(one.items.len(), 1);
    assert_eq!(one.items[0].amount, Money::from_minor_units(100_003, Currency::VND));

    let bad = client
        .list_payouts(&PayoutFilter::all(), PageRequest::at(PageCursor::new("x")))
        .await
        .unwrap_err();
    assert!(matches!(bad, Error::InvalidRequest(_)), "{bad:?}");
}

#[tokio::test]
async fn forbidden_names_enterprise_or_the_ip_whitelist() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = client(&sandbox);

    sandbox.finan().set_payout_enterprise(false);
    let err = client
        .create_payout(&request(&sandbox, "PAYOUT-403", 1_000))
        .await
        .unwrap_err();
    let Error::Forbidden(ctx) = &err else { panic!("{err:?}") };
    assert_eq!(ctx.status, Some(403));
    assert!(ctx.message.starts_with("Enterprise account required"), "{err}");
    assert!(
        ctx.message
            .contains("Payout API is available for Enterprise accounts only"),
        "Finan's message: {err}"
    );

    sandbox.finan().set_payout_enterprise(true);
    let elsewhere: IpAddr = "203.0.113.7".parse().unwrap();
    sandbox.finan().set_payout_ip_whitelist(Some(vec![elsewhere]));
    let err = client.get_payout("any").await.unwrap_err();
    let Error::Forbidden(ctx) = &err else { panic!("{err:?}") };
    assert!(ctx.message.starts_with("IP not whitelisted"), "{err}");
    assert!(
        ctx.message.contains("127.0.0.1"),
        "Finan's message names the caller: {err}"
    );
    assert!(sandbox.finan().payouts().is_empty());

    let loopback: IpAddr = "127.0.0.1".parse().unwrap();
    sandbox.finan().set_payout_ip_whitelist(Some(vec![elsewhere, loopback]));
    client
        .create_payout(&request(&sandbox, "PAYOUT-403", 1_000))
        .await
        .unwrap();
}

#[tokio::test]
async fn insufficient_balance_is_a_typed_refusal() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = client(&sandbox);
    sandbox.finan().set_balance(&source(&sandbox), 1_000).unwrap();
    let err = client
        .create_payout(&request(&sandbox, "PAYOUT-422", 6_000_000))
        .await
        .unwrap_err();
    assert!(is_insufficient_balance(&err), "{err:?}");
    assert_eq!(err.status(), Some(422));
    assert!(err.to_string().contains("insufficient balance"), "{err}");
    assert!(sandbox.finan().payouts().is_empty());

    // Other refusals are not mistaken for it.
    let mut usd = request(&sandbox, "PAYOUT-USD", 1);
    usd.amount = Money::from_minor_units(1, Currency::USD);
    assert!(!is_insufficient_balance(&client.create_payout(&usd).await.unwrap_err()));
}

#[tokio::test]
async fn a_wrong_otp_is_a_typed_error_that_never_shows_the_otp() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = client(&sandbox);
    let created = client
        .create_payout(&request(&sandbox, "PAYOUT-OTP", 500_000))
        .await
        .unwrap();
    let right = sandbox.finan().payout_otp(&created.id).unwrap();
    let wrong = if right == "975310" { "864200" } else { "975310" };
    let err = client
        .confirm_payout(&created.id, &SecretString::from(wrong))
        .await
        .unwrap_err();
    let Error::InvalidRequest(ctx) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(ctx.status, Some(400));
    assert!(ctx.message.contains("Finan refused the OTP"), "{err}");
    for shown in [format!("{err:?}"), err.to_string()] {
        assert!(!shown.contains(wrong) && !shown.contains(&right), "OTP leaked: {shown}");
    }
    assert_eq!(
        client.get_payout(&created.id).await.unwrap().status,
        PayoutStatus::AwaitingOtp
    );

    let confirmed = client
        .confirm_payout(&created.id, &SecretString::from(right.clone()))
        .await
        .unwrap();
    assert_eq!(confirmed.status, PayoutStatus::Processing);
    let twice = client
        .confirm_payout(&created.id, &SecretString::from(right.clone()))
        .await
        .unwrap_err();
    assert!(matches!(twice, Error::InvalidRequest(_)), "{twice:?}");
    assert!(!format!("{twice:?}").contains(&right));

    let blank = client
        .confirm_payout(&created.id, &SecretString::from("  "))
        .await
        .unwrap_err();
    assert!(matches!(blank, Error::InvalidRequest(_)), "{blank:?}");
}

#[tokio::test]
async fn bad_requests_are_refused_before_sending() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = client(&sandbox);
    let sent = sandbox.finan().request_count();
    let long = request(&sandbox, "PAYOUT-LONG", 1_000).description("x".repeat(31));
    let err = client.create_payout(&long).await.unwrap_err();
    assert!(matches!(err, Error::InvalidRequest(_)), "{err:?}");
    assert!(err.to_string().contains("31 characters"), "{err}");
    let mut fraction = request(&sandbox, "PAYOUT-FRACTION", 1_000);
    fraction.amount = Money::new(rust_decimal::Decimal::new(10_005, 1), Currency::VND);
    assert!(matches!(
        client.create_payout(&fraction).await,
        Err(Error::InvalidRequest(_))
    ));
    let mut no_bank = request(&sandbox, "PAYOUT-NOBANK", 1_000);
    no_bank.beneficiary.bank_id = String::new();
    assert!(matches!(
        client.create_payout(&no_bank).await,
        Err(Error::InvalidRequest(_))
    ));
    assert!(matches!(client.get_payout("..").await, Err(Error::InvalidRequest(_))));
    assert_eq!(sandbox.finan().request_count(), sent, "nothing was sent");
}

/// A POST that times out after the sandbox created the payout: the look-up finds it; not re-sent.
#[tokio::test]
async fn a_timed_out_create_is_found_not_resent() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = client(&sandbox).with_options(RequestOptions::new().timeout(Duration::from_millis(300)));
    sandbox.finan_faults().inject(Fault::new(
        RouteMatcher::new("POST", CREATE),
        FaultKind::Delay { ms: 1_500 },
    ));
    let payout = client
        .create_payout(&request(&sandbox, "PAYOUT-SLOW", 1_000_000))
        .await
        .unwrap();
    let stored = sandbox.finan().payouts();
    assert_eq!(stored.len(), 1, "sent once");
    assert_eq!(payout.id, stored[0].id);
    assert_eq!(sandbox.finan_faults().applied("delay"), 1);
}

/// A connection dropped mid-reply after the payout was made: found by the look-up.
#[tokio::test]
async fn a_create_cut_mid_reply_is_found_not_resent() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = client(&sandbox);
    sandbox
        .finan_faults()
        .inject(Fault::new(RouteMatcher::new("POST", CREATE), FaultKind::ResetMidBody));
    let payout = client
        .create_payout(&request(&sandbox, "PAYOUT-RESET", 1_000_000))
        .await
        .unwrap();
    assert_eq!(sandbox.finan().payouts().len(), 1);
    assert_eq!(payout.id, sandbox.finan().payouts()[0].id);
}

/// A gateway's 502: the POST may still be in flight, so an empty look-up does not lead to a
/// re-send; the next create (a retry) looks again and sends.
#[tokio::test]
async fn after_a_502_nothing_is_resent_until_the_app_retries() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = client(&sandbox);
    sandbox.finan_faults().inject(Fault::new(
        RouteMatcher::new("POST", CREATE),
        FaultKind::Status { code: 502 },
    ));
    let err = client
        .create_payout(&request(&sandbox, "PAYOUT-502", 1_000_000))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(502), "{err:?}");
    assert!(err.to_string().contains("may still be creating"), "{err}");
    assert!(sandbox.finan().payouts().is_empty());
    client
        .create_payout(&request(&sandbox, "PAYOUT-502", 1_000_000))
        .await
        .unwrap();
    assert_eq!(sandbox.finan().payouts().len(), 1);
}

/// Finan's own 500 and an empty look-up: the payout is not sent again (money must not leave twice
/// on the strength of a look-up); the app's next create looks the reference up and sends it.
#[tokio::test]
async fn after_finans_own_500_and_an_empty_look_up_it_is_not_sent_again() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = client(&sandbox);
    sandbox.finan_faults().inject(Fault::new(
        RouteMatcher::new("POST", CREATE),
        FaultKind::Status { code: 500 },
    ));
    let before = sandbox.finan().request_count();
    let err = client
        .create_payout(&request(&sandbox, "PAYOUT-500", 1_000_000))
        .await
        .unwrap_err();
    // The look-up before, the POST, the look-up after: no second POST.
    assert_eq!(sandbox.finan().request_count() - before, 3, "{err}");
    assert!(err.to_string().contains("not sent again"), "{err}");
    assert!(sandbox.finan().payouts().is_empty());
    // The app retries by creating again: the reference is looked up first, then it is sent.
    let payout = client
        .create_payout(&request(&sandbox, "PAYOUT-500", 1_000_000))
        .await
        .unwrap();
    assert_eq!(payout.status, PayoutStatus::AwaitingOtp);
    assert_eq!(sandbox.finan().payouts().len(), 1);
}

/// A confirm that times out after the sandbox took the OTP: the payout is read, not re-confirmed.
#[tokio::test]
async fn a_timed_out_confirm_is_read_back_not_resent() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = client(&sandbox);
    let created = client
        .create_payout(&request(&sandbox, "PAYOUT-CONFIRM-SLOW", 1_000_000))
        .await
        .unwrap();
    let code = otp(&sandbox, &created.id);
    sandbox.finan_faults().inject(Fault::new(
        RouteMatcher::new("POST", &format!("{CREATE}/{}/otps", created.id)),
        FaultKind::Delay { ms: 1_500 },
    ));
    let confirmed = client
        .confirm_payout_with(
            &created.id,
            &code,
            &RequestOptions::new().timeout(Duration::from_millis(300)),
        )
        .await
        .unwrap();
    assert_ne!(confirmed.status, PayoutStatus::AwaitingOtp);
}

/// A 502 on confirm: the payout still waits for its OTP, and the OTP is not sent again.
#[tokio::test]
async fn a_confirm_lost_at_a_gateway_is_not_resent() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = client(&sandbox);
    let created = client
        .create_payout(&request(&sandbox, "PAYOUT-CONFIRM-502", 1_000_000))
        .await
        .unwrap();
    let code = otp(&sandbox, &created.id);
    sandbox.finan_faults().inject(Fault::new(
        RouteMatcher::new("POST", CREATE),
        FaultKind::Status { code: 502 },
    ));
    let err = client.confirm_payout(&created.id, &code).await.unwrap_err();
    assert_eq!(err.status(), Some(502), "{err:?}");
    assert!(err.to_string().contains("still waits for its OTP"), "{err}");
    assert_eq!(sandbox.finan_faults().applied("status"), 1);
    assert_eq!(
        sandbox.finan().payout(&created.id).unwrap().status,
        gateway_sandbox::finan::PayoutStatus::Created
    );
}

#[tokio::test]
async fn sandbox_controls_over_http() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = client(&sandbox);
    let created = client
        .create_payout(&request(&sandbox, "PAYOUT-HTTP", 1_000))
        .await
        .unwrap();
    let base = sandbox.finan_base_url().trim_end_matches("/open").to_string();
    let http = reqwest::Client::new();
    let reply: serde_json::Value = http
        .get(format!("{base}/__sandbox/finan/payouts/{}/otp", created.id))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        reply["data"]["otp"].as_str(),
        sandbox.finan().payout_otp(&created.id).as_deref()
    );
    let settings: serde_json::Value = http
        .post(format!("{base}/__sandbox/finan/payouts/settings"))
        .json(&serde_json::json!({"enterprise": false}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(settings["data"]["enterprise"], false);
    assert_eq!(
        settings["data"]["auto_settle"], true,
        "fields left out keep their value"
    );
    assert!(matches!(client.get_payout(&created.id).await, Err(Error::Forbidden(_))));
    let status = http
        .post(format!("{base}/__sandbox/finan/accounts/{}/balance", source(&sandbox)))
        .json(&serde_json::json!({"balance": 42}))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 200);
    assert_eq!(sandbox.finan().balance(&source(&sandbox)), Some(42));
}

#[test]
fn recorded_replies_decode() {
    let list = r#"{"message":{"content":"Thực thi API thành công"},"code":102000,"request_id":"af26",
        "data":[{"id":"8b1f","account_id":"54957437-0cb5-4992-ad0e-76d26ba4ddc3","amount":6000000,
        "beneficiary_account_name":"NGUYEN VAN A","beneficiary_account_number":"1234567890",
        "beneficiary_bank_id":"161","currency":"VND","reference_id":"PAYOUT-001",
        "description":"thanh toan don hang","status":"processing","created_at":"2024-01-20T14:30:00Z",
        "updated_at":"2024-01-20T14:31:00Z"}],"meta":{"page":1,"page_size":50,"total_pages":1,"total_rows":1}}"#;
    let items: Vec<payout_wire::Payout> = decode_reply(200, Some("application/json"), list.as_bytes()).unwrap();
    let payout = payout_mapping::payout(items.into_iter().next().unwrap()).unwrap();
    assert_eq!(payout.status, PayoutStatus::Processing);
    assert_eq!(payout.beneficiary.bank_id, "161");
    assert_eq!(payout.amount, Money::from_minor_units(6_000_000, Currency::VND));

    let created = r#"{"message":{"content":"Tạo thành công"},"code":102001,"request_id":"af27","data":{"id":"8b1f"}}"#;
    let data: payout_wire::CreatedPayout = decode_reply(201, Some("application/json"), created.as_bytes()).unwrap();
    assert_eq!(data.id, "8b1f");
    assert_eq!(data.status, None);

    let forbidden = r#"{"message":{"content":"Yêu cầu không hợp lệ","error":"IP not whitelisted"},"code":104000}"#;
    let err = decode_reply::<payout_wire::CreatedPayout>(403, None, forbidden.as_bytes()).unwrap_err();
    assert!(matches!(err, Error::Forbidden(_)), "{err:?}");
}
