//! Health, readiness, metrics and stopping.

use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use crate::app::TestLive;

#[tokio::test]
async fn the_operations_routes_answer_and_the_metrics_count_sockets_and_pushes() {
    let live = TestLive::spawn().await;
    assert_eq!(live.get("/healthz").await.0, 200);
    assert_eq!(live.get("/readyz").await, (200, "ready".to_owned()));

    let ada = live.sign_up("ada").await;
    let mut socket = live.connect(&ada).await;
    live.create_channel(&ada, false, &[&ada]).await;
    socket.next_frame().await;

    let (status, metrics) = live.get("/metrics").await;
    assert_eq!(status, 200);
    assert!(metrics.contains("live_sockets_connected"), "{metrics}");
    assert!(metrics.contains(r#"live_pushes_total{type="channel-new"}"#), "{metrics}");
}

#[tokio::test]
async fn a_client_that_answers_no_pings_is_closed_while_one_that_does_stays() {
    let live = TestLive::spawn_with(|settings| settings.live.ping_interval_ms = 100).await;
    let (ada, bob) = (live.sign_up("ada").await, live.sign_up("bob").await);
    let mut listening = live.connect(&ada).await;
    // Reading is what answers pings: ada reads all along, bob never until the end.
    let listened = tokio::spawn(async move { listening.frames_until("channel-new").await });
    let mut silent = live.connect(&bob).await;
    live.wait_for_sockets(2).await;

    live.wait_for_sockets(1).await;

    let channel_id = live.create_channel(&ada, false, &[&ada]).await;
    let frames = listened.await.expect("ada's socket stayed open");
    assert_eq!(frames.last().unwrap()["channel"]["id"], channel_id.as_str());
    let close = silent.close_frame().await.expect("a close frame with a reason");
    assert_eq!((close.code, close.reason.as_str()), (CloseCode::Away, "no answer to pings"));
}

#[tokio::test]
async fn stopping_closes_every_socket_as_going_away() {
    let mut live = TestLive::spawn().await;
    let ada = live.sign_up("ada").await;
    let mut socket = live.connect(&ada).await;

    live.stop().await;

    let close = socket.close_frame().await.expect("a close frame with a reason");
    assert_eq!(close.code, CloseCode::Away);
    assert!(!live.status.consuming());
}
