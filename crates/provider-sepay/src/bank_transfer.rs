//! [`SepayBankTransfer`]: SePay's bank-transfer flow as a [`PaymentProvider`]. The payer transfers
//! straight to the merchant's own bank account; SePay, which watches that account, tells which
//! transfer paid which request by the **payment code** in its remark.
//!
//! # The flow
//!
//! 1. [`PaymentProvider::create_payment`] makes a payment code (the configured prefix and 8
//!    random uppercase letters or digits, e.g. `DH7KQ2M9XA`), saves the request in the
//!    [`PaymentRequestStore`], and returns a VietQR string with the bank, the account number, the
//!    amount and the remark `"{code} {description}"` ([`PayerAction::BankTransfer`]). Nothing is
//!    sent to SePay: the request is only a QR code until money arrives.
//! 2. The payer scans the QR in a banking app and transfers; the remark carries the code.
//! 3. SePay sees the transfer on the account, finds the code in the remark (SePay's payment-code
//!    recognition), and calls the bank-transaction webhook with `code` set.
//!    [`crate::SepayBankWebhookVerifier`] maps it to a [`PaymentEvent::PaymentReceived`] whose
//!    `payment_request_id` is that code and whose `reference_id` is `None`.
//! 4. [`PaymentProvider::resolve_event`] (of this provider) looks the code up in the store and
//!    fills in the app's `reference_id`, so the app matches the payment to its order as it does
//!    with every other provider.
//! 5. [`PaymentProvider::get_payment`] and [`PaymentProvider::list_payments`] compute where a
//!    request stands from the account's transactions ([`crate::SepayClient::list_transactions`]):
//!    the sum received with the code gives `Unpaid`, `PartiallyPaid`, `Paid` or `Overpaid` (and
//!    `Expired` when nothing arrived before [`SepayBankTransferBuilder::expires_after`]).
//!
//! # Set up SePay's payment code
//!
//! SePay recognises a payment code only in the shape configured under its company settings
//! ("payment code structure"): set the **prefix** to this provider's
//! [`SepayBankTransferBuilder::code_prefix`] (default `DH`) and the **suffix** to 8 characters,
//! letters and digits. With another setting SePay's webhook sends no `code` and events cannot be
//! resolved (status reads still work: they also find the code as a word of the transfer content).
//!
//! # One store for every instance
//!
//! The requests live only in the [`PaymentRequestStore`], and the builder asks for one: there is
//! no silent default. In production give every instance the same durable store
//! ([`SepayBankTransferBuilder::store`]) over the app's database; otherwise a webhook or a status
//! read on another instance (or after a restart) does not know the code, and a retried create can
//! make a second code. [`SepayBankTransferBuilder::in_memory_store`] keeps them in this process,
//! for one instance that may lose open requests on restart, tests and demos.
//!
//! ```no_run
//! use gateway_core::{
//!     Bank, CreatePayment, Currency, Money, PayerAction, PaymentEvent, PaymentMethod, PaymentProvider,
//!     WebhookRequest, WebhookVerifier,
//! };
//! use provider_sepay::{SecretString, SepayBankTransfer, SepayBankWebhookVerifier, SepayClient};
//!
//! # async fn run(delivery: WebhookRequest<'_>) -> Result<(), Box<dyn std::error::Error>> {
//! let client = SepayClient::api_token(SecretString::from("YOUR_API_TOKEN")).build()?;
//! let bank = Bank::from_bin("970436").expect("Vietcombank is a known bank");
//! let transfers = SepayBankTransfer::builder(client, bank, "0071000888888", "CONG TY TNHH DEMO")
//!     .code_prefix("DH")
//!     .in_memory_store() // several instances: .store(Arc::new(YourDatabaseStore::new(..)))
//!     .expires_after(std::time::Duration::from_secs(30 * 60))
//!     .build()?;
//!
//! let mut order = CreatePayment::new(
//!     Money::from_minor_units(150_000, Currency::VND),
//!     "order-1001",
//!     PaymentMethod::BankTransfer,
//! );
//! order.description = Some("Thanh toán đơn hàng 1001".into());
//! let payment = transfers.create_payment(&order).await?;
//! if let Some(PayerAction::BankTransfer { qr: Some(qr), remark, .. }) = &payment.payer_action {
//!     // Render `qr` as a QR code (gateway_vietqr, feature `render`); show `remark` for typing.
//!     # let _ = (qr, remark);
//! }
//!
//! // The webhook: verify, then let the provider fill in the app's reference.
//! let verifier = SepayBankWebhookVerifier::new(SecretString::from("WEBHOOK_API_KEY"));
//! let event = transfers.resolve_event(verifier.verify(&delivery)?).await?;
//! if let PaymentEvent::PaymentReceived(paid) = &event {
//!     assert_eq!(paid.payment_request_id.as_deref(), Some(payment.id.as_str()));
//!     assert_eq!(paid.reference_id.as_deref(), Some("order-1001"));
//! }
//!
//! // Any time: where does it stand?
//! let now = transfers.get_payment(&payment.id).await?;
//! println!("{:?}, {:?} paid", now.status, now.paid_amount);
//! # Ok(())
//! # }
//! ```

