//! Payment-gateway orders: what a signed checkout creates, what the payer simulation pays, and what
//! the Order API lists, cancels and voids. Plain data behind the state's mutex; no HTTP here.
//!
//! Times are Vietnam time (UTC+7, where SePay runs), printed "YYYY-MM-DD HH:MM:SS"; the Order API's
//! `from_created_at` / `to_created_at` dates are compared in that zone too.

use chrono::{FixedOffset, NaiveDate, NaiveDateTime, Timelike, Utc};
use serde::Serialize;

use super::state::fmt_time;

/// Awaiting payment: the status of a freshly created order.
pub(crate) const STATUS_AWAITING: &str = "AUTHENTICATION_NOT_NEEDED";
/// Paid.
pub(crate) const STATUS_CAPTURED: &str = "CAPTURED";
/// Cancelled before payment, or voided after it.
pub(crate) const STATUS_CANCELLED: &str = "CANCELLED";

/// The payment methods the checkout form accepts.
pub(crate) const PAYMENT_METHODS: &[&str] = &["CARD", "BANK_TRANSFER", "NAPAS_BANK_TRANSFER"];

/// A payment-gateway order, serialized exactly as the Order API and the IPN print it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Order {
    /// SePay's internal id (a UUID).
    pub id: String,
    /// SePay's order number, "ORD-" and 8 uppercase hex digits.
    pub order_id: String,
    /// The merchant's invoice number from the checkout form.
    pub order_invoice_number: String,
    /// `AUTHENTICATION_NOT_NEEDED` (awaiting payment), `CAPTURED` or `CANCELLED`.
    pub order_status: String,
    /// The amount in VND as a decimal string, "100000.00".
    pub order_amount: String,
    /// Always "VND".
    pub order_currency: String,
    /// The checkout form's `order_description`, when given.
    pub order_description: Option<String>,
    /// The checkout form's `customer_id`, when given.
    pub customer_id: Option<String>,
    /// The method requested at checkout, replaced by the one actually used when paid.
    pub payment_method: Option<String>,
    /// `PURCHASE` or `VERIFY`.
    pub operation: String,
    /// The checkout form's `custom_data`, when given.
    pub custom_data: Option<String>,
    /// "YYYY-MM-DD HH:MM:SS", Vietnam time.
    pub created_at: String,
    /// Payments and voids, oldest first.
    pub transactions: Vec<OrderTransaction>,
    /// Checkout form redirect targets (kept for the hosted page; not part of the Order API).
    #[serde(skip)]
    pub success_url: Option<String>,
    /// See `success_url`.
    #[serde(skip)]
    pub error_url: Option<String>,
    /// See `success_url`.
    #[serde(skip)]
    pub cancel_url: Option<String>,
    /// Creation time, for the date filters and ordering.
    #[serde(skip)]
    pub(crate) created: NaiveDateTime,
    /// The amount in whole VND.
    #[serde(skip)]
    pub(crate) amount: u64,
}

/// One transaction on an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrderTransaction {
    /// Transaction id (a UUID).
    pub id: String,
    /// `PAYMENT` or `VOID`.
    pub transaction_type: String,
    /// The method of the payment (a void repeats its payment's method).
    pub payment_method: String,
    /// The amount in VND as a decimal string, "100000.00".
    pub amount: String,
    /// Always "VND".
    pub currency: String,
    /// Always `APPROVED` in the sandbox.
    pub status: String,
    /// "YYYY-MM-DD HH:MM:SS", Vietnam time.
    pub created_at: String,
}

/// Why an order operation was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderError {
    /// No order with that invoice number (or id).
    NotFound,
    /// Paying or cancelling an order that is no longer awaiting payment.
    NotAwaitingPayment,
    /// Voiding an order that is not `CAPTURED`.
    NotCaptured,
    /// An unknown payment method.
    InvalidPaymentMethod,
}

impl std::fmt::Display for OrderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::NotFound => "Order not found",
            Self::NotAwaitingPayment => "Order is not awaiting payment",
            Self::NotCaptured => "Only a captured order can be voided",
            Self::InvalidPaymentMethod => "payment_method must be one of CARD, BANK_TRANSFER, NAPAS_BANK_TRANSFER",
        })
    }
}

impl std::error::Error for OrderError {}

