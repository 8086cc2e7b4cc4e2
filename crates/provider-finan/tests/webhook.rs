//! Finan's payment webhook: verification (size, headers, client id, signature, replay window)
//! before parsing, the seed payload's mapping, unknown events, and no secret in any output.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta};
use gateway_core::{
    Currency, FixedClock, Money, PaymentEvent, PaymentMethod, WebhookError, WebhookRequest, WebhookVerifier,
};
use provider_finan::webhook::{DEFAULT_MAX_BODY_BYTES, HEADER_CLIENT_ID, HEADER_SIGNATURE, HEADER_TIMESTAMP};
use provider_finan::{FinanWebhookSigner, FinanWebhookVerifier, SecretString};
use sha2::{Digest, Sha256};

const CLIENT_ID: &str = "test-client-id";
const SECRET: &str = "test-secret-key-5f3a9c";
/// 2024-01-20T14:30:00Z, the seed payload's `created_at`.
const NOW: i64 = 1_705_761_000;
const PATH: &str = "/webhooks/finan?shop=1";

/// The seed's webhook payload (Payment Gateway document, "Payment Webhook"), compact.
const SEED_BODY: &str = r#"{"id":"PAY-001","reference_id":"DH970422","payment_method":"bank_transfer","payment_request_id":"PR-550e8400-e29b-41d4-a716-446655440000","amount":6000000,"created_at":"2024-01-20T14:30:00Z"}"#;

/// `SEED_BODY` POSTed to `PATH` at `NOW` with `SECRET`, worked out outside Rust:
/// `printf '%s' "test-secret-key-5f3a9c_POST_/webhooks/finan?shop=1_${SEED_BODY}_1705761000" | sha256sum`
const SEED_SIGNATURE: &str = "f57ac42abb60d8bb69213f2ed923a51a06a8c7cde94167917ff8baf87e770979";

fn clock() -> Arc<FixedClock> {
    Arc::new(FixedClock::at_unix(NOW).unwrap())
}

fn verifier() -> FinanWebhookVerifier {
    FinanWebhookVerifier::new(CLIENT_ID, SecretString::from(SECRET)).clock(clock())
}

fn signer() -> FinanWebhookSigner {
    FinanWebhookSigner::new(CLIENT_ID, SecretString::from(SECRET))
}

/// The documented formula, computed here with `sha2` and nothing from the crate:
/// `hex(sha256(secret + "_" + "POST" + "_" + path + "_" + body + "_" + timestamp))`.
fn documented_signature(secret: &str, path: &str, body: &[u8], timestamp: i64) -> String {
    let mut message = Vec::new();
    message.extend_from_slice(secret.as_bytes());
    message.extend_from_slice(b"_POST_");
    message.extend_from_slice(path.as_bytes());
    message.push(b'_');
    message.extend_from_slice(body);
    message.push(b'_');
    message.extend_from_slice(timestamp.to_string().as_bytes());
    Sha256::digest(&message)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// Headers as Finan sends them, built by hand (not with the signer).
fn headers_by_hand(client_id: &str, secret: &str, path: &str, body: &[u8], timestamp: i64) -> Vec<(String, String)> {
    vec![
        ("x-client-id".into(), client_id.into()),
        (
            "x-signature".into(),
            documented_signature(secret, path, body, timestamp),
        ),
        ("x-timestamp".into(), timestamp.to_string()),
    ]
}

fn request<'a>(path: &'a str, headers: &'a [(String, String)], body: &'a [u8]) -> WebhookRequest<'a> {
    WebhookRequest::new("POST", path, body).with_headers(headers.iter().map(|(n, v)| (n, v)))
}

