//! The query strings of the leaderboard reads, as the document states them, and their parsing.

use domain::errors::FieldErrors;
use domain::names::{PlayerName, RegionName};
use domain::scores::{Period, Window};
use read_model::boards::{TOP, offset_of};
use read_model::standings::NamedPlayers;
use serde::Deserialize;
use utoipa::IntoParams;

/// Which board, and which part of it.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BoardQuery {
    /// `all` (default), `day`, `week` or `month`: the current window of that period.
    #[param(inline, value_type = Option<PeriodName>, nullable = false)]
    period: Option<String>,
    /// A region's board instead of the global one: 1–64 characters of `[A-Za-z0-9_.-]`.
    #[param(nullable = false, pattern = "^[A-Za-z0-9_.-]{1,64}$")]
    region: Option<String>,
    /// 1–100 entries (default 100).
    #[param(value_type = Option<u8>, nullable = false, minimum = 1, maximum = 100)]
    limit: Option<String>,
    /// Continue where a previous page's `nextCursor` left off (`r` and an offset).
    #[param(nullable = false, pattern = "^r[0-9]{1,12}$")]
    cursor: Option<String>,
    /// Center the page on this player (1–64 characters of `[A-Za-z0-9_.-]`); ignored with `cursor`,
    /// which continues a page already placed.
    #[param(nullable = false, pattern = "^[A-Za-z0-9_.-]{1,64}$")]
    around: Option<String>,
    /// Only these players (a friends' list): 1–100 names separated by commas, each 1–64 characters
    /// of `[A-Za-z0-9_.-]`; a name given twice counts once. Their entries come best first, each with
    /// its rank on the whole board; a player without a score on the board is left out. `limit` does
    /// not apply, `nextCursor` is null and `total` is the whole board's. With `around` or `cursor`: 422.
    #[param(nullable = false, pattern = "^[A-Za-z0-9_.-]{1,64}(,[A-Za-z0-9_.-]{1,64}){0,99}$")]
    players: Option<String>,
    /// A kept window of `period` instead of the current one, named by its start date (`YYYY-MM-DD`:
    /// any day for `day`, a Monday for `week`, the 1st for `month`; not with `all`): its final
    /// standings once closed. 404 for a window not kept.
    #[param(nullable = false, format = Date, example = "2026-11-23")]
    window: Option<String>,
}

/// Which board of a player.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StandingQuery {
    /// `all` (default), `day`, `week` or `month`: the current window of that period.
    #[param(inline, value_type = Option<PeriodName>, nullable = false)]
    period: Option<String>,
    /// A region's board instead of the global one: 1–64 characters of `[A-Za-z0-9_.-]`.
    #[param(nullable = false, pattern = "^[A-Za-z0-9_.-]{1,64}$")]
    region: Option<String>,
}

/// A leaderboard period.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)] // describes `period` in the document
enum PeriodName {
    /// All time.
    All,
    /// The current UTC calendar day.
    Day,
    /// The current ISO week, from Monday.
    Week,
    /// The current calendar month.
    Month,
}

/// Which part of a board a read answers.
pub enum Page {
    /// The top entries.
    Top,
    /// The entries from an offset (a cursor's).
    At(usize),
    /// The entries around a player's.
    Around(PlayerName),
    /// The entries of the named players only.
    Players(NamedPlayers),
}

