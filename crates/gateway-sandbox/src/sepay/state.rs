//! The emulator's records (bank accounts, sub-accounts) and its mutable parts: the API-token rate
//! window and the OAuth access/refresh tokens.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;

use crate::names::SeedBank;

/// How SePay prints timestamps: "2023-02-16 15:57:26".
pub(crate) const TIME_FORMAT: &str = "%Y-%m-%d %H:%M:%S";

/// Formats a timestamp the way SePay prints it.
pub(crate) fn fmt_time(t: &NaiveDateTime) -> String {
    t.format(TIME_FORMAT).to_string()
}

/// Formats an amount kept in hundredths as SePay prints it, always with two decimals ("2525493.00").
pub(crate) fn fmt_amount(hundredths: u64) -> String {
    format!("{}.{:02}", hundredths / 100, hundredths % 100)
}

/// A bank account as the API-token routes (`/userapi`) see it.
#[derive(Debug, Clone)]
pub(crate) struct TokenAccount {
    pub id: u64,
    pub holder: String,
    pub number: String,
    /// Balance in hundredths of a dong, so filters compare exactly (no floats).
    pub accumulated: u64,
    pub last_transaction: Option<NaiveDateTime>,
    pub label: String,
    pub active: bool,
    pub created_at: NaiveDateTime,
    pub bank: SeedBank,
}

/// A bank account as the OAuth 2.0 routes (`/api/v1`) see it.
#[derive(Debug, Clone)]
pub(crate) struct OauthAccount {
    pub id: u64,
    pub label: Option<String>,
    pub holder: String,
    pub number: String,
    /// Balance in hundredths of a dong.
    pub accumulated: u64,
    pub active: bool,
    pub created_at: NaiveDateTime,
    pub bank: SeedBank,
}

/// A virtual sub-account (VA) under an OAuth-visible bank account.
#[derive(Debug, Clone)]
pub(crate) struct SubAccount {
    pub id: u64,
    pub bank_account_id: u64,
    pub number: String,
    pub holder: String,
    pub label: String,
    pub active: bool,
    pub va_active: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A sliding-window rate limiter: at most `limit` admitted requests in any `window`.
///
/// Only admitted requests are recorded, so a client that is refused and then waits the advertised
/// time gets through.
#[derive(Debug)]
pub(crate) struct RateWindow {
    limit: u32,
    window: Duration,
    hits: VecDeque<Instant>,
}

impl RateWindow {
    pub(crate) fn new(limit: u32, window: Duration) -> Self {
        Self {
            limit,
            window,
            hits: VecDeque::new(),
        }
    }

    /// Records the request and returns `Ok`, or returns `Err(seconds to wait)` (at least 1).
    pub(crate) fn admit(&mut self, now: Instant) -> Result<(), u64> {
        while self.hits.front().is_some_and(|&t| now.duration_since(t) >= self.window) {
            self.hits.pop_front();
        }
        if self.hits.len() < self.limit as usize {
            self.hits.push_back(now);
            return Ok(());
        }
        let wait = self.hits.front().map_or(self.window, |&oldest| {
            (oldest + self.window).saturating_duration_since(now)
        });
        Err(u64::try_from(wait.as_millis().div_ceil(1000))
            .unwrap_or(u64::MAX)
            .max(1))
    }
}

/// What a token grants and until when.
#[derive(Debug, Clone)]
struct Grant {
    scopes: Vec<String>,
    expires_at: Instant,
}

/// Why a refresh was refused.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum RefreshError {
    /// Unknown, already used (rotated away) or expired refresh token.
    InvalidGrant,
    /// The requested scope is wider than the refresh token's.
    InvalidScope,
}

/// A successful refresh: the new pair and the scopes it carries.
#[derive(Debug)]
pub(crate) struct Refreshed {
    pub access_token: String,
    pub refresh_token: String,
    pub scopes: Vec<String>,
}

/// Refresh tokens live a month (provider reference).
const REFRESH_TTL: Duration = Duration::from_secs(30 * 24 * 3600);

/// An authorization code waiting to be exchanged at the token endpoint.
#[derive(Debug, Clone)]
struct PendingCode {
    client_id: String,
    redirect_uri: String,
    scopes: Vec<String>,
    expires_at: Instant,
}

/// Why an authorization code was refused (all `invalid_grant` on the wire, RFC 6749 5.2).
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum CodeError {
    /// Unknown, expired or already used code (a reuse also revokes what the code issued).
    Invalid,
    /// The code was issued to another client.
    OtherClient,
    /// `redirect_uri` differs from the one of the authorization request.
    RedirectMismatch,
}

/// The OAuth tokens the emulator has issued. Each refresh token is single-use: a refresh retires it
/// and issues a new one. The credentials' refresh token and every token pair from an authorization
/// code are separate grants, each rotating on its own.
#[derive(Debug)]
pub(crate) struct OauthTokens {
    /// `aud` of the access tokens issued: the OAuth client id.
    audience: String,
    /// Signs the access tokens issued (HS256); random per sandbox.
    signing_key: [u8; 32],
    access_ttl: Duration,
    code_ttl: Duration,
    access: HashMap<String, Grant>,
    /// Valid refresh tokens.
    refresh: HashMap<String, Grant>,
    /// The refresh token issued last.
    latest_refresh: String,
    codes: HashMap<String, PendingCode>,
    /// Codes already exchanged, with the tokens they issued (revoked if the code is replayed).
    used_codes: HashMap<String, (String, String)>,
}

