//! No secret in the `tracing` output of a full run: every operation of every provider, run once
//! against the in-process sandbox with a TRACE subscriber for every target (the clients, the
//! sandbox, reqwest's `log` records, hyper-util, oauth2), then every error's `Display`, `Debug`,
//! `{:#}` and source chain written to the same buffer; the webhooks the sandbox sent also go
//! through the facade's receiver, with the right keys and with wrong ones. Each secret is a
//! distinctive marker (`...-Q7x...`), looked for as written and hex, base64 and percent encoded.
//!
//! It also checks what the output must hold, so it cannot pass by capturing nothing: every
//! request is a `finan.request` or `sepay.request` span with provider, operation, HTTP status,
//! provider request id and elapsed time, token-endpoint and Order API requests included.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use axum::body::{to_bytes, Body, Bytes};
use axum::extract::{Request, State};
use axum::response::Response;
use base64::Engine as _;
use chrono::Utc;
use gateway::finan::webhook::FinanWebhookVerifier;
use gateway::finan::{AccountFilter, CreateBankAccount, FinanClient};
use gateway::receiver::WebhookReceiver;
use gateway::sepay::{
    BankAccountFilter, CheckoutEnvironment, FileTokenStore, OAuthCredentials, OrderFilter, SepayBankTransfer,
    SepayBankWebhookVerifier, SepayClient, SepayIpnVerifier, SepayOAuthLogin, SepayPaymentGateway, TokenStore,
    TransactionFilter,
};
use gateway::{
    Bank, BankAccountProvider, CreatePayment, Currency, Money, PageRequest, PayerAction, PaymentEvent, PaymentFilter,
    PaymentMethod, PaymentProvider, SecretString, WebhookRequest, WebhookVerifier,
};
use gateway_sandbox::faults::{Fault, FaultKind, RouteMatcher};
use gateway_sandbox::sepay::NewTransfer;
use gateway_sandbox::{Sandbox, SandboxConfig, SandboxCredentials};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::Instrument as _;
use tracing_subscriber::fmt::format::FmtSpan;
use tracing_subscriber::layer::{Context, SubscriberExt as _};
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::Layer;

/// In every marker, so any piece of any of them is caught (a marker is never logged in part either).
const MARK: &str = "Q7x";
const FINAN_SECRET: &str = "FINAN-SECRET-Q7xK2m9Lp4Zt8Rw";
const SEPAY_API_TOKEN: &str = "SEPAY-TOKEN-Q7xR3n8Vw1Hd6Js";
// `~` is percent-encoded in a form body, so the encoded form is looked for too.
const OAUTH_CLIENT_SECRET: &str = "SEPAY-CLIENT-SECRET-Q7xB6j2~Ty5Nc";
const OAUTH_ACCESS_TOKEN: &str = "SEPAY-ACCESS-Q7xM4p7Gs2Fa9Ke";
const OAUTH_REFRESH_TOKEN: &str = "SEPAY-REFRESH-Q7xD9k3~Wq8Ue1";
const PG_SECRET_KEY: &str = "SEPAY-PG-SECRET-Q7xL5h1Zr6Yb4Tn";
const WEBHOOK_API_KEY: &str = "SEPAY-WEBHOOK-KEY-Q7xC8f4Jn3Ev7Gm";
/// Wrong credentials of each kind: refused, and still never printed.
const WRONG: [&str; 6] = [
    "FINAN-WRONG-SECRET-Q7xA1b2C3d4E5",
    "SEPAY-WRONG-TOKEN-Q7xF6g7H8i9J0",
    "SEPAY-WRONG-ACCESS-Q7xK1l2M3n4O5",
    "SEPAY-WRONG-CLIENT-SECRET-Q7xP6q7R8",
    "SEPAY-WRONG-PG-SECRET-Q7xS9t0U1v2W3",
    "SEPAY-WRONG-WEBHOOK-KEY-Q7xX4y5Z6a7",
];

const MERCHANT_ID: &str = "TRACE-MERCHANT";
const OAUTH_CLIENT_ID: &str = "trace-oauth-client";
const REDIRECT_URI: &str = "http://127.0.0.1:8765/callback";
/// The sandbox's account 18 (Vietcombank), visible both to the API token and through OAuth.
const RECEIVING_ACCOUNT: &str = "0071000899999";

// ---------------------------------------------------------------------------------------------
// Capture: one global subscriber (the sandbox and reqwest run on other threads) into a buffer.

/// Everything the subscriber wrote, plus the errors formatted by the test.
fn output() -> &'static Arc<Mutex<Vec<u8>>> {
    static OUTPUT: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    OUTPUT.get_or_init(Default::default)
}

/// The request spans seen, closed ones with every field recorded.
fn spans() -> &'static Mutex<Vec<SeenSpan>> {
    static SPANS: OnceLock<Mutex<Vec<SeenSpan>>> = OnceLock::new();
    SPANS.get_or_init(Default::default)
}

struct BufferWriter(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for BufferWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn install_subscriber() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        let buffer = output().clone();
        let fmt = tracing_subscriber::fmt::layer()
            .with_writer(move || BufferWriter(buffer.clone()))
            .with_span_events(FmtSpan::NEW | FmtSpan::CLOSE)
            .with_target(true)
            .with_level(true);
        // No filter: TRACE for every target. `init` also routes `log` records (reqwest, rustls) here.
        tracing_subscriber::registry().with(fmt).with(RequestSpans).init();
    });
}

/// One `finan.request` / `sepay.request` span: the fields its callsite declares and the values
/// recorded on it by the time it closed.
#[derive(Debug, Clone)]
struct SeenSpan {
    name: &'static str,
    /// Sent inside a [`faulted`] span: the reply may be an injected HTML page, without a request id.
    faulted: bool,
    declared: BTreeSet<&'static str>,
    values: BTreeMap<&'static str, String>,
}

