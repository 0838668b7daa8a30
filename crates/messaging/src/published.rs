//! Which events the relay publishes: those whose routing key matches one of a list of AMQP topic
//! patterns (`*` stands for one word, `#` for none or more, as in a binding). By default, the patterns
//! Reprise's own consumers bind, so events no queue would take (every job's, every score's) cost the
//! relay and the broker nothing; `#` publishes every event.

use crate::topology::{CONVERTER_BINDINGS, LIVE_BINDINGS, NOTIFIER_BINDINGS};

/// The routing keys the relay publishes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    /// Each pattern, split into its words.
    patterns: Vec<Vec<String>>,
}

impl Published {
    /// `patterns` (`relay.publish`), or, for none, what the converter, the notifier and `live` bind.
    pub fn new(patterns: Option<&[String]>) -> Self {
        let patterns: Vec<&str> = match patterns {
            Some(patterns) => patterns.iter().map(String::as_str).collect(),
            None => {
                CONVERTER_BINDINGS.iter().chain(&NOTIFIER_BINDINGS).chain(&LIVE_BINDINGS).copied().collect()
            }
        };
        Self {
            patterns: patterns
                .into_iter()
                .map(|pattern| pattern.split('.').map(str::to_owned).collect())
                .collect(),
        }
    }

    /// The aggregate types whose events some pattern may take (each pattern's first word), for the
    /// reader to fetch only their payloads; none when a pattern begins with a wildcard. A routing key
    /// begins with its aggregate's type in snake case, which is how every Reprise aggregate names its
    /// type already (`meetup_member`, `leaderboard_refresh`).
    pub fn aggregate_types(&self) -> Option<Vec<String>> {
        let mut types: Vec<String> = Vec::new();
        for pattern in &self.patterns {
            let first = pattern.first()?;
            if first == "*" || first == "#" {
                return None;
            }
            if !types.contains(first) {
                types.push(first.clone());
            }
        }
        Some(types)
    }

    /// Whether an event with this routing key is published.
    pub fn includes(&self, routing_key: &str) -> bool {
        let words: Vec<&str> = routing_key.split('.').collect();
        self.patterns.iter().any(|pattern| matches(pattern, &words))
    }
}

/// Whether `key`'s words match `pattern`'s, as a topic exchange matches a binding.
fn matches(pattern: &[String], key: &[&str]) -> bool {
    match pattern.split_first() {
        None => key.is_empty(),
        Some((word, rest)) if word == "#" => (0..=key.len()).any(|skipped| matches(rest, &key[skipped..])),
        Some((word, rest)) => match key.split_first() {
            Some((first, after)) => (word == "*" || word == first) && matches(rest, after),
            None => false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::Published;
    use crate::topology::{CONVERTER_BINDINGS, LIVE_BINDINGS, NOTIFIER_BINDINGS};

    fn published(patterns: &[&str]) -> Published {
        let patterns: Vec<String> = patterns.iter().map(|pattern| (*pattern).to_owned()).collect();
        Published::new(Some(&patterns))
    }

    #[test]
    fn a_star_stands_for_exactly_one_word() {
        let channels = published(&["channel.*"]);
        assert!(channels.includes("channel.created"));
        assert!(!channels.includes("channel"));
        assert!(!channels.includes("channel.member.joined"));
        assert!(!channels.includes("message.posted"));
    }

    #[test]
    fn a_hash_stands_for_any_number_of_words_even_none() {
        assert!(published(&["#"]).includes("job.queued"));
        assert!(published(&["job.#"]).includes("job"));
        assert!(published(&["job.#"]).includes("job.queued"));
        assert!(published(&["#.queued"]).includes("job.queued"));
        assert!(!published(&["#.queued"]).includes("job.succeeded"));
    }

    #[test]
    fn a_word_matches_only_itself_and_every_pattern_is_tried() {
        let some = published(&["conversion.requested", "user.session_revoked"]);
        assert!(some.includes("conversion.requested"));
        assert!(some.includes("user.session_revoked"));
        assert!(!some.includes("conversion.succeeded"));
        assert!(!some.includes("user.signed_up"));
        assert!(!published(&[]).includes("conversion.requested"));
    }

    #[test]
    fn the_aggregate_types_read_whole_are_the_patterns_first_words_unless_one_is_a_wildcard() {
        let some = published(&["conversion.requested", "conversion.failed", "user.session_revoked"]);
        assert_eq!(some.aggregate_types(), Some(vec!["conversion".to_owned(), "user".to_owned()]));
        assert_eq!(published(&["channel.*", "#.queued"]).aggregate_types(), None);
        assert_eq!(published(&["*.posted"]).aggregate_types(), None);
        assert_eq!(published(&[]).aggregate_types(), Some(vec![]));
        let default =
            Published::new(None).aggregate_types().expect("no default pattern starts with a wildcard");
        assert!(
            default.iter().all(|kind| ["conversion", "channel", "message", "user"].contains(&kind.as_str()))
        );
    }

    #[test]
    fn by_default_what_reprise_s_consumers_bind_is_published_and_nothing_else() {
        let default = Published::new(None);
        for binding in CONVERTER_BINDINGS.iter().chain(&NOTIFIER_BINDINGS).chain(&LIVE_BINDINGS) {
            let key = binding.replace('*', "posted");
            assert!(default.includes(&key), "{key} is bound by a consumer");
        }
        for key in ["job.queued", "job.succeeded", "score.submitted", "game.configured", "user.signed_up"] {
            assert!(!default.includes(key), "{key} is bound by no consumer");
        }
    }
}
