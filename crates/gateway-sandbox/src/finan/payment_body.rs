//! The `POST /api/v1/payments` body, checked as the seed's field table says. A malformed body, a
//! missing required field or a wrong JSON type is `400` ("Invalid request body or missing required
//! fields"); well-formed values that break a rule (sums, lengths, enumerations) are `422`.
//!
//! Invoice payments (`reference_type: "invoice"`) need no merchant, items or customer, so their
//! `items` are ignored and `customer.name` is optional.

use serde_json::{Map, Value};

use super::envelope::ApiError;
use super::payments::{Item, NewPaymentRequest, Party, PaymentMethod};

/// "Payment note (max 30 characters)": characters, not bytes, so Vietnamese text counts fairly.
const MAX_DESCRIPTION_CHARS: usize = 30;

pub(super) fn parse(body: &[u8]) -> Result<NewPaymentRequest, ApiError> {
    let invalid = || ApiError::bad_request("Invalid request body");
    let value: Value = serde_json::from_slice(body).map_err(|_| invalid())?;
    let body = value.as_object().ok_or_else(invalid)?;

    let payment_method = required(
        non_empty(string(body, "payment_method", "payment_method")?),
        "payment_method",
    )?;
    let amount = required(integer(body, "amount", "amount")?, "amount")?;
    let reference_id = required(non_empty(string(body, "reference_id", "reference_id")?), "reference_id")?;
    let reference_type = non_empty(string(body, "reference_type", "reference_type")?);
    let account_id = non_empty(string(body, "account_id", "account_id")?);
    let description = string(body, "description", "description")?;
    let success_redirect_url = string(body, "success_redirect_url", "success_redirect_url")?;
    let failure_redirect_url = string(body, "failure_redirect_url", "failure_redirect_url")?;
    let invoice = reference_type.as_deref() == Some("invoice");

    let merchant = party(body, "merchant", false)?;
    let customer = party(body, "customer", !invoice)?;
    let raw_items = if invoice { Vec::new() } else { items(body)? };

    let payment_method = PaymentMethod::from_wire(&payment_method)
        .ok_or_else(|| ApiError::unprocessable("payment_method must be one of bank_transfer, card, ewallet_momo"))?;
    let amount = u64::try_from(amount)
        .ok()
        .filter(|&a| a > 0)
        .ok_or_else(|| ApiError::unprocessable("amount must be greater than 0"))?;
    if description
        .as_deref()
        .is_some_and(|d| d.chars().count() > MAX_DESCRIPTION_CHARS)
    {
        return Err(ApiError::unprocessable(format!(
            "description must be at most {MAX_DESCRIPTION_CHARS} characters"
        )));
    }
    let items = checked_items(raw_items, amount)?;

    Ok(NewPaymentRequest {
        payment_method,
        amount,
        reference_id,
        reference_type,
        description,
        account_id,
        merchant,
        customer,
        items,
        success_redirect_url,
        failure_redirect_url,
    })
}

/// An item with its numbers as sent (signed, so a negative price is a `422`, not a type error).
struct RawItem {
    name: String,
    price: i64,
    quantity: i64,
    amount: i64,
}

/// `422` unless every line is `price × quantity` and the lines add up to `amount`.
fn checked_items(raw: Vec<RawItem>, amount: u64) -> Result<Vec<Item>, ApiError> {
    let mut items = Vec::with_capacity(raw.len());
    for (i, item) in raw.into_iter().enumerate() {
        let price = u64::try_from(item.price)
            .map_err(|_| ApiError::unprocessable(format!("items[{i}].price must not be negative")))?;
        let quantity = u64::try_from(item.quantity)
            .ok()
            .filter(|&q| q > 0)
            .ok_or_else(|| ApiError::unprocessable(format!("items[{i}].quantity must be greater than 0")))?;
        let line = u64::try_from(item.amount).ok();
        if line.is_none() || price.checked_mul(quantity) != line {
            return Err(ApiError::unprocessable(format!(
                "items[{i}].amount must equal price * quantity"
            )));
        }
        items.push(Item {
            name: item.name,
            price,
            quantity,
            amount: line.unwrap_or_default(),
        });
    }
    let total = items.iter().try_fold(0u64, |sum, item| sum.checked_add(item.amount));
    // An empty list itemises nothing, so there is no sum to check.
    if !items.is_empty() && total != Some(amount) {
        return Err(ApiError::unprocessable("amount must equal the sum of items[].amount"));
    }
    Ok(items)
}

/// `items` as objects with all four fields present and of the right type.
fn items(body: &Map<String, Value>) -> Result<Vec<RawItem>, ApiError> {
    let list = match body.get("items") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(list)) => list,
        Some(_) => return Err(ApiError::bad_request("items must be an array")),
    };
    list.iter()
        .enumerate()
        .map(|(i, item)| {
            let path = |field: &str| format!("items[{i}].{field}");
            let item = item
                .as_object()
                .ok_or_else(|| ApiError::bad_request(format!("items[{i}] must be an object")))?;
            Ok(RawItem {
                name: required(non_empty(string(item, "name", &path("name"))?), &path("name"))?,
                price: required(integer(item, "price", &path("price"))?, &path("price"))?,
                quantity: required(integer(item, "quantity", &path("quantity"))?, &path("quantity"))?,
                amount: required(integer(item, "amount", &path("amount"))?, &path("amount"))?,
            })
        })
        .collect()
}

