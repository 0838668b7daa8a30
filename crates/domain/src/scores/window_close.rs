//! Window closes: which closed windows a game with `onWindowClose` is owed a callback for, the one job
//! id each callback has, and the `webhook` job that posts it.
//!
//! Exactly once comes from the id: a UUIDv5 of the game, period, region and window, so every checker
//! (several workers, a restarted one, a retry) that finds the same close queues the same `Job`
//! aggregate, and the log refuses all but the first. Nothing else remembers what was called back.

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use uuid::Uuid;

use super::window_callback::OnWindowClose;
use super::{GameSettings, KeptWindows, Period, Window};
use crate::jobs::JobSpec;
use crate::names::{GameName, RegionName};

/// The namespace of callback job ids.
const WINDOW_CLOSE_JOBS: Uuid = Uuid::from_u128(0x3b9e_52c1_7d4f_4a86_b1e0_5c27_94d8_e6f3);

/// How many runs a callback gets before it fails for good: more than a queued job's default, since
/// a close happens once and a receiver may be restarting just then.
pub const CALLBACK_ATTEMPTS: u32 = 5;

/// The priority of callback jobs: the default of queued jobs.
const CALLBACK_PRIORITY: u8 = 5;

/// One recorded configuration of a game, as the log holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct Configuration {
    /// The settings from then on.
    pub settings: GameSettings,
    /// The user who configured them, when the log names one.
    pub by: Option<String>,
    /// When the log recorded them.
    pub at: DateTime<Utc>,
}

/// A game's standing request for callbacks, as its latest settings leave it.
#[derive(Debug, Clone, PartialEq)]
pub struct Subscription {
    /// The game.
    pub game: GameName,
    /// Where and how many entries.
    pub callback: OnWindowClose,
    /// The user who set the callback: the callback jobs are theirs.
    pub owner: String,
    /// Since when the callback is set as it is now: only windows closing later are called back.
    pub since: DateTime<Utc>,
    /// The game's periods.
    pub periods: Vec<Period>,
    /// How many closed windows the game keeps: an older window's standings can no longer be read.
    pub keep_windows: KeptWindows,
}

impl Subscription {
    /// The subscription `game`'s configurations (in log order) leave, if its latest settings have an
    /// `onWindowClose`. It dates from the first configuration of the latest run with that same callback
    /// (a new title does not move it, a new URL or top does), and belongs to whoever configured that one.
    pub fn from_history(game: GameName, history: &[Configuration]) -> Option<Self> {
        let latest = history.last()?;
        let callback = latest.settings.on_window_close.clone()?;
        let same_run = history
            .iter()
            .rev()
            .take_while(|configuration| configuration.settings.on_window_close.as_ref() == Some(&callback))
            .last()?;
        Some(Self {
            game,
            callback,
            // A configuration recorded without a user cannot own jobs nobody could see.
            owner: same_run.by.clone()?,
            since: same_run.at,
            periods: latest.settings.periods.clone(),
            keep_windows: latest.settings.keep_windows,
        })
    }

    /// Every window of the game's periods that closed after [`Subscription::since`] and by `now` and is
    /// still kept, oldest first within each period.
    pub fn closed_windows(&self, now: DateTime<Utc>) -> Vec<(Period, Window)> {
        self.periods
            .iter()
            .flat_map(|&period| {
                closed_windows(period, self.since, now, self.keep_windows)
                    .into_iter()
                    .map(move |window| (period, window))
            })
            .collect()
    }
}

/// The windows of `period` that closed after `since` and by `now`, and are still kept at `now` (so
/// their standings can be read), oldest first. None for the all-time period, which never closes.
pub fn closed_windows(
    period: Period,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
    kept: KeptWindows,
) -> Vec<Window> {
    let Some(oldest_kept) = period.oldest_kept_start(now, kept) else { return Vec::new() };
    let mut closed = Vec::new();
    let mut window = period.window_at(now);
    while let Some(start) = window.start {
        window = period.window_at(start - Duration::seconds(1));
        match (window.start, window.end) {
            (Some(start), Some(end)) if end > since && start >= oldest_kept => closed.push(window),
            _ => break,
        }
    }
    closed.reverse();
    closed
}

/// One board of a closed window: the global one (`region: None`) or a region's.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClosedBoard {
    /// The game.
    pub game: GameName,
    /// The window's period.
    pub period: Period,
    /// The closed window.
    pub window: Window,
    /// The region, or `None` for the global board.
    pub region: Option<RegionName>,
}

impl ClosedBoard {
    /// The id of this board's callback job: the same for every checker, at any time.
    pub fn callback_job_id(&self) -> Uuid {
        let region = self.region.as_ref().map_or("~", RegionName::as_str);
        let name = format!("window-close\n{}\n{}\n{}\n{region}", self.game, self.period, self.window.key());
        Uuid::new_v5(&WINDOW_CLOSE_JOBS, name.as_bytes())
    }

    /// The `webhook` job that posts this board's `entries` (its top, as board documents list them) to
    /// `subscription`'s URL: `{ url, game, period, region, window, start, end, entries }`, the URL
    /// included because a webhook posts its payload as it is.
    pub fn callback_job(&self, subscription: &Subscription, entries: serde_json::Value) -> JobSpec {
        let time = |at: Option<DateTime<Utc>>| at.map(|at| at.to_rfc3339_opts(SecondsFormat::Secs, true));
        let region = self.region.as_ref().map(RegionName::as_str);
        let payload = serde_json::json!({
            "url": subscription.callback.url.as_str(),
            "game": self.game.as_str(),
            "period": self.period.as_str(),
            "region": region,
            "window": self.window.key(),
            "start": time(self.window.start),
            "end": time(self.window.end),
            "entries": entries,
        });
        let board = region.map_or_else(|| "the global board".to_owned(), |region| format!("region {region}"));
        JobSpec {
            kind: "webhook".to_owned(),
            message: format!(
                "{} window {} of {} closed ({board})",
                self.period,
                self.window.key(),
                self.game
            ),
            priority: CALLBACK_PRIORITY,
            run_at: None,
            max_attempts: CALLBACK_ATTEMPTS,
            payload: Some(payload),
            owner: subscription.owner.clone(),
            request_hash: format!("window-close {}", self.callback_job_id()),
            unique: None,
            depends_on: vec![],
        }
    }
}

#[cfg(test)]
mod tests;
