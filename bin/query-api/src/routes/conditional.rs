//! Conditional reads of boards: a weak `ETag` of what a board says, and `304 Not Modified` for a
//! client that already holds it (`If-None-Match`), so a page that polls a board downloads it again
//! only when it changed.

use std::hash::BuildHasher;

use std::convert::Infallible;

use axum::body::Bytes;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// The `If-None-Match` values of a request, and nothing else of its headers: a board read is one of
/// tens of thousands a second, and taking the whole `HeaderMap` copied every header nginx adds.
#[derive(Debug, Default)]
pub struct IfNoneMatch(Vec<HeaderValue>);

impl<S: Send + Sync> FromRequestParts<S> for IfNoneMatch {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Infallible> {
        Ok(Self(parts.headers.get_all(header::IF_NONE_MATCH).iter().cloned().collect()))
    }
}

/// A document with its validator, hashed once: a board kept in memory is read tens of thousands of
/// times a second and hashing its 10 kB on every read was a measurable share of each.
#[derive(Clone)]
pub struct Tagged {
    /// The document as stored.
    pub body: Bytes,
    /// Its weak validator ([`etag_of`]).
    pub etag: HeaderValue,
}

impl Tagged {
    /// `body` with the validator of its every byte.
    pub fn new(body: Bytes) -> Self {
        let etag = etag_of(&body);
        Self { body, etag }
    }
}

/// A weak validator of `content`: weak, because a board re-rendered with the same standings (only
/// its `generatedAt` moved) is the same board to a reader. Every copy of query-api runs the same
/// fixed-seed hash, so all copies name one board alike.
pub fn etag_of(content: &[u8]) -> HeaderValue {
    let hash = foldhash::fast::FixedState::with_seed(0x5e_9715e).hash_one(content);
    // Hex digits between quotes: always a valid header value.
    HeaderValue::try_from(format!("W/\"{hash:016x}\"")).unwrap_or(HeaderValue::from_static("W/\"\""))
}

/// `304 Not Modified` when the request's `If-None-Match` names `etag` (or is `*`), otherwise
/// `answer()` with the `ETag` added.
pub fn unless_unchanged(
    held: &IfNoneMatch,
    etag: &HeaderValue,
    answer: impl FnOnce() -> Response,
) -> Response {
    let ours = weakly(etag.to_str().unwrap_or_default());
    let held = held.0.iter().filter_map(|v| v.to_str().ok());
    let unchanged =
        held.flat_map(|list| list.split(',')).map(str::trim).any(|tag| tag == "*" || weakly(tag) == ours);
    let mut response = if unchanged { StatusCode::NOT_MODIFIED.into_response() } else { answer() };
    response.headers_mut().insert(header::ETAG, etag.clone());
    response
}

/// A tag without its weakness marker: `If-None-Match` compares weakly (RFC 9110, 13.1.2).
fn weakly(tag: &str) -> &str {
    tag.strip_prefix("W/").unwrap_or(tag)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asking(tags: &str) -> IfNoneMatch {
        IfNoneMatch(vec![HeaderValue::from_str(tags).unwrap()])
    }

    #[test]
    fn a_client_holding_the_board_gets_304_with_its_etag_and_no_body() {
        let etag = etag_of(b"{\"entries\":[]}");
        let held = format!("\"x\", {}", etag.to_str().unwrap());
        let response = unless_unchanged(&asking(&held), &etag, || "body".into_response());
        assert_eq!(response.status(), StatusCode::NOT_MODIFIED);
        assert_eq!(response.headers()[header::ETAG], etag);
    }

    #[test]
    fn a_changed_board_or_no_condition_gets_the_answer_with_the_new_etag() {
        let (old, new) = (etag_of(b"1"), etag_of(b"2"));
        assert_ne!(old, new);
        for request in [asking(old.to_str().unwrap()), IfNoneMatch::default()] {
            let response = unless_unchanged(&request, &new, || "body".into_response());
            assert_eq!(response.status(), StatusCode::OK);
            assert_eq!(response.headers()[header::ETAG], new);
        }
    }

    #[test]
    fn a_strong_form_of_the_tag_matches_weakly() {
        let etag = etag_of(b"board");
        let strong = etag.to_str().unwrap().trim_start_matches("W/");
        let response = unless_unchanged(&asking(strong), &etag, || "body".into_response());
        assert_eq!(response.status(), StatusCode::NOT_MODIFIED);
    }
}
