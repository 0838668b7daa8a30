//! nginx in front of several copies: a read that fails on one copy is answered by another, a write a
//! copy may have received is never sent to a second one.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use e2e::{Nginx, Stack};
use tokio::io::AsyncReadExt;

/// A copy that dies in the middle of every request: it reads the request, then drops the connection.
async fn dying_copy() -> (String, Arc<AtomicU32>) {
    let received = Arc::new(AtomicU32::new(0));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let counted = received.clone();
    tokio::spawn(async move {
        while let Ok((mut connection, _)) = listener.accept().await {
            let mut buffer = [0u8; 4096];
            if matches!(connection.read(&mut buffer).await, Ok(n) if n > 0) {
                counted.fetch_add(1, Ordering::SeqCst);
            }
        }
    });
    (address, received)
}

/// A healthy copy that answers every request 204 and counts them.
async fn counting_copy() -> (String, Arc<AtomicU32>) {
    let received = Arc::new(AtomicU32::new(0));
    let counted = received.clone();
    let app = axum::Router::new().fallback(move || {
        counted.fetch_add(1, Ordering::SeqCst);
        async { axum::http::StatusCode::NO_CONTENT }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (address, received)
}

/// One request through a fresh nginx in front of a dying copy and a healthy one; nginx's round robin
/// sends a fresh upstream's first request to its first server, the dying copy.
async fn through_fresh_nginx(method: &str, dying: &str, healthy: &str) -> u16 {
    let copies = [dying, healthy];
    let nginx = Nginx::start_in_front_of(&copies, &copies, &["127.0.0.1:9"]).await;
    let url = format!("{}/v1/jobs/0193", nginx.url);
    let request =
        reqwest::Client::new().request(reqwest::Method::from_bytes(method.as_bytes()).unwrap(), url);
    request.body("{}").send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn a_write_a_copy_received_is_never_sent_to_another_copy_but_a_read_is() {
    let (dying, dying_received) = dying_copy().await;
    let (healthy, healthy_received) = counting_copy().await;
    for method in ["POST", "PUT", "PATCH", "DELETE"] {
        let status = through_fresh_nginx(method, &dying, &healthy).await;
        assert_eq!(status, 503, "a {method} the dying copy received fails, and is not sent again");
    }
    assert_eq!(dying_received.load(Ordering::SeqCst), 4, "each write reached the dying copy");
    assert_eq!(healthy_received.load(Ordering::SeqCst), 0, "no write reached a second copy");

    for method in ["GET", "HEAD"] {
        let status = through_fresh_nginx(method, &dying, &healthy).await;
        assert_eq!(status, 204, "a {method} the dying copy failed is answered by the other");
    }
    assert_eq!(dying_received.load(Ordering::SeqCst), 6, "the reads reached the dying copy first");
    assert_eq!(healthy_received.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_query_api_that_cannot_reach_redis_leaves_the_reads_to_the_other_copy() {
    let stack = Stack::start().await;
    let redis = testkit::TcpProxy::start("127.0.0.1:6379").await;
    let mut settings = stack.settings.clone();
    settings.redis.url = format!("redis://{}", redis.address()).into();
    settings.http.query_addr = "127.0.0.1:0".into();
    let cut_off = query_api::Application::build(settings, domain::Clock::default())
        .await
        .expect("build the second query-api");
    let cut_off_address = cut_off.address().to_string();
    let stop = tokio_util::sync::CancellationToken::new();
    tokio::spawn(cut_off.run_until_stopped(stop.clone()));
    let healthy = stack.query.trim_start_matches("http://").to_owned();
    let command = stack.command.trim_start_matches("http://").to_owned();
    let nginx = Nginx::start_in_front_of(&[&cut_off_address, &healthy], &[&command], &["127.0.0.1:9"]).await;
    redis.cut();

    let direct = stack.http.get(format!("http://{cut_off_address}/v1/users/me")).bearer_auth(&stack.token);
    let direct = tokio::time::timeout(Duration::from_secs(10), direct.send()).await.unwrap().unwrap();
    assert_eq!(direct.status(), 503, "the cut-off copy cannot check a session");
    for _ in 0..10 {
        let read = stack.http.get(format!("{}/v1/users/me", nginx.url)).bearer_auth(&stack.token);
        assert_eq!(read.send().await.unwrap().status(), 200, "every read through nginx is answered");
    }
    stop.cancel();
}
