//! Names clients choose for games, players and regions: 1–64 characters of `[A-Za-z0-9_.-]`.

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! slug_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Parses a name, refusing anything but 1–64 characters of `[A-Za-z0-9_.-]`.
            pub fn parse(raw: &str) -> Result<Self, String> {
                parse_slug(raw).map(|()| Self(raw.to_owned()))
            }

            /// The name as the client wrote it.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = String;
            fn try_from(raw: String) -> Result<Self, String> {
                parse_slug(&raw).map(|()| Self(raw))
            }
        }

        impl From<$name> for String {
            fn from(name: $name) -> String {
                name.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

slug_type!(
    /// A game's name, which is also its id.
    GameName
);
slug_type!(
    /// A player's name within a game.
    PlayerName
);
slug_type!(
    /// A region whose board a score also counts on.
    RegionName
);

/// The longest name accepted.
pub const MAX_NAME_LEN: usize = 64;

fn parse_slug(raw: &str) -> Result<(), String> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-');
    if raw.is_empty() || raw.len() > MAX_NAME_LEN || !raw.chars().all(allowed) {
        return Err(format!("must be 1–{MAX_NAME_LEN} characters of letters, digits, '_', '.' or '-'"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_of_letters_digits_and_punctuation_is_accepted() {
        assert_eq!(GameName::parse("Tetris_99.v-2").unwrap().as_str(), "Tetris_99.v-2");
    }

    #[test]
    fn an_empty_name_is_rejected() {
        assert!(PlayerName::parse("").is_err());
    }

    #[test]
    fn a_name_of_65_characters_is_rejected_and_one_of_64_accepted() {
        assert!(RegionName::parse(&"a".repeat(65)).is_err());
        assert!(RegionName::parse(&"a".repeat(64)).is_ok());
    }

    #[test]
    fn spaces_colons_and_non_ascii_letters_are_rejected() {
        for raw in ["a b", "a:b", "é", "a/b", "~"] {
            assert!(GameName::parse(raw).is_err(), "{raw} was accepted");
        }
    }

    #[test]
    fn deserializing_an_invalid_name_fails() {
        assert!(serde_json::from_str::<GameName>("\"no spaces\"").is_err());
    }
}
