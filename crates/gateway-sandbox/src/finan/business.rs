//! Customers, products and invoices (Finan's business API: `/api/v1/customers`, `/products`,
//! `/invoices`), held in memory in creation order, with the checks the public docs describe.
//!
//! Bodies are read as JSON values and checked field by field, like the payment body: a malformed
//! body, a missing required field or a wrong JSON type is `400`; a value outside a documented set
//! (customer `type`, `tax_type`, a tax code, a payment method) or a broken rule (a company without
//! contact persons, a due date before the transaction date) is `422`; a duplicate
//! `customer_code`, `sku_code` or `invoice_code` is `409`; a customer code, product code or
//! `account_id` that names nothing is `404`.
//!
//! Invoice totals, all in whole VND (never floating point):
//! - each line: `amount` = `quantity` × `unit_price` (`unit_price` defaults to the product's
//!   `sale_price`); the rate of `TAX_CODE_N` is N % (`TAX_CODE_10` = 10 %);
//! - `price_excluding_tax`: line tax = amount × rate / 100; `price_including_tax`: the amount
//!   includes the tax, line tax = amount × rate / (100 + rate) and the net is amount − tax;
//!   `tax_not_applicable`: no tax. Each line's tax is rounded half up to a whole đồng;
//! - `sub_total` = the lines' net amounts; `discount_amount` = the discount's `value` (VND) or
//!   `value` % of `sub_total` (rounded half up, at most `sub_total`);
//! - `total_amount` = `sub_total` − `discount_amount` + `tax_amount`.
//!
//! An invoice is paid through a payment request with `reference_type: "invoice"` and
//! `reference_id` = the invoice id: each simulated payment of such a request adds to the invoice's
//! `paid_amount`, and its `status` follows (`unpaid`, `partial_paid`, `paid`, `extra_paid`, like
//! payment requests). An invoice with payments can no longer be updated or deleted (`422`).

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use serde_json::{Map, Value};

use super::envelope::ApiError;
use super::payments::rfc3339;

/// The documented customer `type` values.
const CUSTOMER_TYPES: [&str; 2] = ["personal", "company"];
/// The documented invoice `tax_type` values.
const TAX_TYPES: [&str; 3] = ["price_excluding_tax", "price_including_tax", "tax_not_applicable"];
/// The documented invoice `payment_methods` values.
const PAYMENT_METHODS: [&str; 3] = ["bank_transfer", "card", "ewallet_momo"];
/// The path the served invoice payment page lives under (the link is this listener's origin + it).
pub(super) const INVOICE_PAGE_PATH: &str = "/__sandbox/finan/invoices";

/// A customer as stored and answered.
#[derive(Debug, Clone, Serialize)]
pub(super) struct Customer {
    pub customer_id: String,
    pub general_info: CustomerInfo,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
    pub bank_accounts: Vec<CustomerBankAccount>,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, Serialize)]
