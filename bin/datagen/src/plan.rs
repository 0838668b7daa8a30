//! What to send and when: a pure function of the seed and the flags, so a run can be repeated.
//!
//! Arrivals are a Poisson process (exponential gaps at the target rate); players follow a Zipf law
//! (a few play, and are looked up, far more than the rest); scores are log-normal integers.

use std::time::Duration;

use anyhow::{Context, ensure};
use rand::distr::weighted::WeightedIndex;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Exp, LogNormal, Zipf};
use serde::Serialize;

/// The regions a score or a leaderboard read may name.
pub const REGIONS: [&str; 3] = ["eu", "us", "asia"];
/// Leaderboard periods with how often readers ask for each.
const PERIODS: [(&str, f64); 4] = [("all", 40.0), ("day", 20.0), ("week", 25.0), ("month", 15.0)];
/// The page sizes readers ask for when they give a `limit`.
const LIMITS: [u32; 4] = [10, 20, 50, 100];
/// Chances that a read names a region, a limit, or asks for the players around one.
const READ_REGION: f64 = 0.3;
const READ_LIMIT: f64 = 0.4;
const READ_AROUND: f64 = 0.15;
/// Chance that a submitted score names a region.
const SCORE_REGION: f64 = 0.7;
/// Scores are log-normal around a median of 1000 points.
const SCORE_MEDIAN: f64 = 1000.0;
const SCORE_SIGMA: f64 = 1.2;

/// The kinds of request datagen sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Kind {
    /// `GET /v1/leaderboards/{game}` with filters.
    LeaderboardRead,
    /// `POST /v1/scores`.
    ScoreSubmission,
    /// `GET /v1/jobs/{id}` of a job submitted earlier.
    JobPoll,
}

impl Kind {
    /// Every kind, in the order of the summary.
    pub const ALL: [Kind; 3] = [Kind::LeaderboardRead, Kind::ScoreSubmission, Kind::JobPoll];

    /// A short human label.
    pub fn label(self) -> &'static str {
        match self {
            Kind::LeaderboardRead => "leaderboard read",
            Kind::ScoreSubmission => "score submission",
            Kind::JobPoll => "job poll",
        }
    }
}

/// Relative weights of the request kinds (they need not add up to 100).
#[derive(Debug, Clone, PartialEq)]
pub struct Mix {
    /// Weight of leaderboard reads.
    pub reads: f64,
    /// Weight of score submissions.
    pub scores: f64,
    /// Weight of job polls.
    pub polls: f64,
}

/// Everything the plan depends on besides the seed.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanConfig {
    /// Mean arrivals per second.
    pub rate: f64,
    /// How long arrivals keep coming.
    pub duration: Duration,
    /// Proportions of the request kinds.
    pub mix: Mix,
    /// Number of distinct players (`p1` … `pN`, `p1` the most active).
    pub players: u64,
    /// Number of games (`g0` … `g{N-1}`).
    pub games: u32,
    /// Exponent of the Zipf law over players (larger is more skewed).
    pub zipf_exponent: f64,
}

/// One request at its scheduled time.
#[derive(Debug, Clone, PartialEq)]
pub struct Planned {
    /// When to send it, from the start of the run.
    pub at: Duration,
    /// What to send.
    pub request: Request,
}

/// A request, without anything only known at run time (tokens, job ids).
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    /// Read a leaderboard.
    Leaderboard(LeaderboardRead),
    /// Submit a score.
    Score(ScoreSubmission),
    /// Poll one of the jobs submitted so far: the one at `pick` modulo how many there are.
    JobPoll {
        /// Which known job to poll.
        pick: u64,
    },
}

impl Request {
    /// The kind of this request.
    pub fn kind(&self) -> Kind {
        match self {
            Request::Leaderboard(_) => Kind::LeaderboardRead,
            Request::Score(_) => Kind::ScoreSubmission,
            Request::JobPoll { .. } => Kind::JobPoll,
        }
    }
}

/// A leaderboard read with the filters a real reader would use.
#[derive(Debug, Clone, PartialEq)]
pub struct LeaderboardRead {
    /// The game.
    pub game: String,
    /// `all`, `day`, `week` or `month`.
    pub period: &'static str,
    /// A regional board, or the global one.
    pub region: Option<&'static str>,
    /// A page size, or the default.
    pub limit: Option<u32>,
    /// The players around this one.
    pub around: Option<String>,
}

