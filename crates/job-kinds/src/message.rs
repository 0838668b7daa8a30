//! `message`, the default kind: the worker records the message as processed.

use domain::jobs::WorkOrder;

use crate::{Failure, FieldError, JobHandler, Outcome, RunContext};

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

    async fn run(&self, job: &WorkOrder, _context: &RunContext) -> Result<Outcome, Failure> {
        let length = job.message.chars().count();
        Ok(serde_json::json!({ "processed": true, "message": job.message, "length": length }).into())
    }
}
