//! Building connections from environment variables.

use std::collections::HashMap;

use gateway::connection::{self, from_vars};
use gateway::Error;

fn build(vars: &[(&str, &str)]) -> Vec<Result<connection::Connection, connection::ConnectionError>> {
    let map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    from_vars(|name| map.get(name).cloned())
}

#[test]
fn nothing_set_means_no_connection() {
    assert!(build(&[]).is_empty());
    assert!(build(&[
        (connection::FINAN_CLIENT_ID, "  "),
        (connection::SEPAY_BASE_URL, "http://x")
    ])
    .is_empty());
}

#[test]
fn each_credential_set_is_one_named_connection() {
    let built = build(&[
        (connection::FINAN_CLIENT_ID, "id"),
        (connection::FINAN_SECRET_KEY, "secret"),
        (connection::SEPAY_API_TOKEN, "token"),
        (connection::SEPAY_OAUTH_ACCESS_TOKEN, "access"),
    ]);
    let names: Vec<_> = built.iter().map(|c| c.as_ref().unwrap().name().to_string()).collect();
    assert_eq!(names, ["finan", "sepay-token", "sepay-oauth"]);
    let providers: Vec<_> = built
        .iter()
        .map(|c| c.as_ref().unwrap().provider().provider_name())
        .collect();
    assert_eq!(providers, ["finan", "sepay", "sepay"]);
}

#[test]
fn half_configured_names_the_missing_variable_not_the_values() {
    let built = build(&[
        (connection::FINAN_SECRET_KEY, "s3cr3t-finan-value"),
        (connection::SEPAY_OAUTH_REFRESH_TOKEN, "r3fr3sh-value"),
    ]);
    assert_eq!(built.len(), 2);
    for (result, missing) in built
        .iter()
        .zip([connection::FINAN_CLIENT_ID, connection::SEPAY_OAUTH_CLIENT_ID])
    {
        let err = result.as_ref().expect_err("half-configured connection fails");
        assert!(matches!(err.error, Error::Configuration(_)));
        let text = format!("{err} {err:?}");
        assert!(text.contains(missing), "{text}");
        assert!(!text.contains("s3cr3t") && !text.contains("r3fr3sh"), "{text}");
    }
}

#[test]
fn a_bad_base_url_is_a_configuration_error() {
    let built = build(&[
        (connection::FINAN_CLIENT_ID, "id"),
        (connection::FINAN_SECRET_KEY, "secret"),
        (connection::FINAN_BASE_URL, "not a url"),
    ]);
    assert!(matches!(
        built[0].as_ref().err().map(|e| &e.error),
        Some(Error::Configuration(_))
    ));
}

#[test]
fn finan_requests_per_minute_is_read_and_checked() {
    let ok = build(&[
        (connection::FINAN_CLIENT_ID, "id"),
        (connection::FINAN_SECRET_KEY, "secret"),
        (connection::FINAN_REQUESTS_PER_MINUTE, "500"),
    ]);
    assert!(ok[0].is_ok(), "{:?}", ok[0].as_ref().err());
    for bad in ["0", "fast", "-5"] {
        let built = build(&[
            (connection::FINAN_CLIENT_ID, "id"),
            (connection::FINAN_SECRET_KEY, "secret"),
            (connection::FINAN_REQUESTS_PER_MINUTE, bad),
        ]);
        let err = built[0].as_ref().err().map(|e| &e.error);
        assert!(
            matches!(err, Some(Error::Configuration(m)) if m.contains("FINAN_REQUESTS_PER_MINUTE")),
            "{bad}: {err:?}"
        );
    }
}
