//! The shared stores (`gateway::stores`, features `redis` and `postgres`) against real servers:
//! each test starts its own `redis-server` or PostgreSQL cluster (tests/support/servers.rs), and
//! runs the same scenario on both.
//!
//! - OAuth tokens: 8 client instances sharing one store, 50 concurrent calls each, all finding
//!   the access token expired: exactly one refresh reaches the sandbox's token endpoint (which
//!   answers `invalid_grant` to a reused refresh token), every call succeeds.
//! - An instance killed while holding the refresh lock: the others take over once it expires.
//! - Webhooks: the same delivery 5 times, concurrently, to 4 receiver instances: the handler runs
//!   once; when it fails the first time, a later delivery runs it again.
//! - The server going away mid-run: typed errors (`Error::Store`, a `503` to the provider), no
//!   panic; after it returns, work resumes.
//!
//! Figures are printed (run with `--nocapture` to see them).

#[path = "support/servers.rs"]
mod servers;
// The OAuth instances of provider-sepay's token tests, shared rather than copied.
#[path = "../crates/provider-sepay/tests/support/oauth_instances.rs"]
mod oauth_instances;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use gateway::finan::webhook::{FinanWebhookSigner, FinanWebhookVerifier};
use gateway::receiver::axum::{self, Router};
use gateway::receiver::{EventStore, WebhookReceiver};
use gateway::sepay::TokenStore;
use gateway::stores::{PostgresStore, RedisStore};
use gateway::{Error, PaymentEvent, SecretString};
use gateway_sandbox::Sandbox;
use oauth_instances::{expired_tokens, instance, run};
use servers::{PostgresServer, RedisServer};

/// One server of either kind, and the stores on it.
enum Server {
    Redis(RedisServer),
    Postgres(PostgresServer),
}

impl Server {
    fn start(kind: &str) -> Self {
        match kind {
            "redis" => Server::Redis(RedisServer::start()),
            _ => Server::Postgres(PostgresServer::start()),
        }
    }

    fn name(&self) -> &'static str {
        match self {
            Server::Redis(_) => "Redis",
            Server::Postgres(_) => "PostgreSQL",
        }
    }

    fn stop(&mut self) {
        match self {
            Server::Redis(s) => s.stop(),
            Server::Postgres(s) => s.stop(),
        }
    }

    fn restart(&mut self) {
        match self {
            Server::Redis(s) => s.restart(),
            Server::Postgres(s) => s.restart(),
        }
    }

    /// A fresh connection to the server, as one app instance makes at start-up.
    async fn connect(&self) -> Stores {
        match self {
            Server::Redis(s) => Stores::Redis(RedisStore::connect(&s.url()).await.expect("Redis connects")),
            Server::Postgres(s) => {
                let store = PostgresStore::connect(&s.url()).await.expect("PostgreSQL connects");
                store.migrate().await.expect("migration");
                Stores::Postgres(store)
            }
        }
    }
}

/// One instance's connection to the server.
#[derive(Debug)]
enum Stores {
    Redis(RedisStore),
    Postgres(PostgresStore),
}

impl Stores {
    fn tokens(&self, lock_ttl: Duration) -> Arc<dyn TokenStore> {
        match self {
            Stores::Redis(s) => Arc::new(s.token_store("sepay-main").with_lock_ttl(lock_ttl)),
            Stores::Postgres(s) => Arc::new(s.token_store("sepay-main").with_lock_ttl(lock_ttl)),
        }
    }

    fn events(&self) -> Arc<dyn EventStore> {
        match self {
            Stores::Redis(s) => Arc::new(s.event_store()),
            Stores::Postgres(s) => Arc::new(s.event_store()),
        }
    }
}

// ---- OAuth tokens -----------------------------------------------------------------------------

