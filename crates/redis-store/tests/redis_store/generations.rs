//! Generations of the documents: a rebuild fills a new one beside the current one, and one fenced step
//! makes it current; readers follow the pointer.

use std::time::Duration;

use fred::prelude::*;
use read_model::Keys;
use redis_store::generations::{being_built, current, request};
use redis_store::{ApplyError, CurrentGeneration, ProjectionStore, Resend, client, start};

async fn redis() -> (Client, Keys) {
    let redis = client(&settings::RedisSettings::default(), Resend::Never).unwrap();
    start(&redis);
    redis_store::connected(&redis, Duration::from_secs(10)).await.unwrap();
    let control = Keys::new(testkit::unique_prefix());
    ProjectionStore::new(redis.clone(), control.clone(), 0).load_library().await.unwrap();
    (redis, control)
}

#[tokio::test]
async fn a_rebuild_fills_one_new_generation_until_a_newer_one_is_asked_for() {
    let (redis, control) = redis().await;
    assert_eq!(request(&redis, &control, false).await.unwrap(), 1);
    assert_eq!(request(&redis, &control, false).await.unwrap(), 1, "the one being built already");
    assert_eq!(request(&redis, &control, true).await.unwrap(), 2, "replaced by a newer one");
    assert_eq!(being_built(&redis, &control).await.unwrap(), Some(2));
    assert_eq!(current(&redis, &control).await.unwrap(), None);
}

#[tokio::test]
async fn only_the_leader_of_the_generation_being_built_makes_it_current() {
    let (redis, control) = redis().await;
    let abandoned =
        ProjectionStore::new(redis.clone(), control.clone(), request(&redis, &control, false).await.unwrap());
    let building =
        ProjectionStore::new(redis.clone(), control.clone(), request(&redis, &control, true).await.unwrap());
    assert!(abandoned.claim_fence(1).await.unwrap());
    assert!(building.claim_fence(7).await.unwrap());

    assert!(matches!(building.switch_to(6).await, Err(ApplyError::Fenced)), "a deposed leader");
    assert!(matches!(abandoned.switch_to(1).await, Err(ApplyError::CheckpointMoved)), "no longer asked for");
    assert_eq!(building.switch_to(7).await.unwrap(), None, "nothing was current before");
    assert_eq!(current(&redis, &control).await.unwrap(), Some(2));
    assert_eq!(being_built(&redis, &control).await.unwrap(), None);
    assert!(matches!(building.switch_to(7).await, Err(ApplyError::CheckpointMoved)), "once");
}

#[tokio::test]
async fn readers_follow_the_pointer_and_deleting_a_generation_leaves_the_others() {
    let (redis, control) = redis().await;
    let reader = CurrentGeneration::watch(redis.clone(), control.clone());
    let mut changes = reader.changes();
    assert_eq!(reader.keys().prefix(), control.generation(0).prefix(), "nothing complete yet: none");

    let first =
        ProjectionStore::new(redis.clone(), control.clone(), request(&redis, &control, false).await.unwrap());
    assert!(first.claim_fence(1).await.unwrap());
    first.switch_to(1).await.unwrap();
    tokio::time::timeout(Duration::from_secs(5), changes.changed()).await.unwrap().unwrap();
    assert_eq!(reader.keys().prefix(), first.keys().prefix());

    let second =
        ProjectionStore::new(redis.clone(), control.clone(), request(&redis, &control, false).await.unwrap());
    assert!(second.claim_fence(1).await.unwrap());
    let _: () = redis.set(first.keys().job("j"), "{}", None, None, false).await.unwrap();
    let _: () = redis.set(second.keys().job("j"), "{}", None, None, false).await.unwrap();
    assert_eq!(second.switch_to(1).await.unwrap(), Some(1));
    tokio::time::timeout(Duration::from_secs(5), changes.changed()).await.unwrap().unwrap();
    assert_eq!(reader.keys().prefix(), second.keys().prefix());

    assert_eq!(first.delete().await.unwrap(), 2, "the job and the fencing token");
    let left: i64 = redis.exists(vec![second.keys().job("j"), control.current_generation()]).await.unwrap();
    assert_eq!(left, 2);
}
