//! query-api's part of the OpenAPI document: its routes, and the live service's WebSocket. The whole
//! document is assembled by `bin/openapi` and committed as `openapi/openapi.json`, which query-api
//! serves as it is.

use utoipa::OpenApi;

/// query-api's routes.
#[derive(OpenApi)]
#[openapi(paths(
    crate::routes::leaderboards::board,
    crate::routes::leaderboards::standing,
    crate::routes::windows::windows,
    crate::routes::jobs::job,
    crate::routes::job_list::jobs,
    crate::routes::queues::queues,
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
pub struct QueryApi;

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
