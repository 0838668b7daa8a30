//! A batch's operations as the arguments of `projection.lua`'s `reprise_apply_v7`: change the one, change
//! the other (and the library's version with them).

use read_model::Op;
use read_model::board_write::{BoardWrite, Landing, resolve};
use read_model::boards::{Board, timestamp};
use read_model::job_write::JobWrite;

use crate::store::Stored;

/// What a board's document says of the board itself, as `projection.lua`'s renderer takes it: game,
/// period, window start and end (empty for none) and region (empty for the global board). The
/// projector's renders and the query side's pages pass the same text, so both render alike.
pub fn board_heading(board: &Board) -> [String; 5] {
    [
        board.game.to_string(),
        board.period.to_string(),
        board.window.start.map(timestamp).unwrap_or_default(),
        board.window.end.map(timestamp).unwrap_or_default(),
        board.region.as_ref().map(ToString::to_string).unwrap_or_default(),
    ]
}

/// Appends the arguments of `ops`, in order, given what their boards and jobs store (`stored`), and
/// records in `landing` what they write: each board's update becomes the writes it calls for, each job's
/// patch its new document.
pub fn encode_batch(ops: Vec<Op>, stored: Stored, args: &mut Vec<String>, landing: &mut Landing) {
    let Stored { boards, mut jobs } = stored;
    let mut boards = boards.into_iter();
    for op in ops {
        match op {
            Op::Board { board, operator, order, entries } => {
                let state = boards.next().unwrap_or_default();
                let write = resolve(board, operator, order, entries, state);
                landing.record(&write);
                encode_board_write(write, args);
            }
            Op::JobFields { id, fields, created } => {
                let state = jobs.entry(id.clone()).or_default();
                if created {
                    *state = Default::default();
                }
                encode_job_write(state.apply(&id, &fields), args);
            }
            op => encode_op(op, args),
        }
    }
    landing.jobs = jobs;
}

/// `JOB <id> <kind> <priority> <owner> <counted before> <counted after> <changed at> <document>`, then
/// the count of the fields kept in its hash, and each one's name and JSON. An empty `counted after`
/// changes no count.
fn encode_job_write(write: JobWrite, args: &mut Vec<String>) {
    let (from, to, at) = match write.counted {
        Some(change) => (change.from.unwrap_or_default(), change.to, change.at),
        None => Default::default(),
    };
    args.reserve(10 + 2 * write.hash_fields.len());
    args.extend([
        "JOB".into(),
        write.id,
        write.kind,
        write.priority.to_string(),
        write.owner,
        from,
        to,
        at,
        write.document,
        write.hash_fields.len().to_string(),
    ]);
    for (name, value) in write.hash_fields {
        args.extend([name.to_owned(), value]);
    }
}

/// `BOARD <board> <removed count> <added count> <best removed> <best added>` (an empty string for none),
/// then the removed members, the added rank scores and members, and the players' entries as stored:
/// `score|achievedMicros|achievedAt|member`.
fn encode_board_write(write: BoardWrite, args: &mut Vec<String>) {
    if write.added.is_empty() {
        return;
    }
    args.reserve(6 + write.removed.len() + 4 * write.added.len());
    args.extend([
        "BOARD".into(),
        write.board,
        write.removed.len().to_string(),
        write.added.len().to_string(),
        write.best_removed.unwrap_or_default(),
        write.best_added.unwrap_or_default(),
    ]);
    args.extend(write.removed);
    for (rank, member) in write.added {
        args.extend([rank.to_string(), member]);
    }
    for (player, entry) in write.entries {
        args.extend([player, entry.text()]);
    }
}

/// Appends the arguments of an operation other than [`Op::Board`].
fn encode_op(op: Op, args: &mut Vec<String>) {
    match op {
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
        Op::Enqueue { id } => args.extend(["ENQUEUE".into(), id]),
        Op::Delay { id, due_millis } => args.extend(["DELAY".into(), id, due_millis.to_string()]),
        Op::Undelay { id } => args.extend(["UNDELAY".into(), id]),
        Op::QueueSettings { kind, settings } => args.extend([
            "QUEUE".into(),
            kind,
            if settings.paused { "1" } else { "0" }.into(),
            settings.concurrency.map(|cap| cap.get().to_string()).unwrap_or_default(),
            settings.rate_per_second.map(|rate| rate.get().to_string()).unwrap_or_default(),
        ]),
        Op::Owners { jobs } => {
            args.reserve(2 + 3 * jobs.len());
            args.extend(["OWNERS".into(), jobs.len().to_string()]);
            for job in jobs {
                args.extend([job.id, job.owner, job.member]);
            }
        }
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
        Op::Board { .. } | Op::JobFields { .. } => unreachable!("encoded with what they update stores"),
        Op::Render { board, expires_at } => {
            let [game, period, start, end, region] = board_heading(&board);
            args.extend([
                "RENDER".into(),
                board.id(),
                game,
                period,
                region,
                start,
                end,
                expires_at.map_or(0, |at| at.timestamp()).to_string(),
            ])
        }
        Op::ListWindow { index, window, start, oldest_kept, kept_until } => args.extend([
            "WINDOW".into(),
            index,
            window,
            start.to_string(),
            oldest_kept.to_string(),
            kept_until.timestamp().to_string(),
        ]),
        Op::Refresh { game, period, region } => args.extend([
            "REFRESH".into(),
            game.to_string(),
            period.map(|p| p.to_string()).unwrap_or_default(),
            region.as_ref().map(ToString::to_string).unwrap_or_default(),
        ]),
    }
}

/// Fields as `name<TAB>json` lines; JSON as serde writes it holds no raw tab or newline.
fn encode_patch(fields: &[(&'static str, String)]) -> String {
    fields.iter().map(|(name, value)| format!("{name}\t{value}\n")).collect()
}
