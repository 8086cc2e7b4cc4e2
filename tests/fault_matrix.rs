//! The fault matrix: every public network operation of every provider client, run against the
//! sandbox under every fault it can inject (`gateway_sandbox::faults`), each cell on a fresh
//! sandbox. A cell must end in success (after retries) or in the typed error the library's rules
//! give, never in a panic or a hang, and no create may make a second payment or account.
//!
//! The computed matrix is compared with [`EXPECTED`] (a change of behaviour fails the test) and
//! printed; `docs/reliability.md` holds the same table (checked too). After a deliberate change:
//! `FAULT_MATRIX_BLESS=1 cargo test --all-features --test fault_matrix -- --nocapture` rewrites the
//! table in the docs and prints the one to paste into [`EXPECTED`].
//!
//! Cell notation: `ok`, `ok (2 retries)` for reads (requests beyond a fault-free call), `+N req`
//! for writes (look-ups and the one re-send after a look-up found nothing), `err <kind> [status]`
//! with [`gateway::Error::kind`].

mod common;

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use futures::{StreamExt, TryStreamExt};
use gateway::finan::{
    AccountFilter, CreateBankAccount, FinanClient, FinanPaymentFilter, FinanWebhookVerifier, InvoiceItem, NewCustomer,
    NewInvoice, NewProduct, TaxCode,
};
use gateway::receiver::{axum, WebhookReceiver};
use gateway::sepay::{
    BankAccountFilter, CheckoutEnvironment, OAuthCredentials, OrderFilter, SepayBankTransfer, SepayBankWebhookVerifier,
    SepayClient, SepayIpnVerifier, SepayPaymentGateway, TransactionFilter,
};
use gateway::{
    Bank, BankAccountProvider, Beneficiary, CreatePayment, CreatePayout, Currency, Error, Money, PageRequest,
    PayerAction, PaymentEvent, PaymentFilter, PaymentMethod, PaymentProvider, PaymentStatus, PayoutFilter,
    PayoutProvider, RetryPolicy, SecretString, TransportErrorKind, WebhookVerifier,
};
use gateway_sandbox::faults::{Fault, FaultKind, Faults, RouteMatcher};
use gateway_sandbox::sepay::NewTransfer;
use gateway_sandbox::{Sandbox, SandboxConfig, SandboxCredentials};

/// Each request fault hits this many requests in a row: a read's retries get past it.
const FAULT_COUNT: u32 = 2;
/// The clients' per-request timeout, so that a slow reply is a timeout.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(1);
/// How late the "slow" fault answers.
const DELAY_MS: u64 = 3_000;
/// A cell still running after this is a hang.
const CELL_TIMEOUT: Duration = Duration::from_secs(30);
/// Cells run at once (each on its own sandbox).
const CONCURRENCY: usize = 16;
/// The sandbox's account 18 (Vietcombank), seen by the API token and by OAuth.
const RECEIVING_ACCOUNT: &str = "0071000899999";
/// A seeded bank transaction (seed 004's example).
const SEEDED_TRANSACTION: &str = "49465";

/// Where the docs keep the matrix.
const DOCS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/reliability.md");
const BEGIN: &str = "<!-- fault-matrix:begin -->";
const END: &str = "<!-- fault-matrix:end -->";

