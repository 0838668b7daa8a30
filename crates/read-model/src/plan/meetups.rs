//! Plans for meetups, channels and messages.
//!
//! A meetup's document is kept as fields, so a join increments its member count alone. A channel's
//! document is rendered from its head (the document without members) and its member set, once per
//! batch however many joined ([`render_each_channel_once`]). A message's events carry the whole
//! message, so its document is simply written again.

use domain::meetups::{ChannelEvent, MeetupEvent, MembershipEvent, MessageEvent};
use serde::Serialize;

use super::Op;
use crate::keys::relative;
use crate::log_entry::LogEntry;
use crate::meetups::{ChannelDocument, MEETUP_FIELDS, MeetupDocument, MessageDocument};

/// Plans one meetup event.
pub fn plan_meetup(event: &LogEntry<'_>, meetup_event: MeetupEvent, ops: &mut Vec<Op>) {
    let id = event.aggregate_id.as_ref();
    let MeetupEvent::MeetupCreated { meetup } = meetup_event;
    let document = MeetupDocument::new(id, &meetup, 1);
    let created = meetup.created_at.timestamp_millis();
    ops.push(meetup_fields(id, fields_of(&document)));
    ops.push(Op::ZAdd { key: relative::ALL_MEETUPS.to_owned(), score: created, member: id.to_owned() });
    ops.push(Op::ZAdd { key: relative::meetups_of(&meetup.creator), score: created, member: id.to_owned() });
}

/// Plans a user's joining a meetup: one more member, and the meetup in the user's list.
pub fn plan_membership(membership_event: MembershipEvent, ops: &mut Vec<Op>) {
    let MembershipEvent::MeetupMemberJoined { meetup_id, user_id, joined_at } = membership_event;
    ops.push(Op::Increment {
        document: relative::meetup(&meetup_id),
        fields_key: relative::meetup_fields(&meetup_id),
        order: &MEETUP_FIELDS,
        field: "memberCount",
    });
    let joined = joined_at.timestamp_millis();
    ops.push(Op::ZAdd { key: relative::meetups_of(&user_id), score: joined, member: meetup_id });
}

/// Plans one channel event.
pub fn plan_channel(event: &LogEntry<'_>, channel_event: ChannelEvent, ops: &mut Vec<Op>) {
    let id = event.aggregate_id.as_ref();
    match channel_event {
        ChannelEvent::ChannelCreated { channel, members } => {
            let created = channel.created_at.timestamp_millis();
            let head = ChannelDocument::new(id, &channel, vec![], None);
            ops.push(Op::Set { key: relative::channel_head(id), value: head_json(&head) });
            ops.push(Op::ZAdd {
                key: relative::ALL_CHANNELS.to_owned(),
                score: created,
                member: id.to_owned(),
            });
            if !channel.private {
                ops.push(Op::ZAdd {
                    key: relative::PUBLIC_CHANNELS.to_owned(),
                    score: created,
                    member: id.to_owned(),
                });
            }
            for member in members {
                ops.push(Op::SAdd { key: relative::channel_members(id), member: member.clone() });
                ops.push(Op::ZAdd {
                    key: relative::channels_of(&member),
                    score: created,
                    member: id.to_owned(),
                });
            }
            ops.push(render_channel(id));
        }
        ChannelEvent::ChannelUpdated { channel, edited_at } => {
            let head = ChannelDocument::new(id, &channel, vec![], Some(edited_at));
            ops.push(Op::Set { key: relative::channel_head(id), value: head_json(&head) });
            ops.push(render_channel(id));
        }
        ChannelEvent::ChannelMemberAdded { user_id, .. } => {
            ops.push(Op::SAdd { key: relative::channel_members(id), member: user_id.clone() });
            ops.push(Op::ZAddScoreOf {
                from: relative::ALL_CHANNELS.to_owned(),
                key: relative::channels_of(&user_id),
                member: id.to_owned(),
            });
            ops.push(render_channel(id));
        }
        ChannelEvent::ChannelMemberRemoved { user_id, .. } => {
            ops.push(Op::SRem { key: relative::channel_members(id), member: user_id.clone() });
            ops.push(Op::ZRem { key: relative::channels_of(&user_id), member: id.to_owned() });
            ops.push(render_channel(id));
        }
        ChannelEvent::ChannelDeleted { members, .. } => {
            for member in members {
                ops.push(Op::ZRem { key: relative::channels_of(&member), member: id.to_owned() });
            }
            for key in [relative::ALL_CHANNELS, relative::PUBLIC_CHANNELS] {
                ops.push(Op::ZRem { key: key.to_owned(), member: id.to_owned() });
            }
            for key in [
                relative::channel(id),
                relative::channel_head(id),
                relative::channel_members(id),
                relative::channel_messages(id),
            ] {
                ops.push(Op::Del { key });
            }
        }
    }
}

