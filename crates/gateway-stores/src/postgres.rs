//! The PostgreSQL stores: one [`PostgresStore`] (a `deadpool-postgres` pool) gives a
//! [`PostgresTokenStore`] per OAuth connection and a [`PostgresEventStore`].
//!
//! The schema is `migrations/0001_gateway_stores.sql` in this crate, applied by
//! [`PostgresStore::migrate`] (idempotent, safe to run from every instance at start-up) or by
//! the app's own migration tool:
//!
//! - `gateway_oauth_tokens`: one row per OAuth connection `name`: the tokens with their `version`,
//!   and the refresh lock as a lease (`lock_holder` until `lock_until`);
//! - `gateway_webhook_events`: one row per event key, `claimed` (by `token`, until `expires_at`,
//!   the lease) or `done` (until `expires_at`, the retention).
//!
//! Every operation is one statement, atomic under concurrency: a webhook claim is an
//! `INSERT ... ON CONFLICT DO UPDATE ... WHERE` the existing row has expired, so of concurrent
//! claims exactly one inserts or takes over the row; the lock is taken the same way; a token save
//! is an upsert that writes only over an older version. Expired event rows count as absent;
//! [`PostgresStore::purge_expired`] deletes them (run it now and then, e.g. hourly).

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use gateway_core::event_store::{Claim, ClaimToken, EventStore};
use gateway_core::Error;
use tokio_postgres::NoTls;

use crate::{millis, store_error, DEFAULT_LOCK_TTL};

/// The schema this crate's statements expect.
pub const MIGRATION: &str = include_str!("../migrations/0001_gateway_stores.sql");

/// Longest wait for a pooled connection, a new connection, or one statement, before the call
/// fails with [`Error::Store`] (the server is down or unreachable).
const TIMEOUT: Duration = Duration::from_secs(3);

/// Connections kept at most per [`PostgresStore`].
const POOL_SIZE: usize = 16;

/// A pool of connections to one PostgreSQL database, shared by the stores made from it; cloning
/// is cheap and shares the pool. Broken connections are replaced on their next use, so the stores
/// work again once the server is back. `Debug` shows no connection string.
#[derive(Clone)]
pub struct PostgresStore {
    pool: Pool,
}

impl fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let status = self.pool.status();
        f.debug_struct("PostgresStore")
            .field("pool_size", &status.size)
            .field("pool_max", &status.max_size)
            .finish_non_exhaustive()
    }
}

impl PostgresStore {
    /// Connects to `url` (`postgres://user:password@host:port/db?...`, or a key-value string)
    /// **without TLS** (`sslmode=require` fails; keep the database on a private network or reach it
    /// through a TLS tunnel) and checks that one connection works.
    ///
    /// # Errors
    /// [`Error::Configuration`] for a connection string that does not parse; [`Error::Store`]
    /// when the server cannot be reached now.
    pub async fn connect(url: &str) -> Result<Self, Error> {
        let mut config: tokio_postgres::Config = url
            .parse()
            .map_err(|_| Error::Configuration("invalid PostgreSQL connection string".into()))?;
        config.connect_timeout(TIMEOUT);
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                // Checks a pooled connection with a round trip before handing it out, so a
                // connection the server dropped is replaced instead of failing a call.
                recycling_method: RecyclingMethod::Verified,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(TIMEOUT))
            .create_timeout(Some(TIMEOUT))
            .recycle_timeout(Some(TIMEOUT))
            .build()
            .map_err(|e| Error::Configuration(format!("cannot build the PostgreSQL pool: {e}")))?;
        let store = Self { pool };
        drop(store.client().await?);
        Ok(store)
    }

    /// Creates the tables and index if they are missing ([`MIGRATION`]), under an advisory lock
    /// so that instances starting together do not race.
    ///
    /// # Errors
    /// [`Error::Store`] when the server cannot be reached or refuses the statements.
    pub async fn migrate(&self) -> Result<(), Error> {
        let mut client = self.client().await?;
        // A transaction object rolls back when dropped, so a failed or timed-out migration does not
        // hand the pooled connection back inside an aborted transaction.
        let transaction = timed("PostgreSQL migration", client.transaction()).await?;
        let script = format!("SELECT pg_advisory_xact_lock(7346120001); {MIGRATION}");
        timed("PostgreSQL migration", transaction.batch_execute(&script)).await?;
        timed("PostgreSQL migration", transaction.commit()).await
    }

    /// Deletes webhook event rows past their expiry; the number deleted.
    ///
    /// # Errors
    /// [`Error::Store`] when the server cannot be reached.
    pub async fn purge_expired(&self) -> Result<u64, Error> {
        let client = self.client().await?;
        timed(
            "PostgreSQL purge",
            client.execute("DELETE FROM gateway_webhook_events WHERE expires_at <= now()", &[]),
        )
        .await
    }

    /// The store of one OAuth connection's tokens, `name` telling connections apart. Its
    /// refresh lock lasts 60 seconds ([`PostgresTokenStore::with_lock_ttl`]).
    pub fn token_store(&self, name: &str) -> PostgresTokenStore {
        PostgresTokenStore {
            store: self.clone(),
            name: name.to_string(),
            lock_ttl: DEFAULT_LOCK_TTL,
        }
    }

    /// The webhook event store, for `WebhookReceiver::event_store`.
    pub fn event_store(&self) -> PostgresEventStore {
        PostgresEventStore { store: self.clone() }
    }

    async fn client(&self) -> Result<deadpool_postgres::Object, Error> {
        self.pool
            .get()
            .await
            .map_err(|e| store_error("cannot get a PostgreSQL connection", e))
    }
}

