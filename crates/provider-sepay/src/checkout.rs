//! SePay payment gateway checkout: the signed form an app posts (through the payer's browser) to
//! SePay's hosted payment page.
//!
//! [`CheckoutSigner::form`] turns a [`CheckoutOrder`] into a [`CheckoutForm`]: the action URL
//! ([`SANDBOX_CHECKOUT_URL`] or [`PRODUCTION_CHECKOUT_URL`]) and the fields in posting order,
//! ending with `signature`. Nothing is sent over the network; the payer's browser posts the form
//! (render it with [`CheckoutForm::to_html`], or hand it to the app as a
//! [`gateway_core::PayerAction::FormPost`]).
//!
//! # What the official SDKs do, and what this module does
//!
//! Read from `sepay-pg-node` 1.0.0 (`dist/checkout.js`) and `sepay-pg-php`
//! (`CheckoutResource::prepareFormFields`, `SignatureGenerator::signCheckoutFields`):
//!
//! - **Order.** PHP posts a fixed order: `merchant, currency, order_amount, operation,
//!   order_description`, then whichever of `payment_method, order_invoice_number, customer_id,
//!   success_url, error_url, cancel_url` are set. Node posts and signs the caller's object in its
//!   own key order (`Object.keys`), setting `merchant` from its config (a key the caller did not
//!   give is appended *last*, and so is a defaulted `operation`). This module uses the PHP order;
//!   Node gives the same result when its caller passes the keys in that order (the peer test does).
//! - **Signature.** Walk the posted fields in order, keep the signed set (`merchant, env,
//!   operation, payment_method, order_amount, currency, order_invoice_number, order_description,
//!   customer_id, agreement_*, success_url, error_url, cancel_url`; Node also lists `order_id`),
//!   join `key=value` with `,` (raw UTF-8, no URL-encoding, no Unicode normalization), and
//!   base64-encode HMAC-SHA256 keyed with the secret key.
//! - **Empty fields.** PHP drops empty optional fields from the form, so they are neither posted
//!   nor signed. Node skips only `undefined`: an empty string is posted *and* signed as `key=`.
//!   This module follows PHP: an empty optional value (`Some("")`) is treated as absent, so the
//!   posted fields and the signed string always agree.
//! - **`env`.** Both SDKs use the environment only to choose the URL; neither posts nor signs an
//!   `env` field although it is in the signed set. Neither does this module.
//! - **`custom_data`.** Node posts it where the caller put it (its docs list it last) and does
//!   not sign it; the PHP SDK does not post it at all. This module posts it, unsigned, after
//!   `cancel_url` (just before `signature`).
//! - **Amount.** Whole đồng as a decimal integer with no separators or fraction (`150000000`),
//!   which is what PHP's `(string) int` and Node's `String(number)` give for any integer up to
//!   2^53.

use std::fmt;

use base64::Engine as _;
use gateway_core::{Currency, Error, ErrorContext, Money, MoneyError, PayerAction, PaymentMethod};
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

/// Where the sandbox checkout form is posted.
pub const SANDBOX_CHECKOUT_URL: &str = "https://pay-sandbox.sepay.vn/v1/checkout/init";

/// Where the production checkout form is posted.
pub const PRODUCTION_CHECKOUT_URL: &str = "https://pay.sepay.vn/v1/checkout/init";

/// The fields that take part in the signature, as the official SDKs list them (Node also lists
/// `order_id`, which no one-time checkout posts; PHP does not).
const SIGNED_FIELDS: &[&str] = &[
    "merchant",
    "env",
    "operation",
    "payment_method",
    "order_amount",
    "currency",
    "order_invoice_number",
    "order_description",
    "customer_id",
    "agreement_id",
    "agreement_name",
    "agreement_type",
    "agreement_payment_frequency",
    "agreement_amount_per_payment",
    "success_url",
    "error_url",
    "cancel_url",
];

/// The longest `order_invoice_number` the official PHP SDK accepts (in bytes).
pub const MAX_INVOICE_NUMBER_LEN: usize = 100;

/// Which SePay payment gateway the form goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CheckoutEnvironment {
    /// `https://pay-sandbox.sepay.vn/v1/checkout/init` ([`SANDBOX_CHECKOUT_URL`]).
    Sandbox,
    /// `https://pay.sepay.vn/v1/checkout/init` ([`PRODUCTION_CHECKOUT_URL`]).
    Production,
}

