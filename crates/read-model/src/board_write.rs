//! What a batch writes to a board, decided here from what the board stores, so the Redis Function only
//! executes the writes: Lua costs far more per entry than the commands it would call.

use std::collections::HashMap;

use domain::scores::{Operator, SortOrder};

use crate::boards::{StoredEntry, ranking_member};
use crate::entry::{Entry, combine};
use crate::job_write::JobStates;

/// What a board stores for the players of a batch, each player's entry in the order the batch names
/// them. Only the projector holding the fence writes boards, so what it read stays true until its
/// batch lands, provided it adds what its own batches still in flight write (see the store); a
/// projector that lost the fence meanwhile is refused.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BoardState {
    /// Each player's stored entry, in the order the batch names them.
    pub stored: Vec<Option<StoredEntry>>,
}

/// The writes that bring a board up to date with a batch.
#[derive(Debug, Clone, PartialEq)]
pub struct BoardWrite {
    /// The board's id.
    pub board: String,
    /// Members that leave the ranking (a player's previous entry).
    pub removed: Vec<String>,
    /// Members that join the ranking, with their rank scores.
    pub added: Vec<(i64, String)>,
    /// Players' new stored entries.
    pub entries: Vec<(String, StoredEntry)>,
    /// The best-ranked member among those leaving and among those joining. Whether the board's top 100
    /// changed (and its document is rendered again) is whether the one was in it before the writes or
    /// the other is after: Redis answers that with two ranks, whatever else the batch did.
    pub best_removed: Option<String>,
    /// See [`BoardWrite::best_removed`].
    pub best_added: Option<String>,
}

/// Combines a batch's entries for a board (each player once) with what the board stores, under the
/// game's operator, into the writes that record the outcome.
pub fn resolve(
    board: String,
    operator: Operator,
    order: SortOrder,
    entries: Vec<(String, Entry)>,
    state: BoardState,
) -> BoardWrite {
    let mut write = BoardWrite {
        board,
        removed: Vec::new(),
        added: Vec::new(),
        entries: Vec::new(),
        best_removed: None,
        best_added: None,
    };
    let mut best_removed: Option<(i64, &str)> = None;
    let mut best_added: Option<(i64, usize)> = None;
    for ((player, new), stored) in entries.into_iter().zip(state.stored.iter()) {
        let outcome = match stored {
            Some(stored) => {
                let kept = Entry {
                    score: stored.total(),
                    achieved_micros: stored.achieved_micros,
                    achieved_at: stored.achieved_at.clone(),
                };
                let outcome = combine(&kept, new, operator, order);
                if outcome == kept {
                    continue;
                }
                let leaving = (rank_score(stored.score, order), stored.member.as_str());
                if best_removed.is_none_or(|best| leaving < best) {
                    best_removed = Some(leaving);
                }
                write.removed.push(stored.member.clone());
                outcome
            }
            None => new,
        };
        let member = ranking_member(outcome.achieved_micros, &player);
        let entry =
            StoredEntry::new(outcome.score, outcome.achieved_micros, outcome.achieved_at, member.clone());
        let rank = rank_score(entry.score, order);
        if best_added.is_none_or(|(best, at)| (rank, member.as_str()) < (best, write.added[at].1.as_str())) {
            best_added = Some((rank, write.added.len()));
        }
        write.entries.push((player, entry));
        write.added.push((rank, member));
    }
    write.best_removed = best_removed.map(|(_, member)| member.to_owned());
    write.best_added = best_added.map(|(_, at)| write.added[at].1.clone());
    write
}

/// A hash map for the projector's per-batch bookkeeping, whose keys are its own.
pub(crate) type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// What a batch writes that the next one reads: each board's players' new entries, and its jobs'
/// documents. A batch whose boards and jobs are read while an earlier batch is still on its way to
/// Redis takes what the earlier batch writes from here.
#[derive(Debug, Default)]
pub struct Landing {
    boards: FastMap<String, FastMap<String, StoredEntry>>,
    /// Each job the batch writes, as its last event leaves it.
    pub jobs: JobStates,
}

impl Landing {
    /// Remembers `write`'s entries.
    pub fn record(&mut self, write: &BoardWrite) {
        if write.entries.is_empty() {
            return;
        }
        let board = self.boards.entry(write.board.clone()).or_default();
        board.extend(write.entries.iter().cloned());
    }

    /// The entry the batch writes for `player` on `board`, if any.
    pub fn entry(&self, board: &str, player: &str) -> Option<&StoredEntry> {
        self.boards.get(board)?.get(player)
    }
}

