//! The HTTP shell every Reprise service shares.
//!
//! Handlers stay thin: they parse with [`JsonBody`] and [`QueryParams`], call the domain, and answer with [`ApiError`]
//! when something went wrong; [`middleware`] adds request ids, logs and metrics; [`drain`] keeps a
//! refused upload's unread body from resetting the connection under the answer; [`operations`] answers
//! `/healthz`, `/readyz` and `/metrics`; [`serve`] runs a router until shutdown.

pub mod auth;
pub mod drain;
pub mod json;
pub mod methods;
pub mod middleware;
pub mod operations;
pub mod problem;
pub mod query;
pub mod serve;

/// The contract: the committed OpenAPI document, `openapi/openapi.json`, which query-api serves and
/// [`methods`] reads. `bin/openapi` assembles it from the routes' descriptions, and its test fails
/// when the committed file differs from the code's.
pub const CONTRACT: &str = include_str!("../../../openapi/openapi.json");

pub use json::JsonBody;
pub use problem::ApiError;
pub use query::QueryParams;
pub use serve::serve;