use crate::mapping::vietnam;
use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset, NaiveDate, SubsecRound, TimeDelta};
use futures::TryStreamExt;
use gateway_core::{
    Bank, Clock, CreatePayment, Currency, Error, ErrorContext, InsertOutcome, MemoryPaymentRequestStore, Money, Page,
    PageRequest, PayerAction, PaymentEvent, PaymentFilter, PaymentMethod, PaymentProvider, PaymentRequest,
    PaymentRequestStore, PaymentStatus, Provider, SystemClock,
};
use gateway_vietqr::{strip_diacritics, VietQr};
use rust_decimal::Decimal;

use crate::transactions::{SepayTransaction, TransactionFilter};
use crate::SepayClient;

/// The payment-code prefix when none is set: `"DH"` (đơn hàng, "order").
pub const DEFAULT_CODE_PREFIX: &str = "DH";
/// How many random characters follow the prefix in a payment code.
pub const CODE_SUFFIX_LEN: usize = 8;
/// The longest transfer remark written, in characters (ASCII): the code, a space, the description.
pub const MAX_REMARK_LEN: usize = 50;
/// The longest payment-code prefix accepted.
pub const MAX_CODE_PREFIX_LEN: usize = 10;

/// How many fresh codes are tried when the store reports the code taken.
const MAX_CODE_ATTEMPTS: usize = 5;
/// The 36 characters of a code suffix.
const CODE_ALPHABET: &[u8; 36] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/// The first Vietnam date whose transactions can pay a request created at `created_at`: the day
/// before its creation, so a bank clock behind the app's around midnight loses no transfer (a
/// transfer cannot carry the code before the request exists, so reading one day more is safe).
fn read_from(created_at: DateTime<FixedOffset>) -> NaiveDate {
    let date = created_at.with_timezone(&vietnam()).date_naive();
    date.pred_opt().unwrap_or(date)
}

/// SePay's bank-transfer flow for one receiving account: VietQR codes with a payment code,
/// statuses from the account's transactions (see the [module docs](self)).
///
/// Cheap to clone (clones share the client, store and clock). `Debug` shows the account and
/// settings, never a credential (the client's `Debug` redacts its own).
#[derive(Clone)]
pub struct SepayBankTransfer {
    inner: Arc<Inner>,
}

struct Inner {
    client: SepayClient,
    bank: Bank,
    /// The bank's 6-digit BIN (checked at build).
    bin: String,
    account_number: String,
    account_holder_name: String,
    prefix: String,
    store: Arc<dyn PaymentRequestStore>,
    expires_after: Option<TimeDelta>,
    clock: Arc<dyn Clock>,
}

