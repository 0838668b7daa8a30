//! A bounded memory of ids seen lately: to drop events RabbitMQ delivers twice, and to refuse sockets
//! of sessions revoked while they were being opened.

use std::collections::{HashSet, VecDeque};

/// The last `capacity` distinct ids remembered; older ones are forgotten first.
#[derive(Debug)]
pub struct RecentIds {
    order: VecDeque<String>,
    members: HashSet<String>,
    capacity: usize,
}

impl RecentIds {
    /// Remembers up to `capacity` ids (at least one).
    pub fn new(capacity: usize) -> Self {
        Self { order: VecDeque::new(), members: HashSet::new(), capacity: capacity.max(1) }
    }

    /// Remembers `id`; `false` when it was remembered already.
    pub fn insert(&mut self, id: &str) -> bool {
        if self.members.contains(id) {
            return false;
        }
        if self.order.len() >= self.capacity
            && let Some(oldest) = self.order.pop_front()
        {
            self.members.remove(&oldest);
        }
        self.order.push_back(id.to_owned());
        self.members.insert(id.to_owned());
        true
    }

    /// Whether `id` is remembered.
    pub fn contains(&self, id: &str) -> bool {
        self.members.contains(id)
    }
}

#[cfg(test)]
mod tests {
    use super::RecentIds;

    #[test]
    fn an_id_seen_lately_is_recognized() {
        let mut recent = RecentIds::new(3);
        assert!(recent.insert("a"));
        assert!(!recent.insert("a"));
        assert!(recent.contains("a"));
    }

    #[test]
    fn the_oldest_id_is_forgotten_first() {
        let mut recent = RecentIds::new(2);
        for id in ["a", "b", "c"] {
            recent.insert(id);
        }
        assert!(!recent.contains("a"));
        assert!(recent.contains("b") && recent.contains("c"));
        assert!(recent.insert("a"));
    }
}
