//! Properties of the job state machine: random sequences of commands from the command side, workers and
//! cleaners, decided and applied the way the event store does it.

mod reference;

use chrono::{DateTime, Duration, TimeZone, Utc};
use cqrs_es::Aggregate as _;
use domain::jobs::{Backoff, Job, JobCommand, JobEvent, JobRefusal, JobSpec, JobStatus, RunOutcome, decide};
use proptest::prelude::*;

use reference::{Command, Outcome, ReferenceJob, Refusal};

const WORKERS: [&str; 3] = ["w1", "w2", "w3"];

fn queue() -> impl Strategy<Value = Command> {
    (1u32..=3, any::<bool>()).prop_map(|(max_attempts, later)| Command::Queue { max_attempts, later })
}

fn outcome() -> impl Strategy<Value = Outcome> {
    prop_oneof![Just(Outcome::Succeeded), any::<bool>().prop_map(|retryable| Outcome::Failed { retryable })]
}

fn command() -> impl Strategy<Value = Command> {
    let worker = prop::sample::select(WORKERS.to_vec());
    prop_oneof![
        1 => queue(),
        3 => worker.clone().prop_map(|worker| Command::Start { worker }),
        4 => (worker.clone(), outcome()).prop_map(|(worker, outcome)| Command::Finish { worker, outcome }),
        1 => Just(Command::Cancel),
        3 => worker.prop_map(|worker| Command::Rescue { worker }),
    ]
}

/// Mostly a job's life from its queueing on; sometimes commands to a job that was never queued.
fn commands() -> impl Strategy<Value = Vec<Command>> {
    (prop::option::weighted(0.9, queue()), prop::collection::vec(command(), 0..=30))
        .prop_map(|(first, rest)| first.into_iter().chain(rest).collect())
}

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap()
}

/// The `n`th command as its sender would send it, a second after the one before.
fn job_command(command: &Command, n: usize, jitter: f64) -> JobCommand {
    let at = start() + Duration::seconds(n as i64);
    match *command {
        Command::Queue { max_attempts, later } => {
            let spec = JobSpec {
                kind: "message".into(),
                message: "hello".into(),
                priority: 5,
                run_at: later.then(|| at + Duration::hours(1)),
                max_attempts,
                payload: None,
                owner: "u1".into(),
                request_hash: "h1".into(),
                unique: None,
                depends_on: vec![],
            };
            JobCommand::Queue { spec, at }
        }
        Command::Start { worker } => JobCommand::Start { worker: worker.into(), at },
        Command::Finish { worker, outcome } => {
            let outcome = match outcome {
                Outcome::Succeeded => RunOutcome::Succeeded(serde_json::json!({ "run": n })),
                Outcome::Failed { retryable } => {
                    let backoff = Backoff {
                        base: std::time::Duration::from_secs(1),
                        cap: std::time::Duration::from_secs(60),
                        jitter,
                    };
                    RunOutcome::Failed { message: "boom".into(), retryable, backoff }
                }
            };
            JobCommand::Finish { worker: worker.into(), started_at: at - Duration::seconds(1), at, outcome }
        }
        Command::Cancel => JobCommand::Cancel { at },
        Command::Rescue { worker } => JobCommand::Rescue { worker: worker.into(), at },
    }
}

/// One command decided on the job, and where the job stood before and after its events.
#[derive(Debug)]
struct Step {
    command: Command,
    before: Option<JobStatus>,
    decided: Result<Vec<JobEvent>, JobRefusal>,
    after: Option<JobStatus>,
}

/// Decides each command on the job as it stands and applies the events, as the event store does.
fn live(commands: &[Command], jitter: f64) -> (Job, Vec<Step>) {
    let mut job = Job::default();
    let mut steps = Vec::new();
    for (n, command) in commands.iter().enumerate() {
        let before = job.status();
        let decided = decide(&job, job_command(command, n, jitter));
        for event in decided.iter().flatten() {
            job.apply(event.clone());
        }
        steps.push(Step { command: command.clone(), before, decided, after: job.status() });
    }
    (job, steps)
}

fn events(steps: &[Step]) -> Vec<JobEvent> {
    steps.iter().filter_map(|step| step.decided.as_ref().ok()).flatten().cloned().collect()
}

