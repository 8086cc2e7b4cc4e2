//! Token stores (memory, JSON file: atomic, 0600, corrupt files are typed errors) and the OAuth
//! client's use of them: load at first use, save after every refresh (the rotated refresh token is
//! persisted before it is used), one refresh and one save for 100 concurrent callers.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{TimeZone, Utc};
use common::*;
use gateway_core::Error;
use provider_sepay::{FileTokenStore, MemoryTokenStore, OAuthCredentials, OAuthTokens, SepayClient, TokenStore};
use secrecy::{ExposeSecret, SecretString};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "/oauth/token";
const ACCOUNT_19: &str = "/api/v1/bank-accounts/19";

fn tokens(access: &str, refresh: &str, expires_in_secs: i64) -> OAuthTokens {
    OAuthTokens::new(
        Some(SecretString::from(access)),
        Some(SecretString::from(refresh)),
        Some(Utc::now() + chrono::Duration::seconds(expires_in_secs)),
    )
}

fn secret(s: &Option<SecretString>) -> &str {
    s.as_ref().map(ExposeSecret::expose_secret).unwrap_or("<none>")
}

struct TempDir(std::path::PathBuf);

impl TempDir {
    fn new() -> Self {
        let dir = std::env::temp_dir().join(format!("sepay-token-store-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }
    fn file(&self) -> std::path::PathBuf {
        self.0.join("tokens.json")
    }
    fn entries(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(&self.0)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A store that counts saves and can be told to fail them.
#[derive(Default)]
struct CountingStore {
    inner: MemoryTokenStore,
    loads: AtomicUsize,
    saves: AtomicUsize,
    fail_saves: std::sync::atomic::AtomicBool,
}

#[async_trait]
impl TokenStore for CountingStore {
    async fn load(&self) -> Result<Option<OAuthTokens>, Error> {
        self.loads.fetch_add(1, Ordering::SeqCst);
        self.inner.load().await
    }
    async fn save(&self, tokens: &OAuthTokens) -> Result<(), Error> {
        self.saves.fetch_add(1, Ordering::SeqCst);
        if self.fail_saves.load(Ordering::SeqCst) {
            return Err(Error::Store {
                message: "disk full".into(),
                source: None,
            });
        }
        self.inner.save(tokens).await
    }
}

fn client_with_store(server: &MockServer, store: Arc<dyn TokenStore>) -> SepayClient {
    SepayClient::oauth(OAuthCredentials::new().with_client(CLIENT_ID, SecretString::from(CLIENT_SECRET)))
        .base_url(&server.uri())
        .token_store(store)
        .build()
        .unwrap()
}

async fn mount_account_for(server: &MockServer, access: &str) {
    Mock::given(method("GET"))
        .and(path(ACCOUNT_19))
        .and(header("authorization", format!("Bearer {access}").as_str()))
        .respond_with(json(200, fixture("oauth_bank_account_details.json")))
        .mount(server)
        .await;
}

#[tokio::test]
async fn memory_store_round_trip() {
    let store = MemoryTokenStore::new();
    assert!(store.load().await.unwrap().is_none());
    store.save(&tokens("A1", "R1", 60)).await.unwrap();
    let back = store.load().await.unwrap().unwrap();
    assert_eq!(secret(&back.access_token), "A1");
    assert_eq!(secret(&back.refresh_token), "R1");
    let store = MemoryTokenStore::with_tokens(tokens("A2", "R2", 60));
    assert_eq!(secret(&store.load().await.unwrap().unwrap().refresh_token), "R2");
}

#[tokio::test]
async fn file_store_round_trip_in_a_documented_shape() {
    let dir = TempDir::new();
    let store = FileTokenStore::new(dir.file());
    assert!(store.load().await.unwrap().is_none(), "a missing file is no tokens");
    let expires = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap();
    let saved = OAuthTokens::new(
        Some(SecretString::from("ACCESS-X")),
        Some(SecretString::from("REFRESH-X")),
        Some(expires),
    );
    store.save(&saved).await.unwrap();
    let raw: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.file()).unwrap()).unwrap();
    assert_eq!(
        raw,
        serde_json::json!({
            "version": 1,
            "access_token": "ACCESS-X",
            "refresh_token": "REFRESH-X",
            "expires_at": "2026-01-02T03:04:05Z"
        })
    );
    let back = store.load().await.unwrap().unwrap();
    assert_eq!(secret(&back.access_token), "ACCESS-X");
    assert_eq!(secret(&back.refresh_token), "REFRESH-X");
    assert_eq!(back.expires_at, Some(expires));
    // Replaced whole; nothing but the file is left in the folder.
    store
        .save(&OAuthTokens::new(None, Some(SecretString::from("R-ONLY")), None))
        .await
        .unwrap();
    let back = store.load().await.unwrap().unwrap();
    assert!(back.access_token.is_none() && back.expires_at.is_none());
    assert_eq!(secret(&back.refresh_token), "R-ONLY");
    assert_eq!(dir.entries(), ["tokens.json"]);
}

#[cfg(unix)]
#[tokio::test]
async fn file_store_permissions_are_0600() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new();
    // Even over a file that was world-readable: the replacement is created 0600.
    std::fs::write(dir.file(), b"{}").unwrap();
    std::fs::set_permissions(dir.file(), std::fs::Permissions::from_mode(0o644)).unwrap();
    let store = FileTokenStore::new(dir.file());
    store.save(&tokens("A", "R", 60)).await.unwrap();
    let mode = std::fs::metadata(dir.file()).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "{mode:o}");
    store.save(&tokens("A2", "R2", 60)).await.unwrap();
    let mode = std::fs::metadata(dir.file()).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "{mode:o}");
}

