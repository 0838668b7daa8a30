//! Leaderboards as the query side reads them: stored documents, rankings and entries.

use bytes::Bytes;
use domain::names::GameName;
use fred::prelude::*;
use read_model::Keys;
use read_model::boards::{Board, parse_entry};
use read_model::documents::PlayerStanding;

/// The read-only Function of `projection.lua` that renders a page of a board.
const PAGE_FUNCTION: &str = "reprise_board_page_v3";

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
        let [game, period, window_start, window_end, region] = crate::encode::board_heading(board);
        let args =
            [self.keys.prefix().to_owned(), board.id(), game, period, window_start, window_end, region]
                .into_iter()
                .chain([now.to_owned(), start.to_string(), limit.to_string()])
                .collect::<Vec<_>>();
        let render =
            || self.redis.fcall_ro::<Bytes, _, _, _>(PAGE_FUNCTION, Vec::<String>::new(), args.clone());
        match render().await {
            // The projector loads the library; a query-api that reads first (or after a projector of
            // an older release replaced it) loads it itself, once, and asks again.
            Err(error) if error.details().contains("Function not found") => {
                self.redis.function_load::<String, _>(true, crate::store::LIBRARY).await?;
                render().await
            }
            rendered => rendered,
        }
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

    /// A player's rank (1 for the top) and entry on a board; `None` when they have no score on it.
    pub async fn standing(&self, board: &str, player: &str) -> Result<Option<PlayerStanding>, Error> {
        let stored: Option<String> = self.redis.hget(self.keys.board_entries(board), player).await?;
        let Some(entry) = stored.as_deref().and_then(parse_entry) else { return Ok(None) };
        let rank: Option<u64> = self.redis.zrank(self.keys.board_ranking(board), entry.member, false).await?;
        Ok(rank.map(|rank| PlayerStanding {
            rank: rank + 1,
            score: entry.score,
            achieved_at: entry.achieved_at,
        }))
    }
}