pub(super) struct CustomerInfo {
    pub name: String,
    pub customer_code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tax_id: Option<String>,
    pub contact_persons: Vec<ContactPerson>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_tag: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub(super) struct ContactPerson {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub(super) struct Address {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub province: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub district: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ward: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zip_code: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub(super) struct CustomerBankAccount {
    pub bank_code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bank_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_holder_name: Option<String>,
    pub account_number: String,
}

/// A product as stored and answered (`product_id` is `PROD-` and a UUID, like the docs' example).
#[derive(Debug, Clone, Serialize)]
pub(super) struct Product {
    pub product_id: String,
    pub general_info: ProductInfo,
    pub sale_info: SaleInfo,
    pub purchase_info: PurchaseInfo,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, Serialize)]
pub(super) struct ProductInfo {
    pub item_name: String,
    pub sku_code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub(super) struct SaleInfo {
    pub sale_price: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sale_category_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sale_tax_code: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub(super) struct PurchaseInfo {
    pub purchase_price: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purchase_category_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purchase_tax_code: Option<String>,
}

/// An invoice as stored and answered: the body as sent (dates normalised to UTC), the computed
/// lines and totals, what has been paid, and its payment link.
#[derive(Debug, Clone, Serialize)]
pub(super) struct Invoice {
    pub invoice_id: String,
    pub invoice_code: String,
    pub status: &'static str,
    pub transaction_date: String,
    pub due_date: String,
    pub tax_type: String,
    pub items: Vec<InvoiceLine>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub discount: Option<Discount>,
    pub customer: InvoiceCustomer,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub payment_methods: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    pub sub_total: u64,
    pub discount_amount: u64,
    pub tax_amount: u64,
    pub total_amount: u64,
    pub paid_amount: u64,
    pub payment_link: String,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, Serialize)]
pub(super) struct InvoiceLine {
    pub code: String,
    /// The product's `item_name`.
    pub name: String,
    pub tax_code: String,
    pub quantity: u64,
    pub unit_price: u64,
    /// `quantity` × `unit_price`.
    pub amount: u64,
    pub tax_amount: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub(super) struct Discount {
    pub is_percentage: bool,
    /// As sent (a JSON number; a percentage may have two decimals).
    pub value: serde_json::Number,
}

#[derive(Debug, Clone, Serialize)]
pub(super) struct InvoiceCustomer {
    pub code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// The customer's name, from the customer record.
    pub name: String,
}

/// An invoice's state for tests and the payer simulation ([`super::FinanState::invoice`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceSummary {
    /// `invoice_id`.
    pub id: String,
    /// `invoice_code`.
    pub code: String,
    /// `unpaid`, `partial_paid`, `paid` or `extra_paid`.
    pub status: &'static str,
    /// VND to pay.
    pub total_amount: u64,
    /// VND received through invoice-linked payment requests.
    pub paid_amount: u64,
    /// The served payment page.
    pub payment_link: String,
}

impl From<&Invoice> for InvoiceSummary {
    fn from(invoice: &Invoice) -> Self {
        Self {
            id: invoice.invoice_id.clone(),
            code: invoice.invoice_code.clone(),
            status: invoice.status,
            total_amount: invoice.total_amount,
            paid_amount: invoice.paid_amount,
            payment_link: invoice.payment_link.clone(),
        }
    }
}

/// The three collections, in creation order.
#[derive(Debug, Default)]
pub(super) struct Business {
    customers: Vec<Customer>,
    products: Vec<Product>,
    invoices: Vec<Invoice>,
}

/// The status of an invoice (or payment request) that received `paid` of `total` VND.
fn status_of(paid: u64, total: u64) -> &'static str {
    match paid {
        0 => "unpaid",
        p if p < total => "partial_paid",
        p if p == total => "paid",
        _ => "extra_paid",
    }
}

fn position<T>(items: &[T], id: &str, id_of: impl Fn(&T) -> &str) -> Option<usize> {
    // Ids are UUIDs (with a prefix for products): case-insensitive text.
    items.iter().position(|t| id_of(t).eq_ignore_ascii_case(id))
}

impl Business {
    pub fn customers(&self) -> &[Customer] {
        &self.customers
    }

    pub fn products(&self) -> &[Product] {
        &self.products
    }

    pub fn invoices(&self) -> &[Invoice] {
        &self.invoices
    }

    pub fn customer(&self, id: &str) -> Option<&Customer> {
        position(&self.customers, id, |c| &c.customer_id).map(|i| &self.customers[i])
    }

    pub fn product(&self, id: &str) -> Option<&Product> {
        position(&self.products, id, |p| &p.product_id).map(|i| &self.products[i])
    }

    pub fn invoice(&self, id: &str) -> Option<&Invoice> {
        position(&self.invoices, id, |v| &v.invoice_id).map(|i| &self.invoices[i])
    }

    /// Creates (`id` `None`) or replaces (`Some(id)`) a customer from a request body.
    pub fn put_customer(&mut self, id: Option<&str>, body: &[u8], now: i64) -> Result<Customer, ApiError> {
        let index = match id {
            Some(id) => Some(position(&self.customers, id, |c| &c.customer_id).ok_or_else(customer_not_found)?),
            None => None,
        };
        let (general_info, address, bank_accounts) = parse_customer(body)?;
        let taken = self
            .customers
            .iter()
            .enumerate()
            .any(|(i, c)| Some(i) != index && c.general_info.customer_code == general_info.customer_code);
        if taken {
            return Err(ApiError::new(
                axum::http::StatusCode::CONFLICT,
                "Duplicate customer_code",
            ));
        }
        let stamp = rfc3339(now);
        Ok(match index {
            Some(i) => {
                let customer = &mut self.customers[i];
                customer.general_info = general_info;
                customer.address = address;
                customer.bank_accounts = bank_accounts;
                customer.updated_at = stamp;
                customer.clone()
            }
            None => {
                let customer = Customer {
                    customer_id: uuid::Uuid::new_v4().to_string(),
                    general_info,
                    address,
                    bank_accounts,
                    created_at: stamp.clone(),
                    updated_at: stamp,
                };
                self.customers.push(customer.clone());
                customer
            }
        })
    }

    pub fn delete_customer(&mut self, id: &str) -> Result<Customer, ApiError> {
        let index = position(&self.customers, id, |c| &c.customer_id).ok_or_else(customer_not_found)?;
        Ok(self.customers.remove(index))
    }

    /// Creates (`id` `None`) or replaces (`Some(id)`) a product from a request body.
    pub fn put_product(&mut self, id: Option<&str>, body: &[u8], now: i64) -> Result<Product, ApiError> {
        let index = match id {
            Some(id) => Some(position(&self.products, id, |p| &p.product_id).ok_or_else(product_not_found)?),
            None => None,
        };
        let (general_info, sale_info, purchase_info) = parse_product(body)?;
        let taken = self
            .products
            .iter()
            .enumerate()
            .any(|(i, p)| Some(i) != index && p.general_info.sku_code == general_info.sku_code);
        if taken {
            return Err(ApiError::new(axum::http::StatusCode::CONFLICT, "Duplicate sku_code"));
        }
        let stamp = rfc3339(now);
        Ok(match index {
            Some(i) => {
                let product = &mut self.products[i];
                product.general_info = general_info;
                product.sale_info = sale_info;
                product.purchase_info = purchase_info;
                product.updated_at = stamp;
                product.clone()
            }
            None => {
                let product = Product {
                    product_id: format!("PROD-{}", uuid::Uuid::new_v4()),
                    general_info,
                    sale_info,
                    purchase_info,
                    created_at: stamp.clone(),
                    updated_at: stamp,
                };
                self.products.push(product.clone());
                product
            }
        })
    }

    pub fn delete_product(&mut self, id: &str) -> Result<Product, ApiError> {
        let index = position(&self.products, id, |p| &p.product_id).ok_or_else(product_not_found)?;
        Ok(self.products.remove(index))
    }

    /// Creates (`id` `None`) or replaces (`Some(id)`) an invoice from a request body;
    /// `account_exists` checks an `account_id`, `origin` (`http://host:port`) makes the link.
    pub fn put_invoice(
        &mut self,
        id: Option<&str>,
        body: &[u8],
        account_exists: impl Fn(&str) -> bool,
        origin: &str,
        now: i64,
    ) -> Result<Invoice, ApiError> {
        let index = match id {
            Some(id) => Some(position(&self.invoices, id, |v| &v.invoice_id).ok_or_else(invoice_not_found)?),
            None => None,
        };
        if let Some(i) = index {
            if self.invoices[i].paid_amount > 0 {
                return Err(has_payments());
            }
        }
        let new = parse_invoice(body)?;
        if self
            .invoices
            .iter()
            .enumerate()
            .any(|(i, v)| Some(i) != index && v.invoice_code == new.invoice_code)
        {
            return Err(ApiError::new(
                axum::http::StatusCode::CONFLICT,
                "Duplicate invoice_code",
            ));
        }
        let customer = self
            .customers
            .iter()
            .find(|c| c.general_info.customer_code == new.customer_code)
            .ok_or_else(|| ApiError::not_found(format!("Customer not found: {}", new.customer_code)))?;
        if let Some(account_id) = new.account_id.as_deref() {
            if !account_exists(account_id) {
                return Err(ApiError::not_found("Account ID not found"));
            }
        }
        let mut lines = Vec::with_capacity(new.items.len());
        for item in &new.items {
            let product = self
                .products
                .iter()
                .find(|p| p.general_info.sku_code == item.code)
                .ok_or_else(|| ApiError::not_found(format!("Product not found: {}", item.code)))?;
            let unit_price = item.unit_price.unwrap_or(product.sale_info.sale_price);
            let amount = item
                .quantity
                .checked_mul(unit_price)
                .ok_or_else(|| ApiError::unprocessable("an item's amount is too large"))?;
            lines.push(InvoiceLine {
                code: item.code.clone(),
                name: product.general_info.item_name.clone(),
                tax_code: item.tax_code.clone(),
                quantity: item.quantity,
                unit_price,
                tax_amount: line_tax(&new.tax_type, amount, item.rate),
                amount,
                note: item.note.clone(),
            });
        }
        let totals = totals(&new.tax_type, &lines, new.discount.as_ref())?;
        let customer = InvoiceCustomer {
            code: new.customer_code.clone(),
            email: new.customer_email.clone(),
            name: customer.general_info.name.clone(),
        };
        let stamp = rfc3339(now);
        let (invoice_id, created_at) = match index {
            Some(i) => (self.invoices[i].invoice_id.clone(), self.invoices[i].created_at.clone()),
            None => (uuid::Uuid::new_v4().to_string(), stamp.clone()),
        };
        let invoice = Invoice {
            payment_link: format!("{origin}{INVOICE_PAGE_PATH}/{invoice_id}"),
            invoice_id,
            invoice_code: new.invoice_code,
            status: status_of(0, totals.total),
            transaction_date: new.transaction_date,
            due_date: new.due_date,
            tax_type: new.tax_type,
            items: lines,
            discount: new.discount.map(|d| d.wire),
            customer,
            note: new.note,
            payment_methods: new.payment_methods,
            account_id: new.account_id,
            sub_total: totals.sub_total,
            discount_amount: totals.discount,
            tax_amount: totals.tax,
            total_amount: totals.total,
            paid_amount: 0,
            created_at,
            updated_at: stamp,
        };
        match index {
            Some(i) => self.invoices[i] = invoice.clone(),
            None => self.invoices.push(invoice.clone()),
        }
        Ok(invoice)
    }

    pub fn delete_invoice(&mut self, id: &str) -> Result<Invoice, ApiError> {
        let index = position(&self.invoices, id, |v| &v.invoice_id).ok_or_else(invoice_not_found)?;
        if self.invoices[index].paid_amount > 0 {
            return Err(has_payments());
        }
        Ok(self.invoices.remove(index))
    }

    /// Adds `amount` VND paid through an invoice-linked payment request to invoice `invoice_id`
    /// (nothing when no invoice has that id).
    pub fn record_payment(&mut self, invoice_id: &str, amount: u64, now: i64) {
        if let Some(i) = position(&self.invoices, invoice_id, |v| &v.invoice_id) {
            let invoice = &mut self.invoices[i];
            invoice.paid_amount = invoice.paid_amount.saturating_add(amount);
            invoice.status = status_of(invoice.paid_amount, invoice.total_amount);
            invoice.updated_at = rfc3339(now);
        }
    }
}

fn customer_not_found() -> ApiError {
    ApiError::not_found("Customer not found")
}

fn product_not_found() -> ApiError {
    ApiError::not_found("Product not found")
}

fn invoice_not_found() -> ApiError {
    ApiError::not_found("Invoice not found")
}

fn has_payments() -> ApiError {
    ApiError::unprocessable("Invoice has payments and can no longer be changed")
}

/// A tax code's rate in percent: `TAX_CODE_N` is N % for N in 0..=100.
fn tax_rate(code: &str) -> Option<u64> {
    let digits = code.strip_prefix("TAX_CODE_")?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) || digits.len() > 3 {
        return None;
    }
    digits.parse().ok().filter(|&n| n <= 100)
}

/// `numerator / denominator` rounded half up (`denominator` > 0), in u128 so nothing overflows.
fn div_round(numerator: u128, denominator: u128) -> u64 {
    u64::try_from((numerator + denominator / 2) / denominator).unwrap_or(u64::MAX)
}

fn line_tax(tax_type: &str, amount: u64, rate: u64) -> u64 {
    match tax_type {
        "price_excluding_tax" => div_round(u128::from(amount) * u128::from(rate), 100),
        "price_including_tax" => div_round(u128::from(amount) * u128::from(rate), 100 + u128::from(rate)),
        _ => 0,
    }
}

struct Totals {
    sub_total: u64,
    discount: u64,
    tax: u64,
    total: u64,
}

fn totals(tax_type: &str, lines: &[InvoiceLine], discount: Option<&NewDiscount>) -> Result<Totals, ApiError> {
    let too_large = || ApiError::unprocessable("the invoice total is too large");
    let mut sub_total = 0u64;
    let mut tax = 0u64;
    for line in lines {
        let net = if tax_type == "price_including_tax" {
            line.amount - line.tax_amount
        } else {
            line.amount
        };
        sub_total = sub_total.checked_add(net).ok_or_else(too_large)?;
        tax = tax.checked_add(line.tax_amount).ok_or_else(too_large)?;
    }
    let discount = match discount {
        None => 0,
        Some(NewDiscount {
            amount: Some(amount), ..
        }) => *amount,
        Some(NewDiscount {
            hundredths_of_percent, ..
        }) => div_round(u128::from(sub_total) * u128::from(*hundredths_of_percent), 10_000),
    }
    .min(sub_total);
    let total = (sub_total - discount).checked_add(tax).ok_or_else(too_large)?;
    Ok(Totals {
        sub_total,
        discount,
        tax,
        total,
    })
}

// ---- request bodies -------------------------------------------------------------------------

type CustomerParts = (CustomerInfo, Option<Address>, Vec<CustomerBankAccount>);

fn parse_customer(body: &[u8]) -> Result<CustomerParts, ApiError> {
    let body = object(body)?;
    let info = required(child(&body, "general_info", "general_info")?, "general_info")?;
    let kind = required(text(info, "type", "general_info.type")?, "general_info.type")?;
    let contact_persons = match info.get("contact_persons") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(list)) => list
            .iter()
            .enumerate()
            .map(|(i, person)| {
                let path = format!("general_info.contact_persons[{i}]");
                let person = person
                    .as_object()
                    .ok_or_else(|| ApiError::bad_request(format!("{path} must be an object")))?;
                Ok(ContactPerson {
                    name: required(text(person, "name", &format!("{path}.name"))?, &format!("{path}.name"))?,
                    phone_number: text(person, "phone_number", &format!("{path}.phone_number"))?,
                    email: text(person, "email", &format!("{path}.email"))?,
                })
            })
            .collect::<Result<_, ApiError>>()?,
        Some(_) => return Err(ApiError::bad_request("general_info.contact_persons must be an array")),
    };
    let general_info = CustomerInfo {
        name: required(text(info, "name", "general_info.name")?, "general_info.name")?,
        customer_code: required(
            text(info, "customer_code", "general_info.customer_code")?,
            "general_info.customer_code",
        )?,
        phone: text(info, "phone", "general_info.phone")?,
        phone_code: text(info, "phone_code", "general_info.phone_code")?,
        email: text(info, "email", "general_info.email")?,
        tax_id: text(info, "tax_id", "general_info.tax_id")?,
        custom_tag: text(info, "custom_tag", "general_info.custom_tag")?,
        contact_persons,
        kind,
    };
    if !CUSTOMER_TYPES.contains(&general_info.kind.as_str()) {
        return Err(ApiError::unprocessable("general_info.type must be personal or company"));
    }
    if general_info.kind == "company" && general_info.contact_persons.is_empty() {
        return Err(ApiError::unprocessable(
            "general_info.contact_persons is required for a company",
        ));
    }
    let address = match child(&body, "address", "address")? {
        None => None,
        Some(a) => Some(Address {
            country: text(a, "country", "address.country")?,
            province: text(a, "province", "address.province")?,
            district: text(a, "district", "address.district")?,
            ward: text(a, "ward", "address.ward")?,
            address: text(a, "address", "address.address")?,
            zip_code: text(a, "zip_code", "address.zip_code")?,
        }),
    };
    let bank_accounts = objects(&body, "bank_accounts")?
        .into_iter()
        .enumerate()
        .map(|(i, account)| {
            let path = |field: &str| format!("bank_accounts[{i}].{field}");
            Ok(CustomerBankAccount {
                bank_code: required(text(account, "bank_code", &path("bank_code"))?, &path("bank_code"))?,
                bank_name: text(account, "bank_name", &path("bank_name"))?,
                account_holder_name: text(account, "account_holder_name", &path("account_holder_name"))?,
                account_number: required(
                    text(account, "account_number", &path("account_number"))?,
                    &path("account_number"),
                )?,
            })
        })
        .collect::<Result<_, ApiError>>()?;
    Ok((general_info, address, bank_accounts))
}

