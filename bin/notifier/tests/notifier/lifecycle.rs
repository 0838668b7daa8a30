//! Losing RabbitMQ and being stopped.

use std::time::{Duration, Instant};

use crate::app::{self, TestApp};
use testkit::smtp::SmtpServer;

#[tokio::test]
async fn the_notifier_reconnects_after_losing_rabbitmq_and_sends_what_arrived_meanwhile() {
    let smtp = SmtpServer::start_accepting().await;
    let proxy = testkit::TcpProxy::start("127.0.0.1:5672").await;
    let mut app = TestApp::spawn_through(smtp.port(), proxy.address()).await;

    proxy.cut();
    app.wait_connected(false).await;
    assert_eq!(app.operations("/readyz").await, 503);
    app.publish(&[app::succeeded(&app::conversion_id(), "ada@example.com")]).await;
    proxy.restore();

    smtp.wait_for_mail(Duration::from_secs(30)).await;
    app.wait_connected(true).await;
    assert_eq!(app.operations("/readyz").await, 200);
    app.stop().await;
}

#[tokio::test]
async fn stopping_while_the_mail_server_is_down_leaves_the_outcome_for_the_next_notifier() {
    let smtp = SmtpServer::reserve();
    let mut app = TestApp::spawn(smtp.port()).await;
    let id = app::conversion_id();
    app.publish(&[app::succeeded(&id, "ada@example.com")]).await;
    testkit::wait_until("a failed attempt", Duration::from_secs(20), || {
        let retries = app.status.retries();
        async move { (retries >= 1).then_some(()) }
    })
    .await;

    let stopping = Instant::now();
    app.stop().await;

    assert!(stopping.elapsed() < Duration::from_secs(5), "a retrying send held the stop up");
    let queue = app.topology.notifier_queue();
    testkit::wait_until("the outcome to wait in the queue again", Duration::from_secs(10), || {
        let (app, queue) = (&app, queue.clone());
        async move { (app.ready_in(&queue).await == 1).then_some(()) }
    })
    .await;
    assert_eq!(app.notification(&format!("conversion:{id}:4")).await.as_deref(), Some("sending"));
}