/// `statement`, failing with [`Error::Store`] named `what` on an error or after [`TIMEOUT`].
async fn timed<T>(
    what: &str,
    statement: impl std::future::Future<Output = Result<T, tokio_postgres::Error>>,
) -> Result<T, Error> {
    match tokio::time::timeout(TIMEOUT, statement).await {
        Ok(result) => result.map_err(|e| store_error(&format!("{what} failed"), e)),
        Err(elapsed) => Err(store_error(&format!("{what} timed out"), elapsed)),
    }
}

/// A column that does not hold what the schema says (a table created by hand differently): a
/// typed error instead of the driver's panic on `Row::get`.
fn unreadable(e: tokio_postgres::Error) -> Error {
    store_error("a PostgreSQL row does not match the gateway-stores schema", e)
}

/// The webhook events in PostgreSQL (see the [module docs](self)).
#[derive(Clone, Debug)]
pub struct PostgresEventStore {
    store: PostgresStore,
}

#[async_trait]
impl EventStore for PostgresEventStore {
    async fn claim(&self, key: &str, lease: Duration) -> Result<Claim, Error> {
        let client = self.store.client().await?;
        let token = uuid::Uuid::new_v4().simple().to_string();
        let lease = millis(lease);
        // The row may expire between the upsert and the read: then look again (a few times).
        for _ in 0..3 {
            let claimed = timed(
                "PostgreSQL webhook claim",
                client.query_opt(
                    "INSERT INTO gateway_webhook_events (event_key, state, token, expires_at) \
                     VALUES ($1, 'claimed', $2, now() + $3::bigint * interval '1 millisecond') \
                     ON CONFLICT (event_key) DO UPDATE \
                       SET state = 'claimed', token = EXCLUDED.token, expires_at = EXCLUDED.expires_at \
                       WHERE gateway_webhook_events.expires_at <= now() \
                     RETURNING token",
                    &[&key, &token, &lease],
                ),
            )
            .await?;
            if claimed.is_some() {
                return Ok(Claim::Claimed(ClaimToken::new(token)));
            }
            let state = timed(
                "PostgreSQL webhook claim",
                client.query_opt(
                    "SELECT state FROM gateway_webhook_events WHERE event_key = $1 AND expires_at > now()",
                    &[&key],
                ),
            )
            .await?;
            let state: Option<String> = state.map(|row| row.try_get(0)).transpose().map_err(unreadable)?;
            match state.as_deref() {
                Some("done") => return Ok(Claim::Done),
                Some(_) => return Ok(Claim::InProgress),
                None => continue,
            }
        }
        Ok(Claim::InProgress)
    }

    async fn complete(&self, key: &str, token: &ClaimToken, retention: Duration) -> Result<(), Error> {
        let client = self.store.client().await?;
        timed(
            "PostgreSQL webhook completion",
            client.execute(
                "UPDATE gateway_webhook_events \
                 SET state = 'done', token = NULL, expires_at = now() + $3::bigint * interval '1 millisecond' \
                 WHERE event_key = $1 AND state = 'claimed' AND token = $2",
                &[&key, &token.as_str(), &millis(retention)],
            ),
        )
        .await?;
        Ok(())
    }

    async fn release(&self, key: &str, token: &ClaimToken) -> Result<(), Error> {
        let client = self.store.client().await?;
        timed(
            "PostgreSQL webhook release",
            client.execute(
                "DELETE FROM gateway_webhook_events WHERE event_key = $1 AND state = 'claimed' AND token = $2",
                &[&key, &token.as_str()],
            ),
        )
        .await?;
        Ok(())
    }
}

/// One OAuth connection's tokens in PostgreSQL, with versions and a refresh lock (see the
/// [module docs](self)). Implements `provider_sepay::TokenStore` (feature `sepay`).
#[derive(Clone)]
pub struct PostgresTokenStore {
    store: PostgresStore,
    name: String,
    lock_ttl: Duration,
}

impl fmt::Debug for PostgresTokenStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresTokenStore")
            .field("name", &self.name)
            .field("lock_ttl", &self.lock_ttl)
            .finish_non_exhaustive()
    }
}

impl PostgresTokenStore {
    /// Sets how long the refresh lock lasts when its holder neither finishes nor gives it back
    /// (default 60 seconds).
    pub fn with_lock_ttl(mut self, ttl: Duration) -> Self {
        self.lock_ttl = ttl;
        self
    }
}

#[cfg(feature = "sepay")]
mod sepay {
    use super::*;
    use chrono::{DateTime, Utc};
    use provider_sepay::{OAuthTokens, RefreshLock, TokenStore, VersionedTokens};
    use secrecy::{ExposeSecret, SecretString};

