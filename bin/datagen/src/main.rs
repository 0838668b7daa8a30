//! `datagen`: drives the stack like real clients and reports honest latencies (see `--help`).

mod args;
mod client;
mod drive;
mod jobs;
mod plan;
mod progress;
mod report;
mod stats;

use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Parser;

use crate::args::Args;
use crate::client::{Api, Credentials};
use crate::report::{RunFacts, Summary};

#[tokio::main]
async fn main() -> ExitCode {
    match run(Args::parse()).await {
        Ok(code) => code,
        Err(error) => {
            eprintln!("datagen: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let seed = args.seed.unwrap_or_else(rand::random);
    let plan = plan::Plan::new(&args.plan_config(), seed)?;
    let base = reqwest::Url::parse(&args.url).with_context(|| format!("--url {} is not a URL", args.url))?;
    let base = base.as_str().trim_end_matches('/').to_owned();
    let http = client::http_client(args.timeout, args.max_in_flight as usize)?;
    client::check_ready(&http, &base).await?;
    let token =
        client::sign_in(&http, &base, &Credentials::for_run(args.email.clone(), args.password.clone()))
            .await?;

    let limits = drive::Limits {
        max_in_flight: args.max_in_flight,
        job_watchers: args.job_watchers,
        timeout: args.timeout,
    };
    let stats = stats::SharedStats::new();
    let api = Api::new(http, base.clone(), token);
    let finished = drive::run(api, plan, args.duration, &limits, stats.clone()).await;

    let facts = RunFacts {
        url: base.clone(),
        seed,
        rate: args.rate,
        duration: args.duration,
        sending: finished.sending,
        interrupted: finished.interrupted,
    };
    let summary = Summary::new(facts, &stats.lock());
    report::write(&summary, args.json.as_deref())?;
    if summary.sent() > 0 && summary.answered() == 0 {
        bail!("none of the {} requests got an answer from {base}: is the stack still up?", summary.sent());
    }
    Ok(if finished.interrupted { ExitCode::from(130) } else { ExitCode::SUCCESS })
}