/// The matrix as the library's rules say it must be (see `docs/reliability.md` for the rules).
const EXPECTED: &str = r#"
| operation | no fault | 429 + retry-after 1 | 429 | 500 | 502 | 503 | slow (3 s) | reset mid-body | truncated JSON | HTML 504 page | empty 200 | text/plain JSON |
|---|---|---|---|---|---|---|---|---|---|---|---|---|
| finan list_master_accounts | ok | ok (2 retries) | ok (2 retries) | err provider_error 500 | ok (2 retries) | ok (2 retries) | ok (2 retries) | ok (2 retries) | err decode 200 | ok (2 retries) | err decode 200 | ok |
| finan list_bank_accounts | ok | ok (2 retries) | ok (2 retries) | err provider_error 500 | ok (2 retries) | ok (2 retries) | ok (2 retries) | ok (2 retries) | err decode 200 | ok (2 retries) | err decode 200 | ok |
| finan get_bank_account | ok | ok (2 retries) | ok (2 retries) | err provider_error 500 | ok (2 retries) | ok (2 retries) | ok (2 retries) | ok (2 retries) | err decode 200 | ok (2 retries) | err decode 200 | ok |
| finan create_bank_account | ok | err rate_limited 429 | err rate_limited 429 | err provider_error 500 | err provider_error 502 | err provider_error 503 | err transport/timeout; but done | err transport/body; but done | err decode 201; but done | err provider_error 504 | err decode 200 | ok |
| finan create_payment | ok | err rate_limited 429 | err rate_limited 429 | err provider_error 500 (+2 req) | err provider_error 502 (+1 req) | err provider_error 503 (+2 req) | ok via lookup (+1 req) | ok via lookup (+1 req) | ok via lookup (+1 req) | err provider_error 504 (+1 req) | err decode 200 (+2 req) | ok |
| finan create_invoice_payment | ok | err rate_limited 429 | err rate_limited 429 | err provider_error 500 (+2 req) | err provider_error 502 (+1 req) | err provider_error 503 (+2 req) | ok via lookup (+1 req) | ok via lookup (+1 req) | ok via lookup (+1 req) | err provider_error 504 (+1 req) | err decode 200 (+2 req) | ok |
| finan list_payment_requests | ok | ok (2 retries) | ok (2 retries) | err provider_error 500 | ok (2 retries) | ok (2 retries) | ok (2 retries) | ok (2 retries) | err decode 200 | ok (2 retries) | err decode 200 | ok |
| finan get_payment | ok | ok (2 retries) | ok (2 retries) | err provider_error 500 | ok (2 retries) | ok (2 retries) | ok (2 retries) | ok (2 retries) | err decode 200 | ok (2 retries) | err decode 200 | ok |
| finan list_payments (trait) | ok | ok (2 retries) | ok (2 retries) | err provider_error 500 | ok (2 retries) | ok (2 retries) | ok (2 retries) | ok (2 retries) | err decode 200 | ok (2 retries) | err decode 200 | ok |
| finan list_accounts (trait) | ok | ok (2 retries) | ok (2 retries) | err provider_error 500 | ok (2 retries) | ok (2 retries) | ok (2 retries) | ok (2 retries) | err decode 200 | ok (2 retries) | err decode 200 | ok |
| finan get_account (trait) | ok | ok (2 retries) | ok (2 retries) | err provider_error 500 | ok (2 retries) | ok (2 retries) | ok (2 retries) | ok (2 retries) | err decode 200 | ok (2 retries) | err decode 200 | ok |
| finan create_customer | ok | err rate_limited 429 | err rate_limited 429 | err provider_error 500 (+1 req) | err provider_error 502 (+1 req) | err provider_error 503 (+1 req) | ok (+1 req) | ok (+1 req) | ok (+1 req) | err provider_error 504 (+1 req) | err decode 200 (+1 req) | ok |
| finan list_customers | ok | ok (2 retries) | ok (2 retries) | err provider_error 500 | ok (2 retries) | ok (2 retries) | ok (2 retries) | ok (2 retries) | err decode 200 | ok (2 retries) | err decode 200 | ok |
| finan get_customer | ok | ok (2 retries) | ok (2 retries) | err provider_error 500 | ok (2 retries) | ok (2 retries) | ok (2 retries) | ok (2 retries) | err decode 200 | ok (2 retries) | err decode 200 | ok |
| finan update_customer | ok | err rate_limited 429 | err rate_limited 429 | err provider_error 500 | err provider_error 502 | err provider_error 503 | err transport/timeout; but done | err transport/body; but done | err decode 200; but done | err provider_error 504 | err decode 200 | ok |
| finan delete_customer | ok | err rate_limited 429 | err rate_limited 429 | err provider_error 500 | err provider_error 502 | err provider_error 503 | err transport/timeout; but done | err transport/body; but done | err decode 200; but done | err provider_error 504 | err decode 200 | ok |
| finan create_product | ok | err rate_limited 429 | err rate_limited 429 | err provider_error 500 (+1 req) | err provider_error 502 (+1 req) | err provider_error 503 (+1 req) | ok (+1 req) | ok (+1 req) | ok (+1 req) | err provider_error 504 (+1 req) | err decode 200 (+1 req) | ok |
| finan list_products | ok | ok (2 retries) | ok (2 retries) | err provider_error 500 | ok (2 retries) | ok (2 retries) | ok (2 retries) | ok (2 retries) | err decode 200 | ok (2 retries) | err decode 200 | ok |
| finan get_product | ok | ok (2 retries) | ok (2 retries) | err provider_error 500 | ok (2 retries) | ok (2 retries) | ok (2 retries) | ok (2 retries) | err decode 200 | ok (2 retries) | err decode 200 | ok |
| finan update_product | ok | err rate_limited 429 | err rate_limited 429 | err provider_error 500 | err provider_error 502 | err provider_error 503 | err transport/timeout; but done | err transport/body; but done | err decode 200; but done | err provider_error 504 | err decode 200 | ok |
| finan delete_product | ok | err rate_limited 429 | err rate_limited 429 | err provider_error 500 | err provider_error 502 | err provider_error 503 | err transport/timeout; but done | err transport/body; but done | err decode 200; but done | err provider_error 504 | err decode 200 | ok |
| finan create_invoice | ok | err rate_limited 429 | err rate_limited 429 | err provider_error 500 (+1 req) | err provider_error 502 (+1 req) | err provider_error 503 (+1 req) | ok (+1 req) | ok (+1 req) | ok (+1 req) | err provider_error 504 (+1 req) | err decode 200 (+1 req) | ok |
| finan list_invoices | ok | ok (2 retries) | ok (2 retries) | err provider_error 500 | ok (2 retries) | ok (2 retries) | ok (2 retries) | ok (2 retries) | err decode 200 | ok (2 retries) | err decode 200 | ok |
| finan get_invoice | ok | ok (2 retries) | ok (2 retries) | err provider_error 500 | ok (2 retries) | ok (2 retries) | ok (2 retries) | ok (2 retries) | err decode 200 | ok (2 retries) | err decode 200 | ok |
| finan update_invoice | ok | err rate_limited 429 | err rate_limited 429 | err provider_error 500 | err provider_error 502 | err provider_error 503 | err transport/timeout; but done | err transport/body; but done | err decode 200; but done | err provider_error 504 | err decode 200 | ok |
| finan delete_invoice | ok | err rate_limited 429 | err rate_limited 429 | err provider_error 500 | err provider_error 502 | err provider_error 503 | err transport/timeout; but done | err transport/body; but done | err decode 200; but done | err provider_error 504 | err decode 200 | ok |
| finan create_payout | ok | err rate_limited 429 | err rate_limited 429 | err provider_error 500 (+1 req) | err provider_error 502 (+1 req) | err provider_error 503 (+1 req) | ok (+1 req) | ok (+1 req) | ok (+1 req) | err provider_error 504 (+1 req) | err decode 200 (+1 req) | ok |
| finan confirm_payout | ok | err rate_limited 429 | err rate_limited 429 | err provider_error 500 (+1 req) | err provider_error 502 (+1 req) | err provider_error 503 (+1 req) | ok (+1 req) | ok (+1 req) | ok (+1 req) | err provider_error 504 (+1 req) | err decode 200 (+1 req) | ok |
| finan get_payout | ok | ok (2 retries) | ok (2 retries) | err provider_error 500 | ok (2 retries) | ok (2 retries) | ok (2 retries) | ok (2 retries) | err decode 200 | ok (2 retries) | err decode 200 | ok |
| finan list_payouts (trait) | ok | ok (2 retries) | ok (2 retries) | err provider_error 500 | ok (2 retries) | ok (2 retries) | ok (2 retries) | ok (2 retries) | err decode 200 | ok (2 retries) | err decode 200 | ok |
| sepay-token list_bank_accounts | ok | ok (2 retries) | ok (2 retries) | err provider_error 500 | ok (2 retries) | ok (2 retries) | ok (2 retries) | ok (2 retries) | err decode 200 | ok (2 retries) | err unauthorized 200 | ok |
| sepay-token bank_account_details | ok | ok (2 retries) | ok (2 retries) | err provider_error 500 | ok (2 retries) | ok (2 retries) | ok (2 retries) | ok (2 retries) | err decode 200 | ok (2 retries) | err unauthorized 200 | ok |
| sepay-token count_bank_accounts | ok | ok (2 retries) | ok (2 retries) | err provider_error 500 | ok (2 retries) | ok (2 retries) | ok (2 retries) | ok (2 retries) | err decode 200 | ok (2 retries) | err unauthorized 200 | ok |
| sepay-token list_transactions | ok | ok (2 retries) | ok (2 retries) | err provider_error 500 | ok (2 retries) | ok (2 retries) | ok (2 retries) | ok (2 retries) | err decode 200 | ok (2 retries) | err unauthorized 200 | ok |
| sepay-token transaction | ok | ok (2 retries) | ok (2 retries) | err provider_error 500 | ok (2 retries) | ok (2 retries) | ok (2 retries) | ok (2 retries) | err decode 200 | ok (2 retries) | err unauthorized 200 | ok |
| sepay-token count_transactions | ok | ok (2 retries) | ok (2 retries) | err provider_error 500 | ok (2 retries) | ok (2 retries) | ok (2 retries) | ok (2 retries) | err decode 200 | ok (2 retries) | err unauthorized 200 | ok |
| sepay-token stream_transactions | ok | ok (2 retries) | ok (2 retries) | err provider_error 500 | ok (2 retries) | ok (2 retries) | ok (2 retries) | ok (2 retries) | err decode 200 | ok (2 retries) | err unauthorized 200 | ok |
| sepay-token stream_accounts (trait) | ok | ok (2 retries) | ok (2 retries) | err provider_error 500 | ok (2 retries) | ok (2 retries) | ok (2 retries) | ok (2 retries) | err decode 200 | ok (2 retries) | err unauthorized 200 | ok |
| sepay-token get_account (trait) | ok | ok (2 retries) | ok (2 retries) | err provider_error 500 | ok (2 retries) | ok (2 retries) | ok (2 retries) | ok (2 retries) | err decode 200 | ok (2 retries) | err unauthorized 200 | ok |
| sepay-oauth list_oauth_bank_accounts | ok | ok (2 retries) | ok (2 retries) | err provider_error 500 | ok (2 retries) | ok (2 retries) | ok (2 retries) | ok (2 retries) | err decode 200 | ok (2 retries) | err decode 200 | ok |
| sepay-oauth get_oauth_bank_account | ok | ok (2 retries) | ok (2 retries) | err provider_error 500 | ok (2 retries) | ok (2 retries) | ok (2 retries) | ok (2 retries) | err decode 200 | ok (2 retries) | err decode 200 | ok |
| sepay-oauth list_sub_accounts | ok | ok (2 retries) | ok (2 retries) | err provider_error 500 | ok (2 retries) | ok (2 retries) | ok (2 retries) | ok (2 retries) | err decode 200 | ok (2 retries) | err decode 200 | ok |
| sepay-oauth list_transactions | ok | ok (2 retries) | ok (2 retries) | err provider_error 500 | ok (2 retries) | ok (2 retries) | ok (2 retries) | ok (2 retries) | err decode 200 | ok (2 retries) | err decode 200 | ok |
| sepay-oauth transaction | ok | ok (2 retries) | ok (2 retries) | err provider_error 500 | ok (2 retries) | ok (2 retries) | ok (2 retries) | ok (2 retries) | err decode 200 | ok (2 retries) | err decode 200 | ok |
| sepay-oauth count_transactions | ok | ok (2 retries) | ok (2 retries) | err provider_error 500 | ok (2 retries) | ok (2 retries) | ok (2 retries) | ok (2 retries) | err decode 200 | ok (2 retries) | err decode 200 | ok |
| sepay-oauth stream_transactions | ok | ok (2 retries) | ok (2 retries) | err provider_error 500 | ok (2 retries) | ok (2 retries) | ok (2 retries) | ok (2 retries) | err decode 200 | ok (2 retries) | err decode 200 | ok |
| sepay-oauth list_accounts (trait) | ok | ok (2 retries) | ok (2 retries) | err provider_error 500 | ok (2 retries) | ok (2 retries) | ok (2 retries) | ok (2 retries) | err decode 200 | ok (2 retries) | err decode 200 | ok |
| sepay-oauth token refresh | ok | err rate_limited 429; next call ok | err rate_limited 429; next call ok | err provider_error 500; next call ok | err provider_error 502; next call ok | err provider_error 503; next call ok | err transport/timeout; next call err unauthorized | err transport/body; next call err unauthorized | err decode; next call err unauthorized | err provider_error 504; next call ok | err decode; next call ok | ok |
| sepay-gateway create_payment | ok | ok (2 retries) | ok (2 retries) | err provider_error 500 | ok (2 retries) | ok (2 retries) | ok (2 retries) | ok (2 retries) | err decode 200 | ok (2 retries) | err decode 200 | ok |
| sepay-gateway get_payment | ok | ok (2 retries) | ok (2 retries) | err provider_error 500 | ok (2 retries) | ok (2 retries) | ok (2 retries) | ok (2 retries) | err decode 200 | ok (2 retries) | err decode 200 | ok |
| sepay-gateway list_payments | ok | ok (2 retries) | ok (2 retries) | err provider_error 500 | ok (2 retries) | ok (2 retries) | ok (2 retries) | ok (2 retries) | err decode 200 | ok (2 retries) | err decode 200 | ok |
| sepay-gateway list_orders | ok | ok (2 retries) | ok (2 retries) | err provider_error 500 | ok (2 retries) | ok (2 retries) | ok (2 retries) | ok (2 retries) | err decode 200 | ok (2 retries) | err decode 200 | ok |
| sepay-gateway order_detail | ok | ok (2 retries) | ok (2 retries) | err provider_error 500 | ok (2 retries) | ok (2 retries) | ok (2 retries) | ok (2 retries) | err decode 200 | ok (2 retries) | err decode 200 | ok |
| sepay-gateway cancel_order | ok | err rate_limited 429 | err rate_limited 429 | err provider_error 500 | err provider_error 502 | err provider_error 503 | err transport/timeout; but done | err transport/body; but done | err decode 200; but done | err provider_error 504 | err decode 200 | ok |
| sepay-gateway void_transaction | ok | err rate_limited 429 | err rate_limited 429 | err provider_error 500 | err provider_error 502 | err provider_error 503 | err transport/timeout; but done | err transport/body; but done | err decode 200; but done | err provider_error 504 | err decode 200 | ok |
| sepay-transfer create_payment (again) | ok | ok (2 retries) | ok (2 retries) | ok as stored | ok (2 retries) | ok (2 retries) | ok (2 retries) | ok (2 retries) | ok as stored | ok (2 retries) | ok as stored | ok |
| sepay-transfer get_payment | ok | ok (2 retries) | ok (2 retries) | err provider_error 500 | ok (2 retries) | ok (2 retries) | ok (2 retries) | ok (2 retries) | err decode 200 | ok (2 retries) | err unauthorized 200 | ok |
| sepay-transfer list_payments | ok | ok (2 retries) | ok (2 retries) | err provider_error 500 | ok (2 retries) | ok (2 retries) | ok (2 retries) | ok (2 retries) | err decode 200 | ok (2 retries) | err unauthorized 200 | ok |

| operation | no fault | duplicated delivery | out of order |
|---|---|---|---|
| finan payment webhook | 2 events once each (first 200000); Paid | 2 events once each (first 200000); Paid | 2 events once each (first 300000); Paid |
| sepay-gateway IPN | 2 events once each (first paid); Cancelled | 2 events once each (first paid); Cancelled | 2 events once each (first void); Cancelled |
| sepay bank-transaction webhook | 2 events once each (first 200000); Paid | 2 events once each (first 200000); Paid | 2 events once each (first 300000); Paid |
"#;