struct Values<'a>(&'a mut BTreeMap<&'static str, String>);

impl Visit for Values<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name(), format!("{value:?}"));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name(), value.to_string());
    }
}

/// Keeps the request spans as structured data, for the field checks.
struct RequestSpans;

impl<S> Layer<S> for RequestSpans
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let name = attrs.metadata().name();
        if name != "finan.request" && name != "sepay.request" {
            return;
        }
        let faulted = ctx
            .span(id)
            .is_some_and(|span| span.scope().skip(1).any(|parent| parent.name() == "faulted"));
        let mut seen = SeenSpan {
            name,
            faulted,
            declared: attrs.metadata().fields().iter().map(|f| f.name()).collect(),
            values: BTreeMap::new(),
        };
        attrs.record(&mut Values(&mut seen.values));
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(seen);
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(id) {
            if let Some(seen) = span.extensions_mut().get_mut::<SeenSpan>() {
                values.record(&mut Values(&mut seen.values));
            }
        }
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(&id) {
            if let Some(seen) = span.extensions_mut().remove::<SeenSpan>() {
                spans().lock().unwrap().push(seen);
            }
        }
    }
}

/// The span the calls that meet an injected fault run in.
fn faulted() -> tracing::Span {
    tracing::info_span!(target: "tracing_secrets", "faulted")
}

/// Writes `text` into the captured output, as if logged.
fn write_out(text: &str) {
    let mut out = output().lock().unwrap();
    out.extend_from_slice(text.as_bytes());
    out.push(b'\n');
}

/// An error's `Display`, `{:#}`, `Debug`, `{:#?}` and every `source()` in the chain, into the output.
fn capture_error(label: &str, err: &(dyn std::error::Error + 'static)) {
    let mut text = format!("error [{label}]: {err}\n{err:#}\n{err:?}\n{err:#?}\n");
    let mut source = err.source();
    while let Some(s) = source {
        let _ = writeln!(text, "  caused by: {s} / {s:?}");
        source = s.source();
    }
    write_out(&text);
}

/// Captures the error of `result` (and returns it), or its `Debug` when it is `Ok`.
fn capture<T: std::fmt::Debug, E: std::error::Error + 'static>(label: &str, result: Result<T, E>) -> Result<T, E> {
    match &result {
        Ok(value) => write_out(&format!("ok [{label}]: {value:?}")),
        Err(err) => capture_error(label, err),
    }
    result
}

// ---------------------------------------------------------------------------------------------
// The leak check.

/// The forms a secret could take in a log line: as is and percent-encoded (form body, query),
/// and each of those hex (either case) and base64 (standard and URL-safe, at each of the three
/// alignments it could sit at inside a longer encoded value, e.g. `Basic base64(merchant:secret)`
/// or a whole form body encoded).
fn encodings(secret: &str) -> Vec<String> {
    let percent = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect::<String>();
    let mut forms = Vec::new();
    for plain in [secret.to_string(), percent] {
        let bytes = plain.as_bytes();
        forms.extend([hex::encode(bytes), hex::encode_upper(bytes)]);
        for engine in [
            &base64::engine::general_purpose::STANDARD_NO_PAD,
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        ] {
            for offset in 0..3usize {
                let mut padded = vec![0u8; offset];
                padded.extend_from_slice(bytes);
                let encoded = engine.encode(&padded);
                // Only the groups of 4 that come from secret bytes alone.
                let start = if offset == 0 { 0 } else { 4 };
                let end = 4 * (padded.len() / 3);
                if end > start + 8 {
                    forms.push(encoded[start..end].to_string());
                }
            }
        }
        forms.push(plain);
    }
    forms.sort();
    forms.dedup();
    forms
}

/// Every place in `text` where a secret (or the marker every test secret carries) shows.
fn leaks(text: &str, secrets: &[String]) -> Vec<String> {
    let mut found = Vec::new();
    let mut needles: Vec<(String, String)> = vec![(MARK.to_string(), "the marker".to_string())];
    for secret in secrets {
        for form in encodings(secret) {
            needles.push((form.clone(), format!("{secret:?} as {form:?}")));
        }
    }
    for (needle, what) in needles {
        if let Some(at) = text.find(&needle) {
            let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
            let line_end = text[at..].find('\n').map_or(text.len(), |i| at + i);
            found.push(format!("{what}: {}", &text[line_start..line_end]));
        }
    }
    found
}

#[test]
fn the_leak_check_finds_encoded_secrets() {
    let secret = "TOKEN-Q7xExample-1234567890~ab".to_string();
    let other = "plain-secret-without-marker-123".to_string();
    let secrets = [other.clone()];
    assert!(leaks("nothing here", &secrets).is_empty());
    assert!(!leaks(&format!("x {secret} y"), &[]).is_empty(), "the marker alone");
    let b64 = base64::engine::general_purpose::STANDARD;
    for text in [
        format!("authorization: Bearer {other}"),
        format!("body: {}", hex::encode(&other)),
        format!("authorization: Basic {}", b64.encode(format!("M:{other}"))),
        format!("authorization: Basic {}", b64.encode(format!("MM:{other}"))),
        format!("authorization: Basic {}", b64.encode(format!("MMM:{other}"))),
        format!(
            "body: refresh_token={}",
            url::form_urlencoded::byte_serialize(format!("{other}~").as_bytes()).collect::<String>()
        ),
    ] {
        assert!(!leaks(&text, &secrets).is_empty(), "not caught: {text}");
    }
    // A whole form body, base64: the secret inside it is percent-encoded first.
    let tilde = "abc-def-ghi~jkl-mno-pqr".to_string();
    for prefix in ["", "a", "ab"] {
        let body = format!(
            "grant_type=refresh_token&{prefix}client_secret={}",
            url::form_urlencoded::byte_serialize(tilde.as_bytes()).collect::<String>()
        );
        let logged = format!("body={}", b64.encode(body));
        assert!(
            !leaks(&logged, std::slice::from_ref(&tilde)).is_empty(),
            "not caught: {logged}"
        );
    }
    // `~` percent-encoded: neither the marker nor the raw secret is in it, the encoded form is.
    let tilde = "abc-def-ghi~jkl-mno".to_string();
    let encoded = url::form_urlencoded::byte_serialize(tilde.as_bytes()).collect::<String>();
    assert!(!leaks(&format!("client_secret={encoded}"), &[tilde]).is_empty());
}

