//! One socket's life: write its pushes in order, ping it, and close it when the client leaves, stops
//! answering, falls too far behind, signs out, or its token expires, or when the service stops.
//!
//! A sign-out normally arrives as an event and closes the socket at once; with each ping the session is
//! also looked up, so a revocation published while this instance was cut off from RabbitMQ closes the
//! socket within one ping interval.

use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::auth::{Caller, Gate};
use crate::registry::{CloseReason, Registration, Registry};

/// How long one write may take before the client is taken for gone.
const WRITE_LIMIT: Duration = Duration::from_secs(10);

/// Serves an upgraded socket of `caller` until it closes, then unregisters it.
pub async fn serve(
    mut socket: WebSocket,
    caller: Caller,
    registration: Registration,
    registry: Registry,
    gate: Gate,
    ping_every: Duration,
    shutdown: CancellationToken,
) {
    let Registration { id, mut outbox, mut closed } = registration;
    tracing::debug!(user_id = caller.user_id, socket = id, "socket opened");
    let expires_in = (caller.expires_at - chrono::Utc::now()).to_std().unwrap_or_default();
    let expiry = tokio::time::sleep(expires_in);
    tokio::pin!(expiry);
    let mut pings = tokio::time::interval_at(Instant::now() + ping_every, ping_every);
    let mut last_heard = Instant::now();
    let closing = loop {
        tokio::select! {
            // In this order: a close request outranks pending frames, and a flood of frames must not
            // starve reading the client's pongs.
            biased;
            reason = &mut closed => break Some(reason.unwrap_or(CloseReason::ShuttingDown)),
            () = shutdown.cancelled() => break Some(CloseReason::ShuttingDown),
            () = &mut expiry => break Some(CloseReason::SessionEnded),
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Close(_)) | Err(_)) | None => break None,
                // Clients have nothing to say; anything they send (pongs above all) shows they are there.
                Some(Ok(_)) => last_heard = Instant::now(),
            },
            _ = pings.tick() => {
                if last_heard.elapsed() > ping_every * 2 {
                    break Some(CloseReason::Unresponsive);
                }
                if gate.is_closed(&caller.session_id).await {
                    break Some(CloseReason::SessionEnded);
                }
                if !write(&mut socket, Message::Ping(Default::default())).await {
                    break None;
                }
            }
            frame = outbox.recv() => {
                let Some(text) = frame else { break Some(CloseReason::ShuttingDown) };
                if !write(&mut socket, Message::Text(text)).await {
                    break None;
                }
            }
        }
    };
    registry.unregister(&caller.user_id, id);
    if let Some(reason) = closing {
        close(&mut socket, reason).await;
    }
    tracing::debug!(user_id = caller.user_id, socket = id, reason = ?closing, "socket closed");
}

/// Sends a close frame saying why.
pub async fn close(socket: &mut WebSocket, reason: CloseReason) {
    let frame = CloseFrame { code: reason.code(), reason: reason.text().into() };
    write(socket, Message::Close(Some(frame))).await;
}

/// Writes one message; `false` when the client is gone or did not take it in time.
async fn write(socket: &mut WebSocket, message: Message) -> bool {
    matches!(tokio::time::timeout(WRITE_LIMIT, socket.send(message)).await, Ok(Ok(())))
}
