use chrono::{DateTime, Utc};
use cqrs_es::Aggregate as _;
use domain::meetups::{ChannelInfo, ChannelName, MessageBody, MessageInfo};

use super::*;

const AT: DateTime<Utc> = DateTime::UNIX_EPOCH;

fn info(private: bool) -> ChannelInfo {
    ChannelInfo {
        name: ChannelName::parse("synths").unwrap(),
        description: "modular talk".into(),
        private,
        creator: "ada".into(),
        created_at: AT,
        meetup_id: None,
        request_hash: "h1".into(),
    }
}

fn created(private: bool, members: &[&str]) -> ChannelEvent {
    let members = members.iter().map(|member| (*member).to_owned()).collect();
    ChannelEvent::ChannelCreated { channel: info(private), members }
}

/// The channel after `events`, as `live`'s view holds it.
fn view(events: &[ChannelEvent]) -> Channel {
    let mut channel = Channel::default();
    events.iter().cloned().for_each(|event| channel.apply(event));
    channel
}

fn users(names: &[&str]) -> Audience {
    Audience::Users(names.iter().map(|name| (*name).to_owned()).collect())
}

fn posted(channel_id: &str) -> MessageEvent {
    let message = MessageInfo {
        channel_id: channel_id.into(),
        body: MessageBody::parse("hello").unwrap(),
        creator: "ada".into(),
        created_at: AT,
        request_hash: "h2".into(),
    };
    MessageEvent::MessagePosted { message }
}

fn kinds(pushes: &[Push]) -> Vec<(FrameKind, Audience)> {
    pushes.iter().map(|push| (push.frame.kind, push.audience.clone())).collect()
}

#[test]
fn a_message_in_a_public_channel_goes_to_everyone() {
    let channel = view(&[created(false, &["ada"])]);
    let pushes = message_pushes("m1", &posted("c1"), Some(&channel));
    assert_eq!(kinds(&pushes), [(FrameKind::MessageNew, Audience::Everyone)]);
    let message = pushes[0].frame.message.as_ref().unwrap();
    assert_eq!((message.id.as_str(), message.body.as_str()), ("m1", "hello"));
    assert_eq!(pushes[0].frame.channel_id.as_deref(), Some("c1"));
}

#[test]
fn a_message_in_a_private_channel_goes_to_its_members_only() {
    let channel = view(&[
        created(true, &["ada"]),
        ChannelEvent::ChannelMemberAdded { user_id: "bob".into(), added_at: AT },
    ]);
    let pushes = message_pushes("m1", &posted("c1"), Some(&channel));
    assert_eq!(kinds(&pushes), [(FrameKind::MessageNew, users(&["ada", "bob"]))]);
    assert!(!pushes[0].audience.includes("eve"));
}

#[test]
fn a_message_of_a_deleted_unknown_or_unloaded_channel_goes_to_nobody() {
    let deleted = view(&[
        created(false, &["ada"]),
        ChannelEvent::ChannelDeleted { members: vec!["ada".into()], private: false, deleted_at: AT },
    ]);
    assert!(message_pushes("m1", &posted("c1"), Some(&deleted)).is_empty());
    assert!(message_pushes("m1", &posted("c1"), Some(&Channel::default())).is_empty());
    assert!(message_pushes("m1", &posted("c1"), None).is_empty());
}

#[test]
fn an_edit_carries_the_whole_message_with_its_edit_time_and_a_deletion_only_ids() {
    let channel = view(&[created(false, &["ada"])]);
    let MessageEvent::MessagePosted { message } = posted("c1") else { unreachable!() };
    let edited = MessageEvent::MessageEdited { message, edited_at: AT };
    let pushes = message_pushes("m1", &edited, Some(&channel));
    assert_eq!(pushes[0].frame.kind, FrameKind::MessageUpdate);
    assert!(pushes[0].frame.message.as_ref().unwrap().edited_at.is_some());

    let deleted = MessageEvent::MessageDeleted { channel_id: "c1".into(), deleted_at: AT };
    let pushes = message_pushes("m1", &deleted, Some(&channel));
    assert_eq!(pushes[0].frame, Frame::message_deleted("m1", "c1"));
    assert_eq!(channel_of(&deleted), "c1");
}