fn parse_product(body: &[u8]) -> Result<(ProductInfo, SaleInfo, PurchaseInfo), ApiError> {
    let body = object(body)?;
    let info = required(child(&body, "general_info", "general_info")?, "general_info")?;
    let sale = required(child(&body, "sale_info", "sale_info")?, "sale_info")?;
    let purchase = required(child(&body, "purchase_info", "purchase_info")?, "purchase_info")?;
    let general_info = ProductInfo {
        item_name: required(
            text(info, "item_name", "general_info.item_name")?,
            "general_info.item_name",
        )?,
        sku_code: required(
            text(info, "sku_code", "general_info.sku_code")?,
            "general_info.sku_code",
        )?,
        unit: text(info, "unit", "general_info.unit")?,
        description: text(info, "description", "general_info.description")?,
    };
    let sale_info = SaleInfo {
        sale_price: required(
            amount(sale, "sale_price", "sale_info.sale_price")?,
            "sale_info.sale_price",
        )?,
        sale_category_code: text(sale, "sale_category_code", "sale_info.sale_category_code")?,
        sale_tax_code: text(sale, "sale_tax_code", "sale_info.sale_tax_code")?,
    };
    let purchase_info = PurchaseInfo {
        purchase_price: required(
            amount(purchase, "purchase_price", "purchase_info.purchase_price")?,
            "purchase_info.purchase_price",
        )?,
        purchase_category_code: text(
            purchase,
            "purchase_category_code",
            "purchase_info.purchase_category_code",
        )?,
        purchase_tax_code: text(purchase, "purchase_tax_code", "purchase_info.purchase_tax_code")?,
    };
    for (code, path) in [
        (&sale_info.sale_tax_code, "sale_info.sale_tax_code"),
        (&purchase_info.purchase_tax_code, "purchase_info.purchase_tax_code"),
    ] {
        if code.as_deref().is_some_and(|c| tax_rate(c).is_none()) {
            return Err(ApiError::unprocessable(format!("{path} is not a known tax code")));
        }
    }
    Ok((general_info, sale_info, purchase_info))
}

