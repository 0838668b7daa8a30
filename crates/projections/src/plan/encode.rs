//! A batch's operations as the Redis Function's arguments.
//!
//! A score counts on up to eight boards. Its entry (player, score, time, member) is sent once, in an
//! `ENTRIES` list at the head of the batch, and each board names the entries it takes by number: a
//! fraction of the arguments of a full entry per board, and every argument costs on both sides (a
//! string here, a Lua string in Redis).

use std::collections::HashMap;

use domain::scores::{Operator, SortOrder};

use super::{Entry, Op};
use crate::boards::{ranking_member, timestamp};

/// Appends the arguments of `ops`, in order, after an `ENTRIES` list of the batch's board entries.
pub fn encode_batch(ops: Vec<Op>, args: &mut Vec<String>) {
    let mut pool = EntryPool::default();
    let numbers: Vec<Vec<usize>> = ops
        .iter()
        .filter_map(|op| match op {
            Op::Board { entries, .. } => {
                Some(entries.iter().map(|(player, entry)| pool.number(player, entry)).collect())
            }
            _ => None,
        })
        .collect();
    pool.encode(args);
    let mut numbers = numbers.into_iter();
    for op in ops {
        match op {
            Op::Board { board, operator, order, .. } => {
                let taken = numbers.next().unwrap_or_default();
                args.reserve(5 + taken.len());
                args.extend([
                    "BOARD".into(),
                    board,
                    operator_name(operator).into(),
                    order_name(order).into(),
                    taken.len().to_string(),
                ]);
                args.extend(taken.into_iter().map(|number| number.to_string()));
            }
            op => op.encode(args),
        }
    }
}

/// The distinct entries of a batch's boards, numbered from 1 in the order first seen.
#[derive(Default)]
struct EntryPool<'a> {
    entries: Vec<(&'a str, &'a Entry)>,
    numbers: HashMap<(&'a str, i64, i64), usize>,
}

impl<'a> EntryPool<'a> {
    fn number(&mut self, player: &'a str, entry: &'a Entry) -> usize {
        *self.numbers.entry((player, entry.score, entry.achieved_micros)).or_insert_with(|| {
            self.entries.push((player, entry));
            self.entries.len()
        })
    }

    /// `ENTRIES <count>`, then per entry: player, score, micros, achievedAt and ranking member.
    fn encode(&self, args: &mut Vec<String>) {
        if self.entries.is_empty() {
            return;
        }
        args.reserve(2 + 5 * self.entries.len());
        args.extend(["ENTRIES".into(), self.entries.len().to_string()]);
        for (player, entry) in &self.entries {
            args.extend([
                (*player).to_owned(),
                entry.score.to_string(),
                entry.achieved_micros.to_string(),
                entry.achieved_at.clone(),
                ranking_member(entry.achieved_micros, player),
            ]);
        }
    }
}