impl fmt::Debug for SepayBankTransfer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.inner;
        f.debug_struct("SepayBankTransfer")
            .field("client", &inner.client)
            .field("bank", &inner.bank.short_name)
            .field("bin", &inner.bin)
            .field("account_number", &inner.account_number)
            .field("account_holder_name", &inner.account_holder_name)
            .field("code_prefix", &inner.prefix)
            .field("store", &inner.store)
            .field("expires_after", &inner.expires_after)
            .finish()
    }
}

impl SepayBankTransfer {
    /// A builder for transfers to `account_number` at `bank` (which must have its NAPAS BIN, as
    /// from [`Bank::from_bin`]), held by `account_holder_name` (shown to the payer), with the
    /// account's transactions read through `client` (either way in).
    ///
    /// Use the bank account number SePay watches (the one its transactions list under
    /// `account_number`), not a virtual account.
    pub fn builder(
        client: SepayClient,
        bank: Bank,
        account_number: impl Into<String>,
        account_holder_name: impl Into<String>,
    ) -> SepayBankTransferBuilder {
        SepayBankTransferBuilder {
            client,
            bank,
            account_number: account_number.into(),
            account_holder_name: account_holder_name.into(),
            code_prefix: DEFAULT_CODE_PREFIX.to_string(),
            store: None,
            expires_after: None,
            clock: None,
        }
    }

    /// The receiving bank.
    pub fn bank(&self) -> &Bank {
        &self.inner.bank
    }

    /// The receiving account number.
    pub fn account_number(&self) -> &str {
        &self.inner.account_number
    }

    /// The receiving account's holder name.
    pub fn account_holder_name(&self) -> &str {
        &self.inner.account_holder_name
    }

    /// The payment-code prefix (upper case).
    pub fn code_prefix(&self) -> &str {
        &self.inner.prefix
    }

    /// The SePay client the transactions are read with.
    pub fn client(&self) -> &SepayClient {
        &self.inner.client
    }

    fn now(&self) -> DateTime<FixedOffset> {
        self.inner.clock.now().with_timezone(&vietnam()).trunc_subsecs(0)
    }

    /// A fresh payment code: the prefix and [`CODE_SUFFIX_LEN`] random uppercase ASCII letters or
    /// digits (from UUID v4 randomness, without modulo bias).
    fn new_code(&self) -> String {
        let mut code = String::with_capacity(self.inner.prefix.len() + CODE_SUFFIX_LEN);
        code.push_str(&self.inner.prefix);
        let mut added = 0;
        while added < CODE_SUFFIX_LEN {
            let bytes = uuid::Uuid::new_v4().into_bytes();
            // Bytes 6 and 8 carry the UUID version and variant bits: not random.
            for (i, byte) in bytes.into_iter().enumerate() {
                if added == CODE_SUFFIX_LEN {
                    break;
                }
                // 252 = 7 × 36: larger bytes are skipped so every character is equally likely.
                if i != 6 && i != 8 && byte < 252 {
                    code.push(char::from(CODE_ALPHABET[usize::from(byte % 36)]));
                    added += 1;
                }
            }
        }
        code
    }

    /// The stored request with id `id` (as given, else upper-cased: codes are upper case but a
    /// payer or bank may change their case).
    async fn stored(&self, id: &str) -> Result<Option<PaymentRequest>, Error> {
        let id = id.trim();
        if id.is_empty() {
            return Ok(None);
        }
        if let Some(found) = self.inner.store.get(id).await? {
            return Ok(Some(found));
        }
        let upper = id.to_ascii_uppercase();
        if upper != id {
            return self.inner.store.get(&upper).await;
        }
        Ok(None)
    }

