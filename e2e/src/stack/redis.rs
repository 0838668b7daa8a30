//! What a stack keeps in Redis, for tests that look at it or take it away.

use read_model::Keys;
use redis_store::ProjectionStore;

use super::Stack;

impl Stack {
    /// The stack's key layout: of the first generation of the documents, the one a stack's projector
    /// fills (and a stack without one reads).
    pub fn keys(&self) -> Keys {
        Keys::new(self.settings.redis.key_prefix.clone()).generation(1)
    }

    /// A projection store on this stack's prefix, for tests that look at the checkpoint.
    pub fn store(&self) -> ProjectionStore {
        ProjectionStore::new(self.redis.clone(), Keys::new(self.settings.redis.key_prefix.clone()), 1)
    }

    /// Deletes every key of this stack in Redis, as a Redis that restarted empty has lost them.
    pub async fn empty_redis(&self) {
        let control = Keys::new(self.settings.redis.key_prefix.clone());
        redis_store::generations::delete_everything(&self.redis, &control).await.expect("empty Redis");
    }
}
