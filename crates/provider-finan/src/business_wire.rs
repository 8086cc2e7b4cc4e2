//! Finan's customer, product and invoice JSON (`/api/v1/customers`, `/products`, `/invoices`),
//! with exactly the field names of Finan's public docs, typed as they are decoded:
//!
//! - money (`sale_price`, `purchase_price`, `unit_price`, invoice totals, a fixed discount) is a
//!   whole number of VND (`u64`, đồng: VND has no minor unit); a percentage discount is a
//!   [`Decimal`]; nothing goes through `f64`;
//! - dates are [`DateTime<Utc>`], sent as RFC 3339 (`2024-01-20T10:00:00Z`); a reply with an offset
//!   is converted to UTC;
//! - documented value sets (customer `type`, `tax_type`, invoice `status`, `payment_methods`) are
//!   enums whose `Other` arm keeps a value this version does not know, so a new value Finan adds
//!   decodes instead of failing.
//!
//! The request types (`New*`) serve both create (`POST`) and update (`PUT`, which replaces the
//! record). Response fields the docs do not show for certain (timestamps, invoice totals, what has
//! been paid) are optional, so a reply without them still decodes.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An enum over a documented set of wire strings, with `Other` for anything else.
macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
            /// A value this version does not know, kept as Finan sent it.
            Other(String),
        }

        impl $name {
            /// The wire text.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $text,)+
                    Self::Other(text) => text,
                }
            }
        }

        impl From<&str> for $name {
            fn from(text: &str) -> Self {
                match text {
                    $($text => Self::$variant,)+
                    other => Self::Other(other.to_owned()),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = String::deserialize(deserializer)?;
                Ok(Self::from(text.as_str()))
            }
        }
    };
}

wire_enum! {
    /// A customer's `type`: `personal` or `company` (a company needs contact persons).
    #[derive(Default)]
    CustomerType {
        /// `personal`.
        #[default]
        Personal = "personal",
        /// `company`.
        Company = "company",
    }
}

wire_enum! {
    /// An invoice's `tax_type`: whether `unit_price` includes the tax.
    #[derive(Default)]
    TaxType {
        /// `price_excluding_tax`: the tax is added to the prices.
        #[default]
        PriceExcludingTax = "price_excluding_tax",
        /// `price_including_tax`: the prices include the tax.
        PriceIncludingTax = "price_including_tax",
        /// `tax_not_applicable`: no tax.
        TaxNotApplicable = "tax_not_applicable",
    }
}

wire_enum! {
    /// An invoice's `status`, from what has been paid against its total (the values of payment
    /// requests: `unpaid`, `partial_paid`, `paid`, `extra_paid`).
    InvoiceStatus {
        /// `unpaid`: nothing received.
        Unpaid = "unpaid",
        /// `partial_paid`: part of the total received.
        PartialPaid = "partial_paid",
        /// `paid`: the total received.
        Paid = "paid",
        /// `extra_paid`: more than the total received.
        ExtraPaid = "extra_paid",
    }
}

wire_enum! {
    /// One of an invoice's accepted `payment_methods`.
    InvoicePaymentMethod {
        /// `bank_transfer`.
        BankTransfer = "bank_transfer",
        /// `card`.
        Card = "card",
        /// `ewallet_momo`: the MoMo wallet.
        EwalletMomo = "ewallet_momo",
    }
}

/// A Finan tax code from its Code Reference, e.g. `TAX_CODE_10` (VAT 10 %); kept as text, since
/// the reference may list codes this version does not know.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TaxCode(pub String);

impl TaxCode {
    /// `TAX_CODE_10`: VAT 10 %, the docs' example.
    pub fn vat_10() -> Self {
        Self::percent(10)
    }

    /// `TAX_CODE_{rate}`, the form of the docs' examples (`TAX_CODE_10`, `TAX_CODE_8`).
    pub fn percent(rate: u8) -> Self {
        Self(format!("TAX_CODE_{rate}"))
    }

    /// The code as sent.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The rate in percent of a `TAX_CODE_{N}` code; `None` for any other form.
    pub fn rate_percent(&self) -> Option<u8> {
        let digits = self.0.strip_prefix("TAX_CODE_")?;
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits.parse().ok()
    }
}

impl From<&str> for TaxCode {
    fn from(code: &str) -> Self {
        Self(code.to_owned())
    }
}