#[tokio::test]
async fn corrupt_file_is_a_store_error_without_its_content() {
    let dir = TempDir::new();
    let store = FileTokenStore::new(dir.file());
    for content in [
        "not json".to_string(),
        String::new(),
        r#"{"version":1,"access_token":"ACCESS-TOKEN-5ECRET-OLD""#.to_string(),
        // A token where a date belongs: serde would quote it.
        format!(r#"{{"version":1,"access_token":null,"refresh_token":null,"expires_at":"{REFRESH_TOKEN}"}}"#),
        format!(r#"{{"version":1,"access_token":7,"refresh_token":"{REFRESH_TOKEN}","expires_at":null}}"#),
        format!(r#"{{"version":2,"access_token":"{ACCESS_TOKEN}","refresh_token":null,"expires_at":null}}"#),
        format!(r#"{{"version":1,"access_token":"{ACCESS_TOKEN}","extra":"{REFRESH_TOKEN}"}}"#),
        "[1,2,3]".to_string(),
    ] {
        std::fs::write(dir.file(), &content).unwrap();
        let err = store.load().await.unwrap_err();
        match &err {
            Error::Store { message, .. } => assert!(message.contains("tokens.json"), "{message}"),
            other => panic!("{content}: {other:?}"),
        }
        let shown = format!("{err} {err:?} {:?}", std::error::Error::source(&err));
        assert_no_secret(&shown);
    }
    // Invalid UTF-8 too.
    std::fs::write(dir.file(), [0xff, 0xfe, 0x00]).unwrap();
    assert!(matches!(store.load().await, Err(Error::Store { .. })));
}

#[tokio::test]
async fn unwritable_location_is_a_store_error_and_leaves_nothing_behind() {
    let dir = TempDir::new();
    let store = FileTokenStore::new(dir.0.join("missing-folder").join("tokens.json"));
    let err = store.save(&tokens("A", "R", 60)).await.unwrap_err();
    assert!(matches!(err, Error::Store { .. }), "{err:?}");
    assert!(err.is_retryable());
    // A folder where the file should be: the rename fails, the temp file is removed.
    std::fs::create_dir(dir.file()).unwrap();
    let store = FileTokenStore::new(dir.file());
    assert!(matches!(
        store.save(&tokens("A", "R", 60)).await,
        Err(Error::Store { .. })
    ));
    assert_eq!(dir.entries(), ["tokens.json"]);
    assert!(
        matches!(store.load().await, Err(Error::Store { .. })),
        "reading a folder fails"
    );
}

#[tokio::test]
async fn debug_of_stores_shows_no_token() {
    let dir = TempDir::new();
    let memory = MemoryTokenStore::with_tokens(tokens(ACCESS_TOKEN, REFRESH_TOKEN, 60));
    let file = FileTokenStore::new(dir.file());
    let shown = format!("{memory:?} {file:?} {:?}", tokens(ACCESS_TOKEN, REFRESH_TOKEN, 60));
    assert_no_secret(&shown);
    assert!(shown.contains("tokens.json"));
    let creds = OAuthCredentials::new().with_tokens(tokens(ACCESS_TOKEN, REFRESH_TOKEN, 60));
    let builder = SepayClient::oauth(creds.with_client(CLIENT_ID, SecretString::from(CLIENT_SECRET)))
        .token_store(Arc::new(memory));
    assert_no_secret(&format!("{builder:?}"));
    assert_no_secret(&format!("{:?}", builder.build().unwrap()));
}

#[tokio::test]
async fn a_store_needs_the_client_credentials() {
    let err = SepayClient::oauth(OAuthCredentials::new())
        .token_store(Arc::new(MemoryTokenStore::new()))
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::Configuration(_)), "{err:?}");
}

#[tokio::test]
async fn an_empty_store_and_no_tokens_is_unauthorized_and_sends_nothing() {
    let server = MockServer::start().await;
    let client = client_with_store(&server, Arc::new(MemoryTokenStore::new()));
    let err = client.get_oauth_bank_account(19).await.unwrap_err();
    match &err {
        Error::Unauthorized(ctx) => assert!(ctx.message.contains("log in"), "{}", ctx.message),
        other => panic!("{other:?}"),
    }
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn tokens_are_loaded_once_at_first_use_and_not_when_given() {
    let server = MockServer::start().await;
    mount_account_for(&server, "STORED-ACCESS").await;
    let store = Arc::new(CountingStore::default());
    store
        .inner
        .save(&tokens("STORED-ACCESS", "STORED-REFRESH", 3600))
        .await
        .unwrap();
    let client = client_with_store(&server, store.clone());
    assert_eq!(store.loads.load(Ordering::SeqCst), 0, "nothing read at build time");
    for _ in 0..3 {
        client.get_oauth_bank_account(19).await.unwrap();
    }
    assert_eq!(store.loads.load(Ordering::SeqCst), 1);
    assert_eq!(store.saves.load(Ordering::SeqCst), 0, "no refresh, no save");
    assert!(requests_to(&server, TOKEN).await.is_empty());

    // Tokens given to the builder win over the store.
    mount_account_for(&server, ACCESS_TOKEN).await;
    let given = SepayClient::oauth(full_credentials())
        .base_url(&server.uri())
        .token_store(store.clone())
        .build()
        .unwrap();
    given.get_oauth_bank_account(19).await.unwrap();
    assert_eq!(store.loads.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn hundred_concurrent_calls_with_an_expired_token_refresh_and_save_once() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(TOKEN))
        .respond_with(token_reply("NEW-ACCESS-1", "NEW-REFRESH-2").set_delay(Duration::from_millis(200)))
        .expect(1)
        .mount(&server)
        .await;
    mount_account_for(&server, "NEW-ACCESS-1").await;
    let store = Arc::new(CountingStore::default());
    store
        .inner
        .save(&tokens(ACCESS_TOKEN, REFRESH_TOKEN, -60))
        .await
        .unwrap();
    let client = client_with_store(&server, store.clone());
    let calls = (0..100).map(|_| {
        let c = client.clone();
        tokio::spawn(async move { c.get_oauth_bank_account(19).await })
    });
    for r in futures::future::join_all(calls).await {
        assert_eq!(r.unwrap().unwrap().id, "19");
    }
    assert_eq!(
        requests_to(&server, TOKEN).await.len(),
        1,
        "one refresh for 100 callers"
    );
    assert_eq!(store.saves.load(Ordering::SeqCst), 1, "one save");
    // The load at first use, then the refresh's two looks for a newer version saved by another
    // instance (before taking the refresh lock and under it): never one per caller.
    assert_eq!(store.loads.load(Ordering::SeqCst), 3, "three loads for 100 callers");
    let saved = store.inner.load().await.unwrap().unwrap();
    assert_eq!(secret(&saved.refresh_token), "NEW-REFRESH-2");
    assert_eq!(secret(&saved.access_token), "NEW-ACCESS-1");
    let body = form(&requests_to(&server, TOKEN).await[0].body);
    assert_eq!(body["refresh_token"], REFRESH_TOKEN);
    assert_eq!(requests_to(&server, ACCOUNT_19).await.len(), 100);
}

#[tokio::test]
async fn refresh_rotation_is_persisted_to_the_file_before_it_is_used() {
    let server = MockServer::start().await;
    // Each refresh token works once, and gives the next one.
    for (n, (used, access, next)) in [
        (REFRESH_TOKEN, "NEW-ACCESS-1", "NEW-REFRESH-2"),
        ("NEW-REFRESH-2", "NEW-ACCESS-2", "NEW-REFRESH-3"),
    ]
    .into_iter()
    .enumerate()
    {
        let reply = ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "access_token": access,
            "token_type": "Bearer",
            // The first reply's access token is already past the leeway: the next call refreshes.
            "expires_in": if n == 0 { 10 } else { 3600 },
            "refresh_token": next,
        }));
        Mock::given(method("POST"))
            .and(path(TOKEN))
            .and(wiremock::matchers::body_string_contains(format!(
                "refresh_token={used}"
            )))
            .respond_with(reply)
            .expect(1)
            .mount(&server)
            .await;
    }
    mount_account_for(&server, "NEW-ACCESS-1").await;
    mount_account_for(&server, "NEW-ACCESS-2").await;
    let dir = TempDir::new();
    let store = Arc::new(FileTokenStore::new(dir.file()));
    store.save(&tokens(ACCESS_TOKEN, REFRESH_TOKEN, -1)).await.unwrap();

    let client = client_with_store(&server, store.clone());
    client.get_oauth_bank_account(19).await.unwrap();
    let on_disk = FileTokenStore::new(dir.file()).load().await.unwrap().unwrap();
    assert_eq!(secret(&on_disk.refresh_token), "NEW-REFRESH-2");
    assert_eq!(secret(&on_disk.access_token), "NEW-ACCESS-1");

    client.get_oauth_bank_account(19).await.unwrap();
    let on_disk = FileTokenStore::new(dir.file()).load().await.unwrap().unwrap();
    assert_eq!(secret(&on_disk.refresh_token), "NEW-REFRESH-3");
    assert_eq!(secret(&on_disk.access_token), "NEW-ACCESS-2");
    assert!(on_disk.expires_at.unwrap() > Utc::now() + chrono::Duration::seconds(3500));

    // A restart reads the file and goes on without refreshing.
    let restarted = client_with_store(&server, Arc::new(FileTokenStore::new(dir.file())));
    restarted.get_oauth_bank_account(19).await.unwrap();
    assert_eq!(requests_to(&server, TOKEN).await.len(), 2);
    assert_eq!(dir.entries(), ["tokens.json"]);
}

