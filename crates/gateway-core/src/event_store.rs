//! [`EventStore`]: exactly-once handling of webhook events across every instance of an app.
//!
//! Providers deliver a webhook at least once: they resend it until they get a success reply, may
//! send it twice anyway, and a load balancer may hand the copies to different instances. The
//! receiver asks the store to [`EventStore::claim`] an event before running the app's handler:
//! only one delivery, on one instance, gets [`Claim::Claimed`]; the others learn that the event is
//! being handled ([`Claim::InProgress`]: answer so that the provider retries later) or is done
//! ([`Claim::Done`]: acknowledge without running the handler). When the handler succeeds the
//! claim becomes done ([`EventStore::complete`]) and is remembered for a retention time; when it
//! fails the claim is dropped ([`EventStore::release`]) so that a later delivery runs it again.
//!
//! A claim carries a lease: if the instance holding it dies before completing or releasing, the
//! claim lapses when the lease runs out and the next delivery may claim the event again. So no
//! event is lost to a crash; the price is that a handler still running after its lease may run
//! twice (keep the lease well above the handler's longest run).
//!
//! [`MemoryEventStore`] serves one process. Several instances need a shared store (the facade's
//! Redis and PostgreSQL stores). A store that cannot be reached answers [`Error::Store`]; the
//! receiver then answers the provider with an error so that it delivers again later: nothing is
//! marked, nothing is lost.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;

use crate::Error;

/// Proof of a claim, given by [`EventStore::claim`] and handed back to
/// [`EventStore::complete`] or [`EventStore::release`], so that an instance whose lease lapsed
/// cannot complete or release a claim another instance has taken since. Opaque; stores make it
/// unique per claim (e.g. a random UUID).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ClaimToken(String);

impl ClaimToken {
    /// A token with this text (for store implementations).
    pub fn new(token: impl Into<String>) -> Self {
        Self(token.into())
    }

    /// The token's text (for store implementations).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ClaimToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ClaimToken").field(&self.0).finish()
    }
}

/// What [`EventStore::claim`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Claim {
    /// The event was new (or its earlier claim lapsed or was released): this caller runs the
    /// handler, then calls [`EventStore::complete`] or [`EventStore::release`] with the token.
    Claimed(ClaimToken),
    /// Another delivery holds a live claim: the handler is running elsewhere. Answer so that the
    /// provider delivers again later (if that run fails, the later delivery runs it).
    InProgress,
    /// The event was handled (within the retention time): acknowledge without running the handler.
    Done,
}

/// Records which webhook events were handled, shared by every instance of an app.
///
/// Keys are opaque strings chosen by the caller (the receiver uses the route path and the
/// provider's event id); implementations must not assume a shape beyond UTF-8.
///
/// Implementations must make [`EventStore::claim`] atomic: of any number of concurrent claims of
/// one key, across processes, at most one gets [`Claim::Claimed`] while its lease is live.
#[async_trait]
pub trait EventStore: Send + Sync + fmt::Debug {
    /// Claims `key` for `lease` unless it is done or claimed by someone else.
    ///
    /// # Errors
    /// [`Error::Store`] when the store cannot be reached or answers something unreadable; nothing
    /// was claimed then.
    async fn claim(&self, key: &str, lease: Duration) -> Result<Claim, Error>;

    /// Marks `key` done for `retention` (later claims get [`Claim::Done`] until it lapses), if
    /// `token` still holds the claim; does nothing otherwise (the lease lapsed and someone else
    /// claimed it).
    ///
    /// # Errors
    /// [`Error::Store`] when the store cannot be reached; the claim then lapses with its lease.
    async fn complete(&self, key: &str, token: &ClaimToken, retention: Duration) -> Result<(), Error>;

    /// Drops the claim on `key` if `token` still holds it, so that the next delivery runs the
    /// handler again; does nothing otherwise.
    ///
    /// # Errors
    /// [`Error::Store`] when the store cannot be reached; the claim then lapses with its lease.
    async fn release(&self, key: &str, token: &ClaimToken) -> Result<(), Error>;
}

/// Where one key stands in a [`MemoryEventStore`].
#[derive(Debug, Clone)]
enum Entry {
    Claimed { token: ClaimToken, until: Instant },
    Done { until: Instant },
}

/// An [`EventStore`] in this process's memory: exactly once within one instance, and a fresh
/// start after a restart. Expired entries are swept at most once a minute. `Debug` shows the
/// number of entries.
#[derive(Default)]
pub struct MemoryEventStore {
    inner: Mutex<MemoryInner>,
    next_token: AtomicU64,
}

#[derive(Default)]
struct MemoryInner {
    entries: HashMap<String, Entry>,
    last_sweep: Option<Instant>,
}

/// How often expired entries are swept out.
const SWEEP_EVERY: Duration = Duration::from_secs(60);

impl MemoryEventStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many keys are claimed or done (expired ones may still be counted until the next sweep).
    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    /// True when no key is claimed or done.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, MemoryInner> {
        // Each operation leaves the map consistent before it can panic, so a poisoned lock holds
        // good data.
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl MemoryInner {
    fn sweep(&mut self, now: Instant) {
        if self.last_sweep.is_some_and(|at| now.duration_since(at) < SWEEP_EVERY) {
            return;
        }
        self.entries.retain(|_, entry| match entry {
            Entry::Claimed { until, .. } | Entry::Done { until } => *until > now,
        });
        self.last_sweep = Some(now);
    }
}

