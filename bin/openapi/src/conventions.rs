//! API.md's conventions, which hold for every operation, stated on each operation of the document so
//! that a client generated from it knows every answer it can get:
//!
//! - every error is `application/problem+json` (the shared `Problem` schema), whatever the route;
//! - a secured operation answers 401 without a valid token of an open session; the others say they
//!   need no token (`security: []`) under the document's default, the bearer token;
//! - an operation with a JSON body answers 400 (malformed JSON), 413 (over the body limit, nginx's or
//!   the service's) and 415 (not JSON);
//! - an operation with query parameters answers 400 when the query string cannot be read (a
//!   parameter given twice);
//! - any operation but a read may be rate limited by nginx: 429 with `Retry-After`;
//! - any operation may find a dependency down (Postgres, Redis, the service behind nginx): 503 with
//!   `Retry-After`.
//!
//! A route states what is particular to it (its 404s, 409s, 422s) in its own `#[utoipa::path]`.

use utoipa::Modify;
use utoipa::openapi::path::{HttpMethod, Operation, ParameterIn};
use utoipa::openapi::request_body::RequestBody;
use utoipa::openapi::response::Response;
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::security::SecurityRequirement;
use utoipa::openapi::{Content, OpenApi, Ref, RefOr};

/// The media type of every error.
const PROBLEM_JSON: &str = http_kit::problem::PROBLEM_JSON;

/// The security scheme of every secured operation.
pub const BEARER: &str = "bearer";

/// Applies the conventions to every operation of a document.
pub struct Conventions;

impl Modify for Conventions {
    fn modify(&self, openapi: &mut OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            let methods = [
                (HttpMethod::Get, &mut item.get),
                (HttpMethod::Put, &mut item.put),
                (HttpMethod::Post, &mut item.post),
                (HttpMethod::Delete, &mut item.delete),
                (HttpMethod::Patch, &mut item.patch),
            ];
            for (method, operation) in methods {
                if let Some(operation) = operation {
                    apply(method, operation);
                }
            }
        }
        openapi.security = Some(vec![SecurityRequirement::new(BEARER, Vec::<String>::new())]);
    }
}

fn apply(method: HttpMethod, operation: &mut Operation) {
    let secured = operation.security.as_ref().is_some_and(|requirements| !requirements.is_empty());
    if secured {
        add(operation, 401, "No valid token of an open session (missing, malformed, expired or revoked)");
    } else {
        // The document's default is the bearer token; this operation needs none.
        operation.security = Some(vec![]);
    }
    if operation.request_body.as_ref().is_some_and(takes_json) {
        add(operation, 400, "The body is not well-formed JSON");
        add(operation, 413, "The body is larger than the route accepts");
        add(operation, 415, "The body is not JSON (send `Content-Type: application/json`)");
    }
    if has_query_parameters(operation) {
        add(operation, 400, "The query string cannot be read (a parameter given twice, say)");
    }
    if !matches!(method, HttpMethod::Get) {
        add(operation, 429, "Too many requests from this client; try again after `Retry-After` seconds");
    }
    add(operation, 503, "A dependency is unavailable; try again after `Retry-After` seconds");
    for (status, response) in operation.responses.responses.iter_mut() {
        let is_error = status.parse::<u16>().is_ok_and(|status| status >= 400);
        if let (true, RefOr::T(response)) = (is_error, response) {
            as_problem(status, response);
        }
    }
}

fn has_query_parameters(operation: &Operation) -> bool {
    operation.parameters.iter().flatten().any(
        |parameter| matches!(parameter, RefOr::T(parameter) if parameter.parameter_in == ParameterIn::Query),
    )
}

fn takes_json(body: &RefOr<RequestBody>) -> bool {
    matches!(body, RefOr::T(body) if body.content.contains_key("application/json"))
}

/// Adds a response for `status` unless the route describes its own.
fn add(operation: &mut Operation, status: u16, description: &str) {
    operation
        .responses
        .responses
        .entry(status.to_string())
        .or_insert_with(|| RefOr::T(Response::new(description)));
}

/// Makes an error response a problem document (with `Retry-After` where one is sent).
fn as_problem(status: &str, response: &mut Response) {
    response.content.clear();
    response
        .content
        .insert(PROBLEM_JSON.to_owned(), RefOr::T(Content::new(Some(Ref::from_schema_name("Problem")))));
    if matches!(status, "429" | "503") {
        let seconds = ObjectBuilder::new().schema_type(Type::Integer).minimum(Some(1)).build();
        let header = utoipa::openapi::header::HeaderBuilder::new()
            .schema(Some(seconds))
            .description(Some("Seconds to wait before trying again"))
            .build();
        response.headers.insert("Retry-After".to_owned(), RefOr::T(header));
    }
}