struct NewInvoice {
    invoice_code: String,
    transaction_date: String,
    due_date: String,
    tax_type: String,
    items: Vec<NewItem>,
    discount: Option<NewDiscount>,
    customer_code: String,
    customer_email: Option<String>,
    note: Option<String>,
    payment_methods: Vec<String>,
    account_id: Option<String>,
}

struct NewItem {
    code: String,
    tax_code: String,
    rate: u64,
    quantity: u64,
    unit_price: Option<u64>,
    note: Option<String>,
}

struct NewDiscount {
    wire: Discount,
    /// A fixed discount in VND.
    amount: Option<u64>,
    /// A percentage discount, in hundredths of a percent (10.5 % = 1050).
    hundredths_of_percent: u64,
}

fn parse_invoice(body: &[u8]) -> Result<NewInvoice, ApiError> {
    let body = object(body)?;
    let invoice_code = required(text(&body, "invoice_code", "invoice_code")?, "invoice_code")?;
    let transaction_date = required(date(&body, "transaction_date")?, "transaction_date")?;
    let due_date = required(date(&body, "due_date")?, "due_date")?;
    let tax_type = required(text(&body, "tax_type", "tax_type")?, "tax_type")?;
    let customer = required(child(&body, "customer", "customer")?, "customer")?;
    let customer_code = required(text(customer, "code", "customer.code")?, "customer.code")?;
    let customer_email = text(customer, "email", "customer.email")?;
    let note = text(&body, "note", "note")?;
    let account_id = text(&body, "account_id", "account_id")?;
    let payment_methods = match body.get("payment_methods") {
        None | Some(Value::Null) => return Err(missing("payment_methods")),
        Some(Value::Array(list)) => list
            .iter()
            .map(|m| {
                m.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| ApiError::bad_request("payment_methods must be an array of strings"))
            })
            .collect::<Result<Vec<_>, _>>()?,
        Some(_) => return Err(ApiError::bad_request("payment_methods must be an array")),
    };
    let raw_items = objects(&body, "items")?;
    let mut items = Vec::with_capacity(raw_items.len());
    for (i, item) in raw_items.into_iter().enumerate() {
        let path = |field: &str| format!("items[{i}].{field}");
        let quantity = required(amount(item, "quantity", &path("quantity"))?, &path("quantity"))?;
        let tax_code = required(text(item, "tax_code", &path("tax_code"))?, &path("tax_code"))?;
        let rate = tax_rate(&tax_code)
            .ok_or_else(|| ApiError::unprocessable(format!("{} is not a known tax code", path("tax_code"))))?;
        if quantity == 0 {
            return Err(ApiError::unprocessable(format!(
                "{} must be greater than 0",
                path("quantity")
            )));
        }
        items.push(NewItem {
            code: required(text(item, "code", &path("code"))?, &path("code"))?,
            unit_price: amount(item, "unit_price", &path("unit_price"))?,
            note: text(item, "note", &path("note"))?,
            tax_code,
            rate,
            quantity,
        });
    }
    let discount = match child(&body, "discount", "discount")? {
        None => None,
        Some(d) => Some(parse_discount(d)?),
    };

    if items.is_empty() {
        return Err(ApiError::unprocessable("items must not be empty"));
    }
    if !TAX_TYPES.contains(&tax_type.as_str()) {
        return Err(ApiError::unprocessable(
            "tax_type must be one of price_excluding_tax, price_including_tax, tax_not_applicable",
        ));
    }
    if payment_methods.is_empty() || payment_methods.iter().any(|m| !PAYMENT_METHODS.contains(&m.as_str())) {
        return Err(ApiError::unprocessable(
            "payment_methods must list bank_transfer, card or ewallet_momo",
        ));
    }
    if due_date < transaction_date {
        // Both are normalised RFC 3339 UTC with whole seconds: text order is time order.
        return Err(ApiError::unprocessable("due_date must not be before transaction_date"));
    }
    Ok(NewInvoice {
        invoice_code,
        transaction_date,
        due_date,
        tax_type,
        items,
        discount,
        customer_code,
        customer_email,
        note,
        payment_methods,
        account_id,
    })
}

