//! The OpenAPI document of the whole contract as nginx exposes it: command-api's routes, query-api's
//! and the live service's WebSocket, with the conventions of API.md stated on every operation.
//! `cargo run -p openapi` writes it to `openapi/openapi.json`, which query-api serves and every
//! service's 405s read; a test here fails when that file is stale. Assembling it here keeps the read
//! side from linking the write side only to describe it.

mod conventions;
mod text;

use utoipa::OpenApi as _;
use utoipa::openapi::{InfoBuilder, OpenApi as Document, ServerBuilder};

/// The whole contract.
pub fn document() -> Document {
    let mut document = command_api::openapi::CommandApi::openapi();
    document.merge(query_api::openapi::QueryApi::openapi());
    utoipa::Modify::modify(&BearerAuth, &mut document);
    utoipa::Modify::modify(&conventions::Conventions, &mut document);
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

#[cfg(test)]
mod tests {
    #[test]
    fn the_committed_openapi_document_matches_the_code() {
        assert!(
            http_kit::CONTRACT == super::pretty_json(),
            "openapi/openapi.json is stale: run `cargo run -p openapi` and commit it"
        );
    }
}
