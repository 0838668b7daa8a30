//! A lingering close for HTTP/1 request bodies a handler refused without reading.
//!
//! hyper answers as soon as the handler does, then closes the connection with the rest of the body
//! unread; the kernel answers a close with unread data by a TCP reset, which destroys the answer
//! before the peer reads it. Behind nginx that peer is nginx, still sending the body: it sees the
//! reset, loses the answer, and makes a 502 (our 503 problem) of a plain 401, 413 or 415, counting it
//! against the upstream besides (hyperium/hyper#3078, #2384).
//!
//! [`drain_unread_body`] keeps reading what the handler left, after the answer has gone, and throws it
//! away: nginx reads the answer, stops sending (it sends no more of a body once it has answered) and
//! closes, and the connection ends without a reset. The reading is bounded in bytes and time: past
//! either bound the body is dropped and the connection closed as before, so a client that keeps
//! sending costs at most that much and may then see a reset instead of the answer.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, BodyDataStream, Bytes, HttpBody};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Version, header};
use axum::middleware::Next;
use axum::response::Response;
use futures::{Stream, StreamExt};

/// How much of a refused body is read and thrown away before the connection is closed anyway.
#[derive(Debug, Clone, Copy)]
pub struct DrainBound {
    /// The most bytes read after the handler let go of the body.
    pub bytes: u64,
    /// The longest time spent reading them.
    pub time: Duration,
}

/// Middleware (`axum::middleware::from_fn_with_state(bound, drain_unread_body)`): a request body the
/// handler drops before its end is read to its end in the background, within `bound`, so the
/// connection is not reset under the answer.
pub async fn drain_unread_body(State(bound): State<DrainBound>, request: Request, next: Next) -> Response {
    // HTTP/2 ends just the stream, and its connection carries on: there is nothing to protect.
    if request.version() > Version::HTTP_11 {
        return next.run(request).await;
    }
    let expects_continue =
        request.headers().get(header::EXPECT).is_some_and(|v| v == HeaderValue::from_static("100-continue"));
    let request = request.map(|body| {
        Body::from_stream(Unread {
            body: Some(body.into_data_stream()),
            bound,
            expects_continue,
            polled: false,
            finished: false,
        })
    });
    next.run(request).await
}

/// A request body that, dropped before its end, has the rest read and discarded by a task of its own.
struct Unread {
    body: Option<BodyDataStream>,
    bound: DrainBound,
    expects_continue: bool,
    polled: bool,
    finished: bool,
}

impl Stream for Unread {
    type Item = Result<Bytes, axum::Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        let Some(body) = this.body.as_mut() else { return Poll::Ready(None) };
        this.polled = true;
        let polled = body.poll_next_unpin(cx);
        if matches!(polled, Poll::Ready(None | Some(Err(_)))) {
            this.finished = true;
        }
        polled
    }
}

impl Drop for Unread {
    fn drop(&mut self) {
        let Some(body) = self.body.take() else { return };
        // A client that asked `Expect: 100-continue` and was answered before its body was asked for
        // sends none: waiting for it would only hold the connection until the time bound.
        if self.finished || body.is_end_stream() || (self.expects_continue && !self.polled) {
            return;
        }
        // Outside a runtime (not in a server) the body is dropped as hyper would.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(discard(body, self.bound));
        }
    }
}

