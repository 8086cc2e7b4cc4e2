//! Where OAuth tokens live between runs: the [`TokenStore`] trait, an in-memory store and a JSON
//! file store.
//!
//! SePay rotates the refresh token on every refresh (refresh tokens live a month, access tokens an
//! hour), so the tokens must be saved after each refresh or the next run cannot log in again. A
//! [`crate::SepayClient`] built with [`crate::SepayClientBuilder::token_store`] loads them at the
//! first call and saves them after every refresh.
//!
//! Failures are [`Error::Store`] with a message that names what failed (never a token).
//!
//! **Several instances.** When app instances share one store, two of them may find the access
//! token expired at once; if both refreshed with the same refresh token, SePay would refuse the
//! second (`invalid_grant`: the first refresh rotated it) and the loser might save a dead token
//! over the good one. A store shared between processes therefore also gives
//! - versions ([`TokenStore::load_versioned`], [`TokenStore::save_versioned`]): every saved token
//!   set carries a version, and a save never replaces a newer set with an older one;
//! - a refresh lock with an expiry ([`TokenStore::try_lock_refresh`]): the client refreshes only
//!   while it holds the lock; an instance that finds the lock taken waits, then uses the tokens the
//!   holder saved instead of refreshing again; an instance that dies holding the lock blocks the
//!   others only until the lock expires ([`TokenStore::refresh_lock_ttl`]).
//!
//! The defaults of those methods suit a store used by one process (the client's own mutex already
//! makes refreshes single-flight within it): version 0, unconditional saves, a lock that is always
//! free. [`MemoryTokenStore`] implements them for real, so clients sharing one in a process (and
//! tests) behave like instances sharing a Redis or PostgreSQL store.

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gateway_core::Error;
use secrecy::zeroize::Zeroize;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::OAuthTokens;

/// Keeps one set of OAuth tokens (access token, refresh token, expiry).
///
/// Implement it over an app's own storage (a database row, a secrets manager); the crate gives
/// [`MemoryTokenStore`] and [`FileTokenStore`].
#[async_trait]
pub trait TokenStore: Send + Sync {
    /// The saved tokens, or `None` when nothing was saved yet.
    ///
    /// # Errors
    /// [`Error::Store`] when the storage cannot be read or holds something that is not tokens.
    async fn load(&self) -> Result<Option<OAuthTokens>, Error>;

    /// Replaces the saved tokens with `tokens`. When this returns `Ok`, a later [`Self::load`] (also
    /// from another process, for a persistent store) gives these tokens.
    ///
    /// # Errors
    /// [`Error::Store`] when the tokens cannot be written; the previously saved ones are then left
    /// as they were.
    async fn save(&self, tokens: &OAuthTokens) -> Result<(), Error>;

    /// The saved tokens with their version, or `None` when nothing was saved yet. The default
    /// gives [`Self::load`]'s tokens as version 0.
    ///
    /// # Errors
    /// As [`Self::load`].
    async fn load_versioned(&self) -> Result<Option<VersionedTokens>, Error> {
        Ok(self.load().await?.map(|tokens| VersionedTokens { tokens, version: 0 }))
    }

    /// Saves `tokens` as `version` unless the store already holds that version or a newer one:
    /// `Ok(true)` when written, `Ok(false)` when a newer set was kept (nothing written). The
    /// default saves unconditionally.
    ///
    /// # Errors
    /// As [`Self::save`].
    async fn save_versioned(&self, tokens: &OAuthTokens, version: u64) -> Result<bool, Error> {
        let _ = version;
        self.save(tokens).await?;
        Ok(true)
    }

    /// Takes the refresh lock for [`Self::refresh_lock_ttl`] unless another holder has it:
    /// `Ok(Some(lock))` when taken (give it back with [`Self::unlock_refresh`]), `Ok(None)` when
    /// taken by someone else. The default is a lock that is always free (one process).
    ///
    /// # Errors
    /// [`Error::Store`] when the store cannot be reached; the client then does not refresh.
    async fn try_lock_refresh(&self) -> Result<Option<RefreshLock>, Error> {
        Ok(Some(RefreshLock::new("unshared")))
    }

    /// Gives back a lock from [`Self::try_lock_refresh`], if it is still this holder's (it may
    /// have expired and been taken by another). The default does nothing.
    ///
    /// # Errors
    /// [`Error::Store`] when the store cannot be reached; the lock then expires by itself.
    async fn unlock_refresh(&self, lock: &RefreshLock) -> Result<(), Error> {
        let _ = lock;
        Ok(())
    }

    /// How long a refresh lock lasts when its holder neither finishes nor gives it back (it died);
    /// a client waits about twice this for another holder's refresh before it gives up with
    /// [`Error::Store`]. Default 60 seconds ([`DEFAULT_REFRESH_LOCK_TTL`]).
    fn refresh_lock_ttl(&self) -> Duration {
        DEFAULT_REFRESH_LOCK_TTL
    }
}

