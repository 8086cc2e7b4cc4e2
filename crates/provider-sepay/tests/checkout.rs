//! SePay checkout form: field order, empty fields, the signature formula, refusals, redaction and
//! HTML escaping. The comparison with the official Node SDK is in `checkout_peer.rs`.

use base64::Engine as _;
use gateway_core::{Currency, Error, Money, PayerAction, PaymentMethod};
use hmac::{Hmac, Mac};
use provider_sepay::checkout::{PRODUCTION_CHECKOUT_URL, SANDBOX_CHECKOUT_URL};
use provider_sepay::{
    checkout_signature, CheckoutEnvironment, CheckoutForm, CheckoutOperation, CheckoutOrder, CheckoutPaymentMethod,
    CheckoutSigner, SecretString,
};
use sha2::Sha256;

const MERCHANT: &str = "SP-TEST-XXXXXXX";
const SECRET: &str = "spsk_test_0123456789abcdef";

fn signer(env: CheckoutEnvironment) -> CheckoutSigner {
    CheckoutSigner::new(MERCHANT, SecretString::from(SECRET), env)
}

fn vnd(dong: i64) -> Money {
    Money::from_minor_units(dong, Currency::VND)
}

fn names(form: &CheckoutForm) -> Vec<&str> {
    form.fields.iter().map(|(k, _)| k.as_str()).collect()
}

fn full_order() -> CheckoutOrder {
    CheckoutOrder::new("DH0001", vnd(10_000), "Thanh toan don hang DH0001")
        .payment_method(CheckoutPaymentMethod::Card)
        .customer_id("CUST-1")
        .success_url("https://shop.example/ok")
        .error_url("https://shop.example/error")
        .cancel_url("https://shop.example/cancel")
        .custom_data("anything")
}

fn is_invalid(result: Result<CheckoutForm, Error>) -> bool {
    matches!(result, Err(Error::InvalidRequest(_)))
}

#[test]
fn fields_are_in_posting_order_ending_with_the_signature() {
    let form = signer(CheckoutEnvironment::Sandbox).form(&full_order()).unwrap();
    assert_eq!(
        names(&form),
        [
            "merchant",
            "currency",
            "order_amount",
            "operation",
            "order_description",
            "payment_method",
            "order_invoice_number",
            "customer_id",
            "success_url",
            "error_url",
            "cancel_url",
            "custom_data",
            "signature",
        ]
    );
    assert_eq!(form.get("merchant"), Some(MERCHANT));
    assert_eq!(form.get("currency"), Some("VND"));
    assert_eq!(form.get("order_amount"), Some("10000"));
    assert_eq!(form.get("operation"), Some("PURCHASE"));
    assert_eq!(form.get("payment_method"), Some("CARD"));
    assert_eq!(form.action_url, SANDBOX_CHECKOUT_URL);
}

#[test]
fn environments_choose_the_action_url() {
    assert_eq!(
        CheckoutEnvironment::Sandbox.action_url(),
        "https://pay-sandbox.sepay.vn/v1/checkout/init"
    );
    assert_eq!(
        CheckoutEnvironment::Production.action_url(),
        "https://pay.sepay.vn/v1/checkout/init"
    );
    let form = signer(CheckoutEnvironment::Production).form(&full_order()).unwrap();
    assert_eq!(form.action_url, PRODUCTION_CHECKOUT_URL);
    // The environment is neither posted nor signed (as in both SDKs): same fields either way.
    let sandbox = signer(CheckoutEnvironment::Sandbox).form(&full_order()).unwrap();
    assert_eq!(form.fields, sandbox.fields);
    assert_eq!(form.get("env"), None);
}

#[test]
fn empty_optional_fields_are_neither_posted_nor_signed() {
    let with_empties = CheckoutOrder::new("DH0001", vnd(10_000), "Mô tả")
        .customer_id("")
        .success_url("")
        .error_url("")
        .cancel_url("")
        .custom_data("");
    let bare = CheckoutOrder::new("DH0001", vnd(10_000), "Mô tả");
    let s = signer(CheckoutEnvironment::Sandbox);
    let a = s.form(&with_empties).unwrap();
    let b = s.form(&bare).unwrap();
    assert_eq!(a, b);
    assert_eq!(
        names(&a),
        [
            "merchant",
            "currency",
            "order_amount",
            "operation",
            "order_description",
            "order_invoice_number",
            "signature"
        ]
    );
    // And the pure function leaves empty values out.
    assert_eq!(
        checkout_signature(
            SECRET,
            &[("merchant", MERCHANT), ("customer_id", ""), ("currency", "VND")]
        ),
        checkout_signature(SECRET, &[("merchant", MERCHANT), ("currency", "VND")])
    );
}