impl Op {
    /// Appends the arguments of an operation other than [`Op::Board`].
    fn encode(self, args: &mut Vec<String>) {
        match self {
            Op::Set { key, value } => args.extend(["SET".into(), key, value]),
            Op::SetUntil { key, value, until } => {
                args.extend(["SETUNTIL".into(), key, value, until.timestamp().to_string()])
            }
            Op::Del { key } => args.extend(["DEL".into(), key]),
            Op::Revoke { key } => args.extend(["REVOKE".into(), key]),
            Op::HashSet { key, field, value } => args.extend(["HSET".into(), key, field, value]),
            Op::Jobs { documents } => {
                args.reserve(2 + 2 * documents.len());
                args.extend(["JOBS".into(), documents.len().to_string()]);
                for (id, document) in documents {
                    args.extend([id, document]);
                }
            }
            Op::JobFields { id, fields } => args.extend(["JOBFIELDS".into(), id, encode_patch(&fields)]),
            Op::Enqueue { id } => args.extend(["ENQUEUE".into(), id]),
            Op::Delay { id, due_millis } => args.extend(["DELAY".into(), id, due_millis.to_string()]),
            Op::Undelay { id } => args.extend(["UNDELAY".into(), id]),
            Op::Index { owner, member } => args.extend(["INDEX".into(), owner, member]),
            Op::Document { document, fields_key, order, fields } => {
                args.extend(["DOC".into(), document, fields_key, order.join(","), encode_patch(&fields)])
            }
            Op::AddByText { key, member } => args.extend(["ZADDLEX".into(), key, member]),
            Op::Increment { document, fields_key, order, field } => {
                args.extend(["INCR".into(), document, fields_key, order.join(","), field.into()])
            }
            Op::ZAdd { key, score, member } => args.extend(["ZADD".into(), key, score.to_string(), member]),
            Op::ZAddScoreOf { from, key, member } => args.extend(["ZADDAS".into(), from, key, member]),
            Op::ZRem { key, member } => args.extend(["ZREM".into(), key, member]),
            Op::SAdd { key, member } => args.extend(["SADD".into(), key, member]),
            Op::SRem { key, member } => args.extend(["SREM".into(), key, member]),
            Op::WithSet { document, head, set, field } => {
                args.extend(["WITHSET".into(), document, head, set, field.into()])
            }
            Op::Board { .. } => unreachable!("a board is encoded with the batch's entries"),
            Op::Render { board, expires_at } => args.extend([
                "RENDER".into(),
                board.id(),
                board.game.to_string(),
                board.period.to_string(),
                board.region.as_ref().map(ToString::to_string).unwrap_or_default(),
                board.window.start.map(timestamp).unwrap_or_default(),
                board.window.end.map(timestamp).unwrap_or_default(),
                expires_at.map_or(0, |at| at.timestamp()).to_string(),
            ]),
            Op::Refresh { game, period, region } => args.extend([
                "REFRESH".into(),
                game.to_string(),
                period.map(|p| p.to_string()).unwrap_or_default(),
                region.as_ref().map(ToString::to_string).unwrap_or_default(),
            ]),
        }
    }
}

/// Fields as `name<TAB>json` lines; JSON as serde writes it holds no raw tab or newline.
fn encode_patch(fields: &[(&'static str, String)]) -> String {
    fields.iter().map(|(name, value)| format!("{name}\t{value}\n")).collect()
}

fn operator_name(operator: Operator) -> &'static str {
    match operator {
        Operator::Best => "best",
        Operator::Latest => "latest",
        Operator::Sum => "sum",
    }
}

fn order_name(order: SortOrder) -> &'static str {
    match order {
        SortOrder::Desc => "desc",
        SortOrder::Asc => "asc",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(score: i64, micros: i64) -> Entry {
        Entry { score, achieved_micros: micros, achieved_at: format!("t{micros}") }
    }

    fn board(name: &str, entries: &[(&str, Entry)]) -> Op {
        Op::Board {
            board: name.into(),
            operator: Operator::Sum,
            order: SortOrder::Desc,
            entries: entries.iter().map(|(player, entry)| ((*player).to_owned(), entry.clone())).collect(),
        }
    }

    #[test]
    fn an_entry_several_boards_take_is_sent_once_and_each_board_names_it_by_number() {
        let ops = vec![
            board("all", &[("ada", entry(10, 1)), ("bob", entry(7, 2))]),
            board("day", &[("ada", entry(10, 1)), ("bob", entry(9, 3))]),
            Op::Del { key: "k".into() },
        ];
        let mut args = Vec::new();
        encode_batch(ops, &mut args);
        let member = |micros, player| ranking_member(micros, player);
        let expected: Vec<String> = [
            "ENTRIES",
            "3",
            "ada",
            "10",
            "1",
            "t1",
            &member(1, "ada"),
            "bob",
            "7",
            "2",
            "t2",
            &member(2, "bob"),
            "bob",
            "9",
            "3",
            "t3",
            &member(3, "bob"),
            "BOARD",
            "all",
            "sum",
            "desc",
            "2",
            "1",
            "2",
            "BOARD",
            "day",
            "sum",
            "desc",
            "2",
            "1",
            "3",
            "DEL",
            "k",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(args, expected);
    }

    #[test]
    fn a_batch_without_boards_sends_no_entries() {
        let mut args = Vec::new();
        encode_batch(vec![Op::Del { key: "k".into() }], &mut args);
        assert_eq!(args, ["DEL", "k"]);
    }
}