    /// The incoming transactions of the account from `since` (a Vietnam date) on, each once.
    async fn incoming_since(&self, since: Option<NaiveDate>) -> Result<Vec<SepayTransaction>, Error> {
        let mut filter = TransactionFilter::default().account_number(self.inner.account_number.clone());
        if let Some(date) = since {
            filter = filter.from_date(date);
        }
        let all: Vec<SepayTransaction> = self.inner.client.stream_transactions(&filter).try_collect().await?;
        // Offset pages (OAuth) may list a transaction twice when new ones arrive meanwhile.
        let mut seen = HashSet::new();
        Ok(all
            .into_iter()
            .filter(|t| t.is_incoming() && seen.insert(t.id.clone()))
            .collect())
    }

    /// `request` with its status and paid amount computed from `transactions` (see
    /// [`PaymentProvider::get_payment`]).
    fn with_status(
        &self,
        mut request: PaymentRequest,
        transactions: &[SepayTransaction],
    ) -> Result<PaymentRequest, Error> {
        let code = request.code.clone().unwrap_or_else(|| request.id.clone());
        let mut paid = Decimal::ZERO;
        for t in transactions.iter().filter(|t| t.matches_payment_code(&code)) {
            paid = paid.checked_add(t.amount_in.amount()).ok_or_else(|| {
                Error::decode(
                    "SePay transactions",
                    format!("the amounts received for {code} do not add up (overflow)"),
                )
            })?;
        }
        let currency = request.amount.currency();
        let paid_money = match Money::new(paid, currency).to_minor_units() {
            Ok(minor) => Money::from_minor_units(minor, currency),
            Err(_) => Money::new(paid, currency),
        };
        let expired = request.expires_at.is_some_and(|at| self.now() > at);
        request.status = if paid.is_zero() {
            if expired {
                PaymentStatus::Expired
            } else {
                PaymentStatus::Unpaid
            }
        } else {
            match paid.cmp(&request.amount.amount()) {
                std::cmp::Ordering::Less => PaymentStatus::PartiallyPaid,
                std::cmp::Ordering::Equal => PaymentStatus::Paid,
                std::cmp::Ordering::Greater => PaymentStatus::Overpaid,
            }
        };
        request.paid_amount = Some(paid_money);
        Ok(request)
    }

    /// What creating again for an existing request returns: its current state, unless the amount
    /// differs.
    async fn existing(&self, existing: PaymentRequest, request: &CreatePayment) -> Result<PaymentRequest, Error> {
        if existing.amount.currency() != request.amount.currency()
            || existing.amount.amount() != request.amount.amount()
        {
            return Err(Error::Conflict(ErrorContext::new(format!(
                "reference_id {:?} already has the bank-transfer request {} for {}, not {}",
                existing.reference_id, existing.id, existing.amount, request.amount
            ))));
        }
        // The app is creating again (often after a timeout) to get the QR code to show: when
        // SePay cannot be read right now, the stored request is that answer, with the status it
        // was saved with.
        match self.get_payment(&existing.id).await {
            Ok(current) => Ok(current),
            Err(error @ (Error::NotFound(_) | Error::Store { .. })) => Err(error),
            Err(error) => {
                tracing::warn!(
                    target: "provider_sepay",
                    code = %existing.id,
                    error = error.kind(),
                    "bank-transfer request exists; its status could not be read, returning it as stored"
                );
                Ok(existing)
            }
        }
    }

    /// The new request for `code`.
    fn new_request(
        &self,
        code: &str,
        request: &CreatePayment,
        dong: i64,
        now: DateTime<FixedOffset>,
        expires_at: Option<DateTime<FixedOffset>>,
    ) -> Result<PaymentRequest, Error> {
        let inner = &self.inner;
        let remark = transfer_remark(code, request.description.as_deref());
        let amount = u64::try_from(dong).map_err(|_| invalid("the amount must be more than zero"))?;
        let qr = VietQr::builder(inner.bin.clone(), inner.account_number.clone())
            .amount(amount)
            .purpose(remark.clone())
            .build()
            .and_then(|qr| qr.encode())
            .map_err(|e| invalid(format!("cannot make the VietQR code: {e}")))?;
        let mut payment = PaymentRequest::new(
            code,
            request.reference_id.clone(),
            Money::from_minor_units(dong, Currency::VND),
            PaymentStatus::Unpaid,
        );
        payment.code = Some(code.to_string());
        payment.paid_amount = Some(Money::zero(Currency::VND));
        payment.method = Some(PaymentMethod::BankTransfer);
        payment.payer_action = Some(PayerAction::BankTransfer {
            qr: Some(qr),
            bank: Some(inner.bank.clone()),
            account_number: inner.account_number.clone(),
            account_holder_name: Some(inner.account_holder_name.clone()),
            remark: Some(remark),
        });
        payment.created_at = Some(now);
        payment.expires_at = expires_at;
        Ok(payment)
    }
}

