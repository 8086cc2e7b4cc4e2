//! The saved form of a token set in Redis: `{"access_token":..,"refresh_token":..,"expires_at":..}`
//! (absent tokens are `null`; `expires_at` is RFC 3339).

use chrono::{DateTime, Utc};
use gateway_core::Error;
use provider_sepay::OAuthTokens;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

#[derive(Serialize)]
struct Out<'a> {
    access_token: Option<&'a str>,
    refresh_token: Option<&'a str>,
    expires_at: Option<DateTime<Utc>>,
}

#[derive(Deserialize)]
struct In {
    access_token: Option<SecretString>,
    refresh_token: Option<SecretString>,
    expires_at: Option<DateTime<Utc>>,
}

/// The tokens as JSON.
pub(crate) fn encode(tokens: &OAuthTokens) -> Result<String, Error> {
    serde_json::to_string(&Out {
        access_token: tokens.access_token.as_ref().map(ExposeSecret::expose_secret),
        refresh_token: tokens.refresh_token.as_ref().map(ExposeSecret::expose_secret),
        expires_at: tokens.expires_at,
    })
    .map_err(|e| Error::Store {
        message: format!("cannot serialize the tokens ({:?} error)", e.classify()),
        source: None,
    })
}

/// Tokens from JSON; an error names the position and kind only (serde's message may quote a
/// value, and the value may be a token).
pub(crate) fn decode(json: &str) -> Result<OAuthTokens, Error> {
    let saved: In = serde_json::from_str(json).map_err(|e| Error::Store {
        message: format!(
            "the saved tokens are not a token set (invalid at line {}, column {}: {:?} error)",
            e.line(),
            e.column(),
            e.classify()
        ),
        source: None,
    })?;
    Ok(OAuthTokens::new(
        saved.access_token,
        saved.refresh_token,
        saved.expires_at,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_errors_without_values() {
        let tokens = OAuthTokens::new(Some(SecretString::from("access-secret")), None, Some(Utc::now()));
        let back = decode(&encode(&tokens).unwrap()).unwrap();
        assert_eq!(back.access_token.unwrap().expose_secret(), "access-secret");
        assert!(back.refresh_token.is_none());
        let err = decode(r#"{"access_token": 12345678}"#).unwrap_err().to_string();
        assert!(!err.contains("12345678"), "{err}");
    }
}
