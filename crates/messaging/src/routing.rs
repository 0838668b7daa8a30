//! Routing keys: `{aggregate}.{event}`, both in snake case, with the aggregate's name dropped from the
//! event's so consumers bind to `conversion.requested` rather than `conversion.conversion_requested`.

/// The routing key of an event of type `event_type` on an aggregate of type `aggregate_type`.
///
/// `("conversion", "ConversionRequested")` gives `conversion.requested`; an event whose name does not
/// begin with the aggregate's (as a whole word) keeps its full snake-case name.
pub fn routing_key(aggregate_type: &str, event_type: &str) -> String {
    let aggregate = snake_case(aggregate_type);
    let event = snake_case(event_type);
    let short = event
        .strip_prefix(aggregate.as_str())
        .and_then(|rest| rest.strip_prefix('_'))
        .filter(|rest| !rest.is_empty())
        .unwrap_or(&event);
    format!("{aggregate}.{short}")
}

/// `ConversionRequested` → `conversion_requested`; `HTTPCallMade` → `http_call_made`; already
/// snake-case names pass through unchanged.
fn snake_case(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut snake = String::with_capacity(name.len() + 4);
    for (index, &current) in chars.iter().enumerate() {
        if current.is_uppercase() && index > 0 {
            let previous = chars[index - 1];
            let next_is_lower = chars.get(index + 1).is_some_and(|next| next.is_lowercase());
            let starts_word = previous.is_lowercase()
                || previous.is_ascii_digit()
                || (previous.is_uppercase() && next_is_lower);
            if starts_word && previous != '_' {
                snake.push('_');
            }
        }
        snake.extend(current.to_lowercase());
    }
    snake
}

#[cfg(test)]
mod tests {
    use super::routing_key;

    #[test]
    fn an_event_named_after_its_aggregate_loses_the_aggregate_s_name() {
        assert_eq!(routing_key("conversion", "ConversionRequested"), "conversion.requested");
        assert_eq!(routing_key("conversion", "ConversionSucceeded"), "conversion.succeeded");
        assert_eq!(routing_key("conversion", "ConversionFailed"), "conversion.failed");
        assert_eq!(routing_key("message", "MessagePosted"), "message.posted");
        assert_eq!(routing_key("score", "ScoreSubmitted"), "score.submitted");
        assert_eq!(routing_key("job", "JobQueued"), "job.queued");
    }

    #[test]
    fn a_multi_word_aggregate_name_is_dropped_whole() {
        assert_eq!(
            routing_key("leaderboard_refresh", "LeaderboardRefreshRequested"),
            "leaderboard_refresh.requested"
        );
    }

    #[test]
    fn the_rest_of_a_multi_word_event_name_stays_in_snake_case() {
        assert_eq!(routing_key("user", "UserSessionStarted"), "user.session_started");
        assert_eq!(routing_key("game", "GameScoringStarted"), "game.scoring_started");
    }

    #[test]
    fn an_event_not_named_after_its_aggregate_keeps_its_full_name() {
        assert_eq!(routing_key("channel", "MemberJoined"), "channel.member_joined");
        assert_eq!(routing_key("meetup_event", "MeetupCreated"), "meetup_event.meetup_created");
    }

    #[test]
    fn the_aggregate_s_name_is_dropped_only_as_a_whole_word() {
        assert_eq!(routing_key("user", "UsernameChanged"), "user.username_changed");
    }

    #[test]
    fn an_event_named_exactly_like_its_aggregate_keeps_its_name() {
        assert_eq!(routing_key("game", "Game"), "game.game");
    }

    #[test]
    fn acronyms_and_digits_become_single_words() {
        assert_eq!(routing_key("job", "HTTPCallMade"), "job.http_call_made");
        assert_eq!(routing_key("job", "JobMp3Stored"), "job.mp3_stored");
    }
}