impl fmt::Display for TaxCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

// ---- customers ------------------------------------------------------------------------------

/// A customer's `general_info`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerGeneralInfo {
    /// Full name.
    pub name: String,
    /// The merchant's unique customer code; a second customer with the same code is refused with
    /// [`gateway_core::Error::Conflict`] (HTTP 409). Invoices name their customer by it.
    pub customer_code: String,
    /// Phone number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// International dialling code, e.g. `+84`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_code: Option<String>,
    /// Email address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// `personal` or `company`.
    #[serde(rename = "type")]
    pub customer_type: CustomerType,
    /// Tax identification number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_id: Option<String>,
    /// Contact persons; required for a company.
    #[serde(default, deserialize_with = "null_as_default", skip_serializing_if = "Vec::is_empty")]
    pub contact_persons: Vec<ContactPerson>,
    /// A free label, e.g. `VIP`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_tag: Option<String>,
}

/// One of a customer's `contact_persons`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactPerson {
    /// Name.
    pub name: String,
    /// Phone number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    /// Email address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// A customer's `address`; every field optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerAddress {
    /// Country.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// Province or state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub province: Option<String>,
    /// District.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub district: Option<String>,
    /// Ward.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ward: Option<String>,
    /// Street address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// Postal code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zip_code: Option<String>,
}

/// One of a customer's `bank_accounts`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerBankAccount {
    /// Finan's bank code (the docs' example: `"201"`, Vietcombank), not a NAPAS BIN.
    pub bank_code: String,
    /// Bank name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bank_name: Option<String>,
    /// Account holder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_holder_name: Option<String>,
    /// Account number.
    pub account_number: String,
}

/// The body of `POST /api/v1/customers` and `PUT /api/v1/customers/:id`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct NewCustomer {
    /// Name, code, type and contacts (required).
    pub general_info: CustomerGeneralInfo,
    /// Postal address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<CustomerAddress>,
    /// Bank accounts.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub bank_accounts: Vec<CustomerBankAccount>,
}

impl NewCustomer {
    /// A personal customer with a name and the merchant's customer code.
    pub fn personal(name: impl Into<String>, customer_code: impl Into<String>) -> Self {
        Self::of(name.into(), customer_code.into(), CustomerType::Personal)
    }

    /// A company with its first contact person (Finan requires one for a company).
    pub fn company(name: impl Into<String>, customer_code: impl Into<String>, contact: ContactPerson) -> Self {
        let mut customer = Self::of(name.into(), customer_code.into(), CustomerType::Company);
        customer.general_info.contact_persons.push(contact);
        customer
    }

    fn of(name: String, customer_code: String, customer_type: CustomerType) -> Self {
        Self {
            general_info: CustomerGeneralInfo {
                name,
                customer_code,
                customer_type,
                ..CustomerGeneralInfo::default()
            },
            ..Self::default()
        }
    }

    /// Sets the email address.
    pub fn email(mut self, email: impl Into<String>) -> Self {
        self.general_info.email = Some(email.into());
        self
    }

    /// Sets the phone number and its dialling code (e.g. `"+84"`, `"0933456789"`).
    pub fn phone(mut self, phone_code: impl Into<String>, phone: impl Into<String>) -> Self {
        self.general_info.phone_code = Some(phone_code.into());
        self.general_info.phone = Some(phone.into());
        self
    }
}

/// A customer as Finan returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    /// Finan's id, used in `/api/v1/customers/:id`.
    pub customer_id: String,
    /// Name, code, type and contacts.
    pub general_info: CustomerGeneralInfo,
    /// Postal address, when set.
    #[serde(default)]
    pub address: Option<CustomerAddress>,
    /// Bank accounts.
    #[serde(default, deserialize_with = "null_as_default")]
    pub bank_accounts: Vec<CustomerBankAccount>,
    /// When it was created.
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
    /// When it last changed.
    #[serde(default)]
    pub updated_at: Option<DateTime<Utc>>,
}

// ---- products -------------------------------------------------------------------------------