impl OauthTokens {
    pub(crate) fn new(access_token: &str, refresh_token: &str, scopes: &[&str], access_ttl: Duration) -> Self {
        let now = Instant::now();
        let scopes: Vec<String> = scopes.iter().map(|s| s.to_string()).collect();
        let mut access = HashMap::new();
        access.insert(
            access_token.to_string(),
            Grant {
                scopes: scopes.clone(),
                expires_at: now + access_ttl,
            },
        );
        let mut refresh = HashMap::new();
        refresh.insert(
            refresh_token.to_string(),
            Grant {
                scopes,
                expires_at: now + REFRESH_TTL,
            },
        );
        let mut signing_key = [0u8; 32];
        signing_key[..16].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
        signing_key[16..].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
        Self {
            audience: "sandbox-sepay-oauth-client".into(),
            signing_key,
            access_ttl,
            code_ttl: Duration::from_secs(300),
            access,
            refresh,
            latest_refresh: refresh_token.to_string(),
            codes: HashMap::new(),
            used_codes: HashMap::new(),
        }
    }

    /// Sets the `aud` claim of the access tokens issued from now on (the OAuth client id).
    pub(crate) fn with_audience(mut self, audience: &str) -> Self {
        self.audience = audience.to_string();
        self
    }

    /// Sets how long authorization codes stay valid (documented: 5 minutes).
    pub(crate) fn with_code_ttl(mut self, code_ttl: Duration) -> Self {
        self.code_ttl = code_ttl;
        self
    }

    pub(crate) fn access_ttl(&self) -> Duration {
        self.access_ttl
    }

    /// Issues a new access token with exactly these scopes.
    pub(crate) fn issue_access(&mut self, scopes: Vec<String>) -> String {
        let token = jwt_access_token(&self.signing_key, &self.audience, &scopes, self.access_ttl);
        self.access.insert(
            token.clone(),
            Grant {
                scopes,
                expires_at: Instant::now() + self.access_ttl,
            },
        );
        token
    }

    /// The scopes of a valid access token, or `None` when it is unknown or expired.
    pub(crate) fn check_access(&self, token: &str, now: Instant) -> Option<&[String]> {
        self.access
            .get(token)
            .filter(|g| now < g.expires_at)
            .map(|g| g.scopes.as_slice())
    }

    /// Forgets every access token issued so far (they all answer 401 from now on).
    pub(crate) fn expire_all_access(&mut self) {
        self.access.clear();
    }

    /// The refresh token issued last (by a refresh or a code exchange).
    pub(crate) fn current_refresh(&self) -> &str {
        &self.latest_refresh
    }

    /// Issues a single-use authorization code for `client_id`, bound to `redirect_uri` and `scopes`.
    pub(crate) fn issue_code(
        &mut self,
        client_id: &str,
        redirect_uri: &str,
        scopes: Vec<String>,
        now: Instant,
    ) -> String {
        self.codes.retain(|_, c| now < c.expires_at);
        let code = random_token();
        self.codes.insert(
            code.clone(),
            PendingCode {
                client_id: client_id.to_string(),
                redirect_uri: redirect_uri.to_string(),
                scopes,
                expires_at: now + self.code_ttl,
            },
        );
        code
    }

    /// Exchanges an authorization code for a new access and refresh token. The code is used up by
    /// any presentation; presenting a used code again revokes the tokens it issued (RFC 6749 4.1.2).
    pub(crate) fn exchange_code(
        &mut self,
        code: &str,
        client_id: &str,
        redirect_uri: &str,
        now: Instant,
    ) -> Result<Refreshed, CodeError> {
        if let Some((access, refresh)) = self.used_codes.get(code) {
            self.access.remove(access);
            self.refresh.remove(refresh);
            return Err(CodeError::Invalid);
        }
        let pending = self.codes.remove(code).ok_or(CodeError::Invalid)?;
        if now >= pending.expires_at {
            return Err(CodeError::Invalid);
        }
        if pending.client_id != client_id {
            return Err(CodeError::OtherClient);
        }
        if pending.redirect_uri != redirect_uri {
            return Err(CodeError::RedirectMismatch);
        }
        let issued = self.issue_pair(pending.scopes, now);
        self.used_codes.insert(
            code.to_string(),
            (issued.access_token.clone(), issued.refresh_token.clone()),
        );
        Ok(issued)
    }

