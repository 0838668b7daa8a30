//! `message`, the default kind: the worker records the message as processed.

use domain::jobs::WorkOrder;

use crate::{Failure, FieldError, JobHandler};

/// Processes a message: its result echoes the message and its length.
#[derive(Debug, Clone, Copy)]
pub struct Message;

#[async_trait::async_trait]
impl JobHandler for Message {
    fn kind(&self) -> &'static str {
        "message"
    }

    fn validate(&self, _message: &str, _payload: Option<&serde_json::Value>) -> Result<(), Vec<FieldError>> {
        Ok(())
    }

    async fn run(&self, job: &WorkOrder) -> Result<serde_json::Value, Failure> {
        Ok(
            serde_json::json!({ "processed": true, "message": job.message, "length": job.message.chars().count() }),
        )
    }
}
