//! Pure plans: what a batch of events does to the query side, as a list of Redis operations.
//!
//! Nothing here touches Redis; the `redis-store` crate applies a plan atomically with the checkpoint.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use cqrs_es::Aggregate;
use domain::conversions::{Conversion, ConversionEvent};
use domain::identity::User;
use domain::jobs::{Job, JobEvent, Queue};
use domain::meetups::{Channel, Meetup, Membership, Message};
use domain::names::GameName;
use domain::scores::{
    Game, GameSettings, LeaderboardRefresh, Recorded, RefreshEvent, ScoreSubmission, SubmissionEvent,
};

use crate::keys::job_index_member;
use crate::log_entry::LogEntry;

pub mod conversions;
pub mod jobs;
pub mod meetups;
mod op;
mod scores;
mod users;

pub use op::{Op, OwnedJob};

/// Every game's settings, as the log has set them so far. The projector keeps it beside its
/// checkpoint: a score is ranked by the settings its game had when the score was accepted.
pub type GameBook = HashMap<GameName, GameSettings>;

// The aggregate types the plan knows, as the domain names them, so that renaming an aggregate cannot
// silently stop its projection. An aggregate that deliberately projects nothing gets an arm of its own
// in `Batch::add`, doing nothing, so it is not reported as unknown.
const GAME: &str = <Game as Aggregate>::TYPE;
const SCORE: &str = <ScoreSubmission as Aggregate>::TYPE;
const REFRESH: &str = <LeaderboardRefresh as Aggregate>::TYPE;
const USER: &str = <User as Aggregate>::TYPE;
const JOB: &str = <Job as Aggregate>::TYPE;
const QUEUE: &str = <Queue as Aggregate>::TYPE;
const CONVERSION: &str = <Conversion as Aggregate>::TYPE;
const MEETUP: &str = <Meetup as Aggregate>::TYPE;
const MEMBERSHIP: &str = <Membership as Aggregate>::TYPE;
const CHANNEL: &str = <Channel as Aggregate>::TYPE;
const MESSAGE: &str = <Message as Aggregate>::TYPE;

/// What a batch does to the query side.
#[derive(Debug, Default)]
pub struct Plan {
    /// The Redis operations, in order.
    pub ops: Vec<Op>,
    /// Events of aggregate types the plan does not know, which it passed over: the shell reports them.
    pub unknown: Vec<UnknownEvent>,
}

/// An event whose aggregate type the plan does not know (a type the log holds but this code lacks).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownEvent {
    /// The event's id.
    pub event_id: String,
    /// Its aggregate type.
    pub aggregate_type: String,
}

/// An event the projector cannot understand. It stops rather than skip: the log is the truth.
#[derive(Debug, thiserror::Error)]
#[error("cannot read event {event_id}: {reason}")]
pub struct PlanError {
    /// The event's id.
    pub event_id: String,
    /// What did not fit.
    pub reason: String,
}

/// Plans the Redis operations of a batch, in order, given the games' settings so far (updated as the
/// batch configures games) and the time the batch is applied.
pub fn plan_batch(
    events: &[LogEntry<'_>],
    games: &mut GameBook,
    now: DateTime<Utc>,
) -> Result<Plan, PlanError> {
    let mut batch = Batch::default();
    for event in events {
        batch.add(event, games, now)?;
    }
    Ok(batch.finish())
}

/// A batch's operations while it is planned, kept apart by when they must run.
#[derive(Default)]
struct Batch {
    ops: Vec<Op>,
    scores: scores::ScoreFold,
    /// Operations that follow the boards' updates and renders.
    after_renders: Vec<Op>,
    finished_jobs: Vec<(String, String)>,
    owned_jobs: Vec<OwnedJob>,
    unknown: Vec<UnknownEvent>,
}

impl Batch {
    fn add(
        &mut self,
        event: &LogEntry<'_>,
        games: &mut GameBook,
        now: DateTime<Utc>,
    ) -> Result<(), PlanError> {
        let after = &mut self.after_renders;
        match event.aggregate_type.as_ref() {
            GAME => scores::plan_game(event, decode(event)?, games, &mut self.ops),
            SCORE => {
                let Recorded(score): SubmissionEvent = decode(event)?;
                self.scores.add_score(&score, event.recorded_at, games, now);
                self.finished_jobs.push(scores::score_job(event, &score, now));
                self.owned_jobs.extend(owned_job(event));
            }
            REFRESH => {
                let Recorded(scope): RefreshEvent = decode(event)?;
                let (game, period, region) = (scope.game.clone(), scope.period, scope.region.clone());
                after.push(Op::Refresh { game, period, region });
                self.finished_jobs.push(scores::refresh_job(event, &scope, now));
                self.owned_jobs.extend(owned_job(event));
            }
            USER => users::plan_user(event, decode(event)?, now, after),
            JOB => {
                let job_event: JobEvent = decode(event)?;
                if matches!(job_event, JobEvent::JobQueued { .. }) {
                    self.owned_jobs.extend(owned_job(event));
                }
                jobs::plan_job(event, job_event, after);
            }
            QUEUE => jobs::plan_queue(event, decode(event)?, after),
            CONVERSION => {
                let conversion_event: ConversionEvent = decode(event)?;
                if matches!(conversion_event, ConversionEvent::ConversionRequested { .. }) {
                    self.owned_jobs.extend(owned_job(event));
                }
                conversions::plan_conversion(event, conversion_event, after);
            }
            MEETUP => meetups::plan_meetup(event, decode(event)?, after),
            MEMBERSHIP => meetups::plan_membership(decode(event)?, after),
            CHANNEL => meetups::plan_channel(event, decode(event)?, after),
            MESSAGE => meetups::plan_message(event, decode(event)?, after),
            other => {
                self.unknown.push(UnknownEvent { event_id: event.id(), aggregate_type: other.to_owned() })
            }
        }
        Ok(())
    }

    /// The boards' updates and renders, then the other documents, then the finished jobs and the new
    /// jobs' owners, with queue pushes of jobs that already ended and repeated channel renders dropped.
    fn finish(self) -> Plan {
        let Batch { mut ops, scores, after_renders, finished_jobs, owned_jobs, unknown } = self;
        scores.into_ops(&mut ops);
        ops.extend(after_renders);
        if !finished_jobs.is_empty() {
            ops.push(Op::Jobs { documents: finished_jobs });
        }
        if !owned_jobs.is_empty() {
            ops.push(Op::Owners { jobs: owned_jobs });
        }
        jobs::drop_pushes_of_finished(&mut ops);
        meetups::render_each_channel_once(&mut ops);
        Plan { ops, unknown }
    }
}

fn decode<E: serde::de::DeserializeOwned>(event: &LogEntry<'_>) -> Result<E, PlanError> {
    E::deserialize(event.payload.as_ref())
        .map_err(|error| PlanError { event_id: event.id(), reason: error.to_string() })
}

/// The job an event belongs to: the one its command's metadata names, else its aggregate's id.
fn job_id(event: &LogEntry<'_>) -> String {
    event.metadata_value("job_id").unwrap_or(&event.aggregate_id).to_owned()
}

/// The job's owner, as the command's metadata names it, and its place in the job indexes.
fn owned_job(event: &LogEntry<'_>) -> Option<OwnedJob> {
    let owner = event.metadata_value("user_id")?.to_owned();
    let id = job_id(event);
    let member = job_index_member(event.recorded_at.timestamp_millis(), &id);
    Some(OwnedJob { id, owner, member })
}

#[cfg(test)]
mod tests;
