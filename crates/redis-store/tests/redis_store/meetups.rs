//! Meetup, channel and message events planned and applied to a real Redis, under the test's own prefix.

use chrono::{DateTime, Utc};
use domain::meetups::{
    ChannelEvent, ChannelInfo, ChannelName, MeetupEvent, MeetupInfo, MembershipEvent, MessageBody,
    MessageEvent, MessageInfo, membership_id,
};
use fred::prelude::*;
use read_model::meetups::{ChannelDocument, MeetupDocument, MessageDocument};
use read_model::{GameBook, Keys, LogEntry};

use crate::common::{checkpoint, plan, store};

const T0: &str = "2026-11-23T12:00:00Z";

fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339).unwrap().with_timezone(&Utc)
}

fn logged(aggregate_type: &str, id: &str, payload: serde_json::Value) -> LogEntry<'static> {
    crate::common::logged(aggregate_type, id, 1, payload, serde_json::json!({}), at(T0))
}

fn channel(id: &str, event: ChannelEvent) -> LogEntry<'static> {
    logged("channel", id, serde_json::to_value(event).unwrap())
}

fn channel_info(name: &str, private: bool, created_at: &str) -> ChannelInfo {
    ChannelInfo {
        name: ChannelName::parse(name).unwrap(),
        description: String::new(),
        private,
        creator: "ada".into(),
        created_at: at(created_at),
        meetup_id: None,
        request_hash: "h".into(),
    }
}

fn message(id: &str, channel_id: &str, body: &str, created_at: &str) -> MessageInfo {
    MessageInfo {
        channel_id: channel_id.into(),
        body: MessageBody::parse(body).unwrap(),
        creator: "ada".into(),
        created_at: at(created_at),
        request_hash: id.into(),
    }
}

