//! Who may open a socket, and what ends it.

use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use crate::app::TestLive;
use crate::client::Client;

#[tokio::test]
async fn a_socket_without_a_valid_token_of_an_open_session_is_refused_with_401() {
    let live = TestLive::spawn().await;
    let url = live.url(None);
    assert_eq!(Client::connect(&url, None).await.err(), Some(401), "no token");
    assert_eq!(Client::connect(&url, Some("not-a-token")).await.err(), Some(401), "a malformed token");
    assert_eq!(Client::connect(&live.url(Some("not-a-token")), None).await.err(), Some(401), "?auth=");

    let mut other = live.settings.auth.clone();
    other.jwt_secret = Some(secrecy::SecretString::from("another secret"));
    let now = chrono::Utc::now();
    let forged = http_kit::auth::Tokens::from_settings(&other).unwrap().issue(
        "u1",
        "s1",
        &[],
        now,
        now + chrono::Duration::hours(1),
    );
    assert_eq!(Client::connect(&url, Some(&forged)).await.err(), Some(401), "another key's token");

    let ada = live.sign_up("ada").await;
    live.sign_out(&ada).await;
    assert_eq!(Client::connect(&url, Some(&ada.token)).await.err(), Some(401), "a revoked session");
}

#[tokio::test]
async fn signing_out_closes_that_session_s_sockets_and_no_others() {
    let live = TestLive::spawn().await;
    let (ada, bob) = (live.sign_up("ada").await, live.sign_up("bob").await);
    let mut ada_socket = live.connect(&ada).await;
    let mut bob_socket = live.connect(&bob).await;

    live.sign_out(&ada).await;

    let close = ada_socket.close_frame().await.expect("a close frame with a reason");
    assert_eq!(close.code, CloseCode::Policy);
    assert_eq!(close.reason.as_str(), "session ended");
    let channel_id = live.create_channel(&bob, false, &[&bob]).await;
    assert_eq!(bob_socket.next_frame().await["channel"]["id"], channel_id.as_str());
    assert_eq!(Client::connect(&live.url(None), Some(&ada.token)).await.err(), Some(401));
}

#[tokio::test]
async fn a_session_revoked_while_its_sign_out_event_was_missed_is_closed_at_the_next_ping() {
    let live = TestLive::spawn_with(|settings| settings.live.ping_interval_ms = 200).await;
    let ada = live.sign_up("ada").await;
    let mut socket = live.connect(&ada).await;
    // Only the session store hears of it, as when the event went by while live was cut off.
    live.revoke_in_store_only(&ada).await;
    let close = socket.close_frame().await.expect("a close frame with a reason");
    assert_eq!(close.code, CloseCode::Policy);
    assert_eq!(close.reason.as_str(), "session ended");
}