/// A product's `general_info`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductGeneralInfo {
    /// Product name.
    pub item_name: String,
    /// The merchant's unique SKU code; invoice items name their product by it.
    pub sku_code: String,
    /// Unit of measurement, e.g. `pcs`, `kg`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// A product's `sale_info`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaleInfo {
    /// Sale price before tax, whole VND.
    #[serde(deserialize_with = "gateway_core::lenient::u64_lenient")]
    pub sale_price: u64,
    /// Income category code (Finan's Code Reference, e.g. `C1001`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sale_category_code: Option<String>,
    /// Tax code, e.g. `TAX_CODE_10`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sale_tax_code: Option<TaxCode>,
}

/// A product's `purchase_info`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PurchaseInfo {
    /// Purchase price before tax, whole VND.
    #[serde(deserialize_with = "gateway_core::lenient::u64_lenient")]
    pub purchase_price: u64,
    /// Expense category code (Finan's Code Reference, e.g. `D1001`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purchase_category_code: Option<String>,
    /// Tax code, e.g. `TAX_CODE_8`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purchase_tax_code: Option<TaxCode>,
}

/// The body of `POST /api/v1/products` and `PUT /api/v1/products/:id` (all three parts are
/// required by Finan).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct NewProduct {
    /// Name, SKU, unit, description.
    pub general_info: ProductGeneralInfo,
    /// Sale price and its codes.
    pub sale_info: SaleInfo,
    /// Purchase price and its codes.
    pub purchase_info: PurchaseInfo,
}

impl NewProduct {
    /// A product with its name, SKU code and prices (whole VND, before tax).
    pub fn new(
        item_name: impl Into<String>,
        sku_code: impl Into<String>,
        sale_price: u64,
        purchase_price: u64,
    ) -> Self {
        Self {
            general_info: ProductGeneralInfo {
                item_name: item_name.into(),
                sku_code: sku_code.into(),
                ..ProductGeneralInfo::default()
            },
            sale_info: SaleInfo {
                sale_price,
                ..SaleInfo::default()
            },
            purchase_info: PurchaseInfo {
                purchase_price,
                ..PurchaseInfo::default()
            },
        }
    }

    /// Sets the sale tax code.
    pub fn sale_tax_code(mut self, code: TaxCode) -> Self {
        self.sale_info.sale_tax_code = Some(code);
        self
    }

    /// Sets the unit of measurement.
    pub fn unit(mut self, unit: impl Into<String>) -> Self {
        self.general_info.unit = Some(unit.into());
        self
    }
}

/// A product as Finan returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Product {
    /// Finan's id (the docs' example: `PROD-` and a UUID), used in `/api/v1/products/:id`.
    pub product_id: String,
    /// Name, SKU, unit, description.
    pub general_info: ProductGeneralInfo,
    /// Sale price and its codes.
    pub sale_info: SaleInfo,
    /// Purchase price and its codes, when returned.
    #[serde(default)]
    pub purchase_info: Option<PurchaseInfo>,
    /// When it was created.
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
    /// When it last changed.
    #[serde(default)]
    pub updated_at: Option<DateTime<Utc>>,
}

// ---- invoices -------------------------------------------------------------------------------

/// One of an invoice's `items` as sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InvoiceItem {
    /// The product's SKU code.
    pub code: String,
    /// Tax code, e.g. `TAX_CODE_10`.
    pub tax_code: TaxCode,
    /// Units.
    #[serde(deserialize_with = "gateway_core::lenient::u64_lenient")]
    pub quantity: u64,
    /// Price per unit, whole VND; Finan uses the product's sale price when it is not sent.
    #[serde(
        default,
        deserialize_with = "gateway_core::lenient::option_u64_lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub unit_price: Option<u64>,
    /// A note on the line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl InvoiceItem {
    /// `quantity` units of the product `sku_code` at its sale price, taxed with `tax_code`.
    pub fn new(sku_code: impl Into<String>, tax_code: TaxCode, quantity: u64) -> Self {
        Self {
            code: sku_code.into(),
            tax_code,
            quantity,
            unit_price: None,
            note: None,
        }
    }

    /// Sets the price per unit (whole VND) instead of the product's sale price.
    pub fn unit_price(mut self, unit_price: u64) -> Self {
        self.unit_price = Some(unit_price);
        self
    }
}

/// An invoice's `discount`: a fixed amount of VND or a percentage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Discount {
    /// `true`: `value` is a percentage; `false`: whole VND.
    pub is_percentage: bool,
    /// The amount (VND) or percentage, sent as a JSON number without passing through `f64`.
    #[serde(with = "decimal_number")]
    pub value: Decimal,
}