async fn apply(events: &[LogEntry<'_>]) -> (Client, Keys) {
    let (store, redis, keys) = store().await;
    let ops = plan(events, &mut GameBook::new(), at(T0));
    store.apply(1, None, checkpoint(1), at(T0), ops).await.unwrap();
    (redis, keys)
}

async fn document<T: serde::de::DeserializeOwned>(redis: &Client, key: String) -> Option<T> {
    let stored: Option<String> = redis.get(key).await.unwrap();
    stored.map(|text| serde_json::from_str(&text).unwrap())
}

async fn ids(redis: &Client, key: String) -> Vec<String> {
    redis.zrange(key, 0, -1, None, false, None, false).await.unwrap()
}

#[tokio::test]
async fn a_meetup_counts_its_members_and_lists_itself_for_each_of_them() {
    let meetup = MeetupInfo {
        title: "Jam night".into(),
        date_time: at("2026-12-01T19:00:00Z"),
        location: "The cellar".into(),
        description: "bring a synth".into(),
        channel_id: "c1".into(),
        creator: "ada".into(),
        created_at: at(T0),
        request_hash: "h".into(),
    };
    let joined = |user: &str| {
        let event = MembershipEvent::MeetupMemberJoined {
            meetup_id: "m1".into(),
            user_id: user.into(),
            joined_at: at(T0),
        };
        logged("meetup_member", &membership_id("m1", user), serde_json::to_value(event).unwrap())
    };
    let created = MeetupEvent::MeetupCreated { meetup: meetup.clone() };
    let events =
        [logged("meetup", "m1", serde_json::to_value(created).unwrap()), joined("bob"), joined("eve")];
    let (redis, keys) = apply(&events).await;
    let stored: MeetupDocument = document(&redis, keys.meetup("m1")).await.unwrap();
    assert_eq!(stored, MeetupDocument::new("m1", &meetup, 3));
    assert_eq!(ids(&redis, keys.all_meetups()).await, ["m1"]);
    assert_eq!(ids(&redis, keys.meetups_of("ada")).await, ["m1"]);
    assert_eq!(ids(&redis, keys.meetups_of("bob")).await, ["m1"]);
    assert_eq!(ids(&redis, keys.meetups_of("eve")).await, ["m1"]);
}

#[tokio::test]
async fn a_channel_document_follows_its_members_and_edits_and_disappears_when_deleted() {
    let private = channel_info("synths", true, T0);
    let public = channel_info("lobby", false, "2026-11-23T12:00:01Z");
    let renamed = ChannelInfo { name: ChannelName::parse("modular").unwrap(), ..private.clone() };
    let edited_at = at("2026-11-23T13:00:00Z");
    let events = [
        channel("p", ChannelEvent::ChannelCreated { channel: private, members: vec!["ada".into()] }),
        channel("l", ChannelEvent::ChannelCreated { channel: public.clone(), members: vec!["ada".into()] }),
        channel("p", ChannelEvent::ChannelMemberAdded { user_id: "bob".into(), added_at: at(T0) }),
        channel("p", ChannelEvent::ChannelMemberAdded { user_id: "eve".into(), added_at: at(T0) }),
        channel("p", ChannelEvent::ChannelMemberRemoved { user_id: "eve".into(), removed_at: at(T0) }),
        channel("p", ChannelEvent::ChannelUpdated { channel: renamed.clone(), edited_at }),
        channel(
            "l",
            ChannelEvent::ChannelDeleted { members: vec!["ada".into()], private: false, deleted_at: at(T0) },
        ),
    ];
    let (redis, keys) = apply(&events).await;
    let stored: ChannelDocument = document(&redis, keys.channel("p")).await.unwrap();
    assert_eq!(
        stored,
        ChannelDocument::new("p", &renamed, vec!["ada".into(), "bob".into()], Some(edited_at))
    );
    assert_eq!(ids(&redis, keys.channels_of("bob")).await, ["p"]);
    assert!(ids(&redis, keys.channels_of("eve")).await.is_empty());
    assert_eq!(ids(&redis, keys.channels_of("ada")).await, ["p"], "the deleted channel left ada's list");
    assert!(ids(&redis, keys.public_channels()).await.is_empty());
    assert!(document::<ChannelDocument>(&redis, keys.channel("l")).await.is_none());
}

#[tokio::test]
async fn messages_are_listed_by_posting_time_show_edits_and_leave_when_deleted() {
    let first = message("m1", "c", "first", "2026-11-23T12:00:00.000001Z");
    let second = message("m2", "c", "second", "2026-11-23T12:00:00.000002Z");
    let edited = MessageInfo { body: MessageBody::parse("second, edited").unwrap(), ..second.clone() };
    let edited_at = at("2026-11-23T12:05:00Z");
    let third = message("m3", "c", "third", "2026-11-23T12:00:00.000003Z");
    let events = [
        logged(
            "message",
            "m2",
            serde_json::to_value(MessageEvent::MessagePosted { message: second }).unwrap(),
        ),
        logged(
            "message",
            "m1",
            serde_json::to_value(MessageEvent::MessagePosted { message: first }).unwrap(),
        ),
        logged(
            "message",
            "m3",
            serde_json::to_value(MessageEvent::MessagePosted { message: third }).unwrap(),
        ),
        logged(
            "message",
            "m2",
            serde_json::to_value(MessageEvent::MessageEdited { message: edited.clone(), edited_at }).unwrap(),
        ),
        logged(
            "message",
            "m3",
            serde_json::to_value(MessageEvent::MessageDeleted { channel_id: "c".into(), deleted_at: at(T0) })
                .unwrap(),
        ),
    ];
    let (redis, keys) = apply(&events).await;
    assert_eq!(ids(&redis, keys.channel_messages("c")).await, ["m1", "m2"]);
    let stored: MessageDocument = document(&redis, keys.message("m2")).await.unwrap();
    assert_eq!(stored, MessageDocument::new("m2", &edited, Some(edited_at)));
    assert!(document::<MessageDocument>(&redis, keys.message("m3")).await.is_none());
}
