//! `/readyz` bounded by time: a projector is unready while the oldest event it has not projected is
//! older than `projector.ready_max_lag_ms`, and ready again once it has caught up.

use std::time::Duration;

use domain::scores::{Game, GameCommand, GameSettings};
use eventlog::{EventStore, Metadata};
use projector::Projector;
use read_model::Keys;
use secrecy::SecretString;
use testkit::{TcpProxy, TestDatabase, wait_until};
use tokio_util::sync::CancellationToken;

/// `GET {path}` on the projector's health port: the status code and body.
async fn get(health: std::net::SocketAddr, path: &str) -> (u16, String) {
    let response = reqwest::get(format!("http://{health}{path}")).await.expect("GET the health port");
    (response.status().as_u16(), response.text().await.unwrap())
}

/// Removes what the projector wrote under `prefix`.
async fn remove_keys(prefix: &str) {
    let redis = redis_store::client(&settings::RedisSettings::default(), redis_store::Resend::Allowed)
        .expect("a Redis client");
    redis_store::start(&redis);
    redis_store::connected(&redis, Duration::from_secs(10)).await.expect("connect to Redis");
    let control = Keys::new(prefix.to_owned());
    redis_store::generations::delete_everything(&redis, &control).await.expect("clear the test's keys");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_projector_is_unready_while_an_unprojected_event_is_older_than_the_bound_and_ready_once_caught_up()
{
    let database = TestDatabase::create().await;
    let prefix = testkit::unique_prefix();
    let pool = sqlx::PgPool::connect(&database.url()).await.expect("connect to the test database");
    eventlog::migrate(&pool).await.expect("migrate the test database");
    let proxy = TcpProxy::start("127.0.0.1:6379").await;
    let mut settings = testkit::settings_for(&database, &prefix);
    settings.redis.url = SecretString::from(format!("redis://{}", proxy.address()));
    settings.redis.command_timeout_ms = 500;
    settings.projector.health_addr = "127.0.0.1:0".to_owned();
    settings.projector.poll_interval_ms = 200;
    settings.projector.ready_max_lag_ms = 1_000;
    telemetry::init_logs("projector"); // Shown when the test fails.
    let projector = Projector::build(settings, domain::Clock::system()).await.expect("build the projector");
    let (status, health) = (projector.status(), projector.health_address());
    let shutdown = CancellationToken::new();
    let running = tokio::spawn(projector.run_until_stopped(shutdown.clone()));
    wait_until("the projector to lead, caught up", Duration::from_secs(30), || async {
        (status.leading() && get(health, "/readyz").await.0 == 200).then_some(())
    })
    .await;

    // Redis out of reach: the projector cannot apply what is appended, and its backlog ages.
    proxy.cut();
    let store = EventStore::<Game>::new(pool.clone());
    let settings = GameSettings { title: Some("Tetris".to_owned()), ..GameSettings::default() };
    store.execute("tetris", GameCommand::Configure(settings), &Metadata::new()).await.unwrap();
    let body = wait_until("/readyz to answer 503", Duration::from_secs(30), || async {
        let (code, body) = get(health, "/readyz").await;
        (code == 503).then_some(body)
    })
    .await;
    assert!(body.contains("behind the log"), "{body}");
    assert!(status.lag_seconds() > 1.0, "{}", status.lag_seconds());
    let (_, metrics) = get(health, "/metrics").await;
    let seconds = metrics
        .lines()
        .find_map(|line| line.strip_prefix("projector_lag_seconds "))
        .and_then(|value| value.parse::<f64>().ok());
    assert!(seconds.is_some_and(|seconds| seconds > 1.0), "{metrics}");

    proxy.restore();
    wait_until("/readyz to answer 200 again", Duration::from_secs(30), || async {
        (get(health, "/readyz").await.0 == 200).then_some(())
    })
    .await;
    assert!(status.leading());
    assert_eq!(status.lag_seconds(), 0.0);
    assert_eq!(status.lag(), 0);

    shutdown.cancel();
    let stopped = tokio::time::timeout(Duration::from_secs(15), running).await;
    stopped.expect("the projector stops in time").expect("no panic").expect("stopped cleanly");
    remove_keys(&prefix).await;
}
