//! Whether the read model is complete.

use fred::prelude::*;
use read_model::Keys;

/// Whether the query side is being rebuilt from the log (or was never built): documents that are
/// missing now may exist once it catches up.
pub async fn rebuilding(client: &Client, keys: &Keys) -> Result<bool, Error> {
    let checkpoint: i64 = client.exists(keys.checkpoint()).await?;
    let rebuilding: i64 = client.exists(keys.rebuilding()).await?;
    Ok(checkpoint == 0 || rebuilding == 1)
}
