//! The fuzz harnesses: one function per cargo-fuzz target, each taking arbitrary bytes.
//!
//! Shared, via `#[path]`, by the nightly fuzz targets (`fuzz/fuzz_targets/*.rs`) and the stable
//! corpus replay and proptest checks (`tests/fuzz_corpus.rs`), so CI re-runs the exact code the
//! fuzzer ran. Each harness must not panic on any input; where cheap it also asserts a property
//! of what decoded (round trips, exactness), and those assertions are the crashes to look for.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use gateway_core::lenient;
use gateway_core::money::{Currency, Money, MoneyError};
use gateway_core::webhook::{FixedClock, PaymentEvent, WebhookError, WebhookRequest, WebhookVerifier};
use provider_finan::webhook::{FinanWebhookSigner, FinanWebhookVerifier};
use provider_finan::{mapping, payment_mapping, payment_wire, wire};
use provider_sepay::decode::{decode_reply, Endpoint};
use provider_sepay::webhook::{SepayBankWebhookSigner, SepayBankWebhookVerifier, SepayIpnSigner, SepayIpnVerifier};
use provider_sepay::SecretString;
use rust_decimal::Decimal;

/// A harness: arbitrary bytes in; panics only on a bug.
pub type Harness = fn(&[u8]);

/// Every fuzz target: its name (the corpus directory under `fuzz/corpus/`) and its harness.
pub const TARGETS: &[(&str, Harness)] = &[
    ("vietqr_decode", vietqr_decode),
    ("money_parse", money_parse),
    ("finan_response", finan_response),
    ("sepay_response", sepay_response),
    ("finan_webhook", finan_webhook),
    ("sepay_webhook", sepay_webhook),
];

/// HTTP statuses a reply may come with; the low 4 bits of a response input's first byte pick one
/// (the fuzzer then reaches every status mapping, not just the rare byte values that are statuses).
pub const STATUSES: [u16; 16] = [
    200, 201, 204, 400, 401, 403, 404, 409, 422, 429, 500, 502, 503, 504, 302, 1000,
];

/// Content types a reply may come with; the high 4 bits of a response input's first byte pick one.
pub const CONTENT_TYPES: [Option<&str>; 4] = [
    Some("application/json"),
    Some("text/html; charset=UTF-8"),
    None,
    Some("application/json; charset=utf-8"),
];

/// A response input: first byte = status (low 4 bits) and content type (high bits), the rest = body.
fn reply_parts(data: &[u8]) -> Option<(u16, Option<&'static str>, &[u8])> {
    let (&head, body) = data.split_first()?;
    let status = STATUSES[usize::from(head & 0x0f)];
    let content_type = CONTENT_TYPES[usize::from(head >> 4) % CONTENT_TYPES.len()];
    Some((status, content_type, body))
}

/// Finan's reply decoding as the client does it ([`provider_finan::decode_reply`]: envelope, status
/// and envelope-code mapping, `data`), into the wire model of every endpoint the client reads,
/// then mapped to core types as the client maps them. Input: see `reply_parts`.
/// Property: a non-2xx status is never `Ok`.
pub fn finan_response(data: &[u8]) {
    let Some((status, content_type, body)) = reply_parts(data) else {
        return;
    };
    let success = (200..300).contains(&status);
    let mut any_ok = false;

    let list = provider_finan::decode_reply::<Option<Vec<wire::Account>>>(status, content_type, body);
    if let Ok(accounts) = list {
        any_ok = true;
        for account in accounts.unwrap_or_default() {
            let _ = mapping::master_account(account.clone());
            if let Ok(mapped) = mapping::bank_account(account) {
                check_balance(mapped.balance.as_ref());
            }
        }
    }
    if let Ok(account) = provider_finan::decode_reply::<wire::Account>(status, content_type, body) {
        any_ok = true;
        let _ = mapping::bank_account(account);
    }
    if let Ok(created) = provider_finan::decode_reply::<wire::CreatedBankAccount>(status, content_type, body) {
        any_ok = true;
        let _ = mapping::created_bank_account(created, "master-1");
    }
    let payments =
        provider_finan::decode_reply::<Option<Vec<payment_wire::PaymentRequest>>>(status, content_type, body);
    if let Ok(payments) = payments {
        any_ok = true;
        for payment in payments.unwrap_or_default() {
            let _ = payment_mapping::payment_request(payment);
        }
    }
    if let Ok(payment) = provider_finan::decode_reply::<payment_wire::PaymentRequest>(status, content_type, body) {
        any_ok = true;
        let _ = payment_mapping::payment_request(payment);
    }
    if provider_finan::decode_reply::<payment_wire::CreatedPayment>(status, content_type, body).is_ok() {
        any_ok = true;
    }
    assert!(success || !any_ok, "HTTP {status} decoded as a success");
}

