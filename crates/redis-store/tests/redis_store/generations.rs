//! Generations of the documents: a rebuild fills a new one beside the current one, and one fenced step
//! makes it current; readers follow the pointer.

use std::time::Duration;

use fred::prelude::*;
use read_model::Keys;
use redis_store::generations::{being_built, current, request};
use redis_store::{ApplyError, CurrentGeneration, ProjectionStore, Resend, Switch, client, start};

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
    assert_eq!(abandoned.switch_to(1).await.unwrap(), Switch::NotAsked, "no longer asked for");
    assert_eq!(building.switch_to(7).await.unwrap(), Switch::Done { replaced: None }, "nothing was current");
    assert_eq!(current(&redis, &control).await.unwrap(), Some(2));
    assert_eq!(being_built(&redis, &control).await.unwrap(), None);
    assert_eq!(building.switch_to(7).await.unwrap(), Switch::NotAsked, "once");
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
    assert_eq!(first.switch_to(1).await.unwrap(), Switch::Done { replaced: None });
    tokio::time::timeout(Duration::from_secs(5), changes.changed()).await.unwrap().unwrap();
    assert_eq!(reader.keys().prefix(), first.keys().prefix());

    let second =
        ProjectionStore::new(redis.clone(), control.clone(), request(&redis, &control, false).await.unwrap());
    assert!(second.claim_fence(1).await.unwrap());
    let _: () = redis.set(first.keys().job("j"), "{}", None, None, false).await.unwrap();
    let _: () = redis.set(second.keys().job("j"), "{}", None, None, false).await.unwrap();
    assert_eq!(second.switch_to(1).await.unwrap(), Switch::Done { replaced: Some(1) });
    tokio::time::timeout(Duration::from_secs(5), changes.changed()).await.unwrap().unwrap();
    assert_eq!(reader.keys().prefix(), second.keys().prefix());

    assert_eq!(first.delete().await.unwrap(), 2, "the job and the fencing token");
    let left: i64 = redis.exists(vec![second.keys().job("j"), control.current_generation()]).await.unwrap();
    assert_eq!(left, 2);
}

#[tokio::test]
async fn a_generation_behind_the_current_one_is_not_made_current_until_it_has_caught_up() {
    let (redis, control) = redis().await;
    let first =
        ProjectionStore::new(redis.clone(), control.clone(), request(&redis, &control, false).await.unwrap());
    assert!(first.claim_fence(1).await.unwrap());
    first.apply(1, None, "7:3".to_owned(), chrono::Utc::now(), vec![]).await.unwrap();
    assert_eq!(first.switch_to(1).await.unwrap(), Switch::Done { replaced: None });

    let second =
        ProjectionStore::new(redis.clone(), control.clone(), request(&redis, &control, false).await.unwrap());
    assert!(second.claim_fence(1).await.unwrap());
    second.apply(1, None, "7:2".to_owned(), chrono::Utc::now(), vec![]).await.unwrap();
    assert_eq!(second.switch_to(1).await.unwrap(), Switch::Behind, "one event behind");
    second.apply(1, Some("7:2".to_owned()), "8:1".to_owned(), chrono::Utc::now(), vec![]).await.unwrap();
    assert_eq!(second.switch_to(1).await.unwrap(), Switch::Done { replaced: Some(1) });
}

#[tokio::test]
async fn what_a_service_writes_ahead_of_the_projector_lands_in_the_current_generation_and_the_one_being_built()
 {
    let (redis, control) = redis().await;
    let reader = CurrentGeneration::watch(redis.clone(), control.clone());
    reader.write(&redis, "SET", vec!["session:s0".into(), "{}".into()]).await.unwrap();
    let none: i64 = redis.exists(control.generation(0).session("s0")).await.unwrap();
    assert_eq!(none, 0, "nothing is written while no generation is complete");

    let first =
        ProjectionStore::new(redis.clone(), control.clone(), request(&redis, &control, false).await.unwrap());
    assert!(first.claim_fence(1).await.unwrap());
    first.switch_to(1).await.unwrap();
    let next =
        ProjectionStore::new(redis.clone(), control.clone(), request(&redis, &control, false).await.unwrap());
    let pairs = vec!["job:j".into(), "{}".into(), "jobowner:j".into(), "ada".into()];
    reader.write(&redis, "MSETNX", pairs).await.unwrap();
    reader
        .write(&redis, "SET", vec!["session:s1".into(), "{}".into(), "EX".into(), "60".into()])
        .await
        .unwrap();
    for keys in [first.keys(), next.keys()] {
        let written: i64 =
            redis.exists(vec![keys.job("j"), keys.job_owner("j"), keys.session("s1")]).await.unwrap();
        assert_eq!(written, 3, "under {}", keys.prefix());
    }
}

#[tokio::test]
async fn many_first_documents_in_one_write_leave_each_one_the_projector_wrote() {
    let (redis, control) = redis().await;
    let reader = CurrentGeneration::watch(redis.clone(), control.clone());
    let store =
        ProjectionStore::new(redis.clone(), control.clone(), request(&redis, &control, false).await.unwrap());
    assert!(store.claim_fence(1).await.unwrap());
    store.switch_to(1).await.unwrap();
    let keys = store.keys();
    let _: () = redis.set(keys.job("j1"), "projected", None, None, false).await.unwrap();

    let pairs = ["job:j1", "first", "job:j2", "first", "jobowner:j2", "ada"].map(str::to_owned).to_vec();
    reader.write(&redis, "SETNX", pairs).await.unwrap();
    let stored: Vec<Option<String>> =
        redis.mget(vec![keys.job("j1"), keys.job("j2"), keys.job_owner("j2")]).await.unwrap();
    assert_eq!(stored, [Some("projected".into()), Some("first".into()), Some("ada".into())]);
}