fn invalid(message: impl Into<String>) -> Error {
    Error::InvalidRequest(ErrorContext::new(message))
}

/// The amount of `request` in đồng, once the request passed the checks of
/// [`SepayBankTransfer::create_payment`].
fn checked_dong(request: &CreatePayment) -> Result<i64, Error> {
    if request.method != PaymentMethod::BankTransfer {
        return Err(invalid(format!(
            "SePay bank transfers are paid by PaymentMethod::BankTransfer, not {:?}",
            request.method
        )));
    }
    if request.amount.currency() != Currency::VND {
        return Err(invalid(format!(
            "SePay bank transfers are in VND, not {}",
            request.amount.currency()
        )));
    }
    let dong = request
        .amount
        .to_minor_units()
        .map_err(|_| invalid(format!("{} is not a whole number of đồng", request.amount)))?;
    if dong <= 0 {
        return Err(invalid(format!(
            "the amount must be more than zero, not {}",
            request.amount
        )));
    }
    if u64::try_from(dong).is_ok_and(|d| d > gateway_vietqr::MAX_AMOUNT) {
        return Err(invalid(format!(
            "{} is more than a VietQR code can carry ({} VND)",
            request.amount,
            gateway_vietqr::MAX_AMOUNT
        )));
    }
    if request.reference_id.trim().is_empty() {
        return Err(invalid("the reference id is empty"));
    }
    Ok(dong)
}

/// The transfer remark: the code, then a space and the description's words in ASCII (diacritics
/// stripped, every other character that is not an ASCII letter or digit a word break), at most
/// [`MAX_REMARK_LEN`] characters, cut at a word break where possible.
fn transfer_remark(code: &str, description: Option<&str>) -> String {
    let mut full = code.to_string();
    if let Some(description) = description {
        let ascii = strip_diacritics(description);
        for word in ascii
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| !w.is_empty())
        {
            full.push(' ');
            full.push_str(word);
        }
    }
    if full.len() <= MAX_REMARK_LEN {
        return full;
    }
    // Only ASCII is left, so byte offsets are character offsets.
    let mut cut = full[..MAX_REMARK_LEN].to_string();
    if full.as_bytes()[MAX_REMARK_LEN] != b' ' {
        if let Some(space) = cut.rfind(' ').filter(|at| *at > code.len()) {
            cut.truncate(space);
        }
    }
    cut.trim_end().to_string()
}

/// Configures a [`SepayBankTransfer`]; from [`SepayBankTransfer::builder`].
pub struct SepayBankTransferBuilder {
    client: SepayClient,
    bank: Bank,
    account_number: String,
    account_holder_name: String,
    code_prefix: String,
    store: Option<Arc<dyn PaymentRequestStore>>,
    expires_after: Option<Duration>,
    clock: Option<Arc<dyn Clock>>,
}

impl fmt::Debug for SepayBankTransferBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SepayBankTransferBuilder")
            .field("client", &self.client)
            .field("bank", &self.bank.short_name)
            .field("account_number", &self.account_number)
            .field("account_holder_name", &self.account_holder_name)
            .field("code_prefix", &self.code_prefix)
            .field("store", &self.store)
            .field("expires_after", &self.expires_after)
            .field("custom_clock", &self.clock.is_some())
            .finish()
    }
}

