//! The Redis stores: one [`RedisStore`] (a connection manager that reconnects by itself) gives a
//! [`RedisTokenStore`] per OAuth connection and a [`RedisEventStore`].
//!
//! Keys (the prefix defaults to `gateway`, see [`RedisStore::with_prefix`]):
//!
//! | key | type | what |
//! |---|---|---|
//! | `{prefix}:oauth:{name}:tokens` | hash `version`, `tokens` (JSON) | the saved tokens; no expiry |
//! | `{prefix}:oauth:{name}:lock` | string: the holder id | the refresh lock, `PX` = the lock TTL |
//! | `{prefix}:webhook:{event key}` | string `claimed:{token}` or `done` | `PX` = the lease, then the retention |
//!
//! Every operation is one command or one Lua script, so it is atomic on the server: the lock is
//! `SET NX PX` and given back only by its holder (compare and delete), a token save is written
//! only over an older version, a webhook claim is `SET NX PX` and completed or released only by
//! the claim's token.

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use gateway_core::event_store::{Claim, ClaimToken, EventStore};
use gateway_core::Error;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::Script;

use crate::{millis, store_error, DEFAULT_LOCK_TTL};

/// How long one command may take before it fails with [`Error::Store`] (the server is down or
/// unreachable), and how long each connection attempt may take.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(2);

/// A connection to one Redis server (or a proxy in front of several), shared by the stores made
/// from it; cloning is cheap and shares the connection. `Debug` shows the key prefix only (the
/// URL may hold a password).
#[derive(Clone)]
pub struct RedisStore {
    connection: ConnectionManager,
    prefix: String,
}

impl fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStore")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl RedisStore {
    /// Connects to `url` (`redis://[user:password@]host:port/db`; plain TCP only: this build of
    /// the `redis` crate has no TLS, so `rediss://` is refused). Commands time out after 2
    /// seconds; after a lost connection, the next command reconnects.
    ///
    /// # Errors
    /// [`Error::Configuration`] for a URL that does not parse; [`Error::Store`] when the server
    /// cannot be reached now.
    pub async fn connect(url: &str) -> Result<Self, Error> {
        let client = redis::Client::open(url)
            .map_err(|e| Error::Configuration(format!("invalid Redis URL ({:?})", e.kind())))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(COMMAND_TIMEOUT))
            .set_response_timeout(Some(COMMAND_TIMEOUT))
            .set_number_of_retries(1);
        let connection = ConnectionManager::new_with_config(client, config)
            .await
            .map_err(|e| store_error("cannot connect to Redis", e))?;
        Ok(Self {
            connection,
            prefix: "gateway".into(),
        })
    }

    /// Puts every key under `prefix` instead of `gateway` (e.g. one prefix per app or
    /// environment sharing a server).
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// The store of one OAuth connection's tokens, `name` telling connections apart (e.g. the
    /// SePay company or app it belongs to). Its refresh lock lasts 60 seconds
    /// ([`RedisTokenStore::with_lock_ttl`]).
    pub fn token_store(&self, name: &str) -> RedisTokenStore {
        RedisTokenStore {
            store: self.clone(),
            tokens_key: format!("{}:oauth:{name}:tokens", self.prefix),
            lock_key: format!("{}:oauth:{name}:lock", self.prefix),
            lock_ttl: DEFAULT_LOCK_TTL,
        }
    }

    /// The webhook event store, for `WebhookReceiver::event_store`.
    pub fn event_store(&self) -> RedisEventStore {
        RedisEventStore { store: self.clone() }
    }

    /// Runs `command`, once more when Redis refused the connection (see [`Self::send`]).
    async fn query<T: redis::FromRedisValue>(&self, what: &str, command: &redis::Cmd) -> Result<T, Error> {
        self.send(what, |mut connection| async move {
            command.query_async(&mut connection).await
        })
        .await
    }

    /// Runs a script, once more when Redis refused the connection (see [`Self::send`]).
    async fn invoke<T: redis::FromRedisValue>(
        &self,
        what: &str,
        script: &redis::ScriptInvocation<'_>,
    ) -> Result<T, Error> {
        self.send(what, |mut connection| async move {
            script.invoke_async(&mut connection).await
        })
        .await
    }

    /// Sends one command through `request`, once more when Redis refused the connection: after
    /// the server comes back, the connection manager answers the first command with the error of
    /// its last failed reconnect while it connects again. A refused command was never sent, so
    /// sending it again cannot apply it twice.
    async fn send<T, F, Fut>(&self, what: &str, request: F) -> Result<T, Error>
    where
        F: Fn(ConnectionManager) -> Fut,
        Fut: std::future::Future<Output = redis::RedisResult<T>>,
    {
        match request(self.connection.clone()).await {
            Err(e) if e.is_connection_refusal() => request(self.connection.clone()).await,
            other => other,
        }
        .map_err(|e| store_error(what, e))
    }
}

