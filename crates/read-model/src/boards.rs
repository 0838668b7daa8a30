//! Leaderboards: one per game, period window and region (plus the global one), named by a board id.

use chrono::{DateTime, SecondsFormat, Utc};
use domain::names::{GameName, RegionName};
use domain::scores::score::MAX_SCORE_MAGNITUDE;
use domain::scores::{Period, Window};

/// How many entries a board's stored document holds.
pub const TOP: usize = 100;

/// One board: the id under which its keys live, and what its document says about itself.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Board {
    /// The game.
    pub game: GameName,
    /// The period.
    pub period: Period,
    /// The period's window the board covers.
    pub window: Window,
    /// The region, or `None` for the global board.
    pub region: Option<RegionName>,
}

impl Board {
    /// The board of `game`'s `period` that contains `at`, for `region` (or the global one).
    pub fn containing(
        game: &GameName,
        period: Period,
        at: DateTime<Utc>,
        region: Option<&RegionName>,
    ) -> Self {
        Self { game: game.clone(), period, window: period.window_at(at), region: region.cloned() }
    }

    /// The board of `game`'s `period` in `window`, for `region` (or the global one).
    pub fn of_window(game: &GameName, period: Period, window: Window, region: Option<&RegionName>) -> Self {
        Self { game: game.clone(), period, window, region: region.cloned() }
    }

    /// `{game}:{period}:{window}:{region or ~}`; `~` is never a region's name.
    pub fn id(&self) -> String {
        let region = self.region.as_ref().map_or("~", RegionName::as_str);
        format!("{}:{}:{}:{}", self.game, self.period, self.window.key(), region)
    }

    /// The id of the index of this board's windows, `{game}:{period}:{region or ~}`: see
    /// [`windows_index_id`].
    pub fn windows_index_id(&self) -> String {
        windows_index_id(&self.game, self.period, self.region.as_ref())
    }
}

/// The id of the index listing the kept windows of `game`'s `period` for `region` (or the global
/// boards), `{game}:{period}:{region or ~}`: a sorted set of window keys scored by their start.
pub fn windows_index_id(game: &GameName, period: Period, region: Option<&RegionName>) -> String {
    let region = region.map_or("~", RegionName::as_str);
    format!("{game}:{period}:{region}")
}

/// A time as the documents write it: RFC 3339, UTC, with milliseconds when there are any.
pub fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// The offset a cursor (`r<offset>`, as `projection.lua`'s board renderer hands them out) continues at,
/// or `None` for a cursor this server never handed out.
pub fn offset_of(cursor: &str) -> Option<usize> {
    cursor.strip_prefix('r')?.parse().ok().filter(|&offset| offset <= MAX_OFFSET)
}

/// The largest offset a cursor may carry: far beyond any board, and far from overflowing an index.
const MAX_OFFSET: usize = 1 << 40;

/// A board entry's member in the ranking set: the entry's
/// `achievedAt` as text whose byte order is time order, then the player. The member's score in the set
/// is the entry's score, negated on a board where higher ranks first; Redis orders by score and equal
/// scores by member, so a rank is score, then earlier `achievedAt`, then player. (Scores stay within
/// ±2^53, where a double holds every integer exactly.)
pub fn ranking_member(achieved_micros: i64, player: &str) -> String {
    format!("{}:{player}", ascending(achieved_micros))
}

/// A stored entry, `score|achievedMicros|achievedAt|member` then `|total` when the entry has a
/// [`StoredEntry::total_beyond`], as its parts. (A member never holds `|`: a player's name cannot.)
pub fn parse_entry(stored: &str) -> Option<StoredEntry> {
    let mut parts = stored.splitn(4, '|');
    let score = parts.next()?.parse().ok()?;
    let achieved_micros = parts.next()?.parse().ok()?;
    let achieved_at = parts.next()?.to_owned();
    let rest = parts.next()?;
    let (member, total_beyond) = match rest.split_once('|') {
        Some((member, total)) => (member, Some(total.parse().ok()?)),
        None => (rest, None),
    };
    Some(StoredEntry { score, achieved_micros, achieved_at, member: member.to_owned(), total_beyond })
}

/// A player's entry on a board, as stored beside the ranking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEntry {
    /// The score as boards show and rank it: within ±2^53, where a double (a sorted set's score, a
    /// JSON number) holds every integer exactly.
    pub score: i64,
    /// `achievedAt` in microseconds.
    pub achieved_micros: i64,
    /// `achievedAt` as documents show it.
    pub achieved_at: String,
    /// The entry's member in the ranking set.
    pub member: String,
    /// A `sum` total beyond ±2^53, which `score` shows clamped to the limit; `None` when `score` is the
    /// total. Kept so that later scores add to the exact total: clamping once, when the total is shown,
    /// makes it independent of the order of the scores and of how the projector batches them.
    pub total_beyond: Option<i128>,
}

