//! `/healthz`, `/readyz` and `/metrics`, the same on every service.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;

/// What `/readyz` asks: `Ok` when the service can do its work, otherwise what it is waiting for.
pub trait Readiness: Send + Sync + 'static {
    /// Checks the service's dependencies.
    fn check(&self) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + '_>>;
}

/// The operations routes, answering readiness with `readiness`.
pub fn routes(readiness: Arc<dyn Readiness>) -> Router {
    let metrics = telemetry::metrics_handle();
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route(
            "/readyz",
            get(move || {
                let readiness = readiness.clone();
                async move {
                    match readiness.check().await {
                        Ok(()) => (StatusCode::OK, "ready".to_owned()),
                        Err(waiting_for) => (StatusCode::SERVICE_UNAVAILABLE, waiting_for),
                    }
                }
            }),
        )
        .route(
            "/metrics",
            get(move || {
                let metrics = metrics.clone();
                async move {
                    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], metrics.render()).into_response()
                }
            }),
        )
}