fn verify(
    verifier: &FinanWebhookVerifier,
    path: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> Result<PaymentEvent, WebhookError> {
    verifier.verify(&request(path, headers, body))
}

fn payment(event: PaymentEvent) -> gateway_core::PaymentReceived {
    match event {
        PaymentEvent::PaymentReceived(payment) => payment,
        other => panic!("expected a payment, got {other:?}"),
    }
}

#[test]
fn the_documented_formula_gives_the_worked_out_vector_and_the_signer_agrees() {
    let by_hand = documented_signature(SECRET, PATH, SEED_BODY.as_bytes(), NOW);
    assert_eq!(by_hand, SEED_SIGNATURE);
    let signed = signer().sign(PATH, SEED_BODY.as_bytes(), NOW);
    assert_eq!(
        signed,
        vec![
            ("x-client-id".to_string(), CLIENT_ID.to_string()),
            ("x-signature".to_string(), SEED_SIGNATURE.to_string()),
            ("x-timestamp".to_string(), NOW.to_string()),
        ]
    );
    assert_eq!(
        (HEADER_CLIENT_ID, HEADER_SIGNATURE, HEADER_TIMESTAMP),
        ("x-client-id", "x-signature", "x-timestamp")
    );
}

#[test]
fn seed_payload_verifies_and_maps() {
    // Signed independently of the crate, so a bug shared by signer and verifier cannot pass.
    let headers = headers_by_hand(CLIENT_ID, SECRET, PATH, SEED_BODY.as_bytes(), NOW);
    let payment = payment(verify(&verifier(), PATH, &headers, SEED_BODY.as_bytes()).unwrap());
    assert_eq!(payment.event_id, "PAY-001");
    assert_eq!(payment.provider, "finan");
    assert_eq!(payment.amount, Money::from_minor_units(6_000_000, Currency::VND));
    assert_eq!(payment.amount.to_minor_units(), Ok(6_000_000));
    assert_eq!(payment.reference_id.as_deref(), Some("DH970422"));
    assert_eq!(
        payment.payment_request_id.as_deref(),
        Some("PR-550e8400-e29b-41d4-a716-446655440000")
    );
    assert_eq!(payment.method, Some(PaymentMethod::BankTransfer));
    assert_eq!(
        payment.paid_at,
        Some(DateTime::parse_from_rfc3339("2024-01-20T14:30:00Z").unwrap())
    );
    assert_eq!(payment.paid_at.unwrap().timestamp(), NOW);

    // And the same through the signer.
    let headers = signer().sign(PATH, SEED_BODY.as_bytes(), NOW);
    let event = verify(&verifier(), PATH, &headers, SEED_BODY.as_bytes()).unwrap();
    assert_eq!(event.event_id(), Some("PAY-001"));
}

#[test]
fn the_seed_body_as_printed_in_the_document_verifies_byte_for_byte() {
    // Pretty-printed, as in the seed: the raw bytes are signed, not re-serialized JSON.
    let body = "{\n\"id\": \"PAY-001\",\n\"reference_id\": \"DH970422\",\n\"payment_method\": \"bank_transfer\",\n\"payment_request_id\": \"PR-550e8400-e29b-41d4-a716-446655440000\",\n\"amount\": 6000000,\n\"created_at\": \"2024-01-20T14:30:00Z\"\n}";
    let headers = headers_by_hand(CLIENT_ID, SECRET, "/webhook", body.as_bytes(), NOW);
    let payment = payment(verify(&verifier(), "/webhook", &headers, body.as_bytes()).unwrap());
    assert_eq!(payment.amount, Money::from_minor_units(6_000_000, Currency::VND));
}

#[test]
fn other_methods_and_a_qr_payment_without_request_map() {
    let cases = [
        ("card", Some(PaymentMethod::Card)),
        ("ewallet_momo", Some(PaymentMethod::EWallet)),
        ("zalopay", None),
    ];
    for (method, expected) in cases {
        // Amount as a digit string, no payment request, a +07:00 offset.
        let body = format!(
            r#"{{"id":"PAY-9","payment_method":"{method}","amount":"150000","created_at":"2024-01-20T21:30:00+07:00","future_field":[1]}}"#
        );
        let headers = signer().sign(PATH, body.as_bytes(), NOW);
        let payment = payment(verify(&verifier(), PATH, &headers, body.as_bytes()).unwrap());
        assert_eq!(payment.method, expected, "{method}");
        assert_eq!(payment.amount, Money::from_minor_units(150_000, Currency::VND));
        assert_eq!(payment.payment_request_id, None);
        assert_eq!(payment.reference_id, None);
        assert_eq!(payment.paid_at.unwrap().timestamp(), NOW);
        assert_eq!(payment.paid_at.unwrap().offset().local_minus_utc(), 7 * 3600);
    }
}

#[test]
fn header_names_are_case_insensitive_and_values_trimmed() {
    let headers: Vec<(String, String)> = signer()
        .sign(PATH, SEED_BODY.as_bytes(), NOW)
        .into_iter()
        .map(|(name, value)| (name.to_ascii_uppercase(), format!(" {value} ")))
        .collect();
    assert!(verify(&verifier(), PATH, &headers, SEED_BODY.as_bytes()).is_ok());
}

#[test]
fn an_upper_case_hex_signature_verifies() {
    let mut headers = signer().sign(PATH, SEED_BODY.as_bytes(), NOW);
    headers[1].1 = headers[1].1.to_ascii_uppercase();
    assert!(verify(&verifier(), PATH, &headers, SEED_BODY.as_bytes()).is_ok());
}

#[test]
fn tampered_body_is_a_bad_signature() {
    let headers = signer().sign(PATH, SEED_BODY.as_bytes(), NOW);
    let tampered = SEED_BODY.replace("6000000", "9000000");
    assert_eq!(
        verify(&verifier(), PATH, &headers, tampered.as_bytes()),
        Err(WebhookError::BadSignature)
    );
    let with_space = format!("{SEED_BODY} ");
    assert_eq!(
        verify(&verifier(), PATH, &headers, with_space.as_bytes()),
        Err(WebhookError::BadSignature)
    );
}

#[test]
fn tampered_signature_is_a_bad_signature() {
    let mut headers = signer().sign(PATH, SEED_BODY.as_bytes(), NOW);
    let original = headers[1].1.clone();
    for bad in [
        format!("{}0", &original[..63]),
        original[..63].to_string(),
        format!("{original}00"),
        "not-hex".to_string(),
    ] {
        if bad == original {
            continue;
        }
        headers[1].1 = bad.clone();
        assert_eq!(
            verify(&verifier(), PATH, &headers, SEED_BODY.as_bytes()),
            Err(WebhookError::BadSignature),
            "{bad}"
        );
    }
}

#[test]
fn wrong_secret_is_a_bad_signature() {
    let headers = headers_by_hand(CLIENT_ID, "another-secret", PATH, SEED_BODY.as_bytes(), NOW);
    assert_eq!(
        verify(&verifier(), PATH, &headers, SEED_BODY.as_bytes()),
        Err(WebhookError::BadSignature)
    );
}

#[test]
fn a_verifier_with_an_empty_secret_rejects_everything() {
    let verifier = FinanWebhookVerifier::new(CLIENT_ID, SecretString::from("")).clock(clock());
    let headers = headers_by_hand(CLIENT_ID, "", PATH, SEED_BODY.as_bytes(), NOW);
    assert_eq!(
        verify(&verifier, PATH, &headers, SEED_BODY.as_bytes()),
        Err(WebhookError::BadSignature)
    );
}

#[test]
fn wrong_client_id_is_a_mismatch() {
    let headers = headers_by_hand("someone-else", SECRET, PATH, SEED_BODY.as_bytes(), NOW);
    assert_eq!(
        verify(&verifier(), PATH, &headers, SEED_BODY.as_bytes()),
        Err(WebhookError::ClientIdMismatch)
    );
    // A prefix of the right id is not the right id.
    let headers = headers_by_hand(&CLIENT_ID[..4], SECRET, PATH, SEED_BODY.as_bytes(), NOW);
    assert_eq!(
        verify(&verifier(), PATH, &headers, SEED_BODY.as_bytes()),
        Err(WebhookError::ClientIdMismatch)
    );
}

#[test]
fn a_different_path_than_signed_is_a_bad_signature() {
    let headers = signer().sign(PATH, SEED_BODY.as_bytes(), NOW);
    for path in [
        "/webhooks/finan",
        "/webhooks/finan?shop=2",
        "/webhooks/finan/?shop=1",
        "/other?shop=1",
        "/Webhooks/finan?shop=1",
    ] {
        assert_eq!(
            verify(&verifier(), path, &headers, SEED_BODY.as_bytes()),
            Err(WebhookError::BadSignature),
            "{path}"
        );
    }
}

#[test]
fn timestamps_within_the_window_pass_and_outside_are_stale() {
    let body = SEED_BODY.as_bytes();
    for (age, ok) in [
        (0, true),
        (299, true),
        (300, true),
        (301, false),
        (-299, true),
        (-300, true),
        (-301, false),
    ] {
        let headers = signer().sign(PATH, body, NOW - age);
        let result = verify(&verifier(), PATH, &headers, body);
        if ok {
            assert!(result.is_ok(), "age {age}: {result:?}");
        } else {
            assert_eq!(
                result,
                Err(WebhookError::StaleTimestamp {
                    age_secs: age,
                    window_secs: 300
                }),
                "age {age}"
            );
        }
    }
}

#[test]
fn the_clock_decides_what_is_stale() {
    let clock = clock();
    let verifier = FinanWebhookVerifier::new(CLIENT_ID, SecretString::from(SECRET)).clock(clock.clone());
    let headers = signer().sign(PATH, SEED_BODY.as_bytes(), NOW);
    assert!(verify(&verifier, PATH, &headers, SEED_BODY.as_bytes()).is_ok());
    clock.advance(TimeDelta::seconds(301));
    let err = verify(&verifier, PATH, &headers, SEED_BODY.as_bytes()).unwrap_err();
    assert_eq!(
        err,
        WebhookError::StaleTimestamp {
            age_secs: 301,
            window_secs: 300
        }
    );
    assert!(err.is_verification_failure());
}

#[test]
fn a_timestamp_from_the_future_beyond_the_window_is_stale() {
    let headers = signer().sign(PATH, SEED_BODY.as_bytes(), NOW + 3600);
    assert_eq!(
        verify(&verifier(), PATH, &headers, SEED_BODY.as_bytes()),
        Err(WebhookError::StaleTimestamp {
            age_secs: -3600,
            window_secs: 300
        })
    );
}

#[test]
fn a_replayed_delivery_an_hour_old_is_stale() {
    // A genuine delivery captured an hour ago, sent again unchanged.
    let headers = headers_by_hand(CLIENT_ID, SECRET, PATH, SEED_BODY.as_bytes(), NOW - 3600);
    assert_eq!(
        verify(&verifier(), PATH, &headers, SEED_BODY.as_bytes()),
        Err(WebhookError::StaleTimestamp {
            age_secs: 3600,
            window_secs: 300
        })
    );
    // A longer window lets it through.
    let lenient = verifier().replay_window(Duration::from_secs(7200));
    assert!(verify(&lenient, PATH, &headers, SEED_BODY.as_bytes()).is_ok());
}

#[test]
fn extreme_timestamps_do_not_overflow() {
    for timestamp in [i64::MIN, i64::MAX, 0] {
        let headers = signer().sign(PATH, SEED_BODY.as_bytes(), timestamp);
        let err = verify(&verifier(), PATH, &headers, SEED_BODY.as_bytes()).unwrap_err();
        assert!(
            matches!(err, WebhookError::StaleTimestamp { .. }),
            "{timestamp}: {err:?}"
        );
    }
}

#[test]
fn a_stale_timestamp_with_a_bad_signature_is_a_bad_signature() {
    // The signature is checked first: an unauthenticated request learns nothing about the window.
    let headers = headers_by_hand(CLIENT_ID, "wrong", PATH, SEED_BODY.as_bytes(), NOW - 3600);
    assert_eq!(
        verify(&verifier(), PATH, &headers, SEED_BODY.as_bytes()),
        Err(WebhookError::BadSignature)
    );
}

#[test]
fn an_oversized_body_is_refused_before_anything_else() {
    let big = vec![b'{'; DEFAULT_MAX_BODY_BYTES + 1];
    // No headers at all: the size is checked before any header or signature.
    assert_eq!(
        verify(&verifier(), PATH, &[], &big),
        Err(WebhookError::BodyTooLarge {
            len: DEFAULT_MAX_BODY_BYTES + 1,
            max: DEFAULT_MAX_BODY_BYTES
        })
    );
    // Even correctly signed.
    let headers = signer().sign(PATH, &big, NOW);
    let err = verify(&verifier(), PATH, &headers, &big).unwrap_err();
    assert!(matches!(err, WebhookError::BodyTooLarge { .. }) && err.is_verification_failure());

    // Exactly at the limit is fine; a smaller limit applies.
    let small = verifier().max_body_bytes(SEED_BODY.len());
    let headers = signer().sign(PATH, SEED_BODY.as_bytes(), NOW);
    assert!(verify(&small, PATH, &headers, SEED_BODY.as_bytes()).is_ok());
    let smaller = verifier().max_body_bytes(SEED_BODY.len() - 1);
    assert_eq!(
        verify(&smaller, PATH, &headers, SEED_BODY.as_bytes()),
        Err(WebhookError::BodyTooLarge {
            len: SEED_BODY.len(),
            max: SEED_BODY.len() - 1
        })
    );
}

#[test]
fn each_missing_header_is_named() {
    let full = signer().sign(PATH, SEED_BODY.as_bytes(), NOW);
    for name in ["x-client-id", "x-signature", "x-timestamp"] {
        let without: Vec<(String, String)> = full.iter().filter(|(n, _)| n != name).cloned().collect();
        assert_eq!(
            verify(&verifier(), PATH, &without, SEED_BODY.as_bytes()),
            Err(WebhookError::MissingHeader(name)),
            "without {name}"
        );
        let blank: Vec<(String, String)> = full
            .iter()
            .map(|(n, v)| (n.clone(), if n == name { "  ".to_string() } else { v.clone() }))
            .collect();
        assert_eq!(
            verify(&verifier(), PATH, &blank, SEED_BODY.as_bytes()),
            Err(WebhookError::MissingHeader(name)),
            "blank {name}"
        );
    }
    assert_eq!(
        verify(&verifier(), PATH, &[], SEED_BODY.as_bytes()),
        Err(WebhookError::MissingHeader("x-client-id"))
    );
}

#[test]
fn a_non_utf8_header_counts_as_missing() {
    let full = signer().sign(PATH, SEED_BODY.as_bytes(), NOW);
    let raw: &[u8] = &[0xff, 0xfe];
    let request = WebhookRequest::new("POST", PATH, SEED_BODY.as_bytes())
        .with_header("x-client-id", &full[0].1)
        .with_header("x-signature", raw)
        .with_header("x-timestamp", &full[2].1);
    assert_eq!(
        verifier().verify(&request),
        Err(WebhookError::MissingHeader("x-signature"))
    );
}

#[test]
fn a_timestamp_that_is_not_an_integer_is_invalid() {
    for bad in ["soon", "1705761000.5", "+1705761000", "2024-01-20T14:30:00Z"] {
        let mut headers = signer().sign(PATH, SEED_BODY.as_bytes(), NOW);
        headers[2].1 = bad.to_string();
        let err = verify(&verifier(), PATH, &headers, SEED_BODY.as_bytes()).unwrap_err();
        assert_eq!(err, WebhookError::InvalidHeader("x-timestamp"), "{bad}");
        assert!(err.is_verification_failure());
    }
}

#[test]
fn unknown_event_json_with_a_valid_signature_is_unknown() {
    let body = br#"{"event":"invoice.created","id":"INV-77","data":{"invoice_code":"INV-001"}}"#;
    let headers = signer().sign(PATH, body, NOW);
    assert_eq!(
        verify(&verifier(), PATH, &headers, body),
        Ok(PaymentEvent::Unknown {
            provider: "finan",
            event_type: "invoice.created".into(),
            event_id: Some("INV-77".into()),
        })
    );

    // A typed event with payment-like fields is still not money received.
    let body = br#"{"type":"payment.refunded","id":"PAY-001","payment_method":"card","amount":6000000,"created_at":"2024-01-20T14:30:00Z"}"#;
    let headers = signer().sign(PATH, body, NOW);
    let event = verify(&verifier(), PATH, &headers, body).unwrap();
    assert!(
        matches!(&event, PaymentEvent::Unknown { event_type, .. } if event_type == "payment.refunded"),
        "{event:?}"
    );
    assert_eq!(event.event_id(), Some("PAY-001"));

    // An object with neither a type nor payment fields.
    let body = br#"{"ping":true}"#;
    let headers = signer().sign(PATH, body, NOW);
    let event = verify(&verifier(), PATH, &headers, body).unwrap();
    assert!(
        matches!(&event, PaymentEvent::Unknown { event_type, event_id: None, provider: "finan" } if event_type.is_empty()),
        "{event:?}"
    );
}

#[test]
fn malformed_json_with_a_valid_signature_is_malformed() {
    for body in [
        &b"{\"id\":\"PAY-001\",\"amount\":"[..],
        b"not json",
        b"",
        b"[]",
        b"42",
        // The payment payload with a fractional amount, or without its id.
        br#"{"id":"PAY-001","payment_method":"card","amount":1.5,"created_at":"2024-01-20T14:30:00Z"}"#,
        br#"{"payment_method":"card","amount":1000,"created_at":"2024-01-20T14:30:00Z"}"#,
    ] {
        let headers = signer().sign(PATH, body, NOW);
        let err = verify(&verifier(), PATH, &headers, body).unwrap_err();
        assert!(
            matches!(&err, WebhookError::Malformed { what, .. } if what.contains("Finan")),
            "{}: {err:?}",
            String::from_utf8_lossy(body)
        );
        assert!(err.is_payload_error() && !err.is_verification_failure());
    }
}

#[test]
fn malformed_json_with_a_bad_signature_is_a_bad_signature() {
    let body = b"not json";
    let headers = headers_by_hand(CLIENT_ID, "wrong", PATH, body, NOW);
    assert_eq!(
        verify(&verifier(), PATH, &headers, body),
        Err(WebhookError::BadSignature)
    );
}

#[test]
fn the_verifier_works_behind_dyn() {
    let verifier: Arc<dyn WebhookVerifier> = Arc::new(verifier());
    assert_eq!(verifier.provider_name(), "finan");
    let headers = signer().sign(PATH, SEED_BODY.as_bytes(), NOW);
    let event = verifier.verify(&request(PATH, &headers, SEED_BODY.as_bytes())).unwrap();
    assert_eq!(event.provider(), "finan");
}

/// True when `text` has a run of 64 hex digits (what a signature looks like).
fn has_hex_digest(text: &str) -> bool {
    text.as_bytes()
        .split(|b| !b.is_ascii_hexdigit())
        .any(|run| run.len() >= 64)
}

#[test]
fn debug_and_errors_never_show_the_secret_or_a_signature() {
    let verifier = verifier();
    let signer = signer();
    let mut shown = vec![
        format!("{verifier:?}"),
        format!("{verifier:#?}"),
        format!("{signer:?}"),
        format!("{signer:#?}"),
    ];
    for text in &shown {
        assert!(text.contains(CLIENT_ID) && text.contains("REDACTED"), "{text}");
    }

    let body = SEED_BODY.as_bytes();
    let good = signer.sign(PATH, body, NOW);
    let wrong_secret = headers_by_hand(CLIENT_ID, "wrong", PATH, body, NOW);
    let wrong_client = headers_by_hand("other", SECRET, PATH, body, NOW);
    let stale = signer.sign(PATH, body, NOW - 3600);
    let big = vec![b' '; DEFAULT_MAX_BODY_BYTES + 1];
    let bad_json = b"{\"secret\": ";
    let bad_json_headers = signer.sign(PATH, bad_json, NOW);
    let mut bad_ts = good.clone();
    bad_ts[2].1 = "x".into();
    let errors = [
        verify(&verifier, PATH, &wrong_secret, body),
        verify(&verifier, "/elsewhere", &good, body),
        verify(&verifier, PATH, &wrong_client, body),
        verify(&verifier, PATH, &stale, body),
        verify(&verifier, PATH, &good, &big),
        verify(&verifier, PATH, &good[1..], body),
        verify(&verifier, PATH, &bad_ts, body),
        verify(&verifier, PATH, &bad_json_headers, bad_json),
    ];
    let mut expected_signatures = vec![
        documented_signature(SECRET, PATH, body, NOW),
        documented_signature(SECRET, "/elsewhere", body, NOW),
        documented_signature(SECRET, PATH, body, NOW - 3600),
    ];
    expected_signatures.push(good[1].1.clone());
    for result in errors {
        let err = result.unwrap_err();
        shown.push(format!("{err:?}"));
        shown.push(format!("{err:#?}"));
        shown.push(err.to_string());
    }
    for text in &shown {
        assert!(!text.contains(SECRET), "secret in {text}");
        assert!(!has_hex_digest(text), "a digest in {text}");
        for signature in &expected_signatures {
            assert!(!text.contains(signature.as_str()), "signature in {text}");
        }
    }
}