fn parse_discount(d: &Map<String, Value>) -> Result<NewDiscount, ApiError> {
    let is_percentage = match d.get("is_percentage") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(ApiError::bad_request("discount.is_percentage must be a boolean")),
    };
    let value = match d.get("value") {
        None | Some(Value::Null) => return Err(missing("discount.value")),
        Some(Value::Number(n)) => n.clone(),
        Some(_) => return Err(ApiError::bad_request("discount.value must be a number")),
    };
    let text = value.to_string();
    if is_percentage {
        let hundredths = hundredths(&text).filter(|&h| h <= 10_000).ok_or_else(|| {
            ApiError::unprocessable("discount.value must be a percentage from 0 to 100 (two decimals)")
        })?;
        Ok(NewDiscount {
            wire: Discount { is_percentage, value },
            amount: None,
            hundredths_of_percent: hundredths,
        })
    } else {
        let amount = value
            .as_u64()
            .ok_or_else(|| ApiError::unprocessable("discount.value must be a whole number of VND, 0 or more"))?;
        Ok(NewDiscount {
            wire: Discount { is_percentage, value },
            amount: Some(amount),
            hundredths_of_percent: 0,
        })
    }
}

/// `"10"`, `"10.5"`, `"10.25"` as hundredths (1000, 1050, 1025); `None` for negatives, more than
/// two decimals or exponents. Read from the number's text, so no floating point is involved.
fn hundredths(text: &str) -> Option<u64> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let fraction = fraction.trim_end_matches('0');
    if whole.is_empty()
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || fraction.len() > 2
        || !fraction.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let whole: u64 = whole.parse().ok()?;
    let fraction: u64 = format!("{fraction:0<2}").parse().ok()?;
    whole.checked_mul(100)?.checked_add(fraction)
}

