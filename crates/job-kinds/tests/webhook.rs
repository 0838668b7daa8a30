//! The webhook kind against a real HTTP server on loopback.

use std::sync::{Arc, Mutex};

use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use domain::jobs::WorkOrder;
use job_kinds::{Outcome, Registry, RunContext, webhook};
use serde_json::json;

type Seen = Arc<Mutex<Vec<(HeaderMap, Vec<u8>)>>>;

async fn receiver(status: StatusCode) -> (String, Seen) {
    let seen: Seen = Arc::default();
    let kept = seen.clone();
    let app = axum::Router::new().route(
        "/hook",
        post(move |headers: HeaderMap, body: axum::body::Bytes| async move {
            kept.lock().unwrap().push((headers, body.to_vec()));
            status
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, seen)
}

fn settings() -> settings::Settings {
    let mut settings = settings::Settings::default();
    settings.jobs.webhook_secret = Some("s3cret".to_owned().into());
    settings
}

fn order(url: &str) -> WorkOrder {
    WorkOrder {
        id: "job-1".into(),
        kind: "webhook".into(),
        message: "ping".into(),
        payload: Some(json!({ "url": url, "n": 1 })),
        priority: 5,
    }
}

#[tokio::test]
async fn a_webhook_posts_the_payload_signed_with_the_configured_key() {
    let (url, seen) = receiver(StatusCode::NO_CONTENT).await;
    let hook = Registry::standard(&settings()).get("webhook").unwrap();
    let result = hook.run(&order(&url), &RunContext::new().0).await.unwrap();
    assert_eq!(result, Outcome::Succeeded(json!({ "status": 204 })));
    let seen = seen.lock().unwrap();
    let (headers, body) = &seen[0];
    assert_eq!(serde_json::from_slice::<serde_json::Value>(body).unwrap()["n"], 1);
    assert_eq!(headers["x-reprise-job"], "job-1");
    assert_eq!(headers["x-reprise-signature"].to_str().unwrap(), webhook::signature(b"s3cret", body));
}

#[tokio::test]
async fn a_failing_receiver_is_a_retryable_failure() {
    let (url, _) = receiver(StatusCode::SERVICE_UNAVAILABLE).await;
    let hook = Registry::standard(&settings()).get("webhook").unwrap();
    let failure = hook.run(&order(&url), &RunContext::new().0).await.unwrap_err();
    assert!(failure.retryable);
    assert!(failure.message.contains("503"), "{}", failure.message);
}

#[test]
fn only_allowed_hosts_and_http_urls_are_accepted() {
    let registry = Registry::standard(&settings());
    let hook = registry.get("webhook").unwrap();
    assert!(hook.validate("m", Some(&json!({ "url": "http://127.0.0.1:9/x" }))).is_ok());
    assert!(hook.validate("m", Some(&json!({ "url": "http://[::1]:9/x" }))).is_ok());
    for payload in
        [json!({ "url": "http://example.com/x" }), json!({ "url": "file:///etc/passwd" }), json!({})]
    {
        let errors = hook.validate("m", Some(&payload)).unwrap_err();
        assert_eq!(errors[0].field, "payload.url");
    }
    assert_eq!(registry.kinds(), ["message", "webhook"]);
}
