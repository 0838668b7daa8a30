//! A game's `onWindowClose` setting: where each closed day, week or month window's top entries are
//! posted, and how many of them.

use serde::{Deserialize, Serialize};

/// `onWindowClose`: when a window of one of the game's periods closes, a `webhook` job posts the
/// window's top `top` entries to `url`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct OnWindowClose {
    /// Where the closed window is posted.
    pub url: CallbackUrl,
    /// How many entries, from the top, the post carries.
    pub top: CallbackTop,
}

/// An absolute `http` or `https` URL of at most [`CallbackUrl::MAX_CHARS`] characters, without
/// whitespace. Which hosts may be called is the webhook kind's allow-list, checked by the shells.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CallbackUrl(String);

impl CallbackUrl {
    /// The longest URL accepted, in characters.
    pub const MAX_CHARS: usize = 2048;

    /// `url`, or why it is not a URL a callback can be posted to.
    pub fn parse(url: &str) -> Result<Self, String> {
        let rest = url
            .strip_prefix("http://")
            .or_else(|| url.strip_prefix("https://"))
            .ok_or_else(|| "must be an absolute http(s) URL".to_owned())?;
        if url.chars().count() > Self::MAX_CHARS {
            return Err(format!("must be at most {} characters", Self::MAX_CHARS));
        }
        if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err("must not hold whitespace or control characters".to_owned());
        }
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        let host = authority.rsplit('@').next().unwrap_or_default();
        if host.is_empty() || host.starts_with(':') {
            return Err("must name a host".to_owned());
        }
        Ok(Self(url.to_owned()))
    }

    /// The URL.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for CallbackUrl {
    type Error = String;
    fn try_from(url: String) -> Result<Self, String> {
        Self::parse(&url)
    }
}

impl From<CallbackUrl> for String {
    fn from(url: CallbackUrl) -> String {
        url.0
    }
}

/// How many entries a window-close callback carries: 1–1000.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "u16", into = "u16")]
pub struct CallbackTop(u16);

impl CallbackTop {
    /// The most entries one callback carries.
    pub const MAX: u16 = 1000;

    /// `count` entries, or why that is not a number of entries to post.
    pub fn new(count: i64) -> Result<Self, String> {
        u16::try_from(count)
            .ok()
            .filter(|count| (1..=Self::MAX).contains(count))
            .map(Self)
            .ok_or_else(|| format!("must be a whole number from 1 to {}", Self::MAX))
    }

    /// The number of entries.
    pub fn get(self) -> u16 {
        self.0
    }
}

impl TryFrom<u16> for CallbackTop {
    type Error = String;
    fn try_from(count: u16) -> Result<Self, String> {
        Self::new(i64::from(count))
    }
}

impl From<CallbackTop> for u16 {
    fn from(top: CallbackTop) -> u16 {
        top.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_callback_carries_from_one_to_a_thousand_entries() {
        assert_eq!(CallbackTop::new(1).map(CallbackTop::get), Ok(1));
        assert_eq!(CallbackTop::new(1000).map(CallbackTop::get), Ok(1000));
        for refused in [0, 1001, -1, i64::MAX] {
            assert!(CallbackTop::new(refused).is_err(), "{refused}");
        }
        assert!(serde_json::from_str::<CallbackTop>("0").is_err());
        assert!(serde_json::from_str::<CallbackTop>("1001").is_err());
    }

    #[test]
    fn a_callback_url_is_an_absolute_http_or_https_url_with_a_host() {
        for accepted in ["http://127.0.0.1:8080/hooks/close", "https://example.com", "http://[::1]:9/x?a=1"] {
            assert_eq!(
                CallbackUrl::parse(accepted).map(|url| url.as_str().to_owned()),
                Ok(accepted.to_owned())
            );
        }
        for refused in [
            "",
            "example.com/hook",
            "ftp://example.com/",
            "file:///etc/passwd",
            "http://",
            "http:///path",
            "http://:80/",
            "http://exa mple.com/",
            "http://example.com/\n",
        ] {
            assert!(CallbackUrl::parse(refused).is_err(), "{refused:?}");
        }
    }

    #[test]
    fn a_callback_url_longer_than_2048_characters_is_refused() {
        let at_most = format!("http://example.com/{}", "a".repeat(2048 - 19));
        assert!(CallbackUrl::parse(&at_most).is_ok());
        assert!(CallbackUrl::parse(&format!("{at_most}a")).unwrap_err().contains("2048"));
    }

    #[test]
    fn an_on_window_close_setting_is_read_and_written_as_url_and_top() {
        let setting: OnWindowClose =
            serde_json::from_str(r#"{"url":"http://127.0.0.1:9/close","top":10}"#).unwrap();
        assert_eq!(setting.top.get(), 10);
        assert_eq!(
            serde_json::to_string(&setting).unwrap(),
            r#"{"url":"http://127.0.0.1:9/close","top":10}"#
        );
        assert!(serde_json::from_str::<OnWindowClose>(r#"{"url":"nope","top":10}"#).is_err());
    }
}
