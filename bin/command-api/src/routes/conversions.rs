//! `POST /v1/conversions`: upload a video (one multipart `file` part, or a raw `video/*` body); a
//! converter makes the MP3. The upload streams to the blob store, never whole in memory.

use std::time::Duration;

use axum::Json;
use axum::body::Body;
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use blobs::{BlobError, Stored};
use chrono::SubsecRound;
use domain::conversions::{ConversionCommand, ConversionRefusal, Upload};
use futures::TryStreamExt;
use http_kit::auth::AuthenticatedUser;
use http_kit::drain::DrainBound;
use http_kit::{ApiError, QueryParams};
use read_model::documents::JobDocument;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, ToSchema};

use crate::accepted::{AcceptedLinks, IdempotencyKey, NewJob, accepted_as};
use crate::failure::Failure;
use crate::state::ConversionsState;

/// How much of an upload refused before its end (401, 413, 415, 422, 400) is read and discarded after
/// the answer, so nginx, still sending it, reads the answer instead of a reset (issue 17). nginx stops
/// sending once it has the answer, so what is left is what was in flight: socket buffers, a few MB.
/// A client sending on past 64 MiB or 5 s gets its connection closed, as it would without this.
pub const UNREAD_BODY_DRAIN: DrainBound = DrainBound { bytes: 64 << 20, time: Duration::from_secs(5) };

/// The query of a raw upload.
#[derive(Debug, Default, Deserialize, Serialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadQuery {
    /// The file's name, for a raw `video/*` body.
    filename: Option<String>,
}

/// The body of a 202 for a conversion.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConversionAccepted {
    /// The job tracking the conversion.
    pub job_id: String,
    /// The conversion's id: the same as the job's.
    pub conversion_id: String,
    /// `queued`.
    pub status: &'static str,
    /// Where to poll.
    pub links: AcceptedLinks,
}

/// The multipart form of an upload: the file part and nothing else.
#[derive(ToSchema)]
#[schema(max_properties = 1)]
#[allow(dead_code)] // describes the form in the document; `receive_part` reads it
pub struct VideoForm {
    /// The video, with a `video/*` Content-Type of its own; its file name names the MP3.
    #[schema(value_type = String, format = Binary, required = true)]
    file: Vec<u8>,
}

/// A video as it arrived.
struct Received {
    filename: String,
    content_type: String,
    stored: Stored,
    key: String,
}