// ---------------------------------------------------------------------------------------------
// A pass-through proxy in front of the SePay listener that stamps `x-request-id` on every reply,
// as the CDN in front of SePay would: the sandbox sends none, and the spans must record it.

#[derive(Clone)]
struct Proxy {
    upstream: String,
    http: reqwest::Client,
    next_id: Arc<AtomicU64>,
}

async fn forward(State(proxy): State<Proxy>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = to_bytes(body, usize::MAX).await.unwrap_or_default();
    let path = parts.uri.path_and_query().map_or("/", |pq| pq.as_str());
    let mut upstream = proxy
        .http
        .request(parts.method.clone(), format!("{}{path}", proxy.upstream))
        .body(body);
    for (name, value) in &parts.headers {
        if name != axum::http::header::HOST {
            upstream = upstream.header(name, value);
        }
    }
    let id = proxy.next_id.fetch_add(1, Ordering::Relaxed);
    let mut reply = Response::builder().header("x-request-id", format!("sepay-req-{id}"));
    match upstream.send().await {
        Ok(answer) => {
            reply = reply.status(answer.status());
            for (name, value) in answer.headers() {
                let hop = [
                    axum::http::header::CONTENT_LENGTH,
                    axum::http::header::TRANSFER_ENCODING,
                    axum::http::header::CONNECTION,
                ];
                if !hop.contains(name) {
                    reply = reply.header(name, value);
                }
            }
            let bytes = answer.bytes().await.unwrap_or_default();
            reply.body(Body::from(bytes)).unwrap()
        }
        // A reset mid-body upstream: cut this connection too.
        Err(_) => reply.status(502).body(Body::from("<html>bad gateway</html>")).unwrap(),
    }
}

async fn start_proxy(upstream: String) -> String {
    let proxy = Proxy {
        upstream,
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        next_id: Arc::new(AtomicU64::new(1)),
    };
    let router = axum::Router::new().fallback(forward).with_state(proxy);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    url
}

// ---------------------------------------------------------------------------------------------
// A webhook endpoint that keeps each request as received, for the verifiers.

#[derive(Debug, Clone)]
struct Received {
    method: String,
    path: String,
    headers: Vec<(String, Vec<u8>)>,
    body: Bytes,
}

impl Received {
    fn request(&self) -> WebhookRequest<'_> {
        let mut request = WebhookRequest::new(&self.method, &self.path, &self.body);
        for (name, value) in &self.headers {
            request = request.with_header(name.as_str(), value.as_slice());
        }
        request
    }
}

type Inbox = Arc<tokio::sync::Mutex<Vec<Received>>>;