impl StoredEntry {
    /// The entry of a player whose exact score (or `sum` total) is `total`, shown clamped to ±2^53.
    pub fn new(total: i128, achieved_micros: i64, achieved_at: String, member: String) -> Self {
        let limit = i128::from(MAX_SCORE_MAGNITUDE);
        let score = total.clamp(-limit, limit) as i64;
        let total_beyond = (i128::from(score) != total).then_some(total);
        Self { score, achieved_micros, achieved_at, member, total_beyond }
    }

    /// The exact score, or `sum` total, which `score` shows clamped.
    pub fn total(&self) -> i128 {
        self.total_beyond.unwrap_or(i128::from(self.score))
    }

    /// The entry as stored, `score|achievedMicros|achievedAt|member[|total]`: what [`parse_entry`] reads
    /// back.
    pub fn text(&self) -> String {
        let text = format!("{}|{}|{}|{}", self.score, self.achieved_micros, self.achieved_at, self.member);
        match self.total_beyond {
            Some(total) => format!("{text}|{total}"),
            None => text,
        }
    }
}

/// The player a ranking member belongs to.
pub fn player_of(member: &str) -> Option<&str> {
    member.split_once(':').map(|(_, player)| player)
}

fn ascending(n: i64) -> String {
    if n < 0 { format!("0{}", complement(&format!("{:016}", n.unsigned_abs()))) } else { format!("1{n:016}") }
}

fn complement(digits: &str) -> String {
    digits.chars().map(|d| char::from(b'9' - (d as u8 - b'0'))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_of_equal_scores_sort_by_time_across_signs_then_by_player() {
        let mut members = vec![
            ranking_member(5, "b"),
            ranking_member(-10, "z"),
            ranking_member(5, "a"),
            ranking_member(0, "y"),
        ];
        members.sort();
        let expected = vec![
            ranking_member(-10, "z"),
            ranking_member(0, "y"),
            ranking_member(5, "a"),
            ranking_member(5, "b"),
        ];
        assert_eq!(members, expected);
    }

    #[test]
    fn an_entry_parses_back_into_its_parts() {
        let entry = parse_entry("-5|17|2026-11-23T00:00:00Z|1:ada").unwrap();
        assert_eq!((entry.score, entry.achieved_micros, entry.member.as_str()), (-5, 17, "1:ada"));
        assert_eq!(entry.text(), "-5|17|2026-11-23T00:00:00Z|1:ada");
        assert_eq!(player_of("10000000000000017:ada"), Some("ada"));
    }

    #[test]
    fn an_entry_beyond_two_to_the_53_shows_the_limit_and_keeps_its_exact_total() {
        let beyond = StoredEntry::new(-(1 << 60), 17, "t".into(), "1:ada".into());
        assert_eq!((beyond.score, beyond.total()), (-(1 << 53), -(1 << 60)));
        assert_eq!(beyond.text(), format!("{}|17|t|1:ada|{}", -(1_i64 << 53), -(1_i64 << 60)));
        assert_eq!(parse_entry(&beyond.text()), Some(beyond));
        let within = StoredEntry::new(1 << 53, 17, "t".into(), "1:ada".into());
        assert_eq!((within.text(), within.total_beyond), (format!("{}|17|t|1:ada", 1_i64 << 53), None));
    }

    #[test]
    fn a_regional_and_the_global_board_of_one_window_have_different_ids() {
        let game = GameName::parse("tetris").unwrap();
        let at = DateTime::parse_from_rfc3339("2026-11-23T10:00:00Z").unwrap().with_timezone(&Utc);
        let eu = RegionName::parse("eu").unwrap();
        assert_eq!(Board::containing(&game, Period::Week, at, Some(&eu)).id(), "tetris:week:2026-11-23:eu");
        assert_eq!(Board::containing(&game, Period::All, at, None).id(), "tetris:all:all:~");
        assert_eq!(
            Board::containing(&game, Period::Week, at, Some(&eu)).windows_index_id(),
            "tetris:week:eu"
        );
    }

    #[test]
    fn a_cursor_gives_back_its_offset_and_nothing_else_passes_for_one() {
        assert_eq!(offset_of("r300"), Some(300));
        assert_eq!(offset_of("300"), None);
        assert_eq!(offset_of("rx"), None);
        assert_eq!(offset_of(&format!("r{}", usize::MAX)), None);
    }
}