// ------------------------------------------------------------------------------------------------
// Columns: the faults
// ------------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Col {
    None,
    TooMany,
    TooManyBare,
    S500,
    S502,
    S503,
    Slow,
    Reset,
    Truncated,
    Html,
    EmptyOk,
    WrongType,
}

const COLUMNS: [Col; 12] = [
    Col::None,
    Col::TooMany,
    Col::TooManyBare,
    Col::S500,
    Col::S502,
    Col::S503,
    Col::Slow,
    Col::Reset,
    Col::Truncated,
    Col::Html,
    Col::EmptyOk,
    Col::WrongType,
];

impl Col {
    fn header(self) -> &'static str {
        match self {
            Col::None => "no fault",
            Col::TooMany => "429 + retry-after 1",
            Col::TooManyBare => "429",
            Col::S500 => "500",
            Col::S502 => "502",
            Col::S503 => "503",
            Col::Slow => "slow (3 s)",
            Col::Reset => "reset mid-body",
            Col::Truncated => "truncated JSON",
            Col::Html => "HTML 504 page",
            Col::EmptyOk => "empty 200",
            Col::WrongType => "text/plain JSON",
        }
    }

    fn kind(self) -> Option<FaultKind> {
        Some(match self {
            Col::None => return None,
            Col::TooMany => FaultKind::Status429 { retry_after: Some(1) },
            Col::TooManyBare => FaultKind::Status429 { retry_after: None },
            Col::S500 => FaultKind::Status { code: 500 },
            Col::S502 => FaultKind::Status { code: 502 },
            Col::S503 => FaultKind::Status { code: 503 },
            Col::Slow => FaultKind::Delay { ms: DELAY_MS },
            Col::Reset => FaultKind::ResetMidBody,
            Col::Truncated => FaultKind::TruncatedJson,
            Col::Html => FaultKind::HtmlErrorPage { status: 504 },
            Col::EmptyOk => FaultKind::EmptyOk,
            Col::WrongType => FaultKind::WrongContentType,
        })
    }
}

// ------------------------------------------------------------------------------------------------
// One cell's world: a fresh sandbox and clients pointed at it
// ------------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Finan,
    Sepay,
}

/// Short waits, so retries cost milliseconds (429 retry-after hints still count in full).
fn fast_retry() -> RetryPolicy {
    RetryPolicy::default()
        .base_delay(Duration::from_millis(10))
        .max_delay(Duration::from_millis(40))
        .budget(Duration::from_secs(10))
}

fn config() -> SandboxConfig {
    SandboxConfig {
        finan_sub_accounts: 60,
        sepay_token_accounts: 30,
        sepay_oauth_accounts: 25,
        sepay_transactions: 60,
        sepay_token_requests_per_second: 10_000,
        finan_requests_per_minute: None,
        finan_webhook_retry_delays: [50, 100, 200].map(Duration::from_millis).to_vec(),
        sepay_ipn_retry_delays: [50, 100, 200].map(Duration::from_millis).to_vec(),
        sepay_webhook_retry_delays: [50, 100, 200].map(Duration::from_millis).to_vec(),
        ..SandboxConfig::default()
    }
}

fn vnd(amount: i64) -> Money {
    Money::from_minor_units(amount, Currency::VND)
}

struct Env {
    sandbox: Arc<Sandbox>,
    col: Col,
    side: Side,
    route: RouteMatcher,
    finan: Arc<FinanClient>,
    token: SepayClient,
    oauth: SepayClient,
    gateway: SepayPaymentGateway,
}

impl Env {
    /// A fresh sandbox and clients; `col`'s fault will hit `route` on `side`'s listener.
    async fn new(col: Col, side: Side, route: RouteMatcher) -> Self {
        let sandbox = Arc::new(
            Sandbox::start_with(config(), SandboxCredentials::default())
                .await
                .unwrap(),
        );
        let c = sandbox.credentials().clone();
        let finan = Arc::new(
            FinanClient::builder()
                .client_id(c.finan_client_id.clone())
                .secret_key(SecretString::from(c.finan_secret_key.clone()))
                .base_url(&sandbox.finan_base_url())
                .timeout(CLIENT_TIMEOUT)
                .retry_policy(fast_retry())
                .rate_limit(100_000, Duration::from_secs(1))
                .build()
                .unwrap(),
        );
        let token = SepayClient::api_token(SecretString::from(c.sepay_api_token.clone()))
            .base_url(&sandbox.sepay_base_url())
            .timeout(CLIENT_TIMEOUT)
            .retry_policy(fast_retry())
            .requests_per_second(1_000)
            .build()
            .unwrap();
        let oauth = oauth_client(&sandbox, &c.sepay_oauth_access_token);
        let base = sandbox.sepay_base_url();
        let gateway = SepayPaymentGateway::builder(
            c.sepay_merchant_id.clone(),
            SecretString::from(c.sepay_secret_key.clone()),
            CheckoutEnvironment::Sandbox,
        )
        .order_api_base_url(&format!("{base}/v1/"))
        .checkout_url(&format!("{base}/v1/checkout/init"))
        .timeout(CLIENT_TIMEOUT)
        .retry_policy(fast_retry())
        .build()
        .unwrap();
        Self {
            sandbox,
            col,
            side,
            route,
            finan,
            token,
            oauth,
            gateway,
        }
    }

    fn faults(&self) -> &Faults {
        match self.side {
            Side::Finan => self.sandbox.finan_faults(),
            Side::Sepay => self.sandbox.sepay_faults(),
        }
    }

    fn requests(&self) -> u64 {
        match self.side {
            Side::Finan => self.sandbox.finan().request_count(),
            Side::Sepay => self.sandbox.sepay().request_count(),
        }
    }

    /// Arms the column's fault on the row's route, runs `op`, and counts the requests it made.
    async fn measure<T>(&self, op: impl Future<Output = Result<T, Error>>) -> (Result<T, Error>, u64) {
        if let Some(kind) = self.col.kind() {
            self.faults()
                .inject(Fault::new(self.route.clone(), kind).times(FAULT_COUNT));
        }
        let before = self.requests();
        let result = op.await;
        let made = self.requests() - before;
        (result, made)
    }

    /// After a write under the slow fault, waits until the delayed request would have reached
    /// its handler, so a late create is counted.
    async fn settle_late_writes(&self) {
        self.sandbox.clear_faults();
        if self.col == Col::Slow {
            tokio::time::sleep(Duration::from_millis(DELAY_MS + 300)).await;
        }
    }

    /// A SePay payment-gateway order for `invoice`, opened as the payer's browser would: the
    /// signed checkout form posted to the sandbox.
    async fn open_order(&self, invoice: &str) {
        let request = CreatePayment::new(vnd(100_000), invoice, PaymentMethod::BankTransfer);
        let created = self.gateway.create_payment(&request).await.expect("checkout form");
        let Some(PayerAction::FormPost { url, fields }) = created.payer_action else {
            panic!("a checkout form, got {:?}", created.payer_action);
        };
        let browser = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let posted = browser.post(&url).form(&fields).send().await.unwrap();
        assert_eq!(posted.status().as_u16(), 303, "checkout accepted");
    }

    fn transfers(&self) -> SepayBankTransfer {
        SepayBankTransfer::builder(
            self.token.clone(),
            Bank::from_bin("970436").expect("Vietcombank"),
            RECEIVING_ACCOUNT,
            "NGUYEN VAN A",
        )
        .in_memory_store()
        .build()
        .unwrap()
    }
}

/// An OAuth client with `access_token` and the sandbox's refresh token and client credentials.
fn oauth_client(sandbox: &Sandbox, access_token: &str) -> SepayClient {
    let c = sandbox.credentials();
    let credentials = OAuthCredentials::new()
        .with_access_token(SecretString::from(access_token.to_string()))
        .with_refresh_token(SecretString::from(c.sepay_oauth_refresh_token.clone()))
        .with_client(
            c.sepay_oauth_client_id.clone(),
            SecretString::from(c.sepay_oauth_client_secret.clone()),
        );
    SepayClient::oauth(credentials)
        .base_url(&sandbox.sepay_base_url())
        .timeout(CLIENT_TIMEOUT)
        .retry_policy(fast_retry())
        .build()
        .unwrap()
}

// ------------------------------------------------------------------------------------------------
// Rows: the operations
// ------------------------------------------------------------------------------------------------

/// What an operation came to: `Ok(tag)` (shown as `ok` or `ok <tag>`) or the error's label.
type OpResult = Result<Option<String>, String>;
/// An operation's result and the requests it made; `Err` is a broken invariant.
type RawCell = Result<(OpResult, u64), String>;
type RunFn = fn(Arc<Env>) -> BoxFuture<'static, RawCell>;

struct Row {
    name: &'static str,
    side: Side,
    method: &'static str,
    path: &'static str,
    /// Changes state: never retried blindly (its extra requests are shown as `+N req`).
    write: bool,
    run: RunFn,
}

fn ok<T>(result: Result<T, Error>) -> OpResult {
    result.map(|_| None).map_err(|e| label(&e))
}

/// A read: the row's operation measured as is.
macro_rules! read {
    ($name:expr, $side:expr, $method:expr, $path:expr, |$env:ident| $op:expr) => {
        Row {
            name: $name,
            side: $side,
            method: $method,
            path: $path,
            write: false,
            run: |$env: Arc<Env>| {
                Box::pin(async move {
                    let (result, made) = $env.measure(async { $op }).await;
                    Ok((ok(result), made))
                })
            },
        }
    };
}