#[test]
fn a_new_private_channel_is_announced_to_its_members_and_a_public_one_to_everyone() {
    let private = created(true, &["ada", "bob"]);
    let pushes = channel_pushes("c1", &private, Some(&view(std::slice::from_ref(&private))));
    assert_eq!(kinds(&pushes), [(FrameKind::ChannelNew, users(&["ada", "bob"]))]);
    assert_eq!(pushes[0].frame.channel.as_ref().unwrap().members, ["ada", "bob"]);

    let public = created(false, &["ada"]);
    let pushes = channel_pushes("c1", &public, None);
    assert_eq!(kinds(&pushes), [(FrameKind::ChannelNew, Audience::Everyone)]);
}

#[test]
fn a_member_added_to_a_private_channel_receives_it_as_new_and_the_others_an_update() {
    let added = ChannelEvent::ChannelMemberAdded { user_id: "bob".into(), added_at: AT };
    let channel = view(&[created(true, &["ada", "cy"]), added.clone()]);
    let pushes = channel_pushes("c1", &added, Some(&channel));
    assert_eq!(
        kinds(&pushes),
        [(FrameKind::ChannelUpdate, users(&["ada", "cy"])), (FrameKind::ChannelNew, users(&["bob"]))]
    );
    assert_eq!(pushes[1].frame.channel.as_ref().unwrap().members, ["ada", "bob", "cy"]);
}

#[test]
fn a_member_removed_from_a_private_channel_loses_it_and_the_remaining_members_get_an_update() {
    let removed = ChannelEvent::ChannelMemberRemoved { user_id: "bob".into(), removed_at: AT };
    let channel = view(&[created(true, &["ada", "bob"]), removed.clone()]);
    let pushes = channel_pushes("c1", &removed, Some(&channel));
    assert_eq!(
        kinds(&pushes),
        [(FrameKind::ChannelUpdate, users(&["ada"])), (FrameKind::ChannelDelete, users(&["bob"]))]
    );
    assert_eq!(pushes[1].frame, Frame::channel_deleted("c1"));
}

#[test]
fn membership_changes_of_a_public_channel_update_everyone() {
    let added = ChannelEvent::ChannelMemberAdded { user_id: "bob".into(), added_at: AT };
    let channel = view(&[created(false, &["ada"]), added.clone()]);
    assert_eq!(
        kinds(&channel_pushes("c1", &added, Some(&channel))),
        [(FrameKind::ChannelUpdate, Audience::Everyone)]
    );
    let removed = ChannelEvent::ChannelMemberRemoved { user_id: "bob".into(), removed_at: AT };
    let channel = view(&[created(false, &["ada", "bob"]), removed.clone()]);
    assert_eq!(
        kinds(&channel_pushes("c1", &removed, Some(&channel))),
        [(FrameKind::ChannelUpdate, Audience::Everyone)]
    );
}

#[test]
fn a_deleted_private_channel_is_deleted_for_its_last_members_only() {
    let deleted = ChannelEvent::ChannelDeleted {
        members: vec!["ada".into(), "bob".into()],
        private: true,
        deleted_at: AT,
    };
    let pushes = channel_pushes("c1", &deleted, None);
    assert_eq!(kinds(&pushes), [(FrameKind::ChannelDelete, users(&["ada", "bob"]))]);
    let public = ChannelEvent::ChannelDeleted { members: vec![], private: false, deleted_at: AT };
    assert_eq!(kinds(&channel_pushes("c1", &public, None)), [(FrameKind::ChannelDelete, Audience::Everyone)]);
}

#[test]
fn an_update_of_a_channel_that_is_not_known_pushes_nothing() {
    let updated = ChannelEvent::ChannelUpdated { channel: info(true), edited_at: AT };
    assert!(channel_pushes("c1", &updated, None).is_empty());
    let channel = view(&[created(true, &["ada"]), updated.clone()]);
    let pushes = channel_pushes("c1", &updated, Some(&channel));
    assert_eq!(kinds(&pushes), [(FrameKind::ChannelUpdate, users(&["ada"]))]);
    assert!(pushes[0].frame.channel.as_ref().unwrap().edited_at.is_some());
}

#[test]
fn the_last_member_removed_from_a_private_channel_leaves_nobody_to_update() {
    let removed = ChannelEvent::ChannelMemberRemoved { user_id: "ada".into(), removed_at: AT };
    let channel = view(&[created(true, &["ada"]), removed.clone()]);
    assert_eq!(
        kinds(&channel_pushes("c1", &removed, Some(&channel))),
        [(FrameKind::ChannelDelete, users(&["ada"]))]
    );
}
