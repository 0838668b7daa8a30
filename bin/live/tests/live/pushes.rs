//! Who receives what.

use serde_json::Value;

use crate::app::TestLive;
use crate::client::Client;

fn mentions(frames: &[Value], channel_id: &str) -> bool {
    frames.iter().any(|frame| {
        frame["channelId"] == channel_id
            || frame["channel"]["id"] == channel_id
            || frame["message"]["channelId"] == channel_id
    })
}

#[tokio::test]
async fn two_users_receive_a_message_posted_in_a_public_channel() {
    let live = TestLive::spawn().await;
    let (ada, bob) = (live.sign_up("ada").await, live.sign_up("bob").await);
    let mut ada_socket = live.connect(&ada).await;
    let mut bob_socket =
        Client::connect(&live.url(Some(&bob.token)), None).await.expect("a socket by ?auth=");

    let channel_id = live.create_channel(&ada, false, &[&ada]).await;
    let message_id = live.post(&ada, &channel_id, "hello, everyone").await;

    for socket in [&mut ada_socket, &mut bob_socket] {
        let frames = socket.frames_until("message-new").await;
        assert_eq!(frames[0]["type"], "channel-new");
        assert_eq!(frames[0]["channel"]["id"], channel_id.as_str());
        assert_eq!(frames[0]["channel"]["members"], serde_json::json!([ada.user_id]));
        let pushed = frames.last().unwrap();
        assert_eq!(pushed["channelId"], channel_id.as_str());
        assert_eq!(pushed["message"]["id"], message_id.as_str());
        assert_eq!(pushed["message"]["body"], "hello, everyone");
        assert_eq!(pushed["message"]["creator"], ada.user_id.as_str());
    }
}

#[tokio::test]
async fn a_private_channel_s_pushes_reach_its_members_and_nobody_else() {
    let live = TestLive::spawn().await;
    let (ada, bob, eve) = (live.sign_up("ada").await, live.sign_up("bob").await, live.sign_up("eve").await);
    let mut bob_socket = live.connect(&bob).await;
    let mut eve_socket = live.connect(&eve).await;

    let private = live.create_channel(&ada, true, &[&ada, &bob]).await;
    live.post(&ada, &private, "members only").await;
    // Pushes arrive in log order: once eve has the public message, she would have had the private one.
    let public = live.create_channel(&ada, false, &[&ada]).await;
    live.post(&ada, &public, "hello, everyone").await;

    let bob_frames = bob_socket.frames_until("message-new").await;
    assert_eq!(bob_frames.last().unwrap()["message"]["body"], "members only");
    assert_eq!(bob_frames[0]["channel"]["private"], true);
    let eve_frames = eve_socket.frames_until("message-new").await;
    assert_eq!(eve_frames.last().unwrap()["message"]["body"], "hello, everyone");
    assert!(!mentions(&eve_frames, &private), "a non-member was told of a private channel: {eve_frames:?}");
}

#[tokio::test]
async fn a_member_added_to_a_private_channel_receives_it_and_then_its_messages() {
    let live = TestLive::spawn().await;
    let (ada, bob) = (live.sign_up("ada").await, live.sign_up("bob").await);
    let mut ada_socket = live.connect(&ada).await;
    let mut bob_socket = live.connect(&bob).await;

    let private = live.create_channel(&ada, true, &[&ada]).await;
    live.post(&ada, &private, "before bob").await;
    live.add_member(&private, &ada, &bob).await;
    live.post(&ada, &private, "welcome, bob").await;

    let bob_frames = bob_socket.frames_until("message-new").await;
    let kinds: Vec<&Value> = bob_frames.iter().map(|frame| &frame["type"]).collect();
    assert_eq!(kinds, ["channel-new", "message-new"]);
    assert_eq!(bob_frames[0]["channel"]["members"].as_array().unwrap().len(), 2);
    assert_eq!(bob_frames[1]["message"]["body"], "welcome, bob");

    let ada_frames = ada_socket.frames_until("channel-update").await;
    let kinds: Vec<&Value> = ada_frames.iter().map(|frame| &frame["type"]).collect();
    assert_eq!(kinds, ["channel-new", "message-new", "channel-update"]);
}
