//! Shared stores for apps that run several instances: the SePay OAuth tokens with a refresh lock
//! ([`provider_sepay::TokenStore`], feature `sepay`) and exactly-once webhook handling
//! ([`gateway_core::EventStore`]), on Redis (feature `redis`) or PostgreSQL (feature `postgres`).
//!
//! ```no_run
//! # #[cfg(all(feature = "redis", feature = "sepay"))]
//! # async fn demo() -> Result<(), gateway_core::Error> {
//! use std::sync::Arc;
//!
//! let redis = gateway_stores::RedisStore::connect("redis://127.0.0.1:6379/").await?;
//! let tokens = Arc::new(redis.token_store("sepay-main")); // a provider_sepay::TokenStore
//! let events = Arc::new(redis.event_store()); // a gateway_core::EventStore
//! # let _ = (tokens, events);
//! # Ok(())
//! # }
//! ```
//!
//! What each store keeps, under which keys or tables, for how long, and what happens when the
//! server is down is in `docs/deployment.md`. In short: every operation is one atomic command or
//! statement; a store that cannot be reached answers [`gateway_core::Error::Store`] within its
//! timeouts (the callers then fail closed: no refresh, no webhook handled, nothing lost), and the
//! next call after the server is back works again without a restart.
//!
//! The tokens are kept as the provider issued them, in the clear, like any OAuth client's token
//! table: protect the store (its network, ACLs or roles) as a secret store. **No TLS**: this
//! crate connects to Redis over plain TCP (`rediss://` URLs are refused) and to PostgreSQL without
//! TLS (`sslmode=require` fails to connect); keep the server on a private network, or reach it
//! through a TLS tunnel (stunnel, a service-mesh sidecar). Nothing here logs or shows a token;
//! `Debug` shows names and settings only.
#![deny(missing_docs)]

#[cfg(feature = "postgres")]
pub mod postgres;
#[cfg(feature = "redis")]
pub mod redis;
#[cfg(all(feature = "sepay", any(feature = "redis", feature = "postgres")))]
mod token_json;

#[cfg(feature = "postgres")]
pub use postgres::{PostgresEventStore, PostgresStore, PostgresTokenStore};
#[cfg(feature = "redis")]
pub use redis::{RedisEventStore, RedisStore, RedisTokenStore};

/// The refresh lock's lifetime unless set otherwise: 60 seconds, twice the SePay client's default
/// 30-second request timeout, so a slow refresh is not taken over while it runs; an instance that
/// dies holding the lock blocks the others this long at most.
pub const DEFAULT_LOCK_TTL: std::time::Duration = std::time::Duration::from_secs(60);

/// A [`gateway_core::Error::Store`] for `what` failing, with the driver's error as the source. The
/// message names the operation, never a key's value or a connection string.
#[allow(dead_code)]
pub(crate) fn store_error<E>(what: &str, error: E) -> gateway_core::Error
where
    E: std::error::Error + Send + Sync + 'static,
{
    gateway_core::Error::Store {
        message: format!("{what}: {error}"),
        source: Some(Box::new(error)),
    }
}

/// The longest expiry sent to a server: about 100 years. Longer ones (`Duration::MAX` for
/// "forever") would overflow Redis's `PX` and PostgreSQL's interval arithmetic.
const MAX_EXPIRY_MILLIS: i64 = 100 * 366 * 24 * 60 * 60 * 1000;

/// Milliseconds of `d` for the servers' expiry arguments: at least 1 (0 means "no expiry" or is
/// refused), at most [`MAX_EXPIRY_MILLIS`].
#[allow(dead_code)]
pub(crate) fn millis(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_millis())
        .unwrap_or(i64::MAX)
        .clamp(1, MAX_EXPIRY_MILLIS)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    #[test]
    fn expiries_are_clamped_to_what_servers_take() {
        assert_eq!(super::millis(Duration::ZERO), 1);
        assert_eq!(super::millis(Duration::from_secs(2)), 2_000);
        assert_eq!(super::millis(Duration::MAX), super::MAX_EXPIRY_MILLIS);
    }
}