async fn eight_instances_refresh_once(kind: &str) {
    let server = Server::start(kind);
    let sandbox = Sandbox::start().await.unwrap();
    let seed = server.connect().await.tokens(Duration::from_secs(30));
    assert!(seed.save_versioned(&expired_tokens(&sandbox), 1).await.unwrap());

    // Eight instances, each with its own connection to the server.
    let mut instances = Vec::new();
    for _ in 0..8 {
        let store = server.connect().await.tokens(Duration::from_secs(30));
        instances.push(instance(&sandbox, store));
    }
    let started = Instant::now();
    let results = run(&instances, 50).await;
    let failed: Vec<_> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    let saved = seed.load_versioned().await.unwrap().expect("tokens saved");
    println!(
        "{}: 8 instances x 50 concurrent calls with an expired token: {} ok, {} failed, {} refresh request(s), store version {}, {:?}",
        server.name(),
        results.len() - failed.len(),
        failed.len(),
        sandbox.sepay().token_refresh_count(),
        saved.version,
        started.elapsed()
    );
    assert!(failed.is_empty(), "no invalid_grant, every call succeeds: {failed:?}");
    assert_eq!(sandbox.sepay().token_refresh_count(), 1, "exactly one refresh");
    assert_eq!(saved.version, 2);
    assert_eq!(
        secrecy::ExposeSecret::expose_secret(saved.tokens.refresh_token.as_ref().unwrap()),
        sandbox.sepay().current_refresh_token()
    );
}

async fn dead_lock_holder_is_taken_over(kind: &str) {
    let server = Server::start(kind);
    let sandbox = Sandbox::start().await.unwrap();
    let ttl = Duration::from_millis(800);
    let seed = server.connect().await.tokens(ttl);
    assert!(seed.save_versioned(&expired_tokens(&sandbox), 1).await.unwrap());
    // An instance took the lock and was killed: it never refreshes nor gives the lock back.
    let _dead = seed.try_lock_refresh().await.unwrap().expect("the lock is free");
    assert!(seed.try_lock_refresh().await.unwrap().is_none(), "held");

    let mut instances = Vec::new();
    for _ in 0..3 {
        instances.push(instance(&sandbox, server.connect().await.tokens(ttl)));
    }
    let started = Instant::now();
    let results = run(&instances, 10).await;
    let waited = started.elapsed();
    println!(
        "{}: refresh lock held by a dead instance (ttl {ttl:?}): {} of 30 calls ok after {waited:?}, {} refresh request(s)",
        server.name(),
        results.iter().filter(|r| r.is_ok()).count(),
        sandbox.sepay().token_refresh_count()
    );
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    assert!(waited >= ttl - Duration::from_millis(100), "{waited:?}");
    assert_eq!(sandbox.sepay().token_refresh_count(), 1);
}

async fn tokens_survive_the_server_going_away(kind: &str) {
    let mut server = Server::start(kind);
    let sandbox = Sandbox::start().await.unwrap();
    let seed = server.connect().await.tokens(Duration::from_secs(30));
    assert!(seed.save_versioned(&expired_tokens(&sandbox), 1).await.unwrap());
    let instances = vec![
        instance(&sandbox, server.connect().await.tokens(Duration::from_secs(30))),
        instance(&sandbox, server.connect().await.tokens(Duration::from_secs(30))),
    ];

    server.stop();
    let down = run(&instances, 5).await;
    assert!(
        down.iter().all(|r| matches!(r, Err(Error::Store { .. }))),
        "typed store errors while it is down: {down:?}"
    );
    assert_eq!(sandbox.sepay().token_refresh_count(), 0, "no refresh without the store");

    server.restart();
    let up = run(&instances, 5).await;
    println!(
        "{}: server down: {} of 10 calls gave Error::Store; back up: {} of 10 ok, {} refresh request(s)",
        server.name(),
        down.len(),
        up.iter().filter(|r| r.is_ok()).count(),
        sandbox.sepay().token_refresh_count()
    );
    assert!(up.iter().all(Result::is_ok), "{up:?}");
    assert_eq!(sandbox.sepay().token_refresh_count(), 1);
}

// ---- Webhooks ---------------------------------------------------------------------------------

const CLIENT_ID: &str = "stores-test-client";
const SECRET: &str = "stores-test-secret";
const PATH: &str = "/webhooks/finan";

