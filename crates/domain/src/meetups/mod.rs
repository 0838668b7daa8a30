//! Meetups and chat: meetup events people join, chat channels (public or private, one per meetup),
//! and the messages posted in them.
//!
//! Four aggregates, so no one of them grows hot: a [`Meetup`] as announced, a [`Membership`] per user
//! who joined one, a [`Channel`] with its name, privacy and members, a [`Message`] per post. Who may post, edit or delete is decided
//! here; the command side loads the channel to learn the poster's membership and passes it in.

pub mod channel;
pub mod meetup;
pub mod membership;
pub mod message;
mod text;

pub use channel::{Channel, ChannelCommand, ChannelEvent, ChannelInfo, ChannelRefusal};
pub use meetup::{Meetup, MeetupCommand, MeetupEvent, MeetupInfo, MeetupRefusal};
pub use membership::{Membership, MembershipCommand, MembershipEvent, membership_id};
pub use message::{Message, MessageCommand, MessageEvent, MessageInfo, MessageRefusal};
pub use text::{ChannelName, MessageBody, bounded_text, required_text};