impl CheckoutEnvironment {
    /// The URL the checkout form is posted to.
    pub fn action_url(self) -> &'static str {
        match self {
            CheckoutEnvironment::Sandbox => SANDBOX_CHECKOUT_URL,
            CheckoutEnvironment::Production => PRODUCTION_CHECKOUT_URL,
        }
    }

    /// The SDKs' name for it: `"sandbox"` or `"production"`.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckoutEnvironment::Sandbox => "sandbox",
            CheckoutEnvironment::Production => "production",
        }
    }
}

/// The checkout `operation` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum CheckoutOperation {
    /// `PURCHASE`: collect the order amount (more than zero).
    #[default]
    Purchase,
    /// `VERIFY`: verify a card without charging it; the amount must be zero.
    Verify,
}

impl CheckoutOperation {
    /// The posted value: `"PURCHASE"` or `"VERIFY"`.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckoutOperation::Purchase => "PURCHASE",
            CheckoutOperation::Verify => "VERIFY",
        }
    }
}

/// The checkout `payment_method` field. Without one, SePay's page lets the payer choose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CheckoutPaymentMethod {
    /// `CARD`: domestic or international card (Visa, Mastercard, JCB, ...).
    Card,
    /// `BANK_TRANSFER`: bank transfer by scanning a VietQR code.
    BankTransfer,
    /// `NAPAS_BANK_TRANSFER`: bank transfer through NAPAS.
    NapasBankTransfer,
}

impl CheckoutPaymentMethod {
    /// The posted value: `"CARD"`, `"BANK_TRANSFER"` or `"NAPAS_BANK_TRANSFER"`.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckoutPaymentMethod::Card => "CARD",
            CheckoutPaymentMethod::BankTransfer => "BANK_TRANSFER",
            CheckoutPaymentMethod::NapasBankTransfer => "NAPAS_BANK_TRANSFER",
        }
    }
}

impl TryFrom<PaymentMethod> for CheckoutPaymentMethod {
    type Error = Error;

    /// `Card` → `CARD`, `BankTransfer` → `BANK_TRANSFER`.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for a method SePay's checkout does not offer (e-wallets).
    fn try_from(method: PaymentMethod) -> Result<Self, Error> {
        match method {
            PaymentMethod::Card => Ok(CheckoutPaymentMethod::Card),
            PaymentMethod::BankTransfer => Ok(CheckoutPaymentMethod::BankTransfer),
            other => Err(invalid(format!(
                "SePay checkout does not offer the payment method {other:?}"
            ))),
        }
    }
}

/// One order to pay on SePay's checkout page, built up with the setters below and turned into a
/// signed form by [`CheckoutSigner::form`] (which checks it).
///
/// The merchant id is not part of the order: it comes from the [`CheckoutSigner`], as it does
/// from the config in both official SDKs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckoutOrder {
    order_invoice_number: String,
    amount: Money,
    order_description: String,
    operation: CheckoutOperation,
    payment_method: Option<CheckoutPaymentMethod>,
    customer_id: Option<String>,
    success_url: Option<String>,
    error_url: Option<String>,
    cancel_url: Option<String>,
    custom_data: Option<String>,
}

impl CheckoutOrder {
    /// A `PURCHASE` of `amount` for the app's order `order_invoice_number` (its reference id,
    /// unique per order), described to the payer as `order_description`.
    ///
    /// `amount` must be in VND and a whole number of đồng, more than zero; the invoice number must
    /// be 1 to 100 ASCII letters, digits, `_` or `-` (the PHP SDK's rule); the description must not
    /// be empty. [`CheckoutSigner::form`] checks all of this.
    pub fn new(order_invoice_number: impl Into<String>, amount: Money, order_description: impl Into<String>) -> Self {
        Self {
            order_invoice_number: order_invoice_number.into(),
            amount,
            order_description: order_description.into(),
            operation: CheckoutOperation::Purchase,
            payment_method: None,
            customer_id: None,
            success_url: None,
            error_url: None,
            cancel_url: None,
            custom_data: None,
        }
    }

    /// A `VERIFY` (card verification, amount 0 VND) for the app's reference `order_invoice_number`.
    pub fn verify(order_invoice_number: impl Into<String>, order_description: impl Into<String>) -> Self {
        Self::new(order_invoice_number, Money::zero(Currency::VND), order_description)
            .operation(CheckoutOperation::Verify)
    }