#[test]
fn custom_data_is_posted_but_not_signed() {
    let s = signer(CheckoutEnvironment::Sandbox);
    let a = s.form(&full_order()).unwrap();
    let b = s.form(&full_order().custom_data("something else")).unwrap();
    assert_eq!(a.get("custom_data"), Some("anything"));
    assert_eq!(b.get("custom_data"), Some("something else"));
    assert_eq!(a.signature(), b.signature());
    // Every signed field does change it.
    let c = s.form(&full_order().customer_id("CUST-2")).unwrap();
    assert_ne!(a.signature(), c.signature());
}

/// The documented formula computed here independently, and the value the official Node SDK
/// (sepay-pg-node 1.0.0) printed for the same order (pinned so this test runs without node).
#[test]
fn signature_matches_a_hand_computed_vector() {
    let order = CheckoutOrder::new("INV_001", vnd(100_000), "Thanh toán đơn hàng INV_001")
        .payment_method(CheckoutPaymentMethod::BankTransfer)
        .success_url("https://shop.example/ok");
    let form = signer(CheckoutEnvironment::Sandbox).form(&order).unwrap();

    let signed = "merchant=SP-TEST-XXXXXXX,currency=VND,order_amount=100000,operation=PURCHASE,\
                  order_description=Thanh toán đơn hàng INV_001,payment_method=BANK_TRANSFER,\
                  order_invoice_number=INV_001,success_url=https://shop.example/ok";
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(signed.as_bytes());
    let expected = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());

    assert_eq!(form.signature(), expected);
    assert_eq!(form.signature(), "qc6DmTTf7pMpP7hdIbrgYBjp/frBjuF5+v30/r3TvPk=");
    let pairs: Vec<(&str, &str)> = form.fields[..form.fields.len() - 1]
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(checkout_signature(SECRET, &pairs), expected);
}

#[test]
fn amounts_are_whole_dong_in_plain_digits() {
    let s = signer(CheckoutEnvironment::Sandbox);
    let big = s.form(&CheckoutOrder::new("A1", vnd(150_000_000), "d")).unwrap();
    assert_eq!(big.get("order_amount"), Some("150000000"));
    // A scaled but whole amount is fine.
    let scaled = Money::parse("250000.00", Currency::VND).unwrap();
    let f = s.form(&CheckoutOrder::new("A1", scaled, "d")).unwrap();
    assert_eq!(f.get("order_amount"), Some("250000"));
}

#[test]
fn non_vnd_and_fractional_amounts_are_refused() {
    let s = signer(CheckoutEnvironment::Sandbox);
    let usd = Money::from_minor_units(1_000, Currency::USD);
    assert!(is_invalid(s.form(&CheckoutOrder::new("A1", usd, "d"))));
    let fraction = Money::parse("10000.5", Currency::VND).unwrap();
    assert!(is_invalid(s.form(&CheckoutOrder::new("A1", fraction, "d"))));
    assert!(is_invalid(s.form(&CheckoutOrder::new("A1", vnd(-1), "d"))));
}

#[test]
fn operation_and_amount_must_agree() {
    let s = signer(CheckoutEnvironment::Sandbox);
    assert!(is_invalid(s.form(&CheckoutOrder::new("A1", vnd(0), "d"))));
    let verify = s.form(&CheckoutOrder::verify("A1", "Xác minh thẻ")).unwrap();
    assert_eq!(verify.get("operation"), Some("VERIFY"));
    assert_eq!(verify.get("order_amount"), Some("0"));
    let bad_verify = CheckoutOrder::new("A1", vnd(1_000), "d").operation(CheckoutOperation::Verify);
    assert!(is_invalid(s.form(&bad_verify)));
}

#[test]
fn required_fields_and_formats_are_checked() {
    let s = signer(CheckoutEnvironment::Sandbox);
    assert!(is_invalid(s.form(&CheckoutOrder::new("", vnd(1_000), "d"))));
    assert!(is_invalid(s.form(&CheckoutOrder::new("DH 1", vnd(1_000), "d"))));
    assert!(is_invalid(s.form(&CheckoutOrder::new("ĐH1", vnd(1_000), "d"))));
    assert!(is_invalid(s.form(&CheckoutOrder::new(
        "A".repeat(101),
        vnd(1_000),
        "d"
    ))));
    assert!(s.form(&CheckoutOrder::new("A".repeat(100), vnd(1_000), "d")).is_ok());
    assert!(is_invalid(s.form(&CheckoutOrder::new("A1", vnd(1_000), ""))));
    for bad in ["/ok", "ftp://shop.example/ok", "not a url", "javascript:alert(1)"] {
        let order = CheckoutOrder::new("A1", vnd(1_000), "d").success_url(bad);
        assert!(is_invalid(s.form(&order)), "{bad}");
    }
    let no_merchant = CheckoutSigner::new("", SecretString::from(SECRET), CheckoutEnvironment::Sandbox);
    assert!(matches!(no_merchant.form(&full_order()), Err(Error::Configuration(_))));
    let no_secret = CheckoutSigner::new(MERCHANT, SecretString::from(""), CheckoutEnvironment::Sandbox);
    assert!(matches!(no_secret.form(&full_order()), Err(Error::Configuration(_))));
}

