//! Leaderboards as the query side reads them: stored documents, rankings and entries.

use bytes::Bytes;
use domain::names::{GameName, PlayerName};
use fred::prelude::*;
use read_model::Keys;
use read_model::boards::Board;
use read_model::documents::PlayerStanding;
use read_model::standings::percentile;

/// The read-only Function of `projection.lua` that renders a page of a board.
const PAGE_FUNCTION: &str = "reprise_board_page_v7";

/// The read-only Function of `projection.lua` that renders the entries of named players.
const PLAYERS_FUNCTION: &str = "reprise_board_players_v7";

/// The read-only Function of `projection.lua` that gives a player's rank, entry and board total.
const STANDING_FUNCTION: &str = "reprise_board_standing_v7";

/// Reads boards (named by `read_model::boards::Board::id`) under a key prefix.
#[derive(Debug, Clone, Copy)]
pub struct BoardReader<'a> {
    redis: &'a Client,
    keys: &'a Keys,
}

impl<'a> BoardReader<'a> {
    /// Boards under `keys`' prefix, through `redis`.
    pub fn new(redis: &'a Client, keys: &'a Keys) -> Self {
        Self { redis, keys }
    }

    /// A board's rendered top-100 document, as stored; `None` until the projector rendered one.
    pub async fn document(&self, board: &str) -> Result<Option<Bytes>, Error> {
        self.redis.get(self.keys.board_document(board)).await
    }

    /// A page of `board` rendered at `now` (RFC 3339): up to `limit` entries from rank `start` (0 for
    /// the top). `projection.lua` renders it with the code that renders the stored top-100, so the
    /// first hundred read either way are the same bytes but for `generatedAt`.
    pub async fn page(&self, board: &Board, now: &str, start: usize, limit: usize) -> Result<Bytes, Error> {
        let args = heading_args(self.keys, board, now).chain([start.to_string(), limit.to_string()]);
        self.call(PAGE_FUNCTION, args.collect()).await
    }

    /// The document of `board` rendered at `now` (RFC 3339) with only the entries of `players`, best
    /// first, each with their rank on the whole board; players without an entry are left out, and
    /// `total` is the whole board's. One Function call: the ranks come from the ranking every page
    /// counts by, read at one instant.
    pub async fn players(&self, board: &Board, now: &str, players: &[PlayerName]) -> Result<Bytes, Error> {
        let args = heading_args(self.keys, board, now).chain(players.iter().map(ToString::to_string));
        self.call(PLAYERS_FUNCTION, args.collect()).await
    }

    /// Whether a board has been rendered and not expired.
    pub async fn exists(&self, board: &str) -> Result<bool, Error> {
        self.redis.exists(self.keys.board_document(board)).await
    }

    /// Up to `limit` windows of the index `index` (a `boards::windows_index_id`), newest first, those
    /// starting before `before` (seconds since the Unix epoch) when given: each window's key and start.
    pub async fn windows(
        &self,
        index: &str,
        before: Option<i64>,
        limit: usize,
    ) -> Result<Vec<(String, i64)>, Error> {
        let newest = before.map_or(f64::INFINITY, |before| (before - 1) as f64);
        let count = i64::try_from(limit).unwrap_or(i64::MAX);
        let listed: Vec<(String, f64)> = self
            .redis
            .zrevrangebyscore(
                self.keys.board_windows(index),
                newest,
                f64::NEG_INFINITY,
                true,
                Some((0, count)),
            )
            .await?;
        Ok(listed.into_iter().map(|(window, start)| (window, start as i64)).collect())
    }

    /// How many players each of `boards` holds (0 for a board that expired), in order.
    pub async fn totals(&self, boards: &[String]) -> Result<Vec<u64>, Error> {
        if boards.is_empty() {
            return Ok(Vec::new());
        }
        let pipeline = self.redis.pipeline();
        for board in boards {
            let () = pipeline.zcard(self.keys.board_ranking(board)).await?;
        }
        let totals: Vec<u64> = pipeline.all().await?;
        Ok(totals)
    }

    /// Whether the projector has seen `game` configured.
    pub async fn knows_game(&self, game: &GameName) -> Result<bool, Error> {
        self.redis.hexists(self.keys.games(), game.as_str()).await
    }

    /// A player's rank (1 for the top), entry and percentile on a board; `None` when they have no
    /// score on it. One Function call, so the rank and the board's total are read at one instant.
    pub async fn standing(&self, board: &str, player: &str) -> Result<Option<PlayerStanding>, Error> {
        let args = vec![self.keys.prefix().to_owned(), board.to_owned(), player.to_owned()];
        let found: Vec<String> = self.call(STANDING_FUNCTION, args).await?;
        let [rank, score, achieved_at, total] = match <[String; 4]>::try_from(found) {
            Ok(standing) => standing,
            Err(found) if found.is_empty() => return Ok(None),
            Err(found) => return Err(unexpected(format!("a standing of {} values", found.len()))),
        };
        let (rank, total) = (number(&rank)?, number(&total)?);
        Ok(Some(PlayerStanding {
            rank,
            score: number(&score)?,
            achieved_at,
            percentile: percentile(rank, total),
        }))
    }

    /// Calls the read-only Function `name` with `args`. The projector loads the library; a query-api
    /// that reads first (or after a projector of an older release replaced it) loads it itself, once,
    /// and asks again.
    async fn call<R: FromValue>(&self, name: &str, args: Vec<String>) -> Result<R, Error> {
        let call = || self.redis.fcall_ro::<R, _, _, _>(name, Vec::<String>::new(), args.clone());
        match call().await {
            Err(error) if error.details().contains("Function not found") => {
                self.redis.function_load::<String, _>(true, crate::store::LIBRARY).await?;
                call().await
            }
            answer => answer,
        }
    }
}

/// A board's Function arguments up to its rendering time: the prefix, the board's id, its heading
/// (see [`crate::encode::board_heading`]) and `now`.
fn heading_args(keys: &Keys, board: &Board, now: &str) -> impl Iterator<Item = String> {
    let [game, period, window_start, window_end, region] = crate::encode::board_heading(board);
    [keys.prefix().to_owned(), board.id(), game, period, window_start, window_end, region, now.to_owned()]
        .into_iter()
}

/// A number the Function wrote as text.
fn number<T: std::str::FromStr>(text: &str) -> Result<T, Error> {
    text.parse().map_err(|_| unexpected(format!("{text:?} is not a number")))
}

fn unexpected(details: String) -> Error {
    Error::new(ErrorKind::Parse, details)
}
