//! Layers every service puts around its routes: a request id on every request and response (and in
//! every problem body), one log line and one metric sample per request, and a body limit.

use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::{HeaderValue, Method, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse as _, Response};
use tower_http::request_id::{MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer};
use tracing::Instrument;

use crate::problem::PROBLEM_JSON;

/// The header that carries request ids; nginx passes its own through.
pub const REQUEST_ID: &str = "x-request-id";

/// The largest problem body rewritten to carry the request id; problems are far smaller.
const MAX_PROBLEM_BYTES: usize = 64 * 1024;

/// Wraps `router` with request ids, logging, metrics and a body limit of `body_limit` bytes.
pub fn around(router: Router, body_limit: usize) -> Router {
    let request_id = axum::http::HeaderName::from_static(REQUEST_ID);
    router
        .layer(middleware::from_fn(refuse_what_no_route_answers))
        .layer(middleware::from_fn(stamp_problems))
        .layer(middleware::from_fn(observe))
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id, NewRequestId))
}

#[derive(Clone, Copy)]
struct NewRequestId;

impl MakeRequestId for NewRequestId {
    fn make_request_id<B>(&mut self, _request: &axum::http::Request<B>) -> Option<RequestId> {
        HeaderValue::from_str(&uuid::Uuid::now_v7().to_string()).ok().map(RequestId::new)
    }
}

fn request_id_of(request: &Request) -> String {
    request.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned()
}

/// One metric sample per request, labelled by route (not raw path) to keep the label set small, and
/// one log line: at INFO, except health checks and reads that succeeded, which log at DEBUG.
async fn observe(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |path| path.as_str().to_owned());
    let request_id = request_id_of(&request);
    // A root span, attached to the request's future rather than entered: a guard held across an
    // await would leave the span "current" on whichever thread polled last, chaining every later
    // request's span to it until the chain's drop overflows the stack.
    let span =
        tracing::info_span!(parent: None, "request", %method, route = %route, request_id = %request_id);
    let response = next.run(request).instrument(span).await;
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    let labels = [("method", method.to_string()), ("route", route.clone()), ("status", status.to_string())];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels[..2]).record(elapsed.as_secs_f64());
    let micros = elapsed.as_micros() as u64;
    // A read that succeeded is one of tens of thousands a second, and nginx's access log has it with
    // its request id: its line here cost about a fifth of top-100 reads' throughput (35k → 44k req/s).
    let routine_read = method == Method::GET && status < 400;
    if routine_read || matches!(route.as_str(), "/healthz" | "/readyz" | "/metrics") {
        tracing::debug!(%method, %route, status, micros, %request_id, "answered");
    } else {
        tracing::info!(%method, %route, status, micros, %request_id, "answered");
    }
    response
}

/// What no route answers, refused before any route sees it (one layer for both: each layer costs every
/// request a boxed future and a clone of the service within):
/// - a path holding U+0000 (`%00`) names nothing that can exist: Postgres keeps no such character, so
///   no id or name holds one. It is answered 404 here rather than failing inside a look-up;
/// - a documented path asked with a method it does not have is a 405
///   ([`crate::methods::refuse_undocumented_methods`]).
async fn refuse_what_no_route_answers(request: Request, next: Next) -> Response {
    if holds_encoded_nul(request.uri().path()) {
        return crate::ApiError::NotFound("no resource has U+0000 in its name".to_owned()).into_response();
    }
    crate::methods::refuse_undocumented_methods(request, next).await
}

fn holds_encoded_nul(path: &str) -> bool {
    path.as_bytes().windows(3).any(|window| window[0] == b'%' && window[1] == b'0' && window[2] == b'0')
}

/// Puts the request id into problem bodies, so a user reporting an error quotes something we can find.
async fn stamp_problems(request: Request, next: Next) -> Response {
    let request_id = request_id_of(&request);
    let response = next.run(request).await;
    let is_problem = response.headers().get(header::CONTENT_TYPE).is_some_and(|v| v == PROBLEM_JSON);
    if !is_problem || request_id.is_empty() {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_PROBLEM_BYTES).await else {
        return Response::from_parts(parts, Body::empty());
    };
    let Ok(serde_json::Value::Object(mut problem)) = serde_json::from_slice(&bytes) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    problem.insert("requestId".to_owned(), serde_json::Value::String(request_id));
    let stamped = serde_json::to_vec(&problem).unwrap_or_else(|_| bytes.to_vec());
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(stamped))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_encoded_nul_in_the_path_is_spotted() {
        assert!(holds_encoded_nul("/v1/jobs/ab%00cd"));
        assert!(holds_encoded_nul("/v1/jobs/%000"));
        assert!(!holds_encoded_nul("/v1/jobs/%0a"));
        assert!(!holds_encoded_nul("/v1/users/a%20b"));
        assert!(!holds_encoded_nul("/v1/jobs/100"));
    }
}
