//! Where OAuth tokens live between runs: the [`TokenStore`] trait, an in-memory store and a JSON
//! file store.
//!
//! SePay rotates the refresh token on every refresh (refresh tokens live a month, access tokens an
//! hour), so the tokens must be saved after each refresh or the next run cannot log in again. A
//! [`crate::SepayClient`] built with [`crate::SepayClientBuilder::token_store`] loads them at the
//! first call and saves them after every refresh.
//!
//! Failures are [`Error::Store`] with a message that names what failed (never a token).

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

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
}

/// Tokens kept in memory (for tests, or an app that persists [`crate::SepayClient::oauth_tokens`]
/// itself). `Debug` shows whether tokens are held, never a token.
#[derive(Default)]
pub struct MemoryTokenStore {
    tokens: Mutex<Option<OAuthTokens>>,
}

impl MemoryTokenStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// A store that already holds `tokens`.
    pub fn with_tokens(tokens: OAuthTokens) -> Self {
        Self {
            tokens: Mutex::new(Some(tokens)),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<OAuthTokens>> {
        // The value is replaced whole, so a panic elsewhere cannot leave it half-written.
        self.tokens.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl fmt::Debug for MemoryTokenStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryTokenStore")
            .field("tokens", &self.lock().as_ref())
            .finish()
    }
}

#[async_trait]
impl TokenStore for MemoryTokenStore {
    async fn load(&self) -> Result<Option<OAuthTokens>, Error> {
        Ok(self.lock().clone())
    }

    async fn save(&self, tokens: &OAuthTokens) -> Result<(), Error> {
        *self.lock() = Some(tokens.clone());
        Ok(())
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
