//! What a batch's boards and jobs store, read before the batch is prepared: the players' entries its
//! board updates resolve against, and the documents its jobs' events patch. Only the projector holding
//! the fence writes them, so what it read stays true until its own next write; a batch still on its way
//! (`landing`) says what that write will be.

use fred::prelude::*;
use read_model::Op;
use read_model::board_write::{BoardState, Landing};
use read_model::boards::parse_entry;
use read_model::entry::Entry;
use read_model::job_write::{JobState, JobStates};

use super::ProjectionStore;

/// What a batch's boards and jobs store, as [`ProjectionStore::stored`] reads it.
#[derive(Debug, Default)]
pub struct Stored {
    /// What each board stores for the players the batch names, in the order of the boards.
    pub boards: Vec<BoardState>,
    /// What each job an earlier batch created stores.
    pub jobs: JobStates,
}

impl ProjectionStore {
    /// What the boards and jobs of `ops` store (see [`board_states`](Self::board_states) and
    /// [`job_states`](Self::job_states)), read at once.
    pub async fn stored(&self, ops: &[Op], landing: Option<&Landing>) -> Result<Stored, Error> {
        let (boards, jobs) =
            tokio::try_join!(self.board_states(ops, landing), self.job_states(ops, landing))?;
        Ok(Stored { boards, jobs })
    }

    /// What each job of `ops` that an earlier batch created stores: its document and its owner (the one
    /// the job indexes list it under), in one MGET; `landing`'s jobs instead, where the batch sent
    /// before these reads writes them.
    pub async fn job_states(&self, ops: &[Op], landing: Option<&Landing>) -> Result<JobStates, Error> {
        let mut states = JobStates::default();
        let mut created = std::collections::HashSet::new();
        let mut unread = Vec::new();
        for op in ops {
            let Op::JobFields { id, created: creates, .. } = op else { continue };
            if *creates {
                created.insert(id.as_str());
                continue;
            }
            if created.contains(id.as_str()) || states.contains_key(id) {
                continue;
            }
            let landed = landing.and_then(|landing| landing.jobs.get(id));
            if landed.is_none() {
                unread.push(id.as_str());
            }
            states.insert(id.clone(), landed.cloned().unwrap_or_default());
        }
        if unread.is_empty() {
            return Ok(states);
        }
        let keys: Vec<String> =
            unread.iter().flat_map(|id| [self.keys.job(id), self.keys.job_owner(id)]).collect();
        let values: Vec<Option<String>> = self.client.mget(keys).await?;
        for (id, pair) in unread.iter().zip(values.chunks(2)) {
            let (document, owner) = (pair[0].as_deref(), pair[1].clone());
            let state = JobState::stored(document, owner.clone()).unwrap_or_else(|error| {
                tracing::error!(job = id, %error, "a stored job document does not parse; replacing it");
                JobState::owned_by(owner)
            });
            states.insert((*id).to_owned(), state);
        }
        Ok(states)
    }

    /// What each board of `ops` stores for the players the batch names, in the order of the boards. The
    /// [`Op::Board`]s of a batch name each player of a board once (the plan folds them so). `landing` is
    /// what a batch sent before these reads, and not yet known to have landed, writes: Redis may run the
    /// reads before it.
    pub async fn board_states(
        &self,
        ops: &[Op],
        landing: Option<&Landing>,
    ) -> Result<Vec<BoardState>, Error> {
        debug_assert!(each_player_once(ops), "a batch names each player of a board once");
        let reads = ops.iter().filter_map(|op| match op {
            Op::Board { board, entries, .. } => Some(self.board_state(board, entries, landing)),
            _ => None,
        });
        futures::future::try_join_all(reads).await
    }

    async fn board_state(
        &self,
        board: &str,
        entries: &[(String, Entry)],
        landing: Option<&Landing>,
    ) -> Result<BoardState, Error> {
        let players: Vec<&str> = entries.iter().map(|(player, _)| player.as_str()).collect();
        let stored: Vec<Option<String>> = self.client.hmget(self.keys.board_entries(board), players).await?;
        let stored = stored
            .into_iter()
            .zip(entries)
            .map(|(text, (player, _))| {
                if let Some(landing) = landing.and_then(|landing| landing.entry(board, player)) {
                    return Some(landing.clone());
                }
                let entry = text.as_deref().and_then(parse_entry);
                if text.is_some() && entry.is_none() {
                    tracing::error!(board, ?text, "a stored board entry does not parse; replacing it");
                }
                entry
            })
            .collect();
        Ok(BoardState { stored })
    }
}

fn each_player_once(ops: &[Op]) -> bool {
    let mut named = std::collections::HashSet::new();
    ops.iter().all(|op| match op {
        Op::Board { board, entries, .. } => entries.iter().all(|(player, _)| named.insert((board, player))),
        _ => true,
    })
}