fn object(body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    match serde_json::from_slice(body) {
        Ok(Value::Object(object)) => Ok(object),
        _ => Err(ApiError::bad_request("Invalid request body")),
    }
}

fn missing(path: &str) -> ApiError {
    ApiError::bad_request(format!("{path} is required"))
}

fn required<T>(value: Option<T>, path: &str) -> Result<T, ApiError> {
    value.ok_or_else(|| missing(path))
}

/// A string field; absent, `null` and `""` are `None`.
fn text(object: &Map<String, Value>, key: &str, path: &str) -> Result<Option<String>, ApiError> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ApiError::bad_request(format!("{path} must be a string"))),
    }
}

/// A whole non-negative number (VND or a quantity); `1.5`, `-1` or `"1"` is a 400.
fn amount(object: &Map<String, Value>, key: &str, path: &str) -> Result<Option<u64>, ApiError> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_u64()
            .map(Some)
            .ok_or_else(|| ApiError::bad_request(format!("{path} must be a whole number, 0 or more"))),
        Some(_) => Err(ApiError::bad_request(format!("{path} must be an integer"))),
    }
}

/// An RFC 3339 date-time, normalised to UTC with whole seconds.
fn date(object: &Map<String, Value>, key: &str) -> Result<Option<String>, ApiError> {
    let Some(text) = text(object, key, key)? else {
        return Ok(None);
    };
    let parsed = DateTime::parse_from_rfc3339(&text)
        .map_err(|_| ApiError::bad_request(format!("{key} must be an RFC 3339 date-time")))?;
    Ok(Some(
        parsed.with_timezone(&Utc).to_rfc3339_opts(SecondsFormat::Secs, true),
    ))
}

