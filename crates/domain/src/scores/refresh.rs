//! The `LeaderboardRefresh` aggregate: a request to regenerate a game's cached board documents.
//!
//! The projector carries it out when it reads the request from the log, like any other event.

use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use serde::{Deserialize, Serialize};

use super::{AlreadyAccepted, Period};
use crate::names::{GameName, RegionName};

/// What to regenerate: a game's boards, narrowed by period and region when given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefreshScope {
    /// The game whose boards are regenerated.
    pub game: GameName,
    /// Only boards of this period, if given.
    pub period: Option<Period>,
    /// Only boards of this region, if given.
    pub region: Option<RegionName>,
    /// A hash of the request, to tell an idempotent replay from a different request.
    pub request_hash: String,
}

/// What can be asked of a refresh.
#[derive(Debug, Clone, PartialEq)]
pub enum RefreshCommand {
    /// Ask for the boards in scope to be regenerated.
    Request(RefreshScope),
}

/// What happened to a refresh.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum RefreshEvent {
    /// The refresh was asked for.
    LeaderboardRefreshRequested(RefreshScope),
}

impl DomainEvent for RefreshEvent {
    fn event_type(&self) -> String {
        "LeaderboardRefreshRequested".to_owned()
    }

    fn event_version(&self) -> String {
        "1".to_owned()
    }
}

/// A refresh request's state.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeaderboardRefresh {
    accepted_request_hash: Option<String>,
}

/// Decides what a command does to a refresh: a new one is requested, an existing one refuses.
pub fn decide(
    refresh: &LeaderboardRefresh,
    command: RefreshCommand,
) -> Result<Vec<RefreshEvent>, AlreadyAccepted> {
    let RefreshCommand::Request(scope) = command;
    match &refresh.accepted_request_hash {
        Some(request_hash) => Err(AlreadyAccepted { request_hash: request_hash.clone() }),
        None => Ok(vec![RefreshEvent::LeaderboardRefreshRequested(scope)]),
    }
}

impl Aggregate for LeaderboardRefresh {
    const TYPE: &'static str = "leaderboard_refresh";
    type Command = RefreshCommand;
    type Event = RefreshEvent;
    type Error = AlreadyAccepted;
    type Services = ();

    async fn handle(
        &mut self,
        command: RefreshCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), AlreadyAccepted> {
        for event in decide(self, command)? {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: RefreshEvent) {
        let RefreshEvent::LeaderboardRefreshRequested(scope) = event;
        self.accepted_request_hash = Some(scope.request_hash);
    }
}

#[cfg(test)]
mod tests {
    use cqrs_es::test::TestFramework;

    use super::*;

    fn weekly_refresh(hash: &str) -> RefreshScope {
        RefreshScope {
            game: GameName::parse("tetris").unwrap(),
            period: Some(Period::Week),
            region: None,
            request_hash: hash.to_owned(),
        }
    }

    #[test]
    fn a_new_refresh_is_requested() {
        TestFramework::<LeaderboardRefresh>::with(())
            .given_no_previous_events()
            .when(RefreshCommand::Request(weekly_refresh("h")))
            .then_expect_events(vec![RefreshEvent::LeaderboardRefreshRequested(weekly_refresh("h"))]);
    }

    #[test]
    fn a_replayed_refresh_is_refused_with_the_first_request_hash() {
        TestFramework::<LeaderboardRefresh>::with(())
            .given(vec![RefreshEvent::LeaderboardRefreshRequested(weekly_refresh("h"))])
            .when(RefreshCommand::Request(weekly_refresh("other")))
            .then_expect_error(AlreadyAccepted { request_hash: "h".into() });
    }
}