#[tokio::test]
async fn a_failed_save_is_reported_and_retried_before_the_next_use() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(TOKEN))
        .respond_with(token_reply("NEW-ACCESS-1", "NEW-REFRESH-2"))
        .expect(1)
        .mount(&server)
        .await;
    mount_account_for(&server, "NEW-ACCESS-1").await;
    let store = Arc::new(CountingStore::default());
    store
        .inner
        .save(&tokens(ACCESS_TOKEN, REFRESH_TOKEN, -60))
        .await
        .unwrap();
    store.fail_saves.store(true, Ordering::SeqCst);
    let client = client_with_store(&server, store.clone());

    let err = client.get_oauth_bank_account(19).await.unwrap_err();
    assert!(matches!(err, Error::Store { .. }), "{err:?}");
    // The new tokens are kept in memory (SePay already spent the old refresh token)...
    let held = client.oauth_tokens().await.unwrap();
    assert_eq!(secret(&held.refresh_token), "NEW-REFRESH-2");
    // ...and saved before the next call goes out; while saving fails, no call goes out.
    assert!(matches!(
        client.get_oauth_bank_account(19).await,
        Err(Error::Store { .. })
    ));
    assert!(requests_to(&server, ACCOUNT_19).await.is_empty());
    store.fail_saves.store(false, Ordering::SeqCst);
    client.get_oauth_bank_account(19).await.unwrap();
    assert_eq!(
        secret(&store.inner.load().await.unwrap().unwrap().refresh_token),
        "NEW-REFRESH-2"
    );
    client.get_oauth_bank_account(19).await.unwrap();
    assert_eq!(
        store.saves.load(Ordering::SeqCst),
        3,
        "failed, failed, saved; then nothing to save"
    );
}