/// A balance that decoded is an exact amount: whole đồng or a precision error, never rounded.
fn check_balance(balance: Option<&Money>) {
    if let Some(money) = balance {
        if let Ok(minor) = money.to_minor_units() {
            assert_eq!(&Money::from_minor_units(minor, money.currency()), money);
        }
    }
}

/// SePay's reply decoding as the client does it ([`provider_sepay::decode::decode_reply`]) for every
/// endpoint: API-token (`/userapi`: numbers as strings, the empty HTTP 200, the envelope status),
/// OAuth (`/api/v1`), Order API and transactions. Input: see `reply_parts`.
/// Property: a non-2xx status is never `Ok`.
pub fn sepay_response(data: &[u8]) {
    let Some((status, content_type, body)) = reply_parts(data) else {
        return;
    };
    for endpoint in Endpoint::ALL {
        let decoded = decode_reply(endpoint, status, content_type, body);
        assert!(
            (200..300).contains(&status) || decoded.is_err(),
            "HTTP {status} decoded as a success for {endpoint:?}"
        );
    }
}

/// The Unix time the webhook harnesses' clocks stand at (2024-01-20T14:30:00Z).
const WEBHOOK_NOW: i64 = 1_705_761_000;

/// Splits `"name: value\n...\n\nbody"` into headers and body (for the raw-header modes).
fn raw_request(data: &[u8]) -> (Vec<(&str, &[u8])>, &[u8]) {
    let mut headers = Vec::new();
    let mut rest = data;
    while let Some(end) = rest.iter().position(|&b| b == b'\n') {
        let line = &rest[..end];
        rest = &rest[end + 1..];
        if line.is_empty() {
            break;
        }
        let colon = line.iter().position(|&b| b == b':').unwrap_or(line.len());
        let Ok(name) = std::str::from_utf8(&line[..colon]) else {
            continue;
        };
        headers.push((name, line.get(colon + 1..).unwrap_or_default()));
    }
    (headers, rest)
}

/// Finan's webhook: [`FinanWebhookVerifier::verify`] (headers, client id, timestamp, signature,
/// replay window, then the payload parser).
///
/// First byte even: the rest is a body signed with [`FinanWebhookSigner`] (so the parser is
/// reached) at a timestamp `(second byte as i8) * 4` seconds from the clock; it must pass
/// verification exactly when that is within the 300 s window (a payload error is fine), and must
/// fail verification under another secret. First byte odd: raw headers and body (see
/// `raw_request`), verified as they are.
pub fn finan_webhook(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let clock = Arc::new(FixedClock::at_unix(WEBHOOK_NOW).expect("a valid time"));
    let verifier = FinanWebhookVerifier::new("fuzz-client", SecretString::from("fuzz-secret")).clock(clock.clone());
    let path = "/webhooks/finan?shop=1";
    if mode % 2 == 0 {
        let Some((&offset, body)) = rest.split_first() else {
            return;
        };
        let offset = i64::from(offset as i8) * 4;
        let headers = FinanWebhookSigner::new("fuzz-client", SecretString::from("fuzz-secret")).sign(
            path,
            body,
            WEBHOOK_NOW + offset,
        );
        let request = WebhookRequest::new("POST", path, body).with_headers(headers.iter().map(|(n, v)| (n, v)));
        match verifier.verify(&request) {
            Ok(event) => {
                assert!(offset.abs() <= 300, "accepted a timestamp {offset} s away");
                check_event(&event);
            }
            Err(e) if e.is_payload_error() => assert!(offset.abs() <= 300),
            Err(WebhookError::StaleTimestamp { .. }) => assert!(offset.abs() > 300),
            Err(WebhookError::BodyTooLarge { .. }) => {}
            Err(other) => panic!("a correctly signed request failed verification: {other}"),
        }
        let impostor = FinanWebhookVerifier::new("fuzz-client", SecretString::from("other-secret")).clock(clock);
        let refused = impostor.verify(&request);
        assert!(matches!(&refused, Err(e) if e.is_verification_failure()), "{refused:?}");
    } else {
        let (headers, body) = raw_request(rest);
        let mut request = WebhookRequest::new("POST", path, body);
        request.headers = headers;
        if let Ok(event) = verifier.verify(&request) {
            check_event(&event);
        }
    }
}

