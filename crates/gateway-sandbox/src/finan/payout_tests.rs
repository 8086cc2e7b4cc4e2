//! Payout routes over HTTP, signed with the tests' inline formula: the documented create body,
//! 400/422/404/409 checks, the OTP step, settlement, balances and the access rules.

use reqwest::StatusCode;
use serde_json::{json, Value};

use super::payment_tests::control;
use super::tests::{assert_error, call};
use super::PayoutStatus;
use crate::Sandbox;

/// The docs' cURL example body, with the seed's Shinhan master as the source.
fn body(sandbox: &Sandbox, reference: &str) -> Value {
    json!({
        "account_id": sandbox.finan().master_account_ids()[0],
        "amount": 6000000,
        "beneficiary_account_name": "NGUYEN VAN A",
        "beneficiary_account_number": "1234567890",
        "beneficiary_bank_id": "161",
        "currency": "VND",
        "reference_id": reference,
        "description": "thanh toan don hang"
    })
}

async fn create(sandbox: &Sandbox, body: &Value) -> super::tests::Reply {
    call(sandbox, "POST", "/api/v1/payouts", &body.to_string(), 0).await
}

#[tokio::test]
async fn create_confirm_settle() {
    let s = Sandbox::start().await.unwrap();
    let master = s.finan().master_account_ids()[0].clone();
    let before = s.finan().balance(&master).unwrap();
    let created = create(&s, &body(&s, "PAYOUT-001")).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(created.body["code"], 102001);
    let id = created.body["data"]["id"].as_str().unwrap().to_string();
    assert_eq!(created.body["data"]["status"], "created");
    assert_eq!(created.body["data"]["beneficiary_bank_id"], "161");

    let (status, otp) = control(&s, "GET", &format!("/__sandbox/finan/payouts/{id}/otp"), None).await;
    assert_eq!(status, StatusCode::OK);
    let otp = otp["data"]["otp"].as_str().unwrap().to_string();
    assert_eq!(otp.len(), 6);
    assert_eq!(Some(&otp), s.finan().payout_otp(&id).as_ref());

    let wrong = if otp == "000000" { "111111" } else { "000000" };
    let path = format!("/api/v1/payouts/{id}/otps");
    assert_error(
        &call(&s, "POST", &path, &json!({ "otp": wrong }).to_string(), 0).await,
        StatusCode::BAD_REQUEST,
        "Invalid OTP",
    );
    assert_error(
        &call(&s, "POST", &path, "{}", 0).await,
        StatusCode::BAD_REQUEST,
        "Missing required field: otp",
    );
    s.finan().set_payout_auto_settle(false);
    let confirmed = call(&s, "POST", &path, &json!({ "otp": otp }).to_string(), 0).await;
    assert_eq!(confirmed.status, StatusCode::OK, "{}", confirmed.body);
    assert_eq!(confirmed.body["data"]["status"], "processing");
    assert_eq!(s.finan().balance(&master).unwrap(), before - 6_000_000);
    assert_error(
        &call(&s, "POST", &path, &json!({ "otp": otp }).to_string(), 0).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "Payout is not waiting for an OTP",
    );
    let read = call(&s, "GET", &format!("/api/v1/payouts/{id}"), "", 0).await;
    assert_eq!(read.body["data"]["status"], "processing", "no auto-settle");

    let (status, settled) = control(
        &s,
        "POST",
        &format!("/__sandbox/finan/payouts/{id}/settle"),
        Some(json!({ "status": "done" })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{settled}");
    assert_eq!(settled["data"]["status"], "done");
    assert_eq!(s.finan().payout(&id).unwrap().status, PayoutStatus::Done);
    let (status, _) = control(
        &s,
        "POST",
        &format!("/__sandbox/finan/payouts/{id}/settle"),
        Some(json!({ "status": "failed" })),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "only a processing payout settles");
}

#[tokio::test]
async fn create_checks() {
    let s = Sandbox::start().await.unwrap();
    let with = |change: Value| {
        let mut b = body(&s, "PAYOUT-X");
        for (k, v) in change.as_object().unwrap() {
            if v.is_null() {
                b.as_object_mut().unwrap().remove(k);
            } else {
                b[k] = v.clone();
            }
        }
        b
    };
    let cases = [
        (
            json!({"beneficiary_bank_id": null}),
            StatusCode::BAD_REQUEST,
            "Missing required field: beneficiary_bank_id",
        ),
        (
            json!({"amount": "6000000"}),
            StatusCode::BAD_REQUEST,
            "amount must be a number",
        ),
        (
            json!({"amount": 0}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "amount must be a positive integer (VND)",
        ),
        (
            json!({"amount": 1.5}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "amount must be a positive integer (VND)",
        ),
        (
            json!({"currency": "USD"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "currency must be VND",
        ),
        (
            json!({"description": "x".repeat(31)}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "description must be at most 30 characters",
        ),
        (
            json!({"account_id": "00000000-0000-0000-0000-000000000000"}),
            StatusCode::NOT_FOUND,
            "Account ID not found",
        ),
    ];
    for (change, status, reason) in cases {
        assert_error(&create(&s, &with(change)).await, status, reason);
    }
    // Thirty Vietnamese characters are fine, though longer in bytes.
    let ok = create(&s, &with(json!({"description": "Thanh toán đơn hàng số 1234567"}))).await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.body);
    assert_error(
        &create(&s, &with(json!({}))).await,
        StatusCode::CONFLICT,
        "Duplicate reference_id",
    );

    let master = s.finan().master_account_ids()[0].clone();
    let (status, _) = control(
        &s,
        "POST",
        &format!("/__sandbox/finan/accounts/{master}/balance"),
        Some(json!({"balance": 5})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_error(
        &create(&s, &body(&s, "PAYOUT-POOR")).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "Insufficient balance: 5 VND available, 6000000 VND needed",
    );
    assert_eq!(s.finan().payouts().len(), 1);
}

#[tokio::test]
async fn access_rules_and_settings() {
    let s = Sandbox::start().await.unwrap();
    let (status, settings) = control(&s, "GET", "/__sandbox/finan/payouts/settings", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        settings["data"],
        json!({"enterprise": true, "ip_whitelist": null, "auto_settle": true})
    );

    control(
        &s,
        "POST",
        "/__sandbox/finan/payouts/settings",
        Some(json!({"enterprise": false})),
    )
    .await;
    assert_error(
        &call(&s, "GET", "/api/v1/payouts", "", 0).await,
        StatusCode::FORBIDDEN,
        "Payout API is available for Enterprise accounts only",
    );

    let (_, settings) = control(
        &s,
        "POST",
        "/__sandbox/finan/payouts/settings",
        Some(json!({"enterprise": true, "ip_whitelist": ["203.0.113.7"]})),
    )
    .await;
    assert_eq!(
        settings["data"]["auto_settle"], true,
        "fields left out keep their value"
    );
    assert_error(
        &create(&s, &body(&s, "PAYOUT-IP")).await,
        StatusCode::FORBIDDEN,
        "IP 127.0.0.1 is not whitelisted for the Payout API",
    );
    assert!(s.finan().payouts().is_empty());

    s.finan()
        .set_payout_ip_whitelist(Some(vec!["127.0.0.1".parse().unwrap()]));
    let ok = create(&s, &body(&s, "PAYOUT-IP")).await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.body);

    let listed = call(&s, "GET", "/api/v1/payouts?reference_id=PAYOUT-IP", "", 0).await;
    assert_eq!(listed.body["meta"]["total_rows"], 1);
    let none = call(&s, "GET", "/api/v1/payouts?reference_id=OTHER", "", 0).await;
    assert_eq!(none.body["meta"]["total_rows"], 0);
}