impl Discount {
    /// A fixed discount of `vnd` đồng.
    pub fn amount(vnd: u64) -> Self {
        Self {
            is_percentage: false,
            value: Decimal::from(vnd),
        }
    }

    /// A discount of `percent` % (e.g. `Decimal::new(105, 1)` for 10.5 %).
    pub fn percent(percent: Decimal) -> Self {
        Self {
            is_percentage: true,
            value: percent,
        }
    }
}

/// An invoice's `customer` as sent: the customer's code, and an email to send the invoice to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct InvoiceCustomer {
    /// The customer's `customer_code`.
    pub code: String,
    /// Where to send the invoice.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// The body of `POST /api/v1/invoices` and `PUT /api/v1/invoices/:id`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct NewInvoice {
    /// The merchant's unique invoice code.
    pub invoice_code: String,
    /// Transaction date, sent as RFC 3339.
    pub transaction_date: DateTime<Utc>,
    /// Payment due date, sent as RFC 3339; not before the transaction date.
    pub due_date: DateTime<Utc>,
    /// Whether the prices include the tax.
    pub tax_type: TaxType,
    /// The lines (at least one).
    pub items: Vec<InvoiceItem>,
    /// A discount on the invoice.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub discount: Option<Discount>,
    /// Who pays.
    pub customer: InvoiceCustomer,
    /// A note on the invoice.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Accepted payment methods (at least one).
    pub payment_methods: Vec<InvoicePaymentMethod>,
    /// The receiving account (from the account endpoints); required for bank transfers to a
    /// Shinhan account.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
}

impl NewInvoice {
    /// An invoice `invoice_code` for the customer `customer_code`, prices excluding tax, payable by
    /// bank transfer; add lines with [`Self::item`].
    pub fn new(
        invoice_code: impl Into<String>,
        customer_code: impl Into<String>,
        transaction_date: DateTime<Utc>,
        due_date: DateTime<Utc>,
    ) -> Self {
        Self {
            invoice_code: invoice_code.into(),
            transaction_date,
            due_date,
            customer: InvoiceCustomer {
                code: customer_code.into(),
                email: None,
            },
            payment_methods: vec![InvoicePaymentMethod::BankTransfer],
            ..Self::default()
        }
    }

    /// Adds a line.
    pub fn item(mut self, item: InvoiceItem) -> Self {
        self.items.push(item);
        self
    }

    /// Sets the discount.
    pub fn discount(mut self, discount: Discount) -> Self {
        self.discount = Some(discount);
        self
    }

    /// Sets the accepted payment methods.
    pub fn payment_methods(mut self, methods: Vec<InvoicePaymentMethod>) -> Self {
        self.payment_methods = methods;
        self
    }

    /// Sets the receiving account.
    pub fn account_id(mut self, account_id: impl Into<String>) -> Self {
        self.account_id = Some(account_id.into());
        self
    }
}

/// One of an invoice's `items` as Finan returns it, with its computed amounts when given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceLine {
    /// The product's SKU code.
    pub code: String,
    /// The product's name, when returned.
    #[serde(default)]
    pub name: Option<String>,
    /// Tax code.
    pub tax_code: TaxCode,
    /// Units.
    #[serde(deserialize_with = "gateway_core::lenient::u64_lenient")]
    pub quantity: u64,
    /// Price per unit, whole VND.
    #[serde(default, deserialize_with = "gateway_core::lenient::option_u64_lenient")]
    pub unit_price: Option<u64>,
    /// `quantity` × `unit_price`, whole VND.
    #[serde(default, deserialize_with = "gateway_core::lenient::option_u64_lenient")]
    pub amount: Option<u64>,
    /// The line's tax, whole VND.
    #[serde(default, deserialize_with = "gateway_core::lenient::option_u64_lenient")]
    pub tax_amount: Option<u64>,
    /// A note on the line.
    #[serde(default)]
    pub note: Option<String>,
}

/// An invoice's `customer` as Finan returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceCustomerInfo {
    /// The customer's `customer_code`.
    pub code: String,
    /// Email, when set.
    #[serde(default)]
    pub email: Option<String>,
    /// The customer's name, when returned.
    #[serde(default)]
    pub name: Option<String>,
}