/// A parsed event's money is exact and its JSON form serializes.
fn check_event(event: &PaymentEvent) {
    if let PaymentEvent::PaymentReceived(payment) = event {
        check_balance(Some(&payment.amount));
    }
    serde_json::to_string(event).expect("an event serializes");
}

/// SePay's bank-transaction webhook ([`SepayBankWebhookVerifier`], `Authorization: Apikey`) and
/// payment gateway IPN ([`SepayIpnVerifier`], `X-Secret-Key`).
///
/// First byte: bit 0 picks the verifier (bank, IPN); bits 1-2 the headers: 0 the right key as the
/// signer sends it, 1 the right key with a form content type (bank) or a second, wrong key header
/// after it, 2 raw headers from the input (see `raw_request`), 3 a wrong key; bit 3 sets a replay
/// window of 300 s (bank: on `transactionDate`; IPN: on `timestamp`, otherwise unbounded). The rest
/// is the body. Properties: the right key never fails verification except on the replay window; a
/// wrong key always does.
pub fn sepay_webhook(data: &[u8]) {
    let Some((&mode, body)) = data.split_first() else {
        return;
    };
    let ipn = mode & 1 == 1;
    let headers_mode = (mode >> 1) & 3;
    let windowed = mode & 8 == 8;
    // 2025-09-05 14:43:40 +07:00, ten seconds after the SePay seeds' IPN example was sent.
    let clock = Arc::new(FixedClock::at_unix(1_757_058_230).expect("a valid time"));
    let key = || SecretString::from("fuzz-key");
    let verifier: Box<dyn WebhookVerifier> = if ipn {
        let window = if windowed {
            Duration::from_secs(300)
        } else {
            Duration::MAX
        };
        Box::new(SepayIpnVerifier::new(key()).clock(clock).replay_window(window))
    } else if windowed {
        Box::new(
            SepayBankWebhookVerifier::new(key())
                .clock(clock)
                .replay_window(Duration::from_secs(300)),
        )
    } else {
        Box::new(SepayBankWebhookVerifier::new(key()).clock(clock))
    };
    let mut signed = if ipn {
        SepayIpnSigner::new(key()).headers()
    } else {
        SepayBankWebhookSigner::new(key()).headers()
    };
    let (raw_headers, raw_body) = raw_request(body);
    let body = if headers_mode == 2 { raw_body } else { body };
    match headers_mode {
        1 if ipn => signed.push(("x-secret-key".into(), "not-the-key".into())),
        1 => signed[1].1 = "application/x-www-form-urlencoded".into(),
        3 => {
            signed[0].1 = if ipn {
                "not-the-key".into()
            } else {
                "Apikey not-the-key".into()
            }
        }
        _ => {}
    }
    let mut request = WebhookRequest::new("POST", "/webhooks/sepay", body);
    request.headers = if headers_mode == 2 {
        raw_headers
    } else {
        signed.iter().map(|(n, v)| (n.as_str(), v.as_bytes())).collect()
    };
    let result = verifier.verify(&request);
    match (&result, headers_mode) {
        (Ok(event), _) => check_event(event),
        (Err(e), 3) => assert!(e.is_verification_failure(), "{e}"),
        (Err(e), 0 | 1) => assert!(
            e.is_payload_error()
                || (windowed && matches!(e, WebhookError::StaleTimestamp { .. }))
                || matches!(e, WebhookError::BodyTooLarge { .. }),
            "the right key failed verification: {e}"
        ),
        _ => {}
    }
    if headers_mode == 3 {
        assert!(result.is_err(), "a wrong key was accepted");
    }
    if !ipn && headers_mode != 2 {
        let bank = SepayBankWebhookVerifier::new(key());
        if let Ok(transaction) = bank.verify_transaction(&request) {
            check_balance(Some(&transaction.transfer_amount));
            let _ = transaction.to_payment_received();
        }
    }
}

/// `gateway_vietqr::decode` on the input as given and on the input re-sealed with a correct CRC
/// (so the fuzzer gets past the checksum into the TLV and field checks). Whatever decodes must
/// encode, and the encoding must decode to the same value.
pub fn vietqr_decode(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    check_vietqr(&text);
    // The input minus any trailing CRC object, re-sealed: "6304" plus the CRC of everything before.
    let body = match text.len().checked_sub(8) {
        Some(at) if text.is_char_boundary(at) && text[at..].starts_with("6304") => &text[..at],
        _ => &text[..],
    };
    let mut sealed = format!("{body}6304");
    let crc = gateway_vietqr::crc::crc_hex(&sealed);
    sealed.push_str(&crc);
    check_vietqr(&sealed);
}