/// The webhook events in Redis (see the [module docs](self) for the keys).
#[derive(Clone, Debug)]
pub struct RedisEventStore {
    store: RedisStore,
}

impl RedisEventStore {
    fn key(&self, key: &str) -> String {
        format!("{}:webhook:{key}", self.store.prefix)
    }
}

/// Marks a claimed event done for the retention, if the claim is still `ARGV[1]`'s or has lapsed
/// with nobody claiming it since (the handler did run: remembering it avoids a second run, as the
/// memory and PostgreSQL stores do). A claim another delivery took since is left alone.
const COMPLETE: &str = r"
local current = redis.call('GET', KEYS[1])
if current == ARGV[1] or current == false then
  redis.call('SET', KEYS[1], 'done', 'PX', ARGV[2])
  return 1
end
return 0";

/// Deletes `KEYS[1]` if it still holds `ARGV[1]` (a claim or a lock given back by its holder).
const DELETE_IF: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0";

#[async_trait]
impl EventStore for RedisEventStore {
    async fn claim(&self, key: &str, lease: Duration) -> Result<Claim, Error> {
        let key = self.key(key);
        let token = uuid::Uuid::new_v4().simple().to_string();
        let mark = format!("claimed:{token}");
        let mut set = redis::cmd("SET");
        set.arg(&key).arg(&mark).arg("NX").arg("PX").arg(millis(lease));
        let mut get = redis::cmd("GET");
        get.arg(&key);
        // The claim may lapse between the SET and the GET: then look again (at most a few times).
        for _ in 0..3 {
            let taken: Option<String> = self.store.query("Redis webhook claim failed", &set).await?;
            if taken.is_some() {
                return Ok(Claim::Claimed(ClaimToken::new(mark)));
            }
            let current: Option<String> = self.store.query("Redis webhook claim failed", &get).await?;
            match current.as_deref() {
                Some("done") => return Ok(Claim::Done),
                // Ours: an earlier try of this SET went through after all.
                Some(current) if current == mark => return Ok(Claim::Claimed(ClaimToken::new(mark))),
                Some(_) => return Ok(Claim::InProgress),
                None => continue,
            }
        }
        Ok(Claim::InProgress)
    }

    async fn complete(&self, key: &str, token: &ClaimToken, retention: Duration) -> Result<(), Error> {
        let script = Script::new(COMPLETE);
        let mut invocation = script.key(self.key(key));
        invocation.arg(token.as_str()).arg(millis(retention));
        let _: i64 = self
            .store
            .invoke("Redis webhook completion failed", &invocation)
            .await?;
        Ok(())
    }

    async fn release(&self, key: &str, token: &ClaimToken) -> Result<(), Error> {
        let script = Script::new(DELETE_IF);
        let mut invocation = script.key(self.key(key));
        invocation.arg(token.as_str());
        let _: i64 = self.store.invoke("Redis webhook release failed", &invocation).await?;
        Ok(())
    }
}

