//! Leaderboards as the query side reads them: stored documents, rankings and entries.

use bytes::Bytes;
use domain::names::GameName;
use fred::prelude::*;
use read_model::Keys;
use read_model::boards::{parse_entry, player_of};
use read_model::documents::{LeaderboardEntry, PlayerStanding};

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

    /// Whether the projector has seen `game` configured.
    pub async fn knows_game(&self, game: &GameName) -> Result<bool, Error> {
        self.redis.hexists(self.keys.games(), game.as_str()).await
    }

    /// How many players a board ranks.
    pub async fn size(&self, board: &str) -> Result<u64, Error> {
        self.redis.zcard(self.keys.board_ranking(board)).await
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

    /// Up to `limit` entries from rank `start` (0 for the top), best first.
    pub async fn entries(
        &self,
        board: &str,
        start: usize,
        limit: usize,
    ) -> Result<Vec<LeaderboardEntry>, Error> {
        let (first, last) = (start as i64, (start + limit) as i64 - 1);
        let members: Vec<String> =
            self.redis.zrange(self.keys.board_ranking(board), first, last, None, false, None, false).await?;
        let players: Vec<&str> = members.iter().filter_map(|member| player_of(member)).collect();
        if players.is_empty() {
            return Ok(vec![]);
        }
        let stored: Vec<Option<String>> =
            self.redis.hmget(self.keys.board_entries(board), players.clone()).await?;
        Ok(players
            .into_iter()
            .zip(stored)
            .enumerate()
            .filter_map(|(i, (player, entry))| {
                let entry = parse_entry(entry.as_deref()?)?;
                Some(LeaderboardEntry {
                    rank: (start + i + 1) as u64,
                    player: player.to_owned(),
                    score: entry.score,
                    achieved_at: entry.achieved_at,
                })
            })
            .collect())
    }
}