/// The refresh lock's lifetime when a store sets none: 60 seconds, twice the client's default
/// 30-second request timeout, so a slow refresh (one HTTP request, plus a store read and save) is
/// not taken over while it is still running. Keep it above the client's timeout plus a few seconds
/// when raising that.
pub const DEFAULT_REFRESH_LOCK_TTL: Duration = Duration::from_secs(60);

/// Saved tokens with the version the store holds them under ([`TokenStore::load_versioned`]).
#[derive(Clone, Debug)]
pub struct VersionedTokens {
    /// The tokens (their `Debug` shows no token).
    pub tokens: OAuthTokens,
    /// Goes up by one with every refresh saved; 0 for tokens saved without a version.
    pub version: u64,
}

/// A held refresh lock ([`TokenStore::try_lock_refresh`]): an opaque holder id, unique per
/// acquisition, so that only its holder can give it back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefreshLock(String);

impl RefreshLock {
    /// A lock with this holder id (for store implementations).
    pub fn new(holder: impl Into<String>) -> Self {
        Self(holder.into())
    }

    /// The holder id (for store implementations).
    pub fn holder(&self) -> &str {
        &self.0
    }
}

/// Tokens kept in memory (for tests, or an app that persists [`crate::SepayClient::oauth_tokens`]
/// itself), with versions and a refresh lock, so clients sharing one store in a process coordinate
/// their refreshes as instances sharing a database do. `Debug` shows whether tokens are held,
/// never a token.
pub struct MemoryTokenStore {
    tokens: Mutex<Memory>,
    lock_ttl: Duration,
}

#[derive(Default)]
struct Memory {
    saved: Option<VersionedTokens>,
    lock: Option<(RefreshLock, Instant)>,
}

impl Default for MemoryTokenStore {
    fn default() -> Self {
        Self {
            tokens: Mutex::new(Memory::default()),
            lock_ttl: DEFAULT_REFRESH_LOCK_TTL,
        }
    }
}

impl MemoryTokenStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// A store that already holds `tokens` (as version 1).
    pub fn with_tokens(tokens: OAuthTokens) -> Self {
        let store = Self::default();
        store.lock().saved = Some(VersionedTokens { tokens, version: 1 });
        store
    }

    /// Sets how long a refresh lock lasts when its holder does not give it back (default 60 s).
    pub fn with_refresh_lock_ttl(mut self, ttl: Duration) -> Self {
        self.lock_ttl = ttl;
        self
    }

    /// The version of the saved tokens (0 when none were saved).
    pub fn version(&self) -> u64 {
        self.lock().saved.as_ref().map_or(0, |v| v.version)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Memory> {
        // The value is replaced whole, so a panic elsewhere cannot leave it half-written.
        self.tokens.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl fmt::Debug for MemoryTokenStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let memory = self.lock();
        f.debug_struct("MemoryTokenStore")
            .field("tokens", &memory.saved.as_ref().map(|v| &v.tokens))
            .field("version", &memory.saved.as_ref().map(|v| v.version))
            .field("refresh_locked", &memory.lock.is_some())
            .finish()
    }
}

#[async_trait]
impl TokenStore for MemoryTokenStore {
    async fn load(&self) -> Result<Option<OAuthTokens>, Error> {
        Ok(self.lock().saved.as_ref().map(|v| v.tokens.clone()))
    }

    /// Saves as the next version.
    async fn save(&self, tokens: &OAuthTokens) -> Result<(), Error> {
        let mut memory = self.lock();
        let version = memory.saved.as_ref().map_or(1, |v| v.version + 1);
        memory.saved = Some(VersionedTokens {
            tokens: tokens.clone(),
            version,
        });
        Ok(())
    }

    async fn load_versioned(&self) -> Result<Option<VersionedTokens>, Error> {
        Ok(self.lock().saved.clone())
    }

    async fn save_versioned(&self, tokens: &OAuthTokens, version: u64) -> Result<bool, Error> {
        let mut memory = self.lock();
        if memory.saved.as_ref().is_some_and(|v| v.version >= version) {
            return Ok(false);
        }
        memory.saved = Some(VersionedTokens {
            tokens: tokens.clone(),
            version,
        });
        Ok(true)
    }

    async fn try_lock_refresh(&self) -> Result<Option<RefreshLock>, Error> {
        let now = Instant::now();
        let mut memory = self.lock();
        if memory.lock.as_ref().is_some_and(|(_, until)| *until > now) {
            return Ok(None);
        }
        let lock = RefreshLock::new(uuid::Uuid::new_v4().simple().to_string());
        let until = now.checked_add(self.lock_ttl).unwrap_or(now);
        memory.lock = Some((lock.clone(), until));
        Ok(Some(lock))
    }

    async fn unlock_refresh(&self, lock: &RefreshLock) -> Result<(), Error> {
        let mut memory = self.lock();
        if memory.lock.as_ref().is_some_and(|(held, _)| held == lock) {
            memory.lock = None;
        }
        Ok(())
    }