fn rows() -> Vec<Row> {
    use Side::{Finan, Sepay};
    vec![
        // --- Finan ------------------------------------------------------------------------------
        read!(
            "finan list_master_accounts",
            Finan,
            "GET",
            "/open/api/v1/master-bank-accounts",
            |env| env.finan.list_master_accounts(&AccountFilter::all()).await
        ),
        read!(
            "finan list_bank_accounts",
            Finan,
            "GET",
            "/open/api/v1/bank-accounts",
            |env| env.finan.list_bank_accounts(1, 50, &AccountFilter::all()).await
        ),
        Row {
            name: "finan get_bank_account",
            side: Finan,
            method: "GET",
            path: "/open/api/v1/bank-accounts/",
            write: false,
            run: |env| {
                Box::pin(async move {
                    let page = env.finan.list_bank_accounts(1, 1, &AccountFilter::all()).await.unwrap();
                    let id = page.items[0].id.clone();
                    let (result, made) = env.measure(env.finan.get_bank_account(&id)).await;
                    Ok((ok(result), made))
                })
            },
        },
        Row {
            name: "finan create_bank_account",
            side: Finan,
            method: "POST",
            path: "/open/api/v1/bank-accounts",
            write: true,
            run: |env| Box::pin(finan_create_bank_account(env)),
        },
        Row {
            name: "finan create_payment",
            side: Finan,
            method: "POST",
            path: "/open/api/v1/payments",
            write: true,
            run: |env| Box::pin(finan_create_payment(env, false)),
        },
        Row {
            name: "finan create_invoice_payment",
            side: Finan,
            method: "POST",
            path: "/open/api/v1/payments",
            write: true,
            run: |env| Box::pin(finan_create_payment(env, true)),
        },
        read!(
            "finan list_payment_requests",
            Finan,
            "GET",
            "/open/api/v1/payments",
            |env| env.finan.list_payment_requests(1, 20, &FinanPaymentFilter::all()).await
        ),
        Row {
            name: "finan get_payment",
            side: Finan,
            method: "GET",
            path: "/open/api/v1/payments/",
            write: false,
            run: |env| {
                Box::pin(async move {
                    let request = CreatePayment::new(vnd(150_000), "FM-GET-1", PaymentMethod::BankTransfer);
                    let created = env.finan.create_payment(&request).await.unwrap();
                    let (result, made) = env.measure(env.finan.get_payment(&created.id)).await;
                    Ok((ok(result), made))
                })
            },
        },
        read!(
            "finan list_payments (trait)",
            Finan,
            "GET",
            "/open/api/v1/payments",
            |env| env
                .finan
                .list_payments(&PaymentFilter::default(), PageRequest::first())
                .await
        ),
        read!(
            "finan list_accounts (trait)",
            Finan,
            "GET",
            "/open/api/v1/bank-accounts",
            |env| env
                .finan
                .list_accounts(PageRequest::at(gateway::PageCursor::new("sub:1")))
                .await
        ),
        Row {
            name: "finan get_account (trait)",
            side: Finan,
            method: "GET",
            path: "/open/api/v1/bank-accounts/",
            write: false,
            run: |env| {
                Box::pin(async move {
                    let page = env.finan.list_bank_accounts(1, 1, &AccountFilter::all()).await.unwrap();
                    let id = page.items[0].id.clone();
                    let (result, made) = env.measure(env.finan.get_account(&id)).await;
                    Ok((ok(result), made))
                })
            },
        },
        // --- Finan business records (customers, products, invoices) -----------------------------
        Row {
            name: "finan create_customer",
            side: Finan,
            method: "POST",
            path: "/open/api/v1/customers",
            write: true,
            run: |env| Box::pin(finan_record_write(env, Record::Customer, Write::Create)),
        },
        read!("finan list_customers", Finan, "GET", "/open/api/v1/customers", |env| {
            env.finan.list_customers(1, 20).await
        }),
        Row {
            name: "finan get_customer",
            side: Finan,
            method: "GET",
            path: "/open/api/v1/customers/",
            write: false,
            run: |env| {
                Box::pin(async move {
                    let id = Record::Customer.create(&env).await;
                    let (result, made) = env.measure(env.finan.get_customer(&id)).await;
                    Ok((ok(result), made))
                })
            },
        },
        Row {
            name: "finan update_customer",
            side: Finan,
            method: "PUT",
            path: "/open/api/v1/customers/",
            write: true,
            run: |env| Box::pin(finan_record_write(env, Record::Customer, Write::Update)),
        },
        Row {
            name: "finan delete_customer",
            side: Finan,
            method: "DELETE",
            path: "/open/api/v1/customers/",
            write: true,
            run: |env| Box::pin(finan_record_write(env, Record::Customer, Write::Delete)),
        },
        Row {
            name: "finan create_product",
            side: Finan,
            method: "POST",
            path: "/open/api/v1/products",
            write: true,
            run: |env| Box::pin(finan_record_write(env, Record::Product, Write::Create)),
        },
        read!("finan list_products", Finan, "GET", "/open/api/v1/products", |env| env
            .finan
            .list_products(1, 20)
            .await),
        Row {
            name: "finan get_product",
            side: Finan,
            method: "GET",
            path: "/open/api/v1/products/",
            write: false,
            run: |env| {
                Box::pin(async move {
                    let id = Record::Product.create(&env).await;
                    let (result, made) = env.measure(env.finan.get_product(&id)).await;
                    Ok((ok(result), made))
                })
            },
        },
        Row {
            name: "finan update_product",
            side: Finan,
            method: "PUT",
            path: "/open/api/v1/products/",
            write: true,
            run: |env| Box::pin(finan_record_write(env, Record::Product, Write::Update)),
        },
        Row {
            name: "finan delete_product",
            side: Finan,
            method: "DELETE",
            path: "/open/api/v1/products/",
            write: true,
            run: |env| Box::pin(finan_record_write(env, Record::Product, Write::Delete)),
        },
        Row {
            name: "finan create_invoice",
            side: Finan,
            method: "POST",
            path: "/open/api/v1/invoices",
            write: true,
            run: |env| Box::pin(finan_record_write(env, Record::Invoice, Write::Create)),
        },
        read!("finan list_invoices", Finan, "GET", "/open/api/v1/invoices", |env| env
            .finan
            .list_invoices(1, 20)
            .await),
        Row {
            name: "finan get_invoice",
            side: Finan,
            method: "GET",
            path: "/open/api/v1/invoices/",
            write: false,
            run: |env| {
                Box::pin(async move {
                    let id = Record::Invoice.create(&env).await;
                    let (result, made) = env.measure(env.finan.get_invoice(&id)).await;
                    Ok((ok(result), made))
                })
            },
        },
        Row {
            name: "finan update_invoice",
            side: Finan,
            method: "PUT",
            path: "/open/api/v1/invoices/",
            write: true,
            run: |env| Box::pin(finan_record_write(env, Record::Invoice, Write::Update)),
        },
        Row {
            name: "finan delete_invoice",
            side: Finan,
            method: "DELETE",
            path: "/open/api/v1/invoices/",
            write: true,
            run: |env| Box::pin(finan_record_write(env, Record::Invoice, Write::Delete)),
        },
        // --- Finan payouts ------------------------------------------------------------------------
        Row {
            name: "finan create_payout",
            side: Finan,
            method: "POST",
            path: "/open/api/v1/payouts",
            write: true,
            run: |env| Box::pin(finan_create_payout(env)),
        },
        Row {
            name: "finan confirm_payout",
            side: Finan,
            method: "POST",
            path: "/open/api/v1/payouts/",
            write: true,
            run: |env| Box::pin(finan_confirm_payout(env)),
        },
        Row {
            name: "finan get_payout",
            side: Finan,
            method: "GET",
            path: "/open/api/v1/payouts/",
            write: false,
            run: |env| {
                Box::pin(async move {
                    let created = env
                        .finan
                        .create_payout(&payout_request(&env, "FM-PAYOUT-GET"))
                        .await
                        .unwrap();
                    let (result, made) = env.measure(env.finan.get_payout(&created.id)).await;
                    Ok((ok(result), made))
                })
            },
        },
        read!(
            "finan list_payouts (trait)",
            Finan,
            "GET",
            "/open/api/v1/payouts",
            |env| env.finan.list_payouts(&PayoutFilter::all(), PageRequest::first()).await
        ),
        // --- SePay, API token -------------------------------------------------------------------
        read!(
            "sepay-token list_bank_accounts",
            Sepay,
            "GET",
            "/userapi/bankaccounts/list",
            |env| env.token.list_bank_accounts(&BankAccountFilter::default()).await
        ),
        read!(
            "sepay-token bank_account_details",
            Sepay,
            "GET",
            "/userapi/bankaccounts/details/",
            |env| env.token.bank_account_details("18").await
        ),
        read!(
            "sepay-token count_bank_accounts",
            Sepay,
            "GET",
            "/userapi/bankaccounts/count",
            |env| env.token.count_bank_accounts(&BankAccountFilter::default()).await
        ),
        read!(
            "sepay-token list_transactions",
            Sepay,
            "GET",
            "/userapi/transactions/list",
            |env| env
                .token
                .list_transactions(&TransactionFilter::default(), PageRequest::first())
                .await
        ),
        read!(
            "sepay-token transaction",
            Sepay,
            "GET",
            "/userapi/transactions/details/",
            |env| env.token.transaction(SEEDED_TRANSACTION).await
        ),
        read!(
            "sepay-token count_transactions",
            Sepay,
            "GET",
            "/userapi/transactions/count",
            |env| env.token.count_transactions(&TransactionFilter::default()).await
        ),
        read!(
            "sepay-token stream_transactions",
            Sepay,
            "GET",
            "/userapi/transactions/list",
            |env| env
                .token
                .stream_transactions(&TransactionFilter::default().account_number(RECEIVING_ACCOUNT))
                .try_collect::<Vec<_>>()
                .await
        ),
        read!(
            "sepay-token stream_accounts (trait)",
            Sepay,
            "GET",
            "/userapi/bankaccounts/list",
            |env| env.token.stream_accounts().try_collect::<Vec<_>>().await
        ),
        read!(
            "sepay-token get_account (trait)",
            Sepay,
            "GET",
            "/userapi/bankaccounts/details/",
            |env| env.token.get_account("18").await
        ),
        // --- SePay, OAuth 2.0 -------------------------------------------------------------------
        read!(
            "sepay-oauth list_oauth_bank_accounts",
            Sepay,
            "GET",
            "/api/v1/bank-accounts",
            |env| env.oauth.list_oauth_bank_accounts(1, 20).await
        ),
        read!(
            "sepay-oauth get_oauth_bank_account",
            Sepay,
            "GET",
            "/api/v1/bank-accounts/",
            |env| env.oauth.get_oauth_bank_account(18).await
        ),
        read!(
            "sepay-oauth list_sub_accounts",
            Sepay,
            "GET",
            "/api/v1/bank-accounts/18/sub-accounts",
            |env| env.oauth.list_sub_accounts(18, 1, 20).await
        ),
        read!(
            "sepay-oauth list_transactions",
            Sepay,
            "GET",
            "/api/v1/transactions",
            |env| env
                .oauth
                .list_transactions(&TransactionFilter::default(), PageRequest::first())
                .await
        ),
        read!(
            "sepay-oauth transaction",
            Sepay,
            "GET",
            "/api/v1/transactions/",
            |env| env.oauth.transaction(SEEDED_TRANSACTION).await
        ),
        read!(
            "sepay-oauth count_transactions",
            Sepay,
            "GET",
            "/api/v1/transactions",
            |env| env.oauth.count_transactions(&TransactionFilter::default()).await
        ),
        read!(
            "sepay-oauth stream_transactions",
            Sepay,
            "GET",
            "/api/v1/transactions",
            |env| env
                .oauth
                .stream_transactions(&TransactionFilter::default().account_number(RECEIVING_ACCOUNT))
                .try_collect::<Vec<_>>()
                .await
        ),
        read!(
            "sepay-oauth list_accounts (trait)",
            Sepay,
            "GET",
            "/api/v1/bank-accounts",
            |env| env.oauth.list_accounts(PageRequest::first().with_limit(5)).await
        ),
        Row {
            name: "sepay-oauth token refresh",
            side: Sepay,
            method: "POST",
            path: "/oauth/token",
            write: true,
            run: |env| Box::pin(sepay_token_refresh(env)),
        },
        // --- SePay payment gateway --------------------------------------------------------------
        Row {
            name: "sepay-gateway create_payment",
            side: Sepay,
            method: "GET",
            path: "/v1/order",
            write: false,
            run: |env| Box::pin(sepay_gateway_create(env)),
        },
        Row {
            name: "sepay-gateway get_payment",
            side: Sepay,
            method: "GET",
            path: "/v1/order",
            write: false,
            run: |env| {
                Box::pin(async move {
                    env.open_order("FMGET1").await;
                    let (result, made) = env.measure(env.gateway.get_payment("FMGET1")).await;
                    Ok((ok(result), made))
                })
            },
        },
        Row {
            name: "sepay-gateway list_payments",
            side: Sepay,
            method: "GET",
            path: "/v1/order",
            write: false,
            run: |env| {
                Box::pin(async move {
                    env.open_order("FMLIST1").await;
                    let (result, made) = env
                        .measure(
                            env.gateway
                                .list_payments(&PaymentFilter::default(), PageRequest::first()),
                        )
                        .await;
                    Ok((ok(result), made))
                })
            },
        },
        Row {
            name: "sepay-gateway list_orders",
            side: Sepay,
            method: "GET",
            path: "/v1/order",
            write: false,
            run: |env| {
                Box::pin(async move {
                    env.open_order("FMLIST2").await;
                    let (result, made) = env
                        .measure(env.gateway.list_orders(&OrderFilter::default(), 1, 20))
                        .await;
                    Ok((ok(result), made))
                })
            },
        },
        Row {
            name: "sepay-gateway order_detail",
            side: Sepay,
            method: "GET",
            path: "/v1/order/detail/",
            write: false,
            run: |env| {
                Box::pin(async move {
                    env.open_order("FMDETAIL1").await;
                    let id = env.sandbox.sepay().order("FMDETAIL1").unwrap().id;
                    let (result, made) = env.measure(env.gateway.order_detail(&id)).await;
                    Ok((ok(result), made))
                })
            },
        },
        Row {
            name: "sepay-gateway cancel_order",
            side: Sepay,
            method: "POST",
            path: "/v1/order/cancel",
            write: true,
            run: |env| Box::pin(sepay_order_action(env, false)),
        },
        Row {
            name: "sepay-gateway void_transaction",
            side: Sepay,
            method: "POST",
            path: "/v1/order/voidTransaction",
            write: true,
            run: |env| Box::pin(sepay_order_action(env, true)),
        },
        // --- SePay bank transfer (API token) ----------------------------------------------------
        Row {
            name: "sepay-transfer create_payment (again)",
            side: Sepay,
            method: "GET",
            path: "/userapi/transactions/list",
            write: false,
            run: |env| Box::pin(sepay_transfer(env, true)),
        },
        Row {
            name: "sepay-transfer get_payment",
            side: Sepay,
            method: "GET",
            path: "/userapi/transactions/list",
            write: false,
            run: |env| Box::pin(sepay_transfer(env, false)),
        },
        Row {
            name: "sepay-transfer list_payments",
            side: Sepay,
            method: "GET",
            path: "/userapi/transactions/list",
            write: false,
            run: |env| {
                Box::pin(async move {
                    let transfers = env.transfers();
                    let request = CreatePayment::new(vnd(100_000), "FM-BT-LIST", PaymentMethod::BankTransfer);
                    transfers.create_payment(&request).await.unwrap();
                    let (result, made) = env
                        .measure(transfers.list_payments(&PaymentFilter::default(), PageRequest::first()))
                        .await;
                    Ok((ok(result), made))
                })
            },
        },
    ]
}

