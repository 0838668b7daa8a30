//! The OpenAPI document of the whole contract as nginx exposes it: query-api's routes and command-api's.
//! query-api serves it, so it assembles it (and depends on command-api's route descriptions for that).
//! `cargo run -p query-api --bin write-openapi` writes it to `openapi/openapi.json`; a test fails when
//! that file is stale.

mod conventions;
mod text;

use utoipa::OpenApi;
use utoipa::openapi::{InfoBuilder, OpenApi as Document, ServerBuilder};

pub use conventions::Conventions;

/// query-api's routes.
#[derive(OpenApi)]
#[openapi(paths(
    crate::routes::leaderboards::board,
    crate::routes::leaderboards::standing,
    crate::routes::jobs::job,
    crate::routes::job_list::jobs,
    crate::routes::conversions::conversions,
    crate::routes::conversions::conversion,
    crate::routes::conversions::mp3,
    crate::routes::users::me,
    crate::routes::users::user,
    crate::routes::meetups::meetups,
    crate::routes::meetups::joined,
    crate::routes::channels::channels,
    crate::routes::channels::messages,
    live_socket
))]
struct QueryApi;

/// `GET /v1/ws`, served by the live service (port 3020, through nginx), described here so the
/// document holds the whole contract. It is a WebSocket handshake (`Upgrade: websocket`,
/// `Sec-WebSocket-Key`, `Sec-WebSocket-Version: 13`), which no plain HTTP request completes.
#[utoipa::path(
    get, path = "/v1/ws", tag = "meetups",
    params(
        ("auth" = Option<String>, Query, nullable = false, description = "The token, for clients that cannot set `Authorization` (browsers' WebSockets)"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 101, description = "A WebSocket of JSON text frames `{ type, channel?, message?, channelId?, messageId? }`, `type` one of `channel-new`, `channel-update`, `channel-delete`, `message-new`, `message-update`, `message-delete`, for every channel the caller may see"),
        (status = 400, description = "Not a WebSocket handshake (`Upgrade: websocket`, `Connection: Upgrade`, `Sec-WebSocket-Key`, `Sec-WebSocket-Version: 13`)", body = http_kit::problem::Problem),
        (status = 401, description = "No valid token of an open session", body = http_kit::problem::Problem),
        (status = 503, description = "The session store or the live service is unavailable", body = http_kit::problem::Problem),
    )
)]
#[allow(dead_code)]
fn live_socket() {}

/// Declares the bearer token scheme the secured operations name, so Swagger UI's "Authorize" works.
struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut Document) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            conventions::BEARER,
            SecurityScheme::Http(
                HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build(),
            ),
        );
    }
}

/// The whole contract.
pub fn document() -> Document {
    let mut document = command_api::openapi::CommandApi::openapi();
    document.merge(QueryApi::openapi());
    utoipa::Modify::modify(&BearerAuth, &mut document);
    utoipa::Modify::modify(&Conventions, &mut document);
    utoipa::Modify::modify(&text::TextWithoutNul, &mut document);
    document.info = InfoBuilder::new()
        .title("Reprise")
        .version("1")
        .description(Some("An event-sourced backend: scores and leaderboards, jobs, conversions, meetups."))
        .build();
    document.servers = Some(vec![ServerBuilder::new().url("http://127.0.0.1:8080").build()]);
    document
}

/// The document as the committed file holds it.
pub fn pretty_json() -> String {
    let mut text = serde_json::to_string_pretty(&document()).unwrap_or_default();
    text.push('\n');
    text
}

/// Where the committed document lives.
pub fn committed_path() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../openapi/openapi.json")
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_committed_openapi_document_matches_the_code() {
        let committed = std::fs::read_to_string(super::committed_path()).unwrap_or_default();
        assert!(
            committed == super::pretty_json(),
            "openapi/openapi.json is stale: run `cargo run -p query-api --bin write-openapi` and commit it"
        );
    }
}
