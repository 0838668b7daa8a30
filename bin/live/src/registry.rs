//! The sockets connected to this instance, by user: where pushes are handed to sockets.
//!
//! Each socket has a bounded outbox. Handing a frame over never waits: a socket whose outbox is full
//! (a client that does not read) is disconnected, so one slow client cannot hold up the others.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::extract::ws::Utf8Bytes;
use tokio::sync::{mpsc, oneshot};

use crate::recent::RecentIds;
use crate::routing::{Audience, Push};

/// How many revoked sessions are remembered, to refuse a socket whose session ended while it opened.
const REVOKED_REMEMBERED: usize = 10_000;

/// A socket's number within this instance.
pub type SocketId = u64;

/// Why the service closes a socket; the close frame carries its code and text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseReason {
    /// The session was signed out (or its token expired): 1008, policy violation.
    SessionEnded,
    /// The client did not read its pushes fast enough: 1013, try again later.
    TooSlow,
    /// The client answered no ping for too long: 1001, going away.
    Unresponsive,
    /// The service is stopping: 1001, going away.
    ShuttingDown,
}

impl CloseReason {
    /// The WebSocket close code.
    pub fn code(self) -> u16 {
        match self {
            Self::SessionEnded => 1008,
            Self::TooSlow => 1013,
            Self::Unresponsive | Self::ShuttingDown => 1001,
        }
    }

    /// The close frame's text.
    pub fn text(self) -> &'static str {
        match self {
            Self::SessionEnded => "session ended",
            Self::TooSlow => "too slow to keep up",
            Self::Unresponsive => "no answer to pings",
            Self::ShuttingDown => "server shutting down",
        }
    }
}

/// What a socket's task receives when it is registered.
#[derive(Debug)]
pub struct Registration {
    /// The socket's number.
    pub id: SocketId,
    /// The frames to write, in order.
    pub outbox: mpsc::Receiver<Utf8Bytes>,
    /// Fires when the service wants the socket closed.
    pub closed: oneshot::Receiver<CloseReason>,
}

struct Entry {
    session_id: String,
    outbox: mpsc::Sender<Utf8Bytes>,
    close: oneshot::Sender<CloseReason>,
}

struct Sockets {
    by_user: HashMap<String, HashMap<SocketId, Entry>>,
    count: usize,
    next_id: SocketId,
    revoked: RecentIds,
}

impl Sockets {
    fn remove(&mut self, user_id: &str, id: SocketId) -> Option<Entry> {
        let sockets = self.by_user.get_mut(user_id)?;
        let entry = sockets.remove(&id)?;
        if sockets.is_empty() {
            self.by_user.remove(user_id);
        }
        self.count -= 1;
        metrics::gauge!("live_sockets_connected").set(self.count as f64);
        Some(entry)
    }

    fn close(&mut self, user_id: &str, id: SocketId, reason: CloseReason) {
        if let Some(entry) = self.remove(user_id, id) {
            // The socket's task may have ended already; then there is nobody left to tell.
            let _ = entry.close.send(reason);
        }
    }
}

/// The connected sockets, shared by the HTTP handlers and the consumer.
#[derive(Clone)]
pub struct Registry {
    sockets: Arc<Mutex<Sockets>>,
    buffer: usize,
}

impl Registry {
    /// An empty registry whose sockets each hold up to `buffer` frames not yet written.
    pub fn new(buffer: usize) -> Self {
        let sockets = Sockets {
            by_user: HashMap::new(),
            count: 0,
            next_id: 0,
            revoked: RecentIds::new(REVOKED_REMEMBERED),
        };
        Self { sockets: Arc::new(Mutex::new(sockets)), buffer: buffer.max(1) }
    }