    /// Sets the operation (default `PURCHASE`). `VERIFY` needs an amount of 0 VND.
    pub fn operation(mut self, operation: CheckoutOperation) -> Self {
        self.operation = operation;
        self
    }

    /// Sets the amount (VND, whole đồng).
    pub fn amount(mut self, amount: Money) -> Self {
        self.amount = amount;
        self
    }

    /// Offers only this payment method (`payment_method`); without it the payer chooses.
    pub fn payment_method(mut self, method: CheckoutPaymentMethod) -> Self {
        self.payment_method = Some(method);
        self
    }

    /// The app's id of the payer (`customer_id`). Empty means absent.
    pub fn customer_id(mut self, customer_id: impl Into<String>) -> Self {
        self.customer_id = Some(customer_id.into());
        self
    }

    /// Where SePay sends the payer after a successful payment (`success_url`, absolute http(s)).
    /// Empty means absent.
    pub fn success_url(mut self, url: impl Into<String>) -> Self {
        self.success_url = Some(url.into());
        self
    }

    /// Where SePay sends the payer after an error (`error_url`, absolute http(s)). Empty means absent.
    pub fn error_url(mut self, url: impl Into<String>) -> Self {
        self.error_url = Some(url.into());
        self
    }

    /// Where SePay sends the payer who cancels (`cancel_url`, absolute http(s)). Empty means absent.
    pub fn cancel_url(mut self, url: impl Into<String>) -> Self {
        self.cancel_url = Some(url.into());
        self
    }

    /// The merchant's own data (`custom_data`), posted but **not signed** (as in the Node SDK), so
    /// it can be altered by the payer: never trust it on the way back. Empty means absent.
    pub fn custom_data(mut self, custom_data: impl Into<String>) -> Self {
        self.custom_data = Some(custom_data.into());
        self
    }

    /// The app's reference id (`order_invoice_number`).
    pub fn order_invoice_number(&self) -> &str {
        &self.order_invoice_number
    }

    /// The amount as given.
    pub fn order_amount(&self) -> Money {
        self.amount
    }

    /// The description shown to the payer.
    pub fn order_description(&self) -> &str {
        &self.order_description
    }

    /// The operation.
    pub fn checkout_operation(&self) -> CheckoutOperation {
        self.operation
    }
}

/// Signs checkout forms for one SePay merchant in one environment.
///
/// `Debug` shows the merchant id and environment, never the secret key.
#[derive(Clone)]
pub struct CheckoutSigner {
    merchant_id: String,
    secret_key: SecretString,
    env: CheckoutEnvironment,
}

impl fmt::Debug for CheckoutSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CheckoutSigner")
            .field("merchant_id", &self.merchant_id)
            .field("secret_key", &"[REDACTED]")
            .field("env", &self.env)
            .finish()
    }
}

impl CheckoutSigner {
    /// A signer for the merchant `merchant_id` (e.g. `SP-TEST-XXXXXXX`) with its checkout secret
    /// key, posting to `env`'s checkout URL.
    pub fn new(merchant_id: impl Into<String>, secret_key: SecretString, env: CheckoutEnvironment) -> Self {
        Self {
            merchant_id: merchant_id.into(),
            secret_key,
            env,
        }
    }

    /// The merchant id.
    pub fn merchant_id(&self) -> &str {
        &self.merchant_id
    }

    /// The environment.
    pub fn env(&self) -> CheckoutEnvironment {
        self.env
    }

