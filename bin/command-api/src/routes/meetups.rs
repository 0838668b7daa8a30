//! Meetup events: `POST /v1/events` (announce one, with its public chat channel) and
//! `POST /v1/events/join`.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, SubsecRound, Utc};
use domain::errors::FieldErrors;
use domain::meetups::{
    ChannelCommand, ChannelInfo, ChannelName, ChannelRefusal, MeetupCommand, MeetupInfo, MeetupRefusal,
    MembershipCommand, membership_id,
};
use http_kit::auth::AuthenticatedUser;
use http_kit::{ApiError, JsonBody};
use read_model::meetups::MeetupDocument;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::accepted::IdempotencyKey;
use crate::consistency::wait_until_projected;
use crate::created::mint;
use crate::failure::Failure;
use crate::fields;
use crate::state::MeetupsState;

/// The longest title or location accepted, in characters.
const MAX_TITLE_CHARS: usize = 200;
/// The longest description accepted, in characters.
const MAX_DESCRIPTION_CHARS: usize = 4000;
/// Namespace of the ids of meetups' channels, derived from the meetup's id so a replay finds it.
const MEETUP_CHANNELS: Uuid = Uuid::from_u128(0x3b9d_52c1_8e47_4f16_a0d2_6c5e_91f3_0b7a);

/// A meetup to announce.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NewMeetup {
    /// 1–200 characters, not blank (trimmed).
    #[schema(
        required = true,
        nullable = false,
        max_length = 200,
        pattern = r"[^\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]",
        example = "Jam night"
    )]
    title: Option<String>,
    /// When it takes place (RFC 3339).
    #[schema(required = true, nullable = false, format = DateTime,
        pattern = r"^([0-9]{4}-((0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])|(0[469]|11)-(0[1-9]|[12][0-9]|30)|02-(0[1-9]|1[0-9]|2[0-8]))|([0-9]{2}(0[48]|[2468][048]|[13579][26])|([02468][048]|[13579][26])00)-02-29)T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,9})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$", example = "2026-12-01T19:00:00Z")]
    date_time: Option<String>,
    /// Where: 1–200 characters, not blank (trimmed).
    #[schema(
        required = true,
        nullable = false,
        max_length = 200,
        pattern = r"[^\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]",
        example = "The cellar"
    )]
    location: Option<String>,
    /// Up to 4000 characters (trimmed).
    #[schema(max_length = 4000)]
    description: Option<String>,
}

/// Announces a meetup; its public chat channel is created with it and the creator joins both.
#[utoipa::path(
    post, path = "/v1/events", tag = "meetups",
    request_body = NewMeetup,
    params(IdempotencyKey),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The meetup", body = MeetupDocument),
        (status = 422, description = "Invalid fields, or an Idempotency-Key used for another request", body = http_kit::problem::Problem),
    )
)]
pub async fn create(
    State(state): State<MeetupsState>,
    caller: AuthenticatedUser,
    headers: HeaderMap,
    JsonBody(request): JsonBody<NewMeetup>,
) -> Result<Response, Failure> {
    let now = state.shared.clock.now().trunc_subsecs(6);
    let new = mint(&headers, &caller.user_id, "POST /v1/events", &request)?;
    let id = new.id.to_string();
    let channel_id = Uuid::new_v5(&MEETUP_CHANNELS, id.as_bytes()).to_string();
    let meetup = parse(request, &caller, &channel_id, now, &new.request_hash)?;
    let channel = ChannelInfo {
        name: channel_name(&meetup.title),
        description: format!("Chat of the meetup {}", meetup.title),
        private: false,
        creator: caller.user_id.clone(),
        created_at: now,
        meetup_id: Some(id.clone()),
        request_hash: new.request_hash.clone(),
    };
    let create_channel = ChannelCommand::Create { channel, members: vec![caller.user_id.clone()] };
    let created = MeetupDocument::new(&id, &meetup, 1);
    let create_meetup = MeetupCommand::Create(meetup);
    // The meetup and its channel come into being in one INSERT, or neither does.
    let together = [
        state.channels.decide_new(&channel_id, create_channel.clone(), &new.metadata).await?,
        state.meetups.decide_new(&id, create_meetup.clone(), &new.metadata).await?,
    ];
    let appended = eventlog::append_new(&state.shared.pool, &together).await?;
    if !appended {
        // A replay (same Idempotency-Key): the same request answers as the first did, another is a 422.
        let outcome = state.channels.create(&channel_id, create_channel, &new.metadata).await;
        new.settle(outcome, |refusal| match refusal {
            ChannelRefusal::AlreadyCreated { request_hash } => request_hash,
            _ => "",
        })?;
        let outcome = state.meetups.create(&id, create_meetup, &new.metadata).await;
        new.settle(outcome, |refusal| match refusal {
            MeetupRefusal::AlreadyCreated { request_hash } => request_hash,
        })?;
    }
    wait_until_projected(&state.shared, "meetup", &id).await;
    // Unless the projector is over a second behind, this is the stored document. (A replay carried
    // the same fields, or it was refused above.)
    Ok(answer(&state, &id, || Some(created)).await?)
}