/// Finan `POST /bank-accounts` is never re-sent: at most one account per call, whatever the fault.
async fn finan_create_bank_account(env: Arc<Env>) -> RawCell {
    let master = env.sandbox.finan().master_account_ids()[0].clone();
    let before = env.sandbox.finan().sub_account_count();
    let request = CreateBankAccount::new(master, "FAULT MATRIX");
    let (result, made) = env.measure(env.finan.create_bank_account(&request)).await;
    env.settle_late_writes().await;
    let created = env.sandbox.finan().sub_account_count() - before;
    if created > 1 {
        return Err(format!("{created} bank accounts created by one call"));
    }
    let result = match result {
        Ok(_) if created != 1 => return Err("create_bank_account returned ok but no account exists".into()),
        Ok(_) => Ok(None),
        Err(e) if created == 1 => Err(format!("{}; but done", label(&e))),
        Err(e) => Err(label(&e)),
    };
    Ok((result, made))
}

/// Finan create payment: at most one payment request per reference, and creating again afterwards
/// returns that one.
async fn finan_create_payment(env: Arc<Env>, invoice: bool) -> RawCell {
    let reference = if invoice { "INV-FM-1" } else { "FM-CREATE-1" };
    let create = || async {
        if invoice {
            env.finan
                .create_invoice_payment(reference, vnd(250_000), PaymentMethod::BankTransfer)
                .await
        } else {
            let mut request = CreatePayment::new(vnd(250_000), reference, PaymentMethod::BankTransfer);
            request.description = Some("Fault matrix".into());
            env.finan.create_payment(&request).await
        }
    };
    let (result, made) = env.measure(create()).await;
    env.settle_late_writes().await;
    let existing: Vec<_> = env
        .sandbox
        .finan()
        .payment_requests()
        .into_iter()
        .filter(|p| p.reference_id == reference)
        .collect();
    if existing.len() > 1 {
        return Err(format!("{} payment requests for reference {reference}", existing.len()));
    }
    if let Ok(created) = &result {
        if existing.first().map(|p| p.id.as_str()) != Some(created.id.as_str()) {
            return Err(format!("returned {} which the sandbox does not hold", created.id));
        }
    }
    let again = create().await.map_err(|e| format!("creating again failed: {e}"))?;
    let after: Vec<_> = env
        .sandbox
        .finan()
        .payment_requests()
        .into_iter()
        .filter(|p| p.reference_id == reference)
        .collect();
    if after.len() != 1 || after[0].id != again.id {
        return Err(format!(
            "creating again: {} request(s) for the reference, returned {}",
            after.len(),
            again.id
        ));
    }
    if let Some(first) = existing.first() {
        if first.id != again.id {
            return Err("creating again made a new payment request".into());
        }
    }
    let tag = match &result {
        // Finan's list (the look-up) carries no payer action: this one was found, not created.
        Ok(created) if created.payer_action.is_none() => Some("via lookup".to_string()),
        _ => None,
    };
    Ok((result.map(|_| tag).map_err(|e| label(&e)), made))
}

/// A Finan business record kind, for the write rows.
#[derive(Clone, Copy)]
enum Record {
    Customer,
    Product,
    Invoice,
}

/// What a write row does to its record.
#[derive(Clone, Copy, PartialEq)]
enum Write {
    Create,
    Update,
    Delete,
}

const FM_CUSTOMER: &str = "FM-CUST-1";
const FM_SKU: &str = "FM-SKU-1";
const FM_INVOICE: &str = "FM-INV-1";

fn fm_customer(name: &str) -> NewCustomer {
    NewCustomer::personal(name, FM_CUSTOMER)
}

fn fm_product(name: &str) -> NewProduct {
    NewProduct::new(name, FM_SKU, 120_000, 80_000)
}

