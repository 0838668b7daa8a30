//! The whole chat path through nginx: a message posted to command-api reaches another user's
//! WebSocket through the event log, the relay, RabbitMQ and the live service.

use std::time::Duration;

use e2e::{Nginx, Stack, StackOptions};
use futures::StreamExt;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The frames up to the first of type `kind`, within ten seconds.
async fn frames_until(socket: &mut Socket, kind: &str) -> Vec<Value> {
    let mut frames = Vec::new();
    let reading = async {
        while let Some(message) = socket.next().await {
            if let Message::Text(text) = message.expect("a frame") {
                let frame: Value = serde_json::from_str(text.as_str()).expect("a JSON frame");
                let done = frame["type"] == kind;
                frames.push(frame);
                if done {
                    return;
                }
            }
        }
        panic!("the socket closed before a {kind} frame");
    };
    tokio::time::timeout(Duration::from_secs(10), reading)
        .await
        .unwrap_or_else(|_| panic!("no {kind} frame"));
    frames
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_posted_through_nginx_reaches_another_user_s_socket_through_nginx() {
    let stack = Stack::start_with(StackOptions { conversions: true, ..Default::default() }).await;
    let mut settings = stack.settings.clone();
    settings.live.addr = "127.0.0.1:0".into();
    let live = live::Live::build(settings).await.unwrap();
    let live_address = live.address().to_string();
    let stop = tokio_util::sync::CancellationToken::new();
    tokio::spawn(live.run_until_stopped(stop.clone()));
    let ready = format!("http://{live_address}/readyz");
    testkit::wait_until("live to be ready", Duration::from_secs(20), || async {
        stack.http.get(&ready).send().await.ok().filter(|r| r.status() == 200).map(|_| ())
    })
    .await;
    let nginx = Nginx::start_with_live(
        stack.query.trim_start_matches("http://"),
        stack.command.trim_start_matches("http://"),
        &live_address,
    )
    .await;

    let listener = stack.sign_up("ada").await;
    let url = format!("{}/v1/ws?auth={listener}", nginx.url.replace("http://", "ws://"));
    let (mut socket, _) = tokio_tungstenite::connect_async(url).await.expect("a WebSocket through nginx");
    let refused =
        tokio_tungstenite::connect_async(format!("{}/v1/ws", nginx.url.replace("http://", "ws://"))).await;
    assert!(
        matches!(refused, Err(tokio_tungstenite::tungstenite::Error::Http(ref r)) if r.status() == 401),
        "no token: 401"
    );

    let post = |path: &str, body: Value| {
        stack.http.post(format!("{}{path}", nginx.url)).bearer_auth(&stack.token).json(&body).send()
    };
    let channel: Value =
        post("/v1/channels", json!({ "name": "lobby" })).await.unwrap().json().await.unwrap();
    let channel_id = channel["id"].as_str().unwrap();
    let message: Value = post(&format!("/v1/channels/{channel_id}"), json!({ "body": "hello" }))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    let frames = frames_until(&mut socket, "message-new").await;
    assert_eq!(frames[0]["type"], "channel-new");
    assert_eq!(frames[0]["channel"], channel);
    let pushed = frames.last().unwrap();
    assert_eq!(pushed["message"], message);
    assert_eq!(pushed["channelId"], channel_id);
    stop.cancel();
}