/// An entry's score in the ranking set, which Redis orders lowest first: negated where higher ranks first.
pub fn rank_score(score: i64, order: SortOrder) -> i64 {
    match order {
        SortOrder::Desc => -score,
        SortOrder::Asc => score,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(score: i128, micros: i64) -> Entry {
        Entry { score, achieved_micros: micros, achieved_at: format!("t{micros}") }
    }

    fn stored(player: &str, total: i128, micros: i64) -> StoredEntry {
        StoredEntry::new(total, micros, format!("t{micros}"), ranking_member(micros, player))
    }

    fn one(operator: Operator, new: Entry, kept: Option<StoredEntry>) -> BoardWrite {
        let state = BoardState { stored: vec![kept] };
        resolve("b".into(), operator, SortOrder::Desc, vec![("ada".into(), new)], state)
    }

    #[test]
    fn a_better_score_replaces_the_stored_entry_and_a_worse_one_writes_nothing() {
        let better = one(Operator::Best, entry(50, 2), Some(stored("ada", 40, 1)));
        assert_eq!(better.removed, [ranking_member(1, "ada")]);
        assert_eq!(better.added, [(-50, ranking_member(2, "ada"))]);
        assert_eq!(better.entries, [("ada".into(), stored("ada", 50, 2))]);
        let worse = one(Operator::Best, entry(30, 2), Some(stored("ada", 40, 1)));
        assert_eq!(worse, BoardWrite { board: "b".into(), ..empty() });
    }

    fn empty() -> BoardWrite {
        BoardWrite {
            board: String::new(),
            removed: vec![],
            added: vec![],
            entries: vec![],
            best_removed: None,
            best_added: None,
        }
    }

    #[test]
    fn a_sum_adds_to_the_stored_total_and_takes_the_later_achievement() {
        let summed = one(Operator::Sum, entry(5, 1), Some(stored("ada", 40, 9)));
        assert_eq!(summed.added, [(-45, ranking_member(9, "ada"))]);
        assert_eq!(summed.removed, [ranking_member(9, "ada")], "the same member, moved to its new score");
    }

    #[test]
    fn a_sum_beyond_two_to_the_53_ranks_at_the_limit_and_later_scores_add_to_its_exact_total() {
        let limit = 1_i128 << 53;
        let beyond = one(Operator::Sum, entry(limit, 2), Some(stored("ada", limit - 1, 1)));
        assert_eq!(beyond.added, [(-(1 << 53), ranking_member(2, "ada"))]);
        let (_, kept) = &beyond.entries[0];
        assert_eq!((kept.score, kept.total_beyond), (1 << 53, Some(2 * limit - 1)));
        let back = one(Operator::Sum, entry(-limit + 1, 3), Some(kept.clone()));
        assert_eq!(back.entries, [("ada".into(), stored("ada", limit, 3))]);
        assert_eq!(back.entries[0].1.total_beyond, None, "the limit itself is exact");
    }

    #[test]
    fn a_first_entry_is_added_without_removing_anything() {
        let first = one(Operator::Latest, entry(7, 3), None);
        assert!(first.removed.is_empty() && first.best_removed.is_none());
        assert_eq!(first.added, [(-7, ranking_member(3, "ada"))]);
        assert_eq!(first.best_added, Some(ranking_member(3, "ada")));
    }

    #[test]
    fn the_best_ranked_leaving_and_joining_members_are_named_by_score_then_earlier_achievement() {
        let state =
            BoardState { stored: vec![Some(stored("ada", 10, 1)), Some(stored("bob", 30, 1)), None, None] };
        let entries = vec![
            ("ada".to_owned(), entry(20, 5)),
            ("bob".to_owned(), entry(40, 6)),
            ("cyd".to_owned(), entry(40, 4)),
            ("dee".to_owned(), entry(1, 1)),
        ];
        let write = resolve("b".into(), Operator::Best, SortOrder::Desc, entries, state);
        assert_eq!(write.best_removed, Some(ranking_member(1, "bob")));
        assert_eq!(write.best_added, Some(ranking_member(4, "cyd")), "40 achieved earlier than bob's 40");
    }

    #[test]
    fn an_ascending_board_ranks_by_the_score_itself() {
        let state = BoardState { stored: vec![None, None] };
        let entries = vec![("ada".to_owned(), entry(-5, 1)), ("bob".to_owned(), entry(-9, 1))];
        let write = resolve("b".into(), Operator::Best, SortOrder::Asc, entries, state);
        assert_eq!(write.added[0], (-5, ranking_member(1, "ada")));
        assert_eq!(write.best_added, Some(ranking_member(1, "bob")));
    }
}