    fn refresh_lock_ttl(&self) -> Duration {
        self.lock_ttl
    }
}

/// Tokens kept in a JSON file:
/// `{"version":1,"access_token":"...","refresh_token":"...","expires_at":"2026-01-01T00:00:00Z"}`
/// (absent tokens are `null`).
///
/// Each save writes a temporary file in the same folder (created with permissions 0600 on unix),
/// flushes it to disk and renames it over the file, so a reader sees the old tokens or the new ones,
/// never a mix, and a crash never leaves a truncated file. A missing file loads as `None`; a file
/// that is not such JSON is an [`Error::Store`]. `Debug` shows the path only.
#[derive(Debug, Clone)]
pub struct FileTokenStore {
    path: PathBuf,
}

/// The file's shape; the current version is 1.
#[derive(Serialize)]
struct FileTokensOut<'a> {
    version: u32,
    access_token: Option<&'a str>,
    refresh_token: Option<&'a str>,
    expires_at: Option<DateTime<Utc>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileTokensIn {
    version: u32,
    access_token: Option<SecretString>,
    refresh_token: Option<SecretString>,
    expires_at: Option<DateTime<Utc>>,
}

const FILE_VERSION: u32 = 1;

impl FileTokenStore {
    /// A store in the file at `path` (created at the first save; its folder must exist).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

fn store_error(message: String, source: Option<std::io::Error>) -> Error {
    Error::Store {
        message,
        source: source.map(|e| Box::new(e) as Box<dyn std::error::Error + Send + Sync>),
    }
}

fn read_file(path: &Path) -> Result<Option<OAuthTokens>, Error> {
    let mut bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(store_error(
                format!("cannot read the token file {}", path.display()),
                Some(e),
            ))
        }
    };
    let parsed = serde_json::from_slice::<FileTokensIn>(&bytes);
    bytes.zeroize();
    let parsed = parsed.map_err(|e| {
        // Line, column and kind only: serde's message may quote a value, and the value may be a token.
        store_error(
            format!(
                "the token file {} is not a saved SePay token set (invalid at line {}, column {}: {:?} error)",
                path.display(),
                e.line(),
                e.column(),
                e.classify()
            ),
            None,
        )
    })?;
    if parsed.version != FILE_VERSION {
        return Err(store_error(
            format!(
                "the token file {} has version {}; this version of the crate reads version {FILE_VERSION}",
                path.display(),
                parsed.version
            ),
            None,
        ));
    }
    Ok(Some(OAuthTokens::new(
        parsed.access_token,
        parsed.refresh_token,
        parsed.expires_at,
    )))
}

fn write_file(path: &Path, mut bytes: Vec<u8>) -> Result<(), Error> {
    let result = write_atomically(path, &bytes);
    bytes.zeroize();
    result
}

fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let fail = |what: &str, e: std::io::Error| store_error(format!("cannot {what} {}", path.display()), Some(e));
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| store_error(format!("the token file path {} has no file name", path.display()), None))?;
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        name.to_string_lossy(),
        uuid::Uuid::new_v4().simple()
    ));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let written = (|| {
        let mut file = options
            .open(&tmp)
            .map_err(|e| fail("create a temporary file next to", e))?;
        file.write_all(bytes)
            .map_err(|e| fail("write a temporary file next to", e))?;
        file.sync_all().map_err(|e| fail("flush a temporary file next to", e))?;
        std::fs::rename(&tmp, path).map_err(|e| fail("replace", e))
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
        return written;
    }
    // Makes the rename itself durable (unix; directories cannot be opened this way elsewhere).
    #[cfg(unix)]
    std::fs::File::open(&dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| fail("flush the folder of", e))?;
    Ok(())
}

fn join_error(e: tokio::task::JoinError) -> Error {
    Error::Store {
        message: "the token file task failed".into(),
        source: Some(Box::new(e)),
    }
}

#[async_trait]
impl TokenStore for FileTokenStore {
    async fn load(&self) -> Result<Option<OAuthTokens>, Error> {
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || read_file(&path))
            .await
            .map_err(join_error)?
    }

    async fn save(&self, tokens: &OAuthTokens) -> Result<(), Error> {
        let out = FileTokensOut {
            version: FILE_VERSION,
            access_token: tokens.access_token.as_ref().map(ExposeSecret::expose_secret),
            refresh_token: tokens.refresh_token.as_ref().map(ExposeSecret::expose_secret),
            expires_at: tokens.expires_at,
        };
        // The only place the tokens are exposed: into this buffer, which is zeroed once written.
        let bytes = serde_json::to_vec(&out)
            .map_err(|e| store_error(format!("cannot serialize the tokens ({:?} error)", e.classify()), None))?;
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || write_file(&path, bytes))
            .await
            .map_err(join_error)?
    }
}