impl LeaderboardRead {
    /// The path and query string, e.g. `/v1/leaderboards/g0?period=week&region=eu`.
    pub fn path(&self) -> String {
        // Names are drawn from `[A-Za-z0-9]`, so nothing needs escaping.
        let mut path = format!("/v1/leaderboards/{}?period={}", self.game, self.period);
        if let Some(region) = self.region {
            path.push_str(&format!("&region={region}"));
        }
        if let Some(limit) = self.limit {
            path.push_str(&format!("&limit={limit}"));
        }
        if let Some(around) = &self.around {
            path.push_str(&format!("&around={around}"));
        }
        path
    }
}

/// The body of `POST /v1/scores`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScoreSubmission {
    /// The game.
    pub game: String,
    /// The player.
    pub player: String,
    /// The score, a positive integer.
    pub score: i64,
    /// The region, if the game server knows it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<&'static str>,
}

/// The schedule of a run: an iterator of requests in time order, ending at the configured duration.
#[derive(Debug, Clone)]
pub struct Plan {
    config: PlanConfig,
    // ChaCha8 rather than `StdRng`, whose algorithm may change between rand releases: a seed keeps
    // meaning the same plan.
    rng: ChaCha8Rng,
    now: Duration,
    gaps: Exp<f64>,
    kinds: WeightedIndex<f64>,
    periods: WeightedIndex<f64>,
    players: Zipf<f64>,
    scores: LogNormal<f64>,
}

impl Plan {
    /// The plan for these flags and this seed; fails on flags that make no sense.
    pub fn new(config: &PlanConfig, seed: u64) -> anyhow::Result<Self> {
        ensure!(config.rate.is_finite() && config.rate > 0.0, "--rate must be a positive number");
        ensure!(!config.duration.is_zero(), "--duration must be longer than zero");
        ensure!(config.players >= 1, "--players must be at least 1");
        ensure!(config.games >= 1, "--games must be at least 1");
        let mix = [config.mix.reads, config.mix.scores, config.mix.polls];
        ensure!(
            mix.iter().all(|weight| weight.is_finite() && *weight >= 0.0) && mix.iter().sum::<f64>() > 0.0,
            "--reads, --scores and --polls are weights: none negative, and not all zero"
        );
        Ok(Plan {
            config: config.clone(),
            rng: ChaCha8Rng::seed_from_u64(seed),
            now: Duration::ZERO,
            gaps: Exp::new(config.rate).context("--rate")?,
            kinds: WeightedIndex::new(mix).context("the request mix")?,
            periods: WeightedIndex::new(PERIODS.map(|(_, weight)| weight)).context("periods")?,
            players: Zipf::new(config.players as f64, config.zipf_exponent)
                .context("--zipf-exponent must be a positive number")?,
            scores: LogNormal::new(SCORE_MEDIAN.ln(), SCORE_SIGMA).context("scores")?,
        })
    }

    fn request(&mut self) -> Request {
        match Kind::ALL[self.kinds.sample(&mut self.rng)] {
            Kind::LeaderboardRead => Request::Leaderboard(self.leaderboard_read()),
            Kind::ScoreSubmission => Request::Score(self.score_submission()),
            Kind::JobPoll => Request::JobPoll { pick: self.rng.random() },
        }
    }

    fn leaderboard_read(&mut self) -> LeaderboardRead {
        LeaderboardRead {
            game: self.game(),
            period: PERIODS[self.periods.sample(&mut self.rng)].0,
            region: self.rng.random_bool(READ_REGION).then(|| self.region()),
            limit: self.rng.random_bool(READ_LIMIT).then(|| LIMITS[self.rng.random_range(0..LIMITS.len())]),
            around: self.rng.random_bool(READ_AROUND).then(|| self.player()),
        }
    }

    fn score_submission(&mut self) -> ScoreSubmission {
        ScoreSubmission {
            game: self.game(),
            player: self.player(),
            score: (self.scores.sample(&mut self.rng).round() as i64).max(1),
            region: self.rng.random_bool(SCORE_REGION).then(|| self.region()),
        }
    }

    fn game(&mut self) -> String {
        format!("g{}", self.rng.random_range(0..self.config.games))
    }

    fn player(&mut self) -> String {
        format!("p{}", self.players.sample(&mut self.rng) as u64)
    }

    fn region(&mut self) -> &'static str {
        REGIONS[self.rng.random_range(0..REGIONS.len())]
    }
}

impl Iterator for Plan {
    type Item = Planned;

    fn next(&mut self) -> Option<Planned> {
        let gap = Duration::try_from_secs_f64(self.gaps.sample(&mut self.rng)).unwrap_or(Duration::MAX);
        self.now = self.now.saturating_add(gap);
        if self.now >= self.config.duration {
            // `now` never decreases, so the plan stays finished.
            return None;
        }
        Some(Planned { at: self.now, request: self.request() })
    }
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