impl fmt::Debug for MemoryEventStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryEventStore")
            .field("entries", &self.len())
            .finish()
    }
}

/// `now + d`, or far in the future when that overflows (a lease or retention of `Duration::MAX`).
fn later(now: Instant, d: Duration) -> Instant {
    now.checked_add(d)
        .unwrap_or_else(|| now + Duration::from_secs(100 * 365 * 24 * 60 * 60))
}

#[async_trait]
impl EventStore for MemoryEventStore {
    async fn claim(&self, key: &str, lease: Duration) -> Result<Claim, Error> {
        let now = Instant::now();
        let mut inner = self.lock();
        inner.sweep(now);
        match inner.entries.get(key) {
            Some(Entry::Done { until }) if *until > now => return Ok(Claim::Done),
            Some(Entry::Claimed { until, .. }) if *until > now => return Ok(Claim::InProgress),
            _ => {}
        }
        let token = ClaimToken(format!("m{}", self.next_token.fetch_add(1, Ordering::Relaxed)));
        inner.entries.insert(
            key.to_string(),
            Entry::Claimed {
                token: token.clone(),
                until: later(now, lease),
            },
        );
        Ok(Claim::Claimed(token))
    }

    async fn complete(&self, key: &str, token: &ClaimToken, retention: Duration) -> Result<(), Error> {
        let now = Instant::now();
        let mut inner = self.lock();
        if let Some(entry) = inner.entries.get_mut(key) {
            if matches!(entry, Entry::Claimed { token: held, .. } if held == token) {
                *entry = Entry::Done {
                    until: later(now, retention),
                };
            }
        }
        Ok(())
    }

    async fn release(&self, key: &str, token: &ClaimToken) -> Result<(), Error> {
        let mut inner = self.lock();
        if matches!(inner.entries.get(key), Some(Entry::Claimed { token: held, .. }) if held == token) {
            inner.entries.remove(key);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LEASE: Duration = Duration::from_secs(60);
    const DAY: Duration = Duration::from_secs(86_400);

    fn token(claim: Claim) -> ClaimToken {
        match claim {
            Claim::Claimed(token) => token,
            other => panic!("expected a claim, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn one_claim_then_in_progress_then_done() {
        let store = MemoryEventStore::new();
        let t = token(store.claim("k", LEASE).await.unwrap());
        assert_eq!(store.claim("k", LEASE).await.unwrap(), Claim::InProgress);
        assert!(matches!(store.claim("other", LEASE).await.unwrap(), Claim::Claimed(_)));
        store.complete("k", &t, DAY).await.unwrap();
        assert_eq!(store.claim("k", LEASE).await.unwrap(), Claim::Done);
    }

    #[tokio::test]
    async fn release_lets_the_next_delivery_claim_again() {
        let store = MemoryEventStore::new();
        let first = token(store.claim("k", LEASE).await.unwrap());
        store.release("k", &first).await.unwrap();
        let second = token(store.claim("k", LEASE).await.unwrap());
        assert_ne!(first, second);
    }

    #[tokio::test]
    async fn a_lapsed_claim_can_be_taken_and_the_old_holder_cannot_touch_it() {
        let store = MemoryEventStore::new();
        let old = token(store.claim("k", Duration::from_millis(20)).await.unwrap());
        tokio::time::sleep(Duration::from_millis(40)).await;
        let new = token(store.claim("k", LEASE).await.unwrap());
        // The old holder wakes up: neither its completion nor its release counts.
        store.complete("k", &old, DAY).await.unwrap();
        assert_eq!(store.claim("k", LEASE).await.unwrap(), Claim::InProgress);
        store.release("k", &old).await.unwrap();
        assert_eq!(store.claim("k", LEASE).await.unwrap(), Claim::InProgress);
        store.complete("k", &new, DAY).await.unwrap();
        assert_eq!(store.claim("k", LEASE).await.unwrap(), Claim::Done);
    }

    #[tokio::test]
    async fn done_marks_lapse_after_the_retention() {
        let store = MemoryEventStore::new();
        let t = token(store.claim("k", LEASE).await.unwrap());
        store.complete("k", &t, Duration::from_millis(20)).await.unwrap();
        assert_eq!(store.claim("k", LEASE).await.unwrap(), Claim::Done);
        tokio::time::sleep(Duration::from_millis(40)).await;
        assert!(matches!(store.claim("k", LEASE).await.unwrap(), Claim::Claimed(_)));
    }

    #[tokio::test]
    async fn concurrent_claims_give_exactly_one_winner() {
        let store = std::sync::Arc::new(MemoryEventStore::new());
        let tasks: Vec<_> = (0..64)
            .map(|_| {
                let store = store.clone();
                tokio::spawn(async move { store.claim("k", LEASE).await.unwrap() })
            })
            .collect();
        let mut claimed = 0;
        for task in tasks {
            if matches!(task.await.unwrap(), Claim::Claimed(_)) {
                claimed += 1;
            }
        }
        assert_eq!(claimed, 1);
    }

    #[test]
    fn huge_durations_do_not_overflow() {
        let now = Instant::now();
        assert!(later(now, Duration::MAX) > now);
    }
}
