//! The `Score` aggregate: one per submitted score, so a game never becomes a hot aggregate.
//!
//! Its id is the submission's job id. A replay under the same idempotency key derives the same id and
//! meets the already accepted submission, which answers with the hash of the request it holds.

use chrono::{DateTime, Utc};
use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use serde::{Deserialize, Serialize};

use super::{AlreadyAccepted, ScoreValue};
use crate::names::{GameName, PlayerName, RegionName};

/// A validated score, ready to be accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewScore {
    /// The game the score was achieved in.
    pub game: GameName,
    /// Who achieved it.
    pub player: PlayerName,
    /// The score itself.
    pub score: ScoreValue,
    /// The region whose board it also counts on, if any.
    pub region: Option<RegionName>,
    /// When it was achieved (the time it was accepted when the client did not say).
    pub achieved_at: DateTime<Utc>,
    /// A hash of the request, to tell an idempotent replay from a different request.
    pub request_hash: String,
}

/// What can be asked of a score submission.
#[derive(Debug, Clone, PartialEq)]
pub enum SubmissionCommand {
    /// Accept a score.
    Submit(NewScore),
}

/// What happened to a score submission.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum SubmissionEvent {
    /// The score was accepted; the projector puts it on every board it belongs to.
    ScoreSubmitted(NewScore),
}

impl DomainEvent for SubmissionEvent {
    fn event_type(&self) -> String {
        "ScoreSubmitted".to_owned()
    }

    fn event_version(&self) -> String {
        "1".to_owned()
    }
}

/// A score submission's state.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreSubmission {
    accepted_request_hash: Option<String>,
}

/// Decides what a command does to a submission: a new one accepts the score, an existing one refuses.
pub fn decide(
    submission: &ScoreSubmission,
    command: SubmissionCommand,
) -> Result<Vec<SubmissionEvent>, AlreadyAccepted> {
    let SubmissionCommand::Submit(score) = command;
    match &submission.accepted_request_hash {
        Some(request_hash) => Err(AlreadyAccepted { request_hash: request_hash.clone() }),
        None => Ok(vec![SubmissionEvent::ScoreSubmitted(score)]),
    }
}

impl Aggregate for ScoreSubmission {
    const TYPE: &'static str = "score";
    type Command = SubmissionCommand;
    type Event = SubmissionEvent;
    type Error = AlreadyAccepted;
    type Services = ();

    async fn handle(
        &mut self,
        command: SubmissionCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), AlreadyAccepted> {
        for event in decide(self, command)? {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: SubmissionEvent) {
        let SubmissionEvent::ScoreSubmitted(score) = event;
        self.accepted_request_hash = Some(score.request_hash);
    }
}

#[cfg(test)]
mod tests {
    use cqrs_es::test::TestFramework;

    use super::*;

    fn ada_scores(hash: &str) -> NewScore {
        NewScore {
            game: GameName::parse("tetris").unwrap(),
            player: PlayerName::parse("ada").unwrap(),
            score: ScoreValue::new(4200).unwrap(),
            region: None,
            achieved_at: DateTime::UNIX_EPOCH,
            request_hash: hash.to_owned(),
        }
    }

    #[test]
    fn a_new_submission_accepts_the_score() {
        TestFramework::<ScoreSubmission>::with(())
            .given_no_previous_events()
            .when(SubmissionCommand::Submit(ada_scores("h1")))
            .then_expect_events(vec![SubmissionEvent::ScoreSubmitted(ada_scores("h1"))]);
    }

    #[test]
    fn a_replay_meets_the_accepted_submission_and_learns_its_request_hash() {
        TestFramework::<ScoreSubmission>::with(())
            .given(vec![SubmissionEvent::ScoreSubmitted(ada_scores("h1"))])
            .when(SubmissionCommand::Submit(ada_scores("h2")))
            .then_expect_error(AlreadyAccepted { request_hash: "h1".into() });
    }
}