fn fm_invoice(days: i64) -> NewInvoice {
    let day = chrono::DateTime::parse_from_rfc3339("2026-11-22T10:00:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    NewInvoice::new(FM_INVOICE, FM_CUSTOMER, day, day + chrono::Duration::days(days))
        .item(InvoiceItem::new(FM_SKU, TaxCode::vat_10(), 2).unit_price(120_000))
}

impl Record {
    /// Creates the record (and what it needs) with no fault armed; its id.
    async fn create(self, env: &Env) -> String {
        let finan = &env.finan;
        match self {
            Record::Customer => {
                finan
                    .create_customer(&fm_customer("FAULT MATRIX"))
                    .await
                    .unwrap()
                    .customer_id
            }
            Record::Product => {
                finan
                    .create_product(&fm_product("Fault matrix"))
                    .await
                    .unwrap()
                    .product_id
            }
            Record::Invoice => {
                finan.create_customer(&fm_customer("FAULT MATRIX")).await.unwrap();
                finan.create_product(&fm_product("Fault matrix")).await.unwrap();
                finan.create_invoice(&fm_invoice(7)).await.unwrap().invoice_id
            }
        }
    }

    /// How many records of this kind the sandbox holds.
    fn count(self, env: &Env) -> usize {
        let finan = env.sandbox.finan();
        match self {
            Record::Customer => finan.customer_count(),
            Record::Product => finan.product_count(),
            Record::Invoice => finan.invoices().len(),
        }
    }

    /// The write under the row's fault.
    async fn write(self, env: &Env, write: Write, id: &str) -> (Result<(), Error>, u64) {
        let finan = &env.finan;
        match (self, write) {
            (Record::Customer, Write::Create) => {
                let (r, made) = env.measure(finan.create_customer(&fm_customer("FAULT MATRIX"))).await;
                (r.map(drop), made)
            }
            (Record::Product, Write::Create) => {
                let (r, made) = env.measure(finan.create_product(&fm_product("Fault matrix"))).await;
                (r.map(drop), made)
            }
            (Record::Invoice, Write::Create) => {
                let (r, made) = env.measure(finan.create_invoice(&fm_invoice(7))).await;
                (r.map(drop), made)
            }
            (Record::Customer, Write::Update) => {
                let (r, made) = env.measure(finan.update_customer(id, &fm_customer("RENAMED"))).await;
                (r.map(drop), made)
            }
            (Record::Product, Write::Update) => {
                let (r, made) = env.measure(finan.update_product(id, &fm_product("Renamed"))).await;
                (r.map(drop), made)
            }
            (Record::Invoice, Write::Update) => {
                let (r, made) = env.measure(finan.update_invoice(id, &fm_invoice(14))).await;
                (r.map(drop), made)
            }
            (Record::Customer, Write::Delete) => {
                let (r, made) = env.measure(finan.delete_customer(id)).await;
                (r.map(drop), made)
            }
            (Record::Product, Write::Delete) => {
                let (r, made) = env.measure(finan.delete_product(id)).await;
                (r.map(drop), made)
            }
            (Record::Invoice, Write::Delete) => {
                let (r, made) = env.measure(finan.delete_invoice(id)).await;
                (r.map(drop), made)
            }
        }
    }

    /// Whether an update took effect, read back with no fault armed.
    async fn updated(self, env: &Env, id: &str) -> bool {
        let finan = &env.finan;
        match self {
            Record::Customer => finan.get_customer(id).await.unwrap().general_info.name == "RENAMED",
            Record::Product => finan.get_product(id).await.unwrap().general_info.item_name == "Renamed",
            Record::Invoice => {
                let invoice = finan.get_invoice(id).await.unwrap();
                invoice.due_date != invoice.transaction_date.map(|d| d + chrono::Duration::days(7))
            }
        }
    }
}

/// A create, update or delete of a Finan record under the row's fault. None is re-sent by the
/// library (the unique code makes a repeated create a 409): the cell is the write's result, with
/// `; but done` when it failed yet took effect; a create must never make two records.
async fn finan_record_write(env: Arc<Env>, record: Record, write: Write) -> RawCell {
    let id = match (record, write) {
        // An invoice needs its customer and product.
        (Record::Invoice, Write::Create) => {
            env.finan.create_customer(&fm_customer("FAULT MATRIX")).await.unwrap();
            env.finan.create_product(&fm_product("Fault matrix")).await.unwrap();
            String::new()
        }
        (_, Write::Create) => String::new(),
        _ => record.create(&env).await,
    };
    let before = record.count(&env);
    let (result, made) = record.write(&env, write, &id).await;
    env.settle_late_writes().await;
    let after = record.count(&env);
    let done = match write {
        Write::Create => {
            if after > before + 1 {
                return Err(format!("{} records created by one call", after - before));
            }
            after == before + 1
        }
        Write::Delete => after + 1 == before,
        Write::Update => record.updated(&env, &id).await,
    };
    let result = match result {
        Ok(()) if !done => return Err("the write returned ok but did not take effect".into()),
        Ok(()) => Ok(None),
        Err(e) if done => Err(format!("{}; but done", label(&e))),
        Err(e) => Err(label(&e)),
    };
    Ok((result, made))
}

fn payout_request(env: &Env, reference: &str) -> CreatePayout {
    let source = env.sandbox.finan().master_account_ids()[0].clone();
    CreatePayout::new(
        source,
        vnd(100_000),
        Beneficiary::new("0123456789", "NGUYEN VAN A", "161"),
        reference,
    )
    .description("Fault matrix")
}

/// Finan create payout: never two payouts for one reference, and creating again returns that one.
async fn finan_create_payout(env: Arc<Env>) -> RawCell {
    let reference = "FM-PAYOUT-1";
    let request = payout_request(&env, reference);
    let held = |env: &Env| {
        env.sandbox
            .finan()
            .payouts()
            .into_iter()
            .filter(|p| p.reference_id.as_deref() == Some(reference))
            .map(|p| p.id)
            .collect::<Vec<_>>()
    };
    let (result, made) = env.measure(env.finan.create_payout(&request)).await;
    env.settle_late_writes().await;
    let existing = held(&env);
    if existing.len() > 1 {
        return Err(format!("{} payouts for reference {reference}", existing.len()));
    }
    if let Ok(created) = &result {
        if existing != [created.id.clone()] {
            return Err(format!("returned {} which the sandbox does not hold", created.id));
        }
    }
    let again = env
        .finan
        .create_payout(&request)
        .await
        .map_err(|e| format!("creating again failed: {e}"))?;
    if held(&env) != [again.id.clone()] {
        return Err("creating again made a second payout or returned another".into());
    }
    let result = match result {
        Ok(_) => Ok(None),
        Err(e) if !existing.is_empty() => Err(format!("{}; but done", label(&e))),
        Err(e) => Err(label(&e)),
    };
    Ok((result, made))
}

/// Finan confirm payout: the OTP is sent once; the cell says whether it took effect.
async fn finan_confirm_payout(env: Arc<Env>) -> RawCell {
    let created = env
        .finan
        .create_payout(&payout_request(&env, "FM-PAYOUT-OTP"))
        .await
        .unwrap();
    let otp = SecretString::from(env.sandbox.finan().payout_otp(&created.id).expect("an OTP was sent"));
    let (result, made) = env.measure(env.finan.confirm_payout(&created.id, &otp)).await;
    env.settle_late_writes().await;
    let confirmed = env
        .sandbox
        .finan()
        .payout(&created.id)
        .is_some_and(|p| format!("{:?}", p.status) != "Created");
    let result = match result {
        Ok(_) if !confirmed => return Err("confirm returned ok but the payout was not confirmed".into()),
        Ok(_) => Ok(None),
        Err(e) if confirmed => Err(format!("{}; but done", label(&e))),
        Err(e) => Err(label(&e)),
    };
    Ok((result, made))
}

/// The OAuth refresh (`POST /oauth/token`, never retried): a client whose access token SePay
/// refuses refreshes it and sends its call again. The tag says whether the client can still refresh afterwards
/// (SePay rotates refresh tokens: a refresh that reached SePay but whose reply was lost leaves
/// the client holding a spent one).
async fn sepay_token_refresh(env: Arc<Env>) -> RawCell {
    // SePay answers 401 to a token it does not know; the client refreshes and sends again.
    let client = oauth_client(&env.sandbox, "expired-access-token");
    let (result, made) = env.measure(client.list_oauth_bank_accounts(1, 5)).await;
    env.settle_late_writes().await;
    let refreshes = env.sandbox.sepay().token_refresh_count();
    if refreshes > 1 {
        return Err(format!("{refreshes} refreshes for one call"));
    }
    let next = client.list_oauth_bank_accounts(1, 5).await;
    let result = match (result, next) {
        (Ok(_), Ok(_)) => Ok(None),
        (Ok(_), Err(n)) => Ok(Some(format!("; next call {}", label(&n)))),
        (Err(e), Ok(_)) => Err(format!("{}; next call ok", label(&e))),
        (Err(e), Err(n)) => Err(format!("{}; next call {}", label(&e), label(&n))),
    };
    Ok((result, made))
}

/// SePay's `create_payment` only looks the reference up (`GET /v1/order?q=`): the form is made
/// here and an order exists only once the payer posts it. No order may exist after the call.
async fn sepay_gateway_create(env: Arc<Env>) -> RawCell {
    let request = CreatePayment::new(vnd(120_000), "FMCREATE1", PaymentMethod::BankTransfer);
    let (result, made) = env.measure(env.gateway.create_payment(&request)).await;
    if !env.sandbox.sepay().orders().is_empty() {
        return Err("create_payment made an order at SePay".into());
    }
    if let Ok(created) = &result {
        if !matches!(created.payer_action, Some(PayerAction::FormPost { .. })) {
            return Err("no checkout form".into());
        }
    }
    Ok((ok(result), made))
}

/// Cancel / void: sent once; the order ends cancelled exactly when SePay handled the request.
async fn sepay_order_action(env: Arc<Env>, void: bool) -> RawCell {
    let invoice = if void { "FMVOID1" } else { "FMCANCEL1" };
    env.open_order(invoice).await;
    if void {
        env.sandbox.sepay().pay_order(invoice).unwrap();
    }
    let (result, made) = env
        .measure(async {
            if void {
                env.gateway.void_transaction(invoice).await
            } else {
                env.gateway.cancel_order(invoice).await
            }
        })
        .await;
    env.settle_late_writes().await;
    if made != 1 {
        return Err(format!("{made} requests: a state-changing POST was re-sent"));
    }
    // Whether SePay did it, whatever the client was told.
    let done = env.sandbox.sepay().order(invoice).unwrap().order_status == "CANCELLED";
    let result = match (result, done) {
        (Ok(_), true) => Ok(None),
        (Ok(_), false) => Ok(Some("but not done".to_string())),
        (Err(e), true) => Err(format!("{}; but done", label(&e))),
        (Err(e), false) => Err(label(&e)),
    };
    Ok((result, made))
}

/// Bank transfers: a request paid in part, then either created again for the same reference or
/// read. `live` = the status read from SePay now (PartiallyPaid); `as stored` = the copy in the
/// store (create again falls back to it when SePay cannot be read).
async fn sepay_transfer(env: Arc<Env>, create_again: bool) -> RawCell {
    let transfers = env.transfers();
    let reference = if create_again { "FM-BT-AGAIN" } else { "FM-BT-GET" };
    let request = CreatePayment::new(vnd(100_000), reference, PaymentMethod::BankTransfer);
    let created = transfers.create_payment(&request).await.unwrap();
    let Some(PayerAction::BankTransfer {
        remark: Some(remark), ..
    }) = &created.payer_action
    else {
        panic!("a bank transfer with a remark");
    };
    env.sandbox
        .sepay()
        .transfer(NewTransfer::incoming(RECEIVING_ACCOUNT, 40_000, remark.clone()))
        .unwrap();
    let (result, made) = env
        .measure(async {
            if create_again {
                transfers.create_payment(&request).await
            } else {
                transfers.get_payment(&created.id).await
            }
        })
        .await;
    if let Ok(got) = &result {
        if got.id != created.id {
            return Err("a second bank-transfer request for one reference".into());
        }
    }
    let result = result
        .map(|got| match got.status {
            PaymentStatus::PartiallyPaid => None,
            PaymentStatus::Unpaid => Some("as stored".to_string()),
            other => Some(format!("{other:?}")),
        })
        .map_err(|e| label(&e));
    Ok((result, made))
}

// ------------------------------------------------------------------------------------------------
// Running the cells
// ------------------------------------------------------------------------------------------------

fn label(e: &Error) -> String {
    match e {
        Error::Transport { kind, .. } => {
            let kind = match kind {
                TransportErrorKind::Timeout => "timeout",
                TransportErrorKind::Body => "body",
                TransportErrorKind::Connect => "connect",
                _ => "other",
            };
            format!("err transport/{kind}")
        }
        _ => match e.status() {
            Some(status) => format!("err {} {status}", e.kind()),
            None => format!("err {}", e.kind()),
        },
    }
}

/// What a cell came to before formatting.
enum Outcome {
    Done(OpResult, u64),
    Violation(String),
    Panic(String),
    Hang,
}

async fn run_cell(row: usize, col: Col) -> Outcome {
    let task = tokio::spawn(async move {
        let rows = rows();
        let row = &rows[row];
        let env = Arc::new(Env::new(col, row.side, RouteMatcher::new(row.method, row.path)).await);
        let run = row.run;
        tokio::time::timeout(CELL_TIMEOUT, run(env)).await
    });
    match task.await {
        Ok(Ok(Ok((result, made)))) => Outcome::Done(result, made),
        Ok(Ok(Err(violation))) => Outcome::Violation(violation),
        Ok(Err(_)) => Outcome::Hang,
        Err(e) if e.is_panic() => {
            let payload = e.into_panic();
            let message = payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            Outcome::Panic(message)
        }
        Err(e) => Outcome::Panic(e.to_string()),
    }
}

fn format_cell(outcome: &Outcome, baseline: Option<u64>, write: bool) -> String {
    match outcome {
        Outcome::Done(result, made) => {
            let mut cell = match result {
                Ok(None) => "ok".to_string(),
                Ok(Some(tag)) if tag.starts_with(';') => format!("ok{tag}"),
                Ok(Some(tag)) => format!("ok {tag}"),
                Err(e) => e.clone(),
            };
            let extra = baseline.map_or(0, |b| made.saturating_sub(b));
            if extra > 0 {
                let extra = match (write, extra) {
                    (true, n) => format!("+{n} req"),
                    (false, 1) => "1 retry".to_string(),
                    (false, n) => format!("{n} retries"),
                };
                // Keep a trailing note (after `;`) last.
                match cell.split_once("; ") {
                    Some((head, tail)) => cell = format!("{head} ({extra}); {tail}"),
                    None => cell = format!("{cell} ({extra})"),
                }
            }
            cell
        }
        Outcome::Violation(v) => format!("VIOLATION: {v}"),
        Outcome::Panic(p) => format!("PANIC: {p}"),
        Outcome::Hang => "HANG".to_string(),
    }
}

fn render(names: &[&str], cols: &[&str], cells: &[Vec<String>]) -> String {
    let mut out = String::new();
    out.push_str(&format!("| operation | {} |\n", cols.join(" | ")));
    out.push_str(&format!("|---|{}\n", "---|".repeat(cols.len())));
    for (name, row) in names.iter().zip(cells) {
        out.push_str(&format!("| {name} | {} |\n", row.join(" | ")));
    }
    out
}

/// The cells of `actual` that differ from `expected` (both rendered tables).
fn differences(expected: &str, actual: &str) -> Vec<String> {
    let parse = |table: &str| -> BTreeMap<(String, usize), String> {
        let mut cells = BTreeMap::new();
        let rows = table
            .lines()
            .map(str::trim)
            .filter(|l| l.starts_with("| ") && !l.starts_with("| operation |"));
        for line in rows {
            let parts: Vec<_> = line.trim_matches('|').split(" | ").map(str::trim).collect();
            for (i, cell) in parts.iter().enumerate().skip(1) {
                cells.insert((parts[0].to_string(), i), cell.to_string());
            }
        }
        cells
    };
    let (expected, actual) = (parse(expected), parse(actual));
    let mut diffs = Vec::new();
    for (key, got) in &actual {
        match expected.get(key) {
            Some(want) if want == got => {}
            Some(want) => diffs.push(format!("{} / column {}: expected `{want}`, got `{got}`", key.0, key.1)),
            None => diffs.push(format!("{} / column {}: not expected, got `{got}`", key.0, key.1)),
        }
    }
    for key in expected.keys().filter(|k| !actual.contains_key(*k)) {
        diffs.push(format!("{} / column {}: expected but missing", key.0, key.1));
    }
    diffs
}

// ------------------------------------------------------------------------------------------------
// Webhooks: duplicated and out-of-order deliveries through the facade's receiver
// ------------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hook {
    None,
    Duplicate,
    OutOfOrder,
}

