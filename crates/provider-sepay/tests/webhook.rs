//! SePay's bank-transaction webhook and payment gateway IPN: authentication before parsing, the
//! body limit first, the mapping to core events, the replay window of the IPN, and no secret in
//! any output.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta};
use gateway_core::{
    Currency, FixedClock, Money, PaymentEvent, PaymentMethod, PaymentReceived, WebhookError, WebhookRequest,
    WebhookVerifier,
};
use provider_sepay::webhook::{
    DEFAULT_MAX_BODY_BYTES, DEFAULT_REPLAY_WINDOW, EVENT_TRANSFER_OUT, HEADER_AUTHORIZATION, HEADER_SECRET_KEY,
};
use provider_sepay::{
    SecretString, SepayBankWebhookSigner, SepayBankWebhookVerifier, SepayIpnSigner, SepayIpnVerifier,
};
use serde_json::Value;

const API_KEY: &str = "sepay-webhook-key-7Qm2xV9p";
const IPN_SECRET: &str = "spsk_ipn_secret_3e8b1c0d";
/// The `timestamp` of every IPN fixture: 2025-09-05T07:43:40Z.
const IPN_NOW: i64 = 1_757_058_220;
const PATH: &str = "/webhooks/sepay";

const BANK_IN: &str = include_str!("fixtures/webhooks/bank_transaction_in.json");
const BANK_OUT: &str = include_str!("fixtures/webhooks/bank_transaction_out.json");
const IPN_ORDER_PAID: &str = include_str!("fixtures/webhooks/ipn_order_paid.json");
const IPN_RENEWAL: &str = include_str!("fixtures/webhooks/ipn_renewal_order_paid.json");
const IPN_VOID: &str = include_str!("fixtures/webhooks/ipn_transaction_void.json");

fn bank_verifier() -> SepayBankWebhookVerifier {
    SepayBankWebhookVerifier::new(SecretString::from(API_KEY))
}

fn ipn_clock() -> Arc<FixedClock> {
    Arc::new(FixedClock::at_unix(IPN_NOW).unwrap())
}

fn ipn_verifier() -> SepayIpnVerifier {
    SepayIpnVerifier::new(SecretString::from(IPN_SECRET)).clock(ipn_clock())
}

/// Headers as SePay sends them in "API Key" mode, built by hand (not with the signer).
fn bank_headers(authorization: &str) -> Vec<(String, String)> {
    vec![
        ("Authorization".into(), authorization.into()),
        ("Content-Type".into(), "application/json".into()),
    ]
}

/// Headers as SePay sends them with an IPN (auth type SECRET_KEY), built by hand.
fn ipn_headers(secret: &str) -> Vec<(String, String)> {
    vec![
        ("X-Secret-Key".into(), secret.into()),
        ("Content-Type".into(), "application/json".into()),
    ]
}

fn verify(
    verifier: &dyn WebhookVerifier,
    headers: &[(String, String)],
    body: &[u8],
) -> Result<PaymentEvent, WebhookError> {
    let request = WebhookRequest::new("POST", PATH, body).with_headers(headers.iter().map(|(n, v)| (n, v)));
    verifier.verify(&request)
}

fn verify_bank(body: &str) -> Result<PaymentEvent, WebhookError> {
    verify(
        &bank_verifier(),
        &bank_headers(&format!("Apikey {API_KEY}")),
        body.as_bytes(),
    )
}

fn verify_ipn(body: &str) -> Result<PaymentEvent, WebhookError> {
    verify(&ipn_verifier(), &ipn_headers(IPN_SECRET), body.as_bytes())
}

fn payment(event: PaymentEvent) -> PaymentReceived {
    match event {
        PaymentEvent::PaymentReceived(payment) => payment,
        other => panic!("expected a payment, got {other:?}"),
    }
}

fn vnd(dong: i64) -> Money {
    Money::from_minor_units(dong, Currency::VND)
}

/// `json` with `field` (a top-level key, or `outer.inner`) set to `value`, as compact JSON.
fn with_field(json: &str, field: &str, value: Value) -> String {
    let mut object: Value = serde_json::from_str(json).unwrap();
    match field.split_once('.') {
        Some((outer, inner)) => object[outer][inner] = value,
        None => object[field] = value,
    }
    object.to_string()
}

/// `json` without `field` (a top-level key, or `outer.inner`).
fn without_field(json: &str, field: &str) -> String {
    let mut object: Value = serde_json::from_str(json).unwrap();
    match field.split_once('.') {
        Some((outer, inner)) => object[outer].as_object_mut().unwrap().remove(inner),
        None => object.as_object_mut().unwrap().remove(field),
    };
    object.to_string()
}

// ------------------------------------------------------------------------------------------------
// Bank-transaction webhook
// ------------------------------------------------------------------------------------------------