    /// The signed checkout form for `order`, to be POSTed (as
    /// `application/x-www-form-urlencoded`, UTF-8) by the payer's browser to
    /// [`CheckoutEnvironment::action_url`].
    ///
    /// Fields, in posting order, each only when set and not empty: `merchant`, `currency` (`VND`),
    /// `order_amount` (whole đồng, e.g. `150000000`), `operation`, `order_description`,
    /// `payment_method`, `order_invoice_number`, `customer_id`, `success_url`, `error_url`,
    /// `cancel_url`, `custom_data` (unsigned), then `signature` (see [`checkout_signature`]).
    ///
    /// # Errors
    /// - [`Error::Configuration`] when the merchant id or the secret key is empty.
    /// - [`Error::InvalidRequest`] when the amount is not in VND, has a fraction of a đồng, is
    ///   negative or does not fit, is zero for `PURCHASE` or not zero for `VERIFY`; when the
    ///   invoice number is empty, longer than 100 bytes or has characters other than ASCII letters,
    ///   digits, `_` and `-`; when the description is empty; when a redirect URL is not an absolute
    ///   `http`/`https` URL.
    pub fn form(&self, order: &CheckoutOrder) -> Result<CheckoutForm, Error> {
        if self.merchant_id.is_empty() {
            return Err(Error::Configuration("the SePay merchant id is empty".into()));
        }
        let secret = self.secret_key.expose_secret();
        if secret.is_empty() {
            return Err(Error::Configuration("the SePay checkout secret key is empty".into()));
        }

        let amount = whole_dong(order)?;
        check_invoice_number(&order.order_invoice_number)?;
        if order.order_description.is_empty() {
            return Err(invalid("order_description is required"));
        }

        let mut fields: Vec<(&'static str, String)> = vec![
            ("merchant", self.merchant_id.clone()),
            ("currency", Currency::VND.code().to_string()),
            ("order_amount", amount.to_string()),
            ("operation", order.operation.as_str().to_string()),
            ("order_description", order.order_description.clone()),
        ];
        if let Some(method) = order.payment_method {
            fields.push(("payment_method", method.as_str().to_string()));
        }
        fields.push(("order_invoice_number", order.order_invoice_number.clone()));
        push_present(&mut fields, "customer_id", &order.customer_id);
        for (name, url) in [
            ("success_url", &order.success_url),
            ("error_url", &order.error_url),
            ("cancel_url", &order.cancel_url),
        ] {
            if let Some(url) = url.as_deref().filter(|u| !u.is_empty()) {
                check_redirect_url(name, url)?;
            }
            push_present(&mut fields, name, url);
        }
        push_present(&mut fields, "custom_data", &order.custom_data);

        let signature = {
            let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            checkout_signature(secret, &refs)
        };
        let mut fields: Vec<(String, String)> = fields.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        fields.push(("signature".to_string(), signature));
        Ok(CheckoutForm {
            action_url: self.env.action_url().to_string(),
            fields,
        })
    }

    /// Whether `fields` (as posted, in order, with their `signature` field) carry a valid
    /// signature under this signer's secret key; compared in constant time. Like the PHP SDK's
    /// `verifySignature`; for a sandbox or a test that receives a posted checkout form.
    pub fn verify(&self, fields: &[(String, String)]) -> bool {
        let Some((_, signature)) = fields.iter().find(|(k, _)| k == "signature") else {
            return false;
        };
        let Ok(signature) = base64::engine::general_purpose::STANDARD.decode(signature) else {
            return false;
        };
        let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        mac_over(self.secret_key.expose_secret(), &refs)
            .verify_slice(&signature)
            .is_ok()
    }
}

/// The SePay checkout signature of `fields` (name, value) taken in the order given (the posting
/// order): fields outside the signed set (`merchant, env, operation, payment_method,
/// order_amount, currency, order_invoice_number, order_description, customer_id, agreement_id,
/// agreement_name, agreement_type, agreement_payment_frequency, agreement_amount_per_payment,
/// success_url, error_url, cancel_url`) and fields with an empty value are left out, the rest are
/// joined as `key=value` with `,` (raw UTF-8, no escaping), and the result is the standard base64
/// (with padding) of HMAC-SHA256 keyed with `secret_key`.
///
/// Leaving empty values out follows the PHP SDK, which drops them before signing; the Node SDK
/// would sign an empty string as `key=` (see the module docs).
pub fn checkout_signature(secret_key: &str, fields: &[(&str, &str)]) -> String {
    base64::engine::general_purpose::STANDARD.encode(mac_over(secret_key, fields).finalize().into_bytes())
}

/// The HMAC state after feeding the signed string of `fields`.
fn mac_over(secret_key: &str, fields: &[(&str, &str)]) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret_key.as_bytes()).expect("HMAC takes a key of any length");
    let mut first = true;
    for (name, value) in fields {
        if value.is_empty() || !SIGNED_FIELDS.contains(name) {
            continue;
        }
        if !first {
            mac.update(b",");
        }
        first = false;
        mac.update(name.as_bytes());
        mac.update(b"=");
        mac.update(value.as_bytes());
    }
    mac
}

/// The signed checkout form: POST [`CheckoutForm::fields`], in this order, to
/// [`CheckoutForm::action_url`]. Holds the signature, never the secret key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckoutForm {
    /// Where to post: [`SANDBOX_CHECKOUT_URL`] or [`PRODUCTION_CHECKOUT_URL`].
    pub action_url: String,
    /// The fields (name, value) in posting order; the last is `signature`.
    pub fields: Vec<(String, String)>,
}