async fn keep(State(inbox): State<Inbox>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = to_bytes(body, usize::MAX).await.unwrap_or_default();
    inbox.lock().await.push(Received {
        method: parts.method.to_string(),
        path: parts.uri.path_and_query().map_or("/", |pq| pq.as_str()).to_string(),
        headers: parts
            .headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.as_bytes().to_vec()))
            .collect(),
        body,
    });
    Response::builder()
        .header("content-type", "application/json")
        .body(Body::from(r#"{"success":true}"#))
        .unwrap()
}

async fn start_inbox() -> (Inbox, String) {
    let inbox: Inbox = Arc::default();
    let router = axum::Router::new().fallback(keep).with_state(inbox.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    (inbox, url)
}

/// The first request to `path` the inbox receives, waiting up to 10 s.
async fn received(inbox: &Inbox, path: &str) -> Received {
    for _ in 0..200 {
        if let Some(r) = inbox.lock().await.iter().find(|r| r.path.starts_with(path)) {
            return r.clone();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no webhook arrived at {path}");
}

// ---------------------------------------------------------------------------------------------
// The run.

fn vnd(amount: i64) -> Money {
    Money::from_minor_units(amount, Currency::VND)
}

fn credentials() -> SandboxCredentials {
    SandboxCredentials {
        finan_secret_key: FINAN_SECRET.into(),
        sepay_api_token: SEPAY_API_TOKEN.into(),
        sepay_oauth_client_id: OAUTH_CLIENT_ID.into(),
        sepay_oauth_client_secret: OAUTH_CLIENT_SECRET.into(),
        sepay_oauth_redirect_uris: vec![REDIRECT_URI.into()],
        sepay_oauth_access_token: OAUTH_ACCESS_TOKEN.into(),
        sepay_oauth_refresh_token: OAUTH_REFRESH_TOKEN.into(),
        sepay_merchant_id: MERCHANT_ID.into(),
        sepay_secret_key: PG_SECRET_KEY.into(),
        sepay_webhook_api_key: WEBHOOK_API_KEY.into(),
        ..SandboxCredentials::default()
    }
}

fn config() -> SandboxConfig {
    SandboxConfig {
        finan_sub_accounts: 60,
        sepay_token_accounts: 110,
        finan_requests_per_minute: None,
        sepay_token_requests_per_second: 1000,
        finan_webhook_retry_delays: vec![Duration::from_millis(50)],
        sepay_ipn_retry_delays: vec![Duration::from_millis(50)],
        sepay_webhook_retry_delays: vec![Duration::from_millis(50)],
        ..SandboxConfig::default()
    }
}

fn finan_client(sandbox: &Sandbox, secret: &str) -> FinanClient {
    FinanClient::builder()
        .client_id(sandbox.credentials().finan_client_id.clone())
        .secret_key(SecretString::from(secret.to_string()))
        .base_url(&sandbox.finan_base_url())
        .requests_per_minute(6000)
        .build()
        .unwrap()
}

fn sepay_token_client(base: &str, token: &str) -> SepayClient {
    SepayClient::api_token(SecretString::from(token.to_string()))
        .base_url(base)
        .requests_per_second(1000)
        .build()
        .unwrap()
}

fn payment_gateway(base: &str, secret: &str) -> SepayPaymentGateway {
    SepayPaymentGateway::builder(
        MERCHANT_ID,
        SecretString::from(secret.to_string()),
        CheckoutEnvironment::Sandbox,
    )
    .order_api_base_url(&format!("{base}/v1/"))
    .checkout_url(&format!("{base}/v1/checkout/init"))
    .build()
    .unwrap()
}

async fn finan_accounts(sandbox: &Sandbox) {
    let finan = finan_client(sandbox, FINAN_SECRET);
    write_out(&format!("{finan:?} {finan:#?}"));
    let masters = capture("finan masters", finan.list_master_accounts(&AccountFilter::all()).await).unwrap();
    let first = capture(
        "finan page 1",
        finan.list_bank_accounts(1, 50, &AccountFilter::all()).await,
    )
    .unwrap();
    assert!(first.next.is_some(), "more than one page");
    capture(
        "finan page 2",
        finan.list_bank_accounts(2, 50, &AccountFilter::all()).await,
    )
    .unwrap();
    capture("finan get", finan.get_bank_account(&first.items[0].id).await).unwrap();
    capture(
        "finan create",
        finan
            .create_bank_account(&CreateBankAccount::new(masters[0].id.clone(), "KE TOAN TRACE"))
            .await,
    )
    .unwrap();
    capture("finan get missing", finan.get_bank_account("no-such-account").await).unwrap_err();

    // Faults: a 429 and an HTML 502 retried away, then a 503 past the retries (an error).
    let route = RouteMatcher::new("GET", "/open/api/v1/bank-accounts");
    let faults = sandbox.finan_faults();
    faults.inject(Fault::new(route.clone(), FaultKind::Status429 { retry_after: Some(0) }));
    faults.inject(Fault::new(route.clone(), FaultKind::HtmlErrorPage { status: 502 }));
    capture(
        "finan retried",
        finan
            .list_bank_accounts(1, 10, &AccountFilter::all())
            .instrument(faulted())
            .await,
    )
    .unwrap();
    faults.inject(Fault::new(route.clone(), FaultKind::Status { code: 503 }).times(10));
    capture(
        "finan 503",
        finan
            .list_bank_accounts(1, 10, &AccountFilter::all())
            .instrument(faulted())
            .await,
    )
    .unwrap_err();
    sandbox.clear_faults();
    faults.inject(Fault::new(route, FaultKind::TruncatedJson));
    let _ = capture(
        "finan truncated",
        finan
            .list_bank_accounts(1, 10, &AccountFilter::all())
            .instrument(faulted())
            .await,
    );
    sandbox.clear_faults();

    // A wrong secret key: 401 from the sandbox.
    let wrong = finan_client(sandbox, WRONG[0]);
    let err = capture(
        "finan wrong secret",
        wrong.list_master_accounts(&AccountFilter::all()).await,
    )
    .unwrap_err();
    assert!(matches!(err, gateway::Error::Unauthorized(_)), "{err:?}");
}

async fn finan_payments(sandbox: &Sandbox, inbox: &Inbox, inbox_url: &str) {
    let finan = finan_client(sandbox, FINAN_SECRET);
    let provider: &dyn PaymentProvider = &finan;
    sandbox
        .finan()
        .set_webhook_url(Some(format!("{inbox_url}/webhooks/finan")));
    let created = capture(
        "finan create payment",
        provider
            .create_payment(&CreatePayment::new(
                vnd(500_000),
                "TRACE-FINAN-1",
                PaymentMethod::BankTransfer,
            ))
            .await,
    )
    .unwrap();
    capture("finan get payment", provider.get_payment(&created.id).await).unwrap();
    capture(
        "finan list payments",
        provider
            .list_payments(&PaymentFilter::reference("TRACE-FINAN-1"), PageRequest::first())
            .await,
    )
    .unwrap();
    capture("finan get missing payment", provider.get_payment("missing-id").await).unwrap_err();

    sandbox.finan().pay(&created.id, 500_000).unwrap();
    let webhook = received(inbox, "/webhooks/finan").await;
    let verifier = FinanWebhookVerifier::new(
        sandbox.credentials().finan_client_id.clone(),
        SecretString::from(FINAN_SECRET),
    );
    write_out(&format!("{verifier:?}"));
    capture("finan webhook", verifier.verify(&webhook.request())).unwrap();
    let wrong = FinanWebhookVerifier::new(
        sandbox.credentials().finan_client_id.clone(),
        SecretString::from(WRONG[0]),
    );
    capture("finan webhook wrong key", wrong.verify(&webhook.request())).unwrap_err();
}

async fn sepay_token_api(sandbox: &Sandbox, base: &str) {
    let client = sepay_token_client(base, SEPAY_API_TOKEN);
    write_out(&format!("{client:?} {client:#?}"));
    let filter = BankAccountFilter::default();
    let accounts = capture("sepay accounts", client.list_bank_accounts(&filter).await).unwrap();
    capture(
        "sepay account details",
        client.bank_account_details(&accounts[0].id).await,
    )
    .unwrap();
    capture("sepay account count", client.count_bank_accounts(&filter).await).unwrap();
    let transactions = TransactionFilter::default();
    let page = capture(
        "sepay transactions",
        client.list_transactions(&transactions, PageRequest::first()).await,
    )
    .unwrap();
    let id = page.items[0].id.clone();
    capture("sepay transaction", client.transaction(&id).await).unwrap();
    capture(
        "sepay transaction count",
        client.count_transactions(&transactions).await,
    )
    .unwrap();
    capture("sepay missing account", client.bank_account_details("999999999").await).unwrap_err();

    // Faults: a 429 retried away, then an HTML 503 past the retries.
    let route = RouteMatcher::new("GET", "/userapi/bankaccounts/list");
    let faults = sandbox.sepay_faults();
    faults.inject(Fault::new(route.clone(), FaultKind::Status429 { retry_after: Some(0) }));
    capture(
        "sepay retried",
        client.list_bank_accounts(&filter).instrument(faulted()).await,
    )
    .unwrap();
    faults.inject(Fault::new(route.clone(), FaultKind::HtmlErrorPage { status: 503 }).times(10));
    capture(
        "sepay 503",
        client.list_bank_accounts(&filter).instrument(faulted()).await,
    )
    .unwrap_err();
    sandbox.clear_faults();
    faults.inject(Fault::new(route, FaultKind::EmptyOk));
    let _ = capture(
        "sepay empty 200",
        client.list_bank_accounts(&filter).instrument(faulted()).await,
    );
    sandbox.clear_faults();

    let wrong = sepay_token_client(base, WRONG[1]);
    let err = capture("sepay wrong token", wrong.list_bank_accounts(&filter).await).unwrap_err();
    assert!(matches!(err, gateway::Error::Unauthorized(_)), "{err:?}");
}

/// Returns the tokens the sandbox issued (secrets too).
async fn sepay_oauth(sandbox: &Sandbox, base: &str) -> Vec<String> {
    let mut issued = Vec::new();
    let dir = std::env::temp_dir().join(format!("tracing-secrets-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let store = Arc::new(FileTokenStore::new(dir.join("tokens.json")));
    // The access token counts as expired: the first call refreshes at the token endpoint with the
    // client id and secret, and the store saves the rotated tokens.
    let credentials = OAuthCredentials::new()
        .with_access_token(SecretString::from(OAUTH_ACCESS_TOKEN))
        .with_access_token_expires_at(Utc::now())
        .with_refresh_token(SecretString::from(OAUTH_REFRESH_TOKEN))
        .with_client(OAUTH_CLIENT_ID, SecretString::from(OAUTH_CLIENT_SECRET));
    write_out(&format!("{credentials:?}"));
    let client = SepayClient::oauth(credentials)
        .base_url(base)
        .token_store(store.clone())
        .build()
        .unwrap();
    write_out(&format!("{client:?} {client:#?} {store:?}"));
    let accounts = capture("oauth accounts", client.list_oauth_bank_accounts(1, 20).await).unwrap();
    assert_eq!(
        sandbox.sepay().token_refresh_count(),
        1,
        "refreshed before the first call"
    );
    capture("oauth account", client.get_oauth_bank_account(19).await).unwrap();
    capture("oauth sub accounts", client.list_sub_accounts(19, 1, 20).await).unwrap();
    let filter = TransactionFilter::default();
    let page = capture(
        "oauth transactions",
        client.list_transactions(&filter, PageRequest::first()).await,
    )
    .unwrap();
    capture("oauth transaction", client.transaction(&page.items[0].id).await).unwrap();
    capture(
        "oauth accounts as provider",
        client.list_accounts(PageRequest::first()).await,
    )
    .unwrap();
    write_out(&format!("{accounts:?}"));

    // Every access token expires at the sandbox: the 401 forces a second refresh.
    sandbox.sepay().expire_oauth_access_tokens();
    capture("oauth after expiry", client.get_oauth_bank_account(18).await).unwrap();
    assert_eq!(sandbox.sepay().token_refresh_count(), 2, "refreshed after the 401");
    let saved = capture("token store load", store.load().await).unwrap().unwrap();
    write_out(&format!("{saved:?} {saved:#?}"));
    let tokens = client.oauth_tokens().await.unwrap();
    write_out(&format!("{tokens:?}"));
    issued.extend(tokens.access_token.iter().map(|t| t.expose_secret_string()));
    issued.extend(tokens.refresh_token.iter().map(|t| t.expose_secret_string()));
    issued.push(std::fs::read_to_string(dir.join("tokens.json")).unwrap_or_default());
    issued.retain(|t| !t.is_empty());

    // Faults: a 503 on the API retried away; an HTML 502 from the token endpoint.
    let faults = sandbox.sepay_faults();
    faults.inject(Fault::new(
        RouteMatcher::new("GET", "/api/v1/bank-accounts"),
        FaultKind::Status { code: 503 },
    ));
    capture(
        "oauth retried",
        client.list_oauth_bank_accounts(1, 20).instrument(faulted()).await,
    )
    .unwrap();
    faults.inject(Fault::new(
        RouteMatcher::new("POST", "/oauth/token"),
        FaultKind::HtmlErrorPage { status: 502 },
    ));
    sandbox.sepay().expire_oauth_access_tokens();
    capture(
        "oauth token endpoint 502",
        client.get_oauth_bank_account(18).instrument(faulted()).await,
    )
    .unwrap_err();
    sandbox.clear_faults();
    capture("oauth refreshed after the 502", client.get_oauth_bank_account(18).await).unwrap();
    let tokens = client.oauth_tokens().await.unwrap();
    issued.extend(tokens.access_token.iter().map(|t| t.expose_secret_string()));
    issued.extend(tokens.refresh_token.iter().map(|t| t.expose_secret_string()));

    // Refused: an unknown access token without refresh, and a refresh with a wrong client secret.
    let wrong = SepayClient::oauth(OAuthCredentials::from_access_token(SecretString::from(WRONG[2])))
        .base_url(base)
        .build()
        .unwrap();
    let err = capture("oauth wrong access token", wrong.list_oauth_bank_accounts(1, 20).await).unwrap_err();
    assert!(matches!(err, gateway::Error::Unauthorized(_)), "{err:?}");
    let wrong = SepayClient::oauth(OAuthCredentials::from_refresh_token(
        SecretString::from(sandbox.sepay().current_refresh_token()),
        OAUTH_CLIENT_ID,
        SecretString::from(WRONG[3]),
    ))
    .base_url(base)
    .build()
    .unwrap();
    let err = capture("oauth wrong client secret", wrong.list_oauth_bank_accounts(1, 20).await).unwrap_err();
    assert!(matches!(err, gateway::Error::Unauthorized(_)), "{err:?}");
    issued.push(sandbox.sepay().current_refresh_token());
    let _ = std::fs::remove_dir_all(&dir);
    issued
}

/// The authorization-code login through the sandbox's `/oauth/authorize` and `/oauth/token`.
/// Returns the code and the tokens it gave (secrets too).
async fn sepay_oauth_login(sandbox: &Sandbox, base: &str) -> Vec<String> {
    let login = SepayOAuthLogin::builder(OAUTH_CLIENT_ID, SecretString::from(OAUTH_CLIENT_SECRET), REDIRECT_URI)
        .scopes(["bank-account:read", "transaction:read"])
        .base_url(base)
        .build()
        .unwrap();
    write_out(&format!("{login:?}"));
    let (url, state) = login.authorize_url();
    // The user's browser: the sandbox approves at once and redirects to the callback.
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let reply = browser.get(url).send().await.unwrap();
    assert_eq!(reply.status().as_u16(), 302);
    let location = reply.headers()["location"].to_str().unwrap().to_string();
    let code = url::Url::parse(&location)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .expect("a code");
    let tokens = capture("login exchange", login.exchange_query(&location, &state).await).unwrap();
    assert_eq!(sandbox.sepay().code_exchange_count(), 1);
    write_out(&format!("{tokens:?} {tokens:#?}"));
    // The code again: single use, refused.
    capture("login code reused", login.exchange_query(&location, &state).await).unwrap_err();
    // A wrong client secret.
    let wrong = SepayOAuthLogin::builder(OAUTH_CLIENT_ID, SecretString::from(WRONG[3]), REDIRECT_URI)
        .scope("bank-account:read")
        .base_url(base)
        .build()
        .unwrap();
    let (url, state) = wrong.authorize_url();
    let reply = browser.get(url).send().await.unwrap();
    let location = reply.headers()["location"].to_str().unwrap().to_string();
    capture(
        "login wrong client secret",
        wrong.exchange_query(&location, &state).await,
    )
    .unwrap_err();

    let mut issued = vec![code];
    issued.extend(tokens.access_token.iter().map(|t| t.expose_secret_string()));
    issued.extend(tokens.refresh_token.iter().map(|t| t.expose_secret_string()));
    issued
}

async fn sepay_payment_gateway(sandbox: &Sandbox, base: &str, inbox: &Inbox, inbox_url: &str) {
    let gateway = payment_gateway(base, PG_SECRET_KEY);
    write_out(&format!("{gateway:?} {gateway:#?}"));
    sandbox
        .sepay()
        .set_ipn_url(Some(format!("{inbox_url}/webhooks/sepay-ipn")));
    let provider: &dyn PaymentProvider = &gateway;
    let request = CreatePayment::new(vnd(250_000), "TRACE-PG-1", PaymentMethod::BankTransfer);
    let created = capture("pg create (signed form)", provider.create_payment(&request).await).unwrap();
    let Some(PayerAction::FormPost { url, fields }) = created.payer_action.clone() else {
        panic!("a checkout form, got {:?}", created.payer_action)
    };
    // The payer's browser posts the signed form.
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let posted = browser.post(&url).form(&fields).send().await.unwrap();
    assert_eq!(posted.status(), 303);
    capture("pg get", provider.get_payment("TRACE-PG-1").await).unwrap();
    capture(
        "pg list",
        provider
            .list_payments(&PaymentFilter::reference("TRACE-PG-1"), PageRequest::first())
            .await,
    )
    .unwrap();
    capture("pg orders", gateway.list_orders(&OrderFilter::default(), 1, 20).await).unwrap();
    capture("pg order detail", gateway.order_detail("TRACE-PG-1").await).unwrap();
    capture("pg missing", provider.get_payment("NO-SUCH-ORDER").await).unwrap_err();

    sandbox.sepay().pay_order("TRACE-PG-1").unwrap();
    let ipn = received(inbox, "/webhooks/sepay-ipn").await;
    let verifier = SepayIpnVerifier::new(SecretString::from(PG_SECRET_KEY));
    write_out(&format!("{verifier:?}"));
    capture("pg ipn", verifier.verify(&ipn.request())).unwrap();
    let wrong = SepayIpnVerifier::new(SecretString::from(WRONG[4]));
    capture("pg ipn wrong key", wrong.verify(&ipn.request())).unwrap_err();

    // A second order, cancelled through the Order API.
    let second = CreatePayment::new(vnd(120_000), "TRACE-PG-2", PaymentMethod::BankTransfer);
    let created = capture("pg create 2", provider.create_payment(&second).await).unwrap();
    if let Some(PayerAction::FormPost { url, fields }) = created.payer_action {
        browser.post(&url).form(&fields).send().await.unwrap();
    }
    let _ = capture("pg cancel", gateway.cancel_order("TRACE-PG-2").await);

    // Faults: a 503 on the Order API retried away.
    sandbox.sepay_faults().inject(Fault::new(
        RouteMatcher::new("GET", "/v1/order"),
        FaultKind::Status { code: 503 },
    ));
    capture(
        "pg retried",
        gateway.order_detail("TRACE-PG-1").instrument(faulted()).await,
    )
    .unwrap();
    sandbox.clear_faults();

    let _ = capture("pg void", gateway.void_transaction("TRACE-PG-1").await);

    // A wrong secret key: the Order API's Basic auth is refused.
    let wrong = payment_gateway(base, WRONG[4]);
    capture("pg wrong secret", wrong.order_detail("TRACE-PG-1").await).unwrap_err();
}

async fn sepay_bank_transfer(sandbox: &Sandbox, base: &str, inbox: &Inbox, inbox_url: &str) {
    sandbox
        .sepay()
        .set_webhook_url(Some(format!("{inbox_url}/webhooks/sepay-bank")));
    let client = sepay_token_client(base, SEPAY_API_TOKEN);
    let transfers = SepayBankTransfer::builder(
        client,
        Bank::from_bin("970436").unwrap(),
        RECEIVING_ACCOUNT,
        "NGUYEN VAN A",
    )
    .in_memory_store()
    .build()
    .unwrap();
    write_out(&format!("{transfers:?}"));
    let provider: &dyn PaymentProvider = &transfers;
    let created = capture(
        "transfer create",
        provider
            .create_payment(&CreatePayment::new(
                vnd(300_000),
                "TRACE-BT-1",
                PaymentMethod::BankTransfer,
            ))
            .await,
    )
    .unwrap();
    let Some(PayerAction::BankTransfer {
        account_number,
        remark: Some(remark),
        ..
    }) = created.payer_action.clone()
    else {
        panic!("a bank transfer with a remark, got {:?}", created.payer_action)
    };
    sandbox
        .sepay()
        .transfer(NewTransfer::incoming(account_number, 300_000, remark))
        .unwrap();
    let webhook = received(inbox, "/webhooks/sepay-bank").await;
    let verifier = SepayBankWebhookVerifier::new(SecretString::from(WEBHOOK_API_KEY));
    write_out(&format!("{verifier:?}"));
    capture("bank webhook", verifier.verify(&webhook.request())).unwrap();
    capture(
        "bank webhook transaction",
        verifier.verify_transaction(&webhook.request()),
    )
    .unwrap();
    let wrong = SepayBankWebhookVerifier::new(SecretString::from(WRONG[5]));
    capture("bank webhook wrong key", wrong.verify(&webhook.request())).unwrap_err();
    capture("transfer get", provider.get_payment(&created.id).await).unwrap();
    capture(
        "transfer list",
        provider
            .list_payments(&PaymentFilter::reference("TRACE-BT-1"), PageRequest::first())
            .await,
    )
    .unwrap();
}

/// The facade's webhook receiver, keyed as `keys` (Finan secret, IPN secret, bank API key).
async fn start_receiver(finan_client_id: &str, keys: [&str; 3]) -> String {
    let finan: Arc<dyn WebhookVerifier> = Arc::new(FinanWebhookVerifier::new(
        finan_client_id.to_string(),
        SecretString::from(keys[0].to_string()),
    ));
    let ipn: Arc<dyn WebhookVerifier> = Arc::new(SepayIpnVerifier::new(SecretString::from(keys[1].to_string())));
    let bank: Arc<dyn WebhookVerifier> =
        Arc::new(SepayBankWebhookVerifier::new(SecretString::from(keys[2].to_string())));
    let router = WebhookReceiver::new()
        .route("/webhooks/finan", finan)
        .route("/webhooks/sepay-ipn", ipn)
        .route("/webhooks/sepay-bank", bank)
        .handler(|event: PaymentEvent| async move {
            write_out(&format!("handled: {event:?}"));
            Ok::<(), String>(())
        })
        .into_router();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    url
}

/// Every webhook the sandbox sent, replayed as received to the receiver with the right keys
/// (accepted) and to one with wrong keys (refused, and logged as such).
async fn webhooks_through_the_receiver(sandbox: &Sandbox, inbox: &Inbox) {
    let client_id = sandbox.credentials().finan_client_id.clone();
    let right = start_receiver(&client_id, [FINAN_SECRET, PG_SECRET_KEY, WEBHOOK_API_KEY]).await;
    let wrong = start_receiver(&client_id, [WRONG[0], WRONG[4], WRONG[5]]).await;
    let http = reqwest::Client::new();
    let received = inbox.lock().await.clone();
    assert!(received.len() >= 3, "{received:?}");
    for webhook in &received {
        for (base, accepted) in [(&right, true), (&wrong, false)] {
            let mut request = http.post(format!("{base}{}", webhook.path)).body(webhook.body.clone());
            for (name, value) in &webhook.headers {
                if !matches!(name.as_str(), "host" | "content-length") {
                    request = request.header(name.as_str(), value.as_slice());
                }
            }
            let status = request.send().await.unwrap().status();
            assert_eq!(status.is_success(), accepted, "{} at {base}: {status}", webhook.path);
        }
    }
}

/// `SecretString` to `String`, for the dynamic secrets the sandbox issues.
trait ExposeString {
    fn expose_secret_string(&self) -> String;
}

impl ExposeString for SecretString {
    fn expose_secret_string(&self) -> String {
        use gateway::secrecy::ExposeSecret as _;
        self.expose_secret().to_string()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_run_at_trace_level_logs_no_secret() {
    install_subscriber();
    let sandbox = Sandbox::start_with(config(), credentials()).await.unwrap();
    let sepay_base = start_proxy(sandbox.sepay_base_url()).await;
    let (inbox, inbox_url) = start_inbox().await;
    tracing::info!(target: "tracing_secrets", "the run starts");

    finan_accounts(&sandbox).await;
    finan_payments(&sandbox, &inbox, &inbox_url).await;
    sepay_token_api(&sandbox, &sepay_base).await;
    let mut issued = sepay_oauth(&sandbox, &sepay_base).await;
    issued.extend(sepay_oauth_login(&sandbox, &sepay_base).await);
    sepay_payment_gateway(&sandbox, &sepay_base, &inbox, &inbox_url).await;
    sepay_bank_transfer(&sandbox, &sepay_base, &inbox, &inbox_url).await;
    webhooks_through_the_receiver(&sandbox, &inbox).await;
    // Let the last webhook attempts and connection pools log their lines.
    tokio::time::sleep(Duration::from_millis(200)).await;
    tracing::info!(target: "tracing_secrets", "the run ends");

    let text = String::from_utf8_lossy(&output().lock().unwrap()).into_owned();
    if let Ok(path) = std::env::var("TRACING_SECRETS_DUMP") {
        std::fs::write(path, &text).unwrap();
    }
    std::io::stdout()
        .write_all(format!("captured {} bytes, {} lines\n", text.len(), text.lines().count()).as_bytes())
        .unwrap();

    // 1. No secret, in any form.
    let mut secrets: Vec<String> = [
        FINAN_SECRET,
        SEPAY_API_TOKEN,
        OAUTH_CLIENT_SECRET,
        OAUTH_ACCESS_TOKEN,
        OAUTH_REFRESH_TOKEN,
        PG_SECRET_KEY,
        WEBHOOK_API_KEY,
    ]
    .iter()
    .chain(WRONG.iter())
    .map(|s| s.to_string())
    .collect();
    // The Order API's Basic credential, whole.
    secrets.push(format!("{MERCHANT_ID}:{PG_SECRET_KEY}"));
    secrets.extend(issued.iter().filter(|s| s.len() >= 8).cloned());
    let found = leaks(&text, &secrets);
    assert!(found.is_empty(), "secrets in the TRACE output:\n{}", found.join("\n"));

    // 2. The capture is real: every layer logged, at every level.
    for needle in [
        "TRACE",
        "DEBUG",
        "finan.request{",
        "sepay.request{",
        "reqwest",
        "hyper_util",
        "sandbox",
        "error [finan wrong secret]",
        "webhook refused",
        "handled: PaymentReceived",
        "retrying",
    ] {
        assert!(text.contains(needle), "the output has no {needle:?}");
    }

    // 3. Each request span carries provider, operation, status, request id and elapsed time.
    let seen = spans().lock().unwrap().clone();
    let mut operations: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for span in &seen {
        for field in ["provider", "operation", "http.status", "request_id", "elapsed_ms"] {
            assert!(
                span.declared.contains(field),
                "{} declares no {field}: {span:?}",
                span.name
            );
        }
        for field in ["provider", "operation", "elapsed_ms"] {
            assert!(
                span.values.contains_key(field),
                "{} recorded no {field}: {span:?}",
                span.name
            );
        }
        let expected = if span.name == "finan.request" { "finan" } else { "sepay" };
        assert_eq!(span.values["provider"], expected, "{span:?}");
        // A reply came back (no fault here cuts the connection): its status, and the provider's
        // request id unless an injected fault replaced the reply.
        assert!(span.values.contains_key("http.status"), "no status: {span:?}");
        assert!(
            span.faulted || span.values.contains_key("request_id"),
            "no request id: {span:?}"
        );
        operations
            .entry(span.name)
            .or_default()
            .insert(span.values["operation"].clone());
    }
    println!("request spans: {} {operations:#?}", seen.len());
    let all: BTreeSet<&str> = operations.values().flatten().map(String::as_str).collect();
    for operation in ["SePay token refresh", "SePay authorization code exchange"] {
        assert!(all.contains(operation), "no span for {operation:?}: {operations:#?}");
    }
    // The Order API (reads and a cancel), by path: its operation names are its own.
    for (method, path) in [
        ("GET", "/v1/order/detail"),
        ("GET", "/v1/order"),
        ("POST", "/v1/order/cancel"),
        ("POST", "/v1/order/voidTransaction"),
    ] {
        assert!(
            seen.iter().any(|span| span.name == "sepay.request"
                && span.values.get("http.method").map(String::as_str) == Some(method)
                && span.values.get("path").is_some_and(|p| p.starts_with(path))),
            "no Order API span for {method} {path}"
        );
    }
    assert!(operations["finan.request"].len() >= 5, "{operations:#?}");
    // The fmt output prints them too, recorded values included.
    for field in [
        "http.status=",
        "request_id=",
        "elapsed_ms=",
        "provider=\"finan\"",
        "provider=\"sepay\"",
    ] {
        assert!(
            text.lines()
                .any(|l| (l.contains("finan.request{") || l.contains("sepay.request{")) && l.contains(field)),
            "no request span line with {field}"
        );
    }
}