/// `merchant` or `customer`: an object of optional strings; `name` required when `name_required`.
fn party(body: &Map<String, Value>, key: &str, name_required: bool) -> Result<Option<Party>, ApiError> {
    let object = match body.get(key) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Object(object)) => object,
        Some(_) => return Err(ApiError::bad_request(format!("{key} must be an object"))),
    };
    let field = |name: &str| string(object, name, &format!("{key}.{name}"));
    let name = non_empty(field("name")?);
    if name_required && name.is_none() {
        return Err(ApiError::bad_request(format!("{key}.name is required")));
    }
    Ok(Some(Party {
        name,
        phone: field("phone")?,
        address: field("address")?,
        email: field("email")?,
    }))
}

/// An optional string field; `path` names it in the error.
fn string(object: &Map<String, Value>, key: &str, path: &str) -> Result<Option<String>, ApiError> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ApiError::bad_request(format!("{path} must be a string"))),
    }
}

/// An optional JSON integer (`6000000`, not `6000000.0` or `"6000000"`).
fn integer(object: &Map<String, Value>, key: &str, path: &str) -> Result<Option<i64>, ApiError> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) if n.as_i64().is_some() => Ok(n.as_i64()),
        Some(_) => Err(ApiError::bad_request(format!("{path} must be an integer"))),
    }
}

/// A blank string counts as not sent: clients with Go-style zero values send `""` for "none".
fn non_empty(value: Option<String>) -> Option<String> {
    value.filter(|s| !s.trim().is_empty())
}

fn required<T>(value: Option<T>, path: &str) -> Result<T, ApiError> {
    value.ok_or_else(|| ApiError::bad_request(format!("{path} is required")))
}

#[cfg(test)]
mod tests {
    use axum::http::StatusCode;
    use serde_json::json;

    use super::*;

    fn check(body: Value) -> Result<NewPaymentRequest, ApiError> {
        parse(body.to_string().as_bytes())
    }

    fn base() -> Value {
        json!({ "payment_method": "card", "amount": 6000000, "reference_id": "ORDER-1" })
    }

    fn with(patch: Value) -> Value {
        let mut body = base();
        for (k, v) in patch.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    }

    fn fails(body: Value, status: StatusCode, reason: &str) {
        assert_eq!(check(body), Err(ApiError::new(status, reason)));
    }

    #[test]
    fn minimal_body() {
        let new = check(base()).unwrap();
        assert_eq!(new.payment_method, PaymentMethod::Card);
        assert_eq!(new.amount, 6_000_000);
        assert!(new.items.is_empty() && new.customer.is_none());
    }

    #[test]
    fn invoice_ignores_items_and_customer_name() {
        let body = with(json!({
            "reference_type": "invoice",
            "items": [{ "name": "x" }],
            "customer": { "email": "a@b.vn" },
        }));
        let new = check(body).unwrap();
        assert!(new.items.is_empty());
        assert_eq!(new.customer.unwrap().email.as_deref(), Some("a@b.vn"));
    }

    #[test]
    fn structural_errors_are_400() {
        let bad = StatusCode::BAD_REQUEST;
        assert_eq!(parse(b"{"), Err(ApiError::bad_request("Invalid request body")));
        fails(json!([1]), bad, "Invalid request body");
        fails(
            json!({ "amount": 1, "reference_id": "r" }),
            bad,
            "payment_method is required",
        );
        fails(with(json!({ "amount": null })), bad, "amount is required");
        fails(with(json!({ "reference_id": " " })), bad, "reference_id is required");
        fails(with(json!({ "amount": "6000000" })), bad, "amount must be an integer");
        fails(with(json!({ "amount": 1.5 })), bad, "amount must be an integer");
        fails(with(json!({ "description": 5 })), bad, "description must be a string");
        fails(with(json!({ "items": {} })), bad, "items must be an array");
        fails(with(json!({ "items": [1] })), bad, "items[0] must be an object");
        let no_qty = json!({ "items": [{ "name": "a", "price": 1, "amount": 1 }] });
        fails(with(no_qty), bad, "items[0].quantity is required");
        fails(
            with(json!({ "customer": { "phone": "09" } })),
            bad,
            "customer.name is required",
        );
        fails(with(json!({ "merchant": "Finan" })), bad, "merchant must be an object");
    }

    #[test]
    fn rule_errors_are_422() {
        let rule = StatusCode::UNPROCESSABLE_ENTITY;
        let item = |price: i64, quantity: i64, amount: i64| json!({ "name": "So Ban Hang", "price": price, "quantity": quantity, "amount": amount });
        fails(
            with(json!({ "payment_method": "cash" })),
            rule,
            "payment_method must be one of bank_transfer, card, ewallet_momo",
        );
        fails(with(json!({ "amount": 0 })), rule, "amount must be greater than 0");
        fails(with(json!({ "amount": -5 })), rule, "amount must be greater than 0");
        fails(
            with(json!({ "items": [item(3000000, 2, 6000001)] })),
            rule,
            "items[0].amount must equal price * quantity",
        );
        fails(
            with(json!({ "items": [item(3000000, 1, 3000000)] })),
            rule,
            "amount must equal the sum of items[].amount",
        );
        fails(
            with(json!({ "items": [item(-1, 1, -1)] })),
            rule,
            "items[0].price must not be negative",
        );
        fails(
            with(json!({ "items": [item(1, 0, 0)] })),
            rule,
            "items[0].quantity must be greater than 0",
        );
        let items = json!([item(3000000, 1, 3000000), item(1500000, 2, 3000000)]);
        assert_eq!(check(with(json!({ "items": items }))).unwrap().items.len(), 2);
    }

    #[test]
    fn description_counts_characters() {
        let thirty = "Thanh toán đơn hàng số 0001234"; // 30 characters, more bytes
        assert_eq!(thirty.chars().count(), 30);
        assert!(check(with(json!({ "description": thirty }))).is_ok());
        fails(
            with(json!({ "description": format!("{thirty}!") })),
            StatusCode::UNPROCESSABLE_ENTITY,
            "description must be at most 30 characters",
        );
    }
}
