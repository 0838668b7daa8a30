//! Chaos under load: a two-copy fleet under traffic of every kind of write, each Reprise process
//! SIGKILLed in turn (the active projector and relay included) and Postgres, Redis, RabbitMQ and the
//! mail server cut through proxies of the fleet's own; afterwards every accepted write is reflected
//! exactly once and the read model equals a clean rebuild of the log. `make chaos` runs the same
//! with longer outages (`CHAOS_OUTAGE_SECONDS`) and prints the table.

use std::time::{Duration, Instant};

use e2e::documents::documents;
use e2e::traffic::{Traffic, table};
use e2e::{Fleet, FleetOptions};
use eventlog::{Checkpoint, EventLogReader};
use fred::prelude::*;
use serde_json::json;

/// How long the projector or relay may go without a leader once the active one is killed: the advisory
/// lock goes with the dead process's connection, and a standby asks for it every 0.5 s.
const TAKEOVER_BOUND: Duration = Duration::from_secs(5);

/// How long the fleet may take to be whole again after a fault: every copy ready, a job run end to end.
const RECOVERY_BOUND: Duration = Duration::from_secs(60);

/// Whether `program`'s metrics say it leads (`{service}_leading 1`).
async fn leads(fleet: &Fleet, program: &str, service: &str) -> bool {
    let url = format!("{}/metrics", fleet.address_of(program));
    let Ok(response) = fleet.http().get(url).send().await else { return false };
    let page = response.text().await.unwrap_or_default();
    page.lines().any(|line| line == format!("{service}_leading 1"))
}

/// The copy of `service` (projector or relay) that leads now, other than `not`.
async fn leader(fleet: &Fleet, service: &str, not: &str, deadline: Duration) -> String {
    testkit::wait_until(&format!("a {service} to lead"), deadline, || async {
        for copy in 1..=fleet.replicas {
            let program = format!("{service}-{copy}");
            if program != not && leads(fleet, &program, service).await {
                return Some(program);
            }
        }
        None
    })
    .await
}

/// Waits until every copy is ready and a job runs end to end; returns how long that took.
async fn recovered(fleet: &Fleet, token: &str, since: Instant) -> Duration {
    fleet.wait_all_ready(RECOVERY_BOUND).await;
    let http = fleet.http();
    testkit::wait_until("a job to run end to end", RECOVERY_BOUND, || async {
        let request = http.post(format!("{}/v1/jobs", fleet.url)).bearer_auth(token);
        let response = request.json(&json!({ "message": "probe" })).send().await.ok()?;
        let job: serde_json::Value = response.json().await.ok()?;
        let url = format!("{}/v1/jobs/{}", fleet.url, job["jobId"].as_str()?);
        let request = http.get(url).bearer_auth(token).header("Prefer", "wait=10");
        let job: serde_json::Value = request.send().await.ok()?.json().await.ok()?;
        (job["status"] == "succeeded").then_some(())
    })
    .await;
    since.elapsed()
}

/// Every fault in turn; one line per fault with the time to recover.
async fn faults(fleet: &Fleet, token: &str, outage: Duration) -> Vec<String> {
    let mut report = vec![];
    for (copy, service) in (1..).zip(e2e::SERVICES) {
        let program = match service {
            "projector" | "relay" => leader(fleet, service, "", TAKEOVER_BOUND).await,
            _ => format!("{service}-{}", 1 + copy % 2),
        };
        let killed = fleet.kill(&program);
        let killed_at = Instant::now();
        if matches!(service, "projector" | "relay") {
            // Whoever asks for the lock first leads: the standby, or the killed copy started again.
            let next = testkit::wait_until("another process to lead", TAKEOVER_BOUND, || async {
                let next = leader(fleet, service, "", TAKEOVER_BOUND).await;
                (fleet.pid(&next) != Some(killed)).then_some(next)
            })
            .await;
            let took = killed_at.elapsed();
            report.push(format!("| SIGKILL {program} (active) | {next} led after {took:.1?} |"));
            // And the standby alone: the killed copy held down, whoever leads now stepping aside.
            let leading = leader(fleet, service, "", TAKEOVER_BOUND).await;
            fleet.supervisorctl(&["stop", &program]);
            let held_down = Instant::now();
            let standby = leader(fleet, service, &program, TAKEOVER_BOUND).await;
            let took = held_down.elapsed();
            report.push(format!(
                "| {program} held down (leader was {leading}) | the standby {standby} led after {took:.1?} |"
            ));
            fleet.supervisorctl(&["start", &program]);
        }
        let took = recovered(fleet, token, killed_at).await;
        report.push(format!("| SIGKILL {program} | whole again after {took:.1?} |"));
    }
    let proxies = fleet.proxies.as_ref().expect("a fleet behind proxies");
    for (name, proxy) in [
        ("Postgres", &proxies.postgres),
        ("Redis", &proxies.redis),
        ("RabbitMQ", &proxies.rabbitmq),
        ("SMTP", &proxies.smtp),
    ] {
        proxy.cut();
        tokio::time::sleep(outage).await;
        proxy.restore();
        let took = recovered(fleet, token, Instant::now()).await;
        report
            .push(format!("| {name} cut for {outage:?} | whole again {took:.1?} after the link came back |"));
    }
    report
}

