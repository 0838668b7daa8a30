//! The HTTP side: `GET /v1/ws` (the WebSocket) beside `/healthz`, `/readyz` and `/metrics`.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::ws::{WebSocketUpgrade, rejection::WebSocketUpgradeRejection};
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use http_kit::ApiError;
use serde::Deserialize;
use tokio_util::sync::CancellationToken;

use crate::auth::Gate;
use crate::registry::{CloseReason, Registry};
use crate::socket;

/// The largest message a client may send; clients only answer pings.
const MAX_INCOMING_BYTES: usize = 4 * 1024;

/// The largest request body any route takes: none takes one.
const BODY_LIMIT: usize = 4 * 1024;

/// What the socket handler needs.
#[derive(Clone)]
pub struct Sockets {
    /// Checks tokens and sessions.
    pub gate: Gate,
    /// Where sockets are registered for pushes.
    pub registry: Registry,
    /// How often sockets are pinged.
    pub ping_every: Duration,
    /// Cancelled when the service stops: every socket closes.
    pub shutdown: CancellationToken,
}

/// The service's routes, with request ids, logs and metrics around them.
pub fn router(sockets: Sockets, readiness: Arc<dyn http_kit::operations::Readiness>) -> Router {
    let routes = Router::new()
        .route("/v1/ws", get(open_socket))
        .with_state(sockets)
        .merge(http_kit::operations::routes(readiness));
    http_kit::middleware::around(routes, BODY_LIMIT)
}

#[derive(Deserialize)]
struct TokenParameter {
    auth: Option<String>,
}

/// Authenticates first (401 without a valid token of an open session), then upgrades.
async fn open_socket(
    State(sockets): State<Sockets>,
    headers: HeaderMap,
    query: Result<Query<TokenParameter>, QueryRejection>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let query_token = query.ok().and_then(|Query(parameter)| parameter.auth);
    let caller = match sockets.gate.admit(&headers, query_token.as_deref()).await {
        Ok(caller) => caller,
        Err(error) => return error.into_response(),
    };
    if sockets.registry.is_revoked(&caller.session_id) {
        return ApiError::Unauthorized("the session has ended; sign in again".to_owned()).into_response();
    }
    let upgrade = match upgrade {
        Ok(upgrade) => upgrade,
        // A request that is not a WebSocket handshake gets a problem like every other refusal.
        Err(rejection) => {
            return ApiError::BadRequest(format!("{}: open a WebSocket here", rejection.body_text()))
                .into_response();
        }
    };
    upgrade.max_message_size(MAX_INCOMING_BYTES).on_upgrade(move |mut websocket| async move {
        let Some(registration) = sockets.registry.register(&caller.user_id, &caller.session_id) else {
            // Revoked between the check and the upgrade.
            socket::close(&mut websocket, CloseReason::SessionEnded).await;
            return;
        };
        metrics::counter!("live_sockets_opened_total").increment(1);
        socket::serve(
            websocket,
            caller,
            registration,
            sockets.registry,
            sockets.gate,
            sockets.ping_every,
            sockets.shutdown,
        )
        .await;
    })
}