#[test]
fn bank_transfer_in_verifies_and_maps() {
    let payment = payment(verify_bank(BANK_IN).unwrap());
    assert_eq!(payment.provider, "sepay");
    assert_eq!(payment.event_id, "92704");
    // The payment code names the payment request; the app's reference comes from
    // `PaymentProvider::resolve_event` (SepayBankTransfer), not from the webhook.
    assert_eq!(payment.payment_request_id.as_deref(), Some("DH123"));
    assert_eq!(payment.reference_id, None);
    assert_eq!(payment.amount, vnd(2_277_000));
    assert_eq!(payment.amount.to_minor_units(), Ok(2_277_000));
    assert_eq!(payment.amount.currency(), Currency::VND);
    assert_eq!(payment.method, Some(PaymentMethod::BankTransfer));
    let paid_at = payment.paid_at.unwrap();
    assert_eq!(
        paid_at,
        DateTime::parse_from_rfc3339("2023-03-25T14:02:37+07:00").unwrap()
    );
    assert_eq!(paid_at.offset().local_minus_utc(), 7 * 3600);
    assert_eq!(paid_at.timestamp(), 1_679_727_757);

    // The same through the test signer, which produces exactly the hand-built headers.
    let signer = SepayBankWebhookSigner::new(SecretString::from(API_KEY));
    let headers = signer.headers();
    assert_eq!(
        headers,
        vec![
            ("authorization".to_string(), format!("Apikey {API_KEY}")),
            ("content-type".to_string(), "application/json".to_string()),
        ]
    );
    let event = verify(&bank_verifier(), &headers, BANK_IN.as_bytes()).unwrap();
    assert_eq!(event.event_id(), Some("92704"));
    assert_eq!(event.provider(), "sepay");
}

#[test]
fn the_whole_bank_record_is_available() {
    let headers = bank_headers(&format!("Apikey {API_KEY}"));
    let request =
        WebhookRequest::new("POST", PATH, BANK_IN.as_bytes()).with_headers(headers.iter().map(|(n, v)| (n, v)));
    let transaction = bank_verifier().verify_transaction(&request).unwrap();
    assert_eq!(transaction.id, "92704");
    assert_eq!(transaction.gateway, "Vietcombank");
    assert_eq!(transaction.account_number, "0123499999");
    assert_eq!(transaction.code.as_deref(), Some("DH123"));
    assert_eq!(transaction.content, "DH123 thanh toan don hang");
    assert_eq!(transaction.transfer_type, "in");
    assert!(transaction.is_incoming() && !transaction.is_outgoing());
    assert_eq!(transaction.transfer_amount, vnd(2_277_000));
    assert_eq!(transaction.accumulated, Some(vnd(19_077_000)));
    assert_eq!(transaction.sub_account, None);
    assert_eq!(transaction.reference_code.as_deref(), Some("MBVCB.3278907687"));
    assert_eq!(transaction.description, "BankAPINotify DH123 thanh toan don hang");
    assert_eq!(
        transaction.transaction_date.unwrap().to_rfc3339(),
        "2023-03-25T14:02:37+07:00"
    );
    assert_eq!(
        transaction.to_payment_received(),
        Some(payment(verify_bank(BANK_IN).unwrap()))
    );

    // Transfers out are records too (but no payment), and authentication still comes first.
    let request =
        WebhookRequest::new("POST", PATH, BANK_OUT.as_bytes()).with_headers(headers.iter().map(|(n, v)| (n, v)));
    let out = bank_verifier().verify_transaction(&request).unwrap();
    assert!(out.is_outgoing());
    assert_eq!(out.to_payment_received(), None);
    let wrong = bank_headers("Apikey wrong");
    let request = WebhookRequest::new("POST", PATH, BANK_IN.as_bytes()).with_headers(wrong.iter().map(|(n, v)| (n, v)));
    assert_eq!(
        bank_verifier().verify_transaction(&request),
        Err(WebhookError::BadSignature)
    );
}

#[test]
fn bank_authentication_failures() {
    let body = BANK_IN.as_bytes();
    let cases: Vec<(Vec<(String, String)>, WebhookError)> = vec![
        (bank_headers("Apikey not-the-key"), WebhookError::BadSignature),
        (bank_headers(&format!("Apikey {API_KEY}x")), WebhookError::BadSignature),
        (
            bank_headers(&format!("Apikey {}", &API_KEY[..API_KEY.len() - 1])),
            WebhookError::BadSignature,
        ),
        (
            vec![("Content-Type".into(), "application/json".into())],
            WebhookError::MissingHeader(HEADER_AUTHORIZATION),
        ),
        (bank_headers(""), WebhookError::MissingHeader(HEADER_AUTHORIZATION)),
        (
            bank_headers(&format!("Bearer {API_KEY}")),
            WebhookError::InvalidHeader(HEADER_AUTHORIZATION),
        ),
        (bank_headers(API_KEY), WebhookError::InvalidHeader(HEADER_AUTHORIZATION)),
        // A scheme without a key.
        (
            bank_headers("Apikey "),
            WebhookError::InvalidHeader(HEADER_AUTHORIZATION),
        ),
        (
            bank_headers("Apikey    "),
            WebhookError::InvalidHeader(HEADER_AUTHORIZATION),
        ),
        (
            bank_headers("Apikey"),
            WebhookError::InvalidHeader(HEADER_AUTHORIZATION),
        ),
        // The IPN's header is not the bank webhook's.
        (ipn_headers(API_KEY), WebhookError::MissingHeader(HEADER_AUTHORIZATION)),
    ];
    for (headers, expected) in cases {
        let err = verify(&bank_verifier(), &headers, body).unwrap_err();
        assert_eq!(err, expected, "{headers:?}");
        assert!(err.is_verification_failure(), "{err}");
    }

    // A verifier built with an empty key accepts nothing.
    let empty = SepayBankWebhookVerifier::new(SecretString::from(""));
    assert_eq!(
        verify(&empty, &bank_headers("Apikey x"), body),
        Err(WebhookError::BadSignature)
    );
}

