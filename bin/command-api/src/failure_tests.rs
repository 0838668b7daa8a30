use axum::http::StatusCode;
use domain::meetups::{ChannelRefusal, MessageRefusal};
use domain::scores::{AlreadyAccepted, GameError};

use super::*;

fn status_of(failure: impl Into<Failure>) -> StatusCode {
    failure.into().0.status()
}

#[test]
fn a_refusal_is_a_409_saying_why_unless_its_aggregate_answers_otherwise() {
    let frozen = GameError::RankingFrozen { field: "operator" };
    let Failure(answer) = CommandError::Rejected(frozen).into();
    assert_eq!(answer.status(), StatusCode::CONFLICT);
    assert_eq!(answer.to_string(), "the game already has scores, so its operator cannot change");
    let replayed = AlreadyAccepted { request_hash: "h".to_owned() };
    assert_eq!(status_of(CommandError::Rejected(replayed)), StatusCode::CONFLICT);
}

#[test]
fn a_channel_or_message_refuses_strangers_with_403_and_unknown_ids_with_404() {
    assert_eq!(status_of(CommandError::Rejected(ChannelRefusal::NotCreator)), StatusCode::FORBIDDEN);
    assert_eq!(status_of(CommandError::Rejected(ChannelRefusal::Unknown)), StatusCode::NOT_FOUND);
    assert_eq!(status_of(CommandError::Rejected(MessageRefusal::NotAuthor)), StatusCode::FORBIDDEN);
    assert_eq!(status_of(CommandError::Rejected(MessageRefusal::Unknown)), StatusCode::NOT_FOUND);
}

#[test]
fn an_aggregate_that_kept_changing_is_a_409() {
    assert_eq!(status_of(CommandError::<GameError>::Conflict), StatusCode::CONFLICT);
}

#[test]
fn an_unreachable_event_log_is_a_503_and_any_other_failure_a_500_that_keeps_its_cause() {
    assert_eq!(status_of(sqlx::Error::PoolTimedOut), StatusCode::SERVICE_UNAVAILABLE);
    let Failure(answer) = sqlx::Error::RowNotFound.into();
    assert_eq!(answer.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let cause = std::error::Error::source(&answer).expect("the cause is kept");
    assert_eq!(cause.to_string(), sqlx::Error::RowNotFound.to_string());
}

#[test]
fn invalid_fields_are_a_422() {
    assert_eq!(status_of(vec![FieldError::new("score", "is required")]), StatusCode::UNPROCESSABLE_ENTITY);
}