/// Reads `body` to its end, or until `bound`, and throws it away.
async fn discard(mut body: BodyDataStream, bound: DrainBound) {
    let mut discarded = 0u64;
    let reading = async {
        while let Some(chunk) = body.next().await {
            let Ok(bytes) = chunk else { return "closed" }; // the peer stopped sending: done
            discarded += bytes.len() as u64;
            if discarded > bound.bytes {
                return "over_bytes";
            }
        }
        "finished"
    };
    let outcome = tokio::time::timeout(bound.time, reading).await.unwrap_or("over_time");
    metrics::counter!("unread_bodies_discarded_total", "outcome" => outcome).increment(1);
    if outcome.starts_with("over") {
        tracing::info!(discarded, outcome, "stopped discarding an unread request body; closing");
    } else {
        tracing::debug!(discarded, outcome, "discarded an unread request body");
    }
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::http::StatusCode;
    use axum::routing::post;
    use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpStream};

    use super::*;

    /// A server whose one route answers 401 at once, never reading the body.
    async fn refusing_server(bound: DrainBound) -> std::net::SocketAddr {
        let app = Router::new()
            .route("/", post(|| async { StatusCode::UNAUTHORIZED }))
            .layer(axum::middleware::from_fn_with_state(bound, drain_unread_body));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        address
    }

    fn post_head(length: u64, extra: &str) -> String {
        format!("POST / HTTP/1.1\r\nHost: test\r\nContent-Length: {length}\r\n{extra}\r\n")
    }

    /// The status line and headers of the next response (the test server's answers have no body).
    async fn response_head(reader: &mut (impl AsyncRead + Unpin)) -> String {
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            assert_eq!(reader.read(&mut byte).await.unwrap(), 1, "the connection ended mid-answer");
            head.push(byte[0]);
        }
        String::from_utf8(head).unwrap()
    }

    /// Writes `length` bytes in 64 KiB chunks; how many went out before the connection broke, if it did.
    async fn send_body(writer: &mut (impl AsyncWriteExt + Unpin), length: u64) -> Result<u64, u64> {
        let chunk = vec![0u8; 65_536];
        let mut sent = 0u64;
        while sent < length {
            let size = chunk.len().min((length - sent) as usize);
            writer.write_all(&chunk[..size]).await.map_err(|_| sent)?;
            sent += size as u64;
        }
        Ok(sent)
    }

    const GENEROUS: DrainBound = DrainBound { bytes: 64 << 20, time: Duration::from_secs(10) };

    #[tokio::test]
    async fn a_refused_body_is_read_to_its_end_after_the_answer_and_the_connection_kept() {
        let address = refusing_server(GENEROUS).await;
        let (mut reader, mut writer) = TcpStream::connect(address).await.unwrap().into_split();
        let length = 8 << 20; // far more than socket buffers hold
        writer.write_all(post_head(length, "").as_bytes()).await.unwrap();
        let sending = tokio::spawn(async move { send_body(&mut writer, length).await.map(|_| writer) });
        assert!(response_head(&mut reader).await.starts_with("HTTP/1.1 401"));
        let mut writer = sending.await.unwrap().expect("the whole body went out without a reset");
        writer.write_all(post_head(0, "").as_bytes()).await.unwrap();
        assert!(response_head(&mut reader).await.starts_with("HTTP/1.1 401"), "the connection serves on");
    }

    #[tokio::test]
    async fn a_body_sent_on_past_the_byte_bound_has_its_connection_closed() {
        let address = refusing_server(DrainBound { bytes: 1 << 20, time: Duration::from_secs(10) }).await;
        let (mut reader, mut writer) = TcpStream::connect(address).await.unwrap().into_split();
        writer.write_all(post_head(1 << 30, "").as_bytes()).await.unwrap();
        let sending = tokio::spawn(async move { send_body(&mut writer, 1 << 30).await });
        assert!(response_head(&mut reader).await.starts_with("HTTP/1.1 401"));
        let sent =
            tokio::time::timeout(Duration::from_secs(5), sending).await.expect("closed in time").unwrap();
        // What the sockets' buffers held besides the bound, never the gigabyte.
        assert!(matches!(sent, Err(sent) if sent < 32 << 20), "{sent:?}");
    }

    #[tokio::test]
    async fn a_body_trickling_past_the_time_bound_has_its_connection_closed() {
        let address = refusing_server(DrainBound { bytes: 64 << 20, time: Duration::from_millis(300) }).await;
        let (mut reader, mut writer) = TcpStream::connect(address).await.unwrap().into_split();
        writer.write_all(post_head(1 << 20, "").as_bytes()).await.unwrap();
        tokio::spawn(async move {
            while writer.write_all(&[0u8; 1024]).await.is_ok() {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        });
        assert!(response_head(&mut reader).await.starts_with("HTTP/1.1 401"));
        let mut rest = [0u8; 16];
        let ended = tokio::time::timeout(Duration::from_secs(3), reader.read(&mut rest)).await;
        assert!(matches!(ended, Ok(Ok(0) | Err(_))), "{ended:?}");
    }

    #[tokio::test]
    async fn a_client_awaiting_100_continue_is_answered_without_being_asked_for_its_body() {
        let address = refusing_server(GENEROUS).await;
        let mut connection = TcpStream::connect(address).await.unwrap();
        connection.write_all(post_head(1 << 20, "Expect: 100-continue\r\n").as_bytes()).await.unwrap();
        assert!(response_head(&mut connection).await.starts_with("HTTP/1.1 401"));
        // The body will not come: waiting out the bound for it would hold the connection for nothing.
        let mut rest = [0u8; 16];
        let ended = tokio::time::timeout(Duration::from_secs(1), connection.read(&mut rest)).await;
        assert!(matches!(ended, Ok(Ok(0) | Err(_))), "{ended:?}");
    }
}