impl SepayBankTransferBuilder {
    /// The payment-code prefix (default [`DEFAULT_CODE_PREFIX`], `"DH"`): 1 to
    /// [`MAX_CODE_PREFIX_LEN`] ASCII letters or digits, upper-cased. It must be the prefix set in
    /// SePay's payment-code settings, or SePay's webhook will not report the code.
    pub fn code_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.code_prefix = prefix.into();
        self
    }

    /// Where payment requests are kept: required (or [`Self::in_memory_store`]). Several
    /// instances of an app must share one durable store.
    pub fn store(mut self, store: Arc<dyn PaymentRequestStore>) -> Self {
        self.store = Some(store);
        self
    }

    /// Keeps payment requests in a new [`MemoryPaymentRequestStore`] of this process: lost on
    /// restart and not shared. For a single instance that accepts that, tests and demos.
    pub fn in_memory_store(self) -> Self {
        self.store(Arc::new(MemoryPaymentRequestStore::new()))
    }

    /// A request with nothing paid this long after its creation is `Expired` (default: requests
    /// never expire). A transfer that still arrives later counts all the same.
    pub fn expires_after(mut self, after: Duration) -> Self {
        self.expires_after = Some(after);
        self
    }

    /// The clock for creation times and expiry (default [`SystemClock`]; a
    /// [`gateway_core::FixedClock`] in tests).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// The provider.
    ///
    /// # Errors
    /// [`Error::Configuration`] for a bank without a 6-digit BIN, an account number that is not 1
    /// to 19 ASCII letters or digits, a blank account holder name, a code prefix that is not 1 to
    /// [`MAX_CODE_PREFIX_LEN`] ASCII letters or digits, a zero (or unrepresentable) expiry, or
    /// no store ([`Self::store`] or [`Self::in_memory_store`]).
    pub fn build(self) -> Result<SepayBankTransfer, Error> {
        let config = |message: String| Error::Configuration(message);
        let store = self.store.clone().ok_or_else(|| {
            config("no payment request store: set .store(..) (shared by every instance) or .in_memory_store()".into())
        })?;
        let bin = self
            .bank
            .bin
            .clone()
            .filter(|b| b.len() == 6 && b.bytes().all(|c| c.is_ascii_digit()))
            .ok_or_else(|| {
                config(format!(
                    "the bank {:?} has no 6-digit NAPAS BIN, which a VietQR code needs (use Bank::from_bin)",
                    self.bank.short_name
                ))
            })?;
        let account_number = self.account_number.trim().to_string();
        if account_number.is_empty()
            || account_number.len() > gateway_vietqr::MAX_ACCOUNT_NUMBER_LEN
            || !account_number.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            return Err(config(format!(
                "the account number {account_number:?} is not 1 to {} ASCII letters or digits",
                gateway_vietqr::MAX_ACCOUNT_NUMBER_LEN
            )));
        }
        let account_holder_name = self.account_holder_name.trim().to_string();
        if account_holder_name.is_empty() {
            return Err(config("the account holder name is blank".into()));
        }
        let prefix = self.code_prefix.trim().to_ascii_uppercase();
        if prefix.is_empty() || prefix.len() > MAX_CODE_PREFIX_LEN || !prefix.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            return Err(config(format!(
                "the payment-code prefix {:?} is not 1 to {MAX_CODE_PREFIX_LEN} ASCII letters or digits",
                self.code_prefix
            )));
        }
        let expires_after = match self.expires_after {
            None => None,
            Some(d) if d.is_zero() => return Err(config("the expiry must be more than zero".into())),
            Some(d) => Some(TimeDelta::from_std(d).map_err(|_| config(format!("the expiry {d:?} is too long")))?),
        };
        Ok(SepayBankTransfer {
            inner: Arc::new(Inner {
                client: self.client,
                bank: self.bank,
                bin,
                account_number,
                account_holder_name,
                prefix,
                store,
                expires_after,
                clock: self.clock.unwrap_or_else(|| Arc::new(SystemClock)),
            }),
        })
    }
}