    fn exposed(token: &Option<SecretString>) -> Option<&str> {
        token.as_ref().map(ExposeSecret::expose_secret)
    }

    fn version_param(version: u64) -> Result<i64, Error> {
        i64::try_from(version).map_err(|_| Error::Store {
            message: format!("token version {version} does not fit PostgreSQL's bigint"),
            source: None,
        })
    }

    #[async_trait]
    impl TokenStore for PostgresTokenStore {
        async fn load(&self) -> Result<Option<OAuthTokens>, Error> {
            Ok(self.load_versioned().await?.map(|saved| saved.tokens))
        }

        async fn save(&self, tokens: &OAuthTokens) -> Result<(), Error> {
            let client = self.store.client().await?;
            timed(
                "PostgreSQL token save",
                client.execute(
                    "INSERT INTO gateway_oauth_tokens (name, version, access_token, refresh_token, expires_at) \
                     VALUES ($1, 1, $2, $3, $4) \
                     ON CONFLICT (name) DO UPDATE SET version = gateway_oauth_tokens.version + 1, \
                       access_token = EXCLUDED.access_token, refresh_token = EXCLUDED.refresh_token, \
                       expires_at = EXCLUDED.expires_at, updated_at = now()",
                    &[
                        &self.name,
                        &exposed(&tokens.access_token),
                        &exposed(&tokens.refresh_token),
                        &tokens.expires_at,
                    ],
                ),
            )
            .await?;
            Ok(())
        }

        async fn load_versioned(&self) -> Result<Option<VersionedTokens>, Error> {
            let client = self.store.client().await?;
            let row = timed(
                "PostgreSQL token load",
                client.query_opt(
                    "SELECT version, access_token, refresh_token, expires_at \
                     FROM gateway_oauth_tokens WHERE name = $1 AND version > 0",
                    &[&self.name],
                ),
            )
            .await?;
            let Some(row) = row else {
                return Ok(None);
            };
            let version: i64 = row.try_get(0).map_err(unreadable)?;
            let access: Option<String> = row.try_get(1).map_err(unreadable)?;
            let refresh: Option<String> = row.try_get(2).map_err(unreadable)?;
            let expires_at: Option<DateTime<Utc>> = row.try_get(3).map_err(unreadable)?;
            Ok(Some(VersionedTokens {
                tokens: OAuthTokens::new(
                    access.map(SecretString::from),
                    refresh.map(SecretString::from),
                    expires_at,
                ),
                version: u64::try_from(version).unwrap_or(0),
            }))
        }

        async fn save_versioned(&self, tokens: &OAuthTokens, version: u64) -> Result<bool, Error> {
            let version = version_param(version)?;
            let client = self.store.client().await?;
            let written = timed(
                "PostgreSQL token save",
                client.query_opt(
                    "INSERT INTO gateway_oauth_tokens (name, version, access_token, refresh_token, expires_at) \
                     VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (name) DO UPDATE SET version = EXCLUDED.version, \
                       access_token = EXCLUDED.access_token, refresh_token = EXCLUDED.refresh_token, \
                       expires_at = EXCLUDED.expires_at, updated_at = now() \
                     WHERE gateway_oauth_tokens.version < EXCLUDED.version \
                     RETURNING 1",
                    &[
                        &self.name,
                        &version,
                        &exposed(&tokens.access_token),
                        &exposed(&tokens.refresh_token),
                        &tokens.expires_at,
                    ],
                ),
            )
            .await?;
            Ok(written.is_some())
        }

        async fn try_lock_refresh(&self) -> Result<Option<RefreshLock>, Error> {
            let holder = uuid::Uuid::new_v4().simple().to_string();
            let client = self.store.client().await?;
            let taken = timed(
                "PostgreSQL refresh lock",
                client.query_opt(
                    "INSERT INTO gateway_oauth_tokens (name, lock_holder, lock_until) \
                     VALUES ($1, $2, now() + $3::bigint * interval '1 millisecond') \
                     ON CONFLICT (name) DO UPDATE SET lock_holder = EXCLUDED.lock_holder, \
                       lock_until = EXCLUDED.lock_until \
                     WHERE gateway_oauth_tokens.lock_until IS NULL OR gateway_oauth_tokens.lock_until <= now() \
                     RETURNING 1",
                    &[&self.name, &holder, &millis(self.lock_ttl)],
                ),
            )
            .await?;
            Ok(taken.map(|_| RefreshLock::new(holder)))
        }

        async fn unlock_refresh(&self, lock: &RefreshLock) -> Result<(), Error> {
            let client = self.store.client().await?;
            timed(
                "PostgreSQL refresh unlock",
                client.execute(
                    "UPDATE gateway_oauth_tokens SET lock_holder = NULL, lock_until = NULL \
                     WHERE name = $1 AND lock_holder = $2",
                    &[&self.name, &lock.holder()],
                ),
            )
            .await?;
            Ok(())
        }

        fn refresh_lock_ttl(&self) -> Duration {
            self.lock_ttl
        }
    }
}