fn check_vietqr(text: &str) {
    let Ok(qr) = gateway_vietqr::decode(text) else {
        return;
    };
    let encoded = qr.encode().expect("a decoded VietQR encodes");
    assert_eq!(qr.to_string(), encoded);
    assert_eq!(
        gateway_vietqr::decode(&encoded).as_ref(),
        Ok(&qr),
        "{text:?} -> {encoded:?}"
    );
}

/// Money and currency parsing and the lenient number decoders of `gateway_core::lenient`.
///
/// The input is read three ways: as `"<amount> <currency>"` text for `Money::parse` and
/// `Currency::from_str`; as JSON for `Money`'s serde form; and as one JSON value for each lenient
/// decoder. Properties: what parses round-trips through `amount_string` and JSON; `to_minor_units`
/// succeeds exactly when the amount is a whole number of minor units (and fits `i64`), and then
/// converts back to the same amount; add/sub/mul are exact.
pub fn money_parse(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let (amount, currency) = match text.rsplit_once(' ') {
            Some((amount, code)) => (amount, Currency::from_str(code).unwrap_or(Currency::VND)),
            None => (text, Currency::VND),
        };
        let _ = Currency::from_str(text);
        if let Ok(money) = Money::parse(amount, currency) {
            check_money(&money);
        }
        let _ = lenient::parse_decimal(text);
    }
    if let Ok(money) = serde_json::from_slice::<Money>(data) {
        check_money(&money);
    }
    lenient_decoders(data);
}

fn check_money(money: &Money) {
    let currency = money.currency();
    let back = Money::parse(&money.amount_string(), currency).expect("amount_string parses");
    assert_eq!(&back, money, "amount_string {:?}", money.amount_string());
    let json = serde_json::to_string(money).expect("Money serializes");
    assert_eq!(
        &serde_json::from_str::<Money>(&json).expect("Money JSON parses"),
        money,
        "{json}"
    );

    let exponent = u32::from(currency.exponent());
    let whole_minor_units = money.amount().normalize().scale() <= exponent;
    match money.to_minor_units() {
        Ok(minor) => {
            assert!(whole_minor_units, "{money} gave {minor} minor units");
            assert_eq!(&Money::from_minor_units(minor, currency), money, "{money} -> {minor}");
        }
        Err(MoneyError::PrecisionLoss { .. }) => assert!(!whole_minor_units, "{money} lost precision"),
        Err(MoneyError::Overflow) => {}
        Err(other) => panic!("to_minor_units: unexpected {other}"),
    }

    if let Ok(sum) = money.checked_add(money) {
        assert_eq!(sum.amount(), money.amount() * Decimal::TWO);
        assert_eq!(sum.checked_sub(money).as_ref(), Ok(money), "{sum} - {money}");
        assert_eq!(money.checked_mul(2).as_ref(), Ok(&sum));
    }
    let zero = Money::zero(currency);
    assert_eq!(money.checked_sub(money), Ok(zero));
    assert_eq!(money.checked_add(&zero).as_ref(), Ok(money));
}

fn lenient_decoders(data: &[u8]) {
    let json = || serde_json::Deserializer::from_slice(data);
    let decimal = lenient::decimal(&mut json());
    let option_decimal = lenient::option_decimal(&mut json());
    if let Ok(value) = &decimal {
        assert_eq!(option_decimal.as_ref().ok(), Some(&Some(*value)));
        // A decoded decimal, written back as a JSON string, decodes to the same value.
        let quoted = serde_json::to_string(&value.to_string()).expect("string serializes");
        let again = lenient::decimal(&mut serde_json::Deserializer::from_str(&quoted));
        assert_eq!(again.ok(), Some(*value), "{quoted}");
    }
    if let Ok(text) = lenient::string_or_number(&mut json()) {
        assert_eq!(lenient::option_string_or_number(&mut json()).ok(), Some(Some(text)));
    }
    let _ = lenient::u64_lenient(&mut json());
    let _ = lenient::i64_lenient(&mut json());
    if let Ok(flag) = lenient::flag(&mut json()) {
        assert_eq!(lenient::option_flag(&mut json()).ok(), Some(Some(flag)));
    }
    let _ = serde_json::from_slice::<Currency>(data);
}
