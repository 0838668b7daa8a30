//! What goes wrong on the way: a mail server that is down or refuses, copies of a message, a message
//! that cannot be read.

use std::time::Duration;

use crate::app::{self, TestApp};
use testkit::smtp::{SmtpServer, header};

#[tokio::test]
async fn an_e_mail_waits_for_a_mail_server_that_is_down_and_goes_out_once_it_is_back() {
    let mut smtp = SmtpServer::reserve();
    let mut app = TestApp::spawn(smtp.port()).await;
    let id = app::conversion_id();

    app.publish(&[app::succeeded(&id, "ada@example.com")]).await;
    testkit::wait_until("a failed attempt", Duration::from_secs(20), || {
        let retries = app.status.retries();
        async move { (retries >= 1).then_some(()) }
    })
    .await;
    smtp.start().await;

    let messages = smtp.wait_for_mail(Duration::from_secs(30)).await;
    app.wait_settled(1).await;
    assert_eq!(smtp.messages().len(), 1, "{messages:?}");
    assert_eq!(header(&messages[0], "Subject").as_deref(), Some("Your MP3 is ready"));
    assert_eq!(app.notification(&format!("conversion:{id}:4")).await.as_deref(), Some("sent"));
    app.stop().await;
}

#[tokio::test]
async fn a_mail_server_that_refuses_the_e_mail_for_good_is_not_asked_again() {
    let mut smtp = SmtpServer::reserve();
    smtp.start_refusing().await;
    let mut app = TestApp::spawn(smtp.port()).await;
    let id = app::conversion_id();

    app.publish(&[app::succeeded(&id, "nobody@example.com")]).await;
    app.wait_settled(1).await;

    assert_eq!(app.notification(&format!("conversion:{id}:4")).await.as_deref(), Some("failed"));
    assert_eq!(app.status.retries(), 0);
    assert_eq!(app.ready_in(&app.topology.notifier_queue()).await, 0);
    app.stop().await;
}

#[tokio::test]
async fn two_copies_of_an_outcome_arriving_together_send_one_e_mail() {
    let smtp = SmtpServer::start_accepting().await;
    let mut app = TestApp::spawn(smtp.port()).await;
    let outcome = app::succeeded(&app::conversion_id(), "ada@example.com");

    app.publish(&[outcome.clone(), outcome]).await;
    app.wait_settled(2).await;

    assert_eq!(smtp.messages().len(), 1, "{:?}", smtp.messages());
    app.stop().await;
}

#[tokio::test]
async fn an_outcome_whose_sending_was_cut_short_by_a_crash_is_sent_again() {
    let smtp = SmtpServer::start_accepting().await;
    let mut app = TestApp::spawn(smtp.port()).await;
    let id = app::conversion_id();
    // What a notifier that died while sending leaves: a claim whose lease ran out.
    let stale = "INSERT INTO notifications (message_id, state, updated_at) \
                 VALUES ($1, 'sending', now() - interval '1 hour')";
    sqlx::query(stale).bind(format!("conversion:{id}:4")).execute(&app.pool).await.unwrap();

    app.publish(&[app::succeeded(&id, "ada@example.com")]).await;

    smtp.wait_for_mail(Duration::from_secs(30)).await;
    app.wait_settled(1).await;
    assert_eq!(app.notification(&format!("conversion:{id}:4")).await.as_deref(), Some("sent"));
    app.stop().await;
}

#[tokio::test]
async fn an_unreadable_message_is_dead_lettered_and_does_not_hold_up_the_next() {
    let smtp = SmtpServer::start_accepting().await;
    let mut app = TestApp::spawn(smtp.port()).await;

    app.publish_raw("conversion.succeeded", b"{ not json").await;
    app.publish(&[app::succeeded(&app::conversion_id(), "ada@example.com")]).await;

    smtp.wait_for_mail(Duration::from_secs(30)).await;
    let dead = app.topology.dead_letter_queue();
    testkit::wait_until("the message to be dead-lettered", Duration::from_secs(20), || {
        let app = &app;
        let dead = dead.clone();
        async move { (app.ready_in(&dead).await == 1).then_some(()) }
    })
    .await;
    app.stop().await;
}