/// One OAuth connection's tokens in Redis, with versions and a refresh lock (see the
/// [module docs](self) for the keys). Implements `provider_sepay::TokenStore` (feature `sepay`).
#[derive(Clone)]
pub struct RedisTokenStore {
    store: RedisStore,
    tokens_key: String,
    lock_key: String,
    lock_ttl: Duration,
}

impl fmt::Debug for RedisTokenStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisTokenStore")
            .field("tokens_key", &self.tokens_key)
            .field("lock_ttl", &self.lock_ttl)
            .finish_non_exhaustive()
    }
}

impl RedisTokenStore {
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
    use crate::token_json::{decode, encode};
    use provider_sepay::{OAuthTokens, RefreshLock, TokenStore, VersionedTokens};

    /// Writes `ARGV[2]` as version `ARGV[1]` unless the hash holds that version or a newer one.
    const SAVE_IF_NEWER: &str = r"
local current = tonumber(redis.call('HGET', KEYS[1], 'version') or '0')
if current >= tonumber(ARGV[1]) then
  return 0
end
redis.call('HSET', KEYS[1], 'version', ARGV[1], 'tokens', ARGV[2])
return 1";

    /// Writes `ARGV[1]` as the next version.
    const SAVE_NEXT: &str = r"
local next = tonumber(redis.call('HGET', KEYS[1], 'version') or '0') + 1
redis.call('HSET', KEYS[1], 'version', next, 'tokens', ARGV[1])
return next";

    impl RedisTokenStore {
        async fn read(&self) -> Result<Option<VersionedTokens>, Error> {
            let mut read = redis::cmd("HMGET");
            read.arg(&self.tokens_key).arg("version").arg("tokens");
            let (version, json): (Option<u64>, Option<String>) =
                self.store.query("Redis token load failed", &read).await?;
            match (version, json) {
                (Some(version), Some(json)) => Ok(Some(VersionedTokens {
                    tokens: decode(&json)?,
                    version,
                })),
                _ => Ok(None),
            }
        }
    }

    #[async_trait]
    impl TokenStore for RedisTokenStore {
        async fn load(&self) -> Result<Option<OAuthTokens>, Error> {
            Ok(self.read().await?.map(|saved| saved.tokens))
        }

        async fn save(&self, tokens: &OAuthTokens) -> Result<(), Error> {
            let script = Script::new(SAVE_NEXT);
            let mut invocation = script.key(&self.tokens_key);
            invocation.arg(encode(tokens)?.as_str());
            let _: i64 = self.store.invoke("Redis token save failed", &invocation).await?;
            Ok(())
        }

        async fn load_versioned(&self) -> Result<Option<VersionedTokens>, Error> {
            self.read().await
        }

        async fn save_versioned(&self, tokens: &OAuthTokens, version: u64) -> Result<bool, Error> {
            let script = Script::new(SAVE_IF_NEWER);
            let mut invocation = script.key(&self.tokens_key);
            invocation.arg(version).arg(encode(tokens)?.as_str());
            let written: i64 = self.store.invoke("Redis token save failed", &invocation).await?;
            Ok(written == 1)
        }

        async fn try_lock_refresh(&self) -> Result<Option<RefreshLock>, Error> {
            let holder = uuid::Uuid::new_v4().simple().to_string();
            let mut set = redis::cmd("SET");
            set.arg(&self.lock_key)
                .arg(&holder)
                .arg("NX")
                .arg("PX")
                .arg(millis(self.lock_ttl));
            let taken: Option<String> = self.store.query("Redis refresh lock failed", &set).await?;
            Ok(taken.map(|_| RefreshLock::new(holder)))
        }

        async fn unlock_refresh(&self, lock: &RefreshLock) -> Result<(), Error> {
            let script = Script::new(DELETE_IF);
            let mut invocation = script.key(&self.lock_key);
            invocation.arg(lock.holder());
            let _: i64 = self.store.invoke("Redis refresh unlock failed", &invocation).await?;
            Ok(())
        }

        fn refresh_lock_ttl(&self) -> Duration {
            self.lock_ttl
        }
    }
}