/// A board read's period, the window named (`None` for the current one), region, page size and page,
/// or the fields that are wrong.
pub fn parse(
    query: BoardQuery,
) -> Result<(BoardWindow, Option<RegionName>, usize, Page), Vec<domain::FieldError>> {
    let mut errors = FieldErrors::default();
    let period = errors.check("period", parse_period(query.period.as_deref()));
    let window = match (period, query.window.as_deref()) {
        (Some(period), Some(raw)) => errors.check("window", window_starting(period, raw)).map(Some),
        _ => Some(None),
    };
    let region = errors.check("region", parse_region(query.region.as_deref()));
    let limit = errors.check(
        "limit",
        query.limit.as_deref().map_or(Ok(TOP), |raw| match raw.parse::<usize>() {
            Ok(limit) if (1..=TOP).contains(&limit) => Ok(limit),
            _ => Err("must be a whole number from 1 to 100".to_owned()),
        }),
    );
    let around = query.around.map(|player| errors.check("around", PlayerName::parse(&player)));
    let players = query.players.map(|list| errors.check("players", NamedPlayers::parse(&list)));
    let page = match (players, query.cursor, around) {
        // A list of players is not paged: a page's place beside it is a mistake to point out, not
        // one to guess at.
        (Some(players), cursor, around) => {
            if cursor.is_some() {
                errors.push("cursor", "cannot be combined with players, which are not paged");
            }
            if around.is_some() {
                errors.push("around", "cannot be combined with players, which are not paged");
            }
            players.map(Page::Players)
        }
        (None, Some(cursor), _) => errors.check("cursor", board_offset(&cursor)).map(Page::At),
        (None, None, Some(player)) => player.map(Page::Around),
        (None, None, None) => Some(Page::Top),
    };
    errors.finish()?;
    match (period, window, region, limit, page) {
        (Some(period), Some(window), Some(region), Some(limit), Some(page)) => {
            Ok(((period, window), region, limit, page))
        }
        _ => Err(vec![]),
    }
}

/// A period, and the window of it a read names (`None`: the current one).
pub type BoardWindow = (Period, Option<Window>);

/// The window of `period` that starts on `raw` (`YYYY-MM-DD`), or why `raw` names none.
pub fn window_starting(period: Period, raw: &str) -> Result<Window, String> {
    let day = (raw.len() == 10)
        .then(|| chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok())
        .flatten()
        .ok_or_else(|| "must be a date, YYYY-MM-DD".to_owned())?;
    period.window_starting(day)
}

/// A standing read's period and region, or the fields that are wrong.
pub fn parse_standing(query: StandingQuery) -> Result<(Period, Option<RegionName>), Vec<domain::FieldError>> {
    let mut errors = FieldErrors::default();
    let period = errors.check("period", parse_period(query.period.as_deref()));
    let region = errors.check("region", parse_region(query.region.as_deref()));
    errors.finish()?;
    match (period, region) {
        (Some(period), Some(region)) => Ok((period, region)),
        _ => Err(vec![]),
    }
}

/// `all` unless given.
fn parse_period(period: Option<&str>) -> Result<Period, String> {
    period.unwrap_or("all").parse::<Period>()
}

/// The global board unless a region is given.
fn parse_region(region: Option<&str>) -> Result<Option<RegionName>, String> {
    region.map(RegionName::parse).transpose()
}

/// The offset of a cursor `r<offset>` with 1–12 digits, as the document states it.
fn board_offset(cursor: &str) -> Result<usize, String> {
    let digits = cursor.strip_prefix('r').unwrap_or_default();
    let well_formed = (1..=12).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit());
    well_formed
        .then(|| offset_of(cursor))
        .flatten()
        .ok_or_else(|| "is not a cursor this server gave".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(players: &str, around: Option<&str>, cursor: Option<&str>, limit: Option<&str>) -> BoardQuery {
        BoardQuery {
            period: None,
            region: None,
            limit: limit.map(str::to_owned),
            cursor: cursor.map(str::to_owned),
            around: around.map(str::to_owned),
            players: Some(players.to_owned()),
            window: None,
        }
    }

    fn refused(query: BoardQuery) -> Vec<String> {
        let Err(errors) = parse(query) else { panic!("the query was accepted") };
        errors.iter().map(|error| error.field.clone()).collect()
    }

    #[test]
    fn named_players_are_read_as_the_answers_list_whatever_the_limit() {
        let Ok((_, _, _, Page::Players(players))) = parse(query("ada,bob,ada", None, None, Some("1"))) else {
            panic!("not a list of players")
        };
        assert_eq!(players.as_slice().len(), 2);
    }

    #[test]
    fn players_with_around_or_cursor_are_refused_naming_that_parameter() {
        assert_eq!(refused(query("ada", Some("bob"), None, None)), ["around"]);
        assert_eq!(refused(query("ada", None, Some("r10"), None)), ["cursor"]);
        assert_eq!(refused(query("ada", Some("bob"), Some("r10"), None)), ["cursor", "around"]);
    }

    #[test]
    fn an_invalid_list_or_limit_beside_players_is_refused_naming_each() {
        assert_eq!(refused(query("ada,,bob", None, None, None)), ["players"]);
        assert_eq!(refused(query("ada", None, None, Some("0"))), ["limit"]);
    }
}