/// Uploads a video to convert to MP3.
#[utoipa::path(
    post, path = "/v1/conversions", tag = "conversions",
    security(("bearer" = [])),
    params(UploadQuery, IdempotencyKey),
    request_body(
        description = "One file part `file` of a `video/*` type; or a raw body with `Content-Type: video/*` and `?filename=`",
        content(
            (VideoForm = "multipart/form-data", encoding(("file" = (content_type = "video/*")))),
            (Vec<u8> = "video/*"),
        ),
    ),
    responses(
        (status = 202, description = "Accepted; poll the job", body = ConversionAccepted,
            headers(("Location" = String, description = "/v1/jobs/{id}"))),
        (status = 400, description = "No file part, more than one, a part other than `file`, or a malformed multipart body", body = http_kit::problem::Problem),
        (status = 413, description = "Larger than the upload limit (`conversions.max_upload_bytes`, 1 GiB by default)", body = http_kit::problem::Problem),
        (status = 415, description = "Neither multipart/form-data nor video/*, or a file part that is not video/*", body = http_kit::problem::Problem),
        (status = 422, description = "An Idempotency-Key used for another upload, or not 1–255 visible ASCII characters", body = http_kit::problem::Problem),
        (status = 503, description = "The event log or the blob store is unavailable", body = http_kit::problem::Problem),
    )
)]
pub async fn upload(
    State(state): State<ConversionsState>,
    caller: AuthenticatedUser,
    headers: HeaderMap,
    QueryParams(query): QueryParams<UploadQuery>,
    request: Request,
) -> Result<Response, Failure> {
    let now = state.shared.clock.now().trunc_subsecs(6);
    let mut job = NewJob::mint(&headers, &caller.user_id, "POST /v1/conversions", &query)?;
    refuse_declared_oversize(&headers, state.max_upload_bytes)?;
    let received = receive(&state, &headers, query, request).await?;
    job.request_hash = request_hash(&received);
    let email = match state.users.load(&caller.user_id).await?.profile() {
        Some(profile) => profile.email.to_string(),
        None => String::new(),
    };
    let id = job.id.to_string();
    let upload = Upload {
        filename: received.filename.clone(),
        content_type: received.content_type.clone(),
        video_key: received.key.clone(),
        video_bytes: received.stored.bytes,
        video_sha256: received.stored.sha256.clone(),
        owner: caller.user_id.clone(),
        owner_email: email,
        request_hash: job.request_hash.clone(),
    };
    let outcome =
        state.conversions.create(&id, ConversionCommand::Request { upload, at: now }, &job.metadata).await;
    let replay =
        matches!(&outcome, Err(eventlog::CommandError::Rejected(ConversionRefusal::AlreadyRequested { .. })));
    let settled = job.settle(outcome, |refusal| match refusal {
        ConversionRefusal::AlreadyRequested { request_hash } => request_hash,
        _ => "",
    });
    if settled.is_err() || replay {
        // The first request's video stands; this copy is not needed.
        let _ = state.blobs.delete(&received.key).await;
    }
    settled?;
    metrics::counter!("conversions_accepted_total").increment(1);
    let mut document = JobDocument::queued(&id, domain::jobs::JobKind::ScoreSubmit, now);
    document.kind = "conversion".to_owned();
    document.links.result = Some(format!("/v1/conversions/{id}"));
    let mut response = accepted_as(&state.shared, &job, &caller, &document).await;
    let body = ConversionAccepted {
        job_id: id.clone(),
        conversion_id: id.clone(),
        status: "queued",
        links: AcceptedLinks { job: format!("/v1/jobs/{id}") },
    };
    let location = response.headers_mut().remove(header::LOCATION);
    response = (StatusCode::ACCEPTED, Json(body)).into_response();
    if let Some(location) = location {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

/// A `Content-Length` above the limit is refused before a byte is read.
fn refuse_declared_oversize(headers: &HeaderMap, limit: u64) -> Result<(), ApiError> {
    let declared = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    match declared {
        Some(length) if length > limit => Err(too_large(limit)),
        _ => Ok(()),
    }
}

async fn receive(
    state: &ConversionsState,
    headers: &HeaderMap,
    query: UploadQuery,
    request: Request,
) -> Result<Received, ApiError> {
    let content_type =
        headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let essence = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    let key = format!("videos/{}", uuid::Uuid::now_v7());
    if essence == "multipart/form-data" {
        let multipart = Multipart::from_request(request, state).await.map_err(|rejection| {
            ApiError::BadRequest(format!("the multipart body cannot be read: {}", rejection.body_text()))
        })?;
        return receive_part(state, multipart, key).await;
    }
    if !essence.starts_with("video/") {
        return Err(ApiError::UnsupportedMediaType(
            "send multipart/form-data with one file part `file`, or a video/* body".to_owned(),
        ));
    }
    let filename = clean_filename(query.filename.as_deref().unwrap_or("video"));
    let body = Body::into_data_stream(request.into_body());
    let stored = store(state, &key, body).await?;
    Ok(Received { filename, content_type: essence, stored, key })
}

async fn receive_part(
    state: &ConversionsState,
    mut multipart: Multipart,
    key: String,
) -> Result<Received, ApiError> {
    let mut received: Option<Received> = None;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(error) => {
                remove(state, received.as_ref()).await;
                return Err(ApiError::BadRequest(format!(
                    "the multipart body is malformed: {}",
                    error.body_text()
                )));
            }
        };
        // The form is the one file part and nothing else, as the document states it.
        if received.is_some() || field.name() != Some("file") {
            remove(state, received.as_ref()).await;
            return Err(ApiError::BadRequest("send exactly one file part, named `file`".to_owned()));
        }
        let content_type = field.content_type().unwrap_or("").to_ascii_lowercase();
        if !content_type.starts_with("video/") {
            return Err(ApiError::UnsupportedMediaType(format!(
                "the file part must be a video/* type, not {:?}",
                if content_type.is_empty() { "none" } else { content_type.as_str() }
            )));
        }
        let filename = clean_filename(field.file_name().unwrap_or("video"));
        let stored = store(state, &key, field).await?;
        received = Some(Received { filename, content_type, stored, key: key.clone() });
    }
    received.ok_or_else(|| ApiError::BadRequest("the body has no file part named `file`".to_owned()))
}

async fn store<S, E>(state: &ConversionsState, key: &str, body: S) -> Result<Stored, ApiError>
where
    S: futures::Stream<Item = Result<bytes::Bytes, E>> + Send + Unpin,
    E: std::fmt::Display,
{
    let body = body.map_err(|error| error.to_string());
    match state.blobs.put_stream(key, body, state.max_upload_bytes).await {
        Ok(stored) => Ok(stored),
        Err(BlobError::TooLarge { limit }) => Err(too_large(limit)),
        Err(BlobError::Source(cause)) => Err(ApiError::BadRequest(format!("the upload broke off: {cause}"))),
        Err(error) => {
            tracing::warn!(%error, "blob store unavailable");
            Err(ApiError::unavailable("the blob store"))
        }
    }
}

async fn remove(state: &ConversionsState, received: Option<&Received>) {
    if let Some(received) = received {
        let _ = state.blobs.delete(&received.key).await;
    }
}

fn too_large(limit: u64) -> ApiError {
    ApiError::PayloadTooLarge(format!("videos are accepted up to {limit} bytes"))
}

/// The name a download will carry: the last path segment, without control characters or quotes.
fn clean_filename(raw: &str) -> String {
    let name = raw.rsplit(['/', '\\']).next().unwrap_or(raw);
    let cleaned: String = name.chars().filter(|c| !c.is_control() && *c != '"').take(200).collect();
    if cleaned.trim().is_empty() { "video".to_owned() } else { cleaned }
}

fn request_hash(received: &Received) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"POST /v1/conversions\n");
    hasher.update(received.filename.as_bytes());
    hasher.update(b"\n");
    hasher.update(received.stored.sha256.as_bytes());
    hex::encode(hasher.finalize())
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    #[test]
    fn a_filename_keeps_its_last_segment_without_quotes_or_control_characters() {
        assert_eq!(clean_filename("../../etc/pa\"ss\nwd.mp4"), "passwd.mp4");
        assert_eq!(clean_filename("C:\\videos\\clip.mov"), "clip.mov");
        assert_eq!(clean_filename("/"), "video");
    }

    #[test]
    fn a_declared_length_above_the_limit_is_refused_at_once() {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from_static("101"));
        assert!(refuse_declared_oversize(&headers, 100).is_err());
        assert!(refuse_declared_oversize(&headers, 101).is_ok());
    }
}
