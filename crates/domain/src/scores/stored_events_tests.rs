//! The events of score submissions and refresh requests as the log stores them today: a running
//! system's log must still load, so these literals never change.

use chrono::DateTime;
use cqrs_es::{Aggregate, DomainEvent};

use super::*;
use crate::names::{GameName, PlayerName, RegionName};

const SCORE_SUBMITTED: &str = r#"{"ScoreSubmitted":{"game":"tetris","player":"ada","score":4200,"region":"eu","achievedAt":"1970-01-01T00:00:00Z","requestHash":"h1"}}"#;
const REFRESH_REQUESTED: &str =
    r#"{"LeaderboardRefreshRequested":{"game":"tetris","period":"week","region":null,"requestHash":"h2"}}"#;

fn score() -> NewScore {
    NewScore {
        game: GameName::parse("tetris").unwrap(),
        player: PlayerName::parse("ada").unwrap(),
        score: ScoreValue::new(4200).unwrap(),
        region: Some(RegionName::parse("eu").unwrap()),
        achieved_at: DateTime::UNIX_EPOCH,
        request_hash: "h1".to_owned(),
    }
}

fn scope() -> RefreshScope {
    RefreshScope {
        game: GameName::parse("tetris").unwrap(),
        period: Some(Period::Week),
        region: None,
        request_hash: "h2".to_owned(),
    }
}

#[test]
fn a_submitted_score_is_stored_as_it_always_was() {
    let event: SubmissionEvent = Recorded(score());
    assert_eq!(serde_json::to_string(&event).unwrap(), SCORE_SUBMITTED);
    assert_eq!(serde_json::from_str::<SubmissionEvent>(SCORE_SUBMITTED).unwrap(), event);
    assert_eq!((event.event_type().as_str(), event.event_version().as_str()), ("ScoreSubmitted", "1"));
    assert_eq!(ScoreSubmission::TYPE, "score");
}

#[test]
fn a_requested_refresh_is_stored_as_it_always_was() {
    let event: RefreshEvent = Recorded(scope());
    assert_eq!(serde_json::to_string(&event).unwrap(), REFRESH_REQUESTED);
    assert_eq!(serde_json::from_str::<RefreshEvent>(REFRESH_REQUESTED).unwrap(), event);
    assert_eq!(
        (event.event_type().as_str(), event.event_version().as_str()),
        ("LeaderboardRefreshRequested", "1")
    );
    assert_eq!(LeaderboardRefresh::TYPE, "leaderboard_refresh");
}

#[test]
fn an_event_of_another_type_does_not_load_as_a_submitted_score() {
    assert!(serde_json::from_str::<SubmissionEvent>(REFRESH_REQUESTED).is_err());
    assert!(serde_json::from_str::<RefreshEvent>(SCORE_SUBMITTED).is_err());
}
