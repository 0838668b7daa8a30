//! A board seen from some of its players: the players a read names (a friends' list), and how a
//! player's rank compares with the rest of the board (a percentile).

use std::collections::HashSet;

use domain::names::PlayerName;

/// How many players one read may name.
pub const MAX_NAMED_PLAYERS: usize = 100;

/// The players a board read names (`?players=ada,bob`): 1–100 valid names, each once, in the order
/// first named. Names are case-sensitive, as everywhere (`Ada` and `ada` are two players).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedPlayers(Vec<PlayerName>);

impl NamedPlayers {
    /// Parses a comma-separated list of 1–100 player names; a name named twice counts once, but
    /// the list's length counts every name as written.
    pub fn parse(list: &str) -> Result<Self, String> {
        let names: Vec<&str> = list.split(',').collect();
        if names.len() > MAX_NAMED_PLAYERS {
            return Err(format!("names {} players; at most {MAX_NAMED_PLAYERS} may be named", names.len()));
        }
        let mut seen = HashSet::new();
        let mut players = Vec::with_capacity(names.len());
        for name in names {
            if name.is_empty() {
                return Err("holds an empty name: separate 1–100 names by single commas".to_owned());
            }
            let player =
                PlayerName::parse(name).map_err(|why| format!("{name:?} is no player's name: {why}"))?;
            if seen.insert(name) {
                players.push(player);
            }
        }
        Ok(Self(players))
    }

    /// The players, each once, in the order first named.
    pub fn as_slice(&self) -> &[PlayerName] {
        &self.0
    }
}

/// The share of a board's `total` players ranked below `rank` (1 for the top), in percent, rounded
/// down to one decimal: 0.0 for the last player, and never 100.0, which would say a player is ahead
/// of everyone, themselves included (rank 1 of 2,000 is 99.9, not 100.0). A rank beyond the total
/// (the board changed between two reads) counts nobody below.
pub fn percentile(rank: u64, total: u64) -> f64 {
    if total == 0 {
        return 0.0;
    }
    let below = u128::from(total.saturating_sub(rank));
    // In tenths of a percent, exactly: integers all the way, so no rounding of a float can lift
    // 99.95 to 100.0.
    let tenths = below * 1000 / u128::from(total);
    tenths as f64 / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &str) -> Vec<String> {
        NamedPlayers::parse(list).unwrap().as_slice().iter().map(ToString::to_string).collect()
    }

    #[test]
    fn a_list_of_names_separated_by_commas_is_read_in_order() {
        assert_eq!(names("ada,bob,Cy_9.x-z"), ["ada", "bob", "Cy_9.x-z"]);
        assert_eq!(names("ada"), ["ada"]);
    }

    #[test]
    fn a_name_named_twice_counts_once_and_names_differing_in_case_are_two_players() {
        assert_eq!(names("ada,bob,ada,Ada"), ["ada", "bob", "Ada"]);
    }

    #[test]
    fn a_hundred_names_are_accepted_and_a_hundred_and_one_refused_even_when_some_repeat() {
        let hundred: Vec<String> = (0..100).map(|n| format!("p{n}")).collect();
        assert_eq!(NamedPlayers::parse(&hundred.join(",")).unwrap().as_slice().len(), 100);
        let with_one_more = format!("{},p0", hundred.join(","));
        assert!(NamedPlayers::parse(&with_one_more).unwrap_err().contains("at most 100"));
    }

    #[test]
    fn an_empty_list_or_an_empty_name_between_commas_is_refused() {
        for list in ["", "ada,,bob", ",ada", "ada,"] {
            assert!(NamedPlayers::parse(list).unwrap_err().contains("empty name"), "{list:?}");
        }
    }

    #[test]
    fn a_name_that_is_no_players_name_is_refused_and_named_in_the_message() {
        for list in ["ada,b b", "ada,b:b", &format!("ada,{}", "x".repeat(65))] {
            let why = NamedPlayers::parse(list).unwrap_err();
            assert!(why.contains("is no player's name"), "{list:?}: {why}");
        }
    }

    #[test]
    fn the_top_of_four_is_ahead_of_three_quarters_and_the_last_of_nobody() {
        assert_eq!(percentile(1, 4), 75.0);
        assert_eq!(percentile(2, 4), 50.0);
        assert_eq!(percentile(4, 4), 0.0);
    }

    #[test]
    fn a_player_alone_on_a_board_is_ahead_of_nobody() {
        assert_eq!(percentile(1, 1), 0.0);
    }

    #[test]
    fn a_percentile_is_rounded_down_to_one_decimal_and_never_reaches_a_hundred() {
        assert_eq!(percentile(1, 3), 66.6);
        assert_eq!(percentile(2, 3), 33.3);
        assert_eq!(percentile(1, 2000), 99.9);
        assert_eq!(percentile(1, u64::MAX), 99.9);
        assert_eq!(percentile(1999, 2000), 0.0);
    }

    #[test]
    fn a_rank_beyond_the_total_or_an_empty_board_counts_nobody_below() {
        assert_eq!(percentile(5, 4), 0.0);
        assert_eq!(percentile(1, 0), 0.0);
    }

    #[test]
    fn a_percentile_serializes_with_its_one_decimal() {
        assert_eq!(serde_json::to_string(&percentile(1, 4)).unwrap(), "75.0");
        assert_eq!(serde_json::to_string(&percentile(1, 3)).unwrap(), "66.6");
        assert_eq!(serde_json::to_string(&percentile(1, 1)).unwrap(), "0.0");
    }
}