fn child<'a>(
    object: &'a Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<Option<&'a Map<String, Value>>, ApiError> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(o)) => Ok(Some(o)),
        Some(_) => Err(ApiError::bad_request(format!("{path} must be an object"))),
    }
}

/// An array of objects; absent or `null` is empty.
fn objects<'a>(object: &'a Map<String, Value>, key: &str) -> Result<Vec<&'a Map<String, Value>>, ApiError> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(list)) => list
            .iter()
            .enumerate()
            .map(|(i, v)| {
                v.as_object()
                    .ok_or_else(|| ApiError::bad_request(format!("{key}[{i}] must be an object")))
            })
            .collect(),
        Some(_) => Err(ApiError::bad_request(format!("{key} must be an array"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tax_codes_and_rates() {
        assert_eq!(tax_rate("TAX_CODE_10"), Some(10));
        assert_eq!(tax_rate("TAX_CODE_0"), Some(0));
        assert_eq!(tax_rate("TAX_CODE_8"), Some(8));
        assert_eq!(tax_rate("TAX_CODE_"), None);
        assert_eq!(tax_rate("TAX_CODE_101"), None);
        assert_eq!(tax_rate("VAT10"), None);
    }

    #[test]
    fn line_tax_by_tax_type() {
        assert_eq!(line_tax("price_excluding_tax", 200_000, 10), 20_000);
        // 110,000 including 10 % holds 10,000 of tax.
        assert_eq!(line_tax("price_including_tax", 110_000, 10), 10_000);
        assert_eq!(line_tax("tax_not_applicable", 200_000, 10), 0);
        // Rounded half up: 5 × 8 % = 0.4 → 0, 7 × 8 % = 0.56 → 1.
        assert_eq!(line_tax("price_excluding_tax", 5, 8), 0);
        assert_eq!(line_tax("price_excluding_tax", 7, 8), 1);
    }

    #[test]
    fn percentages_in_hundredths() {
        assert_eq!(hundredths("10"), Some(1000));
        assert_eq!(hundredths("10.5"), Some(1050));
        assert_eq!(hundredths("10.25"), Some(1025));
        assert_eq!(hundredths("10.250"), Some(1025));
        assert_eq!(hundredths("10.125"), None);
        assert_eq!(hundredths("-1"), None);
        assert_eq!(hundredths("1e2"), None);
    }

    #[test]
    fn status_follows_paid_amount() {
        assert_eq!(status_of(0, 10), "unpaid");
        assert_eq!(status_of(4, 10), "partial_paid");
        assert_eq!(status_of(10, 10), "paid");
        assert_eq!(status_of(11, 10), "extra_paid");
    }
}