/// A Finan payment webhook for payment `id`.
fn payment(id: &str) -> Vec<u8> {
    format!(
        r#"{{"id":"{id}","reference_id":"DH970422","reference_type":"","payment_method":"bank_transfer","payment_request_id":"PR-1","amount":6000000,"created_at":"2024-01-20T14:30:00Z"}}"#
    )
    .into_bytes()
}

/// Handler runs, and a handler that fails its first `failures` runs.
#[derive(Clone, Default)]
struct Runs(Arc<AtomicUsize>);

impl Runs {
    fn count(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

/// `n` receiver instances, each with its own connection to the server's event store.
async fn receivers(server: &Server, n: usize, runs: &Runs, failures: usize) -> Vec<String> {
    let mut bases = Vec::new();
    for _ in 0..n {
        let runs = runs.clone();
        let router: Router = WebhookReceiver::new()
            .route(
                PATH,
                Arc::new(FinanWebhookVerifier::new(CLIENT_ID, SecretString::from(SECRET))),
            )
            .event_store(server.connect().await.events())
            .handler(move |_event: PaymentEvent| {
                let runs = runs.clone();
                async move {
                    let n = runs.0.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(300)).await;
                    if n < failures {
                        Err("database down".to_string())
                    } else {
                        Ok(())
                    }
                }
            })
            .into_router();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        bases.push(format!("http://{addr}"));
    }
    bases
}

async fn deliver(base: &str, body: &[u8]) -> u16 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let headers = FinanWebhookSigner::new(CLIENT_ID, SecretString::from(SECRET)).sign(PATH, body, now);
    let mut request = reqwest::Client::new()
        .post(format!("{base}{PATH}"))
        .header("content-type", "application/json")
        .body(body.to_vec());
    for (name, value) in &headers {
        request = request.header(name, value);
    }
    request.send().await.expect("the receiver answers").status().as_u16()
}

/// `copies` deliveries of `body` at once, round-robin over the instances; the statuses.
async fn deliver_concurrently(bases: &[String], body: &[u8], copies: usize) -> Vec<u16> {
    futures::future::join_all((0..copies).map(|i| deliver(&bases[i % bases.len()], body))).await
}

fn count(statuses: &[u16], status: u16) -> usize {
    statuses.iter().filter(|s| **s == status).count()
}

async fn webhooks_exactly_once(kind: &str) {
    let server = Server::start(kind);

    let runs = Runs::default();
    let bases = receivers(&server, 4, &runs, 0).await;
    let statuses = deliver_concurrently(&bases, &payment("PAY-ONCE"), 5).await;
    println!(
        "{}: 5 concurrent deliveries to 4 instances: handler runs {}, 200 x {}, 409 x {}",
        server.name(),
        runs.count(),
        count(&statuses, 200),
        count(&statuses, 409)
    );
    assert_eq!(runs.count(), 1, "{statuses:?}");
    assert_eq!(count(&statuses, 200) + count(&statuses, 409), 5, "{statuses:?}");
    assert_eq!(
        count(&deliver_concurrently(&bases, &payment("PAY-ONCE"), 4).await, 200),
        4
    );
    assert_eq!(runs.count(), 1, "retries are acknowledged without running it again");

    let failing = Runs::default();
    let bases = receivers(&server, 4, &failing, 1).await;
    let statuses = deliver_concurrently(&bases, &payment("PAY-FAILS-ONCE"), 5).await;
    assert_eq!(failing.count(), 1, "{statuses:?}");
    assert_eq!(count(&statuses, 500), 1, "{statuses:?}");
    assert_eq!(count(&statuses, 409), 4, "{statuses:?}");
    assert_eq!(deliver(&bases[2], &payment("PAY-FAILS-ONCE")).await, 200);
    println!(
        "{}: the handler failed its first run: a later delivery ran it again (runs {})",
        server.name(),
        failing.count()
    );
    assert_eq!(failing.count(), 2);
}

