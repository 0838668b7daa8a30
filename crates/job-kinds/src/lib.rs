//! What each kind of queued job does. A kind is one type implementing [`JobHandler`], registered in
//! [`Registry::standard`]: the command side asks the registry whether a kind exists and whether a
//! job's input suits it, the worker asks it to run the job.

mod context;
mod message;
pub mod webhook;

use std::collections::BTreeMap;
use std::sync::Arc;

use domain::FieldError;
use domain::jobs::WorkOrder;
use settings::Settings;

pub use context::{Outcome, RunContext};
pub use message::Message;
pub use webhook::Webhook;

/// Why a run failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// What went wrong, for a person.
    pub message: String,
    /// Whether another attempt may succeed.
    pub retryable: bool,
}

impl Failure {
    /// A failure another attempt may cure (a timeout, a 503).
    pub fn retryable(message: impl Into<String>) -> Self {
        Self { message: message.into(), retryable: true }
    }

    /// A failure that will happen again (bad input).
    pub fn permanent(message: impl Into<String>) -> Self {
        Self { message: message.into(), retryable: false }
    }
}

/// One kind of job.
#[async_trait::async_trait]
pub trait JobHandler: Send + Sync {
    /// The kind's name, as clients send it in `kind`.
    fn kind(&self) -> &'static str;

    /// Checks a new job's input before it is accepted; the errors name request fields.
    fn validate(&self, message: &str, payload: Option<&serde_json::Value>) -> Result<(), Vec<FieldError>>;

    /// Runs the job: its `result` (a `serde_json::Value` converts `into()` one), or a snooze. It may
    /// report progress through `context`.
    async fn run(&self, job: &WorkOrder, context: &RunContext) -> Result<Outcome, Failure>;
}

/// Every kind this build knows.
#[derive(Clone, Default)]
pub struct Registry {
    handlers: BTreeMap<&'static str, Arc<dyn JobHandler>>,
}

impl Registry {
    /// The kinds Reprise ships with. Register a new kind here.
    pub fn standard(settings: &Settings) -> Self {
        Self::default().with(Message).with(Webhook::new(settings))
    }

    /// Adds a kind (replacing one of the same name).
    pub fn with(mut self, handler: impl JobHandler + 'static) -> Self {
        self.handlers.insert(handler.kind(), Arc::new(handler));
        self
    }

    /// Adds a kind already shared.
    pub fn with_shared(mut self, handler: Arc<dyn JobHandler>) -> Self {
        self.handlers.insert(handler.kind(), handler);
        self
    }

    /// The handler of `kind`.
    pub fn get(&self, kind: &str) -> Option<Arc<dyn JobHandler>> {
        self.handlers.get(kind).cloned()
    }

    /// The names of every kind, sorted.
    pub fn kinds(&self) -> Vec<&'static str> {
        self.handlers.keys().copied().collect()
    }
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry").field("kinds", &self.kinds()).finish()
    }
}