impl CheckoutForm {
    /// The value of the field `name`, if posted.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// The `signature` field (base64 of the HMAC-SHA256).
    pub fn signature(&self) -> &str {
        self.get("signature").unwrap_or_default()
    }

    /// An HTML fragment that posts the form as soon as it loads: a `<form method="POST">` with
    /// `accept-charset="UTF-8"` and one hidden input per field, a `<noscript>` submit button, and
    /// an inline `<script>` that submits it (a Content-Security-Policy that forbids inline scripts
    /// leaves the button). Every attribute value is HTML-escaped (`& < > " '`).
    pub fn to_html(&self) -> String {
        let mut html =
            String::with_capacity(256 + self.fields.iter().map(|(k, v)| k.len() + v.len() + 48).sum::<usize>());
        html.push_str("<form id=\"sepay-checkout\" method=\"POST\" accept-charset=\"UTF-8\" action=\"");
        escape_into(&mut html, &self.action_url);
        html.push_str("\">\n");
        for (name, value) in &self.fields {
            html.push_str("  <input type=\"hidden\" name=\"");
            escape_into(&mut html, name);
            html.push_str("\" value=\"");
            escape_into(&mut html, value);
            html.push_str("\">\n");
        }
        html.push_str("  <noscript><button type=\"submit\">Thanh toán / Pay</button></noscript>\n</form>\n");
        html.push_str("<script>document.getElementById(\"sepay-checkout\").submit();</script>\n");
        html
    }
}

impl From<CheckoutForm> for PayerAction {
    /// [`PayerAction::FormPost`] with the action URL and the fields in posting order.
    fn from(form: CheckoutForm) -> Self {
        PayerAction::FormPost {
            url: form.action_url,
            fields: form.fields,
        }
    }
}

fn invalid(message: impl Into<String>) -> Error {
    Error::InvalidRequest(ErrorContext::new(message))
}

fn push_present(fields: &mut Vec<(&'static str, String)>, name: &'static str, value: &Option<String>) {
    if let Some(value) = value.as_deref().filter(|v| !v.is_empty()) {
        fields.push((name, value.to_string()));
    }
}

/// The order amount in whole đồng, checked against the operation.
fn whole_dong(order: &CheckoutOrder) -> Result<i64, Error> {
    let amount = order.amount;
    if amount.currency() != Currency::VND {
        return Err(invalid(format!(
            "SePay checkout takes VND only, not {}",
            amount.currency().code()
        )));
    }
    let dong = amount.to_minor_units().map_err(|e| match e {
        MoneyError::PrecisionLoss { amount, .. } => invalid(format!("{amount} VND is not a whole number of đồng")),
        other => invalid(format!("order amount: {other}")),
    })?;
    if dong < 0 {
        return Err(invalid("the order amount cannot be negative"));
    }
    match order.operation {
        CheckoutOperation::Purchase if dong == 0 => Err(invalid("a PURCHASE needs an amount of more than 0 VND")),
        CheckoutOperation::Verify if dong != 0 => Err(invalid("a VERIFY needs an amount of 0 VND")),
        _ => Ok(dong),
    }
}

fn check_invoice_number(number: &str) -> Result<(), Error> {
    if number.is_empty() {
        return Err(invalid("order_invoice_number is required"));
    }
    if number.len() > MAX_INVOICE_NUMBER_LEN {
        return Err(invalid(format!(
            "order_invoice_number is longer than {MAX_INVOICE_NUMBER_LEN} characters"
        )));
    }
    if !number
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return Err(invalid(format!(
            "order_invoice_number {number:?} may only hold ASCII letters, digits, '_' and '-'"
        )));
    }
    Ok(())
}

fn check_redirect_url(name: &str, value: &str) -> Result<(), Error> {
    match url::Url::parse(value) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host_str().is_some_and(|h| !h.is_empty()) => Ok(()),
        _ => Err(invalid(format!(
            "{name} must be an absolute http(s) URL, not {value:?}"
        ))),
    }
}

fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_skips_unsigned_and_empty_fields() {
        let all = checkout_signature(
            "k",
            &[
                ("merchant", "M"),
                ("custom_data", "x"),
                ("customer_id", ""),
                ("currency", "VND"),
            ],
        );
        assert_eq!(all, checkout_signature("k", &[("merchant", "M"), ("currency", "VND")]));
    }
}
