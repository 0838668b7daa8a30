//! What Redis holds of the boards, in memory: each board's ranking (a sorted set, ordered by score then
//! member bytes, as Redis orders one) and its entries (a hash of player to stored text). It reads a
//! batch's boards as `ProjectionStore::board_states` does and applies the `BOARD` writes as
//! `projection.lua`'s `write_board` does.

use std::collections::{BTreeSet, HashMap};

use domain::scores::SortOrder;
use read_model::Op;
use read_model::board_write::{BoardState, Landing, rank_score};
use read_model::boards::{parse_entry, player_of, ranking_member};

use super::model::Standing;

#[derive(Debug, Default)]
pub struct RedisTwin {
    rankings: HashMap<String, BTreeSet<(i64, String)>>,
    entries: HashMap<String, HashMap<String, String>>,
}

impl RedisTwin {
    /// What each board of `ops` stores for its players, taking what `landing` (the batch still on its
    /// way) writes over what is stored.
    pub fn board_states(&self, ops: &[Op], landing: Option<&Landing>) -> Vec<BoardState> {
        ops.iter()
            .filter_map(|op| match op {
                Op::Board { board, entries, .. } => Some(BoardState {
                    stored: entries
                        .iter()
                        .map(|(player, _)| match landing.and_then(|landing| landing.entry(board, player)) {
                            Some(landing) => Some(landing.clone()),
                            None => {
                                self.entries.get(board)?.get(player).map(|text| parse_entry(text).unwrap())
                            }
                        })
                        .collect(),
                }),
                _ => None,
            })
            .collect()
    }

    /// Applies the `BOARD` writes of `args` (nothing else), and tells of every board whose first `top`
    /// entries changed while the write's best removed and best added members said they had not (the
    /// Function renders a board's document again only when they say so).
    pub fn apply(&mut self, args: &[String], order: SortOrder, top: usize) -> Vec<String> {
        let mut unnoticed = Vec::new();
        let mut at = 0;
        while at < args.len() {
            assert_eq!(args[at], "BOARD", "only board writes were encoded");
            let board = args[at + 1].clone();
            let removed: usize = args[at + 2].parse().unwrap();
            let added: usize = args[at + 3].parse().unwrap();
            let (best_removed, best_added) = (&args[at + 4], &args[at + 5]);
            let before = self.standings(&board, order);
            let mut changed = !best_removed.is_empty() && self.rank(&board, best_removed) < top;
            let mut first = at + 6;
            let ranking = self.rankings.entry(board.clone()).or_default();
            for member in &args[first..first + removed] {
                ranking.retain(|(_, m)| m != member);
            }
            first += removed;
            for pair in args[first..first + 2 * added].chunks(2) {
                ranking.insert((pair[0].parse().unwrap(), pair[1].clone()));
            }
            first += 2 * added;
            let entries = self.entries.entry(board.clone()).or_default();
            for pair in args[first..first + 2 * added].chunks(2) {
                entries.insert(pair[0].clone(), pair[1].clone());
            }
            at = first + 2 * added;
            changed = changed || (!best_added.is_empty() && self.rank(&board, best_added) < top);
            let after = self.standings(&board, order);
            let (before, after) = (first_of(before, top), first_of(after, top));
            if !changed && before != after {
                unnoticed.push(format!("{board}: {before:?} became {after:?}"));
            }
        }
        unnoticed
    }

    /// The ids of the boards with any entry.
    pub fn boards(&self) -> BTreeSet<String> {
        self.rankings.iter().filter(|(_, ranking)| !ranking.is_empty()).map(|(id, _)| id.clone()).collect()
    }

    /// A board's entries in ranking order, as the rendered document lists them; checks on the way
    /// that the ranking and the entries agree (each player once, at its entry's score and member).
    pub fn standings(&self, board: &str, order: SortOrder) -> Vec<Standing> {
        let Some(ranking) = self.rankings.get(board) else { return Vec::new() };
        let entries = &self.entries[board];
        assert_eq!(ranking.len(), entries.len(), "{board}: one member per player with an entry");
        ranking
            .iter()
            .map(|(rank, member)| {
                let player = player_of(member).unwrap();
                let entry = parse_entry(&entries[player]).unwrap();
                assert_eq!(&entry.member, member, "{board}: the entry names its member");
                assert_eq!(entry.member, ranking_member(entry.achieved_micros, player));
                assert_eq!(*rank, rank_score(entry.score, order), "{board}: {member} ranks by its score");
                (player.to_owned(), entry.score, entry.achieved_micros, entry.achieved_at)
            })
            .collect()
    }

    /// A member's rank (0 first), or `usize::MAX` when it has none (`ZRANK` answering nil).
    fn rank(&self, board: &str, member: &str) -> usize {
        self.rankings
            .get(board)
            .and_then(|ranking| ranking.iter().position(|(_, m)| m == member))
            .unwrap_or(usize::MAX)
    }
}

fn first_of(mut standings: Vec<Standing>, top: usize) -> Vec<Standing> {
    standings.truncate(top);
    standings
}
