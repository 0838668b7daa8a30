//! Leaderboards: one per game, period window and region (plus the global one), named by a board id.

use chrono::{DateTime, SecondsFormat, Utc};
use domain::names::{GameName, RegionName};
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

    /// `{game}:{period}:{window}:{region or ~}`; `~` is never a region's name.
    pub fn id(&self) -> String {
        let region = self.region.as_ref().map_or("~", RegionName::as_str);
        format!("{}:{}:{}:{}", self.game, self.period, self.window.key(), region)
    }
}

/// A time as the documents write it: RFC 3339, UTC, with milliseconds when there are any.
pub fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// The cursor that continues a board listing at `offset`.
pub fn cursor_at(offset: usize) -> String {
    format!("r{offset}")
}

/// The offset a cursor continues at, or `None` for a cursor this server never handed out.
pub fn offset_of(cursor: &str) -> Option<usize> {
    cursor.strip_prefix('r')?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_regional_and_the_global_board_of_one_window_have_different_ids() {
        let game = GameName::parse("tetris").unwrap();
        let at = DateTime::parse_from_rfc3339("2026-11-23T10:00:00Z").unwrap().with_timezone(&Utc);
        let eu = RegionName::parse("eu").unwrap();
        assert_eq!(Board::containing(&game, Period::Week, at, Some(&eu)).id(), "tetris:week:2026-11-23:eu");
        assert_eq!(Board::containing(&game, Period::All, at, None).id(), "tetris:all:all:~");
    }

    #[test]
    fn a_cursor_gives_back_its_offset_and_nothing_else_passes_for_one() {
        assert_eq!(offset_of(&cursor_at(300)), Some(300));
        assert_eq!(offset_of("300"), None);
        assert_eq!(offset_of("rx"), None);
    }
}