#[test]
fn debug_never_shows_the_secret() {
    let s = signer(CheckoutEnvironment::Production);
    let debug = format!("{s:?}");
    assert!(!debug.contains(SECRET), "{debug}");
    assert!(debug.contains(MERCHANT) && debug.contains("REDACTED"), "{debug}");
    let form = s.form(&full_order()).unwrap();
    assert!(!format!("{form:?}").contains(SECRET));
    assert!(!form.to_html().contains(SECRET));
    let err = CheckoutSigner::new(MERCHANT, SecretString::from(SECRET), CheckoutEnvironment::Sandbox)
        .form(&CheckoutOrder::new("A1", vnd(-5), "d"))
        .unwrap_err();
    assert!(!err.to_string().contains(SECRET));
}

#[test]
fn html_escapes_every_value() {
    let order = CheckoutOrder::new("A1", vnd(1_000), r#"Quà "đặc biệt" <b>&</b> 'x'"#)
        .success_url("https://shop.example/ok?a=1&b=\"2\"");
    let form = signer(CheckoutEnvironment::Sandbox).form(&order).unwrap();
    let html = form.to_html();
    assert!(
        html.contains(
            r#"name="order_description" value="Quà &quot;đặc biệt&quot; &lt;b&gt;&amp;&lt;/b&gt; &#39;x&#39;""#
        ),
        "{html}"
    );
    assert!(
        html.contains("https://shop.example/ok?a=1&amp;b=&quot;2&quot;"),
        "{html}"
    );
    assert!(!html.contains("<b>"), "{html}");
    assert!(html.contains(r#"action="https://pay-sandbox.sepay.vn/v1/checkout/init""#));
    assert!(html.contains(r#"method="POST""#) && html.contains(r#"accept-charset="UTF-8""#));
    assert!(html.contains(".submit()"));
    // One hidden input per field, in order.
    let inputs: Vec<&str> = html.match_indices("<input").map(|(i, _)| &html[i..]).collect();
    assert_eq!(inputs.len(), form.fields.len());
    for (input, (name, _)) in inputs.iter().zip(&form.fields) {
        assert!(
            input.starts_with(&format!(r#"<input type="hidden" name="{name}""#)),
            "{input}"
        );
    }
}

#[test]
fn becomes_a_form_post_payer_action() {
    let form = signer(CheckoutEnvironment::Sandbox).form(&full_order()).unwrap();
    let action = PayerAction::from(form.clone());
    assert_eq!(
        action,
        PayerAction::FormPost {
            url: SANDBOX_CHECKOUT_URL.to_string(),
            fields: form.fields
        }
    );
}

#[test]
fn verify_accepts_the_form_and_refuses_tampering() {
    let s = signer(CheckoutEnvironment::Sandbox);
    let form = s.form(&full_order()).unwrap();
    assert!(s.verify(&form.fields));
    let mut tampered = form.fields.clone();
    tampered[2].1 = "1".to_string(); // order_amount
    assert!(!s.verify(&tampered));
    let other_key = CheckoutSigner::new(MERCHANT, SecretString::from("other"), CheckoutEnvironment::Sandbox);
    assert!(!other_key.verify(&form.fields));
    let unsigned: Vec<_> = form.fields.iter().filter(|(k, _)| k != "signature").cloned().collect();
    assert!(!s.verify(&unsigned));
    // custom_data is not signed: changing it keeps the signature valid.
    let mut custom = form.fields.clone();
    custom.iter_mut().find(|(k, _)| k == "custom_data").unwrap().1 = "changed".into();
    assert!(s.verify(&custom));
}

#[test]
fn core_payment_methods_map() {
    assert_eq!(
        CheckoutPaymentMethod::try_from(PaymentMethod::Card).unwrap(),
        CheckoutPaymentMethod::Card
    );
    assert_eq!(
        CheckoutPaymentMethod::try_from(PaymentMethod::BankTransfer).unwrap(),
        CheckoutPaymentMethod::BankTransfer
    );
    assert!(matches!(
        CheckoutPaymentMethod::try_from(PaymentMethod::EWallet),
        Err(Error::InvalidRequest(_))
    ));
    assert_eq!(CheckoutPaymentMethod::NapasBankTransfer.as_str(), "NAPAS_BANK_TRANSFER");
}
