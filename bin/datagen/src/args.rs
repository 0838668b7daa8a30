//! The command line.

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;

use crate::plan::{Mix, PlanConfig};

/// Drives Reprise through nginx like real clients: random (Poisson) arrivals at a fixed rate, open
/// loop, a mix of leaderboard reads, score submissions and job polls, then a latency summary.
#[derive(Debug, Parser)]
#[command(version, about)]
pub struct Args {
    /// Base URL of the stack (its nginx front door).
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// How long to send requests, e.g. `30s`, `2m`.
    #[arg(long, default_value = "10s", value_parser = humantime::parse_duration)]
    pub duration: Duration,
    /// Mean requests per second (arrivals are random, exponentially spaced).
    #[arg(long, default_value_t = 200.0)]
    pub rate: f64,
    /// Weight of leaderboard reads in the mix.
    #[arg(long, default_value_t = 70.0)]
    pub reads: f64,
    /// Weight of score submissions in the mix.
    #[arg(long, default_value_t = 25.0)]
    pub scores: f64,
    /// Weight of polls of previously submitted jobs in the mix.
    #[arg(long, default_value_t = 5.0)]
    pub polls: f64,
    /// Number of distinct players (drawn from a Zipf law: `p1` is the most active).
    #[arg(long, default_value_t = 10_000)]
    pub players: u64,
    /// Number of games (`g0`, `g1`, …).
    #[arg(long, default_value_t = 5)]
    pub games: u32,
    /// Skew of the Zipf law over players.
    #[arg(long, default_value_t = 1.1)]
    pub zipf_exponent: f64,
    /// Seed of the plan: the same seed and flags send the same requests at the same times.
    /// Without it, a random seed is drawn and printed in the summary.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Most requests in flight at once; a request due while the cap is reached is dropped (and counted).
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_in_flight: u32,
    /// Most submitted jobs followed at once until they succeed (0: do not follow jobs).
    #[arg(long, default_value_t = 64)]
    pub job_watchers: usize,
    /// Time limit of one request.
    #[arg(long, default_value = "10s", value_parser = humantime::parse_duration)]
    pub timeout: Duration,
    /// E-mail of the account to sign in with (created if missing); default: a new one per run.
    #[arg(long)]
    pub email: Option<String>,
    /// Password of that account.
    #[arg(long, default_value = "datagen-password")]
    pub password: String,
    /// Also write the summary as JSON to this file (`-`: standard output, the table then goes to
    /// standard error).
    #[arg(long)]
    pub json: Option<PathBuf>,
}

impl Args {
    /// The part of the flags that decides the plan.
    pub fn plan_config(&self) -> PlanConfig {
        PlanConfig {
            rate: self.rate,
            duration: self.duration,
            mix: Mix { reads: self.reads, scores: self.scores, polls: self.polls },
            players: self.players,
            games: self.games,
            zipf_exponent: self.zipf_exponent,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_the_issue_s_mix_against_the_local_nginx() {
        let args = Args::parse_from(["datagen"]);
        assert_eq!(args.url, "http://127.0.0.1:8080");
        assert_eq!(args.duration, Duration::from_secs(10));
        assert_eq!(args.plan_config().mix, Mix { reads: 70.0, scores: 25.0, polls: 5.0 });
        assert_eq!((args.players, args.games, args.max_in_flight), (10_000, 5, 1000));
    }

    #[test]
    fn durations_are_human_readable() {
        let args = Args::parse_from(["datagen", "--duration", "1m30s", "--rate", "50"]);
        assert_eq!(args.duration, Duration::from_secs(90));
        assert_eq!(args.rate, 50.0);
    }

    #[test]
    fn no_requests_in_flight_is_refused() {
        assert!(Args::try_parse_from(["datagen", "--max-in-flight", "0"]).is_err());
    }
}
