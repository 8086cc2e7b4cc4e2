//! Each request is a `finan.request` span with its fields and without credentials.
//!
//! Alone in its test binary on purpose: it captures with a thread-local subscriber, and other
//! tests running at the same time in the same process, with no subscriber, race it when
//! tracing registers the span's callsite and caches its interest (then the span is never
//! created for this subscriber, and the test fails now and then).

mod common;

use common::{client, SECRET};
use provider_finan::AccountFilter;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Collects span and event fields as `name=value` text.
#[derive(Default, Clone)]
struct Capture(std::sync::Arc<std::sync::Mutex<Vec<String>>>);

struct Fields<'a>(&'a mut Vec<String>);

impl tracing::field::Visit for Fields<'_> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0.push(format!("{}={value:?}", field.name()));
    }
}

impl tracing::Subscriber for Capture {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, span: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        let mut lines = self.0.lock().unwrap();
        lines.push(format!("span {}", span.metadata().name()));
        span.record(&mut Fields(&mut lines));
        tracing::span::Id::from_u64(lines.len() as u64)
    }
    fn record(&self, _: &tracing::span::Id, values: &tracing::span::Record<'_>) {
        values.record(&mut Fields(&mut self.0.lock().unwrap()));
    }
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        event.record(&mut Fields(&mut self.0.lock().unwrap()));
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

#[tokio::test]
async fn each_request_is_a_span_without_credentials() {
    let capture = Capture::default();
    let _guard = tracing::subscriber::set_default(capture.clone());
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            serde_json::json!({"message": {"content": "ok"}, "code": 102000, "request_id": "req-span", "data": []}),
        ))
        .mount(&server)
        .await;
    client(&server)
        .list_master_accounts(&AccountFilter::all())
        .await
        .unwrap();
    let text = capture.0.lock().unwrap().join("\n");
    for field in [
        "span finan.request",
        "provider=\"finan\"",
        "operation=\"master bank account list\"",
        "http.status=200",
        "request_id=\"req-span\"",
        "elapsed_ms=",
    ] {
        assert!(text.contains(field), "{field} missing from:\n{text}");
    }
    assert!(!text.contains(SECRET), "{text}");
    for header in ["x-signature", "x-client-id", "x-timestamp"] {
        assert!(
            !text.to_ascii_lowercase().contains(header),
            "{header} recorded:\n{text}"
        );
    }
}
