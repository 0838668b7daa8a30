//! E-mail addresses, normalized before anything compares them.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The longest address accepted, in characters (RFC 5321's path limit, counted as the document's
/// `maxLength` counts).
const MAX_EMAIL_CHARS: usize = 254;

/// A plausible e-mail address, trimmed and lower-cased so `Ada@Example.com ` and `ada@example.com`
/// are one account.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    /// Normalizes and checks an address: one `@`, something before it, a dot in the domain, no spaces.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let trimmed = raw.trim();
        let normalized = trimmed.to_lowercase();
        let valid = match normalized.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !domain.contains('@')
            }
            None => false,
        };
        if !valid || trimmed.chars().count() > MAX_EMAIL_CHARS || normalized.chars().any(char::is_whitespace)
        {
            return Err("must be an e-mail address like ada@example.com".to_owned());
        }
        Ok(Self(normalized))
    }

    /// The normalized address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Email {
    type Error = String;
    fn try_from(raw: String) -> Result<Self, String> {
        Self::parse(&raw)
    }
}

impl From<Email> for String {
    fn from(email: Email) -> String {
        email.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_trimmed_and_lower_cased() {
        assert_eq!(Email::parse("  Ada@Example.COM ").unwrap().as_str(), "ada@example.com");
    }

    #[test]
    fn addresses_without_at_sign_domain_dot_or_local_part_are_rejected() {
        for raw in ["ada", "ada@example", "@example.com", "ada@.com", "a da@example.com", "a@b@c.com"] {
            assert!(Email::parse(raw).is_err(), "{raw} was accepted");
        }
    }

    #[test]
    fn the_length_limit_counts_characters_as_the_document_does() {
        let domain = "@example.com";
        let longest = format!("{}{domain}", "é".repeat(254 - domain.len()));
        assert!(Email::parse(&longest).is_ok(), "254 characters, though more bytes");
        assert!(Email::parse(&format!("é{longest}")).is_err());
    }
}
