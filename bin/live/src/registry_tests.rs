use std::collections::BTreeSet;

use super::*;
use crate::frames::Frame;

fn push(audience: Audience) -> Push {
    Push { audience, frame: Frame::message_deleted("m1", "c1") }
}

fn only(users: &[&str]) -> Audience {
    Audience::Users(users.iter().map(|user| (*user).to_owned()).collect::<BTreeSet<_>>())
}

fn received(registration: &mut Registration) -> usize {
    let mut count = 0;
    while registration.outbox.try_recv().is_ok() {
        count += 1;
    }
    count
}

#[test]
fn a_push_reaches_every_socket_of_every_user_in_its_audience_and_nobody_else() {
    let registry = Registry::new(8);
    let mut ada_phone = registry.register("ada", "s1").unwrap();
    let mut ada_laptop = registry.register("ada", "s2").unwrap();
    let mut bob = registry.register("bob", "s3").unwrap();

    assert_eq!(registry.deliver(&push(only(&["ada", "eve"]))), 2);
    assert_eq!((received(&mut ada_phone), received(&mut ada_laptop), received(&mut bob)), (1, 1, 0));

    assert_eq!(registry.deliver(&push(Audience::Everyone)), 3);
    assert_eq!((received(&mut ada_phone), received(&mut ada_laptop), received(&mut bob)), (1, 1, 1));
}

#[test]
fn the_frame_is_handed_over_as_the_contract_s_json() {
    let registry = Registry::new(8);
    let mut ada = registry.register("ada", "s1").unwrap();
    registry.deliver(&push(Audience::Everyone));
    let text = ada.outbox.try_recv().unwrap();
    let frame: serde_json::Value = serde_json::from_str(text.as_str()).unwrap();
    assert_eq!(frame, serde_json::json!({ "type": "message-delete", "messageId": "m1", "channelId": "c1" }));
}

#[test]
fn a_client_whose_outbox_is_full_is_closed_as_too_slow_and_the_others_still_receive() {
    let registry = Registry::new(2);
    let mut slow = registry.register("ada", "s1").unwrap();
    let mut fast = registry.register("bob", "s2").unwrap();
    for _ in 0..2 {
        registry.deliver(&push(Audience::Everyone));
        received(&mut fast);
    }
    assert_eq!(registry.deliver(&push(Audience::Everyone)), 1);
    assert_eq!(slow.closed.try_recv(), Ok(CloseReason::TooSlow));
    assert_eq!(received(&mut fast), 1);
    assert_eq!(registry.connected(), 1);
}

#[test]
fn ending_a_session_closes_its_sockets_only_and_refuses_new_ones() {
    let registry = Registry::new(8);
    let mut revoked = registry.register("ada", "s1").unwrap();
    let mut other_session = registry.register("ada", "s2").unwrap();

    assert_eq!(registry.end_session("ada", "s1"), 1);

    assert_eq!(revoked.closed.try_recv(), Ok(CloseReason::SessionEnded));
    assert!(other_session.closed.try_recv().is_err());
    assert!(registry.register("ada", "s1").is_none());
    assert_eq!(registry.connected(), 1);
}

#[test]
fn a_socket_that_ended_is_forgotten() {
    let registry = Registry::new(8);
    let ada = registry.register("ada", "s1").unwrap();
    registry.unregister("ada", ada.id);
    assert_eq!(registry.connected(), 0);
    assert_eq!(registry.deliver(&push(Audience::Everyone)), 0);
}

#[test]
fn closing_all_tells_every_socket_why() {
    let registry = Registry::new(8);
    let mut ada = registry.register("ada", "s1").unwrap();
    let mut bob = registry.register("bob", "s2").unwrap();
    registry.close_all(CloseReason::ShuttingDown);
    assert_eq!(ada.closed.try_recv(), Ok(CloseReason::ShuttingDown));
    assert_eq!(bob.closed.try_recv(), Ok(CloseReason::ShuttingDown));
    assert_eq!(registry.connected(), 0);
}