/// An invoice as Finan returns it: what was sent, its totals and payment state, and the link the
/// customer pays through.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invoice {
    /// Finan's id, used in `/api/v1/invoices/:id` and as the `reference_id` of a payment request
    /// for it ([`crate::FinanClient::create_invoice_payment`]).
    pub invoice_id: String,
    /// The merchant's invoice code.
    pub invoice_code: String,
    /// Payment state, when returned.
    #[serde(default)]
    pub status: Option<InvoiceStatus>,
    /// Transaction date.
    #[serde(default)]
    pub transaction_date: Option<DateTime<Utc>>,
    /// Payment due date.
    #[serde(default)]
    pub due_date: Option<DateTime<Utc>>,
    /// Whether the prices include the tax.
    #[serde(default)]
    pub tax_type: Option<TaxType>,
    /// The lines.
    #[serde(default, deserialize_with = "null_as_default")]
    pub items: Vec<InvoiceLine>,
    /// The discount, when there is one.
    #[serde(default)]
    pub discount: Option<Discount>,
    /// Who pays.
    #[serde(default)]
    pub customer: Option<InvoiceCustomerInfo>,
    /// A note.
    #[serde(default)]
    pub note: Option<String>,
    /// Accepted payment methods.
    #[serde(default, deserialize_with = "null_as_default")]
    pub payment_methods: Vec<InvoicePaymentMethod>,
    /// The receiving account.
    #[serde(default)]
    pub account_id: Option<String>,
    /// The lines' amounts before tax and discount, whole VND.
    #[serde(default, deserialize_with = "gateway_core::lenient::option_u64_lenient")]
    pub sub_total: Option<u64>,
    /// The discount in VND.
    #[serde(default, deserialize_with = "gateway_core::lenient::option_u64_lenient")]
    pub discount_amount: Option<u64>,
    /// The tax, whole VND.
    #[serde(default, deserialize_with = "gateway_core::lenient::option_u64_lenient")]
    pub tax_amount: Option<u64>,
    /// What the customer pays, whole VND.
    #[serde(default, deserialize_with = "gateway_core::lenient::option_u64_lenient")]
    pub total_amount: Option<u64>,
    /// What has been received, whole VND.
    #[serde(default, deserialize_with = "gateway_core::lenient::option_u64_lenient")]
    pub paid_amount: Option<u64>,
    /// The page where the customer pays the invoice.
    #[serde(default)]
    pub payment_link: Option<String>,
    /// When it was created.
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
    /// When it last changed.
    #[serde(default)]
    pub updated_at: Option<DateTime<Utc>>,
}

impl Invoice {
    /// True when the status is `paid` or `extra_paid`.
    pub fn is_paid(&self) -> bool {
        matches!(self.status, Some(InvoiceStatus::Paid | InvoiceStatus::ExtraPaid))
    }
}

/// `null` read as the type's default (an empty list), since Finan may send `null` for an empty one.
fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// A [`Decimal`] as a plain JSON number, read and written from its text (never through `f64`);
/// a number given as a JSON string is read too.
mod decimal_number {
    use super::*;
    use serde::de::Error as _;
    use serde::ser::Error as _;
    use serde_json::value::RawValue;

