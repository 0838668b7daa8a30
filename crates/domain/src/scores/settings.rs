//! A game's leaderboard settings: which end of the board is the top, how a player's scores combine,
//! which periods have boards, how many closed windows of each are kept, and who is told when one
//! closes.

use serde::{Deserialize, Serialize};

use super::Period;
use super::window_callback::OnWindowClose;

/// Which end of the board is the top.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SortOrder {
    /// Higher scores rank first.
    Desc,
    /// Lower scores rank first (times, strokes).
    Asc,
}

/// How a player's scores combine into their one entry on a board.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Operator {
    /// The player's best score (ties keep the earlier one).
    Best,
    /// The score with the latest `achievedAt`.
    Latest,
    /// All the player's scores added up.
    Sum,
}

/// A game's leaderboard settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GameSettings {
    /// A human title, if the game has one.
    pub title: Option<String>,
    /// Which end of the board is the top.
    pub sort_order: SortOrder,
    /// How a player's scores combine.
    pub operator: Operator,
    /// The periods whose boards are kept, without repeats, in canonical order.
    pub periods: Vec<Period>,
    /// How many closed windows of each period stay readable. Settings recorded before there was a
    /// choice read as the default.
    #[serde(default)]
    pub keep_windows: KeptWindows,
    /// Where each closed day, week or month window's top entries are posted, if anywhere. Left out of
    /// the record when unset, so the settings of games without it are recorded as they always were.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_window_close: Option<OnWindowClose>,
}

/// How many closed day, week or month windows a game keeps readable after the current one: 0–366.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "u16", into = "u16")]
pub struct KeptWindows(u16);

impl KeptWindows {
    /// The most windows a game may keep: a year of days.
    pub const MAX: u16 = 366;

    /// `count` windows, or why that is not a number of windows to keep.
    pub fn new(count: i64) -> Result<Self, String> {
        u16::try_from(count)
            .ok()
            .filter(|&count| count <= Self::MAX)
            .map(Self)
            .ok_or_else(|| format!("must be a whole number from 0 to {}", Self::MAX))
    }

    /// The number of windows.
    pub fn get(self) -> u16 {
        self.0
    }
}

impl Default for KeptWindows {
    /// A year of months, a quarter of weeks, twelve days.
    fn default() -> Self {
        Self(12)
    }
}

impl TryFrom<u16> for KeptWindows {
    type Error = String;
    fn try_from(count: u16) -> Result<Self, String> {
        Self::new(i64::from(count))
    }
}

impl From<KeptWindows> for u16 {
    fn from(kept: KeptWindows) -> u16 {
        kept.0
    }
}

impl Default for GameSettings {
    /// The settings of a game created by its first score: highest first, best score, every period.
    fn default() -> Self {
        Self {
            title: None,
            sort_order: SortOrder::Desc,
            operator: Operator::Best,
            periods: Period::EVERY.to_vec(),
            keep_windows: KeptWindows::default(),
            on_window_close: None,
        }
    }
}

/// The longest title accepted, in characters.
pub const MAX_TITLE_CHARS: usize = 200;