/// Plans one message event.
pub fn plan_message(event: &LogEntry<'_>, message_event: MessageEvent, ops: &mut Vec<Op>) {
    let id = event.aggregate_id.as_ref();
    match message_event {
        MessageEvent::MessagePosted { message } => {
            let document = MessageDocument::new(id, &message, None);
            ops.push(Op::Set { key: relative::message(id), value: json(&document) });
            ops.push(Op::ZAdd {
                key: relative::channel_messages(&message.channel_id),
                score: message.created_at.timestamp_micros(),
                member: id.to_owned(),
            });
        }
        MessageEvent::MessageEdited { message, edited_at } => {
            let document = MessageDocument::new(id, &message, Some(edited_at));
            ops.push(Op::Set { key: relative::message(id), value: json(&document) });
        }
        MessageEvent::MessageDeleted { channel_id, .. } => {
            ops.push(Op::Del { key: relative::message(id) });
            ops.push(Op::ZRem { key: relative::channel_messages(&channel_id), member: id.to_owned() });
        }
    }
}

/// Keeps only the last rendering of each channel in `ops`: it comes after every change the batch made
/// to the channel, so the earlier ones would only be overwritten (a burst of joins to a large channel
/// would otherwise render its whole member list once per join).
pub fn render_each_channel_once(ops: &mut Vec<Op>) {
    let mut rendered = std::collections::HashSet::new();
    let mut keep = vec![true; ops.len()];
    for (index, op) in ops.iter().enumerate().rev() {
        if let Op::WithSet { document, .. } = op {
            keep[index] = rendered.insert(document.clone());
        }
    }
    let mut flags = keep.into_iter();
    ops.retain(|_| flags.next().unwrap_or(true));
}

fn meetup_fields(id: &str, fields: Vec<(&'static str, String)>) -> Op {
    Op::Document {
        document: relative::meetup(id),
        fields_key: relative::meetup_fields(id),
        order: &MEETUP_FIELDS,
        fields,
    }
}

/// The document's fields as JSON fragments, in [`MEETUP_FIELDS`] order.
fn fields_of(document: &MeetupDocument) -> Vec<(&'static str, String)> {
    let serde_json::Value::Object(object) = serde_json::to_value(document).unwrap_or_default() else {
        return vec![];
    };
    MEETUP_FIELDS.iter().filter_map(|&name| Some((name, object.get(name)?.to_string()))).collect()
}

fn render_channel(id: &str) -> Op {
    Op::WithSet {
        document: relative::channel(id),
        head: relative::channel_head(id),
        set: relative::channel_members(id),
        field: "members",
    }
}

/// A channel's document without its `members`, which the Redis Function adds from the member set.
fn head_json(head: &ChannelDocument) -> String {
    let mut value = serde_json::to_value(head).unwrap_or_default();
    if let Some(object) = value.as_object_mut() {
        object.remove("members");
    }
    value.to_string()
}

fn json(value: &impl Serialize) -> String {
    serde_json::to_string(value).unwrap_or_default()
}