    fn lock(&self) -> MutexGuard<'_, Sockets> {
        // Nothing is left half-done under this lock, so a panic elsewhere does not spoil the map.
        self.sockets.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Registers a socket of `user_id` in session `session_id`; `None` when that session was revoked.
    pub fn register(&self, user_id: &str, session_id: &str) -> Option<Registration> {
        let mut sockets = self.lock();
        if sockets.revoked.contains(session_id) {
            return None;
        }
        let (outbox_sender, outbox) = mpsc::channel(self.buffer);
        let (close, closed) = oneshot::channel();
        let id = sockets.next_id;
        sockets.next_id += 1;
        let entry = Entry { session_id: session_id.to_owned(), outbox: outbox_sender, close };
        sockets.by_user.entry(user_id.to_owned()).or_default().insert(id, entry);
        sockets.count += 1;
        metrics::gauge!("live_sockets_connected").set(sockets.count as f64);
        Some(Registration { id, outbox, closed })
    }

    /// Whether session `session_id` was revoked lately.
    pub fn is_revoked(&self, session_id: &str) -> bool {
        self.lock().revoked.contains(session_id)
    }

    /// Removes a socket whose task ended.
    pub fn unregister(&self, user_id: &str, id: SocketId) {
        self.lock().remove(user_id, id);
    }

    /// Hands `push` to every socket of its audience; returns how many sockets took it. Sockets whose
    /// outbox is full are closed as too slow.
    pub fn deliver(&self, push: &Push) -> usize {
        let text = match serde_json::to_string(&push.frame) {
            Ok(text) => Utf8Bytes::from(text),
            Err(error) => {
                tracing::error!(%error, "a frame cannot be written as JSON");
                return 0;
            }
        };
        let mut sockets = self.lock();
        let mut delivered = 0;
        let mut stalled = Vec::new();
        let users: Vec<&String> = match &push.audience {
            Audience::Everyone => sockets.by_user.keys().collect(),
            Audience::Users(users) => {
                users.iter().filter(|user| sockets.by_user.contains_key(*user)).collect()
            }
        };
        for user_id in users {
            for (id, entry) in sockets.by_user.get(user_id).into_iter().flatten() {
                match entry.outbox.try_send(text.clone()) {
                    Ok(()) => delivered += 1,
                    Err(mpsc::error::TrySendError::Full(_)) => stalled.push((user_id.clone(), *id, true)),
                    Err(mpsc::error::TrySendError::Closed(_)) => stalled.push((user_id.clone(), *id, false)),
                }
            }
        }
        for (user_id, id, too_slow) in stalled {
            if too_slow {
                tracing::info!(user_id, socket = id, "disconnecting a client too slow to keep up");
                metrics::counter!("live_slow_clients_dropped_total").increment(1);
                sockets.close(&user_id, id, CloseReason::TooSlow);
            } else {
                sockets.remove(&user_id, id);
            }
        }
        metrics::counter!("live_pushes_total", "type" => push.frame.kind.as_str())
            .increment(delivered as u64);
        delivered
    }

    /// Closes every socket of session `session_id` of `user_id`, and refuses new ones; returns how many
    /// were closed.
    pub fn end_session(&self, user_id: &str, session_id: &str) -> usize {
        let mut sockets = self.lock();
        sockets.revoked.insert(session_id);
        let ids: Vec<SocketId> = sockets
            .by_user
            .get(user_id)
            .into_iter()
            .flatten()
            .filter(|(_, entry)| entry.session_id == session_id)
            .map(|(id, _)| *id)
            .collect();
        for &id in &ids {
            sockets.close(user_id, id, CloseReason::SessionEnded);
        }
        ids.len()
    }

    /// Closes every socket for `reason`.
    pub fn close_all(&self, reason: CloseReason) {
        let mut sockets = self.lock();
        let all: Vec<(String, SocketId)> = sockets
            .by_user
            .iter()
            .flat_map(|(user_id, entries)| entries.keys().map(move |id| (user_id.clone(), *id)))
            .collect();
        for (user_id, id) in all {
            sockets.close(&user_id, id, reason);
        }
    }

    /// How many sockets are connected.
    pub fn connected(&self) -> usize {
        self.lock().count
    }
}

#[cfg(test)]
#[path = "registry_tests.rs"]
mod tests;
