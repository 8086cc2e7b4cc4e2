//! Several client instances sharing one token store (issue 7), against the sandbox's OAuth
//! server, which rotates the refresh token on every refresh and answers `invalid_grant` to a
//! refresh token used twice, as SePay does.
//!
//! Each client is built on its own, as separate app instances would be; they share only the
//! store. These run on [`MemoryTokenStore`], which implements the versions and the refresh lock;
//! the same scenarios run against Redis and PostgreSQL in the facade's store tests.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use gateway_core::Error;
use gateway_sandbox::Sandbox;
use provider_sepay::{MemoryTokenStore, OAuthTokens, RefreshLock, TokenStore, VersionedTokens};

#[path = "support/oauth_instances.rs"]
mod oauth_instances;
use oauth_instances::{expired_tokens, instance, run};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_instances_with_fifty_calls_each_refresh_exactly_once() {
    let sandbox = Sandbox::start().await.unwrap();
    let store = Arc::new(MemoryTokenStore::with_tokens(expired_tokens(&sandbox)));
    let instances: Vec<_> = (0..8).map(|_| instance(&sandbox, store.clone())).collect();

    let results = run(&instances, 50).await;
    let failed: Vec<_> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    println!(
        "8 instances x 50 concurrent calls, access token expired: {} calls ok, {} failed, {} refresh request(s) at the token endpoint, store version {}",
        results.len() - failed.len(),
        failed.len(),
        sandbox.sepay().token_refresh_count(),
        store.version()
    );
    assert!(failed.is_empty(), "every call succeeds (no invalid_grant): {failed:?}");
    assert_eq!(sandbox.sepay().token_refresh_count(), 1, "exactly one refresh");
    assert_eq!(
        store.version(),
        2,
        "the refreshed tokens saved once, as the next version"
    );
    let saved = store.load().await.unwrap().unwrap();
    assert_eq!(
        secrecy::ExposeSecret::expose_secret(saved.refresh_token.as_ref().unwrap()),
        sandbox.sepay().current_refresh_token(),
        "the store holds the refresh token SePay issued last"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_that_died_holding_the_refresh_lock_is_taken_over_when_it_expires() {
    let sandbox = Sandbox::start().await.unwrap();
    let ttl = Duration::from_millis(600);
    let store = Arc::new(MemoryTokenStore::with_tokens(expired_tokens(&sandbox)).with_refresh_lock_ttl(ttl));
    // An instance took the lock and was killed before refreshing or giving it back.
    let dead: RefreshLock = store.try_lock_refresh().await.unwrap().expect("the lock was free");
    assert_eq!(store.try_lock_refresh().await.unwrap(), None, "the lock is held");

    let instances: Vec<_> = (0..3).map(|_| instance(&sandbox, store.clone())).collect();
    let started = Instant::now();
    let results = run(&instances, 10).await;
    let waited = started.elapsed();
    println!(
        "lock held by a dead instance (ttl {ttl:?}): {} calls ok after {waited:?}, {} refresh request(s)",
        results.iter().filter(|r| r.is_ok()).count(),
        sandbox.sepay().token_refresh_count()
    );
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    assert!(
        waited >= ttl - Duration::from_millis(50),
        "waited for the lock to expire: {waited:?}"
    );
    assert_eq!(sandbox.sepay().token_refresh_count(), 1);
    assert_eq!(store.version(), 2);
    // The dead instance's lock is no longer its own: giving it back now changes nothing.
    store.unlock_refresh(&dead).await.unwrap();
}

/// A store that can be switched off: every call fails with [`Error::Store`] meanwhile. With
/// `down_at_save`, it goes down by itself at the next save (after a refresh was sent).
#[derive(Debug)]
struct Switchable {
    inner: MemoryTokenStore,
    down: AtomicBool,
    down_at_save: AtomicBool,
}

impl Switchable {
    fn check(&self) -> Result<(), Error> {
        if self.down.load(Ordering::SeqCst) {
            Err(Error::Store {
                message: "connection refused (test)".into(),
                source: None,
            })
        } else {
            Ok(())
        }
    }
}

#[async_trait]
impl TokenStore for Switchable {
    async fn load(&self) -> Result<Option<OAuthTokens>, Error> {
        self.check()?;
        self.inner.load().await
    }
    async fn save(&self, tokens: &OAuthTokens) -> Result<(), Error> {
        self.check()?;
        self.inner.save(tokens).await
    }
    async fn load_versioned(&self) -> Result<Option<VersionedTokens>, Error> {
        self.check()?;
        self.inner.load_versioned().await
    }
    async fn save_versioned(&self, tokens: &OAuthTokens, version: u64) -> Result<bool, Error> {
        if self.down_at_save.swap(false, Ordering::SeqCst) {
            self.down.store(true, Ordering::SeqCst);
        }
        self.check()?;
        self.inner.save_versioned(tokens, version).await
    }
    async fn try_lock_refresh(&self) -> Result<Option<RefreshLock>, Error> {
        self.check()?;
        self.inner.try_lock_refresh().await
    }
    async fn unlock_refresh(&self, lock: &RefreshLock) -> Result<(), Error> {
        self.check()?;
        self.inner.unlock_refresh(lock).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_that_goes_away_gives_typed_errors_and_work_resumes_when_it_returns() {
    let sandbox = Sandbox::start().await.unwrap();
    let store = Arc::new(Switchable {
        inner: MemoryTokenStore::with_tokens(expired_tokens(&sandbox)),
        down: AtomicBool::new(true),
        down_at_save: AtomicBool::new(false),
    });
    let instances: Vec<_> = (0..2).map(|_| instance(&sandbox, store.clone())).collect();

    let results = run(&instances, 5).await;
    assert!(
        results.iter().all(|r| matches!(r, Err(Error::Store { .. }))),
        "fail closed with a typed error: {results:?}"
    );
    assert_eq!(sandbox.sepay().token_refresh_count(), 0, "no refresh without the store");

    store.down.store(false, Ordering::SeqCst);
    let results = run(&instances, 5).await;
    println!(
        "store down: 10 calls gave Error::Store; back up: {} of 10 ok, {} refresh request(s)",
        results.iter().filter(|r| r.is_ok()).count(),
        sandbox.sepay().token_refresh_count()
    );
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    assert_eq!(sandbox.sepay().token_refresh_count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_lost_between_the_refresh_and_its_save_loses_no_token() {
    let sandbox = Sandbox::start().await.unwrap();
    let store = Arc::new(Switchable {
        inner: MemoryTokenStore::with_tokens(expired_tokens(&sandbox)),
        down: AtomicBool::new(false),
        down_at_save: AtomicBool::new(true),
    });
    let client = instance(&sandbox, store.clone());

    // The refresh reaches SePay (the refresh token rotates), then the save fails.
    let first = client.list_oauth_bank_accounts(1, 5).await;
    assert!(matches!(first, Err(Error::Store { .. })), "{first:?}");
    assert_eq!(sandbox.sepay().token_refresh_count(), 1);
    // Still down: calls fail closed, nothing is refreshed again.
    assert!(matches!(
        client.list_oauth_bank_accounts(1, 5).await,
        Err(Error::Store { .. })
    ));
    assert_eq!(sandbox.sepay().token_refresh_count(), 1);

    // Back: the kept tokens are saved first, then the call goes through with them.
    store.down.store(false, Ordering::SeqCst);
    client
        .list_oauth_bank_accounts(1, 5)
        .await
        .expect("works once the store is back");
    assert_eq!(sandbox.sepay().token_refresh_count(), 1, "no second refresh");
    let saved = store.inner.load().await.unwrap().unwrap();
    assert_eq!(
        secrecy::ExposeSecret::expose_secret(saved.refresh_token.as_ref().unwrap()),
        sandbox.sepay().current_refresh_token(),
        "the rotated refresh token reached the store"
    );
    // Another instance starting now uses the saved tokens without refreshing.
    instance(&sandbox, store.clone())
        .list_oauth_bank_accounts(1, 5)
        .await
        .unwrap();
    assert_eq!(sandbox.sepay().token_refresh_count(), 1);
}
