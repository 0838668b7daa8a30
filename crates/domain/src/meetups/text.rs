//! The texts of meetups and chat, with their limits.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A channel's name: 1–80 characters after trimming. Unique among channels, compared without case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ChannelName(String);

impl ChannelName {
    /// The longest name accepted, in characters.
    pub const MAX_CHARS: usize = 80;

    /// Accepts 1–80 characters after trimming.
    pub fn parse(raw: &str) -> Result<Self, String> {
        required_text(raw, Self::MAX_CHARS).map(Self)
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// What uniqueness compares: the name in lower case.
    pub fn folded(&self) -> String {
        self.0.to_lowercase()
    }
}

impl TryFrom<String> for ChannelName {
    type Error = String;
    fn try_from(raw: String) -> Result<Self, String> {
        Self::parse(&raw)
    }
}

impl From<ChannelName> for String {
    fn from(name: ChannelName) -> String {
        name.0
    }
}

impl fmt::Display for ChannelName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A message's body: 1–4000 characters, kept as written (only an all-blank body is refused).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MessageBody(String);

impl MessageBody {
    /// The longest body accepted, in characters.
    pub const MAX_CHARS: usize = 4000;

    /// Accepts 1–4000 characters that are not all white space.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let length = raw.chars().count();
        if raw.trim().is_empty() {
            return Err("must not be empty".to_owned());
        }
        if length > Self::MAX_CHARS {
            return Err(format!("must be at most {} characters", Self::MAX_CHARS));
        }
        Ok(Self(raw.to_owned()))
    }

    /// The body.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for MessageBody {
    type Error = String;
    fn try_from(raw: String) -> Result<Self, String> {
        Self::parse(&raw)
    }
}

impl From<MessageBody> for String {
    fn from(body: MessageBody) -> String {
        body.0
    }
}

/// `raw` trimmed, when it holds 1–`max` characters.
pub fn required_text(raw: &str, max: usize) -> Result<String, String> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err("must not be empty".to_owned());
    }
    bounded_text(trimmed, max)
}

/// `raw` trimmed, when it holds at most `max` characters (it may be empty).
pub fn bounded_text(raw: &str, max: usize) -> Result<String, String> {
    let trimmed = raw.trim();
    if trimmed.chars().count() > max {
        return Err(format!("must be at most {max} characters"));
    }
    Ok(trimmed.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_names_are_trimmed_bounded_and_compared_without_case() {
        assert_eq!(ChannelName::parse("  Jam Night ").unwrap().as_str(), "Jam Night");
        assert_eq!(ChannelName::parse("Jam Night").unwrap().folded(), "jam night");
        assert!(ChannelName::parse("   ").is_err());
        assert!(ChannelName::parse(&"x".repeat(80)).is_ok());
        assert!(ChannelName::parse(&"x".repeat(81)).is_err());
    }

    #[test]
    fn message_bodies_keep_their_spacing_and_are_limited_to_4000_characters() {
        assert_eq!(MessageBody::parse("  hi\n").unwrap().as_str(), "  hi\n");
        assert!(MessageBody::parse(" \n ").is_err());
        assert!(MessageBody::parse(&"é".repeat(4000)).is_ok());
        assert!(MessageBody::parse(&"é".repeat(4001)).is_err());
    }
}