const HOOK_COLUMNS: [Hook; 3] = [Hook::None, Hook::Duplicate, Hook::OutOfOrder];

impl Hook {
    fn header(self) -> &'static str {
        match self {
            Hook::None => "no fault",
            Hook::Duplicate => "duplicated delivery",
            Hook::OutOfOrder => "out of order",
        }
    }

    fn kind(self) -> Option<FaultKind> {
        match self {
            Hook::None => None,
            Hook::Duplicate => Some(FaultKind::DuplicateDelivery),
            Hook::OutOfOrder => Some(FaultKind::OutOfOrder),
        }
    }
}

/// Every event the app's handler was given.
#[derive(Clone, Default)]
struct Seen(Arc<Mutex<Vec<PaymentEvent>>>);

impl Seen {
    fn events(&self) -> Vec<PaymentEvent> {
        self.0.lock().unwrap().clone()
    }

    /// Unless the fault holds the first notification back, waits until it was handled, so the
    /// order of the two notifications is the fault's doing, not the scheduler's.
    async fn first_delivered(&self, hook: Hook) {
        if hook != Hook::OutOfOrder {
            self.wait_for(1).await;
        }
    }

    /// Waits until `n` events arrived (or 10 s passed), then a little longer to catch a duplicate.
    async fn wait_for(&self, n: usize) -> Vec<PaymentEvent> {
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.events().len() < n && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        tokio::time::sleep(Duration::from_millis(400)).await;
        self.events()
    }
}

/// Serves a receiver with `verifier` (resolving events with `provider` when given); returns the
/// URL to deliver to and what the handler saw.
async fn receiver(verifier: Arc<dyn WebhookVerifier>, provider: Option<Arc<dyn PaymentProvider>>) -> (String, Seen) {
    let seen = Seen::default();
    let sink = seen.clone();
    let receiver = match provider {
        Some(provider) => WebhookReceiver::new().route_with_provider("/hook", verifier, provider),
        None => WebhookReceiver::new().route("/hook", verifier),
    };
    let router = receiver
        .handler(move |event: PaymentEvent| {
            let sink = sink.clone();
            async move {
                sink.0.lock().unwrap().push(event);
                Ok::<(), String>(())
            }
        })
        .into_router();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    (url, seen)
}

/// Each event handled once: `n` events with distinct ids.
fn once_each(events: &[PaymentEvent], n: usize) -> Result<(), String> {
    let mut ids: HashMap<&str, usize> = HashMap::new();
    for event in events {
        *ids.entry(event.event_id().unwrap_or("")).or_default() += 1;
    }
    if events.len() != n || ids.len() != n {
        return Err(format!(
            "handler saw {} events ({} distinct), expected {n}",
            events.len(),
            ids.len()
        ));
    }
    Ok(())
}

