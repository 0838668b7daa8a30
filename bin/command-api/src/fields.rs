//! Text fields as the OpenAPI document states them: a length counts every character as sent, the
//! white space the domain trims away included, so the document's `maxLength` is exactly the server's.

use domain::identity::Email;
use domain::meetups::ChannelName;

/// The longest e-mail address accepted.
pub const MAX_EMAIL_CHARS: usize = 254;

/// `raw`, trimmed, when it is at most `max` characters as sent and not blank.
pub fn required_text(raw: &str, max: usize) -> Result<String, String> {
    within(raw, max)?;
    domain::meetups::required_text(raw, max)
}

/// `raw`, trimmed (possibly empty), when it is at most `max` characters as sent.
pub fn bounded_text(raw: &str, max: usize) -> Result<String, String> {
    within(raw, max)?;
    domain::meetups::bounded_text(raw, max)
}

/// A channel name: 1–80 characters as sent, not blank.
pub fn channel_name(raw: &str) -> Result<ChannelName, String> {
    within(raw, ChannelName::MAX_CHARS)?;
    ChannelName::parse(raw)
}

/// An e-mail address of at most 254 characters as sent.
pub fn email(raw: &str) -> Result<Email, String> {
    within(raw, MAX_EMAIL_CHARS)?;
    Email::parse(raw)
}

fn within(raw: &str, max: usize) -> Result<(), String> {
    if raw.chars().count() > max {
        return Err(format!("must be at most {max} characters"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// White space as Rust's `char::is_whitespace` (and so `str::trim`) knows it, Unicode's
    /// White_Space, as the document's patterns spell it inside a character class.
    const WHITE_SPACE: &str = r"\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000";

    /// command-api's part of the OpenAPI document, as compact JSON.
    fn command_api_document() -> String {
        serde_json::to_string(&<crate::openapi::CommandApi as utoipa::OpenApi>::openapi()).unwrap()
    }

    #[test]
    fn every_white_space_class_of_the_document_is_the_whole_of_unicodes() {
        let document = command_api_document();
        let escaped = serde_json::to_string(WHITE_SPACE).unwrap();
        let spelled = document.matches(escaped.trim_matches('"')).count();
        assert!(spelled > 0);
        assert_eq!(document.matches("u3000").count(), spelled, "a white-space class differs");
    }

    /// RFC 3339 date-times as the document's pattern spells them: real calendar dates only, 29
    /// February in leap years alone.
    const DATE_TIME: &str = r"^([0-9]{4}-((0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])|(0[469]|11)-(0[1-9]|[12][0-9]|30)|02-(0[1-9]|1[0-9]|2[0-8]))|([0-9]{2}(0[48]|[2468][048]|[13579][26])|([02468][048]|[13579][26])00)-02-29)T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,9})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$";

    #[test]
    fn every_date_time_pattern_of_the_document_is_the_one_tested_here() {
        let document = command_api_document();
        let escaped = serde_json::to_string(DATE_TIME).unwrap();
        let spelled = document.matches(escaped.as_str()).count();
        assert_eq!(spelled, document.matches(r#""format":"date-time""#).count());
        assert!(spelled > 0);
    }

    #[test]
    fn the_date_time_pattern_accepts_exactly_the_dates_the_server_parses() {
        let pattern = regex::Regex::new(DATE_TIME).unwrap();
        let years = [0, 1900, 1999, 2000, 2023, 2024, 2100, 2400, 9999];
        for (year, month, day) in
            years.iter().flat_map(|&y| (1..=12).flat_map(move |m| (1..=31).map(move |d| (y, m, d))))
        {
            let text = format!("{year:04}-{month:02}-{day:02}T12:00:00Z");
            let parses = chrono::DateTime::parse_from_rfc3339(&text).is_ok();
            assert_eq!(pattern.is_match(&text), parses, "{text}");
        }
    }

    #[test]
    fn white_space_around_text_counts_towards_its_length() {
        assert!(required_text(&format!(" {} ", "a".repeat(80)), 80).is_err());
        assert_eq!(required_text(&format!(" {} ", "a".repeat(78)), 80).unwrap(), "a".repeat(78));
    }

    #[test]
    fn the_white_space_class_holds_exactly_rusts_white_space() {
        for c in (0u32..0x3001).filter_map(char::from_u32) {
            let listed = pattern_lists(WHITE_SPACE, c);
            assert_eq!(listed, c.is_whitespace(), "{c:?} (U+{:04X})", c as u32);
        }
    }

    /// Whether the class body `class` (escapes `\t \n \r \xNN \uNNNN`, ranges with `-`) holds `c`.
    fn pattern_lists(class: &str, c: char) -> bool {
        let mut chars: Vec<char> = Vec::new();
        let mut rest = class;
        while let Some(first) = rest.chars().next() {
            let (one, len) = match first {
                '\\' => match &rest[1..2] {
                    "t" => ('\t', 2),
                    "n" => ('\n', 2),
                    "r" => ('\r', 2),
                    "x" => (char::from_u32(u32::from_str_radix(&rest[2..4], 16).unwrap()).unwrap(), 4),
                    "u" => (char::from_u32(u32::from_str_radix(&rest[2..6], 16).unwrap()).unwrap(), 6),
                    other => panic!("unexpected escape {other}"),
                },
                other => (other, other.len_utf8()),
            };
            chars.push(one);
            rest = &rest[len..];
        }
        let mut i = 0;
        while i < chars.len() {
            if i + 2 < chars.len() && chars[i + 1] == '-' {
                if (chars[i]..=chars[i + 2]).contains(&c) {
                    return true;
                }
                i += 3;
            } else {
                if chars[i] == c {
                    return true;
                }
                i += 1;
            }
        }
        false
    }
}