/// The run an event records, if it records one.
fn attempt_of(event: &JobEvent) -> Option<u32> {
    match *event {
        JobEvent::JobQueued { .. }
        | JobEvent::JobCancelled { .. }
        | JobEvent::JobDependencySucceeded { .. }
        | JobEvent::JobProgressed { .. }
        | JobEvent::JobSnoozed { .. }
        | JobEvent::JobReleased { .. } => None,
        JobEvent::JobStarted { attempt, .. }
        | JobEvent::JobSucceeded { attempt, .. }
        | JobEvent::JobRetryScheduled { attempt, .. }
        | JobEvent::JobFailed { attempt, .. }
        | JobEvent::JobRescued { attempt, .. } => Some(attempt),
    }
}

fn refusal(refusal: &JobRefusal) -> Refusal {
    match refusal {
        JobRefusal::AlreadyQueued { .. } => Refusal::AlreadyQueued,
        JobRefusal::Unknown => Refusal::Unknown,
        JobRefusal::NotCancellable(_) => Refusal::NotCancellable,
        JobRefusal::NotRunnable(_) => Refusal::NotRunnable,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn a_job_in_a_final_status_never_changes_again(commands in commands(), jitter in 0.0..1.0) {
        let (_, steps) = live(&commands, jitter);
        for step in steps.iter().filter(|step| step.before.is_some_and(JobStatus::is_final)) {
            prop_assert!(step.decided.as_ref().is_ok_and(Vec::is_empty) || step.decided.is_err(), "{step:?}");
            prop_assert_eq!(step.after, step.before);
        }
    }

    #[test]
    fn a_job_never_counts_more_runs_than_its_max_attempts(commands in commands(), jitter in 0.0..1.0) {
        let (job, steps) = live(&commands, jitter);
        let Some(max_attempts) = job.spec().map(|spec| spec.max_attempts) else { return Ok(()) };
        for event in events(&steps) {
            let attempt = attempt_of(&event);
            prop_assert!(attempt.is_none_or(|attempt| (1..=max_attempts).contains(&attempt)), "{event:?}");
        }
    }

    /// Nor does anything else happen to it.
    #[test]
    fn a_cancelled_job_never_starts(commands in commands(), jitter in 0.0..1.0) {
        let (_, steps) = live(&commands, jitter);
        let events = events(&steps);
        let cancelled = events.iter().position(|event| matches!(event, JobEvent::JobCancelled { .. }));
        if let Some(cancelled) = cancelled {
            prop_assert_eq!(&events[cancelled + 1..], &[][..]);
        }
    }

    #[test]
    fn a_job_succeeds_at_most_once(commands in commands(), jitter in 0.0..1.0) {
        let (_, steps) = live(&commands, jitter);
        let events = events(&steps);
        let successes = events.iter().filter(|event| matches!(event, JobEvent::JobSucceeded { .. }));
        prop_assert!(successes.count() <= 1);
    }

    #[test]
    fn a_job_stands_where_a_reference_model_of_its_rules_puts_it(commands in commands(), jitter in 0.0..1.0) {
        let (_, steps) = live(&commands, jitter);
        let mut reference = ReferenceJob::default();
        let mut runs = 0;
        for step in &steps {
            let expected = reference.handle(&step.command);
            prop_assert_eq!(step.decided.as_ref().map(|_| ()).map_err(refusal), expected, "{:?}", step);
            prop_assert_eq!(step.after, reference.status(), "{:?}", step);
            runs = step.decided.iter().flatten().filter_map(attempt_of).next_back().unwrap_or(runs);
            prop_assert_eq!(runs, reference.runs(), "{:?}", step);
        }
    }

    #[test]
    fn a_job_rebuilt_from_its_events_as_logged_equals_the_live_one(
        commands in commands(),
        jitter in 0.0..1.0,
    ) {
        let (live, steps) = live(&commands, jitter);
        let mut rebuilt = Job::default();
        for event in events(&steps) {
            let logged = serde_json::to_value(&event).unwrap();
            rebuilt.apply(serde_json::from_value(logged).unwrap());
        }
        prop_assert_eq!(rebuilt, live);
    }
}
