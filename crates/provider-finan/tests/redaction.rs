//! The secret key and signatures never show in `Debug` output or in errors.

mod common;

use common::{client, error_body, SECRET};
use gateway_core::Error;
use provider_finan::{AccountFilter, FinanClient, SecretString};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// True when `text` has a run of 64 hex digits (what a signature looks like).
fn has_hex_digest(text: &str) -> bool {
    text.as_bytes()
        .split(|b| !b.is_ascii_hexdigit())
        .any(|run| run.len() >= 64)
}

fn assert_clean(text: &str, signatures: &[String]) {
    assert!(!text.contains(SECRET), "secret in {text}");
    assert!(!has_hex_digest(text), "a digest in {text}");
    for s in signatures {
        assert!(!text.contains(s.as_str()), "signature in {text}");
    }
}

#[test]
fn debug_of_builder_and_client_hides_the_secret() {
    let builder = FinanClient::builder()
        .client_id("my-client")
        .secret_key(SecretString::from(SECRET));
    let shown = format!("{builder:?}");
    assert_clean(&shown, &[]);
    assert!(shown.contains("REDACTED"), "{shown}");
    let client = builder.build().unwrap();
    let shown = format!("{client:?} {client:#?}");
    assert_clean(&shown, &[]);
    assert!(
        shown.contains("my-client") && shown.contains("https://api.finan.one/open"),
        "{shown}"
    );
    assert!(shown.contains("REDACTED"), "{shown}");
}

#[tokio::test]
async fn errors_contain_no_secret_or_signature() {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(401).set_body_json(error_body("Invalid signature", "r1")))
        .mount(&server)
        .await;
    let err = client(&server)
        .list_master_accounts(&AccountFilter::all())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unauthorized(_)));
    let signatures: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| r.headers.get("x-signature").unwrap().to_str().unwrap().to_string())
        .collect();
    assert_eq!(signatures.len(), 1);
    assert_clean(&format!("{err} {err:?}"), &signatures);
}

#[tokio::test]
async fn transport_errors_contain_no_secret() {
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let client = FinanClient::builder()
        .client_id("id")
        .secret_key(SecretString::from(SECRET))
        .base_url(&format!("http://{addr}/open"))
        .build()
        .unwrap();
    let err = client.list_master_accounts(&AccountFilter::all()).await.unwrap_err();
    let mut text = format!("{err} {err:?}");
    let mut source = std::error::Error::source(&err);
    while let Some(s) = source {
        text.push_str(&format!(" {s} {s:?}"));
        source = s.source();
    }
    assert_clean(&text, &[]);
}

#[test]
fn configuration_errors() {
    let missing_secret = FinanClient::builder().client_id("id").build().unwrap_err();
    assert!(matches!(missing_secret, Error::Configuration(_)));
    let missing_id = FinanClient::builder()
        .secret_key(SecretString::from(SECRET))
        .build()
        .unwrap_err();
    assert!(matches!(missing_id, Error::Configuration(_)));
    assert_clean(&format!("{missing_id} {missing_id:?}"), &[]);
    for base in [
        "not a url",
        "ftp://api.finan.one/open",
        "https://api.finan.one/open?x=1",
        "mailto:x@y.z",
    ] {
        let err = FinanClient::builder()
            .client_id("id")
            .secret_key(SecretString::from(SECRET))
            .base_url(base)
            .build()
            .unwrap_err();
        assert!(matches!(err, Error::Configuration(_)), "{base}: {err:?}");
        assert_clean(&format!("{err} {err:?}"), &[]);
    }
    let with_password = FinanClient::builder()
        .client_id("id")
        .secret_key(SecretString::from(SECRET))
        .base_url("https://user:hunter2@api.finan.one/open")
        .build()
        .unwrap_err();
    assert!(!format!("{with_password:?}").contains("hunter2"));
    let zero = FinanClient::builder()
        .client_id("id")
        .secret_key(SecretString::from(SECRET))
        .timeout(std::time::Duration::ZERO)
        .build();
    assert!(matches!(zero, Err(Error::Configuration(_))));
}