/// The meetup to join.
#[derive(Debug, Deserialize, ToSchema)]
pub struct JoinMeetup {
    /// The meetup's id.
    #[schema(
        required = true,
        nullable = false,
        pattern = r"[^\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
    )]
    id: Option<String>,
}

/// Joins a meetup; joining again changes nothing. (Its channel is public: no need to join it.)
#[utoipa::path(
    post, path = "/v1/events/join", tag = "meetups",
    request_body = JoinMeetup,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Joined; the meetup as it now is", body = MeetupDocument),
        (status = 401, description = "No valid token", body = http_kit::problem::Problem),
        (status = 404, description = "Unknown meetup", body = http_kit::problem::Problem),
        (status = 422, description = "No id", body = http_kit::problem::Problem),
        (status = 503, description = "Joined, but the query side is too far behind to show the meetup; ask again", body = http_kit::problem::Problem),
    )
)]
pub async fn join(
    State(state): State<MeetupsState>,
    caller: AuthenticatedUser,
    JsonBody(request): JsonBody<JoinMeetup>,
) -> Result<Response, Failure> {
    let id = request
        .id
        .filter(|id| !id.trim().is_empty())
        .ok_or_else(|| ApiError::invalid("id", "is required"))?;
    let meetup = state.meetups.load(&id).await?;
    let info = meetup.info().ok_or_else(|| ApiError::NotFound("no such meetup".to_owned()))?;
    if info.creator != caller.user_id {
        let membership = membership_id(&id, &caller.user_id);
        let join = MembershipCommand::Join {
            meetup_id: id.clone(),
            user_id: caller.user_id.clone(),
            at: state.shared.clock.now().trunc_subsecs(6),
        };
        let metadata = eventlog::Metadata::from([("user_id".to_owned(), caller.user_id.clone())]);
        state.memberships.create(&membership, join, &metadata).await?;
        wait_until_projected(&state.shared, "meetup_member", &membership).await;
    }
    Ok(answer(&state, &id, || None).await?)
}

/// 201 with the meetup's stored document, or with `fallback` when the projector has not written it
/// yet; without one, 503 (the command is committed, and repeating it changes nothing).
async fn answer(
    state: &MeetupsState,
    id: &str,
    fallback: impl FnOnce() -> Option<MeetupDocument>,
) -> Result<Response, ApiError> {
    // With the pointer: the generation whose checkpoint the wait before checked, or a later one.
    let stored = state.shared.generation.get(&state.shared.redis, |keys| keys.meetup(id)).await;
    if let Ok(Some(document)) = stored {
        let json = [(header::CONTENT_TYPE, "application/json")];
        return Ok((StatusCode::CREATED, json, document).into_response());
    }
    match fallback() {
        Some(document) => Ok((StatusCode::CREATED, Json(document)).into_response()),
        None => Err(ApiError::unavailable("the query side")),
    }
}

/// A meetup's channel is named after it, cut to a channel name's length. It does not take part in
/// channel-name uniqueness: two meetups may share a title.
fn channel_name(title: &str) -> ChannelName {
    let cut: String = title.chars().take(ChannelName::MAX_CHARS).collect();
    ChannelName::parse(&cut).unwrap_or_else(|_| ChannelName::parse("meetup").expect("a valid name"))
}

fn parse(
    request: NewMeetup,
    caller: &AuthenticatedUser,
    channel_id: &str,
    now: DateTime<Utc>,
    request_hash: &str,
) -> Result<MeetupInfo, Vec<domain::FieldError>> {
    let mut errors = FieldErrors::default();
    let required = |value: Option<String>| value.ok_or_else(|| "is required".to_owned());
    let title = errors
        .check("title", required(request.title).and_then(|t| fields::required_text(&t, MAX_TITLE_CHARS)));
    let date_time = errors.check(
        "dateTime",
        required(request.date_time).and_then(|at| {
            DateTime::parse_from_rfc3339(&at)
                .map(|at| at.with_timezone(&Utc).trunc_subsecs(6))
                .map_err(|_| "must be an RFC 3339 time, e.g. 2026-12-01T19:00:00Z".to_owned())
        }),
    );
    let location = errors.check(
        "location",
        required(request.location).and_then(|l| fields::required_text(&l, MAX_TITLE_CHARS)),
    );
    let description = errors.check(
        "description",
        fields::bounded_text(request.description.as_deref().unwrap_or_default(), MAX_DESCRIPTION_CHARS),
    );
    errors.finish()?;
    match (title, date_time, location, description) {
        (Some(title), Some(date_time), Some(location), Some(description)) => Ok(MeetupInfo {
            title,
            date_time,
            location,
            description,
            channel_id: channel_id.to_owned(),
            creator: caller.user_id.clone(),
            created_at: now,
            request_hash: request_hash.to_owned(),
        }),
        _ => Err(vec![]),
    }
}