impl Provider for SepayBankTransfer {
    fn provider_name(&self) -> &'static str {
        "sepay"
    }
}

#[async_trait]
impl PaymentProvider for SepayBankTransfer {
    /// A new bank-transfer request, or the existing one for the same reference id.
    ///
    /// 1. **Checks, sending nothing**: the method must be [`PaymentMethod::BankTransfer`], the
    ///    amount VND, a whole number of đồng, more than zero (and at most what a VietQR code
    ///    carries), the reference id not blank: otherwise [`Error::InvalidRequest`].
    /// 2. When the store already has a request for the reference id, returns it as it stands now
    ///    ([`Self::get_payment`]) and creates nothing; a different amount is [`Error::Conflict`].
    ///    When SePay cannot be read at that moment (transport error, rate limit, 5xx), the stored
    ///    request is returned as saved (its QR code is what a repeated create is for).
    /// 3. Otherwise makes a payment code (the prefix and 8 random uppercase letters or digits),
    ///    which is the request's id and [`PaymentRequest::code`], and saves the request in the
    ///    store (a code already taken is replaced by a fresh one, a few times).
    ///
    /// The request: status `Unpaid`, paid 0 VND, method `BankTransfer`, created now (Vietnam
    /// time), expiring after [`SepayBankTransferBuilder::expires_after`] (or never), and
    /// [`PayerAction::BankTransfer`] with the VietQR string (dynamic, with the bank's BIN, the
    /// account number, the amount and the remark), the bank, account number, holder name and
    /// remark. The remark is the code, a space and the description in ASCII (diacritics stripped,
    /// punctuation as spaces), at most 50 characters; the code always comes first and whole.
    /// `customer`, `items`, `redirect_urls` and `account_id` are not used.
    ///
    /// # Errors
    /// As above; [`Error::Store`] when the store fails; for an existing request, the errors of
    /// [`Self::get_payment`].
    async fn create_payment(&self, request: &CreatePayment) -> Result<PaymentRequest, Error> {
        let dong = checked_dong(request)?;
        let store = &self.inner.store;
        if let Some(existing) = store.find_by_reference(&request.reference_id).await? {
            return self.existing(existing, request).await;
        }
        let now = self.now();
        let expires_at = self.inner.expires_after.and_then(|after| now.checked_add_signed(after));
        for _ in 0..MAX_CODE_ATTEMPTS {
            let code = self.new_code();
            let payment = self.new_request(&code, request, dong, now, expires_at)?;
            match store.insert(&payment).await? {
                InsertOutcome::Inserted => {
                    tracing::debug!(target: "provider_sepay", code = %payment.id, "bank-transfer request created");
                    return Ok(payment);
                }
                InsertOutcome::ReferenceExists(existing) => return self.existing(*existing, request).await,
                InsertOutcome::IdTaken => continue,
                other => {
                    return Err(Error::Store {
                        message: format!("the payment request store answered {other:?} to an insert"),
                        source: None,
                    })
                }
            }
        }
        Err(Error::Conflict(ErrorContext::new(format!(
            "{MAX_CODE_ATTEMPTS} fresh payment codes in a row were already taken in the store"
        ))))
    }