#[test]
fn bank_header_name_and_scheme_case_do_not_matter() {
    for authorization in [
        format!("Apikey {API_KEY}"),
        format!("apikey {API_KEY}"),
        format!("APIKEY   {API_KEY} "),
    ] {
        let headers = vec![("AUTHORIZATION".to_string(), authorization)];
        assert!(verify(&bank_verifier(), &headers, BANK_IN.as_bytes()).is_ok());
    }
}

#[test]
fn bank_body_is_not_signed_so_a_changed_body_still_verifies() {
    // Documented limitation: the API key authenticates the sender, nothing covers the body. A
    // holder of the key can send any body; HTTPS and deduplication on the id are the protection.
    let tampered = with_field(BANK_IN, "transferAmount", Value::from(99_000_000));
    let payment = payment(verify_bank(&tampered).unwrap());
    assert_eq!(payment.amount, vnd(99_000_000));
    assert_eq!(payment.event_id, "92704");
}

#[test]
fn oversized_bodies_are_refused_before_anything_else() {
    let big = vec![b' '; DEFAULT_MAX_BODY_BYTES + 1];
    assert_eq!(DEFAULT_MAX_BODY_BYTES, 64 * 1024);
    // No headers at all, and not JSON: the size is still what is reported.
    let expected = WebhookError::BodyTooLarge {
        len: DEFAULT_MAX_BODY_BYTES + 1,
        max: DEFAULT_MAX_BODY_BYTES,
    };
    assert_eq!(verify(&bank_verifier(), &[], &big), Err(expected.clone()));
    assert_eq!(verify(&ipn_verifier(), &[], &big), Err(expected.clone()));
    assert!(expected.is_verification_failure());

    // A custom limit: a body of exactly the limit passes, one byte more does not.
    let len = BANK_IN.len();
    let headers = bank_headers(&format!("Apikey {API_KEY}"));
    assert!(verify(&bank_verifier().max_body_bytes(len), &headers, BANK_IN.as_bytes()).is_ok());
    assert_eq!(
        verify(&bank_verifier().max_body_bytes(len - 1), &headers, BANK_IN.as_bytes()),
        Err(WebhookError::BodyTooLarge { len, max: len - 1 })
    );
    let len = IPN_ORDER_PAID.len();
    assert!(verify(
        &ipn_verifier().max_body_bytes(len),
        &ipn_headers(IPN_SECRET),
        IPN_ORDER_PAID.as_bytes()
    )
    .is_ok());
    assert_eq!(
        verify(&ipn_verifier().max_body_bytes(len - 1), &[], IPN_ORDER_PAID.as_bytes()),
        Err(WebhookError::BodyTooLarge { len, max: len - 1 })
    );
}

#[test]
fn transfer_out_is_not_a_payment() {
    assert_eq!(
        verify_bank(BANK_OUT).unwrap(),
        PaymentEvent::Unknown {
            provider: "sepay",
            event_type: EVENT_TRANSFER_OUT.to_string(),
            event_id: Some("92705".to_string()),
        }
    );
    assert_eq!(EVENT_TRANSFER_OUT, "transfer_out");
    // Even with an amount that would not parse: an outgoing transfer is never read as money in.
    let odd = with_field(BANK_OUT, "transferAmount", Value::from("n/a"));
    assert!(matches!(verify_bank(&odd).unwrap(), PaymentEvent::Unknown { .. }));
}

