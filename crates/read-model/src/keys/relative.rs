//! Key names relative to the prefix, as plans and the Redis Function use them.

/// The projector's checkpoint.
pub const CHECKPOINT: &str = "projector:checkpoint";
/// The projector's fencing token.
pub const FENCE: &str = "projector:fence";
/// The layout version of the documents under the prefix.
pub const FORMAT: &str = "projector:format";
/// Present while rebuilding.
pub const REBUILDING: &str = "projector:rebuilding";
/// What a generation's prefix starts with, after the control prefix: `gen7:`.
pub const GENERATION_PREFIX: &str = "gen";
/// Under the control prefix: the number of the generation readers read.
pub const CURRENT_GENERATION: &str = "generation";
/// Under the control prefix: the number of the generation being built.
pub const NEXT_GENERATION: &str = "generation:next";
/// Under the control prefix: every generation handed out and not deleted yet.
pub const ALL_GENERATIONS: &str = "generation:all";
/// Under the control prefix: the last generation number handed out.
pub const GENERATION_COUNTER: &str = "generation:counter";
/// Every game's settings.
pub const GAMES: &str = "games";
/// Job update notifications.
pub const JOB_UPDATES: &str = "jobs:updates";

/// The index of a game's kept windows of one period and region.
pub fn board_windows(index: &str) -> String {
    format!("lbwin:{index}")
}

/// The regions that have a board of a game: a set of region names, added to and never trimmed.
pub fn game_regions(game: &str) -> String {
    format!("lbregions:{game}")
}

/// A job's document.
pub fn job(id: &str) -> String {
    format!("job:{id}")
}

/// A job's owner (a user id), kept beside the document that is served as stored.
pub fn job_owner(id: &str) -> String {
    format!("jobowner:{id}")
}

/// A worker job's fields.
pub fn job_fields(id: &str) -> String {
    format!("jobfields:{id}")
}

/// Jobs waiting for their time.
pub const DELAYED: &str = "queue:delayed";
/// New-work announcements.
pub const WORK: &str = "queue:work";
/// The index of every job.
pub const ALL_JOBS: &str = "jobs:all";

/// The index of a user's jobs.
pub fn jobs_of(owner: &str) -> String {
    format!("jobs:of:{owner}")
}

/// A conversion's document.
pub fn conversion(id: &str) -> String {
    format!("conv:{id}")
}

/// A conversion's fields.
pub fn conversion_fields(id: &str) -> String {
    format!("convfields:{id}")
}

/// The index of a user's conversions.
pub fn conversions_of(owner: &str) -> String {
    format!("convs:of:{owner}")
}

/// A session's record.
pub fn session(id: &str) -> String {
    format!("session:{id}")
}

/// A user's document.
pub fn user(id: &str) -> String {
    format!("user:{id}")
}
/// A meetup's document.
pub fn meetup(id: &str) -> String {
    format!("meetup:{id}")
}

/// A meetup's fields, from which its document is rendered.
pub fn meetup_fields(id: &str) -> String {
    format!("meetupfields:{id}")
}

/// Every meetup, by creation time.
pub const ALL_MEETUPS: &str = "meetups:all";

/// The meetups a user joined.
pub fn meetups_of(user: &str) -> String {
    format!("meetups:of:{user}")
}

/// A channel's document.
pub fn channel(id: &str) -> String {
    format!("channel:{id}")
}

/// A channel's document without its members, from which the document is rendered.
pub fn channel_head(id: &str) -> String {
    format!("channelhead:{id}")
}

/// A channel's members.
pub fn channel_members(id: &str) -> String {
    format!("channelmembers:{id}")
}

/// Every channel, by creation time (where a new member's index entry takes its score from).
pub const ALL_CHANNELS: &str = "channels:all";
/// Public channels, by creation time.
pub const PUBLIC_CHANNELS: &str = "channels:public";

/// The channels a user belongs to.
pub fn channels_of(user: &str) -> String {
    format!("channels:of:{user}")
}

/// A channel's messages, by posting time.
pub fn channel_messages(id: &str) -> String {
    format!("channelmsgs:{id}")
}

/// A message's document.
pub fn message(id: &str) -> String {
    format!("message:{id}")
}