    pub(super) fn serialize<S: Serializer>(value: &Decimal, serializer: S) -> Result<S::Ok, S::Error> {
        let raw = RawValue::from_string(value.normalize().to_string()).map_err(S::Error::custom)?;
        raw.serialize(serializer)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {
        let raw = <Box<RawValue>>::deserialize(deserializer)?;
        let text = raw.get().trim();
        let text = text.strip_prefix('"').and_then(|t| t.strip_suffix('"')).unwrap_or(text);
        Decimal::from_str(text)
            .or_else(|_| Decimal::from_scientific(text))
            .map_err(|_| D::Error::custom(format!("expected a decimal number, found {text}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_sent_as_strings_are_read_and_bad_ones_refused() {
        let sale: SaleInfo = serde_json::from_str(r#"{"sale_price":"150000"}"#).unwrap();
        assert_eq!(sale.sale_price, 150_000);
        let sale: SaleInfo = serde_json::from_str(r#"{"sale_price":150000}"#).unwrap();
        assert_eq!(sale.sale_price, 150_000);
        for bad in [
            r#"{"sale_price":"1.5"}"#,
            r#"{"sale_price":-3}"#,
            r#"{"sale_price":"abc"}"#,
        ] {
            assert!(serde_json::from_str::<SaleInfo>(bad).is_err(), "{bad}");
        }
        let line: InvoiceLine = serde_json::from_str(
            r#"{"code":"P1","tax_code":"TAX_CODE_10","quantity":"2","unit_price":"100000","amount":null}"#,
        )
        .unwrap();
        assert_eq!((line.quantity, line.unit_price, line.amount), (2, Some(100_000), None));
    }

    #[test]
    fn unknown_enum_values_are_kept() {
        assert_eq!(CustomerType::from("company"), CustomerType::Company);
        let odd: InvoiceStatus = serde_json::from_str("\"cancelled\"").unwrap();
        assert_eq!(odd, InvoiceStatus::Other("cancelled".into()));
        assert_eq!(serde_json::to_string(&odd).unwrap(), "\"cancelled\"");
        assert_eq!(
            serde_json::to_string(&TaxType::PriceIncludingTax).unwrap(),
            "\"price_including_tax\""
        );
    }

    #[test]
    fn discounts_are_exact_numbers() {
        let percent = Discount::percent(Decimal::new(105, 1));
        assert_eq!(
            serde_json::to_string(&percent).unwrap(),
            r#"{"is_percentage":true,"value":10.5}"#
        );
        assert_eq!(
            serde_json::to_string(&Discount::amount(10_000)).unwrap(),
            r#"{"is_percentage":false,"value":10000}"#
        );
        let read: Discount = serde_json::from_str(r#"{"is_percentage":true,"value":0.1}"#).unwrap();
        assert_eq!(read.value, Decimal::new(1, 1));
        let read: Discount = serde_json::from_str(r#"{"is_percentage":false,"value":"25000"}"#).unwrap();
        assert_eq!(read.value, Decimal::from(25_000));
        assert!(serde_json::from_str::<Discount>(r#"{"is_percentage":false,"value":true}"#).is_err());
    }

    #[test]
    fn tax_codes() {
        assert_eq!(TaxCode::vat_10().as_str(), "TAX_CODE_10");
        assert_eq!(TaxCode::from("TAX_CODE_8").rate_percent(), Some(8));
        assert_eq!(TaxCode::from("KCT").rate_percent(), None);
    }

    #[test]
    fn invoice_body_matches_the_docs_example() {
        let date = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        let invoice = NewInvoice::new(
            "INV12345",
            "CUST123",
            date("2024-11-22T10:00:00Z"),
            date("2024-11-29T10:00:00Z"),
        )
        .item(InvoiceItem {
            note: Some("note for product".into()),
            ..InvoiceItem::new("PRD0001", TaxCode::vat_10(), 2).unit_price(100_000)
        })
        .discount(Discount::amount(10_000))
        .payment_methods(vec![
            InvoicePaymentMethod::BankTransfer,
            InvoicePaymentMethod::Card,
            InvoicePaymentMethod::EwalletMomo,
        ])
        .account_id("54957437-0cb5-4992-ad0e-76d26ba4ddc3");
        let invoice = NewInvoice {
            customer: InvoiceCustomer {
                code: "CUST123".into(),
                email: Some("customer@example.com".into()),
            },
            note: Some("This is a note for the invoice".into()),
            ..invoice
        };
        let expected = serde_json::json!({
            "invoice_code": "INV12345",
            "transaction_date": "2024-11-22T10:00:00Z",
            "due_date": "2024-11-29T10:00:00Z",
            "items": [{ "code": "PRD0001", "tax_code": "TAX_CODE_10", "unit_price": 100000, "quantity": 2, "note": "note for product" }],
            "tax_type": "price_excluding_tax",
            "discount": { "is_percentage": false, "value": 10000 },
            "customer": { "code": "CUST123", "email": "customer@example.com" },
            "note": "This is a note for the invoice",
            "payment_methods": ["bank_transfer", "card", "ewallet_momo"],
            "account_id": "54957437-0cb5-4992-ad0e-76d26ba4ddc3"
        });
        assert_eq!(serde_json::to_value(&invoice).unwrap(), expected);
    }
}
