//! What the owner receives for each outcome.

use std::time::Duration;

use crate::app::{self, TestApp};
use testkit::smtp::{SmtpServer, body, header};

#[tokio::test]
async fn a_succeeded_conversion_sends_its_owner_one_e_mail_with_the_download_path() {
    let smtp = SmtpServer::start_accepting().await;
    let mut app = TestApp::spawn(smtp.port()).await;
    let id = app::conversion_id();

    app.publish(&[app::succeeded(&id, "ada@example.com")]).await;

    let messages = smtp.wait_for_mail(Duration::from_secs(30)).await;
    app.wait_settled(1).await;
    assert_eq!(smtp.messages().len(), 1, "{messages:?}");
    let mail = &messages[0];
    assert_eq!(header(mail, "Subject").as_deref(), Some("Your MP3 is ready"), "{mail}");
    assert_eq!(header(mail, "To").as_deref(), Some("ada@example.com"), "{mail}");
    let message_id = format!("<conversion.{id}.4@reprise.local>");
    assert_eq!(header(mail, "Message-ID").as_deref(), Some(message_id.as_str()), "{mail}");
    assert!(body(mail).contains(&format!("\n/v1/conversions/{id}/mp3\n")), "{mail}");
    assert!(body(mail).contains(&format!("Conversion id: {id}")), "{mail}");
    assert_eq!(app.notification(&format!("conversion:{id}:4")).await.as_deref(), Some("sent"));
    app.stop().await;
}

#[tokio::test]
async fn a_failed_conversion_tells_its_owner_why() {
    let smtp = SmtpServer::start_accepting().await;
    let mut app = TestApp::spawn(smtp.port()).await;
    let id = app::conversion_id();

    app.publish(&[app::failed(&id, "ada@example.com", "the video has no audio stream")]).await;

    let messages = smtp.wait_for_mail(Duration::from_secs(30)).await;
    let mail = &messages[0];
    assert_eq!(header(mail, "Subject").as_deref(), Some("Your conversion failed"), "{mail}");
    assert_eq!(header(mail, "To").as_deref(), Some("ada@example.com"), "{mail}");
    assert!(body(mail).contains("Reason: the video has no audio stream"), "{mail}");
    assert!(body(mail).contains(&format!("Conversion id: {id}")), "{mail}");
    app.stop().await;
}

#[tokio::test]
async fn the_same_outcome_delivered_twice_sends_one_e_mail() {
    let smtp = SmtpServer::start_accepting().await;
    let mut app = TestApp::spawn(smtp.port()).await;
    let id = app::conversion_id();
    let outcome = app::succeeded(&id, "ada@example.com");

    app.publish(std::slice::from_ref(&outcome)).await;
    smtp.wait_for_mail(Duration::from_secs(30)).await;
    app.publish(std::slice::from_ref(&outcome)).await;
    app.wait_settled(2).await;

    assert_eq!(smtp.messages().len(), 1, "{:?}", smtp.messages());
    app.stop().await;
}

#[tokio::test]
async fn the_notifier_reports_itself_ready_once_it_consumes() {
    let smtp = SmtpServer::start_accepting().await;
    let mut app = TestApp::spawn(smtp.port()).await;

    for path in ["/healthz", "/readyz", "/metrics"] {
        assert_eq!(app.operations(path).await, 200, "{path}");
    }
    app.stop().await;
}