#[test]
fn other_or_missing_transfer_types_are_unknown() {
    let credit = with_field(BANK_IN, "transferType", Value::from("credit"));
    assert_eq!(
        verify_bank(&credit).unwrap(),
        PaymentEvent::Unknown {
            provider: "sepay",
            event_type: "credit".to_string(),
            event_id: Some("92704".to_string()),
        }
    );
    let none = without_field(BANK_IN, "transferType");
    assert!(matches!(
        verify_bank(&none).unwrap(),
        PaymentEvent::Unknown { ref event_type, ref event_id, .. } if event_type.is_empty() && event_id.as_deref() == Some("92704")
    ));
    // Case of "in" does not matter.
    let upper = with_field(BANK_IN, "transferType", Value::from("IN"));
    assert_eq!(payment(verify_bank(&upper).unwrap()).amount, vnd(2_277_000));
    // Valid JSON with nothing SePay would send.
    assert_eq!(
        verify_bank(r#"{"hello":"world"}"#).unwrap(),
        PaymentEvent::Unknown {
            provider: "sepay",
            event_type: String::new(),
            event_id: None,
        }
    );
}

#[test]
fn bank_amounts_are_exact_and_whole() {
    // Numeric strings and trailing zero decimals are accepted, exactly.
    for amount in [
        Value::from("2277000"),
        Value::from(" 2277000 "),
        Value::from("2277000.00"),
    ] {
        let body = with_field(BANK_IN, "transferAmount", amount.clone());
        let payment = payment(verify_bank(&body).unwrap());
        assert_eq!(payment.amount, vnd(2_277_000), "{amount}");
        assert_eq!(payment.amount.amount().to_string(), "2277000", "{amount}");
    }
    // A JSON number with decimals, read from the text (never through f64).
    let body = BANK_IN.replace("2277000,", "2277000.00,");
    assert!(body.contains("2277000.00"));
    assert_eq!(payment(verify_bank(&body).unwrap()).amount, vnd(2_277_000));
    // More digits than f64 holds exactly.
    let body = BANK_IN.replace("2277000,", "9007199254740993,");
    assert_eq!(payment(verify_bank(&body).unwrap()).amount, vnd(9_007_199_254_740_993));

    // A fraction of a đồng, a negative amount, something that is not a number, or none: malformed.
    for (label, body) in [
        ("fraction", BANK_IN.replace("2277000,", "2277000.5,")),
        (
            "fraction string",
            with_field(BANK_IN, "transferAmount", Value::from("2277000.50")),
        ),
        ("negative", BANK_IN.replace("2277000,", "-2277000,")),
        ("text", with_field(BANK_IN, "transferAmount", Value::from("abc"))),
        ("null", with_field(BANK_IN, "transferAmount", Value::Null)),
        ("missing", without_field(BANK_IN, "transferAmount")),
    ] {
        let err = verify_bank(&body).unwrap_err();
        assert!(err.is_payload_error(), "{label}: {err}");
        let WebhookError::Malformed { what, message } = &err else {
            unreachable!()
        };
        assert!(what.contains("SePay bank-transaction webhook"), "{label}: {what}");
        if label.starts_with("fraction") {
            assert!(message.contains("đồng"), "{label}: {message}");
        }
    }
}

#[test]
fn bank_ids_codes_and_dates() {
    // The id as a string is the same id.
    let body = with_field(BANK_IN, "id", Value::from("92704"));
    assert_eq!(payment(verify_bank(&body).unwrap()).event_id, "92704");
    // No id: nothing to deduplicate on.
    for body in [
        without_field(BANK_IN, "id"),
        with_field(BANK_IN, "id", Value::from("")),
        with_field(BANK_IN, "id", Value::from(1.5)),
    ] {
        assert!(verify_bank(&body).unwrap_err().is_payload_error(), "{body}");
    }
    // No payment code recognised: no payment request (and never a reference).
    for code in [Value::Null, Value::from(""), Value::from("  ")] {
        let body = with_field(BANK_IN, "code", code);
        let paid = payment(verify_bank(&body).unwrap());
        assert_eq!(paid.payment_request_id, None);
        assert_eq!(paid.reference_id, None);
    }
    // A code is passed on as SePay sent it (trimmed).
    let body = with_field(BANK_IN, "code", Value::from(" dh7kq2m9xa "));
    assert_eq!(
        payment(verify_bank(&body).unwrap()).payment_request_id.as_deref(),
        Some("dh7kq2m9xa")
    );
    // A date SePay would not send is dropped, the payment is still reported.
    let body = with_field(BANK_IN, "transactionDate", Value::from("25/03/2023 14:02"));
    let payment = payment(verify_bank(&body).unwrap());
    assert_eq!(payment.paid_at, None);
    assert_eq!(payment.amount, vnd(2_277_000));
    // An unreadable balance does not fail a payment either.
    let body = with_field(BANK_IN, "accumulated", Value::from("n/a"));
    assert!(verify_bank(&body).is_ok());
}

#[test]
fn bank_bodies_that_are_not_json_objects_are_malformed() {
    for body in ["", "{", "not json", "[1,2]", "\"x\"", "null", "42"] {
        let err = verify_bank(body).unwrap_err();
        assert!(err.is_payload_error(), "{body:?}: {err}");
    }
    // ...but only once authentic.
    assert_eq!(
        verify(&bank_verifier(), &bank_headers("Apikey nope"), b"not json"),
        Err(WebhookError::BadSignature)
    );
}

#[test]
fn form_encoded_bank_bodies_are_read_like_json() {
    let form = "id=92704&gateway=Vietcombank&transactionDate=2023-03-25+14%3A02%3A37&accountNumber=0123499999\
                &code=DH123&content=DH123+thanh+toan+don+hang&transferType=in&transferAmount=2277000\
                &accumulated=19077000&subAccount=&referenceCode=MBVCB.3278907687&description=";
    let headers = vec![
        ("Authorization".to_string(), format!("Apikey {API_KEY}")),
        (
            "Content-Type".to_string(),
            "application/x-www-form-urlencoded; charset=UTF-8".to_string(),
        ),
    ];
    let from_form = payment(verify(&bank_verifier(), &headers, form.as_bytes()).unwrap());
    assert_eq!(from_form, payment(verify_bank(BANK_IN).unwrap()));

    let request = WebhookRequest::new("POST", PATH, form.as_bytes()).with_headers(headers.iter().map(|(n, v)| (n, v)));
    let transaction = bank_verifier().verify_transaction(&request).unwrap();
    assert_eq!(transaction.content, "DH123 thanh toan don hang");
    assert_eq!(transaction.sub_account, None);

    // A fraction of a đồng is malformed in a form too.
    let fractional = form.replace("transferAmount=2277000", "transferAmount=2277000.5");
    assert!(verify(&bank_verifier(), &headers, fractional.as_bytes())
        .unwrap_err()
        .is_payload_error());

    // Multipart is not read: the message says what to configure.
    let multipart = vec![
        ("Authorization".to_string(), format!("Apikey {API_KEY}")),
        (
            "Content-Type".to_string(),
            "multipart/form-data; boundary=xyz".to_string(),
        ),
    ];
    let err = verify(&bank_verifier(), &multipart, b"--xyz--").unwrap_err();
    let WebhookError::Malformed { message, .. } = &err else {
        panic!("{err:?}")
    };
    assert!(message.contains("JSON"), "{message}");
}

// ------------------------------------------------------------------------------------------------
// Payment gateway IPN
// ------------------------------------------------------------------------------------------------

#[test]
fn ipn_order_paid_verifies_and_maps() {
    let payment = payment(verify_ipn(IPN_ORDER_PAID).unwrap());
    assert_eq!(payment.provider, "sepay");
    assert_eq!(payment.event_id, "c41d8e2a-93f6-4b0e-a7d5-61f2b8c03e94");
    assert_eq!(payment.reference_id.as_deref(), Some("DH123"));
    // The id SepayPaymentGateway knows the payment by: the invoice number, not SePay's order id.
    assert_eq!(payment.payment_request_id.as_deref(), Some("DH123"));
    assert_eq!(payment.amount, vnd(100_000));
    assert_eq!(payment.amount.amount().to_string(), "100000");
    assert_eq!(payment.method, Some(PaymentMethod::BankTransfer));
    assert_eq!(
        payment.paid_at,
        Some(DateTime::parse_from_rfc3339("2025-09-05T14:43:32+07:00").unwrap())
    );

    // The same through the test signer, which produces exactly the hand-built headers (lowercase).
    let headers = SepayIpnSigner::new(SecretString::from(IPN_SECRET)).headers();
    assert_eq!(
        headers,
        vec![
            ("x-secret-key".to_string(), IPN_SECRET.to_string()),
            ("content-type".to_string(), "application/json".to_string()),
        ]
    );
    assert_eq!(HEADER_SECRET_KEY, "x-secret-key");
    let event = verify(&ipn_verifier(), &headers, IPN_ORDER_PAID.as_bytes()).unwrap();
    assert_eq!(event.event_id(), Some("c41d8e2a-93f6-4b0e-a7d5-61f2b8c03e94"));
}

#[test]
fn ipn_renewal_is_a_payment_with_its_own_transaction() {
    // Timestamp sent as a string; paid by card; a small numeric order id.
    let payment = payment(verify_ipn(IPN_RENEWAL).unwrap());
    assert_eq!(payment.event_id, "190");
    assert_eq!(payment.reference_id.as_deref(), Some("SUB_202509_001"));
    assert_eq!(payment.payment_request_id.as_deref(), Some("SUB_202509_001"));
    assert_eq!(payment.amount, vnd(50_000));
    assert_eq!(payment.method, Some(PaymentMethod::Card));
}

#[test]
fn ipn_payment_methods() {
    for (method, expected) in [
        ("CARD", Some(PaymentMethod::Card)),
        ("BANK_TRANSFER", Some(PaymentMethod::BankTransfer)),
        ("NAPAS_BANK_TRANSFER", Some(PaymentMethod::BankTransfer)),
        ("SOMETHING_NEW", None),
    ] {
        let body = with_field(IPN_ORDER_PAID, "transaction.payment_method", Value::from(method));
        assert_eq!(payment(verify_ipn(&body).unwrap()).method, expected, "{method}");
    }
    let body = without_field(IPN_ORDER_PAID, "transaction.payment_method");
    assert_eq!(payment(verify_ipn(&body).unwrap()).method, None);
}

#[test]
fn ipn_amounts_and_ids_fall_back_to_the_order() {
    // No transaction amount: the order's.
    let body = without_field(IPN_ORDER_PAID, "transaction.transaction_amount");
    assert_eq!(payment(verify_ipn(&body).unwrap()).amount, vnd(100_000));
    // The transaction amount is the one used when both are there.
    let body = with_field(IPN_ORDER_PAID, "transaction.transaction_amount", Value::from("99000"));
    assert_eq!(payment(verify_ipn(&body).unwrap()).amount, vnd(99_000));
    // Amounts as JSON numbers, exactly.
    let body = IPN_ORDER_PAID.replace(
        r#""transaction_amount": "100000""#,
        r#""transaction_amount": 100000.00"#,
    );
    assert!(body.contains("100000.00,"));
    assert_eq!(payment(verify_ipn(&body).unwrap()).amount, vnd(100_000));

    // No transaction id: the transaction's `transaction_id`; then the order id and the type.
    let body = without_field(IPN_ORDER_PAID, "transaction.id");
    assert_eq!(payment(verify_ipn(&body).unwrap()).event_id, "68ba9c2f41a07");
    let body = without_field(IPN_ORDER_PAID, "transaction");
    let payment = payment(verify_ipn(&body).unwrap());
    assert_eq!(payment.event_id, "7f3c2a10-5b8e-4d21-9c47-2e6a1f0b9d35:ORDER_PAID");
    assert_eq!(payment.amount, vnd(100_000));
    assert_eq!(payment.method, None);
    assert_eq!(payment.paid_at, None);
}

#[test]
fn ipn_payloads_that_cannot_be_a_payment_are_malformed() {
    let no_ids = without_field(&without_field(IPN_ORDER_PAID, "transaction"), "order.id");
    let no_ids = without_field(&no_ids, "order.order_id");
    let no_amount = without_field(
        &without_field(IPN_ORDER_PAID, "transaction.transaction_amount"),
        "order.order_amount",
    );
    for (label, body) in [
        (
            "fraction",
            with_field(
                IPN_ORDER_PAID,
                "transaction.transaction_amount",
                Value::from("100000.50"),
            ),
        ),
        ("fraction in order", {
            let body = without_field(IPN_ORDER_PAID, "transaction.transaction_amount");
            with_field(&body, "order.order_amount", Value::from("100000.01"))
        }),
        (
            "negative",
            with_field(IPN_ORDER_PAID, "transaction.transaction_amount", Value::from("-1")),
        ),
        (
            "not a number",
            with_field(IPN_ORDER_PAID, "transaction.transaction_amount", Value::from("abc")),
        ),
        (
            "unknown currency",
            with_field(IPN_ORDER_PAID, "transaction.transaction_currency", Value::from("XYZ")),
        ),
        ("no ids", no_ids),
        ("no amount", no_amount),
        (
            "order not an object",
            with_field(IPN_ORDER_PAID, "order", Value::from("x")),
        ),
        ("not json", "{".to_string()),
        ("not an object", "[]".to_string()),
    ] {
        let err = verify_ipn(&body).unwrap_err();
        assert!(err.is_payload_error(), "{label}: {err}");
        if label == "fraction" {
            assert!(err.to_string().contains("đồng"), "{err}");
        }
    }
}

#[test]
fn ipn_transaction_void_is_a_voided_transaction() {
    let event = verify_ipn(IPN_VOID).unwrap();
    assert_eq!(
        event,
        PaymentEvent::TransactionVoided {
            event_id: "c41d8e2a-93f6-4b0e-a7d5-61f2b8c03e94:TRANSACTION_VOID".to_string(),
            reference_id: Some("DH123".to_string()),
            amount: Some(vnd(100_000)),
            provider: "sepay",
        }
    );
    // Never the event id of the payment it voids, so a deduplicating receiver does not drop it.
    let paid = verify_ipn(IPN_ORDER_PAID).unwrap();
    assert_ne!(event.event_id(), paid.event_id());

    // Without amounts the void is still reported; without any id it is malformed.
    let body = without_field(
        &without_field(IPN_VOID, "transaction.transaction_amount"),
        "order.order_amount",
    );
    assert!(matches!(
        verify_ipn(&body).unwrap(),
        PaymentEvent::TransactionVoided { amount: None, .. }
    ));
    let body = without_field(&without_field(IPN_VOID, "transaction"), "order");
    assert!(verify_ipn(&body).unwrap_err().is_payload_error());
}

#[test]
fn ipn_unknown_notification_types_are_unknown() {
    let body = with_field(IPN_ORDER_PAID, "notification_type", Value::from("ORDER_REFUNDED"));
    assert_eq!(
        verify_ipn(&body).unwrap(),
        PaymentEvent::Unknown {
            provider: "sepay",
            event_type: "ORDER_REFUNDED".to_string(),
            event_id: Some("c41d8e2a-93f6-4b0e-a7d5-61f2b8c03e94:ORDER_REFUNDED".to_string()),
        }
    );
    // An unknown type is never read as money, even with a broken amount.
    let body = with_field(&body, "transaction.transaction_amount", Value::from("1.5"));
    assert!(matches!(verify_ipn(&body).unwrap(), PaymentEvent::Unknown { .. }));
    // No type, no ids.
    let body = r#"{"timestamp":1757058220}"#;
    assert_eq!(
        verify_ipn(body).unwrap(),
        PaymentEvent::Unknown {
            provider: "sepay",
            event_type: String::new(),
            event_id: None,
        }
    );
}

#[test]
fn ipn_replay_window() {
    let clock = ipn_clock();
    let verifier = SepayIpnVerifier::new(SecretString::from(IPN_SECRET)).clock(clock.clone());
    let headers = ipn_headers(IPN_SECRET);
    let body = IPN_ORDER_PAID.as_bytes();
    assert_eq!(DEFAULT_REPLAY_WINDOW, Duration::from_secs(300));

    // Fresh, and exactly at the edge either way.
    assert!(verify(&verifier, &headers, body).is_ok());
    clock.advance(TimeDelta::seconds(300));
    assert!(verify(&verifier, &headers, body).is_ok());
    // One second too old.
    clock.advance(TimeDelta::seconds(1));
    let err = verify(&verifier, &headers, body).unwrap_err();
    assert_eq!(
        err,
        WebhookError::StaleTimestamp {
            age_secs: 301,
            window_secs: 300
        }
    );
    assert!(err.is_verification_failure());
    // In the future.
    clock.advance(TimeDelta::seconds(-601));
    assert!(verify(&verifier, &headers, body).is_ok());
    clock.advance(TimeDelta::seconds(-1));
    assert_eq!(
        verify(&verifier, &headers, body),
        Err(WebhookError::StaleTimestamp {
            age_secs: -301,
            window_secs: 300
        })
    );

    // A custom window, and a timestamp sent as a string.
    let clock = ipn_clock();
    clock.advance(TimeDelta::seconds(61));
    let short = SepayIpnVerifier::new(SecretString::from(IPN_SECRET))
        .replay_window(Duration::from_secs(60))
        .clock(clock);
    assert_eq!(
        verify(&short, &headers, IPN_RENEWAL.as_bytes()),
        Err(WebhookError::StaleTimestamp {
            age_secs: 61,
            window_secs: 60
        })
    );

    // Without a usable timestamp freshness cannot be shown: the delivery is not accepted.
    for body in [
        without_field(IPN_ORDER_PAID, "timestamp"),
        with_field(IPN_ORDER_PAID, "timestamp", Value::Null),
        with_field(IPN_ORDER_PAID, "timestamp", Value::from("yesterday")),
        with_field(IPN_ORDER_PAID, "timestamp", Value::from(1_757_058_220.5)),
    ] {
        let err = verify_ipn(&body).unwrap_err();
        assert!(err.is_payload_error(), "{body}: {err}");
    }
}

#[test]
fn ipn_authentication_failures_come_before_the_body() {
    // A stale, malformed body with a wrong key reports the key.
    let stale = with_field(IPN_ORDER_PAID, "timestamp", Value::from(1));
    for body in [IPN_ORDER_PAID, stale.as_str(), "not json"] {
        let cases: Vec<(Vec<(String, String)>, WebhookError)> = vec![
            (ipn_headers("wrong-secret"), WebhookError::BadSignature),
            (ipn_headers(&format!("{IPN_SECRET} x")), WebhookError::BadSignature),
            (ipn_headers(&IPN_SECRET.to_uppercase()), WebhookError::BadSignature),
            (ipn_headers(""), WebhookError::MissingHeader(HEADER_SECRET_KEY)),
            (vec![], WebhookError::MissingHeader(HEADER_SECRET_KEY)),
            // The bank webhook's header is not the IPN's.
            (
                bank_headers(&format!("Apikey {IPN_SECRET}")),
                WebhookError::MissingHeader(HEADER_SECRET_KEY),
            ),
        ];
        for (headers, expected) in cases {
            let err = verify(&ipn_verifier(), &headers, body.as_bytes()).unwrap_err();
            assert_eq!(err, expected, "{headers:?}");
            assert!(err.is_verification_failure());
        }
    }
    // A verifier built with an empty key accepts nothing.
    let empty = SepayIpnVerifier::new(SecretString::from("")).clock(ipn_clock());
    assert_eq!(
        verify(&empty, &ipn_headers("x"), IPN_ORDER_PAID.as_bytes()),
        Err(WebhookError::BadSignature)
    );
}

// ------------------------------------------------------------------------------------------------
// Both
// ------------------------------------------------------------------------------------------------

#[test]
fn verifiers_are_object_safe_providers_named_sepay() {
    let verifiers: Vec<Arc<dyn WebhookVerifier>> = vec![Arc::new(bank_verifier()), Arc::new(ipn_verifier())];
    for verifier in &verifiers {
        assert_eq!(verifier.provider_name(), "sepay");
    }
    assert!(verify(
        verifiers[0].as_ref(),
        &bank_headers(&format!("Apikey {API_KEY}")),
        BANK_IN.as_bytes()
    )
    .is_ok());
    assert!(verify(
        verifiers[1].as_ref(),
        &ipn_headers(IPN_SECRET),
        IPN_ORDER_PAID.as_bytes()
    )
    .is_ok());
}

#[test]
fn no_secret_in_any_output() {
    let secrets = [API_KEY, IPN_SECRET];
    let assert_clean = |text: &str| {
        for secret in secrets {
            assert!(!text.contains(secret), "secret shown in {text}");
        }
    };

    let bank = bank_verifier().max_body_bytes(1234);
    let text = format!("{bank:?} {bank:#?}");
    assert_clean(&text);
    assert!(text.contains("1234") && text.contains("REDACTED"), "{text}");
    let ipn = ipn_verifier().replay_window(Duration::from_secs(42));
    let text = format!("{ipn:?} {ipn:#?}");
    assert_clean(&text);
    assert!(text.contains("42s") && text.contains("REDACTED"), "{text}");

    let bank_signer = SepayBankWebhookSigner::new(SecretString::from(API_KEY));
    let ipn_signer = SepayIpnSigner::new(SecretString::from(IPN_SECRET));
    assert_clean(&format!(
        "{bank_signer:?} {bank_signer:#?} {ipn_signer:?} {ipn_signer:#?}"
    ));

    // Every error either verifier gives for a request carrying a secret, Debug and Display.
    let mut errors = Vec::new();
    for (verifier, headers) in [
        (
            &bank as &dyn WebhookVerifier,
            bank_headers(&format!("Apikey {IPN_SECRET}")),
        ),
        (&bank, bank_headers(&format!("Bearer {API_KEY}"))),
        (&ipn, ipn_headers(API_KEY)),
    ] {
        errors.push(verify(verifier, &headers, BANK_IN.as_bytes()).unwrap_err());
    }
    errors.push(verify(&bank, &bank_headers(&format!("Apikey {API_KEY}")), b"{").unwrap_err());
    errors.push(
        verify(
            &bank,
            &bank_headers(&format!("Apikey {API_KEY}")),
            BANK_IN.replace("2277000,", "1.5,").as_bytes(),
        )
        .unwrap_err(),
    );
    errors.push(verify(&ipn_verifier(), &ipn_headers(IPN_SECRET), b"{\"timestamp\":1}").unwrap_err());
    errors.push(verify(&ipn_verifier(), &ipn_headers(IPN_SECRET), b"[]").unwrap_err());
    for err in &errors {
        assert_clean(&format!("{err:?} {err}"));
    }

    // Nor in a request's Debug, nor in the events.
    let headers = bank_headers(&format!("Apikey {API_KEY}"));
    let request =
        WebhookRequest::new("POST", PATH, BANK_IN.as_bytes()).with_headers(headers.iter().map(|(n, v)| (n, v)));
    assert_clean(&format!("{request:?}"));
    let event = verify_bank(BANK_IN).unwrap();
    assert_clean(&format!("{event:?} {}", serde_json::to_string(&event).unwrap()));
    let event = verify_ipn(IPN_ORDER_PAID).unwrap();
    assert_clean(&format!("{event:?} {}", serde_json::to_string(&event).unwrap()));
}

#[test]
fn bank_replay_window_checks_the_transaction_date_when_set() {
    // BANK_IN was booked at 2023-03-25 14:02:37 in Vietnam (07:02:37 UTC).
    let booked = DateTime::parse_from_rfc3339("2023-03-25T14:02:37+07:00")
        .unwrap()
        .timestamp();
    let clock = Arc::new(FixedClock::at_unix(booked).unwrap());
    let windowed = bank_verifier()
        .replay_window(Duration::from_secs(3600))
        .clock(clock.clone());
    let headers = bank_headers(&format!("Apikey {API_KEY}"));
    let check = |body: &str| verify(&windowed, &headers, body.as_bytes());

    // Within the hour, either way: accepted.
    clock.advance(TimeDelta::minutes(59));
    assert!(matches!(check(BANK_IN), Ok(PaymentEvent::PaymentReceived(_))));
    // Replayed a day later: refused, with the age.
    clock.advance(TimeDelta::hours(23));
    match check(BANK_IN) {
        Err(WebhookError::StaleTimestamp { age_secs, window_secs }) => {
            assert_eq!((age_secs, window_secs), (23 * 3600 + 59 * 60, 3600));
        }
        other => panic!("{other:?}"),
    }
    // Dated in the future beyond the window: refused too.
    let future = with_field(BANK_IN, "transactionDate", Value::from("2023-03-27 14:02:37"));
    assert!(matches!(check(&future), Err(WebhookError::StaleTimestamp { .. })));
    // Without a readable date, a windowed verifier cannot vouch for it: malformed, not a payment.
    let undated = without_field(BANK_IN, "transactionDate");
    assert!(matches!(check(&undated), Err(WebhookError::Malformed { .. })));
    let garbled = with_field(BANK_IN, "transactionDate", Value::from("25/03/2023"));
    assert!(matches!(check(&garbled), Err(WebhookError::Malformed { .. })));
    // A wrong key is still refused first.
    let forged = verify(&windowed, &bank_headers("Apikey nope"), BANK_IN.as_bytes());
    assert!(matches!(forged, Err(WebhookError::BadSignature)));

    // Off by default: the same old delivery verifies (deduplication is the guard).
    assert!(matches!(verify_bank(BANK_IN), Ok(PaymentEvent::PaymentReceived(_))));
    assert!(format!("{windowed:?}").contains("replay_window: Some(3600s)"));
}
