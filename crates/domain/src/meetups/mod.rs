//! Meetups and chat: meetup events people join, chat channels (public or private, one per meetup),
//! and the messages posted in them.
//!
//! Three aggregates, so no one of them grows hot: a [`Meetup`] holds who joined, a [`Channel`] holds its
//! name, privacy and members, a [`Message`] holds one post. Who may post, edit or delete is decided
//! here; the command side loads the channel to learn the poster's membership and passes it in.

pub mod channel;
pub mod meetup;
pub mod message;
mod text;

pub use channel::{Channel, ChannelCommand, ChannelEvent, ChannelInfo, ChannelRefusal};
pub use meetup::{Meetup, MeetupCommand, MeetupEvent, MeetupInfo, MeetupRefusal};
pub use message::{Message, MessageCommand, MessageEvent, MessageInfo, MessageRefusal};
pub use text::{ChannelName, MessageBody, bounded_text, required_text};
