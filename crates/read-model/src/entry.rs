//! A player's entry on a board, and how the game's operator combines two of them.

use domain::scores::{Operator, SortOrder};

/// A board entry: a score and when it was achieved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The score; under `sum`, the exact total, which may lie beyond the ±2^53 a board shows (see
    /// [`crate::boards::StoredEntry::new`]). Scores are within ±2^53, so no count of them that a log
    /// can hold takes an `i128` total anywhere near overflowing.
    pub score: i128,
    /// `achievedAt` in microseconds since the epoch: the tie-breaker.
    pub achieved_micros: i64,
    /// `achievedAt` as documents show it.
    pub achieved_at: String,
}

/// Combines a player's kept entry with a newer one under the operator: within a batch, and between what
/// a board stores and what a batch brings ([`crate::board_write::resolve`]).
pub fn combine(kept: &Entry, new: Entry, operator: Operator, order: SortOrder) -> Entry {
    match operator {
        Operator::Best => {
            let better = match order {
                SortOrder::Desc => new.score > kept.score,
                SortOrder::Asc => new.score < kept.score,
            } || (new.score == kept.score && new.achieved_micros < kept.achieved_micros);
            if better { new } else { kept.clone() }
        }
        Operator::Latest => {
            if new.achieved_micros >= kept.achieved_micros {
                new
            } else {
                kept.clone()
            }
        }
        // The exact total, clamped to ±2^53 only where it is shown: an addition that saturated at every
        // step would not be associative, so a player's total would depend on where the projector's
        // batches happen to cut the log (and on the order of the scores). The exact sum does not.
        Operator::Sum => {
            let total = kept.score + new.score;
            let latest = if new.achieved_micros >= kept.achieved_micros { new } else { kept.clone() };
            Entry { score: total, ..latest }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(score: i128, micros: i64) -> Entry {
        Entry { score, achieved_micros: micros, achieved_at: micros.to_string() }
    }

    #[test]
    fn best_keeps_the_higher_score_on_a_descending_board_and_the_lower_on_an_ascending_one() {
        assert_eq!(combine(&entry(5, 1), entry(9, 2), Operator::Best, SortOrder::Desc).score, 9);
        assert_eq!(combine(&entry(5, 1), entry(9, 2), Operator::Best, SortOrder::Asc).score, 5);
    }

    #[test]
    fn best_keeps_the_earlier_of_two_equal_scores() {
        assert_eq!(combine(&entry(5, 3), entry(5, 2), Operator::Best, SortOrder::Desc).achieved_micros, 2);
        assert_eq!(combine(&entry(5, 2), entry(5, 3), Operator::Best, SortOrder::Desc).achieved_micros, 2);
    }

    #[test]
    fn latest_keeps_the_score_achieved_last_even_when_it_arrives_first() {
        assert_eq!(combine(&entry(5, 9), entry(7, 2), Operator::Latest, SortOrder::Desc).score, 5);
        assert_eq!(combine(&entry(5, 2), entry(7, 9), Operator::Latest, SortOrder::Desc).score, 7);
    }

    #[test]
    fn sum_adds_up_exactly_beyond_two_to_the_53() {
        assert_eq!(combine(&entry(5, 1), entry(-7, 2), Operator::Sum, SortOrder::Desc), entry(-2, 2));
        let huge = 1 << 53;
        assert_eq!(combine(&entry(huge, 1), entry(huge, 2), Operator::Sum, SortOrder::Desc).score, 2 * huge);
    }

    /// A batch's scores are combined before they are added to what a board stores: however the log is
    /// cut, a player's total comes out the same.
    #[test]
    fn a_sum_does_not_depend_on_how_its_scores_are_grouped() {
        let sum = |kept: Entry, new: Entry| combine(&kept, new, Operator::Sum, SortOrder::Desc);
        let huge = 1 << 53;
        let one_by_one = sum(sum(entry(1, 1), entry(-huge, 2)), entry(-huge, 3));
        let in_two_batches = sum(entry(1, 1), sum(entry(-huge, 2), entry(-huge, 3)));
        assert_eq!(one_by_one, in_two_batches);
        assert_eq!(one_by_one.score, 1 - 2 * huge);
    }
}
