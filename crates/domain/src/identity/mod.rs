//! Identity: users, their profiles and their sessions.

pub mod email;
pub mod user;

pub use email::Email;
pub use user::{Profile, Session, User, UserCommand, UserError, UserEvent, UserName};
