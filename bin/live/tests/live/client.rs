//! A WebSocket client, as a browser would hold one, with deadlines on everything it waits for.

use futures::StreamExt;
use serde_json::Value;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{Error, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::app::DEADLINE;

/// One open socket.
pub struct Client {
    stream: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl Client {
    /// Opens a socket at `url`, with `bearer` in the `Authorization` header when given; `Err` holds
    /// the HTTP status of a refused upgrade.
    pub async fn connect(url: &str, bearer: Option<&str>) -> Result<Self, u16> {
        let mut request = url.into_client_request().expect("a WebSocket request");
        if let Some(token) = bearer {
            let value = HeaderValue::from_str(&format!("Bearer {token}")).expect("a header value");
            request.headers_mut().insert("authorization", value);
        }
        let connecting = tokio::time::timeout(DEADLINE, tokio_tungstenite::connect_async(request));
        match connecting.await.expect("an answer to the upgrade in time") {
            Ok((stream, _response)) => Ok(Self { stream }),
            Err(Error::Http(response)) => Err(response.status().as_u16()),
            Err(error) => panic!("the upgrade failed: {error}"),
        }
    }

    /// The next pushed frame, as JSON; panics when the socket closes or nothing comes in time.
    pub async fn next_frame(&mut self) -> Value {
        loop {
            match self.next_message().await {
                Message::Text(text) => return serde_json::from_str(text.as_str()).expect("a JSON frame"),
                Message::Close(frame) => panic!("the socket closed while a frame was expected: {frame:?}"),
                _ => continue,
            }
        }
    }

    /// The frames up to and including the first whose `type` is `kind`.
    pub async fn frames_until(&mut self, kind: &str) -> Vec<Value> {
        let mut frames = Vec::new();
        loop {
            let frame = self.next_frame().await;
            let done = frame["type"] == kind;
            frames.push(frame);
            if done {
                return frames;
            }
        }
    }

    /// The close frame the server sends, skipping any frames before it; panics if none comes in time.
    pub async fn close_frame(&mut self) -> Option<CloseFrame> {
        loop {
            if let Message::Close(frame) = self.next_message().await {
                return frame;
            }
        }
    }

    async fn next_message(&mut self) -> Message {
        let next = tokio::time::timeout(DEADLINE, self.stream.next()).await;
        match next.expect("a message in time") {
            Some(Ok(message)) => message,
            Some(Err(error)) => panic!("the socket failed: {error}"),
            None => panic!("the socket ended without a close frame"),
        }
    }
}