/// A validated checkout, ready to become an order.
#[derive(Debug, Clone)]
pub(crate) struct NewOrder {
    pub invoice_number: String,
    pub amount: u64,
    pub operation: String,
    pub description: Option<String>,
    pub customer_id: Option<String>,
    pub payment_method: Option<String>,
    pub custom_data: Option<String>,
    pub success_url: Option<String>,
    pub error_url: Option<String>,
    pub cancel_url: Option<String>,
}

/// The Order API's list filters, already parsed.
#[derive(Debug, Default)]
pub(crate) struct OrderFilter {
    pub q: Option<String>,
    pub status: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub customer_id: Option<String>,
}

impl OrderFilter {
    fn matches(&self, o: &Order) -> bool {
        let date = o.created.date();
        self.q.as_deref().is_none_or(|q| {
            let q = q.to_lowercase();
            o.order_invoice_number.to_lowercase().contains(&q)
                || o.order_description
                    .as_deref()
                    .is_some_and(|d| d.to_lowercase().contains(&q))
        }) && self
            .status
            .as_deref()
            .is_none_or(|s| o.order_status.eq_ignore_ascii_case(s))
            && self.from.is_none_or(|from| date >= from)
            && self.to.is_none_or(|to| date <= to)
            && self
                .customer_id
                .as_deref()
                .is_none_or(|c| o.customer_id.as_deref() == Some(c))
    }
}

/// All orders, oldest first.
#[derive(Debug, Default)]
pub(crate) struct OrderStore {
    orders: Vec<Order>,
}

impl OrderStore {
    pub fn all(&self) -> Vec<Order> {
        self.orders.clone()
    }

    /// Whether a non-cancelled order already uses this invoice number.
    pub fn invoice_in_use(&self, invoice: &str) -> bool {
        self.orders
            .iter()
            .any(|o| o.order_invoice_number == invoice && o.order_status != STATUS_CANCELLED)
    }

    pub fn create(&mut self, new: NewOrder) -> Order {
        let created = now();
        let order = Order {
            id: uuid::Uuid::new_v4().to_string(),
            order_id: format!("ORD-{}", &uuid::Uuid::new_v4().simple().to_string()[..8].to_uppercase()),
            order_invoice_number: new.invoice_number,
            order_status: STATUS_AWAITING.to_owned(),
            order_amount: fmt_vnd(new.amount),
            order_currency: "VND".to_owned(),
            order_description: new.description,
            customer_id: new.customer_id,
            payment_method: new.payment_method,
            operation: new.operation,
            custom_data: new.custom_data,
            created_at: fmt_time(&created),
            transactions: Vec::new(),
            success_url: new.success_url,
            error_url: new.error_url,
            cancel_url: new.cancel_url,
            created,
            amount: new.amount,
        };
        self.orders.push(order.clone());
        order
    }

    /// By id, `order_id` or invoice number (the live order when an invoice number was reused).
    pub fn find(&self, key: &str) -> Option<&Order> {
        self.orders
            .iter()
            .find(|o| o.id == key || o.order_id == key)
            .or_else(|| self.by_invoice(key).map(|i| &self.orders[i]))
    }

    /// The newest order with this invoice number: after a cancel, a reused number belongs to it.
    fn by_invoice(&self, invoice: &str) -> Option<usize> {
        self.orders.iter().rposition(|o| o.order_invoice_number == invoice)
    }

    /// Newest first, filtered.
    pub fn list(&self, filter: &OrderFilter) -> Vec<Order> {
        self.orders
            .iter()
            .rev()
            .filter(|o| filter.matches(o))
            .cloned()
            .collect()
    }

    /// The payer pays the whole amount: status `CAPTURED` and a `PAYMENT` transaction.
    pub fn pay(&mut self, invoice: &str, method: Option<&str>) -> Result<(Order, OrderTransaction), OrderError> {
        if let Some(m) = method {
            if !PAYMENT_METHODS.contains(&m) {
                return Err(OrderError::InvalidPaymentMethod);
            }
        }
        let i = self.by_invoice(invoice).ok_or(OrderError::NotFound)?;
        let order = &mut self.orders[i];
        if order.order_status != STATUS_AWAITING {
            return Err(OrderError::NotAwaitingPayment);
        }
        let method = method
            .map(str::to_owned)
            .or_else(|| order.payment_method.clone())
            .unwrap_or_else(|| "BANK_TRANSFER".to_owned());
        let transaction = new_transaction("PAYMENT", &method, order.amount);
        order.payment_method = Some(method);
        order.order_status = STATUS_CAPTURED.to_owned();
        order.transactions.push(transaction.clone());
        Ok((order.clone(), transaction))
    }

