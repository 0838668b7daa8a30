use std::io::Write;
use std::sync::{Arc, Mutex};

use tracing_subscriber::fmt::MakeWriter;

use super::*;

#[derive(Debug, thiserror::Error)]
#[error("the replica at 10.0.0.7 refused the password of db_admin")]
struct Refused;

#[derive(Debug, thiserror::Error)]
#[error("loading job 42 failed")]
struct LoadFailed(#[source] Refused);

/// Log lines written while a test runs, kept in memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl MakeWriter<'_> for Captured {
    type Writer = Captured;

    fn make_writer(&self) -> Captured {
        self.clone()
    }
}

/// The body `error` answers with, and what was logged while it was answered.
async fn answer_and_logs(error: ApiError) -> (String, String) {
    let logs = Captured::default();
    let subscriber = tracing_subscriber::fmt().with_writer(logs.clone()).with_ansi(false).finish();
    let response = tracing::subscriber::with_default(subscriber, || error.into_response());
    let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    let logged = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    (String::from_utf8(body.to_vec()).unwrap(), logged)
}

#[tokio::test]
async fn an_internal_error_answers_without_a_word_of_its_causes() {
    let (body, _) = answer_and_logs(ApiError::internal(LoadFailed(Refused))).await;
    for secret in ["job 42", "replica", "10.0.0.7", "db_admin"] {
        assert!(!body.contains(secret), "{secret} in {body}");
    }
    assert!(body.contains("something went wrong on our side"), "{body}");
}

#[tokio::test]
async fn an_internal_error_is_logged_once_with_its_whole_cause_chain() {
    let (_, logs) = answer_and_logs(ApiError::internal(LoadFailed(Refused))).await;
    assert_eq!(logs.lines().count(), 1, "{logs}");
    assert!(
        logs.contains("loading job 42 failed: the replica at 10.0.0.7 refused the password of db_admin"),
        "{logs}"
    );
}

#[tokio::test]
async fn a_client_error_is_not_logged() {
    let (body, logs) = answer_and_logs(ApiError::NotFound("no such job".to_owned())).await;
    assert!(body.contains("no such job"), "{body}");
    assert_eq!(logs, "");
}

#[test]
fn a_cause_chain_names_every_cause_outermost_first() {
    let error = LoadFailed(Refused);
    assert_eq!(
        cause_chain(&error),
        "loading job 42 failed: the replica at 10.0.0.7 refused the password of db_admin"
    );
    assert_eq!(cause_chain(&Refused), "the replica at 10.0.0.7 refused the password of db_admin");
}

#[test]
fn an_internal_error_keeps_its_cause_as_its_source() {
    let error = ApiError::internal(LoadFailed(Refused));
    let source = std::error::Error::source(&error).expect("a source");
    assert_eq!(source.to_string(), "loading job 42 failed");
}