async fn webhooks_when_the_server_goes_away(kind: &str) {
    let mut server = Server::start(kind);
    let runs = Runs::default();
    let bases = receivers(&server, 2, &runs, 0).await;

    server.stop();
    let statuses = deliver_concurrently(&bases, &payment("PAY-DOWN"), 4).await;
    assert_eq!(
        count(&statuses, 503),
        4,
        "fail closed while the store is down: {statuses:?}"
    );
    assert_eq!(runs.count(), 0);

    server.restart();
    let after = deliver_concurrently(&bases, &payment("PAY-DOWN"), 4).await;
    println!(
        "{}: server down: {} of 4 deliveries answered 503, handler runs 0; back up: 200 x {}, 409 x {}, handler runs {}",
        server.name(),
        count(&statuses, 503),
        count(&after, 200),
        count(&after, 409),
        runs.count()
    );
    assert_eq!(runs.count(), 1, "{after:?}");
    assert_eq!(count(&after, 200) + count(&after, 409), 4, "{after:?}");
}

// ---- Secrets ----------------------------------------------------------------------------------

const PASSWORD: &str = "s3cret-store-password";
const ACCESS: &str = "access-token-never-shown";
const REFRESH: &str = "refresh-token-never-shown";

/// Connection strings, tokens and server errors stay out of `Debug` and error messages.
async fn secrets_stay_out_of_debug_and_errors(kind: &str) {
    let server = Server::start(kind);
    let (url, closed) = match &server {
        Server::Redis(s) => (
            s.url().replace("redis://", &format!("redis://:{PASSWORD}@")),
            format!("redis://:{PASSWORD}@127.0.0.1:1/"),
        ),
        Server::Postgres(s) => (
            s.url().replace("postgres@", &format!("postgres:{PASSWORD}@")),
            format!("postgres://postgres:{PASSWORD}@127.0.0.1:1/postgres"),
        ),
    };
    let shown = |text: String| {
        assert!(!text.contains(PASSWORD), "the password shows: {text}");
        assert!(
            !text.contains(ACCESS) && !text.contains(REFRESH),
            "a token shows: {text}"
        );
    };
    // Nothing listens on port 1: the error names what failed, not the connection string.
    let refused = match kind {
        "redis" => RedisStore::connect(&closed).await.map(drop),
        _ => PostgresStore::connect(&closed).await.map(drop),
    }
    .expect_err("nothing listens on port 1");
    assert!(matches!(refused, Error::Store { .. }), "{refused:?}");
    shown(format!("{refused} {refused:?}"));

    // Redis has no password set: it refuses the one in the URL; PostgreSQL (trust) takes it.
    let stores = match kind {
        "redis" => match RedisStore::connect(&url).await {
            Ok(store) => Stores::Redis(store),
            Err(e) => {
                shown(format!("{e} {e:?}"));
                server.connect().await
            }
        },
        _ => {
            let store = PostgresStore::connect(&url).await.expect("trust authentication");
            shown(format!("{store:?}"));
            store.migrate().await.unwrap();
            Stores::Postgres(store)
        }
    };
    let tokens = stores.tokens(Duration::from_secs(30));
    let saved = gateway::sepay::OAuthTokens::new(
        Some(SecretString::from(ACCESS)),
        Some(SecretString::from(REFRESH)),
        None,
    );
    assert!(tokens.save_versioned(&saved, 1).await.unwrap());
    shown(format!("{:?}", tokens.load_versioned().await.unwrap()));
    let concrete = match &stores {
        Stores::Redis(s) => format!("{s:?} {:?}", s.token_store("sepay-main")),
        Stores::Postgres(s) => format!("{s:?} {:?}", s.token_store("sepay-main")),
    };
    shown(concrete);
    shown(format!("{:?}", stores.events()));
}

macro_rules! on_both {
    ($($scenario:ident),* $(,)?) => {
        mod redis {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $scenario() {
                    super::$scenario("redis").await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $scenario() {
                    super::$scenario("postgres").await;
                }
            )*
        }
    };
}

on_both!(
    eight_instances_refresh_once,
    dead_lock_holder_is_taken_over,
    tokens_survive_the_server_going_away,
    webhooks_exactly_once,
    webhooks_when_the_server_goes_away,
    secrets_stay_out_of_debug_and_errors,
);