    /// The request with this id (its payment code; ASCII case ignored), with its status computed
    /// now from the account's transactions.
    ///
    /// Reads the account's transactions from the day before the request's creation date (Vietnam
    /// date; the day before, so a bank clock behind the app's around midnight loses nothing) on
    /// (API token: `account_number` and `transaction_date_min`; OAuth: `account_number` and
    /// `from_date`), every page, and keeps the incoming ones for the code
    /// ([`SepayTransaction::matches_payment_code`]: SePay's `code` equal to it; only when SePay
    /// reported no code, the content holding it as a word). The paid amount is the sum of their `amount_in`; the status is
    /// `Unpaid` for nothing (`Expired` once past [`PaymentRequest::expires_at`] by the clock),
    /// `PartiallyPaid` below the amount, `Paid` at it, `Overpaid` above it.
    ///
    /// # Errors
    /// [`Error::NotFound`] when the store has no such request (nothing is sent);
    /// [`Error::Store`] when the store fails; any error of
    /// [`SepayClient::list_transactions`].
    async fn get_payment(&self, id: &str) -> Result<PaymentRequest, Error> {
        let request = self.stored(id).await?.ok_or_else(|| {
            Error::NotFound(ErrorContext::new(format!(
                "no SePay bank-transfer request has the payment code {id:?}"
            )))
        })?;
        let since = request.created_at.map(read_from);
        let transactions = self.incoming_since(since).await?;
        self.with_status(request, &transactions)
    }

    /// One page of the store's requests matching `filter` (the store's cursor and page size),
    /// each with its status computed as in [`Self::get_payment`], from **one** read of the
    /// account's transactions from the earliest creation date on the page.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for a cursor the store did not hand out; [`Error::Store`];
    /// any error of [`SepayClient::list_transactions`].
    async fn list_payments(&self, filter: &PaymentFilter, page: PageRequest) -> Result<Page<PaymentRequest>, Error> {
        let stored = self.inner.store.list(filter, page).await?;
        if stored.items.is_empty() {
            return Ok(stored);
        }
        let since = stored
            .items
            .iter()
            .map(|r| r.created_at.map(read_from))
            .collect::<Option<Vec<_>>>()
            .and_then(|dates| dates.into_iter().min());
        let transactions = self.incoming_since(since).await?;
        let total = stored.total;
        let next = stored.next;
        let items = stored
            .items
            .into_iter()
            .map(|r| self.with_status(r, &transactions))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Page::new(items, next).with_total(total))
    }

    /// A [`PaymentEvent::PaymentReceived`] without a reference id whose `payment_request_id` is
    /// a payment code in the store (ASCII case ignored) gets that request's reference id (and
    /// its id as stored). An unknown code, and every other event, is returned unchanged. Reads
    /// only the store, never SePay.
    ///
    /// # Errors
    /// [`Error::Store`] when the store fails: handle the delivery again later.
    async fn resolve_event(&self, event: PaymentEvent) -> Result<PaymentEvent, Error> {
        let PaymentEvent::PaymentReceived(mut payment) = event else {
            return Ok(event);
        };
        if payment.reference_id.is_none() {
            if let Some(code) = payment.payment_request_id.clone() {
                if let Some(request) = self.stored(&code).await? {
                    payment.reference_id = Some(request.reference_id);
                    payment.payment_request_id = Some(request.id);
                }
            }
        }
        Ok(PaymentEvent::PaymentReceived(payment))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remarks_put_the_code_first_in_ascii_within_50_characters() {
        assert_eq!(transfer_remark("DHABCD1234", None), "DHABCD1234");
        assert_eq!(
            transfer_remark("DHABCD1234", Some("Thanh toán đơn hàng #1001!")),
            "DHABCD1234 Thanh toan don hang 1001"
        );
        let long = transfer_remark(
            "DHABCD1234",
            Some("Thanh toán đơn hàng số 1001 cho khách hàng Nguyễn Văn A"),
        );
        assert!(long.len() <= MAX_REMARK_LEN, "{long}");
        assert_eq!(long, "DHABCD1234 Thanh toan don hang so 1001 cho khach");
        let one_word = transfer_remark("DHABCD1234", Some(&"x".repeat(80)));
        assert_eq!(one_word.len(), MAX_REMARK_LEN);
        assert!(one_word.starts_with("DHABCD1234 xxx"));
        assert_eq!(transfer_remark("DHABCD1234", Some("  ")), "DHABCD1234");
    }
}
