//! What the dependency follower makes of a batch of the log, on the CPU only: the jobs queued with
//! dependencies, the jobs that ended, and, given what Postgres says about those, whom to tell what
//! and which dependents to remember.

use std::collections::{BTreeSet, HashMap, HashSet};

use domain::jobs::{DependencyOutcome, Job};
use eventlog::LoggedEvent;

/// A batch, as the follower needs it.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct BatchPlan {
    /// Jobs queued in the batch with dependencies, with them.
    pub waiting: Vec<(String, Vec<String>)>,
    /// Jobs that ended in the batch, and how.
    pub endings: Vec<(String, DependencyOutcome)>,
}

/// One thing to tell a waiting job: how one of its dependencies ended.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Tell {
    /// The waiting job.
    pub dependent: String,
    /// The job it waits for.
    pub dependency: String,
    /// How that one ended.
    pub outcome: DependencyOutcome,
}

/// What handling a batch comes to.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Handling {
    /// What to tell whom, each once.
    pub tells: Vec<Tell>,
    /// `(dependency, dependent)` pairs to remember: dependencies that have not ended yet.
    pub remember: Vec<(String, String)>,
    /// Dependencies whose remembered dependents need not be remembered any more: they ended, and
    /// their dependents are told in this batch.
    pub forget: Vec<String>,
}

impl BatchPlan {
    /// Picks out of `batch` the jobs queued with dependencies and the jobs that ended.
    pub(crate) fn of(batch: &[LoggedEvent]) -> Self {
        let mut plan = Self::default();
        for event in batch.iter().filter(|event| event.aggregate_type == <Job as cqrs_es::Aggregate>::TYPE) {
            if let Some(outcome) = DependencyOutcome::of_event_type(&event.event_type) {
                plan.endings.push((event.aggregate_id.clone(), outcome));
            } else if event.event_type == "JobQueued" {
                // Only `dependsOn` is needed of the spec: read where it is rather than deserialising
                // the whole payload, message and all.
                let ids = event.payload.pointer("/JobQueued/spec/dependsOn").and_then(|ids| ids.as_array());
                let ids: Vec<String> =
                    ids.into_iter().flatten().filter_map(|id| id.as_str().map(str::to_owned)).collect();
                if !ids.is_empty() {
                    plan.waiting.push((event.aggregate_id.clone(), ids));
                }
            }
        }
        plan
    }

    /// Whether the batch concerns dependencies at all.
    pub(crate) fn is_empty(&self) -> bool {
        self.waiting.is_empty() && self.endings.is_empty()
    }

    /// Every dependency of the jobs queued in the batch, each once: Postgres is asked which of them
    /// ended already.
    pub(crate) fn dependencies(&self) -> Vec<String> {
        let unique: HashSet<&String> = self.waiting.iter().flat_map(|(_, ids)| ids).collect();
        unique.into_iter().cloned().collect()
    }

    /// Every job that ended in the batch: Postgres is asked which jobs wait for them.
    pub(crate) fn ended(&self) -> Vec<String> {
        self.endings.iter().map(|(id, _)| id.clone()).collect()
    }

    /// Decides the batch, given how the dependencies of the jobs it queued ended (if they did, as
    /// Postgres shows them after the batch was read) and which remembered jobs wait for the jobs it
    /// ended (`(dependency, dependent)`). A job queued in the batch whose dependency ended is told at
    /// once; one whose dependency has not ended is remembered until it does.
    pub(crate) fn decide(
        &self,
        ended_before: &HashMap<String, DependencyOutcome>,
        remembered: &[(String, String)],
    ) -> Handling {
        let mut tells = HashSet::new();
        let mut remember = Vec::new();
        for (dependent, dependencies) in &self.waiting {
            for dependency in dependencies {
                match ended_before.get(dependency) {
                    Some(&outcome) => {
                        tells.insert(Tell {
                            dependent: dependent.clone(),
                            dependency: dependency.clone(),
                            outcome,
                        });
                    }
                    None => remember.push((dependency.clone(), dependent.clone())),
                }
            }
        }
        let outcomes: HashMap<&String, DependencyOutcome> =
            self.endings.iter().map(|(id, outcome)| (id, *outcome)).collect();
        for (dependency, dependent) in remembered.iter().chain(&remember) {
            if let Some(&outcome) = outcomes.get(dependency) {
                tells.insert(Tell { dependent: dependent.clone(), dependency: dependency.clone(), outcome });
            }
        }
        remember.retain(|(dependency, _)| !outcomes.contains_key(dependency));
        let mut tells: Vec<Tell> = tells.into_iter().collect();
        tells.sort();
        // Only the remembered pairs of the jobs that ended are stored: no others to forget.
        let forget: BTreeSet<&String> = remembered.iter().map(|(dependency, _)| dependency).collect();
        Handling { tells, remember, forget: forget.into_iter().cloned().collect() }
    }
}

#[cfg(test)]
mod tests;
