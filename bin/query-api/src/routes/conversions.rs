//! `GET /v1/conversions`, `GET /v1/conversions/{id}` and the MP3 download, owner-only.

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use blobs::BlobError;
use fred::prelude::*;
use futures::TryStreamExt;
use http_kit::auth::AuthenticatedUser;
use http_kit::{ApiError, QueryParams};
use read_model::documents::ConversionDocument;
use read_model::plan::conversions::{StoredMp3, hidden};
use serde::Deserialize;
use utoipa::IntoParams;

use super::job_list::{decode_cursor, encode_cursor, newest_first, page_body, parse_limit};
use super::stored_json;
use crate::AppState;
use crate::state::redis_failed;

/// Paging of the list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Paging {
    /// 1–100, default 20.
    #[param(value_type = Option<u8>, nullable = false, minimum = 1, maximum = 100)]
    limit: Option<String>,
    /// `nextCursor` of the previous page.
    #[param(nullable = false, pattern = "^[0-9]{15}:[0-9a-f-]{1,36}$")]
    cursor: Option<String>,
}

/// The caller's conversions, newest first.
#[utoipa::path(
    get, path = "/v1/conversions", tag = "conversions",
    security(("bearer" = [])),
    params(Paging),
    responses(
        (status = 200, description = "`{ items: [conversion], nextCursor }`", body = Object),
        (status = 401, description = "No valid token", body = http_kit::problem::Problem),
        (status = 422, description = "Bad limit or cursor", body = http_kit::problem::Problem),
    )
)]
pub async fn conversions(
    State(state): State<AppState>,
    caller: AuthenticatedUser,
    QueryParams(paging): QueryParams<Paging>,
) -> Result<Response, ApiError> {
    let mut errors = domain::errors::FieldErrors::default();
    let limit = errors.check("limit", parse_limit(paging.limit.as_deref()));
    let after = errors.check("cursor", paging.cursor.as_deref().map(decode_cursor).transpose());
    errors.finish().map_err(ApiError::Invalid)?;
    let limit = limit.unwrap_or(20);
    let index = state.keys().conversions_of(&caller.user_id);
    let members = newest_first(&state, &index, after.flatten().as_deref(), limit + 1).await?;
    let more = members.len() > limit;
    let members = &members[..members.len().min(limit)];
    let ids: Vec<String> = members
        .iter()
        .map(|m| state.keys().conversion(m.split_once(':').map_or(m.as_str(), |(_, id)| id)))
        .collect();
    let documents: Vec<Option<Bytes>> =
        if ids.is_empty() { vec![] } else { state.redis.mget(ids).await.map_err(redis_failed)? };
    let items: Vec<Bytes> = documents.into_iter().flatten().collect();
    let next = if more { members.last().map(|m| encode_cursor(m)) } else { None };
    Ok(page_body(&items, next))
}

/// One conversion.
#[utoipa::path(
    get, path = "/v1/conversions/{id}", tag = "conversions",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The conversion's id")),
    responses(
        (status = 200, description = "The conversion", body = ConversionDocument),
        (status = 401, description = "No valid token", body = http_kit::problem::Problem),
        (status = 404, description = "No such conversion of yours", body = http_kit::problem::Problem),
    )
)]
pub async fn conversion(
    State(state): State<AppState>,
    caller: AuthenticatedUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let facts = Facts::load(&state, &id).await?;
    facts.ensure_visible(&state, &caller, &id).await?;
    let stored: Option<Bytes> = state.redis.get(state.keys().conversion(&id)).await.map_err(redis_failed)?;
    match stored {
        Some(stored) => Ok(stored_json(stored)),
        None => Err(state.missing(not_found(&id)).await),
    }
}

/// The MP3 of a finished conversion; `Range` gives a part of it (206).
#[utoipa::path(
    get, path = "/v1/conversions/{id}/mp3", tag = "conversions",
    security(("bearer" = [])),
    params(
        ("id" = String, Path, description = "The conversion's id"),
        ("Range" = Option<String>, Header, description = "bytes=start-end"),
    ),
    responses(
        (status = 200, description = "The MP3", content_type = "audio/mpeg"),
        (status = 206, description = "Part of the MP3", content_type = "audio/mpeg"),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 401, description = "No valid token", body = http_kit::problem::Problem),
        (status = 404, description = "No such conversion of yours", body = http_kit::problem::Problem),
        (status = 409, description = "Not converted yet (or failed)", body = http_kit::problem::Problem),
        (status = 416, description = "The range lies outside the file", body = http_kit::problem::Problem),
    )
)]
pub async fn mp3(
    State(state): State<AppState>,
    caller: AuthenticatedUser,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let facts = Facts::load(&state, &id).await?;
    facts.ensure_visible(&state, &caller, &id).await?;
    let Some(mp3) = facts.mp3 else {
        return Err(ApiError::Conflict(format!("conversion {id} has no MP3 yet (status {})", facts.status)));
    };
    let etag = format!("\"{}\"", mp3.sha256);
    if headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains(&etag)) {
        return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response());
    }
    let range = match headers.get(header::RANGE).and_then(|v| v.to_str().ok()) {
        Some(value) => match byte_range(value, mp3.bytes) {
            RangeAsked::Part(range) => Some(range),
            RangeAsked::Whole => None,
            RangeAsked::Unsatisfiable => {
                let mut response =
                    ApiError::RangeNotSatisfiable(format!("the MP3 has {} bytes", mp3.bytes)).into_response();
                if let Ok(value) = HeaderValue::from_str(&format!("bytes */{}", mp3.bytes)) {
                    response.headers_mut().insert(header::CONTENT_RANGE, value);
                }
                return Ok(response);
            }
        },
        None => None,
    };
    let body = state.blobs.get(&mp3.key, range.clone()).await.map_err(|error| match error {
        BlobError::NotFound => ApiError::Conflict(format!("the MP3 of conversion {id} is gone")),
        other => {
            tracing::warn!(error = %other, "blob store unavailable");
            ApiError::unavailable("the blob store")
        }
    })?;
    let name = download_name(&facts.filename);
    let mut response = Response::new(Body::from_stream(body.map_err(std::io::Error::other)));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("audio/mpeg"));
    headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    insert(headers, header::ETAG, &etag);
    insert(headers, header::CONTENT_DISPOSITION, &format!("attachment; filename=\"{name}\""));
    match range {
        Some(range) => {
            *response.status_mut() = StatusCode::PARTIAL_CONTENT;
            let headers = response.headers_mut();
            insert(
                headers,
                header::CONTENT_RANGE,
                &format!("bytes {}-{}/{}", range.start, range.end - 1, mp3.bytes),
            );
            insert(headers, header::CONTENT_LENGTH, &(range.end - range.start).to_string());
        }
        None => insert(response.headers_mut(), header::CONTENT_LENGTH, &mp3.bytes.to_string()),
    }
    Ok(response)
}