    /// Exchanges a valid refresh token for a new access token and a new refresh token; the old
    /// refresh token is retired. `scope`, when given, may narrow the scopes but not widen them.
    pub(crate) fn refresh(
        &mut self,
        token: &str,
        scope: Option<&str>,
        now: Instant,
    ) -> Result<Refreshed, RefreshError> {
        let Some(grant) = self.refresh.get(token).filter(|g| now < g.expires_at) else {
            return Err(RefreshError::InvalidGrant);
        };
        let scopes: Vec<String> = match scope {
            Some(s) => {
                let wanted: Vec<String> = s.split_whitespace().map(str::to_string).collect();
                if !wanted.iter().all(|w| grant.scopes.contains(w)) {
                    return Err(RefreshError::InvalidScope);
                }
                wanted
            }
            None => grant.scopes.clone(),
        };
        self.refresh.remove(token);
        Ok(self.issue_pair(scopes, now))
    }

    /// A new access token and a new refresh token, both with `scopes`.
    fn issue_pair(&mut self, scopes: Vec<String>, now: Instant) -> Refreshed {
        let access_token = self.issue_access(scopes.clone());
        let refresh_token = random_token();
        self.refresh.insert(
            refresh_token.clone(),
            Grant {
                scopes: scopes.clone(),
                expires_at: now + REFRESH_TTL,
            },
        );
        self.latest_refresh = refresh_token.clone();
        Refreshed {
            access_token,
            refresh_token,
            scopes,
        }
    }
}

fn random_token() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// An access token shaped as SePay's are: a JWT (HS256) with `iss`, `sub`, `aud`, `exp`, `iat`
/// and `scope` (space-separated), plus a `jti` so that two tokens issued in the same second with
/// the same scopes differ. The sandbox still checks tokens by looking them up; the shape is there
/// so clients meet tokens as long and dotted as the real ones, and never need to read them.
fn jwt_access_token(key: &[u8; 32], audience: &str, scopes: &[String], ttl: Duration) -> String {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine as _;
    use hmac::{Hmac, Mac};

    let iat = chrono::Utc::now().timestamp();
    let exp = iat.saturating_add(i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX));
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let claims = serde_json::json!({
        "iss": "https://my.sepay.vn",
        "sub": "sandbox-user-1",
        "aud": audience,
        "iat": iat,
        "exp": exp,
        "scope": scopes.join(" "),
        "jti": uuid::Uuid::new_v4().simple().to_string(),
    });
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    let signing_input = format!("{header}.{payload}");
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(signing_input.as_bytes());
    let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    format!("{signing_input}.{signature}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_tokens_are_jwts_with_the_documented_claims() {
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        use base64::Engine as _;
        let mut t = OauthTokens::new("a", "r", &[], Duration::from_secs(3600)).with_audience("client-1");
        let scopes = vec!["bank-account:read".to_string(), "transaction:read".to_string()];
        let token = t.issue_access(scopes.clone());
        let other = t.issue_access(scopes);
        assert_ne!(token, other, "same scopes, same second: still distinct");
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts.len(), 3, "{token}");
        let header: serde_json::Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
        assert_eq!(header["alg"], "HS256");
        let claims: serde_json::Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        for claim in ["iss", "sub", "aud", "exp", "iat", "scope"] {
            assert!(claims.get(claim).is_some(), "{claim} missing: {claims}");
        }
        assert_eq!(claims["aud"], "client-1");
        assert_eq!(claims["scope"], "bank-account:read transaction:read");
        assert_eq!(claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(), 3600);
        assert!(t.check_access(&token, Instant::now()).is_some());
    }

    #[test]
    fn rate_window_refuses_then_admits_after_the_window() {
        let mut w = RateWindow::new(2, Duration::from_millis(1000));
        let t0 = Instant::now();
        assert_eq!(w.admit(t0), Ok(()));
        assert_eq!(w.admit(t0 + Duration::from_millis(10)), Ok(()));
        assert_eq!(w.admit(t0 + Duration::from_millis(20)), Err(1));
        // Refused requests are not recorded: the window frees up 1000 ms after the first hit.
        assert_eq!(w.admit(t0 + Duration::from_millis(1000)), Ok(()));
        assert_eq!(w.admit(t0 + Duration::from_millis(1005)), Err(1));
        assert_eq!(w.admit(t0 + Duration::from_millis(1010)), Ok(()));
    }

    #[test]
    fn amounts_always_have_two_decimals() {
        assert_eq!(fmt_amount(252_549_300), "2525493.00");
        assert_eq!(fmt_amount(0), "0.00");
        assert_eq!(fmt_amount(105), "1.05");
    }

    #[test]
    fn refresh_rotates_and_keeps_scopes() {
        let mut t = OauthTokens::new(
            "a",
            "r",
            &["bank-account:read", "transaction:read"],
            Duration::from_secs(60),
        );
        let now = Instant::now();
        let first = t.refresh("r", None, now).unwrap();
        assert_eq!(first.scopes, ["bank-account:read", "transaction:read"]);
        assert_eq!(t.refresh("r", None, now).unwrap_err(), RefreshError::InvalidGrant);
        assert_eq!(
            t.refresh(&first.refresh_token, Some("profile"), now).unwrap_err(),
            RefreshError::InvalidScope
        );
        let second = t.refresh(&first.refresh_token, Some("transaction:read"), now).unwrap();
        assert_eq!(t.check_access(&second.access_token, now).unwrap(), ["transaction:read"]);
        assert_eq!(t.current_refresh(), second.refresh_token);
    }
}
