//! Generations a projector finds in Redis: the first one filled and made current, one of another
//! layout replaced without being touched, and one nobody follows any more deleted.

use std::time::Duration;

use fred::prelude::*;
use projector::Projector;
use read_model::Keys;
use testkit::{TestDatabase, wait_until};
use tokio_util::sync::CancellationToken;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_projector_replaces_an_older_layout_beside_it_and_deletes_generations_nobody_follows() {
    let database = TestDatabase::create().await;
    let prefix = testkit::unique_prefix();
    let pool = sqlx::PgPool::connect(&database.url()).await.expect("connect to the test database");
    eventlog::migrate(&pool).await.expect("migrate the test database");
    let redis =
        redis_store::client(&settings::RedisSettings::default(), redis_store::Resend::Allowed).unwrap();
    redis_store::start(&redis);
    redis_store::connected(&redis, Duration::from_secs(10)).await.unwrap();
    let control = Keys::new(prefix.clone());
    // Generation 3 is current, written by an earlier release (layout 1); generation 2 was replaced by a
    // process that died before deleting it.
    let (current, orphan) = (control.generation(3), control.generation(2));
    let _: () = redis.set(control.current_generation(), 3, None, None, false).await.unwrap();
    let _: () = redis.set(control.full("generation:counter"), 3, None, None, false).await.unwrap();
    let _: () = redis.sadd(control.all_generations(), vec![2, 3]).await.unwrap();
    let _: () = redis.set(current.full("projector:format"), "1", None, None, false).await.unwrap();
    let _: () = redis.set(current.job("kept"), "{}", None, None, false).await.unwrap();
    let _: () = redis.set(orphan.job("left"), "{}", None, None, false).await.unwrap();

    let mut settings = testkit::settings_for(&database, &prefix);
    settings.projector.health_addr = "127.0.0.1:0".to_owned();
    let projector = Projector::build(settings, domain::Clock::system()).await.expect("build the projector");
    let shutdown = CancellationToken::new();
    let running = tokio::spawn(projector.run_until_stopped(shutdown.clone()));

    wait_until("a generation of this layout to be made current", Duration::from_secs(30), || async {
        let current: Option<u64> = redis.get(control.current_generation()).await.ok()?;
        (current == Some(4)).then_some(())
    })
    .await;
    let kept: i64 = redis.exists(current.job("kept")).await.unwrap();
    assert_eq!(kept, 1, "the older layout was read until replaced, and cleared by nobody before");
    wait_until("the generations nobody follows to be deleted", Duration::from_secs(30), || async {
        let left: i64 = redis.exists(vec![orphan.job("left"), current.job("kept")]).await.ok()?;
        let listed: Vec<u64> = redis.smembers(control.all_generations()).await.ok()?;
        (left == 0 && listed == [4]).then_some(())
    })
    .await;

    shutdown.cancel();
    running.await.unwrap().unwrap();
    redis_store::generations::delete_everything(&redis, &control).await.unwrap();
}
