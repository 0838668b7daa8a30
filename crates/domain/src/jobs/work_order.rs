//! What a worker is handed to run a job.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What a worker needs to run a job, stored beside its document and handed out by `claim_next`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkOrder {
    /// The job's id.
    pub id: String,
    /// The handler that runs it.
    pub kind: String,
    /// The job's message.
    pub message: String,
    /// The kind's input.
    pub payload: Option<Value>,
    /// 0–9.
    pub priority: u8,
}
