//! A reference model of a job's rules, written from README.md's account of jobs rather than from the
//! aggregate: where a job stands, how many runs it has had, and whether a command is refused.

use std::collections::BTreeSet;

use domain::jobs::JobStatus;

/// A command, as the properties generate it.
#[derive(Debug, Clone)]
pub enum Command {
    Queue { max_attempts: u32, later: bool },
    Start { worker: &'static str },
    Finish { worker: &'static str, outcome: Outcome },
    Cancel,
    Rescue { worker: &'static str },
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Outcome {
    Succeeded,
    Failed { retryable: bool },
}

/// Why the model expects a command to be refused.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Refusal {
    Unknown,
    AlreadyQueued,
    NotRunnable,
    NotCancellable,
}

#[derive(Debug, Clone, PartialEq)]
enum Stage {
    Unknown,
    /// Queued, scheduled or retrying.
    Waiting(JobStatus),
    Running(&'static str),
    Over(JobStatus),
}

#[derive(Debug, Clone)]
pub struct ReferenceJob {
    stage: Stage,
    runs: u32,
    max_attempts: u32,
    rescued_from: BTreeSet<&'static str>,
}

impl Default for ReferenceJob {
    fn default() -> Self {
        Self { stage: Stage::Unknown, runs: 0, max_attempts: 0, rescued_from: BTreeSet::new() }
    }
}

impl ReferenceJob {
    /// The status a client sees.
    pub fn status(&self) -> Option<JobStatus> {
        match self.stage {
            Stage::Unknown => None,
            Stage::Waiting(status) | Stage::Over(status) => Some(status),
            Stage::Running(_) => Some(JobStatus::Running),
        }
    }

    /// How many runs have counted so far.
    pub fn runs(&self) -> u32 {
        self.runs
    }

    /// Carries out `command`, or says why it is refused.
    pub fn handle(&mut self, command: &Command) -> Result<(), Refusal> {
        if let Command::Queue { max_attempts, later } = *command {
            if self.stage != Stage::Unknown {
                return Err(Refusal::AlreadyQueued);
            }
            self.max_attempts = max_attempts;
            self.stage = Stage::Waiting(if later { JobStatus::Scheduled } else { JobStatus::Queued });
            return Ok(());
        }
        if self.stage == Stage::Unknown {
            return Err(Refusal::Unknown);
        }
        match *command {
            Command::Queue { .. } => unreachable!("handled above"),
            // Recording a start twice is harmless: the worker retries when the log was away.
            Command::Start { worker } if self.stage == Stage::Running(worker) => {}
            Command::Start { worker } => {
                let Stage::Waiting(_) = self.stage else { return Err(Refusal::NotRunnable) };
                self.runs += 1;
                self.stage = Stage::Running(worker);
            }
            Command::Finish { worker, outcome } => {
                // A short run is reported without a start: the report is the whole run. The job does
                // not know which worker took it from the queue, so a report on a waiting job counts
                // whoever sends it, even a worker it was rescued from.
                match self.stage {
                    Stage::Running(holder) if holder == worker => {}
                    Stage::Waiting(_) => self.runs += 1,
                    _ => return Err(Refusal::NotRunnable),
                }
                self.stage = match outcome {
                    Outcome::Succeeded => Stage::Over(JobStatus::Succeeded),
                    Outcome::Failed { retryable: true } if self.runs < self.max_attempts => {
                        Stage::Waiting(JobStatus::Retrying)
                    }
                    Outcome::Failed { .. } => Stage::Over(JobStatus::Failed),
                };
            }
            Command::Cancel => {
                let Stage::Waiting(_) = self.stage else { return Err(Refusal::NotCancellable) };
                self.stage = Stage::Over(JobStatus::Cancelled);
            }
            Command::Rescue { worker } => {
                // A rescue counts as a run; a second one from the same worker, or one from a worker
                // that no longer runs the job, changes nothing.
                match self.stage {
                    Stage::Running(holder) if holder == worker => {}
                    Stage::Waiting(_) if !self.rescued_from.contains(worker) => self.runs += 1,
                    _ => return Ok(()),
                }
                if self.runs >= self.max_attempts {
                    self.stage = Stage::Over(JobStatus::Failed);
                } else {
                    self.stage = Stage::Waiting(JobStatus::Queued);
                    self.rescued_from.insert(worker);
                }
            }
        }
        Ok(())
    }
}