    pub fn cancel(&mut self, invoice: &str) -> Result<Order, OrderError> {
        let i = self.by_invoice(invoice).ok_or(OrderError::NotFound)?;
        let order = &mut self.orders[i];
        if order.order_status != STATUS_AWAITING {
            return Err(OrderError::NotAwaitingPayment);
        }
        order.order_status = STATUS_CANCELLED.to_owned();
        Ok(order.clone())
    }

    /// Voids a captured order's payment: status `CANCELLED` and a `VOID` transaction.
    pub fn void(&mut self, invoice: &str) -> Result<(Order, OrderTransaction), OrderError> {
        let i = self.by_invoice(invoice).ok_or(OrderError::NotFound)?;
        let order = &mut self.orders[i];
        if order.order_status != STATUS_CAPTURED {
            return Err(OrderError::NotCaptured);
        }
        let method = order.payment_method.clone().unwrap_or_default();
        let transaction = new_transaction("VOID", &method, order.amount);
        order.order_status = STATUS_CANCELLED.to_owned();
        order.transactions.push(transaction.clone());
        Ok((order.clone(), transaction))
    }
}

fn new_transaction(kind: &str, method: &str, amount: u64) -> OrderTransaction {
    OrderTransaction {
        id: uuid::Uuid::new_v4().to_string(),
        transaction_type: kind.to_owned(),
        payment_method: method.to_owned(),
        amount: fmt_vnd(amount),
        currency: "VND".to_owned(),
        status: "APPROVED".to_owned(),
        created_at: fmt_time(&now()),
    }
}

/// Whole VND with SePay's two decimals: "100000.00".
fn fmt_vnd(amount: u64) -> String {
    format!("{amount}.00")
}

/// Now in Vietnam time (UTC+7), to the second, as SePay stamps orders and bank transactions.
pub(super) fn now() -> NaiveDateTime {
    let vietnam = FixedOffset::east_opt(7 * 3600).expect("UTC+7 is a valid offset");
    let t = Utc::now().with_timezone(&vietnam).naive_local();
    t.with_nanosecond(0).unwrap_or(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new(invoice: &str) -> NewOrder {
        NewOrder {
            invoice_number: invoice.into(),
            amount: 100_000,
            operation: "PURCHASE".into(),
            description: Some("Áo thun".into()),
            customer_id: None,
            payment_method: None,
            custom_data: None,
            success_url: None,
            error_url: None,
            cancel_url: None,
        }
    }

    #[test]
    fn lifecycle_and_invoice_reuse_after_cancel() {
        let mut store = OrderStore::default();
        let first = store.create(new("INV-1"));
        assert_eq!(first.order_amount, "100000.00");
        assert!(first.order_id.starts_with("ORD-") && first.order_id.len() == 12);
        assert!(store.invoice_in_use("INV-1"));
        assert_eq!(store.void("INV-1").unwrap_err(), OrderError::NotCaptured);
        store.cancel("INV-1").unwrap();
        assert!(!store.invoice_in_use("INV-1"));
        let second = store.create(new("INV-1"));
        let (paid, tx) = store.pay("INV-1", None).unwrap();
        assert_eq!(paid.id, second.id);
        assert_eq!(tx.payment_method, "BANK_TRANSFER");
        assert_eq!(store.pay("INV-1", None).unwrap_err(), OrderError::NotAwaitingPayment);
        assert_eq!(store.cancel("INV-1").unwrap_err(), OrderError::NotAwaitingPayment);
        let (voided, tx) = store.void("INV-1").unwrap();
        assert_eq!(voided.order_status, STATUS_CANCELLED);
        assert_eq!(tx.transaction_type, "VOID");
        assert_eq!(voided.transactions.len(), 2);
        assert_eq!(store.find(&first.order_id).unwrap().id, first.id);
        assert_eq!(store.find("INV-1").unwrap().id, second.id);
        assert_eq!(store.pay("nope", None).unwrap_err(), OrderError::NotFound);
    }
}