async fn finan_webhooks(hook: Hook) -> Result<String, String> {
    let sandbox = Sandbox::start_with(config(), SandboxCredentials::default())
        .await
        .unwrap();
    let c = sandbox.credentials().clone();
    let finan = common::finan(&sandbox, &c.finan_secret_key);
    let verifier = Arc::new(FinanWebhookVerifier::new(
        c.finan_client_id.clone(),
        SecretString::from(c.finan_secret_key.clone()),
    ));
    let (url, seen) = receiver(verifier, None).await;
    sandbox.finan().set_webhook_url(Some(url));
    let mut request = CreatePayment::new(vnd(500_000), "FM-HOOK-1", PaymentMethod::BankTransfer);
    request.description = Some("Webhook faults".into());
    let created = finan.create_payment(&request).await.map_err(|e| e.to_string())?;
    if let Some(kind) = hook.kind() {
        sandbox.finan_faults().inject(Fault::webhook(kind));
    }
    sandbox
        .finan()
        .pay(&created.id, 200_000)
        .map_err(|e| format!("{e:?}"))?;
    seen.first_delivered(hook).await;
    sandbox
        .finan()
        .pay(&created.id, 300_000)
        .map_err(|e| format!("{e:?}"))?;
    let events = seen.wait_for(2).await;
    once_each(&events, 2)?;
    let first_amount = match &events[0] {
        PaymentEvent::PaymentReceived(p) => p.amount,
        other => return Err(format!("unexpected {other:?}")),
    };
    let now = finan.get_payment(&created.id).await.map_err(|e| e.to_string())?;
    if now.status != PaymentStatus::Paid {
        return Err(format!("final status {:?}, expected Paid", now.status));
    }
    Ok(format!(
        "2 events once each (first {}); {:?}",
        first_amount.amount(),
        now.status
    ))
}

async fn sepay_ipn(hook: Hook) -> Result<String, String> {
    let env = Env::new(Col::None, Side::Sepay, RouteMatcher::any()).await;
    let sandbox = env.sandbox.clone();
    let c = sandbox.credentials().clone();
    let verifier = Arc::new(SepayIpnVerifier::new(SecretString::from(c.sepay_secret_key.clone())));
    let (url, seen) = receiver(verifier, None).await;
    sandbox.sepay().set_ipn_url(Some(url));
    env.open_order("FMIPN1").await;
    if let Some(kind) = hook.kind() {
        sandbox.sepay_faults().inject(Fault::webhook(kind));
    }
    sandbox.sepay().pay_order("FMIPN1").map_err(|e| format!("{e:?}"))?;
    seen.first_delivered(hook).await;
    sandbox.sepay().void_order("FMIPN1").map_err(|e| format!("{e:?}"))?;
    let events = seen.wait_for(2).await;
    once_each(&events, 2)?;
    let first = match &events[0] {
        PaymentEvent::PaymentReceived(_) => "paid",
        PaymentEvent::TransactionVoided { .. } => "void",
        _ => "unknown",
    };
    let now = env.gateway.get_payment("FMIPN1").await.map_err(|e| e.to_string())?;
    if now.status != PaymentStatus::Cancelled {
        return Err(format!("final status {:?}, expected Cancelled", now.status));
    }
    Ok(format!("2 events once each (first {first}); {:?}", now.status))
}

async fn sepay_bank_webhooks(hook: Hook) -> Result<String, String> {
    let env = Env::new(Col::None, Side::Sepay, RouteMatcher::any()).await;
    let sandbox = env.sandbox.clone();
    let c = sandbox.credentials().clone();
    let transfers = Arc::new(env.transfers());
    let verifier = Arc::new(SepayBankWebhookVerifier::new(SecretString::from(
        c.sepay_webhook_api_key.clone(),
    )));
    let (url, seen) = receiver(verifier, Some(transfers.clone())).await;
    sandbox.sepay().set_webhook_url(Some(url));
    let request = CreatePayment::new(vnd(500_000), "FM-BT-HOOK", PaymentMethod::BankTransfer);
    let created = transfers.create_payment(&request).await.map_err(|e| e.to_string())?;
    let Some(PayerAction::BankTransfer {
        remark: Some(remark), ..
    }) = &created.payer_action
    else {
        return Err("no remark".into());
    };
    if let Some(kind) = hook.kind() {
        sandbox.sepay_faults().inject(Fault::webhook(kind));
    }
    for (i, amount) in [200_000, 300_000].into_iter().enumerate() {
        if i == 1 {
            seen.first_delivered(hook).await;
        }
        sandbox
            .sepay()
            .transfer(NewTransfer::incoming(RECEIVING_ACCOUNT, amount, remark.clone()))
            .map_err(|e| format!("{e:?}"))?;
    }
    let events = seen.wait_for(2).await;
    once_each(&events, 2)?;
    let first_amount = match &events[0] {
        PaymentEvent::PaymentReceived(p) if p.reference_id.as_deref() == Some("FM-BT-HOOK") => p.amount,
        other => return Err(format!("unexpected {other:?}")),
    };
    let now = transfers.get_payment(&created.id).await.map_err(|e| e.to_string())?;
    if now.status != PaymentStatus::Paid {
        return Err(format!("final status {:?}, expected Paid", now.status));
    }
    Ok(format!(
        "2 events once each (first {}); {:?}",
        first_amount.amount(),
        now.status
    ))
}

type HookFn = fn(Hook) -> BoxFuture<'static, Result<String, String>>;

fn hook_rows() -> Vec<(&'static str, HookFn)> {
    vec![
        ("finan payment webhook", |h| Box::pin(finan_webhooks(h))),
        ("sepay-gateway IPN", |h| Box::pin(sepay_ipn(h))),
        ("sepay bank-transaction webhook", |h| Box::pin(sepay_bank_webhooks(h))),
    ]
}

async fn run_hook(row: usize, hook: Hook) -> String {
    let task = tokio::spawn(async move {
        let f = hook_rows()[row].1;
        tokio::time::timeout(CELL_TIMEOUT, f(hook)).await
    });
    match task.await {
        Ok(Ok(Ok(cell))) => cell,
        Ok(Ok(Err(violation))) => format!("VIOLATION: {violation}"),
        Ok(Err(_)) => "HANG".to_string(),
        Err(e) => format!("PANIC: {e}"),
    }
}

// ------------------------------------------------------------------------------------------------
// The test
// ------------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fault_matrix() {
    let started = Instant::now();
    let rows = rows();
    let limit = Arc::new(tokio::sync::Semaphore::new(CONCURRENCY));

    // Every (row, column) cell, at most CONCURRENCY at once.
    let mut cells = Vec::new();
    for (r, _) in rows.iter().enumerate() {
        for (c, col) in COLUMNS.iter().enumerate() {
            let limit = limit.clone();
            let col = *col;
            cells.push(async move {
                let _permit = limit.acquire_owned().await.unwrap();
                (r, c, run_cell(r, col).await)
            });
        }
    }
    let hook_rows_n = hook_rows().len();
    let mut hooks = Vec::new();
    for r in 0..hook_rows_n {
        for (c, hook) in HOOK_COLUMNS.iter().enumerate() {
            let hook = *hook;
            hooks.push(async move { (r, c, run_hook(r, hook).await) });
        }
    }
    let (outcomes, hook_cells) = tokio::join!(
        futures::stream::iter(cells)
            .buffer_unordered(usize::MAX)
            .collect::<Vec<_>>(),
        futures::future::join_all(hooks),
    );

    let mut grid: Vec<Vec<Option<Outcome>>> = rows.iter().map(|_| COLUMNS.iter().map(|_| None).collect()).collect();
    for (r, c, outcome) in outcomes {
        grid[r][c] = Some(outcome);
    }
    let mut table = Vec::new();
    for (r, row) in rows.iter().enumerate() {
        let baseline = match &grid[r][0] {
            Some(Outcome::Done(Ok(_), made)) => Some(*made),
            _ => None,
        };
        table.push(
            grid[r]
                .iter()
                .map(|o| format_cell(o.as_ref().unwrap(), baseline, row.write))
                .collect::<Vec<_>>(),
        );
    }
    let names: Vec<_> = rows.iter().map(|r| r.name).collect();
    let headers: Vec<_> = COLUMNS.iter().map(|c| c.header()).collect();
    let matrix = render(&names, &headers, &table);

    let mut hook_table = vec![vec![String::new(); HOOK_COLUMNS.len()]; hook_rows_n];
    for (r, c, cell) in hook_cells {
        hook_table[r][c] = cell;
    }
    let hook_names: Vec<_> = hook_rows().iter().map(|(n, _)| *n).collect();
    let hook_headers: Vec<_> = HOOK_COLUMNS.iter().map(|h| h.header()).collect();
    let webhooks = render(&hook_names, &hook_headers, &hook_table);

    let rendered = format!("{matrix}\n{webhooks}");
    eprintln!(
        "\nFault matrix ({} cells in {:.1?}):\n\n{rendered}",
        names.len() * COLUMNS.len() + hook_names.len() * HOOK_COLUMNS.len(),
        started.elapsed()
    );

    if std::env::var_os("FAULT_MATRIX_BLESS").is_some() {
        let docs = std::fs::read_to_string(DOCS).expect("docs/reliability.md");
        let (head, rest) = docs.split_once(BEGIN).expect("begin marker");
        let (_, tail) = rest.split_once(END).expect("end marker");
        std::fs::write(DOCS, format!("{head}{BEGIN}\n{rendered}{END}{tail}")).unwrap();
    }

    let broken: Vec<_> = table
        .iter()
        .chain(&hook_table)
        .flatten()
        .filter(|c| c.starts_with("VIOLATION") || c.starts_with("PANIC") || c == &"HANG")
        .collect();
    assert!(broken.is_empty(), "broken invariants: {broken:#?}");
    let diffs = differences(EXPECTED, &rendered);
    assert!(
        diffs.is_empty(),
        "the matrix differs from EXPECTED in {} cells:\n{}",
        diffs.len(),
        diffs.join("\n")
    );
    let docs = std::fs::read_to_string(DOCS).expect("docs/reliability.md");
    assert!(
        docs.contains(&rendered),
        "docs/reliability.md does not hold the current matrix (run with FAULT_MATRIX_BLESS=1)"
    );
}
