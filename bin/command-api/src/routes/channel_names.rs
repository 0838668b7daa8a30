//! Channel names are unique (case-folded): a name is claimed in Postgres before the create or rename
//! that takes it is committed.

use domain::meetups::ChannelName;
use http_kit::ApiError;

use crate::claims::{Claim, ClaimError, claim_all, holder, take_over, take_over_from_ended};
use crate::failure::Failure;
use crate::state::MeetupsState;

/// How often a name is claimed again when its claim was released between two steps of [`claim_name`].
const CLAIM_ATTEMPTS: usize = 3;

/// Claims `name` for channel `id`: 409 when another channel is called so, or may be about to be. A
/// claim held by a deleted channel is taken over at once; one held by a channel seen under another name
/// (a release that never happened) once it is over a minute old. Nothing else is: the holder of a young
/// claim may still be committing the create or rename it claimed the name for.
pub async fn claim_name(state: &MeetupsState, id: &str, name: &ChannelName) -> Result<(), Failure> {
    let folded = name.folded();
    let taken = || ApiError::Conflict(format!("a channel is already called {name}"));
    for _ in 0..CLAIM_ATTEMPTS {
        match claim_all(&state.shared.pool, id, &[(Claim::ChannelName, &folded)]).await {
            Ok(()) => return Ok(()),
            Err(ClaimError::Taken(_)) => {}
            Err(ClaimError::Database(error)) => return Err(error.into()),
        }
        // Whether the holder was deleted is decided in Postgres, in the statement that moves the claim:
        // a load that found no channel followed by a look-up that found events would take a create
        // committing in between for a deletion.
        if take_over_from_ended(&state.shared.pool, Claim::ChannelName, &folded, id).await? {
            return Ok(());
        }
        let Some(holder) = holder(&state.shared.pool, Claim::ChannelName, &folded).await? else {
            continue;
        };
        let channel = state.channels.load(&holder).await?;
        let renamed = channel.info().is_some_and(|info| info.name.folded() != folded);
        if renamed && take_over(&state.shared.pool, Claim::ChannelName, &folded, &holder, id).await? {
            return Ok(());
        }
        return Err(taken().into());
    }
    Err(taken().into())
}