/// The projection's checkpoint under `prefix`.
/// The checkpoint of the current generation of the documents under `prefix`.
async fn checkpoint(redis: &Client, prefix: &str) -> Option<Checkpoint> {
    let generation = e2e::documents::generation_prefix(redis, prefix).await?;
    let stored: Option<String> = redis.get(format!("{generation}projector:checkpoint")).await.ok()?;
    stored?.parse().ok()
}

/// Keys that are not read models: the workers' and the queue's working state (`workers`,
/// `worker:…`, `queue:…`), and what only the command side keeps (sign-in counters).
fn is_document(key: &str) -> bool {
    !["worker", "queue:", "ratelimit:"].iter().any(|prefix| key.starts_with(prefix))
}

/// A child process killed when this is dropped, also when a test panics.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Compares the fleet's read model with a clean rebuild of the same log into a new prefix.
async fn differences_from_a_clean_rebuild(fleet: &Fleet) -> Vec<String> {
    let pool = sqlx::PgPool::connect(&fleet.database.url()).await.unwrap();
    let head = EventLogReader::new(pool).head().await.unwrap();
    let redis = redis_store::client(&Default::default(), redis_store::Resend::Allowed).unwrap();
    redis_store::start(&redis);
    redis_store::connected(&redis, std::time::Duration::from_secs(10)).await.unwrap();
    let live = fleet.settings.redis.key_prefix.clone();
    let clean = testkit::unique_prefix();
    let at_head = |prefix: String| {
        let redis = redis.clone();
        async move {
            testkit::wait_until(
                "the projection to reach the head of the log",
                Duration::from_secs(120),
                || async { (checkpoint(&redis, &prefix).await? == head).then_some(()) },
            )
            .await
        }
    };
    at_head(live.clone()).await;
    // One projector leads per log (the advisory lock): the fleet's stand aside for the rebuild.
    fleet.supervisorctl(&["stop", "projector-1", "projector-2"]);
    let rebuild = std::process::Command::new(fleet.binary("projector"))
        .env("REPRISE_DATABASE__URL", fleet.database.url())
        .env("REPRISE_REDIS__KEY_PREFIX", &clean)
        .env("REPRISE_PROJECTOR__HEALTH_ADDR", "127.0.0.1:0")
        .env("APP_CONFIG_PATH", "/nonexistent")
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("start a projector of the clean rebuild");
    let _stopped_however_this_ends = KillOnDrop(rebuild);
    at_head(clean.clone()).await;
    drop(_stopped_however_this_ends);
    let (after, rebuilt) = (documents(&redis, &live).await, documents(&redis, &clean).await);
    redis_store::generations::delete_everything(&redis, &read_model::Keys::new(clean.clone())).await.unwrap();
    let mut differences = vec![];
    for key in after.keys().chain(rebuilt.keys()).filter(|key| is_document(key)) {
        if after.get(key) != rebuilt.get(key) && !differences.contains(key) {
            differences.push(key.clone());
        }
    }
    assert!(rebuilt.len() > 100, "the rebuild holds the traffic's documents");
    differences
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn under_traffic_kills_and_outages_lose_no_accepted_write_duplicate_no_effect_and_match_a_rebuild() {
    #[allow(clippy::disallowed_methods)] // a test harness knob: `make chaos` lengthens the outages
    let outage = std::env::var("CHAOS_OUTAGE_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(2);
    let env = vec![("REPRISE_MEETUPS__MESSAGES_PER_MINUTE".to_owned(), "100000".to_owned())];
    let fleet = Fleet::start(FleetOptions { replicas: 2, env, through_proxies: true }).await;
    let traffic = Traffic::new(&fleet).await;
    let token = traffic.token().to_owned();

    let stop = tokio_util::sync::CancellationToken::new();
    let run_faults = async {
        tokio::time::sleep(Duration::from_secs(2)).await;
        let report = faults(&fleet, &token, Duration::from_secs(outage)).await;
        tokio::time::sleep(Duration::from_secs(2)).await;
        stop.cancel();
        report
    };
    let (report, (traffic, accepted)) = tokio::join!(run_faults, traffic.drive(&stop));
    let rows = e2e::traffic::check(&traffic, &accepted).await;
    let differences = differences_from_a_clean_rebuild(&fleet).await;

    println!("| fault | recovery |\n|---|---|\n{}", report.join("\n"));
    println!("\n{}", table(&rows));
    println!("answers other than success: {:?}", accepted.refused);
    println!("read model keys differing from a clean rebuild: {}", differences.len());
    assert!(accepted.total() > 500, "the traffic got through: {accepted:?}");
    for row in &rows {
        assert!(row.accepted > 0, "some writes of each kind were accepted: {rows:?}");
        assert_eq!((row.lost, row.duplicated), (0, 0), "{}: nothing lost, nothing twice", row.kind);
    }
    assert!(differences.is_empty(), "the read model equals a clean rebuild; differing: {differences:?}");
}