fn insert(headers: &mut HeaderMap, name: header::HeaderName, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.insert(name, value);
    }
}

/// What the query side knows about a conversion beside its document.
struct Facts {
    owner: Option<String>,
    status: String,
    filename: String,
    mp3: Option<StoredMp3>,
}

impl Facts {
    async fn load(state: &AppState, id: &str) -> Result<Self, ApiError> {
        let fields: Vec<Option<String>> = state
            .redis
            .hmget(state.keys().conversion_fields(id), vec!["owner", "status", "filename", "mp3"])
            .await
            .map_err(redis_failed)?;
        let text = |n: usize| hidden::<String>(fields.get(n).and_then(|v| v.as_deref()));
        Ok(Self {
            owner: text(0),
            status: text(1).unwrap_or_default(),
            filename: text(2).unwrap_or_default(),
            mp3: hidden(fields.get(3).and_then(|v| v.as_deref())),
        })
    }

    /// Someone else's conversion is answered like one that does not exist.
    async fn ensure_visible(
        &self,
        state: &AppState,
        caller: &AuthenticatedUser,
        id: &str,
    ) -> Result<(), ApiError> {
        match &self.owner {
            Some(owner) if *owner == caller.user_id || caller.is_admin() => Ok(()),
            Some(_) => Err(not_found(id)),
            None => Err(state.missing(not_found(id)).await),
        }
    }
}

fn not_found(id: &str) -> ApiError {
    ApiError::NotFound(format!("you have no conversion {id}"))
}

/// The download's name: the video's name with its extension replaced by `.mp3`.
fn download_name(filename: &str) -> String {
    let stem = match filename.rsplit_once('.') {
        Some((stem, _)) if !stem.is_empty() => stem,
        _ => filename,
    };
    format!("{stem}.mp3")
}

/// What a `Range` header asks for.
#[derive(Debug, PartialEq, Eq)]
enum RangeAsked {
    /// One satisfiable range, half-open.
    Part(std::ops::Range<u64>),
    /// Something this server answers with the whole file (several ranges, another unit, nonsense).
    Whole,
    /// A range wholly outside the file.
    Unsatisfiable,
}

/// Parses `bytes=a-b`, `bytes=a-` and `bytes=-n` against a file of `size` bytes.
fn byte_range(value: &str, size: u64) -> RangeAsked {
    let Some(spec) = value.trim().strip_prefix("bytes=") else { return RangeAsked::Whole };
    if spec.contains(',') {
        return RangeAsked::Whole;
    }
    let Some((start, end)) = spec.trim().split_once('-') else { return RangeAsked::Whole };
    let (start, end) = (start.trim(), end.trim());
    let range = match (start.parse::<u64>().ok(), end.parse::<u64>().ok()) {
        (Some(start), Some(end)) if start <= end => start..end.saturating_add(1).min(size),
        (Some(start), None) if end.is_empty() => start..size,
        (None, Some(suffix)) if start.is_empty() && suffix > 0 => size.saturating_sub(suffix)..size,
        _ => return RangeAsked::Whole,
    };
    if range.start >= size { RangeAsked::Unsatisfiable } else { RangeAsked::Part(range) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_read_as_rfc_9110_says() {
        assert_eq!(byte_range("bytes=0-99", 1000), RangeAsked::Part(0..100));
        assert_eq!(byte_range("bytes=900-", 1000), RangeAsked::Part(900..1000));
        assert_eq!(byte_range("bytes=-100", 1000), RangeAsked::Part(900..1000));
        assert_eq!(byte_range("bytes=990-2000", 1000), RangeAsked::Part(990..1000));
        assert_eq!(byte_range("bytes=1000-", 1000), RangeAsked::Unsatisfiable);
        assert_eq!(byte_range("bytes=0-1,5-9", 1000), RangeAsked::Whole);
        assert_eq!(byte_range("lines=1-2", 1000), RangeAsked::Whole);
        assert_eq!(byte_range("bytes=9-3", 1000), RangeAsked::Whole);
    }

    #[test]
    fn the_download_is_named_after_the_video() {
        assert_eq!(download_name("holiday.final.mp4"), "holiday.final.mp3");
        assert_eq!(download_name("clip"), "clip.mp3");
        assert_eq!(download_name(".hidden"), ".hidden.mp3");
    }
}
