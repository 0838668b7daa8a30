//! The JSON documents the query side serves, as the projector writes them.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

mod jobs;

pub use jobs::{JOB_FIELDS, JobDocument, JobFailure, JobHistoryEntry, JobLinks};

/// A conversion, as `GET /v1/conversions/{id}` answers it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConversionDocument {
    /// The conversion's id, which is also its job's.
    pub id: String,
    /// `queued`, `running`, `succeeded` or `failed`.
    pub status: String,
    /// The uploaded file's name.
    pub filename: String,
    /// The video's size.
    pub video_bytes: u64,
    /// The MP3's size, once made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mp3_bytes: Option<u64>,
    /// The audio's duration, once known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_seconds: Option<f64>,
    /// 0–100 while running.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub progress: Option<u8>,
    /// When the video was accepted.
    pub created_at: String,
    /// When it succeeded or failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
    /// Why it failed, for a person.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The MP3's download, once made.
    pub links: ConversionLinks,
}

/// Links from a conversion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ConversionLinks {
    /// `GET` it with the token to download the MP3.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mp3: Option<String>,
}

/// The fields of a conversion document in the order they are served.
pub const CONVERSION_FIELDS: [&str; 11] = [
    "id",
    "status",
    "filename",
    "videoBytes",
    "mp3Bytes",
    "durationSeconds",
    "progress",
    "createdAt",
    "finishedAt",
    "error",
    "links",
];

// The document's schema, and what tests read it into: `projection.lua` renders every board page, the
// stored top-100 and any other, with one piece of code (`board_document`); nothing in Rust renders one.
/// A leaderboard page, as `GET /v1/leaderboards/{game}` answers it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LeaderboardDocument {
    /// The game.
    pub game: String,
    /// `all`, `day`, `week` or `month`.
    pub period: String,
    /// The period's window the board covers; both bounds are null for `all`.
    pub window: WindowDocument,
    /// The region, or null for the global board.
    pub region: Option<String>,
    /// The entries of this page, in rank order.
    pub entries: Vec<LeaderboardEntry>,
    /// How many players the board holds.
    pub total: u64,
    /// When the board was last rendered.
    pub generated_at: String,
    /// The cursor of the next page, or null on the last one.
    pub next_cursor: Option<String>,
}

/// A board's window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct WindowDocument {
    /// The first instant inside the window.
    pub start: Option<String>,
    /// The first instant after it.
    pub end: Option<String>,
}

/// One player on a board.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LeaderboardEntry {
    /// 1 for the top.
    pub rank: u64,
    /// The player.
    pub player: String,
    /// Their score under the game's operator.
    pub score: i64,
    /// When that score was achieved.
    pub achieved_at: String,
}

/// One player's standing, as `GET /v1/leaderboards/{game}/players/{player}` answers it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PlayerStanding {
    /// 1 for the top.
    pub rank: u64,
    /// Their score under the game's operator.
    pub score: i64,
    /// When that score was achieved.
    pub achieved_at: String,
    /// The share of the board's players ranked below this one, in percent from 0 to 100, rounded
    /// down to one decimal (never up, so it never overstates: rank 1 of 4 is 75.0, rank 1 of 3 is
    /// 66.6, rank 1 of 2,000 is 99.9, and a player alone on a board, or last on it, is 0.0).
    #[schema(minimum = 0, maximum = 100, example = 75.0)]
    pub percentile: f64,
}
